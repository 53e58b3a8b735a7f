"""What lower layers need from higher ones, as protocols: a platform or a pipeline is
handed an object that fits, never imports the class behind it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from crawler.core.matching import CampaignMatcher


class StatsLike(Protocol):
    """Scrapy's stats collector, or :class:`pipelines.stats.Stats` outside Scrapy."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...

    def get_value(self, key: str, default: Any = None) -> Any: ...


# The attribute of a Scrapy ``Crawler`` that carries the run's store: the app sets it
# before the crawl (one store per run); without it (plain ``scrapy crawl``)
# ``pipelines.store.StoreExtension`` opens one from the ``SCOUT_DB`` setting.
STORE_ATTR = "scout_store"
# The stats value in which a collector lists, in words, one line per host or query that
# failed or lost pages; the app puts them in the runs row and on stderr.
ERROR_LINES = "scout/error_lines"


class CursorReader(Protocol):
    """Where a collector learns where its last run stopped (``cursors`` table)."""

    def get_cursor(self, source: str, key: str) -> str | None: ...


class InstanceStore(Protocol):
    """Where the Mastodon instance registry is loaded from and saved to."""

    def load_instances(self) -> list[dict[str, Any]]: ...

    def save_instances(self, rows: list[dict[str, Any]]) -> int: ...


class HandleLookup(Protocol):
    """Which of these handles are already stored (the spider's mention look-ups)."""

    def known_handles(self, handles: list[str]) -> set[str]: ...


class ItemSink(Protocol):
    """Where a live collector's items go (the app hands it the pipeline chain): items
    one at a time (``None`` back when a step dropped it), plus what a firehose needs
    when authors delete or rename things."""

    @property
    def stats(self) -> StatsLike: ...

    def process(self, item: Any) -> Any | None: ...

    def flush(self) -> None:
        """Write everything buffered (before an erasure, so nothing is written after)."""

    def forget_post(self, post_id: str) -> None:
        """Let this post in again (it was deleted; a later event may recreate it)."""

    def forget_account(self, account_id: str) -> None:
        """Let this account's profile in again (a new handle)."""

    def forget_seen(self) -> None:
        """Empty the run-wide duplicate filter (a long live run keeps memory flat)."""


class BlueskyLiveStore(CursorReader, Protocol):
    """What the Jetstream consumer reads and erases in the store."""

    def bluesky_known(self, matcher: CampaignMatcher) -> dict[str, Any]: ...

    def delete_posts(self, post_ids: Sequence[str]) -> None: ...

    def delete_account_data(self, account_id: str) -> dict[str, int]: ...


class MastodonStore(CursorReader, InstanceStore, HandleLookup, Protocol):
    """Everything the Mastodon spider reads from the run's store."""
