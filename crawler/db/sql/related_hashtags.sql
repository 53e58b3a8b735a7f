-- Related hashtags of a campaign (the measure is documented in crawler/app/hashtags.py):
-- tags that co-occur in the campaign's posts, with the campaign posts and distinct
-- accounts carrying them, and their lift over the background (stored posts that did not
-- match the campaign), over all languages (overall = TRUE, lang NULL) and per language
-- (posts.lang, region subtag dropped). Reposts are left out: they copy the original's
-- tags, so one viral post would count as many. A tag needs $min_posts campaign posts
-- from $min_accounts accounts within its slice. Every slice gets a row, with tag NULL
-- when no tag passed, so the caller always sees the slice's totals.
-- Parameters: $campaign, $own (the campaign's own tags, left out), $min_posts,
-- $min_accounts, $prior (weight in posts of the background estimate's prior: the
-- tag's rate over all posts of the slice).
WITH base AS (
    SELECT p.post_id, p.account_id, p.hashtags,
           nullif(lower(split_part(trim(p.lang), '-', 1)), '') AS lang,
           c.post_id IS NOT NULL AS in_campaign
    FROM posts p
    LEFT JOIN campaign_posts c ON c.campaign = $campaign AND c.post_id = p.post_id
    WHERE p.repost_of IS NULL
),
totals AS (
    SELECT grouping(lang) = 1 AS overall, lang,
           count(*) FILTER (WHERE in_campaign) AS campaign_total,
           count(*) FILTER (WHERE NOT in_campaign) AS background_total
    FROM base
    GROUP BY GROUPING SETS ((lang), ())
),
tagged AS (
    SELECT DISTINCT post_id, account_id, lang, in_campaign, tag
    FROM (SELECT post_id, account_id, lang, in_campaign, lower(unnest(hashtags)) AS tag
          FROM base)
    WHERE NOT list_contains($own::VARCHAR[], tag)
),
candidates AS (
    SELECT DISTINCT tag FROM tagged WHERE in_campaign
),
counts AS (
    SELECT grouping(t.lang) = 1 AS overall, t.lang, t.tag,
           count(*) FILTER (WHERE t.in_campaign) AS posts,
           count(DISTINCT t.account_id) FILTER (WHERE t.in_campaign) AS accounts,
           count(*) FILTER (WHERE NOT t.in_campaign) AS background_posts
    FROM tagged t
    WHERE t.tag IN (SELECT tag FROM candidates)
    GROUP BY GROUPING SETS ((t.lang, t.tag), (t.tag))
),
languages AS (
    SELECT tag, list(lang ORDER BY posts DESC, lang) AS languages
    FROM counts
    WHERE NOT overall AND lang IS NOT NULL AND posts > 0
    GROUP BY tag
),
supported AS (
    SELECT * FROM counts WHERE posts >= $min_posts AND accounts >= $min_accounts
)
SELECT s.lang, s.overall, s.campaign_total, s.background_total,
       c.tag, c.posts, c.accounts, c.background_posts,
       c.posts::DOUBLE / s.campaign_total AS share,
       -- rounded: equal lifts tie exactly, so the order falls back to posts
       round((c.posts::DOUBLE / s.campaign_total)
         / ((c.background_posts + $prior * (c.posts + c.background_posts)
               / (s.campaign_total + s.background_total))
            / (s.background_total + $prior)), 6) AS lift,
       coalesce(l.languages, []::VARCHAR[]) AS languages,
       c.tag IN (SELECT h.tag FROM campaign_hashtags h WHERE h.campaign = $campaign)
         AS accepted
FROM totals s
LEFT JOIN supported c
  ON c.overall = s.overall AND (s.overall OR c.lang = s.lang)
LEFT JOIN languages l ON l.tag = c.tag
WHERE s.overall OR s.lang IS NOT NULL
ORDER BY s.overall DESC, s.lang, lift DESC NULLS LAST, c.posts DESC, c.tag
