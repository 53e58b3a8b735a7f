"""Loopback HTTP servers that serve the demo world like real Mastodon and Bluesky.

One ``ThreadingHTTPServer`` per Mastodon instance plus one Bluesky service, all bound to
127.0.0.1 and sharing one :class:`~scout_demo.world.World` in the process.  JSON
shapes, paging (``Link`` headers, ``cursor``), rate-limit headers and errors mirror the
recorded responses in ``../shared/fixtures``.  Run it with
``python -m scout_demo.server --state PATH``, or use :class:`DemoNetwork`.

Demo control endpoints on every server (not part of any real API):
``POST /_demo/faults`` (``{"status": 429|500|503, "count": n}`` or ``{"bad_body": n}``),
``POST /_demo/advance`` (release held-back posts everywhere) and ``GET /_demo/stats``.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import hmac
import html
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from scout_demo.world import (
    DEFAULT_PORTS,
    DEMO_BSKY_HANDLE,
    DEMO_BSKY_PASSWORD,
    DEMO_CAMPAIGN_NAME,
    DEMO_HASHTAGS,
    DEMO_KEYWORDS,
    EU_FLAG,
    INSTANCES,
    LANGS,
    NOW,
    SPAN_DAYS,
    Account,
    Post,
    World,
    build_world,
    host_of,
    iso_ms,
    newest_first_window,
)

__all__ = [
    "DEMO_BSKY_HANDLE",
    "DEMO_BSKY_PASSWORD",
    "DemoNetwork",
    "DemoServers",
    "start_servers",
    "write_demo_campaign",
]

JSON_TYPE = "application/json; charset=utf-8"
MASTODON_VERSION = "4.5.2"
Response = tuple[int, dict[str, str], bytes]


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _iso_us(ts: float) -> str:
    """ISO-8601 with microseconds, as Mastodon's ``X-RateLimit-Reset``."""
    d = datetime.fromtimestamp(ts, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _parse_when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        out = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out if out.tzinfo else out.replace(tzinfo=UTC)


class RateWindow:
    """Fixed-window request budget, the window starting when the server starts."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.start = time.time()
        self.count = 0
        self.lock = threading.Lock()

    def hit(self) -> tuple[bool, int, float]:
        """Count one request: (allowed, remaining, reset epoch)."""
        with self.lock:
            now = time.time()
            if now >= self.start + self.window:
                self.start += self.window * int((now - self.start) // self.window)
                self.count = 0
            self.count += 1
            allowed = self.count <= self.limit
            return allowed, max(0, self.limit - self.count), self.start + self.window


class Control:
    """Per-server fault injection and request statistics."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fault_status = 0
        self.fault_count = 0
        self.bad_body = 0
        self.fault_path = ""  # only requests whose path starts with this fail
        self.requests: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self.rate_limited = 0

    def take_fault(self, path: str = "") -> tuple[int, bool]:
        with self.lock:
            if self.fault_path and not path.startswith(self.fault_path):
                return 0, False
            if self.fault_count > 0:
                self.fault_count -= 1
                return self.fault_status, False
            if self.bad_body > 0:
                self.bad_body -= 1
                return 0, True
            return 0, False

    def set_faults(self, spec: dict[str, Any]) -> None:
        with self.lock:
            self.fault_path = str(spec.get("path") or "")
            if "bad_body" in spec:
                self.bad_body = int(spec["bad_body"])
            if "status" in spec:
                status = int(spec["status"])
                if status not in (429, 500, 502, 503, 504):
                    raise ValueError("status must be 429, 500, 502, 503 or 504")
                self.fault_status = status
                self.fault_count = int(spec.get("count", 1))

    def record(self, endpoint: str, status: int) -> None:
        with self.lock:
            self.requests[endpoint] += 1
            self.status_counts[status] += 1
            if status == 429:
                self.rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "total": sum(self.requests.values()),
                "statuses": {str(k): v for k, v in self.status_counts.items()},
                "rate_limited": self.rate_limited,
                "pending_faults": self.fault_count + self.bad_body,
            }


