"""Start ``mastodon-mock`` (a stateful Mastodon API server, a dev dependency) on
127.0.0.1 for an integration test, and call its API as its users would.

The server runs in a subprocess with a config file written by the test, its access log
(uvicorn's) in a file the test can read: it is the server's own record of every request
and answer status.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.net import allowed_hosts
from tests.support.reaper import Reaper

_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(
    base: str,
    method: str,
    path: str,
    token: str | None = None,
    *,
    form: dict[str, str] | None = None,
) -> Any:
    """One API call (127.0.0.1 only); ``form`` is sent form-encoded, as Mastodon.py
    does (mastodon-mock's ``update_credentials`` reads only a form body)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


@dataclass(frozen=True)
class RunningMock:
    base: str
    log: Path  # the access log
    database: Path  # its SQLite file

    def requests(self) -> list[tuple[str, str, int]]:
        """Every request the server logged so far: (method, target, status)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [
            (m["method"], m["target"], int(m["status"]))
            for m in map(_ACCESS.search, text.splitlines())
            if m is not None
        ]


@contextmanager
def mastodon_mock(
    config: str,
    workdir: Path,
    probe_token: str | None = None,
    *,
    probe_path: str = "/api/v1/instance",
) -> Iterator[RunningMock]:
    """Run mastodon-mock with this config text (a ``[database]`` file under ``workdir``
    is added) until the block ends; the address policy names it meanwhile. The
    readiness probe (``probe_path``) carries ``probe_token`` so it spends no other
    client's budget."""
    exe = Path(sys.executable).with_name("mastodon_mock")
    if not exe.exists() and shutil.which("mastodon_mock") is None:
        # a dev dependency (pyproject.toml): missing means a broken install, not a skip
        pytest.fail("mastodon-mock is not installed: pip install -e '.[dev]'")
    database = workdir / "mock.sqlite"
    cfg = workdir / ".mastodon_mock.toml"
    # its media under workdir too: left to itself it makes a /tmp folder per start and
    # never removes it (a top-level key, so before the config's own tables)
    media = json.dumps(str(workdir / "media"))
    cfg.write_text(
        f"media_storage_path = {media}\n{config}\n[database]\npath = {json.dumps(str(database))}\n",
        encoding="utf-8",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = workdir / "mock.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(exe) if exe.exists() else "mastodon_mock", "serve", "--log-level", "info"]
        + ["--host", "127.0.0.1", "--port", str(port), "--config", str(cfg)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_PROXY": "127.0.0.1", "PYTHONUNBUFFERED": "1"},
    )
    reaper = Reaper()  # if this test process is killed, the server dies with it
    reaper.kill_pid(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                api(base, "GET", probe_path, probe_token)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mastodon-mock did not start: {log_path.read_text()}")
                time.sleep(0.2)
        with allowed_hosts(base):  # the address policy refuses loopback it does not name
            yield RunningMock(base, log_path, database)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        reaper.release()
        log.close()
