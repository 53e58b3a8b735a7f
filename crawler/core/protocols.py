"""What lower layers need from higher ones, as protocols: a platform or a pipeline is
handed an object that fits, never imports the class behind it."""

from __future__ import annotations

from typing import Any, Protocol


class StatsLike(Protocol):
    """Scrapy's stats collector, or :class:`pipelines.stats.Stats` outside Scrapy."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def get_value(self, key: str, default: Any = None) -> Any: ...


class CursorReader(Protocol):
    """Where a collector learns where its last run stopped (``cursors`` table)."""

    def get_cursor(self, source: str, key: str) -> str | None: ...
