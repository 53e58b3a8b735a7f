"""RateLimitMiddleware budgets, without a network: header attribution between the API
budget and Mastodon's separate paging budget, requests in flight, and a simulated server
that throttles like rack-attack (epoch-aligned windows, headers of the most limited
throttle) driven by concurrent requests."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from scrapy import Request
from scrapy.http import Response

from crawler.core.ratelimit import RateLimit
from crawler.fetch.middlewares import Bucket, RateLimitMiddleware, is_paging_request
from pipelines.stats import Stats

NOW = datetime(2026, 8, 1, 13, 55, 0, tzinfo=UTC)


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


def _response(req: Request, status: int, limit: int, remaining: int, reset: datetime) -> Response:
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
    }
    return Response(req.url, status=status, headers=headers, request=req)


def test_paging_headers_go_to_the_budget_they_describe() -> None:
    mw = RateLimitMiddleware(Stats(), reserve=1)
    base = "https://mastodon.example"
    api_reset = datetime.now(UTC) + timedelta(seconds=200)
    paging_reset = datetime.now(UTC) + timedelta(seconds=700)

    async def go() -> None:
        first = Request(f"{base}/api/v1/timelines/tag/x?limit=40")
        await mw.process_request(first)
        await mw.process_response(first, _response(first, 200, 300, 250, api_reset))
        page = Request(f"{base}/api/v1/timelines/tag/x?limit=40&max_id=99")
        await mw.process_request(page)
        # paging is the more limited throttle: its headers come back
        await mw.process_response(page, _response(page, 200, 300, 20, paging_reset))
        again = Request(f"{base}/api/v1/timelines/tag/x?limit=40&max_id=50")
        await mw.process_request(again)
        # api is the more limited one now
        await mw.process_response(again, _response(again, 200, 300, 9, api_reset))

    asyncio.run(go())
    budget = mw.hosts["mastodon.example"]
    assert (budget.paging.remaining, budget.paging.reset_at) == (20, paging_reset)
    assert (budget.api.remaining, budget.api.reset_at) == (9, api_reset)
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


def test_concurrent_walks_never_exceed_either_budget() -> None:
    server = RackAttack(api=(12, 1.0), paging=(5, 2.0))
    mw = RateLimitMiddleware(
        Stats(), reserve=1, paging_limit=5, paging_window=2.0, skew=0.02, max_429_retries=0
    )

    async def walk(tag: str, pages: int) -> None:
        url = f"http://127.0.0.1:9/api/v1/timelines/tag/{tag}?limit=40"
        for i in range(pages):
            req = Request(url + (f"&max_id={1000 - i}" if i else ""))
            await mw.process_request(req)
            await asyncio.sleep(0.005)  # the network
            out = await mw.process_response(req, server.answer(req))
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
