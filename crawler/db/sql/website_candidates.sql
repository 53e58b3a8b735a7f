-- Accounts whose websites the website pass reads for a campaign: those that posted about
-- it or were ranked for it, with a role in $roles, not bots; with what names a site
-- (fields, bio, handle) and the sites read since $since (not read again this run).
SELECT
    a.account_id,
    a.platform,
    a.handle,
    a.bio,
    CAST(a.fields AS VARCHAR) AS fields,
    a.url,
    a.instance,
    coalesce(o.value, a.role) AS role,
    coalesce(
        (SELECT list(w.url) FROM websites w
         WHERE w.account_id = a.account_id AND w.fetched_at >= $since),
        []
    ) AS fresh
FROM accounts a
LEFT JOIN overrides o ON o.account_id = a.account_id AND o.field = 'role'
WHERE NOT coalesce(a.is_bot, FALSE)
  AND coalesce(o.value, a.role) = ANY($roles::VARCHAR[])
  AND (
      a.account_id IN (SELECT account_id FROM account_campaign WHERE campaign = $campaign)
      OR a.account_id IN (SELECT account_id FROM leads WHERE campaign = $campaign)
  )
ORDER BY a.account_id
