"""Lead exports: selection, CSV/XLSX/Parquet round trips, formula neutralization."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crawler.app.export import COLUMNS, ExportError, export_leads, neutralize, select_leads
from crawler.db.store import Store
from tests.support.fixtures import FIXTURES_DIR
from tests.support.leads import (
    CAMPAIGN,
    FORMULAS,
    HOSTILE_NAME,
    PEOPLE,
    build_store,
)


@pytest.fixture
def store() -> Iterator[Store]:
    with build_store() as s:
        yield s


# --------------------------------------------------------------------------- select


def test_select_leads_orders_by_type_then_rank(store: Store) -> None:
    df = select_leads(store, CAMPAIGN)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == len(PEOPLE)
    order = ["volunteer", "influencer", "intermediary", "sponsor"]
    assert list(dict.fromkeys(df["lead_type"])) == order
    for t in order:
        part = df[df["lead_type"] == t]
        assert list(part["rank"]) == list(range(1, len(part) + 1))
        assert part["score"].is_monotonic_decreasing
    # bots and opponents were never ranked
    assert not df["handle"].str.contains("luftbot|vdi").any()


def test_select_leads_filters(store: Store) -> None:
    sponsors = select_leads(store, CAMPAIGN, lead_type="sponsor")
    assert set(sponsors["lead_type"]) == {"sponsor"} and len(sponsors) == 8
    german = select_leads(store, CAMPAIGN, country="de")
    assert set(german["country"]) == {"DE"}
    assert set(german["lead_type"]) == {"volunteer", "influencer", "intermediary", "sponsor"}
    greek = select_leads(store, CAMPAIGN, country="EL")  # the EU's code for Greece
    assert list(greek["display_name"]) == ["Ελένη Παπαδοπούλου"]
    both = select_leads(store, CAMPAIGN, lead_type="intermediary", country="PL")
    assert list(both["display_name"]) == ["Stowarzyszenie Czyste Powietrze"]
    top2 = select_leads(store, CAMPAIGN, limit=2)
    assert len(top2) == 8 and set(top2["rank"]) == {1, 2}
    assert select_leads(store, "another campaign").empty


def test_select_leads_takes_values_as_parameters(store: Store) -> None:
    hostile = "x' OR '1'='1"
    assert select_leads(store, hostile).empty
    assert select_leads(store, CAMPAIGN, country=hostile).empty
    with pytest.raises(ExportError, match="unknown lead type"):
        select_leads(store, CAMPAIGN, lead_type="volunteer' OR 1=1 --")


# --------------------------------------------------------------------------- formats


def test_neutralize() -> None:
    for value in FORMULAS + ["\rcmd"]:
        assert neutralize(value) == "'" + value
    unchanged: list[object] = ["Jana", "", "a=b", " =1", "'quoted", 3, None, -2.5]
    for other in unchanged:
        assert neutralize(other) == other


def test_csv_round_trip_with_bom_and_neutralized_formulas(store: Store, tmp_path: Path) -> None:
    df = select_leads(store, CAMPAIGN)
    out = export_leads(df, tmp_path / "leads.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    back = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(COLUMNS)
    assert len(back) == len(df)
    assert "Ελένη Παπαδοπούλου" in set(back["display_name"])
    assert "Łukasz Wiśniewski" in set(back["display_name"])
    names = set(back["display_name"])
    for formula in FORMULAS:
        assert formula not in names
        assert "'" + formula in names
    # no cell of the file starts with a formula character
    text = raw.decode("utf-8-sig")
    for line in text.split("\r\n"):
        for formula in FORMULAS:
            assert not line.startswith(formula)
            assert f",{formula}" not in line
    # numbers stay numbers, and the same
    assert back["score"].tolist() == pytest.approx(df["score"].tolist())
    assert back["rank"].tolist() == df["rank"].tolist()


def test_xlsx_sheets_style_and_neutralized_formulas(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    df = select_leads(store, CAMPAIGN)
    out = export_leads(df, tmp_path / "leads.XLSX")
    wb = load_workbook(out)
    assert wb.sheetnames == ["volunteer", "influencer", "intermediary", "sponsor", "README"]
    ws = wb["volunteer"]
    header = [c.value for c in ws[1]]
    assert header == list(COLUMNS)
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    last = get_column_letter(len(COLUMNS))  # one filter over every column
    assert ws.auto_filter.ref == f"A1:{last}{1 + (df['lead_type'] == 'volunteer').sum()}"
    name_col = header.index("display_name") + 1
    width = ws.column_dimensions["E"].width
    assert width is not None and 8 <= width <= 60
    values = []
    for row in ws.iter_rows(min_row=2, min_col=name_col, max_col=name_col):
        cell = row[0]
        assert cell.data_type == "s"  # text, never "f" (formula)
        values.append(cell.value)
    for formula in FORMULAS:
        assert "'" + formula in values
    # no formula anywhere in the workbook
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    # round trip with pandas: same leads, numbers intact
    back = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    leads = pd.concat([back[t] for t in ("volunteer", "influencer", "intermediary", "sponsor")])
    assert len(leads) == len(df)
    assert sorted(leads["account_id"]) == sorted(df["account_id"])
    assert leads["score"].tolist() == pytest.approx(df["score"].tolist())
    readme = back["README"].astype(str).to_string()
    assert "score" in readme and "country_need" in readme and "formula" in readme.lower()
    # profile links are clickable only for http(s)
    url_col = header.index("url") + 1
    first = ws.cell(row=2, column=url_col)
    assert first.hyperlink is not None and first.hyperlink.target.startswith("https://")
    mallory = [r for r in ws.iter_rows(min_row=2) if r[name_col - 1].value == HOSTILE_NAME]
    assert mallory and mallory[0][url_col - 1].hyperlink is None


def test_xlsx_of_one_filtered_type(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    df = select_leads(store, CAMPAIGN, lead_type="sponsor", country="FR")
    out = export_leads(df, tmp_path / "fr-sponsors.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["sponsor", "README"]
    assert [c.value for c in wb["sponsor"]["E"]][1:] == ["VéloCité SAS"]


def test_parquet_keeps_raw_values(store: Store, tmp_path: Path) -> None:
    df = select_leads(store, CAMPAIGN)
    out = export_leads(df, tmp_path / "leads.parquet")
    back = pd.read_parquet(out)
    assert list(back.columns) == list(COLUMNS)
    assert len(back) == len(df)
    assert set(FORMULAS) <= set(back["display_name"])  # raw, not neutralized
    assert back["score"].tolist() == df["score"].tolist()
    n = back["country"].isna().sum()
    assert n == df["country"].isna().sum() and n > 0
    assert not math.isnan(float(back["reach"].iloc[0]))


def test_unknown_suffix_is_one_line_error(tmp_path: Path) -> None:
    df = pd.DataFrame({"rank": [1], "handle": ["a@b"]})
    with pytest.raises(ExportError) as err:
        export_leads(df, tmp_path / "leads.json")
    assert "\n" not in str(err.value) and ".json" in str(err.value)
    with pytest.raises(ExportError):
        export_leads(df, tmp_path / "leads")
    with pytest.raises(ExportError, match="does not exist"):
        export_leads(df, tmp_path / "missing" / "leads.csv")
    assert list(tmp_path.iterdir()) == []


def test_writes_atomically(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "leads.csv"
    out.write_text("old, complete file\n", encoding="utf-8")
    df = select_leads(store, CAMPAIGN)

    def broken(self: pd.DataFrame, *args: Any, **kwargs: Any) -> None:
        Path(args[0]).write_text("half a fi", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        export_leads(df, out)
    # the old file is untouched and no temporary file is left behind
    assert out.read_text(encoding="utf-8") == "old, complete file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


FIXTURES = FIXTURES_DIR


def recorded_account() -> dict[str, Any]:
    """A real mastodon.social account response (zero-width space and custom emoji in the name)."""
    import json

    import yaml

    path = FIXTURES / "mastodon" / "mastodon-social-2026" / "test_entity_account.yaml"
    if not path.exists():
        pytest.skip(f"recorded fixture absent: {path}")
    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    body = cassette["interactions"][0]["response"]["body"]["string"]
    account: dict[str, Any] = json.loads(body)
    return account


def test_recorded_account_round_trips_exactly(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    acct = recorded_account()
    assert "\u200b" in acct["display_name"]  # the recording's quirk we must keep intact
    lead = {
        "rank": 1,
        "lead_type": "influencer",
        "score": 0.8123,
        "handle": acct["acct"],
        "display_name": acct["display_name"],
        "platform": "mastodon",
        "url": acct["url"],
        "country": None,
        "language": "en",
        "reasons": f"public_figure; {acct['followers_count']:,} followers",
        "reach": 0.7,
        "centrality": 0.2,
        "role_fit": 0.9,
        "stance": "neutral",
        "activity": 0.1,
        "country_need": 0.3,
        "campaign_posts": 1,
        "account_id": "mastodon:" + acct["uri"],
    }
    df = pd.DataFrame([lead], columns=list(COLUMNS))
    csv_back = pd.read_csv(export_leads(df, tmp_path / "a.csv"), encoding="utf-8-sig")
    ws = load_workbook(export_leads(df, tmp_path / "a.xlsx"))["influencer"]
    xlsx_row = {c.value: v.value for c, v in zip(ws[1], ws[2], strict=True)}
    pq_back = pd.read_parquet(export_leads(df, tmp_path / "a.parquet"))
    for back in (csv_back.iloc[0].to_dict(), xlsx_row, pq_back.iloc[0].to_dict()):
        assert back["display_name"] == acct["display_name"]
        assert back["handle"] == "halcy@icosahedron.website"
        assert back["account_id"] == "mastodon:https://icosahedron.website/users/halcy"
        assert back["reasons"] == f"public_figure; {acct['followers_count']:,} followers"


def test_exported_files_get_ordinary_permissions(store: Store, tmp_path: Path) -> None:
    import os

    mask = os.umask(0o022)
    try:
        df = select_leads(store, CAMPAIGN, limit=1)
        for suffix in (".csv", ".xlsx", ".parquet"):
            out = export_leads(df, tmp_path / f"leads{suffix}")
            assert out.stat().st_mode & 0o777 == 0o644, suffix
    finally:
        os.umask(mask)
