"""What we know of a host's rate-limit budgets: the last announced state of each budget
plus our requests since (counted from the moment they pass the middleware), windows
that roll over, and late or out-of-order answers ignored. Pure accounting with an
explicit clock; :mod:`crawler.fetch.middlewares` applies it to Scrapy's download slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from crawler.core.ratelimit import RateLimit

# how often a spent budget whose reset is unknown is looked at again while answers are due
_POLL = 0.05
PAGING_PARAMS = frozenset({"max_id", "since_id", "min_id"})
# two resets closer than this belong to the same window (Mastodon adds the request's
# fraction of a second to the reset it announces)
SAME_RESET = 1.5


def is_paging_request(url_path: str, query: str) -> bool:
    """Mastodon counts API requests with ``max_id``/``since_id``/``min_id`` separately."""
    if not url_path.startswith("/api/"):
        return False
    return any(k in PAGING_PARAMS and v != "" for k, v in parse_qsl(query, True))


@dataclass
class Bucket:
    """What we know of one budget: the last announced state plus our requests since."""

    limit: int | None = None
    remaining: int | None = None  # as announced (or assumed after a reset)
    reset_at: datetime | None = None
    window: float | None = None
    inflight: int = 0  # counted (queued or sent), not answered yet (not in ``remaining``)
    sent_since: int = 0  # answered after the announcement that set ``remaining``
    assumed: bool = False  # a published default, until the server states its own

    def available(self) -> int | None:
        if self.remaining is None:
            return None
        return self.remaining - self.inflight - self.sent_since

    def roll(self, now: datetime) -> None:
        """A window that has ended restarts full (if we know its size)."""
        if self.reset_at is None or now < self.reset_at:
            return
        if self.limit is None:
            self.remaining = None
            self.reset_at = None
            return
        self.remaining = self.limit
        self.sent_since = 0
        if self.window:
            step = timedelta(seconds=self.window)
            while self.reset_at <= now:
                self.reset_at += step
        else:
            self.reset_at = None  # unknown until the next response

    def pace(self, reserve: int) -> float:
        """Even spacing that spends one whole window (less the reserve) in that window."""
        if not self.window or not self.limit:
            return 0.0
        return self.window / max(1, self.limit - reserve)

    def wait_seconds(self, now: datetime, reserve: int) -> float:
        self.roll(now)
        avail = self.available()
        if avail is None or avail > reserve:
            return 0.0
        if self.reset_at is None:
            # spent, reset unknown: the answers in flight will say; with none in
            # flight one request may ask
            return _POLL if self.inflight > 0 else 0.0
        return max(0.0, (self.reset_at - now).total_seconds())

    def announce(self, rl: RateLimit, now: datetime) -> None:
        """A response's headers describe this budget (``remaining`` after that request)."""
        if rl.remaining is None:
            return
        if rl.reset_at is not None and rl.reset_at <= now:
            return  # about a window that has ended: a late answer
        if self.assumed:
            # the first word from the server replaces what we assumed, whatever its window
            self.assumed = False
            self.reset_at = None
            self.window = float(rl.window_seconds) if rl.window_seconds else None
        same_window = (
            self.reset_at is not None
            and rl.reset_at is not None
            and abs((rl.reset_at - self.reset_at).total_seconds()) < SAME_RESET
        )
        if (
            rl.reset_at is not None
            and self.reset_at is not None
            and (self.reset_at - rl.reset_at).total_seconds() >= SAME_RESET
        ):
            return  # a late answer from a window that has ended
        if same_window and self.remaining is not None:
            # out-of-order answers: within one window the count only goes down
            if rl.remaining < self.remaining:
                self.sent_since = max(0, self.sent_since - (self.remaining - rl.remaining))
                self.remaining = rl.remaining
            return
        if rl.limit is not None:
            self.limit = rl.limit
        if rl.window_seconds:
            self.window = float(rl.window_seconds)
        elif rl.reset_at is not None and self.reset_at is not None and rl.reset_at > self.reset_at:
            gap = (rl.reset_at - self.reset_at).total_seconds()
            if gap > SAME_RESET and (self.window is None or gap < self.window):
                self.window = gap  # consecutive resets of a fixed window
        self.remaining = rl.remaining
        self.reset_at = rl.reset_at
        self.sent_since = 0


@dataclass
class HostBudget:
    api: Bucket
    paging: Bucket

    def buckets(self, paging: bool) -> list[Bucket]:
        return [self.api, self.paging] if paging else [self.api]
