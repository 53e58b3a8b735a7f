"""One incremental run of a campaign: collect every configured source, then classify,
score stance, apply retention and rank. ``scout crawl`` and ``scout demo`` call
:func:`run_crawl`; cron runs it every few hours."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from crawler.app.outcome import SourceOutcome, run_status, source_outcome
from crawler.app.shutdown import Shutdown
from crawler.core.config import Campaign
from crawler.core.errors import UserError
from crawler.core.progress import CrawlProgress
from crawler.core.progress import current as current_progress
from crawler.core.progress import step as progress_step
from crawler.core.protocols import ERROR_LINES
from crawler.db.store import SNAPSHOT_EVERY, Store
from pipelines.chain import PipelineChain
from pipelines.stats import Stats

logger = logging.getLogger(__name__)


class CrawlLocked(UserError):
    """Another crawl of the same campaign holds the lock (one line)."""


@dataclass
class CrawlResult:
    run_id: str
    status: str
    posts_new: int = 0
    accounts_new: int = 0
    errors: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    classified: int = 0
    leads: int = 0
    purged: dict[str, int] = field(default_factory=dict)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "campaign"


@contextmanager
def campaign_lock(db: Path, campaign: str, kind: str = "crawl") -> Iterator[Path]:
    """One crawl (or one ``kind`` of run, e.g. ``live``) per campaign at a time (an
    advisory lock file beside the database); a crawl and a live run may overlap."""
    db.parent.mkdir(parents=True, exist_ok=True)
    suffix = "" if kind == "crawl" else f".{kind}"
    path = db.parent / f".{db.name}.{_slug(campaign)}{suffix}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlLocked(
                f"another {kind} of {campaign!r} is running (lock {path}); try again later"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        os.close(fd)


def _scrapy_settings(db: Path, campaign: Campaign, log_level: str) -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.fetch.settings", priority="project")
    settings.set("SCOUT_DB", str(db), priority="cmdline")
    settings.set("SCOUT_RESPECT_OPT_OUTS", campaign.privacy.respect_opt_outs, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    # logging is the CLI's (one handler, one format); Scrapy logs through it
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    contact = os.environ.get("SCOUT_CONTACT")
    if contact:
        ua = settings.get("USER_AGENT")
        settings.set("USER_AGENT", f"{ua} contact: {contact}", priority="cmdline")
    return settings


def collect_mastodon(
    campaign: Campaign,
    db: Path,
    log_level: str = "WARNING",
    *,
    store: Store | None = None,
    overrides: Mapping[str, Any] | None = None,
    shutdown: Shutdown | None = None,
) -> dict[str, Any]:
    """Run the Mastodon spider in this process (Scrapy's reactor starts once per process)
    with the run's ``store`` handed on the crawler; ``overrides`` are settings of this
    run (tests, benchmarks). Without a store one is opened (and closed) here. With a
    ``shutdown``, SIGTERM and Ctrl-C close the engine through it (not Scrapy's handlers)."""
    from scrapy.crawler import CrawlerProcess

    from crawler.core.protocols import STORE_ATTR
    from spiders.mastodon_tags import MastodonTagSpider

    settings = _scrapy_settings(db, campaign, log_level)
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    # "Gave up retrying" is summed up per host in the run's errors; the log has it at -v
    # (set after Scrapy configured its loggers)
    quiet = logging.getLevelName(log_level) > logging.INFO
    for name in ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt"):
        logging.getLogger(name).setLevel(logging.CRITICAL if quiet else logging.NOTSET)
    crawler = process.create_crawler(MastodonTagSpider)
    own = Store(db) if store is None else None
    setattr(crawler, STORE_ATTR, store if store is not None else own)
    try:
        process.crawl(crawler, campaign=campaign)
        if shutdown is None:
            process.start()
        else:
            with shutdown.scrapy(crawler):
                process.start(install_signal_handlers=False)
    finally:
        if own is not None:
            own.close()
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())


def collect_bluesky(
    campaign: Campaign,
    store: Store,
    session_dir: Path,
    *,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Bluesky search through the SDK collector; ``stop`` ends it at its next wait
    (:class:`~crawler.bluesky.faults.CollectionStopped`). The lines of what failed are
    in the stats value ``ERROR_LINES``."""
    from crawler.bluesky.collector import BlueskyCollector
    from crawler.core.protocols import ERROR_LINES

    chain = PipelineChain(store, Stats(), respect_opt_outs=campaign.privacy.respect_opt_outs)
    timeout = request_timeout()
    collector = BlueskyCollector(
        campaign,
        stats=chain.stats,
        cursors=store,
        session_dir=session_dir,
        stop=stop,
        timeout=timeout or 30.0,
    )
    stop = threading.Event()

    def show_progress() -> None:
        progress = current_progress()
        while progress is not None and not stop.wait(0.25):
            pages = chain.stats.get_value("scout/bluesky/pages", 0)
            posts = chain.stats.get_value("scout/bluesky/posts", 0)
            progress.update("Bluesky pages", note=f"{pages:,} pages, {posts:,} posts")

    watcher = threading.Thread(target=show_progress, name="bluesky-progress", daemon=True)
    watcher.start()
    try:
        chain.process_many(collector.run())
    finally:
        stop.set()
        watcher.join(timeout=2)
        chain.close()
    progress = current_progress()
    if progress is not None:
        pages = chain.stats.get_value("scout/bluesky/pages", 0)
        posts = chain.stats.get_value("scout/bluesky/posts", 0)
        progress.done("Bluesky pages", note=f"{pages:,} pages, {posts:,} posts")
    return {**chain.stats.get_stats(), ERROR_LINES: list(collector.errors)}


def collect_mastodon_search(campaign: Campaign, store: Store) -> dict[str, Any]:
    """With a token (``[mastodon] token_env``): search the campaign's hashtags and
    keywords on the home instance through Mastodon.py, into the same pipelines. Finds
    posts the public tag timelines miss (keywords, servers that hide remote posts)."""
    from crawler.mastodon.client import MastodonClient

    client = MastodonClient.from_campaign(campaign)
    if client is None:
        return {}
    chain = PipelineChain(store, Stats(), respect_opt_outs=campaign.privacy.respect_opt_outs)
    try:
        chain.process_many(client.collect(campaign, chain.stats))
    finally:
        chain.close()
    return {"scout/mastodon/search_statuses": 0, **chain.stats.get_stats()}


def classify_accounts(
    store: Store, *, only_new: bool = False, accounts: Sequence[str] | None = None
) -> int:
    """Classify stored accounts (role, org type, language, country) with the spaCy
    pipeline ``scout classify`` uses; ``accounts``: only these."""
    from nlp.classify import Classifier

    if accounts is not None and not accounts:
        return 0
    df = store.accounts_for_classification(only_new=only_new, accounts=accounts)
    if df.empty:
        return 0

    def profile(r: Mapping[Hashable, Any]) -> dict[str, Any]:
        followers = r["followers_count"]
        return {
            "platform": r["platform"],
            "handle": r["handle"],
            "display_name": r["display_name"],
            "bio": r["bio"],
            "fields": r["fields"],
            "followers_count": None if pd.isna(followers) else int(followers),
            "bot": bool(r["is_bot"]),
            "group": bool(r["is_group"]),
            "posts": r["posts"],
            "instance": r["instance"],
            "post_langs": [x for x in r["post_langs"] if x],
            "labels": r["labels"],
            "sites": r["sites"],
        }

    profiles = (profile(r) for r in df.to_dict("records"))
    results = []
    with progress_step("Classifying accounts", total=len(df)) as progress:
        for result in Classifier().classify_many(profiles):
            results.append(result)
            if progress is not None and len(results) % 64 == 0:
                progress.update("Classifying accounts", advance=64)
    out = pd.DataFrame(
        {
            "account_id": df["account_id"].tolist(),
            "role": [r["role"] for r in results],
            "org_type": [r["org_type"] for r in results],
            "language": [r["language"] for r in results],
            "country": [r["country"] for r in results],
            "role_confidence": [r["confidence"] for r in results],
            "country_confidence": [r.get("country_confidence") for r in results],
            "scope": [r.get("scope") for r in results],
            "class_reasons": [r["reasons"] for r in results],
            "is_bot": [bool(r["is_bot"]) for r in results],
            "classified_at": datetime.now(UTC),
        }
    )
    return store.write_classifications(out)


def score_campaign(store: Store, campaign: Campaign) -> int:
    """Per account: stance toward the campaign and engagement with it."""
    from nlp.stance import decide_stance

    name = campaign.name
    texts = store.campaign_texts(name)
    engagement = store.campaign_engagement(name)
    if engagement.empty:
        store.write_account_campaign(name, engagement)
        return 0
    by_account: dict[str, tuple[list[str], list[str | None]]] = {
        str(r["account_id"]): ([str(t) for t in r["texts"]], [u or None for u in r["urls"]])
        for r in texts.to_dict("records")
    }
    stances = []
    for account_id in engagement["account_id"]:
        texts_of, urls = by_account.get(account_id, ([], []))
        stances.append(
            decide_stance(
                texts_of, campaign.campaign.hashtags, campaign.campaign.keywords, urls=urls
            )
        )
    engagement["stance"] = [s.label for s in stances]
    engagement["stance_score"] = [s.score for s in stances]
    # the post that decided, quoted in the lead reasons
    engagement["stance_post_url"] = [s.url for s in stances]
    engagement["stance_evidence"] = [s.evidence for s in stances]
    return store.write_account_campaign(name, engagement)


def _merge(into: dict[str, Any], new: dict[str, Any], source: str) -> None:
    """Add one collector's stats: our own ``scout/*`` counters are summed across sources,
    Scrapy's and the SDK collectors' own are kept apart under the source's name."""
    for key, value in new.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        if key.startswith("scout/") and isinstance(value, int):
            into[key] = int(into.get(key, 0)) + value
        else:
            into[f"{source}/{key}"] = value


def request_timeout() -> float | None:
    """``SCOUT_TIMEOUT`` (seconds): how long one request may take, every source."""
    raw = os.environ.get("SCOUT_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else None
    except ValueError:
        raise UserError(f"SCOUT_TIMEOUT must be a number of seconds, not {raw!r}") from None
    return value if value and value > 0 else None


def _collect_sources(
    campaign: Campaign,
    db: Path,
    store: Store,
    session_dir: Path,
    log_level: str,
    stats: dict[str, Any],
    shutdown: Shutdown,
) -> list[SourceOutcome]:
    """Every configured source, each on its own: one that fails is recorded with its
    reason (a traceback only at ``-v``) and the others still run. A stop request
    (SIGTERM, Ctrl-C) ends the collection with ``KeyboardInterrupt``."""
    from crawler.bluesky.faults import CollectionStopped
    from crawler.core.errors import ScoutError

    outcomes: list[SourceOutcome] = []

    def run(name: str, collect: Any) -> None:
        failure = None
        got: dict[str, Any] = {}
        try:
            got = collect()
        except CollectionStopped:
            raise KeyboardInterrupt from None
        except ScoutError as exc:
            failure = str(exc)
        except Exception as exc:  # recorded in the run and reported; other sources go on
            failure = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            logger.info("%s collection failed", name, exc_info=True)  # shown with -v
        if shutdown.event.is_set():
            raise KeyboardInterrupt
        outcomes.append(source_outcome(name, got, failure))
        got.pop(ERROR_LINES, None)
        _merge(stats, got, name)

    timeout = request_timeout()
    overrides = {"DOWNLOAD_TIMEOUT": timeout} if timeout else None
    if campaign.mastodon is not None:
        run(
            "mastodon",
            lambda: collect_mastodon(
                campaign, db, log_level, store=store, overrides=overrides, shutdown=shutdown
            ),
        )
        if campaign.mastodon.token:
            run("mastodon-api", lambda: collect_mastodon_search(campaign, store))
    if campaign.bluesky is not None:
        with shutdown.cooperative():
            run(
                "bluesky",
                lambda: collect_bluesky(campaign, store, session_dir, stop=shutdown.event),
            )
    return outcomes


def run_crawl(
    campaign: Campaign,
    db: Path,
    *,
    session_dir: Path | None = None,
    log_level: str = "WARNING",
    now: datetime | None = None,
    show_progress: bool | None = None,
) -> CrawlResult:
    from crawler.app.graph import measure_campaign
    from crawler.app.hashtags import followed_campaign
    from crawler.app.identities import link_identities
    from crawler.app.ranking import rank
    from crawler.app.websites import website_pass

    session_dir = session_dir or db.parent / ".sessions"
    with campaign_lock(db, campaign.name), CrawlProgress(enabled=show_progress):
        # the read snapshot for analysts: every SNAPSHOT_EVERY s and when the run ends
        store = Store(db, snapshot_every=SNAPSHOT_EVERY)
        try:
            # [campaign] follow_related: accepted related hashtags join the campaign's
            campaign = followed_campaign(campaign, store)
            interrupted = store.mark_interrupted(campaign.name)
            if interrupted:
                logger.warning("%d earlier run(s) were interrupted; resuming", interrupted)
            run_id = store.start_run(campaign.name)
            result = CrawlResult(run_id=run_id, status="running")
            stats: dict[str, Any] = {}
            failures: list[str] = []
            outcomes: list[SourceOutcome] = []
            try:
                with Shutdown() as shutdown:
                    outcomes = _collect_sources(
                        campaign, db, store, session_dir, log_level, stats, shutdown
                    )
                    failures.extend(line for o in outcomes if (line := o.line()))
                store.resolve_refs()
                store.tag_campaign_posts(campaign.name, campaign.matcher)
                result.purged = store.purge_older_than(campaign.retention_cutoff(now))
                result.classified = classify_accounts(store)
                score_campaign(store, campaign)
                # [websites]: the sites of organisations and public figures, roles known
                sites_since = datetime.now(UTC)
                failures.extend(website_pass(campaign, db, log_level, stats))
                # an imprint's address and legal form are evidence: classify those again
                classify_accounts(store, accounts=store.accounts_with_imprint(sites_since))
                measure_campaign(store, campaign)  # graph measures the ranking reads
                link_identities(store)  # one lead per person or organisation
                result.leads = len(rank(store, campaign, now=now))
            except BaseException as exc:
                store.finish_run(
                    run_id,
                    "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed",
                    int(stats.get("scout/posts_new", 0)),
                    int(stats.get("scout/accounts_new", 0)),
                    int(stats.get("scout/errors/requests", 0)) + 1,
                    {},
                    {"error": f"{type(exc).__name__}: {exc}"[:500]},
                )
                raise
            result.posts_new, result.accounts_new = store.new_since_run_start(run_id)
            result.errors = sum(
                int(v) for k, v in stats.items() if k.startswith("scout/errors/")
            ) + len(failures)
            result.skipped = {
                k.removeprefix("scout/"): int(v)
                for k, v in stats.items()
                if k.startswith(("scout/skipped/", "scout/consent/", "scout/dropped/"))
            }
            sources = {o.name: o.as_stats() for o in outcomes}
            result.stats = {**stats, "failures": failures, "sources": sources}
            result.stats["purged"] = dict(result.purged)
            result.status = run_status(outcomes)
            store.finish_run(
                run_id,
                result.status,
                result.posts_new,
                result.accounts_new,
                result.errors,
                result.skipped,
                {
                    k: v
                    for k, v in result.stats.items()
                    if isinstance(v, int | float | str | list | dict)
                },
            )
            return result
        finally:
            store.publish_snapshot()
            store.close()
