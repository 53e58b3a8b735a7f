"""Consent filter: nothing of an opted-out or erased account goes further.

An account is opted out when the platform says so (Mastodon ``discoverable``/
``indexable`` false, ``noindex`` true; Bluesky ``!no-unauthenticated``), when its profile
carries ``#nobot``/``#noindex``/``#nosearch``/``#nobots``, or when ``scout forget`` erased
it. Its posts, the interactions it makes and its follow edges are dropped; interactions that point at it
are dropped and its handle is removed from other posts' ``mentions``. Data stored before
it opted out is deleted the first time the opt-out is seen. Opt-outs are remembered
across runs as salted hashes (table ``opted_out``), so a later post's mention of the
account is dropped too; the memory is cleared when the account is seen again without
its opt-out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.settings import BaseSettings

from crawler.core.consent import opt_out_reason
from crawler.core.items import (
    AccountItem,
    FollowItem,
    InteractionItem,
    ListMemberItem,
    PostItem,
)
from crawler.core.protocols import StatsLike
from pipelines.factory import Pipeline

if TYPE_CHECKING:
    from crawler.db.store import Store

logger = logging.getLogger(__name__)
PENDING_MAX = 500  # opt-outs held before they are written without waiting for a batch


class ConsentPipeline(Pipeline):
    def __init__(self, store: Store, stats: StatsLike, *, respect_opt_outs: bool = True) -> None:
        self.store = store
        self.stats = stats
        self.respect_opt_outs = respect_opt_outs
        self.blocked_ids: set[str] = set()
        self.blocked_handles: set[str] = set()
        self.allowed_ids: set[str] = set()
        self.allowed_handles: set[str] = set()
        self.pending: list[tuple[str, str, str]] = []  # (account_id, handle, reason)

    @classmethod
    def build(cls, store: Store, stats: StatsLike, settings: BaseSettings) -> Self:
        if not settings.getbool("SCOUT_CONSENT_ENABLED", True):
            raise NotConfigured("consent filter switched off")
        return cls(store, stats, respect_opt_outs=settings.getbool("SCOUT_RESPECT_OPT_OUTS", True))

    def _block(self, account: AccountItem, why: str) -> None:
        first_time = account.account_id not in self.blocked_ids
        self.blocked_ids.add(account.account_id)
        self.blocked_handles.add(account.handle.lower())
        if first_time:
            self.stats.inc_value("scout/consent/accounts_skipped")
            self.stats.inc_value(f"scout/consent/reason/{why.split('=')[0].split(' ')[0]}")
            # remembered and erased in one unit of work with the next batch (a follower
            # list holds dozens of opted-out accounts: one erasure pass per account held
            # the whole walk back); nothing of the account is written before that
            self.pending.append((account.account_id, account.handle, why))
            if len(self.pending) >= PENDING_MAX:
                self.commit_blocks()

    def commit_blocks(self) -> None:
        """Remember the opt-outs seen since the last call (salted hashes) and delete
        what is stored about those accounts: one unit of work for all of them."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        removed = self.store.record_opt_outs_and_delete(pending)
        deleted = removed.get("accounts", 0)
        if deleted:
            logger.info("deleted stored data of %d opted-out accounts", deleted)
            self.stats.inc_value("scout/consent/accounts_deleted", deleted)

    def _check_account(self, account: AccountItem) -> bool:
        """True when the account may be collected."""
        if account.account_id in self.blocked_ids:
            return False
        if self.store.is_forgotten(account.account_id, account.handle):
            self.blocked_ids.add(account.account_id)
            self.blocked_handles.add(account.handle.lower())
            self.stats.inc_value("scout/consent/forgotten_skipped")
            return False
        why = opt_out_reason(account) if self.respect_opt_outs else None
        if why:
            self._block(account, why)
            return False
        if account.account_id not in self.allowed_ids:
            if (
                self.respect_opt_outs
                and not _shows_every_signal(account)
                and (
                    self.store.is_opted_out(account.account_id)
                    or self.store.is_opted_out(account.handle)
                )
            ):
                # another server's view of a Mastodon account does not publish
                # ``noindex``: it cannot withdraw an opt-out its home server showed
                self.blocked_ids.add(account.account_id)
                self.blocked_handles.add(account.handle.lower())
                self.stats.inc_value("scout/consent/opt_outs_kept")
                return False
            self.allowed_ids.add(account.account_id)
            self.allowed_handles.add(account.handle.lower())
            if self.store.clear_opt_out(account.account_id, account.handle):
                self.stats.inc_value("scout/consent/opt_outs_withdrawn")
        return True

    def _blocked_handle(self, handle: str | None) -> bool:
        if not handle:
            return False
        h = handle.lower()
        return h in self.blocked_handles or (
            self.respect_opt_outs and h not in self.allowed_handles and self.store.is_opted_out(h)
        )

    def _blocked_id(self, account_id: str | None) -> bool:
        if account_id is None:
            return False
        if account_id in self.blocked_ids:
            return True
        if account_id not in self.allowed_ids and (
            self.store.is_forgotten(account_id)
            or (self.respect_opt_outs and self.store.is_opted_out(account_id))
        ):
            self.blocked_ids.add(account_id)
            return True
        return False

    def close_spider(self) -> None:
        self.commit_blocks()
        # a post may mention an account before that account's opt-out was seen; the
        # storage step (closed before this one) has written everything by now
        if self.blocked_handles:
            changed = self.store.strip_mentions(sorted(self.blocked_handles))
            self.stats.inc_value("scout/consent/mentions_removed", changed)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, AccountItem):
            if not self._check_account(item):
                raise DropItem(f"opted out: {item.account_id}")
        elif isinstance(item, PostItem):
            if self._blocked_id(item.account_id):
                self.stats.inc_value("scout/consent/posts_skipped")
                raise DropItem(f"post of an opted-out account: {item.post_id}")
            if item.mentions:
                keep = [
                    (h, i)
                    for h, i in zip(
                        item.mentions,
                        item.mention_ids or [None] * len(item.mentions),
                        strict=False,
                    )
                    if not self._blocked_handle(h) and not self._blocked_id(i)
                ]
                if len(keep) < len(item.mentions):
                    item.mentions = [h for h, _ in keep]
                    item.mention_ids = [i for _, i in keep]
        elif isinstance(item, InteractionItem):
            dst_blocked = self._blocked_id(item.dst_account_id) or self._blocked_handle(
                item.dst_handle
            )
            if self._blocked_id(item.src_account_id) or dst_blocked:
                self.stats.inc_value("scout/consent/interactions_skipped")
                raise DropItem("interaction with an opted-out account")
        elif isinstance(item, FollowItem):
            if self._blocked_id(item.src_account_id) or self._blocked_id(item.dst_account_id):
                self.stats.inc_value("scout/consent/follows_skipped")
                raise DropItem("follow edge of an opted-out account")
        elif isinstance(item, ListMemberItem):
            if self._blocked_id(item.account_id):
                self.stats.inc_value("scout/consent/members_skipped")
                raise DropItem("list member that opted out")
        return item


def _shows_every_signal(account: AccountItem) -> bool:
    """Whether this view of the account shows every opt-out signal: a Mastodon account
    read through its home server publishes ``noindex`` (other servers leave it out);
    Bluesky labels and profile texts travel everywhere."""
    return account.platform != "mastodon" or account.noindex is not None
