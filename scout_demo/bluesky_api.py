"""The demo Bluesky service (AppView + PDS in one): sessions and XRPC endpoints.

``com.atproto.server.createSession`` / ``refreshSession`` / ``getSession`` (HS256
JWTs, refresh tokens single-use), ``app.bsky.feed.searchPosts`` (``q``, ``tag``,
``since``/``until``, ``cursor``), ``app.bsky.actor.getProfile(s)``,
``app.bsky.feed.getPosts``, ``com.atproto.identity.resolveHandle``, and the graph
(``app.bsky.graph.getFollowers``/``getFollows``/``getStarterPack``/``getList``,
:mod:`scout_demo.bluesky_graph`).  Rate limits
with ``RateLimit-*`` headers, and a separate budget for ``createSession``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from scout_demo.bluesky_graph import BlueskyGraph
from scout_demo.bluesky_render import ACCESS_TTL, DEMO_DID, REFRESH_TTL, BlueskyRender
from scout_demo.model import World, host_of, newest_first_window
from scout_demo.service import (
    App,
    RateWindow,
    Reply,
    Request,
    Response,
    b64url,
    json_bytes,
    parse_when,
    route,
)
from scout_demo.tables import DEMO_BSKY_HANDLE, DEMO_BSKY_PASSWORD


class BlueskyApp(BlueskyRender, BlueskyGraph, App):
    kind = "bluesky"

    def __init__(
        self, world: World, base: str, limit: int, window: float, session_limit: int = 30
    ) -> None:
        super().__init__(world, base, limit, window)
        self.secret = secrets.token_bytes(32)
        self.session_rate = RateWindow(session_limit, 300)
        self.revoked: set[str] = set()
        self._post_cache: dict[int, dict[str, Any]] = {}
        self._query_cache: dict[tuple[str, tuple[str, ...]], tuple[list[int], list[float]]] = {}
        self.on_advance = self._query_cache.clear

    def rate_headers(self, remaining: int, reset: float) -> dict[str, str]:
        return self._headers(self.rate, remaining, reset)

    @staticmethod
    def _headers(rate: RateWindow, remaining: int, reset: float) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(rate.limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(int(reset)),
            "RateLimit-Policy": f"{rate.limit};w={int(rate.window)}",
            "Access-Control-Allow-Origin": "*",
        }

    def rate_limited_body(self) -> dict[str, Any]:
        return {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}

    def extra_limit(self, path: str) -> tuple[bool, int, float] | None:
        if path == "/xrpc/com.atproto.server.createSession":
            allowed, remaining, reset = self.session_rate.hit()
            g_allowed, _, _ = self.rate.hit()
            return allowed and g_allowed, remaining, reset
        return None

    def handle(self, method: str, target: str, body: bytes, headers: Any) -> Response:
        status, hdrs, data = super().handle(method, target, body, headers)
        if urlsplit(target).path.rstrip("/") == "/xrpc/com.atproto.server.createSession":
            # the session budget is the one that matters for this endpoint
            r = self.session_rate
            with r.lock:
                remaining = max(0, r.limit - r.count)
            hdrs.update(self._headers(r, remaining, r.start + r.window))
        return status, hdrs, data

    # -- sessions -----------------------------------------------------------------------
    def make_jwt(self, scope: str, ttl: int) -> str:
        now = int(time.time())
        header = {
            "typ": "at+jwt" if scope != "com.atproto.refresh" else "refresh+jwt",
            "alg": "HS256",
        }
        payload: dict[str, Any] = {"scope": scope, "sub": DEMO_DID, "iat": now, "exp": now + ttl}
        payload["aud"] = f"did:web:{host_of(self.base).split(':')[0]}"
        if scope == "com.atproto.refresh":
            payload["jti"] = secrets.token_urlsafe(24)
        signing = b64url(json_bytes(header)) + "." + b64url(json_bytes(payload))
        sig = hmac.new(self.secret, signing.encode(), hashlib.sha256).digest()
        return signing + "." + b64url(sig)

    def check_jwt(self, headers: Any, scope: str) -> tuple[int, dict[str, str]] | None:
        """None if the bearer token is valid for ``scope``, else (status, error body)."""
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return 401, {"error": "AuthMissing", "message": "Authentication Required"}
        token = auth[7:].strip()
        try:
            h, p, s = token.split(".")
            expect = hmac.new(self.secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(b64url(expect), s):
                raise ValueError("bad signature")
            payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        except (ValueError, TypeError):
            return 401, {"error": "InvalidToken", "message": "Token could not be verified"}
        if payload.get("exp", 0) < time.time():
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}
        if scope == "com.atproto.refresh":
            if payload.get("scope") != scope or token in self.revoked:
                return 400, {"error": "InvalidToken", "message": "Token could not be verified"}
        elif payload.get("scope") == "com.atproto.refresh":
            return 400, {"error": "InvalidToken", "message": "Bad token scope"}
        return None

    def session_body(self) -> dict[str, Any]:
        return {
            "did": DEMO_DID,
            "handle": DEMO_BSKY_HANDLE,
            "email": "scout-demo@example.org",
            "emailConfirmed": True,
            "emailAuthFactor": False,
            "accessJwt": self.make_jwt("com.atproto.appPass", ACCESS_TTL),
            "refreshJwt": self.make_jwt("com.atproto.refresh", REFRESH_TTL),
            "active": True,
        }

    # -- endpoints ----------------------------------------------------------------------
    def endpoint_name(self, path: str) -> str:
        return path.removeprefix("/xrpc/")

    def no_route(self, method: str, path: str) -> Reply:
        return 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, {}

    def wrong_method(self, method: str, path: str) -> Reply:
        return 405, {"error": "InvalidRequest", "message": "Method Not Allowed"}, {}

    def ep_create_session(self, req: Request) -> Reply:
        try:
            data = json.loads(req.body or b"{}")
        except ValueError:
            return 400, {"error": "InvalidRequest", "message": "Invalid JSON body"}, {}
        ident = str(data.get("identifier", "")).lstrip("@").lower()
        if ident not in (DEMO_BSKY_HANDLE, DEMO_DID) or data.get("password") != DEMO_BSKY_PASSWORD:
            msg = "Invalid identifier or password"
            return 401, {"error": "AuthenticationRequired", "message": msg}, {}
        return 200, self.session_body(), {}

    def ep_refresh_session(self, req: Request) -> Reply:
        err = self.check_jwt(req.headers, "com.atproto.refresh")
        if err:
            return err[0], err[1], {}
        self.revoked.add((req.headers.get("Authorization") or "")[7:].strip())
        body_out = self.session_body()
        body_out.pop("email")
        body_out.pop("emailConfirmed")
        body_out.pop("emailAuthFactor")
        return 200, body_out, {}

    def ep_get_session(self, req: Request) -> Reply:
        err = self.check_jwt(req.headers, "access")
        if err:
            return err[0], err[1], {}
        return 200, {"did": DEMO_DID, "handle": DEMO_BSKY_HANDLE, "active": True}, {}

    def ep_search_posts(self, req: Request) -> Reply:
        err = self.check_jwt(req.headers, "access")
        if err:
            return err[0], err[1], {}
        return self.search_posts(req.q, req.query.get("tag", []))

    def ep_get_profiles(self, req: Request) -> Reply:
        actors = req.query.get("actors", [])
        if not actors:
            msg = 'Error: Params must have the property "actors"'
            return 400, {"error": "InvalidRequest", "message": msg}, {}
        if len(actors) > 25:
            msg = "Error: actors must not have more than 25 elements"
            return 400, {"error": "InvalidRequest", "message": msg}, {}
        profiles = [p for p in map(self.find_profile, dict.fromkeys(actors)) if p is not None]
        return 200, {"profiles": profiles}, {}

    def ep_get_profile(self, req: Request) -> Reply:
        prof = self.find_profile(req.q.get("actor", ""))
        if prof is None:
            return 400, {"error": "InvalidRequest", "message": "Profile not found"}, {}
        return 200, prof, {}

    def ep_get_posts(self, req: Request) -> Reply:
        views = []
        for uri in req.query.get("uris", [])[:25]:
            idx = self.find_post(uri)
            if idx is not None:
                views.append(self.post_view(idx))
        return 200, {"posts": views}, {}

    def ep_resolve_handle(self, req: Request) -> Reply:
        prof = self.find_profile(req.q.get("handle", ""))
        if prof is None:
            return 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}, {}
        return 200, {"did": prof["did"]}, {}

    def find_profile(self, actor: str) -> dict[str, Any] | None:
        w = self.world
        actor = actor.lstrip("@")
        if actor in (DEMO_BSKY_HANDLE, DEMO_DID):
            return self.demo_profile()
        idx = w.bsky_by_did.get(actor)
        if idx is None:
            idx = w.bsky_by_handle.get(actor.lower())
        return None if idx is None else self.profile_detailed(w.accounts[idx])

    def find_post(self, uri: str) -> int | None:
        if not uri.startswith("at://"):
            return None
        parts = uri[5:].split("/")
        if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
            return None
        idx = self.world.bsky_by_rkey.get((parts[0], parts[2]))
        if idx is None or not self.world.is_released(self.world.posts[idx]):
            return None
        return idx

    def candidates(self, q: str, tags: list[str]) -> tuple[list[int], list[float]]:
        key = (q.strip().lower(), tuple(sorted(t.lower().lstrip("#") for t in tags)))
        with self.world_lock:
            hit = self._query_cache.get(key)
        if hit is not None:
            return hit
        w = self.world
        words = key[0].split()
        if len(words) == 1 and words[0].startswith("#") and len(words[0]) > 1:
            ids = list(w.bsky_tag_index.get(words[0][1:], []))
        elif not words or key[0] == "*":
            ids = list(w.bsky_all)
        else:
            needle = key[0]
            ids = [i for i in w.bsky_all if needle in self.record(w.posts[i])["text"].lower()]
        for t in key[1]:
            ids = [i for i in ids if t in w.posts[i].platform_tags]
        result = (ids, [-w.posts[i].created_at.timestamp() for i in ids])
        with self.world_lock:
            self._query_cache[key] = result
        return result

    def search_posts(self, q: dict[str, str], tags: list[str]) -> Reply:
        if "q" not in q:
            return (
                400,
                {"error": "InvalidRequest", "message": 'Error: Params must have the property "q"'},
                {},
            )
        try:
            limit = int(q.get("limit") or 25)
            offset = int(q.get("cursor") or 0)
        except ValueError:
            return (
                400,
                {"error": "InvalidRequest", "message": "Error: limit/cursor must be integers"},
                {},
            )
        if not 1 <= limit <= 100:
            return (
                400,
                {"error": "InvalidRequest", "message": "Error: limit can not be greater than 100"},
                {},
            )
        ids, negtimes = self.candidates(q["q"], tags)
        w = self.world
        lo, hi = newest_first_window(
            negtimes,
            parse_when(q.get("since")),
            parse_when(q.get("until")),
            None if w.advanced else w.cut,
        )
        start = lo + max(0, offset)
        page = ids[start : min(hi, start + limit)]
        body: dict[str, Any] = {"posts": [self.post_view(i) for i in page], "hitsTotal": hi - lo}
        if start + limit < hi:
            body["cursor"] = str(offset + limit)
        return 200, body, {}

    routes = tuple(
        route("/xrpc/" + re.escape(nsid), nsid, handler, *methods)
        for nsid, handler, methods in (
            ("com.atproto.server.createSession", ep_create_session, ("POST",)),
            ("com.atproto.server.refreshSession", ep_refresh_session, ("POST",)),
            ("com.atproto.server.getSession", ep_get_session, ()),
            ("app.bsky.feed.searchPosts", ep_search_posts, ()),
            ("app.bsky.actor.getProfiles", ep_get_profiles, ()),
            ("app.bsky.actor.getProfile", ep_get_profile, ()),
            ("app.bsky.feed.getPosts", ep_get_posts, ()),
            ("com.atproto.identity.resolveHandle", ep_resolve_handle, ()),
            ("app.bsky.graph.getFollowers", BlueskyGraph.ep_get_followers, ()),
            ("app.bsky.graph.getFollows", BlueskyGraph.ep_get_follows, ()),
            ("app.bsky.graph.getStarterPack", BlueskyGraph.ep_get_starter_pack, ()),
            ("app.bsky.graph.getList", BlueskyGraph.ep_get_list, ()),
        )
    )
