/*
 * zone.c — the device time zone, applied to every source whose lines carry no UTC offset.
 *
 * Order of trust (DESIGN.md "Time is UTC microseconds", issue 3):
 *   line offset  >  running-config zone (IANA, DST-correct per timestamp)
 *                >  `show clock` abbreviation (one fixed offset)  >  --tz
 *                >  the one offset the device's other logs' lines carry  >  UTC assumed.
 * The last but one is for loose files without a bundle: every log of a device is written in
 * its zone (formats.md §5), so ikemgr.log's "-0800" is also the zone of a `show log system`
 * export of the same device, whose lines have none. It is taken only when every offset seen
 * agrees (a daylight-saving change inside the logs, or loose files of several devices, give
 * several), and it is said in a warning.
 * Rows keep their device-local time (ts_local_us), so a zone learned from a later input
 * re-resolves earlier sources. Sources whose lines carry offsets keep them; when the device
 * zone disagrees with those offsets a located warning says so.
 */
#include "zone.h"

#include "dbexec.h"

#include "../parsers/timefmt.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rank { R_NONE = 0, R_ASSUMED, R_LOGS, R_CLI, R_CLOCK, R_CONFIG, R_LINE };

struct src_row {
    int64_t id;
    char path[512], tz_source[16], tz[96], kind[32];
    int64_t ev_first, ev_last, msg_first, msg_last;
};

static enum rank rank_of(const char *tz_source)
{
    if (!tz_source)
        return R_NONE;
    static const struct {
        const char *name;
        enum rank r;
    } m[] = {{"assumed", R_ASSUMED}, {"logs", R_LOGS}, {"cli", R_CLI}, {"clock", R_CLOCK}, {"config", R_CONFIG}, {"line", R_LINE},
             {"pending", R_NONE}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (strcmp(tz_source, m[i].name) == 0)
            return m[i].r;
    return R_NONE;
}

static void sql_local_to_utc(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct ikm_tz *tz = sqlite3_user_data(cx);
    sqlite3_result_int64(cx, ikm_tz_local_to_utc(tz, sqlite3_value_int64(argv[0])));
}

/* The most recent value of a device fact, or 0 when there is none. */
static int latest_fact(sqlite3 *db, const char *device, const char *key, char *out, size_t outsz,
                       int64_t *source_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT value, source_id FROM device_facts WHERE key = ? AND device IS ? "
                               "AND value IS NOT NULL AND value <> '' ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (device)
        sqlite3_bind_text(st, 2, device, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
        *source_id = sqlite3_column_int64(st, 1);
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static int add_diag(sqlite3 *db, int64_t source_id, const char *path, const char *msg)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO diagnostics(source_id, path, severity, check_name, message) "
                               "VALUES(?, ?, 'warning', 'timezone', ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (source_id > 0)
        sqlite3_bind_int64(st, 1, source_id);
    sqlite3_bind_text(st, 2, path ? path : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, msg, -1, SQLITE_STATIC);
    int r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return r;
}

/* The device's zone from its facts: the config's IANA name, else the clock's abbreviation. */
static enum rank device_zone(sqlite3 *db, const char *device, struct ikm_tz *tz, FILE *out,
                             struct ikm_zone_stats *zs)
{
    char val[128], err[256];
    int64_t src = 0;
    if (latest_fact(db, device, "timezone", val, sizeof val, &src)) {
        if (ikm_tz_parse(val, tz, err, sizeof err) == 0)
            return R_CONFIG;
        char msg[400];
        snprintf(msg, sizeof msg, "the configured time zone cannot be used: %s", err);
        add_diag(db, src, NULL, msg);
        if (out)
            fprintf(out, "warning: %s\n", msg);
        zs->warnings++;
    }
    if (latest_fact(db, device, "clock-zone", val, sizeof val, &src)) {
        int ambiguous = 0;
        if (ikm_tz_from_abbrev(val, tz, &ambiguous) == 0) {
            if (ambiguous) {
                char msg[300], b[16];
                snprintf(msg, sizeof msg,
                         "show clock zone '%s' has several meanings; taken as UTC%s (give --tz or the "
                         "running config to be sure)",
                         val, ikm_tz_format_offset(tz->offset_min, b, sizeof b));
                add_diag(db, src, NULL, msg);
                if (out)
                    fprintf(out, "warning: %s\n", msg);
                zs->warnings++;
            }
            return R_CLOCK;
        }
        char msg[300];
        snprintf(msg, sizeof msg, "show clock zone '%s' is not a known abbreviation", val);
        add_diag(db, src, NULL, msg);
        if (out)
            fprintf(out, "warning: %s\n", msg);
        zs->warnings++;
    }
    return R_NONE;
}


/* The message table's time index is kept as rows are stored (schema/timeline.sql): moving
 * the times of a source's messages costs a delete and an insert in it per row, where building
 * it again costs a sort of all of them. A source of at least a quarter of the table (and more
 * than a few rows) drops it for the moves; it is built once after them, from the text it had
 * (*ts_index_sql holds that text while it is dropped). */
#define ZONE_REINDEX_MIN_ROWS 1000
static int drop_time_index_for(sqlite3 *db, const struct src_row *src, char **ts_index_sql, char *err, size_t errsz)
{
    int64_t moved = src->msg_first ? src->msg_last - src->msg_first + 1 : 0;
    if (*ts_index_sql || moved < ZONE_REINDEX_MIN_ROWS)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'ike_messages_ts'),"
                           " (SELECT max(id) FROM ike_messages)",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
        return -1;
    }
    int oom = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) && moved * 4 >= sqlite3_column_int64(st, 1))
        oom = !(*ts_index_sql = strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    if (oom) {
        snprintf(err, errsz, "time zone: out of memory");
        return -1;
    }
    return *ts_index_sql ? ikm_db_execf(db, "time zone", err, errsz, "DROP INDEX ike_messages_ts") : 0;
}

