-- Profiles plus their 20 most recent non-empty post texts (and languages) and what
-- their websites' imprints state (country, legal form; read by the website pass), for the
-- classifier; $only_new keeps accounts never classified, $accounts (a list, or NULL for
-- all) the accounts named.
WITH sites AS (
    SELECT account_id,
           list({'url': coalesce(final_url, url), 'country': country,
                 'legal_form': legal_form} ORDER BY url) AS sites
    FROM websites
    WHERE status = 'ok' AND (country IS NOT NULL OR legal_form IS NOT NULL)
    GROUP BY account_id
),
recent AS (
    SELECT account_id, text, lang,
           row_number() OVER (PARTITION BY account_id
                              ORDER BY created_at DESC NULLS LAST, post_id) AS n
    FROM posts
    WHERE coalesce(text, '') <> ''
      AND account_id IN (SELECT account_id FROM accounts
                         WHERE (NOT $only_new OR classified_at IS NULL)
                           AND ($accounts::VARCHAR[] IS NULL
                                OR list_contains($accounts::VARCHAR[], account_id)))
)
SELECT a.account_id, a.platform, a.handle, a.display_name, a.bio,
       a.fields, a.followers_count, a.is_bot, a.is_group, a.instance, a.labels,
       coalesce(list(r.text ORDER BY r.n) FILTER (WHERE r.n <= 20), [])::VARCHAR[] AS posts,
       coalesce(list(r.lang ORDER BY r.n) FILTER (WHERE r.n <= 20), [])::VARCHAR[]
         AS post_langs,
       any_value(s.sites) AS sites
FROM accounts a LEFT JOIN recent r ON r.account_id = a.account_id
     LEFT JOIN sites s ON s.account_id = a.account_id
WHERE (NOT $only_new OR a.classified_at IS NULL)
  AND ($accounts::VARCHAR[] IS NULL OR list_contains($accounts::VARCHAR[], a.account_id))
GROUP BY ALL
ORDER BY a.account_id
