/*
 * cmd_ingest.c — `ikemortem ingest --db FILE INPUT...`: detect each input's kind, parse it
 * into the timeline (one transaction per source), pair the IKE exchanges, and print a
 * per-source summary.
 */
#include "cli.h"
#include "input.h"
#include "kinds.h"
#include "pairing.h"
#include "timeline.h"
#include "zone.h"

#include "../parsers/timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ingest_usage[] =
    "Usage: ikemortem ingest --db FILE [--tz ZONE] [-v | -q] INPUT...\n"
    "\n"
    "Parses each INPUT into the timeline database FILE. Inputs, plain or compressed (gzip,\n"
    "bzip2, xz), recognised by content (the file name only breaks ties):\n"
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
    "  -v, --verbose  also say how each input's kind was decided\n"
    "  -q, --quiet    print only problems\n"
    "  -h, --help     this text\n"
    "\n"
    "Exit codes: 0 all read; 1 some input not fully read; 2 usage; 3 nothing could be read.\n";

struct ingest_opts {
    const char *db;
    struct ikm_tz tz;
    int verbose, quiet;
};

/* What one stored source said, kept until the end of the run: its time zone may still
 * change when a later input brings the device's zone. */
struct stored {
    const char *path;
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
        {"assumed", "ASSUMED: no offset, no device zone; give --tz"},
    };
    for (size_t i = 0; src && i < sizeof m / sizeof m[0]; i++)
        if (strcmp(src, m[i].src) == 0)
            return m[i].text;
    return "unknown";
}

static void print_summary(struct tl_db *db, const struct stored *s)
{
    const struct ikm_source_stats *st = &s->st;
    printf("%s: %s, %lld lines: %lld parsed, %lld unparsed", s->path, s->kind, (long long)st->units,
           (long long)st->parsed, (long long)st->unparsed);
    if (st->errors || st->warnings)
        printf(" (%lld errors, %lld warnings)", (long long)st->errors, (long long)st->warnings);
    printf("\n");
    if (st->first_local_us != INT64_MIN) {
        char a[40], b[40], tz[96] = "", src[32] = "";
        tl_source_zone(db, s->source_id, tz, sizeof tz, src, sizeof src);
        printf("  device-local time: %s .. %s", ikm_format_local(st->first_local_us, a, sizeof a),
               ikm_format_local(st->last_local_us, b, sizeof b));
        if (src[0])
            printf(" (zone %s, %s)", tz, tz_source_text(src));
        printf("\n");
    }
    printf("  events:");
    int any = 0;
    for (int k = 0; k < IKM_EV_COUNT; k++)
        if (st->events_by_kind[k]) {
            printf("%s %s %lld", any ? "," : "", ikm_event_kind_name((enum ikm_event_kind)k),
                   (long long)st->events_by_kind[k]);
            any = 1;
        }
    printf("%s\n", any ? "" : " none");
    if (st->ike_messages)
        printf("  ike messages: %lld\n", (long long)st->ike_messages);
}

enum input_outcome { IN_STORED, IN_SKIPPED, IN_FAILED, IN_FATAL };

static enum input_outcome ingest_one(struct tl_db *db, struct ikm_parsers *parsers, const char *path,
                                     const struct ingest_opts *o, int *partial, struct stored *out)
{
    struct ikm_input in;
    char why[256];
    if (ikm_input_open(&in, path) < 0) {
        fprintf(stderr, "%s: %s\n", path, in.err);
        tl_input_diag(db, path, "open", in.err);
        ikm_input_close(&in);
        return IN_FAILED;
    }
    enum ikm_kind kind = ikm_detect(in.peek, in.peek_len, path, why, sizeof why);
    if (o->verbose)
        fprintf(stderr, "%s: %s (%s; compression: %s)\n", path, ikm_kind_name(kind), why, in.filter);
    const struct ikm_kind_info *ki = ikm_kind_info(kind);
    if (!ki) {
        char msg[400];
        snprintf(msg, sizeof msg, "not understood: %s", why);
        fprintf(stderr, "%s: %s\n", path, msg);
        tl_input_diag(db, path, "detect", msg);
        ikm_input_close(&in);
        return IN_FAILED;
    }
    if (tl_source_begin(db, path, ikm_kind_name(kind), NULL, stderr) < 0) {
        fprintf(stderr, "%s: database: %s\n", path, "cannot start the source");
        ikm_input_close(&in);
        return IN_FATAL;
    }
    struct ikm_sink sink = tl_source_sink(db);
    struct ikm_source_stats st;
    ikm_source_stats_init(&st);
    int r = ki->parse(parsers, ikm_input_stream(&in), &sink, &st);
    char sha[65];
    int hash_ok = ikm_input_sha256(&in, sha) == 0;
    ikm_input_close(&in);
    if (r < 0) {
        fprintf(stderr, "%s: stopped: the database refused a row or memory ran out\n", path);
        tl_source_abort(db);
        return IN_FATAL;
    }
    if (!hash_ok) {
        fprintf(stderr, "%s: error: the file could not be read to its end\n", path);
        *partial = 1;
    }
    if (r == 1 || st.errors > 0)
        *partial = 1;
    struct tl_source_result res;
    char err[512];
    enum tl_end_result e = tl_source_end(db, &st, sha, &res, err, sizeof err);
    if (e == TL_END_FAILED) {
        fprintf(stderr, "%s: %s\n", path, err);
        return IN_FATAL;
    }
    if (e == TL_END_DUPLICATE) {
        if (!o->quiet)
            printf("%s: skipped: same content as source #%lld (%s)\n", path, (long long)res.duplicate_of,
                   res.duplicate_path);
        return IN_SKIPPED;
    }
    out->path = path;
    out->kind = ikm_kind_name(kind);
    out->source_id = res.source_id;
    out->st = st;
    return IN_STORED;
}

