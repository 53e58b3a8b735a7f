"""State and helpers shared by the Mastodon spider's parts (timelines in
:mod:`spiders.mastodon_tags`, instance discovery in :mod:`spiders.mastodon_discovery`,
reposts and mentioned accounts in :mod:`spiders.mastodon_accounts`).

The run's store is handed on the crawler (``STORE_ATTR``, see
:mod:`crawler.core.protocols`): the spider reads cursors, the instance registry and
known handles through it and writes nothing (items go through the pipelines). Callback
state travels in ``cb_kwargs``; a broken body is asked again through Scrapy's
``get_retry_request`` (``retry/*`` stats), a bounded number of times.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from crawler.core.config import Campaign, load_campaign
from crawler.core.net import host_key
from crawler.core.protocols import STORE_ATTR, MastodonStore
from crawler.mastodon.discovery import InstanceRecord, InstanceRegistry

BAD_BODY_RETRIES = 2
# hashtag feeds refused to anonymous clients (Mastodon 4.5 timelines_access), or absent
REFUSED_STATUSES = (401, 403, 404, 410, 422)


class MastodonSpiderBase(scrapy.Spider):
    """No ``name``: Scrapy's spider loader lists only :class:`MastodonTagSpider`."""

    def __init__(self, campaign: str | Campaign | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if campaign is None:
            raise ValueError("pass the campaign file: -a campaign=CAMPAIGN.toml")
        self.campaign = campaign if isinstance(campaign, Campaign) else load_campaign(campaign)
        self.registry: InstanceRegistry | None = None
        self.active: dict[str, str] = {}  # host -> base URL being crawled
        self.checking: set[str] = set()  # hosts whose nodeinfo is being read
        # accounts mentioned in campaign posts but not seen as authors: their profiles
        # are looked up once the timelines are done (opt-outs read, organisations found)
        self.mentioned: Counter[str] = Counter()
        self.seen_handles: set[str] = set()
        self.now = datetime.now(UTC)

    @property
    def store(self) -> MastodonStore:
        store: MastodonStore | None = getattr(self.crawler, STORE_ATTR, None)
        if store is None:
            raise RuntimeError(
                f"no store on the crawler ({STORE_ATTR}): the app hands one, or "
                "pipelines.store.StoreExtension opens one from SCOUT_DB"
            )
        return store

    @property
    def stats(self) -> StatsCollector:
        stats = self.crawler.stats
        assert stats is not None
        return stats

    def _activate(self, base: str) -> Iterator[scrapy.Request]:
        """Start crawling an instance's tag timelines (the timeline part defines it)."""
        raise NotImplementedError

    def _max_instances(self) -> int:
        masto = self.campaign.mastodon
        return masto.max_instances if masto is not None else 0

    def _room(self) -> bool:
        return len(self.active) + len(self.checking) < self._max_instances()

    def _record(self, host: str) -> InstanceRecord | None:
        return self.registry.get(host) if self.registry is not None else None

    def _touch(self, host: str, **changes: Any) -> None:
        """Change a known instance's record (kept for the ``instances`` table)."""
        rec = self._record(host)
        if rec is None or self.registry is None:
            return
        for name, value in changes.items():
            setattr(rec, name, value)
        self.registry.touch(rec)

    @staticmethod
    def _json(response: Response) -> Any:
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError):
            return None

    def _retry_bad_body(self, response: Response, what: str) -> Iterator[scrapy.Request]:
        """A truncated or non-JSON body: ask again a few times, then give up the walk
        (no cursor is saved, so the next run walks it again)."""
        self.stats.inc_value("scout/errors/bad_body")
        assert response.request is not None
        retry = get_retry_request(
            response.request, spider=self, reason="bad_body", max_retry_times=BAD_BODY_RETRIES
        )
        if retry is not None:
            self.stats.inc_value("scout/mastodon/bad_body_retries")
            yield retry
            return
        self.logger.error(
            "%s: %s is not valid JSON: %s", host_key(response.url), what, response.url
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest) and "robots" in failure.getErrorMessage().lower():
            host = host_key(request.url)
            self._touch(host, robots_ok=False)
            self.stats.inc_value("scout/mastodon/robots_denied")
            self.logger.warning("%s: robots.txt forbids %s", host, request.url)
            return
        self.logger.error("request failed: %s (%s)", request.url, failure.getErrorMessage())
        self.stats.inc_value("scout/errors/requests")
