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
- ``RateLimit-*`` headers (epoch reset) are read after every call; at the reserve the
  collector sleeps until the reset; a 429 waits and retries a bounded number of times.
Raw JSON goes through :mod:`crawler.bluesky.parse`; :meth:`BlueskyCollector.run` yields
the items (profiles before the posts that need them, then the cursor) and the app feeds
them to the shared pipeline chain.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from atproto import Client, models
from atproto_client.exceptions import (
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.request import Response

from crawler.bluesky.parse import parse_post_view, parse_profile
from crawler.core.config import BlueskySection, Campaign
from crawler.core.errors import ParseError, ScoutError
from crawler.core.files import atomic_write
from crawler.core.items import AccountItem, CursorItem
from crawler.core.protocols import CursorReader, StatsLike
from crawler.core.ratelimit import parse_rate_limit
from crawler.core.text import parse_timestamp
from crawler.core.vocab import USER_AGENT

logger = logging.getLogger(__name__)

PAGE_LIMIT = 100  # searchPosts maximum
PROFILE_BATCH = 25  # getProfiles maximum
MENTION_LOOKUPS_MAX = 500  # profiles of mentioned non-authors looked up per run


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
        sleep: Callable[[float], None] = time.sleep,
        reserve: int = 1,
        max_retries: int = 5,
        max_wait: float = 900.0,
    ) -> None:
        if campaign.bluesky is None:
            raise ValueError("campaign has no [bluesky] section")
        self.campaign = campaign
        self.cfg: BlueskySection = campaign.bluesky
        self.stats = stats
        self.session_dir = session_dir
        self.cursors = cursors
        self.sleep = sleep
        self.reserve = reserve
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.host = urlsplit(self.cfg.service).netloc.lower()
        self.client = Client(base_url=self.cfg.service)
        self.client.request.add_additional_header("User-Agent", USER_AGENT)
        # `[bluesky] appview`: a public AppView for profile lookups, without a session
        # (saves the account's budget; lets live mode read profiles without a login)
        self.public = Client(base_url=self.cfg.appview) if self.cfg.appview else None
        if self.public is not None:
            self.public.request.add_additional_header("User-Agent", USER_AGENT)
        self.profiles_done: set[str] = set()
        self.mentioned: Counter[str] = Counter()  # mentioned account_id -> times
        self._session_path: Path | None = None
        self._fresh_login_done = False

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
            try:
                self.client.login(session_string=path.read_text().strip())
                self.stats.inc_value("scout/bluesky/session_reused")
                return
            except (RequestErrorBase, ValueError) as exc:
                logger.info("stored Bluesky session not usable (%s): logging in", exc)
        self._password_login(handle, password, path)

    def _password_login(self, handle: str, password: str, path: Path) -> None:
        self._fresh_login_done = True
        try:
            self.client.login(handle, password)
        except UnauthorizedError:
            raise BlueskyError(
                f"Bluesky refused the login for {handle!r}: check {self.cfg.password_env}"
            ) from None
        except NetworkError as exc:
            raise BlueskyError(f"cannot reach {self.cfg.service}: {exc}") from None
        self.stats.inc_value("scout/bluesky/logins")
        self._save_session(path)

    # --- calls with rate limits ------------------------------------------------------
    def _respect(self, headers: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        limit = parse_rate_limit(headers, now)
        if limit is None:
            return
        wait = limit.wait_seconds(now, self.reserve)
        if wait > 0:
            self.stats.inc_value("scout/ratelimit/budget_waits")
            logger.info("%s: rate-limit reserve reached, waiting %.1f s", self.host, wait)
            self.sleep(min(wait, self.max_wait))

    def _query(self, nsid: str, params: Any, *, public: bool = False) -> dict[str, Any]:
        client = self.public if public and self.public is not None else self.client
        for attempt in range(self.max_retries + 1):
            try:
                response: Response = client.invoke_query(nsid, params=params)
            except RateLimitExceededError as exc:
                self.stats.inc_value("scout/ratelimit/429")
                if attempt == self.max_retries:
                    raise
                headers = exc.response.headers if exc.response is not None else {}
                now = datetime.now(UTC)
                limit = parse_rate_limit(headers, now)
                wait = limit.wait_seconds(now, 0) if limit else 0.0
                self.sleep(min(max(wait, 2.0**attempt), self.max_wait))
                continue
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
            except NetworkError:
                self.stats.inc_value("scout/errors/network")
                if attempt == self.max_retries:
                    raise
                self.sleep(min(2.0**attempt, self.max_wait))
                continue
            self.stats.inc_value("scout/bluesky/requests")
            self._respect(response.headers)
            if not isinstance(response.content, dict):
                raise BlueskyError(f"{nsid}: the server did not answer JSON")
            return response.content
        raise AssertionError("unreachable")

    # --- collection ------------------------------------------------------------------
    def queries(self) -> Iterator[tuple[str, str]]:
        for tag in self.campaign.campaign.hashtags:
            yield f"tag:{tag}", f"#{tag}"
        for word in self.campaign.campaign.keywords:
            yield f"kw:{word.lower()}", word

    def search(self, key: str, q: str) -> Iterator[Any]:
        """Page ``searchPosts`` for one query and yield each page's items (the new
        authors' full profiles first), then the cursor; a ``tag:`` key also sends the
        ``tag`` filter (posts carrying the tag as a facet or record tag, not only the
        text)."""
        source = f"bluesky:{self.host}"
        cursor_time = self.cursors.get_cursor(source, key)
        floor = parse_timestamp(cursor_time) if cursor_time else None
        since = self.campaign.campaign.since_datetime
        bound = max([t for t in (floor, since) if t is not None], default=None)
        page_cursor: str | None = None
        newest: datetime | None = floor
        for _page in range(self.cfg.max_pages):
            params = models.AppBskyFeedSearchPosts.Params(
                q=q,
                limit=PAGE_LIMIT,
                cursor=page_cursor,
                sort="latest",
                since=bound.isoformat().replace("+00:00", "Z") if bound else None,
                tag=[key.removeprefix("tag:")] if key.startswith("tag:") else None,
            )
            body = self._query("app.bsky.feed.searchPosts", params)
            posts = body.get("posts")
            if not isinstance(posts, list):
                self.stats.inc_value("scout/errors/bad_body")
                logger.error("searchPosts answered without a posts list for %r", q)
                return
            self.stats.inc_value("scout/bluesky/pages")
            reached = False
            now = datetime.now(UTC)
            page_items: list[Any] = []
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
                if sort_at is not None and (newest is None or sort_at > newest):
                    newest = sort_at
                self.stats.inc_value("scout/bluesky/posts")
                for account in parsed.accounts:
                    if account.account_id not in self.profiles_done:
                        self.profiles_done.add(account.account_id)
                        new_authors.append(account.account_id.removeprefix("bluesky:"))
                for post in parsed.posts:
                    self.mentioned.update(i for i in post.mention_ids if i)
                page_items.extend(parsed.all_items())
            # full profiles first: the consent step must see bios and labels before it
            # lets any post of the page through
            yield from self.get_profiles(new_authors)
            yield from page_items
            page_cursor = body.get("cursor")
            if reached or not page_cursor or not posts:
                break
        if newest is not None and newest != floor:
            yield CursorItem(source, key, newest.isoformat())

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
        self.profiles_done.update(a for _, a in wanted[:cap])
        self.stats.inc_value("scout/bluesky/mentioned_looked_up", len(dids))
        yield from self.get_profiles(dids)

    def run(self) -> Iterator[Any]:
        """Log in, search every query, look up the mentioned accounts; yields items."""
        self.login()
        for key, q in self.queries():
            yield from self.search(key, q)
        yield from self.fetch_mentioned()
