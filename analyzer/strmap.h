/*
 * strmap.h — a string-keyed hash map from a key to a 32-bit value (typically an index into the
 * caller's array), bounded by max_keys so that input cannot grow it without limit.
 *
 * Ownership: the map copies keys; ikm_strmap_free releases them.
 */
#ifndef IKM_STRMAP_H
#define IKM_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#define IKM_STRMAP_DEFAULT_MAX ((size_t)1 << 20)

struct ikm_strmap {
    char **keys;
    uint32_t *vals;
    size_t cap, used;
    size_t max_keys; /* 0: IKM_STRMAP_DEFAULT_MAX */
};

/* The value stored for key; when absent, stores `next` and sets *added. -1: the map is full
 * (max_keys) or memory ran out. */
int64_t ikm_strmap_get(struct ikm_strmap *m, const char *key, uint32_t next, int *added);
int ikm_strmap_has(const struct ikm_strmap *m, const char *key);
void ikm_strmap_free(struct ikm_strmap *m);

#endif
