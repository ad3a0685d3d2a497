/*
 * rowwriter.c — the timeline's high-volume rows (see rowwriter.h).
 *
 * Captures: a million packets are a million rows, and SQLite's inserts took two thirds of the
 * time of reading a capture. So the rows are stored by a writer thread while the parser
 * decodes the next packets, handed over in batches through a ring. Logs: a 1 GiB debug
 * ikemgr.log is ~4 M message rows, their inserts as much again as parsing the lines
 * (callgrind); they go through the same thread. Most of a debug log's exchanges are our own
 * liveness requests, and those are columns of the request's row, not rows of exchange_rows
 * (schema): a row of its own per exchange was a quarter of this thread's time.
 *
 * Per row, SQLite's own work bounds the thread, so what it is asked is kept small: only the
 * columns a row fills, consecutive rows of one insert 16 to a statement, and a parameter that
 * already holds its value is not bound again.
 */
#include "rowwriter.h"

#include "dbexec.h"
#include "textsafe.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_ROWS 512 /* rows handed to the writer thread at once (0.3 MiB) */
#define PREFETCH_ROWS 4 /* rows ahead the writer fetches */
#define ROW_HOT_BYTES 320 /* the bytes of a row store_rows reads (all but the payload text) */
#define RING_BATCHES 8 /* a queue deep enough that neither thread waits for the other's wake-up
                       * when the machine is busy (each wake-up can take a time slice) */

/* The inserts that store the rows. The first RS_RUNS also have a RUN_ROWS-row form. */
enum row_stmt {
    RS_CAP,        /* a captured message: only the columns a capture fills */
    RS_CAP_NARROW, /* the same without what only a retransmit, an error or a fragment has */
    RS_XCH,        /* a capture's exchange */
    RS_LMSG,       /* a logged message as ikemgr's lines give it (log_row_narrow), with its id */
    RS_LMSG_APP,   /* the same, its id the table's next (SQLite's own: no search for its place) */
    RS_LXCH,       /* a log's exchange */
    RS_RUNS,
    RS_LOG_WIDE = RS_RUNS, /* a logged message with more (every column) */
    RS_BUMP,               /* one more retransmit on a log exchange */
    RS_COUNT
};
#define RUN_ROWS 16
static const int row_params[RS_COUNT] = {29, 25, 5, 27, 26, 5, 39, 1};

