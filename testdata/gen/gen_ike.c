/*
 * gen_ike.c — what a PAN-OS firewall writes while its IKE gateways live and die: devices and
 * tunnels, the IKE and ESP frames of ikemgr.pcap and the dataplane capture, and the log lines
 * of ikemgr.log, the system log, the config log and routed.log, in the shapes of
 * ../shared/formats.md (VERIFIED shapes where formats.md has one; the few INFERRED ones are
 * named where they are written).
 *
 * Liveness (formats.md §8.5): a probe after `interval` seconds of idleness, an empty
 * INFORMATIONAL of 76 bytes (AES-CBC + HMAC-SHA1-96), retransmitted on the backoff of the
 * device's release: 1,2,4,8,16,32,64,64,64,64 (319 s) before 9.0, 5,10,20,40,60x6 (435 s) from
 * 9.0 on (formats.md gives both schedules and the KB names 7.0 for the first; where between 7.0
 * and 10.x the change happened is not public — this generator puts it at 9.0, and the
 * sw-version of the bundle says which one a scenario used). After the 10th wait phase 1 and 2
 * are torn down: "DPD down" in ikemgr.log, "IKEv2 IKE SA is down determined by DPD." in the
 * system log, then a new IKE_SA_INIT.
 */
#include "gen.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MS 1000LL

/* IKE numbers (RFC 7296, formats.md §8) */
enum { EXCH_IKE_SA_INIT = 34, EXCH_IKE_AUTH = 35, EXCH_CREATE_CHILD_SA = 36, EXCH_INFORMATIONAL = 37,
       EXCH_V1_INFO = 5 };
enum { PL_SA = 33, PL_KE = 34, PL_IDI = 35, PL_NONCE = 40, PL_NOTIFY = 41, PL_SK = 46, PL_V1_HASH = 8 };
enum { N_INVALID_IKE_SPI = 4, N_NO_PROPOSAL_CHOSEN = 14, N_NAT_D_SRC = 16388, N_NAT_D_DST = 16389 };
enum { F_INITIATOR = 0x08, F_RESPONSE = 0x20, F_V1_ENCRYPTED = 0x01 };
#define LIVENESS_LEN 76 /* HDR 28 + SK 4 + IV 16 + one encrypted block 16 + ICV 12 */
#define SA_INIT_LEN 432
#define AUTH_REQ_LEN 316
#define AUTH_RESP_LEN 284
#define CHILD_REQ_LEN 412
#define CHILD_RESP_LEN 380
#define NOTIFY_ONLY_LEN 36
#define V1_DPD_LEN 92   /* formats.md §8.5: HASH + N(R-U-THERE) with SHA1 + AES */
#define ESP_PAYLOAD 100 /* SPI 4 + seq 4 + IV 16 + data 64 + ICV 12 */

static const int sched_old[10] = {1, 2, 4, 8, 16, 32, 64, 64, 64, 64};
static const int sched_new[10] = {5, 10, 20, 40, 60, 60, 60, 60, 60, 60};

int gen_sched_step_s(const struct gen_dev *d, int i)
{
    return (d->old_schedule ? sched_old : sched_new)[i < 0 ? 0 : i > 9 ? 9 : i];
}

int gen_sched_total_s(const struct gen_dev *d)
{
    int s = 0;
    for (int i = 0; i < 10; i++)
        s += gen_sched_step_s(d, i);
    return s;
}

/* ---- devices and tunnels ------------------------------------------------------------------- */

static int version_major(const char *v)
{
    return atoi(v);
}

int gen_dev_new(struct gen *g, const struct gen_dev_opts *o)
{
    if (g->n_devs >= GEN_MAX_DEVICES)
        gen_die("too many devices");
    int i = g->n_devs++;
    struct gen_dev *d = &g->devs[i];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", o->name);
    snprintf(d->dir, sizeof d->dir, "%s", o->dir ? o->dir : ".");
    snprintf(d->serial, sizeof d->serial, "0079%08u", (unsigned)(gen_rand(g) % 100000000u));
    snprintf(d->mgmt_ip, sizeof d->mgmt_ip, "192.0.2.%d", 10 + i);
    snprintf(d->link_iface, sizeof d->link_iface, "ethernet1/1");
    d->zone = o->zone;
    d->sw_version = o->sw_version;
    d->old_schedule = version_major(o->sw_version) < 9;
    d->skew_us = o->skew_us;
    d->family = o->family;
    d->syslog = o->syslog;
    d->ike_debug = !o->no_debug;
    d->has_pcap = !o->no_pcap;
    d->ip_id = (uint16_t)gen_rand(g);
    d->seqno = (uint32_t)(gen_rand(g) % 1000000u) + 1000;
    const char *ikelog = o->family == LF_NG ? "var/log/pan/ikemgr-ng.log" : "var/log/pan/ikemgr.log";
    d->f_ikemgr = gen_file_add(g, i, ikelog, GF_TEXT, GO_ASC, NULL);
    d->f_ikemgr_rot = -1;
    if (o->rotated) {
        char rot[256];
        snprintf(rot, sizeof rot, "%s.1.gz", ikelog);
        d->f_ikemgr_rot = gen_file_add(g, i, rot, GF_GZ, GO_ASC, NULL);
    }
    if (o->syslog == SL_CLI)
        d->f_syslog = gen_file_add(g, i, "tmp/cli/logs/show_log_system.txt", GF_TEXT, GO_DESC,
                                   "> show log system direction equal backward\n");
    else
        d->f_syslog = gen_file_add(g, i, "system_log.csv", GF_TEXT, GO_ASC, NULL);
    d->f_cfglog = o->cfglog ? gen_file_add(g, i, "config_log.csv", GF_TEXT, GO_ASC, NULL) : -1;
    d->f_routed = o->no_routed ? -1 : gen_file_add(g, i, "var/log/pan/routed.log", GF_TEXT, GO_ASC, NULL);
    d->f_pcap = d->has_pcap ? gen_file_add(g, i, "var/log/pan/ikemgr.pcap", GF_PCAP, GO_ASC, NULL) : -1;
    d->f_dp_pcap = o->dp_pcap ? gen_file_add(g, i, "dataplane-capture.pcap", GF_PCAP, GO_ASC, NULL) : -1;
    return i;
}

int gen_tunnel_new(struct gen *g, int dev, const char *gateway, const char *tunnel, const char *local_ip,
                   const char *peer_ip, const char *cidr, int interval_s)
{
    if (g->n_tuns >= GEN_MAX_TUNNELS)
        gen_die("too many tunnels");
    int i = g->n_tuns++;
    struct gen_tunnel *t = &g->tuns[i];
    memset(t, 0, sizeof *t);
    t->dev = dev;
    snprintf(t->gateway, sizeof t->gateway, "%s", gateway);
    snprintf(t->tunnel, sizeof t->tunnel, "%s", tunnel);
    snprintf(t->local_ip, sizeof t->local_ip, "%s", local_ip);
    snprintf(t->peer_ip, sizeof t->peer_ip, "%s", peer_ip);
    snprintf(t->cidr, sizeof t->cidr, "%s", cidr);
    memcpy(t->iface, g->devs[dev].link_iface, sizeof t->iface); /* same size, NUL-terminated */
    int n = 0;
    for (int k = 0; k < i; k++)
        n += g->tuns[k].dev == dev;
    t->gw_id = t->tn_id = n + 1;
    t->local_port = t->peer_port = 500;
    t->interval_s = interval_s;
    t->ispi = gen_rand(g);
    t->rspi = gen_rand(g);
    t->we_initiated = 1;
    t->msgid = (uint32_t)gen_range(g, 40, 900);
    t->peer_msgid = (uint32_t)gen_range(g, 10, 400);
    t->sa_serial = (uint32_t)gen_range(g, 2, 40);
    t->esp_spi_in = (uint32_t)gen_rand(g) | 0x80000000u;
    t->esp_spi_out = (uint32_t)gen_rand(g) | 0x80000000u;
    t->encap_pkts = (uint64_t)gen_range(g, 10000, 900000);
    t->decap_pkts = t->encap_pkts + (uint64_t)gen_range(g, 0, 5000);
    t->encap_bytes = t->encap_pkts * 118;
    t->decap_bytes = t->decap_pkts * 121;
    return i;
}