int ikm_cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},  {"tz", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    struct ingest_opts o = {0};
    char err[512];
    int c;
    while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db = optarg;
            break;
        case 't':
            if (ikm_tz_parse(optarg, &o.tz, err, sizeof err) < 0) {
                fprintf(stderr, "ikemortem ingest: %s\n", err);
                return IKM_EXIT_USAGE;
            }
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
            fputs(ingest_usage, stderr);
            return IKM_EXIT_USAGE;
        }
    }
    if (!o.db || optind >= argc) {
        fprintf(stderr, "ikemortem ingest: %s\n\n", !o.db ? "--db FILE is required" : "no INPUT given");
        fputs(ingest_usage, stderr);
        return IKM_EXIT_USAGE;
    }
    struct ikm_parsers parsers;
    if (ikm_parsers_init(&parsers, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem: %s\n", err);
        return IKM_EXIT_NOTHING;
    }
    int created;
    struct tl_db *db = tl_open(o.db, &created, err, sizeof err);
    if (!db) {
        fprintf(stderr, "ikemortem: %s\n", err);
        ikm_parsers_free(&parsers);
        return IKM_EXIT_NOTHING;
    }
    int partial = 0, stored = 0, skipped = 0, failed = 0, fatal = 0;
    struct stored *done = calloc((size_t)(argc - optind), sizeof *done);
    if (!done) {
        fprintf(stderr, "ikemortem: out of memory\n");
        tl_close(db, 0, err, sizeof err);
        ikm_parsers_free(&parsers);
        return IKM_EXIT_NOTHING;
    }
    for (int i = optind; i < argc && !fatal; i++) {
        switch (ingest_one(db, &parsers, argv[i], &o, &partial, &done[stored])) {
        case IN_STORED:
            stored++;
            break;
        case IN_SKIPPED:
            skipped++;
            break;
        case IN_FAILED:
            failed++;
            break;
        case IN_FATAL:
            fatal = 1;
            break;
        }
    }
    ikm_parsers_free(&parsers);
    /* Derived state covers the whole database, so it is rebuilt whenever this run committed
     * anything — also after a later input failed, or the committed sources would stay
     * unresolved for good (a rerun skips them as already stored). */
    int derived_ok = 1;
    if (stored > 0 || skipped > 0) {
        /* the device zone first: it moves times, and pairing orders by time */
        struct ikm_zone_stats zs;
        struct ikm_pair_stats ps;
        if (ikm_zone_resolve(tl_sqlite(db), &o.tz, stderr, &zs, err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem: %s\n", err);
            derived_ok = 0;
        }
        for (int i = 0; i < stored && !o.quiet; i++)
            print_summary(db, &done[i]);
        if (zs.zone[0] && !o.quiet)
            printf("device time zone: %s (from %s), applied to %d source%s\n", zs.zone, zs.zone_source,
                   zs.sources_resolved, zs.sources_resolved == 1 ? "" : "s");
        tl_before_bulk_update(db);
        if (ikm_pair_exchanges(tl_sqlite(db), &ps, err, sizeof err) < 0) {
            fprintf(stderr, "ikemortem: %s\n", err);
            derived_ok = 0;
        } else if (!o.quiet) {
            printf("exchanges: %lld paired (%lld from logs, %lld from captures), %lld answered, %lld unanswered\n",
                   (long long)ps.exchanges, (long long)ps.log_exchanges, (long long)ps.capture_exchanges,
                   (long long)ps.answered, (long long)(ps.exchanges - ps.answered));
        }
    }
    free(done);
    /* a new database is kept only when complete; an existing one keeps what was committed */
    int nothing = stored == 0 && skipped == 0;
    int keep = !nothing && (!fatal || !created) && (derived_ok || !created);
    if (tl_close(db, keep, err, sizeof err) < 0) {
        fprintf(stderr, "ikemortem: %s\n", err);
        return IKM_EXIT_NOTHING;
    }
    if (!keep) {
        if (created)
            fprintf(stderr, "ikemortem: nothing complete to keep; %s not created\n", o.db);
        return IKM_EXIT_NOTHING;
    }
    return (failed || partial || fatal || !derived_ok) ? IKM_EXIT_PARTIAL : IKM_EXIT_OK;
}
