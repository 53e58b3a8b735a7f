-- Every account behind the campaign's leads (the lead's own account and, for a merged
-- identity, its other accounts): what its profile says about reaching it.
-- (follows sql/lead_members.sql, which names each lead's accounts: l, m)
SELECT m.lead_account_id, a.account_id, a.platform, a.handle, a.role, a.fields,
       a.locked, a.chat_allow_incoming
FROM m JOIN accounts a ON a.account_id = m.account_id
ORDER BY m.lead_account_id, a.account_id = m.lead_account_id DESC, a.account_id
