/*
 * report.h — the JSON report of DESIGN.md ("The JSON report"; schema/report.schema.json is
 * the contract): its parts read from the timeline after the analysis wrote incidents and
 * findings, and the text summary for people rendered from the same JSON.
 *
 * Every string in the report is valid UTF-8 whatever the input held: text from the inputs
 * goes through textsafe (invalid bytes written as \xNN), and the report says so in warnings.
 */
#ifndef IKM_REPORT_H
#define IKM_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze.h"

struct sqlite3;
struct ikm_incident_ctx;

#define IKM_REPORT_SCHEMA_VERSION "1"
#define IKM_REPORT_TIMELINE_MAX 40 /* timeline rows per incident in the report */

/* A UTC time as the report writes it ("2019-03-07T01:26:27Z"). */
json_t *ikm_json_time(int64_t us);
/* Text from the database as a valid UTF-8 JSON string (NULL → JSON null). */
json_t *ikm_json_text(const unsigned char *t);

/* inputs[]: one object per source. */
json_t *ikm_report_inputs(struct sqlite3 *db);
/* checklist[]: the case-data items per device. */
json_t *ikm_report_checklist(struct sqlite3 *db);
/* The facts of one incident computed by evidence.c (temp tables filled for it): liveness,
 * message ids, the peer's traffic, changes, anchors, timeline. Adds them to `inc`. */
int ikm_report_incident_facts(struct sqlite3 *db, const struct ikm_incident_ctx *c, json_t *inc);
/* recurrence[]: incidents of one tunnel (else gateway, else peer) of a device that repeat. */
json_t *ikm_report_recurrence(struct sqlite3 *db);

/* The report writers (analyze.h, struct ikm_report_sink): the text summary for people, and
 * the JSON report streamed one incident at a time. */
struct ikm_report_sink ikm_text_sink(FILE *out);
struct ikm_json_writer {
    FILE *f;
    long n; /* incidents written */
};
/* w holds the writer's state and must outlive the analysis. */
struct ikm_report_sink ikm_json_sink(struct ikm_json_writer *w, FILE *out);

#endif
