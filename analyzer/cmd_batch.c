/*
 * cmd_batch.c — `ikemortem batch`: analyzes a queue of bundles, one worker process per bundle
 * (this binary re-executed as `analyze -q -o`), N at a time, and writes the summary tables.
 *
 * A worker is a separate process so that a bundle that crashes the analyzer, or makes it run
 * away, takes down only its own row: the scheduler kills it past --timeout and records how it
 * ended. Workers run in their own process group, so a Ctrl-C at the terminal reaches only the
 * scheduler, which then stops launching, kills and reaps the workers, removes their temporary
 * files, and still writes the summary of what finished. The expansion of INPUTs into jobs is
 * batch_inputs.c; the state files and summary tables are batch_summary.c.
 */
#include "batch.h"
#include "cli.h"
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 1024
#define DEFAULT_TIMEOUT_S 3600
#define MAX_TIMEOUT_S (7L * 24 * 3600)
#define LOG_SCAN_BYTES 65536 /* of a worker's log, searched for the error line */
#define RM_MAX_DEPTH 16      /* a worker's scratch folder holds analyze's temporary timeline */
#define PATH_BUF 4352

static const char batch_usage[] =
    "Usage: ikemortem batch [-j N] --out DIR [--keep-db] [--force] [--timeout S] [--rules DIR] [--tz ZONE]\n"
    "                       [--redact [--redact-key K]] [-v | -q] INPUT... | -\n"
    "\n"
    "Analyzes every bundle of a queue, each in its own worker process (`ikemortem analyze`),\n"
    "N at a time, and writes DIR/<name>.json (the report), DIR/<name>.log (the worker's stderr),\n"
    "DIR/<name>.job (input, SHA-256, exit) and the tables DIR/summary.jsonl and DIR/summary.csv:\n"
    "one row per incident, one per bundle without incident or that failed, sorted by severity\n"
    "of the root cause, then time. A rerun skips bundles whose report is for the same SHA-256.\n"
    "\n"
    "INPUT: a bundle (.tgz, .tar, .zip, an unpacked folder), a folder of bundles, a list of paths\n"
    "(@FILE, or a text file whose every line is an existing path; '-' reads the list from stdin).\n"
    "\n"
    "Options:\n"
    "  -j, --jobs N     workers at a time (default: the number of online CPUs)\n"
    "  -o, --out DIR    output folder (created when missing)\n"
    "  --keep-db        keep each bundle's timeline as DIR/<name>.db\n"
    "  --force          redo every bundle, current reports too\n"
    "  --timeout S      kill a worker after S seconds of wall time (default 3600)\n"
    "  --rules DIR, --tz ZONE   passed to analyze\n"
    "  --redact [--redact-key K]  reports with addresses and names as keyed tokens; one key for\n"
    "                   the whole batch (random unless given), so tokens match across bundles\n"
    "  -v, --verbose    one line per bundle as it ends\n"
    "  -q, --quiet      no progress and no closing line\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit codes: 0 every bundle analyzed; 1 some failed (or the batch was stopped); 2 usage;\n"
    "3 none analyzed.\n";

enum { OPT_KEEP_DB = IKM_OPT_FIRST_FREE, OPT_FORCE, OPT_TIMEOUT, OPT_RULES, OPT_REDACT, OPT_REDACT_KEY };

