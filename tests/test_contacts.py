"""Contact routes in every output: website, public e-mail and contact form for
organisations and public figures only, whether a stranger can write to them, the
campaign posts that made the lead, and a merged identity's routes pooled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from crawler.app.contacts import CONTACT_COLUMNS, contact_line
from crawler.app.export import COLUMNS, export_leads, select_leads
from crawler.app.ranking import rank
from crawler.core.items import AccountItem, ProfileField
from crawler.db.store import Store
from tests.test_ranking import CAMPAIGN, NOW, Person, build, campaign, world

LATER = NOW + timedelta(minutes=5)


def _refresh(p: Person, **extra: object) -> AccountItem:
    return AccountItem(
        p.account_id, "mastodon", p.handle, display_name=p.user.title(),
        url=f"https://eu.social/@{p.user}", followers_count=p.followers, seen_at=LATER,
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _store(tmp_path: Path) -> tuple[Store, dict[str, Person]]:
    people = {p.user: p for p in world()}
    store = Store(tmp_path / "s.duckdb")
    build(store, list(people.values()))
    verified = datetime(2026, 1, 5, tzinfo=UTC)
    store.upsert_accounts(
        [
            # an NGO: a verified website and a locked account
            _refresh(people["org00"], locked=True, fields=[
                ProfileField("Web", "bees-ngo.example/", verified, "https://bees-ngo.example/"),
                ProfileField("Pronouns", "they/them"),
            ]),
            # a volunteer who names a site: their profile, never an e-mail
            _refresh(people["vol05"], locked=False,
                     fields=[ProfileField("Blog", "vol05.example")]),
        ]
    )  # fmt: skip
    rows = pd.DataFrame(
        [
            (people["org00"].account_id, "email", "info@bees-ngo.example", True),
            (people["org00"].account_id, "contact_form", "https://bees-ngo.example/kontakt", False),
            (people["vol05"].account_id, "email", "private@vol05.example", False),
        ],
        columns=["account_id", "kind", "value", "verified"],
    ).assign(source_url="https://bees-ngo.example/impressum", seen_at=LATER)
    with store.session() as con:
        con.register("c", rows)
        con.execute("INSERT INTO contacts BY NAME SELECT * FROM c")
        con.unregister("c")
    return store, people


def test_exports_carry_contact_routes_for_organisations_and_profiles_for_people(
    tmp_path: Path,
) -> None:
    store, people = _store(tmp_path)
    with store:
        rank(store, campaign(), now=NOW)
        leads = select_leads(store, CAMPAIGN)
    assert list(leads.columns) == list(COLUMNS)
    assert set(CONTACT_COLUMNS) <= set(leads.columns)
    by = {str(r["handle"]).split("@")[0]: r for r in leads.to_dict("records")}
    org = by["org00"]
    assert org["website"] == "https://bees-ngo.example/"
    assert org["email"] == "info@bees-ngo.example"
    assert org["contact_form"] == "https://bees-ngo.example/kontakt"
    assert org["messages"] == "Mastodon: locked (follow request needs approval)"
    vol = by["vol05"]
    assert vol["website"] == "https://vol05.example" and vol["email"] is None
    assert vol["messages"] == "Mastodon: open (mention or direct message)"
    assert contact_line(org).startswith("info@bees-ngo.example")
    assert contact_line(by["vol00"]) == "profile"  # nothing published: the profile


def test_a_public_figure_not_yet_known_is_reached_through_the_profile(tmp_path: Path) -> None:
    """A public figure under PUBLIC_FIGURE_MIN_FOLLOWERS is a volunteer, a private person:
    the e-mail its website gives is not exported; a known one's is."""
    people = world() + [
        Person("activist", "public_figure", country="FR", followers=300, posts=2),
        Person("novelist", "public_figure", country="IT", followers=40_000, posts=1),
    ]
    rows = pd.DataFrame(
        [
            (p.account_id, "email", f"hello@{p.user}.example", True)
            for p in people
            if p.user in ("activist", "novelist")
        ],
        columns=["account_id", "kind", "value", "verified"],
    ).assign(source_url="https://site.example/", seen_at=LATER)
    with Store(tmp_path / "s.duckdb") as store:
        build(store, people)
        with store.session() as con:
            con.register("c", rows)
            con.execute("INSERT INTO contacts BY NAME SELECT * FROM c")
            con.unregister("c")
        rank(store, campaign(), now=NOW)
        leads = select_leads(store, CAMPAIGN)
    by = {str(r["handle"]).split("@")[0]: r for r in leads.to_dict("records")}
    assert by["activist"]["lead_type"] == "volunteer" and by["activist"]["email"] is None
    assert by["novelist"]["lead_type"] == "influencer"
    assert by["novelist"]["email"] == "hello@novelist.example"


