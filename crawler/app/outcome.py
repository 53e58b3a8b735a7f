"""A run's outcome, told truthfully: per source what was read and what went wrong (the
``sources`` part of ``runs.stats``, see DESIGN.md), one line per source that failed or
lost pages, and the run's status:

* ``failed``: every configured source failed (nothing could be collected);
* ``partial``: some source failed, skipped pages or lost requests;
* ``ok``: everything was read (retries that then succeeded are counted, not failures).

Retention purges are not per source: they are the run's ``purged`` (rows per table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.core.protocols import ERROR_LINES

# per source: where its counters are in its collector's stats
_PAGES = {"mastodon": "scout/mastodon/pages", "bluesky": "scout/bluesky/pages"}


@dataclass
class SourceOutcome:
    name: str
    pages: int = 0
    retries: int = 0
    http_429: int = 0
    timeouts: int = 0
    pages_skipped: int = 0
    failed_requests: int = 0
    errors: list[str] = field(default_factory=list)
    failure: str | None = None  # the source could not run at all (login, ...)

    @property
    def failed(self) -> bool:
        """Nothing could be read: it raised, or every request it made failed."""
        return self.failure is not None or (self.pages == 0 and bool(self.errors))

    @property
    def lossy(self) -> bool:
        return self.failed or self.pages_skipped > 0 or self.failed_requests > 0

    def line(self) -> str | None:
        """One line for stderr and ``failures``: what failed and why; ``None`` if all
        went well."""
        if self.failure is not None:
            return f"{self.name}: failed: {self.failure}"
        if not self.errors and not self.lossy:
            return None
        what = "failed" if self.failed else f"{self.pages_skipped} pages skipped"
        detail = "; ".join(self.errors[:5]) or f"{self.failed_requests} requests failed"
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        return f"{self.name}: {what}: {detail}{more}"

    def as_stats(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "retries": self.retries,
            "http_429": self.http_429,
            "timeouts": self.timeouts,
            "pages_skipped": self.pages_skipped,
            "errors": ([self.failure] if self.failure else []) + self.errors,
        }


def _int(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def source_outcome(
    name: str, stats: Mapping[str, Any], failure: str | None = None
) -> SourceOutcome:
    """Read one collector's own stats (before they are merged into the run's)."""
    lines = stats.get(ERROR_LINES)
    # Scrapy counts every timeout by exception type; the SDK collectors in scout/timeouts
    timeouts = sum(
        _int(stats, k)
        for k in stats
        if k.startswith("downloader/exception_type_count/") and "Timeout" in k
    ) or _int(stats, "scout/timeouts")
    return SourceOutcome(
        name=name,
        pages=_int(stats, _PAGES.get(name, f"scout/{name}/pages")),
        # Scrapy counts its retries in retry/count, the SDK collectors in scout/retries
        retries=_int(stats, "retry/count") or _int(stats, "scout/retries"),
        http_429=_int(stats, "scout/ratelimit/429"),
        timeouts=timeouts,
        pages_skipped=_int(stats, "scout/pages_skipped"),
        failed_requests=_int(stats, "scout/errors/requests"),
        errors=[str(x) for x in lines] if isinstance(lines, list) else [],
        failure=failure,
    )


def run_status(outcomes: list[SourceOutcome]) -> str:
    if outcomes and all(o.failed for o in outcomes):
        return "failed"
    if any(o.lossy or o.errors for o in outcomes):
        return "partial"
    return "ok"
