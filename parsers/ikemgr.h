/*
 * ikemgr.h — parser for the PAN-OS IKE daemon log, ikemgr.log and ikemgr-ng.log
 * (../shared/formats.md §1).
 *
 * Two objects:
 *  - a catalog: the compiled message classifiers (PCRE2 with JIT), built once and shared by
 *    any number of files; immutable after creation;
 *  - a file: the per-source state (record in progress, pending received message, tz).
 *
 * A file is fed line by line (ikemgr_file_line) or a whole stream at once
 * (ikemgr_parse_stream). Every line is counted exactly once as parsed or unparsed.
 *
 * Ownership: the caller owns the catalog and the sink; ikemgr_file_free frees the file
 * state only. The catalog must outlive every file made from it.
 */
#ifndef IKM_IKEMGR_H
#define IKM_IKEMGR_H

#include "linereader.h"
#include "sink.h"

struct ikemgr_catalog;
struct ikemgr_file;

/* Returns NULL on failure with a message in err. */
struct ikemgr_catalog *ikemgr_catalog_new(char *err, size_t errsz);
void ikemgr_catalog_free(struct ikemgr_catalog *cat);

/* Number of catalog entries, and each one's name and verbatim sample (for tests). */
size_t ikemgr_catalog_size(void);
const char *ikemgr_catalog_entry_name(size_t i);
const char *ikemgr_catalog_entry_sample(size_t i);
/* Index of the entry that classifies msg (the message text after level/context), or -1. */
int ikemgr_catalog_classify(const struct ikemgr_catalog *cat, const char *msg, size_t len);

struct ikemgr_file *ikemgr_file_new(const struct ikemgr_catalog *cat, const struct ikm_sink *sink);
/* Returns 0, or -1 when the sink refused a record (the parse should stop). */
int ikemgr_file_line(struct ikemgr_file *f, const struct ikm_line *line);
/* Flushes what is pending and fills stats. Returns 0 or -1 (sink failure). */
int ikemgr_file_finish(struct ikemgr_file *f, struct ikm_source_stats *stats);
void ikemgr_file_free(struct ikemgr_file *f);

/* Reads a whole stream. Returns 0 when the stream was read to its end, 1 when it ended with
 * a read error (reported as a diagnostic; everything before it is kept), -1 on sink or
 * memory failure. */
int ikemgr_parse_stream(const struct ikemgr_catalog *cat, struct ikm_stream stream,
                        const struct ikm_sink *sink, struct ikm_source_stats *stats);

/* Content sniffing: how many of the first lines of buf[0..n) have an ikemgr timestamp
 * prefix, and how many non-empty lines were looked at. */
void ikemgr_sniff(const char *buf, size_t n, int *matching, int *looked);

#endif
