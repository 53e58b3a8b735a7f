"""RateLimitMiddleware budgets, without a network: header attribution between the API
budget and Mastodon's separate paging budget, requests in flight, and a simulated server
that throttles like rack-attack (epoch-aligned windows, headers of the most limited
throttle) driven by concurrent requests through download slots that the middleware
holds and paces."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from types import SimpleNamespace
from typing import Any, cast

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.httpobj import urlparse_cached

from crawler.core.ratelimit import RateLimit
from crawler.fetch.budget import Bucket, is_paging_request
from crawler.fetch.middlewares import RateLimitMiddleware
from pipelines.stats import Stats

NOW = datetime(2026, 8, 1, 13, 55, 0, tzinfo=UTC)


def _middleware(**overrides: object) -> RateLimitMiddleware:
    """The middleware with the project's settings (the one place of their defaults)."""
    settings = Settings()
    settings.setmodule("crawler.fetch.settings")
    settings.update(overrides)
    return RateLimitMiddleware(settings, Stats())


def test_paging_requests_are_api_requests_with_an_id_bound() -> None:
    assert is_paging_request("/api/v1/timelines/tag/x", "limit=40&max_id=10")
    assert is_paging_request("/api/v1/statuses/1/reblogged_by", "since_id=5")
    assert is_paging_request("/api/v1/timelines/tag/x", "min_id=3")
    assert not is_paging_request("/api/v1/timelines/tag/x", "limit=40")
    assert not is_paging_request("/api/v1/timelines/tag/x", "max_id=")
    assert not is_paging_request("/tags/x", "max_id=10")  # not the API


def test_bucket_counts_in_flight_and_ignores_late_answers() -> None:
    b = Bucket()
    b.announce(RateLimit(300, 10, NOW + timedelta(seconds=60), None), NOW)
    b.inflight = 4
    assert b.available() == 6
    assert b.wait_seconds(NOW, reserve=1) == 0
    b.inflight = 9
    assert b.wait_seconds(NOW, reserve=1) == 60
    # an answer from the previous window must not raise the count
    b.announce(RateLimit(300, 200, NOW - timedelta(seconds=240), None), NOW)
    assert b.remaining == 10
    # a lower count in the same window (Mastodon adds the request's fraction of a
    # second to the reset) wins
    b.announce(RateLimit(300, 7, NOW + timedelta(seconds=60.4), None), NOW)
    assert b.remaining == 7
    # once the reset has passed the window starts full; consecutive resets told the size
    b.announce(RateLimit(300, 299, NOW + timedelta(seconds=360), None), NOW)
    assert b.window == 300
    b.inflight = 0
    later = NOW + timedelta(seconds=361)
    assert b.wait_seconds(later, reserve=1) == 0
    assert b.remaining == 300 and b.reset_at == NOW + timedelta(seconds=660)


def _response(
    req: Request, status: int, limit: int, remaining: int, reset: datetime, date: str = ""
) -> Response:
    headers = {
        "Date": date or formatdate(usegmt=True),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
    }
    return Response(req.url, status=status, headers=headers, request=req)


def test_paging_headers_go_to_the_budget_they_describe() -> None:
    mw = _middleware(SCOUT_RATELIMIT_RESERVE=1)
    base = "https://mastodon.example"
    api_reset = datetime.now(UTC) + timedelta(seconds=200)
    paging_reset = datetime.now(UTC) + timedelta(seconds=700)
    date = formatdate(usegmt=True)  # one server second for the three answers

    async def go() -> None:
        first = Request(f"{base}/api/v1/timelines/tag/x?limit=40")
        mw.process_request(first)
        mw.process_response(first, _response(first, 200, 300, 250, api_reset, date))
        page = Request(f"{base}/api/v1/timelines/tag/x?limit=40&max_id=99")
        mw.process_request(page)
        # paging is the more limited throttle: its headers come back
        mw.process_response(page, _response(page, 200, 300, 20, paging_reset, date))
        again = Request(f"{base}/api/v1/timelines/tag/x?limit=40&max_id=50")
        mw.process_request(again)
        # api is the more limited one now
        mw.process_response(again, _response(again, 200, 300, 9, api_reset, date))

    asyncio.run(go())
    budget = mw.hosts["mastodon.example"]
    # resets moved onto our clock by the Date header: never early, less than 1 s late
    offset = timedelta(seconds=mw.offsets["mastodon.example"])
    assert timedelta(0) <= offset < timedelta(seconds=1)
    assert (budget.paging.remaining, budget.paging.reset_at) == (20, paging_reset + offset)
    assert (budget.api.remaining, budget.api.reset_at) == (9, api_reset + offset)
    assert budget.paging.available() == 19  # one more paging request answered since


