-- The campaign's ranked leads for lists and exports: $lead_type, $country and $scope
-- filter (NULL = all), $statuses keeps leads whose outreach status is listed (NULL = all;
-- an unmarked lead is "new"), $limit keeps the best of each type (NULL = all); ordered by
-- the lead types in $types, then open before closed ($closed statuses), then rank.
SELECT l."rank", l.lead_type, l.score, l.handle, l.display_name, l.platform, l.url,
       l.country, l."language", coalesce(s.status, 'new') AS status, s.owner, l.reasons,
       l.reach, l.centrality, l.role_fit, l.stance, l.activity, l.country_need,
       l.campaign_posts, l.scope, l.account_id
FROM leads l
LEFT JOIN lead_status s ON s.campaign = l.campaign AND s.account_id = l.account_id
WHERE l.campaign = $campaign
  AND ($lead_type IS NULL OR l.lead_type = $lead_type)
  AND ($country IS NULL OR upper(l.country) = $country)
  AND ($scope IS NULL OR l.scope = $scope)
  AND ($statuses IS NULL OR list_contains($statuses::VARCHAR[], coalesce(s.status, 'new')))
QUALIFY $limit IS NULL
     OR row_number() OVER (
            PARTITION BY l.lead_type
            ORDER BY list_contains($closed::VARCHAR[], coalesce(s.status, 'new')),
                     l."rank", l.account_id
        ) <= $limit
ORDER BY coalesce(list_position($types, l.lead_type), 99), l.lead_type,
         list_contains($closed::VARCHAR[], coalesce(s.status, 'new')), l."rank", l.account_id
