/*
 * techsupport.c — the tech-support CLI dump parser (../shared/formats.md §5, §6).
 *
 * File grammar: sections, each opened by a header line with '>' at column 0.
 *
 *   > show clock                                   header: the command, whitespace collapsed
 *   Sun Apr  5 09:36:57 CEST 2026                  output lines, up to the next header
 *   > set system setting target-dp s1dp0           chassis: DP commands after it run on s1dp0
 *
 * A command that repeats gets occurrence 2, 3... (counted per DP and exact command: the raw
 * `show counter global` and `show counter global filter delta yes` are two commands). While a
 * target-dp is in force every object is prefixed "s1dp0/" (the object alone when absent).
 *
 * Output shapes, one reader each:
 *
 *  tables      (show vpn ike-sa, ipsec-sa, flow, counter global, routing route, jobs)
 *              IKEv1 phase-2 SAs                                    optional title
 *              Gateway Name  TnID  Tunnel  ...  Algorithm  ...      header
 *              ------------  ----  ------  ...  ---------  ...      rule: one dash run per column
 *              VyOS          1     VyOS-tunnel  ESP/    /tunl/SHA2  row
 *              Columns come from the rule's dash runs (a cell may hold blanks: "ESP/    /tunl/SHA2"),
 *              or from the header's words when the rule is one long run or absent (routes). A row's
 *              token goes to the column it overlaps most, so right-aligned numbers land right.
 *              Counter and job rows are read by tokens instead (their free-text and optional
 *              columns do not line up); a `show vpn flow` row by its two IP addresses.
 *  key: value  (show system info, high-availability, fib-lookup, test vpn) nested by indentation:
 *              the enclosing "Header:" lines make the object ("Group 1/Local Information").
 *  detail      (show vpn ike-sa detail) "IKE Gateway GW, ID 1 a => b" names the object,
 *              "Child SA 1:" a sub-object "GW/child 1".
 *  flow detail (show vpn flow tunnel-id N) "tunnel NAME" names the object; "proxy-id:" and
 *              "packets received" open sub-blocks whose keys get the block's name as prefix.
 *  one-liners  show clock; the empty states "There is no IKEv2 SA found." (key "empty").
 *
 * Table headers are only known once the next line shows a rule, so in table sections one line
 * is held back (copied, bounded) until the following line arrives.
 */
#include "techsupport.h"

#include "parsekit.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_CMD_MAX 512       /* a longer command is cut (and still classified by its start) */
#define TS_HOLD_MAX 4096     /* the longest line that can be a table header */
#define TS_MAX_COLS 32
#define TS_MAX_TOKENS 128
#define TS_OCC_SLOTS 8192    /* distinct (dp, command) pairs counted; power of two */
#define TS_NAME_MAX 256      /* gateway, tunnel, router names kept across lines */
#define TS_PATH_DEPTH 8
#define TS_PATH_NAME 96
#define TS_SCRATCH 2048      /* objects and keys built from several parts */
#define TS_KEY_LIMIT 128     /* a "key:" longer than this is prose, not a key */
#define TS_DP_MAX 32

enum ts_kind {
    TK_PREAMBLE, /* before the first header */
    TK_OTHER,    /* a command this parser does not read: lines parsed, no rows */
    TK_DP,       /* set system setting target-dp */
    TK_CLOCK,
    TK_SYSINFO,
    TK_IKESA,
    TK_DETAIL,
    TK_IPSECSA,
    TK_FLOW,
    TK_COUNTERS,
    TK_ROUTES,
    TK_JOBS,
    TK_HA,
    TK_FIB,
    TK_TESTVPN
};

/* Commands by word-boundary prefix of the whitespace-collapsed command; first match wins. */
static const struct {
    const char *prefix;
    enum ts_kind kind;
} ts_commands[] = {
    {"show clock", TK_CLOCK},
    {"show system info", TK_SYSINFO},
    {"show vpn ike-sa detail", TK_DETAIL},
    {"show vpn ike-sa", TK_IKESA},
    {"show vpn ipsec-sa", TK_IPSECSA},
    {"show vpn flow", TK_FLOW},
    {"show counter global", TK_COUNTERS},
    {"show routing route", TK_ROUTES},
    {"show advanced-routing route", TK_ROUTES},
    {"show jobs processed", TK_JOBS},
    {"show jobs all", TK_JOBS},
    {"show high-availability", TK_HA},
    {"test routing fib-lookup", TK_FIB},
    {"test advanced-routing fib-lookup", TK_FIB},
    {"test vpn", TK_TESTVPN},
    {"set system setting target-dp", TK_DP},
};

/* `show system info` keys kept as device facts (formats.md §4.2, §5). */
static const struct {
    const char *key;
    const char *fact;
} sysinfo_facts[] = {
    {"hostname", "hostname"},
    {"serial", "serial"},
    {"model", "model"},
    {"sw-version", "sw-version"},
    {"advanced-routing", "advanced-routing"},
    {"family", "family"},
    {"platform-family", "platform-family"},
    {"uptime", "uptime"},
    {"time", "system-time"},
    {"multi-vsys", "multi-vsys"},
    {"vpn-disable-mode", "vpn-disable-mode"},
    {"operational-mode", "operational-mode"},
    {"system-mode", "system-mode"},
    {"ip-address", "mgmt-ip"},
    {"devicename", "devicename"},
};

enum ts_special { SP_NONE, SP_COUNTERS, SP_JOBS, SP_FLOW };

struct ts_col {
    size_t cs, ce; /* the column's core: its dash run, or its header word */
    size_t ks, kl; /* its key, as offset and length in hdr */
};

struct ts_layout {
    int active;
    int ncols;
    struct ts_col col[TS_MAX_COLS];
    int obj_col;
    int obj_paren; /* "Tunnel(Gateway)": the object is the part before the parenthesis */
    int dequeued;  /* jobs: the header has a Dequeued column */
    enum ts_special special;
    char hdr[TS_HOLD_MAX];
    size_t hdr_len;
};

struct ts_hold {
    int active;
    size_t len;
    int64_t number, offset;
    char buf[TS_HOLD_MAX];
};

struct ts_occ {
    uint64_t hash;
    int64_t count;
};

static const char *const ts_checks[] = {PK_CK_LONG, PK_CK_NUL, PK_CK_UTF8, PK_CK_READ, PK_CK_CRLF};

struct ts_file {
    struct pk_out out; /* sink, stats, failure, diagnostics */

    enum ts_kind kind;
    char cmd[TS_CMD_MAX];
    size_t cmd_len;
    int64_t occurrence;
    char dp[TS_DP_MAX];
    size_t dp_len;
    size_t occ_used;

