"""What each page of the workspace shows, as data (no Flask here): the dashboard's
country picture, the lead list's parsed query, the lead page, the export of a view.

The numbers are the report's: thresholds from :mod:`crawler.core.vocab` through the
``campaign_countries`` rows the last ranking wrote, supporters and leads per country
from :mod:`crawler.app.summaries` and :mod:`crawler.db.readmodels`.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crawler.app import ranking
from crawler.app.export import COLUMNS as EXPORT_COLUMNS
from crawler.app.export import export_leads
from crawler.app.report import COMPONENT_HELP, COUNTRIES_NEEDED, LEAD_TYPE_HELP, safe_href
from crawler.app.summaries import COUNTRY_NAMES, CountryRow, supporters_by_country
from crawler.core.vocab import (
    CLOSED_STATUSES,
    EU_COUNTRIES,
    LEAD_STATUSES,
    LEAD_TYPES,
    MEP_SEATS,
    ROLES,
    country_code,
    threshold,
)
from crawler.db import readmodels, workspace
from crawler.db.store import Store
from crawler.db.workspace import LEAD_SORTS, LeadFilter

PAGE_SIZES: tuple[int, ...] = (10, 25, 50, 100)
OPEN = "open"  # the status filter for every status but the closed ones
UNKNOWN_COUNTRY = "??"
NOBODY = "-"
# Sort keys that read best highest first when first chosen.
DESCENDING_FIRST = frozenset({"score", "followers", "updated"})
EXPORT_FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# --------------------------------------------------------------------------- dashboard


def country_picture(store: Store, campaign: str) -> dict[str, Any]:
    """Per member state: leads per type and supporters against the threshold (target
    countries first); leads of unknown country apart; how many countries have leads
    and how many reached their threshold (when signatures were given)."""
    stored = {r["country"]: r for r in workspace.country_rows(store, campaign)}
    counts: dict[str | None, dict[str, int]] = {}
    for country, lead_type, n in readmodels.lead_counts_by_country(store, campaign):
        cc = None if country is None else (country_code(country) or country.upper())
        per = counts.setdefault(cc, {})
        per[lead_type] = per.get(lead_type, 0) + n
    supporters = supporters_by_country(store, campaign)
    rows = []
    for code in EU_COUNTRIES:
        row = stored.get(code, {})
        sig = row.get("signatures")
        rows.append(
            CountryRow(
                code=code,
                name=COUNTRY_NAMES.get(code, code),
                seats=int(row.get("mep_seats") or MEP_SEATS[code]),
                threshold=int(row.get("threshold") or threshold(code)),
                signatures=None if sig is None else int(sig),
                leads={t: counts.get(code, {}).get(t, 0) for t in LEAD_TYPES},
                supporters=supporters.get(code, 0),
                target=bool(row.get("is_target")),
            )
        )
    rows.sort(key=lambda r: (not r.target, -r.total_leads, r.name))
    unknown = {t: counts.get(None, {}).get(t, 0) for t in LEAD_TYPES}
    return {
        "rows": rows,
        "unknown": unknown,
        "unknown_total": sum(unknown.values()),
        "with_leads": sum(1 for r in rows if r.total_leads),
        "reached": sum(1 for r in rows if r.signatures is not None and not r.below_threshold),
        "has_signatures": any(r.signatures is not None for r in rows),
        "needed": COUNTRIES_NEEDED,
        "targets": [r.code for r in rows if r.target],
    }


def dashboard(store: Store, campaign: str) -> dict[str, Any]:
    statuses = workspace.status_counts(store, campaign)
    new = workspace.new_leads(store, campaign)
    new_per_type = {t: 0 for t in LEAD_TYPES}
    for row in new:
        new_per_type[str(row["lead_type"])] = int(row["per_type"])
    by_type = {t: 0 for t in LEAD_TYPES}
    for _country, lead_type, n in readmodels.lead_counts_by_country(store, campaign):
        by_type[lead_type] = by_type.get(lead_type, 0) + n
    return {
        "countries": country_picture(store, campaign),
        "run": readmodels.last_run(store, campaign),
        "lead_counts": by_type,
        "type_help": LEAD_TYPE_HELP,
        "statuses": [(s, statuses.get(s, 0)) for s in LEAD_STATUSES],
        "closed": CLOSED_STATUSES,
        "new": new,
        "new_per_type": new_per_type,
    }


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class ListQuery:
    """A lead list's query string, checked: unknown values are dropped, never passed
    on (they are SQL parameters in any case)."""

    filters: LeadFilter
    sort: str = "rank"
    descending: bool = False
    page: int = 1
    per_page: int = PAGE_SIZES[2]
    args: dict[str, str] = field(default_factory=dict)  # the kept values, for links

    def with_args(self, **changes: Any) -> dict[str, str]:
        """The query string of this view with ``changes`` (None removes a key)."""
        out = dict(self.args)
        for k, v in changes.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = str(v)
        return out

    def sort_args(self, key: str) -> dict[str, str]:
        """The query string that sorts by ``key`` (again: the other way round)."""
        if key == self.sort:
            direction = "asc" if self.descending else "desc"
        else:
            direction = "desc" if key in DESCENDING_FIRST else "asc"
        return self.with_args(sort=key, dir=direction, page=None)


def _int(value: str | None, low: int = 0) -> int | None:
    try:
        n = int(str(value).strip())
    except ValueError:
        return None
    return n if n >= low else None


def parse_list_query(lead_type: str | None, args: Mapping[str, str]) -> ListQuery:
    kept: dict[str, str] = {}

    def keep(name: str, value: Any) -> Any:
        if value is not None:
            kept[name] = str(value)
        return value

    raw = {k: (args.get(k) or "").strip() for k in (
        "country", "language", "status", "owner", "role", "community", "min_followers",
        "sort", "dir", "page", "per",
    )}  # fmt: skip
    given = raw["country"].upper()
    country = given if given == UNKNOWN_COUNTRY else country_code(given) if given else None
    status = raw["status"] if raw["status"] in (*LEAD_STATUSES, OPEN) else None
    filters = LeadFilter(
        lead_type=lead_type,
        country=keep("country", country),
        language=keep("language", raw["language"].lower()[:12] or None),
        status=keep("status", status),
        owner=keep("owner", raw["owner"][:80] or None),
        role=keep("role", raw["role"] if raw["role"] in ROLES else None),
        community=keep("community", _int(raw["community"])),
        min_followers=keep("min_followers", _int(raw["min_followers"])),
    )
    sort = raw["sort"] if raw["sort"] in LEAD_SORTS else "rank"
    descending = raw["dir"] == "desc" if raw["dir"] in ("asc", "desc") else sort in DESCENDING_FIRST
    if sort != "rank" or descending:
        kept.update(sort=sort, dir="desc" if descending else "asc")
    per = _int(raw["per"])
    per = per if per in PAGE_SIZES else PAGE_SIZES[2]
    if per != PAGE_SIZES[2]:
        kept["per"] = str(per)
    page = _int(raw["page"], low=1) or 1
    return ListQuery(filters, sort, descending, page, per, kept)


def lead_list(store: Store, campaign: str, query: ListQuery) -> dict[str, Any]:
    rows, total = workspace.lead_list(
        store,
        campaign,
        query.filters,
        sort=query.sort,
        descending=query.descending,
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
    )
    pages = max(1, math.ceil(total / query.per_page))
    options = workspace.lead_filter_values(store, campaign, query.filters.lead_type)
    return {
        "rows": rows,
        "total": total,
        "pages": pages,
        "options": options,
        "statuses": LEAD_STATUSES,
        "closed": CLOSED_STATUSES,
        "roles": ROLES,
        "page_sizes": PAGE_SIZES,
    }


def export_view(store: Store, campaign: str, query: ListQuery, fmt: str) -> bytes:
    """Every row of the filtered, sorted view in the export's columns (plus the note),
    as CSV or XLSX bytes made by the export's writers (formulas neutralised)."""
    rows = workspace.lead_frame(
        store, campaign, query.filters, sort=query.sort, descending=query.descending
    )
    columns = [c for c in EXPORT_COLUMNS if c in rows.columns]
    columns += [c for c in ("status", "owner", "note") if c in rows.columns and c not in columns]
    frame = rows[columns]
    # a fresh folder of our own: the file name never comes from the request
    with tempfile.TemporaryDirectory(prefix="scout-export-") as tmp:
        path = export_leads(frame, Path(tmp) / f"leads.{fmt}")
        return path.read_bytes()


