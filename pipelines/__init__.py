"""Item pipelines: one chain for every source (Scrapy spiders and API collectors).

Order (Scrapy takes it through :mod:`pipelines.addon`): normalize -> consent -> dedupe -> store.
"""

from pipelines.consent import ConsentPipeline
from pipelines.dedupe import DedupePipeline
from pipelines.normalize import NormalizePipeline
from pipelines.store import StoragePipeline

ITEM_PIPELINES: dict[str, int] = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.consent.ConsentPipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StoragePipeline": 900,
}

__all__ = [
    "ITEM_PIPELINES",
    "ConsentPipeline",
    "DedupePipeline",
    "NormalizePipeline",
    "StoragePipeline",
]
