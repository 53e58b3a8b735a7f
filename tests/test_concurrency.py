"""Many processes, one database: a crawl, `scout live`, short reads and analysts at once.

DuckDB locks the file per process (readers too); the store holds it only for units of
work and waits briefly when another process has it, short reads open it read-only, and
analysts read the snapshot ``<db>.read.duckdb`` that runs publish.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from crawler.app.live import run_live
from crawler.cli import app
from crawler.core.config import Campaign
from crawler.db.store import DatabaseBusy, Store, snapshot_path
from scout_demo.server import (
    DEMO_BSKY_HANDLE,
    DEMO_BSKY_PASSWORD,
    DemoNetwork,
    write_demo_campaign,
)
from scout_demo.tables import DEMO_CAMPAIGN_NAME
from tests.support.cli import ROOT, scout
from tests.support.jetstream import ReplayServer, scenario
from tests.support.leads import CAMPAIGN, build_db
from tests.support.net import allowed_hosts


def env() -> dict[str, str]:
    return {
        **os.environ,  # SCOUT_ALLOWED_HOSTS of a running demo network included
        "PYTHONPATH": str(ROOT),
        "SCOUT_DEMO_BSKY_HANDLE": DEMO_BSKY_HANDLE,
        "SCOUT_DEMO_BSKY_PASSWORD": DEMO_BSKY_PASSWORD,
        "SCOUT_SNAPSHOT_EVERY": "1",  # publish the read snapshot often: it is tested
    }


def seeded_db(path: Path) -> Path:
    """A database holding the realistic "Clean Air for All" leads."""
    with Store(path) as store:
        build_db(store.con)
    return path


def clean_air_campaign(tmp_path: Path) -> Path:
    f = tmp_path / "clean-air.toml"
    f.write_text(
        f'[campaign]\nname = "{CAMPAIGN}"\nhashtags = ["CleanAirECI", "RightToBreathe"]\n',
        encoding="utf-8",
    )
    return f


def start_crawl(campaign: Path, db: Path) -> subprocess.Popen[str]:
    """`scout crawl` in a subprocess; its output goes to ``crawl.log`` beside the database
    (a pipe nobody reads while the test works could fill up and stall it)."""
    log = open(db.parent / "crawl.log", "w", encoding="utf-8")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "crawl", str(campaign), "--db", str(db)],
            env=env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    finally:
        log.close()


def finish(crawl: subprocess.Popen[str], db: Path, timeout: float = 600) -> str:
    """Wait for the crawl; its output."""
    crawl.wait(timeout=timeout)
    return (db.parent / "crawl.log").read_text(encoding="utf-8")


def wait_until(condition: object, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_reads_and_snapshot_queries_all_succeed_while_a_crawl_runs(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "scout.duckdb")
    campaign = clean_air_campaign(tmp_path)
    snapshot = snapshot_path(db)
    runner = CliRunner()
    with Store(db) as store:  # what analysts had before this crawl
        store.publish_snapshot()
    analyst = duckdb.connect(str(snapshot), read_only=True)  # kept open throughout
    before = analyst.execute("SELECT count(*) FROM leads").fetchall()[0][0]
    first_inode = snapshot.stat().st_ino
    republished = 0
    # a slow network (small published budgets): the crawl lasts while we read
    with DemoNetwork(
        n_accounts=400, n_posts=4000, rate_limit=25, window=2, bsky_rate_limit=25
    ) as net:
        demo = write_demo_campaign(net.state, tmp_path / "demo.toml")
        crawl = start_crawl(demo, db)
        try:
            wait_until(lambda: sum(s["total"] for s in net.stats().values()) >= 5, "requests")
            # a slow upstream holds the crawl open while we read (released afterwards):
            # the reads run during the crawl by construction, not by a race
            net.faults(latency=1.0)
            outcomes: list[tuple[str, int, str]] = []
            for i in range(100):
                if crawl.poll() is not None:
                    raise AssertionError(f"the crawl ended after {i} reads: {finish(crawl, db)}")
                if i % 20 == 0:  # a real `scout leads` process now and then
                    proc = scout("leads", str(campaign), "--db", str(db), cwd=tmp_path)
                    outcomes.append(("subprocess", proc.returncode, proc.stdout + proc.stderr))
                else:
                    res = runner.invoke(app, ["leads", str(campaign), "--db", str(db)])
                    outcomes.append(("in process", res.exit_code, res.output + repr(res.exception)))
                # the analyst's open snapshot and a fresh one both answer
                assert analyst.execute("SELECT count(*) FROM leads").fetchall()[0][0] == before
                with duckdb.connect(str(snapshot), read_only=True) as fresh:
                    assert fresh.execute("SELECT count(*) FROM posts").fetchall()[0][0] >= 0
                republished += snapshot.stat().st_ino != first_inode
            still_running = crawl.poll() is None
            net.faults(latency=0.0)
            analyst.close()
            output = finish(crawl, db)
        finally:
            if crawl.poll() is None:
                crawl.kill()
    assert still_running, "every read happened while the crawl ran"
    assert republished, "the crawl published the snapshot while it ran"
    failed = [o for o in outcomes if o[1] != 0]
    assert not failed, failed[:3]
    assert len(outcomes) == 100
    # the ranked tables, not "no leads" (handles may wrap in a narrow terminal)
    assert all("volunteer leads" in text for _kind, _rc, text in outcomes)
    assert crawl.returncode == 0, output
    with duckdb.connect(str(snapshot), read_only=True) as con:  # published at the end
        latest = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1")
        assert latest.fetchall() == [("ok",)]


def test_three_simultaneous_exports_on_an_idle_database(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "scout.duckdb")
    campaign = clean_air_campaign(tmp_path)
    outs = [tmp_path / f"leads-{i}.csv" for i in range(3)]
    cmd = [sys.executable, "-m", "crawler.cli", "export", str(campaign), "--db", str(db)]
    procs = [
        subprocess.Popen(
            [*cmd, "--out", str(out)], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for out in outs
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    texts = [out.read_text(encoding="utf-8") for out in outs]
    assert texts[0] == texts[1] == texts[2]
    assert "jana@chaos.social" in texts[0]


def test_a_short_read_waits_for_a_writer_then_reads(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "scout.duckdb")
    campaign = clean_air_campaign(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(db)!r}); "
         "print('ready', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    reader = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "leads", str(campaign), "--db", str(db)],
        env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # the reader is retrying; the writer's unit ends
    threading.Timer(2.0, lambda: holder.communicate("\n")).start()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert "volunteer leads" in out and "influencer leads" in out


def test_waiting_is_bounded_and_the_error_is_one_line(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "scout.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(db)!r}); "
         "print('ready', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        with pytest.raises(DatabaseBusy) as err:
            Store(db, read_only=True, busy_wait=1.0)
        assert time.monotonic() - started >= 1.0
        assert "\n" not in str(err.value) and "in use" in str(err.value)
        proc = scout("leads", str(clean_air_campaign(tmp_path)), "--db", str(db), cwd=tmp_path)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and "in use" in lines[0], proc.stderr
    finally:
        holder.communicate("\n")


def test_a_read_of_an_unmigrated_database_says_so(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE schema_meta (version INTEGER, applied_at TIMESTAMPTZ)")
        con.execute("INSERT INTO schema_meta VALUES (1, now())")
    proc = scout("leads", str(clean_air_campaign(tmp_path)), "--db", str(db), cwd=tmp_path)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "needs upgrading" in lines[0] and "scout crawl" in lines[0]
    with duckdb.connect(str(db), read_only=True) as con:  # the read changed nothing
        assert con.execute("SELECT max(version) FROM schema_meta").fetchall() == [(1,)]


def test_the_store_holds_the_file_only_during_a_unit(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "scout.duckdb")
    other_process = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(db)!r}).close()"]
    with Store(db) as store:
        assert subprocess.run(other_process, timeout=60).returncode == 0  # between units
        with store.session():
            assert store.count("leads") > 0
            assert subprocess.run(other_process, capture_output=True, timeout=60).returncode
        # caches survive reopening: the salt is the same, the opt-out set is kept
        salt = store.forget_hash("someone@example.org")
        store.record_opt_out("mastodon:https://x.example/users/a", "a@x.example", "noindex")
        assert store.is_opted_out("a@x.example")
        assert subprocess.run(other_process, timeout=60).returncode == 0
        assert store.forget_hash("someone@example.org") == salt
        assert store.is_opted_out("a@x.example")
    memory = Store(":memory:")
    memory.upsert_accounts([])
    memory.record_opt_out("bluesky:did:plc:abc", None, "label")
    assert memory.count("opted_out") == 1  # the in-memory database stays open
    memory.close()


def test_publishing_the_snapshot_keeps_readers_of_the_old_one(tmp_path: Path) -> None:
    db = seeded_db(tmp_path / "scout.duckdb")
    with Store(db) as store:
        published = store.publish_snapshot()
        assert published == tmp_path / "scout.read.duckdb"
        old = duckdb.connect(str(published), read_only=True)
        n = old.execute("SELECT count(*) FROM leads").fetchall()[0][0]
        store.forget("jana@chaos.social")
        store.publish_snapshot()
    assert old.execute("SELECT count(*) FROM leads").fetchall()[0][0] == n  # unchanged
    old.close()
    with duckdb.connect(str(published), read_only=True) as new:
        assert new.execute("SELECT count(*) FROM leads").fetchall()[0][0] == n - 1
    assert not list(tmp_path.glob(".scout.read.duckdb.*"))  # no temporary copy left


def live_campaign(jetstream: str) -> Campaign:
    with allowed_hosts(jetstream, "http://127.0.0.1:9"):
        return Campaign.model_validate(
            {
                # the crawl's campaign: a live run and a crawl of it may overlap
                "campaign": {"name": DEMO_CAMPAIGN_NAME, "hashtags": ["SaubereLuftJetzt"]},
                "bluesky": {
                    "service": "http://127.0.0.1:9",
                    "jetstream": jetstream,
                    "handle_env": "SCOUT_TEST_NO_SUCH_HANDLE",
                    "password_env": "SCOUT_TEST_NO_SUCH_PASSWORD",
                },
            }
        )


@pytest.mark.slow
def test_live_and_a_crawl_share_one_database(tmp_path: Path) -> None:
    db = tmp_path / "scout.duckdb"
    events, _uris = scenario()
    with (
        ReplayServer(events) as server,
        DemoNetwork(n_accounts=120, n_posts=1200, rate_limit=60, window=2) as net,
    ):
        demo = write_demo_campaign(net.state, tmp_path / "demo.toml")
        stop = threading.Event()
        live_result: list[object] = []
        with allowed_hosts(server.url):
            live = threading.Thread(
                target=lambda: live_result.append(
                    run_live(live_campaign(server.url), db, stop=stop, install_signals=False)
                )
            )
            live.start()
            try:
                wait_until(db.exists, "the live run to create the database")
                crawl = start_crawl(demo, db)
                output = finish(crawl, db)
            finally:
                stop.set()
                live.join(timeout=120)
    assert crawl.returncode == 0, output
    assert live_result and getattr(live_result[0], "status", None) == "ok", live_result
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT campaign, status FROM runs ORDER BY campaign").fetchall()
        posts = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    assert runs == [(DEMO_CAMPAIGN_NAME, "ok"), (DEMO_CAMPAIGN_NAME, "ok")]
    assert posts > 0
