"""``scout demo``: the whole job, offline, against the built-in demo network.

``run_demo`` starts :class:`scout_demo.network.DemoNetwork` (imported lazily: the demo
network sits beside the product, not below it), crawls it, writes the lead exports and
the report, and returns the files written.  It prints progress on the console it is
given; the crawl summary is the caller's to print, through ``on_crawl``.  The network's
servers are on 127.0.0.1: while it runs, ``DemoNetwork`` names exactly their
``host:port`` entries in ``SCOUT_ALLOWED_HOSTS`` (the address policy refuses loopback
otherwise), so the demo needs no setup and allows nothing else.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from crawler.core.config import Campaign, load_campaign
from crawler.core.vocab import LEAD_TYPES, SERVE_PORT

if TYPE_CHECKING:
    from crawler.app.crawl import CrawlResult
    from crawler.db.store import Store

# Called once the crawl is done, with the result, the open store and the campaign.
OnCrawl = Callable[["CrawlResult", "Store", Campaign], None]


def run_demo(
    out_dir: Path,
    *,
    console: Console,
    verbose: bool = False,
    on_crawl: OnCrawl | None = None,
) -> dict[str, Path]:
    from crawler.app.crawl import run_crawl
    from crawler.app.export import export_leads, select_leads
    from crawler.app.report import build_report
    from crawler.db.store import Store
    from scout_demo.network import DemoNetwork, write_demo_campaign

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
        if cfg.seeds.accounts or cfg.seeds.starter_packs:
            console.print(
                f"  and the followers of {len(cfg.seeds.accounts)} seed accounts and "
                f"{len(cfg.seeds.starter_packs)} starter packs (section \\[seeds] of "
                f"{campaign_path.name})"
            )
        result = run_crawl(
            cfg,
            db,
            session_dir=out_dir / ".sessions",
            log_level="INFO" if verbose else "WARNING",
        )
    written: dict[str, Path] = {}
    with Store(db) as store:
        if on_crawl is not None:
            on_crawl(result, store, cfg)
        for lead_type in LEAD_TYPES:
            df = select_leads(store, cfg.name, lead_type, None, None)
            written[lead_type] = export_leads(df, out_dir / f"leads-{lead_type}.csv")
        all_leads = select_leads(store, cfg.name, None, None, None)
        written["xlsx"] = export_leads(all_leads, out_dir / "leads.xlsx")
        written["report"] = build_report(store, cfg, out_dir / "report.html")
    print_files(console, written, db, campaign_path, time.monotonic() - started)
    return written


def print_files(
    console: Console, written: dict[str, Path], db: Path, campaign: Path, seconds: float
) -> None:
    """What the demo wrote, and the two commands to go on with. Paths and commands are
    never wrapped (soft_wrap: a narrow terminal or a log file gets them whole, to copy)."""
    console.print(f"\n[bold]Done in {seconds:.0f} s.[/bold] Files:")
    for name, path in written.items():
        console.print(f"  {name:13} {path}", soft_wrap=True)
    console.print(f"  {'database':13} {db}   (query it: duckdb {db})", soft_wrap=True)
    console.print(f"  {'campaign':13} {campaign}", soft_wrap=True)
    console.print(
        f"\nList the leads: [bold]scout leads {escape(str(campaign))} --db {escape(str(db))}"
        "[/bold]",
        highlight=False,
        soft_wrap=True,
    )
    # the organizers' workspace over the same database (loopback only, no token needed)
    console.print(
        f"Work through the leads in your browser: [bold]scout serve --db {escape(str(db))}"
        f"[/bold]  (then open http://127.0.0.1:{SERVE_PORT}/)",
        markup=True,
        highlight=False,
        soft_wrap=True,
    )
