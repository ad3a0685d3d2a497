/*
 * test_analyze.c — the analysis: name matching, liveness schedules, prefixes, the rule file
 * format and loader, and `analyze` / `rules` end to end on the seed and sample fixtures
 * (incidents, root causes, evidence locations, recurrence, the JSON and text reports).
 */
#include "testutil.h"

#include "../analyzer/evidence.h"
#include "../analyzer/incidents.h"
#include "../analyzer/timeline.h"
#include "../rules/engine.h"

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void assert_contains(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "expected \"%s\" in:\n%s", needle, hay);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* The generator's scenario written afresh into the test folder `leaf` (extra: more of its
 * options); returns the folder. */
static const char *generate(const char *scenario, const char *leaf, const char *extra)
{
    const char *gen = getenv("IKM_GEN");
    ck_assert_msg(gen && *gen, "IKM_GEN is not set (run through make check)");
    const char *dir = tu_path(leaf);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' '%s' '%s' %s >/dev/null", dir, gen, scenario, dir, extra);
    ck_assert_int_eq(system(cmd), 0);
    return dir;
}

START_TEST(names_compatible_cut_names)
{
    ck_assert_int_eq(ikm_names_compatible("seapa-to-azeapa", "seapa-to-azeapa"), 1);
    ck_assert_int_eq(ikm_names_compatible("awsseapa-to-azeapa", "awsseapa-to-az"), 1); /* CLI width */
    ck_assert_int_eq(ikm_names_compatible("branch", "branch-gw"), 1);
    ck_assert_int_eq(ikm_names_compatible("gw-a", "gw-b"), 0);
    ck_assert_int_eq(ikm_names_compatible("ab", "abc"), 0); /* too short to be a cut name */
    ck_assert_int_eq(ikm_names_compatible(NULL, "x"), 1);
}
END_TEST

START_TEST(liveness_schedule_by_version)
{
    ck_assert_int_eq(ikm_liveness_schedule_s("7.1.0-h3"), 319);
    ck_assert_int_eq(ikm_liveness_schedule_s("10.2.9"), 435);
    ck_assert_int_eq(ikm_liveness_schedule_s("8.0.0"), 435);
    ck_assert_int_eq(ikm_liveness_schedule_s(NULL), 435);
    ck_assert_int_eq(ikm_liveness_schedule_s("garbage"), 435);
}
END_TEST

START_TEST(ip_in_prefix_v4_v6)
{
    ck_assert_int_eq(ikm_ip_in_prefix("203.0.113.5", "203.0.113.0/24"), 1);
    ck_assert_int_eq(ikm_ip_in_prefix("203.0.114.5", "203.0.113.0/24"), 0);
    ck_assert_int_eq(ikm_ip_in_prefix("203.0.113.5", "0.0.0.0/0"), 1);
    ck_assert_int_eq(ikm_ip_in_prefix("203.0.113.5", "203.0.113.5"), 1);
    ck_assert_int_eq(ikm_ip_in_prefix("2001:db8::1", "2001:db8::/32"), 1);
    ck_assert_int_eq(ikm_ip_in_prefix("2001:db9::1", "2001:db8::/32"), 0);
    ck_assert_int_eq(ikm_ip_in_prefix("203.0.113.5", "203.0.113.0/33"), -1);
    ck_assert_int_eq(ikm_ip_in_prefix("203.0.113.5", "2001:db8::/32"), -1);
    ck_assert_int_eq(ikm_ip_in_prefix("x", "10.0.0.0/8"), -1);
}
END_TEST

static const char good_rule[] = "-- id: my-cause\n"
                                "-- title: A test cause\n"
                                "-- applies-to: dpd-down, p1-fail\n"
                                "-- severity: high\n"
                                "-- remedy: Do this,\n"
                                "-- remedy: then that.\n"
                                "-- a note that is not a key\n"
                                "SELECT 0.5 AS score\n";

