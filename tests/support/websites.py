"""Run the website spider in a child process (Scrapy starts its reactor once per process)
with an injected resolver and a connection guard, for the SSRF tests.

The child (``python -m tests.support.websites``) reads a JSON job on stdin: ``sites``
(``[account_id, url]`` pairs), ``resolve`` (host name -> the address a hostile DNS would
answer), ``db``; it replaces ``socket.getaddrinfo`` with that table (other names do not
resolve) and wraps ``socket.socket.connect``/``connect_ex`` so that a connection to
anything but loopback fails and is recorded. It prints one JSON line: the spider's stats
and the connections attempted.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.fixtures import ROOT

PREFIX = "websites-child "


def run_spider(job: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.websites"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(PREFIX):
            result: dict[str, Any] = json.loads(line[len(PREFIX) :])
            return result
    raise AssertionError(f"child failed ({proc.returncode}): {proc.stderr[-3000:]}")


def _install_guards(table: dict[str, str], attempts: list[str]) -> None:
    def fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in table:
            raise socket.gaierror(socket.EAI_NONAME, "no such name")
        ip = table[name]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        addr = (ip, int(port or 0), 0, 0) if family == socket.AF_INET6 else (ip, int(port or 0))
        return [(family, socket.SOCK_STREAM, 6, "", addr)]

    socket.getaddrinfo = fake_getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(address: Any) -> None:
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        attempts.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise ConnectionRefusedError(f"guard: connection to {host} refused by the test")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign, assignment]


def main() -> int:
    job = json.loads(sys.stdin.read())
    attempts: list[str] = []
    _install_guards(job.get("resolve", {}), attempts)
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.core.protocols import STORE_ATTR
    from crawler.db.store import Store
    from spiders.websites import WebsiteSpider

    settings = Settings()
    settings.setmodule("crawler.fetch.settings", priority="project")
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    for name, value in job.get("settings", {}).items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WebsiteSpider)
    store = Store(Path(job["db"]))
    setattr(crawler, STORE_ATTR, store)
    process.crawl(crawler, sites=[tuple(s) for s in job["sites"]])
    process.start()
    store.close()
    assert crawler.stats is not None
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float | str)}
    print(PREFIX + json.dumps({"stats": stats, "connections": attempts}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


Answer = tuple[int, dict[str, str], bytes]  # status, headers, body


class CountingSite:
    """A loopback HTTP server that answers ``routes`` (path -> (status, headers, body)),
    other paths with ``answer(path)`` when given (else 404), and records every request
    (``Host`` header and path), for asserting that refused addresses got nothing."""

    def __init__(
        self, routes: dict[str, Answer], answer: Callable[[str], Answer] | None = None
    ) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.routes = routes
        self.answer = answer
        self.requests: list[tuple[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site.requests.append((self.headers.get("Host", ""), self.path))
                if self.path in site.routes:
                    status, headers, body = site.routes[self.path]
                elif site.answer is not None:
                    status, headers, body = site.answer(self.path)
                else:
                    status, headers, body = 404, {"Content-Type": "text/html"}, b"<html></html>"
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
