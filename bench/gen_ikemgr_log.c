/*
 * gen_ikemgr_log.c — writes a synthetic debug-level PAN-OS ikemgr.log of a chosen size for
 * `make bench` (bench/run.sh).
 *
 * Why synthetic: real debug logs are large, customer-owned and cannot be committed; a
 * benchmark needs gigabytes of the line shapes that dominate them, reproducible from a seed,
 * with a known number of the events the analyzer must find (so run.sh can check the answer as
 * well as the speed).
 *
 * What is modelled: P peers (gateways), each with its own gateway id, local/peer address
 * pair, tunnel name and IKEv2 message-id counter. Every 5 s each peer sends a liveness request
 * (the "will be sent over socket" line) and gets it answered 1-10 ms later (the six lines of
 * a received response). About once per 100 MiB of output one peer stops answering: the same
 * request is retransmitted with the backoff 5,10,20,40,60,60,60,60,60,60 s, then ikemgr
 * declares "DPD down" and, a while later, the tunnel comes back on a new IKE SA. Around 5% of
 * the lines are other noise (SA state changes, Notify payloads, debug lines the parser has no
 * entry for). ikemgr is one thread, so a block of lines about one packet is never split by
 * another peer's lines: a block that becomes due while another is being written waits for it
 * (timestamps never go backwards).
 *
 * Line shapes are the verbatim shapes of the vendor KB / formats.md §1.7; the timestamp carries
 * the device's -0700 offset as PAN-OS writes it.
 *
 * Speed matters (1 GiB must take seconds, not minutes): lines are assembled by hand into a
 * multi-MiB buffer from per-peer strings prepared once; no printf and no malloc per line.
 *
 * Usage: gen_ikemgr_log --mb N [--seed S] [--peers P] OUTFILE
 * Prints "lines=.. bytes=.. dpd_down=.. sends=.. responses=.." to stderr when done.
 * Exit: 0 done, 1 I/O error, 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OUT_BUF_SIZE ((size_t)8 << 20)
#define OUT_FLUSH_AT (OUT_BUF_SIZE - 4096) /* room for the longest block */
#define MAX_PEERS 10000
#define LIVENESS_MS 5000
#define NOISE_PER_BLOCK 0.18 /* ~3.5 lines per block: 0.18/3.68 ≈ 5% noise lines */
#define OUTAGE_GAP_MIN_MIB 50.0 /* gaps uniform in [50,150] MiB: one per ~100 MiB */
#define OUTAGE_GAP_MAX_MIB 150.0

static const int retransmit_backoff_s[] = {5, 10, 20, 40, 60, 60, 60, 60, 60, 60};
#define N_SENDS_BEFORE_DPD ((int)(sizeof retransmit_backoff_s / sizeof retransmit_backoff_s[0]))

static const char usage_text[] =
    "Usage: gen_ikemgr_log --mb N [--seed S] [--peers P] OUTFILE\n"
    "\n"
    "Writes a deterministic synthetic debug-level PAN-OS ikemgr.log of about N MiB.\n"
    "  --mb N      size in MiB (1..1048576)\n"
    "  --seed S    PRNG seed (default 1); the same seed gives the same bytes\n"
    "  --peers P   number of IKE peers (1..10000, default 50)\n";

/* ---- PRNG: splitmix64, deterministic across platforms ----------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in [lo, hi] */
static int64_t rng_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- output buffer ---------------------------------------------------------------------- */

static char *out_buf;
static size_t out_len;
static FILE *out_fp;
static const char *out_path;
static uint64_t out_total;

static void die_io(const char *what)
{
    fprintf(stderr, "gen_ikemgr_log: %s %s: %s\n", what, out_path, strerror(errno));
    exit(1);
}

static void out_flush(void)
{
    if (out_len && fwrite(out_buf, 1, out_len, out_fp) != out_len)
        die_io("cannot write");
    out_total += out_len;
    out_len = 0;
}

static inline void put(const char *s, size_t n)
{
    memcpy(out_buf + out_len, s, n);
    out_len += n;
}

