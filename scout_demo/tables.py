"""Constants and text tables of the demo world.

The text material (names, bios, phrases per language, instances, weights) lives in
``scout_demo/data/*.json`` and is loaded once with :mod:`importlib.resources`.  The
generator draws from these tables with one seeded ``random.Random``, so the order of
every list and mapping in the files is part of the world: reordering them changes the
world of a seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
SPAN_DAYS = 60
RELEASED_SHARE = 0.92

DEMO_CAMPAIGN_NAME = "Clean Air for All"
DEMO_HASHTAGS: tuple[str, ...] = ("CleanAirECI", "RightToBreathe")
DEMO_KEYWORDS: tuple[str, ...] = (
    "clean air initiative",
    "Initiative für saubere Luft",
    "initiative pour un air pur",
    "iniziativa aria pulita",
)
# [seeds] followers_max of the demo campaign: above every demo seed's follower count
DEMO_FOLLOWERS_MAX = 2000
DEMO_BSKY_HANDLE = "scout-demo.bsky.test"
DEMO_BSKY_PASSWORD = "demo-app-password"
CAMPAIGN_URL = "https://cleanair-eci.example/sign"
# Custom emoji every demo instance serves (Mastodon `:shortcode:`).
EU_FLAG = "eu_flag"


def _load(name: str) -> Any:
    return json.loads(files("scout_demo").joinpath("data", name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class InstanceSpec:
    """One demo Mastodon instance: a name, a country flavour and its languages."""

    index: int
    title: str
    description: str
    countries: tuple[str, ...]
    languages: tuple[str, ...]


# Per-language text material: names, places, bios, posts.  In the texts,
# {city} {country} {flag} {media} {party} are filled in by the generator.
# "countries" maps a country code to [name, flag, [cities]].
LANGS: dict[str, dict[str, Any]] = _load("languages.json")

_TABLES: dict[str, Any] = _load("world.json")

INSTANCES: tuple[InstanceSpec, ...] = tuple(
    InstanceSpec(i, s["title"], s["description"], tuple(s["countries"]), tuple(s["languages"]))
    for i, s in enumerate(_TABLES["instances"])
)
# country -> (weight, languages spoken by demo accounts there)
COUNTRY_WEIGHTS: dict[str, tuple[float, tuple[str, ...]]] = {
    c: (v["weight"], tuple(v["languages"])) for c, v in _TABLES["country_weights"].items()
}
# Places outside the EU: an account there has no EU country (truth None).
NON_EU_PLACES: tuple[tuple[str, str], ...] = tuple(
    (lang, place) for lang, place in _TABLES["non_eu_places"]
)
# kind -> (role, org_type, weight, followers median, followers sigma, activity)
KINDS: dict[str, tuple[str, str | None, float, float, float, float]] = {
    k: (
        v["role"],
        v["org_type"],
        v["weight"],
        v["followers_median"],
        v["followers_sigma"],
        v["activity"],
    )
    for k, v in _TABLES["kinds"].items()
}
# kind -> (support, neutral, oppose) weights
KIND_STANCES: dict[str, tuple[float, float, float]] = {
    k: (v[0], v[1], v[2]) for k, v in _TABLES["kind_stances"].items()
}
ORG_KINDS = frozenset(k for k, v in KINDS.items() if v[0] == "organization")
# probability that the account gives any location clue
LOCATION_SHARE: dict[str, float] = dict(_TABLES["location_share"])
GREEK_LATIN: dict[str, str] = dict(_TABLES["greek_latin"])
# per language, with an "en" fallback: bot account names, a bot's post, a spoiler
BOT_NAMES: dict[str, str] = dict(_TABLES["bot_names"])
BOT_COUNTED: dict[str, str] = dict(_TABLES["bot_counted"])
SPOILER: dict[str, str] = dict(_TABLES["spoiler"])
# Tags used by off-topic posts in every language, besides each language's own.
GENERIC_NOISE_TAGS: tuple[str, ...] = tuple(_TABLES["generic_noise_tags"])
# The follow graph's seeds, starter packs and community rates (scout_demo/follows.py).
FOLLOW_TABLES: dict[str, Any] = _load("follows.json")
