"""Jetstream live consumer against a local websocket server replaying Jetstream v1 events:
the recorded golden events plus generated ones (matching posts with tag facets over
non-ASCII text, record tags, keywords, noise, reposts, deletes, identity and account
events), a dropped connection with cursor resume, and a resume in a new process."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.sync.server import ServerConnection, serve

from crawler.bluesky.jetstream import JetstreamConsumer, Matcher
from crawler.bluesky.parse import parse_profile
from crawler.core.config import Campaign
from crawler.core.items import AccountItem
from crawler.core.matching import CampaignMatcher
from crawler.db.store import Store
from pipelines.chain import PipelineChain
from tests.conftest import FIXTURES_DIR, require

GOLDEN = FIXTURES_DIR / "bluesky" / "jetstream" / "golden_v1.jsonl"

ALICE = "did:plc:alicealicealicealice0001"
BOB = "did:plc:bobbobbobbobbobbobbob0002"
CAROL = "did:plc:carolcarolcarolcarol0003"
DAVE = "did:plc:davedavedavedavedave0004"
OPTOUT = "did:plc:optoutoptoutoptout000005"
GHOST = "did:plc:ghostghostghostghost0006"  # getProfiles does not know it
NOISE = [f"did:plc:noise{i:020d}" for i in range(40)]


def campaign() -> Campaign:
    return Campaign.model_validate(
        {
            "campaign": {
                "name": "Saubere Luft",
                "hashtags": ["SaubereLuftJetzt", "ČistýVzduch"],
                "keywords": ["clean air initiative"],
            },
            "bluesky": {"service": "http://127.0.0.1:9", "jetstream": "ws://127.0.0.1:9"},
        }
    )


# --------------------------------------------------------------------------- events


def _tag_facets(text: str, tags: list[str]) -> list[dict[str, Any]]:
    data = text.encode("utf-8")
    out = []
    for tag in tags:
        start = data.index(("#" + tag).encode("utf-8"))
        end = start + len(("#" + tag).encode("utf-8"))
        out.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }
        )
    return out


class Events:
    """Generated Jetstream v1 events with increasing (mostly) ``time_us``."""

    def __init__(self, start_us: int) -> None:
        self.t = start_us
        self.events: list[dict[str, Any]] = []
        self.n = 0

    def _next(self, jitter: int = 0) -> int:
        self.t += 1000
        return self.t + jitter

    def post(
        self,
        did: str,
        text: str,
        *,
        facet_tags: list[str] | None = None,
        tags: list[str] | None = None,
        op: str = "create",
        rkey: str | None = None,
        jitter: int = 0,
    ) -> str:
        self.n += 1
        rkey = rkey or f"3lpost{self.n:07d}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-05-25T14:23:28.757Z",
            "langs": ["de"],
            "text": text,
        }
        if facet_tags:
            record["facets"] = _tag_facets(text, facet_tags)
        if tags:
            record["tags"] = tags
        commit: dict[str, Any] = {
            "rev": f"3rev{self.n:09d}",
            "operation": op,
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
        }
        if op != "delete":
            commit["record"] = record
            commit["cid"] = f"bafyrei{self.n:030d}"
        self.events.append(
            {"did": did, "time_us": self._next(jitter), "kind": "commit", "commit": commit}
        )
        return f"at://{did}/app.bsky.feed.post/{rkey}"

    def delete_post(self, uri: str) -> None:
        did, _, rkey = uri[5:].split("/")
        self.post(did, "", op="delete", rkey=rkey)

    def repost(self, did: str, subject: str) -> str:
        self.n += 1
        rkey = f"3lrepost{self.n:05d}"
        self.events.append(
            {
                "did": did,
                "time_us": self._next(),
                "kind": "commit",
                "commit": {
                    "rev": f"3rev{self.n:09d}",
                    "operation": "create",
                    "collection": "app.bsky.feed.repost",
                    "rkey": rkey,
                    "record": {
                        "$type": "app.bsky.feed.repost",
                        "createdAt": "2026-05-25T14:23:29.000Z",
                        "subject": {"cid": "bafyreisubject", "uri": subject},
                    },
                    "cid": f"bafyrei{self.n:030d}",
                },
            }
        )
        return f"at://{did}/app.bsky.feed.repost/{rkey}"

    def like(self, did: str, subject: str) -> None:
        self.n += 1
        self.events.append(
            {
                "did": did,
                "time_us": self._next(),
                "kind": "commit",
                "commit": {
                    "operation": "create",
                    "collection": "app.bsky.feed.like",
                    "rkey": f"3llike{self.n:06d}",
                    "record": {"$type": "app.bsky.feed.like", "subject": {"uri": subject}},
                },
            }
        )

    def identity(self, did: str, handle: str) -> None:
        t = self._next()
        self.events.append(
            {
                "did": did,
                "time_us": t,
                "kind": "identity",
                "identity": {
                    "did": did,
                    "handle": handle,
                    "seq": t,
                    "time": "2026-05-25T14:23:29Z",
                },
            }
        )

    def account(self, did: str, active: bool, status: str | None = None) -> None:
        t = self._next()
        body: dict[str, Any] = {"active": active, "did": did, "seq": t, "time": "2026-05-25T14:23Z"}
        if status:
            body["status"] = status
        self.events.append({"did": did, "time_us": t, "kind": "account", "account": body})

    def golden(self, path: Path) -> None:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                ev = json.loads(line)
                ev["time_us"] = self._next()
                self.events.append(ev)


def scenario() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The events and the URIs a test checks."""
    e = Events(int(time.time() * 1e6) - 600_000_000)
    uris: dict[str, str] = {}
    e.golden(require(GOLDEN))
    uris["alice_facet"] = e.post(
        ALICE,
        "Für saubere Luft in Europa! 🌍 #SaubereLuftJetzt — unterschreibt jetzt ✊",
        facet_tags=["SaubereLuftJetzt"],
    )
    for i in range(15):
        e.post(NOISE[i], f"Kaffee Nummer {i} ☕ heute, #montag")
    uris["carol_czech"] = e.post(
        CAROL, "Dýchejme! #ČistýVzduch pro všechny 💨", facet_tags=["ČistýVzduch"]
    )
    uris["dave_tags"] = e.post(DAVE, "Heute in Brüssel 🇪🇺", tags=["saubereluftjetzt"])
    uris["bob_keyword"] = e.post(BOB, "Why I signed the Clean Air Initiative: a thread 🧵")
    uris["optout"] = e.post(OPTOUT, "#SaubereLuftJetzt ich auch", facet_tags=["SaubereLuftJetzt"])
    uris["ghost"] = e.post(GHOST, "#SaubereLuftJetzt!!", facet_tags=["SaubereLuftJetzt"])
    uris["noise_tagword"] = e.post(NOISE[20], "saubereluftjetzt ohne Raute ist kein Tag")
    for i in range(10):
        e.like(NOISE[i], uris["alice_facet"])
    # --- the first connection drops here (index recorded by the caller) ---
    uris["late_jitter"] = e.post(
        BOB, "Noch eine Stimme #SaubereLuftJetzt", facet_tags=["SaubereLuftJetzt"], jitter=-3000
    )
    uris["bob_repost"] = e.repost(BOB, uris["alice_facet"])
    uris["noise_repost"] = e.repost(BOB, f"at://{NOISE[1]}/app.bsky.feed.post/3lpost0000002")
    uris["dave_second"] = e.post(DAVE, "Zweiter Beitrag #saubereluftjetzt 🚲")
    e.delete_post(uris["dave_second"])
    e.identity(ALICE, "alice-eu.example.org")
    e.account(CAROL, False, "deleted")
    e.account(DAVE, False, "deactivated")  # not an erasure
    e.account(NOISE[3], False, "takendown")  # nothing stored: nothing to do
    for i in range(15, 30):
        e.post(NOISE[i], f"Noise {i}: Wetter, Fußball, Żółć")
    uris["end_marker"] = e.post(
        ALICE, "Letzter Aufruf #SaubereLuftJetzt", facet_tags=["SaubereLuftJetzt"]
    )
    return e.events, uris


