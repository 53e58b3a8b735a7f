"""Accounts found only through the seeds' follower lists become leads of their natural
type: an organization that follows a partner NGO is an intermediary or a sponsor, a
politician or journalist an influencer, a private person a volunteer; opponents, bots,
opted-out accounts and the campaign's own seeds never are.

The followers are collected as the follower walks yield them (profile first, then the
follow edge, then the end of the walk) and go through the real pipeline chain, so the
consent rules apply exactly as in a crawl.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crawler.app.graph import measure_campaign
from crawler.app.ranking import rank
from crawler.core.config import Campaign
from crawler.core.items import AccountItem, FollowItem, SeedListItem
from crawler.db.store import Store
from pipelines.chain import PipelineChain
from tests.support.items import T0, mastodon_account, mastodon_post

CAMPAIGN = "Clean Air for All"
OWN = ("cleanair", "eci.social")  # the campaign's own account
PARTNER = ("airwatch", "climate.social")  # a partner NGO's account


def aid(user: str, host: str) -> str:
    return f"mastodon:https://{host}/users/{user}"


# user, host, display name, bio, followers, role, org_type, country, language, seeds
# followed (OWN / PARTNER). None of them ever posted for the campaign.
FOLLOWERS: list[tuple[str, str, str, str, int, str | None, str | None, str, str, str]] = [
    ("luftbuendnis", "climate.social", "Luftbündnis Berlin e.V.",
     "Gemeinnütziger Verein für saubere Luft in Berlin.", 4_210,
     "organization", "ngo", "DE", "de", "OWN PARTNER"),
    ("stiftungluft", "mastodon.social", "Stiftung Saubere Luft",
     "Wir fördern Projekte für saubere Luft in Europa.", 1_830,
     "organization", "foundation", "DE", "de", "PARTNER"),
    ("akeller", "eupolicy.social", "Dr. Anna Keller MdEP",
     "Mitglied des Europäischen Parlaments, Umweltausschuss.", 12_400,
     "politician", None, "DE", "de", "OWN"),
    ("mrossi", "mastodon.uno", "Marco Rossi – giornalista",
     "Giornalista ambientale, Milano.", 6_900,
     "journalist", None, "IT", "it", "PARTNER"),
    ("jana", "chaos.social", "Jana Schröder 🌱",
     "Radfahrerin, Mutter, Berlin.", 85_000,  # many followers: still a private person
     "individual", None, "DE", "de", "OWN"),
    ("autoclub", "mastodon.social", "Autoclub Freie Fahrt",
     "Freie Fahrt für freie Bürger.", 9_100,
     "organization", "association", "DE", "de", "OWN"),  # opposes the campaign
    ("luftnews", "botsin.space", "Luftqualität News Bot",
     "Automatische Meldungen zur Luftqualität.", 2_500,
     "organization", "media", "DE", "de", "OWN"),  # a bot
    ("ortsgruppe", "climate.social", "Umweltgruppe Köln",
     "Lokale Umweltgruppe. #nobot", 700,
     "organization", "ngo", "DE", "de", "OWN"),  # opted out in its bio
    ("neu", "mastodon.social", "Neu Hier",
     "", 3, None, None, "DE", "de", "OWN"),  # not classified yet
]  # fmt: skip


def make_campaign() -> Campaign:
    return Campaign.model_validate(
        {"campaign": {"name": CAMPAIGN, "hashtags": ["CleanAirECI"], "keywords": []}}
    )


def follower_walk(seed: tuple[str, str]) -> Iterator[Any]:
    """What a follower walk of ``seed`` yields: both ends' profiles before each edge, the
    end of the walk last."""
    user, host = seed
    seed_account = mastodon_account(
        user, host, display_name=user.title(), bio="Europäische Bürgerinitiative"
    )
    for f_user, f_host, name, bio, followers, *_, seeds in FOLLOWERS:
        if ("OWN" if seed == OWN else "PARTNER") not in seeds.split():
            continue
        is_bot = f_host == "botsin.space"
        yield mastodon_account(
            f_user, f_host, display_name=name, bio=bio, followers_count=followers, is_bot=is_bot
        )
        yield seed_account
        yield FollowItem(aid(f_user, f_host), aid(user, host), "mastodon", T0)
    if seed == OWN:  # the partner follows the campaign's own account
        yield mastodon_account(*PARTNER, display_name="Airwatch")
        yield seed_account
        yield FollowItem(aid(*PARTNER), aid(*OWN), "mastodon", T0)
    yield SeedListItem(
        f"{aid(user, host)}#followers", CAMPAIGN, f"{user}@{host}", aid(user, host),
        "followers", "mastodon", "complete", T0 - timedelta(hours=1), 9,
    )  # fmt: skip


def build(store: Store) -> None:
    # two people who posted for the campaign, one of them following the campaign
    posters: list[AccountItem] = [
        mastodon_account("zofia", "pol.social", display_name="Zofia Wójcik", followers_count=310),
        mastodon_account("theo", "mamot.fr", display_name="Théo Lefèvre", followers_count=95),
    ]
    chain = PipelineChain(store)
    chain.process_many(posters)
    chain.process_many(
        [
            mastodon_post("zofia", 1, "pol.social", text="Podpisz! #CleanAirECI",
                          hashtags=["cleanaireci"]),
            mastodon_post("theo", 1, "mamot.fr", text="Signez ! #CleanAirECI",
                          hashtags=["cleanaireci"]),
        ]
    )  # fmt: skip
    chain.process_many(follower_walk(OWN))
    chain.process_many(follower_walk(PARTNER))
    chain.process_many(
        [
            mastodon_account("zofia", "pol.social", display_name="Zofia Wójcik"),
            mastodon_account(*OWN, display_name="Cleanair"),
            FollowItem(aid("zofia", "pol.social"), aid(*OWN), "mastodon", T0),
        ]
    )
    chain.flush()
    store.tag_campaign_posts(CAMPAIGN, make_campaign().matcher)
    classified = [
        (aid(u, h), role, org, cc, lang, h == "botsin.space")
        for u, h, _, _, _, role, org, cc, lang, _ in FOLLOWERS
    ]
    classified += [
        (aid("zofia", "pol.social"), "individual", None, "PL", "pl", False),
        (aid("theo", "mamot.fr"), "individual", None, "FR", "fr", False),
        (aid(*OWN), "organization", "ngo", "BE", "en", False),
        (aid(*PARTNER), "organization", "ngo", "DE", "de", False),
    ]
    store.write_classifications(
        pd.DataFrame(
            [
                {
                    "account_id": account_id,
                    "role": role,
                    "org_type": org,
                    "language": lang,
                    "country": cc,
                    "role_confidence": 0.9,
                    "country_confidence": 0.9,
                    "class_reasons": "test world",
                    "is_bot": bot,
                }
                for account_id, role, org, cc, lang, bot in classified
                if role is not None
            ]
        )
    )
    stance = [
        (aid("zofia", "pol.social"), "supports", 1),
        (aid("theo", "mamot.fr"), "supports", 1),
        # an earlier post against the campaign, since deleted
        (aid("autoclub", "mastodon.social"), "opposes", 0),
    ]
    store.write_account_campaign(
        CAMPAIGN,
        pd.DataFrame(
            [
                {
                    "account_id": account_id,
                    "stance": s,
                    "stance_score": 0.9,
                    "campaign_posts": n,
                    "last_post_at": T0 - timedelta(hours=1),
                }
                for account_id, s, n in stance
            ]
        ),
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "scout.duckdb")
    build(s)
    yield s
    s.close()


def leads_by_user(store: Store) -> dict[str, dict[str, Any]]:
    measure_campaign(store, make_campaign())
    leads = rank(store, make_campaign(), now=T0)
    return {
        str(r["handle"]).split("@")[0]: {str(k): v for k, v in r.items()}
        for r in leads.to_dict("records")
    }


def test_seed_followers_become_leads_of_their_natural_type(store: Store) -> None:
    got = leads_by_user(store)
    types = {u: r["lead_type"] for u, r in got.items()}
    assert types == {
        "luftbuendnis": "intermediary",  # an NGO following both seeds
        "stiftungluft": "sponsor",  # a foundation following the partner
        "akeller": "influencer",  # an MEP
        "mrossi": "influencer",  # a journalist
        "jana": "volunteer",  # a private person, however many followers
        "zofia": "volunteer",  # posted and follows the campaign
        "theo": "volunteer",  # posted
    }
    ngo = got["luftbuendnis"]["reasons"]
    assert "follows 2 campaign seeds: airwatch@climate.social, cleanair@eci.social" in ngo
    assert "no campaign post yet" in ngo and "stance not scored yet" in ngo
    assert ngo.startswith("ngo in DE")
    assert "follows the campaign seed airwatch@climate.social" in got["stiftungluft"]["reasons"]
    assert "follows the campaign seed cleanair@eci.social" in got["akeller"]["reasons"]
    assert "followers in the top" not in got["jana"]["reasons"]
    # their scores come from the same components as posters': no activity, graph
    # centrality, their role's fit
    assert got["luftbuendnis"]["activity"] == 0 and got["luftbuendnis"]["role_fit"] == 1.0
    assert got["luftbuendnis"]["centrality"] > 0
    assert got["akeller"]["role_fit"] == 1.0 and got["mrossi"]["role_fit"] == 0.9


def test_the_exclusions_apply_to_seed_followers(store: Store) -> None:
    got = leads_by_user(store)
    assert "autoclub" not in got  # opposes the campaign
    assert "luftnews" not in got  # a bot
    assert "neu" not in got  # not classified yet: no type fits
    # the campaign's own accounts are on board already, though one follows the other
    assert "airwatch" not in got and "cleanair" not in got
    # opted out in its bio: its profile and follow edge were never stored
    assert "ortsgruppe" not in got
    assert store.is_opted_out(aid("ortsgruppe", "climate.social"))
    graph = set(store.lead_communities(CAMPAIGN)["account_id"])
    assert aid("luftbuendnis", "climate.social") in graph
    assert aid("ortsgruppe", "climate.social") not in graph


def test_forgetting_a_seed_follower_removes_the_lead(store: Store) -> None:
    leads_by_user(store)
    store.forget([aid("stiftungluft", "mastodon.social")])
    got = leads_by_user(store)
    assert "stiftungluft" not in got
    assert got["luftbuendnis"]["lead_type"] == "intermediary"
