/*
 * panlog_csv.c — PAN-OS CSV / forwarded-syslog reader (../shared/formats.md §2.2, §3).
 *
 * Line grammar (one log per line; a quoted field may continue on the next lines):
 *
 *   [OCTETS ][<PRI>]1 TS HOST APP PROCID MSGID SD CSV     RFC 5424 (+ RFC 6587 octet count)
 *     535 <14>1 2020-03-27T09:57:41+01:00 PA-VM - - - - 1,2020/03/27 09:57:41,...
 *   [<PRI>]Mmm dd hh:mm:ss [HOST ]CSV                     RFC 3164, PRI and host optional
 *     <14>Nov  9 19:53:08 NY-DC-FW-2.example.com 1,2019/10/06 15:46:26,...
 *     Mar 25 23:59:02 1,2013/03/25 23:59:02,...
 *   CSV                                                   bare (GUI export, collectors)
 *     1,2021/10/26 15:05:03,,SYSTEM,general,2561,2021/10/26 15:05:03,,general,...
 *
 * CSV: FUTURE_USE, Receive Time, Serial, Type, Subtype, FUTURE_USE, Generated Time, ... —
 * the rest depends on Type:
 *
 *   SYSTEM  8 Event ID, 9 Object, 12 Module, 13 Severity, 14 Description, 15 Sequence,
 *           16 Action Flags, 17-20 DG, 21 Vsys Name, 22 Device Name, 23-24, 25 Hi-res TS.
 *           17 fields (7.x), 23 (8.x/9.x), 26 (10.x+): missing trailing fields are null,
 *           extra ones ignored.
 *   CONFIG  7 Host, 8 Vsys, 9 Command, 10 Admin, 11 Client, 12 Result, 13 Path, then either
 *           14 Before, 15 After, 16 Sequence, 17 Flags, ... (the docs) or 14 Sequence,
 *           15 Flags, ..., 25 Hi-res TS, 26 Before, 27 After (real 10.x+ rows). The layout
 *           is told by where the sequence number and the 0x action flags sit; the hi-res
 *           timestamp is 11 fields after the sequence number in both.
 *
 * Fields are split by a small RFC 4180 splitter: a field that starts with '"' runs to the
 * next '"' not doubled, "" inside it is one quote (unescaped into a scratch buffer that only
 * grows), commas inside it are text. Text after a closing quote up to the next comma is
 * ignored (a diagnostic says so). A line that ends inside quotes is joined with the next
 * lines (at most JOIN_LINES_MAX) unless one of them starts a record itself.
 */
#include "panlog_csv.h"

#include "panlog_classify.h"
#include "parsekit.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

#define FIELDS_MAX 64             /* fields kept per row; more are tolerated and ignored */
#define JOIN_LINES_MAX 64         /* lines one quoted field may span */
#define JOIN_BYTES_MAX ((size_t)256 << 10)

/* SYSTEM field indexes (formats.md §2.2) */
enum { F_RECV = 1, F_SERIAL = 2, F_TYPE = 3, F_SUBTYPE = 4, F_GEN = 6 };
enum { SYS_EVID = 8, SYS_OBJECT = 9, SYS_SEVERITY = 13, SYS_DESC = 14, SYS_HIRES = 25 };
/* CONFIG field indexes (formats.md §3.1) */
enum { CFG_HOST = 7, CFG_CMD = 9, CFG_ADMIN = 10, CFG_CLIENT = 11, CFG_RESULT = 12, CFG_PATH = 13 };
#define CFG_HIRES_AFTER_SEQ 11

#define CK_CSV "csv" /* quoting problems */
static const char *const csv_checks[] = {PK_LINE_CHECKS, CK_CSV};

struct field {
    const char *p;
    size_t n;
};

struct held {
    int64_t number, offset;
    size_t start, len; /* into jbuf */
};

enum pr { PR_PARSED, PR_UNPARSED, PR_JOIN };

