/*
 * evidence.c — the per-incident temp tables and figures (see evidence.h).
 *
 * The peer's messages are found by address; in a capture also by the SPIs of its SA, so that
 * a peer whose NAT mapping moved to a new address is still followed. A message whose
 * direction the input did not say (a capture without known local addresses) is `recv` when
 * it comes from the peer's address, or reaches an address the peer's messages reach.
 *
 * Liveness: our requests that are empty INFORMATIONALs — exchange type 37 (IKEv2; v1: 5 with
 * R-U-THERE), and from a capture only when its size says "empty" (formats.md §8.5) since an
 * encrypted delete has the same type. An unanswered ikemgr send has no type (the response
 * would have said), so its size decides.
 */
#include "evidence.h"

#include "dbexec.h"
#include "incidents.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US 1000000LL
#define RTT_SAMPLES_MAX 100000 /* answered requests looked at for the median */
#define IKM_V1_DPD_ACK_S 10    /* an R-U-THERE-ACK later than this answers nothing */
#define IKM_STR_(x) #x
#define IKM_STR(x) IKM_STR_(x)

static const char temp_ddl[] =
    "CREATE TEMP TABLE IF NOT EXISTS inc (id INTEGER, kind TEXT, ts_us INTEGER, last_us INTEGER, "
    "  window_start_us INTEGER, window_end_us INTEGER, gateway TEXT, tunnel TEXT, peer_ip TEXT, device TEXT, "
    "  interval_s INTEGER, schedule_s INTEGER, has_pcap INTEGER, has_log INTEGER, requests INTEGER, "
    "  answered INTEGER, unanswered INTEGER, retransmits INTEGER, last_answered_us INTEGER, "
    "  first_unanswered_us INTEGER, first_unanswered_estimated INTEGER, rtt_max_us INTEGER, "
    "  rtt_median_us INTEGER, peer_msgs_after INTEGER, local_interface TEXT, local_ip TEXT);"
    "CREATE TEMP TABLE IF NOT EXISTS inc_msgs (id INTEGER PRIMARY KEY, source TEXT, origin TEXT, unit INTEGER, "
    "  ts_us INTEGER, dir TEXT, src_ip TEXT, src_port INTEGER, dst_ip TEXT, dst_port INTEGER, ispi TEXT, "
    "  rspi TEXT, version INTEGER, exch_type INTEGER, flags INTEGER, is_response INTEGER, msg_id INTEGER, "
    "  expected_msg_id INTEGER, length INTEGER, natt INTEGER, notify_error INTEGER, liveness INTEGER, "
    "  payloads TEXT, retransmit_of INTEGER, by_spi INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS inc_exch (id INTEGER PRIMARY KEY, origin TEXT, request_id INTEGER, "
    "  response_id INTEGER, req_ts_us INTEGER, resp_ts_us INTEGER, rtt_us INTEGER, retransmits INTEGER, "
    "  msg_id INTEGER, exch_type INTEGER, length INTEGER, local INTEGER, liveness INTEGER, source TEXT, "
    "  req_unit INTEGER, resp_unit INTEGER, ispi TEXT, rspi TEXT, notify_error INTEGER, version INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS inc_events (id INTEGER PRIMARY KEY, source TEXT, line INTEGER, "
    "  ts_us INTEGER, kind TEXT, severity TEXT, gateway TEXT, tunnel TEXT, peer_ip TEXT, msg TEXT, "
    "  attrs_json TEXT, anchor INTEGER, related INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS inc_msgid (kind TEXT, ts_us INTEGER, source TEXT, unit INTEGER, "
    "  origin TEXT, expected INTEGER, got INTEGER, text TEXT);"
    "CREATE TEMP TABLE IF NOT EXISTS inc_peer_side (id INTEGER PRIMARY KEY, device TEXT, source TEXT, "
    "  origin TEXT, unit INTEGER, ts_us INTEGER, dir TEXT, src_ip TEXT, src_port INTEGER, dst_ip TEXT, "
    "  dst_port INTEGER, exch_type INTEGER, is_response INTEGER, msg_id INTEGER, length INTEGER);";

