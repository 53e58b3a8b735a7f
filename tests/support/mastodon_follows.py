"""A small Mastodon server on 127.0.0.1 that serves seed accounts' followers and
following the way Mastodon 4.x does, for tests/test_mastodon_follows.py.

What it imitates (``app/controllers/api/v1/accounts/follower_accounts_controller.rb``
and ``config/initializers/rack_attack.rb``): ``/api/v1/accounts/lookup`` (404
``{"error":"Record not found"}`` for an unknown account), ``/api/v1/accounts/:id/
followers`` and ``/following`` newest follow first, paged by the *follow* id
(``max_id``), at most 80 a page, a ``Link: rel="next"`` only on a full page, an empty
list for an account with ``hide_collections``; two rack-attack throttles (every API
request; requests with ``max_id``/``since_id``/``min_id``), windows aligned to the epoch,
the headers of the most limited one, 429 past it. It records every request, can slow
list pages down (so a test can kill a crawl mid-walk), and lets a test remove a follow.

:func:`start_spider` runs the Mastodon spider (``collect_mastodon``) in a subprocess, as
``tests.support.mastodon.run_spider`` does, but returns the process (a test may kill it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.fixtures import ROOT

REMOTE = "social.example.org"  # the home of remote followers (never contacted)
_LIST_RE = re.compile(r"^/api/v1/accounts/(?P<id>[^/]+)/(?P<kind>followers|following)$")
PAGING = ("max_id", "since_id", "min_id")


@dataclass
class Person:
    username: str
    local_id: str
    remote: bool = False
    note: str = "<p>Cycling, clean air and good bread.</p>"
    discoverable: bool | None = True
    hide_collections: bool | None = None
    # the profile shows these counts while the list answers empty (a server hiding it)
    counts_shown: dict[str, int] | None = None


@dataclass
class World:
    """Accounts and follow edges (``(follow_id, src, dst)``: src follows dst)."""

    host: str = ""
    people: dict[str, Person] = field(default_factory=dict)
    follows: list[tuple[int, str, str]] = field(default_factory=list)
    next_follow_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, username: str, **kw: Any) -> Person:
        person = Person(username, str(110_000_000 + len(self.people)), **kw)
        self.people[username] = person
        return person

    def follow(self, src: str, dst: str) -> None:
        with self.lock:
            self.next_follow_id += 7
            self.follows.append((self.next_follow_id, src, dst))

    def unfollow(self, src: str, dst: str) -> None:
        with self.lock:
            self.follows = [f for f in self.follows if (f[1], f[2]) != (src, dst)]

    def acct(self, username: str) -> str:
        p = self.people[username]
        return f"{username}@{REMOTE}" if p.remote else username

    def uri(self, username: str) -> str:
        p = self.people[username]
        home = f"https://{REMOTE}" if p.remote else f"http://{self.host}"
        return f"{home}/users/{username}"

    def account(self, username: str) -> dict[str, Any]:
        """The Account entity, shaped as Mastodon 4.6 renders it (see the recorded
        ``test_account_lookup.yaml``)."""
        p = self.people[username]
        with self.lock:
            followers = sum(1 for _, _, d in self.follows if d == username)
            following = sum(1 for _, s, _ in self.follows if s == username)
        counts = {"followers": followers, "following": following, **(p.counts_shown or {})}
        home = f"https://{REMOTE}" if p.remote else f"http://{self.host}"
        return {
            "id": p.local_id,
            "username": username,
            "acct": self.acct(username),
            "display_name": username.replace("_", " ").title(),
            "locked": False,
            "bot": False,
            "discoverable": p.discoverable,
            "indexable": p.discoverable,
            "group": False,
            "created_at": "2024-03-01T00:00:00.000Z",
            "note": p.note,
            "url": f"{home}/@{username}",
            "uri": self.uri(username),
            "avatar": f"{home}/avatars/original/missing.png",
            "avatar_static": f"{home}/avatars/original/missing.png",
            "header": f"{home}/headers/original/missing.png",
            "header_static": f"{home}/headers/original/missing.png",
            "followers_count": counts["followers"],
            "following_count": counts["following"],
            "statuses_count": 42,
            "last_status_at": "2026-07-30",
            "hide_collections": p.hide_collections,
            "noindex": False,
            "emojis": [],
            "roles": [],
            "fields": [],
        }

    def listing(self, username: str, kind: str) -> list[tuple[int, str]]:
        """(follow id, the other account) newest first."""
        with self.lock:
            if kind == "followers":
                rows = [(i, s) for i, s, d in self.follows if d == username]
            else:
                rows = [(i, d) for i, s, d in self.follows if s == username]
        return sorted(rows, reverse=True)


class RackAttack:
    """Mastodon's two unauthenticated throttles, epoch-aligned windows."""

    def __init__(self, api: tuple[int, float], paging: tuple[int, float]) -> None:
        self.throttles = {"api": api, "paging": paging}
        self.counts: dict[tuple[str, int], int] = {}
        self.lock = threading.Lock()

    def check(self, paging: bool) -> tuple[bool, dict[str, str]]:
        now = time.time()
        data = []
        with self.lock:
            for name in ["api", "paging"] if paging else ["api"]:
                limit, period = self.throttles[name]
                slot = int(now // period)
                count = self.counts.get((name, slot), 0) + 1
                self.counts[(name, slot)] = count
                data.append((limit - count, limit, (slot + 1) * period))
        left, limit, reset = min(data)
        stamp = datetime.fromtimestamp(reset, UTC).isoformat().replace("+00:00", "Z")
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(left, 0)),
            "X-RateLimit-Reset": stamp,
        }
        return left >= 0, headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: FollowsServer

    def do_GET(self) -> None:
        status, headers, body = self.server.answer(self.path)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        ctype = "text/plain" if isinstance(body, bytes) else "application/json; charset=utf-8"
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


class FollowsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        world: World,
        api: tuple[int, float] = (100_000, 300.0),
        paging: tuple[int, float] = (100_000, 900.0),
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.world = world
        world.host = f"127.0.0.1:{self.server_address[1]}"
        self.throttle = RackAttack(api, paging)
        self.log: list[str] = []  # every path asked, in order
        self.rate_limited = 0
        self.page_delay = 0.0  # seconds before answering a list page
        self.fail_lists: set[str] = set()  # usernames whose list pages answer 503
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.world.host}"

    def __enter__(self) -> FollowsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def list_requests(self, username: str, kind: str) -> list[str]:
        """The list pages asked for one account, in order."""
        local_id = self.world.people[username].local_id
        prefix = f"/api/v1/accounts/{local_id}/{kind}?"
        with self.lock:
            return [p for p in self.log if p.startswith(prefix)]

    def answer(self, target: str) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.log.append(target)
        if parts.path == "/robots.txt":
            return 200, {}, b"User-agent: *\nDisallow: /admin\n"
        if not parts.path.startswith("/api/"):
            return 404, {}, {"error": "Not found"}
        ok, headers = self.throttle.check(any(q.get(k) for k in PAGING))
        if not ok:
            with self.lock:
                self.rate_limited += 1
            return 429, headers, {"error": "Too many requests"}
        status, extra, body = self._api(parts.path, q)
        return status, {**headers, **extra}, body

    def _api(self, path: str, q: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        world = self.world
        if path == "/api/v1/accounts/lookup":
            name = q.get("acct", "").split("@")[0]
            person = world.people.get(name)
            if person is None or person.remote:
                return 404, {}, {"error": "Record not found"}
            return 200, {}, world.account(name)
        if path.startswith("/api/v1/timelines/tag/"):
            return 200, {}, []
        m = _LIST_RE.match(path)
        if m is None:
            return 404, {}, {"error": "Record not found"}
        owner = next((p for p in world.people.values() if p.local_id == m["id"]), None)
        if owner is None or owner.remote:
            return 404, {}, {"error": "Record not found"}
        if self.page_delay:
            time.sleep(self.page_delay)
        if owner.username in self.fail_lists:
            return 503, {}, {"error": "Service unavailable"}
        if owner.hide_collections or (owner.counts_shown or {}).get(m["kind"]):
            return 200, {}, []  # hidden: Mastodon lists nobody to anonymous clients
        limit = min(max(int(q.get("limit") or 40), 1), 80)
        rows = world.listing(owner.username, m["kind"])
        if q.get("max_id"):
            rows = [r for r in rows if r[0] < int(q["max_id"])]
        page = rows[:limit]
        headers = {}
        if len(page) == limit:  # Mastodon: a next link on a full page only
            nxt = f"{self.url}{path}?limit={limit}&max_id={page[-1][0]}"
            prev = f"{self.url}{path}?limit={limit}&since_id={page[0][0]}"
            headers["Link"] = f'<{nxt}>; rel="next", <{prev}>; rel="prev"'
        return 200, headers, [world.account(name) for _, name in page]


_RUNNER = """
import json, sys
from pathlib import Path
from crawler.core.config import load_campaign
from crawler.app.crawl import collect_mastodon
from crawler.core.net import ALLOWED_HOSTS_ENV
import os

args = json.loads(sys.argv[1])
cfg = load_campaign(args["campaign"])
if args.get("allowed_hosts") is not None:  # the address policy of the crawl itself
    os.environ[ALLOWED_HOSTS_ENV] = args["allowed_hosts"]
stats = collect_mastodon(
    cfg, Path(args["db"]), args.get("log_level", "WARNING"), overrides=args.get("settings", {})
)
stats = {k: v for k, v in stats.items() if isinstance(v, int | float | str | list)}
print("SCOUT-STATS " + json.dumps(stats))
"""


def start_spider(
    campaign: Path,
    db: Path,
    settings: dict[str, Any] | None = None,
    allowed_hosts: str | None = None,
) -> subprocess.Popen[str]:
    """Start one crawl of the Mastodon spider in a subprocess."""
    args = {
        "campaign": str(campaign),
        "db": str(db),
        "settings": settings or {},
        "allowed_hosts": allowed_hosts,
    }
    return subprocess.Popen(
        [sys.executable, "-c", _RUNNER, json.dumps(args)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def spider_stats(proc: subprocess.Popen[str], timeout: float = 180) -> dict[str, Any]:
    """Wait for the crawl and return its stats (and its log as ``stderr``)."""
    out, err = proc.communicate(timeout=timeout)
    lines = [x for x in out.splitlines() if x.startswith("SCOUT-STATS ")]
    assert proc.returncode == 0 and lines, f"spider failed:\n{err[-4000:]}"
    stats: dict[str, Any] = json.loads(lines[-1].split(" ", 1)[1])
    stats["stderr"] = err
    return stats


def wait_for(condition: Any, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``condition()`` until it is true (a deadline, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def write_seed_campaign(
    path: Path, instance: str, seeds: list[str], followers_max: int = 5000
) -> Path:
    lines = [
        "[campaign]",
        'name = "Clean Air ECI seeds"',
        'hashtags = ["cleanaireci"]',
        "since = 2020-01-01",
        "[mastodon]",
        f"instances = [{json.dumps(instance)}]",
        "discover = false",
        "[seeds]",
        "accounts = [" + ", ".join(json.dumps(s) for s in seeds) + "]",
        f"followers_max = {followers_max}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
