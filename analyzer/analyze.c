/*
 * analyze.c — incidents → evidence → rules → ranked findings → report (see analyze.h).
 *
 * Ranking: the highest score is the root cause; ties go to the more severe rule, then to the
 * id (a stable order for tests and batch diffs). `unknown` runs only when nothing else scored,
 * and then says what the data lacks.
 */
#include "analyze.h"

#include "cli.h"
#include "dbexec.h"
#include "evidence.h"
#include "incidents.h"
#include "report.h"

#include "../parsers/timefmt.h"
#include "../rules/engine.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FINDING_MIN_SCORE 0.001

struct scored {
    const struct ikm_rule *rule;
    struct ikm_rule_result res;
};

static int severity_rank(const char *s)
{
    static const char *const order[] = {"critical", "high", "medium", "low"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return 4;
}

static int cmp_scored(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    if (x->res.score != y->res.score)
        return x->res.score > y->res.score ? -1 : 1;
    int sx = severity_rank(x->rule->severity), sy = severity_rank(y->rule->severity);
    if (sx != sy)
        return sx - sy;
    return strcmp(x->rule->id, y->rule->id);
}

static json_t *finding_json(const struct scored *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(s->rule->id));
    json_object_set_new(o, "title", json_string(s->rule->title));
    json_object_set_new(o, "score", json_real((double)(int)(s->res.score * 1000 + 0.5) / 1000.0));
    json_object_set_new(o, "severity", json_string(s->rule->severity));
    json_object_set_new(o, "summary", json_string(s->res.summary ? s->res.summary : s->rule->title));
    json_object_set_new(o, "remedy", json_string(s->rule->remedy));
    json_object_set(o, "evidence", s->res.evidence);
    return o;
}

/* What the analysis of one incident gives the report and the timeline. Made on whichever
 * connection analyzed it (an analysis thread's), used in incident order on the main one,
 * which alone writes. */
struct incident_result {
    json_t *inc;        /* the incident's report object */
    json_t *warn;       /* its own warnings (a rule stopped past its budget) */
    sqlite3_str *findings; /* the INSERTs of its findings */
    int explained;      /* its root cause is a rule's, not `unknown` */
    int disagree;       /* capture and debug lines disagree on its liveness */
};

static void result_free(struct incident_result *r)
{
    json_decref(r->inc);
    json_decref(r->warn);
    sqlite3_free(sqlite3_str_finish(r->findings));
    memset(r, 0, sizeof *r);
}

static void add_finding(sqlite3_str *q, int64_t incident, const struct scored *s, int rank)
{
    char *ev = json_dumps(s->res.evidence, JSON_COMPACT);
    sqlite3_str_appendf(q,
                        "INSERT INTO findings(incident_id, cause_id, score, rank, summary, evidence_json)"
                        " VALUES (%lld, %Q, %.3f, %d, %Q, %Q);",
                        (long long)incident, s->rule->id, s->res.score, rank,
                        s->res.summary ? s->res.summary : s->rule->title, ev ? ev : "[]");
    free(ev);
}

/* The device-local time of the incident, from the offset its anchor line was read with. */
static void local_time(sqlite3 *db, int64_t incident, int64_t ts_us, json_t *inc)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT e.ts_local_us - e.ts_us, e.tz_state FROM incidents i JOIN events e"
                           " ON e.id = i.anchor_event_id WHERE i.id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, incident);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t off = sqlite3_column_int64(st, 0);
        const char *state = (const char *)sqlite3_column_text(st, 1);
        char b[48];
        ikm_format_utc(ts_us + off, b, sizeof b);
        size_t n = strlen(b);
        long m = (long)(off / 60000000);
        if (n > 0)
            snprintf(b + n - 1, sizeof b - (n - 1), "%c%02ld:%02ld", m < 0 ? '-' : '+', labs(m) / 60, labs(m) % 60);
        json_object_set_new(inc, "local_time", json_string(b));
        json_object_set_new(inc, "local_time_assumed", json_boolean(state && strcmp(state, "assumed") == 0));
    }
    sqlite3_finalize(st);
}

