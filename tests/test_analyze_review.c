/*
 * test_analyze_review.c — regression tests for bugs found in the review of the analysis
 * (incidents, evidence, rules, report). Each test builds a timeline from testdata/sample,
 * edits a few rows with SQL to make the case, and analyzes the database.
 */
#include "testutil.h"

#include "../rules/engine.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A timeline of testdata/sample (one dpd-down of branch-fw, peer 203.0.113.20 at 17:31:20Z). */
static const char *sample_db(const char *name)
{
    const char *db = tu_path(name);
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "-q", "--db", db, tu_src("testdata/sample"), NULL);
    ck_assert_msg(rc == 0, "ingest exit %d: %s", rc, err);
    free(out);
    free(err);
    return db;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

static json_t *analyze_db(const char *db, const char *rules_dir)
{
    char *out, *err;
    int rc = rules_dir ? tu_run(&out, &err, "analyze", "--json", "--rules", rules_dir, db, NULL)
                       : tu_run(&out, &err, "analyze", "--json", db, NULL);
    ck_assert_msg(rc == 0, "analyze exit %d: %s", rc, err);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", je.text, out);
    free(out);
    free(err);
    return j;
}

static const char *root_id(const json_t *inc)
{
    const char *s = json_string_value(json_object_get(json_object_get(inc, "root_cause"), "id"));
    ck_assert_ptr_nonnull(s);
    return s;
}

/* The finding `id` of an incident (its root cause or a hypothesis), or NULL. */
static const json_t *finding(const json_t *inc, const char *id)
{
    if (strcmp(root_id(inc), id) == 0)
        return json_object_get(inc, "root_cause");
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(inc, "hypotheses"), i, h) if (strcmp(json_string_value(json_object_get(h, "id")), id) == 0) return h;
    return NULL;
}

static int has_finding(const json_t *inc, const char *id)
{
    return finding(inc, id) != NULL;
}

/* An ike-sa-down whose liveness had one unanswered request early and answered ones up to the
 * drop: no unanswered run at the end, so first_unanswered_us is NULL in temp.inc. The rule
 * peer-unreachable compares `ts_us > NULL` (no message "heard") and scores 0.6 although the
 * peer answered 2 s before the drop (summary: "... went unanswered from  on"). */
START_TEST(peer_unreachable_needs_an_unanswered_run)
{
    const char *db = sample_db("review-null-fu.db");
    exec_sql(db, "DELETE FROM events WHERE kind = 'dpd-down';"
                 "INSERT INTO ike_messages(id, source_id, origin, frame_or_line, ts_us, ts_local_us, tz_state, device,"
                 " dir, src_ip, src_port, dst_ip, dst_port, version, exch_type, is_response, msg_id, length) VALUES"
                 " (100000, 1, 'log', 900, 1721064678000000, 1721064678000000, 'line', 'branch-fw', 'sent',"
                 "  '198.51.100.10', 500, '203.0.113.20', 500, NULL, 37, 0, 400, 76),"
                 " (100001, 1, 'log', 901, 1721064678004000, 1721064678004000, 'line', 'branch-fw', 'recv',"
                 "  '203.0.113.20', 500, '198.51.100.10', 500, 2, 37, 1, 400, 76);"
                 "INSERT INTO exchange_rows(origin, request_id, response_id, rtt_us, retransmits, initiator)"
                 " VALUES ('log', 100000, 100001, 4000, 0, 'local');");
    json_t *j = analyze_db(db, NULL);
    json_t *inc = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_ptr_nonnull(inc);
    ck_assert_str_eq(json_string_value(json_object_get(inc, "kind")), "ike-sa-down");
    ck_assert_msg(!has_finding(inc, "peer-unreachable"),
                  "peer-unreachable scored although the peer answered just before the drop: %s",
                  json_string_value(json_object_get(json_object_get(inc, "root_cause"), "summary")));
    json_decref(j);
}
END_TEST

/* The summary of finding `id`, or NULL. */
static const char *finding_summary(const json_t *inc, const char *id)
{
    return json_string_value(json_object_get(finding(inc, id), "summary"));
}

