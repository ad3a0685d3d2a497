/*
 * test_golden.c — the golden tests of the analysis: every scenario of the generator
 * (testdata/gen/, IKM_GEN) is analyzed by the binary (IKM_BIN) and the report must match the
 * scenario's ground truth (expected.json): every expected incident found (time ± 2 s, same
 * kind and device), its expected root cause ranked first, no incident the scenario did not
 * plant, recurrences where it says so, and the report valid against its JSON Schema.
 *
 * Scenarios run with two seeds (different times, SPIs, noise) and, for a few, packed as a
 * .tgz, so the verdicts do not hang on one rendering of a case. They also run from loose files:
 * only the bundle's system log, ikemgr logs and capture, as a support engineer may be handed
 * them — no running config, CLI output or routed.log to name the device, its zone or the links
 * between gateway, tunnel and peer: the same incidents and root causes, the peer where known.
 */
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATH_LEN 1024
#define MAX_SCENARIOS 64

static const char *gen_bin(void)
{
    const char *g = getenv("IKM_GEN");
    ck_assert_msg(g && *g, "IKM_GEN is not set (run through make check)");
    return g;
}

static char scenario_names[MAX_SCENARIOS][TU_SCENARIO_NAME];
static int n_scenarios;

static void load_scenarios(void)
{
    if (!n_scenarios)
        n_scenarios = tu_scenario_names(scenario_names, MAX_SCENARIOS);
}

/* The scenarios whose verdict needs a file the loose set leaves out: rekey-failure's system log
 * names the failed child SA by an object that only the config tells a gateway from a tunnel;
 * multi-incident's route change is in routed.log; tunnel-up-no-traffic's flow counters are CLI
 * output; two-peers is two bundles. */
static const char *const needs_bundle[] = {"rekey-failure", "multi-incident", "tunnel-up-no-traffic", "two-peers"};
static char loose_names[MAX_SCENARIOS][TU_SCENARIO_NAME];
static int n_loose;

START_TEST(scenario_list)
{
    gen_bin();
    ck_assert_int_ge(n_scenarios, 28);
    /* every scenario left out of the loose runs still exists */
    ck_assert_int_eq(n_loose, n_scenarios - (int)(sizeof needs_bundle / sizeof needs_bundle[0]));
}
END_TEST

static int64_t parse_utc(const char *s)
{
    struct tm tm = {0};
    int n = 0;
    ck_assert_msg(sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                         &tm.tm_sec, &n) == 6,
                  "not a time: %s", s);
    /* a fraction may follow: only the whole seconds matter at ± 2 s */
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static const char *str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

enum layout { AS_DIR, AS_TGZ, AS_LOOSE };

