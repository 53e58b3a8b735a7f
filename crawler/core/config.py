"""Campaign files: TOML parsed into typed, validated settings.

Errors carry the file name and the dotted key so the CLI can print one clear line,
e.g. ``campaign.toml: mastodon.instances[1]: not an http(s) URL: 'ftp://x'``.

Types are strict (``true`` is not a number of days, ``"no"`` is not a boolean, ``2.5`` is
not a count), every number and list has bounds, and every URL passes the address policy
of :mod:`crawler.core.net` (``SCOUT_ALLOWED_HOSTS`` names loopback or private hosts).
"""

from __future__ import annotations

import os
import re
import tomllib
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.core.errors import UserError
from crawler.core.matching import CampaignMatcher
from crawler.core.net import check_url, nothing_fetched
from crawler.core.seeds import SeedAccount, StarterPack, parse_seed, parse_starter_pack
from crawler.core.vocab import EU_LANGUAGES, country_code


class CampaignError(UserError):
    """A campaign file that cannot be used; ``str()`` is one line for the user."""


_TAG_RE = re.compile(r"^[^\s#@,\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_FILE_BYTES = 1_000_000  # a campaign file is a few hundred bytes; refuse megabytes
MAX_TERMS = 1000  # hashtags, keywords, instances: bounds keep validation and matching fast
MAX_SIGNATURES = 10**8  # more than any member state's population


def _check_url(value: str) -> str:
    return check_url(value)  # the address policy; its ValueError names the reason


def _check_ws_url(value: str) -> str:
    return check_url(value, ("ws", "wss"))


def _check_env_name(value: str) -> str:
    if not _ENV_NAME_RE.match(value):
        raise ValueError(f"not an environment variable name: {value[:80]!r}")
    return value


def _check_date(value: Any) -> Any:
    """A TOML date (``since = 2026-09-01``) or an ISO date string; nothing else (no
    numbers taken for timestamps)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value is None:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"not a date (YYYY-MM-DD): {str(value)[:80]!r}")


def _check_tag(tag: str) -> str:
    t = tag.strip().lstrip("#")
    if not t or len(t) > 200 or not _TAG_RE.match(t):
        raise ValueError(f"not a hashtag: {tag[:80]!r}")
    return t.lower()


def _check_country(code: str) -> str:
    c = country_code(code)
    if c is None:
        raise ValueError(f"not an EU member state code: {code[:80]!r}")
    return c


def _check_language(code: str) -> str:
    c = code.strip().lower()
    if c not in EU_LANGUAGES:
        raise ValueError(f"not an official EU language code: {code[:80]!r}")
    return c


# One item each: pydantic's own error locations then name the index ("countries[1]").
Hashtag = Annotated[StrictStr, AfterValidator(_check_tag)]
CountryCode = Annotated[StrictStr, AfterValidator(_check_country)]
LanguageCode = Annotated[StrictStr, AfterValidator(_check_language)]
HttpUrl = Annotated[StrictStr, Field(max_length=2000), AfterValidator(_check_url)]
WsUrl = Annotated[StrictStr, Field(max_length=2000), AfterValidator(_check_ws_url)]
EnvName = Annotated[StrictStr, AfterValidator(_check_env_name)]
Keyword = Annotated[StrictStr, Field(max_length=200)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


class _Section(BaseModel):
    # strict: no bool/str/float coercion from what a TOML file says
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CampaignSection(_Section):
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    hashtags: Annotated[list[Hashtag], Field(max_length=MAX_TERMS), AfterValidator(_unique)] = (
        Field(default_factory=list)
    )
    keywords: Annotated[list[Keyword], Field(max_length=MAX_TERMS)] = Field(default_factory=list)
    countries: Annotated[list[CountryCode], Field(max_length=100)] = Field(default_factory=list)
    languages: Annotated[list[LanguageCode], Field(max_length=100)] = Field(default_factory=list)
    since: Annotated[date | None, BeforeValidator(_check_date)] = None
    # optional: current signature counts per country, so ranking favours countries short
    # of their threshold
    signatures: Annotated[
        dict[CountryCode, Annotated[StrictInt, Field(ge=0, le=MAX_SIGNATURES)]],
        Field(max_length=100),
    ] = Field(default_factory=dict)
    # later crawls also follow the related hashtags accepted with `scout hashtags --accept`
    follow_related: StrictBool = False

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
    instances: Annotated[list[HttpUrl], Field(max_length=MAX_TERMS), AfterValidator(_unique)] = (
        Field(default_factory=list)
    )
    discover: StrictBool = False
    max_instances: Annotated[StrictInt, Field(ge=1, le=100_000)] = 50
    token_env: EnvName | None = None  # name of the environment variable holding a token
    # optional cap a run
    requests_per_instance: Annotated[StrictInt, Field(ge=1, le=10**7)] | None = None

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
    jetstream: WsUrl | None = None
    handle_env: EnvName = "SCOUT_BLUESKY_HANDLE"
    password_env: EnvName = "SCOUT_BLUESKY_APP_PASSWORD"
    max_pages: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1000

    @property
    def handle(self) -> str | None:
        return os.environ.get(self.handle_env) or None

    @property
    def app_password(self) -> str | None:
        return os.environ.get(self.password_env) or None


class PrivacySection(_Section):
    retention_days: Annotated[StrictInt, Field(ge=1, le=3650)] = 180
    respect_opt_outs: StrictBool = True
    exclude_bots_from_volunteers: StrictBool = True


class WebsitesSection(_Section):
    """``[websites]`` of the contract: read the sites linked from profiles. The keys are
    validated so contract files load; reading websites is not built yet (issue 11)."""

    enabled: StrictBool = True
    include_individuals: StrictBool = False
    max_pages: Annotated[StrictInt, Field(ge=1, le=10_000)] = 5


def _check_seed(value: str) -> str:
    parse_seed(value)  # ValueError names the reason
    return value.strip()


def _check_starter_pack(value: str) -> str:
    parse_starter_pack(value)
    return value.strip()


SeedRef = Annotated[StrictStr, Field(max_length=2000), AfterValidator(_check_seed)]
StarterPackRef = Annotated[StrictStr, Field(max_length=2000), AfterValidator(_check_starter_pack)]


class SeedsSection(_Section):
    """The campaign's own and its partners' accounts, and Bluesky starter packs: their
    followers and follows are collected (the communities around the organizers)."""

    accounts: Annotated[list[SeedRef], Field(max_length=MAX_TERMS), AfterValidator(_unique)] = (
        Field(default_factory=list)
    )
    starter_packs: Annotated[
        list[StarterPackRef], Field(max_length=MAX_TERMS), AfterValidator(_unique)
    ] = Field(default_factory=list)
    followers_max: Annotated[StrictInt, Field(ge=1, le=10_000_000)] = 5000

    def parsed_accounts(self, platform: str | None = None) -> list[SeedAccount]:
        seeds = [parse_seed(a) for a in self.accounts]
        return [s for s in seeds if platform is None or s.platform == platform]

    def parsed_starter_packs(self) -> list[StarterPack]:
        return [parse_starter_pack(p) for p in self.starter_packs]


class Campaign(_Section):
    campaign: CampaignSection
    mastodon: MastodonSection | None = None
    bluesky: BlueskySection | None = None
    privacy: PrivacySection = PrivacySection()
    seeds: SeedsSection = SeedsSection()
    websites: WebsitesSection = WebsitesSection()
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


def load_campaign(path: str | Path, *, fetches: bool = True) -> Campaign:
    """Read and validate a campaign file; raise :class:`CampaignError` with one line.
    ``fetches=False`` for work that fetches nothing (lead lists, exports, the report):
    its URLs may then name loopback or private hosts that ``SCOUT_ALLOWED_HOSTS`` does not
    (:func:`crawler.core.net.nothing_fetched`); a crawl loads the file with the whole
    address policy."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise CampaignError(f"{p}: larger than {MAX_FILE_BYTES:,} bytes; not a campaign file")
        raw = tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise CampaignError(f"{p}: no such campaign file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError(f"{p}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nesting level
        raise CampaignError(f"{p}: not valid TOML: nested too deeply") from None
    if "campaign" not in raw:
        raise CampaignError(f"{p}: campaign: missing section [campaign]")
    try:
        with nullcontext() if fetches else nothing_fetched():
            cfg = Campaign.model_validate(raw)
    except RecursionError:
        raise CampaignError(f"{p}: nested too deeply") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing"
        elif (field := re.match(r"([a-z_]+): (.*)", msg)) and err["type"] == "value_error":
            # a section's own check names its key first ("instances: list at least one")
            key, msg = f"{key}.{field[1]}" if key else field[1], field[2]
        raise CampaignError(f"{p}: {key}: {msg}") from None
    return cfg.model_copy(update={"path": p})
