/*
 * pairing.c — derives the `exchanges` table: each IKE request matched with its response,
 * retransmits counted, unanswered requests kept with no response. One pass per origin over
 * the messages in time order; the table is rebuilt whole on every run.
 *
 * Log origin. ikemgr's lines carry no SPIs and its send line no message id (DESIGN.md,
 * "exchanges"). Per device and remote address:
 *   - a send while the peer's request is waiting is our response to it;
 *   - a send of the same length as our pending request, within RETRANSMIT_GAP_US of its
 *     previous copy, is a retransmit (a retransmission resends the identical bytes);
 *   - any other send is a new request (a pending one is closed unanswered);
 *   - a received response answers our pending request, which takes its message id and
 *     exchange type;
 *   - a received request opens the peer's request (same id again: the peer retransmitted).
 * The N of "N times of M bytes" is copies sent at once (racoon2), not a retransmit count.
 *
 * Capture origin. Per device and IKE SA (initiator SPI), per message id: IKEv2 says which
 * message is a response (R flag); for IKEv1 a message with the same id from the other end
 * is the response. A request repeated from the same end with the same length before any
 * response is a retransmit. A capture does not say which end is the firewall: the device's
 * own addresses (the local end of its log sends, the configured gateways' local addresses)
 * decide `initiator` and the messages' `dir` when known.
 *
 * Derived values are written through a temporary table and applied at the end, so the
 * scans never read rows they modified.
 */
#include "pairing.h"

#include "dbexec.h"
#include "strmap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRANSMIT_GAP_US (150LL * 1000000) /* above the longest backoff step (60-64 s) */
#define SA_WINDOW 4                        /* concurrent requests tracked per IKE SA */
#define ADDR_MAX 64
#define MERGE_SOURCES_MAX 512
#define PEER_ANSWER_US (5LL * 1000000) /* our answer to a peer's request follows within this */

/* ---- pairing state ------------------------------------------------------------------------ */

struct pending {
    int64_t id, last_us, length, msg_id;
    int32_t exch_type;
    int32_t retransmits;
    uint32_t src, dst; /* interned addresses (pair_ctx.addrs) */
    int active;
    int ours;          /* a log send: the row is marked a request when it closes */
};

struct log_peer { /* per device, local and remote address */
    struct pending out, in;
    struct pending answered; /* the peer's last answered request, to recognise its resends */
    int reanswer;            /* the peer resent it: our next send answers it again */
};

struct ike_sa { /* per device and initiator SPI */
    struct pending req[SA_WINDOW];
};

struct pair_ctx {
    sqlite3 *db;
    sqlite3_stmt *ins_x, *ins_upd, *bump_x;
    const char *origin;
    struct ikm_strmap keys;
    void *slots; /* struct log_peer[] or struct ike_sa[] */
    size_t slot_size, nslots, slots_cap;
    struct ikm_strmap local_addrs; /* device '\x1f' ip of the device's own addresses */
    struct ikm_strmap last_local;  /* log pass: device '\x1f' remote -> index into locals */
    char (*locals)[ADDR_MAX];
    size_t nlocals;
    struct ikm_strmap addr_ids;    /* every address seen -> index into addrs */
    char (*addrs)[ADDR_MAX];
    size_t naddrs;
    struct ikm_pair_stats *stats;
    int overflow;
};

/* The slot for key, zeroed when new; NULL when the table is full (counted) or on no memory. */
static void *slot_get(struct pair_ctx *c, const char *key)
{
    int added;
    int64_t i = ikm_strmap_get(&c->keys, key, (uint32_t)c->nslots, &added);
    if (i < 0) {
        c->overflow = 1;
        return NULL;
    }
    if (added) {
        if (c->nslots == c->slots_cap) {
            size_t ncap = c->slots_cap ? c->slots_cap * 2 : 64;
            void *ns = realloc(c->slots, ncap * c->slot_size);
            if (!ns)
                return NULL;
            c->slots = ns;
            c->slots_cap = ncap;
        }
        memset((char *)c->slots + c->nslots * c->slot_size, 0, c->slot_size);
        c->nslots++;
    }
    return (char *)c->slots + (size_t)i * c->slot_size;
}

