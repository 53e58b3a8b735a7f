"""Lexicon terms written without their accents where that is the convention.

Words in capitals drop their accents ("ΕΝΩΣΗ" for "Ένωση", "UNIVERSITE" for
"Université": Greek capitals never carry the tonos, French ones often lack theirs), and
Greek is commonly typed without its tonos in any case ("μη κερδοσκοπικη οργανωση").
:class:`UnaccentedTerms` finds the lexicon's accented terms written that way; every word
of a match must be in capitals or Greek, so lower-case Latin is not stretched ("elu" is
not "élu"). The ``scout_roles`` component adds these spans to its PhraseMatcher's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from spacy.attrs import IS_ASCII, IS_UPPER, LENGTH
from spacy.tokens import Doc

from crawler.core.text import fold
from nlp.phrases import doc_text

_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")


@lru_cache(maxsize=100_000)
def _fold_word(word: str) -> str:
    return fold(word)


class UnaccentedTerms:
    """Accented terms by their accent-free words; :meth:`spans` finds them in a Doc."""

    def __init__(self, terms: Iterable[tuple[str, Doc]]) -> None:
        self.by_words: dict[tuple[str, ...], str] = {}
        for text, doc in terms:
            folded = tuple(fold(t.text) for t in doc)
            if folded != tuple(t.lower_ for t in doc):  # a term with accents
                self.by_words.setdefault(folded, text)
        self.longest = max((len(k) for k in self.by_words), default=0)
        self.first = {k[0] for k in self.by_words}

    def spans(self, doc: Doc) -> list[tuple[int, int, str]]:
        """``(start token, end token, term text)``, the longest term at each start."""
        if not self.by_words:
            return []
        # capitals of two letters or more, read as arrays (no Token objects); Greek words
        # among the non-ASCII ones, only where the text has Greek at all
        upper, length, ascii_ = doc.to_array([IS_UPPER, LENGTH, IS_ASCII]).T
        ok = (upper == 1) & (length > 1)
        if _GREEK.search(doc_text(doc)) is not None:
            for i in np.flatnonzero((ascii_ == 0) & ~ok).tolist():
                ok[i] = _GREEK.search(doc[i].text) is not None
        candidates = np.flatnonzero(ok)
        if not len(candidates):
            return []
        out: list[tuple[int, int, str]] = []
        for i in candidates.tolist():
            if _fold_word(doc[i].text) not in self.first:
                continue
            n = 1
            while n < self.longest and i + n < len(doc) and ok[i + n]:
                n += 1
            words = [_fold_word(doc[k].text) for k in range(i, i + n)]
            for j in range(n, 0, -1):  # longest first
                text = self.by_words.get(tuple(words[:j]))
                if text is not None:
                    out.append((i, i + j, text))
                    break
        return out
