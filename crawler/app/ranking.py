"""Explainable lead ranking: one documented SQL query over DuckDB.

``rank(store, campaign)`` replaces the campaign's rows in ``leads`` and returns them.
Python only supplies weights and thresholds (as query parameters); every number a lead
list shows is computed by :data:`RANKING_SQL` from stored rows, and stored beside the
score in the ``leads`` component columns.

Candidates
    Accounts with at least one campaign post (``campaign_posts``), plus accounts that the
    campaign's *supporters* interacted with (mention, reply, quote, repost) in campaign
    posts: organizations mentioned by supporters are prime intermediaries even if they
    never posted.  A *supporter* is an author of campaign posts whose stance is not
    ``opposes`` (no stance scored yet counts as not opposing).
    Excluded: stance ``opposes``; bots from every lead type (bots are never volunteers,
    and a bot as influencer, sponsor or intermediary cannot be contacted as a partner).
    Only with ``privacy.exclude_bots_from_volunteers = false`` may a bot be a volunteer.

Lead type (one per account, the first that fits, in this order)
    1. influencer: role politician, journalist or public_figure; org_type media or
       public_body; or an individual whose followers are in the top 2 % of candidates
       and at least 5,000.
    2. sponsor: org_type foundation or company.
    3. intermediary: org_type ngo, union, association, party, academic or other (an
       organization without org_type counts as other).
    4. volunteer: role individual with at least one campaign post and stance supports or
       neutral (not scored yet counts as neutral).
    Accounts fitting none (e.g. not classified yet) are not leads.

Components (each 0..1, stored in ``leads``)
    reach        0.7 * ln(1+followers) / max over candidates
                 + 0.3 * ln(1+engagement) / max, engagement = likes + reposts + replies
                 received on the account's campaign posts.
    centrality   in-degree = distinct supporters interacting with the account in campaign
                 posts, ln(1+x) / max; volunteers: 0.5 * in-degree part + 0.5 * out-degree
                 part (distinct accounts the volunteer interacts with).
    role_fit     per lead type and role/org_type, from the ``role_fit`` VALUES table.
    stance       supports 1.0, neutral (or not scored) 0.4 (``leads.stance_score``;
                 ``leads.stance`` keeps the word).
    activity     ln(1+campaign posts) / max, times 0.5 ^ (days since the last campaign
                 post / 14).
    country_need with signature counts: max(0, 1 - signatures / threshold) for the lead's
                 country (a country not listed has 0 signatures); without: 1.0 for the
                 campaign's target countries (all EU countries when none is listed),
                 0.5 for other EU countries; 0.3 when the country is unknown or outside
                 the EU.  Thresholds: MEP seats x 720 (``crawler.core.config.threshold``).

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
what produced the numbers.

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

import pandas as pd

from crawler.core.config import Campaign
from crawler.core.vocab import EU_COUNTRIES, MEP_SEATS, threshold
from crawler.db.store import Store

LEAD_TYPES: tuple[str, ...] = ("influencer", "sponsor", "intermediary", "volunteer")
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

RANKING_SQL = """
WITH
-- what Python supplies: campaign, clock, thresholds
params AS (
    SELECT ?::VARCHAR AS campaign, ?::TIMESTAMPTZ AS now, ?::DOUBLE AS half_life_days,
           ?::BOOLEAN AS has_signatures, ?::BOOLEAN AS bots_never_volunteers,
           ?::BIGINT AS influencer_min_followers, ?::DOUBLE AS influencer_top_share
),
weights (lead_type, w_reach, w_centrality, w_role_fit, w_stance, w_activity,
         w_country_need) AS (VALUES
    (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?)
),
-- how well a role / org_type fits each lead type
role_fit (lead_type, kind, fit) AS (VALUES
    ('influencer', 'politician', 1.0), ('influencer', 'journalist', 0.9),
    ('influencer', 'media', 0.9), ('influencer', 'public_figure', 0.8),
    ('influencer', 'public_body', 0.6), ('influencer', 'individual', 0.6),
    ('sponsor', 'foundation', 1.0), ('sponsor', 'company', 0.7),
    ('intermediary', 'ngo', 1.0), ('intermediary', 'association', 0.9),
    ('intermediary', 'union', 0.9), ('intermediary', 'academic', 0.7),
    ('intermediary', 'party', 0.6), ('intermediary', 'other', 0.5),
    ('volunteer', 'individual', 1.0)
),
-- the campaign's posts and its accounts' stance
cposts AS (
    SELECT p.post_id, p.account_id, p.created_at,
           coalesce(p.like_count, 0) + coalesce(p.repost_count, 0)
             + coalesce(p.reply_count, 0) AS engagement
    FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id, params
    WHERE c.campaign = params.campaign
),
stances AS (
    SELECT ac.account_id, ac.stance
    FROM account_campaign ac, params WHERE ac.campaign = params.campaign
),
posters AS (
    SELECT account_id, count(*) AS n_posts, max(created_at) AS last_post_at,
           sum(engagement) AS engagement
    FROM cposts GROUP BY account_id
),
supporters AS (
    SELECT po.account_id FROM posters po LEFT JOIN stances s USING (account_id)
    WHERE s.stance IS DISTINCT FROM 'opposes'
),
-- the campaign interaction graph: supporter -> account, in campaign posts
edges AS (
    SELECT DISTINCT i.src_account_id AS src, i.dst_account_id AS dst
    FROM interactions i JOIN cposts cp ON cp.post_id = i.post_id
    WHERE i.src_account_id IN (SELECT account_id FROM supporters)
      AND i.dst_account_id IS NOT NULL AND i.dst_account_id <> i.src_account_id
),
indeg AS (SELECT dst AS account_id, count(*) AS in_degree FROM edges GROUP BY dst),
outdeg AS (SELECT src AS account_id, count(*) AS out_degree FROM edges GROUP BY src),
cand AS (
    SELECT a.account_id, a.platform, a.handle, a.display_name, a.url, a.role, a.org_type,
           upper(a.country) AS country, a.language, a.country_confidence,
           coalesce(a.is_bot, FALSE) AS is_bot,
           coalesce(a.followers_count, 0) AS followers,
           coalesce(po.n_posts, 0) AS n_posts, po.last_post_at,
           coalesce(po.engagement, 0) AS engagement,
           coalesce(ind.in_degree, 0) AS in_degree,
           coalesce(od.out_degree, 0) AS out_degree,
           s.stance,
           -- share of candidates with fewer followers (1.0 = the most followed)
           percent_rank() OVER (ORDER BY coalesce(a.followers_count, 0)) AS followers_pct
    FROM accounts a
    LEFT JOIN posters po ON po.account_id = a.account_id
    LEFT JOIN indeg ind ON ind.account_id = a.account_id
    LEFT JOIN outdeg od ON od.account_id = a.account_id
    LEFT JOIN stances s ON s.account_id = a.account_id
    WHERE (po.account_id IS NOT NULL OR ind.account_id IS NOT NULL)
      AND s.stance IS DISTINCT FROM 'opposes'
),
norms AS (
    SELECT max(ln(1 + followers)) AS max_lf, max(ln(1 + engagement)) AS max_le,
           max(ln(1 + in_degree)) AS max_li, max(ln(1 + out_degree)) AS max_lo,
           max(ln(1 + n_posts)) AS max_lp
    FROM cand
),
typed AS (
    SELECT c.*,
           (c.role = 'individual'
             AND c.followers >= p.influencer_min_followers
             AND c.followers_pct >= 1 - p.influencer_top_share) AS top_reach,
           CASE
             WHEN c.is_bot THEN
               CASE WHEN NOT p.bots_never_volunteers AND c.role = 'individual'
                         AND c.n_posts >= 1
                         AND coalesce(c.stance, 'neutral') IN ('supports', 'neutral')
                    THEN 'volunteer' END
             WHEN c.role IN ('politician', 'journalist', 'public_figure')
               OR c.org_type IN ('media', 'public_body')
               OR (c.role = 'individual'
                   AND c.followers >= p.influencer_min_followers
                   AND c.followers_pct >= 1 - p.influencer_top_share)
               THEN 'influencer'
             WHEN c.org_type IN ('foundation', 'company') THEN 'sponsor'
             WHEN c.org_type IN ('ngo', 'union', 'association', 'party', 'academic', 'other')
               OR (c.role = 'organization' AND c.org_type IS NULL) THEN 'intermediary'
             WHEN c.role = 'individual' AND c.n_posts >= 1
               AND coalesce(c.stance, 'neutral') IN ('supports', 'neutral')
               THEN 'volunteer'
           END AS lead_type
    FROM cand c, params p
),
comps AS (
    SELECT t.*,
           cc.threshold, cc.signatures, cc.is_target,
           0.7 * coalesce(ln(1 + t.followers) / nullif(n.max_lf, 0), 0)
             + 0.3 * coalesce(ln(1 + t.engagement) / nullif(n.max_le, 0), 0) AS reach,
           CASE WHEN t.lead_type = 'volunteer'
                THEN 0.5 * coalesce(ln(1 + t.in_degree) / nullif(n.max_li, 0), 0)
                   + 0.5 * coalesce(ln(1 + t.out_degree) / nullif(n.max_lo, 0), 0)
                ELSE coalesce(ln(1 + t.in_degree) / nullif(n.max_li, 0), 0)
           END AS centrality,
           coalesce(rf.fit, 0.0) AS role_fit,
           CASE WHEN t.stance = 'supports' THEN 1.0 ELSE 0.4 END AS stance_score,
           coalesce(ln(1 + t.n_posts) / nullif(n.max_lp, 0), 0)
             * CASE WHEN t.last_post_at IS NULL THEN 0.0
                    ELSE pow(0.5, greatest(0.0, epoch(p.now) - epoch(t.last_post_at))
                                  / 86400.0 / p.half_life_days)
               END AS activity,
           CASE WHEN cc.country IS NULL THEN 0.3
                WHEN p.has_signatures
                  THEN greatest(0.0, 1.0 - coalesce(cc.signatures, 0)::DOUBLE / cc.threshold)
                WHEN cc.is_target THEN 1.0
                ELSE 0.5
           END AS country_need
    FROM typed t
    CROSS JOIN norms n
    CROSS JOIN params p
    LEFT JOIN role_fit rf
      ON rf.lead_type = t.lead_type
     AND rf.kind = CASE WHEN t.role = 'organization' THEN coalesce(t.org_type, 'other')
                        ELSE coalesce(t.org_type, t.role) END
    LEFT JOIN campaign_countries cc
      ON cc.campaign = p.campaign AND cc.country = t.country
    WHERE t.lead_type IS NOT NULL
),
scored AS (
    SELECT c.*,
           round(w.w_reach * c.reach + w.w_centrality * c.centrality
                 + w.w_role_fit * c.role_fit + w.w_stance * c.stance_score
                 + w.w_activity * c.activity + w.w_country_need * c.country_need, 4)
             AS score
    FROM comps c JOIN weights w ON w.lead_type = c.lead_type
)
SELECT
    p.campaign, s.account_id, s.platform, s.handle, s.display_name, s.url, s.lead_type,
    s.score,
    row_number() OVER (PARTITION BY s.lead_type ORDER BY s.score DESC, s.account_id)
      AS rank,
    s.country, s.language,
    concat_ws('; ',
        CASE WHEN coalesce(s.org_type, 'other') = 'other'
                  AND (s.role = 'organization' OR s.org_type IS NOT NULL)
               THEN 'organization'
             ELSE coalesce(s.org_type, s.role) END
          || CASE WHEN s.country IS NULL THEN ', country unknown'
                  ELSE ' in ' || s.country
                       || coalesce(' (country confidence '
                                   || printf('%.2f', s.country_confidence) || ')', '')
             END,
        CASE WHEN s.top_reach AND s.lead_type = 'influencer'
             THEN 'followers in the top '
                  || printf('%g', 100 * p.influencer_top_share) || ' % of candidates' END,
        CASE WHEN s.n_posts > 0
             THEN format('{:,} campaign post', s.n_posts)
                  || CASE WHEN s.n_posts = 1 THEN '' ELSE 's' END
                  || ', last ' || strftime(s.last_post_at, '%Y-%m-%d')
             ELSE 'no campaign post yet' END,
        CASE WHEN s.in_degree > 0
             THEN format('{:,} supporter', s.in_degree)
                  || CASE WHEN s.in_degree = 1 THEN ' interacts' ELSE 's interact' END
                  || ' with them' END,
        CASE WHEN s.lead_type = 'volunteer' AND s.out_degree > 0
             THEN format('interacts with {:,} account', s.out_degree)
                  || CASE WHEN s.out_degree = 1 THEN '' ELSE 's' END
                  || ' around the campaign' END,
        format('{:,} follower', s.followers)
          || CASE WHEN s.followers = 1 THEN '' ELSE 's' END,
        CASE WHEN s.engagement > 0
             THEN format('engagement on campaign posts: {:,} (likes + reposts + replies)',
                         s.engagement)
             END,
        CASE s.stance WHEN 'supports' THEN 'supports the campaign'
                      WHEN 'neutral' THEN 'neutral toward the campaign'
                      ELSE 'stance not scored yet' END,
        CASE WHEN s.threshold IS NULL THEN NULL
             WHEN p.has_signatures
             THEN s.country || ' has ' || format('{:,}', coalesce(s.signatures, 0))
                  || ' of ' || format('{:,}', s.threshold) || ' signatures needed'
             WHEN s.is_target THEN s.country || ' is a target country'
             ELSE s.country || ' is not a target country' END
    ) AS reasons,
    round(s.reach, 4) AS reach, round(s.centrality, 4) AS centrality,
    round(s.role_fit, 4) AS role_fit, s.stance, round(s.activity, 4) AS activity,
    round(s.country_need, 4) AS country_need, s.n_posts AS campaign_posts,
    p.now AS ranked_at, s.stance_score
