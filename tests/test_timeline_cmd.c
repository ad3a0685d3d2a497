/*
 * test_timeline_cmd.c — `ikemortem timeline` end to end (IKM_BIN): the sample ingested into a
 * database, then the printed lines checked exactly — the whole timeline, time bounds, peer,
 * gateway and tunnel (with the CLI's cut names), incidents, kinds and limits, capture rows,
 * hostile text, and the usage and database errors with their exit codes.
 */
#include "testutil.h"

#include "../parsers/utf8.h"

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SAMPLE tu_src("testdata/sample")
#define SRC "./testdata/sample/"

/* The sample's last minute, as printed (the DPD drop and what followed). */
#define L_SYS_DPD                                                                                          \
    "2024-07-15T17:31:20.000000Z  2024-07-15 10:31:20.000000 -07:00  " SRC "show_log_system.txt:2  dpd-down" \
    "  gw=branch  IKEv2 IKE SA is down determined by DPD."
#define L_IKEMGR_DPD                                                                                       \
    "2024-07-15T17:31:20.005000Z  2024-07-15 10:31:20.005000 -07:00  " SRC "ikemgr.log:348  dpd-down"         \
    "  tunnel=branch-to-hq peer=203.0.113.20  {    3:    7}: DPD down, rekey vpn tunnel <branch-to-hq>, SA state ESTABLISHED"
#define L_SA_DOWN                                                                                          \
    "2024-07-15T17:31:20.006000Z  2024-07-15 10:31:20.006000 -07:00  " SRC "ikemgr.log:349  ike-sa-down"      \
    "  gw=branch-gw peer=203.0.113.20  ike_sa.c:275:ikev2_abort(): 6:198.51.100.10[500] - "                  \
    "203.0.113.20[500]:(nil):aborting IKEv2 SA branch-gw:6"
#define L_INIT(t, line, rt)                                                                                \
    "2024-07-15T17:31:" t ".005000Z  2024-07-15 10:31:" t ".005000 -07:00  " SRC "ikemgr.log:" line          \
    "  ike-sent  gw=branch-gw peer=203.0.113.20  sent 198.51.100.10:500 -> 203.0.113.20:500 request len=464" rt
#define L_DEAD                                                                                             \
    "2024-07-15T17:31:57.005000Z  2024-07-15 10:31:57.005000 -07:00  " SRC "ikemgr.log:354  sa-state"         \
    "  ike_sa 0x5581e0c0 state INI_IKE_SA_INIT_SENT -> DEAD"
#define LAST_MINUTE                                                                                        \
    L_SYS_DPD "\n" L_IKEMGR_DPD "\n" L_SA_DOWN "\n" L_INIT("21", "350", "") "\n"                          \
    L_INIT("26", "351", " retransmit") "\n" L_INIT("36", "352", " retransmit") "\n"                       \
    L_INIT("56", "353", " retransmit") "\n" L_DEAD "\n"

static void assert_contains(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "expected \"%s\" in:\n%s", needle, hay);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The sample ingested into a fresh database of this test (its path kept here: tu_path's
 * buffers are reused by every tu_run). */
static const char *sample_db(const char *name)
{
    static char db[700];
    snprintf(db, sizeof db, "%s", tu_path(name));
    unlink(db);
    char *out, *err;
    int rc = tu_run(&out, &err, "ingest", "-q", "--db", db, SAMPLE, NULL);
    ck_assert_msg(rc == 0, "ingest: exit %d, stderr:\n%s", rc, err);
    free(out);
    free(err);
    return db;
}

static int64_t all_rows(const char *db)
{
    return tu_sql_int(db, "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM ike_messages)");
}

static void exec_sql(const char *db, const char *sql)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_close(h);
}

/* An incident row as `analyze` writes it (whatever extra columns the schema has now). */
static void add_incident(const char *db, int id, const char *peer, int64_t start, int64_t end)
{
    int has_last = tu_sql_int(db, "SELECT count(*) FROM pragma_table_info('incidents') WHERE name = 'last_us'") == 1;
    char *sql = sqlite3_mprintf("INSERT INTO incidents(id, kind, ts_us, %s window_start_us, window_end_us, peer_ip, device) "
                                "VALUES (%d, 'dpd-down', %lld, %s %lld, %lld, %Q, 'branch-fw')",
                                has_last ? "last_us," : "", id, (long long)end, has_last ? "0," : "", (long long)start,
                                (long long)end, peer);
    exec_sql(db, sql);
    sqlite3_free(sql);
}

