"""Tables and summary lines on the terminal; every string from the network is plain
text (``cell``/``markup_safe``), never markup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from crawler.cli.base import err, out
from crawler.core.config import Campaign
from crawler.core.terminal import cell, markup_safe
from crawler.core.vocab import LEAD_TYPES

if TYPE_CHECKING:
    from crawler.app.summaries import Findings


def print_crawl_summary(result: Any, store: Any, campaign: Campaign) -> None:
    out.print(
        f"[bold]run {result.run_id[:8]}[/bold] {result.status}: "
        f"{result.posts_new} new posts, {result.accounts_new} new accounts, "
        f"{result.classified} accounts classified, {result.leads} leads, "
        f"{result.errors} errors"
    )
    if result.skipped:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items()) if v)
        out.print(f"skipped (logged and counted): {markup_safe(skipped)}")
    # one line per source that failed or lost pages (never wrapped: cron mails, grep)
    label = "error" if result.status == "failed" else "warning"
    for failure in result.stats.get("failures", []):  # may quote what a server sent
        err.print(f"[yellow]{label}:[/yellow] {markup_safe(failure)}", soft_wrap=True)
    print_findings(store, campaign)


def print_findings(store: Any, campaign: Campaign) -> None:
    from crawler.app.summaries import findings

    _print_findings(findings(store, campaign.name), campaign)


def _print_findings(found: Findings, campaign: Campaign) -> None:
    table = Table(title="Collected", title_justify="left")
    for col in ("platform", "accounts", "posts"):
        table.add_column(col, justify="right" if col != "platform" else "left")
    for row in found.collected:
        table.add_row(cell(row.platform), f"{row.accounts:,}", f"{row.posts:,}")
    out.print(table)
    table = Table(title=cell(f"Leads of {campaign.name} by country"), title_justify="left")
    table.add_column("country")
    for t in LEAD_TYPES:
        table.add_column(t, justify="right")
    table.add_column("total", justify="right")
    for cc in found.countries():
        per = found.leads[cc]
        table.add_row(
            cell(cc or "unknown"),
            *(str(per.get(t, 0)) for t in LEAD_TYPES),
            str(sum(per.values())),
        )
    totals = found.totals()
    table.add_row(
        "[bold]all", *(f"[bold]{totals[t]}" for t in LEAD_TYPES), str(sum(totals.values()))
    )
    out.print(table)
