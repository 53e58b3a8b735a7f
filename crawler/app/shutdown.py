"""SIGTERM and Ctrl-C during a crawl: stop within seconds, and say so in the run.

:class:`Shutdown` owns both signals for one run (main thread only). The first signal
sets :attr:`Shutdown.event` and then, depending on what the run is doing:

* Scrapy is crawling (:meth:`Shutdown.scrapy`): its engine is asked to close with reason
  ``shutdown``; requests waiting in download slots held for a rate-limit reset are
  failed first, so the engine does not wait for the reset (requests in flight finish or
  time out);
* a collector that watches the event (:meth:`Shutdown.cooperative`, the Bluesky
  collector, whose every wait is ``event.wait``) ends at its next wait or call;
* anything else (classification, ranking): ``KeyboardInterrupt`` at once.

The run is then marked ``interrupted`` (:func:`crawler.app.crawl.run_crawl`) and the CLI
exits 130. Progress is saved per page, so the next run continues where this one stood.
If the process has not ended :data:`GRACE_SECONDS` after the signal (a download that
hangs), or on a second signal, it exits at once; the next run then marks the row.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

GRACE_SECONDS = 9.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Shutdown:
    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.event = threading.Event()
        self.grace = grace
        self.signum: int | None = None
        self._crawler: Any = None  # the Scrapy crawler while it runs
        self._cooperative = False
        self._previous: dict[int, Any] = {}
        self._over = threading.Event()  # the run has ended: the watchdog stands down

    def __enter__(self) -> Shutdown:
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        self._over.set()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    @contextmanager
    def scrapy(self, crawler: Any) -> Iterator[None]:
        """While ``crawler`` runs, a signal closes its engine instead of raising."""
        self._crawler = crawler
        try:
            yield
        finally:
            self._crawler = None

    @contextmanager
    def cooperative(self) -> Iterator[None]:
        """While a collector that watches :attr:`event` runs, a signal only sets it."""
        self._cooperative = True
        try:
            yield
        finally:
            self._cooperative = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            os._exit(128 + signum)  # asked twice: now
        self.signum = signum
        self.event.set()
        threading.Thread(target=self._watchdog, name="shutdown-watchdog", daemon=True).start()
        crawler = self._crawler
        if crawler is not None:
            from twisted.internet import reactor

            reactor.callFromThread(_stop_scrapy, crawler)
        elif not self._cooperative:
            raise KeyboardInterrupt

    def _watchdog(self) -> None:
        if not self._over.wait(self.grace):
            sys.stderr.write("scout: interrupted; still busy, exiting now\n")
            sys.stderr.flush()
            os._exit(128 + (self.signum or signal.SIGTERM))


def _stop_scrapy(crawler: Any) -> None:
    """In the reactor thread: drop requests waiting in held slots, close the engine."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor as _reactor

    from crawler.fetch.middlewares import release_held_slots

    dropped = release_held_slots(crawler)
    logger.info("shutting down: %d waiting requests dropped", dropped)
    deferred_from_coro(crawler.stop_async())
    # requests that reach a slot while the engine winds down are dropped too
    reactor: Any = _reactor
    for delay in (0.2, 1.0, 3.0):
        reactor.callLater(delay, release_held_slots, crawler)
