-- The values the workspace's list filters offer for the campaign's leads of $lead_type
-- (NULL = every type): countries, languages, owners, roles and communities present.
SELECT list(DISTINCT upper(l.country) ORDER BY upper(l.country))
           FILTER (WHERE l.country IS NOT NULL) AS countries,
       list(DISTINCT l."language" ORDER BY l."language")
           FILTER (WHERE l."language" IS NOT NULL) AS languages,
       list(DISTINCT s.owner ORDER BY s.owner) FILTER (WHERE s.owner IS NOT NULL) AS owners,
       list(DISTINCT a.role ORDER BY a.role) FILTER (WHERE a.role IS NOT NULL) AS roles,
       list(DISTINCT g.community ORDER BY g.community)
           FILTER (WHERE g.community IS NOT NULL) AS communities
FROM leads l
LEFT JOIN accounts a ON a.account_id = l.account_id
LEFT JOIN lead_status s ON s.campaign = l.campaign AND s.account_id = l.account_id
LEFT JOIN account_graph g ON g.campaign = l.campaign AND g.account_id = l.account_id
WHERE l.campaign = $campaign AND ($lead_type IS NULL OR l.lead_type = $lead_type)
