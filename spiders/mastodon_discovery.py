"""Instance discovery callbacks of the Mastodon spider: the home servers of accounts seen
in posts are checked (robots.txt through Scrapy, then nodeinfo) and, if they speak the
Mastodon API, crawled too, up to ``max_instances`` servers in all. What is learnt is
kept in the instance registry (:mod:`crawler.mastodon.discovery`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.core.net import base_url, host_key
from crawler.mastodon.discovery import (
    may_crawl,
    nodeinfo_href,
    nodeinfo_software,
    speaks_mastodon_api,
)
from spiders.mastodon_base import MastodonSpiderBase


class InstanceDiscovery(MastodonSpiderBase):
    def _discover(self, status: dict[str, Any], seen_on: str) -> Iterator[scrapy.Request]:
        masto = self.campaign.mastodon
        if masto is None or not masto.discover or self.registry is None:
            return
        accounts: list[Any] = [status.get("account")]
        reblog = status.get("reblog")
        if isinstance(reblog, dict):
            accounts.append(reblog.get("account"))
        for m in status.get("mentions") or []:
            if isinstance(m, dict):
                accounts.append({"url": m.get("url")})
        for acc in accounts:
            if not isinstance(acc, dict):
                continue
            base = base_url(acc.get("uri")) or base_url(acc.get("url"))
            if base is None:
                continue
            host = host_key(base)
            if host in self.active or host in self.checking:
                continue
            rec = self.registry.get(host)
            if rec is not None and not rec.needs_check(self.now):
                continue  # checked recently: it does not speak the API or is refused
            if not self._room():
                self.stats.inc_value("scout/mastodon/discovery_over_max")
                continue
            if not may_crawl(base, masto.instances):
                self.stats.inc_value("scout/mastodon/discovery_refused")
                continue
            self.registry.add(base, seen_on, self.now)
            self.checking.add(host)
            self.stats.inc_value("scout/mastodon/discovery_checks")
            yield self._nodeinfo_request(base, configured=False)

    def _nodeinfo_request(
        self, base: str, *, configured: bool, url: str | None = None
    ) -> scrapy.Request:
        return scrapy.Request(
            url or f"{base}/.well-known/nodeinfo",
            callback=self.parse_nodeinfo if url else self.parse_nodeinfo_index,
            errback=self.on_discovery_error,
            cb_kwargs={"base": base, "configured": configured},
            meta={"download_slot": host_key(base), "handle_httpstatus_all": True},
        )

    def _checked(self, base: str, *, software: str | None, version: str | None) -> bool:
        host = host_key(base)
        self.checking.discard(host)
        rec = self._record(host)
        speaks = speaks_mastodon_api(software)
        if rec is not None:
            self._touch(
                host,
                software=software,
                version=version,
                speaks_mastodon_api=speaks,
                last_checked_at=self.now,
                robots_ok=True if rec.robots_ok is None else rec.robots_ok,
            )
        if not speaks:
            self.stats.inc_value("scout/mastodon/discovered_not_mastodon")
        return speaks

    def parse_nodeinfo_index(
        self, response: Response, base: str, configured: bool
    ) -> Iterator[Any]:
        doc = self._json(response) if response.status == 200 else None
        href = nodeinfo_href(doc, base)
        if href is None:
            self._checked(base, software=None, version=None)
            return
        yield self._nodeinfo_request(base, configured=configured, url=href)

    def parse_nodeinfo(self, response: Response, base: str, configured: bool) -> Iterator[Any]:
        doc = self._json(response) if response.status == 200 else None
        software, version = nodeinfo_software(doc)
        speaks = self._checked(base, software=software, version=version)
        if configured:
            return  # crawled anyway: the organizer listed it
        if speaks:
            self.stats.inc_value("scout/mastodon/instances_discovered")
            self.logger.info("discovered %s (%s %s)", host_key(base), software, version)
            yield from self._activate(base)

    def on_discovery_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        host = host_key(request.cb_kwargs["base"])
        self.checking.discard(host)
        if failure.check(IgnoreRequest) and "robots" in failure.getErrorMessage().lower():
            self._touch(host, robots_ok=False, last_checked_at=self.now)
        else:
            self._touch(host, last_checked_at=self.now)
        self.stats.inc_value("scout/mastodon/discovery_failed")
        self.logger.info("%s: discovery failed (%s)", host, failure.getErrorMessage())
