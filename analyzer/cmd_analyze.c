/*
 * cmd_analyze.c — `ikemortem analyze`: builds the timeline from the inputs (or opens an
 * existing one), runs the analysis, and prints the text summary or the JSON report.
 *
 * Without --db the timeline is built in a private temporary directory and removed at the end.
 */
#include "analyze.h"
#include "cli.h"
#include "ingest.h"
#include "redact.h"
#include "report.h"
#include "timeline.h"

#include "../rules/engine.h"

#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char analyze_usage[] =
    "Usage: ikemortem analyze [--json | -o FILE] [--db FILE] [--tz ZONE] [--rules DIR] [--redact [--redact-key K]]\n"
    "                         [-v | -q] INPUT...\n"
    "\n"
    "Builds one timeline from the INPUTs (tech-support files, folders, loose ikemgr.log, system\n"
    "logs, captures; both peers' bundles may be given together) or opens an existing timeline\n"
    "database, opens an incident for every tunnel that went down (DPD, phase 1/2 failures, tunnel\n"
    "down, tunnel up without traffic), and ranks its probable root causes with the evidence.\n"
    "\n"
    "Options:\n"
    "  --json         print the JSON report (schema/report.schema.json) on stdout\n"
    "  -o FILE        write the JSON report to FILE (the text summary still goes to stdout)\n"
    "  --db FILE      keep the timeline in FILE (created or extended); INPUT may also be a\n"
    "                 timeline database built earlier, analyzed as it is\n"
    "  --rules DIR    add the rule files DIR/*.sql; a rule with a built-in id replaces it\n"
    "  --redact       replace IP addresses, hostnames, serials, gateway, tunnel and admin names by\n"
    "                 keyed tokens (ip-1a2b3c4d, gw-…) in the report, and in the --db FILE this run\n"
    "                 creates; the same key gives the same tokens\n"
    "  --redact-key K the key (implies --redact; else IKM_REDACT_KEY, else random per run)\n"
    "  --tz ZONE      zone of inputs whose lines carry no UTC offset (see ingest --help)\n"
    "  --max-bytes N, --max-ratio N   decompression limits (see ingest --help)\n"
    "  -v, --verbose  also print the per-input summary of the ingest, and the queries that\n"
    "                 took longer than 50 ms, on stderr\n"
    "  -q, --quiet    with -o: no text summary\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit codes: 0 analyzed, every input fully read; 1 analyzed, some input not fully read;\n"
    "2 usage; 3 nothing could be analyzed.\n";

enum { OPT_JSON = IKM_OPT_FIRST_FREE, OPT_DB, OPT_RULES, OPT_REDACT, OPT_REDACT_KEY };

/* An existing ikemortem timeline (an SQLite file with our application id): its schema version
 * (SQLite's user_version); -1 for any other file. */
static long timeline_version(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char h[100];
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n < sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return -1;
    unsigned long app = (unsigned long)h[68] << 24 | (unsigned long)h[69] << 16 | (unsigned long)h[70] << 8 | h[71];
    if (app != TL_APPLICATION_ID)
        return -1;
    return (long)((unsigned long)h[60] << 24 | (unsigned long)h[61] << 16 | (unsigned long)h[62] << 8 | h[63]);
}

/* -o FILE: written under a temporary name, renamed into place when complete */
struct json_file {
    char path[4096], tmp[4200];
    FILE *f;
};

static int json_file_open(struct json_file *jf, const char *path)
{
    snprintf(jf->path, sizeof jf->path, "%s", path);
    if (snprintf(jf->tmp, sizeof jf->tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof jf->tmp)
        return -1;
    jf->f = fopen(jf->tmp, "w");
    return jf->f ? 0 : -1;
}

static int json_file_close(struct json_file *jf, int keep)
{
    int rc = jf->f && fclose(jf->f) == 0 ? 0 : -1;
    jf->f = NULL;
    if (keep && rc == 0 && rename(jf->tmp, jf->path) == 0)
        return 0;
    unlink(jf->tmp);
    return keep ? -1 : 0;
}

/* -v: statements that took long, so a slow rule can be found */
static int trace_slow(unsigned type, void *ctx, void *p, void *x)
{
    (void)ctx;
    if (type != SQLITE_TRACE_PROFILE)
        return 0;
    long long ns = *(const long long *)x;
    if (ns >= 50000000LL) {
        char *sql = sqlite3_expanded_sql((sqlite3_stmt *)p);
        fprintf(stderr, "time: %8.3f s  %.160s\n", (double)ns / 1e9, sql ? sql : sqlite3_sql((sqlite3_stmt *)p));
        sqlite3_free(sql);
    }
    return 0;
}

struct analyze_opts {
    int json, quiet, verbose;
    int redact;
    const char *redact_key;
    int private_db;  /* the timeline lives in our temp dir: no durability needed */
    int db_is_ours;  /* created by this run: --redact may rewrite it */
    const char *out_file, *db, *rules_dir;
};

/* --redact: every piece of the report goes through the redactor before the writers */
struct redacting {
    const struct ikm_redactor *r;
    const struct ikm_report_sink *inner;
    size_t n;
};

static int redact_feed(void *ctx, const json_t *v, int which)
{
    struct redacting *rd = ctx;
    json_t *copy = json_deep_copy(v);
    int rc = copy && ikm_redact_json(rd->r, copy) == 0 ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < rd->n; i++) {
        int (*f)(void *, const json_t *) = which == 0   ? rd->inner[i].begin
                                           : which == 1 ? rd->inner[i].incident
                                                        : rd->inner[i].end;
        if (f && f(rd->inner[i].ctx, copy) < 0)
            rc = -1;
    }
    json_decref(copy);
    return rc;
}
static int redact_begin(void *ctx, const json_t *v) { return redact_feed(ctx, v, 0); }
static int redact_incident(void *ctx, const json_t *v) { return redact_feed(ctx, v, 1); }
static int redact_end(void *ctx, const json_t *v) { return redact_feed(ctx, v, 2); }