START_TEST(rule_parse_header)
{
    struct ikm_rule r;
    char err[256];
    ck_assert_int_eq(ikm_rule_parse("my-cause.sql", good_rule, strlen(good_rule), "t", &r, err, sizeof err), 0);
    ck_assert_str_eq(r.id, "my-cause");
    ck_assert_str_eq(r.title, "A test cause");
    ck_assert_str_eq(r.severity, "high");
    ck_assert_str_eq(r.remedy, "Do this, then that.");
    ck_assert_str_eq(r.sql, "SELECT 0.5 AS score");
    ck_assert_int_eq(ikm_rule_applies(&r, "p1-fail"), 1);
    ck_assert_int_eq(ikm_rule_applies(&r, "p2-fail"), 0);
    ck_assert_int_eq(ikm_rule_applies(&r, "dpd"), 0);
    ikm_rule_free(&r);
}
END_TEST

static void expect_parse_error(const char *name, const char *text, const char *msg)
{
    struct ikm_rule r;
    char err[256] = "";
    ck_assert_int_eq(ikm_rule_parse(name, text, strlen(text), "t", &r, err, sizeof err), -1);
    assert_contains(err, msg);
}

START_TEST(rule_parse_errors)
{
    expect_parse_error("x.sql", "-- id: x\n-- title: t\n-- severity: high\n-- remedy: r\nSELECT 1 AS score",
                       "x.sql: the header has no '-- applies-to:' line");
    expect_parse_error("y.sql", "-- id: x\n-- title: t\n-- applies-to: *\n-- severity: high\n-- remedy: r\nSELECT 1",
                       "the file of rule 'x' must be named x.sql");
    expect_parse_error("x.sql", "-- id: x\n-- title: t\n-- applies-to: *\n-- severity: urgent\n-- remedy: r\nSELECT 1",
                       "severity 'urgent' is not one of");
    expect_parse_error("x.sql", "-- id: x\n-- title: t\n-- applies-to: *\n-- severity: low\n-- remedy: r\n",
                       "x.sql: no query after the header");
    expect_parse_error("x.sql", "-- id: x\n-- id: x\n", "x.sql:2: this header key is given twice");
    struct ikm_rule r;
    char err[256] = "";
    static const char binary[] = "-- id: x\0binary";
    ck_assert_int_eq(ikm_rule_parse("x.sql", binary, sizeof binary - 1, "t", &r, err, sizeof err), -1);
    assert_contains(err, "not a rule file");
}
END_TEST

