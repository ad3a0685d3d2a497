/*
 * dbexec.h — running formatted SQL (sqlite3_mprintf's %q/%Q quoting) on the timeline, with the
 * error worded for the step that ran it; one integer read back; binding input text to a statement.
 */
#ifndef IKM_DBEXEC_H
#define IKM_DBEXEC_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;
struct ikm_textbuf;

/* Formats with sqlite3_vmprintf and runs the statements. Returns 0, or -1 with
 * "<what>: <SQLite's message>" in err. */
int ikm_db_execf(struct sqlite3 *db, const char *what, char *err, size_t errsz, const char *fmt, ...);

/* Runs sql (no parameters) and gives its first row's first column as an integer in *out.
 * Returns 0, or -1 when it does not compile, fails or returns no row (*out untouched). */
int ikm_db_int(struct sqlite3 *db, const char *sql, int64_t *out);

/* Binds n bytes of s to parameter i as text made safe (textsafe.h; NULL s binds NULL).
 * Clean text is bound in place (SQLITE_STATIC: alive until the step); other text is escaped
 * through tb and copied. Memory running out binds NULL. */
void ikm_db_bind_text(struct sqlite3_stmt *st, int i, const char *s, size_t n, struct ikm_textbuf *tb);

#endif