static void reset_slots(struct pair_ctx *c, size_t slot_size)
{
    ikm_strmap_free(&c->keys);
    free(c->slots);
    c->slots = NULL;
    c->nslots = c->slots_cap = 0;
    c->slot_size = slot_size;
}

static int step(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? 0 : -1;
}

/* The interned id of an address (0 is the empty address). */
static uint32_t addr_id(struct pair_ctx *c, const char *ip)
{
    if (!ip || !*ip)
        return 0;
    if (c->naddrs == 0) { /* id 0: the empty address */
        c->addrs = calloc(1, sizeof *c->addrs);
        if (!c->addrs)
            return 0;
        c->naddrs = 1;
    }
    int added;
    int64_t i = ikm_strmap_get(&c->addr_ids, ip, (uint32_t)c->naddrs, &added);
    if (i < 0)
        return 0;
    if (added) {
        char(*na)[ADDR_MAX] = realloc(c->addrs, (c->naddrs + 1) * sizeof *na);
        if (!na)
            return 0;
        c->addrs = na;
        snprintf(c->addrs[c->naddrs], ADDR_MAX, "%s", ip);
        c->naddrs++;
    }
    return (uint32_t)i;
}

static const char *addr_of(const struct pair_ctx *c, uint32_t id)
{
    return id && id < c->naddrs ? c->addrs[id] : "";
}

/* 'local' / 'peer' when the request's ends say which is the device, else NULL. */
static const char *initiator_of(struct pair_ctx *c, const char *device, const struct pending *p)
{
    char key[ADDR_MAX + 200];
    snprintf(key, sizeof key, "%s\x1f%s", device ? device : "", addr_of(c, p->src));
    if (ikm_strmap_has(&c->local_addrs, key))
        return "local";
    snprintf(key, sizeof key, "%s\x1f%s", device ? device : "", addr_of(c, p->dst));
    if (ikm_strmap_has(&c->local_addrs, key))
        return "peer";
    return NULL;
}

