"""Bluesky live collection from a Jetstream websocket (the legacy v1 JSON wire).

One connection to ``.../subscribe?wantedCollections=app.bsky.feed.post&
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

Consent before storage: nothing of an account goes into the pipelines before its full
profile (bio, self-labels) does, so the consent step decides on the profile.  Items are
held per author until ``getProfiles`` (through ``client``, 25 DIDs a call, cached for
``profile_ttl`` seconds) answers.  Without a ``client`` matched posts are **skipped and
counted** (``scout/jetstream/skipped_no_profile_source``): storing them without a profile
could store an account that opted out.  An author the service does not return (deleted,
suspended) is skipped too.

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
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from crawler.bluesky.parse import (
    FACET_TAG,
    POST_COLLECTION,
    account_id_of,
    parse_post_record,
    parse_timestamp,
    post_id_of,
    post_url,
)
from crawler.core.items import AccountItem, CursorItem, InteractionItem, PostItem
from crawler.core.matching import CampaignMatcher
from pipelines.dedupe import DedupePipeline

if TYPE_CHECKING:
    from crawler.core.config import Campaign
    from crawler.db.store import Store
    from pipelines.chain import PipelineChain

logger = logging.getLogger(__name__)

REPOST_COLLECTION = "app.bsky.feed.repost"
DEFAULT_COLLECTIONS: tuple[str, ...] = (POST_COLLECTION, REPOST_COLLECTION)
LOOKBACK = timedelta(hours=36)
ERASING_STATUSES = frozenset({"deleted", "takendown"})
PROFILE_BATCH = 25
_S = "scout/jetstream/"


class ProfileSource(Protocol):
    """What the consumer needs from a Bluesky API client: full profiles by DID.

    :class:`crawler.bluesky.collector.BlueskyCollector` is one (``get_profiles``)."""

    def get_profiles(self, dids: list[str]) -> list[AccountItem]: ...


class Matcher:
    """The campaign's :class:`CampaignMatcher`, applied to raw Jetstream records (their
    text, ``tags`` and tag facets) and to parsed posts."""

    def __init__(self, campaign: CampaignMatcher) -> None:
        self.campaign = campaign
        self.tags = campaign.tags

    @staticmethod
    def _record_tags(record: dict[str, Any]) -> Iterator[str]:
        tags = record.get("tags")
        for t in tags if isinstance(tags, list) else ():
            if isinstance(t, str):
                yield t
        facets = record.get("facets")
        for facet in facets if isinstance(facets, list) else ():
            features = facet.get("features") if isinstance(facet, dict) else None
            for f in features if isinstance(features, list) else ():
                if isinstance(f, dict) and f.get("$type") == FACET_TAG:
                    tag = f.get("tag")
                    if isinstance(tag, str):
                        yield tag

    def candidate(self, record: dict[str, Any]) -> bool:
        """The test on a raw ``app.bsky.feed.post`` record: False means no match."""
        text = record.get("text")
        return self.campaign.matches(
            text if isinstance(text, str) else None, self._record_tags(record)
        )

    def matches(self, post: PostItem) -> bool:
        return self.campaign.matches(post.text, post.hashtags)


class _Held:
    """Items of one author waiting for the author's profile."""

    __slots__ = ("items", "oldest_us", "refresh")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.oldest_us: int | None = None
        self.refresh = False


