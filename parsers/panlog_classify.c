/*
 * panlog_classify.c — the system-log classifier (../shared/formats.md §2.3), shared by
 * panlog_cli.c and panlog_csv.c.
 *
 * An entry is classified in three steps:
 *  1. its family is decided by hand from the subtype and the event-id prefix (vpn, routing,
 *     port, ha; every entry is also in the "any" family). The CLI cuts event ids to ~7
 *     characters (`ikev2-n`), so a prefix is all we may rely on;
 *  2. the rules of its families are tried in table order; a rule is matched against the
 *     event id or the description, and runs its regex only when one of its fixed tokens
 *     occurs in that field (a case-insensitive scan) — most lines run one or two regexes;
 *  3. the first rule that matches decides the kind (or lets its captures decide: negotiation
 *     result, up/down), and a failure without a reason takes one from the reason rules
 *     (like ikemgr's catalog: proposal, auth, peer-id, selectors, config, pfs, timeout).
 *
 * What no rule knows becomes IKM_EV_OTHER with its event id: nothing is dropped.
 *
 * Samples: every rule carries one sample entry; tests/test_panlog.c checks that each sample
 * is decided by its own rule. Samples marked VERIFIED are verbatim from formats.md; the
 * others (INFERRED) are shapes formats.md lists as unverified, written as we expect them.
 */
#include "panlog_classify.h"

#include "timefmt.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

/* ---- the rule table ------------------------------------------------------------------------ */

#define FAM_ANY 1u     /* every entry */
#define FAM_VPN 2u     /* subtype vpn, or event id ike*, ipsec*, tunnel*, keymgr* */
#define FAM_ROUTING 4u /* subtype routing, or event id routed*, bgp*, ospf*, path-mon* */
#define FAM_PORT 8u    /* subtype port, or event id port-*, link-*, interface-* */
#define FAM_HA 16u     /* subtype ha, or event id ha-* */

enum field { F_DESC, F_EVID };

enum derive {
    DV_NONE,
    DV_NEGO,     /* sa/phase + result → p1/p2 start/up/fail */
    DV_TUNNEL,   /* state → tunnel-up/down */
    DV_LINK,     /* state → link-up/down */
    DV_DELETE,   /* direction, phase and SPI */
    DV_CFGLOAD,  /* daemon configuration load: signature by phase */
    DV_MISMATCH, /* ikev2-nego-<what>-mismatch: reason from <what> */
};

#define RF_REASON 1u /* a reason source for failures that have none */
#define RF_TUNNEL 2u /* the object names a tunnel, not a gateway */

struct rule {
    const char *name;
    enum ikm_event_kind kind;
    const char *reason;
    unsigned fam;
    enum field field;
    unsigned flags;
    enum derive derive;
    const char *tokens; /* "a|b|c": the regex runs only when one occurs (any case); "^a": only at
                         * the start of the field; NULL: always */
    const char *pattern;
    /* the sample: subtype, event id, object, description */
    const char *s_subtype, *s_evid, *s_object, *s_desc;
};

#define TOKENS_MAX 8 /* tokens per rule */
struct tokset {
    const char *t[TOKENS_MAX];
    size_t len[TOKENS_MAX];
    size_t n;
    int prefix; /* "^tok": only at the start of the field */
};

