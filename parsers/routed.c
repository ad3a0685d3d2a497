/*
 * routed.c — the routing daemon log parser (../shared/formats.md §4.1, §4.2).
 *
 * Line grammar (a record per timestamped line; lines without a timestamp continue the
 * previous record):
 *
 *   L  YYYY-MM-DD HH:MM:SS[.f] [+ZZZZ] [Level:] [func(file.c:N):] MESSAGE      routed.log (INFERRED)
 *   F  YYYY/MM/DD HH:MM:SS[.f] DAEMON: [[MSG-ID]][[EC n]] MESSAGE         FRR (frr_export.log, ns<N>_frr_*.log)
 *   H  #LR:<name> (<n>)                                                       FRR file header: the logical router
 *
 *   L  2024-07-15 10:55:41.005 -0700 Info: pan_rt_pathmon(pathmon.c:311): Path monitor ... is down
 *   F  2026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.77.0.2(PEER_ROUTER_B) in vrf default Down Admin. shutdown
 *   F  2026/08/25 19:13:33 OSPF: [Y05P2-YJVXY] AdjChg: Nbr 10.255.0.3, NbrIP 10.0.23.2 (default) on eth2:10.0.23.1: Full -> Deleted (KillNbr)
 *   H  #LR:default (1)
 *
 * FRR lines carry no UTC offset: their times are IKM_TZ_PENDING until the device zone is known
 * (or IKM_TZ_FILE after a line of the same file that had one, as in the ikemgr parser).
 *
 * Messages are classified by a small catalog of PCRE2 patterns (each with a sample line the
 * tests check); a combined alternation says first whether any can match. A match becomes a
 * route-change event; other records are parsed with no row.
 */
#include "routed.h"

#include "parsekit.h"
#include "timefmt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- catalog ---------------------------------------------------------------------------------- */

enum rt_what { RW_NEIGHBOR, RW_PATHMON, RW_ROUTE };

struct rt_pattern {
    const char *name;
    enum rt_what what;
    const char *proto; /* protocol when the pattern implies it, else NULL */
    const char *pattern;
    const char *sample;
};

#define RT_IP "[0-9A-Fa-f]*[.:][0-9A-Fa-f.:]*[0-9A-Fa-f]"
#define RT_PREFIX                                                                                   \
    "(?<![0-9.])(?:[0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}(?![0-9])"                                 \
    "|(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}/[0-9]{1,3}(?![0-9])"

/* First match wins. Samples: FRR lines as published in FRR's and Cumulus' documentation and in
 * FRR's own format strings (bgp_fsm.c, ospfd); the PAN routed.log wordings are INFERRED. */
