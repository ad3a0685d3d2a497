/*
 * linereader.h — splits a byte stream into lines without per-line allocation.
 *
 * Lines are delivered as (pointer, length) into the reader's own buffer, valid until the next
 * call. A trailing "\r" is removed (had_cr says so). A line longer than IKM_LINE_MAX is cut to
 * IKM_LINE_MAX bytes, the rest is skipped up to the newline, and full_len gives the real
 * length. NUL bytes and invalid UTF-8 pass through untouched: lines are byte strings.
 *
 * Ownership: the reader owns its buffer; ikm_lr_free releases it. The stream stays the
 * caller's.
 */
#ifndef IKM_LINEREADER_H
#define IKM_LINEREADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IKM_LINE_MAX ((size_t)1 << 20) /* 1 MiB: longer lines are cut and reported */

/* A readable byte stream: read returns bytes read, 0 at end, -1 on error (then error()
 * may say why). */
struct ikm_stream {
    void *ctx;
    ssize_t (*read)(void *ctx, void *buf, size_t n);
    const char *(*error)(void *ctx);
};

struct ikm_line {
    const char *ptr;
    size_t len;        /* bytes delivered (<= IKM_LINE_MAX), without newline and CR */
    uint64_t full_len; /* real length of the line without newline */
    int64_t number;    /* 1-based */
    int64_t offset;    /* byte offset of the line's first byte in the stream */
    int truncated;     /* full_len > len because the line exceeded IKM_LINE_MAX */
    int had_cr;
    int no_newline;    /* last line of the stream, not newline-terminated */
};

struct ikm_linereader {
    struct ikm_stream stream;
    char *buf;
    size_t cap, start, end, scan;
    int64_t next_number;
    int64_t consumed;      /* stream offset of buf[start] */
    int eof, failed;
};

/* Returns 0, or -1 when the buffer cannot be allocated. */
int ikm_lr_init(struct ikm_linereader *lr, struct ikm_stream stream);
/* Returns 1 with a line, 0 at end of stream, -1 on a read error (lines already delivered
 * stand; ikm_lr_error tells why). */
int ikm_lr_next(struct ikm_linereader *lr, struct ikm_line *out);
const char *ikm_lr_error(const struct ikm_linereader *lr);
int64_t ikm_lr_bytes(const struct ikm_linereader *lr); /* bytes consumed so far */
void ikm_lr_free(struct ikm_linereader *lr);

#endif