static const char *const row_sql[RS_COUNT] = {
        /* RS_CAP: a million a capture, so only the columns a capture fills, and the
         * constants as literals (every bound value costs on every row); RS_CAP_NARROW's
         * columns, then what only some rows have */
        "INSERT INTO ike_messages(source_id,origin,frame_or_line,ts_us,ts_local_us,tz_state,device,dir,"
        "src_ip,src_port,dst_ip,dst_port,ispi,rspi,version,exch_type,flags,is_response,msg_id,"
        "length,natt,next_payload,length_mismatch,ke_group,liveness,payloads,"
        "retransmit_of,notify_error,frag_num,frag_total) "
        "VALUES(?,'pcap',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        /* RS_CAP_NARROW: what most captured messages are (every column costs on every row,
         * even a NULL); chosen for a whole run of rows (store_rows) */
        "INSERT INTO ike_messages(source_id,origin,frame_or_line,ts_us,ts_local_us,tz_state,device,dir,"
        "src_ip,src_port,dst_ip,dst_port,ispi,rspi,version,exch_type,flags,is_response,msg_id,"
        "length,natt,next_payload,length_mismatch,ke_group,liveness,payloads) "
        "VALUES(?,'pcap',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        /* RS_XCH: keyed by its request (schema) */
        "INSERT INTO exchange_rows(origin, request_id, response_id, rtt_us, retransmits, initiator) "
        "VALUES('pcap',?,?,?,?,?)",
        /* RS_LMSG: 4 M rows for a 1 GiB debug log, and the writer thread that stores them
         * bounds its ingest, so only the columns such a line fills are bound; ids given by
         * the log pairer (our request is stored once answered, with its exchange: xch_*,
         * NULL on every other row, in the same insert so that runs of rows stay whole) */
        "INSERT INTO ike_messages(id,source_id,origin,frame_or_line,ts_us,ts_local_us,tz_state,device,dir,"
        "src_ip,src_port,dst_ip,dst_port,version,exch_type,is_response,msg_id,expected_msg_id,length,natt,"
        "copies,gw_id,tn_id,retransmit_of,xch_response_id,xch_rtt_us,xch_retransmits,xch_initiator) "
        "VALUES(?,?,'log',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        /* RS_LMSG_APP: the pairer's ids are the table's next for all but a few held
         * requests, and an explicit id costs a search of the table per row (a sixth of the
         * writer's time, callgrind); SQLite's next id is checked against the pairer's */
        "INSERT INTO ike_messages(source_id,origin,frame_or_line,ts_us,ts_local_us,tz_state,device,dir,"
        "src_ip,src_port,dst_ip,dst_port,version,exch_type,is_response,msg_id,expected_msg_id,length,natt,"
        "copies,gw_id,tn_id,retransmit_of,xch_response_id,xch_rtt_us,xch_retransmits,xch_initiator) "
        "VALUES(?,'log',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        /* RS_LXCH: the peer's requests' (ours are columns of their RS_LMSG rows) */
        "INSERT INTO exchange_rows(origin, request_id, response_id, rtt_us, retransmits, initiator) "
        "VALUES('log',?,?,?,?,?)",
        /* RS_LOG_WIDE: a logged message with what only a richer line gives */
        "INSERT INTO ike_messages(source_id,origin,frame_or_line,ts_us,ts_local_us,tz_state,device,dir,"
        "src_ip,src_port,dst_ip,dst_port,ispi,rspi,version,exch_type,flags,is_response,msg_id,"
        "expected_msg_id,length,natt,copies,gw_id,tn_id,next_payload,length_mismatch,notify_error,"
        "ke_group,frag_num,frag_total,liveness,payloads,id,retransmit_of,"
        "xch_response_id,xch_rtt_us,xch_retransmits,xch_initiator) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        /* RS_BUMP */
        "UPDATE exchange_rows SET retransmits = retransmits + 1 WHERE request_id = ?",
};

/* What a writer insert's parameter holds (see "binding" below). */
enum bound_kind { BOUND_UNKNOWN = 0, BOUND_NULL, BOUND_INT, BOUND_STATIC, BOUND_SLOT };
#define TEXT_SLOT 48 /* an IPv6 address's text (45) fits, and an SPI's 16 hex digits */
struct bound {
    int64_t v; /* the integer, the text's address, or (BOUND_SLOT) the length bound */
    int kind;
};
typedef char text_slot_t[TEXT_SLOT];
/* An insert's parameters, 1-based: what each holds, and the slot (BOUND_SLOT) whose text
 * SQLite reads, bound at its address. Apart, so that what every row reads stays dense. */
struct binder {
    sqlite3_stmt *st;
    struct bound *b;
    text_slot_t *slot;
};

/* A ring of batches: the parser's thread fills batch[(head + queued) % RING_BATCHES] while
 * the writer stores the `queued` ones from head on. */
struct rw_thread {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t to_writer, to_parser;
    struct rw_row *batch[RING_BATCHES];
    size_t count[RING_BATCHES];
    size_t head, queued; /* under mu */
    struct rw_row *fill; /* the parser's batch; only the parser's thread touches it */
    size_t nfill;
    int stop;
    double cpu_s; /* the thread's CPU time, set when it ends */
    int failed; /* a row could not be stored: errmsg says why */
    char errmsg[256];
    struct ikm_textbuf tb;
    struct row_writer *w;
};

struct row_writer {
    sqlite3 *db;
    /* each insert with its parameters: one row per insert, and RUN_ROWS rows per insert */
    struct binder bind_row[RS_COUNT], bind_run[RS_RUNS];
    int64_t source_id;
    const char *device; /* borrowed (rw_source) */
    int64_t msg_max; /* the largest id of ike_messages, rows queued included */
    int64_t msg_rows; /* message rows stored since rw_source (the storing thread's) */
    FILE *diag_out;
    struct rw_thread *th; /* NULL: rows stored in place */
    struct ikm_textbuf tb; /* for rows stored in place */
    double cpu_s;          /* of the threads that ended */
};

/* ---- the inserts ---------------------------------------------------------------------------- */

