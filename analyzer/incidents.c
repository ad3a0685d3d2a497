/*
 * incidents.c — anchors → incidents (see incidents.h).
 *
 * Names: a line may carry only some of gateway, tunnel and peer (the system log names the
 * gateway, cut to the CLI's width; ikemgr's "DPD down" names the tunnel; an abort line names
 * the addresses). The running configuration links them (gateway ↔ peer address, tunnel →
 * gateway), and anchors merged into one incident lend each other what they know.
 *
 * Merging: anchors of one device whose names are compatible join the incident they follow
 * closely — within IKM_MERGE_DOWN_S for the same failure seen by several sources, within
 * IKM_MERGE_STREAK_S for a negotiation that keeps failing (also the failed re-establishment
 * after a DPD teardown: a consequence of the outage, not a new one).
 */
#include "incidents.h"

#include "dbexec.h"
#include "tz.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define US 1000000LL
#define NAME_MAX_LEN 256

struct cfg_gw {
    char *device, *name, *peer_ip;
    int interval_s; /* liveness (IKEv2) or DPD (IKEv1) interval; 0 when not configured */
};
struct cfg_tn {
    char *device, *name, *gateway;
};
struct config {
    struct cfg_gw *gw;
    size_t ngw;
    struct cfg_tn *tn;
    size_t ntn;
    /* the names and devices as arrays for resolve_name, made once (every anchor resolves) */
    const char **gw_names, **gw_devs, **tn_names, **tn_devs;
};

struct anchor {
    int64_t event_id, ts_us;
    int kind_rank;
    char kind[16];
    char *device, *gateway, *tunnel, *peer;
};

struct incident {
    int64_t first_us, last_us, top_event_id;
    int64_t top_first_us; /* the earliest anchor of the incident's kind: the incident's time */
    int top_rank;
    char kind[20];
    char *device, *gateway, *tunnel, *peer;
    int64_t *anchor_ids;
    size_t nanchors;
    int64_t window_start_us, window_end_us;
    int interval_s, schedule_s;
};

/* Anchor kinds, most telling first: the incident takes the kind of its highest-ranked anchor. */
static const char *const anchor_kinds[] = {"dpd-down", "p1-fail", "p2-fail", "tunnel-down", "ike-sa-down"};
#define ANCHOR_KINDS_SQL "'dpd-down','p1-fail','p2-fail','tunnel-down','ike-sa-down'"
#define N_ANCHOR_KINDS (sizeof anchor_kinds / sizeof anchor_kinds[0])

static int is_down_rank(int rank)
{
    return rank == 0 || rank >= 3;
}

int ikm_liveness_schedule_s(const char *sw_version)
{
    if (!sw_version || !*sw_version)
        return IKM_SCHEDULE_NEW_S; /* unknown: the longer schedule keeps the whole sequence */
    long major = strtol(sw_version, NULL, 10);
    return (major > 0 && major < 8) ? IKM_SCHEDULE_OLD_S : IKM_SCHEDULE_NEW_S;
}

int ikm_names_compatible(const char *a, const char *b)
{
    if (!a || !b)
        return 1;
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la < lb ? la : lb;
    if (la == lb)
        return strcmp(a, b) == 0;
    return n >= 3 && strncmp(a, b, n) == 0;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t || !*t)
        return NULL;
    size_t n = strnlen((const char *)t, NAME_MAX_LEN);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, t, n);
        s[n] = 0;
    }
    return s;
}

static int same_device(const char *a, const char *b)
{
    return !a || !b || strcmp(a, b) == 0;
}

static void config_free(struct config *c)
{
    for (size_t i = 0; i < c->ngw; i++) {
        free(c->gw[i].device);
        free(c->gw[i].name);
        free(c->gw[i].peer_ip);
    }
    for (size_t i = 0; i < c->ntn; i++) {
        free(c->tn[i].device);
        free(c->tn[i].name);
        free(c->tn[i].gateway);
    }
    free(c->gw);
    free(c->tn);
    free(c->gw_names);
    free(c->gw_devs);
    free(c->tn_names);
    free(c->tn_devs);
}

