/*
 * sink.h — the one interface between parsers and everything downstream.
 *
 * Parsers read bytes and call a sink; they never see SQLite, JSON or files. The timeline
 * writer (analyzer/timeline.c) is one sink, the unit tests' memory sink another.
 *
 * Ownership: every pointer inside a record passed to a sink callback is borrowed and valid
 * only for the duration of the call. A sink that keeps data copies it.
 *
 * Return values: a callback returns 0 on success and -1 when the sink cannot take more
 * (e.g. a database error); the parser then stops and reports the failure to its caller.
 */
#ifndef IKM_SINK_H
#define IKM_SINK_H

#include <stddef.h>
#include <stdint.h>

/* How a row's UTC time was obtained. Stored as text in the timeline (ikm_tz_state_name). */
enum ikm_tz_state {
    IKM_TZ_LINE = 0, /* the line carries its own UTC offset */
    IKM_TZ_FILE,     /* offset taken from another line of the same file */
    IKM_TZ_PENDING,  /* local time only; resolved when the zone is known */
    IKM_TZ_ZONE,     /* resolved with the device's zone (bundle) */
    IKM_TZ_CLI,      /* resolved with --tz */
    IKM_TZ_ASSUMED,  /* nothing known: local time taken as UTC, flagged in the report */
    IKM_TZ_COUNT
};
const char *ikm_tz_state_name(enum ikm_tz_state s);

/* A timestamp as read from the input. local_us is the device-local wall clock expressed as
 * microseconds since 1970-01-01 00:00 of that wall clock; utc_us is meaningful unless
 * state == IKM_TZ_PENDING. text points at the timestamp as written. */
struct ikm_time {
    int64_t local_us;
    int64_t utc_us;
    int offset_min; /* UTC offset in minutes when state is LINE or FILE */
    enum ikm_tz_state state;
    const char *text;
    size_t text_len;
};

/* The closed vocabulary of event kinds (DESIGN.md, "Timeline schema"). */
enum ikm_event_kind {
    IKM_EV_DPD_DOWN = 0,
    IKM_EV_IKE_SA_DOWN,
    IKM_EV_P1_START,
    IKM_EV_P1_UP,
    IKM_EV_P1_FAIL,
    IKM_EV_P2_START,
    IKM_EV_P2_UP,
    IKM_EV_P2_FAIL,
    IKM_EV_TUNNEL_DOWN,
    IKM_EV_TUNNEL_UP,
    IKM_EV_ROUTE_CHANGE,
    IKM_EV_CONFIG_COMMIT,
    IKM_EV_POLICY_CHANGE,
    IKM_EV_LINK_DOWN,
    IKM_EV_LINK_UP,
    IKM_EV_HA_STATE,
    IKM_EV_DAEMON_RESTART,
    IKM_EV_NOTIFY_ERROR,
    IKM_EV_NOTIFY_STATUS,
    IKM_EV_DELETE,
    IKM_EV_REKEY,
    IKM_EV_MSGID_MISMATCH,
    IKM_EV_SA_STATE,
    IKM_EV_NAT_T,
    IKM_EV_LIVENESS,
    IKM_EV_RETRANSMIT,
    IKM_EV_OTHER,
    IKM_EV_COUNT
};
const char *ikm_event_kind_name(enum ikm_event_kind k);

enum ikm_level {
    IKM_LVL_NONE = 0, /* the line carries no level token */
    IKM_LVL_DEBUG,
    IKM_LVL_INFO,
    IKM_LVL_NOTICE,
    IKM_LVL_WARNING,
    IKM_LVL_ERROR,
    IKM_LVL_CRITICAL,
    IKM_LVL_OTHER, /* a token we do not know; the raw token is kept */
    IKM_LVL_COUNT
};
const char *ikm_level_name(enum ikm_level l);

/* A string that may not be NUL-terminated; ptr == NULL means absent (SQL NULL). */
struct ikm_str {
    const char *ptr;
    size_t len;
};

#define IKM_ATTRS_MAX 16
struct ikm_attr {
    const char *key;   /* static string */
    struct ikm_str value;
    int is_number;     /* value is a decimal integer: stored as a JSON number */
};

struct ikm_event {
    int64_t line;
    struct ikm_time t;
    enum ikm_event_kind kind;
    enum ikm_level level;
    struct ikm_str level_raw;
    struct ikm_str gateway;  /* gateway name when the line names it */
    struct ikm_str tunnel;   /* tunnel name when the line names it */
    struct ikm_str peer_ip;
    int64_t gw_id;           /* `{g: t}` context numbers; -1 when absent */
    int64_t tn_id;
    struct ikm_str msg;      /* the whole message text of the record */
    size_t n_attrs;
    struct ikm_attr attrs[IKM_ATTRS_MAX];
};

