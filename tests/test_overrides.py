"""Organizers' corrections: stored in ``overrides``, winning over the classifier in
accounts, leads and exports, kept across crawls, exported as training data, erased by
``scout forget``; plus the ``--scope`` filter and the ranking's exclusions that rely on
roles and stance evidence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from crawler.app.corrections import correct, corrected_values, export_corrections
from crawler.app.export import select_leads
from crawler.app.forget import forget
from crawler.app.ranking import rank
from crawler.core.config import Campaign
from crawler.core.errors import UserError
from crawler.core.items import AccountItem, PostItem
from crawler.core.matching import CampaignMatcher
from crawler.db.store import Store
from tests.support.cli import one_line_error, scout

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CAMPAIGN = "Clean Air for All"
TAGS = ["CleanAirECI"]

# user, display name, bio, classifier's (role, org_type, country, scope), stance, post
PROFILES = [
    ("jana", "Jana Schröder", "Radfahrerin in Leipzig", ("individual", None, "DE", None),
     "supports", "Habe gerade unterschrieben! #CleanAirECI"),
    ("jdevries", "Jan de Vries", "Lid van het Europees Parlement (GroenLinks)",
     ("individual", None, None, None), "supports", "Teken het burgerinitiatief! #CleanAirECI"),
    ("umweltamt", "Umweltamt Köln", "Das Umweltamt der Stadt Köln",
     ("organization", "public_body", "DE", "local"), "neutral",
     "Infoabend zur #CleanAirECI im Rathaus"),
    ("autolobby", "Verband der Autoindustrie", "Wir vertreten die Autoindustrie",
     ("organization", "association", "DE", "national"), "opposes",
     "Die Bürgerinitiative ist ein Jobkiller #CleanAirECI"),
    ("respire", "Respire", "Association pour l'air pur", ("organization", "ngo", "FR", None),
     "supports", "Signez l'initiative ! #CleanAirECI"),
]  # fmt: skip


def account_id(user: str) -> str:
    return f"mastodon:https://eu.social/users/{user}"


def classified() -> pd.DataFrame:
    """What the classifier writes on every crawl (it knows nothing of corrections)."""
    return pd.DataFrame(
        [
            {
                "account_id": account_id(u),
                "role": role,
                "org_type": org_type,
                "language": "de",
                "country": cc,
                "scope": scope,
                "role_confidence": 0.8,
                "country_confidence": 0.9 if cc else None,
                "class_reasons": "lexicon",
                "is_bot": False,
            }
            for u, _n, _b, (role, org_type, cc, scope), _s, _p in PROFILES
        ]
    )


def campaign() -> Campaign:
    return Campaign.model_validate({"campaign": {"name": CAMPAIGN, "hashtags": TAGS}})


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "scout.duckdb")
    s.upsert_accounts(
        [
            AccountItem(
                account_id(u),
                "mastodon",
                f"{u}@eu.social",
                display_name=name,
                bio=bio,
                url=f"https://eu.social/@{u}",
                followers_count=200,
                seen_at=NOW,
            )
            for u, name, bio, _c, _s, _p in PROFILES
        ]
    )
    s.upsert_posts(
        [
            PostItem(
                f"mastodon:https://eu.social/users/{u}/statuses/1",
                "mastodon",
                account_id(u),
                url=f"https://eu.social/@{u}/1",
                created_at=NOW - timedelta(days=1),
                text=post,
                hashtags=["cleanaireci"],
            )
            for u, _n, _b, _c, _s, post in PROFILES
        ]
    )
    s.tag_campaign_posts(CAMPAIGN, CampaignMatcher(TAGS, []))
    s.write_classifications(classified())
    s.write_account_campaign(
        CAMPAIGN,
        pd.DataFrame(
            [
                {
                    "account_id": account_id(u),
                    "stance": stance,
                    "stance_score": {"supports": 1.0, "neutral": 0.0, "opposes": -1.0}[stance],
                    "campaign_posts": 1,
                    "last_post_at": NOW - timedelta(days=1),
                    "stance_post_url": f"https://eu.social/@{u}/1",
                    "stance_evidence": post,
                }
                for u, _n, _b, _c, stance, post in PROFILES
            ]
        ),
    )
    yield s
    s.close()


def lead_of(store: Store, user: str) -> dict[str, object] | None:
    leads = rank(store, campaign(), now=NOW)
    rows = leads[leads["account_id"] == account_id(user)].to_dict("records")
    return {str(k): v for k, v in rows[0].items()} if rows else None


def test_correction_wins_over_the_classifier_and_survives_crawls(store: Store) -> None:
    # the classifier missed the MEP: a volunteer
    lead = lead_of(store, "jdevries")
    assert lead is not None and lead["lead_type"] == "volunteer"
    values = corrected_values(role="politician", country="nl", scope="european")
    assert values == {"role": "politician", "org_type": None, "country": "NL", "scope": "european"}
    assert correct(store, "@jdevries@eu.social", values) == account_id("jdevries")
    # a later crawl classifies again: the correction stays
    store.write_classifications(classified())
    row = store.con.execute(
        "SELECT role, org_type, country, scope FROM accounts WHERE account_id = ?",
        [account_id("jdevries")],
    ).fetchall()
    assert row == [("politician", None, "NL", "european")]
    lead = lead_of(store, "jdevries")
    assert lead is not None
    assert lead["lead_type"] == "influencer"  # a politician is never a volunteer
    assert (lead["country"], lead["scope"]) == ("NL", "european")
    assert "classification corrected by an organizer" in str(lead["reasons"])
    exported = select_leads(store, CAMPAIGN, scope="european")
    assert exported["account_id"].tolist() == [account_id("jdevries")]


def test_an_org_type_makes_an_organization(store: Store) -> None:
    correct(store, "https://eu.social/@jana", corrected_values(org_type="union"))
    assert store.overrides_of(account_id("jana")) == {"org_type": "union", "role": "organization"}
    lead = lead_of(store, "jana")
    assert lead is not None and lead["lead_type"] == "intermediary"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "wizard"}, "unknown role 'wizard'"),
        ({"org_type": "cult"}, "unknown org type 'cult'"),
        ({"country": "US"}, "unknown country 'US'"),
        ({"scope": "galactic"}, "unknown scope 'galactic'"),
        ({"role": "journalist", "org_type": "media"}, "--org-type needs role organization"),
        ({}, "give at least one of"),
    ],
)
def test_corrections_are_validated(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        corrected_values(**kwargs)


def test_unknown_account_is_a_user_error(store: Store) -> None:
    with pytest.raises(UserError, match="no stored account"):
        correct(store, "nobody@eu.social", {"role": "individual"})


def test_corrections_export_as_training_data(store: Store, tmp_path: Path) -> None:
    correct(store, account_id("jdevries"), corrected_values(role="politician", scope="european"))
    correct(store, "umweltamt@eu.social", corrected_values(country="DE"))
    out = tmp_path / "corrections.jsonl"
    assert export_corrections(store, out) == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_handle = {r["handle"]: r for r in rows}
    mep = by_handle["jdevries@eu.social"]
    assert {k: mep[k] for k in ("platform", "display_name", "bio", "role", "scope", "lang")} == {
        "platform": "mastodon",
        "display_name": "Jan de Vries",
        "bio": "Lid van het Europees Parlement (GroenLinks)",
        "role": "politician",
        "scope": "european",
        "lang": "de",
    }
    assert mep["org_type"] is None and mep["corrected"] == ["org_type", "role", "scope"]
    office = by_handle["umweltamt@eu.social"]
    # labels not corrected are the classifier's
    assert (office["role"], office["org_type"], office["country"], office["scope"]) == (
        "organization",
        "public_body",
        "DE",
        "local",
    )


def test_forget_erases_the_overrides(store: Store) -> None:
    correct(store, "jana@eu.social", corrected_values(country="AT"))
    counts = forget(store, "jana@eu.social")
    assert counts["overrides"] == 1
    assert store.con.execute("SELECT count(*) FROM overrides").fetchall() == [(0,)]


def test_opponents_are_never_leads_and_supporters_show_their_post(store: Store) -> None:
    leads = rank(store, campaign(), now=NOW)
    assert account_id("autolobby") not in set(leads["account_id"])
    jana = leads[leads["account_id"] == account_id("jana")].iloc[0]
    assert (
        'supports the campaign: "Habe gerade unterschrieben! #CleanAirECI" '
        "(https://eu.social/@jana/1)" in jana["reasons"]
    )


def test_public_bodies_and_politicians_are_never_volunteers(store: Store) -> None:
    # even if a correction left a public body with a person's role
    store.con.execute(
        "UPDATE accounts SET role = 'individual' WHERE account_id = ?", [account_id("umweltamt")]
    )
    leads = rank(store, campaign(), now=NOW)
    office = leads[leads["account_id"] == account_id("umweltamt")]
    assert office["lead_type"].tolist() == ["influencer"]
    assert office["scope"].tolist() == ["local"]
    volunteers = leads[leads["lead_type"] == "volunteer"]["account_id"].tolist()
    assert set(volunteers) == {account_id("jana"), account_id("jdevries")}


def test_cli_correct_and_corrections(store: Store, tmp_path: Path) -> None:
    db = str(store.path)
    store.close()
    done = scout("correct", "jdevries@eu.social", "--role", "politician", "--scope", "european",
                 "--db", db, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "corrected mastodon:https://eu.social/users/jdevries" in done.stdout
    err = one_line_error(scout("correct", "jana@eu.social", "--role", "wizard", "--db", db,
                               cwd=tmp_path))  # fmt: skip
    assert "unknown role 'wizard'" in err
    err = one_line_error(scout("correct", "ghost@eu.social", "--country", "DE", "--db", db,
                               cwd=tmp_path))  # fmt: skip
    assert "no stored account" in err
    out = tmp_path / "corr.jsonl"
    done = scout("corrections", "--out", str(out), "--db", db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["role"] == "politician"


def test_cli_unknown_scope_is_one_line_exit_2(store: Store, tmp_path: Path) -> None:
    db = str(store.path)
    store.close()
    toml = tmp_path / "c.toml"
    toml.write_text(f'[campaign]\nname = "{CAMPAIGN}"\nhashtags = ["CleanAirECI"]\n')
    for cmd in (["leads"], ["export", "--out", str(tmp_path / "x.csv")]):
        err = one_line_error(scout(*cmd, str(toml), "--scope", "galactic", "--db", db,
                                   cwd=tmp_path))  # fmt: skip
        assert "unknown scope 'galactic'" in err
