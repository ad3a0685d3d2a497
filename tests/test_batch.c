/*
 * test_batch.c — `ikemortem batch` end to end: a queue of 40 generated bundles (IKM_GEN) of
 * every kind batch takes (archives in a folder, a list file, unpacked folders) with four broken
 * ones (truncated, empty, random bytes, a hostile archive), analyzed with -j 2: every good
 * bundle's rows carry its own `analyze --json` verdict, the broken ones are error rows; a rerun
 * redoes nothing, --force redoes all; a batch stopped by SIGINT leaves only valid reports and a
 * rerun finishes it without redoing them. Also: names, lists on stdin, timeouts, usage.
 */
#include "testutil.h"

#include "../analyzer/batch.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define P 1024
#define OLD_MTIME 946684800 /* 2000-01-01: a log still this old was not rewritten */

static const char *gen_bin(void)
{
    const char *g = getenv("IKM_GEN");
    ck_assert_msg(g && *g, "IKM_GEN is not set (run through make check)");
    return g;
}

/* A path (or other short text) of at most P bytes; one that does not fit fails the test. */
static void pf(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pf(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, P, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && n < P, "path too long: %s", dst);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4 * P];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* The single archive the generator packed into dir (or the first of two peers' archives). */
static void first_tgz(const char *dir, char *out, size_t len, int which)
{
    struct dirent **e;
    int n = scandir(dir, &e, NULL, alphasort), k = 0;
    ck_assert_int_ge(n, 0);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(e[i]->d_name);
        if (l > 4 && strcmp(e[i]->d_name + l - 4, ".tgz") == 0 && k++ == which)
            snprintf(out, len, "%s/%s", dir, e[i]->d_name);
        free(e[i]);
    }
    free(e);
    ck_assert_msg(out[0], "no archive %d in %s", which, dir);
}

/* Spawns the binary with argv (NULL-terminated), stdin from in_path (or /dev/null), stderr
 * to err_path; returns the pid. */
static pid_t spawn(char *const *argv, const char *in_path, const char *err_path)
{
    const char *bin = getenv("IKM_BIN");
    ck_assert_ptr_nonnull(bin);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int o = open("/dev/null", O_WRONLY);
        if (in < 0 || e < 0 || o < 0)
            _exit(127);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        char *args[32];
        int n = 0;
        args[n++] = (char *)bin;
        for (int i = 0; argv[i] && n < 31; i++)
            args[n++] = argv[i];
        args[n] = NULL;
        execv(bin, args);
        _exit(127);
    }
    return pid;
}

static int wait_rc(pid_t pid)
{
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st), "batch ended by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    b[fread(b, 1, (size_t)n, f)] = 0;
    fclose(f);
    return b;
}

/* "N bundles: A analyzed (P partial), S skipped (report current), F failed" */
struct counts {
    int total, analyzed, partial, skipped, failed;
};

static struct counts counts_of(const char *err)
{
    struct counts c;
    const char *p = strstr(err, "ikemortem batch: ");
    ck_assert_msg(p != NULL, "no closing line in:\n%s", err);
    ck_assert_msg(sscanf(p, "ikemortem batch: %d bundles: %d analyzed (%d partial), %d skipped (report current), %d failed",
                         &c.total, &c.analyzed, &c.partial, &c.skipped, &c.failed) == 5,
                  "closing line: %s", p);
    return c;
}

static json_t *load_jsonl(const char *path)
{
    char *text = slurp(path);
    json_t *rows = json_array();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        ck_assert_msg(o != NULL, "%s: %s: %s", path, je.text, line);
        json_array_append_new(rows, o);
    }
    free(text);
    return rows;
}

