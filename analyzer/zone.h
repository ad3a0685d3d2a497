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

/* Re-resolves, in one transaction, every source whose times were taken from --tz or assumed
 * UTC (or from a weaker zone source) with its device's zone, and warns (diagnostics table and
 * `out`, which may be NULL) where a device zone disagrees with a source's own offsets.
 * Returns 0, or -1 with a message in err. */
int ikm_zone_resolve(struct sqlite3 *db, FILE *out, struct ikm_zone_stats *zs, char *err, size_t errsz);

#endif
