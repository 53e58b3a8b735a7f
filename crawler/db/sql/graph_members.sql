-- The accounts a campaign's graph is built around (crawler/app/graph.py): its seed
-- accounts, the members of its starter packs and the authors of its posts, each once.
-- $campaign. Read by graph_edges.sql and graph_nodes.sql through the temp table.
CREATE OR REPLACE TEMP TABLE _graph_members AS
SELECT account_id, bool_or(is_seed) AS is_seed
FROM (
    SELECT account_id, TRUE AS is_seed FROM campaign_seeds
    WHERE campaign = $campaign AND kind IN ('followers', 'following')
      AND account_id IS NOT NULL
    UNION ALL
    SELECT m.account_id, FALSE FROM list_members m
    JOIN campaign_seeds cs ON cs.list_id = m.list_id
    WHERE cs.campaign = $campaign AND cs.kind = 'starter_pack' AND m.gone_at IS NULL
    UNION ALL
    SELECT p.account_id, FALSE FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id
    WHERE c.campaign = $campaign
)
WHERE account_id IN (SELECT account_id FROM accounts)
GROUP BY account_id
