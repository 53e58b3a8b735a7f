"""The same organisation or public figure on both platforms (issue 11, item 5): a few
Mastodon accounts with a website get a Bluesky twin, an existing Bluesky account of the
same kind, language and country that takes their name and bio. The twin is proven by
the Mastodon account's website, which links back to both profiles with ``rel="me"``
(:mod:`scout_demo.sites` renders ``SiteSpec.also``); nothing else links them. Accounts
that only share a name (the world has many: "Marie Vogel", "Antoine") stay apart.

Run once the posts are generated and before the indexes, with a random generator of its
own, so the rest of the world of a seed is unchanged (the twin keeps its posts and
stance; it takes the name, bio and a handle of that name)."""

from __future__ import annotations

import random
import re

from scout_demo.model import World, slug
from scout_demo.sites import site_specs
from scout_demo.tables import ORG_KINDS

_SHORTCODE = re.compile(r":[a-z0-9_]+:")
# kinds whose accounts have sites and are worth reaching on both platforms
TWIN_KINDS = frozenset(
    {"ngo", "union", "association", "foundation", "mep", "mp", "mayor", "journalist", "media"}
)


def pair_twins(world: World, n: int = 24) -> dict[int, int]:
    """Pick up to ``n`` (Mastodon account, Bluesky account) pairs and make the second
    the first's twin; records and returns ``world.twins``."""
    rng = random.Random(world.seed * 31 + 7)
    specs = {
        s.account: s
        for s in site_specs(world)
        if s.rel_me and s.robots == "none" and s.hostile is None
    }
    masto = [
        a
        for a in world.accounts
        if a.platform == "mastodon"
        and a.idx in specs
        and a.kind in TWIN_KINDS
        and a.opt_out is None
        and not a.is_bot
        and a.stance != "opposes"
    ]
    rng.shuffle(masto)
    free = [
        a
        for a in world.accounts
        if a.platform == "bluesky" and a.opt_out is None and not a.is_bot and a.labels == []
    ]
    used: set[int] = set()
    for a in masto:
        if len(world.twins) >= n:
            break
        match = next(
            (
                b
                for b in free
                if b.idx not in used
                and (b.kind == a.kind or (b.kind in ORG_KINDS and a.kind in ORG_KINDS))
                and b.language == a.language
                and b.home_country == a.home_country
                and b.stance == a.stance
            ),
            None,
        )
        if match is None:
            continue
        used.add(match.idx)
        name = _SHORTCODE.sub("", a.display_name).strip()  # Mastodon emoji: not on Bluesky
        match.display_name = name
        match.bio = a.bio
        match.country = a.country
        match.kind, match.role, match.org_type = a.kind, a.role, a.org_type
        match.website = None  # the one site is the Mastodon account's
        match.username = _free_handle(world, slug(name, "-"))
        world.twins[a.idx] = match.idx
    return world.twins


def _free_handle(world: World, base: str) -> str:
    taken = {a.username for a in world.accounts if a.platform == "bluesky"}
    for n in range(1, 100):
        handle = f"{base or 'twin'}{n if n > 1 else ''}.bsky.social"
        if handle not in taken:
            return handle
    raise ValueError(f"no free Bluesky handle for {base!r}")
