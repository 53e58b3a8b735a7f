"""The address policy at name resolution: Scrapy connects only to addresses that pass
:func:`crawler.core.net.address_refusal`.

:class:`PolicyResolver` is Scrapy's ``TWISTED_DNS_RESOLVER``: it resolves a host name
(``socket.getaddrinfo`` in the reactor's thread pool), drops every address the policy
refuses (loopback and private ones not named in ``SCOUT_ALLOWED_HOSTS``, link-local,
carrier-grade NAT, multicast, unique-local, metadata) and hands Twisted only the rest;
Twisted connects to an address it was handed, so the address checked is the address
connected to (a DNS-rebinding name that answers "public" to one lookup and "private"
to the next cannot slip between a check and a connection). A name left without an
address fails as a DNS lookup error before any connection; the reason is kept in
:data:`REFUSED` (host -> words) and counted as ``scout/address_refused``.
:class:`~crawler.fetch.address.AddressPolicyMiddleware` still judges every URL before
it is queued and the address a response came from.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Sequence
from typing import Any, Self

from scrapy.crawler import Crawler
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from twisted.internet.threads import deferToThreadPool
from zope.interface import implementer

from crawler.core.net import address_refusal

log = logging.getLogger(__name__)
STAT = "scout/address_refused"
# host name -> why its addresses were refused (read by spiders' errbacks)
REFUSED: dict[str, str] = {}


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels here
        pass


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def allowed_addresses(host: str, port: int, answers: Sequence[str]) -> tuple[list[str], str | None]:
    """The answers the policy lets a connection to ``host:port`` use, and the reason the
    first refused one was refused (``None`` if none was)."""
    allowed: list[str] = []
    reason = None
    for ip in answers:
        refusal = address_refusal(ip, _url(host, port))
        if refusal is None:
            allowed.append(ip)
        elif reason is None:
            reason = refusal
    return allowed, reason


@implementer(IHostnameResolver)
class PolicyResolver:
    def __init__(self, reactor: Any, stats: Any = None) -> None:
        self.reactor = reactor
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        # Scrapy hands the CrawlerProcess here (one resolver per process), not a crawler
        return cls(reactor, getattr(crawler, "stats", None))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    @staticmethod
    def lookup(host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to (the system resolver; tests inject one by
        replacing ``socket.getaddrinfo``)."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def resolveHostName(
        self,
        resolutionReceiver: Any,  # an IResolutionReceiver (zope interfaces are untyped)
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[Any]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        host = hostName.strip("[]")

        def answer(addresses: list[str]) -> None:
            allowed, reason = allowed_addresses(host, portNumber, addresses)
            if reason is not None and not allowed:
                REFUSED[host.lower()] = reason
                if self.stats is not None:
                    self.stats.inc_value(STAT)
                log.warning("address policy: refused %s (%s)", host[:200], reason)
            for ip in allowed:
                kind = IPv6Address if ":" in ip else IPv4Address
                resolutionReceiver.addressResolved(kind("TCP", ip, portNumber))
            resolutionReceiver.resolutionComplete()

        def failed(_failure: Any) -> None:
            resolutionReceiver.resolutionComplete()  # no address: a DNS lookup error

        try:
            ipaddress.ip_address(host)
            answer([host])  # a literal: nothing to look up
        except ValueError:
            d = deferToThreadPool(
                self.reactor, self.reactor.getThreadPool(), self.lookup, host, portNumber
            )
            d.addCallbacks(answer, failed)
        resolved: Any = resolution
        return resolved
