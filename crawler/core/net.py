"""URLs and hosts, one meaning each.

- :func:`host_key`: ``host[:port]`` in lower case, the key of budgets, cursors and the
  instances table (``https://Mastodon.Social/`` -> ``mastodon.social``).
- :func:`base_url`: ``scheme://host[:port]`` of any http(s) URL, or ``None``.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def host_key(url: str) -> str:
    """``host[:port]`` of a URL in lower case (``""`` when it has none)."""
    try:
        return urlsplit(url.strip()).netloc.lower()
    except ValueError:
        return ""


def hostname(url: str) -> str:
    """The host name of a URL, lower case, without port or brackets (``""`` if none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def base_url(url: str | None, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """``scheme://host[:port]`` of a URL with one of ``schemes`` and no user info;
    ``None`` for anything else."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        return None
    netloc = parts.hostname.lower()
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")
