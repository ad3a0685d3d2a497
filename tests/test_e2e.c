/*
 * test_e2e.c — the ikemortem binary end to end (IKM_BIN, built with ASan/UBSan): the seed
 * fixture into a database, then SQL on it; compressed rotations; hostile files; the command
 * line's usage errors and exit codes.
 */
#include "testutil.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEED_LOG tu_src("testdata/seed/ikemgr.log")
#define SEED_GZ tu_src("testdata/seed/ikemgr.log.1.gz")

static void assert_contains(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "expected \"%s\" in:\n%s", needle, hay);
}

START_TEST(seed_into_timeline)
{
    const char *db = tu_path("seed.db");
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "--db", db, SEED_LOG, NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    assert_contains(out, "ikemgr-log, 16 lines: 16 parsed, 0 unparsed");
    assert_contains(out, "events: dpd-down 2");
    assert_contains(out, "exchanges: 2 paired (2 from logs, 0 from captures), 2 answered, 0 unanswered");
    free(out);
    free(err);
    /* the DPD drop the seed names, at its UTC time, for its tunnel */
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE kind='dpd-down' AND "
                                    "ts_us=1551921988000000 AND tunnel='awsseapa-to-azeapa'"), 1);
    char *iso = tu_sql_text(db, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ts_us/1000000, 'unixepoch') "
                                "FROM events WHERE kind='dpd-down' ORDER BY ts_us LIMIT 1");
    ck_assert_str_eq(iso, "2019-03-07T01:26:28Z");
    free(iso);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE kind='dpd-down'"), 2);
    /* the 2024 liveness exchange: one sent and one received INFORMATIONAL, message id 704 */
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE msg_id=704 AND exch_type=37 AND dir='sent' AND is_response=0"), 1);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE msg_id=704 AND exch_type=37 AND dir='recv' AND is_response=1"), 1);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE msg_id=704"), 2);
    ck_assert_int_eq(tu_sql_int(db, "SELECT rtt_us FROM exchange_detail WHERE msg_id=704"), 2000);
    ck_assert_int_eq(tu_sql_int(db, "SELECT units FROM sources"), 16);
    ck_assert_int_eq(tu_sql_int(db, "SELECT parsed + unparsed - units FROM sources"), 0);
    char *tz = tu_sql_text(db, "SELECT tz || ' ' || tz_source FROM sources");
    ck_assert_str_eq(tz, "-08:00 line");
    free(tz);
    char *sha = tu_sql_text(db, "SELECT sha256 FROM sources");
    ck_assert_uint_eq(strlen(sha), 64);
    free(sha);

    /* the same content again is skipped, and said so */
    rc = tu_run(&out, &err, "ingest", "--db", db, SEED_LOG, NULL);
    ck_assert_int_eq(rc, 0);
    assert_contains(out, "skipped: same content as source #1");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events"), 2);
}
END_TEST

/* The seed's two system-log lines carry no zone: the running config's zone places them. */
START_TEST(system_log_with_device_zone)
{
    const char *db = tu_path("zone.db");
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "--db", db, tu_src("testdata/seed/show_log_system.txt"),
                    tu_src("testdata/seed/running-config.xml"), SEED_LOG, NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    assert_contains(out, "system-log-cli, 3 lines: 3 parsed, 0 unparsed");
    assert_contains(out, "running-config, 51 lines: 51 parsed, 0 unparsed");
    assert_contains(out, "device time zone: America/Los_Angeles (from running-config), applied to 1 source");
    free(out);
    free(err);
    char *t = tu_sql_text(db, "SELECT group_concat(strftime('%Y-%m-%dT%H:%M:%SZ', ts_us/1000000, 'unixepoch'), ' ') "
                              "FROM (SELECT ts_us FROM events e JOIN sources s ON s.id = e.source_id "
                              "WHERE s.kind = 'system-log-cli' AND e.kind = 'dpd-down' ORDER BY ts_us)");
    ck_assert_str_eq(t, "2019-03-07T01:26:27Z 2019-03-07T02:24:04Z");
    free(t);
    t = tu_sql_text(db, "SELECT tz || ' ' || tz_source FROM sources WHERE kind = 'system-log-cli'");
    ck_assert_str_eq(t, "America/Los_Angeles config");
    free(t);
    ck_assert_int_eq(tu_sql_int(db, "SELECT liveness_interval_s FROM cfg_gateways WHERE name = 'seapa-gw'"), 5);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM diagnostics WHERE check_name = 'timezone'"), 0);
}
END_TEST

START_TEST(gzip_rotation)
{
    const char *db = tu_path("gz.db");
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "-v", "--db", db, SEED_GZ, NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    assert_contains(err, "compression: gzip");
    assert_contains(out, "16 lines: 16 parsed");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE kind='dpd-down'"), 2);
}
END_TEST

