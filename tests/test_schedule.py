"""`scout schedule`: the crontab line of a regular crawl, its logs, and `--install`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from crawler.app.schedule import ScheduleError, cron_fields
from tests.support.cli import ROOT, one_line_error

CAMPAIGN = '[campaign]\nname = "Save Bees and Farmers"\nhashtags = ["SaveBees"]\n'

FAKE_CRONTAB = """#!/bin/sh
# a stand-in for crontab(1): the table lives in $FAKE_CRONTAB_FILE
if [ "$1" = "-l" ]; then
    if [ -f "$FAKE_CRONTAB_FILE" ]; then cat "$FAKE_CRONTAB_FILE"; exit 0; fi
    echo "no crontab for $(id -un)" >&2; exit 1
fi
if [ "$1" = "-" ]; then cat > "$FAKE_CRONTAB_FILE"; exit 0; fi
echo "usage: crontab [-l | -]" >&2; exit 1
"""


def run(tmp_path: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAKE_CRONTAB_FILE": str(tmp_path / "tab")}
    env["PATH"] = path if path is not None else f"{tmp_path / 'bin'}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "schedule", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    (tmp_path / "bees.toml").write_text(CAMPAIGN, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "crontab"
    fake.write_text(FAKE_CRONTAB, encoding="utf-8")
    fake.chmod(0o755)
    return tmp_path


def test_every_becomes_even_cron_fields() -> None:
    assert cron_fields("15m", "a").endswith("-59/15 * * * *")
    minute, hours, *rest = cron_fields("6h", "a").split()
    assert 0 <= int(minute) < 60 and hours.endswith("-23/6") and rest == ["*", "*", "*"]
    assert cron_fields("1h", "a").split()[1:] == ["*", "*", "*", "*"]
    minute, hour, *rest = cron_fields("1d", "a").split()
    assert 0 <= int(hour) < 24 and rest == ["*", "*", "*"]
    assert cron_fields("6h", "a") == cron_fields("6H", "a")  # same campaign, same minute
    for bad in ("7m", "5h", "2d", "6", "six hours", "0m", "-1h"):
        with pytest.raises(ScheduleError):
            cron_fields(bad, "a")


def test_prints_the_line_with_absolute_paths_and_creates_the_log_folder(setup: Path) -> None:
    proc = run(setup, "bees.toml", "--every", "6h", "--db", "data/bees.duckdb")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    job = lines[-1]
    assert lines[-2].startswith("# eci-scout schedule ")
    assert "SCOUT_BLUESKY" not in proc.stdout  # the campaign has no Bluesky section
    assert f"{Path(sys.executable).parent / 'scout'} crawl {setup / 'bees.toml'}" in job
    assert f"--db {setup / 'data' / 'bees.duckdb'}" in job
    assert (setup / "data" / "logs").is_dir()
    assert "save-bees-and-farmers-$(date +\\%Y-\\%m-\\%d).log 2>&1" in job
    assert job.split()[1].endswith("-23/6")


def test_the_line_logs_per_day_and_deletes_old_logs_in_plain_sh(setup: Path) -> None:
    proc = run(setup, "bees.toml", "--every", "1d", "--db", "data/bees.duckdb")
    command = proc.stdout.splitlines()[-1].split(" ", 5)[5].replace("\\%", "%")  # as cron does
    logs = setup / "data" / "logs"
    old = logs / "save-bees-and-farmers-2020-01-01.log"
    recent = logs / "save-bees-and-farmers-2020-01-02.log"
    other = logs / "another-campaign-2020-01-01.log"
    for f in (old, recent, other):
        f.write_text("earlier run\n")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(other, (month_ago, month_ago))
    # the campaign file is broken now: the crawl fails at once, with its one line logged
    (setup / "bees.toml").write_text("[campaign]\nname = 'x'\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(setup), "PYTHONPATH": str(ROOT)}  # cron's
    done = subprocess.run(["/bin/sh", "-c", command], env=env, cwd="/", timeout=120)
    assert done.returncode == 0
    today = logs / f"save-bees-and-farmers-{date.today().isoformat()}.log"
    assert "scout: error:" in today.read_text()
    assert not old.exists() and recent.exists() and other.exists()


def test_install_is_idempotent_and_keeps_other_entries(setup: Path) -> None:
    (setup / "tab").write_text("MAILTO=me@example.org\n0 3 * * * /usr/bin/backup\n")
    first = run(setup, "bees.toml", "--every", "6h", "--install")
    assert first.returncode == 0, first.stderr
    assert "added to your crontab" in first.stderr
    again = run(setup, "bees.toml", "--every", "6h", "--install")
    assert again.returncode == 0 and "already in your crontab" in again.stderr
    tab = (setup / "tab").read_text()
    assert tab.startswith("MAILTO=me@example.org\n0 3 * * * /usr/bin/backup\n")
    assert tab.count("# eci-scout schedule") == 1
    assert tab.endswith(first.stdout.split("\n", 0)[0].splitlines()[-1] + "\n")
    # a new interval replaces the entry; another campaign file gets its own
    hourly = run(setup, "bees.toml", "--every", "1h", "--install")
    assert hourly.returncode == 0 and "added to" in hourly.stderr
    (setup / "other.toml").write_text(CAMPAIGN, encoding="utf-8")
    assert run(setup, "other.toml", "--install").returncode == 0
    tab = (setup / "tab").read_text()
    assert tab.count("# eci-scout schedule") == 2
    bees = [line for line in tab.splitlines() if "bees.toml" in line and "crawl" in line]
    assert len(bees) == 1 and bees[0].split()[1:5] == ["*", "*", "*", "*"]


def test_install_into_an_empty_crontab(setup: Path) -> None:
    proc = run(setup, "bees.toml", "--every", "30m", "--install")
    assert proc.returncode == 0, proc.stderr
    lines = (setup / "tab").read_text().splitlines()
    assert len(lines) == 2 and lines[1].split()[0].endswith("-59/30")


def test_bad_interval_and_missing_crontab_are_one_line_errors(setup: Path) -> None:
    assert "--every '7m'" in one_line_error(run(setup, "bees.toml", "--every", "7m"))
    assert "m, h or d" in one_line_error(run(setup, "bees.toml", "--every", "often"))
    empty = setup / "empty-bin"
    empty.mkdir()
    line = one_line_error(run(setup, "bees.toml", "--install", path=str(empty)))
    assert "no `crontab` command" in line
    assert not (setup / "tab").exists()
