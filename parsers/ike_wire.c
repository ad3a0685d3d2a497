/*
 * ike_wire.c — one IKE message from its bytes (see ike_wire.h): header, cleartext payload
 * chain, name tables, the size-based liveness judgement.
 *
 * Every byte is read through struct ike_cur; each payload is validated (generic header
 * present, declared length >= 4 and within what is left) before its body is looked at, and
 * the walk stops after IKE_WIRE_PAYLOADS_MAX payloads. A declared length >= 4 makes every
 * step advance, so a chain cannot loop; the cap bounds the work on long ones.
 */
#include "ike_wire.h"

#include <stdio.h>
#include <string.h>

/* ---- name tables ------------------------------------------------------------------------ */

struct code_name {
    int code;
    const char *name;
};

static const char *lookup(const struct code_name *t, size_t n, int code, char *buf)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code)
            return t[i].name;
    snprintf(buf, IKE_WIRE_NAME_MAX, "UNKNOWN(%d)", code);
    return buf;
}
#define LOOKUP(table, code, buf) lookup(table, sizeof table / sizeof table[0], code, buf)

/* RFC 2408 §3.1, RFC 7296 §3.1, RFC 9242, RFC 9370 (formats.md §8.2) */
static const struct code_name exch_v1[] = {
    {0, "NONE"},          {1, "BASE"},          {2, "IDENTITY_PROT"}, {3, "AUTH_ONLY"},
    {4, "AGGRESSIVE"},    {5, "INFORMATIONAL"}, {6, "TRANSACTION"},   {32, "QUICK"},
    {33, "NEW_GROUP"},
};
static const struct code_name exch_v2[] = {
    {34, "IKE_SA_INIT"},        {35, "IKE_AUTH"},         {36, "CREATE_CHILD_SA"},
    {37, "INFORMATIONAL"},      {38, "IKE_SESSION_RESUME"}, {43, "IKE_INTERMEDIATE"},
    {44, "IKE_FOLLOWUP_KE"},
};

/* RFC 2408 §3.1 (+ RFC 3947 NAT-D/NAT-OA, mode-config ATTR, GDOI KD/SEQ/POP, Cisco
 * fragmentation 132). NAT-T drafts numbered NAT-D/NAT-OA 15/16 (drafts 00-02) and 130/131
 * (03); GDOI later took 15/16 for SAK/SAT, but in an IKE capture they are the draft NAT-T
 * payloads (tcpdump-ISAKMP_sa_setup.pcap frames 3-4). */
static const struct code_name pl_v1[] = {
    {1, "SA"},     {2, "P"},      {3, "T"},       {4, "KE"},      {5, "ID"},      {6, "CERT"},
    {7, "CR"},     {8, "HASH"},   {9, "SIG"},     {10, "NONCE"},  {11, "N"},      {12, "D"},
    {13, "V"},     {14, "ATTR"},  {15, "NAT-D"},  {16, "NAT-OA"},    {17, "KD"},     {18, "SEQ"},
    {19, "POP"},   {20, "NAT-D"}, {21, "NAT-OA"}, {130, "NAT-D"}, {131, "NAT-OA"}, {132, "FRAG"},
};
/* RFC 7296 §3.2, RFC 7383 (SKF), RFC 6467 (GSPM), RFC 9370 is not a payload */
static const struct code_name pl_v2[] = {
    {33, "SA"},   {34, "KE"},   {35, "IDi"}, {36, "IDr"},  {37, "CERT"}, {38, "CERTREQ"},
    {39, "AUTH"}, {40, "Ni"},   {41, "N"},   {42, "D"},    {43, "V"},    {44, "TSi"},
    {45, "TSr"},  {46, "SK"},   {47, "CP"},  {48, "EAP"},  {49, "GSPM"}, {50, "IDg"},
    {51, "GSA"},  {52, "KD"},   {53, "SKF"}, {54, "PS"},
};

