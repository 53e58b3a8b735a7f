"""Stance of an account's posts toward a campaign: supports, neutral or opposes.

Only posts that mention the campaign are read when the campaign gives any hashtags or
keywords (decided by :class:`crawler.core.matching.CampaignMatcher`, the project's one
matching rule); a call to sign in such a post is support, an explicit opposition marker
("Unsinn", "don't sign", "stop #tag") is opposition, and a post with neither is
news-like and neutral.  Markers for the 24 EU languages are in
``data/lexicons/stance.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from crawler.core.matching import CampaignMatcher
from nlp.lexicon import LEXICON_DIR
from nlp.phrases import doc_text, longest_first, pattern_docs, text_doc, whole_word

WEIGHTS = {"support": 1.0, "oppose": 1.0, "oppose_weak": 0.5}
THRESHOLD = 0.2
MAX_REASONS = 6


@dataclass(frozen=True)
class Marker:
    kind: str  # support | oppose | oppose_weak
    text: str
    lang: str


@dataclass(frozen=True)
class StanceLexicon:
    phrases: dict[str, Marker]  # words joined by one space -> marker
    stems: dict[str, Marker]  # "jetzt unterschreib" ("jetzt unterschreib*") -> marker


# Words as the markers are written: letters, digits, apostrophes and inner hyphens.
_WORD = re.compile(r"[\w'’]+(?:-[\w'’]+)*")


def _words(text: str) -> str:
    return " ".join(w.replace("’", "'") for w in _WORD.findall(text.lower()))


@lru_cache(maxsize=2)
def load_stance_lexicon(path: str = "") -> StanceLexicon:
    """``data/lexicons/stance.toml``: the first form of a phrase wins, and opposition is
    read first, so "don't sign" stays opposition."""
    file = Path(path) if path else LEXICON_DIR / "stance.toml"
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    phrases: dict[str, Marker] = {}
    stems: dict[str, Marker] = {}
    for kind in ("oppose", "oppose_weak", "support"):
        for lang, forms in sorted(data.get(kind, {}).items()):
            for form in forms:
                text = str(form).lower()
                words = _words(text)
                if words:
                    bucket = stems if text.endswith("*") else phrases
                    bucket.setdefault(words, Marker(kind, text, lang))
    return StanceLexicon(phrases, stems)


def _set_extensions() -> None:
    Doc.set_extension("scout_stance_markers", default=None, force=True)


class StanceComponent:
    """Stance markers of a post: sets ``doc._.scout_stance_markers`` to
    ``[(phrase as written, Marker), ...]``, longest phrase first at each word, without
    overlaps; a word right after "#" or "@" (a hashtag, a mention) is never a marker."""

    def __init__(self, nlp: Language, name: str = "scout_stance", lexicon_path: str = "") -> None:
        _set_extensions()
        self.name = name
        self.lexicon = load_stance_lexicon(lexicon_path)
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.stems = Matcher(nlp.vocab)
        self._marker: dict[int, tuple[Marker, int]] = {}  # match id -> (marker, priority)
        for words, marker in self.lexicon.phrases.items():
            key = f"scout_stance::{words}"
            self._marker[nlp.vocab.strings.add(key)] = (marker, 0)
            self.phrases.add(key, pattern_docs(nlp, [words]))
        for words, marker in self.lexicon.stems.items():
            *before, stem = words.split(" ")
            # A stem matches the start of a token; a longer stem is the closer form.
            pattern: list[dict[str, Any]] = [
                {"LOWER": t.lower_} for w in before for t in nlp.make_doc(w)
            ]
            pattern.append({"LOWER": {"REGEX": f"^{re.escape(stem)}"}})
            key = f"scout_stance_stem::{words}"
            self._marker[nlp.vocab.strings.add(key)] = (marker, 1000 - len(stem))
            self.stems.add(key, [pattern])

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        candidates = []
        for match_id, start, end in [*self.phrases(doc), *self.stems(doc)]:
            marker, priority = self._marker[match_id]
            last = doc[end - 1]
            a, b = doc[start].idx, last.idx + len(last)
            if whole_word(text, a, b, before="#@-", open_end=priority > 0):
                candidates.append((start, end, priority, (_words(text[a:b]), marker)))
        doc._.scout_stance_markers = [found for _, _, found in longest_first(candidates)]
        return doc


@Language.factory("scout_stance", default_config={"lexicon_path": ""})
def make_stance_component(nlp: Language, name: str, lexicon_path: str) -> StanceComponent:
    """spaCy factory (entry point ``scout_stance``)."""
    return StanceComponent(nlp, name=name, lexicon_path=lexicon_path)


@lru_cache(maxsize=1)
def _pipeline() -> Language:
    nlp = spacy.blank("xx")
    nlp.add_pipe("scout_stance")
    return nlp


def find_markers(text: str) -> list[tuple[str, Marker]]:
    """The stance markers in ``text`` as ``(phrase, Marker)``."""
    nlp = _pipeline()
    markers: list[tuple[str, Marker]] = nlp(text_doc(nlp, text))._.scout_stance_markers
    return markers


# "stop #tag", "no to tag", "nein zu #tag" ... and the glued "#StopTag" forms.
_ANTI_WORDS = (
    r"stop|stopp|stoppt|no\s+to|say\s+no\s+to|nein\s+zu[rm]?|non\s+à|no\s+a[l]?|"
    r"nee\s+tegen|nie\s+dla"
)


def _anti_pattern(matcher: CampaignMatcher) -> re.Pattern[str] | None:
    """Opposition to the campaign by name: 'stop #tag', '#StopTag', 'nein zu tag'."""
    names = "|".join(re.escape(n) for n in [*sorted(matcher.tags), *matcher.keywords])
    if not names:
        return None
    return re.compile(
        rf"(?<!\w)(?:{_ANTI_WORDS})\s+#?(?:{names})(?!\w)"
        rf"|#(?:stop|no|nein|non)(?:{names})(?!\w)",
        re.IGNORECASE,
    )


def score_stance(
    texts: list[str],
    hashtags: Iterable[str] = (),
    keywords: Iterable[str] = (),
    *,
    matcher: CampaignMatcher | None = None,
) -> tuple[str, float, list[str]]:
    """(``supports`` | ``neutral`` | ``opposes``, score in -1..1, reasons).

    Campaign posts are the texts ``matcher`` (default: one built from ``hashtags`` and
    ``keywords``) matches; a campaign without terms makes every post count.
    """
    campaign = matcher if matcher is not None else CampaignMatcher(hashtags, keywords)
    anti_pattern = _anti_pattern(campaign)
    relevant = 0
    total = 0.0
    reasons: list[str] = []
    posts = [
        (idx, text)
        for idx, text in enumerate(texts)
        if text and (not campaign or campaign.matches_text(text))
    ]
    nlp = _pipeline()
    docs = nlp.pipe(text_doc(nlp, text) for _, text in posts)
    for (idx, text), doc in zip(posts, docs, strict=True):
        relevant += 1
        post_score = 0.0
        notes: list[str] = []
        found = anti_pattern.search(text) if anti_pattern else None
        anti = found.group(0) if found else None
        if anti:
            post_score -= WEIGHTS["oppose"]
            notes.append(f"'{anti}' (opposition)")
        support = oppose = weak = 0.0
        seen: set[str] = set()
        for phrase, marker in doc._.scout_stance_markers:
            if marker.text in seen:
                continue
            seen.add(marker.text)
            if marker.kind == "support":
                support = max(support, WEIGHTS["support"])
            elif marker.kind == "oppose":
                oppose = max(oppose, WEIGHTS["oppose"])
            else:
                weak = max(weak, WEIGHTS["oppose_weak"])
            label = {"support": "call to sign/support", "oppose": "opposition"}.get(
                marker.kind, "weak opposition"
            )
            notes.append(f"'{phrase}' ({label}, {marker.lang})")
        # A call to sign outweighs an "against" that names what the campaign opposes.
        if support and not oppose and not anti:
            weak = 0.0
        post_score += support - oppose - weak
        post_score = max(-1.0, min(1.0, post_score))
        total += post_score
        if notes and len(reasons) < MAX_REASONS:
            reasons.append(f"post {idx + 1}: " + ", ".join(notes))
    if relevant == 0:
        return "neutral", 0.0, ["no post mentions the campaign"]
    score = round(max(-1.0, min(1.0, total / relevant)), 3)
    if score >= THRESHOLD:
        label = "supports"
    elif score <= -THRESHOLD:
        label = "opposes"
    else:
        label = "neutral"
    if not reasons:
        reasons.append(f"{relevant} campaign post(s) without a call to sign or opposition")
    return label, score, reasons
