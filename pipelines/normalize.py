"""First step: drop items that cannot be stored, normalise the rest."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings

from crawler.core.items import AccountItem, InteractionItem, PostItem
from crawler.core.protocols import StatsLike
from pipelines.factory import Pipeline

if TYPE_CHECKING:
    from crawler.db.store import Store

logger = logging.getLogger(__name__)

KINDS = frozenset({"mention", "reply", "repost", "quote"})


def _unique_lower(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        t = tag.strip().lstrip("#").lower()
        if t and t not in out:
            out.append(t)
    return out


class NormalizePipeline(Pipeline):
    def __init__(self, stats: StatsLike) -> None:
        self.stats = stats

    @classmethod
    def build(cls, store: Store, stats: StatsLike, settings: BaseSettings) -> Self:
        return cls(stats)

    def _drop(self, why: str, item: Any) -> DropItem:
        self.stats.inc_value(f"scout/dropped/invalid/{why}")
        return DropItem(f"invalid item ({why}): {type(item).__name__}")

    def process_item(self, item: Any) -> Any:
        now = datetime.now(UTC)
        if isinstance(item, PostItem):
            if not item.post_id or not item.account_id:
                raise self._drop("post_without_id", item)
            item.hashtags = _unique_lower(item.hashtags)
            item.text = (item.text or "").strip()
            if item.lang:
                item.lang = item.lang.split("-")[0].split("_")[0].lower() or None
            item.collected_at = item.collected_at or now
        elif isinstance(item, AccountItem):
            if not item.account_id or not item.handle:
                raise self._drop("account_without_id", item)
            item.handle = item.handle.lstrip("@")
            item.seen_at = item.seen_at or now
        elif isinstance(item, InteractionItem):
            if item.kind not in KINDS or not item.src_account_id or not item.post_id:
                raise self._drop("bad_interaction", item)
            if item.dst_account_id is None and not item.dst_handle:
                raise self._drop("interaction_without_target", item)
            if item.dst_account_id == item.src_account_id:
                raise self._drop("self_interaction", item)
        return item
