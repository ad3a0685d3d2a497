/*
 * panlog_cli.h — reader of the PAN-OS `show log system` CLI text (also
 * tmp/cli/logs/show_log_system.txt in a tech-support file; ../shared/formats.md §2.1).
 *
 * Each entry becomes one event (classified by panlog_classify), timed with the device-local
 * clock only (IKM_TZ_PENDING: the timeline writer resolves it with the device's zone). Every
 * line is counted exactly once as parsed or unparsed.
 *
 * Ownership: the stream and the sink stay the caller's.
 */
#ifndef IKM_PANLOG_CLI_H
#define IKM_PANLOG_CLI_H

#include "linereader.h"
#include "sink.h"

/* Confidence 0..100 that buf[0..n) (the first bytes of a file) is `show log system` text. */
int panlog_cli_sniff(const char *buf, size_t n);

/* Reads a whole stream. Returns 0 when it was read to its end, 1 when it ended with a read
 * error (reported as a diagnostic; everything before it is kept), -1 on sink or memory
 * failure. stats is filled in every case. */
int panlog_cli_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats);

#endif
