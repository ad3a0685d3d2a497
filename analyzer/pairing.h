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
    int peers_overflow; /* more remote addresses than the pairing table holds */
};

/* Rebuilds the log-origin exchanges of the whole database in one transaction. Returns 0, or
 * -1 with a message in err (the database is left as it was). */
int ikm_pair_log_exchanges(struct sqlite3 *db, struct ikm_pair_stats *stats, char *err, size_t errsz);

#endif
