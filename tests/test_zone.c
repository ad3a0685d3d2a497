/*
 * test_zone.c — the device zone applied to offset-less sources: the running-config's IANA
 * zone (DST-correct), the show clock abbreviation, the order of trust, and the warning when a
 * device zone disagrees with a log's own offsets.
 */
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
    int created;
    unlink(path);
    struct tl_db *t = tl_open(path, &created, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    return t;
}

/* A source with one event per local time given; offset_min < -2000 means "no offset". */
static void add_source(struct tl_db *t, const char *name, const int64_t *local, size_t n, int offset_min)
{
    ck_assert_int_eq(tl_source_begin(t, name, "test", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    struct ikm_source_stats st;
    ikm_source_stats_init(&st);
    st.units = st.parsed = (int64_t)n;
    for (size_t i = 0; i < n; i++) {
        struct ikm_event ev;
        memset(&ev, 0, sizeof ev);
        ev.line = (int64_t)i + 1;
        ev.t.local_us = local[i];
        ev.t.text = "t";
        ev.t.text_len = 1;
        if (offset_min > -2000) {
            ev.t.state = IKM_TZ_LINE;
            ev.t.offset_min = offset_min;
            ev.t.utc_us = local[i] - (int64_t)offset_min * 60000000;
            st.has_offset = 1;
            st.first_offset_min = offset_min;
        } else {
            ev.t.state = IKM_TZ_PENDING;
            ev.t.utc_us = local[i];
            st.pending_rows++;
        }
        ev.kind = IKM_EV_DPD_DOWN;
        ev.gw_id = ev.tn_id = -1;
        ev.msg = ikm_str_of("m", 1);
        ck_assert_int_eq(s.event(s.ctx, &ev), 0);
    }
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_end(t, &st, name, &res, err, sizeof err), TL_END_STORED);
}

static void add_fact(struct tl_db *t, const char *name, const char *key, const char *value)
{
    ck_assert_int_eq(tl_source_begin(t, name, "test", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    struct ikm_device_fact f = {1, key, ikm_str_of(value, strlen(value))};
    ck_assert_int_eq(s.device_fact(s.ctx, &f), 0);
    struct ikm_source_stats st;
    ikm_source_stats_init(&st);
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_end(t, &st, name, &res, err, sizeof err), TL_END_STORED);
}

static void resolve_cli(struct tl_db *t, const struct ikm_tz *cli, struct ikm_zone_stats *zs)
{
    char err[512];
    ck_assert_msg(ikm_zone_resolve(tl_sqlite(t), cli, NULL, zs, err, sizeof err) == 0, "%s", err);
}

static void resolve(struct tl_db *t, struct ikm_zone_stats *zs)
{
    resolve_cli(t, NULL, zs);
}

START_TEST(config_zone_with_dst)
{
    const char *path = tu_path("zone1.db");
    struct tl_db *t = open_new(path);
    /* the seed's two system-log lines, and both sides of the 2019 spring-forward */
    const int64_t local[] = {1551893187000000LL, 1551896644000000LL, 1552183199000000LL, 1552186800000000LL};
    struct ikm_tz cli;
    char err[256];
    ck_assert_int_eq(ikm_tz_parse("+09:00", &cli, err, sizeof err), 0);
    add_source(t, "show_log_system.txt", local, 4, -9999);
    struct ikm_zone_stats zs;
    resolve_cli(t, &cli, &zs); /* first --tz, ... */
    ck_assert_int_eq(zs.sources_resolved, 1);
    add_fact(t, "running-config.xml", "timezone", "America/Los_Angeles");
    resolve_cli(t, &cli, &zs); /* ... then the config, which is trusted more */
    ck_assert_int_eq(zs.sources_resolved, 1);
    ck_assert_str_eq(zs.zone, "America/Los_Angeles");
    ck_assert_str_eq(zs.zone_source, "running-config");
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events WHERE line=1"), 1551921987000000LL); /* 01:26:27Z */
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events WHERE line=2"), 1551925444000000LL); /* 02:24:04Z */
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events WHERE line=3"), 1552211999000000LL); /* PST */
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events WHERE line=4"), 1552212000000000LL); /* PDT */
    char *s = tu_sql_text(path, "SELECT tz || ' ' || tz_source || ' ' || tz_assumed FROM sources WHERE path='show_log_system.txt'");
    ck_assert_str_eq(s, "America/Los_Angeles config 0");
    free(s);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM events WHERE tz_state='zone'"), 4);
}
END_TEST

START_TEST(clock_abbreviation_and_trust_order)
{
    const char *path = tu_path("zone2.db");
    struct tl_db *t = open_new(path);
    const int64_t local[] = {1551893187000000LL};
    add_source(t, "a.txt", local, 1, -9999);
    add_fact(t, "techsupport.txt", "clock-zone", "PST");
    struct ikm_zone_stats zs;
    resolve(t, &zs);
    ck_assert_str_eq(zs.zone_source, "show clock");
    /* a config ingested later wins over the clock */
    add_fact(t, "running-config.xml", "timezone", "Asia/Tokyo");
    resolve(t, &zs);
    ck_assert_int_eq(zs.sources_resolved, 1);
    char err[256];
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events"), 1551893187000000LL - 9LL * 3600 * 1000000);
    char *s = tu_sql_text(path, "SELECT tz_source FROM sources WHERE path='a.txt'");
    ck_assert_str_eq(s, "config");
    free(s);
}
END_TEST

START_TEST(ambiguous_and_unknown_clock_zones_warn)
{
    const char *path = tu_path("zone3.db");
    struct tl_db *t = open_new(path);
    const int64_t local[] = {1551893187000000LL};
    add_source(t, "a.txt", local, 1, -9999);
    add_fact(t, "techsupport.txt", "clock-zone", "CST");
    struct ikm_zone_stats zs;
    resolve(t, &zs);
    ck_assert_int_eq(zs.warnings, 1);
    ck_assert_int_eq(zs.sources_resolved, 1);
    char err[256];
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events"), 1551893187000000LL + 6LL * 3600 * 1000000);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM diagnostics WHERE check_name='timezone'"), 1);
}
END_TEST

