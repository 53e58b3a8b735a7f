"""Campaign files: TOML parsed into typed, validated settings.

Errors carry the file name and the dotted key so the CLI can print one clear line,
e.g. ``campaign.toml: mastodon.instances[1]: not an http(s) URL: 'ftp://x'``.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.core.matching import CampaignMatcher

# The 24 official languages of the EU (ISO 639-1).
EU_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip

# Seats in the European Parliament 2024-2029 (European Council Decision (EU) 2023/2061).
MEP_SEATS: dict[str, int] = {
    "AT": 20, "BE": 22, "BG": 17, "CY": 6, "CZ": 21, "DE": 96, "DK": 15, "EE": 7,
    "ES": 61, "FI": 15, "FR": 81, "GR": 21, "HR": 12, "HU": 21, "IE": 14, "IT": 76,
    "LT": 11, "LU": 6, "LV": 9, "MT": 6, "NL": 31, "PL": 53, "PT": 21, "RO": 33,
    "SE": 21, "SI": 9, "SK": 15,
}  # fmt: skip
EU_COUNTRIES: tuple[str, ...] = tuple(sorted(MEP_SEATS))
# Regulation (EU) 2019/788, Art. 3(1)(b) and Annex I: seats x degressive factor 720.
SIGNATURES_PER_SEAT = 720


def threshold(country: str) -> int:
    """Minimum number of signatories for ``country`` (ISO alpha-2)."""
    return MEP_SEATS[country.upper()] * SIGNATURES_PER_SEAT


class CampaignError(Exception):
    """A campaign file that cannot be used; ``str()`` is one line for the user."""


_TAG_RE = re.compile(r"^[^\s#@,]+$")


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignSection(_Section):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    hashtags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    since: date | None = None
    # optional: current signature counts per country, so ranking favours countries short
    # of their threshold
    signatures: dict[str, int] = Field(default_factory=dict)

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        out: list[str] = []
        for i, tag in enumerate(tags):
            t = tag.strip().lstrip("#")
            if not t or not _TAG_RE.match(t):
                raise ValueError(f"[{i}] not a hashtag: {tag!r}")
            if t.lower() not in out:
                out.append(t.lower())
        return out

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, words: list[str]) -> list[str]:
        out = [w.strip() for w in words if w.strip()]
        return list(dict.fromkeys(out))

    @field_validator("countries")
    @classmethod
    def _countries(cls, codes: list[str]) -> list[str]:
        out = []
        for i, code in enumerate(codes):
            c = code.strip().upper()
            if c == "EL":  # the EU's own code for Greece
                c = "GR"
            if c not in MEP_SEATS:
                raise ValueError(f"[{i}] not an EU member state code: {code!r}")
            out.append(c)
        return out

    @field_validator("languages")
    @classmethod
    def _languages(cls, codes: list[str]) -> list[str]:
        out = []
        for i, code in enumerate(codes):
            c = code.strip().lower()
            if c not in EU_LANGUAGES:
                raise ValueError(f"[{i}] not an official EU language code: {code!r}")
            out.append(c)
        return out

    @field_validator("signatures")
    @classmethod
    def _signatures(cls, counts: dict[str, int]) -> dict[str, int]:
        out = {}
        for code, n in counts.items():
            c = code.strip().upper()
            c = "GR" if c == "EL" else c
            if c not in MEP_SEATS:
                raise ValueError(f"{code}: not an EU member state code")
            if n < 0:
                raise ValueError(f"{code}: a signature count cannot be negative")
            out[c] = n
        return out

    @model_validator(mode="after")
    def _something_to_follow(self) -> CampaignSection:
        if not self.hashtags and not self.keywords:
            raise ValueError("hashtags: give at least one hashtag or keyword")
        return self

    @property
    def since_datetime(self) -> datetime | None:
        if self.since is None:
            return None
        return datetime(self.since.year, self.since.month, self.since.day, tzinfo=UTC)


class MastodonSection(_Section):
    instances: list[str] = Field(default_factory=list)
    discover: bool = False
    max_instances: Annotated[int, Field(ge=1, le=100_000)] = 50
    token_env: str | None = None  # name of the environment variable holding a token
    requests_per_instance: Annotated[int, Field(ge=1)] | None = None  # optional cap a run

    @field_validator("instances")
    @classmethod
    def _instances(cls, urls: list[str]) -> list[str]:
        out = []
        for i, u in enumerate(urls):
            try:
                out.append(_check_url(u.strip()))
            except ValueError as exc:
                raise ValueError(f"[{i}] {exc}") from None
        return list(dict.fromkeys(out))

    @model_validator(mode="after")
    def _has_instance(self) -> MastodonSection:
        if not self.instances:
            raise ValueError("instances: list at least one instance base URL")
        return self

    @property
    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


class BlueskySection(_Section):
    service: str = "https://public.api.bsky.app"
    appview: str | None = None
    jetstream: str | None = None
    handle_env: str = "SCOUT_BLUESKY_HANDLE"
    password_env: str = "SCOUT_BLUESKY_APP_PASSWORD"
    max_pages: Annotated[int, Field(ge=1)] = 1000

    _check = field_validator("service", "appview")(
        classmethod(lambda cls, v: None if v is None else _check_url(v))
    )

    @field_validator("jetstream")
    @classmethod
    def _ws(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if urlsplit(v).scheme not in ("ws", "wss"):
            raise ValueError(f"not a ws(s) URL: {v!r}")
        return v

    @property
    def handle(self) -> str | None:
        return os.environ.get(self.handle_env) or None

    @property
    def app_password(self) -> str | None:
        return os.environ.get(self.password_env) or None


class PrivacySection(_Section):
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 180
    respect_opt_outs: bool = True
    exclude_bots_from_volunteers: bool = True


class Campaign(_Section):
    campaign: CampaignSection
    mastodon: MastodonSection | None = None
    bluesky: BlueskySection | None = None
    privacy: PrivacySection = PrivacySection()
    path: Path | None = Field(default=None, exclude=True)

    @property
    def name(self) -> str:
        return self.campaign.name

    @property
    def matcher(self) -> CampaignMatcher:
        """The campaign's hashtags and keywords as the one matching rule."""
        return CampaignMatcher.for_campaign(self.campaign)

    def retention_cutoff(self, now: datetime | None = None) -> datetime:
        now = now or datetime.now(UTC)
        return now - timedelta(days=self.privacy.retention_days)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_campaign(path: str | Path) -> Campaign:
    """Read and validate a campaign file; raise :class:`CampaignError` with one line."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CampaignError(f"{p}: no such campaign file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError(f"{p}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError(f"{p}: not valid TOML: {exc}") from None
    if "campaign" not in raw:
        raise CampaignError(f"{p}: campaign: missing section [campaign]")
    try:
        cfg = Campaign.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing"
        # nested validators put their own index prefix ("[1] ...") into the message
        if msg.startswith("["):
            key, msg = key + msg.split(" ", 1)[0], msg.split(" ", 1)[1]
        raise CampaignError(f"{p}: {key}: {msg}") from None
    return cfg.model_copy(update={"path": p})
