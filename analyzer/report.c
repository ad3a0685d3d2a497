/*
 * report.c — the parts of the JSON report read from the timeline (see report.h).
 */
#include "report.h"

#include "evidence.h"
#include "textsafe.h"

#include "../parsers/timefmt.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define US 1000000LL
#define RECURRENCE_TOLERANCE 0.10 /* intervals within ±10 % of their median are "regular" */

json_t *ikm_json_time(int64_t us)
{
    char b[40];
    return json_string(ikm_format_utc(us, b, sizeof b));
}

json_t *ikm_json_text(const unsigned char *t)
{
    if (!t)
        return json_null();
    char *s = ikm_text_safe_dup((const char *)t, strlen((const char *)t));
    json_t *j = json_string(s ? s : "?");
    free(s);
    return j;
}

static json_t *col_text(sqlite3_stmt *st, int i)
{
    return ikm_json_text(sqlite3_column_text(st, i));
}

static json_t *col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() : json_integer(sqlite3_column_int64(st, i));
}

static json_t *col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() : ikm_json_time(sqlite3_column_int64(st, i));
}

/* Runs a query and turns every row into an object with the given keys (one per column);
 * a key starting with '@' is a time column (µs → text), '#' an integer, '?' a boolean. */
static json_t *rows_to_array(sqlite3 *db, const char *sql, const char *const *keys, int nkeys)
{
    json_t *arr = json_array();
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return arr;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int k = 0; k < nkeys; k++) {
            const char *key = keys[k];
            json_t *v;
            if (key[0] == '@')
                v = col_time(st, k), key++;
            else if (key[0] == '#')
                v = col_int(st, k), key++;
            else if (key[0] == '?')
                v = json_boolean(sqlite3_column_int(st, k)), key++;
            else
                v = col_text(st, k);
            /* an evidence row has a line or a frame, not both: the other is left out */
            if (json_is_null(v) && (strcmp(key, "line") == 0 || strcmp(key, "frame") == 0))
                json_decref(v);
            else
                json_object_set_new(o, key, v);
        }
        json_array_append_new(arr, o);
    }
    sqlite3_finalize(st);
    return arr;
}

json_t *ikm_report_inputs(sqlite3 *db)
{
    static const char *const keys[] = {"path", "kind", "device", "sha256", "#bytes", "#units", "#parsed",
                                       "#unparsed", "#errors", "#warnings", "#duplicate_rows", "tz",
                                       "tz_source", "?tz_assumed"};
    return rows_to_array(db,
                         "SELECT path, kind, device, sha256, bytes, units, parsed, unparsed, errors, warnings,"
                         " COALESCE(dup_rows, 0), tz, tz_source, tz_assumed FROM sources ORDER BY id",
                         keys, (int)(sizeof keys / sizeof keys[0]));
}

json_t *ikm_report_checklist(sqlite3 *db)
{
    static const char *const keys[] = {"device", "item", "?present", "detail", "why"};
    return rows_to_array(db, "SELECT device, item, present, detail, why FROM artifacts ORDER BY id", keys,
                         (int)(sizeof keys / sizeof keys[0]));
}

static json_t *liveness_json(const struct ikm_liveness_figures *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "requests", json_integer(f->requests));
    json_object_set_new(o, "answered", json_integer(f->answered));
    json_object_set_new(o, "unanswered", json_integer(f->unanswered));
    json_object_set_new(o, "refused", json_integer(f->refused));
    json_object_set_new(o, "retransmits", json_integer(f->retransmits));
    json_object_set_new(o, "last_answered", f->last_answered_us ? ikm_json_time(f->last_answered_us) : json_null());
    json_object_set_new(o, "first_unanswered",
                        f->first_unanswered_us ? ikm_json_time(f->first_unanswered_us) : json_null());
    json_object_set_new(o, "rtt_max_ms", f->rtt_max_us >= 0 ? json_real((double)f->rtt_max_us / 1000.0) : json_null());
    json_object_set_new(o, "rtt_median_ms",
                        f->rtt_median_us >= 0 ? json_real((double)f->rtt_median_us / 1000.0) : json_null());
    json_object_set_new(o, "peer_messages_after_first_unanswered", json_integer(f->peer_msgs_after));
    return o;
}


