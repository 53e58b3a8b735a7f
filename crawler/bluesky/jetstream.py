"""Bluesky live collection from a Jetstream websocket (the legacy v1 JSON wire).

One connection (again after a drop: :mod:`crawler.bluesky.jetstream_socket`) to
``.../subscribe?wantedCollections=app.bsky.feed.post&
wantedCollections=app.bsky.feed.repost[&cursor=TIME_US]``; ``#identity`` and
``#account`` events arrive whatever the collection filter.  For every event:

- **posts** (create/update): a cheap test on the raw record (text, record ``tags``, tag
  facets) and, for candidates, :func:`crawler.bluesky.parse.parse_post_record` and the
  exact test of :class:`crawler.core.matching.CampaignMatcher` (the rule the store's
  campaign tagging runs in SQL).  An update of a post
  already stored is stored again whatever it says now.
- **reposts** of a stored campaign post become a repost post (empty text, the
  original's hashtags, ``repost_of``) and a ``repost`` interaction, as on Mastodon.
  Likes are not collected (the public contract has no "like" interaction).
- **deletes** of a stored post or repost erase it (with its interactions).
- **identity** events of a stored account refresh its profile (the new handle).
- **account** events with ``active: false`` and ``status`` ``deleted`` or ``takendown``
  erase everything stored about the account (:meth:`Store.delete_account_data`).

Consent before storage: an author's items wait in
:class:`~crawler.bluesky.jetstream_held.HeldItems` until the author's full profile went
into the pipelines (``getProfiles`` through ``client``); without a ``client`` matched
posts are skipped and counted (``scout/jetstream/skipped_no_profile_source``).

Cursor: Jetstream's ``time_us`` (microseconds) is not monotonic.  Every
``checkpoint_events`` events or ``checkpoint_seconds`` seconds the held items are
resolved and a :class:`~crawler.core.items.CursorItem` (source ``jetstream:HOST``, key
``campaign:NAME``) goes through the chain: the storage step flushes everything before it
and then saves the cursor, so a killed consumer never skips what it did not store.  The
saved value is the largest ``time_us`` seen (or, while some items still wait for a
profile, just below the oldest of them); a connection resumes from it minus
``safety_margin`` seconds.  Events seen twice are harmless (keyed upserts).  Jetstream
keeps about 36 hours: an older cursor is clamped by the server, and counted here.

Memory stays flat: the only state that grows is the set of stored campaign posts and
accounts (campaign-sized, loaded from DuckDB at start), the profile cache is bounded
and expires, the held items are bounded, and the chain's run-wide duplicate filter is
emptied every ``profile_ttl`` seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from atproto import AtUri

from crawler.bluesky.jetstream_held import HeldItems, ProfileSource
from crawler.bluesky.jetstream_records import STATS, Matcher, iso_us, repost_items, time_us_of
from crawler.bluesky.jetstream_socket import Sessions, Until
from crawler.bluesky.parse import POST_COLLECTION, account_id_of, parse_post_record, post_id_of
from crawler.core.errors import ParseError
from crawler.core.items import AccountItem, CursorItem, InteractionItem, PostItem
from crawler.core.protocols import BlueskyLiveStore, ItemSink

if TYPE_CHECKING:
    from crawler.core.config import Campaign

logger = logging.getLogger(__name__)

__all__ = ["JetstreamConsumer", "Matcher", "ProfileSource"]

REPOST_COLLECTION = "app.bsky.feed.repost"
DEFAULT_COLLECTIONS: tuple[str, ...] = (POST_COLLECTION, REPOST_COLLECTION)
LOOKBACK = timedelta(hours=36)
ERASING_STATUSES = frozenset({"deleted", "takendown"})


class JetstreamConsumer:
    """Reads a Jetstream websocket into the pipeline chain; see the module docstring."""

    def __init__(
        self,
        campaign: Campaign,
        store: BlueskyLiveStore,
        chain: ItemSink,
        *,
        url: str | None = None,
        client: ProfileSource | None = None,
        collections: Sequence[str] = DEFAULT_COLLECTIONS,
        checkpoint_events: int = 2000,
        checkpoint_seconds: float = 10.0,
        safety_margin: float = 5.0,
        profile_wait: float = 2.0,
        profile_ttl: float = 3600.0,
        profile_cache_size: int = 20_000,
        max_held: int = 5000,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        idle_timeout: float = 60.0,
        open_timeout: float = 10.0,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        url = url or (campaign.bluesky.jetstream if campaign.bluesky else None)
        if not url:
            raise ValueError("no Jetstream URL: set [bluesky] jetstream in the campaign file")
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError(f"not a ws(s) URL: {url!r}")
        self.campaign = campaign
        self.store = store
        self.chain = chain
        self.stats = chain.stats
        self.collections = tuple(collections)
        self.base_url = url
        self.host = parts.netloc.lower()
        self.source = f"jetstream:{self.host}"
        self.cursor_key = f"campaign:{campaign.name}"
        self.matcher = Matcher(campaign.matcher)
        self.checkpoint_events = max(1, checkpoint_events)
        self.checkpoint_seconds = checkpoint_seconds
        self.margin_us = int(safety_margin * 1e6)
        self.sessions = Sessions(
            self.host,
            self.stats,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            idle_timeout=idle_timeout,
            open_timeout=open_timeout,
            max_message_bytes=max_message_bytes,
        )

        # state (bounded; see the module docstring)
        self.known_posts: dict[str, list[str]] = {}  # stored campaign post -> its hashtags
        self.known_reposts: set[str] = set()
        self.known_accounts: set[str] = set()  # stored accounts
        self.known_targets: set[str] = set()  # stored interactions' target accounts
        self.held = HeldItems(
            client,
            self.stats,
            self._release,
            wait=profile_wait,
            ttl=profile_ttl,
            cache_size=profile_cache_size,
            max_held=max_held,
        )
        self.max_seen_us: int | None = None
        self.saved_us: int | None = None
        self.events = 0
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self._window_start = time.monotonic()

    # --- public --------------------------------------------------------------------
    def run(
        self,
        stop: threading.Event | None = None,
        max_events: int | None = None,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """Consume until ``stop`` is set, ``max_events`` events were handled or
        ``duration`` seconds passed, reconnecting meanwhile (see
        :mod:`crawler.bluesky.jetstream_socket`).  Returns ``cursor`` (the saved
        ``time_us``) and ``events`` (the counters are in the chain's stats)."""
        until = Until(
            stop or threading.Event(),
            time.monotonic() + duration if duration is not None else None,
            lambda: max_events is not None and self.events >= max_events,
        )
        self._load_known()
        saved = self.store.get_cursor(self.source, self.cursor_key)
        if saved and saved.strip().isdigit():
            self.saved_us = int(saved)
        try:
            self.sessions.run(
                self.subscribe_url,
                self.handle_message,
                self._maybe_checkpoint,
                self._checkpoint,
                until,
            )
        finally:
            self._checkpoint()
        return {"cursor": self.saved_us, "events": self.events}

    def subscribe_url(self) -> str:
        """The websocket URL with the collection filter and the resume cursor."""
        parts = urlsplit(self.base_url)
        path = parts.path if parts.path not in ("", "/") else "/subscribe"
        query: list[tuple[str, str]] = [("wantedCollections", c) for c in self.collections]
        cursor = self.resume_cursor()
        if cursor is not None:
            query.append(("cursor", str(cursor)))
        extra = parts.query + "&" if parts.query else ""
        return urlunsplit((parts.scheme, parts.netloc, path, extra + urlencode(query), ""))

    def resume_cursor(self) -> int | None:
        known = [t for t in (self.max_seen_us, self.saved_us) if t is not None]
        if not known:
            return None
        cursor = max(known) - self.margin_us
        floor = int((datetime.now(UTC) - LOOKBACK).timestamp() * 1e6)
        if cursor < floor:
            self.stats.inc_value(STATS + "cursor_beyond_lookback")
            logger.warning(
                "Jetstream cursor %s is older than the ~36 h the server keeps: events "
                "between then and the server's oldest are lost to live mode (a crawl "
                "backfills them)",
                iso_us(cursor),
            )
        return cursor

    # --- events --------------------------------------------------------------------
    def handle_message(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            self.stats.inc_value(STATS + "bad_messages")
            return
        self.handle_event(event)

    def handle_event(self, event: dict[str, Any]) -> None:
        """One decoded Jetstream v1 event (``commit``, ``identity`` or ``account``)."""
        self.events += 1
        self._since_checkpoint += 1
        t = time_us_of(event.get("time_us"))
        did = event.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            self.stats.inc_value(STATS + "bad_events")
            return
        kind = event.get("kind")
        try:
            if kind == "commit":
                self._commit(did, t, event.get("commit"))
            elif kind == "identity":
                self._identity(did, event.get("identity"))
            elif kind == "account":
                self._account(did, event.get("account"))
            else:
                self.stats.inc_value(STATS + "other_events")
        finally:
            # counted only once handled: a cursor never covers an event still in flight
            if t is not None and (self.max_seen_us is None or t > self.max_seen_us):
                self.max_seen_us = t

    def _commit(self, did: str, t: int | None, commit: Any) -> None:
        if not isinstance(commit, dict):
            self.stats.inc_value(STATS + "bad_events")
            return
        collection, op, rkey = commit.get("collection"), commit.get("operation"), commit.get("rkey")
        if not isinstance(rkey, str) or not rkey:
            self.stats.inc_value(STATS + "bad_events")
            return
        uri = str(AtUri.make(did, str(collection), rkey))
        post_id, record = post_id_of(uri), commit.get("record")
        if collection == POST_COLLECTION:
            self.stats.inc_value(STATS + "posts_seen")
            if op == "delete" and post_id in self.known_posts:
                self._delete_post(post_id)
            elif op in ("create", "update") and isinstance(record, dict):
                self._post(did, t, uri, record, op == "update" and post_id in self.known_posts)
        elif collection == REPOST_COLLECTION:
            if op == "delete" and post_id in self.known_reposts:
                self._delete_post(post_id)
            elif op == "create" and isinstance(record, dict):
                self._repost(did, t, uri, record)
        else:
            self.stats.inc_value(STATS + "other_commits")

    def _post(self, did: str, t: int | None, uri: str, record: dict[str, Any], known: bool) -> None:
        """A created or updated post: held when it matches, or when ``known`` (an update
        of a stored post, whatever it says now)."""
        if not known and not self.matcher.candidate(record):
            return
        try:
            parsed = parse_post_record(uri, record, datetime.now(UTC), self.host)
        except ParseError as exc:
            self.stats.inc_value("scout/skipped/unparseable_post")
            logger.warning("unparseable Jetstream post %s: %s", uri, exc)
            return
        if not known and not any(self.matcher.matches(p) for p in parsed.posts):
            self.stats.inc_value(STATS + "candidates_rejected")
            return
        self.stats.inc_value(STATS + "posts_matched")
        self.held.hold(did, t, parsed.all_items())

    def _repost(self, did: str, t: int | None, uri: str, record: dict[str, Any]) -> None:
        """A repost: held when it reposts a stored campaign post."""
        subject = record.get("subject")
        subject_uri = subject.get("uri") if isinstance(subject, dict) else None
        if not isinstance(subject_uri, str):
            return
        tags = self.known_posts.get(post_id_of(subject_uri))
        if tags is None:
            return
        self.stats.inc_value(STATS + "reposts_matched")
        self.held.hold(did, t, repost_items(did, uri, record, subject_uri, tags, self.host))

    def _identity(self, did: str, identity: Any) -> None:
        self.stats.inc_value(STATS + "identity_events")
        account_id = account_id_of(did)
        if account_id not in self.known_accounts:
            return
        handle = identity.get("handle") if isinstance(identity, dict) else None
        if not isinstance(handle, str) or not handle:
            return
        # the full profile again (new handle); the run-wide duplicate filter must let it in
        if not self.held.refresh(did):
            self.stats.inc_value(STATS + "identity_not_refreshed")
            return
        self.chain.forget_account(account_id)
        self.stats.inc_value(STATS + "identity_refreshes")

    def _account(self, did: str, account: Any) -> None:
        self.stats.inc_value(STATS + "account_events")
        if not isinstance(account, dict) or account.get("active") is not False:
            return
        status = account.get("status")
        if status not in ERASING_STATUSES:
            return
        account_id = account_id_of(did)
        self.held.erase(did)
        prefix = post_id_of(str(AtUri(did)))  # "at://DID/"
        mine = [p for p in [*self.known_posts, *self.known_reposts] if p.startswith(prefix)]
        if (
            account_id not in self.known_accounts
            and account_id not in self.known_targets
            and not mine
        ):
            return
        self.chain.flush()  # nothing of it may be written after the erasure
        removed = self.store.delete_account_data(account_id)
        self._forget_posts(mine)
        self.known_accounts.discard(account_id)
        self.known_targets.discard(account_id)
        self.stats.inc_value(STATS + f"accounts_erased/{status}")
        logger.info("Jetstream: %s %s: erased %s", account_id, status, removed)

    def _release(self, items: list[Any]) -> None:
        """Items whose author's profile went through: into the chain, and what was kept
        into the known sets."""
        for item in items:
            out = self.chain.process(item)
            if isinstance(out, AccountItem):
                self.known_accounts.add(out.account_id)
            elif isinstance(out, PostItem):
                if out.repost_of:
                    self.known_reposts.add(out.post_id)
                else:
                    self.known_posts[out.post_id] = list(out.hashtags)
                self.known_accounts.add(out.account_id)
            elif isinstance(out, InteractionItem) and out.dst_account_id:
                self.known_targets.add(out.dst_account_id)

    # --- checkpoints ----------------------------------------------------------------
    def _maybe_checkpoint(self) -> None:
        now = time.monotonic()
        if self.held.due(now):
            self.held.resolve()
        if (
            self._since_checkpoint >= self.checkpoint_events
            or now - self._last_checkpoint >= self.checkpoint_seconds
        ):
            self._checkpoint()
        if now - self._window_start >= self.held.ttl:
            # a new "session": profiles are fetched again (opt-outs seen within the ttl)
            # and the chain's run-wide duplicate filter starts empty (flat memory)
            self._window_start = now
            self.held.forget_profiles()
            self.chain.forget_seen()

    def _checkpoint(self) -> None:
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self.held.resolve()
        if self.max_seen_us is None:
            return
        cursor = self.max_seen_us
        oldest = self.held.oldest_us()
        if oldest is not None:
            cursor = min(cursor, oldest - 1)
        if self.saved_us is not None and cursor <= self.saved_us:
            return
        self.chain.process(CursorItem(self.source, self.cursor_key, str(cursor)))
        self.saved_us = cursor

    # --- storage helpers ------------------------------------------------------------
    def _load_known(self) -> None:
        """Stored Bluesky campaign posts, reposts of them, accounts and interaction
        targets: what reposts, deletes and account events are checked against."""
        known = self.store.bluesky_known(self.matcher.campaign)
        self.known_posts.update(known["posts"])
        self.known_reposts.update(known["reposts"])
        self.known_accounts.update(known["accounts"])
        self.known_targets.update(known["targets"])

    def _delete_post(self, post_id: str) -> None:
        """Erase a post (or repost) its author deleted, with what points at it."""
        self.chain.flush()
        self.store.delete_posts([post_id])
        self._forget_posts([post_id])
        self.chain.forget_post(post_id)
        self.stats.inc_value(STATS + "posts_erased")

    def _forget_posts(self, post_ids: list[str]) -> None:
        for p in post_ids:
            self.known_posts.pop(p, None)
            self.known_reposts.discard(p)
