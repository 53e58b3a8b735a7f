-- The campaign posts of one account (what made it a lead), newest first. $campaign,
-- $account_id, $limit.
SELECT p.post_id, p.url, timezone('UTC', p.created_at) AS created_at, p.text, p.lang,
       p.hashtags, p.like_count, p.repost_count, p.reply_count
FROM campaign_posts c
JOIN posts p ON p.post_id = c.post_id
WHERE c.campaign = $campaign AND p.account_id = $account_id
ORDER BY p.created_at DESC NULLS LAST, p.post_id
LIMIT $limit
