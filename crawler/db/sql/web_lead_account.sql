-- One account as the workspace's lead page shows it: the profile, its stance toward the
-- campaign and its outreach state. $campaign, $account_id.
SELECT a.account_id, a.platform, a.handle, a.display_name, a.bio, a.url,
       a.followers_count, a.following_count, a.posts_count, a.is_bot,
       timezone('UTC', a.created_at) AS created_at,
       timezone('UTC', a.first_seen_at) AS first_seen_at,
       timezone('UTC', a.last_seen_at) AS last_seen_at,
       a.role, a.org_type, a."language", upper(a.country) AS country, a.scope,
       a.fields, a.role_confidence, a.country_confidence, a.class_reasons,
       ac.stance, ac.stance_score, ac.campaign_posts, ac.stance_post_url,
       ac.stance_evidence, coalesce(s.status, 'new') AS status, s.owner, s.note,
       timezone('UTC', s.updated_at) AS status_updated_at,
       g.community, c.label AS community_label
FROM accounts a
LEFT JOIN account_campaign ac ON ac.campaign = $campaign AND ac.account_id = a.account_id
LEFT JOIN lead_status s ON s.campaign = $campaign AND s.account_id = a.account_id
LEFT JOIN account_graph g ON g.campaign = $campaign AND g.account_id = a.account_id
LEFT JOIN communities c ON c.campaign = g.campaign AND c.community = g.community
WHERE a.account_id = $account_id
