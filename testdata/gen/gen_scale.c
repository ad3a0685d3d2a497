/*
 * gen_scale.c — `--scale`: a large peer-unreachable bundle for benchmarks, written as it is
 * generated (memory stays small whatever the size).
 *
 * Eight tunnels probe every 5 s, each in its own 625 ms slot of the 5 s step, so that every
 * file receives its lines in time order without sorting: a slot's activity (a probe and its
 * answer, a copy of a failing request, a teardown and the renegotiation) ends before the
 * next slot begins. An hour in, and then every 3 hours of log time, one tunnel (in turn)
 * stops getting answers: its request is retransmitted on the 5,10,20,40,60x6 backoff (all
 * multiples of the 5 s step, so each copy falls in the tunnel's own slot), DPD tears the SA
 * down after 435 s, and a new SA is negotiated at once. Generation stops when ikemgr.log reaches the requested bytes or
 * ikemgr.pcap the requested packets; expected.json lists every incident written.
 */
#include "gen.h"

#include <string.h>

#define MS 1000LL
#define SCALE_TUNNELS 8
#define STEP_US (5 * US)
#define SLOT_US (STEP_US / SCALE_TUNNELS)
#define INCIDENT_EVERY_US (3 * 3600 * US)

struct scale_tunnel {
    int t;
    int failing;        /* in a failing run */
    int copies;         /* copies sent of the failing request */
    uint32_t msgid;     /* the failing request's id */
    int64_t next_copy;  /* when the next copy (or, after the 10th, the teardown) is due */
};

void gen_scale(struct gen *g, uint64_t bytes, uint64_t packets)
{
    struct gen_dev_opts o = {.name = "fw-bench", .dir = ".", .zone = "America/Los_Angeles", .sw_version = "10.2.9",
                             .family = LF_A, .syslog = SL_CSV, .no_routed = 1};
    int dev = gen_dev_new(g, &o);
    struct scale_tunnel st[SCALE_TUNNELS];
    static const char *const peers[SCALE_TUNNELS] = {"203.0.113.5",  "203.0.113.77", "198.18.7.9",  "198.18.9.20",
                                                     "100.64.12.5",  "100.64.40.1",  "198.19.44.2", "198.19.80.3"};
    for (int k = 0; k < SCALE_TUNNELS; k++) {
        char gw[32], tun[32];
        snprintf(gw, sizeof gw, "gw-site%d", k + 1);
        snprintf(tun, sizeof tun, "tun-site%d", k + 1);
        memset(&st[k], 0, sizeof st[k]);
        st[k].t = gen_tunnel_new(g, dev, gw, tun, "198.51.100.10", peers[k], "0.0.0.0/0", 5);
    }
    struct gen_dev *d = &g->devs[dev];
    const int64_t start = gen_local_to_utc(o.zone, 2024, 5, 1, 0, 0, 0);
    int64_t next_incident = start + 3600 * US; /* the first an hour in, then every 3 hours */
    int victim = 0;
    gen_stream_open(g);
    int64_t step = start;
    for (;;) {
        if (bytes && gen_stream_bytes(g, d->f_ikemgr) >= bytes)
            break;
        if (packets && gen_stream_frames(g, d->f_pcap) >= packets)
            break;
        if (g->n_incidents >= GEN_MAX_INCIDENTS - 1)
            gen_die("--scale: more incidents than expected.json may list; ask for less");
        for (int k = 0; k < SCALE_TUNNELS; k++) {
            struct scale_tunnel *s = &st[k];
            int64_t at = step + k * SLOT_US + gen_range(g, 0, 3) * MS;
            if (s->failing) {
                if (at + 10 * MS < s->next_copy)
                    continue; /* waiting for the backoff */
                if (s->copies < 10) {
                    gen_liveness_copy(g, s->t, at, s->msgid);
                    s->next_copy += gen_sched_step_s(d, s->copies) * US;
                    s->copies++;
                    continue;
                }
                gen_dpd_down(g, s->t, at, "peer-unreachable");
                gen_establish(g, s->t, at + 10 * MS, 0);
                s->failing = 0;
                continue;
            }
            if (k == victim && at >= next_incident) {
                s->failing = 1;
                s->copies = 1;
                s->msgid = g->tuns[s->t].msgid++;
                gen_liveness_copy(g, s->t, at, s->msgid);
                s->next_copy = at + gen_sched_step_s(d, 0) * US;
                next_incident += INCIDENT_EVERY_US;
                victim = (victim + 1) % SCALE_TUNNELS;
                continue;
            }
            gen_probe(g, s->t, at, gen_range(g, 1200, 9000), 0);
        }
        /* now and then the daemon's own plumbing, in the gap at the end of the step */
        if (gen_rand(g) % 23 == 0)
            gen_ikemgr(g, dev, step + STEP_US - 50 * MS, "Warning", "pan_log_proxy(pan_priv_log.c:269): Elog being proxied");
        step += STEP_US;
    }
    /* a failing run cut by the end of the log is not an incident yet: nothing to declare */
    gen_stream_close(g);
    d->tsf_time_us = step + 30 * US;
    gen_device_files(g, dev, 1);
}
