/*
 * artifacts.h — the case-data checklist of the second seed ("how to open a case for an IPsec
 * problem"), checked against what the timeline holds for each device, so that the report can
 * say at once what to ask the customer for.
 */
#ifndef IKM_ARTIFACTS_H
#define IKM_ARTIFACTS_H

#include <stddef.h>

struct sqlite3;

/* Rebuilds the `artifacts` table for every device in one transaction. Returns 0, or -1 with a
 * message in err. */
int ikm_artifacts_rebuild(struct sqlite3 *db, char *err, size_t errsz);

#endif
