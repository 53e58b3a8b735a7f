"""What every demo server shares: JSON answers, rate-limit windows, fault injection,
request statistics and the ``/_demo/*`` control endpoints (:class:`App`).

An :class:`App` answers ``handle(method, target, body, headers)`` with
``(status, headers, body bytes)``; :mod:`scout_demo.httpd` puts it behind
``http.server``.  Demo control endpoints on every server (not part of any real API):
``POST /_demo/faults`` (``{"status": 429|500|502|503|504, "count": n, "path": prefix}``,
``{"bad_body": n}``, or random weather: ``{"rate": 0.2, "seed": 7, "kinds": [...],
"stall_seconds": 35}``, each request then failing with that probability in one of the
kinds of :data:`FAULT_KINDS`; ``{"latency": 0.5}``: every API answer that much later, a
slow upstream), ``POST /_demo/advance`` (release held-back posts
everywhere) and ``GET /_demo/stats``.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from scout_demo.model import World

JSON_TYPE = "application/json; charset=utf-8"
Response = tuple[int, dict[str, str], bytes]
# what a random fault may be: an HTTP error, a body cut in half, a body that is not JSON
# at all (an HTML error page), or an answer that comes only after ``stall_seconds``
FAULT_KINDS = ("429", "502", "503", "truncated", "garbage", "stall")
# query parameters that continue a listing rather than start it
PAGING_PARAMS = frozenset({"max_id", "min_id", "since_id", "cursor", "until"})
GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True)
class Fault:
    """What to do to one answer: ``status`` instead of it, its ``body`` spoiled
    ("truncated", "garbage") or sent only after ``stall`` seconds."""

    status: int = 0
    body: str = ""
    stall: float = 0.0


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def iso_us(ts: float) -> str:
    """ISO-8601 with microseconds, as Mastodon's ``X-RateLimit-Reset``."""
    d = datetime.fromtimestamp(ts, UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_when(value: str | None) -> datetime | None:
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
        # random weather: each request fails with this probability (seeded, so a test
        # sees the same faults in the same order)
        self.fault_rate = 0.0
        self.fault_kinds: tuple[str, ...] = FAULT_KINDS
        self.stall_seconds = 35.0
        self.latency = 0.0  # seconds every API answer waits (a slow upstream)
        self.rng = random.Random(0)
        self.faults_served = 0
        self.requests: Counter[str] = Counter()
        # requests that continue a listing (max_id, cursor, until, ...): a resumed crawl
        # must not read the pages it already had again
        self.paged: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self.rate_limited = 0

    def take_fault(self, path: str = "") -> Fault:
        with self.lock:
            if self.fault_path and not path.startswith(self.fault_path):
                return Fault()
            if self.fault_count > 0:
                self.fault_count -= 1
                self.faults_served += 1
                return Fault(status=self.fault_status)
            if self.bad_body > 0:
                self.bad_body -= 1
                self.faults_served += 1
                return Fault(body="truncated")
            if self.fault_rate > 0 and self.rng.random() < self.fault_rate:
                self.faults_served += 1
                kind = self.rng.choice(self.fault_kinds)
                if kind == "stall":
                    return Fault(stall=self.stall_seconds)
                if kind in ("truncated", "garbage"):
                    return Fault(body=kind)
                return Fault(status=int(kind))
            return Fault()

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
            if "rate" in spec:
                rate = float(spec["rate"])
                if not 0.0 <= rate <= 1.0:
                    raise ValueError("rate must be between 0 and 1")
                kinds = tuple(str(k) for k in spec.get("kinds") or FAULT_KINDS)
                unknown = set(kinds) - set(FAULT_KINDS)
                if unknown or not kinds:
                    raise ValueError(f"kinds must be among {', '.join(FAULT_KINDS)}")
                self.fault_rate = rate
                self.fault_kinds = kinds
                self.rng = random.Random(int(spec.get("seed", 0)))
            if "stall_seconds" in spec:
                self.stall_seconds = float(spec["stall_seconds"])
            if "latency" in spec:
                latency = float(spec["latency"])
                if not 0.0 <= latency <= 60.0:
                    raise ValueError("latency must be between 0 and 60 seconds")
                self.latency = latency

    def record(self, endpoint: str, status: int, paged: bool = False) -> None:
        with self.lock:
            self.requests[endpoint] += 1
            if paged:
                self.paged[endpoint] += 1
            self.status_counts[status] += 1
            if status == 429:
                self.rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "paged": dict(self.paged),
                "total": sum(self.requests.values()),
                "statuses": {str(k): v for k, v in self.status_counts.items()},
                "rate_limited": self.rate_limited,
                "pending_faults": self.fault_count + self.bad_body,
                "faults_served": self.faults_served,
            }


Reply = tuple[int, Any, dict[str, str]]  # status, JSON-able payload or bytes, extra headers