def unfiltered(query: ListQuery) -> ListQuery:
    return replace(query, filters=LeadFilter(lead_type=query.filters.lead_type), args={})


# --------------------------------------------------------------------------- lead page


def profile_fields(raw: Any) -> list[dict[str, Any]]:
    """Profile fields (name, value, link when the value is an http(s) URL)."""
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw or []
    except ValueError:
        return []
    out = []
    for f in items if isinstance(items, list) else []:
        if isinstance(f, dict) and (f.get("name") or f.get("value")):
            value = str(f.get("value") or "")
            out.append({"name": str(f.get("name") or ""), "value": value, "href": safe_href(value)})
    return out


def reasons(lead: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The score's components with value, weight and contribution (the ranking's own
    weights for the lead type), so every number on the page adds up to the score."""
    weights = ranking.WEIGHTS.get(str(lead.get("lead_type")), {})
    out = []
    for c in ranking.COMPONENTS:
        value = lead.get("stance_score") if c == "stance" else lead.get(c)
        number = None if value is None else float(value)
        w = float(weights.get(c, 0.0))
        out.append(
            {
                "component": c,
                "help": COMPONENT_HELP.get(c, ""),
                "value": number,
                "word": lead.get("stance") if c == "stance" else None,
                "weight": w,
                "points": None if number is None else number * w,
            }
        )
    return out


def _history(store: Store, campaign: str, account_id: str) -> list[dict[str, Any]]:
    frame = store.lead_status_history(campaign, account_id)
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in clean.to_dict(orient="records")]


def lead_page(store: Store, campaign: str, account_id: str) -> dict[str, Any] | None:
    account = workspace.lead_account(store, campaign, account_id)
    if account is None:
        return None
    leads = workspace.lead_rows(store, campaign, account_id)
    for lead in leads:
        lead["components"] = reasons(lead)
    handles = sorted({str(h) for lead in leads for h in (lead.get("handles") or []) if h})
    return {
        "account": account,
        "leads": leads,
        "fields": profile_fields(account.get("fields")),
        "contacts": workspace.lead_contacts(store, account_id),
        "handles": [h for h in handles if h != account["handle"]],
        "posts": workspace.lead_posts(store, campaign, account_id),
        "interactions": workspace.lead_interactions(store, campaign, account_id),
        "history": _history(store, campaign, account_id),
        "overrides": store.overrides_of(account_id),
    }
