"""The ``scout_roles`` spaCy component: lexicon evidence -> role, org type, reasons.

Works on any pipeline (built on ``spacy.blank("xx")`` by the classifier).  Before the
component runs, a caller may set two Doc extensions to sharpen the result:

* ``doc._.scout_lang``: ISO 639-1 language of the text; first-person cues ("we", "ich")
  and short single-language terms only count in their own language;
* ``doc._.scout_sections``: ``[(start_char, end_char, label), ...]`` so reasons say where
  a word was found (``name``, ``bio``, ``field Job``); legal forms weigh more in names.

After it: ``doc._.scout_matches`` (:class:`RoleMatch` list), ``doc._.scout_evidence``,
``doc._.scout_role``, ``doc._.scout_org_type``, ``doc._.scout_confidence``,
``doc._.scout_reasons``, ``doc._.scout_bot`` (a bot marker was found) and
``doc._.scout_decision`` (all of them as one :class:`Decision`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from crawler.core.vocab import ORG_TYPES
from nlp.lexicon import (
    AGGLUTINATIVE_LANGS,
    COMPOUND_LANGS,
    NAMED_ROLES,
    Lexicon,
    Term,
    default_lexicon,
)
from nlp.names import given_names, personal_name, place_words
from nlp.phrases import doc_text, get_ext, pattern_docs, set_ext
from nlp.unaccented import UnaccentedTerms

# Words before an organisation name that make it an affiliation of a person
# ("editor at", "Referentin bei", "chargée de mission chez"), not the account itself.
AFFILIATION_WORDS: frozenset[str] = frozenset(
    """at @ for with of bei beim für von chez pour à au de del della dello presso per alla
    al en na w we ve v pri u kod bij voor van hos för på vid hjá για στο στην στη της
    в във към за при à ar le le-, tal tas-, ta' dla z ze iz pie uz prie fuer""".split()
)
# Endings that make a German/Nordic/Finnish compound a person's job title when the
# organisation word is only its modifier (Gewerkschafts|sekretärin, Partei|vorsitzender).
PERSON_HEAD_ENDINGS: tuple[str, ...] = (
    "in",
    "innen",
    "er",
    "or",
    "ent",
    "ist",
    "är",
    "mitglied",
    "chef",
    "ende",
    "ender",
    "ja",
    "jä",
    "ske",
    "ska",
    "man",
    "kvinna",
    "medlem",
)
ARTICLES: frozenset[str] = frozenset(
    "the a an der die das dem den des la le les l' il lo gli el los las o os a as het de een "
    "den det ett en ta' il- l-".split()
)
LEGAL_FORMS_OK_IN_BIO: frozenset[str] = frozenset(
    "ltd inc llc llp pllc plc vzw asbl ong kft uab mtü ggmbh gmbh".split()
)
ORG_THRESHOLD = 0.6
PERSON_ROLE_THRESHOLD = 1.0
# Weight of a display name that reads as one person's (nlp/names.py) when it has a
# surname, and when it is a given name alone ("Jan"). Chosen by grouped cross-validation
# of the full classifier (docs/EVALUATION.md): org vs person 0.900 without it, 0.915 /
# 0.919 / 0.920 / 0.917 at 1.0 / 1.5 / 2.0 / 3.0 (half that for a given name alone);
# role accuracy 0.945 -> 0.950, the register's self-employed persons found 9 -> 17 of 48.
# The other Faker locales' names (Turkish, Indian, Indonesian, ...) count only where they
# are not common words ("forum", "visa", "yeni"): nlp/build_given_names.py.
PERSONAL_NAME_WEIGHT = 2.0
GIVEN_NAME_ONLY_WEIGHT = 1.0
# A text emoticon in the bio (":)", ";-D", "<3", "xoxo"; not emoji, which organisations
# use as much as people) is a person's habit: 31 of humanizr's 514 persons' bios have
# one, 2 of its 502 organisations'. Cross-validated: org vs person +0.001 (one row; the
# cue was chosen after reading those counts, so that is an optimistic estimate).
EMOTICON_WEIGHT = 1.0
EMOTICON = re.compile(r"(?<![\w/])(?:[:;=]-?[)D(pP]|<3|xoxo|\^\^)(?![\w/])", re.IGNORECASE)
VOICE_CAP = 3  # at most this many distinct first-person cues count
AFFIX_CACHE_WORDS = 100_000  # words whose compound parts are kept (then forgotten)


@dataclass(frozen=True)
class RoleMatch:
    term: Term
    surface: str  # the words as written
    start_char: int
    end_char: int
    section: str  # name | bio | field X | text
    mode: str  # exact | head (compound ends with the term) | modifier (starts with it)
    affiliated: bool  # preceded by "at", "bei", "@", ...
    person_head: bool = False  # modifier compound whose head names a person's job


