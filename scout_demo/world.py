"""A deterministic, generated campaign world for the built-in demo network.

``build_world()`` invents an European Citizens' Initiative ("Clean Air for All") and
the people and organisations who talk about it on three-plus Mastodon instances and on
Bluesky: accounts with bios in their own language, posts with hashtags, mentions, links,
replies, quotes and reblogs, opt-outs and bots.  Everything derives from one
``random.Random(seed)`` and a fixed clock (:data:`NOW`), so the same seed always gives
the same world, ids included.  :mod:`scout_demo.httpd` serves it over loopback HTTP
with the JSON shapes of real Mastodon and Bluesky servers.

Ground truth for tests and evaluation comes from :meth:`World.truth`.
"""

from __future__ import annotations

import math

from scout_demo.follows import build_follows
from scout_demo.model import (
    Account,
    Post,
    Segment,
    World,
    default_mastodon_urls,
    host_of,
    iso_ms,
    newest_first_window,
    slug,
    tid,
)
from scout_demo.posts import PostsBuilder
from scout_demo.tables import (
    CAMPAIGN_URL,
    DEMO_BSKY_HANDLE,
    DEMO_BSKY_PASSWORD,
    DEMO_CAMPAIGN_NAME,
    DEMO_HASHTAGS,
    DEMO_KEYWORDS,
    EU_FLAG,
    INSTANCES,
    LANGS,
    NOW,
    RELEASED_SHARE,
    SPAN_DAYS,
    InstanceSpec,
)
from scout_demo.twins import pair_twins

__all__ = [
    "CAMPAIGN_URL",
    "DEMO_BSKY_HANDLE",
    "DEMO_BSKY_PASSWORD",
    "DEMO_CAMPAIGN_NAME",
    "DEMO_HASHTAGS",
    "DEMO_KEYWORDS",
    "EU_FLAG",
    "INSTANCES",
    "LANGS",
    "NOW",
    "SPAN_DAYS",
    "Account",
    "InstanceSpec",
    "Post",
    "Segment",
    "World",
    "build_world",
    "default_mastodon_urls",
    "host_of",
    "iso_ms",
    "newest_first_window",
    "slug",
    "tid",
]


class _Builder(PostsBuilder):
    # -- derived counts, federation, indexes ------------------------------------------
    def finish(self) -> None:
        rng, w = self.rng, self.world
        if len(w.posts) + len(w.reblogs) >= 1 << 16:
            raise ValueError("demo world too large for 16-bit status sequence numbers")
        for p in w.posts:
            if p.reply_to is not None:
                w.posts[p.reply_to].replies += 1
            if p.quote_of is not None:
                w.posts[p.quote_of].quotes += 1
        for a in w.accounts:
            a.statuses_count = 0
        for p in w.posts:
            w.accounts[p.author].statuses_count += 1
        for a in w.accounts:
            a.statuses_count += int(rng.lognormvariate(math.log(50), 1.2))
        times = sorted(p.created_at for p in w.posts)
        w.cut = times[min(len(times) - 1, int(len(times) * RELEASED_SHARE))]
        # Mastodon federation: home copy, ~half also on other instances
        n_inst = len(INSTANCES)

        def copy_to(p: Post, inst: int) -> None:
            if inst in p.copies:
                return
            ms = int(p.created_at.timestamp() * 1000)
            home = w.accounts[p.author].instance
            if inst != home:
                ms += rng.randint(400, 90_000)
            p.copies[inst] = (ms << 16) | p.idx
            for dep in (p.reply_to, p.quote_of, p.reblog_of):
                if dep is not None:
                    copy_to(w.posts[dep], inst)

        for p in [*w.posts, *w.reblogs]:
            acc = w.accounts[p.author]
            if acc.platform != "mastodon":
                continue
            assert acc.instance is not None
            copy_to(p, acc.instance)
            if p.kind != "reblog" and rng.random() < 0.5:
                others = [i for i in range(n_inst) if i != acc.instance]
                for inst in rng.sample(others, k=1 if rng.random() < 0.7 else 2):
                    copy_to(p, inst)
        # Mastodon indexes
        w.tag_ids = [{} for _ in range(n_inst)]
        w.status_by_id = [{} for _ in range(n_inst)]
        for p in [*w.posts, *w.reblogs]:
            for inst, lid in p.copies.items():
                w.status_by_id[inst][lid] = p.idx
                if p.reblog_of is not None:
                    continue  # as on Mastodon: a reblog carries no tags of its own
                for t in {t.lower() for t in p.tags}:
                    w.tag_ids[inst].setdefault(t, []).append(lid)
        # who reblogged what: (wrapper id on the reblogger's server, wrapper key), newest
        # first, as /api/v1/statuses/:id/reblogged_by pages them
        w.reblogged_by = {}
        for r in w.reblogs:
            assert r.reblog_of is not None
            home = w.accounts[r.author].instance or 0
            w.reblogged_by.setdefault(r.reblog_of, []).append((r.copies[home], r.idx))
        for lst in w.reblogged_by.values():
            lst.sort(reverse=True)
        for per in w.tag_ids:
            for ids in per.values():
                ids.sort()
        w.account_by_id = [{} for _ in range(n_inst)]
        w.account_by_name = [{} for _ in range(n_inst)]
        for a in w.accounts:
            if a.platform != "mastodon":
                w.bsky_by_did[str(a.did)] = a.idx
                w.bsky_by_handle[a.username] = a.idx
                continue
            for inst in range(n_inst):
                w.account_by_id[inst][w.account_local_id(a, inst)] = a.idx
            w.account_by_name[a.instance or 0][a.username.lower()] = a.idx
        # Bluesky indexes, newest first
        bsky = [p for p in w.posts if w.accounts[p.author].platform == "bluesky"]
        bsky.sort(key=lambda p: p.created_at, reverse=True)
        w.bsky_all = [p.idx for p in bsky]
        w.bsky_all_negtimes = [-p.created_at.timestamp() for p in bsky]
        for p in bsky:
            for t in p.platform_tags:
                w.bsky_tag_index.setdefault(t, []).append(p.idx)
            w.bsky_by_rkey[(str(w.accounts[p.author].did), p.rkey)] = p.idx
        for t, ids in w.bsky_tag_index.items():
            w.bsky_tag_negtimes[t] = [-w.posts[i].created_at.timestamp() for i in ids]


def build_world(
    seed: int = 2026, n_accounts: int = 3000, n_posts: int = 30000, follows: bool = True
) -> World:
    """Generate the demo world (deterministic for a seed; no wall clock).

    ``n_accounts`` posting accounts; with ``follows`` the follow graph
    (:mod:`scout_demo.follows`) adds seeds, follower-only accounts and starter packs
    after them, leaving the posting world of the seed unchanged."""
    if n_accounts < 10 or n_posts < n_accounts:
        raise ValueError("need at least 10 accounts and one post per account")
    b = _Builder(seed, n_accounts, n_posts)
    b.build_accounts()
    b.build_posts()
    pair_twins(b.world)  # before the indexes: a twin takes a handle of its name
    b.finish()
    if follows:
        build_follows(b)
    return b.world
