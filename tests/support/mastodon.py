"""Run the Mastodon spider in a subprocess (Scrapy starts its reactor once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.db import rows as rows  # tests import it from here too
from tests.support.fixtures import ROOT

_RUNNER = """
import json, sys
from pathlib import Path
from crawler.core.config import load_campaign
from crawler.app.crawl import collect_mastodon

args = json.loads(sys.argv[1])
cfg = load_campaign(args["campaign"])
stats = collect_mastodon(
    cfg, Path(args["db"]), args.get("log_level", "WARNING"), overrides=args.get("settings", {})
)
stats = {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
print("SCOUT-STATS " + json.dumps(stats))
"""


def run_spider(
    campaign: Path, db: Path, settings: dict[str, Any] | None = None, timeout: float = 120
) -> dict[str, Any]:
    """One crawl of the Mastodon spider; returns Scrapy's stats (plus ``elapsed``)."""
    args = {"campaign": str(campaign), "db": str(db), "settings": settings or {}}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    elapsed = time.monotonic() - started
    lines = [x for x in proc.stdout.splitlines() if x.startswith("SCOUT-STATS ")]
    assert proc.returncode == 0 and lines, f"spider failed:\n{proc.stderr[-4000:]}"
    stats: dict[str, Any] = json.loads(lines[-1].split(" ", 1)[1])
    stats["elapsed"] = elapsed
    return stats


def write_campaign(path: Path, instances: list[str], *, discover: bool, **extra: Any) -> Path:
    lines = [
        "[campaign]",
        'name = "Clean Air ECI test"',
        'hashtags = ["cleanaireci", "cleanairnow"]',
        "since = 2020-01-01",
        "[mastodon]",
        "instances = [" + ", ".join(json.dumps(u) for u in instances) + "]",
        f"discover = {'true' if discover else 'false'}",
        f"max_instances = {extra.get('max_instances', 50)}",
    ]
    if "respect_opt_outs" in extra:
        lines += ["[privacy]", f"respect_opt_outs = {str(extra['respect_opt_outs']).lower()}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# api: 20 requests per 3 s; paging: 8 per 5 s, so both budgets bind
API_LIMIT, API_WINDOW = 20, 3.0
PAGING_LIMIT, PAGING_WINDOW = 8, 5.0
