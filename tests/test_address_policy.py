"""The address policy (DESIGN.md): one function for every URL the tool fetches, applied
to the campaign file, discovered instances and every Scrapy request and response."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.core.net import (
    address_refusal,
    allowed_hosts,
    canonical_host,
    check_url,
    host_class,
    url_refusal,
)
from crawler.fetch.address import STAT, AddressPolicyMiddleware
from crawler.mastodon.discovery import may_crawl


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCOUT_ALLOWED_HOSTS", raising=False)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
        ("\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::1", "::1"),
    ],
)
def test_numeric_spellings_are_the_address_a_resolver_connects_to(host: str, address: str) -> None:
    assert canonical_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.0.0.1", "0x100000000", "08.0.0.1", "a..b", ""])
def test_malformed_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError):
        canonical_host(host)
    assert url_refusal(f"http://{host}/") is not None


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("mastodon.social", "public"),
        ("m\u00fcnchen.de", "public"),
        ("8.8.8.8", "public"),
        ("[2001:4860:4860::8888]", "public"),
        ("[::ffff:8.8.8.8]", "public"),
        ("127.0.0.1", "private"),
        ("localhost", "private"),
        ("foo.localhost", "private"),
        ("printer.local", "private"),
        ("intranet", "private"),
        ("10.2.3.4", "private"),
        ("172.31.0.1", "private"),
        ("192.168.0.10", "private"),
        ("100.64.1.1", "private"),
        ("[fd12::1]", "private"),
        ("[64:ff9b::a00:1]", "private"),
        ("[2002:c0a8:101::1]", "private"),
        ("169.254.169.254", "never"),
        ("169.254.1.1", "never"),
        ("[fe80::1]", "never"),
        ("100.100.100.200", "never"),
        ("[fd00:ec2::254]", "never"),
        ("metadata.google.internal", "never"),
        ("METADATA.GOOGLE.INTERNAL.", "never"),
        ("[::ffff:169.254.169.254]", "never"),
        ("0.0.0.0", "never"),
        ("[::]", "never"),
        ("224.0.0.251", "never"),
    ],
)
def test_host_classes(host: str, kind: str) -> None:
    assert host_class(host) == kind


def test_allowed_hosts_name_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", " 127.0.0.1:8731 , [::1]:9000,mastodon.lan,bad host")
    assert allowed_hosts() == {
        "127.0.0.1:8731",
        "[::1]:9000",
        "mastodon.lan:80",
        "mastodon.lan:443",
    }
    assert url_refusal("http://127.0.0.1:8731/api") is None
    assert url_refusal("http://2130706433:8731/") is None  # the same address and port
    assert url_refusal("http://127.0.0.1:8732/") is not None  # another port
    assert url_refusal("http://[::1]:9000/") is None
    assert url_refusal("https://mastodon.lan/") is None
    assert url_refusal("http://mastodon.lan:3000/") is not None
    assert url_refusal("ws://127.0.0.1:8731/subscribe", ("ws", "wss")) is None
    assert url_refusal("http://127.0.0.1:8731/", ("ws", "wss")) == "not a ws(s) URL"


def test_a_long_allowed_list_is_parsed_once_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo network names one port per demo website (thousands): every fetched URL is
    judged against the list, so it is parsed once per value, not once per URL."""
    from crawler.core.net import _parse_allowed

    many = ",".join(f"127.0.0.1:{p}" for p in range(20_000, 30_000))
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", many)
    assert url_refusal("http://127.0.0.1:25000/") is None
    misses = _parse_allowed.cache_info().misses
    for port in range(20_000, 20_500):
        assert url_refusal(f"http://127.0.0.1:{port}/followers") is None
    assert url_refusal("http://127.0.0.1:30001/") is not None
    assert _parse_allowed.cache_info().misses == misses
    # a changed value is read anew: the cache never hides a change of the policy
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "127.0.0.1:30001")
    assert url_refusal("http://127.0.0.1:30001/") is None
    assert url_refusal("http://127.0.0.1:25000/") is not None


def test_link_local_and_metadata_are_never_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "SCOUT_ALLOWED_HOSTS",
        "169.254.169.254:80,metadata.google.internal:80,[fe80::1]:80,100.100.100.200:80",
    )
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fe80::1]/",
        "http://100.100.100.200/",
        "http://0xa9fea9fe/",
    ):
        reason = url_refusal(url)
        assert reason is not None and "never fetched" in reason, url


def test_check_url_gives_one_line_reasons() -> None:
    assert check_url(" https://Mastodon.Social/ ") == "https://Mastodon.Social"
    with pytest.raises(ValueError, match=r"not named in SCOUT_ALLOWED_HOSTS: 'http://10\.0\.0\.1'"):
        check_url("http://10.0.0.1")
    with pytest.raises(ValueError, match="user name or password"):
        check_url("https://u:p@example.org")


def test_connected_address_is_judged_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # a public name that resolves to a private or metadata address (DNS rebinding)
    assert address_refusal("10.0.0.7", "https://mastodon.example/") is not None
    assert address_refusal("169.254.169.254", "https://mastodon.example/") is not None
    assert address_refusal("93.184.216.34", "https://mastodon.example/") is None
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "mastodon.lan:443")
    assert address_refusal("10.0.0.7", "https://mastodon.lan/") is None
    assert address_refusal("169.254.169.254", "https://mastodon.lan/") is not None


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


def _middleware() -> tuple[AddressPolicyMiddleware, _Stats]:
    stats = _Stats()
    crawler: Any = SimpleNamespace(stats=stats)
    return AddressPolicyMiddleware.from_crawler(crawler), stats


