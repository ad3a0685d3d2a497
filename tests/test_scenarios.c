/*
 * test_scenarios.c — the golden ingest tests: every scenario of the generator
 * (testdata/gen/, IKM_GEN) is written, ingested by the binary (IKM_BIN), and checked against
 * its expected.json: nothing unparsed but the lines it planted, each incident's anchor event
 * at its time (±2 s), and the rows its root cause needs really in the timeline as typed rows.
 * Every capture is also decoded by tshark (when installed) and compared frame by frame with
 * what ingest stored.
 *
 * The root-cause assertions themselves (analyze against expected.json) belong to the analysis;
 * these tests prove that the evidence each cause needs reaches the database.
 */
#include "testutil.h"

#include <check.h>
#include <glob.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ANCHOR_SLACK_US 2000000LL
#define PATH_LEN 600
#define SQL_LEN 2048
#define SCENARIO_COUNT 29 /* ikemortem-gen list */

/* One generated scenario, ingested. */
struct scen {
    char name[64];
    char out[PATH_LEN]; /* OUTDIR */
    char db[PATH_LEN];
    json_t *expected;
};

/* snprintf that fails the test instead of cutting */
static void xfmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void xfmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    ck_assert_msg(k >= 0 && (size_t)k < n, "text too long for its buffer: %s", fmt);
}

static const char *gen_bin(void)
{
    const char *g = getenv("IKM_GEN");
    ck_assert_msg(g && *g, "IKM_GEN is not set (run through make check)");
    return g;
}

