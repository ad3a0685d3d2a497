/*
 * fuzz_panlog_csv.c — libFuzzer entry for the PAN-OS CSV / forwarded-syslog reader (SYSTEM,
 * CONFIG and every other type): the input is a whole file (any bytes), fed through the line
 * reader in odd-sized reads to a sink that checks the record invariants (kinds, attribute
 * counts, string bounds) and keeps nothing; then the sniffer runs on the same bytes.
 */
#include "../../parsers/panlog_csv.h"
#include "fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int on_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx;
    if ((unsigned)ev->kind >= IKM_EV_COUNT || ev->n_attrs > IKM_ATTRS_MAX)
        abort();
    if (ev->t.state != IKM_TZ_PENDING && ev->t.state != IKM_TZ_LINE)
        abort();
    check_str(ev->msg), check_str(ev->tunnel), check_str(ev->gateway), check_str(ev->peer_ip);
    check_str(ev->level_raw);
    for (size_t i = 0; i < ev->n_attrs; i++) {
        if (!ev->attrs[i].key || !ev->attrs[i].value.ptr)
            abort();
        check_str(ev->attrs[i].value);
    }
    check_str(ikm_str_of(ev->t.text, ev->t.text_len));
    return 0;
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)ctx;
    if (!u->reason || !u->reason[0])
        abort();
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
    struct ikm_sink sink = {.event = on_event, .unparsed = on_unparsed, .diag = on_diag};
    struct ikm_source_stats stats;
    if (panlog_csv_parse_stream(st, &sink, &stats) < 0)
        abort();
    if (stats.parsed + stats.unparsed != stats.units)
        abort();
    (void)panlog_csv_sniff((const char *)data, size);
    return 0;
}
