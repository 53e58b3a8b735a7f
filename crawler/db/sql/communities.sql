-- Describe the campaign's communities from its account_graph rows (crawler/app/graph.py):
-- size; languages and countries of the members, most frequent first ($values kept;
-- an organizer's country correction wins); the hashtags used by most members in any of
-- their stored posts ($hashtags kept); the members with the highest PageRank ($central
-- kept, account ids); a label "language · country · #tag #tag" whose tags are the two
-- used by most members (at least 2) apart from the campaign's own ($campaign_tags, lower
-- case), which every community shares; the campaign's own when there is no other.
-- $campaign.
INSERT INTO communities
    (campaign, community, size, languages, countries, top_hashtags, central_members, label)
WITH
members AS (
    SELECT g.account_id, g.community, g.pagerank, a.language,
           upper(coalesce(o.value, a.country)) AS country
    FROM account_graph g
    JOIN accounts a ON a.account_id = g.account_id
    LEFT JOIN overrides o ON o.account_id = g.account_id AND o.field = 'country'
    WHERE g.campaign = $campaign AND g.community IS NOT NULL
),
sizes AS (
    SELECT community, count(*) AS size,
           list(account_id ORDER BY pagerank DESC, account_id)[1:$central] AS central
    FROM members GROUP BY community
),
langs AS (
    SELECT community, list(language ORDER BY n DESC, language)[1:$values] AS languages
    FROM (SELECT community, language, count(*) AS n FROM members
          WHERE language IS NOT NULL GROUP BY community, language)
    GROUP BY community
),
ccs AS (
    SELECT community, list(country ORDER BY n DESC, country)[1:$values] AS countries
    FROM (SELECT community, country, count(*) AS n FROM members
          WHERE country IS NOT NULL GROUP BY community, country)
    GROUP BY community
),
tags AS (
    SELECT community, list(tag ORDER BY n DESC, tag)[1:$hashtags] AS top_hashtags,
           list(tag ORDER BY n DESC, tag) FILTER (
               n >= 2 AND NOT list_contains($campaign_tags::VARCHAR[], tag))[1:2] AS own_tags
    FROM (SELECT m.community, lower(t.tag) AS tag, count(DISTINCT m.account_id) AS n
          FROM members m JOIN posts p ON p.account_id = m.account_id
          CROSS JOIN unnest(p.hashtags) AS t(tag)
          WHERE t.tag IS NOT NULL AND t.tag <> ''
          GROUP BY m.community, lower(t.tag))
    GROUP BY community
)
SELECT $campaign, s.community, s.size,
       coalesce(l.languages, []::VARCHAR[]), coalesce(c.countries, []::VARCHAR[]),
       coalesce(t.top_hashtags, []::VARCHAR[]), s.central,
       nullif(concat_ws(' · ', l.languages[1], c.countries[1],
                        nullif(array_to_string(list_transform(
                            CASE WHEN len(coalesce(t.own_tags, [])) > 0 THEN t.own_tags
                                 ELSE t.top_hashtags[1:2] END,
                            lambda x: '#' || x), ' '), '')),
              '')
FROM sizes s
LEFT JOIN langs l ON l.community = s.community
LEFT JOIN ccs c ON c.community = s.community
LEFT JOIN tags t ON t.community = s.community
