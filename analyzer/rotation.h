/*
 * rotation.h — drops rows that overlapping sources of one device and kind both hold (rotation
 * boundaries, two tech-support files of the same firewall), counting them in sources.dup_rows.
 */
#ifndef IKM_ROTATION_H
#define IKM_ROTATION_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* One transaction over the whole database. Returns 0 with the number of rows dropped, or -1
 * with a message in err. Run it again and it finds nothing more to drop. */
int ikm_drop_rotation_overlaps(struct sqlite3 *db, int64_t *dropped, char *err, size_t errsz);

#endif
