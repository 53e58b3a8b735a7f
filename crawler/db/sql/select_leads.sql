-- The campaign's ranked leads for lists and exports: $lead_type, $country and $scope
-- filter (NULL = all), $limit keeps the best of each type (NULL = all); ordered by the lead
-- types in $types, then rank.
SELECT "rank", lead_type, score, handle, display_name, platform, url, country,
       "language", reasons, reach, centrality, role_fit, stance, activity,
       country_need, campaign_posts, scope, account_id
FROM leads
WHERE campaign = $campaign
  AND ($lead_type IS NULL OR lead_type = $lead_type)
  AND ($country IS NULL OR upper(country) = $country)
  AND ($scope IS NULL OR scope = $scope)
QUALIFY $limit IS NULL
     OR row_number() OVER (PARTITION BY lead_type ORDER BY "rank", account_id) <= $limit
ORDER BY coalesce(list_position($types, lead_type), 99), lead_type, "rank", account_id
