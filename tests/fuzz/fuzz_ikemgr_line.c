/*
 * fuzz_ikemgr_line.c — libFuzzer entry for the ikemgr.log parser: the input is a whole log
 * (any bytes), fed through the line reader in odd-sized reads to a sink that checks the
 * record invariants and discards everything.
 */
#include "../../parsers/ikemgr.h"
#include "fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int on_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx;
    if ((unsigned)ev->kind >= IKM_EV_COUNT || ev->n_attrs > IKM_ATTRS_MAX)
        abort();
    check_str(ev->msg), check_str(ev->tunnel), check_str(ev->gateway), check_str(ev->peer_ip);
    for (size_t i = 0; i < ev->n_attrs; i++)
        check_str(ev->attrs[i].value);
    check_str(ikm_str_of(ev->t.text, ev->t.text_len));
    return 0;
}

static int on_msg(void *ctx, const struct ikm_ike_msg *m)
{
    (void)ctx;
    if (memchr(m->src_ip, 0, sizeof m->src_ip) == NULL || memchr(m->dst_ip, 0, sizeof m->dst_ip) == NULL)
        abort();
    return 0;
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)ctx;
    check_str(u->text);
    return 0;
}

static int on_diag(void *ctx, const struct ikm_diag *d)
{
    (void)ctx;
    (void)strlen(d->message);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ikemgr_catalog *cat;
    if (!cat) {
        char err[256];
        cat = ikemgr_catalog_new(err, sizeof err);
        if (!cat)
            abort();
    }
    struct fz_stream fs = {data, size, 0};
    struct ikm_stream st = {&fs, fz_read, NULL};
    struct ikm_sink sink = {NULL, on_event, on_msg, on_unparsed, on_diag};
    struct ikm_source_stats stats;
    if (ikemgr_parse_stream(cat, st, &sink, &stats) < 0)
        abort();
    if (stats.parsed + stats.unparsed != stats.units)
        abort();
    return 0;
}
