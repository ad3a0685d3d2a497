/*
 * pairing.c — derives the `exchanges` (schema: exchange_rows, and our logged requests' own
 * xch_* columns): each IKE request matched with its response, retransmits counted, unanswered
 * requests kept with no response. One pass per origin over the messages in time order.
 *
 * Log origin. ikemgr's lines carry no SPIs and its send line no message id (DESIGN.md,
 * "exchanges"). Per device and remote address:
 *   - a send while the peer's request is waiting is our response to it;
 *   - a send of the same length as our pending request, within RETRANSMIT_GAP_US of its
 *     previous copy, is a retransmit (a retransmission resends the identical bytes);
 *   - any other send is a new request (a pending one is closed unanswered);
 *   - a received response answers our pending request, which takes its message id and
 *     exchange type;
 *   - a received request opens the peer's request (same id again: the peer retransmitted).
 * The N of "N times of M bytes" is copies sent at once (racoon2), not a retransmit count.
 *
 * Capture origin. Per device and IKE SA (initiator SPI), per message id: IKEv2 says which
 * message is a response (R flag); for IKEv1 a message with the same id from the other end
 * is the response. A request repeated from the same end with the same length before any
 * response is a retransmit. A capture does not say which end is the firewall: the device's
 * own addresses (the local end of its log sends, the configured gateways' local addresses)
 * decide `initiator` and the messages' `dir` when known.
 *
 * A capture is paired while it is being stored (ikm_capture_pairer, called by the timeline
 * sink): reading 700 k rows back was half the cost of ingesting a capture. The sink pairs each
 * capture alone, in frame order, which is what the whole-database pass gives a device that
 * has one capture; a device with several captures (rotations, a dataplane capture beside
 * ikemgr.pcap) is paired again here across them, by time. The device's own addresses are
 * known only once every source is read, so `dir` and `initiator` of sink-paired captures are
 * set here, in one statement per capture.
 *
 * A log is paired while it is being stored too (ikm_log_pairer): reading 4 M rows of a 1 GiB
 * debug log back, updating most of them through a temporary table and scanning them again for
 * retransmitted copies was more than half the cost of ingesting it. The sink holds our
 * pending request (and its copies) back until the response says its message id, so every row
 * is written once, final. That pairing stands for a device that has that one log with the
 * lines' own offsets; a device with several logs (rotations) is paired again here across them,
 * by time, as is a log whose times a zone resolves later or whose pairing hit the sink's
 * bounds (temp.pair_redo).
 *
 * Derived values are written through a temporary table and applied at the end, so the
 * scans never read rows they modified.
 */
#include "pairing.h"

#include "dbexec.h"
#include "strmap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRANSMIT_GAP_US (150LL * 1000000) /* above the longest backoff step (60-64 s) */
#define SA_WINDOW 4                        /* concurrent requests tracked per IKE SA */
#define ADDR_MAX 64
#define MERGE_SOURCES_MAX 512
#define PEER_ANSWER_US (5LL * 1000000) /* our answer to a peer's request follows within this */
/* IKE SAs with a request waiting for its response, at once. An SA is forgotten as soon as
 * nothing of it is pending, so this bounds unanswered requests of distinct SAs in flight
 * (a flood of unanswered IKE_SA_INITs), not the SAs of a capture. ~30 MiB when full. */
#define SA_LIVE_MAX ((size_t)1 << 17)

/* ---- pairing state ------------------------------------------------------------------------ */

/* The slots of the peers a log's messages went to, direct-mapped by their addresses: building
 * a message's two keys and looking them up was half of pairing it (callgrind). An entry stands
 * while the local address recorded for its remote stays the same. */
#define PEER_MEMO 256
struct peer_memo {
    char device[128];
    char local[ADDR_MAX]; /* as the message gave it ("": the receiver was not logged) */
    char remote[ADDR_MAX];
    size_t slot;
    int used;
};

/* A log row held back by the log pairer until what pairing derives for it is known. */
struct held_row {
    int64_t id, retransmit_of;
    struct ikm_ike_msg m;
};

struct pending {
    int64_t id, last_us, length, msg_id;
    int32_t exch_type;
    int32_t retransmits;
    uint32_t src, dst; /* interned addresses (pair_ctx.addrs) */
    int active;
    int ours;          /* a log send: the row is marked a request when it closes */
    /* log pairer: our request's row and its copies, stored when it closes (they take the
     * response's message id). Only `out` holds rows; the buffer is kept for the next request. */
    struct held_row *held;
    uint32_t nheld, held_cap;
};

struct log_peer { /* per device, local and remote address */
    struct pending out, in;
    struct pending answered; /* the peer's last answered request, to recognise its resends */
    int reanswer;            /* the peer resent it: our next send answers it again */
};

struct ike_sa { /* per device and initiator SPI */
    struct pending req[SA_WINDOW];
};

/* The IKE SAs with something pending, keyed by (device, initiator SPI): an open-addressing
 * index into a dense array of entries; an entry whose requests all closed is removed (the
 * last entry moves into its place), so memory follows what is in flight. */
struct sa_entry {
    uint64_t ispi;
    uint32_t dev;
    struct ike_sa sa;
};
struct sa_map {
    uint32_t *index; /* entry + 1; 0 is empty */
    size_t index_cap;
    struct sa_entry *e;
    size_t n, cap;
};

struct pair_ctx {
    sqlite3 *db;
    sqlite3_stmt *ins_x, *ins_upd, *bump_x;
    const char *origin;
    struct ikm_strmap keys;
    void *slots; /* struct log_peer[] or struct ike_sa[] */
    size_t slot_size, nslots, slots_cap;
    struct ikm_strmap local_addrs; /* device '\x1f' ip of the device's own addresses */
    struct ikm_strmap last_local;  /* log pass: device '\x1f' remote -> index into locals */
    struct peer_memo memo[PEER_MEMO];
    char (*locals)[ADDR_MAX];
    size_t nlocals;
    struct ikm_strmap addr_ids;    /* every address seen -> index into addrs */
    char (*addrs)[ADDR_MAX];
    size_t naddrs;
    struct sa_map sas;              /* capture origin */
    struct ikm_strmap dev_ids;      /* device -> index into devs (capture keys) */
    char **devs;
    size_t ndevs;
    struct ikm_pair_stats *stats;
    int overflow;
    /* a capture being stored (ikm_capture_pairer): the message in hand is not a row yet, so
     * what pairing derives for it is handed back instead of written */
    int in_sink;
    int64_t cur_id, cur_retransmit_of;
    const char *cur_dir; /* capture pairer: the message in hand's dir, when its ends say */
    int (*emit)(void *ctx, const struct ikm_exchange *x); /* set: exchanges go there, not to ins_x */
    void *emit_ctx;
    /* a log being stored (ikm_log_pairer): rows go to emit_row once their derived values are
     * known */
    int log_sink;
    struct ikm_ike_msg *cur;    /* the message in hand (its derived values are set in place) */
    int cur_held;               /* ... kept back with our pending request */
    size_t held_total;          /* rows held, all peers */
    int redo;                   /* something the sink could not pair alone: the whole pass must */
    const struct ikm_log_pairer_out *out;
};

/* The slot for key, zeroed when new; NULL when the table is full (counted) or on no memory. */
static void *slot_get(struct pair_ctx *c, const char *key)
{
    int added;
    int64_t i = ikm_strmap_get(&c->keys, key, (uint32_t)c->nslots, &added);
    if (i < 0) {
        c->overflow = 1;
        return NULL;
    }
    if (added) {
        if (c->nslots == c->slots_cap) {
            size_t ncap = c->slots_cap ? c->slots_cap * 2 : 64;
            void *ns = realloc(c->slots, ncap * c->slot_size);
            if (!ns)
                return NULL;
            c->slots = ns;
            c->slots_cap = ncap;
        }
        memset((char *)c->slots + c->nslots * c->slot_size, 0, c->slot_size);
        c->nslots++;
    }
    return (char *)c->slots + (size_t)i * c->slot_size;
}

