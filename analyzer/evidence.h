/*
 * evidence.h — what is computed for each incident before the rules run: the rows of its
 * window gathered into small temp tables the rule queries read (inc, inc_msgs, inc_exch,
 * inc_events, inc_msgid), and the liveness and message-id figures the report prints.
 *
 * Temp tables (connection-local, replaced per incident):
 *   inc        one row: the incident, its liveness figures, what data covers it
 *   inc_msgs   IKE messages to/from the peer in the window (and those sharing its SPIs)
 *   inc_exch   their exchanges, with `local` (we asked) and `liveness` (an empty INFORMATIONAL)
 *   inc_events the device's events in the window
 *   inc_msgid  message-id problems: mismatch (ikemgr "expected"), gap, repeat
 * Every row carries `source` (the input's path) and `unit` (line or frame) for evidence.
 */
#ifndef IKM_EVIDENCE_H
#define IKM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

struct ikm_liveness_figures {
    int64_t requests, answered, unanswered, retransmits;
    int64_t refused; /* answered with an error notify (INVALID_IKE_SPI, ...): counted as unanswered */
    int64_t last_answered_us, first_unanswered_us; /* 0: none */
    int64_t rtt_max_us, rtt_median_us;             /* -1: no answered request */
    int64_t peer_msgs_after;                       /* IKE messages from the peer from first_unanswered
                                                    * to the teardown (the incident's time) */
};

struct ikm_incident_ctx {
    int64_t id, ts_us, last_us, window_start_us, window_end_us;
    char kind[24], device[256], gateway[256], tunnel[256], peer[64];
    int interval_s, schedule_s;
    /* liveness from the capture and from ikemgr debug lines; has_* says whether each covers
     * the window */
    int has_pcap, has_log;
    struct ikm_liveness_figures pcap, log;
    const struct ikm_liveness_figures *best; /* the capture when it has requests, else the log */
    int disagree;                  /* both have requests and their answered/unanswered differ */
    int64_t first_unanswered_us;   /* measured, else estimated from the schedule */
    int first_unanswered_estimated;
    int64_t msgid_mismatches, msgid_gaps, msgid_repeats;
};

/* Binds the incident's parameters wherever a statement names them: :id :ws :we :anchor :last
 * :fu :interval (integers; :fu NULL while unknown) and :device :gateway :tunnel :peer (text,
 * NULL when unknown). The same set the rule files may use. */
struct sqlite3_stmt;
void ikm_incident_bind(struct sqlite3_stmt *st, const struct ikm_incident_ctx *c);
int ikm_incident_param_known(const char *name);

/* 1 when the address is inside the prefix ("10.0.0.0/8", "2001:db8::/32", a bare address),
 * 0 when not, -1 when either does not parse. */
int ikm_ip_in_prefix(const char *ip, const char *prefix);
/* Creates the temp tables and the SQL functions names_compatible(a, b) and
 * ip_in_prefix(ip, prefix) on this connection. */
int ikm_evidence_init(struct sqlite3 *db, char *err, size_t errsz);
/* Fills the temp tables and the figures for incident `id`. */
int ikm_evidence_prepare(struct sqlite3 *db, int64_t id, struct ikm_incident_ctx *ctx, char *err, size_t errsz);

#endif
