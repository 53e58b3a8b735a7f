"""Consent before storage, for the Jetstream consumer: nothing of an account goes into
the pipelines before its full profile (bio, self-labels) does, so the consent step
decides on the profile.

:class:`HeldItems` keeps items per author until ``getProfiles`` (through a
:class:`ProfileSource`, :data:`PROFILE_BATCH` DIDs a call) answers, then hands the
profile and the items, in that order, to ``release``.  An answered author counts as
known for ``profile_ttl`` seconds (a bounded cache): later items pass at once.

- Without a source, items are **skipped and counted**
  (``scout/jetstream/skipped_no_profile_source``): storing them without a profile could
  store an account that opted out.  An author the service does not return (deleted,
  suspended) is skipped too.
- A failed call keeps the items for the next try; only while the service keeps failing
  do the oldest go once more than ``max_held`` items wait (counted).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from crawler.bluesky.jetstream_records import STATS
from crawler.bluesky.parse import account_id_of, post_url
from crawler.core.items import AccountItem, PostItem
from crawler.core.protocols import StatsLike

logger = logging.getLogger(__name__)

PROFILE_BATCH = 25  # getProfiles takes at most 25 actors


class ProfileSource(Protocol):
    """What the consumer needs from a Bluesky API client: full profiles by DID.

    :class:`crawler.bluesky.collector.BlueskyCollector` is one (``get_profiles``)."""

    def get_profiles(self, dids: list[str]) -> list[AccountItem]: ...


@dataclass(slots=True)
class _Held:
    """Items of one author waiting for the author's profile."""

    items: list[Any] = field(default_factory=list)
    oldest_us: int | None = None


class HeldItems:
    """Items waiting per author for the author's profile; see the module docstring."""

    def __init__(
        self,
        client: ProfileSource | None,
        stats: StatsLike,
        release: Callable[[list[Any]], None],
        *,
        wait: float,
        ttl: float,
        cache_size: int,
        max_held: int,
    ) -> None:
        self.client = client
        self.stats = stats
        self.release = release
        self.wait = wait
        self.ttl = ttl
        self.cache_size = cache_size
        self.max_held = max_held
        self.authors: OrderedDict[str, _Held] = OrderedDict()
        self.count = 0  # held items, all authors
        self.profiles: OrderedDict[str, float] = OrderedDict()  # did -> fetched at
        self._since: float | None = None  # since when authors wait (None: none does)

    def hold(self, did: str, t: int | None, items: list[Any]) -> None:
        """Release ``items`` (``t``: their event's ``time_us``) once ``did``'s profile
        went through, which may be now."""
        if self._profile_known(did):
            self.release(items)
            return
        if self.client is None:
            self.stats.inc_value(STATS + "skipped_no_profile_source")
            return
        entry = self._entry(did)
        entry.items.extend(items)
        self.count += len(items)
        if t is not None and (entry.oldest_us is None or t < entry.oldest_us):
            entry.oldest_us = t
        if len(self.authors) >= PROFILE_BATCH or self.count >= self.max_held:
            self.resolve(once=True)
        # only when the profile service keeps failing: the oldest held items go
        while self.count > self.max_held and self.authors:
            _, old = self.authors.popitem(last=False)
            self._discard(old, "held_items_dropped")

    def refresh(self, did: str) -> bool:
        """Fetch ``did``'s profile again (a new handle); False without a source."""
        if self.client is None:
            return False
        self.profiles.pop(did, None)
        self._entry(did)
        return True

    def erase(self, did: str) -> None:
        """Forget ``did``'s held items and profile (the account is gone)."""
        entry = self.authors.pop(did, None)
        if entry is not None:
            self._discard(entry, "held_items_erased")
        self.profiles.pop(did, None)

    def oldest_us(self) -> int | None:
        """The oldest ``time_us`` still waiting (a saved cursor must stay below it)."""
        times = [e.oldest_us for e in self.authors.values() if e.oldest_us is not None]
        return min(times, default=None)

    def due(self, now: float) -> bool:
        """Whether some author waited ``wait`` seconds already."""
        return self._since is not None and now - self._since >= self.wait

    def forget_profiles(self) -> None:
        """Fetch every profile again from now on (opt-outs seen within the ttl)."""
        self.profiles.clear()

    def resolve(self, once: bool = False) -> None:
        """Fetch the held authors' profiles (one batch if ``once``), then release them
        with their items; a failed call keeps everything for later."""
        assert self.client is not None or not self.authors
        while self.authors and self.client is not None:
            dids = list(self.authors)[:PROFILE_BATCH]
            try:
                accounts = self.client.get_profiles(dids)
            except Exception as exc:  # noqa: BLE001 (any client failure: retry later)
                self.stats.inc_value(STATS + "profile_errors")
                logger.warning("Jetstream: getProfiles failed (%s): items kept for later", exc)
                return
            self.stats.inc_value(STATS + "profile_batches")
            found = {a.account_id: a for a in accounts}
            now = time.monotonic()
            for did in dids:
                entry = self.authors.pop(did, None)
                if entry is None:
                    continue
                self.count -= len(entry.items)
                account = found.get(account_id_of(did))
                if account is None:
                    self.stats.inc_value(STATS + "skipped_no_profile", len(entry.items))
                    continue
                self.profiles[did] = now
                self.profiles.move_to_end(did)
                while len(self.profiles) > self.cache_size:
                    self.profiles.popitem(last=False)
                for item in entry.items:
                    if isinstance(item, PostItem) and item.repost_of is None:
                        # the record alone gave a DID URL; the profile gives the handle
                        item.url = post_url(account.handle, did, item.post_id[len("bluesky:") :])
                self.release([account, *entry.items])
            if once:
                break
        if not self.authors:
            self._since = None

    def _entry(self, did: str) -> _Held:
        entry = self.authors.get(did)
        if entry is None:
            entry = self.authors[did] = _Held()
        if self._since is None:
            self._since = time.monotonic()
        return entry

    def _discard(self, entry: _Held, stat: str) -> None:
        self.count -= len(entry.items)
        self.stats.inc_value(STATS + stat, len(entry.items))

    def _profile_known(self, did: str) -> bool:
        fetched = self.profiles.get(did)
        if fetched is None:
            return False
        if time.monotonic() - fetched > self.ttl:
            del self.profiles[did]
            return False
        self.profiles.move_to_end(did)
        return True