    struct ts_hold hold;
    struct ts_layout lay;
    char title[128]; /* ike-sa table title, "IKEv1 phase-1 SAs" */
    size_t title_len;
    char ctx[TS_NAME_MAX]; /* routes: router; detail: gateway; flow: tunnel */
    size_t ctx_len;
    char child[48]; /* detail: "child N" */
    size_t child_len;
    int in_legend;  /* routes: inside the "flags:" legend */
    char kpre[64];  /* flow detail: sub-block name prefixed to its keys */
    size_t kpre_len, kpre_indent;
    int kpre_active;
    struct {
        size_t indent, len;
        char name[TS_PATH_NAME];
    } path[TS_PATH_DEPTH];
    int depth;

    char objbuf[TS_SCRATCH]; /* the object with its DP prefix */
    char comp[TS_SCRATCH];   /* composite objects: path, gateway/child */
    char keybuf[TS_SCRATCH]; /* composite keys: sub-block prefix + key */

    struct ts_occ occ[TS_OCC_SLOTS];
};

/* ---- small lexical helpers ---------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}
static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static struct ikm_str trim(const char *p, size_t n)
{
    while (n > 0 && is_space(*p))
        p++, n--;
    while (n > 0 && is_space(p[n - 1]))
        n--;
    return ikm_str_of(p, n);
}

static struct ikm_str lit(const char *s)
{
    return ikm_str_of(s, strlen(s));
}

static int str_ieq(struct ikm_str s, const char *l)
{
    size_t n = strlen(l);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s.ptr[i]) != lower(l[i]))
            return 0;
    return 1;
}

static int starts(struct ikm_str s, const char *l)
{
    size_t n = strlen(l);
    return s.len >= n && memcmp(s.ptr, l, n) == 0;
}

static int istarts(struct ikm_str s, const char *l)
{
    size_t n = strlen(l);
    return s.len >= n && str_ieq(ikm_str_of(s.ptr, n), l);
}

static int ends(struct ikm_str s, const char *l)
{
    size_t n = strlen(l);
    return s.len >= n && memcmp(s.ptr + s.len - n, l, n) == 0;
}

/* The word w, then a blank (or the end): "tunnel  x" starts with the word "tunnel". */
static int starts_word(struct ikm_str s, const char *w)
{
    size_t n = strlen(w);
    return starts(s, w) && (s.len == n || is_space(s.ptr[n]));
}

static const char *find(struct ikm_str s, const char *l)
{
    size_t n = strlen(l);
    return n <= s.len ? memmem(s.ptr, s.len, l, n) : NULL;
}

static size_t indent_of(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(p[i]))
        i++;
    return i;
}

static int all_digits(struct ikm_str s)
{
    if (s.len == 0)
        return 0;
    for (size_t i = 0; i < s.len; i++)
        if (!is_digit(s.ptr[i]))
            return 0;
    return 1;
}

struct tok {
    size_t s, e;
};

/* Blank-separated tokens of p[0..n); past max, the rest of the line joins the last token. */
static size_t tokenize(const char *p, size_t n, struct tok *t, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && is_space(p[i]))
            i++;
        if (i >= n)
            break;
        size_t s = i;
        while (i < n && !is_space(p[i]))
            i++;
        if (k == max) {
            t[k - 1].e = i;
            continue;
        }
        t[k].s = s;
        t[k].e = i;
        k++;
    }
    return k;
}

static struct ikm_str tok_str(const char *p, struct tok t)
{
    return ikm_str_of(p + t.s, t.e - t.s);
}

/* Tokens a..b (inclusive) as written, blanks inside kept. */
static struct ikm_str tok_span(const char *p, const struct tok *t, size_t a, size_t b)
{
    return ikm_str_of(p + t[a].s, t[b].e - t[a].s);
}

/* "key: value": the first ':' followed by a blank or the end of the line. The key must start
 * with a letter or digit and be short, else the line is prose. */
static int kv_split(struct ikm_str t, struct ikm_str *k, struct ikm_str *v)
{
    for (size_t i = 0; i < t.len; i++) {
        if (t.ptr[i] != ':' || (i + 1 < t.len && !is_space(t.ptr[i + 1])))
            continue;
        struct ikm_str key = trim(t.ptr, i);
        if (key.len == 0 || key.len > TS_KEY_LIMIT || !is_alnum(key.ptr[0]))
            return 0;
        *k = key;
        *v = trim(t.ptr + i + 1, t.len - i - 1);
        return 1;
    }
    return 0;
}

/* "key:value" with no blank after the colon (`show vpn flow tunnel-id`: "en/decap context:23");
 * the key is restricted to formats.md §6.4's character set so values with colons stay values. */
static int kv_split_tight(struct ikm_str t, struct ikm_str *k, struct ikm_str *v)
{
    const char *c = memchr(t.ptr, ':', t.len);
    if (!c)
        return 0;
    size_t i = (size_t)(c - t.ptr);
    for (size_t j = 0; j < i; j++) {
        char ch = t.ptr[j];
        if (!(is_alnum(ch) || ch == ' ' || ch == '/' || ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    struct ikm_str key = trim(t.ptr, i);
    if (key.len == 0 || key.len > TS_KEY_LIMIT || !is_alpha(key.ptr[0]))
        return 0;
    *k = key;
    *v = trim(t.ptr + i + 1, t.len - i - 1);
    return 1;
}

/* A rule line: only '-', '=' and blanks, with at least three of them. Only a rule of dashes
 * can define columns (the "==========" under a router name does not). */
static int is_rule(const char *p, size_t n, int *dashes_only)
{
    size_t marks = 0;
    int eq = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '-')
            marks++;
        else if (p[i] == '=')
            marks++, eq = 1;
        else if (!is_space(p[i]))
            return 0;
    }
    *dashes_only = !eq;
    return marks >= 3;
}

static int is_ip(struct ikm_str s)
{
    return ikm_ip_text(s.ptr, s.len);
}

/* HH:MM:SS */
static int is_hms(struct ikm_str s)
{
    return s.len == 8 && is_digit(s.ptr[0]) && is_digit(s.ptr[1]) && s.ptr[2] == ':' &&
           is_digit(s.ptr[3]) && is_digit(s.ptr[4]) && s.ptr[5] == ':' && is_digit(s.ptr[6]) &&
           is_digit(s.ptr[7]);
}

/* YYYY/MM/DD */
static int is_ymd(struct ikm_str s)
{
    if (s.len != 10 || s.ptr[4] != '/' || s.ptr[7] != '/')
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(s.ptr[i]))
            return 0;
    return 1;
}

/* Copies at most cap-1 bytes; returns the length kept. */
static size_t copy_str(char *dst, size_t cap, struct ikm_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.ptr, n);
    dst[n] = '\0';
    return n;
}

/* ---- emission ------------------------------------------------------------------------------ */

/* A line's outcome: parsed when process_line gave no reason, else unparsed for it. */
static void account(struct ts_file *f, const struct ikm_line *ln, const char *reason)
{
    if (!reason)
        pk_parsed(&f->out);
    else
        pk_unparsed_line(&f->out, ln, reason);
}

