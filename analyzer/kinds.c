/*
 * kinds.c — the input kinds this build reads: how each is recognised from its first bytes,
 * which file names hint at it, and which parser reads it. Adding a kind is one row here.
 *
 * Detection is by content: every parser's sniff function scores the first decompressed bytes
 * (0..100). The file name (a tech-support file's member path, or a loose file's name) only
 * breaks ties and rescues weak evidence — never overrides strong content evidence: a pcap
 * named ikemgr.log is a pcap.
 */
#include "kinds.h"

#include "../parsers/ikemgr.h"
#include "../parsers/panlog_cli.h"
#include "../parsers/panlog_csv.h"
#include "../parsers/pcapread.h"
#include "../parsers/routed.h"
#include "../parsers/runconfig.h"
#include "../parsers/techsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNIFF_ACCEPT 50    /* content alone decides from here */
#define SNIFF_WITH_NAME 20 /* with a matching name hint, from here */
#define SNIFF_TIE 10       /* scores this close are a tie the name breaks */

static int ikemgr_score(const char *buf, size_t n)
{
    int matching, looked;
    ikemgr_sniff(buf, n, &matching, &looked);
    if (matching == 0)
        return 0;
    /* other PAN daemons share the timestamp family: IKE-specific words make it ikemgr's */
    static const char *const markers[] = {"[DEBG]", "isakmp", "IKE", "ikev2", "message_id",
                                          "DPD",    "vpn tunnel", "ike_sa", "phase 1", "phase1"};
    int marked = 0;
    for (size_t i = 0; i < sizeof markers / sizeof markers[0] && !marked; i++)
        marked = memmem(buf, n, markers[i], strlen(markers[i])) != NULL;
    int share = matching * 100 / (looked ? looked : 1);
    return marked ? 40 + share * 60 / 100 : share * 30 / 100;
}

static int parse_ikemgr(struct ikm_parsers *p, struct ikm_stream s, const struct ikm_sink *sink,
                        struct ikm_source_stats *st)
{
    return ikemgr_parse_stream(p->ikemgr, s, sink, st);
}

#define WRAP(fn)                                                                                   \
    static int wrap_##fn(struct ikm_parsers *p, struct ikm_stream s, const struct ikm_sink *sink,  \
                         struct ikm_source_stats *st)                                              \
    {                                                                                              \
        (void)p;                                                                                   \
        return fn(s, sink, st);                                                                    \
    }
WRAP(panlog_cli_parse_stream)
WRAP(panlog_csv_parse_stream)
WRAP(techsupport_parse_stream)
WRAP(routed_parse_stream)
WRAP(runconfig_parse_stream)
WRAP(pcapread_parse_stream)

static const char *const hints_ikemgr[] = {"ikemgr", NULL};
static const char *const hints_syslog_cli[] = {"show_log_system", "log_system", NULL};
static const char *const hints_syslog_csv[] = {"syslog", ".csv", "messages", NULL};
static const char *const hints_techsupport[] = {"techsupport_", NULL};
static const char *const hints_routed[] = {"routed", "frr", NULL};
static const char *const hints_runconfig[] = {"running-config", "currcfg", "candidatecfg", ".xml", NULL};
static const char *const hints_pcap[] = {".pcap", ".cap", ".pcapng", NULL};

static const struct ikm_kind_info kinds[] = {
    {IKM_KIND_IKEMGR_LOG, "ikemgr-log", ikemgr_score, parse_ikemgr, hints_ikemgr},
    {IKM_KIND_SYSLOG_CLI, "system-log-cli", panlog_cli_sniff, wrap_panlog_cli_parse_stream, hints_syslog_cli},
    {IKM_KIND_SYSLOG_CSV, "panos-syslog", panlog_csv_sniff, wrap_panlog_csv_parse_stream, hints_syslog_csv},
    {IKM_KIND_TECHSUPPORT, "techsupport-cli", techsupport_sniff, wrap_techsupport_parse_stream,
     hints_techsupport},
    {IKM_KIND_ROUTED_LOG, "routing-log", routed_sniff, wrap_routed_parse_stream, hints_routed},
    {IKM_KIND_RUNCONFIG, "running-config", runconfig_sniff, wrap_runconfig_parse_stream, hints_runconfig},
    {IKM_KIND_PCAP, "pcap", pcapread_sniff, wrap_pcapread_parse_stream, hints_pcap},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const struct ikm_kind_info *ikm_kind_info(enum ikm_kind k)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (kinds[i].kind == k)
            return &kinds[i];
    return NULL;
}

