/*
 * panlog_classify.h — turns one PAN-OS system-log entry (subtype, event id, object, severity,
 * description) into an event of the closed vocabulary of sink.h (../shared/formats.md §2.3).
 * Shared by the two system-log readers, panlog_cli.c (`show log system` text) and
 * panlog_csv.c (CSV / forwarded syslog), together with the output bookkeeping both need
 * (counting, diagnostics capped per check, byte hygiene of a line).
 *
 * The rules (one table in panlog_classify.c, each with a sample that a unit test checks) are
 * compiled once per process with PCRE2 + JIT and are immutable afterwards; a classifier
 * (struct panlog_cls) only holds per-reader scratch (match data), so each reader makes its
 * own and several readers may run at once.
 *
 * Ownership: panlog_cls_free frees what panlog_cls_new made. Strings that panlog_classify
 * stores in the event point into the entry's strings or at static text: they are valid as
 * long as the entry's are.
 */
#ifndef IKM_PANLOG_CLASSIFY_H
#define IKM_PANLOG_CLASSIFY_H

#include "linereader.h"
#include "sink.h"

/* One system-log entry as read. Absent fields have ptr == NULL. */
struct panlog_entry {
    struct ikm_str subtype;
    struct ikm_str event_id;
    struct ikm_str object;
    struct ikm_str severity;
    struct ikm_str description;
    int truncated; /* the CLI cut the object or event id (attr truncated=1) */
};

struct panlog_cls;

/* Returns NULL when memory is short or the rule table does not compile (a program error,
 * reported once on stderr). */
struct panlog_cls *panlog_cls_new(void);
void panlog_cls_free(struct panlog_cls *c);

/* Fills ev->kind, level, level_raw, gateway, tunnel, peer_ip and the attributes (event_id,
 * subtype, severity_raw, reason, role, mode, local, local_port, peer_port, spi_i, spi_r,
 * no_response, nat, spi, ...; at most IKM_ATTRS_MAX, the least useful dropped first). The
 * caller sets line, time and msg before or after. Never drops an entry: what no rule knows
 * is IKM_EV_OTHER with its event id kept. Returns the index of the deciding rule, or -1. */
int panlog_classify(struct panlog_cls *c, const struct panlog_entry *e, struct ikm_event *ev);

/* The rule table, for tests: count, names, and each rule's sample entry. */
size_t panlog_rule_count(void);
const char *panlog_rule_name(size_t i);
void panlog_rule_sample(size_t i, struct panlog_entry *out);

/* Severity word → level: informational→info, low→notice, medium→warning, high→error,
 * critical→critical; empty → none; anything else → other. */
enum ikm_level panlog_level_of(struct ikm_str severity);

/* ---- output bookkeeping shared by the two readers ---------------------------------------- */

enum panlog_check {
    PL_DG_LONG, PL_DG_NUL, PL_DG_UTF8, PL_DG_TS, PL_DG_READ, PL_DG_CRLF, PL_DG_CSV, PL_DG_N
};

#define PANLOG_DIAG_PER_CHECK_MAX 20

struct panlog_out {
    const struct ikm_sink *sink;
    struct ikm_source_stats st;
    int failed; /* the sink refused a record: stop */
    int diag_count[PL_DG_N];
    int saw_crlf;
};

void panlog_out_init(struct panlog_out *o, const struct ikm_sink *sink);
void panlog_diag(struct panlog_out *o, enum panlog_check c, enum ikm_diag_severity sev, int64_t line,
                 int64_t off, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void panlog_count_parsed(struct panlog_out *o);
/* Counts one unparsed unit and hands it to the sink. reason is static. */
void panlog_unparsed(struct panlog_out *o, int64_t line, int64_t off, const char *reason,
                     const char *text, size_t len);
/* Counts the event (kind, pending rows, local time range) and hands it to the sink. */
void panlog_emit_event(struct panlog_out *o, const struct ikm_event *ev);
/* NUL, invalid UTF-8 and CRLF diagnostics for a line (CRLF said once per file). */
void panlog_check_bytes(struct panlog_out *o, const struct ikm_line *ln);
/* Emits the "N more problems not listed" diagnostics and copies the totals to *stats.
 * Returns 0, or -1 when the sink failed at any point. */
int panlog_out_finish(struct panlog_out *o, struct ikm_source_stats *stats);
/* The static unparsed reason for a timestamp check that failed (why from timefmt, itself a
 * static "invalid timestamp: ..." string). */
const char *panlog_ts_reason(const char *why);

#endif