START_TEST(line_offsets_win_and_disagreement_warns)
{
    const char *path = tu_path("zone4.db");
    struct tl_db *t = open_new(path);
    const int64_t local[] = {1551893187000000LL};
    add_source(t, "ikemgr.log", local, 1, -480); /* says -08:00 */
    add_source(t, "ikemgr-other.log", local, 1, 60); /* says +01:00: wrong for the device */
    add_fact(t, "running-config.xml", "timezone", "America/Los_Angeles");
    struct ikm_zone_stats zs;
    resolve(t, &zs);
    ck_assert_int_eq(zs.sources_resolved, 0);
    ck_assert_int_eq(zs.warnings, 1);
    char err[256];
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT ts_us FROM events e JOIN sources s ON s.id=e.source_id WHERE s.path='ikemgr-other.log'"),
                     1551893187000000LL - 3600LL * 1000000);
    char *m = tu_sql_text(path, "SELECT path || ': ' || message FROM diagnostics WHERE check_name='timezone'");
    ck_assert_str_eq(m, "ikemgr-other.log: the lines say UTC+01:00 at 2019-03-06T16:26:27Z but the device zone "
                        "America/Los_Angeles says UTC-08:00; the lines' offsets are kept");
    free(m);
}
END_TEST

/* Loose files without a device zone: the offset the device's other logs carry is its zone
 * (formats.md: a device's logs are all in its zone), weaker than --tz and a device zone;
 * several offsets give none. Each use is a warning. */
START_TEST(offset_of_the_device_logs_when_no_zone)
{
    const char *path = tu_path("zone6.db");
    struct tl_db *t = open_new(path);
    const int64_t local[] = {1551893187000000LL}; /* 2019-03-06 17:26:27 local */
    add_source(t, "ikemgr.log", local, 1, -480);
    add_source(t, "show_log_system.txt", local, 1, -9999);
    struct ikm_zone_stats zs;
    resolve(t, &zs);
    ck_assert_int_eq(zs.sources_resolved, 1);
    ck_assert_int_eq(zs.warnings, 1);
    char err[256];
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    const char *syslog_ts = "SELECT ts_us FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path = 'show_log_system.txt'";
    ck_assert_int_eq(tu_sql_int(path, syslog_ts), 1551893187000000LL + 8LL * 3600 * 1000000);
    const char *src = "SELECT tz || ' ' || tz_source || ' ' || tz_assumed FROM sources WHERE path = 'show_log_system.txt'";
    char *v = tu_sql_text(path, src);
    ck_assert_str_eq(v, "UTC-08:00 logs 0");
    free(v);
    v = tu_sql_text(path, "SELECT path || ': ' || message FROM diagnostics WHERE check_name = 'timezone'");
    ck_assert_str_eq(v, "show_log_system.txt: lines without an offset taken as UTC-08:00, the offset of ikemgr.log's "
                        "lines (no running config, show clock or --tz gives the zone)");
    free(v);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM events WHERE tz_state = 'zone'"), 1);

    /* --tz is trusted more, and a device zone more still */
    int created;
    t = tl_open(path, &created, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    struct ikm_tz cli;
    ck_assert_int_eq(ikm_tz_parse("+09:00", &cli, err, sizeof err), 0);
    resolve_cli(t, &cli, &zs);
    ck_assert_int_eq(zs.sources_resolved, 1);
    add_fact(t, "techsupport.txt", "clock-zone", "PST");
    resolve_cli(t, &cli, &zs);
    ck_assert_int_eq(zs.sources_resolved, 1);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    v = tu_sql_text(path, src);
    ck_assert_str_eq(v, "PST clock 0");
    free(v);

    /* offsets that differ (a daylight-saving change inside the logs): UTC, said why */
    path = tu_path("zone7.db");
    t = open_new(path);
    add_source(t, "ikemgr.log.1", local, 1, -480);
    add_source(t, "ikemgr.log", local, 1, -420);
    add_source(t, "show_log_system.txt", local, 1, -9999);
    resolve(t, &zs);
    ck_assert_int_eq(zs.warnings, 1);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, syslog_ts), 1551893187000000LL);
    v = tu_sql_text(path, src);
    ck_assert_str_eq(v, "UTC assumed 1");
    free(v);
    v = tu_sql_text(path, "SELECT message FROM diagnostics WHERE check_name = 'timezone'");
    ck_assert_str_eq(v, "lines without an offset taken as UTC: the device's logs carry several offsets (UTC-08:00, "
                        "UTC-07:00); give --tz or the running config");
    free(v);
}
END_TEST

