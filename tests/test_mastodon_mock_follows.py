"""Followers and following of a seed account (``[seeds] accounts``), walked by the Mastodon
spider against ``mastodon-mock`` (a stateful Mastodon API server written by others,
started on 127.0.0.1 with its per-token rate limiter on).

The world is made through the mock's API, as its users would: every account is seeded
with a token (as tests/test_mastodon_mock.py does), then 130 accounts follow the seed
(``POST /api/v1/accounts/:id/follow`` with their own tokens), the seed follows six,
some followers opt out (``PATCH /api/v1/accounts/update_credentials``: ``discoverable``
false, or ``#nobot`` in the note), and between the two crawls one follower unfollows and
a latecomer follows. The test asserts the stored edges, the dropped opt-outs, the
``seed_lists`` rows, that the walk followed the ``Link`` header page by page (the mock's
own access log), zero 429s, and that the rerun marks exactly the unfollowed edge gone.

Where mastodon-mock 0.6.1 differs from Mastodon 4.x (found in its source, none breaks
the walk):

- Account lists are capped at 40 a page (``mastodon_mock/pagination.py`` ``MAX_LIMIT``),
  where Mastodon serves up to 80 for ``/followers`` and ``/following``: the spider asks
  for 80 and gets 40, so 130 followers are 4 pages (40, 40, 40, 10), not 2. Its ``next``
  link carries ``limit=40``; the spider asks for 80 again on every page.
- ``indexable`` is stored and served but nothing writes it: neither
  ``update_credentials`` (Mastodon >= 4.2 accepts it) nor the seed config, and it
  defaults to false, so every mock account reads as opted out of indexing. The test
  sets it in the mock's SQLite file for the accounts that consent, leaving a few at the
  default (a third kind of opt-out). tests/test_mastodon_mock.py turns the consent
  filter off instead; here it stays on.
- ``update_credentials`` reads only a form body (a JSON body is ignored without an
  error) and stores the note as plain text (Mastodon renders it as HTML).
- ``hide_collections`` is served (null) but nothing writes it, so a seed hiding its
  lists is tested against the loopback server of tests/test_mastodon_follows.py only.
- Paging is by account id, not by the follow's id as on Mastodon, so the order is
  newest account first rather than newest follow first (the walk does not depend on it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.mastodon.parse import parse_account
from tests.support.fixtures import ROOT
from tests.support.mastodon import rows, run_spider
from tests.support.mastodon_follows import write_seed_campaign
from tests.support.mastodon_mock_server import RunningMock, api, mastodon_mock
from tests.support.net import host_port

CONFIG = ROOT / "tests/servers/mastodon_mock/follows.toml"
LIMIT, WINDOW = 8, 2  # as in follows.toml
CONTROL = "control-plane"  # a token of its own: the test's reads spend no one else's budget
SEED = "cleanair_eci"
N_FANS = 130  # more than one page of 80 (and more than three of the mock's 40)
MOCK_PAGE = 40  # mastodon-mock's cap on ``limit``
SEED_FOLLOWS = ["fan000", "fan001", "fan002", "fan003", "fan007", "newsdesk"]
UNFOLLOWER = "fan004"
LATECOMER = "latecomer"
SETTINGS = {"DOWNLOAD_TIMEOUT": 5, "RETRY_TIMES": 2}


def fans() -> list[str]:
    return [f"fan{i:03d}" for i in range(N_FANS)]


def not_discoverable(name: str) -> bool:
    return name.startswith("fan") and int(name[3:]) % 10 == 3


def says_nobot(name: str) -> bool:
    return name.startswith("fan") and int(name[3:]) % 10 == 7


def not_indexable(name: str) -> bool:  # left at mastodon-mock's default
    return name.startswith("fan") and int(name[3:]) % 25 == 11


def opted_out(name: str) -> bool:
    return not_discoverable(name) or says_nobot(name) or not_indexable(name)


def usernames() -> list[str]:
    return [SEED, *fans(), "newsdesk", LATECOMER]


def token(name: str) -> str:
    return f"{name}-token"


def world_config() -> str:
    lines = [CONFIG.read_text(encoding="utf-8")]
    for name in usernames():
        lines += [
            "[[seed.accounts]]",
            f'username = "{name}"',
            f'note = "Clean air in Europe ({name})"',
            f'access_token = "{token(name)}"',
        ]
    return "\n".join(lines) + "\n"


def grant_indexable(mock: RunningMock, names: list[str]) -> None:
    """What ``update_credentials indexable=true`` does on Mastodon >= 4.2 (the mock has
    no endpoint for it): set in its database, as its users would have consented."""
    with sqlite3.connect(mock.database, timeout=10) as con:
        marks = ",".join("?" * len(names))
        cur = con.execute(f"UPDATE accounts SET indexable = 1 WHERE username IN ({marks})", names)  # noqa: S608
        assert cur.rowcount == len(names)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("mockfollows")
    with mastodon_mock(world_config(), tmp, CONTROL) as mock:
        base = mock.base
        grant_indexable(mock, [n for n in usernames() if not not_indexable(n)])
        me = {
            n: api(base, "GET", "/api/v1/accounts/verify_credentials", token(n))
            for n in usernames()
        }
        host = host_port(base)
        now = datetime.now(UTC)
        ids = {n: parse_account(acc, host, now).account_id for n, acc in me.items()}
        seed_local = me[SEED]["id"]
        for name in fans():
            rel = api(base, "POST", f"/api/v1/accounts/{seed_local}/follow", token(name))
            assert rel["following"] is True
            if not_discoverable(name):
                form = {"discoverable": "false"}
            elif says_nobot(name):
                form = {"note": "Teacher in Gdańsk. #nobot please"}
            else:
                continue
            api(base, "PATCH", "/api/v1/accounts/update_credentials", token(name), form=form)
        for name in SEED_FOLLOWS:
            api(base, "POST", f"/api/v1/accounts/{me[name]['id']}/follow", token(SEED))
        yield {"mock": mock, "ids": ids, "local": {n: a["id"] for n, a in me.items()}, "tmp": tmp}


def expected_edges(ids: dict[str, str], followers: list[str]) -> set[tuple[str, str]]:
    edges = {(ids[n], ids[SEED]) for n in followers if not opted_out(n)}
    return edges | {(ids[SEED], ids[n]) for n in SEED_FOLLOWS if not opted_out(n)}


def list_requests(mock: RunningMock, local_id: str, kind: str) -> list[tuple[str, int]]:
    path = f"/api/v1/accounts/{local_id}/{kind}"
    return [(t, s) for _, t, s in mock.requests() if urlsplit(t).path == path]


@pytest.fixture(scope="module")
def first(world: dict[str, Any]) -> dict[str, Any]:
    mock: RunningMock = world["mock"]
    tmp = world["tmp"]
    host = host_port(mock.base)
    seeds = [f"{SEED}@{host}", f"ghost@{host}"]
    campaign = write_seed_campaign(tmp / "c.toml", mock.base, seeds)
    db = tmp / "scout.duckdb"
    before = len(mock.requests())
    stats = run_spider(campaign, db, SETTINGS, timeout=60)
    return {"db": db, "campaign": campaign, "stats": stats, "log_from": before}


def test_walk_stores_exactly_the_expected_edges(
    world: dict[str, Any], first: dict[str, Any]
) -> None:
    ids, db = world["ids"], first["db"]
    edges = expected_edges(ids, fans())
    assert len(edges) == 99 + 4  # 130 followers less 31 opted out; 6 followed less 2
    got = rows(db, "SELECT src_account_id, dst_account_id, platform, gone_at FROM follows")
    assert {(s, d) for s, d, _, _ in got} == edges
    assert len(got) == len(edges)
    assert {(p, g) for _, _, p, g in got} == {("mastodon", None)}
    stats = first["stats"]
    assert stats["scout/follows_new"] == len(edges)
    assert stats["scout/mastodon/follow_accounts"] == N_FANS + len(SEED_FOLLOWS)


def test_opted_out_accounts_and_their_edges_are_absent(
    world: dict[str, Any], first: dict[str, Any]
) -> None:
    ids, db = world["ids"], first["db"]
    out = {ids[n] for n in fans() if opted_out(n)}
    assert len(out) == 13 + 13 + 5
    stored = {r[0] for r in rows(db, "SELECT account_id FROM accounts")}
    assert not stored & out
    # everyone else the seed's lists name, and the seed itself
    listed = {n for n in [*fans(), *SEED_FOLLOWS] if not opted_out(n)}
    assert stored == {ids[n] for n in listed} | {ids[SEED]}
    assert rows(db, "SELECT count(*) FROM opted_out")[0][0] >= len(out)
    stats = first["stats"]
    # fan003 and fan007 are in both lists: one dropped edge each way
    assert stats["scout/consent/follows_skipped"] == len(out) + 2
    reasons = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if "/consent/reason/" in k}
    assert reasons == {"discoverable": 13, "#nobot": 13, "indexable": 5}


def test_seed_lists_are_complete_with_their_item_counts(
    world: dict[str, Any], first: dict[str, Any]
) -> None:
    ids, db = world["ids"], first["db"]
    host = host_port(world["mock"].base)
    got = {
        r[0]: r[1:]
        for r in rows(db, "SELECT list_id, status, items, reason, account_id, seed FROM seed_lists")
    }
    seed = f"{SEED}@{host}"
    # every account listed counts, opted out or not (consent drops them after the walk)
    assert got[f"{ids[SEED]}#followers"] == ("complete", N_FANS, None, ids[SEED], seed)
    assert got[f"{ids[SEED]}#following"] == ("complete", len(SEED_FOLLOWS), None, ids[SEED], seed)
    for kind in ("followers", "following"):
        status, items, reason, account_id, _ = got[f"mastodon:ghost@{host}#{kind}"]
        assert (status, items, account_id) == ("not_found", 0, None)
        assert "HTTP 404" in reason
    assert len(got) == 4
    assert rows(db, "SELECT count(*) FROM campaign_seeds")[0][0] == 4
    # finished walks leave no cursor behind
    left = rows(db, "SELECT count(*) FROM cursors WHERE key LIKE 'follow%' AND value <> ''")
    assert left == [(0,)]


def test_walk_follows_the_link_header_page_by_page(
    world: dict[str, Any], first: dict[str, Any]
) -> None:
    mock: RunningMock = world["mock"]
    seed_local = world["local"][SEED]
    pages = list_requests(mock, seed_local, "followers")
    # 130 at the mock's 40 a page: 40, 40, 40, 10 (the last has no next link)
    assert len(pages) == -(-N_FANS // MOCK_PAGE) == 4
    assert all(status == 200 for _, status in pages)
    queries = [parse_qs(urlsplit(t).query) for t, _ in pages]
    assert "max_id" not in queries[0]
    cursors = [q["max_id"][0] for q in queries[1:]]
    assert len(set(cursors)) == 3  # each page asked once, each at the previous one's end
    assert all(q["limit"] == ["80"] for q in queries)  # the API maximum, every page
    assert [t for t, _ in list_requests(mock, seed_local, "following")] == [
        f"/api/v1/accounts/{seed_local}/following?limit=80"
    ]
    assert first["stats"]["scout/mastodon/follow_pages"] == 5


def test_crawl_keeps_the_budget_with_no_429(world: dict[str, Any], first: dict[str, Any]) -> None:
    mock: RunningMock = world["mock"]
    served = mock.requests()[first["log_from"] :]
    assert served, "the mock logged none of the crawl's requests"
    assert [t for _, t, s in served if s == 429] == []
    stats = first["stats"]
    assert stats.get("scout/ratelimit/429", 0) == 0
    sent = stats["scout/ratelimit/requests"]
    assert sent > LIMIT  # more than one window's budget: the pacing was needed
    assert sent <= LIMIT * (stats["elapsed"] / WINDOW + 2)


def first_seen(db: Path) -> dict[tuple[str, str], Any]:
    got = rows(db, "SELECT src_account_id, dst_account_id, first_seen_at FROM follows")
    return {(s, d): seen for s, d, seen in got}


def test_rerun_marks_exactly_the_unfollowed_edge_gone(
    world: dict[str, Any], first: dict[str, Any]
) -> None:
    mock: RunningMock = world["mock"]
    ids, local, db = world["ids"], world["local"], first["db"]
    before = first_seen(db)
    rel = api(mock.base, "POST", f"/api/v1/accounts/{local[SEED]}/unfollow", token(UNFOLLOWER))
    assert rel["following"] is False
    api(mock.base, "POST", f"/api/v1/accounts/{local[SEED]}/follow", token(LATECOMER))
    assert (ids[UNFOLLOWER], ids[SEED]) in before
    log_from = len(mock.requests())
    stats = run_spider(first["campaign"], db, SETTINGS, timeout=60)
    gone = rows(db, "SELECT src_account_id, dst_account_id FROM follows WHERE gone_at IS NOT NULL")
    assert gone == [(ids[UNFOLLOWER], ids[SEED])]
    assert stats["scout/follows_gone"] == 1
    assert stats["scout/follows_new"] == 1
    followers = [n for n in fans() if n != UNFOLLOWER] + [LATECOMER]
    now = first_seen(db)
    assert set(now) == expected_edges(ids, followers) | {(ids[UNFOLLOWER], ids[SEED])}
    # known edges keep when they were first seen
    assert all(now[e] == seen for e, seen in before.items())
    (items,) = rows(db, f"SELECT items FROM seed_lists WHERE list_id = '{ids[SEED]}#followers'")[0]  # noqa: S608
    assert items == N_FANS  # one left, one came
    assert [t for _, t, s in mock.requests()[log_from:] if s == 429] == []
    assert stats.get("scout/ratelimit/429", 0) == 0
