"""Level (``scope``) of an organisation or a politician: local, regional, national or
european; ``None`` when the profile does not tell.

Evidence, in this order, the first that answers wins:

1. a level word of ``data/lexicons/scope.toml`` in the display name ("Umweltamt",
   "Landesverband", "Bundesministerium", "MEP"), the longest match at the earliest
   position;
2. a place in the display name (:func:`nlp.country.find_places`): a city makes the account
   local ("Fridays for Future Berlin"), a country national ("Greenpeace Deutschland");
3. a level word in the bio, then in the profile fields (earliest first);
4. for a party without other evidence: national (parties are national unless they say
   otherwise).

People other than politicians and accounts of unknown role get ``None``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.core.vocab import SCOPES
from nlp.lexicon import LEXICON_DIR
from nlp.profile import field_pairs, text_of

_WORD = re.compile(r"[\w'’]+(?:-[\w'’]+)*")
MAX_PHRASE_WORDS = 6


@dataclass(frozen=True)
class ScopeTerms:
    exact: dict[tuple[str, ...], str]  # words -> level
    prefix: list[tuple[tuple[str, ...], str, str]]  # (words before, stem, level)
    suffix: list[tuple[str, tuple[str, ...], str]]  # (stem, words after, level)
    by_prefix: dict[str, list[int]] = field(init=False, repr=False, compare=False)
    by_suffix: dict[str, list[int]] = field(init=False, repr=False, compare=False)
    firsts: frozenset[str] = field(init=False, repr=False, compare=False)
    # word -> term indices: the words of bios repeat, their stems need looking up once
    _cache: dict[tuple[bool, str], list[int]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # Stems indexed by their text, so a word looks up its own prefixes and suffixes
        # (a few dict probes) instead of testing every stem, and phrases by their first
        # word: testing every term at every word was most of the classifier's time.
        by_prefix: dict[str, list[int]] = {}
        for k, (_, stem, _) in enumerate(self.prefix):
            by_prefix.setdefault(stem, []).append(k)
        by_suffix: dict[str, list[int]] = {}
        for k, (stem, _, _) in enumerate(self.suffix):
            by_suffix.setdefault(stem, []).append(k)
        firsts = {words[0] for words in self.exact} | {b[0] for b, _, _ in self.prefix if b}
        object.__setattr__(self, "by_prefix", by_prefix)
        object.__setattr__(self, "by_suffix", by_suffix)
        object.__setattr__(self, "firsts", frozenset(firsts))

    def _terms(self, suffix: bool, word: str) -> list[int]:
        found = self._cache.get((suffix, word))
        if found is None:
            if len(self._cache) > 100_000:
                self._cache.clear()
            index = self.by_suffix if suffix else self.by_prefix
            cuts = (word[-n:] if suffix else word[:n] for n in range(1, len(word) + 1))
            found = sorted(k for cut in cuts for k in index.get(cut, ()))
            self._cache[(suffix, word)] = found
        return found

    def prefix_terms(self, word: str) -> list[int]:
        """Indices of prefix terms whose stem starts ``word``, in file order."""
        return self._terms(False, word)

    def suffix_terms(self, word: str) -> list[int]:
        """Indices of suffix terms whose stem ends ``word``, in file order."""
        return self._terms(True, word)


def _words(text: str) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), m.group(0).lower().replace("’", "'")) for m in _WORD.finditer(text)
    ]


@lru_cache(maxsize=2)
def load_scope_terms(path: str = "") -> ScopeTerms:
    """``data/lexicons/scope.toml``: level -> terms ("*" marks a word start or end)."""
    file = Path(path) if path else LEXICON_DIR / "scope.toml"
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    exact: dict[tuple[str, ...], str] = {}
    prefix: list[tuple[tuple[str, ...], str, str]] = []
    suffix: list[tuple[str, tuple[str, ...], str]] = []
    for level in SCOPES:
        for term in data.get(level, []):
            text = str(term).lower()
            words = tuple(w for _, _, w in _words(text))
            if not words:
                continue
            if text.endswith("*"):
                prefix.append((words[:-1], words[-1], level))
            elif text.startswith("*"):
                suffix.append((words[0], words[1:], level))
            else:
                exact.setdefault(words, level)
    return ScopeTerms(exact, prefix, suffix)


def find_levels(text: str, terms: ScopeTerms | None = None) -> list[tuple[int, str, str]]:
    """Level words in ``text`` as ``(start_char, surface, level)``, earliest first; at
    each word the longest match wins (an exact phrase over a word stem)."""
    terms = terms or load_scope_terms()
    words = _words(text)
    found: list[tuple[int, str, str]] = []
    i = 0
    while i < len(words):
        best: tuple[int, int, str] | None = None  # (words covered, strength, level)

        def offer(n: int, strength: int, level: str) -> None:
            nonlocal best
            if best is None or (n, strength) > best[:2]:
                best = (n, strength, level)

        starts = words[i][2] in terms.firsts
        if starts:
            for n in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                level = terms.exact.get(tuple(w for _, _, w in words[i : i + n]))
                if level:
                    offer(n, 100, level)
                    break
        # a stem preceded by words: the stem is the last word of the match
        candidates = [
            (t, n)
            for n in range(1, min(MAX_PHRASE_WORDS, len(words) - i) + 1)
            if n == 1 or starts
            for t in terms.prefix_terms(words[i + n - 1][2])
            if len(terms.prefix[t][0]) == n - 1
        ]
        for t, n in sorted(candidates):
            before, stem, level = terms.prefix[t]
            if all(words[i + k][2] == w for k, w in enumerate(before)):
                offer(n, len(stem), level)
        for t in terms.suffix_terms(words[i][2]):
            stem, after, level = terms.suffix[t]
            n = len(after) + 1
            if i + n <= len(words):
                if all(words[i + 1 + k][2] == w for k, w in enumerate(after)):
                    offer(n, len(stem), level)
        if best is None:
            i += 1
            continue
        n, _, level = best
        start, end = words[i][0], words[i + n - 1][1]
        found.append((start, text[start:end], level))
        i += n
    return found


def infer_scope(
    role: str | None,
    org_type: str | None,
    display_name: Any,
    bio: Any,
    fields: Iterable[Any] | None = None,
    name_places: list[Any] | None = None,
) -> tuple[str | None, str]:
    """``(scope or None, reason)`` for a classified profile (see the module docstring).
    ``name_places``: the places of the display name when the caller has them already
    (``doc._.scout_name_places`` of the country component), else they are looked up."""
    if role not in ("organization", "politician"):
        return None, ""
    name = text_of(display_name)
    found = find_levels(name)
    if found:
        _, surface, level = found[0]
        return level, f"scope {level}: name '{surface}'"
    if role == "organization":
        if name_places is None:
            from nlp.country import find_places

            name_places = find_places(name)
        for surface, place in name_places:
            if place.kind.startswith("nonEU"):
                continue
            level = "national" if place.kind == "country" else "local"
            what = "country" if place.kind == "country" else "city"
            return level, f"scope {level}: name names the {what} '{surface}'"
    for source, text in [("bio", text_of(bio))] + [
        (f"field {n}", v) for n, v in field_pairs(fields)
    ]:
        found = find_levels(text)
        if found:
            _, surface, level = found[0]
            return level, f"scope {level}: {source} '{surface}'"
    if org_type == "party":
        return "national", "scope national: a party without a local or regional marker"
    return None, ""