static int put_exchange(struct pair_ctx *c, const struct pending *p, int64_t response_id, int64_t response_us,
                        const char *initiator)
{
    sqlite3_stmt *st = c->ins_x;
    sqlite3_bind_text(st, 1, c->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, p->id);
    if (response_id > 0) {
        sqlite3_bind_int64(st, 3, response_id);
        /* a clock stepped back between the two lines: the pairing stands, the RTT does not */
        if (response_us >= p->last_us)
            sqlite3_bind_int64(st, 4, response_us - p->last_us);
        else
            sqlite3_bind_null(st, 4);
        c->stats->answered++;
    } else {
        sqlite3_bind_null(st, 3);
        sqlite3_bind_null(st, 4);
    }
    sqlite3_bind_int(st, 5, p->retransmits);
    if (initiator)
        sqlite3_bind_text(st, 6, initiator, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    c->stats->exchanges++;
    return step(st);
}

/* Derived values for one message; -1 (0 for retransmit_of, NULL for dir) leaves a column
 * as it is. */
static int put_update(struct pair_ctx *c, int64_t id, int64_t msg_id, int exch_type, int is_response,
                      int64_t retransmit_of, const char *dir)
{
    sqlite3_stmt *st = c->ins_upd;
    sqlite3_bind_int64(st, 1, id);
    if (msg_id >= 0)
        sqlite3_bind_int64(st, 2, msg_id);
    if (exch_type >= 0)
        sqlite3_bind_int(st, 3, exch_type);
    if (is_response >= 0)
        sqlite3_bind_int(st, 4, is_response);
    if (retransmit_of > 0)
        sqlite3_bind_int64(st, 5, retransmit_of);
    if (dir)
        sqlite3_bind_text(st, 6, dir, -1, SQLITE_STATIC);
    int r = step(st);
    sqlite3_clear_bindings(st);
    return r;
}

static int close_pending(struct pair_ctx *c, struct pending *p, const char *initiator)
{
    if (!p->active)
        return 0;
    p->active = 0;
    if (p->ours && put_update(c, p->id, -1, -1, 0, 0, NULL) < 0)
        return -1;
    return put_exchange(c, p, 0, 0, initiator);
}

static void open_pending(struct pair_ctx *c, struct pending *p, int64_t id, int64_t ts, int64_t length,
                         int64_t msg_id, int exch, const char *src, const char *dst)
{
    p->active = 1;
    p->ours = 0;
    p->id = id;
    p->last_us = ts;
    p->length = length;
    p->msg_id = msg_id;
    p->exch_type = exch;
    p->retransmits = 0;
    p->src = addr_id(c, src);
    p->dst = addr_id(c, dst);
}

/* The columns every scan reads, by index. */
#define MSG_COLUMNS                                                                                \
    "id, ts_us, dir, src_ip, dst_ip, length, is_response, msg_id, exch_type, device, ispi, version, "      \
    "expected_msg_id"
enum { C_ID, C_TS, C_DIR, C_SRC, C_DST, C_LEN, C_RESP, C_MSGID, C_EXCH, C_DEVICE, C_ISPI, C_VERSION, C_EXPECTED };

struct msg {
    int64_t id, ts, length, msg_id, expected;
    int is_resp, exch, version;
    const char *dir, *src, *dst, *device, *ispi;
};

static int64_t col_i64(sqlite3_stmt *st, int i, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static void read_msg(sqlite3_stmt *q, struct msg *m)
{
    m->id = sqlite3_column_int64(q, C_ID);
    m->ts = sqlite3_column_int64(q, C_TS);
    m->dir = (const char *)sqlite3_column_text(q, C_DIR);
    m->src = (const char *)sqlite3_column_text(q, C_SRC);
    m->dst = (const char *)sqlite3_column_text(q, C_DST);
    m->length = col_i64(q, C_LEN, -1);
    m->is_resp = (int)col_i64(q, C_RESP, -1);
    m->msg_id = col_i64(q, C_MSGID, -1);
    m->exch = (int)col_i64(q, C_EXCH, -1);
    m->device = (const char *)sqlite3_column_text(q, C_DEVICE);
    m->ispi = (const char *)sqlite3_column_text(q, C_ISPI);
    m->version = (int)col_i64(q, C_VERSION, -1);
    m->expected = col_i64(q, C_EXPECTED, -1);
}

/* The local address of a log message: the sender of a send; for a received message the
 * receiver when the parser knew it, else the local end last used towards that remote. */
static const char *log_local(struct pair_ctx *c, const struct msg *m, int sent)
{
    char key[ADDR_MAX + 200];
    const char *remote = sent ? m->dst : m->src, *local = sent ? m->src : m->dst;
    snprintf(key, sizeof key, "%s\x1f%s", m->device ? m->device : "", remote);
    if (local && local[0]) {
        int added;
        int64_t i = ikm_strmap_get(&c->last_local, key, (uint32_t)c->nlocals, &added);
        if (i >= 0 && added) {
            char(*nl)[ADDR_MAX] = realloc(c->locals, (c->nlocals + 1) * sizeof *nl);
            if (!nl)
                return local;
            c->locals = nl;
            c->nlocals++;
        }
        if (i >= 0)
            snprintf(c->locals[i], ADDR_MAX, "%s", local);
        return local;
    }
    int added;
    int64_t i = ikm_strmap_has(&c->last_local, key) ? ikm_strmap_get(&c->last_local, key, 0, &added) : -1;
    return i >= 0 ? c->locals[i] : "";
}

static int on_log_message(struct pair_ctx *c, const struct msg *m)
{
    if (!m->dir)
        return 0;
    int sent = strcmp(m->dir, "sent") == 0;
    const char *remote = sent ? m->dst : m->src;
    if (!remote)
        return 0;
    char key[2 * ADDR_MAX + 200];
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s", m->device ? m->device : "", log_local(c, m, sent), remote);
    struct log_peer *p = slot_get(c, key);
    if (!p)
        return c->overflow ? 0 : -1;
    if (sent) {
        /* our answer follows the peer's request closely; later, the request went unanswered */
        if (p->in.active && m->ts - p->in.last_us > PEER_ANSWER_US && close_pending(c, &p->in, "peer") < 0)
            return -1;
        if (p->reanswer && m->ts - p->answered.last_us <= PEER_ANSWER_US) {
            p->reanswer = 0; /* the same answer again, for the peer's resend */
            return put_update(c, m->id, p->answered.msg_id, p->answered.exch_type, 1, 0, NULL);
        }
        p->reanswer = 0;
        if (p->in.active) {
            p->in.active = 0;
            p->answered = p->in;
            if (put_exchange(c, &p->in, m->id, m->ts, "peer") < 0 ||
                put_update(c, m->id, p->in.msg_id, p->in.exch_type, 1, 0, NULL) < 0)
                return -1;
            return 0;
        }
        if (p->out.active && m->length == p->out.length && m->ts - p->out.last_us <= RETRANSMIT_GAP_US) {
            p->out.retransmits++;
            p->out.last_us = m->ts;
            return put_update(c, m->id, -1, -1, 0, p->out.id, NULL);
        }
        if (close_pending(c, &p->out, "local") < 0)
            return -1;
        open_pending(c, &p->out, m->id, m->ts, m->length, -1, -1, m->src, m->dst);
        p->out.ours = 1; /* marked a request when it closes: answered or not, one update */
        return 0;
    }
    if (m->is_resp == 1) {
        if (!p->out.active)
            return 0; /* its request is not in the inputs (earlier rotation, debug turned on late) */
        p->out.active = 0;
        if (put_exchange(c, &p->out, m->id, m->ts, "local") < 0 ||
            put_update(c, p->out.id, m->msg_id, m->exch, 0, 0, NULL) < 0)
            return -1;
        return 0;
    }
    if (m->is_resp == 0) {
        if (p->in.active && m->msg_id >= 0 && m->msg_id == p->in.msg_id) {
            p->in.retransmits++;
            p->in.last_us = m->ts;
            return put_update(c, m->id, -1, -1, -1, p->in.id, NULL);
        }
        if (p->answered.id && m->msg_id >= 0 && m->msg_id == p->answered.msg_id &&
            m->ts - p->answered.last_us <= RETRANSMIT_GAP_US) {
            /* the peer resent a request we answered: our answer did not reach it */
            p->answered.last_us = m->ts;
            p->reanswer = 1;
            sqlite3_stmt *st = c->bump_x;
            sqlite3_bind_int64(st, 1, p->answered.id);
            if (step(st) < 0)
                return -1;
            return put_update(c, m->id, -1, -1, -1, p->answered.id, NULL);
        }
        if (close_pending(c, &p->in, "peer") < 0)
            return -1;
        /* ikemgr drops a request whose id is not the one it expects: nothing will answer it */
        if (m->expected >= 0 && m->msg_id >= 0 && m->expected != m->msg_id)
            return 0;
        open_pending(c, &p->in, m->id, m->ts, m->length, m->msg_id, m->exch, m->src, m->dst);
    }
    return 0;
}

/* "sent" / "recv" for a capture message whose ends include one of the device's addresses. */
static const char *capture_dir(struct pair_ctx *c, const struct msg *m)
{
    char key[ADDR_MAX + 200];
    snprintf(key, sizeof key, "%s\x1f%s", m->device ? m->device : "", m->src ? m->src : "");
    if (ikm_strmap_has(&c->local_addrs, key))
        return "sent";
    snprintf(key, sizeof key, "%s\x1f%s", m->device ? m->device : "", m->dst ? m->dst : "");
    if (ikm_strmap_has(&c->local_addrs, key))
        return "recv";
    return NULL;
}

static int on_capture_message(struct pair_ctx *c, const struct msg *m)
{
    if (!m->ispi || !m->src || !m->dst || m->msg_id < 0)
        return 0;
    const char *dir = capture_dir(c, m);
    if (dir && put_update(c, m->id, -1, -1, -1, 0, dir) < 0)
        return -1;
    char key[256];
    snprintf(key, sizeof key, "%s\x1f%s", m->device ? m->device : "", m->ispi);
    struct ike_sa *sa = slot_get(c, key);
    if (!sa)
        return c->overflow ? 0 : -1;
    struct pending *p = NULL, *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < SA_WINDOW; i++) {
        struct pending *q = &sa->req[i];
        if (!q->active) {
            if (!free_slot)
                free_slot = q;
            continue;
        }
        if (q->msg_id == m->msg_id && !p)
            p = q;
        if (!oldest || q->last_us < oldest->last_us)
            oldest = q;
    }
    /* IKEv2 says it (R flag); otherwise a message from the other end answers */
    int is_resp = m->version == 2 && m->is_resp >= 0 ? m->is_resp
                                                      : (p && addr_id(c, m->src) == p->dst && addr_id(c, m->dst) == p->src);
    if (is_resp) {
        if (!p || addr_id(c, m->src) != p->dst)
            return 0; /* a response whose request was not captured, or a duplicate */
        p->active = 0;
        return put_exchange(c, p, m->id, m->ts, initiator_of(c, m->device, p));
    }
    if (p && addr_id(c, m->src) == p->src && m->length == p->length && m->ts - p->last_us <= RETRANSMIT_GAP_US) {
        p->retransmits++;
        p->last_us = m->ts;
        return put_update(c, m->id, -1, -1, -1, p->id, NULL);
    }
    if (p) { /* the same id again as a different message: the earlier one went unanswered */
        if (close_pending(c, p, initiator_of(c, m->device, p)) < 0)
            return -1;
        free_slot = p;
    }
    if (!free_slot) { /* window full: the oldest request is taken as unanswered */
        if (close_pending(c, oldest, initiator_of(c, m->device, oldest)) < 0)
            return -1;
        free_slot = oldest;
    }
    open_pending(c, free_slot, m->id, m->ts, m->length, m->msg_id, m->exch, m->src, m->dst);
    return 0;
}

static int close_all(struct pair_ctx *c, int log_origin)
{
    for (size_t i = 0; i < c->keys.cap; i++) {
        if (!c->keys.keys[i])
            continue;
        const char *device_end = strchr(c->keys.keys[i], '\x1f');
        char device[200];
        size_t dl = device_end ? (size_t)(device_end - c->keys.keys[i]) : 0;
        if (dl >= sizeof device)
            dl = sizeof device - 1;
        memcpy(device, c->keys.keys[i], dl);
        device[dl] = '\0';
        void *slot = (char *)c->slots + (size_t)c->keys.vals[i] * c->slot_size;
        if (log_origin) {
            struct log_peer *p = slot;
            if (close_pending(c, &p->out, "local") < 0 || close_pending(c, &p->in, "peer") < 0)
                return -1;
        } else {
            struct ike_sa *sa = slot;
            for (int k = 0; k < SA_WINDOW; k++)
                if (close_pending(c, &sa->req[k], initiator_of(c, device[0] ? device : NULL, &sa->req[k])) < 0)
                    return -1;
        }
    }
    return 0;
}

/* Orders two cursors' current rows: device, then time, then source order. */
static int head_before(sqlite3_stmt *a, int64_t a_src, sqlite3_stmt *b, int64_t b_src)
{
    const char *da = (const char *)sqlite3_column_text(a, C_DEVICE);
    const char *db = (const char *)sqlite3_column_text(b, C_DEVICE);
    int dc = (da && db) ? strcmp(da, db) : (da ? 1 : 0) - (db ? 1 : 0);
    if (dc)
        return dc < 0;
    int64_t ta = sqlite3_column_int64(a, C_TS), tb = sqlite3_column_int64(b, C_TS);
    if (ta != tb)
        return ta < tb;
    return a_src < b_src;
}

/* Feeds every message of c->origin to `on` in time order. A source's rows are one contiguous
 * id range in file order (one transaction per source), so each source is read by rowid and
 * the sources are merged by time: no sort of the whole table. With more sources than the
 * merge handles, one sorted query does the same. */
static int scan_messages(struct pair_ctx *c, int (*on)(struct pair_ctx *, const struct msg *), char *err,
                         size_t errsz)
{
    sqlite3 *db = c->db;
    sqlite3_stmt *ranges = NULL, *cur[MERGE_SOURCES_MAX] = {0};
    int64_t src[MERGE_SOURCES_MAX];
    int live[MERGE_SOURCES_MAX];
    int n = 0, rc = -1, r;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, msg_first, msg_last FROM sources WHERE msg_first IS NOT NULL ORDER BY id",
                           -1, &ranges, NULL) != SQLITE_OK)
        goto dberr;
    while ((r = sqlite3_step(ranges)) == SQLITE_ROW) {
        if (n == MERGE_SOURCES_MAX) {
            n++; /* too many: fall back below */
            break;
        }
        if (sqlite3_prepare_v2(db, "SELECT " MSG_COLUMNS " FROM ike_messages WHERE id BETWEEN ? AND ? "
                                   "AND origin = ? ORDER BY id",
                               -1, &cur[n], NULL) != SQLITE_OK)
            goto dberr;
        src[n] = sqlite3_column_int64(ranges, 0);
        sqlite3_bind_int64(cur[n], 1, sqlite3_column_int64(ranges, 1));
        sqlite3_bind_int64(cur[n], 2, sqlite3_column_int64(ranges, 2));
        sqlite3_bind_text(cur[n], 3, c->origin, -1, SQLITE_STATIC);
        n++;
    }
    if (n > MERGE_SOURCES_MAX) {
        for (int i = 0; i < MERGE_SOURCES_MAX; i++)
            sqlite3_finalize(cur[i]), cur[i] = NULL;
        if (sqlite3_prepare_v2(db, "SELECT " MSG_COLUMNS " FROM ike_messages WHERE origin = ? "
                                   "ORDER BY device, ts_us, source_id, id",
                               -1, &cur[0], NULL) != SQLITE_OK)
            goto dberr;
        sqlite3_bind_text(cur[0], 1, c->origin, -1, SQLITE_STATIC);
        src[0] = 0;
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        r = sqlite3_step(cur[i]);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            goto dberr;
        live[i] = r == SQLITE_ROW;
    }
    for (;;) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (live[i] && (best < 0 || head_before(cur[i], src[i], cur[best], src[best])))
                best = i;
        if (best < 0)
            break;
        struct msg m;
        read_msg(cur[best], &m);
        if (on(c, &m) < 0)
            goto dberr;
        r = sqlite3_step(cur[best]);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            goto dberr;
        live[best] = r == SQLITE_ROW;
    }
    rc = 0;
    goto out;
