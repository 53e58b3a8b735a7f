"""Read models of the organizers' workspace (``scout serve``, :mod:`crawler.web`).

Functions of an open store, like :mod:`crawler.db.readmodels`: each runs a constant
``crawler/db/sql/web_*.sql`` statement with every value a named parameter (filters,
sorting and paging included: the sort key is a parameter the statement compares, never
text spliced into it) and returns DataFrames, dicts or lists. Each call is one unit of
work; the web app wraps a request in one ``store.session()`` so a page holds the file
for the time of its reads only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from crawler.core.vocab import CLOSED_STATUSES, LEAD_STATUSES, LEAD_TYPES
from crawler.db.connection import Connection, sql

# Sort keys the lead list understands (web_leads.sql compares $sort with these).
LEAD_SORTS: tuple[str, ...] = (
    "rank", "score", "followers", "handle", "name", "country", "status", "owner", "updated",
)  # fmt: skip


@dataclass(frozen=True)
class LeadFilter:
    """What a lead list shows: ``None`` means every value. ``country`` ``'??'`` is the
    unknown country, ``owner`` ``'-'`` nobody, ``status`` ``'open'`` any status not in
    :data:`~crawler.core.vocab.CLOSED_STATUSES`."""

    lead_type: str | None = None
    country: str | None = None
    language: str | None = None
    status: str | None = None
    owner: str | None = None
    role: str | None = None
    community: int | None = None
    min_followers: int | None = None


def _df(db: Connection, statement: str, params: dict[str, Any]) -> pd.DataFrame:
    with db.session() as con:
        return con.execute(statement, params).df()


def _dicts(db: Connection, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts (NULL as None), straight from DuckDB: pages need no DataFrame."""
    with db.session() as con:
        cur = con.execute(statement, params)
        rows = cur.fetchall()
        names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in rows]


def campaigns(db: Connection) -> list[dict[str, Any]]:
    """Every campaign with ranked leads or runs: ``campaign``, ``leads``."""
    return _dicts(db, sql("web_campaigns"), {})


def has_campaign(db: Connection, campaign: str) -> bool:
    """Whether the database has leads or runs of ``campaign``."""
    rows = _dicts(
        db,
        "SELECT EXISTS (SELECT 1 FROM leads WHERE campaign = $campaign)"
        " OR EXISTS (SELECT 1 FROM runs WHERE campaign = $campaign) AS known",
        {"campaign": campaign},
    )
    return bool(rows and rows[0]["known"])


def _list_params(
    campaign: str, filters: LeadFilter, sort: str, descending: bool, limit: int | None, offset: int
) -> dict[str, Any]:
    if sort not in LEAD_SORTS:
        raise ValueError(f"not a sort key: {sort!r}")
    return {
        "campaign": campaign,
        **asdict(filters),
        "closed": list(CLOSED_STATUSES),
        "statuses": list(LEAD_STATUSES),
        "sort": sort,
        "desc": descending,
        "limit": limit,
        "offset": max(0, offset),
    }


def lead_list(
    db: Connection,
    campaign: str,
    filters: LeadFilter,
    *,
    sort: str = "rank",
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the filtered, sorted lead list (``sql/web_leads.sql``) and how many
    rows the filter keeps (``limit`` None: every row)."""
    params = _list_params(campaign, filters, sort, descending, limit, offset)
    rows = _dicts(db, sql("web_leads"), params)
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset:
        # a page past the end: the count still tells how many rows there are
        total = len(_dicts(db, sql("web_leads"), {**params, "limit": None, "offset": 0}))
    return rows, total


def lead_frame(
    db: Connection, campaign: str, filters: LeadFilter, *, sort: str, descending: bool
) -> pd.DataFrame:
    """Every row of the filtered, sorted lead list as a DataFrame (for exports)."""
    params = _list_params(campaign, filters, sort, descending, None, 0)
    return _df(db, sql("web_leads"), params).drop(columns=["total"])


def lead_filter_values(db: Connection, campaign: str, lead_type: str | None) -> dict[str, list]:
    """The values present for each filter: countries, languages, owners, roles,
    communities (each a sorted list)."""
    rows = _dicts(db, sql("web_lead_filters"), {"campaign": campaign, "lead_type": lead_type})
    row = rows[0] if rows else {}
    return {k: list(v) if v is not None else [] for k, v in row.items()}


def country_rows(db: Connection, campaign: str) -> list[dict[str, Any]]:
    """``campaign_countries`` as the last ranking wrote it (country, mep_seats,
    threshold, signatures, is_target); empty before the first ranking."""
    return _dicts(db, sql("web_countries"), {"campaign": campaign})


def new_leads(db: Connection, campaign: str, limit: int = 5) -> list[dict[str, Any]]:
    """Leads first seen during or after the newest run: the best ``limit`` of each lead
    type, by type then rank (``per_type``: how many new leads the row's type has)."""
    params = {"campaign": campaign, "limit": limit, "types": list(LEAD_TYPES)}
    return _dicts(db, sql("web_new_leads"), params)


def status_counts(db: Connection, campaign: str) -> dict[str, int]:
    """Leads (accounts) per outreach status; leads never marked count as ``new``."""
    rows = _dicts(db, sql("web_status_counts"), {"campaign": campaign})
    return {str(r["status"]): int(r["leads"]) for r in rows}


def lead_account(db: Connection, campaign: str, account_id: str) -> dict[str, Any] | None:
    """The account behind a lead, its stance and outreach state; None if unknown."""
    params = {"campaign": campaign, "account_id": account_id}
    rows = _dicts(db, sql("web_lead_account"), params)
    return rows[0] if rows else None


def lead_rows(db: Connection, campaign: str, account_id: str) -> list[dict[str, Any]]:
    """The account's ``leads`` rows in the campaign (one per lead type it ranks in)."""
    statement = (
        "SELECT * FROM leads WHERE campaign = $campaign AND account_id = $account_id"
        " ORDER BY list_position($types, lead_type)"
    )
    params = {"campaign": campaign, "account_id": account_id, "types": list(LEAD_TYPES)}
    return _dicts(db, statement, params)


def lead_posts(
    db: Connection, campaign: str, account_id: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The account's campaign posts, newest first."""
    params = {"campaign": campaign, "account_id": account_id, "limit": limit}
    return _dicts(db, sql("web_lead_posts"), params)


def lead_interactions(
    db: Connection, campaign: str, account_id: str, limit: int = 100
) -> list[dict[str, Any]]:
    """Interactions between the account and the campaign's other leads, newest first."""
    params = {"campaign": campaign, "account_id": account_id, "limit": limit}
    return _dicts(db, sql("web_lead_interactions"), params)


def lead_contacts(db: Connection, account_id: str) -> list[dict[str, Any]]:
    """Contact routes found for the account (``contacts``), verified first."""
    return _dicts(db, sql("web_lead_contacts"), {"account_id": account_id})