/* Every cause id of DESIGN.md has its built-in rule. */
START_TEST(builtin_rules_cover_every_cause)
{
    static const char *const causes[] = {
        "peer-unreachable", "one-way-loss", "route-change", "policy-change", "link-down",
        "nat-rebinding", "liveness-too-strict", "message-id-desync", "peer-restarted",
        "local-ha-failover", "ikemgr-restart", "rekey-failure", "p1-proposal-mismatch",
        "p1-auth-failure", "p1-no-response", "p2-proposal-mismatch", "p2-proxy-id-mismatch",
        "esp-one-way", "unknown"};
    struct ikm_ruleset rs = {0};
    char err[256];
    ck_assert_msg(ikm_rules_builtin(&rs, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(rs.n, sizeof causes / sizeof causes[0]);
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        ck_assert_msg(ikm_rules_find(&rs, causes[i]) != NULL, "no rule %s", causes[i]);
    ikm_rules_free(&rs);
}
END_TEST

/* analyze --json, checked against the report schema */
static json_t *analyze_json(const char *input)
{
    char *out, *err;
    int rc = tu_run(&out, &err, "analyze", "--json", input, NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    const char *copy = tu_write("report.json", out, strlen(out));
    tu_validate_report(copy);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", je.text, out);
    free(out);
    free(err);
    return j;
}

static const char *jstr(const json_t *o, const char *path)
{
    /* "a.b.c": nested object keys */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_object_get(cur, tok);
    ck_assert_msg(json_is_string(cur), "%s is not a string", path);
    return json_string_value(cur);
}

/* The seed's own lines: two DPD drops an hour apart on one tunnel, a recurrence. */
START_TEST(seed_two_incidents_and_recurrence)
{
    json_t *j = analyze_json(tu_src("testdata/seed"));
    ck_assert_str_eq(jstr(j, "schema_version"), "1");
    json_t *incs = json_object_get(j, "incidents");
    ck_assert_uint_eq(json_array_size(incs), 2);
    json_t *a = json_array_get(incs, 0), *b = json_array_get(incs, 1);
    ck_assert_str_eq(jstr(a, "kind"), "dpd-down");
    ck_assert_str_eq(jstr(a, "time"), "2019-03-07T01:26:27Z");
    ck_assert_str_eq(jstr(a, "local_time"), "2019-03-06T17:26:27-08:00");
    ck_assert_str_eq(jstr(a, "tunnel"), "awsseapa-to-azeapa");
    ck_assert_str_eq(jstr(b, "time"), "2019-03-07T02:24:04Z");
    ck_assert_str_eq(jstr(b, "tunnel"), "awsseapa-to-azeapa");
    /* the system log line and ikemgr's DPD down a second later are one incident */
    ck_assert_uint_eq(json_array_size(json_object_get(a, "anchors")), 2);
    /* no capture, no debug lines in the window: nothing can be shown */
    ck_assert_str_eq(jstr(a, "root_cause.id"), "unknown");
    ck_assert_str_eq(jstr(a, "liveness.basis"), "none");
    json_t *rec = json_object_get(j, "recurrence");
    ck_assert_uint_eq(json_array_size(rec), 1);
    json_t *r0 = json_array_get(rec, 0);
    ck_assert_str_eq(jstr(r0, "tunnel"), "awsseapa-to-azeapa");
    ck_assert_int_eq(json_integer_value(json_object_get(r0, "count")), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(r0, "intervals_s"), 0)), 3457);
    json_decref(j);
}
END_TEST

/* The sample bundle: liveness fails with nothing back from the peer; the evidence points at
 * the exact lines. */
START_TEST(sample_peer_unreachable_with_evidence)
{
    json_t *j = analyze_json(tu_src("testdata/sample"));
    json_t *incs = json_object_get(j, "incidents");
    ck_assert_uint_eq(json_array_size(incs), 1);
    json_t *a = json_array_get(incs, 0);
    ck_assert_str_eq(jstr(a, "time"), "2024-07-15T17:31:20Z");
    ck_assert_str_eq(jstr(a, "device"), "branch-fw");
    ck_assert_str_eq(jstr(a, "gateway"), "branch-gw"); /* the system log cut it to "branch" */
    ck_assert_str_eq(jstr(a, "tunnel"), "branch-to-hq");
    ck_assert_str_eq(jstr(a, "peer"), "203.0.113.20");
    ck_assert_str_eq(jstr(a, "root_cause.id"), "peer-unreachable");
    ck_assert(json_real_value(json_object_get(json_object_get(a, "root_cause"), "score")) == 0.6);
    json_t *ev = json_object_get(json_object_get(a, "root_cause"), "evidence");
    ck_assert_uint_eq(json_array_size(ev), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ev, 0), "line")), 330);
    ck_assert_str_eq(jstr(json_array_get(ev, 0), "source"), tu_src("testdata/sample/ikemgr.log"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ev, 1), "line")), 337);
    json_t *lv = json_object_get(a, "liveness");
    ck_assert_str_eq(jstr(lv, "basis"), "log");
    ck_assert_int_eq(json_integer_value(json_object_get(lv, "unanswered")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(lv, "retransmits")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(lv, "interval_s")), 5);
    ck_assert_str_eq(jstr(lv, "first_unanswered"), "2024-07-15T17:24:00.005Z");
    ck_assert_str_eq(jstr(lv, "last_answered"), "2024-07-15T17:23:55.009Z");
    json_decref(j);
}
END_TEST

