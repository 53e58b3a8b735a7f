-- The accounts of a campaign's network export (crawler/app/graph_export.py): posters of
-- its posts, its leads, its seed accounts, who follows them and whom they follow (edges
-- not gone), starter-pack members, and the accounts the graph step measured. Only stored
-- accounts: an erased account is gone from `accounts`, so from the export too.
-- Parameter: $campaign. The `members` CTE of network_nodes.sql and network_edges.sql.
SELECT DISTINCT a.account_id
FROM accounts a
JOIN (
    SELECT p.account_id FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id
    WHERE c.campaign = $campaign
    UNION ALL
    SELECT account_id FROM leads WHERE campaign = $campaign
    UNION ALL
    SELECT account_id FROM campaign_seeds WHERE campaign = $campaign
    UNION ALL
    SELECT f.src_account_id FROM follows f
    JOIN campaign_seeds s ON s.account_id = f.dst_account_id AND s.campaign = $campaign
    WHERE f.gone_at IS NULL
    UNION ALL
    SELECT f.dst_account_id FROM follows f
    JOIN campaign_seeds s ON s.account_id = f.src_account_id AND s.campaign = $campaign
    WHERE f.gone_at IS NULL
    UNION ALL
    SELECT m.account_id FROM list_members m
    JOIN campaign_seeds s ON s.list_id = m.list_id AND s.campaign = $campaign
    WHERE m.gone_at IS NULL
    UNION ALL
    SELECT account_id FROM account_graph WHERE campaign = $campaign
) n ON n.account_id = a.account_id
