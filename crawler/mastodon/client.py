"""Authenticated Mastodon access through Mastodon.py, for what anonymous crawling
cannot do: full-text search on the home instance and account lookups.

The token comes from the environment variable named by ``[mastodon] token_env``; it is
never logged or stored. Mastodon.py paces itself against the ``X-RateLimit-*`` headers
(``ratelimit_method="pace"``). Its entities (datetimes, id types) are turned back into
plain JSON values so that :mod:`crawler.mastodon.parse` reads them exactly like the
spider's responses; the collection methods yield items (accounts before the posts that
need them) and the app feeds them to the same pipeline chain.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from mastodon import Mastodon, MastodonError, MastodonNotFoundError, MastodonRatelimitError

from crawler.core.config import Campaign
from crawler.core.errors import ParseError
from crawler.core.items import AccountItem
from crawler.core.net import ensure_resolved_allowed
from crawler.core.protocols import StatsLike
from crawler.core.vocab import USER_AGENT
from crawler.mastodon.parse import parse_account, parse_status

# Waits (seconds) before each new attempt when Mastodon.py cannot pace: the first is
# at once (its state was stale, nothing was sent), then a backoff that outlasts a
# reset rounded down to the second (a server's epoch-second X-RateLimit-Reset can read
# "now" while its window still runs for up to a second).
PACE_BACKOFF = (0.0, 1.0, 2.0, 4.0)
logger = logging.getLogger(__name__)

SEARCH_LIMIT = 40  # the API maximum for search results


def plain(value: Any) -> Any:
    """A Mastodon.py entity as the JSON the server sent: ISO-8601 strings for times,
    strings for ids, no Mastodon.py-private keys."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(k)
            if key.startswith("_"):
                continue
            if (key == "id" or key.endswith("_id")) and isinstance(v, int) and v is not True:
                out[key] = str(v)
            else:
                out[key] = plain(v)
        return out
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


class MastodonClient:
    """One authenticated session on one instance (the organizer's home server)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        ratelimit_method: str = "pace",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc.lower()
        ensure_resolved_allowed(self.base_url)  # Mastodon.py connects by itself
        self.api = Mastodon(
            access_token=token,
            api_base_url=self.base_url,
            ratelimit_method=ratelimit_method,
            request_timeout=timeout,
            version_check_mode="none",
            user_agent=USER_AGENT,
        )

    @classmethod
    def from_campaign(cls, campaign: Campaign, **kwargs: Any) -> MastodonClient | None:
        """A client on the first configured instance when a token is configured."""
        masto = campaign.mastodon
        if masto is None or not masto.instances:
            return None
        token = masto.token
        if not token:
            return None
        return cls(masto.instances[0], token, **kwargs)

    # ------------------------------------------------------------------ raw calls
    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One API call. Mastodon.py's pacing gives up ("cannot pace") when the reset it
        read has already passed: the window rolled over since the last answer (a pause
        between calls longer than the window), or a 429 came with a reset that reads as
        now (epoch seconds, rounded down). It then refuses every call without sending
        one, so its stale state never refreshes: forget the last call (a new window
        starts with a full budget) and ask again, at once and then after growing waits
        (``PACE_BACKOFF``); the last attempt's refusal is raised."""
        for wait in PACE_BACKOFF:
            try:
                return fn(*args, **kwargs)
            except MastodonRatelimitError as exc:
                logger.debug("%s: cannot pace (%s); again in %.0f s", self.host, exc, wait)
                self.api.ratelimit_lastcall = None  # type: ignore[assignment]  # next call re-reads
                time.sleep(wait)
        return fn(*args, **kwargs)

    def search_statuses(self, query: str, *, max_pages: int = 5) -> Iterator[dict[str, Any]]:
        """Statuses matching ``query`` (newest first), paged with ``max_id``."""
        max_id: str | None = None
        for _ in range(max_pages):
            result = self._call(
                self.api.search_v2,
                query,
                resolve=False,
                result_type="statuses",
                limit=SEARCH_LIMIT,
                max_id=max_id,
            )
            statuses = [plain(s) for s in (result.get("statuses") or [])]
            if not statuses:
                return
            yield from statuses
            ids = [s["id"] for s in statuses if isinstance(s.get("id"), str)]
            if len(statuses) < SEARCH_LIMIT or not ids:
                return
            oldest = min(ids, key=lambda i: (len(i), i))
            if max_id is not None and oldest == max_id:
                return
            max_id = oldest

    def lookup(self, acct: str) -> dict[str, Any] | None:
        """An account by ``user`` or ``user@host``; ``None`` when unknown."""
        try:
            return dict(plain(self._call(self.api.account_lookup, acct.lstrip("@"))))
        except MastodonNotFoundError:
            return None

    def account(self, account_id: str) -> dict[str, Any] | None:
        try:
            return dict(plain(self._call(self.api.account, account_id)))
        except MastodonNotFoundError:
            return None

    # ------------------------------------------------------------------ collection
    def collect(self, campaign: Campaign, stats: StatsLike, *, max_pages: int = 5) -> Iterator[Any]:
        """Search the campaign's hashtags and keywords on the home instance; yields the
        items of every status found (counted in ``scout/mastodon/search_statuses``)."""
        terms = [f"#{t}" for t in campaign.campaign.hashtags] + list(campaign.campaign.keywords)
        since = campaign.campaign.since_datetime
        for term in terms:
            try:
                for status in self.search_statuses(term, max_pages=max_pages):
                    try:
                        parsed = parse_status(status, self.host, datetime.now(UTC))
                    except ParseError as exc:
                        logger.warning("%s: unparseable status: %s", self.host, exc)
                        stats.inc_value("scout/skipped/unparseable_status")
                        continue
                    post = parsed.posts[0] if parsed.posts else None
                    if since and post is not None and post.created_at and post.created_at < since:
                        continue
                    stats.inc_value("scout/mastodon/search_statuses")
                    yield from parsed.all_items()
            except MastodonError as exc:
                logger.warning("%s: search %r failed: %s", self.host, term, exc)
                stats.inc_value("scout/errors/requests")

    def refresh_accounts(self, accts: list[str], stats: StatsLike) -> Iterator[AccountItem]:
        """Look accounts up (``user@host``) and yield their profiles."""
        for acct in accts:
            try:
                acc = self.lookup(acct)
            except MastodonError as exc:
                logger.warning("%s: lookup failed: %s", self.host, exc)
                stats.inc_value("scout/errors/requests")
                continue
            if acc is None:
                continue
            try:
                yield parse_account(acc, self.host, datetime.now(UTC))
            except ParseError:
                stats.inc_value("scout/skipped/unparseable_account")
