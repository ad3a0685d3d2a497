/*
 * fuzz_runconfig.c — libFuzzer entry for the PAN-OS configuration XML parser: the input is a
 * whole file (any bytes), fed to the parser in odd-sized reads, to a sink that checks every
 * record's invariants (bounded values, sane integers, at most one unparsed record) and
 * discards it.
 */
#include "../../parsers/runconfig.h"
#include "fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t n_unparsed;

/* A kept string: readable over its whole length, and never longer than the cap. */
static void check_flag(int v)
{
    if (v < -1 || v > 1)
        abort();
}

static int on_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx, (void)ev;
    abort(); /* a configuration has no timeline events */
}

static int on_msg(void *ctx, const struct ikm_ike_msg *m)
{
    (void)ctx, (void)m;
    abort();
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)ctx;
    if (++n_unparsed > 1 || u->line < 1 || strcmp(u->reason, "XML error") != 0)
        abort();
    check_str(u->text);
    return 0;
}

static int on_diag(void *ctx, const struct ikm_diag *d)
{
    (void)ctx;
    (void)strlen(d->message);
    (void)strlen(d->check);
    return 0;
}

static int on_fact(void *ctx, const struct ikm_device_fact *f)
{
    (void)ctx;
    if (!f->key || f->line < 1)
        abort();
    check_str(f->value);
    return 0;
}

static int on_gateway(void *ctx, const struct ikm_cfg_gateway *g)
{
    (void)ctx;
    if (g->line < 1)
        abort();
    check_str(g->name), check_str(g->vsys), check_str(g->peer_ip), check_str(g->peer_fqdn);
    check_str(g->local_interface), check_str(g->local_ip), check_str(g->ike_version);
    check_str(g->ike_crypto_profile);
    check_flag(g->peer_dynamic), check_flag(g->liveness_enabled), check_flag(g->dpd_enabled);
    check_flag(g->nat_traversal), check_flag(g->passive_mode);
    if (g->liveness_interval_s < -1 || g->dpd_interval_s < -1 || g->dpd_retry < -1)
        abort();
    return 0;
}

static int on_tunnel(void *ctx, const struct ikm_cfg_tunnel *t)
{
    (void)ctx;
    if (t->line < 1)
        abort();
    check_str(t->name), check_str(t->vsys), check_str(t->gateway), check_str(t->tunnel_interface);
    check_str(t->ipsec_crypto_profile), check_str(t->monitor_dest), check_str(t->monitor_profile);
    check_flag(t->monitor_enabled);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)runconfig_sniff((const char *)data, size);
    struct fz_stream fs = {data, size, 0};
    struct ikm_stream st = {&fs, fz_read, NULL};
    struct ikm_sink sink = {.event = on_event, .ike_message = on_msg, .unparsed = on_unparsed, .diag = on_diag,
                            .device_fact = on_fact, .cfg_gateway = on_gateway, .cfg_tunnel = on_tunnel};
    struct ikm_source_stats stats;
    n_unparsed = 0;
    int rc = runconfig_parse_stream(st, &sink, &stats);
    if (rc < 0 || rc > 1)
        abort();
    if (stats.parsed + stats.unparsed != stats.units || stats.bytes != (int64_t)size)
        abort();
    if ((int64_t)n_unparsed != (stats.unparsed > 0 ? 1 : 0))
        abort();
    return 0;
}
