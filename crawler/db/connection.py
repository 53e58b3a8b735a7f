"""Opening a DuckDB database for units of work: connect, migrate, transactions, Arrow
batch registration, the analysts' read snapshot.

:class:`Connection` is the base every part of :class:`crawler.db.store.Store` builds on.
DuckDB locks the file per process (readers too), and several processes share one
database (a crawl, ``scout live``, ``scout leads``...), so a store holds the file only
for a **unit of work**: :meth:`Connection.session` (or a method decorated with
:func:`unit`, or :meth:`Connection.transaction`) opens a connection, nested units reuse
it, and it is closed when the outermost unit ends. Opening retries with backoff while
another process holds the file (:data:`WRITE_WAIT` seconds for writers,
:data:`READ_WAIT` for read-only stores), then fails with one line. ``":memory:"`` stays
open for the store's lifetime. Units of stores on the same file in one process (the
threads of ``scout live``) take turns. :attr:`Connection.con` outside any unit (tests, a
Python prompt) opens a connection that stays open until the next unit ends or
:meth:`Connection.close`.

Opening creates the folder, refuses a database newer than this code, migrates an older
one (never when read-only: a read of an un-migrated database says so in one line) and
makes sure the erasure salt exists; the salt and the opt-out caches live in the object,
so they stay valid across reopenings. Every failure to open is a :class:`StorageError`
whose ``str()`` is one line for the user.

The read snapshot ``<db>.read.duckdb`` (:func:`snapshot_path`) is what analysts keep
open: :meth:`Connection.publish_snapshot` checkpoints, copies the file beside it and
renames the copy into place (a reader holding the old one keeps it); a writer created
with ``snapshot_every`` also publishes when that many seconds passed, at the end of a
unit.

SQL statements that are more than a line live in ``crawler/db/sql/*.sql`` and are read
with :func:`sql` (package resources, so they ship in the wheel).
"""

from __future__ import annotations

import functools
import logging
import os
import random
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Concatenate, ParamSpec, Self, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from crawler.core.errors import UserError
from crawler.core.files import atomic_path
from crawler.core.vocab import DEFAULT_DB
from crawler.db import schema

logger = logging.getLogger(__name__)

# How long opening waits while another process holds the file (seconds).
WRITE_WAIT = 30.0
READ_WAIT = 10.0


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


# A long run publishes the read snapshot at least this often (seconds); the environment
# variable SCOUT_SNAPSHOT_EVERY may ask for more often (tests, busy analysts).
SNAPSHOT_EVERY = min(600.0, _seconds("SCOUT_SNAPSHOT_EVERY", 600.0))


class StorageError(UserError):
    """The database cannot be used; ``str()`` is one line for the user."""


class DatabaseBusy(StorageError):
    """Another process held the database for longer than this one would wait."""


@cache
def sql(name: str) -> str:
    """The text of ``crawler/db/sql/<name>.sql`` (constant: values are parameters)."""
    return resources.files("crawler.db").joinpath("sql", f"{name}.sql").read_text("utf-8")


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


