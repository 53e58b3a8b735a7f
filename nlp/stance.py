"""Stance of an account's posts toward a campaign: supports, neutral or opposes.

Only posts that mention the campaign are read when the campaign gives any hashtags or
keywords (decided by :class:`crawler.core.matching.CampaignMatcher`, the project's one
matching rule); a call to sign in such a post is support, an explicit opposition marker
("Unsinn", "Jobkiller", "tuer des emplois", "stop #tag") is opposition, a call to sign
after a negator ("nicht unterschreiben", "don't sign") is opposition, one in an ironic
post ("/s", 🙄, "yeah right") weak opposition, and a post with none of them is
news-like and neutral.  :func:`decide_stance` also names the post that decided, quoted
with its URL.  Markers, negators and irony markers for the 24 EU languages are in
``data/lexicons/stance.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    negators: dict[str, frozenset[str]] = field(default_factory=dict)  # lang -> words
    irony: tuple[str, ...] = ()  # phrases, emoji and tags, any language


# Languages that put the negation after the verb ("unterschreibt nicht", "teken niet").
NEGATION_AFTER: frozenset[str] = frozenset({"de", "nl", "sv", "da"})
# ... unless a "forget" follows: "Unterschreiben nicht vergessen!" is a call to sign.
_FORGET = frozenset({"vergessen", "vergeten", "glöm", "glömma", "glem", "glemme", "verpassen"})


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
    negators = {
        lang: frozenset(_words(str(w)) for w in forms)
        for lang, forms in data.get("negation", {}).items()
    }
    irony = tuple(str(f).lower() for forms in data.get("irony", {}).values() for f in forms)
    return StanceLexicon(phrases, stems, negators, irony)


def _set_extensions() -> None:
    Doc.set_extension("scout_stance_markers", default=None, force=True)
    Doc.set_extension("scout_stance_spans", default=None, force=True)


class StanceComponent:
    """Stance markers of a post: sets ``doc._.scout_stance_markers`` to
    ``[(phrase as written, Marker), ...]``, longest phrase first at each word, without
    overlaps; a word right after "#" or "@" (a hashtag, a mention) is never a marker.
    ``doc._.scout_stance_spans`` has the same markers with their character offsets as
    ``(start_char, end_char, phrase, Marker)``."""

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
                candidates.append((start, end, priority, (a, b, _words(text[a:b]), marker)))
        spans = [found for _, _, found in longest_first(candidates)]
        ext = doc._
        ext.scout_stance_spans = spans
        ext.scout_stance_markers = [(phrase, marker) for _, _, phrase, marker in spans]
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


@dataclass(frozen=True)
class Stance:
    """An account's stance toward a campaign, with the post that decided it."""

    label: str  # supports | neutral | opposes
    score: float  # -1..1
    reasons: list[str]
    post_index: int | None = None  # index into the texts given; None: no deciding post
    evidence: str | None = None  # that post, quoted (whitespace collapsed, shortened)
    url: str | None = None  # that post's URL, when given


QUOTE_CHARS = 200


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _negated(text: str, a: int, b: int, lang: str, lexicon: StanceLexicon) -> str | None:
    """The negator that turns the call to sign at ``text[a:b]`` into its opposite:
    the word right before it ("don't sign", "ne signez", "non firmate") or, in
    :data:`NEGATION_AFTER` languages, right after it ("unterschreibt nicht")."""
    negators = lexicon.negators.get(lang, frozenset())
    before = _words(text[max(0, a - 40) : a]).split()
    for n in (2, 1):  # "do not sign", then "not sign"
        if len(before) >= n and " ".join(before[-n:]) in negators:
            return " ".join(before[-n:])
    if lang in NEGATION_AFTER:
        after = _words(text[b : b + 40]).split()
        if after and after[0] in negators and not (len(after) > 1 and after[1] in _FORGET):
            return after[0]
    return None


def _irony(text: str, lexicon: StanceLexicon) -> str | None:
    """The first irony marker in ``text`` ("/s", 🙄, "yeah right"), or None."""
    lowered = text.lower()
    tokens = set(lowered.split())
    words = f" {_words(lowered)} "
    for marker in lexicon.irony:
        if marker.startswith(("/", "#")):
            if marker in tokens or any(t.rstrip(".,!?") == marker for t in tokens):
                return marker
        elif not any(ch.isalnum() for ch in marker):  # an emoji
            if marker in lowered:
                return marker
        elif f" {_words(marker)} " in words:
            return marker
    return None


