"""One person or organisation across accounts: strong evidence merges, weak evidence is
only suggested, an organizer's decision survives recomputation, erasure reaches both
tables, and the ranking lists one lead per identity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.app.identities import decide, link_identities, profile_of
from crawler.core.errors import UserError
from crawler.core.identity import (
    Profile,
    bio_similarity,
    identities,
    link_accounts,
    name_key,
    references,
    site_key,
)
from crawler.core.items import AccountItem, ProfileField
from crawler.db.store import Store
from crawler.mastodon.parse import parse_account
from tests.support.fixtures import FIXTURES_DIR, load_cassette, require

VERIFIED = datetime(2026, 4, 11, 12, 8, tzinfo=UTC)


def masto(user: str, host: str, name: str, bio: str = "", fields=()) -> Profile:  # type: ignore[no-untyped-def]
    return Profile(
        account_id=f"mastodon:https://{host}/users/{user}",
        platform="mastodon",
        handle=f"{user}@{host}",
        url=f"https://{host}/@{user}",
        display_name=name,
        bio=bio,
        fields=tuple(fields),
    )


def bsky(handle: str, did: str, name: str, bio: str = "") -> Profile:
    return Profile(
        account_id=f"bluesky:did:plc:{did}",
        platform="bluesky",
        handle=handle,
        url=f"https://bsky.app/profile/{handle}",
        display_name=name,
        bio=bio,
    )


def pairs(links) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(link.a, link.b) for link in links}


def test_keys_and_references_read_the_forms_people_write() -> None:
    assert site_key("https://www.Umweltinstitut.org/") == "umweltinstitut.org"
    assert site_key("umweltinstitut.org") == "umweltinstitut.org"
    assert site_key("http://linktr.ee/cleanair/") == "linktr.ee/cleanair"
    assert site_key("He/Him") is None and site_key("mailto:x@y.eu") is None
    refs = references(
        "Also here: @cleanair@eupolicy.social and @cleanair.bsky.social, "
        "site https://clean-air.example.org/en/."
    )
    assert {"acct:cleanair@eupolicy.social", "acct:cleanair.bsky.social"} <= refs
    assert "clean-air.example.org/en" in refs
    assert name_key("Léa  Bernard 🌱") == name_key("lea bernard") == "lea bernard"
    assert bio_similarity("Clean air for Lyon", "clean AIR in lyon now") > 0.4


def test_a_bluesky_handle_on_the_verified_website_of_a_mastodon_account_is_one_identity() -> None:
    ngo = masto("cleanair", "eupolicy.social", "Clean Air Europe", "Breathe.",
                [("Website", "https://www.clean-air.example.org/", True)])  # fmt: skip
    ngo_bsky = bsky("clean-air.example.org", "a1", "Clean Air Europe")
    other = masto("claimer", "mastodon.social", "Fake Clean Air",
                  fields=[("Website", "https://clean-air.example.org", False)])  # fmt: skip
    linking = link_accounts([ngo, ngo_bsky, other])
    assert pairs(linking.strong) == {tuple(sorted((ngo.account_id, ngo_bsky.account_id)))}
    assert "clean-air.example.org" in linking.strong[0].evidence
    # an unverified claim on the same site is only a suggestion
    assert tuple(sorted((other.account_id, ngo_bsky.account_id))) in pairs(linking.weak)


def test_verified_rel_me_between_two_servers_and_mutual_links_merge() -> None:
    a = masto(
        "jana", "chaos.social", "Jana", fields=[("Neu", "https://eupolicy.social/@jana", True)]
    )
    b = masto("jana", "eupolicy.social", "Jana K.")
    c = masto("piotr", "pol.social", "Piotr", bio="Also @piotr.bsky.social")
    d = bsky("piotr.bsky.social", "p1", "Piotr N.", bio="Mastodon: @piotr@pol.social")
    linking = link_accounts([a, b, c, d])
    assert pairs(linking.strong) == {
        tuple(sorted((a.account_id, b.account_id))),
        tuple(sorted((c.account_id, d.account_id))),
    }
    evidence = {link.evidence for link in linking.strong}
    assert any("rel=me" in e for e in evidence) and any("each other" in e for e in evidence)


def test_one_link_hosting_site_does_not_merge_everyone_who_uses_it() -> None:
    a = masto("a", "m.social", "A", fields=[("Links", "https://linktr.ee/alice", True)])
    b = masto("b", "m.social", "B", fields=[("Links", "https://linktr.ee/bob", True)])
    assert link_accounts([a, b]).strong == []


def test_same_name_and_similar_bio_is_only_suggested_and_decisions_hold() -> None:
    bio = "Ärztin in Köln, für saubere Luft und eine Bürgerinitiative in ganz Europa"
    a = masto("marie", "chaos.social", "Marie Vogel", bio)
    b = bsky("marie-vogel.bsky.social", "m1", "Marie Vogel", bio + " 🌍")
    c = bsky("marie-vogel2.bsky.social", "m2", "Marie Vogel", "Gamer, Katzen, Kaffee")
    d = masto("marie_vogel", "chaos.social", "Marie Vogel", bio)  # same server as a
    linking = link_accounts([a, b, c, d])
    assert linking.strong == []
    weak = pairs(linking.weak)
    assert tuple(sorted((a.account_id, b.account_id))) in weak
    assert not any(c.account_id in p for p in weak)  # another Marie Vogel
    assert tuple(sorted((a.account_id, d.account_id))) not in weak  # one server
    ab = tuple(sorted((a.account_id, b.account_id)))
    rejected = link_accounts([a, b, c, d], rejected=[ab])
    assert ab not in pairs(rejected.weak)
    confirmed = link_accounts([a, b, c, d], confirmed=[ab])
    assert pairs(confirmed.strong) == {ab}
    assert confirmed.strong[0].evidence == "confirmed by an organizer"


def test_a_site_that_links_back_proves_an_unverified_claim() -> None:
    org = masto(
        "verdi", "social.bund.de", "ver.di", fields=[("Web", "https://verdi.example", False)]
    )
    org_bsky = bsky("verdi.example", "v1", "ver.di")
    assert link_accounts([org, org_bsky]).strong == []
    linking = link_accounts(
        [org, org_bsky], site_links={"https://verdi.example/": {org.account_id}}
    )
    assert pairs(linking.strong) == {tuple(sorted((org.account_id, org_bsky.account_id)))}


def test_groups_are_transitive_and_named_by_their_smallest_account() -> None:
    from crawler.core.identity import Link

    groups = identities([Link("b", "c", "x"), Link("a", "b", "y"), Link("d", "e", "z")])
    assert groups["c"][0] == groups["b"][0] == "a" and groups["e"][0] == "d"
    assert groups["b"][1] == ["x", "y"]


def test_a_real_account_with_a_verified_site_and_its_bluesky_domain() -> None:
    """halcy's real account (mastodon.social recording): the verified "Web" field points
    to halcy.de; a Bluesky account with the handle halcy.de is the same person."""
    path = require(FIXTURES_DIR / "mastodon/mastodon-social-2026/test_entity_account.yaml")
    (acc,) = [r.json() for r in load_cassette(path) if "/accounts/23972" in r.uri][:1]
    item = parse_account(acc, "mastodon.social", VERIFIED)
    profile = profile_of(
        {
            "account_id": item.account_id, "platform": "mastodon", "handle": item.handle,
            "url": item.url, "display_name": item.display_name, "bio": item.bio,
            "fields": [{"name": f.name, "value": f.value, "url": f.url,
                        "verified_at": f.verified_at} for f in item.fields],
        }
    )  # fmt: skip
    linking = link_accounts([profile, bsky("halcy.de", "h1", "halcy")])
    assert len(linking.strong) == 1 and "halcy.de" in linking.strong[0].evidence


def _account(p: Profile, fields: list[ProfileField] | None = None) -> AccountItem:
    return AccountItem(
        account_id=p.account_id, platform=p.platform, handle=p.handle, display_name=p.display_name,
        bio=p.bio, url=p.url, fields=fields or [], followers_count=100,
    )  # fmt: skip


def test_stored_identities_suggestions_and_decisions(tmp_path: Path) -> None:
    ngo = masto("cleanair", "eupolicy.social", "Clean Air Europe")
    ngo_bsky = bsky("clean-air.example.org", "a1", "Clean Air Europe")
    bio = "Journalistin, schreibt über Luftqualität und Verkehr in Berlin"
    j1 = masto("kim", "journa.host", "Kim Berger", bio)
    j2 = bsky("kimberger.bsky.social", "k1", "Kim Berger", bio)
    with Store(tmp_path / "s.duckdb") as store:
        store.upsert_accounts(
            [
                _account(ngo, [ProfileField("Web", "clean-air.example.org/", VERIFIED,
                                            "https://clean-air.example.org/")]),
                _account(ngo_bsky), _account(j1), _account(j2),
            ]
        )  # fmt: skip
        summary = link_identities(store)
        assert (summary.merged_accounts, summary.identities, summary.suggestions) == (2, 1, 1)
        merged, sugg = store.identity_overview()
        assert set(merged["handle"]) == {"cleanair@eupolicy.social", "clean-air.example.org"}
        assert merged["identity_id"].nunique() == 1
        assert list(sugg["status"]) == ["suggested"]
        # the organizer confirms the journalist's two accounts by handle
        msg = decide(store, "kim@journa.host", "kimberger.bsky.social", "confirmed")
        assert "linked" in msg
        merged, sugg = store.identity_overview()
        assert merged["identity_id"].nunique() == 2
        assert list(sugg["status"]) == ["confirmed"]
        link_identities(store)  # a later crawl recomputes: the decision stays
        merged, _ = store.identity_overview()
        assert merged["identity_id"].nunique() == 2
        decide(store, "kim@journa.host", "kimberger.bsky.social", "rejected")
        link_identities(store)
        merged, sugg = store.identity_overview()
        assert merged["identity_id"].nunique() == 1 and list(sugg["status"]) == ["rejected"]
        with pytest.raises(UserError, match="no stored account"):
            decide(store, "nobody@nowhere.example", "kim@journa.host", "confirmed")


def test_forget_reaches_identities_and_suggestions(tmp_path: Path) -> None:
    from crawler.app.forget import forget

    ngo = masto("cleanair", "eupolicy.social", "Clean Air Europe")
    ngo_bsky = bsky("clean-air.example.org", "a1", "Clean Air Europe")
    bio = "Journalistin, schreibt über Luftqualität und Verkehr in Berlin"
    j1 = masto("kim", "journa.host", "Kim Berger", bio)
    j2 = bsky("kimberger.bsky.social", "k1", "Kim Berger", bio)
    with Store(tmp_path / "s.duckdb") as store:
        store.upsert_accounts(
            [
                _account(ngo, [ProfileField("Web", "clean-air.example.org/", VERIFIED)]),
                _account(ngo_bsky), _account(j1), _account(j2),
            ]
        )  # fmt: skip
        link_identities(store)
        forget(store, "clean-air.example.org")
        forget(store, "kim@journa.host")
        merged, sugg = store.identity_overview()
        assert len(merged) == 0 and len(sugg) == 0
        with store.session() as con:
            left = con.execute(
                "SELECT count(*) FROM identities WHERE identity_id LIKE '%did:plc:a1%'"
                " OR account_id LIKE '%did:plc:a1%'"
            ).fetchall()
            pairs_left = con.execute("SELECT count(*) FROM identity_suggestions").fetchall()
        assert left == [(0,)] and pairs_left == [(0,)]


def test_the_ranking_lists_one_lead_per_identity(tmp_path: Path) -> None:
    import pandas as pd

    from crawler.app.ranking import ASSIGNMENT_ORDER, rank
    from tests.test_ranking import CAMPAIGN as CAMPAIGN_BEES
    from tests.test_ranking import NOW, build, campaign, world

    people = {p.user: p for p in world()}
    with Store(tmp_path / "s.duckdb") as store:
        build(store, list(people.values()))
        before = rank(store, campaign(), now=NOW)
        jour, vol = people["jour"].account_id, people["vol05"].account_id
        store.replace_identities(
            pd.DataFrame(
                [
                    {
                        "identity_id": min(jour, vol),
                        "account_id": a,
                        "evidence": "both verified by the website jour.example",
                    }
                    for a in (jour, vol)
                ]
            ),  # fmt: skip
            pd.DataFrame(columns=["account_id", "other_account_id", "evidence", "score"]),
        )
        after = rank(store, campaign(), now=NOW)
    assert len(after) == len(before) - 1
    (row,) = after[after["identity_id"] == min(jour, vol)].to_dict("records")
    # the identity takes the first lead type in assignment order any account has
    first = min(("influencer", "volunteer"), key=ASSIGNMENT_ORDER.index)
    assert row["lead_type"] == first
    assert sorted(row["handles"]) == ["jour@eu.social", "vol05@eu.social"]
    assert row["handles"][0] == row["handle"]
    assert "one identity with" in row["reasons"] and "jour.example" in row["reasons"]
    for _t, group in after.groupby("lead_type"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
    # accounts not merged are their own identity
    others = after[after["identity_id"] != min(jour, vol)]
    assert (others["identity_id"] == others["account_id"]).all()
    # an organizer marked the other account: it represents the identity, the mark stays
    with Store(tmp_path / "s.duckdb") as store:
        store.set_lead_status(CAMPAIGN_BEES, vol, status="contacted", owner="Ana")
        marked = rank(store, campaign(), now=NOW)
    (row,) = marked[marked["identity_id"] == min(jour, vol)].to_dict("records")
    assert row["account_id"] == vol and row["handles"][0] == "vol05@eu.social"


def test_scout_identities_lists_confirms_and_refuses_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.cli import scout

    monkeypatch.setenv("COLUMNS", "200")  # one line per row: handles are not wrapped

    bio = "Journalistin, schreibt über Luftqualität und Verkehr in Berlin"
    j1 = masto("kim", "journa.host", "Kim Berger", bio)
    j2 = bsky("kimberger.bsky.social", "k1", "Kim Berger 🌿", bio)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.upsert_accounts([_account(j1), _account(j2)])
        link_identities(store)
    campaign = tmp_path / "c.toml"
    campaign.write_text('[campaign]\nname = "Air"\nhashtags = ["CleanAirECI"]\n', "utf-8")
    listed = scout("identities", str(campaign), "--db", str(db), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "no merged identities yet" in listed.stdout
    assert "kimberger.bsky.social" in listed.stdout and "suggested" in listed.stdout
    done = scout("identities", str(campaign), "--db", str(db), "--confirm", "kim@journa.host",
                 "kimberger.bsky.social", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0 and "linked" in done.stdout, done.stderr
    listed = scout("identities", str(campaign), "--db", str(db), cwd=tmp_path)
    assert "confirmed by an organizer" in listed.stdout
    bad = scout("identities", str(campaign), "--db", str(db), "--reject", "nobody@x.example",
                "kim@journa.host", cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "no stored account" in bad.stderr


def test_a_site_proven_for_one_account_vouches_for_the_profiles_it_links_with_rel_me() -> None:
    ngo = masto("luft", "social.bund.de", "Saubere Luft e.V.")
    twin = bsky("saubereluft.bsky.social", "s1", "Saubere Luft")
    stranger = bsky("someone.bsky.social", "x1", "Someone")
    site = "https://saubere-luft.example/"
    linking = link_accounts(
        [ngo, twin, stranger],
        site_profiles=[(ngo.account_id, site, "https://bsky.app/profile/saubereluft.bsky.social")],
    )
    assert pairs(linking.strong) == {tuple(sorted((ngo.account_id, twin.account_id)))}
    assert "saubere-luft.example" in linking.strong[0].evidence
    # a profile nobody stored, or the owner's own profile, links nothing
    none = link_accounts(
        [ngo, stranger],
        site_profiles=[
            (ngo.account_id, site, "https://bsky.app/profile/unknown.bsky.social"),
            (ngo.account_id, site, "https://social.bund.de/@luft"),
        ],
    )
    assert none.strong == []