/* "INSERT OR FAIL ... VALUES(tuple)" with the tuple repeated `rows` times; NULL without
 * memory. OR FAIL: a many-row insert that may abort halfway needs a statement journal (a
 * savepoint per statement, every page it touches copied: more than the rows' own cost);
 * one that stops where it fails does not, and a failed row fails the whole source anyway. */
static char *insert_rows_sql(const char *one, int rows)
{
    const char *v = strstr(one, "VALUES");
    if (strncmp(one, "INSERT ", 7) != 0 || !v)
        return NULL;
    v += 6;
    size_t head = (size_t)(v - one) - 7, tuple = strlen(v);
    char *sql = malloc(15 + head + (size_t)rows * (tuple + 1) + 1);
    if (!sql)
        return NULL;
    memcpy(sql, "INSERT OR FAIL ", 15);
    memcpy(sql + 15, one + 7, head);
    char *o = sql + 15 + head;
    for (int i = 0; i < rows; i++) {
        if (i)
            *o++ = ',';
        memcpy(o, v, tuple);
        o += tuple;
    }
    *o = '\0';
    return sql;
}

struct row_writer *rw_open(sqlite3 *db, char *err, size_t errsz)
{
    struct row_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    w->db = db;
    for (int i = 0; i < RS_COUNT + RS_RUNS; i++) {
        struct binder *x = i < RS_COUNT ? &w->bind_row[i] : &w->bind_run[i - RS_COUNT];
        char *runsql = i < RS_COUNT ? NULL : insert_rows_sql(row_sql[i - RS_COUNT], RUN_ROWS);
        const char *q = i < RS_COUNT ? row_sql[i] : runsql;
        int rc = q ? sqlite3_prepare_v3(db, q, -1, SQLITE_PREPARE_PERSISTENT, &x->st, NULL) : SQLITE_NOMEM;
        free(runsql);
        if (rc != SQLITE_OK) {
            snprintf(err, errsz, "database: %s", q ? sqlite3_errmsg(db) : "out of memory");
            rw_close(w);
            return NULL;
        }
        size_t n = (size_t)sqlite3_bind_parameter_count(x->st) + 1;
        if (!(x->b = calloc(n, sizeof *x->b + sizeof *x->slot))) {
            snprintf(err, errsz, "out of memory");
            rw_close(w);
            return NULL;
        }
        x->slot = (text_slot_t *)(x->b + n);
    }
    return w;
}

void rw_source(struct row_writer *w, int64_t source_id, const char *device, FILE *diag_out)
{
    w->source_id = source_id;
    w->device = device;
    w->diag_out = diag_out;
    /* the device name of the last source may have been freed and its memory given to this
     * one's: an address compared equal would keep the old name's length (SQLite measures a
     * text when it is bound), so every parameter is bound afresh */
    for (int i = 0; i < RS_COUNT + RS_RUNS; i++) {
        struct binder *x = i < RS_COUNT ? &w->bind_row[i] : &w->bind_run[i - RS_COUNT];
        memset(x->b, 0, ((size_t)sqlite3_bind_parameter_count(x->st) + 1) * sizeof *x->b); /* BOUND_UNKNOWN */
    }
    /* no thread runs between sources: the connection is this thread's */
    if (ikm_db_int(w->db, "SELECT COALESCE(max(id), 0) FROM ike_messages", &w->msg_max) < 0)
        w->msg_max = -1; /* unknown: no row is taken for the table's next */
    w->msg_rows = 0;
}

int64_t rw_source_messages(const struct row_writer *w)
{
    return w->msg_rows;
}

double rw_cpu_s(const struct row_writer *w)
{
    return w->cpu_s;
}

int rw_running(const struct row_writer *w)
{
    return w->th != NULL;
}

/* 16 lowercase hex digits: one per capture message, so not through printf */
static void hex16(uint64_t v, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = digits[v & 15];
    out[16] = '\0';
}

/* ---- binding ---------------------------------------------------------------------------------
 * Binding was a third of the writer thread's time, and consecutive rows repeat most of their
 * columns (ports, version, exchange type, flags, the NULLs of what a capture lacks), so each
 * writer insert remembers what its parameters hold and a value equal to it is not bound again
 * (SQLite keeps bindings across resets). Texts that stay put while a source is read (literals,
 * the device name) are compared by address, and rw_source forgets every parameter. A text in
 * row memory (addresses, SPIs, the payload chain) is copied into its parameter's own slot,
 * which stays bound (SQLITE_STATIC: SQLite reads it when the statement steps, not when it is
 * bound): only a text of another length is bound again, since SQLite keeps the length it was
 * given. Binding those texts anew every row was a tenth of the thread (callgrind). */

