"""Mastodon.py in "pace" mode refuses every call, without sending it, once the reset
time it read has passed (a pause between calls longer than the window), and gives up on
a 429 whose reset reads as now (epoch seconds rounded down): the client must recover by
itself instead of failing every later lookup."""

from __future__ import annotations

import time

import pytest
from mastodon.errors import MastodonNetworkError, MastodonRatelimitError

from crawler.mastodon.client import MastodonClient
from tests.support.net import allowed_hosts


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


class _RoundedResetServer:
    """A Mastodon-like server on 127.0.0.1 whose rate-limit window ends ``busy_for``
    seconds after the first request and whose ``X-RateLimit-Reset`` is epoch seconds
    rounded down (as mastodon-mock sends it): inside the window a 429's reset reads as
    "now", which Mastodon.py's pacing cannot use."""

    def __init__(self, busy_for: float) -> None:
        import http.server
        import json
        import threading

        self.busy_for = busy_for
        self.first: float | None = None
        self.statuses: list[int] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                now = time.time()
                if outer.first is None:
                    outer.first = now
                busy = now < outer.first + outer.busy_for
                body = (
                    b'{"error": "Too many requests"}'
                    if busy
                    else json.dumps(
                        {
                            "id": "7",
                            "username": "bob",
                            "acct": "bob",
                            "created_at": "2024-01-02T00:00:00.000Z",
                        }
                    ).encode()
                )
                outer.statuses.append(429 if busy else 200)
                self.send_response(429 if busy else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-RateLimit-Limit", "5")
                self.send_header("X-RateLimit-Remaining", "0" if busy else "4")
                self.send_header("X-RateLimit-Reset", str(int(now if busy else now + 5)))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_429_whose_reset_reads_as_now_is_waited_out() -> None:
    server = _RoundedResetServer(busy_for=1.2)
    try:
        with allowed_hosts(server.base):
            client = MastodonClient(server.base, "token", timeout=5)
            bob = client.lookup("bob")  # 429s for 1.2 s: Mastodon.py alone gives up at once
        assert bob is not None and bob["acct"] == "bob"
        assert server.statuses[0] == 429 and server.statuses[-1] == 200
        assert server.statuses.count(200) == 1
    finally:
        server.close()
