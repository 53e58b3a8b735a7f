"""The same pipeline chain, for collectors that do not run inside Scrapy (atproto SDK,
Mastodon.py, Jetstream): build the classes once, push items through ``process_item``."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from pipelines.consent import ConsentPipeline
from pipelines.dedupe import DedupePipeline
from pipelines.normalize import NormalizePipeline
from pipelines.stats import Stats
from pipelines.store import StoragePipeline

if TYPE_CHECKING:
    from crawler.db.store import Store

logger = logging.getLogger(__name__)


class PipelineChain:
    def __init__(
        self,
        store: Store,
        stats: Stats | None = None,
        *,
        respect_opt_outs: bool = True,
        batch_size: int = 2000,
    ) -> None:
        self.stats = stats or Stats()
        self.consent = ConsentPipeline(store, self.stats, respect_opt_outs=respect_opt_outs)
        self.storage = StoragePipeline(store, self.stats, batch_size=batch_size)
        self.storage.consent = self.consent
        self.steps: list[Any] = [
            NormalizePipeline(self.stats),
            self.consent,
            DedupePipeline(self.stats),
            self.storage,
        ]

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
        return sum(1 for item in items if self.process(item) is not None)

    def close(self) -> None:
        # the order Scrapy uses: the last pipeline closes first
        self.storage.close_spider()
        self.consent.close_spider()
