"""Name loopback test servers in ``SCOUT_ALLOWED_HOSTS`` (the address policy refuses
loopback and private hosts that it does not name)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
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
