/*
 * gen_scenarios.c — the scenarios: one per root-cause id of ../shared/DESIGN.md, plus the
 * cases the ingest and analysis must survive (healthy, several incidents, the seed's
 * recurrence, a zone-less system log, a rotated gzip log, ikemgr-ng, IKEv1, both peers'
 * bundles, a tunnel up without traffic). Each writes a bundle and declares its ground truth
 * through gen_incident(); the signature each cause needs is planted where DESIGN.md says the
 * analysis looks for it, relative to the first unanswered request.
 *
 * Addresses are documentation ranges (RFC 5737, RFC 2544, RFC 6598); every tunnel of a device
 * has its own gateway and tunnel ids, in the order they are created.
 */
#include "gen.h"

#include <stdio.h>
#include <string.h>

#define MS 1000LL

/* The usual device: a main tunnel to a cloud peer and quieter tunnels to branches. */
struct base {
    int dev;
    int main;
    int noise[3];
    int n_noise;
    int64_t start;
};

static const char *const NOISE_GW[3] = {"gw-branch7", "gw-dc2", "gw-lab"};
static const char *const NOISE_TUN[3] = {"tun-branch7", "tun-dc2", "tun-lab"};
static const char *const NOISE_PEER[3] = {"198.18.7.9", "100.64.12.5", "198.19.44.2"};
static const char *const NOISE_CIDR[3] = {"198.18.0.0/16", "100.64.0.0/10", "198.19.0.0/16"};

static void setup(struct gen *g, struct base *b, const struct gen_dev_opts *o, int n_noise, int64_t start)
{
    memset(b, 0, sizeof *b);
    b->dev = gen_dev_new(g, o);
    b->main = gen_tunnel_new(g, b->dev, "gw-aws", "tun-aws", "198.51.100.10", "203.0.113.5", "203.0.113.0/24", 5);
    b->n_noise = n_noise;
    for (int i = 0; i < n_noise; i++) {
        b->noise[i] = gen_tunnel_new(g, b->dev, NOISE_GW[i], NOISE_TUN[i], "198.51.100.10", NOISE_PEER[i],
                                     NOISE_CIDR[i], 10);
        /* the branches leave through the second uplink: a link event on the first one
         * concerns the main tunnel only */
        snprintf(g->tuns[b->noise[i]].iface, sizeof g->tuns[b->noise[i]].iface, "ethernet1/2");
    }
    b->start = start;
}

/* Healthy branches, daemon noise, the device files; the bundle is taken at `end` + 40 s. */
static void finish(struct gen *g, struct base *b, int64_t end, int flow_snapshots)
{
    for (int i = 0; i < b->n_noise; i++) {
        int t = b->noise[i];
        int64_t at = gen_healthy(g, t, b->start + gen_range(g, 0, 9000) * MS, end);
        (void)at;
    }
    gen_noise(g, b->dev, b->start, end);
    g->devs[b->dev].tsf_time_us = end + 40 * US;
    gen_device_files(g, b->dev, flow_snapshots);
}

/* Healthy liveness on the main tunnel up to `t0` (the first request that will go unanswered
 * leaves at the returned time, within an interval of t0). */
static int64_t healthy_until(struct gen *g, int t, int64_t from, int64_t t0)
{
    return gen_healthy(g, t, from, t0 - g->tuns[t].interval_s * US);
}

/* After the teardown: a new IKE_SA_INIT that the bundle ends before it gives up on. */
static int64_t after_teardown_unanswered(struct gen *g, int t, int64_t give_up)
{
    gen_init_unanswered(g, t, give_up + 1 * US + gen_range(g, 0, 500) * MS, 3);
    return give_up + 90 * US;
}

/* The common dpd shape: healthy, a failing run from the first unanswered request, teardown. */
struct dpd_shape {
    int stale;           /* answers carry the previous message id */
    int invalid_spi_from;
};

static int64_t dpd_run(struct gen *g, int t, int64_t first_unanswered, const struct dpd_shape *s, const char *cause,
                       int64_t *anchor)
{
    int64_t give_up = gen_fail_run(g, t, first_unanswered, s ? s->stale : 0, s ? s->invalid_spi_from : 99);
    *anchor = gen_dpd_down(g, t, give_up + gen_range(g, 5, 200) * MS, cause);
    return give_up;
}

static struct gen_dev_opts opts(const char *zone, const char *version, enum gen_syslog_form sl)
{
    struct gen_dev_opts o = {.name = "fw-hq", .dir = ".", .zone = zone, .sw_version = version, .family = LF_A,
                             .syslog = sl};
    return o;
}

