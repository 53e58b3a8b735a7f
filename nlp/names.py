"""Personal names: a display name that reads as one person's ("Jane Tan", "Dr. Katrin
Müller", "Łukasz", "J.R. Parker") is evidence of a person's account.

The given names are ``data/lexicons/given_names.tsv`` (:mod:`nlp.build_given_names`:
Faker's lists for the member states' locales, and for its other locales the names that
are not common words; words and place names left out). With
Mastodon's custom emoji, pronouns ("(she/her)") and whatever follows a separator ("|",
" - ", " · ") set aside, a name counts when, after an honorific, its first word is a
given name or two joined by a hyphen ("Jean-Pierre"), or the name is one to three
initials and a surname; it has at most :data:`MAX_WORDS` words and no digits, joins no
two names ("Tom & Biba", "Laurie and Carolyn") and names no place after its second word
("Aria Pulita Ora Roma"). The ``scout_roles`` component also requires that no
organisation word was found in the name ("Konrad-Adenauer-Stiftung", "Martin Lyons
Studios Ltd").
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache

from nlp.country import load_places
from nlp.lexicon import LEXICON_DIR

MAX_WORDS = 4
HONORIFICS: frozenset[str] = frozenset(
    """dr prof mr mrs ms miss mx sir dame mme mlle m dott dottssa ing mag dipl hr fr
    sr sra srta dra hon rev""".split()
)
# Words that join two names: the account of a couple, a duo or a shop ("Tom and Biba").
JOINERS: frozenset[str] = frozenset("and und et og och en y e és ja ir un in i a".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# What a display name carries besides the name: Mastodon's custom emoji (":eu_flag:"),
# pronouns in brackets ("(she/her)", "[sie/ihr]"), and whatever follows a separator
# ("Jane Doe | climate", "Jan Smit · Utrecht", "Eva Berg - MEP").
_SHORTCODE = re.compile(r":[\w+-]+:")
_PRONOUNS = re.compile(r"\([^)]*/[^)]*\)|\[[^\]]*/[^\]]*\]")
_SEPARATOR = re.compile(r"\s[|·•–—/-]\s|\s?\|")
# One to three initials, then a surname: "J. Cole", "J.R. Parker", "S.M.Richardson".
_INITIALS = re.compile(r"^(?:[^\W\d_]\.\s*){1,3}[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*$")


def _double_name(word: str, names: frozenset[str]) -> bool:
    parts = word.split("-")
    return len(parts) == 2 and all(p in names for p in parts)


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """The lower-case given names of ``given_names.tsv``."""
    with (LEXICON_DIR / "given_names.tsv").open(encoding="utf-8", newline="") as fh:
        return frozenset(row["name"] for row in csv.DictReader(fh, delimiter="\t"))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """One-word place names of the gazetteer (lower case): "Toulouse", "Firenze"."""
    return frozenset(k for k in load_places() if " " not in k)


def personal_name(
    name: str, names: frozenset[str], places: frozenset[str] = frozenset()
) -> tuple[str, int] | None:
    """What makes a display name one person's (``given name 'Jane'``, ``initials
    'J. R.'``) and the name's word count; None when it does not read as one, or when
    a word after the second is one of ``places`` (an office or a group of that town:
    "Aria Pulita Ora Roma"; the second may be a surname: "Maria Porto")."""
    if "&" in name or "+" in name:  # two people, or a business ("Beratung & Recht")
        return None
    name = _SEPARATOR.split(_PRONOUNS.sub(" ", _SHORTCODE.sub(" ", name)), maxsplit=1)[0]
    if not name or any(ch.isdigit() for ch in name):
        return None
    words = all_words = _WORD.findall(name)
    while words and words[0].lower().replace("'", "") in HONORIFICS:
        words = words[1:]
    if not words or len(words) > MAX_WORDS:
        return None
    if any(w in JOINERS for w in words[1:]):  # lower case only: "Jan A. Smit" keeps "A"
        return None
    if any(w.lower() in places for w in words[2:]):  # "Maria Porto" is a surname
        return None
    first = words[0].lower()
    if first in names or _double_name(first, names):  # "Jean-Pierre", "Hanna-Maria"
        return f"given name '{words[0]}'", len(words)
    surname = words[-1]
    if (
        _INITIALS.match(name.strip())  # "J. Cole", "S.M.Richardson"; not "E.ON"
        and surname[0].isupper()
        and any(c.islower() for c in surname)
    ):
        return f"initials '{' '.join(w + '.' for w in all_words[:-1])}'", len(all_words)
    return None
