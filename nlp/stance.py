"""Stance of an account's posts toward a campaign: supports, neutral or opposes.

Only posts that mention the campaign (one of its hashtags or keywords) are read when the
campaign gives any; a call to sign in such a post is support, an explicit opposition
marker ("Unsinn", "don't sign", "stop #tag") is opposition, and a post with neither is
news-like and neutral.  Markers for the 24 EU languages are in
``data/lexicons/stance.toml``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.lexicon import LEXICON_DIR

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
    markers: tuple[Marker, ...]
    pattern: re.Pattern[str]  # one alternation, longest phrases first
    by_text: dict[str, Marker]
    prefixes: tuple[Marker, ...]  # "unterschreib*" style stems


def _marker_regex(text: str) -> str:
    words = text.rstrip("*").split()
    body = r"\s+".join(re.escape(w) for w in words)
    tail = r"\w*" if text.endswith("*") else ""
    return rf"(?<![\w#@]){body}{tail}(?!\w)"


@lru_cache(maxsize=2)
def load_stance_lexicon(path: str = "") -> StanceLexicon:
    file = Path(path) if path else LEXICON_DIR / "stance.toml"
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    markers: list[Marker] = []
    by_text: dict[str, Marker] = {}
    for kind in ("oppose", "oppose_weak", "support"):  # opposition wins a tie of forms
        for lang, words in sorted(data.get(kind, {}).items()):
            for w in words:
                text = str(w).lower()
                if text in by_text:
                    continue
                marker = Marker(kind, text, lang)
                by_text[text] = marker
                markers.append(marker)
    ordered = sorted(markers, key=lambda m: (-len(m.text), m.text))
    pattern = re.compile("|".join(_marker_regex(m.text) for m in ordered), re.IGNORECASE)
    prefixes = tuple(m for m in ordered if m.text.endswith("*"))
    return StanceLexicon(tuple(markers), pattern, by_text, prefixes)


def _lookup(lex: StanceLexicon, found: str) -> Marker | None:
    key = " ".join(found.lower().split())
    marker = lex.by_text.get(key)
    if marker is not None:
        return marker
    for m in lex.prefixes:
        if key.startswith(m.text.rstrip("*")):
            return m
    return None


def _campaign_patterns(hashtags: list[str], keywords: list[str]) -> list[re.Pattern[str]]:
    pats = []
    for tag in hashtags:
        t = tag.lstrip("#").strip()
        if t:
            pats.append(re.compile(rf"#{re.escape(t)}(?!\w)", re.IGNORECASE))
    for kw in keywords:
        k = kw.strip()
        if k:
            pats.append(re.compile(rf"(?<!\w){re.escape(k)}(?!\w)", re.IGNORECASE))
    return pats


def _anti_campaign(text: str, hashtags: list[str], keywords: list[str]) -> str | None:
    """'stop #tag', '#StopTag', 'no to tag', 'nein zu #tag' -> the phrase found."""
    for name in [h.lstrip("#") for h in hashtags] + keywords:
        if not name.strip():
            continue
        esc = re.escape(name.strip())
        m = re.search(
            rf"(?<!\w)(?:stop|stopp|stoppt|no\s+to|say\s+no\s+to|nein\s+zu[rm]?|non\s+à|"
            rf"no\s+a[l]?|nee\s+tegen|nie\s+dla)\s+#?{esc}(?!\w)|#(?:stop|no|nein|non){esc}(?!\w)",
            text,
            re.IGNORECASE,
        )
        if m:
            return m.group(0)
    return None


def score_stance(
    texts: list[str], hashtags: list[str], keywords: list[str]
) -> tuple[str, float, list[str]]:
    """(``supports`` | ``neutral`` | ``opposes``, score in -1..1, reasons)."""
    lex = load_stance_lexicon()
    campaign = _campaign_patterns(hashtags, keywords)
    relevant = 0
    total = 0.0
    reasons: list[str] = []
    for idx, text in enumerate(texts):
        if not text:
            continue
        if campaign and not any(p.search(text) for p in campaign):
            continue
        relevant += 1
        post_score = 0.0
        notes: list[str] = []
        anti = _anti_campaign(text, hashtags, keywords)
        if anti:
            post_score -= WEIGHTS["oppose"]
            notes.append(f"'{anti}' (opposition)")
        support = oppose = weak = 0.0
        seen: set[str] = set()
        for m in lex.pattern.finditer(text):
            marker = _lookup(lex, m.group(0))
            if marker is None or marker.text in seen:
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
            notes.append(f"'{m.group(0)}' ({label}, {marker.lang})")
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
