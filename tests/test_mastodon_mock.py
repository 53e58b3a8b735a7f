"""The Mastodon spider against ``mastodon-mock`` (a stateful Mastodon API server written
by others, started here on 127.0.0.1) with its rate limiter on (epoch-second resets) and
injected faults: 429 with Retry-After, 503, a truncated body and a hung connection.

The mock's accounts are not ``indexable`` and it offers no way to change that, so these
campaigns turn the opt-out filter off; consent is tested elsewhere.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.fixtures import ROOT as ROOT_DIR
from tests.support.mastodon import run_spider, write_campaign
from tests.support.mastodon_mock_server import mastodon_mock

ROOT = ROOT_DIR
CONFIG = ROOT / "tests/servers/mastodon_mock/crawl.toml"
LIMIT, WINDOW = 5, 3  # as in crawl.toml
N_STATUSES = 100
CONTROL = "control-plane"  # a token of its own: control calls do not spend the crawler's budget


def call(base: str, method: str, path: str, body: Any = None, token: str = CONTROL) -> Any:
    data = None
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:  # 127.0.0.1 only
        raw = resp.read()
    return json.loads(raw) if raw else None


def seed_statuses() -> str:
    out = []
    for i in range(N_STATUSES):
        who = "alice" if i % 2 == 0 else "bob"
        tags = "#CleanAirECI" + (" #cleanairnow" if i % 5 == 0 else "")
        out.append(
            f'[[seed.statuses]]\naccount = "{who}"\n'
            f'text = "Update {i}: sign the European Citizens\' Initiative {tags}"\n'
        )
    return "\n".join(out)


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("mock")
    config = CONFIG.read_text(encoding="utf-8") + "\n" + seed_statuses()
    with mastodon_mock(config, tmp, CONTROL, probe_path="/api/v1/_mock/faults") as running:
        yield running.base


def add_fault(base: str, effect: dict[str, Any], count: int) -> None:
    rule = {"match": {"path_regex": "^/api/v1/timelines/tag/"}, "effect": effect, "count": count}
    call(base, "POST", "/api/v1/_mock/faults", rule)


SETTINGS = {"DOWNLOAD_TIMEOUT": 2, "RETRY_TIMES": 3, "SCOUT_429_BACKOFF": 0.5}


@pytest.fixture(scope="module")
def first(mock: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("crawl")
    campaign = write_campaign(tmp / "c.toml", [mock], discover=False, respect_opt_outs=False)
    db = tmp / "s.duckdb"
    now = int(time.time())
    add_fault(
        mock,
        {
            "type": "ratelimit",
            "headers": {
                "X-RateLimit-Limit": str(LIMIT),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(now + 1),
                "Retry-After": "1",
            },
        },
        1,
    )
    add_fault(mock, {"type": "status", "status": 503}, 2)
    add_fault(mock, {"type": "malformed"}, 1)
    add_fault(mock, {"type": "timeout", "delay_ms": 30_000}, 1)
    stats = run_spider(campaign, db, SETTINGS)
    return {"db": db, "campaign": campaign, "stats": stats, "tmp": tmp}


def q(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_faults_are_survived_and_everything_is_collected(first: dict[str, Any], mock: str) -> None:
    stats, db = first["stats"], first["db"]
    assert call(mock, "GET", "/api/v1/_mock/faults") in ([], {"rules": []})  # all were served
    n, distinct = q(db, "SELECT count(*), count(DISTINCT post_id) FROM posts")[0]
    assert n == distinct == N_STATUSES
    tagged = q(db, "SELECT count(*) FROM posts WHERE list_contains(hashtags, 'cleanairnow')")
    assert tagged[0][0] == N_STATUSES // 5
    assert stats["scout/ratelimit/429"] == 1  # the injected one; the real budget was kept
    assert stats["retry/reason_count/503 Service Unavailable"] == 2
    assert stats["scout/mastodon/bad_body_retries"] == 1
    assert any("TimeoutError" in k for k in stats if k.startswith("retry/reason_count/"))
    assert stats.get("scout/errors/requests", 0) == 0


def test_cursor_is_the_newest_status(first: dict[str, Any], mock: str) -> None:
    newest = call(mock, "GET", "/api/v1/timelines/tag/cleanaireci?limit=1")[0]["id"]
    cursors = dict(q(first["db"], "SELECT key, value FROM cursors"))
    assert cursors["tag:cleanaireci"] == newest


def test_requests_stay_within_the_epoch_second_budget(first: dict[str, Any]) -> None:
    stats = first["stats"]
    sent = stats["scout/ratelimit/requests"]
    # 100 statuses / 40 per page: 3 pages (+1 empty) for one tag, 1 for the other, the
    # faults' retries, robots.txt and nodeinfo: more than one window's budget
    assert sent > LIMIT
    assert stats.get("scout/ratelimit/budget_waits", 0) >= 1
    windows = stats["elapsed"] / WINDOW + 2
    assert sent <= LIMIT * windows


def test_rerun_collects_only_new_statuses(first: dict[str, Any], mock: str) -> None:
    db = first["db"]
    before = q(db, "SELECT count(*) FROM posts")[0][0]
    for i in range(3):
        req = urllib.request.Request(
            mock + "/api/v1/statuses",
            data=json.dumps({"status": f"Late news {i} #cleanaireci"}).encode(),
            method="POST",
            headers={"Authorization": "Bearer alice-token", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
    stats = run_spider(first["campaign"], db, SETTINGS)
    assert stats["scout/posts_new"] == 3
    assert q(db, "SELECT count(*) FROM posts")[0][0] == before + 3
    assert stats.get("scout/ratelimit/paging_requests", 0) == 0
    assert stats.get("scout/ratelimit/429", 0) == 0


def test_restricted_hashtag_feed_is_recorded_and_skipped(mock: str, tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c.toml", [mock], discover=False, respect_opt_outs=False)
    db = tmp_path / "s.duckdb"
    rule = {
        "match": {"path": "/api/v1/timelines/tag/cleanairnow"},
        "effect": {"type": "status", "status": 401, "body": {"error": "Login required"}},
    }
    call(mock, "POST", "/api/v1/_mock/faults", rule)
    try:
        stats = run_spider(campaign, db, SETTINGS)
        assert stats["scout/mastodon/restricted_feeds"] == 1
        restricted = q(db, "SELECT restricted_tags FROM instances")[0][0]
        assert json.loads(restricted) == {"cleanairnow": "401"}
        assert q(db, "SELECT count(*) FROM posts")[0][0] >= N_STATUSES
        # the next run does not ask again (until the recheck is due)
        again = run_spider(campaign, db, SETTINGS)
        assert again.get("scout/mastodon/restricted_skipped") == 1
        assert again.get("scout/mastodon/restricted_feeds", 0) == 0
    finally:
        for r in call(mock, "GET", "/api/v1/_mock/faults") or []:
            call(mock, "DELETE", f"/api/v1/_mock/faults/{r['id']}")


def _post(mock: str, token: str, text: str) -> None:
    """Post as ``token``'s account. The mock's rate limiter counts the token's stream
    connections too (a stream that reconnects spends them), so a 429 is waited out as the
    server says (``Retry-After``, else the epoch reset) and the post sent again."""
    deadline = time.monotonic() + 30
    while True:
        req = urllib.request.Request(
            mock + "/api/v1/statuses",
            data=json.dumps({"status": text}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 200
                return
        except urllib.error.HTTPError as err:
            if err.code != 429 or time.monotonic() > deadline:
                raise
            wait = _retry_after(err.headers)
        time.sleep(wait)  # the server's own window, not a guess


def _retry_after(headers: Any) -> float:
    if headers.get("Retry-After"):
        return max(0.1, float(headers["Retry-After"]))
    reset = headers.get("X-RateLimit-Reset")
    return max(0.1, float(reset) - time.time()) if reset and reset.isdigit() else 1.0


def _token_campaign(mock: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from crawler.core.config import load_campaign

    write_campaign(path, [mock], discover=False, respect_opt_outs=False)
    text = path.read_text(encoding="utf-8").replace(
        "[privacy]", 'token_env = "SCOUT_TEST_MASTODON_TOKEN"\n[privacy]'
    )
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SCOUT_TEST_MASTODON_TOKEN", "alice-token")
    return load_campaign(path)


def test_authenticated_search_and_lookup(
    mock: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.db.store import Store
    from crawler.mastodon.client import MastodonClient
    from pipelines.chain import PipelineChain

    cfg = _token_campaign(mock, tmp_path / "c.toml", monkeypatch)
    client = MastodonClient.from_campaign(cfg, timeout=10)
    assert client is not None
    bob = client.lookup("bob")
    assert bob is not None and bob["acct"] == "bob" and isinstance(bob["created_at"], str)
    assert client.lookup("nobody-here") is None
    with Store(tmp_path / "s.duckdb") as store:
        chain = PipelineChain(store, respect_opt_outs=False)
        chain.process_many(client.collect(cfg, chain.stats, max_pages=3))
        found = chain.stats.get_value("scout/mastodon/search_statuses")
        assert found >= 40
        # accounts are refreshed at most once a run: the search already did
        assert chain.process_many(client.refresh_accounts(["bob", "alice"], chain.stats)) == 0
        chain.close()
        later = PipelineChain(store, respect_opt_outs=False)
        refreshed = client.refresh_accounts(["bob", "alice", "nobody-here"], later.stats)
        assert later.process_many(refreshed) == 2
        later.close()
        n, distinct = store.con.execute(
            "SELECT count(*), count(DISTINCT post_id) FROM posts"
        ).fetchall()[0]
        assert n == distinct and 40 <= n <= found  # the two searches overlap
        handles = {r[0] for r in store.con.execute("SELECT handle FROM accounts").fetchall()}
        assert {h.split("@")[0] for h in handles} == {"alice", "bob"}


def test_live_streams_feed_the_pipelines(
    mock: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from crawler.app.live import follow_mastodon
    from crawler.db.store import Store
    from crawler.mastodon.live import MastodonLive
    from pipelines.chain import PipelineChain

    cfg = _token_campaign(mock, tmp_path / "c.toml", monkeypatch)
    with Store(tmp_path / "s.duckdb") as store:
        chain = PipelineChain(store, respect_opt_outs=False)
        live = MastodonLive(cfg, chain.stats, timeout=10)
        stop = threading.Event()
        result: list[int] = []

        def follow() -> None:
            result.append(follow_mastodon(live, chain, stop, max_events=2, flush_every=0.5))

        worker = threading.Thread(target=follow)
        worker.start()
        deadline = time.monotonic() + 20
        try:
            assert live.connected.wait(20), "the streams did not connect"
            _post(mock, "bob-token", "Streaming now #cleanaireci")
            _post(mock, "bob-token", "Off topic, no tag")
            _post(mock, "alice-token", "And again #CleanAirECI #cleanairnow")
            while worker.is_alive() and time.monotonic() < deadline:
                worker.join(0.2)
        finally:
            stop.set()
            worker.join(15)
        assert result == [2]
        chain.close()
        texts = sorted(r[0] for r in store.con.execute("SELECT text FROM posts").fetchall())
        assert texts == ["And again #CleanAirECI #cleanairnow", "Streaming now #cleanaireci"]


def test_crawl_searches_with_a_token_and_not_without(
    mock: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.app.crawl import collect_mastodon_search
    from crawler.db.store import Store

    cfg = _token_campaign(mock, tmp_path / "c.toml", monkeypatch)
    with Store(tmp_path / "s.duckdb") as store:
        stats = collect_mastodon_search(cfg, store)
        assert stats["scout/mastodon/search_statuses"] >= 40
        assert store.count("posts") >= 40
    monkeypatch.delenv("SCOUT_TEST_MASTODON_TOKEN")
    with Store(tmp_path / "t.duckdb") as store:
        assert collect_mastodon_search(cfg, store) == {}
        assert store.count("posts") == 0