/* ---- frames ----------------------------------------------------------------------------------- */

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static void random_bytes(struct gen *g, uint8_t *p, size_t n)
{
    while (n > 0) {
        uint64_t r = gen_rand(g);
        size_t k = n < 8 ? n : 8;
        memcpy(p, &r, k);
        p += k;
        n -= k;
    }
}

static void ike_header(uint8_t *p, uint64_t ispi, uint64_t rspi, int next, int version, int exch, int flags,
                       uint32_t msgid, uint32_t len)
{
    put64(p, ispi);
    put64(p + 8, rspi);
    p[16] = (uint8_t)next;
    p[17] = (uint8_t)version;
    p[18] = (uint8_t)exch;
    p[19] = (uint8_t)flags;
    put32(p + 20, msgid);
    put32(p + 24, len);
}

/* An IKEv2 message whose body is one SK payload of `len` bytes in all (opaque ciphertext). */
static size_t ike_encrypted(struct gen *g, uint8_t *p, uint64_t ispi, uint64_t rspi, int exch, int flags,
                            uint32_t msgid, int inner_next, size_t len)
{
    ike_header(p, ispi, rspi, PL_SK, 0x20, exch, flags, msgid, (uint32_t)len);
    p[28] = (uint8_t)inner_next;
    p[29] = 0;
    put16(p + 30, (unsigned)(len - 28));
    random_bytes(g, p + 32, len - 32);
    return len;
}

static size_t notify_payload(uint8_t *p, int next, int type, const uint8_t *data, size_t dlen)
{
    p[0] = (uint8_t)next;
    p[1] = 0;
    put16(p + 2, (unsigned)(8 + dlen));
    p[4] = 0; /* protocol: none (IKE SA) */
    p[5] = 0; /* SPI size */
    put16(p + 6, (unsigned)type);
    if (dlen)
        memcpy(p + 8, data, dlen);
    return 8 + dlen;
}

/* IKE_SA_INIT: SA (AES-CBC-256, HMAC-SHA2-256 PRF and integrity, DH 14), KE, Nonce and the two
 * NAT_DETECTION notifies. 432 bytes. */
static size_t ike_sa_init(struct gen *g, uint8_t *p, uint64_t ispi, uint64_t rspi, int flags)
{
    uint8_t *q = p + 28;
    /* SA payload */
    q[0] = PL_KE;
    q[1] = 0;
    put16(q + 2, 48);
    uint8_t *pr = q + 4;
    pr[0] = 0; /* last proposal */
    pr[1] = 0;
    put16(pr + 2, 44);
    pr[4] = 1; /* proposal 1 */
    pr[5] = 1; /* protocol IKE */
    pr[6] = 0; /* SPI size */
    pr[7] = 4; /* transforms */
    uint8_t *tr = pr + 8;
    static const struct {
        int type, id, keylen;
    } xf[4] = {{1, 12, 256}, {2, 5, 0}, {3, 12, 0}, {4, 14, 0}};
    for (int i = 0; i < 4; i++) {
        int tl = xf[i].keylen ? 12 : 8;
        tr[0] = i == 3 ? 0 : 3;
        tr[1] = 0;
        put16(tr + 2, (unsigned)tl);
        tr[4] = (uint8_t)xf[i].type;
        tr[5] = 0;
        put16(tr + 6, (unsigned)xf[i].id);
        if (xf[i].keylen) {
            put16(tr + 8, 0x800e); /* Key Length, TV format */
            put16(tr + 10, (unsigned)xf[i].keylen);
        }
        tr += tl;
    }
    q += 48;
    /* KE */
    q[0] = PL_NONCE;
    q[1] = 0;
    put16(q + 2, 264);
    put16(q + 4, 14);
    put16(q + 6, 0);
    random_bytes(g, q + 8, 256);
    q += 264;
    /* Nonce */
    q[0] = PL_NOTIFY;
    q[1] = 0;
    put16(q + 2, 36);
    random_bytes(g, q + 4, 32);
    q += 36;
    uint8_t hash[20];
    random_bytes(g, hash, sizeof hash);
    q += notify_payload(q, PL_NOTIFY, N_NAT_D_SRC, hash, sizeof hash);
    random_bytes(g, hash, sizeof hash);
    q += notify_payload(q, 0, N_NAT_D_DST, hash, sizeof hash);
    size_t len = (size_t)(q - p);
    ike_header(p, ispi, rspi, PL_SA, 0x20, EXCH_IKE_SA_INIT, flags, 0, (uint32_t)len);
    return len;
}

static size_t ike_notify_only(uint8_t *p, uint64_t ispi, uint64_t rspi, int exch, int flags, uint32_t msgid,
                              int type)
{
    ike_header(p, ispi, rspi, PL_NOTIFY, 0x20, exch, flags, msgid, NOTIFY_ONLY_LEN);
    notify_payload(p + 28, 0, type, NULL, 0);
    return NOTIFY_ONLY_LEN;
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Ethernet + IPv4 (+ UDP when proto is 17) around payload; the frame goes to capture file f. */
static void emit_ip(struct gen *g, int dev, int f, int64_t at, int from_us_frame, const char *src, int sport,
                    const char *dst, int dport, int proto, const uint8_t *payload, size_t plen)
{
    if (f < 0)
        return;
    struct gen_dev *d = &g->devs[dev];
    uint8_t fr[GEN_FRAME_MAX];
    size_t l4 = proto == 17 ? 8 : 0;
    size_t total = 14 + 20 + l4 + plen;
    if (total > sizeof fr)
        gen_die("frame too large");
    static const uint8_t mac_fw[6] = {0x00, 0x1b, 0x17, 0x00, 0x01, 0x10};
    static const uint8_t mac_gw[6] = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x01};
    struct in_addr s4, d4;
    if (inet_pton(AF_INET, src, &s4) != 1 || inet_pton(AF_INET, dst, &d4) != 1)
        gen_die("bad address %s or %s", src, dst);
    /* the capture point is the firewall's port: frames it sends carry its MAC as source */
    int from_fw = from_us_frame;
    memcpy(fr, from_fw ? mac_gw : mac_fw, 6);
    memcpy(fr + 6, from_fw ? mac_fw : mac_gw, 6);
    put16(fr + 12, 0x0800);
    uint8_t *ip = fr + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (unsigned)(20 + l4 + plen));
    put16(ip + 4, d->ip_id++);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = (uint8_t)proto;
    put16(ip + 10, 0);
    memcpy(ip + 12, &s4, 4);
    memcpy(ip + 16, &d4, 4);
    put16(ip + 10, ip_checksum(ip, 20));
    uint8_t *u = ip + 20;
    if (proto == 17) {
        put16(u, (unsigned)sport);
        put16(u + 2, (unsigned)dport);
        put16(u + 4, (unsigned)(8 + plen));
        put16(u + 6, 0); /* no UDP checksum (allowed over IPv4) */
    }
    memcpy(u + l4, payload, plen);
    gen_emit(g, f, at, fr, total);
}

/* An IKE message between us and the tunnel's peer (from_us: direction), with the non-ESP
 * marker on NAT-T. peer_port overrides the peer's port (a NAT mapping) when > 0. */
