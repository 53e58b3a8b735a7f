"""`scout live`: the live sources wired together, with a clean stop and a run record."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb
import pytest

from crawler.app.live import Flusher, LiveError, feed, run_live
from crawler.core.config import Campaign
from tests.support.cli import one_line_error, scout
from tests.support.jetstream import ReplayServer, scenario
from tests.support.net import allowed_hosts


def live_campaign(jetstream: str | None) -> Campaign:
    raw: dict[str, object] = {
        "campaign": {"name": "Saubere Luft", "hashtags": ["SaubereLuftJetzt", "ČistýVzduch"]},
    }
    if jetstream:
        raw["bluesky"] = {
            "service": "http://127.0.0.1:9",
            "jetstream": jetstream,
            "handle_env": "SCOUT_TEST_NO_SUCH_HANDLE",
            "password_env": "SCOUT_TEST_NO_SUCH_PASSWORD",
        }
    with allowed_hosts("http://127.0.0.1:9", jetstream or ""):  # loopback test servers
        return Campaign.model_validate(raw)


def test_live_follows_jetstream_until_stopped_and_records_the_run(tmp_path: Path) -> None:
    events, _uris = scenario()
    db = tmp_path / "live.duckdb"
    with ReplayServer(events) as server:
        stop = threading.Event()
        timer = threading.Timer(4.0, stop.set)
        timer.start()
        try:
            result = run_live(live_campaign(server.url), db, stop=stop, install_signals=False)
        finally:
            timer.cancel()
    assert result.status == "ok", result.errors
    assert result.events["bluesky"] > len(events) // 2  # the firehose was read
    with duckdb.connect(str(db), read_only=True) as con:
        status, stats = con.execute("SELECT status, stats FROM runs").fetchall()[0]
        cursors = con.execute("SELECT source, value FROM cursors").fetchall()
        posts = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
    assert status == "ok" and json.loads(stats)["mode"] == "live"
    assert cursors and cursors[0][0].startswith("jetstream:127.0.0.1")
    assert int(cursors[0][1]) > 0  # resumable
    # without a Bluesky login the authors' profiles cannot be checked: nothing is stored
    assert posts == 0


def test_live_stops_after_duration(tmp_path: Path) -> None:
    events, _ = scenario()
    with ReplayServer(events) as server:
        result = run_live(
            live_campaign(server.url), tmp_path / "d.duckdb", duration=2, install_signals=False
        )
    assert result.status == "ok"


def test_nothing_to_follow_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(LiveError, match="nothing to follow live"):
        run_live(live_campaign(None), tmp_path / "x.duckdb", duration=1, install_signals=False)
    f = tmp_path / "c.toml"
    f.write_text("[campaign]\nname='x'\nhashtags=['a']\n")
    line = one_line_error(scout("live", str(f), "--db", str(tmp_path / "x.duckdb"), cwd=tmp_path))
    assert "nothing to follow live" in line


class _CountingChain:
    """What a live source's items meet: keeps even numbers, counts flushes."""

    def __init__(self) -> None:
        self.flushes = 0

    def process(self, item: int) -> int | None:
        return item if item % 2 == 0 else None

    def flush(self) -> None:
        self.flushes += 1


def test_flusher_flushes_only_when_due_and_feed_flushes_at_the_end() -> None:
    chain = _CountingChain()
    flusher = Flusher(chain, every=60)
    flusher.tick()
    assert chain.flushes == 0 and not flusher.due()
    flusher.last -= 61  # a minute later
    assert flusher.due()
    flusher.tick()
    assert chain.flushes == 1 and not flusher.due()
    assert feed(flusher, range(5)) == 3  # 0, 2, 4 kept
    assert chain.flushes == 2  # not due meanwhile; once at the end
