/*
 * panlog_classify.h — turns one PAN-OS system-log entry (subtype, event id, object, severity,
 * description) into an event of the closed vocabulary of sink.h (../shared/formats.md §2.3).
 * Shared by the two system-log readers, panlog_cli.c (`show log system` text) and
 * panlog_csv.c (CSV / forwarded syslog); their output bookkeeping (counting, capped
 * diagnostics, byte checks) is parsekit.h's, as for every parser.
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

/* The static unparsed reason for a timestamp check that failed (why from timefmt, itself a
 * static "invalid timestamp: ..." string). */
const char *panlog_ts_reason(const char *why);

#endif