static inline void put_null(struct binder *x, int i)
{
    if (x->b[i].kind == BOUND_NULL)
        return;
    sqlite3_bind_null(x->st, i);
    x->b[i].kind = BOUND_NULL;
}

static inline void put_int(struct binder *x, int i, int64_t v)
{
    if (x->b[i].kind == BOUND_INT && x->b[i].v == v)
        return;
    sqlite3_bind_int64(x->st, i, v);
    x->b[i].v = v;
    x->b[i].kind = BOUND_INT;
}

static inline void put_opt_int(struct binder *x, int i, int64_t v)
{
    if (v < 0)
        put_null(x, i);
    else
        put_int(x, i, v);
}

/* A NUL-terminated text that stays where it is until the source ends; NULL or "" is NULL. */
static void put_static(struct binder *x, int i, const char *s)
{
    if (!s || !*s) {
        put_null(x, i);
        return;
    }
    if (x->b[i].kind == BOUND_STATIC && x->b[i].v == (int64_t)(intptr_t)s)
        return;
    sqlite3_bind_text(x->st, i, s, -1, SQLITE_STATIC);
    x->b[i].v = (int64_t)(intptr_t)s;
    x->b[i].kind = BOUND_STATIC;
}

/* The slot of parameter i, bound to hold n bytes; the caller writes them before the step. */
static char *text_slot(struct binder *x, int i, size_t n)
{
    struct bound *b = &x->b[i];
    if (b->kind != BOUND_SLOT || b->v != (int64_t)n) {
        sqlite3_bind_text(x->st, i, x->slot[i], (int)n, SQLITE_STATIC);
        b->kind = BOUND_SLOT;
        b->v = (int64_t)n;
    }
    return x->slot[i];
}

/* A text in row memory (alive until the step, then reused). */
static void put_row_text(struct binder *x, int i, const char *s, size_t n)
{
    if (n <= TEXT_SLOT) {
        memcpy(text_slot(x, i, n), s, n);
        return;
    }
    sqlite3_bind_text(x->st, i, s, (int)n, SQLITE_STATIC);
    x->b[i].kind = BOUND_UNKNOWN;
}

static void put_ip(struct binder *x, int i, const char *ip)
{
    if (ip[0])
        put_row_text(x, i, ip, strlen(ip));
    else
        put_null(x, i);
}

static void put_payloads(struct binder *x, int i, const struct ikm_ike_msg *m, struct ikm_textbuf *tb)
{
    if (!m->payloads[0]) {
        put_null(x, i);
        return;
    }
    size_t n = strnlen(m->payloads, sizeof m->payloads);
    if (ikm_text_is_clean(m->payloads, n)) {
        put_row_text(x, i, m->payloads, n);
        return;
    }
    ikm_db_bind_text(x->st, i, m->payloads, n, tb); /* its safe copy */
    x->b[i].kind = BOUND_UNKNOWN;
}

static const char *dir_name(enum ikm_dir d)
{
    return d == IKM_DIR_SENT ? "sent" : d == IKM_DIR_RECV ? "recv" : NULL;
}

/* The columns every message row starts with, from parameter `at`: unit, UTC and local time,
 * zone state, device, direction, addresses and ports (10 parameters). */
static void bind_msg_where(struct binder *x, int at, const struct row_writer *rw, const struct ikm_ike_msg *m)
{
    put_int(x, at, m->unit);
    put_int(x, at + 1, m->t.utc_us);
    put_int(x, at + 2, m->t.local_us);
    put_static(x, at + 3, ikm_tz_state_name(m->t.state));
    put_static(x, at + 4, rw->device);
    put_static(x, at + 5, dir_name(m->dir));
    put_ip(x, at + 6, m->src_ip);
    put_opt_int(x, at + 7, m->src_port);
    put_ip(x, at + 8, m->dst_ip);
    put_opt_int(x, at + 9, m->dst_port);
}

