"""``scout demo``: the whole job, offline, against the built-in demo network."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console

from crawler.core.config import load_campaign

LEAD_TYPES = ("volunteer", "influencer", "intermediary", "sponsor")


def run_demo(out_dir: Path, *, console: Console, verbose: bool = False) -> dict[str, Path]:
    from crawler.app.crawl import run_crawl
    from crawler.app.export import export_leads, select_leads
    from crawler.app.report import build_report
    from crawler.cli import print_crawl_summary
    from crawler.db.store import Store
    from scout_demo.server import DemoNetwork, write_demo_campaign

    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "demo.duckdb"
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)  # the demo starts from an empty database each time
    started = time.monotonic()
    console.print("[bold]eci-scout demo[/bold]: starting the demo network on 127.0.0.1 ...")
    with DemoNetwork() as net:
        campaign_path = write_demo_campaign(net.state, out_dir / "campaign.toml")
        os.environ["SCOUT_DEMO_BSKY_HANDLE"] = str(net.state["bsky_handle"])
        os.environ["SCOUT_DEMO_BSKY_PASSWORD"] = str(net.state["bsky_password"])
        cfg = load_campaign(campaign_path)
        console.print(
            f"crawling {len(net.mastodon_urls)} Mastodon instances and a Bluesky service "
            f"for #{', #'.join(cfg.campaign.hashtags)} ..."
        )
        result = run_crawl(
            cfg,
            db,
            session_dir=out_dir / ".sessions",
            log_level="INFO" if verbose else "WARNING",
        )
    written: dict[str, Path] = {}
    with Store(db) as store:
        print_crawl_summary(result, store, cfg)
        for lead_type in LEAD_TYPES:
            df = select_leads(store.con, cfg.name, lead_type, None, None)
            written[lead_type] = export_leads(df, out_dir / f"leads-{lead_type}.csv")
        all_leads = select_leads(store.con, cfg.name, None, None, None)
        written["xlsx"] = export_leads(all_leads, out_dir / "leads.xlsx")
        written["report"] = build_report(store.con, cfg, out_dir / "report.html")
    console.print(f"\n[bold]Done in {time.monotonic() - started:.0f} s.[/bold] Files:")
    for name, path in written.items():
        console.print(f"  {name:13} {path}")
    console.print(f"  {'database':13} {db}   (query it: duckdb {db})")
    console.print(f"  {'campaign':13} {campaign_path}")
    return written