struct csv_reader {
    struct pk_out out;
    struct panlog_cls *cls;

    struct field f[FIELDS_MAX];
    size_t nf;        /* fields kept */
    size_t nf_total;  /* fields in the row */
    char *scratch;    /* unescaped quoted fields */
    size_t scap;
    char *pathbuf;    /* the normalised configuration path */
    size_t pcap;

    int joining, jparity;
    char *jbuf;
    size_t jlen, jcap;
    struct held held[JOIN_LINES_MAX];
    size_t nheld;
};

/* ---- lexical helpers ------------------------------------------------------------------------ */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *nb = realloc(*buf, c);
    if (!nb)
        return -1;
    /* defined bytes past a subject keep valgrind quiet about PCRE2 JIT's word reads */
    memset(nb + *cap, 0, c - *cap);
    *buf = nb;
    *cap = c;
    return 0;
}

static int starts_with(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

static int field_ieq(struct field f, const char *lit)
{
    size_t l = strlen(lit);
    if (f.n != l)
        return 0;
    for (size_t i = 0; i < l; i++) {
        char c = f.p[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

static int is_uint(struct field f)
{
    if (f.n == 0 || f.n > 20)
        return 0;
    for (size_t i = 0; i < f.n; i++)
        if (!is_digit(f.p[i]))
            return 0;
    return 1;
}

/* "YYYY/MM/DD HH:MM:SS" shape at p (values unchecked). */
static int pan_time_shape(const char *p, size_t n)
{
    static const char shape[] = "dddd/dd/dd dd:dd:dd";
    if (n < 19)
        return 0;
    for (size_t i = 0; i < 19; i++)
        if (shape[i] == 'd' ? !is_digit(p[i]) : p[i] != shape[i])
            return 0;
    return 1;
}

/* A PAN-OS CSV row starts "<digits>,YYYY/MM/DD HH:MM:SS," (FUTURE_USE, Receive Time). */
static int pan_csv_at(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 10 && is_digit(p[i]))
        i++;
    if (i >= n || p[i] != ',')
        return 0;
    i++;
    return pan_time_shape(p + i, n - i) && i + 19 < n && p[i + 19] == ',';
}

static int month_at(const char *p, size_t n)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (n < 3)
        return 0;
    for (size_t m = 0; m < 12; m++)
        if (memcmp(p, months + 3 * m, 3) == 0)
            return 1;
    return 0;
}

/* "Mmm dd hh:mm:ss " (day space-padded or not); returns its length or 0. */
static size_t bsd_time_at(const char *p, size_t n)
{
    if (n < 16 || !month_at(p, n) || p[3] != ' ')
        return 0;
    size_t i = 4;
    if (p[i] == ' ')
        i++;
    if (!is_digit(p[i]))
        return 0;
    i++;
    if (i < n && is_digit(p[i]))
        i++;
    if (i + 9 > n || p[i] != ' ')
        return 0;
    i++;
    static const char shape[] = "dd:dd:dd";
    for (size_t k = 0; k < 8; k++)
        if (shape[k] == 'd' ? !is_digit(p[i + k]) : p[i + k] != shape[k])
            return 0;
    i += 8;
    if (i >= n || p[i] != ' ')
        return 0;
    return i + 1;
}

static size_t skip_token(const char *p, size_t n, size_t i)
{
    while (i < n && p[i] != ' ')
        i++;
    return i < n ? i + 1 : i;
}

/* The offset of the CSV payload after any syslog framing (the framing is not checked beyond
 * its shape: what matters is the PAN-OS row after it). */
static size_t payload_at(const char *p, size_t n)
{
    size_t i = 0;
    /* RFC 6587 octet counting: "535 <14>..." */
    size_t d = 0;
    while (d < n && d < 9 && is_digit(p[d]))
        d++;
    if (d > 0 && d + 1 < n && p[d] == ' ' && p[d + 1] == '<')
        i = d + 1;
    int pri = 0;
    if (i < n && p[i] == '<') {
        size_t k = i + 1;
        while (k < n && k - i <= 3 && is_digit(p[k]))
            k++;
        if (k > i + 1 && k < n && p[k] == '>') {
            i = k + 1;
            pri = 1;
        }
    }
    if (pri && i + 1 < n && p[i] == '1' && p[i + 1] == ' ') {
        /* RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG */
        i += 2;
        for (int t = 0; t < 5; t++)
            i = skip_token(p, n, i);
        if (i < n && p[i] == '-') {
            i = skip_token(p, n, i);
        } else {
            while (i < n && p[i] == '[') {
                int esc = 0, quoted = 0;
                i++;
                while (i < n) {
                    char c = p[i++];
                    if (esc) {
                        esc = 0;
                    } else if (c == '\\') {
                        esc = 1;
                    } else if (c == '"') {
                        quoted = !quoted;
                    } else if (c == ']' && !quoted) {
                        break;
                    }
                }
            }
            if (i < n && p[i] == ' ')
                i++;
        }
        if (n - i >= 3 && memcmp(p + i, "\xEF\xBB\xBF", 3) == 0)
            i += 3;
        return i;
    }
    size_t bt = bsd_time_at(p + i, n - i);
    if (bt) {
        i += bt;
        /* host, then perhaps a tag, before the row */
        size_t j = i;
        for (int t = 0; t < 2 && j < n && !pan_csv_at(p + j, n - j); t++)
            j = skip_token(p, n, j);
        if (j < n && pan_csv_at(p + j, n - j))
            i = j;
    }
    return i;
}

/* Whether a line starts a record of its own (ends a join). */
static int record_start(const char *p, size_t n)
{
    size_t i = payload_at(p, n);
    return i > 0 || pan_csv_at(p, n);
}

static int has_format_tag(const char *p, size_t n, const char *tag)
{
    size_t lim = n < 256 ? n : 256, tl = strlen(tag);
    const char *t = memmem(p, lim, tag, tl);
    return t && (size_t)(t - p) + tl < n && is_digit(t[tl]) && memchr(t, '|', n - (size_t)(t - p)) != NULL;
}

/* ---- CSV splitting ----------------------------------------------------------------------------- */

/* Splits p[0..n) into r->f (at most FIELDS_MAX kept; r->nf_total counts all). Quoted fields
 * are unquoted and "" unescaped into r->scratch (at least n bytes). Returns 1 when the row
 * ends inside quotes, and sets *junk when text followed a closing quote. */
static int csv_split(struct csv_reader *r, const char *p, size_t n, int *junk)
{
    size_t i = 0, s = 0;
    int open = 0;
    r->nf = r->nf_total = 0;
    *junk = 0;
    for (;;) {
        struct field f;
        if (i < n && p[i] == '"') {
            size_t j = i + 1, start = j;
            int esc = 0;
            while (j < n) {
                if (p[j] == '"') {
                    if (j + 1 < n && p[j + 1] == '"') {
                        esc = 1;
                        j += 2;
                        continue;
                    }
                    break;
                }
                j++;
            }
            size_t end = j < n ? j : n;
            if (j >= n)
                open = 1;
            if (esc) {
                char *out = r->scratch + s;
                size_t o = 0;
                for (size_t k = start; k < end; k++) {
                    out[o++] = p[k];
                    if (p[k] == '"' && k + 1 < end && p[k + 1] == '"')
                        k++;
                }
                f.p = out;
                f.n = o;
                s += o;
            } else {
                f.p = p + start;
                f.n = end - start;
            }
            i = j < n ? j + 1 : n;
            if (i < n && p[i] != ',') {
                *junk = 1;
                const char *comma = memchr(p + i, ',', n - i);
                i = comma ? (size_t)(comma - p) : n;
            }
        } else {
            const char *comma = memchr(p + i, ',', n - i);
            size_t end = comma ? (size_t)(comma - p) : n;
            f.p = p + i;
            f.n = end - i;
            i = end;
        }
        if (r->nf < FIELDS_MAX)
            r->f[r->nf++] = f;
        r->nf_total++;
        if (i < n && p[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    return open;
}

/* Field k, or an absent string when the row is shorter or the field empty. */
static struct ikm_str fld(const struct csv_reader *r, size_t k)
{
    if (k >= r->nf || r->f[k].n == 0)
        return ikm_str_none();
    return ikm_str_of(r->f[k].p, r->f[k].n);
}

/* ---- time ----------------------------------------------------------------------------------- */

/* "YYYY/MM/DD HH:MM:SS" filling the whole field. 1 ok, 0 not a time, -1 impossible values. */
static int pan_time(struct field f, struct ikm_tm *tm, const char **why)
{
    size_t used;
    enum ikm_ts_result r = ikm_parse_datetime(f.p, f.n, "/", " ", tm, &used, why);
    if (r == IKM_TS_INVALID)
        return -1;
    return r == IKM_TS_OK && used == f.n;
}

/* "2021-10-26T15:05:03.440-07:00" filling the whole field. 1 ok, 0 not one, -1 bad values. */
static int hires_time(struct field f, struct ikm_tm *tm, int *off)
{
    size_t used, ou;
    const char *why = NULL;
    enum ikm_ts_result r = ikm_parse_datetime(f.p, f.n, "-", "T", tm, &used, &why);
    if (r == IKM_TS_INVALID)
        return -1;
    if (r != IKM_TS_OK)
        return 0;
    int o = ikm_parse_utc_offset(f.p + used, f.n - used, off, &ou);
    if (o < 0)
        return -1;
    return o == 1 && used + ou == f.n;
}

/* The row's time: the hi-res field when present, else Generated Time, else Receive Time.
 * Returns 0, or -1 with *reason for impossible values (reported as a diagnostic). */
static int row_time(struct csv_reader *r, size_t hires_idx, int64_t line, int64_t off, struct ikm_time *t,
                    const char **reason)
{
    struct ikm_tm tm;
    memset(t, 0, sizeof *t);
    if (hires_idx < r->nf && r->f[hires_idx].n > 0) {
        int o = 0;
        int h = hires_time(r->f[hires_idx], &tm, &o);
        if (h == 1) {
            t->local_us = ikm_tm_to_us(&tm);
            t->offset_min = o;
            t->utc_us = t->local_us - (int64_t)o * 60 * 1000000;
            t->state = IKM_TZ_LINE;
            t->text = r->f[hires_idx].p;
            t->text_len = r->f[hires_idx].n;
            return 0;
        }
        if (h < 0)
            pk_diag(&r->out, PK_CK_TS, IKM_DIAG_WARNING, line, off,
                    "impossible high-resolution timestamp in field %zu; Generated Time used", hires_idx + 1);
    }
    size_t k = F_GEN;
    const char *why = NULL;
    int g = k < r->nf ? pan_time(r->f[k], &tm, &why) : 0;
    if (g == 0) {
        k = F_RECV; /* a row cut before Generated Time: the receive time is all there is */
        g = pan_time(r->f[k], &tm, &why);
    }
    if (g <= 0) {
        *reason = panlog_ts_reason(why);
        pk_diag(&r->out, PK_CK_TS, IKM_DIAG_WARNING, line, off, "%s (field %zu)", *reason, k + 1);
        return -1;
    }
    t->local_us = ikm_tm_to_us(&tm);
    t->utc_us = t->local_us; /* no zone: resolved by the writer */
    t->state = IKM_TZ_PENDING;
    t->text = r->f[k].p;
    t->text_len = r->f[k].n;
    return 0;
}

/* The source's time range covers its rows' times, not those of lines that did not parse. */
static void emit(struct csv_reader *r, const struct ikm_event *ev)
{
    pk_note_time(&r->out, &ev->t);
    pk_event(&r->out, ev);
}

/* ---- SYSTEM ----------------------------------------------------------------------------------- */

static int system_row(struct csv_reader *r, int64_t line, int64_t off, const char **reason)
{
    struct ikm_event ev;
    memset(&ev, 0, sizeof ev);
    if (row_time(r, SYS_HIRES, line, off, &ev.t, reason) < 0)
        return -1;
    struct panlog_entry e;
    memset(&e, 0, sizeof e);
    e.subtype = fld(r, F_SUBTYPE);
    e.event_id = fld(r, SYS_EVID);
    e.object = fld(r, SYS_OBJECT);
    e.severity = fld(r, SYS_SEVERITY);
    e.description = fld(r, SYS_DESC);
    ev.line = line;
    ev.gw_id = ev.tn_id = -1;
    ev.msg = e.description;
    panlog_classify(r->cls, &e, &ev);
    emit(r, &ev);
    return 0;
}

/* ---- CONFIG ----------------------------------------------------------------------------------- */

/* Configuration paths that can break a tunnel or its traffic (formats.md §3.2), most
 * specific first; matched as whole words of the normalised path. */
static const struct {
    const char *words;
    const char *what;
} cfg_paths[] = {
    {"network ike gateway", "ike-gateway"},
    {"network ike crypto-profiles", "crypto-profile"},
    {"network tunnel ipsec", "ipsec-tunnel"},
    {"network profiles monitor-profile", "monitor-profile"},
    {"static-route", "static-route"},
    {"network virtual-router", "virtual-router"},
    {"network logical-router", "logical-router"},
    {"network interface", "interface"},
    {"rulebase security", "security-rule"},
    {"rulebase nat", "nat-rule"},
    {"rulebase pbf", "pbf-rule"},
    {"zone", "zone"},
};

/* Start of `words` in path as whole words (preceded by start, ' ' or '-'), or NULL. */
static const char *path_find(const char *path, size_t n, const char *words)
{
    size_t wl = strlen(words);
    const char *p = path, *end = path + n;
    while (p < end && (p = memmem(p, (size_t)(end - p), words, wl)) != NULL) {
        int before = p == path || p[-1] == ' ' || p[-1] == '-';
        int after = p + wl == end || p[wl] == ' ';
        if (before && after)
            return p;
        p++;
    }
    return NULL;
}

/* The word after `words` in the path (an object name), or absent. */
static struct ikm_str word_after(const char *at, size_t wl, const char *end)
{
    const char *p = at + wl;
    if (p >= end || *p != ' ')
        return ikm_str_none();
    p++;
    const char *q = p;
    while (q < end && *q != ' ')
        q++;
    return q > p ? ikm_str_of(p, (size_t)(q - p)) : ikm_str_none();
}

/* " vsys  vsys1 rulebase …" → "vsys vsys1 rulebase …" into r->pathbuf. */
static struct ikm_str normalise_path(struct csv_reader *r, struct ikm_str path)
{
    if (!path.ptr)
        return path;
    size_t o = 0;
    int space = 1; /* drops leading spaces */
    for (size_t i = 0; i < path.len; i++) {
        char c = path.ptr[i];
        if (c == ' ' || c == '\t') {
            if (!space)
                r->pathbuf[o++] = ' ';
            space = 1;
        } else {
            r->pathbuf[o++] = c;
            space = 0;
        }
    }
    if (o > 0 && r->pathbuf[o - 1] == ' ')
        o--;
    return o ? ikm_str_of(r->pathbuf, o) : ikm_str_none();
}

static int config_row(struct csv_reader *r, const char *payload, size_t plen, int64_t line, int64_t off,
                      const char **reason)
{
    /* layout: the sequence number (digits) then the action flags (0x…) follow the path
     * (real 10.x+ rows, 7.x) or follow before/after detail (the docs) */
    size_t seq = CFG_PATH + 1;
    int at_end = 1;
    struct field none = {"", 0};
    struct field f14 = 14 < r->nf ? r->f[14] : none, f15 = 15 < r->nf ? r->f[15] : none;
    struct field f16 = 16 < r->nf ? r->f[16] : none, f17 = 17 < r->nf ? r->f[17] : none;
    if (!(is_uint(f14) && (r->nf <= 15 || starts_with(f15.p, f15.n, "0x"))) && is_uint(f16) &&
        starts_with(f17.p, f17.n, "0x")) {
        seq = 16;
        at_end = 0;
    }
    size_t hires = seq + CFG_HIRES_AFTER_SEQ;
    struct ikm_event ev;
    memset(&ev, 0, sizeof ev);
    if (row_time(r, hires, line, off, &ev.t, reason) < 0)
        return -1;
    struct ikm_str before, after;
    if (at_end) {
        int have_hires = ev.t.state == IKM_TZ_LINE;
        before = have_hires ? fld(r, hires + 1) : ikm_str_none();
        after = have_hires ? fld(r, hires + 2) : ikm_str_none();
    } else {
        before = fld(r, 14);
        after = fld(r, 15);
    }
    struct ikm_str command = fld(r, CFG_CMD);
    struct ikm_str path = normalise_path(r, fld(r, CFG_PATH));
    ev.line = line;
    ev.gw_id = ev.tn_id = -1;
    ev.msg = ikm_str_of(payload, plen);
    ev.level = IKM_LVL_INFO;
    const char *what = NULL;
    if (command.ptr && command.len >= 6 && memcmp(command.ptr, "commit", 6) == 0) {
        ev.kind = IKM_EV_CONFIG_COMMIT;
    } else {
        ev.kind = IKM_EV_OTHER;
        for (size_t i = 0; path.ptr && i < sizeof cfg_paths / sizeof cfg_paths[0]; i++) {
            const char *at = path_find(path.ptr, path.len, cfg_paths[i].words);
            if (!at)
                continue;
            ev.kind = IKM_EV_POLICY_CHANGE;
            what = cfg_paths[i].what;
            struct ikm_str name = word_after(at, strlen(cfg_paths[i].words), path.ptr + path.len);
            if (i == 0)
                ev.gateway = name;
            else if (i == 2)
                ev.tunnel = name;
            break;
        }
    }
    if (ev.kind == IKM_EV_CONFIG_COMMIT)
        ikm_event_add_attr(&ev, "signature", ikm_str_of("config-log", 10), 0);
    else if (ev.kind == IKM_EV_POLICY_CHANGE)
        ikm_event_add_attr(&ev, "what", ikm_str_of(what, strlen(what)), 0);
    else
        ikm_event_add_attr(&ev, "reason", ikm_str_of("config-change", 13), 0);
    ikm_event_add_attr(&ev, "admin", fld(r, CFG_ADMIN), 0);
    ikm_event_add_attr(&ev, "client", fld(r, CFG_CLIENT), 0);
    ikm_event_add_attr(&ev, "command", command, 0);
    ikm_event_add_attr(&ev, "result", fld(r, CFG_RESULT), 0);
    ikm_event_add_attr(&ev, "path", path, 0);
    ikm_event_add_attr(&ev, "before", before, 0);
    ikm_event_add_attr(&ev, "after", after, 0);
    ikm_event_add_attr(&ev, "host", fld(r, CFG_HOST), 0);
    ikm_event_add_attr(&ev, "serial", fld(r, F_SERIAL), 0);
    emit(r, &ev);
    return 0;
}

/* ---- one record --------------------------------------------------------------------------- */

/* A GUI export's header row: "Domain,Receive Time,Serial #,Type,..." */
static int is_export_header(const char *p, size_t n)
{
    return n > 0 && !is_digit(p[0]) && memmem(p, n < 512 ? n : 512, "Receive Time", 12) != NULL;
}

static enum pr process(struct csv_reader *r, const char *p, size_t n, int64_t line, int64_t off, int allow_join,
                       const char **reason)
{
    size_t at = payload_at(p, n);
    const char *q = p + at;
    size_t qn = n - at;
    if (!pan_csv_at(q, qn)) {
        if (has_format_tag(p, n, "CEF:")) {
            *reason = "CEF format (not supported; PAN-OS CSV expected)";
            return PR_UNPARSED;
        }
        if (has_format_tag(p, n, "LEEF:")) {
            *reason = "LEEF format (not supported; PAN-OS CSV expected)";
            return PR_UNPARSED;
        }
        if (at == 0 && is_export_header(p, n))
            return PR_PARSED;
        *reason = "not a PAN-OS CSV log line";
        return PR_UNPARSED;
    }
    if (grow(&r->scratch, &r->scap, qn + 1) < 0 || grow(&r->pathbuf, &r->pcap, qn + 1) < 0) {
        r->out.failed = 1;
        *reason = "out of memory";
        return PR_UNPARSED;
    }
    int junk;
    int open = csv_split(r, q, qn, &junk);
    if (open && allow_join)
        return PR_JOIN;
    if (open)
        pk_diag(&r->out, CK_CSV, IKM_DIAG_WARNING, line, off,
                "quoted field not closed at the end of the record; read to the end");
    if (junk)
        pk_diag(&r->out, CK_CSV, IKM_DIAG_WARNING, line, off,
                "text after a closing quote ignored (malformed CSV quoting)");
    if (r->nf <= F_TYPE) {
        *reason = "too few fields for a PAN-OS log row";
        return PR_UNPARSED;
    }
    struct field type = r->f[F_TYPE];
    if (field_ieq(type, "SYSTEM"))
        return system_row(r, line, off, reason) < 0 ? PR_UNPARSED : PR_PARSED;
    if (field_ieq(type, "CONFIG"))
        return config_row(r, q, qn, line, off, reason) < 0 ? PR_UNPARSED : PR_PARSED;
    return PR_PARSED; /* TRAFFIC, THREAT, ...: another parser's business, not lost input */
}

/* ---- joining quoted fields across lines --------------------------------------------------- */

static int quote_parity(const char *p, size_t n)
{
    int odd = 0;
    for (const char *q = p; (q = memchr(q, '"', n - (size_t)(q - p))) != NULL; q++)
        odd ^= 1;
    return odd;
}

static void join_start(struct csv_reader *r, const struct ikm_line *ln, const char *p, size_t n)
{
    if (grow(&r->jbuf, &r->jcap, n + 1) < 0) {
        r->out.failed = 1;
        return;
    }
    memcpy(r->jbuf, p, n);
    r->jlen = n;
    r->held[0] = (struct held){ln->number, ln->offset, 0, n};
    r->nheld = 1;
    r->joining = 1;
    r->jparity = 1;
}

/* Processes the joined record and accounts for each of its lines. */
static void join_finish(struct csv_reader *r)
{
    if (!r->joining)
        return;
    r->joining = 0;
    const char *reason = NULL;
    const struct held *h0 = &r->held[0];
    enum pr pr = process(r, r->jbuf, r->jlen, h0->number, h0->offset, 0, &reason);
    for (size_t i = 0; i < r->nheld; i++) {
        const struct held *h = &r->held[i];
        if (pr == PR_PARSED)
            pk_parsed(&r->out);
        else
            pk_unparsed(&r->out, h->number, h->offset, i == 0 ? reason : "continuation of an unparsed record",
                        r->jbuf + h->start, h->len);
    }
    r->nheld = 0;
    r->jlen = 0;
}

/* Appends a line to the joined record; finishes it when its quotes close or a limit is hit. */
static void join_add(struct csv_reader *r, const struct ikm_line *ln, const char *p, size_t n)
{
    if (grow(&r->jbuf, &r->jcap, r->jlen + n + 2) < 0) {
        r->out.failed = 1;
        return;
    }
    r->jbuf[r->jlen++] = '\n';
    memcpy(r->jbuf + r->jlen, p, n);
    r->held[r->nheld++] = (struct held){ln->number, ln->offset, r->jlen, n};
    r->jlen += n;
    r->jparity ^= quote_parity(p, n);
    if (!r->jparity || r->nheld == JOIN_LINES_MAX || r->jlen >= JOIN_BYTES_MAX)
        join_finish(r);
}

/* ---- lines ---------------------------------------------------------------------------------- */

static void line(void *ctx, const struct ikm_line *ln)
{
    struct csv_reader *r = ctx;
    r->out.st.units++;
    if (ln->truncated) {
        join_finish(r);
        pk_long_line(&r->out, ln);
        pk_unparsed_line(&r->out, ln, "line longer than 1 MiB");
        return;
    }
    pk_check_bytes(&r->out, ln);
    const char *p = ln->ptr;
    size_t n = ln->len;
    size_t lead = pk_leading_nuls(p, n);
    if (lead == n && n > 0) {
        join_finish(r);
        pk_unparsed_line(&r->out, ln, "NUL bytes only");
        return;
    }
    p += lead;
    n -= lead;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3; /* a byte-order mark (GUI exports) */
        n -= 3;
    }
    if (r->joining) {
        if (!record_start(p, n)) {
            join_add(r, ln, p, n);
            return;
        }
        join_finish(r); /* the quote never closed: the next record begins here */
    }
    size_t s = 0;
    while (s < n && (p[s] == ' ' || p[s] == '\t'))
        s++;
    if (s == n) {
        pk_parsed(&r->out); /* a blank line carries nothing to lose */
        return;
    }
    const char *reason = NULL;
    enum pr pr = process(r, p, n, ln->number, ln->offset, n < JOIN_BYTES_MAX, &reason);
    if (pr == PR_PARSED)
        pk_parsed(&r->out);
    else if (pr == PR_UNPARSED)
        pk_unparsed_line(&r->out, ln, reason);
    else
        join_start(r, ln, p, n);
}

int panlog_csv_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats)
{
    ikm_source_stats_init(stats);
    struct csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    pk_out_init(&r->out, sink, csv_checks, sizeof csv_checks / sizeof csv_checks[0]);
    r->cls = panlog_cls_new();
    struct ikm_linereader lr;
    if (!r->cls || ikm_lr_init(&lr, s) < 0) {
        panlog_cls_free(r->cls);
        free(r);
        return -1;
    }
    int rc = pk_feed_lines(&r->out, &lr, line, r);
    join_finish(r);
    if (pk_finish(&r->out, stats) < 0)
        rc = -1;
    stats->bytes = ikm_lr_bytes(&lr);
    ikm_lr_free(&lr);
    panlog_cls_free(r->cls);
    free(r->scratch);
    free(r->pathbuf);
    free(r->jbuf);
    free(r);
    return rc;
}

/* ---- sniffing ------------------------------------------------------------------------------- */

int panlog_csv_sniff(const char *buf, size_t n)
{
    int looked = 0, rows = 0, headers = 0;
    size_t i = 0;
    while (i < n && looked < 20) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
        if (!nl && looked > 0)
            break; /* a cut last line says nothing */
        const char *p = buf + i;
        if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3, len -= 3;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len > 0) {
            looked++;
            size_t at = payload_at(p, len);
            if (pan_csv_at(p + at, len - at))
                rows++;
            else if (at == 0 && is_export_header(p, len))
                headers++;
        }
        if (!nl)
            break;
        i = (size_t)(nl - buf) + 1;
    }
    if (rows == 0)
        return 0;
    return (rows + headers) * 100 / looked;
}
