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

/* Returns the report (the caller json_decref's it), or NULL with err set. The rules are
 * prepared on db. */
json_t *ikm_analyze(struct sqlite3 *db, struct ikm_ruleset *rules, struct ikm_analysis_stats *st, char *err,
                    size_t errsz);

#endif
