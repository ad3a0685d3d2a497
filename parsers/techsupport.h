/*
 * techsupport.h — parser for the tech-support CLI dump tmp/cli/techsupport_<host>_<date>.txt
 * (../shared/formats.md §5 and §6): the output of a few hundred commands, each section opened
 * by a line "> <command>" at column 0.
 *
 * Every value the parser understands becomes an ikm_cli_value row (command, its occurrence in
 * the file, object, key, value); a few become device facts (hostname, serial, model,
 * sw-version, advanced-routing, clock, clock-zone, clock-local, ha-state...). Sections of
 * commands it does not know are counted as parsed and produce no rows. Every line is counted
 * exactly once as parsed or unparsed.
 *
 * Ownership: the caller owns the stream and the sink; the parser keeps nothing after
 * techsupport_parse_stream returns.
 */
#ifndef IKM_TECHSUPPORT_H
#define IKM_TECHSUPPORT_H

#include "linereader.h"
#include "sink.h"

#include <stddef.h>

/* Confidence 0..100 that buf[0..n) (the first bytes of a file) is a tech-support CLI dump. */
int techsupport_sniff(const char *buf, size_t n);

/* Reads a whole stream. Returns 0 when the stream was read to its end, 1 when it ended with a
 * read error (reported as a diagnostic; everything before it is kept), -1 on sink or memory
 * failure. stats is filled in every case. */
int techsupport_parse_stream(struct ikm_stream s, const struct ikm_sink *sink,
                             struct ikm_source_stats *stats);

#endif
