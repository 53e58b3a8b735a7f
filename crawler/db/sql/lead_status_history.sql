-- Every change of one lead's outreach state, newest first (rowid breaks ties between
-- changes stamped in the same microsecond).
SELECT campaign, account_id, status, owner, note, changed_at, changed_by
FROM lead_status_history
WHERE campaign = $campaign AND account_id = $account_id
ORDER BY changed_at DESC, rowid DESC
