"""Member state of an account: places, flags, link and instance TLDs, language prior.

Evidence is weighted and summed per country; a country is returned only when the sum
reaches :data:`MIN_SCORE` and beats any non-EU evidence ("London", 🇺🇸) — weak hints
alone (a ``.de`` link, Polish posts) give ``None`` rather than a guess.
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from crawler.core.vocab import EU_COUNTRIES, country_code
from nlp.lexicon import LEXICON_DIR
from nlp.official import official_instance
from nlp.phrases import (
    cache_tokens,
    get_ext,
    key_words,
    longest_first,
    pattern_docs,
    set_ext,
    text_doc,
    whole_word,
)
from nlp.post_places import PostPlaces
from nlp.profile import field_name, field_value_start, text_and_sections

NON_EU = "--"
# Country-code TLDs of the member states (Greece: .gr, ISO GR).
EU_TLDS: dict[str, str] = {c.lower(): c for c in EU_COUNTRIES}
# Geographic and community TLDs (ICANN's new gTLDs) of places inside one member state.
EU_TLDS.update(
    {
        "bayern": "DE", "berlin": "DE", "hamburg": "DE", "koeln": "DE", "cologne": "DE",
        "nrw": "DE", "ruhr": "DE", "saarland": "DE", "wien": "AT", "tirol": "AT",
        "brussels": "BE", "vlaanderen": "BE", "gent": "BE", "paris": "FR", "bzh": "FR",
        "alsace": "FR", "corsica": "FR", "cat": "ES", "eus": "ES", "gal": "ES",
        "barcelona": "ES", "madrid": "ES", "amsterdam": "NL", "frl": "NL",
        "helsinki": "FI", "stockholm": "SE",
    }
)  # fmt: skip
NON_EU_TLDS: frozenset[str] = frozenset(
    {"uk", "us", "ch", "no", "ca", "au", "ru", "ua", "tr", "scot", "london", "nyc", "swiss"}
)
# First host labels of federated services: a link to one names another profile, not
# the account's own website ("pixelfed.de/user", "mastodon.nl/@x").
SERVICE_LABELS: frozenset[str] = frozenset(
    """mastodon mstdn masto social toot pixelfed peertube tube video matrix bsky lemmy
    friendica misskey pleroma akkoma kbin mbin fedi fediverse""".split()
)
# Languages spoken as a majority language in essentially one member state.
LANGUAGE_PRIOR: dict[str, str] = {
    "fi": "FI",
    "pl": "PL",
    "hu": "HU",
    "cs": "CZ",
    "sk": "SK",
    "sl": "SI",
    "hr": "HR",
    "bg": "BG",
    "ro": "RO",
    "lt": "LT",
    "lv": "LV",
    "et": "EE",
    "da": "DK",
    "it": "IT",
    "mt": "MT",
    "ga": "IE",
}
LOCATION_FIELD_NAMES: frozenset[str] = frozenset(
    """location locatie localisation localização localizzazione localización lokalizacja
    lokalita lokacija lokacija lokace ort wohnort standort heimat sitz lieu ville città
    luogo ubicación ciudad lugar cidade local plaats woonplaats stad miejsce miasto místo
    město umístění mesto miesto sijainti paikkakunta kotipaikka helyszín hely város plats
    sted by bopæl asukoht linn vieta atrašanās miestas vieta mjesto grad kraj poloha
    τοποθεσία πόλη местоположение град място post-code loċalità belt based home country
    land pays paese país pais kraj maa ország riik valsts šalis država štát χώρα държава
    pajjiż tír region region""".split()
)

WEIGHT_LOCATION_FIELD = 3.0
WEIGHT_FIELD_PLACE = 1.2
WEIGHT_BIO_CITY = 2.0
WEIGHT_BIO_COUNTRY = 1.5
WEIGHT_NAME_PLACE = 1.0
WEIGHT_FLAG_NAME = 2.0
WEIGHT_FLAG_BIO = 1.5
WEIGHT_FLAG_NON_EU = 0.75  # solidarity flags (🇺🇦) are common in EU bios
WEIGHT_LINK_TLD = 0.7
# The account's own website in a profile field: its ccTLD names the right member state
# for 554 of 560 labelled organisations with one (multi_dev.csv), so it answers alone.
WEIGHT_SITE_TLD = 1.0
# The postal address in the imprint of a website the account names (the website pass,
# crawler/sites/legal.py): where the organisation is registered, so it answers alone and
# outweighs a link's ccTLD (a German association's .eu or .org site, a Belgian
# office's .de site).
WEIGHT_IMPRINT = 1.5
WEIGHT_INSTANCE_TLD = 0.6
# a public administration's own server (nlp.official): its accounts are its bodies
WEIGHT_OFFICIAL_INSTANCE = 1.5
WEIGHT_LANGUAGE = 0.8
MIN_SCORE = 1.0

_FLAG = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}")
_HOST = re.compile(
    r"(?:https?://)?(?<![@\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24}))"
    r"(?=[/:\s]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    name: str
    country: str  # ISO alpha-2, or "--" for a non-EU place
    kind: str  # country | city | city_cs (case-sensitive: Nice, Split, Porto) | nonEU | nonEU_cs


PlaceMatch = tuple[str, Place]  # (surface as written, place)


def _key(text: str) -> str:
    return " ".join(key_words(text))


@lru_cache(maxsize=4096)
def _is_location_field(name: str) -> bool:
    """Does a profile field named ``name`` give the account's location? (Names repeat.)"""
    return _key(name) in LOCATION_FIELD_NAMES or name.lower() in LOCATION_FIELD_NAMES


