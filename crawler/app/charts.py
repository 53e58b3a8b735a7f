"""The report's charts: inline SVG made by matplotlib (``Agg`` backend).

Text stays SVG ``<text>`` that matplotlib escapes; a label taken from data is plain text
(``$`` escaped so it is never mathtext). Every chart function returns a :class:`Chart`
whose ``svg`` is None (with a caption saying why) when there is nothing to draw.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from crawler.app.summaries import CountryRow
from crawler.core.vocab import LEAD_TYPES

TYPE_COLORS: dict[str, str] = {
    "volunteer": "#2a9d8f",
    "influencer": "#e76f51",
    "intermediary": "#264653",
    "sponsor": "#e9c46a",
}


@dataclass
class Chart:
    title: str
    svg: Markup | None
    caption: str = ""


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


SIGNATURE_CAP = 1.5  # signatures beyond 150 % of the threshold are drawn at 150 %


def country_order(rows: Sequence[CountryRow]) -> list[CountryRow]:
    """Member states as the workspace's dashboard lists them: target countries first,
    most leads first, then by name."""
    return sorted(rows, key=lambda r: (not r.target, -r.total_leads, r.name))


def _write_thresholds(ax: Any, ordered: Sequence[CountryRow]) -> None:
    """Each country's threshold (signatures needed) written just right of ``ax``."""
    style = {"fontsize": 8, "color": "#4d5566", "transform": ax.get_yaxis_transform()}
    ax.text(1.02, -1.2, "needs", **style)
    for i, r in enumerate(ordered):
        ax.text(1.02, i, f"{r.threshold:,}", va="center", **style)


def chart_country_picture(rows: Sequence[CountryRow]) -> Chart:
    """Per member state: leads found by type with the supporters found (left), and the
    signatures given against the ECI threshold with the threshold marked (right).

    Only member states appear: leads of unknown country are the report's own figure,
    never a bar here (they would dwarf every country)."""
    title = "Country picture: leads and supporters found, signatures against threshold"
    ordered = country_order(rows)
    if not any(r.total_leads or r.supporters or r.signatures for r in ordered):
        return Chart(title, None, "No leads, supporters or signatures in any member state yet.")
    signed = any(r.signatures is not None for r in ordered)
    with _mpl() as plt:
        # narrow on purpose: drawn at its own width, it stays legible on a phone
        fig, axes = plt.subplots(
            1,
            2 if signed else 1,
            sharey=True,
            squeeze=False,
            figsize=(5.6 if signed else 4.6, 0.2 * len(ordered) + 1.3),
            width_ratios=(3, 2) if signed else None,
            layout="constrained",
        )
        left = axes[0][0]
        y = np.arange(len(ordered))
        start = np.zeros(len(ordered))
        for t in LEAD_TYPES:
            values = np.array([r.leads[t] for r in ordered], dtype=float)
            left.barh(y, values, left=start, color=TYPE_COLORS[t], label=t, height=0.7)
            start += values
        supporters = np.array([r.supporters for r in ordered], dtype=float)
        left.scatter(supporters, y, marker="D", s=10, color="#1d2433", label="supporters", zorder=3)
        left.set_yticks(y, [r.code for r in ordered])
        for tick, r in zip(left.get_yticklabels(), ordered, strict=True):
            if r.target:
                tick.set_fontweight("bold")
        left.invert_yaxis()
        left.set_xlabel("leads / supporters found")
        left.legend(frameon=False, loc="lower right", fontsize=8)
        left.margins(x=0.02)
        if not signed:
            _write_thresholds(left, ordered)
            return Chart(
                title.replace(", signatures against threshold", ""),
                _svg(fig),
                "Bold codes are the campaign's target countries; beside each bar the "
                "signatures its threshold needs. No signature counts are given in the "
                "campaign file yet.",
            )
        right = axes[0][1]
        share = np.array(
            [min(r.share, SIGNATURE_CAP) if r.share is not None else 0.0 for r in ordered]
        )
        reached = [r.share is not None and r.share >= 1 for r in ordered]
        colors = ["#2a9d8f" if ok else "#f4a261" for ok in reached]
        right.barh(y, share * 100, color=colors, height=0.7)
        # the threshold mark of each country, with the signatures it needs
        right.scatter(np.full(len(ordered), 100.0), y, marker="|", s=60, color="#1d2433", zorder=3)
        _write_thresholds(right, ordered)
        right.set_xlim(0, 100 * SIGNATURE_CAP + 5)
        right.set_xticks([0, 50, 100, 150], ["0", "50", "100 %", "150"])
        right.set_xlabel("signatures / threshold")
        right.tick_params(axis="y", length=0)
        return Chart(
            title,
            _svg(fig),
            "Bold codes are the campaign's target countries. Right: | marks each country's "
            "threshold (signatures needed, written beside it); green bars have reached it.",
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


def chart_communities(communities: Sequence[dict[str, Any]]) -> Chart:
    """Community sizes, largest first, with leads per type in each (``leads`` per row)."""
    title = "Communities around the campaign: members and leads"
    if not communities:
        return Chart(title, None, "No communities yet: the campaign graph is too small.")
    rows = list(communities)[:12][::-1]
    with _mpl() as plt:
        fig, ax = plt.subplots(figsize=(10, 0.35 * len(rows) + 1.0), layout="constrained")
        labels = [_label(f"{r['community']}: {r['label'] or '(no label)'}", 40) for r in rows]
        ax.barh(labels, [r["size"] for r in rows], color="#d9dee7", label="members")
        left = np.zeros(len(rows))
        for t in LEAD_TYPES:
            values = np.array([r["leads"].get(t, 0) for r in rows], dtype=float)
            if values.sum():
                ax.barh(labels, values, left=left, color=TYPE_COLORS[t], label=f"{t} leads")
                left += values
        ax.set_xlabel("accounts")
        ax.legend(frameon=False, loc="lower right")
        return Chart(
            title,
            _svg(fig),
            "Grey: members of the community in the campaign graph; colours: its leads.",
        )
