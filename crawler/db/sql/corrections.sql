-- Corrected accounts as training data: the profile text and its labels, each an
-- organizer's correction where there is one (else the classifier's value); fields the
-- training converter reads (platform, handle, display_name, bio, role, org_type,
-- country, scope, lang), newest correction first.
WITH o AS (
    SELECT account_id,
           max(value) FILTER (WHERE field = 'role') AS role,
           max(value) FILTER (WHERE field = 'org_type') AS org_type,
           max(value) FILTER (WHERE field = 'country') AS country,
           max(value) FILTER (WHERE field = 'scope') AS scope,
           bool_or(field = 'role') AS has_role,
           bool_or(field = 'org_type') AS has_org_type,
           bool_or(field = 'country') AS has_country,
           bool_or(field = 'scope') AS has_scope,
           max(updated_at) AS updated_at,
           list(field ORDER BY field) AS corrected
    FROM overrides GROUP BY account_id
)
SELECT a.account_id, a.platform, a.handle, a.display_name, a.bio,
       CASE WHEN o.has_role THEN o.role ELSE a.role END AS role,
       CASE WHEN o.has_org_type THEN o.org_type ELSE a.org_type END AS org_type,
       CASE WHEN o.has_country THEN o.country ELSE a.country END AS country,
       CASE WHEN o.has_scope THEN o.scope ELSE a.scope END AS scope,
       a.language AS lang, o.corrected
FROM o JOIN accounts a USING (account_id)
ORDER BY o.updated_at DESC, a.account_id
