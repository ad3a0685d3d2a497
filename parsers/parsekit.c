/*
 * parsekit.c — per-source bookkeeping shared by the parsers (see parsekit.h).
 */
#include "parsekit.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pk_out_init(struct pk_out *o, const struct ikm_sink *sink, const char *const *checks, size_t n_checks)
{
    memset(o, 0, sizeof *o);
    o->sink = sink;
    ikm_source_stats_init(&o->st);
    for (size_t i = 0; i < n_checks && i < PK_CHECKS_MAX; i++)
        o->checks[o->n_checks++].name = checks[i];
}

void pk_unparsed(struct pk_out *o, int64_t line, int64_t off, const char *reason, const char *text, size_t len)
{
    o->st.unparsed++;
    if (o->failed || !o->sink->unparsed)
        return;
    struct ikm_unparsed u = {line, off, reason, {text, len}};
    if (o->sink->unparsed(o->sink->ctx, &u) < 0)
        o->failed = 1;
}

/* The counter of a check: looked up by name (the same literal may sit at another address in
 * another translation unit), added when new, NULL when the table is full. */
static struct pk_check *check_of(struct pk_out *o, const char *name)
{
    for (size_t i = 0; i < o->n_checks; i++)
        if (o->checks[i].name == name || strcmp(o->checks[i].name, name) == 0)
            return &o->checks[i];
    if (o->n_checks == PK_CHECKS_MAX)
        return NULL;
    o->checks[o->n_checks].name = name;
    o->checks[o->n_checks].count = 0;
    return &o->checks[o->n_checks++];
}

void pk_vdiag(struct pk_out *o, const char *check, enum ikm_diag_severity sev, int64_t line, int64_t off,
              const char *fmt, va_list ap)
{
    if (sev == IKM_DIAG_ERROR)
        o->st.errors++;
    else
        o->st.warnings++;
    struct pk_check *c = check_of(o, check);
    if ((c && ++c->count > PK_DIAG_PER_CHECK_MAX) || o->failed || !o->sink->diag)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct ikm_diag d = {sev, line, off, c ? c->name : check, msg};
    if (o->sink->diag(o->sink->ctx, &d) < 0)
        o->failed = 1;
}

void pk_diag(struct pk_out *o, const char *check, enum ikm_diag_severity sev, int64_t line, int64_t off,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pk_vdiag(o, check, sev, line, off, fmt, ap);
    va_end(ap);
}

void pk_long_line(struct pk_out *o, const struct ikm_line *ln)
{
    pk_diag(o, PK_CK_LONG, IKM_DIAG_ERROR, ln->number, ln->offset,
            "line of %llu bytes exceeds the %zu-byte limit; kept as unparsed (first %zu bytes)",
            (unsigned long long)ln->full_len, IKM_LINE_MAX, ln->len);
}

void pk_read_error(struct pk_out *o, const struct ikm_linereader *lr)
{
    const char *why = ikm_lr_error(lr);
    pk_diag(o, PK_CK_READ, IKM_DIAG_ERROR, lr->next_number, ikm_lr_bytes(lr),
            "stream ends early after byte %lld: %s; everything before is kept", (long long)ikm_lr_bytes(lr),
            why ? why : "read error");
}

void pk_check_bytes(struct pk_out *o, const struct ikm_line *ln)
{
    const char *nul = memchr(ln->ptr, '\0', ln->len);
    if (nul)
        pk_diag(o, PK_CK_NUL, IKM_DIAG_WARNING, ln->number, ln->offset + (nul - ln->ptr), "NUL byte at column %zu",
                (size_t)(nul - ln->ptr) + 1);
    size_t bad = ikm_utf8_invalid_at(ln->ptr, ln->len);
    if (bad != IKM_UTF8_VALID)
        pk_diag(o, PK_CK_UTF8, IKM_DIAG_WARNING, ln->number, ln->offset + (int64_t)bad,
                "invalid UTF-8 at column %zu (kept, escaped on output)", bad + 1);
    if (ln->had_cr && !o->saw_crlf) {
        o->saw_crlf = 1;
        pk_diag(o, PK_CK_CRLF, IKM_DIAG_WARNING, ln->number, ln->offset,
                "CRLF line endings (carriage returns removed)");
    }
}

/* pk_note_time's body, inlined into pk_time_from_tm: that runs once per timestamped line. */
static inline void note_time(struct pk_out *o, const struct ikm_time *t)
{
    if (o->st.first_local_us == INT64_MIN || t->local_us < o->st.first_local_us)
        o->st.first_local_us = t->local_us;
    if (o->st.last_local_us == INT64_MIN || t->local_us > o->st.last_local_us)
        o->st.last_local_us = t->local_us;
    if (t->state == IKM_TZ_LINE) {
        /* the first offset is the one that resolves the source's earlier, offset-less lines */
        if (!o->st.has_offset)
            o->st.first_offset_min = t->offset_min;
        o->st.has_offset = 1;
    }
}

void pk_note_time(struct pk_out *o, const struct ikm_time *t)
{
    note_time(o, t);
}