static const char *s_of(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* RFC 4180 reader: the records of a CSV file as arrays of strings. */
static json_t *load_csv(const char *path)
{
    char *t = slurp(path), *p = t;
    json_t *recs = json_array(), *rec = json_array();
    char *field = malloc(strlen(t) + 1);
    size_t n = 0;
    while (*p) {
        if (*p == '"') {
            for (p++;; p++) {
                ck_assert_msg(*p, "%s: unterminated quote", path);
                if (*p == '"' && p[1] == '"')
                    field[n++] = '"', p++;
                else if (*p == '"')
                    break;
                else
                    field[n++] = *p;
            }
            p++;
        } else {
            while (*p && *p != ',' && *p != '\r' && *p != '\n')
                field[n++] = *p++;
        }
        field[n] = 0;
        json_array_append_new(rec, json_string(field));
        n = 0;
        if (*p == ',') {
            p++;
            continue;
        }
        ck_assert_msg(p[0] == '\r' && p[1] == '\n', "%s: a record must end in CRLF", path);
        p += 2;
        json_array_append_new(recs, rec);
        rec = json_array();
    }
    json_decref(rec);
    free(field);
    free(t);
    return recs;
}

static int sev_rank(const json_t *row)
{
    static const char *const order[] = {"critical", "high", "medium", "low"};
    if (strcmp(s_of(row, "root_cause"), "unknown") == 0)
        return 4;
    for (int i = 0; i < 4; i++)
        if (strcmp(s_of(row, "severity"), order[i]) == 0)
            return i;
    return 4;
}

/* Rows are sorted by severity, then time (rows without a time last). */
static void check_sorted(const json_t *rows)
{
    for (size_t i = 1; i < json_array_size(rows); i++) {
        const json_t *a = json_array_get(rows, i - 1), *b = json_array_get(rows, i);
        ck_assert_msg(sev_rank(a) <= sev_rank(b), "row %zu: severity order", i);
        if (sev_rank(a) == sev_rank(b) && *s_of(b, "time"))
            ck_assert_msg(*s_of(a, "time") && strcmp(s_of(a, "time"), s_of(b, "time")) <= 0, "row %zu: time order", i);
    }
}

/* The CSV holds exactly the JSONL rows, field for field. */
static void check_csv(const char *dir, const json_t *rows)
{
    char path[P];
    pf(path, "%s/summary.csv", dir);
    json_t *recs = load_csv(path);
    ck_assert_uint_eq(json_array_size(recs), json_array_size(rows) + 1);
    json_t *head = json_array_get(recs, 0);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *rec = json_array_get(recs, i + 1);
        ck_assert_uint_eq(json_array_size(rec), json_object_size(row));
        for (size_t c = 0; c < json_array_size(head); c++) {
            const char *col = json_string_value(json_array_get(head, c));
            json_t *v = json_object_get(row, col);
            ck_assert_msg(v != NULL, "CSV column %s not in the JSONL", col);
            char want[2048];
            if (json_is_string(v))
                pf(want, "%s", json_string_value(v));
            else if (json_is_integer(v))
                pf(want, "%lld", (long long)json_integer_value(v));
            else if (json_is_real(v))
                pf(want, "%.2f", json_real_value(v));
            else
                want[0] = 0;
            ck_assert_msg(strcmp(json_string_value(json_array_get(rec, c)), want) == 0, "CSV row %zu %s: '%s' != '%s'",
                          i, col, json_string_value(json_array_get(rec, c)), want);
        }
    }
    json_decref(recs);
}

/* No temporary left: *.tmp*, and no worker scratch folder; every report is valid JSON.
 * Returns the number of reports. */
static int check_dir_clean(const char *dir)
{
    struct dirent **e;
    int n = scandir(dir, &e, NULL, alphasort), reports = 0;
    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++) {
        const char *name = e[i]->d_name;
        size_t l = strlen(name);
        ck_assert_msg(!strstr(name, ".tmp") && !(l > 5 && strcmp(name + l - 5, ".work") == 0), "%s/%s left", dir,
                      name);
        if (l > 5 && strcmp(name + l - 5, ".json") == 0) {
            char p[P];
            pf(p, "%s/%s", dir, name);
            json_error_t je;
            json_t *r = json_load_file(p, 0, &je);
            ck_assert_msg(r != NULL && json_is_array(json_object_get(r, "incidents")), "%s: %s", p, je.text);
            json_decref(r);
            reports++;
        }
        free(e[i]);
    }
    free(e);
    return reports;
}

