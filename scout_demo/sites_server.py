"""Serving the demo websites (:mod:`scout_demo.sites`) on loopback: one listening socket
per site (its own ``127.0.0.1:port``, so robots.txt and politeness are per site as on
the web), all driven by one selector thread, plus an index server whose
``/_demo/sites`` lists the sites and ``/_demo/site-requests`` every request each site
answered (path, user agent, start and end times), so tests can count requests per
site and check the crawler's pace.
"""

from __future__ import annotations

import json
import resource
import selectors
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scout_demo.model import World
from scout_demo.sites import SiteSpec, profile_url, render, site_specs

LOOPBACK = "127.0.0.1"


class _SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _SiteServer

    def do_GET(self) -> None:
        started = time.time()
        status, headers, body = self.server.answer(self.path)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the crawler gave up (size cap)
            pass
        self.server.log(self.path, self.headers.get("User-Agent", ""), started, time.time())

    def log_message(self, format: str, *args: Any) -> None:
        return


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, spec: SiteSpec | None, sites: DemoSites) -> None:
        super().__init__((LOOPBACK, 0), _SiteHandler)
        self.spec = spec
        self.sites = sites

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}/"

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.spec is None:
            return self.sites.control(path)
        return render(self.spec, path)

    def log(self, path: str, agent: str, started: float, ended: float) -> None:
        if self.spec is not None:
            self.sites.record(self.spec.url, path, agent, started, ended)


class DemoSites:
    """All demo sites of one world; :meth:`bind` before the world is rendered (it points
    the accounts' website fields at the served URLs), :meth:`start`, :meth:`stop`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.specs = site_specs(world)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = len(self.specs) + 1024
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        self.servers = [_SiteServer(spec, self) for spec in self.specs]
        self.index = _SiteServer(None, self)

    def bind(self, mastodon_urls: list[str]) -> None:
        """Give each site its served URL and its account's profile URL, and point the
        account's website (its Mastodon profile field) at the served site."""
        for spec, server in zip(self.specs, self.servers, strict=True):
            spec.url = server.url
            acc = self.world.accounts[spec.account]
            spec.profile = profile_url(acc, mastodon_urls)
            twin = self.world.twins.get(spec.account)
            if twin is not None:
                spec.also = (profile_url(self.world.accounts[twin], mastodon_urls),)
            old = acc.website or ""
            # bios stay as generated (tests compare them with the world); a Bluesky
            # account's site is therefore served but not named anywhere yet
            acc.fields = [(n, spec.url if v == old else v, ok) for n, v, ok in acc.fields]
            acc.website = spec.url

    @property
    def index_url(self) -> str:
        return self.index.url.rstrip("/")

    def record(self, site: str, path: str, agent: str, started: float, ended: float) -> None:
        with self._lock:
            self.requests.append(
                {"site": site, "path": path, "agent": agent, "start": started, "end": ended}
            )

    def control(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/_demo/site-requests"):
            with self._lock:
                data: Any = list(self.requests)
        elif path.startswith("/_demo/sites"):
            data = [
                {
                    "url": s.url,
                    "account": self.world.accounts[s.account].username,
                    "kind": self.world.accounts[s.account].kind,
                    "platform": self.world.accounts[s.account].platform,
                    "lang": s.lang,
                    "country": s.country,
                    "email": s.email,
                    "form": s.form,
                    "rel_me": s.rel_me,
                    "robots": s.robots,
                    "hostile": s.hostile,
                }
                for s in self.specs
            ]
        else:
            return 404, {"Content-Type": "application/json"}, b"{}"
        return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as sel:
            for server in [*self.servers, self.index]:
                sel.register(server, selectors.EVENT_READ, server)
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.2):
                    key.data.handle_request()  # readable: accepts without waiting

    def start(self) -> None:
        for server in [*self.servers, self.index]:
            server.timeout = 0
        self._thread = threading.Thread(target=self._loop, name="demo-sites", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for server in [*self.servers, self.index]:
            server.server_close()
