"""Rate-limit headers of Mastodon and Bluesky responses.

Mastodon sends ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` where the reset is an ISO-8601 time with microseconds
(``2026-08-01T14:00:00.070144Z``); some Mastodon-compatible servers and mocks send epoch
seconds or "seconds until reset" instead.  Bluesky sends ``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` (epoch seconds) and
``RateLimit-Policy: 3000;w=300``.  Header names are case-insensitive; keys and values may
be ``bytes`` and values may be lists (Scrapy ``Headers``, VCR cassettes).

An absolute reset is a time on the *server's* clock. As Mastodon.py does
(``mastodon/internals.py``), :func:`clock_offset` reads the response's ``Date`` header,
and ``parse_rate_limit(..., offset=...)`` moves an absolute reset onto our clock before
it is trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from crawler.core.text import parse_timestamp

Headers = Mapping[Any, Any] | Iterable[tuple[Any, Any]]

# Below this a numeric reset is "seconds from now", at or above it epoch seconds.
_DELTA_LIMIT = 1_000_000_000
# Above this a numeric reset is epoch milliseconds.
_MILLIS_LIMIT = 100_000_000_000
_WINDOW_RE = re.compile(r"(?:^|;)\s*w\s*=\s*(\d+)", re.IGNORECASE)


# Extra wait after a published reset: whole-second resets and clock differences.
RESET_MARGIN_SECONDS = 1.0


@dataclass
class RateLimit:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    window_seconds: int | None

    def wait_seconds(
        self, now: datetime, reserve: int = 0, margin: float = RESET_MARGIN_SECONDS
    ) -> float:
        """Seconds to wait before the next request so ``remaining`` never drops below
        ``reserve``.

        0 when more than ``reserve`` requests remain, when the reset time plus
        ``margin`` has passed, or when nothing is known about the remaining budget.
        When the budget is spent and no reset time was sent, waits one window if the
        window is known.  A wait for a reset lasts until ``margin`` after it: resets
        often come in whole seconds (rounded down: the window may still run for most of
        a second after the published reset) and the server's clock is not ours.
        """
        if self.remaining is None or self.remaining > reserve:
            return 0.0
        if self.reset_at is None:
            return float(self.window_seconds or 0)
        left = (self.reset_at - _aware(now)).total_seconds() + margin
        return left if left > 0 else 0.0

    def pace_seconds(self, now: datetime, reserve: int = 0) -> float:
        """Even spacing that spends the remaining budget (minus ``reserve``) by the reset.

        Use it as a per-instance delay to use nearly the whole budget without a 429.
        """
        if self.remaining is None or self.reset_at is None:
            return 0.0
        left = (self.reset_at - _aware(now)).total_seconds()
        if left <= 0:
            return 0.0
        usable = self.remaining - reserve
        if usable <= 0:
            return left
        return left / usable


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _text(v: Any) -> str | None:
    if isinstance(v, list | tuple):
        if not v:
            return None
        v = v[-1]
    if isinstance(v, bytes | bytearray):
        v = bytes(v).decode("latin-1")
    if v is None:
        return None
    return str(v).strip()


def normalise_headers(headers: Headers | None) -> dict[str, str]:
    """Lower-case ``str`` names to ``str`` values (last value wins for lists)."""
    out: dict[str, str] = {}
    if headers is None:
        return out
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(headers, Mapping):
        pairs = headers.items()
    else:
        pairs = headers
    for key, value in pairs:
        name = _text(key)
        text = _text(value)
        if name is None or text is None:
            continue
        out[name.lower()] = text
    return out


def _int(v: str | None) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        try:
            f = float(v)
        except ValueError:
            return None
        return int(f) if f == f and abs(f) != float("inf") else None


def clock_offset(headers: Headers | None, now: datetime) -> float | None:
    """Seconds our clock is ahead of the server's, from the response's ``Date`` header
    (``None`` without one).  ``Date`` is in whole seconds, rounded down, and is stamped
    before the response travels, so the offset is never below the true one: a reset
    moved by it is never early.  The smallest offset seen from a server is the closest."""
    value = normalise_headers(headers).get("date")
    server_now = _http_date(value) if value else None
    if server_now is None:
        return None
    return (_aware(now) - server_now).total_seconds()


def parse_reset(value: str | None, now: datetime, offset: float = 0.0) -> datetime | None:
    """A reset header value: ISO-8601 time, epoch seconds (or ms), seconds-until-reset,
    or an HTTP date.  Always an aware UTC datetime or ``None``.  ``offset`` (see
    :func:`clock_offset`) moves an absolute time from the server's clock to ours; a
    seconds-until-reset value needs none."""
    if not value:
        return None
    now = _aware(now)
    shift = timedelta(seconds=offset)
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if number != number or abs(number) == float("inf") or number < 0:
            return None
        try:
            if number < _DELTA_LIMIT:
                return (now + timedelta(seconds=number)).astimezone(UTC)
            if number >= _MILLIS_LIMIT:
                number /= 1000.0
            return datetime.fromtimestamp(number, tz=UTC) + shift
        except (OverflowError, OSError, ValueError):
            return None
    parsed = parse_timestamp(value) or _http_date(value)
    return parsed + shift if parsed is not None else None


def _http_date(value: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    return _aware(dt).astimezone(UTC)


def _window(policy: str | None, limit: int | None) -> int | None:
    """``RateLimit-Policy`` (``3000;w=300`` or several comma-separated policies):
    the window of the policy whose quota equals ``limit``, else of the first one."""
    if not policy:
        return None
    first: int | None = None
    for item in policy.split(","):
        m = _WINDOW_RE.search(item)
        if not m:
            continue
        window = int(m.group(1))
        quota = _int(item.split(";", 1)[0].strip().strip('"'))
        if first is None:
            first = window
        if limit is not None and quota == limit:
            return window
    return first


def parse_rate_limit(
    headers: Headers | None, now: datetime, *, offset: float = 0.0
) -> RateLimit | None:
    """Rate limit announced by a response, or ``None`` when it announces none.
    ``offset``: how far our clock is ahead of the server's (:func:`clock_offset`)."""
    h = normalise_headers(headers)
    for prefix in ("x-ratelimit-", "ratelimit-"):
        limit_s = h.get(prefix + "limit")
        remaining_s = h.get(prefix + "remaining")
        reset_s = h.get(prefix + "reset")
        if limit_s is None and remaining_s is None and reset_s is None:
            continue
        limit = _int(limit_s)
        window = _window(h.get(prefix + "policy") or h.get("ratelimit-policy"), limit)
        return RateLimit(
            limit=limit,
            remaining=_int(remaining_s),
            reset_at=parse_reset(reset_s, now, offset),
            window_seconds=window,
        )
    return None


def retry_after(headers: Headers | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds from ``now`` (delta-seconds or HTTP date), >= 0."""
    value = normalise_headers(headers).get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        if when is None:
            when = parse_timestamp(value) if "T" in value else None
        if when is None:
            return None
        return max(0.0, (when - _aware(now)).total_seconds())
    if seconds != seconds or seconds == float("inf"):
        return None
    return max(0.0, seconds)