START_TEST(whole_timeline)
{
    const char *db = sample_db("all.db");
    char *out, *err;
    int rc = tu_run(&out, &err, "timeline", "--db", db, NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(count_lines(out), all_rows(db));
    ck_assert_int_eq(count_lines(out), 286);
    /* chronological: the UTC column sorts as text */
    for (const char *p = out, *q; (q = strchr(p, '\n')) && q[1]; p = q + 1)
        ck_assert_msg(strncmp(p, q + 1, 27) <= 0, "out of order at:\n%.200s", p);
    /* the first row: a multi-line daemon banner, its newlines escaped */
    ck_assert_msg(strncmp(out,
                          "2024-07-15T16:58:02.114000Z  2024-07-15 09:58:02.114000 -07:00  " SRC
                          "ikemgr.log.1.gz:1  daemon-restart  IKE FSM thread: 3966: starting up...\\x0A+++",
                          150) == 0,
                  "%.300s", out);
    /* a liveness exchange from the debug lines */
    assert_contains(out, "\n2024-07-15T16:58:10.005000Z  2024-07-15 09:58:10.005000 -07:00  " SRC
                         "ikemgr.log.1.gz:9  ike-sent  gw=branch-gw peer=203.0.113.20  "
                         "sent 198.51.100.10:500 -> 203.0.113.20:500 v2 INFORMATIONAL request msgid=2 len=76\n"
                         "2024-07-15T16:58:10.009000Z  2024-07-15 09:58:10.009000 -07:00  " SRC
                         "ikemgr.log.1.gz:12  ike-recv  gw=branch-gw peer=203.0.113.20  "
                         "recv 203.0.113.20 -> 198.51.100.10:500 v2 INFORMATIONAL response msgid=2 len=76\n");
    /* the last minute, events of three sources and the IKE lines merged */
    const char *tail = strstr(out, L_SYS_DPD);
    ck_assert_ptr_nonnull(tail);
    ck_assert_str_eq(tail, LAST_MINUTE);
    free(out);
    free(err);
}
END_TEST

START_TEST(since_until)
{
    const char *db = sample_db("bounds.db");
    char *out, *err;
    const char *forms[][2] = {
        {"2024-07-15T17:31:19Z", "2024-07-15 17:31:57.005"},
        {"2024-07-16T02:31:19+09:00", "2024-07-15T10:31:57.005-0700"},
        {"2024-07-15 17:31:19.9", "2024-07-15T17:31:57.005000z"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int rc = tu_run(&out, &err, "timeline", "--db", db, "--since", forms[i][0], "--until", forms[i][1], NULL);
        ck_assert_msg(rc == 0, "%s: exit %d, stderr:\n%s", forms[i][0], rc, err);
        ck_assert_str_eq(out, LAST_MINUTE);
        free(out);
        free(err);
    }
    /* bounds are inclusive, to the microsecond */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15T17:31:20.005Z", "--until",
                            "2024-07-15T17:31:20.005Z", NULL), 0);
    ck_assert_str_eq(out, L_IKEMGR_DPD "\n");
    free(out), free(err);
    /* a date alone is its midnight, UTC */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-16", NULL), 0);
    ck_assert_str_eq(out, "");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--until", "2024-07-15", NULL), 0);
    ck_assert_str_eq(out, "");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15", NULL), 0);
    ck_assert_int_eq(count_lines(out), 286);
    free(out), free(err);
    /* the second time in another zone */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15T17:31:57Z", "--tz", "+09:00",
                            NULL), 0);
    ck_assert_str_eq(out, "2024-07-15T17:31:57.005000Z  2024-07-16 02:31:57.005000 +09:00  " SRC
                          "ikemgr.log:354  sa-state  ike_sa 0x5581e0c0 state INI_IKE_SA_INIT_SENT -> DEAD\n");
    free(out), free(err);
}
END_TEST

