/*
 * engine.c — loading, checking and running the rule files (see engine.h).
 */
#include "engine.h"

#include "../analyzer/evidence.h"
#include "../analyzer/textsafe.h"
#include "../parsers/timefmt.h"
#include "../schema/embedded.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct ikm_embedded ikm_builtin_rules[];

static const char *const header_keys[] = {"id", "title", "applies-to", "severity", "remedy"};
static const char *const severities[] = {"critical", "high", "medium", "low"};

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' || (*s)[*n - 1] == '\n'))
        (*n)--;
}

void ikm_rule_free(struct ikm_rule *r)
{
    free(r->id);
    free(r->title);
    free(r->applies_to);
    free(r->severity);
    free(r->remedy);
    free(r->sql);
    free(r->text);
    free(r->origin);
    if (r->stmt)
        sqlite3_finalize(r->stmt);
    memset(r, 0, sizeof *r);
}

/* Appends a header value; remedy lines accumulate, other keys must not repeat. */
static int set_key(struct ikm_rule *r, size_t k, const char *v, size_t vn)
{
    char **slots[] = {&r->id, &r->title, &r->applies_to, &r->severity, &r->remedy};
    char **slot = slots[k];
    if (*slot && k != 4)
        return -1;
    if (*slot) {
        size_t old = strlen(*slot);
        char *p = realloc(*slot, old + 1 + vn + 1);
        if (!p)
            return -2;
        p[old] = ' ';
        memcpy(p + old + 1, v, vn);
        p[old + 1 + vn] = 0;
        *slot = p;
        return 0;
    }
    return (*slot = dupn(v, vn)) ? 0 : -2;
}

/* Header values end up in reports and terminals: bytes that are not UTF-8 are written as \xNN. */
static int sanitize_header(struct ikm_rule *r)
{
    char **slots[] = {&r->id, &r->title, &r->applies_to, &r->severity, &r->remedy};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        if (!*slots[i] || ikm_text_is_clean(*slots[i], strlen(*slots[i])))
            continue;
        char *clean = ikm_text_safe_dup(*slots[i], strlen(*slots[i]));
        if (!clean)
            return -1;
        free(*slots[i]);
        *slots[i] = clean;
    }
    return 0;
}

int ikm_rule_parse(const char *name, const char *text, size_t len, const char *origin, struct ikm_rule *out,
                   char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (len > IKM_RULE_FILE_MAX || memchr(text, 0, len)) {
        snprintf(err, errsz, "%s: not a rule file (too large or binary)", name);
        return -1;
    }
    size_t pos = 0, lineno = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        size_t next = pos + n + (nl ? 1 : 0);
        lineno++;
        const char *t = line;
        size_t tn = n;
        trim(&t, &tn);
        if (tn == 0) {
            pos = next;
            continue;
        }
        if (tn < 2 || t[0] != '-' || t[1] != '-')
            break; /* the query starts */
        t += 2, tn -= 2;
        trim(&t, &tn);
        const char *colon = memchr(t, ':', tn);
        if (colon) {
            size_t kn = (size_t)(colon - t);
            size_t k;
            for (k = 0; k < sizeof header_keys / sizeof header_keys[0]; k++)
                if (strlen(header_keys[k]) == kn && memcmp(header_keys[k], t, kn) == 0)
                    break;
            if (k < sizeof header_keys / sizeof header_keys[0]) {
                const char *v = colon + 1;
                size_t vn = tn - kn - 1;
                trim(&v, &vn);
                int s = set_key(out, k, v, vn);
                if (s < 0) {
                    snprintf(err, errsz, "%s:%zu: %s", name, lineno,
                             s == -1 ? "this header key is given twice" : "out of memory");
                    ikm_rule_free(out);
                    return -1;
                }
            }
        }
        pos = next; /* other comment lines are the rule's notes */
    }
    if (sanitize_header(out) < 0) {
        snprintf(err, errsz, "%s: out of memory", name);
        ikm_rule_free(out);
        return -1;
    }
    const char *missing = !out->id ? "id" : !out->title ? "title" : !out->applies_to ? "applies-to"
                        : !out->severity ? "severity" : !out->remedy ? "remedy" : NULL;
    if (missing) {
        snprintf(err, errsz, "%s: the header has no '-- %s:' line", name, missing);
        ikm_rule_free(out);
        return -1;
    }
    size_t idn = strlen(out->id);
    if (strncmp(name, out->id, idn) != 0 || strcmp(name + idn, ".sql") != 0) {
        snprintf(err, errsz, "%s: the file of rule '%s' must be named %s.sql", name, out->id, out->id);
        ikm_rule_free(out);
        return -1;
    }
    int sev_ok = 0;
    for (size_t i = 0; i < sizeof severities / sizeof severities[0]; i++)
        sev_ok |= strcmp(out->severity, severities[i]) == 0;
    if (!sev_ok) {
        snprintf(err, errsz, "%s: severity '%s' is not one of critical, high, medium, low", name, out->severity);
        ikm_rule_free(out);
        return -1;
    }
    const char *q = text + pos;
    size_t qn = len - pos;
    trim(&q, &qn);
    if (qn == 0) {
        snprintf(err, errsz, "%s: no query after the header", name);
        ikm_rule_free(out);
        return -1;
    }
    out->sql = dupn(q, qn);
    out->text = dupn(text, len);
    out->origin = strdup(origin);
    if (!out->sql || !out->text || !out->origin) {
        snprintf(err, errsz, "%s: out of memory", name);
        ikm_rule_free(out);
        return -1;
    }
    return 0;
}