static void run_cmd(const char *cmd)
{
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* Writes the scenario into a fresh directory and ingests its bundles. */
static void scen_load(struct scen *s, const char *name, int tgz)
{
    memset(s, 0, sizeof *s);
    xfmt(s->name, sizeof s->name, "%s", name);
    char leaf[128];
    xfmt(leaf, sizeof leaf, "scen-%s%s", name, tgz ? "-tgz" : "");
    xfmt(s->out, sizeof s->out, "%s", tu_path(leaf));
    xfmt(s->db, sizeof s->db, "%s.db", s->out);
    char cmd[2 * PATH_LEN];
    /* IKM_SCENARIO_SEED runs the same checks on another rendering of every case */
    const char *seed = getenv("IKM_SCENARIO_SEED");
    xfmt(cmd, sizeof cmd, "rm -rf '%s' '%s' && '%s' '%s' '%s' --seed %ld%s", s->out, s->db, gen_bin(), name, s->out,
         seed && *seed ? strtol(seed, NULL, 10) : 1L, tgz ? " --tgz" : "");
    run_cmd(cmd);
    char ej[PATH_LEN + 32];
    xfmt(ej, sizeof ej, "%s/expected.json", s->out);
    json_error_t jerr;
    s->expected = json_load_file(ej, 0, &jerr);
    ck_assert_msg(s->expected != NULL, "%s: %s", ej, jerr.text);
    json_t *bundles = json_object_get(s->expected, "bundles");
    ck_assert_int_ge(json_array_size(bundles), 1);
    ck_assert_int_le(json_array_size(bundles), 2);
    char b[2][PATH_LEN + 140];
    for (size_t i = 0; i < json_array_size(bundles); i++)
        xfmt(b[i], sizeof b[i], "%s/%s", s->out,
                 json_string_value(json_object_get(json_array_get(bundles, i), "dir")));
    char *out = NULL, *err = NULL;
    int rc = json_array_size(bundles) == 1 ? tu_run(&out, &err, "ingest", "-q", "--db", s->db, b[0], NULL)
                                           : tu_run(&out, &err, "ingest", "-q", "--db", s->db, b[0], b[1], NULL);
    ck_assert_msg(rc == 0, "%s: ingest exit %d\n%s\n%s", name, rc, out, err);
    free(out);
    free(err);
}

static void scen_free(struct scen *s)
{
    json_decref(s->expected);
}

static int64_t q_int(const struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q_int(const struct scen *s, const char *fmt, ...)
{
    char sql[SQL_LEN];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof sql);
    return tu_sql_int(s->db, sql);
}

/* "2024-03-07T01:26:27Z" → UTC us */
static int64_t iso_us(const char *iso)
{
    struct tm tm = {0};
    ck_assert_ptr_nonnull(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
    return (int64_t)timegm(&tm) * 1000000LL;
}

static json_t *incident(const struct scen *s, size_t i)
{
    return json_array_get(json_object_get(s->expected, "incidents"), i);
}

static const char *istr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    ck_assert_msg(v != NULL, "expected.json: incident without %s", k);
    return v;
}

/* ---- the checks every scenario gets ------------------------------------------------------------ */

/* Nothing unparsed but what expected.json declares, member by member. A member is named
 * relative to its bundle, behind the bundle's directory when there are several. */
static void check_unparsed(const struct scen *s)
{
    json_t *planted = json_object_get(s->expected, "planted_unparsed");
    int several = json_array_size(json_object_get(s->expected, "bundles")) > 1;
    char *rows = tu_sql_text(s->db, "SELECT group_concat(unparsed || ' ' || bundle || ' ' || member, char(10)) FROM sources "
                                    "WHERE unparsed > 0");
    size_t matched = 0, outlen = strlen(s->out);
    for (char *line = rows ? strtok(rows, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        long n = strtol(line, NULL, 10);
        char *bundle = strchr(line, ' ') + 1, *member = strchr(bundle, ' ');
        *member++ = '\0';
        char key[PATH_LEN * 2];
        if (several && strncmp(bundle, s->out, outlen) == 0 && bundle[outlen] == '/')
            xfmt(key, sizeof key, "%s/%s", bundle + outlen + 1, member);
        else
            xfmt(key, sizeof key, "%s", member);
        long want = -1;
        for (size_t i = 0; i < json_array_size(planted); i++) {
            json_t *p = json_array_get(planted, i);
            if (strcmp(json_string_value(json_object_get(p, "member")), key) == 0)
                want = (long)json_integer_value(json_object_get(p, "lines"));
        }
        if (want != n) {
            char *why = tu_sql_text(s->db, "SELECT group_concat(s.member || ':' || u.line || ': ' || u.reason || ': ' || "
                                           "u.text, char(10)) FROM unparsed u JOIN sources s ON s.id = u.source_id");
            ck_abort_msg("%s: %s: %ld unparsed lines, %ld planted:\n%s", s->name, key, n, want < 0 ? 0 : want,
                         why ? why : "");
        }
        matched++;
    }
    free(rows);
    ck_assert_msg(matched == json_array_size(planted), "%s: %zu members with unparsed lines, %zu planted", s->name,
                  matched, json_array_size(planted));
    /* and nothing the readers had to call an error */
    ck_assert_msg(q_int(s, "SELECT count(*) FROM diagnostics WHERE severity = 'error'") == 0, "%s: diagnostics",
                  s->name);
}

/* Each incident's anchor at its time (±2 s), on its device. */
static void check_anchors(const struct scen *s)
{
    json_t *all = json_object_get(s->expected, "incidents");
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *in = incident(s, i);
        const char *kind = istr(in, "kind"), *dev = istr(in, "device");
        int64_t t = iso_us(istr(in, "time"));
        if (strcmp(kind, "tunnel-no-traffic") == 0)
            continue; /* a state, not an event: check_no_traffic */
        int64_t n = q_int(s, "SELECT count(*) FROM events WHERE kind = '%s' AND device = '%s' AND ts_us BETWEEN %lld AND %lld",
                          kind, dev, (long long)(t - ANCHOR_SLACK_US), (long long)(t + ANCHOR_SLACK_US));
        ck_assert_msg(n >= 1, "%s: no %s event on %s at %s", s->name, kind, dev, istr(in, "time"));
        /* the earliest anchor is the declared time, to the second */
        int64_t first = q_int(s, "SELECT min(ts_us) FROM events WHERE kind = '%s' AND device = '%s' AND ts_us BETWEEN %lld AND %lld",
                              kind, dev, (long long)(t - ANCHOR_SLACK_US), (long long)(t + ANCHOR_SLACK_US));
        ck_assert_msg(first / 1000000 == t / 1000000, "%s: earliest %s at %lld, expected %lld", s->name, kind,
                      (long long)first, (long long)t);
    }
    /* and no anchor of a dpd drop or phase failure where none is expected */
    if (json_array_size(all) == 0)
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events WHERE kind IN ('dpd-down', 'p1-fail', 'p2-fail')"), 0);
}

/* ---- tshark ------------------------------------------------------------------------------------ */

static int have_tshark(void)
{
    static int known = -1;
    if (known < 0)
        known = system("command -v tshark >/dev/null 2>&1") == 0;
    return known;
}

/* Every IKE frame of every capture: tshark's decoding equals the ike_messages rows. */
static void check_tshark(const struct scen *s)
{
    if (!have_tshark()) {
        static int said;
        if (!said++)
            fprintf(stderr, "test_scenarios: tshark not installed, capture cross-check skipped (apt-get install tshark)\n");
        return;
    }
    char *list = tu_sql_text(s->db, "SELECT group_concat(id || ' ' || rtrim(bundle, '/.') || '/' || member, char(10)) "
                                    "FROM sources WHERE kind = 'pcap'");
    if (!list)
        return;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        long src = strtol(line, NULL, 10);
        const char *path = strchr(line, ' ') + 1;
        char cmd[PATH_LEN * 2];
        xfmt(cmd, sizeof cmd,
                 "tshark -n -r '%s' -Y 'isakmp' -T fields -E separator=/s -E occurrence=f -e frame.number -e ip.src "
                 "-e ip.dst -e udp.srcport -e udp.dstport -e isakmp.ispi -e isakmp.rspi -e isakmp.exchangetype "
                 "-e isakmp.messageid -e isakmp.length 2>/dev/null",
                 path);
        /* the database's rows in tshark's shape, one line per frame */
        char sql[SQL_LEN];
        xfmt(sql, sizeof sql,
             "SELECT group_concat(r, char(10)) || char(10) FROM (SELECT printf('%%d %%s %%s %%d %%d %%s %%s %%d 0x%%08x %%d', "
             "frame_or_line, src_ip, dst_ip, src_port, dst_port, ispi, rspi, exch_type, msg_id, length) AS r "
             "FROM ike_messages WHERE source_id = %ld ORDER BY frame_or_line)",
             src);
        char *ours = tu_sql_text(s->db, sql);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        size_t cap = 1 << 16, len = 0;
        char *theirs = malloc(cap);
        ck_assert_ptr_nonnull(theirs);
        size_t got;
        while ((got = fread(theirs + len, 1, cap - len - 1, p)) > 0) {
            len += got;
            if (cap - len < 4096) {
                cap *= 2;
                theirs = realloc(theirs, cap);
                ck_assert_ptr_nonnull(theirs);
            }
        }
        theirs[len] = '\0';
        ck_assert_int_eq(pclose(p), 0);
        if (!ours)
            ck_assert_msg(len == 0, "%s: tshark decodes IKE frames that ingest did not store", path);
        else if (strcmp(ours, theirs) != 0) {
            size_t i = 0, line_start = 0;
            while (ours[i] && ours[i] == theirs[i]) {
                if (ours[i] == '\n')
                    line_start = i + 1;
                i++;
            }
            ck_abort_msg("%s: ingest and tshark differ at:\n ingest: %.120s\n tshark: %.120s", path, ours + line_start,
                         theirs + line_start);
        }
        free(ours);
        free(theirs);
        /* ESP frames: tshark's count equals the counted packets */
        xfmt(cmd, sizeof cmd, "tshark -n -r '%s' -Y 'esp' 2>/dev/null | wc -l", path);
        p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        long esp = -1;
        ck_assert_int_eq(fscanf(p, "%ld", &esp), 1);
        pclose(p);
        ck_assert_int_eq(esp, q_int(s, "SELECT coalesce(sum(packets), 0) FROM esp_counts WHERE source_id = %ld", src));
    }
    free(list);
}

