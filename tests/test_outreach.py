"""Outreach state (issue 12, item 1): ``lead_status`` and its history, ``scout mark``,
status and owner in lead lists, exports and the report, closed leads off the "to
contact" lists but still visible, kept across re-ranking and crawls, erased with the
account."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from crawler.app.export import COLUMNS, ExportError, export_leads, select_leads
from crawler.app.forget import forget
from crawler.app.outreach import (
    check_status,
    history_frame,
    mark,
    status_filter,
    statuses_frame,
)
from crawler.app.ranking import rank
from crawler.app.report import build_report
from crawler.core.errors import UserError
from crawler.core.vocab import CLOSED_STATUSES, LEAD_STATUSES
from crawler.db.outreach import HISTORY_COLUMNS, LEAD_STATUS_COLUMNS
from crawler.db.store import Store
from scout_demo.network import DemoNetwork, write_demo_campaign
from tests.support.cli import one_line_error, scout
from tests.support.crawlrun import rows, run_crawl_cli
from tests.support.leads import CAMPAIGN, NOW, build_db, build_store, make_campaign

JANA = "mastodon:https://chaos.social/users/jana"  # a German volunteer
ANNA = "bluesky:did:plc:akellerakellerakellerake"  # an MEP, influencer
OPEN_STATUSES = tuple(s for s in LEAD_STATUSES if s not in CLOSED_STATUSES)


@pytest.fixture()
def store() -> Iterator[Store]:
    with build_store() as s:
        yield s


@pytest.fixture()
def db_file(tmp_path: Path) -> Path:
    """The realistic leads database in a file, closed, for the CLI."""
    path = tmp_path / "scout.duckdb"
    with Store(path) as s:
        build_db(s.con)
    return path


@pytest.fixture()
def campaign_file(tmp_path: Path) -> Path:
    toml = tmp_path / "c.toml"
    toml.write_text(f'[campaign]\nname = "{CAMPAIGN}"\nhashtags = ["CleanAirECI"]\n')
    return toml


def status_row(store: Store, account_id: str) -> dict[str, object]:
    marks = store.lead_statuses(CAMPAIGN)
    rows_ = marks[marks["account_id"] == account_id].to_dict("records")
    assert len(rows_) == 1, marks
    return {str(k): v for k, v in rows_[0].items()}


# --------------------------------------------------------------------------- store API


def test_set_lead_status_upserts_and_appends_history(store: Store) -> None:
    # a first mark without a status starts as "new"
    row = store.set_lead_status(CAMPAIGN, JANA, owner="Ana", changed_by="ana")
    assert (row["status"], row["owner"], row["note"]) == ("new", "Ana", None)
    assert list(row) == list(LEAD_STATUS_COLUMNS)
    # None keeps what is stored
    row = store.set_lead_status(CAMPAIGN, JANA, status="contacted", note="mail on 3 May")
    assert (row["status"], row["owner"], row["note"]) == ("contacted", "Ana", "mail on 3 May")
    row = store.set_lead_status(CAMPAIGN, JANA, status="replied", changed_by="ben")
    assert (row["status"], row["owner"], row["note"]) == ("replied", "Ana", "mail on 3 May")
    # an empty owner clears it
    row = store.set_lead_status(CAMPAIGN, JANA, owner="", changed_by="ben")
    assert row["owner"] is None and row["status"] == "replied"

    marks = store.lead_statuses(CAMPAIGN)
    assert list(marks.columns) == list(LEAD_STATUS_COLUMNS)
    assert marks["account_id"].tolist() == [JANA]

    history = store.lead_status_history(CAMPAIGN, JANA)
    assert list(history.columns) == list(HISTORY_COLUMNS)
    # newest first, one row per change, each the state after it
    assert history["status"].tolist() == ["replied", "replied", "contacted", "new"]
    assert history["owner"].tolist()[1:] == ["Ana", "Ana", "Ana"]
    assert pd.isna(history["owner"].iloc[0])
    assert history["changed_by"].tolist()[:2] == ["ben", "ben"]
    assert history["changed_by"].iloc[3] == "ana"
    assert history["changed_at"].is_monotonic_decreasing
    # other campaigns and accounts are apart
    assert store.lead_statuses("another campaign").empty
    assert store.lead_status_history(CAMPAIGN, ANNA).empty
    with pytest.raises(ValueError, match="not a lead status"):
        store.set_lead_status(CAMPAIGN, JANA, status="wizard")
    assert len(store.lead_status_history(CAMPAIGN, JANA)) == 4  # the refusal wrote nothing


def test_history_rows_are_never_updated(store: Store) -> None:
    store.set_lead_status(CAMPAIGN, ANNA, status="to_contact", owner="Ana", note="MEP, ENVI")
    first = store.lead_status_history(CAMPAIGN, ANNA)
    store.set_lead_status(CAMPAIGN, ANNA, status="contacted", owner="Ben", note="called")
    later = store.lead_status_history(CAMPAIGN, ANNA)
    pd.testing.assert_frame_equal(later.iloc[[1]].reset_index(drop=True), first)


def test_history_columns_and_contract_table(store: Store) -> None:
    # DESIGN.md lists lead_status's columns (tests/test_storage.py checks them); the
    # history has the same state plus when and by whom
    have = [
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'lead_status_history' ORDER BY ordinal_position"
        ).fetchall()
    ]
    assert have == list(HISTORY_COLUMNS)


# --------------------------------------------------------------------------- app


def test_mark_names_accounts_like_correct(store: Store) -> None:
    line = mark(store, CAMPAIGN, "@jana@chaos.social", status="contacted", owner="Ana", note=None)
    assert line.startswith(f"marked {JANA} in 'Clean Air for All': status contacted, owner Ana")
    mark(store, CAMPAIGN, "https://chaos.social/@jana", status="Replied", owner=None, note="yes!")
    mark(store, CAMPAIGN, JANA, status="not-relevant", owner=None, note=None, changed_by="web")
    mark(store, CAMPAIGN, "https://bsky.app/profile/akeller.bsky.social", status="to contact",
         owner=None, note=None)  # fmt: skip
    assert status_row(store, JANA)["status"] == "not_relevant"
    assert status_row(store, ANNA)["status"] == "to_contact"
    assert history_frame(store, CAMPAIGN, "jana@chaos.social")["status"].tolist() == [
        "not_relevant",
        "replied",
        "contacted",
    ]
    frame = statuses_frame(store, CAMPAIGN)
    jana = frame[frame["account_id"] == JANA].iloc[0]
    assert (jana["handle"], jana["lead_type"], bool(jana["closed"])) == (
        "jana@chaos.social",
        "volunteer",
        True,
    )
    assert not frame[frame["account_id"] == ANNA]["closed"].iloc[0]


@pytest.mark.parametrize(
    ("who", "kwargs", "message"),
    [
        ("jana@chaos.social", {"status": "wizard"}, "unknown status 'wizard': use one of new, "
         "to_contact, contacted, replied, joined, declined, not_relevant"),
        ("ghost@nowhere.example", {"status": "contacted"}, "no stored account"),
        ("jana@chaos.social", {}, "give at least one of --status, --owner, --note"),
        ("  ", {"status": "new"}, "give an account id, handle or profile URL"),
    ],
)  # fmt: skip
def test_mark_refuses_bad_input(
    store: Store, who: str, kwargs: dict[str, str], message: str
) -> None:
    args = {"status": None, "owner": None, "note": None, **kwargs}
    with pytest.raises(UserError, match=re.escape(message)):
        mark(store, CAMPAIGN, who, **args)
    assert store.lead_statuses(CAMPAIGN).empty


def test_status_filter_words() -> None:
    assert status_filter(None) is None
    assert status_filter("all") is None
    assert status_filter("open") == OPEN_STATUSES
    assert status_filter(None, default="open") == OPEN_STATUSES
    assert status_filter("new, To-Contact") == ("new", "to_contact")
    assert status_filter("joined,open") == (*OPEN_STATUSES, "joined")
    assert check_status("Not relevant") == "not_relevant"
    with pytest.raises(UserError, match="unknown status 'maybe'"):
        status_filter("new,maybe")
    with pytest.raises(UserError, match="--status"):
        status_filter(",")


# --------------------------------------------------------------------------- crawls


def test_marks_survive_re_ranking(store: Store) -> None:
    mark(store, CAMPAIGN, JANA, status="joined", owner="Ana", note="signed up 3 May")
    mark(store, CAMPAIGN, ANNA, status="contacted", owner="Ben", note=None)
    before = store.lead_statuses(CAMPAIGN)
    history = store.lead_status_history(CAMPAIGN, JANA)
    leads = rank(store, make_campaign(), now=NOW)
    assert {JANA, ANNA} <= set(leads["account_id"])  # the ranking rewrote every lead row
    pd.testing.assert_frame_equal(store.lead_statuses(CAMPAIGN), before)
    pd.testing.assert_frame_equal(store.lead_status_history(CAMPAIGN, JANA), history)
    listed = select_leads(store, CAMPAIGN)
    assert listed.set_index("account_id").loc[JANA, "status"] == "joined"


def test_marks_survive_a_demo_crawl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # the terminal table never folds a cell
    db = tmp_path / "scout.duckdb"
    with DemoNetwork(seed=13, n_accounts=60, n_posts=300) as net:
        campaign = write_demo_campaign(net.state, tmp_path / "c.toml", seeds=False)
        first = run_crawl_cli(campaign, db)
        assert first.returncode == 0, first.stderr
        account_id, handle = rows(db, "SELECT account_id, handle FROM leads ORDER BY rank LIMIT 1")[
            0
        ]
        done = scout("mark", str(campaign), handle, "--status", "contacted", "--owner", "Ana",
                     "--note", "wrote on 3 May", "--db", str(db), cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        before = rows(db, "SELECT * FROM lead_status")
        history = rows(db, "SELECT * FROM lead_status_history")
        assert [r[1:5] for r in before] == [(account_id, "contacted", "Ana", "wrote on 3 May")]
        again = run_crawl_cli(campaign, db)
        assert again.returncode == 0, again.stderr
        # (the campaign file names the demo servers: read it while they are allowed)
        shown = scout("leads", str(campaign), "--db", str(db), "--status", "contacted",
                      cwd=tmp_path)  # fmt: skip
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]
    assert rows(db, "SELECT * FROM lead_status") == before
    assert rows(db, "SELECT * FROM lead_status_history") == history
    assert shown.returncode == 0, shown.stderr
    assert "contacted (Ana)" in shown.stdout


# --------------------------------------------------------------------------- lists


def test_lists_carry_status_and_owner_and_filter(store: Store) -> None:
    mark(store, CAMPAIGN, JANA, status="joined", owner="Ana", note=None)
    mark(store, CAMPAIGN, ANNA, status="contacted", owner="Ben", note=None)
    df = select_leads(store, CAMPAIGN)
    assert list(df.columns) == list(COLUMNS) and {"status", "owner"} <= set(df.columns)
    by_id = df.set_index("account_id")
    assert tuple(by_id.loc[JANA, ["status", "owner"]]) == ("joined", "Ana")
    assert tuple(by_id.loc[ANNA, ["status", "owner"]]) == ("contacted", "Ben")
    unmarked = df[~df["account_id"].isin([JANA, ANNA])]
    assert len(unmarked) == 46 and (unmarked["status"] == "new").all()
    assert unmarked["owner"].isna().all()
    # a closed lead stays in the full list, after the open leads of its type
    volunteers = df[df["lead_type"] == "volunteer"]
    assert volunteers["account_id"].iloc[-1] == JANA
    assert volunteers["rank"].iloc[:-1].is_monotonic_increasing

    assert select_leads(store, CAMPAIGN, statuses=("contacted",))["account_id"].tolist() == [ANNA]
    to_contact = select_leads(store, CAMPAIGN, statuses=status_filter("to_contact,new"))
    assert len(to_contact) == 46 and not {JANA, ANNA} & set(to_contact["account_id"])
    open_ = select_leads(store, CAMPAIGN, statuses=status_filter("open"))
    assert len(open_) == 47 and JANA not in set(open_["account_id"])
    # the best n of each type are the best open ones: the closed best lead makes way
    best = volunteers[volunteers["rank"] == 1]["account_id"].iloc[0]
    mark(store, CAMPAIGN, best, status="not_relevant", owner=None, note="a city office")
    top = select_leads(store, CAMPAIGN, limit=2)
    assert top[top["lead_type"] == "volunteer"]["rank"].tolist() == [2, 3]
    assert top[top["lead_type"] == "influencer"]["rank"].tolist() == [1, 2]
    with pytest.raises(ExportError, match="unknown status 'wizard'"):
        select_leads(store, CAMPAIGN, statuses=("wizard",))


def test_exports_carry_status_and_owner(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    mark(store, CAMPAIGN, JANA, status="replied", owner="=cmd|' /C calc'!A0", note=None)
    df = select_leads(store, CAMPAIGN)
    path = export_leads(df, tmp_path / "leads.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        got = {r["account_id"]: r for r in csv.DictReader(fh)}
    assert got[JANA]["status"] == "replied"
    assert got[JANA]["owner"] == "'=cmd|' /C calc'!A0"  # organizers' text is neutralised too
    assert got[ANNA]["status"] == "new" and got[ANNA]["owner"] == ""
    book = load_workbook(export_leads(df, tmp_path / "leads.xlsx"))
    sheet = book["volunteer"]
    header = [c.value for c in sheet[1]]
    assert header[header.index("status") + 1] == "owner"
    readme = [r[0].value for r in book["README"].iter_rows()]
    assert "status" in readme and "owner" in readme


def test_report_shows_status_and_closed_leads_apart(store: Store, tmp_path: Path) -> None:
    mark(store, CAMPAIGN, JANA, status="joined", owner="Ana <b>", note=None)
    mark(store, CAMPAIGN, ANNA, status="contacted", owner="Ben", note=None)
    html = build_report(store, make_campaign(), tmp_path / "r.html", top_n=50).read_text()
    first, closed = html.split('id="closed-leads"', 1)
    contact_first = first.split('id="contact-first"', 1)[1]
    assert "chaos.social/@jana" not in contact_first  # off the to-contact list ...
    assert "chaos.social/@jana" in closed.split("</table>", 1)[0]  # ... but visible
    assert "joined" in closed and "Ana &lt;b&gt;" in closed and "Ana <b>" not in html
    assert "1 closed (joined, declined or not relevant)" in contact_first
    anna = contact_first.split("akeller.bsky.social", 1)[1].split("</tr>", 1)[0]
    assert 'class="status">contacted<br><span class="muted">Ben</span>' in anna


# --------------------------------------------------------------------------- erasure


def test_forget_and_opt_outs_erase_outreach_state(store: Store) -> None:
    mark(store, CAMPAIGN, JANA, status="contacted", owner="Ana", note="phone 0171…")
    mark(store, CAMPAIGN, ANNA, status="replied", owner="Ben", note=None)
    counts = forget(store, "jana@chaos.social")
    assert counts["lead_status"] == 1 and counts["lead_status_history"] == 1
    assert store.lead_status_history(CAMPAIGN, JANA).empty
    assert store.lead_statuses(CAMPAIGN)["account_id"].tolist() == [ANNA]
    store.record_opt_outs_and_delete([(ANNA, "akeller.bsky.social", "#nobot")])
    assert store.lead_statuses(CAMPAIGN).empty
    assert store.count("lead_status_history") == 0


# --------------------------------------------------------------------------- CLI


def test_cli_mark_leads_and_export(
    db_file: Path, campaign_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # the terminal table never folds a handle
    db, toml = str(db_file), str(campaign_file)
    done = scout("mark", toml, "jana@chaos.social", "--status", "joined", "--owner", "Ana",
                 "--note", "signed 3 May", "--db", db, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"marked {JANA}" in done.stdout and "status joined, owner Ana" in done.stdout
    done = scout("mark", toml, "akeller.bsky.social", "--status", "contacted", "--owner", "Ben",
                 "--db", db, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    history = rows(db_file, "SELECT status, owner, note, changed_by FROM lead_status_history"
                            " ORDER BY changed_at")  # fmt: skip
    assert [r[:3] for r in history] == [
        ("joined", "Ana", "signed 3 May"),
        ("contacted", "Ben", None),
    ]

    # `scout leads` lists the leads to contact; closed ones only when asked for
    shown = scout("leads", toml, "--type", "volunteer", "-n", "50", "--db", db, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "jana@chaos.social" not in shown.stdout
    assert "1 closed lead not shown (joined, declined, not_relevant): --status all" in shown.stderr
    shown = scout("leads", toml, "--status", "all", "-n", "50", "--db", db, cwd=tmp_path)
    assert "jana@chaos.social" in shown.stdout and "joined (Ana)" in shown.stdout
    assert "contacted (Ben)" in shown.stdout

    out = tmp_path / "contacted.csv"
    done = scout("export", toml, "--out", str(out), "--status", "contacted,joined", "--db", db,
                 cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with open(out, encoding="utf-8-sig", newline="") as fh:
        got = [(r["account_id"], r["status"], r["owner"]) for r in csv.DictReader(fh)]
    assert sorted(got) == sorted([(JANA, "joined", "Ana"), (ANNA, "contacted", "Ben")])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mark", "{toml}", "jana@chaos.social", "--status", "wizard"], "unknown status 'wizard'"),
        (["mark", "{toml}", "ghost@nowhere.example", "--status", "new"], "no stored account"),
        (["mark", "{toml}", "jana@chaos.social"], "give at least one of --status"),
        (["leads", "{toml}", "--status", "maybe"], "unknown status 'maybe'"),
        (["export", "{toml}", "--out", "{tmp}/x.csv", "--status", "maybe"],
         "unknown status 'maybe'"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_exit_2(
    db_file: Path, campaign_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    argv = [a.format(toml=campaign_file, tmp=tmp_path) for a in args]
    err = one_line_error(scout(*argv, "--db", str(db_file), cwd=tmp_path))
    assert err.startswith("scout: ") and message in err
    assert rows(db_file, "SELECT count(*) FROM lead_status") == [(0,)]
