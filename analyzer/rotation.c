/*
 * rotation.c — drops the rows that two sources of one device and kind both hold: the lines
 * repeated at a rotation boundary (ikemgr.log.1 ends where ikemgr.log begins), and the days two
 * tech-support files of the same firewall have in common. Without this one incident would be
 * seen twice and a liveness request counted as its own retransmit.
 *
 * Sources are taken in order of their first device-local time; where a source's range
 * overlaps the one before it that reaches furthest, its rows identical to a row of that source
 * (same local time, kind and text for events; same local time, direction, length and
 * addresses for IKE messages) are deleted one for one and counted in sources.dup_rows. Rows of a source are one id range
 * (one transaction per source), so every statement is a range scan.
 */
#include "rotation.h"

#include "dbexec.h"
#include "pairing.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct src {
    int64_t id, first, last, ev_first, ev_last, msg_first, msg_last;
};


/* Deletes b's events that a also has within [lo, hi], one for one (a line repeated twice in b
 * but once in a loses one copy); returns how many, or -1. */
static int64_t drop_events(sqlite3 *db, const struct src *a, const struct src *b, int64_t lo, int64_t hi, char *err,
                           size_t errsz)
{
    if (!a->ev_first || !b->ev_first)
        return 0;
    if (ikm_db_execf(db, "rotation overlap", err, errsz,
                 "DELETE FROM events WHERE id IN (SELECT bb.id FROM "
                 " (SELECT id, ts_local_us, kind, msg, ROW_NUMBER() OVER (PARTITION BY ts_local_us, kind, msg "
                 "  ORDER BY id) AS rn FROM events WHERE id BETWEEN %lld AND %lld AND ts_local_us BETWEEN %lld AND %lld) bb "
                 " JOIN (SELECT ts_local_us, kind, msg, count(*) AS c FROM events WHERE id BETWEEN %lld AND %lld "
                 "  AND ts_local_us BETWEEN %lld AND %lld GROUP BY ts_local_us, kind, msg) aa "
                 " ON aa.ts_local_us = bb.ts_local_us AND aa.kind = bb.kind AND aa.msg = bb.msg WHERE bb.rn <= aa.c)",
                 (long long)b->ev_first, (long long)b->ev_last, (long long)lo, (long long)hi, (long long)a->ev_first,
                 (long long)a->ev_last, (long long)lo, (long long)hi) < 0)
        return -1;
    return sqlite3_changes64(db);
}