/* Re-resolves a source's offset-less rows with the zone ikm_zone_to_utc() reads (set by the
 * caller; the function is registered once per resolve, since it cannot be replaced while
 * statements run). Rows of a source are one id range per table. */
static int apply_zone(sqlite3 *db, const struct src_row *src, const char *row_state, const char *tz_name,
                      const char *tz_source, char **ts_index_sql, char *err, size_t errsz)
{
    static const char *const tables[] = {"events", "ike_messages"};
    if (drop_time_index_for(db, src, ts_index_sql, err, errsz) < 0)
        return -1;
    const int64_t first[] = {src->ev_first, src->msg_first}, last[] = {src->ev_last, src->msg_last};
    for (size_t i = 0; i < 2; i++)
        if (first[i] &&
            ikm_db_execf(db, "time zone", err, errsz,
                     "UPDATE %s SET ts_us = ikm_zone_to_utc(ts_local_us), tz_state = %Q "
                     "WHERE id BETWEEN %lld AND %lld AND tz_state IN ('pending', 'assumed', 'cli', 'zone')",
                     tables[i], row_state, (long long)first[i], (long long)last[i]) < 0)
            return -1;
    return ikm_db_execf(db, "time zone", err, errsz, "UPDATE sources SET tz = %Q, tz_source = %Q, tz_assumed = %d WHERE id = %lld",
                    tz_name, tz_source, strcmp(tz_source, "assumed") == 0, (long long)src->id);
}

/* The UTC and local times of a source's first and last rows whose lines carry an offset: what
 * its offsets are, for the checks below. Bound to src by edge_rows_of. */
