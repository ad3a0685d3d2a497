-- id: route-change
-- title: The route to the peer changed just before liveness failed
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic
-- severity: high
-- remedy: Check the routing change at the evidence time (routed.log, show routing route, test routing fib-lookup to the peer address): restore a route to the peer through the right egress interface and next hop, or fix the dynamic routing (BGP/OSPF neighbour, path monitoring) that withdrew it.
--
-- A routing event from 5 minutes before the first unanswered request up to the teardown.
-- Scores highest when the event's prefix holds the peer address (a default route holds every
-- address), lower when the event does not say which prefix it touched.
WITH i AS (SELECT * FROM temp.inc),
changes AS (
  SELECT e.*, ip_in_prefix(i.peer_ip, json_extract(e.attrs_json, '$.prefix')) AS covers
    FROM temp.inc_events e, i
   WHERE e.kind = 'route-change'
     AND e.ts_us BETWEEN COALESCE(i.first_unanswered_us, i.ts_us) - 300000000
                     AND MAX(COALESCE(i.first_unanswered_us, i.ts_us) + 30000000, i.ts_us)),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM changes WHERE covers = 1) THEN 0.9
                        WHEN EXISTS (SELECT 1 FROM changes WHERE covers IS NULL) THEN 0.65
                        ELSE 0 END AS s,
                   (SELECT COUNT(*) FROM changes WHERE covers IS NOT 0) AS n)
SELECT s AS score,
       printf('%d routing change(s) %s just before the liveness requests to %s went unanswered',
              n, CASE WHEN s >= 0.9 THEN 'for a prefix holding the peer address' ELSE 'on this device' END,
              (SELECT peer_ip FROM i)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, c.source, c.line, NULL, c.ts_us, c.msg FROM changes c
   WHERE c.covers IS NOT 0 ORDER BY c.covers DESC, c.ts_us LIMIT 4)
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