/* ---- the signature each cause needs --------------------------------------------------------- */

/* The first liveness request of a peer that no answer closed, from the capture (µs), and the
 * time of the incident's anchor. */
static int64_t first_unanswered(const struct scen *s, const char *peer)
{
    int64_t t = q_int(s, "SELECT min(request_us) FROM exchange_detail WHERE origin = 'pcap' AND response_us IS NULL "
                         "AND exch_type = 37 AND peer_ip = '%s'",
                      peer);
    ck_assert_msg(t > 0, "%s: no unanswered liveness request to %s in the capture", s->name, peer);
    return t;
}

static int64_t anchor_us(const struct scen *s, size_t i)
{
    return iso_us(istr(incident(s, i), "time"));
}

static const char *peer_of(const struct scen *s, size_t i)
{
    return istr(incident(s, i), "peer");
}

static void check_signature(const struct scen *s)
{
    const char *n = s->name;
    if (json_array_size(json_object_get(s->expected, "incidents")) == 0) {
        /* healthy: every request of the capture answered */
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM exchange_detail WHERE response_us IS NULL"), 0);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'config-commit'"), 1);
        return;
    }
    const char *peer = peer_of(s, 0);
    int64_t a = anchor_us(s, 0);
    if (!strcmp(n, "peer-unreachable") || !strcmp(n, "tz-naive-syslog") || !strcmp(n, "rotated-gz") ||
        !strcmp(n, "ikemgr-ng") || !strcmp(n, "link-down") || !strcmp(n, "route-change") ||
        !strcmp(n, "policy-change") || !strcmp(n, "local-ha-failover") || !strcmp(n, "ikemgr-restart")) {
        int64_t f = first_unanswered(s, peer);
        /* nothing at all from the peer between the first unanswered request and the drop */
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE src_ip = '%s' AND ts_us > %lld AND ts_us < %lld",
                               peer, (long long)f, (long long)a), 0);
        /* the liveness run: 10 copies of one request, the device's schedule apart */
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dst_ip = '%s' AND "
                                  "exch_type = 37 AND ts_us >= %lld AND ts_us < %lld",
                               peer, (long long)f, (long long)a), 10);
        if (!strcmp(n, "route-change"))
            ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'route-change' AND ts_us BETWEEN %lld AND %lld "
                                      "AND attrs_json LIKE '%%203.0.113.0/24%%'",
                                   (long long)(f - 60000000), (long long)(f - 5000000)), 1);
        if (!strcmp(n, "policy-change")) {
            ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'config-commit' AND ts_us BETWEEN %lld AND %lld",
                                   (long long)(f - 120000000), (long long)f), 1);
            ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'policy-change' AND ts_us BETWEEN %lld AND %lld",
                                   (long long)(f - 300000000), (long long)f), 1);
        }
        if (!strcmp(n, "link-down"))
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events WHERE kind = 'link-down' AND ts_us BETWEEN %lld AND %lld "
                                      "AND attrs_json LIKE '%%ethernet1/1%%'",
                                   (long long)(f - 2000000), (long long)(f + 2000000)), 1);
        if (!strcmp(n, "local-ha-failover"))
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events WHERE kind = 'ha-state' AND ts_us BETWEEN %lld AND %lld",
                                   (long long)(f - 60000000), (long long)f), 1);
        if (!strcmp(n, "ikemgr-restart"))
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events WHERE kind = 'daemon-restart' AND ts_us BETWEEN %lld AND %lld",
                                   (long long)(f - 60000000), (long long)f), 1);
        if (!strcmp(n, "tz-naive-syslog"))
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id WHERE "
                                      "s.kind = 'system-log-cli' AND e.kind = 'dpd-down' AND e.tz_state = 'zone' AND "
                                      "e.ts_us = %lld",
                                   (long long)a), 1);
        if (!strcmp(n, "rotated-gz"))
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id WHERE "
                                      "e.kind = 'dpd-down' AND s.kind = 'ikemgr-log' AND s.member LIKE '%%ikemgr.log.1.gz'"), 1);
        if (!strcmp(n, "ikemgr-ng"))
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id WHERE "
                                      "e.kind = 'dpd-down' AND s.member LIKE '%%ikemgr-ng.log'"), 1);
    } else if (!strcmp(n, "one-way-loss")) {
        int64_t f = first_unanswered(s, peer);
        /* the peer's requests still arrive (capture and log) and ESP keeps coming */
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s' AND "
                                  "is_response = 0 AND ts_us > %lld AND ts_us < %lld",
                               peer, (long long)f, (long long)a), 10);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'log' AND dir = 'recv' AND src_ip = '%s' "
                                  "AND ts_us > %lld AND ts_us < %lld",
                               peer, (long long)f, (long long)a), 10);
        ck_assert_int_ge(q_int(s, "SELECT coalesce(sum(packets), 0) FROM esp_counts WHERE src_ip = '%s' AND bucket_start_us > %lld",
                               peer, (long long)f), 50);
    } else if (!strcmp(n, "one-way-loss-natt")) {
        int64_t f = first_unanswered(s, peer);
        /* only the NATed peer's keepalives arrive (every ~20 s), stored per 10-second bucket */
        ck_assert_int_ge(q_int(s, "SELECT coalesce(sum(packets), 0) FROM nat_keepalives WHERE src_ip = '%s'"
                                  " AND bucket_start_us > %lld AND bucket_start_us < %lld",
                               peer, (long long)f, (long long)a), 15);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM nat_keepalives WHERE packets <> 1 OR first_frame <> last_frame"), 0);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE src_ip = '%s' AND ts_us > %lld AND ts_us <= %lld",
                               peer, (long long)f, (long long)a), 0);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM esp_counts"), 0);
    } else if (!strcmp(n, "nat-rebinding")) {
        int64_t f = first_unanswered(s, peer);
        ck_assert_int_eq(q_int(s, "SELECT count(DISTINCT src_port) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s'", peer), 2);
        /* our requests keep going to the old mapping */
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dst_ip = '%s' AND dst_port = 31845 "
                                  "AND is_response = 0 AND ts_us >= %lld AND ts_us < %lld",
                               peer, (long long)f, (long long)a), 10);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND natt = 1"), 100);
    } else if (!strcmp(n, "liveness-too-strict")) {
        /* in the hour before: answers later than 3 s, and answers after retransmissions */
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM exchange_detail WHERE origin = 'pcap' AND rtt_us > 3000000 AND request_us > %lld",
                               (long long)(a - 3700000000LL)), 10);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM exchange_detail WHERE origin = 'log' AND retransmits > 0 AND "
                                  "response_us IS NOT NULL"), 10);
        first_unanswered(s, peer);
    } else if (!strcmp(n, "message-id-desync")) {
        int64_t f = first_unanswered(s, peer);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'msgid-mismatch' AND ts_us >= %lld AND ts_us < %lld",
                               (long long)(f - 1000000), (long long)a), 10);
    } else if (!strcmp(n, "peer-restarted")) {
        /* INVALID_IKE_SPI in the clear, then the peer initiates a new IKE SA */
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s' AND notify_error = 4", peer), 1);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s' AND exch_type = 34 "
                                  "AND is_response = 0 AND ts_us > %lld",
                               peer, (long long)a), 1);
    } else if (!strcmp(n, "rekey-failure")) {
        ck_assert_int_eq(json_array_size(json_object_get(s->expected, "incidents")), 2);
        for (size_t i = 0; i < 2; i++) {
            int64_t t = anchor_us(s, i);
            /* a failed child rekey within the liveness window before each drop */
            ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'p2-fail' AND ts_us BETWEEN %lld AND %lld",
                                   (long long)(t - 500000000), (long long)t), 1);
            ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND exch_type = 36 AND "
                                      "ts_us BETWEEN %lld AND %lld",
                                   (long long)(t - 500000000), (long long)t), 2);
        }
        int64_t gap = anchor_us(s, 1) - anchor_us(s, 0);
        ck_assert_msg(gap > 55 * 60 * 1000000LL && gap < 65 * 60 * 1000000LL, "drops %lld s apart", (long long)(gap / 1000000));
    } else if (!strcmp(n, "p1-proposal-mismatch")) {
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s' AND notify_error = 14", peer), 4);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'p1-fail'"), 4);
    } else if (!strcmp(n, "p1-auth-failure")) {
        /* AUTHENTICATION_FAILED travels encrypted: the capture shows the IKE_AUTH answer, the
         * logs say why */
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s' AND exch_type = 35 "
                                  "AND is_response = 1",
                               peer), 4);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'p1-fail' AND attrs_json LIKE '%%\"reason\":\"auth\"%%'"), 4);
    } else if (!strcmp(n, "p1-no-response")) {
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE src_ip = '%s'", peer), 0);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dst_ip = '%s' AND exch_type = 34", peer), 12);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'p1-fail' AND attrs_json LIKE '%%\"no_response\":1%%'"), 4);
    } else if (!strcmp(n, "p2-proposal-mismatch") || !strcmp(n, "p2-proxy-id-mismatch")) {
        const char *reason = n[3] == 'p' && n[4] == 'r' && n[5] == 'o' && n[6] == 'p' ? "proposal" : "selectors";
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'p1-up'"), 4);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'p2-fail' AND attrs_json LIKE '%%\"reason\":\"%s\"%%'",
                               reason), 4);
    } else if (!strcmp(n, "esp-one-way") || !strcmp(n, "tunnel-up-no-traffic")) {
        /* two flow snapshots: encap rising, decap flat */
        char *e1 = tu_sql_text(s->db, "SELECT value FROM cli_values WHERE command = 'show vpn flow tunnel-id 1' AND occurrence = 1 AND key = 'encap packets'");
        char *e2 = tu_sql_text(s->db, "SELECT value FROM cli_values WHERE command = 'show vpn flow tunnel-id 1' AND occurrence = 2 AND key = 'encap packets'");
        char *d1 = tu_sql_text(s->db, "SELECT value FROM cli_values WHERE command = 'show vpn flow tunnel-id 1' AND occurrence = 1 AND key = 'decap packets'");
        char *d2 = tu_sql_text(s->db, "SELECT value FROM cli_values WHERE command = 'show vpn flow tunnel-id 1' AND occurrence = 2 AND key = 'decap packets'");
        ck_assert_msg(e1 && e2 && d1 && d2, "%s: flow snapshots missing", n);
        ck_assert_int_gt(atoll(e2), atoll(e1));
        ck_assert_str_eq(d1, d2);
        free(e1), free(e2), free(d1), free(d2);
        if (!strcmp(n, "esp-one-way")) {
            ck_assert_int_ge(q_int(s, "SELECT coalesce(sum(packets), 0) FROM esp_counts WHERE dst_ip = '%s'", peer), 50);
            ck_assert_int_eq(q_int(s, "SELECT count(*) FROM esp_counts WHERE src_ip = '%s'", peer), 0);
            int64_t first = q_int(s, "SELECT min(bucket_start_us) FROM esp_counts");
            ck_assert_int_le(first, a);
            ck_assert_int_gt(first + 10000000, a);
        }
    } else if (!strcmp(n, "unknown")) {
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages"), 0);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events WHERE severity = 'debug'"), 0);
    } else if (!strcmp(n, "multi-incident")) {
        ck_assert_int_eq(json_array_size(json_object_get(s->expected, "incidents")), 3);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'route-change'"), 1);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM events WHERE kind = 'msgid-mismatch' AND peer_ip = '%s'", peer_of(s, 1)), 10);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE notify_error = 4 AND src_ip = '%s'", peer_of(s, 2)), 1);
    } else if (!strcmp(n, "recurrence")) {
        /* the seed's own times, from the zone-less system log placed by the config's zone */
        char *t = tu_sql_text(s->db, "SELECT group_concat(strftime('%Y-%m-%dT%H:%M:%SZ', ts_us / 1000000, 'unixepoch'), ' ') FROM "
                                     "(SELECT e.ts_us FROM events e JOIN sources s ON s.id = e.source_id WHERE "
                                     "s.kind = 'system-log-cli' AND e.kind = 'dpd-down' ORDER BY e.ts_us)");
        ck_assert_str_eq(t, "2019-03-07T01:26:27Z 2019-03-07T02:24:04Z");
        free(t);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM events WHERE kind = 'dpd-down' AND tunnel = 'awsseapa-to-azeapa'"), 2);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM exchange_detail WHERE origin = 'pcap' AND rtt_us > 3000000"), 10);
    } else if (!strcmp(n, "ikev1-dpd")) {
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND version = 1 AND exch_type = 5 "
                                  "AND dst_ip = '%s' AND ts_us BETWEEN %lld AND %lld",
                               peer, (long long)(a - 60000000), (long long)a), 5);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND src_ip = '%s' AND ts_us BETWEEN %lld AND %lld",
                               peer, (long long)(a - 45000000), (long long)a), 0);
    } else if (!strcmp(n, "two-peers")) {
        ck_assert_int_eq(q_int(s, "SELECT count(DISTINCT device) FROM sources"), 2);
        /* fw-hq still hears fw-cloud's requests after its own go unanswered; fw-cloud hears nothing */
        int64_t f = first_unanswered(s, peer);
        ck_assert_int_ge(q_int(s, "SELECT count(*) FROM ike_messages WHERE device = 'fw-hq' AND origin = 'pcap' AND src_ip = '%s' "
                                  "AND ts_us > %lld",
                               peer, (long long)f), 5);
        ck_assert_int_eq(q_int(s, "SELECT count(*) FROM ike_messages WHERE device = 'fw-cloud' AND src_ip = '%s' AND ts_us > %lld "
                                  "AND ts_us < %lld",
                               peer_of(s, 1), (long long)(f + 5000000), (long long)anchor_us(s, 1)), 0);
    } else {
        ck_abort_msg("scenario %s has no signature check", n);
    }
}

