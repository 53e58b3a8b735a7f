-- Stored accounts an erasure request names: by account id, handle (lower case) or
-- profile URL.
SELECT account_id, handle
FROM accounts
WHERE account_id = ANY($ids::VARCHAR[])
   OR lower(handle) = ANY($handles::VARCHAR[])
   OR url = ANY($urls::VARCHAR[])