struct batch {
    const char *out, *rules, *tz;
    int redact; /* the key travels to the workers in IKM_REDACT_KEY, never on a command line */
    int workers, keep_db, force, quiet, verbose, progress;
    long timeout;
    struct batch_jobs jobs;
    size_t next, running, done, skipped, failed, partial;
    double t0, last_progress;
    char self[PATH_BUF]; /* this binary, for the workers ("" when /proc cannot say) */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Removes a worker's scratch tree (bounded depth: it is ours, but never trust a walk). */
static void rm_tree(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode) && depth < RM_MAX_DEPTH) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[PATH_BUF];
            if (snprintf(p, sizeof p, "%s/%s", path, e->d_name) < (int)sizeof p)
                rm_tree(p, depth + 1);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int work_dir(char *buf, size_t len, const struct batch *b, const struct batch_job *j)
{
    int n = snprintf(buf, len, "%s/.%s.work", b->out, j->name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Everything a worker may leave behind under a temporary name: the report and timeline
 * being written (analyze's own "<file>.tmp.PID" / "<db>.tmp-PID" and the journal), and its
 * scratch folder (TMPDIR). */
static void remove_temps(const struct batch *b, const struct batch_job *j, pid_t pid)
{
    static const char *const fixed[] = {".json.tmp", ".db.tmp", ".db.tmp-journal"};
    char p[PATH_BUF], sfx[64];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (batch_path(p, sizeof p, b->out, j, fixed[i]) == 0)
            unlink(p);
    if (pid > 0) {
        snprintf(sfx, sizeof sfx, ".json.tmp.tmp.%ld", (long)pid);
        if (batch_path(p, sizeof p, b->out, j, sfx) == 0)
            unlink(p);
        snprintf(sfx, sizeof sfx, ".db.tmp.tmp-%ld", (long)pid);
        if (batch_path(p, sizeof p, b->out, j, sfx) == 0)
            unlink(p);
        snprintf(sfx, sizeof sfx, ".db.tmp.tmp-%ld-journal", (long)pid);
        if (batch_path(p, sizeof p, b->out, j, sfx) == 0)
            unlink(p);
    }
    if (work_dir(p, sizeof p, b, j) == 0)
        rm_tree(p, 0);
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t k = strlen(suffix);
    return len >= k && memcmp(s + len - k, suffix, k) == 0;
}

/* One of the temporary names of remove_temps and batch_summary.c: "*.tmp", "*.tmp-journal",
 * "*.tmp.PID", "*.tmp-PID", "*.tmp-PID-journal", ".<name>.work". A job's own files end in
 * .json, .log, .job or .db, so none of them ever matches. */
static int is_temp_name(const char *n)
{
    size_t len = strlen(n);
    if (n[0] == '.')
        return ends_with(n, len, ".work");
    if (ends_with(n, len, "-journal"))
        len -= 8;
    if (ends_with(n, len, ".tmp"))
        return 1;
    size_t d = len;
    while (d > 0 && n[d - 1] >= '0' && n[d - 1] <= '9')
        d--;
    return d < len && d > 5 && (ends_with(n, d, ".tmp.") || ends_with(n, d, ".tmp-"));
}

/* A batch killed without warning (power, kill -9) leaves temporaries: the folder is locked
 * by this batch, so whatever has one of our temporary names is stale. */
static void sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        int tmp = strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && is_temp_name(n);
        char p[PATH_BUF];
        if (tmp && snprintf(p, sizeof p, "%s/%s", dir, n) < (int)sizeof p)
            rm_tree(p, 0);
    }
    if (d)
        closedir(d);
}

/* The line of a failed worker's log that says why: the first error (or "not understood"),
 * else the last line. Only the head of the log is read: errors that stop analyze come first. */
static char *log_error(const struct batch *b, const struct batch_job *j)
{
    char p[PATH_BUF];
    if (batch_path(p, sizeof p, b->out, j, ".log") < 0)
        return NULL;
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    static char buf[LOG_SCAN_BYTES + 1];
    size_t n = fread(buf, 1, LOG_SCAN_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    const char *pick = NULL, *last = NULL;
    size_t pick_len = 0, last_len = 0;
    for (char *line = buf; line < buf + n;) {
        char *nl = memchr(line, '\n', (size_t)(buf + n - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(buf + n - line);
        if (len && line[len - 1] == '\r')
            len--;
        if (len) {
            last = line, last_len = len;
            if (!pick && (memmem(line, len, "error", 5) || memmem(line, len, "not understood", 14)))
                pick = line, pick_len = len;
        }
        line += len + 1 + (nl && len < (size_t)(nl - line));
        if (!nl)
            break;
    }
    if (!pick)
        pick = last, pick_len = last_len;
    if (!pick)
        return NULL;
    if (pick_len > BATCH_ERROR_MAX)
        pick_len = BATCH_ERROR_MAX;
    return strndup(pick, pick_len);
}

__attribute__((format(printf, 2, 3))) static void set_error(struct batch_job *j, const char *fmt, ...)
{
    char msg[PATH_BUF + BATCH_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(j->error);
    j->error = strdup(msg);
}

static void write_log_line(const struct batch *b, const struct batch_job *j, const char *msg)
{
    char p[PATH_BUF];
    FILE *f = batch_path(p, sizeof p, b->out, j, ".log") == 0 ? fopen(p, "w") : NULL;
    if (f) {
        fprintf(f, "%s\n", msg);
        fclose(f);
    }
}

static void clear_progress(const struct batch *b)
{
    if (b->progress)
        fputs("\r\033[K", stderr);
}

static void job_line(struct batch *b, const struct batch_job *j, const char *what)
{
    if (!b->verbose)
        return;
    clear_progress(b);
    if (j->state == JOB_FAILED)
        fprintf(stderr, "%s: %s: %s\n", j->name, what, j->error ? j->error : "failed");
    else
        fprintf(stderr, "%s: %s (exit %d, %.1f s)\n", j->name, what, j->exit_code, j->seconds);
    b->last_progress = 0;
}

/* A job that ended without a worker, or whose worker ended: its state file, counters. */
static void settle(struct batch *b, struct batch_job *j)
{
    char p[PATH_BUF];
    if (j->state == JOB_FAILED) {
        /* a report or timeline of an earlier run would contradict the state file */
        if (batch_path(p, sizeof p, b->out, j, ".json") == 0)
            unlink(p);
        if (batch_path(p, sizeof p, b->out, j, ".db") == 0)
            unlink(p);
        b->failed++;
    } else {
        b->done++;
        b->partial += j->exit_code == 1;
    }
    if (batch_state_write(b->out, j) < 0)
        fprintf(stderr, "ikemortem batch: cannot write the state of %s in %s: %s\n", j->name, b->out,
                strerror(errno));
    job_line(b, j, j->state == JOB_FAILED ? "error" : j->exit_code == 1 ? "partial" : "done");
}

static void finish(struct batch *b, struct batch_job *j, int status)
{
    j->seconds = now_s() - j->started;
    b->running--;
    char from[PATH_BUF], to[PATH_BUF];
    if (WIFEXITED(status)) {
        j->exit_code = WEXITSTATUS(status);
        if (j->exit_code == IKM_EXIT_OK || j->exit_code == IKM_EXIT_PARTIAL) {
            int ok = batch_path(from, sizeof from, b->out, j, ".json.tmp") == 0 &&
                     batch_path(to, sizeof to, b->out, j, ".json") == 0 && rename(from, to) == 0;
            if (ok && b->keep_db)
                ok = batch_path(from, sizeof from, b->out, j, ".db.tmp") == 0 &&
                     batch_path(to, sizeof to, b->out, j, ".db") == 0 && rename(from, to) == 0;
            else if (ok && batch_path(to, sizeof to, b->out, j, ".db") == 0)
                unlink(to); /* an earlier --keep-db run's timeline is not this report's */
            if (ok) {
                j->state = JOB_DONE;
            } else {
                j->state = JOB_FAILED;
                set_error(j, "the worker's output %s is missing: %s", from, strerror(errno));
            }
        } else {
            j->state = JOB_FAILED;
            free(j->error);
            j->error = log_error(b, j);
            if (!j->error)
                set_error(j, "analyze exited with status %d", j->exit_code);
        }
    } else {
        j->state = JOB_FAILED;
        j->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        if (j->timed_out)
            set_error(j, "timed out after %ld s (killed)", b->timeout);
        else
            set_error(j, "killed by signal %d (%s)", j->signal, strsignal(j->signal));
    }
    remove_temps(b, j, j->pid);
    j->pid = 0;
    settle(b, j);
}

/* Hashes the input, skips it when its report is current, else forks its worker. */
static void start(struct batch *b, struct batch_job *j, const sigset_t *old_mask)
{
    struct stat st;
    if (stat(j->input, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* a FIFO or a device would block or never end: neither is a bundle */
        j->state = JOB_FAILED;
        set_error(j, "%s: not a file or folder", j->input);
        write_log_line(b, j, j->error ? j->error : "not a file or folder");
        settle(b, j);
        return;
    }
    if (batch_hash_input(j) < 0) {
        j->state = JOB_FAILED;
        set_error(j, "cannot read %s: %s", j->input, strerror(errno));
        write_log_line(b, j, j->error ? j->error : "cannot read the input");
        settle(b, j);
        return;
    }
    if (!b->force && batch_state_current(b->out, j, b->keep_db)) {
        j->state = JOB_SKIPPED;
        b->skipped++;
        job_line(b, j, "skipped, report current");
        return;
    }
    remove_temps(b, j, 0);
    char out_tmp[PATH_BUF], db_tmp[PATH_BUF], log[PATH_BUF], wd[PATH_BUF];
    if (batch_path(out_tmp, sizeof out_tmp, b->out, j, ".json.tmp") < 0 ||
        batch_path(db_tmp, sizeof db_tmp, b->out, j, ".db.tmp") < 0 ||
        batch_path(log, sizeof log, b->out, j, ".log") < 0 || work_dir(wd, sizeof wd, b, j) < 0 ||
        mkdir(wd, 0700) != 0) {
        j->state = JOB_FAILED;
        set_error(j, "cannot prepare the worker's files in %s: %s", b->out, strerror(errno));
        settle(b, j);
        return;
    }
    char *argv[16];
    int argc = 0;
    argv[argc++] = "ikemortem";
    argv[argc++] = "analyze";
    argv[argc++] = "-q";
    argv[argc++] = "-o";
    argv[argc++] = out_tmp;
    if (b->keep_db) {
        argv[argc++] = "--db";
        argv[argc++] = db_tmp;
    }
    if (b->rules) {
        argv[argc++] = "--rules";
        argv[argc++] = (char *)b->rules;
    }
    if (b->tz) {
        argv[argc++] = "--tz";
        argv[argc++] = (char *)b->tz;
    }
    if (b->redact)
        argv[argc++] = "--redact";
    argv[argc++] = "--"; /* an input named "-x" is an input */
    argv[argc++] = j->input;
    argv[argc] = NULL;
    j->started = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        /* the worker: its own process group (Ctrl-C is the scheduler's to handle), signals
         * unblocked, stdout and stderr into its log, its scratch folder as TMPDIR */
        setpgid(0, 0);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd < 0 || nul < 0)
            _exit(126);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("TMPDIR", wd, 1);
        /* this binary by the path the kernel gives (what valgrind gives too, where exec of
         * /proc/self/exe would start valgrind's tool); a binary replaced since we started
         * through /proc/self/exe; no /proc: the name we were started by */
        if (b->self[0])
            execv(b->self, argv);
        execv("/proc/self/exe", argv);
        execvp(program_invocation_name, argv);
        dprintf(2, "ikemortem batch: cannot run %s: %s\n", program_invocation_name, strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        j->state = JOB_FAILED;
        set_error(j, "cannot start a worker: %s", strerror(errno));
        remove_temps(b, j, 0);
        settle(b, j);
        return;
    }
    setpgid(pid, pid); /* both sides: whichever runs first, the group exists before a kill */
    j->pid = pid;
    j->state = JOB_RUNNING;
    b->running++;
}

static struct batch_job *job_of(struct batch *b, pid_t pid)
{
    for (size_t i = 0; i < b->jobs.n; i++)
        if (b->jobs.v[i].state == JOB_RUNNING && b->jobs.v[i].pid == pid)
            return &b->jobs.v[i];
    return NULL;
}

static void kill_worker(struct batch_job *j)
{
    kill(-j->pid, SIGKILL);
    kill(j->pid, SIGKILL);
}

static void show_progress(struct batch *b, int force)
{
    double t = now_s();
    if (!b->progress || (!force && t - b->last_progress < 0.2))
        return;
    b->last_progress = t;
    size_t total = b->jobs.n, ended = b->done + b->failed + b->skipped, worked = b->done + b->failed;
    double el = t - b->t0, rate = el > 0 ? (double)worked / el : 0;
    char eta[32] = "--:--";
    if (rate > 0) {
        long s = (long)((double)(total - ended) / rate + 0.5);
        snprintf(eta, sizeof eta, "%ld:%02ld", s / 60, s % 60);
    }
    fprintf(stderr, "\r\033[Kbatch: %zu/%zu done, %zu failed, %zu running, %.2f bundles/s, ETA %s", ended, total,
            b->failed, b->running, rate, eta);
    fflush(stderr);
}

static void on_sigchld(int sig)
{
    (void)sig;
}

/* The scheduler: launch up to N workers, wait for a worker to end, a timeout or a stop
 * signal (all of them blocked by the caller, in set; old is the mask workers get). Returns 1
 * when stopped by a signal. */
static int run(struct batch *b, const sigset_t *set, const sigset_t *old)
{
    int stopped = 0;
    b->t0 = now_s();
    for (;;) {
        while (!stopped && b->running < (size_t)b->workers && b->next < b->jobs.n)
            start(b, &b->jobs.v[b->next++], old);
        if (b->running == 0 && (stopped || b->next >= b->jobs.n))
            break;
        show_progress(b, 0);
        struct timespec wait = {0, 250 * 1000 * 1000};
        siginfo_t si;
        int sig = sigtimedwait(set, &si, &wait);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            stopped = 1;
            for (size_t i = 0; i < b->jobs.n; i++)
                if (b->jobs.v[i].state == JOB_RUNNING)
                    kill_worker(&b->jobs.v[i]);
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, stopped ? 0 : WNOHANG)) > 0) {
            struct batch_job *j = job_of(b, pid);
            if (!j)
                continue;
            if (stopped && WIFSIGNALED(status)) { /* killed by us: no row, no state; a rerun redoes it */
                j->state = JOB_INTERRUPTED;
                b->running--;
                remove_temps(b, j, pid);
                j->pid = 0;
            } else { /* ended on its own, even if just as we stopped: its report counts */
                finish(b, j, status);
            }
            if (stopped && b->running == 0)
                break;
        }
        double t = now_s();
        for (size_t i = 0; !stopped && i < b->jobs.n; i++) {
            struct batch_job *j = &b->jobs.v[i];
            if (j->state == JOB_RUNNING && !j->timed_out && t - j->started > (double)b->timeout) {
                j->timed_out = 1;
                kill_worker(j);
            }
        }
    }
    for (size_t i = b->next; i < b->jobs.n; i++)
        b->jobs.v[i].state = JOB_INTERRUPTED;
    clear_progress(b);
    return stopped;
}

int ikm_cmd_batch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"keep-db", no_argument, NULL, OPT_KEEP_DB},
        {"force", no_argument, NULL, OPT_FORCE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"rules", required_argument, NULL, OPT_RULES},
        {"redact", no_argument, NULL, OPT_REDACT},
        {"redact-key", required_argument, NULL, OPT_REDACT_KEY},
        {"tz", required_argument, NULL, IKM_OPT_TZ},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct batch b = {.timeout = DEFAULT_TIMEOUT_S};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    b.workers = ncpu > 0 ? (ncpu > MAX_WORKERS ? MAX_WORKERS : (int)ncpu) : 1;
    struct ikm_ingest_opts io;
    ikm_ingest_opts_init(&io);
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "hj:o:vq", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (parse_long(optarg, 1, MAX_WORKERS, &v) < 0) {
                fprintf(stderr, "ikemortem batch: -j %s: a number of workers from 1 to %d\n", optarg, MAX_WORKERS);
                return IKM_EXIT_USAGE;
            }
            b.workers = (int)v;
            break;
        case 'o':
            b.out = optarg;
            break;
        case OPT_KEEP_DB:
            b.keep_db = 1;
            break;
        case OPT_FORCE:
            b.force = 1;
            break;
        case OPT_TIMEOUT:
            if (parse_long(optarg, 1, MAX_TIMEOUT_S, &b.timeout) < 0) {
                fprintf(stderr, "ikemortem batch: --timeout %s: seconds from 1 to %ld\n", optarg, MAX_TIMEOUT_S);
                return IKM_EXIT_USAGE;
            }
            break;
        case OPT_RULES:
            b.rules = optarg;
            break;
        case OPT_REDACT:
            b.redact = 1;
            break;
        case OPT_REDACT_KEY:
            b.redact = 1;
            if (!*optarg || setenv("IKM_REDACT_KEY", optarg, 1) != 0) {
                fprintf(stderr, "ikemortem batch: --redact-key: an empty key\n");
                return IKM_EXIT_USAGE;
            }
            break;
        case IKM_OPT_TZ: /* checked here, so that a typo is one usage error, not N failed rows */
            if (ikm_ingest_option(&io, c, optarg, "batch") != 0)
                return IKM_EXIT_USAGE;
            b.tz = optarg;
            break;
        case 'v':
            b.verbose = 1;
            break;
        case 'q':
            b.quiet = 1;
            break;
        case 'h':
            fputs(batch_usage, stdout);
            return IKM_EXIT_OK;
        default:
            fputs(batch_usage, stderr);
            return IKM_EXIT_USAGE;
        }
    }
    if (!b.out || optind >= argc) {
        fprintf(stderr, "ikemortem batch: %s\n\n", !b.out ? "--out DIR is required" : "no INPUT given");
        fputs(batch_usage, stderr);
        return IKM_EXIT_USAGE;
    }
    if (b.redact && !(getenv("IKM_REDACT_KEY") && *getenv("IKM_REDACT_KEY"))) {
        /* one random key for the whole batch: the same address gets the same token in every
         * bundle's report (a rerun with a new key does not; give --redact-key for that) */
        unsigned char raw[32];
        char hex[65];
        if (RAND_bytes(raw, sizeof raw) != 1) {
            fprintf(stderr, "ikemortem batch: --redact: no random key could be made\n");
            return IKM_EXIT_NOTHING;
        }
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        setenv("IKM_REDACT_KEY", hex, 1);
    }
    struct stat st;
    if (b.rules && (stat(b.rules, &st) != 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "ikemortem batch: --rules %s: not a folder\n", b.rules);
        return IKM_EXIT_USAGE;
    }
    if (mkdir(b.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "ikemortem batch: cannot create %s: %s\n", b.out, strerror(errno));
        return IKM_EXIT_NOTHING;
    }
    if (stat(b.out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "ikemortem batch: %s is not a folder\n", b.out);
        return IKM_EXIT_USAGE;
    }
    /* one batch per output folder: two would overwrite each other's temporaries and summary */
    char p[PATH_BUF];
    snprintf(p, sizeof p, "%s/.batch.lock", b.out);
    int lock = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "ikemortem batch: %s: %s\n", b.out,
                lock < 0 ? strerror(errno) : "another batch is writing to this folder");
        if (lock >= 0)
            close(lock);
        return IKM_EXIT_NOTHING;
    }
    sweep_stale(b.out);
    char err[1024];
    int rc;
    if (batch_expand(&b.jobs, argc - optind, argv + optind, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem batch: %s\n", err);
        rc = IKM_EXIT_USAGE;
        goto out;
    }
    if (b.jobs.n == 0) {
        fprintf(stderr, "ikemortem batch: no bundle found in the inputs\n");
        rc = IKM_EXIT_NOTHING;
        goto out;
    }
    ssize_t sl = readlink("/proc/self/exe", b.self, sizeof b.self - 1);
    b.self[sl > 0 ? (size_t)sl : 0] = '\0';
    b.progress = !b.quiet && isatty(2);
    /* SIGINT, SIGTERM and SIGHUP stay blocked until the summary is written: the scheduler
     * takes them with sigtimedwait (no handler races), and one that comes later must not kill
     * the batch half-way through its summary. SIGCHLD gets a handler only so that it is never
     * discarded as ignored while blocked. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    struct sigaction sa = {0}, old_chld;
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old_chld);
    sigprocmask(SIG_BLOCK, &set, &old);
    int stopped = run(&b, &set, &old);
    long rows = batch_write_summary(b.out, &b.jobs, err, sizeof err);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) > 0) /* the work is done: a late Ctrl-C changes nothing */
        ;
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGCHLD, &old_chld, NULL);
    if (rows < 0)
        fprintf(stderr, "ikemortem batch: %s\n", err);
    size_t analyzed = b.done + b.skipped, interrupted = b.jobs.n - analyzed - b.failed;
    if (!b.quiet) {
        fprintf(stderr, "ikemortem batch: %zu bundles: %zu analyzed (%zu partial), %zu skipped (report current), "
                        "%zu failed",
                b.jobs.n, b.done, b.partial, b.skipped, b.failed);
        if (stopped)
            fprintf(stderr, ", %zu not done (stopped)", interrupted);
        if (rows >= 0)
            fprintf(stderr, "; summary: %s/summary.csv (%ld rows)\n", b.out, rows);
        else
            fputc('\n', stderr);
    }
    if (analyzed == 0)
        rc = IKM_EXIT_NOTHING;
    else if (stopped || b.failed || rows < 0)
        rc = IKM_EXIT_PARTIAL;
    else
        rc = IKM_EXIT_OK;
out:
    batch_jobs_free(&b.jobs);
    close(lock);
    return rc;
}
