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
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.core.errors import UserError
from crawler.core.matching import CampaignMatcher
from crawler.core.vocab import EU_LANGUAGES, country_code


class CampaignError(UserError):
    """A campaign file that cannot be used; ``str()`` is one line for the user."""


_TAG_RE = re.compile(r"^[^\s#@,]+$")


def _check_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


def _check_tag(tag: str) -> str:
    t = tag.strip().lstrip("#")
    if not t or not _TAG_RE.match(t):
        raise ValueError(f"not a hashtag: {tag!r}")
    return t.lower()


def _check_country(code: str) -> str:
    c = country_code(code)
    if c is None:
        raise ValueError(f"not an EU member state code: {code!r}")
    return c


def _check_language(code: str) -> str:
    c = code.strip().lower()
    if c not in EU_LANGUAGES:
        raise ValueError(f"not an official EU language code: {code!r}")
    return c


# One item each: pydantic's own error locations then name the index ("countries[1]").
Hashtag = Annotated[str, AfterValidator(_check_tag)]
CountryCode = Annotated[str, AfterValidator(_check_country)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]
HttpUrl = Annotated[str, AfterValidator(_check_url)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CampaignSection(_Section):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    hashtags: Annotated[list[Hashtag], AfterValidator(_unique)] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    countries: list[CountryCode] = Field(default_factory=list)
    languages: list[LanguageCode] = Field(default_factory=list)
    since: date | None = None
    # optional: current signature counts per country, so ranking favours countries short
    # of their threshold
    signatures: dict[CountryCode, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, words: list[str]) -> list[str]:
        return _unique([w.strip() for w in words if w.strip()])

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
    instances: Annotated[list[HttpUrl], AfterValidator(_unique)] = Field(default_factory=list)
    discover: bool = False
    max_instances: Annotated[int, Field(ge=1, le=100_000)] = 50
    token_env: str | None = None  # name of the environment variable holding a token
    requests_per_instance: Annotated[int, Field(ge=1)] | None = None  # optional cap a run

    @model_validator(mode="after")
    def _has_instance(self) -> MastodonSection:
        if not self.instances:
            raise ValueError("instances: list at least one instance base URL")
        return self

    @property
    def token(self) -> str | None:
        return os.environ.get(self.token_env) if self.token_env else None


class BlueskySection(_Section):
    service: HttpUrl = "https://public.api.bsky.app"
    appview: HttpUrl | None = None
    jetstream: str | None = None
    handle_env: str = "SCOUT_BLUESKY_HANDLE"
    password_env: str = "SCOUT_BLUESKY_APP_PASSWORD"
    max_pages: Annotated[int, Field(ge=1)] = 1000

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
        if part == "[key]":  # a dict key that failed: its name is already in the path
            continue
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
        raise CampaignError(f"{p}: {key}: {msg}") from None
    return cfg.model_copy(update={"path": p})