# --------------------------------------------------------------------------- fakes


class FakeAppView:
    """getProfiles of a few accounts (handles change after an identity event)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.handles: dict[str, list[str]] = {
            ALICE: ["alice.example.org", "alice-eu.example.org"],
            BOB: ["bob.bsky.social"],
            CAROL: ["carol.cz"],
            DAVE: ["dave.bsky.social"],
            OPTOUT: ["private.bsky.social"],
        }

    def get_profiles(self, dids: list[str]) -> list[AccountItem]:
        assert len(dids) <= 25
        self.calls.append(list(dids))
        out = []
        for did in dids:
            handles = self.handles.get(did)
            if handles is None:
                continue
            handle = handles.pop(0) if len(handles) > 1 else handles[0]
            view: dict[str, Any] = {
                "did": did,
                "handle": handle,
                "displayName": handle.split(".")[0].title(),
                "description": "Aktivistin für saubere Luft" if did == ALICE else "hi",
                "followersCount": 120,
                "followsCount": 80,
                "postsCount": 400,
                "createdAt": "2024-01-01T00:00:00Z",
                "labels": [],
            }
            if did == OPTOUT:
                view["labels"] = [
                    {
                        "src": did,
                        "uri": f"at://{did}/app.bsky.actor.profile/self",
                        "val": "!no-unauthenticated",
                        "cts": "2024-01-01T00:00:00Z",
                    }
                ]
            out.append(parse_profile(view, datetime.now(UTC)))
        return out


class ReplayServer:
    """Jetstream v1 ``/subscribe`` on 127.0.0.1: honours ``wantedCollections`` and
    ``cursor`` (events with ``time_us >= cursor``, in stream order); the first
    connection can be cut after ``drop_after`` events."""

    def __init__(self, events: list[dict[str, Any]], drop_after: int | None = None) -> None:
        self.events = events
        self.drop_after = drop_after
        self.requests: list[dict[str, list[str]]] = []
        self.server = serve(self.handler, "127.0.0.1", 0, compression=None)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe"

    def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        parts = urlsplit(ws.request.path)
        q = parse_qs(parts.query)
        self.requests.append(q)
        wanted = set(q.get("wantedCollections", []))
        cursor = int(q["cursor"][0]) if "cursor" in q else None
        sent = 0
        first = len(self.requests) == 1
        for ev in self.events:
            if cursor is not None and ev["time_us"] < cursor:
                continue
            if ev["kind"] == "commit" and wanted and ev["commit"]["collection"] not in wanted:
                continue
            if first and self.drop_after is not None and sent >= self.drop_after:
                # an abrupt drop: no close handshake
                ws.socket.close()
                return
            ws.send(json.dumps(ev))
            sent += 1
        # live tip: stay open until the client leaves
        try:
            ws.recv(timeout=30)
        except Exception:  # noqa: BLE001
            return

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


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
        stats = consumer.run(duration=20, max_events=drop_at + replayed)
    chain.close()
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
        assert consumer.held_count <= 50
        assert len(consumer.profiles) <= 3
    consumer._checkpoint()
    chain.close()
    assert store.count("posts") == len(range(0, 3000, 7))
    assert consumer.held_count == 0


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