static void ike_frame(struct gen *g, const struct gen_tunnel *t, int64_t at, int from_us, const uint8_t *msg,
                      size_t len, int peer_port)
{
    const struct gen_dev *d = &g->devs[t->dev];
    if (!d->has_pcap)
        return;
    uint8_t buf[GEN_FRAME_MAX];
    size_t off = 0;
    if (t->natt) {
        memset(buf, 0, 4);
        off = 4;
    }
    memcpy(buf + off, msg, len);
    int pp = peer_port > 0 ? peer_port : t->peer_port;
    if (from_us)
        emit_ip(g, t->dev, d->f_pcap, at, 1, t->local_ip, t->local_port, t->peer_ip, pp, 17, buf, off + len);
    else
        emit_ip(g, t->dev, d->f_pcap, at, 0, t->peer_ip, pp, t->local_ip, t->local_port, 17, buf, off + len);
}

/* ---- log lines --------------------------------------------------------------------------------- */

static int fmt_offset(char *out, size_t n, long off, int colon)
{
    char sign = off < 0 ? '-' : '+';
    long a = off < 0 ? -off : off;
    int hh = (int)(a / 3600 % 24), mm = (int)(a / 60 % 60); /* zones stay within ±14 h */
    return snprintf(out, n, colon ? "%c%02d:%02d" : "%c%02d%02d", sign, hh, mm);
}

static int is_bracket_level(const char *level)
{
    for (const char *p = level; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return 0;
    return 1;
}

static void vikemgr(struct gen *g, int dev, int f, int64_t at, const char *level, const char *fmt, va_list ap)
{
    struct gen_dev *d = &g->devs[dev];
    if (!d->ike_debug && (strcmp(level, "DEBG") == 0 || strcmp(level, "debug") == 0))
        return;
    char msg[GEN_LINE_MAX - 128];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0 || (size_t)n >= sizeof msg)
        gen_die("ikemgr line too long");
    struct tm tm;
    long off;
    int64_t frac;
    gen_local(d, at, &tm, &off, &frac);
    char date[40], offs[16], lvl[32];
    int ms = (int)(frac / 1000);
    if (!*level)
        lvl[0] = '\0'; /* family B: "IKE FSM thread: 3966: starting up..." has no level */
    else if (is_bracket_level(level))
        snprintf(lvl, sizeof lvl, "[%s]:", level);
    else
        snprintf(lvl, sizeof lvl, "%s:", level);
    switch (d->family) {
    case LF_NG:
        strftime(date, sizeof date, "%Y:%m:%dT%H:%M:%S", &tm);
        fmt_offset(offs, sizeof offs, off, 1);
        gen_line(g, f, at, "%s.%03d%s [%d-%d] %s %s", date, ms, offs, 4371, 4442 + (int)(gen_rand(g) % 3), lvl, msg);
        break;
    case LF_A_PRIME:
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
        fmt_offset(offs, sizeof offs, off, 0);
        gen_line(g, f, at, "%s.000 %s%s%s %s", date, offs, is_bracket_level(level) ? "  " : " ", lvl, msg);
        break;
    default:
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
        fmt_offset(offs, sizeof offs, off, 0);
        gen_line(g, f, at, "%s.%03d %s %s%s%s", date, ms, offs, lvl, *lvl ? " " : "", msg);
    }
}

/* The rotation window: lines before rot_until go to the .1.gz rotation when the device has one. */
static int64_t g_rot_until = INT64_MIN;

void gen_set_rotation(int64_t until)
{
    g_rot_until = until;
}

void gen_ikemgr(struct gen *g, int dev, int64_t at, const char *level, const char *fmt, ...)
{
    const struct gen_dev *d = &g->devs[dev];
    int f = d->f_ikemgr_rot >= 0 && at < g_rot_until ? d->f_ikemgr_rot : d->f_ikemgr;
    va_list ap;
    va_start(ap, fmt);
    vikemgr(g, dev, f, at, level, fmt, ap);
    va_end(ap);
}

void gen_routed(struct gen *g, int dev, int64_t at, const char *level, const char *fmt, ...)
{
    struct gen_dev *d = &g->devs[dev];
    if (d->f_routed < 0)
        return;
    char msg[GEN_LINE_MAX - 128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof msg)
        gen_die("routed line too long");
    struct tm tm;
    long off;
    int64_t frac;
    gen_local(d, at, &tm, &off, &frac);
    char date[40], offs[16];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    fmt_offset(offs, sizeof offs, off, 0);
    gen_line(g, d->f_routed, at, "%s.%03d %s %s: %s", date, (int)(frac / 1000), offs, level, msg);
}

/* A CSV field, quoted when it holds a comma or a quote ("" inside). */
static void csv_field(char *out, size_t n, const char *s)
{
    if (!strpbrk(s, ",\"")) {
        snprintf(out, n, "%s", s);
        return;
    }
    size_t k = 0;
    out[k++] = '"';
    for (; *s && k + 3 < n; s++) {
        if (*s == '"')
            out[k++] = '"';
        out[k++] = *s;
    }
    out[k++] = '"';
    out[k] = '\0';
}

static void csv_times(struct gen_dev *d, int64_t at, char *plain, size_t pn, char *hires, size_t hn)
{
    struct tm tm;
    long off;
    int64_t frac;
    gen_local(d, at, &tm, &off, &frac);
    strftime(plain, pn, "%Y/%m/%d %H:%M:%S", &tm);
    char date[40], offs[16];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    fmt_offset(offs, sizeof offs, off, 1);
    snprintf(hires, hn, "%s.%03d%s", date, (int)(frac / 1000), offs);
}

void gen_syslog(struct gen *g, int dev, int64_t at, const char *subtype, const char *evid, const char *object,
                const char *severity, const char *fmt, ...)
{
    struct gen_dev *d = &g->devs[dev];
    char desc[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof desc)
        gen_die("system-log description too long");
    if (d->syslog == SL_CLI) {
        /* formats.md §2.1: fixed columns, object cut to 6 and event id to 7 characters */
        struct tm tm;
        gen_local(d, at, &tm, NULL, NULL);
        char date[40];
        strftime(date, sizeof date, "%Y/%m/%d %H:%M:%S", &tm);
        gen_line(g, d->f_syslog, at, "%s %-8s %-7s %-6.6s %-7.7s 0  %s", date, severity, subtype, object, evid, desc);
    } else {
        /* formats.md §2.2, the 10.x field order (26 fields) */
        char plain[40], hires[80], q[1100];
        csv_times(d, at, plain, sizeof plain, hires, sizeof hires);
        csv_field(q, sizeof q, desc);
        gen_line(g, d->f_syslog, at, "1,%s,%s,SYSTEM,%s,0,%s,,%s,%s,0,0,general,%s,%s,%u,0x0,0,0,0,0,,%s,0,0,%s", plain,
                 d->serial, subtype, plain, evid, object, severity, q, d->seqno++, d->name, hires);
    }
}

void gen_cfglog(struct gen *g, int dev, int64_t at, const char *cmd, const char *result, const char *path)
{
    struct gen_dev *d = &g->devs[dev];
    if (d->f_cfglog < 0)
        return;
    char plain[40], hires[80];
    csv_times(d, at, plain, sizeof plain, hires, sizeof hires);
    /* formats.md §3.2, the real 10.x+ layout (ELASTIC-CFG), without before/after detail */
    gen_line(g, d->f_cfglog, at, "1,%s,%s,CONFIG,0,2561,%s,192.0.2.200,,%s,admin,Web,%s,%s,%u,0x0,0,0,0,0,,%s,0,,0,%s",
             plain, d->serial, plain, cmd, result, path, d->seqno++, d->name, hires);
}

void gen_commit_signature(struct gen *g, int dev, int64_t at)
{
    /* formats.md §2.3: the order after a commit (BEATS-OTHER), all VERIFIED descriptions */
    gen_syslog(g, dev, at + 900 * MS, "routing", "routed-config-p1-success", "", "informational",
               "Route daemon configuration load phase-1 succeeded.");
    gen_syslog(g, dev, at + 1200 * MS, "vpn", "ike-config-p1-success", "", "informational",
               "IKE daemon configuration load phase-1 succeeded.");
    gen_syslog(g, dev, at + 1900 * MS, "routing", "routed-config-p2-success", "", "informational",
               "Route daemon configuration load phase-2 succeeded.");
    gen_syslog(g, dev, at + 2300 * MS, "vpn", "ike-config-p2-success", "", "informational",
               "IKE daemon configuration load phase-2 succeeded.");
    gen_syslog(g, dev, at + 2700 * MS, "ras", "rasmgr-config-p2-success", "", "informational",
               "RASMGR daemon configuration load phase-2 succeeded.");
    gen_syslog(g, dev, at + 3100 * MS, "general", "unknown", "", "informational", "Config installed");
}

