-- One row per EU member state for the campaign: seats, threshold, signatures given
-- (NULL = not given), target flag; the lists are parallel, in the same country order.
INSERT INTO campaign_countries
SELECT $campaign, unnest($countries::VARCHAR[]), unnest($seats::INTEGER[]),
       unnest($thresholds::BIGINT[]), unnest($signatures::BIGINT[]),
       unnest($targets::BOOLEAN[])
