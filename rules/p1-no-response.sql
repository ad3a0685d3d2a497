-- id: p1-no-response
-- title: Phase 1 failed: the peer never answered our IKE_SA_INIT / main mode
-- applies-to: p1-fail
-- severity: high
-- remedy: Nothing came back from the peer: check that UDP 500 and 4500 reach it (routes, upstream ACLs, NAT in between), that the peer address in the gateway is right and the peer has a gateway configured for this firewall's address, and that the peer is up; capture on both ends.
--
-- Our phase 1 requests go unanswered in the window and nothing at all comes from the peer, or
-- the failure lines say timeout / retransmission limit.
WITH i AS (SELECT * FROM temp.inc),
unanswered AS (
  SELECT x.* FROM temp.inc_exch x
   WHERE x.local AND x.response_id IS NULL
     AND (x.exch_type IN (34, 2, 4) OR (x.exch_type IS NULL AND x.length > 200))),
heard AS (SELECT COUNT(*) AS n FROM temp.inc_msgs WHERE dir = 'recv'),
logs AS (SELECT e.* FROM temp.inc_events e
          WHERE (e.related OR e.anchor) AND e.kind IN ('p1-fail', 'notify-error', 'ike-sa-down')
            AND json_extract(e.attrs_json, '$.reason') = 'timeout'),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM unanswered) AND (SELECT n FROM heard) = 0 THEN 0.9
                        WHEN EXISTS (SELECT 1 FROM logs) THEN 0.8 ELSE 0 END AS s)
SELECT s AS score,
       printf('%d phase 1 request(s) to %s went unanswered and nothing came back from the peer',
              (SELECT COUNT(*) FROM unanswered), (SELECT peer_ip FROM i)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, u.source, CASE u.origin WHEN 'log' THEN u.req_unit END, CASE u.origin WHEN 'pcap' THEN u.req_unit END,
         u.req_ts_us, printf('phase 1 request unanswered (%d retransmission(s))', u.retransmits)
    FROM unanswered u ORDER BY u.req_ts_us LIMIT 3)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, l.source, l.line, NULL, l.ts_us, l.msg FROM logs l ORDER BY l.ts_us LIMIT 2)
