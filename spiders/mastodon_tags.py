"""Public hashtag timelines (``/api/v1/timelines/tag/:tag``) across Mastodon-compatible
instances, incrementally.

Per (instance, tag) the newest status id collected is kept as a cursor in DuckDB. A run
walks the timeline from the top (``since_id`` = cursor, ``limit=40``) following the
``Link: rel="next"`` header, and stops at the cursor, at the campaign's ``since`` date,
or at the end. The new cursor is emitted as a :class:`CursorItem` only after every item
of the walk, so the storage pipeline saves it after the data: a killed run is walked
again next time and upserts make that harmless.

Usage: ``scrapy crawl mastodon_tags -a campaign=data/campaign.example.toml``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.config import Campaign, load_campaign
from crawler.items import CursorItem
from crawler.mastodon.parse import parse_link_header, parse_status
from crawler.text import parse_timestamp
from pipelines.base import DEFAULT_DB, shared_store

PAGE_LIMIT = 40  # the API maximum for timelines


def id_key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings (snowflakes); order them as numbers."""
    return (len(status_id), status_id)


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc.lower()


class MastodonTagSpider(scrapy.Spider):
    name = "mastodon_tags"
    # 401/403/404/410/422: servers that restrict hashtag feeds or lack the endpoint
    custom_settings = {"HTTPERROR_ALLOWED_CODES": [401, 403, 404, 410, 422]}

    def __init__(
        self,
        campaign: str | Campaign | None = None,
        db: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if campaign is None:
            raise ValueError("pass the campaign file: -a campaign=CAMPAIGN.toml")
        self.campaign = campaign if isinstance(campaign, Campaign) else load_campaign(campaign)
        self.db = db

    def _store_path(self) -> str:
        return self.db or self.settings.get("SCOUT_DB", DEFAULT_DB)

    async def start(self) -> AsyncIterator[Any]:
        masto = self.campaign.mastodon
        if masto is None:
            self.logger.info("no [mastodon] section: nothing to crawl")
            return
        if masto.discover:
            self.logger.warning(
                "[mastodon] discover: instance discovery is not available yet; "
                "crawling the %d listed instance(s) only",
                len(masto.instances),
            )
        store = shared_store(self._store_path())
        for base in masto.instances[: masto.max_instances]:
            host = host_of(base)
            for tag in self.campaign.campaign.hashtags:
                cursor = store.get_cursor(f"mastodon:{host}", f"tag:{tag}")
                yield self._page_request(base, tag, cursor=cursor, max_id=None, newest=None)

    def _page_request(
        self, base: str, tag: str, *, cursor: str | None, max_id: str | None, newest: str | None
    ) -> scrapy.Request:
        params: dict[str, str | int] = {"limit": PAGE_LIMIT}
        if max_id:
            params["max_id"] = max_id
        if cursor:
            params["since_id"] = cursor
        url = f"{base}/api/v1/timelines/tag/{quote(tag, safe='')}?{urlencode(params)}"
        return scrapy.Request(
            url,
            callback=self.parse_timeline,
            errback=self.on_error,
            meta={
                "base": base,
                "tag": tag,
                "cursor": cursor,
                "newest": newest,
                "download_slot": host_of(base),
            },
        )

    def _finish(self, meta: dict[str, Any]) -> Iterator[CursorItem]:
        newest = meta.get("newest")
        if newest and (not meta.get("cursor") or id_key(newest) > id_key(meta["cursor"])):
            yield CursorItem(f"mastodon:{host_of(meta['base'])}", f"tag:{meta['tag']}", newest)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        host = host_of(meta["base"])
        stats = self.crawler.stats
        assert stats is not None
        if response.status != 200:
            self.logger.warning(
                "%s restricts #%s (HTTP %s): skipped", host, meta["tag"], response.status
            )
            stats.inc_value("scout/mastodon/restricted_feeds")
            return
        try:
            page = json.loads(response.text)
        except ValueError:
            page = None
        if not isinstance(page, list):
            self.logger.error("%s: not a list of statuses at %s", host, response.url)
            stats.inc_value("scout/errors/bad_body")
            return
        stats.inc_value("scout/mastodon/pages")
        if not page:
            yield from self._finish(meta)
            return
        now = datetime.now(UTC)
        since = self.campaign.campaign.since_datetime
        cursor = meta.get("cursor")
        newest = meta.get("newest")
        stop = False
        for status in page:
            sid = status.get("id") if isinstance(status, dict) else None
            if not isinstance(sid, str):
                stats.inc_value("scout/skipped/status_without_id")
                continue
            if newest is None or id_key(sid) > id_key(newest):
                newest = sid
            if cursor and id_key(sid) <= id_key(cursor):
                stop = True  # reached what an earlier run collected
                continue
            try:
                parsed = parse_status(status, host, now)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                self.logger.warning("%s: unparseable status %s: %s", host, sid, exc)
                stats.inc_value("scout/skipped/unparseable_status")
                continue
            # the timeline entry's own time (a reblog or quote also holds older posts)
            created = parse_timestamp(status.get("created_at"))
            if since and created is not None and created < since:
                stop = True  # older than the campaign: the walk is done
                continue
            stats.inc_value("scout/mastodon/statuses")
            yield from parsed.all_items()
        meta = {**meta, "newest": newest}
        links = parse_link_header(response.headers.get("Link") or b"")
        next_url = links.get("next")
        if stop or not next_url:
            yield from self._finish(meta)
            return
        max_id = dict(p.split("=", 1) for p in urlsplit(next_url).query.split("&") if "=" in p).get(
            "max_id"
        )
        if not max_id:
            yield from self._finish(meta)
            return
        yield self._page_request(
            meta["base"], meta["tag"], cursor=cursor, max_id=max_id, newest=newest
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.logger.error("request failed: %s (%s)", request.url, failure.getErrorMessage())
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("scout/errors/requests")