/* ---- the dpd causes ------------------------------------------------------------------------- */

static void sc_peer_unreachable(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Los_Angeles", "10.2.9", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 3, 6, 17, 20, 0);
    setup(g, &b, &o, 2, t0 - 12 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "peer-unreachable", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_one_way_loss(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Europe/Berlin", "10.1.11", SL_CSV);
    o.dp_pcap = 1;
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 2, 14, 9, 41, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "one-way-loss", &anchor);
    /* the peer's own liveness requests keep arriving and we answer them; its ESP too */
    for (int64_t at = b.start + 3 * US; at < gu - 2 * US; at += 11 * US + gen_range(g, 0, 300) * MS)
        gen_peer_request(g, b.main, at, 0, 0);
    gen_esp(g, b.main, b.start, gu, 2000, 1);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

/* A peer behind a NAT on an idle tunnel: our requests stop getting through, while its NAT
 * keepalives (every 20 s) still arrive; nothing else comes from it. Without the keepalives this
 * reads as peer-unreachable. */
static void sc_one_way_loss_natt(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Chicago", "10.2.4", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 6, 3, 22, 47, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    struct gen_tunnel *t = &g->tuns[b.main];
    t->natt = 1;
    t->local_port = 4500;
    t->peer_port = 28611;
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "one-way-loss", &anchor);
    gen_nat_keepalives(g, b.main, b.start + 7 * US, gu + 120 * US, 20000);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_route_change(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Asia/Tokyo", "9.1.16", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 5, 21, 3, 12, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    const struct gen_tunnel *t = &g->tuns[b.main];
    /* path monitoring withdraws the static route to the peer's prefix; traffic falls back on
     * the default route through the other ISP (routed.log shapes: INFERRED, formats.md §4.1) */
    int64_t rc = nx - gen_range(g, 15, 40) * US;
    gen_routed(g, b.dev, rc, "Info",
               "pan_rt_pathmon(pan_rt_pathmon.c:311): Path monitor for static route %s destination 203.0.113.1 in virtual router default is down",
               t->cidr);
    gen_routed(g, b.dev, rc + 40 * MS, "Info", "pan_rt_static(pan_rt_static.c:412): route %s via 198.51.100.1 removed from FIB",
               t->cidr);
    gen_syslog(g, b.dev, rc, "routing", "path-monitor-failure", "default", "medium",
               "Path monitor for static route %s is down", t->cidr);
    int64_t gu = dpd_run(g, b.main, nx, NULL, "route-change", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_policy_change(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/New_York", "10.2.4", SL_CSV);
    o.cfglog = 1;
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 1, 17, 14, 3, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    /* an admin edits a security rule and commits; the IKE answers from the peer are dropped
     * from then on */
    int64_t c = nx - gen_range(g, 30, 50) * US;
    gen_cfglog(g, b.dev, c - 70 * US, "edit", "Succeeded", " vsys  vsys1 rulebase security rules  untrust-to-fw-ike");
    gen_cfglog(g, b.dev, c - 55 * US, "set", "Succeeded", " vsys  vsys1 rulebase nat rules  outbound-hide");
    gen_cfglog(g, b.dev, c, "commit", "Submitted", "");
    gen_commit_signature(g, b.dev, c);
    int64_t gu = dpd_run(g, b.main, nx, NULL, "policy-change", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_link_down(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Australia/Sydney", "10.1.6", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 6, 11, 22, 47, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    /* the egress port goes down as the request leaves (system-log port shape: INFERRED) */
    gen_syslog(g, b.dev, nx - 300 * MS, "port", "link-change", g->tuns[b.main].iface, "medium", "Port %s: Down",
               g->tuns[b.main].iface);
    int64_t gu = dpd_run(g, b.main, nx, NULL, "link-down", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_nat_rebinding(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Europe/London", "11.0.3", SL_CSV);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 11, 20, 8, 15, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    struct gen_tunnel *t = &g->tuns[b.main];
    /* the peer sits behind a NAT: NAT-T on 4500, its mapping's port as seen from here */
    t->natt = 1;
    t->local_port = 4500;
    t->peer_port = 31845;
    int new_port = 40213;
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t rebind = nx - gen_range(g, 2, 4) * US;
    for (int64_t at = b.start + 4 * US; at < nx + 300 * US; at += 12 * US + gen_range(g, 0, 400) * MS)
        gen_peer_request(g, b.main, at, at < rebind ? 0 : new_port, 0);
    int64_t gu = dpd_run(g, b.main, nx, NULL, "nat-rebinding", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_liveness_too_strict(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Asia/Kolkata", "8.1.21", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 8, 2, 16, 5, 0);
    setup(g, &b, &o, 1, t0 - 65 * 60 * US);
    /* an hour of answers that come late (RTT near the 5 s interval) or only after a
     * retransmission, then a run that gets none */
    int64_t at = b.start;
    while (at < t0 - 5 * US) {
        int64_t rtt;
        int re = 0;
        int k = (int)(gen_rand(g) % 100);
        if (k < 12)
            rtt = gen_range(g, 3500, 6500) * MS;
        else if (k < 20) {
            rtt = gen_range(g, 200, 900) * MS;
            re = 1 + (int)(gen_rand(g) % 2);
        } else
            rtt = gen_range(g, 40, 900) * MS;
        int64_t r = gen_probe(g, b.main, at, rtt, re);
        at = r + 5 * US + gen_range(g, 0, 4) * MS;
    }
    int64_t anchor;
    int64_t gu = dpd_run(g, b.main, at, NULL, "liveness-too-strict", &anchor);
    /* the peer is there: the next negotiation succeeds at once */
    int64_t up = gen_establish(g, b.main, gu + 2 * US, 0);
    gen_healthy(g, b.main, up + 5 * US, gu + 120 * US);
    finish(g, &b, gu + 120 * US, 1);
}

static void sc_message_id_desync(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Chicago", "10.2.7", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 9, 3, 11, 30, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    struct dpd_shape s = {.stale = 1, .invalid_spi_from = 99};
    int64_t gu = dpd_run(g, b.main, nx, &s, "message-id-desync", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_peer_restarted(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Europe/Paris", "10.1.9", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 10, 29, 2, 40, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    /* the peer reboots: silence while it boots, then INVALID_IKE_SPI for our old SA, then it
     * brings the tunnel up itself, as initiator, with a new SPI */
    struct dpd_shape s = {.stale = 0, .invalid_spi_from = 5};
    int64_t gu = dpd_run(g, b.main, nx, &s, "peer-restarted", &anchor);
    int64_t up = gen_establish(g, b.main, gu + 2 * US + gen_range(g, 0, 800) * MS, 1);
    gen_healthy(g, b.main, up + 5 * US, gu + 90 * US);
    finish(g, &b, gu + 90 * US, 1);
}

static void sc_local_ha_failover(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Asia/Singapore", "10.2.9", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 4, 4, 19, 58, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    /* HA system-log shape: INFERRED (formats.md §2.3 lists no verified HA event) */
    gen_syslog(g, b.dev, nx - gen_range(g, 8, 20) * US, "ha", "state-change", "", "critical",
               "HA Group 1: Moved from state Passive to state Active");
    int64_t gu = dpd_run(g, b.main, nx, NULL, "local-ha-failover", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_ikemgr_restart(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Denver", "9.1.12", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 12, 5, 7, 22, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0 - 25 * US), anchor;
    /* the daemon restarts (PASTE-2017 start-up lines); the SA it recovers has lost its message
     * counters, so the peer silently drops our requests */
    int64_t r = nx + 2 * US;
    int dev = b.dev;
    gen_ikemgr(g, dev, r, "", "IKE FSM thread: %d: starting up...", 3966);
    struct tm tm;
    gen_local(&g->devs[dev], r, &tm, NULL, NULL);
    char banner[64];
    strftime(banner, sizeof banner, "%a %b %e %H:%M:%S %Y", &tm);
    gen_line(g, g->devs[dev].f_ikemgr, r, "++++++++++++++++++++++++++++++++++++++++++++++++++++++");
    gen_line(g, g->devs[dev].f_ikemgr, r, "IKE DAEMON START on %s", banner);
    gen_line(g, g->devs[dev].f_ikemgr, r, "++++++++++++++++++++++++++++++++++++++++++++++++++++++");
    gen_ikemgr(g, dev, r + 6 * MS, "INFO", "reading config /etc/vpn/ikemgr.conf");
    gen_ikemgr(g, dev, r + 9 * MS, "INFO", "load 0 certs to cert cache.");
    gen_ikemgr(g, dev, r + 3100 * MS, "Warning", "pan_log_proxy(pan_priv_log.c:269): Elog being proxied");
    g->tuns[b.main].msgid = 0;
    int64_t gu = dpd_run(g, b.main, r + 20 * US, NULL, "ikemgr-restart", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_rekey_failure(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Europe/Berlin", "10.2.9", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 7, 2, 10, 0, 0);
    setup(g, &b, &o, 1, t0 - 8 * 60 * US);
    /* the child SA's rekey fails (PFS group on one side only) and the peer, whose lifetime is
     * shorter, drops the SA: liveness fails right after; once more an SA lifetime later */
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    gen_child_rekey_fail(g, b.main, nx - 4 * US, 1);
    int64_t gu = dpd_run(g, b.main, nx, NULL, "rekey-failure", &anchor);
    int64_t up = gen_establish(g, b.main, gu + 2 * US, 0);
    int64_t rekey2 = up + 3240 * US; /* soft lifetime: 90% of 3600 s */
    int64_t nx2 = healthy_until(g, b.main, up + 5 * US, rekey2 + 4 * US);
    gen_child_rekey_fail(g, b.main, nx2 - 4 * US, 0);
    int64_t gu2 = dpd_run(g, b.main, nx2, NULL, "rekey-failure", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu2), 1);
}

/* ---- phase failures --------------------------------------------------------------------------- */

static void phase_streak(struct gen *g, const char *zone, const char *version, int y, int mo, int d, int p2,
                         const char *cause, const char *root)
{
    struct base b;
    struct gen_dev_opts o = opts(zone, version, SL_CLI);
    int64_t t0 = gen_local_to_utc(zone, y, mo, d, 13, 2, 0);
    setup(g, &b, &o, 2, t0 - 6 * 60 * US);
    /* one streak: the gateway retries every minute and fails the same way each time */
    int64_t first = 0;
    for (int i = 0; i < 4; i++) {
        int64_t at = t0 + i * 60 * US + gen_range(g, 0, 900) * MS;
        int64_t f = p2 ? gen_p2_fail(g, b.main, at, cause) : gen_p1_fail(g, b.main, at, cause);
        if (i == 0)
            first = f;
    }
    gen_incident(g, b.dev, p2 ? "p2-fail" : "p1-fail", first, b.main, root);
    finish(g, &b, t0 + 5 * 60 * US, 1);
}

static void sc_p1_proposal(struct gen *g)
{
    phase_streak(g, "UTC", "10.2.9", 2024, 3, 18, 0, "proposal", "p1-proposal-mismatch");
}

static void sc_p1_auth(struct gen *g)
{
    phase_streak(g, "Asia/Tokyo", "10.1.11", 2024, 4, 9, 0, "auth", "p1-auth-failure");
}

static void sc_p1_no_response(struct gen *g)
{
    phase_streak(g, "America/Sao_Paulo", "10.2.9", 2024, 5, 2, 0, "no-response", "p1-no-response");
}

static void sc_p2_proposal(struct gen *g)
{
    phase_streak(g, "Europe/Madrid", "10.2.4", 2024, 2, 27, 1, "proposal", "p2-proposal-mismatch");
}

static void sc_p2_proxy_id(struct gen *g)
{
    phase_streak(g, "Asia/Dubai", "9.1.16", 2024, 6, 19, 1, "proxy-id", "p2-proxy-id-mismatch");
}

/* ---- traffic ---------------------------------------------------------------------------------- */

static void no_traffic(struct gen *g, int with_capture, const char *zone, int y, int mo, int d)
{
    struct base b;
    struct gen_dev_opts o = opts(zone, "10.2.9", SL_CLI);
    o.dp_pcap = with_capture;
    int64_t t0 = gen_local_to_utc(zone, y, mo, d, 15, 30, 0);
    setup(g, &b, &o, 2, t0 - 8 * 60 * US);
    struct gen_tunnel *t = &g->tuns[b.main];
    t->one_way_esp = 1;
    /* the tunnel is up and its liveness healthy; our ESP leaves, the peer's never arrives */
    int64_t end = t0 + 3 * 60 * US;
    gen_healthy(g, b.main, b.start, end);
    int64_t first_esp = t0 + gen_range(g, 0, 900) * MS;
    if (with_capture)
        gen_esp(g, b.main, first_esp, end, 1500, 0);
    /* without a capture the counters are all there is: the anchor is the second snapshot */
    gen_incident(g, b.dev, "tunnel-no-traffic", with_capture ? first_esp - first_esp % US : end + 40 * US, b.main,
                 "esp-one-way");
    finish(g, &b, end, 2);
}

static void sc_esp_one_way(struct gen *g)
{
    no_traffic(g, 1, "Africa/Johannesburg", 2024, 3, 12);
}

static void sc_tunnel_up_no_traffic(struct gen *g)
{
    no_traffic(g, 0, "America/Phoenix", 2024, 8, 20);
}

/* ---- unknown, healthy, several -------------------------------------------------------------- */

static void sc_unknown(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Pacific/Auckland", "10.2.9", SL_CLI);
    o.no_debug = 1;
    o.no_pcap = 1;
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 7, 10, 6, 12, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    /* debug is off and there is no capture: the probes happen but leave no trace */
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "unknown", &anchor);
    finish(g, &b, gu + 60 * US, 1);
}

static void sc_healthy(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Los_Angeles", "10.2.9", SL_CLI);
    o.cfglog = 1;
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 7, 15, 10, 0, 0);
    setup(g, &b, &o, 3, t0);
    int64_t end = t0 + 30 * 60 * US;
    int64_t at = gen_healthy(g, b.main, t0, t0 + 12 * 60 * US);
    gen_child_rekey_ok(g, b.main, at);
    at = gen_healthy(g, b.main, at + 1 * US, end);
    (void)at;
    /* a commit that changes nothing for IKE */
    int64_t c = t0 + 20 * 60 * US;
    gen_cfglog(g, b.dev, c - 40 * US, "set", "Succeeded", " vsys  vsys1 address  web-srv-2");
    gen_cfglog(g, b.dev, c, "commit", "Submitted", "");
    gen_commit_signature(g, b.dev, c);
    finish(g, &b, end, 1);
}

static void sc_multi_incident(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Europe/Berlin", "10.2.9", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 3, 26, 1, 55, 0);
    setup(g, &b, &o, 2, t0);
    int aws = b.main, br = b.noise[0], dc = b.noise[1];
    /* 02:10 the route to the cloud peer changes */
    int64_t anchor;
    int64_t nx = healthy_until(g, aws, t0, t0 + 15 * 60 * US);
    int64_t rc = nx - 20 * US;
    gen_routed(g, b.dev, rc, "Info", "pan_rt_static(pan_rt_static.c:412): route %s via 198.51.100.1 removed from FIB",
               g->tuns[aws].cidr);
    int64_t gu = dpd_run(g, aws, nx, NULL, "route-change", &anchor);
    int64_t up = gen_establish(g, aws, gu + 2 * US, 0);
    gen_healthy(g, aws, up + 5 * US, t0 + 4 * 3600 * US);
    /* 04:40 the branch answers with stale message ids */
    nx = healthy_until(g, br, t0 + 3 * US, t0 + (2 * 3600 + 45 * 60) * US);
    struct dpd_shape s = {.stale = 1, .invalid_spi_from = 99};
    gu = dpd_run(g, br, nx, &s, "message-id-desync", &anchor);
    up = gen_establish(g, br, gu + 2 * US, 0);
    gen_healthy(g, br, up + 10 * US, t0 + 4 * 3600 * US);
    /* 05:50 the data centre peer restarts */
    nx = healthy_until(g, dc, t0 + 6 * US, t0 + (3 * 3600 + 55 * 60) * US);
    struct dpd_shape r = {.stale = 0, .invalid_spi_from = 4};
    gu = dpd_run(g, dc, nx, &r, "peer-restarted", &anchor);
    up = gen_establish(g, dc, gu + 2 * US, 1);
    gen_healthy(g, dc, up + 10 * US, t0 + 4 * 3600 * US);
    b.n_noise = 0; /* all three are scripted above */
    finish(g, &b, t0 + 4 * 3600 * US, 1);
}

/* The seed's two drops (formats.md §2.1, the KB's `show log system`): 17:26:27 and 18:24:04
 * Pacific, 2019-03-06, on awsseapa-to-azeapa; ikemgr.log one second later (.000 ms, two
 * spaces before the level, as the KB shows it). Old release: the 319 s schedule. */
static void sc_recurrence(struct gen *g)
{
    struct gen_dev_opts o = opts("America/Los_Angeles", "8.1.7", SL_CLI);
    o.name = "PA-SEA-01";
    o.family = LF_A_PRIME;
    int dev = gen_dev_new(g, &o);
    int t = gen_tunnel_new(g, dev, "seapa-gw", "awsseapa-to-azeapa", "10.46.36.241", "10.46.36.240", "10.46.36.0/24", 5);
    struct base b = {.dev = dev, .main = t, .n_noise = 1};
    b.noise[0] = gen_tunnel_new(g, dev, "azeapa-gw2", "azeapa-backup", "10.46.36.241", "198.18.30.2", "198.18.0.0/16", 10);
    int64_t drop1 = gen_local_to_utc(o.zone, 2019, 3, 6, 17, 26, 27);
    int64_t drop2 = gen_local_to_utc(o.zone, 2019, 3, 6, 18, 24, 4);
    b.start = drop1 - 15 * 60 * US;
    int sched = gen_sched_total_s(&g->devs[dev]);
    int64_t anchor;
    int64_t first = drop1 - sched * US + 300 * MS; /* gives up 0.3 s into 17:26:27 */
    int64_t at = b.start;
    while (at < first - 6 * US) {
        int late = gen_rand(g) % 100 < 15;
        int64_t r = gen_probe(g, t, at, late ? gen_range(g, 3000, 5800) * MS : gen_range(g, 30, 400) * MS, 0);
        at = r + 5 * US;
    }
    gen_fail_run(g, t, first, 0, 99);
    gen_dpd_down(g, t, drop1 + 300 * MS, "liveness-too-strict");
    int64_t up = gen_establish(g, t, drop1 + 3 * US, 0);
    int64_t second = drop2 - sched * US + 400 * MS;
    at = up + 5 * US;
    while (at < second - 6 * US) {
        int late = gen_rand(g) % 100 < 15;
        int64_t r = gen_probe(g, t, at, late ? gen_range(g, 3000, 5800) * MS : gen_range(g, 30, 400) * MS, late);
        at = r + 5 * US;
    }
    gen_fail_run(g, t, second, 0, 99);
    gen_dpd_down(g, t, drop2 + 400 * MS, "liveness-too-strict");
    (void)anchor;
    up = gen_establish(g, t, drop2 + 3 * US, 0);
    gen_healthy(g, t, up + 5 * US, drop2 + 120 * US);
    finish(g, &b, drop2 + 120 * US, 1);
}

static void sc_tz_naive_syslog(struct gen *g)
{
    struct base b;
    /* +05:45: no other zone puts these wall-clock times at the same UTC instant */
    struct gen_dev_opts o = opts("Asia/Kathmandu", "10.1.11", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 1, 29, 23, 50, 0);
    setup(g, &b, &o, 1, t0 - 10 * 60 * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "peer-unreachable", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_rotated_gz(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Los_Angeles", "10.2.9", SL_CLI);
    o.rotated = 1;
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 7, 15, 10, 31, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    /* the live log starts a minute after the drop: the incident is in the rotation only */
    gen_set_rotation(t0 + (gen_sched_total_s(&g->devs[b.dev]) + 65) * US);
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "peer-unreachable", &anchor);
    int64_t up = gen_establish(g, b.main, gu + 100 * US, 0);
    gen_healthy(g, b.main, up + 5 * US, gu + 20 * 60 * US);
    /* a rotation starts mid-record (formats.md §1.1): the cut tail of a line, then a line's
     * remainder, neither with a timestamp */
    const struct gen_dev *d = &g->devs[b.dev];
    gen_line(g, d->f_ikemgr_rot, b.start - 2 * US, "es message will be sent over socket 1024");
    gen_line(g, d->f_ikemgr_rot, b.start - 2 * US, "  message_id 0x2c1");
    g->files[d->f_ikemgr_rot].planted_unparsed = 2;
    finish(g, &b, gu + 20 * 60 * US, 1);
    gen_set_rotation(INT64_MIN);
}

static void sc_ikemgr_ng(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("Europe/Amsterdam", "11.1.2", SL_CLI);
    o.family = LF_NG;
    int64_t t0 = gen_local_to_utc(o.zone, 2026, 3, 1, 15, 13, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    /* the legacy ikemgr.log stays present and idle (formats.md §1.1): its last lines are from
     * before the upgrade */
    struct gen_dev *d = &g->devs[b.dev];
    int legacy = gen_file_add(g, b.dev, "var/log/pan/ikemgr.log", GF_TEXT, GO_ASC, NULL);
    int ng_file = d->f_ikemgr;
    d->f_ikemgr = legacy;
    d->family = LF_A;
    gen_ikemgr(g, b.dev, t0 - 9 * 86400 * US, "INFO", "reading config /etc/vpn/ikemgr.conf");
    gen_ikemgr(g, b.dev, t0 - 9 * 86400 * US + 40 * MS, "INFO", "load 0 certs to cert cache.");
    d->f_ikemgr = ng_file;
    d->family = LF_NG;
    int64_t nx = healthy_until(g, b.main, b.start, t0), anchor;
    int64_t gu = dpd_run(g, b.main, nx, NULL, "peer-unreachable", &anchor);
    finish(g, &b, after_teardown_unanswered(g, b.main, gu), 1);
}

static void sc_ikev1_dpd(struct gen *g)
{
    struct base b;
    struct gen_dev_opts o = opts("America/Toronto", "9.0.14", SL_CLI);
    int64_t t0 = gen_local_to_utc(o.zone, 2024, 10, 8, 12, 0, 0);
    setup(g, &b, &o, 2, t0 - 10 * 60 * US);
    struct gen_tunnel *t = &g->tuns[b.main];
    t->ikev1 = 1;
    t->interval_s = 10;
    int64_t nx = gen_ikev1_healthy(g, b.main, b.start, t0);
    int64_t anchor = gen_ikev1_dpd_dead(g, b.main, nx, "peer-unreachable");
    finish(g, &b, anchor + 90 * US, 1);
}

/* Both ends' bundles. The path from fw-hq to fw-cloud fails: fw-hq's requests and answers are
 * lost, fw-cloud's requests still arrive. fw-cloud's clock runs 3 s ahead. */
static void sc_two_peers(struct gen *g)
{
    struct gen_dev_opts oa = opts("America/Los_Angeles", "10.2.9", SL_CLI);
    oa.dir = "fw-hq";
    struct gen_dev_opts ob = opts("UTC", "10.2.9", SL_CLI);
    ob.name = "fw-cloud";
    ob.dir = "fw-cloud";
    ob.skew_us = 3 * US;
    int da = gen_dev_new(g, &oa), db = gen_dev_new(g, &ob);
    int a = gen_tunnel_new(g, da, "gw-cloud", "tun-cloud", "198.51.100.10", "203.0.113.5", "203.0.113.0/24", 5);
    int bt = gen_tunnel_new(g, db, "gw-hq", "tun-hq", "203.0.113.5", "198.51.100.10", "198.51.100.0/24", 5);
    struct gen_tunnel *ta = &g->tuns[a], *tb = &g->tuns[bt];
    /* one IKE SA seen from both ends: fw-hq initiated it */
    tb->ispi = ta->ispi;
    tb->rspi = ta->rspi;
    tb->we_initiated = 0;
    tb->peer_msgid = ta->msgid;
    ta->peer_msgid = tb->msgid;
    int64_t t0 = gen_local_to_utc(oa.zone, 2024, 9, 12, 8, 0, 0);
    int64_t start = t0 - 8 * 60 * US, lat = 35 * MS;
    /* healthy: each end probes every 5 s, the other answers */
    int64_t at = start, bat = start + 2500 * MS;
    while (at < t0) {
        int64_t r = gen_probe(g, a, at, 2 * lat + 3 * MS, 0);
        gen_peer_request(g, bt, at + lat, 0, 0);
        at = r + 5 * US;
        if (bat < at) {
            int64_t rb = gen_probe(g, bt, bat, 2 * lat + 3 * MS, 0);
            gen_peer_request(g, a, bat + lat, 0, 0);
            bat = rb + 5 * US;
        }
    }
    int64_t anchor;
    /* from t0 nothing from fw-hq reaches fw-cloud */
    int64_t gua = gen_fail_run(g, a, at, 0, 99);
    anchor = gen_dpd_down(g, a, gua + 80 * MS, "one-way-loss");
    int64_t bfirst = bat;
    int64_t gub = gen_fail_run(g, bt, bfirst, 0, 99);
    /* fw-hq still receives each copy of fw-cloud's request and answers it, in vain */
    int64_t s = bfirst;
    for (int i = 0; i < 10; i++) {
        gen_peer_request(g, a, s + lat, 0, i > 0);
        s += gen_sched_step_s(&g->devs[db], i) * US;
    }
    gen_dpd_down(g, bt, gub + 120 * MS, "peer-unreachable");
    (void)anchor;
    int64_t end = (gua > gub ? gua : gub) + 60 * US;
    gen_noise(g, da, start, end);
    gen_noise(g, db, start, end);
    g->devs[da].tsf_time_us = end + 30 * US;
    g->devs[db].tsf_time_us = end + 50 * US;
    gen_device_files(g, da, 1);
    gen_device_files(g, db, 1);
}

const struct gen_scenario gen_scenarios[] = {
    {"peer-unreachable", "Liveness requests to the peer go unanswered and nothing arrives from it until DPD tears the SA down.", sc_peer_unreachable},
    {"one-way-loss", "Our liveness requests go unanswered while the peer's own requests and ESP keep arriving.", sc_one_way_loss},
    {"one-way-loss-natt", "A NATed peer's keepalives still arrive while our liveness requests go unanswered; nothing else comes from it.", sc_one_way_loss_natt},
    {"route-change", "Path monitoring withdraws the static route to the peer's prefix 15-40 s before liveness starts failing.", sc_route_change},
    {"policy-change", "A security/NAT rule edit is committed 30-50 s before liveness starts failing.", sc_policy_change},
    {"link-down", "The gateway's egress port goes down as the first unanswered request leaves.", sc_link_down},
    {"nat-rebinding", "The peer's NAT mapping moves to a new source port on UDP 4500; our requests keep going to the old one.", sc_nat_rebinding},
    {"liveness-too-strict", "For an hour answers come late or after retransmissions; then one run gets none and DPD fires.", sc_liveness_too_strict},
    {"message-id-desync", "Every copy of a liveness request is answered with the previous message id until DPD fires.", sc_message_id_desync},
    {"peer-restarted", "The peer reboots: silence, then INVALID_IKE_SPI for the old SA, and after the teardown it initiates a new IKE SA.", sc_peer_restarted},
    {"local-ha-failover", "This firewall's HA group moves from passive to active seconds before liveness starts failing.", sc_local_ha_failover},
    {"ikemgr-restart", "ikemgr restarts; the SA it recovers has lost its message counters and the peer ignores its requests.", sc_ikemgr_restart},
    {"rekey-failure", "The child SA rekey fails (PFS, then no proposal) right before liveness fails, twice an SA lifetime apart.", sc_rekey_failure},
    {"p1-proposal-mismatch", "IKE_SA_INIT is answered with NO_PROPOSAL_CHOSEN at every retry.", sc_p1_proposal},
    {"p1-auth-failure", "IKE_AUTH fails with AUTHENTICATION_FAILED at every retry.", sc_p1_auth},
    {"p1-no-response", "IKE_SA_INIT is never answered; the negotiation times out at every retry.", sc_p1_no_response},
    {"p2-proposal-mismatch", "The IKE SA comes up but the child SA is refused with NO_PROPOSAL_CHOSEN at every retry.", sc_p2_proposal},
    {"p2-proxy-id-mismatch", "The IKE SA comes up but the child SA is refused with TS_UNACCEPTABLE at every retry.", sc_p2_proxy_id},
    {"esp-one-way", "The tunnel is up; ESP leaves towards the peer but none comes back (capture and flow counters).", sc_esp_one_way},
    {"unknown", "Only the system log and the INFO line say DPD fired: no debug lines and no capture to say why.", sc_unknown},
    {"healthy", "Four busy tunnels, a rekey and a commit, and no incident.", sc_healthy},
    {"multi-incident", "Three tunnels fail hours apart for three different causes.", sc_multi_incident},
    {"recurrence", "The seed's two DPD drops, 17:26:27 and 18:24:04 Pacific, on one tunnel with late answers.", sc_recurrence},
    {"tz-naive-syslog", "The system log carries no zone; only the running config's Asia/Kathmandu places it.", sc_tz_naive_syslog},
    {"rotated-gz", "The drop is only in ikemgr.log.1.gz; the live log starts after it.", sc_rotated_gz},
    {"ikemgr-ng", "A PAN-OS 11.1 device writing ikemgr-ng.log, with the legacy ikemgr.log idle.", sc_ikemgr_ng},
    {"ikev1-dpd", "An IKEv1 gateway's R-U-THERE go unacknowledged until DPD declares the peer dead.", sc_ikev1_dpd},
    {"two-peers", "Both ends' bundles: the path from fw-hq to fw-cloud fails; fw-cloud's clock is 3 s ahead.", sc_two_peers},
    {"tunnel-up-no-traffic", "The tunnel is up; two flow snapshots show encap rising and decap flat.", sc_tunnel_up_no_traffic},
};
const size_t gen_n_scenarios = sizeof gen_scenarios / sizeof gen_scenarios[0];
