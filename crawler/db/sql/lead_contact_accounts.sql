-- Every account behind the campaign's leads (the lead's own account and, for a merged
-- identity, its other accounts): what its profile says about reaching it.
WITH l AS (
    SELECT account_id AS lead_account_id, coalesce(identity_id, account_id) AS identity_id
    FROM leads WHERE campaign = $campaign
), m AS (
    SELECT l.lead_account_id, l.lead_account_id AS account_id FROM l
    UNION
    SELECT l.lead_account_id, i.account_id
    FROM l JOIN identities i ON i.identity_id = l.identity_id
)
SELECT m.lead_account_id, a.account_id, a.platform, a.handle, a.role, a.fields,
       a.locked, a.chat_allow_incoming
FROM m JOIN accounts a ON a.account_id = m.account_id
ORDER BY m.lead_account_id, a.account_id = m.lead_account_id DESC, a.account_id
