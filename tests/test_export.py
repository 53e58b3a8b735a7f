"""Lead exports: selection, CSV/XLSX/Parquet round trips, formula neutralization."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from crawler.app.export import COLUMNS, ExportError, export_leads, neutralize, select_leads
from crawler.app.ranking import WEIGHTS
from crawler.core.config import Campaign
from crawler.db import schema

CAMPAIGN = "Clean Air for All"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_HANDLE = "<script>x</script>@evil.example"
# Values a spreadsheet would run as formulas (OWASP CSV injection).
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2+3", "@SUM(A1:A2)", "\tx"]


# (lead_type, role, org_type, country, language, display name, user, host or bsky)
PEOPLE: list[tuple[str, str, str | None, str | None, str, str, str, str]] = [
    ("volunteer", "individual", None, "DE", "de", "Jana Schröder 🌱", "jana", "chaos.social"),
    ("volunteer", "individual", None, "DE", "de", "Lukas Weiß", "lukasw", "mastodon.social"),
    ("volunteer", "individual", None, "FR", "fr", "Amélie Dubois", "amelie", "piaille.fr"),
    ("volunteer", "individual", None, "FR", "fr", "Théo Lefèvre", "theo", "mamot.fr"),
    ("volunteer", "individual", None, "PL", "pl", "Łukasz Wiśniewski", "lukasz", "bsky"),
    ("volunteer", "individual", None, "PL", "pl", "Zofia Wójcik", "zofia", "bsky"),
    ("volunteer", "individual", None, "GR", "el", "Ελένη Παπαδοπούλου", "eleni", "bsky"),
    ("volunteer", "individual", None, "IT", "it", "Giulia Bianchi", "giulia", "mastodon.uno"),
    ("volunteer", "individual", None, "ES", "es", "Nuria Martínez", "nuria", "bsky"),
    ("volunteer", "individual", None, "SE", "sv", "Åsa Lindqvist", "asa", "mastodon.nu"),
    ("volunteer", "individual", None, "FI", "fi", "Mikko Häkkinen", "mikko", "mstdn.fi"),
    ("volunteer", "individual", None, "CZ", "cs", "Tereza Dvořáková", "tereza", "bsky"),
    ("volunteer", "individual", None, "HU", "hu", "Eszter Kovács", "eszter", "bsky"),
    ("volunteer", "individual", None, None, "en", "Sam", "sam", "mastodon.social"),
    ("volunteer", "individual", None, "NL", "nl", HOSTILE_NAME, "mallory", "bsky"),
    ("volunteer", "individual", None, "PT", "pt", FORMULAS[0], "formula1", "bsky"),
    ("volunteer", "individual", None, "RO", "ro", FORMULAS[1], "formula2", "bsky"),
    ("volunteer", "individual", None, "DK", "da", FORMULAS[2], "formula3", "bsky"),
    ("volunteer", "individual", None, "IE", "en", FORMULAS[3], "formula4", "bsky"),
    ("volunteer", "individual", None, "AT", "de", FORMULAS[4], "formula5", "bsky"),
    ("influencer", "politician", None, "DE", "de", "Dr. Anna Keller MdEP", "akeller", "bsky"),
    ("influencer", "politician", None, "FR", "fr", "Claire Moreau, députée", "cmoreau", "bsky"),
    ("influencer", "journalist", None, "IT", "it", "Marco Rossi – giornalista", "mrossi", "bsky"),
    ("influencer", "journalist", None, "ES", "es", "Lucía Gómez", "lgomez", "bsky"),
    ("influencer", "public_figure", None, "SE", "sv", "Greta Nyström", "gnystrom", "bsky"),
    ("influencer", "organization", "media", "DE", "de", "Luftpost Nachrichten", "luftpost", "bsky"),
    ("influencer", "organization", "media", "PL", "pl", "Gazeta Powietrze", "gazeta", "bsky"),
    ("influencer", "politician", None, "MT", "mt", "Joseph Borg MEP", "jborg", "bsky"),
    ("influencer", "organization", "public_body", "BE", "fr", "Ville de Liège", "liege", "bsky"),
    ("influencer", "individual", None, None, "en", "Big Account", "big", "mastodon.social"),
    (
        "intermediary",
        "organization",
        "ngo",
        "DE",
        "de",
        "Saubere Luft e.V.",
        "sauberluft",
        "climatejustice.social",
    ),
    (
        "intermediary",
        "organization",
        "ngo",
        "FR",
        "fr",
        "Respire Association",
        "respire",
        "piaille.fr",
    ),
    ("intermediary", "organization", "union", "IT", "it", "CGIL Ambiente", "cgil", "mastodon.uno"),
    ("intermediary", "organization", "union", "ES", "es", "CCOO Medio Ambiente", "ccoo", "bsky"),
    (
        "intermediary",
        "organization",
        "association",
        "PL",
        "pl",
        "Stowarzyszenie Czyste Powietrze",
        "czyste",
        "bsky",
    ),
    (
        "intermediary",
        "organization",
        "association",
        "NL",
        "nl",
        "Schone Lucht Vereniging",
        "schonelucht",
        "bsky",
    ),
    (
        "intermediary",
        "organization",
        "academic",
        "FI",
        "fi",
        "Ilmanlaadun tutkimusryhmä",
        "ilma",
        "mstdn.fi",
    ),
    (
        "intermediary",
        "organization",
        "party",
        "SE",
        "sv",
        "Gröna Ungdom Göteborg",
        "gronaung",
        "mastodon.nu",
    ),
    ("intermediary", "organization", "ngo", "CZ", "cs", "Čistý vzduch z.s.", "cistyvzduch", "bsky"),
    (
        "intermediary",
        "organization",
        "other",
        None,
        "en",
        "Breathe Europe Network",
        "breathe",
        "eupolicy.social",
    ),
    ("sponsor", "organization", "foundation", "DE", "de", "Stiftung Atemluft", "atemluft", "bsky"),
    (
        "sponsor",
        "organization",
        "foundation",
        "NL",
        "nl",
        "Stichting Frisse Wind",
        "frissewind",
        "bsky",
    ),
    ("sponsor", "organization", "company", "FR", "fr", "VéloCité SAS", "velocite", "bsky"),
    ("sponsor", "organization", "company", "DK", "da", "Vindkraft ApS", "vindkraft", "bsky"),
    (
        "sponsor",
        "organization",
        "foundation",
        "IT",
        "it",
        "Fondazione Aria Pulita",
        "ariapulita",
        "bsky",
    ),
    (
        "sponsor",
        "organization",
        "company",
        "LU",
        "fr",
        "Luxembourg Green Tech S.à r.l.",
        "lgt",
        "bsky",
    ),
    ("sponsor", "organization", "company", "ES", "es", "Energías Limpias S.L.", "energias", "bsky"),
    (
        "sponsor",
        "organization",
        "foundation",
        "PL",
        "pl",
        "Fundacja Czysta Ziemia",
        "fundacja",
        "bsky",
    ),
]


def account_of(user: str, host: str) -> dict[str, Any]:
    if host == "bsky":
        did = "did:plc:" + (user * 4)[:24]
        handle = f"{user}.bsky.social"
        return {
            "account_id": f"bluesky:{did}",
            "platform": "bluesky",
            "handle": handle,
            "url": f"https://bsky.app/profile/{handle}",
        }
    return {
        "account_id": f"mastodon:https://{host}/users/{user}",
        "platform": "mastodon",
        "handle": f"{user}@{host}",
        "url": f"https://{host}/@{user}",
    }


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for _version, ddl in schema.MIGRATIONS:
        con.execute(ddl)


def insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    con.register("batch", df)
    # table names are constants of this module, values come in the registered DataFrame
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch")  # noqa: S608
    con.unregister("batch")


def build_db(con: duckdb.DuckDBPyConnection, seed: int = 2026) -> None:
    """A realistic campaign database: accounts, posts over a month, runs, ranked leads."""
    rnd = random.Random(seed)
    create_schema(con)
    accounts: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    stances: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    campaign_posts: list[dict[str, Any]] = []

    extra: list[tuple[str, str, str | None, str | None, str, str, str, str]] = [
        # a bot and an opponent: classified, posting, never leads
        ("bot", "individual", None, "DE", "de", "Luftdaten Bot", "luftbot", "botsin.space"),
        ("opposes", "organization", "company", "DE", "de", "Verband Industrie", "vdi", "bsky"),
    ]
    for lead_type, role, org_type, cc, lang, name, user, host in [*PEOPLE, *extra]:
        acc = account_of(user, host)
        followers = {
            "volunteer": int(rnd.lognormvariate(5, 1)),
            "influencer": int(rnd.lognormvariate(10, 1)),
            "intermediary": int(rnd.lognormvariate(8, 1)),
            "sponsor": int(rnd.lognormvariate(7, 1)),
        }.get(lead_type, 900)
        acc |= {
            "display_name": name,
            "bio": f"{name} – für saubere Luft in Europa #CleanAirECI",
            "followers_count": followers,
            "following_count": rnd.randint(10, 800),
            "posts_count": rnd.randint(20, 5000),
            "is_bot": lead_type == "bot",
            "created_at": NOW - timedelta(days=rnd.randint(100, 3000)),
            "first_seen_at": NOW - timedelta(days=30),
            "last_seen_at": NOW - timedelta(hours=rnd.randint(1, 200)),
            "role": role,
            "org_type": org_type,
            "language": lang,
            "country": cc,
        }
        accounts.append(acc)
        stance = "opposes" if lead_type == "opposes" else rnd.choice(["supports"] * 4 + ["neutral"])
        n_posts = rnd.randint(1, 9)
        last_post = None
        for k in range(n_posts):
            created = NOW - timedelta(days=rnd.uniform(0, 30))
            last_post = max(last_post or created, created)
            pid = f"{acc['account_id']}/post/{k}"
            posts.append(
                {
                    "post_id": pid,
                    "platform": acc["platform"],
                    "account_id": acc["account_id"],
                    "url": f"{acc['url']}/{k}",
                    "created_at": created,
                    "text": f"Sign the #CleanAirECI now! ({lang})",
                    "lang": lang,
                    "hashtags": ["cleanaireci"] + (["righttobreathe"] if k % 3 == 0 else []),
                    "like_count": rnd.randint(0, 50),
                    "repost_count": rnd.randint(0, 20),
                    "reply_count": rnd.randint(0, 5),
                    "collected_at": NOW,
                }
            )
            campaign_posts.append({"campaign": CAMPAIGN, "post_id": pid})
        # off-topic noise from the same accounts: not campaign posts
        posts.append(
            {
                "post_id": f"{acc['account_id']}/noise",
                "platform": acc["platform"],
                "account_id": acc["account_id"],
                "url": f"{acc['url']}/noise",
                "created_at": NOW - timedelta(days=40),
                "text": "Lunch #foodie",
                "lang": lang,
                "hashtags": ["foodie"],
                "like_count": 0,
                "repost_count": 0,
                "reply_count": 0,
                "collected_at": NOW,
            }
        )
        stances.append(
            {
                "campaign": CAMPAIGN,
                "account_id": acc["account_id"],
                "stance": stance,
                "stance_score": 0.9 if stance == "supports" else 0.1,
                "campaign_posts": n_posts,
                "last_post_at": last_post,
            }
        )
        if lead_type not in WEIGHTS:
            continue
        comp = {
            "reach": round(rnd.random(), 4),
            "centrality": round(rnd.random(), 4),
            "role_fit": round(rnd.uniform(0.5, 1.0), 4),
            "activity": round(rnd.random(), 4),
            "country_need": 0.3 if cc is None else rnd.choice([1.0, 0.5, 0.8, 0.2]),
        }
        stance_value = 1.0 if stance == "supports" else 0.4
        score = sum(
            w * (stance_value if c == "stance" else comp[c]) for c, w in WEIGHTS[lead_type].items()
        )
        leads.append(
            {
                "campaign": CAMPAIGN,
                "account_id": acc["account_id"],
                "platform": acc["platform"],
                "handle": HOSTILE_HANDLE if user == "mallory" else acc["handle"],
                "display_name": name,
                "url": "javascript:alert(2)" if user == "mallory" else acc["url"],
                "lead_type": lead_type,
                "score": round(score, 4),
                "country": cc,
                "language": lang,
                "reasons": (
                    f"{role} in {cc or 'unknown country'}; {n_posts} campaign posts; "
                    f"{followers:,} followers; {stance} the campaign"
                ),
                **comp,
                "stance": stance,
                "stance_score": stance_value,
                "campaign_posts": n_posts,
                "ranked_at": NOW,
            }
        )
    leads_df = pd.DataFrame(leads)
    leads_df["rank"] = (
        leads_df.sort_values(["score", "account_id"], ascending=[False, True])
        .groupby("lead_type")
        .cumcount()
        .add(1)
        .reindex(leads_df.index)
    )
    insert(con, "accounts", pd.DataFrame(accounts))
    insert(con, "posts", pd.DataFrame(posts))
    insert(con, "campaign_posts", pd.DataFrame(campaign_posts))
    insert(con, "account_campaign", pd.DataFrame(stances))
    insert(con, "leads", leads_df)
    runs = pd.DataFrame(
        [
            {
                "run_id": "run-2026-11-20T06",
                "campaign": CAMPAIGN,
                "started_at": NOW - timedelta(hours=6),
                "finished_at": NOW - timedelta(hours=6) + timedelta(minutes=4),
                "status": "ok",
                "posts_new": 1800,
                "accounts_new": 240,
                "errors": 0,
            },
            {
                "run_id": "run-2026-11-20T12",
                "campaign": CAMPAIGN,
                "started_at": NOW - timedelta(minutes=9),
                "finished_at": NOW - timedelta(minutes=2, seconds=17),
                "status": "ok",
                "posts_new": 137,
                "accounts_new": 21,
                "errors": 2,
            },
        ]
    )
    insert(con, "runs", runs)


def make_campaign(**extra: Any) -> Campaign:
    section: dict[str, Any] = {
        "name": CAMPAIGN,
        "hashtags": ["CleanAirECI", "RightToBreathe"],
        "keywords": ["clean air initiative"],
        "countries": ["DE", "FR", "PL", "IT", "ES", "NL", "SE"],
    }
    section.update(extra)
    return Campaign.model_validate(
        {
            "campaign": section,
            "mastodon": {"instances": ["http://127.0.0.1:8081"]},
            "bluesky": {"service": "http://127.0.0.1:8082"},
            "privacy": {"retention_days": 90},
        }
    )


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    build_db(connection)
    return connection


# --------------------------------------------------------------------------- select


def test_select_leads_orders_by_type_then_rank(con: duckdb.DuckDBPyConnection) -> None:
    df = select_leads(con, CAMPAIGN)
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


def test_select_leads_filters(con: duckdb.DuckDBPyConnection) -> None:
    sponsors = select_leads(con, CAMPAIGN, lead_type="sponsor")
    assert set(sponsors["lead_type"]) == {"sponsor"} and len(sponsors) == 8
    german = select_leads(con, CAMPAIGN, country="de")
    assert set(german["country"]) == {"DE"}
    assert set(german["lead_type"]) == {"volunteer", "influencer", "intermediary", "sponsor"}
    greek = select_leads(con, CAMPAIGN, country="EL")  # the EU's code for Greece
    assert list(greek["display_name"]) == ["Ελένη Παπαδοπούλου"]
    both = select_leads(con, CAMPAIGN, lead_type="intermediary", country="PL")
    assert list(both["display_name"]) == ["Stowarzyszenie Czyste Powietrze"]
    top2 = select_leads(con, CAMPAIGN, limit=2)
    assert len(top2) == 8 and set(top2["rank"]) == {1, 2}
    assert select_leads(con, "another campaign").empty


def test_select_leads_takes_values_as_parameters(con: duckdb.DuckDBPyConnection) -> None:
    hostile = "x' OR '1'='1"
    assert select_leads(con, hostile).empty
    assert select_leads(con, CAMPAIGN, country=hostile).empty
    with pytest.raises(ExportError, match="unknown lead type"):
        select_leads(con, CAMPAIGN, lead_type="volunteer' OR 1=1 --")


# --------------------------------------------------------------------------- formats


def test_neutralize() -> None:
    for value in FORMULAS + ["\rcmd"]:
        assert neutralize(value) == "'" + value
    unchanged: list[object] = ["Jana", "", "a=b", " =1", "'quoted", 3, None, -2.5]
    for other in unchanged:
        assert neutralize(other) == other


def test_csv_round_trip_with_bom_and_neutralized_formulas(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    df = select_leads(con, CAMPAIGN)
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


def test_xlsx_sheets_style_and_neutralized_formulas(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    df = select_leads(con, CAMPAIGN)
    out = export_leads(df, tmp_path / "leads.XLSX")
    wb = load_workbook(out)
    assert wb.sheetnames == ["volunteer", "influencer", "intermediary", "sponsor", "README"]
    ws = wb["volunteer"]
    header = [c.value for c in ws[1]]
    assert header == list(COLUMNS)
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:R{1 + (df['lead_type'] == 'volunteer').sum()}"
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


def test_xlsx_of_one_filtered_type(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    df = select_leads(con, CAMPAIGN, lead_type="sponsor", country="FR")
    out = export_leads(df, tmp_path / "fr-sponsors.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["sponsor", "README"]
    assert [c.value for c in wb["sponsor"]["E"]][1:] == ["VéloCité SAS"]


def test_parquet_keeps_raw_values(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    df = select_leads(con, CAMPAIGN)
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


def test_writes_atomically(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "leads.csv"
    out.write_text("old, complete file\n", encoding="utf-8")
    df = select_leads(con, CAMPAIGN)

    def broken(self: pd.DataFrame, *args: Any, **kwargs: Any) -> None:
        Path(args[0]).write_text("half a fi", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        export_leads(df, out)
    # the old file is untouched and no temporary file is left behind
    assert out.read_text(encoding="utf-8") == "old, complete file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


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


def test_exported_files_get_ordinary_permissions(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    import os

    mask = os.umask(0o022)
    try:
        df = select_leads(con, CAMPAIGN, limit=1)
        for suffix in (".csv", ".xlsx", ".parquet"):
            out = export_leads(df, tmp_path / f"leads{suffix}")
            assert out.stat().st_mode & 0o777 == 0o644, suffix
    finally:
        os.umask(mask)