static json_t *liveness_section(const struct ikm_incident_ctx *c)
{
    json_t *o = liveness_json(c->best);
    json_object_set_new(o, "interval_s", json_integer(c->interval_s));
    json_object_set_new(o, "retries", json_integer(10));
    json_object_set_new(o, "schedule_s", json_integer(c->schedule_s));
    json_object_set_new(o, "basis", json_string(c->pcap.requests > 0 && c->log.requests > 0 ? "pcap+log"
                                                : c->pcap.requests > 0                      ? "pcap"
                                                : c->log.requests > 0                       ? "log"
                                                                                            : "none"));
    json_object_set_new(o, "first_unanswered_estimated", json_boolean(c->first_unanswered_estimated));
    if (c->first_unanswered_estimated)
        json_object_set_new(o, "first_unanswered_estimate", ikm_json_time(c->first_unanswered_us));
    if (c->pcap.requests > 0 && c->log.requests > 0) {
        json_t *by = json_object();
        json_object_set_new(by, "pcap", liveness_json(&c->pcap));
        json_object_set_new(by, "log", liveness_json(&c->log));
        json_object_set_new(o, "by_source", by);
        json_object_set_new(o, "sources_agree", json_boolean(!c->disagree));
    }
    return o;
}

static int64_t scalar(sqlite3 *db, const char *sql, const struct ikm_incident_ctx *c)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    ikm_incident_bind(st, c);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static json_t *message_id_section(sqlite3 *db, const struct ikm_incident_ctx *c)
{
    static const char *const keys[] = {"@time", "source", "#line", "#frame", "#expected", "#got", "text"};
    static const char *const sql[] = {
#define MSGID_SQL(kind)                                                                                          \
    "SELECT ts_us, source, CASE origin WHEN 'log' THEN unit END, CASE origin WHEN 'pcap' THEN unit END, expected," \
    " got, text FROM temp.inc_msgid WHERE kind = '" kind "' ORDER BY ts_us LIMIT 20"
        MSGID_SQL("mismatch"), MSGID_SQL("gap"), MSGID_SQL("repeat"),
#undef MSGID_SQL
    };
    static const char *const names[] = {"mismatches", "gaps", "repeats"};
    json_t *o = json_object();
    for (int k = 0; k < 3; k++)
        json_object_set_new(o, names[k], rows_to_array(db, sql[k], keys, 7));
    json_object_set_new(o, "retransmits",
                        json_integer(scalar(db, "SELECT COALESCE(SUM(retransmits), 0) FROM temp.inc_exch WHERE local", c)));
    return o;
}


static json_t *peer_traffic_section(sqlite3 *db, const struct ikm_incident_ctx *c)
{
    static const char *const ep_keys[] = {"address", "#port", "#messages", "@first", "@last"};
    json_t *o = json_object();
    json_object_set_new(o, "endpoints",
                        rows_to_array(db,
                                      "SELECT src_ip, src_port, COUNT(*), MIN(ts_us), MAX(ts_us) FROM temp.inc_msgs"
                                      " WHERE dir = 'recv' GROUP BY src_ip, src_port ORDER BY MIN(ts_us)",
                                      ep_keys, 5));
    json_object_set_new(o, "ike_messages", json_integer(scalar(db, "SELECT COUNT(*) FROM temp.inc_msgs WHERE dir = 'recv'", c)));
    json_object_set_new(o, "peer_requests",
                        json_integer(scalar(db, "SELECT COUNT(*) FROM temp.inc_exch WHERE NOT local", c)));
    json_object_set_new(o, "answered_by_us",
                        json_integer(scalar(db,
                                            "SELECT COUNT(*) FROM temp.inc_exch WHERE NOT local AND response_id IS NOT NULL",
                                            c)));
    json_object_set_new(o, "esp_packets_from_peer",
                        json_integer(scalar(db,
                                            "SELECT COALESCE(SUM(e.packets), 0) FROM esp_counts e, temp.inc i"
                                            " WHERE e.src_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)"
                                                " AND e.bucket_start_us BETWEEN"
                                            " i.window_start_us AND i.window_end_us",
                                            c)));
    if (c->first_unanswered_us) {
        json_object_set_new(o, "ike_after_first_unanswered",
                            json_integer(scalar(db, "SELECT COUNT(*) FROM temp.inc_msgs WHERE dir = 'recv' AND ts_us > :fu"
                                                " AND ts_us <= (SELECT ts_us FROM temp.inc)", c)));
        json_object_set_new(o, "esp_after_first_unanswered",
                            json_integer(scalar(db,
                                                "SELECT COALESCE(SUM(e.packets), 0) FROM esp_counts e, temp.inc i"
                                                " WHERE e.src_ip = i.peer_ip AND (i.device IS NULL OR e.device IS NULL OR e.device = i.device)"
                                                " AND e.bucket_start_us > :fu"
                                                " AND e.bucket_start_us <= i.ts_us",
                                                c)));
    }
    return o;
}

