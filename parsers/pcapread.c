/*
 * pcapread.c — captures → IKE messages and ESP counts (see pcapread.h).
 *
 * Layers, each a function that returns NULL when it understood its bytes or a short static
 * reason when it could not (the frame then becomes an unparsed record with that reason):
 *
 *   link:  EN10MB  dst(6) src(6) type(2) [0x8100/0x88a8/0x9100 TCI(2) type(2)]... [PPPoE]
 *          SLL     pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
 *          SLL2    protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8)
 *          NULL/LOOP  address family (4, host order of the capturing machine or network order)
 *          RAW/IPV4/IPV6  the IP header directly
 *   IPv4:  ver/ihl total-length id flags/offset proto ... src dst [options]   (RFC 791)
 *   IPv6:  fixed 40 bytes, then hop-by-hop(0) routing(43) dest-opts(60) fragment(44) headers
 *   UDP:   sport dport length checksum; port 500 or 4500 on either side is IKE territory. When
 *          500 is one of them the payload is IKE as is (as tshark decides, lower port first);
 *          otherwise on 4500 (RFC 3948): 1 byte 0xFF = NAT keepalive, 4 zero bytes (non-ESP
 *          marker) + IKE, anything else = ESP in UDP.
 *   ESP:   SPI(4) sequence(4) ...   (IP protocol 50, or in UDP 4500)
 *
 * Lengths: every layer takes (captured bytes, bytes the packet says it has). The IP total
 * length drops Ethernet padding; a snaplen-cut frame has fewer captured than reported bytes,
 * which ike_wire.c uses to tell a cut message from a malformed one.
 *
 * IP fragments (v4, and v6 fragment headers) are held until the datagram is whole, within
 * PCAPREAD_REASM_* limits; the decoded message then takes the number and time of the frame
 * that completed it. A fragment the capture cut short cannot be reassembled; the first one is
 * still decoded as far as it goes (as tshark does), the others are unparsed.
 */
#include "pcapread.h"

#include "ike_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_PPPOE 0x8864
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_ESP 50
#define PORT_IKE 500
#define PORT_NATT 4500
#define IP_DATAGRAM_MAX 65535
#define REASM_BLOCKS ((IP_DATAGRAM_MAX + 7) / 8)
#define UNPARSED_HEX_BYTES 64 /* frame bytes kept (as hex) in an unparsed record */

/* ---- state ------------------------------------------------------------------------------- */

struct ipaddr {
    int family; /* 4 or 6 */
    const uint8_t *src, *dst;
    int first_fragment; /* only the first fragment is here: lengths beyond it come from UDP */
};

struct reasm {
    int used;
    int family;
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto;     /* IPv4: the header's; IPv6: next header after the first fragment's */
    int have_first, have_last;
    uint32_t total;    /* datagram length, known once the last fragment came */
    int64_t first_us;
    int64_t first_frame, last_frame;
    uint8_t *buf;
    size_t cap;
    uint8_t covered[(REASM_BLOCKS + 7) / 8]; /* one bit per 8-byte block */
};

/* esp_agg.natt: ESP (0), ESP in UDP 4500 (1), or NAT keepalives sharing the aggregation */
#define AGG_KEEPALIVE 2
struct esp_agg {
    uint8_t src[16], dst[16];
    uint8_t family, natt;
    uint32_t spi;
    uint32_t slot;
    int64_t packets, bytes, first_frame, last_frame;
    uint32_t min_seq, max_seq;
};

#define PCAPREAD_V6_CACHE 64
#define PCAPREAD_STREAM_BUF ((size_t)256 << 10) /* stdio buffer of the stream libpcap reads */
struct v6_name {
    int valid;
    uint8_t addr[16];
    char text[INET6_ADDRSTRLEN];
};

enum diag_check { DG_OPEN, DG_READ, DG_LINKTYPE, DG_REASM, DG_ESP, DG_TIME, DG_IKE, DG_N };
static const char *const diag_check_name[DG_N] = {"open",       "read",      "link-type",
                                                  "reassembly", "esp-table", "timestamp", "ike-message"};

struct pcapread_ctx {
    const struct ikm_sink *sink;
    struct ikm_source_stats st;
    struct pcapread_counts counts;
    int failed;
    int64_t frame;
    int64_t ts;
    int diag_count[DG_N];
    int linktype_reported;

    struct reasm reasm[PCAPREAD_REASM_DATAGRAMS_MAX];
    int reasm_used;
    size_t reasm_bytes;
    int64_t reasm_oldest_us;

    struct esp_agg *esp;  /* dense, in order of first packet */
    size_t esp_n, esp_cap;
    uint32_t *esp_slots;  /* open addressing: index + 1 into esp, 0 = empty */
    size_t esp_nslots;    /* power of two, >= 2 * esp_cap */
    int64_t esp_bucket;
    int esp_split_reported;

    struct v6_name v6_cache[PCAPREAD_V6_CACHE];
};

/* ---- diagnostics and records --------------------------------------------------------------- */

