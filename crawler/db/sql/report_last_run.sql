-- The campaign's newest run (times as UTC wall time) and how many runs there were.
SELECT run_id, timezone('UTC', started_at) AS started_at,
       timezone('UTC', finished_at) AS finished_at,
       status, posts_new, accounts_new, errors,
       count(*) OVER () AS runs_total
FROM runs WHERE campaign = $campaign
ORDER BY started_at DESC NULLS LAST, run_id DESC
LIMIT 1