static int grow(void **arr, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static int config_load(sqlite3 *db, struct config *c, char *err, size_t errsz)
{
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT device, name, peer_ip, CASE WHEN ike_version = 'ikev1' "
                                "THEN COALESCE(dpd_interval_s, liveness_interval_s) ELSE "
                                "COALESCE(liveness_interval_s, dpd_interval_s) END FROM cfg_gateways ORDER BY id",
                                -1, &st, NULL);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (grow((void **)&c->gw, c->ngw, &cap, sizeof *c->gw) < 0)
            break;
        struct cfg_gw *g = &c->gw[c->ngw++];
        g->device = dup_col(st, 0);
        g->name = dup_col(st, 1);
        g->peer_ip = dup_col(st, 2);
        g->interval_s = sqlite3_column_int(st, 3);
    }
    sqlite3_finalize(st);
    cap = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "SELECT device, name, gateway FROM cfg_tunnels ORDER BY id", -1, &st, NULL);
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (grow((void **)&c->tn, c->ntn, &cap, sizeof *c->tn) < 0)
            break;
        struct cfg_tn *t = &c->tn[c->ntn++];
        t->device = dup_col(st, 0);
        t->name = dup_col(st, 1);
        t->gateway = dup_col(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        snprintf(err, errsz, "incidents: reading the configuration: %s", sqlite3_errmsg(db));
        return -1;
    }
    c->gw_names = calloc(c->ngw + 1, sizeof *c->gw_names);
    c->gw_devs = calloc(c->ngw + 1, sizeof *c->gw_devs);
    c->tn_names = calloc(c->ntn + 1, sizeof *c->tn_names);
    c->tn_devs = calloc(c->ntn + 1, sizeof *c->tn_devs);
    if (!c->gw_names || !c->gw_devs || !c->tn_names || !c->tn_devs) {
        snprintf(err, errsz, "incidents: out of memory");
        return -1;
    }
    for (size_t i = 0; i < c->ngw; i++) {
        c->gw_names[i] = c->gw[i].name;
        c->gw_devs[i] = c->gw[i].device;
    }
    for (size_t i = 0; i < c->ntn; i++) {
        c->tn_names[i] = c->tn[i].name;
        c->tn_devs[i] = c->tn[i].device;
    }
    return 0;
}

/* The one configured gateway/tunnel name `given` stands for (exact, else a unique prefix match). */
static const char *resolve_name(const char *given, const char *device, const char *const *names,
                                const char *const *devices, size_t n)
{
    if (!given)
        return NULL;
    const char *hit = NULL;
    int hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !same_device(device, devices[i]))
            continue;
        if (strcmp(names[i], given) == 0)
            return names[i];
        if (ikm_names_compatible(names[i], given)) {
            if (!hit || strcmp(hit, names[i]) != 0)
                hits++;
            hit = names[i];
        }
    }
    return hits == 1 ? hit : NULL;
}

static void set_name(char **slot, const char *v)
{
    if (!v || (*slot && strcmp(*slot, v) == 0))
        return;
    char *d = strdup(v);
    if (d) {
        free(*slot);
        *slot = d;
    }
}

/* Fills what the configuration knows about an incident's names. */
static void join_config(const struct config *c, const char *device, char **gateway, char **tunnel, char **peer)
{
    const char *const *gw_names = c->gw_names, *const *gw_devs = c->gw_devs;
    const char *const *tn_names = c->tn_names, *const *tn_devs = c->tn_devs;
    /* the system log's object field holds the gateway for some IKE events and the tunnel for
     * others: a name only the other table has is moved there */
    if (*tunnel && !resolve_name(*tunnel, device, tn_names, tn_devs, c->ntn)) {
        const char *as_gw = resolve_name(*tunnel, device, gw_names, gw_devs, c->ngw);
        if (as_gw && (!*gateway || ikm_names_compatible(*gateway, as_gw))) {
            set_name(gateway, as_gw);
            free(*tunnel);
            *tunnel = NULL;
        }
    }
    if (*gateway && !resolve_name(*gateway, device, gw_names, gw_devs, c->ngw)) {
        const char *as_tn = resolve_name(*gateway, device, tn_names, tn_devs, c->ntn);
        if (as_tn && (!*tunnel || ikm_names_compatible(*tunnel, as_tn))) {
            set_name(tunnel, as_tn);
            free(*gateway);
            *gateway = NULL;
        }
    }
    set_name(tunnel, resolve_name(*tunnel, device, tn_names, tn_devs, c->ntn));
    set_name(gateway, resolve_name(*gateway, device, gw_names, gw_devs, c->ngw));
    if (*tunnel && !*gateway)
        for (size_t i = 0; i < c->ntn; i++)
            if (same_device(device, c->tn[i].device) && c->tn[i].name && strcmp(c->tn[i].name, *tunnel) == 0)
                set_name(gateway, c->tn[i].gateway);
    if (*peer && !*gateway) { /* a peer address that only one gateway has */
        const char *hit = NULL;
        int hits = 0;
        for (size_t i = 0; i < c->ngw; i++)
            if (same_device(device, c->gw[i].device) && c->gw[i].peer_ip && strcmp(c->gw[i].peer_ip, *peer) == 0) {
                hit = c->gw[i].name;
                hits++;
            }
        if (hits == 1)
            set_name(gateway, hit);
    }
    if (*gateway && !*peer)
        for (size_t i = 0; i < c->ngw; i++)
            if (same_device(device, c->gw[i].device) && c->gw[i].name && strcmp(c->gw[i].name, *gateway) == 0)
                set_name(peer, c->gw[i].peer_ip);
    if (*gateway && !*tunnel) { /* a gateway with exactly one tunnel */
        const char *hit = NULL;
        int hits = 0;
        for (size_t i = 0; i < c->ntn; i++)
            if (same_device(device, c->tn[i].device) && c->tn[i].gateway && strcmp(c->tn[i].gateway, *gateway) == 0) {
                hit = c->tn[i].name;
                hits++;
            }
        if (hits == 1)
            set_name(tunnel, hit);
    }
}