static uint64_t sa_hash(uint32_t dev, uint64_t ispi)
{
    uint64_t h = (ispi ^ ((uint64_t)dev << 32 | dev)) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

/* The index slot holding entry i, or of (dev, ispi) when absent (an empty slot). */
static size_t sa_slot(const struct sa_map *m, uint32_t dev, uint64_t ispi)
{
    size_t mask = m->index_cap - 1, j = sa_hash(dev, ispi) & mask;
    while (m->index[j]) {
        const struct sa_entry *x = &m->e[m->index[j] - 1];
        if (x->ispi == ispi && x->dev == dev)
            break;
        j = (j + 1) & mask;
    }
    return j;
}

static int sa_rehash(struct sa_map *m, size_t ncap)
{
    uint32_t *ni = calloc(ncap, sizeof *ni);
    if (!ni)
        return -1;
    free(m->index);
    m->index = ni;
    m->index_cap = ncap;
    for (size_t i = 0; i < m->n; i++)
        m->index[sa_slot(m, m->e[i].dev, m->e[i].ispi)] = (uint32_t)i + 1;
    return 0;
}

/* The pending requests of (dev, ispi), zeroed when new; NULL when SA_LIVE_MAX are in flight
 * (c->overflow) or on no memory. */
static struct ike_sa *sa_get(struct pair_ctx *c, uint32_t dev, uint64_t ispi)
{
    struct sa_map *m = &c->sas;
    if (m->index_cap) {
        size_t j = sa_slot(m, dev, ispi);
        if (m->index[j])
            return &m->e[m->index[j] - 1].sa;
    }
    if (m->n >= SA_LIVE_MAX) {
        c->overflow = 1;
        return NULL;
    }
    if ((m->n + 1) * 2 > m->index_cap && sa_rehash(m, m->index_cap ? m->index_cap * 2 : 1024) < 0)
        return NULL;
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 256;
        struct sa_entry *ne = realloc(m->e, ncap * sizeof *ne);
        if (!ne)
            return NULL;
        m->e = ne;
        m->cap = ncap;
    }
    struct sa_entry *x = &m->e[m->n];
    memset(x, 0, sizeof *x);
    x->dev = dev;
    x->ispi = ispi;
    m->index[sa_slot(m, dev, ispi)] = (uint32_t)++m->n;
    return &x->sa;
}

/* Forgets (dev, ispi) when none of its requests is pending: linear probing closes the gap by
 * moving later entries of the cluster back; the last dense entry fills the hole. */
static void sa_forget_if_idle(struct pair_ctx *c, uint32_t dev, uint64_t ispi)
{
    struct sa_map *m = &c->sas;
    if (!m->index_cap)
        return;
    size_t mask = m->index_cap - 1, j = sa_slot(m, dev, ispi);
    if (!m->index[j])
        return;
    uint32_t i = m->index[j] - 1;
    for (int k = 0; k < SA_WINDOW; k++)
        if (m->e[i].sa.req[k].active)
            return;
    m->index[j] = 0;
    for (size_t k = (j + 1) & mask; m->index[k]; k = (k + 1) & mask) {
        const struct sa_entry *x = &m->e[m->index[k] - 1];
        size_t home = sa_hash(x->dev, x->ispi) & mask;
        /* k's entry may move back to j when its home is not in (j, k] (cyclically) */
        if ((j < k) ? (home <= j || home > k) : (home <= j && home > k)) {
            m->index[j] = m->index[k];
            m->index[k] = 0;
            j = k;
        }
    }
    if (i != m->n - 1) {
        m->e[i] = m->e[m->n - 1];
        m->index[sa_slot(m, m->e[i].dev, m->e[i].ispi)] = i + 1;
    }
    m->n--;
}

