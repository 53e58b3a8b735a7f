"""A retry budget per kind of failure.

Scrapy's ``get_retry_request`` keeps one count, ``meta["retry_times"]``, that its
``RetryMiddleware`` (5xx, timeouts) also counts in. A page that had a few timeouts and
is then told to wait (429), or answers a truncated body, would give up after fewer
tries of that kind than its budget allows: under load, with a server's own rate limit
answering 429 now and then, a page could be skipped after six mixed failures although
no kind had failed six times. :func:`retry_request` counts its kind in a meta key of
its own and leaves ``retry_times`` to the 5xx and timeouts.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request

# meta keys of the kinds retried outside Scrapy's RetryMiddleware
RATE_LIMITED = "scout_429_times"
BAD_BODY = "scout_bad_body_times"
KINDS = (RATE_LIMITED, BAD_BODY)


def retry_request(
    request: Request, *, spider: Any, reason: str, max_times: int, kind: str
) -> Request | None:
    """A copy of ``request`` to schedule again (``retry/*`` stats as Scrapy keeps them),
    or None once ``kind`` (a key of :data:`KINDS`) has been retried ``max_times``."""
    done = int(request.meta.get(kind, 0))
    if done >= max_times:
        return None
    shared = int(request.meta.get("retry_times", 0))
    retry = get_retry_request(request, spider=spider, reason=reason, max_retry_times=shared + 1)
    if retry is None:  # not when max_retry_times is one more than the count
        return None
    retry.meta["retry_times"] = shared  # the 5xx and timeouts keep their own budget
    retry.meta[kind] = done + 1
    return retry


def times_retried(request: Request) -> int:
    """How often ``request`` has been retried, all kinds together."""
    return int(request.meta.get("retry_times", 0)) + sum(int(request.meta.get(k, 0)) for k in KINDS)