/* Sets every log's mtime back to 2000, so a rerun that rewrites one is seen. */
static void age_logs(const char *dir)
{
    struct dirent **e;
    int n = scandir(dir, &e, NULL, alphasort);
    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(e[i]->d_name);
        if (l > 4 && strcmp(e[i]->d_name + l - 4, ".log") == 0) {
            char p[P];
            pf(p, "%s/%s", dir, e[i]->d_name);
            struct timespec ts[2] = {{OLD_MTIME, 0}, {OLD_MTIME, 0}};
            ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
        }
        free(e[i]);
    }
    free(e);
}

static int log_is_old(const char *dir, const char *name)
{
    char p[P];
    pf(p, "%s/%s.log", dir, name);
    struct stat st;
    ck_assert_msg(stat(p, &st) == 0, "%s: %s", p, strerror(errno));
    return st.st_mtime == OLD_MTIME;
}

/* A hostile archive: one member that climbs out ("../evil"). */
static void write_hostile(const char *path)
{
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    static const char body[] = "2024-01-01 00:00:00 evil\n";
    archive_entry_set_pathname(e, "../evil");
    archive_entry_set_size(e, sizeof body - 1);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_data(a, body, sizeof body - 1), (la_ssize_t)(sizeof body - 1));
    archive_entry_free(e);
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* ---- the queue -------------------------------------------------------------------------- */

#define MAX_Q 48
struct queue {
    char root[P], folder[P], list[P], dirs[2][P];
    char good[MAX_Q][P]; /* each good bundle's path exactly as batch names it in "bundle" */
    int ngood;
    char bad[4][P];
};

static void build_queue(struct queue *q)
{
    memset(q, 0, sizeof *q);
    pf(q->root, "%s", tu_path("batchq"));
    pf(q->folder, "%s/queue", q->root);
    sh("rm -rf '%s' && mkdir -p '%s'", q->root, q->folder);
    /* seed 1 of every scenario, packed, into one folder of bundles */
    char cmd[P], line[256];
    pf(cmd, "'%s' list", gen_bin());
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char names[64][64];
    int nn = 0;
    while (nn < 64 && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0])
            snprintf(names[nn++], sizeof names[0], "%.63s", line);
    }
    pclose(p);
    ck_assert_int_ge(nn, 28);
    nn = 28; /* the count below is exact: 28 scenarios, one with two peers */
    for (int i = 0; i < nn; i++) {
        char g[P], tgz[P];
        pf(g, "%s/gen-%s-1", q->root, names[i]);
        sh("'%s' '%s' '%s' --seed 1 --tgz >/dev/null", gen_bin(), names[i], g);
        for (int k = 0; k < 2; k++) {
            if (k == 1 && strcmp(names[i], "two-peers") != 0)
                break;
            first_tgz(g, tgz, P, 0); /* the one before was moved away */
            char dst[P];
            pf(dst, "%s/%s%s.tgz", q->folder, names[i], k ? "-b" : "");
            ck_assert_int_eq(rename(tgz, dst), 0);
            pf(q->good[q->ngood++], "%s", dst);
        }
    }
    /* seed 2 of five scenarios, each as <scenario>/techsupport.tgz (one base name for all),
     * listed in a text file */
    static const char *const listed[] = {"route-change", "link-down", "peer-restarted", "healthy", "recurrence"};
    pf(q->list, "%s/list.txt", q->root);
    FILE *lf = fopen(q->list, "w");
    ck_assert_ptr_nonnull(lf);
    fputs("# bundles from the queue\n\n", lf);
    for (int i = 0; i < 5; i++) {
        char g[P], tgz[P], dst[P];
        pf(g, "%s/gen-%s-2", q->root, listed[i]);
        sh("'%s' '%s' '%s' --seed 2 --tgz >/dev/null", gen_bin(), listed[i], g);
        first_tgz(g, tgz, P, 0);
        pf(dst, "%s/%s/techsupport.tgz", q->root, listed[i]);
        sh("mkdir -p '%s/%s'", q->root, listed[i]);
        ck_assert_int_eq(rename(tgz, dst), 0);
        fprintf(lf, "%s\r\n", dst);
        pf(q->good[q->ngood++], "%s", dst);
    }
    fclose(lf);
    /* two unpacked bundles, given as folders */
    static const char *const unpacked[] = {"one-way-loss", "p1-auth-failure"};
    for (int i = 0; i < 2; i++) {
        pf(q->dirs[i], "%s/unpacked-%s", q->root, unpacked[i]);
        sh("'%s' '%s' '%s' --seed 3 >/dev/null", gen_bin(), unpacked[i], q->dirs[i]);
        pf(q->good[q->ngood++], "%s", q->dirs[i]);
    }
    ck_assert_int_eq(q->ngood, 36);
    /* four broken ones in the folder: truncated, empty, random bytes, hostile */
    pf(q->bad[0], "%s/truncated.tgz", q->folder);
    /* cut inside the gzip header: nothing decompresses (a longer cut is read up to the cut and
     * is a "partial" row, not an error) */
    sh("head -c 20 '%s' > '%s'", q->good[0], q->bad[0]);
    pf(q->bad[1], "%s/empty.tgz", q->folder);
    sh(": > '%s'", q->bad[1]);
    pf(q->bad[2], "%s/random.tgz", q->folder);
    unsigned char rnd[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    FILE *rf = fopen(q->bad[2], "wb");
    ck_assert_ptr_nonnull(rf);
    fwrite(rnd, 1, sizeof rnd, rf);
    fclose(rf);
    pf(q->bad[3], "%s/hostile.tgz", q->folder);
    write_hostile(q->bad[3]);
}

