/*
 * pairing.h — request/response pairing of IKE messages into the `exchanges` (schema): the
 * whole-database pass after ingest (logs, and captures that need pairing across sources),
 * and the capture pairer the timeline sink runs while a capture is stored. One state
 * machine per origin serves both (pairing.c).
 */
#ifndef IKM_PAIRING_H
#define IKM_PAIRING_H

#include "../parsers/sink.h"

#include <stdint.h>
#include <stddef.h>

struct sqlite3;
struct ikm_capture_pairer;

struct ikm_pair_stats {
    int64_t exchanges, answered;
    int64_t log_exchanges, capture_exchanges;
    int keys_overflow; /* more peers or IKE SAs than the pairing tables hold */
};

/* Rebuilds the exchanges of the whole database (log and capture origin) in one transaction,
 * and the per-source counts of those it paired again (sources.exchanges, .answered). stats:
 * the totals after it (from those counts), or NULL. Returns 0, or -1 with a message in err
 * (the database is left as it was). */
int ikm_pair_exchanges(struct sqlite3 *db, struct ikm_pair_stats *stats, char *err, size_t errsz);

/* Has ikm_pair_exchanges pair a source again, with the others of its device, although it was
 * paired as it was stored (times moved, bounds overflowed, rows dropped). 0, or -1 with err. */
int ikm_pair_redo(struct sqlite3 *db, int64_t source_id, char *err, size_t errsz);

/* An exchange as pairing derives it (a row of `exchanges`). */
struct ikm_exchange {
    int64_t request_id;
    int64_t response_id; /* 0: unanswered */
    int64_t rtt_us;      /* -1: none (unanswered, or a clock stepped back) */
    int32_t retransmits;
    const char *initiator; /* "local", "peer" or NULL (static) */
};

/* Pairs one capture source's messages as they are stored, in frame order, handing each
 * exchange to `emit` (which returns 0, or -1 to stop). `dir` and `initiator` are set from the
 * addresses given by ikm_capture_pairer_local, and checked again by ikm_pair_exchanges, which
 * knows the device's addresses once every source is read.
 * NULL on no memory. */
struct ikm_capture_pairer *ikm_capture_pairer_new(int (*emit)(void *ctx, const struct ikm_exchange *x), void *ctx);
/* One of the device's own addresses, known before the capture is read (its logs' sends, its
 * gateways' local IPs): messages and exchanges that have it as an end get their dir ("sent",
 * "recv") and initiator ("local", "peer") here rather than in ikm_pair_exchanges, which then
 * rewrites only what addresses learned later change. 0, or -1 on no memory. */
int ikm_capture_pairer_local(struct ikm_capture_pairer *p, const char *ip);
/* The message about to be stored as row `id`: *retransmit_of is the request row it repeats
 * (0: none), *dir its direction when its ends include a known own address (else NULL).
 * Returns 0, or -1 when emit failed. */
int ikm_capture_pairer_add(struct ikm_capture_pairer *p, int64_t id, const struct ikm_ike_msg *m,
                           int64_t *retransmit_of, const char **dir);
/* Closes the requests still waiting (unanswered). *overflow: more IKE SAs were waiting at
 * once than the pairer holds, and the messages of the rest were not paired. 0 or -1. */
int ikm_capture_pairer_finish(struct ikm_capture_pairer *p, int *overflow);
/* The exchanges paired so far (after finish: all of the capture's), and how many answered. */
void ikm_capture_pairer_totals(const struct ikm_capture_pairer *p, int64_t *exchanges, int64_t *answered);
void ikm_capture_pairer_free(struct ikm_capture_pairer *p);

/* Pairs one log source's messages as they are stored, in line order, as the whole-database
 * pass pairs a device that has that one log: a message becomes a row (through `row`) once
 * what pairing derives for it is known — our request and its copies wait for the response,
 * which gives them its message id — so no row is updated afterwards. Row ids are assigned by
 * the caller and may reach `row` out of order; an exchange is named by its request's. Our
 * request's exchange comes with its row (`row`'s x, stored in the row: schema, exchanges);
 * the peer's, whose row is stored before we answer, comes through `exchange`. */
struct ikm_log_pairer;
struct ikm_log_pairer_out {
    void *ctx;
    /* x: the exchange this row opens, or NULL */
    int (*row)(void *ctx, int64_t id, const struct ikm_ike_msg *m, int64_t retransmit_of,
               const struct ikm_exchange *x);
    int (*exchange)(void *ctx, const struct ikm_exchange *x);
    /* one more retransmit of that exchange (only ever the peer's: an exchange_rows row) */
    int (*bump)(void *ctx, int64_t request_id);
};
struct ikm_log_pairer *ikm_log_pairer_new(const struct ikm_log_pairer_out *out);
/* Each returns 0, or -1 when an out callback failed or on no memory. */
int ikm_log_pairer_add(struct ikm_log_pairer *p, int64_t id, const struct ikm_ike_msg *m);
/* Closes what is still waiting and stores the rows held. *redo: the source must be paired by
 * ikm_pair_exchanges after all (times not final, more peers or held rows than the bounds). */
int ikm_log_pairer_finish(struct ikm_log_pairer *p, int *redo);
/* As ikm_capture_pairer_totals, for the log. */
void ikm_log_pairer_totals(const struct ikm_log_pairer *p, int64_t *exchanges, int64_t *answered);
void ikm_log_pairer_free(struct ikm_log_pairer *p);

#endif
