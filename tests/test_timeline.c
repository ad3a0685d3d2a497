/*
 * test_timeline.c — the SQLite writer and the exchange pairing, driven through the sink
 * interface: fresh-DB rename, duplicate sources, schema-version refusal, time-zone
 * resolution, text escaping, and request/response pairing with retransmits.
 */
#include "../analyzer/dbexec.h"
#include "../analyzer/pairing.h"
#include "../analyzer/rowwriter.h"
#include "../analyzer/timeline.h"
#include "../analyzer/zone.h"
#include "testutil.h"

#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct tl_db *open_new(const char *path)
{
    char err[512];
    int created = -1;
    unlink(path);
    struct tl_db *t = tl_open(path, &created, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    ck_assert_int_eq(created, 1);
    return t;
}

static struct ikm_source_stats stats_for(int64_t units, int pending)
{
    struct ikm_source_stats st;
    memset(&st, 0, sizeof st);
    st.units = st.parsed = units;
    st.first_local_us = st.last_local_us = INT64_MIN;
    st.pending_rows = pending;
    return st;
}

static void add_event(struct ikm_sink *s, int64_t line, int64_t local_us, enum ikm_tz_state state,
                      const char *msg, size_t msg_len)
{
    struct ikm_event ev;
    memset(&ev, 0, sizeof ev);
    ev.line = line;
    ev.t.local_us = local_us;
    ev.t.utc_us = local_us;
    ev.t.state = state;
    ev.t.text = "ts";
    ev.t.text_len = 2;
    ev.kind = IKM_EV_DPD_DOWN;
    ev.gw_id = ev.tn_id = -1;
    ev.msg = ikm_str_of(msg, msg_len);
    ikm_event_add_attr(&ev, "reason", ikm_str_of("liveness", 8), 0);
    ikm_event_add_attr(&ev, "sa_serial", ikm_str_of("6", 1), 1);
    ck_assert_int_eq(s->event(s->ctx, &ev), 0);
}

START_TEST(fresh_db_renamed_into_place)
{
    const char *path = tu_path("fresh.db");
    struct tl_db *t = open_new(path);
    ck_assert_int_eq(access(path, F_OK), -1); /* only the temporary exists while building */
    ck_assert_int_eq(tl_source_begin(t, "a.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    add_event(&s, 1, 1000000, IKM_TZ_LINE, "caf\xe9\0x", 6);
    struct ikm_source_stats st = stats_for(1, 0);
    struct tl_source_result res;
    char err[512];
    ck_assert_int_eq(tl_source_end(t, &st, "aa", &res, err, sizeof err), TL_END_STORED);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(tu_sql_int(path, "PRAGMA user_version"), TL_SCHEMA_VERSION);
    char *msg = tu_sql_text(path, "SELECT msg FROM events");
    ck_assert_str_eq(msg, "caf\\xE9\\x00x");
    free(msg);
    char *attrs = tu_sql_text(path, "SELECT attrs_json FROM events");
    ck_assert_str_eq(attrs, "{\"reason\":\"liveness\",\"sa_serial\":6}");
    free(attrs);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='events_ts'"), 1);
}
END_TEST

START_TEST(discarded_db_leaves_nothing)
{
    const char *path = tu_path("discard.db");
    struct tl_db *t = open_new(path);
    char err[512];
    ck_assert_int_eq(tl_close(t, 0, err, sizeof err), 0);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(duplicate_source_rolled_back)
{
    const char *path = tu_path("dup.db");
    struct tl_db *t = open_new(path);
    char err[512];
    struct tl_source_result res;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(tl_source_begin(t, i ? "copy.log" : "a.log", "ikemgr-log", NULL, NULL), 0);
        struct ikm_sink s = tl_source_sink(t);
        add_event(&s, 1, 1000000, IKM_TZ_LINE, "m", 1);
        struct ikm_source_stats st = stats_for(1, 0);
        enum tl_end_result r = tl_source_end(t, &st, "samehash", &res, err, sizeof err);
        ck_assert_int_eq(r, i ? TL_END_DUPLICATE : TL_END_STORED);
    }
    ck_assert_int_eq(res.duplicate_of, 1);
    ck_assert_str_eq(res.duplicate_path, "a.log");
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM events"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM sources"), 1);
}
END_TEST

START_TEST(refuses_other_versions_and_foreign_dbs)
{
    char err[512];
    int created;
    const char *path = tu_path("v99.db");
    struct tl_db *t = open_new(path);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_ptr_null(tl_open(path, &created, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "schema version 99"));

    const char *foreign = tu_path("foreign.db");
    unlink(foreign);
    ck_assert_int_eq(sqlite3_open(foreign, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE x(y)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ck_assert_ptr_null(tl_open(foreign, &created, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "did not write"));
}
END_TEST

static void resolve_with(const char *name, struct ikm_source_stats st, const struct ikm_tz *tz, int64_t local,
                         int64_t want_utc, const char *want_state, const char *want_source)
{
    const char *path = tu_path(name);
    struct tl_db *t = open_new(path);
    ck_assert_int_eq(tl_source_begin(t, "c.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    add_event(&s, 1, local, IKM_TZ_PENDING, "m", 1);
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_end(t, &st, name, &res, err, sizeof err), TL_END_STORED);
    struct ikm_zone_stats zs;
    ck_assert_msg(ikm_zone_resolve(tl_sqlite(t), tz, NULL, &zs, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events"), want_utc);
    char *state = tu_sql_text(path, "SELECT tz_state FROM events");
    ck_assert_str_eq(state, want_state);
    free(state);
    char *src = tu_sql_text(path, "SELECT tz_source FROM sources");
    ck_assert_str_eq(src, want_source);
    free(src);
}

START_TEST(tz_resolution)
{
    int64_t local = 1456842744000000LL; /* 2016-03-01 14:32:24 */
    struct ikm_source_stats st = stats_for(1, 1);
    st.has_offset = 1;
    st.first_offset_min = 480;
    resolve_with("tz-file.db", st, NULL, local, 1456813944000000LL, "file", "line");

    struct ikm_tz tz;
    char err[256];
    ck_assert_int_eq(ikm_tz_parse("-0800", &tz, err, sizeof err), 0);
    resolve_with("tz-cli.db", stats_for(1, 1), &tz, local, 1456871544000000LL, "cli", "cli");
    if (ikm_tz_parse("Europe/Berlin", &tz, err, sizeof err) == 0)
        resolve_with("tz-named.db", stats_for(1, 1), &tz, local, 1456839144000000LL, "cli", "cli");
    resolve_with("tz-assumed.db", stats_for(1, 1), NULL, local, local, "assumed", "assumed");
    ck_assert_int_eq(tu_sql_int(tu_path("tz-assumed.db"), "SELECT tz_assumed FROM sources"), 1);
}
END_TEST

/* ---- pairing ---------------------------------------------------------------------------- */

static void add_peer_msg(struct ikm_sink *s, const char *local, const char *peer, int64_t line, double t_s,
                         enum ikm_dir dir, int64_t len, int is_resp, int64_t msg_id);

static void add_msg(struct ikm_sink *s, int64_t line, double t_s, enum ikm_dir dir, int64_t len, int is_resp,
                    int64_t msg_id)
{
    add_peer_msg(s, "10.0.0.1", "10.0.0.2", line, t_s, dir, len, is_resp, msg_id);
}

/* local: our end of the message; NULL for a received message that logs no receiver ("76 bytes
 * message received from PEER"). */
static void add_peer_msg(struct ikm_sink *s, const char *local, const char *peer, int64_t line, double t_s,
                         enum ikm_dir dir, int64_t len, int is_resp, int64_t msg_id)
{
    struct ikm_ike_msg m;
    ikm_ike_msg_init(&m, IKM_ORIGIN_LOG);
    m.unit = line;
    m.t.utc_us = m.t.local_us = (int64_t)(t_s * 1e6);
    m.t.state = IKM_TZ_LINE;
    m.dir = dir;
    m.length = len;
    if (dir == IKM_DIR_SENT) {
        snprintf(m.src_ip, sizeof m.src_ip, "%s", local);
        snprintf(m.dst_ip, sizeof m.dst_ip, "%s", peer);
    } else {
        snprintf(m.src_ip, sizeof m.src_ip, "%s", peer);
        if (local)
            snprintf(m.dst_ip, sizeof m.dst_ip, "%s", local);
        m.is_response = is_resp;
        m.msg_id = msg_id;
        m.exch_type = 37;
    }
    ck_assert_int_eq(s->ike_message(s->ctx, &m), 0);
}

/* A timeline at path holding one log of five exchanges: four of ours (one retransmitted
 * twice, two unanswered) and one of the peer's. has_offset: its lines carried their offset
 * (then the sink's pairing stands; without, the whole pass pairs it again). */
static struct tl_db *pairing_log_db(const char *path, int has_offset)
{
    struct tl_db *t = open_new(path);
    ck_assert_int_eq(tl_source_begin(t, "p.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    /* 1: answered liveness pair */
    add_msg(&s, 1, 100.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 2, 100.002, IKM_DIR_RECV, 76, 1, 704);
    /* 2: request retransmitted twice, then answered 1 ms after the last copy */
    add_msg(&s, 3, 105.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 4, 110.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 5, 120.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 6, 120.001, IKM_DIR_RECV, 76, 1, 705);
    /* 3: the peer asks, we answer */
    add_msg(&s, 7, 130.000, IKM_DIR_RECV, 80, 0, 9);
    add_msg(&s, 8, 130.003, IKM_DIR_SENT, 80, -1, -1);
    /* 4: unanswered, then a different message (a new IKE_SA_INIT) opens a new request */
    add_msg(&s, 9, 140.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 10, 145.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 11, 150.000, IKM_DIR_SENT, 500, -1, -1);
    struct ikm_source_stats st = stats_for(11, 0);
    st.has_offset = has_offset;
    char err[512];
    struct tl_source_result res;
    ck_assert_msg(tl_source_end(t, &st, "pairhash", &res, err, sizeof err) == TL_END_STORED, "%s", err);
    return t;
}

START_TEST(pairing_log_messages)
{
    const char *path = tu_path("pair.db");
    struct tl_db *t = pairing_log_db(path, 0);
    char err[512];
    struct ikm_pair_stats ps;
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    /* idempotent: a second run rebuilds the same table */
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(ps.exchanges, 5);
    ck_assert_int_eq(ps.answered, 3);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchanges"), 5);
    ck_assert_int_eq(tu_sql_int(path, "SELECT rtt_us FROM exchange_detail WHERE request_unit=1"), 2000);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM ike_messages WHERE frame_or_line=1"), 704);
    ck_assert_int_eq(tu_sql_int(path, "SELECT exch_type FROM ike_messages WHERE frame_or_line=1"), 37);
    ck_assert_int_eq(tu_sql_int(path, "SELECT is_response FROM ike_messages WHERE frame_or_line=1"), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmits FROM exchange_detail WHERE request_unit=3"), 2);
    ck_assert_int_eq(tu_sql_int(path, "SELECT rtt_us FROM exchange_detail WHERE request_unit=3"), 1000);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM ike_messages WHERE frame_or_line=5"), 705);
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmit_of FROM ike_messages WHERE frame_or_line=4"),
                     tu_sql_int(path, "SELECT id FROM ike_messages WHERE frame_or_line=3"));
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchanges WHERE initiator='peer'"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM ike_messages WHERE frame_or_line=8"), 9);
    ck_assert_int_eq(tu_sql_int(path, "SELECT is_response FROM ike_messages WHERE frame_or_line=8"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmits FROM exchange_detail WHERE request_unit=9"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchange_detail WHERE request_unit=9 AND response_us IS NULL"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchange_detail WHERE request_unit=11 AND response_us IS NULL"), 1);
}
END_TEST

/* A log whose lines carry their offset is paired only as it is stored: our requests' exchanges
 * are written in their rows, the peer's as a row of its own (schema, exchanges). Paired again
 * by the whole pass (a later rotation, a zone), each exchange is still there once. */
START_TEST(log_requests_carry_their_exchange)
{
    struct tl_db *t = pairing_log_db(tu_path("pair_rows.db"), 1);
    char err[512];
    struct ikm_pair_stats ps;
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    sqlite3 *db = tl_sqlite(t);
    ck_assert_int_eq(ps.exchanges, 5);
    ck_assert_int_eq(ps.answered, 3);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM ike_messages WHERE xch_retransmits IS NOT NULL"), 4);
    ck_assert_int_eq(tu_db_int(db, "SELECT xch_rtt_us FROM ike_messages WHERE frame_or_line=3"), 1000);
    ck_assert_int_eq(tu_db_int(db, "SELECT xch_retransmits FROM ike_messages WHERE frame_or_line=3"), 2);
    ck_assert_int_eq(tu_db_int(db, "SELECT xch_response_id FROM ike_messages WHERE frame_or_line=3"),
                     tu_db_int(db, "SELECT id FROM ike_messages WHERE frame_or_line=6"));
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM ike_messages WHERE frame_or_line=9 AND xch_retransmits = 1"
                                   " AND xch_response_id IS NULL AND xch_rtt_us IS NULL AND xch_initiator = 'local'"), 1);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM exchange_rows"), 1);
    ck_assert_int_eq(tu_db_int(db, "SELECT request_id FROM exchange_rows WHERE initiator = 'peer'"),
                     tu_db_int(db, "SELECT id FROM ike_messages WHERE frame_or_line=7"));
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM exchange_detail WHERE request_unit=1 AND rtt_us=2000"
                                   " AND response_unit=2 AND initiator='local' AND retransmits=0"), 1);
    /* the whole pass: the same five, all rows of their own now */
    ck_assert_msg(ikm_pair_redo(db, 1, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(ikm_pair_exchanges(db, &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ps.exchanges, 5);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM exchanges"), 5);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM exchange_rows"), 5);
    ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM ike_messages WHERE xch_retransmits IS NOT NULL"
                                   " OR xch_initiator IS NOT NULL OR xch_rtt_us IS NOT NULL OR xch_response_id IS NOT NULL"), 0);
    ck_assert_int_eq(tu_db_int(db, "SELECT retransmits FROM exchange_detail WHERE request_unit=3"), 2);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
}
END_TEST

/* Requests to three peers answered in another order: the log pairer holds each request until
 * its response, so rows reach the writer out of id order, between runs stored by SQLite's
 * next id; a second log continues the ids. Every row keeps the id of its line and every
 * exchange names its own request and response. */
START_TEST(log_rows_out_of_id_order)
{
    const char *path = tu_path("order.db");
    struct tl_db *t = open_new(path);
    static const char *const peer[3] = {"10.0.0.2", "10.0.0.3", "10.0.0.4"};
    static const int answer_order[3] = {2, 0, 1};
    char err[512];
    for (int src = 0; src < 2; src++) {
        ck_assert_int_eq(tl_source_begin(t, src ? "b.log" : "a.log", "ikemgr-log", NULL, NULL), 0);
        struct ikm_sink s = tl_source_sink(t);
        int64_t line = 0;
        for (int round = 0; round < 200; round++) {
            double at = 100.0 + round * 5.0;
            for (int p = 0; p < 3; p++)
                add_peer_msg(&s, "10.0.0.1", peer[p], ++line, at + p * 0.001, IKM_DIR_SENT, 76, -1, -1);
            for (int i = 0; i < 3; i++)
                add_peer_msg(&s, "10.0.0.1", peer[answer_order[i]], ++line, at + 0.01 + i * 0.001, IKM_DIR_RECV, 76, 1, round);
        }
        struct ikm_source_stats st = stats_for(line, 0);
        struct tl_source_result res;
        ck_assert_int_eq(tl_source_end(t, &st, src ? "orderhash-b" : "orderhash-a", &res, err, sizeof err),
                         TL_END_STORED);
    }
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages"), 2400);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages m WHERE m.id - (SELECT min(id) FROM "
                                      "ike_messages n WHERE n.source_id = m.source_id) <> m.frame_or_line - 1"),
                     0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT max(id) - min(id) FROM ike_messages"), 2399);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchanges"), 1200);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchanges x JOIN ike_messages q ON q.id = x.request_id"
                                      " JOIN ike_messages r ON r.id = x.response_id WHERE q.dir = 'sent' AND"
                                      " r.dir = 'recv' AND r.src_ip = q.dst_ip AND r.source_id = q.source_id AND"
                                      " r.frame_or_line > q.frame_or_line AND r.frame_or_line <= q.frame_or_line + 5"
                                      " AND q.msg_id = r.msg_id"),
                     1200);
}
END_TEST

