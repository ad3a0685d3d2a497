/*
 * testutil.h — helpers shared by the database and end-to-end tests: scratch paths, running
 * the ikemortem binary, and one-value SQL queries.
 */
#ifndef IKM_TEST_UTIL_H
#define IKM_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* A fresh path under IKM_TMPDIR (default /tmp) unique to this test process. */
const char *tu_path(const char *name);
/* Writes bytes to a file; returns its path. */
const char *tu_write(const char *name, const void *data, size_t len);
/* Path of a file in the source tree (IKM_SRCDIR, default "."). */
const char *tu_src(const char *rel);
/* Runs the binary (IKM_BIN) with args (NULL-terminated); stdout and stderr captured.
 * Returns the exit status (or -1 when it did not exit normally). */
int tu_run(char **out, char **err, const char *arg0, ...);
/* The first column of the first row of sql on the database at path, as int64 (-1 on none). */
int64_t tu_sql_int(const char *db, const char *sql);
/* The same on an open connection (a test's own, while it still writes). */
int64_t tu_db_int(struct sqlite3 *db, const char *sql);
/* The same as text (malloc'd; NULL when none). */
char *tu_sql_text(const char *db, const char *sql);
/* Checks a JSON report against schema/report.schema.json (tests/validate_report.py); fails the
 * test when it does not match. Returns 1 when checked, 0 when python3-jsonschema is missing. */
int tu_validate_report(const char *json_path);
/* The scenario generator's list (IKM_GEN list): up to max names; 0 when IKM_GEN is unset.
 * Usable while a suite is built (it asserts nothing). */
#define TU_SCENARIO_NAME 64
int tu_scenario_names(char names[][TU_SCENARIO_NAME], int max);

#endif
