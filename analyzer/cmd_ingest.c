/*
 * cmd_ingest.c — `ikemortem ingest --db FILE INPUT...`: walk each input (bundle, folder or
 * file), detect every leaf's kind, parse it into the timeline (one transaction per source),
 * name each bundle's device, apply the device zones, pair the IKE exchanges, and print a
 * per-source summary.
 */
#include "artifacts.h"
#include "cli.h"
#include "hasher.h"
#include "ingest.h"
#include "input.h"
#include "kinds.h"
#include "walk.h"
#include "pairing.h"
#include "rotation.h"
#include "timeline.h"
#include "zone.h"

#include "../parsers/timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char ingest_usage[] =
    "Usage: ikemortem ingest --db FILE [--tz ZONE] [--max-bytes N] [--max-ratio N] [-v | -q] INPUT...\n"
    "\n"
    "Parses each INPUT into the timeline database FILE. An INPUT is a tech-support file\n"
    "(.tgz, .tar, .zip; read as a stream, never extracted), a folder (walked, links not\n"
    "followed), or a file. Each bundle is one device, named after its hostname. Files,\n"
    "plain or compressed (gzip, bzip2, xz), are recognised by content (the name only breaks\n"
    "ties); members that are none of these are listed in the inventory:\n"
    "  ikemgr.log / ikemgr-ng.log and rotations   the IKE daemon's log\n"
    "  show_log_system.txt                        `show log system` output\n"
    "  syslog / CSV exports                       SYSTEM and CONFIG logs (7.x to 11.x layouts)\n"
    "  techsupport_*.txt                          CLI outputs (show clock, vpn, counters, routes)\n"
    "  routed.log, frr logs                       routing daemons\n"
    "  running-config.xml                         gateways, tunnels, hostname, time zone\n"
    "  ikemgr.pcap, dataplane captures            IKE and ESP packets (pcap, pcapng)\n"
    "FILE is created when missing (built under a temporary name and renamed into place when\n"
    "complete) and extended otherwise; an input whose content is already in FILE is skipped.\n"
    "Times without a UTC offset take the device's zone (running-config, else show clock),\n"
    "else --tz, else UTC (flagged as assumed).\n"
    "\n"
    "Options:\n"
    "  --db FILE      timeline database to create or extend (required)\n"
    "  --tz ZONE      zone of inputs whose lines carry no UTC offset:\n"
    "                 +HH:MM, -HHMM, UTC, or a zone name such as Europe/Berlin\n"
    "  --max-bytes N  stop decompressing an INPUT past N bytes (default 64G; K, M, G, T)\n"
    "  --max-ratio N  stop when data expands more than N times (default 200; decompression bombs)\n"
    "  -v, --verbose  also say how each input's kind was decided, and list warnings\n"
    "  -q, --quiet    print only problems\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit codes: 0 all read; 1 some input not fully read; 2 usage; 3 nothing could be read.\n";


/* What one stored source said, kept until the end of the run: its time zone may still
 * change when a later input brings the device's zone. */
struct stored {
    char *path;
    const char *kind;
    int64_t source_id;
    struct ikm_source_stats st;
};

static const char *tz_source_text(const char *src)
{
    static const struct {
        const char *src, *text;
    } m[] = {
        {"line", "from the lines' offsets"},
        {"config", "the device's configured zone"},
        {"clock", "the zone show clock printed (one fixed offset)"},
        {"cli", "from --tz"},
        {"logs", "the one offset the device's other logs carry"},
        {"assumed", "ASSUMED: no offset, no device zone; give --tz"},
    };
    for (size_t i = 0; src && i < sizeof m / sizeof m[0]; i++)
        if (strcmp(src, m[i].src) == 0)
            return m[i].text;
    return "unknown";
}

