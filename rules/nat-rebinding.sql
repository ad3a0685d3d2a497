-- id: nat-rebinding
-- title: The peer's NAT mapping changed mid-SA; our requests go to the stale address/port
-- applies-to: dpd-down, ike-sa-down, tunnel-down, tunnel-no-traffic
-- severity: medium
-- remedy: A NAT device in front of the peer (or of this firewall) gave the flow a new public address/port and the old mapping stopped working. Keep the mapping alive (NAT keepalives on, NAT-T enabled on both gateways, a NAT session timeout on the NAT device longer than the keepalive interval), or give the peer a static NAT; on PAN-OS enable NAT Traversal on the IKE gateway.
--
-- Within the SA (same SPIs, or the peer's address) the peer's messages come from more than one
-- NAT-T endpoint (port 500 is left out: moving from 500 to 4500 is NAT-T's normal start), and
-- after the newest endpoint appears we still send to an older one.
WITH i AS (SELECT * FROM temp.inc),
eps AS (SELECT src_ip, src_port, MIN(ts_us) AS first_us, MAX(ts_us) AS last_us, COUNT(*) AS n
          FROM temp.inc_msgs WHERE dir = 'recv' AND src_port IS NOT NULL AND src_port <> 500
         GROUP BY src_ip, src_port),
newest AS (SELECT * FROM eps ORDER BY first_us DESC LIMIT 1),
oldest AS (SELECT * FROM eps ORDER BY first_us LIMIT 1),
stale AS (SELECT m.* FROM temp.inc_msgs m, newest
           WHERE m.dir = 'sent' AND m.ts_us > newest.first_us
             AND (m.dst_ip <> newest.src_ip OR m.dst_port <> newest.src_port)),
verdict AS (SELECT CASE WHEN (SELECT COUNT(*) FROM eps) >= 2 AND EXISTS (SELECT 1 FROM stale) THEN 0.85
                        WHEN (SELECT COUNT(*) FROM eps) >= 2 THEN 0.5 ELSE 0 END AS s)
SELECT s AS score,
       printf('the peer moved from %s[%d] to %s[%d] mid-SA%s',
              (SELECT src_ip FROM oldest), (SELECT src_port FROM oldest),
              (SELECT src_ip FROM newest), (SELECT src_port FROM newest),
              CASE WHEN EXISTS (SELECT 1 FROM stale)
                   THEN printf(', and %d later message(s) of ours still went to the old mapping', (SELECT COUNT(*) FROM stale))
                   ELSE '' END) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, m.source, CASE m.origin WHEN 'log' THEN m.unit END, CASE m.origin WHEN 'pcap' THEN m.unit END,
         m.ts_us, printf('last message from the old endpoint %s[%d]', m.src_ip, m.src_port)
    FROM temp.inc_msgs m, oldest
   WHERE m.dir = 'recv' AND m.src_ip = oldest.src_ip AND m.src_port = oldest.src_port
   ORDER BY m.ts_us DESC LIMIT 1)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, m.source, CASE m.origin WHEN 'log' THEN m.unit END, CASE m.origin WHEN 'pcap' THEN m.unit END,
         m.ts_us, printf('first message from the new endpoint %s[%d]', m.src_ip, m.src_port)
    FROM temp.inc_msgs m, newest
   WHERE m.dir = 'recv' AND m.src_ip = newest.src_ip AND m.src_port = newest.src_port
   ORDER BY m.ts_us LIMIT 1)
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, m.source, CASE m.origin WHEN 'log' THEN m.unit END, CASE m.origin WHEN 'pcap' THEN m.unit END,
         m.ts_us, printf('our message still sent to the old mapping %s[%d]', m.dst_ip, m.dst_port)
    FROM stale m ORDER BY m.ts_us LIMIT 2)
