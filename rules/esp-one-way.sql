-- id: esp-one-way
-- title: Tunnel up but the peer's ESP never arrives (encap rising, decap flat)
-- applies-to: tunnel-no-traffic
-- severity: high
-- remedy: The SAs are up and this side sends ESP, but none comes back: check that ESP (IP protocol 50) or UDP 4500 is allowed both ways on the path, that a NAT in the path has NAT-T enabled on both gateways, and that the peer routes the traffic for these subnets into the tunnel (its proxy IDs/policy); the second seed's "tunnel up, no traffic" data: show vpn flow tunnel-id N twice, show counter global filter delta yes, dataplane captures.
WITH i AS (SELECT * FROM temp.inc),
out_esp AS (SELECT e.*, s.path FROM esp_counts e JOIN sources s ON s.id = e.source_id, i
             WHERE e.dst_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)
               AND e.bucket_start_us BETWEEN i.ts_us AND i.window_end_us),
in_esp AS (SELECT e.* FROM esp_counts e, i
            WHERE e.src_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)
              AND e.bucket_start_us BETWEEN i.ts_us AND i.window_end_us),
flows AS (
  -- show vpn flow tunnel-id N taken twice: encap packets rose, decap packets did not
  SELECT c2.source_id, c2.line, c1.value AS encap1, c2.value AS encap2, d.value AS decap, c2.object
    FROM cli_values c1 JOIN cli_values c2 ON c2.source_id = c1.source_id AND c2.object = c1.object
         AND c2.command = c1.command AND c2.key = c1.key AND c2.occurrence > c1.occurrence
    JOIN cli_values d ON d.source_id = c2.source_id AND d.object = c2.object AND d.command = c2.command
         AND d.occurrence = c2.occurrence AND d.key = 'decap packets'
    JOIN cli_values d1 ON d1.source_id = c1.source_id AND d1.object = c1.object AND d1.command = c1.command
         AND d1.occurrence = c1.occurrence AND d1.key = 'decap packets', i
   WHERE c1.command LIKE 'show vpn flow tunnel-id%' AND c1.key = 'encap packets'
     AND CAST(c2.value AS INTEGER) > CAST(c1.value AS INTEGER) AND d.value = d1.value
     AND (names_compatible(c1.object, i.tunnel) OR EXISTS (SELECT 1 FROM cli_values p WHERE p.source_id = c1.source_id
          AND p.object = c1.object AND p.key = 'peer ip' AND p.value = i.peer_ip))),
verdict AS (SELECT CASE WHEN (SELECT COALESCE(SUM(packets), 0) FROM out_esp) > 0
                         AND (SELECT COALESCE(SUM(packets), 0) FROM in_esp) = 0 THEN 0.9
                        WHEN EXISTS (SELECT 1 FROM flows) THEN 0.85 ELSE 0 END AS s,
                   (SELECT COALESCE(SUM(packets), 0) FROM out_esp) AS sent)
SELECT s AS score,
       CASE WHEN sent > 0 THEN printf('%d ESP packet(s) went to the peer %s and none came back', sent, (SELECT peer_ip FROM i))
            ELSE printf('between two show vpn flow snapshots encap packets rose (%s -> %s) and decap packets stayed at %s',
                        (SELECT encap1 FROM flows), (SELECT encap2 FROM flows), (SELECT decap FROM flows)) END AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, o.path, NULL, o.first_frame, o.bucket_start_us,
         printf('%d ESP packet(s) %s -> %s SPI 0x%08x (sequence %d..%d), nothing from the peer',
                o.packets, o.src_ip, o.dst_ip, o.spi, o.min_seq, o.max_seq)
    FROM out_esp o ORDER BY o.bucket_start_us LIMIT 3)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, s.path, f.line, NULL, NULL,
         printf('tunnel %s: encap packets %s -> %s, decap packets flat at %s', f.object, f.encap1, f.encap2, f.decap)
    FROM flows f JOIN sources s ON s.id = f.source_id LIMIT 2)