/* The columns a capture row and a wide log row share, in the same order in both inserts, from
 * parameter `at`: bind_msg_where's, then SPIs, version, exchange type, flags, response flag,
 * message id (17 parameters). */
static void bind_msg_head(struct binder *x, int at, const struct row_writer *rw, const struct ikm_ike_msg *m)
{
    bind_msg_where(x, at, rw, m);
    if (m->has_spi) {
        hex16(m->ispi, text_slot(x, at + 10, 16));
        hex16(m->rspi, text_slot(x, at + 11, 16));
    } else {
        put_null(x, at + 10);
        put_null(x, at + 11);
    }
    put_opt_int(x, at + 12, m->version);
    put_opt_int(x, at + 13, m->exch_type);
    put_opt_int(x, at + 14, m->flags);
    put_opt_int(x, at + 15, m->is_response);
    put_opt_int(x, at + 16, m->msg_id);
}

/* Nothing set that only captures (or a richer log) give: ins_lmsg stores it whole. */
static int log_row_narrow(const struct ikm_ike_msg *m)
{
    return !m->has_spi && m->flags < 0 && m->next_payload < 0 && m->notify_error < 0 && m->ke_group < 0 &&
           m->frag_num < 0 && m->frag_total < 0 && m->liveness < 0 && !m->payloads[0];
}

/* Whether none of the captured rows has what RS_CAP_NARROW leaves out. */
static int cap_rows_narrow(const struct rw_row *const *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct ikm_ike_msg *m = &rows[i]->m;
        if (rows[i]->retransmit_of > 0 || m->notify_error >= 0 || m->frag_num >= 0 || m->frag_total >= 0)
            return 0;
    }
    return 1;
}

/* Which of the row inserts stores r (RS_CAP may become RS_CAP_NARROW when stored); the first
 * RS_RUNS also exist as RUN_ROWS-row inserts. */
static enum row_stmt row_stmt_of(const struct rw_row *r)
{
    switch (r->kind) {
    case CAP_MSG:
        return RS_CAP;
    case CAP_XCH:
        return RS_XCH;
    case LOG_XCH:
        return RS_LXCH;
    case LOG_MSG:
        return log_row_narrow(&r->m) ? RS_LMSG : RS_LOG_WIDE;
    case LOG_BUMP:
        break;
    }
    return RS_BUMP;
}

/* row_stmt_of, with a logged row whose id is the message table's next taken as such; called
 * once per row in the order rows are stored (it follows the table's largest id). */
static enum row_stmt row_stmt_next(struct row_writer *w, const struct rw_row *r)
{
    enum row_stmt k = row_stmt_of(r);
    if (k != RS_CAP && k != RS_LMSG && k != RS_LOG_WIDE)
        return k; /* an exchange or a retransmit count */
    if (w->msg_max < 0)
        return k;
    if (k == RS_LMSG && r->id == w->msg_max + 1)
        k = RS_LMSG_APP;
    if (r->id > w->msg_max)
        w->msg_max = r->id;
    return k;
}

static void bind_exchange(struct binder *x, int at, const struct ikm_exchange *e)
{
    put_int(x, at, e->request_id);
    put_opt_int(x, at + 1, e->response_id > 0 ? e->response_id : -1);
    put_opt_int(x, at + 2, e->rtt_us);
    put_int(x, at + 3, e->retransmits);
    put_static(x, at + 4, e->initiator);
}

/* The exchange a logged row opens (its xch_* columns, 4 parameters from `at`): set on our
 * requests by the log pairer, NULL on every other row. */
static void bind_opened_exchange(struct binder *x, int at, const struct rw_row *r)
{
    if (!r->x.request_id) {
        for (int i = 0; i < 4; i++)
            put_null(x, at + i);
        return;
    }
    put_opt_int(x, at, r->x.response_id > 0 ? r->x.response_id : -1);
    put_opt_int(x, at + 1, r->x.rtt_us);
    put_int(x, at + 2, r->x.retransmits);
    put_static(x, at + 3, r->x.initiator);
}

/* A message row's retransmit_of column (-1: NULL); an exchange row does not set the field. */
static int64_t retransmit_col(const struct rw_row *r)
{
    return r->retransmit_of > 0 ? r->retransmit_of : -1;
}

