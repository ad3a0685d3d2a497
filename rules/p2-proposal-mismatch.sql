-- id: p2-proposal-mismatch
-- title: Phase 2 failed: the IPsec proposals (ESP transforms, PFS/DH group, lifetime) do not match
-- applies-to: p2-fail
-- severity: high
-- remedy: Compare the IPsec crypto profile of both ends: ESP encryption and authentication, the DH group for PFS (or no-pfs on both; "message lacks KE payload" means one side wants PFS and the other does not) and the lifetime, and make them match.
WITH i AS (SELECT * FROM temp.inc),
signs AS (
  SELECT m.source, m.origin, m.unit, m.ts_us,
         printf('%s notify %s in %s', CASE m.dir WHEN 'recv' THEN 'received' ELSE 'sent' END,
                CASE m.notify_error WHEN 14 THEN 'NO_PROPOSAL_CHOSEN' ELSE 'INVALID_KE_PAYLOAD' END,
                CASE m.exch_type WHEN 35 THEN 'IKE_AUTH' WHEN 36 THEN 'CREATE_CHILD_SA' ELSE 'quick mode' END) AS text,
         0.95 AS s
    FROM temp.inc_msgs m
   WHERE m.notify_error IN (14, 17) AND ((m.version = 2 AND m.exch_type IN (35, 36)) OR (m.version = 1 AND m.exch_type = 32))
  UNION ALL
  SELECT e.source, 'log', e.line, e.ts_us, e.msg, 0.9
    FROM temp.inc_events e
   WHERE (e.related OR e.anchor) AND e.kind IN ('p2-fail', 'notify-error')
     AND json_extract(e.attrs_json, '$.reason') IN ('proposal', 'pfs', 'dh-group')),
verdict AS (SELECT COALESCE(MAX(s), 0) AS s, COUNT(*) AS n FROM signs)
SELECT s AS score,
       printf('phase 2 proposals do not match (%d sign(s): NO_PROPOSAL_CHOSEN, PFS/DH group)', n) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, g.source, CASE g.origin WHEN 'log' THEN g.unit END, CASE g.origin WHEN 'pcap' THEN g.unit END,
         g.ts_us, g.text FROM signs g ORDER BY g.s DESC, g.ts_us LIMIT 5)
