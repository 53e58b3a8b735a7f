"""The Bluesky collector's fault policy: which failed atproto calls are worth another
try (429, 5xx, timeouts, transport errors, malformed bodies) and which are refusals
(400, 404, ...), and the reason of a failure in words for the run's errors."""

from __future__ import annotations

import httpx
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    ModelError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 522, 524})


class CollectionStopped(Exception):
    """``stop`` was set (SIGTERM, Ctrl-C): the collection ends where it stands."""


class RequestFailed(Exception):
    """One call failed for good (refused, or still failing after the retries)."""


def reason(exc: BaseException) -> str:
    """Why a call failed, in words: the status and the server's message, or the
    transport's own reason (atproto raises those with an empty message)."""
    if isinstance(exc, InvokeTimeoutError):
        return "timed out"
    response = getattr(exc, "response", None)
    if response is not None:
        text = str(exc)
        return f"HTTP {text}" if text else f"HTTP {response.status_code}"
    cause = exc.__cause__ or exc.__context__
    text = " ".join(str(exc).split()) or (" ".join(str(cause).split()) if cause else "")
    if not text and cause is not None:
        text = type(cause).__name__
    return text[:200] or type(exc).__name__


def classify(exc: BaseException) -> tuple[bool, str] | None:
    """``(retryable, counter)`` for a failed atproto call; ``None`` for what is not a
    failure of the call (a bug, which keeps its traceback). ``counter`` names the stat."""
    if isinstance(exc, RateLimitExceededError):
        return True, "scout/ratelimit/429"
    if isinstance(exc, InvokeTimeoutError | httpx.TimeoutException):
        return True, "scout/timeouts"
    if isinstance(exc, NetworkError | httpx.TransportError):
        return True, "scout/errors/network"
    if isinstance(exc, BadRequestError):
        return False, "scout/errors/refused"
    if isinstance(exc, RequestErrorBase):
        status = exc.response.status_code if exc.response is not None else None
        if status is None or status in RETRY_STATUSES:
            return True, "scout/errors/server"
        return False, "scout/errors/refused"
    if isinstance(exc, ValueError | ModelError):
        # truncated JSON (pydantic_core's ValueError), a body the models reject
        return True, "scout/errors/bad_body"
    return None


class NotJson(ValueError):
    """An answer whose body is not a JSON object (an HTML error page behind a 200)."""
