/*
 * pairing.c — derives the `exchanges` table: each IKE request matched with its response,
 * retransmits counted, unanswered requests kept with no response.
 *
 * Log-origin messages carry no SPIs, and ikemgr's send line carries no message id
 * (DESIGN.md, "exchanges"). Per device and remote address, in time order:
 *   - a send while the peer's request is waiting is our response to it;
 *   - a send of the same length as our pending request, within RETRANSMIT_GAP_US of its
 *     previous copy, is a retransmit (a retransmission resends the identical bytes);
 *   - any other send is a new request (a pending one is closed unanswered);
 *   - a received response answers our pending request, which takes its message id and
 *     exchange type;
 *   - a received request opens the peer's request (same id again: the peer retransmitted).
 * The N of "N times of M bytes" is copies sent at once (racoon2), not a retransmit count.
 *
 * Derived values are written through a temporary table and applied at the end, so the
 * scan never reads rows it has modified.
 */
#include "pairing.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRANSMIT_GAP_US (150LL * 1000000) /* above the longest backoff step (60-64 s) */
#define PEERS_MAX (1 << 20)

struct pending {
    int64_t id, first_us, last_us, length, msg_id;
    int exch_type;
    int retransmits;
    int active;
};

struct peer {
    char *key; /* device '\x1f' ip */
    struct pending out, in;
};

struct pair_ctx {
    sqlite3 *db;
    sqlite3_stmt *ins_x, *ins_upd;
    struct peer *tab;
    size_t cap, used;
    int64_t exchanges, answered;
    int overflow;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static int grow(struct pair_ctx *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 256;
    struct peer *nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->tab[i].key)
            continue;
        size_t j = hash_str(c->tab[i].key) & (ncap - 1);
        while (nt[j].key)
            j = (j + 1) & (ncap - 1);
        nt[j] = c->tab[i];
    }
    free(c->tab);
    c->tab = nt;
    c->cap = ncap;
    return 0;
}

static struct peer *peer_get(struct pair_ctx *c, const char *device, const char *ip)
{
    char key[320];
    snprintf(key, sizeof key, "%s\x1f%s", device ? device : "", ip);
    if (c->cap) {
        size_t j = hash_str(key) & (c->cap - 1);
        while (c->tab[j].key) {
            if (strcmp(c->tab[j].key, key) == 0)
                return &c->tab[j];
            j = (j + 1) & (c->cap - 1);
        }
    }
    if (c->used >= PEERS_MAX) {
        c->overflow = 1;
        return NULL;
    }
    if ((c->used + 1) * 2 > c->cap && grow(c) < 0)
        return NULL;
    size_t j = hash_str(key) & (c->cap - 1);
    while (c->tab[j].key)
        j = (j + 1) & (c->cap - 1);
    c->tab[j].key = strdup(key);
    if (!c->tab[j].key)
        return NULL;
    c->used++;
    return &c->tab[j];
}

static int step(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? 0 : -1;
}

static int put_exchange(struct pair_ctx *c, const struct pending *p, int64_t response_id, int64_t response_us,
                        const char *initiator)
{
    sqlite3_bind_int64(c->ins_x, 1, p->id);
    if (response_id > 0) {
        sqlite3_bind_int64(c->ins_x, 2, response_id);
        sqlite3_bind_int64(c->ins_x, 3, response_us - p->last_us);
        c->answered++;
    } else {
        sqlite3_bind_null(c->ins_x, 2);
        sqlite3_bind_null(c->ins_x, 3);
    }
    sqlite3_bind_int(c->ins_x, 4, p->retransmits);
    sqlite3_bind_text(c->ins_x, 5, initiator, -1, SQLITE_STATIC);
    c->exchanges++;
    return step(c->ins_x);
}

/* Records derived values for one message: msg_id/exch_type/is_response (-1: leave NULL)
 * and the request it retransmits (0: none). */
static int put_update(struct pair_ctx *c, int64_t id, int64_t msg_id, int exch_type, int is_response,
                      int64_t retransmit_of)
{
    sqlite3_stmt *st = c->ins_upd;
    sqlite3_bind_int64(st, 1, id);
    if (msg_id >= 0)
        sqlite3_bind_int64(st, 2, msg_id);
    else
        sqlite3_bind_null(st, 2);
    if (exch_type >= 0)
        sqlite3_bind_int(st, 3, exch_type);
    else
        sqlite3_bind_null(st, 3);
    if (is_response >= 0)
        sqlite3_bind_int(st, 4, is_response);
    else
        sqlite3_bind_null(st, 4);
    if (retransmit_of > 0)
        sqlite3_bind_int64(st, 5, retransmit_of);
    else
        sqlite3_bind_null(st, 5);
    return step(st);
}

static int close_pending(struct pair_ctx *c, struct pending *p, const char *initiator)
{
    if (!p->active)
        return 0;
    p->active = 0;
    return put_exchange(c, p, 0, 0, initiator);
}

