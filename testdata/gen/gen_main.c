/*
 * gen_main.c — ikemortem-gen's command line: picks the scenario, runs it, writes the bundle
 * and its ground truth (expected.json).
 *
 *   ikemortem-gen list
 *   ikemortem-gen SCENARIO OUTDIR [--seed N] [--tgz] [--scale SIZE]
 *
 * The same scenario and seed always give the same bytes (gzip headers carry no time).
 */
#include "gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("usage: ikemortem-gen list\n"
          "       ikemortem-gen SCENARIO OUTDIR [--seed N] [--tgz] [--scale SIZE]\n"
          "  --seed N      random seed (default 1): SPIs, jitter, message ids\n"
          "  --tgz         pack each bundle as OUTDIR/<date>_<time>_techsupport.tgz (\"./\" members)\n"
          "  --scale SIZE  a large peer-unreachable bundle for benchmarks: SIZE bytes of ikemgr.log\n"
          "                (512M, 1G) or SIZE packets of ikemgr.pcap (1Mpkt, 200kpkt)\n",
          to);
}

/* "512M", "1G", "1000000" → bytes; "1Mpkt" → packets. Returns 0 on a bad value. */
static int parse_scale(const char *s, uint64_t *bytes, uint64_t *packets)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0 || v > 1e13)
        return 0;
    double mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1e3, end++;
    else if (*end == 'M')
        mult = 1 << 20, end++;
    else if (*end == 'G')
        mult = 1 << 30, end++;
    int pkt = strcmp(end, "pkt") == 0;
    if (pkt && mult == (1 << 20))
        mult = 1e6; /* packets count in powers of ten */
    if (pkt && mult == (1 << 30))
        mult = 1e9;
    if (!pkt && *end && strcmp(end, "B") != 0)
        return 0;
    uint64_t n = (uint64_t)(v * mult);
    if (n == 0)
        return 0;
    *bytes = pkt ? 0 : n;
    *packets = pkt ? n : 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < gen_n_scenarios; i++)
            printf("%s\n", gen_scenarios[i].name);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 3) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1], *outdir = argv[2];
    uint64_t seed = 1, scale_bytes = 0, scale_packets = 0;
    int tgz = 0, scale = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            seed = strtoull(argv[++i], &end, 10);
            if (errno || *end) {
                fprintf(stderr, "ikemortem-gen: bad seed: %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--tgz") == 0) {
            tgz = 1;
        } else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            if (!parse_scale(argv[++i], &scale_bytes, &scale_packets)) {
                fprintf(stderr, "ikemortem-gen: bad size: %s (512M, 1G, 1Mpkt)\n", argv[i]);
                return 2;
            }
            scale = 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    const struct gen_scenario *sc = NULL;
    for (size_t i = 0; i < gen_n_scenarios; i++)
        if (strcmp(gen_scenarios[i].name, name) == 0)
            sc = &gen_scenarios[i];
    if (!sc) {
        fprintf(stderr, "ikemortem-gen: no scenario %s (ikemortem-gen list)\n", name);
        return 2;
    }
    if (scale && strcmp(name, "peer-unreachable") != 0) {
        fprintf(stderr, "ikemortem-gen: --scale writes the peer-unreachable scenario only\n");
        return 2;
    }
    static struct gen g; /* large: keep it off the stack */
    gen_init(&g, sc->name, seed, outdir);
    g.tgz = tgz;
    g.description = sc->description;
    if (scale)
        gen_scale(&g, scale_bytes, scale_packets);
    else
        sc->run(&g);
    gen_write_all(&g);
    gen_free(&g);
    return 0;
}