void gen_incident(struct gen *g, int dev, const char *kind, int64_t time_us, int tunnel, const char *root_cause)
{
    if (g->n_incidents >= GEN_MAX_INCIDENTS)
        gen_die("too many incidents");
    struct gen_incident *in = &g->incidents[g->n_incidents++];
    in->dev = dev;
    in->kind = kind;
    in->time_us = time_us + g->devs[dev].skew_us;
    in->tunnel = tunnel;
    in->root_cause = root_cause;
}

/* ---- liveness ----------------------------------------------------------------------------------- */

static const char *role_tag(const struct gen_tunnel *t)
{
    return t->we_initiated ? "IKE Initiator" : "IKE Responder";
}

static int flags_ours(const struct gen_tunnel *t, int response)
{
    return (t->we_initiated ? F_INITIATOR : 0) | (response ? F_RESPONSE : 0);
}

static int flags_peer(const struct gen_tunnel *t, int response)
{
    return (t->we_initiated ? 0 : F_INITIATOR) | (response ? F_RESPONSE : 0);
}

/* "L[p] - R[p]:(nil) 1 times of M bytes message will be sent over socket 1024" (KB-SEED) */
static void log_send(struct gen *g, const struct gen_tunnel *t, int64_t at, size_t len, int peer_port)
{
    gen_ikemgr(g, t->dev, at, "DEBG", "%s[%d] - %s[%d]:(nil) 1 times of %zu bytes message will be sent over socket 1024",
               t->local_ip, t->local_port, t->peer_ip, peer_port > 0 ? peer_port : t->peer_port, len);
}

static void log_recv_head(struct gen *g, const struct gen_tunnel *t, int64_t at, size_t len)
{
    gen_ikemgr(g, t->dev, at, "DEBG", "processing isakmp packet");
    gen_ikemgr(g, t->dev, at, "DEBG", "===");
    gen_ikemgr(g, t->dev, at, "DEBG", "%zu bytes message received from %s", len, t->peer_ip);
}

/* the rest of a received response (KB-SEED) */
static void log_recv_response(struct gen *g, const struct gen_tunnel *t, int64_t at, uint32_t id, uint32_t expected,
                              int exch)
{
    gen_ikemgr(g, t->dev, at, "DEBG", "{ %d: }: [%s] response message_id %u expected %u", t->gw_id, role_tag(t), id,
               expected);
    if (id != expected)
        return; /* racoon2 drops an unordered message right there (formats.md §1.6) */
    int64_t later = at + gen_range(g, 1, 6) * MS;
    gen_ikemgr(g, t->dev, later, "DEBG", "{ %d: }: response exch type %d", t->gw_id, exch);
    gen_ikemgr(g, t->dev, later, "DEBG", "{ %d: }: update response message_id 0x%x", t->gw_id, id);
}

static void send_request(struct gen *g, struct gen_tunnel *t, int64_t at, int exch, uint32_t msgid, size_t len,
                         int inner)
{
    uint8_t m[GEN_FRAME_MAX];
    ike_encrypted(g, m, t->ispi, t->rspi, exch, flags_ours(t, 0), msgid, inner, len);
    log_send(g, t, at, len, 0);
    ike_frame(g, t, at, 1, m, len, 0);
}

static void recv_response(struct gen *g, struct gen_tunnel *t, int64_t at, int exch, uint32_t msgid, uint32_t expected,
                          size_t len)
{
    uint8_t m[GEN_FRAME_MAX];
    ike_encrypted(g, m, t->ispi, t->rspi, exch, flags_peer(t, 1), msgid, 0, len);
    ike_frame(g, t, at, 0, m, len, 0);
    log_recv_head(g, t, at + 2 * MS, len);
    log_recv_response(g, t, at + 2 * MS, msgid, expected, exch);
}

int64_t gen_probe(struct gen *g, int ti, int64_t at, int64_t rtt_us, int retransmits)
{
    struct gen_tunnel *t = &g->tuns[ti];
    const struct gen_dev *d = &g->devs[t->dev];
    uint32_t id = t->msgid++;
    int64_t s = at;
    for (int i = 0; i <= retransmits; i++) {
        if (i > 0)
            s += gen_sched_step_s(d, i - 1) * US;
        send_request(g, t, s, EXCH_INFORMATIONAL, id, LIVENESS_LEN, 0);
    }
    int64_t r = s + rtt_us;
    recv_response(g, t, r, EXCH_INFORMATIONAL, id, id, LIVENESS_LEN);
    return r;
}

int64_t gen_healthy(struct gen *g, int ti, int64_t from, int64_t to)
{
    struct gen_tunnel *t = &g->tuns[ti];
    int64_t at = from;
    while (at < to) {
        int64_t r = gen_probe(g, ti, at, gen_range(g, 1200, 9000), 0);
        /* the next probe after `interval` seconds of idleness; the daemon's timer ticks
         * on a few milliseconds' jitter */
        at = r + t->interval_s * US + gen_range(g, 0, 4) * MS;
    }
    return at;
}

void gen_probe_answer_stale(struct gen *g, int ti, int64_t at, uint32_t msgid_in_answer)
{
    struct gen_tunnel *t = &g->tuns[ti];
    uint32_t id = t->msgid;
    uint8_t m[GEN_FRAME_MAX];
    ike_encrypted(g, m, t->ispi, t->rspi, EXCH_INFORMATIONAL, flags_peer(t, 1), msgid_in_answer, 0, LIVENESS_LEN);
    ike_frame(g, t, at, 0, m, LIVENESS_LEN, 0);
    log_recv_head(g, t, at + 2 * MS, LIVENESS_LEN);
    log_recv_response(g, t, at + 2 * MS, msgid_in_answer, id, EXCH_INFORMATIONAL);
}

int64_t gen_fail_run(struct gen *g, int ti, int64_t at, int answer_stale, int invalid_spi_from)
{
    struct gen_tunnel *t = &g->tuns[ti];
    const struct gen_dev *d = &g->devs[t->dev];
    uint32_t id = t->msgid++;
    int64_t s = at;
    for (int i = 0; i < 10; i++) {
        send_request(g, t, s, EXCH_INFORMATIONAL, id, LIVENESS_LEN, 0);
        int64_t back = s + gen_range(g, 2, 30) * MS;
        if (answer_stale) {
            /* the peer answers every copy with its answer to an older request */
            uint8_t m[GEN_FRAME_MAX];
            ike_encrypted(g, m, t->ispi, t->rspi, EXCH_INFORMATIONAL, flags_peer(t, 1), id - 1, 0, LIVENESS_LEN);
            ike_frame(g, t, back, 0, m, LIVENESS_LEN, 0);
            log_recv_head(g, t, back + 2 * MS, LIVENESS_LEN);
            log_recv_response(g, t, back + 2 * MS, id - 1, id, EXCH_INFORMATIONAL);
        } else if (i >= invalid_spi_from) {
            /* RFC 7296 §2.21.4: a message for an IKE SA the peer does not know draws an
             * unprotected INFORMATIONAL with INVALID_IKE_SPI, SPIs and message id copied */
            uint8_t m[64];
            ike_notify_only(m, t->ispi, t->rspi, EXCH_INFORMATIONAL, flags_peer(t, 1), id, N_INVALID_IKE_SPI);
            ike_frame(g, t, back, 0, m, NOTIFY_ONLY_LEN, 0);
            log_recv_head(g, t, back + 2 * MS, NOTIFY_ONLY_LEN);
        }
        s += gen_sched_step_s(d, i) * US;
    }
    return s;
}

