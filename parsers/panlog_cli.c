/*
 * panlog_cli.c — the `show log system` CLI text reader (../shared/formats.md §2.1).
 *
 * Line grammar (fixed-width columns, device-local time without zone, newest first when the
 * command said `direction equal backward`; rows are emitted as read, the timeline sorts):
 *
 *   > show log system direction equal backward                      command echo (parsed)
 *   Time                Severity Subtype Object EventID ID Description    header (parsed, INFERRED)
 *   ===========================================================           rule (parsed, INFERRED)
 *   2019/03/06 18:24:04 low      vpn     seapa- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.
 *   TIME                SEVERITY SUBTYPE OBJECT EVENTID ID DESCRIPTION...
 *   text without a leading date                                       continuation (INFERRED)
 *
 * The columns are read as tokens, not by position: the same rows also reach us with their
 * padding collapsed to single spaces (the seed article), and the object column may be empty.
 * The numeric ID column anchors the split: the token before it is the event id, tokens
 * between the subtype and the event id are the object (none, one, or a name with spaces).
 * The CLI cuts the object to 6 and the event id to 7 characters (INFERRED from the seed's
 * `seapa-` and `ikev2-n`); a value that fills its column is kept as written and flagged
 * `truncated`, and the classifier falls back on the description.
 *
 * A record is held until the next one starts so that continuation lines can extend its
 * description; its bytes are copied into one reused buffer that only grows (no per-line
 * allocation).
 */
#include "panlog_cli.h"

#include "panlog_classify.h"
#include "parsekit.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

#define CLI_OBJECT_WIDTH 6  /* INFERRED: `seapa-` */
#define CLI_EVID_WIDTH 7    /* INFERRED: `ikev2-n` */
#define CONT_TEXT_MAX ((size_t)64 << 10)
#define OBJECT_WORDS_MAX 3  /* an object name with spaces: at most this many words */

enum rec_state { REC_NONE, REC_PARSED, REC_UNPARSED };
static const char *const cli_checks[] = {PK_LINE_CHECKS};

struct span {
    size_t off, len; /* into the held record's buffer */
    int present;
};

struct cli_reader {
    struct pk_out out;
    struct panlog_cls *cls;
    enum rec_state rec;