/* An exchange is stored in one of two places (schema, the exchanges view): our logged
 * requests' in their own row (ike_messages.xch_*), every other in exchange_rows. The rule
 * liveness-too-strict reads both without the view: three late answers, two of them stored
 * in their rows, are three. */
START_TEST(late_answers_counted_from_both_exchange_stores)
{
    const char *db = sample_db("review-late.db");
    int64_t n = tu_sql_int(db, "SELECT count(*) FROM exchanges");
    json_t *before = analyze_db(db, NULL);
    json_int_t retransmits = json_integer_value(
        json_object_get(json_object_get(json_array_get(json_object_get(before, "incidents"), 0), "liveness"), "retransmits"));
    json_decref(before);
    exec_sql(db, "CREATE TEMP TABLE late AS SELECT x.request_id AS id, q.ts_us FROM exchange_rows x"
                 " JOIN ike_messages q ON q.id = x.request_id WHERE q.dst_ip = '203.0.113.20'"
                 " AND x.response_id IS NOT NULL AND x.initiator = 'local' ORDER BY q.ts_us DESC LIMIT 3;"
                 "UPDATE exchange_rows SET retransmits = 1 WHERE request_id IN (SELECT id FROM temp.late);"
                 "DELETE FROM temp.late WHERE ts_us = (SELECT min(ts_us) FROM temp.late);"
                 "UPDATE ike_messages SET xch_response_id = x.response_id, xch_rtt_us = x.rtt_us,"
                 " xch_retransmits = x.retransmits, xch_initiator = x.initiator FROM exchange_rows x"
                 " WHERE x.request_id = ike_messages.id AND x.request_id IN (SELECT id FROM temp.late);"
                 "DELETE FROM exchange_rows WHERE request_id IN (SELECT id FROM temp.late);");
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE xch_retransmits = 1"), 2);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM exchange_rows WHERE retransmits = 1"), 1);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM exchanges"), n);
    json_t *j = analyze_db(db, NULL);
    json_t *inc = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_ptr_nonnull(inc);
    const char *sum = finding_summary(inc, "liveness-too-strict");
    ck_assert_ptr_nonnull(sum);
    const char *want = "3 liveness request(s) in the hour before were answered late ";
    ck_assert_msg(strncmp(sum, want, strlen(want)) == 0, "%s", sum);
    /* and the incident's liveness figures (evidence.c, through the view) see all three */
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(inc, "liveness"), "retransmits")), retransmits + 3);
    json_decref(j);
}
END_TEST

/* ikemgr's IKEv1 "DPD: remote (ISAKMP-SA spi=I:R) seems to be dead" names no peer: the
 * incident's peer is the other end of that SA's messages. The SPI index behind the lookup is
 * not part of a new timeline (schema/timeline.sql); the analysis builds it once such an
 * anchor exists. */
static int has_spi_index(const char *path)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                            " AND name = 'ike_messages_spi'", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

START_TEST(anchor_named_by_spi_finds_its_peer)
{
    const char *db = sample_db("review-spi-anchor.db");
    ck_assert_int_eq(has_spi_index(db), 0);
    /* the sample's other anchors name the peer: only the SPI-named one is left */
    exec_sql(db, "DELETE FROM events WHERE kind IN ('dpd-down', 'ike-sa-down');"
                 "UPDATE ike_messages SET ispi = 'a1b2c3d4e5f60718' WHERE id IN (1, 2, 3);"
                 "INSERT INTO events(source_id, line, ts_us, ts_local_us, tz_state, ts_text, device, kind, msg,"
                 " attrs_json) VALUES (1, 348, 1721064680005000, 1721039480005000, 'line',"
                 " '2024-07-15 10:31:20.005 -0700', 'branch-fw', 'dpd-down',"
                 " 'DPD: remote (ISAKMP-SA spi=A1B2C3D4E5F60718:9b1c2e3f4a5b6c7d) seems to be dead.',"
                 " '{\"spi_i\":\"A1B2C3D4E5F60718\",\"spi_r\":\"9b1c2e3f4a5b6c7d\"}');");
    json_t *j = analyze_db(db, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(j, "incidents")), 1);
    json_t *inc = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(inc, "kind")), "dpd-down");
    ck_assert_ptr_nonnull(json_string_value(json_object_get(inc, "peer")));
    ck_assert_str_eq(json_string_value(json_object_get(inc, "peer")), "203.0.113.20");
    ck_assert_int_eq(has_spi_index(db), 1);
    json_decref(j);
}
END_TEST