def _post_score(
    text: str, doc: Doc, anti_pattern: re.Pattern[str] | None, lexicon: StanceLexicon
) -> tuple[float, list[str]]:
    """One campaign post's score (-1..1) and its notes."""
    notes: list[str] = []
    score = 0.0
    found = anti_pattern.search(text) if anti_pattern else None
    anti = found.group(0) if found else None
    if anti:
        score -= WEIGHTS["oppose"]
        notes.append(f"'{anti}' (opposition)")
    ironic = _irony(text, lexicon)
    support = oppose = weak = 0.0
    seen: set[str] = set()
    for a, b, phrase, marker in doc._.scout_stance_spans:
        if marker.text in seen:
            continue
        seen.add(marker.text)
        kind = marker.kind
        if kind == "support":
            negator = _negated(text, a, b, marker.lang, lexicon)
            if negator:
                oppose = max(oppose, WEIGHTS["oppose"])
                notes.append(f"'{negator} … {phrase}' (negated call to sign, {marker.lang})")
                continue
            if ironic:  # mocking the call to sign: weak opposition
                weak = max(weak, WEIGHTS["oppose_weak"])
                notes.append(f"'{phrase}' (call to sign read as irony: '{ironic}')")
                continue
            support = max(support, WEIGHTS["support"])
        elif kind == "oppose":
            oppose = max(oppose, WEIGHTS["oppose"])
        else:
            weak = max(weak, WEIGHTS["oppose_weak"])
        label = {"support": "call to sign/support", "oppose": "opposition"}.get(
            kind, "weak opposition"
        )
        notes.append(f"'{phrase}' ({label}, {marker.lang})")
    # A call to sign outweighs an "against" that names what the campaign opposes.
    if support and not oppose and not anti:
        weak = 0.0
    score += support - oppose - weak
    return max(-1.0, min(1.0, score)), notes


def decide_stance(
    texts: list[str],
    hashtags: Iterable[str] = (),
    keywords: Iterable[str] = (),
    *,
    urls: list[str | None] | None = None,
    matcher: CampaignMatcher | None = None,
) -> Stance:
    """The account's :class:`Stance` from its posts ``texts`` (``urls`` parallel to them).

    Campaign posts are the texts ``matcher`` (default: one built from ``hashtags`` and
    ``keywords``) matches; a campaign without terms makes every post count. The score is
    the mean over the campaign posts that take a side (news-like posts do not dilute an
    opponent's "Jobkiller"); a call to sign right after a negator ("nicht
    unterschreiben", "don't sign") is opposition, and one in an ironic post ("/s", 🙄)
    counts for nothing. The deciding post is the one that leans furthest toward the
    label (the first campaign post for a neutral account).
    """
    campaign = matcher if matcher is not None else CampaignMatcher(hashtags, keywords)
    anti_pattern = _anti_pattern(campaign)
    lexicon = load_stance_lexicon()
    posts = [
        (idx, text)
        for idx, text in enumerate(texts)
        if text and (not campaign or campaign.matches_text(text))
    ]
    if not posts:
        return Stance("neutral", 0.0, ["no post mentions the campaign"])
    nlp = _pipeline()
    docs = nlp.pipe(text_doc(nlp, text) for _, text in posts)
    scored: list[tuple[int, float]] = []
    reasons: list[str] = []
    for (idx, text), doc in zip(posts, docs, strict=True):
        post_score, notes = _post_score(text, doc, anti_pattern, lexicon)
        scored.append((idx, post_score))
        if notes and len(reasons) < MAX_REASONS:
            reasons.append(f"post {idx + 1}: " + ", ".join(notes))
    sided = [sc for _, sc in scored if sc != 0.0]
    score = round(max(-1.0, min(1.0, sum(sided) / len(sided))), 3) if sided else 0.0
    if score >= THRESHOLD:
        label = "supports"
    elif score <= -THRESHOLD:
        label = "opposes"
    else:
        label = "neutral"
    if not reasons:
        reasons.append(f"{len(posts)} campaign post(s) without a call to sign or opposition")
    if label == "supports":
        idx = max(scored, key=lambda p: (p[1], -p[0]))[0]
    elif label == "opposes":
        idx = min(scored, key=lambda p: (p[1], p[0]))[0]
    else:
        idx = scored[0][0]
    url = urls[idx] if urls is not None and idx < len(urls) else None
    return Stance(label, score, reasons, idx, quote(texts[idx]), url)


def score_stance(
    texts: list[str],
    hashtags: Iterable[str] = (),
    keywords: Iterable[str] = (),
    *,
    matcher: CampaignMatcher | None = None,
) -> tuple[str, float, list[str]]:
    """(``supports`` | ``neutral`` | ``opposes``, score in -1..1, reasons): the short
    form of :func:`decide_stance`."""
    stance = decide_stance(texts, hashtags, keywords, matcher=matcher)
    return stance.label, stance.score, stance.reasons