dberr:
    snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(ranges);
    for (int i = 0; i < MERGE_SOURCES_MAX; i++)
        sqlite3_finalize(cur[i]);
    return rc;
}

/* The device's own addresses: the local end of its log sends and its gateways' local IPs
 * (configured as "10.1.1.1/24": the prefix length is dropped). */
static int load_local_addrs(struct pair_ctx *c)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT DISTINCT device, src_ip FROM ike_messages WHERE origin = 'log' AND dir = 'sent' "
                           "AND src_ip IS NOT NULL "
                           "UNION SELECT device, local_ip FROM cfg_gateways WHERE local_ip IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 0);
        const char *ip = (const char *)sqlite3_column_text(st, 1);
        char key[ADDR_MAX + 200];
        int n = snprintf(key, sizeof key, "%s\x1f%s", d ? d : "", ip ? ip : "");
        char *slash = strchr(key + (n - (int)strlen(ip ? ip : "")), '/');
        if (slash)
            *slash = '\0';
        int added;
        if (ikm_strmap_get(&c->local_addrs, key, 0, &added) < 0)
            break;
    }
    sqlite3_finalize(st);
    return 0;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
    return ikm_db_execf(db, "pairing", err, errsz, "%s", sql);
}

static int exists(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    int r = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            r = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    return r;
}

