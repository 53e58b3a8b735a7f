-- Accounts that support the campaign, per country as stored.
SELECT upper(a.country) AS country, count(DISTINCT a.account_id) AS supporters
FROM account_campaign ac JOIN accounts a USING (account_id)
WHERE ac.campaign = $campaign AND ac.stance = 'supports' AND a.country IS NOT NULL
GROUP BY ALL
