/*
 * engine.h — root causes as data: the rule files (rules/<cause-id>.sql), compiled in and
 * optionally overridden from a directory, and running one rule for one incident.
 *
 * A rule file is a header of `-- key: value` lines followed by one SQL query:
 *   -- id: route-change                 (required; the cause id; must match the file name)
 *   -- title: Route to the peer changed just before liveness failed   (required)
 *   -- applies-to: dpd-down, ike-sa-down  (required; incident kinds, or *)
 *   -- severity: high                   (required: critical | high | medium | low)
 *   -- remedy: what to do …             (required; repeated lines are joined)
 * The query reads the timeline and the per-incident temp tables (analyzer/evidence.h) with
 * the parameters :id :ws :we :anchor :last :fu :interval :device :gateway :tunnel :peer,
 * and returns rows with the columns (by name):
 *   score    REAL in [0,1] (required); the rule's score is the highest over its rows
 *   summary  TEXT, optional: the first non-NULL one words the finding
 *   source, line, frame, ts_us, text  optional: one evidence row (rows without text are
 *            score-only)
 */
#ifndef IKM_RULES_ENGINE_H
#define IKM_RULES_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;
struct ikm_incident_ctx;

#define IKM_RULE_EVIDENCE_MAX 12 /* evidence rows kept per rule and incident */
#define IKM_RULE_FILE_MAX (256 * 1024)
#define IKM_RULES_MAX 256
#define IKM_RULE_BUDGET_S 20 /* one rule on one incident: past this it is stopped (a runaway CTE) */

struct ikm_rule {
    char *id, *title, *applies_to, *severity, *remedy;
    char *sql;
    char *text;   /* the whole file, for `rules show` */
    char *origin; /* "built-in" or the file's path */
    struct sqlite3_stmt *stmt; /* prepared by ikm_rules_prepare */
};

struct ikm_ruleset {
    struct ikm_rule *rules;
    size_t n;
};

struct ikm_rule_result {
    double score;
    char *summary;    /* malloc'd or NULL */
    json_t *evidence; /* array of {source, line|frame, time, ts_us, text} */
};

/* Parses one rule file's text. `name` is the file name (for messages and the id check). */
int ikm_rule_parse(const char *name, const char *text, size_t len, const char *origin, struct ikm_rule *out,
                   char *err, size_t errsz);
/* The compiled-in rules. */
int ikm_rules_builtin(struct ikm_ruleset *rs, char *err, size_t errsz);
/* Adds the *.sql files of dir; a rule with an existing id replaces it. */
int ikm_rules_load_dir(struct ikm_ruleset *rs, const char *dir, char *err, size_t errsz);
const struct ikm_rule *ikm_rules_find(const struct ikm_ruleset *rs, const char *id);
int ikm_rule_applies(const struct ikm_rule *r, const char *incident_kind);
/* Prepares every rule's query on db (after the temp tables exist). A rule that does not
 * prepare is reported in err and makes the call fail. */
int ikm_rules_prepare(struct ikm_ruleset *rs, struct sqlite3 *db, char *err, size_t errsz);
/* Runs a prepared rule for an incident: 0, 1 when it was stopped past IKM_RULE_BUDGET_S (err
 * says so; the result is empty), -1 on error. */
int ikm_rule_run(const struct ikm_rule *r, struct sqlite3 *db, const struct ikm_incident_ctx *c,
                 struct ikm_rule_result *out, char *err, size_t errsz);
void ikm_rule_result_free(struct ikm_rule_result *res);
void ikm_rule_free(struct ikm_rule *r);
void ikm_rules_free(struct ikm_ruleset *rs);
/* The rules of src prepared on another connection (an analysis thread's): dst shares src's
 * texts, which must outlive it, and owns only its statements. 0, or -1 with err. */
int ikm_rules_share(const struct ikm_ruleset *src, struct ikm_ruleset *dst, struct sqlite3 *db, char *err,
                    size_t errsz);
void ikm_rules_unshare(struct ikm_ruleset *rs);

#endif