START_TEST(truncated_gzip)
{
    /* a rotation big enough that a cut leaves many lines before it (libarchive's gzip filter
     * drops the block it was decoding at the cut, up to 64 KiB): 20000 distinct lines,
     * gzip'd, then cut in half */
    const char *plain = tu_path("rot.log");
    FILE *f = fopen(plain, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 20000; i++)
        fprintf(f, "2024-07-15 10:%02d:%02d.%03d -0700 [DEBG]: %d bytes message received from 10.46.%d.%d\n",
                i / 60 % 60, i % 60, i % 1000, 60 + i % 200, i % 250, (i * 7) % 250);
    ck_assert_int_eq(fclose(f), 0);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "gzip -n -c '%s' > '%s.gz'", plain, plain);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s.gz", plain);
    f = fopen(cmd, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_gt(n, 40000);
    const char *cut = tu_write("ikemgr.log.2.gz", buf, n / 2);
    const char *db = tu_path("cut.db");
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "--db", db, cut, NULL);
    ck_assert_msg(rc == 1, "exit %d, stderr:\n%s", rc, err);
    assert_contains(err, cut);
    assert_contains(err, "stream ends early");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM diagnostics WHERE severity='error' AND check_name='read'"), 1);
    int64_t units = tu_sql_int(db, "SELECT units FROM sources");
    ck_assert_int_gt(units, 5000);
    ck_assert_int_lt(units, 11000);
    ck_assert_int_eq(tu_sql_int(db, "SELECT parsed + unparsed - units FROM sources"), 0);
    ck_assert_int_ge(tu_sql_int(db, "SELECT count(*) FROM ike_messages"), units - 1);

    /* cut so early that nothing decompresses: nothing could be read */
    const char *tiny = tu_write("ikemgr.log.3.gz", buf, 20);
    const char *db2 = tu_path("cut2.db");
    unlink(db2);
    rc = tu_run(&out, &err, "ingest", "--db", db2, tiny, NULL);
    ck_assert_msg(rc == 3, "exit %d, stderr:\n%s", rc, err);
    assert_contains(err, "ikemgr.log.3.gz: error: cannot read");
    free(out);
    free(err);
}
END_TEST

START_TEST(hostile_file_accounting)
{
    size_t big = (size_t)2 << 20;
    static const char head[] = "2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <t1>, SA state ESTABLISHED\r\n"
                               "\0\0\0\0\0\0\0\0" "2024-07-15 10:55:41.005 -0700 [DEBG]: ===\r\n"
                               "2024-13-15 10:55:41.005 -0700 [DEBG]: ===\n"
                               "2024-07-15 10:55:41.005 -0700 [DEBG]: caf\xe9 unknown thing\n";
    static const char tail[] = "\n2019-03-06 18:24:05.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <t1>, SA state ESTABLISHED";
    size_t n = sizeof head - 1 + big + sizeof tail - 1;
    char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, head, sizeof head - 1);
    memset(buf + sizeof head - 1, 'Z', big);
    memcpy(buf + sizeof head - 1 + big, tail, sizeof tail - 1);
    const char *log = tu_write("ikemgr.log", buf, n);
    free(buf);
    const char *db = tu_path("hostile.db");
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "--db", db, log, NULL);
    ck_assert_msg(rc == 1, "exit %d, stderr:\n%s", rc, err);
    assert_contains(err, "exceeds the 1048576-byte limit");
    assert_contains(err, ":5: error:");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT units FROM sources"), 6);
    ck_assert_int_eq(tu_sql_int(db, "SELECT unparsed FROM sources"), 3);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM unparsed"), 3);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE kind='dpd-down'"), 2);
    char *txt = tu_sql_text(db, "SELECT text FROM unparsed WHERE line=4");
    ck_assert_str_eq(txt, "2024-07-15 10:55:41.005 -0700 [DEBG]: caf\\xE9 unknown thing");
    free(txt);
    ck_assert_int_eq(tu_sql_int(db, "SELECT length(text) FROM unparsed WHERE line=5"), 4096);
}
END_TEST

START_TEST(offsetless_log_with_tz)
{
    static const char text[] =
        "2016-03-01 14:32:24 [INFO]: ike_sa.c:275:ikev2_abort(): 6:1.1.1.1[500] - 2.2.2.2[500]:(nil):aborting IKEv2 SA GW:6\n";
    const char *log = tu_write("ikemgr-c.log", text, sizeof text - 1);
    const char *db = tu_path("tz.db");
    unlink(db);
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "--tz", "-08:00", "--db", db, log, NULL), 0);
    assert_contains(out, "from --tz");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT ts_us FROM events"), 1456871544000000LL);
    char *st = tu_sql_text(db, "SELECT tz_state FROM events");
    ck_assert_str_eq(st, "cli");
    free(st);
    const char *db2 = tu_path("tz2.db");
    unlink(db2);
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "--db", db2, log, NULL), 0);
    assert_contains(out, "ASSUMED");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db2, "SELECT tz_assumed FROM sources"), 1);
}
END_TEST

