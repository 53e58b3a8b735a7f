"""The demo servers on loopback: one ``ThreadingHTTPServer`` per Mastodon instance plus
one Bluesky service, all in one process and sharing one :class:`~scout_demo.model.World`.

Every server binds port 0 and the operating system picks a free port; the URLs actually
bound are reported by :meth:`DemoServers.state`, which ``main`` writes (atomically) to
the ``--state`` JSON file once everything listens.  :class:`scout_demo.network.DemoNetwork`
starts ``python -m scout_demo`` and reads that file.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from crawler.core.files import atomic_write
from scout_demo.bluesky_api import BlueskyApp
from scout_demo.follows import graph_state
from scout_demo.mastodon_api import MastodonApp
from scout_demo.model import World
from scout_demo.service import App
from scout_demo.sites_server import DemoSites
from scout_demo.tables import DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD
from scout_demo.world import build_world

LOOPBACK = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's :class:`App` (``send_response`` adds the
    ``Date`` and ``Server`` headers, as a real server does)."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, data = self.server.app.handle(self.command, self.path, body, self.headers)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    app: App

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _Handler)  # port 0: the OS picks a free port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"


class DemoServers:
    """All demo servers of one process, sharing one world."""

    def __init__(
        self,
        world: World,
        rate_limit: int = 100_000,
        window: float = 300,
        bsky_rate_limit: int | None = None,
        paging_limit: int | None = None,
        paging_window: float = 900.0,
    ) -> None:
        self.world = world
        n = len(world.instances)
        self.servers = [_Server() for _ in range(n + 1)]
        urls = [s.url for s in self.servers]
        self.mastodon_urls = urls[:n]
        self.bluesky_url = urls[n]
        # the organisations' and public figures' websites (before anything is rendered:
        # binding points the accounts' website fields at the served sites)
        self.sites = DemoSites(world)
        self.sites.bind(self.mastodon_urls)
        apps: list[App] = [
            MastodonApp(
                world, i, self.mastodon_urls, rate_limit, window, paging_limit, paging_window
            )
            for i in range(n)
        ]
        apps.append(BlueskyApp(world, self.bluesky_url, bsky_rate_limit or rate_limit, window))
        self.apps = apps
        lock = threading.Lock()
        hooks = [a.on_advance for a in apps]

        def advance_all() -> None:
            for hook in hooks:
                hook()

        for a in apps:
            a.world_lock = lock
            a.on_advance = advance_all
        for server, app in zip(self.servers, apps, strict=True):
            server.app = app
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for s in self.servers:
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
            t.start()
            self.threads.append(t)
        self.sites.start()

    def stop(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()
        self.sites.stop()

    def state(self) -> dict[str, Any]:
        """What a client needs: the URLs bound, the demo login, pid and seed, and the
        seed accounts and starter packs of the follow graph."""
        return {
            "mastodon": list(self.mastodon_urls),
            "bluesky": self.bluesky_url,
            "bsky_handle": DEMO_BSKY_HANDLE,
            "bsky_password": DEMO_BSKY_PASSWORD,
            "pid": os.getpid(),
            "sites": {"index": self.sites.index_url, "urls": [s.url for s in self.sites.specs]},
            "seed": self.world.seed,
            **graph_state(self.world, self.mastodon_urls),
        }


def start_servers(world: World | None = None, **kwargs: Any) -> DemoServers:
    """Start the demo servers in this process (threads); call ``.stop()`` when done."""
    servers = DemoServers(world or build_world(), **kwargs)
    servers.start()
    return servers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scout_demo", description=__doc__)
    ap.add_argument("--state", type=Path, required=True, help="JSON file written once listening")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--posts", type=int, default=30000)
    ap.add_argument(
        "--rate-limit", type=int, default=100_000, help="requests per window per server"
    )
    ap.add_argument("--window", type=float, default=300.0, help="rate-limit window in seconds")
    ap.add_argument("--bsky-rate-limit", type=int, default=None)
    ap.add_argument(
        "--paging-limit", type=int, default=None, help="Mastodon paging requests per window"
    )
    ap.add_argument("--paging-window", type=float, default=900.0)
    args = ap.parse_args(argv)
    world = build_world(args.seed, args.accounts, args.posts)
    servers = start_servers(
        world,
        rate_limit=args.rate_limit,
        window=args.window,
        bsky_rate_limit=args.bsky_rate_limit,
        paging_limit=args.paging_limit,
        paging_window=args.paging_window,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    atomic_write(args.state, json.dumps(servers.state(), indent=2))
    try:
        # a bounded wait, so the signal handler gets to run promptly on every platform
        while not stop.wait(0.5):
            pass
    finally:
        servers.stop()
        args.state.unlink(missing_ok=True)
    return 0