/* The same for IKE messages, identified by time, direction, length and addresses. */
static int64_t drop_messages(sqlite3 *db, const struct src *a, const struct src *b, int64_t lo, int64_t hi,
                             char *err, size_t errsz)
{
    if (!a->msg_first || !b->msg_first)
        return 0;
    if (ikm_db_execf(db, "rotation overlap", err, errsz,
                 "DELETE FROM ike_messages WHERE id IN (SELECT bb.id FROM "
                 " (SELECT id, ts_local_us, dir, length, src_ip, dst_ip, ROW_NUMBER() OVER (PARTITION BY ts_local_us, "
                 "  dir, length, src_ip, dst_ip ORDER BY id) AS rn FROM ike_messages WHERE id BETWEEN %lld AND %lld "
                 "  AND ts_local_us BETWEEN %lld AND %lld) bb "
                 " JOIN (SELECT ts_local_us, dir, length, src_ip, dst_ip, count(*) AS c FROM ike_messages "
                 "  WHERE id BETWEEN %lld AND %lld AND ts_local_us BETWEEN %lld AND %lld "
                 "  GROUP BY ts_local_us, dir, length, src_ip, dst_ip) aa "
                 " ON aa.ts_local_us = bb.ts_local_us AND aa.dir IS bb.dir AND aa.length IS bb.length "
                 " AND aa.src_ip IS bb.src_ip AND aa.dst_ip IS bb.dst_ip WHERE bb.rn <= aa.c)",
                 (long long)b->msg_first, (long long)b->msg_last, (long long)lo, (long long)hi,
                 (long long)a->msg_first, (long long)a->msg_last, (long long)lo, (long long)hi) < 0)
        return -1;
    int64_t dropped = sqlite3_changes64(db);
    /* Their exchanges were paired as the rows were stored: one whose request went is a copy
     * of the kept source's and goes too (left, it would name a row id the next source is
     * given; our requests' go with their rows); one that lost only its response is paired
     * again, with the source (ikm_pair_redo). Both ends of an exchange are rows of b. */
    if (dropped == 0)
        return 0;
    if (ikm_db_execf(db, "rotation overlap", err, errsz,
                     "DELETE FROM exchange_rows WHERE request_id BETWEEN %lld AND %lld"
                     " AND NOT EXISTS (SELECT 1 FROM ike_messages m WHERE m.id = exchange_rows.request_id)",
                     (long long)b->msg_first, (long long)b->msg_last) < 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS (SELECT 1 FROM exchanges x WHERE x.request_id BETWEEN ?1 AND ?2"
                           " AND x.response_id BETWEEN ?1 AND ?2"
                           " AND NOT EXISTS (SELECT 1 FROM ike_messages m WHERE m.id = x.response_id))",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "rotation overlap: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, b->msg_first);
    sqlite3_bind_int64(st, 2, b->msg_last);
    int lost_response = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (lost_response && ikm_pair_redo(db, b->id, err, errsz) < 0)
        return -1;
    return dropped;
}

int ikm_drop_rotation_overlaps(sqlite3 *db, int64_t *dropped, char *err, size_t errsz)
{
    *dropped = 0;
    sqlite3_stmt *st;
    /* device and kind groups, each in order of first local time; a source already checked
     * against its predecessor (dup_checked) is not checked again */
    if (sqlite3_prepare_v2(db,
                           "SELECT id, first_local_us, last_local_us, COALESCE(ev_first, 0), COALESCE(ev_last, 0), "
                           "COALESCE(msg_first, 0), COALESCE(msg_last, 0), device, kind FROM sources "
                           "WHERE first_local_us IS NOT NULL ORDER BY device, kind, first_local_us, id",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "rotation overlap: %s", sqlite3_errmsg(db));
        return -1;
    }
    struct src *all = NULL;
    char **group = NULL;
    size_t n = 0, cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            struct src *na = realloc(all, ncap * sizeof *na);
            char **ng = realloc(group, ncap * sizeof *ng);
            if (na)
                all = na;
            if (ng)
                group = ng;
            if (!na || !ng)
                break;
            cap = ncap;
        }
        struct src *s = &all[n];
        s->id = sqlite3_column_int64(st, 0);
        s->first = sqlite3_column_int64(st, 1);
        s->last = sqlite3_column_int64(st, 2);
        s->ev_first = sqlite3_column_int64(st, 3);
        s->ev_last = sqlite3_column_int64(st, 4);
        s->msg_first = sqlite3_column_int64(st, 5);
        s->msg_last = sqlite3_column_int64(st, 6);
        const char *d = (const char *)sqlite3_column_text(st, 7), *k = (const char *)sqlite3_column_text(st, 8);
        group[n] = sqlite3_mprintf("%s\x1f%s", d ? d : "", k ? k : "");
        n++;
    }
    sqlite3_finalize(st);
    int rc = ikm_db_execf(db, "rotation overlap", err, errsz, "BEGIN");
    size_t reach = 0; /* the earlier source of the group that reaches furthest */
    for (size_t i = 1; i < n && rc == 0; i++) {
        if (!group[i] || !group[i - 1] || strcmp(group[i], group[i - 1]) != 0) {
            reach = i;
            continue;
        }
        const struct src *a = &all[reach], *b = &all[i];
        if (b->last > a->last)
            reach = i;
        if (b->first > a->last)
            continue;
        int64_t hi = a->last < b->last ? a->last : b->last;
        int64_t e = drop_events(db, a, b, b->first, hi, err, errsz);
        int64_t m = e < 0 ? -1 : drop_messages(db, a, b, b->first, hi, err, errsz);
        if (e < 0 || m < 0) {
            rc = -1;
            break;
        }
        if (e + m > 0) {
            *dropped += e + m;
            rc = ikm_db_execf(db, "rotation overlap", err, errsz,
                              "UPDATE sources SET dup_rows = COALESCE(dup_rows, 0) + %lld, msg_rows = msg_rows - %lld"
                              " WHERE id = %lld",
                              (long long)(e + m), (long long)m, (long long)b->id);
        }
    }
    if (rc == 0)
        rc = ikm_db_execf(db, "rotation overlap", err, errsz, "COMMIT");
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        sqlite3_free(group[i]);
    free(group);
    free(all);
    return rc;
}
