"""The HTML report: sections, inline SVG charts, escaping, weights read back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from markupsafe import escape

from crawler.app.ranking import WEIGHTS
from crawler.app.report import (
    build_report,
    chart_score_distribution,
    check_weights,
    declared_weights,
    reason_parts,
    safe_href,
)
from crawler.db.store import Store
from tests.support.leads import (
    CAMPAIGN,
    HOSTILE_HANDLE,
    HOSTILE_NAME,
    NOW,
    build_store,
    make_campaign,
)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with build_store() as s:
        yield s


@pytest.fixture(scope="module")
def con(store: Store) -> duckdb.DuckDBPyConnection:
    """The store's connection, for the tests' own look-ups."""
    return store.con


@pytest.fixture(scope="module")
def report(store: Store, tmp_path_factory: pytest.TempPathFactory) -> str:
    campaign = make_campaign(signatures={"DE": 70_000, "FR": 12_000, "MT": 4_000})
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert build_report(store, campaign, out, top_n=20, now=NOW) == out
    return out.read_text(encoding="utf-8")


def str_escape(text: str) -> str:
    return str(escape(text))


def section(page: str, anchor: str) -> str:
    match = re.search(rf'<(section|header) id="{anchor}">(.*?)</\1>', page, re.S)
    assert match, f"no section {anchor}"
    return match.group(2)


def lead_row(part: str, handle: str) -> str:
    """The lead table row (``<tr>...</tr>``) whose handle cell shows ``handle``."""
    for row in re.findall(r"<tr>(.*?)</tr>", part, re.S):
        if f">{str_escape(handle)}<" in row:
            return row
    raise AssertionError(f"no row for {handle}")


def row_reasons(row: str) -> tuple[list[str], list[str]]:
    """A row's reasons: those shown and those folded into its ``<details>``."""
    cell = re.search(r'<td class="reasons">(.*?)</td>', row, re.S)
    assert cell
    shown_html, _, folded_html = cell.group(1).partition("<details>")
    return re.findall(r"<li>(.*?)</li>", shown_html), re.findall(r"<li>(.*?)</li>", folded_html)


def test_report_has_header_and_all_sections(report: str) -> None:
    assert report.startswith("<!DOCTYPE html>")
    assert f"<title>{CAMPAIGN}" in report
    head = section(report, "overview")
    assert f"<h1>{CAMPAIGN}</h1>" in head
    assert "#cleanaireci" in head and "#righttobreathe" in head
    assert "2026-11-20 12:00 UTC" in head  # generated time
    # last run's stats, not the earlier run's
    assert "run-2026-11-20T12" in head and "137 new posts" in head
    assert "21 new accounts" in head and "2 errors" in head and "2 runs in total" in head
    for anchor, title in [
        ("contact-first", "Who to contact first"),
        ("coverage", "Country coverage"),
        ("activity", "Activity"),
        ("method", "Method"),
    ]:
        assert f"<h2>{title}</h2>" in section(report, anchor)


def test_report_is_self_contained_without_scripts(report: str) -> None:
    assert "<script" not in report.lower()
    assert report.count("<svg") == 4
    assert "<?xml" not in report and "<!DOCTYPE svg" not in report
    assert "Content-Security-Policy" in report
    # nothing is loaded from elsewhere: no external src, stylesheet or font
    assert not re.search(r"""\ssrc=["']?(https?:)?//""", report)
    assert "@import" not in report and "@font-face" not in report
    assert '<link rel="stylesheet"' not in report
    # SVG element ids must not collide between the inline charts
    ids = re.findall(r'<clipPath id="([^"]+)"', report)
    assert len(ids) == len(set(ids))


def test_hostile_strings_appear_only_escaped(report: str) -> None:
    escaped = str(escape(HOSTILE_NAME))
    assert escaped in report
    assert HOSTILE_NAME not in report
    assert str(escape(HOSTILE_HANDLE)) in report
    # a javascript: URL is shown as text, never as a link
    assert 'href="javascript:' not in report.lower()
    assert "javascript:alert(2)" in report
    # a formula-like name is harmless in HTML, shown as it is (escaped)
    assert str_escape('=HYPERLINK("http://evil.example","click")') in report


