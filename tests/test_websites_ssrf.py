"""The website spider cannot be turned against its own network: names that a hostile
DNS answers with loopback, private, link-local, carrier-grade NAT, multicast, unique-local
or metadata addresses are refused before any connection (the address checked is the
address connected to), redirects to such addresses too; a guard fails every connection
to a non-loopback address, and the loopback site counts the requests it got."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from crawler.db.store import Store
from crawler.fetch.resolver import allowed_addresses
from tests.support.items import mastodon_account
from tests.support.net import allowed_hosts
from tests.support.websites import CountingSite, run_spider

HTML = {"Content-Type": "text/html; charset=utf-8"}
# name -> what the hostile DNS answers
HOSTILE = {
    "loopback.example": "127.0.0.1",
    "private.example": "10.0.0.1",
    "private192.example": "192.168.1.20",
    "cgnat.example": "100.64.3.4",
    "linklocal.example": "169.254.10.10",
    "metadata.example": "169.254.169.254",
    "alibaba-meta.example": "100.100.100.200",
    "multicast.example": "224.0.0.251",
    "ula.example": "fd12:3456::1",
    "mapped.example": "::ffff:10.0.0.1",
}


@pytest.fixture(autouse=True)
def _no_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCOUT_ALLOWED_HOSTS", raising=False)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_resolver_refuses_each_class(name: str) -> None:
    allowed, reason = allowed_addresses(name, 80, [HOSTILE[name]])
    assert allowed == [] and reason is not None
    assert allowed_addresses("public.example", 443, ["93.184.215.14"]) == (["93.184.215.14"], None)


def test_link_local_and_metadata_stay_refused_when_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCOUT_ALLOWED_HOSTS", "metadata.example:80,private.example:80")
    assert allowed_addresses("metadata.example", 80, ["169.254.169.254"])[0] == []
    assert allowed_addresses("private.example", 80, ["10.0.0.1"])[0] == ["10.0.0.1"]


def _store(db: Path, users: list[str]) -> None:
    store = Store(db)
    store.upsert_accounts([mastodon_account(u) for u in users])
    store.close()


def test_no_request_reaches_a_refused_address(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    names = sorted(HOSTILE)
    _store(db, [*(n.split(".")[0].replace("-", "_") for n in names), "good", "redirector"])
    home = b'<html lang="en"><body><a href="/contact">Contact</a></body></html>'
    contact = b'<html lang="en"><body>Write to hello [at] good [dot] example</body></html>'
    with (
        CountingSite(
            {
                "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"),
                "/": (200, HTML, home),
                "/contact": (200, HTML, contact),
            }
        ) as good,
        CountingSite(
            {
                "/robots.txt": (404, HTML, b""),
                # a public-looking name that rebinds to the metadata service, and a literal
                "/": (302, {"Location": "http://metadata.example/latest/meta-data/"}, b""),
                "/2": (302, {"Location": "http://10.0.0.1/admin"}, b""),
            }
        ) as redirector,
    ):
        port = good.port
        resolve = {**HOSTILE, "good.example": "127.0.0.1", "redirector.example": "127.0.0.1"}
        sites = [
            [
                f"mastodon:https://eu.social/users/{n.split('.')[0].replace('-', '_')}",
                f"http://{n}:{port}/",
            ]
            for n in names
        ]
        sites += [
            ["mastodon:https://eu.social/users/good", f"http://good.example:{port}/"],
            [
                "mastodon:https://eu.social/users/redirector",
                f"http://redirector.example:{redirector.port}/",
            ],
            [
                "mastodon:https://eu.social/users/redirector",
                f"http://redirector.example:{redirector.port}/2",
            ],
        ]
        with allowed_hosts(
            f"http://good.example:{port}", f"http://redirector.example:{redirector.port}"
        ):
            result = run_spider({"sites": sites, "resolve": resolve, "db": str(db)})
    # the guard saw loopback connections only, and the hostile names got nothing
    assert result["connections"], "the allowed sites were read"
    assert all(c in ("127.0.0.1", "::1") for c in result["connections"])
    assert {h.split(":")[0] for h, _ in good.requests} == {"good.example"}
    assert [p for _h, p in good.requests] == ["/robots.txt", "/", "/contact"]
    assert {p for _h, p in redirector.requests} <= {"/robots.txt", "/", "/2"}
    assert result["stats"]["scout/address_refused"] >= len(HOSTILE)
    with duckdb.connect(str(db), read_only=True) as con:
        status = dict(
            con.execute(
                "SELECT split_part(account_id, '/', -1), status FROM websites"
                " WHERE account_id NOT LIKE '%redirector'"
            ).fetchall()
        )
        redirected = con.execute(
            "SELECT status, reason FROM websites WHERE account_id LIKE '%redirector' ORDER BY url"
        ).fetchall()
        emails = con.execute("SELECT value FROM contacts WHERE kind = 'email'").fetchall()
        con_reasons = con.execute("SELECT reason FROM websites").fetchall()
    assert status.pop("good") == "ok"
    assert set(status.values()) == {"refused"}, con_reasons
    assert len(status) == len(HOSTILE)
    assert [s for s, _ in redirected] == ["refused", "refused"]
    assert emails == [("hello@good.example",)]
