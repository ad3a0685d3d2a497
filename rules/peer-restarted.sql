-- id: peer-restarted
-- title: The peer lost its SAs (restart, failover or clear) and started over
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic
-- severity: medium
-- remedy: The peer forgot the IKE SA: it starts a fresh IKE_SA_INIT or answers INVALID_SPI / INVALID_IKE_SPI. Look on the peer for a reboot, HA failover, daemon restart or a manual clear at that time. Enabling liveness/DPD on both ends and INITIAL_CONTACT handling lets the two sides recover quickly.
--
-- In the window up to the anchor: the peer initiates IKE_SA_INIT (IKEv2 34) or main/aggressive
-- mode (IKEv1 2/4) while our SA still exists, or its messages/our logs carry INVALID_SPI (11)
-- or INVALID_IKE_SPI (4).
WITH i AS (SELECT * FROM temp.inc),
fresh AS (SELECT m.* FROM temp.inc_msgs m, i
           WHERE m.dir = 'recv' AND m.is_response = 0 AND m.ts_us <= i.last_us + 5000000
             AND ((m.version = 2 AND m.exch_type = 34) OR (m.version = 1 AND m.exch_type IN (2, 4) AND m.rspi = '0000000000000000'))),
invalid AS (SELECT m.source, m.origin, m.unit, m.ts_us,
                   printf('INVALID%s_SPI notify from the peer', CASE m.notify_error WHEN 4 THEN '_IKE' ELSE '' END) AS text
              FROM temp.inc_msgs m, i WHERE m.dir = 'recv' AND m.notify_error IN (4, 11) AND m.ts_us <= i.last_us + 5000000
            UNION ALL
            SELECT e.source, 'log', e.line, e.ts_us, e.msg FROM temp.inc_events e, i
             WHERE e.kind = 'notify-error' AND e.related
               AND json_extract(e.attrs_json, '$.reason') IN ('invalid-spi', 'unknown-sa') AND e.ts_us <= i.last_us + 5000000),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM fresh) AND EXISTS (SELECT 1 FROM invalid) THEN 0.9
                        WHEN EXISTS (SELECT 1 FROM fresh) OR EXISTS (SELECT 1 FROM invalid) THEN 0.85 ELSE 0 END AS s)
SELECT s AS score,
       printf('the peer %s%s%s', 
              CASE WHEN EXISTS (SELECT 1 FROM fresh) THEN printf('started %d fresh IKE_SA_INIT/main mode exchange(s)', (SELECT COUNT(*) FROM fresh)) ELSE '' END,
              CASE WHEN EXISTS (SELECT 1 FROM fresh) AND EXISTS (SELECT 1 FROM invalid) THEN ' and ' ELSE '' END,
              CASE WHEN EXISTS (SELECT 1 FROM invalid) THEN 'no longer knew our SPIs (INVALID_SPI)' ELSE '' END) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, f.source, CASE f.origin WHEN 'log' THEN f.unit END, CASE f.origin WHEN 'pcap' THEN f.unit END,
         f.ts_us, printf('the peer %s[%d] initiates a new IKE SA (SPI %s)', f.src_ip, COALESCE(f.src_port, 0), COALESCE(f.ispi, '?'))
    FROM fresh f ORDER BY f.ts_us LIMIT 2)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, v.source, CASE v.origin WHEN 'log' THEN v.unit END, CASE v.origin WHEN 'pcap' THEN v.unit END,
         v.ts_us, v.text FROM invalid v ORDER BY v.ts_us LIMIT 3)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
