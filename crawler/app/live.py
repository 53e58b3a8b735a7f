"""``scout live``: follow a campaign as it happens, through the same pipelines as a crawl.

- Bluesky: the Jetstream firehose (``[bluesky] jetstream``), matched locally against the
  campaign's hashtags and keywords; a matched post waits for its author's profile (with
  a login) so the consent filter decides on the full profile.
- Mastodon: the hashtag streams of the listed instances through Mastodon.py.

Each source runs in its own thread with its own store. SIGINT/SIGTERM (or
``--duration``) stop it cleanly: buffers are flushed, cursors saved, then accounts are
classified and leads ranked as after a crawl. Like a crawl, a live run holds the
database only while it writes a batch (every few seconds), so cron crawls, ``scout
leads`` and exports run beside it; it publishes the analysts' read snapshot every
:data:`~crawler.db.store.SNAPSHOT_EVERY` seconds and when it stops. One live run per
campaign at a time (its own lock, apart from the crawl's).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from crawler.app.crawl import campaign_lock, classify_accounts, score_campaign
from crawler.core.config import Campaign
from crawler.core.errors import UserError
from crawler.db.store import SNAPSHOT_EVERY, Store
from pipelines.chain import PipelineChain
from pipelines.stats import Stats

if TYPE_CHECKING:
    from crawler.mastodon.live import MastodonLive

logger = logging.getLogger(__name__)


class LiveError(UserError):
    """Live mode cannot start (one line for the user)."""


@dataclass
class LiveResult:
    run_id: str
    status: str
    events: dict[str, int] = field(default_factory=dict)
    posts_new: int = 0
    accounts_new: int = 0
    errors: list[str] = field(default_factory=list)
    leads: int = 0


def _chain(campaign: Campaign, store: Store) -> PipelineChain:
    return PipelineChain(store, Stats(), respect_opt_outs=campaign.privacy.respect_opt_outs)


def _bluesky(
    campaign: Campaign, db: Path, session_dir: Path, stop: threading.Event
) -> dict[str, Any]:
    from crawler.bluesky.collector import BlueskyCollector
    from crawler.bluesky.jetstream import JetstreamConsumer

    with Store(db, snapshot_every=SNAPSHOT_EVERY) as store:
        chain = _chain(campaign, store)
        client = None
        bsky = campaign.bluesky
        assert bsky is not None
        if (bsky.handle and bsky.app_password) or bsky.appview:
            # with [bluesky] appview, profiles come from the public AppView: no login
            # needed to check opt-outs
            client = BlueskyCollector(
                campaign, stats=chain.stats, cursors=store, session_dir=session_dir
            )
            if bsky.handle and bsky.app_password:
                client.login()
        else:
            logger.warning(
                "no Bluesky login (%s, %s) and no [bluesky] appview: matched posts cannot "
                "be checked against their authors' profiles, so they are skipped",
                bsky.handle_env,
                bsky.password_env,
            )
        consumer = JetstreamConsumer(campaign, store, chain, client=client)
        try:
            return {**chain.stats.get_stats(), **consumer.run(stop=stop)}
        finally:
            chain.close()


@dataclass
class Flusher:
    """Writes ``chain``'s buffers to the database when ``every`` seconds passed since it
    last did, at each tick (a live run is visible while it runs)."""

    chain: PipelineChain
    every: float
    last: float = field(default_factory=time.monotonic)

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def tick(self) -> None:
        if self.due():
            self.chain.flush()
            self.last = time.monotonic()


def feed(flusher: Flusher, items: Iterable[Any]) -> int:
    """Run a live source's items through ``flusher.chain``, ticking after each and
    flushing at the end; how many were kept."""
    kept = 0
    for item in items:
        kept += flusher.chain.process(item) is not None
        flusher.tick()
    flusher.chain.flush()
    return kept


def follow_mastodon(
    live: MastodonLive,
    chain: PipelineChain,
    stop: threading.Event,
    *,
    max_events: int | None = None,
    flush_every: float = 5.0,
) -> int:
    """Follow the Mastodon streams into ``chain``, flushing also while no status comes;
    returns how many statuses were read."""
    flusher = Flusher(chain, flush_every)
    feed(flusher, live.items(stop, max_events, idle=flusher.tick))
    return int(chain.stats.get_value("scout/mastodon/live_statuses", 0))


def _mastodon(campaign: Campaign, db: Path, stop: threading.Event) -> dict[str, Any]:
    from crawler.mastodon.live import MastodonLive

    with Store(db, snapshot_every=SNAPSHOT_EVERY) as store:
        chain = _chain(campaign, store)
        try:
            seen = follow_mastodon(MastodonLive(campaign, chain.stats), chain, stop)
        finally:
            chain.close()
        return {**chain.stats.get_stats(), "events": seen}


def run_live(
    campaign: Campaign,
    db: Path,
    *,
    duration: float | None = None,
    session_dir: Path | None = None,
    stop: threading.Event | None = None,
    install_signals: bool = True,
) -> LiveResult:
    from crawler.app.hashtags import followed_campaign
    from crawler.app.identities import link_identities
    from crawler.app.ranking import rank

    # [campaign] follow_related: accepted related hashtags join the campaign's
    campaign = followed_campaign(campaign, db)
    session_dir = session_dir or db.parent / ".sessions"
    sources: dict[str, Callable[[threading.Event], dict[str, Any]]] = {}
    if campaign.bluesky is not None and campaign.bluesky.jetstream:
        sources["bluesky"] = lambda ev: _bluesky(campaign, db, session_dir, ev)
    if campaign.mastodon is not None:
        sources["mastodon"] = lambda ev: _mastodon(campaign, db, ev)
    if not sources:
        raise LiveError(
            'nothing to follow live: add [bluesky] jetstream = "wss://..." or a '
            "[mastodon] section to the campaign file"
        )
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if install_signals and threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            logger.info("signal %d: stopping live mode", signum)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        with campaign_lock(db, campaign.name, "live"):
            with Store(db) as store:
                store.mark_interrupted(campaign.name)
                run_id = store.start_run(campaign.name)
            result = LiveResult(run_id=run_id, status="running")
            outcomes: dict[str, dict[str, Any]] = {}

            def worker(name: str, fn: Callable[[threading.Event], dict[str, Any]]) -> None:
                try:
                    outcomes[name] = fn(stop)
                except Exception as exc:  # reported in the run; the other source goes on
                    logger.exception("%s live collection failed", name)
                    result.errors.append(f"{name}: {exc}")

            threads = [
                threading.Thread(target=worker, args=(n, f), name=f"live-{n}", daemon=True)
                for n, f in sources.items()
            ]
            for t in threads:
                t.start()
            deadline = time.monotonic() + duration if duration else None
            while any(t.is_alive() for t in threads):
                if deadline is not None and time.monotonic() >= deadline:
                    stop.set()
                for t in threads:
                    t.join(timeout=0.5)
            stop.set()
            with Store(db) as store:
                store.resolve_refs()
                store.tag_campaign_posts(campaign.name, campaign.matcher)
                classify_accounts(store)
                score_campaign(store, campaign)
                link_identities(store)  # one lead per person or organisation
                result.leads = len(rank(store, campaign))
                result.posts_new, result.accounts_new = store.new_since_run_start(run_id)
                for name, stats in outcomes.items():
                    result.events[name] = int(stats.get("events") or 0)
                result.status = "ok" if not result.errors else "partial"
                store.finish_run(
                    run_id,
                    result.status,
                    result.posts_new,
                    result.accounts_new,
                    len(result.errors),
                    {},
                    {"mode": "live", "events": result.events, "failures": result.errors},
                )
                store.publish_snapshot()
            return result
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