static const struct rule rules[] = {
    /* -- commit signature (formats.md §2.3), any family -------------------------------------- */
    /* VERIFIED (BEATS-OTHER): the last line of a commit */
    {"config-installed", IKM_EV_CONFIG_COMMIT, NULL, FAM_ANY, F_DESC, 0, DV_NONE, "^Config installed",
     "^Config installed\\b", "general", "unknown", NULL, "Config installed"},
    /* VERIFIED (BEATS-OTHER): daemons loading the committed configuration */
    {"config-load-evid", IKM_EV_OTHER, "config-load", FAM_ANY, F_EVID, 0, DV_CFGLOAD, "-config-p",
     "^(?<daemon>[a-z0-9_]+)-config-p(?<phase>[12])-(?<result>[a-z]+)", "vpn", "ike-config-p1-success", NULL,
     "IKE daemon configuration load phase-1 succeeded."},
    /* VERIFIED description (BEATS-OTHER); the cut event id is the CLI's rendering */
    {"config-load-desc", IKM_EV_OTHER, "config-load", FAM_ANY, F_DESC, 0, DV_CFGLOAD, "configuration load",
     "(?<daemon>\\S{1,40}) daemon configuration load phase-(?<phase>[12]) (?<result>succeeded|failed)", "routing",
     "routed-", NULL, "Route daemon configuration load phase-1 succeeded."},

    /* -- vpn: liveness ------------------------------------------------------------------------ */
    /* VERIFIED (KB-IKEV2-DPD, the seed): CLI rendering with the cut event id */
    {"dpd-down", IKM_EV_DPD_DOWN, "liveness", FAM_VPN, F_DESC, 0, DV_NONE, "DPD",
     "\\b(?:down|dead|deleted|torn down) (?:determined|detected) by DPD\\b|"
     "\\bDPD\\b[^.\\n]{0,100}?\\b(?:down|dead|delet(?:ed|ing)|time(?:d)?[ -]?out|fail(?:ed|ure)?|no response)\\b",
     "vpn", "ikev2-n", "seapa-", "IKEv2 IKE SA is down determined by DPD."},
    /* INFERRED: the ike-dpd-* family of formats.md §2.3, without a description */
    {"dpd-evid", IKM_EV_DPD_DOWN, "liveness", FAM_VPN, F_EVID, 0, DV_NONE, "dpd",
     "^ike(?:v2)?-dpd-(?!.*(?:up|alive|start))", "vpn", "ike-dpd-down", "seapa-to-azeapa", ""},

    /* -- vpn: negotiation --------------------------------------------------------------------- */
    /* VERIFIED (MIKROTIK-FORUM): the description grammar of formats.md §2.3 */
    {"negotiation", IKM_EV_COUNT, NULL, FAM_VPN, F_DESC, 0, DV_NEGO, "negotiation is",
     "(?:IKEv2 (?<sa>IKE|child) SA|IKE phase-? ?(?<phase>[12])) negotiation is "
     "(?<result>started|succeeded|failed)(?: as (?<role>initiator|responder))?"
     "(?:[, ]+(?<mode>[^.\\n]{0,60}))?\\.?"
     "(?:\\s*(?:Initiated|Established|Failed) SA: (?<local>[^\\s\\[]{1,64})\\[(?<lport>\\d+)\\]-"
     "(?<peer>[^\\s\\[]{1,64})\\[(?<rport>\\d+)\\]"
     "(?:[^\\n]{0,40}?\\b(?:SPI|cookie):(?:0x)?(?<ispi>[0-9a-f]+)[:/](?:0x)?(?<rspi>[0-9a-f]+))?)?"
     "(?:[^\\n]{0,200}?\\bdue to (?<cause>[^.\\n]{1,100}))?",
     "vpn", "ikev2-nego-ike-fail", "IKE-GW", "IKEv2 IKE SA negotiation is failed as responder, non-rekey. "
     "Failed SA: 111.111.111.111[4500]-176.238.239.255[51435] SPI:0239b91635ed0e98:426762ab448185a9."},
    /* INFERRED (formats.md §2.3, a Sentinel query): IKEv1 event ids without a known description */
    {"nego-v1-evid", IKM_EV_COUNT, NULL, FAM_VPN, F_EVID, 0, DV_NEGO, "-nego-p",
     "^ike-nego-p(?<phase>[12])-(?<result>start|succ|fail)", "vpn", "ike-nego-p1-fail", "IKE-GW", ""},
    /* INFERRED suffixes of the VERIFIED ikev2-nego-ike-start naming (PT-LAB, FINTAP) */
    {"nego-v2-evid", IKM_EV_COUNT, NULL, FAM_VPN, F_EVID, 0, DV_NEGO, "nego-",
     "^ikev2-nego-(?<sa>ike|child)-(?<result>start|succ|fail)", "vpn", "ikev2-nego-child-succ", "tunnel-1", ""},

    /* -- vpn: failures with a reason (also the reason sources of negotiation failures) --------- */
    /* VERIFIED fragment (FINTAP dashboard); ikemgr's catalog gives it the same kind */
    {"retransmit-limit", IKM_EV_IKE_SA_DOWN, "timeout", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "retransmission",
     "retransmission count exceeded the limit", "vpn", "ike-generic-event", NULL,
     "retransmission count exceeded the limit"},
    /* VERIFIED (PT-LAB, PAN-OS 11.2.5); the "[GW]: " prefix is taken off before matching */
    {"enc-mismatch", IKM_EV_NOTIFY_ERROR, "proposal", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "presented",
     "Configured (?<what>[\\w ]{1,60}?) '(?<value>[^']{0,100})' was not presented in the IKE proposal", "vpn",
     "ikev2-nego-enc-mismatch", NULL,
     "[IKE-GW-FGT]: Configured encryption algorithm 'AES256-CBC' was not presented in the IKE proposal. "
     "Please ensure that matching proposals are configured on both sides."},
    /* VERIFIED (PT-LAB) */
    {"no-proposal", IKM_EV_NOTIFY_ERROR, "proposal", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "proposal",
     "no proposal chosen|NO_PROPOSAL_CHOSEN|no suitable proposal|proposal (?:mismatch|does not match)",
     "vpn", "ike-generic-event", NULL, "no proposal chosen."},
    /* VERIFIED event id (PT-LAB) without its description; <what> names the reason */
    {"mismatch-evid", IKM_EV_NOTIFY_ERROR, NULL, FAM_VPN, F_EVID, 0, DV_MISMATCH, "mismatch",
     "^ikev2?-nego-(?<what>[\\w-]+?)-mismatch\\b", "vpn", "ikev2-nego-enc-mismatch", "IKE-GW-FGT", ""},
    /* VERIFIED (MIKROTIK-FORUM) */
    {"peer-id", IKM_EV_NOTIFY_ERROR, "peer-id", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "ID",
     "received ID_[IR] (?:\\(type (?<idtype>\\w{1,20}) \\[(?<id>[^\\]]{0,100})\\]\\) )?(?:is unknown|does not match)|"
     "\\bID mismatch|invalid ID payload|peer ?id (?:mismatch|does not match)",
     "vpn", "ike-generic-event", NULL, "received ID_I (type ipaddr [10.222.191.127]) does not match peers id"},
    /* INFERRED: READ-TSF's grep key (formats.md §1.8) */
    {"auth", IKM_EV_NOTIFY_ERROR, "auth", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "auth|hash|shared key|verif",
     "AUTHENTICATION_FAILED|\\bauth(?:entication)? fail|no shared key|hash mismatch|"
     "pre-?shared key (?:mismatch|is wrong)|(?:signature|certificate) (?:verification|validation) fail",
     "vpn", "ike-generic-event", NULL, "received notify type AUTHENTICATION_FAILED"},
    /* INFERRED: READ-TSF's grep keys (formats.md §1.8) */
    {"selectors", IKM_EV_NOTIFY_ERROR, "selectors", FAM_VPN, F_DESC, RF_REASON, DV_NONE,
     "TS_|ts unacc|selector|sainfo|proxy",
     "TS_UNACCEPTABLE|ts unacceptable|traffic selector|sainfo|proxy[- ]?id", "vpn", "ike-generic-event",
     NULL, "failed to get sainfo."},
    /* INFERRED wording (ikemgr catalog sample); the VERIFIED PAFW-TABLE line is a negotiation
     * failure that takes its reason and peer from this rule */
    {"no-config", IKM_EV_NOTIFY_ERROR, "config", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "configuration|ikev2 peer",
     "(?:couldn\\S{1,3}t find configuration|no IKEv2 configuration)"
     "(?:[^\\n]{0,200}?\\bfor (?:IKE phase-1 request for )?peer(?: IP)? (?<peer>[^\\s\\[]{0,63}[^\\s\\[.,])"
     "(?:\\[(?<rport>\\d+)\\])?)?|unknown ikev2 peer",
     "vpn", "ike-generic-event", NULL, "received IKEv2 request but no IKEv2 configuration for peer 198.51.100.7"},
    /* INFERRED (racoon2 string, formats.md §1.8): PFS / DH group mismatch */
    {"pfs", IKM_EV_P2_FAIL, "pfs", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "KE payload|pfs",
     "message lacks KE payload|pfs_group mismatch|\\bPFS (?:group )?mismatch", "vpn", "ike-generic-event",
     NULL, "message lacks KE payload"},
    /* INFERRED: formats.md §1.8 keyword family "timeout" */
    {"timeout", IKM_EV_NOTIFY_ERROR, "timeout", FAM_VPN, F_DESC, RF_REASON, DV_NONE, "time|no response",
     "\\btime(?:d)?[ -]?out\\b|\\btime up\\b|\\bno response\\b", "vpn", "ike-generic-event", NULL,
     "phase1 negotiation failed due to time up."},

    /* -- vpn: deletes and tunnel state -------------------------------------------------------- */
    /* VERIFIED (HS-SYSLOG) */
    {"delete-desc", IKM_EV_DELETE, NULL, FAM_VPN, F_DESC, 0, DV_DELETE, "delet",
     "delete message (?<dir>sent|received)|Deleting a possible stale|delete payload|"
     "\\b(?:IPsec|IKE|ISAKMP|child) SA (?:is )?delet(?:ed|ing)\\b",
     "vpn", "ike-send-p2-delete", "To-FOO-BAR-NET", "IKE protocol IPSec SA delete message sent to peer. SPI:0xA1CD910F."},
    /* INFERRED ids (formats.md §2.3: ike-recv-p2-delete, ike-send-p1-delete, ...) */
    {"delete-evid", IKM_EV_DELETE, NULL, FAM_VPN, F_EVID, 0, DV_DELETE, "delete",
     "^ike(?:v2)?-(?<dir>send|recv)-p(?<phase>[12])-delete\\b|^(?:ike|ipsec|keymgr)[\\w-]*-delete\\b",
     "vpn", "ike-recv-p1-delete", "IKE-GW", ""},
    /* INFERRED (formats.md §2.3: tunnel-status-up/down, tunnel-monitor-*) */
    {"tunnel-evid", IKM_EV_COUNT, NULL, FAM_VPN, F_EVID, RF_TUNNEL, DV_TUNNEL, "tunnel",
     "^tunnel-(?:status-|monitor-|mon-)?(?<state>up|down)\\b", "vpn", "tunnel-status-down", "To-FOO-BAR-NET", ""},
    /* INFERRED wording */
    {"tunnel-desc", IKM_EV_COUNT, NULL, FAM_VPN, F_DESC, RF_TUNNEL, DV_TUNNEL, "tunnel",
     "\\btunnel\\b[^.\\n]{0,80}?\\b(?:is|went|changed to|status|state)\\s*:?\\s*(?<state>up|down)\\b", "vpn",
     "tunnel-monitor", "To-FOO-BAR-NET", "Tunnel To-FOO-BAR-NET is down"},

    /* -- routing ------------------------------------------------------------------------------ */
    /* INFERRED wording (path monitoring is routed's, formats.md §4.1) */
    {"path-monitor", IKM_EV_ROUTE_CHANGE, NULL, FAM_ROUTING, F_DESC, 0, DV_NONE, "path",
     "\\bpath[ -]?monitor(?:ing)?\\b(?:[^\\n]{0,200}?\\b(?<state>up|down|failed|failure|recovered)\\b)?", "routing",
     "path-monitor-failure", "default", "Path monitor for static route 0.0.0.0/0 is down"},
    /* VERIFIED (DOC-SEV-MED; <name> and <ip> stand in the doc for real values) */
    {"bgp-ospf", IKM_EV_ROUTE_CHANGE, NULL, FAM_ROUTING, F_DESC, 0, DV_NONE, "BGP|OSPF|RIP",
     "\\b(?<proto>BGP|OSPFv3|OSPF|RIP)\\b[^\\n]{0,200}?\\b(?:peer|neighbou?r|adjacency|session)\\b"
     "(?:[^\\n]{0,200}?\\bpeer name:\\s*(?<nbrname>[^,\\n]{1,100}),\\s*peer IP:\\s*(?<nbr>[^\\s,\"]{0,63}[^\\s,.\"]))?",
     "routing", "routed-BGP-peer-enter-established", "default",
     "BGP peer session enters established state. peer name: <name>, peer IP: <ip>."},
    /* INFERRED wording */
    {"static-route", IKM_EV_ROUTE_CHANGE, NULL, FAM_ROUTING, F_DESC, 0, DV_NONE, "route|fqdn",
     "\\bstatic[ -]route\\b|\\broute (?:to \\S+ )?(?:added|removed|deleted|withdrawn|changed)\\b|"
     "\\bFQDN\\b[^\\n]{0,200}?\\bchanged\\b",
     "routing", "routed-", "default", "Static route 10.1.0.0/16 removed from the route table"},
    /* VERIFIED ids (DOC-SEV-MED: routed-BGP-refresh-sent, routed-static-fqdn-changed, ...) */
    {"routed-evid", IKM_EV_ROUTE_CHANGE, NULL, FAM_ROUTING, F_EVID, 0, DV_NONE, "routed|bgp|ospf|rip",
     "^(?:routed-(?!config-p[12]-)(?:(?<proto>BGP|OSPFv3|OSPF|RIP|static)\\b)?|(?<what>bgp|ospf|rip)\\b)",
     "routing", "routed-BGP-refresh-sent", "default", ""},

    /* -- interfaces ------------------------------------------------------------------------- */
    /* INFERRED ids (formats.md §2.3: port-up, port-down, link-change) */
    {"link-evid", IKM_EV_COUNT, NULL, FAM_PORT, F_EVID, 0, DV_LINK, "port|link|interface",
     "^(?:port|link|interface|if)-(?:state-)?(?<state>up|down)\\b|^link-change\\b", "port", "link-change",
     "ethernet1/1", "Port ethernet1/1: Down"},
    /* INFERRED wording */
    {"link-desc", IKM_EV_COUNT, NULL, FAM_PORT, F_DESC, 0, DV_LINK, "up|down",
     "\\b(?:Port|Interface|Link)\\s+(?<iface>[A-Za-z][\\w./-]{0,40}?)\\s*:?\\s+"
     "(?:(?:is|went|changed to|status|state|link)\\s+)*(?<state>up|down)\\b",
     "port", "general", NULL, "Interface ethernet1/3 link down"},

    /* -- high availability ------------------------------------------------------------------ */
    /* INFERRED wording: every ha entry is an ha-state row; from/to when the text says them */
    {"ha-state", IKM_EV_HA_STATE, NULL, FAM_HA, F_DESC, 0, DV_NONE, NULL,
     "^(?:[^\\n]{0,200}?\\b(?:moved|transitioned|changed|transition(?:ing)?)\\s+(?:from\\s+(?:state\\s+)?"
     "(?<from>[\\w-]{1,40})\\s+)?to\\s+(?:state\\s+)?(?<to>[\\w-]{1,40}))?",
     "ha", "state-change", NULL, "HA Group 1: Moved from state Passive to state Active"},

    /* -- daemons, any family ---------------------------------------------------------------- */
    /* INFERRED ids */
    {"restart-evid", IKM_EV_DAEMON_RESTART, NULL, FAM_ANY, F_EVID, 0, DV_NONE, "restart|crash|core",
     "^(?:(?<daemon>[a-z_]+)-)?(?:restart|process-restart|crash|core-dump)\\b", "general", "ikemgr-restart",
     NULL, ""},
    /* INFERRED wording */
    {"restart-desc", IKM_EV_DAEMON_RESTART, NULL, FAM_ANY, F_DESC, 0, DV_NONE,
     "restart|crash|exit|kill|core|terminat",
     "\\b(?<daemon>ikemgr|keymgr|routed|mprelay|configd|devsrvr|useridd|sslmgr|authd|logrcvr|mgmtsrvr|"
     "pan_comm|varrcvr|sysd|ha_agent|satd|rasmgr|dnsproxyd|[\\w-]{1,40} (?:daemon|process))\\b[^\\n]{0,60}?"
     "\\b(?:re-?start(?:ed|ing)?|crash(?:ed)?|exit(?:ed)?|killed|core[ -]?dump(?:ed)?|terminated)\\b",
     "general", "general", NULL, "The ikemgr process was restarted"},
};
#define RULE_N (sizeof rules / sizeof rules[0])