/* ikm_names_compatible(a, b) in SQL: rules and the queries below match cut names the same way */
static void sql_names_compatible(sqlite3_context *c, int argc, sqlite3_value **v)
{
    (void)argc;
    const char *a = (const char *)sqlite3_value_text(v[0]), *b = (const char *)sqlite3_value_text(v[1]);
    if (!a || !b) {
        sqlite3_result_null(c);
        return;
    }
    sqlite3_result_int(c, ikm_names_compatible(a, b));
}

int ikm_ip_in_prefix(const char *ip, const char *prefix)
{
    char net[64];
    const char *slash = strchr(prefix, '/');
    size_t n = slash ? (size_t)(slash - prefix) : strlen(prefix);
    if (n == 0 || n >= sizeof net)
        return -1;
    memcpy(net, prefix, n);
    net[n] = 0;
    unsigned char a[16], b[16];
    int family = strchr(net, ':') ? AF_INET6 : AF_INET;
    int bytes = family == AF_INET6 ? 16 : 4;
    if (inet_pton(family, ip, a) != 1 || inet_pton(family, net, b) != 1)
        return -1;
    long bits = bytes * 8;
    if (slash) {
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || bits < 0 || bits > bytes * 8)
            return -1;
    }
    for (long i = 0; i < bits; i++) {
        int mask = 0x80 >> (i % 8);
        if ((a[i / 8] & mask) != (b[i / 8] & mask))
            return 0;
    }
    return 1;
}

/* ip_in_prefix(ip, prefix): 1, 0, or NULL when either is not an address/prefix */
static void sql_ip_in_prefix(sqlite3_context *c, int argc, sqlite3_value **v)
{
    (void)argc;
    const char *ip = (const char *)sqlite3_value_text(v[0]), *px = (const char *)sqlite3_value_text(v[1]);
    int r = ip && px ? ikm_ip_in_prefix(ip, px) : -1;
    if (r < 0)
        sqlite3_result_null(c);
    else
        sqlite3_result_int(c, r);
}

int ikm_evidence_init(sqlite3 *db, char *err, size_t errsz)
{
    if (sqlite3_create_function(db, "names_compatible", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_names_compatible, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "ip_in_prefix", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_ip_in_prefix,
                                NULL, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "evidence: %s", sqlite3_errmsg(db));
        return -1;
    }
    return ikm_db_execf(db, "evidence: temp tables", err, errsz, "%s", temp_ddl);
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t dsz)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, dsz, "%s", t ? (const char *)t : "");
}

static int load_incident(sqlite3 *db, int64_t id, struct ikm_incident_ctx *c, char *err, size_t errsz)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT ts_us, last_us, window_start_us, window_end_us, kind, device, gateway, tunnel, "
                           "peer_ip, interval_s, schedule_s FROM incidents WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "evidence: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        memset(c, 0, sizeof *c);
        c->id = id;
        c->ts_us = sqlite3_column_int64(st, 0);
        c->last_us = sqlite3_column_int64(st, 1);
        c->window_start_us = sqlite3_column_int64(st, 2);
        c->window_end_us = sqlite3_column_int64(st, 3);
        copy_col(st, 4, c->kind, sizeof c->kind);
        copy_col(st, 5, c->device, sizeof c->device);
        copy_col(st, 6, c->gateway, sizeof c->gateway);
        copy_col(st, 7, c->tunnel, sizeof c->tunnel);
        copy_col(st, 8, c->peer, sizeof c->peer);
        c->interval_s = sqlite3_column_int(st, 9);
        c->schedule_s = sqlite3_column_int(st, 10);
        rc = 0;
    } else {
        snprintf(err, errsz, "evidence: no incident %lld", (long long)id);
    }
    sqlite3_finalize(st);
    return rc;
}

static const char *const incident_params[] = {":id", ":ws", ":we", ":anchor", ":last", ":fu", ":interval",
                                              ":device", ":gateway", ":tunnel", ":peer"};

int ikm_incident_param_known(const char *name)
{
    for (size_t k = 0; name && k < sizeof incident_params / sizeof incident_params[0]; k++)
        if (strcmp(name, incident_params[k]) == 0)
            return 1;
    return 0;
}

