-- Every account behind the campaign's leads (the lead's own account and, for a merged
-- identity, its other accounts): what its profile says about reaching it, and the
-- lead's type (a volunteer is a private person, whatever its role).
-- (follows sql/lead_members.sql, which names each lead's accounts: l, m)
SELECT m.lead_account_id, a.account_id, a.platform, a.handle, a.role, a.fields,
       a.locked, a.chat_allow_incoming, ld.lead_type
FROM m JOIN accounts a ON a.account_id = m.account_id
     JOIN leads ld ON ld.campaign = $campaign AND ld.account_id = m.lead_account_id
ORDER BY m.lead_account_id, a.account_id = m.lead_account_id DESC, a.account_id