enum ikm_origin { IKM_ORIGIN_PCAP = 0, IKM_ORIGIN_LOG = 1 };
enum ikm_dir { IKM_DIR_UNKNOWN = 0, IKM_DIR_SENT, IKM_DIR_RECV };

#define IKM_IP_MAX 64
/* One IKE message, from a capture frame or from daemon log lines. Unknown integer fields
 * are -1; unknown addresses are empty strings. */
struct ikm_ike_msg {
    enum ikm_origin origin;
    int64_t unit;          /* frame number or (first) line number */
    struct ikm_time t;
    enum ikm_dir dir;
    char src_ip[IKM_IP_MAX];
    int src_port;
    char dst_ip[IKM_IP_MAX];
    int dst_port;
    int has_spi;
    uint64_t ispi, rspi;
    int version;
    int exch_type;
    int flags;
    int is_response;
    int64_t msg_id;
    int64_t expected_msg_id; /* log origin: the id ikemgr expected */
    int64_t length;
    int natt;
    int copies;              /* log origin: the N of "N times of M bytes" */
    int64_t gw_id, tn_id;
    /* capture origin: what the cleartext part of the message shows */
    int next_payload;        /* first payload type of the header */
    int length_mismatch;     /* 1: the header's length disagrees with the datagram */
    int notify_error;        /* first error Notify type (< 16384) in cleartext, or -1 */
    int ke_group;            /* DH group of a cleartext KE payload, or -1 */
    int frag_num, frag_total; /* IKEv2 SKF (payload 53) fragment number/total, or -1 */
    int liveness;            /* confidence 0..100 that this is an empty INFORMATIONAL (liveness)
                              * judged by size (formats.md §8.5); -1 when not applicable */
    char payloads[192];      /* readable payload chain, e.g. "SA KE Ni N(NAT_DETECTION_SOURCE_IP) V(NAT-T)" */
};

/* ESP seen in a capture, aggregated per (src, dst, SPI, encapsulation) and per time bucket of
 * IKM_ESP_BUCKET_US, so that counters rising on one side and flat on the other can be seen
 * over time with a bounded number of rows. */
#define IKM_ESP_BUCKET_US (10LL * 1000000)
struct ikm_esp_count {
    char src_ip[IKM_IP_MAX];
    char dst_ip[IKM_IP_MAX];
    uint32_t spi;
    int natt;                 /* 1: ESP in UDP 4500 */
    int64_t bucket_start_us;  /* UTC */
    int64_t packets, bytes;
    int64_t first_frame, last_frame;
    uint32_t min_seq, max_seq;
};

/* A unit that did not become a typed row. text is the unit as read (possibly cut). */
struct ikm_unparsed {
    int64_t line;
    int64_t byte_offset;
    const char *reason; /* short, static */
    struct ikm_str text;
};

enum ikm_diag_severity { IKM_DIAG_WARNING = 0, IKM_DIAG_ERROR = 1 };
/* A located problem with the input itself (truncation, over-long line, NUL bytes...). */
struct ikm_diag {
    enum ikm_diag_severity severity;
    int64_t line;        /* 0 when not line-related */
    int64_t byte_offset; /* -1 when unknown */
    const char *check;   /* the check that failed (usually __func__ or a short tag) */
    const char *message; /* formatted, human readable, without the file name */
};

/* Per-source totals, reported once at the end of a parse. units = parsed + unparsed. */
struct ikm_source_stats {
    int64_t units;
    int64_t parsed;
    int64_t unparsed;
    int64_t bytes;
    int64_t first_local_us, last_local_us; /* device-local range; INT64_MIN when none */
    int has_offset;           /* some line carried an offset */
    int first_offset_min;     /* the first offset seen, for resolving earlier lines */
    int64_t pending_rows;     /* rows emitted with IKM_TZ_PENDING */
    int64_t events_by_kind[IKM_EV_COUNT];
    int64_t ike_messages;
    int64_t errors, warnings; /* diagnostics emitted */
};

/* One value of a CLI output (a techsupport "> command" section): the command, which of its
 * sections in the file (1 for the first; `show counter global` appears twice), the object the
 * value belongs to (gateway, tunnel id, counter name, route prefix...; may be absent), key and
 * value as written (trimmed). Rules query them as rows. */
