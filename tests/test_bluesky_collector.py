"""The Bluesky collector against the demo network's Bluesky service (127.0.0.1):
session reuse, refresh, one re-login on a rejected session, the session file's mode,
no secret in logs or the database, the ``tag`` filter, and rate limits (zero 429s)."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from atproto_client.client.session import Session

from crawler.bluesky.collector import BlueskyCollector, BlueskyError
from crawler.core.config import Campaign, load_campaign
from crawler.db.store import Store
from pipelines.chain import PipelineChain
from scout_demo.server import (
    DEMO_BSKY_HANDLE,
    DEMO_BSKY_PASSWORD,
    DemoNetwork,
    write_demo_campaign,
)
from scout_demo.world import build_world

N_ACCOUNTS, N_POSTS = 300, 3000


@pytest.fixture(autouse=True)
def _demo_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOUT_DEMO_BSKY_HANDLE", DEMO_BSKY_HANDLE)
    monkeypatch.setenv("SCOUT_DEMO_BSKY_PASSWORD", DEMO_BSKY_PASSWORD)


@pytest.fixture(scope="module")
def net() -> Iterator[DemoNetwork]:
    with DemoNetwork(seed=5, n_accounts=N_ACCOUNTS, n_posts=N_POSTS) as network:
        yield network


def _campaign(net: DemoNetwork, tmp: Path) -> Campaign:
    return load_campaign(write_demo_campaign(net.state, tmp / "campaign.toml"))


def _calls(net: DemoNetwork) -> dict[str, int]:
    return dict(DemoNetwork._call(net.bluesky_url + "/_demo/stats")["requests"])


def _collector(
    campaign: Campaign, store: Store, session_dir: Path, **kw: Any
) -> tuple[BlueskyCollector, PipelineChain]:
    chain = PipelineChain(store)
    collector = BlueskyCollector(
        campaign, stats=chain.stats, cursors=store, session_dir=session_dir, **kw
    )
    return collector, chain


def _fake_jwt(exp: float) -> str:
    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    head = b64({"typ": "at+jwt", "alg": "HS256"})
    body = b64({"scope": "com.atproto.appPass", "sub": "did:plc:x", "exp": int(exp)})
    return f"{head}.{body}.c2lnbmF0dXJl"


def _session_file(session_dir: Path) -> Path:
    files = list(session_dir.glob("bluesky-*.session"))
    assert len(files) == 1
    return files[0]


def test_session_kept_reused_refreshed_and_relogged(
    net: DemoNetwork, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    campaign = _campaign(net, tmp_path)
    sessions = tmp_path / "sessions"
    before = _calls(net)
    with Store(tmp_path / "db.duckdb") as store:
        # 1. first run: one createSession, the session file readable by its owner only
        c, chain = _collector(campaign, store, sessions)
        c.login()
        path = _session_file(sessions)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        original = path.read_text()
        assert chain.stats.get_value("scout/bluesky/logins") == 1

        # 2. second run: the stored session is reused, no createSession
        c, chain = _collector(campaign, store, sessions)
        chain.process_many(c.run())
        chain.close()
        assert chain.stats.get_value("scout/bluesky/session_reused") == 1
        assert chain.stats.get_value("scout/bluesky/logins") is None
        assert store.count("posts") > 0
        calls = _calls(net)
        created = calls.get("com.atproto.server.createSession", 0)
        assert created - before.get("com.atproto.server.createSession", 0) == 1

        # 3. an access token about to expire: refreshed with the refresh token, saved
        s = Session.decode(path.read_text())
        s.access_jwt = _fake_jwt(time.time() - 60)
        path.write_text(s.encode())
        c, chain = _collector(campaign, store, sessions)
        c.login()
        chain.process_many(c.search("tag:x", "#x"))
        calls2 = _calls(net)
        assert calls2.get("com.atproto.server.refreshSession", 0) == (
            calls.get("com.atproto.server.refreshSession", 0) + 1
        )
        assert calls2.get("com.atproto.server.createSession", 0) == created
        refreshed = Session.decode(path.read_text())
        assert refreshed.refresh_jwt != s.refresh_jwt
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

        # 4. a session the server rejects (forged tokens): one password login, then on
        s = Session.decode(path.read_text())
        s.access_jwt = _fake_jwt(time.time() + 7200)
        path.write_text(s.encode())
        c, chain = _collector(campaign, store, sessions)
        c.login()
        chain.process_many(c.search("tag:x", "#x"))
        assert chain.stats.get_value("scout/bluesky/session_rejected") == 1
        assert chain.stats.get_value("scout/bluesky/logins") == 1
        assert _calls(net).get("com.atproto.server.createSession", 0) == created + 1

        # 5. a revoked refresh token (already used) with an expired access token: login
        s = Session.decode(original)
        s.access_jwt = _fake_jwt(time.time() - 60)
        path.write_text(s.encode())
        c, chain = _collector(campaign, store, sessions)
        c.login()
        assert chain.stats.get_value("scout/bluesky/logins") == 1

        # secrets never in logs or in the database
        final = Session.decode(path.read_text())
        secrets = [DEMO_BSKY_PASSWORD, final.access_jwt, final.refresh_jwt]
        secrets += [refreshed.access_jwt, refreshed.refresh_jwt, s.refresh_jwt]
        logged = caplog.text
        dump = ""
        for (table,) in store.con.execute("SHOW TABLES").fetchall():
            dump += repr(store.con.execute(f'SELECT * FROM "{table}"').fetchall())  # noqa: S608
        for secret in secrets:
            assert secret not in logged
            assert secret not in dump


def test_tag_filter_sent_and_honoured(net: DemoNetwork, tmp_path: Path) -> None:
    campaign = _campaign(net, tmp_path)
    sent: list[Any] = []
    with Store(tmp_path / "db.duckdb") as store:
        c, chain = _collector(campaign, store, tmp_path / "s")
        real = c.client.invoke_query

        def spy(nsid: str, params: Any = None, **kw: Any) -> Any:
            sent.append((nsid, params))
            return real(nsid, params=params, **kw)

        c.client.invoke_query = spy
        chain.process_many(c.run())
        chain.close()
        searches = [p for n, p in sent if n == "app.bsky.feed.searchPosts"]
        tags = campaign.campaign.hashtags
        for tag in tags:
            tagged = [p for p in searches if p.q == f"#{tag}"]
            assert tagged and all(p.tag == [tag] and p.limit == 100 for p in tagged)
        for word in campaign.campaign.keywords:
            assert all(p.tag is None for p in searches if p.q == word)
        assert store.count("posts") > 0
        profiles = [p for n, p in sent if n == "app.bsky.actor.getProfiles"]
        assert profiles and all(1 <= len(p.actors) <= 25 for p in profiles)


def test_rate_limit_honoured_against_demo(tmp_path: Path) -> None:
    with DemoNetwork(
        seed=6, n_accounts=N_ACCOUNTS, n_posts=N_POSTS, bsky_rate_limit=6, window=2
    ) as small:
        campaign = _campaign(small, tmp_path)
        slept: list[float] = []

        def sleep(s: float) -> None:
            slept.append(s)
            time.sleep(s)

        with Store(tmp_path / "db.duckdb") as store:
            c, chain = _collector(campaign, store, tmp_path / "s", sleep=sleep)
            chain.process_many(c.run())
            chain.close()
            stats = chain.stats.get_stats()
            posts = store.count("posts")
        demo = DemoNetwork._call(small.bluesky_url + "/_demo/stats")
    assert demo["rate_limited"] == 0, demo
    assert stats.get("scout/ratelimit/429") is None
    assert stats["scout/ratelimit/budget_waits"] >= 1
    assert len(slept) == stats["scout/ratelimit/budget_waits"]
    assert all(0 < s <= 3.5 for s in slept)
    assert stats["scout/bluesky/requests"] > 6  # more than one window's budget was used
    assert posts > 0


def test_profiles_from_a_public_appview_need_no_login(net: DemoNetwork, tmp_path: Path) -> None:
    cfg = _campaign(net, tmp_path)
    assert cfg.bluesky is not None
    public = cfg.model_copy(
        update={"bluesky": cfg.bluesky.model_copy(update={"appview": net.bluesky_url})}
    )
    world = build_world(5, N_ACCOUNTS, N_POSTS)
    dids = [str(a.did) for a in world.accounts if a.platform == "bluesky"][:30]
    sessions_before = _calls(net).get("com.atproto.server.createSession", 0)
    with Store(tmp_path / "s.duckdb") as store:
        collector, chain = _collector(public, store, tmp_path / "sessions")
        accounts = collector.get_profiles(dids)  # no login() at all
        chain.close()
    assert [a.account_id for a in accounts] == [f"bluesky:{d}" for d in dids]
    assert all(a.followers_count is not None for a in accounts)
    assert _calls(net).get("com.atproto.server.createSession", 0) == sessions_before


def test_faults_are_retried_and_a_page_lost_for_good_is_skipped(
    net: DemoNetwork, tmp_path: Path
) -> None:
    """One call in four fails (429, 502, 503, cut or non-JSON bodies): every page is
    still read. A searchPosts that keeps failing skips that query, not the source."""
    campaign = _campaign(net, tmp_path)
    waits: list[float] = []
    with Store(tmp_path / "clean.duckdb") as store:
        c, chain = _collector(campaign, store, tmp_path / "s")
        chain.process_many(c.run())
        chain.close()
        want = {r[0] for r in store.con.execute("SELECT post_id FROM posts").fetchall()}
    bsky = net.bluesky_url + "/_demo/faults"
    kinds = ["429", "502", "503", "truncated", "garbage"]
    DemoNetwork._call(bsky, {"rate": 0.25, "seed": 3, "kinds": kinds, "path": "/xrpc/"})
    try:
        with Store(tmp_path / "faults.duckdb") as store:
            c, chain = _collector(campaign, store, tmp_path / "s", sleep=waits.append)
            chain.process_many(c.run())
            chain.close()
            got = {r[0] for r in store.con.execute("SELECT post_id FROM posts").fetchall()}
            stats = chain.stats.get_stats()
        assert got == want
        assert stats["scout/retries"] == len(waits) > 0
        assert stats.get("scout/pages_skipped") is None and c.errors == []
        # now every search fails: each query is skipped with its reason, nothing raised
        DemoNetwork._call(bsky, {"status": 503, "count": 10_000, "path": "/xrpc/app.bsky.feed"})
        with Store(tmp_path / "down.duckdb") as store:
            c, chain = _collector(campaign, store, tmp_path / "s", sleep=waits.append)
            chain.process_many(c.run())
            chain.close()
        queries = len(list(c.queries()))
        assert chain.stats.get_value("scout/pages_skipped") == queries
        assert len(c.errors) == queries
        assert all("HTTP 503" in e and "after 6 attempts" in e for e in c.errors), c.errors
    finally:
        DemoNetwork._call(bsky, {"rate": 0.0, "status": 503, "count": 0})


def test_a_failed_login_gives_the_reason(net: DemoNetwork, tmp_path: Path) -> None:
    campaign = _campaign(net, tmp_path)
    assert campaign.bluesky is not None
    down = campaign.model_copy(
        update={"bluesky": campaign.bluesky.model_copy(update={"service": "http://127.0.0.1:9"})}
    )
    with Store(tmp_path / "db.duckdb") as store:
        c, _chain = _collector(down, store, tmp_path / "s", sleep=lambda _s: None)
        with pytest.raises(BlueskyError) as caught:
            c.login()
    text = str(caught.value)
    assert text.startswith("cannot log in at http://127.0.0.1:9: createSession: ")
    assert "refused" in text.lower(), text  # the transport's reason, not an empty one
