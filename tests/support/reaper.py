"""Servers the tests start die with the test run, however it ends.

A fixture's teardown does not run when pytest itself is killed (SIGKILL, an OOM kill, a
CI job cancelled): the PDS, AppView, PostgreSQL and Redis it started would keep running
and keep their ports and folders. :class:`Reaper` starts a small watcher process (this
file run as a script, in a session of its own so a Ctrl-C to the test run's group does
not reach it) that reads orders on a pipe from the test process. When the pipe closes
without the word ``done`` (the test process is gone, whatever killed it), the watcher
carries the orders out: SIGKILL to the process groups and pids, then the stop commands
(``pg_ctl stop``), then the folders removed, whatever order they came in. A normal teardown stops the servers itself and
then :meth:`Reaper.release` says ``done``.

Orders, one JSON array per line: ``["group", pgid]``, ``["pid", pid]``,
``["run", [argv...]]``, ``["rmtree", path]``; then ``["done"]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any


class Reaper:
    """The test process's end of the pipe: register what to undo, then release."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        assert self._proc.stdin is not None
        self._pipe: IO[bytes] | None = self._proc.stdin

    def _order(self, *order: Any) -> None:
        if self._pipe is None:
            raise RuntimeError("the reaper was released")
        self._pipe.write(json.dumps(order).encode() + b"\n")
        self._pipe.flush()

    def kill_group(self, pgid: int) -> None:
        self._order("group", pgid)

    def kill_pid(self, pid: int) -> None:
        self._order("pid", pid)

    def run(self, argv: list[str]) -> None:
        self._order("run", argv)

    def rmtree(self, path: Path) -> None:
        self._order("rmtree", str(path))

    def release(self) -> None:
        """The servers were stopped by the teardown: the watcher exits doing nothing."""
        if self._pipe is None:
            return
        with contextlib.suppress(BrokenPipeError):
            self._order("done")
            self._pipe.close()
        self._pipe = None
        self._proc.wait(10)


def _carry_out(orders: list[list[Any]]) -> None:
    for kind, *args in orders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if kind == "group":
                os.killpg(int(args[0]), signal.SIGKILL)
            elif kind == "pid":
                os.kill(int(args[0]), signal.SIGKILL)
    for kind, *args in orders:  # the stop commands need the folders: these go last
        if kind == "run":
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(args[0], timeout=60, check=False, capture_output=True)
    for kind, *args in orders:
        if kind == "rmtree":
            shutil.rmtree(args[0], ignore_errors=True)


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the test process decides, not Ctrl-C
    orders: list[list[Any]] = []
    for line in sys.stdin.buffer:
        order = json.loads(line)
        if order == ["done"]:
            return 0
        orders.append(order)
    _carry_out(orders)  # end of file without "done": the test process is gone
    return 0


if __name__ == "__main__":
    sys.exit(main())
