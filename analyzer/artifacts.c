/*
 * artifacts.c — the second seed's case-data list (IKE pcap, debug-level ikemgr lines, system
 * and config logs, show clock, global counters, ike-sa / ipsec-sa / flow outputs, the routing
 * table, the running configuration, the peer's side) checked per device against the
 * timeline. Each item is one SQL question; its answer and a short detail become a row.
 */
#include "artifacts.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Each question gets the device as ?1 (NULL for loose files) and returns one row:
 * (present 0/1, detail text). */
static const struct {
    const char *item;
    const char *why; /* what the item is for, from the seed */
    const char *sql;
} items[] = {
    /* each source's count of its rows (sources.msg_rows): counting the rows themselves, even
     * over the source's id range, read every page of the table (0.12 s for a 1 GiB debug log) */
    {"ike-pcap", "IKE packets (debug ike pcap on) show whether liveness requests leave and answers come back",
     "SELECT n > 0, n || ' IKE messages from captures' FROM (SELECT COALESCE(SUM(s.msg_rows), 0) AS n FROM sources s "
     "WHERE s.kind = 'pcap' AND s.device IS ?1)"},
    {"ikemgr-debug", "debug-level ikemgr lines show every request, response and message id",
     "SELECT n > 0, n || ' IKE messages from ikemgr debug lines' FROM (SELECT COALESCE(SUM(s.msg_rows), 0) AS n "
     "FROM sources s WHERE s.kind <> 'pcap' AND s.device IS ?1)"},
    {"system-log", "the system log names the drop (IKE SA is down determined by DPD) and phase 1/2 failures",
     "SELECT count(*) > 0, group_concat(path, ', ') FROM sources "
     "WHERE kind IN ('system-log-cli', 'panos-syslog') AND device IS ?1"},
    {"config-log", "the config log dates commits and policy changes",
     "SELECT count(*) > 0, count(*) || ' config-log rows' FROM events e JOIN sources s ON s.id = e.source_id "
     "WHERE s.kind = 'panos-syslog' AND e.kind IN ('config-commit', 'policy-change') AND e.device IS ?1"},
    {"show-clock", "show clock gives the device's zone and the time the data was taken",
     "SELECT count(*) > 0, max(value) FROM device_facts WHERE key = 'clock' AND device IS ?1"},
    {"counter-global", "show counter global (filter delta yes) shows drops on the path",
     "SELECT count(DISTINCT command) > 0, group_concat(DISTINCT command) FROM cli_values "
     "WHERE command LIKE 'show counter global%' AND device IS ?1"},
    {"vpn-ike-sa", "show vpn ike-sa says which IKE SAs were up",
     "SELECT count(*) > 0, count(*) || ' values' FROM cli_values WHERE command LIKE 'show vpn ike-sa%' "
     "AND device IS ?1"},
    {"vpn-ipsec-sa", "show vpn ipsec-sa says which tunnels had SAs",
     "SELECT count(*) > 0, count(*) || ' values' FROM cli_values WHERE command LIKE 'show vpn ipsec-sa%' "
     "AND device IS ?1"},
    {"vpn-flow", "show vpn flow (tunnel-id N) gives encap/decap counters: tunnel up but no traffic",
     "SELECT count(*) > 0, count(*) || ' values' FROM cli_values WHERE command LIKE 'show vpn flow%' "
     "AND device IS ?1"},
    {"routing-table", "the routing table shows the route to the peer (test routing fib-lookup)",
     "SELECT count(*) > 0, count(DISTINCT object) || ' routes' FROM cli_values "
     "WHERE (command LIKE 'show routing route%' OR command LIKE 'show advanced-routing route%') AND device IS ?1"},
    {"running-config", "the configuration gives gateways, peers, liveness settings and the zone",
     "SELECT count(*) > 0, group_concat(path, ', ') FROM sources WHERE kind = 'running-config' AND device IS ?1"},
    {"peer-side", "the peer's data (a second device) shows the other end of every exchange",
     "SELECT count(DISTINCT device) > 1, group_concat(DISTINCT device) FROM sources WHERE device IS NOT NULL"},
};

int ikm_artifacts_rebuild(sqlite3 *db, char *err, size_t errsz)
{
    sqlite3_stmt *devs = NULL, *ins = NULL, *q = NULL;
    int rc = -1;
    if (sqlite3_exec(db, "BEGIN; DELETE FROM artifacts;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT DISTINCT device FROM sources", -1, &devs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO artifacts(device, item, present, detail, why) VALUES(?, ?, ?, ?, ?)", -1,
                           &ins, NULL) != SQLITE_OK)
        goto out;
    while (sqlite3_step(devs) == SQLITE_ROW) {
        const unsigned char *device = sqlite3_column_text(devs, 0);
        for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
            if (sqlite3_prepare_v2(db, items[i].sql, -1, &q, NULL) != SQLITE_OK)
                goto out;
            if (device)
                sqlite3_bind_text(q, 1, (const char *)device, -1, SQLITE_STATIC);
            int present = 0;
            const unsigned char *detail = NULL;
            if (sqlite3_step(q) == SQLITE_ROW) {
                present = sqlite3_column_int(q, 0);
                detail = sqlite3_column_text(q, 1);
            }
            if (device)
                sqlite3_bind_text(ins, 1, (const char *)device, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(ins, 1);
            sqlite3_bind_text(ins, 2, items[i].item, -1, SQLITE_STATIC);
            sqlite3_bind_int(ins, 3, present);
            if (present && detail)
                sqlite3_bind_text(ins, 4, (const char *)detail, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(ins, 4);
            sqlite3_bind_text(ins, 5, items[i].why, -1, SQLITE_STATIC);
            int r = sqlite3_step(ins);
            sqlite3_reset(ins);
            sqlite3_finalize(q);
            q = NULL;
            if (r != SQLITE_DONE)
                goto out;
        }
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        rc = 0;
out:
    if (rc < 0) {
        snprintf(err, errsz, "checklist: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(devs);
    sqlite3_finalize(ins);
    return rc;
}