/* ---- the tests ---------------------------------------------------------------------------------- */

static char **scenario_names(size_t *n)
{
    static char *names[64];
    static size_t count;
    if (!count) {
        char cmd[PATH_LEN];
        xfmt(cmd, sizeof cmd, "'%s' list", gen_bin());
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        char buf[128];
        while (count < 64 && fgets(buf, sizeof buf, p)) {
            buf[strcspn(buf, "\n")] = '\0';
            names[count++] = strdup(buf);
        }
        ck_assert_int_eq(pclose(p), 0);
    }
    *n = count;
    return names;
}

START_TEST(every_scenario)
{
    size_t n;
    char **names = scenario_names(&n);
    ck_assert_int_eq(n, SCENARIO_COUNT);
    struct scen s;
    scen_load(&s, names[_i], 0);
    check_unparsed(&s);
    check_anchors(&s);
    check_signature(&s);
    check_tshark(&s);
    /* the checklist counts each source's messages by sources.msg_rows, not by its rows */
    ck_assert_int_eq(q_int(&s, "SELECT count(*) FROM sources s WHERE COALESCE(s.msg_rows, 0) <>"
                               " (SELECT count(*) FROM ike_messages m WHERE m.source_id = s.id)"),
                     0);
    /* the exchange totals ingest prints come from each source's counts (sources.exchanges) */
    ck_assert_int_eq(q_int(&s, "SELECT COALESCE(sum(exchanges), 0) FROM sources"), q_int(&s, "SELECT count(*) FROM exchanges"));
    ck_assert_int_eq(q_int(&s, "SELECT COALESCE(sum(answered), 0) FROM sources"),
                     q_int(&s, "SELECT count(*) FROM exchanges WHERE response_id IS NOT NULL"));
    ck_assert_int_eq(q_int(&s, "SELECT count(*) FROM sources s WHERE COALESCE(s.exchanges, 0) <> (SELECT count(*)"
                               " FROM exchanges x JOIN ike_messages m ON m.id = x.request_id WHERE m.source_id = s.id)"),
                     0);
    scen_free(&s);
}
END_TEST

