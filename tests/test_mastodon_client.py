"""Mastodon.py in "pace" mode refuses every call, without sending it, once the reset
time it read has passed (a pause between calls longer than the window), and gives up on
a 429 whose reset reads as now (epoch seconds rounded down): the client must recover by
itself instead of failing every later lookup."""

from __future__ import annotations

import json
import time

import pytest
from mastodon.errors import MastodonNetworkError, MastodonRatelimitError

from crawler.mastodon.client import MastodonClient
from tests.support.net import allowed_hosts
from tests.support.websites import CountingSite


def test_a_stale_rate_limit_window_does_not_block_the_client() -> None:
    # port 9 on loopback: nothing listens, so a request that is really sent fails fast
    client = MastodonClient("http://127.0.0.1:9", "token", timeout=2)
    api = client.api
    api.ratelimit_lastcall = time.time() - 120  # an answer two windows ago
    api.ratelimit_reset = time.time() - 60  # whose window has rolled over
    api.ratelimit_remaining = 0
    with pytest.raises(MastodonRatelimitError):
        api.account_lookup("bob")  # Mastodon.py alone: refused, nothing sent
    with pytest.raises(MastodonNetworkError):
        client.lookup("bob")  # the client: the request is sent (and meets a closed port)


def test_a_429_whose_reset_reads_as_now_is_waited_out() -> None:
    """A server whose rate-limit window ends 1.2 s after the first request and whose
    ``X-RateLimit-Reset`` is epoch seconds rounded down (as mastodon-mock sends it):
    inside the window a 429's reset reads as "now", which Mastodon.py cannot pace by."""
    first: list[float] = []
    statuses: list[int] = []

    def answer(path: str) -> tuple[int, dict[str, str], bytes]:
        now = time.time()
        first[:] = first or [now]
        busy = now < first[0] + 1.2
        statuses.append(429 if busy else 200)
        headers = {
            "Content-Type": "application/json",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0" if busy else "4",
            "X-RateLimit-Reset": str(int(now if busy else now + 5)),
        }
        if busy:
            return 429, headers, b'{"error": "Too many requests"}'
        account = {"id": "7", "username": "bob", "acct": "bob",
                   "created_at": "2024-01-02T00:00:00.000Z"}  # fmt: skip
        return 200, headers, json.dumps(account).encode()

    with CountingSite({}, answer) as site, allowed_hosts(f"http://127.0.0.1:{site.port}"):
        client = MastodonClient(f"http://127.0.0.1:{site.port}", "token", timeout=5)
        bob = client.lookup("bob")  # 429s for 1.2 s: Mastodon.py alone gives up at once
    assert bob is not None and bob["acct"] == "bob"
    assert statuses[0] == 429 and statuses[-1] == 200
    assert statuses.count(200) == 1
