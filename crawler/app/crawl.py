"""One incremental run of a campaign: collect every configured source, then classify,
score stance, apply retention and rank. ``scout crawl`` and ``scout demo`` call
:func:`run_crawl`; cron runs it every few hours."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from crawler.core.config import Campaign
from crawler.core.errors import UserError
from crawler.core.progress import CrawlProgress
from crawler.core.progress import current as current_progress
from crawler.core.progress import step as progress_step
from crawler.db.store import Store
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
def campaign_lock(db: Path, campaign: str) -> Iterator[Path]:
    """One crawl per campaign at a time (an advisory lock file beside the database)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    path = db.parent / f".{db.name}.{_slug(campaign)}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlLocked(
                f"another crawl of {campaign!r} is running (lock {path}); try again later"
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
) -> dict[str, Any]:
    """Run the Mastodon spider in this process (Scrapy's reactor starts once per process)
    with the run's ``store`` handed on the crawler; ``overrides`` are settings of this
    run (tests, benchmarks). Without a store one is opened (and closed) here."""
    from scrapy.crawler import CrawlerProcess

    from crawler.core.protocols import STORE_ATTR
    from spiders.mastodon_tags import MastodonTagSpider

    settings = _scrapy_settings(db, campaign, log_level)
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(MastodonTagSpider)
    own = Store(db) if store is None else None
    setattr(crawler, STORE_ATTR, store if store is not None else own)
    try:
        process.crawl(crawler, campaign=campaign)
        process.start()
    finally:
        if own is not None:
            own.close()
    assert crawler.stats is not None
    return dict(crawler.stats.get_stats())


def collect_bluesky(campaign: Campaign, store: Store, session_dir: Path) -> dict[str, Any]:
    from crawler.bluesky.collector import BlueskyCollector

    chain = PipelineChain(store, Stats(), respect_opt_outs=campaign.privacy.respect_opt_outs)
    collector = BlueskyCollector(
        campaign, stats=chain.stats, cursors=store, session_dir=session_dir
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
    return chain.stats.get_stats()


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


def classify_accounts(store: Store, *, only_new: bool = False) -> int:
    """Classify stored accounts (role, org type, language, country) with the spaCy
    pipeline ``scout classify`` uses."""
    from nlp.classify import Classifier

    df = store.accounts_for_classification(only_new=only_new)
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
            "posts": r["posts"],
            "instance": r["instance"],
            "post_langs": [x for x in r["post_langs"] if x],
            "labels": r["labels"],
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
            "class_reasons": [r["reasons"] for r in results],
            "is_bot": [bool(r["is_bot"]) for r in results],
            "classified_at": datetime.now(UTC),
        }
    )
    return store.write_classifications(out)


def score_campaign(store: Store, campaign: Campaign) -> int:
    """Per account: stance toward the campaign and engagement with it."""
    from nlp.stance import score_stance

    name = campaign.name
    texts = store.campaign_texts(name)
    engagement = store.campaign_engagement(name)
    if engagement.empty:
        store.write_account_campaign(name, engagement)
        return 0
    by_account: dict[str, list[str]] = {
        str(r["account_id"]): [str(t) for t in r["texts"]] for r in texts.to_dict("records")
    }
    labels, scores = [], []
    for account_id in engagement["account_id"]:
        label, score, _why = score_stance(
            by_account.get(account_id, []),
            campaign.campaign.hashtags,
            campaign.campaign.keywords,
        )
        labels.append(label)
        scores.append(score)
    engagement["stance"] = labels
    engagement["stance_score"] = scores
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


def run_crawl(
    campaign: Campaign,
    db: Path,
    *,
    session_dir: Path | None = None,
    log_level: str = "WARNING",
    now: datetime | None = None,
    show_progress: bool | None = None,
) -> CrawlResult:
    from crawler.app.ranking import rank

    session_dir = session_dir or db.parent / ".sessions"
    with campaign_lock(db, campaign.name), CrawlProgress(enabled=show_progress):
        store = Store(db)
        try:
            interrupted = store.mark_interrupted(campaign.name)
            if interrupted:
                logger.warning("%d earlier run(s) were interrupted; resuming", interrupted)
            run_id = store.start_run(campaign.name)
            result = CrawlResult(run_id=run_id, status="running")
            stats: dict[str, Any] = {}
            failures: list[str] = []
            try:
                if campaign.mastodon is not None:
                    _merge(
                        stats, collect_mastodon(campaign, db, log_level, store=store), "mastodon"
                    )
                    if campaign.mastodon.token:
                        _merge(stats, collect_mastodon_search(campaign, store), "mastodon-api")
                if campaign.bluesky is not None:
                    try:
                        _merge(stats, collect_bluesky(campaign, store, session_dir), "bluesky")
                    except (
                        Exception
                    ) as exc:  # recorded in the run and reported; Mastodon data stays
                        from crawler.bluesky.collector import BlueskyError

                        if not isinstance(exc, BlueskyError):
                            logger.exception("Bluesky collection failed")
                        failures.append(f"bluesky: {exc}")
                store.resolve_refs()
                store.tag_campaign_posts(campaign.name, campaign.matcher)
                result.purged = store.purge_older_than(campaign.retention_cutoff(now))
                result.classified = classify_accounts(store)
                score_campaign(store, campaign)
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
            result.stats = {**stats, "failures": failures}
            result.status = "ok" if not failures and result.errors == 0 else "partial"
            store.finish_run(
                run_id,
                result.status,
                result.posts_new,
                result.accounts_new,
                result.errors,
                result.skipped,
                {k: v for k, v in result.stats.items() if isinstance(v, int | float | str | list)},
            )
            return result
        finally:
            store.close()
