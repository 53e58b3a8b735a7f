"""The commands of the crawl-and-rank job: crawl, live, leads, export, report, forget,
correct, mark, corrections, hashtags, graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crawler.cli.base import (
    DB_PATH,
    CampaignArg,
    CountryOpt,
    DbOpt,
    ScopeOpt,
    TypeOpt,
    app,
    err,
    load_campaign_file,
    out,
    setup_logging,
    type_name,
    writable,
)
from crawler.cli.printing import print_crawl_summary
from crawler.core.errors import ScoutError, UserError
from crawler.core.terminal import cell, markup_safe, plain
from crawler.core.vocab import CLOSED_STATUSES, LEAD_TYPES

StatusOpt = Annotated[
    str | None,
    typer.Option(
        "--status",
        help="Outreach statuses to list, comma-separated (e.g. to_contact,new), "
        "'open' (all but joined, declined, not_relevant) or 'all'.",
    ),
]


@app.command()
def crawl(
    campaign: CampaignArg,
    db: DbOpt = DB_PATH,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """One incremental run of every configured source, then classify and rank."""
    from crawler.app.crawl import run_crawl
    from crawler.app.summaries import reading

    setup_logging(verbose)
    cfg = load_campaign_file(campaign)
    writable(db, "--db")
    result = run_crawl(cfg, db, log_level="INFO" if verbose else "WARNING")
    with reading(db) as store:
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

    setup_logging(verbose)
    cfg = load_campaign_file(campaign)
    writable(db, "--db")
    result = run_live(cfg, db, duration=duration)
    events = ", ".join(f"{k} {v:,} events" for k, v in result.events.items()) or "no events"
    events = markup_safe(events)
    out.print(
        f"[bold]live run {result.run_id[:8]}[/bold] {result.status}: {events}; "
        f"{result.posts_new} new posts, {result.accounts_new} new accounts, {result.leads} leads"
    )
    for failure in result.errors:  # may quote what a server sent
        err.print(f"[yellow]warning:[/yellow] {markup_safe(failure)}")


@app.command()
def leads(
    campaign: CampaignArg,
    lead_type: TypeOpt = None,
    country: CountryOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows per lead type.")] = 20,
    db: DbOpt = DB_PATH,
    scope: ScopeOpt = None,
    status: StatusOpt = None,
) -> None:
    """Ranked leads to contact in the terminal (joined, declined and not_relevant ones
    with --status all or --status joined...)."""
    from crawler.app.contacts import contact_line
    from crawler.app.export import select_leads
    from crawler.app.outreach import OPEN, status_filter
    from crawler.app.summaries import reading

    cfg = load_campaign_file(campaign, fetches=False)
    keep = status_filter(status, default=OPEN)
    picked = (cfg.name, type_name(lead_type), country)
    with reading(db) as store:
        df = select_leads(store, *picked, limit, scope, keep)
        closed = select_leads(store, *picked, None, scope, CLOSED_STATUSES)
    hidden = len(closed) if status is None else 0
    if hidden:
        leads_ = "lead" if hidden == 1 else "leads"
        err.print(
            f"{hidden} closed {leads_} not shown (joined, declined, not_relevant): --status all"
        )
    if df.empty:
        shown = markup_safe(repr(cfg.name))
        out.print(f"No leads for {shown} with these filters. Has `scout crawl` run?")
        return
    for t in LEAD_TYPES:
        part = df[df["lead_type"] == t]
        if part.empty:
            continue
        table = Table(title=cell(f"{t} leads"), title_justify="left", show_lines=False)
        for col, just in (
            ("rank", "right"),
            ("score", "right"),
            ("handle", "left"),
            ("name", "left"),
            ("cc", "left"),
            ("status", "left"),
            ("reach them", "left"),
            ("why", "left"),
        ):
            table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
        for r, record in zip(part.itertuples(index=False), part.to_dict("records"), strict=True):
            # names, handles and reasons come from the network: plain text, never markup
            table.add_row(
                str(r.rank),
                f"{r.score:.3f}",
                cell(r.handle),
                cell(r.display_name or ""),
                cell(r.country if isinstance(r.country, str) else "-"),  # NaN when unknown
                cell(f"{r.status} ({r.owner})" if isinstance(r.owner, str) else r.status),
                cell(contact_line(record)),
                cell(r.reasons or ""),
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
    scope: ScopeOpt = None,
    status: StatusOpt = None,
) -> None:
    """Export ranked leads (CSV, XLSX or Parquet) with their outreach status and owner;
    spreadsheet formulas are neutralised."""
    from crawler.app.export import export_leads, select_leads
    from crawler.app.outreach import status_filter
    from crawler.app.summaries import reading

    cfg = load_campaign_file(campaign, fetches=False)
    keep = status_filter(status)
    writable(out_path, "--out")
    with reading(db) as store:
        df = select_leads(store, cfg.name, type_name(lead_type), country, limit, scope, keep)
    path = export_leads(df, out_path)
    out.print(cell(f"wrote {len(df)} leads to {path}"))


@app.command()
def report(
    campaign: CampaignArg,
    out_path: Annotated[Path, typer.Option("--out", "-o", help="FILE.html", dir_okay=False)],
    db: DbOpt = DB_PATH,
) -> None:
    """HTML report with charts: coverage per country, who to contact first."""
    from crawler.app.report import build_report
    from crawler.app.summaries import reading

    cfg = load_campaign_file(campaign, fetches=False)
    writable(out_path, "--out")
    with reading(db) as store:
        path = build_report(store, cfg, out_path)
    out.print(cell(f"wrote report to {path}"))


@app.command()
def forget(
    account: Annotated[
        str, typer.Argument(help="account_id, handle (user@host, @user@host) or profile URL")
    ],
    db: DbOpt = DB_PATH,
) -> None:
    """Erase one account everywhere and never collect it again (keeps a salted hash)."""
    from crawler.app.forget import forget_in

    if not account.strip():
        raise UserError("forget: give an account id, handle or profile URL")
    writable(db, "--db")
    counts = forget_in(db, account)
    shown = plain(account, one_line=True)
    if not any(v for k, v in counts.items() if k != "forgotten"):
        # exit 1: a typo must not pass for an erasure; the hash is kept all the same, so
        # an account erased before it was ever collected is never collected
        raise ScoutError(
            f"forget: no stored account matches {shown!r}; its hash is kept, so it will "
            "not be collected"
        )
    removed = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    out.print(
        cell(f"forgot {shown}: removed {removed}; it will not be collected again"), soft_wrap=True
    )


@app.command()
def correct(
    account: Annotated[
        str, typer.Argument(help="account_id, handle (user@host, @user@host) or profile URL")
    ],
    role: Annotated[str | None, typer.Option("--role", help="politician, journalist, ...")] = None,
    org_type: Annotated[
        str | None, typer.Option("--org-type", help="ngo, union, party, public_body, ...")
    ] = None,
    country: CountryOpt = None,
    scope: ScopeOpt = None,
    db: DbOpt = DB_PATH,
) -> None:
    """Correct the classifier for one account; the correction wins everywhere, across
    crawls, from the next `scout crawl` ranking on (accounts at once)."""
    from crawler.app.corrections import correct as store_correction
    from crawler.app.corrections import corrected_values
    from crawler.app.summaries import open_store

    values = corrected_values(role, org_type, country, scope)
    with open_store(db) as store:
        account_id = store_correction(store, account, values)
    shown = ", ".join(f"{k}={v if v is not None else '(none)'}" for k, v in values.items())
    out.print(f"corrected {account_id}: {shown}")


@app.command()
def mark(
    campaign: CampaignArg,
    account: Annotated[
        str, typer.Argument(help="account_id, handle (user@host, @user@host) or profile URL")
    ],
    status: Annotated[
        str | None,
        typer.Option("--status", "-s", help="new, to_contact, contacted, replied, joined, ..."),
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who takes care of it.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text, e.g. a date.")] = None,
    db: DbOpt = DB_PATH,
) -> None:
    """Record outreach to one lead (status, owner, note); crawls never rewrite it, each
    change is kept in the history. An empty --owner or --note clears it."""
    from crawler.app.outreach import mark as store_mark
    from crawler.app.summaries import open_store

    cfg = load_campaign_file(campaign, fetches=False)
    with open_store(db) as store:
        line = store_mark(
            store, cfg.name, account, status=status, owner=owner, note=note, changed_by=_login()
        )
    out.print(cell(line), soft_wrap=True)


def _login() -> str | None:
    """Who runs the command (the history's changed_by), if the system can tell."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry / no login name (containers)
        return None


@app.command()
def corrections(
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="FILE.jsonl (training data)", dir_okay=False)
    ],
    db: DbOpt = DB_PATH,
) -> None:
    """Export organizers' corrections as training data (JSON lines: profile + labels)."""
    from crawler.app.corrections import export_corrections
    from crawler.app.summaries import reading

    with reading(db) as store:
        n = export_corrections(store, out_path)
    out.print(f"wrote {n} corrected accounts to {out_path}")


