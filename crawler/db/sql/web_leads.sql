-- The workspace's lead list (crawler/web): the campaign's leads of $lead_type (NULL =
-- every type) with account facts, outreach state and community; filters are NULL for
-- "all": $country ('??' = unknown), $language, $status ('open' = not in $closed; a lead
-- without a lead_status row is 'new'), $owner ('-' = nobody), $role, $community,
-- $min_followers; sorted by $sort ($desc) with rank and account_id as tie-breakers;
-- paged by $limit (NULL = every row, for exports) and $offset. `total` counts the rows
-- before paging.
WITH base AS (
    SELECT l."rank", l.lead_type, l.score, l.handle, l.display_name, l.platform, l.url,
           l.country, l."language", l.reasons, l.reach, l.centrality, l.role_fit,
           l.stance, l.activity, l.country_need, l.campaign_posts, l.scope,
           l.account_id, a.role, a.org_type, a.followers_count,
           coalesce(s.status, 'new') AS status, s.owner, s.note,
           s.updated_at AS status_updated_at,
           g.community, c.label AS community_label
    FROM leads l
    LEFT JOIN accounts a ON a.account_id = l.account_id
    LEFT JOIN lead_status s ON s.campaign = l.campaign AND s.account_id = l.account_id
    LEFT JOIN account_graph g ON g.campaign = l.campaign AND g.account_id = l.account_id
    LEFT JOIN communities c ON c.campaign = l.campaign AND c.community = g.community
    WHERE l.campaign = $campaign
      AND ($lead_type IS NULL OR l.lead_type = $lead_type)
)
SELECT *, count(*) OVER () AS total
FROM base
WHERE ($country IS NULL
       OR (CASE WHEN $country = '??' THEN country IS NULL ELSE upper(country) = $country END))
  AND ($language IS NULL OR "language" = $language)
  AND ($status IS NULL
       OR (CASE WHEN $status = 'open' THEN NOT list_contains($closed, status)
                ELSE status = $status END))
  AND ($owner IS NULL
       OR (CASE WHEN $owner = '-' THEN owner IS NULL ELSE owner = $owner END))
  AND ($role IS NULL OR role = $role)
  AND ($community IS NULL OR community = $community)
  AND ($min_followers IS NULL OR followers_count >= $min_followers)
ORDER BY
    CASE WHEN NOT $desc THEN CASE $sort WHEN 'rank' THEN "rank"::DOUBLE
        WHEN 'score' THEN score WHEN 'followers' THEN followers_count::DOUBLE END END
        ASC NULLS LAST,
    CASE WHEN $desc THEN CASE $sort WHEN 'rank' THEN "rank"::DOUBLE
        WHEN 'score' THEN score WHEN 'followers' THEN followers_count::DOUBLE END END
        DESC NULLS LAST,
    CASE WHEN NOT $desc THEN CASE $sort WHEN 'handle' THEN lower(handle)
        WHEN 'name' THEN lower(display_name) WHEN 'country' THEN country
        WHEN 'owner' THEN lower(owner) END END ASC NULLS LAST,
    CASE WHEN $desc THEN CASE $sort WHEN 'handle' THEN lower(handle)
        WHEN 'name' THEN lower(display_name) WHEN 'country' THEN country
        WHEN 'owner' THEN lower(owner) END END DESC NULLS LAST,
    CASE WHEN $sort = 'status' AND NOT $desc THEN list_position($statuses, status) END
        ASC NULLS LAST,
    CASE WHEN $sort = 'status' AND $desc THEN list_position($statuses, status) END
        DESC NULLS LAST,
    CASE WHEN $sort = 'updated' AND NOT $desc THEN status_updated_at END ASC NULLS LAST,
    CASE WHEN $sort = 'updated' AND $desc THEN status_updated_at END DESC NULLS LAST,
    "rank", lead_type, account_id
LIMIT $limit OFFSET $offset