static int config_interval(const struct config *c, const char *device, const char *gateway)
{
    /* a configured value outside what a liveness check can mean is not trusted */
    for (size_t i = 0; gateway && i < c->ngw; i++)
        if (same_device(device, c->gw[i].device) && c->gw[i].name && strcmp(c->gw[i].name, gateway) == 0 &&
            c->gw[i].interval_s > 0 && c->gw[i].interval_s <= IKM_INTERVAL_MAX_S)
            return c->gw[i].interval_s;
    return IKM_DEFAULT_INTERVAL_S;
}

static int shares_a_name(const struct incident *in, const struct anchor *a)
{
    return (in->gateway && a->gateway && ikm_names_compatible(in->gateway, a->gateway)) ||
           (in->tunnel && a->tunnel && ikm_names_compatible(in->tunnel, a->tunnel)) ||
           (in->peer && a->peer && strcmp(in->peer, a->peer) == 0);
}

static int no_names(const char *g, const char *t, const char *p)
{
    return !g && !t && !p;
}

static int can_join(const struct incident *in, const struct anchor *a)
{
    if (!same_device(in->device, a->device) || (in->device == NULL) != (a->device == NULL))
        return 0;
    if (!ikm_names_compatible(in->gateway, a->gateway) || !ikm_names_compatible(in->tunnel, a->tunnel) ||
        (in->peer && a->peer && strcmp(in->peer, a->peer) != 0))
        return 0;
    if (!shares_a_name(in, a) && !no_names(a->gateway, a->tunnel, a->peer) &&
        !no_names(in->gateway, in->tunnel, in->peer))
        return 0;
    int64_t gap = a->ts_us - in->last_us;
    int64_t limit = IKM_MERGE_STREAK_S;
    if (is_down_rank(a->kind_rank))
        /* the drop after failed rekeys/negotiations is their outcome: the same outage */
        limit = is_down_rank(in->top_rank) ? IKM_MERGE_DOWN_S : IKM_MERGE_PRECURSOR_S;
    return gap <= limit * US;
}

/* The longer of two compatible names: the uncut one. */
static void merge_name(char **slot, const char *v)
{
    if (v && (!*slot || strlen(v) > strlen(*slot)))
        set_name(slot, v);
}

/* What an incident takes from a part that joins it (an anchor, or another incident): n anchor
 * ids, the time span, its kind when of a higher rank (or as high and earlier), and its names. */
static int incident_take(struct incident *in, const int64_t *ids, size_t n, int64_t first_us, int64_t last_us,
                         int rank, int64_t top_event_id, int64_t top_first_us, const char *kind, const char *gateway,
                         const char *tunnel, const char *peer)
{
    int64_t *p = realloc(in->anchor_ids, (in->nanchors + n + 1) * sizeof *p);
    if (!p)
        return -1;
    in->anchor_ids = p;
    if (n)
        memcpy(in->anchor_ids + in->nanchors, ids, n * sizeof *p);
    in->nanchors += n;
    if (last_us > in->last_us)
        in->last_us = last_us;
    if (first_us < in->first_us)
        in->first_us = first_us;
    if (rank < in->top_rank || (rank == in->top_rank && top_first_us < in->top_first_us)) {
        in->top_rank = rank;
        in->top_event_id = top_event_id;
        in->top_first_us = top_first_us;
        snprintf(in->kind, sizeof in->kind, "%s", kind);
    }
    merge_name(&in->gateway, gateway);
    merge_name(&in->tunnel, tunnel);
    if (!in->peer && peer)
        set_name(&in->peer, peer);
    return 0;
}

static int incident_add_anchor(struct incident *in, const struct anchor *a)
{
    return incident_take(in, &a->event_id, 1, a->ts_us, a->ts_us, a->kind_rank, a->event_id, a->ts_us, a->kind,
                         a->gateway, a->tunnel, a->peer);
}

