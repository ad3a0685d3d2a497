/*
 * routed.h — parser for the routing daemon logs (../shared/formats.md §4.1, §4.2):
 *  - var/log/pan/routed.log (legacy engine; INFERRED shape, the PAN standard family
 *    "YYYY-MM-DD HH:MM:SS.mmm +ZZZZ Level: func(file.c:line): msg"),
 *  - var/log/pan/frr/frr_export.log and ns<N>_frr_*.log (advanced routing engine, FRR):
 *    a "#LR:<name> (<n>)" header, then "YYYY/MM/DD HH:MM:SS DAEMON: msg" lines.
 *
 * Read leniently: every line with a valid timestamp is a parsed record; route additions,
 * deletions and changes, BGP/OSPF neighbour state changes and path-monitor up/down become
 * route-change events (attrs prefix, neighbor, state, from_state, to_state, protocol,
 * logical_router, action). Lines without a timestamp continue the previous record. Every
 * line is counted exactly once as parsed or unparsed.
 *
 * The message patterns are compiled once per process (PCRE2, JIT) on first use and kept for
 * its lifetime; they are immutable afterwards.
 *
 * Ownership: the caller owns the stream and the sink; the parser keeps nothing after
 * routed_parse_stream returns.
 */
#ifndef IKM_ROUTED_H
#define IKM_ROUTED_H

#include "linereader.h"
#include "sink.h"

#include <stddef.h>

/* Confidence 0..100 that buf[0..n) (the first bytes of a file) is a routing daemon log. */
int routed_sniff(const char *buf, size_t n);

/* Reads a whole stream. Returns 0 when the stream was read to its end, 1 when it ended with a
 * read error (reported as a diagnostic; everything before it is kept), -1 on sink or memory
 * failure (or when the patterns cannot be compiled). stats is filled in every case. */
int routed_parse_stream(struct ikm_stream s, const struct ikm_sink *sink,
                        struct ikm_source_stats *stats);

/* The message patterns, for tests: how many, each one's name and verbatim sample, and which
 * one classifies msg (the text after timestamp, level/daemon and tags), or -1. */
size_t routed_pattern_count(void);
const char *routed_pattern_name(size_t i);
const char *routed_pattern_sample(size_t i);
int routed_classify(const char *msg, size_t len);

#endif