/* Binds row r's values to parameters at.. of its insert (one tuple of a run insert). */
static void bind_row(struct row_writer *rw, struct binder *x, int at, const struct rw_row *r, enum row_stmt k,
                     struct ikm_textbuf *tb)
{
    const struct ikm_ike_msg *m = &r->m;
    switch (k) {
    case RS_LMSG: /* its id, then what the _APP insert has */
        put_int(x, at, r->id);
        bind_row(rw, x, at + 1, r, RS_LMSG_APP, tb);
        return;
    case RS_LMSG_APP:
        put_int(x, at, rw->source_id);
        bind_msg_where(x, at + 1, rw, m);
        put_opt_int(x, at + 11, m->version);
        put_opt_int(x, at + 12, m->exch_type);
        put_opt_int(x, at + 13, m->is_response);
        put_opt_int(x, at + 14, m->msg_id);
        put_opt_int(x, at + 15, m->expected_msg_id);
        put_opt_int(x, at + 16, m->length);
        put_opt_int(x, at + 17, m->natt);
        put_opt_int(x, at + 18, m->copies);
        put_opt_int(x, at + 19, m->gw_id);
        put_opt_int(x, at + 20, m->tn_id);
        put_opt_int(x, at + 21, retransmit_col(r));
        bind_opened_exchange(x, at + 22, r);
        return;
    case RS_LOG_WIDE: /* never in a run */
        put_int(x, 1, rw->source_id);
        put_static(x, 2, "log");
        bind_msg_head(x, 3, rw, m);
        put_opt_int(x, 20, m->expected_msg_id);
        put_opt_int(x, 21, m->length);
        put_opt_int(x, 22, m->natt);
        put_opt_int(x, 23, m->copies);
        put_opt_int(x, 24, m->gw_id);
        put_opt_int(x, 25, m->tn_id);
        put_opt_int(x, 26, m->next_payload);
        put_null(x, 27); /* length_mismatch: captures only */
        put_opt_int(x, 28, m->notify_error);
        put_opt_int(x, 29, m->ke_group);
        put_opt_int(x, 30, m->frag_num);
        put_opt_int(x, 31, m->frag_total);
        put_opt_int(x, 32, m->liveness);
        put_payloads(x, 33, m, tb);
        put_int(x, 34, r->id);
        put_opt_int(x, 35, retransmit_col(r));
        bind_opened_exchange(x, 36, r);
        return;
    case RS_XCH:
    case RS_LXCH:
        bind_exchange(x, at, &r->x);
        return;
    case RS_BUMP:
    case RS_COUNT:
        put_int(x, at, r->id);
        return;
    case RS_CAP_NARROW:
        put_int(x, at, rw->source_id);
        bind_msg_head(x, at + 1, rw, m);
        put_opt_int(x, at + 18, m->length);
        put_opt_int(x, at + 19, m->natt);
        put_opt_int(x, at + 20, m->next_payload);
        put_int(x, at + 21, m->length_mismatch);
        put_opt_int(x, at + 22, m->ke_group);
        put_opt_int(x, at + 23, m->liveness);
        put_payloads(x, at + 24, m, tb);
        return;
    case RS_CAP: /* the narrow insert's, then four more */
        bind_row(rw, x, at, r, RS_CAP_NARROW, tb);
        put_opt_int(x, at + 25, retransmit_col(r));
        put_opt_int(x, at + 26, m->notify_error);
        put_opt_int(x, at + 27, m->frag_num);
        put_opt_int(x, at + 28, m->frag_total);
        return;
    }
}

/* Stores n rows that share an insert (n == 1, or RUN_ROWS through the run insert, which
 * opens the table once for them all: per-statement work was a tenth of the writer's time).
 * The writer thread's and the in-place path. Returns 0, or -1 with SQLite's message in
 * errmsg. */