START_TEST(bad_times)
{
    const char *db = sample_db("badtime.db");
    static const char *const bad[][2] = {
        {"yesterday", "expected a date"},
        {"2019-02-30", "no such date"},
        {"2019-03-07T25:00:00Z", "no such time of day"},
        {"2019-03-07T01:26:27+25:00", "UTC offset out of range"},
        {"2019-03-07T01:26:27 PST", "unexpected text after the time"},
        {"2019-03-07T01:26:27.1234567Z", "a fraction of a second has 1 to 6 digits"},
        {"2019-03-07T1:26", "expected a time"},
        {"", "expected a date"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out, *err;
        int rc = tu_run(&out, &err, "timeline", "--db", db, "--until", bad[i][0], NULL);
        ck_assert_msg(rc == 2, "'%s': exit %d", bad[i][0], rc);
        char want[200];
        snprintf(want, sizeof want, "ikemortem timeline: --until '%s': %s", bad[i][0], bad[i][1]);
        assert_contains(err, want);
        assert_contains(err, "2019-03-07T01:26:27Z");
        ck_assert_str_eq(out, "");
        free(out);
        free(err);
    }
    char *err;
    ck_assert_int_eq(tu_run(NULL, &err, "timeline", "--db", db, "--since", "2024-07-16", "--until", "2024-07-15", NULL), 2);
    assert_contains(err, "--since is after --until");
    free(err);
}
END_TEST

START_TEST(peer_gateway_tunnel)
{
    const char *db = sample_db("peer.db");
    char *out, *err;
    /* every row names the peer except the daemon banner and two lines that name nothing */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--peer", "203.0.113.20", NULL), 0);
    ck_assert_int_eq(count_lines(out), all_rows(db) - 3);
    ck_assert_ptr_null(strstr(out, "daemon-restart"));
    ck_assert_ptr_null(strstr(out, "sa-state"));
    /* the system log names the gateway only, cut to "branch": the config ties it to the peer */
    assert_contains(out, L_SYS_DPD "\n");
    char *peer_out = out;
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--peer", "192.0.2.1", NULL), 0);
    ck_assert_str_eq(out, "");
    free(out), free(err);
    /* a prefix of the tunnel; the full gateway name; the same rows */
    const char *same[][2] = {{"--tunnel", "branch-to"}, {"--tunnel", "branch-to-hq"}, {"--gateway", "branch-gw"},
                             {"--gateway", "bra"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, same[i][0], same[i][1], NULL), 0);
        ck_assert_msg(strcmp(out, peer_out) == 0, "%s %s", same[i][0], same[i][1]);
        free(out), free(err);
    }
    free(peer_out);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--tunnel", "branch-to", "--kind", "dpd-down", NULL), 0);
    ck_assert_str_eq(out, L_SYS_DPD "\n" L_IKEMGR_DPD "\n");
    free(out), free(err);
    /* a tunnel the config does not know: only the name the CLI cut to "branch" may be it */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--tunnel", "branch-to-dc", NULL), 0);
    ck_assert_str_eq(out, "2024-07-15T16:58:03.000000Z  2024-07-15 09:58:03.000000 -07:00  " SRC
                          "show_log_system.txt:3  p2-up  tunnel=branch peer=203.0.113.20  IKEv2 child SA negotiation "
                          "is succeeded as initiator, non-rekey. Established SA: 198.51.100.10[500]-203.0.113.20[500] "
                          "message id:0x00000001.\n");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--tunnel", "hq-to-branch", NULL), 0);
    ck_assert_str_eq(out, "");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--device", "other-fw", NULL), 0);
    ck_assert_str_eq(out, "");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--device", "branch-fw", NULL), 0);
    ck_assert_int_eq(count_lines(out), all_rows(db));
    free(out), free(err);
}
END_TEST

START_TEST(around_incident)
{
    const char *db = sample_db("around.db");
    add_incident(db, 1, "203.0.113.20", 1721064679000000LL, 1721064717005000LL);
    add_incident(db, 2, "192.0.2.1", 1721064679000000LL, 1721064717005000LL);
    char *out, *err;
    int rc = tu_run(&out, &err, "timeline", "--db", db, "--around", "1", NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    ck_assert_str_eq(out, LAST_MINUTE);
    free(out), free(err);
    /* another peer's incident in the same window: only the device-wide row */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--around", "2", NULL), 0);
    ck_assert_str_eq(out, L_DEAD "\n");
    free(out), free(err);
    /* options replace the incident's own parts */
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--around", "2", "--peer", "203.0.113.20", "--kind",
                            "dpd-down", NULL), 0);
    ck_assert_str_eq(out, L_SYS_DPD "\n" L_IKEMGR_DPD "\n");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--around", "1", "--until", "2024-07-15T17:31:20.005Z",
                            NULL), 0);
    ck_assert_str_eq(out, L_SYS_DPD "\n" L_IKEMGR_DPD "\n");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--around", "99", NULL), 2);
    assert_contains(err, "--around 99: ");
    assert_contains(err, "has no incident 99");
    ck_assert_str_eq(out, "");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--around", "x", NULL), 2);
    assert_contains(err, "--around: a whole number");
    free(out), free(err);
}
END_TEST

