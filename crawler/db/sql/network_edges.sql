-- The edges of a campaign's network export, after `WITH members AS (network_members.sql)`:
-- follow edges still present (n = 1) and interactions in any stored post counted per
-- kind (mention, reply, repost, quote: the posts carrying it), both ends members, no
-- self-loops. Parameter: $campaign (through members).
SELECT src, dst, kind, n FROM (
    SELECT f.src_account_id AS src, f.dst_account_id AS dst, 'follow' AS kind, 1 AS n
    FROM follows f
    WHERE f.gone_at IS NULL
      AND f.src_account_id IN (SELECT account_id FROM members)
      AND f.dst_account_id IN (SELECT account_id FROM members)
    UNION ALL
    SELECT i.src_account_id, i.dst_account_id, i.kind, count(DISTINCT i.post_id)
    FROM interactions i
    WHERE i.dst_account_id IS NOT NULL
      AND i.src_account_id IN (SELECT account_id FROM members)
      AND i.dst_account_id IN (SELECT account_id FROM members)
    GROUP BY ALL
)
WHERE src <> dst
ORDER BY src, dst, kind