#define PUT_LIT(lit) put(lit, sizeof lit - 1)

static inline void put_u64(uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out_buf[out_len++] = tmp[--n];
}

static inline void put_hex(uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        out_buf[out_len++] = tmp[--n];
}

/* ---- timestamps ------------------------------------------------------------------------- */

/* Device-local wall clock, in ms since the epoch as if it were UTC (formatting only). */
static const int64_t start_local_ms = 1721040941005LL; /* 2024-07-15 10:55:41.005 */
static int64_t clock_ms;       /* time of the last line written: nothing earlier may follow */
static int64_t cached_sec = -1;
static char cached_date[21];   /* "YYYY-MM-DD HH:MM:SS." of cached_sec */

static void put_ts(int64_t ms)
{
    int64_t sec = ms / 1000;
    if (sec != cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
            fprintf(stderr, "gen_ikemgr_log: time out of range\n");
            exit(1);
        }
        strftime(cached_date, sizeof cached_date, "%Y-%m-%d %H:%M:%S.", &tm);
        cached_sec = sec;
    }
    put(cached_date, 20);
    unsigned m = (unsigned)(ms % 1000);
    out_buf[out_len++] = (char)('0' + m / 100);
    out_buf[out_len++] = (char)('0' + m / 10 % 10);
    out_buf[out_len++] = (char)('0' + m % 10);
}

/* ---- the model ---------------------------------------------------------------------------- */

enum action { ACT_SEND, ACT_RESPONSE, ACT_DPD_DOWN, ACT_RECOVER };

struct peer {
    int64_t due_ms;       /* when `next` is due */
    int64_t next_send_ms; /* the liveness schedule, kept apart from delays by other blocks */
    enum action next;
    unsigned gw_id, tn_id;
    uint64_t msg_id;
    uint32_t ike_sa_ptr;
    int outage_pending; /* the next request starts an outage */
    int retransmits;    /* sends made in the current outage */
    char ctx[24];       /* "{ 2: }: " */
    size_t ctx_len;
    char dpd_ctx[32];   /* "{    2:    2}: " */
    size_t dpd_ctx_len;
    char send_tail[160]; /* "L[500] - R[500]:(nil) 1 times of 76 bytes ... socket N\n" */
    size_t send_tail_len;
    char recv_tail[64];  /* "76 bytes message received from R\n" */
    size_t recv_tail_len;
    char tunnel[48];
    size_t tunnel_len;
};

static struct peer *peers;
static unsigned n_peers;
static unsigned *heap; /* peer indexes, min-heap on (due_ms, index) */

static uint64_t n_lines, n_dpd_down, n_sends, n_responses;

static int heap_less(unsigned a, unsigned b)
{
    const struct peer *pa = &peers[a], *pb = &peers[b];
    return pa->due_ms < pb->due_ms || (pa->due_ms == pb->due_ms && a < b);
}

static void heap_sift_down(unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < n_peers && heap_less(heap[l], heap[m]))
            m = l;
        if (r < n_peers && heap_less(heap[r], heap[m]))
            m = r;
        if (m == i)
            return;
        unsigned t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

static void put_prefix(int64_t ms, int info)
{
    put_ts(ms);
    if (info)
        PUT_LIT(" -0700 [INFO]: ");
    else
        PUT_LIT(" -0700 [DEBG]: ");
    n_lines++;
}

static const char *const sa_transitions[] = {
    "INI_IKE_SA_INIT_SENT -> INI_IKE_AUTH_SENT",
    "INI_IKE_AUTH_SENT -> ESTABLISHED",
    "ESTABLISHED -> REKEYING",
    "REKEYING -> ESTABLISHED",
    "RES_IKE_SA_INIT_SENT -> RES_IKE_AUTH_WAIT",
};
#define N_SA_TRANSITIONS (sizeof sa_transitions / sizeof sa_transitions[0])

static void put_ike_sa_state(int64_t ms, const struct peer *p, const char *transition, int info)
{
    put_prefix(ms, info);
    put(p->ctx, p->ctx_len);
    PUT_LIT("ike_sa 0x");
    put_hex(p->ike_sa_ptr);
    PUT_LIT(" state ");
    put(transition, strlen(transition));
    PUT_LIT("\n");
}

