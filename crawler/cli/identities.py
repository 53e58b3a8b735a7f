"""``scout identities``: accounts merged into one person or organisation, and the weak
matches waiting for an organizer's decision."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from crawler.cli.base import DB_PATH, CampaignArg, DbOpt, app, load_campaign_file, out
from crawler.core.errors import UserError
from crawler.core.terminal import cell


@app.command()
def identities(
    campaign_file: CampaignArg,
    confirm: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--confirm", help="Merge two accounts (a suggestion, or your own).", show_default=False
        ),
    ] = None,
    reject: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--reject", help="Keep two accounts apart; never suggested again.", show_default=False
        ),
    ] = None,
    db: DbOpt = DB_PATH,
) -> None:
    """Accounts that are one person or organisation (merged on strong evidence: rel=me
    links verified both ways, one verified website, a Bluesky handle on the site's
    domain) and suggestions on weak evidence (same name, similar bio) to confirm or
    reject."""
    from crawler.app.identities import decide
    from crawler.app.summaries import open_store, reading

    load_campaign_file(campaign_file, fetches=False)  # a broken file is still one line, exit 2
    if confirm and reject:
        raise UserError("identities: give --confirm or --reject, not both")
    if confirm or reject:
        a, b = confirm or reject  # type: ignore[misc]
        with open_store(db) as store:
            out.print(cell(decide(store, a, b, "confirmed" if confirm else "rejected")))
        return
    with reading(db) as store:
        merged, suggestions = store.identity_overview()
    table = Table(title="Merged identities", title_justify="left")
    for col in ("identity", "platform", "handle", "name", "evidence"):
        table.add_column(col, overflow="fold")
    for row in merged.itertuples(index=False):
        table.add_row(*(cell(v) for v in row))
    out.print(table if len(merged) else "no merged identities yet")
    table = Table(title="Suggested (weak evidence: confirm or reject)", title_justify="left")
    for col in ("handle", "other", "evidence", "score", "status"):
        table.add_column(col, overflow="fold")
    for r in suggestions.to_dict("records"):
        score = r["score"]
        shown = f"{float(score):.2f}" if isinstance(score, float) and score == score else ""
        table.add_row(cell(r["handle"]), cell(r["other_handle"]), cell(r["evidence"]), shown,
                      cell(r["status"]))  # fmt: skip
    out.print(table if len(suggestions) else "no suggestions")
