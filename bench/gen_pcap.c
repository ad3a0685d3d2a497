/*
 * gen_pcap.c — writes a synthetic IKE capture for bench/pcap_bench.c: N packets (default
 * 1,000,000) on Ethernet between 50 peer pairs, written with libpcap's pcap_dump:
 *   60%  liveness: 76-byte IKEv2 INFORMATIONAL requests and their responses (same SPIs and
 *        message id, R flag), alternating; every fifth pair on NAT-T 4500 with the marker
 *   10%  IKE_SA_INIT requests/responses (SA KE Ni N(NAT_DETECTION_*) V), 300-400 bytes
 *   30%  ESP: native (IP protocol 50) and in UDP 4500, 100-1400 bytes, rising sequences
 * one packet every 100 µs of capture time. The counts go to stderr as key=value.
 *
 * Build and run (from the repository root):
 *   cc -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -D_GNU_SOURCE -O2 \
 *      -o build-pcap/bench/gen_pcap bench/gen_pcap.c $(pkg-config --cflags --libs libpcap)
 *   build-pcap/bench/gen_pcap build-pcap/bench/ike-1M.pcap 1000000
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAIRS 50
#define FRAME_MAX 1600

struct w {
    uint8_t b[FRAME_MAX];
    size_t n;
};

static void u8(struct w *w, unsigned v)
{
    w->b[w->n++] = (uint8_t)v;
}
static void be16(struct w *w, unsigned v)
{
    u8(w, v >> 8 & 0xff);
    u8(w, v & 0xff);
}
static void be32(struct w *w, uint32_t v)
{
    be16(w, v >> 16);
    be16(w, v & 0xffff);
}
static void be64(struct w *w, uint64_t v)
{
    be32(w, (uint32_t)(v >> 32));
    be32(w, (uint32_t)v);
}
static void fill(struct w *w, unsigned v, size_t n)
{
    memset(w->b + w->n, (int)v, n);
    w->n += n;
}
static void put32_at(struct w *w, size_t at, uint32_t v)
{
    w->b[at] = (uint8_t)(v >> 24), w->b[at + 1] = (uint8_t)(v >> 16);
    w->b[at + 2] = (uint8_t)(v >> 8), w->b[at + 3] = (uint8_t)v;
}
static void put16_at(struct w *w, size_t at, unsigned v)
{
    w->b[at] = (uint8_t)(v >> 8), w->b[at + 1] = (uint8_t)v;
}

/* Ethernet + IPv4 headers; returns the offset of the IPv4 header (lengths patched later). */
static size_t eth_ip(struct w *f, uint32_t src, uint32_t dst, unsigned proto, unsigned id)
{
    f->n = 0;
    static const uint8_t macs[12] = {0, 0x1b, 0x17, 0, 1, 2, 0, 0x1b, 0x17, 0, 3, 4};
    memcpy(f->b, macs, 12);
    f->n = 12;
    be16(f, 0x0800);
    size_t ip = f->n;
    u8(f, 0x45), u8(f, 0), be16(f, 0), be16(f, id), be16(f, 0x4000), u8(f, 64), u8(f, proto), be16(f, 0);
    be32(f, src), be32(f, dst);
    return ip;
}
static void finish_ip(struct w *f, size_t ip)
{
    put16_at(f, ip + 2, (unsigned)(f->n - ip));
}
static size_t udp_begin(struct w *f, unsigned sport, unsigned dport)
{
    size_t at = f->n;
    be16(f, sport), be16(f, dport), be16(f, 0), be16(f, 0);
    return at;
}
static void udp_end(struct w *f, size_t at)
{
    put16_at(f, at + 4, (unsigned)(f->n - at));
}
static size_t ike_begin(struct w *f, uint64_t ispi, uint64_t rspi, unsigned np, unsigned exch, unsigned flags,
                        uint32_t msgid)
{
    size_t at = f->n;
    be64(f, ispi), be64(f, rspi), u8(f, np), u8(f, 0x20), u8(f, exch), u8(f, flags), be32(f, msgid), be32(f, 0);
    return at;
}
static void ike_end(struct w *f, size_t at)
{
    put32_at(f, at + 24, (uint32_t)(f->n - at));
}
static void payload(struct w *f, unsigned next, unsigned byte, size_t body)
{
    u8(f, next), u8(f, 0), be16(f, (unsigned)(4 + body));
    fill(f, byte, body);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_pcap OUT.pcap [PACKETS]\n");
        return 2;
    }
    long long total = argc == 3 ? atoll(argv[2]) : 1000000;
    if (total <= 0) {
        fprintf(stderr, "gen_pcap: PACKETS must be positive\n");
        return 2;
    }
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = dead ? pcap_dump_open(dead, argv[1]) : NULL;
    if (!d) {
        fprintf(stderr, "gen_pcap: %s: %s\n", argv[1], dead ? pcap_geterr(dead) : "pcap_open_dead failed");
        return 1;
    }
    struct {
        uint32_t a, b;
        uint64_t ispi, rspi;
        uint32_t msgid, seq_ab, seq_ba, spi_ab, spi_ba;
        int natt, pending;
    } pair[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        pair[i].a = 0x0a000001u + ((uint32_t)i << 8);        /* 10.0.i.1 */
        pair[i].b = 0xc6336401u + (uint32_t)i;                /* 198.51.100.1+i */
        pair[i].ispi = 0x1000000000000000ULL + (uint64_t)i * 0x1111;
        pair[i].rspi = 0x2000000000000000ULL + (uint64_t)i * 0x2222;
        pair[i].msgid = 1;
        pair[i].seq_ab = pair[i].seq_ba = 1;
        pair[i].spi_ab = 0xc0000000u + (uint32_t)i;
        pair[i].spi_ba = 0xd0000000u + (uint32_t)i;
        pair[i].natt = i % 5 == 0;
        pair[i].pending = 0;
    }
    long long n_live = 0, n_init = 0, n_esp = 0;
    struct w f;
    struct pcap_pkthdr h;
    int64_t t_us = 1721066141000000LL;
    for (long long k = 0; k < total; k++) {
        int p = (int)(rnd() % PAIRS);
        unsigned kind = rnd() % 10;
        unsigned id = (unsigned)(k & 0xffff);
        if (kind < 6) { /* liveness: request, then the response on the next turn of this pair */
            int resp = pair[p].pending;
            uint32_t src = resp ? pair[p].b : pair[p].a, dst = resp ? pair[p].a : pair[p].b;
            size_t ip = eth_ip(&f, src, dst, 17, id);
            unsigned port = pair[p].natt ? 4500 : 500;
            size_t u = udp_begin(&f, port, port);
            if (pair[p].natt)
                be32(&f, 0);
            size_t ike = ike_begin(&f, pair[p].ispi, pair[p].rspi, 46, 37, resp ? 0x20 : 0x08, pair[p].msgid);
            payload(&f, 0, 0x5a, 76 - 28 - 4); /* IV + one padded block + ICV */
            ike_end(&f, ike);
            udp_end(&f, u);
            finish_ip(&f, ip);
            if (resp)
                pair[p].msgid++;
            pair[p].pending = !resp;
            n_live++;
        } else if (kind < 7) { /* IKE_SA_INIT */
            int resp = rnd() & 1;
            size_t ip = eth_ip(&f, resp ? pair[p].b : pair[p].a, resp ? pair[p].a : pair[p].b, 17, id);
            size_t u = udp_begin(&f, 500, 500);
            size_t ike = ike_begin(&f, pair[p].ispi ^ (uint64_t)k, resp ? pair[p].rspi : 0, 33, 34,
                                   resp ? 0x20 : 0x08, 0);
            payload(&f, 34, 0xaa, 40 + rnd() % 100);
            u8(&f, 40), u8(&f, 0), be16(&f, 4 + 4 + 256), be16(&f, 14), be16(&f, 0), fill(&f, 0x4b, 256);
            payload(&f, 41, 0x11, 32);
            u8(&f, 41), u8(&f, 0), be16(&f, 4 + 4 + 20), u8(&f, 0), u8(&f, 0), be16(&f, 16388), fill(&f, 0x21, 20);
            u8(&f, 43), u8(&f, 0), be16(&f, 4 + 4 + 20), u8(&f, 0), u8(&f, 0), be16(&f, 16389), fill(&f, 0x22, 20);
            payload(&f, 0, 0x33, 16);
            ike_end(&f, ike);
            udp_end(&f, u);
            finish_ip(&f, ip);
            n_init++;
        } else { /* ESP, both directions */
            int ba = rnd() & 1;
            size_t ip = eth_ip(&f, ba ? pair[p].b : pair[p].a, ba ? pair[p].a : pair[p].b,
                               pair[p].natt ? 17 : 50, id);
            size_t u = 0;
            if (pair[p].natt)
                u = udp_begin(&f, 4500, 4500);
            be32(&f, ba ? pair[p].spi_ba : pair[p].spi_ab);
            be32(&f, ba ? pair[p].seq_ba++ : pair[p].seq_ab++);
            fill(&f, 0xe5, 92 + (rnd() % 1300 & ~15u));
            if (pair[p].natt)
                udp_end(&f, u);
            finish_ip(&f, ip);
            n_esp++;
        }
        h.ts.tv_sec = (time_t)(t_us / 1000000);
        h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
        h.caplen = h.len = (bpf_u_int32)f.n;
        pcap_dump((u_char *)d, &h, f.b);
        t_us += 100;
    }
    if (pcap_dump_flush(d) != 0) {
        fprintf(stderr, "gen_pcap: %s: write error\n", argv[1]);
        return 1;
    }
    pcap_dump_close(d);
    pcap_close(dead);
    fprintf(stderr, "packets=%lld ike=%lld liveness=%lld sa_init=%lld esp=%lld\n", total, n_live + n_init, n_live,
            n_init, n_esp);
    return 0;
}
