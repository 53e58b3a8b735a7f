"""Progress on the terminal for long work: pages fetched per platform, accounts
classified. Shown on stderr when it is a terminal (rich turns live display off for cron
and pipes), so logs and the final summary stay clean.

``run_crawl`` opens a :class:`CrawlProgress` and makes it current; the Scrapy extension
:class:`ScrapyProgress` and the API collectors update it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

_current: CrawlProgress | None = None


class CrawlProgress:
    def __init__(self, console: Console | None = None, *, enabled: bool | None = None) -> None:
        self.console = console or Console(stderr=True)
        if enabled is None:  # SCOUT_PROGRESS=1/0 forces it on/off; else: a terminal only
            forced = os.environ.get("SCOUT_PROGRESS", "")
            enabled = forced == "1" if forced in ("0", "1") else self.console.is_terminal
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not enabled,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        global _current
        self.progress.start()
        _current = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _current
        self.progress.stop()
        _current = None

    def task(self, name: str, total: float | None = None) -> TaskID:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=total, note="")
        return self.tasks[name]

    def update(
        self, name: str, *, advance: float = 0, total: float | None = None, note: str = ""
    ) -> None:
        task = self.task(name)
        kwargs: dict[str, Any] = {"advance": advance, "note": note}
        if total is not None:
            kwargs["total"] = total
        self.progress.update(task, **kwargs)

    def done(self, name: str, note: str = "") -> None:
        task_id = self.task(name)
        task = next(t for t in self.progress.tasks if t.id == task_id)
        total = task.total if task.total is not None else (task.completed or 1)
        kwargs: dict[str, Any] = {"note": note} if note else {}
        self.progress.update(task_id, total=total, completed=total, **kwargs)


def current() -> CrawlProgress | None:
    return _current


@contextmanager
def step(name: str, total: int | None = None) -> Iterator[CrawlProgress | None]:
    """A progress line for one step of the run (no-op without a current progress)."""
    progress = current()
    if progress is not None:
        progress.task(name, total=total)
    yield progress
    if progress is not None:
        progress.done(name)


class ScrapyProgress:
    """Scrapy extension: one progress line for the Mastodon spider (pages, statuses)."""

    def __init__(self, crawler: Crawler, progress: CrawlProgress) -> None:
        self.crawler = crawler
        self.progress = progress

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        progress = current()
        if progress is None:
            raise NotConfigured("no terminal progress for this run")
        ext = cls(crawler, progress)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _note(self) -> str:
        stats = self.crawler.stats
        assert stats is not None
        statuses = stats.get_value("scout/mastodon/statuses", 0)
        waits = stats.get_value("scout/ratelimit/budget_waits", 0)
        return f"{statuses:,} statuses" + (f", {waits} rate-limit waits" if waits else "")

    def response_received(self, *args: Any, **kwargs: Any) -> None:
        self.progress.update("Mastodon requests", advance=1, note=self._note())

    def spider_closed(self, *args: Any, **kwargs: Any) -> None:
        self.progress.done("Mastodon requests", note=self._note())
