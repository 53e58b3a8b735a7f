"""``scout``: the command line of eci-scout (public contract in DESIGN.md).

Exit codes: 0 success; 2 bad usage, bad campaign file or unusable database (one line on
stderr, never a traceback); 1 a run that failed for another reason (one line too).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from crawler.core.config import Campaign, CampaignError, load_campaign

DEFAULT_DB = Path("data/scout.duckdb")
# display order of lead types (crawler.app.export.LEAD_TYPES, without importing pandas here)
LEAD_TYPES = ("volunteer", "influencer", "intermediary", "sponsor")

app = typer.Typer(
    name="scout",
    help="Find the partners who will carry a European Citizens' Initiative.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


class UserError(Exception):
    """Something the user can fix; printed as one line, exit 2."""


DbOpt = Annotated[
    Path, typer.Option("--db", help="DuckDB database file.", show_default=True, dir_okay=False)
]
CampaignArg = Annotated[Path, typer.Argument(help="Campaign file (TOML).", dir_okay=False)]
TypeOpt = Annotated[
    str | None,
    typer.Option("--type", "-t", help="Lead type: volunteer, influencer, intermediary, sponsor."),
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


def _check_type(lead_type: str | None) -> None:
    if lead_type is not None and lead_type not in LEAD_TYPES:
        raise UserError(f"--type must be one of {', '.join(LEAD_TYPES)}, not {lead_type!r}")


def _open_store(db: Path, *, must_exist: bool = True) -> Any:
    from crawler.db.store import Store

    if must_exist and not db.exists():
        raise UserError(f"{db}: no database yet; run `scout crawl CAMPAIGN.toml --db {db}` first")
    return Store(db)


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
    con = store.con
    per_platform = con.execute(
        "SELECT a.platform, count(DISTINCT a.account_id) AS accounts,"
        " count(DISTINCT p.post_id) AS posts "
        "FROM accounts a LEFT JOIN posts p ON p.account_id = a.account_id "
        "GROUP BY a.platform ORDER BY a.platform"
    ).fetchall()
    table = Table(title="Collected", title_justify="left")
    for col in ("platform", "accounts", "posts"):
        table.add_column(col, justify="right" if col != "platform" else "left")
    for platform, accounts, posts in per_platform:
        table.add_row(platform, f"{accounts:,}", f"{posts:,}")
    out.print(table)
    rows = con.execute(
        "SELECT coalesce(country, '?') AS cc, lead_type, count(*) FROM leads "
        "WHERE campaign = ? GROUP BY ALL",
        [campaign.name],
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for cc, lead_type, n in rows:
        counts.setdefault(cc, {})[lead_type] = n
    table = Table(title=f"Leads of {campaign.name} by country", title_justify="left")
    table.add_column("country")
    for t in LEAD_TYPES:
        table.add_column(t, justify="right")
    table.add_column("total", justify="right")
    order = sorted(counts, key=lambda c: (-sum(counts[c].values()), c))
    totals = {t: 0 for t in LEAD_TYPES}
    for cc in order:
        table.add_row(
            "unknown" if cc == "?" else cc,
            *(str(counts[cc].get(t, 0)) for t in LEAD_TYPES),
            str(sum(counts[cc].values())),
        )
        for t in LEAD_TYPES:
            totals[t] += counts[cc].get(t, 0)
    table.add_row(
        "[bold]all", *(f"[bold]{totals[t]}" for t in LEAD_TYPES), str(sum(totals.values()))
    )
    out.print(table)


@app.command()
def crawl(
    campaign: CampaignArg,
    db: DbOpt = DEFAULT_DB,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """One incremental run of every configured source, then classify and rank."""
    from crawler.app.crawl import run_crawl
    from crawler.db.store import Store

    _setup_logging(verbose)
    cfg = _campaign(campaign)
    result = run_crawl(cfg, db, log_level="INFO" if verbose else "WARNING")
    with Store(db) as store:
        print_crawl_summary(result, store, cfg)
    if result.status not in ("ok", "partial"):
        raise typer.Exit(1)


@app.command()
def live(
    campaign: CampaignArg,
    db: DbOpt = DEFAULT_DB,
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
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Ranked leads in the terminal."""
    from crawler.app.export import select_leads

    cfg = _campaign(campaign)
    _check_type(lead_type)
    with _open_store(db) as store:
        df = select_leads(store.con, cfg.name, lead_type, country, limit)
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
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Export ranked leads (CSV, XLSX or Parquet); spreadsheet formulas are neutralised."""
    from crawler.app.export import export_leads, select_leads

    cfg = _campaign(campaign)
    _check_type(lead_type)
    with _open_store(db) as store:
        df = select_leads(store.con, cfg.name, lead_type, country, limit)
    path = export_leads(df, out_path)
    out.print(f"wrote {len(df)} leads to {path}")


@app.command()
def report(
    campaign: CampaignArg,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="FILE.html", dir_okay=False)],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """HTML report with charts: coverage per country, who to contact first."""
    from crawler.app.report import build_report

    cfg = _campaign(campaign)
    with _open_store(db) as store:
        path = build_report(store.con, cfg, out_path)
    out.print(f"wrote report to {path}")


@app.command()
def forget(
    account: Annotated[
        str, typer.Argument(help="account_id, handle (user@host, @user@host) or profile URL")
    ],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Erase one account everywhere and never collect it again (keeps a salted hash)."""
    with _open_store(db, must_exist=False) as store:
        counts = store.forget(account)
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
    from nlp.classify import Classifier

    lines = sys.stdin.readlines() if str(profiles) == "-" else _read_lines(profiles)
    records = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{profiles}:{n}: not JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise UserError(f"{profiles}:{n}: expected a JSON object per line")
        records.append(record)
    sink = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout
    try:
        for record, result in zip(records, Classifier().classify_many(records), strict=True):
            row = {"platform": record.get("platform"), "handle": record.get("handle"), **result}
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
    run_demo(out_dir, console=out, verbose=verbose)


def _fail(message: str, code: int) -> None:
    """One line on stderr (never wrapped, whatever the terminal width), then exit."""
    sys.stderr.write(" ".join(message.split()) + "\n")
    sys.exit(code)


def main() -> None:
    from crawler.app.crawl import CrawlLocked
    from crawler.app.export import ExportError
    from crawler.app.live import LiveError
    from crawler.db.store import StorageError

    user_errors: tuple[type[Exception], ...] = (
        UserError,
        CampaignError,
        StorageError,
        ExportError,
        CrawlLocked,
        LiveError,
    )
    try:
        app()
    except user_errors as exc:
        _fail(f"scout: error: {exc}", 2)
    except KeyboardInterrupt:
        _fail("scout: interrupted; the next run resumes where this one stopped", 130)
    except Exception as exc:  # one line for the user; SCOUT_DEBUG=1 shows the traceback
        if os.environ.get("SCOUT_DEBUG"):
            raise
        _fail(f"scout: failed: {type(exc).__name__}: {exc} (SCOUT_DEBUG=1 shows details)", 1)


if __name__ == "__main__":
    main()
