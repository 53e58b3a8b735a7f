"""Benchmark: how much of each instance's request budget the crawl uses, against
Mastodon.py's own ``ratelimit_method="pace"`` loop, in the same run.

For 1, 10 and 50 local Mastodon-like instances (127.0.0.1, one thread-served port each,
rack-attack-like fixed windows aligned to the epoch, ``X-RateLimit-*`` headers with
ISO-8601 resets, ``Link`` paging over an endless hashtag timeline) both clients run for
the same time:

* ``scout``: the eci-scout spider (Scrapy, every instance concurrently, budgets from
  headers), in a subprocess;
* ``mastodon.py``: one ``Mastodon(ratelimit_method="pace")`` client per instance, walked
  one page at a time in turn (``timeline_hashtag`` then ``fetch_next``).

Printed per size: share of the published budget used (requests answered 200 / budget
available during the run), 429s, statuses per minute, and the ratios scout / baseline.

Run: ``python -m bench.mastodon_budget`` (about 3 minutes) or ``--quick`` (about 1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
TAG = "cleanaireci"
PER_PAGE = 5  # statuses per page: keeps the pipelines from being the bottleneck
TOP_ID = 10**15


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Instance:
    """One endless tag timeline behind a fixed-window budget."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.lock = threading.Lock()
        self.counts: dict[int, int] = {}
        self.ok = 0
        self.refused = 0
        self.statuses = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host = self.base.split("//", 1)[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset_counts(self) -> None:
        with self.lock:
            self.ok = self.refused = self.statuses = 0

    def hit(self) -> tuple[bool, int, float]:
        now = time.time()
        slot = int(now // self.window)
        with self.lock:
            count = self.counts.get(slot, 0) + 1
            self.counts[slot] = count
        return count <= self.limit, max(0, self.limit - count), (slot + 1) * self.window

    def status(self, sid: int) -> dict[str, Any]:
        acct = f"user{sid % 97}"
        created = _iso(1_780_000_000 + (sid - TOP_ID) / 1000)
        return {
            "id": str(sid),
            "uri": f"{self.base}/users/{acct}/statuses/{sid}",
            "url": f"{self.base}/@{acct}/{sid}",
            "created_at": created,
            "content": f"<p>Status {sid} #{TAG}</p>",
            "language": "en",
            "visibility": "public",
            "reblog": None,
            "reblogs_count": 0,
            "favourites_count": 0,
            "replies_count": 0,
            "mentions": [],
            "tags": [{"name": TAG, "url": f"{self.base}/tags/{TAG}"}],
            "account": {
                "id": str(sid % 97),
                "username": acct,
                "acct": acct,
                "uri": f"{self.base}/users/{acct}",
                "url": f"{self.base}/@{acct}",
                "display_name": acct,
                "note": "",
                "bot": False,
                "discoverable": True,
                "indexable": True,
                "followers_count": 1,
                "following_count": 1,
                "statuses_count": 1,
                "created_at": "2024-01-01T00:00:00.000Z",
                "fields": [],
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        inst = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if not parts.path.startswith("/api/v1/timelines/tag/"):
                    self._send(404, {"error": "Not found"}, {})
                    return
                allowed, remaining, reset = inst.hit()
                headers = {
                    "X-RateLimit-Limit": str(inst.limit),
                    "X-RateLimit-Remaining": str(remaining),
                    "X-RateLimit-Reset": _iso(reset),
                }
                if not allowed:
                    with inst.lock:
                        inst.refused += 1
                    self._send(429, {"error": "Too many requests"}, headers)
                    return
                q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                top = int(q.get("max_id") or TOP_ID + 1)
                ids = list(range(top - 1, top - 1 - PER_PAGE, -1))
                body = [inst.status(i) for i in ids]
                link = f"{inst.base}/api/v1/timelines/tag/{TAG}?limit=40&max_id={ids[-1]}"
                headers["Link"] = f'<{link}>; rel="next"'
                with inst.lock:
                    inst.ok += 1
                    inst.statuses += len(body)
                self._send(200, body, headers)

            def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler


@dataclass
class Result:
    ok: int
    refused: int
    statuses: int
    seconds: float
    budget: float

    @property
    def share(self) -> float:
        return self.ok / self.budget if self.budget else 0.0

    @property
    def per_minute(self) -> float:
        return self.statuses / self.seconds * 60 if self.seconds else 0.0


def _collect(instances: list[Instance], started: float, ended: float) -> Result:
    seconds = ended - started
    # every window the run touched could be spent in full
    budget = sum(
        i.limit * (int(ended // i.window) - int(started // i.window) + 1) for i in instances
    )
    return Result(
        ok=sum(i.ok for i in instances),
        refused=sum(i.refused for i in instances),
        statuses=sum(i.statuses for i in instances),
        seconds=seconds,
        budget=budget,
    )


_RUNNER = """
import json, sys, time
from pathlib import Path
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from crawler.core.config import load_campaign
from crawler.app.crawl import _scrapy_settings
from crawler.core.protocols import STORE_ATTR
from crawler.db.store import Store
from spiders.mastodon_tags import MastodonTagSpider

args = json.loads(sys.argv[1])
cfg = load_campaign(args["campaign"])
settings = _scrapy_settings(Path(args["db"]), cfg, "ERROR")
settings.set("CLOSESPIDER_TIMEOUT", args["seconds"], priority="cmdline")
settings.set("SCOUT_REBLOGGED_BY_MAX", 0, priority="cmdline")
settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
# these servers have one throttle only (no separate paging budget, unlike Mastodon's
# 300 paged requests per 15 min): do not assume one, as Mastodon.py does not either
settings.set("SCOUT_PAGING_LIMIT", 0, priority="cmdline")
process = CrawlerProcess(settings)
crawler = process.create_crawler(MastodonTagSpider)
store = Store(args["db"])
setattr(crawler, STORE_ATTR, store)
marks = {}
crawler.signals.connect(lambda **kw: marks.setdefault("open", time.time()), signals.spider_opened)
process.crawl(crawler, campaign=cfg)
process.start()
store.close()
print("BENCH " + json.dumps({"opened": marks.get("open")}))
"""


def run_scout(instances: list[Instance], seconds: float, tmp: Path) -> Result:
    campaign = tmp / f"c{len(instances)}.toml"
    urls = ", ".join(json.dumps(i.base) for i in instances)
    campaign.write_text(
        '[campaign]\nname = "bench"\nhashtags = ["' + TAG + '"]\nsince = 2020-01-01\n'
        f"[mastodon]\ninstances = [{urls}]\nmax_instances = {len(instances)}\n",
        encoding="utf-8",
    )
    db = tmp / f"s{len(instances)}.duckdb"
    for i in instances:
        i.reset_counts()
    args = {"campaign": str(campaign), "db": str(db), "seconds": seconds}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    ended = time.time()
    lines = [x for x in proc.stdout.splitlines() if x.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"scout run failed: {proc.stderr[-3000:]}")
    opened = json.loads(lines[-1].split(" ", 1)[1])["opened"] or (ended - seconds)
    # the spider's clock starts when it opens (not at interpreter start-up)
    return _collect(instances, opened, min(ended, opened + seconds + 1))


def run_mastodon_py(instances: list[Instance], seconds: float) -> Result:
    from mastodon import Mastodon
    from mastodon.errors import MastodonRatelimitError

    for i in instances:
        i.reset_counts()
    clients = [
        Mastodon(api_base_url=i.base, ratelimit_method="pace", version_check_mode="none")
        for i in instances
    ]
    pages: list[Any] = [None] * len(clients)
    started = time.time()
    deadline = started + seconds
    while time.time() < deadline:
        for n, api in enumerate(clients):
            if time.time() >= deadline:
                break
            page = pages[n]
            try:
                pages[n] = (
                    api.timeline_hashtag(TAG, limit=40) if page is None else api.fetch_next(page)
                )
            except MastodonRatelimitError:
                # Mastodon.py's pacing gives up when a reset is already past (a window
                # that ended mid-request): the same page is asked again next round
                continue
    return _collect(instances, started, time.time())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.mastodon_budget", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="shorter runs (about a minute)")
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--limit", type=int, default=30, help="requests per window per instance")
    ap.add_argument("--window", type=float, default=3.0, help="window in seconds")
    args = ap.parse_args(argv)
    seconds = 6.0 if args.quick else 20.0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"budget {args.limit} requests / {args.window:g} s per instance; "
        f"{seconds:g} s per client and size; {PER_PAGE} statuses per page"
    )
    header = (
        f"{'instances':>9} {'client':>12} {'budget used':>11} {'429s':>5} "
        f"{'statuses/min':>13} {'share ratio':>11} {'speed ratio':>11}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="scout-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for size in sizes:
            instances = [Instance(args.limit, args.window) for _ in range(size)]
            for i in instances:
                i.thread.start()
            try:
                scout = run_scout(instances, seconds, tmp)
                time.sleep(args.window)  # a fresh window for the baseline
                base = run_mastodon_py(instances, seconds)
            finally:
                for i in instances:
                    i.server.shutdown()
                    i.server.server_close()
            for name, r in (("scout", scout), ("mastodon.py", base)):
                share_ratio = scout.share / base.share if base.share else float("inf")
                speed_ratio = scout.per_minute / base.per_minute if base.per_minute else 0.0
                ratios = (
                    f"{share_ratio:>11.2f} {speed_ratio:>11.2f}"
                    if name == "scout"
                    else f"{'':>11} {'':>11}"
                )
                print(
                    f"{size:>9} {name:>12} {r.share:>10.1%} {r.refused:>5} "
                    f"{r.per_minute:>13,.0f} {ratios}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
