/*
 * incidents.h — opening incidents: every anchor event (dpd-down, ike-sa-down, p1-fail,
 * p2-fail, tunnel-down) and every one-way ESP stretch becomes part of exactly one incident,
 * with its gateway, tunnel and peer joined from the lines, the running configuration and the
 * other anchors, and a window long enough to hold the whole liveness sequence.
 *
 * Writes the incidents and incident_anchors tables (replacing what an earlier analysis left).
 */
#ifndef IKM_INCIDENTS_H
#define IKM_INCIDENTS_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* Liveness schedules (formats.md §8.5): retransmit backoff before phase 1/2 are torn down. */
#define IKM_SCHEDULE_OLD_S 319   /* 1+2+4+8+16+32+64×4, PAN-OS before 8.0 (racoon2 timer) */
#define IKM_SCHEDULE_NEW_S 435   /* 5+10+20+40+60×6, newer releases */
#define IKM_DEFAULT_INTERVAL_S 5 /* idle interval before the first probe (first seed) */
#define IKM_INTERVAL_MAX_S 3600  /* a configured interval above this is not believed */
#define IKM_WINDOW_SLACK_S 120   /* before the sequence: the last answered probe and changes */
#define IKM_WINDOW_AFTER_S 60    /* after the last anchor: teardown and the first new attempt */
#define IKM_MERGE_DOWN_S 60      /* anchors of one failure seen by several sources */
#define IKM_MERGE_STREAK_S 900   /* a negotiation that keeps failing: one incident per streak */
#define IKM_MERGE_PRECURSOR_S (IKM_SCHEDULE_NEW_S + IKM_WINDOW_SLACK_S) /* failures, then the drop */
#define IKM_ESP_MIN_BUCKETS 3    /* one-way ESP for at least this many 10-s buckets */

struct ikm_incident_stats {
    int64_t anchors;
    int64_t incidents;
    int64_t no_traffic; /* incidents opened from one-way ESP or flat decap counters */
};

/* PAN-OS version text ("10.2.9", "7.1.0-h3") → the liveness retransmit schedule in seconds. */
int ikm_liveness_schedule_s(const char *sw_version);

/* True when a and b can name the same thing: equal, or one a prefix (of at least 3 bytes) of
 * the other — the CLI and the system log cut long names. */
int ikm_names_compatible(const char *a, const char *b);

/* Rebuilds incidents and incident_anchors from the timeline. Returns 0, or -1 with err. */
int ikm_incidents_build(struct sqlite3 *db, struct ikm_incident_stats *st, char *err, size_t errsz);

#endif