struct ikm_cli_value {
    int64_t line;
    struct ikm_str command;
    int64_t occurrence;
    struct ikm_str object;
    struct ikm_str key;
    struct ikm_str value;
};

/* A fact about the device the source comes from. Keys (static strings): "hostname",
 * "serial", "model", "sw-version", "timezone" (IANA name from the config), "clock" (the
 * `show clock` line), "clock-zone" (its zone abbreviation), "advanced-routing", "ha-state",
 * and others a parser finds worth keeping. */
struct ikm_device_fact {
    int64_t line;
    const char *key;
    struct ikm_str value;
};

/* An IKE gateway from the configuration. Integers are -1 when not configured. */
struct ikm_cfg_gateway {
    int64_t line;
    struct ikm_str name;
    struct ikm_str vsys;             /* template/vsys path when known */
    struct ikm_str peer_ip;          /* static peer address, or absent */
    struct ikm_str peer_fqdn;
    int peer_dynamic;                /* 1: peer-address dynamic */
    struct ikm_str local_interface;
    struct ikm_str local_ip;
    struct ikm_str ike_version;      /* "ikev1", "ikev2", "ikev2-preferred" */
    struct ikm_str ike_crypto_profile;
    int liveness_enabled;            /* IKEv2 liveness check */
    int64_t liveness_interval_s;
    int dpd_enabled;                 /* IKEv1 dead peer detection */
    int64_t dpd_interval_s;
    int64_t dpd_retry;
    int nat_traversal;
    int passive_mode;
};

/* An IPsec tunnel from the configuration. */
struct ikm_cfg_tunnel {
    int64_t line;
    struct ikm_str name;
    struct ikm_str vsys;
    struct ikm_str gateway;          /* IKE gateway name */
    struct ikm_str tunnel_interface; /* e.g. tunnel.1 */
    struct ikm_str ipsec_crypto_profile;
    int monitor_enabled;
    struct ikm_str monitor_dest;
    struct ikm_str monitor_profile;
};

struct ikm_sink {
    void *ctx;
    int (*event)(void *ctx, const struct ikm_event *ev);
    int (*ike_message)(void *ctx, const struct ikm_ike_msg *m);
    int (*unparsed)(void *ctx, const struct ikm_unparsed *u);
    int (*diag)(void *ctx, const struct ikm_diag *d);
    /* optional (may be NULL): sources other than logs */
    int (*cli_value)(void *ctx, const struct ikm_cli_value *v);
    int (*device_fact)(void *ctx, const struct ikm_device_fact *f);
    int (*cfg_gateway)(void *ctx, const struct ikm_cfg_gateway *g);
    int (*cfg_tunnel)(void *ctx, const struct ikm_cfg_tunnel *t);
    int (*esp_count)(void *ctx, const struct ikm_esp_count *c);
    /* NAT keepalives (RFC 3948 §2.3: one 0xFF byte on UDP 4500), aggregated like ESP per
     * (src, dst) and bucket, spi 0: a peer behind a NAT that still sends them is reachable
     * in that direction even when it sends nothing else */
    int (*nat_keepalive)(void *ctx, const struct ikm_esp_count *c);
};

/* Helpers for building records. */
static inline struct ikm_str ikm_str_of(const char *p, size_t n)
{
    struct ikm_str s = {p, n};
    return s;
}
static inline struct ikm_str ikm_str_none(void)
{
    struct ikm_str s = {NULL, 0};
    return s;
}
void ikm_event_add_attr(struct ikm_event *ev, const char *key, struct ikm_str value, int is_number);
/* 1 when s is exactly the literal lit. */
int ikm_str_is(struct ikm_str s, const char *lit);
/* 1 when p[0..n) is an IPv4 or IPv6 address as text (inet_pton's forms), else 0. */
int ikm_ip_text(const char *p, size_t n);
void ikm_ike_msg_init(struct ikm_ike_msg *m, enum ikm_origin origin);
/* *dst = *src, but of the payload chain only its text: most messages have none (every logged
 * one), and the copies of a message on its way to the writer were a tenth of a log's parser */
void ikm_ike_msg_copy(struct ikm_ike_msg *dst, const struct ikm_ike_msg *src);
/* Sets every optional integer to -1 and every string to absent. */
void ikm_cfg_gateway_init(struct ikm_cfg_gateway *g);
void ikm_cfg_tunnel_init(struct ikm_cfg_tunnel *t);
/* Zeroes stats and marks the time range empty. */
void ikm_source_stats_init(struct ikm_source_stats *st);

#endif
