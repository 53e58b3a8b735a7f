"""`scout check`: the campaign file is valid and every configured source answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.app.check import check_campaign, plain
from crawler.core.config import load_campaign
from scout_demo.server import (
    DEMO_BSKY_HANDLE,
    DEMO_BSKY_PASSWORD,
    DemoNetwork,
    write_demo_campaign,
)
from tests.support.cli import ROOT, one_line_error, scout
from tests.support.jetstream import ReplayServer, scenario
from tests.support.net import allowed_hosts


@pytest.fixture(scope="module")
def net() -> Iterator[DemoNetwork]:
    with DemoNetwork(n_accounts=40, n_posts=200) as network:
        yield network


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_check(campaign: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "check", str(campaign), "--timeout", "5"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_source_of_the_demo_network_answers(net: DemoNetwork, tmp_path: Path) -> None:
    campaign = write_demo_campaign(net.state, tmp_path / "c.toml")
    proc = run_check(
        campaign,
        tmp_path,
        SCOUT_DEMO_BSKY_HANDLE=DEMO_BSKY_HANDLE,
        SCOUT_DEMO_BSKY_PASSWORD=DEMO_BSKY_PASSWORD,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith(f"campaign file OK ({len(net.urls)} sources)")
    for url, line in zip(net.mastodon_urls, lines[1:], strict=False):
        assert line.startswith(f"ok     mastodon {url}: nodeinfo: mastodon ")
        assert "timeline answers" in line
    assert lines[-1].startswith(f"ok     bluesky {net.bluesky_url}: logged in as ")
    assert len(lines) == 1 + len(net.urls)
    served = net.stats()
    assert all(s["total"] > 0 for s in served.values())  # every server was asked


def test_a_dead_instance_and_a_failing_timeline_fail_with_reasons(
    net: DemoNetwork, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    refusing = net.mastodon_urls[1]
    net.faults(refusing, status=503, count=1, path="/api/v1/timelines/tag/")
    with allowed_hosts(dead):
        campaign = write_demo_campaign(net.state, tmp_path / "c.toml")
        text = campaign.read_text().replace(
            f'instances = ["{net.mastodon_urls[0]}"',
            f'instances = ["{dead}", "{net.mastodon_urls[0]}"',
        )
        campaign.write_text(text)
        probes = check_campaign(load_campaign(campaign), session_dir=tmp_path, timeout=5)
    by_source = {p.source: p for p in probes}
    assert not by_source[f"mastodon {dead}"].ok
    assert "cannot connect" in by_source[f"mastodon {dead}"].detail
    assert not by_source[f"mastodon {refusing}"].ok
    assert "tag timeline: HTTP 503" in by_source[f"mastodon {refusing}"].detail
    assert by_source[f"mastodon {net.mastodon_urls[0]}"].ok
    # no Bluesky login in the environment: the public lookup answers, and says so
    bsky = by_source[f"bluesky {net.bluesky_url}"]
    assert bsky.ok and "no login" in bsky.detail


def test_exit_1_and_one_line_per_source_when_one_fails(net: DemoNetwork, tmp_path: Path) -> None:
    campaign = write_demo_campaign(net.state, tmp_path / "c.toml")
    proc = run_check(
        campaign,
        tmp_path,
        SCOUT_DEMO_BSKY_HANDLE=DEMO_BSKY_HANDLE,
        SCOUT_DEMO_BSKY_PASSWORD="wrong-password",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 + len(net.urls)
    assert lines[-1].startswith(f"FAILED bluesky {net.bluesky_url}: login failed")
    assert all(line.startswith("ok ") for line in lines[1:-1])
    assert "Traceback" not in proc.stderr


def test_jetstream_is_probed_with_a_websocket_handshake(tmp_path: Path) -> None:
    events, _ = scenario()
    dead = f"ws://127.0.0.1:{closed_port()}/subscribe"
    with ReplayServer(events) as server, allowed_hosts(server.url, dead, "http://127.0.0.1:9"):
        for jet, ok in ((server.url, True), (dead, False)):
            f = tmp_path / "live.toml"
            f.write_text(
                "[campaign]\nname = 'x'\nhashtags = ['SaubereLuftJetzt']\n"
                f"[bluesky]\nservice = 'http://127.0.0.1:9'\njetstream = '{jet}'\n"
                "handle_env = 'SCOUT_TEST_NO_HANDLE'\npassword_env = 'SCOUT_TEST_NO_PASSWORD'\n"
            )
            probes = check_campaign(load_campaign(f), session_dir=tmp_path, timeout=5)
            jetstream = probes[-1]
            assert jetstream.source == f"jetstream {jet}"
            assert jetstream.ok is ok, jetstream
            assert ("websocket opens" if ok else "cannot connect") in jetstream.detail
            assert not probes[0].ok  # nothing listens on the service's port 9


def test_a_bad_campaign_file_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[campaign]\nname = 'x'\nhashtags = ['a']\ncountries = ['UK']\n")
    assert "countries" in one_line_error(scout("check", str(f), cwd=tmp_path))
    f.write_text(
        "[campaign]\nname='x'\nhashtags=['a']\n[mastodon]\ninstances=['http://10.0.0.1']\n"
    )
    assert "SCOUT_ALLOWED_HOSTS" in one_line_error(scout("check", str(f), cwd=tmp_path))


def test_network_text_is_reduced_to_one_printable_line() -> None:
    assert plain("mastodon\x1b[31m 4.3\n\x07evil") == "mastodon [31m 4.3 evil"
    assert len(plain("x" * 500)) == 120
