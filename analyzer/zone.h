/*
 * zone.h — applies the device's time zone (from its configuration or `show clock`) to the
 * timeline's sources whose lines carry no UTC offset.
 */
#ifndef IKM_ZONE_H
#define IKM_ZONE_H

#include "tz.h"

#include <stdio.h>

struct sqlite3;

struct ikm_zone_stats {
    int sources_resolved;
    int warnings;
    char zone[96];           /* the first device zone found, "" when none */
    const char *zone_source; /* "running-config" or "show clock" */
};

/* Gives, in one transaction, every source whose lines carry no offset the best zone known:
 * its device's (running-config, else show clock), else cli_tz (--tz, may be NULL), else the
 * one offset the device's other logs' lines carry (with a warning), else UTC flagged as assumed; a source already resolved with a weaker one is re-resolved. Warns
 * (diagnostics table, and `out` when not NULL) where a device zone disagrees with a
 * source's own offsets. Returns 0, or -1 with a message in err. */
int ikm_zone_resolve(struct sqlite3 *db, const struct ikm_tz *cli_tz, FILE *out, struct ikm_zone_stats *zs,
                     char *err, size_t errsz);

#endif
