/*
 * rowwriter.h — stores the timeline's high-volume rows: the IKE messages and exchanges of
 * captures and logs (millions per input). It owns their inserts and the thread that runs them
 * while the parser's thread reads on; timeline.c fills the rows and says when a source begins
 * and ends.
 *
 * One thread uses the connection at a time: while a writer thread runs, everything else that
 * touches the database first waits until it has stored what it was given (rw_sync).
 */
#ifndef IKM_ROWWRITER_H
#define IKM_ROWWRITER_H

#include "pairing.h"

#include "../parsers/sink.h"

#include <stdint.h>
#include <stdio.h>

struct sqlite3;

enum rw_kind {
    CAP_MSG,  /* a captured message, with its predicted row id */
    CAP_XCH,  /* a capture's exchange (exchange_rows) */
    LOG_MSG,  /* a logged message, with its id and derived values (ikm_log_pairer), and the
               * exchange it opens when x.request_id is set */
    LOG_XCH,  /* a log's exchange of its own (exchange_rows) */
    LOG_BUMP, /* one more retransmit on the exchange of request `id` */
};

/* A row waiting to be stored: a message (copied: the parser's record is borrowed) or an
 * exchange. */
struct rw_row {
    enum rw_kind kind;
    int64_t id, retransmit_of; /* message: its row id, the request it repeats (0) */
    struct ikm_exchange x;
    struct ikm_ike_msg m;
};

struct row_writer;

/* Prepares the inserts on db (a timeline with its tables). NULL with err on failure. */
struct row_writer *rw_open(struct sqlite3 *db, char *err, size_t errsz);
/* Stops the thread (after storing what it holds) and frees everything. */
void rw_close(struct row_writer *w);

/* The source the next rows belong to; device is borrowed until the next call. Database
 * failures are reported on diag_out (may be NULL). */
void rw_source(struct row_writer *w, int64_t source_id, const char *device, FILE *diag_out);

/* Starts the writer thread if none runs; without one (it cannot start), rows are stored in
 * place as they are committed. */
void rw_start(struct row_writer *w);
int rw_running(const struct row_writer *w);

/* The row to fill next: the next free one of the batch being filled, or `local` when rows
 * are stored in place; NULL after a failure. rw_commit hands it over (or stores it). */
struct rw_row *rw_slot(struct row_writer *w, struct rw_row *local);
int rw_commit(struct row_writer *w, struct rw_row *r);

/* Waits until every row handed over is stored. -1 when one could not be (reported once). */
int rw_sync(struct row_writer *w);
/* rw_sync, then ends the thread. */
void rw_stop(struct row_writer *w);

/* Message rows stored since rw_source (after rw_sync or rw_stop). */
int64_t rw_source_messages(const struct row_writer *w);

/* CPU seconds of the writer threads that ended (ingest -v). */
double rw_cpu_s(const struct row_writer *w);

#endif
