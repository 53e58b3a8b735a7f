"""Opening a DuckDB database: connect, migrate, transactions, Arrow batch registration.

:class:`Connection` is the base every part of :class:`crawler.db.store.Store` builds on.
Opening creates the folder, refuses a database newer than this code, migrates an older
one (never when read-only) and makes sure the erasure salt exists. Every failure to
open is a :class:`StorageError` whose ``str()`` is one line for the user.

SQL statements that are more than a line live in ``crawler/db/sql/*.sql`` and are read
with :func:`sql` (package resources, so they ship in the wheel).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Self

import duckdb
import pandas as pd
import pyarrow as pa

from crawler.core.errors import UserError
from crawler.core.vocab import DEFAULT_DB
from crawler.db import schema


class StorageError(UserError):
    """The database cannot be used; ``str()`` is one line for the user."""


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Connection:
    """One open DuckDB database file, migrated to :data:`schema.SCHEMA_VERSION`."""

    def __init__(self, path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        in_memory = self.path == ":memory:"
        if not in_memory and not read_only:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{self.path}: cannot create folder: {exc}") from None
        if read_only and not in_memory and not Path(self.path).exists():
            raise StorageError(f"{self.path}: no such database")
        try:
            self.con: duckdb.DuckDBPyConnection = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            msg = _first_line(exc)
            if "lock" in msg.lower():
                raise StorageError(
                    f"{self.path}: database is in use by another process ({msg})"
                ) from None
            raise StorageError(f"{self.path}: not a usable DuckDB database ({msg})") from None
        self._forgotten: set[str] | None = None
        self._opted_out: set[str] | None = None
        self._salt: str | None = None
        try:
            # dates in reasons and exports are UTC whatever the machine's zone
            self.con.execute("SET TimeZone = 'UTC'")
            self._migrate()
            self._salt = self._load_salt()
        except BaseException:
            self.con.close()
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
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """``BEGIN`` ... ``COMMIT``, or ``ROLLBACK`` if the block raises."""
        self.con.begin()
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    @contextmanager
    def _registered(self, name: str, table: pa.Table | pd.DataFrame) -> Iterator[str]:
        # DuckDB 2.0 refuses register() while an earlier result (a fetchone() by any
        # caller sharing the connection) is unfinished; finish it without reading it.
        self.con.complete()
        self.con.register(name, table)
        try:
            yield name
        finally:
            self.con.unregister(name)

    def _changed(self, statement: str, params: object = None) -> int:
        """Run a DML statement; the number of rows it inserted, updated or deleted."""
        rows = self.con.execute(statement, params).fetchall()
        return int(rows[0][0]) if rows else 0

    # ------------------------------------------------------------------ schema
    def _table_exists(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

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
                f"{schema.SCHEMA_VERSION}; open it once without read-only"
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

    def count(self, table: str) -> int:
        """Row count of one of the known tables (names checked against the schema)."""
        known = {r[0] for r in self.con.execute("SHOW TABLES").fetchall()}
        if table not in known:
            raise StorageError(f"no table {table!r}")
        row = self.con.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608
        return int(row[0]) if row else 0