void gen_liveness_copy(struct gen *g, int ti, int64_t at, uint32_t msgid)
{
    send_request(g, &g->tuns[ti], at, EXCH_INFORMATIONAL, msgid, LIVENESS_LEN, 0);
}

void gen_peer_request(struct gen *g, int ti, int64_t at, int src_port, int retransmit)
{
    struct gen_tunnel *t = &g->tuns[ti];
    uint32_t id = retransmit ? t->peer_msgid - 1 : t->peer_msgid++;
    uint8_t m[GEN_FRAME_MAX];
    ike_encrypted(g, m, t->ispi, t->rspi, EXCH_INFORMATIONAL, flags_peer(t, 0), id, 0, LIVENESS_LEN);
    ike_frame(g, t, at, 0, m, LIVENESS_LEN, src_port);
    int64_t l = at + 2 * MS;
    log_recv_head(g, t, l, LIVENESS_LEN);
    /* the request-side twin of the response line (formats.md §1.6) */
    gen_ikemgr(g, t->dev, l, "DEBG", "{ %d: }: [%s] request message_id %u expected %u", t->gw_id, role_tag(t), id, id);
    gen_ikemgr(g, t->dev, l + 1 * MS, "DEBG", "{ %d: }: request exch type %d", t->gw_id, EXCH_INFORMATIONAL);
    /* our answer goes to the mapping we know (t->peer_port), not to where the request came from */
    int64_t a = l + gen_range(g, 1, 4) * MS;
    ike_encrypted(g, m, t->ispi, t->rspi, EXCH_INFORMATIONAL, flags_ours(t, 1), id, 0, LIVENESS_LEN);
    log_send(g, t, a, LIVENESS_LEN, 0);
    ike_frame(g, t, a, 1, m, LIVENESS_LEN, 0);
}

int64_t gen_dpd_down(struct gen *g, int ti, int64_t at, const char *root_cause)
{
    struct gen_tunnel *t = &g->tuns[ti];
    const struct gen_dev *d = &g->devs[t->dev];
    int64_t anchor = at - at % US;
    /* the system log has whole seconds; ikemgr writes its line within the next second (the
     * seed: 17:26:27 in the system log, 17:26:28.000 in ikemgr.log) */
    int64_t ik = d->family == LF_A_PRIME ? anchor + US : anchor + gen_range(g, 200, 900) * MS;
    if (g->streaming)
        ik = at; /* streamed lines must leave in time order: no look-ahead into other tunnels */
    gen_syslog(g, t->dev, anchor, "vpn", "ikev2-nego-ike-fail", t->gateway, "low", "IKEv2 IKE SA is down determined by DPD.");
    gen_ikemgr(g, t->dev, ik, "INFO", "{%5d:%5d}: DPD down, rekey vpn tunnel <%s>, SA state ESTABLISHED", t->gw_id,
               t->tn_id, t->tunnel);
    /* the teardown (KB-LIVENESS): abort, then the state machine's "SA dying" */
    gen_ikemgr(g, t->dev, ik + 2 * MS, "INFO", "ike_sa.c:275:ikev2_abort(): %u:%s[%d] - %s[%d]:(nil):aborting IKEv2 SA %s:%u",
               t->sa_serial, t->local_ip, t->local_port, t->peer_ip, t->peer_port, t->gateway, t->sa_serial);
    gen_ikemgr(g, t->dev, ik + 3 * MS, "debug",
               "pan_ikev2_debug(protocols/ikev2/ikev2.c:6946): IKEv2 SA state {%s:%u-%c}: SA dying from state ESTABLISHED, caller ikev2_abort",
               t->gateway, t->sa_serial, t->we_initiated ? 'I' : 'R');
    gen_syslog(g, t->dev, anchor, "vpn", "ike-send-p2-delete", t->tunnel, "informational",
               "IKE protocol IPSec SA delete message sent to peer. SPI:0x%08X.", t->esp_spi_out);
    gen_incident(g, t->dev, "dpd-down", anchor, ti, root_cause);
    return anchor;
}

/* ---- negotiations -------------------------------------------------------------------------------- */

static void nego_line(struct gen *g, const struct gen_tunnel *t, int64_t at, const char *evid, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The same description in the system log (second resolution) and at INFO in ikemgr.log. */
static void nego_line(struct gen *g, const struct gen_tunnel *t, int64_t at, const char *evid, const char *fmt, ...)
{
    char desc[768];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof desc)
        gen_die("description too long");
    const char *sev = strstr(desc, "failed") ? "medium" : "informational";
    gen_syslog(g, t->dev, at - at % US, "vpn", evid, t->gateway, sev, "%s", desc);
    gen_ikemgr(g, t->dev, at, "INFO", "%s", desc);
}

static void sa_pair(const struct gen_tunnel *t, char *out, size_t n)
{
    snprintf(out, n, "%s[%d]-%s[%d]", t->local_ip, t->local_port, t->peer_ip, t->peer_port);
}

static void new_ike_sa(struct gen *g, struct gen_tunnel *t)
{
    t->ispi = gen_rand(g);
    t->rspi = gen_rand(g);
    t->sa_serial++;
}

/* IKE_SA_INIT and IKE_AUTH, both answered (by whoever initiates) */
static int64_t exchange_init_auth(struct gen *g, struct gen_tunnel *t, int64_t at, int we_init, size_t auth_resp_len)
{
    uint8_t m[GEN_FRAME_MAX];
    uint64_t rspi = t->rspi;
    size_t l = ike_sa_init(g, m, t->ispi, 0, F_INITIATOR); /* I: whoever starts it is the initiator */
    if (we_init) {
        log_send(g, t, at, l, 0);
        ike_frame(g, t, at, 1, m, l, 0);
    } else {
        ike_frame(g, t, at, 0, m, l, 0);
        log_recv_head(g, t, at + 1 * MS, l);
    }
    int64_t r = at + gen_range(g, 20, 90) * MS;
    l = ike_sa_init(g, m, t->ispi, rspi, F_RESPONSE);
    if (we_init) {
        ike_frame(g, t, r, 0, m, l, 0);
        log_recv_head(g, t, r + 1 * MS, l);
    } else {
        log_send(g, t, r, l, 0);
        ike_frame(g, t, r, 1, m, l, 0);
    }
    int64_t a = r + gen_range(g, 30, 120) * MS;
    ike_encrypted(g, m, t->ispi, rspi, EXCH_IKE_AUTH, F_INITIATOR, 1, PL_IDI, AUTH_REQ_LEN);
    if (we_init) {
        log_send(g, t, a, AUTH_REQ_LEN, 0);
        ike_frame(g, t, a, 1, m, AUTH_REQ_LEN, 0);
    } else {
        ike_frame(g, t, a, 0, m, AUTH_REQ_LEN, 0);
        log_recv_head(g, t, a + 1 * MS, AUTH_REQ_LEN);
    }
    int64_t b = a + gen_range(g, 40, 160) * MS;
    ike_encrypted(g, m, t->ispi, rspi, EXCH_IKE_AUTH, F_RESPONSE, 1, 36 /* IDr */, auth_resp_len);
    if (we_init) {
        ike_frame(g, t, b, 0, m, auth_resp_len, 0);
        log_recv_head(g, t, b + 1 * MS, auth_resp_len);
    } else {
        log_send(g, t, b, auth_resp_len, 0);
        ike_frame(g, t, b, 1, m, auth_resp_len, 0);
    }
    return b + 3 * MS;
}

