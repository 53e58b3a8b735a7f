"""Live collection: follow the campaign's hashtag streams on every configured instance
(Mastodon.py's streaming API) and yield the statuses' items (accounts before the posts
that need them); the app feeds them to the pipeline chain.

Mastodon.py runs one background thread per (instance, hashtag) stream and reconnects
by itself; statuses are handed to the calling thread through a queue, because the
pipelines and DuckDB are used from that one thread only. ``connected`` is set once
every stream receives.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from mastodon import Mastodon, MastodonError, StreamListener

from crawler.core.config import Campaign
from crawler.core.errors import ParseError
from crawler.core.net import ensure_resolved_allowed
from crawler.core.protocols import StatsLike
from crawler.core.vocab import USER_AGENT
from crawler.mastodon.client import plain
from crawler.mastodon.parse import parse_status

logger = logging.getLogger(__name__)


class _Listener(StreamListener):
    def __init__(self, host: str, out: queue.Queue[tuple[str, Any]]) -> None:
        super().__init__()
        self.host = host
        self.out = out

    def on_update(self, status: Any) -> None:
        self.out.put((self.host, status))

    def on_status_update(self, status: Any) -> None:  # an edit: the latest text wins
        self.out.put((self.host, status))

    def on_abort(self, err: Any) -> None:
        logger.warning("%s: stream aborted: %s", self.host, err)


class MastodonLive:
    """``MastodonLive(campaign, stats).items(stop=event, max_events=None)``."""

    def __init__(
        self,
        campaign: Campaign,
        stats: StatsLike,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        reconnect_wait: float = 5.0,
    ) -> None:
        self.campaign = campaign
        self.stats = stats
        masto = campaign.mastodon
        self.instances = list(masto.instances) if masto is not None else []
        self.token = token if token is not None else (masto.token if masto else None)
        self.timeout = timeout
        self.reconnect_wait = reconnect_wait
        self.connected = threading.Event()  # every stream receives
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=10_000)
        self.handles: list[Any] = []

    def _open(self) -> None:
        tags = self.campaign.campaign.hashtags
        for base in self.instances:
            host = urlsplit(base).netloc.lower()
            # the token belongs to the home (first) instance only
            token = self.token if base == self.instances[0] else None
            ensure_resolved_allowed(base)  # Mastodon.py connects by itself
            api = Mastodon(
                access_token=token,
                api_base_url=base,
                request_timeout=self.timeout,
                version_check_mode="none",
                user_agent=USER_AGENT,
            )
            for tag in tags:
                try:
                    handle = api.stream_hashtag(
                        tag,
                        _Listener(host, self.events),
                        run_async=True,
                        timeout=self.timeout,
                        reconnect_async=True,
                        reconnect_async_wait_sec=self.reconnect_wait,
                    )
                except MastodonError as exc:
                    logger.warning("%s: cannot follow #%s: %s", host, tag, exc)
                    self.stats.inc_value("scout/errors/streams")
                    continue
                self.handles.append(handle)

    def _close(self) -> None:
        for handle in self.handles:
            try:
                handle.close()
            except (OSError, MastodonError, RuntimeError) as exc:  # closing must not fail a run
                logger.debug("closing a stream: %s", exc)
        self.handles = []

    def _check_connected(self) -> None:
        if self.handles and all(h.is_receiving() for h in self.handles):
            self.connected.set()

    def items(
        self,
        stop: threading.Event | None = None,
        max_events: int | None = None,
        idle: Callable[[], None] | None = None,
    ) -> Iterator[Any]:
        """Follow the streams until ``stop`` is set or ``max_events`` statuses were read;
        yields their items. ``idle`` is called whenever no status came for a moment
        (the app flushes its buffers then)."""
        stop = stop or threading.Event()
        seen = 0
        self._open()
        if not self.handles:
            return
        try:
            while not stop.is_set() and (max_events is None or seen < max_events):
                if not self.connected.is_set():
                    self._check_connected()
                try:
                    host, status = self.events.get(timeout=0.2)
                except queue.Empty:
                    if idle is not None:
                        idle()
                    continue
                try:
                    parsed = parse_status(plain(status), host, datetime.now(UTC))
                except ParseError as exc:
                    logger.warning("%s: unparseable streamed status: %s", host, exc)
                    self.stats.inc_value("scout/skipped/unparseable_status")
                    continue
                seen += 1
                self.stats.inc_value("scout/mastodon/live_statuses")
                yield from parsed.all_items()
        finally:
            self._close()