static int add_rule(struct ikm_ruleset *rs, struct ikm_rule *r, char *err, size_t errsz)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i].id, r->id) == 0) {
            ikm_rule_free(&rs->rules[i]);
            rs->rules[i] = *r;
            return 0;
        }
    if (rs->n >= IKM_RULES_MAX) {
        snprintf(err, errsz, "more than %d rules", IKM_RULES_MAX);
        ikm_rule_free(r);
        return -1;
    }
    struct ikm_rule *p = realloc(rs->rules, (rs->n + 1) * sizeof *p);
    if (!p) {
        snprintf(err, errsz, "out of memory");
        ikm_rule_free(r);
        return -1;
    }
    rs->rules = p;
    rs->rules[rs->n++] = *r;
    return 0;
}

int ikm_rules_builtin(struct ikm_ruleset *rs, char *err, size_t errsz)
{
    for (const struct ikm_embedded *e = ikm_builtin_rules; e->name; e++) {
        struct ikm_rule r;
        if (ikm_rule_parse(e->name, e->text, e->len, "built-in", &r, err, errsz) < 0 ||
            add_rule(rs, &r, err, errsz) < 0)
            return -1;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ikm_rules_load_dir(struct ikm_ruleset *rs, const char *dir, char *err, size_t errsz)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errsz, "--rules %s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && rc == 0) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".sql") != 0 || de->d_name[0] == '.')
            continue;
        char **p = n < IKM_RULES_MAX ? realloc(names, (n + 1) * sizeof *p) : NULL;
        if (!p || !(p[n] = strdup(de->d_name))) {
            snprintf(err, errsz, "--rules %s: too many files or out of memory", dir);
            if (p)
                names = p;
            rc = -1;
            break;
        }
        names = p;
        n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        /* only a regular file: a FIFO would block the open, a device would never end */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat sb;
        char *buf = malloc(IKM_RULE_FILE_MAX + 1);
        size_t len = 0;
        if (fd < 0 || !buf) {
            snprintf(err, errsz, "%s: %s", path, fd >= 0 ? "out of memory" : strerror(errno));
            rc = -1;
        } else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            snprintf(err, errsz, "%s: not a regular file", path);
            rc = -1;
        } else {
            ssize_t got;
            while (len <= IKM_RULE_FILE_MAX &&
                   (got = read(fd, buf + len, IKM_RULE_FILE_MAX + 1 - len)) != 0) {
                if (got < 0) {
                    if (errno == EINTR)
                        continue;
                    snprintf(err, errsz, "%s: read error: %s", path, strerror(errno));
                    rc = -1;
                    break;
                }
                len += (size_t)got;
            }
        }
        if (fd >= 0)
            close(fd);
        struct ikm_rule r;
        if (rc == 0 && (ikm_rule_parse(names[i], buf, len, path, &r, err, errsz) < 0 || add_rule(rs, &r, err, errsz) < 0))
            rc = -1;
        free(buf);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

const struct ikm_rule *ikm_rules_find(const struct ikm_ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strcmp(rs->rules[i].id, id) == 0)
            return &rs->rules[i];
    return NULL;
}