def test_who_to_contact_first_lists_top_n_per_type(
    report: str, con: duckdb.DuckDBPyConnection
) -> None:
    part = section(report, "contact-first")
    for lead_type in ("volunteer", "influencer", "intermediary", "sponsor"):
        assert f'id="leads-{lead_type}"' in part
        best = con.execute(
            "SELECT display_name, handle, score, reasons FROM leads "
            "WHERE campaign = ? AND lead_type = ? ORDER BY rank LIMIT 20",
            [CAMPAIGN, lead_type],
        ).fetchall()
        for name, handle, score, reasons in best:
            row = lead_row(part, handle)
            assert str_escape(name) in row
            assert f"{score:.3f}" in row
            # every reason is there, in order: the first ones shown, the rest folded
            shown, folded = row_reasons(row)
            assert shown + folded == [str_escape(r) for r in reason_parts(reasons)]
            assert "; ".join(shown + folded) == str_escape(reasons)
    assert "Showing 20 of 20." in part and "Showing 8 of 8." in part
    assert '<a href="https://bsky.app/profile/' in part


def test_country_coverage_table(report: str) -> None:
    part = section(report, "coverage")
    rows = re.findall(r"<tr class=\"([^\"]*)\">\s*<td class=\"country\">(\w\w) ", part)
    assert [cc for _, cc in rows] == sorted(cc for _, cc in rows) and len(rows) == 27
    classes = dict((cc, cls) for cls, cc in rows)
    assert "below" in classes["FR"]  # 12,000 of 58,320
    assert "reached" in classes["DE"] and "reached" not in classes["FR"]  # 70,000 >= 69,120
    assert "below" in classes["MT"] and "no-leads" not in classes["MT"]  # 4,000 < 4,320
    assert "no-leads" in classes["BG"] and "no-leads" in classes["SI"]
    assert "no-leads" not in classes["PL"]
    assert "69,120" in part and "4,320" in part and "58,320" in part
    # countries with leads among the 27, against the 7 needed
    with_leads = 27 - sum("no-leads" in c for c in classes.values())
    assert f"<b>{with_leads}</b> of 27 member states" in part
    assert "<b>7</b>" in part
    assert "1 countries have reached their threshold" in part
    de_row = re.search(
        r'<td class="country">DE Germany <span class="badge">target</span></td>(.*?)</tr>',
        part,
        re.S,
    )
    assert de_row, "DE row marks a target country"
    cells = re.findall(r'<td class="num[^"]*">([^<]*)</td>', de_row.group(1))
    # threshold, leads, 4 lead types, supporters
    assert cells[0] == "69,120"
    assert cells[1] == "6" and cells[2:6] == ["2", "2", "1", "1"]
    assert int(cells[6]) >= 1
    # signatures against the threshold: a meter capped at the threshold, count and share
    signatures = re.search(r'<td class="sig">(.*?)</td>', de_row.group(1), re.S)
    assert signatures and '<meter min="0" max="69120" value="69120"' in signatures.group(1)
    assert " ".join(signatures.group(1).split()).endswith("</meter> 70,000 (101 %)")
    fr_row = re.search(r'<td class="country">FR France .*?</tr>', part, re.S)
    assert fr_row and '<meter min="0" max="58320" value="12000"' in fr_row.group(0)
    assert "12,000 (21 %)</td>" in fr_row.group(0)
    pl_row = re.search(r'<td class="country">PL Poland .*?</tr>', part, re.S)
    assert pl_row and '<td class="sig"><span class="muted">not given</span></td>' in pl_row.group(0)
    assert "Leads whose country is unknown" in part


def test_method_reads_weights_and_states_consent_and_retention(report: str) -> None:
    part = section(report, "method")
    for component in ("reach", "centrality", "role_fit", "stance", "activity", "country_need"):
        assert f"<b>{component}</b>" in part
    assert "Posts older than 90 days are purged" in part
    assert "#nobot" in part and "!no-unauthenticated" in part
    assert "Bots are never volunteer leads" in part


def test_check_weights_against_stored_scores(con: duckdb.DuckDBPyConnection) -> None:
    leads = con.execute("SELECT * FROM leads WHERE campaign = ?", [CAMPAIGN]).df()
    good = check_weights(leads, WEIGHTS)
    assert good.source == "crawler.app.ranking"
    assert good.rows == {"volunteer": 20, "influencer": 10, "intermediary": 10, "sponsor": 8}
    assert max(good.max_error.values()) <= 0.0001
    wrong = {t: dict(w) for t, w in WEIGHTS.items()}
    wrong["sponsor"]["reach"] = 0.5
    assert check_weights(leads, wrong).max_error["sponsor"] > 0.01


