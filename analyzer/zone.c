/*
 * zone.c — the device time zone, applied to every source whose lines carry no UTC offset.
 *
 * Order of trust (DESIGN.md "Time is UTC microseconds", issue 3):
 *   line offset  >  running-config zone (IANA, DST-correct per timestamp)
 *                >  `show clock` abbreviation (one fixed offset)  >  --tz  >  UTC assumed.
 * Rows keep their device-local time (ts_local_us), so a zone learned from a later input
 * re-resolves earlier sources. Sources whose lines carry offsets keep them; when the device
 * zone disagrees with those offsets a located warning says so.
 */
#include "zone.h"

#include "../parsers/timefmt.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rank { R_NONE = 0, R_ASSUMED, R_CLI, R_CLOCK, R_CONFIG, R_LINE };

static enum rank rank_of(const char *tz_source)
{
    if (!tz_source)
        return R_NONE;
    static const struct {
        const char *name;
        enum rank r;
    } m[] = {{"assumed", R_ASSUMED}, {"cli", R_CLI}, {"clock", R_CLOCK}, {"config", R_CONFIG}, {"line", R_LINE}};
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

static int exec_fmt(sqlite3 *db, char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    if (!sql) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    char *msg = NULL;
    int r = sqlite3_exec(db, sql, NULL, NULL, &msg);
    sqlite3_free(sql);
    if (r != SQLITE_OK) {
        snprintf(err, errsz, "time zone: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Re-resolves a source's offset-less rows with tz, the zone that ikm_zone_to_utc() (registered
 * once per resolve, since a function cannot be replaced while statements run) points at. */
static int apply_zone(sqlite3 *db, int64_t source_id, const struct ikm_tz *tz, enum rank r, char *err,
                      size_t errsz)
{
    static const char *const tables[] = {"events", "ike_messages"};
    for (size_t i = 0; i < 2; i++)
        if (exec_fmt(db, err, errsz,
                     "UPDATE %s SET ts_us = ikm_zone_to_utc(ts_local_us), tz_state = 'zone' "
                     "WHERE source_id = %lld AND tz_state IN ('assumed', 'cli', 'zone', 'pending')",
                     tables[i], (long long)source_id) < 0)
            return -1;
    return exec_fmt(db, err, errsz,
                    "UPDATE sources SET tz = %Q, tz_source = %Q, tz_assumed = 0 WHERE id = %lld", tz->name,
                    r == R_CONFIG ? "config" : "clock", (long long)source_id);
}

/* For a source whose lines carry offsets: do the first and last rows' offsets agree with the
 * device zone at those instants? */
static int check_agreement(sqlite3 *db, int64_t source_id, const char *path, const struct ikm_tz *tz, FILE *out,
                           struct ikm_zone_stats *zs)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT ts_us, ts_local_us FROM (SELECT * FROM (SELECT ts_us, ts_local_us FROM events "
                           " WHERE source_id = ?1 AND tz_state = 'line' ORDER BY id LIMIT 1) UNION ALL "
                           " SELECT * FROM (SELECT ts_us, ts_local_us FROM events WHERE source_id = ?1 AND "
                           " tz_state = 'line' ORDER BY id DESC LIMIT 1) UNION ALL "
                           " SELECT * FROM (SELECT ts_us, ts_local_us FROM ike_messages WHERE source_id = ?1 AND "
                           " tz_state = 'line' ORDER BY id LIMIT 1) UNION ALL "
                           " SELECT * FROM (SELECT ts_us, ts_local_us FROM ike_messages WHERE source_id = ?1 AND "
                           " tz_state = 'line' ORDER BY id DESC LIMIT 1))",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, source_id);
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
            add_diag(db, source_id, path, msg);
            if (out)
                fprintf(out, "%s: warning: %s\n", path, msg);
            zs->warnings++;
            warned = 1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int ikm_zone_resolve(sqlite3 *db, FILE *out, struct ikm_zone_stats *zs, char *err, size_t errsz)
{
    memset(zs, 0, sizeof *zs);
    sqlite3_stmt *devs;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT device FROM sources", -1, &devs, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
        return -1;
    }
    int rc = 0;
    struct ikm_tz tz; /* the zone of the device being resolved, read by ikm_zone_to_utc() */
    memset(&tz, 0, sizeof tz);
    if (sqlite3_create_function(db, "ikm_zone_to_utc", 1, SQLITE_UTF8, &tz, sql_local_to_utc, NULL, NULL) !=
            SQLITE_OK ||
        exec_fmt(db, err, errsz, "BEGIN") < 0) {
        snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
        sqlite3_finalize(devs);
        return -1;
    }
    while (rc == 0 && sqlite3_step(devs) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(devs, 0);
        char *device = d ? strdup(d) : NULL;
        enum rank zr = device_zone(db, device, &tz, out, zs);
        if (zr == R_NONE) {
            free(device);
            continue;
        }
        sqlite3_stmt *srcs;
        if (sqlite3_prepare_v2(db, "SELECT id, path, tz_source, tz FROM sources WHERE device IS ?", -1, &srcs,
                               NULL) != SQLITE_OK) {
            snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
            free(device);
            rc = -1;
            break;
        }
        if (device)
            sqlite3_bind_text(srcs, 1, device, -1, SQLITE_STATIC);
        while (rc == 0 && sqlite3_step(srcs) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(srcs, 0);
            const char *path = (const char *)sqlite3_column_text(srcs, 1);
            const char *src = (const char *)sqlite3_column_text(srcs, 2);
            const char *cur = (const char *)sqlite3_column_text(srcs, 3);
            enum rank sr = rank_of(src);
            if (sr == R_LINE) {
                if (zr == R_CONFIG && check_agreement(db, id, path, &tz, out, zs) < 0) {
                    snprintf(err, errsz, "time zone: %s", sqlite3_errmsg(db));
                    rc = -1;
                }
                continue;
            }
            if (sr == R_NONE || sr > zr || (sr == zr && cur && strcmp(cur, tz.name) == 0))
                continue; /* no local times, or already resolved as well or better */
            if (apply_zone(db, id, &tz, zr, err, errsz) < 0)
                rc = -1;
            else
                zs->sources_resolved++;
        }
        sqlite3_finalize(srcs);
        if (zr > R_NONE && !zs->zone[0]) {
            snprintf(zs->zone, sizeof zs->zone, "%s", tz.name);
            zs->zone_source = zr == R_CONFIG ? "running-config" : "show clock";
        }
        free(device);
    }
    sqlite3_finalize(devs);
    if (rc == 0)
        rc = exec_fmt(db, err, errsz, "COMMIT");
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    /* tz goes out of scope: the function must not outlive it */
    sqlite3_create_function(db, "ikm_zone_to_utc", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    return rc;
}
