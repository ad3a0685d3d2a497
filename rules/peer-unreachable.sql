-- id: peer-unreachable
-- title: The peer stopped answering and nothing at all arrived from it
-- applies-to: dpd-down, ike-sa-down, tunnel-down
-- severity: high
-- remedy: Check reachability of the peer address from this firewall (ping, traceroute, test routing fib-lookup) and whether the peer itself was up at that time; check ISP or upstream devices on the path. Raising the liveness interval on both ends will not help when the path is down.
--
-- Our liveness requests go unanswered and, from the first unanswered one to the teardown, no
-- IKE message, no ESP packet and no NAT keepalive comes from the peer (after the teardown a peer that is back
-- answers the new IKE_SA_INIT: the recovery, not the outage). Needs measured probes (a capture
-- or ikemgr debug lines): an estimated start proves nothing.
WITH i AS (SELECT * FROM temp.inc),
heard AS (SELECT COUNT(*) AS n FROM temp.inc_msgs m, i
           WHERE m.dir = 'recv' AND m.ts_us > i.first_unanswered_us AND m.ts_us <= i.ts_us),
esp AS (SELECT COALESCE(SUM(e.packets), 0) AS n FROM esp_counts e, i
         WHERE e.src_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)
           AND e.bucket_start_us + 10000000 > i.first_unanswered_us
           AND e.bucket_start_us <= i.ts_us),
ka AS (SELECT COALESCE(SUM(k.packets), 0) AS n FROM nat_keepalives k, i
         WHERE k.src_ip = i.peer_ip AND (i.device IS NULL OR k.device IS NULL OR k.device = i.device)
           AND k.bucket_start_us + 10000000 > i.first_unanswered_us
           AND k.bucket_start_us <= i.ts_us),
verdict AS (SELECT CASE WHEN i.unanswered > 0 AND i.first_unanswered_us IS NOT NULL AND i.first_unanswered_estimated = 0
                         AND heard.n = 0 AND esp.n = 0 AND ka.n = 0 THEN 0.6 ELSE 0 END AS s,
                   i.unanswered AS un, i.first_unanswered_us AS fu, i.peer_ip AS peer
              FROM i, heard, esp, ka)
SELECT s AS score,
       printf('%d liveness request(s) to %s went unanswered from %s on, and nothing (IKE, ESP or NAT keepalive) came back from the peer',
              un, peer, strftime('%Y-%m-%dT%H:%M:%SZ', fu / 1000000, 'unixepoch')) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, x.source, CASE x.origin WHEN 'log' THEN x.req_unit END,
         CASE x.origin WHEN 'pcap' THEN x.req_unit END, x.req_ts_us,
         printf('last answered liveness request (message id %s), answered in %.3f s',
                COALESCE(x.msg_id, '?'), x.rtt_us / 1e6)
    FROM temp.inc_exch x, i
   WHERE x.local AND x.liveness AND x.response_id IS NOT NULL AND x.req_ts_us < i.first_unanswered_us
   ORDER BY x.req_ts_us DESC LIMIT 1)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, x.source, CASE x.origin WHEN 'log' THEN x.req_unit END,
         CASE x.origin WHEN 'pcap' THEN x.req_unit END, x.req_ts_us,
         printf('liveness request to %s unanswered (%d retransmission(s))', i.peer_ip, x.retransmits)
    FROM temp.inc_exch x, i
   WHERE x.local AND x.liveness AND x.response_id IS NULL AND x.req_ts_us >= i.first_unanswered_us
   ORDER BY x.req_ts_us LIMIT 3)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
    FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 2)
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