/* Incident `later` (opened after `in`) becomes a part of `in`. */
static int incident_absorb(struct incident *in, const struct incident *later)
{
    return incident_take(in, later->anchor_ids, later->nanchors, later->first_us, later->last_us, later->top_rank,
                         later->top_event_id, later->top_first_us, later->kind, later->gateway, later->tunnel,
                         later->peer);
}

static void anchor_free(struct anchor *a)
{
    free(a->device);
    free(a->gateway);
    free(a->tunnel);
    free(a->peer);
}

static void incident_free(struct incident *in)
{
    free(in->device);
    free(in->gateway);
    free(in->tunnel);
    free(in->peer);
    free(in->anchor_ids);
}

struct build {
    sqlite3 *db;
    struct config cfg;
    struct incident *inc;
    size_t ninc, cap;
    size_t *active; /* indexes of the incidents an anchor may still join, oldest first */
    size_t nactive, active_cap;
    char *err;
    size_t errsz;
};

static int open_incident(struct build *b, const struct anchor *a)
{
    if (grow((void **)&b->inc, b->ninc, &b->cap, sizeof *b->inc) < 0)
        return -1;
    if (grow((void **)&b->active, b->nactive, &b->active_cap, sizeof *b->active) < 0)
        return -1;
    b->active[b->nactive++] = b->ninc;
    struct incident *in = &b->inc[b->ninc++];
    memset(in, 0, sizeof *in);
    in->first_us = in->last_us = a->ts_us;
    in->top_rank = (int)N_ANCHOR_KINDS;
    if (a->device && !(in->device = strdup(a->device)))
        return -1;
    return incident_add_anchor(in, a);
}

static char *peer_of_spi(sqlite3 *db, const char *device, const char *ispi);

static void incident_free(struct incident *in);

/* Anchors join incidents in time order, so the anchor that links two names (an abort line
 * naming the gateway and the peer) may come after anchors that each carry one of them (the
 * system log's line names the gateway, ikemgr's "DPD down" the tunnel and the peer): each
 * opened an incident of its own. Once every anchor is placed, an incident that can join an
 * earlier one (can_join, taken as the anchor it would be) becomes a part of it, until none
 * can. Incidents are in the order of their first anchor; b->active is reused for those kept
 * that a later one may still join (as in read_anchors), so the pass stays linear. */
static int coalesce(struct build *b)
{
    size_t kept = 0;
    b->nactive = 0;
    for (size_t j = 0; j < b->ninc; j++) {
        struct incident *y = &b->inc[j];
        size_t keep = 0;
        for (size_t k = 0; k < b->nactive; k++)
            if (y->first_us - b->inc[b->active[k]].last_us <= IKM_MERGE_STREAK_S * US)
                b->active[keep++] = b->active[k];
        b->nactive = keep;
        struct anchor as = {.ts_us = y->first_us, .kind_rank = y->top_rank, .device = y->device,
                            .gateway = y->gateway, .tunnel = y->tunnel, .peer = y->peer};
        struct incident *target = NULL;
        for (size_t k = b->nactive; k-- > 0;)
            if (can_join(&b->inc[b->active[k]], &as)) {
                target = &b->inc[b->active[k]];
                break;
            }
        /* an incident taken or moved is left zeroed: a failure part way frees each once */
        if (target) {
            if (incident_absorb(target, y) < 0)
                return -1;
            incident_free(y);
            memset(y, 0, sizeof *y);
            continue;
        }
        if (kept != j) {
            b->inc[kept] = *y;
            memset(y, 0, sizeof *y);
        }
        if (grow((void **)&b->active, b->nactive, &b->active_cap, sizeof *b->active) < 0)
            return -1;
        b->active[b->nactive++] = kept++;
    }
    b->ninc = kept; /* past it: zeroed */
    return 0;
}

/* Without a running config nothing may link the names the sources give one outage: the
 * system log's line names the gateway, ikemgr's "DPD down" only the tunnel, and when no line
 * names two of them they stay incidents of their own, one of them without evidence. Down
 * incidents of one device that follow one another within IKM_MERGE_DOWN_S are one outage when
 * nothing any two of them name contradicts; when two do (several tunnels down at once), all
 * stay apart, since which goes with which is not known. Runs after coalesce, on incidents in
 * first-anchor order. */