/* The batch's rows of one bundle. */
static json_t *rows_of(const json_t *rows, const char *bundle)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) if (strcmp(s_of(r, "bundle"), bundle) == 0) json_array_append(out, r);
    return out;
}

/* Every good bundle's rows say what `analyze --json` says of it alone; broken ones are errors. */
static void check_rows(const struct queue *q, const char *out, const json_t *rows)
{
    size_t total = 0;
    for (int g = 0; g < q->ngood; g++) {
        char *o = NULL;
        int rc = tu_run(&o, NULL, "analyze", "--json", q->good[g], NULL);
        ck_assert_msg(rc == 0 || rc == 1, "%s: analyze exit %d", q->good[g], rc);
        json_error_t je;
        json_t *rep = json_loads(o, 0, &je);
        ck_assert_msg(rep != NULL, "%s: %s", q->good[g], je.text);
        free(o);
        json_t *incs = json_object_get(rep, "incidents");
        json_t *mine = rows_of(rows, q->good[g]);
        size_t ni = json_array_size(incs);
        ck_assert_msg(json_array_size(mine) == (ni ? ni : 1), "%s: %zu rows for %zu incidents", q->good[g],
                      json_array_size(mine), ni);
        total += json_array_size(mine);
        size_t i;
        json_t *inc;
        json_array_foreach(incs, i, inc) {
            json_t *row = NULL;
            size_t k;
            json_t *r;
            json_array_foreach(mine, k, r) if (json_integer_value(json_object_get(r, "incident")) ==
                                               json_integer_value(json_object_get(inc, "id"))) row = r;
            ck_assert_msg(row != NULL, "%s: no row for incident %lld", q->good[g],
                          (long long)json_integer_value(json_object_get(inc, "id")));
            json_t *rc_o = json_object_get(inc, "root_cause");
            ck_assert_str_eq(s_of(row, "root_cause"), s_of(rc_o, "id"));
            ck_assert_str_eq(s_of(row, "severity"), s_of(rc_o, "severity"));
            ck_assert_str_eq(s_of(row, "time"), s_of(inc, "time"));
            ck_assert_str_eq(s_of(row, "kind"), s_of(inc, "kind"));
            ck_assert_str_eq(s_of(row, "device"), s_of(inc, "device"));
            ck_assert_str_eq(s_of(row, "gateway"), s_of(inc, "gateway"));
            ck_assert_str_eq(s_of(row, "tunnel"), s_of(inc, "tunnel"));
            ck_assert_str_eq(s_of(row, "peer"), s_of(inc, "peer"));
            ck_assert_double_eq_tol(json_real_value(json_object_get(row, "score")),
                                    json_number_value(json_object_get(rc_o, "score")), 1e-6);
            ck_assert_int_eq(json_integer_value(json_object_get(row, "evidence")),
                             (long long)json_array_size(json_object_get(rc_o, "evidence")));
            ck_assert_str_eq(s_of(row, "status"), rc == 1 ? "partial" : "ok");
        }
        json_t *r0 = json_array_get(mine, 0);
        if (ni == 0) {
            ck_assert_str_eq(s_of(r0, "status"), rc == 1 ? "partial" : "no-incident");
            ck_assert_str_eq(s_of(r0, "root_cause"), "");
        }
        ck_assert_int_eq(json_integer_value(json_object_get(r0, "exit")), rc);
        ck_assert_uint_eq(strlen(s_of(r0, "sha256")), 64);
        /* the report batch kept is that bundle's report */
        char rp[P];
        pf(rp, "%s/%s.json", out, s_of(r0, "name"));
        ck_assert_str_eq(s_of(r0, "report"), rp);
        json_t *kept = json_load_file(rp, 0, &je);
        ck_assert_msg(kept != NULL, "%s: %s", rp, je.text);
        ck_assert_uint_eq(json_array_size(json_object_get(kept, "incidents")), ni);
        json_decref(kept);
        json_decref(mine);
        json_decref(rep);
    }
    for (int b = 0; b < 4; b++) {
        json_t *mine = rows_of(rows, q->bad[b]);
        ck_assert_msg(json_array_size(mine) == 1, "%s: %zu rows", q->bad[b], json_array_size(mine));
        json_t *r = json_array_get(mine, 0);
        ck_assert_str_eq(s_of(r, "status"), "error");
        ck_assert_int_eq(json_integer_value(json_object_get(r, "exit")), 3);
        ck_assert_msg(strstr(s_of(r, "error"), q->bad[b]) != NULL, "%s: error '%s' does not name it", q->bad[b],
                      s_of(r, "error"));
        ck_assert(json_is_null(json_object_get(r, "report")));
        total++;
        json_decref(mine);
    }
    ck_assert_uint_eq(total, json_array_size(rows));
    check_sorted(rows);
    check_csv(out, rows);
}