@app.command()
def hashtags(
    campaign: CampaignArg,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept",
            help="Record a related tag that later crawls follow when [campaign] "
            "follow_related = true (repeatable).",
        ),
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option("--drop", help="Stop following an accepted tag.")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", "-l", help="Within posts in this language, e.g. de.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows.")] = 30,
    db: DbOpt = DB_PATH,
) -> None:
    """Hashtags related to the campaign's: posts, accounts and lift over other posts."""
    from crawler.app import hashtags as related
    from crawler.app.summaries import open_store, reading

    cfg = load_campaign_file(campaign, fetches=False)
    related.check_tags(accept or [])  # every tag checked before anything is written
    related.check_tags(drop or [], "--drop")
    want = related.check_lang(lang)
    if accept or drop:
        writable(db, "--db")
        with open_store(db, must_exist=False) as store:
            added = related.accept(store, cfg, accept or [])
            dropped = related.drop(store, cfg, drop or [])
        for verb, tags in (("accepted", added), ("dropped", dropped)):
            if tags:
                out.print(cell(f"{verb}: {', '.join('#' + t for t in tags)}"))
    with reading(db) as store:
        found = related.related_hashtags(store, cfg, lang=want, limit=limit)
    if not found.tags:
        out.print(
            cell(
                f"No related hashtags for {cfg.name!r}{f' in {want}' if want else ''} yet: a tag"
                f" needs {related.MIN_POSTS} campaign posts from {related.MIN_ACCOUNTS} accounts."
            )
        )
    else:
        title = f"Hashtags related to {cfg.name}" + (f" ({want})" if want else "")
        table = Table(title=cell(title), title_justify="left")
        for col in ("tag", "posts", "accounts", "share", "lift", "languages", "accepted"):
            just = "right" if col in ("posts", "accounts", "share", "lift") else "left"
            table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
        for t in found.tags:  # tags come from the network: plain text, never markup
            table.add_row(
                cell(f"#{t.tag}"),
                f"{t.posts:,}",
                f"{t.accounts:,}",
                f"{t.share:.1%}",
                f"{t.lift:,.2f}",
                cell(", ".join(t.languages[:3])),
                "yes" if t.accepted else "",
            )
        out.print(table)
    out.print(
        f"{found.campaign_posts:,} campaign posts, {found.background_posts:,} other posts; "
        "lift = share of campaign posts / share of other posts"
        + (" (few other posts: rough)" if found.rough else "")
    )
    if found.accepted:
        follows = cfg.campaign.follow_related
        note = "crawls follow them" if follows else "set [campaign] follow_related = true"
        out.print(cell(f"accepted: {', '.join('#' + t for t in found.accepted)} ({note})"))


