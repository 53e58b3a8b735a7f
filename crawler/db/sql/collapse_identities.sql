-- One lead per identity (accounts merged on strong evidence: table identities), run
-- right after the ranking inserted the campaign's leads, in the same transaction.
-- An account an organizer marked (lead_status) represents its identity, so the mark
-- stays on the lead; else the identity takes the first lead type (in assignment order,
-- $types) any of its accounts has, and its best-scored account in that type does; the other
-- accounts' rows go, all the identity's handles join the representative's row, the
-- reasons say how the accounts were linked, and the ranks close up.
-- Statements are separated by a line holding only ";" (run one by one).
CREATE OR REPLACE TEMP TABLE _ident AS
SELECT l.account_id, l.lead_type, i.identity_id,
       row_number() OVER (
           PARTITION BY i.identity_id
           ORDER BY s.account_id IS NULL, s.updated_at DESC NULLS LAST,
                    list_position($types, l.lead_type), l.score DESC, l.account_id
       ) AS pick
FROM leads l JOIN identities i USING (account_id)
LEFT JOIN lead_status s ON s.campaign = l.campaign AND s.account_id = l.account_id
WHERE l.campaign = $campaign
;
CREATE OR REPLACE TEMP TABLE _members AS
SELECT i.identity_id,
       list(a.handle ORDER BY a.platform, a.handle) AS handles,
       string_agg(DISTINCT i.evidence, '; ' ORDER BY i.evidence) AS evidence
FROM identities i JOIN accounts a USING (account_id)
WHERE i.identity_id IN (SELECT identity_id FROM _ident)
GROUP BY i.identity_id
;
DELETE FROM leads
WHERE campaign = $campaign
  AND account_id IN (SELECT account_id FROM _ident WHERE pick > 1)
;
UPDATE leads
SET identity_id = m.identity_id,
    handles = list_concat([leads.handle], list_filter(m.handles, lambda h: h <> leads.handle)),
    reasons = leads.reasons || '; one identity with '
              || array_to_string(list_filter(m.handles, lambda h: h <> leads.handle), ', ')
              || ' (' || m.evidence || ')'
FROM _ident x JOIN _members m USING (identity_id)
WHERE leads.campaign = $campaign AND leads.account_id = x.account_id AND x.pick = 1
;
UPDATE leads
SET "rank" = r.new_rank
FROM (
    SELECT account_id, lead_type,
           row_number() OVER (PARTITION BY lead_type ORDER BY score DESC, account_id)
             AS new_rank
    FROM leads WHERE campaign = $campaign
) r
WHERE leads.campaign = $campaign AND leads.account_id = r.account_id
  AND leads.lead_type = r.lead_type
;
DROP TABLE _ident
;
DROP TABLE _members