/* --tgz packs the same bundle as a tech-support archive: "./" members, same rows. */
START_TEST(tgz_like_tree)
{
    struct scen d, t;
    scen_load(&d, "route-change", 0);
    scen_load(&t, "route-change", 1);
    const char *dir = json_string_value(json_object_get(json_array_get(json_object_get(t.expected, "bundles"), 0), "dir"));
    ck_assert_msg(strstr(dir, "_techsupport.tgz") != NULL, "archive named %s", dir);
    char cmd[2 * PATH_LEN];
    xfmt(cmd, sizeof cmd, "tar -tzf '%s/%s' | grep -v '^\\./' | wc -l | grep -qx 0", t.out, dir);
    run_cmd(cmd);
    const char *counts = "SELECT (SELECT count(*) FROM events) || ' ' || (SELECT count(*) FROM ike_messages) || ' ' || "
                         "(SELECT count(*) FROM sources) || ' ' || (SELECT sum(unparsed) FROM sources)";
    char *a = tu_sql_text(d.db, counts), *b = tu_sql_text(t.db, counts);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    ck_assert_int_eq(q_int(&t, "SELECT count(*) FROM sources WHERE bundle LIKE '%%_techsupport.tgz'"),
                     q_int(&d, "SELECT count(*) FROM sources"));
    check_anchors(&t);
    scen_free(&d);
    scen_free(&t);
}
END_TEST

