"""The website pass on the demo network, as ``scout crawl`` runs it: organisations' sites
end with a contact route, robots.txt is obeyed, each site is read one request at a time
within its page budget, and ``scout forget`` erases what the sites gave."""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.db.store import Store
from scout_demo.network import DemoNetwork, write_demo_campaign
from scout_demo.sites import WORDS
from tests.support.crawlrun import rows, run_crawl_cli

MAX_PAGES = 5  # the campaign file's default


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("websites")
    with DemoNetwork(n_accounts=500, n_posts=5000) as net:
        campaign = tmp / "campaign.toml"
        write_demo_campaign(net.state, campaign)
        db = tmp / "scout.duckdb"
        proc = run_crawl_cli(campaign, db)
        assert proc.returncode == 0, proc.stderr[-2000:]
        with urllib.request.urlopen(net.sites_index + "/_demo/sites") as r:
            sites = json.load(r)
        with urllib.request.urlopen(net.sites_index + "/_demo/site-requests") as r:
            requests = json.load(r)
        mastodon_hosts = [u.split("://", 1)[1] for u in net.mastodon_urls]
        yield {
            "db": db, "sites": sites, "requests": requests, "stderr": proc.stderr,
            "mastodon_hosts": mastodon_hosts,
        }  # fmt: skip


def test_organisations_with_a_website_end_with_a_contact_route(crawled: dict[str, Any]) -> None:
    ((total, reached),) = rows(
        crawled["db"],
        "SELECT count(DISTINCT w.account_id), count(DISTINCT c.account_id) FROM websites w"
        " JOIN accounts a USING (account_id)"
        " LEFT JOIN contacts c ON c.account_id = w.account_id"
        "  AND c.kind IN ('email', 'contact_form')"
        " WHERE a.role = 'organization'"
        # the sites that shut us out (robots.txt) or are hostile on purpose (redirects to
        # refused addresses, loops, oversized pages) cannot give a route: the demo puts
        # its four hostile sites among the first, a large share of a small world
        "  AND w.status NOT IN ('robots', 'refused', 'error')",
    )
    assert total >= 40
    assert reached / total >= 0.9, (reached, total)
    statuses = dict(rows(crawled["db"], "SELECT status, count(*) FROM websites GROUP BY 1"))
    assert statuses["ok"] >= 40
    # what the imprints state reached the table
    ((with_country, with_form, with_register, linked),) = rows(
        crawled["db"],
        "SELECT count(country), count(legal_form), count(register_id), count_if(links_back)"
        " FROM websites WHERE status = 'ok'",
    )
    assert with_country >= 0.8 * statuses["ok"]
    assert with_form >= 0.5 * statuses["ok"] and with_register >= 0.5 * statuses["ok"]
    assert linked >= 0.3 * statuses["ok"]


def test_the_imprints_country_reaches_the_accounts_in_the_same_crawl(
    crawled: dict[str, Any],
) -> None:
    """The crawl classifies before the website pass and again, for the accounts whose
    imprint it read, after it: the imprint's address is in their reasons and country."""
    found = rows(
        crawled["db"],
        "SELECT a.country, w.country, a.class_reasons FROM accounts a"
        " JOIN websites w USING (account_id) WHERE w.status = 'ok' AND w.country IS NOT NULL",
    )
    assert len(found) >= 30
    said = [r for r in found if "imprint address in" in r[2]]
    assert len(said) == len(found), [r[2] for r in found if r not in said][:3]
    assert all(account == site for account, site, _ in found)


def test_robots_txt_is_obeyed_and_sites_are_read_politely(crawled: dict[str, Any]) -> None:
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for req in crawled["requests"]:
        by_site[req["site"]].append(req)
    assert by_site, "the crawl read demo sites"
    specs = {s["url"]: s for s in crawled["sites"]}
    blocked_seen = imprint_seen = 0
    for url, reqs in by_site.items():
        spec = specs[url]
        paths = [r["path"] for r in reqs]
        assert all(r["agent"].startswith("eci-scout/") for r in reqs)
        assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1
        assert len(paths) - 1 <= MAX_PAGES
        if spec["robots"] == "all":
            blocked_seen += 1
            assert paths == ["/robots.txt"]
        if spec["robots"] == "imprint":
            imprint_seen += 1
            assert WORDS[spec["lang"]][3] not in paths
        # one request at a time per site
        spans = sorted((r["start"], r["end"]) for r in reqs)
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            assert s2 >= e1 - 0.01, (url, spans)
    assert blocked_seen >= 1 and imprint_seen >= 1
    robots = rows(crawled["db"], "SELECT count(*) FROM websites WHERE status = 'robots'")[0][0]
    assert robots >= 1


