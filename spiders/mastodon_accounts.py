"""Account look-ups of the Mastodon spider, once the timelines are done.

Tag timelines carry no reblogs (a reblog has no tags), so reposts are read the way the
API allows: ``/api/v1/statuses/:id/reblogged_by`` for the most reblogged statuses
collected in this run (``SCOUT_REBLOGGED_BY_MAX``). Then the profiles of the most
mentioned accounts not seen as authors (``SCOUT_MENTION_LOOKUPS_MAX``), on their home
instance when it is one being crawled, so their opt-outs are read and organisations
found. Both run within the same budgets as the timelines.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from crawler.core.errors import ParseError
from crawler.core.items import AccountItem, InteractionItem, ParsedStatus
from crawler.core.net import base_url, host_key
from crawler.mastodon.parse import account_id_of, parse_account, parse_link_header
from spiders.mastodon_base import MastodonSpiderBase

REBLOGGED_BY_LIMIT = 80  # the API maximum for account lists
REBLOGGED_BY_MAX_PAGES = 5  # per status: 400 reposters are enough to rank by


@dataclass(order=True)
class _Reblogged:
    """A collected status with reblogs: where to ask who reblogged it."""

    count: int
    post_id: str = field(compare=True)
    author_id: str = field(compare=False, default="")
    home: str | None = field(compare=False, default=None)  # author's home base URL
    copies: dict[str, str] = field(compare=False, default_factory=dict)  # base -> local id


@dataclass(frozen=True)
class _Repost:
    """Callback state of a ``reblogged_by`` walk: which post, whose, on which server."""

    base: str
    post_id: str
    author_id: str
    pages: int = 1


class AccountLookups(MastodonSpiderBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reblogged: dict[str, _Reblogged] = {}

    def _account_request(
        self, base: str, username: str, callback: Any, priority: int, **cb_kwargs: Any
    ) -> scrapy.Request:
        return scrapy.Request(
            f"{base}/api/v1/accounts/lookup?acct={quote(username, safe='')}",
            callback=callback,
            errback=self.on_error,
            priority=priority,
            cb_kwargs={"base": base, **cb_kwargs},
            meta={"download_slot": host_key(base)},
        )

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
            except ParseError:
                return
            home = base_url(acc.get("uri")) or base_url(acc.get("url"))
            entry = _Reblogged(count, post_id, author_id, home)
            self.reblogged[post_id] = entry
        entry.count = max(entry.count, count)
        entry.copies.setdefault(base, str(status["id"]))

    def reblogged_by_requests(self) -> list[scrapy.Request]:
        """For the most reblogged statuses collected: who reblogged them."""
        cap = self.settings.getint("SCOUT_REBLOGGED_BY_MAX")
        if cap <= 0 or not self.reblogged:
            return []
        out = []
        for entry in heapq.nlargest(cap, self.reblogged.values()):
            # the author's server knows every reblog federated to it; else where we saw it
            base = entry.home if entry.home in entry.copies else next(iter(entry.copies))
            assert base is not None
            local_id = entry.copies[base]
            walk = _Repost(base, entry.post_id, entry.author_id)
            out.append(
                scrapy.Request(
                    f"{base}/api/v1/statuses/{quote(local_id, safe='')}/reblogged_by"
                    f"?limit={REBLOGGED_BY_LIMIT}",
                    callback=self.parse_reblogged_by,
                    errback=self.on_error,
                    priority=-1,
                    cb_kwargs={"walk": walk},
                    meta={"download_slot": host_key(base)},
                )
            )
        return out

    def parse_reblogged_by(self, response: Response, walk: _Repost) -> Iterator[Any]:
        host = host_key(walk.base)
        if response.status != 200:
            self.stats.inc_value("scout/mastodon/reblogged_by_refused")
            return
        accounts = self._json(response)
        if not isinstance(accounts, list):
            yield from self._retry_bad_body(response, "reblogged_by")
            return
        self.stats.inc_value("scout/mastodon/reblogged_by_pages")
        now = datetime.now(UTC)
        for acc in accounts:
            if not isinstance(acc, dict):
                continue
            try:
                item = parse_account(acc, host, now)
            except ParseError:
                self.stats.inc_value("scout/skipped/unparseable_account")
                continue
            if item.account_id == walk.author_id:
                continue
            acct = acc.get("acct")
            if isinstance(acct, str) and "@" in acct:
                # a remote account: its server alone publishes its opt-outs (``noindex``
                # is shown for local accounts only), so read it there
                yield from self._verify_reposter(acc, walk)
                continue
            yield item
            yield self._repost(item.account_id, walk)
        next_url = parse_link_header(response.headers.get("Link") or b"").get("next")
        # a short page is the last one: do not spend a request to learn it is empty
        full = len(accounts) >= REBLOGGED_BY_LIMIT
        if full and next_url and walk.pages < REBLOGGED_BY_MAX_PAGES:
            if base_url(next_url) != base_url(walk.base):
                return  # never follow a Link to another server
            assert response.request is not None
            nxt = _Repost(walk.base, walk.post_id, walk.author_id, walk.pages + 1)
            yield response.request.replace(url=next_url, cb_kwargs={"walk": nxt})

    def _repost(self, account_id: str, walk: _Repost) -> InteractionItem:
        self.stats.inc_value("scout/mastodon/reposts")
        return InteractionItem(
            src_account_id=account_id,
            dst_account_id=walk.author_id,
            kind="repost",
            post_id=walk.post_id,
        )

    def _verify_reposter(self, acc: dict[str, Any], walk: _Repost) -> Iterator[Any]:
        home = base_url(acc.get("uri")) or base_url(acc.get("url"))
        username = acc.get("username")
        if home is None or host_key(home) not in self.active or not isinstance(username, str):
            self.stats.inc_value("scout/mastodon/reposters_unverifiable")
            return
        yield self._account_request(home, username, self.parse_reposter, -1, walk=walk)

    def _looked_up_account(
        self, response: Response, base: str, not_found: str, out: list[AccountItem]
    ) -> Iterator[Any]:
        """An ``accounts/lookup`` answer parsed into ``out`` (retries a broken body)."""
        if response.status != 200:
            self.stats.inc_value(not_found)
            return
        acc = self._json(response)
        if not isinstance(acc, dict):
            yield from self._retry_bad_body(response, "account lookup")
            return
        try:
            out.append(parse_account(acc, host_key(base), datetime.now(UTC)))
        except ParseError:
            self.stats.inc_value("scout/skipped/unparseable_account")

    def parse_reposter(self, response: Response, base: str, walk: _Repost) -> Iterator[Any]:
        found: list[AccountItem] = []
        yield from self._looked_up_account(
            response, base, "scout/mastodon/reposters_unverifiable", found
        )
        for item in found:
            yield item
            yield self._repost(item.account_id, walk)

    # ------------------------------------------------------------------ mentioned accounts
    def _note_mentions(self, parsed: ParsedStatus) -> None:
        for account in parsed.accounts:
            self.seen_handles.add(account.handle.lower())
        for post in parsed.posts:
            self.mentioned.update(h.lower() for h in post.mentions)

    def mention_lookup_requests(self) -> list[scrapy.Request]:
        """Profiles of the most mentioned accounts not seen as authors, on their home
        instance when it is one being crawled (bounded by ``SCOUT_MENTION_LOOKUPS_MAX``)."""
        cap = self.settings.getint("SCOUT_MENTION_LOOKUPS_MAX")
        wanted = [
            (n, h) for h, n in self.mentioned.items() if h not in self.seen_handles and "@" in h
        ]
        if cap <= 0 or not wanted:
            return []
        known = self.store.known_handles([h for _, h in wanted])
        requests: list[scrapy.Request] = []
        for _n, handle in sorted(wanted, key=lambda nh: (-nh[0], nh[1])):
            if len(requests) >= cap:
                break
            user, _, host = handle.partition("@")
            base = self.active.get(host)
            if handle in known or base is None:
                continue
            requests.append(self._account_request(base, user, self.parse_mentioned, -2))
        return requests

    def parse_mentioned(self, response: Response, base: str) -> Iterator[Any]:
        found: list[AccountItem] = []
        yield from self._looked_up_account(
            response, base, "scout/mastodon/mentioned_not_found", found
        )
        for item in found:
            self.stats.inc_value("scout/mastodon/mentioned_looked_up")
            yield item