/* The one-way-loss-natt scenario written fresh into tu_path(leaf): g, and its capture's path. */
static void gen_natt(const char *leaf, char g[PATH_LEN], char cap[PATH_LEN])
{
    char cmd[3 * PATH_LEN];
    xfmt(g, PATH_LEN, "%s", tu_path(leaf));
    xfmt(cmd, sizeof cmd, "rm -rf '%s' && '%s' one-way-loss-natt '%s' >/dev/null", g, gen_bin(), g);
    run_cmd(cmd);
    xfmt(cap, PATH_LEN, "%s/var/log/pan/ikemgr.pcap", g);
}

/* `ingest -q --db db a b`, which must exit 0. */
static void ingest_two(const char *db, const char *a, const char *b)
{
    char *o = NULL, *e = NULL;
    int rc = tu_run(&o, &e, "ingest", "-q", "--db", db, a, b, NULL);
    ck_assert_msg(rc == 0, "ingest exit %d: %s", rc, e ? e : "");
    free(o);
    free(e);
}

/* A capture's message directions and exchange initiators come from the device's addresses:
 * set as the capture is stored when its log was read first (and then left alone by the pairing
 * pass), set by the pass when the capture came first. Both give the same rows. */
START_TEST(capture_directions_either_order)
{
    char g[PATH_LEN], db[2][PATH_LEN], log[PATH_LEN], cap[PATH_LEN];
    gen_natt("dir-order", g, cap);
    xfmt(log, sizeof log, "%s/var/log/pan/ikemgr.log", g);
    static const char *const rows_sql =
        "SELECT group_concat(frame_or_line || ':' || COALESCE(dir, '-'), ',') FROM"
        " (SELECT frame_or_line, dir FROM ike_messages WHERE origin = 'pcap' ORDER BY frame_or_line)";
    static const char *const xch_sql =
        "SELECT group_concat(f || ':' || COALESCE(i, '-'), ',') FROM (SELECT q.frame_or_line AS f, x.initiator AS i"
        " FROM exchanges x JOIN ike_messages q ON q.id = x.request_id WHERE x.origin = 'pcap' ORDER BY f)";
    char *rows[2], *xch[2];
    for (int order = 0; order < 2; order++) {
        xfmt(db[order], sizeof db[order], "%s/t%d.db", g, order);
        ingest_two(db[order], order ? cap : log, order ? log : cap);
        rows[order] = tu_sql_text(db[order], rows_sql);
        xch[order] = tu_sql_text(db[order], xch_sql);
        /* log first: the one local address was known; capture first: none */
        ck_assert_int_eq(tu_sql_int(db[order], "SELECT own_addrs FROM sources WHERE kind = 'pcap'"), order ? 0 : 1);
    }
    ck_assert_int_ge(tu_sql_int(db[0], "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dir = 'sent'"), 20);
    ck_assert_int_ge(tu_sql_int(db[0], "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dir = 'recv'"), 20);
    ck_assert_int_ge(tu_sql_int(db[0], "SELECT count(*) FROM exchanges WHERE origin = 'pcap' AND initiator = 'local'"), 20);
    ck_assert_str_eq(rows[0], rows[1]);
    ck_assert_str_eq(xch[0], xch[1]);
    /* the CLI output's `show vpn flow` local-ip is an own address too: read before the
     * capture, it alone gives the directions as the capture is stored */
    char pattern[PATH_LEN], db3[PATH_LEN];
    xfmt(pattern, sizeof pattern, "%s/tmp/cli/techsupport_*.txt", g);
    glob_t ts;
    ck_assert_int_eq(glob(pattern, 0, NULL, &ts), 0);
    ck_assert_uint_eq(ts.gl_pathc, 1);
    xfmt(db3, sizeof db3, "%s/t3.db", g);
    ingest_two(db3, ts.gl_pathv[0], cap);
    globfree(&ts);
    ck_assert_int_eq(tu_sql_int(db3, "SELECT own_addrs FROM sources WHERE kind = 'pcap'"), 1);
    ck_assert_int_eq(tu_sql_int(db3, "SELECT count(*) FROM device_addrs WHERE ip = '198.51.100.10'"), 1);
    char *rows3 = tu_sql_text(db3, rows_sql);
    ck_assert_str_eq(rows3, rows[0]);
    free(rows3);
    for (int i = 0; i < 2; i++) {
        free(rows[i]);
        free(xch[i]);
    }
}
END_TEST

