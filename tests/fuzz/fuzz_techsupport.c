/*
 * fuzz_techsupport.c — libFuzzer entry for the tech-support CLI dump parser: the input is a
 * whole dump (any bytes), fed through the line reader in uneven reads to a sink that touches
 * every byte it is given (ASan flags a bad length) and checks the accounting.
 */
#include "../../parsers/techsupport.h"
#include "fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int on_cli(void *ctx, const struct ikm_cli_value *v)
{
    (void)ctx;
    if (!v->command.ptr || !v->key.ptr || v->occurrence < 1)
        abort();
    check_str(v->command), check_str(v->object), check_str(v->key), check_str(v->value);
    return 0;
}

static int on_fact(void *ctx, const struct ikm_device_fact *f)
{
    (void)ctx;
    (void)strlen(f->key);
    check_str(f->value);
    return 0;
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)ctx;
    (void)strlen(u->reason);
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
    struct ikm_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.unparsed = on_unparsed;
    sink.diag = on_diag;
    sink.cli_value = on_cli;
    sink.device_fact = on_fact;
    struct ikm_source_stats stats;
    if (techsupport_parse_stream(st, &sink, &stats) < 0)
        abort();
    if (stats.parsed + stats.unparsed != stats.units)
        abort();
    (void)techsupport_sniff((const char *)data, size);
    return 0;
}