static void emit_diag(struct pcapread_ctx *c, enum diag_check k, enum ikm_diag_severity sev, int64_t frame,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void emit_diag(struct pcapread_ctx *c, enum diag_check k, enum ikm_diag_severity sev, int64_t frame,
                      const char *fmt, ...)
{
    if (sev == IKM_DIAG_ERROR)
        c->st.errors++;
    else
        c->st.warnings++;
    if (++c->diag_count[k] > PCAPREAD_DIAG_PER_CHECK_MAX || c->failed || !c->sink->diag)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct ikm_diag d = {sev, frame, -1, diag_check_name[k], msg};
    if (c->sink->diag(c->sink->ctx, &d) < 0)
        c->failed = 1;
}

static void emit_unparsed(struct pcapread_ctx *c, const char *reason, const uint8_t *data, size_t caplen)
{
    static const char hexd[] = "0123456789abcdef";
    char hex[2 * UNPARSED_HEX_BYTES + 1];
    size_t n = caplen < UNPARSED_HEX_BYTES ? caplen : UNPARSED_HEX_BYTES;
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = hexd[data[i] >> 4];
        hex[2 * i + 1] = hexd[data[i] & 15];
    }
    hex[2 * n] = '\0';
    c->st.unparsed++;
    c->counts.unparsed++;
    if (c->failed || !c->sink->unparsed)
        return;
    struct ikm_unparsed u = {c->frame, -1, reason, {hex, 2 * n}};
    if (c->sink->unparsed(c->sink->ctx, &u) < 0)
        c->failed = 1;
}

static void format_ip(int family, const uint8_t *a, char *out, size_t n)
{
    if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)n))
        out[0] = '\0';
}

/* Dotted quad without printf: glibc's inet_ntop goes through sprintf, which was the largest
 * cost per IKE message in bench/pcap_bench.c. out holds at least 16 bytes. */
static void format_ipv4_fast(const uint8_t *a, char *out)
{
    char *o = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : '\0';
    }
}

/* IPv6 text is cached per address (direct-mapped): captures repeat a few endpoints. */
static void format_addr(struct pcapread_ctx *c, int family, const uint8_t *a, char *out, size_t n)
{
    if (family == 4) {
        format_ipv4_fast(a, out);
        return;
    }
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ a[i]) * 16777619u;
    struct v6_name *e = &c->v6_cache[h % PCAPREAD_V6_CACHE];
    if (!e->valid || memcmp(e->addr, a, 16) != 0) {
        memcpy(e->addr, a, 16);
        format_ip(6, a, e->text, sizeof e->text);
        e->valid = 1;
    }
    size_t l = strlen(e->text);
    if (l >= n)
        l = n - 1;
    memcpy(out, e->text, l);
    out[l] = '\0';
}

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- ESP aggregation ------------------------------------------------------------------------ */

static uint32_t esp_hash(const uint8_t *src, const uint8_t *dst, int alen, uint32_t spi, int natt)
{
    uint32_t h = 2166136261u ^ spi ^ (uint32_t)natt << 31;
    for (int i = 0; i < alen; i++)
        h = (h ^ src[i]) * 16777619u;
    for (int i = 0; i < alen; i++)
        h = (h ^ dst[i]) * 16777619u;
    h ^= h >> 15;
    h *= 0x2c1b3c6dU;
    h ^= h >> 12;
    return h;
}

static void esp_flush(struct pcapread_ctx *c)
{
    for (size_t i = 0; i < c->esp_n; i++) {
        struct esp_agg *a = &c->esp[i];
        c->esp_slots[a->slot] = 0;
        int keepalive = a->natt == AGG_KEEPALIVE;
        int (*out)(void *, const struct ikm_esp_count *) = keepalive ? c->sink->nat_keepalive : c->sink->esp_count;
        if (c->failed || !out)
            continue;
        struct ikm_esp_count e;
        memset(&e, 0, sizeof e);
        format_addr(c, a->family, a->src, e.src_ip, sizeof e.src_ip);
        format_addr(c, a->family, a->dst, e.dst_ip, sizeof e.dst_ip);
        e.spi = a->spi;
        e.natt = keepalive ? 1 : a->natt;
        e.bucket_start_us = c->esp_bucket;
        e.packets = a->packets;
        e.bytes = a->bytes;
        e.first_frame = a->first_frame;
        e.last_frame = a->last_frame;
        e.min_seq = a->min_seq;
        e.max_seq = a->max_seq;
        if (out(c->sink->ctx, &e) < 0)
            c->failed = 1;
    }
    c->esp_n = 0;
}

/* Room for one more aggregate: grows the arrays (not per packet: doubling, up to the cap). */
static int esp_grow(struct pcapread_ctx *c)
{
    size_t ncap = c->esp_cap ? c->esp_cap * 2 : 64;
    if (ncap > PCAPREAD_ESP_KEYS_MAX)
        ncap = PCAPREAD_ESP_KEYS_MAX;
    struct esp_agg *na = realloc(c->esp, ncap * sizeof *na);
    if (!na)
        return -1;
    c->esp = na;
    size_t nslots = ncap * 2;
    uint32_t *ns = calloc(nslots, sizeof *ns);
    if (!ns)
        return -1;
    free(c->esp_slots);
    c->esp_slots = ns;
    c->esp_nslots = nslots;
    c->esp_cap = ncap;
    int alen;
    for (size_t i = 0; i < c->esp_n; i++) { /* rehash what is open */
        struct esp_agg *a = &c->esp[i];
        alen = a->family == 4 ? 4 : 16;
        size_t s = esp_hash(a->src, a->dst, alen, a->spi, a->natt) & (nslots - 1);
        while (ns[s])
            s = (s + 1) & (nslots - 1);
        ns[s] = (uint32_t)i + 1;
        a->slot = (uint32_t)s;
    }
    return 0;
}

static int64_t bucket_of(int64_t ts)
{
    int64_t b = ts / IKM_ESP_BUCKET_US;
    if (ts % IKM_ESP_BUCKET_US < 0)
        b--; /* floor, for times before 1970 */
    return b * IKM_ESP_BUCKET_US;
}

