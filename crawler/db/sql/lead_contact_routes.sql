-- Contact routes the website pass found (table contacts) for the accounts behind the
-- campaign's leads, merged identities included; verified ones first.
WITH l AS (
    SELECT account_id AS lead_account_id, coalesce(identity_id, account_id) AS identity_id
    FROM leads WHERE campaign = $campaign
), m AS (
    SELECT l.lead_account_id, l.lead_account_id AS account_id FROM l
    UNION
    SELECT l.lead_account_id, i.account_id
    FROM l JOIN identities i ON i.identity_id = l.identity_id
)
SELECT m.lead_account_id, c.kind, c.value, coalesce(c.verified, false) AS verified
FROM m JOIN contacts c ON c.account_id = m.account_id
ORDER BY m.lead_account_id, c.kind, coalesce(c.verified, false) DESC, c.seen_at DESC, c.value
