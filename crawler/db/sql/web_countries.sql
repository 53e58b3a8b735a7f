-- Per EU member state of the campaign (as the last ranking stored it): seats, threshold,
-- the signatures the organizers gave (NULL = not given) and whether it is a target.
SELECT upper(country) AS country, mep_seats, threshold, signatures, is_target
FROM campaign_countries
WHERE campaign = $campaign
ORDER BY country
