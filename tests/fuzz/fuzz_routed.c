/*
 * fuzz_routed.c — libFuzzer entry for the routing-log parser (routed.log and the FRR logs of
 * the advanced routing engine): any bytes, fed in uneven reads, to a sink that touches every
 * byte it is given (ASan flags a bad length) and checks the accounting.
 */
#include "../../parsers/routed.h"
#include "fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int on_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx;
    if ((unsigned)ev->kind >= IKM_EV_COUNT || ev->n_attrs > IKM_ATTRS_MAX)
        abort();
    check_str(ev->msg), check_str(ev->gateway), check_str(ev->tunnel), check_str(ev->peer_ip);
    for (size_t i = 0; i < ev->n_attrs; i++)
        check_str(ev->attrs[i].value);
    check_str(ikm_str_of(ev->t.text, ev->t.text_len));
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
    struct fz_stream fs = {data, size, 0};
    struct ikm_stream st = {&fs, fz_read, NULL};
    struct ikm_sink sink = {.ctx = NULL, .event = on_event, .unparsed = on_unparsed, .diag = on_diag};
    struct ikm_source_stats stats;
    if (routed_parse_stream(st, &sink, &stats) < 0)
        abort();
    if (stats.parsed + stats.unparsed != stats.units)
        abort();
    return 0;
}
