"""Member state of an account: places, flags, link and instance TLDs, language prior.

Evidence is weighted and summed per country; a country is returned only when the sum
reaches :data:`MIN_SCORE` and beats any non-EU evidence ("London", 🇺🇸) — weak hints
alone (a ``.de`` link, Polish posts) give ``None`` rather than a guess.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.lexicon import LEXICON_DIR

EU_COUNTRIES: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
NON_EU = "--"
# Country-code TLDs of the member states (Greece: .gr, ISO GR).
EU_TLDS: dict[str, str] = {c.lower(): c for c in EU_COUNTRIES}
NON_EU_TLDS: frozenset[str] = frozenset({"uk", "us", "ch", "no", "ca", "au", "ru", "ua", "tr"})
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
WEIGHT_INSTANCE_TLD = 0.6
WEIGHT_LANGUAGE = 0.8
MIN_SCORE = 1.0

_WORD = re.compile(r"[\w'’]+(?:[-.][\w'’]+)*")
_FLAG = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}")
_HOST = re.compile(
    r"(?:https?://)?(?<![@\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24}))"
    r"(?=[/:\s]|$)",
    re.IGNORECASE,
)
MAX_NGRAM = 4


@dataclass(frozen=True)
class Place:
    name: str
    country: str  # ISO alpha-2, or "--" for a non-EU place
    kind: str  # country | city | city_cs (case-sensitive: Nice, Split, Porto) | nonEU


def _key(text: str) -> str:
    return " ".join(m.group(0) for m in _WORD.finditer(text.lower())).replace("’", "'")


@lru_cache(maxsize=2)
def load_places(path: str = "") -> dict[str, Place]:
    """``data/lexicons/places.tsv`` keyed by normalised lower-case name."""
    file = Path(path) if path else LEXICON_DIR / "places.tsv"
    out: dict[str, Place] = {}
    with file.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            place = Place(row["name"], row["country"], row["kind"])
            out[_key(place.name)] = place
    return out


@lru_cache(maxsize=2)
def _first_words(path: str = "") -> frozenset[str]:
    return frozenset(key.split(" ", 1)[0] for key in load_places(path))


def find_places(text: str) -> list[tuple[str, Place]]:
    """Longest-first gazetteer matches in ``text`` as ``(surface, Place)``."""
    places = load_places()
    first = _first_words()
    words = list(_WORD.finditer(text))
    found: list[tuple[str, Place]] = []
    i = 0
    while i < len(words):
        if words[i].group(0).lower().replace("’", "'") not in first:
            i += 1
            continue
        for n in range(min(MAX_NGRAM, len(words) - i), 0, -1):
            chunk = words[i : i + n]
            # Only words separated by spaces or commas-free gaps form one name.
            gaps = [text[a.end() : b.start()] for a, b in zip(chunk, chunk[1:], strict=False)]
            if any(g.strip() not in {"", "."} for g in gaps):
                continue
            surface = text[chunk[0].start() : chunk[-1].end()]
            place = places.get(_key(surface))
            if place is None:
                continue
            if place.kind == "city_cs" and not surface[:1].isupper():
                continue
            found.append((surface, place))
            i += n - 1
            break
        i += 1
    return found


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
    return [(m.group(1).lower(), m.group(2).lower()) for m in _HOST.finditer(text)]


def _field_pairs(fields: Iterable[Any] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for f in fields or []:
        if isinstance(f, Mapping):
            name, value = f.get("name"), f.get("value")
        else:
            name, value = getattr(f, "name", None), getattr(f, "value", None)
        out.append((str(name or ""), str(value or "")))
    return out


def infer_country(
    bio: str | None,
    fields: Iterable[Any] | None,
    display_name: str | None,
    instance: str | None,
    language: str | None,
) -> tuple[str | None, float, list[str]]:
    """(ISO alpha-2 or None, confidence 0..1, reasons) for one profile."""
    scores: dict[str, float] = {}
    reasons: list[tuple[str, str]] = []  # (country, reason)

    def add(code: str, weight: float, reason: str) -> None:
        key = code if code in EU_COUNTRIES else NON_EU
        scores[key] = scores.get(key, 0.0) + weight
        reasons.append((key, reason))

    bio = bio or ""
    display_name = display_name or ""
    seen: set[tuple[str, str]] = set()  # one place counts once per source

    def places_in(text: str, source: str, city_w: float, country_w: float) -> None:
        for surface, place in find_places(text):
            if (source, place.name) in seen:
                continue
            seen.add((source, place.name))
            if place.kind == "nonEU":
                add(NON_EU, city_w, f"{source}: '{surface}' (outside the EU)")
            else:
                w = country_w if place.kind == "country" else city_w
                add(place.country, w, f"{source}: '{surface}' -> {place.country}")

    for name, value in _field_pairs(fields):
        label = f"field {name}" if name else "field"
        if _key(name) in LOCATION_FIELD_NAMES or name.strip().lower() in LOCATION_FIELD_NAMES:
            places_in(value, label, WEIGHT_LOCATION_FIELD, WEIGHT_LOCATION_FIELD)
        else:
            places_in(value, label, WEIGHT_FIELD_PLACE, WEIGHT_FIELD_PLACE)
        for emoji, code in flags(value):
            add(
                code,
                WEIGHT_FLAG_BIO if code in EU_COUNTRIES else WEIGHT_FLAG_NON_EU,
                f"{label}: flag {emoji} -> {code}",
            )
        for host, tld in tlds(value):
            if tld in EU_TLDS:
                add(EU_TLDS[tld], WEIGHT_LINK_TLD, f"{label}: link {host} -> {EU_TLDS[tld]} (weak)")
            elif tld in NON_EU_TLDS:
                add(NON_EU, WEIGHT_LINK_TLD / 2, f"{label}: link {host} (outside the EU, weak)")

    places_in(bio, "bio", WEIGHT_BIO_CITY, WEIGHT_BIO_COUNTRY)
    for emoji, code in flags(bio):
        add(
            code,
            WEIGHT_FLAG_BIO if code in EU_COUNTRIES else WEIGHT_FLAG_NON_EU,
            f"bio: flag {emoji} -> {code}",
        )
    for host, tld in tlds(bio):
        if tld in EU_TLDS:
            add(EU_TLDS[tld], WEIGHT_LINK_TLD, f"bio: link {host} -> {EU_TLDS[tld]} (weak)")

    places_in(display_name, "name", WEIGHT_NAME_PLACE, WEIGHT_NAME_PLACE)
    for emoji, code in flags(display_name):
        add(
            code,
            WEIGHT_FLAG_NAME if code in EU_COUNTRIES else WEIGHT_FLAG_NON_EU,
            f"name: flag {emoji} -> {code}",
        )

    if instance:
        host = instance.lower().rstrip(".").split(":")[0]
        tld = host.rsplit(".", 1)[-1]
        if tld in EU_TLDS:
            add(EU_TLDS[tld], WEIGHT_INSTANCE_TLD, f"instance {host} -> {EU_TLDS[tld]} (weak)")
    if language and language in LANGUAGE_PRIOR:
        code = LANGUAGE_PRIOR[language]
        add(code, WEIGHT_LANGUAGE, f"language {language} -> {code} (weak)")

    eu = sorted(((s, c) for c, s in scores.items() if c != NON_EU), reverse=True)
    non_eu = scores.get(NON_EU, 0.0)
    all_reasons = [r for _, r in reasons]
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
    kept = [r for c, r in reasons if c == best]
    return best, round(min(0.97, confidence), 3), kept
