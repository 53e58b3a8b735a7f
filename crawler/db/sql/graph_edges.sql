-- The campaign's weighted directed edges between stored accounts, by account id
-- (crawler/app/graph.py), after graph_members.sql:
--   follows: current edges (gone_at IS NULL) touching a seed account, or between two
--            campaign accounts; weight $follow_weight.
--   interactions: mentions, replies, reposts and quotes by authors of campaign posts,
--            made in a campaign post or addressed to another author of campaign posts;
--            weight $interaction_weight * log2(1 + distinct interactions).
-- A pair both followed and talked to gets the sum. $campaign, $follow_weight,
-- $interaction_weight.
CREATE OR REPLACE TEMP TABLE _graph_edges AS
WITH
seeds AS (SELECT account_id FROM _graph_members WHERE is_seed),
cposts AS (SELECT post_id FROM campaign_posts WHERE campaign = $campaign),
posters AS (
    SELECT DISTINCT p.account_id FROM posts p JOIN cposts c ON c.post_id = p.post_id
),
follow AS (
    SELECT f.src_account_id AS src, f.dst_account_id AS dst, $follow_weight::DOUBLE AS w
    FROM follows f
    WHERE f.gone_at IS NULL AND f.src_account_id <> f.dst_account_id
      AND (f.src_account_id IN (SELECT account_id FROM seeds)
           OR f.dst_account_id IN (SELECT account_id FROM seeds)
           OR (f.src_account_id IN (SELECT account_id FROM _graph_members)
               AND f.dst_account_id IN (SELECT account_id FROM _graph_members)))
),
talk AS (
    SELECT i.src_account_id AS src, i.dst_account_id AS dst,
           $interaction_weight::DOUBLE * log2(1 + count(DISTINCT (i.post_id, i.kind))) AS w
    FROM interactions i
    WHERE i.kind IN ('mention', 'reply', 'repost', 'quote')
      AND i.dst_account_id IS NOT NULL AND i.dst_account_id <> i.src_account_id
      AND i.src_account_id IN (SELECT account_id FROM posters)
      AND (i.post_id IN (SELECT post_id FROM cposts)
           OR i.dst_account_id IN (SELECT account_id FROM posters))
    GROUP BY i.src_account_id, i.dst_account_id
)
SELECT e.src, e.dst, sum(e.w) AS weight
FROM (SELECT * FROM follow UNION ALL SELECT * FROM talk) e
WHERE e.src IN (SELECT account_id FROM accounts) AND e.dst IN (SELECT account_id FROM accounts)
GROUP BY e.src, e.dst
