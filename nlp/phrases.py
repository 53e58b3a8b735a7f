"""What the gazetteer and the stance markers share on top of spaCy's matchers.

spaCy's tokenizer splits at inner hyphens and before clitics ("Berlin-Mitte" ->
``Berlin - Mitte``, "Vienna's" -> ``Vienna 's``), while a place or a marker names a
whole word: :func:`whole_word` rejects a match glued to the word around it. Matches
are then taken longest first, left to right, without overlaps (:func:`longest_first`).
Those checks read the text around a match: :func:`text_doc` keeps the text a Doc was
made from in ``doc._.scout_text`` and :func:`doc_text` reads it back, because spaCy's
``doc.text`` joins the tokens anew on every access (half the cost of a component).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from spacy.language import Language
from spacy.tokens import Doc

T = TypeVar("T")

# Characters of a word (besides \w): apostrophes, straight and typographic.
APOSTROPHES = "'’"
TEXT_EXTENSION = "scout_text"

if not Doc.has_extension(TEXT_EXTENSION):
    Doc.set_extension(TEXT_EXTENSION, default=None)


def text_doc(nlp: Language, text: str) -> Doc:
    """``nlp.make_doc(text)`` that remembers ``text`` for :func:`doc_text`."""
    doc = nlp.make_doc(text)
    doc._.scout_text = text
    return doc


def doc_text(doc: Doc) -> str:
    """The text of ``doc``: the one :func:`text_doc` kept, else spaCy's ``doc.text``."""
    text: str | None = doc._.scout_text
    return doc.text if text is None else text


def _wordy(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch in APOSTROPHES


def whole_word(
    text: str, start: int, end: int, joiners: str = "-", before: str = "", open_end: bool = False
) -> bool:
    """Is ``text[start:end]`` a run of whole words? Not when a letter, digit or
    apostrophe touches it, nor a joiner (``-``) followed/preceded by one; ``before``
    lists more characters that may not precede it (``#@`` for hashtags and mentions);
    ``open_end`` lets the last word go on (a word stem)."""
    if start > 0:
        prev = text[start - 1]
        if _wordy(prev) or prev in before:
            return False
        if prev in joiners and start > 1 and _wordy(text[start - 2]):
            return False
    if not open_end and end < len(text):
        nxt = text[end]
        if _wordy(nxt):
            return False
        if nxt in joiners and end + 1 < len(text) and _wordy(text[end + 1]):
            return False
    return True


def longest_first(candidates: Iterable[tuple[int, int, int, T]]) -> list[tuple[int, int, T]]:
    """``(start, end, priority, value)`` -> ``(start, end, value)`` without overlaps: at
    each start the longest match wins, then the lowest priority; scanning goes left to
    right (what a reader takes for the phrase)."""
    out: list[tuple[int, int, T]] = []
    last_end = -1
    ordered = sorted(candidates, key=lambda c: (c[0], c[0] - c[1], c[2]))
    for start, end, _, value in ordered:
        if start >= last_end:
            out.append((start, end, value))
            last_end = end
    return out


def pattern_docs(nlp: Language, texts: Iterable[str]) -> list[Doc]:
    """One pattern Doc per distinct spelling; a typographic apostrophe is also tried as
    a straight one and the other way round."""
    spellings: dict[str, None] = {}
    for text in texts:
        spellings[text] = None
        spellings[text.replace("’", "'")] = None
        spellings[text.replace("'", "’")] = None
    return [nlp.make_doc(t) for t in spellings if t.strip()]