def _time_us(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 else None


def _iso_us(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1e6, UTC).isoformat()


class JetstreamConsumer:
    """Reads a Jetstream websocket into the pipeline chain; see the module docstring."""

    def __init__(
        self,
        campaign: Campaign,
        store: Store,
        chain: PipelineChain,
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
        self.client = client
        self.collections = tuple(collections)
        self.base_url = url
        self.host = parts.netloc.lower()
        self.source = f"jetstream:{self.host}"
        self.cursor_key = f"campaign:{campaign.name}"
        self.matcher = Matcher(campaign.matcher)
        self.checkpoint_events = max(1, checkpoint_events)
        self.checkpoint_seconds = checkpoint_seconds
        self.margin_us = int(safety_margin * 1e6)
        self.profile_wait = profile_wait
        self.profile_ttl = profile_ttl
        self.profile_cache_size = profile_cache_size
        self.max_held = max_held
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.idle_timeout = idle_timeout
        self.open_timeout = open_timeout
        self.max_message_bytes = max_message_bytes
        self.dedupe = next((s for s in chain.steps if isinstance(s, DedupePipeline)), None)

        # state (bounded; see the module docstring)
        self.known_posts: dict[str, list[str]] = {}  # stored campaign post -> its hashtags
        self.known_reposts: set[str] = set()
        self.known_accounts: set[str] = set()  # stored accounts
        self.known_targets: set[str] = set()  # stored interactions' target accounts
        self.profiles: OrderedDict[str, float] = OrderedDict()  # did -> fetched at
        self.held: OrderedDict[str, _Held] = OrderedDict()
        self.held_count = 0
        self.max_seen_us: int | None = None
        self.saved_us: int | None = None
        self.events = 0
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self._first_held_at: float | None = None
        self._window_start = time.monotonic()

    # --- public --------------------------------------------------------------------
    def run(
        self,
        stop: threading.Event | None = None,
        max_events: int | None = None,
        duration: float | None = None,
    ) -> dict[str, Any]:
        """Consume until ``stop`` is set, ``max_events`` events were handled or
        ``duration`` seconds passed; reconnects with exponential backoff (and jitter)
        meanwhile.  Returns the chain's stats plus ``cursor`` (the saved ``time_us``)."""
        stop = stop or threading.Event()
        deadline = time.monotonic() + duration if duration is not None else None
        self._load_known()
        saved = self.store.get_cursor(self.source, self.cursor_key)
        if saved and saved.strip().isdigit():
            self.saved_us = int(saved)
        failures = 0

        def done() -> bool:
            return (
                stop.is_set()
                or (max_events is not None and self.events >= max_events)
                or (deadline is not None and time.monotonic() >= deadline)
            )

        try:
            while not done():
                url = self.subscribe_url()
                try:
                    if self._connection(url, done, deadline):
                        failures = 0
                except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                    self.stats.inc_value(_S + "connect_errors")
                    logger.warning("Jetstream %s: %s", self.host, exc)
                except ConnectionClosed as exc:
                    self.stats.inc_value(_S + "disconnects")
                    logger.info("Jetstream %s: connection closed (%s)", self.host, exc)
                if done():
                    break
                delay = min(self.backoff_max, self.backoff_initial * 2.0**failures)
                delay *= 0.5 + random.random() / 2  # jitter
                if deadline is not None:
                    delay = min(delay, max(0.0, deadline - time.monotonic()))
                failures += 1
                self.stats.inc_value(_S + "reconnects")
                self._checkpoint()  # store what we have while we wait
                stop.wait(delay)
        finally:
            self._checkpoint()
        out = self.chain.stats.get_stats()
        out["cursor"] = self.saved_us
        out["events"] = self.events
        return out

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
            self.stats.inc_value(_S + "cursor_beyond_lookback")
            logger.warning(
                "Jetstream cursor %s is older than the ~36 h the server keeps: events "
                "between then and the server's oldest are lost to live mode (a crawl "
                "backfills them)",
                _iso_us(cursor),
            )
        return cursor

    # --- connection ----------------------------------------------------------------
    def _connection(self, url: str, done: Any, deadline: float | None) -> bool:
        """One websocket session; True when it delivered at least one event."""
        got = False
        with connect(
            url,
            open_timeout=self.open_timeout,
            close_timeout=2,
            max_size=self.max_message_bytes,
            proxy=None,
            user_agent_header="eci-scout (+https://github.com/eci-scout)",
        ) as ws:
            self.stats.inc_value(_S + "connections")
            logger.info("Jetstream %s: connected (%s)", self.host, url)
            last = time.monotonic()
            while not done():
                timeout = 0.5
                if deadline is not None:
                    timeout = max(0.01, min(timeout, deadline - time.monotonic()))
                try:
                    message = ws.recv(timeout=timeout)
                except TimeoutError:
                    if time.monotonic() - last > self.idle_timeout:
                        self.stats.inc_value(_S + "idle_reconnects")
                        logger.warning(
                            "Jetstream %s: silent for %.0f s", self.host, self.idle_timeout
                        )
                        return got
                    self._maybe_checkpoint()
                    continue
                last = time.monotonic()
                got = True
                self.handle_message(message)
                self._maybe_checkpoint()
        return got

    # --- events --------------------------------------------------------------------
    def handle_message(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            self.stats.inc_value(_S + "bad_messages")
            return
        if not isinstance(event, dict):
            self.stats.inc_value(_S + "bad_messages")
            return
        self.handle_event(event)

    def handle_event(self, event: dict[str, Any]) -> None:
        """One decoded Jetstream v1 event (``commit``, ``identity`` or ``account``)."""
        self.events += 1
        self._since_checkpoint += 1
        t = _time_us(event.get("time_us"))
        did = event.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            self.stats.inc_value(_S + "bad_events")
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
                self.stats.inc_value(_S + "other_events")
        finally:
            # counted only once handled: a cursor never covers an event still in flight
            if t is not None and (self.max_seen_us is None or t > self.max_seen_us):
                self.max_seen_us = t

    def _commit(self, did: str, t: int | None, commit: Any) -> None:
        if not isinstance(commit, dict):
            self.stats.inc_value(_S + "bad_events")
            return
        collection, op, rkey = commit.get("collection"), commit.get("operation"), commit.get("rkey")
        if not isinstance(rkey, str) or not rkey:
            self.stats.inc_value(_S + "bad_events")
            return
        uri = f"at://{did}/{collection}/{rkey}"
        if collection == POST_COLLECTION:
            self.stats.inc_value(_S + "posts_seen")
            if op == "delete":
                if post_id_of(uri) in self.known_posts:
                    self._delete_posts([post_id_of(uri)])
                return
            record = commit.get("record")
            if op not in ("create", "update") or not isinstance(record, dict):
                return
            known = op == "update" and post_id_of(uri) in self.known_posts
            if not known and not self.matcher.candidate(record):
                return
            try:
                parsed = parse_post_record(uri, record, datetime.now(UTC), self.host)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                self.stats.inc_value("scout/skipped/unparseable_post")
                logger.warning("unparseable Jetstream post %s: %s", uri, exc)
                return
            if not known and not any(self.matcher.matches(p) for p in parsed.posts):
                self.stats.inc_value(_S + "candidates_rejected")
                return
            self.stats.inc_value(_S + "posts_matched")
            self._hold(did, t, parsed.all_items())
        elif collection == REPOST_COLLECTION:
            repost_id = post_id_of(uri)
            if op == "delete":
                if repost_id in self.known_reposts:
                    self._delete_posts([repost_id])
                return
            record = commit.get("record")
            subject = record.get("subject") if isinstance(record, dict) else None
            subject_uri = subject.get("uri") if isinstance(subject, dict) else None
            if op != "create" or not isinstance(subject_uri, str):
                return
            original = post_id_of(subject_uri)
            tags = self.known_posts.get(original)
            if tags is None:
                return
            self.stats.inc_value(_S + "reposts_matched")
            author = account_id_of(did)
            parts = subject_uri[5:].split("/")
            created = parse_timestamp(record.get("createdAt")) if isinstance(record, dict) else None
            post = PostItem(
                post_id=repost_id,
                platform="bluesky",
                account_id=author,
                url=None,
                created_at=created,
                text="",
                hashtags=list(tags),
                repost_of=original,
                collected_at=datetime.now(UTC),
                source=self.host,
            )
            inter = InteractionItem(
                src_account_id=author,
                dst_account_id=account_id_of(parts[0]),
                kind="repost",
                post_id=repost_id,
                created_at=created,
            )
            self._hold(did, t, [post, inter])
        else:
            self.stats.inc_value(_S + "other_commits")

    def _identity(self, did: str, identity: Any) -> None:
        self.stats.inc_value(_S + "identity_events")
        account_id = account_id_of(did)
        if account_id not in self.known_accounts:
            return
        handle = identity.get("handle") if isinstance(identity, dict) else None
        if not isinstance(handle, str) or not handle:
            return
        if self.client is None:
            self.stats.inc_value(_S + "identity_not_refreshed")
            return
        # the full profile again (new handle); the run-wide duplicate filter must let it in
        self.profiles.pop(did, None)
        if self.dedupe is not None:
            self.dedupe.accounts.pop(account_id, None)
        entry = self.held.get(did)
        if entry is None:
            entry = self.held[did] = _Held()
            self._first_held_at = self._first_held_at or time.monotonic()
        entry.refresh = True
        self.stats.inc_value(_S + "identity_refreshes")

    def _account(self, did: str, account: Any) -> None:
        self.stats.inc_value(_S + "account_events")
        if not isinstance(account, dict) or account.get("active") is not False:
            return
        status = account.get("status")
        if status not in ERASING_STATUSES:
            return
        account_id = account_id_of(did)
        entry = self.held.pop(did, None)
        if entry is not None:
            self.held_count -= len(entry.items)
            self.stats.inc_value(_S + "held_items_erased", len(entry.items))
        self.profiles.pop(did, None)
        prefix = post_id_of(f"at://{did}/")
        mine = [p for p in self.known_posts if p.startswith(prefix)]
        mine += [p for p in self.known_reposts if p.startswith(prefix)]
        if (
            account_id not in self.known_accounts
            and account_id not in self.known_targets
            and not mine
        ):
            return
        self.chain.storage.flush()  # nothing of it may be written after the erasure
        removed = self.store.delete_account_data(account_id)
        for p in mine:
            self.known_posts.pop(p, None)
            self.known_reposts.discard(p)
        self.known_accounts.discard(account_id)
        self.known_targets.discard(account_id)
        self.stats.inc_value(_S + f"accounts_erased/{status}")
        logger.info("Jetstream: %s %s: erased %s", account_id, status, removed)

    # --- held items and profiles ----------------------------------------------------
    def _hold(self, did: str, t: int | None, items: list[Any]) -> None:
        if self._profile_known(did):
            self._release(items)
            return
        if self.client is None:
            self.stats.inc_value(_S + "skipped_no_profile_source")
            return
        entry = self.held.get(did)
        if entry is None:
            entry = self.held[did] = _Held()
        if self._first_held_at is None:
            self._first_held_at = time.monotonic()
        entry.items.extend(items)
        self.held_count += len(items)
        if t is not None and (entry.oldest_us is None or t < entry.oldest_us):
            entry.oldest_us = t
        if len(self.held) >= PROFILE_BATCH or self.held_count >= self.max_held:
            self._resolve(PROFILE_BATCH)
        # only when the profile service keeps failing: the oldest held items go
        while self.held_count > self.max_held and self.held:
            _, old = self.held.popitem(last=False)
            self.held_count -= len(old.items)
            self.stats.inc_value(_S + "held_items_dropped", len(old.items))

    def _profile_known(self, did: str) -> bool:
        fetched = self.profiles.get(did)
        if fetched is None:
            return False
        if time.monotonic() - fetched > self.profile_ttl:
            del self.profiles[did]
            return False
        self.profiles.move_to_end(did)
        return True

    def _resolve(self, limit: int | None = None) -> None:
        """Fetch the held authors' profiles, then let their items through the chain."""
        assert self.client is not None or not self.held
        while self.held and self.client is not None:
            dids = list(self.held)[:PROFILE_BATCH]
            try:
                accounts = self.client.get_profiles(dids)
            except Exception as exc:  # noqa: BLE001 (any client failure: retry later)
                self.stats.inc_value(_S + "profile_errors")
                logger.warning("Jetstream: getProfiles failed (%s): items kept for later", exc)
                return
            self.stats.inc_value(_S + "profile_batches")
            found = {a.account_id: a for a in accounts}
            now = time.monotonic()
            for did in dids:
                entry = self.held.pop(did, None)
                if entry is None:
                    continue
                self.held_count -= len(entry.items)
                account = found.get(account_id_of(did))
                if account is None:
                    self.stats.inc_value(_S + "skipped_no_profile", len(entry.items))
                    continue
                self.profiles[did] = now
                self.profiles.move_to_end(did)
                while len(self.profiles) > self.profile_cache_size:
                    self.profiles.popitem(last=False)
                if self.chain.process(account) is not None:
                    self.known_accounts.add(account.account_id)
                for item in entry.items:
                    if isinstance(item, PostItem) and item.repost_of is None:
                        # the record alone gave a DID URL; the profile gives the handle
                        item.url = post_url(account.handle, did, item.post_id[len("bluesky:") :])
                self._release(entry.items)
            if limit is not None:
                break
        if not self.held:
            self._first_held_at = None

    def _release(self, items: list[Any]) -> None:
        for item in items:
            out = self.chain.process(item)
            if isinstance(out, PostItem):
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
        if self._first_held_at is not None and now - self._first_held_at >= self.profile_wait:
            self._resolve()
        if (
            self._since_checkpoint >= self.checkpoint_events
            or now - self._last_checkpoint >= self.checkpoint_seconds
        ):
            self._checkpoint()
        if now - self._window_start >= self.profile_ttl:
            # a new "session": profiles are fetched again (opt-outs seen within the ttl)
            # and the chain's run-wide duplicate filter starts empty (flat memory)
            self._window_start = now
            self.profiles.clear()
            if self.dedupe is not None:
                self.dedupe.posts.clear()
                self.dedupe.accounts.clear()
                self.dedupe.interactions.clear()

    def _checkpoint(self) -> None:
        self._since_checkpoint = 0
        self._last_checkpoint = time.monotonic()
        self._resolve()
        if self.max_seen_us is None:
            return
        cursor = self.max_seen_us
        oldest = [e.oldest_us for e in self.held.values() if e.oldest_us is not None]
        if oldest:
            cursor = min(cursor, min(oldest) - 1)
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

    def _delete_posts(self, post_ids: list[str]) -> None:
        """Erase posts (and reposts) their authors deleted, with what points at them."""
        self.chain.storage.flush()
        self.store.delete_posts(post_ids)
        for p in post_ids:
            self.known_posts.pop(p, None)
            self.known_reposts.discard(p)
            if self.dedupe is not None:
                self.dedupe.posts.discard(p)
        self.stats.inc_value(_S + "posts_erased", len(post_ids))
