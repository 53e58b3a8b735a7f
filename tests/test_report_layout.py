"""The report's structure for organizers: the country picture first (threshold marks, the
7-country rule, unknown countries apart), compact reasons in the lead tables after it,
and no figure an organizer cannot act on (the weights table has no error column)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from crawler.app.charts import chart_country_picture, country_order
from crawler.app.report import REASONS_SHOWN, build_report, reason_parts
from crawler.app.summaries import country_coverage, report_leads, supporters_by_country
from crawler.core.vocab import EU_COUNTRIES, LEAD_TYPES
from crawler.db.store import Store
from tests.support.leads import CAMPAIGN, NOW, build_store, make_campaign

SIGNED = {"DE": 70_000, "FR": 12_000, "MT": 4_000}


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with build_store() as s:
        yield s


@pytest.fixture(scope="module")
def signed(store: Store, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of a campaign that gave signature counts."""
    out = tmp_path_factory.mktemp("signed") / "report.html"
    return build_report(store, make_campaign(signatures=SIGNED), out, now=NOW).read_text("utf-8")


@pytest.fixture(scope="module")
def unsigned(store: Store, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of a campaign without signature counts (the demo's case)."""
    out = tmp_path_factory.mktemp("unsigned") / "report.html"
    return build_report(store, make_campaign(), out, now=NOW).read_text("utf-8")


def section(page: str, anchor: str) -> str:
    match = re.search(rf'<section id="{anchor}">(.*?)</section>', page, re.S)
    assert match, f"no section {anchor}"
    return match.group(1)


def country_chart(page: str) -> str:
    match = re.search(r'<figure id="country-chart">(.*?)</figure>', page, re.S)
    assert match and "<svg" in match.group(1)
    return match.group(1)


def svg_texts(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_country_picture_comes_before_the_lead_tables(signed: str) -> None:
    order = [
        signed.index(f'<section id="{anchor}">')
        for anchor in ("coverage", "contact-first", "levels", "communities", "activity", "method")
    ]
    assert order == sorted(order)
    coverage = section(signed, "coverage")
    assert '<figure id="country-chart">' in coverage and 'class="countries"' in coverage
    # the country chart is the page's first chart; lead tables carry none
    assert signed.index("<svg") > signed.index('<section id="coverage">')
    assert signed.index("<svg") < signed.index('<section id="contact-first">')
    assert "<svg" not in section(signed, "contact-first")


def test_seven_country_rule_counts_leads_and_thresholds(store: Store, signed: str) -> None:
    rule = re.search(r'<div class="rule" id="seven-country-rule">(.*?)\n  </div>', signed, re.S)
    assert rule
    leads = report_leads(store, CAMPAIGN)
    with_leads = leads["country"].dropna().nunique()
    lines = re.findall(r"<div>(.*?)</div>", rule.group(1), re.S)
    assert len(lines) == 2
    # countries with leads: every pip filled once 7 are reached, the surplus said in words
    assert f"<b>{with_leads}</b> countries with leads" in lines[0]
    assert lines[0].count('class="pip on"') == min(with_leads, 7)
    assert len(re.findall(r'class="pip( on)?"', lines[0])) == 7
    if with_leads > 7:
        assert f"{with_leads - 7} to spare" in lines[0]
    # thresholds: only DE's 70,000 reach its 69,120 (FR 12,000 of 58,320, MT 4,000 of 4,320)
    assert "<b>1</b> countries at their threshold" in lines[1]
    assert lines[1].count('class="pip on"') == 1
    assert 'aria-label="1 countries at their threshold; 7 needed"' in lines[1]


def test_unknown_country_is_a_figure_apart_never_a_bar(store: Store, signed: str) -> None:
    leads = report_leads(store, CAMPAIGN)
    unknown = leads[leads["country"].isna()]
    assert len(unknown) > 0, "the fixture has leads of unknown country"
    coverage = section(signed, "coverage")
    note = re.search(r'<p class="unknown" id="unknown-country">(.*?)</p>', coverage, re.S)
    assert note
    assert f"<b>{len(unknown)}</b>" in note.group(1)
    assert f"({100 * len(unknown) / len(leads):.0f} % of all {len(leads)} leads)" in note.group(1)
    for t in LEAD_TYPES:
        assert f"{t} {int((unknown['lead_type'] == t).sum())}" in note.group(1)
    # the chart has one row per member state and nothing else: no "?" bar
    labels = svg_texts(country_chart(signed))
    assert "?" not in labels and "unknown" not in " ".join(labels).lower()
    codes = [t for t in labels if re.fullmatch(r"[A-Z]{2}", t)]
    assert sorted(codes) == sorted(EU_COUNTRIES)


def test_country_chart_marks_each_threshold(store: Store, signed: str, unsigned: str) -> None:
    campaign = make_campaign(signatures=SIGNED)
    rows = country_coverage(
        report_leads(store, CAMPAIGN), supporters_by_country(store, CAMPAIGN), campaign
    )
    ordered = country_order(rows)
    # targets first, most leads first: the dashboard's order
    assert [r.target for r in ordered] == sorted((r.target for r in ordered), reverse=True)
    targets = [r.total_leads for r in ordered if r.target]
    assert targets == sorted(targets, reverse=True)
    for page in (signed, unsigned):
        labels = svg_texts(country_chart(page))
        # each member state's threshold is written beside its row, in the chart's order
        assert [t for t in labels if re.fullmatch(r"[\d,]+", t) and "," in t] == [
            f"{r.threshold:,}" for r in ordered
        ]
        codes = [t for t in labels if re.fullmatch(r"[A-Z]{2}", t)]
        assert codes == [r.code for r in ordered]
    assert "signatures / threshold" in svg_texts(country_chart(signed))
    assert "green bars have reached it" in country_chart(signed)
    # without signature counts the chart says so instead of drawing empty bars
    assert "signatures / threshold" not in svg_texts(country_chart(unsigned))
    assert "No signature counts are given" in country_chart(unsigned)
    header = '<th>Signatures <span class="muted">/ threshold</span></th>'
    assert header in signed and header not in unsigned
    assert "signature counts not given" in section(unsigned, "coverage")


def test_country_chart_of_nothing_says_so() -> None:
    # no leads, no supporters, no signatures: no chart, a caption saying why
    rows = country_coverage(pd.DataFrame({"country": [], "lead_type": []}), {}, make_campaign())
    chart = chart_country_picture(rows)
    assert chart.svg is None and "No leads" in chart.caption


def test_weights_table_has_no_error_column(signed: str) -> None:
    method = section(signed, "method")
    header = re.search(r'<table class="weights">\s*<thead><tr>(.*?)</tr>', method, re.S)
    assert header
    assert re.findall(r"<th[^>]*>([^<]*)</th>", header.group(1)) == [
        "Lead type",
        "reach",
        "centrality",
        "role_fit",
        "stance",
        "activity",
        "country_need",
    ]
    assert "max error" not in signed.lower() and "least squares" not in signed


def test_scores_off_the_weights_raise_a_warning(tmp_path: Path) -> None:
    with build_store() as s:
        s.con.execute(
            "UPDATE leads SET score = score * 0.5 WHERE campaign = ? AND lead_type = 'sponsor'",
            [CAMPAIGN],
        )
        page = build_report(s, make_campaign(), tmp_path / "r.html", now=NOW).read_text("utf-8")
    warning = re.search(r'<p class="warning" id="weights-stale">(.*?)</p>', page, re.S)
    assert warning
    assert "sponsor leads" in warning.group(1) and "volunteer" not in warning.group(1)
    assert "<code>scout rank</code>" in warning.group(1)


def test_reason_parts_keep_quoted_posts_whole() -> None:
    text = (
        "individual in DE; 3 campaign posts, last 2026-11-15; "
        'supports the campaign: "Luft; Leben; Zukunft" (https://x.example/p/1); '
        "DE is a target country"
    )
    assert reason_parts(text) == [
        "individual in DE",
        "3 campaign posts, last 2026-11-15",
        'supports the campaign: "Luft; Leben; Zukunft" (https://x.example/p/1)',
        "DE is a target country",
    ]
    assert reason_parts("one reason") == ["one reason"]
    assert reason_parts('a quote "never closed; still shown') == [
        'a quote "never closed; still shown'
    ]
    for empty in (None, "", "  ", float("nan")):
        assert reason_parts(empty) == []


def test_long_reasons_fold_into_details(tmp_path: Path) -> None:
    many = [f"reason number {i} <b>" for i in range(1, 10)]
    with build_store() as s:
        s.con.execute(
            "UPDATE leads SET reasons = ? WHERE campaign = ? AND lead_type = 'sponsor' "
            "AND rank = 1",
            ["; ".join(many), CAMPAIGN],
        )
        s.con.execute(
            "UPDATE leads SET reasons = 'company in DE; few reasons here' WHERE campaign = ? "
            "AND lead_type = 'sponsor' AND rank = 2",
            [CAMPAIGN],
        )
        page = build_report(s, make_campaign(), tmp_path / "r.html", now=NOW).read_text("utf-8")
    part = section(page, "contact-first")
    cell = re.search(r'<td class="reasons"><ul class="why">(?:(?!</td>).)*reason number 1 .*?</td>',
                     part, re.S)  # fmt: skip
    assert cell
    shown, _, folded = cell.group(0).partition("<details>")
    assert re.findall(r"<li>(.*?)</li>", shown) == [str(escape(r)) for r in many[:REASONS_SHOWN]]
    assert f"<summary>{len(many) - REASONS_SHOWN} more</summary>" in folded
    assert re.findall(r"<li>(.*?)</li>", folded) == [str(escape(r)) for r in many[REASONS_SHOWN:]]
    assert "<b>" not in part.replace("<b>Who", "")  # escaped, never markup
    # a lead with few reasons gets no <details> at all
    few = re.search(r'<td class="reasons">((?:(?!</td>).)*few reasons here.*?)</td>', part, re.S)
    assert few and "<details>" not in few.group(1)
    assert re.findall(r"<li>(.*?)</li>", few.group(1)) == ["company in DE", "few reasons here"]