/* shell-quotes s into buf ('…' with ' as '\'') */
static void shell_quote(const char *s, char *buf, size_t sz)
{
    size_t o = 0;
    if (sz < 3)
        return;
    buf[o++] = '\'';
    for (; *s && o + 5 < sz; s++) {
        if (*s == '\'') {
            memcpy(buf + o, "'\\''", 4);
            o += 4;
        } else {
            buf[o++] = *s;
        }
    }
    buf[o++] = '\'';
    buf[o] = 0;
}

/* The file tshark should read for a source: its own path, or for a bundle member the member's
 * path (the engineer extracts it first). */
static void tshark_file(sqlite3 *db, const char *src, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s", src);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT member FROM sources WHERE path = ?1 AND member IS NOT NULL LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* tshark display filters for the capture frames of the evidence, one per capture. */
static json_t *tshark_filters(sqlite3 *db, const json_t *findings_arr)
{
    json_t *by_source = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(findings_arr, i, f) {
        size_t j;
        json_t *ev;
        json_array_foreach(json_object_get(f, "evidence"), j, ev) {
            json_t *frame = json_object_get(ev, "frame");
            const char *src = json_string_value(json_object_get(ev, "source"));
            if (!json_is_integer(frame) || !src)
                continue;
            json_t *list = json_object_get(by_source, src);
            if (!list) {
                list = json_array();
                json_object_set_new(by_source, src, list);
            }
            int dup = 0;
            size_t k;
            json_t *x;
            json_array_foreach(list, k, x) dup |= json_integer_value(x) == json_integer_value(frame);
            if (!dup && json_array_size(list) < 64)
                json_array_append(list, frame);
        }
    }
    json_t *out = json_array();
    const char *src;
    json_t *list;
    json_object_foreach(by_source, src, list) {
        char filter[1024] = "frame.number in {";
        size_t k;
        json_t *x;
        json_array_foreach(list, k, x) {
            size_t n = strlen(filter);
            snprintf(filter + n, sizeof filter - n, "%s%lld", k ? " " : "", (long long)json_integer_value(x));
        }
        size_t n = strlen(filter);
        snprintf(filter + n, sizeof filter - n, "}");
        char file[1024];
        tshark_file(db, src, file, sizeof file);
        char qf[1200], qx[1200], cmd[2600];
        shell_quote(file, qf, sizeof qf);
        shell_quote(filter, qx, sizeof qx);
        snprintf(cmd, sizeof cmd, "tshark -r %s -Y %s", qf, qx);
        json_t *o = json_object();
        json_object_set_new(o, "source", json_string(src));
        json_object_set_new(o, "filter", json_string(filter));
        json_object_set_new(o, "command", ikm_json_text((const unsigned char *)cmd));
        json_array_append_new(out, o);
    }
    json_decref(by_source);
    return out;
}

static json_t *incident_header(sqlite3 *db, const struct ikm_incident_ctx *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "kind", json_string(c->kind));
    json_object_set_new(o, "time", ikm_json_time(c->ts_us));
    local_time(db, c->id, c->ts_us, o);
    const char *texts[][2] = {{"device", c->device}, {"gateway", c->gateway}, {"tunnel", c->tunnel}, {"peer", c->peer}};
    for (int k = 0; k < 4; k++)
        json_object_set_new(o, texts[k][0], texts[k][1][0] ? ikm_json_text((const unsigned char *)texts[k][1]) : json_null());
    json_t *w = json_object();
    json_object_set_new(w, "start", ikm_json_time(c->window_start_us));
    json_object_set_new(w, "end", ikm_json_time(c->window_end_us));
    json_object_set_new(o, "window", w);
    return o;
}

/* Runs the rules for one incident: root_cause/hypotheses in its report object, its findings'
 * INSERTs, and a warning for a rule stopped past its budget. */
