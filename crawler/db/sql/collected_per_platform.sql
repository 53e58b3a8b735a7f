-- Accounts and posts stored per platform.
SELECT a.platform, count(DISTINCT a.account_id) AS accounts, count(DISTINCT p.post_id) AS posts
FROM accounts a LEFT JOIN posts p ON p.account_id = a.account_id
GROUP BY a.platform ORDER BY a.platform
