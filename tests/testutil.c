/*
 * testutil.c — see testutil.h.
 */
#include "testutil.h"

#include <check.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *tmpdir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *base = getenv("IKM_TMPDIR");
        snprintf(dir, sizeof dir, "%s/t%ld", base && *base ? base : "/tmp", (long)getpid());
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    return dir;
}

const char *tu_path(const char *name)
{
    static char paths[16][600];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, 600, "%s/%s", tmpdir(), name);
    return p;
}

const char *tu_write(const char *name, const void *data, size_t len)
{
    const char *p = tu_path(name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return p;
}

const char *tu_src(const char *rel)
{
    static char paths[8][600];
    static int next;
    const char *base = getenv("IKM_SRCDIR");
    char *p = paths[next++ % 8];
    snprintf(p, 600, "%s/%s", base && *base ? base : ".", rel);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    return b;
}

int tu_run(char **out, char **err, const char *arg0, ...)
{
    const char *bin = getenv("IKM_BIN");
    ck_assert_msg(bin != NULL, "IKM_BIN is not set (run through make check)");
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)bin;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char opath[600], epath[600];
    snprintf(opath, sizeof opath, "%s", tu_path("stdout.txt"));
    snprintf(epath, sizeof epath, "%s", tu_path("stderr.txt"));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || nul < 0)
            _exit(127);
        dup2(nul, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(bin, argv);
        _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    char *o = slurp(opath), *e = slurp(epath);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static sqlite3_stmt *query(sqlite3 **db, const char *path, const char *sql)
{
    ck_assert_int_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(*db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(*db));
    return st;
}

static int64_t first_int(sqlite3_stmt *st)
{
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int64_t tu_sql_int(const char *path, const char *sql)
{
    sqlite3 *db;
    int64_t v = first_int(query(&db, path, sql));
    sqlite3_close(db);
    return v;
}

int64_t tu_db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    return first_int(st);
}

char *tu_sql_text(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st = query(&db, path, sql);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

int tu_validate_report(const char *json_path)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s' 2>&1", tu_src("tests/validate_report.py"),
             tu_src("schema/report.schema.json"), json_path);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    char msg[4096];
    size_t n = fread(msg, 1, sizeof msg - 1, p);
    msg[n] = 0;
    int st = pclose(p);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc == 77 || rc == 127) {
        fprintf(stderr, "schema check skipped: python3 with jsonschema is missing (make deps installs it)\n");
        return 0;
    }
    ck_assert_msg(rc == 0, "%s does not match schema/report.schema.json:\n%s", json_path, msg);
    return 1;
}

int tu_scenario_names(char names[][TU_SCENARIO_NAME], int max)
{
    const char *g = getenv("IKM_GEN");
    if (!g || !*g)
        return 0;
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "'%s' list", g);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    int n = 0;
    char line[TU_SCENARIO_NAME];
    while (n < max && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0])
            snprintf(names[n++], TU_SCENARIO_NAME, "%s", line);
    }
    pclose(p);
    return n;
}