@dataclass(frozen=True)
class Evidence:
    key: str  # de-duplication key: one piece of evidence counts once
    role: str  # organization | politician | journalist | public_figure | individual | bot
    org_type: str  # "" when not an organisation type
    weight: float
    reason: str
    voice: bool = False


@dataclass(frozen=True)
class Decision:
    role: str
    org_type: str | None
    confidence: float
    reasons: list[str]
    is_bot: bool
    scores: dict[str, float]


def _set_extensions() -> None:
    for name, default in (
        ("scout_lang", None),
        ("scout_sections", None),
        ("scout_matches", None),
        ("scout_evidence", None),
        ("scout_role", None),
        ("scout_org_type", None),
        ("scout_confidence", 0.0),
        ("scout_reasons", None),
        ("scout_bot", False),
        ("scout_decision", None),
    ):
        Doc.set_extension(name, default=default, force=True)


def _label(term: Term) -> str:
    if term.category == "org_voice":
        return "first person plural"
    if term.category == "person_voice":
        return "first person singular"
    if term.category == "legal_form":
        return f"legal form, {term.org_type}"
    if term.role == "organization":
        return term.org_type
    return term.role


def _term_lang(term: Term, lang: str | None) -> str:
    if lang and lang in term.langs:
        return lang
    if "en" in term.langs:
        return "en"
    return sorted(term.langs)[0]


def match_to_evidence(m: RoleMatch, lang: str | None, lexicon: Lexicon) -> Evidence | None:
    """Weigh one lexicon match; None when it does not count in this context."""
    term = m.term
    if lang is not None and lexicon.is_gated(term) and lang not in term.langs:
        return None
    weight = term.weight
    is_org = term.role == "organization"
    if term.category == "legal_form":
        if m.section != "name":
            bio_ok = term.text in LEGAL_FORMS_OK_IN_BIO or (
                len(term.text) >= 4 and not term.text.isalpha()
            )
            if not bio_ok:
                return None
            weight = 1.0
    elif is_org and m.section == "name":
        weight *= 1.5
    notes = [] if term.category == "legal_form" else [_term_lang(term, lang)]
    if term.isco:
        notes.append(f"ESCO {term.isco}")
    if m.mode != "exact":
        notes.append("compound")
    if is_org and m.mode == "modifier":
        weight *= 0.4
    if is_org and m.affiliated and term.category not in {"org_voice", "legal_form"}:
        weight *= 0.5
        notes.append("affiliation")
    reason = f"{m.section}: '{m.surface}' ({', '.join([_label(term), *notes])})"
    return Evidence(
        key=f"{term.category}:{term.text}",
        role=term.role,
        org_type=term.org_type,
        weight=weight,
        reason=reason,
        voice=term.voice,
    )


def _squash(margin: float) -> float:
    return 1.0 - math.exp(-max(margin, 0.0))


def decide(evidence: Iterable[Evidence]) -> Decision:
    """Combine weighted evidence into one role, org type and confidence."""
    best: dict[str, Evidence] = {}
    for ev in evidence:
        old = best.get(ev.key)
        if old is None or ev.weight > old.weight:
            best[ev.key] = ev
    kept: list[Evidence] = []
    voices: dict[str, int] = {}
    for ev in sorted(best.values(), key=lambda e: (-e.weight, e.key)):
        if ev.voice:
            voices[ev.role] = voices.get(ev.role, 0) + 1
            if voices[ev.role] > VOICE_CAP:
                continue
        kept.append(ev)

    is_bot = any(ev.role == "bot" for ev in kept)
    org_total = sum(ev.weight for ev in kept if ev.role == "organization")
    type_scores = {t: 0.0 for t in ORG_TYPES}
    for ev in kept:
        if ev.role == "organization" and ev.org_type:
            type_scores[ev.org_type] += ev.weight
    role_scores = {r: 0.0 for r in NAMED_ROLES}
    for ev in kept:
        if ev.role in role_scores:
            role_scores[ev.role] += ev.weight
    indiv = sum(ev.weight for ev in kept if ev.role == "individual")
    person_best_role = max(NAMED_ROLES, key=lambda r: (role_scores[r], -NAMED_ROLES.index(r)))
    person_best = role_scores[person_best_role]
    person_total = person_best + indiv
    scores = {"organization": org_total, "individual": indiv, **role_scores}

    if org_total >= ORG_THRESHOLD and org_total > person_total:
        role = "organization"
        typed = max(ORG_TYPES, key=lambda t: (type_scores[t], -ORG_TYPES.index(t)))
        org_type: str | None = typed if type_scores[typed] > 0 else "other"
        confidence = 0.45 + 0.5 * _squash(org_total - person_total)
        relevant = {"organization", "bot"}
    elif person_best >= PERSON_ROLE_THRESHOLD:
        role = person_best_role
        org_type = None
        second = max([v for k, v in role_scores.items() if k != role] + [org_total * 0.75] + [0.0])
        confidence = 0.45 + 0.5 * _squash(person_best - second)
        relevant = {role, "individual", "bot"}
    else:
        role = "individual"
        org_type = None
        if kept:
            confidence = 0.45 + 0.45 * _squash(indiv + person_best - org_total)
        else:
            confidence = 0.3
        relevant = {"individual", *NAMED_ROLES, "bot"}
    reasons = [ev.reason for ev in kept if ev.role in relevant]
    if role == "individual" and not reasons:
        reasons = ["no role evidence: individual by default"]
    confidence = round(min(0.97, max(0.05, confidence)), 3)
    return Decision(role, org_type, confidence, reasons, is_bot, scores)