def test_method_shows_the_ranking_weights(report: str) -> None:
    table = declared_weights()
    part = section(report, "method")
    row = re.search(r"<tr><td>volunteer</td>(.*?)</tr>", part, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    # reach, centrality, role_fit, stance, activity, country_need: the weights, nothing more
    expected = [
        f"{table['volunteer'].get(c, 0):.2f}"
        for c in ("reach", "centrality", "role_fit", "stance", "activity", "country_need")
    ]
    assert [c if c != "–" else "0.00" for c in cells] == expected
    # the fixture's scores follow the documented weights: no warning
    assert 'id="weights-stale"' not in part


def test_chart_text_from_data_is_escaped() -> None:
    leads = pd.DataFrame(
        {
            "lead_type": ["volunteer", "volunteer", "sponsor"],
            "rank": [1, 2, 1],
            "score": [0.9, 0.4, 0.7],
            "handle": ["<script>alert(1)</script>", "second@x.social", "cost$100$&b@x.social"],
        }
    )
    chart = chart_score_distribution(leads)
    assert chart.svg is not None
    svg = str(chart.svg)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "cost$100$&amp;b@x.social" in svg  # dollars stay literal (no mathtext), & escaped


def test_safe_href() -> None:
    assert safe_href("https://chaos.social/@jana") == "https://chaos.social/@jana"
    assert safe_href("http://127.0.0.1:8081/@a") == "http://127.0.0.1:8081/@a"
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "//x.y",
        "",
        None,
    ]:
        assert safe_href(bad) is None


def test_report_of_an_empty_database(tmp_path: Path) -> None:
    with Store(":memory:") as empty:
        out = build_report(empty, make_campaign(), tmp_path / "sub" / "empty.html")
    page = out.read_text(encoding="utf-8")
    assert CAMPAIGN in page and "<script" not in page
    assert "No crawl run recorded" in page
    assert "No volunteer leads yet." in page
    assert "<b>0</b> of 27 member states" in page
    assert [p.name for p in out.parent.iterdir()] == ["empty.html"]


def test_report_generated_time_defaults_to_now(
    store: Store, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    page = build_report(store, make_campaign(), tmp_path / "r.html", top_n=1).read_text("utf-8")
    after = datetime.now(UTC)
    match = re.search(r"generated (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", page)
    assert match
    generated = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert before <= generated <= after
    assert "Showing 1 of 20." in page
    part = section(page, "contact-first")
    for lead_type in ("volunteer", "influencer", "intermediary", "sponsor"):
        first, second = con.execute(
            "SELECT display_name FROM leads WHERE campaign = ? AND lead_type = ? "
            "AND rank <= 2 ORDER BY rank",
            [CAMPAIGN, lead_type],
        ).fetchall()
        assert str_escape(first[0]) in part
        assert str_escape(second[0]) not in part


def test_leads_by_level(tmp_path: Path) -> None:
    with build_store() as s:
        s.con.execute(
            "UPDATE leads SET scope = CASE handle"
            " WHEN 'liege.bsky.social' THEN 'local' WHEN 'akeller.bsky.social' THEN 'european'"
            " WHEN 'jborg.bsky.social' THEN 'european' WHEN 'gronaung@mastodon.nu' THEN 'local'"
            " END"
        )
        out = build_report(s, make_campaign(), tmp_path / "r.html", now=NOW)
    levels = section(out.read_text(encoding="utf-8"), "levels")
    assert "<h2>Leads by level</h2>" in levels
    rows = {
        m.group(1): [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', m.group(2))]
        for m in re.finditer(r"<tr><td>(\w+)</td>(.*?)</tr>", levels, re.S)
    }
    # columns: volunteer, influencer, intermediary, sponsor, total
    assert rows["local"] == [0, 1, 1, 0, 2]
    assert rows["european"] == [0, 2, 0, 0, 2]
    assert rows["regional"] == [0, 0, 0, 0, 0] and rows["national"] == [0, 0, 0, 0, 0]
    assert rows["unclear"][4] == sum(rows["unclear"][:4]) > 0