static void sa_free(struct sa_map *m)
{
    free(m->index);
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* The interned id of a device name (capture keys); 0 when none or the table is full. */
static uint32_t dev_id(struct pair_ctx *c, const char *device)
{
    if (!device || !*device)
        return 0;
    int added;
    int64_t i = ikm_strmap_get(&c->dev_ids, device, (uint32_t)c->ndevs + 1, &added);
    if (i < 0)
        return 0;
    if (added) {
        char **nd = realloc(c->devs, (c->ndevs + 1) * sizeof *nd);
        char *copy = strdup(device);
        if (!nd || !copy) {
            free(copy);
            if (nd)
                c->devs = nd;
            return 0;
        }
        c->devs = nd;
        c->devs[c->ndevs++] = copy;
    }
    return (uint32_t)i;
}

static const char *dev_name(const struct pair_ctx *c, uint32_t id)
{
    return id && id <= c->ndevs ? c->devs[id - 1] : NULL;
}

static void memo_clear(struct pair_ctx *c)
{
    for (int i = 0; i < PEER_MEMO; i++)
        c->memo[i].used = 0;
}

static void reset_slots(struct pair_ctx *c, size_t slot_size)
{
    memo_clear(c);
    ikm_strmap_free(&c->keys);
    free(c->slots);
    c->slots = NULL;
    c->nslots = c->slots_cap = 0;
    c->slot_size = slot_size;
}

/* "a\x1fb[\x1fc]" into key (NULL c: two parts), cut at ksz - 1 bytes as snprintf cuts it. A
 * log's every message builds two keys: snprintf was 8 % of ingesting a debug log. */
static void make_key(char *key, size_t ksz, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    const char *part[3] = {a ? a : "", b ? b : "", c};
    for (int i = 0; i < 3 && part[i]; i++) {
        if (i && n + 1 < ksz)
            key[n++] = '\x1f';
        size_t l = strlen(part[i]);
        if (l > ksz - 1 - n)
            l = ksz - 1 - n;
        memcpy(key + n, part[i], l);
        n += l;
    }
    key[n] = '\0';
}

static int step(sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? 0 : -1;
}

/* The interned id of an address (0 is the empty address). */
static uint32_t addr_id(struct pair_ctx *c, const char *ip)
{
    if (!ip || !*ip)
        return 0;
    if (c->naddrs == 0) { /* id 0: the empty address */
        c->addrs = calloc(1, sizeof *c->addrs);
        if (!c->addrs)
            return 0;
        c->naddrs = 1;
    }
    int added;
    int64_t i = ikm_strmap_get(&c->addr_ids, ip, (uint32_t)c->naddrs, &added);
    if (i < 0)
        return 0;
    if (added) {
        char(*na)[ADDR_MAX] = realloc(c->addrs, (c->naddrs + 1) * sizeof *na);
        if (!na)
            return 0;
        c->addrs = na;
        snprintf(c->addrs[c->naddrs], ADDR_MAX, "%s", ip);
        c->naddrs++;
    }
    return (uint32_t)i;
}

static const char *addr_of(const struct pair_ctx *c, uint32_t id)
{
    return id && id < c->naddrs ? c->addrs[id] : "";
}

/* 'local' / 'peer' when the request's ends say which is the device, else NULL. */
static const char *initiator_of(struct pair_ctx *c, const char *device, const struct pending *p)
{
    if (!c->local_addrs.used)
        return NULL;
    char key[ADDR_MAX + 200];
    snprintf(key, sizeof key, "%s\x1f%s", device ? device : "", addr_of(c, p->src));
    if (ikm_strmap_has(&c->local_addrs, key))
        return "local";
    snprintf(key, sizeof key, "%s\x1f%s", device ? device : "", addr_of(c, p->dst));
    if (ikm_strmap_has(&c->local_addrs, key))
        return "peer";
    return NULL;
}

/* The exchange request p closed with (response_id 0: unanswered), counted. */
static struct ikm_exchange make_exchange(struct pair_ctx *c, const struct pending *p, int64_t response_id,
                                         int64_t response_us, const char *initiator)
{
    struct ikm_exchange x = {p->id, response_id > 0 ? response_id : 0, -1, p->retransmits, initiator};
    /* a clock stepped back between the two lines: the pairing stands, the RTT does not */
    if (response_id > 0 && response_us >= p->last_us)
        x.rtt_us = response_us - p->last_us;
    c->stats->answered += response_id > 0;
    c->stats->exchanges++;
    return x;
}

/* An exchange of its own (exchange_rows): one whose request row is stored already. */
static int put_exchange_row(struct pair_ctx *c, const struct ikm_exchange *x)
{
    if (c->log_sink)
        return c->out->exchange(c->out->ctx, x);
    if (c->emit)
        return c->emit(c->emit_ctx, x);
    sqlite3_stmt *st = c->ins_x;
    sqlite3_bind_text(st, 1, c->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, x->request_id);
    if (x->response_id)
        sqlite3_bind_int64(st, 3, x->response_id);
    else
        sqlite3_bind_null(st, 3);
    if (x->rtt_us >= 0)
        sqlite3_bind_int64(st, 4, x->rtt_us);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int(st, 5, x->retransmits);
    if (x->initiator)
        sqlite3_bind_text(st, 6, x->initiator, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 6);
    return step(st);
}

/* Derived values for one message; -1 (0 for retransmit_of, NULL for dir) leaves a column
 * as it is. */
static int put_update(struct pair_ctx *c, int64_t id, int64_t msg_id, int exch_type, int is_response,
                      int64_t retransmit_of, const char *dir)
{
    if (c->log_sink) { /* a log message in hand; a held request's values are set by release_out */
        if (c->cur && id == c->cur_id) {
            if (msg_id >= 0)
                c->cur->msg_id = msg_id;
            if (exch_type >= 0)
                c->cur->exch_type = exch_type;
            if (is_response >= 0)
                c->cur->is_response = is_response;
            if (retransmit_of > 0)
                c->cur_retransmit_of = retransmit_of;
        }
        return 0;
    }
    if (c->in_sink) { /* a capture message in hand: its retransmit_of, and dir when addresses known */
        if (id == c->cur_id && retransmit_of > 0)
            c->cur_retransmit_of = retransmit_of;
        if (id == c->cur_id && dir)
            c->cur_dir = dir;
        return 0;
    }
    sqlite3_stmt *st = c->ins_upd;
    sqlite3_bind_int64(st, 1, id);
    if (msg_id >= 0)
        sqlite3_bind_int64(st, 2, msg_id);
    if (exch_type >= 0)
        sqlite3_bind_int(st, 3, exch_type);
    if (is_response >= 0)
        sqlite3_bind_int(st, 4, is_response);
    if (retransmit_of > 0)
        sqlite3_bind_int64(st, 5, retransmit_of);
    if (dir)
        sqlite3_bind_text(st, 6, dir, -1, SQLITE_STATIC);
    int r = step(st);
    sqlite3_clear_bindings(st);
    return r;
}

/* Log pairer: our request closed, with the response's id and type (-1: none) and
 * is_response (0). Its row takes them as the whole pass's COALESCE would, and its exchange x;
 * its copies take the original's values (copy_log_originals), and all are stored. */
static int release_out(struct pair_ctx *c, struct pending *p, int64_t msg_id, int exch_type, int is_response,
                       const struct ikm_exchange *x)
{
    if (!p->nheld)
        return 0;
    struct ikm_ike_msg *o = &p->held[0].m;
    if (msg_id >= 0)
        o->msg_id = msg_id;
    if (exch_type >= 0)
        o->exch_type = exch_type;
    if (is_response >= 0)
        o->is_response = is_response;
    int r = 0;
    for (uint32_t i = 0; i < p->nheld && r == 0; i++) {
        struct held_row *h = &p->held[i];
        if (i > 0) {
            h->m.msg_id = o->msg_id;
            h->m.exch_type = o->exch_type;
            h->m.is_response = o->is_response;
        }
        r = c->out->row(c->out->ctx, h->id, &h->m, h->retransmit_of, i == 0 && x && x->request_id == h->id ? x : NULL);
    }
    /* held[0] is the request itself (hold_cur holds copies only after it) */
    if (r == 0 && x && x->request_id != p->held[0].id)
        r = put_exchange_row(c, x);
    c->held_total -= p->nheld;
    p->nheld = 0;
    return r;
}

/* Log pairer: keeps the message in hand with our pending request `p`. Past the bounds the
 * held rows are stored as they are and the whole pass pairs the source again (redo). */
#define HELD_PER_REQUEST 64
#define HELD_TOTAL_MAX 8192 /* ~3.5 MiB */
static int hold_cur(struct pair_ctx *c, struct pending *p)
{
    if (p->nheld >= HELD_PER_REQUEST || c->held_total >= HELD_TOTAL_MAX) {
        c->redo = 1;
        return 0; /* not held: stored now, as it is */
    }
    if (p->nheld == p->held_cap) {
        uint32_t ncap = p->held_cap ? p->held_cap * 2 : 2;
        struct held_row *nh = realloc(p->held, ncap * sizeof *nh);
        if (!nh)
            return -1;
        p->held = nh;
        p->held_cap = ncap;
    }
    struct held_row *h = &p->held[p->nheld++];
    h->id = c->cur_id;
    h->retransmit_of = c->cur_retransmit_of;
    ikm_ike_msg_copy(&h->m, c->cur);
    c->held_total++;
    c->cur_held = 1;
    return 0;
}

/* Request p closed: its exchange is stored with its row when the log pairer holds that (our
 * request), else as a row of its own. */
static int put_exchange(struct pair_ctx *c, struct pending *p, int64_t response_id, int64_t response_us,
                        const char *initiator, int64_t msg_id, int exch_type)
{
    struct ikm_exchange x = make_exchange(c, p, response_id, response_us, initiator);
    if (p->ours && c->log_sink && p->nheld)
        return release_out(c, p, msg_id, exch_type, 0, &x);
    return put_exchange_row(c, &x);
}

static int close_pending(struct pair_ctx *c, struct pending *p, const char *initiator)
{
    if (!p->active)
        return 0;
    p->active = 0;
    if (p->ours && put_update(c, p->id, -1, -1, 0, 0, NULL) < 0)
        return -1;
    return put_exchange(c, p, 0, 0, initiator, -1, -1);
}

static void open_pending(struct pair_ctx *c, struct pending *p, int64_t id, int64_t ts, int64_t length,
                         int64_t msg_id, int exch, const char *src, const char *dst)
{
    p->active = 1;
    p->ours = 0;
    p->id = id;
    p->last_us = ts;
    p->length = length;
    p->msg_id = msg_id;
    p->exch_type = exch;
    p->retransmits = 0;
    p->src = addr_id(c, src);
    p->dst = addr_id(c, dst);
}

/* The columns every scan reads, by index. */
#define MSG_COLUMNS                                                                                \
    "id, ts_us, dir, src_ip, dst_ip, length, is_response, msg_id, exch_type, device, ispi, version, "      \
    "expected_msg_id"
enum { C_ID, C_TS, C_DIR, C_SRC, C_DST, C_LEN, C_RESP, C_MSGID, C_EXCH, C_DEVICE, C_ISPI, C_VERSION, C_EXPECTED };

struct msg {
    int64_t id, ts, length, msg_id, expected;
    int is_resp, exch, version;
    int has_spi;
    uint64_t ispi;
    const char *dir, *src, *dst, *device;
};

/* ike_messages.ispi as stored: 16 hex digits. */
static int parse_spi(const unsigned char *s, int n, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || n != 16)
        return 0;
    for (int i = 0; i < 16; i++) {
        unsigned d = s[i];
        d = d >= '0' && d <= '9' ? d - '0' : d >= 'a' && d <= 'f' ? d - 'a' + 10 : d >= 'A' && d <= 'F' ? d - 'A' + 10 : 16;
        if (d > 15)
            return 0;
        v = v << 4 | d;
    }
    *out = v;
    return 1;
}