static pid_t start_batch(const struct queue *q, const char *out, const char *extra, const char *err)
{
    char *argv[] = {"batch", "-j", "2", "--out", (char *)out, (char *)(extra ? extra : "-v"), (char *)q->folder,
                    (char *)q->list, (char *)q->dirs[0], (char *)q->dirs[1], NULL};
    return spawn(argv, NULL, err);
}

static int batch_rc(const struct queue *q, const char *out, const char *extra, char **err_text)
{
    char err[P];
    pf(err, "%s.stderr", out);
    int rc = wait_rc(start_batch(q, out, extra, err));
    *err_text = slurp(err);
    return rc;
}

/* "bundle|incident|root cause|status" of every row, in order */
static char *verdicts(const json_t *rows)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        n += (size_t)snprintf(s + n, cap - n, "%s|%lld|%s|%s\n", s_of(r, "bundle"),
                              (long long)json_integer_value(json_object_get(r, "incident")), s_of(r, "root_cause"),
                              s_of(r, "status"));
        ck_assert_uint_lt(n, cap);
    }
    return s;
}

START_TEST(queue_of_40)
{
    static struct queue q;
    build_queue(&q);
    char out[P], out2[P], summary[P];
    pf(out, "%s/out", q.root);
    pf(out2, "%s/out-stopped", q.root);

    /* the first run: 36 analyzed, 4 errors */
    char *err;
    int rc = batch_rc(&q, out, NULL, &err);
    ck_assert_msg(rc == 1, "batch exit %d:\n%s", rc, err);
    struct counts c = counts_of(err);
    ck_assert_int_eq(c.total, 40);
    ck_assert_int_eq(c.analyzed, 36);
    ck_assert_int_eq(c.skipped, 0);
    ck_assert_int_eq(c.failed, 4);
    free(err);
    pf(summary, "%s/summary.jsonl", out);
    json_t *rows = load_jsonl(summary);
    check_rows(&q, out, rows);
    ck_assert_int_eq(check_dir_clean(out), 36);
    /* the two bundles listed as <scenario>/techsupport.tgz got distinct hashed names */
    json_t *r = rows_of(rows, q.good[29]);
    const char *nm = s_of(json_array_get(r, 0), "name");
    ck_assert_msg(strncmp(nm, "techsupport-", 12) == 0 && strlen(nm) == 20, "name %s", nm);
    json_decref(r);
    char *first = verdicts(rows);
    json_decref(rows);

    /* a rerun redoes nothing that was analyzed (the failed ones are tried again) */
    age_logs(out);
    rc = batch_rc(&q, out, NULL, &err);
    ck_assert_int_eq(rc, 1);
    c = counts_of(err);
    ck_assert_int_eq(c.analyzed, 0);
    ck_assert_int_eq(c.skipped, 36);
    ck_assert_int_eq(c.failed, 4);
    free(err);
    rows = load_jsonl(summary);
    char *again = verdicts(rows);
    ck_assert_str_eq(again, first);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) ck_assert_msg(log_is_old(out, s_of(row, "name")) ==
                                                       (strcmp(s_of(row, "status"), "error") != 0),
                                                   "%s: log rewritten or not", s_of(row, "name"));
    json_decref(rows);
    free(again);

    /* --force redoes everything */
    rc = batch_rc(&q, out, "--force", &err);
    ck_assert_int_eq(rc, 1);
    c = counts_of(err);
    ck_assert_int_eq(c.analyzed, 36);
    ck_assert_int_eq(c.skipped, 0);
    free(err);
    rows = load_jsonl(summary);
    json_array_foreach(rows, i, row) ck_assert_msg(!log_is_old(out, s_of(row, "name")), "%s: not redone",
                                                   s_of(row, "name"));
    json_decref(rows);

    /* stopped by SIGINT once the first reports are in, into a fresh folder */
    char errp[P];
    pf(errp, "%s.stderr", out2);
    pid_t pid = start_batch(&q, out2, "-q", errp);
    int seen = 0;
    for (int t = 0; t < 3000 && !seen; t++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        DIR *d = opendir(out2);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            seen |= l > 5 && strcmp(e->d_name + l - 5, ".json") == 0;
        }
        if (d)
            closedir(d);
    }
    ck_assert_msg(seen, "no report within 60 s");
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    rc = wait_rc(pid);
    ck_assert_int_eq(rc, 1);
    int kept = check_dir_clean(out2);
    ck_assert_int_ge(kept, 1);
    pf(summary, "%s/summary.jsonl", out2);
    rows = load_jsonl(summary); /* the summary of what finished */
    ck_assert_uint_ge(json_array_size(rows), (size_t)kept);
    json_decref(rows);
    age_logs(out2);
    rc = batch_rc(&q, out2, NULL, &err);
    ck_assert_int_eq(rc, 1);
    c = counts_of(err);
    ck_assert_int_eq(c.skipped, kept);
    ck_assert_int_eq(c.analyzed, 36 - kept);
    ck_assert_int_eq(c.failed, 4);
    free(err);
    ck_assert_int_eq(check_dir_clean(out2), 36);
    rows = load_jsonl(summary);
    char *resumed = verdicts(rows);
    ck_assert_str_eq(resumed, first);
    int old = 0;
    json_array_foreach(rows, i, row) old += log_is_old(out2, s_of(row, "name")) && strcmp(s_of(row, "status"), "error");
    ck_assert_int_ge(old, kept); /* rows of a bundle with several incidents count it more than once */
    json_decref(rows);
    free(resumed);
    free(first);
}
END_TEST