/* Both peers' bundles in one timeline: hq-fw's own capture shows the ESP it sent to
 * branch-fw. That ESP never reached branch-fw, yet one-way-loss, peer-unreachable and
 * peer_traffic count esp_counts by source address only, not by the incident's device. */
START_TEST(esp_of_another_device_is_not_received)
{
    const char *db = sample_db("review-esp-device.db");
    exec_sql(db, "INSERT INTO sources(id, path, kind, device, sha256, ingested_at)"
                 " VALUES (99, 'hq/ikemgr.pcap', 'pcap', 'hq-fw', 'review-99', 'now');"
                 "INSERT INTO esp_counts(source_id, device, src_ip, dst_ip, spi, natt, bucket_start_us, packets, bytes,"
                 " first_frame, last_frame) VALUES"
                 " (99, 'hq-fw', '203.0.113.20', '198.51.100.10', 4660, 0, 1721064300000000, 50, 5000, 10, 60),"
                 " (99, 'hq-fw', '203.0.113.20', '198.51.100.10', 4660, 0, 1721064310000000, 50, 5000, 61, 110);");
    json_t *j = analyze_db(db, NULL);
    json_t *inc = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_ptr_nonnull(inc);
    ck_assert_str_eq(json_string_value(json_object_get(inc, "device")), "branch-fw");
    ck_assert_str_eq(root_id(inc), "peer-unreachable");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(inc, "peer_traffic"), "esp_packets_from_peer")),
                     0);
    json_decref(j);
}
END_TEST

/* A phase-1 streak of gateway gw-a (failures 10 min apart) with another gateway's drop in
 * between: read_anchors stops looking at older incidents as soon as a newer one ended more
 * than 15 min before, so the streak's third failure opens a second incident. */
START_TEST(streak_not_split_by_another_incident)
{
    const char *db = sample_db("review-streak.db");
    exec_sql(db, "DELETE FROM events WHERE kind IN ('dpd-down','ike-sa-down','p1-fail','p2-fail','tunnel-down');"
                 "INSERT INTO events(source_id, line, ts_us, ts_local_us, tz_state, ts_text, device, kind, gateway,"
                 " peer_ip, msg) VALUES"
                 " (4, 101, 1722500000000000, 1722500000000000, 'line', 'x', 'branch-fw', 'p1-fail', 'gw-a',"
                 "  '192.0.2.1', 'IKE phase-1 negotiation failed'),"
                 " (4, 102, 1722500100000000, 1722500100000000, 'line', 'x', 'branch-fw', 'dpd-down', 'gw-b',"
                 "  '192.0.2.2', 'IKEv2 IKE SA is down determined by DPD.'),"
                 " (4, 103, 1722500600000000, 1722500600000000, 'line', 'x', 'branch-fw', 'p1-fail', 'gw-a',"
                 "  '192.0.2.1', 'IKE phase-1 negotiation failed'),"
                 " (4, 104, 1722501200000000, 1722501200000000, 'line', 'x', 'branch-fw', 'p1-fail', 'gw-a',"
                 "  '192.0.2.1', 'IKE phase-1 negotiation failed');");
    json_t *j = analyze_db(db, NULL);
    ck_assert_int_eq(tu_sql_int(db, "SELECT COUNT(*) FROM incidents WHERE gateway = 'gw-a'"), 1);
    ck_assert_int_eq(tu_sql_int(db, "SELECT COUNT(*) FROM incidents"), 2);
    json_decref(j);
}
END_TEST

/* The configured liveness interval is taken as it is (the config parser accepts 18 digits):
 * 10^9 s makes the window reach back 63 years (every event of the timeline in every rule:
 * an unrelated restart hours earlier becomes the root cause), and 1.5·10^9 overflows
 * `schedule_s + 2 * interval_s` (int), leaving a window of 2 minutes. */
