"""A Jetstream replay server and a scripted event scenario, for the live-stream tests."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.sync.server import ServerConnection, serve

from crawler.bluesky.parse import parse_profile
from crawler.core.config import Campaign
from crawler.core.items import AccountItem
from tests.support.fixtures import FIXTURES_DIR, require
from tests.support.net import allowed_hosts

GOLDEN = FIXTURES_DIR / "bluesky" / "jetstream" / "golden_v1.jsonl"

ALICE = "did:plc:alicealicealicealice0001"
BOB = "did:plc:bobbobbobbobbobbobbob0002"
CAROL = "did:plc:carolcarolcarolcarol0003"
DAVE = "did:plc:davedavedavedavedave0004"
OPTOUT = "did:plc:optoutoptoutoptout000005"
GHOST = "did:plc:ghostghostghostghost0006"  # getProfiles does not know it
NOISE = [f"did:plc:noise{i:020d}" for i in range(40)]


def campaign() -> Campaign:
    # placeholders on loopback (never connected to), named for the address policy
    with allowed_hosts("http://127.0.0.1:9"):
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
