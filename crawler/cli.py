"""``scout``: the command line of eci-scout (public contract in DESIGN.md).

Exit codes: 0 success; 2 bad usage, bad campaign file or unusable database (one line on
stderr, never a traceback); 1 a run that failed for another reason (one line too).
Errors raised on purpose are :class:`~crawler.core.errors.ScoutError`; the exception
class gives the exit code. The CLI only formats and prints: the work, and every read
of the database, is done by ``crawler.app``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

# typer vendors click; its usage errors are these classes, not the click package's
from typer._click import exceptions as usage_errors

from crawler.core import vocab
from crawler.core.config import Campaign, load_campaign
from crawler.core.errors import ScoutError, UserError
from crawler.core.vocab import LEAD_TYPES

if TYPE_CHECKING:
    from crawler.app.summaries import Findings

DB_PATH = Path(vocab.DEFAULT_DB)  # --db default

# --type choices: the lead types of the vocabulary, in display order
LeadType = StrEnum("LeadType", [(t.upper(), t) for t in LEAD_TYPES])  # type: ignore[misc]

app = typer.Typer(
    name="scout",
    help="Find the partners who will carry a European Citizens' Initiative.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


DbOpt = Annotated[
    Path, typer.Option("--db", help="DuckDB database file.", show_default=True, dir_okay=False)
]
CampaignArg = Annotated[Path, typer.Argument(help="Campaign file (TOML).", dir_okay=False)]
TypeOpt = Annotated[
    LeadType | None,
    typer.Option("--type", "-t", help="Lead type.", case_sensitive=False),
]
CountryOpt = Annotated[
    str | None, typer.Option("--country", "-c", help="ISO 3166 alpha-2 country code, e.g. DE.")
]


def _setup_logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:
        handler.setLevel(level)


def _campaign(path: Path) -> Campaign:
    return load_campaign(path)


def _type_name(lead_type: Any) -> str | None:
    return None if lead_type is None else str(lead_type.value)


def print_crawl_summary(result: Any, store: Any, campaign: Campaign) -> None:
    out.print(
        f"[bold]run {result.run_id[:8]}[/bold] {result.status}: "
        f"{result.posts_new} new posts, {result.accounts_new} new accounts, "
        f"{result.classified} accounts classified, {result.leads} leads, "
        f"{result.errors} errors"
    )
    if result.skipped:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items()) if v)
        out.print(f"skipped (logged and counted): {skipped}")
    for failure in result.stats.get("failures", []):
        err.print(f"[yellow]warning:[/yellow] {failure}")
    print_findings(store, campaign)


def print_findings(store: Any, campaign: Campaign) -> None:
    from crawler.app.summaries import findings

    _print_findings(findings(store, campaign.name), campaign)


def _print_findings(found: Findings, campaign: Campaign) -> None:
    table = Table(title="Collected", title_justify="left")
    for col in ("platform", "accounts", "posts"):
        table.add_column(col, justify="right" if col != "platform" else "left")
    for row in found.collected:
        table.add_row(row.platform, f"{row.accounts:,}", f"{row.posts:,}")
    out.print(table)
    table = Table(title=f"Leads of {campaign.name} by country", title_justify="left")
    table.add_column("country")
    for t in LEAD_TYPES:
        table.add_column(t, justify="right")
    table.add_column("total", justify="right")
    for cc in found.countries():
        per = found.leads[cc]
        table.add_row(
            cc or "unknown",
            *(str(per.get(t, 0)) for t in LEAD_TYPES),
            str(sum(per.values())),
        )
    totals = found.totals()
    table.add_row(
        "[bold]all", *(f"[bold]{totals[t]}" for t in LEAD_TYPES), str(sum(totals.values()))
    )
    out.print(table)


@app.command()
def crawl(
    campaign: CampaignArg,
    db: DbOpt = DB_PATH,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """One incremental run of every configured source, then classify and rank."""
    from crawler.app.crawl import run_crawl
    from crawler.app.summaries import open_store

    _setup_logging(verbose)
    cfg = _campaign(campaign)
    result = run_crawl(cfg, db, log_level="INFO" if verbose else "WARNING")
    with open_store(db, must_exist=False) as store:
        print_crawl_summary(result, store, cfg)
    if result.status not in ("ok", "partial"):
        raise typer.Exit(1)


@app.command()
def live(
    campaign: CampaignArg,
    db: DbOpt = DB_PATH,
    duration: Annotated[
        float | None,
        typer.Option("--duration", "-d", min=1, help="Stop after this many seconds."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """Follow the campaign live (Bluesky Jetstream, Mastodon hashtag streams) until
    Ctrl-C, SIGTERM or --duration; then classify and rank as after a crawl."""
    from crawler.app.live import run_live

    _setup_logging(verbose)
    cfg = _campaign(campaign)
    result = run_live(cfg, db, duration=duration)
    events = ", ".join(f"{k} {v:,} events" for k, v in result.events.items()) or "no events"
    out.print(
        f"[bold]live run {result.run_id[:8]}[/bold] {result.status}: {events}; "
        f"{result.posts_new} new posts, {result.accounts_new} new accounts, {result.leads} leads"
    )
    for failure in result.errors:
        err.print(f"[yellow]warning:[/yellow] {failure}")


@app.command()
def leads(
    campaign: CampaignArg,
    lead_type: TypeOpt = None,
    country: CountryOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows per lead type.")] = 20,
    db: DbOpt = DB_PATH,
) -> None:
    """Ranked leads in the terminal."""
    from crawler.app.export import select_leads
    from crawler.app.summaries import open_store

    cfg = _campaign(campaign)
    with open_store(db) as store:
        df = select_leads(store, cfg.name, _type_name(lead_type), country, limit)
    if df.empty:
        out.print(f"No leads for {cfg.name!r} with these filters. Has `scout crawl` run?")
        return
    for t in LEAD_TYPES:
        part = df[df["lead_type"] == t]
        if part.empty:
            continue
        table = Table(title=f"{t} leads", title_justify="left", show_lines=False)
        for col, just in (
            ("rank", "right"),
            ("score", "right"),
            ("handle", "left"),
            ("name", "left"),
            ("cc", "left"),
            ("why", "left"),
        ):
            table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
        for r in part.itertuples(index=False):
            table.add_row(
                str(r.rank),
                f"{r.score:.3f}",
                str(r.handle),
                str(r.display_name or ""),
                str(r.country or "-"),
                str(r.reasons or ""),
                end_section=False,
            )
        out.print(table)


@app.command()
def export(
    campaign: CampaignArg,
    out_path: Annotated[
        Path,
        typer.Option("--out", "-o", help="FILE.csv, FILE.xlsx or FILE.parquet", dir_okay=False),
    ],
    lead_type: TypeOpt = None,
    country: CountryOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1)] = None,
    db: DbOpt = DB_PATH,
) -> None:
    """Export ranked leads (CSV, XLSX or Parquet); spreadsheet formulas are neutralised."""
    from crawler.app.export import export_leads, select_leads
    from crawler.app.summaries import open_store

    cfg = _campaign(campaign)
    with open_store(db) as store:
        df = select_leads(store, cfg.name, _type_name(lead_type), country, limit)
    path = export_leads(df, out_path)
    out.print(f"wrote {len(df)} leads to {path}")


@app.command()
def report(
    campaign: CampaignArg,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="FILE.html", dir_okay=False)],
    db: DbOpt = DB_PATH,
) -> None:
    """HTML report with charts: coverage per country, who to contact first."""
    from crawler.app.report import build_report
    from crawler.app.summaries import open_store

    cfg = _campaign(campaign)
    with open_store(db) as store:
        path = build_report(store, cfg, out_path)
    out.print(f"wrote report to {path}")


@app.command()
def forget(
    account: Annotated[
        str, typer.Argument(help="account_id, handle (user@host, @user@host) or profile URL")
    ],
    db: DbOpt = DB_PATH,
) -> None:
    """Erase one account everywhere and never collect it again (keeps a salted hash)."""
    from crawler.app.forget import forget_in

    counts = forget_in(db, account)
    removed = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "nothing stored"
    out.print(f"forgot {account}: removed {removed}; it will not be collected again")


@app.command()
def classify(
    profiles: Annotated[Path, typer.Argument(help="JSONL, one profile per line ('-' = stdin)")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write JSONL here instead of stdout")
    ] = None,
) -> None:
    """Classify profiles the way the crawl does: role, org_type, language, country."""
    from crawler.app.profiles import classify_profiles, read_profiles

    lines = sys.stdin.readlines() if str(profiles) == "-" else _read_lines(profiles)
    records = read_profiles(lines, str(profiles))
    sink = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout
    try:
        for row in classify_profiles(records):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out_file:
            sink.close()
    if out_file:
        err.print(f"classified {len(records)} profiles into {out_file}")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from None


@app.command()
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the database, lead lists and report")
    ] = Path("demo-output"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """The whole job, offline, against the built-in demo network on 127.0.0.1."""
    from crawler.app.demo import run_demo

    _setup_logging(verbose)
    run_demo(out_dir, console=out, verbose=verbose, on_crawl=print_crawl_summary)


def _fail(message: str, code: int) -> None:
    """One line on stderr (never wrapped, whatever the terminal width), then exit."""
    sys.stderr.write(" ".join(message.split()) + "\n")
    sys.exit(code)


def main() -> None:
    try:
        # not standalone: usage errors come here and are printed as one line too
        code = app(standalone_mode=False)
    except usage_errors.NoArgsIsHelpError as exc:  # `scout` alone: typer printed the help
        sys.exit(exc.exit_code)
    except usage_errors.ClickException as exc:  # bad usage, e.g. a missing argument
        _fail(f"scout: error: {exc.format_message()}", exc.exit_code)
    except typer.Abort:  # end of input at a prompt
        _fail("scout: aborted", 1)
    except ScoutError as exc:  # on purpose: the class says user error (2) or failure (1)
        kind = "error" if isinstance(exc, UserError) else "failed"
        _fail(f"scout: {kind}: {exc}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("scout: interrupted; the next run resumes where this one stopped", 130)
    except Exception as exc:  # one line for the user; SCOUT_DEBUG=1 shows the traceback
        if os.environ.get("SCOUT_DEBUG"):
            raise
        _fail(f"scout: failed: {type(exc).__name__}: {exc} (SCOUT_DEBUG=1 shows details)", 1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
