-- The campaign's leads per country (NULL = unknown) and lead type.
SELECT country, lead_type, count(*) AS leads
FROM leads WHERE campaign = $campaign
GROUP BY ALL