static int64_t col_i64(sqlite3_stmt *st, int i, int64_t dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, i);
}

static void read_msg(sqlite3_stmt *q, struct msg *m)
{
    m->id = sqlite3_column_int64(q, C_ID);
    m->ts = sqlite3_column_int64(q, C_TS);
    m->dir = (const char *)sqlite3_column_text(q, C_DIR);
    m->src = (const char *)sqlite3_column_text(q, C_SRC);
    m->dst = (const char *)sqlite3_column_text(q, C_DST);
    m->length = col_i64(q, C_LEN, -1);
    m->is_resp = (int)col_i64(q, C_RESP, -1);
    m->msg_id = col_i64(q, C_MSGID, -1);
    m->exch = (int)col_i64(q, C_EXCH, -1);
    m->device = (const char *)sqlite3_column_text(q, C_DEVICE);
    m->has_spi = parse_spi(sqlite3_column_text(q, C_ISPI), sqlite3_column_bytes(q, C_ISPI), &m->ispi);
    m->version = (int)col_i64(q, C_VERSION, -1);
    m->expected = col_i64(q, C_EXPECTED, -1);
}

/* The local address of a log message: the sender of a send; for a received message the
 * receiver when the parser knew it, else the local end last used towards that remote. */
static const char *log_local(struct pair_ctx *c, const struct msg *m, int sent)
{
    char key[ADDR_MAX + 200];
    const char *remote = sent ? m->dst : m->src, *local = sent ? m->src : m->dst;
    make_key(key, sizeof key, m->device, remote, NULL);
    if (local && local[0]) {
        int added;
        int64_t i = ikm_strmap_get(&c->last_local, key, (uint32_t)c->nlocals, &added);
        if (i >= 0 && added) {
            char(*nl)[ADDR_MAX] = realloc(c->locals, (c->nlocals + 1) * sizeof *nl);
            if (!nl)
                return local;
            c->locals = nl;
            c->locals[c->nlocals][0] = '\0'; /* a new slot: compared below before it is set */
            c->nlocals++;
        }
        if (i >= 0 && strcmp(c->locals[i], local) != 0) {
            snprintf(c->locals[i], ADDR_MAX, "%s", local);
            memo_clear(c); /* a message that did not log its receiver may now go elsewhere */
        }
        return local;
    }
    int added;
    int64_t i = ikm_strmap_has(&c->last_local, key) ? ikm_strmap_get(&c->last_local, key, 0, &added) : -1;
    return i >= 0 ? c->locals[i] : "";
}

static struct peer_memo *memo_entry(struct pair_ctx *c, const char *local, const char *remote)
{
    uint32_t h = 2166136261u;
    for (const char *q = remote; *q; q++)
        h = (h ^ (unsigned char)*q) * 16777619u;
    for (const char *q = local; *q; q++)
        h = (h ^ (unsigned char)*q) * 16777619u;
    return &c->memo[h % PEER_MEMO];
}

/* The slot of (device, local, remote) when the memo has it, else NULL. */
static void *memo_get(struct pair_ctx *c, const char *device, const char *local, const char *remote)
{
    const struct peer_memo *e = memo_entry(c, local, remote);
    if (e->used && strcmp(e->remote, remote) == 0 && strcmp(e->local, local) == 0 && strcmp(e->device, device) == 0)
        return (char *)c->slots + e->slot * c->slot_size;
    return NULL;
}

static void memo_put(struct pair_ctx *c, const char *device, const char *local, const char *remote, void *slot)
{
    if (strlen(device) >= sizeof c->memo[0].device || strlen(local) >= ADDR_MAX || strlen(remote) >= ADDR_MAX)
        return;
    struct peer_memo *e = memo_entry(c, local, remote);
    strcpy(e->device, device);
    strcpy(e->local, local);
    strcpy(e->remote, remote);
    e->slot = (size_t)((char *)slot - (char *)c->slots) / c->slot_size;
    e->used = 1;
}

static int on_log_message(struct pair_ctx *c, const struct msg *m)
{
    if (!m->dir)
        return 0;
    int sent = strcmp(m->dir, "sent") == 0;
    const char *remote = sent ? m->dst : m->src;
    if (!remote)
        return 0;
    const char *device = m->device ? m->device : "", *local = sent ? m->src : m->dst;
    if (!local)
        local = "";
    struct log_peer *p = memo_get(c, device, local, remote);
    if (!p) {
        char key[2 * ADDR_MAX + 200];
        make_key(key, sizeof key, m->device, log_local(c, m, sent), remote);
        if (!(p = slot_get(c, key)))
            return c->overflow ? 0 : -1;
        memo_put(c, device, local, remote, p);
    }
    if (sent) {
        /* our answer follows the peer's request closely; later, the request went unanswered */
        if (p->in.active && m->ts - p->in.last_us > PEER_ANSWER_US && close_pending(c, &p->in, "peer") < 0)
            return -1;
        if (p->reanswer && m->ts - p->answered.last_us <= PEER_ANSWER_US) {
            p->reanswer = 0; /* the same answer again, for the peer's resend */
            return put_update(c, m->id, p->answered.msg_id, p->answered.exch_type, 1, 0, NULL);
        }
        p->reanswer = 0;
        if (p->in.active) {
            p->in.active = 0;
            p->answered = p->in;
            if (put_exchange(c, &p->in, m->id, m->ts, "peer", -1, -1) < 0 ||
                put_update(c, m->id, p->in.msg_id, p->in.exch_type, 1, 0, NULL) < 0)
                return -1;
            return 0;
        }
        if (p->out.active && m->length == p->out.length && m->ts - p->out.last_us <= RETRANSMIT_GAP_US) {
            p->out.retransmits++;
            p->out.last_us = m->ts;
            if (put_update(c, m->id, -1, -1, 0, p->out.id, NULL) < 0)
                return -1;
            /* a copy takes its original's id and type (copy_log_originals) once answered */
            return c->log_sink && p->out.nheld ? hold_cur(c, &p->out) : 0;
        }
        if (close_pending(c, &p->out, "local") < 0)
            return -1;
        open_pending(c, &p->out, m->id, m->ts, m->length, -1, -1, m->src, m->dst);
        p->out.ours = 1; /* marked a request when it closes: answered or not, one update */
        return c->log_sink ? hold_cur(c, &p->out) : 0;
    }
    if (m->is_resp == 1) {
        if (!p->out.active)
            return 0; /* its request is not in the inputs (earlier rotation, debug turned on late) */
        /* "response message_id X expected Y": ikemgr drops a response it did not expect, so it
         * answers nothing and our request stays open (the mismatch is an event of its own) */
        if (m->expected >= 0 && m->msg_id >= 0 && m->expected != m->msg_id)
            return 0;
        p->out.active = 0;
        if (put_exchange(c, &p->out, m->id, m->ts, "local", m->msg_id, m->exch) < 0 ||
            put_update(c, p->out.id, m->msg_id, m->exch, 0, 0, NULL) < 0)
            return -1;
        return 0;
    }
    if (m->is_resp == 0) {
        if (p->in.active && m->msg_id >= 0 && m->msg_id == p->in.msg_id) {
            p->in.retransmits++;
            p->in.last_us = m->ts;
            if (c->log_sink) /* the peer's original's values (copy_log_originals) */
                c->cur->exch_type = p->in.exch_type, c->cur->is_response = 0;
            return put_update(c, m->id, -1, -1, -1, p->in.id, NULL);
        }
        if (p->answered.id && m->msg_id >= 0 && m->msg_id == p->answered.msg_id &&
            m->ts - p->answered.last_us <= RETRANSMIT_GAP_US) {
            /* the peer resent a request we answered: our answer did not reach it */
            p->answered.last_us = m->ts;
            p->reanswer = 1;
            if (c->log_sink) {
                c->cur->exch_type = p->answered.exch_type, c->cur->is_response = 0;
                if (c->out->bump(c->out->ctx, p->answered.id) < 0)
                    return -1;
            } else {
                sqlite3_stmt *st = c->bump_x;
                sqlite3_bind_int64(st, 1, p->answered.id);
                if (step(st) < 0)
                    return -1;
            }
            return put_update(c, m->id, -1, -1, -1, p->answered.id, NULL);
        }
        if (close_pending(c, &p->in, "peer") < 0)
            return -1;
        /* ikemgr drops a request whose id is not the one it expects: nothing will answer it */
        if (m->expected >= 0 && m->msg_id >= 0 && m->expected != m->msg_id)
            return 0;
        open_pending(c, &p->in, m->id, m->ts, m->length, m->msg_id, m->exch, m->src, m->dst);
    }
    return 0;
}