/* IANA "IKEv2 Notify Message Types" (RFC 7296 §3.10.1 and later RFCs) */
static const struct code_name notify_v2[] = {
    {1, "UNSUPPORTED_CRITICAL_PAYLOAD"},
    {4, "INVALID_IKE_SPI"},
    {5, "INVALID_MAJOR_VERSION"},
    {7, "INVALID_SYNTAX"},
    {9, "INVALID_MESSAGE_ID"},
    {11, "INVALID_SPI"},
    {14, "NO_PROPOSAL_CHOSEN"},
    {17, "INVALID_KE_PAYLOAD"},
    {24, "AUTHENTICATION_FAILED"},
    {34, "SINGLE_PAIR_REQUIRED"},
    {35, "NO_ADDITIONAL_SAS"},
    {36, "INTERNAL_ADDRESS_FAILURE"},
    {37, "FAILED_CP_REQUIRED"},
    {38, "TS_UNACCEPTABLE"},
    {39, "INVALID_SELECTORS"},
    {40, "UNACCEPTABLE_ADDRESSES"},
    {41, "UNEXPECTED_NAT_DETECTED"},
    {42, "USE_ASSIGNED_HoA"},
    {43, "TEMPORARY_FAILURE"},
    {44, "CHILD_SA_NOT_FOUND"},
    {45, "INVALID_GROUP_ID"},
    {46, "AUTHORIZATION_FAILED"},
    {47, "STATE_NOT_FOUND"},
    {16384, "INITIAL_CONTACT"},
    {16385, "SET_WINDOW_SIZE"},
    {16386, "ADDITIONAL_TS_POSSIBLE"},
    {16387, "IPCOMP_SUPPORTED"},
    {16388, "NAT_DETECTION_SOURCE_IP"},
    {16389, "NAT_DETECTION_DESTINATION_IP"},
    {16390, "COOKIE"},
    {16391, "USE_TRANSPORT_MODE"},
    {16392, "HTTP_CERT_LOOKUP_SUPPORTED"},
    {16393, "REKEY_SA"},
    {16394, "ESP_TFC_PADDING_NOT_SUPPORTED"},
    {16395, "NON_FIRST_FRAGMENTS_ALSO"},
    {16396, "MOBIKE_SUPPORTED"},
    {16397, "ADDITIONAL_IP4_ADDRESS"},
    {16398, "ADDITIONAL_IP6_ADDRESS"},
    {16399, "NO_ADDITIONAL_ADDRESSES"},
    {16400, "UPDATE_SA_ADDRESSES"},
    {16401, "COOKIE2"},
    {16402, "NO_NATS_ALLOWED"},
    {16403, "AUTH_LIFETIME"},
    {16404, "MULTIPLE_AUTH_SUPPORTED"},
    {16405, "ANOTHER_AUTH_FOLLOWS"},
    {16406, "REDIRECT_SUPPORTED"},
    {16407, "REDIRECT"},
    {16408, "REDIRECTED_FROM"},
    {16417, "EAP_ONLY_AUTHENTICATION"},
    {16418, "CHILDLESS_IKEV2_SUPPORTED"},
    {16419, "QUICK_CRASH_DETECTION"},
    {16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"},
    {16422, "IKEV2_MESSAGE_ID_SYNC"},
    {16430, "IKEV2_FRAGMENTATION_SUPPORTED"},
    {16431, "SIGNATURE_HASH_ALGORITHMS"},
    {16438, "INTERMEDIATE_EXCHANGE_SUPPORTED"},
};
/* RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706 (DPD) */
static const struct code_name notify_v1[] = {
    {1, "INVALID-PAYLOAD-TYPE"},
    {2, "DOI-NOT-SUPPORTED"},
    {3, "SITUATION-NOT-SUPPORTED"},
    {4, "INVALID-COOKIE"},
    {5, "INVALID-MAJOR-VERSION"},
    {6, "INVALID-MINOR-VERSION"},
    {7, "INVALID-EXCHANGE-TYPE"},
    {8, "INVALID-FLAGS"},
    {9, "INVALID-MESSAGE-ID"},
    {10, "INVALID-PROTOCOL-ID"},
    {11, "INVALID-SPI"},
    {12, "INVALID-TRANSFORM-ID"},
    {13, "ATTRIBUTES-NOT-SUPPORTED"},
    {14, "NO-PROPOSAL-CHOSEN"},
    {15, "BAD-PROPOSAL-SYNTAX"},
    {16, "PAYLOAD-MALFORMED"},
    {17, "INVALID-KEY-INFORMATION"},
    {18, "INVALID-ID-INFORMATION"},
    {19, "INVALID-CERT-ENCODING"},
    {20, "INVALID-CERTIFICATE"},
    {21, "CERT-TYPE-UNSUPPORTED"},
    {22, "INVALID-CERT-AUTHORITY"},
    {23, "INVALID-HASH-INFORMATION"},
    {24, "AUTHENTICATION-FAILED"},
    {25, "INVALID-SIGNATURE"},
    {26, "ADDRESS-NOTIFICATION"},
    {27, "NOTIFY-SA-LIFETIME"},
    {28, "CERTIFICATE-UNAVAILABLE"},
    {29, "UNSUPPORTED-EXCHANGE-TYPE"},
    {30, "UNEQUAL-PAYLOAD-LENGTHS"},
    {16384, "CONNECTED"},
    {24576, "RESPONDER-LIFETIME"},
    {24577, "REPLAY-STATUS"},
    {24578, "INITIAL-CONTACT"},
    {36136, "R-U-THERE"},
    {36137, "R-U-THERE-ACK"},
};

const char *ike_wire_exchange_name(int major, int exch, char *buf)
{
    if (major == 2)
        return LOOKUP(exch_v2, exch, buf);
    return LOOKUP(exch_v1, exch, buf);
}

const char *ike_wire_payload_name(int major, int type, char *buf)
{
    if (major == 2)
        return LOOKUP(pl_v2, type, buf);
    return LOOKUP(pl_v1, type, buf);
}

const char *ike_wire_notify_name(int major, int type, char *buf)
{
    if (major == 2)
        return LOOKUP(notify_v2, type, buf);
    return LOOKUP(notify_v1, type, buf);
}

const char *ike_wire_status_text(enum ike_wire_status s)
{
    switch (s) {
    case IKE_WIRE_OK:
        return "ok";
    case IKE_WIRE_SHORT:
        return "shorter than the 28-byte IKE header";
    case IKE_WIRE_BAD_LENGTH:
        return "IKE length field below 28";
    }
    return "?";
}

int ike_wire_version_byte(int version)
{
    if (version == 1)
        return 0x10;
    if (version == 2)
        return 0x20;
    return version;
}

int ike_wire_major(int version)
{
    if (version == 1 || version == 2)
        return version;
    return version < 0 ? -1 : (version >> 4) & 0x0f;
}

/* ---- liveness by size (formats.md §8.5) -------------------------------------------------- */

/* IKE lengths of an INFORMATIONAL with one SK payload and nothing inside, per transform set.
 * The CBC sizes are what PAN-OS's documented suites produce (76: the seed's "76 bytes"); a
 * single Delete pads to the same 16-byte (3DES: 8-byte) block, hence 70, not more. The GCM
 * lines depend on a padding choice that PAN-OS does not document (INFERRED), hence lower. */
static const struct {
    int64_t length;
    int confidence;
} liveness_sizes[] = {
    {76, 70}, /* AES-CBC + HMAC-SHA1-96 */
    {80, 70}, /* AES-CBC + HMAC-SHA2-256-128 */
    {88, 70}, /* AES-CBC + HMAC-SHA2-384-192 */
    {96, 70}, /* AES-CBC + HMAC-SHA2-512-256 */
    {60, 70}, /* 3DES-CBC + HMAC-SHA1-96 (also AES-GCM padded to 4 bytes) */
    {57, 50}, /* AES-GCM-16, block size 1 (strongSwan's choice) */
    {72, 40}, /* AES-GCM-16 padded to 16 bytes: a guess */
};

int ike_wire_liveness(int version, int exch_type, int first_payload, int64_t length, int length_mismatch)
{
    if (ike_wire_major(version) != 2 || exch_type != IKE_EXCH_V2_INFORMATIONAL)
        return -1;
    /* a length the datagram does not confirm says nothing about the size */
    if (first_payload != IKE_PL_V2_SK || length_mismatch)
        return 0;
    for (size_t i = 0; i < sizeof liveness_sizes / sizeof liveness_sizes[0]; i++)
        if (liveness_sizes[i].length == length)
            return liveness_sizes[i].confidence;
    return 0;
}

/* ---- the payload chain ------------------------------------------------------------------- */

struct walk {
    struct ikm_ike_msg *m;
    int major;
    size_t uncaptured; /* bytes of the message beyond the capture: running into them is no fault */
    size_t text_len;
    int text_full;
    int sa_group;  /* IKEv1: group of the SA's first transform, -1 */
    int have_sa;
};

/* Appends one token to m->payloads, space-separated; a chain too long for the field ends
 * in "..." rather than being cut mid-token. */
static void put(struct walk *w, const char *tok)
{
    char *out = w->m->payloads;
    size_t cap = sizeof w->m->payloads;
    size_t n = strlen(tok) + (w->text_len ? 1 : 0);
    if (w->text_full)
        return;
    if (w->text_len + n + 4 >= cap) { /* keep room for " ..." */
        memcpy(out + w->text_len, w->text_len ? " ..." : "...", w->text_len ? 5 : 4);
        w->text_len += w->text_len ? 4 : 3;
        w->text_full = 1;
        return;
    }
    if (w->text_len)
        out[w->text_len++] = ' ';
    memcpy(out + w->text_len, tok, strlen(tok) + 1);
    w->text_len += strlen(tok);
}

static void put_notify(struct walk *w, uint16_t type)
{
    char buf[IKE_WIRE_NAME_MAX], tok[64];
    if (type > 0 && type <= IKE_NOTIFY_ERROR_MAX && w->m->notify_error < 0)
        w->m->notify_error = type;
    snprintf(tok, sizeof tok, "N(%s)", ike_wire_notify_name(w->major, type, buf));
    put(w, tok);
}

/* Vendor IDs worth naming (formats.md §8.4); the data is compared whole. */
static const struct {
    uint8_t id[16];
    const char *token;
} known_vids[] = {
    {{0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f},
     "V(NAT-T)"},
    {{0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00},
     "V(DPD)"},
};

static void put_vendor(struct walk *w, struct ike_cur body)
{
    if (ike_cur_left(&body) == 16)
        for (size_t i = 0; i < sizeof known_vids / sizeof known_vids[0]; i++)
            if (memcmp(body.p, known_vids[i].id, 16) == 0) {
                put(w, known_vids[i].token);
                return;
            }
    put(w, "V");
}

/* IKEv1 data attribute (RFC 2408 §3.3): AF bit set → 2-byte value in the type word's
 * neighbour (TV); clear → 2-byte length and that many bytes (TLV). Returns 0, or -1 when
 * the attribute runs past the transform. */
static int v1_attribute(struct ike_cur *c, uint16_t *type, uint32_t *value, int *has_value)
{
    uint16_t t, v;
    if (ike_cur_be16(c, &t) < 0 || ike_cur_be16(c, &v) < 0)
        return -1;
    *type = t & 0x7fff;
    *has_value = 0;
    if (t & 0x8000) {
        *value = v;
        *has_value = 1;
        return 0;
    }
    struct ike_cur val;
    if (ike_cur_sub(c, v, &val) < 0)
        return -1;
    if (v >= 1 && v <= 4) { /* a group number written long-form */
        uint32_t x = 0;
        uint8_t b;
        while (ike_cur_u8(&val, &b) == 0)
            x = x << 8 | b;
        *value = x;
        *has_value = 1;
    }
    return 0;
}

/*
 * IKEv1 SA payload body (RFC 2407 §4.6.1, RFC 2408 §3.4-3.6):
 *   DOI (4) | Situation (4, IPsec DOI) | Proposal payloads...
 *   Proposal: generic hdr (4) | #(1) | Protocol-Id (1) | SPI size (1) | #Transforms (1) | SPI | Transforms...
 *   Transform: generic hdr (4) | #(1) | Transform-Id (1) | RESERVED2 (2) | SA attributes...
 * The group is OAKLEY_GROUP_DESCRIPTION (class 4) for the ISAKMP protocol (phase 1) and
 * GROUP_DESCRIPTION (class 3) for AH/ESP (phase 2 PFS).
 */
static void v1_sa_group(struct walk *w, struct ike_cur body)
{
    uint32_t doi, sit;
    if (ike_cur_be32(&body, &doi) < 0 || doi != 1 || ike_cur_be32(&body, &sit) < 0)
        return;
    for (int np_i = 0; np_i < IKE_WIRE_PROPOSALS_MAX; np_i++) {
        uint8_t np, res, pnum, proto, spisz, ntrans;
        uint16_t plen;
        struct ike_cur prop;
        if (ike_cur_u8(&body, &np) < 0 || ike_cur_u8(&body, &res) < 0 || ike_cur_be16(&body, &plen) < 0 ||
            plen < 8 || ike_cur_sub(&body, (size_t)plen - 4, &prop) < 0)
            return;
        if (ike_cur_u8(&prop, &pnum) < 0 || ike_cur_u8(&prop, &proto) < 0 || ike_cur_u8(&prop, &spisz) < 0 ||
            ike_cur_u8(&prop, &ntrans) < 0 || ike_cur_skip(&prop, spisz) < 0)
            return;
        uint16_t group_class = proto == 1 ? 4 : 3;
        for (int t_i = 0; t_i < IKE_WIRE_PROPOSALS_MAX && t_i < ntrans; t_i++) {
            uint8_t tnp, tres, tnum, tid;
            uint16_t tlen, tres2;
            struct ike_cur tr;
            if (ike_cur_u8(&prop, &tnp) < 0 || ike_cur_u8(&prop, &tres) < 0 || ike_cur_be16(&prop, &tlen) < 0 ||
                tlen < 8 || ike_cur_sub(&prop, (size_t)tlen - 4, &tr) < 0)
                return;
            if (ike_cur_u8(&tr, &tnum) < 0 || ike_cur_u8(&tr, &tid) < 0 || ike_cur_be16(&tr, &tres2) < 0)
                return;
            for (int a_i = 0; a_i < IKE_WIRE_ATTRS_MAX && ike_cur_left(&tr) > 0; a_i++) {
                uint16_t at;
                uint32_t av;
                int hv;
                if (v1_attribute(&tr, &at, &av, &hv) < 0)
                    break;
                if (at == group_class && hv) {
                    w->sa_group = (int)av;
                    return; /* the first transform that names a group: proposed or chosen */
                }
            }
            if (tnp == 0)
                break;
        }
        if (np == 0)
            return;
    }
}

/*
 * Generic payload header (RFC 2408 §3.2, RFC 7296 §3.2):
 *
 *                       1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Payload  |C|  RESERVED   |         Payload Length        |
 *  +---------------+---------------+---------------+---------------+
 *
 * Payload Length includes these 4 bytes. Bodies looked into:
 *   IKEv2 Notify (41): Protocol ID (1) | SPI Size (1) | Notify Message Type (2) | SPI | data
 *   IKEv1 Notify (11): DOI (4) | Protocol-ID (1) | SPI Size (1) | Notify Message Type (2) | ...
 *   IKEv2 KE (34):     Diffie-Hellman Group Num (2) | RESERVED (2) | Key Exchange Data
 *   IKEv2 SKF (53):    Fragment Number (2) | Total Fragments (2) | IV | encrypted | ICV
 *   Vendor ID (43/13): the ID bytes
 */
static void walk_chain(struct walk *w, uint8_t np, struct ike_cur c)
{
    char buf[IKE_WIRE_NAME_MAX];
    int v2 = w->major == 2;
    for (int n = 0; np != 0; n++) {
        const char *name = ike_wire_payload_name(w->major, np, buf);
        if (n == IKE_WIRE_PAYLOADS_MAX) {
            put(w, "!MANY"); /* the loop guard: a chain this long is not a real message */
            return;
        }
        uint8_t next = 0, crit = 0;
        uint16_t plen = 0;
        if (ike_cur_left(&c) < 4 || ike_cur_u8(&c, &next) < 0 || ike_cur_u8(&c, &crit) < 0 ||
            ike_cur_be16(&c, &plen) < 0) {
            put(w, name);
            put(w, ike_cur_left(&c) + w->uncaptured >= 4 ? "!CUT" : "!LEN");
            return;
        }
        struct ike_cur body;
        if (plen < 4) {
            put(w, name);
            put(w, "!LEN"); /* cannot advance: a zero or short length would loop */
            return;
        }
        if (ike_cur_sub(&c, (size_t)plen - 4, &body) < 0) {
            /* the capture may hold only the start of a payload the message does contain */
            if ((size_t)plen - 4 > ike_cur_left(&c) + w->uncaptured) {
                put(w, name);
                put(w, "!LEN");
                return;
            }
            body = c;
            c.p = c.end;
        }
        int body_cut = ike_cur_left(&body) < (size_t)plen - 4;
        if (v2 && np == 41) {
            uint8_t proto, spisz;
            uint16_t type;
            if (ike_cur_u8(&body, &proto) == 0 && ike_cur_u8(&body, &spisz) == 0 && ike_cur_be16(&body, &type) == 0)
                put_notify(w, type);
            else
                put(w, "N");
        } else if (!v2 && np == 11) {
            uint32_t doi;
            uint8_t proto, spisz;
            uint16_t type;
            if (ike_cur_be32(&body, &doi) == 0 && ike_cur_u8(&body, &proto) == 0 && ike_cur_u8(&body, &spisz) == 0 &&
                ike_cur_be16(&body, &type) == 0)
                put_notify(w, type);
            else
                put(w, "N");
        } else if ((v2 && np == 43) || (!v2 && np == 13)) {
            put_vendor(w, body);
        } else if (v2 && np == 34) {
            uint16_t group;
            if (ike_cur_be16(&body, &group) == 0 && w->m->ke_group < 0)
                w->m->ke_group = group;
            put(w, name);
        } else if (v2 && np == 40) {
            put(w, w->m->is_response == 1 ? "Nr" : "Ni");
        } else if (v2 && np == IKE_PL_V2_SKF) {
            uint16_t fn, ft;
            if (ike_cur_be16(&body, &fn) == 0 && ike_cur_be16(&body, &ft) == 0) {
                char tok[32];
                w->m->frag_num = fn;
                w->m->frag_total = ft;
                snprintf(tok, sizeof tok, "SKF(%u/%u)", (unsigned)fn, (unsigned)ft);
                put(w, tok);
            } else {
                put(w, name);
            }
            return; /* everything after is encrypted */
        } else if (v2 && np == IKE_PL_V2_SK) {
            put(w, name);
            return;
        } else if (!v2 && np == 1) {
            if (!w->have_sa) {
                w->have_sa = 1;
                v1_sa_group(w, body);
            }
            put(w, name);
        } else {
            put(w, name);
        }
        if (body_cut) {
            put(w, "!CUT");
            return;
        }
        np = next;
    }
}

/* ---- the message ------------------------------------------------------------------------ */

/*
 * IKE header (RFC 2408 §3.1, RFC 7296 §3.1; formats.md §8.1):
 *
 *                       1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       IKE SA Initiator's SPI                  |
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       IKE SA Responder's SPI                  |
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          Message ID                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                            Length                             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: IKEv1 E=0x01 C=0x02 A=0x04; IKEv2 I=0x08 V=0x10 R=0x20. Length counts the header
 * and excludes the NAT-T non-ESP marker.
 */
enum ike_wire_status ike_wire_decode(const uint8_t *p, size_t caplen, size_t datagram_len, struct ikm_ike_msg *m)
{
    if (datagram_len < caplen)
        datagram_len = caplen; /* a caller's slip must not make us read less than we have */
    struct ike_cur c = ike_cur_make(p, caplen);
    uint64_t ispi, rspi;
    uint8_t np, ver, exch, flags;
    uint32_t msgid, length;
    if (ike_cur_be64(&c, &ispi) < 0 || ike_cur_be64(&c, &rspi) < 0 || ike_cur_u8(&c, &np) < 0 ||
        ike_cur_u8(&c, &ver) < 0 || ike_cur_u8(&c, &exch) < 0 || ike_cur_u8(&c, &flags) < 0 ||
        ike_cur_be32(&c, &msgid) < 0 || ike_cur_be32(&c, &length) < 0)
        return IKE_WIRE_SHORT;

    m->has_spi = 1;
    m->ispi = ispi;
    m->rspi = rspi;
    m->next_payload = np;
    m->version = ver == 0x10 ? 1 : ver == 0x20 ? 2 : ver;
    m->exch_type = exch;
    m->flags = flags;
    m->msg_id = msgid;
    m->length = length;
    m->length_mismatch = (uint64_t)length != (uint64_t)datagram_len;
    int major = ver >> 4;
    m->is_response = major == 2 ? (flags & IKE_FLAG_V2_R) != 0 : -1;
    m->payloads[0] = '\0';
    if (length < IKE_WIRE_HDR_LEN)
        return IKE_WIRE_BAD_LENGTH;

    m->liveness = ike_wire_liveness(m->version, exch, np, length, m->length_mismatch);

    /* the chain lives in min(header length, datagram) bytes, of which the capture holds some */
    size_t msg_len = length < datagram_len ? length : datagram_len;
    size_t avail = caplen < msg_len ? caplen : msg_len;
    struct walk w = {m, major, msg_len - avail, 0, 0, -1, 0};
    struct ike_cur chain = ike_cur_make(p + IKE_WIRE_HDR_LEN, avail - IKE_WIRE_HDR_LEN);
    if (major == 1 && (flags & IKE_FLAG_V1_E)) {
        char buf[IKE_WIRE_NAME_MAX], tok[40];
        snprintf(tok, sizeof tok, "E(%s)", ike_wire_payload_name(1, np, buf));
        put(&w, tok); /* the header names the first payload; its body is ciphertext */
    } else if (major == 1 || major == 2) {
        walk_chain(&w, np, chain);
    }
    if (major == 1 && w.sa_group >= 0 && m->ke_group < 0)
        m->ke_group = w.sa_group;
    return IKE_WIRE_OK;
}