static const char *esp_add(struct pcapread_ctx *c, const struct ipaddr *ip, uint32_t spi, uint32_t seq, int natt,
                           size_t bytes)
{
    int64_t b = bucket_of(c->ts);
    if (c->esp_n && b != c->esp_bucket)
        esp_flush(c);
    c->esp_bucket = b;
    int alen = ip->family == 4 ? 4 : 16;
    if (c->esp_cap) {
        size_t s = esp_hash(ip->src, ip->dst, alen, spi, natt) & (c->esp_nslots - 1);
        while (c->esp_slots[s]) {
            struct esp_agg *a = &c->esp[c->esp_slots[s] - 1];
            if (a->spi == spi && a->natt == natt && a->family == ip->family && memcmp(a->src, ip->src, alen) == 0 &&
                memcmp(a->dst, ip->dst, alen) == 0) {
                a->packets++;
                a->bytes += (int64_t)bytes;
                a->last_frame = c->frame;
                if (seq < a->min_seq)
                    a->min_seq = seq;
                if (seq > a->max_seq)
                    a->max_seq = seq;
                return NULL;
            }
            s = (s + 1) & (c->esp_nslots - 1);
        }
    }
    if (c->esp_n == PCAPREAD_ESP_KEYS_MAX) {
        /* too many flows in one bucket: emit what we have and go on; the bucket then has
         * more than one row per flow, nothing is lost */
        if (!c->esp_split_reported) {
            c->esp_split_reported = 1;
            emit_diag(c, DG_ESP, IKM_DIAG_WARNING, c->frame,
                      "more than %d ESP flows in one %lld-second bucket: its rows are emitted in parts",
                      PCAPREAD_ESP_KEYS_MAX, (long long)(IKM_ESP_BUCKET_US / 1000000));
        }
        esp_flush(c);
    } else if (c->esp_n == c->esp_cap && esp_grow(c) < 0) {
        c->failed = 1;
        return NULL;
    }
    size_t s = esp_hash(ip->src, ip->dst, alen, spi, natt) & (c->esp_nslots - 1);
    while (c->esp_slots[s])
        s = (s + 1) & (c->esp_nslots - 1);
    struct esp_agg *a = &c->esp[c->esp_n];
    memset(a, 0, sizeof *a);
    memcpy(a->src, ip->src, alen);
    memcpy(a->dst, ip->dst, alen);
    a->family = (uint8_t)ip->family;
    a->natt = (uint8_t)natt;
    a->spi = spi;
    a->slot = (uint32_t)s;
    a->packets = 1;
    a->bytes = (int64_t)bytes;
    a->first_frame = a->last_frame = c->frame;
    a->min_seq = a->max_seq = seq;
    c->esp_slots[s] = (uint32_t)++c->esp_n;
    return NULL;
}

/*
 * ESP (RFC 4303 §2):
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |               Security Parameters Index (SPI)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      Sequence Number                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Payload Data* (variable) ...
 * bytes counted: the ESP packet as the packet says it is (SPI to ICV).
 */
static const char *dec_esp(struct pcapread_ctx *c, const struct ipaddr *ip, const uint8_t *p, size_t cap, size_t rep,
                           int natt)
{
    struct ike_cur cur = ike_cur_make(p, cap);
    uint32_t spi, seq;
    if (ike_cur_be32(&cur, &spi) < 0 || ike_cur_be32(&cur, &seq) < 0)
        return rep < 8 ? "ESP shorter than its 8-byte header" : "ESP header truncated by the capture";
    c->counts.esp++;
    return esp_add(c, ip, spi, seq, natt, rep);
}

/* ---- IKE ---------------------------------------------------------------------------------- */

static const char *dec_ike(struct pcapread_ctx *c, const struct ipaddr *ip, uint16_t sport, uint16_t dport,
                           const uint8_t *p, size_t cap, size_t rep, int natt)
{
    struct ikm_ike_msg m;
    ikm_ike_msg_init(&m, IKM_ORIGIN_PCAP);
    enum ike_wire_status s = ike_wire_decode(p, cap, rep, &m);
    if (s == IKE_WIRE_SHORT)
        return rep < IKE_WIRE_HDR_LEN ? "payload on an IKE port shorter than the IKE header"
                                      : "IKE header truncated by the capture";
    if (s == IKE_WIRE_BAD_LENGTH)
        return "IKE length field below 28";
    /* a malformed message is evidence and is kept, but said so with its frame: the decoder
     * marks what it could not walk, and nothing else would tell the reader */
    if ((uint64_t)m.length > (uint64_t)rep)
        emit_diag(c, DG_IKE, IKM_DIAG_WARNING, c->frame,
                  "IKE length %lld is more than the %zu bytes of its UDP datagram; decoded as far as the datagram goes",
                  (long long)m.length, rep);
    if (strchr(m.payloads, '!')) { /* the decoder's marks all start with '!': one scan, not two */
        if (strstr(m.payloads, "!LEN"))
            emit_diag(c, DG_IKE, IKM_DIAG_WARNING, c->frame,
                      "IKE payload chain cut: a payload length below 4 or past the message (payloads %s)", m.payloads);
        else if (strstr(m.payloads, "!MANY"))
            emit_diag(c, DG_IKE, IKM_DIAG_WARNING, c->frame,
                      "IKE payload chain cut: more than %d payloads (a loop, not a real message)", IKE_WIRE_PAYLOADS_MAX);
    }
    m.unit = c->frame;
    m.t.local_us = m.t.utc_us = c->ts;
    m.t.offset_min = 0;
    m.t.state = IKM_TZ_LINE;
    m.dir = IKM_DIR_UNKNOWN;
    format_addr(c, ip->family, ip->src, m.src_ip, sizeof m.src_ip);
    format_addr(c, ip->family, ip->dst, m.dst_ip, sizeof m.dst_ip);
    m.src_port = sport;
    m.dst_port = dport;
    m.natt = natt;
    c->counts.ike++;
    c->st.ike_messages++;
    if (!c->failed && c->sink->ike_message && c->sink->ike_message(c->sink->ctx, &m) < 0)
        c->failed = 1;
    return NULL;
}