/* Capture names the rules use; each is stored as the attribute in cap_attr. */
enum cap {
    CAP_GATEWAY, CAP_TUNNEL, CAP_PEER, CAP_LOCAL, CAP_LPORT, CAP_RPORT, CAP_ROLE, CAP_MODE,
    CAP_ISPI, CAP_RSPI, CAP_SA, CAP_PHASE, CAP_RESULT, CAP_STATE, CAP_CAUSE, CAP_DIR, CAP_IFACE,
    CAP_DAEMON, CAP_FROM, CAP_TO, CAP_NBR, CAP_NBRNAME, CAP_PROTO, CAP_IDTYPE, CAP_ID, CAP_WHAT,
    CAP_VALUE, CAP_COUNT
};
static const char *const cap_names[CAP_COUNT] = {
    "gateway", "tunnel", "peer", "local", "lport", "rport", "role", "mode",
    "ispi", "rspi", "sa", "phase", "result", "state", "cause", "dir", "iface",
    "daemon", "from", "to", "nbr", "nbrname", "proto", "idtype", "id", "what",
    "value",
};

/* Attribute priorities: when more than IKM_ATTRS_MAX are found, the highest number goes
 * first. severity_raw is last to go since the event's level_raw keeps the same text. */
enum { P_KEY = 0, P_MAIN = 1, P_CTX = 2, P_AUX = 3, P_DUP = 4 };

