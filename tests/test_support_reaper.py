"""The test servers' watcher (tests/support/reaper.py): when the test process is killed
before its teardown, what it started is stopped; after a teardown, nothing is touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A stand-in test process: starts two servers (one in a group of its own, as the
# dev-env is), registers its folder, them and a stop command, prints the pids, then
# either waits to be killed or tears down and releases.
CHILD = """
import json, subprocess, sys
from pathlib import Path
from tests.support.reaper import Reaper
work = Path(sys.argv[1]); release = sys.argv[2] == "release"
r = Reaper()
group = subprocess.Popen(["sleep", "300"], start_new_session=True)
plain = subprocess.Popen(["sleep", "300"])
r.rmtree(work / "data")  # registered first, as the dev-env's folder is
r.kill_group(group.pid); r.kill_pid(plain.pid)
# a stop command that needs the folder (pg_ctl -D): it must run before the folder goes
stop = f"import os; os.path.isdir({str(work / 'data')!r}) and open({str(work / 'stopped')!r}, 'w')"
r.run([sys.executable, "-c", stop])
if release:
    group.kill(); plain.kill(); group.wait(); plain.wait()
    r.release()
print(json.dumps([group.pid, plain.pid]), flush=True)
if not release:
    sys.stdin.read()  # until killed
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _start(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], list[int]]:
    (tmp_path / "data").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    pids = json.loads(child.stdout.readline())
    return child, pids


def _wait(check: object, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_killed_test_process_takes_its_servers_with_it(tmp_path: Path) -> None:
    child, pids = _start(tmp_path, "kill")
    try:
        assert all(_alive(p) for p in pids)
        child.send_signal(signal.SIGKILL)  # no teardown runs
        child.wait(10)
        assert _wait(lambda: not any(_alive(p) for p in pids)), "servers outlived the run"
        assert _wait(lambda: (tmp_path / "stopped").exists()), (
            "the stop command did not run (or ran after the folder went)"
        )
        assert _wait(lambda: not (tmp_path / "data").exists()), "the folder was left"
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_after_a_teardown_the_watcher_does_nothing(tmp_path: Path) -> None:
    child, pids = _start(tmp_path, "release")
    assert child.wait(30) == 0
    assert not any(_alive(p) for p in pids)
    assert (tmp_path / "data").is_dir()  # the folder is the teardown's business
    assert not (tmp_path / "stopped").exists()