START_TEST(text_summary_and_json_file)
{
    const char *jf = tu_path("sample-report.json");
    unlink(jf);
    char *out, *err;
    int rc = tu_run(&out, &err, "analyze", "-o", jf, tu_src("testdata/sample"), NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    assert_contains(out, "#1 dpd-down at 2024-07-15T17:31:20Z (device local 2024-07-15T10:31:20-07:00)");
    assert_contains(out, "device branch-fw, gateway branch-gw, tunnel branch-to-hq, peer 203.0.113.20");
    assert_contains(out, "root cause: peer-unreachable (score 0.60)");
    assert_contains(out, "sample/ikemgr.log:337  liveness request to 203.0.113.20 unanswered");
    assert_contains(out, "remedy: Check reachability");
    assert_contains(out, "ike-pcap       IKE packets");
    json_error_t je;
    json_t *j = json_load_file(jf, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "incidents")), 1);
    json_decref(j);
    free(out);
    free(err);
}
END_TEST

/* An existing timeline is analyzed as it is; a rule directory overrides a built-in rule. */
START_TEST(existing_db_and_rule_override)
{
    const char *db = tu_path("analyze.db");
    unlink(db);
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "-q", "--db", db, tu_src("testdata/sample"), NULL), 0);
    free(out);
    free(err);
    const char *dir = tu_path("rules-override");
    mkdir(dir, 0755);
    char path[512];
    snprintf(path, sizeof path, "%s/link-down.sql", dir);
    write_text(path, "-- id: link-down\n-- title: Always\n-- applies-to: dpd-down\n-- severity: low\n-- remedy: none\n"
                     "SELECT 0.99 AS score, 'overridden' AS summary, 'x.log' AS source, 7 AS line, :anchor AS ts_us, "
                     "'why' AS text\n");
    int rc = tu_run(&out, &err, "analyze", "--json", "--rules", dir, db, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    json_t *a = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_str_eq(jstr(a, "root_cause.id"), "link-down");
    ck_assert_str_eq(jstr(a, "root_cause.summary"), "overridden");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(a, "hypotheses"), 0), "id"), "peer-unreachable");
    json_decref(j);
    free(out);
    free(err);
    /* the findings are in the database too */
    ck_assert_int_eq(tu_sql_int(db, "SELECT COUNT(*) FROM findings WHERE rank = 1 AND cause_id = 'link-down'"), 1);
    /* a rule that writes is refused, naming the file */
    write_text(path, "-- id: link-down\n-- title: t\n-- applies-to: *\n-- severity: low\n-- remedy: r\n"
                     "DELETE FROM events RETURNING 1 AS score\n");
    rc = tu_run(&out, &err, "analyze", "--rules", dir, db, NULL);
    ck_assert_int_eq(rc, 2);
    assert_contains(err, "rule link-down (");
    assert_contains(err, "link-down.sql): a rule may only read (SELECT)");
    free(out);
    free(err);
    write_text(path, "-- id: link-down\n-- title: t\n-- applies-to: *\n-- severity: low\n-- remedy: r\n"
                     "SELECT 1 AS score WHERE :nope\n");
    rc = tu_run(&out, &err, "analyze", "--rules", dir, db, NULL);
    ck_assert_int_eq(rc, 2);
    assert_contains(err, "unknown parameter :nope");
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT COUNT(*) FROM events WHERE kind = 'dpd-down'"), 2);
    /* a timeline another schema version wrote is refused, with what to do */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    rc = tu_run(&out, &err, "analyze", db, NULL);
    ck_assert_int_eq(rc, 3);
    char want[128];
    snprintf(want, sizeof want, "a timeline of schema version 1; this ikemortem reads version %d (ingest the inputs again)",
             TL_SCHEMA_VERSION);
    assert_contains(err, want);
    free(out);
    free(err);
}
END_TEST

