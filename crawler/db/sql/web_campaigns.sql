-- Every campaign the database knows (ranked leads or runs), with its number of leads.
SELECT c.campaign, count(l.account_id) AS leads
FROM (SELECT campaign FROM leads UNION SELECT campaign FROM runs) c
LEFT JOIN leads l ON l.campaign = c.campaign
GROUP BY c.campaign
ORDER BY c.campaign
