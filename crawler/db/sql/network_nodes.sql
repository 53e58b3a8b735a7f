-- The nodes of a campaign's network export, after `WITH members AS (network_members.sql)`:
-- profile and classification (corrections are already applied to `accounts`), the
-- campaign's lead (its best-scored row), the graph step's measures (NULL until it ran)
-- and whether the account is a seed. Parameter: $campaign.
, lead AS (
    SELECT account_id, arg_max(lead_type, score) AS lead_type, max(score) AS score,
           arg_max("rank", score) AS "rank"
    FROM leads WHERE campaign = $campaign GROUP BY account_id
),
seeds AS (
    SELECT DISTINCT account_id FROM campaign_seeds
    WHERE campaign = $campaign AND account_id IS NOT NULL
)
SELECT a.account_id, a.platform, a.handle, a.display_name, a.url, a.role, a.org_type,
       upper(a.country) AS country, a."language", a.scope, coalesce(a.is_bot, FALSE) AS bot,
       l.lead_type, l.score, l."rank", g.community, g.pagerank,
       s.account_id IS NOT NULL AS seed
FROM members m
JOIN accounts a ON a.account_id = m.account_id
LEFT JOIN lead l ON l.account_id = a.account_id
LEFT JOIN account_graph g ON g.campaign = $campaign AND g.account_id = a.account_id
LEFT JOIN seeds s ON s.account_id = a.account_id
ORDER BY a.account_id