static int rank_causes(sqlite3 *db, struct ikm_ruleset *rules, const struct ikm_incident_ctx *c,
                       struct incident_result *out, char *err, size_t errsz)
{
    json_t *inc = out->inc;
    struct scored *sc = calloc(rules->n ? rules->n : 1, sizeof *sc);
    if (!sc) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < rules->n && rc == 0; i++) {
        const struct ikm_rule *r = &rules->rules[i];
        if (strcmp(r->id, "unknown") == 0 || !ikm_rule_applies(r, c->kind))
            continue;
        struct ikm_rule_result res;
        int run = ikm_rule_run(r, db, c, &res, err, errsz);
        if (run < 0) {
            rc = -1;
            break;
        }
        if (run == 1) { /* over its time budget: it scores nothing here, and the report says so */
            json_array_append_new(out->warn, ikm_json_text((const unsigned char *)err));
            continue;
        }
        if (res.score >= FINDING_MIN_SCORE) {
            sc[n].rule = r;
            sc[n++].res = res;
        } else {
            ikm_rule_result_free(&res);
        }
    }
    const struct ikm_rule *unknown = ikm_rules_find(rules, "unknown");
    if (rc == 0 && n == 0 && unknown) {
        if (ikm_rule_run(unknown, db, c, &sc[0].res, err, errsz) != 0)
            rc = -1;
        else {
            sc[0].rule = unknown;
            n = 1;
        }
    }
    if (rc == 0) {
        qsort(sc, n, sizeof *sc, cmp_scored);
        json_t *hyp = json_array(), *all = json_array();
        for (size_t i = 0; i < n && rc == 0; i++) {
            json_t *f = finding_json(&sc[i]);
            json_array_append(all, f);
            if (i == 0)
                json_object_set_new(inc, "root_cause", f);
            else
                json_array_append_new(hyp, f);
            add_finding(out->findings, c->id, &sc[i], (int)i + 1);
        }
        if (sqlite3_str_errcode(out->findings) != SQLITE_OK) {
            snprintf(err, errsz, "out of memory");
            rc = -1;
        }
        if (n == 0) /* no unknown rule (overridden away): still a root cause */
            json_object_set_new(inc, "root_cause", json_pack("{s:s, s:s, s:f, s:s, s:s, s:s, s:[]}", "id", "unknown",
                                                             "title", "No rule scored", "score", 0.0, "severity",
                                                             "low", "summary", "no rule scored", "remedy", "", "evidence"));
        json_object_set_new(inc, "hypotheses", hyp);
        json_object_set_new(inc, "tshark", tshark_filters(db, all));
        json_decref(all);
        out->explained = n > 0 && strcmp(sc[0].rule->id, "unknown") != 0;
    }
    for (size_t i = 0; i < n; i++)
        ikm_rule_result_free(&sc[i].res);
    free(sc);
    return rc;
}

#define WARNINGS_PER_KIND_MAX 100 /* repeated warnings about incidents: the rest are counted */

static json_t *input_warnings(sqlite3 *db)
{
    json_t *w = json_array();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT path FROM sources WHERE tz_assumed ORDER BY id", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            char *p = sqlite3_mprintf("%s: no time zone known (no offset in the lines, no device zone, no --tz):"
                                      " its local times were taken as UTC",
                                      sqlite3_column_text(st, 0));
            json_array_append_new(w, ikm_json_text((const unsigned char *)p));
            sqlite3_free(p);
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT d.path, d.check_name, d.severity, COUNT(*), MIN(NULLIF(d.line, 0)),"
                           " (SELECT m.message FROM diagnostics m WHERE m.path = d.path AND m.check_name = d.check_name"
                           "  AND m.severity = d.severity ORDER BY m.id LIMIT 1)"
                           " FROM diagnostics d GROUP BY d.path, d.check_name, d.severity ORDER BY MIN(d.id)",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            /* one line per file and problem: how often, where first, and what the first said */
            char where[48] = "";
            if (sqlite3_column_type(st, 4) != SQLITE_NULL)
                snprintf(where, sizeof where, " (first at line %lld)", (long long)sqlite3_column_int64(st, 4));
            int n = sqlite3_column_int(st, 3);
            char times[24] = "";
            if (n > 1)
                snprintf(times, sizeof times, " x%d", n);
            char *p = sqlite3_mprintf("%s: %s '%s'%s: %s%s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 2),
                                      sqlite3_column_text(st, 1), times, sqlite3_column_text(st, 5), where);
            json_array_append_new(w, ikm_json_text((const unsigned char *)p));
            sqlite3_free(p);
        }
        sqlite3_finalize(st);
    }
    return w;
}