START_TEST(rules_command)
{
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "rules", "list", NULL), 0);
    assert_contains(out, "peer-unreachable       high      dpd-down, ike-sa-down, tunnel-down");
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "rules", "show", "route-change", NULL), 0);
    assert_contains(out, "-- route-change (built-in)\n-- id: route-change\n");
    assert_contains(out, "ip_in_prefix(");
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "rules", "show", "nope", NULL), 2);
    assert_contains(err, "no rule 'nope'");
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "rules", NULL), 2);
    free(out);
    free(err);
}
END_TEST

START_TEST(analyze_usage_errors)
{
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "analyze", NULL), 2);
    assert_contains(err, "no INPUT given");
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "analyze", "--json", "-o", "x.json", tu_src("testdata/seed"), NULL), 2);
    assert_contains(err, "--json and -o: choose one");
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "analyze", tu_path("does-not-exist"), NULL), 3);
    free(out);
    free(err);
}
END_TEST

/* Bytes that are not UTF-8 in a name and a line: the JSON stays valid UTF-8, the bytes are
 * written as \xNN, and the warnings say which file had them. */
START_TEST(invalid_utf8_stays_valid_json)
{
    static const char log[] = "2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel "
                              "<tun-\xff\xfe-x>, SA state ESTABLISHED\r\n"
                              "2019-03-06 17:26:29.000 -0800  [INFO]: caf\xc3 \x01 stray bytes\n";
    const char *path = tu_write("bad-utf8-ikemgr.log", log, sizeof log - 1);
    char *out, *err;
    int rc = tu_run(&out, &err, "analyze", "--json", path, NULL);
    ck_assert_msg(rc == 0 || rc == 1, "exit %d: %s", rc, err);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je); /* jansson refuses invalid UTF-8 */
    ck_assert_msg(j != NULL, "%s", je.text);
    json_t *a = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_str_eq(jstr(a, "tunnel"), "tun-\\xFF\\xFE-x");
    json_t *w = json_object_get(j, "warnings");
    int said = 0;
    size_t i;
    json_t *x;
    json_array_foreach(w, i, x) said |= strstr(json_string_value(x), "bad-utf8-ikemgr.log") != NULL;
    ck_assert_msg(said, "no warning names the file: %s", out);
    const char *copy = tu_write("bad-utf8-report.json", out, strlen(out));
    tu_validate_report(copy);
    json_decref(j);
    free(out);
    free(err);
}
END_TEST

/* ikemgr drops a response whose message id it did not expect ("response message_id X expected
 * Y"): it answers nothing, so the request stays open in the log as in the capture, and the two
 * agree (they did not while such a response closed the request). */
START_TEST(dropped_response_answers_nothing)
{
    const char *dir = generate("message-id-desync", "desync", "--seed 1");
    json_t *j = analyze_json(dir);
    json_t *a = json_array_get(json_object_get(j, "incidents"), 0);
    ck_assert_str_eq(jstr(a, "root_cause.id"), "message-id-desync");
    json_t *lv = json_object_get(a, "liveness");
    ck_assert_str_eq(jstr(lv, "basis"), "pcap+log");
    ck_assert(json_is_true(json_object_get(lv, "sources_agree")));
    json_t *log = json_object_get(json_object_get(lv, "by_source"), "log");
    json_t *cap = json_object_get(json_object_get(lv, "by_source"), "pcap");
    ck_assert_int_eq(json_integer_value(json_object_get(log, "unanswered")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(log, "unanswered")),
                     json_integer_value(json_object_get(cap, "unanswered")));
    ck_assert_int_eq(json_integer_value(json_object_get(log, "retransmits")),
                     json_integer_value(json_object_get(cap, "retransmits")));
    json_decref(j);
}
END_TEST

/* The incidents are analyzed on several connections side by side (analyze.c) and reported
 * in incident order: one thread and three give the same report and the same findings, over
 * more incidents than results are held ahead (RESULTS_AHEAD, 4) and than are analyzed between
 * two commits (COMMIT_EVERY, 8: the threads are paused for it, while incidents are left). */
