"""Which websites to read for a stored account, best evidence first.

An account names its site in three places: a Mastodon profile field (``verified_at``
set when the server saw the site link back with ``rel="me"``), a link in its bio, and
a Bluesky handle on a domain of its own (``name.org`` rather than ``x.bsky.social``).
:func:`site_urls` returns them in that order (verified fields first), one URL per site
(host), http(s) only; links to social platforms, link shorteners and the platforms' own
hosts are not websites of the account.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.core.net import hostname

# hosts that are platforms, hosting of many people or redirectors, not "a site of theirs"
_NOT_SITES = (
    "bsky.app", "bsky.social", "bsky.team", "twitter.com", "x.com", "facebook.com",
    "instagram.com", "linkedin.com", "youtube.com", "youtu.be", "tiktok.com", "t.me",
    "threads.net", "wa.me", "bit.ly", "t.co", "tinyurl.com", "ow.ly", "linktr.ee",
    "buymeacoffee.com", "ko-fi.com", "patreon.com", "paypal.me", "github.com",
    "wikipedia.org", "citizens-initiative.europa.eu", "eci.ec.europa.eu",
)  # fmt: skip
# hosts of Bluesky handles that are not the account's own domain
BLUESKY_HOSTING = ("bsky.social", "bsky.team", "brid.gy", "bsky.brid.gy")
_URL = re.compile(r"(?i)\bhttps?://[^\s<>\"'()\[\]]+")
_BARE = re.compile(
    r"(?i)(?<![@\w./-])((?:www\.)?[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63})*"
    r"\.(?:org|eu|de|fr|it|es|nl|be|at|pl|pt|se|dk|fi|ie|cz|sk|hu|ro|bg|gr|hr|si|lt|lv|"
    r"ee|lu|mt|cy|net|com|info|coop|ngo))(/[^\s<>\"']*)?(?![\w@])"
)


@dataclass(frozen=True)
class SiteCandidate:
    """One website of one account: its home URL and where it was named."""

    account_id: str
    url: str
    source: str  # field | bio | handle
    verified: bool  # the platform checked the link both ways (Mastodon verified_at)


def is_platform_host(host: str, extra: tuple[str, ...] = ()) -> bool:
    host = host.lower().removeprefix("www.")
    return any(host == h or host.endswith("." + h) for h in (*_NOT_SITES, *extra))


def home_url(url: str) -> str | None:
    """``scheme://host[:port]/`` of an http(s) URL, or ``None``."""
    try:
        parts = urlsplit(url.strip().rstrip(".,;:!?"))
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/", "", ""))


def urls_in_text(text: str) -> list[str]:
    """http(s) URLs and bare domains (``example.org/kontakt``) written in a text."""
    out = [m.group(0) for m in _URL.finditer(text or "")]
    rest = _URL.sub(" ", text or "")
    out += ["https://" + m.group(1) + (m.group(2) or "") for m in _BARE.finditer(rest)]
    return out


def _fields(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return [f for f in raw or [] if isinstance(f, dict)]


def site_urls(
    account_id: str,
    platform: str,
    handle: str,
    bio: str | None,
    fields: Any,
    instance_hosts: tuple[str, ...] = (),
) -> list[SiteCandidate]:
    """The account's websites, verified fields first, then other fields, the bio and a
    Bluesky handle on its own domain; one per host. ``instance_hosts``: Mastodon hosts
    known to the run (a link to a profile there is not a website)."""
    found: dict[str, SiteCandidate] = {}

    def add(url: str, source: str, verified: bool) -> None:
        home = home_url(url)
        if home is None:
            return
        host = hostname(home)
        key = home.split("://", 1)[1]
        if is_platform_host(host) or key.rstrip("/") in instance_hosts or host in instance_hosts:
            return
        if key not in found or (verified and not found[key].verified):
            found[key] = SiteCandidate(account_id, home, source, verified)

    parsed = _fields(fields)
    for want_verified in (True, False):
        for f in parsed:
            if bool(f.get("verified_at")) != want_verified:
                continue
            for url in urls_in_text(str(f.get("value") or "")):
                add(url, "field", want_verified)
    for url in urls_in_text(bio or ""):
        add(url, "bio", False)
    if platform == "bluesky" and handle and "." in handle:
        h = handle.lower().lstrip("@")
        if not any(h == d or h.endswith("." + d) for d in BLUESKY_HOSTING):
            # the handle is proven by the domain itself (DNS or /.well-known/atproto-did)
            add(f"https://{h}/", "handle", True)
    return sorted(found.values(), key=lambda c: not c.verified)
