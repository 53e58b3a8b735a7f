"""One demo Mastodon instance: its API endpoints, throttles and headers.

Endpoints: ``/api/v1/timelines/tag/:tag``, ``/api/v1/accounts/:id``,
``/api/v1/accounts/lookup``, ``/api/v1/accounts/:id/followers`` and ``/following``
(:mod:`scout_demo.mastodon_follows`), ``/api/v1/statuses/:id``,
``/api/v1/statuses/:id/reblogged_by``, ``/api/v1/instance``, ``/api/v2/instance``,
``/.well-known/nodeinfo``, ``/nodeinfo/2.0``, ``/robots.txt``.  Rate limits as
rack-attack: ``X-RateLimit-*`` headers, epoch-aligned windows, and an optional
separate budget for paging requests (``max_id``/``since_id``/``min_id``).
"""

from __future__ import annotations

import bisect
import json
import threading
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from scout_demo.mastodon_follows import MastodonFollows
from scout_demo.mastodon_render import MastodonRender
from scout_demo.model import World, host_of
from scout_demo.service import (
    AlignedRateWindow,
    App,
    Reply,
    Request,
    Response,
    iso_us,
    json_bytes,
    route,
)
from scout_demo.tables import INSTANCES

MASTODON_VERSION = "4.5.2"