START_TEST(absurd_interval_keeps_a_sane_window)
{
    static const long long intervals[] = {1000000000LL, 1500000000LL};
    for (size_t k = 0; k < 2; k++) {
        char name[64], sql[128];
        snprintf(name, sizeof name, "review-interval-%zu.db", k);
        const char *db = sample_db(name);
        snprintf(sql, sizeof sql, "UPDATE cfg_gateways SET liveness_interval_s = %lld", intervals[k]);
        exec_sql(db, sql);
        json_t *j = analyze_db(db, NULL);
        int64_t ts = tu_sql_int(db, "SELECT ts_us FROM incidents ORDER BY id LIMIT 1");
        int64_t ws = tu_sql_int(db, "SELECT window_start_us FROM incidents ORDER BY id LIMIT 1");
        ck_assert_msg(ts - ws >= 435LL * 1000000, "interval %lld: window starts only %lld s before the drop",
                      intervals[k], (long long)((ts - ws) / 1000000));
        ck_assert_msg(ts - ws <= 86400LL * 1000000, "interval %lld: window starts %lld s before the drop", intervals[k],
                      (long long)((ts - ws) / 1000000));
        json_t *inc = json_array_get(json_object_get(j, "incidents"), 0);
        ck_assert_str_eq(root_id(inc), "peer-unreachable");
        json_decref(j);
    }
}
END_TEST

/* A --rules file whose title/remedy are not UTF-8: json_string() refuses them, so the
 * report's root_cause has no title, summary or remedy (schema-invalid). */
START_TEST(non_utf8_rule_header_keeps_report_valid)
{
    const char *db = sample_db("review-utf8-rule.db");
    const char *dir = tu_path("review-rules-utf8");
    mkdir(dir, 0755);
    char path[600];
    snprintf(path, sizeof path, "%s/link-down.sql", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("-- id: link-down\n-- title: T\xff\xfe bad\n-- applies-to: dpd-down\n-- severity: low\n"
          "-- remedy: R\xc3\nSELECT 0.99 AS score\n",
          f);
    fclose(f);
    json_t *j = analyze_db(db, dir);
    json_t *rc = json_object_get(json_array_get(json_object_get(j, "incidents"), 0), "root_cause");
    ck_assert_str_eq(json_string_value(json_object_get(rc, "id")), "link-down");
    ck_assert_msg(json_is_string(json_object_get(rc, "title")), "root_cause has no title");
    ck_assert_msg(json_is_string(json_object_get(rc, "summary")), "root_cause has no summary");
    ck_assert_msg(json_is_string(json_object_get(rc, "remedy")), "root_cause has no remedy");
    json_decref(j);
}
END_TEST

/* A FIFO named *.sql in --rules: fopen() blocks for ever (no writer). A rule file must be a
 * regular file (open with O_NONBLOCK, fstat, refuse the rest). */
START_TEST(rules_dir_fifo_does_not_hang)
{
    const char *dir = tu_path("review-rules-fifo");
    mkdir(dir, 0755);
    char path[600];
    snprintf(path, sizeof path, "%s/zz-fifo.sql", dir);
    unlink(path);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL); /* not Check's handler, which kills the whole group */
        alarm(5);                 /* killed by SIGALRM when the loader blocks */
        struct ikm_ruleset rs = {0};
        char err[512];
        int rc = ikm_rules_load_dir(&rs, dir, err, sizeof err);
        ikm_rules_free(&rs);
        _exit(rc == -1 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(!WIFSIGNALED(status), "the rules loader blocked on a FIFO (killed by signal %d)", WTERMSIG(status));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a FIFO was accepted as a rule file");
}
END_TEST

Suite *analyze_review_suite(void)
{
    Suite *s = suite_create("analyze_review");
    TCase *e = tcase_create("review");
    tcase_set_timeout(e, 120);
    tcase_add_test(e, peer_unreachable_needs_an_unanswered_run);
    tcase_add_test(e, anchor_named_by_spi_finds_its_peer);
    tcase_add_test(e, late_answers_counted_from_both_exchange_stores);
    tcase_add_test(e, esp_of_another_device_is_not_received);
    tcase_add_test(e, streak_not_split_by_another_incident);
    tcase_add_test(e, absurd_interval_keeps_a_sane_window);
    tcase_add_test(e, non_utf8_rule_header_keeps_report_valid);
    tcase_add_test(e, rules_dir_fifo_does_not_hang);
    suite_add_tcase(s, e);
    return s;
}