/* ---- smaller cases ---------------------------------------------------------------------- */

START_TEST(list_on_stdin_and_names)
{
    char root[P], g[P], tgz[P], a[P], b[P], list[P], out[P], errp[P];
    pf(root, "%s", tu_path("batch-names"));
    sh("rm -rf '%s' && mkdir -p '%s/x' '%s/y'", root, root, root);
    pf(g, "%s/gen", root);
    sh("'%s' route-change '%s' --seed 4 --tgz >/dev/null", gen_bin(), g);
    first_tgz(g, tgz, P, 0);
    /* the same base name twice, and a name with bytes a file name should not carry */
    pf(a, "%s/x/fw 1;rm.tar.gz", root);
    pf(b, "%s/y/fw 1;rm.tar.gz", root);
    sh("cp '%s' '%s' && cp '%s' '%s'", tgz, a, tgz, b);
    pf(list, "%s/list", root);
    FILE *f = fopen(list, "w");
    fprintf(f, "%s\n%s\n%s\n", a, b, a); /* a named twice is one job */
    fclose(f);
    pf(out, "%s/out", root);
    pf(errp, "%s/err", root);
    char *argv[] = {"batch", "-j", "2", "--out", out, "-", NULL};
    ck_assert_int_eq(wait_rc(spawn(argv, list, errp)), 0);
    char *err = slurp(errp);
    struct counts c = counts_of(err);
    ck_assert_int_eq(c.total, 2);
    ck_assert_int_eq(c.analyzed, 2);
    free(err);
    char sp[P];
    pf(sp, "%s/summary.jsonl", out);
    json_t *rows = load_jsonl(sp);
    ck_assert_uint_eq(json_array_size(rows), 2);
    const char *n0 = s_of(json_array_get(rows, 0), "name"), *n1 = s_of(json_array_get(rows, 1), "name");
    ck_assert_msg(strncmp(n0, "fw_1_rm-", 8) == 0 && strlen(n0) == 16, "name %s", n0);
    ck_assert_msg(strncmp(n1, "fw_1_rm-", 8) == 0 && strcmp(n0, n1) != 0, "names %s %s", n0, n1);
    ck_assert_str_eq(s_of(json_array_get(rows, 0), "sha256"), s_of(json_array_get(rows, 1), "sha256"));
    json_decref(rows);
    /* @list names the list explicitly; the same names again, reports current */
    char at[P];
    pf(at, "@%s", list);
    char *o = NULL;
    ck_assert_int_eq(tu_run(&o, &err, "batch", "--out", out, at, NULL), 0);
    c = counts_of(err);
    ck_assert_int_eq(c.skipped, 2);
    free(o);
    free(err);
}
END_TEST