static void put_initial_contact(int64_t ms, int info)
{
    put_prefix(ms, info);
    PUT_LIT("received Notify payload protocol 1 type INITIAL_CONTACT\n");
}

/* One line that is neither a hot line nor in the parser's catalog: the parser must count it
 * unparsed, never drop it or misclassify it. */
static void put_unrecognised(int64_t ms, const struct peer *p)
{
    put_prefix(ms, 0);
    switch (rng_next() % 3) {
    case 0:
        put(p->ctx, p->ctx_len);
        PUT_LIT("ikev2_sa_lifetime_check: soft lifetime 28800s, ");
        put_u64((uint64_t)rng_range(60, 28800));
        PUT_LIT("s left\n");
        break;
    case 1:
        PUT_LIT("pan_ike_sock_stat: socket 1024 rx ");
        put_u64((uint64_t)rng_range(0, 64));
        PUT_LIT(" tx ");
        put_u64((uint64_t)rng_range(0, 64));
        PUT_LIT(" drop 0\n");
        break;
    default:
        put(p->ctx, p->ctx_len);
        PUT_LIT("ikev2_child_sa_lookup: spi 0x");
        put_hex(rng_next() & 0xffffffffu);
        PUT_LIT(" found\n");
        break;
    }
}

static void maybe_noise(int64_t ms, const struct peer *p)
{
    if (rng_unit() >= NOISE_PER_BLOCK)
        return;
    int info = (int)(rng_next() & 1);
    uint64_t r = rng_next() % 100;
    if (r < 48 && p->retransmits == 0) /* no SA changes of a peer that stopped answering */
        put_ike_sa_state(ms, p, sa_transitions[rng_next() % N_SA_TRANSITIONS], info);
    else if (r < 95)
        put_initial_contact(ms, info);
    else
        put_unrecognised(ms, p);
}

static void put_send(int64_t ms, const struct peer *p)
{
    put_prefix(ms, 0);
    put(p->send_tail, p->send_tail_len);
    n_sends++;
}

/* The six lines of an answered request: the packet, then ikemgr's message-id bookkeeping a few
 * ms later. Returns the time of the last line. */
static int64_t put_response(int64_t ms, struct peer *p)
{
    put_prefix(ms, 0);
    PUT_LIT("processing isakmp packet\n");
    put_prefix(ms, 0);
    PUT_LIT("===\n");
    put_prefix(ms, 0);
    put(p->recv_tail, p->recv_tail_len);
    put_prefix(ms, 0);
    put(p->ctx, p->ctx_len);
    PUT_LIT("[IKE Initiator] response message_id ");
    put_u64(p->msg_id);
    PUT_LIT(" expected ");
    put_u64(p->msg_id);
    PUT_LIT("\n");
    ms += rng_range(0, 6);
    put_prefix(ms, 0);
    put(p->ctx, p->ctx_len);
    PUT_LIT("response exch type 37\n");
    put_prefix(ms, 0);
    put(p->ctx, p->ctx_len);
    PUT_LIT("update response message_id 0x");
    put_hex(p->msg_id);
    PUT_LIT("\n");
    n_responses++;
    return ms;
}

static void put_dpd_down(int64_t ms, const struct peer *p)
{
    put_ts(ms);
    PUT_LIT(" -0700  [INFO]: ");
    n_lines++;
    put(p->dpd_ctx, p->dpd_ctx_len);
    PUT_LIT("DPD down, rekey vpn tunnel <");
    put(p->tunnel, p->tunnel_len);
    PUT_LIT(">, SA state ESTABLISHED\n");
    n_dpd_down++;
}

