"""The same pipelines Scrapy runs (the ``ITEM_PIPELINES`` setting, in its order), for the
collectors that run outside Scrapy (atproto SDK, Mastodon.py, Jetstream): the app feeds
the items they yield through :meth:`PipelineChain.process`.

It fits :class:`crawler.core.protocols.ItemSink`: the Jetstream consumer flushes before
an erasure and lets deleted posts and renamed accounts in again through it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from pipelines import ITEM_PIPELINES
from pipelines.consent import ConsentPipeline
from pipelines.dedupe import DedupePipeline
from pipelines.stats import Stats
from pipelines.store import StoragePipeline

if TYPE_CHECKING:
    from crawler.db.store import Store

logger = logging.getLogger(__name__)
T = TypeVar("T")


class PipelineChain:
    def __init__(
        self,
        store: Store,
        stats: Stats | None = None,
        *,
        respect_opt_outs: bool = True,
        batch_size: int = 2000,
        pipelines: Mapping[str, int] = ITEM_PIPELINES,
    ) -> None:
        self.stats = stats or Stats()
        settings = BaseSettings(
            {"SCOUT_RESPECT_OPT_OUTS": respect_opt_outs, "SCOUT_BATCH_SIZE": batch_size}
        )
        self.steps: list[Any] = []
        for path, _order in sorted(pipelines.items(), key=lambda kv: kv[1]):
            try:
                self.steps.append(load_object(path).build(store, self.stats, settings))
            except NotConfigured:  # as Scrapy: a pipeline may switch itself off
                continue
        self.consent = self._step(ConsentPipeline)
        self.dedupe = self._step(DedupePipeline)
        self.storage = self._step(StoragePipeline)
        if self.storage is not None:
            self.storage.consent = self.consent

    def _step(self, cls: type[T]) -> T | None:
        return next((s for s in self.steps if isinstance(s, cls)), None)

    def process(self, item: Any) -> Any | None:
        """Run one item through the chain; ``None`` when a step dropped it."""
        for step in self.steps:
            try:
                item = step.process_item(item)
            except DropItem as exc:
                self.stats.inc_value("item_dropped_count")
                logger.debug("dropped: %s", exc)
                return None
        self.stats.inc_value("item_scraped_count")
        return item

    def process_many(self, items: Iterable[Any]) -> int:
        """Every item a collector yields, in its order; how many were kept."""
        return sum(1 for item in items if self.process(item) is not None)

    def flush(self) -> None:
        if self.storage is not None:
            self.storage.flush()

    def forget_post(self, post_id: str) -> None:
        if self.dedupe is not None:
            self.dedupe.forget_post(post_id)

    def forget_account(self, account_id: str) -> None:
        if self.dedupe is not None:
            self.dedupe.forget_account(account_id)

    def forget_seen(self) -> None:
        if self.dedupe is not None:
            self.dedupe.forget_all()

    def close(self) -> None:
        # the order Scrapy uses: the last pipeline closes first
        for step in reversed(self.steps):
            close = getattr(step, "close_spider", None)
            if close is not None:
                close()
