"""Which accounts are one person or organisation: the linking rules, pure (no database).

Strong evidence links accounts into one identity (:func:`link_accounts`); weak evidence
only becomes a suggestion an organizer confirms or rejects, never a silent merge.

Strong:
- **rel=me, verified both ways**: a Mastodon profile field verified by its server
  (``verified_at``: the linked page carries ``rel="me"`` back) that points at another
  stored account's profile; or two profiles whose fields/bios name each other.
- **the same verified website**: two accounts whose profiles are verified by one site
  (a Mastodon field with ``verified_at``; a Bluesky handle *is* its domain, proven by
  DNS or ``/.well-known/atproto-did``), or whose site (read by the website pass) links
  back to the account.
- **confirmed by an organizer** (a suggestion marked confirmed).

Weak (suggested only): the same display name on another platform or server with a
similar bio; a profile that names a site, unverified, that is another account's
Bluesky domain.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from urllib.parse import urlsplit

from crawler.core.seeds import is_bluesky_handle
from crawler.core.text import strip_accents

_URL = re.compile(
    r"(?:https?://)?(?:[\w-]+\.)+[a-z][\w-]{1,62}(?::\d{1,5})?(?:/[^\s<>\"')]*)?", re.I
)
_ACCT = re.compile(r"(?<![\w/@])@([\w.-]+)@((?:[\w-]+\.)*[\w-]+(?::\d{1,5})?)", re.I)
_BSKY_MENTION = re.compile(r"(?<![\w/@])@((?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*)", re.I)
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
# Bluesky handles under these domains belong to a hosting service, not to the account
# (Bluesky's own, Bridgy Fed's bridged fediverse accounts): they prove no website.
HOSTED_HANDLE_DOMAINS: tuple[str, ...] = ("bsky.social", "bsky.app", "bsky.team", "brid.gy")


def site_key(value: str) -> str | None:
    """``host/path`` of a URL or bare domain, lower case, no ``www.``, no trailing
    slash, no scheme (``https://www.Example.org/`` and ``example.org`` are one site)."""
    text = value.strip()
    if not text or " " in text:
        return None
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or "." not in host.strip("."):
        return None
    if parts.username or parts.password:
        return None  # an e-mail address or a URL with credentials, not a site
    host = host.removeprefix("www.")
    if port:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    return host + path


def name_key(name: str | None) -> str:
    """A display name compared loosely: accents, case, punctuation and emoji removed."""
    if not name:
        return ""
    return " ".join(re.findall(r"[^\W_]+", strip_accents(name).casefold()))


def bio_similarity(a: str | None, b: str | None) -> float:
    """Jaccard similarity of the bios' words (3+ letters, case-folded)."""
    wa = {w.casefold() for w in _WORD.findall(a or "")}
    wb = {w.casefold() for w in _WORD.findall(b or "")}
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


@dataclass(frozen=True)
class Profile:
    """What the rules read of one stored account."""

    account_id: str
    platform: str
    handle: str
    url: str | None = None
    display_name: str | None = None
    bio: str | None = None
    # (name, value, verified) of the profile's fields
    fields: tuple[tuple[str, str, bool], ...] = ()


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    evidence: str
    score: float = 1.0


@dataclass
class Linking:
    """Strong links (to merge) and weak ones (to suggest)."""

    strong: list[Link] = field(default_factory=list)
    weak: list[Link] = field(default_factory=list)


def profile_keys(p: Profile) -> set[str]:
    """Every way another profile or page may name this account."""
    keys: set[str] = set()
    if p.url and (k := site_key(p.url)):
        keys.add(k)
    handle = p.handle.lower().lstrip("@")
    if p.platform == "mastodon" and "@" in handle:
        user, host = handle.split("@", 1)
        keys |= {f"acct:{user}@{host}", f"{host}/@{user}", f"{host}/users/{user}"}
    elif p.platform == "bluesky":
        keys |= {f"acct:{handle}", f"bsky.app/profile/{handle}"}
        if p.account_id.startswith("bluesky:did:"):
            keys.add("bsky.app/profile/" + p.account_id.removeprefix("bluesky:").lower())
    return keys


def references(text: str) -> set[str]:
    """Account keys and site keys a bio or field value names."""
    refs: set[str] = set()
    for m in _ACCT.finditer(text):
        refs.add(f"acct:{m.group(1).lower()}@{m.group(2).lower()}")
    for m in _BSKY_MENTION.finditer(text):
        refs.add(f"acct:{m.group(1).lower()}")
    for m in _URL.finditer(text):
        if (k := site_key(m.group(0).rstrip(".,;:!?"))) is not None:
            refs.add(k)
    return refs


def own_handle_domain(platform: object, handle: object) -> str | None:
    """The domain of a Bluesky handle on a domain of the account's own ("greenpeace.de":
    the protocol proves the account holds it, through DNS or the domain's web server),
    None for a handle under a hosting service's domain, for what is no domain name
    ("ola@mastodon.pl") and for other platforms."""
    name = str(handle or "").strip().lower().lstrip("@").rstrip(".")
    if platform != "bluesky" or name.endswith(".invalid") or not is_bluesky_handle(name):
        return None
    if any(name == d or name.endswith("." + d) for d in HOSTED_HANDLE_DOMAINS):
        return None
    return name


def bluesky_domain(p: Profile) -> str | None:
    """The website domain a Bluesky handle proves (``None`` for hosted handles)."""
    return own_handle_domain(p.platform, p.handle)


def link_accounts(
    profiles: Sequence[Profile],
    site_links: Mapping[str, Iterable[str]] | None = None,
    confirmed: Iterable[tuple[str, str]] = (),
    rejected: Iterable[tuple[str, str]] = (),
    site_profiles: Iterable[tuple[str, str, str]] = (),
) -> Linking:
    """Strong and weak links between the profiles.

    ``site_links``: per site (URL or site key), the account ids its pages link to (rel=me or plain
    links to profiles, from the website pass). ``confirmed`` pairs are strong,
    ``rejected`` pairs are never suggested again (strong evidence still links them).
    ``site_profiles``: (owner account id, site, profile URL) for each ``rel="me"`` link to
    a profile found on a site proven to be the owner's: the site vouches for both."""
    by_key: dict[str, str] = {}
    for p in profiles:
        for k in profile_keys(p):
            by_key.setdefault(k, p.account_id)
    claims: dict[str, set[str]] = defaultdict(set)  # account -> accounts it names
    verified_to: dict[str, set[str]] = defaultdict(set)  # verified field -> accounts
    verified_sites: dict[str, set[str]] = defaultdict(set)  # site key -> accounts it proves
    unverified_sites: dict[str, set[str]] = defaultdict(set)
    for p in profiles:
        texts = [(value, verified) for _name, value, verified in p.fields]
        texts.append((p.bio or "", False))
        for value, verified in texts:
            for ref in references(value):
                other = by_key.get(ref)
                if other and other != p.account_id:
                    claims[p.account_id].add(other)
                    if verified:
                        verified_to[p.account_id].add(other)
                elif not ref.startswith("acct:"):
                    # the whole address: many people verify pages on one host
                    (verified_sites if verified else unverified_sites)[ref].add(p.account_id)
        if d := bluesky_domain(p):
            verified_sites[d].add(p.account_id)
    for site, linked in (site_links or {}).items():
        k = site_key(site) or site
        owners = verified_sites.get(k, set()) | unverified_sites.get(k, set())
        # the site links back to the accounts that name it: proven both ways
        if proven := owners & set(linked):
            verified_sites[k] |= proven

    out = Linking()
    seen: set[tuple[str, str]] = set()

    def add(kind: list[Link], a: str, b: str, evidence: str, score: float = 1.0) -> None:
        pair = (a, b) if a < b else (b, a)
        if pair in seen:
            return
        seen.add(pair)
        kind.append(Link(pair[0], pair[1], evidence, score))

    handles = {p.account_id: p.handle for p in profiles}
    for a, others in sorted(verified_to.items()):
        for b in sorted(others):
            add(out.strong, a, b, f"rel=me: {handles[a]} links to {handles[b]}, verified")
    for a, others in sorted(claims.items()):
        for b in sorted(others):
            if a in claims.get(b, set()):
                add(out.strong, a, b, f"{handles[a]} and {handles[b]} link to each other")
    for d, owners in sorted(verified_sites.items()):
        for a, b in combinations(sorted(owners), 2):
            add(out.strong, a, b, f"both verified by the website {d}")
    for owner, site, profile in site_profiles:
        key = site_key(profile)
        other = by_key.get(key) if key else None
        if owner in handles and other and other != owner:
            add(
                out.strong,
                owner,
                other,
                f"the website {site_key(site) or site} of {handles[owner]} links to "
                f"{handles[other]} (rel=me)",
            )
    for a, b in confirmed:
        if a in handles and b in handles:
            add(out.strong, a, b, "confirmed by an organizer")

    rejected_pairs = {(min(a, b), max(a, b)) for a, b in rejected}
    seen |= rejected_pairs
    for d, claimers in sorted(unverified_sites.items()):
        for a in sorted(claimers):
            for b in sorted(verified_sites.get(d, set())):
                if a != b:
                    add(out.weak, a, b, f"{handles[a]} names the website {d} (unverified)", 0.6)
    groups: dict[str, list[Profile]] = defaultdict(list)
    for p in profiles:
        if k := name_key(p.display_name):
            groups[k].append(p)
    for members in groups.values():
        if len(members) > 50:  # a common name: the bio alone cannot tell them apart
            continue
        for pa, pb in combinations(members, 2):
            if pa.platform == pb.platform and _server(pa) == _server(pb):
                continue  # two accounts on one server are two accounts
            sim = bio_similarity(pa.bio, pb.bio)
            if sim >= 0.25:
                add(
                    out.weak,
                    pa.account_id,
                    pb.account_id,
                    f"same name {pa.display_name!r} and similar bios ({sim:.0%} shared words)",
                    round(0.5 + sim / 2, 3),
                )
    return out


def _server(p: Profile) -> str:
    return p.handle.rsplit("@", 1)[-1] if p.platform == "mastodon" else p.platform


def identities(links: Iterable[Link]) -> dict[str, tuple[str, list[str]]]:
    """Connected accounts: ``{account_id: (identity_id, evidence)}`` for every account in
    a group of two or more; the identity id is the group's smallest account id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    evidence: dict[str, list[str]] = defaultdict(list)
    for link in links:
        ra, rb = find(link.a), find(link.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
        evidence[link.a].append(link.evidence)
        evidence[link.b].append(link.evidence)
    members: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        members[find(x)].append(x)
    out: dict[str, tuple[str, list[str]]] = {}
    for group in members.values():
        ident = min(group)
        for x in group:
            out[x] = (ident, sorted(set(evidence[x])))
    return out
