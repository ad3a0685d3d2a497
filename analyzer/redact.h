/*
 * redact.h — making a report shareable between companies: IP addresses (v4 and v6) and the
 * names that identify a customer (hostnames, serials, gateway and tunnel names, peer FQDNs,
 * admin names) replaced by tokens, consistently, so that correlations still read the same.
 *
 * A token is a keyed HMAC-SHA256 of the value (and its category), cut to 8 hex digits:
 * "203.0.113.5" → "ip-3f2a91c0", "fw-hq" → "host-9d0c11ab". The key comes from --redact-key
 * (the same key gives the same tokens across reports and bundles) or is random per run.
 * Names the system log cut short map to the token of the configured name they stand for.
 */
#ifndef IKM_REDACT_H
#define IKM_REDACT_H

#include <jansson.h>
#include <stddef.h>

struct sqlite3;
struct ikm_redactor;

#define IKM_REDACT_KEY_MAX 256

/* key may be NULL (a random key). Returns NULL with err set. */
struct ikm_redactor *ikm_redactor_new(const char *key, char *err, size_t errsz);
void ikm_redactor_free(struct ikm_redactor *r);
/* Learns the names to hide from a timeline (devices, facts, configuration, events). */
int ikm_redactor_learn(struct ikm_redactor *r, struct sqlite3 *db, char *err, size_t errsz);
/* Adds one name by hand (category: "host", "sn", "gw", "tun", "fqdn", "admin"). */
int ikm_redactor_add(struct ikm_redactor *r, const char *category, const char *name);
/* The text with every address and known name replaced (malloc'd), or NULL on no memory. */
char *ikm_redact_text(const struct ikm_redactor *r, const char *text);
/* Replaces every string value of a JSON value in place. Returns 0 or -1. */
int ikm_redact_json(const struct ikm_redactor *r, json_t *v);
/* Rewrites every text column of every table of the database (the shareable copy of a
 * timeline). Returns 0, or -1 with err set. */
int ikm_redact_db(const struct ikm_redactor *r, struct sqlite3 *db, char *err, size_t errsz);

#endif