static void time_from_local(struct pk_out *o, int64_t local_us, int has_off, int off_min, const char *text,
                            size_t text_len, struct ikm_time *t)
{
    t->local_us = local_us;
    t->text = text;
    t->text_len = text_len;
    if (has_off) {
        t->state = IKM_TZ_LINE;
        t->offset_min = off_min;
        o->last_offset_min = off_min;
    } else if (o->st.has_offset) {
        /* one device, one zone: a later line without an offset shares its neighbours' */
        t->state = IKM_TZ_FILE;
        t->offset_min = o->last_offset_min;
    } else {
        t->state = IKM_TZ_PENDING;
        t->offset_min = 0;
    }
    t->utc_us = t->local_us - (int64_t)t->offset_min * 60 * 1000000;
    note_time(o, t);
}

void pk_time_from_tm(struct pk_out *o, const struct ikm_tm *tm, int has_off, int off_min, const char *text,
                     size_t text_len, struct ikm_time *t)
{
    time_from_local(o, ikm_tm_to_us(tm), has_off, off_min, text, text_len, t);
}

#define TS_FRAC_AT 20 /* "YYYY-MM-DD HH:MM:SS." */

size_t pk_time_cached(struct pk_out *o, const struct pk_ts_cache *c, const char *p, size_t n, struct ikm_time *t)
{
    size_t l = c->len;
    if (l == 0 || n < l || (n > l && p[l] != ' ' && p[l] != '\t' && p[l] != '['))
        return 0;
    int64_t local_us = c->local_us;
    if (c->frac_len == 0) {
        if (memcmp(p, c->text, l) != 0)
            return 0;
    } else {
        size_t end = TS_FRAC_AT + c->frac_len;
        if (memcmp(p, c->text, TS_FRAC_AT) != 0 || memcmp(p + end, c->text + end, l - end) != 0)
            return 0;
        int64_t frac = 0;
        for (size_t i = TS_FRAC_AT; i < end; i++) {
            if (p[i] < '0' || p[i] > '9')
                return 0;
            frac = frac * 10 + (p[i] - '0');
        }
        for (size_t i = c->frac_len; i < 6; i++)
            frac *= 10;
        local_us = c->sec_us + frac;
    }
    time_from_local(o, local_us, 1, c->off_min, p, l, t);
    return l;
}

void pk_time_remember(struct pk_ts_cache *c, const char *p, size_t ts_len, const struct ikm_time *t)
{
    c->len = 0;
    if (t->state != IKM_TZ_LINE || ts_len == 0 || ts_len > sizeof c->text)
        return;
    memcpy(c->text, p, ts_len);
    c->len = ts_len;
    c->local_us = t->local_us;
    c->off_min = t->offset_min;
    /* the fraction's digits, when the text has the usual shape: one parse serves a second */
    size_t f = 0;
    while (TS_FRAC_AT + f < ts_len && p[TS_FRAC_AT + f] >= '0' && p[TS_FRAC_AT + f] <= '9')
        f++;
    c->frac_len = ts_len > TS_FRAC_AT && p[TS_FRAC_AT - 1] == '.' && f >= 1 && f <= 6 &&
                          TS_FRAC_AT + f < ts_len
                      ? f
                      : 0;
    int64_t frac = 0;
    for (size_t i = 0; i < c->frac_len; i++)
        frac = frac * 10 + (p[TS_FRAC_AT + i] - '0');
    for (size_t i = c->frac_len; i < 6 && c->frac_len; i++)
        frac *= 10;
    c->sec_us = t->local_us - frac;
}

void pk_event(struct pk_out *o, const struct ikm_event *ev)
{
    if ((unsigned)ev->kind < IKM_EV_COUNT)
        o->st.events_by_kind[ev->kind]++;
    pk_note_pending(o, &ev->t);
    if (!o->failed && o->sink->event && o->sink->event(o->sink->ctx, ev) < 0)
        o->failed = 1;
}

void pk_ike_message(struct pk_out *o, const struct ikm_ike_msg *m)
{
    o->st.ike_messages++;
    pk_note_pending(o, &m->t);
    if (!o->failed && o->sink->ike_message && o->sink->ike_message(o->sink->ctx, m) < 0)
        o->failed = 1;
}

void pk_cli_value(struct pk_out *o, const struct ikm_cli_value *v)
{
    if (!o->failed && o->sink->cli_value && o->sink->cli_value(o->sink->ctx, v) < 0)
        o->failed = 1;
}

void pk_device_fact(struct pk_out *o, const struct ikm_device_fact *f)
{
    if (!o->failed && o->sink->device_fact && o->sink->device_fact(o->sink->ctx, f) < 0)
        o->failed = 1;
}

void pk_cfg_gateway(struct pk_out *o, const struct ikm_cfg_gateway *g)
{
    if (!o->failed && o->sink->cfg_gateway && o->sink->cfg_gateway(o->sink->ctx, g) < 0)
        o->failed = 1;
}

