/*
 * memsink.h — an in-memory sink for unit tests: keeps copies of every record a parser emits,
 * plus helpers to run the ikemgr parser over a string.
 *
 * Ownership: memsink_free releases every copy.
 */
#ifndef IKM_TEST_MEMSINK_H
#define IKM_TEST_MEMSINK_H

#include "../parsers/ikemgr.h"
#include "../parsers/sink.h"

struct ms_event {
    int64_t line, utc_us, local_us;
    int offset_min;
    enum ikm_tz_state state;
    enum ikm_event_kind kind;
    enum ikm_level level;
    char *level_raw, *gateway, *tunnel, *peer_ip, *msg, *ts_text;
    int64_t gw_id, tn_id;
    size_t n_attrs;
    char *keys[IKM_ATTRS_MAX];
    char *values[IKM_ATTRS_MAX];
};

struct ms_unparsed {
    int64_t line;
    char *reason;
    char *text;
    size_t text_len;
};

struct ms_diag {
    enum ikm_diag_severity severity;
    int64_t line;
    char *check, *message;
};

struct ms_cli {
    int64_t line, occurrence;
    char *command, *object, *key, *value;
};

struct ms_fact {
    int64_t line;
    char *key, *value;
};

struct ms_gateway {
    struct ikm_cfg_gateway g; /* integers; the strings below replace its borrowed ones */
    char *name, *vsys, *peer_ip, *peer_fqdn, *local_interface, *local_ip, *ike_version, *ike_crypto_profile;
};

struct ms_tunnel {
    struct ikm_cfg_tunnel t;
    char *name, *vsys, *gateway, *tunnel_interface, *ipsec_crypto_profile, *monitor_dest, *monitor_profile;
};

struct memsink {
    struct ms_event *ev;
    size_t n_ev;
    struct ikm_ike_msg *msg;
    size_t n_msg;
    struct ms_unparsed *un;
    size_t n_un;
    struct ms_diag *dg;
    size_t n_dg;
    struct ms_cli *cli;
    size_t n_cli;
    struct ms_fact *facts;
    size_t n_facts;
    struct ms_gateway *gws;
    size_t n_gws;
    struct ms_tunnel *tns;
    size_t n_tns;
    struct ikm_esp_count *esp;
    size_t n_esp;
    struct ikm_esp_count *ka; /* NAT keepalive aggregates */
    size_t n_ka;
    struct ikm_source_stats st;
};

struct ikm_sink memsink_sink(struct memsink *ms);
void memsink_free(struct memsink *ms);
/* Value of attribute key of event e, or NULL. */
const char *ms_attr(const struct ms_event *e, const char *key);
/* The first CLI value with this command (prefix match), object (NULL: any) and key; NULL
 * when none. */
const struct ms_cli *ms_cli_find(const struct memsink *ms, const char *command_prefix, const char *object,
                                 const char *key);
/* Value of the first device fact with this key, or NULL. */
const char *ms_fact(const struct memsink *ms, const char *key);
/* A stream over a string, `chunk` bytes per read (0: as much as asked). */
struct ms_str_stream {
    const char *p;
    size_t len, pos, chunk;
};
struct ikm_stream ms_stream(struct ms_str_stream *ss, const char *text, size_t len, size_t chunk);
/* A stream that delivers text[0..len) and then fails with "truncated gzip input" (the error a
 * cut .gz rotation gives), for the "everything before the failure is kept" tests. */
struct ikm_stream ms_failing_stream(struct ms_str_stream *ss, const char *text, size_t len);
/* Checks the invariants every parse keeps: parsed + unparsed = units, one unparsed record per
 * unparsed unit. */
void ms_check_accounting(const struct memsink *ms);
/* Runs the ikemgr parser over text[0..len) delivered `chunk` bytes per read (0: all at once).
 * Returns what ikemgr_parse_stream returned. */
int ms_parse_ikemgr(struct memsink *ms, const char *text, size_t len, size_t chunk);
/* The shared catalog (compiled on first use, freed at exit). */
const struct ikemgr_catalog *ms_catalog(void);

#endif
