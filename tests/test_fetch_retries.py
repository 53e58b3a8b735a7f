"""A retry budget per kind of failure (crawler.fetch.retries): timeouts and 5xx, 429s and
broken bodies each get their own number of tries, so a page is not given up after six
mixed failures (a flaky loss in the 20 %-faults crawl of tests/test_e2e_faults.py)."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.fetch.retries import BAD_BODY, RATE_LIMITED, retry_request, times_retried


def _spider() -> Spider:
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("retries")
    assert isinstance(crawler.spider, Spider)
    return crawler.spider


def test_429s_have_their_own_budget_after_timeouts() -> None:
    spider = _spider()
    # four timeouts already (Scrapy's RetryMiddleware counts them in retry_times)
    request = Request("http://127.0.0.1:9/api/v1/timelines/tag/eci", meta={"retry_times": 4})
    tries = 0
    while (retry := retry_request(
        request, spider=spider, reason="429", max_times=5, kind=RATE_LIMITED
    )) is not None:  # fmt: skip
        tries += 1
        assert retry.meta["retry_times"] == 4  # the timeouts' budget is not spent
        assert retry.meta[RATE_LIMITED] == tries
        assert retry.dont_filter and retry.url == request.url
        request = retry
    assert tries == 5
    assert times_retried(request) == 9
    stats = spider.crawler.stats
    assert stats is not None
    assert stats.get_value("retry/reason_count/429") == 5


def test_kinds_do_not_spend_each_other() -> None:
    spider = _spider()
    request = Request("http://127.0.0.1:9/api/v1/accounts/1", meta={RATE_LIMITED: 5})
    assert (
        retry_request(request, spider=spider, reason="429", max_times=5, kind=RATE_LIMITED) is None
    )
    retry = retry_request(request, spider=spider, reason="bad_body", max_times=5, kind=BAD_BODY)
    assert retry is not None
    assert retry.meta[BAD_BODY] == 1 and retry.meta[RATE_LIMITED] == 5
    assert retry.meta.get("retry_times", 0) == 0
    assert times_retried(retry) == 6
    # no budget at all: never retried
    fresh = Request("http://127.0.0.1:9/api/v1/accounts/2")
    assert retry_request(fresh, spider=spider, reason="429", max_times=0, kind=RATE_LIMITED) is None


def test_the_rate_limit_middleware_retries_a_429_after_timeouts() -> None:
    """A page with five timeouts behind it and a 429 now goes back to the scheduler
    (before, the count the two shared was spent and the page given up)."""
    from typing import Any, cast

    from scrapy.http import Response

    from tests.test_mastodon_budget import Downloader, _middleware

    mw = _middleware(SCOUT_429_BACKOFF=0.0)
    downloader = Downloader()
    downloader.spider = cast(Any, _spider())
    mw.crawler = cast(Any, downloader)
    url = "http://127.0.0.1:9/api/v1/timelines/tag/eci?limit=40"
    request = Request(url, meta={"retry_times": 5})
    mw.process_request(request)
    out = mw.process_response(request, Response(url, status=429, request=request))
    assert isinstance(out, Request)
    assert out.meta["retry_times"] == 5 and out.meta[RATE_LIMITED] == 1