START_TEST(unknown_and_missing_inputs)
{
    const char *junk = tu_write("notes.txt", "just some notes\nnothing to see\n", 31);
    const char *db = tu_path("mixed.db");
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "--db", db, junk, SEED_LOG, NULL);
    ck_assert_msg(rc == 1, "exit %d", rc);
    assert_contains(err, "notes.txt: not understood");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM sources"), 1);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM diagnostics WHERE check_name='detect'"), 1);

    const char *db2 = tu_path("none.db");
    unlink(db2);
    rc = tu_run(&out, &err, "ingest", "--db", db2, tu_path("does-not-exist.log"), NULL);
    ck_assert_int_eq(rc, 3);
    assert_contains(err, "cannot open");
    free(out);
    free(err);
    ck_assert_int_eq(access(db2, F_OK), -1);
}
END_TEST

START_TEST(refuses_unknown_schema_version)
{
    const char *db = tu_path("ver.db");
    unlink(db);
    ck_assert_int_eq(tu_run(NULL, NULL, "ingest", "-q", "--db", db, SEED_LOG, NULL), 0);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    char *err;
    ck_assert_int_eq(tu_run(NULL, &err, "ingest", "--db", db, SEED_GZ, NULL), 3);
    assert_contains(err, "schema version 99");
    free(err);
}
END_TEST

/* A crash can zero a log's head for longer than any first read: the content after it is
 * still found and read, plain or compressed. */
START_TEST(zeroed_head_longer_than_a_read)
{
    FILE *f = fopen(SEED_LOG, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[200000];
    memset(buf, 0, 70000);
    size_t n = fread(buf + 70000, 1, sizeof buf - 70000, f);
    fclose(f);
    const char *log = tu_write("zeroed-ikemgr.log", buf, 70000 + n);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "gzip -n -c '%s' > '%s.gz'", log, log);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s.gz", log);
    const char *inputs[] = {log, cmd};
    for (int i = 0; i < 2; i++) {
        const char *db = tu_path(i ? "zero-gz.db" : "zero.db");
        unlink(db);
        char *out, *err;
        int rc = tu_run(&out, &err, "ingest", "--db", db, inputs[i], NULL);
        ck_assert_msg(rc == 0, "%s: exit %d, stderr:\n%s", inputs[i], rc, err);
        free(out);
        free(err);
        ck_assert_int_eq(tu_sql_int(db, "SELECT units FROM sources"), 16);
        ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE kind = 'dpd-down'"), 2);
    }
}
END_TEST

/* Overlapping sources lose only the rows the earlier one really holds, one for one. */
START_TEST(overlap_drops_one_for_one)
{
    static const char a[] = "2024/07/15 10:00:00 low      vpn     gw1 ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n";
    static const char b[] = "2024/07/15 10:40:00 low      vpn     gw1 ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"
                            "2024/07/15 10:00:00 low      vpn     gw1 ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"
                            "2024/07/15 10:00:00 low      vpn     gw1 ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n";
    const char *fa = tu_write("a_show_log_system.txt", a, sizeof a - 1);
    const char *fb = tu_write("b_show_log_system.txt", b, sizeof b - 1);
    const char *db = tu_path("overlap.db");
    unlink(db);
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "--db", db, fa, fb, NULL), 0);
    assert_contains(out, "overlapping rotations: 1 duplicate rows dropped");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE kind = 'dpd-down'"), 3);
    ck_assert_int_eq(tu_sql_int(db, "SELECT sum(dup_rows) FROM sources"), 1);
}
END_TEST

START_TEST(command_line)
{
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, NULL), 2);
    assert_contains(err, "Usage: ikemortem <command>");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "--help", NULL), 0);
    assert_contains(out, "ingest");
    assert_contains(out, "Exit codes:");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "--version", NULL), 0);
    assert_contains(out, "ikemortem 0.1.0");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "--help", NULL), 0);
    assert_contains(out, "Usage: ikemortem ingest --db FILE");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "frobnicate", NULL), 2);
    assert_contains(err, "unknown command 'frobnicate'");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "ingest", SEED_LOG, NULL), 2);
    assert_contains(err, "--db FILE is required");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "--db", tu_path("x.db"), NULL), 2);
    assert_contains(err, "no INPUT given");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "--tz", "Mars/Base", "--db", tu_path("x.db"), SEED_LOG, NULL), 2);
    assert_contains(err, "unknown zone");
    free(out), free(err);
}
END_TEST

Suite *e2e_suite(void);
Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *t = tcase_create("ingest");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, seed_into_timeline);
    tcase_add_test(t, gzip_rotation);
    tcase_add_test(t, system_log_with_device_zone);
    tcase_add_test(t, truncated_gzip);
    tcase_add_test(t, hostile_file_accounting);
    tcase_add_test(t, offsetless_log_with_tz);
    tcase_add_test(t, unknown_and_missing_inputs);
    tcase_add_test(t, refuses_unknown_schema_version);
    tcase_add_test(t, command_line);
    tcase_add_test(t, zeroed_head_longer_than_a_read);
    tcase_add_test(t, overlap_drops_one_for_one);
    suite_add_tcase(s, t);
    return s;
}
