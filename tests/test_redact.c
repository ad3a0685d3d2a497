/*
 * test_redact.c — --redact: addresses and names replaced by keyed tokens, consistently, and
 * nothing of the original left in what is shared. Units on the redactor, then every generated
 * scenario: its text report, JSON report, timeline and redacted database are searched for
 * every address and name the unredacted timeline holds.
 */
#include "testutil.h"

#include "../analyzer/redact.h"

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATH_LEN 1024
#define MAX_SCENARIOS 64
#define MAX_SECRETS 4096

static char *redact(const char *key, const char *text)
{
    char err[256];
    struct ikm_redactor *r = ikm_redactor_new(key, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_int_eq(ikm_redactor_add(r, "gw", "gw-aws"), 0);
    ck_assert_int_eq(ikm_redactor_add(r, "host", "fw-hq"), 0);
    ck_assert_int_eq(ikm_redactor_add(r, "host", "fw-hq.example.com"), 0);
    char *out = ikm_redact_text(r, text);
    ikm_redactor_free(r);
    ck_assert_ptr_nonnull(out);
    return out;
}

START_TEST(addresses_by_shape)
{
    char *a = redact("k", "198.51.100.10[500] - 203.0.113.20[500] at 17:26:27.000, PAN-OS 10.2.9, "
                          "[2001:db8::20]:4500, 203.0.113.20:500, peer 203.0.113.20.");
    ck_assert_msg(!strstr(a, "198.51.100.10") && !strstr(a, "203.0.113.20") && !strstr(a, "2001:db8::20"), "%s", a);
    ck_assert_msg(strstr(a, "17:26:27.000") && strstr(a, "10.2.9"), "times and versions are not addresses: %s", a);
    ck_assert_msg(strstr(a, "[500]") && strstr(a, "]:4500") && strstr(a, ":500,"), "ports stay: %s", a);
    /* the same address gives the same token everywhere in the text */
    const char *t = strstr(a, "ip-");
    ck_assert_ptr_nonnull(t);
    free(a);
    char *b = redact("k", "x 203.0.113.20 y 203.0.113.20");
    char tok[16];
    ck_assert_int_eq(sscanf(b, "x %15s", tok), 1);
    ck_assert_msg(strstr(b + 2 + strlen(tok), tok) != NULL, "one address, two tokens: %s", b);
    free(b);
}
END_TEST

START_TEST(names_whole_words_longest_first)
{
    char *a = redact("k", "fw-hq.example.com and fw-hq; gw-aws, gw-aws-2, xgw-aws, fw-hq_2024.tgz");
    ck_assert_msg(!strstr(a, "example.com"), "the longer name goes first: %s", a);
    ck_assert_msg(strstr(a, "xgw-aws") != NULL, "part of another word stays: %s", a);
    ck_assert_msg(!strstr(a, "fw-hq_") && !strstr(a, "gw-aws-2"), "a name before _ or - is hidden: %s", a);
    free(a);
}
END_TEST

START_TEST(key_decides_tokens)
{
    char *a = redact("key-one", "203.0.113.5 gw-aws"), *b = redact("key-one", "203.0.113.5 gw-aws"),
         *c = redact("key-two", "203.0.113.5 gw-aws");
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_msg(strncmp(a, "ip-", 3) == 0 && strstr(a, " gw-") != NULL, "%s", a);
    free(a);
    free(b);
    free(c);
    char err[128];
    ck_assert_ptr_null(ikm_redactor_new("", err, sizeof err));
}
END_TEST

/* Every address and name the unredacted timeline holds. */
static size_t secrets_of(const char *db, char secrets[][256], size_t max)
{
    static const char *const sql =
        "SELECT src_ip FROM ike_messages UNION SELECT dst_ip FROM ike_messages"
        " UNION SELECT peer_ip FROM events UNION SELECT gateway FROM events UNION SELECT tunnel FROM events"
        " UNION SELECT device FROM events UNION SELECT device FROM sources"
        " UNION SELECT name FROM cfg_gateways UNION SELECT peer_ip FROM cfg_gateways"
        " UNION SELECT CASE WHEN instr(local_ip, '/') THEN substr(local_ip, 1, instr(local_ip, '/') - 1)"
        "  ELSE local_ip END FROM cfg_gateways UNION SELECT peer_fqdn FROM cfg_gateways"
        " UNION SELECT name FROM cfg_tunnels"
        " UNION SELECT value FROM device_facts WHERE key IN ('hostname', 'serial', 'mgmt-ip')"
        " UNION SELECT src_ip FROM esp_counts UNION SELECT dst_ip FROM esp_counts"
        " UNION SELECT src_ip FROM nat_keepalives UNION SELECT dst_ip FROM nat_keepalives";
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    size_t n = 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (v && strlen(v) >= 2 && strlen(v) < 256)
            snprintf(secrets[n++], 256, "%s", v);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* Every text of a database, one string (for the search). */
static char *db_text(const char *db)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *cols;
    ck_assert_int_eq(sqlite3_prepare_v2(h,
                                        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
                                        " WHERE m.type = 'table' AND upper(p.type) = 'TEXT'",
                                        -1, &cols, NULL),
                     SQLITE_OK);
    char *all = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&all, &len);
    while (sqlite3_step(cols) == SQLITE_ROW) {
        char *q = sqlite3_mprintf("SELECT \"%w\" FROM \"%w\"", sqlite3_column_text(cols, 1), sqlite3_column_text(cols, 0));
        sqlite3_stmt *st;
        ck_assert_int_eq(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            if (sqlite3_column_text(st, 0))
                fprintf(f, "%s\n", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        sqlite3_free(q);
    }
    sqlite3_finalize(cols);
    sqlite3_close(h);
    fclose(f);
    return all;
}

static void assert_hidden(const char *what, const char *scenario, const char *text, char secrets[][256], size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strstr(text, secrets[i]) == NULL, "%s: '%s' is still in the redacted %s", scenario, secrets[i],
                      what);
}

static char scenario_names[MAX_SCENARIOS][TU_SCENARIO_NAME];
static int n_scenarios;

static void load_scenarios(void)
{
    if (!n_scenarios)
        n_scenarios = tu_scenario_names(scenario_names, MAX_SCENARIOS);
}

START_TEST(every_scenario_redacted)
{
    const char *name = scenario_names[_i];
    const char *gen = getenv("IKM_GEN");
    ck_assert_msg(gen && *gen, "IKM_GEN is not set (run through make check)");
    char dir[PATH_LEN], leaf[128], cmd[4 * PATH_LEN];
    snprintf(leaf, sizeof leaf, "redact-%s", name);
    snprintf(dir, sizeof dir, "%s", tu_path(leaf));
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'.* && '%s' '%s' '%s' --seed 1", dir, dir, gen, name, dir);
    ck_assert_int_eq(system(cmd), 0);
    char ej[PATH_LEN + 32];
    snprintf(ej, sizeof ej, "%s/expected.json", dir);
    json_t *exp = json_load_file(ej, 0, NULL);
    ck_assert_ptr_nonnull(exp);
    json_t *bundles = json_object_get(exp, "bundles");
    char in[2][PATH_LEN + 140];
    size_t nb = json_array_size(bundles);
    for (size_t i = 0; i < nb && i < 2; i++)
        snprintf(in[i], sizeof in[i], "%s/%s", dir,
                 json_string_value(json_object_get(json_array_get(bundles, i), "dir")));
    json_decref(exp);
    char plain[PATH_LEN + 32], red_db[PATH_LEN + 32], report[PATH_LEN + 32];
    snprintf(plain, sizeof plain, "%s.plain.db", dir);
    snprintf(red_db, sizeof red_db, "%s.red.db", dir);
    snprintf(report, sizeof report, "%s.report.json", dir);
    char *o, *e;
    int rc = nb == 1 ? tu_run(&o, &e, "ingest", "-q", "--db", plain, in[0], NULL)
                     : tu_run(&o, &e, "ingest", "-q", "--db", plain, in[0], in[1], NULL);
    ck_assert_msg(rc == 0, "%s: ingest %d: %s", name, rc, e);
    free(o);
    free(e);
    static char secrets[MAX_SECRETS][256];
    size_t ns = secrets_of(plain, secrets, MAX_SECRETS);
    ck_assert_uint_gt(ns, 3);
    rc = nb == 1 ? tu_run(&o, &e, "analyze", "--redact-key", "k", "--db", red_db, "-o", report, in[0], NULL)
                 : tu_run(&o, &e, "analyze", "--redact-key", "k", "--db", red_db, "-o", report, in[0], in[1], NULL);
    ck_assert_msg(rc == 0, "%s: analyze %d: %s", name, rc, e);
    assert_hidden("text report", name, o, secrets, ns);
    free(o);
    free(e);
    tu_validate_report(report);
    json_t *rep = json_load_file(report, 0, NULL);
    ck_assert_ptr_nonnull(rep);
    char *dump = json_dumps(rep, 0);
    assert_hidden("JSON report", name, dump, secrets, ns);
    free(dump);
    json_decref(rep);
    char *all = db_text(red_db);
    assert_hidden("database", name, all, secrets, ns);
    free(all);
    ck_assert_int_eq(tu_run(&o, &e, "timeline", "--db", plain, "--redact-key", "k", NULL), 0);
    assert_hidden("timeline", name, o, secrets, ns);
    free(o);
    free(e);
}
END_TEST

Suite *redact_suite(void)
{
    Suite *s = suite_create("redact");
    TCase *u = tcase_create("units");
    tcase_add_test(u, addresses_by_shape);
    tcase_add_test(u, names_whole_words_longest_first);
    tcase_add_test(u, key_decides_tokens);
    suite_add_tcase(s, u);
    TCase *e = tcase_create("scenarios");
    tcase_set_timeout(e, 300);
    load_scenarios();
    tcase_add_loop_test(e, every_scenario_redacted, 0, n_scenarios);
    suite_add_tcase(s, e);
    return s;
}