START_TEST(kinds_and_limit)
{
    const char *db = sample_db("kinds.db");
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--kind", "ike-sa-down,sa-state", NULL), 0);
    ck_assert_str_eq(out, L_SA_DOWN "\n" L_DEAD "\n");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--kind", "ike", NULL), 0);
    ck_assert_int_eq(count_lines(out), tu_sql_int(db, "SELECT count(*) FROM ike_messages"));
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--kind", "ike-sent", "--since", "2024-07-15T17:31:30Z",
                            NULL), 0);
    ck_assert_str_eq(out, L_INIT("36", "352", " retransmit") "\n" L_INIT("56", "353", " retransmit") "\n");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--kind", "dpd-down,bogus", NULL), 2);
    assert_contains(err, "--kind: unknown kind 'bogus'; kinds:");
    assert_contains(err, " route-change ");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15T17:31:19Z", "--limit", "3", NULL), 0);
    ck_assert_str_eq(out, L_SYS_DPD "\n" L_IKEMGR_DPD "\n" L_SA_DOWN "\n");
    assert_contains(err, "stopped after 3 rows (--limit)");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15T17:31:57Z", "--limit", "1", NULL), 0);
    ck_assert_str_eq(out, L_DEAD "\n");
    ck_assert_str_eq(err, "");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--limit", "0", NULL), 2);
    free(out), free(err);
}
END_TEST

/* Capture rows, an assumed zone, and bytes a terminal would act on. */
START_TEST(captures_zones_and_hostile_text)
{
    const char *db = sample_db("hostile.db");
    exec_sql(db,
             "INSERT INTO sources(id, path, kind, device, tz, tz_source, tz_assumed, ingested_at) VALUES "
             "(90, 'cap.pcap', 'pcap', 'branch-fw', NULL, NULL, 0, 'now'), "
             "(91, 'x' || char(27) || '.log', 'ikemgr-log', 'branch-fw', 'UTC', 'assumed', 1, 'now');"
             "INSERT INTO ike_messages(source_id, origin, frame_or_line, ts_us, ts_local_us, tz_state, device, dir, "
             "src_ip, src_port, dst_ip, dst_port, version, exch_type, is_response, msg_id, length, notify_error, natt, "
             "liveness, payloads) VALUES "
             "(90, 'pcap', 120, 1721064800000000, 1721064800000000, 'line', 'branch-fw', 'recv', '2001:db8::20', 4500, "
             "'2001:db8::10', 4500, 2, 34, 1, 0, 36, 14, 1, 0, 'N(NO_PROPOSAL_CHOSEN)'), "
             "(90, 'pcap', 121, 1721064801000000, 1721064801000000, 'line', 'branch-fw', NULL, '192.0.2.7', 500, "
             "'192.0.2.8', 500, 1, 5, -1, 7, 80, NULL, 0, 70, NULL);"
             "INSERT INTO events(source_id, line, ts_us, ts_local_us, tz_state, ts_text, device, kind, gateway, msg) "
             "VALUES (91, 7, 1721064900000000, 1721064900000000, 'assumed', 't', 'branch-fw', 'other', "
             "'g' || char(27) || '[2J', "
             "'red' || char(27) || '[31m' || char(7) || char(10) || 'next' || CAST(X'FF' AS TEXT) || "
             "CAST(X'C29B' AS TEXT) || '2J' || CAST(X'E280AE' AS TEXT) || 'evil' || char(233) || char(9) || 'tab');");
    char *out, *err;
    int rc = tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15T17:33:00Z", NULL);
    ck_assert_msg(rc == 0, "exit %d, stderr:\n%s", rc, err);
    ck_assert_str_eq(out,
                     "2024-07-15T17:33:20.000000Z  2024-07-15 17:33:20.000000 +00:00  cap.pcap#frame 120  ike-recv"
                     "  peer=2001:db8::20  recv [2001:db8::20]:4500 -> [2001:db8::10]:4500 v2 IKE_SA_INIT response msgid=0 len=36"
                     " notify=NO_PROPOSAL_CHOSEN NAT-T [N(NO_PROPOSAL_CHOSEN)]\n"
                     "2024-07-15T17:33:21.000000Z  2024-07-15 17:33:21.000000 +00:00  cap.pcap#frame 121  ike-msg"
                     "  192.0.2.7:500 -> 192.0.2.8:500 v1 INFORMATIONAL msgid=7 len=80 liveness?\n"
                     "2024-07-15T17:35:00.000000Z  2024-07-15 17:35:00.000000 +00:00 [tz assumed]  x\\x1B.log:7  other"
                     "  gw=g\\x1B[2J  red\\x1B[31m\\x07\\x0Anext\\xFF\\xC2\\x9B2J\\xE2\\x80\\xAEevil\xc3\xa9\ttab\n");
    /* valid UTF-8, and no control byte but the newlines and the tab */
    ck_assert_uint_eq(ikm_utf8_invalid_at(out, strlen(out)), IKM_UTF8_VALID);
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        ck_assert_msg(*p >= 0x20 || *p == '\n' || *p == '\t', "control byte 0x%02x", *p);
    free(out), free(err);
    /* a field as long as SQLite allows is cut, and says so */
    exec_sql(db, "INSERT INTO events(source_id, line, ts_us, ts_local_us, tz_state, ts_text, kind, msg) "
                 "VALUES (91, 8, 1721065000000000, 1721065000000000, 'assumed', 't', 'other', "
                 "printf('%.*c', 100000, 'A'))");
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--since", "2024-07-15T17:36:00Z", NULL), 0);
    assert_contains(out, "AAAA [34464 more bytes]\n");
    ck_assert_uint_lt(strlen(out), 70000);
    free(out), free(err);
}
END_TEST

