"""The websites of leads (``scrapy crawl websites -a campaign=CAMPAIGN.toml``).

Start URLs come from the stored accounts of the campaign (organisations, politicians,
journalists and public figures; individuals only with ``[websites] include_individuals
= true``): verified profile fields first, then other fields, bio links and Bluesky
handles on a domain of their own (:mod:`crawler.sites.candidates`). A site read in the
last ``SCOUT_WEBSITES_REFRESH_DAYS`` is not read again. Per site at most ``max_pages``
pages: the home page, then the imprint, contact and about pages it links to
(:mod:`crawler.sites.extract`). robots.txt is obeyed (a site that disallows us is
recorded with status ``robots``; only robots.txt was fetched), one request at a time per
site, HTML only, small size, time and redirect caps (``WEBSITE_SPIDER_SETTINGS`` in
:mod:`crawler.fetch.settings`); every request, redirect and resolved address passes the
address policy (:mod:`crawler.fetch.address`, :mod:`crawler.fetch.resolver`).

What a site says is written through the store handed on the crawler
(``save_websites``): a ``websites`` row per (account, site) and ``contacts`` rows
(website, email, contact_form, profile), in batches. ``-a url=https://...`` reads one
site for no account (nothing stored; for trying the spider out).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from crawler.core.config import Campaign, load_campaign
from crawler.core.net import host_key, hostname
from crawler.core.protocols import STORE_ATTR
from crawler.core.vocab import WEBSITE_ROLES
from crawler.fetch import resolver
from crawler.fetch.settings import WEBSITE_SPIDER_SETTINGS
from crawler.sites.candidates import SiteCandidate, site_urls
from crawler.sites.extract import PAGE_KINDS, PageFacts, read_page
from crawler.sites.legal import address_country, legal_form, register_id

FLUSH_EVERY = 50  # sites per batch written


class WebsiteStore(Protocol):
    def website_candidates(
        self, campaign: str, roles: Sequence[str], since: datetime
    ) -> list[dict[str, Any]]: ...

    def save_websites(
        self, websites: Sequence[dict[str, Any]], contacts: Sequence[dict[str, Any]]
    ) -> int: ...


@dataclass
class Site:
    """One site being read, for the accounts that name it."""

    url: str
    accounts: list[SiteCandidate]
    profiles: dict[str, str]  # account_id -> its profile URL (for rel=me back-links)
    pending: int = 0
    facts: list[PageFacts] = field(default_factory=list)
    status: str | None = None
    reason: str | None = None
    final_url: str | None = None
    queued: set[str] = field(default_factory=set)


def _norm(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"


class WebsiteSpider(scrapy.Spider):
    name = "websites"
    custom_settings = WEBSITE_SPIDER_SETTINGS

    def __init__(
        self,
        campaign: str | Campaign | None = None,
        *args: Any,
        url: str | None = None,
        sites: Sequence[tuple[str, str]] | None = None,
        detect_language: Callable[[str], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = (
            load_campaign(campaign) if isinstance(campaign, str) and campaign else campaign
        )
        if self.campaign is None and url is None and sites is None:
            raise ValueError("pass the campaign file: -a campaign=CAMPAIGN.toml")
        websites = self.campaign.websites if isinstance(self.campaign, Campaign) else None
        self.max_pages = websites.max_pages if websites is not None else 5
        self.include_individuals = bool(websites and websites.include_individuals)
        self.given = [("", url)] if url else list(sites or [])
        self.detect_language = detect_language
        self.sites: dict[str, Site] = {}
        self.rows: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.finished: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WebsiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    @property
    def stats(self) -> StatsCollector:
        stats = self.crawler.stats
        assert stats is not None
        return stats

    @property
    def store(self) -> WebsiteStore | None:
        return getattr(self.crawler, STORE_ATTR, None)

    # ------------------------------------------------------------------ start
    def _candidates(self) -> list[tuple[SiteCandidate, str]]:
        if self.given:
            return [(SiteCandidate(a, u, "given", False), "") for a, u in self.given]
        store = self.store
        if store is None or not isinstance(self.campaign, Campaign):
            return []
        roles = [r for r in WEBSITE_ROLES if r != "individual" or self.include_individuals]
        days = self.crawler.settings.getfloat("SCOUT_WEBSITES_REFRESH_DAYS")
        since = datetime.now(UTC) - timedelta(days=days)
        out: list[tuple[SiteCandidate, str]] = []
        for row in store.website_candidates(self.campaign.name, roles, since):
            fresh = {_norm(u) for u in row.get("fresh") or []}
            for cand in site_urls(
                str(row["account_id"]),
                str(row["platform"]),
                str(row["handle"] or ""),
                row.get("bio"),
                row.get("fields"),
                (str(row.get("instance") or ""),),
            ):
                if _norm(cand.url) not in fresh:
                    out.append((cand, str(row.get("url") or "")))
        return out

    async def start(self) -> AsyncIterator[Any]:
        for cand, profile in self._candidates():
            site = self.sites.get(cand.url)
            if site is None:
                site = self.sites[cand.url] = Site(cand.url, [], {})
            site.accounts.append(cand)
            if profile:
                site.profiles[cand.account_id] = profile
        self.stats.set_value("scout/websites/sites", len(self.sites))
        for site in self.sites.values():
            yield self._request(site, site.url, "home")

    def _request(self, site: Site, url: str, kind: str) -> scrapy.Request:
        site.pending += 1
        site.queued.add(_norm(url))
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.failed,
            cb_kwargs={"site": site, "kind": kind},
            # the pages of one site in reading order: home, imprint, contact, about
            priority=-(["home", *PAGE_KINDS].index(kind)),
            headers={"Accept": "text/html,application/xhtml+xml;q=0.9"},
            dont_filter=True,
        )

    # -------------------------------------------------------------- callbacks
    def parse_page(self, response: Response, site: Site, kind: str) -> Any:
        site.pending -= 1
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if not isinstance(response, TextResponse) or "html" not in ctype:
            if kind == "home":
                site.status, site.reason = "not_html", f"not an HTML page ({ctype or 'no type'})"
            self._maybe_done(site)
            return
        facts = read_page(response.text, response.url)
        if not facts.languages and self.detect_language is not None and facts.text:
            lang = self.detect_language(facts.text[:1200])
            facts.languages = [lang] if lang else []
        site.facts.append(facts)
        self.stats.inc_value("scout/websites/pages")
        if kind == "home":
            site.status, site.final_url = "ok", response.url
            budget = self.max_pages - 1
            for page_kind in PAGE_KINDS:
                for url in facts.pages.get(page_kind, []):
                    if budget <= 0:
                        break
                    if _norm(url) in site.queued or host_key(url) != host_key(response.url):
                        continue
                    budget -= 1
                    yield self._request(site, url, page_kind)
        self._maybe_done(site)

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        site: Site = request.cb_kwargs["site"]
        kind: str = request.cb_kwargs["kind"]
        site.pending -= 1
        if kind == "home":
            site.status, site.reason = self._why(failure, request.url)
            if site.status == "refused" and not failure.check(IgnoreRequest):
                # refused at resolution (crawler.fetch.resolver): no connection was made
                self.stats.inc_value("scout/address_refused")
        else:
            self.stats.inc_value("scout/websites/pages_failed")
        self._maybe_done(site)

    @staticmethod
    def _why(failure: Failure, url: str) -> tuple[str, str]:
        message = " ".join(str(failure.value).split())[:200]
        if failure.check(IgnoreRequest):
            if "robots.txt" in message:
                return "robots", "robots.txt disallows eci-scout"
            if "address policy" in message:
                return "refused", message
            return "error", message or "ignored"
        refused = resolver.REFUSED.get(hostname(url))
        if refused:  # every address of the name was refused at resolution
            return "refused", f"address policy: {refused}"
        if failure.check(DNSLookupError) or "DNS lookup failed" in message:
            return "error", "host name not found"
        if failure.check(HttpError):
            status = getattr(getattr(failure.value, "response", None), "status", "?")
            return "error", f"HTTP {status}"
        return "error", f"{type(failure.value).__name__}: {message}"[:200]

    # ------------------------------------------------------------- results
    def _maybe_done(self, site: Site) -> None:
        if site.pending > 0:
            return
        self.finished[site.status or "error"] = self.finished.get(site.status or "error", 0) + 1
        self.stats.inc_value(f"scout/websites/{site.status or 'error'}")
        self._record(site)
        if len(self.rows) >= FLUSH_EVERY:
            self.flush()

    def _record(self, site: Site) -> None:
        stamp = datetime.now(UTC)
        text = " ".join(f.text for f in site.facts)
        languages: list[str] = []
        for f in site.facts:
            languages += [lang for lang in f.languages if lang not in languages]
        rel_me = {_norm(u) for f in site.facts for u in f.rel_me}
        rel_me |= {_norm(p.url) for f in site.facts for p in f.profiles if p.rel_me}
        for cand in site.accounts:
            profile = site.profiles.get(cand.account_id, "")
            links_back = bool(profile) and _norm(profile) in rel_me
            verified = cand.verified or links_back
            self.rows.append(
                {
                    "url": site.url,
                    "account_id": cand.account_id,
                    "status": site.status or "error",
                    "fetched_at": stamp,
                    "legal_form": legal_form(text) if text else None,
                    "country": address_country(text, languages) if text else None,
                    "languages": languages,
                    "register_id": register_id(text) if text else None,
                    "pages": [f.url for f in site.facts],
                    "reason": site.reason,
                    "source": cand.source,
                    "verified": verified,
                    "links_back": links_back,
                    "final_url": site.final_url,
                }
            )
            if site.status != "ok":
                continue

            def route(
                kind: str, value: str, source: str, ok: bool = False, who: str = cand.account_id
            ) -> None:
                self.contacts.append(
                    {
                        "account_id": who,
                        "kind": kind,
                        "value": value,
                        "source_url": source,
                        "verified": ok,
                        "seen_at": stamp,
                    }
                )

            route("website", site.url, site.final_url or site.url, verified)
            for f in site.facts:
                for email in f.emails:
                    route("email", email, f.url)
                if f.contact_form:
                    route("contact_form", f.contact_form, f.url)
                for p in f.profiles:
                    if _norm(p.url) != _norm(profile):
                        route("profile", p.url, f.url, p.rel_me)

    def flush(self) -> None:
        store = self.store
        rows, contacts = self.rows, self.contacts
        self.rows, self.contacts = [], []
        if store is not None and (rows or contacts):
            written = store.save_websites(rows, contacts)
            self.stats.inc_value("scout/websites/rows", written)

    def on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        self.flush()