static void emit_cli(struct ts_file *f, int64_t line, struct ikm_str obj, struct ikm_str key,
                     struct ikm_str val)
{
    if (f->out.failed || !f->out.sink->cli_value)
        return; /* the object below is not worth building */
    if (f->dp_len) {
        /* the DP the command ran on is the outermost part of the object */
        size_t n = f->dp_len;
        memcpy(f->objbuf, f->dp, n);
        if (obj.ptr) {
            size_t room = sizeof f->objbuf - n - 1;
            size_t l = obj.len < room ? obj.len : room;
            f->objbuf[n++] = '/';
            memcpy(f->objbuf + n, obj.ptr, l);
            n += l;
        }
        obj = ikm_str_of(f->objbuf, n);
    }
    struct ikm_cli_value v = {line, ikm_str_of(f->cmd, f->cmd_len), f->occurrence, obj, key, val};
    pk_cli_value(&f->out, &v);
}

static void emit_fact(struct ts_file *f, int64_t line, const char *key, struct ikm_str val)
{
    struct ikm_device_fact d = {line, key, val};
    pk_device_fact(&f->out, &d);
}

/* a/b joined into f->comp (either part may be absent) */
static struct ikm_str join2(struct ts_file *f, struct ikm_str a, struct ikm_str b)
{
    if (!a.ptr || a.len == 0)
        return b.ptr && b.len ? b : ikm_str_none();
    if (!b.ptr || b.len == 0)
        return a;
    size_t n = copy_str(f->comp, sizeof f->comp, a);
    if (n + 2 < sizeof f->comp) {
        f->comp[n++] = '/';
        n += copy_str(f->comp + n, sizeof f->comp - n, b);
    }
    return ikm_str_of(f->comp, n);
}

static struct ikm_str ctx_str(const struct ts_file *f)
{
    return f->ctx_len ? ikm_str_of(f->ctx, f->ctx_len) : ikm_str_none();
}

static void set_ctx(struct ts_file *f, struct ikm_str s)
{
    f->ctx_len = copy_str(f->ctx, sizeof f->ctx, s);
}

/* ---- sections ------------------------------------------------------------------------------ */

static uint64_t fnv64(const char *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* The occurrence of a (dp, command) pair: 1 for its first section. Past three quarters of the
 * table every new pair counts as a first (a TSF has a few hundred distinct commands). */
static int64_t occ_bump(struct ts_file *f, uint64_t h)
{
    if (h == 0)
        h = 1; /* 0 marks a free slot */
    size_t mask = TS_OCC_SLOTS - 1;
    for (size_t probe = 0; probe < TS_OCC_SLOTS; probe++) {
        struct ts_occ *o = &f->occ[(h + probe) & mask];
        if (o->hash == h)
            return ++o->count;
        if (o->hash == 0) {
            if (f->occ_used >= TS_OCC_SLOTS / 4 * 3)
                return 1;
            o->hash = h;
            o->count = 1;
            f->occ_used++;
            return 1;
        }
    }
    return 1;
}

static enum ts_kind classify(const char *cmd, size_t n)
{
    for (size_t i = 0; i < sizeof ts_commands / sizeof ts_commands[0]; i++) {
        size_t l = strlen(ts_commands[i].prefix);
        if (n >= l && memcmp(cmd, ts_commands[i].prefix, l) == 0 && (n == l || cmd[l] == ' '))
            return ts_commands[i].kind;
    }
    return TK_OTHER;
}

/* The rest of the command after " word " ("... gateway GW" → "GW"), or absent. */
static struct ikm_str cmd_arg(const struct ts_file *f, const char *word)
{
    struct ikm_str c = ikm_str_of(f->cmd, f->cmd_len);
    const char *at = find(c, word);
    if (!at)
        return ikm_str_none();
    size_t off = (size_t)(at - f->cmd) + strlen(word);
    return trim(f->cmd + off, f->cmd_len - off);
}

static void set_dp(struct ts_file *f)
{
    struct ikm_str a = cmd_arg(f, " target-dp ");
    f->dp_len = 0;
    if (!a.ptr || a.len == 0 || a.len >= TS_DP_MAX || ikm_str_is(a, "none"))
        return;
    for (size_t i = 0; i < a.len; i++)
        if (!(is_alnum(a.ptr[i]) || a.ptr[i] == '_' || a.ptr[i] == '-'))
            return;
    f->dp_len = copy_str(f->dp, sizeof f->dp, a);
}

static const char *process_line(struct ts_file *f, const struct ikm_line *ln);

static void release_hold(struct ts_file *f)
{
    if (!f->hold.active)
        return;
    f->hold.active = 0;
    struct ikm_line h;
    memset(&h, 0, sizeof h);
    h.ptr = f->hold.buf;
    h.len = f->hold.len;
    h.full_len = h.len;
    h.number = f->hold.number;
    h.offset = f->hold.offset;
    account(f, &h, process_line(f, &h));
}

static void start_section(struct ts_file *f, const char *p, size_t n)
{
    release_hold(f);
    size_t o = 0;
    int gap = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space(p[i])) {
            gap = o > 0;
            continue;
        }
        if (gap) {
            if (o + 2 >= TS_CMD_MAX)
                break;
            f->cmd[o++] = ' ';
            gap = 0;
        }
        if (o + 1 >= TS_CMD_MAX)
            break;
        f->cmd[o++] = p[i];
    }
    f->cmd[o] = '\0';
    f->cmd_len = o;
    f->kind = classify(f->cmd, o);
    if (f->kind == TK_DP)
        set_dp(f);
    uint64_t h = fnv64(f->dp, f->dp_len, 1469598103934665603ULL);
    h = fnv64("/", 1, h);
    f->occurrence = occ_bump(f, fnv64(f->cmd, f->cmd_len, h));

    f->lay.active = 0;
    f->title_len = 0;
    f->ctx_len = 0;
    f->child_len = 0;
    f->in_legend = 0;
    f->kpre_active = 0;
    f->depth = 0;
    if (f->kind == TK_DETAIL)
        set_ctx(f, cmd_arg(f, " gateway "));
    else if (f->kind == TK_FLOW) {
        struct ikm_str a = cmd_arg(f, " tunnel-id ");
        if (!a.ptr)
            a = cmd_arg(f, " name ");
        if (a.ptr)
            set_ctx(f, a);
    }
}

/* ---- tables -------------------------------------------------------------------------------- */

static int is_table_kind(enum ts_kind k)
{
    return k == TK_IKESA || k == TK_IPSECSA || k == TK_FLOW || k == TK_COUNTERS || k == TK_ROUTES ||
           k == TK_JOBS;
}

static struct ikm_str col_key(const struct ts_layout *L, int c)
{
    return ikm_str_of(L->hdr + L->col[c].ks, L->col[c].kl);
}