class MastodonApp(MastodonRender, MastodonFollows, App):
    kind = "mastodon"

    def __init__(
        self,
        world: World,
        index: int,
        urls: list[str],
        limit: int,
        window: float,
        paging_limit: int | None = None,
        paging_window: float = 900.0,
    ) -> None:
        super().__init__(world, urls[index], limit, window)
        # Mastodon's separate throttle for API requests with max_id/since_id/min_id
        # (rack-attack: 300 per 15 minutes per IP); off unless configured
        self.rate = AlignedRateWindow(limit, window)
        self.paging = AlignedRateWindow(paging_limit, paging_window) if paging_limit else None
        self.paging_requests = 0
        self._tls = threading.local()
        self.index = index
        self.urls = urls
        self.spec = INSTANCES[index]
        self.host = host_of(self.base)
        self._status_cache: dict[int, dict[str, Any]] = {}
        self._content_cache: dict[int, str] = {}
        self._account_cache: dict[int, dict[str, Any]] = {}

    def handle(self, method: str, target: str, body: bytes, headers: Any) -> Response:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        self._tls.paging = parts.path.startswith("/api/") and any(
            k in ("max_id", "since_id", "min_id") and any(v) for k, v in query.items()
        )
        self._tls.limit = self.rate.limit
        return super().handle(method, target, body, headers)

    def extra_limit(self, path: str) -> tuple[bool, int, float] | None:
        """A paging request counts against both throttles; like Mastodon, the headers
        (and a 429) are those of the most limited one."""
        if self.paging is None or not getattr(self._tls, "paging", False):
            return None
        with self.control.lock:
            self.paging_requests += 1
        api = self.rate.hit()
        paging = self.paging.hit()
        if not paging[0] or (api[0] and paging[1] < api[1]):
            self._tls.limit = self.paging.limit
            return paging
        return api

    def handle_demo(self, method: str, path: str, body: bytes) -> Response:
        status, hdrs, data = super().handle_demo(method, path, body)
        if path == "/_demo/stats" and status == 200 and isinstance(data, bytes):
            snap = json.loads(data)
            snap["paging_requests"] = self.paging_requests
            if self.paging is not None:
                snap["paging_limit"] = {"limit": self.paging.limit, "window": self.paging.window}
            data = json_bytes(snap)
        return status, hdrs, data

    def rate_headers(self, remaining: int, reset: float) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(getattr(self._tls, "limit", self.rate.limit)),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": iso_us(reset),
            "cache-control": "private, no-store",
            "vary": "Authorization, Origin",
        }

    def rate_limited_body(self) -> dict[str, Any]:
        return {"error": "Too many requests"}

    # -- endpoints (the routing table is at the end of the class) ------------------------
    def no_route(self, method: str, path: str) -> Reply:
        return 404, {"error": "Not found"}, {}

    def wrong_method(self, method: str, path: str) -> Reply:
        return 404, {"error": "Not found"}, {}  # as Mastodon: unknown route

    def ep_tag_timeline(self, req: Request) -> Reply:
        return self.tag_timeline(req.params["tag"], req.q)

    def ep_lookup(self, req: Request) -> Reply:
        return self.lookup(req.q.get("acct", ""))

    def ep_account(self, req: Request) -> Reply:
        try:
            acc_idx = self.world.account_by_id[self.index].get(int(req.params["id"]))
        except ValueError:
            acc_idx = None
        if acc_idx is None:
            return 404, {"error": "Record not found"}, {}
        return 200, self.account_json(self.world.accounts[acc_idx]), {}

    def ep_reblogged_by(self, req: Request) -> Reply:
        return self.reblogged_by(req.params["id"], req.q)

    def ep_status(self, req: Request) -> Reply:
        try:
            key = self.world.status_by_id[self.index].get(int(req.params["id"]))
        except ValueError:
            key = None
        if key is None or not self.world.is_released(self.world.status(key)):
            return 404, {"error": "Record not found"}, {}
        return 200, self.status_json(key), {}

    def ep_instance_v1(self, req: Request) -> Reply:
        return 200, self.instance_v1(), {}

    def ep_instance_v2(self, req: Request) -> Reply:
        return 200, self.instance_v2(), {}

    def ep_nodeinfo_links(self, req: Request) -> Reply:
        href = f"{self.base}/nodeinfo/2.0"
        links = [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": href}]
        return 200, {"links": links}, {}

    def ep_nodeinfo(self, req: Request) -> Reply:
        return 200, self.nodeinfo(), {}

    def ep_robots(self, req: Request) -> Reply:
        text = "User-agent: *\nDisallow: /media_proxy/\nDisallow: /interact/\n"
        return 200, text.encode(), {"Content-Type": "text/plain; charset=utf-8"}

    def tag_timeline(self, tag: str, q: dict[str, str]) -> Reply:
        w = self.world
        try:
            limit = int(q.get("limit") or 20)
            max_id = int(q["max_id"]) if q.get("max_id") else None
            since_id = int(q["since_id"]) if q.get("since_id") else None
            min_id = int(q["min_id"]) if q.get("min_id") else None
        except ValueError:
            return 400, {"error": "Invalid parameter"}, {}
        limit = max(1, min(40, limit))
        ids = w.tag_ids[self.index].get(tag.lower(), [])
        lo = 0
        hi = len(ids)
        if max_id is not None:
            hi = bisect.bisect_left(ids, max_id)
        if since_id is not None:
            lo = bisect.bisect_right(ids, since_id)
        page: list[int] = []
        by_id = w.status_by_id[self.index]
        if min_id is not None:
            # the page just above min_id, still newest first within the page
            i = max(lo, bisect.bisect_right(ids, min_id))
            while i < hi and len(page) < limit:
                if w.is_released(w.status(by_id[ids[i]])):
                    page.append(ids[i])
                i += 1
            page.reverse()
        else:
            i = hi - 1
            while i >= lo and len(page) < limit:
                if w.is_released(w.status(by_id[ids[i]])):
                    page.append(ids[i])
                i -= 1
        body = [self.status_json(by_id[sid]) for sid in page]
        headers: dict[str, str] = {}
        if page:
            base = f"{self.base}/api/v1/timelines/tag/{quote(tag)}"
            lim = f"limit={q['limit']}&" if q.get("limit") else ""
            headers["Link"] = (
                f'<{base}?{lim}max_id={page[-1]}>; rel="next", <{base}?{lim}min_id={page[0]}>; rel="prev"'
            )
        return 200, body, headers

    def reblogged_by(self, sid: str, q: dict[str, str]) -> Reply:
        """Accounts that reblogged a status, newest reblog first, paged by the reblog's
        id (``max_id``/``since_id``) in the Link header like Mastodon."""
        w = self.world
        try:
            key = w.status_by_id[self.index].get(int(sid))
            limit = max(1, min(80, int(q.get("limit") or 40)))
            max_id = int(q["max_id"]) if q.get("max_id") else None
            since_id = int(q["since_id"]) if q.get("since_id") else None
        except ValueError:
            return 400, {"error": "Invalid parameter"}, {}
        if key is None or not w.is_released(w.status(key)):
            return 404, {"error": "Record not found"}, {}
        post = w.status(key)
        if post.reblog_of is not None:
            return 404, {"error": "Record not found"}, {}
        entries = []
        for wid, rkey in w.reblogged_by.get(key, []):
            if max_id is not None and wid >= max_id:
                continue
            if since_id is not None and wid <= since_id:
                break
            r = w.status(rkey)
            if not w.is_released(r):
                continue
            # this server knows reblogs by its own users and those federated to it
            if self.index not in r.copies and w.accounts[post.author].instance != self.index:
                continue
            entries.append((wid, r))
            if len(entries) >= limit:
                break
        body = [self.account_json(w.accounts[r.author]) for _, r in entries]
        headers: dict[str, str] = {}
        if entries:
            base = f"{self.base}/api/v1/statuses/{sid}/reblogged_by"
            headers["Link"] = (
                f'<{base}?limit={limit}&max_id={entries[-1][0]}>; rel="next", '
                f'<{base}?limit={limit}&since_id={entries[0][0]}>; rel="prev"'
            )
        return 200, body, headers

    def lookup(self, acct: str) -> Reply:
        name, _, host = acct.lstrip("@").partition("@")
        w = self.world
        inst = self.index
        if host and host != self.host:
            matches = [i for i, u in enumerate(self.urls) if host_of(u) == host]
            if not matches:
                return 404, {"error": "Record not found"}, {}
            inst = matches[0]
        idx = w.account_by_name[inst].get(name.lower())
        if idx is None:
            return 404, {"error": "Record not found"}, {}
        return 200, self.account_json(w.accounts[idx]), {}

    def local_counts(self) -> tuple[int, int]:
        users = sum(
            1 for a in self.world.accounts if a.instance == self.index and a.platform == "mastodon"
        )
        posts = sum(1 for k in self.world.status_by_id[self.index].values())
        return users, posts

    def instance_v1(self) -> dict[str, Any]:
        users, posts = self.local_counts()
        return {
            "uri": self.host,
            "title": self.spec.title,
            "short_description": self.spec.description,
            "description": self.spec.description,
            "email": f"admin@{self.host.split(':')[0]}",
            "version": MASTODON_VERSION,
            "urls": {"streaming_api": self.base.replace("http", "ws", 1)},
            "stats": {"user_count": users, "status_count": posts, "domain_count": len(self.urls)},
            "thumbnail": f"{self.base}/packs/media/images/preview.png",
            "languages": list(self.spec.languages),
            "registrations": True,
            "approval_required": False,
            "invites_enabled": True,
            "configuration": {
                "accounts": {"max_featured_tags": 10},
                "statuses": {
                    "max_characters": 500,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
            },
            "contact_account": None,
            "rules": [],
        }

    def instance_v2(self) -> dict[str, Any]:
        users, _ = self.local_counts()
        return {
            "domain": self.host,
            "title": self.spec.title,
            "version": MASTODON_VERSION,
            "source_url": "https://github.com/mastodon/mastodon",
            "description": self.spec.description,
            "usage": {"users": {"active_month": users}},
            "thumbnail": {"url": f"{self.base}/packs/media/images/preview.png"},
            "languages": list(self.spec.languages),
            "configuration": {
                "urls": {"streaming": self.base.replace("http", "ws", 1), "status": None},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {
                    "max_characters": 500,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
                "translation": {"enabled": False},
                "timelines_access": {
                    "live_feeds": {"local": "public", "remote": "public"},
                    "hashtag_feeds": {"local": "public", "remote": "public"},
                    "trending_link_feeds": {"local": "public", "remote": "public"},
                },
            },
            "registrations": {"enabled": True, "approval_required": False, "message": None},
            "api_versions": {"mastodon": 6},
            "contact": {"email": f"admin@{self.host.split(':')[0]}", "account": None},
            "rules": [],
        }

    def nodeinfo(self) -> dict[str, Any]:
        users, posts = self.local_counts()
        return {
            "version": "2.0",
            "software": {"name": "mastodon", "version": MASTODON_VERSION},
            "protocols": ["activitypub"],
            "services": {"outbound": [], "inbound": []},
            "usage": {
                "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
                "localPosts": posts,
            },
            "openRegistrations": True,
            "metadata": {"nodeName": self.spec.title, "nodeDescription": self.spec.description},
        }

    # first match wins; the name is what /_demo/stats counts requests under
    routes = (
        route(r"/api/v1/timelines/tag/(?:.*/)?(?P<tag>[^/]*)", "/api/v1/timelines/tag/:tag", ep_tag_timeline, "GET"),
        route(r"/api/v1/accounts/lookup", "/api/v1/accounts/lookup", ep_lookup, "GET"),
        # before the greedy /api/v1/accounts/:id
        route(r"/api/v1/accounts/(?P<id>[^/]+)/followers", "/api/v1/accounts/:id/followers", MastodonFollows.ep_followers, "GET"),
        route(r"/api/v1/accounts/(?P<id>[^/]+)/following", "/api/v1/accounts/:id/following", MastodonFollows.ep_following, "GET"),
        route(r"/api/v1/accounts/(?P<id>.*)", "/api/v1/accounts/:id", ep_account, "GET"),
        route(r"/api/v1/statuses/(?:.*/)?(?P<id>[^/]*)/reblogged_by", "/api/v1/statuses/:id/reblogged_by", ep_reblogged_by, "GET"),
        route(r"/api/v1/statuses/(?:.*/)?(?P<id>[^/]*)", "/api/v1/statuses/:id", ep_status, "GET"),
        route(r"/api/v1/instance", "/api/v1/instance", ep_instance_v1, "GET"),
        route(r"/api/v2/instance", "/api/v2/instance", ep_instance_v2, "GET"),
        route(r"/\.well-known/nodeinfo", "/.well-known/nodeinfo", ep_nodeinfo_links, "GET"),
        route(r"/nodeinfo/2\.0", "/nodeinfo/2.0", ep_nodeinfo, "GET"),
        route(r"/robots\.txt", "/robots.txt", ep_robots, "GET"),
    )  # fmt: skip
