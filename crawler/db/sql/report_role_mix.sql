-- Roles of the classified accounts around the campaign: authors of its posts (as in
-- report_posts_per_day.sql), its leads and its stance rows.
WITH around AS (
    SELECT account_id FROM (SELECT p.* FROM posts p
      WHERE p.post_id IN (SELECT post_id FROM campaign_posts WHERE campaign = $campaign)
         OR list_has_any(coalesce(p.hashtags, []::VARCHAR[]), $tags)) cp
    UNION SELECT account_id FROM leads WHERE campaign = $campaign
    UNION SELECT account_id FROM account_campaign WHERE campaign = $campaign
)
SELECT CASE WHEN a.role = 'organization'
            THEN 'organization: ' || coalesce(a.org_type, 'other')
            ELSE a.role END AS role,
       count(*) AS accounts,
       count(*) FILTER (WHERE a.is_bot) AS bots
FROM accounts a JOIN around USING (account_id)
WHERE a.role IS NOT NULL
GROUP BY ALL ORDER BY accounts DESC, role