/* "sent" / "recv" for a capture message whose ends include one of the device's addresses. */
static const char *capture_dir(struct pair_ctx *c, const struct msg *m)
{
    if (!c->local_addrs.used)
        return NULL;
    char key[ADDR_MAX + 200];
    snprintf(key, sizeof key, "%s\x1f%s", m->device ? m->device : "", m->src ? m->src : "");
    if (ikm_strmap_has(&c->local_addrs, key))
        return "sent";
    snprintf(key, sizeof key, "%s\x1f%s", m->device ? m->device : "", m->dst ? m->dst : "");
    if (ikm_strmap_has(&c->local_addrs, key))
        return "recv";
    return NULL;
}

static int capture_step(struct pair_ctx *c, struct ike_sa *sa, const struct msg *m)
{
    struct pending *p = NULL, *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < SA_WINDOW; i++) {
        struct pending *q = &sa->req[i];
        if (!q->active) {
            if (!free_slot)
                free_slot = q;
            continue;
        }
        if (q->msg_id == m->msg_id && !p)
            p = q;
        if (!oldest || q->last_us < oldest->last_us)
            oldest = q;
    }
    uint32_t src = addr_id(c, m->src), dst = addr_id(c, m->dst);
    /* IKEv2 says it (R flag); otherwise a message from the other end answers */
    int is_resp = m->version == 2 && m->is_resp >= 0 ? m->is_resp : (p && src == p->dst && dst == p->src);
    if (is_resp) {
        if (!p || src != p->dst)
            return 0; /* a response whose request was not captured, or a duplicate */
        p->active = 0;
        return put_exchange(c, p, m->id, m->ts, initiator_of(c, m->device, p), -1, -1);
    }
    if (p && src == p->src && m->length == p->length && m->ts - p->last_us <= RETRANSMIT_GAP_US) {
        p->retransmits++;
        p->last_us = m->ts;
        return put_update(c, m->id, -1, -1, -1, p->id, NULL);
    }
    if (p) { /* the same id again as a different message: the earlier one went unanswered */
        if (close_pending(c, p, initiator_of(c, m->device, p)) < 0)
            return -1;
        free_slot = p;
    }
    if (!free_slot) { /* window full: the oldest request is taken as unanswered */
        if (close_pending(c, oldest, initiator_of(c, m->device, oldest)) < 0)
            return -1;
        free_slot = oldest;
    }
    open_pending(c, free_slot, m->id, m->ts, m->length, m->msg_id, m->exch, m->src, m->dst);
    return 0;
}

static int on_capture_message(struct pair_ctx *c, const struct msg *m)
{
    if (!m->has_spi || !m->src || !m->dst || m->msg_id < 0)
        return 0;
    const char *dir = capture_dir(c, m);
    if (dir && put_update(c, m->id, -1, -1, -1, 0, dir) < 0)
        return -1;
    uint32_t dev = c->in_sink ? 0 : dev_id(c, m->device);
    struct ike_sa *sa = sa_get(c, dev, m->ispi);
    if (!sa)
        return c->overflow ? 0 : -1;
    int r = capture_step(c, sa, m);
    sa_forget_if_idle(c, dev, m->ispi); /* sa is not used past this point */
    return r;
}

static int close_all(struct pair_ctx *c, int log_origin)
{
    if (!log_origin) {
        for (size_t i = 0; i < c->sas.n; i++) {
            struct sa_entry *x = &c->sas.e[i];
            for (int k = 0; k < SA_WINDOW; k++)
                if (close_pending(c, &x->sa.req[k], initiator_of(c, dev_name(c, x->dev), &x->sa.req[k])) < 0)
                    return -1;
        }
        sa_free(&c->sas);
        return 0;
    }
    for (size_t i = 0; i < c->keys.cap; i++) {
        if (!c->keys.keys[i])
            continue;
        struct log_peer *p = (void *)((char *)c->slots + (size_t)c->keys.vals[i] * c->slot_size);
        if (close_pending(c, &p->out, "local") < 0 || close_pending(c, &p->in, "peer") < 0)
            return -1;
    }
    return 0;
}

/* Orders two cursors' current rows: device, then time, then source order. */
static int head_before(sqlite3_stmt *a, int64_t a_src, sqlite3_stmt *b, int64_t b_src)
{
    const char *da = (const char *)sqlite3_column_text(a, C_DEVICE);
    const char *db = (const char *)sqlite3_column_text(b, C_DEVICE);
    int dc = (da && db) ? strcmp(da, db) : (da ? 1 : 0) - (db ? 1 : 0);
    if (dc)
        return dc < 0;
    int64_t ta = sqlite3_column_int64(a, C_TS), tb = sqlite3_column_int64(b, C_TS);
    if (ta != tb)
        return ta < tb;
    return a_src < b_src;
}

/* Feeds every message of c->origin in the sources temp.pair_src marks `scan` to `on`, in time
 * order. A source's rows are one contiguous
 * id range in file order (one transaction per source), so each source is read by rowid and
 * the sources are merged by time: no sort of the whole table. With more sources than the
 * merge handles, one sorted query does the same. */