    /* the record being held: a copy of its line, then "\n" + each continuation line */
    int pend;
    int64_t pend_line;
    struct ikm_time pend_t;
    char *buf;
    size_t len, cap;
    struct span sev, sub, obj, evid;
    size_t desc_off; /* the description runs from here to len */
    int truncated;
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static size_t skip_spaces(const char *p, size_t n, size_t i)
{
    while (i < n && is_space(p[i]))
        i++;
    return i;
}

/* "YYYY/MM/DD " at p: the shape that starts a record (formats.md §2.1). */
static int has_date_shape(const char *p, size_t n)
{
    return n >= 11 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && p[4] == '/' &&
           is_digit(p[5]) && is_digit(p[6]) && p[7] == '/' && is_digit(p[8]) && is_digit(p[9]) &&
           (p[10] == ' ' || p[10] == '\t');
}

static int buf_reserve(struct cli_reader *r, size_t extra)
{
    if (r->len + extra <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + extra)
        cap *= 2;
    char *nb = realloc(r->buf, cap);
    if (!nb)
        return -1;
    /* defined bytes past a subject keep valgrind quiet about PCRE2 JIT's word reads */
    memset(nb + r->cap, 0, cap - r->cap);
    r->buf = nb;
    r->cap = cap;
    return 0;
}

static struct ikm_str span_str(const struct cli_reader *r, struct span s)
{
    return s.present ? ikm_str_of(r->buf + s.off, s.len) : ikm_str_none();
}

/* Classifies and emits the held record. */
static void flush(struct cli_reader *r)
{
    if (!r->pend)
        return;
    r->pend = 0;
    struct panlog_entry e;
    memset(&e, 0, sizeof e);
    e.severity = span_str(r, r->sev);
    e.subtype = span_str(r, r->sub);
    e.object = span_str(r, r->obj);
    e.event_id = span_str(r, r->evid);
    e.description = ikm_str_of(r->buf + r->desc_off, r->len - r->desc_off);
    e.truncated = r->truncated;
    struct ikm_event ev;
    memset(&ev, 0, sizeof ev);
    ev.line = r->pend_line;
    ev.t = r->pend_t;
    ev.t.text = r->buf;
    ev.gw_id = ev.tn_id = -1;
    ev.msg = e.description;
    panlog_classify(r->cls, &e, &ev);
    /* the source's time range covers its entries, not lines whose columns did not parse */
    pk_note_time(&r->out, &ev.t);
    pk_event(&r->out, &ev);
}

/* Event ids of 7 characters or less that are whole words, not cut ones. */
static int evid_is_complete(const char *p, size_t n)
{
    static const char *const whole[] = {"general", "unknown"};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (strlen(whole[i]) == n && memcmp(whole[i], p, n) == 0)
            return 1;
    return 0;
}

/* Whether the token p[a..a+len) filled a column of `width`: as long as the column and,
 * when the padding survived, followed by a single space only. */
static int fills_column(const char *p, size_t n, size_t a, size_t len, size_t width, int padded)
{
    if (len != width)
        return 0;
    if (!padded)
        return 1;
    size_t e = a + len;
    return !(e + 1 < n && is_space(p[e]) && is_space(p[e + 1]));
}

/* A record line. Returns 1 held, 0 unparsed (reason set). */
static int record_line(struct cli_reader *r, const struct ikm_line *ln, const char *p, size_t n, const char **reason)
{
    struct ikm_tm tm;
    size_t used;
    const char *why = NULL;
    enum ikm_ts_result tr = ikm_parse_datetime(p, n, "/", " ", &tm, &used, &why);
    if (tr == IKM_TS_INVALID) {
        *reason = panlog_ts_reason(why);
        pk_diag(&r->out, PK_CK_TS, IKM_DIAG_WARNING, ln->number, ln->offset, "%s", *reason);
        return 0;
    }
    if (tr != IKM_TS_OK || used != 19 || (used < n && !is_space(p[used]))) {
        *reason = "malformed system-log entry: no time";
        return 0;
    }
    /* tokens after the time: severity, subtype, then up to OBJECT_WORDS_MAX + 2 more */
    enum { TOK_MAX = 2 + OBJECT_WORDS_MAX + 2 };
    size_t ta[TOK_MAX], tl[TOK_MAX], nt = 0;
    size_t i = skip_spaces(p, n, used);
    int padded = 0;
    while (i < n && nt < TOK_MAX) {
        size_t a = i;
        while (i < n && !is_space(p[i]))
            i++;
        ta[nt] = a;
        tl[nt] = i - a;
        nt++;
        size_t next = skip_spaces(p, n, i);
        if (next - i >= 2 && nt <= 2)
            padded = 1; /* severity/subtype padding: the fixed-width rendering */
        i = next;
    }
    if (nt < 3) {
        *reason = "malformed system-log entry: too few columns";
        return 0;
    }
    /* the ID: the first all-digit token after the event id (token index 3 or later) */
    size_t id = 0;
    for (size_t k = 3; k < nt && !id; k++) {
        size_t d = 0;
        while (d < tl[k] && is_digit(p[ta[k] + d]))
            d++;
        if (d == tl[k] && d <= 20)
            id = k;
    }
    if (!id) {
        *reason = "malformed system-log entry: no ID column";
        return 0;
    }
    flush(r);
    r->len = 0;
    if (buf_reserve(r, n + 1) < 0) {
        r->out.failed = 1;
        *reason = "out of memory";
        return 0;
    }
    memcpy(r->buf, p, n);
    r->len = n;
    r->buf[n] = '\0';
    r->pend = 1;
    r->pend_line = ln->number;
    r->pend_t.local_us = ikm_tm_to_us(&tm);
    r->pend_t.utc_us = r->pend_t.local_us; /* no zone: resolved by the writer */
    r->pend_t.offset_min = 0;
    r->pend_t.state = IKM_TZ_PENDING;
    r->pend_t.text_len = 19;
    r->sev = (struct span){ta[0], tl[0], 1};
    r->sub = (struct span){ta[1], tl[1], 1};
    r->evid = (struct span){ta[id - 1], tl[id - 1], 1};
    if (id >= 4)
        r->obj = (struct span){ta[2], ta[id - 2] + tl[id - 2] - ta[2], 1};
    else
        r->obj = (struct span){0, 0, 0};
    size_t ide = ta[id] + tl[id];
    r->desc_off = skip_spaces(p, n, ide);
    r->truncated = 0;
    if (id == 4 && fills_column(p, n, r->obj.off, r->obj.len, CLI_OBJECT_WIDTH, padded))
        r->truncated = 1; /* a one-word object as wide as its column */
    if (fills_column(p, n, r->evid.off, r->evid.len, CLI_EVID_WIDTH, padded) &&
        !evid_is_complete(p + r->evid.off, r->evid.len))
        r->truncated = 1;
    return 1;
}

/* A continuation line: appended to the held description, bounded. */
static void extend(struct cli_reader *r, const char *p, size_t n)
{
    size_t desc_len = r->len - r->desc_off;
    if (desc_len >= CONT_TEXT_MAX)
        return;
    if (n > CONT_TEXT_MAX - desc_len)
        n = CONT_TEXT_MAX - desc_len;
    if (buf_reserve(r, n + 2) < 0) {
        r->out.failed = 1;
        return;
    }
    if (desc_len > 0)
        r->buf[r->len++] = '\n';
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    r->buf[r->len] = '\0';
}

/* "> show log system ...", "admin@PA-VM> show ...", "admin@PA-VM>" */
static int is_command_echo(const char *p, size_t n)
{
    size_t i = skip_spaces(p, n, 0);
    if (i < n && p[i] == '>')
        return 1;
    size_t a = i;
    while (i < n && i - a < 128 && (p[i] == '@' || p[i] == '.' || p[i] == '-' || p[i] == '_' || p[i] == '(' ||
                                    p[i] == ')' || is_digit(p[i]) || (p[i] >= 'a' && p[i] <= 'z') ||
                                    (p[i] >= 'A' && p[i] <= 'Z')))
        i++;
    if (i == a || i >= n || (p[i] != '>' && p[i] != '#') || !memchr(p + a, '@', i - a))
        return 0;
    return i + 1 == n || is_space(p[i + 1]);
}

static int is_header(const char *p, size_t n)
{
    size_t i = skip_spaces(p, n, 0);
    if (n - i < 4 || memcmp(p + i, "Time", 4) != 0)
        return 0;
    return memmem(p, n, "Severity", 8) != NULL || memmem(p, n, "severity", 8) != NULL;
}

static int is_rule(const char *p, size_t n)
{
    size_t marks = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '=' || p[i] == '-')
            marks++;
        else if (!is_space(p[i]))
            return 0;
    }
    return marks >= 3;
}

