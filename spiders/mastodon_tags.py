"""Public hashtag timelines (``/api/v1/timelines/tag/:tag``) across Mastodon-compatible
instances, incrementally, with instance discovery and repost collection.

Per (instance, tag) the newest status id collected is kept as a cursor in DuckDB. A run
reads the top of the timeline (``limit=40``, no paging parameter, so it does not spend
the server's separate paging budget), follows ``Link: rel="next"`` (``max_id``), and
stops at the cursor, at the campaign's ``since`` date, or at the end. The new cursor is
emitted as a :class:`CursorItem` only after every item of the walk, so the storage
pipeline saves it after the data: a killed run is walked again next time and upserts
make that harmless.

With ``[mastodon] discover``, the home servers of accounts seen in posts are checked
(robots.txt, nodeinfo) and, if they speak the Mastodon API, crawled too, up to
``max_instances`` servers in all; servers remembered from earlier runs are crawled
first. Servers that refuse anonymous hashtag feeds (401/403/422) or return nothing are
recorded in the ``instances`` table (see :mod:`crawler.mastodon.discovery`).

Tag timelines carry no reblogs (a reblog has no tags), so reposts are read the way the
API allows: ``/api/v1/statuses/:id/reblogged_by`` for the most reblogged statuses
collected in this run (``SCOUT_REBLOGGED_BY_MAX``, default 200), once the timelines are
done, within the same budgets.

Usage: ``scrapy crawl mastodon_tags -a campaign=data/campaign.example.toml``.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import quote, urlencode, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.core.config import Campaign, load_campaign
from crawler.core.items import AccountItem, CursorItem, InteractionItem, ParsedStatus
from crawler.core.text import parse_timestamp
from crawler.mastodon.discovery import (
    InstanceRecord,
    InstanceRegistry,
    base_of,
    may_crawl,
    nodeinfo_href,
    nodeinfo_software,
    speaks_mastodon_api,
)
from crawler.mastodon.parse import account_id_of, parse_account, parse_link_header, parse_status
from pipelines.base import DEFAULT_DB, shared_store

PAGE_LIMIT = 40  # the API maximum for timelines
REBLOGGED_BY_LIMIT = 80  # the API maximum for account lists
REBLOGGED_BY_MAX_PAGES = 5  # per status: 400 reposters are enough to rank by
BAD_BODY_RETRIES = 2
# hashtag feeds refused to anonymous clients (Mastodon 4.5 timelines_access), or absent
REFUSED_STATUSES = (401, 403, 404, 410, 422)


def id_key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings (snowflakes); order them as numbers."""
    return (len(status_id), status_id)


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc.lower()


def _query(url: str, name: str) -> str | None:
    for part in urlsplit(url).query.split("&"):
        k, _, v = part.partition("=")
        if k == name and v:
            return v
    return None


@dataclass(order=True)
class _Reblogged:
    """A collected status with reblogs: where to ask who reblogged it."""

    count: int
    post_id: str = field(compare=True)
    author_id: str = field(compare=False, default="")
    home: str | None = field(compare=False, default=None)  # author's home base URL
    copies: dict[str, str] = field(compare=False, default_factory=dict)  # base -> local id


