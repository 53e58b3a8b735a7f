"""Followers and following of Mastodon seed accounts (``[seeds] accounts``), walked by
the Mastodon spider: the recorded real responses parse; against a loopback server that
pages like Mastodon 4.x (``tests/support/mastodon_follows.py``) the walk collects every
listed account once, stores the edges, honours ``followers_max``, ``hide_collections``,
empty lists, missing and opted-out seeds and opted-out followers, resumes a killed walk
from its saved cursor, marks edges gone on a rerun, gives a refused host one error
line, and stays within the server's budget with zero 429s.

Each crawl runs in a subprocess (Scrapy's reactor starts once per process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.core.resume import CLEARED
from crawler.core.seeds import parse_seed
from crawler.mastodon.parse import (
    hides_collections,
    next_url,
    parse_account,
    parse_account_list,
)
from spiders.mastodon_follows import _ListWalk, _Seed, empty_list_status
from tests.support.fixtures import FIXTURES_DIR, load_cassette
from tests.support.mastodon import API_LIMIT, API_WINDOW, PAGING_LIMIT, PAGING_WINDOW, rows
from tests.support.mastodon_follows import (
    REMOTE,
    FollowsServer,
    World,
    spider_stats,
    start_spider,
    wait_for,
    write_seed_campaign,
)
from tests.support.net import allowed_hosts, host_port

RECORDED = FIXTURES_DIR / "mastodon" / "dev-server-4.6.4"
FAST_FAULTS = {"RETRY_TIMES": 1, "SCOUT_RETRY_BACKOFF": 0.05, "DOWNLOAD_TIMEOUT": 10}
NOW = datetime(2026, 8, 1, tzinfo=UTC)


# ---------------------------------------------------------------- recorded responses
@pytest.mark.parametrize("name", ["test_account_followers.yaml", "test_account_following.yaml"])
def test_recorded_lists_parse(name: str) -> None:
    me, listing = load_cassette(RECORDED / name)
    assert listing.uri.endswith(name.removeprefix("test_account_").removesuffix(".yaml"))
    account = parse_account(me.json(), "localhost:3000", NOW)
    assert account.account_id == "mastodon:http://localhost:3000/ap/users/117020457910412882"
    assert account.handle == "mastodonpy_test@localhost:3000"
    assert not hides_collections(me.json())  # null: the server does not say
    accounts, unreadable = parse_account_list(listing.json(), "localhost:3000", NOW)
    assert (accounts, unreadable) == ([], 0)
    assert next_url(listing.header("link")) is None  # the last (only) page
    # an empty list of an account that counts nobody is a complete walk
    kind = "followers" if "followers" in name else "following"
    assert account.followers_count == 0 and account.following_count == 0
    assert empty_list_status(kind, 0, resumed=False) == ("complete", None)
    assert empty_list_status(kind, 12, resumed=False)[0] == "refused"
    assert empty_list_status(kind, 12, resumed=True) == ("complete", None)


def test_account_list_keeps_readable_entries_and_reads_the_next_link() -> None:
    (lookup,) = [
        r for r in load_cassette(RECORDED / "test_account_lookup.yaml") if r.status == 200
    ][:1]
    good = lookup.json()
    accounts, unreadable = parse_account_list([good, {"id": "1"}, "junk"], "localhost:3000", NOW)
    assert [a.handle for a in accounts] == ["mastodonpy_test@localhost:3000"]
    assert unreadable == 2
    link = (
        '<https://m.example/api/v1/accounts/1/followers?limit=80&max_id=77>; rel="next", '
        '<https://m.example/api/v1/accounts/1/followers?limit=80&since_id=99>; rel="prev"'
    )
    assert next_url(link) == "https://m.example/api/v1/accounts/1/followers?limit=80&max_id=77"


def test_a_saved_cursor_continues_only_its_own_list() -> None:
    seed = _Seed(parse_seed("https://m.example/@eci"), "https://m.example", NOW)
    walk = _ListWalk(seed, "followers", "mastodon:https://m.example/users/eci", "7", NOW)
    later = replace(walk, items=160, started_at=NOW, pages=2)
    url = "https://m.example/api/v1/accounts/7/followers?limit=80&max_id=5501"
    saved = later.progress_item(url)
    assert (saved.source, saved.key) == ("mastodon:m.example", "followers:eci@m.example#backfill")
    resumed = walk.resumed(saved.value)
    assert resumed is not None
    again, at = resumed
    assert (at, again.items, again.started_at, again.saved) == (url, 160, NOW, True)
    # another account's list, another server, or an unreadable value: start from the top
    assert replace(walk, local_id="8").resumed(saved.value) is None
    assert (
        replace(walk, account_id="mastodon:https://m.example/users/x").resumed(saved.value) is None
    )
    other = later.progress_item("https://evil.example/api/v1/accounts/7/followers?max_id=1")
    assert walk.resumed(other.value) is None
    assert walk.resumed("{not json") is None and walk.resumed(CLEARED) is None


# ---------------------------------------------------------------- the loopback world
def _world() -> World:
    """Two partner seeds with overlapping, partly remote, partly opted-out followers;
    one hides its lists, one lists nobody while counting 40, one opted out."""
    w = World()
    for seed in ("cleanair_eci", "partner_ngo", "quiet_ngo", "locked_union"):
        w.add(seed)
    w.people["quiet_ngo"].hide_collections = True
    w.people["locked_union"].counts_shown = {"followers": 40}
    w.add("private_org", discoverable=False)
    for i in range(170):
        name = f"fan{i:03d}"
        if i % 17 == 3:
            w.add(name, discoverable=False)  # opted out by the platform flag
        elif i % 23 == 5:
            w.add(name, note="<p>Teacher in Gdańsk. #nobot please</p>")
        else:
            w.add(name, remote=i % 3 == 0)
        w.follow(name, "cleanair_eci")
        if i % 2 == 0 and i < 120:
            w.follow(name, "partner_ngo")  # 60 follow both
        if i < 25:
            w.follow("cleanair_eci", name)
    for i in range(30):
        w.add(f"only_partner{i:02d}")
        w.follow(f"only_partner{i:02d}", "partner_ngo")
    for name in ("cleanair_eci", "fan001", "fan002"):
        w.follow("partner_ngo", name)
        w.follow("locked_union", name)
    for i in range(12):
        w.follow(f"fan{i + 100:03d}", "private_org")
    return w


def _opted_out(w: World, name: str) -> bool:
    p = w.people[name]
    return p.discoverable is False or "#nobot" in p.note


def _expected_edges(w: World, seeds: list[str]) -> set[tuple[str, str]]:
    edges = set()
    for _, src, dst in w.follows:
        if (src in seeds or dst in seeds) and not (_opted_out(w, src) or _opted_out(w, dst)):
            edges.add((f"mastodon:{w.uri(src)}", f"mastodon:{w.uri(dst)}"))
    return edges


@pytest.fixture(scope="module")
def server() -> Iterator[FollowsServer]:
    with FollowsServer(_world()) as srv, allowed_hosts(srv.url):
        yield srv


@pytest.fixture(scope="module")
def crawled(server: FollowsServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("follows")
    host = server.world.host
    seeds = [
        f"{server.url}/@cleanair_eci",  # a profile URL
        f"@partner_ngo@{host}",  # a handle: the scheme comes from the configured instance
        f"quiet_ngo@{host}",
        f"locked_union@{host}",
        f"ghost@{host}",
        f"{server.url}/users/private_org",
    ]
    campaign = write_seed_campaign(tmp / "c.toml", server.url, seeds)
    db = tmp / "scout.duckdb"
    stats = spider_stats(start_spider(campaign, db, FAST_FAULTS))
    return {"db": db, "stats": stats, "campaign": campaign}


def test_walk_collects_every_listed_account_once(
    server: FollowsServer, crawled: dict[str, Any]
) -> None:
    w, db = server.world, crawled["db"]
    walked = ["cleanair_eci", "partner_ngo", "locked_union"]
    edges = _expected_edges(w, walked)
    got = set(rows(db, "SELECT src_account_id, dst_account_id FROM follows"))
    assert got == edges
    assert len(edges) > 250  # 170 + 90 followers, 25 + 3 + 3 followed, minus opt-outs
    assert rows(db, "SELECT count(*) FROM follows WHERE gone_at IS NOT NULL") == [(0,)]
    # accounts: the seeds that may be collected and everyone they list, opt-outs not
    listed = {a for e in edges for a in e}
    accounts = {r[0] for r in rows(db, "SELECT account_id FROM accounts")}
    assert accounts == listed | {f"mastodon:{w.uri('quiet_ngo')}"}
    handles = {r[0] for r in rows(db, "SELECT handle FROM accounts")}
    assert f"fan000@{REMOTE}" in handles and f"fan001@{w.host}" in handles
    # every page asked once: 172 followers are 3 pages (80, 80, 12)
    pages = server.list_requests("cleanair_eci", "followers")
    assert len(pages) == len(set(pages)) == 3
    assert "max_id=" not in pages[0] and all("max_id=" in p for p in pages[1:])
    stats = crawled["stats"]
    # 3 + 2 (90 followers) + 1 + 1 (following) + 1 + 1 (locked_union)
    assert stats["scout/mastodon/follow_pages"] == 9
    assert stats["scout/mastodon/seed_lookups"] == 6
    # every edge with an opted-out end was dropped by the consent step
    dropped = [
        (s, d)
        for _, s, d in w.follows
        if (s in walked or d in walked) and (_opted_out(w, s) or _opted_out(w, d))
    ]
    assert len(dropped) >= 12
    assert stats["scout/consent/follows_skipped"] == len(dropped)


def test_opted_out_followers_and_their_edges_are_dropped(
    server: FollowsServer, crawled: dict[str, Any]
) -> None:
    w, db = server.world, crawled["db"]
    out = [n for n in w.people if n.startswith("fan") and _opted_out(w, n)]
    assert len(out) >= 12
    ids = [f"mastodon:{w.uri(n)}" for n in out]
    stored = {r[0] for r in rows(db, "SELECT account_id FROM accounts")}
    assert not stored & set(ids)
    ends = {a for e in rows(db, "SELECT src_account_id, dst_account_id FROM follows") for a in e}
    assert not ends & set(ids)
    # remembered as opted out, so a later post by one of them is not collected either
    assert rows(db, "SELECT count(*) FROM opted_out")[0][0] >= len(out)


def test_seed_lists_record_how_each_walk_ended(
    server: FollowsServer, crawled: dict[str, Any]
) -> None:
    w, db = server.world, crawled["db"]
    got = {
        r[0]: r[1:]
        for r in rows(db, "SELECT list_id, status, items, reason, kind, seed FROM seed_lists")
    }

    def lid(name: str, kind: str) -> str:
        return f"mastodon:{w.uri(name)}#{kind}"

    # 170 fans and two partner seeds
    assert got[lid("cleanair_eci", "followers")][:2] == ("complete", 172)
    assert got[lid("cleanair_eci", "following")][:2] == ("complete", 25)
    assert got[lid("partner_ngo", "followers")][:2] == ("complete", 90)
    assert got[lid("cleanair_eci", "followers")][4] == f"{server.url}/@cleanair_eci"
    for kind in ("followers", "following"):
        status, items, reason, _, _ = got[lid("quiet_ngo", kind)]
        assert (status, items) == ("hidden", 0) and "hides" in reason
    status, _, reason, _, _ = got[lid("locked_union", "followers")]
    assert status == "refused" and "counts 40" in reason
    assert got[lid("locked_union", "following")][:2] == ("complete", 3)
    # no such account; an opted-out seed: named by handle, its lists never asked
    for name in ("ghost", "private_org"):
        for kind in ("followers", "following"):
            status, items, reason, _, _ = got[f"mastodon:{name}@{w.host}#{kind}"]
            assert (status, items) == ("not_found", 0)
    assert "opted out" in got[f"mastodon:private_org@{w.host}#followers"][2]
    assert "HTTP 404" in got[f"mastodon:ghost@{w.host}#followers"][2]
    for name in ("quiet_ngo", "private_org"):
        assert server.list_requests(name, "followers") == []
    assert len(got) == 12
    (n,) = rows(db, "SELECT count(*) FROM campaign_seeds WHERE campaign = 'Clean Air ECI seeds'")[0]
    assert n == 12
    stats = crawled["stats"]
    assert stats["scout/mastodon/follow_lists/complete"] == 5
    assert stats["scout/mastodon/follow_lists/hidden"] == 2
    assert stats["scout/mastodon/follow_lists/not_found"] == 4
    assert stats["scout/mastodon/follow_lists/refused"] == 1
    # no cursor left behind by finished walks
    left = rows(db, "SELECT count(*) FROM cursors WHERE key LIKE 'follow%' AND value <> ''")
    assert left == [(0,)]


# ---------------------------------------------------------------- one big seed
def _big_world(followers: int = 1000, following: int = 100) -> World:
    w = World()
    w.add("big_campaign")
    for i in range(max(followers, following)):
        w.add(f"p{i:04d}", remote=i % 4 == 0)
    for i in range(followers):
        w.follow(f"p{i:04d}", "big_campaign")
    for i in range(following):
        w.follow("big_campaign", f"p{i:04d}")
    return w


def _follower_ids(db: Path, w: World, seed: str) -> list[str]:
    dst = f"mastodon:{w.uri(seed)}"
    got = rows(db, f"SELECT src_account_id FROM follows WHERE dst_account_id = '{dst}'")  # noqa: S608
    return [r[0] for r in got]


def _list_row(db: Path, w: World, seed: str, kind: str) -> tuple[Any, ...]:
    list_id = f"mastodon:{w.uri(seed)}#{kind}"
    (row,) = rows(
        db,
        f"SELECT status, items, reason FROM seed_lists WHERE list_id = '{list_id}'",  # noqa: S608
    )
    return row


def test_followers_max_truncates_to_the_newest(tmp_path: Path) -> None:
    w = _big_world(followers=500, following=10)
    with FollowsServer(w) as srv, allowed_hosts(srv.url):
        campaign = write_seed_campaign(
            tmp_path / "c.toml", srv.url, [f"big_campaign@{w.host}"], followers_max=200
        )
        db = tmp_path / "scout.duckdb"
        stats = spider_stats(start_spider(campaign, db, FAST_FAULTS))
    newest = [name for _, name in w.listing("big_campaign", "followers")[:200]]
    assert sorted(_follower_ids(db, w, "big_campaign")) == sorted(
        f"mastodon:{w.uri(n)}" for n in newest
    )
    status, items, reason = _list_row(db, w, "big_campaign", "followers")
    assert (status, items) == ("truncated", 200) and "followers_max (200)" in reason
    assert _list_row(db, w, "big_campaign", "following")[:2] == ("complete", 10)
    # 80 + 80 + the 40 left: the last page asks for no more than the cap leaves
    pages = srv.list_requests("big_campaign", "followers")
    assert len(pages) == 3 and "limit=40" in pages[-1]
    assert stats["scout/mastodon/follow_lists/truncated"] == 1
    assert rows(db, "SELECT count(*) FROM cursors WHERE value <> '' AND key LIKE 'follow%'") == [
        (0,)
    ]


def _saved_cursor(db: Path) -> dict[str, Any] | None:
    got = rows(db, "SELECT value FROM cursors WHERE key LIKE 'followers:%' AND value <> ''")
    return json.loads(got[0][0]) if got else None


def test_killed_walk_resumes_from_its_cursor_and_a_rerun_marks_gone_edges(
    tmp_path: Path,
) -> None:
    w = _big_world(followers=1000, following=0)
    db = tmp_path / "scout.duckdb"
    with FollowsServer(w) as srv, allowed_hosts(srv.url):
        campaign = write_seed_campaign(tmp_path / "c.toml", srv.url, [f"big_campaign@{w.host}"])
        srv.page_delay = 0.25
        proc = start_spider(campaign, db, FAST_FAULTS)
        try:
            wait_for(
                lambda: len(srv.list_requests("big_campaign", "followers")) >= 6,
                what="six follower pages served",
            )
        finally:
            proc.kill()  # as a power cut: no shutdown, nothing flushed
            proc.communicate(timeout=30)
        first_run = srv.list_requests("big_campaign", "followers")
        cursor = _saved_cursor(db)
        assert cursor is not None, "no page-level cursor saved before the kill"
        assert 80 <= cursor["items"] < 1000 and "max_id=" in cursor["next"]
        stored_before = len(_follower_ids(db, w, "big_campaign"))
        assert stored_before >= cursor["items"]
        srv.page_delay = 0.0
        second = spider_stats(start_spider(campaign, db, FAST_FAULTS))
        run2 = srv.list_requests("big_campaign", "followers")[len(first_run) :]
        # continued at the saved page: no page whose items were saved is asked again
        assert run2[0].split("?", 1)[1] == cursor["next"].split("?", 1)[1]
        assert second["scout/mastodon/follow_walks_resumed"] == 1
        assert len(run2) == (1000 - cursor["items"] + 79) // 80
        ids = _follower_ids(db, w, "big_campaign")
        assert len(ids) == len(set(ids)) == 1000
        assert _list_row(db, w, "big_campaign", "followers")[:2] == ("complete", 1000)
        # the resumed walk kept its start: nothing read before the kill is marked gone
        assert rows(db, "SELECT count(*) FROM follows WHERE gone_at IS NOT NULL") == [(0,)]
        assert _saved_cursor(db) is None

        # a follower leaves, another arrives: the next complete walk records both
        w.unfollow("p0500", "big_campaign")
        w.add("newcomer")
        w.follow("newcomer", "big_campaign")
        third = spider_stats(start_spider(campaign, db, FAST_FAULTS))
    assert third["scout/follows_new"] == 1
    gone = rows(db, "SELECT src_account_id FROM follows WHERE gone_at IS NOT NULL")
    assert gone == [(f"mastodon:{w.uri('p0500')}",)]
    assert third["scout/follows_gone"] == 1
    assert f"mastodon:{w.uri('newcomer')}" in _follower_ids(db, w, "big_campaign")
    assert _list_row(db, w, "big_campaign", "followers")[:2] == ("complete", 1000)


def test_failed_list_is_recorded_and_continued_next_run(tmp_path: Path) -> None:
    w = _big_world(followers=200, following=5)
    db = tmp_path / "scout.duckdb"
    with FollowsServer(w) as srv, allowed_hosts(srv.url):
        campaign = write_seed_campaign(tmp_path / "c.toml", srv.url, [f"big_campaign@{w.host}"])
        srv.fail_lists.add("big_campaign")
        first = spider_stats(start_spider(campaign, db, FAST_FAULTS))
        status, items, reason = _list_row(db, w, "big_campaign", "followers")
        assert (status, items, reason) == ("failed", 0, "HTTP 503")
        assert first["scout/mastodon/follow_lists/failed"] == 2
        assert first["scout/pages_skipped"] == 2
        assert any(w.host in line and "skipped" in line for line in first["scout/error_lines"])
        assert "Traceback" not in first["stderr"]
        srv.fail_lists.clear()
        spider_stats(start_spider(campaign, db, FAST_FAULTS))
    assert _list_row(db, w, "big_campaign", "followers")[:2] == ("complete", 200)
    assert len(_follower_ids(db, w, "big_campaign")) == 200


def test_unreachable_seeds_are_one_error_line_each(server: FollowsServer, tmp_path: Path) -> None:
    elsewhere = "http://127.0.0.1:9"  # allowed when the file is read, refused when crawled
    host = server.world.host
    with allowed_hosts(elsewhere):
        campaign = write_seed_campaign(
            tmp_path / "c.toml",
            server.url,
            # refused by the crawl's address policy; https to an http server; a good one
            [f"{elsewhere}/@someone", f"https://{host}/@cleanair_eci", f"partner_ngo@{host}"],
        )
        db = tmp_path / "scout.duckdb"
        stats = spider_stats(
            start_spider(campaign, db, FAST_FAULTS, allowed_hosts=host_port(server.url))
        )
    tls, refused = stats["scout/error_lines"]
    assert refused.startswith(f"seed {elsewhere}/@someone not crawled: loopback or private host")
    assert "127.0.0.1:9 not named in SCOUT_ALLOWED_HOSTS" in refused
    assert tls == f"{host}: 1 page skipped (TLS handshake failed (does the server speak https?))"
    assert "Traceback" not in stats["stderr"]
    assert stats["scout/mastodon/seeds_refused"] == 1
    got = {r[0]: r[1:] for r in rows(db, "SELECT list_id, status, reason FROM seed_lists")}
    assert len(got) == 4  # nothing recorded for a seed never asked
    assert got[f"mastodon:cleanair_eci@{host}#followers"] == (
        "failed",
        "TLS handshake failed (does the server speak https?)",
    )
    # the other seed was walked as usual
    assert got[f"mastodon:{server.world.uri('partner_ngo')}#followers"][0] == "complete"


# ---------------------------------------------------------------- budget
def test_walk_stays_within_the_servers_budget(tmp_path: Path) -> None:
    w = _big_world(followers=1000, following=100)
    db = tmp_path / "scout.duckdb"
    with (
        FollowsServer(w, api=(API_LIMIT, API_WINDOW), paging=(PAGING_LIMIT, PAGING_WINDOW)) as srv,
        allowed_hosts(srv.url),
    ):
        campaign = write_seed_campaign(tmp_path / "c.toml", srv.url, [f"big_campaign@{w.host}"])
        settings = {
            **FAST_FAULTS,
            "SCOUT_PAGING_LIMIT": PAGING_LIMIT,
            "SCOUT_PAGING_WINDOW": PAGING_WINDOW,
        }
        stats = spider_stats(start_spider(campaign, db, settings), timeout=300)
    assert srv.rate_limited == 0
    assert stats.get("scout/ratelimit/429", 0) == 0
    # 13 follower pages and 2 following pages, 13 of them paging: the paging budget
    # (8 per 5 s) was binding, and the crawl waited rather than being refused
    assert stats["scout/mastodon/follow_pages"] == 15
    assert stats["scout/ratelimit/paging_requests"] == 13
    assert stats.get("scout/ratelimit/paging_waits", 0) >= 1
    assert len(_follower_ids(db, w, "big_campaign")) == 1000
    assert _list_row(db, w, "big_campaign", "followers")[:2] == ("complete", 1000)
    assert _list_row(db, w, "big_campaign", "following")[:2] == ("complete", 100)
