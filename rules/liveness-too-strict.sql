-- id: liveness-too-strict
-- title: Liveness answers arrive late or only after retransmissions: the check is too strict for the path
-- applies-to: dpd-down, ike-sa-down
-- severity: medium
-- remedy: The peer answers, but slowly or only after retransmissions, so a short liveness interval tears down a working tunnel. Raise the liveness (DPD) interval on both ends (the first seed's remedy: Network > Network Profiles > IKE Gateways > Advanced Options > Liveness Check), and look for the cause of the delay or loss on the path (congestion, QoS, a busy peer).
--
-- In the hour before the first unanswered request: liveness requests answered only after a
-- retransmission, or with a round trip of at least half the interval.
WITH i AS (SELECT * FROM temp.inc),
late AS (
  -- driven by the time index of ike_messages (CROSS JOIN keeps that order, the unary + keeps
  -- SQLite from building an automatic index on the address over the whole table): an hour
  -- of a busy firewall's exchanges is a small part of it. The exchange is read where it is
  -- stored (schema: the `exchanges` view), not through the view, whose union would read the
  -- hour twice: our logged requests carry it in their row, every other one is in exchange_rows.
  SELECT q.ts_us, q.origin, q.frame_or_line AS unit, s.path AS source,
         COALESCE(q.xch_retransmits, e.retransmits) AS retransmits,
         CASE WHEN q.xch_retransmits IS NOT NULL THEN q.xch_rtt_us ELSE e.rtt_us END AS rtt_us
    FROM i CROSS JOIN ike_messages q
    LEFT JOIN exchange_rows e ON e.request_id = q.id AND q.xch_retransmits IS NULL
    JOIN sources s ON s.id = q.source_id
    LEFT JOIN ike_messages r ON r.id = COALESCE(q.xch_response_id, e.response_id)
   WHERE q.ts_us BETWEEN i.ts_us - 3600000000 AND COALESCE(i.first_unanswered_us, i.ts_us)
     AND +q.dst_ip = i.peer_ip
     AND (q.xch_response_id IS NOT NULL OR e.response_id IS NOT NULL)
     AND (COALESCE(q.xch_initiator, e.initiator) = 'local'
          OR (COALESCE(q.xch_initiator, e.initiator) IS NULL AND q.dir = 'sent'))
     AND COALESCE(q.exch_type, r.exch_type) IN (37, 5)
     AND (COALESCE(q.xch_retransmits, e.retransmits) > 0
          OR (CASE WHEN q.xch_retransmits IS NOT NULL THEN q.xch_rtt_us ELSE e.rtt_us END) >= i.interval_s * 500000)
     AND (i.device IS NULL OR +q.device IS NULL OR +q.device = i.device)),
verdict AS (SELECT CASE WHEN (SELECT COUNT(*) FROM late) >= 3 THEN 0.8
                        WHEN (SELECT COUNT(*) FROM late) >= 1 THEN 0.45 ELSE 0 END AS s,
                   (SELECT COUNT(*) FROM late) AS n,
                   (SELECT MAX(rtt_us) FROM late) AS worst)
SELECT s AS score,
       printf('%d liveness request(s) in the hour before were answered late or only after retransmission (worst round trip %.1f s, interval %d s)',
              n, COALESCE(worst, 0) / 1e6, (SELECT interval_s FROM i)) AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, l.source, CASE l.origin WHEN 'log' THEN l.unit END, CASE l.origin WHEN 'pcap' THEN l.unit END,
         l.ts_us, printf('liveness request answered after %.3f s and %d retransmission(s)', l.rtt_us / 1e6, l.retransmits)
    FROM late l ORDER BY l.rtt_us DESC, l.ts_us LIMIT 4)
