"""Downloader middleware that reads rate-limit headers and keeps every host within its
published budget.

AutoThrottle only reads latency; real servers publish their budget instead:
``X-RateLimit-*`` on Mastodon (reset as ISO-8601, epoch on some implementations) and
``RateLimit-*`` on Bluesky (epoch reset). Budgets are per host *and port* (several test
instances share 127.0.0.1).

Each host has two budgets:

* ``api``: every request (Mastodon: 300 per 5 minutes per IP unauthenticated);
* ``paging``: API requests carrying ``max_id``, ``since_id`` or ``min_id`` (Mastodon's
  rack-attack ``throttle_unauthenticated_paging``: 300 per 15 minutes per IP). A paging
  request counts against both.

Mastodon answers with the headers of the *most limited* throttle only, so a paging
response may describe either budget: it is attributed to ``api`` when its reset is the
``api`` budget's reset, otherwise to ``paging``. Until a server reveals its paging budget
the published Mastodon default is assumed (``SCOUT_PAGING_LIMIT`` /
``SCOUT_PAGING_WINDOW``). Requests in flight are counted, so concurrency cannot overshoot;
until a host has answered once, one request at a time asks (its budget may already be
partly spent by someone else).

Before a request, if a budget it draws on would fall below the reserve, the request
waits until that budget resets. A 429 waits for ``Retry-After`` (or the reset) and is
retried a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import parse_qsl

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.core.ratelimit import RateLimit, parse_rate_limit, retry_after
from pipelines.base import StatsLike

logger = logging.getLogger(__name__)

PAGING_PARAMS = frozenset({"max_id", "since_id", "min_id"})
# Mastodon's unauthenticated paging throttle (config/initializers/rack_attack.rb)
DEFAULT_PAGING_LIMIT = 300
DEFAULT_PAGING_WINDOW = 900.0
# two resets closer than this belong to the same window (Mastodon adds the request's
# fraction of a second to the reset it announces)
_SAME_RESET = 1.5
# how often a request whose budget is spent, with its reset unknown, looks again
_POLL = 0.05


def is_paging_request(url_path: str, query: str) -> bool:
    """Mastodon counts API requests with ``max_id``/``since_id``/``min_id`` separately."""
    if not url_path.startswith("/api/"):
        return False
    return any(k in PAGING_PARAMS and v != "" for k, v in parse_qsl(query, True))


def _whole_seconds(headers: Mapping[Any, Any]) -> bool:
    for name, value in headers.items():
        if str(name).lower() in ("x-ratelimit-reset", "ratelimit-reset"):
            return str(value).strip().isdigit()
    return False


@dataclass
class Bucket:
    """What we know of one budget: the last announced state plus our requests since."""

    limit: int | None = None
    remaining: int | None = None  # as announced (or assumed after a reset)
    reset_at: datetime | None = None
    window: float | None = None
    inflight: int = 0  # sent, not answered yet (not in ``remaining``)
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
        same_window = (
            self.reset_at is not None
            and rl.reset_at is not None
            and abs((rl.reset_at - self.reset_at).total_seconds()) < _SAME_RESET
        )
        if (
            rl.reset_at is not None
            and self.reset_at is not None
            and (self.reset_at - rl.reset_at).total_seconds() >= _SAME_RESET
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
            if gap > _SAME_RESET and (self.window is None or gap < self.window):
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


class RateLimitMiddleware:
    def __init__(
        self,
        stats: StatsLike,
        *,
        reserve: int = 1,
        max_wait: float = 900.0,
        max_429_retries: int = 5,
        backoff: float = 5.0,
        paging_limit: int = DEFAULT_PAGING_LIMIT,
        paging_window: float = DEFAULT_PAGING_WINDOW,
        skew: float = 0.25,
    ) -> None:
        self.stats = stats
        self.reserve = reserve
        self.max_wait = max_wait
        self.max_429_retries = max_429_retries
        self.backoff = backoff
        self.paging_limit = paging_limit
        self.paging_window = paging_window
        self.skew = skew  # extra wait after a reset: our clock and the server's differ
        self.hosts: dict[str, HostBudget] = {}
        self.seen_limits: set[str] = set()  # hosts that announce a budget
        # hosts that have answered at least once: until then one request at a time asks,
        # so a budget partly spent by someone else cannot be overrun by a first burst
        self.answered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawler.stats,
            reserve=s.getint("SCOUT_RATELIMIT_RESERVE", 1),
            max_wait=s.getfloat("SCOUT_RATELIMIT_MAX_WAIT", 900.0),
            max_429_retries=s.getint("SCOUT_429_RETRIES", 5),
            backoff=s.getfloat("SCOUT_429_BACKOFF", 5.0),
            paging_limit=s.getint("SCOUT_PAGING_LIMIT", DEFAULT_PAGING_LIMIT),
            paging_window=s.getfloat("SCOUT_PAGING_WINDOW", DEFAULT_PAGING_WINDOW),
            skew=s.getfloat("SCOUT_RATELIMIT_SKEW", 0.25),
        )

    @staticmethod
    def key(request: Request) -> str:
        return urlparse_cached(request).netloc.lower()

    @staticmethod
    def paging(request: Request) -> bool:
        parts = urlparse_cached(request)
        return is_paging_request(parts.path, parts.query)

    def budget(self, key: str) -> HostBudget:
        b = self.hosts.get(key)
        if b is None:
            b = HostBudget(api=Bucket(), paging=Bucket())
            self.hosts[key] = b
        return b

    def _start_paging(self, bucket: Bucket, now: datetime) -> None:
        """Assume the published paging budget until the server shows its own."""
        if bucket.remaining is None and self.paging_limit > 0:
            bucket.limit = bucket.limit or self.paging_limit
            bucket.window = bucket.window or self.paging_window
            bucket.remaining = bucket.limit
            # rack-attack counts in windows aligned to the epoch (period - now % period)
            ts = now.timestamp()
            bucket.reset_at = datetime.fromtimestamp(ts - ts % bucket.window + bucket.window, UTC)
            bucket.sent_since = 0
            bucket.assumed = True

    async def _sleep(self, seconds: float, why: str, key: str) -> None:
        seconds = max(0.0, min(seconds, self.max_wait))
        if seconds <= 0:
            return
        self.stats.inc_value(f"scout/ratelimit/{why}")
        self.stats.inc_value("scout/ratelimit/wait_ms", int(seconds * 1000))
        logger.info("%s: waiting %.1f s (%s)", key, seconds, why)
        await asyncio.sleep(seconds)

    async def process_request(self, request: Request) -> None:
        key = self.key(request)
        paging = self.paging(request)
        budget = self.budget(key)
        if paging and key in self.seen_limits:
            self._start_paging(budget.paging, datetime.now(UTC))
        buckets = budget.buckets(paging)
        # bounded by max_wait: each round waits for a reset (or polls for the answers in
        # flight); several coroutines may wake together and look again
        waited = 0.0
        while waited < self.max_wait:
            now = datetime.now(UTC)
            wait = max(b.wait_seconds(now, self.reserve) for b in buckets)
            if key not in self.answered and budget.api.inflight > 0:
                wait = max(wait, _POLL)  # the first answer tells the budget
            if wait <= 0:
                break
            if wait > _POLL:
                why = (
                    "paging_waits"
                    if paging and budget.paging.wait_seconds(now, self.reserve) >= wait
                    else "budget_waits"
                )
                wait += self.skew
                await self._sleep(wait, why, key)
            else:
                await asyncio.sleep(wait)
            waited += wait
        for b in buckets:
            b.inflight += 1
        request.meta["scout_budget"] = (key, paging)
        self.stats.inc_value("scout/ratelimit/requests")
        if paging:
            self.stats.inc_value("scout/ratelimit/paging_requests")
        return None

    def _release(self, request: Request) -> tuple[str, bool]:
        key, paging = request.meta.pop("scout_budget", (self.key(request), self.paging(request)))
        budget = self.budget(key)
        for b in budget.buckets(paging):
            if b.inflight > 0:
                b.inflight -= 1
                b.sent_since += 1
        return key, paging

    def _announce(self, key: str, paging: bool, rl: RateLimit, now: datetime) -> None:
        self.seen_limits.add(key)
        budget = self.budget(key)
        if not paging:
            budget.api.announce(rl, now)
            return
        self._start_paging(budget.paging, now)
        api, pg = budget.api, budget.paging
        if api.reset_at is not None and rl.reset_at is not None:
            # the budget whose window ends then
            is_api = abs((rl.reset_at - api.reset_at).total_seconds()) < _SAME_RESET and (
                api.limit is None or rl.limit in (None, api.limit)
            )
        elif rl.limit is not None and api.limit is not None and api.limit != pg.limit:
            is_api = rl.limit == api.limit  # the api window rolled over: tell by the limit
        else:
            is_api = True  # nothing tells them apart: the budget every request draws on
        if is_api or api.remaining is None:
            budget.api.announce(rl, now)
        else:
            budget.paging.announce(rl, now)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        key, paging = self._release(request)
        self.answered.add(key)
        now = datetime.now(UTC)
        headers = response.headers.to_unicode_dict()
        limit = parse_rate_limit(headers, now)
        if limit is not None and limit.reset_at is not None and _whole_seconds(headers):
            # an epoch reset in whole seconds may be rounded down (mastodon-mock, some
            # servers): the window may end up to a second later
            limit.reset_at += timedelta(seconds=1)
        if limit is not None:
            self._announce(key, paging, limit, now)
        if response.status != 429:
            return response
        self.stats.inc_value("scout/ratelimit/429")
        tries = int(request.meta.get("scout_429_tries", 0))
        if tries >= self.max_429_retries:
            logger.warning("%s: still 429 after %d retries, giving up %s", key, tries, request.url)
            self.stats.inc_value("scout/ratelimit/429_gave_up")
            return response
        wait = retry_after(headers, now)
        if wait is None and limit is not None and limit.reset_at is not None:
            wait = max(0.0, (limit.reset_at - now).total_seconds())
        if wait is None:
            wait = self.backoff * (2**tries)
        # the budget that refused is spent until then
        budget = self.budget(key)
        until = now + timedelta(seconds=wait)
        target = budget.api
        if (
            paging
            and limit is not None
            and not (
                budget.api.reset_at is not None
                and limit.reset_at is not None
                and abs((limit.reset_at - budget.api.reset_at).total_seconds()) < _SAME_RESET
            )
        ):
            target = budget.paging
        target.remaining = 0
        target.sent_since = 0
        target.reset_at = until
        await self._sleep(wait, "429_waits", key)
        retry = request.replace(dont_filter=True)
        retry.meta["scout_429_tries"] = tries + 1
        return retry

    def process_exception(self, request: Request, exception: Exception) -> None:
        key, _ = self._release(request)
        self.answered.add(key)  # no answer to wait for: let the next request ask
        return None

    def snapshot(self) -> dict[str, dict[str, int | None]]:
        """Known budgets per host (for stats and tests)."""
        return {
            k: {
                "api_limit": b.api.limit,
                "api_available": b.api.available(),
                "paging_limit": b.paging.limit,
                "paging_available": b.paging.available(),
            }
            for k, b in self.hosts.items()
        }