static void print_summary(FILE *out, struct tl_db *db, const struct stored *s)
{
    const struct ikm_source_stats *st = &s->st;
    fprintf(out, "%s: %s, %lld %s: %lld parsed, %lld unparsed", s->path, s->kind, (long long)st->units,
           strcmp(s->kind, "pcap") == 0 ? "frames" : "lines", (long long)st->parsed, (long long)st->unparsed);
    if (st->errors || st->warnings)
        fprintf(out, " (%lld errors, %lld warnings)", (long long)st->errors, (long long)st->warnings);
    fprintf(out, "\n");
    if (st->first_local_us != INT64_MIN) {
        char a[40], b[40], tz[96] = "", src[32] = "";
        tl_source_zone(db, s->source_id, tz, sizeof tz, src, sizeof src);
        int capture = strcmp(s->kind, "pcap") == 0;
        fprintf(out, "  %s: %s .. %s", capture ? "capture time (UTC)" : "device-local time",
               ikm_format_local(st->first_local_us, a, sizeof a), ikm_format_local(st->last_local_us, b, sizeof b));
        if (src[0] && !capture)
            fprintf(out, " (zone %s, %s)", tz, tz_source_text(src));
        fprintf(out, "\n");
    }
    fprintf(out, "  events:");
    int any = 0;
    for (int k = 0; k < IKM_EV_COUNT; k++)
        if (st->events_by_kind[k]) {
            fprintf(out, "%s %s %lld", any ? "," : "", ikm_event_kind_name((enum ikm_event_kind)k),
                   (long long)st->events_by_kind[k]);
            any = 1;
        }
    fprintf(out, "%s\n", any ? "" : " none");
    if (st->ike_messages)
        fprintf(out, "  ike messages: %lld\n", (long long)st->ike_messages);
}

/* The run's state, shared by the walk callbacks. */
struct ingest_run {
    struct tl_db *db;
    struct ikm_parsers *parsers;
    const struct ikm_ingest_opts *o;
    struct stored *done;
    size_t ndone, cap;
    char **bundles; /* bundles (archives, folders, archives inside them) met in this run */
    char **bundle_names; /* each one's device name once its files gave it (NULL before) */
    size_t nbundles;
    int64_t src_before, inv_before; /* the ids before the current input's walk */
    int stored, skipped, failed, fatal, partial;
};

static int remember(struct ingest_run *run, const char *path, const char *kind, int64_t source_id,
                    const struct ikm_source_stats *st)
{
    if (run->ndone == run->cap) {
        size_t ncap = run->cap ? run->cap * 2 : 16;
        struct stored *nd = realloc(run->done, ncap * sizeof *nd);
        if (!nd)
            return -1;
        run->done = nd;
        run->cap = ncap;
    }
    struct stored *s = &run->done[run->ndone];
    if (!(s->path = strdup(path)))
        return -1;
    s->kind = kind;
    s->source_id = source_id;
    s->st = *st;
    run->ndone++;
    return 0;
}

static void on_note(void *ctx, const char *bundle, const char *member, int64_t bytes, const char *status,
                    const char *detail, enum ikm_note_level level)
{
    struct ingest_run *run = ctx;
    tl_input_diag_level(run->db, bundle, member, status, detail, level == IKM_NOTE_ERROR);
    tl_inventory_add(run->db, bundle, member, bytes, NULL, status, detail, 0);
    if (level == IKM_NOTE_ERROR) {
        run->partial = 1;
        if (!bundle && (strcmp(status, "error") == 0))
            run->failed++;
    }
    if (level == IKM_NOTE_ERROR || (level == IKM_NOTE_WARNING && run->o->verbose))
        fprintf(stderr, "%s%s%s: %s: %s\n", bundle ? bundle : "", bundle && member ? ":" : "", member ? member : "",
                level == IKM_NOTE_ERROR ? "error" : "warning", detail);
}

/* The bundle's index in run->bundles (added when new), or -1 (none, or no memory). */
static ssize_t note_bundle(struct ingest_run *run, const char *bundle)
{
    if (!bundle)
        return -1;
    for (size_t i = 0; i < run->nbundles; i++)
        if (strcmp(run->bundles[i], bundle) == 0)
            return (ssize_t)i;
    char **nb = realloc(run->bundles, (run->nbundles + 1) * sizeof *nb);
    if (!nb)
        return -1;
    run->bundles = nb;
    char **nn = realloc(run->bundle_names, (run->nbundles + 1) * sizeof *nn);
    if (!nn)
        return -1;
    run->bundle_names = nn;
    if ((run->bundles[run->nbundles] = strdup(bundle)) == NULL)
        return -1;
    run->bundle_names[run->nbundles] = NULL;
    return (ssize_t)run->nbundles++;
}

/* After a source of bundle b is stored: once its files name the device, the bundle's later
 * sources are stored under that name, so that naming the device at the bundle's end rewrites
 * only the rows stored before (a config or CLI output read ahead of a 1 GiB log, not the log). */
