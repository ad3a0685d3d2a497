-- id: p1-proposal-mismatch
-- title: Phase 1 failed: the peers' IKE proposals (encryption, integrity, DH group, version) do not match
-- applies-to: p1-fail
-- severity: high
-- remedy: Compare the IKE crypto profile and IKE version of both gateways (encryption, authentication/PRF, DH group, lifetime; IKEv1 vs IKEv2, main vs aggressive mode) and make them match; the second seed asks for both ends' configuration and an IKE pcap (debug ike pcap on) of the failing negotiation.
WITH i AS (SELECT * FROM temp.inc),
signs AS (
  SELECT m.source, m.origin, m.unit, m.ts_us,
         printf('%s notify %s in %s', CASE m.dir WHEN 'recv' THEN 'received' ELSE 'sent' END,
                CASE m.notify_error WHEN 14 THEN 'NO_PROPOSAL_CHOSEN' ELSE 'INVALID_KE_PAYLOAD' END,
                CASE WHEN m.version = 2 THEN 'IKE_SA_INIT' ELSE 'phase 1' END) AS text, 0.95 AS s
    FROM temp.inc_msgs m
   WHERE m.notify_error IN (14, 17) AND ((m.version = 2 AND m.exch_type = 34) OR (m.version = 1 AND m.exch_type IN (2, 4)))
  UNION ALL
  SELECT e.source, 'log', e.line, e.ts_us, e.msg,
         CASE json_extract(e.attrs_json, '$.reason') WHEN 'config' THEN 0.7 ELSE 0.9 END
    FROM temp.inc_events e
   WHERE (e.related OR e.anchor) AND e.kind IN ('p1-fail', 'notify-error')
     AND json_extract(e.attrs_json, '$.reason') IN ('proposal', 'dh-group', 'config')),
verdict AS (SELECT COALESCE(MAX(s), 0) AS s, COUNT(*) AS n FROM signs)
SELECT s AS score,
       printf('phase 1 proposals do not match (%d sign(s): NO_PROPOSAL_CHOSEN / no suitable proposal)', n) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, g.source, CASE g.origin WHEN 'log' THEN g.unit END, CASE g.origin WHEN 'pcap' THEN g.unit END,
         g.ts_us, g.text FROM signs g ORDER BY g.s DESC, g.ts_us LIMIT 5)