/*
 * UDP (RFC 768): Source Port(2) | Destination Port(2) | Length(2) | Checksum(2) | data.
 * The payload is min(UDP length - 8, what the IP layer says is left): a UDP length beyond the
 * IP payload is not believed (tshark does the same).
 */
static const char *dec_udp(struct pcapread_ctx *c, const struct ipaddr *ip, const uint8_t *p, size_t cap, size_t rep)
{
    struct ike_cur cur = ike_cur_make(p, cap);
    uint16_t sport, dport, ulen, sum;
    if (ike_cur_be16(&cur, &sport) < 0 || ike_cur_be16(&cur, &dport) < 0 || ike_cur_be16(&cur, &ulen) < 0 ||
        ike_cur_be16(&cur, &sum) < 0)
        return rep < 8 ? "UDP header shorter than 8 bytes" : "UDP header truncated by the capture";
    int ike500 = sport == PORT_IKE || dport == PORT_IKE;
    int natt = sport == PORT_NATT || dport == PORT_NATT;
    if (!ike500 && !natt) {
        c->counts.other++;
        return NULL;
    }
    if (ulen < 8)
        return "UDP length below 8 on an IKE port";
    size_t prep = rep - 8;
    if ((size_t)ulen - 8 < prep || ip->first_fragment)
        prep = (size_t)ulen - 8;
    size_t pcap_n = ike_cur_left(&cur) < prep ? ike_cur_left(&cur) : prep;
    const uint8_t *pl = cur.p;
    if (prep == 1 && pcap_n == 1 && pl[0] == 0xff) { /* RFC 3948 §2.3 */
        c->counts.keepalives++;
        return esp_add(c, ip, 0, 0, AGG_KEEPALIVE, 1);
    }
    if (ike500)
        return dec_ike(c, ip, sport, dport, pl, pcap_n, prep, 0);
    if (pcap_n < 4)
        return prep < 4 ? "UDP/4500 payload shorter than 4 bytes" : "UDP/4500 payload truncated by the capture";
    if (be32(pl) == 0) /* the non-ESP marker: IKE follows, its Length excludes the marker */
        return dec_ike(c, ip, sport, dport, pl + 4, pcap_n - 4, prep - 4, 1);
    return dec_esp(c, ip, pl, pcap_n, prep, 1);
}

static const char *dec_transport(struct pcapread_ctx *c, const struct ipaddr *ip, uint8_t proto, const uint8_t *p,
                                 size_t cap, size_t rep)
{
    if (proto == IPPROTO_NUM_UDP)
        return dec_udp(c, ip, p, cap, rep);
    if (proto == IPPROTO_NUM_ESP)
        return dec_esp(c, ip, p, cap, rep, 0);
    c->counts.other++;
    return NULL;
}

/* ---- IP fragment reassembly ------------------------------------------------------------------ */

static void reasm_release(struct pcapread_ctx *c, struct reasm *r)
{
    c->reasm_bytes -= r->cap;
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
    r->used = 0;
    c->reasm_used--;
}

static void reasm_drop(struct pcapread_ctx *c, struct reasm *r, const char *why)
{
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    format_ip(r->family, r->src, s, sizeof s);
    format_ip(r->family, r->dst, d, sizeof d);
    c->counts.reasm_dropped++;
    emit_diag(c, DG_REASM, IKM_DIAG_WARNING, c->frame,
              "IPv%d datagram %s -> %s id 0x%x %s: its fragments (frames %lld..%lld) are dropped", r->family, s, d,
              (unsigned)r->id, why, (long long)r->first_frame, (long long)r->last_frame);
    reasm_release(c, r);
}

static struct reasm *reasm_oldest(struct pcapread_ctx *c, const struct reasm *except)
{
    struct reasm *o = NULL;
    for (int i = 0; i < PCAPREAD_REASM_DATAGRAMS_MAX; i++) {
        struct reasm *r = &c->reasm[i];
        if (r->used && r != except && (!o || r->first_us < o->first_us))
            o = r;
    }
    return o;
}

static void reasm_expire(struct pcapread_ctx *c)
{
    int64_t oldest = INT64_MAX;
    for (int i = 0; i < PCAPREAD_REASM_DATAGRAMS_MAX; i++) {
        struct reasm *r = &c->reasm[i];
        if (!r->used)
            continue;
        if (c->ts - r->first_us > PCAPREAD_REASM_TIMEOUT_US)
            reasm_drop(c, r, "still incomplete after 30 s of capture time");
        else if (r->first_us < oldest)
            oldest = r->first_us;
    }
    c->reasm_oldest_us = oldest;
}

static int block_set(const struct reasm *r, size_t b)
{
    return r->covered[b / 8] >> (b % 8) & 1;
}

/* Takes a fully captured fragment. Returns NULL with *done set when it completed its
 * datagram, NULL with *done NULL when it is held, or a reason when it was refused. */
