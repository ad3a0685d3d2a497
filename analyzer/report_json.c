/*
 * report_json.c — the JSON report written as the analysis produces it (analyze.h's report
 * sink): the head's members, then incidents[] one element at a time, then the tail's members,
 * so that a report of thousands of incidents never sits in memory whole. The result is one
 * JSON object, the contract of schema/report.schema.json.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "  "key": <value>" with the value indented under it */
static int member(FILE *f, const char *key, const json_t *v, int first)
{
    if (fprintf(f, "%s\n  \"%s\": ", first ? "" : ",", key) < 0)
        return -1;
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (!s)
        return -1;
    /* re-indent the nested lines by two, to sit under the member */
    for (const char *p = s; *p; p++) {
        fputc(*p, f);
        if (*p == '\n')
            fputs("  ", f);
    }
    free(s);
    return ferror(f) ? -1 : 0;
}

static int json_begin(void *ctx, const json_t *head)
{
    struct ikm_json_writer *o = ctx;
    o->n = 0;
    if (fputs("{", o->f) == EOF)
        return -1;
    int first = 1;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)head, key, v) {
        if (strcmp(key, "incident_count") == 0) /* the array's length says it */
            continue;
        if (member(o->f, key, v, first) < 0)
            return -1;
        first = 0;
    }
    return fputs(",\n  \"incidents\": [", o->f) == EOF ? -1 : 0;
}

static int json_incident(void *ctx, const json_t *inc)
{
    struct ikm_json_writer *o = ctx;
    if (fputs(o->n++ ? ",\n    " : "\n    ", o->f) == EOF)
        return -1;
    char *s = json_dumps(inc, JSON_INDENT(2));
    if (!s)
        return -1;
    for (const char *p = s; *p; p++) {
        fputc(*p, o->f);
        if (*p == '\n')
            fputs("    ", o->f);
    }
    free(s);
    return ferror(o->f) ? -1 : 0;
}

static int json_end(void *ctx, const json_t *tail)
{
    struct ikm_json_writer *o = ctx;
    if (fputs(o->n ? "\n  ]" : "]", o->f) == EOF)
        return -1;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)tail, key, v) if (member(o->f, key, v, 0) < 0) return -1;
    if (fputs("\n}\n", o->f) == EOF)
        return -1;
    return fflush(o->f) == 0 && !ferror(o->f) ? 0 : -1;
}

struct ikm_report_sink ikm_json_sink(struct ikm_json_writer *w, FILE *out)
{
    w->f = out;
    w->n = 0;
    struct ikm_report_sink s = {w, json_begin, json_incident, json_end};
    return s;
}
