"""The websocket side of the Jetstream consumer: one session after another until done.

Each session opens the URL it is given at that moment (it carries the resume cursor),
hands every message on, and ticks at least every half second so checkpoints happen in
quiet times too.  A session ends on an error, a closed connection or ``idle_timeout``
seconds of silence; then the next waits with exponential backoff and jitter (reset by a
session that delivered something) and ticks once more before waiting.  websockets' own
``reconnect`` is not used: it keeps one URL and its waits do not end on ``stop``.
Counters: ``scout/jetstream/`` ``connections``, ``connect_errors``, ``disconnects``,
``idle_reconnects``, ``reconnects``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import connect

from crawler.bluesky.jetstream_records import STATS
from crawler.core.net import ensure_resolved_allowed
from crawler.core.protocols import StatsLike
from crawler.core.vocab import USER_AGENT

logger = logging.getLogger(__name__)

_TICK = 0.5  # seconds: the longest wait for a message before a tick


@dataclass
class Until:
    """When the sessions end: ``stop`` set, ``enough()`` true or ``deadline`` passed."""

    stop: threading.Event
    deadline: float | None
    enough: Callable[[], bool]

    def done(self) -> bool:
        return (
            self.stop.is_set()
            or self.enough()
            or (self.deadline is not None and time.monotonic() >= self.deadline)
        )

    def left(self, cap: float) -> float:
        """``cap`` seconds, or fewer when the deadline is nearer."""
        if self.deadline is None:
            return cap
        return max(0.0, min(cap, self.deadline - time.monotonic()))


@dataclass
class Sessions:
    """Websocket sessions with reconnects; see the module docstring."""

    host: str
    stats: StatsLike
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    idle_timeout: float = 60.0
    open_timeout: float = 10.0
    max_message_bytes: int = 4 * 1024 * 1024

    def run(
        self,
        url: Callable[[], str],
        on_message: Callable[[str | bytes], None],
        on_tick: Callable[[], None],
        on_wait: Callable[[], None],
        until: Until,
    ) -> None:
        """Sessions on ``url()`` until ``until.done()``: ``on_message`` for every
        message, ``on_tick`` after it and in quiet times, ``on_wait`` before a backoff."""
        failures = 0
        while not until.done():
            try:
                if self._session(url(), on_message, on_tick, until):
                    failures = 0
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                self.stats.inc_value(STATS + "connect_errors")
                logger.warning("Jetstream %s: %s", self.host, exc)
            except ConnectionClosed as exc:
                self.stats.inc_value(STATS + "disconnects")
                logger.info("Jetstream %s: connection closed (%s)", self.host, exc)
            if until.done():
                break
            delay = min(self.backoff_max, self.backoff_initial * 2.0**failures)
            delay *= 0.5 + random.random() / 2  # jitter
            failures += 1
            self.stats.inc_value(STATS + "reconnects")
            on_wait()  # store what we have while we wait
            until.stop.wait(until.left(delay))

    def _session(
        self,
        url: str,
        on_message: Callable[[str | bytes], None],
        on_tick: Callable[[], None],
        until: Until,
    ) -> bool:
        """One websocket session; True when it delivered at least one message."""
        got = False
        ensure_resolved_allowed(url)  # websockets connects by itself
        with connect(
            url,
            open_timeout=self.open_timeout,
            close_timeout=2,
            max_size=self.max_message_bytes,
            proxy=None,
            user_agent_header=USER_AGENT,
        ) as ws:
            self.stats.inc_value(STATS + "connections")
            logger.info("Jetstream %s: connected (%s)", self.host, url)
            last = time.monotonic()
            while not until.done():
                try:
                    message = ws.recv(timeout=max(0.01, until.left(_TICK)))
                except TimeoutError:
                    if time.monotonic() - last > self.idle_timeout:
                        self.stats.inc_value(STATS + "idle_reconnects")
                        logger.warning(
                            "Jetstream %s: silent for %.0f s", self.host, self.idle_timeout
                        )
                        return got
                    on_tick()
                    continue
                last = time.monotonic()
                got = True
                on_message(message)
                on_tick()
        return got
