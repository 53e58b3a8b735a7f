"""World generation, part 1: the accounts (names, bios, places, opt-outs, reach)."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from crawler.core.vocab import STANCES
from scout_demo.model import Account, World, random_b32, slug
from scout_demo.tables import (
    BOT_NAMES,
    COUNTRY_WEIGHTS,
    DEMO_HASHTAGS,
    INSTANCES,
    KIND_STANCES,
    KINDS,
    LANGS,
    LOCATION_SHARE,
    NON_EU_PLACES,
    NOW,
    ORG_KINDS,
)


class AccountsBuilder:
    """Generates ``World.accounts``; every draw comes from ``self.rng`` in a fixed order."""

    def __init__(self, seed: int, n_accounts: int, n_posts: int) -> None:
        self.rng = random.Random(seed)
        self.world = World(seed)
        self.n_accounts = n_accounts
        self.n_posts = n_posts
        self.used_names: set[tuple[str, str]] = set()  # (platform/instance, username)
        self.org_name_count: dict[tuple[str, str], int] = {}
        self.used_sites: set[str] = set()  # website names given

    # -- accounts ---------------------------------------------------------------------
    def build_accounts(self) -> None:
        rng = self.rng
        countries = list(COUNTRY_WEIGHTS)
        cweights = [COUNTRY_WEIGHTS[c][0] for c in countries]
        kinds = list(KINDS)
        kweights = [KINDS[k][2] for k in kinds]
        for i in range(self.n_accounts):
            non_eu = rng.random() < 0.015
            if non_eu:
                lang, place = rng.choice(NON_EU_PLACES)
                country = None
            else:
                country = rng.choices(countries, cweights)[0]
                lang = rng.choice(COUNTRY_WEIGHTS[country][1])
                place = None
            kind = "individual" if non_eu else rng.choices(kinds, kweights)[0]
            self.world.accounts.append(self.make_account(i, kind, lang, country, place))

    def make_account(
        self, i: int, kind: str, lang: str, country: str | None, place: str | None
    ) -> Account:
        rng = self.rng
        L = LANGS[lang]
        role, org_type, _, median, sigma, activity = KINDS[kind]
        platform = "mastodon" if rng.random() < 0.6 else "bluesky"
        instance: int | None = None
        if platform == "mastodon":
            instance = 3
            for spec in INSTANCES:
                if country in spec.countries:
                    instance = spec.index
            if rng.random() < 0.15:
                instance = 3
        if country is not None:
            cname, flag, cities = L["countries"][country]
            city = rng.choice(cities)
        else:
            cname, flag, city = "", "", place or ""
        st = KIND_STANCES.get(kind, (90, 10, 0))
        stance = rng.choices(STANCES, st)[0]
        is_bot = kind == "bot"

        # name
        is_org = kind in ORG_KINDS
        loc_in_name = False
        if is_org:
            base = L["orgs"]["company" if kind == "company" else kind] if kind != "bot" else None
            if base is None:
                base = BOT_NAMES.get(lang, BOT_NAMES["en"])
                display = f"{base} {city}".strip()
                loc_in_name = bool(city)
            else:
                n = self.org_name_count.get((lang, base), 0)
                self.org_name_count[(lang, base)] = n + 1
                display = base
                if n > 0 and city:
                    m = self.org_name_count.get((lang, f"{base} {city}"), 0)
                    self.org_name_count[(lang, f"{base} {city}")] = m + 1
                    display = f"{base} {city}" + (f" {m + 1}" if m else "")
                    loc_in_name = True
                elif n > 0:
                    display = f"{base} {n + 1}"
        else:
            first, last = rng.choice(L["first"]), rng.choice(L["last"])
            display = f"{first} {last}"
            if kind == "individual" and rng.random() < 0.25:
                display = first
            if rng.random() < 0.03:
                display = (
                    display.replace(" ", " \u200b", 1) if " " in display else display + "\u200b"
                )
            if rng.random() < 0.06:
                display += " 🚲" if rng.random() < 0.5 else " 🌱"
        flag_in_name = country is not None and rng.random() < 0.05
        if flag_in_name:
            display += " " + flag
        eu_emoji = platform == "mastodon" and rng.random() < 0.04
        if eu_emoji:
            display += " :eu_flag:"

        username = self.unique_username(display if not is_org else display, platform, instance)
        # bio
        media = L["orgs"]["media"]
        party = L["orgs"]["party"]
        if kind == "individual":
            parts = [rng.choice(L["ind"])]
            role_text = ". ".join(parts)
        else:
            role_text = L[kind] if kind in L else L["ind"][0]
        uses_city = "{city}" in role_text or "{country}" in role_text
        if uses_city and country is None:
            role_text = (
                role_text.replace(" {city}", "")
                .replace("{city}", "")
                .replace(" {country}", "")
                .replace("{country}", "")
            )
            uses_city = False
        role_text = role_text.format(city=city, country=cname, media=media, party=party)
        loc_share = LOCATION_SHARE.get(kind, 0.85 if kind != "bot" else 0.9)
        has_loc = uses_city or loc_in_name or flag_in_name or rng.random() < loc_share
        loc_where = "none"
        loc_text = ""
        if has_loc and not uses_city and city:
            loc_text = rng.choice(L["loc"]).format(city=city, country=cname or city, flag=flag)
            if country is None:
                loc_text = loc_text.replace("  ", " ").strip()
            r = rng.random()
            loc_where = (
                "bio" if (platform == "bluesky" or r < 0.6) else ("field" if r < 0.85 else "both")
            )
        bio_parts = [role_text]
        if loc_where in ("bio", "both"):
            bio_parts.append(loc_text)
        if stance == "supports" and rng.random() < 0.12:
            bio_parts.append(f"#{DEMO_HASHTAGS[0]}")
        opt_out: str | None = None
        discoverable: bool | None = True
        indexable, noindex = True, False
        labels: list[str] = []
        r = rng.random()
        if platform == "mastodon":
            if r < 0.02:
                discoverable, opt_out = False, "discoverable=false"
            elif r < 0.04:
                indexable, opt_out = False, "indexable=false"
            elif r < 0.055:
                noindex, opt_out = True, "noindex=true"
            elif r < 0.07:
                bio_parts.append("#nobot")
                opt_out = "#nobot in profile"
            elif r < 0.08:
                bio_parts.append("#NoIndex")
                opt_out = "#noindex in profile"
            elif r < 0.12:
                discoverable = None  # not published: not an opt-out
        else:
            if r < 0.03:
                labels.append("!no-unauthenticated")
                opt_out = "label !no-unauthenticated"
            elif r < 0.045:
                bio_parts.append("#nobot")
                opt_out = "#nobot in profile"
        if is_bot:
            labels.append("bot") if platform == "bluesky" else None
        sep = rng.choice([". ", " · ", " | ", "\n"])
        bio = sep.join(p.rstrip(".") if sep != ". " else p.rstrip(".") for p in bio_parts if p)
        if rng.random() < 0.5 and not bio.endswith(("!", ".")) and sep == ". ":
            bio += "."
        # fields (Mastodon)
        fields: list[tuple[str, str, bool]] = []
        website = None
        if is_org or rng.random() < 0.35:
            website = self.unique_site(slug(display, "-") or username)
        if platform == "mastodon":
            if website and rng.random() < 0.8:
                fields.append((L["field_web"], website, rng.random() < 0.5))
            if loc_where in ("field", "both"):
                fields.append((L["field_loc"], loc_text.removeprefix("📍 "), False))
            if lang == "en" and not is_org and rng.random() < 0.3:
                fields.append(("Pronouns", rng.choice(["she/her", "he/him", "they/them"]), False))
        truth_country = country if (has_loc and country is not None) else None
        followers = max(0, int(rng.lognormvariate(math.log(median), sigma)))
        created = NOW - timedelta(days=rng.uniform(90, 3000))
        created = created.replace(hour=0, minute=0, second=0, microsecond=0)
        acc = Account(
            idx=i,
            platform=platform,
            instance=instance,
            username=username,
            did=("did:plc:" + random_b32(rng, 24)) if platform == "bluesky" else None,
            display_name=display,
            bio=bio,
            kind=kind,
            role=role,
            org_type=org_type,
            language=lang,
            home_country=country,
            country=truth_country,
            home_city=city if country is not None else None,
            stance=stance,
            is_bot=is_bot,
            opt_out=opt_out,
            discoverable=discoverable,
            indexable=indexable,
            noindex=noindex,
            labels=labels,
            fields=fields,
            followers=followers,
            following=int(rng.lognormvariate(math.log(200), 1.0)),
            created_at=created,
            website=website,
            avatar_cid="bafkrei" + random_b32(rng, 52),
            profile_cid="bafyrei" + random_b32(rng, 52),
            activity=rng.lognormvariate(0, 0.9) * activity,
            campaign_share=0.5 if kind in ("individual", "media", "bot") else 0.7,
        )
        return acc

    def unique_site(self, base: str) -> str:
        """A website of its own (two people of one name have two sites)."""
        name, n = base, 1
        while name in self.used_sites:
            n += 1
            name = f"{base}-{n}"
        self.used_sites.add(name)
        return f"https://{name}.example/"

    def unique_username(self, display: str, platform: str, instance: int | None) -> str:
        base = slug(display.replace(":eu_flag:", ""), "_" if platform == "mastodon" else "-")
        base = base[:24].strip("_-") or "user"
        rng = self.rng
        if platform == "mastodon" and rng.random() < 0.5:
            base = base.replace("_", "", 1) if rng.random() < 0.5 else base.split("_")[0]
        scope = f"m{instance}" if platform == "mastodon" else "b"
        name = base
        n = 1
        while (scope, name.lower()) in self.used_names:
            n += 1
            name = f"{base}{n}" if platform == "mastodon" else f"{base}{n}"
        self.used_names.add((scope, name.lower()))
        return name if platform == "mastodon" else f"{name}.bsky.social"
