-- id: rekey-failure
-- title: A rekey failed or went unanswered just before the drop
-- applies-to: dpd-down, ike-sa-down, tunnel-down, p2-fail
-- severity: medium
-- remedy: The SA could not be renewed: compare the IKE and IPsec crypto profiles of both ends (lifetimes, DH group/PFS — "message lacks KE payload" means one side wants PFS and the other does not), and if the drops recur near the SA lifetime, make the lifetimes match or set this side's lifetime shorter than the peer's so this side always rekeys first.
--
-- In the window: a CREATE_CHILD_SA (36) or IKEv1 quick mode (32) request of ours unanswered or
-- answered with NO_PROPOSAL_CHOSEN (14) / INVALID_KE_PAYLOAD (17), or rekey / PFS failure lines.
-- Drops of the same tunnel 50–70 minutes apart (a typical lifetime) raise the score.
WITH i AS (SELECT * FROM temp.inc),
fails AS (
  SELECT x.source, x.origin, x.req_unit AS unit, x.req_ts_us AS ts_us,
         CASE WHEN x.response_id IS NULL THEN 'rekey request (CREATE_CHILD_SA) unanswered'
              ELSE printf('rekey answered with notify %d (%s)', x.notify_error,
                          CASE x.notify_error WHEN 14 THEN 'NO_PROPOSAL_CHOSEN' WHEN 17 THEN 'INVALID_KE_PAYLOAD' ELSE 'error' END) END AS text
    FROM temp.inc_exch x, i
   WHERE x.local AND x.exch_type IN (36, 32) AND x.req_ts_us <= i.last_us
     AND (x.response_id IS NULL OR x.notify_error IN (14, 17))
  UNION ALL
  SELECT e.source, 'log', e.line, e.ts_us, e.msg FROM temp.inc_events e, i
   WHERE (e.related OR e.anchor) AND e.ts_us <= i.last_us
     AND (json_extract(e.attrs_json, '$.reason') IN ('rekey-failed', 'pfs', 'dh-group')
          OR (e.kind IN ('p2-fail', 'notify-error') AND json_extract(e.attrs_json, '$.reason') = 'proposal'))),
again AS (SELECT o.* FROM incidents o, i
           WHERE o.id <> i.id AND names_compatible(o.tunnel, i.tunnel)
             AND (i.device IS NULL OR o.device IS NULL OR o.device = i.device)
             AND ABS(o.ts_us - i.ts_us) BETWEEN 3000000000 AND 4200000000),
verdict AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM fails) AND EXISTS (SELECT 1 FROM again) THEN 0.9
                        WHEN EXISTS (SELECT 1 FROM fails) THEN 0.8 ELSE 0 END AS s)
SELECT s AS score,
       printf('%d failed or unanswered rekey(s) just before the drop%s', (SELECT COUNT(*) FROM fails),
              CASE WHEN EXISTS (SELECT 1 FROM again) THEN ', and the tunnel also dropped about an hour apart (near an SA lifetime)' ELSE '' END)
         AS summary,
       NULL AS source, NULL AS line, NULL AS frame, NULL AS ts_us, NULL AS text
  FROM verdict
UNION ALL
SELECT * FROM (
  SELECT NULL, NULL, f.source, CASE f.origin WHEN 'log' THEN f.unit END, CASE f.origin WHEN 'pcap' THEN f.unit END,
         f.ts_us, f.text FROM fails f ORDER BY f.ts_us LIMIT 4)
UNION ALL
SELECT * FROM (SELECT NULL, NULL, e.source, e.line, NULL, e.ts_us, e.msg
                 FROM temp.inc_events e WHERE e.anchor ORDER BY e.ts_us LIMIT 1)