static void learn_bundle_name(struct ingest_run *run, ssize_t b)
{
    if (b < 0 || run->bundle_names[b])
        return;
    char device[256];
    if (tl_bundle_hostname(run->db, run->bundles[b], run->src_before, run->inv_before, device, sizeof device) < 0 ||
        !device[0] || !(run->bundle_names[b] = strdup(device)))
        return;
    tl_rename_own_addrs(run->db, run->bundles[b], device);
}

/* One leaf: a file, or a member of a bundle, with its content opened. */
static int on_leaf(void *ctx, const struct ikm_leaf *leaf)
{
    struct ingest_run *run = ctx;
    ssize_t bundle_ix = note_bundle(run, leaf->bundle);
    const struct ikm_ingest_opts *o = run->o;
    struct ikm_input *in = leaf->in;
    const char *member = leaf->bundle ? leaf->name : NULL;
    char why[256];
    enum ikm_kind kind = ikm_detect(in->peek, in->peek_len, leaf->name, why, sizeof why);
    if (o->verbose)
        fprintf(stderr, "%s: %s (%s; compression: %s)\n", leaf->label, ikm_kind_name(kind), why, in->filter);
    const struct ikm_kind_info *ki = ikm_kind_info(kind);
    if (!ki) {
        /* in a bundle most members are not ours: listed, not an error; a file named alone is */
        char msg[400];
        snprintf(msg, sizeof msg, "not understood: %s", why);
        tl_inventory_add(run->db, leaf->bundle, member ? member : leaf->label, in->peek_len, NULL, "not-understood",
                         why, 0);
        if (!leaf->bundle) {
            fprintf(stderr, "%s: %s\n", leaf->label, msg);
            tl_input_diag(run->db, leaf->label, "detect", msg);
            run->failed++;
        }
        return 0;
    }
    const char *device = bundle_ix >= 0 && run->bundle_names[bundle_ix] ? run->bundle_names[bundle_ix] : leaf->bundle;
    if (tl_source_begin(run->db, leaf->label, ki->name, device, stderr) < 0 ||
        tl_source_origin(run->db, leaf->bundle, member) < 0) {
        fprintf(stderr, "%s: database: cannot start the source\n", leaf->label);
        run->fatal = 1;
        return -1;
    }
    struct ikm_sink sink = tl_source_sink(run->db);
    struct ikm_source_stats st;
    ikm_source_stats_init(&st);
    int r = ki->parse(run->parsers, ikm_input_stream(in), &sink, &st);
    char sha[65];
    int hash_ok = ikm_input_sha256(in, sha) == 0;
    if (r < 0) {
        fprintf(stderr, "%s: stopped: the database refused a row or memory ran out\n", leaf->label);
        tl_source_abort(run->db);
        run->fatal = 1;
        return -1;
    }
    if (!hash_ok) {
        fprintf(stderr, "%s: error: could not be read to its end\n", leaf->label);
        run->partial = 1;
    }
    if (r == 1 || st.errors > 0)
        run->partial = 1;
    struct tl_source_result res;
    char err[512];
    enum tl_end_result e = tl_source_end(run->db, &st, sha, &res, err, sizeof err);
    if (e == TL_END_FAILED) {
        fprintf(stderr, "%s: %s\n", leaf->label, err);
        run->fatal = 1;
        return -1;
    }
    if (e == TL_END_DUPLICATE) {
        tl_inventory_add(run->db, leaf->bundle, member ? member : leaf->label, in->raw_bytes, ki->name, "duplicate",
                         res.duplicate_path, res.duplicate_of);
        if (!o->quiet)
            fprintf(o->out, "%s: skipped: same content as source #%lld (%s)\n", leaf->label, (long long)res.duplicate_of,
                   res.duplicate_path);
        run->skipped++;
        return 0;
    }
    tl_inventory_add(run->db, leaf->bundle, member ? member : leaf->label, in->raw_bytes, ki->name, "ingested",
                     NULL, res.source_id);
    run->stored++;
    learn_bundle_name(run, bundle_ix);
    if (remember(run, leaf->label, ki->name, res.source_id, &st) < 0) {
        run->fatal = 1;
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident memory so far in KiB (Linux), or -1. */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

/* -v: where the time and memory went, phase by phase */
static double process_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One line per phase with -v: wall time, CPU time of the whole process in it (this
 * machine's speed drifts; CPU time compares runs better), and peak memory. */
static void phase(const struct ikm_ingest_opts *o, const char *name, double *t, double *cpu)
{
    double n = now_s(), c = process_cpu_s();
    if (o->verbose)
        fprintf(stderr, "time: %-22s %8.3f s, cpu %7.3f s, peak memory %ld MiB\n", name, n - *t, c - *cpu,
                peak_rss_kib() / 1024);
    *t = n;
    *cpu = c;
}

static int parse_size(const char *s, int64_t *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0)
        return -1;
    double mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end || v * mul > 9.0e18)
        return -1;
    *out = (int64_t)(v * mul);
    return 0;
}

int ikm_ingest_option(struct ikm_ingest_opts *o, int c, const char *arg, const char *cmd)
{
    char err[512];
    switch (c) {
    case IKM_OPT_TZ:
        if (ikm_tz_parse(arg, &o->tz, err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem %s: %s\n", cmd, err);
            return -1;
        }
        return 0;
    case IKM_OPT_MAX_BYTES:
        if (parse_size(arg, &o->limits.max_bytes) < 0) {
            fprintf(stderr, "ikemortem %s: --max-bytes: a size like 500M, 64G (got '%s')\n", cmd, arg);
            return -1;
        }
        return 0;
    case IKM_OPT_MAX_RATIO: {
        char *end;
        long v = strtol(arg, &end, 10);
        if (*end || v < 1 || v > 1000000) {
            fprintf(stderr, "ikemortem %s: --max-ratio: a whole number from 1 to 1000000 (got '%s')\n", cmd, arg);
            return -1;
        }
        o->limits.max_ratio = v;
        return 0;
    }
    default:
        return 1;
    }
}

void ikm_ingest_opts_init(struct ikm_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->limits.max_bytes = IKM_DEFAULT_MAX_BYTES;
    o->limits.max_ratio = IKM_DEFAULT_MAX_RATIO;
    o->out = stdout;
}

int ikm_cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},        {"tz", required_argument, NULL, IKM_OPT_TZ},
        {"max-bytes", required_argument, NULL, IKM_OPT_MAX_BYTES},
        {"max-ratio", required_argument, NULL, IKM_OPT_MAX_RATIO},
        {"verbose", no_argument, NULL, 'v'},         {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    struct ikm_ingest_opts o;
    ikm_ingest_opts_init(&o);
    int c;
    while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db = optarg;
            break;
        case 'v':
            o.verbose = 1;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'h':
            fputs(ingest_usage, stdout);
            return IKM_EXIT_OK;
        default:
            if (ikm_ingest_option(&o, c, optarg, "ingest") != 0) {
                if (c != IKM_OPT_TZ && c != IKM_OPT_MAX_BYTES && c != IKM_OPT_MAX_RATIO)
                    fputs(ingest_usage, stderr);
                return IKM_EXIT_USAGE;
            }
        }
    }
    if (!o.db || optind >= argc) {
        fprintf(stderr, "ikemortem ingest: %s\n\n", !o.db ? "--db FILE is required" : "no INPUT given");
        fputs(ingest_usage, stderr);
        return IKM_EXIT_USAGE;
    }
    return ikm_ingest_run(&o, argc - optind, argv + optind);
}