/* The pairer remembers the peer slot of each (local, remote) it saw; a received message that
 * did not log its receiver goes to the local address last used towards its sender, so when
 * that changes the remembered slots must not be reused. */
START_TEST(log_receiver_follows_the_local_address_last_used)
{
    const char *path = tu_path("memo.db");
    struct tl_db *t = open_new(path);
    ck_assert_int_eq(tl_source_begin(t, "m.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    static const char *const local[2] = {"10.0.0.1", "10.0.0.9"};
    for (int k = 0; k < 2; k++) {
        add_peer_msg(&s, local[k], "10.0.0.2", 2 * k + 1, 100.0 + 10 * k, IKM_DIR_SENT, 76, -1, -1);
        add_peer_msg(&s, NULL, "10.0.0.2", 2 * k + 2, 100.002 + 10 * k, IKM_DIR_RECV, 76, 1, k + 1);
    }
    struct ikm_source_stats st = stats_for(4, 0);
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_end(t, &st, "memohash", &res, err, sizeof err), TL_END_STORED);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchanges WHERE response_id IS NOT NULL"), 2);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM ike_messages WHERE frame_or_line = 1"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM ike_messages WHERE frame_or_line = 3"), 2);
    ck_assert_int_eq(tu_sql_int(path, "SELECT rtt_us FROM exchange_detail WHERE request_unit = 3"), 2000);
}
END_TEST

/* A source's device name may take the memory the last one's had (freed, then allocated
 * again): the row writer must not keep the old name's binding, whose length SQLite measured
 * when it was bound. The buffer stands for that memory. */
START_TEST(row_writer_rebinds_a_device_name_at_the_same_address)
{
    const char *path = tu_path("rebind.db");
    struct tl_db *t = open_new(path);
    char err[512];
    struct row_writer *w = rw_open(tl_sqlite(t), err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    char device[32];
    static const char *const names[2] = {"west-bbbbbbbbbb", "east-aaaaaa"};
    for (int k = 0; k < 2; k++) {
        strcpy(device, names[k]);
        rw_source(w, k + 1, device, NULL);
        struct rw_row local, *r = rw_slot(w, &local);
        ck_assert_ptr_eq(r, &local); /* no thread: stored in place */
        memset(r, 0, sizeof *r);
        r->kind = LOG_MSG;
        r->id = k + 1;
        ikm_ike_msg_init(&r->m, IKM_ORIGIN_LOG);
        r->m.unit = k + 1;
        r->m.t.state = IKM_TZ_LINE;
        r->m.dir = IKM_DIR_SENT;
        ck_assert_int_eq(rw_commit(w, r), 0);
    }
    rw_close(w);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE id = 1 AND device = 'west-bbbbbbbbbb'"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE id = 2 AND device = 'east-aaaaaa'"), 1);
}
END_TEST

