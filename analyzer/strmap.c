/*
 * strmap.c — a string-keyed open-addressing hash map whose values are indexes into the
 * caller's own array (see strmap.h).
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>


static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static int strmap_grow(struct ikm_strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 256;
    char **nk = calloc(ncap, sizeof *nk);
    uint32_t *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = hash_str(m->keys[i]) & (ncap - 1);
        while (nk[j])
            j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
    return 0;
}

/* Index stored for key; when absent, stores `next` and sets *added. -1: full or no memory. */
int64_t ikm_strmap_get(struct ikm_strmap *m, const char *key, uint32_t next, int *added)
{
    *added = 0;
    if (m->cap) {
        size_t j = hash_str(key) & (m->cap - 1);
        while (m->keys[j]) {
            if (strcmp(m->keys[j], key) == 0)
                return m->vals[j];
            j = (j + 1) & (m->cap - 1);
        }
    }
    if (m->used >= (m->max_keys ? m->max_keys : IKM_STRMAP_DEFAULT_MAX) || ((m->used + 1) * 2 > m->cap && strmap_grow(m) < 0))
        return -1;
    size_t j = hash_str(key) & (m->cap - 1);
    while (m->keys[j])
        j = (j + 1) & (m->cap - 1);
    if (!(m->keys[j] = strdup(key)))
        return -1;
    m->vals[j] = next;
    m->used++;
    *added = 1;
    return next;
}

int ikm_strmap_has(const struct ikm_strmap *m, const char *key)
{
    if (!m->cap)
        return 0;
    size_t j = hash_str(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (strcmp(m->keys[j], key) == 0)
            return 1;
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

void ikm_strmap_free(struct ikm_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    size_t max = m->max_keys;
    memset(m, 0, sizeof *m);
    m->max_keys = max;
}