/* Writes the block that is due for peer i and schedules the peer's next one. */
static void step(unsigned i)
{
    struct peer *p = &peers[i];
    int64_t at = p->due_ms > clock_ms ? p->due_ms : clock_ms;
    maybe_noise(at, p);
    switch (p->next) {
    case ACT_SEND:
        put_send(at, p);
        if (p->outage_pending && p->retransmits == 0) {
            p->outage_pending = 0;
            p->retransmits = 1;
        } else if (p->retransmits > 0) {
            p->retransmits++;
        }
        if (p->retransmits > 0) {
            /* unanswered: the same request again after the backoff, or give up */
            p->due_ms = p->next_send_ms + retransmit_backoff_s[p->retransmits - 1] * 1000LL;
            p->next_send_ms = p->due_ms;
            p->next = p->retransmits < N_SENDS_BEFORE_DPD ? ACT_SEND : ACT_DPD_DOWN;
        } else {
            p->due_ms = at + rng_range(1, 10);
            p->next = ACT_RESPONSE;
        }
        break;
    case ACT_RESPONSE:
        at = put_response(at, p);
        p->msg_id++;
        p->next_send_ms += LIVENESS_MS;
        p->due_ms = p->next_send_ms;
        p->next = ACT_SEND;
        break;
    case ACT_DPD_DOWN:
        put_dpd_down(at, p);
        p->retransmits = 0;
        p->due_ms = at + rng_range(30, 900) * 1000LL;
        p->next = ACT_RECOVER;
        break;
    case ACT_RECOVER:
        /* a new IKE SA: its IKE_SA_INIT and IKE_AUTH used message ids 0 and 1 */
        p->ike_sa_ptr = (uint32_t)(0x55000000u | (rng_next() & 0xffffffu));
        put_initial_contact(at, 1);
        put_ike_sa_state(at, p, "INI_IKE_AUTH_SENT -> ESTABLISHED", 1);
        p->msg_id = 2;
        p->next_send_ms = at + LIVENESS_MS;
        p->due_ms = p->next_send_ms;
        p->next = ACT_SEND;
        break;
    }
    clock_ms = at;
    heap_sift_down(0);
}

static void setup_peers(void)
{
    static const char *const sites[] = {"branch", "store", "dc", "aws", "azure", "gcp", "partner", "lab"};
    static const char *const hubs[] = {"hq", "core", "fra", "sea", "iad"};
    peers = calloc(n_peers, sizeof *peers);
    heap = calloc(n_peers, sizeof *heap);
    if (!peers || !heap) {
        fprintf(stderr, "gen_ikemgr_log: out of memory\n");
        exit(1);
    }
    for (unsigned i = 0; i < n_peers; i++) {
        struct peer *p = &peers[i];
        p->gw_id = i + 1;
        p->tn_id = i + 1;
        p->msg_id = (uint64_t)rng_range(0, 2000);
        p->ike_sa_ptr = (uint32_t)(0x55000000u | (rng_next() & 0xffffffu));
        /* a distinct peer address per index (the low 16 bits are the index), random-looking */
        unsigned hi = (unsigned)rng_range(1, 223);
        if (hi == 10 || hi == 127)
            hi++;
        char local[16], remote[16];
        snprintf(local, sizeof local, "10.%u.%u.%u", (unsigned)rng_range(0, 255),
                 (unsigned)rng_range(0, 255), (unsigned)rng_range(1, 254));
        snprintf(remote, sizeof remote, "%u.%u.%u.%u", hi, (unsigned)rng_range(0, 255), (i >> 8) & 255,
                 i & 255);
        int port = rng_range(0, 9) == 0 ? 4500 : 500; /* some peers behind NAT */
        unsigned sock = 1024 + (unsigned)rng_range(0, 15);
        p->ctx_len = (size_t)snprintf(p->ctx, sizeof p->ctx, "{ %u: }: ", p->gw_id);
        p->dpd_ctx_len = (size_t)snprintf(p->dpd_ctx, sizeof p->dpd_ctx, "{%5u:%5u}: ", p->gw_id, p->tn_id);
        p->send_tail_len = (size_t)snprintf(p->send_tail, sizeof p->send_tail,
                                            "%s[%d] - %s[%d]:(nil) 1 times of 76 bytes message will be "
                                            "sent over socket %u\n",
                                            local, port, remote, port, sock);
        p->recv_tail_len = (size_t)snprintf(p->recv_tail, sizeof p->recv_tail,
                                            "76 bytes message received from %s\n", remote);
        p->tunnel_len = (size_t)snprintf(p->tunnel, sizeof p->tunnel, "%s%03u-to-%s",
                                         sites[rng_next() % 8], i + 1, hubs[rng_next() % 5]);
        /* phases spread over the first interval so the peers interleave */
        p->next_send_ms = start_local_ms + rng_range(0, LIVENESS_MS - 1);
        p->due_ms = p->next_send_ms;
        p->next = ACT_SEND;
        heap[i] = i;
    }
    for (unsigned i = n_peers / 2 + 1; i-- > 0;)
        heap_sift_down(i);
}