/* A request at the end of one rotation answered at the start of the next; the sources are
 * given newest first, as a user would list them. */
START_TEST(pairing_across_rotations)
{
    const char *path = tu_path("pair2.db");
    struct tl_db *t = open_new(path);
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_begin(t, "ikemgr.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    add_msg(&s, 1, 200.001, IKM_DIR_RECV, 76, 1, 42);
    add_msg(&s, 2, 205.000, IKM_DIR_SENT, 76, -1, -1);
    struct ikm_source_stats st = stats_for(2, 0);
    ck_assert_int_eq(tl_source_end(t, &st, "newer", &res, err, sizeof err), TL_END_STORED);
    ck_assert_int_eq(tl_source_begin(t, "ikemgr.log.1", "ikemgr-log", NULL, NULL), 0);
    s = tl_source_sink(t);
    add_msg(&s, 7, 190.000, IKM_DIR_SENT, 76, -1, -1);
    add_msg(&s, 8, 199.999, IKM_DIR_SENT, 76, -1, -1);
    ck_assert_int_eq(tl_source_end(t, &st, "older", &res, err, sizeof err), TL_END_STORED);
    struct ikm_pair_stats ps;
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(ps.exchanges, 2);
    ck_assert_int_eq(ps.answered, 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM exchange_detail WHERE request_unit=7"), 42);
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmits FROM exchange_detail WHERE request_unit=7"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT rtt_us FROM exchange_detail WHERE request_unit=7"), 2000);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchange_detail WHERE request_unit=2 AND response_unit IS NULL"), 1);
    /* each log had paired its own as it was stored, in the requests' rows; the whole pass
     * cleared those and wrote the device's exchanges as rows: each exchange once */
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchanges"), 2);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchange_rows"), 2);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE xch_retransmits IS NOT NULL"
                                      " OR xch_initiator IS NOT NULL OR xch_rtt_us IS NOT NULL OR xch_response_id IS NOT NULL"), 0);
}
END_TEST

