"""Unattended runs, end to end against the demo network on 127.0.0.1: a crawl killed
again and again still finishes (progress is saved per page, nothing lost or stored
twice), SIGTERM during a rate-limit wait stops the run within seconds and marks it
``interrupted``, and a run that can reach no source says so: status ``failed``, exit 1,
one line per source, no traceback."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.core.resume import Backfill, backfill_key
from scout_demo.network import DemoNetwork, write_demo_campaign
from tests.support.crawlrun import (
    crawl_cmd,
    crawl_env,
    duplicates,
    last_run,
    listing_pages,
    narrow_campaign,
    post_ids,
    rows,
    run_crawl_cli,
)

KILLS = 20


def test_backfill_state_round_trips_and_tolerates_junk() -> None:
    state = Backfill(at="117", top="900", floor="40")
    assert Backfill.decode(state.encode()) == state
    assert Backfill.decode("") is None  # cleared
    assert Backfill.decode("{not json") is None
    assert Backfill.decode('{"at": ""}') is None
    assert backfill_key("tag:x") == "tag:x#backfill"


def _wait_for(cond: object, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """Poll ``cond()`` until true; False if the crawl ended first."""
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    raise AssertionError("the crawl made no progress before the deadline")


@pytest.mark.slow
def test_killed_twenty_times_then_finishes_without_loss(tmp_path: Path) -> None:
    rng = random.Random(20260)
    with DemoNetwork(seed=11, n_accounts=300, n_posts=10000) as net:
        # one instance, one hashtag, no seeds: one timeline walk at a time, so a kill can
        # lose at most the one page being read (seed walks resume by page too:
        # tests/test_mastodon_follows.py, tests/test_bluesky_follows.py)
        campaign = narrow_campaign(
            write_demo_campaign(net.state, tmp_path / "c.toml", seeds=False),
            net.mastodon_urls[:1],
            ["cleanaireci"],
        )
        reference = tmp_path / "reference.duckdb"
        done = run_crawl_cli(campaign, reference)
        assert done.returncode == 0, done.stderr
        _, ref_paged = listing_pages(net)
        assert ref_paged > KILLS, "the world is too small to kill the crawl mid-way"
        t0 = time.monotonic()
        want = post_ids(reference)

        db = tmp_path / "killed.duckdb"
        env = crawl_env()
        killed = 0
        for _ in range(KILLS):
            served = listing_pages(net)[0]
            target = served + rng.randint(2, 4)  # pages this run reads before the kill
            proc = subprocess.Popen(
                crawl_cmd(campaign, db),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 60
            if _wait_for(lambda t=target: listing_pages(net)[0] >= t, proc, deadline):
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait(timeout=30)
        t1 = time.monotonic()
        final = run_crawl_cli(campaign, db)
        print(f"kill loop {t1 - t0:.0f} s, final run {time.monotonic() - t1:.0f} s")
        assert final.returncode == 0, final.stderr
        _, all_paged = listing_pages(net)

    print(f"kills {killed}, reference pages {ref_paged}, all {all_paged}")  # -s shows it
    assert killed >= KILLS // 2, f"only {killed} runs were killed mid-crawl"
    stored = post_ids(db)
    assert not want - stored, f"{len(want - stored)} of {len(want)} posts lost"
    assert duplicates(db) == 0
    # continued, not restarted: pages that continue a listing were read about once
    extra = (all_paged - ref_paged) - ref_paged
    assert extra <= KILLS + 5, f"{extra} listing pages read again after {killed} kills"
    statuses = [r[0] for r in rows(db, "SELECT status FROM runs ORDER BY started_at")]
    assert statuses[-1] == "ok"
    assert statuses.count("interrupted") == len(statuses) - 1


@pytest.mark.slow
def test_sigterm_during_a_rate_limit_wait_stops_within_ten_seconds(tmp_path: Path) -> None:
    # 8 requests per 60 s: the crawl soon waits for a reset a minute away
    with DemoNetwork(seed=12, n_accounts=200, n_posts=3000, rate_limit=8, window=60) as net:
        campaign = write_demo_campaign(net.state, tmp_path / "c.toml")
        db = tmp_path / "s.duckdb"
        proc = subprocess.Popen(
            crawl_cmd(campaign, db),
            env=crawl_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

        def spent() -> bool:
            return any(s["total"] >= 8 for s in net.stats().values())

        assert _wait_for(spent, proc, time.monotonic() + 120), "the crawl ended first"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert took < 10, f"SIGTERM took {took:.1f} s"
    assert proc.returncode == 130, err.decode()
    assert b"Traceback" not in err
    assert rows(db, "SELECT status FROM runs")[-1][0] == "interrupted"


def test_no_source_reachable_fails_with_one_line_each(tmp_path: Path) -> None:
    with DemoNetwork(seed=13, n_accounts=60, n_posts=300) as net:
        campaign = write_demo_campaign(net.state, tmp_path / "c.toml")
        env = crawl_env()  # names the demo servers, which are gone next
        urls = net.mastodon_urls
    db = tmp_path / "s.duckdb"
    proc = subprocess.run(
        crawl_cmd(campaign, db), env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith(("error:", "warning:"))]
    assert len(lines) == 2, proc.stderr
    masto = next(x for x in lines if "mastodon:" in x)
    bsky = next(x for x in lines if "bluesky:" in x)
    for url in urls:  # every unreachable instance named, with the reason
        assert url.removeprefix("http://") + " unreachable (" in masto
    assert "refused" in masto.lower()
    assert "cannot log in" in bsky and "refused" in bsky.lower()
    status, stats = last_run(db)
    assert status == "failed"
    assert set(stats["sources"]) == {"mastodon", "bluesky"}
    assert stats["sources"]["mastodon"]["errors"] and stats["sources"]["bluesky"]["errors"]
    assert len(proc.stderr.splitlines()) <= 6, proc.stderr  # no log storm for cron
