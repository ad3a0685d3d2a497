/*
 * memsink.c — the in-memory sink used by the unit tests (see memsink.h).
 */
#include "memsink.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(struct ikm_str s)
{
    if (!s.ptr)
        return NULL;
    char *p = malloc(s.len + 1);
    ck_assert_ptr_nonnull(p);
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

#define GROW(arr, n)                                                                               \
    do {                                                                                           \
        void *np_ = realloc((arr), ((n) + 1) * sizeof *(arr));                                     \
        ck_assert_ptr_nonnull(np_);                                                                \
        (arr) = np_;                                                                               \
    } while (0)

static int on_event(void *ctx, const struct ikm_event *ev)
{
    struct memsink *ms = ctx;
    GROW(ms->ev, ms->n_ev);
    struct ms_event *e = &ms->ev[ms->n_ev++];
    memset(e, 0, sizeof *e);
    e->line = ev->line;
    e->utc_us = ev->t.utc_us;
    e->local_us = ev->t.local_us;
    e->offset_min = ev->t.offset_min;
    e->state = ev->t.state;
    e->kind = ev->kind;
    e->level = ev->level;
    e->level_raw = dup_str(ev->level_raw);
    e->gateway = dup_str(ev->gateway);
    e->tunnel = dup_str(ev->tunnel);
    e->peer_ip = dup_str(ev->peer_ip);
    e->msg = dup_str(ev->msg);
    e->ts_text = dup_str(ikm_str_of(ev->t.text, ev->t.text_len));
    e->gw_id = ev->gw_id;
    e->tn_id = ev->tn_id;
    e->n_attrs = ev->n_attrs;
    for (size_t i = 0; i < ev->n_attrs; i++) {
        e->keys[i] = dup_str(ikm_str_of(ev->attrs[i].key, strlen(ev->attrs[i].key)));
        e->values[i] = dup_str(ev->attrs[i].value);
    }
    return 0;
}

static int on_msg(void *ctx, const struct ikm_ike_msg *m)
{
    struct memsink *ms = ctx;
    GROW(ms->msg, ms->n_msg);
    ms->msg[ms->n_msg] = *m;
    ms->msg[ms->n_msg].t.text = NULL; /* borrowed: not valid after the call */
    ms->n_msg++;
    return 0;
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    struct memsink *ms = ctx;
    GROW(ms->un, ms->n_un);
    struct ms_unparsed *x = &ms->un[ms->n_un++];
    x->line = u->line;
    x->reason = dup_str(ikm_str_of(u->reason, strlen(u->reason)));
    x->text = dup_str(u->text.ptr ? u->text : ikm_str_of("", 0));
    x->text_len = u->text.len;
    return 0;
}

static int on_diag(void *ctx, const struct ikm_diag *d)
{
    struct memsink *ms = ctx;
    GROW(ms->dg, ms->n_dg);
    struct ms_diag *x = &ms->dg[ms->n_dg++];
    x->severity = d->severity;
    x->line = d->line;
    x->check = dup_str(ikm_str_of(d->check, strlen(d->check)));
    x->message = dup_str(ikm_str_of(d->message, strlen(d->message)));
    return 0;
}

static int on_cli(void *ctx, const struct ikm_cli_value *v)
{
    struct memsink *ms = ctx;
    GROW(ms->cli, ms->n_cli);
    struct ms_cli *x = &ms->cli[ms->n_cli++];
    x->line = v->line;
    x->occurrence = v->occurrence;
    x->command = dup_str(v->command);
    x->object = dup_str(v->object);
    x->key = dup_str(v->key);
    x->value = dup_str(v->value);
    return 0;
}

static int on_fact(void *ctx, const struct ikm_device_fact *f)
{
    struct memsink *ms = ctx;
    GROW(ms->facts, ms->n_facts);
    struct ms_fact *x = &ms->facts[ms->n_facts++];
    x->line = f->line;
    x->key = dup_str(ikm_str_of(f->key, strlen(f->key)));
    x->value = dup_str(f->value);
    return 0;
}

static int on_gateway(void *ctx, const struct ikm_cfg_gateway *g)
{
    struct memsink *ms = ctx;
    GROW(ms->gws, ms->n_gws);
    struct ms_gateway *x = &ms->gws[ms->n_gws++];
    x->g = *g;
    x->name = dup_str(g->name), x->vsys = dup_str(g->vsys), x->peer_ip = dup_str(g->peer_ip);
    x->peer_fqdn = dup_str(g->peer_fqdn), x->local_interface = dup_str(g->local_interface);
    x->local_ip = dup_str(g->local_ip), x->ike_version = dup_str(g->ike_version);
    x->ike_crypto_profile = dup_str(g->ike_crypto_profile);
    return 0;
}

static int on_tunnel(void *ctx, const struct ikm_cfg_tunnel *t)
{
    struct memsink *ms = ctx;
    GROW(ms->tns, ms->n_tns);
    struct ms_tunnel *x = &ms->tns[ms->n_tns++];
    x->t = *t;
    x->name = dup_str(t->name), x->vsys = dup_str(t->vsys), x->gateway = dup_str(t->gateway);
    x->tunnel_interface = dup_str(t->tunnel_interface), x->ipsec_crypto_profile = dup_str(t->ipsec_crypto_profile);
    x->monitor_dest = dup_str(t->monitor_dest), x->monitor_profile = dup_str(t->monitor_profile);
    return 0;
}

static int on_keepalive(void *ctx, const struct ikm_esp_count *c)
{
    struct memsink *ms = ctx;
    GROW(ms->ka, ms->n_ka);
    ms->ka[ms->n_ka++] = *c;
    return 0;
}

static int on_esp(void *ctx, const struct ikm_esp_count *c)
{
    struct memsink *ms = ctx;
    GROW(ms->esp, ms->n_esp);
    ms->esp[ms->n_esp++] = *c;
    return 0;
}

struct ikm_sink memsink_sink(struct memsink *ms)
{
    struct ikm_sink s = {ms,      on_event,  on_msg,    on_unparsed, on_diag, on_cli,
                         on_fact, on_gateway, on_tunnel, on_esp,      on_keepalive};
    return s;
}

const struct ms_cli *ms_cli_find(const struct memsink *ms, const char *command_prefix, const char *object,
                                 const char *key)
{
    for (size_t i = 0; i < ms->n_cli; i++) {
        const struct ms_cli *c = &ms->cli[i];
        if (strncmp(c->command, command_prefix, strlen(command_prefix)) != 0 || strcmp(c->key, key) != 0)
            continue;
        if (object && (!c->object || strcmp(c->object, object) != 0))
            continue;
        return c;
    }
    return NULL;
}

const char *ms_fact(const struct memsink *ms, const char *key)
{
    for (size_t i = 0; i < ms->n_facts; i++)
        if (strcmp(ms->facts[i].key, key) == 0)
            return ms->facts[i].value;
    return NULL;
}

void memsink_free(struct memsink *ms)
{
    for (size_t i = 0; i < ms->n_ev; i++) {
        struct ms_event *e = &ms->ev[i];
        free(e->level_raw), free(e->gateway), free(e->tunnel), free(e->peer_ip), free(e->msg), free(e->ts_text);
        for (size_t k = 0; k < e->n_attrs; k++)
            free(e->keys[k]), free(e->values[k]);
    }
    for (size_t i = 0; i < ms->n_un; i++)
        free(ms->un[i].reason), free(ms->un[i].text);
    for (size_t i = 0; i < ms->n_dg; i++)
        free(ms->dg[i].check), free(ms->dg[i].message);
    for (size_t i = 0; i < ms->n_cli; i++)
        free(ms->cli[i].command), free(ms->cli[i].object), free(ms->cli[i].key), free(ms->cli[i].value);
    for (size_t i = 0; i < ms->n_facts; i++)
        free(ms->facts[i].key), free(ms->facts[i].value);
    for (size_t i = 0; i < ms->n_gws; i++) {
        struct ms_gateway *x = &ms->gws[i];
        free(x->name), free(x->vsys), free(x->peer_ip), free(x->peer_fqdn), free(x->local_interface);
        free(x->local_ip), free(x->ike_version), free(x->ike_crypto_profile);
    }
    for (size_t i = 0; i < ms->n_tns; i++) {
        struct ms_tunnel *x = &ms->tns[i];
        free(x->name), free(x->vsys), free(x->gateway), free(x->tunnel_interface);
        free(x->ipsec_crypto_profile), free(x->monitor_dest), free(x->monitor_profile);
    }
    free(ms->ev), free(ms->msg), free(ms->un), free(ms->dg);
    free(ms->cli), free(ms->facts), free(ms->gws), free(ms->tns), free(ms->esp), free(ms->ka);
    memset(ms, 0, sizeof *ms);
}

const char *ms_attr(const struct ms_event *e, const char *key)
{
    for (size_t i = 0; i < e->n_attrs; i++)
        if (strcmp(e->keys[i], key) == 0)
            return e->values[i];
    return NULL;
}

static ssize_t str_read(void *ctx, void *buf, size_t n)
{
    struct ms_str_stream *s = ctx;
    size_t k = s->len - s->pos;
    if (k > n)
        k = n;
    if (s->chunk && k > s->chunk)
        k = s->chunk;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static struct ikemgr_catalog *catalog;

static void free_catalog(void)
{
    ikemgr_catalog_free(catalog);
}

const struct ikemgr_catalog *ms_catalog(void)
{
    if (!catalog) {
        char err[512];
        catalog = ikemgr_catalog_new(err, sizeof err);
        ck_assert_msg(catalog != NULL, "%s", err);
        atexit(free_catalog);
    }
    return catalog;
}

struct ikm_stream ms_stream(struct ms_str_stream *ss, const char *text, size_t len, size_t chunk)
{
    ss->p = text;
    ss->len = len;
    ss->pos = 0;
    ss->chunk = chunk;
    struct ikm_stream stream = {ss, str_read, NULL};
    return stream;
}

static ssize_t failing_read(void *ctx, void *buf, size_t n)
{
    struct ms_str_stream *s = ctx;
    if (s->pos >= s->len)
        return -1;
    size_t k = s->len - s->pos < n ? s->len - s->pos : n;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static const char *failing_error(void *ctx)
{
    (void)ctx;
    return "truncated gzip input";
}

struct ikm_stream ms_failing_stream(struct ms_str_stream *ss, const char *text, size_t len)
{
    ss->p = text;
    ss->len = len;
    ss->pos = 0;
    ss->chunk = 0;
    struct ikm_stream stream = {ss, failing_read, failing_error};
    return stream;
}

void ms_check_accounting(const struct memsink *ms)
{
    ck_assert_int_eq(ms->st.parsed + ms->st.unparsed, ms->st.units);
    ck_assert_int_eq((int64_t)ms->n_un, ms->st.unparsed);
}

int ms_parse_ikemgr(struct memsink *ms, const char *text, size_t len, size_t chunk)
{
    struct ms_str_stream ss;
    struct ikm_stream stream = ms_stream(&ss, text, len, chunk);
    struct ikm_sink sink = memsink_sink(ms);
    int r = ikemgr_parse_stream(ms_catalog(), stream, &sink, &ms->st);
    ms_check_accounting(ms);
    return r;
}