START_TEST(analysis_threads_give_one_report)
{
    const char *dir = generate("peer-unreachable", "threads", "--scale 128M");
    const char *db = tu_path("threads.db");
    unlink(db);
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "ingest", "-q", "--db", db, dir, NULL), 0);
    free(out);
    free(err);
    char *report[2], *findings[2];
    const char *threads[2] = {"1", "3"};
    for (int i = 0; i < 2; i++) {
        setenv("IKM_ANALYSIS_THREADS", threads[i], 1);
        int rc = tu_run(&report[i], &err, "analyze", "--json", db, NULL);
        ck_assert_msg(rc == 0, "analyze with %s thread(s): exit %d: %s", threads[i], rc, err);
        free(err);
        findings[i] = tu_sql_text(db, "SELECT group_concat(x, char(10)) FROM (SELECT incident_id || '|' || cause_id"
                                      " || '|' || rank || '|' || score || '|' || summary || '|' || evidence_json AS x"
                                      " FROM findings ORDER BY incident_id, rank)");
        ck_assert_ptr_nonnull(findings[i]);
    }
    unsetenv("IKM_ANALYSIS_THREADS");
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM incidents"), 14);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM findings WHERE rank = 1 AND cause_id = 'peer-unreachable'"), 14);
    ck_assert_str_eq(report[0], report[1]);
    ck_assert_str_eq(findings[0], findings[1]);
    json_error_t je;
    json_t *j = json_loads(report[1], 0, &je);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_array_size(json_object_get(j, "incidents")), 14);
    json_t *prev = NULL, *inc;
    size_t k;
    json_array_foreach(json_object_get(j, "incidents"), k, inc) {
        if (prev) /* in time order */
            ck_assert_int_lt(strcmp(json_string_value(json_object_get(prev, "time")),
                                    json_string_value(json_object_get(inc, "time"))), 0);
        prev = inc;
    }
    json_decref(j);
    for (int i = 0; i < 2; i++) {
        free(report[i]);
        free(findings[i]);
    }
}
END_TEST

/* -v names the statements that took long on every connection that analyzes incidents, the
 * analysis threads' included: a slow rule shows once per incident whether one connection or
 * two analyze them. */
START_TEST(verbose_traces_slow_rules_in_every_thread)
{
    const char *db = tu_path("trace.db");
    unlink(db);
    char *out, *err;
    ck_assert_int_eq(
            tu_run(&out, &err, "ingest", "-q", "--db", db, tu_src("testdata/sample"), tu_src("testdata/seed"), NULL), 0);
    free(out);
    free(err);
    const char *dir = tu_path("rules-slow");
    mkdir(dir, 0755);
    char path[512];
    snprintf(path, sizeof path, "%s/link-down.sql", dir);
    write_text(path, "-- id: link-down\n-- title: Slow\n-- applies-to: *\n-- severity: low\n-- remedy: none\n"
                     "WITH RECURSIVE slow_probe(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM slow_probe WHERE x < 3000000)\n"
                     "SELECT 0 AS score, 'counted ' || count(*) AS summary FROM slow_probe\n");
    const char *threads[2] = {"1", "2"};
    for (int i = 0; i < 2; i++) {
        setenv("IKM_ANALYSIS_THREADS", threads[i], 1);
        int rc = tu_run(&out, &err, "analyze", "-v", "--rules", dir, db, NULL);
        ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
        int traced = 0;
        for (const char *q = err; (q = strstr(q, "WITH RECURSIVE slow_probe")); q++) {
            const char *bol = q;
            while (bol > err && bol[-1] != '\n')
                bol--;
            traced += strncmp(bol, "time: ", 6) == 0;
        }
        int64_t incidents = tu_sql_int(db, "SELECT count(*) FROM incidents");
        ck_assert_int_ge(incidents, 2); /* more than one: the threads analyze them */
        ck_assert_msg(traced == incidents, "%s thread(s): %d slow rules traced for %lld incidents:\n%s", threads[i],
                      traced, (long long)incidents, err);
        free(out);
        free(err);
    }
    unsetenv("IKM_ANALYSIS_THREADS");
}
END_TEST

