-- id: ikemgr-restart
-- title: ikemgr (or the firewall's management plane) restarted and lost the SA state
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic, p1-fail, p2-fail
-- severity: high
-- remedy: The IKE daemon started again in the window, so this side lost its SAs and the peer's probes or traffic hit unknown SPIs. Look for a crash (core files, show system files), a commit that restarted the daemon, or a software issue fixed in a later release; open a case with the tech-support file if ikemgr crashed.
WITH i AS (SELECT * FROM temp.inc),
restarts AS (
  SELECT e.* FROM temp.inc_events e
   WHERE e.kind = 'daemon-restart'
     AND (json_extract(e.attrs_json, '$.daemon') IS NULL OR json_extract(e.attrs_json, '$.daemon') LIKE '%ikemgr%'
          OR e.msg LIKE '%ikemgr%' OR e.source LIKE '%ikemgr%')),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM restarts) THEN 0.9 ELSE 0 END AS s)
SELECT s AS score,
       printf('ikemgr started again %d time(s) in the window', (SELECT COUNT(*) FROM restarts)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (SELECT NULL, NULL, r.source, r.line, NULL, r.ts_us, r.msg FROM restarts r ORDER BY r.ts_us LIMIT 3)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