static int store_rows(struct row_writer *rw, const struct rw_row *const *rows, size_t n, enum row_stmt k,
                     struct ikm_textbuf *tb, char *errmsg, size_t errsz)
{
    if (k == RS_CAP && cap_rows_narrow(rows, n))
        k = RS_CAP_NARROW;
    struct binder x = n == 1 ? rw->bind_row[k] : rw->bind_run[k];
    sqlite3_stmt *st = x.st;
    for (size_t i = 0, at = 1; i < n; i++, at += row_params[k])
        bind_row(rw, &x, (int)at, rows[i], k, tb);
    /* every parameter is bound above: no clearing */
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(errmsg, errsz, "%s", sqlite3_errmsg(rw->db));
        return -1;
    }
    int64_t want = k == RS_XCH || k == RS_LXCH ? rows[n - 1]->x.request_id : rows[n - 1]->id;
    if (k != RS_XCH && k != RS_LXCH && k != RS_BUMP)
        rw->msg_rows += (int64_t)n;
    if (k != RS_BUMP && sqlite3_last_insert_rowid(rw->db) != want) {
        /* cannot happen inside the source's own transaction; never pair against wrong ids */
        snprintf(errmsg, errsz, "row stored as %lld, paired as %lld", (long long)sqlite3_last_insert_rowid(rw->db),
                 (long long)want);
        return -1;
    }
    return 0;
}

static int row_is_exchange(const struct rw_row *r)
{
    return r->kind == CAP_XCH || r->kind == LOG_XCH || r->kind == LOG_BUMP;
}

/* Stores a batch's rows of one pass (messages, or exchanges) in order, consecutive rows of
 * the same insert RUN_ROWS at a time. */
