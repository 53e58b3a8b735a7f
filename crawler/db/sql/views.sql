-- The analyst views (documented in crawler/app/ranking.py), created or replaced after
-- every ranking.
CREATE OR REPLACE VIEW v_leads_explained AS
SELECT l.*, a.bio, a.role, a.org_type, a.role_confidence, a.country_confidence,
       a.class_reasons, a.followers_count, a.following_count, a.posts_count,
       a.is_bot, a.instance, a.created_at AS account_created_at,
       a.first_seen_at, a.last_seen_at, a.classified_at
FROM leads l LEFT JOIN accounts a ON a.account_id = l.account_id;

CREATE OR REPLACE VIEW v_country_coverage AS
SELECT cc.campaign, cc.country, cc.mep_seats, cc.threshold, cc.signatures,
       CASE WHEN cc.signatures IS NOT NULL
            THEN greatest(0, cc.threshold - cc.signatures) END AS signatures_missing,
       cc.is_target,
       (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
          AND l.country = cc.country) AS leads,
       (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
          AND l.country = cc.country AND l.lead_type = 'volunteer') AS volunteers,
       (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
          AND l.country = cc.country AND l.lead_type = 'influencer') AS influencers,
       (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
          AND l.country = cc.country AND l.lead_type = 'intermediary') AS intermediaries,
       (SELECT count(*) FROM leads l WHERE l.campaign = cc.campaign
          AND l.country = cc.country AND l.lead_type = 'sponsor') AS sponsors,
       (SELECT count(DISTINCT p.account_id)
          FROM campaign_posts c
          JOIN posts p ON p.post_id = c.post_id
          JOIN accounts a ON a.account_id = p.account_id
          LEFT JOIN account_campaign ac
            ON ac.campaign = c.campaign AND ac.account_id = p.account_id
          WHERE c.campaign = cc.campaign AND upper(a.country) = cc.country
            AND ac.stance IS DISTINCT FROM 'opposes') AS supporters_found
FROM campaign_countries cc;

CREATE OR REPLACE VIEW v_campaign_posts AS
SELECT c.campaign, p.*
FROM campaign_posts c JOIN posts p ON p.post_id = c.post_id;