def test_middleware_refuses_requests_and_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    mw, stats = _middleware()
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:3000/api/v1/instance",
        "http://0x7f000001/",
        "https://[::ffff:10.0.0.1]/",
    ):
        with pytest.raises(IgnoreRequest, match="address policy"):
            mw.process_request(Request(url))
    assert stats.values[STAT] == 4
    assert mw.process_request(Request("https://mastodon.social/api/v1/instance")) is None
    # a redirect target is a new request: it passes process_request again (above); a
    # response from a private address for a public name is dropped
    req = Request("https://mastodon.example/api/v1/timelines/tag/x")
    private = Response(req.url, request=req, ip_address=ipaddress.ip_address("192.168.1.5"))
    with pytest.raises(IgnoreRequest):
        mw.process_response(req, private)
    public = Response(req.url, request=req, ip_address=ipaddress.ip_address("93.184.216.34"))
    assert mw.process_response(req, public) is public
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "127.0.0.1:3000")
    assert mw.process_request(Request("http://127.0.0.1:3000/api/v1/instance")) is None


def test_discovery_uses_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert may_crawl("https://mastodon.social")
    assert not may_crawl("http://mastodon.social")  # discovered public servers: https only
    for base in (
        "https://169.254.169.254",
        "https://2130706433",
        "https://[::1]",
        "https://a.local",
    ):
        assert not may_crawl(base, [base])
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "127.0.0.1:3002")
    assert may_crawl("http://127.0.0.1:3002")
    assert not may_crawl("http://127.0.0.1:3003")


def _resolver(monkeypatch: pytest.MonkeyPatch, table: dict[str, str]) -> None:
    """getaddrinfo as a DNS would answer for these names (a rebinding attacker's)."""
    import socket

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in table:
            raise socket.gaierror("no such name")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_sdk_clients_refuse_names_that_resolve_to_private_addresses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The atproto SDK, Mastodon.py and the Jetstream socket connect by themselves (no
    Scrapy middleware): the names they are given are resolved and judged first."""
    from crawler.bluesky.collector import BlueskyCollector
    from crawler.bluesky.jetstream_socket import Sessions
    from crawler.core.config import Campaign
    from crawler.core.errors import AddressRefused
    from crawler.core.net import resolved_refusal
    from crawler.mastodon.client import MastodonClient
    from pipelines.stats import Stats

    _resolver(
        monkeypatch,
        {
            "pds.example.org": "10.1.2.3",
            "meta.example.org": "169.254.169.254",
            "public.example.org": "93.184.215.14",
        },
    )
    assert resolved_refusal("https://public.example.org") is None
    assert resolved_refusal("https://unknown.example.org") is None  # the client's own error
    refusal = resolved_refusal("https://pds.example.org")
    assert refusal is not None and "private address 10.1.2.3" in refusal
    meta = resolved_refusal("https://meta.example.org/x")
    assert meta is not None and "metadata" in meta
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "pds.example.org:443")
    assert resolved_refusal("https://pds.example.org") is None  # named: a self-hosted PDS
    monkeypatch.delenv("SCOUT_ALLOWED_HOSTS")

    campaign = Campaign.model_validate(
        {
            "campaign": {"name": "x", "hashtags": ["eci"]},
            "bluesky": {"service": "https://pds.example.org"},
        }
    )
    with pytest.raises(AddressRefused, match="pds.example.org.*10.1.2.3"):
        BlueskyCollector(campaign, stats=Stats(), cursors=None, session_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(AddressRefused, match="169.254.169.254"):
        MastodonClient("https://meta.example.org", None)
    sock = Sessions(host="meta.example.org", stats=Stats())
    with pytest.raises(AddressRefused):
        sock._session("wss://meta.example.org/subscribe", print, lambda: None, None)  # type: ignore[arg-type]


def test_commands_that_fetch_nothing_read_a_campaign_naming_private_hosts(
    tmp_path: Any,
) -> None:
    from crawler.core.config import CampaignError, load_campaign
    from crawler.core.net import nothing_fetched

    f = tmp_path / "c.toml"
    f.write_text(
        "[campaign]\nname='x'\nhashtags=['a']\n"
        "[mastodon]\ninstances=['http://127.0.0.1:8731', 'https://mastodon.lan']\n"
        "[seeds]\naccounts=['https://10.0.0.5/@ngo']\n"
    )
    with pytest.raises(CampaignError, match="127.0.0.1:8731 not named in SCOUT_ALLOWED_HOSTS"):
        load_campaign(f)  # a crawl: the whole policy
    cfg = load_campaign(f, fetches=False)  # lead lists, exports, the report
    assert cfg.mastodon is not None and cfg.mastodon.instances == [
        "http://127.0.0.1:8731",
        "https://mastodon.lan",
    ]
    # only for that reading: the policy is whole again afterwards
    assert url_refusal("http://127.0.0.1:8731") is not None
    with pytest.raises(ValueError, match="10.0.0.5:443 not named"):
        cfg.seeds.parsed_accounts()  # what a crawl would fetch is judged again on use
    # every other rule still holds without fetching
    with nothing_fetched():
        assert url_refusal("http://127.0.0.1:8731") is None
        assert "never fetched" in str(url_refusal("http://169.254.169.254/latest"))
        assert "not an http(s) URL" in str(url_refusal("ftp://127.0.0.1"))
    metadata = tmp_path / "m.toml"
    metadata.write_text(
        "[campaign]\nname='x'\nhashtags=['a']\n[mastodon]\ninstances=['http://169.254.169.254']\n"
    )
    with pytest.raises(CampaignError, match="never fetched"):
        load_campaign(metadata, fetches=False)