static int find_col(const struct ts_layout *L, const char *key)
{
    for (int c = 0; c < L->ncols; c++)
        if (str_ieq(col_key(L, c), key))
            return c;
    return -1;
}

static int keys_are(const struct ts_layout *L, const char *const *keys, int n)
{
    if (L->ncols != n)
        return 0;
    for (int c = 0; c < n; c++)
        if (!str_ieq(col_key(L, c), keys[c]))
            return 0;
    return 1;
}

/* Which column is the object and whether a row reader replaces the positional one. */
static void layout_roles(struct ts_file *f)
{
    static const char *const counter_keys[] = {"name", "value", "rate", "severity", "category",
                                               "aspect", "description"};
    static const char *const flow_keys[] = {"id", "name", "state", "monitor", "local-ip", "peer-ip",
                                            "tunnel-i/f"};
    struct ts_layout *L = &f->lay;
    int c = -1;
    L->obj_paren = 0;
    L->special = SP_NONE;
    L->dequeued = 0;
    switch (f->kind) {
    case TK_IKESA:
        if ((c = find_col(L, "Gateway Name")) < 0)
            c = find_col(L, "Gateway");
        break;
    case TK_IPSECSA:
        if ((c = find_col(L, "Tunnel(Gateway)")) >= 0)
            L->obj_paren = 1;
        else
            c = find_col(L, "Tunnel");
        break;
    case TK_FLOW:
        if (keys_are(L, flow_keys, 7) || keys_are(L, flow_keys, 6))
            L->special = SP_FLOW;
        c = find_col(L, "name");
        break;
    case TK_COUNTERS:
        if (keys_are(L, counter_keys, 7))
            L->special = SP_COUNTERS;
        c = find_col(L, "name");
        break;
    case TK_ROUTES:
        c = find_col(L, "destination");
        break;
    case TK_JOBS:
        if (str_ieq(col_key(L, 0), "Enqueued"))
            L->special = SP_JOBS;
        L->dequeued = find_col(L, "Dequeued") >= 0;
        c = find_col(L, "ID");
        break;
    default:
        break;
    }
    L->obj_col = c >= 0 ? c : 0;
}

/* Columns from the header's words (a rule of one run, or no rule). */
static int layout_words(struct ts_layout *L)
{
    struct tok t[TS_MAX_COLS];
    size_t n = tokenize(L->hdr, L->hdr_len, t, TS_MAX_COLS);
    for (size_t c = 0; c < n; c++) {
        L->col[c].cs = L->col[c].ks = t[c].s;
        L->col[c].ce = t[c].e;
        L->col[c].kl = t[c].e - t[c].s;
    }
    return (int)n;
}

/* Sets the layout from a header line and (optionally) the rule under it. Returns 1 when it
 * makes a table of at least two columns. */
static int layout_from(struct ts_file *f, const char *h, size_t hn, const char *r, size_t rn)
{
    struct ts_layout *L = &f->lay;
    L->active = 0; /* a failed attempt leaves no half-overwritten table behind */
    if (hn == 0 || hn > TS_HOLD_MAX)
        return 0;
    memcpy(L->hdr, h, hn);
    L->hdr_len = hn;
    int nc = 0;
    size_t i = 0;
    while (r && i < rn && nc < TS_MAX_COLS) {
        while (i < rn && r[i] != '-')
            i++;
        if (i >= rn)
            break;
        size_t s = i;
        while (i < rn && r[i] == '-')
            i++;
        L->col[nc].cs = s;
        L->col[nc].ce = i;
        nc++;
    }
    if (nc >= 2) {
        /* a column's key is the header text from its run to the next run */
        for (int c = 0; c < nc; c++) {
            size_t ks = L->col[c].cs, ke = c + 1 < nc ? L->col[c + 1].cs : hn;
            if (ks > hn)
                ks = hn;
            if (ke > hn)
                ke = hn;
            struct ikm_str k = trim(L->hdr + ks, ke - ks);
            L->col[c].ks = k.len ? (size_t)(k.ptr - L->hdr) : ks;
            L->col[c].kl = k.len;
        }
    } else {
        nc = layout_words(L);
    }
    if (nc < 2)
        return 0;
    L->ncols = nc;
    L->active = 1;
    layout_roles(f);
    return 1;
}

/* The column a token at [s, e) belongs to: the one whose core it overlaps most; with no
 * overlap, the last column starting at or before it. */
static int best_col(const struct ts_layout *L, size_t s, size_t e)
{
    int best = -1;
    size_t most = 0;
    for (int c = 0; c < L->ncols; c++) {
        size_t lo = s > L->col[c].cs ? s : L->col[c].cs;
        size_t hi = e < L->col[c].ce ? e : L->col[c].ce;
        if (hi > lo && hi - lo > most) {
            most = hi - lo;
            best = c;
        }
    }
    if (best >= 0)
        return best;
    best = 0;
    for (int c = 0; c < L->ncols; c++)
        if (L->col[c].cs <= s)
            best = c;
    return best;
}

/* "VyOS-tunnel(VyOS)" → "VyOS-tunnel" */
static struct ikm_str strip_paren(struct ikm_str s)
{
    if (s.len < 3 || s.ptr[s.len - 1] != ')')
        return s;
    for (size_t i = s.len - 1; i > 0; i--)
        if (s.ptr[i] == '(')
            return ikm_str_of(s.ptr, i);
    return s;
}

static const char *generic_row(struct ts_file *f, const struct ikm_line *ln)
{
    const struct ts_layout *L = &f->lay;
    struct tok tk[TS_MAX_TOKENS];
    size_t nt = tokenize(ln->ptr, ln->len, tk, TS_MAX_TOKENS);
    size_t vs[TS_MAX_COLS] = {0}, ve[TS_MAX_COLS] = {0};
    int has[TS_MAX_COLS] = {0};
    int prev = 0;
    for (size_t i = 0; i < nt; i++) {
        int c = best_col(L, tk[i].s, tk[i].e);
        if (c < prev)
            c = prev; /* cells never go back left */
        prev = c;
        if (!has[c]) {
            has[c] = 1;
            vs[c] = tk[i].s;
        }
        ve[c] = tk[i].e;
    }
    int oc = L->obj_col;
    if (!has[oc])
        return "table row without its key column";
    struct ikm_str obj = ikm_str_of(ln->ptr + vs[oc], ve[oc] - vs[oc]);
    if (L->obj_paren)
        obj = strip_paren(obj);
    for (int c = 0; c < L->ncols; c++)
        if (has[c])
            emit_cli(f, ln->number, obj, col_key(L, c), ikm_str_of(ln->ptr + vs[c], ve[c] - vs[c]));
    if (f->kind == TK_IKESA && f->title_len)
        emit_cli(f, ln->number, obj, lit("table"), ikm_str_of(f->title, f->title_len));
    if (f->kind == TK_ROUTES && f->ctx_len)
        emit_cli(f, ln->number, obj, lit("virtual-router"), ctx_str(f));
    return NULL;
}