static int scan_messages(struct pair_ctx *c, int (*on)(struct pair_ctx *, const struct msg *), char *err,
                         size_t errsz)
{
    sqlite3 *db = c->db;
    sqlite3_stmt *ranges = NULL, *cur[MERGE_SOURCES_MAX] = {0};
    int64_t src[MERGE_SOURCES_MAX];
    int live[MERGE_SOURCES_MAX];
    int n = 0, rc = -1, r;
    if (sqlite3_prepare_v2(db, "SELECT id, msg_first, msg_last FROM temp.pair_src WHERE origin = ?1 AND scan ORDER BY id",
                           -1, &ranges, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_text(ranges, 1, c->origin, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(ranges)) == SQLITE_ROW) {
        if (n == MERGE_SOURCES_MAX) {
            n++; /* too many: fall back below */
            break;
        }
        if (sqlite3_prepare_v2(db, "SELECT " MSG_COLUMNS " FROM ike_messages WHERE id BETWEEN ? AND ? "
                                   "AND origin = ? ORDER BY id",
                               -1, &cur[n], NULL) != SQLITE_OK)
            goto dberr;
        src[n] = sqlite3_column_int64(ranges, 0);
        sqlite3_bind_int64(cur[n], 1, sqlite3_column_int64(ranges, 1));
        sqlite3_bind_int64(cur[n], 2, sqlite3_column_int64(ranges, 2));
        sqlite3_bind_text(cur[n], 3, c->origin, -1, SQLITE_STATIC);
        n++;
    }
    if (n > MERGE_SOURCES_MAX) {
        for (int i = 0; i < MERGE_SOURCES_MAX; i++)
            sqlite3_finalize(cur[i]), cur[i] = NULL;
        if (sqlite3_prepare_v2(db, "SELECT " MSG_COLUMNS " FROM ike_messages WHERE origin = ?1 AND source_id IN "
                                   "(SELECT id FROM temp.pair_src WHERE origin = ?1 AND scan) "
                                   "ORDER BY device, ts_us, source_id, id",
                               -1, &cur[0], NULL) != SQLITE_OK)
            goto dberr;
        sqlite3_bind_text(cur[0], 1, c->origin, -1, SQLITE_STATIC);
        src[0] = 0;
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        r = sqlite3_step(cur[i]);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            goto dberr;
        live[i] = r == SQLITE_ROW;
    }
    for (;;) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (live[i] && (best < 0 || head_before(cur[i], src[i], cur[best], src[best])))
                best = i;
        if (best < 0)
            break;
        struct msg m;
        read_msg(cur[best], &m);
        if (on(c, &m) < 0)
            goto dberr;
        r = sqlite3_step(cur[best]);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            goto dberr;
        live[best] = r == SQLITE_ROW;
    }
    rc = 0;
    goto out;
dberr:
    snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(ranges);
    for (int i = 0; i < MERGE_SOURCES_MAX; i++)
        sqlite3_finalize(cur[i]);
    return rc;
}

/* The device's own addresses (temp.pair_local, built by ikm_pair_exchanges). */
static int load_local_addrs(struct pair_ctx *c)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT device, ip FROM temp.pair_local", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char key[ADDR_MAX + 200];
        snprintf(key, sizeof key, "%s\x1f%s", (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1));
        int added;
        if (ikm_strmap_get(&c->local_addrs, key, 0, &added) < 0)
            break;
    }
    sqlite3_finalize(st);
    return 0;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errsz)
{
    return ikm_db_execf(db, "pairing", err, errsz, "%s", sql);
}

/* The sources to pair again (ikm_pair_redo); temporary: a later run pairs what it reads. */
#define PAIR_REDO_TABLE "CREATE TEMP TABLE IF NOT EXISTS pair_redo(source_id INTEGER PRIMARY KEY);"

int ikm_pair_redo(sqlite3 *db, int64_t source_id, char *err, size_t errsz)
{
    return ikm_db_execf(db, "pairing", err, errsz, PAIR_REDO_TABLE "INSERT OR IGNORE INTO temp.pair_redo VALUES(%lld)",
                        (long long)source_id);
}

static void pair_ctx_free(struct pair_ctx *c)
{
    ikm_strmap_free(&c->keys);
    ikm_strmap_free(&c->local_addrs);
    ikm_strmap_free(&c->last_local);
    free(c->locals);
    ikm_strmap_free(&c->addr_ids);
    free(c->addrs);
    free(c->slots);
    sa_free(&c->sas);
    ikm_strmap_free(&c->dev_ids);
    for (size_t i = 0; i < c->ndevs; i++)
        free(c->devs[i]);
    free(c->devs);
}

/* Runs each statement of `sql` (NULL-terminated) once per source of temp.pair_src matching
 * `which`, with :first and :last bound to the source's message id range and :device to its
 * device. */
static int per_source(sqlite3 *db, const char *which, const char *const *sql, char *err, size_t errsz)
{
    sqlite3_stmt *q = NULL, *st = NULL;
    int rc = -1;
    char *sel = sqlite3_mprintf("SELECT msg_first, msg_last, device FROM temp.pair_src WHERE %s ORDER BY id", which);
    if (!sel || sqlite3_prepare_v2(db, sel, -1, &q, NULL) != SQLITE_OK)
        goto out;
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        for (size_t i = 0; sql[i]; i++) {
            if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
                goto out;
            sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":first"), sqlite3_column_int64(q, 0));
            sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":last"), sqlite3_column_int64(q, 1));
            sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":device"), (const char *)sqlite3_column_text(q, 2),
                              -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) != SQLITE_DONE)
                goto out;
            sqlite3_finalize(st);
            st = NULL;
        }
    }
    rc = r == SQLITE_DONE ? 0 : -1;
out:
    if (rc < 0)
        snprintf(err, errsz, "pairing: %s", sel ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_free(sel);
    sqlite3_finalize(st);
    sqlite3_finalize(q);
    return rc;
}

/* Per-source statements of ikm_pair_exchanges (per_source binds :first, :last, :device). */
static const char *const reset_log[] = {
    "DELETE FROM exchange_rows WHERE origin = 'log' AND request_id BETWEEN :first AND :last",
    /* our requests' exchanges are columns of their rows (schema, exchanges) */
    "UPDATE ike_messages SET msg_id = NULL, exch_type = NULL, is_response = NULL, retransmit_of = NULL,"
    " xch_response_id = NULL, xch_rtt_us = NULL, xch_retransmits = NULL, xch_initiator = NULL"
    " WHERE id BETWEEN :first AND :last AND origin = 'log' AND dir = 'sent'",
    "UPDATE ike_messages SET retransmit_of = NULL WHERE id BETWEEN :first AND :last AND retransmit_of IS NOT NULL",
    NULL};
static const char *const reset_capture[] = {
    "DELETE FROM exchange_rows WHERE origin = 'pcap' AND request_id BETWEEN :first AND :last",
    "UPDATE ike_messages SET retransmit_of = NULL, dir = NULL"
    " WHERE id BETWEEN :first AND :last AND (retransmit_of IS NOT NULL OR dir IS NOT NULL)",
    NULL};
/* what capture_dir and initiator_of decide, for a capture paired while stored */
#define CAPTURE_DIR_SQL                                                                            \
    "CASE WHEN src_ip IN (SELECT ip FROM temp.pair_local WHERE device = :device) THEN 'sent'"      \
    " WHEN dst_ip IN (SELECT ip FROM temp.pair_local WHERE device = :device) THEN 'recv' END"
#define CAPTURE_INITIATOR_SQL                                                                      \
    "(SELECT CASE WHEN q.src_ip IN (SELECT ip FROM temp.pair_local WHERE device = :device) THEN 'local'" \
    " WHEN q.dst_ip IN (SELECT ip FROM temp.pair_local WHERE device = :device) THEN 'peer' END"    \
    " FROM ike_messages q WHERE q.id = exchange_rows.request_id)"
/* Only rows whose value differs are written: the capture pairer already set both from the
 * addresses known when the capture was read (logs and configs read before it), and rewriting
 * every row of a million-packet capture took seconds. */
static const char *const capture_ends[] = {
    "UPDATE ike_messages SET dir = " CAPTURE_DIR_SQL
    " WHERE id BETWEEN :first AND :last AND origin = 'pcap' AND ispi IS NOT NULL"
    " AND src_ip IS NOT NULL AND dst_ip IS NOT NULL AND msg_id IS NOT NULL AND dir IS NOT " CAPTURE_DIR_SQL,
    "UPDATE exchange_rows SET initiator = " CAPTURE_INITIATOR_SQL
    " WHERE origin = 'pcap' AND request_id BETWEEN :first AND :last AND initiator IS NOT " CAPTURE_INITIATOR_SQL,
    NULL};
