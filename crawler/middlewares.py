"""Downloader middleware that reads rate-limit headers and keeps every host within its
published budget.

AutoThrottle only reads latency; real servers publish their budget instead:
``X-RateLimit-*`` on Mastodon (reset as ISO-8601, epoch on some implementations) and
``RateLimit-*`` on Bluesky (epoch reset). Budgets are per host *and port* (several test
instances share 127.0.0.1). Before a request, if the host's remaining budget is at the
reserve, the request waits until the reset. A 429 waits for ``Retry-After`` (or the
reset) and is retried a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.ratelimit import RateLimit, parse_rate_limit, retry_after
from pipelines.base import StatsLike

logger = logging.getLogger(__name__)


class RateLimitMiddleware:
    def __init__(
        self,
        stats: StatsLike,
        *,
        reserve: int = 1,
        max_wait: float = 900.0,
        max_429_retries: int = 5,
        backoff: float = 5.0,
    ) -> None:
        self.stats = stats
        self.reserve = reserve
        self.max_wait = max_wait
        self.max_429_retries = max_429_retries
        self.backoff = backoff
        self.limits: dict[str, RateLimit] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawler.stats,
            reserve=s.getint("SCOUT_RATELIMIT_RESERVE", 1),
            max_wait=s.getfloat("SCOUT_RATELIMIT_MAX_WAIT", 900.0),
            max_429_retries=s.getint("SCOUT_429_RETRIES", 5),
            backoff=s.getfloat("SCOUT_429_BACKOFF", 5.0),
        )

    @staticmethod
    def key(request: Request) -> str:
        return urlparse_cached(request).netloc.lower()

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
        limit = self.limits.get(key)
        if limit is None:
            return None
        now = datetime.now(UTC)
        wait = limit.wait_seconds(now, self.reserve)
        if wait > 0:
            await self._sleep(wait, "budget_waits", key)
            # the window has reset: we do not know the new remaining until a response says
            self.limits.pop(key, None)
        elif limit.remaining is not None:
            # count requests in flight, so concurrency cannot overshoot the budget
            self.limits[key] = replace(limit, remaining=limit.remaining - 1)
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        key = self.key(request)
        now = datetime.now(UTC)
        headers = response.headers.to_unicode_dict()
        limit = parse_rate_limit(headers, now)
        if limit is not None:
            self.limits[key] = limit
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
        await self._sleep(wait, "429_waits", key)
        self.limits.pop(key, None)
        retry = request.replace(dont_filter=True)
        retry.meta["scout_429_tries"] = tries + 1
        return retry