void pk_cfg_tunnel(struct pk_out *o, const struct ikm_cfg_tunnel *t)
{
    if (!o->failed && o->sink->cfg_tunnel && o->sink->cfg_tunnel(o->sink->ctx, t) < 0)
        o->failed = 1;
}

int pk_feed_lines(struct pk_out *o, struct ikm_linereader *lr, void (*line)(void *ctx, const struct ikm_line *ln),
                  void *ctx)
{
    struct ikm_line ln;
    int r;
    while ((r = ikm_lr_next(lr, &ln)) == 1) {
        line(ctx, &ln);
        if (o->failed)
            return -1;
    }
    if (r < 0) {
        pk_read_error(o, lr);
        return 1;
    }
    return 0;
}

int pk_finish(struct pk_out *o, struct ikm_source_stats *stats)
{
    for (size_t i = 0; i < o->n_checks; i++) {
        const struct pk_check *c = &o->checks[i];
        if (c->count > PK_DIAG_PER_CHECK_MAX && o->sink->diag && !o->failed) {
            char msg[160];
            snprintf(msg, sizeof msg, "%d more %s problems not listed", c->count - PK_DIAG_PER_CHECK_MAX, c->name);
            struct ikm_diag d = {IKM_DIAG_WARNING, 0, -1, c->name, msg};
            if (o->sink->diag(o->sink->ctx, &d) < 0)
                o->failed = 1;
        }
    }
    *stats = o->st;
    return o->failed ? -1 : 0;
}

/* ---- the held event ------------------------------------------------------------------------- */

/* The event's strings in the order of pk_held.off; the message last, to grow in place. */
static size_t held_strings(struct ikm_event *ev, struct ikm_str **out)
{
    size_t n = 0;
    out[n++] = &ev->level_raw;
    out[n++] = &ev->gateway;
    out[n++] = &ev->tunnel;
    out[n++] = &ev->peer_ip;
    for (size_t i = 0; i < ev->n_attrs; i++)
        out[n++] = &ev->attrs[i].value;
    out[n++] = &ev->msg;
    return n;
}

static int held_reserve(struct pk_held *h, size_t n)
{
    if (h->len + n <= h->cap)
        return 0;
    size_t cap = h->cap ? h->cap : 512;
    while (cap < h->len + n)
        cap *= 2;
    char *nb = realloc(h->buf, cap);
    if (!nb)
        return -1;
    h->buf = nb;
    h->cap = cap;
    return 0;
}

/* Appends bytes plus a NUL; returns the offset they start at, or -1. */
static long held_append(struct pk_held *h, const char *p, size_t n)
{
    if (held_reserve(h, n + 1) < 0)
        return -1;
    if (n)
        memcpy(h->buf + h->len, p, n);
    long at = (long)h->len;
    h->len += n;
    h->buf[h->len++] = '\0';
    return at;
}

void pk_held_flush(struct pk_out *o, struct pk_held *h)
{
    if (!h->active)
        return;
    h->active = 0;
    struct ikm_str *strs[5 + IKM_ATTRS_MAX];
    size_t ns = held_strings(&h->ev, strs);
    for (size_t i = 0; i < ns; i++)
        strs[i]->ptr = h->off[i] < 0 ? NULL : h->buf + h->off[i];
    h->ev.t.text = h->buf + h->t_off;
    pk_event(o, &h->ev);
}

void pk_held_set(struct pk_out *o, struct pk_held *h, const struct ikm_event *ev)
{
    pk_held_flush(o, h);
    h->len = 0;
    h->ev = *ev;
    if ((h->t_off = held_append(h, ev->t.text, ev->t.text_len)) < 0) {
        o->failed = 1;
        return;
    }
    struct ikm_str *strs[5 + IKM_ATTRS_MAX];
    size_t ns = held_strings(&h->ev, strs);
    for (size_t i = 0; i < ns; i++) {
        h->off[i] = -1;
        if (strs[i]->ptr && (h->off[i] = held_append(h, strs[i]->ptr, strs[i]->len)) < 0) {
            o->failed = 1;
            return;
        }
    }
    h->msg_idx = ns - 1;
    h->active = 1;
}

void pk_held_extend(struct pk_out *o, struct pk_held *h, const char *p, size_t n)
{
    size_t old = h->ev.msg.len;
    if (!h->active || h->off[h->msg_idx] < 0 || old + 1 >= PK_HELD_TEXT_MAX)
        return;
    if (n > PK_HELD_TEXT_MAX - old - 1)
        n = PK_HELD_TEXT_MAX - old - 1;
    if (held_reserve(h, n + 1) < 0) {
        o->failed = 1;
        return;
    }
    h->buf[h->len - 1] = '\n'; /* the message's NUL becomes the separator */
    if (n)
        memcpy(h->buf + h->len, p, n);
    h->len += n;
    h->buf[h->len++] = '\0';
    h->ev.msg.len = old + 1 + n;
}

void pk_held_free(struct pk_held *h)
{
    free(h->buf);
    memset(h, 0, sizeof *h);
}