static const struct {
    const char *key;
    int is_number;
    int prio;
} cap_attr[CAP_COUNT] = {
    [CAP_LOCAL] = {"local", 0, P_MAIN},       [CAP_LPORT] = {"local_port", 1, P_AUX},
    [CAP_RPORT] = {"peer_port", 1, P_MAIN},   [CAP_ROLE] = {"role", 0, P_MAIN},
    [CAP_MODE] = {"mode", 0, P_CTX},          [CAP_ISPI] = {"spi_i", 0, P_MAIN},
    [CAP_RSPI] = {"spi_r", 0, P_MAIN},        [CAP_CAUSE] = {"cause", 0, P_AUX},
    [CAP_IFACE] = {"interface", 0, P_MAIN},   [CAP_DAEMON] = {"daemon", 0, P_MAIN},
    [CAP_FROM] = {"from_state", 0, P_MAIN},   [CAP_TO] = {"to_state", 0, P_MAIN},
    [CAP_NBR] = {"neighbor", 0, P_MAIN},      [CAP_NBRNAME] = {"neighbor_name", 0, P_CTX},
    [CAP_PROTO] = {"protocol", 0, P_CTX},     [CAP_IDTYPE] = {"id_type", 0, P_AUX},
    [CAP_ID] = {"id", 0, P_CTX},              [CAP_WHAT] = {"what", 0, P_CTX},
    [CAP_VALUE] = {"value", 0, P_CTX},
};

/* ---- compiled once per process --------------------------------------------------------------- */