static const char *reasm_add(struct pcapread_ctx *c, const struct ipaddr *ip, uint32_t id, uint8_t proto,
                             size_t off, int more, const uint8_t *data, size_t len, struct reasm **done)
{
    *done = NULL;
    int alen = ip->family == 4 ? 4 : 16;
    if (more && (len == 0 || len % 8))
        return "IP fragment length not a multiple of 8";
    if (off + len > IP_DATAGRAM_MAX)
        return "IP fragment beyond 65535 bytes";
    struct reasm *r = NULL, *free_slot = NULL;
    for (int i = 0; i < PCAPREAD_REASM_DATAGRAMS_MAX; i++) {
        struct reasm *x = &c->reasm[i];
        if (!x->used) {
            if (!free_slot)
                free_slot = x;
            continue;
        }
        /* RFC 791: source, destination, protocol and identification name a datagram; an IPv6
         * fragment header has no protocol of its own for non-first fragments */
        if (x->family == ip->family && x->id == id && (ip->family == 6 || x->proto == proto) &&
            memcmp(x->src, ip->src, alen) == 0 && memcmp(x->dst, ip->dst, alen) == 0) {
            r = x;
            break;
        }
    }
    if (!r) {
        if (!free_slot) {
            free_slot = reasm_oldest(c, NULL);
            reasm_drop(c, free_slot, "evicted: too many datagrams in reassembly at once");
        }
        r = free_slot;
        memset(r, 0, sizeof *r);
        r->used = 1;
        r->family = ip->family;
        memcpy(r->src, ip->src, alen);
        memcpy(r->dst, ip->dst, alen);
        r->id = id;
        r->proto = proto;
        r->first_us = c->ts;
        r->first_frame = c->frame;
        c->reasm_used++;
        if (c->reasm_used == 1 || r->first_us < c->reasm_oldest_us)
            c->reasm_oldest_us = r->first_us;
    }
    if (r->have_last && off + len > r->total)
        return "IP fragment past the end of its datagram";
    if (!more && r->have_last && off + len != r->total)
        return "IP fragments disagree on the datagram's length";
    size_t need = off + len;
    if (need > r->cap) {
        size_t ncap = r->cap ? r->cap : 2048;
        while (ncap < need)
            ncap *= 2;
        if (ncap > IP_DATAGRAM_MAX)
            ncap = IP_DATAGRAM_MAX;
        while (c->reasm_bytes + (ncap - r->cap) > PCAPREAD_REASM_BYTES_MAX) {
            struct reasm *o = reasm_oldest(c, r);
            if (!o) {
                reasm_drop(c, r, "exceeds the reassembly memory cap");
                return "IP fragment dropped: reassembly memory cap";
            }
            reasm_drop(c, o, "evicted: reassembly memory cap reached");
        }
        uint8_t *nb = realloc(r->buf, ncap);
        if (!nb) {
            c->failed = 1;
            return "out of memory";
        }
        c->reasm_bytes += ncap - r->cap;
        r->buf = nb;
        r->cap = ncap;
    }
    if (len)
        memcpy(r->buf + off, data, len);
    for (size_t b = off / 8; b < (off + len + 7) / 8; b++)
        r->covered[b / 8] |= (uint8_t)(1u << (b % 8));
    if (!more) {
        r->have_last = 1;
        r->total = (uint32_t)(off + len);
    }
    if (off == 0) {
        r->have_first = 1;
        r->proto = proto;
    }
    r->last_frame = c->frame;
    c->counts.fragments++;
    if (!r->have_last || !r->have_first)
        return NULL;
    for (size_t b = 0; b < (r->total + 7) / 8; b++)
        if (!block_set(r, b))
            return NULL;
    *done = r;
    return NULL;
}

static const char *dec_ipv6_chain(struct pcapread_ctx *c, const struct ipaddr *ip, uint8_t nh, const uint8_t *p,
                                  size_t cap, size_t rep, int allow_frag);

/* A fragment: held for reassembly, or decoded as far as it goes when the capture cut it. */
static const char *dec_fragment(struct pcapread_ctx *c, const struct ipaddr *ip, uint32_t id, uint8_t proto,
                                size_t off, int more, const uint8_t *p, size_t cap, size_t rep)
{
    if (cap < rep) {
        if (off != 0)
            return "IP fragment cut by the capture";
        /* the first fragment's transport header is there: worth reading (tshark does); the
         * datagram's length is then the UDP header's, not the fragment's */
        struct ipaddr first = *ip;
        first.first_fragment = 1;
        if (ip->family == 4)
            return dec_transport(c, &first, proto, p, cap, rep);
        return dec_ipv6_chain(c, &first, proto, p, cap, rep, 0);
    }
    struct reasm *r;
    const char *why = reasm_add(c, ip, id, proto, off, more, p, cap, &r);
    if (why || !r)
        return why;
    c->counts.reassembled++;
    struct ipaddr rip = {r->family, r->src, r->dst, 0};
    const char *res = r->family == 4 ? dec_transport(c, &rip, r->proto, r->buf, r->total, r->total)
                                     : dec_ipv6_chain(c, &rip, r->proto, r->buf, r->total, r->total, 0);
    reasm_release(c, r);
    return res;
}

/* ---- IP ------------------------------------------------------------------------------------ */

/*
 * IPv4 (RFC 791 §3.1):
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  |                    Options                    |    Padding    |
 */