/* name value rate severity category aspect description... */
static const char *counter_row(struct ts_file *f, const struct ikm_line *ln)
{
    static const char *const keys[] = {"value", "rate", "severity", "category", "aspect",
                                       "description"};
    struct tok tk[7];
    size_t nt = tokenize(ln->ptr, ln->len, tk, 7);
    if (nt < 6 || !all_digits(tok_str(ln->ptr, tk[1])) || !all_digits(tok_str(ln->ptr, tk[2])))
        return "counter row of unexpected shape";
    struct ikm_str obj = tok_str(ln->ptr, tk[0]);
    for (size_t i = 1; i < nt; i++)
        emit_cli(f, ln->number, obj, lit(keys[i - 1]), tok_str(ln->ptr, tk[i]));
    return NULL;
}

/* Enqueued(date time) [Dequeued] ID Type... Status Result [Completed] */
static const char *job_row(struct ts_file *f, const struct ikm_line *ln)
{
    struct tok tk[32];
    const char *p = ln->ptr;
    size_t nt = tokenize(p, ln->len, tk, 32);
    if (nt < 5 || !is_ymd(tok_str(p, tk[0])) || !is_hms(tok_str(p, tk[1])))
        return "job row of unexpected shape";
    size_t i = 2, deq = 0;
    if (f->lay.dequeued && i < nt && is_hms(tok_str(p, tk[i])))
        deq = i++;
    if (i >= nt || !all_digits(tok_str(p, tk[i])))
        return "job row of unexpected shape";
    size_t id = i++, end = nt, done = 0;
    if (nt - i >= 4 && is_hms(tok_str(p, tk[nt - 1])))
        done = --end;
    if (end < i + 3)
        return "job row of unexpected shape";
    struct ikm_str obj = tok_str(p, tk[id]);
    emit_cli(f, ln->number, obj, lit("time"), tok_span(p, tk, 0, 1));
    if (deq)
        emit_cli(f, ln->number, obj, lit("dequeued"), tok_str(p, tk[deq]));
    emit_cli(f, ln->number, obj, lit("type"), tok_span(p, tk, i, end - 3));
    emit_cli(f, ln->number, obj, lit("status"), tok_str(p, tk[end - 2]));
    emit_cli(f, ln->number, obj, lit("result"), tok_str(p, tk[end - 1]));
    if (done)
        emit_cli(f, ln->number, obj, lit("completed"), tok_str(p, tk[done]));
    return NULL;
}

/* id name... state monitor local-ip peer-ip [tunnel-i/f]: anchored on the two addresses, so a
 * whitespace-collapsed copy (formats.md §6.4) and a name with blanks both read. Returns 0 when
 * the row has not that shape (the positional reader then takes it). */
static int flow_row(struct ts_file *f, const struct ikm_line *ln)
{
    struct tok tk[64];
    const char *p = ln->ptr;
    size_t nt = tokenize(p, ln->len, tk, 64);
    size_t q = nt;
    while (q >= 2 && !(is_ip(tok_str(p, tk[q - 1])) && is_ip(tok_str(p, tk[q - 2]))))
        q--;
    if (q < 2)
        return 0;
    size_t peer = q - 1, local = q - 2;
    if (local < 4)
        return 0;
    struct ikm_str obj = tok_span(p, tk, 1, local - 3);
    emit_cli(f, ln->number, obj, lit("id"), tok_str(p, tk[0]));
    emit_cli(f, ln->number, obj, lit("name"), obj);
    emit_cli(f, ln->number, obj, lit("state"), tok_str(p, tk[local - 2]));
    emit_cli(f, ln->number, obj, lit("monitor"), tok_str(p, tk[local - 1]));
    emit_cli(f, ln->number, obj, lit("local-ip"), tok_str(p, tk[local]));
    emit_cli(f, ln->number, obj, lit("peer-ip"), tok_str(p, tk[peer]));
    if (peer + 1 < nt)
        emit_cli(f, ln->number, obj, lit("tunnel-i/f"), tok_span(p, tk, peer + 1, nt - 1));
    return 1;
}

static const char *table_row(struct ts_file *f, const struct ikm_line *ln)
{
    switch (f->lay.special) {
    case SP_COUNTERS:
        return counter_row(f, ln);
    case SP_JOBS:
        return job_row(f, ln);
    case SP_FLOW:
        if (flow_row(f, ln))
            return NULL;
        break;
    case SP_NONE:
        break;
    }
    return generic_row(f, ln);
}

/* Empty states and "found" summaries of the vpn commands (formats.md §6.1, §6.3). Returns 1
 * when the line was one. */
static int vpn_state_line(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    if (starts(t, "There is no ") || ends(t, " not found.") || ends(t, " not found") ||
        ikm_str_is(t, "Command deprecated")) {
        /* "IKE SA for gateway ID 1 not found." / "IPSec SA for tunnel X not found." */
        struct ikm_str obj = ikm_str_none();
        static const char *const fors[] = {" for gateway ID ", " for gateway ", " for tunnel "};
        for (size_t i = 0; i < sizeof fors / sizeof fors[0] && !obj.ptr; i++) {
            const char *at = find(t, fors[i]);
            const char *nf = find(t, " not found");
            size_t fl = strlen(fors[i]);
            if (at && nf && at + fl < nf)
                obj = ikm_str_of(at + fl, (size_t)(nf - (at + fl)));
        }
        emit_cli(f, ln->number, obj, lit("empty"), t);
        return 1;
    }
    if (ends(t, "found.") && (starts(t, "Show ") || starts(t, "Total ") || find(t, ": Total "))) {
        emit_cli(f, ln->number, ikm_str_none(), lit("summary"), t);
        return 1;
    }
    return 0;
}

/* "IKEv1 phase-1 SAs", "IKEv2 SAs", "phase-1 SAs" */
static int is_title(struct ikm_str t)
{
    return t.len <= 64 && (ends(t, " SAs") || ikm_str_is(t, "SAs")) && !memchr(t.ptr, ':', t.len);
}

/* Routes: the flags legend, the router line, the header (no rule under it). Returns 1 when
 * the line was one of them. */
static int routes_context(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    if (istarts(t, "flags:")) {
        f->in_legend = 1;
        return 1;
    }
    if (f->in_legend && !f->lay.active && ln->len && is_space(ln->ptr[0]))
        return 1; /* the legend's second line */
    f->in_legend = 0;
    struct ikm_str k, v;
    if (kv_split(t, &k, &v) && (str_ieq(k, "virtual router") || str_ieq(k, "logical router") ||
                                str_ieq(k, "virtual-router") || str_ieq(k, "logical-router"))) {
        const char *id = find(v, " (");
        set_ctx(f, trim(v.ptr, id ? (size_t)(id - v.ptr) : v.len));
        f->lay.active = 0;
        return 1;
    }
    struct tok t0[2];
    if (tokenize(t.ptr, t.len, t0, 2) >= 1 && str_ieq(tok_str(t.ptr, t0[0]), "destination"))
        return layout_from(f, ln->ptr, ln->len, NULL, 0);
    return 0;
}