int ikm_report_incident_facts(sqlite3 *db, const struct ikm_incident_ctx *c, json_t *inc)
{
    static const char *const ev_keys[] = {"@time", "source", "#line", "kind", "text"};
    json_object_set_new(inc, "liveness", liveness_section(c));
    json_object_set_new(inc, "message_ids", message_id_section(db, c));
    json_object_set_new(inc, "peer_traffic", peer_traffic_section(db, c));
    json_object_set_new(inc, "anchors",
                        rows_to_array(db,
                                      "SELECT ts_us, source, line, kind, msg FROM temp.inc_events WHERE anchor"
                                      " ORDER BY ts_us LIMIT 20",
                                      ev_keys, 5));
    json_object_set_new(inc, "changes",
                        rows_to_array(db,
                                      "SELECT ts_us, source, line, kind, msg FROM temp.inc_events WHERE kind IN"
                                      " ('route-change', 'link-down', 'link-up', 'config-commit', 'policy-change',"
                                      " 'ha-state', 'daemon-restart') ORDER BY ts_us LIMIT 20",
                                      ev_keys, 5));
    /* what an engineer reads first: the incident's own lines and the device's changes, not
     * every debug line of the window */
    json_object_set_new(inc, "timeline",
                        rows_to_array(db,
                                      "SELECT ts_us, source, line, kind, msg FROM temp.inc_events"
                                      " WHERE (related OR anchor OR kind IN ('route-change', 'link-down', 'link-up',"
                                      " 'config-commit', 'policy-change', 'ha-state', 'daemon-restart'))"
                                      " AND kind <> 'other' ORDER BY ts_us, id LIMIT 40",
                                      ev_keys, 5));
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Closes one group of incidents: two or more make a recurrence entry. */
static void flush_group(json_t *out, const char *device, const char *key_kind, const char *key, json_t *ids,
                        int64_t *times, size_t n)
{
    if (n >= 2) {
        json_t *o = json_object();
        json_object_set_new(o, "device", device ? ikm_json_text((const unsigned char *)device) : json_null());
        json_object_set_new(o, key_kind, ikm_json_text((const unsigned char *)key));
        json_object_set_new(o, "count", json_integer((json_int_t)n));
        json_object_set(o, "incidents", ids);
        json_t *tarr = json_array(), *iarr = json_array();
        int64_t *gaps = malloc(n * sizeof *gaps);
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(tarr, ikm_json_time(times[i]));
            if (i > 0) {
                json_array_append_new(iarr, json_integer((times[i] - times[i - 1]) / US));
                if (gaps)
                    gaps[i - 1] = times[i] - times[i - 1];
            }
        }
        json_object_set_new(o, "times", tarr);
        json_object_set_new(o, "intervals_s", iarr);
        int regular = 1;
        if (gaps) {
            qsort(gaps, n - 1, sizeof *gaps, cmp_i64);
            int64_t med = gaps[(n - 1) / 2];
            json_object_set_new(o, "median_interval_s", json_integer(med / US));
            for (size_t i = 0; i + 1 < n; i++)
                if ((double)llabs(gaps[i] - med) > RECURRENCE_TOLERANCE * (double)med)
                    regular = 0;
            free(gaps);
        }
        json_object_set_new(o, "regular", json_boolean(regular));
        json_array_append_new(out, o);
    }
}

json_t *ikm_report_recurrence(sqlite3 *db)
{
    json_t *out = json_array();
    sqlite3_stmt *st;
    /* the most specific name an incident has is its grouping key */
    if (sqlite3_prepare_v2(db,
                           "SELECT id, ts_us, device, CASE WHEN tunnel IS NOT NULL THEN 'tunnel' WHEN gateway IS NOT"
                           " NULL THEN 'gateway' ELSE 'peer' END, COALESCE(tunnel, gateway, peer_ip) FROM incidents"
                           " WHERE COALESCE(tunnel, gateway, peer_ip) IS NOT NULL"
                           " ORDER BY device, 4, 5, ts_us",
                           -1, &st, NULL) != SQLITE_OK)
        return out;
    /* names are at most 256 bytes (incidents.c): room for them whole */
    char device[600] = "", kkind[16] = "", key[600] = "";
    int have_device = 0;
    int64_t *times = NULL;
    size_t n = 0, cap = 0;
    json_t *ids = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 2);
        const char *kk = (const char *)sqlite3_column_text(st, 3);
        const char *k = (const char *)sqlite3_column_text(st, 4);
        if (strcmp(device, d ? d : "") != 0 || have_device != (d != NULL) || strcmp(kkind, kk) != 0 ||
            strcmp(key, k) != 0) {
            flush_group(out, have_device ? device : NULL, kkind, key, ids, times, n);
            json_decref(ids);
            ids = json_array();
            n = 0;
            snprintf(device, sizeof device, "%s", d ? d : "");
            have_device = d != NULL;
            snprintf(kkind, sizeof kkind, "%s", kk);
            snprintf(key, sizeof key, "%s", k);
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            int64_t *p = realloc(times, ncap * sizeof *p);
            if (!p)
                break;
            times = p;
            cap = ncap;
        }
        times[n++] = sqlite3_column_int64(st, 1);
        json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
    }
    flush_group(out, have_device ? device : NULL, kkind, key, ids, times, n);
    json_decref(ids);
    free(times);
    sqlite3_finalize(st);
    return out;
}
