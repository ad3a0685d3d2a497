-- id: p1-auth-failure
-- title: Phase 1 failed: authentication (pre-shared key, certificate or peer ID) was refused
-- applies-to: p1-fail
-- severity: high
-- remedy: Check the pre-shared key on both ends (re-enter it on both), the local and peer identification (IP, FQDN, user FQDN, DN) each side sends and expects, and for certificates the profile, CA chain and validity; the system log and ikemgr.log name the side that refused.
WITH i AS (SELECT * FROM temp.inc),
signs AS (
  SELECT m.source, m.origin, m.unit, m.ts_us,
         printf('%s notify AUTHENTICATION_FAILED', CASE m.dir WHEN 'recv' THEN 'received' ELSE 'sent' END) AS text,
         0.95 AS s
    FROM temp.inc_msgs m WHERE m.notify_error = 24
  UNION ALL
  SELECT e.source, 'log', e.line, e.ts_us, e.msg, 0.9
    FROM temp.inc_events e
   WHERE (e.related OR e.anchor) AND e.kind IN ('p1-fail', 'notify-error')
     AND json_extract(e.attrs_json, '$.reason') IN ('auth', 'peer-id')),
verdict AS (SELECT COALESCE(MAX(s), 0) AS s, COUNT(*) AS n FROM signs)
SELECT s AS score,
       printf('phase 1 authentication failed (%d sign(s): AUTHENTICATION_FAILED, PSK or ID mismatch)', n) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, g.source, CASE g.origin WHEN 'log' THEN g.unit END, CASE g.origin WHEN 'pcap' THEN g.unit END,
         g.ts_us, g.text FROM signs g ORDER BY g.s DESC, g.ts_us LIMIT 5)
