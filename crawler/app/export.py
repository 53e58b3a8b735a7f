"""Ranked lead lists for organizers: CSV, XLSX and Parquet.

Spreadsheet safety (OWASP "CSV injection"): in CSV and XLSX every text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so a
spreadsheet shows it as text instead of running it as a formula; XLSX cells are also
stored with the string type, never as formulas.  Parquet keeps the raw values: it is a
typed analysis format that no spreadsheet executes, and analysts need the data unchanged.

Every file is written atomically: into a temporary file in the target folder, then
renamed over the target, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from crawler.app import ranking
from crawler.app.contacts import CONTACT_COLUMNS, lead_contacts
from crawler.core.errors import UserError
from crawler.core.files import atomic_path
from crawler.core.vocab import CLOSED_STATUSES, LEAD_STATUSES, LEAD_TYPES, SCOPES, country_code
from crawler.db import readmodels
from crawler.db.store import Store

COMPONENTS: tuple[str, ...] = (
    *ranking.COMPONENTS,
    "campaign_posts",
)
COLUMNS: tuple[str, ...] = (
    "rank",
    "lead_type",
    "score",
    "handle",
    "display_name",
    "platform",
    "url",
    "country",
    "language",
    "status",
    "owner",
    *CONTACT_COLUMNS,
    "reasons",
    *COMPONENTS,
    "scope",
    "community",
    "community_label",
    "account_id",
)
FORMATS: tuple[str, ...] = (".csv", ".xlsx", ".parquet")

# What each column means; shown in the XLSX "README" sheet.
COLUMN_HELP: dict[str, str] = {
    "rank": "1 is the best lead of this type in the campaign.",
    "lead_type": "volunteer, influencer, intermediary (NGOs, unions, associations...) or "
    "sponsor (foundations, companies).",
    "score": "Weighted sum of the components below, 0 to 1; higher is better.",
    "handle": "user@host on Mastodon, the handle on Bluesky.",
    "display_name": "The name the account shows publicly.",
    "platform": "mastodon or bluesky.",
    "url": "Public profile page.",
    "country": "ISO 3166 country code, empty when it could not be told.",
    "language": "Main language of the account (ISO 639-1).",
    "status": "Outreach status an organizer set (`scout mark`): new, to_contact, "
    "contacted, replied, joined, declined or not_relevant; new when nobody marked it. "
    "Joined, declined and not_relevant leads come after the others of their type.",
    "owner": "Who in the team takes care of this lead (`scout mark --owner`).",
    "handles": "All handles of the person or organisation: accounts merged into one "
    "identity on strong evidence (see the reasons), this lead's own first.",
    "website": "The website: found by the website pass, else named in the profile "
    "(verified links first).",
    "email": "Public e-mail from the website (organisations and public figures only; "
    "never a private person's).",
    "contact_form": "The website's contact form (organisations and public figures only).",
    "messages": "Whether a stranger can write to them on the platform: Mastodon locked or "
    "not, Bluesky's setting for incoming messages.",
    "evidence_posts": "Up to 3 campaign posts (URLs) that made this lead, most engaged "
    "first: quote them when you write.",
    "reasons": "In words: why this account is a lead and why it ranks where it does.",
    "reach": "0-1: followers (log scale) blended with engagement on campaign posts.",
    "centrality": "0-1: how many campaign supporters interact with the account.",
    "role_fit": "0-1: how well the role or organization type fits the lead type.",
    "stance": "Stance toward the campaign found in its posts (supports or neutral; "
    "opponents are never listed). The reasons quote the post that decided it.",
    "activity": "0-1: campaign posts, weighted toward recent ones.",
    "country_need": "0-1: how much the account's country still needs signatures.",
    "campaign_posts": "Number of posts of this account that matched the campaign.",
    "scope": "Level of an organisation or politician: local, regional, national or "
    "european; empty when unclear or for private persons.",
    "community": "Number of the account's community in the campaign graph (0 = the "
    "largest); empty when the graph was not computed or the account is in no community "
    "of 3 or more.",
    "community_label": "The community in words: its main language, country and hashtags.",
    "account_id": "Stable id: 'mastodon:' + ActivityPub URI or 'bluesky:' + DID.",
}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAX_CELL = 32_767  # Excel's limit on characters in one cell


class ExportError(UserError):
    """An export that cannot be made; ``str()`` is one line for the user."""


def select_leads(
    store: Store,
    campaign: str,
    lead_type: str | None = None,
    country: str | None = None,
    limit: int | None = None,
    scope: str | None = None,
    statuses: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The campaign's ranked leads, ordered by lead type, then open before closed
    (status in ``CLOSED_STATUSES``), then rank.

    ``lead_type``, ``country`` and ``scope`` filter (``country`` is ISO alpha-2, ``EL``
    accepted for Greece; ``scope`` one of local, regional, national, european); ``limit`` keeps the best ``limit`` leads *of each type*, so an unfiltered
    list still shows every type. ``statuses`` keeps leads with one of these outreach
    statuses (None = all; see :func:`crawler.app.outreach.status_filter`; an unmarked
    lead is ``new``). The statement text is constant (``sql/select_leads.sql``);
    every value is a parameter.
    """
    if lead_type is not None and lead_type not in LEAD_TYPES:
        raise ExportError(f"unknown lead type {lead_type!r}: use one of {', '.join(LEAD_TYPES)}")
    if scope is not None and scope not in SCOPES:
        raise ExportError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    bad = sorted(set(statuses or ()) - set(LEAD_STATUSES))
    if bad:
        raise ExportError(f"unknown status {bad[0]!r}: use one of {', '.join(LEAD_STATUSES)}")
    if limit is not None and limit < 1:
        raise ExportError(f"limit must be at least 1, not {limit}")
    # a code that is no member state filters to nothing, never to everything
    cc = None if country is None else (country_code(country) or country.strip().upper())
    leads = readmodels.select_leads(
        store,
        campaign,
        lead_type=lead_type,
        country=cc,
        scope=scope,
        limit=limit,
        types=LEAD_TYPES,
        statuses=statuses,
        closed=CLOSED_STATUSES,
    )
    graph = store.lead_communities(campaign)[["account_id", "community", "community_label"]]
    graph = graph.astype({"community": "Int64"})
    routes = lead_contacts(store, campaign)
    merged = leads.merge(graph, on="account_id", how="left")
    merged = merged.merge(routes, on="account_id", how="left")
    for col in CONTACT_COLUMNS:  # text or None (a missing route), never NaN
        merged[col] = merged[col].astype(object).where(merged[col].notna(), None)
    return merged[list(COLUMNS)]


