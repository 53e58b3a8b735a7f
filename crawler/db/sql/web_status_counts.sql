-- How many of the campaign's leads (accounts) are in each outreach status; a lead
-- without a lead_status row is 'new'.
SELECT coalesce(s.status, 'new') AS status, count(DISTINCT l.account_id) AS leads
FROM leads l
LEFT JOIN lead_status s ON s.campaign = l.campaign AND s.account_id = l.account_id
WHERE l.campaign = $campaign
GROUP BY ALL