static const struct rt_pattern rt_patterns[] = {
    {"bgp-adjchange", RW_NEIGHBOR, "bgp",
     "%ADJCHANGE: neighbor (?<neighbor>" RT_IP ")(?:\\([^)]*\\))?(?: in vrf (?<vrf>\\S+))? "
     "(?<state>Up|Down)\\b(?: (?<cause>.+))?",
     "%ADJCHANGE: neighbor 10.77.0.2(PEER_ROUTER_B) in vrf default Down Admin. shutdown"},
    {"bgp-fsm", RW_NEIGHBOR, "bgp",
     "^(?<neighbor>" RT_IP ") \\[FSM\\] (?<cause>\\S+) \\((?<from>[A-Za-z]+)->(?<to>[A-Za-z]+)\\)",
     "10.0.0.2 [FSM] Receive_KEEPALIVE_message (OpenConfirm->Established), fd 23"},
    {"bgp-went-from", RW_NEIGHBOR, "bgp",
     "^(?<neighbor>" RT_IP ")(?: fd -?[0-9]+)? went from (?<from>[A-Za-z]+) to (?<to>[A-Za-z]+)",
     "10.0.0.2 went from OpenConfirm to Established"},
    {"bgp-peer-session", RW_NEIGHBOR, "bgp",
     "BGP peer session enters (?<to>[A-Za-z]+) state\\. peer name: (?<name>[^,]*), peer IP: "
     "(?<neighbor>" RT_IP ")",
     "BGP peer session enters established state. peer name: branch7, peer IP: 10.255.0.2."},
    {"ospf-adjchg", RW_NEIGHBOR, "ospf",
     "AdjChg: Nbr (?<neighbor>" RT_IP ")(?:\\([^)]*\\))?(?:, NbrIP (?<nbrip>" RT_IP "))?.*?: "
     "(?<from>[A-Za-z0-9/-]+) -> (?<to>[A-Za-z0-9/-]+)(?: \\((?<cause>[^)]*)\\))?",
     "AdjChg: Nbr 10.255.0.3, NbrIP 10.0.23.2 (default) on eth2:10.0.23.1: Full -> Deleted (KillNbr)"},
    {"neighbor-state", RW_NEIGHBOR, NULL,
     "\\b(?<proto>BGP|OSPFv3|OSPF)\\b.*?\\b(?:peer|neighbou?r|nbr)\\b\\s+(?<neighbor>" RT_IP ")\\b"
     ".*?\\bfrom\\s+(?<from>[A-Za-z][A-Za-z0-9/_-]*)\\s+to\\s+(?<to>[A-Za-z][A-Za-z0-9/_-]*)",
     "BGP peer 10.255.0.2 state changed from OpenConfirm to Established"},
    {"path-monitor", RW_PATHMON, NULL,
     "^(?=.*?\\bpath[- ]?monitor)(?:(?=.*?(?<prefix>" RT_PREFIX "))|).*\\b(?<state>up|down)\\b",
     "Path monitor for static route 0.0.0.0/0 destination 8.8.8.8 in virtual router default is down"},
    {"route-change", RW_ROUTE, NULL,
     "^(?=.*\\b(?:routes?|rib|fib|rn)\\b)(?=.*?(?<prefix>" RT_PREFIX "))"
     "(?=.*?\\b(?<action>add(?:ed|ing)?|install(?:ed|ing)?|insert(?:ed|ing)?|delet(?:e|ed|ing)"
     "|remov(?:e|ed|ing)|withdraw(?:n|ing)?|uninstall(?:ed|ing)?|chang(?:e|ed|ing)"
     "|updat(?:e|ed|ing)|replac(?:e|ed|ing))\\b)",
     "rib_add_multipath_nhe: 0:10.8.0.0/16: Inserting route rn 0x55d5c1a0, re 0x55d5c2b0 (type 11) existing (nil)"},
};
#define RT_N (sizeof rt_patterns / sizeof rt_patterns[0])

enum rt_cap { C_NEIGHBOR, C_STATE, C_FROM, C_TO, C_PREFIX, C_ACTION, C_PROTO, C_CAUSE, C_VRF, C_NAME, C_NBRIP, C_N };
static const char *const rt_cap_names[C_N] = {"neighbor", "state", "from", "to", "prefix", "action",
                                              "proto", "cause", "vrf", "name", "nbrip"};

struct rt_catalog {
    int ok;
    pcre2_code *any;
    pcre2_code *re[RT_N];
    int group[RT_N][C_N];
    uint32_t max_groups;
};

static struct rt_catalog g_cat;
static pthread_once_t g_cat_once = PTHREAD_ONCE_INIT;

static pcre2_code *rt_compile(const char *pattern, uint32_t extra)
{
    int ec;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS | extra,
                                   &ec, &off, NULL);
    if (re)
        (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* an optimisation only */
    return re;
}

/* Built once per process and never freed: the patterns are constant data. */
static void rt_catalog_build(void)
{
    size_t total = 16;
    for (size_t i = 0; i < RT_N; i++)
        total += strlen(rt_patterns[i].pattern) + 8;
    char *all = malloc(total);
    if (!all)
        return;
    size_t at = 0;
    for (size_t i = 0; i < RT_N; i++)
        at += (size_t)snprintf(all + at, total - at, "%s(?:%s)", i ? "|" : "", rt_patterns[i].pattern);
    g_cat.any = rt_compile(all, PCRE2_DUPNAMES);
    free(all);
    if (!g_cat.any)
        return;
    for (size_t i = 0; i < RT_N; i++) {
        if (!(g_cat.re[i] = rt_compile(rt_patterns[i].pattern, 0)))
            return;
        uint32_t n = 0;
        pcre2_pattern_info(g_cat.re[i], PCRE2_INFO_CAPTURECOUNT, &n);
        if (n + 1 > g_cat.max_groups)
            g_cat.max_groups = n + 1;
        for (int c = 0; c < C_N; c++) {
            int g = pcre2_substring_number_from_name(g_cat.re[i], (PCRE2_SPTR)rt_cap_names[c]);
            g_cat.group[i][c] = g > 0 ? g : -1;
        }
    }
    g_cat.ok = 1;
}

