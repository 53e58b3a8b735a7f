"""What the CLI and the report show about a database, as data (no printing, no HTML).

Every function reads through :mod:`crawler.db.readmodels`; callers format the
dataclasses and DataFrames returned here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from crawler.core.config import Campaign
from crawler.core.errors import UserError
from crawler.core.vocab import EU_COUNTRIES, LEAD_TYPES, MEP_SEATS, country_code, threshold
from crawler.db import readmodels
from crawler.db.store import Store

# Country names as the report shows them (English short names).
COUNTRY_NAMES: dict[str, str] = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CY": "Cyprus", "CZ": "Czechia",
    "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GR": "Greece", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland",
    "IT": "Italy", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta",
    "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
    "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia",
}  # fmt: skip


def open_store(db: Path, *, must_exist: bool = True, read_only: bool = False) -> Store:
    """The database at ``db``; with ``must_exist`` a missing file is a user error."""
    if (must_exist or read_only) and not db.exists():
        raise UserError(f"{db}: no database yet; run `scout crawl CAMPAIGN.toml --db {db}` first")
    return Store(db, read_only=read_only)


@contextmanager
def reading(db: Path) -> Iterator[Store]:
    """A short read (``scout leads``, ``export``, ``report``): the database opened
    read-only for the block, so it runs beside other readers and, between its batches,
    beside a crawl; it waits briefly while a writer holds the file."""
    with open_store(db, read_only=True) as store, store.session():
        yield store


def _cc(code: str) -> str:
    """ISO code of a member state (``EL`` -> ``GR``); other codes upper-cased as given."""
    return country_code(code) or code.strip().upper()


# --------------------------------------------------------------------------- CLI


@dataclass
class PlatformCount:
    platform: str
    accounts: int
    posts: int


@dataclass
class Findings:
    """What a run leaves in the database: stored accounts and posts per platform, and
    the campaign's leads per country (``None`` = unknown) and lead type."""

    collected: list[PlatformCount]
    leads: dict[str | None, dict[str, int]] = field(default_factory=dict)

    def countries(self) -> list[str | None]:
        """Countries by number of leads (most first), then code (unknown first)."""
        return sorted(self.leads, key=lambda c: (-sum(self.leads[c].values()), c or "?"))

    def totals(self) -> dict[str, int]:
        return {t: sum(per.get(t, 0) for per in self.leads.values()) for t in LEAD_TYPES}


def findings(store: Store, campaign: str) -> Findings:
    """:class:`Findings` of ``campaign``."""
    out = Findings([PlatformCount(*row) for row in readmodels.collected_per_platform(store)])
    for country, lead_type, n in readmodels.lead_counts_by_country(store, campaign):
        out.leads.setdefault(country, {})[lead_type] = n
    return out


# --------------------------------------------------------------------------- report


@dataclass
class CountryRow:
    code: str
    name: str
    seats: int
    threshold: int
    signatures: int | None
    leads: dict[str, int]
    supporters: int
    target: bool

    @property
    def total_leads(self) -> int:
        return sum(self.leads.values())

    @property
    def below_threshold(self) -> bool:
        return self.signatures is not None and self.signatures < self.threshold

    @property
    def share(self) -> float | None:
        return None if self.signatures is None else self.signatures / self.threshold


def report_leads(store: Store, campaign: str) -> pd.DataFrame:
    """Every stored column of the campaign's leads, countries as ISO codes."""
    df = readmodels.campaign_leads(store, campaign)
    country = df["country"].astype("object").where(df["country"].notna(), None)
    df["country"] = country.map(lambda c: None if c is None else _cc(str(c)))
    return df


def supporters_by_country(store: Store, campaign: str) -> dict[str, int]:
    """Accounts supporting the campaign per ISO country code."""
    out: dict[str, int] = {}
    for cc, n in readmodels.supporters_by_country(store, campaign):
        out[_cc(cc)] = out.get(_cc(cc), 0) + n
    return out


def country_coverage(
    leads: pd.DataFrame, supporters: Mapping[str, int], campaign: Campaign
) -> list[CountryRow]:
    """One row per EU member state: seats, threshold, signatures, leads, supporters."""
    counts: dict[tuple[str, str], int] = {}
    if len(leads):
        pairs = pd.DataFrame({"cc": leads["country"], "t": leads["lead_type"]})
        for key, n in pairs.value_counts().items():
            country, lead_type = cast(tuple[Any, Any], key)
            counts[(str(country), str(lead_type))] = int(n)
    given = campaign.campaign.signatures
    targets = set(campaign.campaign.countries)
    return [
        CountryRow(
            code=code,
            name=COUNTRY_NAMES.get(code, code),
            seats=MEP_SEATS[code],
            threshold=threshold(code),
            signatures=given.get(code),
            leads={t: counts.get((code, t), 0) for t in LEAD_TYPES},
            supporters=supporters.get(code, 0),
            target=code in targets,
        )
        for code in EU_COUNTRIES
    ]
