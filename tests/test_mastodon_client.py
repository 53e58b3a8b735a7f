"""Mastodon.py in "pace" mode refuses every call, without sending it, once the reset
time it read has passed (a pause between calls longer than the window): the client must
recover by itself instead of failing every later lookup."""

from __future__ import annotations

import time

import pytest
from mastodon.errors import MastodonNetworkError, MastodonRatelimitError

from crawler.mastodon.client import MastodonClient


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
