"""Followers and follows of the campaign's Bluesky seed accounts, and starter-pack members.

:class:`SeedWalker` is a part of :class:`~crawler.bluesky.collector.BlueskyCollector`:
it makes its calls through the collector (same client and session, same rate-limit
reserve, same fault policy) and yields items for the same pipeline chain.

- Per seed (``[seeds] accounts``, the Bluesky ones): ``app.bsky.actor.getProfile`` (its
  AccountItem first). A seed the server does not know, or one that opted out
  (``!no-unauthenticated``, ``#nobot`` in its profile), ends both lists as
  ``not_found``; they are not read.
- Then ``app.bsky.graph.getFollowers`` and ``getFollows`` (100 a page, cursor): each
  listed account's AccountItem, then its FollowItem (follower -> seed, seed -> followed),
  at most ``[seeds] followers_max`` accounts per list.
- Per starter pack (``[seeds] starter_packs``): the creator's handle resolved to a DID
  (``com.atproto.identity.resolveHandle``) when needed, ``app.bsky.graph.getStarterPack``
  (the creator's AccountItem), then the pack's list with ``app.bsky.graph.getList``
  (100 a page): each member's AccountItem, then a ListMemberItem (``list_id`` = the
  pack's at:// URI). A creator who opted out: the pack is not read.
- Each list's walk ends with a :class:`SeedListItem` (``list_id`` ``<seed
  account_id>#followers`` / ``#following`` or the pack's URI): ``complete``,
  ``truncated`` (``followers_max`` reached), ``refused`` (a page the server refused),
  ``failed`` (a page still failing after the retries: skipped and counted, the next list
  goes on) or ``not_found``. The store marks the edges of a complete walk not seen
  since it started gone; every walk a run starts starts with the run's seed walk, so an
  edge two lists share (seeds following each other) counts as seen by both.
- Page-level resume (:mod:`crawler.core.resume`): after each page a cursor
  ``seed:<list_id>`` holds the next page cursor, when the walk started and how many
  accounts it listed; a killed or failed walk continues there on the next run (with
  its original start, so what the first part saw is not marked gone). It is cleared
  when the walk ends otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from atproto import models

from crawler.bluesky.faults import RequestFailed, classify
from crawler.bluesky.parse import PLATFORM, account_id_of, parse_profile
from crawler.core.consent import opt_out_reason
from crawler.core.errors import ParseError
from crawler.core.items import (
    AccountItem,
    CursorItem,
    FollowItem,
    ListMemberItem,
    SeedListItem,
)
from crawler.core.resume import CLEARED
from crawler.core.seeds import STARTER_PACK_COLLECTION, SeedAccount, StarterPack
from crawler.core.text import parse_timestamp

if TYPE_CHECKING:
    from crawler.bluesky.collector import BlueskyCollector

logger = logging.getLogger(__name__)

LIST_PAGE = 100  # getFollowers / getFollows / getList maximum
CURSOR_PREFIX = "seed:"
# kind -> (method, the answer's list field, the model that checks the answer)
_FOLLOW_CALLS: dict[str, tuple[str, str, Any, Any]] = {
    "followers": (
        "app.bsky.graph.getFollowers",
        "followers",
        models.AppBskyGraphGetFollowers.Params,
        models.AppBskyGraphGetFollowers.Response,
    ),
    "following": (
        "app.bsky.graph.getFollows",
        "follows",
        models.AppBskyGraphGetFollows.Params,
        models.AppBskyGraphGetFollows.Response,
    ),
}

Page = tuple[list[Any], str | None]  # (the page's profile views, the next page cursor)


@dataclass(frozen=True)
class ListWalk:
    """Where an unfinished walk of one list stands (the value of its cursor)."""

    cursor: str  # the next page's cursor
    started_at: str  # ISO time the walk started (edges older than it may be gone)
    items: int  # accounts listed so far

    def encode(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def decode(cls, value: str | None) -> ListWalk | None:
        """The stored walk, or ``None`` (none, cleared, or unreadable: start over)."""
        try:
            raw = json.loads(value) if value else None
        except ValueError:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("cursor"), str):
            return None
        started, items = raw.get("started_at"), raw.get("items")
        if not raw["cursor"] or not isinstance(started, str) or parse_timestamp(started) is None:
            return None
        return cls(raw["cursor"], started, items if isinstance(items, int) else 0)


def _refused(exc: RequestFailed) -> bool:
    """Whether the server refused the call (400, 404, ...) rather than kept failing:
    the collector raises :class:`RequestFailed` from inside the handler of the cause."""
    kind = classify(exc.__context__) if exc.__context__ is not None else None
    return kind is not None and not kind[0]


class SeedWalker:
    """``SeedWalker(collector).run()`` yields the seed lists' items, in order."""

    def __init__(self, collector: BlueskyCollector) -> None:
        self.c = collector
        self.campaign = collector.campaign
        self.seeds = collector.campaign.seeds
        self.source = f"bluesky:{collector.host}"
        # every list this run starts counts from here: an edge two lists share (a seed
        # following another) is passed on once a run (the dedupe step), and must not be
        # taken for gone by the list that saw it second
        self.started = datetime.now(UTC)

    def run(self) -> Iterator[Any]:
        for seed in self.seeds.parsed_accounts(PLATFORM):
            yield from self.seed(seed)
        for pack in self.seeds.parsed_starter_packs():
            yield from self.starter_pack(pack)

    # --- the calls (through the collector: its client, reserve and fault policy) ------
    def _get(self, nsid: str, params: Any, model: Any) -> dict[str, Any]:
        return self.c._query(nsid, params, public=True, model=model)

    def _opted_out(self, account: AccountItem) -> str | None:
        if not self.campaign.privacy.respect_opt_outs:
            return None
        why = opt_out_reason(account)
        return f"opted out ({why})" if why else None

    def _end(
        self,
        list_id: str,
        seed: str,
        account_id: str | None,
        kind: str,
        status: str,
        started: datetime,
        items: int = 0,
        reason: str | None = None,
    ) -> SeedListItem:
        return SeedListItem(
            list_id=list_id,
            campaign=self.campaign.name,
            seed=seed,
            account_id=account_id,
            kind=kind,
            platform=PLATFORM,
            status=status,
            started_at=started,
            items=items,
            reason=reason,
        )

    def _lost(self, what: str, exc: Exception) -> str:
        """A call given up: ``refused`` or ``failed`` (counted as a skipped page; so is
        an answer that cannot be read)."""
        if isinstance(exc, RequestFailed) and _refused(exc):
            self.c.stats.inc_value("scout/bluesky/seed_refusals")
            logger.info("%s %s: refused (%s)", self.c.host, what, exc)
            return "refused"
        self.c._skipped(what, exc)
        return "failed"

    # --- seed accounts ------------------------------------------------------------------
    def seed(self, seed: SeedAccount) -> Iterator[Any]:
        started = self.started
        try:
            view = self._get(
                "app.bsky.actor.getProfile",
                models.AppBskyActorGetProfile.Params(actor=seed.actor),
                models.AppBskyActorDefs.ProfileViewDetailed,
            )
            account = parse_profile(view, datetime.now(UTC))
        except (RequestFailed, ParseError) as exc:
            status = self._lost(f"seed {seed.raw}", exc)
            status = "not_found" if status == "refused" else status
            for kind in _FOLLOW_CALLS:
                list_id = f"{account_id_of(seed.actor)}#{kind}"
                yield self._end(list_id, seed.raw, None, kind, status, started, 0, str(exc))
            return
        seed_id = account.account_id
        self.c.profiles_done.add(seed_id)
        yield account  # the consent step sees the seed itself first
        did = seed_id.removeprefix("bluesky:")
        opted_out = self._opted_out(account)
        if opted_out:
            self.c.stats.inc_value("scout/bluesky/seeds_opted_out")
        for kind, (nsid, field, params, model) in _FOLLOW_CALLS.items():
            list_id = f"{seed_id}#{kind}"
            if opted_out:
                yield self._end(
                    list_id, seed.raw, seed_id, kind, "not_found", started, 0, opted_out
                )
                continue

            def fetch(
                cursor: str | None,
                nsid: str = nsid,
                field: str = field,
                p: Any = params,
                m: Any = model,
            ) -> Page:
                body = self._get(nsid, p(actor=did, limit=LIST_PAGE, cursor=cursor), m)
                return list(body.get(field) or []), body.get("cursor")

            def edge(other: str, followers: bool = kind == "followers") -> FollowItem:
                src, dst = (other, seed_id) if followers else (seed_id, other)
                return FollowItem(src, dst, PLATFORM, datetime.now(UTC))

            yield from self._walk(seed.raw, seed_id, list_id, kind, fetch, edge)

    # --- starter packs ------------------------------------------------------------------
    def starter_pack(self, pack: StarterPack) -> Iterator[Any]:
        started = self.started
        kind = "starter_pack"
        uri, creator_id = pack.uri, None
        try:
            if uri is None:
                did = self._get(
                    "com.atproto.identity.resolveHandle",
                    models.ComAtprotoIdentityResolveHandle.Params(handle=pack.creator),
                    models.ComAtprotoIdentityResolveHandle.Response,
                )["did"]
                uri = f"at://{did}/{STARTER_PACK_COLLECTION}/{pack.rkey}"
            creator_id = account_id_of(uri.removeprefix("at://").split("/", 1)[0])
            body = self._get(
                "app.bsky.graph.getStarterPack",
                models.AppBskyGraphGetStarterPack.Params(starter_pack=uri),
                models.AppBskyGraphGetStarterPack.Response,
            )
            view = body["starterPack"]
            creator = parse_profile(view["creator"], datetime.now(UTC))
            list_uri = (view.get("list") or {}).get("uri")
        except (RequestFailed, ParseError, KeyError, TypeError, AttributeError) as exc:
            status = self._lost(f"starter pack {pack.raw}", exc)
            status = "not_found" if status == "refused" else status
            why = str(exc) if isinstance(exc, RequestFailed | ParseError) else "malformed answer"
            yield self._end(uri or pack.raw, pack.raw, creator_id, kind, status, started, 0, why)
            return
        creator_id = creator.account_id
        yield creator
        opted_out = self._opted_out(creator)
        if opted_out or not isinstance(list_uri, str):
            why = opted_out or "the starter pack has no list"
            yield self._end(uri, pack.raw, creator_id, kind, "not_found", started, 0, why)
            return

        def fetch(cursor: str | None) -> Page:
            body = self._get(
                "app.bsky.graph.getList",
                models.AppBskyGraphGetList.Params(list=list_uri, limit=LIST_PAGE, cursor=cursor),
                models.AppBskyGraphGetList.Response,
            )
            items = body.get("items") or []
            return [it.get("subject") for it in items if isinstance(it, dict)], body.get("cursor")

        def member(account_id: str, pack_uri: str = uri) -> Any:
            return ListMemberItem(pack_uri, account_id, PLATFORM, datetime.now(UTC))

        yield from self._walk(pack.raw, creator_id, uri, kind, fetch, member)

    # --- one list, page by page ---------------------------------------------------------
    def _walk(
        self,
        seed: str,
        account_id: str,
        list_id: str,
        kind: str,
        fetch: Callable[[str | None], Page],
        edge: Callable[[str], Any],
    ) -> Iterator[Any]:
        """Page one list: each listed account, then its edge; a cursor after each page;
        the :class:`SeedListItem` at the end."""
        key = CURSOR_PREFIX + list_id
        left = ListWalk.decode(self.c.cursors.get_cursor(self.source, key))
        started = self.started
        cursor: str | None = None
        items = 0
        if left is not None:
            self.c.stats.inc_value("scout/bluesky/seed_walks_resumed")
            started = parse_timestamp(left.started_at) or started
            cursor, items = left.cursor, left.items
        cap = self.seeds.followers_max
        seen: set[str] = set()  # an account listed twice (the list moved between pages)
        status, reason, saved = "complete", None, left is not None
        while status == "complete":
            try:
                views, next_cursor = fetch(cursor)
            except RequestFailed as exc:
                status, reason = self._lost(f"{kind} of {seed}", exc), str(exc)
                break
            self.c.stats.inc_value("scout/bluesky/seed_pages")
            now = datetime.now(UTC)
            for view in views:
                if items >= cap:
                    status = "truncated"
                    break
                try:
                    account = parse_profile(view, now)
                except ParseError as exc:
                    self.c.stats.inc_value("scout/skipped/unparseable_profile")
                    logger.warning("unparseable Bluesky profile in %s: %s", list_id, exc)
                    continue
                if account.account_id in seen or (
                    account.account_id == account_id and kind != "starter_pack"
                ):  # a creator may list themself in their pack; nobody follows themself
                    continue
                seen.add(account.account_id)
                items += 1
                yield account  # before the edge: consent judges the account first
                yield edge(account.account_id)
            if status != "complete" or not next_cursor or not views:
                break
            if items >= cap:
                status = "truncated"
                break
            cursor = next_cursor
            yield CursorItem(
                self.source, key, ListWalk(cursor, started.isoformat(), items).encode()
            )
            saved = True
        self.c.stats.inc_value("scout/bluesky/seed_accounts", items)
        yield self._end(list_id, seed, account_id, kind, status, started, items, reason)
        if saved and status != "failed":  # a failed walk continues where it stopped
            yield CursorItem(self.source, key, CLEARED)
