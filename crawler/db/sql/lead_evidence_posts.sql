-- The campaign posts that made each lead (at most $per_lead per lead, with a URL): the
-- most engaged first, then the newest; a merged identity's accounts count together.
-- (follows sql/lead_members.sql, which names each lead's accounts: l, m)
SELECT m.lead_account_id, p.url
FROM m
JOIN posts p ON p.account_id = m.account_id
JOIN campaign_posts cp ON cp.campaign = $campaign AND cp.post_id = p.post_id
WHERE p.url IS NOT NULL AND p.url <> ''
QUALIFY row_number() OVER (
    PARTITION BY m.lead_account_id
    ORDER BY coalesce(p.like_count, 0) + coalesce(p.repost_count, 0)
             + coalesce(p.reply_count, 0) DESC,
             p.created_at DESC, p.post_id
) <= $per_lead
ORDER BY m.lead_account_id, coalesce(p.like_count, 0) + coalesce(p.repost_count, 0)
         + coalesce(p.reply_count, 0) DESC, p.created_at DESC, p.post_id
