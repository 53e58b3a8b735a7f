-- The campaign's marked leads: the lead_status row with the account's profile and, when
-- it is a ranked lead now, its lead type and rank; $closed lists the closed statuses.
SELECT s.campaign, s.account_id, s.status, s.owner, s.note, s.updated_at,
       a.handle, a.display_name, a.platform, a.url,
       l.lead_type, l."rank",
       coalesce(list_contains($closed::VARCHAR[], s.status), false) AS closed
FROM lead_status s
LEFT JOIN accounts a ON a.account_id = s.account_id
LEFT JOIN leads l ON l.campaign = s.campaign AND l.account_id = s.account_id
WHERE s.campaign = $campaign
ORDER BY s.updated_at DESC, s.account_id