/* A bound on the work one match may do: every pattern is linear on real text, and a hostile
 * 1 MiB description must not make one line cost seconds (a hit counts as no match). */
#define MATCH_LIMIT 200000

static struct {
    pcre2_match_context *mctx;
    pcre2_code *re[RULE_N];
    struct tokset tok[RULE_N];
    int group[RULE_N][CAP_COUNT];
    uint32_t max_groups;
    int ok;
} G;
static once_flag g_once = ONCE_FLAG_INIT;

static void split_tokens(const char *tokens, struct tokset *ts)
{
    memset(ts, 0, sizeof *ts);
    if (!tokens)
        return;
    if (tokens[0] == '^') {
        ts->prefix = 1;
        tokens++;
    }
    for (const char *t = tokens; ts->n < TOKENS_MAX;) {
        const char *bar = strchr(t, '|');
        ts->t[ts->n] = t;
        ts->len[ts->n] = bar ? (size_t)(bar - t) : strlen(t);
        ts->n++;
        if (!bar)
            break;
        t = bar + 1;
    }
}

static void compile_rules(void)
{
    G.mctx = pcre2_match_context_create(NULL);
    if (!G.mctx)
        return;
    pcre2_set_match_limit(G.mctx, MATCH_LIMIT);
    for (size_t i = 0; i < RULE_N; i++) {
        split_tokens(rules[i].tokens, &G.tok[i]);
        int ec;
        PCRE2_SIZE off;
        G.re[i] = pcre2_compile((PCRE2_SPTR)rules[i].pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &ec, &off,
                                NULL);
        if (!G.re[i]) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ec, msg, sizeof msg);
            fprintf(stderr, "panlog_classify: rule %s: pattern error at offset %zu: %s\n", rules[i].name,
                    (size_t)off, (const char *)msg);
            return;
        }
        /* JIT is an optimisation: the interpreter gives the same answers when it is missing */
        (void)pcre2_jit_compile(G.re[i], PCRE2_JIT_COMPLETE);
        uint32_t n = 0;
        pcre2_pattern_info(G.re[i], PCRE2_INFO_CAPTURECOUNT, &n);
        if (n + 1 > G.max_groups)
            G.max_groups = n + 1;
        for (int c = 0; c < CAP_COUNT; c++) {
            int g = pcre2_substring_number_from_name(G.re[i], (PCRE2_SPTR)cap_names[c]);
            G.group[i][c] = g > 0 ? g : -1;
        }
    }
    G.ok = 1;
}

struct panlog_cls {
    pcre2_match_data *md, *md2;
};

struct panlog_cls *panlog_cls_new(void)
{
    call_once(&g_once, compile_rules);
    if (!G.ok)
        return NULL;
    struct panlog_cls *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->md = pcre2_match_data_create(G.max_groups, NULL);
    c->md2 = pcre2_match_data_create(G.max_groups, NULL);
    if (!c->md || !c->md2) {
        panlog_cls_free(c);
        return NULL;
    }
    return c;
}

void panlog_cls_free(struct panlog_cls *c)
{
    if (!c)
        return;
    pcre2_match_data_free(c->md);
    pcre2_match_data_free(c->md2);
    free(c);
}

size_t panlog_rule_count(void)
{
    return RULE_N;
}

const char *panlog_rule_name(size_t i)
{
    return i < RULE_N ? rules[i].name : NULL;
}

static struct ikm_str cstr(const char *s)
{
    return s ? ikm_str_of(s, strlen(s)) : ikm_str_none();
}

void panlog_rule_sample(size_t i, struct panlog_entry *out)
{
    memset(out, 0, sizeof *out);
    if (i >= RULE_N)
        return;
    out->subtype = cstr(rules[i].s_subtype);
    out->event_id = cstr(rules[i].s_evid);
    out->object = cstr(rules[i].s_object);
    out->severity = cstr("informational");
    out->description = cstr(rules[i].s_desc);
}

/* ---- small lexical helpers -------------------------------------------------------------------- */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

static int str_ieq_n(struct ikm_str s, const char *lit, size_t l)
{
    return s.ptr && s.len == l && ieq_n(s.ptr, lit, l);
}

static int str_iprefix_n(struct ikm_str s, const char *lit, size_t l)
{
    return s.ptr && s.len >= l && ieq_n(s.ptr, lit, l);
}

/* for string literals: the length is known at compile time */
#define str_ieq(s, lit) str_ieq_n((s), (lit), sizeof(lit) - 1)
#define str_iprefix(s, lit) str_iprefix_n((s), (lit), sizeof(lit) - 1)

/* Case-insensitive search of tok[0..tl) in h[0..n): memchr finds the candidates for the
 * first character in either case (this is the classifier's hottest loop). */
static const char *ci_find(const char *h, size_t n, const char *tok, size_t tl)
{
    if (tl == 0)
        return h;
    if (n < tl)
        return NULL;
    char a = lower(tok[0]), b = (a >= 'a' && a <= 'z') ? (char)(a - 'a' + 'A') : a;
    size_t span = n - tl + 1; /* positions where a match may start */
    const char *pa = memchr(h, a, span), *pb = b != a ? memchr(h, b, span) : NULL;
    while (pa || pb) {
        const char *p = !pb || (pa && pa < pb) ? pa : pb;
        if (ieq_n(p + 1, tok + 1, tl - 1))
            return p;
        size_t next = (size_t)(p - h) + 1;
        if (p == pa)
            pa = next < span ? memchr(h + next, a, span - next) : NULL;
        else
            pb = next < span ? memchr(h + next, b, span - next) : NULL;
    }
    return NULL;
}

/* Whether one of the tokens occurs in s. */
static int tokens_present(struct ikm_str s, const struct tokset *ts)
{
    if (ts->n == 0)
        return 1;
    for (size_t k = 0; k < ts->n; k++) {
        if (ts->prefix ? (s.len >= ts->len[k] && ieq_n(s.ptr, ts->t[k], ts->len[k]))
                       : ci_find(s.ptr, s.len, ts->t[k], ts->len[k]) != NULL)
            return 1;
    }
    return 0;
}

