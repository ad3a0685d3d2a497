-- id: link-down
-- title: The egress interface went down around the first unanswered request
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic, p1-fail
-- severity: critical
-- remedy: Check the physical link and the upstream device of the gateway's interface at the evidence time (cabling, SFP, switch port, ISP hand-off, show interface for errors); if the link flaps, fix it or add a redundant path (a second gateway with tunnel monitoring and failover).
--
-- A link-down event within 2 minutes before to 1 minute after the first unanswered request.
-- Scores highest when it is the gateway's configured local interface.
WITH i AS (SELECT * FROM temp.inc),
start AS (SELECT COALESCE(i.first_unanswered_us, i.ts_us) AS t FROM i),
links AS (
  SELECT e.*, (i.local_interface IS NOT NULL AND
               (json_extract(e.attrs_json, '$.interface') = i.local_interface
                OR instr(e.msg, i.local_interface) > 0)) AS egress
    FROM temp.inc_events e, start, i
   WHERE e.kind = 'link-down' AND e.ts_us BETWEEN start.t - 120000000 AND MAX(start.t + 60000000, i.ts_us)),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM links WHERE egress) THEN 0.92
                        WHEN EXISTS (SELECT 1 FROM links) THEN 0.6 ELSE 0 END AS s,
                   (SELECT COALESCE(json_extract(attrs_json, '$.interface'), '?') FROM links
                     ORDER BY egress DESC, ts_us LIMIT 1) AS ifname)
SELECT s AS score,
       printf('interface %s went down %s', ifname,
              CASE WHEN s >= 0.9 THEN '(the gateway''s egress interface) when liveness began to fail'
                   ELSE 'around the time liveness began to fail' END) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (SELECT NULL, NULL, l.source, l.line, NULL, l.ts_us, l.msg FROM links l
                ORDER BY l.egress DESC, l.ts_us LIMIT 3)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg FROM temp.inc_events e, i
   WHERE e.kind = 'link-up' AND e.ts_us >= COALESCE(i.first_unanswered_us, i.ts_us) - 120000000
   ORDER BY e.ts_us LIMIT 1)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
