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
``SCOUT_PAGING_WINDOW``). Requests are counted from the moment they pass here (queued or
in flight), so concurrency cannot overshoot; until a host has answered once, its slot
sends one request at a time (its budget may already be partly spent by someone else).

Nothing waits in this middleware. Pacing is done the way Scrapy's AutoThrottle does it
(``scrapy/extensions/throttle.py``), on the host's download slot: when the requests
counted would leave a budget below the reserve, the slot is held until that budget's
reset (``slot.lastseen``) and then sends one request per ``window / limit``
(``slot.delay``) until the budget allows a burst again. Queued requests hold no
downloader slot and Scrapy's ``DownloaderAwarePriorityQueue`` feeds the hosts that are
not held, so one spent budget does not starve the others. Budgets are read in the
``response_downloaded`` signal, before the slot sends its next request. A reset is
moved onto our clock by the response's ``Date`` header before it is trusted
(:func:`crawler.core.ratelimit.clock_offset`). A 429 marks its budget spent until
``Retry-After`` (or the reset) and goes back to the scheduler through Scrapy's
``get_retry_request`` (``retry/*`` stats, at most ``SCOUT_429_RETRIES`` times, counted
apart from the 5xx and timeouts: :mod:`crawler.fetch.retries`).

Other retries (5xx and timeouts through Scrapy's ``RetryMiddleware``, broken bodies
through the spider) back off: a retried request holds its host's slot for
``SCOUT_RETRY_BACKOFF * 2**(n-1)`` seconds first (``scout/retries``). On shutdown
(SIGTERM, Ctrl-C) :func:`release_held_slots` fails the requests waiting in held slots,
so the engine closes at once instead of waiting for a reset.

Every default is in :mod:`crawler.fetch.settings`; the middleware reads the settings.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any, Self

from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached

from crawler.core.protocols import StatsLike
from crawler.core.ratelimit import (
    RESET_MARGIN_SECONDS,
    RateLimit,
    clock_offset,
    parse_rate_limit,
    retry_after,
)
from crawler.fetch.budget import SAME_RESET, Bucket, HostBudget, is_paging_request
from crawler.fetch.retries import RATE_LIMITED, retry_request, times_retried

logger = logging.getLogger(__name__)

# the shortest hold or spacing worth setting on a download slot
_TICK = 0.05
_WAIT_STATS = {"api": "scout/ratelimit/budget_waits", "paging": "scout/ratelimit/paging_waits"}
_MAX_BACKOFF = 30.0  # the longest pause before one retry


class ShutdownRequest(IgnoreRequest):
    """A request dropped because the crawl is shutting down (not an error)."""


def release_held_slots(crawler: Crawler) -> int:
    """Fail every request waiting in a download slot (held for a rate-limit reset or a
    back-off) so a shutting-down engine need not wait for them; returns how many.
    Call in the reactor thread. Requests in flight finish (or time out) as usual."""
    engine = crawler.engine
    if engine is None:
        return 0
    dropped = 0
    for slot in list(engine.downloader.slots.values()):
        if slot.latercall is not None:
            slot.latercall.cancel()
            slot.latercall = None
        while slot.queue:
            _request, waiting = slot.queue.popleft()
            waiting.errback(ShutdownRequest("shutdown"))
            dropped += 1
    return dropped


def _whole_seconds(headers: Mapping[Any, Any]) -> bool:
    for name, value in headers.items():
        if str(name).lower() in ("x-ratelimit-reset", "ratelimit-reset"):
            return str(value).strip().isdigit()
    return False


def _same_window(bucket: Bucket, reset_at: datetime) -> bool:
    """Whether ``reset_at`` ends the bucket's window or one of the windows after it (a
    fixed window rolls on while answers are under way)."""
    if bucket.reset_at is None:
        return False
    gap = (reset_at - bucket.reset_at).total_seconds()
    if abs(gap) < SAME_RESET:
        return True
    if not bucket.window or gap < 0:
        return False
    steps = round(gap / bucket.window)
    return steps >= 1 and abs(gap - steps * bucket.window) < min(SAME_RESET, bucket.window / 4)


class RateLimitMiddleware:
    def __init__(self, settings: BaseSettings, stats: StatsLike) -> None:
        self.stats = stats
        self.crawler: Crawler | None = None  # for get_retry_request (none in unit tests)
        self.reserve = settings.getint("SCOUT_RATELIMIT_RESERVE")
        self.max_wait = settings.getfloat("SCOUT_RATELIMIT_MAX_WAIT")
        self.max_429_retries = settings.getint("SCOUT_429_RETRIES")
        self.backoff = settings.getfloat("SCOUT_429_BACKOFF")
        self.paging_limit = settings.getint("SCOUT_PAGING_LIMIT")
        self.paging_window = settings.getfloat("SCOUT_PAGING_WINDOW")
        self.concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.download_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.retry_backoff = settings.getfloat("SCOUT_RETRY_BACKOFF")
        self.pauses: dict[str, float] = {}  # host -> end of a retry back-off (monotonic)
        self.opens: dict[str, float] = {}  # host -> when its held slot opens (monotonic)
        self.hosts: dict[str, HostBudget] = {}
        self.seen_limits: set[str] = set()  # hosts that announce a budget
        # per host: how far our clock is ahead of the server's (from its first Date
        # header: never early, and the same for every reset)
        self.offsets: dict[str, float] = {}
        # hosts that have answered at least once: until then one request at a time asks,
        # so a budget partly spent by someone else cannot be overrun by a first burst
        self.answered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        mw = cls(crawler.settings, crawler.stats)
        mw.crawler = crawler
        crawler.signals.connect(mw.response_downloaded, signal=signals.response_downloaded)
        return mw

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

    def _slot(self, request: Request) -> Slot | None:
        """The request's download slot if it is named after its host and port, as the
        spider names them (``None`` for others, such as robots.txt, and outside a crawl)."""
        engine = self.crawler.engine if self.crawler is not None else None
        if engine is None:
            return None
        downloader = engine.downloader
        name = downloader.get_slot_key(request)
        if name != self.key(request):
            return None
        slot = downloader.slots.get(name)
        if slot is None:
            # the slot the downloader would make for it: a hold must be in place before
            # the request is queued (the downloader drops idle slots after a minute)
            _, slot = downloader._get_slot(request)
        return slot

    @staticmethod
    def _counted(request: Request) -> tuple[str, bool]:
        """(host, paging) of a request counted and not yet answered, else ("", False)."""
        counted: tuple[str, bool] = request.meta.get("scout_budget", ("", False))
        return counted

    def _settle(self, key: str, slot: Slot | None, now: datetime) -> None:
        """Set the host's download slot so what it sends fits each budget.

        All requests counted (queued and in flight) fit above the reserve: no limit.
        Otherwise the slot may have only as many in flight as this window still allows,
        or, with nothing left, it is held until the reset and then sends one request
        per ``window / (limit - reserve)``. Worked out afresh on every request and
        answer (an answer may end a hold early)."""
        budget = self.hosts.get(key)
        if budget is None or slot is None:
            return
        sent = {
            "api": len(slot.transferring),
            "paging": sum(1 for r in slot.transferring if self._counted(r)[1]),
        }
        delay, hold, why = self.download_delay, 0.0, ""
        alone = key not in self.answered  # the first answer tells the budget
        cap = self.concurrency
        for name, bucket in (("api", budget.api), ("paging", budget.paging)):
            bucket.roll(now)
            avail = bucket.available()
            if avail is None or avail >= self.reserve or bucket.remaining is None:
                continue
            room = bucket.remaining - sent[name] - bucket.sent_since - self.reserve
            if room > 0:
                # these may still go in this window; the downloader counts a request as
                # transferring only once its download starts, so it must send them one
                # at a time (a delay) for the cap to hold
                cap = min(cap, sent[name] + room)
                delay = max(delay, _TICK)
            elif bucket.reset_at is None:
                alone = True  # spent, reset unknown: the answers will say, one at a time
            else:
                left = (bucket.reset_at - now).total_seconds()
                if left > hold:
                    hold, why = left, name
                delay = max(delay, bucket.pace(self.reserve))
        clock = monotonic()
        opens = clock + min(hold, self.max_wait) if hold > 0 else 0.0
        if opens > self.opens.get(key, 0.0) + _TICK:
            self.stats.inc_value(_WAIT_STATS[why])
            self.stats.inc_value("scout/ratelimit/wait_ms", int((opens - clock) * 1000))
            logger.info("%s: holding for %.1f s (%s budget)", key, opens - clock, why)
        pause = self.pauses.get(key, 0.0)
        if pause > max(opens, clock):
            opens = pause  # backing off before a retry
        self.opens[key] = opens
        slot.concurrency = 1 if alone else cap
        slot.jitter = 0.0
        if opens > clock:
            # the downloader sends nothing before lastseen + delay, then one per delay
            slot.delay = max(delay, _TICK)
            slot.lastseen = opens - slot.delay
        else:
            slot.delay = delay

    def process_request(self, request: Request) -> None:
        key = self.key(request)
        paging = self.paging(request)
        budget = self.budget(key)
        now = datetime.now(UTC)
        if paging and key in self.seen_limits:
            self._start_paging(budget.paging, now)
        for b in budget.buckets(paging):
            b.inflight += 1
        request.meta["scout_budget"] = (key, paging)
        retried = times_retried(request)
        if retried and self.retry_backoff > 0:
            # a retry (5xx, timeout, broken body, 429): give the host a breather first
            pause = min(self.retry_backoff * 2 ** (retried - 1), _MAX_BACKOFF)
            self.pauses[key] = max(self.pauses.get(key, 0.0), monotonic() + pause)
            self.stats.inc_value("scout/retries")
        self.stats.inc_value("scout/ratelimit/requests")
        if paging:
            self.stats.inc_value("scout/ratelimit/paging_requests")
        self._settle(key, self._slot(request), now)
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
        api.roll(now)  # the answer may already describe the api window after ours
        pg.roll(now)
        if (
            rl.limit is not None
            and api.limit is not None
            and pg.limit is not None
            and api.limit != pg.limit
            and rl.limit in (api.limit, pg.limit)
        ):
            is_api = rl.limit == api.limit  # the throttles differ in size: tell by it
        elif (
            rl.limit is not None
            and api.limit is not None
            and rl.limit != api.limit
            and (pg.assumed or rl.limit == pg.limit)
        ):
            is_api = False  # not the api's size: the paging throttle's
        elif api.reset_at is not None and rl.reset_at is not None:
            is_api = _same_window(api, rl.reset_at)  # the budget whose window ends then
        else:
            is_api = True  # nothing tells them apart: the budget every request draws on
        if is_api or api.remaining is None:
            budget.api.announce(rl, now)
        else:
            budget.paging.announce(rl, now)

    def response_downloaded(self, response: Response, request: Request) -> None:
        """Read the budget from the answer before the download slot sends its next
        request (the ``response_downloaded`` signal comes first, as for AutoThrottle)."""
        if "scout_budget" not in request.meta:
            return  # not counted here (or already read)
        key, paging = self._release(request)
        self.answered.add(key)
        now = datetime.now(UTC)
        headers = response.headers.to_unicode_dict()
        limit = parse_rate_limit(headers, now, offset=self._offset(key, headers, now))
        if limit is not None and limit.reset_at is not None and _whole_seconds(headers):
            # an epoch reset in whole seconds is rounded down (mastodon-mock, some
            # servers): the window may end up to a second later
            limit.reset_at += timedelta(seconds=1)
        if limit is not None:
            self._announce(key, paging, limit, now)
        if response.status == 429:
            wait = retry_after(headers, now)
            if wait is None and limit is not None and limit.reset_at is not None:
                wait = max(0.0, (limit.reset_at - now).total_seconds())
            if wait is None:
                wait = self.backoff * (2 ** int(request.meta.get(RATE_LIMITED, 0)))
            self._spent(key, paging, limit, now + timedelta(seconds=wait))
        self._settle(key, self._slot(request), now)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        self.response_downloaded(response, request)  # no signal: a unit test, a cache
        if response.status != 429:
            return response
        self.stats.inc_value("scout/ratelimit/429")
        spider = self.crawler.spider if self.crawler is not None else None
        retry = (
            retry_request(
                request,
                spider=spider,
                reason="429",
                max_times=self.max_429_retries,
                kind=RATE_LIMITED,
            )
            if spider is not None
            else None
        )
        if retry is None:
            logger.warning("%s: still 429, giving up %s", self.key(request), request.url)
            self.stats.inc_value("scout/ratelimit/429_gave_up")
            return response
        # back through the scheduler; the slot is held until the budget's reset
        return retry

    def _offset(self, key: str, headers: Mapping[Any, Any], now: datetime) -> float:
        """Our clock minus the server's, from ``Date`` (a margin for servers without)."""
        if key not in self.offsets:
            seen = clock_offset(headers, now)
            if seen is None:
                return RESET_MARGIN_SECONDS
            # kept for the run: resets of consecutive windows stay a window apart
            self.offsets[key] = seen
        return self.offsets[key]

    def _spent(self, key: str, paging: bool, limit: RateLimit | None, until: datetime) -> None:
        """The budget that answered 429 is spent until then."""
        budget = self.budget(key)
        target = budget.api
        if (
            paging
            and limit is not None
            and not (
                budget.api.reset_at is not None
                and limit.reset_at is not None
                and abs((limit.reset_at - budget.api.reset_at).total_seconds()) < SAME_RESET
            )
        ):
            target = budget.paging
        target.remaining = 0
        target.sent_since = 0
        target.reset_at = until

    def process_exception(self, request: Request, exception: Exception) -> None:
        if "scout_budget" in request.meta:
            key, _ = self._release(request)
            self.answered.add(key)  # no answer to wait for: let the next request ask
            self._settle(key, self._slot(request), datetime.now(UTC))
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
