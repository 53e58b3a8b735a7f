"""Public hashtag timelines (``/api/v1/timelines/tag/:tag``) across Mastodon-compatible
instances, incrementally, with instance discovery and repost collection.

Per (instance, tag) two cursors are kept in DuckDB (:mod:`crawler.core.resume`): the
watermark (the newest status id of the last finished walk) and, while a walk is under
way, its backfill position (the ``max_id`` it continues from). A run first continues an
unfinished walk down to its floor, then reads the top of the timeline (``limit=40``, no
paging parameter, so it does not spend the server's separate paging budget), follows
``Link: rel="next"`` (``max_id``), and stops at the watermark, at the campaign's
``since`` date, or at the end. Both cursors are emitted as :class:`CursorItem` right
after the page's items, so the storage pipeline saves them after the data they cover: a
killed run loses at most the page it was reading, and upserts make a page read twice
harmless. A page that still fails after the retries ends the walk for this run
(``scout/pages_skipped``); the next run continues from the last page saved.

With ``[mastodon] discover``, the home servers of accounts seen in posts are checked
(robots.txt, nodeinfo) and, if they speak the Mastodon API, crawled too, up to
``max_instances`` servers in all; servers remembered from earlier runs are crawled
first. Servers that refuse anonymous hashtag feeds (401/403/422) or return nothing are
recorded in the ``instances`` table (see :mod:`crawler.mastodon.discovery`).

Tag timelines carry no reblogs (a reblog has no tags), so reposts are read the way the
API allows: ``/api/v1/statuses/:id/reblogged_by`` for the most reblogged statuses
collected in this run (``SCOUT_REBLOGGED_BY_MAX``), once the timelines are
done, within the same budgets (:mod:`spiders.mastodon_accounts`); discovery callbacks
are in :mod:`spiders.mastodon_discovery`. The followers and following of the campaign's
seed accounts (``[seeds] accounts``) are walked by this same crawler, within the same
budgets (:mod:`spiders.mastodon_follows`).

Usage: ``scrapy crawl mastodon_tags -a campaign=data/campaign.example.toml`` (with
``[campaign] follow_related = true`` the accepted related hashtags are crawled too, as
with ``scout crawl``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import quote

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawler.core.config import Campaign
from crawler.core.errors import ParseError
from crawler.core.items import CursorItem
from crawler.core.net import host_key
from crawler.core.protocols import ERROR_LINES
from crawler.core.related import AcceptedHashtags, followed
from crawler.core.resume import CLEARED, Backfill, backfill_key
from crawler.core.text import parse_timestamp
from crawler.mastodon.discovery import InstanceRegistry
from crawler.mastodon.parse import next_max_id, parse_status
from spiders.mastodon_accounts import AccountLookups
from spiders.mastodon_base import REFUSED_STATUSES
from spiders.mastodon_discovery import InstanceDiscovery
from spiders.mastodon_follows import SeedFollows

PAGE_LIMIT = 40  # the API maximum for timelines


def id_key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings (snowflakes); order them as numbers."""
    return (len(status_id), status_id)


@dataclass(frozen=True)
class _Walk:
    """Callback state of one (instance, tag) timeline walk."""

    base: str
    tag: str
    cursor: str | None  # the floor: the newest id of the last finished walk
    newest: str | None = None  # the newest id seen in this walk (the next watermark)
    first: bool = True  # the first page (no ``max_id``)
    resumed: bool = False  # continues a walk an earlier run left unfinished

    @property
    def source(self) -> str:
        return f"mastodon:{host_key(self.base)}"

    @property
    def key(self) -> str:
        return f"tag:{self.tag}"

    def progress_item(self, max_id: str) -> CursorItem:
        """Where the walk stands after a page (saved after that page's items)."""
        state = Backfill(at=max_id, top=self.newest, floor=self.cursor)
        return CursorItem(self.source, backfill_key(self.key), state.encode())

    def cursor_items(self) -> Iterator[CursorItem]:
        """The walk is done: the new watermark, if it moved, then the backfill cleared
        (in this order: killed in between, the next run only re-reads one page)."""
        if self.newest and (not self.cursor or id_key(self.newest) > id_key(self.cursor)):
            yield CursorItem(self.source, self.key, self.newest)
        if self.resumed or not self.first:
            yield CursorItem(self.source, backfill_key(self.key), CLEARED)


