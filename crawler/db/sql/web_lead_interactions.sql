-- Mentions, replies, reposts and quotes between one account and the campaign's other
-- leads, in both directions, newest first. $campaign, $account_id, $limit.
WITH others AS (
    SELECT account_id, any_value(handle) AS handle, any_value(display_name) AS display_name
    FROM leads WHERE campaign = $campaign AND account_id <> $account_id
    GROUP BY account_id
)
SELECT i.kind,
       CASE WHEN i.src_account_id = $account_id THEN 'out' ELSE 'in' END AS direction,
       o.account_id, o.handle, o.display_name,
       timezone('UTC', i.created_at) AS created_at, p.url AS post_url
FROM interactions i
JOIN others o ON o.account_id = CASE WHEN i.src_account_id = $account_id
                                     THEN i.dst_account_id ELSE i.src_account_id END
LEFT JOIN posts p ON p.post_id = i.post_id
WHERE i.src_account_id = $account_id OR i.dst_account_id = $account_id
ORDER BY i.created_at DESC NULLS LAST, o.account_id, i.kind
LIMIT $limit
