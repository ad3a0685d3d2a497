-- id: one-way-loss
-- title: The peer's packets still arrive but our requests get no response
-- applies-to: dpd-down, ike-sa-down, tunnel-down
-- severity: high
-- remedy: Traffic is lost in one direction only: check the path from this firewall to the peer (egress filtering, an upstream ACL or NAT dropping UDP 500/4500 towards the peer, asymmetric routing) and the peer's side (its policy or a NAT in front of it dropping our requests). Capture on both ends at the same time (debug ike pcap on) to see where the requests disappear.
--
-- Our liveness requests go unanswered while the peer is demonstrably alive and reaching us:
-- its own IKE requests, its ESP or its NAT keepalives keep arriving between our first
-- unanswered request and the teardown.
WITH i AS (SELECT * FROM temp.inc),
heard AS (SELECT COUNT(*) AS n, MIN(m.ts_us) AS first_us FROM temp.inc_msgs m, i
           WHERE m.dir = 'recv' AND m.ts_us > i.first_unanswered_us AND m.ts_us <= i.ts_us),
esp AS (SELECT COALESCE(SUM(e.packets), 0) AS n FROM esp_counts e, i
         WHERE e.src_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)
           AND e.bucket_start_us > i.first_unanswered_us
           AND e.bucket_start_us <= i.ts_us),
ka AS (SELECT COALESCE(SUM(k.packets), 0) AS n FROM nat_keepalives k, i
         WHERE k.src_ip = i.peer_ip AND (i.device IS NULL OR k.device IS NULL OR k.device = i.device)
           AND k.bucket_start_us > i.first_unanswered_us
           AND k.bucket_start_us <= i.ts_us),
verdict AS (SELECT CASE WHEN i.unanswered > 0 AND i.first_unanswered_us IS NOT NULL AND i.first_unanswered_estimated = 0
                         AND (heard.n > 0 OR esp.n > 0 OR ka.n > 0) THEN 0.7 ELSE 0 END AS s,
                   heard.n AS ike, esp.n AS esp, ka.n AS ka, i.unanswered AS un
              FROM i, heard, esp, ka)
SELECT s AS score,
       printf('%d liveness request(s) went unanswered while the peer''s %s still arrived', un,
              substr(CASE WHEN ike > 0 THEN printf(', %d IKE message(s)', ike) ELSE '' END ||
                     CASE WHEN esp > 0 THEN printf(', %d ESP packet(s)', esp) ELSE '' END ||
                     CASE WHEN ka > 0 THEN printf(', %d NAT keepalive(s)', ka) ELSE '' END, 3)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, x.source, CASE x.origin WHEN 'log' THEN x.req_unit END,
         CASE x.origin WHEN 'pcap' THEN x.req_unit END, x.req_ts_us,
         printf('our liveness request unanswered (%d retransmission(s))', x.retransmits)
    FROM temp.inc_exch x, i
   WHERE x.local AND x.liveness AND x.response_id IS NULL AND x.req_ts_us >= i.first_unanswered_us
   ORDER BY x.req_ts_us LIMIT 2)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, m.source, CASE m.origin WHEN 'log' THEN m.unit END,
         CASE m.origin WHEN 'pcap' THEN m.unit END, m.ts_us,
         printf('%s from the peer %s[%s] still arrives (%d bytes%s)',
                CASE WHEN m.is_response = 1 THEN 'a response' WHEN m.is_response = 0 THEN 'a request' ELSE 'a message' END,
                m.src_ip, COALESCE(m.src_port, '?'), COALESCE(m.length, 0),
                COALESCE(', message id ' || m.msg_id, ''))
    FROM temp.inc_msgs m, i
   WHERE m.dir = 'recv' AND m.ts_us > i.first_unanswered_us AND m.ts_us <= i.ts_us
   ORDER BY m.ts_us LIMIT 3)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, s.path, NULL, e.first_frame, e.bucket_start_us,
         printf('%d ESP packet(s) from the peer %s (SPI 0x%08x) in the 10 s from here', e.packets, e.src_ip, e.spi)
    FROM esp_counts e JOIN sources s ON s.id = e.source_id, i
   WHERE e.src_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)
     AND e.bucket_start_us > i.first_unanswered_us AND e.bucket_start_us <= i.ts_us
   ORDER BY e.bucket_start_us LIMIT 2)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, s.path, NULL, k.first_frame, k.bucket_start_us,
         printf('%d NAT keepalive(s) from the peer %s to %s in the 10 s from here', k.packets, k.src_ip, k.dst_ip)
    FROM nat_keepalives k JOIN sources s ON s.id = k.source_id, i
   WHERE k.src_ip = i.peer_ip AND (i.device IS NULL OR k.device IS NULL OR k.device = i.device)
     AND k.bucket_start_us > i.first_unanswered_us AND k.bucket_start_us <= i.ts_us
   ORDER BY k.bucket_start_us LIMIT 1)
UNION ALL
SELECT * FROM (
  -- the other end's own data, when its bundle was given too: where our messages stopped
  -- arriving there, and what it last sent us (its clock may differ by seconds)
  SELECT NULL, NULL, p.source, CASE p.origin WHEN 'log' THEN p.unit END, CASE p.origin WHEN 'pcap' THEN p.unit END,
         p.ts_us, printf('on the peer %s: the last message %s before our teardown (our first unanswered request: %s; clocks may differ)',
                         p.device, CASE p.dir WHEN 'recv' THEN 'of ours it received' ELSE 'it sent us' END,
                         strftime('%H:%M:%SZ', i.first_unanswered_us / 1000000, 'unixepoch'))
    FROM temp.inc_peer_side p, i
   WHERE p.ts_us = (SELECT MAX(q.ts_us) FROM temp.inc_peer_side q WHERE q.dir = p.dir AND q.ts_us <= i.ts_us + 5000000)
   GROUP BY p.dir ORDER BY p.dir LIMIT 2)