@app.command()
def graph(
    campaign: CampaignArg,
    out_path: Annotated[
        Path,
        typer.Option("--out", "-o", help="FILE.graphml or FILE.gexf (Gephi)", dir_okay=False),
    ],
    db: DbOpt = DB_PATH,
) -> None:
    """The campaign's accounts and their follow and interaction edges, for Gephi and
    network tools (text attributes neutralised like the exports)."""
    from crawler.app.graph_export import build_graph, graph_format, write_graph
    from crawler.app.summaries import reading

    cfg = load_campaign_file(campaign, fetches=False)
    graph_format(out_path)
    writable(out_path, "--out")
    with reading(db) as store:
        network = build_graph(store, cfg.name)
    path = write_graph(network, out_path)
    out.print(
        cell(
            f"wrote {network.number_of_nodes():,} accounts and "
            f"{network.number_of_edges():,} edges to {path}"
        ),
        soft_wrap=True,
    )


@app.command()
def serve(
    db: DbOpt = DB_PATH,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; loopback unless a token is set.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="0: any free.")
    ] = 8750,
) -> None:
    """The organizers' workspace in the browser: dashboard, lead lists, lead pages with
    status, owner, notes and corrections. Any host but loopback needs SCOUT_SERVE_TOKEN."""
    from crawler.web.serve import serve as run_workspace

    try:
        run_workspace(db, host, port, announce=lambda line: out.print(cell(line), soft_wrap=True))
    except KeyboardInterrupt:
        out.print("workspace stopped")