/* A log showing more own addresses than a source lists (4096) is marked unlisted, and pairing
 * finds the rest by scanning its rows: the capture's directions still come out. */
START_TEST(capture_directions_many_local_addresses)
{
    char g[PATH_LEN], db[PATH_LEN], log[PATH_LEN], cap[PATH_LEN];
    gen_natt("dir-many", g, cap);
    xfmt(log, sizeof log, "%s/many.log", g);
    xfmt(db, sizeof db, "%s/t.db", g);
    FILE *f = fopen(log, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 4200; i++)
        fprintf(f, "2024-06-04 03:40:%02d.%03d -0500 [DEBG]: 10.9.%d.%d[500] - 203.0.113.99[500]:(nil) 1 times of 76 bytes "
                   "message will be sent over socket 1024\n",
                i / 1000, i % 1000, i / 250, i % 250 + 1);
    fprintf(f, "2024-06-04 03:41:00.000 -0500 [DEBG]: 198.51.100.10[4500] - 203.0.113.5[28611]:(nil) 1 times of 80 bytes "
               "message will be sent over socket 1024\n");
    fclose(f);
    ingest_two(db, log, cap);
    ck_assert_int_eq(tu_sql_int(db, "SELECT addrs_listed FROM sources WHERE kind = 'ikemgr-log'"), 0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM device_addrs"), 4096);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM device_addrs WHERE ip = '198.51.100.10'"), 0);
    ck_assert_int_ge(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dir = 'sent'"), 20);
    ck_assert_int_ge(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dir = 'recv'"), 20);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap' AND dir IS NULL AND msg_id IS NOT NULL"), 0);
}
END_TEST

