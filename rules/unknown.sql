-- id: unknown
-- title: No cause could be shown from the data at hand
-- applies-to: *
-- severity: low
-- remedy: Collect what the checklist marks missing — at least an IKE capture (debug ike pcap on) or ikemgr debug lines (debug ike global on debug) covering the next occurrence, both peers' tech-support files, and the exact time — and analyze again.
--
-- Runs only when no other rule scored. Its evidence is what the bundle lacks that would show
-- the cause: the data items of the second seed's checklist (artifacts table) that decide
-- between the causes (captures, debug lines, the peer's side, config, flow counters).
WITH i AS (SELECT * FROM temp.inc)
SELECT 0.01 AS score,
       printf('nothing in the data explains this %s: %s', (SELECT kind FROM i),
              CASE WHEN (SELECT has_pcap FROM i) = 0 AND (SELECT has_log FROM i) = 0
                   THEN 'no IKE capture and no ikemgr debug lines cover the window'
                   WHEN (SELECT has_pcap FROM i) = 0 THEN 'no IKE capture covers the window'
                   ELSE 'the data covering the window shows no known signature' END) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, printf('missing: %s — %s', a.item, COALESCE(a.why, ''))
    FROM artifacts a, i
   WHERE a.present = 0 AND (i.device IS NULL OR a.device IS NULL OR a.device = i.device)
     AND a.item IN ('ike-pcap', 'ikemgr-debug', 'peer-side', 'system-log', 'running-config', 'vpn-flow')
   ORDER BY a.id LIMIT 6)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 2)
