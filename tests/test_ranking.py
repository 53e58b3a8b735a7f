"""Ranking: lead types, exclusions, ranks, country need, reasons, views.

The database is built through the Store API from a small but realistic campaign world:
a dozen volunteers, intermediaries, sponsors and influencers spread over member states,
plus bots, opponents and organizations that only get mentioned by supporters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crawler.app.ranking import WEIGHTS, rank
from crawler.core.config import Campaign
from crawler.core.items import AccountItem, InteractionItem, PostItem
from crawler.core.matching import CampaignMatcher
from crawler.core.vocab import threshold
from crawler.db.store import Store
from tests.support.fixtures import SHARED_DIR

SHARED = SHARED_DIR
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CAMPAIGN = "Save the Bees"
COUNTRIES = ["DE", "FR", "IT", "ES", "PL", "MT", "AT", "NL", "BE", "SE", "PT", "IE"]


@dataclass
class Person:
    user: str
    role: str
    org_type: str | None = None
    country: str | None = "DE"
    followers: int | None = 100  # None: never read (a Bluesky seed follower)
    stance: str = "supports"
    posts: int = 0  # campaign posts
    days_ago: float = 1.0  # age of the most recent campaign post
    bot: bool = False
    mentioned_by: list[str] = field(default_factory=list)  # supporters mentioning them
    likes: int = 0

    @property
    def account_id(self) -> str:
        return f"mastodon:https://eu.social/users/{self.user}"

    @property
    def handle(self) -> str:
        return f"{self.user}@eu.social"


def world() -> list[Person]:
    people: list[Person] = []
    volunteers = [f"vol{i:02d}" for i in range(12)]
    for i, u in enumerate(volunteers):
        people.append(
            Person(
                u,
                "individual",
                country=COUNTRIES[i],
                followers=80 + 40 * i,
                posts=1 + i % 5,
                days_ago=1 + i,
                stance="supports" if i % 3 else "neutral",
                likes=i,
            )
        )
    for i, ot in enumerate(["ngo", "union", "association", "academic", "party", "other"] * 2):
        # half of them never post: supporters mention them
        posts = 2 if i % 2 == 0 else 0
        people.append(
            Person(
                f"org{i:02d}",
                "organization",
                ot,
                country=COUNTRIES[i],
                followers=1_000 + 500 * i,
                posts=posts,
                mentioned_by=volunteers[: 2 + i % 6],
                stance="supports" if posts else "neutral",
            )
        )
    for i, ot in enumerate(["foundation", "company"] * 6):
        people.append(
            Person(
                f"fund{i:02d}",
                "organization",
                ot,
                country=COUNTRIES[(i + 3) % 12],
                followers=500 + 300 * i,
                posts=1 if i % 3 == 0 else 0,
                mentioned_by=volunteers[i % 4 : i % 4 + 2],
                stance="supports" if i % 3 == 0 else "neutral",
            )
        )
    inf_roles: list[tuple[str, str | None]] = [
        ("politician", None),
        ("journalist", None),
        ("public_figure", None),
        ("organization", "media"),
        ("organization", "public_body"),
    ]
    for i in range(11):
        role, kind = inf_roles[i % 5]
        people.append(
            Person(
                f"inf{i:02d}",
                role,
                kind,
                country=COUNTRIES[i],
                followers=3_000 + 2_000 * i,
                posts=1 if i % 2 else 0,
                mentioned_by=volunteers[: 1 + i],
                stance="supports" if i % 2 else "neutral",
            )
        )
    # an individual with a huge audience: an influencer by reach
    people.append(Person("star", "individual", country="FR", followers=250_000, posts=2, likes=900))
    # the journalist with 23,400 followers the reasons example talks about
    people.append(
        Person(
            "jour", "journalist", country="FR", followers=23_400, posts=14,
            days_ago=1, mentioned_by=volunteers[:6],
        )
    )  # fmt: skip
    # excluded: bots and opponents
    people.append(Person("botvol", "individual", country="DE", posts=30, bot=True))
    people.append(
        Person("botngo", "organization", "ngo", country="DE", posts=5, bot=True,
               mentioned_by=volunteers[:8])
    )  # fmt: skip
    people.append(Person("against", "individual", country="IT", posts=9, stance="opposes"))
    people.append(
        Person("againstpol", "politician", country="PL", followers=90_000, posts=3,
               stance="opposes", mentioned_by=volunteers[:3])
    )  # fmt: skip
    # not a lead: an individual mentioned by supporters but never posting
    people.append(Person("lurker", "individual", country="AT", mentioned_by=volunteers[:2]))
    # a volunteer pair identical but for the country (country need)
    people.append(Person("twin-de", "individual", country="DE", posts=3, followers=300))
    people.append(Person("twin-mt", "individual", country="MT", posts=3, followers=300))
    people.append(Person("nowhere", "individual", country=None, posts=3, followers=300))
    # off-campaign chatter: never a candidate
    people.append(Person("cats", "individual", country="DE", posts=0))
    return people


def build(store: Store, people: list[Person]) -> None:
    accounts: list[AccountItem] = []
    posts: list[PostItem] = []
    interactions: list[InteractionItem] = []
    for p in people:
        accounts.append(
            AccountItem(
                p.account_id,
                "mastodon",
                p.handle,
                display_name=p.user.title(),
                url=f"https://eu.social/@{p.user}",
                followers_count=p.followers,
                is_bot=p.bot,
                seen_at=NOW - timedelta(hours=1),
            )
        )
        for k in range(p.posts):
            posts.append(
                PostItem(
                    f"mastodon:https://eu.social/users/{p.user}/statuses/{k}",
                    "mastodon",
                    p.account_id,
                    created_at=NOW - timedelta(days=p.days_ago + 2 * k),
                    text=f"Sign the ECI to save pollinators #SaveBees ({k})",
                    hashtags=["savebees"],
                    like_count=p.likes if k == 0 else 0,
                )
            )
        posts.append(
            PostItem(
                f"mastodon:https://eu.social/users/{p.user}/statuses/cat",
                "mastodon",
                p.account_id,
                created_at=NOW - timedelta(days=3),
                text="my cat is asleep",
                hashtags=["caturday"],
            )
        )
    by_user = {p.user: p for p in people}
    for p in people:
        for src in p.mentioned_by:
            post_id = f"mastodon:https://eu.social/users/{src}/statuses/0"
            interactions.append(
                InteractionItem(
                    by_user[src].account_id, None, "mention", post_id, NOW, p.handle.upper()
                )
            )
    # volunteers talk to each other (out-degree)
    interactions.append(
        InteractionItem(
            by_user["vol03"].account_id,
            by_user["vol04"].account_id,
            "reply",
            "mastodon:https://eu.social/users/vol03/statuses/0",
            NOW,
        )
    )
    # an opponent mentioning an org gives it no centrality
    interactions.append(
        InteractionItem(
            by_user["against"].account_id,
            None,
            "mention",
            "mastodon:https://eu.social/users/against/statuses/0",
            NOW,
            by_user["lurker"].handle,
        )
    )
    store.upsert_accounts(accounts)
    store.upsert_posts(posts)
    store.add_interactions(interactions)
    store.resolve_refs()
    store.tag_campaign_posts(CAMPAIGN, CampaignMatcher(["savebees"], ["pollinators"]))
    store.write_classifications(
        pd.DataFrame(
            [
                {
                    "account_id": p.account_id,
                    "role": p.role,
                    "org_type": p.org_type,
                    "language": "en",
                    "country": p.country,
                    "role_confidence": 0.9,
                    "country_confidence": 0.8 if p.country else None,
                    "class_reasons": "test world",
                    "is_bot": False,
                }
                for p in people
            ]
        )
    )
    store.write_account_campaign(
        CAMPAIGN,
        pd.DataFrame(
            [
                {
                    "account_id": p.account_id,
                    "stance": p.stance,
                    "stance_score": {"supports": 0.9, "neutral": 0.0, "opposes": -0.8}[p.stance],
                    "campaign_posts": p.posts,
                    "last_post_at": NOW - timedelta(days=p.days_ago) if p.posts else None,
                }
                for p in people
                if p.posts or p.mentioned_by
            ]
        ),
    )


def campaign(**section: Any) -> Campaign:
    base: dict[str, Any] = {"name": CAMPAIGN, "hashtags": ["SaveBees"], "keywords": []}
    base.update(section)
    return Campaign.model_validate({"campaign": base})


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "scout.duckdb")
    build(s, world())
    yield s
    s.close()


def by_handle(leads: pd.DataFrame) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = leads.to_dict("records")  # type: ignore[assignment]
    return {str(r["handle"]).split("@")[0]: r for r in rows}


def test_lead_types_and_exclusions(store: Store) -> None:
    leads = rank(store, campaign(), now=NOW)
    got = by_handle(leads)
    people = {p.user: p for p in world()}
    # bots and opponents never appear; lurker (no campaign post) and off-topic accounts
    # are not leads
    for excluded in ("botvol", "botngo", "against", "againstpol", "lurker", "cats"):
        assert excluded not in got, excluded
    assert leads["account_id"].is_unique
    for user, row in got.items():
        p = people[user]
        if p.org_type in ("foundation", "company"):
            assert row["lead_type"] == "sponsor", user
        elif p.org_type in ("ngo", "union", "association", "party", "academic", "other"):
            assert row["lead_type"] == "intermediary", user
        elif p.role in ("politician", "journalist", "public_figure") or p.org_type in (
            "media",
            "public_body",
        ):
            assert row["lead_type"] == "influencer", user
    assert got["star"]["lead_type"] == "influencer"  # an individual by reach
    assert got["vol05"]["lead_type"] == "volunteer"
    counts = leads["lead_type"].value_counts().to_dict()
    assert counts["intermediary"] == 12 and counts["sponsor"] == 12
    assert counts["influencer"] == 13  # 11 by role + the journalist + the star
    assert counts["volunteer"] == 15  # 12 + the twins + the one without a country
    # organizations that never posted are found through supporters' mentions
    assert got["org01"]["campaign_posts"] == 0
    assert "supporters interact with them" in got["org01"]["reasons"]


def test_ranks_scores_and_components(store: Store) -> None:
    leads = rank(store, campaign(), now=NOW)
    for lead_type, group in leads.groupby("lead_type"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1)), lead_type
        ordered = group.sort_values("rank")
        assert ordered["score"].is_monotonic_decreasing
        w = WEIGHTS[str(lead_type)]
        for r in group.to_dict("records"):
            comps = {
                "reach": r["reach"],
                "centrality": r["centrality"],
                "role_fit": r["role_fit"],
                "stance": r["stance_score"],
                "activity": r["activity"],
                "country_need": r["country_need"],
            }
            assert all(0.0 <= v <= 1.0 for v in comps.values()), r["handle"]
            expected = sum(w.get(k, 0.0) * v for k, v in comps.items())
            assert r["score"] == pytest.approx(expected, abs=5e-4), r["handle"]
    assert abs(sum(WEIGHTS["volunteer"].values()) - 1) < 1e-9
    got = by_handle(leads)
    # the star has the most followers; the journalist more than a small influencer
    assert got["star"]["reach"] > got["jour"]["reach"] > got["inf00"]["reach"]
    # recency: same post count, one week older -> less activity
    assert got["vol01"]["campaign_posts"] == got["vol06"]["campaign_posts"] == 2
    assert got["vol01"]["activity"] > got["vol06"]["activity"]
    # out-degree counts for volunteers
    assert got["vol03"]["centrality"] > 0
    assert got["vol00"]["stance"] == "neutral" and got["vol00"]["stance_score"] == 0.4
    assert got["vol01"]["stance_score"] == 1.0


def test_country_need_with_signature_counts(store: Store) -> None:
    assert threshold("DE") == 69_120 and threshold("MT") == 4_320
    camp = campaign(signatures={"DE": 70_000, "MT": 1_000, "FR": 10_000})
    leads = rank(store, camp, now=NOW)
    got = by_handle(leads)
    de, mt = got["twin-de"], got["twin-mt"]
    assert de["country_need"] == 0.0  # above its threshold
    assert mt["country_need"] == pytest.approx(1 - 1_000 / 4_320, abs=1e-4)
    assert got["vol04"]["country_need"] == 1.0  # PL: not listed -> no signatures yet
    assert got["nowhere"]["country_need"] == 0.3
    assert mt["rank"] < de["rank"] and mt["score"] > de["score"]
    assert "DE has 70,000 of 69,120 signatures needed" in de["reasons"]
    assert "MT has 1,000 of 4,320 signatures needed" in mt["reasons"]
    assert "FR has 10,000 of 58,320 signatures needed" in got["jour"]["reasons"]


def test_country_need_without_signature_counts(store: Store) -> None:
    got = by_handle(rank(store, campaign(countries=["DE"]), now=NOW))
    assert got["twin-de"]["country_need"] == 1.0
    assert got["twin-mt"]["country_need"] == 0.5
    assert got["nowhere"]["country_need"] == 0.3
    assert got["twin-de"]["rank"] < got["twin-mt"]["rank"] < got["nowhere"]["rank"]
    assert "DE is a target country" in got["twin-de"]["reasons"]
    # no target list: every member state is a target
    got = by_handle(rank(store, campaign(), now=NOW))
    assert got["twin-de"]["country_need"] == got["twin-mt"]["country_need"] == 1.0
    assert got["twin-de"]["score"] == got["twin-mt"]["score"]
    # equal scores: tie broken by account_id
    assert got["twin-de"]["rank"] < got["twin-mt"]["rank"]


def test_reasons_mention_the_numbers(store: Store) -> None:
    got = by_handle(rank(store, campaign(signatures={"FR": 0}), now=NOW))
    reasons = got["jour"]["reasons"]
    assert reasons.startswith("journalist in FR (country confidence 0.80)")
    assert "14 campaign posts, last 2026-11-19" in reasons
    assert "6 supporters interact with them" in reasons
    assert "23,400 followers" in reasons
    assert "supports the campaign" in reasons
    assert "FR has 0 of 58,320 signatures needed" in reasons
    assert "followers in the top 2 % of candidates" in got["star"]["reasons"]
    assert "engagement on campaign posts: 900 (likes" in got["star"]["reasons"]
    assert got["org05"]["reasons"].startswith("organization in MT")  # org_type other
    assert "ngo in DE" in got["org00"]["reasons"]
    assert "country unknown" in got["nowhere"]["reasons"]
    assert "neutral toward the campaign" in got["vol00"]["reasons"]


def test_a_public_figure_is_an_influencer_only_when_known(tmp_path: Path) -> None:
    """ "Climate activist", "researcher", "author" make a public figure; an influencer is
    a well-known one. Below PUBLIC_FIGURE_MIN_FOLLOWERS a public figure who posts for
    the campaign is a volunteer, and the reasons say why."""
    from crawler.app.ranking import PUBLIC_FIGURE_MIN_FOLLOWERS as MIN

    people = world() + [
        Person("activist", "public_figure", country="FR", followers=MIN - 1, posts=4),
        Person("novelist", "public_figure", country="IT", followers=MIN, posts=1),
        Person(
            "quiet",
            "public_figure",
            country="DE",
            followers=40,
            posts=0,
            mentioned_by=["vol00", "vol01"],
        ),
        Person("unread", "public_figure", country="PL", followers=None, posts=1),
    ]
    with Store(tmp_path / "s.duckdb") as s:
        build(s, people)
        got = by_handle(rank(s, campaign(), now=NOW))
    assert got["activist"]["lead_type"] == "volunteer"
    assert got["activist"]["role_fit"] == 1.0
    reasons = got["activist"]["reasons"]
    assert f"under {MIN:,} followers: a volunteer, not yet an influencer" in reasons
    assert got["novelist"]["lead_type"] == "influencer"
    assert "not yet an influencer" not in got["novelist"]["reasons"]
    assert "quiet" not in got  # a private person who never posted is no volunteer
    # a follower count never read is no evidence: the role decides
    assert got["unread"]["lead_type"] == "influencer"


def test_bots_as_volunteers_only_when_allowed(store: Store) -> None:
    camp = Campaign.model_validate(
        {
            "campaign": {"name": CAMPAIGN, "hashtags": ["savebees"]},
            "privacy": {"exclude_bots_from_volunteers": False},
        }
    )
    got = by_handle(rank(store, camp, now=NOW))
    assert got["botvol"]["lead_type"] == "volunteer"
    assert "botngo" not in got  # never an intermediary


def test_leads_table_round_trips_and_is_replaced(store: Store) -> None:
    leads = rank(store, campaign(), now=NOW)
    stored = store.con.execute(
        "SELECT * FROM leads WHERE campaign = ? ORDER BY lead_type, rank", [CAMPAIGN]
    ).df()
    assert len(stored) == len(leads)
    merged = stored.merge(leads, on="account_id", suffixes=("_db", "_ret"))
    for col in ("score", "rank", "lead_type", "reasons", "country", "reach"):
        assert merged[f"{col}_db"].equals(merged[f"{col}_ret"]), col
    assert merged["country_db"].isna().sum() == 1  # "nowhere" keeps NULL, not a guess
    assert (stored["ranked_at"] == pd.Timestamp(NOW)).all()
    # another campaign's leads are untouched by re-ranking this one
    store.con.execute(
        "INSERT INTO leads (campaign, account_id, lead_type, rank) VALUES ('other', 'x', 'sponsor', 1)"
    )
    again = rank(store, campaign(), now=NOW + timedelta(days=1))
    assert len(again) == len(leads)
    assert store.count("leads") == len(leads) + 1
    assert len(store.con.execute("SELECT * FROM leads WHERE campaign = ?", [CAMPAIGN]).df()) == len(
        leads
    )


def test_views(store: Store) -> None:
    rank(store, campaign(countries=["DE", "MT"], signatures={"MT": 1_000}), now=NOW)
    explained = store.con.execute(
        "SELECT handle, bio, role, followers_count, reasons FROM v_leads_explained "
        "WHERE handle = 'jour@eu.social'"
    ).fetchone()
    assert explained is not None and explained[2] == "journalist" and explained[3] == 23_400
    cov = store.con.execute(
        "SELECT country, threshold, signatures, signatures_missing, is_target, volunteers,"
        " leads, supporters_found FROM v_country_coverage WHERE campaign = ? ORDER BY country",
        [CAMPAIGN],
    ).df()
    assert len(cov) == 27
    mt = cov[cov["country"] == "MT"].iloc[0]
    assert (mt["threshold"], mt["signatures"], mt["signatures_missing"]) == (4_320, 1_000, 3_320)
    assert bool(mt["is_target"]) and mt["volunteers"] == 2  # vol05 and twin-mt
    de = cov[cov["country"] == "DE"].iloc[0]
    # DE supporters: vol00, twin-de, org00 (posts), fund09? no: only posters count
    de_posters = [p for p in world() if p.country == "DE" and p.posts and p.stance != "opposes"]
    assert de["supporters_found"] == len(de_posters)
    n_posts = store.con.execute(
        "SELECT count(*) FROM v_campaign_posts WHERE campaign = ?", [CAMPAIGN]
    ).fetchone()
    assert n_posts == (sum(p.posts for p in world()),)


def test_empty_campaign_ranks_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.duckdb") as s:
        leads = rank(s, campaign(), now=NOW)
        assert leads.empty
        assert s.count("campaign_countries") == 27


def test_every_lead_is_its_own_identity_with_its_scope(store: Store) -> None:
    store.con.execute("UPDATE accounts SET scope = 'national' WHERE handle = 'jour@eu.social'")
    rank(store, campaign(), now=NOW)
    rows = store.con.execute(
        "SELECT account_id, identity_id, handle, handles, scope FROM leads WHERE campaign = ?",
        [CAMPAIGN],
    ).fetchall()
    assert rows
    for account_id, identity_id, handle, handles, scope in rows:
        assert identity_id == account_id and handles == [handle]
        assert scope == ("national" if handle == "jour@eu.social" else None)
