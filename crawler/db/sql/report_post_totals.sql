-- Campaign posts (as in report_posts_per_day.sql): count, authors, first and last (UTC).
SELECT count(*) AS posts, count(DISTINCT account_id) AS authors,
       timezone('UTC', min(created_at)) AS first, timezone('UTC', max(created_at)) AS last
FROM (SELECT p.* FROM posts p
      WHERE p.post_id IN (SELECT post_id FROM campaign_posts WHERE campaign = $campaign)
         OR list_has_any(coalesce(p.hashtags, []::VARCHAR[]), $tags)) cp