static void line(void *ctx, const struct ikm_line *ln)
{
    struct cli_reader *r = ctx;
    struct pk_out *o = &r->out;
    o->st.units++;
    if (ln->truncated) {
        pk_long_line(o, ln);
        flush(r);
        r->rec = REC_UNPARSED;
        pk_unparsed_line(o, ln, "line longer than 1 MiB");
        return;
    }
    pk_check_bytes(o, ln);
    const char *p = ln->ptr;
    size_t n = ln->len;
    size_t lead = pk_leading_nuls(p, n);
    if (lead == n && n > 0) {
        pk_unparsed_line(o, ln, "NUL bytes only");
        return;
    }
    p += lead;
    n -= lead;
    if (skip_spaces(p, n, 0) == n) {
        pk_parsed(o); /* a blank line carries nothing to lose */
        return;
    }
    if (has_date_shape(p, n)) {
        const char *reason = NULL;
        if (record_line(r, ln, p, n, &reason)) {
            pk_parsed(o);
            r->rec = REC_PARSED;
        } else {
            flush(r);
            r->rec = REC_UNPARSED;
            pk_unparsed_line(o, ln, reason);
        }
        return;
    }
    if (is_command_echo(p, n) || is_header(p, n) || is_rule(p, n)) {
        flush(r);
        r->rec = REC_NONE;
        pk_parsed(o);
        return;
    }
    if (r->rec == REC_PARSED && r->pend) {
        pk_parsed(o);
        extend(r, p, n);
        return;
    }
    pk_unparsed_line(o, ln, r->rec == REC_UNPARSED ? "continuation of an unparsed record"
                                                   : "continuation line before the first record");
}

int panlog_cli_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats)
{
    ikm_source_stats_init(stats);
    struct cli_reader *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    pk_out_init(&r->out, sink, cli_checks, sizeof cli_checks / sizeof cli_checks[0]);
    r->cls = panlog_cls_new();
    struct ikm_linereader lr;
    int lr_ok = r->cls && ikm_lr_init(&lr, s) == 0;
    if (!lr_ok) {
        panlog_cls_free(r->cls);
        free(r);
        return -1;
    }
    int rc = pk_feed_lines(&r->out, &lr, line, r);
    flush(r);
    if (pk_finish(&r->out, stats) < 0)
        rc = -1;
    stats->bytes = ikm_lr_bytes(&lr);
    ikm_lr_free(&lr);
    panlog_cls_free(r->cls);
    free(r->buf);
    free(r);
    return rc;
}

/* ---- sniffing ----------------------------------------------------------------------------- */

static int is_severity_word(const char *p, size_t n)
{
    static const char *const words[] = {"informational", "info", "low", "medium", "high", "critical"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], p, n) == 0)
            return 1;
    return 0;
}

int panlog_cli_sniff(const char *buf, size_t n)
{
    int looked = 0, records = 0, framing = 0, echo = 0;
    size_t i = 0;
    while (i < n && looked < 20) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
        if (!nl && looked > 0)
            break; /* a cut last line says nothing */
        const char *p = buf + i;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (skip_spaces(p, len, 0) < len) {
            looked++;
            if (has_date_shape(p, len)) {
                struct ikm_tm tm;
                size_t used;
                if (ikm_parse_datetime(p, len, "/", " ", &tm, &used, NULL) == IKM_TS_OK && used == 19) {
                    size_t a = skip_spaces(p, len, used), b = a;
                    while (b < len && !is_space(p[b]))
                        b++;
                    if (is_severity_word(p + a, b - a))
                        records++;
                }
            } else if (is_command_echo(p, len)) {
                framing++;
                if (memmem(p, len, "show log system", 15))
                    echo = 1;
            } else if (is_header(p, len) || is_rule(p, len)) {
                framing++;
            }
        }
        if (!nl)
            break;
        i = (size_t)(nl - buf) + 1;
    }
    if (echo)
        return 100;
    if (records == 0)
        return framing ? 20 : 0;
    int score = (records + framing) * 100 / looked;
    return score > 95 ? 95 : score;
}
