"""State and helpers shared by the Mastodon spider's parts (timelines in
:mod:`spiders.mastodon_tags`, instance discovery in :mod:`spiders.mastodon_discovery`,
reposts and mentioned accounts in :mod:`spiders.mastodon_accounts`, seed accounts'
followers and following in :mod:`spiders.mastodon_follows`).

The run's store is handed on the crawler (``STORE_ATTR``, see
:mod:`crawler.core.protocols`): the spider reads cursors, the instance registry and
known handles through it and writes nothing (items go through the pipelines). Callback
state travels in ``cb_kwargs``; a broken body is asked again through Scrapy's
``get_retry_request`` (``retry/*`` stats), a bounded number of times.

What failed is kept per host in words: when the spider closes, the stats value
``scout/error_lines`` lists one line per instance that could not be read at all
(unreachable) or lost pages (``scout/pages_skipped``), with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from twisted.internet import defer
from twisted.internet.error import TimeoutError as TcpTimeoutError
from twisted.python.failure import Failure

from crawler.core.config import Campaign, load_campaign
from crawler.core.net import host_key
from crawler.core.protocols import STORE_ATTR, MastodonStore
from crawler.fetch.middlewares import ShutdownRequest
from crawler.fetch.retries import BAD_BODY, retry_request
from crawler.mastodon.discovery import InstanceRecord, InstanceRegistry

BAD_BODY_RETRIES = 5
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
        self.host_pages: Counter[str] = Counter()  # timeline pages read per host
        self.host_failures: dict[str, tuple[int, str]] = {}  # host -> (pages lost, why)

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
        retry = retry_request(
            response.request,
            spider=self,
            reason="bad_body",
            max_times=BAD_BODY_RETRIES,
            kind=BAD_BODY,
        )
        if retry is not None:
            self.stats.inc_value("scout/mastodon/bad_body_retries")
            yield retry
            return
        self.logger.warning(
            "%s: %s is not valid JSON: %s", host_key(response.url), what, response.url
        )
        self._page_lost(response.request, "answers that are not JSON")

    def _page_lost(self, request: scrapy.Request, why: str) -> None:
        """A page of a walk (a timeline, a seed's list) given up after the retries: the
        walk stops here this run."""
        if "walk" not in request.cb_kwargs:
            return
        self.stats.inc_value("scout/pages_skipped")
        host = host_key(request.url)
        lost, _ = self.host_failures.get(host, (0, ""))
        self.host_failures[host] = (lost + 1, why)

    def error_lines(self) -> list[str]:
        """One line per host that failed: unreachable, or pages lost (and why)."""
        lines = []
        for host, (lost, why) in sorted(self.host_failures.items()):
            if not self.host_pages[host]:
                lines.append(f"{host} unreachable ({why})")
            else:
                pages = "page" if lost == 1 else "pages"
                lines.append(f"{host}: {lost} {pages} skipped ({why})")
        return lines

    @staticmethod
    def _reason(failure: Failure) -> str:
        if failure.check(HttpError):
            response = failure.value.response  # type: ignore[union-attr]
            return f"HTTP {response.status}"
        if failure.check(TcpTimeoutError, defer.TimeoutError):
            return "timed out"
        # Scrapy's DownloadFailedError is raised from Twisted's "response never received",
        # which wraps the failures that say why (a TLS error, a reset)
        value = failure.value
        cause = getattr(value, "__cause__", None)
        inner = getattr(value, "reasons", None) or getattr(cause, "reasons", None)
        if inner and isinstance(inner[0], Failure):
            failure = inner[0]
            if "SSL" in (failure.type.__module__ or ""):
                return "TLS handshake failed (does the server speak https?)"
        text = " ".join(failure.getErrorMessage().split())
        return text[:160] or failure.type.__name__  # type: ignore[union-attr]

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(ShutdownRequest):
            return  # dropped from a held slot at shutdown: the next run asks again
        if failure.check(IgnoreRequest) and "robots" in failure.getErrorMessage().lower():
            host = host_key(request.url)
            self._touch(host, robots_ok=False)
            self.stats.inc_value("scout/mastodon/robots_denied")
            self.logger.warning("%s: robots.txt forbids %s", host, request.url)
            return
        why = self._reason(failure)
        if why == "timed out":
            self.stats.inc_value("scout/timeouts")
        # no traceback, and only at -v: what failed is summed up per host at the end
        self.logger.info("request failed: %s (%s)", request.url, why)
        self.stats.inc_value("scout/errors/requests")
        self._page_lost(request, why)