static void add_cap(struct ikm_sink *s, int64_t frame, double t_s, const char *src, const char *dst, uint64_t ispi,
                    int version, int is_resp, int64_t msg_id, int64_t len)
{
    struct ikm_ike_msg m;
    ikm_ike_msg_init(&m, IKM_ORIGIN_PCAP);
    m.unit = frame;
    m.t.utc_us = m.t.local_us = (int64_t)(t_s * 1e6);
    m.t.state = IKM_TZ_LINE;
    strcpy(m.src_ip, src);
    strcpy(m.dst_ip, dst);
    m.src_port = m.dst_port = 500;
    m.has_spi = 1;
    m.ispi = ispi;
    m.version = version;
    m.is_response = is_resp;
    m.msg_id = msg_id;
    m.exch_type = version == 2 ? 37 : 2;
    m.length = len;
    ck_assert_int_eq(s->ike_message(s->ctx, &m), 0);
}

START_TEST(pairing_captures)
{
    const char *path = tu_path("pcap-pair.db");
    struct tl_db *t = open_new(path);
    char err[512];
    struct tl_source_result res;
    /* the device's own address comes from its log */
    ck_assert_int_eq(tl_source_begin(t, "ikemgr.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    add_msg(&s, 1, 1.0, IKM_DIR_SENT, 76, -1, -1); /* 10.0.0.1 -> 10.0.0.2 */
    struct ikm_source_stats st = stats_for(1, 0);
    ck_assert_int_eq(tl_source_end(t, &st, "log", &res, err, sizeof err), TL_END_STORED);
    ck_assert_int_eq(tl_source_begin(t, "ikemgr.pcap", "pcap", NULL, NULL), 0);
    s = tl_source_sink(t);
    /* IKEv2: request, retransmit, response (R flag) */
    add_cap(&s, 1, 10.0, "10.0.0.1", "10.0.0.2", 0xA1, 2, 0, 5, 76);
    add_cap(&s, 2, 15.0, "10.0.0.1", "10.0.0.2", 0xA1, 2, 0, 5, 76);
    add_cap(&s, 3, 15.004, "10.0.0.2", "10.0.0.1", 0xA1, 2, 1, 5, 76);
    /* IKEv2 from the peer, unanswered */
    add_cap(&s, 4, 20.0, "10.0.0.2", "10.0.0.1", 0xA1, 2, 0, 9, 76);
    /* IKEv1 main mode, message id 0 three times: pairs by direction */
    add_cap(&s, 5, 30.0, "10.0.0.1", "10.0.0.2", 0xB2, 1, -1, 0, 180);
    add_cap(&s, 6, 30.1, "10.0.0.2", "10.0.0.1", 0xB2, 1, -1, 0, 120);
    add_cap(&s, 7, 30.2, "10.0.0.1", "10.0.0.2", 0xB2, 1, -1, 0, 220);
    add_cap(&s, 8, 30.3, "10.0.0.2", "10.0.0.1", 0xB2, 1, -1, 0, 220);
    /* a response whose request was not captured */
    add_cap(&s, 9, 40.0, "10.0.0.2", "10.0.0.1", 0xC3, 2, 1, 3, 76);
    st = stats_for(9, 0);
    ck_assert_int_eq(tl_source_end(t, &st, "pcap", &res, err, sizeof err), TL_END_STORED);
    struct ikm_pair_stats ps;
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(ps.capture_exchanges, 4);
    ck_assert_int_eq(ps.log_exchanges, 1);
    const char *q = "SELECT retransmits || ' ' || rtt_us || ' ' || initiator FROM exchange_detail "
                    "WHERE origin='pcap' AND request_unit=1";
    char *v = tu_sql_text(path, q);
    ck_assert_str_eq(v, "1 4000 local");
    free(v);
    v = tu_sql_text(path, "SELECT initiator || ' ' || (response_us IS NULL) FROM exchange_detail WHERE origin='pcap' AND request_unit=4");
    ck_assert_str_eq(v, "peer 1");
    free(v);
    ck_assert_int_eq(tu_sql_int(path, "SELECT response_unit FROM exchange_detail WHERE origin='pcap' AND request_unit=5"), 6);
    ck_assert_int_eq(tu_sql_int(path, "SELECT response_unit FROM exchange_detail WHERE origin='pcap' AND request_unit=7"), 8);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE origin='pcap' AND dir='sent'"), 4);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE origin='pcap' AND dir='recv'"), 5);
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmit_of IS NOT NULL FROM ike_messages WHERE origin='pcap' AND frame_or_line=2"), 1);
}
END_TEST

