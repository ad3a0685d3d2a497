-- id: message-id-desync
-- title: IKE message ids out of step between the peers
-- applies-to: dpd-down, ike-sa-down, tunnel-down
-- severity: medium
-- remedy: The two ends disagree on the IKE SA's message ids (a response with an unexpected id, skipped or repeated ids), so requests are dropped as stale and liveness fails. Clear the IKE SA on both ends (clear vpn ike-sa gateway <name>; test vpn ike-sa gateway <name>), check for a known ikemgr issue in the release notes of both versions, and capture (debug ike pcap on) if it recurs.
--
-- ikemgr's "response message_id X expected Y" with X ≠ Y, and in a capture request ids that
-- skip or go back within one SA and direction, in the window.
WITH i AS (SELECT * FROM temp.inc),
probs AS (SELECT * FROM temp.inc_msgid),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM probs WHERE kind = 'mismatch') THEN 0.8
                        WHEN (SELECT COUNT(*) FROM probs) >= 1 THEN 0.7 ELSE 0 END AS s,
                   (SELECT COUNT(*) FROM probs WHERE kind = 'mismatch') AS mism,
                   (SELECT COUNT(*) FROM probs WHERE kind = 'gap') AS gaps,
                   (SELECT COUNT(*) FROM probs WHERE kind = 'repeat') AS reps)
SELECT s AS score,
       printf('message ids out of step: %d mismatch(es) with the expected id, %d gap(s), %d repeat(s)', mism, gaps, reps)
         AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, p.source, CASE p.origin WHEN 'log' THEN p.unit END, CASE p.origin WHEN 'pcap' THEN p.unit END,
         p.ts_us, p.text
    FROM probs p ORDER BY p.ts_us LIMIT 4)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
