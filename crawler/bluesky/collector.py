"""Bluesky search backfill through the atproto SDK.

- Login with handle and app password from environment variables; the session string is
  kept in a file only its owner can read and reused, because createSession is limited
  far more tightly than anything else (30 per 5 minutes, 300 a day; 10 a day was seen).
- ``app.bsky.feed.searchPosts`` per hashtag (``#tag``) and keyword, 100 a page, cursor
  paging until the cursor is absent, bounded by the campaign's ``since`` and, on later
  runs, by the newest post already collected (a cursor in DuckDB).
- Authors' full profiles with ``app.bsky.actor.getProfiles``, 25 at a time (the API
  maximum), fetched before the page's posts go through the pipelines, so the consent
  step decides on the full profile (bio, labels).
- Then the seeds' followers and follows and the starter packs' members
  (:mod:`crawler.bluesky.graph`), through the same calls, reserve and fault policy.
- ``RateLimit-*`` headers (epoch reset) are read after every call; at the reserve the
  collector sleeps until the reset.
- One fault policy for every call: a 429 (waits for ``Retry-After`` or the reset), a 5xx,
  a timeout, a transport error or a malformed body (truncated JSON, an HTML error page,
  a body the models reject) is retried with a growing back-off, ``max_retries`` times;
  then the page is skipped and counted (``scout/pages_skipped``) and the query's walk
  stops there for this run. Refusals (400, 404, ...) are not retried. Nothing ends the
  whole source but a login that cannot be made (:class:`BlueskyError`, with the reason).
- Progress is durable per page (:mod:`crawler.core.resume`): after each page's items the
  query's backfill position (the oldest time read, searched again with ``until``) is
  yielded as a cursor, and the watermark when the walk reaches its floor. A killed run
  loses at most one page; the next run continues the walk.
- Every wait (rate limit, back-off) ends at once when ``stop`` is set (SIGTERM, Ctrl-C):
  :class:`CollectionStopped` is raised and the run is marked interrupted.
Raw JSON goes through :mod:`crawler.bluesky.parse`; :meth:`BlueskyCollector.run` yields
the items (profiles before the posts that need them, then the cursors) and the app
feeds them to the shared pipeline chain.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from atproto import Client, models
from atproto_client.exceptions import (
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.utils import get_response_model
from atproto_client.request import Request, Response

from crawler.bluesky.faults import (
    CollectionStopped,
    NotJson,
    RequestFailed,
    classify,
    reason,
)
from crawler.bluesky.graph import SeedWalker
from crawler.bluesky.parse import parse_post_view, parse_profile
from crawler.core.config import BlueskySection, Campaign
from crawler.core.errors import ParseError, ScoutError
from crawler.core.files import atomic_write
from crawler.core.items import AccountItem, CursorItem
from crawler.core.net import ensure_resolved_allowed
from crawler.core.protocols import CursorReader, StatsLike
from crawler.core.ratelimit import parse_rate_limit, retry_after
from crawler.core.resume import CLEARED, Backfill, backfill_key
from crawler.core.text import parse_timestamp
from crawler.core.vocab import USER_AGENT

logger = logging.getLogger(__name__)

PAGE_LIMIT = 100  # searchPosts maximum
PROFILE_BATCH = 25  # getProfiles maximum
MENTION_LOOKUPS_MAX = 500  # profiles of mentioned non-authors looked up per run
BACKOFF_MAX = 30.0  # the longest pause before one retry
# resuming a walk searches again below the oldest time read, this much above it: posts
# of the same second as the last one stored are not lost (a few are read twice)
RESUME_OVERLAP = timedelta(seconds=1)


def _sort_at(view: dict[str, Any]) -> datetime | None:
    """The time search results are ordered and filtered by: Bluesky's "sortAt", the
    earlier of createdAt and indexedAt (a post dated in the future cannot jump ahead).
    Read from the view itself: a parsed view also holds the posts it quotes."""
    record = view.get("record")
    created = parse_timestamp(record.get("createdAt")) if isinstance(record, dict) else None
    indexed = parse_timestamp(view.get("indexedAt"))
    times = [t for t in (created, indexed) if t is not None]
    return min(times) if times else None


class BlueskyError(ScoutError):
    """A Bluesky problem the user must act on (one line)."""


# Requests kept back in each rate-limit window: the SDK makes calls of its own that the
# collector never sees the headers of (session creation and refresh, the profile
# fetched at login), so one spare request is not always enough to avoid a 429.
RESERVE = 2


class BlueskyCollector:
    """``BlueskyCollector(campaign, stats=..., cursors=store, session_dir=...)``: its
    ``run()`` yields items; counters go to ``stats``, cursors are read from ``cursors``."""

    def __init__(
        self,
        campaign: Campaign,
        *,
        stats: StatsLike,
        cursors: CursorReader,
        session_dir: Path,
        sleep: Callable[[float], None] | None = None,
        reserve: int = RESERVE,
        max_retries: int = 5,
        max_wait: float = 900.0,
        backoff: float = 0.5,
        timeout: float = 30.0,
        stop: threading.Event | None = None,
    ) -> None:
        if campaign.bluesky is None:
            raise ValueError("campaign has no [bluesky] section")
        self.campaign = campaign
        self.cfg: BlueskySection = campaign.bluesky
        self.stats = stats
        self.session_dir = session_dir
        self.cursors = cursors
        self.stop = stop or threading.Event()
        self._sleep = sleep
        self.reserve = reserve
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.host = urlsplit(self.cfg.service).netloc.lower()
        # the SDK connects by itself: the names must not lead to private addresses
        for url in (self.cfg.service, self.cfg.appview):
            if url:
                ensure_resolved_allowed(url)
        self.client = Client(base_url=self.cfg.service, request=Request(timeout=timeout))
        self.client.request.add_additional_header("User-Agent", USER_AGENT)
        # `[bluesky] appview`: a public AppView for profile lookups, without a session
        # (saves the account's budget; lets live mode read profiles without a login)
        self.public = (
            Client(base_url=self.cfg.appview, request=Request(timeout=timeout))
            if self.cfg.appview
            else None
        )
        if self.public is not None:
            self.public.request.add_additional_header("User-Agent", USER_AGENT)
        self.profiles_done: set[str] = set()
        self.mentioned: Counter[str] = Counter()  # mentioned account_id -> times
        self._session_path: Path | None = None
        self._fresh_login_done = False
        # one line per query whose walk lost a page this run (reason in words)
        self.errors: list[str] = []

    # --- session -------------------------------------------------------------------
    def _session_file(self, handle: str) -> Path:
        digest = hashlib.sha256(f"{self.cfg.service}|{handle}".encode()).hexdigest()[:16]
        return self.session_dir / f"bluesky-{digest}.session"

    def _save_session(self, path: Path) -> None:
        atomic_write(path, self.client.export_session_string(), mode=0o600)

    def login(self) -> None:
        handle, password = self.cfg.handle, self.cfg.app_password
        if not handle or not password:
            raise BlueskyError(
                f"Bluesky needs a login: set {self.cfg.handle_env} and "
                f"{self.cfg.password_env} (an app password, never your main password)"
            )
        path = self._session_file(handle)
        self._session_path = path
        self.client.on_session_change(lambda _event, _session: self._save_session(path))
        if path.exists():
            stored = path.read_text().strip()
            try:
                self._retrying("session", lambda: self.client.login(session_string=stored))
                self.stats.inc_value("scout/bluesky/session_reused")
                return
            except (RequestErrorBase, RequestFailed, ValueError) as exc:
                logger.info("stored Bluesky session not usable (%s): logging in", exc)
        self._password_login(handle, password, path)

    def _password_login(self, handle: str, password: str, path: Path) -> None:
        self._fresh_login_done = True
        try:
            self._retrying("createSession", lambda: self.client.login(handle, password))
        except UnauthorizedError:
            raise BlueskyError(
                f"Bluesky refused the login for {handle!r}: check {self.cfg.password_env}"
            ) from None
        except RequestFailed as exc:
            raise BlueskyError(f"cannot log in at {self.cfg.service}: {exc}") from None
        self.stats.inc_value("scout/bluesky/logins")
        self._save_session(path)

    # --- calls with rate limits ------------------------------------------------------
    def wait(self, seconds: float) -> None:
        """Sleep, unless told to stop (then :class:`CollectionStopped`, at once)."""
        if self._sleep is not None:
            self._sleep(seconds)
        elif self.stop.wait(seconds):
            raise CollectionStopped
        if self.stop.is_set():
            raise CollectionStopped

    def _respect(self, headers: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        limit = parse_rate_limit(headers, now)
        if limit is None:
            return
        wait = limit.wait_seconds(now, self.reserve)
        if wait > 0:
            self.stats.inc_value("scout/ratelimit/budget_waits")
            logger.info("%s: rate-limit reserve reached, waiting %.1f s", self.host, wait)
            self.wait(min(wait, self.max_wait))

    def _retry_wait(self, exc: BaseException, attempt: int) -> float:
        """How long to wait before the next attempt: the 429's own word (Retry-After,
        the reset), else a back-off growing with each attempt."""
        backoff = min(self.backoff * 2.0**attempt, BACKOFF_MAX)
        response = getattr(exc, "response", None)
        if isinstance(exc, RateLimitExceededError) and response is not None:
            now = datetime.now(UTC)
            after = retry_after(response.headers, now)
            if after is None:
                limit = parse_rate_limit(response.headers, now)
                after = limit.wait_seconds(now, 0) if limit else None
            if after is not None:
                return min(max(after, 0.5), self.max_wait)
        return backoff

    def _retrying(self, what: str, call: Callable[[], Any]) -> Any:
        """``call()`` under the fault policy: retryable failures are retried with
        back-off, ``max_retries`` times; then :class:`RequestFailed` with the reason.
        An expired or refused session (401) is the caller's to handle."""
        for attempt in range(self.max_retries + 1):
            if self.stop.is_set():
                raise CollectionStopped
            try:
                return call()
            except UnauthorizedError:
                raise
            except Exception as exc:
                kind = classify(exc)
                if kind is None:
                    raise
                retryable, counter = kind
                self.stats.inc_value(counter)
                why = reason(exc)
                if not retryable or attempt == self.max_retries:
                    tries = "" if not retryable else f" after {attempt + 1} attempts"
                    raise RequestFailed(f"{what}: {why}{tries}") from None
                self.stats.inc_value("scout/retries")
                logger.info("%s: %s failed (%s), retrying", self.host, what, why)
                self.wait(self._retry_wait(exc, attempt))
        raise AssertionError("unreachable")

    def _query(
        self, nsid: str, params: Any, *, public: bool = False, model: Any = None
    ) -> dict[str, Any]:
        """The JSON answer of one query under the fault policy; ``model`` (the SDK's
        typed output model) checks its shape, so a malformed answer is retried too."""
        client = self.public if public and self.public is not None else self.client

        def call() -> Response:
            response: Response = client.invoke_query(nsid, params=params)
            if not isinstance(response.content, dict):
                raise NotJson("the answer is not JSON")
            if model is not None:
                get_response_model(response, model)  # ModelError: a malformed body
            return response

        for _ in range(2):
            try:
                response = self._retrying(nsid, call)
            except UnauthorizedError:
                # a stored session the server no longer accepts (revoked, server reset):
                # log in with the password once, then give up with one clear line
                if self._fresh_login_done or not self.cfg.handle or not self.cfg.app_password:
                    raise BlueskyError(
                        f"Bluesky refused our session at {self.cfg.service} ({nsid})"
                    ) from None
                assert self._session_path is not None
                self.stats.inc_value("scout/bluesky/session_rejected")
                logger.info("stored Bluesky session rejected: logging in again")
                self._password_login(self.cfg.handle, self.cfg.app_password, self._session_path)
                continue
            self.stats.inc_value("scout/bluesky/requests")
            self._respect(response.headers)
            content: dict[str, Any] = response.content
            return content
        raise BlueskyError(f"Bluesky refused our session at {self.cfg.service} ({nsid})")

    # --- collection ------------------------------------------------------------------
    def queries(self) -> Iterator[tuple[str, str]]:
        for tag in self.campaign.campaign.hashtags:
            yield f"tag:{tag}", f"#{tag}"
        for word in self.campaign.campaign.keywords:
            yield f"kw:{word.lower()}", word

    def search(self, key: str, q: str) -> Iterator[Any]:
        """Page ``searchPosts`` for one query and yield each page's items (the new
        authors' full profiles first), then where the walk stands; a ``tag:`` key also
        sends the ``tag`` filter (posts carrying the tag as a facet or record tag, not
        only the text). A walk an earlier run left unfinished is continued first, then
        the top of the results is read down to the new watermark."""
        source = f"bluesky:{self.host}"
        pages = [self.cfg.max_pages]  # this query's page budget for the run
        left = Backfill.decode(self.cursors.get_cursor(source, backfill_key(key)))
        if left is not None:
            self.stats.inc_value("scout/bluesky/walks_resumed")
            done = yield from self._walk(source, key, q, left, pages)
            if not done:
                return
        floor = self.cursors.get_cursor(source, key) or None
        yield from self._walk(source, key, q, Backfill(at="", top=None, floor=floor), pages)

    def _walk(
        self, source: str, key: str, q: str, state: Backfill, pages: list[int]
    ) -> Generator[Any, None, bool]:
        """One walk down the results, from ``state.at`` (an ISO time, searched with
        ``until``; empty: from the top) to ``state.floor``. Returns whether it reached
        the floor (``yield from`` hands that back)."""
        resumed = bool(state.at)
        floor = parse_timestamp(state.floor) if state.floor else None
        since = self.campaign.campaign.since_datetime
        bound = max([t for t in (floor, since) if t is not None], default=None)
        newest = parse_timestamp(state.top) if state.top else floor
        oldest = parse_timestamp(state.at) if resumed else None
        until = oldest + RESUME_OVERLAP if oldest is not None else None
        page_cursor: str | None = None
        saved = False  # a backfill position was written by this walk
        while True:
            if pages[0] <= 0:
                return False  # the page budget is spent: the next run continues
            pages[0] -= 1
            params = models.AppBskyFeedSearchPosts.Params(
                q=q,
                limit=PAGE_LIMIT,
                cursor=page_cursor,
                sort="latest",
                since=_iso(bound) if bound else None,
                until=_iso(until) if until else None,
                tag=[key.removeprefix("tag:")] if key.startswith("tag:") else None,
            )
            try:
                body = self._query("app.bsky.feed.searchPosts", params)
                posts = body.get("posts")
                if not isinstance(posts, list):
                    self.stats.inc_value("scout/errors/bad_body")
                    raise RequestFailed("searchPosts: an answer without a posts list")
                reached, page_oldest, page_newest, new_authors, page_items = self._page(
                    posts, bound
                )
                profiles = self.get_profiles(new_authors)
            except RequestFailed as exc:
                self._skipped(f"search {q!r}", exc)
                return False
            self.stats.inc_value("scout/bluesky/pages")
            # full profiles first: the consent step must see bios and labels before it
            # lets any post of the page through
            yield from profiles
            yield from page_items
            if page_newest is not None and (newest is None or page_newest > newest):
                newest = page_newest
            if page_oldest is not None and (oldest is None or page_oldest < oldest):
                oldest = page_oldest
            page_cursor = body.get("cursor")
            if reached or not page_cursor or not posts:
                break
            if oldest is not None:
                at = Backfill(_iso(oldest), _iso(newest) if newest else None, state.floor)
                yield CursorItem(source, backfill_key(key), at.encode())
                saved = True
        if newest is not None and newest != floor:
            yield CursorItem(source, key, newest.isoformat())
        if saved or resumed:
            yield CursorItem(source, backfill_key(key), CLEARED)
        return True

    def _page(
        self, posts: list[Any], bound: datetime | None
    ) -> tuple[bool, datetime | None, datetime | None, list[str], list[Any]]:
        """One page of search results: (reached the bound, oldest and newest time read,
        DIDs of authors whose profiles are wanted, the page's items)."""
        reached = False
        oldest: datetime | None = None
        newest: datetime | None = None
        now = datetime.now(UTC)
        items: list[Any] = []
        new_authors: list[str] = []
        for view in posts:
            try:
                parsed = parse_post_view(view, now, self.host)
            except ParseError as exc:
                self.stats.inc_value("scout/skipped/unparseable_post")
                logger.warning("unparseable Bluesky post: %s", exc)
                continue
            sort_at = _sort_at(view)
            if sort_at is not None and bound is not None and sort_at <= bound:
                # `since` is inclusive: the post at the bound is the newest one an
                # earlier run stored; an older one means the server ignored `since`
                # (some do) and the walk is done
                reached = reached or sort_at < bound
                continue
            if sort_at is not None:
                newest = sort_at if newest is None else max(newest, sort_at)
                oldest = sort_at if oldest is None else min(oldest, sort_at)
            self.stats.inc_value("scout/bluesky/posts")
            for account in parsed.accounts:
                if account.account_id not in self.profiles_done:
                    new_authors.append(account.account_id.removeprefix("bluesky:"))
            for post in parsed.posts:
                self.mentioned.update(i for i in post.mention_ids if i)
            items.extend(parsed.all_items())
        return reached, oldest, newest, list(dict.fromkeys(new_authors)), items

    def _skipped(self, what: str, exc: BaseException) -> None:
        """A page given up: counted, one line in the run's errors, the walk stops."""
        self.stats.inc_value("scout/pages_skipped")
        line = f"{self.host} {what}: page skipped ({exc})"
        logger.warning("%s", line)
        self.errors.append(line)

    def get_profiles(self, dids: list[str]) -> list[AccountItem]:
        """Full profiles of these DIDs (``getProfiles``, 25 a call), parsed, not yet
        through the pipelines; accounts the service does not know are left out."""
        now = datetime.now(UTC)
        out: list[AccountItem] = []
        for i in range(0, len(dids), PROFILE_BATCH):
            batch = dids[i : i + PROFILE_BATCH]
            body = self._query(
                "app.bsky.actor.getProfiles",
                models.AppBskyActorGetProfiles.Params(actors=batch),
                public=True,
            )
            self.stats.inc_value("scout/bluesky/profile_batches")
            self.profiles_done.update(f"bluesky:{did}" for did in batch)
            for view in body.get("profiles") or []:
                try:
                    out.append(parse_profile(view, now))
                except ParseError as exc:
                    self.stats.inc_value("scout/skipped/unparseable_profile")
                    logger.warning("unparseable Bluesky profile: %s", exc)
        return out

    def fetch_mentioned(self, cap: int = MENTION_LOOKUPS_MAX) -> Iterator[AccountItem]:
        """Profiles of the most mentioned accounts that were not seen as authors: their
        opt-outs are read (mentions of them are then dropped) and mentioned organisations
        can become leads. How many were asked for: ``scout/bluesky/mentioned_looked_up``."""
        wanted = [
            (n, account_id)
            for account_id, n in self.mentioned.items()
            if account_id not in self.profiles_done
        ]
        wanted.sort(key=lambda na: (-na[0], na[1]))
        dids = [a.removeprefix("bluesky:") for _, a in wanted[:cap]]
        self.stats.inc_value("scout/bluesky/mentioned_looked_up", len(dids))
        for i in range(0, len(dids), PROFILE_BATCH):
            try:
                yield from self.get_profiles(dids[i : i + PROFILE_BATCH])
            except RequestFailed as exc:
                self._skipped("mentioned accounts' profiles", exc)
                return

    def run(self) -> Iterator[Any]:
        """Log in, search every query, look up the mentioned accounts, then walk the
        seeds' followers and follows and the starter packs; yields items."""
        self.login()
        for key, q in self.queries():
            yield from self.search(key, q)
        yield from self.fetch_mentioned()
        yield from SeedWalker(self).run()


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")
