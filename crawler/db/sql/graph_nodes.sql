-- The campaign graph's nodes, numbered 0..n-1 by account id (crawler/app/graph.py), after
-- graph_members.sql and graph_edges.sql: every campaign account and every edge's ends.
CREATE OR REPLACE TEMP TABLE _graph_nodes AS
SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1)::BIGINT AS idx
FROM (
    SELECT account_id FROM _graph_members
    UNION SELECT src FROM _graph_edges
    UNION SELECT dst FROM _graph_edges
)