def test_evidence_posts_are_the_most_engaged_campaign_posts_with_links(tmp_path: Path) -> None:
    store, people = _store(tmp_path)
    with store:
        with store.session() as con:
            con.execute(
                "UPDATE posts SET url = replace(post_id, 'mastodon:', '')"
                " WHERE account_id = ?", [people["jour"].account_id],
            )  # fmt: skip
            con.execute(
                "UPDATE posts SET like_count = 50 WHERE post_id = ?",
                ["mastodon:https://eu.social/users/jour/statuses/7"],
            )
        rank(store, campaign(), now=NOW)
        leads = select_leads(store, CAMPAIGN)
        out = export_leads(leads, tmp_path / "leads.csv")
    jour = leads[leads["handle"] == "jour@eu.social"].iloc[0]
    urls = str(jour["evidence_posts"]).split()
    assert len(urls) == 3 and urls[0].endswith("/statuses/7")  # the most engaged first
    assert all(u.startswith("https://eu.social/users/jour/statuses/") for u in urls)
    assert "cat" not in jour["evidence_posts"]  # off-campaign posts never
    text = out.read_text(encoding="utf-8")
    assert "evidence_posts" in text.splitlines()[0] and urls[0] in text


def test_a_merged_identity_pools_the_routes_of_its_accounts(tmp_path: Path) -> None:
    store, people = _store(tmp_path)
    a, b = people["org00"].account_id, people["org02"].account_id
    with store:
        store.replace_identities(
            pd.DataFrame(
                [{"identity_id": min(a, b), "account_id": x, "evidence": "test"} for x in (a, b)]
            ),
            pd.DataFrame(columns=["account_id", "other_account_id", "evidence", "score"]),
        )
        rank(store, campaign(), now=NOW)
        leads = select_leads(store, CAMPAIGN)
    (row,) = leads[leads["handles"].fillna("").str.contains("org02@eu.social")].to_dict("records")
    assert set(row["handles"].split(", ")) == {"org00@eu.social", "org02@eu.social"}
    assert row["website"] == "https://bees-ngo.example/"
    assert row["email"] == "info@bees-ngo.example"


def test_the_report_shows_how_to_reach_each_lead(tmp_path: Path) -> None:
    from crawler.app.report import build_report

    store, people = _store(tmp_path)
    with store:
        with store.session() as con:  # a hostile contact value stays text
            con.execute(
                "INSERT INTO contacts VALUES (?, 'contact_form', 'javascript:alert(1)',"
                " NULL, false, ?)",
                [people["org02"].account_id, LATER],
            )
        rank(store, campaign(), now=NOW)
        html = build_report(store, campaign(), tmp_path / "r.html", top_n=20).read_text("utf-8")
    assert "Reach them" in html
    assert (
        '<a href="https://bees-ngo.example/" rel="noopener noreferrer nofollow">website</a>' in html
    )
    assert "info@bees-ngo.example" in html and "Mastodon: locked" in html
    assert "javascript:alert" not in html  # never a link, and an unsafe form is dropped
    assert "private@vol05.example" not in html  # a private person's e-mail never shows
