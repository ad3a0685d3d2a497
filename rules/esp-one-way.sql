-- id: esp-one-way
-- title: Tunnel up but the peer's ESP never arrives (encap rising, decap flat)
-- applies-to: tunnel-no-traffic
-- severity: high
-- remedy: The SAs are up and this side sends ESP, but none comes back: check that ESP (IP protocol 50) or UDP 4500 is allowed both ways on the path, that a NAT in the path has NAT-T enabled on both gateways, and that the peer routes the traffic for these subnets into the tunnel (its proxy IDs/policy); the second seed's "tunnel up, no traffic" data: show vpn flow tunnel-id N twice, show counter global filter delta yes, dataplane captures.
WITH i AS (SELECT * FROM temp.inc),
out_esp AS (SELECT e.*, s.path FROM esp_counts e JOIN sources s ON s.id = e.source_id, i
             WHERE e.dst_ip = i.peer_ip AND e.bucket_start_us BETWEEN i.ts_us AND i.window_end_us),
in_esp AS (SELECT e.* FROM esp_counts e, i
            WHERE e.src_ip = i.peer_ip AND e.bucket_start_us BETWEEN i.ts_us AND i.window_end_us),
verdict AS (SELECT CASE WHEN (SELECT COALESCE(SUM(packets), 0) FROM out_esp) > 0
                         AND (SELECT COALESCE(SUM(packets), 0) FROM in_esp) = 0 THEN 0.9 ELSE 0 END AS s,
                   (SELECT COALESCE(SUM(packets), 0) FROM out_esp) AS sent)
SELECT s AS score,
       printf('%d ESP packet(s) went to the peer %s and none came back', sent, (SELECT peer_ip FROM i)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, o.path, NULL, o.first_frame, o.bucket_start_us,
         printf('%d ESP packet(s) %s -> %s SPI 0x%08x (sequence %d..%d), nothing from the peer',
                o.packets, o.src_ip, o.dst_ip, o.spi, o.min_seq, o.max_seq)
    FROM out_esp o ORDER BY o.bucket_start_us LIMIT 3)
