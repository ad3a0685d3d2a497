/*
 * linereader.c — buffered line splitting over an ikm_stream (see linereader.h).
 *
 * The buffer holds IKM_LINE_MAX plus one read chunk, so any line that fits the limit is
 * found with at most one compaction; an over-long line keeps its first IKM_LINE_MAX bytes in
 * place while the rest is read into the chunk area and dropped.
 */
#include "linereader.h"

#include <stdlib.h>
#include <string.h>

#define LR_CHUNK ((size_t)256 << 10)

int ikm_lr_init(struct ikm_linereader *lr, struct ikm_stream stream)
{
    memset(lr, 0, sizeof *lr);
    lr->stream = stream;
    lr->cap = IKM_LINE_MAX + LR_CHUNK;
    /* zeroed once: PCRE2's JIT scans in aligned words that may extend past a subject's end
     * (within the buffer); defined bytes there keep valgrind's checks meaningful */
    lr->buf = calloc(1, lr->cap);
    if (!lr->buf)
        return -1;
    lr->next_number = 1;
    return 0;
}

void ikm_lr_free(struct ikm_linereader *lr)
{
    free(lr->buf);
    lr->buf = NULL;
}

const char *ikm_lr_error(const struct ikm_linereader *lr)
{
    if (!lr->failed)
        return NULL;
    const char *e = lr->stream.error ? lr->stream.error(lr->stream.ctx) : NULL;
    return e ? e : "read error";
}

int64_t ikm_lr_bytes(const struct ikm_linereader *lr)
{
    return lr->consumed;
}

/* Reads into buf[end..cap); returns bytes read (0 at end or on error, which sets flags). */
static size_t lr_fill(struct ikm_linereader *lr, size_t at)
{
    if (lr->eof || at >= lr->cap)
        return 0;
    ssize_t n = lr->stream.read(lr->stream.ctx, lr->buf + at, lr->cap - at);
    if (n < 0) {
        lr->failed = 1;
        lr->eof = 1;
        return 0;
    }
    if (n == 0) {
        lr->eof = 1;
        return 0;
    }
    return (size_t)n;
}

static int lr_deliver(struct ikm_linereader *lr, struct ikm_line *out, size_t start,
                      uint64_t full_len, int newline)
{
    size_t len = full_len > IKM_LINE_MAX ? IKM_LINE_MAX : (size_t)full_len;
    out->ptr = lr->buf + start;
    out->full_len = full_len;
    out->truncated = full_len > IKM_LINE_MAX;
    out->had_cr = 0;
    if (!out->truncated && len > 0 && out->ptr[len - 1] == '\r') {
        len--;
        out->had_cr = 1;
    }
    out->len = len;
    out->number = lr->next_number++;
    out->offset = lr->consumed;
    out->no_newline = !newline;
    lr->consumed += (int64_t)full_len + (newline ? 1 : 0);
    return 1;
}

/* The line starting at buf[start] is longer than the limit and has no newline in the buffer:
 * keep its head at buf[0..IKM_LINE_MAX), drop the rest up to the newline. */
static int lr_skip_long(struct ikm_linereader *lr, struct ikm_line *out)
{
    memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
    lr->end -= lr->start;
    lr->start = 0;
    uint64_t full = lr->end;
    lr->end = IKM_LINE_MAX;
    for (;;) {
        size_t n = lr_fill(lr, IKM_LINE_MAX);
        if (n == 0) {
            lr->start = lr->end = lr->scan = IKM_LINE_MAX;
            return lr_deliver(lr, out, 0, full, 0);
        }
        char *chunk = lr->buf + IKM_LINE_MAX;
        char *nl = memchr(chunk, '\n', n);
        if (nl) {
            full += (uint64_t)(nl - chunk);
            lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
            lr->end = IKM_LINE_MAX + n;
            return lr_deliver(lr, out, 0, full, 1);
        }
        full += n;
    }
}

int ikm_lr_next(struct ikm_linereader *lr, struct ikm_line *out)
{
    for (;;) {
        if (lr->scan < lr->end) {
            char *nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
            if (nl) {
                size_t s = lr->start;
                lr->start = lr->scan = (size_t)(nl - lr->buf) + 1;
                return lr_deliver(lr, out, s, (uint64_t)(nl - (lr->buf + s)), 1);
            }
            lr->scan = lr->end;
        }
        if (lr->end - lr->start > IKM_LINE_MAX)
            return lr_skip_long(lr, out);
        if (lr->eof) {
            if (lr->start < lr->end) {
                size_t s = lr->start;
                lr->start = lr->scan = lr->end;
                return lr_deliver(lr, out, s, lr->end - s, 0);
            }
            return lr->failed ? -1 : 0;
        }
        if (lr->start > 0 && lr->cap - lr->end < LR_CHUNK) {
            memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
            lr->end -= lr->start;
            lr->scan -= lr->start;
            lr->start = 0;
        }
        size_t n = lr_fill(lr, lr->end);
        lr->end += n;
    }
}
