/*
 * batch.h — what the parts of `ikemortem batch` share: one job per bundle (its input, its
 * stable name under the output folder, its SHA-256, how its worker ended), the expansion of the
 * command line into jobs (batch_inputs.c), the per-job state files and the summary tables
 * (batch_summary.c). The scheduler itself is cmd_batch.c.
 */
#ifndef IKM_BATCH_H
#define IKM_BATCH_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Bounds: a queue is hundreds of bundles; these only stop a runaway list or folder. */
#define BATCH_MAX_JOBS 100000
#define BATCH_MAX_LIST_BYTES ((size_t)64 << 20) /* a list file (or stdin) */
#define BATCH_NAME_MAX 96                       /* bytes of a job name before its hash suffix */
#define BATCH_ERROR_MAX 512                     /* bytes of error text kept per job */

enum batch_state {
    JOB_PENDING,     /* not started */
    JOB_RUNNING,     /* a worker is analyzing it */
    JOB_DONE,        /* analyzed in this run (analyze exit 0 or 1): a report is in place */
    JOB_SKIPPED,     /* its report from an earlier run is for the same SHA-256 */
    JOB_FAILED,      /* no report: the worker failed, crashed, timed out, or the input was unreadable */
    JOB_INTERRUPTED, /* killed or never started because the batch was stopped */
};

struct batch_job {
    char *input;   /* the path as given (command line, list line or folder entry) */
    char *name;    /* file-system-safe, unique in this run: DIR/<name>.json, .log, .job, .db */
    int is_dir;    /* an unpacked bundle (hashed by its member list, see batch_hash_input) */
    char sha[65];  /* hex SHA-256 of the input; "" when it could not be read */
    enum batch_state state;
    pid_t pid;
    double started; /* CLOCK_MONOTONIC seconds */
    double seconds; /* wall time of the worker */
    int exit_code;  /* the worker's exit status; -1 when it did not exit (signal, not run) */
    int signal;     /* the signal that ended it; 0 when none */
    int timed_out;
    char *error; /* why it failed (from its log, or the signal/timeout), NULL when it did not */
};

struct batch_jobs {
    struct batch_job *v;
    size_t n, cap;
};

/* Expands INPUTs (bundle files, folders of bundles, unpacked bundles, list files: "@FILE", a
 * text file whose lines are existing paths, "-" for stdin) into jobs with unique names.
 * Returns 0, or -1 with a message in err (usage-level problems: unreadable list, too many). */
int batch_expand(struct batch_jobs *jobs, int ninputs, char *const *inputs, char *err, size_t errlen);
void batch_jobs_free(struct batch_jobs *jobs);

/* The job's SHA-256 into job->sha: of the file's bytes, or for a directory of the sorted list
 * of its member paths, sizes and modification times. Returns 0, or -1 with errno set. */
int batch_hash_input(struct batch_job *job);

/* DIR/<name><suffix> into buf; -1 when it does not fit. */
int batch_path(char *buf, size_t len, const char *dir, const struct batch_job *job, const char *suffix);

/* The job state file DIR/<name>.job (JSON, written to a temporary name and renamed):
 * input, sha256, status, exit, signal, error, seconds. */
int batch_state_write(const char *dir, const struct batch_job *job);
/* 1 when the report DIR/<name>.json and the state file say this input (same SHA-256) was
 * analyzed (and, with need_db, its timeline DIR/<name>.db is there too); then the job's exit
 * code and time are taken from the state file. 0 otherwise. */
int batch_state_current(const char *dir, struct batch_job *job, int need_db);

/* One CSV field (RFC 4180) and its separator (",", or CRLF when last). A text cell that starts
 * like a spreadsheet formula (= + - @ TAB CR) gets a leading apostrophe (OWASP's CSV-injection
 * rule): names and messages come from customers' files and open in spreadsheets; numbers are
 * written as numbers. NULL writes an empty field. */
void batch_csv_field(FILE *f, const char *s, int is_text, int last);

/* Rewrites DIR/summary.jsonl and DIR/summary.csv from the reports and states of the jobs
 * that finished (done, skipped, failed), sorted by the root cause's severity, then time.
 * Returns the number of rows, or -1 with a message in err. */
long batch_write_summary(const char *dir, const struct batch_jobs *jobs, char *err, size_t errlen);

#endif