const char *ikm_kind_name(enum ikm_kind k)
{
    const struct ikm_kind_info *ki = ikm_kind_info(k);
    if (ki)
        return ki->name;
    return k == IKM_KIND_EMPTY ? "empty" : "unknown";
}

static int name_hinted(const struct ikm_kind_info *ki, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (const char *const *h = ki->hints; *h; h++)
        if (strstr(base, *h))
            return 1;
    return 0;
}

/* a hint that is a suffix (".pcap", ".xml") ending the base name */
static int suffix_hinted(const struct ikm_kind_info *ki, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    for (const char *const *h = ki->hints; *h; h++) {
        size_t hl = strlen(*h);
        if ((*h)[0] == '.' && bl > hl && strcmp(base + bl - hl, *h) == 0)
            return 1;
    }
    return 0;
}

/* The first other kind the name hints at, or NULL: content won over the name, and the reader
 * of the inventory should see that the name said otherwise. */
static const char *name_suggests(size_t detected, const char *path)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (i != detected && (suffix_hinted(&kinds[i], path) ||
                              (name_hinted(&kinds[i], path) && !name_hinted(&kinds[detected], path))))
            return kinds[i].name;
    return NULL;
}

enum ikm_kind ikm_detect(const char *peek, size_t n, const char *path, char *why, size_t whysz)
{
    size_t nonzero = 0;
    while (nonzero < n && peek[nonzero] == '\0')
        nonzero++;
    if (n > 0 && nonzero == n) {
        snprintf(why, whysz, "empty file (only zero bytes)");
        return IKM_KIND_EMPTY;
    }
    if (n == 0) {
        /* the suffix first: "ikemgr.pcap" is a capture's name, though it holds "ikemgr" */
        for (size_t i = 0; i < N_KINDS; i++)
            if (suffix_hinted(&kinds[i], path)) {
                snprintf(why, whysz, "empty file; kind from its name");
                return kinds[i].kind;
            }
        for (size_t i = 0; i < N_KINDS; i++)
            if (name_hinted(&kinds[i], path)) {
                snprintf(why, whysz, "empty file; kind from its name");
                return kinds[i].kind;
            }
        snprintf(why, whysz, "empty file");
        return IKM_KIND_EMPTY;
    }
    int best = -1, best_score = 0, second_score = 0;
    int scores[N_KINDS];
    for (size_t i = 0; i < N_KINDS; i++) {
        scores[i] = kinds[i].sniff(peek, n);
        if (scores[i] < 0)
            scores[i] = 0;
        if (scores[i] > 100)
            scores[i] = 100;
        /* a name hint adds a little: enough to break a tie, never to beat clear content */
        int s = scores[i] + (name_hinted(&kinds[i], path) ? SNIFF_TIE : 0);
        if (s > best_score) {
            second_score = best_score;
            best_score = s;
            best = (int)i;
        } else if (s > second_score) {
            second_score = s;
        }
    }
    if (best >= 0) {
        int raw = scores[best];
        int hinted = name_hinted(&kinds[best], path);
        if (raw >= SNIFF_ACCEPT || (hinted && raw >= SNIFF_WITH_NAME)) {
            const char *other = name_suggests((size_t)best, path);
            snprintf(why, whysz, "content score %d%s%s%s%s", raw, hinted ? ", name agrees" : "",
                     best_score - second_score < SNIFF_TIE ? ", close call" : "",
                     other ? ", but the name suggests " : "", other ? other : "");
            return kinds[best].kind;
        }
    }
    snprintf(why, whysz, "no known kind recognised the first %zu bytes (best: %s, score %d)", n,
             best >= 0 ? kinds[best].name : "none", best >= 0 ? scores[best] : 0);
    return IKM_KIND_UNKNOWN;
}

int ikm_parsers_init(struct ikm_parsers *p, char *err, size_t errsz)
{
    memset(p, 0, sizeof *p);
    p->ikemgr = ikemgr_catalog_new(err, errsz);
    return p->ikemgr ? 0 : -1;
}

void ikm_parsers_free(struct ikm_parsers *p)
{
    ikemgr_catalog_free(p->ikemgr);
    p->ikemgr = NULL;
}