/* Loose files, no configuration: the system log's line names the gateway, ikemgr's "DPD down"
 * the tunnel and the peer, and only ikemgr's abort line that follows links the gateway to
 * the peer. The three sources' anchors of the one outage are one incident, whether --tz gives
 * the zone of the system log's lines or ikemgr's offsets do (said in a warning). */
START_TEST(loose_logs_one_incident_per_outage)
{
    const char *dir = generate("peer-unreachable", "loose-pu", "--seed 1");
    char syslog[1100], ikemgr[1100];
    snprintf(syslog, sizeof syslog, "%s/tmp/cli/logs/show_log_system.txt", dir);
    snprintf(ikemgr, sizeof ikemgr, "%s/var/log/pan/ikemgr.log", dir);
    for (int with_tz = 1; with_tz >= 0; with_tz--) {
        char *out, *err;
        int rc = with_tz ? tu_run(&out, &err, "analyze", "--json", "--tz", "America/Los_Angeles", syslog, ikemgr, NULL)
                         : tu_run(&out, &err, "analyze", "--json", syslog, ikemgr, NULL);
        ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
        json_t *j = json_loads(out, 0, NULL);
        ck_assert_ptr_nonnull(j);
        json_t *incs = json_object_get(j, "incidents");
        ck_assert_msg(json_array_size(incs) == 1, "--tz %s: %zu incidents", with_tz ? "given" : "not given",
                      json_array_size(incs));
        json_t *a = json_array_get(incs, 0);
        ck_assert_str_eq(jstr(a, "root_cause.id"), "peer-unreachable");
        ck_assert_str_eq(jstr(a, "time"), "2024-03-07T01:27:11Z");
        ck_assert_str_eq(jstr(a, "gateway"), "gw-aws");
        ck_assert_str_eq(jstr(a, "tunnel"), "tun-aws");
        ck_assert_str_eq(jstr(a, "peer"), "203.0.113.5");
        json_t *anchors = json_object_get(a, "anchors");
        ck_assert_int_eq(json_array_size(anchors), 4);
        ck_assert_str_eq(jstr(json_array_get(anchors, 0), "source"), syslog);
        ck_assert_str_eq(jstr(json_array_get(anchors, 0), "kind"), "dpd-down");
        ck_assert_str_eq(jstr(json_array_get(anchors, 1), "source"), ikemgr);
        json_t *in = json_array_get(json_object_get(j, "inputs"), 0);
        ck_assert_str_eq(jstr(in, "path"), syslog);
        ck_assert_str_eq(jstr(in, "tz_source"), with_tz ? "cli" : "logs");
        ck_assert(json_is_false(json_object_get(in, "tz_assumed")));
        int warned = 0;
        size_t k;
        json_t *w;
        json_array_foreach(json_object_get(j, "warnings"), k, w) warned +=
                strstr(json_string_value(w), "lines without an offset taken as UTC-08:00, the offset of") != NULL;
        ck_assert_int_eq(warned, with_tz ? 0 : 1);
        json_decref(j);
        free(out);
        free(err);
    }
}
END_TEST

/* Loose files, no configuration, and no line that names two of gateway, tunnel and peer: the
 * system log's DPD line (gateway) and ikemgr's (tunnel) a fraction of a second apart are one
 * outage; with two tunnels down at once, which goes with which is not known, so all four stay
 * apart. */
static json_t *analyze_files(const char *a, const char *b)
{
    char *out, *err;
    int rc = tu_run(&out, &err, "analyze", "--json", a, b, NULL);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    free(out);
    free(err);
    return j;
}

