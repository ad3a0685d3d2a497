/*
 * fuzz_walk.c — libFuzzer entry for the archive walker (analyzer/walk.c over analyzer/input.c
 * and libarchive): the input is the bytes of one named input — a tar or zip, compressed
 * or not, nested or not, or no archive at all — walked from a memory stream with small caps.
 * Every leaf is read to its end through its decompressed stream and hashed, as ingest does,
 * but nothing is parsed and no database is touched: what is fuzzed is the walk itself.
 *
 * Besides ASan/UBSan, the callbacks check what walk.h promises: every leaf has a label and a
 * name, is never an archive, stays within the decompressed-bytes cap, and hashes to 64 hex
 * digits; every note has a status and a level in range; the walk's result is one of the
 * documented values.
 */
#include "../../analyzer/walk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FZ_MAX_BYTES ((int64_t)64 << 20)
#define FZ_MAX_RATIO 100

struct fz_mem {
    const uint8_t *p;
    size_t len, pos;
};

static ssize_t fz_read(void *ctx, void *buf, size_t n)
{
    struct fz_mem *m = ctx;
    size_t k = m->len - m->pos;
    if (k > n)
        k = n;
    /* uneven reads: libarchive's read-ahead and our raw buffer meet blocks cut anywhere */
    if (k > 13)
        k = 13 + (m->pos * 7 + m->len) % 1021;
    if (k > m->len - m->pos)
        k = m->len - m->pos;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static const char *fz_error(void *ctx)
{
    (void)ctx;
    return NULL;
}

struct fz_run {
    int64_t leaf_bytes; /* decompressed bytes handed out over all leaves */
};

static void touch(const char *s)
{
    if (s)
        (void)strlen(s);
}

static int on_leaf(void *ctx, const struct ikm_leaf *leaf)
{
    struct fz_run *run = ctx;
    if (!leaf || !leaf->label || !leaf->name || !leaf->in || leaf->in->is_archive)
        abort();
    touch(leaf->label), touch(leaf->name), touch(leaf->bundle);
    if (leaf->in->peek_len > IKM_PEEK_MAX)
        abort();
    struct ikm_stream s = ikm_input_stream(leaf->in);
    static char buf[16384];
    int64_t total = 0;
    for (;;) {
        /* uneven request sizes too: the peeked bytes and the live blocks are served in turn */
        size_t want = 1 + (size_t)(total % (int64_t)sizeof buf);
        ssize_t k = s.read(s.ctx, buf, want);
        if (k < 0) {
            touch(s.error ? s.error(s.ctx) : NULL);
            break;
        }
        if (k == 0)
            break;
        if ((size_t)k > want)
            abort();
        volatile char first = buf[0], last = buf[k - 1];
        (void)first, (void)last;
        total += k;
    }
    /* the cap holds per input named: all leaves together stay under it */
    run->leaf_bytes += total;
    if (run->leaf_bytes > FZ_MAX_BYTES)
        abort();
    char hex[65];
    (void)ikm_input_sha256(leaf->in, hex);
    if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
        abort();
    return 0;
}

static void on_note(void *ctx, const char *bundle, const char *member, int64_t bytes, const char *status,
                    const char *detail, enum ikm_note_level level)
{
    (void)ctx;
    (void)bytes;
    if (!status || level < IKM_NOTE_INFO || level > IKM_NOTE_ERROR)
        abort();
    touch(bundle), touch(member), touch(status), touch(detail);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_mem m = {data, size, 0};
    struct ikm_stream src = {&m, fz_read, fz_error};
    struct ikm_walk_limits lim = {FZ_MAX_BYTES, FZ_MAX_RATIO};
    struct fz_run run = {0};
    struct ikm_walk_cb cb = {&run, on_leaf, on_note};
    int r = ikm_walk_stream("fuzz.tgz", src, &lim, &cb);
    if (r < -2 || r > 1 || r == -1) /* -1 only when a leaf callback stops the walk: ours never do */
        abort();
    return 0;
}