@lru_cache(maxsize=2)
def load_places(path: str = "") -> dict[str, Place]:
    """``data/lexicons/places.tsv`` (written by hand) and then the generated
    ``gazetteer.tsv`` (:mod:`nlp.build_gazetteer`: country names in every EU language,
    cities with their exonyms), keyed by normalised lower-case name; the hand-written
    file wins on a clash. ``path`` replaces both with one file."""
    files = [Path(path)] if path else [LEXICON_DIR / "places.tsv", LEXICON_DIR / "gazetteer.tsv"]
    out: dict[str, Place] = {}
    for file in files:
        with file.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                place = Place(row["name"], row["country"], row["kind"])
                out.setdefault(_key(place.name), place)
    return out


class Gazetteer:
    """``places.tsv`` in a spaCy ``PhraseMatcher`` (lower case) for one vocabulary."""

    def __init__(self, nlp: Language, path: str = "") -> None:
        self.places = load_places(path)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._key_of: dict[int, str] = {}
        for key, place in self.places.items():
            match_id = nlp.vocab.strings.add(f"scout_place::{key}")
            self._key_of[match_id] = key
            self.matcher.add(f"scout_place::{key}", pattern_docs(nlp, [place.name, key]))

    def find(self, doc: Doc, text: str) -> list[tuple[int, int, PlaceMatch]]:
        """Longest-first places in ``doc`` (made from ``text``) as ``(start_char,
        end_char, (surface, Place))``; ambiguous names (Nice, Split) only when
        capitalised."""
        matches = self.matcher(doc)
        if not matches:
            return []
        candidates = []
        for match_id, start, end in matches:
            last = doc[end - 1]
            a, b = doc[start].idx, last.idx + len(last)
            surface = text[a:b]
            place = self.places[self._key_of[match_id]]
            if place.kind.endswith("_cs") and not surface[:1].isupper():
                continue
            if not whole_word(text, a, b, joiners="-."):
                continue
            candidates.append((start, end, 0, (a, b, surface, place)))
        return [(a, b, (text, place)) for _, _, (a, b, text, place) in longest_first(candidates)]


@lru_cache(maxsize=1)
def load_instances(path: str = "") -> dict[str, str]:
    """``data/lexicons/instances.toml``: host -> member state ("" = no single one)."""
    file = Path(path) if path else LEXICON_DIR / "instances.toml"
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    return {str(h).lower(): str(c).upper() for h, c in data.get("instances", {}).items()}


def _is_own_site(host: str, text: str) -> bool:
    """A link in a profile field that is the account's own website, not a profile on a
    federated service ("mastodon.nl/@x", "pixelfed.de/user")."""
    if host.split(".", 1)[0] in SERVICE_LABELS:
        return False
    return not re.search(re.escape(host) + r"/(?:@|users/|u/|profile/)", text, re.I)


