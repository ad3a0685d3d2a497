/*
 * timeline.c — the SQLite timeline writer (see timeline.h): schema creation and version
 * checks, the sink that turns parser records into rows with prepared statements reused for a
 * whole source, and the per-source commit with time-zone resolution.
 *
 * Captures and logs: their IKE messages and exchanges are millions of rows, stored by
 * rowwriter.c (a writer thread while the parser reads on). The sink pairs each message as it
 * comes (pairing.c; a capture's row ids are predicted: the source's rows are appended in one
 * transaction) and hands the rows over. Everything else that touches the database first waits
 * until the writer has stored what it was given (tl_sync); a log's few events are inserted in
 * place.
 */
#include "timeline.h"

#include "../parsers/timefmt.h"
#include "dbexec.h"
#include "pairing.h"
#include "rowwriter.h"
#include "strmap.h"
#include "textsafe.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const char schema_timeline_sql[];

#define OWN_ADDRS_MAX 256 /* a device's own addresses remembered for its captures (more: the
                           * pairing pass sets the rest) */
#define SRC_ADDRS_MAX 4096

struct tl_db {
    sqlite3 *db;
    char *final_path;
    char *tmp_path; /* set while a new DB is being built */
    sqlite3_stmt *ins_event, *ins_unparsed, *ins_diag;
    sqlite3_stmt *ins_cli, *ins_fact, *ins_gw, *ins_tn, *ins_esp, *ins_ka;
    struct ikm_capture_pairer *pairer; /* the current source's captured IKE messages */
    struct ikm_log_pairer *lpairer;    /* the current source's logged IKE messages */
    struct row_writer *rw;             /* their rows (rowwriter.c) */
    int64_t next_msg_id;               /* the row id the next capture message gets */
    int cap_own;                       /* own addresses the capture pairer was given (-1: none) */
    int in_tx;
    int64_t source_id;
    char *source_path;
    char *device;
    FILE *diag_out;
    int64_t unparsed_stored, diag_printed;
    int64_t ev_first, ev_last, msg_first, msg_last; /* row id ranges of the current source */
    struct ikm_textbuf tb_msg, tb_aux;
    /* the devices' own addresses seen so far (log sends, gateways' local IPs), so that a
     * capture read after them gets its directions as it is stored (ikm_capture_pairer_local) */
    struct own_addr {
        char *device; /* NULL: no device named */
        char ip[IKM_IP_MAX];
    } own[OWN_ADDRS_MAX];
    size_t n_own, own_mark; /* own_mark: n_own when the current source began */
    /* the current source's own addresses, stored in device_addrs when it ends (bounded: past
     * SRC_ADDRS_MAX the source is marked unlisted and pairing scans its rows instead) */
    struct ikm_strmap src_addrs;
    int src_addrs_full;
    char last_addr[IKM_IP_MAX];
};

static int tl_sync(struct tl_db *t);

struct sqlite3 *tl_sqlite(struct tl_db *t)
{
    tl_sync(t); /* a failure shows at the source's end */
    return t->db;
}

