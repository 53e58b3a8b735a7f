-- Contact routes the website pass found (table contacts) for the accounts behind the
-- campaign's leads, merged identities included; verified ones first.
-- (follows sql/lead_members.sql, which names each lead's accounts: l, m)
SELECT m.lead_account_id, c.kind, c.value, coalesce(c.verified, false) AS verified
FROM m JOIN contacts c ON c.account_id = m.account_id
ORDER BY m.lead_account_id, c.kind, coalesce(c.verified, false) DESC, c.seen_at DESC, c.value