def find_places(text: str) -> list[PlaceMatch]:
    """Longest-first gazetteer matches in ``text`` as ``(surface, Place)``."""
    component = _pipeline().get_pipe("scout_country")
    assert isinstance(component, CountryComponent)
    doc = text_doc(component.nlp, text)
    return [found for _, _, found in component.gazetteer.find(doc, text)]


def flags(text: str) -> list[tuple[str, str]]:
    """Regional-indicator flag emoji as ``(emoji, ISO alpha-2)``; the EU flag is skipped."""
    out = []
    for m in _FLAG.finditer(text):
        code = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in m.group(0))
        if code != "EU":
            out.append((m.group(0), code))
    return out


def tlds(text: str) -> list[tuple[str, str]]:
    """``(host, tld)`` for host names and URLs in ``text`` (e-mail domains excluded)."""
    if "." not in text:  # every host has one; the pattern is slow to fail
        return []
    return [(m.group(1).lower(), m.group(2).lower()) for m in _HOST.finditer(text)]


def _set_extensions() -> None:
    for name, default in (
        ("scout_lang", None),
        ("scout_sections", None),
        ("scout_instance", None),
        ("scout_site_countries", None),
        ("scout_handle_domain", None),
        ("scout_posts", None),
        ("scout_country", None),
        ("scout_country_confidence", 0.0),
        ("scout_country_reasons", None),
        ("scout_name_places", None),
    ):
        Doc.set_extension(name, default=default, force=True)


class _Evidence:
    """Weighted country evidence of one profile, in the order it was found."""

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self.reasons: list[tuple[str, str]] = []  # (country, reason)
        self.seen: set[tuple[str, str]] = set()  # one place counts once per source

    def add(self, code: str, weight: float, reason: str) -> None:
        key = country_code(code) or NON_EU
        self.scores[key] = self.scores.get(key, 0.0) + weight
        self.reasons.append((key, reason))

    def places(self, found: list[PlaceMatch], source: str, city_w: float, country_w: float) -> None:
        for surface, place in found:
            if (source, place.name) in self.seen:
                continue
            self.seen.add((source, place.name))
            if place.kind.startswith("nonEU"):
                self.add(NON_EU, city_w, f"{source}: '{surface}' (outside the EU)")
            else:
                w = country_w if place.kind == "country" else city_w
                self.add(place.country, w, f"{source}: '{surface}' -> {place.country}")

    def flags(self, text: str, source: str, eu_weight: float) -> None:
        for emoji, code in flags(text):
            weight = eu_weight if country_code(code) else WEIGHT_FLAG_NON_EU
            self.add(code, weight, f"{source}: flag {emoji} -> {code}")

    def links(self, text: str, source: str, non_eu: bool, own_site: bool = False) -> None:
        for host, tld in tlds(text):
            if tld in EU_TLDS:
                code = EU_TLDS[tld]
                if own_site and _is_own_site(host, text):
                    self.add(code, WEIGHT_SITE_TLD, f"{source}: website {host} -> {code}")
                    continue
                self.add(code, WEIGHT_LINK_TLD, f"{source}: link {host} -> {code} (weak)")
            elif non_eu and tld in NON_EU_TLDS:
                self.add(
                    NON_EU, WEIGHT_LINK_TLD / 2, f"{source}: link {host} (outside the EU, weak)"
                )

    def decide(self) -> tuple[str | None, float, list[str]]:
        scores = self.scores
        eu = sorted(((s, c) for c, s in scores.items() if c != NON_EU), reverse=True)
        non_eu = scores.get(NON_EU, 0.0)
        all_reasons = [r for _, r in self.reasons]
        if not eu:
            if non_eu:
                return None, 0.0, [*all_reasons, "country unknown: only places outside the EU"]
            return None, 0.0, ["country unknown: no place evidence"]
        best_score, best = eu[0]
        second = eu[1][0] if len(eu) > 1 else 0.0
        if best_score < MIN_SCORE:
            return None, 0.0, [*all_reasons, "country unknown: evidence too weak"]
        if non_eu >= best_score:
            return None, 0.0, [*all_reasons, "country unknown: outside-EU evidence as strong"]
        if second >= best_score:
            return None, 0.0, [*all_reasons, "country unknown: two countries equally likely"]
        total = sum(scores.values())
        confidence = (best_score / total) * (1.0 - math.exp(-best_score / 1.5))
        kept = [r for c, r in self.reasons if c == best]
        return best, round(min(0.97, confidence), 3), kept