static void check_scenario(const char *name, int seed, enum layout how)
{
    int tgz = how == AS_TGZ, loose = how == AS_LOOSE;
    char out_dir[PATH_LEN], leaf[128], cmd[3 * PATH_LEN];
    snprintf(leaf, sizeof leaf, "golden-%s-%d%s", name, seed, tgz ? "-tgz" : loose ? "-loose" : "");
    snprintf(out_dir, sizeof out_dir, "%s", tu_path(leaf));
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' '%s' '%s' --seed %d%s", out_dir, gen_bin(), name, out_dir, seed,
             tgz ? " --tgz" : "");
    ck_assert_msg(system(cmd) == 0, "generator failed: %s", cmd);
    char path[PATH_LEN + 64];
    snprintf(path, sizeof path, "%s/expected.json", out_dir);
    json_error_t je;
    json_t *exp = json_load_file(path, 0, &je);
    ck_assert_msg(exp != NULL, "%s: %s", path, je.text);
    /* the inputs: each bundle directory, or with --tgz the archive it was packed into */
    json_t *bundles = json_object_get(exp, "bundles");
    char in[2][PATH_LEN + 140];
    size_t nb = json_array_size(bundles);
    ck_assert(nb >= 1 && nb <= 2);
    for (size_t i = 0; i < nb; i++) {
        const char *dir = str(json_array_get(bundles, i), "dir");
        ck_assert_msg(!tgz || strstr(dir, ".tgz"), "%s: --tgz gave a bundle that is no archive: %s", name, dir);
        snprintf(in[i], sizeof in[i], "%s/%s", out_dir, dir);
    }
    if (loose) { /* the logs and the capture alone, side by side in one folder */
        ck_assert_int_eq(nb, 1);
        char from[PATH_LEN + 140];
        snprintf(from, sizeof from, "%s", in[0]);
        snprintf(in[0], sizeof in[0], "%s/loose", out_dir);
        char copy[4 * PATH_LEN + 256];
        snprintf(copy, sizeof copy,
                 "mkdir '%s' && find '%s' -type f \\( -name 'ikemgr*' -o -name 'show_log_system*' -o -name "
                 "'system_log*' -o -name '*.pcap*' \\) -exec cp {} '%s/' \\;",
                 in[0], from, in[0]);
        ck_assert_msg(system(copy) == 0, "%s", copy);
    }
    char report[PATH_LEN + 32];
    snprintf(report, sizeof report, "%s.report.json", out_dir);
    char *o = NULL, *e = NULL;
    int rc = nb == 1 ? tu_run(&o, &e, "analyze", "-q", "-o", report, in[0], NULL)
                     : tu_run(&o, &e, "analyze", "-q", "-o", report, in[0], in[1], NULL);
    ck_assert_msg(rc == 0, "%s (seed %d): analyze exit %d\n%s", name, seed, rc, e);
    free(o);
    free(e);
    tu_validate_report(report);
    json_t *rep = json_load_file(report, 0, &je);
    ck_assert_msg(rep != NULL, "%s: %s", report, je.text);
    json_t *got = json_object_get(rep, "incidents");
    json_t *want = json_object_get(exp, "incidents");
    char used[256] = {0};
    ck_assert_uint_lt(json_array_size(got), sizeof used);
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w) {
        int64_t t = parse_utc(str(w, "time"));
        size_t k, hit = (size_t)-1;
        json_t *g;
        json_array_foreach(got, k, g) {
            int64_t d = parse_utc(str(g, "time")) - t;
            /* loose files name no device */
            if (!used[k] && d >= -2 && d <= 2 && (loose || strcmp(str(g, "device"), str(w, "device")) == 0)) {
                hit = k;
                break;
            }
        }
        ck_assert_msg(hit != (size_t)-1, "%s (seed %d): no incident at %s on %s (%s)", name, seed, str(w, "time"),
                      str(w, "device"), str(w, "kind"));
        used[hit] = 1;
        json_t *g2 = json_array_get(got, hit);
        ck_assert_msg(strcmp(str(g2, "kind"), str(w, "kind")) == 0, "%s (seed %d) %s: kind %s, expected %s", name,
                      seed, str(w, "time"), str(g2, "kind"), str(w, "kind"));
        const char *rc_id = str(json_object_get(g2, "root_cause"), "id");
        ck_assert_msg(strcmp(rc_id, str(w, "root_cause")) == 0, "%s (seed %d) %s: root cause %s, expected %s", name,
                      seed, str(w, "time"), rc_id, str(w, "root_cause"));
        /* the NATed peer's keepalives are what says it still reaches us: the summary names them */
        if (strcmp(name, "one-way-loss-natt") == 0) {
            const char *sm = str(json_object_get(g2, "root_cause"), "summary");
            ck_assert_msg(strstr(sm, "NAT keepalive(s) still arrived") && !strstr(sm, "IKE message") &&
                              !strstr(sm, "ESP packet"),
                          "%s: summary %s", name, sm);
        }
        /* loose files: a tunnel is named only where a line names it (no config links it) */
        if (*str(w, "tunnel") && !loose)
            ck_assert_msg(strcmp(str(g2, "tunnel"), str(w, "tunnel")) == 0, "%s: tunnel %s, expected %s", name,
                          str(g2, "tunnel"), str(w, "tunnel"));
        if (*str(w, "peer"))
            ck_assert_msg(strcmp(str(g2, "peer"), str(w, "peer")) == 0, "%s: peer %s, expected %s", name,
                          str(g2, "peer"), str(w, "peer"));
    }
    ck_assert_msg(json_array_size(got) == json_array_size(want), "%s (seed %d): %zu incidents, expected %zu", name,
                  seed, json_array_size(got), json_array_size(want));
    /* recurrences the scenario planted */
    json_array_foreach(json_object_get(exp, "recurrence"), i, w) {
        int found = 0;
        size_t k;
        json_t *r;
        json_array_foreach(json_object_get(rep, "recurrence"), k, r) found |=
            strcmp(str(r, "tunnel"), str(w, "tunnel")) == 0 &&
            json_integer_value(json_object_get(r, "count")) == json_integer_value(json_object_get(w, "count"));
        ck_assert_msg(found, "%s: no recurrence of %s x%lld", name, str(w, "tunnel"),
                      (long long)json_integer_value(json_object_get(w, "count")));
    }
    json_decref(rep);
    json_decref(exp);
}

START_TEST(every_scenario_seed1)
{
    check_scenario(scenario_names[_i], 1, AS_DIR);
}
END_TEST

START_TEST(every_scenario_seed2)
{
    check_scenario(scenario_names[_i], 2, AS_DIR);
}
END_TEST

START_TEST(loose_logs_and_capture)
{
    check_scenario(loose_names[_i], 1, AS_LOOSE);
}
END_TEST

/* The same bundles packed like a real tech-support file. */
START_TEST(packed_scenarios)
{
    static const char *const packed[] = {"route-change", "two-peers", "rotated-gz", "tunnel-up-no-traffic"};
    check_scenario(packed[_i], 3, AS_TGZ);
}
END_TEST

Suite *golden_suite(void)
{
    Suite *s = suite_create("golden");
    TCase *t = tcase_create("scenarios");
    tcase_set_timeout(t, 300);
    load_scenarios();
    tcase_add_test(t, scenario_list);
    tcase_add_loop_test(t, every_scenario_seed1, 0, n_scenarios);
    tcase_add_loop_test(t, every_scenario_seed2, 0, n_scenarios);
    tcase_add_loop_test(t, packed_scenarios, 0, 4);
    for (int i = 0; i < n_scenarios; i++) {
        int skip = 0;
        for (size_t k = 0; k < sizeof needs_bundle / sizeof needs_bundle[0]; k++)
            skip |= strcmp(scenario_names[i], needs_bundle[k]) == 0;
        if (!skip)
            memcpy(loose_names[n_loose++], scenario_names[i], TU_SCENARIO_NAME);
    }
    tcase_add_loop_test(t, loose_logs_and_capture, 0, n_loose);
    suite_add_tcase(s, t);
    return s;
}