int ikm_pair_exchanges(sqlite3 *db, struct ikm_pair_stats *stats, char *err, size_t errsz)
{
    struct pair_ctx c = {.db = db, .stats = stats};
    int rc = -1;
    memset(stats, 0, sizeof *stats);
    err[0] = '\0';
    if (exec(db, "BEGIN", err, errsz) < 0)
        goto out;
    /* derived values exist only where an earlier pairing wrote them, and every such write
     * came with an exchange row: without exchanges there is nothing to reset */
    if (exists(db, "SELECT EXISTS(SELECT 1 FROM exchanges)") &&
        exec(db,
             "DELETE FROM exchanges;"
             "UPDATE ike_messages SET msg_id = NULL, exch_type = NULL, is_response = NULL, retransmit_of = NULL "
             " WHERE origin = 'log' AND dir = 'sent';"
             "UPDATE ike_messages SET retransmit_of = NULL WHERE retransmit_of IS NOT NULL;"
             "UPDATE ike_messages SET dir = NULL WHERE origin = 'pcap' AND dir IS NOT NULL;",
             err, errsz) < 0)
        goto out;
    if (exec(db,
             "CREATE TEMP TABLE IF NOT EXISTS pair_update(id INTEGER PRIMARY KEY, msg_id, exch_type, "
             " is_response, retransmit_of, dir);"
             "DELETE FROM temp.pair_update;",
             err, errsz) < 0)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO exchanges(origin, request_id, response_id, rtt_us, retransmits, initiator) "
                           "VALUES(?, ?, ?, ?, ?, ?)",
                           -1, &c.ins_x, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO temp.pair_update VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE "
                           "SET msg_id = COALESCE(excluded.msg_id, msg_id), "
                           "exch_type = COALESCE(excluded.exch_type, exch_type), "
                           "is_response = COALESCE(excluded.is_response, is_response), "
                           "retransmit_of = COALESCE(excluded.retransmit_of, retransmit_of), "
                           "dir = COALESCE(excluded.dir, dir)",
                           -1, &c.ins_upd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE exchanges SET retransmits = retransmits + 1 WHERE request_id = ?", -1,
                           &c.bump_x, NULL) != SQLITE_OK ||
        load_local_addrs(&c) < 0) {
        snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
        goto out;
    }
    c.origin = "log";
    reset_slots(&c, sizeof(struct log_peer));
    if (scan_messages(&c, on_log_message, err, errsz) < 0 || close_all(&c, 1) < 0)
        goto dberr_if_unset;
    int64_t log_x = stats->exchanges;
    c.origin = "pcap";
    reset_slots(&c, sizeof(struct ike_sa));
    if (scan_messages(&c, on_capture_message, err, errsz) < 0 || close_all(&c, 0) < 0)
        goto dberr_if_unset;
    stats->log_exchanges = log_x;
    stats->capture_exchanges = stats->exchanges - log_x;
    /* apply, then give retransmitted copies their original's id and type */
    if (exec(db,
             "UPDATE ike_messages SET msg_id = COALESCE(u.msg_id, ike_messages.msg_id),"
             " exch_type = COALESCE(u.exch_type, ike_messages.exch_type),"
             " is_response = COALESCE(u.is_response, ike_messages.is_response),"
             " retransmit_of = u.retransmit_of,"
             " dir = COALESCE(u.dir, ike_messages.dir)"
             " FROM temp.pair_update u WHERE ike_messages.id = u.id;"
             "UPDATE ike_messages SET msg_id = o.msg_id, exch_type = o.exch_type, is_response = o.is_response"
             " FROM ike_messages o WHERE ike_messages.retransmit_of = o.id AND ike_messages.origin = 'log';"
             "DROP TABLE temp.pair_update;"
             "COMMIT;",
             err, errsz) < 0)
        goto out;
    stats->keys_overflow = c.overflow;
    rc = 0;
    goto out;
dberr_if_unset:
    if (!err[0])
        snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
out:
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(c.ins_x);
    sqlite3_finalize(c.ins_upd);
    sqlite3_finalize(c.bump_x);
    ikm_strmap_free(&c.keys);
    ikm_strmap_free(&c.local_addrs);
    ikm_strmap_free(&c.last_local);
    free(c.locals);
    ikm_strmap_free(&c.addr_ids);
    free(c.addrs);
    free(c.slots);
    return rc;
}
