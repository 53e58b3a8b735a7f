"""Explainable lead ranking: one documented SQL query over DuckDB.

``rank(store, campaign)`` replaces the campaign's rows in ``leads`` and returns them.
Python only supplies weights and thresholds (as query parameters); every number a lead
list shows is computed by ``crawler/db/sql/ranking.sql`` from stored rows, and stored beside the
score in the ``leads`` component columns.

Candidates
    Accounts with at least one campaign post (``campaign_posts``), plus accounts that the
    campaign's *supporters* interacted with (mention, reply, quote, repost) in campaign
    posts: organizations mentioned by supporters are prime intermediaries even if they
    never posted.  A *supporter* is an author of campaign posts whose stance is not
    ``opposes`` (no stance scored yet counts as not opposing).
    Where the campaign graph was computed (:mod:`crawler.app.graph`), accounts that
    follow the campaign's seed accounts are candidates too, even if they never posted
    (found only through the seeds' follower lists; the consent rules applied when they
    were collected): private people as volunteers, organizations and public roles as
    their natural lead type (a partner NGO's follower that is itself an NGO is an
    intermediary, a foundation a sponsor, an MEP an influencer); their reasons say which
    seeds they follow. The campaign's seed accounts themselves are not candidates for
    following one another (they are on board already).
    Excluded: stance ``opposes``; bots from every lead type (bots are never volunteers,
    and a bot as influencer, sponsor or intermediary cannot be contacted as a partner).
    Only with ``privacy.exclude_bots_from_volunteers = false`` may a bot be a volunteer.

Lead type (one per account, the first that fits, in this order)
    1. influencer: role politician or journalist; a public_figure with at least 1,000
       followers (``PUBLIC_FIGURE_MIN_FOLLOWERS``: "well-known people"; or a count never
       read, as of a Bluesky seed follower); org_type media or public_body; or an
       individual whose followers are in the top 2 % of candidates and at least 5,000.
    2. sponsor: org_type foundation or company.
    3. intermediary: org_type ngo, union, association, party, academic or other (an
       organization without org_type counts as other).
    4. volunteer: role individual, or public_figure under 1,000 followers (an activist
       or a researcher by the bio, not yet well known; the reasons say so), without an
       org_type (a private person: never a politician or a public body) with at least
       one campaign post or following at least one seed account, and stance supports
       or neutral (not scored yet counts as neutral). A private person found only as a
       seed follower is a volunteer or no lead (never an influencer by the top-2 % rule,
       which ranks the other candidates); an organization or public role found that way
       gets its type by rules 1-3.
    Role, org_type, country and scope are an organizer's correction where there is one
    (table ``overrides``), else the classifier's.
    Accounts fitting none (e.g. not classified yet) are not leads.

Components (each 0..1, stored in ``leads``)
    reach        0.7 * ln(1+followers) / max over candidates
                 + 0.3 * ln(1+engagement) / max, engagement = likes + reposts + replies
                 received on the account's campaign posts.
    centrality   with the campaign graph (table ``account_graph``): PageRank relative to
                 the graph's average account, ln(1+x) / max; volunteers: 0.4 * that
                 + 0.3 * out-degree in the graph, ln(1+x) / max + 0.3 * seeds followed
                 (``SEEDS_FULL`` or more count 1), so a volunteer who follows several
                 seeds, or follows one and posts (activity), ranks higher.
                 Without it (fallback, per account): in-degree = distinct supporters
                 interacting with the account in campaign posts, ln(1+x) / max;
                 volunteers: 0.5 * in-degree part + 0.5 * out-degree part (distinct
                 accounts the volunteer interacts with).
    role_fit     per lead type and role/org_type, from the ``role_fit`` VALUES table.
    stance       supports 1.0, neutral (or not scored) 0.4 (``leads.stance_score``;
                 ``leads.stance`` keeps the word); the reasons quote the post that
                 decided (``account_campaign.stance_evidence`` and its URL).
    activity     ln(1+campaign posts) / max, times 0.5 ^ (days since the last campaign
                 post / 14).
    country_need with signature counts: max(0, 1 - signatures / threshold) for the lead's
                 country (a country not listed has 0 signatures); without: 1.0 for the
                 campaign's target countries (all EU countries when none is listed),
                 0.5 for other EU countries; 0.3 when the country is unknown or outside
                 the EU.  Thresholds: MEP seats x 720 (``crawler.core.vocab.threshold``).

Weights per lead type (see :data:`WEIGHTS`)
    volunteer:    activity .35, centrality .20, reach .10, stance .15, country_need .20
    influencer:   reach .35, role_fit .20, centrality .15, stance .10, activity .05,
                  country_need .15
    intermediary: role_fit .25, reach .20, centrality .20, stance .10, activity .10,
                  country_need .15
    sponsor:      role_fit .30, reach .20, centrality .15, stance .15, activity .05,
                  country_need .15

``score`` is the weighted sum rounded to 4 decimals; ``rank`` is the row number within
the lead type by score descending, ties broken by account_id; ``reasons`` says in words
what produced the numbers (with the graph: which seed accounts it follows, by handle, its
community's label and size, and its PageRank relative to the average account).

Analyst views (created or replaced by :func:`create_views`, also called by ``rank``)
    ``v_leads_explained``  every ``leads`` row with the account's profile and
                           classification (bio, role, org_type, confidences, counts).
    ``v_country_coverage`` per campaign and EU member state: MEP seats, threshold,
                           signatures given, signatures missing, target flag, leads per
                           type and supporters found (authors of campaign posts located
                           there who do not oppose it).
    ``v_campaign_posts``   posts joined with the campaigns they matched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from crawler.core.config import Campaign
from crawler.core.vocab import EU_COUNTRIES, MEP_SEATS, threshold
from crawler.db import readmodels
from crawler.db.store import Store

# The order in which a lead type is assigned (the first that fits wins, see above); the
# ranking also returns its leads in this order. Display order is vocab.LEAD_TYPES.
ASSIGNMENT_ORDER: tuple[str, ...] = ("influencer", "sponsor", "intermediary", "volunteer")
COMPONENTS: tuple[str, ...] = (
    "reach",
    "centrality",
    "role_fit",
    "stance",
    "activity",
    "country_need",
)

WEIGHTS: dict[str, dict[str, float]] = {
    "volunteer": {
        "activity": 0.35,
        "centrality": 0.20,
        "reach": 0.10,
        "stance": 0.15,
        "country_need": 0.20,
    },
    "influencer": {
        "reach": 0.35,
        "role_fit": 0.20,
        "centrality": 0.15,
        "stance": 0.10,
        "activity": 0.05,
        "country_need": 0.15,
    },
    "intermediary": {
        "role_fit": 0.25,
        "reach": 0.20,
        "centrality": 0.20,
        "stance": 0.10,
        "activity": 0.10,
        "country_need": 0.15,
    },
    "sponsor": {
        "role_fit": 0.30,
        "reach": 0.20,
        "centrality": 0.15,
        "stance": 0.15,
        "activity": 0.05,
        "country_need": 0.15,
    },
}

HALF_LIFE_DAYS = 14.0
INFLUENCER_MIN_FOLLOWERS = 5_000
INFLUENCER_TOP_SHARE = 0.02  # individuals in the top 2 % of candidates by followers
# A public figure (author, researcher, activist by the bio) is well known, an influencer,
# from this many followers; below, a volunteer like any private person.
PUBLIC_FIGURE_MIN_FOLLOWERS = 1_000
SEEDS_FULL = 3.0  # following this many of the campaign's seed accounts counts fully


def ranking_parameters(campaign: Campaign, now: datetime) -> list[object]:
    """The values ``crawler/db/sql/ranking.sql`` takes, in order."""
    params: list[object] = [
        campaign.name,
        now,
        HALF_LIFE_DAYS,
        bool(campaign.campaign.signatures),
        campaign.privacy.exclude_bots_from_volunteers,
        INFLUENCER_MIN_FOLLOWERS,
        INFLUENCER_TOP_SHARE,
        PUBLIC_FIGURE_MIN_FOLLOWERS,
        SEEDS_FULL,
    ]
    assert len(WEIGHTS) == 4, "ranking.sql has one weights row per lead type"
    for lead_type, w in WEIGHTS.items():
        params.append(lead_type)
        params.extend(float(w.get(c, 0.0)) for c in COMPONENTS)
    return params


def create_views(store: Store) -> None:
    """Create or replace the analyst views (see the module docstring)."""
    readmodels.create_views(store)


def campaign_countries(campaign: Campaign) -> dict[str, list[Any]]:
    """Per EU member state (parallel lists): seats, threshold, signatures given, target."""
    section = campaign.campaign
    targets = set(section.countries) or set(EU_COUNTRIES)
    codes = list(EU_COUNTRIES)
    return {
        "countries": codes,
        "seats": [MEP_SEATS[cc] for cc in codes],
        "thresholds": [threshold(cc) for cc in codes],
        "signatures": [section.signatures.get(cc) for cc in codes],
        "targets": [cc in targets for cc in codes],
    }


def rank(store: Store, campaign: Campaign, now: datetime | None = None) -> pd.DataFrame:
    """Rank the campaign's leads, replace its rows in ``leads`` and return them
    (ordered by :data:`ASSIGNMENT_ORDER`, then rank)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return readmodels.replace_leads(
        store,
        campaign.name,
        campaign_countries(campaign),
        ranking_parameters(campaign, now),
        ASSIGNMENT_ORDER,
    )