static const char *do_table(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    int dashes;
    if (is_rule(t.ptr, t.len, &dashes))
        return NULL; /* rules above and below tables */
    /* only the vpn commands have empty states: a counter's description may end "not found" */
    if ((f->kind == TK_IKESA || f->kind == TK_IPSECSA || f->kind == TK_ROUTES) && vpn_state_line(f, ln, t))
        return NULL;
    struct ikm_str k, v;
    int kv = kv_split(t, &k, &v);
    /* "total routes shown: 98", "Total counters shown: 7", "total tunnels configured: 1" */
    if (kv && istarts(k, "total ") && v.len) {
        emit_cli(f, ln->number, f->kind == TK_ROUTES ? ctx_str(f) : ikm_str_none(), k, v);
        return NULL;
    }
    switch (f->kind) {
    case TK_IKESA:
        if (!f->lay.active && is_title(t)) {
            f->title_len = copy_str(f->title, sizeof f->title, t);
            return NULL;
        }
        break;
    case TK_COUNTERS:
        if (!f->lay.active && kv) {
            /* "Global counters:", "Elapsed time since last sampling: 349.576 seconds" */
            if (v.len)
                emit_cli(f, ln->number, ikm_str_none(), k, v);
            return NULL;
        }
        break;
    case TK_ROUTES:
        if (routes_context(f, ln, t))
            return NULL;
        break;
    case TK_JOBS:
        if (!f->lay.active && starts_word(t, "Enqueued") && layout_from(f, ln->ptr, ln->len, NULL, 0))
            return NULL;
        break;
    default:
        break;
    }
    if (f->lay.active)
        return table_row(f, ln);
    return "line outside a table";
}

/* ---- show vpn flow (summary lines and the per-tunnel detail) -------------------------------- */

/* Letters, blanks and hyphens only: the name of a sub-block ("packets received"). */
static int is_phrase(struct ikm_str t)
{
    if (t.len == 0 || t.len > 48)
        return 0;
    for (size_t i = 0; i < t.len; i++)
        if (!(is_alpha(t.ptr[i]) || t.ptr[i] == ' ' || t.ptr[i] == '-'))
            return 0;
    return 1;
}

static const char *flow_detail(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    size_t ind = indent_of(ln->ptr, ln->len);
    if (starts_word(t, "tunnel") && !memchr(t.ptr, ':', t.len)) {
        set_ctx(f, trim(t.ptr + 6, t.len - 6));
        f->kpre_active = 0;
        return NULL;
    }
    if (starts(t, "filter - ")) {
        emit_cli(f, ln->number, ikm_str_none(), lit("filter"), trim(t.ptr + 9, t.len - 9));
        return NULL;
    }
    if (f->kpre_active && ind <= f->kpre_indent)
        f->kpre_active = 0; /* back at the sub-block's own level: it has ended */
    struct ikm_str k, v;
    if (kv_split(t, &k, &v) || kv_split_tight(t, &k, &v)) {
        if (v.len == 0 && !f->kpre_active) {
            /* "proxy-id:" opens a sub-block */
            f->kpre_len = copy_str(f->kpre, sizeof f->kpre, k);
            f->kpre_indent = ind;
            f->kpre_active = 1;
            return NULL;
        }
        if (f->kpre_active) {
            size_t n = copy_str(f->keybuf, sizeof f->keybuf, ikm_str_of(f->kpre, f->kpre_len));
            f->keybuf[n++] = ' ';
            n += copy_str(f->keybuf + n, sizeof f->keybuf - n, k);
            k = ikm_str_of(f->keybuf, n);
        }
        emit_cli(f, ln->number, ctx_str(f), k, v);
        return NULL;
    }
    if (!f->kpre_active && is_phrase(t)) {
        /* "packets received" opens a sub-block of "when lifetime expired:0" lines */
        f->kpre_len = copy_str(f->kpre, sizeof f->kpre, t);
        f->kpre_indent = ind;
        f->kpre_active = 1;
        return NULL;
    }
    return "not a key: value line";
}

/* ---- show vpn ike-sa detail ---------------------------------------------------------------- */

static struct ikm_str detail_obj(struct ts_file *f)
{
    return join2(f, ctx_str(f), f->child_len ? ikm_str_of(f->child, f->child_len) : ikm_str_none());
}

/* "IKE Gateway GW, ID 35 2.2.2.2 => 1.1.1.1" */
static void detail_gateway(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    struct ikm_str rest = trim(t.ptr + 12, t.len - 12);
    const char *id = NULL;
    for (const char *at = find(rest, ", ID "); at;) {
        id = at; /* the last one: a name may hold ", ID " */
        size_t used = (size_t)(at + 1 - rest.ptr);
        at = find(ikm_str_of(at + 1, rest.len - used), ", ID ");
    }
    struct ikm_str name = rest;
    if (id)
        name = trim(rest.ptr, (size_t)(id - rest.ptr));
    else {
        const char *comma = memchr(rest.ptr, ',', rest.len);
        if (comma)
            name = trim(rest.ptr, (size_t)(comma - rest.ptr));
    }
    set_ctx(f, name);
    f->child_len = 0;
    if (!id)
        return;
    const char *a = id + 5;
    struct ikm_str after = ikm_str_of(a, rest.len - (size_t)(a - rest.ptr));
    struct tok tk[5];
    size_t nt = tokenize(after.ptr, after.len, tk, 5);
    struct ikm_str obj = ctx_str(f);
    if (nt >= 1 && all_digits(tok_str(after.ptr, tk[0])))
        emit_cli(f, ln->number, obj, lit("gateway-id"), tok_str(after.ptr, tk[0]));
    if (nt == 4 && ikm_str_is(tok_str(after.ptr, tk[2]), "=>")) {
        emit_cli(f, ln->number, obj, lit("local-ip"), tok_str(after.ptr, tk[1]));
        emit_cli(f, ln->number, obj, lit("peer-ip"), tok_str(after.ptr, tk[3]));
    }
}