int ikm_ingest_run(const struct ikm_ingest_opts *o, int ninputs, char *const *inputs)
{
    char err[512];
    struct ikm_parsers parsers;
    if (ikm_parsers_init(&parsers, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem: %s\n", err);
        return IKM_EXIT_NOTHING;
    }
    int created;
    struct tl_db *db = tl_open(o->db, &created, err, sizeof err);
    if (!db) {
        fprintf(stderr, "ikemortem: %s\n", err);
        ikm_parsers_free(&parsers);
        return IKM_EXIT_NOTHING;
    }
    struct ingest_run run = {.db = db, .parsers = &parsers, .o = o};
    double t = now_s(), cpu = process_cpu_s();
    struct ikm_walk_cb cb = {&run, on_leaf, on_note};
    int64_t inventory_seen = 0;
    for (int i = 0; i < ninputs && !run.fatal; i++) {
        size_t first_bundle = run.nbundles;
        int64_t src_before, inv_before;
        tl_max_ids(db, &src_before, &inv_before);
        run.src_before = src_before;
        run.inv_before = inv_before;
        int w = ikm_walk(inputs[i], &o->limits, &cb);
        if (o->verbose) /* what became of every member: status, kind, stored bytes, name */
            inventory_seen = tl_inventory_print(db, inventory_seen, stderr);
        if (w == -2)
            run.failed++;
        /* a bundle is one device: name it after the hostname its own files give */
        for (size_t b = first_bundle; b < run.nbundles && !run.fatal; b++) {
            char device[256];
            if (tl_name_bundle_device(db, run.bundles[b], src_before, inv_before, device, sizeof device) < 0) {
                fprintf(stderr, "ikemortem: database: cannot name the device of %s\n", run.bundles[b]);
                run.fatal = 1;
            } else if (device[0] && !o->quiet) {
                fprintf(o->out, "%s: device %s\n", run.bundles[b], device);
            }
        }
    }
    ikm_parsers_free(&parsers);
    phase(o, "reading inputs", &t, &cpu);
    if (o->verbose) {
        fprintf(stderr, "time:   of it the row writer thread      cpu %7.3f s\n", tl_writer_cpu_s(db));
        fprintf(stderr, "time:   of it SHA-256 on hasher threads  cpu %7.3f s\n", ikm_hasher_threads_cpu_s());
    }
    /* Derived state covers the whole database, so it is rebuilt whenever this run committed
     * anything — also after a later input failed, or the committed sources would stay
     * unresolved for good (a rerun skips them as already stored). */
    int derived_ok = 1;
    if (run.stored > 0 || run.skipped > 0) {
        /* overlaps first (they would pair with themselves), then the device zone (it moves
         * times), then pairing (it orders by time) */
        struct ikm_zone_stats zs;
        struct ikm_pair_stats ps;
        int64_t dups = 0;
        tl_before_bulk_update(db);
        if (ikm_drop_rotation_overlaps(tl_sqlite(db), &dups, err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem: %s\n", err);
            derived_ok = 0;
        }
        phase(o, "rotation overlaps", &t, &cpu);
        if (ikm_zone_resolve(tl_sqlite(db), &o->tz, stderr, &zs, err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem: %s\n", err);
            derived_ok = 0;
        }
        phase(o, "time zones", &t, &cpu);
        for (size_t i = 0; i < run.ndone && !o->quiet; i++)
            print_summary(o->out, db, &run.done[i]);
        if (dups > 0 && !o->quiet)
            fprintf(o->out, "overlapping rotations: %lld duplicate rows dropped\n", (long long)dups);
        if (zs.zone[0] && !o->quiet)
            fprintf(o->out, "device time zone: %s (from %s), applied to %d source%s\n", zs.zone, zs.zone_source,
                   zs.sources_resolved, zs.sources_resolved == 1 ? "" : "s");
        if (ikm_artifacts_rebuild(tl_sqlite(db), err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem: %s\n", err);
            derived_ok = 0;
        }
        phase(o, "checklist", &t, &cpu);
        if (ikm_pair_exchanges(tl_sqlite(db), o->quiet ? NULL : &ps, err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem: %s\n", err);
            derived_ok = 0;
        } else if (!o->quiet) {
            fprintf(o->out, "exchanges: %lld paired (%lld from logs, %lld from captures), %lld answered, %lld unanswered\n",
                   (long long)ps.exchanges, (long long)ps.log_exchanges, (long long)ps.capture_exchanges,
                   (long long)ps.answered, (long long)(ps.exchanges - ps.answered));
        }
    }
    phase(o, "pairing", &t, &cpu);
    for (size_t i = 0; i < run.ndone; i++)
        free(run.done[i].path);
    free(run.done);
    for (size_t i = 0; i < run.nbundles; i++)
        free(run.bundles[i]), free(run.bundle_names[i]);
    free(run.bundles);
    free(run.bundle_names);
    /* a new database is kept only when complete; an existing one keeps what was committed */
    int nothing = run.stored == 0 && run.skipped == 0;
    int keep = !nothing && (!run.fatal || !created) && (derived_ok || !created);
    if (tl_close(db, keep, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem: %s\n", err);
        return IKM_EXIT_NOTHING;
    }
    phase(o, "indexes and close", &t, &cpu);
    if (!keep) {
        if (created)
            fprintf(stderr, "ikemortem: nothing complete to keep; %s not created\n", o->db);
        return IKM_EXIT_NOTHING;
    }
    return (run.failed || run.partial || run.fatal || !derived_ok) ? IKM_EXIT_PARTIAL : IKM_EXIT_OK;
}
