-- The explainable lead ranking (documented in crawler/app/ranking.py): every number of
-- a lead computed from stored rows. Positional parameters, in the order of
-- crawler.app.ranking.ranking_parameters(): campaign, now, half-life in days, whether
-- signature counts were given, whether bots are never volunteers, the influencer
-- follower minimum and top share, the public figures' follower minimum, how many seeds
-- followed count fully, then one weights row per lead type.
WITH
-- what Python supplies: campaign, clock, thresholds
params AS (
    SELECT ?::VARCHAR AS campaign, ?::TIMESTAMPTZ AS now, ?::DOUBLE AS half_life_days,
           ?::BOOLEAN AS has_signatures, ?::BOOLEAN AS bots_never_volunteers,
           ?::BIGINT AS influencer_min_followers, ?::DOUBLE AS influencer_top_share,
           ?::BIGINT AS public_figure_min_followers, ?::DOUBLE AS seeds_full
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
    ('volunteer', 'individual', 1.0), ('volunteer', 'public_figure', 1.0)
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
    SELECT ac.account_id, ac.stance, ac.stance_post_url, ac.stance_evidence
    FROM account_campaign ac, params WHERE ac.campaign = params.campaign
),
-- organizers' corrections win over the classifier (crawler/db/overrides.py)
corrected AS (
    SELECT account_id,
           bool_or(field = 'role') AS has_role, max(value) FILTER (field = 'role') AS role,
           bool_or(field = 'org_type') AS has_org_type,
           max(value) FILTER (field = 'org_type') AS org_type,
           bool_or(field = 'country') AS has_country,
           max(value) FILTER (field = 'country') AS country,
           bool_or(field = 'scope') AS has_scope, max(value) FILTER (field = 'scope') AS scope
    FROM overrides GROUP BY account_id
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
-- the campaign graph's measures (crawler/app/graph.py), where it was computed; pr_rel is
-- PageRank relative to the average account of the graph (1.0)
graph AS (
    SELECT g.account_id, g.pagerank * count(*) OVER () AS pr_rel, g.out_degree AS g_out,
           g.community, len(coalesce(g.seeds_followed, [])) AS n_seeds, g.seeds_followed
    FROM account_graph g, params WHERE g.campaign = params.campaign
),
-- the campaign's own and partner accounts: already on board, never leads for following
-- one another
campaign_seed_accounts AS (
    SELECT DISTINCT cs.account_id FROM campaign_seeds cs, params
    WHERE cs.campaign = params.campaign AND cs.kind IN ('followers', 'following')
      AND cs.account_id IS NOT NULL
),
seed_names AS (
    SELECT g.account_id,
           string_agg(coalesce(a.handle, s.seed_id), ', ' ORDER BY coalesce(a.handle, s.seed_id))
             AS seed_handles
    FROM graph g CROSS JOIN unnest(g.seeds_followed) AS s(seed_id)
    LEFT JOIN accounts a ON a.account_id = s.seed_id
    GROUP BY g.account_id
),
cand AS (
    SELECT a.account_id, a.platform, a.handle, a.display_name, a.url,
           CASE WHEN o.has_role THEN o.role ELSE a.role END AS role,
           CASE WHEN o.has_org_type THEN o.org_type ELSE a.org_type END AS org_type,
           upper(CASE WHEN o.has_country THEN o.country ELSE a.country END) AS country,
           a.language,
           CASE WHEN o.has_country THEN NULL ELSE a.country_confidence END
             AS country_confidence,
           coalesce(o.has_role OR o.has_org_type OR o.has_country OR o.has_scope, FALSE)
             AS corrected,
           coalesce(a.is_bot, FALSE) AS is_bot,
           coalesce(a.followers_count, 0) AS followers,
           a.followers_count IS NULL AS followers_unknown,
           coalesce(po.n_posts, 0) AS n_posts, po.last_post_at,
           coalesce(po.engagement, 0) AS engagement,
           coalesce(ind.in_degree, 0) AS in_degree,
           coalesce(od.out_degree, 0) AS out_degree,
           gr.account_id IS NOT NULL AS in_graph, gr.pr_rel, coalesce(gr.g_out, 0) AS g_out,
           coalesce(gr.n_seeds, 0) AS n_seeds, sn.seed_handles, gr.community,
           cm.label AS community_label, cm.size AS community_size,
           -- found only as a follower of the campaign's seeds (never posted for it, no
           -- supporter addressed it): private people are volunteer candidates only
           (po.account_id IS NULL AND ind.account_id IS NULL) AS seed_only,
           s.stance, s.stance_post_url, s.stance_evidence,
           CASE WHEN o.has_scope THEN o.scope ELSE a.scope END AS scope,
           -- share of candidates with fewer followers (1.0 = the most followed)
           -- (seed-only candidates apart, so they never move the others' share)
           percent_rank() OVER (PARTITION BY po.account_id IS NULL AND ind.account_id IS NULL
                                ORDER BY coalesce(a.followers_count, 0)) AS followers_pct
    FROM accounts a
    LEFT JOIN posters po ON po.account_id = a.account_id
    LEFT JOIN indeg ind ON ind.account_id = a.account_id
    LEFT JOIN outdeg od ON od.account_id = a.account_id
    LEFT JOIN stances s ON s.account_id = a.account_id
    LEFT JOIN corrected o ON o.account_id = a.account_id
    LEFT JOIN graph gr ON gr.account_id = a.account_id
    LEFT JOIN seed_names sn ON sn.account_id = a.account_id
    LEFT JOIN communities cm
      ON cm.campaign = (SELECT campaign FROM params) AND cm.community = gr.community
    WHERE (po.account_id IS NOT NULL OR ind.account_id IS NOT NULL
           OR (gr.n_seeds > 0
               AND a.account_id NOT IN (SELECT account_id FROM campaign_seed_accounts)))
      AND s.stance IS DISTINCT FROM 'opposes'
),
norms AS (
    SELECT max(ln(1 + followers)) AS max_lf, max(ln(1 + engagement)) AS max_le,
           max(ln(1 + in_degree)) AS max_li, max(ln(1 + out_degree)) AS max_lo,
           max(ln(1 + n_posts)) AS max_lp, max(ln(1 + pr_rel)) AS max_lpr,
           max(ln(1 + g_out)) AS max_lgo
    FROM cand
),
-- a public figure (an author, a researcher, an activist by their bio) is one of the
-- "well-known people" an influencer is from p.public_figure_min_followers on; below,
-- a private person like any other. A count never read (a Bluesky seed follower's
-- profile view has none) is no evidence of either: the role decides, as before.
known AS (
    SELECT c.*,
           c.role = 'public_figure'
             AND (c.followers_unknown
                  OR c.followers >= p.public_figure_min_followers) AS known_figure,
           (c.role = 'individual'
             OR (c.role = 'public_figure' AND NOT c.followers_unknown
                 AND c.followers < p.public_figure_min_followers))
             AND c.org_type IS NULL AS private_person
    FROM cand c, params p
),
typed AS (
    SELECT c.*,
           (c.role = 'individual' AND NOT c.seed_only
             AND c.followers >= p.influencer_min_followers
             AND c.followers_pct >= 1 - p.influencer_top_share) AS top_reach,
           CASE
             WHEN c.is_bot THEN
               CASE WHEN NOT p.bots_never_volunteers AND c.role = 'individual'
                         AND c.org_type IS NULL AND c.n_posts >= 1
                         AND coalesce(c.stance, 'neutral') IN ('supports', 'neutral')
                    THEN 'volunteer' END
             -- a private person found only as a seed follower: a volunteer or no lead
             -- (never an influencer by follower count: its followers are not compared
             -- with the posters'); organizations and public roles get their own type
             WHEN c.seed_only AND c.private_person THEN
               CASE WHEN coalesce(c.stance, 'neutral') IN ('supports', 'neutral')
                    THEN 'volunteer' END
             WHEN c.role IN ('politician', 'journalist') OR c.known_figure
               OR c.org_type IN ('media', 'public_body')
               OR (c.role = 'individual' AND NOT c.seed_only
                   AND c.followers >= p.influencer_min_followers
                   AND c.followers_pct >= 1 - p.influencer_top_share)
               THEN 'influencer'
             WHEN c.org_type IN ('foundation', 'company') THEN 'sponsor'
             WHEN c.org_type IN ('ngo', 'union', 'association', 'party', 'academic', 'other')
               OR (c.role = 'organization' AND c.org_type IS NULL) THEN 'intermediary'
             -- a volunteer is a private person: never a politician or a public body
             WHEN c.private_person
               AND (c.n_posts >= 1 OR c.n_seeds > 0)
               AND coalesce(c.stance, 'neutral') IN ('supports', 'neutral')
               THEN 'volunteer'
           END AS lead_type
    FROM known c, params p
),
comps AS (
    SELECT t.*,
           cc.threshold, cc.signatures, cc.is_target,
           0.7 * coalesce(ln(1 + t.followers) / nullif(n.max_lf, 0), 0)
             + 0.3 * coalesce(ln(1 + t.engagement) / nullif(n.max_le, 0), 0) AS reach,
           CASE WHEN t.in_graph AND t.lead_type = 'volunteer'
                THEN 0.4 * coalesce(ln(1 + t.pr_rel) / nullif(n.max_lpr, 0), 0)
                   + 0.3 * coalesce(ln(1 + t.g_out) / nullif(n.max_lgo, 0), 0)
                   + 0.3 * least(1.0, t.n_seeds / p.seeds_full)
                WHEN t.in_graph
                THEN coalesce(ln(1 + t.pr_rel) / nullif(n.max_lpr, 0), 0)
                -- no graph for this account: the campaign interaction in-degree
                WHEN t.lead_type = 'volunteer'
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
        CASE WHEN s.role = 'public_figure' AND s.lead_type = 'volunteer'
             THEN format('under {:,} followers: a volunteer, not yet an influencer',
                         p.public_figure_min_followers) END,
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
        CASE WHEN s.n_seeds = 1 THEN 'follows the campaign seed ' || s.seed_handles
             WHEN s.n_seeds > 1
             THEN format('follows {:,} campaign seeds: ', s.n_seeds) || s.seed_handles END,
        CASE WHEN s.community IS NOT NULL
             THEN format('community {}', s.community)
                  || coalesce(' "' || s.community_label || '"', '')
                  || format(' ({:,} members)', s.community_size) END,
        CASE WHEN s.in_graph
             THEN 'PageRank ' || printf('%.1f', s.pr_rel)
                  || ' x the average account of the campaign graph' END,
        format('{:,} follower', s.followers)
          || CASE WHEN s.followers = 1 THEN '' ELSE 's' END,
        CASE WHEN s.engagement > 0
             THEN format('engagement on campaign posts: {:,} (likes + reposts + replies)',
                         s.engagement)
             END,
        CASE s.stance WHEN 'supports' THEN 'supports the campaign'
                      WHEN 'neutral' THEN 'neutral toward the campaign'
                      ELSE 'stance not scored yet' END
          || CASE WHEN s.stance IN ('supports', 'neutral') AND s.stance_evidence IS NOT NULL
                  THEN ': "' || s.stance_evidence || '"'
                       || coalesce(' (' || nullif(s.stance_post_url, '') || ')', '')
                  ELSE '' END,
        CASE WHEN s.scope IS NOT NULL THEN 'level: ' || s.scope END,
        CASE WHEN s.corrected THEN 'classification corrected by an organizer' END,
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
    p.now AS ranked_at, s.stance_score, s.scope,
    -- every account is its own identity until accounts are merged
    s.account_id AS identity_id, [s.handle]::VARCHAR[] AS handles
FROM scored s, params p
