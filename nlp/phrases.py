"""What the gazetteer and the stance markers share on top of spaCy's matchers.

spaCy's tokenizer splits at inner hyphens and before clitics ("Berlin-Mitte" ->
``Berlin - Mitte``, "Vienna's" -> ``Vienna 's``), while a place or a marker names a
whole word: :func:`whole_word` rejects a match glued to the word around it. Matches
are then taken longest first, left to right, without overlaps (:func:`longest_first`).
Those checks read the text around a match: :func:`text_doc` keeps the text a Doc was
made from in ``doc._.scout_text`` and :func:`doc_text` reads it back, because spaCy's
``doc.text`` joins the tokens anew on every access (half the cost of a component).

Speed (Issue 8, ``python -m bench.classify_throughput``): the components read and set
their Doc extensions with :func:`get_ext` / :func:`set_ext` (the values ``doc._`` reads,
without its per-access object) and pipelines that tokenise profile texts call
:func:`cache_tokens`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

T = TypeVar("T")

# Characters of a word (besides \w): apostrophes, straight and typographic.
APOSTROPHES = "'’"
TEXT_EXTENSION = "scout_text"
# Distinct whitespace-separated chunks spaCy's tokenizer keeps (its default: 10,000,
# filled by the lexicon patterns when a pipeline is built; a crawl sees more words).
TOKENIZER_CACHE_CHUNKS = 100_000

if not Doc.has_extension(TEXT_EXTENSION):
    Doc.set_extension(TEXT_EXTENSION, default=None)


# A word of a gazetteer name or lexicon key: letters, digits and apostrophes, joined by
# inner hyphens and dots ("saint-étienne", "st.pauli").
_KEY_WORD = re.compile(r"[\w'’]+(?:[-.][\w'’]+)*")


def key_words(text: str) -> list[str]:
    """The lower-case words of ``text`` as names are keyed (typographic apostrophes
    straight): ``" ".join(key_words(name))`` is a gazetteer key."""
    return _KEY_WORD.findall(text.lower().replace("’", "'"))


def text_doc(nlp: Language, text: str) -> Doc:
    """``nlp.make_doc(text)`` that remembers ``text`` for :func:`doc_text`."""
    doc = nlp.make_doc(text)
    set_ext(doc, scout_text=text)
    return doc


_UNSET = object()


def get_ext(doc: Doc, name: str) -> Any:
    """``doc._.<name>`` of an extension with a plain default (no getter, setter or
    method; not a list, dict or set), None when it is not registered. spaCy builds an
    ``Underscore`` object on every ``doc._`` and each access goes through it: a dozen
    of those per profile and component were a tenth of the classifier's time. This
    reads the same store (``doc.user_data``) directly; tests/test_nlp_speed.py checks
    that both ways agree."""
    # the key spaCy's Underscore keeps a Doc's value under (a call less when inline)
    data: dict[Any, Any] = doc.user_data  # typed dict[str, Any]; the keys are tuples
    value = data.get(("._.", name, None, None), _UNSET)
    if value is _UNSET:
        registered = Doc.get_extension(name)
        return None if registered is None else registered[0]
    return value


def set_ext(doc: Doc, **values: Any) -> None:
    """``doc._.<name> = value`` for each item of ``values`` (registered extensions with
    a plain default, see :func:`get_ext`)."""
    data: dict[Any, Any] = doc.user_data
    for name, value in values.items():
        data[("._.", name, None, None)] = value


def cache_tokens(nlp: Language) -> Language:
    """Let ``nlp``'s tokenizer cache every chunk of a profile text; same tokens.

    spaCy's tokenizer keeps the tokens of each whitespace-separated chunk, but once a
    special case matched in a text it caches nothing more of that text (its guard for
    spaCy issue #1250). A line break between the name, the bio and the fields is such
    a special case (``{ORTH: "\\n"}``), so every bio was tokenised afresh: 90% of the
    tokenizer's time. The rules for a lone space, tab or line break only say "this
    chunk is one token, itself", which is what the tokenizer makes of them without a
    rule (tests/test_nlp_speed.py compares both on real profiles): dropping them keeps
    every token and lets the cache work. Setting the rules also empties the cache of
    the lexicon patterns tokenised while the pipeline was built."""
    tokenizer = nlp.tokenizer
    if not isinstance(tokenizer, Tokenizer):  # a custom one: leave it alone
        return nlp
    tokenizer.rules = {
        key: rule
        for key, rule in tokenizer.rules.items()
        if not (key.isspace() and rule == [{ORTH: key}])
    }
    tokenizer.max_cache_size = max(tokenizer.max_cache_size, TOKENIZER_CACHE_CHUNKS)
    return nlp


def doc_text(doc: Doc) -> str:
    """The text of ``doc``: the one :func:`text_doc` kept, else spaCy's ``doc.text``."""
    text: str | None = get_ext(doc, TEXT_EXTENSION)
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
    """One pattern Doc per distinct tokenization of each spelling, for a matcher on
    ``LOWER``: a typographic apostrophe is also tried as a straight one and the other way
    round, and a spelling with punctuation in capitals too, where the tokenizer splits it
    otherwise (lower-case "s.a." is two tokens, "S.A." one: the lower-case pattern alone
    never matched a company's "S.A.")."""
    spellings: dict[str, None] = {}
    for text in texts:
        for spelling in (text, text.replace("’", "'"), text.replace("'", "’")):
            spellings[spelling] = None
            if not all(c.isalnum() or c.isspace() for c in spelling):
                spellings[spelling.upper()] = None  # case changes only where punctuation
    out: dict[tuple[str, ...], Doc] = {}
    for t in spellings:
        if t.strip():
            doc = nlp.make_doc(t)
            out.setdefault(tuple(tok.lower_ for tok in doc), doc)
    return list(out.values())