/* The same seed gives the same bytes; another seed other SPIs. */
START_TEST(deterministic)
{
    char a[PATH_LEN], b[PATH_LEN], c[PATH_LEN], cmd[4 * PATH_LEN];
    xfmt(a, sizeof a, "%s", tu_path("det-a"));
    xfmt(b, sizeof b, "%s", tu_path("det-b"));
    xfmt(c, sizeof c, "%s", tu_path("det-c"));
    xfmt(cmd, sizeof cmd, "rm -rf '%s' '%s' '%s' && '%s' nat-rebinding '%s' && '%s' nat-rebinding '%s' && "
                              "'%s' nat-rebinding '%s' --seed 7 && diff -r '%s' '%s' >/dev/null && "
                              "! cmp -s '%s/var/log/pan/ikemgr.pcap' '%s/var/log/pan/ikemgr.pcap'",
             a, b, c, gen_bin(), a, gen_bin(), b, gen_bin(), c, a, b, a, c);
    run_cmd(cmd);
    /* compressed members and archives too: gzip headers carry no time */
    xfmt(cmd, sizeof cmd, "rm -rf '%s' '%s' && '%s' rotated-gz '%s' --tgz && sleep 1 && '%s' rotated-gz '%s' --tgz && "
                          "diff -r '%s' '%s' >/dev/null",
         a, b, gen_bin(), a, gen_bin(), b, a, b);
    run_cmd(cmd);
    /* usage errors */
    xfmt(cmd, sizeof cmd, "'%s' no-such-scenario '%s' 2>/dev/null; test $? = 2", gen_bin(), a);
    run_cmd(cmd);
    xfmt(cmd, sizeof cmd, "'%s' peer-unreachable '%s' --scale 12Q 2>/dev/null; test $? = 2", gen_bin(), a);
    run_cmd(cmd);
}
END_TEST

/* --scale streams: a small run of it holds the incidents it declares. */
START_TEST(scale_small)
{
    char out[PATH_LEN], cmd[2 * PATH_LEN];
    xfmt(out, sizeof out, "%s", tu_path("scale"));
    xfmt(cmd, sizeof cmd, "rm -rf '%s' && '%s' peer-unreachable '%s' --scale 60kpkt", out, gen_bin(), out);
    run_cmd(cmd);
    struct scen s;
    memset(&s, 0, sizeof s);
    xfmt(s.name, sizeof s.name, "scale");
    xfmt(s.out, sizeof s.out, "%s", out);
    xfmt(s.db, sizeof s.db, "%s.db", out);
    unlink(s.db);
    char ej[PATH_LEN + 32];
    xfmt(ej, sizeof ej, "%s/expected.json", out);
    json_error_t jerr;
    s.expected = json_load_file(ej, 0, &jerr);
    ck_assert_ptr_nonnull(s.expected);
    ck_assert_int_ge(json_array_size(json_object_get(s.expected, "incidents")), 2);
    char *o = NULL, *e = NULL;
    int rc = tu_run(&o, &e, "ingest", "-q", "--db", s.db, out, NULL);
    ck_assert_msg(rc == 0, "ingest exit %d: %s", rc, e);
    free(o);
    free(e);
    /* the size is reached at a tunnel's slot: a few frames more, never fewer */
    int64_t frames = q_int(&s, "SELECT count(*) FROM ike_messages WHERE origin = 'pcap'");
    ck_assert_int_ge(frames, 60000);
    ck_assert_int_lt(frames, 60000 + 64);
    check_unparsed(&s);
    check_anchors(&s);
    ck_assert_int_eq(q_int(&s, "SELECT count(*) FROM events WHERE kind = 'dpd-down'"),
                     2 * (int64_t)json_array_size(json_object_get(s.expected, "incidents")));
    scen_free(&s);
}
END_TEST

Suite *scenarios_suite(void)
{
    Suite *s = suite_create("scenarios");
    TCase *tc = tcase_create("golden");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, every_scenario, 0, SCENARIO_COUNT);
    tcase_add_test(tc, tgz_like_tree);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, capture_directions_either_order);
    tcase_add_test(tc, capture_directions_many_local_addresses);
    tcase_add_test(tc, scale_small);
    suite_add_tcase(s, tc);
    return s;
}
