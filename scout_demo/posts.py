"""World generation, part 2: posts (campaign, keyword and off-topic) and reblogs."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from scout_demo.accounts import AccountsBuilder
from scout_demo.model import Account, Post, Segment, random_b32, slug, tid
from scout_demo.tables import (
    BOT_COUNTED,
    CAMPAIGN_URL,
    DEMO_HASHTAGS,
    EU_FLAG,
    GENERIC_NOISE_TAGS,
    LANGS,
    NOW,
    SPAN_DAYS,
    SPOILER,
)

CITY_IN_POST_SHARE = 0.2  # campaign posts that end with the author's city ("📍 Leipzig")


class PostsBuilder(AccountsBuilder):
    """Generates ``World.posts`` and ``World.reblogs`` after the accounts."""

    def tag_variant(self, tag: str) -> str:
        r = self.rng.random()
        if r < 0.6:
            return tag
        if r < 0.8:
            return tag.lower()
        if r < 0.85:
            return tag.upper()
        return tag[:-1] + tag[-1].lower() if tag[-1].isupper() else tag.capitalize()

    def campaign_tags(self) -> list[str]:
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            tags = [DEMO_HASHTAGS[0]]
        elif r < 0.8:
            tags = [DEMO_HASHTAGS[1]]
        else:
            tags = list(DEMO_HASHTAGS)
        return [self.tag_variant(t) for t in tags]

    def build_posts(self) -> None:
        rng, w = self.rng, self.world
        # Where people sign and meet: some campaign posts name the author's city. Drawn
        # from a random stream of its own, so the rest of the world stays as it was.
        self.place_rng = random.Random(w.seed * 1_000_003 + 17)
        accounts = w.accounts
        n = self.n_posts
        span = SPAN_DAYS * 86400.0
        # campaign momentum: more posts towards the end of the window
        times = sorted(NOW - timedelta(seconds=span * (1 - rng.random() ** 0.8)) for _ in range(n))
        authors = list(range(len(accounts)))
        if n > len(authors):
            weights = [a.activity for a in accounts]
            authors += rng.choices(range(len(accounts)), weights, k=n - len(authors))
        authors = authors[:n]
        rng.shuffle(authors)
        recent: dict[str, list[int]] = {"mastodon": [], "bluesky": []}
        popular = {
            p: [a.idx for a in accounts if a.platform == p and a.followers > 3000]
            or [a.idx for a in accounts if a.platform == p]
            for p in ("mastodon", "bluesky")
        }
        seen_author: set[int] = set()
        for idx, (ts, author) in enumerate(zip(times, authors, strict=True)):
            acc = accounts[author]
            first = author not in seen_author
            seen_author.add(author)
            r = rng.random()
            if (first and rng.random() < 0.9) or r < acc.campaign_share:
                kind = "keyword" if rng.random() < 0.07 else "campaign"
            else:
                kind = "noise"
            post = self.make_post(idx, acc, ts, kind, recent[acc.platform], popular[acc.platform])
            w.posts.append(post)
            if kind == "campaign":
                recent[acc.platform].append(idx)
                if len(recent[acc.platform]) > 400:
                    del recent[acc.platform][:100]
        self.add_reblogs()

    def make_post(
        self, idx: int, acc: Account, ts: datetime, kind: str, recent: list[int], popular: list[int]
    ) -> Post:
        rng, w = self.rng, self.world
        lang = acc.language
        if lang != "en" and rng.random() < 0.1:
            lang = "en"
        L = LANGS[lang]
        masto = acc.platform == "mastodon"
        segs: list[Segment] = []
        tags: list[str] = []
        record_tags: list[str] = []
        stance = acc.stance
        reply_to = quote_of = None
        link: str | None = None
        card_title = ""
        if kind == "noise":
            segs.append(("t", rng.choice(L["noise"]) + " "))
            nt = (
                rng.choice(L["noise_tags"])
                if rng.random() < 0.7
                else rng.choice(GENERIC_NOISE_TAGS)
            )
            segs.append(("tag", nt))
            tags.append(nt)
            stance = "neutral"
        elif kind == "keyword":
            kw = L.get("kw", "clean air initiative")
            sentence = rng.choice(L["sup" if stance != "opposes" else "opp"])
            segs.append(("t", f"{kw[0].upper()}{kw[1:]}: {sentence}"))
            if not masto and rng.random() < 0.4:
                record_tags.append(DEMO_HASHTAGS[0])
        else:
            if recent and rng.random() < 0.18:
                parent = w.posts[rng.choice(recent[-300:])]
                if parent.author != acc.idx:
                    reply_to = parent.idx
            if reply_to is None and recent and rng.random() < 0.05:
                q = w.posts[rng.choice(recent[-300:])]
                if q.author != acc.idx:
                    quote_of = q.idx
            key = {"supports": "sup", "opposes": "opp", "neutral": "neu"}[stance]
            if acc.is_bot:
                sentence = BOT_COUNTED.get(lang, BOT_COUNTED["en"]) + f" {rng.randint(50, 5000)}"
                lang = lang if lang in BOT_COUNTED else "en"
            elif reply_to is not None:
                sentence = rng.choice(L["reply"])
            else:
                sentence = rng.choice(L[key])
            if reply_to is not None and masto:
                segs.append(("m", w.posts[reply_to].author))
                segs.append(("t", " "))
            ctags = self.campaign_tags() if (reply_to is None or rng.random() < 0.7) else []
            lead_tag = bool(ctags) and rng.random() < 0.15
            if lead_tag:
                segs.append(("tag", ctags[0]))
                segs.append(("t", ": "))
            segs.append(("t", sentence))
            if (
                reply_to is None
                and acc.home_city
                and not acc.is_bot
                and self.place_rng.random() < CITY_IN_POST_SHARE
            ):
                segs.append(("t", f" 📍 {acc.home_city}"))
                acc.posts_name_city = True
            rest = ctags[1:] if lead_tag else ctags
            if rest:
                segs.append(("t", " "))
                if rng.random() < 0.2:
                    segs.append(("emoji", EU_FLAG) if masto else ("t", "🇪🇺"))
                    segs.append(("t", " "))
                for j, t in enumerate(rest):
                    if j:
                        segs.append(("t", " "))
                    segs.append(("tag", t))
            tags.extend(ctags)
            if rng.random() < 0.1:
                nt = rng.choice(L["noise_tags"] + ["Europa", "EU"])
                segs.append(("t", " "))
                segs.append(("tag", nt))
                tags.append(nt)
            if rng.random() < 0.15:
                target = rng.choice(popular)
                if target != acc.idx:
                    segs.append(("t", " cc "))
                    segs.append(("m", target))
            if rng.random() < 0.3:
                if stance == "neutral" and acc.kind in ("media", "journalist"):
                    link = f"https://{slug(LANGS[acc.language]['orgs']['media'], '-')}.example/{ts:%Y/%m}/clean-air-initiative-{idx}"
                    card_title = rng.choice(L["neu"])
                elif acc.website and rng.random() < 0.3:
                    link = acc.website + "clean-air"
                    card_title = acc.display_name
                else:
                    link = f"{CAMPAIGN_URL}?lang={lang}"
                    card_title = "Clean Air for All – European Citizens' Initiative"
                segs.append(("p",) if masto else ("t", "\n\n"))
                segs.append(("url", link))
        post = Post(
            idx=idx,
            author=acc.idx,
            created_at=ts,
            segments=segs,
            lang=lang if (masto or rng.random() > 0.05) else None,
            kind=kind,
            stance=stance,
            tags=tags,
            record_tags=record_tags,
            reply_to=reply_to,
            quote_of=quote_of,
            link=link,
            card_title=card_title,
        )
        scale = max(1.0, acc.followers) ** 0.5
        post.likes = int(rng.lognormvariate(math.log(1 + scale * 0.5), 1.0))
        post.reposts = int(post.likes * rng.random() * 0.4)
        if masto and rng.random() < 0.03:
            post.spoiler = SPOILER.get(lang, SPOILER["en"])
        if not masto:
            post.rkey = tid(ts, rng.randrange(1024))
            post.cid = "bafyrei" + random_b32(rng, 52)
        return post

    def add_reblogs(self) -> None:
        rng, w = self.rng, self.world
        masto_accounts = [a.idx for a in w.accounts if a.platform == "mastodon"]
        originals = [
            p
            for p in w.posts
            if p.kind == "campaign" and w.accounts[p.author].platform == "mastodon"
        ]
        for p in originals:
            if rng.random() >= 0.12:
                continue
            who = rng.choice(masto_accounts)
            if who == p.author:
                continue
            ts = p.created_at + timedelta(seconds=rng.uniform(60, 2 * 86400))
            if ts >= NOW:
                continue
            key = len(w.posts) + len(w.reblogs)
            w.reblogs.append(
                Post(
                    idx=key,
                    author=who,
                    created_at=ts,
                    segments=[],
                    lang=None,
                    kind="reblog",
                    stance=p.stance,
                    reblog_of=p.idx,
                )
            )
            p.reposts += 1
        w.reblogs.sort(key=lambda r: r.created_at)
        for j, r in enumerate(w.reblogs):
            r.idx = len(w.posts) + j
