"""Followers and following of the campaign's seed accounts (``[seeds] accounts``), walked
by the same Scrapy crawler as the tag timelines, so they share each server's budget and
pacing (:mod:`crawler.fetch.middlewares`).

Per Mastodon seed: ``GET /api/v1/accounts/lookup?acct=user`` on its home server (the
seed URL's base, else a configured ``[mastodon] instances`` entry on the same host, else
the base URL of a server remembered in the ``instances`` table, else ``https://host``)
gives its :class:`AccountItem`; then ``/api/v1/accounts/:id/followers``
and ``/following`` are walked (``limit=80``, ``Link: rel="next"``, never to another
server), at most ``[seeds] followers_max`` accounts per list. Each listed account is
yielded before its :class:`FollowItem` (followers: follower -> seed; following: seed ->
followed), so the consent step drops opted-out accounts and their edges.

Page-level resume: after each page a :class:`CursorItem` (source ``mastodon:<host>``,
key ``<kind>:<user@host>#backfill``) saves the next page's URL, the walk's start time and
how many accounts it read; a killed or failed walk continues there on the next run,
keeping its start time, so a complete walk marks gone exactly the edges not seen since
it began. The cursor is cleared when the walk ends.

Every walk ends with one :class:`SeedListItem`: ``complete``; ``truncated``
(``followers_max`` reached); ``hidden`` (``hide_collections``); ``refused`` (the server
refused the list, or listed nobody while the profile counts some); ``failed`` (the
spider's fault policy: bounded retries, then the page is skipped and counted);
``not_found`` (no such account, or the seed opted out: its lists are not walked).
Stats: ``scout/mastodon/follow_pages``, ``scout/mastodon/follow_accounts``,
``scout/mastodon/seed_lookups``, ``scout/mastodon/follow_lists/<status>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.url import add_or_replace_parameter

from crawler.core.consent import opt_out_reason
from crawler.core.errors import ParseError
from crawler.core.items import CursorItem, FollowItem, SeedListItem
from crawler.core.net import base_url, host_key
from crawler.core.resume import CLEARED, backfill_key
from crawler.core.seeds import SeedAccount, parse_seed
from crawler.core.text import parse_timestamp
from crawler.fetch.middlewares import ShutdownRequest
from crawler.mastodon.parse import (
    hides_collections,
    next_url,
    parse_account,
    parse_account_list,
)
from spiders.mastodon_base import MastodonSpiderBase

FOLLOW_PAGE_LIMIT = 80  # the API maximum for account lists
KINDS = ("followers", "following")
_COUNTS = {"followers": "followers_count", "following": "following_count"}
NOT_FOUND_STATUSES = (404, 410)


@dataclass(frozen=True)
class _Seed:
    """Callback state of a seed's look-up."""

    seed: SeedAccount
    base: str
    started_at: datetime

    @property
    def source(self) -> str:
        return f"mastodon:{host_key(self.base)}"

    def list_id(self, kind: str, account_id: str | None) -> str:
        # an account that is not found (or opted out) has no id: name it by its handle
        return f"{account_id or 'mastodon:' + self.seed.actor}#{kind}"


@dataclass(frozen=True)
class _ListWalk:
    """Callback state of one walk of a seed's followers or following."""

    seed: _Seed
    kind: str
    account_id: str  # the seed's
    local_id: str  # the seed's id on its home server
    started_at: datetime
    expected: int | None = None  # what the profile counts
    items: int = 0  # accounts read so far (an earlier run's part included)
    pages: int = 0  # pages read by this run
    saved: bool = False  # a progress cursor exists (to clear at the end)

    @property
    def base(self) -> str:
        return self.seed.base

    @property
    def key(self) -> str:
        return backfill_key(f"{self.kind}:{self.seed.seed.actor}")

    @property
    def list_path(self) -> str:
        return f"{self.base}/api/v1/accounts/{quote(self.local_id, safe='')}/{self.kind}"

    def progress_item(self, url: str) -> CursorItem:
        state = {
            "next": url,
            "started_at": self.started_at.isoformat(),
            "items": self.items,
            "account_id": self.account_id,
        }
        return CursorItem(self.seed.source, self.key, json.dumps(state, sort_keys=True))

    def resumed(self, value: str | None) -> tuple[_ListWalk, str] | None:
        """This walk continued from a saved cursor, and the URL to continue at; ``None``
        when there is none or it does not belong to this account's list on this server."""
        try:
            raw = json.loads(value) if value else None
        except ValueError:
            return None
        if not isinstance(raw, dict) or raw.get("account_id") != self.account_id:
            return None
        url, items = raw.get("next"), raw.get("items")
        started = parse_timestamp(raw.get("started_at"))
        if not isinstance(url, str) or not url.startswith(self.list_path + "?"):
            return None
        if not isinstance(items, int) or items < 0 or started is None:
            return None
        return replace(self, started_at=started, items=items, saved=True), url


