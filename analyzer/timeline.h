/*
 * timeline.h — the SQLite timeline writer: opens or creates the database, takes one source
 * at a time as a sink (one transaction per source), and resolves each source's local times.
 *
 * A new database is built under a temporary name next to the final one and renamed into place
 * by tl_close(ok=1); a crash never leaves a half-built file under the final name. An existing
 * database is extended in place, one transaction per source.
 *
 * A capture's rows are written by a helper thread while its parser runs, and its exchanges
 * paired as they are stored (timeline.c); every other call waits for that thread first, so to
 * callers the handle stays single-threaded.
 *
 * Ownership: tl_open returns a handle that tl_close frees (whatever ok says).
 */
#ifndef IKM_TIMELINE_H
#define IKM_TIMELINE_H

#include "../parsers/sink.h"
#include "tz.h"

#include <stdint.h>
#include <stdio.h>

#define TL_SCHEMA_VERSION 6
#define TL_APPLICATION_ID 0x494b4d54 /* "IKMT" */
#define TL_UNPARSED_SAMPLE_MAX 1000  /* unparsed units stored per source (all are counted) */
#define TL_UNPARSED_TEXT_MAX 4096    /* bytes of an unparsed unit stored */
#define TL_DIAG_PRINT_MAX 10         /* diagnostics echoed to stderr per source */

struct sqlite3;
struct tl_db;

/* Returns NULL with a message in err. *created says whether a new DB is being built. */
struct tl_db *tl_open(const char *path, int *created, char *err, size_t errsz);
/* ok=1: finish (indexes, rename a new DB into place); ok=0: discard a new DB. Returns 0 or -1
 * (err set). Frees the handle in both cases. */
int tl_close(struct tl_db *t, int ok, char *err, size_t errsz);
/* CPU seconds the row writer thread has used so far (the threads of captures and logs that
 * ended); for ingest -v, where the reading phase's bound is one of its two threads. */
double tl_writer_cpu_s(const struct tl_db *t);
struct sqlite3 *tl_sqlite(struct tl_db *t);

/* Starts a source: opens its transaction and inserts its row. Diagnostics are echoed to
 * `diag_out` (may be NULL) prefixed with `path`. */
int tl_source_begin(struct tl_db *t, const char *path, const char *kind, const char *device,
                    FILE *diag_out);
/* Where the current source came from (both may be NULL: a loose file). */
int tl_source_origin(struct tl_db *t, const char *bundle, const char *member);
/* The sink that writes rows of the current source. */
struct ikm_sink tl_source_sink(struct tl_db *t);

enum tl_end_result { TL_END_STORED = 0, TL_END_DUPLICATE = 1, TL_END_FAILED = -1 };
struct tl_source_result {
    int64_t source_id;
    int64_t duplicate_of;      /* source id holding the same content */
    char duplicate_path[512];
    char tz[96];
    const char *tz_source;
    int tz_assumed;
};
/* Ends the current source: a source whose sha256 is already stored is rolled back
 * (TL_END_DUPLICATE); otherwise offset-less lines of a file that has offsets take the file's
 * offset, the totals are stored and the transaction committed. Other offset-less rows stay
 * 'pending' for ikm_zone_resolve (zone.h). */
enum tl_end_result tl_source_end(struct tl_db *t, const struct ikm_source_stats *st,
                                 const char *sha256, struct tl_source_result *res, char *err,
                                 size_t errsz);
/* Rolls the current source back (after a parser or sink failure). */
void tl_source_abort(struct tl_db *t);
/* Before a whole-database rewrite (pairing): a database still being built stops journaling,
 * since a failure discards the whole file anyway and an in-memory journal of every rewritten
 * page would grow with the input. No effect on an existing database. */
void tl_before_bulk_update(struct tl_db *t);
/* Back to the rollback-capable in-memory journal (a later source may be a duplicate). */
void tl_after_bulk_update(struct tl_db *t);
/* The zone a stored source's times were resolved with, and how it was found (sources.tz,
 * sources.tz_source); empty strings when none. */
void tl_source_zone(struct tl_db *t, int64_t source_id, char *tz, size_t tzsz, char *src, size_t srcsz);
/* One line of the inventory (source_id <= 0: none). */
int tl_inventory_add(struct tl_db *t, const char *bundle, const char *member, int64_t bytes, const char *kind,
                     const char *status, const char *detail, int64_t source_id);
/* Prints to `out` the inventory rows with id > after_id, one line each, and returns the
 * highest id (for -v). */
int64_t tl_inventory_print(struct tl_db *t, int64_t after_id, FILE *out);
/* The highest source and inventory ids so far (0 when none): what a walk adds comes after. */
void tl_max_ids(struct tl_db *t, int64_t *source_id, int64_t *inventory_id);
/* The hostname (else serial) a bundle's sources added after the given ids (or the sources its
 * duplicate members stand for) give so far, in device (empty when none). 0, or -1. */
int tl_bundle_hostname(struct tl_db *t, const char *bundle, int64_t after_source, int64_t after_inventory,
                       char *device, size_t devsz);
/* The devices' own addresses remembered under `from` (a bundle's path) move to `to` (its name). */
void tl_rename_own_addrs(struct tl_db *t, const char *from, const char *to);
/* Names the device of a bundle's sources added after the given ids after the hostname (else
 * serial) found in them or in the sources its duplicate members stand for, on every row they
 * produced; a label seen before (the same path holding another firewall's file) is not mixed
 * in. Returns 0 and the name used in device (empty when none found), or -1. */
int tl_name_bundle_device(struct tl_db *t, const char *bundle, int64_t after_source, int64_t after_inventory,
                          char *device, size_t devsz);
/* Records a problem with an input or bundle member that never became a source. */
int tl_input_diag_level(struct tl_db *t, const char *bundle, const char *member, const char *check,
                        const char *message, int is_error);
/* Records a problem with an input that never became a source (unreadable, unknown kind). */
int tl_input_diag(struct tl_db *t, const char *path, const char *check, const char *message);

#endif