static int feed(const struct ikm_report_sink *sinks, size_t n, int which, const json_t *v)
{
    for (size_t i = 0; i < n; i++) {
        int (*f)(void *, const json_t *) = which == 0 ? sinks[i].begin : which == 1 ? sinks[i].incident : sinks[i].end;
        if (f && f(sinks[i].ctx, v) < 0)
            return -1;
    }
    return 0;
}

/* Analyzes incident `id` on db (any connection with the evidence functions and tables, and
 * rules prepared on it). */
static int analyze_incident(sqlite3 *db, struct ikm_ruleset *rules, int64_t id, struct incident_result *r, char *err,
                            size_t errsz)
{
    memset(r, 0, sizeof *r);
    r->warn = json_array();
    r->findings = sqlite3_str_new(NULL);
    struct ikm_incident_ctx c;
    if (ikm_evidence_prepare(db, id, &c, err, errsz) < 0)
        return -1;
    r->inc = incident_header(db, &c);
    int rc = rank_causes(db, rules, &c, r, err, errsz);
    if (rc == 0)
        rc = ikm_report_incident_facts(db, &c, r->inc);
    r->disagree = c.disagree;
    return rc;
}

/* The main thread's side: stores an incident's findings and hands it to the report, in
 * incident order. */
struct report_feed {
    sqlite3 *db;
    const struct ikm_report_sink *sinks;
    size_t nsinks;
    json_t *warn;
    long disagreements;
    struct ikm_analysis_stats *st;
};

static int use_result(struct report_feed *f, int64_t id, const struct incident_result *r, char *err, size_t errsz)
{
    const char *sql = sqlite3_str_value(r->findings);
    if (sql && sqlite3_exec(f->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "findings: %s", sqlite3_errmsg(f->db));
        return -1;
    }
    size_t i;
    json_t *w;
    json_array_foreach(r->warn, i, w) if (json_array_size(f->warn) < 1000) json_array_append(f->warn, w);
    if (r->disagree && ++f->disagreements <= WARNINGS_PER_KIND_MAX) {
        char b[200];
        snprintf(b, sizeof b, "incident %lld: the capture and ikemgr's debug lines disagree on the liveness"
                 " requests (see liveness.by_source)", (long long)id);
        json_array_append_new(f->warn, json_string(b));
    }
    if (feed(f->sinks, f->nsinks, 1, r->inc) < 0) {
        snprintf(err, errsz, "analysis: the report could not be written");
        return -1;
    }
    f->st->incidents++;
    if (r->explained)
        f->st->explained++;
    else
        f->st->unknown++;
    return 0;
}

/* ---- incidents on several connections --------------------------------------------------------
 * After the timeline is read, the analysis of a 1 GiB log's 109 incidents ran on one core for
 * a tenth of the whole time (its rules read the hour before each incident). Each incident's
 * analysis only reads, into its connection's temp tables, so threads with connections of their
 * own analyze incidents side by side; the main thread writes their findings and feeds the
 * report in incident order, holding at most RESULTS_AHEAD results that wait for an earlier
 * one. Its findings stay in its cache until it commits them (writing pages to the file needs
 * the lock the threads' reads share), so every COMMIT_EVERY incidents it pauses the threads
 * between two incidents and commits: memory does not grow with the incidents. */
#define ANALYSIS_THREADS_MAX 4
#define RESULTS_AHEAD 4
#define COMMIT_EVERY 8

struct slot {
    struct incident_result r;
    int ready, rc;
    char err[512];
};

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const int64_t *ids;
    size_t n, next, used; /* incidents; the next to take; those the main thread used */
    struct slot slots[RESULTS_AHEAD];
    int stop;
    int pause;  /* no incident is taken while set */
    int busy;   /* threads analyzing an incident now */
    const char *path;
    const struct ikm_ruleset *rules;
    ikm_stmt_trace trace;
};