static const char *dec_ipv4(struct pcapread_ctx *c, const uint8_t *p, size_t cap)
{
    struct ike_cur cur = ike_cur_make(p, cap);
    uint8_t vihl, tos, ttl, proto;
    uint16_t total, id, frag, sum;
    if (ike_cur_u8(&cur, &vihl) < 0 || ike_cur_u8(&cur, &tos) < 0 || ike_cur_be16(&cur, &total) < 0 ||
        ike_cur_be16(&cur, &id) < 0 || ike_cur_be16(&cur, &frag) < 0 || ike_cur_u8(&cur, &ttl) < 0 ||
        ike_cur_u8(&cur, &proto) < 0 || ike_cur_be16(&cur, &sum) < 0 || ike_cur_skip(&cur, 8) < 0)
        return "IPv4 header truncated";
    if (vihl >> 4 != 4)
        return "bad IPv4 header: version is not 4";
    size_t hl = (size_t)(vihl & 15) * 4;
    if (hl < 20)
        return "bad IPv4 header: header length below 20";
    if (cap < hl)
        return "IPv4 header truncated";
    /* total length 0: segmentation offload, the NIC fills it in after the capture point */
    size_t tot = total ? total : cap;
    if (tot < hl)
        return "bad IPv4 header: total length below header length";
    size_t avail = cap < tot ? cap : tot; /* drops link-layer padding */
    struct ipaddr ip = {4, p + 12, p + 16, 0};
    size_t off = (size_t)(frag & 0x1fff) * 8;
    int more = (frag & 0x2000) != 0;
    if (off || more)
        return dec_fragment(c, &ip, id, proto, off, more, p + hl, avail - hl, tot - hl);
    return dec_transport(c, &ip, proto, p + hl, avail - hl, tot - hl);
}

/*
 * IPv6 extension headers (RFC 8200 §4): hop-by-hop (0), routing (43) and destination options
 * (60) start with Next Header(1) | Hdr Ext Len(1) in 8-octet units not counting the first 8;
 * the fragment header (44) is Next Header(1) | Reserved(1) | Fragment Offset(13 bits) Res(2) M(1)
 * | Identification(4).
 */
static const char *dec_ipv6_chain(struct pcapread_ctx *c, const struct ipaddr *ip, uint8_t nh, const uint8_t *p,
                                  size_t cap, size_t rep, int allow_frag)
{
    for (int i = 0;; i++) {
        if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
            return dec_transport(c, ip, nh, p, cap, rep);
        if (i == PCAPREAD_IPV6_EXT_MAX)
            return "too many IPv6 extension headers";
        if (nh == 44) {
            if (rep < 8)
                return "bad IPv6 fragment header";
            if (cap < 8)
                return "IPv6 fragment header truncated";
            if (!allow_frag)
                return "IPv6 fragment header inside a fragment";
            uint8_t next = p[0];
            uint16_t offflags = be16(p + 2);
            uint32_t id = be32(p + 4);
            size_t off = offflags & 0xfff8;
            int more = offflags & 1;
            p += 8, cap -= 8, rep -= 8;
            if (off == 0 && !more) { /* an atomic fragment (RFC 6946): the packet is whole */
                nh = next;
                continue;
            }
            return dec_fragment(c, ip, id, next, off, more, p, cap, rep);
        }
        if (rep < 2)
            return "bad IPv6 extension header";
        if (cap < 2)
            return "IPv6 extension header truncated";
        size_t len = ((size_t)p[1] + 1) * 8;
        if (len > rep)
            return "bad IPv6 extension header: longer than the packet";
        if (len > cap)
            return "IPv6 extension header truncated";
        nh = p[0];
        p += len, cap -= len, rep -= len;
    }
}

/*
 * IPv6 (RFC 8200 §3): Version(4) Traffic Class(8) Flow Label(20) | Payload Length(2) |
 * Next Header(1) | Hop Limit(1) | Source Address(16) | Destination Address(16).
 */
static const char *dec_ipv6(struct pcapread_ctx *c, const uint8_t *p, size_t cap)
{
    if (cap < 40)
        return "IPv6 header truncated";
    if (p[0] >> 4 != 6)
        return "bad IPv6 header: version is not 6";
    size_t plen = be16(p + 4);
    size_t rep = plen ? plen : cap - 40; /* 0: jumbogram or offload; trust the capture */
    size_t avail = cap - 40 < rep ? cap - 40 : rep;
    struct ipaddr ip = {6, p + 8, p + 24, 0};
    return dec_ipv6_chain(c, &ip, p[6], p + 40, avail, rep, 1);
}

static const char *dec_ip(struct pcapread_ctx *c, const uint8_t *p, size_t cap)
{
    if (cap < 1)
        return "empty frame";
    if (p[0] >> 4 == 4)
        return dec_ipv4(c, p, cap);
    if (p[0] >> 4 == 6)
        return dec_ipv6(c, p, cap);
    return "not an IP packet (raw IP link type)";
}

/* ---- link layers -------------------------------------------------------------------------- */

/* An Ethernet type and what follows it; 802.1Q/802.1ad tags are peeled off in a bounded loop. */
static const char *dec_ethertype(struct pcapread_ctx *c, uint16_t type, const uint8_t *p, size_t cap)
{
    for (int tags = 0;; tags++) {
        switch (type) {
        case ETHERTYPE_IPV4:
            return dec_ipv4(c, p, cap);
        case ETHERTYPE_IPV6:
            return dec_ipv6(c, p, cap);
        case ETHERTYPE_VLAN:
        case ETHERTYPE_QINQ:
        case ETHERTYPE_QINQ_OLD:
            if (tags == PCAPREAD_VLAN_TAGS_MAX)
                return "more than 4 stacked VLAN tags";
            if (cap < 4)
                return "VLAN tag truncated";
            type = be16(p + 2); /* TCI(2) then the inner type */
            p += 4, cap -= 4;
            continue;
        case ETHERTYPE_PPPOE: {
            /* RFC 2516 session: ver/type(1) code(1) session(2) length(2) | PPP protocol(2) */
            if (cap < 8)
                return "PPPoE header truncated";
            uint16_t ppp = be16(p + 6);
            if (ppp == 0x0021)
                return dec_ipv4(c, p + 8, cap - 8);
            if (ppp == 0x0057)
                return dec_ipv6(c, p + 8, cap - 8);
            c->counts.other++;
            return NULL;
        }
        default: /* ARP, LLDP, an 802.3 length field...: read, not ours */
            c->counts.other++;
            return NULL;
        }
    }
}

