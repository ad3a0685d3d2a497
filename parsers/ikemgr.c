/*
 * ikemgr.c — the ikemgr.log / ikemgr-ng.log parser (../shared/formats.md §1).
 *
 * Line grammar (one record per timestamped line; lines without a timestamp continue the
 * previous record):
 *
 *   TS [OFFSET] [\[PID-TID\]] [LEVEL] [SRCLOC] [{ G: T}:] [\[IKE Role\]] [SERIAL:]L[p] - R[p]:PTR[:] MESSAGE
 *
 *   A  2024-07-15 10:55:41.005 -0700 [DEBG]: processing isakmp packet
 *   A' 2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <awsseapa-to-azeapa>, SA state ESTABLISHED
 *   B  2017-06-22 09:26:45.169 -0700 IKE FSM thread: 3966: starting up...
 *   B' 2017-06-22 09:26:48.260 -0700 Warning: pan_log_proxy(pan_priv_log.c:269): Elog being proxied
 *   C  2016-03-01 14:32:24 [INFO]: ike_sa.c:275:ikev2_abort(): 6:1.1.1.1[500] - 2.2.2.2[500]:(nil):aborting IKEv2 SA GW:6
 *   D  2016-03-01 14:32:24.890 +0800 debug: pan_ikev2_debug(protocols/ikev2/ikev2.c:6946): ... IKEv2 SA state {GW:6-I}: SA dying from state ESTABLISHED, caller ikev2_abort
 *   F  2026:03:01T15:13:18.024+01:00 [4371-4442] [INFO]: ...
 *
 * The hot lines of a debug log (sends, receives, message-id bookkeeping, separators) are
 * recognised by fixed tokens without a regex; everything else goes through the catalog
 * (ikemgr_catalog.inc): one combined PCRE2 pattern says whether any entry can match, and only
 * then are the entries tried in priority order for their captures.
 *
 * Received messages span several lines ("M bytes message received from A", then
 * "response message_id X expected Y", "response exch type T", "update response message_id
 * 0x.."): they are gathered into one pending message, emitted when the next packet starts.
 */
#include "ikemgr.h"

#include "parsekit.h"
#include "timefmt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- catalog ---------------------------------------------------------------------------- */

struct cat_entry {
    const char *name;
    enum ikm_event_kind kind;
    const char *reason;
    int no_row;
    const char *pattern;
    const char *sample;
};

static const struct cat_entry cat_entries[] = {
#define CAT(name, kind, reason, no_row, pattern, sample) {name, kind, reason, no_row, pattern, sample},
#include "ikemgr_catalog.inc"
#undef CAT
};
#define CAT_N (sizeof cat_entries / sizeof cat_entries[0])

/* Capture names the parser understands; anything else captured is ignored. */
enum cap {
    CAP_TUNNEL, CAP_GATEWAY, CAP_PEER, CAP_LOCAL, CAP_LPORT, CAP_RPORT, CAP_STATE, CAP_ROLE,
    CAP_SERIAL, CAP_SA, CAP_PHASE, CAP_RESULT, CAP_MODE, CAP_ISPI, CAP_RSPI, CAP_SPI,
    CAP_NOTIFY, CAP_PROTO, CAP_FROM, CAP_TO, CAP_MSGID, CAP_CAUSE, CAP_CALLER, CAP_DETAIL,
    CAP_WHAT, CAP_VALUE, CAP_IDTYPE, CAP_ID, CAP_COUNT
};
static const char *const cap_names[CAP_COUNT] = {
    "tunnel", "gateway", "peer", "local", "lport", "rport", "state", "role",
    "serial", "sa", "phase", "result", "mode", "ispi", "rspi", "spi",
    "notify", "proto", "from", "to", "msgid", "cause", "caller", "detail",
    "what", "value", "idtype", "id",
};
/* attribute keys for captures stored as attrs (NULL: stored elsewhere or not at all) */
static const char *const cap_attr_key[CAP_COUNT] = {
    [CAP_LOCAL] = "local", [CAP_LPORT] = "local_port", [CAP_RPORT] = "peer_port",
    [CAP_STATE] = "state", [CAP_ROLE] = "role", [CAP_SERIAL] = "sa_serial",
    [CAP_MODE] = "mode", [CAP_ISPI] = "spi_i", [CAP_RSPI] = "spi_r", [CAP_SPI] = "spi",
    [CAP_NOTIFY] = "notify", [CAP_PROTO] = "proto", [CAP_FROM] = "from_state",
    [CAP_TO] = "to_state", [CAP_MSGID] = "message_id", [CAP_CAUSE] = "cause",
    [CAP_CALLER] = "caller", [CAP_DETAIL] = "detail", [CAP_WHAT] = "what",
    [CAP_VALUE] = "value", [CAP_IDTYPE] = "id_type", [CAP_ID] = "id",
};

struct ikemgr_catalog {
    pcre2_code *any;           /* alternation of every entry: a fast "can anything match" */
    pcre2_code *entry[CAT_N];
    int group[CAT_N][CAP_COUNT]; /* capture group number per name, or -1 */
    uint32_t max_groups;
};

size_t ikemgr_catalog_size(void)
{
    return CAT_N;
}
const char *ikemgr_catalog_entry_name(size_t i)
{
    return i < CAT_N ? cat_entries[i].name : NULL;
}
const char *ikemgr_catalog_entry_sample(size_t i)
{
    return i < CAT_N ? cat_entries[i].sample : NULL;
}

static pcre2_code *compile(const char *pattern, uint32_t extra, char *err, size_t errsz)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_CASELESS | extra, &ec, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(err, errsz, "ikemgr catalog: pattern error at offset %zu: %s: %s", (size_t)off,
                 (const char *)msg, pattern);
        return NULL;
    }
    /* JIT is an optimisation: the interpreter gives the same answers when it is missing */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