static sqlite3_stmt *edge_rows(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT ts_us, ts_local_us FROM events WHERE id IN (?1, ?2) AND tz_state = 'line' "
                           "UNION ALL SELECT ts_us, ts_local_us FROM ike_messages WHERE id IN (?3, ?4) "
                           "AND tz_state = 'line'",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

static void edge_rows_of(sqlite3_stmt *st, const struct src_row *src)
{
    const int64_t ids[4] = {src->ev_first, src->ev_last, src->msg_first, src->msg_last};
    sqlite3_reset(st);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_int64(st, i + 1, ids[i]);
}

/* For a source whose lines carry offsets: do its first and last rows' offsets agree with the
 * device zone at those instants? */
static int check_agreement(sqlite3 *db, const struct src_row *src, const struct ikm_tz *tz, FILE *out,
                           struct ikm_zone_stats *zs)
{
    sqlite3_stmt *st = edge_rows(db);
    if (!st)
        return -1;
    edge_rows_of(st, src);
    int warned = 0;
    while (!warned && sqlite3_step(st) == SQLITE_ROW) {
        int64_t utc = sqlite3_column_int64(st, 0), local = sqlite3_column_int64(st, 1);
        int line_off = (int)((local - utc) / 60000000);
        int zone_off = ikm_tz_offset_at_utc(tz, utc);
        if (line_off != zone_off) {
            char msg[400], a[16], b[16], t[40];
            snprintf(msg, sizeof msg,
                     "the lines say UTC%s at %s but the device zone %s says UTC%s; the lines' offsets are kept",
                     ikm_tz_format_offset(line_off, a, sizeof a), ikm_format_utc(utc, t, sizeof t), tz->name,
                     ikm_tz_format_offset(zone_off, b, sizeof b));
            add_diag(db, src->id, src->path, msg);
            if (out)
                fprintf(out, "%s: warning: %s\n", src->path, msg);
            zs->warnings++;
            warned = 1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* The offsets (minutes) the first and last rows of the device's logs with offset-bearing lines
 * carry: 1 with *offset_min when they are all one, 0 when there is none, -1 when they differ
 * (*other_min is another one seen). */
static int logs_offset(sqlite3 *db, const struct src_row *srcs, size_t n, int *offset_min, int *other_min,
                       const char **from)
{
    sqlite3_stmt *st = edge_rows(db);
    if (!st)
        return 0;
    int seen = 0;
    for (size_t i = 0; i < n && seen >= 0; i++) {
        const struct src_row *s = &srcs[i];
        if (rank_of(s->tz_source) != R_LINE || strcmp(s->kind, "pcap") == 0)
            continue; /* a capture's clock is UTC, not the device's zone */
        edge_rows_of(st, s);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int off = (int)((sqlite3_column_int64(st, 1) - sqlite3_column_int64(st, 0)) / 60000000);
            if (!seen) {
                *offset_min = off;
                *from = s->path;
                seen = 1;
            } else if (off != *offset_min) {
                *other_min = off;
                seen = -1;
                break;
            }
        }
    }
    sqlite3_finalize(st);
    return seen;
}

/* The sources of one device, read before any of them is updated. */
static struct src_row *device_sources(sqlite3 *db, const char *device, size_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, path, tz_source, tz, ev_first, ev_last, msg_first, msg_last, kind FROM sources "
                           "WHERE device IS ? AND tz_source IS NOT NULL ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (device)
        sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
    struct src_row *rows = NULL;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct src_row *nr = realloc(rows, ncap * sizeof *nr);
            if (!nr)
                break;
            rows = nr;
            cap = ncap;
        }
        struct src_row *r = &rows[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        const char *text[3] = {(const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
                               (const char *)sqlite3_column_text(st, 3)};
        snprintf(r->path, sizeof r->path, "%s", text[0] ? text[0] : "");
        snprintf(r->tz_source, sizeof r->tz_source, "%s", text[1] ? text[1] : "");
        snprintf(r->tz, sizeof r->tz, "%s", text[2] ? text[2] : "");
        r->ev_first = sqlite3_column_int64(st, 4);
        r->ev_last = sqlite3_column_int64(st, 5);
        r->msg_first = sqlite3_column_int64(st, 6);
        r->msg_last = sqlite3_column_int64(st, 7);
        const char *k = (const char *)sqlite3_column_text(st, 8);
        snprintf(r->kind, sizeof r->kind, "%s", k ? k : "");
    }
    sqlite3_finalize(st);
    return rows;
}

static char **distinct_devices(sqlite3 *db, size_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT device FROM sources", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    char **devs = NULL;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **nd = realloc(devs, ncap * sizeof *nd);
            if (!nd)
                break;
            devs = nd;
            cap = ncap;
        }
        const char *d = (const char *)sqlite3_column_text(st, 0);
        devs[(*n)++] = d ? strdup(d) : NULL;
    }
    sqlite3_finalize(st);
    return devs;
}

/* One device: its sources' offset-less rows take the best zone known. */
static int resolve_device(sqlite3 *db, const char *device, const struct ikm_tz *cli_tz, struct ikm_tz *active,
                          FILE *out, struct ikm_zone_stats *zs, char **ts_index_sql, char *err, size_t errsz)
{
    struct ikm_tz zone;
    enum rank zr = device_zone(db, device, &zone, out, zs);
    if (zr > R_NONE && !zs->zone[0]) {
        snprintf(zs->zone, sizeof zs->zone, "%s", zone.name);
        zs->zone_source = zr == R_CONFIG ? "running-config" : "show clock";
    }
    size_t n;
    struct src_row *srcs = device_sources(db, device, &n);
    /* without a device zone or --tz: the offset the device's own logs carry, if only one */
    struct ikm_tz logs_zone = {0};
    const char *logs_from = NULL;
    int logs_got = 0, logs_off = 0, logs_other = 0; /* logs_offset's answer */
    if (zr == R_NONE && !(cli_tz && cli_tz->kind != IKM_TZK_NONE))
        logs_got = logs_offset(db, srcs, n, &logs_off, &logs_other, &logs_from);
    if (logs_got > 0) {
        char b[16];
        logs_zone.kind = IKM_TZK_FIXED;
        logs_zone.offset_min = logs_off;
        snprintf(logs_zone.name, sizeof logs_zone.name, "UTC%s", ikm_tz_format_offset(logs_off, b, sizeof b));
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct src_row *s = &srcs[i];
        enum rank cur = rank_of(s->tz_source);
        if (cur == R_LINE) {
            /* a capture's clock is UTC by nature: only logs can disagree with the zone */
            if (zr == R_CONFIG && strcmp(s->kind, "pcap") != 0)
                rc = check_agreement(db, s, &zone, out, zs);
            continue;
        }
        /* the best available: device zone > --tz > UTC assumed */
        const char *row_state, *src_name;
        if (zr > cur) {
            *active = zone;
            row_state = "zone";
            src_name = zr == R_CONFIG ? "config" : "clock";
        } else if (cli_tz && cli_tz->kind != IKM_TZK_NONE && R_CLI > cur) {
            *active = *cli_tz;
            row_state = src_name = "cli";
        } else if (logs_zone.kind == IKM_TZK_FIXED && R_LOGS > cur) {
            *active = logs_zone;
            row_state = "zone";
            src_name = "logs";
        } else if (cur == R_NONE) {
            memset(active, 0, sizeof *active);
            active->kind = IKM_TZK_FIXED;
            snprintf(active->name, sizeof active->name, "UTC");
            row_state = src_name = "assumed";
        } else {
            continue; /* already resolved as well as it can be */
        }
        if (cur == rank_of(src_name) && strcmp(s->tz, active->name) == 0)
            continue;
        rc = apply_zone(db, s, row_state, active->name, src_name, ts_index_sql, err, errsz);
        if (rc == 0)
            zs->sources_resolved++;
        if (rc == 0 && (strcmp(src_name, "logs") == 0 || (strcmp(src_name, "assumed") == 0 && logs_got < 0))) {
            char msg[600], a[16], b[16];
            if (logs_got < 0)
                snprintf(msg, sizeof msg,
                         "lines without an offset taken as UTC: the device's logs carry several offsets (UTC%s, "
                         "UTC%s); give --tz or the running config",
                         ikm_tz_format_offset(logs_off, a, sizeof a), ikm_tz_format_offset(logs_other, b, sizeof b));
            else
                snprintf(msg, sizeof msg,
                         "lines without an offset taken as %s, the offset of %s's lines (no running config, "
                         "show clock or --tz gives the zone)",
                         logs_zone.name, logs_from ? logs_from : "the device's logs");
            rc = add_diag(db, s->id, s->path, msg) < 0 ? -1 : 0;
            if (rc < 0)
                snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
            if (out)
                fprintf(out, "%s: warning: %s\n", s->path, msg);
            zs->warnings++;
        }
    }
    free(srcs);
    return rc;
}

int ikm_zone_resolve(sqlite3 *db, const struct ikm_tz *cli_tz, FILE *out, struct ikm_zone_stats *zs, char *err,
                     size_t errsz)
{
    memset(zs, 0, sizeof *zs);
    if (ikm_db_execf(db, "time zone", err, errsz, "BEGIN") < 0)
        return -1;
    struct ikm_tz active; /* the zone being applied, read by ikm_zone_to_utc() */
    memset(&active, 0, sizeof active);
    int rc = 0;
    if (sqlite3_create_function(db, "ikm_zone_to_utc", 1, SQLITE_UTF8, &active, sql_local_to_utc, NULL, NULL) !=
        SQLITE_OK) {
        snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
        rc = -1;
    }
    size_t nd = 0;
    char **devs = rc == 0 ? distinct_devices(db, &nd) : NULL;
    char *ts_index_sql = NULL;
    for (size_t i = 0; i < nd && rc == 0; i++)
        rc = resolve_device(db, devs[i], cli_tz, &active, out, zs, &ts_index_sql, err, errsz);
    for (size_t i = 0; i < nd; i++)
        free(devs[i]);
    free(devs);
    if (rc == 0 && ts_index_sql)
        rc = ikm_db_execf(db, "time zone: indexing the times", err, errsz, "%s", ts_index_sql);
    free(ts_index_sql);
    if (rc == 0)
        rc = ikm_db_execf(db, "time zone", err, errsz, "COMMIT");
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    /* active goes out of scope: the function must not outlive it */
    sqlite3_create_function(db, "ikm_zone_to_utc", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    return rc;
}
