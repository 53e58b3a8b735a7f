-- The campaign's communities, largest first, with their central members' handles
-- (crawler/db/graph.py). $campaign.
SELECT c.community, c.size, c.languages, c.countries, c.top_hashtags, c.label,
       (SELECT list(coalesce(a.handle, m) ORDER BY u.pos)
        FROM unnest(c.central_members) WITH ORDINALITY AS u(m, pos)
        LEFT JOIN accounts a ON a.account_id = u.m) AS central_handles
FROM communities c
WHERE c.campaign = $campaign
ORDER BY c.size DESC, c.community