class MastodonTagSpider(scrapy.Spider):
    name = "mastodon_tags"
    custom_settings = {
        # refused feeds are answered by the spider, not dropped by HttpErrorMiddleware
        "HTTPERROR_ALLOWED_CODES": list(REFUSED_STATUSES),
        # requests waiting for a host's budget hold a downloader slot; instances are
        # independent, so one spent budget must not starve the others
        "CONCURRENT_REQUESTS": 512,
    }

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
        self.registry: InstanceRegistry | None = None
        self.active: dict[str, str] = {}  # host -> base URL being crawled
        self.checking: set[str] = set()  # hosts whose nodeinfo is being read
        self.reblogged: dict[str, _Reblogged] = {}
        self.reblogs_scheduled = False
        # accounts mentioned in campaign posts but not seen as authors: their profiles
        # are looked up once the timelines are done (opt-outs read, organisations found)
        self.mentioned: Counter[str] = Counter()
        self.seen_handles: set[str] = set()
        self.mentions_scheduled = False
        self.now = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    # ------------------------------------------------------------------ helpers
    def _store_path(self) -> str:
        return self.db or self.settings.get("SCOUT_DB", DEFAULT_DB)

    @property
    def _stats(self) -> Any:
        stats = self.crawler.stats
        assert stats is not None
        return stats

    def _max_instances(self) -> int:
        masto = self.campaign.mastodon
        return masto.max_instances if masto is not None else 0

    def _room(self) -> bool:
        return len(self.active) + len(self.checking) < self._max_instances()

    def _record(self, host: str) -> InstanceRecord | None:
        return self.registry.get(host) if self.registry is not None else None

    # ------------------------------------------------------------------ start
    async def start(self) -> AsyncIterator[Any]:
        masto = self.campaign.mastodon
        if masto is None:
            self.logger.info("no [mastodon] section: nothing to crawl")
            return
        store = shared_store(self._store_path())
        self.registry = InstanceRegistry(store)
        for base in masto.instances[: masto.max_instances]:
            rec = self.registry.add(base, "config", self.now)
            for req in self._activate(base):
                yield req
            if rec.needs_check(self.now):
                # what software a configured server runs, for the analysts' table
                yield self._nodeinfo_request(base.rstrip("/"), configured=True)
        if masto.discover:
            for rec in self.registry.crawlable():
                if not self._room():
                    break
                if rec.host in self.active:
                    continue
                self._stats.inc_value("scout/mastodon/instances_remembered")
                for req in self._activate(rec.base_url):
                    yield req

    def _activate(self, base: str) -> Iterator[scrapy.Request]:
        base = base.rstrip("/")
        host = host_of(base)
        if host in self.active:
            return
        self.active[host] = base
        self._stats.inc_value("scout/mastodon/instances")
        store = shared_store(self._store_path())
        rec = self._record(host)
        for tag in self.campaign.campaign.hashtags:
            if rec is not None and rec.skips_tag(tag, self.now):
                self._stats.inc_value("scout/mastodon/restricted_skipped")
                continue
            cursor = store.get_cursor(f"mastodon:{host}", f"tag:{tag}")
            yield self._page_request(base, tag, cursor=cursor, max_id=None, newest=None)

    def _page_request(
        self,
        base: str,
        tag: str,
        *,
        cursor: str | None,
        max_id: str | None,
        newest: str | None,
        first: bool | None = None,
    ) -> scrapy.Request:
        # the first page is read without since_id: it is not a paging request, and the
        # cursor is applied here (ids at or below it end the walk)
        params: dict[str, str | int] = {"limit": PAGE_LIMIT}
        if max_id:
            params["max_id"] = max_id
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
                "first": max_id is None if first is None else first,
                "download_slot": host_of(base),
            },
        )

    def _finish(self, meta: dict[str, Any]) -> Iterator[CursorItem]:
        newest = meta.get("newest")
        if newest and (not meta.get("cursor") or id_key(newest) > id_key(meta["cursor"])):
            yield CursorItem(f"mastodon:{host_of(meta['base'])}", f"tag:{meta['tag']}", newest)

    def _json(self, response: Response) -> Any:
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError):
            return None

    def _retry_bad_body(self, response: Response, what: str) -> Iterator[scrapy.Request]:
        """A truncated or non-JSON body: ask again a few times, then give up the walk
        (no cursor is saved, so the next run walks it again)."""
        tries = int(response.meta.get("scout_bad_body_tries", 0))
        self._stats.inc_value("scout/errors/bad_body")
        if tries < BAD_BODY_RETRIES:
            req = response.request
            assert req is not None
            retry = req.replace(dont_filter=True)
            retry.meta["scout_bad_body_tries"] = tries + 1
            self._stats.inc_value("scout/mastodon/bad_body_retries")
            yield retry
            return
        self.logger.error("%s: %s is not valid JSON: %s", host_of(response.url), what, response.url)

    # ------------------------------------------------------------------ timelines
    def _restricted(self, host: str, tag: str, why: str) -> None:
        rec = self._record(host)
        if rec is not None and self.registry is not None:
            rec.restricted_tags[tag] = why
            rec.last_checked_at = self.now
            self.registry.touch(rec)

    def _open(self, host: str, tag: str) -> None:
        rec = self._record(host)
        if rec is not None and self.registry is not None and tag in rec.restricted_tags:
            del rec.restricted_tags[tag]
            self.registry.touch(rec)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        host = host_of(meta["base"])
        tag = meta["tag"]
        stats = self._stats
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
        if not page:
            if meta.get("first") and not meta.get("cursor"):
                # nothing at all: an empty tag, or a server that hides remote posts
                stats.inc_value("scout/mastodon/empty_feeds")
                self._restricted(host, tag, "empty")
            yield from self._finish(meta)
            return
        self._open(host, tag)
        rec = self._record(host)
        if rec is not None and rec.robots_ok is None and self.registry is not None:
            rec.robots_ok = True  # Scrapy obeyed robots.txt and the request went through
            self.registry.touch(rec)
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
            # the timeline entry's own time (a quote also holds an older post)
            created = parse_timestamp(status.get("created_at"))
            if since and created is not None and created < since:
                stop = True  # older than the campaign: the walk is done
                continue
            stats.inc_value("scout/mastodon/statuses")
            yield from parsed.all_items()
            self._note_mentions(parsed)
            self._note_reblogs(status, meta["base"])
            yield from self._discover(status, host)
        meta = {**meta, "newest": newest}
        links = parse_link_header(response.headers.get("Link") or b"")
        next_url = links.get("next")
        max_id = _query(next_url, "max_id") if next_url else None
        if stop or not max_id:
            yield from self._finish(meta)
            return
        yield self._page_request(
            meta["base"], tag, cursor=cursor, max_id=max_id, newest=newest, first=False
        )

    # ------------------------------------------------------------------ discovery
    def _discover(self, status: dict[str, Any], seen_on: str) -> Iterator[scrapy.Request]:
        masto = self.campaign.mastodon
        if masto is None or not masto.discover or self.registry is None:
            return
        accounts: list[Any] = [status.get("account")]
        reblog = status.get("reblog")
        if isinstance(reblog, dict):
            accounts.append(reblog.get("account"))
        for m in status.get("mentions") or []:
            if isinstance(m, dict):
                accounts.append({"url": m.get("url")})
        for acc in accounts:
            if not isinstance(acc, dict):
                continue
            base = base_of(acc.get("uri")) or base_of(acc.get("url"))
            if base is None:
                continue
            host = host_of(base)
            if host in self.active or host in self.checking:
                continue
            rec = self.registry.get(host)
            if rec is not None and not rec.needs_check(self.now):
                continue  # checked recently: it does not speak the API or is refused
            if not self._room():
                self._stats.inc_value("scout/mastodon/discovery_over_max")
                continue
            if not may_crawl(base, masto.instances):
                self._stats.inc_value("scout/mastodon/discovery_refused")
                continue
            self.registry.add(base, seen_on, self.now)
            self.checking.add(host)
            self._stats.inc_value("scout/mastodon/discovery_checks")
            yield self._nodeinfo_request(base, configured=False)

    def _nodeinfo_request(self, base: str, *, configured: bool) -> scrapy.Request:
        return scrapy.Request(
            f"{base}/.well-known/nodeinfo",
            callback=self.parse_nodeinfo_index,
            errback=self.on_discovery_error,
            meta={
                "base": base,
                "configured": configured,
                "download_slot": host_of(base),
                "handle_httpstatus_all": True,
            },
        )

    def _checked(self, base: str, *, software: str | None, version: str | None) -> bool:
        host = host_of(base)
        self.checking.discard(host)
        rec = self._record(host)
        speaks = speaks_mastodon_api(software)
        if rec is not None and self.registry is not None:
            rec.software, rec.version = software, version
            rec.speaks_mastodon_api = speaks
            rec.last_checked_at = self.now
            if rec.robots_ok is None:
                rec.robots_ok = True
            self.registry.touch(rec)
        if not speaks:
            self._stats.inc_value("scout/mastodon/discovered_not_mastodon")
        return speaks

    def parse_nodeinfo_index(self, response: Response) -> Iterator[Any]:
        base = response.meta["base"]
        doc = self._json(response) if response.status == 200 else None
        href = nodeinfo_href(doc, base)
        if href is None:
            self._checked(base, software=None, version=None)
            return
        yield scrapy.Request(
            href,
            callback=self.parse_nodeinfo,
            errback=self.on_discovery_error,
            meta={
                "base": base,
                "configured": response.meta.get("configured", False),
                "download_slot": response.meta.get("download_slot", host_of(base)),
                "handle_httpstatus_all": True,
            },
        )

    def parse_nodeinfo(self, response: Response) -> Iterator[Any]:
        base = response.meta["base"]
        doc = self._json(response) if response.status == 200 else None
        software, version = nodeinfo_software(doc)
        speaks = self._checked(base, software=software, version=version)
        if response.meta.get("configured"):
            return  # crawled anyway: the organizer listed it
        if speaks:
            self._stats.inc_value("scout/mastodon/instances_discovered")
            self.logger.info("discovered %s (%s %s)", host_of(base), software, version)
            yield from self._activate(base)

    def on_discovery_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        base = request.meta["base"]
        host = host_of(base)
        self.checking.discard(host)
        rec = self._record(host)
        if rec is not None and self.registry is not None:
            if failure.check(IgnoreRequest) and "robots" in failure.getErrorMessage().lower():
                rec.robots_ok = False
            rec.last_checked_at = self.now
            self.registry.touch(rec)
        self._stats.inc_value("scout/mastodon/discovery_failed")
        self.logger.info("%s: discovery failed (%s)", host, failure.getErrorMessage())

    # ------------------------------------------------------------------ reposts
    def _note_reblogs(self, status: dict[str, Any], base: str) -> None:
        if status.get("reblog") is not None:
            return
        count = status.get("reblogs_count")
        uri = status.get("uri")
        acc = status.get("account")
        if not isinstance(count, int) or count <= 0 or not isinstance(uri, str):
            return
        if not isinstance(acc, dict):
            return
        post_id = "mastodon:" + uri
        entry = self.reblogged.get(post_id)
        if entry is None:
            try:
                author_id = account_id_of(acc)
            except (ValueError, KeyError, TypeError):
                return
            entry = _Reblogged(
                count, post_id, author_id, base_of(acc.get("uri")) or base_of(acc.get("url"))
            )
            self.reblogged[post_id] = entry
        entry.count = max(entry.count, count)
        entry.copies.setdefault(base, str(status["id"]))

    def reblogged_by_requests(self) -> list[scrapy.Request]:
        """For the most reblogged statuses collected: who reblogged them."""
        cap = self.settings.getint("SCOUT_REBLOGGED_BY_MAX", 200)
        if cap <= 0 or not self.reblogged:
            return []
        top = heapq.nlargest(cap, self.reblogged.values())
        out = []
        for entry in top:
            # the author's server knows every reblog federated to it; else where we saw it
            base = entry.home if entry.home in entry.copies else next(iter(entry.copies))
            assert base is not None
            local_id = entry.copies[base]
            url = (
                f"{base}/api/v1/statuses/{quote(local_id, safe='')}/reblogged_by"
                f"?limit={REBLOGGED_BY_LIMIT}"
            )
            out.append(
                scrapy.Request(
                    url,
                    callback=self.parse_reblogged_by,
                    errback=self.on_error,
                    priority=-1,
                    meta={
                        "base": base,
                        "post_id": entry.post_id,
                        "author_id": entry.author_id,
                        "pages": 1,
                        "download_slot": host_of(base),
                    },
                )
            )
        return out

    def parse_reblogged_by(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        host = host_of(meta["base"])
        if response.status != 200:
            self._stats.inc_value("scout/mastodon/reblogged_by_refused")
            return
        accounts = self._json(response)
        if not isinstance(accounts, list):
            yield from self._retry_bad_body(response, "reblogged_by")
            return
        self._stats.inc_value("scout/mastodon/reblogged_by_pages")
        now = datetime.now(UTC)
        for acc in accounts:
            if not isinstance(acc, dict):
                continue
            try:
                item = parse_account(acc, host, now)
            except (ValueError, KeyError, TypeError, AttributeError):
                self._stats.inc_value("scout/skipped/unparseable_account")
                continue
            if item.account_id == meta["author_id"]:
                continue
            acct = acc.get("acct")
            if isinstance(acct, str) and "@" in acct:
                # a remote account: its server alone publishes its opt-outs (``noindex``
                # is shown for local accounts only), so read it there
                yield from self._verify_reposter(acc, meta)
                continue
            yield item
            yield self._repost(item.account_id, meta)
        next_url = parse_link_header(response.headers.get("Link") or b"").get("next")
        # a short page is the last one: do not spend a request to learn it is empty
        full = len(accounts) >= REBLOGGED_BY_LIMIT
        if full and next_url and meta["pages"] < REBLOGGED_BY_MAX_PAGES:
            if base_of(next_url) != base_of(meta["base"]):
                return  # never follow a Link to another server
            yield response.request.replace(  # type: ignore[union-attr]
                url=next_url, meta={**meta, "pages": meta["pages"] + 1}
            )

    def _repost(self, account_id: str, meta: dict[str, Any]) -> InteractionItem:
        self._stats.inc_value("scout/mastodon/reposts")
        return InteractionItem(
            src_account_id=account_id,
            dst_account_id=meta["author_id"],
            kind="repost",
            post_id=meta["post_id"],
        )

    def _verify_reposter(self, acc: dict[str, Any], meta: dict[str, Any]) -> Iterator[Any]:
        home = base_of(acc.get("uri")) or base_of(acc.get("url"))
        username = acc.get("username")
        if home is None or host_of(home) not in self.active or not isinstance(username, str):
            self._stats.inc_value("scout/mastodon/reposters_unverifiable")
            return
        yield scrapy.Request(
            f"{home}/api/v1/accounts/lookup?acct={quote(username, safe='')}",
            callback=self.parse_reposter,
            errback=self.on_error,
            priority=-1,
            meta={
                "base": home,
                "post_id": meta["post_id"],
                "author_id": meta["author_id"],
                "download_slot": host_of(home),
            },
        )

    def _looked_up_account(
        self, response: Response, not_found: str, out: list[AccountItem]
    ) -> Iterator[Any]:
        """An ``accounts/lookup`` answer parsed into ``out`` (retries a broken body)."""
        if response.status != 200:
            self._stats.inc_value(not_found)
            return
        acc = self._json(response)
        if not isinstance(acc, dict):
            yield from self._retry_bad_body(response, "account lookup")
            return
        try:
            out.append(parse_account(acc, host_of(response.meta["base"]), datetime.now(UTC)))
        except (ValueError, KeyError, TypeError, AttributeError):
            self._stats.inc_value("scout/skipped/unparseable_account")

    def parse_reposter(self, response: Response) -> Iterator[Any]:
        found: list[AccountItem] = []
        yield from self._looked_up_account(response, "scout/mastodon/reposters_unverifiable", found)
        for item in found:
            yield item
            yield self._repost(item.account_id, response.meta)

    # ------------------------------------------------------------------ mentioned accounts
    def _note_mentions(self, parsed: ParsedStatus) -> None:
        for account in parsed.accounts:
            self.seen_handles.add(account.handle.lower())
        for post in parsed.posts:
            self.mentioned.update(h.lower() for h in post.mentions)

    def mention_lookup_requests(self) -> list[scrapy.Request]:
        """Profiles of the most mentioned accounts not seen as authors, on their home
        instance when it is one being crawled (bounded by ``SCOUT_MENTION_LOOKUPS_MAX``)."""
        cap = self.settings.getint("SCOUT_MENTION_LOOKUPS_MAX", 300)
        wanted = [
            (n, h) for h, n in self.mentioned.items() if h not in self.seen_handles and "@" in h
        ]
        if cap <= 0 or not wanted:
            return []
        known = shared_store(self._store_path()).known_handles([h for _, h in wanted])
        requests: list[scrapy.Request] = []
        for _n, handle in sorted(wanted, key=lambda nh: (-nh[0], nh[1])):
            if len(requests) >= cap:
                break
            user, _, host = handle.partition("@")
            base = self.active.get(host)
            if handle in known or base is None:
                continue
            requests.append(
                scrapy.Request(
                    f"{base}/api/v1/accounts/lookup?acct={quote(user, safe='')}",
                    callback=self.parse_mentioned,
                    errback=self.on_error,
                    priority=-2,
                    meta={"base": base, "download_slot": host},
                )
            )
        return requests

    def parse_mentioned(self, response: Response) -> Iterator[Any]:
        found: list[AccountItem] = []
        yield from self._looked_up_account(response, "scout/mastodon/mentioned_not_found", found)
        for item in found:
            self._stats.inc_value("scout/mastodon/mentioned_looked_up")
            yield item

    # ------------------------------------------------------------------ signals, errors
    def on_idle(self) -> None:
        """When the timelines are done: who reblogged what, then who was mentioned."""
        requests: list[scrapy.Request] = []
        if not self.reblogs_scheduled:
            self.reblogs_scheduled = True
            requests = self.reblogged_by_requests()
            self._stats.inc_value("scout/mastodon/reblogged_by_statuses", len(requests))
        if not requests and not self.mentions_scheduled:
            self.mentions_scheduled = True
            requests = self.mention_lookup_requests()
            self._stats.inc_value("scout/mastodon/mention_lookups", len(requests))
        if not requests:
            return
        engine = self.crawler.engine
        assert engine is not None
        for req in requests:
            engine.crawl(req)
        raise DontCloseSpider

    def on_closed(self, spider: scrapy.Spider) -> None:
        if self.registry is not None:
            saved = self.registry.save()
            self._stats.set_value("scout/mastodon/instances_saved", saved)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        stats = self._stats
        if failure.check(IgnoreRequest) and "robots" in failure.getErrorMessage().lower():
            host = host_of(request.url)
            rec = self._record(host)
            if rec is not None and self.registry is not None:
                rec.robots_ok = False
                self.registry.touch(rec)
            stats.inc_value("scout/mastodon/robots_denied")
            self.logger.warning("%s: robots.txt forbids %s", host, request.url)
            return
        self.logger.error("request failed: %s (%s)", request.url, failure.getErrorMessage())
        stats.inc_value("scout/errors/requests")