class CountryComponent:
    """Member state of the profile in a Doc: reads ``doc._.scout_sections`` (a Doc
    without sections is read as a bio), ``doc._.scout_lang``, ``doc._.scout_instance``,
    ``doc._.scout_site_countries`` (see :func:`nlp.profile.site_countries`),
    ``doc._.scout_handle_domain`` (see :func:`crawler.core.identity.own_handle_domain`),
    ``doc._.scout_posts`` (recent post texts, see :mod:`nlp.post_places`)
    and the text kept by :func:`nlp.phrases.text_doc` (else ``doc.text``); sets ``doc._.scout_country`` (ISO alpha-2 or None),
    ``doc._.scout_country_confidence``, ``doc._.scout_country_reasons`` and
    ``doc._.scout_name_places`` (the places found in the display name)."""

    def __init__(self, nlp: Language, name: str = "scout_country", places_path: str = "") -> None:
        _set_extensions()
        self.nlp = nlp
        self.name = name
        self.gazetteer = Gazetteer(nlp, places_path)
        self.post_places = PostPlaces(nlp, self.gazetteer.places, self.gazetteer.find, text_doc)

    @lru_cache(maxsize=4096)  # noqa: B019 (one component per pipeline, few hosts)
    def instance_country(self, instance: str) -> tuple[str, str] | None:
        """``(member state, why)`` of a Mastodon instance: its ccTLD or geographic TLD
        (``mastodon.pl``, ``mastodon.bayern``), the known instances of
        ``data/lexicons/instances.toml``, or a city its host names (``graz.social``)."""
        host = instance.lower().rstrip(".").split(":")[0]
        tld = host.rsplit(".", 1)[-1]
        if tld in EU_TLDS:
            return EU_TLDS[tld], host
        known = load_instances().get(host)
        if known is not None:
            return (known, f"{host} (known instance)") if known else None
        labels = [p for p in re.split(r"[.\-]", host)[:-1] if len(p) >= 4]
        for label in labels:
            place = self.gazetteer.places.get(_key(label))
            if place is not None and place.kind in ("city", "city_cs"):
                return place.country, f"{host} names {place.name}"
        return None

    def __call__(self, doc: Doc) -> Doc:
        code, confidence, reasons = self.infer(doc)
        set_ext(
            doc,
            scout_country=code,
            scout_country_confidence=confidence,
            scout_country_reasons=reasons,
        )
        return doc

    def infer(self, doc: Doc) -> tuple[str | None, float, list[str]]:
        """``(ISO alpha-2 or None, confidence, reasons)`` without setting them on ``doc``
        (only ``doc._.scout_name_places``)."""
        text: str | None = get_ext(doc, "scout_text")  # from phrases.text_doc: doc.text is rebuilt
        if text is None:
            text = doc.text
        sections: list[tuple[int, int, str]] = get_ext(doc, "scout_sections") or [
            (0, len(text), "bio")
        ]
        ev = _Evidence()
        places = self.gazetteer.find(doc, text)

        def find(start: int, end: int) -> list[PlaceMatch]:
            return [found for a, b, found in places if start <= a and b <= end]

        # Most profiles have no flag and no host name at all: look once, not per section.
        flagged = _FLAG.search(text) is not None
        dotted = "." in text
        fields: list[tuple[int, int, str, str]] = []
        bios: list[tuple[int, int]] = []
        names: list[tuple[int, int]] = []
        for start, end, label in sections:
            if label == "bio":
                bios.append((start, end))
            elif label == "name":
                names.append((start, end))
            else:
                fname = field_name(label)
                if fname is not None:
                    fields.append((min(end, field_value_start(start, label)), end, label, fname))
        # Fields first, then bio and name: the order reasons are read in.
        for start, end, label, fname in fields:
            w = WEIGHT_LOCATION_FIELD if _is_location_field(fname) else WEIGHT_FIELD_PLACE
            if places:
                ev.places(find(start, end), label, w, w)
            if flagged:
                ev.flags(text[start:end], label, WEIGHT_FLAG_BIO)
            if dotted:
                ev.links(text[start:end], label, non_eu=True, own_site=True)
        for start, end in bios:
            if places:
                ev.places(find(start, end), "bio", WEIGHT_BIO_CITY, WEIGHT_BIO_COUNTRY)
            if flagged:
                ev.flags(text[start:end], "bio", WEIGHT_FLAG_BIO)
            if dotted:
                ev.links(text[start:end], "bio", non_eu=False)
        # kept for the scope (nlp.scope.infer_scope reads places in the name)
        name_places = [p for a, b in names for p in find(a, b)] if places else []
        set_ext(doc, scout_name_places=name_places)
        for start, end in names:
            if places:
                ev.places(find(start, end), "name", WEIGHT_NAME_PLACE, WEIGHT_NAME_PLACE)
            if flagged:
                ev.flags(text[start:end], "name", WEIGHT_FLAG_NAME)
        posts: list[str] | None = get_ext(doc, "scout_posts")
        if posts:  # weak, never answers alone (nlp.post_places)
            for code, weight, why in self.post_places.evidence(posts):
                ev.add(code, weight, why)
        instance: str | None = get_ext(doc, "scout_instance")
        official = official_instance(instance)
        if official is not None:  # the EU institutions' server names no member state
            if official.country:
                ev.add(
                    official.country,
                    WEIGHT_OFFICIAL_INSTANCE,
                    f"instance {official.host}: server of {official.operator} "
                    f"-> {official.country}",
                )
        elif instance:
            found = self.instance_country(instance)
            if found:
                code, why = found
                ev.add(code, WEIGHT_INSTANCE_TLD, f"instance {why} -> {code} (weak)")
        domain: str | None = get_ext(doc, "scout_handle_domain")
        tld = domain.rsplit(".", 1)[-1] if domain else ""
        if tld in EU_TLDS:
            code = EU_TLDS[tld]
            ev.add(code, WEIGHT_SITE_TLD, f"handle {domain}: own domain -> {code}")
        elif tld in NON_EU_TLDS:
            ev.add(
                NON_EU, WEIGHT_LINK_TLD / 2, f"handle {domain}: own domain (outside the EU, weak)"
            )
        for host, code in get_ext(doc, "scout_site_countries") or ():
            ev.add(code, WEIGHT_IMPRINT, f"website {host}: imprint address in {code}")
        language: str | None = get_ext(doc, "scout_lang")
        if language and language in LANGUAGE_PRIOR:
            code = LANGUAGE_PRIOR[language]
            ev.add(code, WEIGHT_LANGUAGE, f"language {language} -> {code} (weak)")
        return ev.decide()


@Language.factory("scout_country", default_config={"places_path": ""})
def make_country_component(nlp: Language, name: str, places_path: str) -> CountryComponent:
    """spaCy factory (entry point ``scout_country``)."""
    return CountryComponent(nlp, name=name, places_path=places_path)


@lru_cache(maxsize=1)
def _pipeline() -> Language:
    nlp = spacy.blank("xx")
    nlp.add_pipe("scout_country")
    return cache_tokens(nlp)


def infer_country(
    bio: str | None,
    fields: Iterable[Any] | None,
    display_name: str | None,
    instance: str | None,
    language: str | None,
    posts: Iterable[Any] | None = None,
) -> tuple[str | None, float, list[str]]:
    """(ISO alpha-2 or None, confidence 0..1, reasons) for one profile."""
    nlp = _pipeline()
    text, sections = text_and_sections(display_name, bio, fields)
    doc = text_doc(nlp, text)
    set_ext(
        doc,
        scout_sections=sections,
        scout_instance=instance,
        scout_lang=language,
        scout_posts=list(posts or []),
    )
    component = nlp.get_pipe("scout_country")
    assert isinstance(component, CountryComponent)
    return component.infer(doc)