static const char *dec_link(struct pcapread_ctx *c, int linktype, const uint8_t *p, size_t cap)
{
    switch (linktype) {
    case DLT_EN10MB:
        if (cap < 14)
            return "Ethernet header truncated";
        return dec_ethertype(c, be16(p + 12), p + 14, cap - 14);
    case DLT_LINUX_SLL:
        if (cap < 16)
            return "Linux SLL header truncated";
        return dec_ethertype(c, be16(p + 14), p + 16, cap - 16);
    case DLT_LINUX_SLL2:
        if (cap < 20)
            return "Linux SLL2 header truncated";
        return dec_ethertype(c, be16(p), p + 20, cap - 20);
    case DLT_NULL:
    case DLT_LOOP: {
        /* the family word is in the capturing host's byte order (NULL) or network order
         * (LOOP), and files travel between hosts: a value with the high half set is swapped */
        struct ike_cur cur = ike_cur_make(p, cap);
        uint32_t fam;
        if (ike_cur_le32(&cur, &fam) < 0)
            return "loopback header truncated";
        if (fam & 0xffff0000u)
            fam = (fam >> 24) | (fam >> 8 & 0xff00) | (fam << 8 & 0xff0000) | fam << 24;
        if (fam == 2)
            return dec_ipv4(c, p + 4, cap - 4);
        if (fam == 10 || fam == 24 || fam == 28 || fam == 30) /* Linux, *BSD, FreeBSD, macOS */
            return dec_ipv6(c, p + 4, cap - 4);
        c->counts.other++;
        return NULL;
    }
    case DLT_RAW:
    case PCAPREAD_LINKTYPE_RAW:
        return dec_ip(c, p, cap);
    case DLT_IPV4:
        return dec_ipv4(c, p, cap);
    case DLT_IPV6:
        return dec_ipv6(c, p, cap);
    default:
        if (!c->linktype_reported) {
            const char *name = pcap_datalink_val_to_name(linktype);
            c->linktype_reported = 1;
            emit_diag(c, DG_LINKTYPE, IKM_DIAG_ERROR, c->frame,
                      "link type %d (%s) is not supported: its frames are counted unparsed", linktype,
                      name ? name : "unknown");
        }
        return "unsupported link type";
    }
}

/* ---- context ------------------------------------------------------------------------------- */

struct pcapread_ctx *pcapread_ctx_new(const struct ikm_sink *sink)
{
    struct pcapread_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sink = sink;
    ikm_source_stats_init(&c->st);
    c->esp_bucket = INT64_MIN;
    return c;
}

void pcapread_ctx_free(struct pcapread_ctx *c)
{
    if (!c)
        return;
    for (int i = 0; i < PCAPREAD_REASM_DATAGRAMS_MAX; i++)
        free(c->reasm[i].buf);
    free(c->esp);
    free(c->esp_slots);
    free(c);
}

int pcapread_decode_frame(struct pcapread_ctx *c, int linktype, const uint8_t *data, uint32_t caplen,
                          uint32_t wirelen, int64_t ts_us)
{
    (void)wirelen; /* the IP lengths say more than the frame's: they exclude padding */
    if (c->failed)
        return -1;
    c->frame++;
    c->counts.frames++;
    c->st.units++;
    if (ts_us > PCAPREAD_TS_LIMIT_US || ts_us < -PCAPREAD_TS_LIMIT_US) {
        /* a damaged timestamp (or resolution): kept in range so that bucket and timeout
         * arithmetic cannot overflow */
        emit_diag(c, DG_TIME, IKM_DIAG_WARNING, c->frame, "capture timestamp out of range; clamped to %s",
                  ts_us > 0 ? "the year 36000" : "the year -32000");
        ts_us = ts_us > 0 ? PCAPREAD_TS_LIMIT_US : -PCAPREAD_TS_LIMIT_US;
    }
    c->ts = ts_us;
    if (c->st.first_local_us == INT64_MIN || ts_us < c->st.first_local_us)
        c->st.first_local_us = ts_us;
    if (c->st.last_local_us == INT64_MIN || ts_us > c->st.last_local_us)
        c->st.last_local_us = ts_us;
    if (c->esp_n && ts_us >= c->esp_bucket + IKM_ESP_BUCKET_US)
        esp_flush(c); /* the capture moved past the bucket */
    if (c->reasm_used && ts_us - c->reasm_oldest_us > PCAPREAD_REASM_TIMEOUT_US)
        reasm_expire(c);
    const char *why = dec_link(c, linktype, data, caplen);
    if (why)
        emit_unparsed(c, why, data, caplen);
    else
        c->st.parsed++;
    return c->failed ? -1 : 0;
}

int pcapread_read_error(struct pcapread_ctx *c, const char *why)
{
    emit_diag(c, DG_READ, IKM_DIAG_ERROR, c->frame + 1,
              "capture ends early after frame %lld: %s; every frame before is kept", (long long)c->frame, why);
    return c->failed ? -1 : 0;
}

