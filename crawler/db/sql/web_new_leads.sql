-- Leads whose account was first seen during or after the campaign's newest run: what is
-- new since the last crawl; the best $limit of each lead type, with `per_type` the
-- number of new leads of that type.
WITH last AS (SELECT max(started_at) AS started_at FROM runs WHERE campaign = $campaign)
SELECT l.lead_type, l.account_id, l.handle, l.display_name, upper(l.country) AS country,
       l."rank", l.score, count(*) OVER (PARTITION BY l.lead_type) AS per_type
FROM leads l
JOIN accounts a ON a.account_id = l.account_id
CROSS JOIN last
WHERE l.campaign = $campaign AND a.first_seen_at >= last.started_at
QUALIFY row_number() OVER (PARTITION BY l.lead_type ORDER BY l."rank", l.account_id) <= $limit
ORDER BY list_position($types, l.lead_type), l."rank", l.account_id