def empty_list_status(kind: str, expected: int | None, resumed: bool) -> tuple[str, str | None]:
    """How a walk ends that reached an empty page: ``complete``, or ``refused`` when the
    very first page is empty while the profile counts accounts (a server hiding them)."""
    if not resumed and expected:
        return "refused", f"empty list while the profile counts {expected} {kind}"
    return "complete", None


class SeedFollows(MastodonSpiderBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seed_bases: dict[str, str] = {}  # seed actor -> base URL asked
        self.seed_errors: list[str] = []  # seeds this run's address policy refuses

    def error_lines(self) -> list[str]:
        return super().error_lines() + self.seed_errors

    # ------------------------------------------------------------------ look-ups
    def _seed_base(self, seed: SeedAccount) -> str:
        if seed.base_url:
            return seed.base_url.rstrip("/")
        masto = self.campaign.mastodon
        for configured in masto.instances if masto is not None else []:
            base = base_url(str(configured))
            if base is not None and host_key(base) == seed.host:
                return base
        known = self._record(seed.host or "")  # a server met in earlier runs
        return known.base_url if known is not None else f"https://{seed.host}"

    def seed_requests(self) -> Iterator[scrapy.Request]:
        """The look-up of every Mastodon seed (each actor once)."""
        now = datetime.now(UTC)
        for raw in self.campaign.seeds.accounts:
            try:
                seed = parse_seed(raw)
            except ValueError as exc:
                # the file was read under another address policy than this run's
                self.stats.inc_value("scout/mastodon/seeds_refused")
                self.seed_errors.append(f"seed {raw[:100]} not crawled: {exc}")
                self.logger.warning("seed %s not crawled: %s", raw[:100], exc)
                continue
            if seed.platform != "mastodon" or seed.actor in self.seed_bases:
                continue
            base = self._seed_base(seed)
            self.seed_bases[seed.actor] = base
            self.stats.inc_value("scout/mastodon/seed_lookups")
            walk = _Seed(seed, base, now)
            yield scrapy.Request(
                f"{base}/api/v1/accounts/lookup?acct={quote(seed.username, safe='')}",
                callback=self.parse_seed,
                errback=self.on_seed_error,
                cb_kwargs={"walk": walk},
                meta={"download_slot": host_key(base)},
            )

    def _seed_ends(
        self, walk: _Seed, status: str, reason: str | None, account_id: str | None = None
    ) -> Iterator[SeedListItem]:
        for kind in KINDS:
            yield self._list_item(walk, kind, account_id, status, walk.started_at, 0, reason)

    def _list_item(
        self,
        walk: _Seed,
        kind: str,
        account_id: str | None,
        status: str,
        started_at: datetime,
        items: int,
        reason: str | None,
    ) -> SeedListItem:
        self.stats.inc_value(f"scout/mastodon/follow_lists/{status}")
        if status not in ("complete", "truncated"):
            self.logger.info("%s %s: %s (%s)", walk.seed.actor, kind, status, reason or "")
        return SeedListItem(
            list_id=walk.list_id(kind, account_id),
            campaign=self.campaign.campaign.name,
            seed=walk.seed.raw,
            account_id=account_id,
            kind=kind,
            platform="mastodon",
            status=status,
            started_at=started_at,
            items=items,
            reason=reason,
        )

    def parse_seed(self, response: Response, walk: _Seed) -> Iterator[Any]:
        host = host_key(walk.base)
        if response.status in NOT_FOUND_STATUSES:
            why = f"no such account on {host} (HTTP {response.status})"
            yield from self._seed_ends(walk, "not_found", why)
            return
        if response.status != 200:
            why = f"look-up refused by {host} (HTTP {response.status})"
            yield from self._seed_ends(walk, "refused", why)
            return
        acc = self._json(response)
        if not isinstance(acc, dict):
            retry = list(self._retry_bad_body(response, "seed account look-up"))
            yield from retry or self._seed_ends(walk, "failed", "answers that are not JSON")
            return
        self.host_pages[host] += 1
        try:
            seed = parse_account(acc, host, datetime.now(UTC))
        except ParseError as exc:
            yield from self._seed_ends(walk, "failed", f"unreadable account: {exc}"[:200])
            return
        yield seed
        opted_out = opt_out_reason(seed) if self.campaign.privacy.respect_opt_outs else None
        if opted_out is not None:
            why = f"the account opted out ({opted_out})"
            yield from self._seed_ends(walk, "not_found", why)
            return
        local_id = acc.get("id")
        if hides_collections(acc):
            why = "the account hides its follows and followers"
            yield from self._seed_ends(walk, "hidden", why, seed.account_id)
            return
        if not isinstance(local_id, str | int) or local_id == "":
            yield from self._seed_ends(walk, "failed", "account without id", seed.account_id)
            return
        for kind in KINDS:
            count = acc.get(_COUNTS[kind])
            fresh = _ListWalk(
                walk,
                kind,
                seed.account_id,
                str(local_id),
                walk.started_at,
                expected=count if isinstance(count, int) else None,
            )
            cursor = self.store.get_cursor(walk.source, fresh.key)
            resumed = fresh.resumed(cursor)
            if resumed is not None:
                self.stats.inc_value("scout/mastodon/follow_walks_resumed")
                yield self._list_request(*resumed)
            else:
                yield self._list_request(fresh, f"{fresh.list_path}?limit={FOLLOW_PAGE_LIMIT}")

    def on_seed_error(self, failure: Failure) -> Iterator[Any]:
        self.on_error(failure)
        if failure.check(ShutdownRequest):
            return
        walk: _Seed = failure.request.cb_kwargs["walk"]  # type: ignore[attr-defined]
        yield from self._seed_ends(walk, "failed", self._failure_reason(failure))

    def _failure_reason(self, failure: Failure) -> str:
        message = " ".join(failure.getErrorMessage().split())
        if "address policy" in message or "robots" in message.lower():
            return message[:200]
        return self._reason(failure)

    # ------------------------------------------------------------------ list walks
    def _cap(self) -> int:
        return self.campaign.seeds.followers_max

    def _list_request(self, walk: _ListWalk, url: str) -> scrapy.Request:
        # ask for no more than the cap leaves (a short last page costs the same request)
        left = max(1, min(FOLLOW_PAGE_LIMIT, self._cap() - walk.items))
        return scrapy.Request(
            add_or_replace_parameter(url, "limit", str(left)),
            callback=self.parse_follow_page,
            errback=self.on_follow_error,
            cb_kwargs={"walk": walk},
            meta={"download_slot": host_key(walk.base)},
        )

    def parse_follow_page(self, response: Response, walk: _ListWalk) -> Iterator[Any]:
        host = host_key(walk.base)
        if response.status != 200:
            why = f"{walk.kind} refused by {host} (HTTP {response.status})"
            yield from self._list_done(walk, "refused", why)
            return
        page = self._json(response)
        if not isinstance(page, list):
            retry = list(self._retry_bad_body(response, walk.kind))
            yield from retry or self._list_done(walk, "failed", "answers that are not JSON")
            return
        self.stats.inc_value("scout/mastodon/follow_pages")
        self.host_pages[host] += 1
        now = datetime.now(UTC)
        accounts, unreadable = parse_account_list(page, host, now)
        if unreadable:
            self.stats.inc_value("scout/skipped/unparseable_account", unreadable)
        room = self._cap() - walk.items
        taken = accounts[:room]
        for item in taken:
            yield item
            if walk.kind == "followers":
                yield FollowItem(item.account_id, walk.account_id, "mastodon", now)
            else:
                yield FollowItem(walk.account_id, item.account_id, "mastodon", now)
        self.stats.inc_value("scout/mastodon/follow_accounts", len(taken))
        first = walk.pages == 0 and not walk.saved
        walk = replace(walk, items=walk.items + len(taken), pages=walk.pages + 1)
        nxt = next_url(response.headers.get("Link"))
        if nxt is not None and base_url(nxt) != base_url(walk.base):
            self.stats.inc_value("scout/mastodon/follow_links_elsewhere")
            nxt = None  # never follow a Link to another server
        if not page:
            status, empty_why = empty_list_status(walk.kind, walk.expected, resumed=not first)
            yield from self._list_done(walk, status, empty_why)
        elif walk.items >= self._cap() and (nxt is not None or len(accounts) > len(taken)):
            why = f"followers_max ({self._cap()}) reached"
            yield from self._list_done(walk, "truncated", why)
        elif nxt is not None:
            # the page's items, then where to continue: saved after the items they follow
            yield walk.progress_item(nxt)
            yield self._list_request(replace(walk, saved=True), nxt)
        else:
            yield from self._list_done(walk, "complete", None)

    def _list_done(self, walk: _ListWalk, status: str, reason: str | None) -> Iterator[Any]:
        """The end of a walk: the cursor cleared (unless it failed: the next run
        continues from the last page saved), then how it ended."""
        if walk.saved and status != "failed":
            yield CursorItem(walk.seed.source, walk.key, CLEARED)
        yield self._list_item(
            walk.seed, walk.kind, walk.account_id, status, walk.started_at, walk.items, reason
        )

    def on_follow_error(self, failure: Failure) -> Iterator[Any]:
        self.on_error(failure)
        if failure.check(ShutdownRequest):
            return  # not a failure: the next run continues from the last page saved
        walk: _ListWalk = failure.request.cb_kwargs["walk"]  # type: ignore[attr-defined]
        yield from self._list_done(walk, "failed", self._failure_reason(failure))
