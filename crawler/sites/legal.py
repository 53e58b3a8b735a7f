"""Legal facts an imprint states: the legal form (``e.V.``, ``asbl``, ``Stichting``...),
the register number (Vereinsregister ``VR``, ``HRB``, ``KvK``, ``SIREN``/``SIRET``,
Belgian enterprise number, ``ZVR``, ``KRS``, ``CIF``...) and the country of the postal
address (a country name in any EU language, from CLDR through babel, else a postcode
pattern read with the page's language).

Only what the page states: ``None`` when it says nothing recognisable, never a guess
from the top-level domain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from crawler.core.vocab import EU_COUNTRIES, EU_LANGUAGES

# (label, pattern), most specific first; the label is what the websites table stores
LEGAL_FORMS: tuple[tuple[str, str], ...] = (
    ("gGmbH", r"\bgGmbH\b"),
    ("GmbH", r"\bGmbH\b"),
    ("e.V.", r"\be\.\s?V\.(?!\w)|\beingetragener Verein\b"),
    ("Stiftung", r"\b(?:gemeinnützige |rechtsfähige )?Stiftung\b(?: des (?:bürgerlichen|privaten) Rechts)?"),
    ("Verein", r"\bZVR\b"),
    ("asbl", r"\b(?:asbl|a\.s\.b\.l\.|association sans but lucratif)\b"),
    ("vzw", r"\b(?:vzw|v\.z\.w\.|vereniging zonder winstoogmerk)\b"),
    ("association loi 1901", r"\bassociation (?:loi (?:de )?1901|déclarée)\b"),
    ("SAS", r"\bSAS\b(?= au capital| \d)"),
    ("SARL", r"\bSARL\b"),
    ("Stichting", r"\bStichting\b"),
    ("Vereniging", r"\bVereniging\b"),
    ("B.V.", r"\bB\.V\.(?!\w)"),
    ("ETS", r"\b(?:ETS|Ente del Terzo Settore)\b"),
    ("APS", r"\b(?:APS|Associazione di Promozione Sociale)\b"),
    ("ODV", r"\b(?:ODV|Organizzazione di Volontariato)\b"),
    ("Onlus", r"\bOnlus\b"),
    ("Asociación", r"\bAsociación\b"),
    ("Fundación", r"\bFundación\b"),
    ("Fondazione", r"\bFondazione\b"),
    ("stowarzyszenie", r"\b[Ss]towarzyszenie\b"),
    ("fundacja", r"\b[Ff]undacja\b"),
    ("z. s.", r"\bz\.\s?s\.(?!\w)|\bzapsaný spolek\b"),
    ("o.p.s.", r"\bo\.\s?p\.\s?s\.(?!\w)"),
    ("Associação", r"\bAssociação\b"),
    ("ry", r"\b(?:ry|rekisteröity yhdistys)\b"),
    ("ideell förening", r"\bideell förening\b"),
    ("Ltd", r"\b(?:Ltd|Limited)\b"),
)  # fmt: skip

# (label, pattern with the number in group 1); numbers keep their written grouping
REGISTERS: tuple[tuple[str, str], ...] = (
    ("VR", r"\b(?:VR|Vereinsregister(?:nummer)?)\s*(?:Nr\.?|:)?\s*(\d{1,6}(?:\s?[A-Z]{1,2}\b)?)"),
    ("HRB", r"\bHRB\s*:?\s*(\d{1,6}(?:\s?[A-Z]{1,2}\b)?)"),
    ("HRA", r"\bHRA\s*:?\s*(\d{1,6}(?:\s?[A-Z]{1,2}\b)?)"),
    ("ZVR", r"\bZVR(?:-Zahl|-Nr\.?| Nr\.?| number)?\s*:?\s*(\d{6,10})"),
    ("KvK", r"\b(?:KvK|Kamer van Koophandel)(?:[-\s]?(?:nummer|nr\.?))?\s*:?\s*(\d{8})\b"),
    ("SIRET", r"\bSIRET\s*:?\s*(\d{3}\s?\d{3}\s?\d{3}\s?\d{5})\b"),
    ("SIREN", r"\bSIREN\s*:?\s*(\d{3}\s?\d{3}\s?\d{3})\b"),
    ("RNA", r"\b(?:RNA\s*:?\s*)?(W\d{9})\b"),
    ("BCE", r"(?:numéro d'entreprise|n° d'entreprise|ondernemingsnummer|\bBCE|\bKBO)\s*:?\s*(?:BE\s?)?(0?\d{3}[.\s]?\d{3}[.\s]?\d{3})\b"),
    ("KRS", r"\bKRS\s*:?\s*(\d{10})\b"),
    ("CIF", r"\b(?:CIF|NIF)\s*:?\s*([A-Z]-?\d{7,8}[A-Z0-9]?)\b"),
    ("C.F.", r"(?:\bC\.\s?F\.|\bCodice Fiscale)\s*:?\s*(\d{11})\b"),
    ("IČO", r"\bIČO?\s*:?\s*(\d{8})\b"),
    ("NIPC", r"\bNIPC\s*:?\s*(\d{9})\b"),
)  # fmt: skip

# postcode patterns that name one country whatever the language (prefix forms, formats)
_POSTCODE_FIXED: tuple[tuple[str, str], ...] = (
    ("DE", r"\bD-\d{5}\s+\w"),
    ("AT", r"\bA-\d{4}\s+\w"),
    ("FR", r"\bF-\d{5}\s+\w"),
    ("BE", r"\bB-\d{4}\s+\w"),
    ("LU", r"\bL-\d{4}\s+\w"),
    ("NL", r"\b\d{4}\s?[A-Z]{2}\s+[A-Z][a-z]"),
    ("PL", r"\b\d{2}-\d{3}\s+[A-ZŁŚŻŹ]"),
    ("PT", r"\b\d{4}-\d{3}\s+[A-Z]"),
    ("LV", r"\bLV-\d{4}\b"),
    ("LT", r"\bLT-\d{5}\b"),
    ("MT", r"\b[A-Z]{3}\s?\d{4}\b(?=.*\bMalta\b)"),
)
# a plain postcode before a capitalised city: the country follows the page's language
_POSTCODE_BY_LANG: dict[str, tuple[str, str]] = {
    "de": ("DE", r"\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]"),
    "fr": ("FR", r"\b\d{5}\s+[A-ZÉ][a-zéèê]"),
    "it": ("IT", r"\b\d{5}\s+[A-Z][a-z]"),
    "es": ("ES", r"\b\d{5}\s+[A-Z][a-z]"),
    "fi": ("FI", r"\b\d{5}\s+[A-ZÄÖ][a-zäö]"),
    "et": ("EE", r"\b\d{5}\s+[A-ZÕÄÖÜ][a-zõäöü]"),
    "hr": ("HR", r"\b\d{5}\s+[A-ZČĆŽŠĐ][a-zčćžšđ]"),
    "sv": ("SE", r"\b\d{3}\s\d{2}\s+[A-ZÅÄÖ][a-zåäö]"),
    "cs": ("CZ", r"\b\d{3}\s\d{2}\s+[A-ZČŘŠŽ][a-zčřšžáéíóúůý]"),
    "sk": ("SK", r"\b\d{3}\s\d{2}\s+[A-ZČŠŽ][a-zčšžáéíóúý]"),
    "el": ("GR", r"\b\d{3}\s\d{2}\s+[Α-Ω]"),
    "da": ("DK", r"\b\d{4}\s+[A-ZÆØÅ][a-zæøå]"),
    "hu": ("HU", r"\b\d{4}\s+[A-ZÁÉÍÓÖŐÚÜŰ][a-záéíóöőúüű]"),
    "sl": ("SI", r"\b\d{4}\s+[A-ZČŠŽ][a-zčšž]"),
    "bg": ("BG", r"\b\d{4}\s+[А-Я]"),
    "ro": ("RO", r"\b\d{6}\s+[A-ZȘȚ][a-zșțăâî]"),
    "nl": ("BE", r"\b\d{4}\s+[A-Z][a-z]"),
}


def legal_form(text: str) -> str | None:
    """The first legal form the text states, as a short label."""
    for label, pattern in LEGAL_FORMS:
        if re.search(pattern, text):
            return label
    return None


def register_id(text: str) -> str | None:
    """``"<register> <number>"`` (``VR 12345 B``, ``KvK 41234567``) for the first
    register number the text states."""
    for label, pattern in REGISTERS:
        m = re.search(pattern, text, re.IGNORECASE if label in ("BCE", "KvK") else 0)
        if m:
            return f"{label} {' '.join(m.group(1).split())}"
    return None


@cache
def _country_names() -> list[tuple[str, str]]:
    """(name, code) of every EU member state in every EU language (CLDR), longest first."""
    from babel import Locale, UnknownLocaleError

    names: dict[str, str] = {}
    for lang in EU_LANGUAGES:
        try:
            territories = Locale.parse(lang).territories
        except (UnknownLocaleError, ValueError):  # pragma: no cover - depends on CLDR data
            continue
        for code in EU_COUNTRIES:
            name = territories.get(code)
            if name and len(name) > 3:
                names.setdefault(name, code)
    names.setdefault("Deutschland", "DE")
    names.setdefault("Österreich", "AT")
    return sorted(names.items(), key=lambda kv: -len(kv[0]))


def address_country(text: str, languages: Sequence[str] = ()) -> str | None:
    """ISO code of the country of the postal address in an imprint or contact text: a
    country name (any EU language) near a postcode wins, then a postcode pattern that
    names one country, then a plain postcode read with the page's language."""
    postcode = re.compile(r"\b[A-Z]{0,2}-?\d{2,6}(?:[ -]\d{2,3})?\s+[A-ZÀ-ÝΑ-ΩА-Я]")
    for name, code in _country_names():
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            window = text[max(0, m.start() - 120) : m.end() + 40]
            if postcode.search(window):
                return code
    for code, pattern in _POSTCODE_FIXED:
        if re.search(pattern, text):
            return code
    for lang in languages:
        rule = _POSTCODE_BY_LANG.get(lang)
        if rule and re.search(rule[1], text):
            return rule[0]
    return None