static int merge_split_outages(struct build *b)
{
    unsigned char *done = calloc(b->ninc ? b->ninc : 1, 1);
    size_t *member = malloc((b->ninc ? b->ninc : 1) * sizeof *member);
    if (!done || !member) {
        free(done);
        free(member);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < b->ninc && rc == 0; i++) {
        struct incident *x = &b->inc[i];
        if (done[i] || !is_down_rank(x->top_rank))
            continue;
        size_t n = 0;
        member[n++] = i;
        int64_t last = x->last_us;
        for (size_t j = i + 1; j < b->ninc; j++) {
            const struct incident *y = &b->inc[j];
            if (y->first_us - last > IKM_MERGE_DOWN_S * US)
                break;
            if (done[j] || !is_down_rank(y->top_rank) || !same_device(x->device, y->device) ||
                (x->device == NULL) != (y->device == NULL))
                continue;
            member[n++] = j;
            if (y->last_us > last)
                last = y->last_us;
        }
        int ok = n > 1;
        for (size_t p = 0; ok && p < n; p++)
            for (size_t q = p + 1; ok && q < n; q++) {
                const struct incident *u = &b->inc[member[p]], *v = &b->inc[member[q]];
                ok = ikm_names_compatible(u->gateway, v->gateway) && ikm_names_compatible(u->tunnel, v->tunnel) &&
                     !(u->peer && v->peer && strcmp(u->peer, v->peer) != 0);
            }
        for (size_t p = 0; p < n; p++)
            done[member[p]] = 1;
        for (size_t p = 1; ok && p < n && rc == 0; p++) {
            struct incident *y = &b->inc[member[p]];
            rc = incident_absorb(x, y);
            incident_free(y);
            memset(y, 0, sizeof *y);
            y->top_rank = -1; /* merged: dropped below */
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < b->ninc; i++) {
        if (b->inc[i].top_rank == -1)
            continue;
        if (kept != i)
            b->inc[kept] = b->inc[i];
        kept++;
    }
    b->ninc = kept;
    free(done);
    free(member);
    return rc;
}

static int read_anchors(struct build *b, int64_t *nanchors)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT id, ts_us, kind, device, gateway, tunnel, peer_ip,"
                           " lower(json_extract(attrs_json, '$.spi_i')) FROM events "
                           "WHERE kind IN (" ANCHOR_KINDS_SQL ") "
                           "ORDER BY ts_us, id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(b->err, b->errsz, "incidents: reading anchors: %s", sqlite3_errmsg(b->db));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct anchor a = {0};
        a.event_id = sqlite3_column_int64(st, 0);
        a.ts_us = sqlite3_column_int64(st, 1);
        snprintf(a.kind, sizeof a.kind, "%s", (const char *)sqlite3_column_text(st, 2));
        for (size_t k = 0; k < N_ANCHOR_KINDS; k++)
            if (strcmp(a.kind, anchor_kinds[k]) == 0)
                a.kind_rank = (int)k;
        a.device = dup_col(st, 3);
        a.gateway = dup_col(st, 4);
        a.tunnel = dup_col(st, 5);
        a.peer = dup_col(st, 6);
        if (!a.peer)
            a.peer = peer_of_spi(b->db, a.device, (const char *)sqlite3_column_text(st, 7));
        join_config(&b->cfg, a.device, &a.gateway, &a.tunnel, &a.peer);
        (*nanchors)++;
        /* the most recent open incident it can join: one still within the longest merge gap
         * (an incident opened earlier may have been extended later, so all open ones count) */
        size_t keep = 0;
        for (size_t k = 0; k < b->nactive; k++)
            if (a.ts_us - b->inc[b->active[k]].last_us <= IKM_MERGE_STREAK_S * US)
                b->active[keep++] = b->active[k];
        b->nactive = keep;
        struct incident *target = NULL;
        for (size_t k = b->nactive; k-- > 0;)
            if (can_join(&b->inc[b->active[k]], &a)) {
                target = &b->inc[b->active[k]];
                break;
            }
        if (target ? incident_add_anchor(target, &a) < 0 : open_incident(b, &a) < 0) {
            snprintf(b->err, b->errsz, "incidents: out of memory");
            rc = -1;
        }
        anchor_free(&a);
    }
    sqlite3_finalize(st);
    return rc;
}

