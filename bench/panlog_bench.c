/*
 * panlog_bench.c — standalone throughput driver for the system-log readers: parses one file
 * through a sink that keeps nothing and prints MB/s (bench/run_syslog.sh runs it). With
 * --dump it prints each event instead, which is handy when looking at a real file.
 *
 *   panlog_bench [--csv] [--dump] FILE
 *
 * Exit status: 0 parsed, 1 read error or sink failure, 2 usage.
 */
#include "../parsers/panlog_cli.h"
#include "../parsers/panlog_csv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct file_stream {
    FILE *fp;
    int err;
};

static ssize_t fs_read(void *ctx, void *buf, size_t n)
{
    struct file_stream *fs = ctx;
    size_t k = fread(buf, 1, n, fs->fp);
    if (k == 0 && ferror(fs->fp)) {
        fs->err = errno;
        return -1;
    }
    return (ssize_t)k;
}

static const char *fs_error(void *ctx)
{
    struct file_stream *fs = ctx;
    return strerror(fs->err);
}

static int dump;
static long long n_events;

static void print_str(const char *label, struct ikm_str s)
{
    if (s.ptr)
        printf(" %s=%.*s", label, (int)s.len, s.ptr);
}

static int on_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx;
    n_events++;
    if (!dump)
        return 0;
    printf("%lld %.*s %s %s", (long long)ev->line, (int)ev->t.text_len, ev->t.text, ikm_tz_state_name(ev->t.state),
           ikm_event_kind_name(ev->kind));
    print_str("gw", ev->gateway);
    print_str("tn", ev->tunnel);
    print_str("peer", ev->peer_ip);
    for (size_t i = 0; i < ev->n_attrs; i++)
        print_str(ev->attrs[i].key, ev->attrs[i].value);
    printf("\n");
    return 0;
}

static int on_msg(void *ctx, const struct ikm_ike_msg *m)
{
    (void)ctx, (void)m;
    return 0;
}

static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)ctx;
    if (dump)
        printf("%lld UNPARSED (%s): %.*s\n", (long long)u->line, u->reason, (int)u->text.len, u->text.ptr);
    return 0;
}

static int on_diag(void *ctx, const struct ikm_diag *d)
{
    (void)ctx;
    if (dump)
        printf("%lld DIAG %s: %s\n", (long long)d->line, d->check, d->message);
    return 0;
}

int main(int argc, char **argv)
{
    int csv = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0)
            csv = 1;
        else if (strcmp(argv[i], "--dump") == 0)
            dump = 1;
        else if (!path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path) {
        fprintf(stderr, "usage: panlog_bench [--csv] [--dump] FILE\n");
        return 2;
    }
    struct file_stream fs = {fopen(path, "rb"), 0};
    if (!fs.fp) {
        fprintf(stderr, "panlog_bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct ikm_stream st = {&fs, fs_read, fs_error};
    struct ikm_sink sink = {.event = on_event, .ike_message = on_msg, .unparsed = on_unparsed, .diag = on_diag};
    struct ikm_source_stats stats;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = csv ? panlog_csv_parse_stream(st, &sink, &stats) : panlog_cli_parse_stream(st, &sink, &stats);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fclose(fs.fp);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double mb = (double)stats.bytes / 1e6;
    fprintf(dump ? stderr : stdout,
            "%s: %.1f MB in %.3f s = %.1f MB/s; units %lld parsed %lld unparsed %lld events %lld (dpd-down %lld)\n",
            csv ? "panlog_csv" : "panlog_cli", mb, secs, secs > 0 ? mb / secs : 0.0, (long long)stats.units,
            (long long)stats.parsed, (long long)stats.unparsed, n_events,
            (long long)stats.events_by_kind[IKM_EV_DPD_DOWN]);
    return r == 0 ? 0 : 1;
}