def test_hostile_sites_are_recorded_not_followed(crawled: dict[str, Any]) -> None:
    hostile = {s["url"]: s["hostile"] for s in crawled["sites"] if s["hostile"]}
    got = dict(rows(crawled["db"], "SELECT url, status FROM websites"))
    seen = {kind: got[url] for url, kind in hostile.items() if url in got}
    assert seen, "at least one hostile site belongs to a collected account"
    expected = {"huge": "error", "loop": "error", "metadata": "refused", "private": "refused"}
    assert all(status == expected[kind] for kind, status in seen.items()), seen


def test_forget_erases_websites_and_contacts(crawled: dict[str, Any], tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(Path(crawled["db"]).read_bytes())
    ((account,),) = rows(db, "SELECT account_id FROM contacts WHERE kind = 'email' LIMIT 1")
    store = Store(db)
    counts = store.forget(account)
    store.close()
    assert counts["contacts"] >= 1 and counts["websites"] >= 1
    left = rows(
        db,
        f"SELECT (SELECT count(*) FROM contacts WHERE account_id = '{account}'),"  # noqa: S608
        f" (SELECT count(*) FROM websites WHERE account_id = '{account}')",
    )
    assert left == [(0, 0)]


def test_accounts_on_both_platforms_are_one_lead_and_namesakes_stay_apart(
    crawled: dict[str, Any],
) -> None:
    """The demo's twins (one organisation or person on Mastodon and Bluesky, proven by
    the website linking to both) are merged; nothing else is, though the world has many
    people of one name on both platforms (only suggested)."""
    from scout_demo.world import build_world

    world = build_world(n_accounts=500, n_posts=5000)  # the network's world (same seed)
    hosts = crawled["mastodon_hosts"]

    def handle(idx: int) -> str:
        a = world.accounts[idx]
        return (
            f"{a.username}@{hosts[a.instance or 0]}".lower()
            if a.platform == "mastodon"
            else a.username
        )

    stored = {h for (h,) in rows(crawled["db"], "SELECT handle FROM accounts")}
    # the sites the website pass read (organisations that took part in the campaign)
    read = {
        h
        for (h,) in rows(
            crawled["db"],
            "SELECT a.handle FROM websites w JOIN accounts a USING (account_id)"
            " WHERE w.status = 'ok'",
        )
    }
    twins = {
        frozenset((handle(m), handle(b)))
        for m, b in world.twins.items()
        if handle(m) in read and handle(b) in stored
    }
    assert len(twins) >= 3, "the demo crawl collects several twins"
    groups = rows(
        crawled["db"],
        "SELECT list(a.handle ORDER BY a.handle) FROM identities i JOIN accounts a"
        " USING (account_id) GROUP BY i.identity_id",
    )
    merged = {frozenset(g) for (g,) in groups}
    assert twins <= merged  # every proven twin is one identity
    # no other merge but the campaign's own accounts (one site, cleanair-eci.example)
    others = merged - twins
    evidence = dict(
        rows(
            crawled["db"],
            "SELECT a.handle, i.evidence FROM identities i JOIN accounts a USING (account_id)",
        )
    )
    for group in others:
        assert all("cleanair-eci.example" in evidence[h] for h in group), (group, evidence)
    # namesakes on both platforms are suggested at most
    ((suggested,),) = rows(crawled["db"], "SELECT count(*) FROM identity_suggestions")
    assert suggested > 0
    # every lead of a merged identity lists all its handles
    leads = rows(crawled["db"], "SELECT handles FROM leads WHERE len(handles) > 1")
    assert leads and all(frozenset(h) in merged for (h,) in leads)
