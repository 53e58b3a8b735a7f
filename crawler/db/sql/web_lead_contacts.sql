-- Contact routes of one account found on its profile and linked website (website,
-- email, contact_form, other profiles), verified ones first. $account_id.
SELECT kind, value, source_url, verified, timezone('UTC', seen_at) AS seen_at
FROM contacts
WHERE account_id = $account_id
ORDER BY verified DESC NULLS LAST, kind, value
