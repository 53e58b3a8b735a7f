"""Jetstream live consumer against a local websocket server replaying Jetstream v1 events:
the recorded golden events plus generated ones (matching posts with tag facets over
non-ASCII text, record tags, keywords, noise, reposts, deletes, identity and account
events), a dropped connection with cursor resume, and a resume in a new process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.bluesky.jetstream import JetstreamConsumer, Matcher
from crawler.core.items import AccountItem
from crawler.core.matching import CampaignMatcher
from crawler.db.store import Store
from pipelines.chain import PipelineChain
from tests.support.jetstream import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    GHOST,
    NOISE,
    OPTOUT,
    Events,
    FakeAppView,
    ReplayServer,
    _tag_facets,
    campaign,
    scenario,
)


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store(":memory:")
    yield s
    s.close()


def _filtered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    wanted = {"app.bsky.feed.post", "app.bsky.feed.repost"}
    return [e for e in events if e["kind"] != "commit" or e["commit"]["collection"] in wanted]


def _post_ids(store: Store) -> set[str]:
    return {r[0] for r in store.con.execute("SELECT post_id FROM posts").fetchall()}


def _consumer(store: Store, chain: PipelineChain, url: str, **kw: Any) -> JetstreamConsumer:
    kw.setdefault("client", FakeAppView())
    return JetstreamConsumer(
        campaign(),
        store,
        chain,
        url=url,
        safety_margin=0.005,  # 5 ms: events are 1 ms apart in the scenario
        backoff_initial=0.05,
        backoff_max=0.2,
        **kw,
    )


# --------------------------------------------------------------------------- tests


def test_matcher_reads_facets_record_tags_text_and_keywords() -> None:
    m = Matcher(CampaignMatcher(["SaubereLuftJetzt", "ČistýVzduch"], ["clean air initiative"]))
    assert m.candidate({"text": "x #ČISTÝVZDUCH y"})
    assert m.candidate({"text": "ohne", "tags": ["ČistýVzduch"]})
    facet = _tag_facets("Luft #SaubereLuftJetzt", ["SaubereLuftJetzt"])
    assert m.candidate({"text": "Luft #SaubereLuftJetzt", "facets": facet})
    assert m.candidate({"text": "The CLEAN AIR initiative"})
    assert not m.candidate({"text": "Kaffee #montag"})
    assert not m.candidate({"text": 42})


def test_replay_with_drop_and_cursor_resume(store: Store) -> None:
    events, uris = scenario()
    delivered = _filtered(events)
    drop_at = next(
        i
        for i, e in enumerate(delivered)
        if e["kind"] == "commit" and e["commit"]["rkey"] == uris["late_jitter"].rsplit("/", 1)[1]
    )
    last_before_drop = max(e["time_us"] for e in delivered[:drop_at])
    # what the server sends again after the drop: from the resume cursor on
    replayed = sum(1 for e in delivered if e["time_us"] >= last_before_drop - 5000)
    chain = PipelineChain(store)
    app = FakeAppView()
    with ReplayServer(events, drop_after=drop_at) as server:
        consumer = _consumer(store, chain, server.url, client=app)
        stats = {**consumer.run(duration=20, max_events=drop_at + replayed)}
    chain.close()
    stats = {**chain.stats.get_stats(), **stats}
    assert stats["events"] == drop_at + replayed

    assert len(server.requests) >= 2, "the client did not reconnect"
    assert server.requests[0]["wantedCollections"] == ["app.bsky.feed.post", "app.bsky.feed.repost"]
    assert "cursor" not in server.requests[0]
    resume = int(server.requests[1]["cursor"][0])
    assert resume == last_before_drop - 5000  # saved/seen maximum minus the safety margin
    assert (
        stats["scout/jetstream/disconnects"] + stats.get("scout/jetstream/connect_errors", 0) >= 1
    )

    ids = _post_ids(store)
    pid = {k: "bluesky:" + v for k, v in uris.items()}
    # matched: tag facet over non-ASCII text, record tags, keyword; the event just after
    # the drop has an older time_us than the last one seen and is still not lost
    assert pid["alice_facet"] in ids
    assert pid["bob_keyword"] in ids
    assert pid["late_jitter"] in ids
    assert pid["end_marker"] in ids
    assert pid["dave_tags"] in ids
    # not collected: noise, "saubereluftjetzt" without '#', opted out, unknown author
    assert pid["noise_tagword"] not in ids
    assert pid["optout"] not in ids
    assert pid["ghost"] not in ids
    assert not any(p.startswith("bluesky:at://did:plc:noise") for p in ids)
    # a deleted post is erased; an account reported deleted is erased
    assert pid["dave_second"] not in ids
    assert pid["carol_czech"] not in ids
    accounts = dict(store.con.execute("SELECT account_id, handle FROM accounts").fetchall())
    assert "bluesky:" + CAROL not in accounts
    assert "bluesky:" + OPTOUT not in accounts
    assert "bluesky:" + DAVE in accounts  # deactivated is not deleted
    # identity event: the profile was fetched again with the new handle
    assert accounts["bluesky:" + ALICE] == "alice-eu.example.org"
    # repost of a stored campaign post: a repost post and an interaction
    assert pid["bob_repost"] in ids
    assert pid["noise_repost"] not in ids
    inter = store.con.execute(
        "SELECT src_account_id, dst_account_id, kind FROM interactions WHERE post_id = ?",
        [pid["bob_repost"]],
    ).fetchall()
    assert inter == [("bluesky:" + BOB, "bluesky:" + ALICE, "repost")]
    row = store.con.execute(
        "SELECT hashtags, url FROM posts WHERE post_id = ?", [pid["alice_facet"]]
    ).fetchall()
    assert row[0][0] == ["saubereluftjetzt"]
    assert row[0][1].startswith("https://bsky.app/profile/alice")
    # profiles fetched in batches, the opted-out account never stored, cursor saved
    assert all(len(c) <= 25 for c in app.calls)
    saved = store.get_cursor("jetstream:127.0.0.1:" + str(server.port), "campaign:Saubere Luft")
    assert saved is not None and int(saved) == max(e["time_us"] for e in delivered)
    assert stats["cursor"] == int(saved)


def test_cursor_persists_across_consumers(tmp_path: Path) -> None:
    events, uris = scenario()
    delivered = _filtered(events)
    db = tmp_path / "scout.duckdb"
    half = len(delivered) // 2
    with ReplayServer(events) as server:
        with Store(db) as store:
            chain = PipelineChain(store)
            _consumer(store, chain, server.url).run(max_events=half, duration=20)
            chain.close()
            saved = store.get_cursor(f"jetstream:127.0.0.1:{server.port}", "campaign:Saubere Luft")
        assert saved is not None
        assert int(saved) == max(e["time_us"] for e in delivered[:half])
        with Store(db) as store:  # a new process: the cursor comes from DuckDB
            chain = PipelineChain(store)
            rest = sum(1 for e in delivered if e["time_us"] >= int(saved) - 5000)
            _consumer(store, chain, server.url).run(max_events=rest, duration=20)
            chain.close()
            ids = _post_ids(store)
        assert int(server.requests[1]["cursor"][0]) == int(saved) - 5000
    assert "bluesky:" + uris["end_marker"] in ids
    assert "bluesky:" + uris["alice_facet"] in ids
    assert "bluesky:" + uris["bob_repost"] in ids  # the repost knew the stored original


def test_without_profile_source_posts_are_skipped(store: Store) -> None:
    events, _ = scenario()
    chain = PipelineChain(store)
    consumer = _consumer(store, chain, "ws://127.0.0.1:9/subscribe", client=None)
    for ev in _filtered(events):
        consumer.handle_event(ev)
    consumer._checkpoint()
    chain.close()
    assert store.count("posts") == 0
    assert chain.stats.get_value("scout/jetstream/skipped_no_profile_source") >= 5


def test_memory_stays_bounded_over_many_events(store: Store) -> None:
    chain = PipelineChain(store)
    app = FakeAppView()
    consumer = _consumer(
        store, chain, "ws://127.0.0.1:9/subscribe", client=app, profile_cache_size=3, max_held=50
    )
    e = Events(int(time.time() * 1e6))
    for i in range(3000):
        e.post(NOISE[i % 40], f"noise {i} ÄÖÜ")
        if i % 10 == 0:
            e.post(GHOST, f"#SaubereLuftJetzt {i}", facet_tags=["SaubereLuftJetzt"])
        if i % 7 == 0:
            e.post(
                [ALICE, BOB, DAVE][i % 3], f"#SaubereLuftJetzt {i}", facet_tags=["SaubereLuftJetzt"]
            )
    for ev in e.events:
        consumer.handle_event(ev)
        assert consumer.held.count <= 50
        assert len(consumer.held.profiles) <= 3
    consumer._checkpoint()
    chain.close()
    assert store.count("posts") == len(range(0, 3000, 7))
    assert consumer.held.count == 0


def test_profile_failure_holds_items_and_cursor(store: Store) -> None:
    class Flaky(FakeAppView):
        fail = True

        def get_profiles(self, dids: list[str]) -> list[AccountItem]:
            if self.fail:
                raise ConnectionError("appview down")
            return super().get_profiles(dids)

    chain = PipelineChain(store)
    app = Flaky()
    consumer = _consumer(store, chain, "ws://127.0.0.1:9/subscribe", client=app)
    e = Events(1_779_719_000_000_000)
    e.post(NOISE[0], "noise")
    e.post(ALICE, "#SaubereLuftJetzt", facet_tags=["SaubereLuftJetzt"])
    e.post(NOISE[1], "noise")
    for ev in e.events:
        consumer.handle_event(ev)
    consumer._checkpoint()
    # the cursor stops just before the held post: a restart would read it again
    assert consumer.saved_us == e.events[1]["time_us"] - 1
    assert store.count("posts") == 0
    app.fail = False
    consumer._checkpoint()
    chain.close()
    assert store.count("posts") == 1
    assert consumer.saved_us == e.events[2]["time_us"]
