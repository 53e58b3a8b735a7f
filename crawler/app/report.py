"""The organizers' HTML report: who to contact first, country coverage, charts, method.

One self-contained file: no scripts at all, no web fonts, no CDN; charts are inline SVG
made by matplotlib (``Agg`` backend, text kept as SVG ``<text>`` that matplotlib
escapes). Every user-provided string (names, handles, reasons, URLs) goes through
Jinja2 autoescaping; a URL becomes a link only when its scheme is http or https. A
Content-Security-Policy meta tag forbids scripts and remote loads as a second fence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import pandas as pd

from crawler.app.charts import (
    Chart,
    chart_communities,
    chart_country_picture,
    chart_posts_per_day,
    chart_role_mix,
    chart_score_distribution,
)
from crawler.app.contacts import CONTACT_COLUMNS, lead_contacts
from crawler.app.summaries import country_coverage, report_leads, supporters_by_country
from crawler.core.config import Campaign
from crawler.core.files import atomic_write
from crawler.core.vocab import CLOSED_STATUSES, LEAD_TYPES, SCOPES
from crawler.db import readmodels
from crawler.db.store import Store

__all__ = [
    "Chart",
    "Weights",
    "build_report",
    "chart_score_distribution",
    "check_weights",
    "declared_weights",
    "fmt_int",
    "fmt_time",
    "reason_parts",
    "safe_href",
]

LEAD_TYPE_TITLES: dict[str, str] = {
    "volunteer": "Volunteers",
    "influencer": "Influencers",
    "intermediary": "Intermediaries",
    "sponsor": "Sponsors",
}
LEAD_TYPE_HELP: dict[str, str] = {
    "volunteer": "people in the campaign's online communities who spread the message "
    "and collect signatures",
    "influencer": "politicians, journalists, media and well-known people",
    "intermediary": "organizations that favour the idea: NGOs, unions, associations",
    "sponsor": "those who may fund or give in kind: foundations, companies",
}
# Numeric score components stored in `leads`; `stance` is stored as a word.
NUMERIC_COMPONENTS: tuple[str, ...] = (
    "reach",
    "centrality",
    "role_fit",
    "activity",
    "country_need",
)
COMPONENT_HELP: dict[str, str] = {
    "reach": "followers (log scale) blended with engagement received on campaign posts",
    "centrality": "distinct campaign supporters interacting with the account",
    "role_fit": "how well the role or organization type fits the lead type",
    "stance": "stance toward the campaign in its posts (supports 1, neutral 0.4)",
    "activity": "campaign posts, log-scaled, decaying with age",
    "country_need": "how far the account's country is from its signature threshold",
}
STANCE_VALUES: dict[str, float] = {"supports": 1.0, "neutral": 0.4, "opposes": 0.0}
COUNTRIES_NEEDED = 7  # Regulation (EU) 2019/788, Art. 3(1)(b)
COMMUNITIES_SHOWN = 10  # the largest communities get a table each
COMMUNITY_LEADS = 5  # best leads shown per community
REASONS_SHOWN = 3  # reasons shown in a lead table's row; the rest fold into <details>
WEIGHTS_TOLERANCE = 0.001  # scores are stored rounded to 4 decimals
TEMPLATE = "report.html.j2"


@dataclass
class Weights:
    """Score weights per lead type and how well they reproduce the stored scores."""

    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    max_error: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    source: str = "fitted"  # "crawler.app.ranking" when the ranking's own table was used


def _duration(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None:
        return None
    seconds = max(0, int((end - start).total_seconds()))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min" if hours else f"{m} min {s:02d} s"


def _last_run(store: Store, campaign: str) -> dict[str, Any] | None:
    run = readmodels.last_run(store, campaign)
    if run is not None:
        run["duration"] = _duration(run["started_at"], run["finished_at"])
    return run


def _component_matrix(leads: pd.DataFrame) -> pd.DataFrame:
    """The six components as numbers (stance from ``stance_score``, else from the word)."""
    cols = {c: pd.to_numeric(leads[c], errors="coerce") for c in NUMERIC_COMPONENTS}
    stance = leads["stance"].map(_stance_value)
    if "stance_score" in leads.columns:
        scored = pd.to_numeric(leads["stance_score"], errors="coerce")
        stance = scored.where(scored.notna(), stance)
    cols["stance"] = stance
    return pd.DataFrame(cols).astype(float)


def declared_weights() -> dict[str, dict[str, float]]:
    """The ranking's own weight table (``crawler.app.ranking.WEIGHTS``)."""
    from crawler.app.ranking import WEIGHTS

    return {str(t): {str(c): float(w) for c, w in ws.items()} for t, ws in WEIGHTS.items()}


