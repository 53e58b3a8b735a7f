"""Derive the compact ESCO role lexicon ``data/lexicons/esco_roles.tsv``.

Reads ``occupations_<lang>.tsv`` (columns ``isco_code esco_uri preferred_label alt_labels
isco_group_label``) from the shared ESCO folder and keeps only the ISCO unit groups whose
holders the classifier calls politicians, journalists or public figures.  Preferred
labels given as ``masculine/feminine`` ("Bürgermeister/Bürgermeisterin") are split; long
or very short labels are dropped so the file stays small and precise.

Usage: ``python -m nlp.build_esco_lexicon [ESCO_DIR] [OUT_TSV]``
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ESCO_DIR = REPO.parent / "shared" / "data" / "esco"
DEFAULT_OUT = REPO / "data" / "lexicons" / "esco_roles.tsv"

# ISCO-08 unit group -> classifier role.
ISCO_ROLES: dict[str, str] = {
    "1111": "politician",  # legislators: MPs, MEPs, mayors, ministers, councillors
    "1112": "public_figure",  # senior government officials: ambassadors, diplomats
    "2642": "journalist",  # journalists, editors, correspondents, columnists, bloggers
    "2656": "journalist",  # announcers and presenters
    "2641": "public_figure",  # authors and writers
    "2651": "public_figure",  # visual artists
    "2652": "public_figure",  # musicians, singers, composers
    "2653": "public_figure",  # dancers, choreographers
    "2655": "public_figure",  # actors
    "3421": "public_figure",  # athletes
}

# Athletes (3421) are public figures only as professionals: "cyclist", "ciclista",
# "skier", "narciarz" or "pilot" alone is what a commuter, a hobby skier or an airline
# pilot writes ("mamma, ciclista urbana" was a public figure). Their labels are kept
# only when they say so: professional, Profi-, Berufs-, beroeps-, olympic, ...
PROFESSIONAL_ONLY = frozenset({"3421"})
_PROFESSIONAL = re.compile(
    r"prof|berufs|beroeps|olymp|hivatásos|zawodow|poklicn|performanț|επαγγελματ|профес"
)
MAX_WORDS = 3
MAX_CHARS = 40
MIN_CHARS = 3
_SPACE = re.compile(r"\s+")


def split_label(label: str) -> list[str]:
    """Split ``"A/B"`` gender pairs and normalise whitespace; keep ``"A/S"``-free labels."""
    label = _SPACE.sub(" ", label).strip()
    if not label:
        return []
    parts = [p.strip() for p in label.split("/")] if "/" in label else [label]
    return [p for p in parts if p]


def keep_term(term: str, code: str = "") -> bool:
    if code in PROFESSIONAL_ONLY and not _PROFESSIONAL.search(term.lower()):
        return False
    if len(term) < MIN_CHARS or len(term) > MAX_CHARS:
        return False
    if len(term.split(" ")) > MAX_WORDS:
        return False
    # Parenthesised qualifiers and digits are catalogue notes, not what people write.
    return not any(ch in term for ch in "()[]0123456789,;")


def read_occupations(path: Path) -> Iterator[tuple[str, str]]:
    """Yield ``(isco_code, label)`` for every preferred and alternative label."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            code = (row.get("isco_code") or "").strip()
            if code not in ISCO_ROLES:
                continue
            labels = [row.get("preferred_label") or ""]
            labels += (row.get("alt_labels") or "").split(" | ")
            for label in labels:
                for term in split_label(label):
                    yield code, term


def build_rows(esco_dir: Path) -> list[tuple[str, str, str, str]]:
    rows: set[tuple[str, str, str, str]] = set()
    for path in sorted(esco_dir.glob("occupations_*.tsv")):
        lang = path.stem.split("_", 1)[1]
        for code, term in read_occupations(path):
            if keep_term(term, code):
                rows.add((lang, term.lower(), code, ISCO_ROLES[code]))
    return sorted(rows)


def write_rows(rows: Iterable[tuple[str, str, str, str]], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write("lang\tterm\tisco_code\trole\n")
        for row in rows:
            fh.write("\t".join(row) + "\n")
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    esco_dir = Path(args[0]) if args else DEFAULT_ESCO_DIR
    out = Path(args[1]) if len(args) > 1 else DEFAULT_OUT
    if not esco_dir.is_dir():
        print(f"ESCO folder not found: {esco_dir}", file=sys.stderr)
        return 2
    n = write_rows(build_rows(esco_dir), out)
    print(f"wrote {n} terms to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
