"""Load the role lexicons (``data/lexicons/roles.toml`` + ``esco_roles.tsv``).

One :class:`Term` per (term, category); the same surface form may belong to several
categories or languages, and every reason names the category and language of the match.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from crawler.core.vocab import EU_LANGUAGES, PERSON_ROLES

LEXICON_DIR = Path(__file__).resolve().parents[1] / "data" / "lexicons"

# Languages that write compounds as one word: their single-word terms also match as
# parts of longer words (Umwelt|verband|es, ympäristö|järjestö|ssä).
COMPOUND_LANGS: frozenset[str] = frozenset({"de", "nl", "da", "sv", "fi", "hu", "et"})
# Agglutinative languages add longer case endings after the compound head.
AGGLUTINATIVE_LANGS: frozenset[str] = frozenset({"fi", "hu", "et"})

# Person roles that need evidence of their own; "individual" is what remains.
NAMED_ROLES: tuple[str, ...] = tuple(r for r in PERSON_ROLES if r != "individual")

# Short terms used by one language only are ambiguous elsewhere ("lo", "pd", "sa"):
# they count only when the text is in that language (or its language is unknown).
SHORT_TERM_LEN = 6
ESCO_WEIGHT = 1.3


@dataclass(frozen=True)
class Term:
    text: str  # lower case surface form
    category: str  # roles.toml category, "legal_form" or "esco"
    role: str  # organization | politician | journalist | public_figure | individual | bot
    org_type: str  # "" when not an organisation type
    weight: float
    langs: frozenset[str]
    voice: bool = False  # first-person cue: only counted in its own language
    isco: str = ""


@dataclass
class Lexicon:
    terms: list[Term] = field(default_factory=list)
    by_text: dict[str, list[Term]] = field(default_factory=dict)
    # surface form -> terms eligible for compound (affix) matching
    affix: dict[str, list[Term]] = field(default_factory=dict)
    affix_min_len: int = 5

    def add(self, term: Term) -> None:
        self.terms.append(term)
        self.by_text.setdefault(term.text, []).append(term)

    def finalize(self) -> None:
        self.affix = {}
        for text, terms in self.by_text.items():
            if len(text) < self.affix_min_len or not text.isalpha():
                continue
            eligible = [
                t
                for t in terms
                if t.langs & COMPOUND_LANGS
                and not t.voice
                and t.role not in {"individual", "bot"}
                and t.category != "legal_form"
            ]
            if eligible:
                self.affix[text] = eligible

    def is_gated(self, term: Term) -> bool:
        """True when the term only counts in its own language(s)."""
        if term.voice:
            return True
        if term.category == "occupation" and len(term.langs) == 1:
            # a job title of one language is often a word of another: Latvian
            # "students" in an English bio (CV org vs person 0.922 -> 0.923)
            return True
        if term.category == "esco":
            # ESCO alt labels include words that are common elsewhere ("skipper", "bas").
            return len(term.langs) < 3
        return len(term.text) < SHORT_TERM_LEN and len(term.langs) == 1


def _merge_langs(raw: dict[tuple[str, str], set[str]], text: str, cat: str, lang: str) -> None:
    raw.setdefault((text, cat), set()).add(lang)


def load_lexicon(lexicon_dir: Path | None = None, use_esco: bool = True) -> Lexicon:
    """Read roles.toml (and esco_roles.tsv when present) into a :class:`Lexicon`."""
    base = lexicon_dir or LEXICON_DIR
    with (base / "roles.toml").open("rb") as fh:
        data = tomllib.load(fh)
    lex = Lexicon()
    categories: dict[str, dict[str, object]] = data["categories"]
    for cat, spec in categories.items():
        langs_of: dict[tuple[str, str], set[str]] = {}
        terms_by_lang = spec["terms"]
        assert isinstance(terms_by_lang, dict)
        for lang, words in terms_by_lang.items():
            for word in words:
                _merge_langs(langs_of, str(word).strip().lower(), cat, lang)
        for (text, _), langs in sorted(langs_of.items()):
            lex.add(
                Term(
                    text=text,
                    category=cat,
                    role=str(spec["role"]),
                    org_type=str(spec.get("org_type", "")),
                    weight=float(spec["weight"]),  # type: ignore[arg-type]
                    langs=frozenset(langs),
                    voice=bool(spec.get("voice", False)),
                )
            )
    for text, org_type in sorted(data.get("legal_forms", {}).items()):
        lex.add(
            Term(
                text=text.lower(),
                category="legal_form",
                role="organization",
                org_type=str(org_type),
                weight=2.0,
                langs=frozenset(EU_LANGUAGES),
            )
        )
    esco_path = base / "esco_roles.tsv"
    if use_esco and esco_path.exists():
        esco: dict[tuple[str, str, str], set[str]] = {}
        with esco_path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                text = row["term"].strip().lower()
                if text in lex.by_text:
                    continue  # the curated lexicon already covers it
                esco.setdefault((text, row["role"], row["isco_code"]), set()).add(row["lang"])
        for (text, role, isco), langs in sorted(esco.items()):
            lex.add(
                Term(
                    text=text,
                    category="esco",
                    role=role,
                    org_type="",
                    weight=ESCO_WEIGHT,
                    langs=frozenset(langs),
                    isco=isco,
                )
            )
    lex.finalize()
    return lex


@lru_cache(maxsize=4)
def default_lexicon(lexicon_dir: str = "", use_esco: bool = True) -> Lexicon:
    """Cached lexicon (module-level, shared by every pipeline in the process)."""
    return load_lexicon(Path(lexicon_dir) if lexicon_dir else None, use_esco=use_esco)
