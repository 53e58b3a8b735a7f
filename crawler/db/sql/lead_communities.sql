-- Per account of the campaign's graph: its community, the community's label and the
-- seed accounts it follows by handle (crawler/db/graph.py). $campaign.
SELECT g.account_id, g.community, c.label AS community_label, c.size AS community_size,
       g.pagerank, g.seeds_followed,
       (SELECT list(coalesce(a.handle, s) ORDER BY coalesce(a.handle, s))
        FROM unnest(g.seeds_followed) AS u(s) LEFT JOIN accounts a ON a.account_id = u.s)
         AS seeds_followed_handles
FROM account_graph g
LEFT JOIN communities c ON c.campaign = g.campaign AND c.community = g.community
WHERE g.campaign = $campaign
