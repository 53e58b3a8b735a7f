"""Loopback test servers: name them in ``SCOUT_ALLOWED_HOSTS`` (the address policy
refuses loopback and private hosts that it does not name), and talk JSON to them."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from crawler.core.net import ALLOWED_HOSTS_ENV

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def host_port(url: str) -> str:
    """``host:port`` of a URL, with the scheme's default port when it names none."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)}"


@contextmanager
def allowed_hosts(*urls: str) -> Iterator[str]:
    """Add the ``host:port`` of each URL to ``SCOUT_ALLOWED_HOSTS`` in this process (and
    its children) for the ``with`` block; yields the value set."""
    before = os.environ.get(ALLOWED_HOSTS_ENV)
    value = ",".join(filter(None, [before, *(host_port(u) for u in urls)]))
    os.environ[ALLOWED_HOSTS_ENV] = value
    try:
        yield value
    finally:
        if before is None:
            os.environ.pop(ALLOWED_HOSTS_ENV, None)
        else:
            os.environ[ALLOWED_HOSTS_ENV] = before


def _json_call(req: urllib.request.Request) -> tuple[int, dict[str, str], Any]:
    assert req.full_url.startswith("http://127.0.0.1:"), req.full_url  # loopback only
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), json.loads(err.read())


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """``(status, headers, body)`` of a GET to a loopback server (errors included)."""
    return _json_call(urllib.request.Request(url, headers=headers or {}))


def post_json(url: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """``(status, headers, body)`` of a JSON POST to a loopback server."""
    data = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    return _json_call(urllib.request.Request(url, data=data, headers=headers))


def link_header(value: str) -> dict[str, str]:
    """``rel`` -> URL of an HTTP ``Link`` header (Mastodon's paging links)."""
    out = {}
    for part in value.split(","):
        url, _, rel = part.partition(";")
        out[rel.strip().removeprefix('rel="').rstrip('"')] = url.strip().strip("<>")
    return out