struct ikemgr_catalog *ikemgr_catalog_new(char *err, size_t errsz)
{
    struct ikemgr_catalog *cat = calloc(1, sizeof *cat);
    if (!cat) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    size_t total = 16;
    for (size_t i = 0; i < CAT_N; i++)
        total += strlen(cat_entries[i].pattern) + 8;
    char *all = malloc(total);
    if (!all) {
        snprintf(err, errsz, "out of memory");
        free(cat);
        return NULL;
    }
    size_t at = 0;
    for (size_t i = 0; i < CAT_N; i++)
        at += (size_t)snprintf(all + at, total - at, "%s(?:%s)", i ? "|" : "", cat_entries[i].pattern);
    cat->any = compile(all, PCRE2_DUPNAMES, err, errsz);
    free(all);
    if (!cat->any)
        goto fail;
    for (size_t i = 0; i < CAT_N; i++) {
        cat->entry[i] = compile(cat_entries[i].pattern, 0, err, errsz);
        if (!cat->entry[i])
            goto fail;
        uint32_t n = 0;
        pcre2_pattern_info(cat->entry[i], PCRE2_INFO_CAPTURECOUNT, &n);
        if (n + 1 > cat->max_groups)
            cat->max_groups = n + 1;
        for (int c = 0; c < CAP_COUNT; c++) {
            int g = pcre2_substring_number_from_name(cat->entry[i], (PCRE2_SPTR)cap_names[c]);
            cat->group[i][c] = g > 0 ? g : -1;
        }
    }
    return cat;
fail:
    ikemgr_catalog_free(cat);
    return NULL;
}

void ikemgr_catalog_free(struct ikemgr_catalog *cat)
{
    if (!cat)
        return;
    pcre2_code_free(cat->any);
    for (size_t i = 0; i < CAT_N; i++)
        pcre2_code_free(cat->entry[i]);
    free(cat);
}

