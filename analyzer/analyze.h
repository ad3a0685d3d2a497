/*
 * analyze.h — the analysis over a built timeline: incidents, the per-incident evidence, every
 * applicable rule scored and ranked into root cause and hypotheses (written to the incidents
 * and findings tables), and the JSON report of DESIGN.md.
 */
#ifndef IKM_ANALYZE_H
#define IKM_ANALYZE_H

#include <jansson.h>
#include <stddef.h>

struct sqlite3;
struct ikm_ruleset;

struct ikm_analysis_stats {
    long incidents, explained, unknown;
};

/* Where the report goes, piece by piece: memory does not grow with the number of incidents
 * (a tunnel flapping for months gives thousands). A callback returns 0, or -1 to stop.
 *   begin     {schema_version, tool, inputs, incident_count}
 *   incident  one element of incidents[], in time order
 *   end       {recurrence, checklist, warnings}
 * Together they are the report of schema/report.schema.json. */
struct ikm_report_sink {
    void *ctx;
    int (*begin)(void *ctx, const json_t *head);
    int (*incident)(void *ctx, const json_t *incident);
    int (*end)(void *ctx, const json_t *tail);
};

/* A statement trace (sqlite3_trace_v2 with SQLITE_TRACE_PROFILE). */
typedef int (*ikm_stmt_trace)(unsigned type, void *ctx, void *stmt, void *x);

/* Runs the analysis and feeds the report to every sink. Returns 0, or -1 with err set. The
 * rules are prepared on db. trace (NULL: none) is installed on the connections the analysis
 * opens for its threads, so that they are traced like db. */
int ikm_analyze(struct sqlite3 *db, struct ikm_ruleset *rules, const struct ikm_report_sink *sinks, size_t nsinks,
                ikm_stmt_trace trace, struct ikm_analysis_stats *st, char *err, size_t errsz);

#endif