START_TEST(split_outage_names_without_config)
{
    const char *dir = tu_path("split-names");
    mkdir(dir, 0755);
    char syslog[512], ikemgr[512];
    snprintf(syslog, sizeof syslog, "%s/show_log_system.txt", dir);
    snprintf(ikemgr, sizeof ikemgr, "%s/ikemgr.log", dir);
    write_text(syslog, "> show log system direction equal backward\n"
                       "2024/07/10 06:19:10 low      vpn     gw-aws ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n");
    write_text(ikemgr, "2024-07-10 06:19:10.215 +1200 [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <tun-aws>, SA "
                       "state ESTABLISHED\n");
    json_t *j = analyze_files(syslog, ikemgr);
    json_t *incs = json_object_get(j, "incidents");
    ck_assert_int_eq(json_array_size(incs), 1);
    json_t *a = json_array_get(incs, 0);
    ck_assert_str_eq(jstr(a, "time"), "2024-07-09T18:19:10Z");
    ck_assert_str_eq(jstr(a, "gateway"), "gw-aws");
    ck_assert_str_eq(jstr(a, "tunnel"), "tun-aws");
    ck_assert_int_eq(json_array_size(json_object_get(a, "anchors")), 2);
    json_decref(j);

    write_text(syslog, "> show log system direction equal backward\n"
                       "2024/07/10 06:19:10 low      vpn     gw-azure ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"
                       "2024/07/10 06:19:10 low      vpn     gw-aws ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n");
    write_text(ikemgr, "2024-07-10 06:19:10.215 +1200 [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <tun-aws>, SA "
                       "state ESTABLISHED\n"
                       "2024-07-10 06:19:10.316 +1200 [INFO]: {    2:    2}: DPD down, rekey vpn tunnel <tun-azure>, SA "
                       "state ESTABLISHED\n");
    j = analyze_files(syslog, ikemgr);
    incs = json_object_get(j, "incidents");
    ck_assert_int_eq(json_array_size(incs), 4);
    size_t k;
    json_t *inc;
    json_array_foreach(incs, k, inc) ck_assert_int_eq(json_array_size(json_object_get(inc, "anchors")), 1);
    json_decref(j);
}
END_TEST

/* Both ends' bundles: an incident's evidence says where our messages stopped arriving at the
 * other end, from that end's own data. */
START_TEST(peer_side_evidence)
{
    const char *dir = generate("two-peers", "two-peers", "--seed 1");
    char a[1100], b[1100];
    snprintf(a, sizeof a, "%s/fw-hq", dir);
    snprintf(b, sizeof b, "%s/fw-cloud", dir);
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "analyze", a, b, NULL), 0);
    assert_contains(out, "on the peer fw-hq: the last message of ours it received before our teardown");
    assert_contains(out, "on the peer fw-cloud: the last message of ours it received before our teardown");
    free(out);
    free(err);
}
END_TEST

Suite *analyze_suite(void)
{
    Suite *s = suite_create("analyze");
    TCase *u = tcase_create("units");
    tcase_add_test(u, names_compatible_cut_names);
    tcase_add_test(u, liveness_schedule_by_version);
    tcase_add_test(u, ip_in_prefix_v4_v6);
    tcase_add_test(u, rule_parse_header);
    tcase_add_test(u, rule_parse_errors);
    tcase_add_test(u, builtin_rules_cover_every_cause);
    suite_add_tcase(s, u);
    TCase *e = tcase_create("end-to-end");
    tcase_set_timeout(e, 120);
    tcase_add_test(e, seed_two_incidents_and_recurrence);
    tcase_add_test(e, sample_peer_unreachable_with_evidence);
    tcase_add_test(e, text_summary_and_json_file);
    tcase_add_test(e, existing_db_and_rule_override);
    tcase_add_test(e, verbose_traces_slow_rules_in_every_thread);
    tcase_add_test(e, loose_logs_one_incident_per_outage);
    tcase_add_test(e, split_outage_names_without_config);
    tcase_add_test(e, rules_command);
    tcase_add_test(e, analyze_usage_errors);
    tcase_add_test(e, invalid_utf8_stays_valid_json);
    tcase_add_test(e, dropped_response_answers_nothing);
    tcase_add_test(e, peer_side_evidence);
    tcase_add_test(e, analysis_threads_give_one_report);
    suite_add_tcase(s, e);
    return s;
}