/* A log without offsets whose n messages are one second apart from `local0` on. */
static void add_pending_messages(struct tl_db *t, const char *name, int64_t local0, int n)
{
    ck_assert_int_eq(tl_source_begin(t, name, "test", NULL, NULL), 0);
    struct ikm_sink s = tl_source_sink(t);
    struct ikm_source_stats st;
    ikm_source_stats_init(&st);
    st.units = st.parsed = n;
    for (int i = 0; i < n; i++) {
        struct ikm_ike_msg m;
        memset(&m, 0, sizeof m);
        m.origin = IKM_ORIGIN_LOG;
        m.unit = i + 1;
        m.t.local_us = m.t.utc_us = local0 + (int64_t)i * 1000000;
        m.t.state = IKM_TZ_PENDING;
        m.t.text = "t";
        m.t.text_len = 1;
        m.dir = IKM_DIR_SENT;
        snprintf(m.src_ip, sizeof m.src_ip, "198.51.100.10");
        snprintf(m.dst_ip, sizeof m.dst_ip, "203.0.113.20");
        m.src_port = m.dst_port = 500;
        m.version = 2;
        m.exch_type = 37;
        m.msg_id = m.expected_msg_id = -1;
        m.length = 80;
        m.copies = 1;
        m.gw_id = m.tn_id = -1;
        m.notify_error = m.ke_group = m.frag_num = m.frag_total = m.liveness = -1;
        ck_assert_int_eq(s.ike_message(s.ctx, &m), 0);
        st.pending_rows++;
    }
    char err[512];
    struct tl_source_result res;
    ck_assert_int_eq(tl_source_end(t, &st, name, &res, err, sizeof err), TL_END_STORED);
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* n messages one second apart from `local0` were moved to `utc0` on: the time index (which
 * must exist) finds all of them there and none at their local times (past every moved one). */
static void assert_moved_through_index(sqlite3 *db, int64_t local0, int64_t utc0, int n)
{
    ck_assert_int_eq(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ike_messages_ts'"), 1);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ike_messages INDEXED BY ike_messages_ts WHERE ts_us BETWEEN %lld AND %lld",
             (long long)utc0, (long long)(utc0 + (int64_t)(n - 1) * 1000000));
    ck_assert_int_eq(db_int(db, sql), n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ike_messages INDEXED BY ike_messages_ts WHERE ts_us >= %lld",
             (long long)local0);
    ck_assert_int_eq(db_int(db, sql), 0);
}

/* The time index is kept as messages are stored; a zone that moves most of them drops it for
 * the move and builds it again. Read through the index before the close (which would build a
 * missing one for a new timeline), and again in a timeline extended by a second log, where
 * only the zone code builds it. */
START_TEST(zone_moves_messages_and_their_time_index)
{
    const char *path = tu_path("zone-index.db");
    struct tl_db *t = open_new(path);
    const int64_t local0 = 1715655600000000LL; /* 2024-05-14 03:00:00 local */
    const int64_t tokyo = 9LL * 3600 * 1000000;
    add_pending_messages(t, "ikemgr.log", local0, 3000);
    add_fact(t, "running-config.xml", "timezone", "Asia/Tokyo");
    struct ikm_zone_stats zs;
    resolve(t, &zs);
    ck_assert_int_eq(zs.sources_resolved, 1);
    assert_moved_through_index(tl_sqlite(t), local0, local0 - tokyo, 3000);
    char err[512];
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);

    int created = 1;
    t = tl_open(path, &created, err, sizeof err);
    ck_assert_msg(t != NULL, "%s", err);
    ck_assert_int_eq(created, 0);
    const int64_t later = local0 + 86400LL * 1000000;
    add_pending_messages(t, "ikemgr.log.1", later, 4000);
    resolve(t, &zs);
    assert_moved_through_index(tl_sqlite(t), later, later - tokyo, 4000);
    ck_assert_int_eq(tl_close(t, 1, err, sizeof err), 0);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM ike_messages WHERE tz_state = 'zone'"), 7000);
}
END_TEST

Suite *zone_suite(void);
Suite *zone_suite(void)
{
    Suite *s = suite_create("zone");
    TCase *t = tcase_create("resolve");
    tcase_add_test(t, config_zone_with_dst);
    tcase_add_test(t, clock_abbreviation_and_trust_order);
    tcase_add_test(t, ambiguous_and_unknown_clock_zones_warn);
    tcase_add_test(t, line_offsets_win_and_disagreement_warns);
    tcase_add_test(t, offset_of_the_device_logs_when_no_zone);
    tcase_add_test(t, zone_moves_messages_and_their_time_index);
    suite_add_tcase(s, t);
    return s;
}