@dataclass(frozen=True)
class Request:
    """One API request as a route handler sees it."""

    method: str
    path: str  # unquoted, without a trailing slash
    query: dict[str, list[str]]
    body: bytes
    headers: Any
    params: dict[str, str]  # the route pattern's named groups

    @property
    def q(self) -> dict[str, str]:
        """The query with the last value of each parameter."""
        return {k: v[-1] for k, v in self.query.items()}


@dataclass(frozen=True)
class Route:
    """A routing-table row: a full-match path pattern, the endpoint name requests are
    counted under, the methods it takes (empty: any) and the handler."""

    pattern: re.Pattern[str]
    name: str
    handler: Callable[[Any, Request], Reply]
    methods: tuple[str, ...] = ()


def route(
    pattern: str, name: str, handler: Callable[[Any, Request], Reply], *methods: str
) -> Route:
    return Route(re.compile(pattern), name, handler, methods)


class App(ABC):
    """Routing shared by both kinds: demo control, faults, rate limits, stats."""

    kind = "app"
    routes: ClassVar[tuple[Route, ...]] = ()

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

    def find_route(self, path: str) -> tuple[Route, dict[str, str]] | None:
        for r in self.routes:
            m = r.pattern.fullmatch(path)
            if m:
                return r, m.groupdict()
        return None

    def endpoint_name(self, path: str) -> str:
        """The name a request is counted under in ``/_demo/stats``."""
        found = self.find_route(path)
        return found[0].name if found else path

    @abstractmethod
    def no_route(self, method: str, path: str) -> Reply:
        """Per kind: the answer to an unknown path."""

    @abstractmethod
    def wrong_method(self, method: str, path: str) -> Reply:
        """Per kind: the answer to a known path with a method it does not take."""

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> Reply:
        """Answer one API request through the routing table (status, payload, headers)."""
        found = self.find_route(path)
        if found is None:
            return self.no_route(method, path)
        r, params = found
        if r.methods and method not in r.methods:
            return self.wrong_method(method, path)
        return r.handler(self, Request(method, path, query, body, headers, params))

    def handle(self, method: str, target: str, body: bytes, headers: Any) -> Response:
        parts = urlsplit(target)
        path = unquote(parts.path)
        if len(path) > 1:
            path = path.rstrip("/")
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/_demo/"):
            return self.handle_demo(method, path, body)
        endpoint = self.endpoint_name(path)
        paged = any(v and v[-1] for k, v in query.items() if k in PAGING_PARAMS)
        if self.control.latency:
            time.sleep(self.control.latency)  # a slow upstream (the answer counts after)
        allowed, remaining, reset = self.extra_limit(path) or self.rate.hit()
        hdrs = self.rate_headers(remaining, reset)
        hdrs["Content-Type"] = JSON_TYPE
        spoil = self.control.take_fault(path)
        fault = spoil.status
        if spoil.stall:
            time.sleep(spoil.stall)  # a stalled upstream: the client's timeout decides
        if not allowed or fault == 429:
            self.control.record(endpoint, 429, paged)
            if fault == 429:
                hdrs = self.rate_headers(0, reset)
                hdrs["Content-Type"] = JSON_TYPE
            hdrs["Retry-After"] = str(max(1, int(reset - time.time() + 0.999)))
            return 429, hdrs, json_bytes(self.rate_limited_body())
        if fault:
            self.control.record(endpoint, fault, paged)
            msg = {500: "Internal Server Error", 503: "Service Unavailable"}.get(
                fault, "Bad Gateway"
            )
            return fault, hdrs, json_bytes({"error": msg})
        try:
            status, payload, more = self.route(method, path, query, body, headers)
        except (KeyError, ValueError, TypeError, IndexError) as exc:  # answer 500, keep serving
            status, payload, more = 500, {"error": f"InternalServerError: {exc}"}, {}
        hdrs.update(more)
        data = payload if isinstance(payload, bytes) else json_bytes(payload)
        if spoil.body == "truncated" and status == 200:
            data = data[: max(1, len(data) // 2)]  # truncated JSON
        elif spoil.body == "garbage" and status == 200:
            hdrs["Content-Type"] = "text/html"
            data = GARBAGE  # a proxy's error page with a 200
        self.control.record(endpoint, status, paged)
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
            return 200, hdrs, json_bytes(snap)
        if path == "/_demo/advance" and method == "POST":
            with self.world_lock:
                released = self.world.advance()
            self.on_advance()
            return 200, hdrs, json_bytes({"released": released, "advanced": True})
        if path == "/_demo/faults" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                self.control.set_faults(spec)
            except (ValueError, TypeError) as exc:
                return 400, hdrs, json_bytes({"error": str(exc)})
            return 200, hdrs, json_bytes({"ok": True})
        return 404, hdrs, json_bytes({"error": "Not found"})


class AlignedRateWindow(RateWindow):
    """Mastodon's rack-attack windows: aligned to the epoch, not to the server start."""

    def __init__(self, limit: int, window: float) -> None:
        super().__init__(limit, window)
        self.start -= self.start % window