def snapshot_path(db: str | Path) -> Path:
    """The read snapshot beside ``db``: ``data/scout.duckdb`` -> ``data/scout.read.duckdb``."""
    path = Path(db)
    return path.with_name(f"{path.stem}.read{path.suffix}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _busy(message: str) -> bool:
    """DuckDB's refusal while another process (or, in this process, a connection opened
    read-only vs read-write) holds the file: worth waiting for."""
    low = message.lower()
    return "lock" in low or "different configuration" in low


class _FileState:
    """What the stores of one file share within a process: whose unit runs, and when
    the snapshot was last published."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.last_snapshot = time.monotonic()


_FILES: dict[str, _FileState] = {}
_FILES_LOCK = threading.Lock()


def _file_state(path: str) -> _FileState:
    if path == ":memory:":
        return _FileState()  # every in-memory database is its own
    key = str(Path(path).resolve())
    with _FILES_LOCK:
        return _FILES.setdefault(key, _FileState())


C = TypeVar("C", bound="Connection")
P = ParamSpec("P")
R = TypeVar("R")


def unit(method: Callable[Concatenate[C, P], R]) -> Callable[Concatenate[C, P], R]:
    """Run the method as one unit of work (nested in the caller's, if any)."""

    @functools.wraps(method)
    def wrapper(self: C, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.session():
            return method(self, *args, **kwargs)

    return wrapper


class Connection:
    """A DuckDB database file, migrated to :data:`schema.SCHEMA_VERSION`, opened per unit
    of work. ``busy_wait`` overrides how long opening waits for another process;
    ``snapshot_every`` (seconds) makes a writer publish the read snapshot that often."""

    def __init__(
        self,
        path: str | Path = DEFAULT_DB,
        *,
        read_only: bool = False,
        busy_wait: float | None = None,
        snapshot_every: float | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.in_memory = self.path == ":memory:"
        self.busy_wait = (
            (READ_WAIT if read_only else WRITE_WAIT) if busy_wait is None else busy_wait
        )
        self.snapshot_every = None if read_only or self.in_memory else snapshot_every
        if not self.in_memory and not read_only:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{self.path}: cannot create folder: {exc}") from None
        if read_only and not self.in_memory and not Path(self.path).exists():
            raise StorageError(f"{self.path}: no such database")
        self._shared = _file_state(self.path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._depth = 0
        self._closed = False
        self._forgotten: set[str] | None = None
        self._opted_out: set[str] | None = None
        self._salt: str | None = None
        try:
            with self.session():
                self._migrate()
                self._salt = self._load_salt()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the open connection, if any. A file store opens again for its next
        unit; an in-memory one is gone."""
        with self._shared.lock:
            con, self._con = self._con, None
            if self.in_memory:
                self._closed = True
            if con is not None:
                con.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """A new connection, waiting with backoff while another process holds the file."""
        if self._closed:
            raise StorageError(f"{self.path}: the store was closed")
        deadline = time.monotonic() + self.busy_wait
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(self.path, read_only=self.read_only)
                break
            except duckdb.Error as exc:
                msg = _first_line(exc)
                if not _busy(msg):
                    raise StorageError(
                        f"{self.path}: not a usable DuckDB database ({msg})"
                    ) from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DatabaseBusy(
                        f"{self.path}: database is in use by another process; waited "
                        f"{self.busy_wait:g} s ({msg})"
                    ) from None
                # jitter: processes retrying together do not collide again in step
                time.sleep(min(left, delay * random.uniform(0.5, 1.5)))
                delay = min(delay * 2, 0.2)  # short naps: a unit ends soon
        try:
            # dates in reasons and exports are UTC whatever the machine's zone
            con.execute("SET TimeZone = 'UTC'")
        except BaseException:
            con.close()
            raise
        return con

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The open connection: the current unit's, else one opened now that stays open
        until the next unit ends or :meth:`close` (for tests and interactive use)."""
        con = self._con
        if con is None:
            with self._shared.lock:
                if self._con is None:
                    self._con = self._connect()
                con = self._con
        return con

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One unit of work: the connection is open inside, closed when the outermost
        unit ends (a file store holds the database no longer than that)."""
        with self._shared.lock:
            if self._con is None:
                self._con = self._connect()
            self._depth += 1
            try:
                yield self._con
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._end_unit()

    def _end_unit(self) -> None:
        if self.in_memory:
            return
        if self.snapshot_every is not None and self._con is not None:
            if time.monotonic() - self._shared.last_snapshot >= self.snapshot_every:
                self._publish(self._con)
        con, self._con = self._con, None
        if con is not None:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """``BEGIN`` ... ``COMMIT``, or ``ROLLBACK`` if the block raises (one unit)."""
        with self.session() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()

    @contextmanager
    def _registered(self, name: str, table: pa.Table | pd.DataFrame) -> Iterator[str]:
        with self.session() as con:
            # DuckDB 2.0 refuses register() while an earlier result (a fetchone() by any
            # caller sharing the connection) is unfinished; finish it without reading it.
            con.complete()
            con.register(name, table)
            try:
                yield name
            finally:
                con.unregister(name)

    def _changed(self, statement: str, params: object = None) -> int:
        """Run a DML statement; the number of rows it inserted, updated or deleted."""
        with self.session() as con:
            rows = con.execute(statement, params).fetchall()
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------------ read snapshot
    def publish_snapshot(self) -> Path | None:
        """Publish ``<db>.read.duckdb`` now; its path, or None for an in-memory or
        read-only store or when it could not be written (logged: analysts keep the
        previous snapshot, the run goes on)."""
        if self.in_memory or self.read_only:
            return None
        try:
            with self.session() as con:
                return self._publish(con)
        except StorageError as exc:
            logger.warning("read snapshot not published: %s", exc)
            return None

    def _publish(self, con: duckdb.DuckDBPyConnection) -> Path | None:
        target = snapshot_path(self.path)
        try:
            # everything in the main file, nothing left in the WAL; this unit holds the
            # file, so nobody writes while it is copied
            con.execute("CHECKPOINT")
            with atomic_path(target) as tmp:
                shutil.copyfile(self.path, tmp)
        except (duckdb.Error, OSError) as exc:
            logger.warning("read snapshot %s not published: %s", target, _first_line(exc))
            return None
        self._shared.last_snapshot = time.monotonic()
        return target

    # ------------------------------------------------------------------ schema
    def _table_exists(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    @unit
    def schema_version(self) -> int:
        if not self._table_exists("schema_meta"):
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_meta").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self) -> None:
        try:
            current = self.schema_version()
        except duckdb.Error as exc:
            raise StorageError(f"{self.path}: cannot read schema ({_first_line(exc)})") from None
        if current > schema.SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: database schema version {current} is newer than this "
                f"eci-scout understands ({schema.SCHEMA_VERSION}); upgrade eci-scout"
            )
        pending = [(v, ddl) for v, ddl in schema.MIGRATIONS if v > current]
        if not pending:
            return
        if self.read_only:
            raise StorageError(
                f"{self.path}: database schema version {current} needs upgrading to "
                f"{schema.SCHEMA_VERSION}; a writer (e.g. `scout crawl`) upgrades it"
            )
        with self.transaction() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER, applied_at TIMESTAMPTZ)"
            )
            for version, ddl in pending:
                con.execute(ddl)
                con.execute("INSERT INTO schema_meta VALUES (?, ?)", [version, now()])

    def _load_salt(self) -> str | None:
        row = self.con.execute("SELECT value FROM settings WHERE name = 'forget_salt'").fetchone()
        if row and row[0]:
            return str(row[0])
        if self.read_only:
            return None
        salt = secrets.token_hex(32)
        self.con.execute(
            "INSERT INTO settings VALUES ('forget_salt', ?) ON CONFLICT (name) DO NOTHING",
            [salt],
        )
        row = self.con.execute("SELECT value FROM settings WHERE name = 'forget_salt'").fetchone()
        return str(row[0]) if row else salt

    @unit
    def count(self, table: str) -> int:
        """Row count of one of the known tables (names checked against the schema)."""
        known = {r[0] for r in self.con.execute("SHOW TABLES").fetchall()}
        if table not in known:
            raise StorageError(f"no table {table!r}")
        row = self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
        return int(row[0]) if row else 0
