"""Instance discovery for the fediverse crawl.

Accounts seen in posts name their home server in their ActivityPub URI. A server not
known yet is a *candidate*; nodeinfo (``/.well-known/nodeinfo`` -> the 2.x document)
says which software it runs and so whether it speaks the Mastodon client API. Robots
are obeyed by Scrapy's ``RobotsTxtMiddleware``. Servers that restrict hashtag feeds
(401/403/422, or an empty list) are recorded per tag in the ``instances`` table
(``crawler/db/schema.py`` migration 2) and skipped until they are checked again.

Only public ``https`` servers are discovered, plus loopback or private servers that
``SCOUT_ALLOWED_HOSTS`` names (the address policy of :mod:`crawler.core.net`): a post
cannot steer the crawler to loopback, private, link-local or metadata addresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from crawler.core.net import base_url, host_class, host_key, url_refusal
from crawler.core.protocols import InstanceStore

# nodeinfo software names whose servers answer /api/v1/timelines/tag/:tag
MASTODON_API_SOFTWARE = frozenset(
    {
        "mastodon",
        "hometown",
        "glitchsoc",
        "glitch-soc",
        "fedibird",
        "kmyblue",
        "pleroma",
        "akkoma",
        "gotosocial",
        "friendica",
        "takahe",
        "mitra",
        "iceshrimp.net",
        "sharkey",
    }
)
NODEINFO_REL_PREFIX = "http://nodeinfo.diaspora.software/ns/schema/2."
# a restricted feed or a server that failed a check is tried again after this long
RECHECK_AFTER = timedelta(hours=24)
# restriction reasons that mean "this server refuses anonymous hashtag feeds"
REFUSALS = frozenset({"401", "403", "422"})


def may_crawl(base: str, configured: Sequence[str] = ()) -> bool:
    """A discovered server may be crawled: ``https`` on a public host, or any server the
    address policy allows by name (``SCOUT_ALLOWED_HOSTS``: a test network, a
    self-hosted instance); a configured instance passed the policy when the campaign was
    read. Link-local and metadata addresses never."""
    parts = urlsplit(base)
    if url_refusal(base) is not None:
        return False
    if base_url(base) in {base_url(c) for c in configured}:
        return True
    try:
        public = host_class(parts.hostname or "") == "public"
    except ValueError:
        return False
    # a public server discovered in posts: https only; a named private one as named
    return parts.scheme == "https" or not public


def nodeinfo_href(doc: Any, base: str) -> str | None:
    """The newest 2.x nodeinfo document linked from ``/.well-known/nodeinfo``, if it is
    on the same server."""
    if not isinstance(doc, dict) or not isinstance(doc.get("links"), list):
        return None
    best: tuple[str, str] | None = None
    for link in doc["links"]:
        if not isinstance(link, dict):
            continue
        rel, href = link.get("rel"), link.get("href")
        if not isinstance(rel, str) or not isinstance(href, str):
            continue
        if not rel.startswith(NODEINFO_REL_PREFIX):
            continue
        if base_url(href) != base_url(base):
            continue  # never follow nodeinfo to another server
        if best is None or rel > best[0]:
            best = (rel, href)
    return best[1] if best else None


def nodeinfo_software(doc: Any) -> tuple[str | None, str | None]:
    """``(software name in lower case, version)`` of a nodeinfo 2.x document."""
    if not isinstance(doc, dict):
        return None, None
    sw = doc.get("software")
    if not isinstance(sw, dict):
        return None, None
    name = sw.get("name")
    version = sw.get("version")
    return (
        name.strip().lower() if isinstance(name, str) and name.strip() else None,
        str(version) if isinstance(version, str | int | float) else None,
    )


def speaks_mastodon_api(software: str | None) -> bool:
    return software is not None and software in MASTODON_API_SOFTWARE


@dataclass
class InstanceRecord:
    host: str
    base_url: str
    software: str | None = None
    version: str | None = None
    speaks_mastodon_api: bool | None = None
    restricted_tags: dict[str, str] = field(default_factory=dict)
    robots_ok: bool | None = None
    first_seen_at: datetime | None = None
    last_checked_at: datetime | None = None
    discovered_from: str | None = None

    def needs_check(self, now: datetime) -> bool:
        return self.last_checked_at is None or now - self.last_checked_at >= RECHECK_AFTER

    def skips_tag(self, tag: str, now: datetime) -> bool:
        """A refused hashtag feed is skipped until the next check is due."""
        return self.restricted_tags.get(tag) in REFUSALS and not self.needs_check(now)


class InstanceRegistry:
    """The ``instances`` table in memory for one run, written back in one batch."""

    def __init__(self, store: InstanceStore | None) -> None:
        self.store = store
        self.records: dict[str, InstanceRecord] = {}
        self.dirty: set[str] = set()
        if store is not None:
            self._load()

    def _load(self) -> None:
        assert self.store is not None
        for row in self.store.load_instances():
            self.records[row["host"]] = InstanceRecord(**row)

    def get(self, host: str) -> InstanceRecord | None:
        return self.records.get(host)

    def add(self, base: str, discovered_from: str, now: datetime) -> InstanceRecord:
        host = host_key(base)
        rec = self.records.get(host)
        if rec is None:
            rec = InstanceRecord(host, base, first_seen_at=now, discovered_from=discovered_from)
            self.records[host] = rec
            self.dirty.add(host)
        return rec

    def touch(self, rec: InstanceRecord) -> None:
        self.dirty.add(rec.host)

    def crawlable(self) -> list[InstanceRecord]:
        """Discovered servers known to speak the API, oldest first."""
        out = [
            r
            for r in self.records.values()
            if r.speaks_mastodon_api and r.discovered_from != "config" and r.robots_ok is not False
        ]
        out.sort(key=lambda r: (r.first_seen_at or datetime.min.replace(tzinfo=UTC), r.host))
        return out

    def save(self) -> int:
        """Upsert changed records (one DataFrame batch); returns how many."""
        if self.store is None or not self.dirty:
            return 0
        rows = [asdict(self.records[h]) for h in sorted(self.dirty)]
        self.store.save_instances(rows)
        n = len(self.dirty)
        self.dirty.clear()
        return n