static void *analysis_thread(void *arg)
{
    struct pool *p = arg;
    char setup_err[512] = "";
    sqlite3 *db = NULL;
    struct ikm_ruleset rules = {0};
    if (sqlite3_open_v2(p->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(setup_err, sizeof setup_err, "analysis: %s: %s", p->path, db ? sqlite3_errmsg(db) : "cannot open");
    } else {
        sqlite3_busy_timeout(db, 5000);
        if (p->trace)
            sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, p->trace, NULL);
        if (ikm_evidence_init(db, setup_err, sizeof setup_err) == 0) /* else setup_err says why */
            ikm_rules_share(p->rules, &rules, db, setup_err, sizeof setup_err);
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->next < p->n && (p->pause || p->next >= p->used + RESULTS_AHEAD))
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop || p->next >= p->n)
            break;
        size_t k = p->next++;
        p->busy++;
        pthread_mutex_unlock(&p->mu);
        struct slot s = {.rc = -1};
        if (setup_err[0])
            snprintf(s.err, sizeof s.err, "%s", setup_err);
        else if (ikm_db_execf(db, "analysis", s.err, sizeof s.err, "BEGIN") == 0) {
            /* one read transaction per incident, ended before the main thread may commit:
             * one statement after another, each took and dropped the file's lock and looked
             * for a journal (18 000 stat calls for 218 incidents) */
            s.rc = analyze_incident(db, &rules, p->ids[k], &s.r, s.err, sizeof s.err);
            if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
        pthread_mutex_lock(&p->mu);
        s.ready = 1;
        p->slots[k % RESULTS_AHEAD] = s;
        p->busy--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    ikm_rules_unshare(&rules);
    sqlite3_close(db);
    return NULL;
}

/* How many connections analyze incidents: IKM_ANALYSIS_THREADS, else one per core (at most
 * ANALYSIS_THREADS_MAX); 1 analyzes on the main connection. */
static int analysis_threads(void)
{
    const char *e = getenv("IKM_ANALYSIS_THREADS");
    long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > ANALYSIS_THREADS_MAX ? ANALYSIS_THREADS_MAX : (int)n;
}

static int analyze_in_threads(struct report_feed *f, const char *path, const struct ikm_ruleset *rules,
                              ikm_stmt_trace trace, const int64_t *ids, size_t n, int nthreads, char *err,
                              size_t errsz)
{
    struct pool p = {.ids = ids, .n = n, .path = path, .rules = rules, .trace = trace};
    pthread_t th[ANALYSIS_THREADS_MAX];
    int started = 0, rc = 0;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[started], NULL, analysis_thread, &p) == 0)
            started++;
    if (!started) {
        snprintf(err, errsz, "analysis: no thread could start");
        rc = -1;
    }
    for (size_t k = 0; k < n && rc == 0; k++) {
        struct slot *s = &p.slots[k % RESULTS_AHEAD];
        pthread_mutex_lock(&p.mu);
        while (!s->ready)
            pthread_cond_wait(&p.cv, &p.mu);
        struct slot mine = *s;
        s->ready = 0;
        p.used = k + 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        if (mine.rc < 0) {
            snprintf(err, errsz, "%s", mine.err);
            rc = -1;
        } else {
            rc = use_result(f, ids[k], &mine.r, err, errsz);
        }
        result_free(&mine.r);
        if (rc == 0 && (k + 1) % COMMIT_EVERY == 0 && k + 1 < n) {
            pthread_mutex_lock(&p.mu);
            p.pause = 1;
            while (p.busy)
                pthread_cond_wait(&p.cv, &p.mu);
            pthread_mutex_unlock(&p.mu);
            rc = ikm_db_execf(f->db, "analysis", err, errsz, "COMMIT; BEGIN");
            pthread_mutex_lock(&p.mu);
            p.pause = 0;
            pthread_cond_broadcast(&p.cv);
            pthread_mutex_unlock(&p.mu);
        }
    }
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < RESULTS_AHEAD; i++) /* made, not used (a failure stopped the rest) */
        if (p.slots[i].ready)
            result_free(&p.slots[i].r);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

/* The incidents in report order (time, then id). */
static int64_t *incident_ids(sqlite3 *db, size_t *n, char *err, size_t errsz)
{
    *n = 0;
    size_t cap = 0;
    int64_t *ids = NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id FROM incidents ORDER BY ts_us, id", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "analysis: %s", sqlite3_errmsg(db));
        return NULL;
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *nids = realloc(ids, cap * sizeof *ids);
            if (!nids) {
                r = SQLITE_NOMEM;
                break;
            }
            ids = nids;
        }
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (r != SQLITE_DONE) {
        snprintf(err, errsz, "analysis: %s", r == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        free(ids);
        return NULL;
    }
    if (!ids) /* none: an empty list, not a failure */
        ids = malloc(sizeof *ids);
    if (!ids)
        snprintf(err, errsz, "out of memory");
    return ids;
}

