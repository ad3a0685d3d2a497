/*
 * pcap_bench.c — throughput of the capture reader on a file from bench/gen_pcap.c, through a
 * sink that counts and discards (no database):
 *   read      libpcap alone (pcap_next_ex over the file): the floor for reading
 *   decode    pcapread_decode_frame over frames already in memory: decoding alone
 *   stream    pcapread_parse_stream (fopencookie stream → libpcap → decode): the real path
 * Each is the best of 3 runs, in packets per second. When tshark is on PATH it is timed on the
 * same file extracting the IKE header fields, and the ratio is printed; it is not installed by
 * this program. --no-tshark leaves it out (bench/run_pcap.sh times tshark itself, next to
 * ingest).
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -D_GNU_SOURCE -O2 \
 *      -o build-pcap/bench/pcap_bench bench/pcap_bench.c parsers/pcapread.c parsers/ike_wire.c \
 *      parsers/sink.c $(pkg-config --cflags --libs libpcap)
 *   build-pcap/bench/pcap_bench [--no-tshark] build-pcap/bench/ike-1M.pcap
 */
#include "../parsers/pcapread.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define RUNS 3

struct tally {
    int64_t ike, liveness, esp_rows, esp_packets, unparsed;
};

static int on_msg(void *ctx, const struct ikm_ike_msg *m)
{
    struct tally *t = ctx;
    t->ike++;
    t->liveness += m->liveness > 0;
    return 0;
}
static int on_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    (void)u;
    ((struct tally *)ctx)->unparsed++;
    return 0;
}
static int on_diag(void *ctx, const struct ikm_diag *d)
{
    (void)ctx;
    fprintf(stderr, "pcap_bench: diagnostic: %s\n", d->message);
    return 0;
}
static int on_esp(void *ctx, const struct ikm_esp_count *e)
{
    struct tally *t = ctx;
    t->esp_rows++;
    t->esp_packets += e->packets;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ssize_t file_read(void *ctx, void *buf, size_t n)
{
    FILE *fp = ctx;
    size_t k = fread(buf, 1, n, fp);
    return k == 0 && ferror(fp) ? -1 : (ssize_t)k;
}

struct frame {
    uint32_t off, caplen, len;
    int64_t ts;
};

int main(int argc, char **argv)
{
    int tshark = !(argc == 3 && strcmp(argv[1], "--no-tshark") == 0);
    if (argc != 2 && tshark) {
        fprintf(stderr, "usage: pcap_bench [--no-tshark] FILE.pcap\n");
        return 2;
    }
    const char *path = argv[argc - 1];
    char errbuf[PCAP_ERRBUF_SIZE];

    /* 1. libpcap alone, and the frames into memory for the decode-only runs */
    double best_read = 1e30;
    struct frame *fr = NULL;
    uint8_t *bytes = NULL;
    size_t nfr = 0, nbytes = 0;
    int dlt = -1;
    for (int run = 0; run < RUNS; run++) {
        pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
        if (!pc) {
            fprintf(stderr, "pcap_bench: %s: %s\n", path, errbuf);
            return 1;
        }
        dlt = pcap_datalink(pc);
        struct pcap_pkthdr *h;
        const u_char *d;
        size_t n = 0, sum = 0;
        double t0 = now();
        while (pcap_next_ex(pc, &h, &d) == 1) {
            n++;
            sum += d[h->caplen / 2];
        }
        double dt = now() - t0;
        pcap_close(pc);
        if (dt < best_read)
            best_read = dt;
        nfr = n;
        if (sum == 1) /* keeps the loop's reads */
            fprintf(stderr, " ");
    }
    {
        pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
        fr = malloc(nfr * sizeof *fr);
        size_t cap = 64 << 20;
        bytes = malloc(cap);
        if (!pc || !fr || !bytes) {
            fprintf(stderr, "pcap_bench: out of memory\n");
            return 1;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        size_t i = 0;
        while (i < nfr && pcap_next_ex(pc, &h, &d) == 1) {
            if (nbytes + h->caplen > cap) {
                cap *= 2;
                bytes = realloc(bytes, cap);
                if (!bytes) {
                    fprintf(stderr, "pcap_bench: out of memory\n");
                    return 1;
                }
            }
            memcpy(bytes + nbytes, d, h->caplen);
            fr[i].off = (uint32_t)nbytes;
            fr[i].caplen = h->caplen;
            fr[i].len = h->len;
            fr[i].ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
            nbytes += h->caplen;
            i++;
        }
        pcap_close(pc);
    }

    /* 2. decode alone */
    double best_dec = 1e30;
    struct tally tdec = {0};
    struct pcapread_counts counts;
    for (int run = 0; run < RUNS; run++) {
        struct tally t = {0};
        struct ikm_sink sink = {&t, NULL, on_msg, on_unparsed, on_diag, NULL, NULL, NULL, NULL, on_esp, on_esp};
        struct pcapread_ctx *c = pcapread_ctx_new(&sink);
        double t0 = now();
        for (size_t i = 0; i < nfr; i++)
            pcapread_decode_frame(c, dlt, bytes + fr[i].off, fr[i].caplen, fr[i].len, fr[i].ts);
        struct ikm_source_stats st;
        pcapread_finish(c, &st, &counts);
        double dt = now() - t0;
        pcapread_ctx_free(c);
        if (dt < best_dec)
            best_dec = dt;
        tdec = t;
    }

    /* 3. the stream path */
    double best_stream = 1e30;
    for (int run = 0; run < RUNS; run++) {
        struct tally t = {0};
        struct ikm_sink sink = {&t, NULL, on_msg, on_unparsed, on_diag, NULL, NULL, NULL, NULL, on_esp, on_esp};
        FILE *fp = fopen(path, "rb");
        if (!fp) {
            perror(path);
            return 1;
        }
        struct ikm_stream s = {fp, file_read, NULL};
        struct ikm_source_stats st;
        double t0 = now();
        int rc = pcapread_parse_stream(s, &sink, &st);
        double dt = now() - t0;
        fclose(fp);
        if (rc != 0 || t.ike != tdec.ike) {
            fprintf(stderr, "pcap_bench: stream parse returned %d with %lld IKE messages (decode: %lld)\n", rc,
                    (long long)t.ike, (long long)tdec.ike);
            return 1;
        }
        if (dt < best_stream)
            best_stream = dt;
    }

    printf("file: %s, %zu packets, %.1f MiB of frames\n", path, nfr, (double)nbytes / 1048576);
    printf("found: %lld IKE messages (%lld judged liveness by size), %lld ESP packets in %lld rows, "
           "%lld unparsed\n",
           (long long)tdec.ike, (long long)tdec.liveness, (long long)tdec.esp_packets, (long long)tdec.esp_rows,
           (long long)tdec.unparsed);
    printf("%-8s %10s %14s   (best of %d)\n", "path", "seconds", "packets/s", RUNS);
    printf("%-8s %10.3f %14.0f\n", "read", best_read, (double)nfr / best_read);
    printf("%-8s %10.3f %14.0f\n", "decode", best_dec, (double)nfr / best_dec);
    printf("%-8s %10.3f %14.0f\n", "stream", best_stream, (double)nfr / best_stream);

    if (!tshark) {
        /* timed by the caller */
    } else if (system("command -v tshark >/dev/null 2>&1") == 0) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd,
                 "tshark -r '%s' -T fields -e frame.number -e isakmp.ispi -e isakmp.rspi -e isakmp.exchangetype "
                 "-e isakmp.flags -e isakmp.messageid -e isakmp.length > /dev/null 2>&1",
                 path);
        double t0 = now();
        int rc = system(cmd);
        double dt = now() - t0;
        if (rc == 0)
            printf("%-8s %10.3f %14.0f   stream is %.1fx faster\n", "tshark", dt, (double)nfr / dt, dt / best_stream);
        else
            printf("tshark: failed (status %d)\n", rc);
    } else {
        printf("tshark: not installed, no comparison\n");
    }
    free(fr);
    free(bytes);
    return 0;
}
