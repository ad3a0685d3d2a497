-- id: policy-change
-- title: A configuration commit or policy/NAT change shortly before the failure began
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic, p1-fail, p2-fail
-- severity: high
-- remedy: Review the commit at the evidence time (config log: who changed what, before/after): a security policy, NAT rule, zone or interface change can drop IKE (UDP 500/4500) or ESP to/from the peer. Allow IKE and IPsec between the gateway addresses, exclude them from NAT, or revert the change.
--
-- A commit or configuration change from 10 minutes before the first unanswered request (or
-- the first failure) up to the anchor. A change that names a security/NAT rule, zone or
-- interface scores higher than a bare "commit succeeded".
WITH i AS (SELECT * FROM temp.inc),
start AS (SELECT COALESCE(i.first_unanswered_us, i.ts_us) AS t FROM i),
changes AS (
  SELECT e.*, (e.kind = 'policy-change' OR e.msg LIKE '%rulebase%' OR e.msg LIKE '%security%'
               OR e.msg LIKE '%nat%' OR e.msg LIKE '%zone%' OR e.msg LIKE '%interface%') AS specific
    FROM temp.inc_events e, start, i
   WHERE e.kind IN ('config-commit', 'policy-change')
     AND e.ts_us BETWEEN start.t - 600000000 AND MAX(start.t + 30000000, i.ts_us)),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM changes WHERE specific) THEN 0.85
                        WHEN EXISTS (SELECT 1 FROM changes) THEN 0.7 ELSE 0 END AS s,
                   (SELECT COUNT(*) FROM changes) AS n)
SELECT s AS score,
       printf('%d configuration change(s) committed in the 10 minutes before the failure began', n) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (SELECT NULL, NULL, c.source, c.line, NULL, c.ts_us, c.msg FROM changes c
                ORDER BY c.specific DESC, c.ts_us LIMIT 4)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, x.source, CASE x.origin WHEN 'log' THEN x.req_unit END,
         CASE x.origin WHEN 'pcap' THEN x.req_unit END, x.req_ts_us,
         printf('first unanswered liveness request to %s', i.peer_ip)
    FROM temp.inc_exch x, i
   WHERE x.local AND x.liveness AND x.response_id IS NULL AND x.req_ts_us >= i.first_unanswered_us
   ORDER BY x.req_ts_us LIMIT 1)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