START_TEST(database_errors)
{
    char *out, *err;
    const char *missing = tu_path("missing.db");
    unlink(missing);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", missing, NULL), 3);
    assert_contains(err, "missing.db: no such file");
    free(out), free(err);
    const char *text = tu_write("notes.db", "just some notes\n", 16);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", text, NULL), 3);
    assert_contains(err, "notes.db: not an ikemortem timeline (not a readable SQLite database");
    ck_assert_str_eq(out, "");
    free(out), free(err);
    const char *other = tu_path("other.db");
    unlink(other);
    exec_sql(other, "CREATE TABLE events(x); INSERT INTO events VALUES (1)");
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", other, NULL), 3);
    assert_contains(err, "other.db: not an ikemortem timeline (an SQLite database ikemortem did not write)");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", tu_path(""), NULL), 3);
    assert_contains(err, "not a regular file");
    free(out), free(err);
    const char *db = sample_db("ver.db");
    int64_t version = tu_sql_int(db, "PRAGMA user_version");
    exec_sql(db, "PRAGMA user_version = 99");
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, NULL), 3);
    assert_contains(err, "timeline schema version 99");
    free(out), free(err);
    /* read-only: a file nobody may write is read, and left as it was */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)version);
    exec_sql(db, sql);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "chmod a-w '%s' && sha256sum '%s' > '%s.sum'", db, db, db);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", db, "--limit", "1", NULL), 0);
    ck_assert_int_eq(count_lines(out), 1);
    free(out), free(err);
    snprintf(cmd, sizeof cmd, "sha256sum -c --quiet '%s.sum'", db);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(command_line)
{
    char *out, *err;
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--help", NULL), 0);
    assert_contains(out, "Usage: ikemortem timeline --db FILE [--since T]");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "--help", NULL), 0);
    assert_contains(out, "  timeline  print the merged timeline");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", NULL), 2);
    assert_contains(err, "--db FILE is required");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", "x.db", "extra", NULL), 2);
    assert_contains(err, "unexpected argument 'extra'");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", "x.db", "--tz", "Mars/Base", NULL), 2);
    assert_contains(err, "unknown zone");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--db", "x.db", "--tunnel", "", NULL), 2);
    assert_contains(err, "--tunnel: empty name");
    free(out), free(err);
    ck_assert_int_eq(tu_run(&out, &err, "timeline", "--frobnicate", NULL), 2);
    assert_contains(err, "Usage: ikemortem timeline");
    free(out), free(err);
}
END_TEST

Suite *timeline_cmd_suite(void);
Suite *timeline_cmd_suite(void)
{
    Suite *s = suite_create("timeline_cmd");
    TCase *t = tcase_create("timeline");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, whole_timeline);
    tcase_add_test(t, since_until);
    tcase_add_test(t, bad_times);
    tcase_add_test(t, peer_gateway_tunnel);
    tcase_add_test(t, around_incident);
    tcase_add_test(t, kinds_and_limit);
    tcase_add_test(t, captures_zones_and_hostile_text);
    tcase_add_test(t, database_errors);
    tcase_add_test(t, command_line);
    suite_add_tcase(s, t);
    return s;
}