static int store_pass(struct row_writer *rw, const struct rw_row *rows, size_t n, int pass, struct ikm_textbuf *tb,
                          char *errmsg, size_t errsz)
{
    const struct rw_row *run[RUN_ROWS];
    enum row_stmt krun = RS_COUNT; /* the insert of the rows in run */
    size_t nrun = 0;
    for (size_t i = 0; i < n; i++) {
        /* the rows were written on the parser's core: fetch the next ones' lines ahead
         * (waiting for them was a sixth of this thread's time, perf annotate) */
        if (pass == 0 && i + PREFETCH_ROWS < n)
            for (size_t b = 0; b < ROW_HOT_BYTES; b += 64)
                __builtin_prefetch((const char *)&rows[i + PREFETCH_ROWS] + b);
        if (row_is_exchange(&rows[i]) != pass)
            continue;
        enum row_stmt k = row_stmt_next(rw, &rows[i]);
        if (nrun && krun != k) {
            for (size_t j = 0; j < nrun; j++)
                if (store_rows(rw, &run[j], 1, krun, tb, errmsg, errsz) < 0)
                    return -1;
            nrun = 0;
        }
        krun = k;
        run[nrun++] = &rows[i];
        if (k >= RS_RUNS || nrun == RUN_ROWS) {
            if (store_rows(rw, run, nrun, k, tb, errmsg, errsz) < 0)
                return -1;
            nrun = 0;
        }
    }
    for (size_t j = 0; j < nrun; j++)
        if (store_rows(rw, &run[j], 1, krun, tb, errmsg, errsz) < 0)
            return -1;
    return 0;
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void *writer_main(void *arg)
{
    struct rw_thread *th = arg;
    pthread_mutex_lock(&th->mu);
    for (;;) {
        while (!th->queued && !th->stop)
            pthread_cond_wait(&th->to_writer, &th->mu);
        if (!th->queued)
            break; /* stop, and nothing left */
        struct rw_row *rows = th->batch[th->head];
        size_t n = th->count[th->head];
        int failed = th->failed;
        pthread_mutex_unlock(&th->mu);
        char msg[sizeof th->errmsg] = "";
        /* messages first, then the batch's exchanges and retransmit counts in their order:
         * alternating between the two tables' inserts cost a quarter more than grouping
         * them (their pages and statements evict each other). Nothing orders a message
         * after an exchange: message ids are assigned by the parser, exchange rows only
         * name them. */
        for (int pass = 0; pass < 2 && !failed; pass++)
            failed = store_pass(th->w, rows, n, pass, &th->tb, msg, sizeof msg) < 0;
        pthread_mutex_lock(&th->mu);
        if (failed && !th->failed) {
            th->failed = 1;
            memcpy(th->errmsg, msg, sizeof msg);
        }
        th->head = (th->head + 1) % RING_BATCHES;
        th->queued--;
        pthread_cond_signal(&th->to_parser);
    }
    pthread_mutex_unlock(&th->mu);
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        th->cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
    return NULL;
}

static void thread_free(struct rw_thread *th)
{
    for (int i = 0; i < RING_BATCHES; i++)
        free(th->batch[i]);
    ikm_textbuf_free(&th->tb);
    free(th);
}

void rw_start(struct row_writer *w)
{
    if (w->th)
        return;
    struct rw_thread *th = calloc(1, sizeof *th);
    if (!th)
        return;
    th->w = w;
    for (int i = 0; i < RING_BATCHES; i++)
        if (!(th->batch[i] = malloc(BATCH_ROWS * sizeof *th->batch[i]))) {
            thread_free(th);
            return;
        }
    th->fill = th->batch[0];
    int inited = 0; /* mutex, then the two condition variables, then the thread */
    if (pthread_mutex_init(&th->mu, NULL) == 0 && ++inited && pthread_cond_init(&th->to_writer, NULL) == 0 &&
        ++inited && pthread_cond_init(&th->to_parser, NULL) == 0 && ++inited &&
        pthread_create(&th->thread, NULL, writer_main, th) == 0) {
        w->th = th;
        return;
    }
    if (inited > 2)
        pthread_cond_destroy(&th->to_parser);
    if (inited > 1)
        pthread_cond_destroy(&th->to_writer);
    if (inited > 0)
        pthread_mutex_destroy(&th->mu);
    thread_free(th);
}

/* Queues the batch being filled (waiting while every batch is queued) and takes the next one;
 * with wait, also waits until everything queued is stored. -1 when the writer failed
 * (reported once). */
static int handoff(struct row_writer *w, int wait)
{
    struct rw_thread *th = w->th;
    pthread_mutex_lock(&th->mu);
    if (!th->failed && th->nfill) {
        th->count[(th->head + th->queued) % RING_BATCHES] = th->nfill;
        th->queued++;
        pthread_cond_signal(&th->to_writer);
        while (th->queued == RING_BATCHES)
            pthread_cond_wait(&th->to_parser, &th->mu);
        th->fill = th->batch[(th->head + th->queued) % RING_BATCHES];
        th->nfill = 0;
    }
    while (wait && th->queued)
        pthread_cond_wait(&th->to_parser, &th->mu);
    int failed = th->failed;
    if (failed == 1) {
        th->failed = 2; /* reported */
        if (w->diag_out)
            fprintf(w->diag_out, "ikemortem: database: %s\n", th->errmsg);
    }
    pthread_mutex_unlock(&th->mu);
    return failed ? -1 : 0;
}

int rw_sync(struct row_writer *w)
{
    return w->th ? handoff(w, 1) : 0;
}

void rw_stop(struct row_writer *w)
{
    struct rw_thread *th = w->th;
    if (!th)
        return;
    rw_sync(w);
    pthread_mutex_lock(&th->mu);
    th->stop = 1;
    pthread_cond_signal(&th->to_writer);
    pthread_mutex_unlock(&th->mu);
    pthread_join(th->thread, NULL);
    w->cpu_s += th->cpu_s;
    pthread_cond_destroy(&th->to_writer);
    pthread_cond_destroy(&th->to_parser);
    pthread_mutex_destroy(&th->mu);
    thread_free(th);
    w->th = NULL;
}

struct rw_row *rw_slot(struct row_writer *w, struct rw_row *local)
{
    struct rw_thread *th = w->th;
    if (!th)
        return local;
    if (th->nfill == BATCH_ROWS && handoff(w, 0) < 0)
        return NULL;
    return &th->fill[th->nfill];
}

int rw_commit(struct row_writer *w, struct rw_row *r)
{
    if (w->th) {
        w->th->nfill++;
        return 0;
    }
    char msg[256];
    const struct rw_row *one = r;
    if (store_rows(w, &one, 1, row_stmt_next(w, r), &w->tb, msg, sizeof msg) < 0) {
        if (w->diag_out)
            fprintf(w->diag_out, "ikemortem: database: %s\n", msg);
        return -1;
    }
    return 0;
}

void rw_close(struct row_writer *w)
{
    if (!w)
        return;
    rw_stop(w);
    for (int i = 0; i < RS_COUNT; i++) {
        sqlite3_finalize(w->bind_row[i].st);
        free(w->bind_row[i].b);
    }
    for (int i = 0; i < RS_RUNS; i++) {
        sqlite3_finalize(w->bind_run[i].st);
        free(w->bind_run[i].b);
    }
    ikm_textbuf_free(&w->tb);
    free(w);
}