int64_t gen_establish(struct gen *g, int ti, int64_t at, int peer_initiates)
{
    struct gen_tunnel *t = &g->tuns[ti];
    new_ike_sa(g, t);
    t->we_initiated = !peer_initiates;
    const char *role = peer_initiates ? "responder" : "initiator";
    char pair[160];
    sa_pair(t, pair, sizeof pair);
    nego_line(g, t, at, "ikev2-nego-ike-start", "IKEv2 IKE SA negotiation is started as %s, non-rekey. Initiated SA: %s SPI:%016llx:0000000000000000.",
              role, pair, (unsigned long long)t->ispi);
    int64_t done = exchange_init_auth(g, t, at + 1 * MS, !peer_initiates, AUTH_RESP_LEN);
    nego_line(g, t, done, "ikev2-nego-ike-succ", "IKEv2 IKE SA negotiation is succeeded as %s, non-rekey. Established SA: %s SPI:%016llx:%016llx.",
              role, pair, (unsigned long long)t->ispi, (unsigned long long)t->rspi);
    nego_line(g, t, done + 2 * MS, "ikev2-nego-child-succ", "IKEv2 child SA negotiation is succeeded as %s, non-rekey.", role);
    /* IKE_SA_INIT took message id 0 and IKE_AUTH 1 of the initiator's counter */
    t->msgid = peer_initiates ? 0 : 2;
    t->peer_msgid = peer_initiates ? 2 : 0;
    t->esp_spi_in = (uint32_t)gen_rand(g) | 0x80000000u;
    t->esp_spi_out = (uint32_t)gen_rand(g) | 0x80000000u;
    return done + 5 * MS;
}

void gen_init_unanswered(struct gen *g, int ti, int64_t at, int copies)
{
    struct gen_tunnel *t = &g->tuns[ti];
    const struct gen_dev *d = &g->devs[t->dev];
    new_ike_sa(g, t);
    t->we_initiated = 1;
    char pair[160];
    sa_pair(t, pair, sizeof pair);
    nego_line(g, t, at, "ikev2-nego-ike-start", "IKEv2 IKE SA negotiation is started as initiator, non-rekey. Initiated SA: %s SPI:%016llx:0000000000000000.",
              pair, (unsigned long long)t->ispi);
    uint8_t m[GEN_FRAME_MAX];
    int64_t s = at + 1 * MS;
    for (int i = 0; i < copies; i++) {
        size_t l = ike_sa_init(g, m, t->ispi, 0, F_INITIATOR);
        log_send(g, t, s, l, 0);
        ike_frame(g, t, s, 1, m, l, 0);
        s += gen_sched_step_s(d, i) * US;
    }
}

static void child_exchange(struct gen *g, struct gen_tunnel *t, int64_t at, size_t resp_len)
{
    uint32_t id = t->msgid++;
    send_request(g, t, at, EXCH_CREATE_CHILD_SA, id, CHILD_REQ_LEN, PL_SA);
    recv_response(g, t, at + gen_range(g, 30, 90) * MS, EXCH_CREATE_CHILD_SA, id, id, resp_len);
}

void gen_child_rekey_ok(struct gen *g, int ti, int64_t at)
{
    struct gen_tunnel *t = &g->tuns[ti];
    const char *role = t->we_initiated ? "initiator" : "responder";
    nego_line(g, t, at, "ikev2-nego-child-start", "IKEv2 child SA negotiation is started as %s, rekey.", role);
    child_exchange(g, t, at + 1 * MS, CHILD_RESP_LEN);
    nego_line(g, t, at + 200 * MS, "ikev2-nego-child-succ", "IKEv2 child SA negotiation is succeeded as %s, rekey.", role);
    t->esp_spi_in = (uint32_t)gen_rand(g) | 0x80000000u;
    t->esp_spi_out = (uint32_t)gen_rand(g) | 0x80000000u;
}

void gen_child_rekey_fail(struct gen *g, int ti, int64_t at, int pfs)
{
    struct gen_tunnel *t = &g->tuns[ti];
    char pair[160];
    sa_pair(t, pair, sizeof pair);
    nego_line(g, t, at, "ikev2-nego-child-start", "IKEv2 child SA negotiation is started as initiator, rekey.");
    /* the peer's answer is encrypted: the notify inside it cannot be seen on the wire */
    child_exchange(g, t, at + 1 * MS, 92);
    int64_t f = at + 300 * MS;
    if (pfs)
        nego_line(g, t, f, "ikev2-nego-child-fail", "IKEv2 child SA negotiation is failed as initiator, rekey. message lacks KE payload");
    else {
        nego_line(g, t, f, "ike-generic-event", "no proposal chosen.");
        nego_line(g, t, f + 1 * MS, "ikev2-nego-child-fail", "IKEv2 child SA negotiation is failed as initiator, rekey. Failed SA: %s SPI:%016llx:%016llx.",
                  pair, (unsigned long long)t->ispi, (unsigned long long)t->rspi);
    }
}

int64_t gen_p1_fail(struct gen *g, int ti, int64_t at, const char *cause)
{
    struct gen_tunnel *t = &g->tuns[ti];
    const struct gen_dev *d = &g->devs[t->dev];
    new_ike_sa(g, t);
    t->we_initiated = 1;
    char pair[160];
    sa_pair(t, pair, sizeof pair);
    nego_line(g, t, at, "ikev2-nego-ike-start", "IKEv2 IKE SA negotiation is started as initiator, non-rekey. Initiated SA: %s SPI:%016llx:0000000000000000.",
              pair, (unsigned long long)t->ispi);
    uint8_t m[GEN_FRAME_MAX];
    int64_t s = at + 1 * MS, fail;
    if (strcmp(cause, "proposal") == 0) {
        size_t l = ike_sa_init(g, m, t->ispi, 0, F_INITIATOR);
        log_send(g, t, s, l, 0);
        ike_frame(g, t, s, 1, m, l, 0);
        int64_t r = s + gen_range(g, 20, 80) * MS;
        /* a cleartext IKE_SA_INIT answer with only N(NO_PROPOSAL_CHOSEN) */
        ike_notify_only(m, t->ispi, 0, EXCH_IKE_SA_INIT, F_RESPONSE, 0, N_NO_PROPOSAL_CHOSEN);
        ike_frame(g, t, r, 0, m, NOTIFY_ONLY_LEN, 0);
        log_recv_head(g, t, r + 1 * MS, NOTIFY_ONLY_LEN);
        fail = r + 5 * MS;
        nego_line(g, t, fail, "ike-generic-event", "no proposal chosen.");
        nego_line(g, t, fail + 1 * MS, "ikev2-nego-ike-fail", "IKEv2 IKE SA negotiation is failed as initiator, non-rekey. Failed SA: %s SPI:%016llx:0000000000000000.",
                  pair, (unsigned long long)t->ispi);
    } else if (strcmp(cause, "auth") == 0) {
        /* IKE_SA_INIT succeeds; the IKE_AUTH answer carries AUTHENTICATION_FAILED inside SK,
         * which only the peer's keys can read: on the wire it is an encrypted IKE_AUTH answer */
        int64_t done = exchange_init_auth(g, t, s, 1, 76);
        fail = done;
        gen_ikemgr(g, t->dev, fail, "INFO", "{ %d: }: received Notify type AUTHENTICATION_FAILED", t->gw_id);
        nego_line(g, t, fail + 1 * MS, "ikev2-nego-ike-fail", "IKEv2 IKE SA negotiation is failed as initiator, non-rekey. Failed SA: %s SPI:%016llx:%016llx.",
                  pair, (unsigned long long)t->ispi, (unsigned long long)t->rspi);
    } else {
        /* no answer at all: IKE_SA_INIT retransmitted on the backoff, then given up; the
         * responder SPI stays zero */
        for (int i = 0; i < 3; i++) {
            size_t l = ike_sa_init(g, m, t->ispi, 0, F_INITIATOR);
            log_send(g, t, s, l, 0);
            ike_frame(g, t, s, 1, m, l, 0);
            s += gen_sched_step_s(d, i) * US;
        }
        fail = s;
        nego_line(g, t, fail, "ikev2-nego-ike-fail", "IKEv2 IKE SA negotiation is failed as initiator, non-rekey. Failed SA: %s SPI:%016llx:0000000000000000.",
                  pair, (unsigned long long)t->ispi);
    }
    return fail - fail % US;
}