class RoleComponent:
    """Role evidence: a PhraseMatcher (LOWER), nlp.unaccented, compound-part matching."""

    def __init__(
        self,
        nlp: Language,
        name: str = "scout_roles",
        lexicon_dir: str = "",
        use_esco: bool = True,
    ) -> None:
        _set_extensions()
        self.name = name
        self.lexicon = default_lexicon(lexicon_dir, use_esco)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._key_to_text: dict[int, str] = {}
        patterns = {text: pattern_docs(nlp, [text]) for text in sorted(self.lexicon.by_text)}
        for text, docs in patterns.items():  # the first Doc is the term as written
            key = nlp.vocab.strings.add(f"scout_role::{text}")
            self._key_to_text[key] = text
            self.matcher.add(f"scout_role::{text}", docs)
        self.unaccented = UnaccentedTerms([(t, d[0]) for t, d in patterns.items()])  # "ΕΝΩΣΗ"
        self._max_affix = max((len(t) for t in self.lexicon.affix), default=0)
        self._min_affix = self.lexicon.affix_min_len
        self._affix_cache: dict[str, list[tuple[Term, str, bool]]] = {}
        self.person_names = given_names()
        self.place_words = place_words()

    # -- matching ---------------------------------------------------------------
    def find_matches(self, doc: Doc) -> list[RoleMatch]:
        sections: list[tuple[int, int, str]] = get_ext(doc, "scout_sections") or []
        spans = []
        for key, start, end in self.matcher(doc):
            spans.append((start, end, self._key_to_text[key]))
        spans.extend(self.unaccented.spans(doc))
        # Longest match wins where matches overlap ("politische partei" over "partei").
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        taken: set[int] = set()
        out: list[RoleMatch] = []
        for start, end, text in spans:
            if any(i in taken for i in range(start, end)):
                continue
            taken.update(range(start, end))
            span = doc[start:end]
            affiliated = _affiliated(doc, start)
            section = _section_of(sections, span.start_char)
            for term in self.lexicon.by_text[text]:
                out.append(
                    RoleMatch(
                        term,
                        span.text,
                        span.start_char,
                        span.end_char,
                        section,
                        "exact",
                        affiliated,
                    )
                )
        lang: str | None = get_ext(doc, "scout_lang")
        # Compound parts are only looked for where compounds are written as one word.
        if lang is None or lang in COMPOUND_LANGS:
            for tok in doc:
                if tok.i in taken or not tok.is_alpha or len(tok.text) < self._min_affix + 2:
                    continue
                out.extend(self._affix_matches(doc, tok.i, sections))
        out.sort(key=lambda m: (m.start_char, m.term.category, m.term.text))
        return out

    def _affix_matches(
        self, doc: Doc, i: int, sections: list[tuple[int, int, str]]
    ) -> list[RoleMatch]:
        tok = doc[i]
        found = self._affix_terms(tok.lower_)
        if not found:
            return []
        affiliated = _affiliated(doc, i)
        section = _section_of(sections, tok.idx)
        start, end = tok.idx, tok.idx + len(tok.text)
        return [
            RoleMatch(term, tok.text, start, end, section, mode, affiliated, person_head)
            for term, mode, person_head in found
        ]

    def _affix_terms(self, low: str) -> list[tuple[Term, str, bool]]:
        """``(term, mode, person_head)`` of the lexicon terms inside the lower-case word
        ``low`` (one per term), cached: the words of bios repeat."""
        cached = self._affix_cache.get(low)
        if cached is None:
            if len(self._affix_cache) >= AFFIX_CACHE_WORDS:
                self._affix_cache.clear()
            cached = self._affix_cache[low] = self._find_affix_terms(low)
        return cached

    def _find_affix_terms(self, low: str) -> list[tuple[Term, str, bool]]:
        n = len(low)
        found: dict[tuple[str, str], tuple[Term, str, bool]] = {}
        covered = 0
        for p in range(0, n - self._min_affix + 1):
            if p < covered:
                continue
            # A term inside the word must end near its end (compound head + ending);
            # only at the start may it be followed by more (the compound's modifier).
            low_q = p + self._min_affix if p == 0 else max(p + self._min_affix, n - 5)
            for q in range(min(n, p + self._max_affix), low_q - 1, -1):
                text = low[p:q]
                terms = self.lexicon.affix.get(text)
                if not terms:
                    continue
                for term in terms:
                    trail = n - q
                    allowed_trail = 5 if term.langs & AGGLUTINATIVE_LANGS else 3
                    if p > 0 and trail <= allowed_trail:
                        mode = "head"
                    elif p == 0 and trail <= allowed_trail:
                        mode = "head"  # the word itself, inflected
                    elif p == 0 and term.role == "organization":
                        mode = "modifier"
                    else:
                        continue
                    person_head = mode == "modifier" and low.endswith(PERSON_HEAD_ENDINGS)
                    covered = q
                    key = (term.category, term.text)
                    if key not in found:
                        found[key] = (term, mode, person_head)
                break  # longest term at this start position only
        return list(found.values())

    # -- scoring ----------------------------------------------------------------
    def evidence(self, doc: Doc, matches: list[RoleMatch]) -> list[Evidence]:
        lang: str | None = get_ext(doc, "scout_lang")
        out: list[Evidence] = []
        for m in matches:
            ev = match_to_evidence(m, lang, self.lexicon)
            if ev is not None:
                out.append(ev)
            if m.person_head:
                out.append(
                    Evidence(
                        key=f"job:{m.surface.lower()}",
                        role="individual",
                        org_type="",
                        weight=1.2,
                        reason=f"{m.section}: '{m.surface}' (job title at {_label(m.term)}, "
                        f"{_term_lang(m.term, lang)})",
                    )
                )
        named = self.name_evidence(doc, matches)
        return out + [ev for ev in (named, emoticon_evidence(doc)) if ev is not None]

    def name_evidence(self, doc: Doc, matches: list[RoleMatch]) -> Evidence | None:
        """A person's name as the display name, with no organisation word in it."""
        sections: list[tuple[int, int, str]] = get_ext(doc, "scout_sections") or []
        span = next(((a, b) for a, b, label in sections if label == "name"), None)
        if span is None or not self.person_names:
            return None
        if any(m.section == "name" and m.term.role == "organization" for m in matches):
            return None
        name = doc_text(doc)[span[0] : span[1]].strip()
        found = personal_name(name, self.person_names, self.place_words)
        if found is None:
            return None
        cue, words = found
        return Evidence(
            key="name:personal",
            role="individual",
            org_type="",
            weight=PERSONAL_NAME_WEIGHT if words > 1 else GIVEN_NAME_ONLY_WEIGHT,
            reason=f"name: '{name}' (a person's name: {cue})",
        )

    def __call__(self, doc: Doc) -> Doc:
        matches = self.find_matches(doc)
        evidence = self.evidence(doc, matches)
        decision = decide(evidence)
        set_ext(
            doc,
            scout_matches=matches,
            scout_evidence=evidence,
            scout_role=decision.role,
            scout_org_type=decision.org_type,
            scout_confidence=decision.confidence,
            scout_reasons=decision.reasons,
            scout_bot=decision.is_bot,
            scout_decision=decision,
        )
        return doc