/* retransmitted log copies take their original's id and type */
static const char *const copy_log_originals[] = {
    "UPDATE ike_messages SET msg_id = o.msg_id, exch_type = o.exch_type, is_response = o.is_response"
    " FROM ike_messages o WHERE ike_messages.id BETWEEN :first AND :last"
    " AND ike_messages.retransmit_of = o.id AND ike_messages.origin = 'log'",
    NULL};

/* The origin of source s's messages (each source's are of one): its first row's. */
#define SOURCE_ORIGIN_SQL "(SELECT origin FROM ike_messages WHERE id BETWEEN s.msg_first AND s.msg_last ORDER BY id LIMIT 1)"

/* From each source's counts: a count over the exchanges view reads every message row (our
 * logged requests carry theirs), half a second for a 1 GiB log. */
static int count_exchanges(sqlite3 *db, struct ikm_pair_stats *stats)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT COALESCE(sum(exchanges), 0), COALESCE(sum(answered), 0),"
                           " COALESCE(sum(CASE WHEN " SOURCE_ORIGIN_SQL " = 'log' THEN exchanges END), 0)"
                           " FROM sources s WHERE exchanges > 0",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(q) == SQLITE_ROW) {
        stats->exchanges = sqlite3_column_int64(q, 0);
        stats->answered = sqlite3_column_int64(q, 1);
        stats->log_exchanges = sqlite3_column_int64(q, 2);
        stats->capture_exchanges = stats->exchanges - stats->log_exchanges;
    }
    return sqlite3_finalize(q) == SQLITE_OK ? 0 : -1;
}

int ikm_pair_exchanges(sqlite3 *db, struct ikm_pair_stats *stats, char *err, size_t errsz)
{
    struct ikm_pair_stats uncounted;
    int totals = stats != NULL;
    if (!stats)
        stats = &uncounted;
    struct pair_ctx c = {.db = db, .stats = stats};
    int rc = -1;
    memset(stats, 0, sizeof *stats);
    err[0] = '\0';
    if (exec(db, "BEGIN", err, errsz) < 0)
        goto out;
    /* Each source's messages are of one origin. Captures were paired as they were stored,
     * each alone; the captures of a device that has several are paired again together
     * (`scan`), as are all logs. */
    if (exec(db,
             "DROP TABLE IF EXISTS temp.pair_src;"
             "CREATE TEMP TABLE pair_src AS SELECT id, COALESCE(device, '') AS device, msg_first, msg_last,"
             " " SOURCE_ORIGIN_SQL
             " AS origin, 1 AS scan, s.own_addrs AS own FROM sources s WHERE msg_first IS NOT NULL;"
             "UPDATE temp.pair_src SET scan = 0 WHERE origin = 'pcap' AND device NOT IN"
             " (SELECT device FROM temp.pair_src WHERE origin = 'pcap' GROUP BY device HAVING count(*) > 1);"
             /* a log was paired alone as it was stored (ikm_log_pairer); that stands for a
              * device that has that one log, unless the sink said otherwise or its times were
              * not the line's own (a zone applied later may shift them unevenly) */
             PAIR_REDO_TABLE
             "UPDATE temp.pair_src SET scan = 0 WHERE origin = 'log'"
             " AND id NOT IN (SELECT source_id FROM temp.pair_redo)"
             " AND (SELECT tz_source FROM sources WHERE sources.id = pair_src.id) = 'line' AND device NOT IN"
             " (SELECT device FROM temp.pair_src WHERE origin = 'log' GROUP BY device HAVING count(*) > 1);"
             /* the device's own addresses: the local end of its log sends, its gateways' local
              * IPs (configured as "10.1.1.1/24": the prefix length is dropped) */
             "DROP TABLE IF EXISTS temp.pair_local;"
             "CREATE TEMP TABLE pair_local(device TEXT, ip TEXT, PRIMARY KEY(device, ip)) WITHOUT ROWID;"
             /* listed per source as it was stored (device_addrs); a log whose list overflowed
              * is scanned (only captures need them: nothing is read otherwise) */
             "INSERT OR IGNORE INTO temp.pair_local SELECT COALESCE(device, ''), ip FROM device_addrs"
             " WHERE EXISTS (SELECT 1 FROM temp.pair_src WHERE origin = 'pcap');"
             "INSERT OR IGNORE INTO temp.pair_local SELECT COALESCE(m.device, ''), m.src_ip FROM temp.pair_src s"
             " JOIN ike_messages m ON m.id BETWEEN s.msg_first AND s.msg_last"
             " WHERE s.origin = 'log' AND m.origin = 'log' AND m.dir = 'sent' AND m.src_ip IS NOT NULL"
             " AND (SELECT addrs_listed FROM sources WHERE sources.id = s.id) IS NOT 1"
             " AND EXISTS (SELECT 1 FROM temp.pair_src WHERE origin = 'pcap');"
             "INSERT OR IGNORE INTO temp.pair_local SELECT COALESCE(device, ''),"
             " CASE WHEN instr(local_ip, '/') THEN substr(local_ip, 1, instr(local_ip, '/') - 1) ELSE local_ip END"
             " FROM cfg_gateways WHERE local_ip IS NOT NULL;",
             err, errsz) < 0)
        goto out;
    /* what an earlier pairing derived for the sources paired again (every log was paired as
     * it was stored; a capture's retransmit_of and dir) */
    if (per_source(db, "origin = 'log' AND scan", reset_log, err, errsz) < 0)
        goto out;
    if (per_source(db, "origin = 'pcap' AND scan", reset_capture, err, errsz) < 0)
        goto out;
    if (exec(db,
             "CREATE TEMP TABLE IF NOT EXISTS pair_update(id INTEGER PRIMARY KEY, msg_id, exch_type, "
             " is_response, retransmit_of, dir);"
             "DELETE FROM temp.pair_update;",
             err, errsz) < 0)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO exchange_rows(origin, request_id, response_id, rtt_us, retransmits, initiator) "
                           "VALUES(?, ?, ?, ?, ?, ?)",
                           -1, &c.ins_x, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO temp.pair_update VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE "
                           "SET msg_id = COALESCE(excluded.msg_id, msg_id), "
                           "exch_type = COALESCE(excluded.exch_type, exch_type), "
                           "is_response = COALESCE(excluded.is_response, is_response), "
                           "retransmit_of = COALESCE(excluded.retransmit_of, retransmit_of), "
                           "dir = COALESCE(excluded.dir, dir)",
                           -1, &c.ins_upd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE exchange_rows SET retransmits = retransmits + 1 WHERE request_id = ?", -1,
                           &c.bump_x, NULL) != SQLITE_OK ||
        load_local_addrs(&c) < 0) {
        snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
        goto out;
    }
    c.origin = "log";
    reset_slots(&c, sizeof(struct log_peer));
    if (scan_messages(&c, on_log_message, err, errsz) < 0 || close_all(&c, 1) < 0)
        goto dberr_if_unset;
    c.origin = "pcap";
    if (scan_messages(&c, on_capture_message, err, errsz) < 0 || close_all(&c, 0) < 0)
        goto dberr_if_unset;
    /* the captures paired while stored: the device's own addresses decide the messages' dir
     * and the exchanges' initiator, as capture_dir and initiator_of do (addresses only ever
     * join a device's list, so a device without any has nothing to reset) */
    /* ... unless the capture was read knowing every address the device has now: addresses
     * only ever join a device's list, and the pairer was given a part of it, so the same
     * count is the same list and every row is right already */
    if (per_source(db,
                   "origin = 'pcap' AND NOT scan AND device IN (SELECT device FROM temp.pair_local)"
                   " AND own IS NOT (SELECT count(*) FROM temp.pair_local l WHERE l.device = pair_src.device)",
                   capture_ends, err, errsz) < 0)
        goto out;
    /* apply, then give retransmitted log copies their original's id and type */
    if (exec(db,
             "UPDATE ike_messages SET msg_id = COALESCE(u.msg_id, ike_messages.msg_id),"
             " exch_type = COALESCE(u.exch_type, ike_messages.exch_type),"
             " is_response = COALESCE(u.is_response, ike_messages.is_response),"
             " retransmit_of = u.retransmit_of,"
             " dir = COALESCE(u.dir, ike_messages.dir)"
             " FROM temp.pair_update u WHERE ike_messages.id = u.id"
             /* the updated rows' id range: without it SQLite, knowing neither table's size, may
              * read every message for a handful of updates (or none: 0.13 s per GiB of log) */
             " AND ike_messages.id BETWEEN (SELECT min(id) FROM temp.pair_update) AND (SELECT max(id) FROM temp.pair_update);",
             err, errsz) < 0 ||
        per_source(db, "origin = 'log' AND scan", copy_log_originals, err, errsz) < 0 ||
        /* the sources paired again: all their exchanges are rows of exchange_rows now */
        exec(db,
             "UPDATE sources SET (exchanges, answered) = (SELECT count(*), count(x.response_id) FROM exchange_rows x"
             " WHERE x.request_id BETWEEN sources.msg_first AND sources.msg_last)"
             " WHERE id IN (SELECT id FROM temp.pair_src WHERE scan);"
             "DROP TABLE temp.pair_update; DROP TABLE temp.pair_local; DROP TABLE temp.pair_src;",
             err, errsz) < 0)
        goto out;
    if (totals && count_exchanges(db, stats) < 0)
        goto dberr_if_unset;
    if (exec(db, "COMMIT", err, errsz) < 0)
        goto out;
    stats->keys_overflow = c.overflow;
    rc = 0;
    goto out;