int64_t gen_p2_fail(struct gen *g, int ti, int64_t at, const char *cause)
{
    struct gen_tunnel *t = &g->tuns[ti];
    new_ike_sa(g, t);
    t->we_initiated = 1;
    char pair[160];
    sa_pair(t, pair, sizeof pair);
    nego_line(g, t, at, "ikev2-nego-ike-start", "IKEv2 IKE SA negotiation is started as initiator, non-rekey. Initiated SA: %s SPI:%016llx:0000000000000000.",
              pair, (unsigned long long)t->ispi);
    /* the child SA rides in IKE_AUTH; its refusal is inside the encrypted answer */
    int64_t done = exchange_init_auth(g, t, at + 1 * MS, 1, 92);
    nego_line(g, t, done, "ikev2-nego-ike-succ", "IKEv2 IKE SA negotiation is succeeded as initiator, non-rekey. Established SA: %s SPI:%016llx:%016llx.",
              pair, (unsigned long long)t->ispi, (unsigned long long)t->rspi);
    int64_t fail = done + 2 * MS;
    const char *notify = strcmp(cause, "proposal") == 0 ? "NO_PROPOSAL_CHOSEN" : "TS_UNACCEPTABLE";
    gen_ikemgr(g, t->dev, fail, "INFO", "{ %d: }: received Notify type %s, failed establishing child_sa", t->gw_id, notify);
    if (strcmp(cause, "proposal") == 0)
        nego_line(g, t, fail + 1 * MS, "ike-generic-event", "no proposal chosen.");
    nego_line(g, t, fail + 2 * MS, "ikev2-nego-child-fail", "IKEv2 child SA negotiation is failed as initiator, non-rekey. Failed SA: %s SPI:%016llx:%016llx.",
              pair, (unsigned long long)t->ispi, (unsigned long long)t->rspi);
    t->msgid = 2;
    return fail - fail % US;
}

/* ---- IKEv1 DPD (RFC 3706): R-U-THERE / R-U-THERE-ACK in encrypted Informational exchanges ---- */

static void v1_info(struct gen *g, struct gen_tunnel *t, int64_t at, int from_us)
{
    uint8_t m[GEN_FRAME_MAX];
    ike_header(m, t->ispi, t->rspi, PL_V1_HASH, 0x10, EXCH_V1_INFO, F_V1_ENCRYPTED, (uint32_t)gen_rand(g), V1_DPD_LEN);
    random_bytes(g, m + 28, V1_DPD_LEN - 28);
    ike_frame(g, t, at, from_us, m, V1_DPD_LEN, 0);
}

static uint32_t g_v1_seq = 1000;

int64_t gen_ikev1_healthy(struct gen *g, int ti, int64_t from, int64_t to)
{
    struct gen_tunnel *t = &g->tuns[ti];
    int64_t at = from;
    while (at < to) {
        /* racoon's DPD lines (formats.md §1.10, INFERRED for PAN: PAN has no DPD log for IKEv1) */
        gen_ikemgr(g, t->dev, at, "DEBG", "DPD R-U-There sent (%u)", g_v1_seq);
        v1_info(g, t, at, 1);
        int64_t r = at + gen_range(g, 2, 9) * MS;
        v1_info(g, t, r, 0);
        gen_ikemgr(g, t->dev, r + 1 * MS, "DEBG", "DPD R-U-There-Ack received");
        g_v1_seq++;
        at = r + t->interval_s * US;
    }
    return at;
}

int64_t gen_ikev1_dpd_dead(struct gen *g, int ti, int64_t at, const char *root_cause)
{
    struct gen_tunnel *t = &g->tuns[ti];
    /* retries every interval, 5 of them (the gateway's dpd retry), none acknowledged */
    int64_t s = at;
    for (int i = 0; i < 5; i++) {
        gen_ikemgr(g, t->dev, s, "DEBG", "DPD R-U-There sent (%u)", g_v1_seq++);
        v1_info(g, t, s, 1);
        s += t->interval_s * US;
    }
    int64_t anchor = s - s % US;
    gen_ikemgr(g, t->dev, anchor + 300 * MS, "INFO", "DPD: remote (ISAKMP-SA spi=%016llx:%016llx) seems to be dead.",
               (unsigned long long)t->ispi, (unsigned long long)t->rspi);
    gen_ikemgr(g, t->dev, anchor + 302 * MS, "INFO", "purging ISAKMP-SA spi=%016llx:%016llx.", (unsigned long long)t->ispi,
               (unsigned long long)t->rspi);
    gen_incident(g, t->dev, "dpd-down", anchor + 300 * MS - (anchor + 300 * MS) % US, ti, root_cause);
    return anchor;
}

/* ---- ESP ---------------------------------------------------------------------------------------- */

static void esp_frame(struct gen *g, struct gen_tunnel *t, int64_t at, int outbound)
{
    const struct gen_dev *d = &g->devs[t->dev];
    uint8_t p[ESP_PAYLOAD + 8];
    put32(p, outbound ? t->esp_spi_out : t->esp_spi_in);
    put32(p + 4, outbound ? ++t->esp_seq_out : ++t->esp_seq_in);
    random_bytes(g, p + 8, ESP_PAYLOAD - 8);
    const char *src = outbound ? t->local_ip : t->peer_ip, *dst = outbound ? t->peer_ip : t->local_ip;
    int sp = outbound ? t->local_port : t->peer_port, dp = outbound ? t->peer_port : t->local_port;
    if (t->natt)
        emit_ip(g, t->dev, d->f_dp_pcap, at, outbound, src, sp, dst, dp, 17, p, ESP_PAYLOAD);
    else
        emit_ip(g, t->dev, d->f_dp_pcap, at, outbound, src, 0, dst, 0, 50, p, ESP_PAYLOAD);
    if (outbound) {
        t->encap_pkts++;
        t->encap_bytes += ESP_PAYLOAD;
    } else {
        t->decap_pkts++;
        t->decap_bytes += ESP_PAYLOAD;
    }
}

void gen_esp(struct gen *g, int ti, int64_t from, int64_t to, int every_ms, int inbound)
{
    struct gen_tunnel *t = &g->tuns[ti];
    for (int64_t at = from; at < to; at += every_ms * MS + gen_range(g, 0, 20) * MS) {
        esp_frame(g, t, at, 1);
        if (inbound)
            esp_frame(g, t, at + gen_range(g, 15, 40) * MS, 0);
    }
}

void gen_nat_keepalives(struct gen *g, int ti, int64_t from, int64_t to, int every_ms)
{
    struct gen_tunnel *t = &g->tuns[ti];
    static const uint8_t ff = 0xff;
    for (int64_t at = from; at < to; at += every_ms * MS + gen_range(g, 0, 50) * MS)
        emit_ip(g, t->dev, g->devs[t->dev].f_pcap, at, 0, t->peer_ip, t->peer_port, t->local_ip, t->local_port, 17, &ff,
                1);
}

/* ---- noise -------------------------------------------------------------------------------------- */

void gen_noise(struct gen *g, int dev, int64_t from, int64_t to)
{
    for (int64_t at = from + gen_range(g, 5, 60) * US; at < to; at += gen_range(g, 40, 200) * US)
        gen_ikemgr(g, dev, at, "Warning", "pan_log_proxy(pan_priv_log.c:269): Elog being proxied");
    for (int64_t at = from + gen_range(g, 60, 300) * US; at < to; at += gen_range(g, 600, 1500) * US)
        gen_syslog(g, dev, at, "general", "general", "", "informational",
                   "Connection to Update server closed: updates.paloaltonetworks.com, source: 81.2.69.193");
    for (int64_t at = from + gen_range(g, 30, 400) * US; at < to; at += gen_range(g, 300, 900) * US)
        gen_routed(g, dev, at, "Info", "pan_rt_spf(pan_ospf_spf.c:88): SPF calculation for area 0.0.0.0 done");
}