int ikm_rule_applies(const struct ikm_rule *r, const char *kind)
{
    const char *p = r->applies_to;
    size_t kn = strlen(kind);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        size_t n = (size_t)(e - p);
        if ((n == 1 && *p == '*') || (n == kn && memcmp(p, kind, n) == 0))
            return 1;
        p = e;
    }
    return 0;
}

/* The deadline of the rule running now on this thread (each analysis thread runs one rule at
 * a time, on its own connection). */
static _Thread_local double rule_deadline;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int over_budget(void *ctx)
{
    (void)ctx;
    return rule_deadline > 0 && now_s() > rule_deadline;
}

int ikm_rules_prepare(struct ikm_ruleset *rs, sqlite3 *db, char *err, size_t errsz)
{
    rule_deadline = 0;
    sqlite3_progress_handler(db, 10000, over_budget, NULL);
    for (size_t i = 0; i < rs->n; i++) {
        struct ikm_rule *r = &rs->rules[i];
        if (r->stmt)
            continue;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db, r->sql, -1, &r->stmt, &tail) != SQLITE_OK) {
            snprintf(err, errsz, "rule %s (%s): %s", r->id, r->origin, sqlite3_errmsg(db));
            return -1;
        }
        while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
            tail++;
        if (tail && *tail) {
            snprintf(err, errsz, "rule %s (%s): one query per rule (more text follows the first)", r->id, r->origin);
            return -1;
        }
        if (!sqlite3_stmt_readonly(r->stmt)) {
            snprintf(err, errsz, "rule %s (%s): a rule may only read (SELECT)", r->id, r->origin);
            return -1;
        }
        for (int p = 1; p <= sqlite3_bind_parameter_count(r->stmt); p++) {
            const char *pn = sqlite3_bind_parameter_name(r->stmt, p);
            if (!ikm_incident_param_known(pn)) {
                snprintf(err, errsz, "rule %s (%s): unknown parameter %s", r->id, r->origin, pn ? pn : "?");
                return -1;
            }
        }
        int has_score = 0;
        for (int col = 0; col < sqlite3_column_count(r->stmt); col++)
            has_score |= strcmp(sqlite3_column_name(r->stmt, col), "score") == 0;
        if (!has_score) {
            snprintf(err, errsz, "rule %s (%s): the query returns no 'score' column", r->id, r->origin);
            return -1;
        }
    }
    return 0;
}


/* Text from the database as valid UTF-8 JSON (input bytes may be anything). */
static json_t *safe_string(const unsigned char *t)
{
    if (!t)
        return json_null();
    char *s = ikm_text_safe_dup((const char *)t, strlen((const char *)t));
    json_t *j = s ? json_string(s) : json_string("?");
    free(s);
    return j;
}

/* Evidence reads in time order (rows without a time last, in the rule's order). */
static int64_t ev_time(const json_t *e)
{
    json_t *t = json_object_get(e, "ts_us");
    return json_is_integer(t) ? json_integer_value(t) : INT64_MAX;
}

/* time, then source, then line or frame: the same report whatever order the rows were stored in */
static int ev_after(const json_t *a, const json_t *b)
{
    int64_t ta = ev_time(a), tb = ev_time(b);
    if (ta != tb)
        return ta > tb;
    const char *sa = json_string_value(json_object_get(a, "source")), *sb = json_string_value(json_object_get(b, "source"));
    int c = strcmp(sa ? sa : "", sb ? sb : "");
    if (c != 0)
        return c > 0;
    json_t *ua = json_object_get(a, "line") ? json_object_get(a, "line") : json_object_get(a, "frame");
    json_t *ub = json_object_get(b, "line") ? json_object_get(b, "line") : json_object_get(b, "frame");
    return json_integer_value(ua) > json_integer_value(ub);
}

static void sort_by_time(json_t *arr)
{
    size_t n = json_array_size(arr);
    for (size_t i = 1; i < n; i++) /* insertion sort: a dozen rows, and stable */
        for (size_t k = i; k > 0 && ev_after(json_array_get(arr, k - 1), json_array_get(arr, k)); k--) {
            json_t *a = json_incref(json_array_get(arr, k - 1));
            json_array_set(arr, k - 1, json_array_get(arr, k));
            json_array_set_new(arr, k, a);
        }
}