static void open_pending(struct pending *p, int64_t id, int64_t ts, int64_t length, int64_t msg_id, int exch)
{
    p->active = 1;
    p->id = id;
    p->first_us = p->last_us = ts;
    p->length = length;
    p->msg_id = msg_id;
    p->exch_type = exch;
    p->retransmits = 0;
}

static int col_int(sqlite3_stmt *st, int i, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? (int)dflt : sqlite3_column_int(st, i);
}

static int64_t col_i64(sqlite3_stmt *st, int i, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static int on_message(struct pair_ctx *c, sqlite3_stmt *q)
{
    int64_t id = sqlite3_column_int64(q, 0);
    int64_t ts = sqlite3_column_int64(q, 1);
    const char *dir = (const char *)sqlite3_column_text(q, 2);
    const char *src = (const char *)sqlite3_column_text(q, 3);
    const char *dst = (const char *)sqlite3_column_text(q, 4);
    int64_t length = col_i64(q, 5, -1);
    int is_resp = col_int(q, 6, -1);
    int64_t msg_id = col_i64(q, 7, -1);
    int exch = col_int(q, 8, -1);
    const char *device = (const char *)sqlite3_column_text(q, 9);
    if (!dir)
        return 0;
    int sent = strcmp(dir, "sent") == 0;
    const char *remote = sent ? dst : src;
    if (!remote)
        return 0;
    struct peer *p = peer_get(c, device, remote);
    if (!p)
        return c->overflow ? 0 : -1;
    if (sent) {
        if (p->in.active) {
            /* our answer to the peer's request */
            p->in.active = 0;
            if (put_exchange(c, &p->in, id, ts, "peer") < 0 ||
                put_update(c, id, p->in.msg_id, p->in.exch_type, 1, 0) < 0)
                return -1;
            return 0;
        }
        if (p->out.active && length == p->out.length && ts - p->out.last_us <= RETRANSMIT_GAP_US) {
            p->out.retransmits++;
            p->out.last_us = ts;
            return put_update(c, id, -1, -1, 0, p->out.id);
        }
        if (close_pending(c, &p->out, "local") < 0)
            return -1;
        open_pending(&p->out, id, ts, length, -1, -1);
        return put_update(c, id, -1, -1, 0, 0);
    }
    if (is_resp == 1) {
        if (!p->out.active)
            return 0; /* its request is not in the inputs (earlier rotation, debug turned on late) */
        p->out.active = 0;
        if (put_exchange(c, &p->out, id, ts, "local") < 0 ||
            put_update(c, p->out.id, msg_id, exch, 0, 0) < 0)
            return -1;
        return 0;
    }
    if (is_resp == 0) {
        if (p->in.active && msg_id >= 0 && msg_id == p->in.msg_id) {
            p->in.retransmits++;
            p->in.last_us = ts;
            return put_update(c, id, -1, -1, -1, p->in.id);
        }
        if (close_pending(c, &p->in, "peer") < 0)
            return -1;
        open_pending(&p->in, id, ts, length, msg_id, exch);
    }
    return 0;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errsz, "pairing: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

#define MSG_COLUMNS "id, ts_us, dir, src_ip, dst_ip, length, is_response, msg_id, exch_type, device"
#define MERGE_SOURCES_MAX 64

/* Orders two cursors' current rows: device, then time, then source order. */
static int head_before(sqlite3_stmt *a, int64_t a_src, sqlite3_stmt *b, int64_t b_src)
{
    const char *da = (const char *)sqlite3_column_text(a, 9), *db = (const char *)sqlite3_column_text(b, 9);
    int dc = (da && db) ? strcmp(da, db) : (da ? 1 : 0) - (db ? 1 : 0);
    if (dc)
        return dc < 0;
    int64_t ta = sqlite3_column_int64(a, 1), tb = sqlite3_column_int64(b, 1);
    if (ta != tb)
        return ta < tb;
    return a_src < b_src;
}

/* Feeds every log-origin message to on_message in time order. A source's rows are one
 * contiguous id range in file order (one transaction per source), so each source is read
 * by rowid and the sources are merged by time: no sort of the whole table. With more
 * sources than the merge handles, one sorted query does the same. */
static int scan_messages(struct pair_ctx *c, char *err, size_t errsz)
{
    sqlite3 *db = c->db;
    sqlite3_stmt *ranges = NULL, *cur[MERGE_SOURCES_MAX] = {0};
    int64_t src[MERGE_SOURCES_MAX];
    int n = 0, rc = -1, r;
    if (sqlite3_prepare_v2(db,
                           "SELECT source_id, min(id), max(id) FROM ike_messages WHERE origin = 'log' "
                           "GROUP BY source_id ORDER BY source_id",
                           -1, &ranges, NULL) != SQLITE_OK)
        goto dberr;
    while ((r = sqlite3_step(ranges)) == SQLITE_ROW && n <= MERGE_SOURCES_MAX) {
        if (n == MERGE_SOURCES_MAX) {
            n++; /* too many: fall back below */
            break;
        }
        if (sqlite3_prepare_v2(db, "SELECT " MSG_COLUMNS " FROM ike_messages WHERE id BETWEEN ? AND ? "
                                   "AND origin = 'log' ORDER BY id",
                               -1, &cur[n], NULL) != SQLITE_OK)
            goto dberr;
        src[n] = sqlite3_column_int64(ranges, 0);
        sqlite3_bind_int64(cur[n], 1, sqlite3_column_int64(ranges, 1));
        sqlite3_bind_int64(cur[n], 2, sqlite3_column_int64(ranges, 2));
        n++;
    }
    if (n > MERGE_SOURCES_MAX) {
        for (int i = 0; i < MERGE_SOURCES_MAX; i++)
            sqlite3_finalize(cur[i]), cur[i] = NULL;
        if (sqlite3_prepare_v2(db, "SELECT " MSG_COLUMNS " FROM ike_messages WHERE origin = 'log' "
                                   "ORDER BY device, ts_us, source_id, id",
                               -1, &cur[0], NULL) != SQLITE_OK)
            goto dberr;
        src[0] = 0;
        n = 1;
    }
    int live[MERGE_SOURCES_MAX];
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
        if (on_message(c, cur[best]) < 0)
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

int ikm_pair_log_exchanges(sqlite3 *db, struct ikm_pair_stats *stats, char *err, size_t errsz)
{
    struct pair_ctx c = {.db = db};
    int rc = -1;
    memset(stats, 0, sizeof *stats);
    if (exec(db, "BEGIN", err, errsz) < 0)
        goto out;
    /* derived values exist only where an earlier pairing wrote them, and every such write
     * came with an exchange row: without log exchanges there is nothing to reset */
    sqlite3_stmt *q0;
    int paired_before = 0;
    if (sqlite3_prepare_v2(db, "SELECT EXISTS(SELECT 1 FROM exchanges WHERE origin = 'log')", -1, &q0, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(q0) == SQLITE_ROW)
            paired_before = sqlite3_column_int(q0, 0);
        sqlite3_finalize(q0);
    }
    if (paired_before &&
        exec(db,
             "DELETE FROM exchanges WHERE origin = 'log';"
             "UPDATE ike_messages SET msg_id = NULL, exch_type = NULL, is_response = NULL, retransmit_of = NULL "
             " WHERE origin = 'log' AND dir = 'sent';"
             "UPDATE ike_messages SET retransmit_of = NULL WHERE origin = 'log' AND retransmit_of IS NOT NULL;",
             err, errsz) < 0)
        goto out;
    if (exec(db,
             "CREATE TEMP TABLE IF NOT EXISTS pair_update(id INTEGER PRIMARY KEY, msg_id, exch_type, "
             " is_response, retransmit_of);"
             "DELETE FROM temp.pair_update;",
             err, errsz) < 0)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO exchanges(origin, request_id, response_id, rtt_us, retransmits, initiator) "
                           "VALUES('log', ?, ?, ?, ?, ?)",
                           -1, &c.ins_x, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO temp.pair_update VALUES(?, ?, ?, ?, ?)", -1, &c.ins_upd,
                           NULL) != SQLITE_OK) {
        snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
        goto out;
    }
    if (scan_messages(&c, err, errsz) < 0)
        goto out;
    for (size_t i = 0; i < c.cap; i++) {
        if (!c.tab[i].key)
            continue;
        if (close_pending(&c, &c.tab[i].out, "local") < 0 || close_pending(&c, &c.tab[i].in, "peer") < 0) {
            snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
            goto out;
        }
    }
    /* apply, then give retransmitted copies their original's id and type */
    if (exec(db,
             "UPDATE ike_messages SET msg_id = COALESCE(u.msg_id, ike_messages.msg_id),"
             " exch_type = COALESCE(u.exch_type, ike_messages.exch_type),"
             " is_response = COALESCE(u.is_response, ike_messages.is_response),"
             " retransmit_of = u.retransmit_of"
             " FROM temp.pair_update u WHERE ike_messages.id = u.id;"
             "UPDATE ike_messages SET msg_id = o.msg_id, exch_type = o.exch_type, is_response = o.is_response"
             " FROM ike_messages o WHERE ike_messages.retransmit_of = o.id AND ike_messages.origin = 'log';"
             "DROP TABLE temp.pair_update;"
             "COMMIT;",
             err, errsz) < 0)
        goto out;
    stats->exchanges = c.exchanges;
    stats->answered = c.answered;
    stats->peers_overflow = c.overflow;
    rc = 0;
out:
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(c.ins_x);
    sqlite3_finalize(c.ins_upd);
    for (size_t i = 0; i < c.cap; i++)
        free(c.tab[i].key);
    free(c.tab);
    return rc;
}
