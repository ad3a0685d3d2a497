/*
 * batch_summary.c — what batch leaves in its output folder besides the reports: the job state
 * files (DIR/<name>.job: which input, its SHA-256, how the worker ended), which make a rerun
 * skip current reports, and the summary tables DIR/summary.jsonl and DIR/summary.csv, rebuilt
 * at the end from the reports and states of the run's jobs.
 *
 * Every file is written to a temporary name and renamed, so a reader (or a batch stopped
 * half-way) never sees half of one.
 */
#include "batch.h"
#include "textsafe.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_BUF 4352

static const char *job_status(const struct batch_job *job)
{
    if (job->state == JOB_FAILED)
        return "error";
    return job->exit_code == 1 ? "partial" : "ok";
}

/* Paths and log text are input bytes: valid UTF-8 for JSON, escaped where they are not. */
static json_t *safe_string(const char *s)
{
    if (!s)
        return json_null();
    char *t = ikm_text_safe_dup(s, strlen(s));
    json_t *v = t ? json_string(t) : NULL;
    free(t);
    return v ? v : json_null();
}

static int dump_renamed(json_t *o, const char *path)
{
    char tmp[PATH_BUF + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    if (json_dump_file(o, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int batch_state_write(const char *dir, const struct batch_job *job)
{
    char path[PATH_BUF];
    if (batch_path(path, sizeof path, dir, job, ".job") < 0)
        return -1;
    json_t *o = json_object();
    if (!o)
        return -1;
    json_object_set_new(o, "input", safe_string(job->input));
    json_object_set_new(o, "sha256", job->sha[0] ? json_string(job->sha) : json_null());
    json_object_set_new(o, "status", json_string(job_status(job)));
    json_object_set_new(o, "exit", job->exit_code >= 0 ? json_integer(job->exit_code) : json_null());
    json_object_set_new(o, "signal", job->signal ? json_integer(job->signal) : json_null());
    json_object_set_new(o, "timed_out", json_boolean(job->timed_out));
    json_object_set_new(o, "error", safe_string(job->error));
    json_object_set_new(o, "seconds", json_real(job->seconds));
    int rc = dump_renamed(o, path);
    json_decref(o);
    return rc;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int batch_state_current(const char *dir, struct batch_job *job, int need_db)
{
    char path[PATH_BUF];
    if (!job->sha[0] || batch_path(path, sizeof path, dir, job, ".json") < 0 || !is_file(path))
        return 0;
    if (need_db && (batch_path(path, sizeof path, dir, job, ".db") < 0 || !is_file(path)))
        return 0;
    if (batch_path(path, sizeof path, dir, job, ".job") < 0)
        return 0;
    json_t *o = json_load_file(path, 0, NULL);
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    const char *status = json_string_value(json_object_get(o, "status"));
    json_t *ex = json_object_get(o, "exit");
    int current = sha && status && strcmp(sha, job->sha) == 0 &&
                  (strcmp(status, "ok") == 0 || strcmp(status, "partial") == 0) && json_is_integer(ex);
    if (current) {
        job->exit_code = (int)json_integer_value(ex);
        job->seconds = json_number_value(json_object_get(o, "seconds"));
    }
    json_decref(o);
    return current;
}

/* ---- the summary ------------------------------------------------------------------------ */

struct row {
    const struct batch_job *job;
    char *device, *time, *kind, *gateway, *tunnel, *peer, *cause, *severity, *error;
    long long incident; /* 0: a row for the whole bundle */
    double score;
    int has_score;
    long long evidence; /* -1: none */
    const char *status;
    int rank; /* of the severity: critical 0 .. low 3, unknown or none 4 */
};

struct rows {
    struct row *v;
    size_t n, cap;
};

static struct row *new_row(struct rows *r, const struct batch_job *job, const char *status)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 128;
        struct row *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return NULL;
        r->v = v;
        r->cap = cap;
    }
    struct row *w = &r->v[r->n++];
    memset(w, 0, sizeof *w);
    w->job = job;
    w->status = status;
    w->evidence = -1;
    w->rank = 4;
    return w;
}

static char *dup_field(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? strdup(s) : NULL;
}

static int severity_rank(const char *cause, const char *sev)
{
    static const char *const order[] = {"critical", "high", "medium", "low"};
    if (!sev || !cause || strcmp(cause, "unknown") == 0) /* unknown says "nothing scored" */
        return 4;
    for (int i = 0; i < 4; i++)
        if (strcmp(sev, order[i]) == 0)
            return i;
    return 4;
}

/* The rows of one job: one per incident of its report, else one for the bundle. */
static int job_rows(struct rows *r, const char *dir, const struct batch_job *job)
{
    if (job->state == JOB_FAILED) {
        struct row *w = new_row(r, job, "error");
        if (!w)
            return -1;
        w->error = job->error ? strdup(job->error) : NULL;
        return 0;
    }
    char path[PATH_BUF];
    json_error_t je;
    json_t *rep = batch_path(path, sizeof path, dir, job, ".json") == 0 ? json_load_file(path, 0, &je) : NULL;
    if (!rep) {
        struct row *w = new_row(r, job, "error");
        if (!w)
            return -1;
        size_t n = strlen(path) + 200;
        w->error = malloc(n);
        if (w->error)
            snprintf(w->error, n, "report %s unreadable: %s", path, je.text);
        return 0;
    }
    const char *inc_status = job->exit_code == 1 ? "partial" : "ok";
    json_t *incs = json_object_get(rep, "incidents");
    size_t i;
    json_t *inc;
    int rc = 0;
    json_array_foreach(incs, i, inc) {
        struct row *w = new_row(r, job, inc_status);
        if (!w) {
            rc = -1;
            break;
        }
        json_t *rc_o = json_object_get(inc, "root_cause");
        w->incident = json_integer_value(json_object_get(inc, "id"));
        w->device = dup_field(inc, "device");
        w->time = dup_field(inc, "time");
        w->kind = dup_field(inc, "kind");
        w->gateway = dup_field(inc, "gateway");
        w->tunnel = dup_field(inc, "tunnel");
        w->peer = dup_field(inc, "peer");
        w->cause = dup_field(rc_o, "id");
        w->severity = dup_field(rc_o, "severity");
        json_t *sc = json_object_get(rc_o, "score");
        w->has_score = json_is_number(sc);
        w->score = json_number_value(sc);
        json_t *ev = json_object_get(rc_o, "evidence");
        w->evidence = json_is_array(ev) ? (long long)json_array_size(ev) : -1;
        w->rank = severity_rank(w->cause, w->severity);
    }
    if (rc == 0 && json_array_size(incs) == 0) {
        /* the bundle's only row; "partial" (with no root cause) when analyze could not read all */
        if (!new_row(r, job, job->exit_code == 1 ? "partial" : "no-incident"))
            rc = -1;
        else if (json_array_size(json_object_get(rep, "inputs")) > 0) {
            /* the device of the bundle, so a no-incident row still says which firewall */
            json_t *in0 = json_array_get(json_object_get(rep, "inputs"), 0);
            r->v[r->n - 1].device = dup_field(in0, "device");
        }
    }
    json_decref(rep);
    return rc;
}

static int cmp_row(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank - b->rank;
    if (!a->time != !b->time) /* rows with a time first */
        return a->time ? -1 : 1;
    int c = a->time ? strcmp(a->time, b->time) : 0;
    if (c)
        return c;
    if ((c = strcmp(a->job->name, b->job->name)) != 0)
        return c;
    return a->incident < b->incident ? -1 : a->incident > b->incident;
}

/* The fields of a row, in the column order of both tables; NULL is an empty CSV cell and a
 * JSON null. */
enum { C_BUNDLE, C_NAME, C_SHA, C_DEVICE, C_TIME, C_KIND, C_GATEWAY, C_TUNNEL, C_PEER, C_INCIDENT, C_CAUSE,
       C_SCORE, C_SEVERITY, C_EVIDENCE, C_STATUS, C_EXIT, C_SIGNAL, C_ERROR, C_REPORT, NCOLS };
static const char *const col_names[NCOLS] = {
    "bundle", "name",     "sha256",   "device", "time",   "kind", "gateway", "tunnel", "peer",  "incident",
    "root_cause", "score", "severity", "evidence", "status", "exit", "signal", "error", "report"};

static json_t *row_json(const struct row *w, const char *dir)
{
    const struct batch_job *j = w->job;
    json_t *o = json_object();
    if (!o)
        return NULL;
    char rep[PATH_BUF];
    int has_rep = strcmp(w->status, "error") != 0 && batch_path(rep, sizeof rep, dir, j, ".json") == 0;
    json_t *v[NCOLS] = {
        [C_BUNDLE] = safe_string(j->input),
        [C_NAME] = json_string(j->name),
        [C_SHA] = j->sha[0] ? json_string(j->sha) : json_null(),
        [C_DEVICE] = safe_string(w->device),
        [C_TIME] = safe_string(w->time),
        [C_KIND] = safe_string(w->kind),
        [C_GATEWAY] = safe_string(w->gateway),
        [C_TUNNEL] = safe_string(w->tunnel),
        [C_PEER] = safe_string(w->peer),
        [C_INCIDENT] = w->incident ? json_integer(w->incident) : json_null(),
        [C_CAUSE] = safe_string(w->cause),
        [C_SCORE] = w->has_score ? json_real(w->score) : json_null(),
        [C_SEVERITY] = safe_string(w->severity),
        [C_EVIDENCE] = w->evidence >= 0 ? json_integer(w->evidence) : json_null(),
        [C_STATUS] = json_string(w->status),
        [C_EXIT] = j->exit_code >= 0 ? json_integer(j->exit_code) : json_null(),
        [C_SIGNAL] = j->signal ? json_integer(j->signal) : json_null(),
        [C_ERROR] = safe_string(w->error),
        [C_REPORT] = has_rep ? safe_string(rep) : json_null(),
    };
    for (int c = 0; c < NCOLS; c++)
        json_object_set_new(o, col_names[c], v[c] ? v[c] : json_null());
    return o;
}

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, its quotes doubled. */
void batch_csv_field(FILE *f, const char *s, int is_text, int last)
{
    int formula = is_text && s && s[0] && strchr("=+-@\t\r", s[0]);
    if (s && (formula || s[strcspn(s, ",\"\r\n")])) {
        fputc('"', f);
        if (formula)
            fputc('\'', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else if (s) {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

static void csv_row(FILE *f, json_t *o)
{
    for (int c = 0; c < NCOLS; c++) {
        json_t *v = json_object_get(o, col_names[c]);
        char num[64];
        const char *s = NULL;
        if (json_is_string(v))
            s = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), s = num;
        else if (json_is_real(v))
            snprintf(num, sizeof num, "%.2f", json_real_value(v)), s = num;
        batch_csv_field(f, s, json_is_string(v), c == NCOLS - 1);
    }
}

static FILE *open_tmp(char *tmp, size_t len, const char *dir, const char *leaf)
{
    if (snprintf(tmp, len, "%s/%s.tmp", dir, leaf) >= (int)len)
        return NULL;
    return fopen(tmp, "wb");
}

static int close_rename(FILE *f, const char *tmp, const char *dir, const char *leaf, int ok)
{
    char path[PATH_BUF];
    ok = !ferror(f) && ok;
    ok = fclose(f) == 0 && ok;
    ok = ok && snprintf(path, sizeof path, "%s/%s", dir, leaf) < (int)sizeof path && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    return ok ? 0 : -1;
}

static void free_rows(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct row *w = &r->v[i];
        free(w->device), free(w->time), free(w->kind), free(w->gateway), free(w->tunnel);
        free(w->peer), free(w->cause), free(w->severity), free(w->error);
    }
    free(r->v);
}

long batch_write_summary(const char *dir, const struct batch_jobs *jobs, char *err, size_t errlen)
{
    struct rows r = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < jobs->n; i++) {
        enum batch_state s = jobs->v[i].state;
        if (s == JOB_DONE || s == JOB_SKIPPED || s == JOB_FAILED)
            rc = job_rows(&r, dir, &jobs->v[i]);
    }
    if (rc < 0) {
        snprintf(err, errlen, "out of memory building the summary");
        free_rows(&r);
        return -1;
    }
    qsort(r.v, r.n, sizeof *r.v, cmp_row);
    char tj[PATH_BUF], tc[PATH_BUF];
    FILE *fj = open_tmp(tj, sizeof tj, dir, "summary.jsonl");
    FILE *fc = fj ? open_tmp(tc, sizeof tc, dir, "summary.csv") : NULL;
    if (!fc) {
        snprintf(err, errlen, "cannot write the summary in %s: %s", dir, strerror(errno));
        if (fj) {
            fclose(fj);
            unlink(tj);
        }
        free_rows(&r);
        return -1;
    }
    for (int c = 0; c < NCOLS; c++)
        batch_csv_field(fc, col_names[c], 1, c == NCOLS - 1);
    int ok = 1;
    for (size_t i = 0; ok && i < r.n; i++) {
        json_t *o = row_json(&r.v[i], dir);
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
        ok = line && fputs(line, fj) >= 0 && fputc('\n', fj) != EOF;
        if (ok)
            csv_row(fc, o);
        free(line);
        json_decref(o);
    }
    int e = errno;
    ok = close_rename(fj, tj, dir, "summary.jsonl", ok) == 0 && ok;
    ok = close_rename(fc, tc, dir, "summary.csv", ok) == 0 && ok;
    long n = (long)r.n;
    free_rows(&r);
    if (!ok) {
        snprintf(err, errlen, "cannot write the summary in %s: %s", dir, strerror(e ? e : errno));
        return -1;
    }
    return n;
}