/* The key: --redact-key, else IKM_REDACT_KEY (batch hands its workers one key), else random. */
static struct ikm_redactor *make_redactor(const struct analyze_opts *ao, sqlite3 *db, char *err, size_t errsz)
{
    const char *key = ao->redact_key;
    if (!key) {
        const char *env = getenv("IKM_REDACT_KEY");
        key = env && *env ? env : NULL;
    }
    struct ikm_redactor *r = ikm_redactor_new(key, err, errsz);
    if (r && ikm_redactor_learn(r, db, err, errsz) < 0) {
        ikm_redactor_free(r);
        r = NULL;
    }
    return r;
}

static int run_analysis(const char *db_path, const struct analyze_opts *ao, int ingest_rc)
{
    char err[1024];
    struct ikm_ruleset rules = {0};
    if (ikm_rules_builtin(&rules, err, sizeof err) < 0 ||
        (ao->rules_dir && ikm_rules_load_dir(&rules, ao->rules_dir, err, sizeof err) < 0)) {
        fprintf(stderr, "ikemortem analyze: %s\n", err);
        ikm_rules_free(&rules);
        return ao->rules_dir ? IKM_EXIT_USAGE : IKM_EXIT_NOTHING;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "ikemortem analyze: %s: %s\n", db_path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        ikm_rules_free(&rules);
        return IKM_EXIT_NOTHING;
    }
    sqlite3_busy_timeout(db, 5000);
    if (ao->private_db) /* removed at the end anyway: no syncs */
        sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
    if (ao->verbose)
        sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, trace_slow, NULL);
    struct ikm_analysis_stats st;
    struct ikm_report_sink sinks[2];
    size_t nsinks = 0;
    struct ikm_json_writer jw;
    struct json_file jf = {0};
    int rc = ingest_rc;
    if (ao->out_file) {
        if (json_file_open(&jf, ao->out_file) < 0) {
            fprintf(stderr, "ikemortem analyze: cannot write %s: %s\n", ao->out_file, strerror(errno));
            rc = IKM_EXIT_NOTHING;
        } else {
            sinks[nsinks++] = ikm_json_sink(&jw, jf.f);
        }
    }
    if (ao->json)
        sinks[nsinks++] = ikm_json_sink(&jw, stdout);
    else if (!(ao->out_file && ao->quiet))
        sinks[nsinks++] = ikm_text_sink(stdout);
    struct ikm_redactor *red = NULL;
    struct redacting rd = {0};
    struct ikm_report_sink redact_sink = {&rd, redact_begin, redact_incident, redact_end};
    const struct ikm_report_sink *use = sinks;
    size_t nuse = nsinks;
    if (rc != IKM_EXIT_NOTHING && ao->redact) {
        if (!(red = make_redactor(ao, db, err, sizeof err))) {
            fprintf(stderr, "ikemortem analyze: %s\n", err);
            rc = IKM_EXIT_NOTHING;
        } else {
            rd = (struct redacting){red, sinks, nsinks};
            use = &redact_sink;
            nuse = 1;
        }
    }
    if (rc != IKM_EXIT_NOTHING &&
        ikm_analyze(db, &rules, use, nuse, ao->verbose ? trace_slow : NULL, &st, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem analyze: %s\n", err);
        rc = strncmp(err, "rule ", 5) == 0 && ao->rules_dir ? IKM_EXIT_USAGE : IKM_EXIT_NOTHING;
    }
    /* a timeline this run wrote for the user is shared with the report: redact it too (an
     * existing database given as input is the user's own and stays as it was) */
    if (red && rc != IKM_EXIT_NOTHING && ao->db_is_ours && !ao->private_db &&
        ikm_redact_db(red, db, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem analyze: %s\n", err);
        rc = IKM_EXIT_NOTHING;
    }
    ikm_redactor_free(red);
    if (jf.f && json_file_close(&jf, rc != IKM_EXIT_NOTHING && rc != IKM_EXIT_USAGE) < 0) {
        fprintf(stderr, "ikemortem analyze: cannot write %s: %s\n", ao->out_file, strerror(errno));
        rc = IKM_EXIT_NOTHING;
    }
    ikm_rules_free(&rules); /* its prepared statements first: a connection with open ones stays open */
    sqlite3_close(db);
    return rc;
}

int ikm_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"db", required_argument, NULL, OPT_DB},
        {"rules", required_argument, NULL, OPT_RULES},
        {"redact", no_argument, NULL, OPT_REDACT},
        {"redact-key", required_argument, NULL, OPT_REDACT_KEY},
        {"tz", required_argument, NULL, IKM_OPT_TZ},
        {"max-bytes", required_argument, NULL, IKM_OPT_MAX_BYTES},
        {"max-ratio", required_argument, NULL, IKM_OPT_MAX_RATIO},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ikm_ingest_opts io;
    ikm_ingest_opts_init(&io);
    struct analyze_opts ao = {0};
    int c;
    while ((c = getopt_long(argc, argv, "ho:vq", opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            ao.json = 1;
            break;
        case 'o':
            ao.out_file = optarg;
            break;
        case OPT_DB:
            ao.db = optarg;
            break;
        case OPT_RULES:
            ao.rules_dir = optarg;
            break;
        case OPT_REDACT:
            ao.redact = 1;
            break;
        case OPT_REDACT_KEY:
            ao.redact_key = optarg;
            ao.redact = 1;
            break;
        case 'v':
            io.verbose = 1;
            ao.verbose = 1;
            break;
        case 'q':
            ao.quiet = 1;
            break;
        case 'h':
            fputs(analyze_usage, stdout);
            return IKM_EXIT_OK;
        default:
            if (ikm_ingest_option(&io, c, optarg, "analyze") != 0) {
                if (c != IKM_OPT_TZ && c != IKM_OPT_MAX_BYTES && c != IKM_OPT_MAX_RATIO)
                    fputs(analyze_usage, stderr);
                return IKM_EXIT_USAGE;
            }
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ikemortem analyze: no INPUT given\n\n");
        fputs(analyze_usage, stderr);
        return IKM_EXIT_USAGE;
    }
    if (ao.json && ao.out_file) {
        fprintf(stderr, "ikemortem analyze: --json and -o: choose one\n");
        return IKM_EXIT_USAGE;
    }
    int ninputs = argc - optind;
    char **inputs = argv + optind;
    for (int i = 0; i < ninputs; i++) {
        long ver = timeline_version(inputs[i]);
        if (ver >= 0) {
            if (ninputs > 1 || ao.db) {
                fprintf(stderr, "ikemortem analyze: %s is a timeline database: give it alone (or use --db %s"
                                " with the other inputs)\n", inputs[i], inputs[i]);
                return IKM_EXIT_USAGE;
            }
            if (ver != TL_SCHEMA_VERSION) {
                fprintf(stderr, "ikemortem analyze: %s: a timeline of schema version %ld; this ikemortem reads version %d"
                                " (ingest the inputs again)\n", inputs[i], ver, TL_SCHEMA_VERSION);
                return IKM_EXIT_NOTHING;
            }
            return run_analysis(inputs[i], &ao, IKM_EXIT_OK);
        }
    }
    /* a private place for the timeline when the user keeps none */
    char tmpdir[4096] = "", db_path[4200];
    if (!ao.db) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/ikemortem.XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "ikemortem analyze: cannot create a temporary directory %s: %s\n", tmpdir, strerror(errno));
            return IKM_EXIT_NOTHING;
        }
        snprintf(db_path, sizeof db_path, "%s/timeline.db", tmpdir);
        io.db = db_path;
        ao.private_db = 1;
    } else {
        io.db = ao.db;
        ao.db_is_ours = access(ao.db, F_OK) != 0;
    }
    io.out = stderr;
    io.quiet = !io.verbose;
    int rc = ikm_ingest_run(&io, ninputs, inputs);
    if (rc != IKM_EXIT_NOTHING)
        rc = run_analysis(io.db, &ao, rc);
    if (tmpdir[0]) {
        unlink(db_path);
        rmdir(tmpdir);
    }
    return rc;
}