class RackAttack:
    """Two throttles like Mastodon's: all API requests, and paging requests; windows
    aligned to the epoch; the headers of the most limited throttle."""

    def __init__(self, api: tuple[int, float], paging: tuple[int, float]) -> None:
        self.throttles = {"api": api, "paging": paging}
        self.counts: dict[tuple[str, int], int] = {}
        self.served = 0
        self.refused = 0

    def answer(self, req: Request) -> Response:
        now = time.time()
        names = ["api", "paging"] if "max_id=" in req.url else ["api"]
        data = []
        for name in names:
            limit, period = self.throttles[name]
            slot = int(now // period)
            count = self.counts.get((name, slot), 0) + 1
            self.counts[(name, slot)] = count
            data.append((limit - count, limit, (slot + 1) * period))
        left, limit, reset = min(data)
        reset_at = datetime.fromtimestamp(reset, UTC)
        if left < 0:
            self.refused += 1
            return _response(req, 429, limit, 0, reset_at)
        self.served += 1
        return _response(req, 200, limit, left, reset_at)


class Downloader:
    """Download slots with Scrapy's dispatch rule (``Downloader._process_queue``): in
    order, nothing before ``lastseen + delay``, then one per ``delay``, at most
    ``concurrency`` at a time. The middleware paces by setting these."""

    def __init__(self) -> None:
        self.slots: dict[str, Slot] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.engine = SimpleNamespace(downloader=self)
        self.spider = None

    def get_slot_key(self, request: Request) -> str:
        return str(request.meta.get("download_slot") or urlparse_cached(request).netloc)

    def _get_slot(self, request: Request) -> tuple[str, Slot]:
        key = self.get_slot_key(request)
        return key, self.slots.setdefault(key, Slot(4, 0.0, 0.0))

    async def fetch(self, mw: RateLimitMiddleware, request: Request, server: RackAttack) -> Any:
        mw.process_request(request)
        key, slot = self._get_slot(request)
        async with self.locks.setdefault(key, asyncio.Lock()):  # in order
            while len(slot.transferring) >= slot.concurrency or (
                slot.delay and time.monotonic() < slot.lastseen + slot.delay
            ):
                await asyncio.sleep(0.002)
            slot.lastseen = time.monotonic()
            slot.transferring.add(request)
        await asyncio.sleep(0.005)  # the network
        response = server.answer(request)
        mw.response_downloaded(response, request)  # before the slot sends the next
        slot.transferring.discard(request)
        return mw.process_response(request, response)


def test_concurrent_walks_never_exceed_either_budget() -> None:
    server = RackAttack(api=(12, 1.0), paging=(5, 2.0))
    mw = _middleware(
        SCOUT_RATELIMIT_RESERVE=1,
        SCOUT_PAGING_LIMIT=5,
        SCOUT_PAGING_WINDOW=2.0,
        SCOUT_429_RETRIES=0,
    )
    downloader = Downloader()
    mw.crawler = cast(Any, downloader)

    async def walk(tag: str, pages: int) -> None:
        url = f"http://127.0.0.1:9/api/v1/timelines/tag/{tag}?limit=40"
        for i in range(pages):
            req = Request(url + (f"&max_id={1000 - i}" if i else ""))
            out = await downloader.fetch(mw, req, server)
            assert isinstance(out, Response) and out.status == 200

    async def go() -> None:
        await asyncio.gather(*(walk(f"t{i}", 4) for i in range(5)))

    started = time.monotonic()
    asyncio.run(go())
    elapsed = time.monotonic() - started
    assert server.refused == 0
    assert server.served == 20
    # 15 paging requests at 4 usable per 2 s window need 3 more windows; no more
    assert elapsed < 4 * 2.0 + 1.0
    stats = mw.stats
    assert isinstance(stats, Stats)
    assert stats.get_value("scout/ratelimit/paging_requests") == 15
    assert stats.get_value("scout/ratelimit/paging_waits", 0) >= 1


def test_a_paging_answer_from_the_next_api_window_is_the_api_budget() -> None:
    """A server with a 2 s API window and no paging throttle of its own (recorded from
    a crawl that then held for 15 minutes): our clock still counts the API window that
    the server already rolled over, so the paging answer names the *next* API reset. It
    describes the API budget, and the assumed paging window (15 minutes) never becomes
    a hold."""
    mw = _middleware(SCOUT_RATELIMIT_RESERVE=1)
    key = "127.0.0.1:9"
    t = NOW
    # the api budget as the answers told it: 12 per 2 s, this window ends at t + 0.13
    before = t - timedelta(seconds=2)
    mw._announce(key, False, RateLimit(12, 9, before + timedelta(seconds=0.13), None), before)
    mw._announce(key, False, RateLimit(12, 7, t + timedelta(seconds=0.13), None), t)
    budget = mw.hosts[key]
    assert (budget.api.window, budget.api.remaining) == (2.0, 7)
    for i in range(40):  # 40 paging answers, each early in the next api window
        now = t + timedelta(seconds=2 * i)
        rl = RateLimit(12, 11, now + timedelta(seconds=2.13), None)
        mw._announce(key, True, rl, now)
        assert budget.api.remaining == 11, i
        assert budget.paging.wait_seconds(now, reserve=1) == 0, i
    assert budget.paging.assumed  # nothing ever described the paging throttle


def test_a_paging_throttle_of_another_size_is_told_by_its_limit() -> None:
    mw = _middleware(SCOUT_RATELIMIT_RESERVE=1)
    key = "m.example"
    mw._announce(key, False, RateLimit(300, 250, NOW + timedelta(seconds=100), None), NOW)
    # a paging answer whose window ends with the api's, but whose size is not the api's
    mw._announce(key, True, RateLimit(40, 3, NOW + timedelta(seconds=100), None), NOW)
    budget = mw.hosts[key]
    assert budget.api.remaining == 250
    assert (budget.paging.limit, budget.paging.remaining) == (40, 3)
    assert budget.paging.window is None  # the assumed 15 minutes were the default's only
