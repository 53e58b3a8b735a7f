"""One way to build a pipeline, inside Scrapy or in :class:`pipelines.chain.PipelineChain`:
``build(store, stats, settings)``. Scrapy's ``from_crawler`` hands it the run's store
(the crawler attribute :data:`~crawler.core.protocols.STORE_ATTR`, set by the app or by
:class:`pipelines.store.StoreExtension`), the crawler's stats and settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.core.protocols import STORE_ATTR, StatsLike

if TYPE_CHECKING:
    from crawler.db.store import Store


class Pipeline:
    @classmethod
    def build(cls, store: Store, stats: StatsLike, settings: BaseSettings) -> Self:
        raise NotImplementedError

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        store = getattr(crawler, STORE_ATTR, None)
        if store is None:
            raise RuntimeError(
                f"no store on the crawler ({STORE_ATTR}): enable pipelines.store.StoreExtension"
            )
        assert crawler.stats is not None
        return cls.build(store, crawler.stats, crawler.settings)
