"""Accounts on a public administration's own Mastodon server (nlp/official.py): public
bodies of that member state at that level; a politician there stays a politician."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nlp.classify import Classifier
from nlp.official import ascii_host, load_official, official_instance


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier()


def masto(handle: str, name: str, bio: str) -> dict[str, Any]:
    return {"platform": "mastodon", "handle": handle, "display_name": name, "bio": bio}


def test_the_servers_are_read_by_their_ascii_host() -> None:
    assert ascii_host("Bawü.Social:443") == "xn--baw-joa.social"
    for host in ("social.bund.de", "SOCIAL.BUND.DE.", "bawü.social", "xn--baw-joa.social"):
        found = official_instance(host)
        assert found is not None and found.country == "DE", host
    eu = official_instance("ec.social-network.europa.eu")
    assert eu is not None and (eu.country, eu.scope) == ("", "european")
    for host in ("mastodon.social", "bund.de.example", "social.bund.de.evil", None, ""):
        assert official_instance(host) is None, host


def test_a_malformed_entry_names_itself(tmp_path: Path) -> None:
    f = tmp_path / "instances.toml"
    f.write_text(
        '[official]\n"gov.example" = { country = "US", scope = "national", operator = "x" }\n'
    )
    with pytest.raises(ValueError, match="'gov.example'"):
        load_official(str(f))


def test_an_agency_with_a_short_bio_is_a_public_body_of_its_state(clf: Classifier) -> None:
    # "Cyber-Sicherheit für Deutschland": no public-body word; the model alone reads a person
    out = clf.classify(masto("bsi@social.bund.de", "BSI", "Cyber-Sicherheit für Deutschland"))
    assert (out["role"], out["org_type"], out["country"], out["scope"]) == (
        "organization",
        "public_body",
        "DE",
        "national",
    )
    assert (
        "instance social.bund.de: server of the German federal administration (public bodies)"
        in out["reasons"]
    )
    assert (
        "scope national: instance social.bund.de (the German federal administration)"
        in out["reasons"]
    )
    # the same profile anywhere else is not one
    elsewhere = clf.classify(
        masto("bsi@mastodon.social", "BSI", "Cyber-Sicherheit für Deutschland")
    )
    assert elsewhere["org_type"] != "public_body" or elsewhere["scope"] != "national"
    assert not any("server of" in r for r in elsewhere["reasons"])


def test_the_server_states_the_type_over_the_readings(clf: Classifier) -> None:
    profile = masto(
        "bfdi@social.bund.de",
        "BfDI",
        "Hier twittert das Team der Bundesbeauftragten für den Datenschutz und die "
        "Informationsfreiheit. Impressum: bfdi.bund.de",
    )
    profile["sites"] = [{"url": "https://www.bfdi.bund.de/", "legal_form": "GmbH"}]
    out = clf.classify(profile)
    assert out["org_type"] == "public_body"
    assert "the server's operator over the reading 'company'" in out["reasons"]
    assert out["country"] == "DE"


def test_state_and_eu_servers_give_their_level_and_country(clf: Classifier) -> None:
    state = clf.classify(
        masto("lfdi@xn--baw-joa.social", "LfDI", "Datenschutz und Informationsfreiheit")
    )
    assert (state["org_type"], state["country"], state["scope"]) == (
        "public_body",
        "DE",
        "regional",
    )
    eu = clf.classify(
        masto("dg_env@ec.social-network.europa.eu", "DG ENV", "Environment policy of the EU")
    )
    # the EU institutions' server names no member state
    assert (eu["role"], eu["org_type"], eu["country"], eu["scope"]) == (
        "organization",
        "public_body",
        None,
        "european",
    )


def test_a_politician_and_a_broadcaster_keep_their_reading(clf: Classifier) -> None:
    minister = clf.classify(
        masto(
            "anna@social.bund.de",
            "Anna Schmidt",
            "Bundesministerin für Umwelt. Mutter, Radfahrerin.",
        )
    )
    assert (minister["role"], minister["country"]) == ("politician", "DE")
    news = clf.classify(
        masto("dw@social.bund.de", "DW News", "Nachrichten der Deutschen Welle, Auslandssender")
    )
    assert (news["role"], news["org_type"]) == ("organization", "media")


def test_a_crawl_reads_the_server_and_the_group_flag_of_stored_accounts() -> None:
    """What the store keeps reaches the classifier (accounts_for_classification.sql):
    the home server of an agency, and the platform's group flag (a Mastodon group is
    an organisation's or a community's account)."""
    from crawler.app.crawl import classify_accounts
    from crawler.db.store import Store
    from tests.support.items import mastodon_account

    store = Store(":memory:")
    store.upsert_accounts(
        [
            mastodon_account("bsi", "social.bund.de", display_name="BSI",
                             bio="Cyber-Sicherheit für Deutschland", instance="social.bund.de"),
            mastodon_account("radfahren", "a.gup.pe", display_name="Radfahren",
                             bio="Alles rund ums Rad", instance="a.gup.pe", is_group=True),
            mastodon_account("radler", "a.gup.pe", display_name="Radfahren",
                             bio="Alles rund ums Rad", instance="a.gup.pe"),
        ]
    )  # fmt: skip
    assert classify_accounts(store) == 3
    got = {
        h: (role, org_type, country, reasons)
        for h, role, org_type, country, reasons in store.con.execute(
            "SELECT handle, role, org_type, country, class_reasons FROM accounts"
        ).fetchall()
    }
    role, org_type, country, reasons = got["bsi@social.bund.de"]
    assert (role, org_type, country) == ("organization", "public_body", "DE")
    group = got["radfahren@a.gup.pe"]
    assert "platform: group account" in group[3] and group[0] == "organization"
    assert "platform: group account" not in got["radler@a.gup.pe"][3]