class MastodonTagSpider(InstanceDiscovery, AccountLookups, SeedFollows):
    name = "mastodon_tags"
    custom_settings = {
        # refused feeds are answered by the spider, not dropped by HttpErrorMiddleware
        "HTTPERROR_ALLOWED_CODES": list(REFUSED_STATUSES),
        # broken bodies are retried from the callbacks (crawler.fetch.retries), which
        # keeps the retry counts in meta on purpose
        "META_COPY_WARN_SKIP_KEYS": ["retry_times", "download_latency"],
    }

    def __init__(self, campaign: str | Campaign | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(campaign, *args, **kwargs)
        # a campaign file read here (``scrapy crawl -a campaign=FILE``) follows the accepted
        # related hashtags at start, as ``scout crawl`` does; a handed Campaign already does
        self.follow_accepted = not isinstance(campaign, Campaign)
        self.reblogs_scheduled = False
        self.mentions_scheduled = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # ------------------------------------------------------------------ start
    async def start(self) -> AsyncIterator[Any]:
        store = self.store
        if self.follow_accepted and isinstance(store, AcceptedHashtags):
            self.campaign = followed(self.campaign, store)
        masto = self.campaign.mastodon
        if masto is None:
            self.logger.info("no [mastodon] section: nothing to crawl")
            return
        self.registry = InstanceRegistry(self.store)
        for base in masto.instances[: masto.max_instances]:
            rec = self.registry.add(base, "config", self.now)
            for req in self._activate(base):
                yield req
            if rec.needs_check(self.now):
                # what software a configured server runs, for the analysts' table
                yield self._nodeinfo_request(base.rstrip("/"), configured=True)
        for req in self.seed_requests():
            yield req
        if masto.discover:
            for rec in self.registry.crawlable():
                if not self._room():
                    break
                if rec.host in self.active:
                    continue
                self.stats.inc_value("scout/mastodon/instances_remembered")
                for req in self._activate(rec.base_url):
                    yield req

    def _activate(self, base: str) -> Iterator[scrapy.Request]:
        base = base.rstrip("/")
        host = host_key(base)
        if host in self.active:
            return
        self.active[host] = base
        self.stats.inc_value("scout/mastodon/instances")
        rec = self._record(host)
        for tag in self.campaign.campaign.hashtags:
            if rec is not None and rec.skips_tag(tag, self.now):
                self.stats.inc_value("scout/mastodon/restricted_skipped")
                continue
            source, key = f"mastodon:{host}", f"tag:{tag}"
            cursor = self.store.get_cursor(source, key) or None
            left = Backfill.decode(self.store.get_cursor(source, backfill_key(key)))
            if left is not None:
                # an earlier run stopped half-way down: continue below its last page
                self.stats.inc_value("scout/mastodon/walks_resumed")
                walk = _Walk(base, tag, left.floor, left.top, first=False, resumed=True)
                yield self._page_request(walk, max_id=left.at)
            else:
                yield self._page_request(_Walk(base, tag, cursor), max_id=None)

    def _page_request(self, walk: _Walk, max_id: str | None) -> scrapy.Request:
        # the first page is read without since_id: it is not a paging request, and the
        # cursor is applied here (ids at or below it end the walk)
        url = f"{walk.base}/api/v1/timelines/tag/{quote(walk.tag, safe='')}?limit={PAGE_LIMIT}"
        if max_id:
            url = add_or_replace_parameter(url, "max_id", max_id)
        return scrapy.Request(
            url,
            callback=self.parse_timeline,
            errback=self.on_error,
            cb_kwargs={"walk": walk},
            meta={"download_slot": host_key(walk.base)},
        )

    # ------------------------------------------------------------------ timelines
    def _restricted(self, host: str, tag: str, why: str) -> None:
        rec = self._record(host)
        if rec is not None:
            tags = {**rec.restricted_tags, tag: why}
            self._touch(host, restricted_tags=tags, last_checked_at=self.now)

    def _open(self, host: str, tag: str) -> None:
        rec = self._record(host)
        if rec is not None and tag in rec.restricted_tags:
            left = {t: why for t, why in rec.restricted_tags.items() if t != tag}
            self._touch(host, restricted_tags=left)

    def parse_timeline(self, response: Response, walk: _Walk) -> Iterator[Any]:
        host = host_key(walk.base)
        tag = walk.tag
        stats = self.stats
        if response.status != 200:
            self.logger.warning("%s restricts #%s (HTTP %s): skipped", host, tag, response.status)
            stats.inc_value("scout/mastodon/restricted_feeds")
            self._restricted(host, tag, str(response.status))
            return
        page = self._json(response)
        if not isinstance(page, list):
            yield from self._retry_bad_body(response, "tag timeline")
            return
        stats.inc_value("scout/mastodon/pages")
        self.host_pages[host] += 1
        if not page:
            if walk.first and not walk.cursor:
                # nothing at all: an empty tag, or a server that hides remote posts
                stats.inc_value("scout/mastodon/empty_feeds")
                self._restricted(host, tag, "empty")
            yield from self._walk_done(walk)
            return
        self._open(host, tag)
        rec = self._record(host)
        if rec is not None and rec.robots_ok is None:
            # Scrapy obeyed robots.txt and the request went through
            self._touch(host, robots_ok=True)
        now = datetime.now(UTC)
        since = self.campaign.campaign.since_datetime
        cursor, newest = walk.cursor, walk.newest
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
            except ParseError as exc:
                self.logger.warning("%s: unparseable status %s: %s", host, sid, exc)
                stats.inc_value("scout/skipped/unparseable_status")
                continue
            # the timeline entry's own time (a quote also holds an older post)
            created = parse_timestamp(status.get("created_at"))
            if since and created is not None and created < since:
                stop = True  # older than the campaign: the walk is done
                continue
            stats.inc_value("scout/mastodon/statuses")
            yield from parsed.all_items()
            self._note_mentions(parsed)
            self._note_reblogs(status, walk.base)
            yield from self._discover(status, host)
        walk = replace(walk, newest=newest)
        max_id = next_max_id(response.headers.get("Link"))
        if stop or not max_id:
            yield from self._walk_done(walk)
            return
        walk = replace(walk, first=False)
        yield walk.progress_item(max_id)
        yield self._page_request(walk, max_id=max_id)

    def _walk_done(self, walk: _Walk) -> Iterator[Any]:
        """Save the walk's cursors; a resumed walk then reads what is new at the top."""
        yield from walk.cursor_items()
        if walk.resumed:
            top = walk.newest or walk.cursor
            yield self._page_request(_Walk(walk.base, walk.tag, top), max_id=None)

    # ------------------------------------------------------------------ signals
    def on_idle(self) -> None:
        """When the timelines are done: who reblogged what, then who was mentioned."""
        requests: list[scrapy.Request] = []
        if not self.reblogs_scheduled:
            self.reblogs_scheduled = True
            requests = self.reblogged_by_requests()
            self.stats.inc_value("scout/mastodon/reblogged_by_statuses", len(requests))
        if not requests and not self.mentions_scheduled:
            self.mentions_scheduled = True
            requests = self.mention_lookup_requests()
            self.stats.inc_value("scout/mastodon/mention_lookups", len(requests))
        if not requests:
            return
        engine = self.crawler.engine
        assert engine is not None
        for req in requests:
            engine.crawl(req)
        raise DontCloseSpider

    def on_closed(self, spider: scrapy.Spider, reason: str = "finished") -> None:
        if self.registry is not None:
            saved = self.registry.save()
            self.stats.set_value("scout/mastodon/instances_saved", saved)
        self.stats.set_value(ERROR_LINES, self.error_lines())
