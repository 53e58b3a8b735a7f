"""The website pass of a crawl: after classification (roles are known), read the sites
of the campaign's organisations and public figures (:mod:`spiders.websites`).

Scrapy's reactor starts once per process and the Mastodon pass already ran it, so the
website spider runs in a child process (``python -m crawler.app.websites``) on the
same database file (the store opens it per unit of work, so parent and child take
turns). The child prints its stats as one JSON line; :func:`collect_websites` returns
them. ``[websites] enabled = false`` skips the pass.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from crawler.core.config import Campaign

# the stats line the child prints last
STATS_PREFIX = "scout-websites-stats "


def _campaign_json(campaign: Campaign) -> str:
    return campaign.model_dump_json()


def collect_websites(
    campaign: Campaign,
    db: Path,
    log_level: str = "WARNING",
    *,
    overrides: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run the website spider for ``campaign`` in a child process; its stats (``{}``
    when ``[websites] enabled = false``). Raises ``RuntimeError`` (one line) when the
    child fails."""
    if not campaign.websites.enabled:
        return {}
    cmd = [sys.executable, "-m", "crawler.app.websites", "--db", str(db), "--log-level", log_level]
    for name, value in (overrides or {}).items():
        cmd += ["--set", f"{name}={json.dumps(value)}"]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        out, err = proc.communicate(_campaign_json(campaign), timeout=timeout)
    except BaseException:
        proc.terminate()
        proc.wait(timeout=30)
        raise
    for line in reversed(out.splitlines()):
        if line.startswith(STATS_PREFIX):
            stats: dict[str, Any] = json.loads(line[len(STATS_PREFIX) :])
            return stats
    last = (err.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
    raise RuntimeError(f"website pass failed: {last[:300]}")


def website_pass(campaign: Campaign, db: Path, log_level: str, stats: dict[str, Any]) -> list[str]:
    """The crawl's step: run :func:`collect_websites`, add its ``scout/websites/*``
    counters to the run's ``stats``; returns the failure line, if any (a failed website
    pass is reported, it does not fail the run: the sources were collected)."""
    try:
        got = collect_websites(campaign, db, log_level)
    except RuntimeError as exc:
        return [str(exc)]
    for key, value in got.items():
        if key.startswith(("scout/websites/", "scout/address_refused")) and isinstance(value, int):
            stats[key] = int(stats.get(key, 0)) + value
        elif key.startswith(("robotstxt/", "downloader/response_status_count/")):
            stats[f"websites/{key}"] = value
    return []


def _run_child(campaign: Campaign, db: Path, log_level: str, sets: list[str]) -> dict[str, Any]:
    from scrapy.crawler import CrawlerProcess

    from crawler.app.crawl import _scrapy_settings
    from crawler.core.protocols import STORE_ATTR
    from crawler.db.store import Store
    from nlp.language import detect_text_language
    from spiders.websites import WebsiteSpider

    settings = _scrapy_settings(db, campaign, log_level)
    for entry in sets:
        name, _, value = entry.partition("=")
        settings.set(name, json.loads(value), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WebsiteSpider)
    store = Store(db)
    setattr(crawler, STORE_ATTR, store)
    try:
        process.crawl(crawler, campaign=campaign, detect_language=detect_text_language)
        process.start()
    finally:
        store.close()
    assert crawler.stats is not None
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in crawler.stats.get_stats().items()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.app.websites", description=__doc__)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--set", action="append", default=[], help="NAME=JSON Scrapy setting")
    args = ap.parse_args(argv)
    campaign = Campaign.model_validate_json(sys.stdin.read())
    stats = _run_child(campaign, args.db, args.log_level, args.set)
    print(STATS_PREFIX + json.dumps(stats, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