int ikm_analyze(sqlite3 *db, struct ikm_ruleset *rules, const struct ikm_report_sink *sinks, size_t nsinks,
                ikm_stmt_trace trace, struct ikm_analysis_stats *st, char *err, size_t errsz)
{
    memset(st, 0, sizeof *st);
    if (ikm_evidence_init(db, err, errsz) < 0 || ikm_rules_prepare(rules, db, err, errsz) < 0)
        return -1;
    /* the incidents are committed before they are analyzed: the analysis threads' connections
     * read them */
    if (ikm_db_execf(db, "analysis", err, errsz, "BEGIN") < 0)
        return -1;
    struct ikm_incident_stats is;
    int rc = ikm_incidents_build(db, &is, err, errsz);
    if (ikm_db_execf(db, "analysis", err, rc == 0 ? errsz : 0, rc == 0 ? "COMMIT" : "ROLLBACK") < 0)
        rc = -1;
    json_t *warn = input_warnings(db);
    size_t n = 0;
    int64_t *ids = rc == 0 ? incident_ids(db, &n, err, errsz) : NULL;
    if (!ids)
        rc = -1;
    if (rc == 0) {
        json_t *head = json_object();
        json_object_set_new(head, "schema_version", json_string(IKM_REPORT_SCHEMA_VERSION));
        json_object_set_new(head, "tool", json_pack("{s:s, s:s}", "name", "ikemortem", "version", IKM_VERSION));
        json_object_set_new(head, "inputs", ikm_report_inputs(db));
        json_object_set_new(head, "incident_count", json_integer((json_int_t)n));
        if (feed(sinks, nsinks, 0, head) < 0) {
            snprintf(err, errsz, "analysis: the report could not be written");
            rc = -1;
        }
        json_decref(head);
    }
    struct report_feed f = {db, sinks, nsinks, warn, 0, st};
    const char *path = sqlite3_db_filename(db, "main");
    int nthreads = n > 1 && path && *path ? analysis_threads() : 1;
    /* while the threads read, the findings stay in this connection's cache: writing pages
     * out before the commit would need the lock their reads hold */
    if (rc == 0 && (ikm_db_execf(db, "analysis", err, errsz, "BEGIN") < 0 ||
                    (nthreads > 1 && ikm_db_execf(db, "analysis", err, errsz, "PRAGMA cache_spill = OFF") < 0)))
        rc = -1;
    if (rc == 0 && nthreads > 1) {
        rc = analyze_in_threads(&f, path, rules, trace, ids, n, nthreads, err, errsz);
    } else {
        for (size_t k = 0; k < n && rc == 0; k++) {
            struct incident_result r;
            rc = analyze_incident(db, rules, ids[k], &r, err, errsz);
            if (rc == 0)
                rc = use_result(&f, ids[k], &r, err, errsz);
            result_free(&r);
        }
    }
    free(ids);
    if (sqlite3_get_autocommit(db) == 0 &&
        ikm_db_execf(db, "analysis", err, rc == 0 ? errsz : 0, rc == 0 ? "COMMIT" : "ROLLBACK") < 0)
        rc = -1;
    if (nthreads > 1)
        sqlite3_exec(db, "PRAGMA cache_spill = ON", NULL, NULL, NULL);
    if (rc == 0) {
        if (f.disagreements > WARNINGS_PER_KIND_MAX) {
            char b[160];
            snprintf(b, sizeof b, "%ld more incidents where the capture and the debug lines disagree",
                     f.disagreements - WARNINGS_PER_KIND_MAX);
            json_array_append_new(warn, json_string(b));
        }
        json_t *tail = json_object();
        json_object_set_new(tail, "recurrence", ikm_report_recurrence(db));
        json_object_set_new(tail, "checklist", ikm_report_checklist(db));
        json_object_set(tail, "warnings", warn);
        if (feed(sinks, nsinks, 2, tail) < 0) {
            snprintf(err, errsz, "analysis: the report could not be written");
            rc = -1;
        }
        json_decref(tail);
    }
    json_decref(warn);
    return rc;
}
