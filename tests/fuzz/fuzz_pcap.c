/*
 * fuzz_pcap.c — libFuzzer entry for the capture reader (parsers/pcapread.c): the input is a
 * whole capture file (any bytes) read through libpcap from a stream that hands out odd-sized
 * pieces. Then the same bytes, after a 4-byte link-type prefix, go to pcapread_decode_frame
 * directly as frames (libpcap would refuse most fuzzed files before any frame is decoded).
 * The sink checks the record invariants and discards everything.
 */
#include "../../parsers/pcapread.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fz_stream {
    const uint8_t *p;
    size_t len, pos;
};

static ssize_t fz_read(void *ctx, void *buf, size_t n)
{
    struct fz_stream *s = ctx;
    size_t k = s->len - s->pos;
    if (k > n)
        k = n;
    if (k > 7)
        k = 7 + (s->pos % 61); /* uneven reads */
    if (k > s->len - s->pos)
        k = s->len - s->pos;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static int on_msg(void *ctx, const struct ikm_ike_msg *m)
{
    (void)ctx;
    if (memchr(m->src_ip, 0, sizeof m->src_ip) == NULL || memchr(m->dst_ip, 0, sizeof m->dst_ip) == NULL ||
        memchr(m->payloads, 0, sizeof m->payloads) == NULL || m->unit < 1 || m->length < 28)
        abort();
    return 0;
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)ctx;
    if (!u->reason || u->line < 1 || strlen(u->text.ptr) != u->text.len)
        abort();
    return 0;
}

static int on_diag(void *ctx, const struct ikm_diag *d)
{
    (void)ctx;
    (void)strlen(d->message);
    return 0;
}

static int on_esp(void *ctx, const struct ikm_esp_count *e)
{
    (void)ctx;
    if (e->packets < 1 || e->min_seq > e->max_seq || e->first_frame > e->last_frame)
        abort();
    return 0;
}

static const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
                                DLT_IPV6,   DLT_NULL,      DLT_LOOP,       147};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ikm_sink sink = {NULL, NULL, on_msg, on_unparsed, on_diag, NULL, NULL, NULL, NULL, on_esp, on_esp};
    struct fz_stream fs = {data, size, 0};
    struct ikm_stream st = {&fs, fz_read, NULL};
    struct ikm_source_stats stats;
    if (pcapread_parse_stream(st, &sink, &stats) < 0)
        abort();
    if (stats.parsed + stats.unparsed != stats.units)
        abort();

    /* frames: [linktype index][frame length][frame bytes]... with the time stepping 7 s */
    if (size < 1)
        return 0;
    struct pcapread_ctx *c = pcapread_ctx_new(&sink);
    if (!c)
        return 0;
    int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    size_t at = 1;
    int64_t ts = 1721066141000000LL;
    while (at + 2 <= size) {
        size_t n = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (n > size - at)
            n = size - at;
        uint8_t *frame = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
        if (!frame)
            break;
        memcpy(frame, data + at, n);
        if (pcapread_decode_frame(c, lt, frame, (uint32_t)n, (uint32_t)n + (data[at - 1] & 3), ts) < 0)
            abort();
        free(frame);
        at += n;
        ts += 7000000;
    }
    struct pcapread_counts counts;
    if (pcapread_finish(c, &stats, &counts) < 0)
        abort();
    if (stats.parsed + stats.unparsed != stats.units || counts.frames != stats.units)
        abort();
    pcapread_ctx_free(c);
    return 0;
}
