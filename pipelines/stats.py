"""A minimal stats collector with Scrapy's ``inc_value``/``get_value`` interface, for the
API collectors that run the pipeline chain outside Scrapy."""

from __future__ import annotations

from typing import Any


class Stats:
    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self._values[key] = self._values.get(key, start) + count

    def set_value(self, key: str, value: Any) -> None:
        self._values[key] = value

    def get_value(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def get_stats(self) -> dict[str, Any]:
        return dict(self._values)