def emoticon_evidence(doc: Doc) -> Evidence | None:
    """A text emoticon in the bio (the whole text when it has no sections)."""
    sections: list[tuple[int, int, str]] = get_ext(doc, "scout_sections") or []
    spans = [(a, b) for a, b, label in sections if label == "bio"] if sections else [(0, None)]
    for a, b in spans:
        text = doc_text(doc)
        found = EMOTICON.search(text, a, len(text) if b is None else b)
        if found:
            return Evidence(
                key="style:emoticon",
                role="individual",
                org_type="",
                weight=EMOTICON_WEIGHT,
                reason=f"bio: emoticon '{found.group()}' (a person's habit)",
            )
    return None


def _affiliated(doc: Doc, start: int) -> bool:
    """Is the word at ``start`` preceded by "at", "bei", "@" (skipping an article)?"""
    for back in (1, 2):
        i = start - back
        if i < 0:
            return False
        low = doc[i].lower_
        if low in AFFILIATION_WORDS:
            return True
        if low not in ARTICLES:
            return False
    return False


def _section_of(sections: list[tuple[int, int, str]], char: int) -> str:
    for start, end, label in sections:
        if start <= char < end:
            return label
    return "text"


@Language.factory(
    "scout_roles",
    default_config={"lexicon_dir": "", "use_esco": True},
)
def make_role_component(nlp: Language, name: str, lexicon_dir: str, use_esco: bool) -> Any:
    """spaCy factory (entry point ``scout_roles``)."""
    return RoleComponent(nlp, name=name, lexicon_dir=lexicon_dir, use_esco=use_esco)
