"""Drop what this run has already seen: the same status read through several Mastodon
instances (same ActivityPub URI), the same interaction, the same account refreshed twice.
Storage upserts are idempotent anyway; this keeps the batches small."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings

from crawler.core.items import AccountItem, InteractionItem, PostItem
from crawler.core.protocols import StatsLike
from pipelines.factory import Pipeline

if TYPE_CHECKING:
    from crawler.db.store import Store


class DedupePipeline(Pipeline):
    def __init__(self, stats: StatsLike) -> None:
        self.stats = stats
        self.posts: set[str] = set()
        self.accounts: dict[str, bool] = {}  # account_id -> seen with full counts
        self.refs: set[str] = set()  # server-local account ids ("host#id") passed on
        self.interactions: set[tuple[str, str, str, str]] = set()

    @classmethod
    def build(cls, store: Store, stats: StatsLike, settings: BaseSettings) -> Self:
        return cls(stats)

    def forget_post(self, post_id: str) -> None:
        self.posts.discard(post_id)

    def forget_account(self, account_id: str) -> None:
        self.accounts.pop(account_id, None)

    def forget_all(self) -> None:
        self.posts.clear()
        self.accounts.clear()
        self.refs.clear()
        self.interactions.clear()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PostItem):
            if item.post_id in self.posts:
                self.stats.inc_value("scout/dedupe/posts")
                raise DropItem(f"duplicate post {item.post_id}")
            self.posts.add(item.post_id)
        elif isinstance(item, AccountItem):
            # an account is refreshed at most once a run; a full profile (with counts)
            # may still follow the short one embedded in a post
            full = item.followers_count is not None
            seen_full = self.accounts.get(item.account_id)
            # ... unless it is read through another server: its local id there resolves
            # replies and mentions made on that server (kept the first time, not the next
            # run, so a rerun stores exactly what the first run did)
            new_refs = not self.refs.issuperset(item.local_refs)
            if seen_full is not None and (seen_full or not full) and not new_refs:
                self.stats.inc_value("scout/dedupe/accounts")
                raise DropItem(f"account already refreshed this run: {item.account_id}")
            self.accounts[item.account_id] = full or bool(seen_full)
            self.refs.update(item.local_refs)
        elif isinstance(item, InteractionItem):
            key = (
                item.src_account_id,
                item.kind,
                item.post_id,
                item.dst_account_id or item.dst_handle or "",
            )
            if key in self.interactions:
                self.stats.inc_value("scout/dedupe/interactions")
                raise DropItem("duplicate interaction")
            self.interactions.add(key)
        # follow edges pass every time: the same edge in two lists (seed A follows seed
        # B) must refresh both walks' sightings, or a complete walk marks it gone
        return item
