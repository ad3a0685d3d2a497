/*
 * panlog_csv.h — reader of PAN-OS logs in CSV form: bare CSV (GUI exports, collectors) and
 * forwarded syslog (RFC 3164 with or without PRI and host, RFC 5424 with an octet-count
 * prefix); ../shared/formats.md §2.2 (SYSTEM) and §3 (CONFIG).
 *
 * A stream may mix log types. SYSTEM rows become classified events (panlog_classify),
 * CONFIG rows become config-commit / policy-change / other events, every other type
 * (TRAFFIC, THREAT, ...) is counted as parsed and skipped. CEF and LEEF lines are unparsed
 * with a reason that says so. Every line is counted exactly once as parsed or unparsed.
 *
 * Time: the Generated Time orders events (device-local, IKM_TZ_PENDING) unless the row has
 * the 10.x high-resolution timestamp, whose offset makes it IKM_TZ_LINE.
 *
 * Ownership: the stream and the sink stay the caller's.
 */
#ifndef IKM_PANLOG_CSV_H
#define IKM_PANLOG_CSV_H

#include "linereader.h"
#include "sink.h"

/* Confidence 0..100 that buf[0..n) (the first bytes of a file) is PAN-OS CSV / syslog. */
int panlog_csv_sniff(const char *buf, size_t n);

/* Reads a whole stream. Returns 0 when it was read to its end, 1 when it ended with a read
 * error (reported as a diagnostic; everything before it is kept), -1 on sink or memory
 * failure. stats is filled in every case. */
int panlog_csv_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats);

#endif