static const char *do_detail(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    if (vpn_state_line(f, ln, t))
        return NULL;
    if (starts(t, "IKE Gateway ")) {
        detail_gateway(f, ln, t);
        return NULL;
    }
    if (ikm_str_is(t, "IKE SA:") || ikm_str_is(t, "IPSec SA:")) {
        f->child_len = 0;
        return NULL;
    }
    if (starts(t, "Child SA ") && ends(t, ":")) {
        struct ikm_str n = trim(t.ptr + 9, t.len - 10);
        char buf[48];
        int l = snprintf(buf, sizeof buf, "child %.*s", (int)(n.len < 32 ? n.len : 32), n.ptr);
        f->child_len = copy_str(f->child, sizeof f->child, ikm_str_of(buf, (size_t)l));
        return NULL;
    }
    struct ikm_str k, v;
    if (starts_word(t, "Tunnel") && !memchr(t.ptr, ':', t.len)) {
        /* "Tunnel 1    WSTPRISMA": the tunnel id and name of a child SA */
        struct tok tk[3];
        size_t nt = tokenize(t.ptr, t.len, tk, 3);
        struct ikm_str obj = detail_obj(f);
        if (nt >= 2)
            emit_cli(f, ln->number, obj, lit("Tunnel ID"), tok_str(t.ptr, tk[1]));
        if (nt == 3)
            emit_cli(f, ln->number, obj, lit("Tunnel"), tok_str(t.ptr, tk[2]));
        return nt >= 2 ? NULL : "not a key: value line";
    }
    if (kv_split(t, &k, &v)) {
        emit_cli(f, ln->number, detail_obj(f), k, v);
        return NULL;
    }
    return "not a key: value line";
}

/* ---- key: value sections ------------------------------------------------------------------- */

static struct ikm_str path_obj(struct ts_file *f)
{
    size_t n = 0;
    for (int d = 0; d < f->depth; d++) {
        if (d && n + 1 < sizeof f->comp)
            f->comp[n++] = '/';
        n += copy_str(f->comp + n, sizeof f->comp - n, ikm_str_of(f->path[d].name, f->path[d].len));
    }
    return n ? ikm_str_of(f->comp, n) : ikm_str_none();
}

static struct ikm_str first_word(struct ikm_str v)
{
    size_t i = 0;
    while (i < v.len && !is_space(v.ptr[i]))
        i++;
    return ikm_str_of(v.ptr, i);
}

static void kv_facts(struct ts_file *f, int64_t line, struct ikm_str k, struct ikm_str v)
{
    if (f->kind == TK_SYSINFO && f->depth == 0) {
        for (size_t i = 0; i < sizeof sysinfo_facts / sizeof sysinfo_facts[0]; i++)
            if (ikm_str_is(k, sysinfo_facts[i].key))
                emit_fact(f, line, sysinfo_facts[i].fact, v);
        return;
    }
    if (f->kind != TK_HA || f->depth == 0)
        return;
    struct ikm_str parent = ikm_str_of(f->path[f->depth - 1].name, f->path[f->depth - 1].len);
    if (ikm_str_is(k, "State") && ikm_str_is(parent, "Local Information"))
        emit_fact(f, line, "ha-state", first_word(v));
    else if (ikm_str_is(k, "State") && ikm_str_is(parent, "Peer Information"))
        emit_fact(f, line, "ha-peer-state", first_word(v));
    else if (ikm_str_is(k, "Mode") && f->depth == 1 && starts(parent, "Group"))
        emit_fact(f, line, "ha-mode", v);
}

static int contains_ci(struct ikm_str s, const char *l)
{
    size_t n = strlen(l);
    for (size_t i = 0; i + n <= s.len; i++)
        if (str_ieq(ikm_str_of(s.ptr + i, n), l))
            return 1;
    return 0;
}

/* Nested "key: value" lines; lenient sections keep other lines as key "text". */
static const char *do_kv(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t, int lenient)
{
    size_t ind = indent_of(ln->ptr, ln->len);
    while (f->depth > 0 && f->path[f->depth - 1].indent >= ind)
        f->depth--;
    struct ikm_str k, v;
    if (kv_split(t, &k, &v)) {
        if (v.len == 0) {
            /* "Local Information:" heads the lines indented under it; in `show system info`
             * an empty value is still a value ("ipv6-default-gateway: ") */
            if (f->kind == TK_SYSINFO)
                emit_cli(f, ln->number, path_obj(f), k, v);
            if (f->depth < TS_PATH_DEPTH) {
                f->path[f->depth].indent = ind;
                f->path[f->depth].len = copy_str(f->path[f->depth].name, TS_PATH_NAME, k);
                f->depth++;
            }
            return NULL;
        }
        emit_cli(f, ln->number, path_obj(f), k, v);
        kv_facts(f, ln->number, k, v);
        return NULL;
    }
    if (!lenient)
        return "not a key: value line";
    if (f->kind == TK_HA && f->depth == 0 && t.len <= 64 && contains_ci(t, "not enabled")) {
        emit_cli(f, ln->number, ikm_str_none(), lit("empty"), t);
        emit_fact(f, ln->number, "ha-state", lit("disabled"));
        return NULL;
    }
    emit_cli(f, ln->number, path_obj(f), lit("text"), t);
    return NULL;
}

/* ---- show clock ---------------------------------------------------------------------------- */

/* "Sun Apr  5 09:36:57 CEST 2026" → zone "CEST", local "2026-04-05T09:36:57". A line without
 * the zone (date(1) style "Sun Apr  5 09:36:57 2026") reads with the zone absent. */
static int parse_clock(struct ikm_str t, struct ikm_str *zone, char local[64])
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tok tk[7];
    const char *p = t.ptr;
    size_t nt = tokenize(p, t.len, tk, 7);
    if (nt != 6 && nt != 5)
        return 0;
    struct ikm_str wd = tok_str(p, tk[0]), mo = tok_str(p, tk[1]), dd = tok_str(p, tk[2]);
    struct ikm_str hms = tok_str(p, tk[3]), yy = tok_str(p, tk[nt - 1]);
    struct ikm_str zn = nt == 6 ? tok_str(p, tk[4]) : ikm_str_none();
    if (wd.len != 3 || !is_alpha(wd.ptr[0]) || !all_digits(dd) || dd.len > 2 || !is_hms(hms) ||
        !all_digits(yy) || yy.len != 4 || (zn.ptr && zn.len > 16))
        return 0;
    for (size_t i = 0; i < zn.len; i++)
        if (!(is_alnum(zn.ptr[i]) || zn.ptr[i] == '+' || zn.ptr[i] == '-' || zn.ptr[i] == ':' ||
              zn.ptr[i] == '_' || zn.ptr[i] == '/'))
            return 0;
    int m = 0;
    for (int i = 0; i < 12; i++)
        if (ikm_str_is(mo, months[i]))
            m = i + 1;
    int y = (yy.ptr[0] - '0') * 1000 + (yy.ptr[1] - '0') * 100 + (yy.ptr[2] - '0') * 10 + (yy.ptr[3] - '0');
    int d = dd.len == 1 ? dd.ptr[0] - '0' : (dd.ptr[0] - '0') * 10 + (dd.ptr[1] - '0');
    int hh = (hms.ptr[0] - '0') * 10 + (hms.ptr[1] - '0');
    int mi = (hms.ptr[3] - '0') * 10 + (hms.ptr[4] - '0');
    int ss = (hms.ptr[6] - '0') * 10 + (hms.ptr[7] - '0');
    if (!m || d < 1 || d > ikm_days_in_month(y, (unsigned)m) || hh > 23 || mi > 59 || ss > 60)
        return 0;
    snprintf(local, 64, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, hh, mi, ss);
    *zone = zn;
    return 1;
}

