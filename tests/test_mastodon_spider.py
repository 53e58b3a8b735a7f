"""The Mastodon spider against the demo network (real HTTP on 127.0.0.1) with tight
budgets: discovery from the home instances of accounts, a separate paging budget,
repost collection through ``reblogged_by``, incremental reruns, one row per status seen
through several instances, and zero 429s.

Each crawl runs in a subprocess (Scrapy's reactor starts once per process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scout_demo.server import DemoNetwork
from tests.support.mastodon import (
    API_LIMIT,
    API_WINDOW,
    PAGING_LIMIT,
    PAGING_WINDOW,
    rows,
    run_spider,
    write_campaign,
)

SPIDER_SETTINGS = {
    "SCOUT_PAGING_LIMIT": PAGING_LIMIT,
    "SCOUT_PAGING_WINDOW": PAGING_WINDOW,
    "SCOUT_REBLOGGED_BY_MAX": 60,
    "DOWNLOAD_TIMEOUT": 10,
}


@pytest.fixture(scope="module")
def net() -> Iterator[DemoNetwork]:
    with DemoNetwork(
        rate_limit=API_LIMIT,
        window=API_WINDOW,
        paging_limit=PAGING_LIMIT,
        paging_window=PAGING_WINDOW,
        n_accounts=600,
        n_posts=5000,
    ) as n:
        yield n


@pytest.fixture(scope="module")
def crawled(net: DemoNetwork, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("masto")
    db = tmp / "scout.duckdb"
    # only the first instance is listed: the others are found through accounts' homes
    campaign = write_campaign(tmp / "c.toml", net.mastodon_urls[:1], discover=True)
    before = net.stats()
    first = run_spider(campaign, db, SPIDER_SETTINGS)
    mid = net.stats()
    second = run_spider(campaign, db, SPIDER_SETTINGS)
    after = net.stats()
    return {
        "db": db,
        "campaign": campaign,
        "first": first,
        "second": second,
        "before": before,
        "mid": mid,
        "after": after,
    }


def _delta(a: dict[str, Any], b: dict[str, Any], url: str, key: str) -> int:
    return int(b[url].get(key) or 0) - int(a[url].get(key) or 0)


def test_discovers_every_demo_instance_through_nodeinfo(
    net: DemoNetwork, crawled: dict[str, Any]
) -> None:
    db = crawled["db"]
    got = {
        r[0]: r[1:]
        for r in rows(
            db,
            "SELECT host, software, speaks_mastodon_api, discovered_from, robots_ok FROM instances",
        )
    }
    hosts = [u.split("//", 1)[1] for u in net.mastodon_urls]
    assert set(got) == set(hosts)
    assert got[hosts[0]][2] == "config"
    for h in hosts[1:]:
        software, speaks, source, robots_ok = got[h]
        assert (software, speaks, robots_ok) == ("mastodon", True, True)
        assert source in hosts  # the instance whose posts named it
    # every instance was crawled: cursors for the campaign tag on all four
    cursors = rows(db, "SELECT source FROM cursors WHERE key = 'tag:cleanaireci'")
    assert {c[0] for c in cursors} == {f"mastodon:{h}" for h in hosts}
    for url in net.mastodon_urls[1:]:
        assert crawled["mid"][url]["requests"].get("/.well-known/nodeinfo") == 1


def test_no_429_and_both_budgets_respected(net: DemoNetwork, crawled: dict[str, Any]) -> None:
    first = crawled["first"]
    assert first.get("scout/ratelimit/429", 0) == 0
    for url in net.mastodon_urls:
        assert crawled["after"][url]["rate_limited"] == 0, url
    # the budgets were binding (the crawl had to wait) ...
    assert (
        first.get("scout/ratelimit/paging_waits", 0) + first.get("scout/ratelimit/budget_waits", 0)
        >= 1
    )
    # ... and used: no instance needed more windows than its request count requires
    served = [_delta(crawled["before"], crawled["mid"], u, "total") for u in net.mastodon_urls]
    paging = [
        _delta(crawled["before"], crawled["mid"], u, "paging_requests") for u in net.mastodon_urls
    ]
    assert sum(paging) == first["scout/ratelimit/paging_requests"]
    windows = [
        max((p - 1) // (PAGING_LIMIT - 1) * PAGING_WINDOW, (s - 1) // (API_LIMIT - 1) * API_WINDOW)
        for p, s in zip(paging, served, strict=True)
    ]
    assert max(windows) >= PAGING_WINDOW  # the paging budget really was the constraint
    # the time spent holding (the limiter's own account, not the wall clock, which a
    # loaded machine stretches) is no more than the windows the requests needed
    waited = first["scout/ratelimit/wait_ms"] / 1000
    assert 0 < waited <= sum(windows) + PAGING_WINDOW, (waited, windows)


def test_statuses_seen_on_several_instances_are_stored_once(crawled: dict[str, Any]) -> None:
    db = crawled["db"]
    first = crawled["first"]
    n, distinct = rows(db, "SELECT count(*), count(DISTINCT post_id) FROM posts")[0]
    assert n == distinct > 500
    assert first.get("scout/dedupe/posts", 0) > 50  # federated copies were met and dropped
    # no reblog wrappers on tag timelines: every stored post is an original
    assert rows(db, "SELECT count(*) FROM posts WHERE repost_of IS NOT NULL")[0][0] == 0


def test_reposts_come_from_reblogged_by(net: DemoNetwork, crawled: dict[str, Any]) -> None:
    db = crawled["db"]
    first = crawled["first"]
    assert 0 < first["scout/mastodon/reblogged_by_statuses"] <= 60
    reposts = rows(
        db,
        "SELECT i.src_account_id, i.dst_account_id, p.account_id FROM interactions i "
        "JOIN posts p USING (post_id) WHERE i.kind = 'repost'",
    )
    assert len(reposts) >= 5
    for src, dst, author in reposts:
        assert dst == author and src != author  # reblogger -> author of the reblogged post
    endpoint = "/api/v1/statuses/:id/reblogged_by"
    served = sum(
        int(crawled["mid"][u]["requests"].get(endpoint, 0))
        - int(crawled["before"][u]["requests"].get(endpoint, 0))
        for u in net.mastodon_urls
    )
    assert served == first["scout/mastodon/reblogged_by_pages"]


def test_rerun_reads_only_the_top_of_each_timeline(
    net: DemoNetwork, crawled: dict[str, Any]
) -> None:
    second = crawled["second"]
    assert second.get("scout/posts_new", 0) == 0
    assert second.get("scout/ratelimit/paging_requests", 0) == 0
    timeline = "/api/v1/timelines/tag/:tag"
    per_instance = [
        int(crawled["after"][u]["requests"].get(timeline, 0))
        - int(crawled["mid"][u]["requests"].get(timeline, 0))
        for u in net.mastodon_urls
    ]
    assert per_instance == [2, 2, 2, 2]  # one first page per tag, nothing else
    # discovered instances were remembered, not discovered again
    assert second.get("scout/mastodon/instances_remembered") == 3
    assert second.get("scout/mastodon/discovery_checks", 0) == 0


def test_new_posts_after_advance_are_collected_incrementally(
    net: DemoNetwork, crawled: dict[str, Any]
) -> None:
    db, campaign = crawled["db"], crawled["campaign"]
    before = rows(db, "SELECT count(*) FROM posts")[0][0]
    released = net.advance()
    assert released > 0
    third = run_spider(campaign, db, SPIDER_SETTINGS)
    after = rows(db, "SELECT count(*), count(DISTINCT post_id) FROM posts")[0]
    assert after[0] == after[1] > before
    assert third["scout/posts_new"] == after[0] - before
    assert third.get("scout/ratelimit/429", 0) == 0


def test_max_instances_bounds_discovery(net: DemoNetwork, tmp_path: Path) -> None:
    campaign = write_campaign(
        tmp_path / "c.toml", net.mastodon_urls[:1], discover=True, max_instances=2
    )
    db = tmp_path / "s.duckdb"
    stats = run_spider(campaign, db, {**SPIDER_SETTINGS, "SCOUT_REBLOGGED_BY_MAX": 0})
    assert stats["scout/mastodon/instances"] == 2
    assert stats.get("scout/mastodon/discovery_over_max", 0) > 0
    assert len(rows(db, "SELECT DISTINCT source FROM cursors")) == 2


def test_scrapy_runs_the_same_pipeline_chain_as_the_collectors() -> None:
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    from pipelines import ITEM_PIPELINES

    settings = Settings()
    settings.setmodule("crawler.fetch.settings", priority="project")
    for name in settings.getdict("ADDONS"):  # what Crawler does before it builds anything
        load_object(name)().update_settings(settings)
    enabled = settings.getdict("ITEM_PIPELINES")
    assert {k: v for k, v in enabled.items() if v is not None} == ITEM_PIPELINES
    assert "pipelines.store.StoreExtension" in settings.getdict("EXTENSIONS")