START_TEST(timeout_kills_the_worker)
{
    char root[P], g[P], tgz[P], out[P];
    pf(root, "%s", tu_path("batch-timeout"));
    pf(g, "%s/gen", root);
    sh("rm -rf '%s' && '%s' peer-unreachable '%s' --scale 32M --tgz >/dev/null", root, gen_bin(), g);
    first_tgz(g, tgz, P, 0);
    pf(out, "%s/out", root);
    char *o = NULL, *err = NULL;
    ck_assert_int_eq(tu_run(&o, &err, "batch", "-q", "--timeout", "1", "--keep-db", "--out", out, tgz, NULL), 3);
    free(o);
    free(err);
    char sp[P];
    pf(sp, "%s/summary.jsonl", out);
    json_t *rows = load_jsonl(sp);
    ck_assert_uint_eq(json_array_size(rows), 1);
    json_t *r = json_array_get(rows, 0);
    ck_assert_str_eq(s_of(r, "status"), "error");
    ck_assert_str_eq(s_of(r, "error"), "timed out after 1 s (killed)");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "signal")), SIGKILL);
    ck_assert(json_is_null(json_object_get(r, "exit")));
    json_decref(rows);
    ck_assert_int_eq(check_dir_clean(out), 0);
}
END_TEST

START_TEST(keep_db_and_fifo)
{
    char root[P], g[P], fifo[P], out[P], db[P];
    pf(root, "%s", tu_path("batch-db"));
    pf(g, "%s/bundle", root);
    sh("rm -rf '%s' && '%s' link-down '%s' --seed 5 >/dev/null", root, gen_bin(), g);
    pf(fifo, "%s/pipe", root);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pf(out, "%s/out", root);
    char *o = NULL, *err = NULL;
    /* a FIFO is never opened (it would block the batch): an error row */
    ck_assert_int_eq(tu_run(&o, &err, "batch", "-q", "--keep-db", "--out", out, g, fifo, NULL), 1);
    free(o);
    free(err);
    pf(db, "%s/bundle.db", out);
    ck_assert_int_ge(tu_sql_int(db, "SELECT count(*) FROM incidents"), 1);
    char sp[P];
    pf(sp, "%s/summary.jsonl", out);
    json_t *rows = load_jsonl(sp);
    ck_assert_uint_eq(json_array_size(rows), 2);
    json_t *last = json_array_get(rows, 1);
    ck_assert_str_eq(s_of(last, "status"), "error");
    ck_assert_msg(strstr(s_of(last, "error"), "not a file or folder") != NULL, "%s", s_of(last, "error"));
    json_decref(rows);
    /* --keep-db on a rerun needs the database too: it is there, so nothing is redone */
    ck_assert_int_eq(tu_run(&o, &err, "batch", "--keep-db", "--out", out, g, NULL), 0);
    ck_assert_int_eq(counts_of(err).skipped, 1);
    free(o);
    free(err);
    ck_assert_int_eq(unlink(db), 0);
    ck_assert_int_eq(tu_run(&o, &err, "batch", "--keep-db", "--out", out, g, NULL), 0);
    ck_assert_int_eq(counts_of(err).analyzed, 1);
    free(o);
    free(err);
    ck_assert_int_ge(tu_sql_int(db, "SELECT count(*) FROM incidents"), 1);
    /* redone without --keep-db: the earlier timeline would not match the new report */
    ck_assert_int_eq(tu_run(&o, &err, "batch", "--force", "--out", out, g, NULL), 0);
    ck_assert_int_eq(counts_of(err).analyzed, 1);
    free(o);
    free(err);
    ck_assert_int_eq(access(db, F_OK), -1);
}
END_TEST

