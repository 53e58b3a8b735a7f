"""What the pipelines share: access to the database and to the run's stats."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from crawler.db.store import Store

DEFAULT_DB = "data/scout.duckdb"

_STORES: dict[str, Store] = {}


class StatsLike(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def get_value(self, key: str, default: Any = None) -> Any: ...


def shared_store(db: str | Path) -> Store:
    """One :class:`Store` per database file and process, shared by spiders, pipelines
    and the crawl orchestrator (DuckDB allows one writer process per file)."""
    from crawler.db.store import Store

    key = str(Path(db).resolve())
    store = _STORES.get(key)
    if store is None:
        store = Store(db)
        _STORES[key] = store
    return store


def register_store(db: str | Path, store: Store) -> None:
    _STORES[str(Path(db).resolve())] = store


def release_store(db: str | Path) -> None:
    _STORES.pop(str(Path(db).resolve()), None)