/* A log message between explicit addresses; expected < 0: none. */
static void add_logmsg(struct ikm_sink *s, int64_t line, double t_s, enum ikm_dir dir, const char *local,
                       const char *remote, int is_resp, int64_t msg_id, int64_t expected)
{
    struct ikm_ike_msg m;
    ikm_ike_msg_init(&m, IKM_ORIGIN_LOG);
    m.unit = line;
    m.t.utc_us = m.t.local_us = (int64_t)(t_s * 1e6);
    m.t.state = IKM_TZ_LINE;
    m.dir = dir;
    m.length = 76;
    strcpy(m.src_ip, dir == IKM_DIR_SENT ? local : remote);
    strcpy(m.dst_ip, dir == IKM_DIR_SENT ? remote : local);
    if (dir == IKM_DIR_RECV) {
        m.is_response = is_resp;
        m.msg_id = msg_id;
        m.expected_msg_id = expected;
        m.exch_type = 37;
    }
    ck_assert_int_eq(s->ike_message(s->ctx, &m), 0);
}

START_TEST(pairing_review_cases)
{
    const char *path = tu_path("pair3.db");
    struct tl_db *t = open_new(path);
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_begin(t, "ikemgr.log", "ikemgr-log", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    /* a peer request ikemgr dropped (id 9, expected 8), then our own liveness request */
    add_logmsg(&s, 1, 10.0, IKM_DIR_RECV, "10.0.0.1", "10.0.0.2", 0, 9, 8);
    add_logmsg(&s, 2, 15.0, IKM_DIR_SENT, "10.0.0.1", "10.0.0.2", -1, -1, -1);
    add_logmsg(&s, 3, 15.002, IKM_DIR_RECV, "10.0.0.1", "10.0.0.2", 1, 20, 20);
    /* the peer asks, we answer, the peer asks the same again, we answer again */
    add_logmsg(&s, 4, 30.0, IKM_DIR_RECV, "10.0.0.1", "10.0.0.2", 0, 9, 9);
    add_logmsg(&s, 5, 30.001, IKM_DIR_SENT, "10.0.0.1", "10.0.0.2", -1, -1, -1);
    add_logmsg(&s, 6, 32.0, IKM_DIR_RECV, "10.0.0.1", "10.0.0.2", 0, 9, 10);
    add_logmsg(&s, 7, 32.001, IKM_DIR_SENT, "10.0.0.1", "10.0.0.2", -1, -1, -1);
    /* two spokes (different local addresses) probing the same hub */
    add_logmsg(&s, 8, 50.0, IKM_DIR_SENT, "10.1.0.1", "10.9.9.9", -1, -1, -1);
    add_logmsg(&s, 9, 50.5, IKM_DIR_SENT, "10.2.0.1", "10.9.9.9", -1, -1, -1);
    add_logmsg(&s, 10, 50.6, IKM_DIR_RECV, "10.2.0.1", "10.9.9.9", 1, 4, 4);
    add_logmsg(&s, 11, 50.7, IKM_DIR_RECV, "10.1.0.1", "10.9.9.9", 1, 5, 5);
    /* a response whose local end the log did not say goes to the local end last used */
    add_logmsg(&s, 12, 60.0, IKM_DIR_SENT, "10.2.0.1", "10.9.9.9", -1, -1, -1);
    add_logmsg(&s, 13, 60.1, IKM_DIR_RECV, "", "10.9.9.9", 1, 6, 6);
    struct ikm_source_stats st = stats_for(13, 0);
    ck_assert_int_eq(tl_source_end(t, &st, "review", &res, err, sizeof err), TL_END_STORED);
    struct ikm_pair_stats ps;
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    /* our request 2 is answered by 3, not taken as the answer to the dropped request */
    ck_assert_int_eq(tu_sql_int(path, "SELECT response_unit FROM exchange_detail WHERE request_unit=2"), 3);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchange_detail WHERE request_unit=1"), 0);
    /* the resend of request 9 is a retransmit of exchange 4, and 7 answers it again */
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmits FROM exchange_detail WHERE request_unit=4"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM exchange_detail WHERE request_unit=6"), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmit_of = (SELECT id FROM ike_messages WHERE frame_or_line=4) "
                                      "FROM ike_messages WHERE frame_or_line=6"), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT msg_id FROM ike_messages WHERE frame_or_line=7 AND is_response=1"), 9);
    /* the spokes are two exchanges, not a retransmit */
    ck_assert_int_eq(tu_sql_int(path, "SELECT retransmits FROM exchange_detail WHERE request_unit=8"), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT response_unit FROM exchange_detail WHERE request_unit=8"), 11);
    ck_assert_int_eq(tu_sql_int(path, "SELECT response_unit FROM exchange_detail WHERE request_unit=9"), 10);
    ck_assert_int_eq(tu_sql_int(path, "SELECT response_unit FROM exchange_detail WHERE request_unit=12"), 13);
}
END_TEST

