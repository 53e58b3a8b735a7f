"""Seed accounts and starter packs of a campaign (``[seeds]`` in the campaign file).

A seed is the campaign's own account or a partner's, written the way organizers copy
it: a handle or a profile URL, on either platform. :func:`parse_seed` turns each form
into one :class:`SeedAccount`:

- Mastodon: ``@user@host``, ``user@host``, ``https://host/@user``,
  ``https://host/users/user``;
- Bluesky: ``alice.bsky.social``, ``@alice.bsky.social``, ``did:plc:...``,
  ``https://bsky.app/profile/<handle or DID>`` (any host serving ``/profile/``).

Starter packs (:func:`parse_starter_pack`): ``https://bsky.app/starter-pack/<handle or
DID>/<rkey>`` or ``at://<DID>/app.bsky.graph.starterpack/<rkey>``.

Errors are ``ValueError`` with a short reason; the campaign loader names the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from crawler.core.net import check_url

_USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-\[\]:]{1,260}$")
_BSKY_HANDLE_RE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
_DID_RE = re.compile(r"^did:(plc|web):[a-zA-Z0-9._:%\-]{1,2000}$")
_RKEY_RE = re.compile(r"^[A-Za-z0-9._:~\-]{1,512}$")
STARTER_PACK_COLLECTION = "app.bsky.graph.starterpack"


@dataclass(frozen=True)
class SeedAccount:
    """One seed: ``platform`` is ``mastodon`` or ``bluesky``; ``actor`` is ``user@host``
    (Mastodon) or the Bluesky handle or DID; ``base_url`` is the Mastodon home server
    to ask (``None`` on Bluesky and for a bare handle, whose scheme the collector takes
    from a configured instance on the same host, else https)."""

    raw: str
    platform: str
    actor: str
    base_url: str | None = None

    @property
    def host(self) -> str | None:
        """``host[:port]`` of a Mastodon seed's home server."""
        return self.actor.split("@", 1)[1] if self.platform == "mastodon" else None

    @property
    def username(self) -> str:
        return self.actor.split("@", 1)[0] if self.platform == "mastodon" else self.actor


@dataclass(frozen=True)
class StarterPack:
    """A Bluesky starter pack: the creator (handle or DID) and the record key."""

    raw: str
    creator: str
    rkey: str

    @property
    def uri(self) -> str | None:
        """The at:// URI when the creator is a DID (a handle must be resolved first)."""
        if self.creator.startswith("did:"):
            return f"at://{self.creator}/{STARTER_PACK_COLLECTION}/{self.rkey}"
        return None


def is_bluesky_handle(value: str) -> bool:
    """Is ``value`` a Bluesky handle: a domain name (atproto's handle syntax)?"""
    return bool(_BSKY_HANDLE_RE.match(value)) and len(value) <= 253


def _bluesky_actor(value: str) -> str:
    v = unquote(value).strip().lstrip("@")
    if _DID_RE.match(v):
        return v
    if is_bluesky_handle(v):
        return v.lower()
    raise ValueError(f"not a Bluesky handle or DID: {value[:80]!r}")


def _mastodon_actor(user: str, host: str) -> str:
    if not _USER_RE.match(user):
        raise ValueError(f"not a Mastodon user name: {user[:80]!r}")
    if not _HOST_RE.match(host) or "." not in host and ":" not in host:
        raise ValueError(f"not a server name: {host[:80]!r}")
    return f"{user}@{host.lower()}"


def parse_seed(value: str) -> SeedAccount:
    """One seed account from a handle or profile URL; ``ValueError`` if it is neither."""
    raw = value.strip()
    if not raw or len(raw) > 2000:
        raise ValueError("empty or too long")
    if raw.startswith(("http://", "https://")):
        base = check_url(raw)  # the address policy, like every URL the tool fetches
        parts = urlsplit(base)
        segments = [s for s in parts.path.split("/") if s]
        root = f"{parts.scheme}://{parts.netloc.lower()}"
        if len(segments) >= 2 and segments[0] == "profile":
            return SeedAccount(raw, "bluesky", _bluesky_actor(segments[1]))
        if segments and segments[0].startswith("@") and len(segments[0]) > 1:
            user = segments[0][1:]
            if "@" in user:  # https://host/@user@otherhost: a remote account's page
                name, home = user.split("@", 1)
                return SeedAccount(raw, "mastodon", _mastodon_actor(name, home))
            return SeedAccount(raw, "mastodon", _mastodon_actor(user, parts.netloc), root)
        if len(segments) >= 2 and segments[0] == "users":
            return SeedAccount(raw, "mastodon", _mastodon_actor(segments[1], parts.netloc), root)
        raise ValueError(f"not a profile URL (…/@user or …/profile/handle): {raw[:80]!r}")
    if "://" in raw:
        raise ValueError(f"not an http(s) profile URL or a handle: {raw[:80]!r}")
    bare = raw.lstrip("@")
    if bare.startswith("did:"):
        return SeedAccount(raw, "bluesky", _bluesky_actor(bare))
    if "@" in bare:
        user, host = bare.split("@", 1)
        actor = _mastodon_actor(user, host)
        check_url(f"https://{actor.split('@', 1)[1]}")  # the home server passes the policy
        return SeedAccount(raw, "mastodon", actor)
    return SeedAccount(raw, "bluesky", _bluesky_actor(bare))


def parse_starter_pack(value: str) -> StarterPack:
    """A starter pack from its web URL or at:// URI; ``ValueError`` otherwise."""
    raw = value.strip()
    if raw.startswith("at://"):
        parts = raw.removeprefix("at://").split("/")
        if len(parts) == 3 and parts[1] == STARTER_PACK_COLLECTION and _RKEY_RE.match(parts[2]):
            return StarterPack(raw, _bluesky_actor(parts[0]), parts[2])
        raise ValueError(f"not a starter pack at:// URI: {raw[:80]!r}")
    if raw.startswith(("http://", "https://")):
        url = check_url(raw)
        segments = [s for s in urlsplit(url).path.split("/") if s]
        if (
            len(segments) == 3
            and segments[0] in ("starter-pack", "start")
            and _RKEY_RE.match(segments[2])
        ):
            return StarterPack(raw, _bluesky_actor(segments[1]), segments[2])
    raise ValueError(f"not a starter pack URL (…/starter-pack/handle/key): {raw[:80]!r}")
