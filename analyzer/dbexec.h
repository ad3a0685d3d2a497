/*
 * dbexec.h — running formatted SQL (sqlite3_mprintf's %q/%Q quoting) on the timeline, with the
 * error worded for the step that ran it.
 */
#ifndef IKM_DBEXEC_H
#define IKM_DBEXEC_H

#include <stddef.h>

struct sqlite3;

/* Formats with sqlite3_vmprintf and runs the statements. Returns 0, or -1 with
 * "<what>: <SQLite's message>" in err. */
int ikm_db_execf(struct sqlite3 *db, const char *what, char *err, size_t errsz, const char *fmt, ...);

#endif