static const struct rt_catalog *rt_catalog(void)
{
    pthread_once(&g_cat_once, rt_catalog_build);
    return g_cat.ok ? &g_cat : NULL;
}

size_t routed_pattern_count(void)
{
    return RT_N;
}
const char *routed_pattern_name(size_t i)
{
    return i < RT_N ? rt_patterns[i].name : NULL;
}
const char *routed_pattern_sample(size_t i)
{
    return i < RT_N ? rt_patterns[i].sample : NULL;
}

/* Index of the first pattern matching s, or -1; md receives its captures. */
static int rt_match(const struct rt_catalog *cat, const char *s, size_t n, pcre2_match_data *md)
{
    /* >= 0: 0 means matched with an ovector too small, which the prefilter does not need */
    if (pcre2_match(cat->any, (PCRE2_SPTR)s, n, 0, 0, md, NULL) < 0)
        return -1;
    for (size_t i = 0; i < RT_N; i++)
        if (pcre2_match(cat->re[i], (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0)
            return (int)i;
    return -1;
}

int routed_classify(const char *msg, size_t len)
{
    const struct rt_catalog *cat = rt_catalog();
    if (!cat)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create(cat->max_groups, NULL);
    if (!md)
        return -1;
    int r = rt_match(cat, msg, len, md);
    pcre2_match_data_free(md);
    return r;
}

static struct ikm_str cap(const struct rt_catalog *cat, pcre2_match_data *md, int e, enum rt_cap c,
                          const char *s)
{
    int g = cat->group[e][c];
    if (g < 0 || (uint32_t)g >= pcre2_get_ovector_count(md))
        return ikm_str_none();
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (ov[2 * g] == PCRE2_UNSET)
        return ikm_str_none();
    return ikm_str_of(s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/* ---- small lexical helpers ---------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}
static char lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static size_t skip_spaces(const char *p, size_t n, size_t i)
{
    while (i < n && is_space(p[i]))
        i++;
    return i;
}

static int ieq(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n != l)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (lower(p[i]) != lit[i])
            return 0;
    return 1;
}

static int istarts(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && ieq(p, l, lit);
}

/* ---- per-file state ------------------------------------------------------------------------- */

#define RT_LR_MAX 128

enum rec_state { REC_NONE, REC_PARSED, REC_UNPARSED };
static const char *const routed_checks[] = {PK_LINE_CHECKS};


struct rt_file {
    const struct rt_catalog *cat;
    pcre2_match_data *md;
    struct pk_out out; /* sink, stats, failure, diagnostics, offset state */
    enum rec_state rec;
    int64_t rec_line;
    char lr[RT_LR_MAX];
    size_t lr_len;
    struct pk_held pend; /* the last event, until continuations are done */
};

/* ---- one line ------------------------------------------------------------------------------- */

struct rt_prefix {
    struct ikm_time t;
    enum ikm_level level;
    struct ikm_str level_raw;
    struct ikm_str daemon; /* FRR: "BGP", "OSPF", "ZEBRA"... */
    struct ikm_str srcloc;
    struct ikm_str msg;    /* everything after the timestamp and level */
    struct ikm_str core;   /* the message proper, after daemon, tags and source location */
};

/* "Info:", "warning:", "[INFO]:" */
static size_t read_level(const char *p, size_t n, size_t i, struct rt_prefix *px)
{
    static const struct {
        const char *w;
        enum ikm_level lvl;
    } words[] = {
        {"debug", IKM_LVL_DEBUG},     {"debg", IKM_LVL_DEBUG},    {"info", IKM_LVL_INFO},
        {"notice", IKM_LVL_NOTICE},   {"warning", IKM_LVL_WARNING}, {"warn", IKM_LVL_WARNING},
        {"error", IKM_LVL_ERROR},     {"err", IKM_LVL_ERROR},     {"critical", IKM_LVL_CRITICAL},
        {"crit", IKM_LVL_CRITICAL},
    };
    size_t j = i, b = 0;
    if (j < n && p[j] == '[')
        b = 1, j++;
    size_t s = j;
    while (j < n && j - s < 10 && ((p[j] >= 'a' && p[j] <= 'z') || is_upper(p[j])))
        j++;
    size_t wl = j - s;
    if (b && !(j < n && p[j] == ']'))
        return i;
    j += b;
    if (wl == 0 || j >= n || p[j] != ':')
        return i;
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (ieq(p + s, wl, words[k].w)) {
            px->level = words[k].lvl;
            px->level_raw = ikm_str_of(p + s, wl);
            return skip_spaces(p, n, j + 1);
        }
    return i;
}

/* FRR "DAEMON:" — upper case letters and digits. */
static size_t read_daemon(const char *p, size_t n, size_t i, struct rt_prefix *px)
{
    size_t j = i;
    while (j < n && j - i <= 12 && (is_upper(p[j]) || is_digit(p[j])))
        j++;
    if (j - i < 2 || j >= n || p[j] != ':' || !is_upper(p[i]))
        return i;
    px->daemon = ikm_str_of(p + i, j - i);
    return skip_spaces(p, n, j + 1);
}

/* FRR tags "[Y05P2-YJVXY]" and "[EC 33554452]", possibly glued together. */
static size_t skip_tags(const char *p, size_t n, size_t i)
{
    while (i < n && p[i] == '[') {
        size_t j = i + 1;
        while (j < n && j - i < 24 && (is_upper(p[j]) || is_digit(p[j]) || p[j] == '-' || p[j] == ' '))
            j++;
        if (j >= n || p[j] != ']' || j == i + 1)
            break;
        i = skip_spaces(p, n, j + 1);
    }
    return i;
}

/* "func(path/file.c:NNN): " (the PAN standard family) */
static size_t read_srcloc(const char *p, size_t n, size_t i, struct rt_prefix *px)
{
    size_t j = i;
    while (j < n && (p[j] == '_' || (p[j] >= 'a' && p[j] <= 'z') || is_upper(p[j]) || is_digit(p[j])))
        j++;
    if (j == i || j >= n || p[j] != '(')
        return i;
    size_t k = j + 1;
    while (k < n && p[k] != ':' && p[k] != ')' && p[k] != ' ')
        k++;
    if (k + 1 >= n || p[k] != ':' || !is_digit(p[k + 1]))
        return i;
    k++;
    while (k < n && is_digit(p[k]))
        k++;
    if (k + 1 >= n || p[k] != ')' || p[k + 1] != ':')
        return i;
    px->srcloc = ikm_str_of(p + i, k + 1 - i);
    return skip_spaces(p, n, k + 2);
}

/* 1: a record; 0: no timestamp (a continuation); -1: a timestamp shape with impossible
 * values (*why says which). */
static int parse_prefix(struct rt_file *f, const char *p, size_t n, struct rt_prefix *px,
                        const char **why)
{
    struct ikm_tm tm;
    size_t used;
    enum ikm_ts_result r = ikm_parse_datetime(p, n, "-", " T", &tm, &used, why);
    if (r == IKM_TS_NONE)
        r = ikm_parse_datetime(p, n, "/", " ", &tm, &used, why);
    if (r == IKM_TS_NONE)
        return 0;
    if (r == IKM_TS_INVALID)
        return -1;
    memset(px, 0, sizeof *px);
    size_t ts_len = used;
    size_t i = skip_spaces(p, n, used);
    int off = 0, has_off = 0;
    size_t ou = 0;
    int o = ikm_parse_utc_offset(p + i, n - i, &off, &ou);
    /* an offset is a token of its own: "Z" only glued to the time, and either form followed
     * by the end or a blank — "2026/08/25 19:13:32 ZEBRA:" has no offset */
    if (o < 0) {
        /* out of range: ou is unset, so measure the token ("+2500" is one, "+25000" is not) */
        size_t tl = 0;
        while (i + tl < n && !is_space(p[i + tl]))
            tl++;
        ou = tl == 3 || tl == 5 || tl == 6 ? tl : 0;
        if (!ou)
            o = 0;
    }
    if (o != 0 && ((p[i] == 'Z' && i != used) || (i + ou < n && !is_space(p[i + ou]))))
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
    pk_time_from_tm(&f->out, &tm, has_off, off, p, ts_len, &px->t);
    i = read_level(p, n, i, px);
    px->msg = ikm_str_of(p + i, n - i);
    if (!px->level_raw.ptr)
        i = read_daemon(p, n, i, px);
    i = skip_tags(p, n, i);
    i = read_srcloc(p, n, i, px);
    px->core = ikm_str_of(p + i, n - i);
    return 1;
}

/* The protocol a message names, as a static string. */
static const char *proto_of_word(const char *p, size_t n)
{
    static const struct {
        const char *w, *proto;
    } map[] = {
        {"bgp", "bgp"},       {"ospfv3", "ospfv3"}, {"ospf6", "ospfv3"},      {"ospf", "ospf"},
        {"static", "static"}, {"rip", "rip"},       {"connected", "connected"}, {"kernel", "kernel"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (ieq(p, n, map[i].w))
            return map[i].proto;
    return NULL;
}

static const char *proto_in_text(struct ikm_str s)
{
    size_t i = 0;
    while (i < s.len) {
        while (i < s.len && !((s.ptr[i] >= 'a' && s.ptr[i] <= 'z') || is_upper(s.ptr[i]) || is_digit(s.ptr[i])))
            i++;
        size_t b = i;
        while (i < s.len && ((s.ptr[i] >= 'a' && s.ptr[i] <= 'z') || is_upper(s.ptr[i]) || is_digit(s.ptr[i])))
            i++;
        const char *pr = proto_of_word(s.ptr + b, i - b);
        if (pr)
            return pr;
    }
    return NULL;
}

static struct ikm_str lit(const char *s)
{
    return ikm_str_of(s, strlen(s));
}

/* zebra writes "<vrf id>:<prefix>": for IPv4 the pattern skips the id, for IPv6 the id of the
 * default VRF ("0:2001:db8::/32") is taken off here. An address whose first group is 0 and is
 * not compressed is not printed by FRR, so nothing real is lost. */
static struct ikm_str strip_vrf(struct ikm_str p)
{
    if (p.ptr && p.len > 4 && p.ptr[0] == '0' && p.ptr[1] == ':' && memmem(p.ptr + 2, p.len - 2, "::", 2))
        return ikm_str_of(p.ptr + 2, p.len - 2);
    return p;
}

static const char *route_action(struct ikm_str a)
{
    if (istarts(a.ptr, a.len, "add") || istarts(a.ptr, a.len, "install") || istarts(a.ptr, a.len, "insert"))
        return "add";
    if (istarts(a.ptr, a.len, "delet") || istarts(a.ptr, a.len, "remov") ||
        istarts(a.ptr, a.len, "withdraw") || istarts(a.ptr, a.len, "uninstall"))
        return "delete";
    return "change";
}

/* Builds and holds the route-change event of a classified record; none when the match says
 * nothing changed (an FSM line from a state to itself). */
static void classify_record(struct rt_file *f, const struct rt_prefix *px, int64_t line)
{
    const struct rt_catalog *cat = f->cat;
    const char *s = px->core.ptr;
    int e = rt_match(cat, s, px->core.len, f->md);
    if (e < 0)
        return;
    const struct rt_pattern *pt = &rt_patterns[e];
    struct ikm_str nb = cap(cat, f->md, e, C_NEIGHBOR, s), st = cap(cat, f->md, e, C_STATE, s);
    struct ikm_str from = cap(cat, f->md, e, C_FROM, s), to = cap(cat, f->md, e, C_TO, s);
    if (from.ptr && to.ptr && from.len == to.len) {
        size_t k = 0;
        while (k < from.len && lower(from.ptr[k]) == lower(to.ptr[k]))
            k++;
        if (k == from.len)
            return;
    }
    struct ikm_event ev;
    memset(&ev, 0, sizeof ev);
    ev.line = line;
    ev.t = px->t;
    ev.kind = IKM_EV_ROUTE_CHANGE;
    ev.level = px->level;
    ev.level_raw = px->level_raw;
    ev.gw_id = ev.tn_id = -1;
    ev.msg = px->msg;
    const char *proto = pt->proto;
    struct ikm_str pc = cap(cat, f->md, e, C_PROTO, s);
    if (!proto && pc.ptr)
        proto = proto_of_word(pc.ptr, pc.len);
    if (proto && !strcmp(proto, "ospf") && px->daemon.ptr && ieq(px->daemon.ptr, px->daemon.len, "ospf6"))
        proto = "ospfv3";
    if (!proto && px->daemon.ptr)
        proto = proto_of_word(px->daemon.ptr, px->daemon.len);
    if (!proto && pt->what != RW_NEIGHBOR)
        proto = proto_in_text(px->core); /* "static route", "BGP route" */
    if (proto)
        ikm_event_add_attr(&ev, "protocol", lit(proto), 0);
    ikm_event_add_attr(&ev, "neighbor", nb, 0);
    ikm_event_add_attr(&ev, "state", st.ptr ? st : to, 0);
    ikm_event_add_attr(&ev, "from_state", from, 0);
    ikm_event_add_attr(&ev, "to_state", to, 0);
    ikm_event_add_attr(&ev, "prefix", strip_vrf(cap(cat, f->md, e, C_PREFIX, s)), 0);
    struct ikm_str act = cap(cat, f->md, e, C_ACTION, s);
    if (act.ptr)
        ikm_event_add_attr(&ev, "action", lit(route_action(act)), 0);
    if (f->lr_len)
        ikm_event_add_attr(&ev, "logical_router", ikm_str_of(f->lr, f->lr_len), 0);
    ikm_event_add_attr(&ev, "neighbor_ip", cap(cat, f->md, e, C_NBRIP, s), 0);
    ikm_event_add_attr(&ev, "cause", cap(cat, f->md, e, C_CAUSE, s), 0);
    ikm_event_add_attr(&ev, "srcloc", px->srcloc.len ? px->srcloc : ikm_str_none(), 0);
    ikm_event_add_attr(&ev, "pattern", lit(pt->name), 0);
    pk_held_set(&f->out, &f->pend, &ev);
}

/* "#LR:<name> (<n>)" */
static int lr_header(struct rt_file *f, const char *p, size_t n)
{
    if (n < 5 || memcmp(p, "#LR:", 4) != 0)
        return 0;
    size_t i = skip_spaces(p, n, 4), e = i;
    while (e < n && !is_space(p[e]) && p[e] != '(')
        e++;
    size_t l = e - i < RT_LR_MAX - 1 ? e - i : RT_LR_MAX - 1;
    memcpy(f->lr, p + i, l);
    f->lr[l] = '\0';
    f->lr_len = l;
    return 1;
}

static void rt_line(void *ctx, const struct ikm_line *in)
{
    struct rt_file *f = ctx;
    struct pk_out *o = &f->out;
    struct ikm_line ln = *in;
    o->st.units++;
    if (ln.truncated) {
        pk_long_line(o, &ln);
        pk_held_flush(&f->out, &f->pend);
        f->rec = REC_UNPARSED;
        pk_unparsed_line(o, &ln, "line longer than 1 MiB");
        return;
    }
    pk_check_bytes(o, &ln);
    size_t lead = pk_leading_nuls(ln.ptr, ln.len);
    if (lead) {
        if (lead == ln.len) {
            pk_unparsed_line(o, &ln, "NUL bytes only");
            return;
        }
        ln.ptr += lead;
        ln.len -= lead;
    }
    size_t first = skip_spaces(ln.ptr, ln.len, 0);
    if (first == ln.len) {
        pk_parsed(o); /* a blank line carries nothing to lose */
        return;
    }
    if (lr_header(f, ln.ptr, ln.len)) {
        pk_held_flush(&f->out, &f->pend);
        f->rec = REC_PARSED;
        f->rec_line = ln.number;
        pk_parsed(o);
        return;
    }
    struct rt_prefix px;
    const char *why = NULL;
    int r = parse_prefix(f, ln.ptr, ln.len, &px, &why);
    if (r < 0) {
        pk_diag(o, PK_CK_TS, IKM_DIAG_WARNING, ln.number, ln.offset, "%s", why ? why : "invalid timestamp");
        pk_held_flush(&f->out, &f->pend);
        f->rec = REC_UNPARSED;
        pk_unparsed_line(o, &ln, why ? why : "invalid timestamp"); /* a static string */
        return;
    }
    if (r == 0) {
        if (f->rec == REC_PARSED) {
            pk_parsed(o);
            if (f->pend.active && f->pend.ev.line == f->rec_line)
                pk_held_extend(&f->out, &f->pend, ln.ptr, ln.len);
        } else {
            pk_unparsed_line(o, &ln, f->rec == REC_NONE ? "continuation line before the first record"
                                                        : "continuation of an unparsed record");
        }
        return;
    }
    pk_held_flush(&f->out, &f->pend);
    f->rec = REC_PARSED;
    f->rec_line = ln.number;
    pk_parsed(o);
    classify_record(f, &px, ln.number);
}

int routed_parse_stream(struct ikm_stream s, const struct ikm_sink *sink,
                        struct ikm_source_stats *stats)
{
    ikm_source_stats_init(stats);
    const struct rt_catalog *cat = rt_catalog();
    if (!cat)
        return -1;
    struct ikm_linereader lr;
    if (ikm_lr_init(&lr, s) < 0)
        return -1;
    struct rt_file *f = calloc(1, sizeof *f);
    if (!f || !(f->md = pcre2_match_data_create(cat->max_groups, NULL))) {
        free(f);
        ikm_lr_free(&lr);
        return -1;
    }
    f->cat = cat;
    pk_out_init(&f->out, sink, routed_checks, sizeof routed_checks / sizeof routed_checks[0]);
    int rc = pk_feed_lines(&f->out, &lr, rt_line, f);
    pk_held_flush(&f->out, &f->pend);
    if (pk_finish(&f->out, stats) < 0)
        rc = -1;
    stats->bytes = ikm_lr_bytes(&lr);
    pcre2_match_data_free(f->md);
    pk_held_free(&f->pend);
    free(f);
    ikm_lr_free(&lr);
    return rc;
}

/* ---- sniffing --------------------------------------------------------------------------------- */

int routed_sniff(const char *buf, size_t n)
{
    size_t i = 0;
    int looked = 0, frr = 0, legacy = 0, lrh = 0, words = 0;
    while (i < n && looked < 50) {
        const char *nl = memchr(buf + i, '\n', n - i);
        if (!nl && looked > 0)
            break; /* a cut last line says nothing */
        size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
        const char *p = buf + i;
        size_t l = len;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (skip_spaces(p, l, 0) < l) {
            looked++;
            struct ikm_tm tm;
            size_t used;
            struct rt_prefix px;
            memset(&px, 0, sizeof px);
            if (l >= 4 && memcmp(p, "#LR:", 4) == 0)
                lrh++;
            else if (ikm_parse_datetime(p, l, "/", " ", &tm, &used, NULL) == IKM_TS_OK) {
                size_t k = skip_spaces(p, l, used);
                if (read_daemon(p, l, k, &px) != k)
                    frr++;
            } else if (ikm_parse_datetime(p, l, "-", " T", &tm, &used, NULL) == IKM_TS_OK) {
                size_t k = skip_spaces(p, l, used), ou;
                int off;
                if (ikm_parse_utc_offset(p + k, l - k, &off, &ou) > 0)
                    k = skip_spaces(p, l, k + ou);
                /* "Level:" as a word (the bracketed "[INFO]:" is ikemgr's), or a source location */
                size_t k2 = k < l && p[k] == '[' ? k : read_level(p, l, k, &px);
                if (k2 != k || read_srcloc(p, l, k2, &px) != k2)
                    legacy++;
            }
            for (size_t j = 0; j + 4 <= l; j++)
                if (istarts(p + j, l - j, "bgp") || istarts(p + j, l - j, "ospf") ||
                    istarts(p + j, l - j, "route") || istarts(p + j, l - j, "path mon")) {
                    words++;
                    break;
                }
        }
        if (!nl)
            break;
        i += len + 1;
    }
    if (!looked)
        return 0;
    if (lrh && frr)
        return 95;
    if (lrh)
        return 80;
    if (frr * 2 >= looked)
        return 85;
    if (legacy * 2 >= looked)
        return words ? 60 : 40; /* the PAN standard family: other daemons write it too */
    return frr || legacy ? 20 : 0;
}
