/*
 * pairing.h — request/response pairing of IKE messages into the `exchanges` table.
 */
#ifndef IKM_PAIRING_H
#define IKM_PAIRING_H

#include <stdint.h>
#include <stddef.h>

struct sqlite3;

struct ikm_pair_stats {
    int64_t exchanges, answered;
    int64_t log_exchanges, capture_exchanges;
    int keys_overflow; /* more peers or IKE SAs than the pairing tables hold */
};

/* Rebuilds the exchanges of the whole database (log and capture origin) in one transaction.
 * Returns 0, or -1 with a message in err (the database is left as it was). */
int ikm_pair_exchanges(struct sqlite3 *db, struct ikm_pair_stats *stats, char *err, size_t errsz);

#endif
