"""One vocabulary for the whole project: member states, languages, lead types, roles,
defaults. Every other module imports these names from here; nothing is copied.

Facts with their sources:
- the 24 official EU languages (ISO 639-1);
- seats in the European Parliament 2024-2029 (European Council Decision (EU) 2023/2061);
- ECI thresholds: seats x 720 (Regulation (EU) 2019/788, Art. 3(1)(b) and Annex I).
"""

from __future__ import annotations

from typing import Final

# The 24 official languages of the EU (ISO 639-1).
EU_LANGUAGES: Final[tuple[str, ...]] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip

# Seats in the European Parliament 2024-2029, by ISO 3166 alpha-2 code.
MEP_SEATS: Final[dict[str, int]] = {
    "AT": 20, "BE": 22, "BG": 17, "CY": 6, "CZ": 21, "DE": 96, "DK": 15, "EE": 7,
    "ES": 61, "FI": 15, "FR": 81, "GR": 21, "HR": 12, "HU": 21, "IE": 14, "IT": 76,
    "LT": 11, "LU": 6, "LV": 9, "MT": 6, "NL": 31, "PL": 53, "PT": 21, "RO": 33,
    "SE": 21, "SI": 9, "SK": 15,
}  # fmt: skip
EU_COUNTRIES: Final[tuple[str, ...]] = tuple(sorted(MEP_SEATS))
SIGNATURES_PER_SEAT: Final = 720

# The EU writes Greece "EL" (and the UK was "UK"); the project stores ISO 3166 codes.
_COUNTRY_ALIASES: Final[dict[str, str]] = {"EL": "GR"}

# Lead types in the order organizers read them (exports, reports, terminal tables).
LEAD_TYPES: Final[tuple[str, ...]] = ("volunteer", "influencer", "intermediary", "sponsor")

PERSON_ROLES: Final[tuple[str, ...]] = ("politician", "journalist", "public_figure", "individual")
ROLES: Final[tuple[str, ...]] = (*PERSON_ROLES, "organization")
ORG_TYPES: Final[tuple[str, ...]] = (
    "ngo", "union", "association", "party", "public_body", "media", "company",
    "foundation", "academic", "religious", "other",
)  # fmt: skip
SCOPES: Final[tuple[str, ...]] = ("local", "regional", "national", "european")
STANCES: Final[tuple[str, ...]] = ("supports", "neutral", "opposes")
LEAD_STATUSES: Final[tuple[str, ...]] = (
    "new", "to_contact", "contacted", "replied", "joined", "declined", "not_relevant",
)  # fmt: skip
# Outreach is over for these: the lead leaves the "to contact" lists but stays visible.
CLOSED_STATUSES: Final[tuple[str, ...]] = ("joined", "declined", "not_relevant")
PLATFORMS: Final[tuple[str, ...]] = ("mastodon", "bluesky")
INTERACTION_KINDS: Final[tuple[str, ...]] = ("mention", "reply", "repost", "quote")
RUN_STATUSES: Final[tuple[str, ...]] = ("ok", "partial", "failed", "interrupted")
# The website pass reads the sites of these roles ("individual" only when the campaign
# file says [websites] include_individuals = true); what it records per site and account.
WEBSITE_ROLES: Final[tuple[str, ...]] = (
    "organization", "politician", "journalist", "public_figure", "individual",
)  # fmt: skip
WEBSITE_STATUSES: Final[tuple[str, ...]] = ("ok", "robots", "refused", "error", "not_html")
CONTACT_KINDS: Final[tuple[str, ...]] = ("website", "email", "contact_form", "profile")

# Defaults shared by the CLI, the crawl, Scrapy settings and the pipelines.
DEFAULT_DB: Final = "data/scout.duckdb"
SERVE_PORT: Final = 8750  # `scout serve` listens here unless --port says otherwise
PROJECT_URL: Final = "https://github.com/eci-scout/eci-scout"
VERSION: Final = "0.1"
# Identify honestly; SCOUT_CONTACT (env) may add an e-mail or URL for server admins.
USER_AGENT: Final = (
    f"eci-scout/{VERSION} (research crawler for European Citizens' Initiative campaigns; "
    f"+{PROJECT_URL})"
)


def country_code(code: str) -> str | None:
    """ISO 3166 alpha-2 code of an EU member state from what a user or a source wrote
    (any case, the EU's ``EL`` for Greece); ``None`` when it is not a member state."""
    c = code.strip().upper()
    c = _COUNTRY_ALIASES.get(c, c)
    return c if c in MEP_SEATS else None


def threshold(country: str) -> int:
    """Minimum number of signatories for ``country`` (ISO alpha-2, ``EL`` accepted)."""
    code = country_code(country)
    if code is None:
        raise KeyError(country)
    return MEP_SEATS[code] * SIGNATURES_PER_SEAT