/* One text value for two text parameters (device may be NULL: any device), or NULL. */
static char *query_text(sqlite3 *db, const char *sql, const char *p1, const char *device)
{
    sqlite3_stmt *st;
    char *v = NULL;
    if (!p1 || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, p1, -1, SQLITE_STATIC);
    if (device)
        sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = dup_col(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The peer of an IKE SA named only by its SPIs (ikemgr's IKEv1 "DPD: remote (ISAKMP-SA
 * spi=I:R) seems to be dead"): the other end of the SA's messages. */
static char *peer_of_spi(sqlite3 *db, const char *device, const char *ispi)
{
    return query_text(db,
                      "SELECT CASE dir WHEN 'recv' THEN src_ip ELSE dst_ip END FROM ike_messages"
                      " WHERE ispi = ?1 AND dir IS NOT NULL AND (?2 IS NULL OR device IS NULL OR device = ?2) LIMIT 1",
                      ispi, device);
}

static char *device_fact(sqlite3 *db, const char *device, const char *key)
{
    return query_text(db,
                      "SELECT value FROM device_facts WHERE key = ?1 AND (?2 IS NULL OR device = ?2) ORDER BY id LIMIT 1",
                      key, device);
}

static void set_window(struct build *b, struct incident *in)
{
    join_config(&b->cfg, in->device, &in->gateway, &in->tunnel, &in->peer);
    char *ver = device_fact(b->db, in->device, "sw-version");
    in->schedule_s = ikm_liveness_schedule_s(ver);
    free(ver);
    in->interval_s = config_interval(&b->cfg, in->device, in->gateway);
    int64_t before = IKM_WINDOW_SLACK_S * US;
    if (is_down_rank(in->top_rank) || strcmp(in->kind, "tunnel-no-traffic") == 0)
        before += (int64_t)(in->schedule_s + 2 * in->interval_s) * US;
    in->window_start_us = in->top_first_us - before;
    if (in->first_us - IKM_WINDOW_SLACK_S * US < in->window_start_us) /* precursors stay inside */
        in->window_start_us = in->first_us - IKM_WINDOW_SLACK_S * US;
    in->window_end_us = in->last_us + IKM_WINDOW_AFTER_S * US;
}

/* An incident on a state rather than an event (tunnel up, no traffic): no anchor row. */
static int open_state_incident(struct build *b, const struct anchor *a, int64_t last_us)
{
    if (open_incident(b, a) < 0)
        return -1;
    struct incident *in = &b->inc[b->ninc - 1];
    in->nanchors = 0;
    in->top_event_id = 0;
    in->last_us = last_us;
    snprintf(in->kind, sizeof in->kind, "tunnel-no-traffic");
    return 0;
}

/* One-way ESP in captures: a direction that keeps sending for IKM_ESP_MIN_BUCKETS buckets
 * after the reverse direction last sent (or never did). The silent side is the peer. */
static int esp_one_way(struct build *b, int64_t *opened)
{
    sqlite3_stmt *st;
    /* per direction once (GROUP BY), its reverse by a join of the aggregates, then the buckets
     * after the reverse fell silent through the flow index: linear in the ESP rows */
    const char *sql =
        "WITH dir AS (SELECT device, src_ip, dst_ip, MAX(bucket_start_us) AS last_b FROM esp_counts"
        "             GROUP BY device, src_ip, dst_ip),"
        "     rev AS (SELECT d.device, d.src_ip, d.dst_ip, d.last_b, r.last_b AS rev_last FROM dir d"
        "             LEFT JOIN dir r ON r.src_ip = d.dst_ip AND r.dst_ip = d.src_ip AND r.device IS d.device)"
        " SELECT rev.device, rev.src_ip, rev.dst_ip, MIN(e.bucket_start_us), COUNT(DISTINCT e.bucket_start_us),"
        "        rev.last_b"
        "   FROM rev CROSS JOIN esp_counts e ON e.src_ip = rev.src_ip AND e.dst_ip = rev.dst_ip"
        "        AND e.bucket_start_us > COALESCE(rev.rev_last, -1) AND e.device IS rev.device"
        "  GROUP BY rev.device, rev.src_ip, rev.dst_ip ORDER BY 4";
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(b->err, b->errsz, "incidents: one-way ESP: %s", sqlite3_errmsg(b->db));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 3) == SQLITE_NULL || sqlite3_column_int64(st, 4) < IKM_ESP_MIN_BUCKETS)
            continue;
        struct anchor a = {0};
        a.event_id = 0;
        a.ts_us = sqlite3_column_int64(st, 3);
        a.kind_rank = 3; /* a down-like state: its window takes the liveness schedule */
        snprintf(a.kind, sizeof a.kind, "no-traffic");
        a.device = dup_col(st, 0);
        a.peer = dup_col(st, 2);
        join_config(&b->cfg, a.device, &a.gateway, &a.tunnel, &a.peer);
        if (open_state_incident(b, &a, sqlite3_column_int64(st, 5)) < 0)
            rc = -1;
        else
            (*opened)++;
        anchor_free(&a);
    }
    sqlite3_finalize(st);
    return rc;
}

/* When a techsupport file's CLI outputs were taken: its `show clock`, in the device's zone
 * (running-config, else the clock's abbreviation, else UTC). 0 when unknown. */