/* ---- running-config.xml and the techsupport dump ---------------------------------------------- */

struct strbuf {
    char *p;
    size_t n, cap;
};

static void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            gen_die("format failed");
        if (b->p && b->n + (size_t)n < b->cap) {
            b->n += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 8192;
        while (nc < b->n + (size_t)n + 1)
            nc *= 2;
        if (nc > ((size_t)16 << 20))
            gen_die("device file too large");
        char *q = realloc(b->p, nc);
        if (!q)
            gen_die("out of memory");
        b->p = q;
        b->cap = nc;
    }
}

static void write_running_config(struct gen *g, int dev)
{
    const struct gen_dev *d = &g->devs[dev];
    struct strbuf b = {0};
    sb_printf(&b, "<?xml version=\"1.0\"?>\n<config version=\"%s\" urldb=\"paloaltonetworks\">\n  <devices>\n"
                  "    <entry name=\"localhost.localdomain\">\n      <network>\n        <ike>\n          <gateway>\n",
              d->sw_version);
    for (int i = 0; i < g->n_tuns; i++) {
        const struct gen_tunnel *t = &g->tuns[i];
        if (t->dev != dev)
            continue;
        const char *v = t->ikev1 ? "ikev1" : "ikev2";
        sb_printf(&b, "            <entry name=\"%s\">\n              <protocol>\n                <%s>\n"
                      "                  <dpd>\n                    <enable>yes</enable>\n"
                      "                    <interval>%d</interval>\n%s                  </dpd>\n"
                      "                  <ike-crypto-profile>default</ike-crypto-profile>\n"
                      "                </%s>\n                <version>%s</version>\n              </protocol>\n"
                      "              <protocol-common>\n                <nat-traversal>\n"
                      "                  <enable>%s</enable>\n                </nat-traversal>\n"
                      "              </protocol-common>\n"
                      "              <local-address>\n                <interface>%s</interface>\n"
                      "                <ip>%s/24</ip>\n              </local-address>\n"
                      "              <peer-address>\n                <ip>%s</ip>\n              </peer-address>\n"
                      "            </entry>\n",
                  t->gateway, v, t->interval_s, t->ikev1 ? "                    <retry>5</retry>\n" : "", v, v,
                  t->natt ? "yes" : "no", t->iface, t->local_ip, t->peer_ip);
    }
    sb_printf(&b, "          </gateway>\n        </ike>\n        <tunnel>\n          <ipsec>\n");
    for (int i = 0; i < g->n_tuns; i++) {
        const struct gen_tunnel *t = &g->tuns[i];
        if (t->dev != dev)
            continue;
        sb_printf(&b, "            <entry name=\"%s\">\n              <auto-key>\n                <ike-gateway>\n"
                      "                  <entry name=\"%s\"/>\n                </ike-gateway>\n"
                      "                <ipsec-crypto-profile>default</ipsec-crypto-profile>\n"
                      "              </auto-key>\n              <tunnel-interface>tunnel.%d</tunnel-interface>\n"
                      "            </entry>\n",
                  t->tunnel, t->gateway, t->tn_id);
    }
    sb_printf(&b, "          </ipsec>\n        </tunnel>\n      </network>\n      <deviceconfig>\n        <system>\n"
                  "          <hostname>%s</hostname>\n          <timezone>%s</timezone>\n        </system>\n"
                  "      </deviceconfig>\n    </entry>\n  </devices>\n</config>\n",
              d->name, d->zone);
    const char *rel = "opt/pancfg/mgmt/saved-configs/running-config.xml";
    gen_write_text(g, dev, rel, b.p, b.n);
    gen_note_member(dev, rel);
    free(b.p);
}

/* formats.md §6.4 (VERIFIED: the table and the encap/decap lines; the other keys INFERRED) */
static void flow_detail(struct strbuf *b, const struct gen_tunnel *t)
{
    sb_printf(b, "> show vpn flow tunnel-id %d\n\ntunnel  %s\n", t->tn_id, t->tunnel);
    sb_printf(b, "        id:                     %d\n        type:                   IPSec\n"
                 "        gateway id:             %d\n        local ip:               %s\n"
                 "        peer ip:                %s\n        inner interface:        tunnel.%d\n"
                 "        outer interface:        %s\n        state:                  active\n",
              t->tn_id, t->gw_id, t->local_ip, t->peer_ip, t->tn_id, t->iface);
    sb_printf(b, "        local spi:              %08X\n        remote spi:             %08X\n", t->esp_spi_in,
              t->esp_spi_out);
    sb_printf(b, "        encap packets:          %llu\n        decap packets:          %llu\n"
                 "        encap bytes:            %llu\n        decap bytes:            %llu\n\n",
              (unsigned long long)t->encap_pkts, (unsigned long long)t->decap_pkts,
              (unsigned long long)t->encap_bytes, (unsigned long long)t->decap_bytes);
}

void gen_device_files(struct gen *g, int dev, int flow_snapshots)
{
    struct gen_dev *d = &g->devs[dev];
    write_running_config(g, dev);
    struct strbuf b = {0};
    struct tm tm;
    gen_local(d, d->tsf_time_us, &tm, NULL, NULL);
    char clock[64], stamp[32];
    strftime(clock, sizeof clock, "%a %b %e %H:%M:%S %Z %Y", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M", &tm);
    sb_printf(&b, "> show clock\n\n%s\n\n", clock);
    sb_printf(&b, "> show system info\n\nhostname: %s\nip-address: %s\nmodel: PA-3220\nserial: %s\nsw-version: %s\n"
                  "multi-vsys: off\noperational-mode: normal\n\n",
              d->name, d->mgmt_ip, d->serial, d->sw_version);
    int n = 0;
    for (int i = 0; i < g->n_tuns; i++)
        n += g->tuns[i].dev == dev;
    sb_printf(&b, "> show vpn flow\n\ntotal tunnels configured: %d\nfilter - type IPSec, state any\n\n"
                  "total IPSec tunnel configured: %d\ntotal IPSec tunnel shown: %d\n\n"
                  "id name state monitor local-ip peer-ip tunnel-i/f\n"
                  "--------------------------------------------------------------------------\n",
              n, n, n);
    for (int i = 0; i < g->n_tuns; i++) {
        const struct gen_tunnel *t = &g->tuns[i];
        if (t->dev == dev)
            sb_printf(&b, "%d %s active off %s %s tunnel.%d\n", t->tn_id, t->tunnel, t->local_ip, t->peer_ip, t->tn_id);
    }
    sb_printf(&b, "\n");
    /* two snapshots a minute apart: what changed in between is what the counters say */
    for (int s = 0; s < flow_snapshots; s++)
        for (int i = 0; i < g->n_tuns; i++) {
            struct gen_tunnel *t = &g->tuns[i];
            if (t->dev != dev)
                continue;
            flow_detail(&b, t);
            if (flow_snapshots > 1) {
                /* a minute of traffic before the second snapshot: our side sends; what comes
                 * back depends on the tunnel (decap_pkts grows only where set by the scenario) */
                uint64_t sent = (uint64_t)gen_range(g, 300, 900);
                t->encap_pkts += sent;
                t->encap_bytes += sent * 118;
                if (!t->one_way_esp) {
                    t->decap_pkts += sent - 3;
                    t->decap_bytes += (sent - 3) * 121;
                }
            }
        }
    char rel[256];
    /* "a hyphen of the hostname may be dropped" (formats.md §5): PAN drops it */
    char host[64];
    size_t k = 0;
    for (const char *p = d->name; *p && k + 1 < sizeof host; p++)
        if (*p != '-')
            host[k++] = *p;
    host[k] = '\0';
    snprintf(rel, sizeof rel, "tmp/cli/techsupport_%s_%s.txt", host, stamp);
    gen_write_text(g, dev, rel, b.p, b.n);
    gen_note_member(dev, rel);
    free(b.p);
}
