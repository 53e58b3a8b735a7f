"""`scout crawl` in a subprocess against the demo network, as cron runs it: the
environment (demo login, the address policy naming the demo servers), the command, and
reading the database and the demo servers' counters afterwards."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from scout_demo.network import DemoNetwork
from scout_demo.world import DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD
from tests.support.db import rows as rows  # tests import it from here too
from tests.support.fixtures import ROOT

TIMELINE = "/api/v1/timelines/tag/:tag"
SEARCH = "app.bsky.feed.searchPosts"


def crawl_env(**extra: str) -> dict[str, str]:
    """The environment of a crawl, read when called (after the demo network has named
    its servers in ``SCOUT_ALLOWED_HOSTS``)."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCOUT_DEMO_BSKY_HANDLE": DEMO_BSKY_HANDLE,
        "SCOUT_DEMO_BSKY_PASSWORD": DEMO_BSKY_PASSWORD,
        **extra,
    }


def crawl_cmd(campaign: Path, db: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", str(campaign), "--db", str(db), *more]


def run_crawl_cli(
    campaign: Path, db: Path, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        crawl_cmd(campaign, db),
        env=crawl_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def last_run(db: Path) -> tuple[str, dict[str, Any]]:
    """(status, stats) of the newest run."""
    status, raw = rows(db, "SELECT status, stats FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    return str(status), dict(json.loads(raw or "{}"))


def post_ids(db: Path) -> set[str]:
    return {str(r[0]) for r in rows(db, "SELECT post_id FROM posts")}


def duplicates(db: Path) -> int:
    """Posts or interactions stored twice."""
    ((n, distinct),) = rows(db, "SELECT count(*), count(DISTINCT post_id) FROM posts")
    (dupes,) = rows(
        db,
        "SELECT count(*) FROM (SELECT src_account_id, kind, post_id,"
        " coalesce(dst_account_id, dst_handle, dst_ref) AS d, count(*) AS c"
        " FROM interactions GROUP BY ALL HAVING c > 1)",
    )[0]
    return int(n - distinct) + int(dupes)


def listing_pages(net: DemoNetwork) -> tuple[int, int]:
    """(listing pages served: tag timeline and search requests, of which continued a
    listing: ``max_id``, ``cursor``, ``until``) over every demo server so far."""
    total = paged = 0
    for snap in net.stats().values():
        for name in (TIMELINE, SEARCH):
            total += int(snap["requests"].get(name, 0))
            paged += int(snap.get("paged", {}).get(name, 0))
    return total, paged


def set_weather(net: DemoNetwork, **spec: Any) -> None:
    """Random faults on every server (``rate``, ``seed``, ``kinds``, ``stall_seconds``),
    on API paths only (robots.txt and nodeinfo answer)."""
    for url in net.mastodon_urls:
        DemoNetwork._call(url + "/_demo/faults", {"path": "/api/", **spec})
    DemoNetwork._call(net.bluesky_url + "/_demo/faults", {"path": "/xrpc/", **spec})


def narrow_campaign(path: Path, instances: list[str], hashtags: list[str]) -> Path:
    """Rewrite a demo campaign to crawl only these instances and hashtags."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^instances = .*$", f"instances = {json.dumps(instances)}", text)
    text = re.sub(r"(?m)^hashtags = .*$", f"hashtags = {json.dumps(hashtags)}", text)
    path.write_text(text, encoding="utf-8")
    return path