static int match_entry(const struct ikemgr_catalog *cat, size_t i, const char *s, size_t n,
                       pcre2_match_data *md)
{
    return pcre2_match(cat->entry[i], (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
}

/* First entry at or after `from` that matches, or -1. `md` receives its captures. */
static int classify_from(const struct ikemgr_catalog *cat, size_t from, const char *s, size_t n,
                         pcre2_match_data *md, int need_reason)
{
    for (size_t i = from; i < CAT_N; i++) {
        if (need_reason && !cat_entries[i].reason)
            continue;
        if (match_entry(cat, i, s, n, md))
            return (int)i;
    }
    return -1;
}

int ikemgr_catalog_classify(const struct ikemgr_catalog *cat, const char *msg, size_t len)
{
    pcre2_match_data *md = pcre2_match_data_create(cat->max_groups, NULL);
    if (!md)
        return -1;
    int r = -1;
    /* 0 means "matched, ovector too small": the prefilter needs no captures */
    if (pcre2_match(cat->any, (PCRE2_SPTR)msg, len, 0, 0, md, NULL) >= 0)
        r = classify_from(cat, 0, msg, len, md, 0);
    pcre2_match_data_free(md);
    return r;
}

/* ---- small lexical helpers ---------------------------------------------------------------- */

static size_t skip_spaces(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int starts_with(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

/* Reads an unsigned decimal (at most 18 digits) at p[*i]; returns 1 on success. */
static int read_uint(const char *p, size_t n, size_t *i, int64_t *out)
{
    size_t j = *i;
    int64_t v = 0;
    while (j < n && is_digit(p[j]) && j - *i < 18)
        v = v * 10 + (p[j++] - '0');
    if (j == *i || (j < n && is_digit(p[j])))
        return 0;
    *out = v;
    *i = j;
    return 1;
}

/* A message id printed in decimal or as 0x-hex (formats.md §1.6: the same id appears both
 * ways on adjacent lines). At most 16 hex digits. */
static int read_msgid(const char *p, size_t n, size_t *i, int64_t *out)
{
    size_t j = *i;
    if (j + 2 < n && p[j] == '0' && (p[j + 1] == 'x' || p[j + 1] == 'X')) {
        j += 2;
        uint64_t v = 0;
        size_t start = j;
        while (j < n && j - start <= 16) {
            char c = p[j];
            int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                           : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (d < 0)
                break;
            v = v * 16 + (uint64_t)d;
            j++;
        }
        if (j == start || j - start > 16 || v > INT64_MAX)
            return 0;
        *out = (int64_t)v;
        *i = j;
        return 1;
    }
    return read_uint(p, n, i, out);
}

/* dst = src, both IKM_IP_MAX buffers (per message: not through printf) */
static void copy_ip(char dst[IKM_IP_MAX], const char *src)
{
    size_t n = strnlen(src, IKM_IP_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Copies an address token into out when it parses as IPv4 or IPv6. */
static int valid_ip(const char *p, size_t n, char out[IKM_IP_MAX])
{
    if (!ikm_ip_text(p, n))
        return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

/* "ADDR[PORT]" at p[*i]. */
static int read_endpoint(const char *p, size_t n, size_t *i, char ip[IKM_IP_MAX], int *port)
{
    size_t j = *i, a = j;
    while (j < n && p[j] != '[' && p[j] != ' ' && j - a < IKM_IP_MAX)
        j++;
    if (j >= n || p[j] != '[')
        return 0;
    size_t alen = j - a;
    j++;
    int64_t v;
    if (!read_uint(p, n, &j, &v) || j >= n || p[j] != ']' || v > 65535)
        return 0;
    if (!valid_ip(p + a, alen, ip)) {
        /* racoon2 prefixes the SA serial number: "6:1.1.1.1[500]" */
        size_t k = a;
        while (k < a + alen && is_digit(p[k]))
            k++;
        if (k == a || k >= a + alen || p[k] != ':' || !valid_ip(p + k + 1, a + alen - k - 1, ip))
            return 0;
    }
    *port = (int)v;
    *i = j + 1;
    return 1;
}

/* ---- per-file state ----------------------------------------------------------------------- */

#define PEER_MAP_SIZE 1024 /* remote → local endpoint, for received messages */
#define RESTART_MERGE_US (120LL * 1000000)
#define RECV_DETAIL_US 2000000 /* a received packet's detail lines follow within this */
#define GW_MAP_SIZE 2048 /* gateway ids seen in "{g: t}" contexts, mapped to their peer */

enum rec_state { REC_NONE, REC_PARSED, REC_UNPARSED };

struct peer_slot {
    char remote[IKM_IP_MAX];
    char local[IKM_IP_MAX];
    int local_port;
};


static const char *const ikemgr_checks[] = {PK_LINE_CHECKS};

struct ikemgr_file {
    const struct ikemgr_catalog *cat;
    pcre2_match_data *md, *md2;
    struct pk_out out; /* sink, stats, failure, diagnostics, offset state */
    struct pk_ts_cache tsc;

    enum rec_state rec;
    int64_t rec_line;
    struct ikm_time rec_time; /* its text points at rec_ts: lines do not outlive a call */
    char rec_ts[48];
    char recv_ts[48];         /* the pending received message's timestamp text */
    int64_t last_restart_us;
    int restart_open; /* a start-up's banner lines are being merged into one event */
    int restart_kept; /* the current record was a start-up line */

    int have_recv;
    struct ikm_ike_msg recv;

    struct pk_held pend; /* the last event, until continuations are done */

    struct peer_slot peers[PEER_MAP_SIZE];
    char gw_peer[GW_MAP_SIZE][IKM_IP_MAX];
};

struct ikemgr_file *ikemgr_file_new(const struct ikemgr_catalog *cat, const struct ikm_sink *sink)
{
    struct ikemgr_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->cat = cat;
    pk_out_init(&f->out, sink, ikemgr_checks, sizeof ikemgr_checks / sizeof ikemgr_checks[0]);
    f->md = pcre2_match_data_create(cat->max_groups, NULL);
    f->md2 = pcre2_match_data_create(cat->max_groups, NULL);
    if (!f->md || !f->md2) {
        ikemgr_file_free(f);
        return NULL;
    }
    return f;
}

void ikemgr_file_free(struct ikemgr_file *f)
{
    if (!f)
        return;
    pcre2_match_data_free(f->md);
    pcre2_match_data_free(f->md2);
    pk_held_free(&f->pend);
    free(f);
}

static unsigned peer_hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % PEER_MAP_SIZE;
}

static void peer_remember(struct ikemgr_file *f, const char *remote, const char *local, int lport)
{
    /* both are NUL-terminated and shorter than IKM_IP_MAX (valid_ip copied them) */
    struct peer_slot *s = &f->peers[peer_hash(remote)];
    memcpy(s->remote, remote, strlen(remote) + 1);
    memcpy(s->local, local, strlen(local) + 1);
    s->local_port = lport;
}

static const struct peer_slot *peer_lookup(const struct ikemgr_file *f, const char *remote)
{
    const struct peer_slot *s = &f->peers[peer_hash(remote)];
    return strcmp(s->remote, remote) == 0 ? s : NULL;
}

/* An event that names a gateway id but no peer takes the peer that the same file's message
 * lines showed for that gateway id; the attribute says the address was joined, not read. */
static void fill_peer_from_context(const struct ikemgr_file *f, struct ikm_event *ev)
{
    if (ev->peer_ip.ptr || ev->gw_id < 0 || ev->gw_id >= GW_MAP_SIZE || !f->gw_peer[ev->gw_id][0])
        return;
    const char *ip = f->gw_peer[ev->gw_id];
    ev->peer_ip = ikm_str_of(ip, strlen(ip));
    ikm_event_add_attr(ev, "peer_from", ikm_str_of("gateway-context", 15), 0);
}

/* Points t's text at a copy in buf (timestamps are short; a longer one is cut). */
static void copy_time_text(struct ikm_time *t, char *buf, size_t bufsz)
{
    size_t n = t->text_len < bufsz - 1 ? t->text_len : bufsz - 1;
    memcpy(buf, t->text, n);
    buf[n] = '\0';
    t->text = buf;
    t->text_len = n;
}

/* ---- emission ----------------------------------------------------------------------------- */

static void flush_recv(struct ikemgr_file *f)
{
    if (!f->have_recv)
        return;
    f->have_recv = 0;
    pk_ike_message(&f->out, &f->recv);
}

/* ---- one line ------------------------------------------------------------------------------ */

/* What the prefix of a record told us. */
struct prefix {
    struct ikm_time t;
    enum ikm_level level;
    struct ikm_str level_raw;
    struct ikm_str pidtid;
    struct ikm_str srcloc;
    int64_t gw_id, tn_id;
    struct ikm_str role_tag;
    int has_ep;
    char local[IKM_IP_MAX], remote[IKM_IP_MAX];
    int lport, rport;
    struct ikm_str msg;  /* everything after the level */
    struct ikm_str core; /* the message proper, after srcloc/context/role/endpoints */
};

static enum ikm_level level_of_token(const char *p, size_t n)
{
    static const struct {
        const char *tok;
        enum ikm_level lvl;
    } map[] = {
        {"DEBG", IKM_LVL_DEBUG},   {"DEBUG", IKM_LVL_DEBUG},        {"DBG", IKM_LVL_DEBUG},
        {"INFO", IKM_LVL_INFO},    {"NOTE", IKM_LVL_NOTICE},        {"PNTF", IKM_LVL_NOTICE},
        {"PROTO_NOTIFY", IKM_LVL_NOTICE},
        {"WARN", IKM_LVL_WARNING}, {"PWRN", IKM_LVL_WARNING},       {"IWRN", IKM_LVL_WARNING},
        {"PROTO_WARN", IKM_LVL_WARNING}, {"INTERNAL_WARN", IKM_LVL_WARNING},
        {"ERR", IKM_LVL_ERROR},    {"ERROR", IKM_LVL_ERROR},        {"PERR", IKM_LVL_ERROR},
        {"IERR", IKM_LVL_ERROR},   {"PROTO_ERR", IKM_LVL_ERROR},    {"INTERNAL_ERR", IKM_LVL_ERROR},
        {"CRIT", IKM_LVL_CRITICAL}, {"CRITICAL", IKM_LVL_CRITICAL},
    };
    while (n > 0 && p[n - 1] == ' ')
        n--;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].tok) == n && memcmp(map[i].tok, p, n) == 0)
            return map[i].lvl;
    return IKM_LVL_OTHER;
}

/* "[TOKEN]:" (TOKEN = [A-Z_ ]{3,13}) or a lowercase/capitalised "word:" level. */
static size_t read_level(const char *p, size_t n, size_t i, struct prefix *px)
{
    if (i < n && p[i] == '[') {
        size_t j = i + 1;
        while (j < n && j - i <= 14 && ((p[j] >= 'A' && p[j] <= 'Z') || p[j] == '_' || p[j] == ' '))
            j++;
        size_t tl = j - i - 1;
        if (j + 1 < n && p[j] == ']' && p[j + 1] == ':' && tl >= 3 && tl <= 13) {
            px->level_raw = ikm_str_of(p + i + 1, tl);
            px->level = level_of_token(p + i + 1, tl);
            return j + 2;
        }
        return i;
    }
    static const struct {
        const char *w;
        enum ikm_level lvl;
    } words[] = {
        {"debug:", IKM_LVL_DEBUG},     {"Debug:", IKM_LVL_DEBUG},     {"info:", IKM_LVL_INFO},
        {"Info:", IKM_LVL_INFO},       {"notice:", IKM_LVL_NOTICE},   {"Notice:", IKM_LVL_NOTICE},
        {"warning:", IKM_LVL_WARNING}, {"Warning:", IKM_LVL_WARNING}, {"error:", IKM_LVL_ERROR},
        {"Error:", IKM_LVL_ERROR},     {"critical:", IKM_LVL_CRITICAL}, {"Critical:", IKM_LVL_CRITICAL},
    };
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (starts_with(p + i, n - i, words[k].w)) {
            size_t wl = strlen(words[k].w);
            px->level_raw = ikm_str_of(p + i, wl - 1);
            px->level = words[k].lvl;
            return i + wl;
        }
    return i;
}

/* Source locations: "file.c:275:func(): " (racoon2 plog) or "func(path/file.c:6946): " (PAN). */
static size_t read_srcloc(const char *p, size_t n, size_t i, struct prefix *px)
{
    size_t j = i;
    while (j < n && (p[j] == '_' || p[j] == '.' || p[j] == '/' || p[j] == '-' ||
                     (p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z') || is_digit(p[j])))
        j++;
    if (j == i || j >= n)
        return i;
    size_t end = 0;
    if (p[j] == ':' && j >= i + 3 && p[j - 2] == '.' && (p[j - 1] == 'c' || p[j - 1] == 'h')) {
        /* file.c:NNN:func(): */
        size_t k = j + 1;
        int64_t ln;
        if (!read_uint(p, n, &k, &ln) || k >= n || p[k] != ':')
            return i;
        k++;
        while (k < n && (p[k] == '_' || (p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
                         is_digit(p[k])))
            k++;
        if (k + 2 < n && p[k] == '(' && p[k + 1] == ')' && p[k + 2] == ':')
            end = k + 3;
    } else if (p[j] == '(') {
        /* func(path/file.c:NNN): */
        size_t k = j + 1;
        while (k < n && p[k] != ':' && p[k] != ')' && p[k] != ' ')
            k++;
        if (k < n && p[k] == ':') {
            k++;
            int64_t ln;
            if (read_uint(p, n, &k, &ln) && k + 1 < n && p[k] == ')' && p[k + 1] == ':')
                end = k + 2;
        }
    }
    if (!end)
        return i;
    size_t e = end;
    while (e > i && (p[e - 1] == ':'))
        e--;
    px->srcloc = ikm_str_of(p + i, e - i);
    return skip_spaces(p, n, end);
}

/* "{ G: T}:" with either number possibly empty. */
static size_t read_context(const char *p, size_t n, size_t i, struct prefix *px)
{
    size_t j = i;
    if (j + 1 < n && p[j] == '\\' && p[j + 1] == '{')
        j++; /* "\{" as rendered by the vendor KB (formats.md §1.2, family A') */
    if (j >= n || p[j] != '{')
        return i;
    j = skip_spaces(p, n, j + 1);
    int64_t g = -1, t = -1;
    if (j < n && is_digit(p[j]) && !read_uint(p, n, &j, &g))
        return i;
    j = skip_spaces(p, n, j);
    if (j >= n || p[j] != ':')
        return i;
    j = skip_spaces(p, n, j + 1);
    if (j < n && is_digit(p[j]) && !read_uint(p, n, &j, &t))
        return i;
    j = skip_spaces(p, n, j);
    if (j + 1 >= n || p[j] != '}' || p[j + 1] != ':')
        return i;
    px->gw_id = g;
    px->tn_id = t;
    return skip_spaces(p, n, j + 2);
}

/* "[IKE Initiator] " / "[IKE Responder] " */
static size_t read_role(const char *p, size_t n, size_t i, struct prefix *px)
{
    if (i >= n || p[i] != '[')
        return i;
    const char *close = memchr(p + i, ']', n - i < 40 ? n - i : 40);
    if (!close || !starts_with(p + i, n - i, "[IKE "))
        return i;
    px->role_tag = ikm_str_of(p + i + 1, (size_t)(close - p) - i - 1);
    return skip_spaces(p, n, (size_t)(close - p) + 1);
}

/* "[SERIAL:]L[p] - R[p]:PTR" then optional ':' */
static size_t read_endpoints(const char *p, size_t n, size_t i, struct prefix *px)
{
    size_t j = i;
    if (j >= n || !(is_digit(p[j]) || (p[j] >= 'a' && p[j] <= 'f') || (p[j] >= 'A' && p[j] <= 'F') || p[j] == ':'))
        return i;
    if (!read_endpoint(p, n, &j, px->local, &px->lport))
        return i;
    if (j + 3 > n || memcmp(p + j, " - ", 3) != 0)
        return i;
    j += 3;
    if (!read_endpoint(p, n, &j, px->remote, &px->rport))
        return i;
    if (j < n && p[j] == ':') {
        j++;
        /* the packet pointer: "(nil)" or "0x..." */
        if (starts_with(p + j, n - j, "(nil)"))
            j += 5;
        else if (starts_with(p + j, n - j, "0x")) {
            j += 2;
            while (j < n && ((p[j] >= '0' && p[j] <= '9') || (p[j] >= 'a' && p[j] <= 'f')))
                j++;
        }
        if (j < n && p[j] == ':')
            j++;
    }
    px->has_ep = 1;
    return skip_spaces(p, n, j);
}

/* Parses the record prefix. Returns 1 on a record, 0 for a continuation line, -1 for a line
 * that has a timestamp shape with impossible values (*why says which). */
static int parse_prefix(struct ikemgr_file *f, const char *p, size_t n, struct prefix *px,
                        const char **why)
{
    struct ikm_time t;
    size_t i, ts_len = pk_time_cached(&f->out, &f->tsc, p, n, &t);
    if (ts_len) {
        i = skip_spaces(p, n, ts_len);
    } else {
        struct ikm_tm tm;
        size_t used;
        enum ikm_ts_result r = ikm_parse_datetime(p, n, "-:", " T", &tm, &used, why);
        if (r == IKM_TS_NONE)
            return 0;
        if (r == IKM_TS_INVALID)
            return -1;
        ts_len = used;
        i = skip_spaces(p, n, used);
        int off = 0, has_off = 0;
        size_t ou = 0;
        int o = ikm_parse_utc_offset(p + i, n - i, &off, &ou);
        /* an offset is a token of its own: "Z" only glued to the time, and either form
         * followed by the end, a space or "[" — "2016-03-01 14:32:20 Zombie SA" has none */
        if (o != 0 && ((p[i] == 'Z' && i != used) ||
                       (i + ou < n && p[i + ou] != ' ' && p[i + ou] != '\t' && p[i + ou] != '[')))
            o = 0;
        if (o < 0) {
            *why = "invalid timestamp: UTC offset out of range";
            return -1;
        }
        if (o > 0) {
            has_off = 1;
            ts_len = i + ou;
            i = skip_spaces(p, n, i + ou);
        }
        pk_time_from_tm(&f->out, &tm, has_off, off, p, ts_len, &t);
        if (has_off)
            pk_time_remember(&f->tsc, p, ts_len, &t);
    }
    /* member by member: zeroing the two address buffers too was a tenth of this function,
     * once per line; they are read only up to their NUL (read_endpoint fills them) */
    static const struct ikm_str none;
    px->t = t;
    px->level = IKM_LVL_NONE;
    px->level_raw = px->pidtid = px->srcloc = px->role_tag = px->msg = px->core = none;
    px->gw_id = px->tn_id = -1;
    px->has_ep = 0;
    px->local[0] = px->remote[0] = '\0';
    px->lport = px->rport = -1;
    if (i < n && p[i] == '[' && i + 1 < n && is_digit(p[i + 1])) {
        const char *close = memchr(p + i, ']', n - i < 32 ? n - i : 32);
        if (close) {
            px->pidtid = ikm_str_of(p + i + 1, (size_t)(close - p) - i - 1);
            i = skip_spaces(p, n, (size_t)(close - p) + 1);
        }
    }
    i = skip_spaces(p, n, read_level(p, n, i, px));
    px->msg = ikm_str_of(p + i, n - i);
    i = read_srcloc(p, n, i, px);
    i = read_context(p, n, i, px);
    i = read_role(p, n, i, px);
    i = read_endpoints(p, n, i, px);
    px->core = ikm_str_of(p + i, n - i);
    return 1;
}

static void event_from_prefix(const struct prefix *px, int64_t line, enum ikm_event_kind kind,
                              struct ikm_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->line = line;
    ev->t = px->t;
    ev->kind = kind;
    ev->level = px->level;
    ev->level_raw = px->level_raw;
    ev->gw_id = px->gw_id;
    ev->tn_id = px->tn_id;
    ev->msg = px->msg;
    if (px->has_ep) {
        ev->peer_ip = ikm_str_of(px->remote, strlen(px->remote));
        ikm_event_add_attr(ev, "local", ikm_str_of(px->local, strlen(px->local)), 0);
    }
    if (px->srcloc.ptr)
        ikm_event_add_attr(ev, "srcloc", px->srcloc, 0);
    if (px->role_tag.ptr)
        ikm_event_add_attr(ev, "role", px->role_tag, 0);
    if (px->pidtid.ptr)
        ikm_event_add_attr(ev, "pid_tid", px->pidtid, 0);
}

/* "N times of M bytes message will be sent over socket S" (or racoon2's "... sent to ADDR") */
static int try_send(struct ikemgr_file *f, const struct prefix *px, int64_t line)
{
    const char *p = px->core.ptr;
    size_t n = px->core.len, i = 0;
    int64_t copies, len;
    if (!read_uint(p, n, &i, &copies) || !starts_with(p + i, n - i, " times of "))
        return 0;
    i += 10;
    if (!read_uint(p, n, &i, &len) || !starts_with(p + i, n - i, " bytes message will be sent"))
        return 0;
    flush_recv(f);
    struct ikm_ike_msg m;
    ikm_ike_msg_init(&m, IKM_ORIGIN_LOG);
    m.unit = line;
    m.t = px->t;
    m.dir = IKM_DIR_SENT;
    m.length = len;
    m.copies = copies > 1000000 ? 1000000 : (int)copies;
    m.gw_id = px->gw_id;
    m.tn_id = px->tn_id;
    if (px->has_ep) {
        copy_ip(m.src_ip, px->local);
        copy_ip(m.dst_ip, px->remote);
        m.src_port = px->lport;
        m.dst_port = px->rport;
        m.natt = px->lport == 4500 || px->rport == 4500;
        peer_remember(f, px->remote, px->local, px->lport);
    }
    else {
        /* racoon2's own form: "... message will be sent to ADDR[PORT]" */
        size_t k = i + 27; /* after " bytes message will be sent" */
        if (starts_with(p + k, n - k, " to ")) {
            k += 4;
            char ip[IKM_IP_MAX];
            int port = -1;
            size_t a = k;
            if (read_endpoint(p, n, &k, ip, &port)) {
                copy_ip(m.dst_ip, ip);
                m.dst_port = port;
                m.natt = port == 4500;
            } else {
                while (k < n && p[k] != ' ' && p[k] != ',')
                    k++;
                if (valid_ip(p + a, k - a, ip))
                    copy_ip(m.dst_ip, ip);
            }
        }
    }
    pk_ike_message(&f->out, &m);
    return 1;
}

/* "M bytes message received from A" */
static int try_recv(struct ikemgr_file *f, const struct prefix *px, int64_t line)
{
    const char *p = px->core.ptr;
    size_t n = px->core.len, i = 0;
    int64_t len;
    if (!read_uint(p, n, &i, &len) || !starts_with(p + i, n - i, " bytes message received from "))
        return 0;
    i += 29;
    flush_recv(f);
    struct ikm_ike_msg *m = &f->recv;
    ikm_ike_msg_init(m, IKM_ORIGIN_LOG);
    m->unit = line;
    m->t = px->t;
    copy_time_text(&m->t, f->recv_ts, sizeof f->recv_ts);
    m->dir = IKM_DIR_RECV;
    m->length = len;
    m->gw_id = px->gw_id;
    m->tn_id = px->tn_id;
    size_t a = i;
    while (i < n && p[i] != '[' && p[i] != ' ' && p[i] != ',')
        i++;
    if (valid_ip(p + a, i - a, m->src_ip)) {
        int64_t port;
        size_t k = i + 1;
        if (i < n && p[i] == '[' && read_uint(p, n, &k, &port) && k < n && p[k] == ']' && port <= 65535)
            m->src_port = (int)port;
        const struct peer_slot *s = peer_lookup(f, m->src_ip);
        if (s) {
            copy_ip(m->dst_ip, s->local);
            m->dst_port = s->local_port;
        }
        m->natt = m->src_port == 4500 || m->dst_port == 4500;
    }
    f->have_recv = 1;
    return 1;
}

/* "response|request message_id X expected Y", "response|request exch type T",
 * "update response|request message_id X". Returns 1 when the line was one of them. */
static int try_msgid(struct ikemgr_file *f, const struct prefix *px, int64_t line)
{
    const char *p = px->core.ptr;
    size_t n = px->core.len, i = 0;
    int update = 0;
    if (starts_with(p, n, "update ")) {
        update = 1;
        i = 7;
    }
    int is_resp;
    if (starts_with(p + i, n - i, "response "))
        is_resp = 1, i += 9;
    else if (starts_with(p + i, n - i, "request "))
        is_resp = 0, i += 8;
    else
        return 0;
    struct ikm_ike_msg *m = f->have_recv ? &f->recv : NULL;
    /* the lines after "received from" describe that packet only: another SA's context, a
     * second message-id line, or a later second means the pending message is complete */
    if (m && ((m->gw_id >= 0 && px->gw_id >= 0 && m->gw_id != px->gw_id) ||
              (!update && !starts_with(p + i, n - i, "exch type ") && m->expected_msg_id >= 0) ||
              px->t.local_us - m->t.local_us > RECV_DETAIL_US || px->t.local_us < m->t.local_us)) {
        flush_recv(f);
        m = NULL;
    }
    if (!update && starts_with(p + i, n - i, "exch type ")) {
        i += 10;
        int64_t t;
        if (!read_uint(p, n, &i, &t) || t > 255)
            return 0;
        if (m) {
            m->exch_type = (int)t;
            m->is_response = is_resp;
            m->version = 2;
            if (m->gw_id < 0)
                m->gw_id = px->gw_id;
        }
        return 1;
    }
    if (!starts_with(p + i, n - i, "message_id "))
        return 0;
    i += 11;
    int64_t id, expected = -1;
    if (!read_msgid(p, n, &i, &id))
        return 0;
    if (!update) {
        if (!starts_with(p + i, n - i, " expected "))
            return 0;
        i += 10;
        if (!read_msgid(p, n, &i, &expected))
            return 0;
    }
    if (m) {
        m->is_response = is_resp;
        m->version = 2;
        if (m->gw_id < 0)
            m->gw_id = px->gw_id;
        if (m->tn_id < 0)
            m->tn_id = px->tn_id;
        if (m->gw_id >= 0 && m->gw_id < GW_MAP_SIZE && m->src_ip[0])
            memcpy(f->gw_peer[m->gw_id], m->src_ip, IKM_IP_MAX);
        if (!update) {
            m->msg_id = id;
            m->expected_msg_id = expected;
        } else if (m->msg_id < 0) {
            m->msg_id = id;
        }
    }
    if (!update && id != expected) {
        struct ikm_event ev;
        event_from_prefix(px, line, IKM_EV_MSGID_MISMATCH, &ev);
        char idb[24], exb[24];
        int il = snprintf(idb, sizeof idb, "%lld", (long long)id);
        int el = snprintf(exb, sizeof exb, "%lld", (long long)expected);
        ikm_event_add_attr(&ev, "message_id", ikm_str_of(idb, (size_t)il), 1);
        ikm_event_add_attr(&ev, "expected", ikm_str_of(exb, (size_t)el), 1);
        ikm_event_add_attr(&ev, "direction", is_resp ? ikm_str_of("response", 8) : ikm_str_of("request", 7), 0);
        if (m)
            ev.peer_ip = ikm_str_of(m->src_ip, strlen(m->src_ip));
        if (m && m->src_ip[0] == '\0')
            ev.peer_ip = ikm_str_none();
        fill_peer_from_context(f, &ev);
        pk_held_set(&f->out, &f->pend, &ev);
    }
    return 1;
}

static struct ikm_str cap_str(pcre2_match_data *md, int group, const char *s)
{
    if (group < 0)
        return ikm_str_none();
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (group >= (int)pcre2_get_ovector_count(md) || ov[2 * group] == PCRE2_UNSET)
        return ikm_str_none();
    return ikm_str_of(s + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
}

static int str_ieq(struct ikm_str s, const char *lit)
{
    size_t l = strlen(lit);
    if (s.len != l)
        return 0;
    for (size_t i = 0; i < l; i++) {
        char a = s.ptr[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static enum ikm_event_kind derived_kind(pcre2_match_data *md, const int *grp, const char *s)
{
    struct ikm_str sa = cap_str(md, grp[CAP_SA], s), ph = cap_str(md, grp[CAP_PHASE], s);
    struct ikm_str res = cap_str(md, grp[CAP_RESULT], s);
    int phase2 = str_ieq(sa, "child") || (ph.ptr && ph.ptr[0] == '2');
    if (str_ieq(res, "started"))
        return phase2 ? IKM_EV_P2_START : IKM_EV_P1_START;
    if (str_ieq(res, "succeeded"))
        return phase2 ? IKM_EV_P2_UP : IKM_EV_P1_UP;
    return phase2 ? IKM_EV_P2_FAIL : IKM_EV_P1_FAIL;
}

/* Fills event fields from the captures of entry `e` in md; `fill_only` leaves set fields. */
static void apply_captures(struct ikm_event *ev, size_t e, const struct ikemgr_catalog *cat,
                           pcre2_match_data *md, const char *s, int fill_only)
{
    const int *grp = cat->group[e];
    for (int c = 0; c < CAP_COUNT; c++) {
        struct ikm_str v = cap_str(md, grp[c], s);
        if (!v.ptr || v.len == 0)
            continue;
        switch (c) {
        case CAP_TUNNEL:
            if (!fill_only || !ev->tunnel.ptr)
                ev->tunnel = v;
            break;
        case CAP_GATEWAY:
            if (!fill_only || !ev->gateway.ptr)
                ev->gateway = v;
            break;
        case CAP_PEER:
            if (!fill_only || !ev->peer_ip.ptr)
                ev->peer_ip = v;
            break;
        case CAP_SA:
        case CAP_PHASE:
        case CAP_RESULT:
            break;
        default:
            if (cap_attr_key[c]) {
                int dup = 0;
                for (size_t a = 0; a < ev->n_attrs; a++)
                    if (strcmp(ev->attrs[a].key, cap_attr_key[c]) == 0)
                        dup = 1;
                if (!dup)
                    ikm_event_add_attr(ev, cap_attr_key[c], v,
                                       c == CAP_LPORT || c == CAP_RPORT || c == CAP_SERIAL);
            }
        }
    }
}

/* The catalog: 1 when the line was classified (event held or no-row), 0 when nothing
 * matched. */
static int try_catalog(struct ikemgr_file *f, const struct prefix *px, int64_t line)
{
    const char *s = px->core.ptr;
    size_t n = px->core.len;
    const struct ikemgr_catalog *cat = f->cat;
    if (pcre2_match(cat->any, (PCRE2_SPTR)s, n, 0, 0, f->md, NULL) < 0)
        return 0;
    int e = classify_from(cat, 0, s, n, f->md, 0);
    if (e < 0)
        return 0;
    const struct cat_entry *ce = &cat_entries[e];
    if (ce->no_row)
        return 1;
    enum ikm_event_kind kind = ce->kind == IKM_EV_COUNT ? derived_kind(f->md, cat->group[e], s) : ce->kind;
    if (kind == IKM_EV_DAEMON_RESTART) {
        /* one start-up prints several banner lines in a row; "IKE FSM thread: N: starting
         * up" always opens a new one */
        int64_t t = px->t.local_us;
        int opens = memmem(s, n, "starting up", 11) != NULL;
        if (f->restart_open && !opens && t - f->last_restart_us <= RESTART_MERGE_US && t >= f->last_restart_us) {
            f->last_restart_us = t;
            f->restart_kept = 1;
            return 1;
        }
        f->restart_open = 1;
        f->restart_kept = 1;
        f->last_restart_us = t;
    }
    struct ikm_event ev;
    event_from_prefix(px, line, kind, &ev);
    apply_captures(&ev, (size_t)e, cat, f->md, s, 0);
    const char *reason = ce->reason;
    if (!reason) {
        int e2 = classify_from(cat, (size_t)e + 1, s, n, f->md2, 1);
        if (e2 >= 0) {
            reason = cat_entries[e2].reason;
            apply_captures(&ev, (size_t)e2, cat, f->md2, s, 1);
        }
    }
    if (reason)
        ikm_event_add_attr(&ev, "reason", ikm_str_of(reason, strlen(reason)), 0);
    ikm_event_add_attr(&ev, "pattern", ikm_str_of(ce->name, strlen(ce->name)), 0);
    fill_peer_from_context(f, &ev);
    pk_held_set(&f->out, &f->pend, &ev);
    return 1;
}

int ikemgr_file_line(struct ikemgr_file *f, const struct ikm_line *in)
{
    struct ikm_line ln = *in;
    struct pk_out *o = &f->out;
    o->st.units++;
    if (ln.truncated) {
        pk_long_line(o, &ln);
        flush_recv(f);
        pk_held_flush(&f->out, &f->pend);
        f->rec = REC_UNPARSED;
        pk_unparsed_line(o, &ln, "line longer than 1 MiB");
        return o->failed ? -1 : 0;
    }
    pk_check_bytes(o, &ln);
    size_t lead = pk_leading_nuls(ln.ptr, ln.len);
    if (lead) {
        if (lead == ln.len) {
            pk_unparsed_line(o, &ln, "NUL bytes only");
            return o->failed ? -1 : 0;
        }
        ln.ptr += lead;
        ln.len -= lead;
        ln.offset += (int64_t)lead;
    }
    size_t first = skip_spaces(ln.ptr, ln.len, 0);
    if (first == ln.len) {
        pk_parsed(o); /* a blank line carries nothing to lose */
        return 0;
    }
    struct prefix px;
    const char *why = NULL;
    int r = parse_prefix(f, ln.ptr, ln.len, &px, &why);
    if (r < 0) {
        pk_diag(o, PK_CK_TS, IKM_DIAG_WARNING, ln.number, ln.offset, "%s", why ? why : "invalid timestamp");
        flush_recv(f);
        pk_held_flush(&f->out, &f->pend);
        f->rec = REC_UNPARSED;
        pk_unparsed_line(o, &ln, why ? why : "invalid timestamp");
        return o->failed ? -1 : 0;
    }
    if (r == 0) {
        /* a continuation of the previous record */
        if (f->rec == REC_PARSED) {
            pk_parsed(o);
            if (f->pend.active && f->pend.ev.line == f->rec_line)
                pk_held_extend(&f->out, &f->pend, ln.ptr, ln.len);
            /* start-up banners are continuation lines ("IKE DAEMON START on ...") */
            struct prefix cp = {0};
            cp.t = f->rec_time;
            cp.gw_id = cp.tn_id = -1;
            cp.msg = cp.core = ikm_str_of(ln.ptr + first, ln.len - first);
            if (memmem(ln.ptr, ln.len, "DAEMON START", 12))
                try_catalog(f, &cp, ln.number);
        } else {
            pk_unparsed_line(o, &ln, f->rec == REC_NONE ? "continuation line before the first record"
                                                        : "continuation of an unparsed record");
        }
        return o->failed ? -1 : 0;
    }
    f->restart_kept = 0;
    f->rec_line = ln.number;
    f->rec_time = px.t;
    copy_time_text(&f->rec_time, f->rec_ts, sizeof f->rec_ts);
    const char *c = px.core.ptr;
    size_t cn = px.core.len;
    int ok = 1;
    if (cn > 0 && is_digit(c[0])) {
        ok = try_send(f, &px, ln.number) || try_recv(f, &px, ln.number);
    } else if ((cn >= 3 && memcmp(c, "===", 3) == 0) || starts_with(c, cn, "processing isakmp packet")) {
        flush_recv(f); /* a new packet starts */
    } else if (cn > 0 && (c[0] == 'r' || c[0] == 'u') && try_msgid(f, &px, ln.number)) {
        /* bookkeeping of the pending received message */
    } else {
        ok = 0;
    }
    if (!ok) {
        ok = try_catalog(f, &px, ln.number);
        /* a source location hides words some families key on ("pan_cfgagent_...") */
        if (!ok && px.srcloc.ptr && px.msg.len > px.core.len) {
            struct prefix whole = px;
            whole.core = px.msg;
            ok = try_catalog(f, &whole, ln.number);
        }
    }
    if (!f->restart_kept)
        f->restart_open = 0;
    if (ok) {
        pk_parsed(o);
        f->rec = REC_PARSED;
    } else {
        f->rec = REC_UNPARSED;
        pk_unparsed_line(o, &ln, "unrecognised message");
    }
    return o->failed ? -1 : 0;
}

int ikemgr_file_finish(struct ikemgr_file *f, struct ikm_source_stats *stats)
{
    flush_recv(f);
    pk_held_flush(&f->out, &f->pend);
    return pk_finish(&f->out, stats);
}

static void feed_line(void *f, const struct ikm_line *ln)
{
    (void)ikemgr_file_line(f, ln); /* a failure is seen in f->out.failed */
}

int ikemgr_parse_stream(const struct ikemgr_catalog *cat, struct ikm_stream stream,
                        const struct ikm_sink *sink, struct ikm_source_stats *stats)
{
    struct ikm_linereader lr;
    if (ikm_lr_init(&lr, stream) < 0)
        return -1;
    struct ikemgr_file *f = ikemgr_file_new(cat, sink);
    if (!f) {
        ikm_lr_free(&lr);
        return -1;
    }
    int rc = pk_feed_lines(&f->out, &lr, feed_line, f);
    if (ikemgr_file_finish(f, stats) < 0)
        rc = -1;
    stats->bytes = ikm_lr_bytes(&lr);
    ikemgr_file_free(f);
    ikm_lr_free(&lr);
    return rc;
}

#define SNIFF_LINES_MAX 2000 /* a rotation may start with a long hex dump (formats.md §1.1) */

void ikemgr_sniff(const char *buf, size_t n, int *matching, int *looked)
{
    *matching = *looked = 0;
    size_t i = 0;
    while (i < n && *looked < SNIFF_LINES_MAX) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
        if (!nl && *looked > 0)
            break; /* a cut last line says nothing */
        const char *p = buf + i;
        while (len > 0 && *p == '\0')
            p++, len--;
        if (len > 0 && !(len == 1 && *p == '\r')) {
            struct ikm_tm tm;
            size_t used;
            (*looked)++;
            if (ikm_parse_datetime(p, len, "-:", " T", &tm, &used, NULL) == IKM_TS_OK)
                (*matching)++;
        }
        if (!nl)
            break;
        i += (size_t)(nl - (buf + i)) + 1;
    }
}