FROM scored s, params p
"""

INSERT_LEADS_SQL = (
    "INSERT INTO leads (campaign, account_id, platform, handle, display_name, url,"
    " lead_type, score, rank, country, language, reasons, reach, centrality, role_fit,"
    " stance, activity, country_need, campaign_posts, ranked_at, stance_score) " + RANKING_SQL
)

VIEWS_SQL: tuple[str, ...] = (
    """
    CREATE OR REPLACE VIEW v_leads_explained AS
    SELECT l.*, a.bio, a.role, a.org_type, a.role_confidence, a.country_confidence,
           a.class_reasons, a.followers_count, a.following_count, a.posts_count,
           a.is_bot, a.instance, a.created_at AS account_created_at,
           a.first_seen_at, a.last_seen_at, a.classified_at
    FROM leads l LEFT JOIN accounts a ON a.account_id = l.account_id
    """,
    """
    CREATE OR REPLACE VIEW v_country_coverage AS
    SELECT cc.campaign, cc.country, cc.mep_seats, cc.threshold, cc.signatures,
           CASE WHEN cc.signatures IS NOT NULL
                THEN greatest(0, cc.threshold - cc.signatures) END AS signatures_missing,
           cc.is_target,
           (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
              AND l.country = cc.country) AS leads,
           (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
              AND l.country = cc.country AND l.lead_type = 'volunteer') AS volunteers,
           (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
              AND l.country = cc.country AND l.lead_type = 'influencer') AS influencers,
           (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
              AND l.country = cc.country AND l.lead_type = 'intermediary') AS intermediaries,
           (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
              AND l.country = cc.country AND l.lead_type = 'sponsor') AS sponsors,
           (SELECT count(DISTINCT p.account_id)
              FROM campaign_posts c
              JOIN posts p ON p.post_id = c.post_id
              JOIN accounts a ON a.account_id = p.account_id
              LEFT JOIN account_campaign ac
                ON ac.campaign = c.campaign AND ac.account_id = p.account_id
              WHERE c.campaign = cc.campaign AND upper(a.country) = cc.country
                AND ac.stance IS DISTINCT FROM 'opposes') AS supporters_found
    FROM campaign_countries cc
    """,
    """
    CREATE OR REPLACE VIEW v_campaign_posts AS
    SELECT c.campaign, p.*
    FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id
    """,
)


def create_views(store: Store) -> None:
    """Create or replace the analyst views (see the module docstring)."""
    for sql in VIEWS_SQL:
        store.con.execute(sql)


def _write_campaign_countries(store: Store, campaign: Campaign) -> None:
    section = campaign.campaign
    targets = set(section.countries) or set(EU_COUNTRIES)
    store.con.execute("DELETE FROM campaign_countries WHERE campaign = ?", [campaign.name])
    codes = list(EU_COUNTRIES)
    store.con.execute(
        "INSERT INTO campaign_countries "
        "SELECT ?, unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::BIGINT[]),"
        " unnest(?::BIGINT[]), unnest(?::BOOLEAN[])",
        [
            campaign.name,
            codes,
            [MEP_SEATS[cc] for cc in codes],
            [threshold(cc) for cc in codes],
            [section.signatures.get(cc) for cc in codes],
            [cc in targets for cc in codes],
        ],
    )


def ranking_parameters(campaign: Campaign, now: datetime) -> list[object]:
    """The values :data:`RANKING_SQL` takes, in order."""
    params: list[object] = [
        campaign.name,
        now,
        HALF_LIFE_DAYS,
        bool(campaign.campaign.signatures),
        campaign.privacy.exclude_bots_from_volunteers,
        INFLUENCER_MIN_FOLLOWERS,
        INFLUENCER_TOP_SHARE,
    ]
    assert len(WEIGHTS) == 4, "RANKING_SQL has one weights row per lead type"
    for lead_type, w in WEIGHTS.items():
        params.append(lead_type)
        params.extend(float(w.get(c, 0.0)) for c in COMPONENTS)
    return params


def rank(store: Store, campaign: Campaign, now: datetime | None = None) -> pd.DataFrame:
    """Rank the campaign's leads, replace its rows in ``leads`` and return them
    (ordered by lead type, then rank)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    with store.transaction() as con:
        _write_campaign_countries(store, campaign)
        con.execute("DELETE FROM leads WHERE campaign = ?", [campaign.name])
        con.execute(
            INSERT_LEADS_SQL,
            ranking_parameters(campaign, now),
        )
        create_views(store)
    return store.con.execute(
        "SELECT * FROM leads WHERE campaign = ? ORDER BY "
        "CASE lead_type WHEN 'influencer' THEN 1 WHEN 'sponsor' THEN 2 "
        "WHEN 'intermediary' THEN 3 ELSE 4 END, rank",
        [campaign.name],
    ).df()
