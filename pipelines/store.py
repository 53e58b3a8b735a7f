"""Last step: buffer items and write them to DuckDB in Arrow batches.

Cursors (:class:`crawler.core.items.CursorItem`) flush everything buffered before them, then
are saved, so a run killed at any point resumes without losing what it collected and
without duplicates (upserts are keyed). Collectors yield a cursor after every page
(:mod:`crawler.core.resume`), so a flush happens at least once a page.

:class:`StoreExtension` gives a Scrapy crawl its store: the one the app handed (crawler
attribute :data:`~crawler.core.protocols.STORE_ATTR`) or, for a plain ``scrapy crawl``,
one opened from the ``SCOUT_DB`` setting and closed when the engine stops."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawler.core.items import (
    AccountItem,
    CursorItem,
    FollowItem,
    InteractionItem,
    ListMemberItem,
    PostItem,
    SeedListItem,
)
from crawler.core.protocols import STORE_ATTR, StatsLike
from crawler.core.vocab import DEFAULT_DB
from crawler.db.store import Store
from pipelines.consent import ConsentPipeline
from pipelines.factory import Pipeline

logger = logging.getLogger(__name__)


class StoragePipeline(Pipeline):
    def __init__(self, store: Store, stats: StatsLike, *, batch_size: int = 2000) -> None:
        self.store = store
        self.stats = stats
        self.batch_size = batch_size
        self.accounts: list[AccountItem] = []
        self.posts: list[PostItem] = []
        self.interactions: list[InteractionItem] = []
        self.follows: list[FollowItem] = []
        self.members: list[ListMemberItem] = []
        # an account may opt out after some of its items were buffered (a full profile
        # arriving after a post): the consent step's verdict is checked again at flush
        self.consent: ConsentPipeline | None = None
        self.crawler: Crawler | None = None

    @classmethod
    def build(cls, store: Store, stats: StatsLike, settings: BaseSettings) -> Self:
        return cls(store, stats, batch_size=settings.getint("SCOUT_BATCH_SIZE", 2000))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = super().from_crawler(crawler)
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        if self.crawler is not None and self.consent is None:
            self.consent = self.crawler.get_item_pipeline(ConsentPipeline)

    def _pending(self) -> int:
        return (
            len(self.accounts)
            + len(self.posts)
            + len(self.interactions)
            + len(self.follows)
            + len(self.members)
        )

    def _drop_blocked(self) -> None:
        if self.consent is None or not self.consent.blocked_ids:
            return
        blocked = self.consent.blocked_ids
        before = self._pending()
        self.accounts = [a for a in self.accounts if a.account_id not in blocked]
        self.posts = [p for p in self.posts if p.account_id not in blocked]
        self.interactions = [
            i
            for i in self.interactions
            if i.src_account_id not in blocked and i.dst_account_id not in blocked
        ]
        self.follows = [
            f
            for f in self.follows
            if f.src_account_id not in blocked and f.dst_account_id not in blocked
        ]
        self.members = [m for m in self.members if m.account_id not in blocked]
        if self._pending() < before:
            self.stats.inc_value("scout/consent/buffered_items_dropped", before - self._pending())

    def flush(self) -> None:
        self._drop_blocked()
        blocks = self.consent is not None and bool(self.consent.pending)
        if not self._pending() and not blocks:
            return
        # one unit of work: the database is held for this batch only (other processes
        # read and write between batches)
        with self.store.session():
            if self.consent is not None:
                self.consent.commit_blocks()  # opt-outs seen since the last batch
            # accounts first, so posts and interactions can be resolved against them
            if self.accounts:
                new = self.store.upsert_accounts(self.accounts)
                self.stats.inc_value("scout/accounts_new", new)
                self.stats.inc_value("scout/accounts_stored", len(self.accounts))
            if self.posts:
                new = self.store.upsert_posts(self.posts)
                self.stats.inc_value("scout/posts_new", new)
                self.stats.inc_value("scout/posts_stored", len(self.posts))
            if self.interactions:
                new = self.store.add_interactions(self.interactions)
                self.stats.inc_value("scout/interactions_new", new)
            if self.follows:
                new = self.store.add_follows(self.follows)
                self.stats.inc_value("scout/follows_new", new)
                self.stats.inc_value("scout/follows_stored", len(self.follows))
            if self.members:
                new = self.store.add_list_members(self.members)
                self.stats.inc_value("scout/list_members_new", new)
        self.accounts, self.posts, self.interactions = [], [], []
        self.follows, self.members = [], []

    def process_item(self, item: Any) -> Any:
        if isinstance(item, AccountItem):
            self.accounts.append(item)
        elif isinstance(item, PostItem):
            self.posts.append(item)
        elif isinstance(item, InteractionItem):
            self.interactions.append(item)
        elif isinstance(item, FollowItem):
            self.follows.append(item)
        elif isinstance(item, ListMemberItem):
            self.members.append(item)
        elif isinstance(item, SeedListItem):
            # the end of a walk: everything of it is stored before edges are marked gone
            with self.store.session():
                self.flush()
                gone = self.store.finish_seed_list(item)
            self.stats.inc_value("scout/follows_gone", gone)
            self.stats.inc_value(f"scout/seed_lists/{item.status}")
            return item
        elif isinstance(item, CursorItem):
            with self.store.session():  # the batch and the cursor after it: one unit
                self.flush()
                self.store.set_cursor(item.source, item.key, item.value)
            self.stats.inc_value("scout/cursors_saved")
            return item
        if self._pending() >= self.batch_size:
            self.flush()
        return item

    def close_spider(self) -> None:
        with self.store.session():
            self.flush()
            self.store.resolve_refs()


class StoreExtension:
    """Sets the crawler's store before the pipelines need it."""

    def __init__(self, crawler: Crawler) -> None:
        self.opened: Store | None = None
        if getattr(crawler, STORE_ATTR, None) is None:
            self.opened = Store(crawler.settings.get("SCOUT_DB", DEFAULT_DB))
            setattr(crawler, STORE_ATTR, self.opened)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def engine_stopped(self) -> None:
        if self.opened is not None:
            self.opened.close()
            self.opened = None
