"""The organizers' HTML report: who to contact first, country coverage, charts, method.

One self-contained file: no scripts at all, no web fonts, no CDN; charts are inline SVG
made by matplotlib (``Agg`` backend, text kept as SVG ``<text>`` that matplotlib
escapes). Every user-provided string (names, handles, reasons, URLs) goes through
Jinja2 autoescaping; a URL becomes a link only when its scheme is http or https. A
Content-Security-Policy meta tag forbids scripts and remote loads as a second fence.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import duckdb
import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from crawler.app.export import LEAD_TYPES, file_mode
from crawler.core.config import Campaign
from crawler.core.vocab import EU_COUNTRIES, MEP_SEATS, threshold

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
TYPE_COLORS: dict[str, str] = {
    "volunteer": "#2a9d8f",
    "influencer": "#e76f51",
    "intermediary": "#264653",
    "sponsor": "#e9c46a",
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
COUNTRY_NAMES: dict[str, str] = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CY": "Cyprus", "CZ": "Czechia",
    "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GR": "Greece", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland",
    "IT": "Italy", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta",
    "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
    "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia",
}  # fmt: skip
COUNTRIES_NEEDED = 7  # Regulation (EU) 2019/788, Art. 3(1)(b)
TEMPLATE = "report.html.j2"


@dataclass
class Chart:
    title: str
    svg: Markup | None
    caption: str = ""


@dataclass
class CountryRow:
    code: str
    name: str
    seats: int
    threshold: int
    signatures: int | None
    leads: dict[str, int]
    supporters: int
    target: bool

    @property
    def total_leads(self) -> int:
        return sum(self.leads.values())

    @property
    def below_threshold(self) -> bool:
        return self.signatures is not None and self.signatures < self.threshold

    @property
    def share(self) -> float | None:
        return None if self.signatures is None else self.signatures / self.threshold


@dataclass
class Weights:
    """Score weights per lead type and how well they reproduce the stored scores."""

    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    max_error: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    source: str = "fitted"  # "crawler.app.ranking" when the ranking's own table was used


# --------------------------------------------------------------------------- data


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    # fetchall, not fetchone: never leave an unfinished result on the caller's connection
    rows = con.execute(sql, list(params)).fetchall()
    return rows[0][0] if rows else None


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    ).fetchall()
    return {r[0] for r in rows}


def _leads(con: duckdb.DuckDBPyConnection, campaign: str) -> pd.DataFrame:
    df = con.execute(
        'SELECT * FROM leads WHERE campaign = ? ORDER BY lead_type, "rank", account_id',
        [campaign],
    ).df()
    country = df["country"].astype("object").where(df["country"].notna(), None)
    df["country"] = country.map(lambda c: None if c is None else _cc(str(c)))
    return df


def _cc(code: str) -> str:
    c = code.strip().upper()
    return "GR" if c == "EL" else c


def _last_run(con: duckdb.DuckDBPyConnection, campaign: str) -> dict[str, Any] | None:
    cur = con.execute(
        """
        SELECT run_id, timezone('UTC', started_at) AS started_at,
               timezone('UTC', finished_at) AS finished_at,
               status, posts_new, accounts_new, errors,
               count(*) OVER () AS runs_total
        FROM runs WHERE campaign = ?
        ORDER BY started_at DESC NULLS LAST, run_id DESC
        LIMIT 1
        """,
        [campaign],
    )
    rows = cur.fetchall()
    if not rows:
        return None
    row = rows[0]
    names = [d[0] for d in cur.description or []]
    run = dict(zip(names, row, strict=True))
    start, end = run["started_at"], run["finished_at"]
    run["duration"] = _duration(start, end)
    return run


def _duration(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None:
        return None
    seconds = max(0, int((end - start).total_seconds()))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min" if hours else f"{m} min {s:02d} s"


# The campaign's posts, in each query below: recorded in campaign_posts, or carrying one of
# its hashtags (so a database whose campaign_posts table is not filled yet still reports).


def _posts_per_day(con: duckdb.DuckDBPyConnection, campaign: Campaign) -> pd.DataFrame:
    return con.execute(
        """
        SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, platform, count(*) AS posts
        FROM (SELECT p.* FROM posts p
              WHERE p.post_id IN (SELECT post_id FROM campaign_posts WHERE campaign = $campaign)
                 OR list_has_any(coalesce(p.hashtags, []::VARCHAR[]), $tags)) cp
        WHERE created_at IS NOT NULL
        GROUP BY ALL ORDER BY day, platform
        """,
        {"campaign": campaign.name, "tags": list(campaign.campaign.hashtags)},
    ).df()


def _post_totals(con: duckdb.DuckDBPyConnection, campaign: Campaign) -> dict[str, Any]:
    rows = con.execute(
        """
        SELECT count(*), count(DISTINCT account_id), timezone('UTC', min(created_at)),
               timezone('UTC', max(created_at))
        FROM (SELECT p.* FROM posts p
              WHERE p.post_id IN (SELECT post_id FROM campaign_posts WHERE campaign = $campaign)
                 OR list_has_any(coalesce(p.hashtags, []::VARCHAR[]), $tags)) cp
        """,
        {"campaign": campaign.name, "tags": list(campaign.campaign.hashtags)},
    ).fetchall()
    posts, authors, first, last = rows[0] if rows else (0, 0, None, None)
    return {"posts": posts, "authors": authors, "first": first, "last": last}


def _role_mix(con: duckdb.DuckDBPyConnection, campaign: Campaign) -> pd.DataFrame:
    """Roles of the classified accounts around the campaign (authors and leads)."""
    params = {"campaign": campaign.name, "tags": list(campaign.campaign.hashtags)}
    df = con.execute(
        """
        WITH around AS (
            SELECT account_id FROM (SELECT p.* FROM posts p
              WHERE p.post_id IN (SELECT post_id FROM campaign_posts WHERE campaign = $campaign)
                 OR list_has_any(coalesce(p.hashtags, []::VARCHAR[]), $tags)) cp
            UNION SELECT account_id FROM leads WHERE campaign = $campaign
            UNION SELECT account_id FROM account_campaign WHERE campaign = $campaign
        )
        SELECT CASE WHEN a.role = 'organization'
                    THEN 'organization: ' || coalesce(a.org_type, 'other')
                    ELSE a.role END AS role,
               count(*) AS accounts,
               count(*) FILTER (WHERE a.is_bot) AS bots
        FROM accounts a JOIN around USING (account_id)
        WHERE a.role IS NOT NULL
        GROUP BY ALL ORDER BY accounts DESC, role
        """,
        params,
    ).df()
    return df


def _supporters_by_country(con: duckdb.DuckDBPyConnection, campaign: str) -> dict[str, int]:
    rows = con.execute(
        """
        SELECT upper(a.country) AS cc, count(DISTINCT a.account_id)
        FROM account_campaign ac JOIN accounts a USING (account_id)
        WHERE ac.campaign = ? AND ac.stance = 'supports' AND a.country IS NOT NULL
        GROUP BY ALL
        """,
        [campaign],
    ).fetchall()
    out: dict[str, int] = {}
    for cc, n in rows:
        out[_cc(cc)] = out.get(_cc(cc), 0) + int(n)
    return out


def _coverage(
    leads: pd.DataFrame, supporters: dict[str, int], campaign: Campaign
) -> list[CountryRow]:
    counts: dict[tuple[str, str], int] = {}
    if len(leads):
        pairs = pd.DataFrame({"cc": leads["country"], "t": leads["lead_type"]})
        for key, n in pairs.value_counts().items():
            country, lead_type = cast(tuple[Any, Any], key)
            counts[(str(country), str(lead_type))] = int(n)
    given = campaign.campaign.signatures
    targets = set(campaign.campaign.countries)
    rows = []
    for code in EU_COUNTRIES:
        rows.append(
            CountryRow(
                code=code,
                name=COUNTRY_NAMES.get(code, code),
                seats=MEP_SEATS[code],
                threshold=threshold(code),
                signatures=given.get(code),
                leads={t: counts.get((code, t), 0) for t in LEAD_TYPES},
                supporters=supporters.get(code, 0),
                target=code in targets,
            )
        )
    return rows


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


# --------------------------------------------------------------------------- charts


def _label(text: Any, width: int = 28) -> str:
    """A chart label from data: plain text (no mathtext), clipped."""
    s = "" if text is None else str(text)
    s = " ".join(s.split())
    if len(s) > width:
        s = s[: width - 1] + "…"
    # matplotlib reads $...$ as mathtext; a handle must stay literal text
    return s.replace("$", r"\$")


_chart_ids = itertools.count(1)


def _svg(fig: Any) -> Markup:
    """The figure as an inline ``<svg>`` element (no XML header, no doctype)."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    try:
        fig.savefig(buf, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = buf.getvalue()
    start = text.find("<svg")
    svg = text[start:] if start >= 0 else text
    # Belt and braces: matplotlib writes no scripts, and the report must carry none.
    if "<script" in svg.lower():
        raise ValueError("chart SVG unexpectedly contains a script element")
    return Markup(svg)  # produced by matplotlib, which escapes all text


@contextmanager
def _mpl() -> Iterator[Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rc: dict[str, Any] = {
        "svg.fonttype": "none",  # text as <text>: small, searchable, escaped by matplotlib
        "svg.hashsalt": f"eci-scout-{next(_chart_ids)}",  # ids unique across charts
        "font.family": ["DejaVu Sans", "sans-serif"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "text.usetex": False,
    }
    with plt.rc_context(rc):  # type: ignore[arg-type]
        yield plt


def chart_leads_per_country(rows: list[CountryRow], unknown: dict[str, int]) -> Chart:
    title = "Leads per country, by type"
    codes = [r.code for r in rows]
    data = {t: [r.leads[t] for r in rows] for t in LEAD_TYPES}
    if any(unknown.values()):
        codes.append("?")
        for t in LEAD_TYPES:
            data[t].append(unknown.get(t, 0))
    if not any(sum(v) for v in data.values()):
        return Chart(title, None, "No leads yet.")
    with _mpl() as plt:
        fig, ax = plt.subplots(figsize=(10, 3.6), layout="constrained")
        bottom = np.zeros(len(codes))
        for t in LEAD_TYPES:
            values = np.array(data[t], dtype=float)
            ax.bar(codes, values, bottom=bottom, label=t, color=TYPE_COLORS[t], width=0.75)
            bottom += values
        for i, r in enumerate(rows):
            if r.target:
                ax.get_xticklabels()[i].set_fontweight("bold")
        ax.set_ylabel("leads")
        ax.legend(ncols=4, frameon=False, loc="upper right")
        ax.margins(x=0.01)
        return Chart(
            title,
            _svg(fig),
            "Bold codes are the campaign's target countries; ? = country unknown.",
        )


def chart_posts_per_day(per_day: pd.DataFrame) -> Chart:
    title = "Campaign posts per day, by platform"
    if not len(per_day):
        return Chart(title, None, "No campaign posts yet.")
    with _mpl() as plt:
        import matplotlib.dates as mdates

        fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
        wide = per_day.pivot_table(
            index="day", columns="platform", values="posts", aggfunc="sum", fill_value=0
        )
        wide.index = pd.to_datetime(wide.index)
        full = pd.date_range(wide.index.min(), wide.index.max(), freq="D")
        wide = wide.reindex(full, fill_value=0)
        colors = {"mastodon": "#6364ff", "bluesky": "#1185fe"}
        for platform in wide.columns:
            ax.plot(
                wide.index,
                wide[platform].to_numpy(),
                label=_label(platform),
                color=colors.get(str(platform)),
                marker="o" if len(wide) < 20 else None,
                markersize=3,
                linewidth=1.5,
            )
        ax.set_ylabel("posts")
        ax.set_ylim(bottom=0)
        locator = mdates.AutoDateLocator(maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.legend(frameon=False)
        return Chart(title, _svg(fig), "Days in UTC.")


def chart_score_distribution(leads: pd.DataFrame) -> Chart:
    title = "Score distribution per lead type"
    types = [t for t in LEAD_TYPES if len(leads) and (leads["lead_type"] == t).any()]
    if not types:
        return Chart(title, None, "No leads yet.")
    with _mpl() as plt:
        fig, ax = plt.subplots(figsize=(10, 3.4), layout="constrained")
        series = [
            pd.to_numeric(leads.loc[leads["lead_type"] == t, "score"], errors="coerce")
            .dropna()
            .to_numpy()
            for t in types
        ]
        box = ax.boxplot(
            series, orientation="horizontal", widths=0.5, patch_artist=True, showfliers=False
        )
        for patch, t in zip(box["boxes"], types, strict=True):
            patch.set_facecolor(TYPE_COLORS[t])
            patch.set_alpha(0.35)
        rng = np.random.default_rng(7)  # fixed jitter: the same data gives the same chart
        for i, (t, values) in enumerate(zip(types, series, strict=True), start=1):
            ys = i + rng.uniform(-0.15, 0.15, size=len(values))
            ax.scatter(values, ys, s=8, color=TYPE_COLORS[t], alpha=0.8, zorder=3)
            part = leads[leads["lead_type"] == t].sort_values("rank")
            if len(part):
                top = part.iloc[0]
                ax.annotate(
                    _label(f"#1 {top['handle']}", 40),
                    xy=(float(top["score"]), i),
                    xytext=(4, 8),
                    textcoords="offset points",
                    fontsize=8,
                )
        ax.set_yticks(
            range(1, len(types) + 1),
            [f"{t} ({len(s)})" for t, s in zip(types, series, strict=True)],
        )
        ax.set_xlabel("score (0-1)")
        ax.set_xlim(0, 1.05)
        return Chart(title, _svg(fig), "Each dot is a lead; the top lead of each type is named.")


def chart_role_mix(roles: pd.DataFrame) -> Chart:
    title = "Role mix of classified accounts around the campaign"
    if not len(roles):
        return Chart(title, None, "No classified accounts yet.")
    roles = roles.head(15).iloc[::-1]
    with _mpl() as plt:
        fig, ax = plt.subplots(figsize=(10, 0.3 * len(roles) + 1.0), layout="constrained")
        labels = [_label(r) for r in roles["role"]]
        humans = (roles["accounts"] - roles["bots"]).to_numpy()
        bots = roles["bots"].to_numpy()
        ax.barh(labels, humans, color="#457b9d", label="accounts")
        if bots.sum():
            ax.barh(labels, bots, left=humans, color="#adb5bd", label="of which bots")
            ax.legend(frameon=False, loc="lower right")
        for y, total in enumerate(roles["accounts"].to_numpy()):
            ax.text(float(total), y, f" {int(total)}", va="center", fontsize=8)
        ax.set_xlabel("accounts")
        return Chart(title, _svg(fig), "Authors of campaign posts and ranked leads.")


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


def _fmt_int(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{int(value):,}"


def _fmt_time(value: Any) -> str:
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
    env.filters["num"] = _fmt_int
    env.filters["time"] = _fmt_time
    return env


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    clean = df.astype(object).where(df.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in clean.to_dict(orient="records")]


def build_report(
    con: duckdb.DuckDBPyConnection,
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
    tables = _tables(con)
    leads = _leads(con, name)

    top: list[dict[str, Any]] = []
    for t in LEAD_TYPES:
        part = leads[leads["lead_type"] == t].sort_values(["rank", "account_id"])
        top.append(
            {
                "type": t,
                "title": LEAD_TYPE_TITLES[t],
                "help": LEAD_TYPE_HELP[t],
                "total": len(part),
                "rows": _records(part.head(top_n)),
            }
        )

    supporters = _supporters_by_country(con, name)
    rows = _coverage(leads, supporters, campaign)
    unknown = {
        t: int(((leads["lead_type"] == t) & leads["country"].isna()).sum()) for t in LEAD_TYPES
    }
    with_leads = sum(1 for r in rows if r.total_leads)
    reached = sum(1 for r in rows if r.signatures is not None and not r.below_threshold)

    per_day = _posts_per_day(con, campaign)
    charts = [
        chart_leads_per_country(rows, unknown),
        chart_posts_per_day(per_day),
        chart_score_distribution(leads),
        chart_role_mix(_role_mix(con, campaign)),
    ]

    weights = check_weights(leads, declared_weights())
    forgotten = _one(con, "SELECT count(*) FROM forgotten") if "forgotten" in tables else 0
    oldest = _one(con, "SELECT timezone('UTC', min(created_at)) FROM posts")
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
        "run": _last_run(con, name),
        "totals": _post_totals(con, campaign),
        "lead_counts": {t: int((leads["lead_type"] == t).sum()) for t in LEAD_TYPES},
        "top": top,
        "top_n": top_n,
        "rows": rows,
        "unknown": unknown,
        "with_leads": with_leads,
        "needed": COUNTRIES_NEEDED,
        "reached": reached,
        "has_signatures": bool(campaign.campaign.signatures),
        "supporters_total": sum(supporters.values()),
        "charts": charts,
        "lead_types": LEAD_TYPES,
        "weights": weights,
        "components": COMPONENT_HELP,
        "forgotten": forgotten or 0,
        "oldest_post": oldest,
        "exclude_bots": campaign.privacy.exclude_bots_from_volunteers,
        "respect_opt_outs": campaign.privacy.respect_opt_outs,
    }
    html = _environment().get_template(TEMPLATE).render(**context)
    _write_atomic(out, html)
    return out


def _write_atomic(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(name, file_mode(out))  # mkstemp makes 0600; give the file ordinary rights
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