class App(ABC):
    """Routing shared by both kinds: demo control, faults, rate limits, stats."""

    kind = "app"

    def __init__(self, world: World, base: str, limit: int, window: float) -> None:
        self.world = world
        self.base = base
        self.rate = RateWindow(limit, window)
        self.control = Control()
        self.world_lock = threading.Lock()
        self.on_advance: Callable[[], None] = lambda: None

    @abstractmethod
    def rate_headers(self, remaining: int, reset: float) -> dict[str, str]:
        """Per kind: the rate-limit headers of an answer."""

    @abstractmethod
    def rate_limited_body(self) -> dict[str, Any]:
        """Per kind: the body of a 429."""

    def endpoint_name(self, path: str) -> str:
        return path

    @abstractmethod
    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, Any, dict[str, str]]:
        """Per kind: answer one API request (status, payload, extra headers)."""

    def handle(self, method: str, target: str, body: bytes, headers: Any) -> Response:
        parts = urlsplit(target)
        path = unquote(parts.path)
        if len(path) > 1:
            path = path.rstrip("/")
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/_demo/"):
            return self.handle_demo(method, path, body)
        endpoint = self.endpoint_name(path)
        allowed, remaining, reset = self.extra_limit(path) or self.rate.hit()
        hdrs = self.rate_headers(remaining, reset)
        hdrs["Content-Type"] = JSON_TYPE
        fault, bad = self.control.take_fault(path)
        if not allowed or fault == 429:
            self.control.record(endpoint, 429)
            if fault == 429:
                hdrs = self.rate_headers(0, reset)
                hdrs["Content-Type"] = JSON_TYPE
            hdrs["Retry-After"] = str(max(1, int(reset - time.time() + 0.999)))
            return 429, hdrs, _json(self.rate_limited_body())
        if fault:
            self.control.record(endpoint, fault)
            msg = {500: "Internal Server Error", 503: "Service Unavailable"}.get(
                fault, "Bad Gateway"
            )
            return fault, hdrs, _json({"error": msg})
        try:
            status, payload, more = self.route(method, path, query, body, headers)
        except (KeyError, ValueError, TypeError, IndexError) as exc:  # answer 500, keep serving
            status, payload, more = 500, {"error": f"InternalServerError: {exc}"}, {}
        hdrs.update(more)
        data = payload if isinstance(payload, bytes) else _json(payload)
        if bad and status == 200:
            data = data[: max(1, len(data) // 2)]  # truncated JSON
        self.control.record(endpoint, status)
        return status, hdrs, data

    def extra_limit(self, path: str) -> tuple[bool, int, float] | None:
        return None

    def handle_demo(self, method: str, path: str, body: bytes) -> Response:
        hdrs = {"Content-Type": JSON_TYPE}
        if path == "/_demo/stats" and method == "GET":
            snap = self.control.snapshot()
            snap.update(
                kind=self.kind,
                base=self.base,
                rate_limit={"limit": self.rate.limit, "window": self.rate.window},
                advanced=self.world.advanced,
            )
            return 200, hdrs, _json(snap)
        if path == "/_demo/advance" and method == "POST":
            with self.world_lock:
                released = self.world.advance()
            self.on_advance()
            return 200, hdrs, _json({"released": released, "advanced": True})
        if path == "/_demo/faults" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                self.control.set_faults(spec)
            except (ValueError, TypeError) as exc:
                return 400, hdrs, _json({"error": str(exc)})
            return 200, hdrs, _json({"ok": True})
        return 404, hdrs, _json({"error": "Not found"})


# --------------------------------------------------------------------------- Mastodon


class AlignedRateWindow(RateWindow):
    """Mastodon's rack-attack windows: aligned to the epoch, not to the server start."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self.start -= self.start % window


class MastodonApp(App):
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
            data = _json(snap)
        return status, hdrs, data

    def rate_headers(self, remaining: int, reset: float) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(getattr(self._tls, "limit", self.rate.limit)),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": _iso_us(reset),
            "cache-control": "private, no-store",
            "vary": "Authorization, Origin",
        }

    def rate_limited_body(self) -> dict[str, Any]:
        return {"error": "Too many requests"}

    def endpoint_name(self, path: str) -> str:
        p = path.split("/")
        if path.startswith("/api/v1/timelines/tag/"):
            return "/api/v1/timelines/tag/:tag"
        if path.startswith("/api/v1/accounts/") and p[-1] != "lookup":
            return "/api/v1/accounts/:id"
        if path.startswith("/api/v1/statuses/") and path.endswith("/reblogged_by"):
            return "/api/v1/statuses/:id/reblogged_by"
        if path.startswith("/api/v1/statuses/"):
            return "/api/v1/statuses/:id"
        return path

    # -- rendering ----------------------------------------------------------------------
    def home_base(self, acc: Account) -> str:
        return self.urls[acc.instance or 0]

    def emoji(self) -> dict[str, Any]:
        url = f"{self.base}/system/custom_emojis/images/000/000/001/original/{EU_FLAG}.png"
        return {
            "shortcode": EU_FLAG,
            "url": url,
            "static_url": url.replace("/original/", "/static/"),
            "visible_in_picker": True,
        }

    @staticmethod
    def _esc(text: str) -> str:
        return html.escape(text, quote=True).replace("&#x27;", "&#39;")

    def link_html(self, url: str) -> str:
        scheme, _, rest = url.partition("://")
        prefix = scheme + "://"
        if rest.startswith("www."):
            prefix, rest = prefix + "www.", rest[4:]
        if len(rest) > 30:
            shown = (
                f'<span class="ellipsis">{self._esc(rest[:30])}</span>'
                f'<span class="invisible">{self._esc(rest[30:])}</span>'
            )
        else:
            shown = f'<span class="">{self._esc(rest)}</span><span class="invisible"></span>'
        return (
            f'<a href="{self._esc(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{self._esc(prefix)}</span>{shown}</a>'
        )

    def mention_html(self, acc: Account) -> str:
        href = f"{self.home_base(acc)}/@{acc.username}"
        return (
            f'<span class="h-card" translate="no"><a href="{self._esc(href)}" '
            f'class="u-url mention">@<span>{self._esc(acc.username)}</span></a></span>'
        )

    def tag_html(self, tag: str, base: str) -> str:
        return (
            f'<a href="{base}/tags/{quote(tag.lower())}" class="mention hashtag" rel="tag">'
            f"#<span>{self._esc(tag)}</span></a>"
        )

    def note_html(self, text: str, base: str) -> str:
        paras = []
        for para in text.split("\n"):
            words = []
            for w in para.split(" "):
                if w.startswith("#") and len(w) > 1 and w[1:].replace("_", "").isalnum():
                    words.append(self.tag_html(w[1:], base))
                else:
                    words.append(self._esc(w))
            paras.append("<p>" + " ".join(words) + "</p>")
        return "".join(paras)

    def content_html(self, post: Post) -> str:
        cached = self._content_cache.get(post.idx)
        if cached is not None:
            return cached
        w = self.world
        author = w.accounts[post.author]
        base = self.home_base(author)
        out = ["<p>"]
        for seg in post.segments:
            kind = seg[0]
            if kind == "t":
                out.append(self._esc(seg[1]).replace("\n", "<br>"))
            elif kind == "tag":
                out.append(self.tag_html(seg[1], base))
            elif kind == "m":
                out.append(self.mention_html(w.accounts[seg[1]]))
            elif kind == "url":
                out.append(self.link_html(seg[1]))
            elif kind == "emoji":
                out.append(f":{seg[1]}:")
            elif kind == "p":
                out.append("</p><p>")
        out.append("</p>")
        if post.quote_of is not None:
            q = w.posts[post.quote_of]
            qurl = self.status_url(q)
            out.append(
                f'<p class="quote-inline">RE: <a href="{self._esc(qurl)}" target="_blank" '
                f'rel="nofollow noopener">{self._esc(qurl)}</a></p>'
            )
        text = "".join(out)
        self._content_cache[post.idx] = text
        return text

    def status_uri(self, post: Post) -> str:
        acc = self.world.accounts[post.author]
        lid = post.copies[acc.instance or 0]
        suffix = "/activity" if post.reblog_of is not None else ""
        return f"{self.home_base(acc)}/users/{acc.username}/statuses/{lid}{suffix}"

    def status_url(self, post: Post) -> str:
        acc = self.world.accounts[post.author]
        lid = post.copies[acc.instance or 0]
        if post.reblog_of is not None:
            return f"{self.home_base(acc)}/users/{acc.username}/statuses/{lid}/activity"
        return f"{self.home_base(acc)}/@{acc.username}/{lid}"

    def account_json(self, acc: Account) -> dict[str, Any]:
        cached = self._account_cache.get(acc.idx)
        if cached is not None:
            return cached
        w = self.world
        local = acc.instance == self.index
        base = self.home_base(acc)
        fields = []
        for name, value, verified in acc.fields:
            if value.startswith("https://"):
                vhtml = self.link_html(value).replace(
                    'rel="nofollow noopener"', 'rel="me nofollow noopener"'
                )
            else:
                vhtml = self._esc(value)
            verified_at = None
            if verified:
                ts = acc.created_at + timedelta(
                    days=3, seconds=acc.idx % 86400, milliseconds=acc.idx % 1000
                )
                verified_at = (
                    ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+00:00"
                )
            fields.append({"name": name, "value": vhtml, "verified_at": verified_at})
        avatar = f"{self.base}/system/accounts/avatars/{acc.idx:09d}/original/avatar.png"
        out: dict[str, Any] = {
            "id": str(w.account_local_id(acc, self.index)),
            "username": acc.username,
            "acct": acc.username if local else f"{acc.username}@{host_of(base)}",
            "display_name": acc.display_name,
            "locked": False,
            "bot": acc.is_bot,
            "discoverable": acc.discoverable,
            "indexable": acc.indexable,
            "group": False,
            "created_at": iso_ms(acc.created_at),
            "note": self.note_html(acc.bio, base),
            "url": f"{base}/@{acc.username}",
            "uri": World.actor_uri(base, acc.username),
            "avatar": avatar,
            "avatar_static": avatar,
            "avatar_description": "",
            "header": f"{self.base}/headers/original/missing.png",
            "header_static": f"{self.base}/headers/original/missing.png",
            "header_description": "",
            "followers_count": acc.followers,
            "following_count": acc.following,
            "statuses_count": acc.statuses_count,
            "last_status_at": (NOW - timedelta(days=acc.idx % 5)).date().isoformat(),
            "hide_collections": False,
            "show_media": True,
            "show_media_replies": True,
            "show_featured": True,
            "emojis": [self.emoji()] if f":{EU_FLAG}:" in acc.display_name else [],
            "fields": fields,
        }
        if local:
            out["noindex"] = acc.noindex
            out["roles"] = []
        self._account_cache[acc.idx] = out
        return out

    def status_json(self, key: int, depth: int = 0) -> dict[str, Any]:
        cached = self._status_cache.get(key) if depth == 0 else None
        if cached is not None:
            return cached
        w = self.world
        post = w.status(key)
        author = w.accounts[post.author]
        lid = post.copies[self.index]
        local = author.instance == self.index
        out: dict[str, Any] = {
            "id": str(lid),
            "created_at": iso_ms(post.created_at),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": bool(post.spoiler),
            "spoiler_text": post.spoiler,
            "visibility": "public",
            "language": post.lang,
            "uri": self.status_uri(post),
            "url": self.status_url(post),
            "replies_count": post.replies,
            "reblogs_count": post.reposts,
            "favourites_count": post.likes,
            "quotes_count": post.quotes,
            "edited_at": None,
            "content": "",
            "filtered": [],
            "reblog": None,
        }
        if post.reblog_of is not None:
            out["reblog"] = self.status_json(post.reblog_of, depth)
            out.update(account=self.account_json(author), media_attachments=[], mentions=[])
            out.update(tags=[], emojis=[], quote=None, card=None, poll=None)
            out["replies_count"] = out["reblogs_count"] = out["favourites_count"] = 0
            self._status_cache[key] = out
            return out
        if post.reply_to is not None:
            parent = w.posts[post.reply_to]
            out["in_reply_to_id"] = str(parent.copies[self.index])
            out["in_reply_to_account_id"] = str(
                w.account_local_id(w.accounts[parent.author], self.index)
            )
        out["content"] = self.content_html(post)
        if local:
            out["application"] = {"name": "Web", "website": None}
        out["account"] = self.account_json(author)
        out["media_attachments"] = []
        mentions = []
        seen: set[int] = set()
        for seg in post.segments:
            if seg[0] == "m" and seg[1] not in seen:
                seen.add(seg[1])
                m = w.accounts[seg[1]]
                mbase = self.home_base(m)
                mentions.append(
                    {
                        "id": str(w.account_local_id(m, self.index)),
                        "username": m.username,
                        "url": f"{mbase}/@{m.username}",
                        "acct": m.username
                        if m.instance == self.index
                        else f"{m.username}@{host_of(mbase)}",
                    }
                )
        out["mentions"] = mentions
        tags = []
        for t in dict.fromkeys(t.lower() for t in post.tags):
            tags.append({"name": t, "url": f"{self.base}/tags/{quote(t)}"})
        out["tags"] = tags
        out["emojis"] = [self.emoji()] if ("emoji", EU_FLAG) in post.segments else []
        out["quote"] = None
        if post.quote_of is not None:
            q = w.posts[post.quote_of]
            if depth == 0:
                out["quote"] = {"state": "accepted", "quoted_status": self.status_json(q.idx, 1)}
            else:
                out["quote"] = {"state": "accepted", "quoted_status_id": str(q.copies[self.index])}
        out["card"] = None
        if post.link and post.idx % 2 == 0:
            out["card"] = {
                "url": post.link,
                "title": post.card_title,
                "description": "",
                "language": post.lang,
                "type": "link",
                "author_name": "",
                "author_url": "",
                "provider_name": "",
                "provider_url": "",
                "html": "",
                "width": 400,
                "height": 210,
                "image": None,
                "image_description": "",
                "embed_url": "",
                "blurhash": None,
                "published_at": None,
                "authors": [],
            }
        out["poll"] = None
        out["quote_approval"] = {"automatic": ["public"], "manual": [], "current_user": "automatic"}
        if depth == 0:
            self._status_cache[key] = out
        return out

    # -- endpoints ----------------------------------------------------------------------
    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, Any, dict[str, str]]:
        q = {k: v[-1] for k, v in query.items()}
        if method != "GET":
            return 404, {"error": "Not found"}, {}
        if path.startswith("/api/v1/timelines/tag/"):
            return self.tag_timeline(path.rsplit("/", 1)[-1], q)
        if path == "/api/v1/accounts/lookup":
            return self.lookup(q.get("acct", ""))
        if path.startswith("/api/v1/accounts/"):
            rest = path[len("/api/v1/accounts/") :]
            try:
                acc_idx = self.world.account_by_id[self.index].get(int(rest))
            except ValueError:
                acc_idx = None
            if acc_idx is None:
                return 404, {"error": "Record not found"}, {}
            return 200, self.account_json(self.world.accounts[acc_idx]), {}
        if path.startswith("/api/v1/statuses/") and path.endswith("/reblogged_by"):
            return self.reblogged_by(path.split("/")[-2], q)
        if path.startswith("/api/v1/statuses/"):
            try:
                key = self.world.status_by_id[self.index].get(int(path.rsplit("/", 1)[-1]))
            except ValueError:
                key = None
            if key is None or not self.world.is_released(self.world.status(key)):
                return 404, {"error": "Record not found"}, {}
            return 200, self.status_json(key), {}
        if path == "/api/v1/instance":
            return 200, self.instance_v1(), {}
        if path == "/api/v2/instance":
            return 200, self.instance_v2(), {}
        if path == "/.well-known/nodeinfo":
            href = f"{self.base}/nodeinfo/2.0"
            return (
                200,
                {
                    "links": [
                        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": href}
                    ]
                },
                {},
            )
        if path == "/nodeinfo/2.0":
            return 200, self.nodeinfo(), {}
        if path == "/robots.txt":
            text = "User-agent: *\nDisallow: /media_proxy/\nDisallow: /interact/\n"
            return 200, text.encode(), {"Content-Type": "text/plain; charset=utf-8"}
        return 404, {"error": "Not found"}, {}

    def tag_timeline(self, tag: str, q: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
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

    def reblogged_by(self, sid: str, q: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
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

    def lookup(self, acct: str) -> tuple[int, Any, dict[str, str]]:
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


# --------------------------------------------------------------------------- Bluesky

DEMO_DID = "did:plc:scoutdemo2026aaaaaaaaaaaa"
ACCESS_TTL = 2 * 3600
REFRESH_TTL = 60 * 86400


class BlueskyApp(App):
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
        signing = _b64url(_json(header)) + "." + _b64url(_json(payload))
        sig = hmac.new(self.secret, signing.encode(), hashlib.sha256).digest()
        return signing + "." + _b64url(sig)

    def check_jwt(self, headers: Any, scope: str) -> tuple[int, dict[str, str]] | None:
        """None if the bearer token is valid for ``scope``, else (status, error body)."""
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return 401, {"error": "AuthMissing", "message": "Authentication Required"}
        token = auth[7:].strip()
        try:
            h, p, s = token.split(".")
            expect = hmac.new(self.secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(_b64url(expect), s):
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

    # -- rendering ----------------------------------------------------------------------
    def profile_basic(self, acc: Account) -> dict[str, Any]:
        did = str(acc.did)
        out: dict[str, Any] = {
            "did": did,
            "handle": acc.username,
            "displayName": acc.display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/{acc.avatar_cid}@jpeg",
            "associated": {"chat": {"allowIncoming": "following"}},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": self.labels(acc),
            "createdAt": iso_ms(acc.created_at),
        }
        if acc.idx % 17 == 0:
            del out["displayName"]  # real profiles may have none
        elif acc.idx % 23 == 0:
            out["displayName"] = ""
        return out

    def labels(self, acc: Account) -> list[dict[str, Any]]:
        did = str(acc.did)
        return [
            {
                "src": did,
                "uri": f"at://{did}/app.bsky.actor.profile/self",
                "cid": acc.profile_cid,
                "val": val,
                "cts": iso_ms(acc.created_at),
            }
            for val in acc.labels
        ]

    def profile_detailed(self, acc: Account) -> dict[str, Any]:
        out = self.profile_basic(acc)
        out["associated"] = {
            "lists": 0,
            "feedgens": 0,
            "starterPacks": 0,
            "labeler": False,
            "chat": {"allowIncoming": "following"},
        }
        out["description"] = acc.bio
        out["indexedAt"] = iso_ms(acc.created_at + timedelta(days=30))
        out["banner"] = f"https://cdn.bsky.app/img/banner/plain/{acc.did}/{acc.avatar_cid}@jpeg"
        out["followersCount"] = acc.followers
        out["followsCount"] = acc.following
        out["postsCount"] = acc.statuses_count
        return out

    def demo_profile(self) -> dict[str, Any]:
        return {
            "did": DEMO_DID,
            "handle": DEMO_BSKY_HANDLE,
            "displayName": "eci-scout demo",
            "description": "The account eci-scout logs in with on the demo network.",
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": [],
            "createdAt": "2026-01-01T00:00:00.000Z",
            "indexedAt": "2026-01-01T00:00:00.000Z",
            "followersCount": 0,
            "followsCount": 0,
            "postsCount": 0,
        }

    def post_uri(self, post: Post) -> str:
        return f"at://{self.world.accounts[post.author].did}/app.bsky.feed.post/{post.rkey}"

    def record(self, post: Post) -> dict[str, Any]:
        w = self.world
        text_parts: list[str] = []
        facets: list[dict[str, Any]] = []
        nbytes = 0
        for seg in post.segments:
            kind = seg[0]
            if kind == "t":
                piece = seg[1]
            elif kind == "tag":
                piece = "#" + seg[1]
                feature = {"$type": "app.bsky.richtext.facet#tag", "tag": seg[1]}
            elif kind == "m":
                acc = w.accounts[seg[1]]
                piece = "@" + acc.username
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": acc.did}
            elif kind == "url":
                shown = seg[1].split("://", 1)[-1]
                piece = shown if len(shown) <= 30 else shown[:27] + "..."
                feature = {"$type": "app.bsky.richtext.facet#link", "uri": seg[1]}
            else:
                piece = "\n\n" if kind == "p" else ""
            size = len(piece.encode("utf-8"))
            if kind in ("tag", "m", "url"):
                facets.append(
                    {
                        "features": [feature],
                        "index": {"byteEnd": nbytes + size, "byteStart": nbytes},
                    }
                )
            text_parts.append(piece)
            nbytes += size
        rec: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_ms(post.created_at),
            "text": "".join(text_parts),
        }
        if facets:
            rec["facets"] = facets
        if post.lang:
            rec["langs"] = [post.lang]
        if post.record_tags:
            rec["tags"] = list(post.record_tags)
        if post.reply_to is not None:
            parent = w.posts[post.reply_to]
            root = parent
            while root.reply_to is not None:
                root = w.posts[root.reply_to]
            rec["reply"] = {
                "root": {"cid": root.cid, "uri": self.post_uri(root)},
                "parent": {"cid": parent.cid, "uri": self.post_uri(parent)},
            }
        if post.quote_of is not None:
            q = w.posts[post.quote_of]
            rec["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"cid": q.cid, "uri": self.post_uri(q)},
            }
        elif post.link and post.idx % 2 == 0:
            rec["embed"] = {
                "$type": "app.bsky.embed.external",
                "external": {"description": "", "title": post.card_title, "uri": post.link},
            }
        return rec

    def post_view(self, idx: int) -> dict[str, Any]:
        cached = self._post_cache.get(idx)
        if cached is not None:
            return cached
        w = self.world
        post = w.posts[idx]
        author = w.accounts[post.author]
        rec = self.record(post)
        view: dict[str, Any] = {
            "uri": self.post_uri(post),
            "cid": post.cid,
            "author": self.profile_basic(author),
            "record": rec,
        }
        emb = rec.get("embed")
        if emb and emb["$type"] == "app.bsky.embed.record":
            q = w.posts[post.quote_of or 0]
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": self.post_uri(q),
                    "cid": q.cid,
                    "author": self.profile_basic(w.accounts[q.author]),
                    "value": self.record(q),
                    "labels": [],
                    "likeCount": q.likes,
                    "replyCount": q.replies,
                    "repostCount": q.reposts,
                    "quoteCount": q.quotes,
                    "indexedAt": iso_ms(q.created_at + timedelta(milliseconds=480)),
                    "embeds": [],
                },
            }
        elif emb:
            view["embed"] = {
                "$type": "app.bsky.embed.external#view",
                "external": dict(emb["external"]),
            }
        view.update(
            {
                "replyCount": post.replies,
                "repostCount": post.reposts,
                "likeCount": post.likes,
                "quoteCount": post.quotes,
                "indexedAt": iso_ms(post.created_at + timedelta(milliseconds=480)),
                "viewer": {"threadMuted": False, "embeddingDisabled": False},
                "labels": [],
            }
        )
        self._post_cache[idx] = view
        return view

    # -- endpoints ----------------------------------------------------------------------
    def endpoint_name(self, path: str) -> str:
        return path.removeprefix("/xrpc/")

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, Any, dict[str, str]]:
        nsid = path.removeprefix("/xrpc/")
        q = {k: v[-1] for k, v in query.items()}
        if nsid == "com.atproto.server.createSession":
            if method != "POST":
                return 405, {"error": "InvalidRequest", "message": "Method Not Allowed"}, {}
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return 400, {"error": "InvalidRequest", "message": "Invalid JSON body"}, {}
            ident = str(data.get("identifier", "")).lstrip("@").lower()
            if (
                ident not in (DEMO_BSKY_HANDLE, DEMO_DID)
                or data.get("password") != DEMO_BSKY_PASSWORD
            ):
                return (
                    401,
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    {},
                )
            return 200, self.session_body(), {}
        if nsid == "com.atproto.server.refreshSession":
            if method != "POST":
                return 405, {"error": "InvalidRequest", "message": "Method Not Allowed"}, {}
            err = self.check_jwt(headers, "com.atproto.refresh")
            if err:
                return err[0], err[1], {}
            self.revoked.add((headers.get("Authorization") or "")[7:].strip())
            body_out = self.session_body()
            body_out.pop("email")
            body_out.pop("emailConfirmed")
            body_out.pop("emailAuthFactor")
            return 200, body_out, {}
        if nsid == "com.atproto.server.getSession":
            err = self.check_jwt(headers, "access")
            if err:
                return err[0], err[1], {}
            return 200, {"did": DEMO_DID, "handle": DEMO_BSKY_HANDLE, "active": True}, {}
        if nsid == "app.bsky.feed.searchPosts":
            err = self.check_jwt(headers, "access")
            if err:
                return err[0], err[1], {}
            return self.search_posts(q, query.get("tag", []))
        if nsid == "app.bsky.actor.getProfiles":
            actors = query.get("actors", [])
            if not actors:
                return (
                    400,
                    {
                        "error": "InvalidRequest",
                        "message": 'Error: Params must have the property "actors"',
                    },
                    {},
                )
            if len(actors) > 25:
                return (
                    400,
                    {
                        "error": "InvalidRequest",
                        "message": "Error: actors must not have more than 25 elements",
                    },
                    {},
                )
            profiles = [p for p in map(self.find_profile, dict.fromkeys(actors)) if p is not None]
            return 200, {"profiles": profiles}, {}
        if nsid == "app.bsky.actor.getProfile":
            actor = q.get("actor", "")
            prof = self.find_profile(actor)
            if prof is None:
                return 400, {"error": "InvalidRequest", "message": "Profile not found"}, {}
            return 200, prof, {}
        if nsid == "app.bsky.feed.getPosts":
            views = []
            for uri in query.get("uris", [])[:25]:
                idx = self.find_post(uri)
                if idx is not None:
                    views.append(self.post_view(idx))
            return 200, {"posts": views}, {}
        if nsid == "com.atproto.identity.resolveHandle":
            prof = self.find_profile(q.get("handle", ""))
            if prof is None:
                return 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}, {}
            return 200, {"did": prof["did"]}, {}
        return 501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, {}

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

    def search_posts(self, q: dict[str, str], tags: list[str]) -> tuple[int, Any, dict[str, str]]:
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
            _parse_when(q.get("since")),
            _parse_when(q.get("until")),
            None if w.advanced else w.cut,
        )
        start = lo + max(0, offset)
        page = ids[start : min(hi, start + limit)]
        body: dict[str, Any] = {"posts": [self.post_view(i) for i in page], "hitsTotal": hi - lo}
        if start + limit < hi:
            body["cursor"] = str(offset + limit)
        return 200, body, {}


# --------------------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    app: App  # set on the per-server subclass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, data = self.app.handle(self.command, self.path, body, self.headers)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def _bind(port: int) -> _Server:
    try:
        return _Server(("127.0.0.1", port), _Handler)
    except OSError:
        return _Server(("127.0.0.1", 0), _Handler)


class DemoServers:
    """All demo servers of one process, sharing one world."""

    def __init__(
        self,
        world: World,
        rate_limit: int = 100_000,
        window: float = 300,
        bsky_rate_limit: int | None = None,
        ports: tuple[int, ...] = DEFAULT_PORTS,
        paging_limit: int | None = None,
        paging_window: float = 900.0,
    ) -> None:
        self.world = world
        n = len(world.instances)
        self.servers = [_bind(ports[i] if i < len(ports) else 0) for i in range(n + 1)]
        urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in self.servers]
        self.mastodon_urls = urls[:n]
        self.bluesky_url = urls[n]
        apps: list[App] = [
            MastodonApp(
                world, i, self.mastodon_urls, rate_limit, window, paging_limit, paging_window
            )
            for i in range(n)
        ]
        apps.append(BlueskyApp(world, self.bluesky_url, bsky_rate_limit or rate_limit, window))
        self.apps = apps
        lock = threading.Lock()
        hooks = [a.on_advance for a in apps]

        def advance_all() -> None:
            for hook in hooks:
                hook()

        for a in apps:
            a.world_lock = lock
            a.on_advance = advance_all
        for server, app in zip(self.servers, apps, strict=True):
            server.RequestHandlerClass = type("Handler", (_Handler,), {"app": app})
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for s in self.servers:
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()

    def state(self) -> dict[str, Any]:
        return {
            "mastodon": list(self.mastodon_urls),
            "bluesky": self.bluesky_url,
            "bsky_handle": DEMO_BSKY_HANDLE,
            "bsky_password": DEMO_BSKY_PASSWORD,
            "pid": os.getpid(),
            "seed": self.world.seed,
        }


def start_servers(world: World | None = None, **kwargs: Any) -> DemoServers:
    """Start the demo servers in this process (threads); call ``.stop()`` when done."""
    servers = DemoServers(world or build_world(), **kwargs)
    servers.start()
    return servers


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".demo-state-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scout_demo.server", description=__doc__)
    ap.add_argument("--state", type=Path, required=True, help="JSON file written once listening")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--posts", type=int, default=30000)
    ap.add_argument(
        "--rate-limit", type=int, default=100_000, help="requests per window per server"
    )
    ap.add_argument("--window", type=float, default=300.0, help="rate-limit window in seconds")
    ap.add_argument("--bsky-rate-limit", type=int, default=None)
    ap.add_argument(
        "--paging-limit", type=int, default=None, help="Mastodon paging requests per window"
    )
    ap.add_argument("--paging-window", type=float, default=900.0)
    args = ap.parse_args(argv)
    world = build_world(args.seed, args.accounts, args.posts)
    servers = start_servers(
        world,
        rate_limit=args.rate_limit,
        window=args.window,
        bsky_rate_limit=args.bsky_rate_limit,
        paging_limit=args.paging_limit,
        paging_window=args.paging_window,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    _write_atomic(args.state, servers.state())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        servers.stop()
        try:
            args.state.unlink()
        except OSError:
            pass
    return 0


# --------------------------------------------------------------------------- client side


class DemoNetwork:
    """Runs the demo servers in a subprocess for the duration of a ``with`` block."""

    def __init__(
        self,
        seed: int = 2026,
        rate_limit: int | None = None,
        window: float | None = None,
        bsky_rate_limit: int | None = None,
        state_path: Path | None = None,
        timeout: float = 60.0,
        n_accounts: int | None = None,
        n_posts: int | None = None,
        paging_limit: int | None = None,
        paging_window: float | None = None,
    ) -> None:
        self.seed = seed
        self.paging_limit = paging_limit
        self.paging_window = paging_window
        self.rate_limit = rate_limit
        self.window = window
        self.bsky_rate_limit = bsky_rate_limit
        self.timeout = timeout
        self.n_accounts = n_accounts
        self.n_posts = n_posts
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.state_path = state_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}

    @property
    def mastodon_urls(self) -> list[str]:
        return list(self.state["mastodon"])

    @property
    def bluesky_url(self) -> str:
        return str(self.state["bluesky"])

    @property
    def urls(self) -> list[str]:
        return [*self.mastodon_urls, self.bluesky_url]

    def start(self) -> DemoNetwork:
        if self.state_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="scout-demo-")
            self.state_path = Path(self._tmpdir.name) / "state.json"
        if self.state_path.exists():
            self.state_path.unlink()
        cmd = [sys.executable, "-m", "scout_demo.server", "--state", str(self.state_path)]
        cmd += ["--seed", str(self.seed)]
        for flag, value in (
            ("--rate-limit", self.rate_limit),
            ("--window", self.window),
            ("--bsky-rate-limit", self.bsky_rate_limit),
            ("--accounts", self.n_accounts),
            ("--posts", self.n_posts),
            ("--paging-limit", self.paging_limit),
            ("--paging-window", self.paging_window),
        ):
            if value is not None:
                cmd += [flag, str(value)]
        root = Path(__file__).resolve().parents[1]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + self.timeout
        while True:
            if self.state_path.exists():
                try:
                    self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
                    break
                except ValueError:
                    pass
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(
                    f"demo network exited with {self.proc.returncode}: {err.strip()[-2000:]}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"demo network did not start within {self.timeout:.0f} s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc is not None and proc.stderr:
            proc.stderr.close()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> DemoNetwork:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control ------------------------------------------------------------------------
    @staticmethod
    def _call(url: str, payload: dict[str, Any] | None = None) -> Any:
        if not url.startswith("http://127.0.0.1:"):
            raise ValueError(f"demo control only talks to loopback, not {url!r}")
        data = None if payload is None else _json(payload)
        req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:  # loopback only (checked above)
            return json.loads(resp.read())

    def advance(self) -> int:
        """Release the held-back posts on every server; returns how many."""
        return int(self._call(self.urls[0] + "/_demo/advance", {})["released"])

    def faults(
        self,
        base_url: str | None = None,
        *,
        status: int | None = None,
        count: int = 1,
        bad_body: int | None = None,
        path: str | None = None,
    ) -> None:
        """Make the next ``count`` API responses of a server (default: all) fail; with
        ``path``, only responses to requests whose path starts with it."""
        spec: dict[str, Any] = {}
        if status is not None:
            spec.update(status=status, count=count)
        if bad_body is not None:
            spec["bad_body"] = bad_body
        if path is not None:
            spec["path"] = path
        for url in [base_url] if base_url else self.urls:
            self._call(url.rstrip("/") + "/_demo/faults", spec)

    def stats(self) -> dict[str, Any]:
        """Per server base URL: request counts per endpoint, 429s served, ..."""
        return {url: self._call(url + "/_demo/stats") for url in self.urls}


def write_demo_campaign(net_state: dict[str, Any], path: Path) -> Path:
    """Write a campaign TOML pointing at a running demo network; returns ``path``."""
    since = (NOW - timedelta(days=SPAN_DAYS)).date().isoformat()
    langs = sorted(LANGS)
    countries = sorted(
        {"GR" if c == "EL" else c for lang in LANGS.values() for c in lang["countries"]}
    )

    def arr(values: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"

    text = f"""# Demo campaign for the built-in demo network (scout_demo); generated.
[campaign]
name = {json.dumps(DEMO_CAMPAIGN_NAME)}
hashtags = {arr(DEMO_HASHTAGS)}
keywords = {arr(DEMO_KEYWORDS)}
countries = {arr(countries)}
languages = {arr(langs)}
since = {since}

[mastodon]
instances = {arr(list(net_state["mastodon"]))}
discover = false
max_instances = 10

[bluesky]
service = {json.dumps(net_state["bluesky"])}
handle_env = "SCOUT_DEMO_BSKY_HANDLE"
password_env = "SCOUT_DEMO_BSKY_PASSWORD"

[privacy]
retention_days = 365
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
