-- id: p2-proxy-id-mismatch
-- title: Phase 2 failed: the proxy IDs / traffic selectors of the peers do not match
-- applies-to: p2-fail
-- severity: high
-- remedy: Make the proxy IDs (local and remote subnets, protocol, ports) of the tunnel mirror the peer's traffic selectors exactly (policy-based peers need one proxy ID per subnet pair); the second seed asks for both ends' proxy-id configuration.
WITH i AS (SELECT * FROM temp.inc),
signs AS (
  SELECT m.source, m.origin, m.unit, m.ts_us,
         printf('%s notify %s', CASE m.dir WHEN 'recv' THEN 'received' ELSE 'sent' END,
                CASE m.notify_error WHEN 38 THEN 'TS_UNACCEPTABLE' ELSE 'INVALID_ID_INFORMATION' END) AS text, 0.95 AS s
    FROM temp.inc_msgs m
   WHERE (m.version = 2 AND m.notify_error = 38) OR (m.version = 1 AND m.notify_error = 18)
  UNION ALL
  SELECT e.source, 'log', e.line, e.ts_us, e.msg, 0.9
    FROM temp.inc_events e
   WHERE (e.related OR e.anchor) AND e.kind IN ('p2-fail', 'notify-error')
     AND json_extract(e.attrs_json, '$.reason') = 'selectors'),
verdict AS (SELECT COALESCE(MAX(s), 0) AS s, COUNT(*) AS n FROM signs)
SELECT s AS score,
       printf('phase 2 traffic selectors / proxy IDs do not match (%d sign(s): TS_UNACCEPTABLE, no sainfo)', n) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, g.source, CASE g.origin WHEN 'log' THEN g.unit END, CASE g.origin WHEN 'pcap' THEN g.unit END,
         g.ts_us, g.text FROM signs g ORDER BY g.s DESC, g.ts_us LIMIT 5)
