-- id: local-ha-failover
-- title: An HA state change on this firewall in the window
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic, p1-fail, p2-fail
-- severity: high
-- remedy: The firewall changed HA state (failover, preemption, a peer going suspended) around the drop. Check why (show high-availability state, HA link and path monitoring in the system log); with active/passive HA make sure the IKE gateway's interface and address move with the active unit and that tunnel/session sync is on so the new active unit can keep the SAs.
WITH i AS (SELECT * FROM temp.inc),
ha AS (SELECT e.* FROM temp.inc_events e WHERE e.kind = 'ha-state'),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM ha) THEN 0.9 ELSE 0 END AS s)
SELECT s AS score,
       printf('%d HA state change(s) on this firewall in the window', (SELECT COUNT(*) FROM ha)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (SELECT NULL, NULL, h.source, h.line, NULL, h.ts_us, h.msg FROM ha h ORDER BY h.ts_us LIMIT 4)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