dberr_if_unset:
    if (!err[0])
        snprintf(err, errsz, "pairing: %s", sqlite3_errmsg(db));
out:
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(c.ins_x);
    sqlite3_finalize(c.ins_upd);
    sqlite3_finalize(c.bump_x);
    pair_ctx_free(&c);
    return rc;
}

/* ---- pairing captures while they are stored ------------------------------------------------ */

struct ikm_capture_pairer {
    struct pair_ctx c;
    struct ikm_pair_stats stats;
};

struct ikm_capture_pairer *ikm_capture_pairer_new(int (*emit)(void *ctx, const struct ikm_exchange *x), void *ctx)
{
    struct ikm_capture_pairer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->c.stats = &p->stats;
    p->c.origin = "pcap";
    p->c.in_sink = 1;
    p->c.emit = emit;
    p->c.emit_ctx = ctx;
    return p;
}

int ikm_capture_pairer_local(struct ikm_capture_pairer *p, const char *ip)
{
    char key[ADDR_MAX + 2];
    if (!ip || !*ip || strlen(ip) >= ADDR_MAX)
        return 0; /* not an address: nothing to know */
    snprintf(key, sizeof key, "\x1f%s", ip); /* the sink's messages carry no device */
    int added;
    return ikm_strmap_get(&p->c.local_addrs, key, 0, &added) < 0 ? -1 : 0;
}

int ikm_capture_pairer_add(struct ikm_capture_pairer *p, int64_t id, const struct ikm_ike_msg *m,
                           int64_t *retransmit_of, const char **dir)
{
    struct msg x = {
        .id = id,
        .ts = m->t.utc_us,
        .length = m->length,
        .msg_id = m->msg_id,
        .expected = -1,
        .is_resp = m->is_response,
        .exch = m->exch_type,
        .version = m->version,
        .has_spi = m->has_spi,
        .ispi = m->ispi,
        .src = m->src_ip[0] ? m->src_ip : NULL,
        .dst = m->dst_ip[0] ? m->dst_ip : NULL,
    };
    p->c.cur_id = id;
    p->c.cur_retransmit_of = 0;
    p->c.cur_dir = NULL;
    int r = on_capture_message(&p->c, &x);
    *retransmit_of = p->c.cur_retransmit_of;
    *dir = p->c.cur_dir;
    return r;
}

int ikm_capture_pairer_finish(struct ikm_capture_pairer *p, int *overflow)
{
    *overflow = p->c.overflow;
    return close_all(&p->c, 0);
}

void ikm_capture_pairer_totals(const struct ikm_capture_pairer *p, int64_t *exchanges, int64_t *answered)
{
    *exchanges = p->stats.exchanges;
    *answered = p->stats.answered;
}

void ikm_capture_pairer_free(struct ikm_capture_pairer *p)
{
    if (!p)
        return;
    pair_ctx_free(&p->c);
    free(p);
}

/* ---- pairing logs while they are stored ---------------------------------------------------- */

struct ikm_log_pairer {
    struct pair_ctx c;
    struct ikm_pair_stats stats;
    struct ikm_log_pairer_out out;
};

struct ikm_log_pairer *ikm_log_pairer_new(const struct ikm_log_pairer_out *out)
{
    struct ikm_log_pairer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = *out;
    p->c.stats = &p->stats;
    p->c.origin = "log";
    p->c.log_sink = 1;
    p->c.out = &p->out;
    reset_slots(&p->c, sizeof(struct log_peer));
    return p;
}

int ikm_log_pairer_add(struct ikm_log_pairer *p, int64_t id, const struct ikm_ike_msg *m)
{
    struct pair_ctx *c = &p->c;
    struct ikm_ike_msg cur; /* borrowed from the parser: derived values go on a copy */
    ikm_ike_msg_copy(&cur, m);
    /* a time still to be resolved may move by the zone's DST rules: pair such a log again
     * once every time is final */
    if (m->t.state == IKM_TZ_PENDING)
        c->redo = 1;
    struct msg x = {
        .id = id,
        .ts = m->t.utc_us,
        .length = m->length,
        .msg_id = m->msg_id,
        .expected = m->expected_msg_id,
        .is_resp = m->is_response,
        .exch = m->exch_type,
        .version = m->version,
        .dir = m->dir == IKM_DIR_SENT ? "sent" : m->dir == IKM_DIR_RECV ? "recv" : NULL,
        .src = m->src_ip[0] ? m->src_ip : NULL,
        .dst = m->dst_ip[0] ? m->dst_ip : NULL,
    };
    c->cur = &cur;
    c->cur_id = id;
    c->cur_retransmit_of = 0;
    c->cur_held = 0;
    int r = on_log_message(c, &x);
    c->cur = NULL;
    if (r < 0)
        return -1;
    return c->cur_held ? 0 : p->out.row(p->out.ctx, id, &cur, c->cur_retransmit_of, NULL);
}

int ikm_log_pairer_finish(struct ikm_log_pairer *p, int *redo)
{
    int r = close_all(&p->c, 1);
    *redo = p->c.redo || p->c.overflow;
    return r;
}

void ikm_log_pairer_totals(const struct ikm_log_pairer *p, int64_t *exchanges, int64_t *answered)
{
    *exchanges = p->stats.exchanges;
    *answered = p->stats.answered;
}

void ikm_log_pairer_free(struct ikm_log_pairer *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->c.nslots; i++)
        free(((struct log_peer *)p->c.slots)[i].out.held);
    pair_ctx_free(&p->c);
    free(p);
}
