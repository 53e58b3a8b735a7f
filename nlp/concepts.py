"""Cross-lingual concept counts of a text (``data/lexicons/concepts.toml``).

A character n-gram model shares nothing between "dentists", "Zahnärzte" and
"dentistes"; the learned org-type combiner (:mod:`nlp.stacking`) reads how many words of
each concept a profile has instead: ``business`` (companies, manufacturers, industry,
SMEs: a trade association's members) and ``profession`` (doctors, notaries, engineers,
farmers: a professional body's members).  A word counts once when it starts with one of
the concept's stems, in any of the 24 EU languages.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from nlp.lexicon import LEXICON_DIR

CONCEPTS_FILE = "concepts.toml"
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
CACHE_WORDS = 100_000


class ConceptCounter:
    """Counts per concept (in ``names`` order) of the words of a text."""

    def __init__(self, stems: dict[str, set[str]]) -> None:
        self.names = tuple(sorted(stems))
        self._stems = [frozenset(stems[n]) for n in self.names]
        self._lengths = sorted({len(s) for group in self._stems for s in group})
        self._cache: dict[str, tuple[int, ...]] = {}

    def _word(self, word: str) -> tuple[int, ...]:
        hit = self._cache.get(word)
        if hit is None:
            prefixes = {word[:n] for n in self._lengths if n <= len(word)}
            hit = tuple(int(not prefixes.isdisjoint(group)) for group in self._stems)
            if len(self._cache) >= CACHE_WORDS:
                self._cache.clear()
            self._cache[word] = hit
        return hit

    def counts_for(self, text: str, names: tuple[str, ...]) -> tuple[int, ...]:
        """The counts of ``names`` (0 for a concept this file lacks)."""
        got = dict(zip(self.names, self.counts(text), strict=True))
        return tuple(got.get(n, 0) for n in names)

    def counts(self, text: str) -> tuple[int, ...]:
        total = [0] * len(self.names)
        for word in _WORD.findall(text.lower()):
            for i, v in enumerate(self._word(word)):
                total[i] += v
        return tuple(total)


def load_concepts(path: str | Path = "") -> ConceptCounter:
    file = Path(path) if path else LEXICON_DIR / CONCEPTS_FILE
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    stems: dict[str, set[str]] = {}
    for name, by_lang in data["concepts"].items():
        stems[name] = {s.lower() for words in by_lang.values() for s in words}
    return ConceptCounter(stems)


@lru_cache(maxsize=1)
def default_concepts() -> ConceptCounter:
    return load_concepts()
