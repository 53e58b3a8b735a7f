"""The Scrapy add-on that wires the pipeline chain into a crawl.

Scrapy settings name it by string (``ADDONS`` in ``crawler/fetch/settings.py``), so the
platforms layer never imports pipelines; the add-on enables the same
:data:`pipelines.ITEM_PIPELINES` that :class:`pipelines.chain.PipelineChain` builds for
the API collectors (one list, one order) and the extension that opens the run's store
when none was handed (a plain ``scrapy crawl``)."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from pipelines import ITEM_PIPELINES

STORE_EXTENSION = "pipelines.store.StoreExtension"


class ScoutPipelines:
    def update_settings(self, settings: BaseSettings) -> None:
        for name, order in ITEM_PIPELINES.items():
            settings["ITEM_PIPELINES"][name] = order
        settings["EXTENSIONS"][STORE_EXTENSION] = 100
