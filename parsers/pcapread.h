/*
 * pcapread.h — IKE and ESP out of packet captures (ikemgr.pcap, dataplane packet-diag
 * captures; ../shared/formats.md §7): pcap and pcapng read by libpcap from a FILE made with
 * fopencookie over a struct ikm_stream, so a capture inside an archive is read as it is
 * decompressed, without a temporary file.
 *
 * Frames → link layer (EN10MB with 802.1Q/QinQ tags, Linux SLL and SLL2, raw IP, IPv4, IPv6,
 * BSD NULL/LOOP in either byte order of the family word) → IPv4/IPv6 (extension headers,
 * fragments reassembled in bounded memory) → UDP 500/4500 (IKE, NAT-T marker, NAT keepalive,
 * ESP-in-UDP) or IP protocol 50 (ESP).
 *
 * What goes to the sink:
 *  - every IKE message: sink->ike_message, origin IKM_ORIGIN_PCAP, unit = frame number
 *    (1-based, as tshark counts; a message reassembled from IP fragments carries the frame of
 *    the fragment that completed it, as tshark does), time = the capture timestamp in UTC µs
 *    (nanosecond captures rounded down), state IKM_TZ_LINE with offset 0, dir unknown, natt 1
 *    when the message came with the non-ESP marker on UDP 4500 (0 otherwise); header and
 *    cleartext fields as decoded by ike_wire.h;
 *  - ESP: sink->esp_count rows aggregated per (src, dst, SPI, natt) and IKM_ESP_BUCKET_US of
 *    capture time, emitted when a frame falls in another bucket and at the end;
 *  - unparsed frames (truncated headers, unsupported link type, bad IP header, an IKE port
 *    payload that is no IKE message) with the frame number as `line`, byte_offset -1 and the
 *    frame's first bytes in hex as text;
 *  - diagnostics (capped per check, with a count of the rest at the end).
 *
 * Accounting: units = frames; a frame is parsed when it was decoded as IKE, ESP, a NAT
 * keepalive, a held IP fragment or any other IP or link traffic (read, just not ours), and
 * unparsed when it could not be decoded; parsed + unparsed = units exactly.
 *
 * Ownership: the caller owns the sink and the stream (pcapread never closes the stream);
 * a context owns its buffers and pcapread_ctx_free releases them.
 */
#ifndef IKM_PCAPREAD_H
#define IKM_PCAPREAD_H

#include "linereader.h"
#include "sink.h"

#include <stddef.h>
#include <stdint.h>

/* Input-driven memory, all bounded: */
#define PCAPREAD_REASM_BYTES_MAX ((size_t)4 << 20) /* fragment bytes held at once */
#define PCAPREAD_REASM_DATAGRAMS_MAX 256           /* datagrams being reassembled at once */
#define PCAPREAD_REASM_TIMEOUT_US (30LL * 1000000) /* capture time before giving up on one */
#define PCAPREAD_ESP_KEYS_MAX 65536                /* open ESP aggregates in one bucket */
#define PCAPREAD_VLAN_TAGS_MAX 4                   /* stacked 802.1Q/802.1ad tags */
#define PCAPREAD_IPV6_EXT_MAX 8                    /* IPv6 extension headers walked */
#define PCAPREAD_DIAG_PER_CHECK_MAX 20
#define PCAPREAD_TS_LIMIT_US ((int64_t)1 << 60)          /* frame times beyond ±2^60 µs are clamped */

/* Link types accepted by pcapread_decode_frame besides libpcap's DLT_* values. */
#define PCAPREAD_LINKTYPE_RAW 101 /* LINKTYPE_RAW as written in files; libpcap says DLT_RAW */

/* What the frames turned out to be. */
struct pcapread_counts {
    int64_t frames;
    int64_t ike;          /* IKE messages emitted */
    int64_t esp;          /* ESP packets (native and in UDP) */
    int64_t keepalives;   /* NAT keepalives (1 byte 0xFF on UDP 4500) */
    int64_t other;        /* read, not IKE/ESP (ARP, other UDP, TCP, ICMP...) */
    int64_t fragments;    /* IP fragments taken into reassembly */
    int64_t reassembled;  /* datagrams completed from fragments */
    int64_t reasm_dropped; /* datagrams given up (timeout, memory cap) */
    int64_t unparsed;
};

struct pcapread_ctx;

/* A context for one capture. Returns NULL when out of memory. */
struct pcapread_ctx *pcapread_ctx_new(const struct ikm_sink *sink);
/* Decodes the next frame (numbered from 1 in call order). linktype is a libpcap DLT_* value
 * (or PCAPREAD_LINKTYPE_RAW); data[0..caplen) the captured bytes of a frame of wirelen bytes;
 * ts_us the capture time in UTC µs. Returns 0, or -1 when the sink refused a record (the
 * context is then failed; stop). */
int pcapread_decode_frame(struct pcapread_ctx *c, int linktype, const uint8_t *data, uint32_t caplen,
                          uint32_t wirelen, int64_t ts_us);
/* Reports a read error before frame number `frame` (a diagnostic of severity error). */
int pcapread_read_error(struct pcapread_ctx *c, const char *why);
/* Flushes ESP aggregates and pending reassemblies, reports capped diagnostics, fills stats
 * (which may be NULL) and counts (may be NULL). Returns 0, or -1 on sink failure. Call once. */
int pcapread_finish(struct pcapread_ctx *c, struct ikm_source_stats *stats, struct pcapread_counts *counts);
void pcapread_ctx_free(struct pcapread_ctx *c);

/* Reads a whole capture from a stream. Returns 0 when it was read to its end, 1 when it
 * could not be opened or ended with a read error or truncation (reported as a diagnostic;
 * every frame before it is kept), -1 on sink or memory failure. counts may be NULL. */
int pcapread_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats);
int pcapread_parse_stream_counts(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats,
                                 struct pcapread_counts *counts);

/* Content sniffing from the first bytes: 100 for a pcap header (either byte order,
 * microsecond or nanosecond magic, version 2.x) or a pcapng Section Header Block with its
 * byte-order magic; less when only the magic is there to see; 0 otherwise. */
int pcapread_sniff(const char *buf, size_t n);

#endif