static int all_zero_hex(struct ikm_str s)
{
    if (!s.ptr || s.len == 0)
        return 0;
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] != '0')
            return 0;
    return 1;
}

static int port_is_ike(struct ikm_str s)
{
    return (s.len == 3 && memcmp(s.ptr, "500", 3) == 0) || (s.len == 4 && memcmp(s.ptr, "4500", 4) == 0);
}

/* "SPI:0xA1CD910F" (or "SPI: a1cd910f") in s: the hex value as written, with its 0x. */
static struct ikm_str find_spi(struct ikm_str s)
{
    const char *p = s.ptr ? ci_find(s.ptr, s.len, "SPI:", 4) : NULL;
    if (!p)
        return ikm_str_none();
    const char *end = s.ptr + s.len;
    p += 4;
    while (p < end && *p == ' ')
        p++;
    const char *v = p;
    if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    const char *h = p;
    while (p < end && ((*p >= '0' && *p <= '9') || (lower(*p) >= 'a' && lower(*p) <= 'f')))
        p++;
    if (p == h)
        return ikm_str_none();
    return ikm_str_of(v, (size_t)(p - v));
}

/* The first word "up" or "down" (any case) in s: 1 up, 0 down, -1 none. */
static int find_updown(struct ikm_str s)
{
    if (!s.ptr)
        return -1;
    for (size_t i = 0; i < s.len; i++) {
        int word_start = i == 0 || !((s.ptr[i - 1] >= 'a' && s.ptr[i - 1] <= 'z') ||
                                     (s.ptr[i - 1] >= 'A' && s.ptr[i - 1] <= 'Z'));
        if (!word_start)
            continue;
        size_t rest = s.len - i;
        int r = -1;
        size_t wl = 0;
        if (rest >= 2 && ieq_n(s.ptr + i, "up", 2))
            r = 1, wl = 2;
        else if (rest >= 4 && ieq_n(s.ptr + i, "down", 4))
            r = 0, wl = 4;
        if (r >= 0) {
            char nx = i + wl < s.len ? lower(s.ptr[i + wl]) : ' ';
            if (!(nx >= 'a' && nx <= 'z'))
                return r;
        }
    }
    return -1;
}

static unsigned family_of(const struct panlog_entry *e)
{
    unsigned f = FAM_ANY;
    struct ikm_str st = e->subtype, id = e->event_id;
    if (str_ieq(st, "vpn") || str_iprefix(id, "ike") || str_iprefix(id, "ipsec") || str_iprefix(id, "tunnel") ||
        str_iprefix(id, "keymgr"))
        f |= FAM_VPN;
    if (str_ieq(st, "routing") || str_iprefix(id, "routed") || str_iprefix(id, "bgp") || str_iprefix(id, "ospf") ||
        str_iprefix(id, "rip-") || str_iprefix(id, "path-mon") || str_iprefix(id, "pathmon"))
        f |= FAM_ROUTING;
    if (str_ieq(st, "port") || str_iprefix(id, "port-") || str_iprefix(id, "link-") ||
        str_iprefix(id, "interface-"))
        f |= FAM_PORT;
    if (str_ieq(st, "ha") || str_iprefix(id, "ha-") || str_iprefix(id, "ha_"))
        f |= FAM_HA;
    return f;
}

enum ikm_level panlog_level_of(struct ikm_str s)
{
    if (!s.ptr || s.len == 0)
        return IKM_LVL_NONE;
    if (str_ieq(s, "informational") || str_ieq(s, "info"))
        return IKM_LVL_INFO;
    if (str_ieq(s, "low"))
        return IKM_LVL_NOTICE;
    if (str_ieq(s, "medium"))
        return IKM_LVL_WARNING;
    if (str_ieq(s, "high"))
        return IKM_LVL_ERROR;
    if (str_ieq(s, "critical"))
        return IKM_LVL_CRITICAL;
    return IKM_LVL_OTHER;
}

/* ---- attributes, staged then trimmed to IKM_ATTRS_MAX ----------------------------------------- */

#define STAGE_MAX 32
struct stage {
    struct {
        const char *key;
        struct ikm_str v;
        int num, prio;
    } a[STAGE_MAX];
    size_t n;
};

static void stage_add(struct stage *s, const char *key, struct ikm_str v, int num, int prio)
{
    if (!v.ptr || s->n >= STAGE_MAX)
        return; /* keys are distinct by construction: no duplicate check */
    s->a[s->n].key = key;
    s->a[s->n].v = v;
    s->a[s->n].num = num;
    s->a[s->n].prio = prio;
    s->n++;
}

static void stage_commit(struct stage *s, struct ikm_event *ev)
{
    while (s->n > IKM_ATTRS_MAX) {
        size_t drop = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->a[i].prio >= s->a[drop].prio)
                drop = i;
        memmove(&s->a[drop], &s->a[drop + 1], (s->n - drop - 1) * sizeof s->a[0]);
        s->n--;
    }
    for (size_t i = 0; i < s->n; i++)
        ikm_event_add_attr(ev, s->a[i].key, s->a[i].v, s->a[i].num);
}

/* ---- classification ------------------------------------------------------------------------- */