/* The writer stores a capture's rows 16 to a statement, through the insert of what most rows
 * have when none in the run has a retransmit, an error Notify or a fragment, and keeps texts
 * in slots bound once per length. Runs of rows 1-16, 17-32, ...: one with none of the three,
 * then one with each alone; addresses of three lengths taking turns in each parameter, a
 * payload chain longer than a slot and one with bytes to escape: every column as given. */
START_TEST(capture_rows_of_every_shape)
{
    const char *path = tu_path("pcap-shapes.db");
    static const char *const addr[3] = {"10.0.0.1", "192.168.100.200", "2001:db8::1"};
    static const char long_chain[] = "SA KE Ni N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
                                     "N(IKEV2_FRAGMENTATION_SUPPORTED) V(NAT-T)";
    enum { FRAMES = 70 };
    struct tl_db *t = open_new(path);
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_begin(t, "ikemgr.pcap", "pcap", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    char want[FRAMES * 400] = "", row[512];
    for (int i = 1; i <= FRAMES; i++) {
        struct ikm_ike_msg m;
        ikm_ike_msg_init(&m, IKM_ORIGIN_PCAP);
        m.unit = i;
        m.t.utc_us = m.t.local_us = 1700000000000000LL + i * 1000;
        m.t.state = IKM_TZ_LINE;
        int k = i == 55 ? 54 : i; /* frame 55 resends frame 54's request */
        const char *src = addr[k % 3], *dst = addr[(k + 1 + k / 7) % 3];
        strcpy(m.src_ip, src);
        strcpy(m.dst_ip, dst);
        m.src_port = m.dst_port = k % 2 ? 500 : 4500;
        m.has_spi = 1;
        m.ispi = 0x1000 + (uint64_t)k;
        m.rspi = k % 4 ? 0x2000 + (uint64_t)k : 0;
        m.version = 2;
        m.exch_type = 37;
        m.is_response = 0;
        m.msg_id = k;
        m.length = 76 + k; /* a retransmit repeats the bytes */
        m.next_payload = 46;
        m.notify_error = i == 17 ? 14 : -1;
        m.frag_num = i == 36 ? 1 : -1;
        m.frag_total = i == 36 ? 2 : -1;
        m.ke_group = i % 7 ? -1 : 19;
        m.liveness = i % 2 ? 70 : -1;
        const char *chain = i == 25 ? long_chain : i == 26 ? "V(\xff\xfe)" : i % 5 == 0 ? "" : i % 2 ? "SK" : "SA KE";
        snprintf(m.payloads, sizeof m.payloads, "%s", chain);
        ck_assert_int_eq(s.ike_message(s.ctx, &m), 0);
        char ke[16] = "-", lv[16] = "-";
        if (m.ke_group >= 0)
            snprintf(ke, sizeof ke, "%d", m.ke_group);
        if (m.liveness >= 0)
            snprintf(lv, sizeof lv, "%d", m.liveness);
        snprintf(row, sizeof row, "%d|%s|%s|%d|%016llx|%016llx|%d|%s|%s|%s|%s|%s|%s|%d;", i, src, dst, m.src_port,
                 (unsigned long long)m.ispi, (unsigned long long)m.rspi, 76 + k, m.notify_error >= 0 ? "14" : "-",
                 i == 36 ? "1" : "-", i == 36 ? "2" : "-", ke, lv,
                 i == 26 ? "V(\\xFF\\xFE)" : chain[0] ? chain : "-", i == 55);
        strcat(want, row);
    }
    struct ikm_source_stats st = stats_for(FRAMES, 0);
    ck_assert_int_eq(tl_source_end(t, &st, "pcap", &res, err, sizeof err), TL_END_STORED);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    char *got = tu_sql_text(path, "SELECT group_concat(r, '') FROM (SELECT frame_or_line || '|' || src_ip || '|' || dst_ip"
                                  " || '|' || src_port || '|' || ispi || '|' || rspi || '|' || length || '|' ||"
                                  " COALESCE(notify_error, '-') || '|' || COALESCE(frag_num, '-') || '|' ||"
                                  " COALESCE(frag_total, '-') || '|' || COALESCE(ke_group, '-') || '|' ||"
                                  " COALESCE(liveness, '-') || '|' || COALESCE(payloads, '-') || '|' ||"
                                  " (retransmit_of IS NOT NULL) || ';' AS r FROM ike_messages ORDER BY id)");
    /* row by row, so that a failure names the row (and fits Check's message) */
    char *gs = got, *ws = want;
    for (int i = 1; i <= FRAMES; i++) {
        char *ge = strchr(gs, ';'), *we = strchr(ws, ';');
        ck_assert_msg(ge && we, "frame %d: missing", i);
        *ge = *we = '\0';
        ck_assert_str_eq(gs, ws);
        gs = ge + 1;
        ws = we + 1;
    }
    ck_assert_str_eq(gs, "");
    free(got);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE id <> frame_or_line"), 0);
}
END_TEST

/* A digest of the capture exchanges, by frame numbers: what pairing decided. */
static char *capture_pairs(const char *path)
{
    return tu_sql_text(path, "SELECT COALESCE(group_concat(p, ' '), '') FROM (SELECT q.frame_or_line || '>' || "
                             "COALESCE(r.frame_or_line, '-') || '/' || x.retransmits || '/' || COALESCE(x.rtt_us, '-') "
                             "|| '/' || COALESCE(x.initiator, '-') AS p FROM exchanges x "
                             "JOIN ike_messages q ON q.id = x.request_id LEFT JOIN ike_messages r ON r.id = x.response_id "
                             "WHERE x.origin = 'pcap' ORDER BY q.source_id, q.frame_or_line)");
}

/* Stores frames [from, to) of a synthetic capture as one source: n_sa IKE SAs probing in
 * turn, every third request unanswered, every fifth resent once before its response. */
static void store_capture(struct tl_db *t, const char *name, int n_sa, int from, int to)
{
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_begin(t, name, "pcap", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    int frame = 0;
    for (int i = 0; frame < to; i++) {
        int sa = i % n_sa, round = i / n_sa;
        uint64_t ispi = 0x1000 + (uint64_t)sa * 0x10001;
        double ts = 100.0 + i * 0.01;
        if (frame >= from)
            add_cap(&s, frame + 1, ts, "10.0.0.1", "10.0.0.2", ispi, 2, 0, round, 76);
        frame++;
        if (i % 5 == 0 && frame < to) {
            if (frame >= from)
                add_cap(&s, frame + 1, ts + 0.002, "10.0.0.1", "10.0.0.2", ispi, 2, 0, round, 76);
            frame++;
        }
        if (i % 3 != 0 && frame < to) {
            if (frame >= from)
                add_cap(&s, frame + 1, ts + 0.004, "10.0.0.2", "10.0.0.1", ispi, 2, 1, round, 76);
            frame++;
        }
    }
    struct ikm_source_stats st = stats_for(to - from, 0);
    ck_assert_int_eq(tl_source_end(t, &st, name, &res, err, sizeof err), TL_END_STORED);
}

/* A capture paired while stored gives what the whole-database pass gives, here forced by
 * splitting the same packets over two captures of one device (which it pairs across); a
 * second capture added later makes the first one paired again with it, not twice. */
START_TEST(pairing_captures_while_stored)
{
    enum { N_SA = 3000, FRAMES = 40000, CUT = 17001 };
    char err[512];
    struct ikm_pair_stats ps;
    const char *one = tu_path("cap-one.db"), *two = tu_path("cap-two.db");
    struct tl_db *t = open_new(one);
    store_capture(t, "whole", N_SA, 0, FRAMES);
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    int64_t n = ps.capture_exchanges, answered = ps.answered;
    ck_assert_int_gt(n, 10000);
    ck_assert_int_gt(answered, n / 2);
    ck_assert_int_lt(answered, n);
    ck_assert_int_gt(tu_sql_int(one, "SELECT count(*) FROM ike_messages WHERE retransmit_of IS NOT NULL"), 1000);
    ck_assert_int_eq(tu_sql_int(one, "SELECT sum(retransmits) FROM exchanges"),
                     tu_sql_int(one, "SELECT count(*) FROM ike_messages WHERE retransmit_of IS NOT NULL"));

    /* the same frames as two captures, the second added to the existing database */
    t = open_new(two);
    store_capture(t, "first", N_SA, 0, CUT);
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    int created = -1;
    t = tl_open(two, &created, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    ck_assert_int_eq(created, 0);
    store_capture(t, "second", N_SA, CUT, FRAMES);
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(ps.capture_exchanges, n);
    ck_assert_int_eq(ps.answered, answered);
    /* and once more: nothing changes */
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(ps.capture_exchanges, n);
    char *a = capture_pairs(one), *b = capture_pairs(two);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    ck_assert_int_eq(tu_sql_int(one, "SELECT count(*) FROM ike_messages WHERE retransmit_of IS NOT NULL"),
                     tu_sql_int(two, "SELECT count(*) FROM ike_messages WHERE retransmit_of IS NOT NULL"));
}
END_TEST

/* A capture stored twice is one source: its exchanges go with the duplicate's rollback. */
START_TEST(duplicate_capture_keeps_one_set_of_exchanges)
{
    const char *path = tu_path("cap-dup.db");
    char err[512];
    struct tl_source_result res;
    struct tl_db *t = open_new(path);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(tl_source_begin(t, "ikemgr.pcap", "pcap", NULL, NULL), 0);
        struct ikm_sink s = tl_source_sink(t);
        add_cap(&s, 1, 10.0, "10.0.0.1", "10.0.0.2", 0xA1, 2, 0, 5, 76);
        add_cap(&s, 2, 10.1, "10.0.0.2", "10.0.0.1", 0xA1, 2, 1, 5, 76);
        add_cap(&s, 3, 11.0, "10.0.0.1", "10.0.0.2", 0xA1, 2, 0, 6, 76);
        struct ikm_source_stats st = stats_for(3, 0);
        ck_assert_int_eq(tl_source_end(t, &st, "same", &res, err, sizeof err), i ? TL_END_DUPLICATE : TL_END_STORED);
    }
    struct ikm_pair_stats ps;
    ck_assert_msg(ikm_pair_exchanges(tl_sqlite(t), &ps, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(ps.capture_exchanges, 2);
    ck_assert_int_eq(ps.answered, 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages"), 3);
}
END_TEST

/* ikm_db_int: the first row's first column; no row and bad SQL are errors that leave the
 * value alone. */
START_TEST(db_int_reads_one_value)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(v); INSERT INTO t VALUES (7), (-3000000000)", NULL, NULL, NULL),
                     SQLITE_OK);
    int64_t v = 42;
    ck_assert_int_eq(ikm_db_int(db, "SELECT v FROM t ORDER BY v", &v), 0);
    ck_assert_int_eq(v, -3000000000LL);
    ck_assert_int_eq(ikm_db_int(db, "PRAGMA user_version", &v), 0);
    ck_assert_int_eq(v, 0);
    v = 42;
    ck_assert_int_eq(ikm_db_int(db, "SELECT v FROM t WHERE v > 100", &v), -1);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(ikm_db_int(db, "SELECT nosuch FROM t", &v), -1);
    ck_assert_int_eq(v, 42);
    sqlite3_close(db);
}
END_TEST

Suite *timeline_suite(void);
Suite *timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    TCase *t = tcase_create("writer");
    tcase_add_test(t, fresh_db_renamed_into_place);
    tcase_add_test(t, db_int_reads_one_value);
    tcase_add_test(t, discarded_db_leaves_nothing);
    tcase_add_test(t, duplicate_source_rolled_back);
    tcase_add_test(t, refuses_other_versions_and_foreign_dbs);
    tcase_add_test(t, tz_resolution);
    tcase_add_test(t, pairing_log_messages);
    tcase_add_test(t, log_rows_out_of_id_order);
    tcase_add_test(t, log_receiver_follows_the_local_address_last_used);
    tcase_add_test(t, row_writer_rebinds_a_device_name_at_the_same_address);
    tcase_add_test(t, pairing_across_rotations);
    tcase_add_test(t, log_requests_carry_their_exchange);
    tcase_add_test(t, pairing_captures);
    tcase_add_test(t, capture_rows_of_every_shape);
    tcase_add_test(t, pairing_review_cases);
    tcase_add_test(t, pairing_captures_while_stored);
    tcase_add_test(t, duplicate_capture_keeps_one_set_of_exchanges);
    suite_add_tcase(s, t);
    return s;
}