/* Marks a peer that is not already failing to fail at its next request. */
static void start_outage(void)
{
    for (int tries = 0; tries < 64; tries++) {
        struct peer *p = &peers[rng_next() % n_peers];
        if (!p->outage_pending && p->retransmits == 0 && p->next != ACT_DPD_DOWN &&
            p->next != ACT_RECOVER) {
            p->outage_pending = 1;
            return;
        }
    }
}

static int parse_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "gen_ikemgr_log: %s\n", why);
    fputs(usage_text, stderr);
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t mb = 0, seed = 1, np = 50;
    const char *path = NULL;
    for (int a = 1; a < argc; a++) {
        const char *o = argv[a];
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(o, "--mb") == 0 || strcmp(o, "--seed") == 0 || strcmp(o, "--peers") == 0) {
            const char *v = a + 1 < argc ? argv[++a] : NULL;
            int ok = strcmp(o, "--mb") == 0     ? parse_num(v, 1, 1048576, &mb)
                     : strcmp(o, "--seed") == 0 ? parse_num(v, 0, UINT64_MAX, &seed)
                                                : parse_num(v, 1, MAX_PEERS, &np);
            if (!ok) {
                fprintf(stderr, "gen_ikemgr_log: %s: invalid or missing value\n", o);
                return usage(NULL);
            }
        } else if (o[0] == '-' && o[1] != '\0') {
            fprintf(stderr, "gen_ikemgr_log: unknown option %s\n", o);
            return usage(NULL);
        } else if (path) {
            return usage("only one OUTFILE");
        } else {
            path = o;
        }
    }
    if (!mb)
        return usage("--mb is required");
    if (!path)
        return usage("OUTFILE is required");

    rng_state = seed;
    n_peers = (unsigned)np;
    out_path = path;
    out_buf = malloc(OUT_BUF_SIZE);
    if (!out_buf) {
        fprintf(stderr, "gen_ikemgr_log: out of memory\n");
        return 1;
    }
    out_fp = fopen(path, "wb");
    if (!out_fp)
        die_io("cannot create");
    setup_peers();
    clock_ms = start_local_ms;

    const double mib = 1048576.0;
    const uint64_t target = mb << 20;
    /* the first outage early enough that even a small run has one to find */
    double first = (double)(mb < 100 ? mb : 100) * (0.1 + 0.4 * rng_unit());
    uint64_t next_outage = (uint64_t)(first * mib);

    for (;;) {
        uint64_t written = out_total + out_len;
        if (written >= target)
            break;
        if (written >= next_outage) {
            start_outage();
            double gap = OUTAGE_GAP_MIN_MIB + (OUTAGE_GAP_MAX_MIB - OUTAGE_GAP_MIN_MIB) * rng_unit();
            next_outage = written + (uint64_t)(gap * mib);
        }
        step(heap[0]);
        if (out_len >= OUT_FLUSH_AT)
            out_flush();
    }
    out_flush();
    if (fclose(out_fp) != 0)
        die_io("cannot close");
    free(out_buf);
    free(peers);
    free(heap);
    fprintf(stderr, "lines=%" PRIu64 " bytes=%" PRIu64 " dpd_down=%" PRIu64 " sends=%" PRIu64
                    " responses=%" PRIu64 "\n",
            n_lines, out_total, n_dpd_down, n_sends, n_responses);
    return 0;
}
