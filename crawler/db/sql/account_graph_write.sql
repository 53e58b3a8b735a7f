-- Replace-insert of the campaign's graph measures (crawler/db/graph.py) from the Arrow
-- batch _graph_batch(account_id, pagerank, community, in_degree, out_degree), with the
-- campaign's seed accounts each account follows now (ids, sorted). $campaign.
INSERT INTO account_graph
    (campaign, account_id, pagerank, community, in_degree, out_degree, seeds_followed)
WITH seeds AS (
    SELECT DISTINCT account_id FROM campaign_seeds
    WHERE campaign = $campaign AND kind IN ('followers', 'following')
      AND account_id IS NOT NULL
),
followed AS (
    SELECT f.src_account_id AS account_id, list(DISTINCT f.dst_account_id) AS seeds
    FROM follows f JOIN seeds s ON s.account_id = f.dst_account_id
    WHERE f.gone_at IS NULL
    GROUP BY f.src_account_id
)
SELECT $campaign, b.account_id, b.pagerank, b.community, b.in_degree, b.out_degree,
       list_sort(coalesce(fo.seeds, []::VARCHAR[]))
FROM _graph_batch b LEFT JOIN followed fo ON fo.account_id = b.account_id