int pcapread_finish(struct pcapread_ctx *c, struct ikm_source_stats *stats, struct pcapread_counts *counts)
{
    esp_flush(c);
    for (int i = 0; i < PCAPREAD_REASM_DATAGRAMS_MAX; i++)
        if (c->reasm[i].used)
            reasm_drop(c, &c->reasm[i], "incomplete at the end of the capture");
    for (int k = 0; k < DG_N; k++)
        if (c->diag_count[k] > PCAPREAD_DIAG_PER_CHECK_MAX && c->sink->diag && !c->failed) {
            char msg[160];
            snprintf(msg, sizeof msg, "%d more %s problems not listed", c->diag_count[k] - PCAPREAD_DIAG_PER_CHECK_MAX,
                     diag_check_name[k]);
            struct ikm_diag d = {IKM_DIAG_WARNING, 0, -1, diag_check_name[k], msg};
            if (c->sink->diag(c->sink->ctx, &d) < 0)
                c->failed = 1;
        }
    /* capture timestamps are UTC by definition */
    c->st.has_offset = 1;
    c->st.first_offset_min = 0;
    if (stats)
        *stats = c->st;
    if (counts)
        *counts = c->counts;
    return c->failed ? -1 : 0;
}

/* ---- reading a stream through libpcap -------------------------------------------------------- */

struct cookie {
    struct ikm_stream s;
    int64_t bytes;
    int failed;
};

static ssize_t cookie_read(void *ctx, char *buf, size_t n)
{
    struct cookie *k = ctx;
    ssize_t r = k->s.read(k->s.ctx, buf, n);
    if (r < 0) {
        k->failed = 1;
        errno = EIO;
        return -1;
    }
    k->bytes += r;
    return r;
}

static int cookie_close(void *ctx)
{
    (void)ctx; /* the stream stays the caller's */
    return 0;
}

int pcapread_parse_stream_counts(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats,
                                 struct pcapread_counts *counts)
{
    struct pcapread_ctx *c = pcapread_ctx_new(sink);
    if (!c)
        return -1;
    struct cookie k = {s, 0, 0};
    cookie_io_functions_t io = {cookie_read, NULL, NULL, cookie_close};
    FILE *fp = fopencookie(&k, "r", io);
    if (!fp) {
        pcapread_ctx_free(c);
        return -1;
    }
    /* libpcap freads each record's header and data: a larger buffer than stdio's 8 KiB means
     * fewer trips down to the stream (archive, decompression) per packet */
    setvbuf(fp, NULL, _IOFBF, PCAPREAD_STREAM_BUF);
    /* only this thread reads it: without this, every fread takes and drops the stream's lock
     * (atomic instructions, two reads per packet; a tenth of the thread's time, perf) */
    __fsetlocking(fp, FSETLOCKING_BYCALLER);
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    int rc = 0;
    /* microsecond precision: libpcap scales nanosecond files (rounding down) */
    pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!pc) {
        const char *se = k.failed && s.error ? s.error(s.ctx) : NULL;
        emit_diag(c, DG_OPEN, IKM_DIAG_ERROR, 0, "not a capture libpcap can read: %s", se ? se : errbuf);
        fclose(fp);
        rc = 1;
    } else {
        int dlt = pcap_datalink(pc);
        struct pcap_pkthdr *h;
        const u_char *d;
        int r;
        while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
            int64_t sec = (int64_t)h->ts.tv_sec, ts;
            if (sec > PCAPREAD_TS_LIMIT_US / 1000000 || sec < -PCAPREAD_TS_LIMIT_US / 1000000)
                ts = sec > 0 ? INT64_MAX : INT64_MIN; /* out of range: decode_frame clamps and says so */
            else
                ts = sec * 1000000 + (int64_t)h->ts.tv_usec;
            if (pcapread_decode_frame(c, dlt, d, h->caplen, h->len, ts) < 0) {
                rc = -1;
                break;
            }
        }
        if (rc == 0 && r == PCAP_ERROR) {
            const char *se = k.failed && s.error ? s.error(s.ctx) : NULL;
            pcapread_read_error(c, se ? se : pcap_geterr(pc));
            rc = 1;
        }
        pcap_close(pc); /* closes fp; cookie_close leaves the stream alone */
    }
    if (pcapread_finish(c, stats, counts) < 0)
        rc = -1;
    if (stats)
        stats->bytes = k.bytes;
    pcapread_ctx_free(c);
    return rc;
}

int pcapread_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats)
{
    return pcapread_parse_stream_counts(s, sink, stats, NULL);
}

int pcapread_sniff(const char *buf, size_t n)
{
    const uint8_t *b = (const uint8_t *)buf;
    if (n < 4)
        return 0;
    uint32_t be = be32(b);
    uint32_t le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
    static const uint32_t pcap_magic[] = {
        0xa1b2c3d4, /* microseconds */
        0xa1b23c4d, /* nanoseconds */
        0xa1b2cd34, /* Kuznetsov's modified pcap, which libpcap reads too */
    };
    for (size_t i = 0; i < sizeof pcap_magic / sizeof pcap_magic[0]; i++) {
        if (be != pcap_magic[i] && le != pcap_magic[i])
            continue;
        if (n < 6)
            return 60;
        unsigned major = be == pcap_magic[i] ? be16(b + 4) : (unsigned)(b[5] << 8 | b[4]);
        return major == 2 ? 100 : 40;
    }
    if (be == 0x0a0d0d0a) { /* pcapng Section Header Block; its type reads the same both ways */
        if (n < 12)
            return 60;
        uint32_t bom = be32(b + 8);
        return bom == 0x1a2b3c4d || bom == 0x4d3c2b1a ? 100 : 10;
    }
    return 0;
}
