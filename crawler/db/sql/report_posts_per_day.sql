-- Campaign posts per UTC day and platform. The campaign's posts: recorded in
-- campaign_posts, or carrying one of its hashtags ($tags), so a database whose
-- campaign_posts table is not filled yet still reports.
SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, platform, count(*) AS posts
FROM (SELECT p.* FROM posts p
      WHERE p.post_id IN (SELECT post_id FROM campaign_posts WHERE campaign = $campaign)
         OR list_has_any(coalesce(p.hashtags, []::VARCHAR[]), $tags)) cp
WHERE created_at IS NOT NULL
GROUP BY ALL ORDER BY day, platform
