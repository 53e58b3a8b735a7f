-- The accounts behind each of the campaign's leads ($campaign): the lead's own account
-- and, for a merged identity, its other accounts. The opening of the lead_contact_*
-- and lead_evidence_posts read models (crawler/db/contact_routes.py joins the texts).
WITH l AS (
    SELECT account_id AS lead_account_id, coalesce(identity_id, account_id) AS identity_id
    FROM leads WHERE campaign = $campaign
), m AS (
    SELECT l.lead_account_id, l.lead_account_id AS account_id FROM l
    UNION
    SELECT l.lead_account_id, i.account_id
    FROM l JOIN identities i ON i.identity_id = l.identity_id
)