def neutralize(value: Any) -> Any:
    """Prefix ``'`` to a text value a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export_leads(df: pd.DataFrame, out: Path) -> Path:
    """Write ``df`` to ``out``; the format follows the suffix (.csv, .xlsx, .parquet)."""
    out = Path(out)
    suffix = out.suffix.lower()
    writers: dict[str, Callable[[pd.DataFrame, Path], None]] = {
        ".csv": _write_csv,
        ".xlsx": _write_xlsx,
        ".parquet": _write_parquet,
    }
    writer = writers.get(suffix)
    if writer is None:
        shown = suffix or "(none)"
        raise ExportError(f"{out}: unknown export format {shown}: use {', '.join(FORMATS)}")
    if not out.parent.is_dir():
        raise ExportError(f"{out}: folder {out.parent} does not exist")
    with atomic_path(out) as tmp:
        writer(df, tmp)
    return out


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [
        c
        for c in df.columns
        if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])
    ]


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    safe = df.copy()
    for col in _text_columns(safe):
        safe[col] = safe[col].map(neutralize, na_action="ignore")
    # utf-8-sig: the BOM makes Excel read the file as UTF-8 (accents, Greek, Polish...).
    safe.to_csv(
        path,
        index=False,
        encoding="utf-8-sig",
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    # Raw values on purpose: Parquet is read by analysis tools, never executed.
    df.to_parquet(path, engine="pyarrow", index=False)


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store, with formulas neutralized and bad characters removed."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        # Excel has no time zones: store UTC wall time.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return value
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, list | tuple | dict | set):
        value = ", ".join(map(str, value)) if not isinstance(value, dict) else str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        value = neutralize(value)
        if len(value) > _XLSX_MAX_CELL:
            value = value[: _XLSX_MAX_CELL - 1] + "…"
    return value


def _safe_link(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)

    if "lead_type" in df.columns and len(df):
        present = [str(t) for t in df["lead_type"].dropna().unique()]
        types = [t for t in LEAD_TYPES if t in present]
        types += sorted(t for t in present if t not in LEAD_TYPES)
        groups = [(t, df[df["lead_type"] == t]) for t in types]
    else:
        groups = [("leads", df)]

    bold = Font(bold=True)
    columns = [str(c) for c in df.columns]

    def fill(ws: Worksheet, part: pd.DataFrame) -> None:
        for j, name in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j, value=neutralize(name))
            cell.font = bold
            cell.data_type = "s"
        widths = [len(c) for c in columns]
        for i, row in enumerate(part.itertuples(index=False, name=None), start=2):
            for j, raw in enumerate(row, start=1):
                value = _cell_value(raw)
                cell = ws.cell(row=i, column=j, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
                    if columns[j - 1] == "url":
                        link = _safe_link(raw)
                        if link is not None:
                            cell.hyperlink = link
                            cell.style = "Hyperlink"
                    if columns[j - 1] == "reasons":
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                if value is not None:
                    widths[j - 1] = max(widths[j - 1], len(str(value)))
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{len(part) + 1}"

    for title, part in groups:
        fill(wb.create_sheet(title=_sheet_title(title)), part)
    _readme_sheet(wb.create_sheet(title="README"), columns, bold)
    wb.active = 0
    wb.save(path)


def _sheet_title(name: str) -> str:
    # Excel forbids []:*?/\ in sheet names and allows 31 characters.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name).strip("'")
    return (cleaned or "leads")[:31]


def _readme_sheet(ws: Any, columns: list[str], bold: Any) -> None:
    from openpyxl.styles import Alignment

    lines: list[tuple[str, str]] = [
        ("eci-scout lead list", ""),
        (
            "How to read it",
            "One sheet per lead type, best lead first (rank 1). The score is a weighted "
            "sum of the components (reach, centrality, role_fit, stance, activity, "
            "country_need), each between 0 and 1; the weights differ per lead type. "
            "The reasons column says in words where the numbers come from.",
        ),
        (
            "Safety",
            "Text cells that begin with = + - @, a tab or a carriage return start with an "
            "apostrophe (') so they are never run as spreadsheet formulas.",
        ),
        (
            "Data protection",
            "Ranked lists of named people are personal data (GDPR profiling). Share this "
            "file only with the campaign team, contact people personally and respectfully, "
            "and delete the file when the campaign no longer needs it.",
        ),
        ("", ""),
        ("Column", "Meaning"),
    ]
    lines += [(c, COLUMN_HELP.get(c, "")) for c in columns]
    for i, (key, text) in enumerate(lines, start=1):
        a = ws.cell(row=i, column=1, value=neutralize(key))
        b = ws.cell(row=i, column=2, value=neutralize(text))
        a.data_type = b.data_type = "s"
        b.alignment = Alignment(wrap_text=True, vertical="top")
        if i == 1 or key in ("Column", "How to read it", "Safety", "Data protection"):
            a.font = bold
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 100
