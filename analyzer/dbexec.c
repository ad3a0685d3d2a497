/*
 * dbexec.c — formatted SQL execution for the passes over the timeline (see dbexec.h).
 */
#include "dbexec.h"

#include "textsafe.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

int ikm_db_execf(sqlite3 *db, const char *what, char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    if (!sql) {
        snprintf(err, errsz, "%s: out of memory", what);
        return -1;
    }
    char *msg = NULL;
    int r = sqlite3_exec(db, sql, NULL, NULL, &msg);
    sqlite3_free(sql);
    if (r != SQLITE_OK) {
        snprintf(err, errsz, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int ikm_db_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int r = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        r = 0;
    }
    sqlite3_finalize(st);
    return r;
}

void ikm_db_bind_text(sqlite3_stmt *st, int i, const char *s, size_t n, struct ikm_textbuf *tb)
{
    if (!s) {
        sqlite3_bind_null(st, i);
        return;
    }
    if (ikm_text_is_clean(s, n)) {
        sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
        return;
    }
    const char *safe = ikm_text_safe(tb, s, n, 0);
    if (safe)
        sqlite3_bind_text(st, i, safe, (int)tb->len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}
