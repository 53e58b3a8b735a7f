"""Language of a profile: the platform's post languages first, else lingua on the text.

lingua is restricted to the official EU languages it supports (it lacks Maltese, which
is recognised here by its letters ħ ġ ċ, the "għ" digraph and its hyphenated articles).
The detector is built once per process and shared.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from crawler.core.vocab import EU_LANGUAGES

# Maltese-only letters (ż is shared with Polish, so it only counts with other cues).
_MT_LETTERS = re.compile(r"[ħġċĦĠĊ]")
_MT_WORDS = re.compile(
    r"(?<![\w-])(?:il|l|tal|tat|tad|fil|fl|mill|għall|bil|sal|mal|lill|ta'|"
    r"u|li|huwa|hija|aħna|jien|dan|din|għal|għandu|għandna|minn|mhux|biex|kif|ukoll|"
    r"imma|qed|kienet|kien|hemm|issa|iżda|bħala)(?:-|(?![\w-]))",
    re.IGNORECASE,
)
MIN_TEXT_CHARS = 12
SAMPLE_CHARS = 1200


@lru_cache(maxsize=1)
def eu_detector() -> LanguageDetector:
    """lingua detector for the EU languages lingua knows (all but Maltese)."""
    languages = []
    for code in EU_LANGUAGES:
        try:
            iso = IsoCode639_1.from_str(code)
        except (ValueError, AttributeError):  # pragma: no cover - depends on lingua build
            continue
        try:
            languages.append(Language.from_iso_code_639_1(iso))
        except ValueError:
            continue
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_low_accuracy_mode()
        .with_minimum_relative_distance(0.05)
        .build()
    )


def normalize_code(code: str | None) -> str | None:
    """``"en-GB"`` -> ``"en"``; empty or unknown -> None."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if re.fullmatch(r"[a-z]{2}", base) else None


def majority_language(post_langs: Iterable[str | None]) -> str | None:
    counts = Counter(c for c in (normalize_code(x) for x in post_langs) if c)
    if not counts:
        return None
    # Most common; ties broken alphabetically so the result is deterministic.
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def maltese_score(text: str) -> int:
    letters = len(_MT_LETTERS.findall(text)) + text.lower().count("għ")
    words = len(_MT_WORDS.findall(text))
    return min(letters, 4) + min(words, 4)


def is_maltese(text: str) -> bool:
    """Maltese letters plus Maltese function words (either alone is not enough)."""
    if not _MT_LETTERS.search(text) and "għ" not in text.lower():
        return False
    return maltese_score(text) >= 4


def detect_text_language(text: str) -> str | None:
    """ISO 639-1 of ``text`` among the EU languages, or None when unsure or too short."""
    return detect_text_languages([text])[0]


def detect_text_languages(texts: Sequence[str]) -> list[str | None]:
    """:func:`detect_text_language` for many texts at once: the script and Maltese checks
    first, then one call of the statistical model for the rest, run in parallel threads
    (lingua releases the GIL), which is where the time goes."""
    out: list[str | None] = [None] * len(texts)
    todo: list[tuple[int, str]] = []
    for i, text in enumerate(texts):
        sample = text[:SAMPLE_CHARS]
        if sum(map(str.isalpha, sample)) < MIN_TEXT_CHARS:
            continue
        if is_maltese(sample):
            out[i] = "mt"
            continue
        decided, script = _single_script_language(sample)
        if decided:
            out[i] = script
            continue
        todo.append((i, sample))
    if todo:
        found = eu_detector().detect_languages_in_parallel_of([t for _, t in todo])
        for (i, sample), lang in zip(todo, found, strict=True):
            if lang is not None:
                out[i] = _letter_check(lang.iso_code_639_1.name.lower(), sample.lower())
    return out


_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NON_BG_CYRILLIC = re.compile(r"[ыэёіїєґўљњђћџјЫЭЁІЇЄҐЎЉЊЂЋЏЈ]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _single_script_language(text: str) -> tuple[bool, str | None]:
    """Greek and Bulgarian are the only EU languages in their scripts: no model needed.

    Returns ``(decided, language)``; Cyrillic with letters Bulgarian does not use
    (Russian, Ukrainian, Serbian...) is decided as ``None``: not an EU language.
    """
    if _LATIN.search(text):
        return False, None
    greek, cyrillic = bool(_GREEK.search(text)), bool(_CYRILLIC.search(text))
    if greek and not cyrillic:
        return True, "el"
    if cyrillic and not greek:
        return True, None if _NON_BG_CYRILLIC.search(text) else "bg"
    return False, None


# Close pairs the fast (trigram-only) mode confuses, told apart by letters only one uses.
_LETTER_FIXES: tuple[tuple[str, str, str, str], ...] = (
    # (detected, alternative, letters of the alternative, letters of the detected)
    ("da", "sv", "äö", "æø"),
    ("sv", "da", "æø", "äö"),
    ("fi", "et", "õ", ""),
    ("cs", "sk", "ľĺŕô", "řůě"),
    ("sk", "cs", "řůě", "ľĺŕô"),
)


def _letter_check(lang: str, text: str) -> str:
    for detected, alternative, alt_letters, own_letters in _LETTER_FIXES:
        if lang != detected or not alt_letters:
            continue
        if any(ch in text for ch in alt_letters) and not any(ch in text for ch in own_letters):
            return alternative
    return lang


def platform_language(post_langs: Iterable[str | None] | None) -> tuple[str, str] | None:
    """The majority of the languages the platform gave the posts, with its reason."""
    major = majority_language(post_langs) if post_langs is not None else None
    return (major, f"language {major} (platform post languages)") if major else None


def detected_reason(lang: str | None) -> str:
    if lang is None:
        return "language unknown (text too short or unclear)"
    return f"language {lang} (detected from bio and posts)"


def detect_language(
    texts: Iterable[str], post_langs: Iterable[str | None] | None = None
) -> tuple[str | None, str]:
    """(language, reason): platform ``post_langs`` majority if given, else lingua."""
    given = platform_language(post_langs)
    if given:
        return given
    lang = detect_text_language("\n".join(t for t in texts if t))
    return lang, detected_reason(lang)