int ikm_rule_run(const struct ikm_rule *r, sqlite3 *db, const struct ikm_incident_ctx *c,
                 struct ikm_rule_result *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    out->evidence = json_array();
    sqlite3_stmt *st = r->stmt;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    ikm_incident_bind(st, c);
    int cols = sqlite3_column_count(st);
    int c_score = -1, c_summary = -1, c_source = -1, c_line = -1, c_frame = -1, c_ts = -1, c_text = -1;
    for (int i = 0; i < cols; i++) {
        const char *n = sqlite3_column_name(st, i);
        int *slot = strcmp(n, "score") == 0     ? &c_score
                    : strcmp(n, "summary") == 0 ? &c_summary
                    : strcmp(n, "source") == 0  ? &c_source
                    : strcmp(n, "line") == 0    ? &c_line
                    : strcmp(n, "frame") == 0   ? &c_frame
                    : strcmp(n, "ts_us") == 0   ? &c_ts
                    : strcmp(n, "text") == 0    ? &c_text
                                                : NULL;
        if (slot)
            *slot = i;
    }
    int rc;
    rule_deadline = now_s() + IKM_RULE_BUDGET_S;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double s = sqlite3_column_double(st, c_score);
        if (s > 1.0)
            s = 1.0;
        if (s > out->score)
            out->score = s;
        if (c_summary >= 0 && !out->summary && sqlite3_column_type(st, c_summary) != SQLITE_NULL) {
            const unsigned char *t = sqlite3_column_text(st, c_summary);
            out->summary = ikm_text_safe_dup((const char *)t, strlen((const char *)t));
        }
        if (c_text < 0 || sqlite3_column_type(st, c_text) == SQLITE_NULL ||
            json_array_size(out->evidence) >= IKM_RULE_EVIDENCE_MAX)
            continue;
        json_t *ev = json_object();
        if (c_source >= 0)
            json_object_set_new(ev, "source", safe_string(sqlite3_column_text(st, c_source)));
        if (c_line >= 0 && sqlite3_column_type(st, c_line) != SQLITE_NULL)
            json_object_set_new(ev, "line", json_integer(sqlite3_column_int64(st, c_line)));
        if (c_frame >= 0 && sqlite3_column_type(st, c_frame) != SQLITE_NULL)
            json_object_set_new(ev, "frame", json_integer(sqlite3_column_int64(st, c_frame)));
        if (c_ts >= 0 && sqlite3_column_type(st, c_ts) != SQLITE_NULL) {
            char tb[40];
            int64_t us = sqlite3_column_int64(st, c_ts);
            ikm_format_utc(us, tb, sizeof tb);
            json_object_set_new(ev, "time", json_string(tb));
            json_object_set_new(ev, "ts_us", json_integer(us));
        }
        json_object_set_new(ev, "text", safe_string(sqlite3_column_text(st, c_text)));
        json_array_append_new(out->evidence, ev);
    }
    rule_deadline = 0;
    sqlite3_reset(st);
    if (rc == SQLITE_INTERRUPT) {
        snprintf(err, errsz, "rule %s (%s) was stopped after %d s on incident %lld: it scores nothing there", r->id,
                 r->origin, IKM_RULE_BUDGET_S, (long long)c->id);
        ikm_rule_result_free(out);
        out->evidence = json_array();
        return 1;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errsz, "rule %s (%s): %s", r->id, r->origin, sqlite3_errmsg(db));
        ikm_rule_result_free(out);
        return -1;
    }
    if (out->score < 0)
        out->score = 0;
    sort_by_time(out->evidence);
    return 0;
}

void ikm_rule_result_free(struct ikm_rule_result *res)
{
    free(res->summary);
    json_decref(res->evidence);
    memset(res, 0, sizeof *res);
}

int ikm_rules_share(const struct ikm_ruleset *src, struct ikm_ruleset *dst, sqlite3 *db, char *err, size_t errsz)
{
    memset(dst, 0, sizeof *dst);
    if (!(dst->rules = calloc(src->n ? src->n : 1, sizeof *dst->rules))) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    dst->n = src->n;
    for (size_t i = 0; i < src->n; i++) {
        dst->rules[i] = src->rules[i];
        dst->rules[i].stmt = NULL;
    }
    if (ikm_rules_prepare(dst, db, err, errsz) < 0) {
        ikm_rules_unshare(dst);
        return -1;
    }
    return 0;
}

void ikm_rules_unshare(struct ikm_ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        sqlite3_finalize(rs->rules[i].stmt);
    free(rs->rules);
    memset(rs, 0, sizeof *rs);
}

void ikm_rules_free(struct ikm_ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        ikm_rule_free(&rs->rules[i]);
    free(rs->rules);
    memset(rs, 0, sizeof *rs);
}
