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
    by_words: dict[tuple[str, ...], Marker]  # exact phrases, as lower-case word tuples
    stems: dict[tuple[str, ...], tuple[tuple[str, Marker], ...]]  # "unterschreib*" style
    max_words: int


# Words as the markers are written: letters, digits, apostrophes and inner hyphens; a
# word right after "#" or "@" is a hashtag or a mention, never a marker.
_WORD = re.compile(r"(?<![#@\w'’-])[\w'’]+(?:-[\w'’]+)*")


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


@lru_cache(maxsize=2)
def load_stance_lexicon(path: str = "") -> StanceLexicon:
    file = Path(path) if path else LEXICON_DIR / "stance.toml"
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    markers: list[Marker] = []
    by_words: dict[tuple[str, ...], Marker] = {}
    stems: dict[tuple[str, ...], list[tuple[str, Marker]]] = {}
    for kind in ("oppose", "oppose_weak", "support"):  # opposition wins a tie of forms
        for lang, phrases in sorted(data.get(kind, {}).items()):
            for phrase in phrases:
                text = str(phrase).lower()
                words = tuple(_words(text.rstrip("*")))
                if not words:
                    continue
                marker = Marker(kind, text, lang)
                if text.endswith("*"):
                    bucket = stems.setdefault(words[:-1], [])
                    if all(prefix != words[-1] for prefix, _ in bucket):
                        bucket.append((words[-1], marker))
                        markers.append(marker)
                elif words not in by_words:
                    by_words[words] = marker
                    markers.append(marker)
    longest = max((len(w) for w in [*by_words, *(k + ("",) for k in stems)]), default=1)
    return StanceLexicon(
        tuple(markers),
        by_words,
        {k: tuple(sorted(v, key=lambda pm: -len(pm[0]))) for k, v in stems.items()},
        longest,
    )


def find_markers(lex: StanceLexicon, text: str) -> list[tuple[str, Marker]]:
    """The markers in ``text``, longest phrase first at each word, without overlaps."""
    words = _words(text)
    found: list[tuple[str, Marker]] = []
    i = 0
    while i < len(words):
        for n in range(min(lex.max_words, len(words) - i), 0, -1):
            gram = tuple(words[i : i + n])
            marker = lex.by_words.get(gram)
            if marker is None:
                for prefix, stem in lex.stems.get(gram[:-1], ()):
                    if gram[-1].startswith(prefix):
                        marker = stem
                        break
            if marker is not None:
                found.append((" ".join(gram), marker))
                i += n
                break
        else:
            i += 1
    return found


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
        for phrase, marker in find_markers(lex, text):
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