static int64_t snapshot_utc(sqlite3 *db, int64_t source_id, const char *device)
{
    char *local = NULL, *abbr = NULL, *zone = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT value FROM device_facts WHERE source_id = ?1 AND key = 'clock-local'),"
                           " (SELECT value FROM device_facts WHERE source_id = ?1 AND key = 'clock-zone'),"
                           " (SELECT value FROM device_facts WHERE key = 'timezone' AND (?2 IS NULL OR device = ?2)"
                           "  ORDER BY id LIMIT 1)",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, source_id);
    if (device)
        sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        local = dup_col(st, 0);
        abbr = dup_col(st, 1);
        zone = dup_col(st, 2);
    }
    sqlite3_finalize(st);
    int64_t utc = 0;
    struct tm tm = {0};
    if (local && sscanf(local, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                        &tm.tm_sec) == 6) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        int64_t local_us = (int64_t)timegm(&tm) * US;
        struct ikm_tz tz = {0};
        char err[128];
        int amb;
        if (!(zone && ikm_tz_parse(zone, &tz, err, sizeof err) == 0) && !(abbr && ikm_tz_from_abbrev(abbr, &tz, &amb) == 0))
            ikm_tz_parse("UTC", &tz, err, sizeof err);
        utc = ikm_tz_local_to_utc(&tz, local_us);
    }
    free(local);
    free(abbr);
    free(zone);
    return utc;
}

/* Tunnel up, no traffic from the counters (the second seed: `show vpn flow tunnel-id N` taken
 * twice): encap packets rose between the first and the last snapshot, decap did not. */
static int flow_counters_flat(struct build *b, int64_t *opened)
{
    sqlite3_stmt *st;
    const char *sql =
        "WITH v AS (SELECT source_id, device, object, occurrence,"
        "   MAX(CASE key WHEN 'encap packets' THEN CAST(value AS INTEGER) END) AS encap,"
        "   MAX(CASE key WHEN 'decap packets' THEN CAST(value AS INTEGER) END) AS decap,"
        "   MAX(CASE key WHEN 'peer ip' THEN value END) AS peer"
        "   FROM cli_values WHERE command LIKE 'show vpn flow tunnel-id%' AND object IS NOT NULL"
        "   GROUP BY source_id, device, object, occurrence),"
        " ends AS (SELECT source_id, device, object, MIN(occurrence) AS o1, MAX(occurrence) AS o2 FROM v"
        "   GROUP BY source_id, device, object HAVING COUNT(*) >= 2)"
        " SELECT e.source_id, e.device, e.object, b.peer FROM ends e"
        "  JOIN v a ON a.source_id = e.source_id AND a.object = e.object AND a.occurrence = e.o1"
        "  JOIN v b ON b.source_id = e.source_id AND b.object = e.object AND b.occurrence = e.o2"
        " WHERE b.encap > a.encap AND b.decap = a.decap";
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(b->err, b->errsz, "incidents: flow counters: %s", sqlite3_errmsg(b->db));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct anchor a = {0};
        a.device = dup_col(st, 1);
        a.tunnel = dup_col(st, 2);
        a.peer = dup_col(st, 3);
        a.ts_us = snapshot_utc(b->db, sqlite3_column_int64(st, 0), a.device);
        a.kind_rank = 3;
        snprintf(a.kind, sizeof a.kind, "no-traffic");
        join_config(&b->cfg, a.device, &a.gateway, &a.tunnel, &a.peer);
        /* a capture that already showed it opened the incident */
        int seen = 0;
        for (size_t i = 0; i < b->ninc; i++)
            if (strcmp(b->inc[i].kind, "tunnel-no-traffic") == 0 && b->inc[i].peer && a.peer &&
                strcmp(b->inc[i].peer, a.peer) == 0)
                seen = 1;
        if (a.ts_us && !seen) {
            if (open_state_incident(b, &a, a.ts_us) < 0)
                rc = -1;
            else
                (*opened)++;
        }
        anchor_free(&a);
    }
    sqlite3_finalize(st);
    return rc;
}

static int cmp_incident(const void *x, const void *y)
{
    const struct incident *a = x, *b = y;
    return (a->top_first_us > b->top_first_us) - (a->top_first_us < b->top_first_us);
}

