"""World generation, part 3: who follows whom (seeds, communities, starter packs).

:func:`build_follows` runs after the posting world is finished and draws from its own
``random.Random`` (seeded from the world's seed), so the accounts and posts of a seed
are the same with or without the graph.  It adds:

- the campaign's own accounts (one per platform) and picks partner organisations
  (``data/follows.json``); together the *seeds* whose followers the demo campaign
  collects.  One Mastodon partner hides its collections (``hide_collections``);
- follower-only accounts: full profiles (bios in their language, opt-outs at the
  world's rates) that never post;
- follow edges within one platform: people follow the campaign, the partner of their
  own language far more than others (a few bridges), and peers mostly of their own
  language and country, so communities by language and country can be measured;
- Bluesky starter packs made by seed accounts, each backed by a reference list.

Some edges appear only after ``/_demo/advance`` and a few disappear then (unfollows), so
a second crawl has new and gone edges.  Everything is reachable through
:class:`FollowGraph`; the servers page it like the real APIs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scout_demo.model import Account, World, random_b32
from scout_demo.tables import CAMPAIGN_URL, COUNTRY_WEIGHTS, FOLLOW_TABLES, INSTANCES, NOW

if TYPE_CHECKING:
    from scout_demo.accounts import AccountsBuilder

_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
FOLLOWS = FOLLOW_TABLES
RATES: dict[str, float] = dict(FOLLOWS["rates"])


def tid_us(us: int, clock_id: int) -> str:
    """An atproto TID from integer microseconds (exact, unlike a float timestamp)."""
    v = (us << 10) | (clock_id & 0x3FF)
    return "".join(_B32_SORT[(v >> (5 * i)) & 31] for i in range(12, -1, -1))


@dataclass
class Follow:
    """``src`` follows ``dst`` (account indices, same platform)."""

    src: int
    dst: int
    us: int  # creation time, microseconds since the epoch; unique over the graph
    mastodon_id: int  # the Follow's snowflake id (Mastodon pages by it)
    rkey: str  # the app.bsky.graph.follow record key in src's repo (Bluesky pages by it)
    later: bool = False  # only after /_demo/advance
    gone: bool = False  # unfollowed at /_demo/advance

    def visible(self, advanced: bool) -> bool:
        return (advanced or not self.later) and not (advanced and self.gone)


@dataclass
class StarterPack:
    creator: int
    rkey: str
    list_rkey: str
    name: str
    description: str
    created_at: datetime
    members: list[int]  # account indices, in the order they were added
    item_rkeys: list[str]  # listitem record keys, one per member
    cid: str = ""
    list_cid: str = ""


@dataclass
class FollowGraph:
    """The generated follow edges, seeds and starter packs, with paging indexes."""

    follows: list[Follow] = field(default_factory=list)
    followers: dict[int, list[int]] = field(default_factory=dict)  # dst -> edges, newest first
    following: dict[int, list[int]] = field(default_factory=dict)  # src -> edges, newest first
    seeds: list[int] = field(default_factory=list)  # campaign accounts first, then partners
    seed_role: dict[int, str] = field(default_factory=dict)  # "campaign" | "partner"
    hidden: set[int] = field(default_factory=set)  # Mastodon hide_collections
    packs: list[StarterPack] = field(default_factory=list)
    follower_only: set[int] = field(default_factory=set)  # accounts that never post

    def index(self) -> None:
        self.followers, self.following = {}, {}
        order = sorted(range(len(self.follows)), key=lambda i: self.follows[i].us, reverse=True)
        for i in order:
            f = self.follows[i]
            self.followers.setdefault(f.dst, []).append(i)
            self.following.setdefault(f.src, []).append(i)

    def edges(self, acc: int, direction: str, advanced: bool) -> list[Follow]:
        """Visible edges of an account, newest first: ``followers`` (edges into it) or
        ``following`` (edges out of it)."""
        ids = (self.followers if direction == "followers" else self.following).get(acc, [])
        return [f for i in ids if (f := self.follows[i]).visible(advanced)]

    def seeds_on(self, platform: str, world: World) -> list[int]:
        return [s for s in self.seeds if world.accounts[s].platform == platform]


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class _FollowsBuilder:
    def __init__(self, b: AccountsBuilder) -> None:
        self.b = b
        self.w = b.world
        self.rng = random.Random(f"scout-demo-follows:{self.w.seed}")
        b.rng = self.rng  # make_account draws from the builder's rng
        self.g = FollowGraph()
        self.used_us: set[int] = set()
        self.used_mid: set[int] = set()
        self.first_new = len(self.w.accounts)

    # -- accounts ---------------------------------------------------------------------
    def add(self, acc: Account) -> Account:
        acc.idx = len(self.w.accounts)
        acc.statuses_count = int(self.rng.lognormvariate(math.log(50), 1.2))
        self.w.accounts.append(acc)
        return acc

    def campaign_account(self, platform: str) -> int:
        spec = FOLLOWS["campaign_accounts"]
        own = spec[platform]
        rng = self.rng
        masto = platform == "mastodon"
        name = own["username"] if masto else own["handle"]
        self.b.used_names.add((f"m{own['instance']}" if masto else "b", name.lower()))
        web = spec["website"]
        acc = Account(
            idx=0,
            platform=platform,
            instance=own["instance"] if masto else None,
            username=name,
            did=None if masto else "did:plc:" + random_b32(rng, 24),
            display_name=own["display_name"],
            bio=spec["bio"].format(url=CAMPAIGN_URL),
            kind="ngo",
            role="organization",
            org_type="ngo",
            language="en",
            home_country=None,
            country=None,
            stance="supports",
            is_bot=False,
            opt_out=None,
            fields=[("Website", web, True), ("Sign", CAMPAIGN_URL, False)] if masto else [],
            following=0,
            created_at=_day(own["created"]),
            website=web,
            avatar_cid="bafkrei" + random_b32(rng, 52),
            profile_cid="bafyrei" + random_b32(rng, 52),
        )
        return self.add(acc).idx

    def new_account(self, kind: str, lang: str, country: str | None, platform: str) -> int:
        """A full account of ``platform`` made like the posting world's (retrying the
        platform draw keeps the generator's own choices intact)."""
        b = self.b
        for _ in range(200):
            acc = b.make_account(len(self.w.accounts), kind, lang, country, None)
            if acc.platform == platform:
                return self.add(acc).idx
        raise RuntimeError("could not draw an account on " + platform)

    def partner(self, spec: dict[str, Any]) -> int:
        w = self.w
        kinds = spec["kinds"]
        found = [
            a.idx
            for a in w.accounts[: self.first_new]
            if a.platform == spec["platform"]
            and a.kind in kinds
            and a.language == spec["lang"]
            and a.stance == "supports"
            and a.opt_out is None
        ]
        if found:
            found.sort(key=lambda i: (kinds.index(w.accounts[i].kind), i))
            return found[0]
        return self.new_account(kinds[0], spec["lang"], spec["country"], spec["platform"])

    def follower_accounts(self) -> list[int]:
        n = round(RATES["follower_only_share"] * self.first_new)
        kinds = list(FOLLOWS["follower_kinds"])
        kweights = list(FOLLOWS["follower_kinds"].values())
        countries = list(COUNTRY_WEIGHTS)
        cweights = [COUNTRY_WEIGHTS[c][0] for c in countries]
        made = []
        for _ in range(n):
            country = self.rng.choices(countries, cweights)[0]
            lang = self.rng.choice(COUNTRY_WEIGHTS[country][1])
            kind = self.rng.choices(kinds, kweights)[0]
            # on the platform make_account draws, as for the posting accounts
            acc = self.b.make_account(len(self.w.accounts), kind, lang, country, None)
            made.append(self.add(acc).idx)
        self.g.follower_only.update(made)
        return made

    # -- edges ------------------------------------------------------------------------
    def edge(self, src: int, dst: int, after: datetime | None = None) -> None:
        w, rng = self.w, self.rng
        a, d = w.accounts[src], w.accounts[dst]
        start = max(a.created_at, d.created_at, after or a.created_at)
        later = rng.random() < RATES["released_later"]
        lo, hi = (
            (max(w.cut, start), NOW) if later else (start, min(w.cut, NOW - timedelta(hours=1)))
        )
        if hi <= lo:
            lo, hi, later = start, NOW, False
        us = int(lo.timestamp() * 1e6) + rng.randrange(max(1, int((hi - lo).total_seconds() * 1e6)))
        while us in self.used_us:
            us += 1
        self.used_us.add(us)
        mid = ((us // 1000) << 16) | (len(self.g.follows) & 0xFFFF)
        while mid in self.used_mid:
            mid += 1 << 16
        self.used_mid.add(mid)
        gone = not later and rng.random() < RATES["unfollowed_later"]
        self.g.follows.append(Follow(src, dst, us, mid, tid_us(us, src & 0x3FF), later, gone))

    def communities(self, platform: str, pool: list[int]) -> None:
        w, rng, g = self.w, self.rng, self.g
        seeds = g.seeds_on(platform, w)
        campaign = [s for s in seeds if g.seed_role[s] == "campaign"]
        partners = [s for s in seeds if g.seed_role[s] == "partner"]
        by_lang: dict[str, list[int]] = {}
        by_country: dict[tuple[str, str | None], list[int]] = {}
        for i in pool:
            a = w.accounts[i]
            by_lang.setdefault(a.language, []).append(i)
            by_country.setdefault((a.language, a.home_country), []).append(i)
        for i in pool:
            a = w.accounts[i]
            followed = [s for s in campaign if rng.random() < RATES["follow_campaign"]]
            for p in partners:
                own = w.accounts[p].language == a.language
                rate = RATES["follow_own_partner"] if own else RATES["follow_other_partner"]
                if rng.random() < rate:
                    followed.append(p)
            if not followed:
                followed = [rng.choice(campaign or seeds)]
            for s in followed:
                self.edge(i, s)
            # peers: mostly one's own language, and within it one's own country
            k = min(40, 1 + int(rng.lognormvariate(math.log(RATES["peer_median"]), 0.6)))
            chosen: set[int] = set()
            for _ in range(k):
                r = rng.random()
                if r < RATES["peer_same_language"]:
                    same = by_country[(a.language, a.home_country)]
                    near = same if rng.random() < RATES["peer_same_country"] else None
                    cands = near if near and len(near) > 1 else by_lang[a.language]
                else:
                    cands = pool
                peer = rng.choice(cands)
                if peer != i and peer not in chosen:
                    chosen.add(peer)
                    self.edge(i, peer)
        # seeds follow each other and some organisations and people of their language
        lo, hi = int(RATES["seed_follows_min"]), int(RATES["seed_follows_max"])
        for s in seeds:
            sa = w.accounts[s]
            for other in seeds:
                if other != s:
                    self.edge(s, other)
            kin = by_lang.get(sa.language, pool)
            orgs = [i for i in kin if w.accounts[i].role != "individual"]
            picks = sorted({*orgs, *kin[:20]} - {s})
            n = min(len(picks), rng.randint(lo, hi))
            for i in rng.sample(picks, n):
                self.edge(s, i)

    def starter_packs(self) -> None:
        w, rng, g = self.w, self.rng, self.g
        for spec in FOLLOWS["starter_packs"]:
            creator = self.pack_creator(spec["creator"])
            if creator is None:
                continue
            lang = w.accounts[creator].language
            cands = [
                i
                for i in g.seeds_on("bluesky", w) + sorted(g.followers)
                if i != creator
                and w.accounts[i].platform == "bluesky"
                and (spec["creator"] == "campaign" or w.accounts[i].language == lang)
            ]
            cands = list(dict.fromkeys(cands))
            partners = [i for i in cands if g.seed_role.get(i) == "partner"]
            rest = [i for i in cands if i not in partners]
            orgs = [i for i in rest if w.accounts[i].role != "individual"]
            people = [i for i in rest if w.accounts[i].role == "individual"]
            # one opted-out member: a starter pack lists whom it likes, consent decides
            opted = [i for i in people if w.accounts[i].opt_out][:1]
            n = int(spec["members"])
            members = partners + rng.sample(orgs, min(len(orgs), n // 2)) + opted
            people = [i for i in people if i not in members]
            members += rng.sample(people, max(0, min(len(people), n - len(members))))
            members = members[:n]
            created = _day(spec["created"])
            base_us = int(created.timestamp() * 1e6)
            item_rkeys = [tid_us(base_us + 1000 * (k + 2), k) for k in range(len(members))]
            g.packs.append(
                StarterPack(
                    creator=creator,
                    rkey=tid_us(base_us + 1000 * (len(members) + 5), 7),
                    list_rkey=tid_us(base_us, 3),
                    name=spec["name"],
                    description=spec["description"],
                    created_at=created,
                    members=members,
                    item_rkeys=item_rkeys,
                    cid="bafyrei" + random_b32(rng, 52),
                    list_cid="bafyrei" + random_b32(rng, 52),
                )
            )

    def pack_creator(self, key: str) -> int | None:
        w, g = self.w, self.g
        role, _, lang = key.partition(":")
        for s in g.seeds_on("bluesky", w):
            if g.seed_role[s] == role and (not lang or w.accounts[s].language == lang):
                return s
        return None

    def index_accounts(self) -> None:
        w = self.w
        for a in w.accounts[self.first_new :]:
            if a.platform == "bluesky":
                w.bsky_by_did[str(a.did)] = a.idx
                w.bsky_by_handle[a.username] = a.idx
                continue
            for inst in range(len(INSTANCES)):
                w.account_by_id[inst][w.account_local_id(a, inst)] = a.idx
            w.account_by_name[a.instance or 0][a.username.lower()] = a.idx

    def build(self) -> FollowGraph:
        w, g, rng = self.w, self.g, self.rng
        for platform in ("mastodon", "bluesky"):
            s = self.campaign_account(platform)
            g.seeds.append(s)
            g.seed_role[s] = "campaign"
        for spec in FOLLOWS["partners"]:
            p = self.partner(spec)
            if p in g.seed_role:
                continue
            g.seeds.append(p)
            g.seed_role[p] = "partner"
            if spec["hide_collections"]:
                g.hidden.add(p)
        followers = self.follower_accounts()
        posters = [
            a.idx
            for a in w.accounts[: self.first_new]
            if not a.is_bot and a.idx not in g.seed_role and rng.random() < RATES["posters_in_pool"]
        ]
        for platform in ("mastodon", "bluesky"):
            pool = [i for i in posters + followers if w.accounts[i].platform == platform]
            if pool:
                self.communities(platform, pool)
        g.index()
        self.starter_packs()
        for s in g.seeds:  # counts as the seed's home server reports them
            w.accounts[s].followers = len(g.edges(s, "followers", False))
            w.accounts[s].following = len(g.edges(s, "following", False))
        self.index_accounts()
        return g


def build_follows(builder: AccountsBuilder) -> FollowGraph:
    """Add the follow graph to a finished world (``builder.world.graph``)."""
    graph = _FollowsBuilder(builder).build()
    builder.world.graph = graph
    return graph


def follow_truth(
    world: World, mastodon_urls: Sequence[str], advanced: bool = False
) -> list[tuple[str, str]]:
    """Every visible edge as ``(src account_id, dst account_id)``, as the crawler names them."""
    g = world.graph
    if g is None:
        return []
    acc = world.accounts
    return [
        (world.account_id(acc[f.src], mastodon_urls), world.account_id(acc[f.dst], mastodon_urls))
        for f in g.follows
        if f.visible(advanced)
    ]


def graph_state(world: World, mastodon_urls: Sequence[str]) -> dict[str, Any]:
    """The seeds and starter packs a client needs to write a campaign (state JSON)."""
    g = world.graph
    if g is None:
        return {"seeds": [], "starter_packs": []}
    seeds = []
    for s in g.seeds:
        a = world.accounts[s]
        row: dict[str, Any] = {"platform": a.platform, "role": g.seed_role[s]}
        row["handle"] = world.handle(a, mastodon_urls)
        row["language"] = a.language
        if a.platform == "mastodon":
            row.update(base_url=mastodon_urls[a.instance or 0], username=a.username)
            row["hide_collections"] = s in g.hidden
        else:
            row["did"] = a.did
        seeds.append(row)
    packs = [
        {
            "creator_did": world.accounts[p.creator].did,
            "creator_handle": world.accounts[p.creator].username,
            "rkey": p.rkey,
            "members": len(p.members),
        }
        for p in g.packs
    ]
    return {"seeds": seeds, "starter_packs": packs}