void ikm_incident_bind(sqlite3_stmt *st, const struct ikm_incident_ctx *c)
{
    const struct {
        const char *name;
        int64_t v;
        int present;
    } nums[] = {
        {":id", c->id, 1},
        {":ws", c->window_start_us, 1},
        {":we", c->window_end_us, 1},
        {":anchor", c->ts_us, 1},
        {":last", c->last_us, 1},
        {":fu", c->first_unanswered_us, c->first_unanswered_us != 0},
        {":interval", c->interval_s, 1},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        int i = sqlite3_bind_parameter_index(st, nums[k].name);
        if (i > 0 && nums[k].present)
            sqlite3_bind_int64(st, i, nums[k].v);
        else if (i > 0)
            sqlite3_bind_null(st, i);
    }
    const struct {
        const char *name, *v;
    } texts[] = {{":device", c->device}, {":gateway", c->gateway}, {":tunnel", c->tunnel}, {":peer", c->peer}};
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        int i = sqlite3_bind_parameter_index(st, texts[k].name);
        if (i > 0 && texts[k].v[0])
            sqlite3_bind_text(st, i, texts[k].v, -1, SQLITE_STATIC);
        else if (i > 0)
            sqlite3_bind_null(st, i);
    }
}

static int run_bound(sqlite3 *db, const char *what, const char *sql, const struct ikm_incident_ctx *c, char *err,
                     size_t errsz)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "evidence: %s: %s", what, sqlite3_errmsg(db));
        return -1;
    }
    ikm_incident_bind(st, c);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        snprintf(err, errsz, "evidence: %s: %s", what, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

#define MSG_COLUMNS                                                                                          \
    "m.id, s.path, m.origin, m.frame_or_line, m.ts_us, %s, m.src_ip, m.src_port, m.dst_ip, m.dst_port, "     \
    "m.ispi, m.rspi, m.version, m.exch_type, m.flags, m.is_response, m.msg_id, m.expected_msg_id, m.length, " \
    "m.natt, m.notify_error, m.liveness, m.payloads, m.retransmit_of, %d"

static int fill_tables(sqlite3 *db, const struct ikm_incident_ctx *c, char *err, size_t errsz)
{
    char sql[2048];
    if (ikm_db_execf(db, "evidence: clearing", err, errsz,
                     "DELETE FROM temp.inc; DELETE FROM temp.inc_msgs; DELETE FROM temp.inc_exch; "
                     "DELETE FROM temp.inc_events; DELETE FROM temp.inc_msgid; DELETE FROM temp.inc_peer_side;") < 0)
        return -1;
    snprintf(sql, sizeof sql,
             "INSERT INTO temp.inc_msgs SELECT " MSG_COLUMNS
             " FROM ike_messages m JOIN sources s ON s.id = m.source_id"
             " WHERE m.ts_us BETWEEN :ws AND :we AND :peer IS NOT NULL AND (m.src_ip = :peer OR m.dst_ip = :peer)"
             " AND (:device IS NULL OR m.device IS NULL OR m.device = :device)",
             "COALESCE(m.dir, CASE WHEN m.src_ip = :peer THEN 'recv' ELSE 'sent' END)", 0);
    if (run_bound(db, "the peer's messages", sql, c, err, errsz) < 0)
        return -1;
    /* the same SA from another address: a NAT mapping that moved */
    snprintf(sql, sizeof sql,
             "INSERT INTO temp.inc_msgs SELECT " MSG_COLUMNS
             " FROM ike_messages m JOIN sources s ON s.id = m.source_id"
             " WHERE m.ts_us BETWEEN :ws AND :we AND m.ispi IS NOT NULL AND m.ispi <> '0000000000000000'"
             " AND m.ispi IN (SELECT ispi FROM temp.inc_msgs WHERE ispi IS NOT NULL)"
             " AND m.id NOT IN (SELECT id FROM temp.inc_msgs)"
             " AND (:device IS NULL OR m.device IS NULL OR m.device = :device)",
             "COALESCE(m.dir, CASE WHEN m.dst_ip IN (SELECT dst_ip FROM temp.inc_msgs WHERE dir = 'recv') "
             "THEN 'recv' ELSE 'sent' END)",
             1);
    if (run_bound(db, "the SA's messages", sql, c, err, errsz) < 0)
        return -1;
    if (run_bound(db, "exchanges",
                  "INSERT INTO temp.inc_exch SELECT x.request_id, x.origin, q.id, x.response_id, q.ts_us, r.ts_us, x.rtt_us,"
                  " x.retransmits, COALESCE(q.msg_id, r.msg_id), COALESCE(q.exch_type, r.exch_type), q.length,"
                  " CASE WHEN x.initiator IS NOT NULL THEN x.initiator = 'local' ELSE q.dir = 'sent' END,"
                  " CASE WHEN q.origin = 'pcap' THEN COALESCE(q.liveness, 0) >= 50"
                  "  AND ((q.version = 2 AND q.exch_type = 37) OR (q.version = 1 AND q.exch_type = 5))"
                  "  WHEN COALESCE(q.exch_type, r.exch_type) IS NOT NULL THEN COALESCE(q.exch_type, r.exch_type) IN (37, 5)"
                  "  ELSE q.length IN (57, 60, 64, 72, 76, 80, 84, 88, 92, 96, 100) END,"
                  " q.source, q.unit, r.frame_or_line, q.ispi, q.rspi, r.notify_error, q.version"
                  /* the exchange's key; the unary + because SQLite, flattening the view's
                   * union into this join, would otherwise scan every message and look each up
                   * in inc_msgs (CROSS JOIN no longer orders the flattened arms) */
                  " FROM temp.inc_msgs q CROSS JOIN exchanges x ON x.request_id = +q.id"
                  " LEFT JOIN ike_messages r ON r.id = x.response_id ORDER BY q.id",
                  c, err, errsz) < 0)
        return -1;
    /* IKEv1 DPD (RFC 3706): R-U-THERE and its ACK are two Informational exchanges, each with
     * its own message id, so pairing leaves both unanswered. Ours is answered by the peer's
     * Informational on the same SA that follows within IKM_V1_DPD_ACK_S; sizes as §8.5. */
    if (run_bound(db, "IKEv1 DPD",
                  "UPDATE temp.inc_exch SET liveness = 1,"
                  " response_id = (SELECT m.id FROM temp.inc_msgs m WHERE m.dir = 'recv' AND m.version = 1"
                  "  AND m.exch_type = 5 AND m.ispi = inc_exch.ispi AND m.ts_us BETWEEN inc_exch.req_ts_us"
                  "  AND inc_exch.req_ts_us + " IKM_STR(IKM_V1_DPD_ACK_S) "000000 ORDER BY m.ts_us LIMIT 1)"
                  " WHERE local AND version = 1 AND exch_type = 5 AND response_id IS NULL"
                  " AND length IN (84, 92, 108, 124)",
                  c, err, errsz) < 0 ||
        run_bound(db, "IKEv1 DPD",
                  "UPDATE temp.inc_exch SET resp_ts_us = (SELECT ts_us FROM temp.inc_msgs m WHERE m.id = response_id),"
                  " resp_unit = (SELECT unit FROM temp.inc_msgs m WHERE m.id = response_id),"
                  " rtt_us = (SELECT ts_us FROM temp.inc_msgs m WHERE m.id = response_id) - req_ts_us"
                  " WHERE version = 1 AND local AND liveness AND response_id IS NOT NULL AND resp_ts_us IS NULL",
                  c, err, errsz) < 0)
        return -1;
    /* The other end's own data when its bundle was given too (formats: both peers' bundles):
     * the messages between its address and ours that its capture or log saw, so a rule can
     * tell "our requests never reached it" from "it answered and the answers were lost". Its
     * clock may be off by seconds: the window is widened by a minute. */
    if (run_bound(db, "the peer's side",
                  "INSERT INTO temp.inc_peer_side SELECT m.id, m.device, s.path, m.origin, m.frame_or_line, m.ts_us,"
                  " m.dir, m.src_ip, m.src_port, m.dst_ip, m.dst_port, m.exch_type, m.is_response, m.msg_id, m.length"
                  " FROM ike_messages m JOIN sources s ON s.id = m.source_id"
                  " WHERE :device IS NOT NULL AND :peer IS NOT NULL"
                  " AND m.ts_us BETWEEN :ws - 60000000 AND :we + 60000000"
                  " AND m.device IS NOT NULL AND m.device <> :device AND m.dir IS NOT NULL"
                  " AND ((m.dir = 'recv' AND m.dst_ip = :peer AND m.src_ip IN"
                  "      (SELECT src_ip FROM temp.inc_msgs WHERE dir = 'sent'))"
                  "   OR (m.dir = 'sent' AND m.src_ip = :peer AND m.dst_ip IN"
                  "      (SELECT src_ip FROM temp.inc_msgs WHERE dir = 'sent')))",
                  c, err, errsz) < 0)
        return -1;
    /* The device's events of the window that can matter: its changes (routes, links, commits,
     * HA, restarts) whoever they name, and the rest only when they are the incident's anchors
     * or name its peer, gateway or tunnel — a busy firewall logs thousands of other tunnels'
     * negotiations in ten minutes. Read through the kind index: the per-message kinds (SA
     * states, status notifies, probes, untyped lines) are most of a debug log and no rule
     * reads them. */
    return run_bound(db, "events",
                     "INSERT INTO temp.inc_events SELECT * FROM (SELECT e.id, s.path, e.line, e.ts_us, e.kind,"
                     " e.severity, e.gateway, e.tunnel, e.peer_ip, e.msg, e.attrs_json,"
                     " e.id IN (SELECT event_id FROM incident_anchors WHERE incident_id = :id) AS anchor,"
                     " (e.peer_ip IS NOT NULL AND e.peer_ip = :peer) OR COALESCE(names_compatible(e.gateway, :gateway), 0)"
                     "  OR COALESCE(names_compatible(e.tunnel, :tunnel), 0)"
                     /* the system log's object field: a gateway where a tunnel was expected */
                     "  OR COALESCE(names_compatible(e.tunnel, :gateway), 0) AS related"
                     " FROM events e JOIN sources s ON s.id = e.source_id"
                     " WHERE e.ts_us BETWEEN :ws AND :we AND (:device IS NULL OR e.device IS NULL OR e.device = :device)"
                     " AND e.kind IN ('dpd-down', 'ike-sa-down', 'p1-start', 'p1-up', 'p1-fail', 'p2-start', 'p2-up',"
                     " 'p2-fail', 'tunnel-down', 'tunnel-up', 'route-change', 'config-commit', 'policy-change',"
                     " 'link-down', 'link-up', 'ha-state', 'daemon-restart', 'notify-error', 'delete', 'rekey',"
                     " 'msgid-mismatch', 'nat-t'))"
                     " WHERE anchor OR related OR kind IN ('route-change', 'config-commit', 'policy-change', 'link-down',"
                     " 'link-up', 'ha-state', 'daemon-restart')",
                     c, err, errsz);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Our liveness requests of one origin up to the end of the incident. */
static int liveness_of(sqlite3 *db, const struct ikm_incident_ctx *c, const char *origin,
                       struct ikm_liveness_figures *f, char *err, size_t errsz)
{
    memset(f, 0, sizeof *f);
    f->rtt_max_us = f->rtt_median_us = -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT req_ts_us, CASE WHEN COALESCE(notify_error, 0) BETWEEN 1 AND 16383 THEN NULL"
                           " ELSE resp_ts_us END, rtt_us, retransmits, COALESCE(notify_error, 0) BETWEEN 1 AND 16383"
                           " FROM temp.inc_exch"
                           " WHERE local AND liveness AND origin = ?1 AND req_ts_us <= ?2 ORDER BY req_ts_us",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "evidence: liveness: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->last_us);
    int64_t *rtt = NULL;
    size_t nrtt = 0, cap = 0;
    int64_t last_answered_req = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t req = sqlite3_column_int64(st, 0);
        f->requests++;
        f->retransmits += sqlite3_column_int64(st, 3);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            f->answered++;
            f->last_answered_us = sqlite3_column_int64(st, 1);
            last_answered_req = req;
            f->first_unanswered_us = 0; /* a later answer closes an earlier unanswered run */
            int64_t r = sqlite3_column_int64(st, 2);
            if (r > f->rtt_max_us)
                f->rtt_max_us = r;
            if (nrtt < RTT_SAMPLES_MAX) {
                if (nrtt == cap) {
                    size_t ncap = cap ? cap * 2 : 64;
                    int64_t *p = realloc(rtt, ncap * sizeof *p);
                    if (!p)
                        break;
                    rtt = p;
                    cap = ncap;
                }
                rtt[nrtt++] = r;
            }
        } else {
            /* no answer, or an error notify instead of one: the peer did not keep the SA alive */
            f->unanswered++;
            f->refused += sqlite3_column_int(st, 4);
            if (!f->first_unanswered_us && req >= last_answered_req)
                f->first_unanswered_us = req;
        }
    }
    sqlite3_finalize(st);
    if (nrtt) {
        qsort(rtt, nrtt, sizeof *rtt, cmp_i64);
        f->rtt_median_us = rtt[nrtt / 2];
    }
    free(rtt);
    if (f->first_unanswered_us) {
        if (sqlite3_prepare_v2(db,
                               "SELECT COUNT(*) FROM temp.inc_msgs WHERE dir = 'recv' AND origin = ?1 AND ts_us > ?2"
                               " AND ts_us <= ?3",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, f->first_unanswered_us);
            sqlite3_bind_int64(st, 3, c->ts_us);
            if (sqlite3_step(st) == SQLITE_ROW)
                f->peer_msgs_after = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    return 0;
}

/* Does data of this origin cover the window? Some of its IKE messages fall in it (the time
 * index answers this at once; a capture that spans the window always holds our probes). */
static int covered(sqlite3 *db, const struct ikm_incident_ctx *c, const char *origin)
{
    sqlite3_stmt *st;
    int yes = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS (SELECT 1 FROM ike_messages m WHERE m.ts_us BETWEEN ?2 AND ?3"
                           " AND m.origin = ?1 AND (?4 IS NULL OR m.device IS NULL OR m.device = ?4))",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->window_start_us);
    sqlite3_bind_int64(st, 3, c->window_end_us);
    if (c->device[0])
        sqlite3_bind_text(st, 4, c->device, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        yes = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return yes;
}

static int add_msgid_row(sqlite3_stmt *ins, const char *kind, sqlite3_stmt *row, int64_t expected, int64_t got,
                         const char *text)
{
    sqlite3_reset(ins);
    sqlite3_bind_text(ins, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, sqlite3_column_int64(row, 0));
    sqlite3_bind_value(ins, 3, sqlite3_column_value(row, 1));
    sqlite3_bind_int64(ins, 4, sqlite3_column_int64(row, 2));
    sqlite3_bind_value(ins, 5, sqlite3_column_value(row, 3));
    sqlite3_bind_int64(ins, 6, expected);
    sqlite3_bind_int64(ins, 7, got);
    sqlite3_bind_text(ins, 8, text, -1, SQLITE_TRANSIENT);
    return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

/* Message ids: ikemgr's "expected" mismatches, and in captures the requests of each SA and
 * direction in order — a new request id should be the previous one plus one (RFC 7296 §2.2);
 * an id lower than the last is a repeat, a jump a gap. Same-id copies are retransmits. */
static int message_ids(sqlite3 *db, struct ikm_incident_ctx *c, char *err, size_t errsz)
{
    sqlite3_stmt *ins = NULL, *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "INSERT INTO temp.inc_msgid VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", -1, &ins, NULL) !=
        SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "SELECT ts_us, source, line, 'log', json_extract(attrs_json, '$.expected'),"
                           " json_extract(attrs_json, '$.message_id'), msg FROM temp.inc_events"
                           " WHERE kind = 'msgid-mismatch' AND related ORDER BY ts_us",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (add_msgid_row(ins, "mismatch", st, sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
                          (const char *)sqlite3_column_text(st, 6)) < 0)
            goto out;
        c->msgid_mismatches++;
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db,
                           "SELECT ts_us, source, unit, origin, msg_id, ispi, rspi, src_ip, dst_ip FROM temp.inc_msgs"
                           " WHERE origin = 'pcap' AND is_response = 0 AND msg_id IS NOT NULL AND version = 2"
                           " AND exch_type >= 36 ORDER BY ispi, rspi, src_ip, ts_us",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    char key[256] = "";
    int64_t prev = -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char k[256];
        snprintf(k, sizeof k, "%s|%s|%s", sqlite3_column_text(st, 5), sqlite3_column_text(st, 6),
                 sqlite3_column_text(st, 7));
        int64_t id = sqlite3_column_int64(st, 4);
        if (strcmp(k, key) != 0) {
            snprintf(key, sizeof key, "%s", k);
            prev = id;
            continue;
        }
        if (id == prev)
            continue; /* a retransmit */
        char text[160];
        if (id < prev) {
            snprintf(text, sizeof text, "request message id %lld after %lld from %s: a repeat", (long long)id,
                     (long long)prev, (const char *)sqlite3_column_text(st, 7));
            if (add_msgid_row(ins, "repeat", st, prev + 1, id, text) < 0)
                goto out;
            c->msgid_repeats++;
        } else if (id > prev + 1) {
            snprintf(text, sizeof text, "request message id %lld after %lld from %s: %lld id(s) skipped",
                     (long long)id, (long long)prev, (const char *)sqlite3_column_text(st, 7),
                     (long long)(id - prev - 1));
            if (add_msgid_row(ins, "gap", st, prev + 1, id, text) < 0)
                goto out;
            c->msgid_gaps++;
        }
        prev = id;
    }
    rc = 0;
out:
    if (rc < 0)
        snprintf(err, errsz, "evidence: message ids: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return rc;
}

static const char *num_or_null(char *buf, size_t sz, int64_t v, int present)
{
    if (!present)
        return "NULL";
    snprintf(buf, sz, "%lld", (long long)v);
    return buf;
}

static int write_inc_row(sqlite3 *db, const struct ikm_incident_ctx *c, char *err, size_t errsz)
{
    const struct ikm_liveness_figures *f = c->best;
    char la[24], fu[24], rmax[24], rmed[24];
    return ikm_db_execf(
        db, "evidence: incident row", err, errsz,
        "INSERT INTO temp.inc SELECT i.id, i.kind, i.ts_us, i.last_us, i.window_start_us, i.window_end_us, i.gateway,"
        " i.tunnel, i.peer_ip, i.device, i.interval_s, i.schedule_s, %d, %d, %lld, %lld, %lld, %lld, %s, %s, %d, %s, %s,"
        " %lld, g.local_interface, CASE WHEN instr(g.local_ip, '/') > 0 THEN substr(g.local_ip, 1,"
        " instr(g.local_ip, '/') - 1) ELSE g.local_ip END"
        " FROM incidents i LEFT JOIN cfg_gateways g ON g.name = i.gateway AND (i.device IS NULL OR g.device IS NULL"
        " OR g.device = i.device) WHERE i.id = %lld LIMIT 1",
        c->has_pcap, c->has_log, (long long)f->requests, (long long)f->answered, (long long)f->unanswered,
        (long long)f->retransmits, num_or_null(la, sizeof la, f->last_answered_us, f->last_answered_us != 0),
        num_or_null(fu, sizeof fu, c->first_unanswered_us, c->first_unanswered_us != 0), c->first_unanswered_estimated,
        num_or_null(rmax, sizeof rmax, f->rtt_max_us, f->rtt_max_us >= 0),
        num_or_null(rmed, sizeof rmed, f->rtt_median_us, f->rtt_median_us >= 0), (long long)f->peer_msgs_after,
        (long long)c->id);
}

int ikm_evidence_prepare(sqlite3 *db, int64_t id, struct ikm_incident_ctx *c, char *err, size_t errsz)
{
    if (load_incident(db, id, c, err, errsz) < 0 || fill_tables(db, c, err, errsz) < 0)
        return -1;
    c->has_pcap = covered(db, c, "pcap");
    c->has_log = covered(db, c, "log");
    if (liveness_of(db, c, "pcap", &c->pcap, err, errsz) < 0 || liveness_of(db, c, "log", &c->log, err, errsz) < 0)
        return -1;
    c->best = c->pcap.requests > 0 ? &c->pcap : &c->log;
    c->disagree = c->pcap.requests > 0 && c->log.requests > 0 &&
                  ((c->pcap.answered > 0) != (c->log.answered > 0) ||
                   (c->pcap.first_unanswered_us != 0) != (c->log.first_unanswered_us != 0));
    if (c->best->first_unanswered_us) {
        c->first_unanswered_us = c->best->first_unanswered_us;
    } else if (strcmp(c->kind, "dpd-down") == 0) {
        /* no probe seen: the sequence started one schedule before the teardown */
        c->first_unanswered_us = c->ts_us - (int64_t)c->schedule_s * US;
        c->first_unanswered_estimated = 1;
    }
    if (message_ids(db, c, err, errsz) < 0)
        return -1;
    return write_inc_row(db, c, err, errsz);
}
