/*
 * fuzz_util.h — what every parser fuzz target shares: the fuzzer's bytes as an ikm_stream
 * delivered in uneven reads (they exercise the readers' buffer edges), and a check that
 * touches the first and last byte of every string a sink is given, so that ASan flags a
 * length that runs past its buffer.
 */
#ifndef IKM_FUZZ_UTIL_H
#define IKM_FUZZ_UTIL_H

#include "../../parsers/linereader.h"
#include "../../parsers/sink.h"

#include <stdint.h>
#include <string.h>

struct fz_stream {
    const uint8_t *p;
    size_t len, pos;
};

static inline ssize_t fz_read(void *ctx, void *buf, size_t n)
{
    struct fz_stream *s = ctx;
    size_t k = s->len - s->pos;
    if (k > n)
        k = n;
    if (k > 7)
        k = 7 + (s->pos % 61);
    if (k > s->len - s->pos)
        k = s->len - s->pos;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static inline struct ikm_stream fz_stream_of(struct fz_stream *fs, const uint8_t *data, size_t size)
{
    fs->p = data;
    fs->len = size;
    fs->pos = 0;
    struct ikm_stream st = {fs, fz_read, NULL};
    return st;
}

static inline void check_str(struct ikm_str s)
{
    if (s.ptr && s.len > 0) {
        volatile char c = s.ptr[0];
        volatile char d = s.ptr[s.len - 1];
        (void)c, (void)d;
    }
}

#endif