static struct ikm_str cap_str(pcre2_match_data *md, int group, struct ikm_str subj)
{
    if (group < 0)
        return ikm_str_none();
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if ((uint32_t)group >= pcre2_get_ovector_count(md) || ov[2 * group] == PCRE2_UNSET)
        return ikm_str_none();
    if (ov[2 * group + 1] == ov[2 * group])
        return ikm_str_none();
    return ikm_str_of(subj.ptr + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
}

static int rule_matches(size_t i, struct ikm_str subj, pcre2_match_data *md)
{
    if (!tokens_present(subj, &G.tok[i]))
        return 0;
    return pcre2_match(G.re[i], (PCRE2_SPTR)subj.ptr, subj.len, 0, 0, md, G.mctx) >= 0;
}

/* Captures of rule i into caps (fill_only keeps what is set). */
static void take_caps(size_t i, pcre2_match_data *md, struct ikm_str subj, struct ikm_str *caps, int fill_only)
{
    for (int c = 0; c < CAP_COUNT; c++) {
        if (fill_only && caps[c].ptr)
            continue;
        struct ikm_str v = cap_str(md, G.group[i][c], subj);
        if (v.ptr)
            caps[c] = v;
    }
}

static enum ikm_event_kind nego_kind(const struct ikm_str *caps)
{
    int phase2 = str_ieq(caps[CAP_SA], "child") || (caps[CAP_PHASE].ptr && caps[CAP_PHASE].ptr[0] == '2');
    struct ikm_str r = caps[CAP_RESULT];
    if (str_iprefix(r, "start"))
        return phase2 ? IKM_EV_P2_START : IKM_EV_P1_START;
    if (str_iprefix(r, "succ"))
        return phase2 ? IKM_EV_P2_UP : IKM_EV_P1_UP;
    return phase2 ? IKM_EV_P2_FAIL : IKM_EV_P1_FAIL;
}

/* ikev2-nego-<what>-mismatch: which reason <what> names. */
static const char *mismatch_reason(struct ikm_str what)
{
    static const struct {
        const char *tok, *reason;
    } map[] = {
        {"auth", "auth"}, {"psk", "auth"}, {"cert", "auth"}, {"id", "peer-id"}, {"ts", "selectors"},
        {"proxy", "selectors"}, {"selector", "selectors"}, {"pfs", "pfs"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (str_iprefix_n(what, map[i].tok, strlen(map[i].tok)))
            return map[i].reason;
    return "proposal"; /* enc, integ, prf, dh, lifetime: crypto proposals */
}

static int is_fail_kind(enum ikm_event_kind k)
{
    return k == IKM_EV_P1_FAIL || k == IKM_EV_P2_FAIL || k == IKM_EV_NOTIFY_ERROR || k == IKM_EV_IKE_SA_DOWN;
}

/* The "[GW]: " prefix of a description (PT-LAB): the gateway's full name. */
static struct ikm_str split_gw_prefix(struct ikm_str *desc)
{
    struct ikm_str d = *desc;
    if (!d.ptr || d.len < 4 || d.ptr[0] != '[')
        return ikm_str_none();
    size_t lim = d.len < 130 ? d.len : 130;
    const char *close = memchr(d.ptr, ']', lim);
    if (!close || close == d.ptr + 1)
        return ikm_str_none();
    size_t ci = (size_t)(close - d.ptr);
    if (ci + 1 >= d.len || d.ptr[ci + 1] != ':')
        return ikm_str_none();
    for (size_t i = 1; i < ci; i++)
        if (d.ptr[i] == ' ' || d.ptr[i] == '[')
            return ikm_str_none(); /* "[type ipaddr ...]"-like text, not a name */
    size_t rest = ci + 2;
    while (rest < d.len && d.ptr[rest] == ' ')
        rest++;
    desc->ptr = d.ptr + rest;
    desc->len = d.len - rest;
    return ikm_str_of(d.ptr + 1, ci - 1);
}

int panlog_classify(struct panlog_cls *c, const struct panlog_entry *e, struct ikm_event *ev)
{
    static const char one[] = "1";
    ev->kind = IKM_EV_OTHER;
    ev->level = panlog_level_of(e->severity);
    ev->level_raw = e->severity.ptr && e->severity.len ? e->severity : ikm_str_none();
    struct ikm_str desc = e->description.ptr ? e->description : ikm_str_of("", 0);
    struct ikm_str evid = e->event_id.ptr ? e->event_id : ikm_str_of("", 0);
    struct ikm_str gw_prefix = split_gw_prefix(&desc);
    unsigned fam = family_of(e);

    int chosen = -1;
    for (size_t i = 0; i < RULE_N && chosen < 0; i++) {
        if (!(rules[i].fam & fam))
            continue;
        struct ikm_str subj = rules[i].field == F_EVID ? evid : desc;
        if (subj.len == 0 && rules[i].tokens)
            continue;
        if (rule_matches(i, subj, c->md))
            chosen = (int)i;
    }

    struct ikm_str caps[CAP_COUNT];
    memset(caps, 0, sizeof caps);
    const char *reason = NULL, *signature = NULL;
    struct ikm_str spi = ikm_str_none(), dir = ikm_str_none(), phase_attr = ikm_str_none();
    struct ikm_str state_attr = ikm_str_none(), result_attr = ikm_str_none();
    int object_is_tunnel = 0;
    if (chosen >= 0) {
        const struct rule *r = &rules[chosen];
        struct ikm_str subj = r->field == F_EVID ? evid : desc;
        take_caps((size_t)chosen, c->md, subj, caps, 0);
        ev->kind = r->kind;
        reason = r->reason;
        object_is_tunnel = (r->flags & RF_TUNNEL) != 0;
        switch (r->derive) {
        case DV_NEGO:
            ev->kind = nego_kind(caps);
            break;
        case DV_TUNNEL:
        case DV_LINK: {
            int up = caps[CAP_STATE].ptr ? (lower(caps[CAP_STATE].ptr[0]) == 'u') : find_updown(desc);
            if (up < 0)
                ev->kind = IKM_EV_OTHER; /* a link-change that does not say which way */
            else if (r->derive == DV_TUNNEL)
                ev->kind = up ? IKM_EV_TUNNEL_UP : IKM_EV_TUNNEL_DOWN;
            else
                ev->kind = up ? IKM_EV_LINK_UP : IKM_EV_LINK_DOWN;
            break;
        }
        case DV_DELETE: {
            dir = caps[CAP_DIR];
            if (!dir.ptr && ci_find(evid.ptr, evid.len, "-send-", 6))
                dir = ikm_str_of("sent", 4);
            else if (!dir.ptr && ci_find(evid.ptr, evid.len, "-recv-", 6))
                dir = ikm_str_of("received", 8);
            else if (str_ieq(dir, "send"))
                dir = ikm_str_of("sent", 4);
            else if (str_ieq(dir, "recv"))
                dir = ikm_str_of("received", 8);
            reason = dir.ptr && lower(dir.ptr[0]) == 'r' ? "peer-delete" : "delete";
            int phase = 0;
            if (caps[CAP_PHASE].ptr)
                phase = caps[CAP_PHASE].ptr[0] - '0';
            else if (ci_find(evid.ptr, evid.len, "-p2-", 4) || ci_find(desc.ptr, desc.len, "IPsec SA", 8) ||
                     ci_find(desc.ptr, desc.len, "child SA", 8))
                phase = 2;
            else if (ci_find(evid.ptr, evid.len, "-p1-", 4) || ci_find(desc.ptr, desc.len, "IKE SA", 6) ||
                     ci_find(desc.ptr, desc.len, "ISAKMP", 6))
                phase = 1;
            if (phase == 1 || phase == 2)
                phase_attr = ikm_str_of(phase == 1 ? "1" : "2", 1);
            object_is_tunnel = phase == 2;
            spi = find_spi(desc);
            break;
        }
        case DV_CFGLOAD:
            signature = caps[CAP_PHASE].ptr && caps[CAP_PHASE].ptr[0] == '2' ? "config-load-p2" : "config-load-p1";
            phase_attr = caps[CAP_PHASE];
            result_attr = caps[CAP_RESULT];
            break;
        case DV_MISMATCH:
            reason = mismatch_reason(caps[CAP_WHAT]);
            break;
        case DV_NONE:
            state_attr = caps[CAP_STATE];
            break;
        }
        if (ev->kind == IKM_EV_CONFIG_COMMIT)
            signature = "config-installed";
        /* a failure without its own reason takes one from the reason rules */
        if (!reason && is_fail_kind(ev->kind) && (fam & FAM_VPN)) {
            for (size_t i = 0; i < RULE_N; i++) {
                if (!(rules[i].flags & RF_REASON) || (int)i == chosen || rules[i].field != F_DESC)
                    continue;
                if (rule_matches(i, desc, c->md2)) {
                    reason = rules[i].reason;
                    take_caps(i, c->md2, desc, caps, 1);
                    break;
                }
            }
        }
        if (ev->kind == IKM_EV_P2_START || ev->kind == IKM_EV_P2_UP || ev->kind == IKM_EV_P2_FAIL)
            object_is_tunnel = 1;
    }

    /* names: the description's "[GW]:" prefix is the gateway's full name; the object is the
     * gateway of IKE SA events and the tunnel of IPsec SA / tunnel events (formats.md §2.3:
     * ike-send-p2-delete names the tunnel) */
    ev->gateway = caps[CAP_GATEWAY].ptr ? caps[CAP_GATEWAY] : gw_prefix;
    ev->tunnel = caps[CAP_TUNNEL];
    ev->peer_ip = caps[CAP_PEER];
    struct ikm_str object = e->object.ptr && e->object.len ? e->object : ikm_str_none();
    struct stage st = {.n = 0};
    int link = ev->kind == IKM_EV_LINK_UP || ev->kind == IKM_EV_LINK_DOWN;
    struct ikm_str object_attr = ikm_str_none();
    if (object.ptr) {
        if (fam & FAM_VPN) {
            if (object_is_tunnel) {
                if (!ev->tunnel.ptr)
                    ev->tunnel = object;
            } else if (!ev->gateway.ptr) {
                ev->gateway = object;
            }
        } else if (link && !caps[CAP_IFACE].ptr) {
            caps[CAP_IFACE] = object;
        } else {
            object_attr = object; /* a virtual router, an HA group, ...: kept, not a name */
        }
    }

    stage_add(&st, "event_id", e->event_id.ptr && e->event_id.len ? e->event_id : ikm_str_none(), 0, P_KEY);
    if (reason)
        stage_add(&st, "reason", cstr(reason), 0, P_KEY);
    if (signature)
        stage_add(&st, "signature", cstr(signature), 0, P_KEY);
    if (e->truncated)
        stage_add(&st, "truncated", ikm_str_of(one, 1), 1, P_KEY);
    stage_add(&st, "spi", spi, 0, P_MAIN);
    stage_add(&st, "direction", dir, 0, P_MAIN);
    stage_add(&st, "phase", phase_attr, 1, P_MAIN);
    stage_add(&st, "result", result_attr, 0, P_MAIN);
    stage_add(&st, "state", state_attr, 0, P_MAIN);
    stage_add(&st, "object", object_attr, 0, P_CTX);
    for (int k = 0; k < CAP_COUNT; k++)
        if (cap_attr[k].key)
            stage_add(&st, cap_attr[k].key, caps[k], cap_attr[k].is_number, cap_attr[k].prio);
    if (all_zero_hex(caps[CAP_RSPI]))
        stage_add(&st, "no_response", ikm_str_of(one, 1), 1, P_MAIN); /* the peer never answered */
    if (caps[CAP_RPORT].ptr && !port_is_ike(caps[CAP_RPORT]))
        stage_add(&st, "nat", ikm_str_of(one, 1), 1, P_MAIN); /* a translated source port */
    stage_add(&st, "subtype", e->subtype.ptr && e->subtype.len ? e->subtype : ikm_str_none(), 0, P_CTX);
    stage_add(&st, "severity_raw", ev->level_raw, 0, P_DUP);
    stage_commit(&st, ev);
    return chosen;
}

/* ---- timestamps ------------------------------------------------------------------------------ */

const char *panlog_ts_reason(const char *why)
{
    /* timefmt's reasons are static, "invalid timestamp: month out of range" */
    return why && strncmp(why, "invalid timestamp", 17) == 0 ? why : "invalid timestamp";
}