def check_weights(leads: pd.DataFrame, table: dict[str, dict[str, float]]) -> Weights:
    """How exactly ``table`` reproduces the stored scores from the stored components."""
    out = Weights(source="crawler.app.ranking")
    x = _component_matrix(leads) if len(leads) else pd.DataFrame()
    for lead_type, weights in table.items():
        out.by_type[lead_type] = {c: round(w, 3) for c, w in weights.items()}
        if not len(leads):
            continue
        mask = (leads["lead_type"] == lead_type).to_numpy()
        part = x[mask]
        y = pd.to_numeric(leads.loc[mask, "score"], errors="coerce")
        predicted = sum(
            (part[c].fillna(0.0) * w for c, w in weights.items() if c in part.columns),
            start=pd.Series(0.0, index=part.index),
        )
        ok = y.notna()
        out.rows[lead_type] = int(ok.sum())
        if ok.any():
            out.max_error[lead_type] = float((predicted[ok] - y[ok]).abs().max())
    return out


def _stance_value(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        if value.lower() in STANCE_VALUES:
            return STANCE_VALUES[value.lower()]
        try:
            return float(value)
        except ValueError:
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- HTML


def safe_href(url: Any) -> str | None:
    """``url`` when it may be a link (http or https with a host), else None."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    try:
        parts = urlsplit(u)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return u
    return None


def fmt_int(value: Any) -> str:
    """A count with thousands separators; a dash for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{int(value):,}"


def fmt_time(value: Any) -> str:
    """A time as UTC; naive times come from SQL ``timezone('UTC', ...)`` and are UTC."""
    if value is None or value is pd.NaT:
        return "–"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["num"] = fmt_int
    env.filters["time"] = fmt_time
    env.filters["reasons"] = reason_parts
    return env


def reason_parts(text: Any) -> list[str]:
    """A lead's ``reasons`` (one string, parts joined by ``"; "``) as its parts; a
    ``"; "`` inside a quoted post stays in its part."""
    if not isinstance(text, str) or not text.strip():
        return []
    parts: list[str] = []
    current = ""
    for piece in text.split("; "):
        current = f"{current}; {piece}" if current else piece
        if current.count('"') % 2 == 0:  # not inside a quotation
            parts.append(current)
            current = ""
    if current:
        parts.append(current)
    return parts


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    clean = df.astype(object).where(df.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in clean.to_dict(orient="records")]


def leads_per_level(leads: pd.DataFrame) -> list[dict[str, Any]]:
    """Per level (local, regional, national, european, then unclear): leads per type."""
    scope = leads["scope"] if "scope" in leads.columns else pd.Series([None] * len(leads))
    out = []
    for level in (*SCOPES, None):
        mask = scope.isna() if level is None else scope == level
        per = {t: int((mask & (leads["lead_type"] == t)).sum()) for t in LEAD_TYPES}
        out.append({"level": level or "unclear", "leads": per, "total": sum(per.values())})
    return out


def _strings(values: Any) -> list[str]:
    """A DuckDB list cell (a list, an array or NULL) as a list of strings."""
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return []
    return [str(v) for v in values if v is not None]


def community_summaries(store: Store, campaign: str, leads: pd.DataFrame) -> list[dict[str, Any]]:
    """The largest communities of the campaign graph, each with its size, languages,
    countries, top hashtags, central members (handles), leads per type and its best
    leads of any type by score."""
    overview = store.community_overview(campaign)
    if overview.empty:
        return []
    members = store.lead_communities(campaign)[["account_id", "community"]].dropna()
    joined = leads.merge(members, on="account_id")
    out: list[dict[str, Any]] = []
    for row in overview.head(COMMUNITIES_SHOWN).to_dict("records"):
        part = joined[joined["community"] == row["community"]]
        part = part.sort_values(["score", "account_id"], ascending=[False, True])
        out.append(
            {
                "community": int(row["community"]),
                "size": int(row["size"]),
                "label": row["label"] if isinstance(row["label"], str) else None,
                "languages": _strings(row["languages"]),
                "countries": _strings(row["countries"]),
                "hashtags": _strings(row["top_hashtags"]),
                "central": _strings(row["central_handles"]),
                "leads": {t: int((part["lead_type"] == t).sum()) for t in LEAD_TYPES},
                "top_leads": _records(part.head(COMMUNITY_LEADS)),
            }
        )
    return out


def with_status(store: Store, campaign: str, leads: pd.DataFrame) -> pd.DataFrame:
    """``leads`` with the outreach ``status`` (``new`` when unmarked), ``owner``,
    ``status_at`` (when it last changed) and ``closed`` (status in CLOSED_STATUSES)."""
    marks = store.lead_statuses(campaign)[["account_id", "status", "owner", "updated_at"]]
    out = leads.merge(
        marks.rename(columns={"updated_at": "status_at"}), on="account_id", how="left"
    )
    out["status"] = out["status"].astype(object).where(out["status"].notna(), "new")
    out["closed"] = out["status"].isin(CLOSED_STATUSES)
    # how to reach each lead (website, public e-mail, form, messages, evidence posts)
    routes = lead_contacts(store, campaign)
    out = out.drop(columns=[c for c in CONTACT_COLUMNS if c in out.columns])
    out = out.merge(routes, on="account_id", how="left")
    for col in CONTACT_COLUMNS:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def build_report(
    store: Store,
    campaign: Campaign,
    out: Path,
    *,
    top_n: int = 15,
    now: datetime | None = None,
) -> Path:
    """Write the campaign's HTML report to ``out`` (atomically) and return the path."""
    out = Path(out)
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    now = now or datetime.now(UTC)
    name = campaign.name
    tags = list(campaign.campaign.hashtags)
    leads = with_status(store, name, report_leads(store, name))

    top: list[dict[str, Any]] = []
    for t in LEAD_TYPES:
        part = leads[leads["lead_type"] == t].sort_values(["rank", "account_id"])
        # closed leads (joined, declined, not relevant) leave this list for their own
        to_contact = part[~part["closed"]]
        top.append(
            {
                "type": t,
                "title": LEAD_TYPE_TITLES[t],
                "help": LEAD_TYPE_HELP[t],
                "total": len(to_contact),
                "closed": len(part) - len(to_contact),
                "rows": _records(to_contact.head(top_n)),
            }
        )
    closed = leads[leads["closed"]].sort_values(["status", "lead_type", "rank", "account_id"])

    supporters = supporters_by_country(store, name)
    rows = country_coverage(leads, supporters, campaign)
    unknown = {
        t: int(((leads["lead_type"] == t) & leads["country"].isna()).sum()) for t in LEAD_TYPES
    }
    with_leads = sum(1 for r in rows if r.total_leads)
    reached = sum(1 for r in rows if r.signatures is not None and not r.below_threshold)

    per_day = readmodels.campaign_posts_per_day(store, name, tags)
    communities = community_summaries(store, name, leads)
    charts = {
        "countries": chart_country_picture(rows),
        "posts": chart_posts_per_day(per_day),
        "scores": chart_score_distribution(leads),
        "roles": chart_role_mix(readmodels.role_mix(store, name, tags)),
        "communities": chart_communities(communities),
    }

    weights = check_weights(leads, declared_weights())
    forgotten = readmodels.forgotten_count(store)
    oldest = readmodels.oldest_post(store)
    context = {
        "campaign": campaign.campaign,
        "name": name,
        "privacy": campaign.privacy,
        "platforms": [
            p
            for p, section in (("Mastodon", campaign.mastodon), ("Bluesky", campaign.bluesky))
            if section is not None
        ],
        "generated": now,
        "run": _last_run(store, name),
        "totals": readmodels.campaign_post_totals(store, name, tags),
        "lead_counts": {t: int((leads["lead_type"] == t).sum()) for t in LEAD_TYPES},
        "levels": leads_per_level(leads),
        "communities": communities,
        "communities_total": len(store.community_overview(name)) if communities else 0,
        "top": top,
        "top_n": top_n,
        "closed": _records(closed.drop(columns=["closed"])),
        "rows": rows,
        "unknown": unknown,
        "unknown_total": sum(unknown.values()),
        "leads_total": len(leads),
        "with_leads": with_leads,
        "needed": COUNTRIES_NEEDED,
        "reached": reached,
        "reasons_shown": REASONS_SHOWN,
        "has_signatures": bool(campaign.campaign.signatures),
        "supporters_total": sum(supporters.values()),
        "charts": charts,
        "lead_types": LEAD_TYPES,
        "weights": weights,
        # stored scores that the ranking's weights do not reproduce: ranked by another version
        "weights_stale": [t for t, e in weights.max_error.items() if e > WEIGHTS_TOLERANCE],
        "components": COMPONENT_HELP,
        "forgotten": forgotten or 0,
        "oldest_post": oldest,
        "exclude_bots": campaign.privacy.exclude_bots_from_volunteers,
        "respect_opt_outs": campaign.privacy.respect_opt_outs,
    }
    html = _environment().get_template(TEMPLATE).render(**context)
    atomic_write(out, html)
    return out
