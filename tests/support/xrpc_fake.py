"""A small Bluesky AppView on loopback for the seed-list tests: ``getProfile``,
``getFollowers``, ``getFollows``, ``resolveHandle``, ``getStarterPack``, ``getList``,
with cursor paging as the real AppView does (opaque cursor, absent on the last page),
recorded answers served as given, and faults injected per method (a 503, a 429, an
HTML page behind a 200, a body without its list, a refusal).

``FakeAppView`` is a context manager; ``url`` is its base URL (already named in the
address policy's allowed hosts inside the ``with`` block); ``requests`` logs every
``(method, params)`` it answered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.net import allowed_hosts

Params = dict[str, str]


@dataclass
class Fault:
    nsid: str
    action: str  # "503" | "429" | "html" | "nolist" | "400"
    times: int
    when: Callable[[Params], bool] | None = None


@dataclass
class Pack:
    creator: str  # DID
    rkey: str
    name: str
    members: list[str]  # DIDs

    @property
    def uri(self) -> str:
        return f"at://{self.creator}/app.bsky.graph.starterpack/{self.rkey}"

    @property
    def list_uri(self) -> str:
        return f"at://{self.creator}/app.bsky.graph.list/{self.rkey}l"


@dataclass
class Graph:
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # did -> profile
    followers: dict[str, list[str]] = field(default_factory=dict)  # did -> follower DIDs
    follows: dict[str, list[str]] = field(default_factory=dict)  # did -> followed DIDs
    packs: dict[str, Pack] = field(default_factory=dict)  # at:// URI -> pack
    # recorded answers: (nsid, actor, cursor or "") -> body served as is
    recorded: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        did: str,
        handle: str,
        name: str = "",
        bio: str = "",
        labels: tuple[str, ...] = (),
    ) -> str:
        self.profiles[did] = {
            "did": did,
            "handle": handle,
            "displayName": name or handle.split(".")[0].title(),
            "description": bio,
            "labels": [
                {
                    "src": did,
                    "uri": f"at://{did}/app.bsky.actor.profile/self",
                    "val": v,
                    "cts": "2024-05-01T10:00:00.000Z",
                }
                for v in labels
            ],  # fmt: skip
            "createdAt": "2024-05-01T10:00:00.000Z",
            "indexedAt": "2024-05-01T10:00:01.000Z",
        }
        return did

    def view(self, did: str, detailed: bool = False) -> dict[str, Any]:
        out = dict(self.profiles[did])
        if detailed:
            out["followersCount"] = len(self.followers.get(did, []))
            out["followsCount"] = len(self.follows.get(did, []))
            out["postsCount"] = 3
        return out

    def did_of(self, actor: str) -> str | None:
        if actor in self.profiles:
            return actor
        return next((d for d, p in self.profiles.items() if p["handle"] == actor), None)


def _json(status: int, body: Any) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(body).encode()


def _error(status: int, error: str, message: str) -> tuple[int, str, bytes]:
    return _json(status, {"error": error, "message": message})


class FakeAppView:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, Params]] = []
        self.lock = threading.Lock()
        # RateLimit-* headers as the real PDS sends them (epoch reset), off when None
        self.rate_limit: int | None = None
        self.window = 300
        self.window_start = 0  # index in ``requests`` of the window's first request
        self.lowest_remaining: int | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                nsid = parts.path.removeprefix("/xrpc/")
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status, ctype, data = fake.answer(nsid, params)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for name, value in fake.rate_headers().items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._hosts = allowed_hosts(self.url)

    def __enter__(self) -> FakeAppView:
        self._hosts.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
        self._hosts.__exit__(None, None, None)

    def rate_headers(self) -> dict[str, str]:
        """The budget left in the current window (``rate_limit`` requests from
        :meth:`new_window` on; a client that goes over it would get 429s from a real
        server: ``lowest_remaining`` shows how close it came)."""
        if self.rate_limit is None:
            return {}
        with self.lock:
            remaining = self.rate_limit - (len(self.requests) - self.window_start)
            if self.lowest_remaining is None or remaining < self.lowest_remaining:
                self.lowest_remaining = remaining
        return {
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Remaining": str(max(remaining, 0)),
            "RateLimit-Reset": str(int(time.time()) + self.window),
            "RateLimit-Policy": f"{self.rate_limit};w={self.window}",
        }

    def new_window(self) -> None:
        """The reset time passed (the client waited for it): a fresh budget."""
        with self.lock:
            self.window_start = len(self.requests)

    def fail(
        self, nsid: str, action: str, times: int = 1, when: Callable[[Params], bool] | None = None
    ) -> None:
        with self.lock:
            self.faults.append(Fault(nsid, action, times, when))

    def calls(self, nsid: str) -> list[Params]:
        with self.lock:
            return [p for n, p in self.requests if n == nsid]

    # --- answers ------------------------------------------------------------------------
    def answer(self, nsid: str, params: Params) -> tuple[int, str, bytes]:
        with self.lock:
            self.requests.append((nsid, params))
            fault = next(
                (f for f in self.faults if f.nsid == nsid and f.times > 0
                 and (f.when is None or f.when(params))),
                None,
            )  # fmt: skip
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            if fault.action == "503":
                return _error(503, "InternalServerError", "upstream unavailable")
            if fault.action == "429":
                return _error(429, "RateLimitExceeded", "Rate Limit Exceeded")
            if fault.action == "html":
                return 200, "text/html", b"<html><body>502 Bad Gateway</body></html>"
            if fault.action == "400":
                return _error(400, "InvalidRequest", "refused")
            if fault.action == "nolist":
                return _json(200, {"cursor": "x"})
        g = self.graph
        if nsid == "app.bsky.actor.getProfile":
            did = g.did_of(params.get("actor", ""))
            if did is None:
                return _error(400, "InvalidRequest", "Profile not found")
            return _json(200, g.view(did, detailed=True))
        if nsid in ("app.bsky.graph.getFollowers", "app.bsky.graph.getFollows"):
            return self._follow_page(nsid, params)
        if nsid == "com.atproto.identity.resolveHandle":
            did = g.did_of(params.get("handle", ""))
            if did is None:
                return _error(400, "InvalidRequest", "Unable to resolve handle")
            return _json(200, {"did": did})
        if nsid == "app.bsky.graph.getStarterPack":
            pack = g.packs.get(params.get("starterPack", ""))
            if pack is None:
                return _error(400, "InvalidRequest", "Starter pack not found")
            return _json(200, {"starterPack": self._pack_view(pack)})
        if nsid == "app.bsky.graph.getList":
            pack = next((p for p in g.packs.values() if p.list_uri == params.get("list")), None)
            if pack is None:
                return _error(400, "InvalidRequest", "List not found")
            start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 50)
            members = pack.members[start : start + limit]
            body: dict[str, Any] = {
                "list": self._list_view(pack),
                "items": [
                    {
                        "uri": f"at://{pack.creator}/app.bsky.graph.listitem/{i}",
                        "subject": g.view(d),
                    }
                    for i, d in enumerate(members, start)
                ],  # fmt: skip
            }
            if start + limit < len(pack.members):
                body["cursor"] = str(start + limit)
            return _json(200, body)
        return _error(501, "MethodNotImplemented", f"{nsid} not implemented")

    def _follow_page(self, nsid: str, params: Params) -> tuple[int, str, bytes]:
        g = self.graph
        actor, cursor = params.get("actor", ""), params.get("cursor") or ""
        recorded = g.recorded.get((nsid, actor, cursor))
        if recorded is not None:
            return _json(200, recorded)
        did = g.did_of(actor)
        if did is None:
            return _error(400, "InvalidRequest", "Profile not found")
        followers = nsid.endswith("getFollowers")
        listed = (g.followers if followers else g.follows).get(did, [])
        start, limit = int(cursor or 0), min(int(params.get("limit") or 50), 100)
        page = listed[start : start + limit]
        body: dict[str, Any] = {
            "subject": g.view(did),
            "followers" if followers else "follows": [g.view(d) for d in page],
        }
        if start + limit < len(listed):
            body["cursor"] = str(start + limit)
        return _json(200, body)

    def _list_view(self, pack: Pack) -> dict[str, Any]:
        return {
            "uri": pack.list_uri,
            "cid": "bafyreihlist",
            "name": pack.name,
            "purpose": "app.bsky.graph.defs#referencelist",
            "creator": self.graph.view(pack.creator),
            "indexedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "listItemCount": len(pack.members),
        }

    def _pack_view(self, pack: Pack) -> dict[str, Any]:
        return {
            "uri": pack.uri,
            "cid": "bafyreihpack",
            "record": {
                "$type": "app.bsky.graph.starterpack",
                "name": pack.name,
                "list": pack.list_uri,
                "createdAt": "2024-06-01T10:00:00.000Z",
            },
            "creator": self.graph.view(pack.creator),
            "list": {
                "uri": pack.list_uri,
                "cid": "bafyreihlist",
                "name": pack.name,
                "purpose": "app.bsky.graph.defs#referencelist",
                "indexedAt": "2024-06-01T10:00:01.000Z",
                "listItemCount": len(pack.members),
            },
            "indexedAt": "2024-06-01T10:00:01.000Z",
            "joinedWeekCount": 0,
            "joinedAllTimeCount": 0,
        }
