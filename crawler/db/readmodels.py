"""Read models: the queries behind the ranking, lead lists and exports, the HTML report
and the CLI summaries, as functions of an open database.

Each statement is a constant ``crawler/db/sql/*.sql`` resource; every value is a
parameter (named, except the ranking's positional list). Callers in the app layer get
DataFrames, dicts and tuples back and never see a connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from crawler.db.connection import Connection, sql

# Columns the ranking fills in ``leads``, in the order of the ranking query's SELECT.
LEADS_COLUMNS: tuple[str, ...] = (
    "campaign", "account_id", "platform", "handle", "display_name", "url", "lead_type",
    "score", "rank", "country", "language", "reasons", "reach", "centrality", "role_fit",
    "stance", "activity", "country_need", "campaign_posts", "ranked_at", "stance_score",
    "scope", "identity_id", "handles",
)  # fmt: skip
_INSERT_LEADS = f"INSERT INTO leads ({', '.join(LEADS_COLUMNS)}) "


def _df(db: Connection, statement: str, params: object = None) -> pd.DataFrame:
    """The statement's result as a DataFrame, read in one unit of work."""
    with db.session() as con:
        return con.execute(statement, params).df()


def _rows(db: Connection, statement: str, params: object = None) -> list[tuple[Any, ...]]:
    with db.session() as con:
        return con.execute(statement, params).fetchall()


def create_views(db: Connection) -> None:
    """Create or replace the analyst views (``sql/views.sql``)."""
    with db.session() as con:
        con.execute(sql("views"))


def _collapse_identities(con: Any, campaign: str, type_order: Sequence[str]) -> None:
    """``sql/collapse_identities.sql``: one lead per merged identity (statement by
    statement, each with the parameters it names)."""
    params = {"campaign": campaign, "types": list(type_order)}
    for statement in sql("collapse_identities").split("\n;\n"):
        used = {k: v for k, v in params.items() if f"${k}" in statement}
        con.execute(statement, used or None)


def replace_leads(
    db: Connection,
    campaign: str,
    countries: Mapping[str, Sequence[Any]],
    ranking_params: Sequence[object],
    type_order: Sequence[str],
) -> pd.DataFrame:
    """In one transaction: replace the campaign's ``campaign_countries`` rows
    (``countries``: the parallel lists of ``sql/campaign_countries.sql``) and its
    ``leads`` (``sql/ranking.sql`` with ``ranking_params``), then the views. Returns the
    new leads ordered by ``type_order``, then rank."""
    with db.session(), db.transaction() as con:
        con.execute("DELETE FROM campaign_countries WHERE campaign = ?", [campaign])
        con.execute(sql("campaign_countries"), {"campaign": campaign, **countries})
        con.execute("DELETE FROM leads WHERE campaign = ?", [campaign])
        con.execute(_INSERT_LEADS + sql("ranking"), list(ranking_params))
        _collapse_identities(con, campaign, type_order)
        create_views(db)
    return _df(
        db,
        "SELECT * FROM leads WHERE campaign = $campaign"
        " ORDER BY list_position($types, lead_type), rank",
        {"campaign": campaign, "types": list(type_order)},
    )


def campaign_leads(db: Connection, campaign: str) -> pd.DataFrame:
    """Every stored column of the campaign's leads, by lead type, rank and account."""
    return _df(
        db,
        'SELECT * FROM leads WHERE campaign = ? ORDER BY lead_type, "rank", account_id',
        [campaign],
    )


def select_leads(
    db: Connection,
    campaign: str,
    *,
    lead_type: str | None,
    country: str | None,
    limit: int | None,
    types: Sequence[str],
    scope: str | None = None,
    statuses: Sequence[str] | None = None,
    closed: Sequence[str] = (),
) -> pd.DataFrame:
    """``sql/select_leads.sql``: the export columns of the campaign's ranked leads with
    their outreach ``status`` and ``owner``; ``statuses`` filters (None = all), leads
    whose status is in ``closed`` come after the open ones of their type."""
    params = {
        "campaign": campaign,
        "lead_type": lead_type,
        "country": country,
        "scope": scope,
        "limit": limit,
        "types": list(types),
        "statuses": None if statuses is None else list(statuses),
        "closed": list(closed),
    }
    return _df(db, sql("select_leads"), params).reset_index(drop=True)


def last_run(db: Connection, campaign: str) -> dict[str, Any] | None:
    """The campaign's newest run as a dict (``sql/report_last_run.sql``), or None."""
    return _first_row(db, sql("report_last_run"), {"campaign": campaign})


def _first_row(db: Connection, statement: str, params: dict[str, Any]) -> dict[str, Any] | None:
    # fetchall, not fetchone: never leave an unfinished result on the shared connection
    with db.session() as con:
        cur = con.execute(statement, params)
        rows = cur.fetchall()
        names = [d[0] for d in cur.description or []]
    return dict(zip(names, rows[0], strict=True)) if rows else None


def campaign_posts_per_day(db: Connection, campaign: str, tags: Sequence[str]) -> pd.DataFrame:
    """Columns day, platform, posts (``sql/report_posts_per_day.sql``)."""
    params = {"campaign": campaign, "tags": list(tags)}
    return _df(db, sql("report_posts_per_day"), params)


def campaign_post_totals(db: Connection, campaign: str, tags: Sequence[str]) -> dict[str, Any]:
    """posts, authors, first, last (``sql/report_post_totals.sql``)."""
    params = {"campaign": campaign, "tags": list(tags)}
    row = _first_row(db, sql("report_post_totals"), params)
    return row or {"posts": 0, "authors": 0, "first": None, "last": None}


def role_mix(db: Connection, campaign: str, tags: Sequence[str]) -> pd.DataFrame:
    """Columns role, accounts, bots (``sql/report_role_mix.sql``)."""
    params = {"campaign": campaign, "tags": list(tags)}
    return _df(db, sql("report_role_mix"), params)


def supporters_by_country(db: Connection, campaign: str) -> list[tuple[str, int]]:
    """(country as stored, upper case; supporting accounts) pairs."""
    rows = _rows(db, sql("report_supporters_by_country"), {"campaign": campaign})
    return [(str(cc), int(n)) for cc, n in rows]


def forgotten_count(db: Connection) -> int:
    """How many salted hashes of erased accounts are kept."""
    rows = _rows(db, "SELECT count(*) FROM forgotten")
    return int(rows[0][0]) if rows else 0


def oldest_post(db: Connection) -> Any:
    """The creation time of the oldest stored post (UTC wall time), or None."""
    rows = _rows(db, "SELECT timezone('UTC', min(created_at)) FROM posts")
    return rows[0][0] if rows else None


def collected_per_platform(db: Connection) -> list[tuple[str, int, int]]:
    """(platform, accounts, posts) stored (``sql/collected_per_platform.sql``)."""
    rows = _rows(db, sql("collected_per_platform"))
    return [(str(p), int(a), int(n)) for p, a, n in rows]


def lead_counts_by_country(db: Connection, campaign: str) -> list[tuple[str | None, str, int]]:
    """(country or None, lead type, leads) of the campaign."""
    rows = _rows(db, sql("lead_counts_by_country"), {"campaign": campaign})
    return [(None if c is None else str(c), str(t), int(n)) for c, t, n in rows]
