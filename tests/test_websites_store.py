"""The websites and contacts tables: keyed upserts (reading a site again changes
nothing else), no rows for accounts not stored, and erasure by forget and opt-out."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.db.store import Store
from tests.support.items import mastodon_account

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ALICE = "mastodon:https://eu.social/users/alice"
BOB = "mastodon:https://eu.social/users/bob"


def _site(account: str, **kw: object) -> dict[str, object]:
    return {
        "url": "https://luft.example/",
        "account_id": account,
        "status": "ok",
        "fetched_at": T,
        "legal_form": "e.V.",
        "country": "DE",
        "languages": ["de"],
        "register_id": "VR 1234 B",
        "pages": ["https://luft.example/", "https://luft.example/impressum"],
        **kw,
    }


def _routes(account: str, verified: bool) -> list[dict[str, object]]:
    return [
        {"account_id": account, "kind": "website", "value": "https://luft.example/",
         "source_url": "https://luft.example/", "verified": verified, "seen_at": T},
        {"account_id": account, "kind": "email", "value": "info@luft.example",
         "source_url": "https://luft.example/impressum", "verified": False, "seen_at": T},
    ]  # fmt: skip


def test_upserts_are_keyed_and_only_for_stored_accounts() -> None:
    store = Store(":memory:")
    store.upsert_accounts([mastodon_account("alice")])
    ghost = "mastodon:https://eu.social/users/ghost"
    assert (
        store.save_websites(
            [_site(ALICE), _site(ghost)], _routes(ALICE, True) + _routes(ghost, True)
        )
        == 1
    )
    # read again: same keys, the proof of the website is kept
    assert store.save_websites([_site(ALICE, country="AT")], _routes(ALICE, False)) == 1
    rows = store.con.execute("SELECT account_id, country FROM websites").fetchall()
    assert rows == [(ALICE, "AT")]
    contacts = store.con.execute(
        "SELECT kind, value, verified FROM contacts ORDER BY kind"
    ).fetchall()
    assert contacts == [
        ("email", "info@luft.example", False),
        ("website", "https://luft.example/", True),
    ]


def test_forget_and_opt_out_erase_websites_and_contacts() -> None:
    store = Store(":memory:")
    store.upsert_accounts([mastodon_account("alice"), mastodon_account("bob")])
    store.save_websites([_site(ALICE), _site(BOB)], _routes(ALICE, True) + _routes(BOB, False))
    counts = store.forget("alice@eu.social")
    assert counts["websites"] == 1 and counts["contacts"] == 2
    store.record_opt_outs_and_delete([(BOB, "bob@eu.social", "#nobot in profile")])
    assert store.count("websites") == 0 and store.count("contacts") == 0


def test_an_imprint_is_read_back_by_the_classifier() -> None:
    """The website pass's imprint country and legal form are read back by the
    classifier (as evidence with its reason); sites not read give nothing."""
    from crawler.app.crawl import classify_accounts

    store = Store(":memory:")
    store.upsert_accounts(
        [
            mastodon_account(
                "alice",
                display_name="Saubere Luft e.V.",
                bio="Verein für saubere Luft in unseren Städten.",
            ),
            mastodon_account(
                "bob",
                display_name="Luftfonds",
                bio="Wir fördern Projekte für saubere Luft an Schulen.",
            ),
            mastodon_account("carol", display_name="Luftverein", bio="Für saubere Luft."),
        ]
    )
    carol = ALICE.replace("alice", "carol")
    store.save_websites(
        [
            # an .org site with an address in Vienna: the imprint decides
            _site(ALICE, url="https://luft.example.org/", country="AT"),
            _site(BOB, url="https://fonds.example/", country=None, legal_form="gGmbH"),
            _site(carol, url="https://carol.example/", status="robots", country=None),
        ],
        [],
    )
    df = store.accounts_for_classification(only_new=False).set_index("account_id")
    assert df.loc[ALICE, "sites"] == [
        {"url": "https://luft.example.org/", "country": "AT", "legal_form": "e.V."}
    ]
    assert df.loc[carol, "sites"] == []
    assert store.accounts_with_imprint(T) == [ALICE, BOB]
    assert store.accounts_with_imprint(datetime(2026, 11, 21, tzinfo=UTC)) == []
    assert classify_accounts(store, accounts=[]) == 0
    assert classify_accounts(store, accounts=store.accounts_with_imprint(T)) == 2
    got = {
        r[0]: r[1:]
        for r in store.con.execute(
            "SELECT account_id, country, org_type, class_reasons FROM accounts"
            " WHERE classified_at IS NOT NULL"
        ).fetchall()
    }
    assert set(got) == {ALICE, BOB}  # only the accounts named were classified
    assert got[ALICE][0] == "AT"
    assert "website luft.example.org: imprint address in AT" in got[ALICE][2]
    assert got[BOB][1] == "ngo"
    assert "website fonds.example: imprint legal form 'gGmbH' (ngo)" in got[BOB][2]