static int write_incidents(struct build *b)
{
    sqlite3_stmt *ins = NULL, *anc = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(b->db,
                           "INSERT INTO incidents(anchor_event_id, kind, ts_us, last_us, window_start_us, "
                           "window_end_us, gateway, tunnel, peer_ip, device, interval_s, schedule_s) "
                           "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b->db, "INSERT INTO incident_anchors(incident_id, event_id) VALUES (?1, ?2)", -1, &anc,
                           NULL) != SQLITE_OK)
        goto out;
    for (size_t i = 0; i < b->ninc; i++) {
        struct incident *in = &b->inc[i];
        sqlite3_reset(ins);
        if (in->top_event_id > 0)
            sqlite3_bind_int64(ins, 1, in->top_event_id);
        else
            sqlite3_bind_null(ins, 1);
        sqlite3_bind_text(ins, 2, in->kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, in->top_first_us);
        sqlite3_bind_int64(ins, 4, in->last_us);
        sqlite3_bind_int64(ins, 5, in->window_start_us);
        sqlite3_bind_int64(ins, 6, in->window_end_us);
        const char *texts[] = {in->gateway, in->tunnel, in->peer, in->device};
        for (int k = 0; k < 4; k++)
            if (texts[k])
                sqlite3_bind_text(ins, 7 + k, texts[k], -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(ins, 7 + k);
        sqlite3_bind_int(ins, 11, in->interval_s);
        sqlite3_bind_int(ins, 12, in->schedule_s);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto out;
        int64_t id = sqlite3_last_insert_rowid(b->db);
        for (size_t k = 0; k < in->nanchors; k++) {
            sqlite3_reset(anc);
            sqlite3_bind_int64(anc, 1, id);
            sqlite3_bind_int64(anc, 2, in->anchor_ids[k]);
            if (sqlite3_step(anc) != SQLITE_DONE)
                goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0)
        snprintf(b->err, b->errsz, "incidents: writing: %s", sqlite3_errmsg(b->db));
    sqlite3_finalize(ins);
    sqlite3_finalize(anc);
    return rc;
}

/* An anchor that names its SA only by SPIs finds its peer by them (peer_of_spi). The SPI index
 * is built here, once such an anchor exists, instead of with every timeline (schema). */
static int index_spis_if_asked(sqlite3 *db, char *err, size_t errsz)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM events WHERE kind IN (" ANCHOR_KINDS_SQL ") AND peer_ip IS NULL"
                           " AND json_extract(attrs_json, '$.spi_i') IS NOT NULL LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "incidents: looking for anchors named by SPI: %s", sqlite3_errmsg(db));
        return -1;
    }
    int asked = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (!asked)
        return 0;
    return ikm_db_execf(db, "incidents: indexing the SPIs", err, errsz,
                        "CREATE INDEX IF NOT EXISTS ike_messages_spi ON ike_messages(ispi) WHERE ispi IS NOT NULL;");
}

int ikm_incidents_build(sqlite3 *db, struct ikm_incident_stats *st, char *err, size_t errsz)
{
    memset(st, 0, sizeof *st);
    struct build b = {.db = db, .err = err, .errsz = errsz};
    /* the evidence of every incident looks its anchors up: without the index that is a scan
     * of all anchors per incident */
    if (ikm_db_execf(db, "incidents: clearing the previous analysis", err, errsz,
                     "DELETE FROM findings; DELETE FROM incident_anchors; DELETE FROM incidents;"
                     "CREATE INDEX IF NOT EXISTS incident_anchors_incident ON incident_anchors(incident_id);"
                     /* ESP by flow and by either end: one-way detection and the rules' per-peer
                      * reads stay linear in the capture's size */
                     "CREATE INDEX IF NOT EXISTS esp_counts_flow ON esp_counts(src_ip, dst_ip, bucket_start_us);"
                     "CREATE INDEX IF NOT EXISTS esp_counts_dst ON esp_counts(dst_ip, bucket_start_us);") < 0)
        return -1;
    if (index_spis_if_asked(db, err, errsz) < 0)
        return -1;
    if (config_load(db, &b.cfg, err, errsz) < 0) {
        config_free(&b.cfg);
        return -1;
    }
    int rc = read_anchors(&b, &st->anchors);
    if (rc == 0 && (coalesce(&b) < 0 || merge_split_outages(&b) < 0)) {
        snprintf(err, errsz, "incidents: out of memory");
        rc = -1;
    }
    if (rc == 0)
        rc = esp_one_way(&b, &st->no_traffic);
    if (rc == 0)
        rc = flow_counters_flat(&b, &st->no_traffic);
    if (rc == 0) {
        if (b.ninc > 1)
            qsort(b.inc, b.ninc, sizeof *b.inc, cmp_incident);
        for (size_t i = 0; i < b.ninc; i++)
            set_window(&b, &b.inc[i]);
        rc = write_incidents(&b);
    }
    st->incidents = (int64_t)b.ninc;
    for (size_t i = 0; i < b.ninc; i++)
        incident_free(&b.inc[i]);
    free(b.inc);
    free(b.active);
    config_free(&b.cfg);
    return rc;
}
