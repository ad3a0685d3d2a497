/*
 * ike_wire.h — decoding of one IKE message (IKEv1/ISAKMP or IKEv2) from the bytes of a UDP
 * payload: the 28-byte header and the cleartext part of the payload chain. No I/O, no
 * allocation: bytes in, fields of a struct ikm_ike_msg out (../shared/formats.md §8).
 *
 * Also the bounds-checked cursor every packet decoder of this project reads bytes through
 * (pcapread.c uses it for link, IP and UDP headers): a getter that would read past the end
 * fails and leaves the cursor where it was, so a decoder cannot over-read by construction.
 *
 * What the decoder fills in the caller's message (which the caller initialised with
 * ikm_ike_msg_init; addresses, ports, time, unit and natt stay the caller's business):
 *   has_spi, ispi, rspi   the two SPIs (IKEv1 cookies)
 *   version               1 when the version byte is 0x10, 2 when it is 0x20, otherwise the
 *                         raw byte (0x21 → 33, 0xbe → 190): a malformed or future version stays
 *                         visible instead of being rounded to a known one. The raw bytes 0x01
 *                         and 0x02 (major version 0, never valid) would read as 1 and 2; the
 *                         exact byte is ike_wire_version_byte(version) for every other value.
 *   exch_type, flags      raw bytes; msg_id, length: the header's 32-bit fields
 *   is_response           IKEv2 (major version 2): the R flag (0x20); otherwise -1
 *   next_payload          the header's first payload type
 *   length_mismatch       1 when the header's length differs from the datagram's length; the
 *                         header's value is recorded, never trusted for reading
 *   notify_error          first error Notify type (1..16383) in cleartext, else -1
 *   ke_group              IKEv2: the KE payload's DH group; IKEv1: the Oakley group of the
 *                         first transform of the SA payload (the KE payload has no group field)
 *   frag_num, frag_total  IKEv2 SKF (RFC 7383) fragment number and total
 *   liveness              formats.md §8.5 size judgement (see ike_wire_liveness)
 *   payloads              readable chain, e.g. "SA KE Ni N(NAT_DETECTION_SOURCE_IP) V(NAT-T)"
 *
 * Ownership: nothing is kept; returned names are static strings or the caller's buffer.
 */
#ifndef IKM_IKE_WIRE_H
#define IKM_IKE_WIRE_H

#include "sink.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the cursor ------------------------------------------------------------------------- */

struct ike_cur {
    const uint8_t *p, *end;
};

static inline struct ike_cur ike_cur_make(const uint8_t *p, size_t n)
{
    struct ike_cur c = {p, p + n};
    return c;
}
static inline size_t ike_cur_left(const struct ike_cur *c)
{
    return (size_t)(c->end - c->p);
}
/* Each getter returns 0 and advances, or -1 (nothing read, cursor unchanged). */
static inline int ike_cur_u8(struct ike_cur *c, uint8_t *v)
{
    if (ike_cur_left(c) < 1)
        return -1;
    *v = c->p[0];
    c->p += 1;
    return 0;
}
static inline int ike_cur_be16(struct ike_cur *c, uint16_t *v)
{
    if (ike_cur_left(c) < 2)
        return -1;
    *v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return 0;
}
static inline int ike_cur_be32(struct ike_cur *c, uint32_t *v)
{
    if (ike_cur_left(c) < 4)
        return -1;
    *v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    return 0;
}
static inline int ike_cur_le32(struct ike_cur *c, uint32_t *v)
{
    if (ike_cur_left(c) < 4)
        return -1;
    *v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
    c->p += 4;
    return 0;
}
static inline int ike_cur_be64(struct ike_cur *c, uint64_t *v)
{
    if (ike_cur_left(c) < 8)
        return -1;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | c->p[i];
    *v = x;
    c->p += 8;
    return 0;
}
static inline int ike_cur_skip(struct ike_cur *c, size_t n)
{
    if (ike_cur_left(c) < n)
        return -1;
    c->p += n;
    return 0;
}
/* Copies n bytes out. */
static inline int ike_cur_bytes(struct ike_cur *c, void *dst, size_t n)
{
    if (ike_cur_left(c) < n)
        return -1;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)dst)[i] = c->p[i];
    c->p += n;
    return 0;
}
/* Splits off the next n bytes as their own cursor (for a payload body). */
static inline int ike_cur_sub(struct ike_cur *c, size_t n, struct ike_cur *sub)
{
    if (ike_cur_left(c) < n)
        return -1;
    *sub = ike_cur_make(c->p, n);
    c->p += n;
    return 0;
}

/* ---- constants (RFC 2408, RFC 7296, RFC 7383, formats.md §8) ------------------------------ */

#define IKE_WIRE_HDR_LEN 28
#define IKE_WIRE_PAYLOADS_MAX 64  /* payloads walked per chain: the loop guard */
#define IKE_WIRE_PROPOSALS_MAX 32 /* IKEv1 SA: proposals and transforms looked at */
#define IKE_WIRE_ATTRS_MAX 64     /* IKEv1 SA: attributes looked at per transform */
#define IKE_WIRE_NAME_MAX 24      /* buffer for "UNKNOWN(65535)" and the like */

#define IKE_FLAG_V1_E 0x01 /* IKEv1: payloads after the header are encrypted */
#define IKE_FLAG_V2_I 0x08
#define IKE_FLAG_V2_R 0x20

#define IKE_EXCH_V2_INFORMATIONAL 37
#define IKE_PL_V2_SK 46
#define IKE_PL_V2_SKF 53
#define IKE_NOTIFY_ERROR_MAX 16383 /* 1..16383 are errors in both versions */

enum ike_wire_status {
    IKE_WIRE_OK = 0,
    IKE_WIRE_SHORT,      /* fewer than 28 bytes: no header to read */
    IKE_WIRE_BAD_LENGTH, /* the header's length field is below 28: not an IKE message */
};

/* Decodes the message whose captured bytes are p[0..caplen) and whose length on the wire
 * (the UDP payload after any non-ESP marker) is datagram_len (>= caplen when the capture's
 * snaplen cut it). Header fields are filled on IKE_WIRE_OK and IKE_WIRE_BAD_LENGTH; the
 * payload chain only on IKE_WIRE_OK, and never beyond min(caplen, datagram_len, length). */
enum ike_wire_status ike_wire_decode(const uint8_t *p, size_t caplen, size_t datagram_len,
                                     struct ikm_ike_msg *m);
const char *ike_wire_status_text(enum ike_wire_status s);

/* The version byte behind a stored `version` (see above). */
int ike_wire_version_byte(int version);
/* Major version (high nibble) of a stored `version`: 1, 2, or whatever the byte says. */
int ike_wire_major(int version);

/* formats.md §8.5: confidence 0..100 that a message is an empty INFORMATIONAL (IKEv2
 * liveness) judged by its size alone; -1 when it is not an IKEv2 INFORMATIONAL. A one-payload
 * Delete pads to the same CBC size, so no size reaches certainty. */
int ike_wire_liveness(int version, int exch_type, int first_payload, int64_t length, int length_mismatch);

/* Name tables; an unknown code renders as "UNKNOWN(n)" in buf (IKE_WIRE_NAME_MAX bytes). */
const char *ike_wire_exchange_name(int major, int exch, char *buf);
const char *ike_wire_payload_name(int major, int type, char *buf);
const char *ike_wire_notify_name(int major, int type, char *buf);

#endif