static int exec(struct tl_db *t, const char *sql, char *err, size_t errsz)
{
    char *msg = NULL;
    if (sqlite3_exec(t->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errsz, "database: %s", msg ? msg : sqlite3_errmsg(t->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* The schema is one text: tables and views, then a marker, then the indexes. */
static const char *schema_indexes(void)
{
    const char *m = strstr(schema_timeline_sql, "-- @indexes");
    return m ? m : "";
}

static int create_tables(struct tl_db *t, char *err, size_t errsz)
{
    const char *m = schema_indexes();
    size_t n = (size_t)(m - schema_timeline_sql);
    if (*m == '\0')
        n = strlen(schema_timeline_sql);
    char *tables = malloc(n + 1);
    if (!tables) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    memcpy(tables, schema_timeline_sql, n);
    tables[n] = '\0';
    int r = exec(t, tables, err, errsz);
    free(tables);
    return r;
}

#define N_STMTS 9
static void stmt_slots(struct tl_db *t, sqlite3_stmt **out[N_STMTS])
{
    sqlite3_stmt **slots[N_STMTS] = {&t->ins_event, &t->ins_unparsed, &t->ins_diag, &t->ins_cli, &t->ins_fact,
                                     &t->ins_gw,    &t->ins_tn,       &t->ins_esp,  &t->ins_ka};
    memcpy(out, slots, sizeof slots);
}

static int prepare(struct tl_db *t, char *err, size_t errsz)
{
    static const char *const sql[N_STMTS] = {
        "INSERT INTO events(source_id,line,ts_us,ts_local_us,tz_state,ts_text,device,kind,severity,"
        "level_raw,gateway,tunnel,peer_ip,gw_id,tn_id,msg,attrs_json) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO unparsed(source_id,line,byte_offset,reason,text) VALUES(?,?,?,?,?)",
        "INSERT INTO diagnostics(source_id,path,line,byte_offset,severity,check_name,message) "
        "VALUES(?,?,?,?,?,?,?)",
        "INSERT INTO cli_values(source_id,line,device,command,occurrence,object,key,value) "
        "VALUES(?,?,?,?,?,?,?,?)",
        "INSERT INTO device_facts(source_id,line,device,key,value) VALUES(?,?,?,?,?)",
        "INSERT INTO cfg_gateways(source_id,line,device,name,vsys,peer_ip,peer_fqdn,peer_dynamic,"
        "local_interface,local_ip,ike_version,ike_crypto_profile,liveness_enabled,liveness_interval_s,"
        "dpd_enabled,dpd_interval_s,dpd_retry,nat_traversal,passive_mode) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO cfg_tunnels(source_id,line,device,name,vsys,gateway,tunnel_interface,"
        "ipsec_crypto_profile,monitor_enabled,monitor_dest,monitor_profile) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO esp_counts(source_id,device,src_ip,dst_ip,spi,natt,bucket_start_us,packets,bytes,"
        "first_frame,last_frame,min_seq,max_seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO nat_keepalives(source_id,device,src_ip,dst_ip,bucket_start_us,packets,first_frame,last_frame) "
        "VALUES(?,?,?,?,?,?,?,?)",
    };
    sqlite3_stmt **out[N_STMTS];
    stmt_slots(t, out);
    for (int i = 0; i < N_STMTS; i++)
        if (sqlite3_prepare_v3(t->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, out[i], NULL) != SQLITE_OK) {
            snprintf(err, errsz, "database: %s", sqlite3_errmsg(t->db));
            return -1;
        }
    return (t->rw = rw_open(t->db, err, errsz)) ? 0 : -1;
}

static void finalize_all(struct tl_db *t)
{
    sqlite3_stmt **out[N_STMTS];
    stmt_slots(t, out);
    for (int i = 0; i < N_STMTS; i++) {
        sqlite3_finalize(*out[i]);
        *out[i] = NULL;
    }
    rw_close(t->rw);
    t->rw = NULL;
}

static void rows_end(struct tl_db *t);

static void tl_free(struct tl_db *t)
{
    rows_end(t);
    finalize_all(t);
    if (t->db)
        sqlite3_close(t->db);
    ikm_textbuf_free(&t->tb_msg);
    ikm_textbuf_free(&t->tb_aux);
    free(t->final_path);
    free(t->tmp_path);
    free(t->source_path);
    free(t->device);
    for (size_t i = 0; i < t->n_own; i++)
        free(t->own[i].device);
    ikm_strmap_free(&t->src_addrs);
    free(t);
}

struct tl_db *tl_open(const char *path, int *created, char *err, size_t errsz)
{
    struct tl_db *t = calloc(1, sizeof *t);
    if (!t || !(t->final_path = strdup(path))) {
        snprintf(err, errsz, "out of memory");
        free(t);
        return NULL;
    }
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (exists && !S_ISREG(sb.st_mode)) {
        snprintf(err, errsz, "%s: not a regular file", path);
        goto fail;
    }
    const char *open_path = path;
    if (!exists) {
        size_t n = strlen(path) + 32;
        t->tmp_path = malloc(n);
        if (!t->tmp_path) {
            snprintf(err, errsz, "out of memory");
            goto fail;
        }
        snprintf(t->tmp_path, n, "%s.tmp-%ld", path, (long)getpid());
        unlink(t->tmp_path);
        open_path = t->tmp_path;
    }
    /* one thread at a time uses the connection (a writer thread only while the parser waits
     * for it, tl_sync; batch uses processes): no mutexes needed */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (exists ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(open_path, &t->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "%s: cannot open database: %s", path, t->db ? sqlite3_errmsg(t->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(t->db, 5000);
    if (exists) {
        int64_t ver = -1, app = -1, ntables = -1;
        if (ikm_db_int(t->db, "PRAGMA user_version", &ver) < 0 || ikm_db_int(t->db, "PRAGMA application_id", &app) < 0 ||
            ikm_db_int(t->db, "SELECT count(*) FROM sqlite_master", &ntables) < 0) {
            snprintf(err, errsz, "%s: not a readable SQLite database: %s", path, sqlite3_errmsg(t->db));
            goto fail;
        }
        if (ntables > 0 && app != TL_APPLICATION_ID) {
            snprintf(err, errsz, "%s: an SQLite database that ikemortem did not write; refusing to change it", path);
            goto fail;
        }
        if (ntables > 0 && ver != TL_SCHEMA_VERSION) {
            snprintf(err, errsz,
                     "%s: timeline schema version %lld, this ikemortem reads version %d; "
                     "re-ingest into a new database",
                     path, (long long)ver, TL_SCHEMA_VERSION);
            goto fail;
        }
        if (ntables == 0) {
            if (create_tables(t, err, errsz) < 0)
                goto fail;
        }
        if (exec(t, schema_indexes(), err, errsz) < 0)
            goto fail;
    } else {
        /* a fresh DB: speed over durability, since it is renamed into place only when
         * complete; MEMORY (not OFF) so that a duplicate source can still be rolled back */
        if (exec(t, "PRAGMA page_size=16384; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;", err, errsz) < 0 ||
            create_tables(t, err, errsz) < 0)
            goto fail;
    }
    char pragmas[192];
    /* CHECK constraints guard what other writers may put in; every row here comes from this
     * file's own binders, and evaluating them was a twentieth of a capture's insert time */
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA user_version=%d; PRAGMA application_id=%d; PRAGMA cache_size=-16384; "
             "PRAGMA ignore_check_constraints=ON;",
             TL_SCHEMA_VERSION, TL_APPLICATION_ID);
    if (exec(t, pragmas, err, errsz) < 0 || prepare(t, err, errsz) < 0)
        goto fail;
    *created = !exists;
    return t;
fail:
    if (t->tmp_path) {
        if (t->db)
            sqlite3_close(t->db);
        t->db = NULL;
        unlink(t->tmp_path);
    }
    tl_free(t);
    return NULL;
}

double tl_writer_cpu_s(const struct tl_db *t)
{
    return t->rw ? rw_cpu_s(t->rw) : 0;
}

int tl_close(struct tl_db *t, int ok, char *err, size_t errsz)
{
    int rc = 0;
    if (t->in_tx)
        tl_source_abort(t);
    rows_end(t);
    if (ok && t->tmp_path)
        rc = exec(t, schema_indexes(), err, errsz);
    finalize_all(t);
    if (sqlite3_close(t->db) != SQLITE_OK && rc == 0) {
        snprintf(err, errsz, "database: cannot close: %s", sqlite3_errmsg(t->db));
        rc = -1;
    }
    t->db = NULL;
    if (t->tmp_path) {
        if (ok && rc == 0 && rename(t->tmp_path, t->final_path) != 0) {
            snprintf(err, errsz, "%s: cannot move the new database into place: %s", t->final_path, strerror(errno));
            rc = -1;
        }
        if (!ok || rc != 0)
            unlink(t->tmp_path);
    }
    tl_free(t);
    return rc;
}

/* ---- binding helpers ------------------------------------------------------------------ */

static void bind_opt_text(sqlite3_stmt *st, int i, struct ikm_str s, struct ikm_textbuf *tb)
{
    if (!s.ptr) {
        sqlite3_bind_null(st, i);
        return;
    }
    if (ikm_text_is_clean(s.ptr, s.len)) {
        sqlite3_bind_text(st, i, s.ptr, (int)s.len, SQLITE_STATIC);
        return;
    }
    const char *safe = ikm_text_safe(tb, s.ptr, s.len, 0);
    if (safe)
        sqlite3_bind_text(st, i, safe, (int)tb->len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_cstr(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static int step_reset(struct tl_db *t, sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (r != SQLITE_DONE) {
        if (t->diag_out)
            fprintf(t->diag_out, "ikemortem: database: %s\n", sqlite3_errmsg(t->db));
        return -1;
    }
    return 0;
}

/* attrs as a JSON object; numbers stay numbers. Returns a malloc'd string or NULL. */
static char *attrs_json(const struct ikm_event *ev, struct ikm_textbuf *tb)
{
    if (ev->n_attrs == 0)
        return NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < ev->n_attrs; i++) {
        const struct ikm_attr *a = &ev->attrs[i];
        json_t *v = NULL;
        if (a->is_number && a->value.len > 0 && a->value.len < 19) {
            char num[20];
            memcpy(num, a->value.ptr, a->value.len);
            num[a->value.len] = '\0';
            char *end;
            long long x = strtoll(num, &end, 10);
            if (*end == '\0')
                v = json_integer(x);
        }
        if (!v) {
            const char *safe = ikm_text_safe(tb, a->value.ptr, a->value.len, 0);
            v = safe ? json_stringn(safe, tb->len) : NULL;
        }
        if (v)
            json_object_set_new(o, a->key, v);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/* A source's rows are inserted in one transaction, so their ids form one range. */
static void note_row(int64_t *first, int64_t *last, int64_t id)
{
    if (*first == 0)
        *first = id;
    *last = id;
}

/* ---- the sink ------------------------------------------------------------------------- */

static int sink_event(void *ctx, const struct ikm_event *ev)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_event;
    sqlite3_bind_int64(st, 1, t->source_id);
    sqlite3_bind_int64(st, 2, ev->line);
    sqlite3_bind_int64(st, 3, ev->t.utc_us);
    sqlite3_bind_int64(st, 4, ev->t.local_us);
    sqlite3_bind_text(st, 5, ikm_tz_state_name(ev->t.state), -1, SQLITE_STATIC);
    bind_opt_text(st, 6, ikm_str_of(ev->t.text, ev->t.text_len), &t->tb_aux);
    bind_cstr(st, 7, t->device);
    sqlite3_bind_text(st, 8, ikm_event_kind_name(ev->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, ikm_level_name(ev->level), -1, SQLITE_STATIC);
    /* each text goes through its own buffer only when it needs escaping; SQLITE_TRANSIENT
     * copies, so one scratch buffer serves them in turn */
    bind_opt_text(st, 10, ev->level_raw, &t->tb_aux);
    bind_opt_text(st, 11, ev->gateway, &t->tb_aux);
    bind_opt_text(st, 12, ev->tunnel, &t->tb_aux);
    bind_opt_text(st, 13, ev->peer_ip, &t->tb_aux);
    bind_opt_int(st, 14, ev->gw_id);
    bind_opt_int(st, 15, ev->tn_id);
    bind_opt_text(st, 16, ev->msg.ptr ? ev->msg : ikm_str_of("", 0), &t->tb_msg);
    char *attrs = attrs_json(ev, &t->tb_aux);
    if (attrs)
        sqlite3_bind_text(st, 17, attrs, -1, free);
    else
        sqlite3_bind_null(st, 17);
    if (step_reset(t, st) < 0)
        return -1;
    note_row(&t->ev_first, &t->ev_last, sqlite3_last_insert_rowid(t->db));
    return 0;
}

static int tl_sync(struct tl_db *t)
{
    return t->rw ? rw_sync(t->rw) : 0;
}

/* Stops the writer thread (after storing what it holds) and forgets the pairers. */
static void rows_end(struct tl_db *t)
{
    if (t->rw)
        rw_stop(t->rw);
    ikm_capture_pairer_free(t->pairer);
    t->pairer = NULL;
    ikm_log_pairer_free(t->lpairer);
    t->lpairer = NULL;
}

/* The pairer's exchanges join the capture's rows in order. */
static int cap_emit_exchange(void *ctx, const struct ikm_exchange *x)
{
    struct tl_db *t = ctx;
    struct rw_row local, *r = rw_slot(t->rw, &local);
    if (!r)
        return -1;
    r->kind = CAP_XCH;
    r->x = *x;
    return rw_commit(t->rw, r);
}

static int same_device(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Remembers one of the current source's device's own addresses (once). */
static void note_own_addr(struct tl_db *t, const char *ip, size_t n)
{
    if (n == 0 || n >= IKM_IP_MAX)
        return;
    if (strncmp(t->last_addr, ip, n) == 0 && t->last_addr[n] == '\0')
        return; /* a log's sends mostly repeat one address */
    memcpy(t->last_addr, ip, n);
    t->last_addr[n] = '\0';
    int added;
    if (!t->src_addrs_full && ikm_strmap_get(&t->src_addrs, t->last_addr, 0, &added) < 0)
        t->src_addrs_full = 1;
    /* a capture is only told addresses device_addrs lists: the pairing pass trusts that what
     * the capture knew is a part of what it finds (sources.own_addrs) */
    if (t->src_addrs_full)
        return;
    for (size_t i = t->n_own; i-- > 0;)
        if (strncmp(t->own[i].ip, ip, n) == 0 && t->own[i].ip[n] == '\0' && same_device(t->own[i].device, t->device))
            return;
    if (t->n_own == OWN_ADDRS_MAX)
        return;
    struct own_addr *o = &t->own[t->n_own];
    o->device = t->device ? strdup(t->device) : NULL;
    if (t->device && !o->device)
        return; /* no memory: the pairing pass sets what this would have */
    memcpy(o->ip, ip, n);
    o->ip[n] = '\0';
    t->n_own++;
}

/* A captured message: paired as it is stored (the pairer needs its row id before the row
 * exists, to say which request a retransmit repeats, so the id is predicted and checked). */
static int sink_capture_message(struct tl_db *t, const struct ikm_ike_msg *m)
{
    if (!t->pairer) {
        int64_t next = 0;
        if (ikm_db_int(t->db, "SELECT COALESCE(max(id), 0) + 1 FROM ike_messages", &next) < 0 ||
            !(t->pairer = ikm_capture_pairer_new(cap_emit_exchange, t))) {
            if (t->diag_out)
                fprintf(t->diag_out, "ikemortem: database: %s\n", sqlite3_errmsg(t->db));
            return -1;
        }
        t->cap_own = 0;
        for (size_t i = 0; i < t->n_own; i++)
            if (same_device(t->own[i].device, t->device)) {
                if (ikm_capture_pairer_local(t->pairer, t->own[i].ip) < 0)
                    return -1;
                t->cap_own++;
            }
        if (t->n_own == OWN_ADDRS_MAX)
            t->cap_own = -1; /* some may be missing: the pairing pass checks every row */
        t->next_msg_id = next;
        rw_start(t->rw);
    }
    int64_t id = t->next_msg_id, retransmit_of = 0;
    const char *dir = NULL;
    if (ikm_capture_pairer_add(t->pairer, id, m, &retransmit_of, &dir) < 0)
        return -1;
    struct rw_row local, *r = rw_slot(t->rw, &local);
    if (!r)
        return -1;
    r->kind = CAP_MSG;
    r->id = id;
    r->retransmit_of = retransmit_of;
    ikm_ike_msg_copy(&r->m, m);
    if (dir)
        r->m.dir = dir[0] == 's' ? IKM_DIR_SENT : IKM_DIR_RECV;
    if (rw_commit(t->rw, r) < 0)
        return -1;
    t->next_msg_id = id + 1;
    note_row(&t->msg_first, &t->msg_last, id);
    return 0;
}

/* The log pairer's output: rows for the writer thread (or stored in place without one). */
static int log_store_row(void *ctx, int64_t id, const struct ikm_ike_msg *m, int64_t retransmit_of,
                         const struct ikm_exchange *x)
{
    struct tl_db *t = ctx;
    struct rw_row local, *r = rw_slot(t->rw, &local);
    if (!r)
        return -1;
    r->kind = LOG_MSG;
    r->id = id;
    r->retransmit_of = retransmit_of;
    r->x = x ? *x : (struct ikm_exchange){0};
    ikm_ike_msg_copy(&r->m, m);
    return rw_commit(t->rw, r);
}

static int log_store_exchange(void *ctx, const struct ikm_exchange *x)
{
    struct tl_db *t = ctx;
    struct rw_row local, *r = rw_slot(t->rw, &local);
    if (!r)
        return -1;
    r->kind = LOG_XCH;
    r->x = *x;
    return rw_commit(t->rw, r);
}

static int log_bump_exchange(void *ctx, int64_t id)
{
    struct tl_db *t = ctx;
    struct rw_row local, *r = rw_slot(t->rw, &local);
    if (!r)
        return -1;
    r->kind = LOG_BUMP;
    r->id = id;
    return rw_commit(t->rw, r);
}

/* A logged message: paired as it is stored (pairing.c, ikm_log_pairer), which saves reading
 * every message back and updating most of them after the whole input is read (half the
 * time of ingesting a debug log). Its row id is assigned here, in line order; the pairer
 * stores our requests once their response (and message id) is known. */
static int sink_log_message(struct tl_db *t, const struct ikm_ike_msg *m)
{
    if (!t->lpairer) {
        int64_t next = 0;
        static const struct ikm_log_pairer_out out0 = {NULL, log_store_row, log_store_exchange, log_bump_exchange};
        struct ikm_log_pairer_out out = out0;
        out.ctx = t;
        if (ikm_db_int(t->db, "SELECT COALESCE(max(id), 0) + 1 FROM ike_messages", &next) < 0 ||
            !(t->lpairer = ikm_log_pairer_new(&out))) {
            if (t->diag_out)
                fprintf(t->diag_out, "ikemortem: database: %s\n", sqlite3_errmsg(t->db));
            return -1;
        }
        t->next_msg_id = next;
        rw_start(t->rw);
    }
    int64_t id = t->next_msg_id++;
    note_row(&t->msg_first, &t->msg_last, id);
    return ikm_log_pairer_add(t->lpairer, id, m);
}

static int sink_ike_message(void *ctx, const struct ikm_ike_msg *m)
{
    struct tl_db *t = ctx;
    if (m->origin == IKM_ORIGIN_PCAP)
        return sink_capture_message(t, m);
    if (m->dir == IKM_DIR_SENT && m->src_ip[0])
        note_own_addr(t, m->src_ip, strnlen(m->src_ip, sizeof m->src_ip));
    return sink_log_message(t, m);
}

static int sink_unparsed(void *ctx, const struct ikm_unparsed *u)
{
    struct tl_db *t = ctx;
    if (t->unparsed_stored >= TL_UNPARSED_SAMPLE_MAX)
        return 0;
    if (tl_sync(t) < 0)
        return -1;
    t->unparsed_stored++;
    sqlite3_stmt *st = t->ins_unparsed;
    sqlite3_bind_int64(st, 1, t->source_id);
    sqlite3_bind_int64(st, 2, u->line);
    bind_opt_int(st, 3, u->byte_offset);
    sqlite3_bind_text(st, 4, u->reason, -1, SQLITE_STATIC);
    const char *safe = ikm_text_safe(&t->tb_msg, u->text.ptr ? u->text.ptr : "", u->text.len, TL_UNPARSED_TEXT_MAX);
    if (safe)
        sqlite3_bind_text(st, 5, safe, (int)t->tb_msg.len, SQLITE_STATIC);
    else
        sqlite3_bind_text(st, 5, "", 0, SQLITE_STATIC);
    return step_reset(t, st);
}

static int insert_diag(struct tl_db *t, const char *path, int64_t source_id, const struct ikm_diag *d)
{
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_diag;
    if (source_id > 0)
        sqlite3_bind_int64(st, 1, source_id);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    bind_opt_int(st, 3, d->line > 0 ? d->line : -1);
    bind_opt_int(st, 4, d->byte_offset);
    sqlite3_bind_text(st, 5, d->severity == IKM_DIAG_ERROR ? "error" : "warning", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, d->check, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, d->message, -1, SQLITE_STATIC);
    return step_reset(t, st);
}

static int sink_diag(void *ctx, const struct ikm_diag *d)
{
    struct tl_db *t = ctx;
    if (t->diag_out && t->diag_printed++ < TL_DIAG_PRINT_MAX) {
        if (d->line > 0)
            fprintf(t->diag_out, "%s:%lld: %s: %s\n", t->source_path, (long long)d->line,
                    d->severity == IKM_DIAG_ERROR ? "error" : "warning", d->message);
        else
            fprintf(t->diag_out, "%s: %s: %s\n", t->source_path,
                    d->severity == IKM_DIAG_ERROR ? "error" : "warning", d->message);
    }
    return insert_diag(t, t->source_path, t->source_id, d);
}


static int sink_cli_value(void *ctx, const struct ikm_cli_value *v)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    /* `show vpn flow` names the firewall's own tunnel endpoints (a TSF's CLI output often
     * comes before its capture in the archive) */
    int flow_table = ikm_str_is(v->command, "show vpn flow") && ikm_str_is(v->key, "local-ip");
    int flow_detail = v->command.len > 14 && memcmp(v->command.ptr, "show vpn flow ", 14) == 0 &&
                      ikm_str_is(v->key, "local ip");
    if ((flow_table || flow_detail) && ikm_ip_text(v->value.ptr, v->value.len))
        note_own_addr(t, v->value.ptr, v->value.len);
    sqlite3_stmt *st = t->ins_cli;
    sqlite3_bind_int64(st, 1, t->source_id);
    sqlite3_bind_int64(st, 2, v->line);
    bind_cstr(st, 3, t->device);
    bind_opt_text(st, 4, v->command.ptr ? v->command : ikm_str_of("", 0), &t->tb_aux);
    sqlite3_bind_int64(st, 5, v->occurrence);
    bind_opt_text(st, 6, v->object, &t->tb_aux);
    bind_opt_text(st, 7, v->key.ptr ? v->key : ikm_str_of("", 0), &t->tb_aux);
    bind_opt_text(st, 8, v->value, &t->tb_msg);
    return step_reset(t, st);
}

static int sink_device_fact(void *ctx, const struct ikm_device_fact *f)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_fact;
    sqlite3_bind_int64(st, 1, t->source_id);
    bind_opt_int(st, 2, f->line > 0 ? f->line : -1);
    bind_cstr(st, 3, t->device);
    sqlite3_bind_text(st, 4, f->key, -1, SQLITE_STATIC);
    bind_opt_text(st, 5, f->value, &t->tb_aux);
    return step_reset(t, st);
}

static int sink_cfg_gateway(void *ctx, const struct ikm_cfg_gateway *g)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_gw;
    sqlite3_bind_int64(st, 1, t->source_id);
    bind_opt_int(st, 2, g->line > 0 ? g->line : -1);
    bind_cstr(st, 3, t->device);
    bind_opt_text(st, 4, g->name.ptr ? g->name : ikm_str_of("", 0), &t->tb_aux);
    bind_opt_text(st, 5, g->vsys, &t->tb_aux);
    bind_opt_text(st, 6, g->peer_ip, &t->tb_aux);
    bind_opt_text(st, 7, g->peer_fqdn, &t->tb_aux);
    bind_opt_int(st, 8, g->peer_dynamic);
    bind_opt_text(st, 9, g->local_interface, &t->tb_aux);
    bind_opt_text(st, 10, g->local_ip, &t->tb_aux);
    if (g->local_ip.ptr) { /* "10.1.1.1/24" is configured: the address is before the slash */
        const char *slash = memchr(g->local_ip.ptr, '/', g->local_ip.len);
        note_own_addr(t, g->local_ip.ptr, slash ? (size_t)(slash - g->local_ip.ptr) : g->local_ip.len);
    }
    bind_opt_text(st, 11, g->ike_version, &t->tb_aux);
    bind_opt_text(st, 12, g->ike_crypto_profile, &t->tb_aux);
    bind_opt_int(st, 13, g->liveness_enabled);
    bind_opt_int(st, 14, g->liveness_interval_s);
    bind_opt_int(st, 15, g->dpd_enabled);
    bind_opt_int(st, 16, g->dpd_interval_s);
    bind_opt_int(st, 17, g->dpd_retry);
    bind_opt_int(st, 18, g->nat_traversal);
    bind_opt_int(st, 19, g->passive_mode);
    return step_reset(t, st);
}

static int sink_cfg_tunnel(void *ctx, const struct ikm_cfg_tunnel *c)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_tn;
    sqlite3_bind_int64(st, 1, t->source_id);
    bind_opt_int(st, 2, c->line > 0 ? c->line : -1);
    bind_cstr(st, 3, t->device);
    bind_opt_text(st, 4, c->name.ptr ? c->name : ikm_str_of("", 0), &t->tb_aux);
    bind_opt_text(st, 5, c->vsys, &t->tb_aux);
    bind_opt_text(st, 6, c->gateway, &t->tb_aux);
    bind_opt_text(st, 7, c->tunnel_interface, &t->tb_aux);
    bind_opt_text(st, 8, c->ipsec_crypto_profile, &t->tb_aux);
    bind_opt_int(st, 9, c->monitor_enabled);
    bind_opt_text(st, 10, c->monitor_dest, &t->tb_aux);
    bind_opt_text(st, 11, c->monitor_profile, &t->tb_aux);
    return step_reset(t, st);
}

/* The columns ESP and NAT keepalive rows share, parameters 1-4: source, device, the flow. */
static void bind_flow_head(struct tl_db *t, sqlite3_stmt *st, const struct ikm_esp_count *c)
{
    sqlite3_bind_int64(st, 1, t->source_id);
    bind_cstr(st, 2, t->device);
    bind_opt_text(st, 3, ikm_str_of(c->src_ip, strnlen(c->src_ip, sizeof c->src_ip)), &t->tb_aux);
    bind_opt_text(st, 4, ikm_str_of(c->dst_ip, strnlen(c->dst_ip, sizeof c->dst_ip)), &t->tb_aux);
}

static int sink_esp_count(void *ctx, const struct ikm_esp_count *c)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_esp;
    bind_flow_head(t, st, c);
    sqlite3_bind_int64(st, 5, c->spi);
    sqlite3_bind_int(st, 6, c->natt);
    sqlite3_bind_int64(st, 7, c->bucket_start_us);
    sqlite3_bind_int64(st, 8, c->packets);
    sqlite3_bind_int64(st, 9, c->bytes);
    bind_opt_int(st, 10, c->first_frame);
    bind_opt_int(st, 11, c->last_frame);
    sqlite3_bind_int64(st, 12, c->min_seq);
    sqlite3_bind_int64(st, 13, c->max_seq);
    return step_reset(t, st);
}

static int sink_nat_keepalive(void *ctx, const struct ikm_esp_count *c)
{
    struct tl_db *t = ctx;
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st = t->ins_ka;
    bind_flow_head(t, st, c);
    sqlite3_bind_int64(st, 5, c->bucket_start_us);
    sqlite3_bind_int64(st, 6, c->packets);
    bind_opt_int(st, 7, c->first_frame);
    bind_opt_int(st, 8, c->last_frame);
    return step_reset(t, st);
}

struct ikm_sink tl_source_sink(struct tl_db *t)
{
    struct ikm_sink s = {t,
                         sink_event,
                         sink_ike_message,
                         sink_unparsed,
                         sink_diag,
                         sink_cli_value,
                         sink_device_fact,
                         sink_cfg_gateway,
                         sink_cfg_tunnel,
                         sink_esp_count,
                         sink_nat_keepalive};
    return s;
}

int tl_input_diag_level(struct tl_db *t, const char *bundle, const char *member, const char *check,
                        const char *message, int is_error)
{
    char path[1600];
    snprintf(path, sizeof path, "%s%s%s", bundle ? bundle : "", bundle && member ? ":" : "", member ? member : "");
    struct ikm_diag d = {is_error ? IKM_DIAG_ERROR : IKM_DIAG_WARNING, 0, -1, check, message};
    return insert_diag(t, path, 0, &d);
}

int tl_input_diag(struct tl_db *t, const char *path, const char *check, const char *message)
{
    struct ikm_diag d = {IKM_DIAG_ERROR, 0, -1, check, message};
    return insert_diag(t, path, 0, &d);
}

/* ---- sources -------------------------------------------------------------------------- */

int tl_source_begin(struct tl_db *t, const char *path, const char *kind, const char *device, FILE *diag_out)
{
    char err[256];
    if (exec(t, "BEGIN", err, sizeof err) < 0)
        return -1;
    t->in_tx = 1;
    free(t->source_path);
    free(t->device);
    t->source_path = strdup(path);
    t->device = device ? strdup(device) : NULL;
    t->diag_out = diag_out;
    rw_source(t->rw, 0, t->device, diag_out);
    t->unparsed_stored = t->diag_printed = 0;
    t->ev_first = t->ev_last = t->msg_first = t->msg_last = 0;
    t->cap_own = -1;
    t->own_mark = t->n_own;
    ikm_strmap_free(&t->src_addrs);
    memset(&t->src_addrs, 0, sizeof t->src_addrs);
    t->src_addrs.max_keys = SRC_ADDRS_MAX;
    t->src_addrs_full = 0;
    t->last_addr[0] = '\0';
    if (!t->source_path)
        return -1;
    char now[40];
    ikm_format_utc((int64_t)time(NULL) * 1000000, now, sizeof now);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db, "INSERT INTO sources(path,kind,device,ingested_at) VALUES(?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    bind_cstr(st, 3, device);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r != SQLITE_DONE)
        return -1;
    t->source_id = sqlite3_last_insert_rowid(t->db);
    rw_source(t->rw, t->source_id, t->device, diag_out);
    return 0;
}

void tl_source_zone(struct tl_db *t, int64_t source_id, char *tz, size_t tzsz, char *src, size_t srcsz)
{
    tl_sync(t);
    tz[0] = src[0] = '\0';
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db, "SELECT tz, tz_source FROM sources WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, source_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0), *b = (const char *)sqlite3_column_text(st, 1);
        snprintf(tz, tzsz, "%s", a ? a : "");
        snprintf(src, srcsz, "%s", b ? b : "");
    }
    sqlite3_finalize(st);
}

void tl_before_bulk_update(struct tl_db *t)
{
    if (t->tmp_path)
        sqlite3_exec(t->db, "PRAGMA journal_mode=OFF", NULL, NULL, NULL);
}

void tl_after_bulk_update(struct tl_db *t)
{
    if (t->tmp_path)
        sqlite3_exec(t->db, "PRAGMA journal_mode=MEMORY", NULL, NULL, NULL);
}

int tl_source_origin(struct tl_db *t, const char *bundle, const char *member)
{
    tl_sync(t);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db, "UPDATE sources SET bundle = ?, member = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_cstr(st, 1, bundle);
    bind_cstr(st, 2, member);
    sqlite3_bind_int64(st, 3, t->source_id);
    int r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return r;
}

int tl_inventory_add(struct tl_db *t, const char *bundle, const char *member, int64_t bytes, const char *kind,
                     const char *status, const char *detail, int64_t source_id)
{
    if (tl_sync(t) < 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db,
                           "INSERT INTO inventory(bundle, member, bytes, kind, status, detail, source_id) "
                           "VALUES(?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_cstr(st, 1, bundle);
    bind_cstr(st, 2, member);
    bind_opt_int(st, 3, bytes);
    bind_cstr(st, 4, kind);
    sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
    if (detail && *detail) {
        struct ikm_textbuf tb = {0};
        const char *safe = ikm_text_safe(&tb, detail, strlen(detail), 0);
        sqlite3_bind_text(st, 6, safe ? safe : "", -1, SQLITE_TRANSIENT);
        ikm_textbuf_free(&tb);
    }
    if (source_id > 0)
        sqlite3_bind_int64(st, 7, source_id);
    int r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return r;
}

int64_t tl_inventory_print(struct tl_db *t, int64_t after_id, FILE *out)
{
    sqlite3_stmt *st;
    int64_t last = after_id;
    if (sqlite3_prepare_v2(t->db,
                           "SELECT id, COALESCE(bundle, ''), COALESCE(member, ''), COALESCE(bytes, -1), "
                           "COALESCE(kind, '-'), status, COALESCE(detail, '') FROM inventory WHERE id > ? ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return after_id;
    sqlite3_bind_int64(st, 1, after_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        last = sqlite3_column_int64(st, 0);
        fprintf(out, "inventory: %-14s %-16s %12lld  %s%s%s%s%s\n", (const char *)sqlite3_column_text(st, 5),
                (const char *)sqlite3_column_text(st, 4), (long long)sqlite3_column_int64(st, 3),
                (const char *)sqlite3_column_text(st, 1), sqlite3_column_bytes(st, 1) ? ":" : "",
                (const char *)sqlite3_column_text(st, 2), sqlite3_column_bytes(st, 6) ? "  — " : "",
                (const char *)sqlite3_column_text(st, 6));
    }
    sqlite3_finalize(st);
    return last;
}

void tl_max_ids(struct tl_db *t, int64_t *source_id, int64_t *inventory_id)
{
    sqlite3_stmt *st;
    *source_id = *inventory_id = 0;
    if (sqlite3_prepare_v2(t->db, "SELECT (SELECT COALESCE(max(id), 0) FROM sources), "
                                  "(SELECT COALESCE(max(id), 0) FROM inventory)",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *source_id = sqlite3_column_int64(st, 0);
        *inventory_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

int tl_bundle_hostname(struct tl_db *t, const char *bundle, int64_t after_source, int64_t after_inventory,
                       char *device, size_t devsz)
{
    tl_sync(t);
    device[0] = '\0';
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db,
                           /* the bundle's own sources, and those its duplicate members already
                            * stand for (a newer bundle of the same device repeats its config) */
                           "SELECT f.value FROM device_facts f WHERE f.key = ?2 AND f.value <> '' AND "
                           "(f.source_id IN (SELECT id FROM sources WHERE bundle = ?1 AND id > ?3) OR f.source_id IN "
                           "(SELECT source_id FROM inventory WHERE bundle = ?1 AND status = 'duplicate' AND id > ?4)) "
                           "ORDER BY f.id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    static const char *const keys[] = {"hostname", "serial"};
    for (size_t i = 0; i < 2 && !device[0]; i++) {
        sqlite3_bind_text(st, 1, bundle, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, after_source);
        sqlite3_bind_int64(st, 4, after_inventory);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(device, devsz, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return 0;
}

void tl_rename_own_addrs(struct tl_db *t, const char *from, const char *to)
{
    for (size_t i = 0; i < t->n_own; i++)
        if (same_device(t->own[i].device, from)) {
            char *d = to ? strdup(to) : NULL;
            if (to && !d)
                continue; /* no memory: the pairing pass sets what this would have */
            free(t->own[i].device);
            t->own[i].device = d;
        }
}

int tl_name_bundle_device(struct tl_db *t, const char *bundle, int64_t after_source, int64_t after_inventory,
                          char *device, size_t devsz)
{
    if (tl_bundle_hostname(t, bundle, after_source, after_inventory, device, devsz) < 0)
        return -1;
    if (!device[0])
        return 0;
    /* Only the sources stored before the name was known (tl_bundle_hostname as the bundle was
     * read) still carry the bundle's path: their rows are rewritten, the big tables through
     * the sources' row id ranges, the others by source; no in-memory journal of those pages */
    tl_before_bulk_update(t);
    char *stale = sqlite3_mprintf("(SELECT id FROM sources WHERE bundle = %Q AND id > %lld AND device IS NOT %Q)", bundle,
                                  (long long)after_source, device);
    static const char *const tables[] = {"cli_values", "device_facts", "cfg_gateways", "cfg_tunnels", "esp_counts",
                                         "nat_keepalives", "device_addrs"};
    char err[256];
    int r = stale ? 0 : -1;
    for (size_t i = 0; r == 0 && i < sizeof tables / sizeof tables[0]; i++) {
        char *sql = sqlite3_mprintf("UPDATE %s SET device = %Q WHERE source_id IN %s", tables[i], device, stale);
        r = sql ? exec(t, sql, err, sizeof err) : -1;
        sqlite3_free(sql);
    }
    static const char *const ranged[][3] = {{"events", "ev_first", "ev_last"}, {"ike_messages", "msg_first", "msg_last"}};
    for (size_t i = 0; r == 0 && i < 2; i++) {
        char *sql = sqlite3_mprintf("UPDATE %s SET device = %Q WHERE id IN (SELECT x.id FROM sources s JOIN %s x ON x.id"
                                    " BETWEEN s.%s AND s.%s WHERE s.id IN %s)",
                                    ranged[i][0], device, ranged[i][0], ranged[i][1], ranged[i][2], stale);
        r = sql ? exec(t, sql, err, sizeof err) : -1;
        sqlite3_free(sql);
    }
    if (r == 0) {
        char *sql = sqlite3_mprintf("UPDATE sources SET device = %Q WHERE id IN %s", device, stale);
        r = sql ? exec(t, sql, err, sizeof err) : -1;
        sqlite3_free(sql);
    }
    sqlite3_free(stale);
    tl_after_bulk_update(t);
    return r;
}

void tl_source_abort(struct tl_db *t)
{
    rows_end(t);
    if (t->in_tx)
        sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
    t->in_tx = 0;
    /* what the source taught is gone with its rows */
    while (t->n_own > t->own_mark)
        free(t->own[--t->n_own].device);
}

/* The current source's own addresses into device_addrs; 0 or -1. */
static int store_source_addrs(struct tl_db *t)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->db, "INSERT INTO device_addrs(source_id, device, ip) VALUES(?, ?, ?)", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->src_addrs.cap; i++) {
        if (!t->src_addrs.keys[i])
            continue;
        sqlite3_bind_int64(st, 1, t->source_id);
        bind_cstr(st, 2, t->device);
        sqlite3_bind_text(st, 3, t->src_addrs.keys[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Sets ts_us of the source's offset-less rows from their local time and one offset. */
static int resolve_with_offset(struct tl_db *t, int offset_min, char *err, size_t errsz)
{
    static const char *const tables[] = {"events", "ike_messages"};
    const int64_t first[] = {t->ev_first, t->msg_first}, last[] = {t->ev_last, t->msg_last};
    for (size_t i = 0; i < 2; i++) {
        if (!first[i])
            continue;
        char *sql = sqlite3_mprintf("UPDATE %s SET ts_us = ts_local_us - %lld, tz_state = 'file' "
                                    "WHERE id BETWEEN %lld AND %lld AND tz_state = 'pending'",
                                    tables[i], (long long)offset_min * 60000000LL, (long long)first[i],
                                    (long long)last[i]);
        if (!sql) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        int r = exec(t, sql, err, errsz);
        sqlite3_free(sql);
        if (r < 0)
            return -1;
    }
    return 0;
}

enum tl_end_result tl_source_end(struct tl_db *t, const struct ikm_source_stats *st, const char *sha256,
                                 struct tl_source_result *res, char *err, size_t errsz)
{
    memset(res, 0, sizeof *res);
    res->source_id = t->source_id;
    /* a log's requests still waiting are closed and stored */
    int64_t xch = -1, answered = 0; /* -1: no messages were paired */
    if (t->lpairer) {
        int redo = 0;
        int r = ikm_log_pairer_finish(t->lpairer, &redo);
        ikm_log_pairer_totals(t->lpairer, &xch, &answered);
        if (r == 0)
            r = tl_sync(t);
        rows_end(t); /* the writer has stored all; the pairer is freed */
        if (r < 0) {
            snprintf(err, errsz, "database: the log's rows could not be stored");
            goto fail;
        }
        if (redo && ikm_pair_redo(t->db, t->source_id, err, errsz) < 0)
            goto fail;
    }
    /* a capture's requests still waiting are unanswered; then its writer has stored all */
    if (t->pairer) {
        int overflow = 0;
        int r = ikm_capture_pairer_finish(t->pairer, &overflow);
        ikm_capture_pairer_totals(t->pairer, &xch, &answered);
        if (r == 0)
            r = tl_sync(t);
        rows_end(t);
        if (r < 0) {
            snprintf(err, errsz, "database: the capture's rows could not be stored");
            goto fail;
        }
        if (overflow) {
            struct ikm_diag d = {IKM_DIAG_WARNING, 0, -1, "pairing",
                                 "more IKE SAs waited for a response at once than pairing holds; "
                                 "the messages of the others are not paired into exchanges"};
            if (sink_diag(t, &d) < 0)
                goto dberr;
        }
    }
    /* the same bytes read as the same kind add nothing; an empty file is kept whatever else
     * is empty too (an empty running config is not a copy of an empty log: the checklist
     * must say which files were there) */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(t->db,
                           "SELECT s.id, s.path FROM sources s WHERE s.sha256 = ?1 AND ?2 > 0"
                           " AND s.kind = (SELECT kind FROM sources WHERE id = ?3) AND s.id <> ?3 ORDER BY s.id LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_text(q, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, st->bytes + st->units); /* not every format counts bytes */
    sqlite3_bind_int64(q, 3, t->source_id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        res->duplicate_of = sqlite3_column_int64(q, 0);
        snprintf(res->duplicate_path, sizeof res->duplicate_path, "%s", (const char *)sqlite3_column_text(q, 1));
        sqlite3_finalize(q);
        tl_source_abort(t);
        return TL_END_DUPLICATE;
    }
    sqlite3_finalize(q);

    /* the file's own offsets settle its offset-less lines too (formats.md §1.9); other
     * sources stay 'pending' until the device zone, --tz or UTC is applied (zone.c) */
    res->tz_source = NULL;
    if (st->has_offset) {
        ikm_tz_format_offset(st->first_offset_min, res->tz, sizeof res->tz);
        res->tz_source = "line";
        if (st->pending_rows > 0 && resolve_with_offset(t, st->first_offset_min, err, errsz) < 0)
            goto fail;
    } else if (st->pending_rows > 0) {
        res->tz_source = "pending";
    }

    sqlite3_stmt *u;
    if (sqlite3_prepare_v2(t->db,
                           "UPDATE sources SET sha256=?, bytes=?, units=?, parsed=?, unparsed=?, errors=?, "
                           "warnings=?, tz=?, tz_source=?, tz_assumed=?, first_local_us=?, last_local_us=?, "
                           "ev_first=?, ev_last=?, msg_first=?, msg_last=?, own_addrs=?, addrs_listed=?, msg_rows=?, "
                           "exchanges=?, answered=? WHERE id=?",
                           -1, &u, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_text(u, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(u, 2, st->bytes);
    sqlite3_bind_int64(u, 3, st->units);
    sqlite3_bind_int64(u, 4, st->parsed);
    sqlite3_bind_int64(u, 5, st->unparsed);
    sqlite3_bind_int64(u, 6, st->errors);
    sqlite3_bind_int64(u, 7, st->warnings);
    bind_cstr(u, 8, res->tz[0] ? res->tz : NULL);
    bind_cstr(u, 9, res->tz_source);
    sqlite3_bind_int(u, 10, res->tz_assumed);
    if (st->first_local_us != INT64_MIN) {
        sqlite3_bind_int64(u, 11, st->first_local_us);
        sqlite3_bind_int64(u, 12, st->last_local_us);
    }
    for (int i = 0; i < 4; i++) {
        int64_t v = (int64_t[]){t->ev_first, t->ev_last, t->msg_first, t->msg_last}[i];
        if (v)
            sqlite3_bind_int64(u, 13 + i, v);
    }
    if (t->cap_own >= 0)
        sqlite3_bind_int(u, 17, t->cap_own);
    sqlite3_bind_int(u, 18, !t->src_addrs_full);
    if (t->msg_first && t->rw)
        sqlite3_bind_int64(u, 19, rw_source_messages(t->rw));
    if (xch >= 0) {
        sqlite3_bind_int64(u, 20, xch);
        sqlite3_bind_int64(u, 21, answered);
    }
    sqlite3_bind_int64(u, 22, t->source_id);
    int r = sqlite3_step(u);
    sqlite3_finalize(u);
    if (r != SQLITE_DONE || store_source_addrs(t) < 0)
        goto dberr;
    if (exec(t, "COMMIT", err, errsz) < 0)
        goto fail;
    t->in_tx = 0;
    return TL_END_STORED;
dberr:
    snprintf(err, errsz, "database: %s", sqlite3_errmsg(t->db));
fail:
    tl_source_abort(t);
    return TL_END_FAILED;
}
