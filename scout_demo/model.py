"""The demo world's data model: accounts, posts, the :class:`World` and its indexes.

Pure data and lookups; :mod:`scout_demo.world` generates it (``build_world``).
"""

from __future__ import annotations

import bisect
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scout_demo.tables import GREEK_LATIN, INSTANCES, NOW, InstanceSpec

if TYPE_CHECKING:
    from scout_demo.follows import FollowGraph

_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def slug(text: str, sep: str = "_") -> str:
    """ASCII slug of a name in any EU script (Greek transliterated)."""
    out = []
    for ch in text.lower():
        ch = GREEK_LATIN.get(ch, ch)
        ch = unicodedata.normalize("NFKD", ch)
        ch = "".join(c for c in ch if c.isascii() and (c.isalnum() or c in " -_'."))
        out.append(ch)
    words = "".join(out).replace("'", "").replace(".", " ").replace("-", " ").split()
    return sep.join(words)


def random_b32(rng: random.Random, n: int) -> str:
    v = rng.getrandbits(5 * n)
    return "".join(_B32[(v >> (5 * i)) & 31] for i in range(n))


def tid(ts: datetime, clock_id: int) -> str:
    """An atproto TID (record key) for a timestamp, as the PDS makes them."""
    v = (int(ts.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    return "".join(_B32_SORT[(v >> (5 * i)) & 31] for i in range(12, -1, -1))


def iso_ms(ts: datetime) -> str:
    """Mastodon/Bluesky style timestamp: ``2026-11-20T12:00:00.000Z``."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def host_of(base_url: str) -> str:
    return urlsplit(base_url).netloc


# A post's text as segments, rendered as Mastodon HTML or Bluesky text + facets:
# ("t", text) | ("tag", Tag) | ("m", account index) | ("url", url) | ("emoji", shortcode)
# | ("p",) paragraph break
Segment = tuple[Any, ...]


@dataclass
class Account:
    idx: int
    platform: str  # "mastodon" | "bluesky"
    instance: int | None  # Mastodon home instance index
    username: str  # Mastodon username, or the Bluesky handle
    did: str | None
    display_name: str
    bio: str  # plain text; Mastodon renders it as HTML
    kind: str
    role: str
    org_type: str | None
    language: str
    home_country: str | None  # where the generator put the account
    country: str | None  # truth: None when the profile gives no (EU) location clue
    stance: str
    is_bot: bool
    opt_out: str | None
    discoverable: bool | None = True
    indexable: bool = True
    noindex: bool = False
    labels: list[str] = field(default_factory=list)  # Bluesky self-labels
    fields: list[tuple[str, str, bool]] = field(default_factory=list)  # name, value, verified
    followers: int = 0
    following: int = 0
    statuses_count: int = 0
    created_at: datetime = NOW
    website: str | None = None
    avatar_cid: str = ""
    profile_cid: str = ""
    activity: float = 1.0
    campaign_share: float = 0.6
    home_city: str | None = None  # a city of home_country (in the bio when it gives one)
    posts_name_city: bool = False  # some campaign post of its names home_city


@dataclass
class Post:
    idx: int
    author: int
    created_at: datetime
    segments: list[Segment]
    lang: str | None
    kind: str  # campaign | keyword | noise | reblog
    stance: str
    tags: list[str] = field(default_factory=list)  # as written in the text
    record_tags: list[str] = field(default_factory=list)  # Bluesky tags not in the text
    reply_to: int | None = None
    quote_of: int | None = None
    reblog_of: int | None = None  # Mastodon reblog wrapper: index of the original
    link: str | None = None  # card / external embed target
    card_title: str = ""
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    spoiler: str = ""
    copies: dict[int, int] = field(default_factory=dict)  # Mastodon: instance -> local id
    rkey: str = ""
    cid: str = ""

    @property
    def platform_tags(self) -> set[str]:
        return {t.lower() for t in (*self.tags, *self.record_tags)}


class World:
    """The generated world; see :func:`build_world`."""

    now: datetime = NOW

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.instances: tuple[InstanceSpec, ...] = INSTANCES
        self.accounts: list[Account] = []
        self.posts: list[Post] = []  # original posts (no reblog wrappers)
        self.reblogs: list[Post] = []  # Mastodon reblog wrappers, index = len(posts) + j
        self.cut: datetime = NOW
        self.advanced = False
        # Mastodon: per instance, tag -> ascending local ids, id -> status key
        self.tag_ids: list[dict[str, list[int]]] = []
        self.status_by_id: list[dict[int, int]] = []
        self.account_by_id: list[dict[int, int]] = []
        self.account_by_name: list[dict[str, int]] = []  # per instance: acct -> index
        # Mastodon: original post -> [(reblog wrapper id, wrapper key)], newest first
        self.reblogged_by: dict[int, list[tuple[int, int]]] = {}
        # Bluesky: tag -> post indices newest first (+ negated times for bisect)
        self.bsky_tag_index: dict[str, list[int]] = {}
        self.bsky_tag_negtimes: dict[str, list[float]] = {}
        self.bsky_all: list[int] = []
        self.bsky_all_negtimes: list[float] = []
        self.bsky_by_did: dict[str, int] = {}
        self.bsky_by_handle: dict[str, int] = {}
        self.bsky_by_rkey: dict[tuple[str, str], int] = {}
        # one organisation or person on both platforms: Mastodon index -> Bluesky index
        # (scout_demo.twins), proven by the Mastodon account's website
        self.twins: dict[int, int] = {}
        # who follows whom, seeds and starter packs (scout_demo.follows); None: no graph
        self.graph: FollowGraph | None = None

    # -- statuses -----------------------------------------------------------------
    def status(self, key: int) -> Post:
        """A post (``key < len(posts)``) or a reblog wrapper."""
        n = len(self.posts)
        return self.posts[key] if key < n else self.reblogs[key - n]

    def is_released(self, post: Post) -> bool:
        return self.advanced or post.created_at <= self.cut

    def advance(self) -> int:
        """Release the held-back posts; returns how many became visible."""
        if self.advanced:
            return 0
        self.advanced = True
        return sum(1 for p in self.posts if p.created_at > self.cut)

    def account_local_id(self, acc: Account, instance: int) -> int:
        """Snowflake-like id of a Mastodon account as known to ``instance``."""
        ms = int(acc.created_at.timestamp() * 1000)
        if acc.instance != instance:
            ms += 86_400_000 + instance * 37_000  # remote accounts arrive later
        return (ms << 16) | acc.idx

    # -- identities as the crawler computes them -------------------------------------
    @staticmethod
    def actor_uri(base_url: str, username: str) -> str:
        return f"{base_url.rstrip('/')}/users/{username}"

    def account_id(self, acc: Account, mastodon_urls: Sequence[str]) -> str:
        if acc.platform == "mastodon":
            assert acc.instance is not None
            return "mastodon:" + self.actor_uri(mastodon_urls[acc.instance], acc.username)
        return "bluesky:" + str(acc.did)

    def handle(self, acc: Account, mastodon_urls: Sequence[str]) -> str:
        if acc.platform == "mastodon":
            assert acc.instance is not None
            return f"{acc.username}@{host_of(mastodon_urls[acc.instance])}"
        return acc.username

    def truth(self, mastodon_urls: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Ground truth per account, with ``account_id`` for the given instance URLs."""
        urls = list(mastodon_urls) if mastodon_urls else default_mastodon_urls()
        out = []
        for a in self.accounts:
            out.append(
                {
                    "platform": a.platform,
                    "account_id": self.account_id(a, urls),
                    "handle": self.handle(a, urls),
                    "display_name": a.display_name,
                    "role": a.role,
                    "org_type": a.org_type,
                    "kind": a.kind,
                    "country": a.country,
                    "home_country": a.home_country,
                    "posts_name_city": a.posts_name_city,
                    "language": a.language,
                    "stance": a.stance,
                    "opted_out": a.opt_out is not None,
                    "opt_out_reason": a.opt_out,
                    "is_bot": a.is_bot,
                    "followers_count": a.followers,
                    "campaign_posts": 0,
                }
            )
        counts = [0] * len(self.accounts)
        for p in self.posts:
            if p.kind in ("campaign", "keyword"):
                counts[p.author] += 1
        for row, n in zip(out, counts, strict=True):
            row["campaign_posts"] = n
        return out

    def classifier_profiles(self, posts: int = 0, post_chars: int = 280) -> list[dict[str, Any]]:
        """Every account as ``scout classify`` reads it (benchmarks, evaluation), with
        the texts of up to ``posts`` of its posts, each cut to ``post_chars``."""
        texts: dict[int, list[str]] = {}
        if posts:
            for p in self.posts:
                text = " ".join(str(seg[1]) for seg in p.segments if seg[0] == "t")
                texts.setdefault(p.author, []).append(text[:post_chars])
        return [
            {
                "platform": a.platform,
                "handle": a.username,
                "display_name": a.display_name,
                "bio": a.bio,
                "fields": [{"name": name, "value": value} for name, value, _ in a.fields],
                "followers_count": a.followers,
                "bot": a.is_bot,
                "posts": texts.get(a.idx, [])[:posts],
                "post_langs": [a.language],
            }
            for a in self.accounts
        ]

    def summary(self) -> dict[str, Any]:
        langs = {p.lang for p in self.posts if p.lang}
        countries = {a.home_country for a in self.accounts if a.home_country}
        return {
            "accounts": len(self.accounts),
            "posts": len(self.posts),
            "reblogs": len(self.reblogs),
            "languages": sorted(langs),
            "countries": sorted(countries),
            "held_back": sum(1 for p in self.posts if p.created_at > self.cut),
        }


def default_mastodon_urls() -> list[str]:
    """Notional instance URLs for :meth:`World.truth` when no running network is given."""
    return [f"https://{slug(spec.title, '-')}.demo.invalid" for spec in INSTANCES]


def newest_first_window(
    negtimes: list[float], since: datetime | None, until: datetime | None, cut: datetime | None
) -> tuple[int, int]:
    """Index range [lo, hi) of a newest-first list whose times fall in the window.

    ``since`` is inclusive, ``until`` and the release ``cut`` bound from above.
    """
    lo, hi = 0, len(negtimes)
    upper = None
    if until is not None:
        upper = until.timestamp()
        lo = max(lo, bisect.bisect_right(negtimes, -upper))
    if cut is not None:
        # posts newer than the cut are held back
        lo = max(lo, bisect.bisect_left(negtimes, -cut.timestamp()))
    if since is not None:
        hi = min(hi, bisect.bisect_right(negtimes, -since.timestamp()))
    return lo, max(lo, hi)
