"""Commands around the job: classify profiles, the demo, checking and scheduling a
campaign."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.base import (
    DB_PATH,
    CampaignArg,
    DbOpt,
    app,
    err,
    load_campaign_file,
    out,
    setup_logging,
    writable,
)
from crawler.cli.printing import print_crawl_summary
from crawler.core.errors import UserError
from crawler.core.terminal import plain


@app.command()
def classify(
    profiles: Annotated[
        Path, typer.Argument(help="JSON lines, one profile each, or a JSON array ('-' = stdin)")
    ],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write JSONL here instead of stdout")
    ] = None,
) -> None:
    """Classify profiles the way the crawl does: role, org_type, language, country."""
    from crawler.app.profiles import classify_profiles, ignored_keys, read_profiles

    if out_file is not None:
        writable(out_file, "--out")
    lines = _stdin_lines() if str(profiles) == "-" else _read_lines(profiles)
    records = read_profiles(lines, str(profiles))
    ignored = ignored_keys(records)
    if ignored:  # a misspelt key ("description" for "bio") would go unnoticed
        shown = ", ".join(
            f"{plain(k, one_line=True)[:40]!r} ({n})" for k, n in list(ignored.items())[:8]
        )
        more = f" and {len(ignored) - 8} more" if len(ignored) > 8 else ""
        err.print(
            f"note: keys the classifier does not read, ignored: {shown}{more} "
            "(README: scout classify)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if out_file is None and isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # JSON is UTF-8, whatever the locale says
    sink = open(out_file, "w", encoding="utf-8") if out_file else sys.stdout
    try:
        for row in classify_profiles(records):
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out_file:
            sink.close()
    if out_file:
        err.print(f"classified {len(records)} profiles into {out_file}")


def _stdin_lines() -> list[str]:
    """Standard input as UTF-8 whatever the locale says (JSON is UTF-8)."""
    try:
        return sys.stdin.buffer.read().decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UserError(f"-: not UTF-8 text: {exc}") from None


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

    setup_logging(verbose)
    run_demo(out_dir, console=out, verbose=verbose, on_crawl=print_crawl_summary)


@app.command()
def check(
    campaign: CampaignArg,
    timeout: Annotated[float, typer.Option("--timeout", min=1, max=120, help="Seconds.")] = 10.0,
) -> None:
    """Validate the file, probe every source (one line each); exit 0 if all answer."""
    from crawler.app.check import check_campaign, report_lines

    probes = check_campaign(load_campaign_file(campaign), timeout=timeout)
    sys.stdout.writelines(report_lines(campaign, probes))  # plain: network text, no markup
    raise typer.Exit(0 if probes and all(p.ok for p in probes) else 1)


@app.command()
def schedule(
    campaign: CampaignArg,
    every: Annotated[str, typer.Option("--every", help="How often: 15m, 1h, 6h, 1d ...")] = "6h",
    install: Annotated[bool, typer.Option("--install", help="Add it to your crontab.")] = False,
    log_dir: Annotated[Path | None, typer.Option("--log-dir", file_okay=False)] = None,
    db: DbOpt = DB_PATH,
) -> None:
    """Print the crontab line of a regular crawl (log folder created, logs rotated)."""
    from crawler.app import schedule as sched

    entry = sched.build_schedule(load_campaign_file(campaign), campaign, db, every, log_dir)
    sys.stdout.write(entry.text)
    if install:  # plain: paths are not markup
        err.print(sched.install(entry), markup=False, highlight=False)
