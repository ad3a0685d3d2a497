/*
 * ingest.h — building the timeline from inputs, shared by `ingest` and `analyze`: the
 * options both take and the run itself (walk, detect, parse, zone, pairing).
 */
#ifndef IKM_INGEST_H
#define IKM_INGEST_H

#include "tz.h"
#include "walk.h"

#include <stdio.h>

struct ikm_ingest_opts {
    const char *db;
    struct ikm_tz tz;
    struct ikm_walk_limits limits;
    int verbose, quiet;
    FILE *out; /* where the per-source summary goes (stdout for ingest) */
};

/* getopt values of the options every command that ingests takes (--tz, --max-bytes,
 * --max-ratio); outside the range of single-letter options */
enum { IKM_OPT_TZ = 0x100, IKM_OPT_MAX_BYTES, IKM_OPT_MAX_RATIO, IKM_OPT_FIRST_FREE };

void ikm_ingest_opts_init(struct ikm_ingest_opts *o);
/* Handles one of the shared options: 0 taken, -1 bad value (message printed), 1 not one of
 * them. */
int ikm_ingest_option(struct ikm_ingest_opts *o, int c, const char *arg, const char *cmd);
/* Ingests the inputs into o->db; returns an exit code of cli.h. */
int ikm_ingest_run(const struct ikm_ingest_opts *o, int ninputs, char *const *inputs);

#endif