/* Summary cells that a spreadsheet would run as formulas are written as text; numbers stay
 * numbers; RFC 4180 quoting still holds. */
START_TEST(csv_cells_are_not_formulas)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    batch_csv_field(f, "=HYPERLINK(\"http://x\",\"y\")", 1, 0);
    batch_csv_field(f, "+1", 1, 0);
    batch_csv_field(f, "-07:00", 1, 0);
    batch_csv_field(f, "@SUM(A1)", 1, 0);
    batch_csv_field(f, "\tx", 1, 0);
    batch_csv_field(f, "-3", 0, 0);
    batch_csv_field(f, "tunnel, a", 1, 0);
    batch_csv_field(f, "a=b", 1, 0);
    batch_csv_field(f, NULL, 1, 0);
    batch_csv_field(f, "", 1, 1);
    fclose(f);
    ck_assert_str_eq(buf, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'+1\",\"'-07:00\",\"'@SUM(A1)\","
                          "\"'\tx\",-3,\"tunnel, a\",a=b,,\r\n");
    free(buf);
}
END_TEST

START_TEST(usage_errors)
{
    const char *out = tu_path("batch-usage");
    char *o, *e;
    ck_assert_int_eq(tu_run(&o, &e, "batch", "/nonexistent", NULL), 2);
    ck_assert_ptr_nonnull(strstr(e, "--out DIR is required"));
    free(o), free(e);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "--out", out, NULL), 2);
    free(o), free(e);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "-j", "0", "--out", out, "x", NULL), 2);
    free(o), free(e);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "--timeout", "soon", "--out", out, "x", NULL), 2);
    free(o), free(e);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "--tz", "Not/AZone", "--out", out, "x", NULL), 2);
    free(o), free(e);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "--rules", "/nonexistent", "--out", out, "x", NULL), 2);
    free(o), free(e);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "--help", NULL), 0);
    ck_assert_ptr_nonnull(strstr(o, "Usage: ikemortem batch"));
    free(o), free(e);
    /* an empty folder: nothing to analyze */
    char empty[P], o2[P];
    pf(empty, "%s/empty", out);
    pf(o2, "%s/out", out);
    sh("mkdir -p '%s'", empty);
    ck_assert_int_eq(tu_run(&o, &e, "batch", "--out", o2, empty, NULL), 3);
    ck_assert_ptr_nonnull(strstr(e, "no bundle"));
    free(o), free(e);
}
END_TEST

Suite *batch_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *t = tcase_create("batch");
    tcase_set_timeout(t, 240);
    tcase_add_test(t, usage_errors);
    tcase_add_test(t, csv_cells_are_not_formulas);
    tcase_add_test(t, list_on_stdin_and_names);
    tcase_add_test(t, keep_db_and_fifo);
    tcase_add_test(t, timeout_kills_the_worker);
    tcase_add_test(t, queue_of_40);
    suite_add_tcase(s, t);
    return s;
}