static const char *do_clock(struct ts_file *f, const struct ikm_line *ln, struct ikm_str t)
{
    struct ikm_str zone;
    char local[64];
    if (!parse_clock(t, &zone, local))
        return "not a show clock line";
    struct ikm_str ls = lit(local);
    emit_cli(f, ln->number, ikm_str_none(), lit("clock"), t);
    if (zone.ptr)
        emit_cli(f, ln->number, ikm_str_none(), lit("zone"), zone);
    emit_cli(f, ln->number, ikm_str_none(), lit("local"), ls);
    emit_fact(f, ln->number, "clock", t);
    if (zone.ptr)
        emit_fact(f, ln->number, "clock-zone", zone);
    emit_fact(f, ln->number, "clock-local", ls);
    return NULL;
}

/* ---- one line ------------------------------------------------------------------------------ */

static const char *process_line(struct ts_file *f, const struct ikm_line *ln)
{
    struct ikm_str t = trim(ln->ptr, ln->len);
    if (t.len == 0) {
        /* a blank line ends a table, a legend and a sub-block */
        f->lay.active = 0;
        f->in_legend = 0;
        f->kpre_active = 0;
        return NULL;
    }
    switch (f->kind) {
    case TK_PREAMBLE:
    case TK_OTHER:
    case TK_DP:
        return NULL;
    case TK_CLOCK:
        return do_clock(f, ln, t);
    case TK_SYSINFO:
        return do_kv(f, ln, t, 0);
    case TK_HA:
    case TK_FIB:
    case TK_TESTVPN:
        return do_kv(f, ln, t, 1);
    case TK_DETAIL:
        return do_detail(f, ln, t);
    case TK_FLOW:
        if (!f->lay.active) {
            int dashes;
            if (is_rule(t.ptr, t.len, &dashes) || vpn_state_line(f, ln, t))
                return NULL;
            return flow_detail(f, ln, t);
        }
        return do_table(f, ln, t);
    case TK_IKESA:
    case TK_IPSECSA:
    case TK_COUNTERS:
    case TK_ROUTES:
    case TK_JOBS:
        return do_table(f, ln, t);
    }
    return NULL;
}

/* In table sections a line waits for the next one: a rule under it makes it a header. */
static void feed(struct ts_file *f, const struct ikm_line *ln)
{
    int dashes = 0;
    int rule = is_rule(ln->ptr, ln->len, &dashes);
    if (f->hold.active) {
        if (rule && dashes && !f->lay.active &&
            layout_from(f, f->hold.buf, f->hold.len, ln->ptr, ln->len)) {
            f->hold.active = 0;
            pk_parsed(&f->out); /* the header */
            pk_parsed(&f->out); /* its rule */
            return;
        }
        release_hold(f);
    }
    if (is_table_kind(f->kind) && !f->lay.active && !rule && ln->len <= TS_HOLD_MAX &&
        trim(ln->ptr, ln->len).len > 0) {
        memcpy(f->hold.buf, ln->ptr, ln->len);
        f->hold.len = ln->len;
        f->hold.number = ln->number;
        f->hold.offset = ln->offset;
        f->hold.active = 1;
        return;
    }
    account(f, ln, process_line(f, ln));
}

static void ts_line(void *ctx, const struct ikm_line *in)
{
    struct ts_file *f = ctx;
    struct pk_out *o = &f->out;
    struct ikm_line ln = *in;
    o->st.units++;
    if (ln.truncated) {
        release_hold(f);
        pk_long_line(o, &ln);
        account(f, &ln, "line longer than 1 MiB");
        return;
    }
    pk_check_bytes(o, &ln);
    size_t lead = pk_leading_nuls(ln.ptr, ln.len);
    if (lead) {
        if (lead == ln.len) {
            release_hold(f);
            account(f, &ln, "NUL bytes only");
            return;
        }
        ln.ptr += lead;
        ln.len -= lead;
    }
    if (ln.len > 0 && ln.ptr[0] == '>' && (ln.len == 1 || is_space(ln.ptr[1]))) {
        start_section(f, ln.ptr + 1, ln.len - 1);
        pk_parsed(o);
        return;
    }
    feed(f, &ln);
}

int techsupport_parse_stream(struct ikm_stream s, const struct ikm_sink *sink,
                             struct ikm_source_stats *stats)
{
    ikm_source_stats_init(stats);
    struct ikm_linereader lr;
    if (ikm_lr_init(&lr, s) < 0)
        return -1;
    struct ts_file *f = calloc(1, sizeof *f);
    if (!f) {
        ikm_lr_free(&lr);
        return -1;
    }
    pk_out_init(&f->out, sink, ts_checks, sizeof ts_checks / sizeof ts_checks[0]);
    f->kind = TK_PREAMBLE;
    int rc = pk_feed_lines(&f->out, &lr, ts_line, f);
    release_hold(f);
    if (pk_finish(&f->out, stats) < 0)
        rc = -1;
    stats->bytes = ikm_lr_bytes(&lr);
    free(f);
    ikm_lr_free(&lr);
    return rc;
}

/* ---- sniffing ------------------------------------------------------------------------------ */

static int is_cmd_header(const char *p, size_t n)
{
    static const char *const verbs[] = {"show ", "debug ", "test ", "set ", "request ", "less ", "tail "};
    if (n < 3 || p[0] != '>' || p[1] != ' ')
        return 0;
    struct ikm_str c = ikm_str_of(p + 2, n - 2);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (starts(c, verbs[i]))
            return 1;
    return 0;
}

int techsupport_sniff(const char *buf, size_t n)
{
    size_t i = 0;
    int looked = 0, headers = 0, anchors = 0, first = -1;
    while (i < n && looked < 200) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
        const char *p = buf + i;
        size_t l = len;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (trim(p, l).len > 0) {
            looked++;
            int h = is_cmd_header(p, l);
            if (first < 0)
                first = h;
            if (h) {
                headers++;
                struct ikm_str c = trim(p + 1, l - 1);
                if (ikm_str_is(c, "show clock") || ikm_str_is(c, "show system info"))
                    anchors++;
            }
        }
        if (!nl)
            break;
        i += len + 1;
    }
    if (!headers)
        return 0;
    int score = first == 1 ? 60 : 30;
    score += headers >= 3 ? 20 : headers * 7;
    if (anchors)
        score += 20;
    return score > 100 ? 100 : score;
}
