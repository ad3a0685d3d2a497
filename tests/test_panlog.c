/*
 * test_panlog.c — the PAN-OS system-log and config-log readers (parsers/panlog_*.c) on the
 * verbatim lines of ../shared/formats.md §2–§3 and the seed article's `show log system`
 * lines, every classifier rule's sample, CSV edge cases, mixed-type accounting, both
 * config-log layouts, CLI framing and continuation lines, and hostile input. Expected times
 * were computed independently (Python datetime) from the lines' own text.
 */
#include "../analyzer/tz.h"
#include "../parsers/panlog_classify.h"
#include "../parsers/panlog_cli.h"
#include "../parsers/panlog_csv.h"
#include "memsink.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(text) (text), (sizeof(text) - 1)

static int parse_cli(struct memsink *ms, const char *text, size_t len, size_t chunk)
{
    struct ms_str_stream ss;
    struct ikm_stream st = ms_stream(&ss, text, len, chunk);
    struct ikm_sink sink = memsink_sink(ms);
    int r = panlog_cli_parse_stream(st, &sink, &ms->st);
    ms_check_accounting(ms);
    return r;
}

static int parse_csv(struct memsink *ms, const char *text, size_t len, size_t chunk)
{
    struct ms_str_stream ss;
    struct ikm_stream st = ms_stream(&ss, text, len, chunk);
    struct ikm_sink sink = memsink_sink(ms);
    int r = panlog_csv_parse_stream(st, &sink, &ms->st);
    ms_check_accounting(ms);
    return r;
}

/* attr key of e equals want (NULL: absent) */
static void attr_eq(const struct ms_event *e, const char *key, const char *want)
{
    const char *got = ms_attr(e, key);
    if (!want)
        ck_assert_msg(got == NULL, "attr %s: expected absent, got %s", key, got);
    else
        ck_assert_msg(got && strcmp(got, want) == 0, "attr %s: expected %s, got %s", key, want, got ? got : "(absent)");
}

static void str_eq_or_null(const char *got, const char *want, const char *what)
{
    if (!want)
        ck_assert_msg(got == NULL, "%s: expected absent, got %s", what, got);
    else
        ck_assert_msg(got && strcmp(got, want) == 0, "%s: expected %s, got %s", what, want, got ? got : "(absent)");
}

/* ---- verbatim inputs --------------------------------------------------------------------- */

/* formats.md §2.1 (KB-IKEV2-DPD, the seed's lines with the CLI's padding) */
static const char seed_cli[] =
    "> show log system direction equal backward\n"
    "2019/03/06 18:24:04 low      vpn     seapa- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"
    "2019/03/06 17:26:27 low      vpn     seapa- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n";

/* the same lines as the seed article renders them: padding collapsed to single spaces */
static const char seed_cli_collapsed[] =
    "2019/03/06 18:24:04 low vpn seapa- ikev2-n 0 IKEv2 IKE SA is down determined by DPD.\n"
    "2019/03/06 17:26:27 low vpn seapa- ikev2-n 0 IKEv2 IKE SA is down determined by DPD.\n";

/* one of them alone */
static const char seed_cli_line[] =
    "2019/03/06 18:24:04 low      vpn     seapa- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n";

/* formats.md §2.2 */
static const char elastic_sys[] =
    "1,2021/10/26 15:05:03,,SYSTEM,general,2561,2021/10/26 15:05:03,,general,,0,0,general,informational,\"Connection "
    "to Update server closed: updates.paloaltonetworks.com, source: 81.2.69.193\",1234567890,0x0,0,0,0,0,,PA-VM,0,0,"
    "2021-10-26T15:05:03.440-07:00\n";
static const char hs_syslog[] =
    "<14>Nov  9 19:53:08 NY-DC-FW-2.example.com 1,2019/10/06 15:46:26,009732949126,SYSTEM,vpn,0,2019/10/19 "
    "15:39:29,,ike-send-p2-delete,To-FOO-BAR-NET,0,0,general,informational,\"IKE protocol IPSec SA delete message sent "
    "to peer. SPI:0xA1CD910F.\",18249042,0x8000000000000000,0,0,0,0,,NY-DC-FW-2\n";
static const char beats_other_sys[] =
    "Mar 25 23:59:02 1,2013/03/25 23:59:02,1606001116,SYSTEM,vpn,0,2012/02/25 00:53:56,,ike-config-p1-success,,0,0,"
    "general,informational,IKE daemon configuration load phase-1 succeeded.,0,0x0\n";
static const char axo[] =
    "<12>Apr 14 16:48:54 paloalto.test.net 1,2020/04/14 16:48:54,unknown,SYSTEM,auth,0,2020/04/14 16:48:54,,auth-fail,"
    ",0,0,general,medium,failed authentication for user 'admin'. Reason: Invalid username/password. From: "
    "10.0.10.55.,1718,0x0,0,0,0,0,,paloalto\n";
static const char beats_ietf[] =
    "535 <14>1 2020-03-27T09:57:41+01:00 PA-VM - - - - 1,2020/03/27 09:57:41,015351000043722,TRAFFIC,end,...\n";

/* formats.md §3.2 */
static const char beats_cfg_commit[] =
    "Mar 25 23:59:02 1,2013/03/25 23:59:02,1606001116,CONFIG,0,0,2012/02/25 00:53:40,192.168.0.2,,commit,admin,Web,"
    "Submitted,,0,0x0\n";
static const char beats_cfg_set[] =
    "Mar 25 23:58:57 1,2013/03/25 23:58:57,1606001116,CONFIG,0,0,2012/02/25 00:51:50,192.168.0.2,,set,admin,Web,"
    "Succeeded, config shared local-user-database user  badguy,0,0x0\n";
static const char elastic_cfg_set[] =
    "1,2023/10/04 08:52:10,007058000248010,CONFIG,0,2816,2023/10/04 08:52:10,81.2.69.193,,set,admin,Web,Succeeded, "
    "vsys  vsys1 rulebase security rules  reset-adult,7286123782408765488,0x0,0,0,0,0,,PA-VM,0,,0,"
    "2023-10-04T08:52:10.421+01:00,,\"reset-adult 73a06abf-... { to [ public ]; from [ private ]; ... }\"\n";
static const char elastic_cfg_override[] =
    "1,2023/10/04 08:27:38,007058000248010,CONFIG,0,2816,2023/10/04 08:27:38,81.2.69.193,,override,admin,Web,Failed, "
    "deviceconfig system device-telemetry,7286123782408765440,0x0,0,0,0,0,,PA-VM,0,,0,2023-10-04T08:27:38.421+01:00\n";
static const char elastic_cfg_edit[] =
    "1,2024/02/29 16:59:40,01234567890,CONFIG,0,2561,2024/02/29 16:59:40,81.2.69.193,,edit,admin,Web,Succeeded, vsys  "
    "vsys1 address  test123,7304387121517691189,0x0,0,0,0,0,,PA-VM,0,,0,2024-02-29T16:59:40.421+01:00,\"test123  { "
    "description \"\"this, is a test. with, three comma, x4\"\"; } \",\"test123  { description \"\"this, is a test. "
    "with, three comma, x5\"\"; } \"\n";

/* ---- the classifier ---------------------------------------------------------------------- */

START_TEST(rule_samples)
{
    struct panlog_cls *c = panlog_cls_new();
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_ge(panlog_rule_count(), 25);
    for (size_t i = 0; i < panlog_rule_count(); i++) {
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(panlog_rule_name(i), panlog_rule_name(j));
        struct panlog_entry e;
        panlog_rule_sample(i, &e);
        struct ikm_event ev;
        memset(&ev, 0, sizeof ev);
        int got = panlog_classify(c, &e, &ev);
        ck_assert_msg(got == (int)i, "sample of %s decided by %s", panlog_rule_name(i),
                      got < 0 ? "nothing" : panlog_rule_name((size_t)got));
        ck_assert_uint_le(ev.n_attrs, IKM_ATTRS_MAX);
    }
    struct panlog_entry e = {.subtype = {"general", 7}, .event_id = {"general", 7},
                             .description = {"totally unrelated text", 22}};
    struct ikm_event ev;
    memset(&ev, 0, sizeof ev);
    ck_assert_int_eq(panlog_classify(c, &e, &ev), -1);
    ck_assert_int_eq(ev.kind, IKM_EV_OTHER);
    panlog_cls_free(c);
}
END_TEST

/* formats.md §2.3: the event ids and descriptions, through the CSV reader (full event ids). */
START_TEST(section_2_3_table)
{
    static const struct {
        const char *subtype, *evid, *object, *desc;
        enum ikm_event_kind kind;
        const char *reason;
    } cases[] = {
        {"vpn", "ike-send-p2-delete", "To-FOO-BAR-NET", "IKE protocol IPSec SA delete message sent to peer. SPI:0xA1CD910F.",
         IKM_EV_DELETE, "delete"},
        {"vpn", "ike-config-p1-success", "", "IKE daemon configuration load phase-1 succeeded.", IKM_EV_OTHER,
         "config-load"},
        {"vpn", "ike-config-p2-success", "", "IKE daemon configuration load phase-2 succeeded.", IKM_EV_OTHER,
         "config-load"},
        {"vpn", "ikev2-nego-ike-dpd", "seapa-gw", "IKEv2 IKE SA is down determined by DPD.", IKM_EV_DPD_DOWN,
         "liveness"},
        {"routing", "routed-config-p1-success", "", "Route daemon configuration load phase-1 succeeded.",
         IKM_EV_OTHER, "config-load"},
        {"routing", "routed-config-p2-success", "", "Route daemon configuration load phase-2 succeeded.",
         IKM_EV_OTHER, "config-load"},
        {"ras", "rasmgr-config-p1-success", "", "RASMGR daemon configuration load phase-1 succeeded.", IKM_EV_OTHER,
         "config-load"},
        {"ras", "rasmgr-config-p2-success", "", "RASMGR daemon configuration load phase-2 succeeded.", IKM_EV_OTHER,
         "config-load"},
        {"general", "unknown", "", "Config installed", IKM_EV_CONFIG_COMMIT, NULL},
        {"general", "general", "", "Log type config cleared by user badguy ", IKM_EV_OTHER, NULL},
        {"routing", "routed-BGP-peer-enter-established", "",
         "BGP peer session enters established state. peer name: <name>, peer IP: <ip>.", IKM_EV_ROUTE_CHANGE, NULL},
        {"routing", "routed-BGP-peer-mp-extension-negotiate", "",
         "BGP peer MP extension negotiation. MP-EXTENSION negotiation to peer name: <name>, peer IP: <ip> successful\"",
         IKM_EV_ROUTE_CHANGE, NULL},
        {"routing", "routed-BGP-refresh-sent", "", "", IKM_EV_ROUTE_CHANGE, NULL},
        {"routing", "routed-BGP-ribout-recalc", "", "", IKM_EV_ROUTE_CHANGE, NULL},
        {"routing", "routed-BGP-ribin-recalc", "", "", IKM_EV_ROUTE_CHANGE, NULL},
        {"routing", "routed-static-fqdn-changed", "", "", IKM_EV_ROUTE_CHANGE, NULL},
        {"port", "invalid-module", "ethernet1/5", "<name>: requires an SFP+ module.", IKM_EV_OTHER, NULL},
        {"vpn", "ikev2-nego-ike-start", "",
         "IKEv2 IKE SA negotiation is started as responder, non-rekey. Initiated SA: 10.0.0.2[500]-10.0.0.1[500] "
         "SPI:07f21c0fd2236540:ac9d9ee491cd49d9.",
         IKM_EV_P1_START, NULL},
        {"vpn", "ikev2-nego-enc-mismatch", "",
         "[IKE-GW-FGT]: Configured encryption algorithm 'AES256-CBC' was not presented in the IKE proposal. Please "
         "ensure that matching proposals are configured on both sides.",
         IKM_EV_NOTIFY_ERROR, "proposal"},
        {"vpn", "ike-generic-event", "", "no proposal chosen.", IKM_EV_NOTIFY_ERROR, "proposal"},
        {"vpn", "", "",
         "IKEv2 IKE SA negotiation is failed as responder, non-rekey. Failed SA: 111.111.111.111[4500]-"
         "176.238.239.255[51435] SPI:0239b91635ed0e98:426762ab448185a9.",
         IKM_EV_P1_FAIL, NULL},
        {"vpn", "", "", "received ID_I (type ipaddr [10.222.191.127]) does not match peers id", IKM_EV_NOTIFY_ERROR,
         "peer-id"},
        {"vpn", "", "",
         "IKE phase-1 negotiation is failed as initiator, main mode. Failed SA: x.x.x.x[500]-y.y.y.y[500] "
         "cookie:84222f276c2fa2e9:0000000000000000 due to timeout.",
         IKM_EV_P1_FAIL, "timeout"},
        {"vpn", "", "",
         "IKE phase 1 negotiation is failed. Couldn\xe2\x80\x99t find configuration for IKE phase-1 request for peer "
         "IP x.x.x.x[1929]",
         IKM_EV_P1_FAIL, "config"},
        {"vpn", "", "", "IKEv2 IKE SA negotiation is succeeded as responder", IKM_EV_P1_UP, NULL},
        {"vpn", "", "", "IKEv2 child SA negotiation is succeeded", IKM_EV_P2_UP, NULL},
        {"vpn", "", "", "retransmission count exceeded the limit", IKM_EV_IKE_SA_DOWN, "timeout"},
        {"vpn", "", "", "Deleting a possible stale IKEv2 child SA", IKM_EV_DELETE, "delete"},
        {"vpn", "", "", "IKEv2 child SA negotiation is failed as initiator, rekey. message lacks KE payload",
         IKM_EV_P2_FAIL, "pfs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the description quoted, its own quotes doubled (CSV) */
        char desc[600];
        size_t o = 0;
        for (const char *q = cases[i].desc; *q && o < sizeof desc - 2; q++) {
            if (*q == '"')
                desc[o++] = '"';
            desc[o++] = *q;
        }
        desc[o] = '\0';
        char line[1024];
        int n = snprintf(line, sizeof line,
                         "1,2024/01/12 22:47:26,016201000000,SYSTEM,%s,0,2024/01/12 22:47:27,,%s,%s,0,0,general,"
                         "informational,\"%s\",5555,0x0,0,0,0,0,,fw-1\n",
                         cases[i].subtype, cases[i].evid, cases[i].object, desc);
        ck_assert_int_lt(n, (int)sizeof line);
        struct memsink ms = {0};
        ck_assert_int_eq(parse_csv(&ms, line, (size_t)n, 0), 0);
        ck_assert_msg(ms.n_ev == 1, "case %zu: %zu events (%s)", i, ms.n_ev, ms.n_un ? ms.un[0].reason : "");
        ck_assert_msg(ms.ev[0].kind == cases[i].kind, "case %zu: kind %s", i, ikm_event_kind_name(ms.ev[0].kind));
        const char *reason = ms_attr(&ms.ev[0], "reason");
        if (cases[i].reason)
            ck_assert_msg(reason && strcmp(reason, cases[i].reason) == 0, "case %zu: reason %s", i,
                          reason ? reason : "(none)");
        else
            ck_assert_msg(reason == NULL, "case %zu: unexpected reason %s", i, reason);
        str_eq_or_null(ms.ev[0].msg, cases[i].desc[0] ? cases[i].desc : NULL, "msg");
        if (cases[i].evid[0])
            attr_eq(&ms.ev[0], "event_id", cases[i].evid);
        memsink_free(&ms);
    }
}
END_TEST

static void classify(const char *subtype, const char *evid, const char *object, const char *desc,
                     struct ikm_event *ev)
{
    static struct panlog_cls *c;
    if (!c)
        c = panlog_cls_new();
    ck_assert_ptr_nonnull(c);
    struct panlog_entry e;
    memset(&e, 0, sizeof e);
    e.subtype = ikm_str_of(subtype, strlen(subtype));
    e.event_id = ikm_str_of(evid, strlen(evid));
    e.object = ikm_str_of(object, strlen(object));
    e.severity = ikm_str_of("informational", 13);
    e.description = ikm_str_of(desc, strlen(desc));
    memset(ev, 0, sizeof *ev);
    panlog_classify(c, &e, ev);
}

static const char *ev_attr(const struct ikm_event *ev, const char *key, char *buf, size_t n)
{
    for (size_t i = 0; i < ev->n_attrs; i++)
        if (strcmp(ev->attrs[i].key, key) == 0) {
            snprintf(buf, n, "%.*s", (int)ev->attrs[i].value.len, ev->attrs[i].value.ptr);
            return buf;
        }
    return NULL;
}

static void ev_attr_eq(const struct ikm_event *ev, const char *key, const char *want)
{
    char b[256];
    str_eq_or_null(ev_attr(ev, key, b, sizeof b), want, key);
}

static void ev_str_eq(struct ikm_str s, const char *want, const char *what)
{
    char b[256];
    snprintf(b, sizeof b, "%.*s", (int)s.len, s.ptr ? s.ptr : "");
    str_eq_or_null(s.ptr ? b : NULL, want, what);
}

START_TEST(negotiation_fields)
{
    struct ikm_event ev;
    classify("vpn", "ikev2-nego-ike-fail", "IKE-GW", "IKEv2 IKE SA negotiation is failed as responder, non-rekey. "
             "Failed SA: 111.111.111.111[4500]-176.238.239.255[51435] SPI:0239b91635ed0e98:426762ab448185a9.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_P1_FAIL);
    ev_str_eq(ev.gateway, "IKE-GW", "gateway");
    ev_str_eq(ev.tunnel, NULL, "tunnel");
    ev_str_eq(ev.peer_ip, "176.238.239.255", "peer");
    ev_attr_eq(&ev, "local", "111.111.111.111");
    ev_attr_eq(&ev, "local_port", "4500");
    ev_attr_eq(&ev, "peer_port", "51435");
    ev_attr_eq(&ev, "spi_i", "0239b91635ed0e98");
    ev_attr_eq(&ev, "spi_r", "426762ab448185a9");
    ev_attr_eq(&ev, "role", "responder");
    ev_attr_eq(&ev, "mode", "non-rekey");
    ev_attr_eq(&ev, "nat", "1"); /* 51435: the peer is behind NAT */
    ev_attr_eq(&ev, "no_response", NULL);
    ev_attr_eq(&ev, "event_id", "ikev2-nego-ike-fail");
    ev_attr_eq(&ev, "subtype", "vpn");
    ev_attr_eq(&ev, "severity_raw", "informational");
    ck_assert_int_eq(ev.level, IKM_LVL_INFO);

    /* IKEv1 (PAFW-TABLE): all-zero responder cookie = no answer; cause kept */
    classify("vpn", "ike-nego-p1-fail", "GW1", "IKE phase-1 negotiation is failed as initiator, main mode. Failed "
             "SA: x.x.x.x[500]-y.y.y.y[500] cookie:84222f276c2fa2e9:0000000000000000 due to timeout.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_P1_FAIL);
    ev_str_eq(ev.peer_ip, "y.y.y.y", "peer");
    ev_attr_eq(&ev, "local", "x.x.x.x");
    ev_attr_eq(&ev, "role", "initiator");
    ev_attr_eq(&ev, "mode", "main mode");
    ev_attr_eq(&ev, "spi_i", "84222f276c2fa2e9");
    ev_attr_eq(&ev, "spi_r", "0000000000000000");
    ev_attr_eq(&ev, "no_response", "1");
    ev_attr_eq(&ev, "nat", NULL);
    ev_attr_eq(&ev, "reason", "timeout");
    ev_attr_eq(&ev, "cause", "timeout");

    /* "peer IP x[port]" of the config failure */
    classify("vpn", "", "", "IKE phase 1 negotiation is failed. Couldn\xe2\x80\x99t find configuration for IKE "
             "phase-1 request for peer IP x.x.x.x[1929]", &ev);
    ev_str_eq(ev.peer_ip, "x.x.x.x", "peer");
    ev_attr_eq(&ev, "peer_port", "1929");
    ev_attr_eq(&ev, "nat", "1");
    ev_attr_eq(&ev, "reason", "config");

    /* child SA: the object is the tunnel */
    classify("vpn", "ikev2-nego-child-succ", "tunnel-7", "IKEv2 child SA negotiation is succeeded as initiator, "
             "rekey. Established SA: 10.0.0.1[500]-10.0.0.2[500] SPI:c1a2b3c4:d5e6f7a8.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_P2_UP);
    ev_str_eq(ev.tunnel, "tunnel-7", "tunnel");
    ev_str_eq(ev.gateway, NULL, "gateway");
    ev_attr_eq(&ev, "mode", "rekey");
    ev_attr_eq(&ev, "spi_i", "c1a2b3c4");
    ev_attr_eq(&ev, "spi_r", "d5e6f7a8");

    /* the event id alone decides when the description says nothing known */
    classify("vpn", "ikev2-nego-child-start", "tunnel-7", "", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_P2_START);
    classify("vpn", "ike-nego-p2-fail", "tunnel-7", "", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_P2_FAIL);
    classify("vpn", "ikev2-nego-auth-mismatch", "GW", "", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_NOTIFY_ERROR);
    ev_attr_eq(&ev, "reason", "auth");
}
END_TEST

START_TEST(names_and_prefix)
{
    struct ikm_event ev;
    /* the "[GW]:" prefix names the gateway in full, even when the object is cut */
    classify("vpn", "ikev2-n", "IKE-GW", "[IKE-GW-FGT]: Configured encryption algorithm 'AES256-CBC' was not "
             "presented in the IKE proposal. Please ensure that matching proposals are configured on both sides.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_NOTIFY_ERROR);
    ev_str_eq(ev.gateway, "IKE-GW-FGT", "gateway");
    ev_attr_eq(&ev, "what", "encryption algorithm");
    ev_attr_eq(&ev, "value", "AES256-CBC");
    /* a delete names the tunnel (HS-SYSLOG: object = tunnel name) */
    classify("vpn", "ike-recv-p2-delete", "To-FOO", "IKE protocol IPSec SA delete message received from peer. "
             "SPI:0x1234ABCD.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_DELETE);
    ev_str_eq(ev.tunnel, "To-FOO", "tunnel");
    ev_attr_eq(&ev, "reason", "peer-delete");
    ev_attr_eq(&ev, "direction", "received");
    ev_attr_eq(&ev, "phase", "2");
    ev_attr_eq(&ev, "spi", "0x1234ABCD");
    classify("vpn", "ike-send-p1-delete", "GW-9", "", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_DELETE);
    ev_str_eq(ev.gateway, "GW-9", "gateway");
    ev_attr_eq(&ev, "direction", "sent");
    ev_attr_eq(&ev, "phase", "1");
    /* routing: the object is not a gateway; BGP names its neighbour */
    classify("routing", "routed-BGP-peer-left-established", "default", "BGP peer session leaves established "
             "state. peer name: isp-a, peer IP: 198.51.100.1.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_ROUTE_CHANGE);
    ev_str_eq(ev.gateway, NULL, "gateway");
    ev_str_eq(ev.peer_ip, NULL, "peer");
    ev_attr_eq(&ev, "object", "default");
    ev_attr_eq(&ev, "neighbor", "198.51.100.1");
    ev_attr_eq(&ev, "neighbor_name", "isp-a");
    ev_attr_eq(&ev, "protocol", "BGP");
    /* path monitor, static route */
    classify("routing", "path-monitor-failure", "default", "Path monitor for static route 0.0.0.0/0 is down", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_ROUTE_CHANGE);
    ev_attr_eq(&ev, "state", "down");
    /* link and HA */
    classify("port", "link-change", "ethernet1/1", "Port ethernet1/1: Up", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_LINK_UP);
    ev_attr_eq(&ev, "interface", "ethernet1/1");
    classify("port", "port-down", "ethernet1/2", "", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_LINK_DOWN);
    ev_attr_eq(&ev, "interface", "ethernet1/2");
    classify("ha", "ha-peer-up", "", "HA Group 1: Peer transitioned to state active", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_HA_STATE);
    ev_attr_eq(&ev, "to_state", "active");
    ev_attr_eq(&ev, "from_state", NULL);
    classify("ha", "state-change", "", "HA Group 1: Moved from state Passive to state Active", &ev);
    ev_attr_eq(&ev, "from_state", "Passive");
    ev_attr_eq(&ev, "to_state", "Active");
    /* tunnel state and daemons */
    classify("vpn", "tunnel-status-up", "To-FOO", "", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_TUNNEL_UP);
    ev_str_eq(ev.tunnel, "To-FOO", "tunnel");
    classify("general", "general", "", "The ikemgr process was restarted", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_DAEMON_RESTART);
    ev_attr_eq(&ev, "daemon", "ikemgr");
    /* IKEv1 dead peer detection wording (racoon, formats.md §1.10) */
    classify("vpn", "ike-generic-event", "GW1", "DPD: remote (ISAKMP-SA spi=84222f276c2fa2e9:9b1c2e3f4a5b6c7d) "
             "seems to be dead.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_DPD_DOWN);
    ev_attr_eq(&ev, "reason", "liveness");
    ev_str_eq(ev.gateway, "GW1", "gateway");
    classify("vpn", "ike-dpd", "GW1", "IKE phase-1 SA is deleted detected by DPD.", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_DPD_DOWN);
    /* unknown: kept with its event id */
    classify("dhcp", "dhcp-renew", "ethernet1/2", "DHCP lease renewed", &ev);
    ck_assert_int_eq(ev.kind, IKM_EV_OTHER);
    ev_attr_eq(&ev, "event_id", "dhcp-renew");
    ev_attr_eq(&ev, "object", "ethernet1/2");
    ev_attr_eq(&ev, "subtype", "dhcp");
}
END_TEST

START_TEST(levels)
{
    static const struct {
        const char *word;
        enum ikm_level lvl;
    } m[] = {
        {"informational", IKM_LVL_INFO}, {"low", IKM_LVL_NOTICE},       {"medium", IKM_LVL_WARNING},
        {"high", IKM_LVL_ERROR},         {"critical", IKM_LVL_CRITICAL}, {"bogus", IKM_LVL_OTHER},
        {"", IKM_LVL_NONE},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        ck_assert_int_eq(panlog_level_of(ikm_str_of(m[i].word, strlen(m[i].word))), m[i].lvl);
}
END_TEST

/* The richest CLI line: every attribute fits in IKM_ATTRS_MAX (when a line carries more,
 * severity_raw, also in level_raw, then the auxiliary ones go first; the evidence stays). */
START_TEST(attribute_budget)
{
    struct memsink ms = {0};
    parse_cli(&ms, S("2019/03/06 17:20:00 informational vpn     GW-one ikev2-n 0  IKEv2 IKE SA negotiation is failed "
                     "as initiator, non-rekey. Failed SA: 10.0.0.1[500]-203.0.113.9[1024] "
                     "SPI:0239b91635ed0e98:0000000000000000. due to timeout.\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    const struct ms_event *e = &ms.ev[0];
    ck_assert_int_eq(e->kind, IKM_EV_P1_FAIL);
    ck_assert_uint_eq(e->n_attrs, 15);
    ck_assert_uint_le(e->n_attrs, IKM_ATTRS_MAX);
    attr_eq(e, "event_id", "ikev2-n");
    attr_eq(e, "truncated", "1");
    attr_eq(e, "reason", "timeout");
    attr_eq(e, "no_response", "1");
    attr_eq(e, "nat", "1");
    attr_eq(e, "peer_port", "1024");
    attr_eq(e, "spi_i", "0239b91635ed0e98");
    attr_eq(e, "severity_raw", "informational");
    ck_assert_str_eq(e->level_raw, "informational");
    memsink_free(&ms);
}
END_TEST

/* ---- CLI ------------------------------------------------------------------------------------- */

START_TEST(cli_seed_lines)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_cli(&ms, S(seed_cli), 0), 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.parsed, 3); /* the command echo counts as parsed */
    ck_assert_uint_eq(ms.n_ev, 2);
    static const int64_t local[] = {1551896644000000LL, 1551893187000000LL};
    static const char *const text[] = {"2019/03/06 18:24:04", "2019/03/06 17:26:27"};
    for (size_t i = 0; i < 2; i++) {
        const struct ms_event *e = &ms.ev[i];
        ck_assert_int_eq(e->kind, IKM_EV_DPD_DOWN);
        ck_assert_int_eq(e->line, (int64_t)i + 2);
        ck_assert_int_eq(e->local_us, local[i]);
        ck_assert_int_eq(e->utc_us, local[i]); /* pending: utc = local until the zone is known */
        ck_assert_int_eq(e->offset_min, 0);
        ck_assert_int_eq(e->state, IKM_TZ_PENDING);
        ck_assert_str_eq(e->ts_text, text[i]);
        ck_assert_str_eq(e->gateway, "seapa-");
        ck_assert_ptr_null(e->tunnel);
        ck_assert_ptr_null(e->peer_ip);
        ck_assert_int_eq(e->level, IKM_LVL_NOTICE);
        ck_assert_str_eq(e->level_raw, "low");
        ck_assert_str_eq(e->msg, "IKEv2 IKE SA is down determined by DPD.");
        attr_eq(e, "event_id", "ikev2-n");
        attr_eq(e, "truncated", "1");
        attr_eq(e, "subtype", "vpn");
        attr_eq(e, "severity_raw", "low");
        attr_eq(e, "reason", "liveness");
    }
    ck_assert_int_eq(ms.st.events_by_kind[IKM_EV_DPD_DOWN], 2);
    ck_assert_int_eq(ms.st.pending_rows, 2);
    ck_assert_int_eq(ms.st.has_offset, 0);
    ck_assert_int_eq(ms.st.first_local_us, local[1]); /* newest first: the range is still min..max */
    ck_assert_int_eq(ms.st.last_local_us, local[0]);
    /* what the writer does later with the device's zone (formats.md §2.1; DESIGN's example) */
    struct ikm_tz tz;
    char err[128];
    ck_assert_int_eq(ikm_tz_parse("America/Los_Angeles", &tz, err, sizeof err), 0);
    ck_assert_int_eq(ikm_tz_local_to_utc(&tz, ms.ev[0].local_us), 1551925444000000LL); /* 2019-03-07T02:24:04Z */
    ck_assert_int_eq(ikm_tz_local_to_utc(&tz, ms.ev[1].local_us), 1551921987000000LL); /* 2019-03-07T01:26:27Z */
    memsink_free(&ms);
}
END_TEST

START_TEST(cli_seed_collapsed)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_cli(&ms, S(seed_cli_collapsed), 3), 0);
    ck_assert_uint_eq(ms.n_ev, 2);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_DPD_DOWN);
    ck_assert_int_eq(ms.ev[0].local_us, 1551896644000000LL);
    ck_assert_str_eq(ms.ev[0].gateway, "seapa-");
    attr_eq(&ms.ev[0], "truncated", "1");
    ck_assert_str_eq(ms.ev[1].msg, "IKEv2 IKE SA is down determined by DPD.");
    memsink_free(&ms);
}
END_TEST

START_TEST(cli_framing_and_continuations)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_cli(&ms, S("admin@PA-VM> show log system direction equal backward\n"
                                      "\n"
                                      "Time                Severity Subtype Object EventID ID Description\n"
                                      "===============================================================================\n"
                                      "2021/06/22 10:39:06 informational general        general 0  User admin logged in\n"
                                      "   via CLI from 10.0.0.5\n"
                                      "   second continuation\n"
                                      "2021/06/22 10:39:05 low      vpn     gw-a   ike-gen 0  no proposal chosen.\n"
                                      "admin@PA-VM>\n"
                                      "stray text after the prompt\n"),
                               0),
                     0);
    ck_assert_int_eq(ms.st.units, 10);
    ck_assert_int_eq(ms.st.parsed, 9);
    ck_assert_int_eq(ms.st.unparsed, 1);
    ck_assert_str_eq(ms.un[0].reason, "continuation line before the first record");
    ck_assert_int_eq(ms.un[0].line, 10);
    ck_assert_uint_eq(ms.n_ev, 2);
    const struct ms_event *a = &ms.ev[0], *b = &ms.ev[1];
    ck_assert_int_eq(a->line, 5);
    ck_assert_int_eq(a->local_us, 1624358346000000LL);
    ck_assert_str_eq(a->msg, "User admin logged in\n   via CLI from 10.0.0.5\n   second continuation");
    ck_assert_ptr_null(a->gateway);
    attr_eq(a, "event_id", "general");
    attr_eq(a, "truncated", NULL); /* "general" is a whole event id; the object is empty */
    attr_eq(a, "object", NULL);
    ck_assert_int_eq(a->level, IKM_LVL_INFO);
    ck_assert_int_eq(b->kind, IKM_EV_NOTIFY_ERROR);
    attr_eq(b, "reason", "proposal");
    attr_eq(b, "truncated", "1");
    ck_assert_str_eq(b->gateway, "gw-a");
    memsink_free(&ms);
}
END_TEST

START_TEST(cli_malformed_rows)
{
    struct memsink ms = {0};
    parse_cli(&ms, S("2019/13/06 18:24:04 low      vpn     seapa- ikev2-n 0  month 13\n"
                     "  its continuation\n"
                     "2019/03/06 18:24:04 low      vpn\n"
                     "2019/03/06 18:24:04 low      vpn     seapa- ikev2-n no id column here\n"
                     "2019/03/06 18:2x:04 low      vpn     seapa- ikev2-n 0  bad time\n"
                     "2019/03/06 18:24:04 low      vpn     seapa- ikev2-n 0  fine\n"),
              0);
    ck_assert_int_eq(ms.st.units, 6);
    ck_assert_int_eq(ms.st.unparsed, 5);
    ck_assert_str_eq(ms.un[0].reason, "invalid timestamp: month out of range");
    ck_assert_str_eq(ms.un[1].reason, "continuation of an unparsed record");
    ck_assert_str_eq(ms.un[2].reason, "malformed system-log entry: too few columns");
    ck_assert_str_eq(ms.un[3].reason, "malformed system-log entry: no ID column");
    ck_assert_str_eq(ms.un[4].reason, "malformed system-log entry: no time");
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].line, 6);
    ck_assert_str_eq(ms.dg[0].check, "timestamp");
    memsink_free(&ms);
}
END_TEST

START_TEST(cli_object_shapes)
{
    struct memsink ms = {0};
    parse_cli(&ms, S("2019/03/06 18:24:04 low      vpn     my gw  ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"
                     "2019/03/06 18:24:04 high     ha      1      state-c 0  HA Group 1: Moved from state Passive to state Active\n"
                     "2019/03/06 18:24:04 low      vpn     gw     ike-gen 0  12 retries; no proposal chosen.\n"),
              0);
    ck_assert_uint_eq(ms.n_ev, 3);
    ck_assert_str_eq(ms.ev[0].gateway, "my gw"); /* a name with a space */
    ck_assert_int_eq(ms.ev[1].kind, IKM_EV_HA_STATE);
    attr_eq(&ms.ev[1], "object", "1");
    attr_eq(&ms.ev[1], "to_state", "Active");
    ck_assert_str_eq(ms.ev[2].gateway, "gw");
    ck_assert_str_eq(ms.ev[2].msg, "12 retries; no proposal chosen."); /* a number opening the text */
    memsink_free(&ms);
}
END_TEST

/* A generated show_log_system.txt-like block: newest first, the commit signature in reverse. */
START_TEST(cli_commit_signature_backward)
{
    struct memsink ms = {0};
    parse_cli(&ms, S("2013/03/25 23:59:05 informational general        unknown 0  Config installed\n"
                     "2013/03/25 23:59:05 informational ras            rasmgr- 0  RASMGR daemon configuration load phase-2 succeeded.\n"
                     "2013/03/25 23:59:04 informational vpn            ike-con 0  IKE daemon configuration load phase-2 succeeded.\n"
                     "2013/03/25 23:59:04 informational routing        routed- 0  Route daemon configuration load phase-2 succeeded.\n"
                     "2013/03/25 23:59:03 informational vpn            ike-con 0  IKE daemon configuration load phase-1 succeeded.\n"
                     "2013/03/25 23:59:03 informational routing        routed- 0  Route daemon configuration load phase-1 succeeded.\n"),
              0);
    ck_assert_uint_eq(ms.n_ev, 6);
    ck_assert_int_eq(ms.st.events_by_kind[IKM_EV_CONFIG_COMMIT], 1); /* one commit, one event */
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_CONFIG_COMMIT);
    attr_eq(&ms.ev[0], "signature", "config-installed");
    static const char *const sig[] = {"config-load-p2", "config-load-p2", "config-load-p2", "config-load-p1",
                                      "config-load-p1"};
    static const char *const daemon[] = {"RASMGR", "IKE", "Route", "IKE", "Route"};
    for (size_t i = 1; i < 6; i++) {
        ck_assert_int_eq(ms.ev[i].kind, IKM_EV_OTHER);
        attr_eq(&ms.ev[i], "reason", "config-load");
        attr_eq(&ms.ev[i], "signature", sig[i - 1]);
        attr_eq(&ms.ev[i], "daemon", daemon[i - 1]);
    }
    memsink_free(&ms);
}
END_TEST

START_TEST(cli_sniff)
{
    ck_assert_int_eq(panlog_cli_sniff(S(seed_cli)), 100);
    ck_assert_int_ge(panlog_cli_sniff(S(seed_cli_collapsed)), 90);
    ck_assert_int_eq(panlog_cli_sniff(S(elastic_sys)), 0);
    ck_assert_int_eq(panlog_cli_sniff(S("2024/01/01 10:00:00 ZEBRA: interface eth0 up\n")), 0); /* FRR log */
    ck_assert_int_eq(panlog_cli_sniff(S("hello\nworld\n")), 0);
    ck_assert_int_eq(panlog_cli_sniff("", 0), 0);
}
END_TEST

/* ---- CSV: SYSTEM ------------------------------------------------------------------------------ */

START_TEST(csv_elastic_sys_hires)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_csv(&ms, S(elastic_sys), 0), 0);
    ck_assert_int_eq(ms.st.units, 1);
    ck_assert_int_eq(ms.st.parsed, 1);
    ck_assert_uint_eq(ms.n_ev, 1);
    const struct ms_event *e = &ms.ev[0];
    ck_assert_int_eq(e->kind, IKM_EV_OTHER);
    ck_assert_int_eq(e->state, IKM_TZ_LINE);
    ck_assert_int_eq(e->offset_min, -420);
    ck_assert_int_eq(e->local_us, 1635260703440000LL);
    ck_assert_int_eq(e->utc_us, 1635285903440000LL); /* 2021-10-26T22:05:03.440Z */
    ck_assert_str_eq(e->ts_text, "2021-10-26T15:05:03.440-07:00");
    ck_assert_str_eq(e->msg, "Connection to Update server closed: updates.paloaltonetworks.com, source: 81.2.69.193");
    attr_eq(e, "event_id", "general");
    attr_eq(e, "subtype", "general");
    ck_assert_int_eq(ms.st.has_offset, 1);
    ck_assert_int_eq(ms.st.first_offset_min, -420);
    ck_assert_int_eq(ms.st.pending_rows, 0);
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_hs_syslog_delete)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_csv(&ms, S(hs_syslog), 0), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    const struct ms_event *e = &ms.ev[0];
    ck_assert_int_eq(e->kind, IKM_EV_DELETE);
    ck_assert_int_eq(e->state, IKM_TZ_PENDING);
    ck_assert_int_eq(e->local_us, 1571499569000000LL); /* Generated Time, not Receive Time */
    ck_assert_str_eq(e->ts_text, "2019/10/19 15:39:29");
    ck_assert_str_eq(e->tunnel, "To-FOO-BAR-NET");
    ck_assert_ptr_null(e->gateway);
    attr_eq(e, "event_id", "ike-send-p2-delete");
    attr_eq(e, "spi", "0xA1CD910F");
    attr_eq(e, "direction", "sent");
    attr_eq(e, "phase", "2");
    attr_eq(e, "reason", "delete");
    ck_assert_str_eq(e->msg, "IKE protocol IPSec SA delete message sent to peer. SPI:0xA1CD910F.");
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_beats_other_and_axo)
{
    struct memsink ms = {0};
    char text[2048];
    int n = snprintf(text, sizeof text, "%s%s", beats_other_sys, axo);
    ck_assert_int_eq(parse_csv(&ms, text, (size_t)n, 0), 0);
    ck_assert_int_eq(ms.st.parsed, 2);
    ck_assert_uint_eq(ms.n_ev, 2);
    const struct ms_event *a = &ms.ev[0], *b = &ms.ev[1];
    ck_assert_int_eq(a->kind, IKM_EV_OTHER);
    ck_assert_int_eq(a->local_us, 1330131236000000LL); /* 2012: generated before it was received */
    attr_eq(a, "reason", "config-load");
    attr_eq(a, "signature", "config-load-p1");
    attr_eq(a, "event_id", "ike-config-p1-success");
    ck_assert_ptr_null(a->gateway); /* empty object */
    ck_assert_int_eq(b->kind, IKM_EV_OTHER);
    ck_assert_int_eq(b->local_us, 1586882934000000LL);
    ck_assert_int_eq(b->level, IKM_LVL_WARNING);
    attr_eq(b, "event_id", "auth-fail");
    attr_eq(b, "subtype", "auth");
    ck_assert_str_eq(b->msg, "failed authentication for user 'admin'. Reason: Invalid username/password. From: 10.0.10.55.");
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_rfc5424_octet_count)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse_csv(&ms, S("535 <14>1 2020-03-27T09:57:41+01:00 PA-VM - - - - 1,2020/03/27 09:57:41,"
                                      "015351000043722,SYSTEM,vpn,0,2020/03/27 09:57:40,,ike-generic-event,GW-X,0,0,"
                                      "general,informational,no proposal chosen.,1,0x0\n"
                                      "<14>1 2020-03-27T09:57:41+01:00 PA-VM panos 1234 - [meta a=\"b]c\"] "
                                      "1,2020/03/27 09:57:41,015351000043722,SYSTEM,vpn,0,2020/03/27 09:57:40,,"
                                      "ike-generic-event,GW-X,0,0,general,informational,no proposal chosen.,1,0x0\n"),
                               0),
                     0);
    ck_assert_uint_eq(ms.n_ev, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(ms.ev[i].kind, IKM_EV_NOTIFY_ERROR);
        ck_assert_str_eq(ms.ev[i].gateway, "GW-X");
        ck_assert_str_eq(ms.ev[i].ts_text, "2020/03/27 09:57:40");
        ck_assert_int_eq(ms.ev[i].state, IKM_TZ_PENDING);
    }
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_mixed_types_accounting)
{
    struct memsink ms = {0};
    char text[8192];
    int n = snprintf(text, sizeof text,
                     "%s%s%s"
                     "1,2021/10/26 15:05:03,,THREAT,url,2561,2021/10/26 15:05:03,10.0.0.1,1.2.3.4,,,rule1,,,web-browsing\n"
                     "\n"
                     "<14>Oct 26 15:05:03 fw1 CEF:0|Palo Alto Networks|PAN-OS|10.1|general|SYSTEM|1|rt=Oct 26 2021\n"
                     "LEEF:1.0|Palo Alto Networks|PAN-OS Syslog Integration|10.1|general|cat=SYSTEM\n"
                     "random garbage line\n"
                     "1,2021/10/26 15:05:03\n"
                     "%s%s",
                     beats_ietf, elastic_sys, hs_syslog, beats_cfg_commit, beats_cfg_set);
    ck_assert_int_lt(n, (int)sizeof text);
    ck_assert_int_eq(parse_csv(&ms, text, (size_t)n, 7), 0);
    ck_assert_int_eq(ms.st.units, 11);
    ck_assert_int_eq(ms.st.parsed, 7); /* TRAFFIC, THREAT and the blank line: parsed, no event */
    ck_assert_int_eq(ms.st.unparsed, 4);
    ck_assert_str_eq(ms.un[0].reason, "CEF format (not supported; PAN-OS CSV expected)");
    ck_assert_int_eq(ms.un[0].line, 6);
    ck_assert_str_eq(ms.un[1].reason, "LEEF format (not supported; PAN-OS CSV expected)");
    ck_assert_str_eq(ms.un[2].reason, "not a PAN-OS CSV log line");
    ck_assert_str_eq(ms.un[3].reason, "not a PAN-OS CSV log line");
    ck_assert_uint_eq(ms.n_ev, 4);
    ck_assert_int_eq(ms.ev[0].line, 2);
    ck_assert_int_eq(ms.ev[1].kind, IKM_EV_DELETE);
    ck_assert_int_eq(ms.ev[2].kind, IKM_EV_CONFIG_COMMIT);
    ck_assert_int_eq(ms.ev[3].kind, IKM_EV_OTHER);
    ck_assert_int_eq(ms.st.pending_rows, 3);
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_edge_cases)
{
    struct memsink ms = {0};
    parse_csv(&ms,
              S("\xEF\xBB\xBF" "Domain,Receive Time,Serial #,Type,Threat/Content Type,Config Version,Generate Time,"
                "Virtual System,Event ID,Object,fmt,id,module,Severity,Description\n"
                /* quoted commas and an escaped quote */
                "1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/10/26 15:05:02,,ike-generic-event,\"GW, with comma\",0,0,"
                "general,informational,\"said \"\"no proposal chosen.\"\", twice\",1,0x0\n"
                /* cut after the description: missing trailing fields */
                "1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/10/26 15:05:01,,ikev2-nego-child-fail,tun-3,0,0,general,high,"
                "IKEv2 child SA negotiation is failed as initiator\n"
                /* cut before the description and before Generated Time */
                "1,2021/10/26 15:05:04,,SYSTEM,vpn,0,2021/10/26 15:05:00,,ike-send-p1-delete\n"
                "1,2021/10/26 15:05:05,,SYSTEM,vpn\n"
                /* extra fields after the 26 of 10.x */
                "1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/10/26 15:04:59,,ike-generic-event,GW,0,0,general,"
                "informational,no proposal chosen.,1,0x0,0,0,0,0,,PA-VM,0,0,2021-10-26T15:04:59.000+02:00,x,y,z,"
                "\"q\"\"\",w\n"
                /* text after a closing quote */
                "1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/10/26 15:04:58,,ike-generic-event,\"GW\"junk,0,0,general,"
                "informational,no proposal chosen.\n"),
              0);
    ck_assert_int_eq(ms.st.units, 7);
    ck_assert_int_eq(ms.st.parsed, 7);
    ck_assert_uint_eq(ms.n_ev, 6);
    const struct ms_event *e = ms.ev;
    ck_assert_str_eq(e[0].gateway, "GW, with comma");
    ck_assert_str_eq(e[0].msg, "said \"no proposal chosen.\", twice");
    ck_assert_int_eq(e[0].kind, IKM_EV_NOTIFY_ERROR);
    ck_assert_int_eq(e[1].kind, IKM_EV_P2_FAIL);
    ck_assert_str_eq(e[1].tunnel, "tun-3");
    ck_assert_int_eq(e[1].level, IKM_LVL_ERROR);
    ck_assert_int_eq(e[2].kind, IKM_EV_DELETE);
    ck_assert_ptr_null(e[2].msg);
    ck_assert_str_eq(e[2].ts_text, "2021/10/26 15:05:00");
    ck_assert_str_eq(e[3].ts_text, "2021/10/26 15:05:05"); /* no Generated Time: Receive Time */
    ck_assert_int_eq(e[3].kind, IKM_EV_OTHER);
    ck_assert_int_eq(e[4].state, IKM_TZ_LINE);
    ck_assert_int_eq(e[4].offset_min, 120);
    ck_assert_str_eq(e[5].gateway, "GW");
    ck_assert_uint_eq(ms.n_dg, 1);
    ck_assert_str_eq(ms.dg[0].check, "csv");
    ck_assert_int_eq(ms.dg[0].line, 7);
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_invalid_generated_time)
{
    struct memsink ms = {0};
    parse_csv(&ms, S("1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/02/30 15:05:03,,general,,0,0,general,low,x\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 1);
    ck_assert_str_eq(ms.un[0].reason, "invalid timestamp: day out of range");
    ck_assert_str_eq(ms.dg[0].check, "timestamp");
    memsink_free(&ms);
}
END_TEST

/* ---- CSV: CONFIG ------------------------------------------------------------------------------ */

START_TEST(config_beats_other)
{
    struct memsink ms = {0};
    char text[1024];
    int n = snprintf(text, sizeof text, "%s%s", beats_cfg_commit, beats_cfg_set);
    ck_assert_int_eq(parse_csv(&ms, text, (size_t)n, 0), 0);
    ck_assert_uint_eq(ms.n_ev, 2);
    const struct ms_event *c = &ms.ev[0], *s = &ms.ev[1];
    ck_assert_int_eq(c->kind, IKM_EV_CONFIG_COMMIT);
    ck_assert_int_eq(c->local_us, 1330131220000000LL);
    ck_assert_int_eq(c->state, IKM_TZ_PENDING);
    attr_eq(c, "signature", "config-log");
    attr_eq(c, "admin", "admin");
    attr_eq(c, "client", "Web");
    attr_eq(c, "command", "commit");
    attr_eq(c, "result", "Submitted");
    attr_eq(c, "host", "192.168.0.2");
    attr_eq(c, "serial", "1606001116");
    attr_eq(c, "path", NULL);
    attr_eq(c, "before", NULL);
    ck_assert_int_eq(s->kind, IKM_EV_OTHER); /* a local user: nothing a tunnel depends on */
    ck_assert_int_eq(s->local_us, 1330131110000000LL);
    attr_eq(s, "reason", "config-change");
    attr_eq(s, "path", "config shared local-user-database user badguy");
    attr_eq(s, "command", "set");
    attr_eq(s, "result", "Succeeded");
    memsink_free(&ms);
}
END_TEST

START_TEST(config_elastic_details_at_end)
{
    struct memsink ms = {0};
    char text[4096];
    int n = snprintf(text, sizeof text, "%s%s%s", elastic_cfg_set, elastic_cfg_override, elastic_cfg_edit);
    ck_assert_int_eq(parse_csv(&ms, text, (size_t)n, 0), 0);
    ck_assert_int_eq(ms.st.parsed, 3);
    ck_assert_uint_eq(ms.n_ev, 3);
    const struct ms_event *a = &ms.ev[0], *b = &ms.ev[1], *c = &ms.ev[2];
    ck_assert_int_eq(a->kind, IKM_EV_POLICY_CHANGE);
    ck_assert_int_eq(a->state, IKM_TZ_LINE);
    ck_assert_int_eq(a->offset_min, 60);
    ck_assert_int_eq(a->local_us, 1696409530421000LL);
    ck_assert_int_eq(a->utc_us, 1696405930421000LL);
    attr_eq(a, "what", "security-rule");
    attr_eq(a, "path", "vsys vsys1 rulebase security rules reset-adult");
    attr_eq(a, "before", NULL);
    attr_eq(a, "after", "reset-adult 73a06abf-... { to [ public ]; from [ private ]; ... }");
    attr_eq(a, "serial", "007058000248010");
    attr_eq(a, "host", "81.2.69.193");
    ck_assert_int_eq(b->kind, IKM_EV_OTHER);
    attr_eq(b, "result", "Failed");
    attr_eq(b, "command", "override");
    attr_eq(b, "path", "deviceconfig system device-telemetry");
    attr_eq(b, "before", NULL);
    attr_eq(b, "after", NULL);
    ck_assert_int_eq(c->kind, IKM_EV_OTHER);
    ck_assert_int_eq(c->local_us, 1709225980421000LL);
    attr_eq(c, "path", "vsys vsys1 address test123");
    attr_eq(c, "before", "test123  { description \"this, is a test. with, three comma, x4\"; } ");
    attr_eq(c, "after", "test123  { description \"this, is a test. with, three comma, x5\"; } ");
    memsink_free(&ms);
}
END_TEST

START_TEST(config_docs_layout_and_paths)
{
    static const struct {
        const char *path, *what, *gateway, *tunnel;
    } cases[] = {
        {" network  ike gateway  GW-1", "ike-gateway", "GW-1", NULL},
        {" network ike crypto-profiles ike-crypto-profiles  aes-prof", "crypto-profile", NULL, NULL},
        {" network tunnel ipsec  To-FOO lifetime", "ipsec-tunnel", NULL, "To-FOO"},
        {" network profiles monitor-profile  mp", "monitor-profile", NULL, NULL},
        {" network virtual-router default routing-table ip static-route  r1", "static-route", NULL, NULL},
        {" network virtual-router default protocol bgp", "virtual-router", NULL, NULL},
        {" network logical-router lr1 vrf default", "logical-router", NULL, NULL},
        {" network interface ethernet ethernet1/1 layer3", "interface", NULL, NULL},
        {" vsys  vsys1 rulebase nat rules  n1", "nat-rule", NULL, NULL},
        {" vsys  vsys1 rulebase pbf rules  p1", "pbf-rule", NULL, NULL},
        {" device-group dg1 pre-rulebase security rules  r9", "security-rule", NULL, NULL},
        {" vsys  vsys1 zone  untrust", "zone", NULL, NULL},
        {" network profiles zone-protection-profile  zp", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[1024];
        /* the docs' order: path, before, after, sequence, flags, ... */
        int n = snprintf(line, sizeof line,
                         "1,2023/10/04 08:52:10,0070580,CONFIG,0,2816,2023/10/04 08:52:10,10.1.1.1,,edit,jdoe,CLI,"
                         "Succeeded,%s,\"old { a 1; }\",\"new { a 2; }\",123456789,0x0,0,0,0,0,,PA-VM,,,0,"
                         "2023-10-04T08:52:10.000+01:00\n",
                         cases[i].path);
        struct memsink ms = {0};
        parse_csv(&ms, line, (size_t)n, 0);
        ck_assert_uint_eq(ms.n_ev, 1);
        const struct ms_event *e = &ms.ev[0];
        ck_assert_msg(e->kind == (cases[i].what ? IKM_EV_POLICY_CHANGE : IKM_EV_OTHER), "case %zu: %s", i,
                      ikm_event_kind_name(e->kind));
        attr_eq(e, "what", cases[i].what);
        attr_eq(e, "before", "old { a 1; }");
        attr_eq(e, "after", "new { a 2; }");
        attr_eq(e, "admin", "jdoe");
        attr_eq(e, "client", "CLI");
        str_eq_or_null(e->gateway, cases[i].gateway, "gateway");
        str_eq_or_null(e->tunnel, cases[i].tunnel, "tunnel");
        ck_assert_int_eq(e->state, IKM_TZ_LINE); /* hi-res 11 fields after the sequence number */
        memsink_free(&ms);
    }
}
END_TEST

START_TEST(config_multiline_quoted_detail)
{
    struct memsink ms = {0};
    parse_csv(&ms,
              S("1,2023/10/04 08:52:10,0070580,CONFIG,0,2816,2023/10/04 08:52:10,10.1.1.1,,set,admin,Web,Succeeded, "
                "network ike gateway GW-2,7286123782408765488,0x0,0,0,0,0,,PA-VM,0,,0,2023-10-04T08:52:10.421+01:00,,"
                "\"GW-2 {\n"
                "  peer-address 203.0.113.7;\n"
                "}\"\n"
                "1,2023/10/04 08:52:11,0070580,CONFIG,0,2816,2023/10/04 08:52:11,10.1.1.1,,commit,admin,Web,"
                "Submitted,,7286123782408765489,0x0\n"
                /* a quote that never closes: the next record ends it */
                "1,2023/10/04 08:52:12,0070580,CONFIG,0,2816,2023/10/04 08:52:12,10.1.1.1,,set,admin,Web,"
                "Succeeded, network tunnel ipsec T1,7286123782408765490,0x0,0,0,0,0,,PA-VM,0,,0,"
                "2023-10-04T08:52:12.000+01:00,,\"T1 { broken\n"
                "1,2023/10/04 08:52:13,0070580,CONFIG,0,2816,2023/10/04 08:52:13,10.1.1.1,,commit,admin,Web,"
                "Submitted,,7286123782408765491,0x0\n"),
              0);
    ck_assert_int_eq(ms.st.units, 6);
    ck_assert_int_eq(ms.st.parsed, 6);
    ck_assert_uint_eq(ms.n_ev, 4);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_POLICY_CHANGE);
    ck_assert_int_eq(ms.ev[0].line, 1);
    ck_assert_str_eq(ms.ev[0].gateway, "GW-2");
    attr_eq(&ms.ev[0], "after", "GW-2 {\n  peer-address 203.0.113.7;\n}");
    ck_assert_int_eq(ms.ev[1].kind, IKM_EV_CONFIG_COMMIT);
    ck_assert_int_eq(ms.ev[1].line, 4);
    ck_assert_int_eq(ms.ev[2].kind, IKM_EV_POLICY_CHANGE);
    ck_assert_str_eq(ms.ev[2].tunnel, "T1");
    attr_eq(&ms.ev[2], "after", "T1 { broken");
    ck_assert_int_eq(ms.ev[3].line, 6);
    ck_assert_uint_eq(ms.n_dg, 1);
    ck_assert_str_eq(ms.dg[0].check, "csv");
    memsink_free(&ms);
}
END_TEST

START_TEST(csv_sniff)
{
    ck_assert_int_eq(panlog_csv_sniff(S(elastic_sys)), 100);
    ck_assert_int_eq(panlog_csv_sniff(S(hs_syslog)), 100);
    ck_assert_int_eq(panlog_csv_sniff(S(beats_ietf)), 100);
    ck_assert_int_eq(panlog_csv_sniff(S(beats_other_sys)), 100);
    ck_assert_int_eq(panlog_csv_sniff(S(seed_cli)), 0);
    ck_assert_int_eq(panlog_csv_sniff(S("CEF:0|Palo Alto Networks|PAN-OS|10.1|general|SYSTEM|1|\n")), 0);
    ck_assert_int_eq(panlog_csv_sniff("", 0), 0);
}
END_TEST

/* ---- hostile input --------------------------------------------------------------------------- */

typedef int (*parse_fn)(struct memsink *, const char *, size_t, size_t);

static void hostile_empty(parse_fn parse)
{
    struct memsink ms = {0};
    ck_assert_int_eq(parse(&ms, "", 0, 0), 0);
    ck_assert_int_eq(ms.st.units, 0);
    ck_assert_int_eq(ms.st.first_local_us, INT64_MIN);
    ck_assert_uint_eq(ms.n_ev, 0);
    memsink_free(&ms);
}

START_TEST(hostile_empty_input)
{
    hostile_empty(parse_cli);
    hostile_empty(parse_csv);
}
END_TEST

static void hostile_long(parse_fn parse, const char *good, size_t good_len)
{
    size_t big = (size_t)2 << 20;
    char *buf = malloc(big + 2 * good_len + 1);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, good, good_len);
    size_t at = good_len;
    memset(buf + at, 'A', big);
    at += big;
    buf[at++] = '\n';
    memcpy(buf + at, good, good_len);
    at += good_len;
    struct memsink ms = {0};
    ck_assert_int_eq(parse(&ms, buf, at, 0), 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.unparsed, 1);
    ck_assert_str_eq(ms.un[0].reason, "line longer than 1 MiB");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_uint_eq(ms.un[0].text_len, IKM_LINE_MAX);
    ck_assert_uint_eq(ms.n_ev, 2);
    ck_assert_int_eq(ms.ev[1].line, 3);
    ck_assert_int_eq(ms.st.errors, 1);
    ck_assert_str_eq(ms.dg[0].check, "line-length");
    ck_assert_ptr_nonnull(strstr(ms.dg[0].message, "2097152 bytes"));
    memsink_free(&ms);
    free(buf);
}

START_TEST(hostile_2mib_line)
{
    hostile_long(parse_cli, S(seed_cli_line));
    hostile_long(parse_csv, S(hs_syslog));
}
END_TEST

START_TEST(hostile_nul_bytes)
{
    static const char cli[] = "\0\0\0\0\0\0\0\0"
                              "2019/03/06 18:24:04 low      vpn     sea\0a- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"
                              "\0\0\0\0\n"
                              "2019/03/06 17:26:27 low      vpn     seapa- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n";
    struct memsink ms = {0};
    parse_cli(&ms, cli, sizeof cli - 1, 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.parsed, 2);
    ck_assert_uint_eq(ms.n_ev, 2);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_DPD_DOWN);
    ck_assert_str_eq(ms.un[0].reason, "NUL bytes only");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_str_eq(ms.dg[0].check, "nul-bytes");
    ck_assert_int_eq(ms.dg[0].line, 1);
    memsink_free(&ms);

    static const char csv[] = "\0\0\0\0"
                              "1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/10/26 15:05:03,,ike-generic-event,G\0W,0,0,"
                              "general,informational,no proposal chosen.\n"
                              "\0\n";
    struct memsink m2 = {0};
    parse_csv(&m2, csv, sizeof csv - 1, 0);
    ck_assert_int_eq(m2.st.units, 2);
    ck_assert_int_eq(m2.st.unparsed, 1);
    ck_assert_uint_eq(m2.n_ev, 1);
    ck_assert_int_eq(m2.ev[0].kind, IKM_EV_NOTIFY_ERROR);
    ck_assert_str_eq(m2.un[0].reason, "NUL bytes only");
    memsink_free(&m2);
}
END_TEST

START_TEST(hostile_invalid_utf8)
{
    struct memsink ms = {0};
    parse_cli(&ms, S("2019/03/06 18:24:04 low      vpn     caf\xe9\xff ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_str_eq(ms.ev[0].gateway, "caf\xe9\xff"); /* kept as bytes; escaped when stored */
    ck_assert_uint_eq(ms.n_dg, 1);
    ck_assert_str_eq(ms.dg[0].check, "utf8");
    memsink_free(&ms);

    struct memsink m2 = {0};
    parse_csv(&m2, S("1,2021/10/26 15:05:03,,SYSTEM,vpn,0,2021/10/26 15:05:03,,ike-generic-event,\xc3\x28,0,0,"
                     "general,informational,no proposal chosen.\n"), 0);
    ck_assert_uint_eq(m2.n_ev, 1);
    ck_assert_str_eq(m2.ev[0].gateway, "\xc3\x28");
    ck_assert_str_eq(m2.dg[0].check, "utf8");
    memsink_free(&m2);
}
END_TEST

START_TEST(hostile_crlf)
{
    struct memsink ms = {0};
    parse_cli(&ms, S("> show log system direction equal backward\r\n"
                     "2019/03/06 18:24:04 low      vpn     seapa- ikev2-n 0  IKEv2 IKE SA is down determined by DPD.\r\n"
                     "  continued\r\n"),
              0);
    ck_assert_int_eq(ms.st.parsed, 3);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_str_eq(ms.ev[0].msg, "IKEv2 IKE SA is down determined by DPD.\n  continued");
    ck_assert_uint_eq(ms.n_dg, 1);
    ck_assert_str_eq(ms.dg[0].check, "line-endings");
    memsink_free(&ms);

    struct memsink m2 = {0};
    char text[2048];
    int n = snprintf(text, sizeof text, "%.*s\r\n%.*s\r\n", (int)sizeof hs_syslog - 2, hs_syslog,
                     (int)sizeof elastic_sys - 2, elastic_sys);
    parse_csv(&m2, text, (size_t)n, 0);
    ck_assert_int_eq(m2.st.parsed, 2);
    ck_assert_uint_eq(m2.n_ev, 2);
    ck_assert_str_eq(m2.ev[1].ts_text, "2021-10-26T15:05:03.440-07:00");
    ck_assert_uint_eq(m2.n_dg, 1);
    memsink_free(&m2);
}
END_TEST

START_TEST(hostile_tiny_reads_no_newline)
{
    struct memsink ms = {0};
    parse_cli(&ms, seed_cli, sizeof seed_cli - 2, 1);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_uint_eq(ms.n_ev, 2);
    ck_assert_str_eq(ms.ev[1].msg, "IKEv2 IKE SA is down determined by DPD.");
    memsink_free(&ms);
    struct memsink m2 = {0};
    parse_csv(&m2, elastic_cfg_edit, sizeof elastic_cfg_edit - 2, 1);
    ck_assert_uint_eq(m2.n_ev, 1);
    attr_eq(&m2.ev[0], "after", "test123  { description \"this, is a test. with, three comma, x5\"; } ");
    memsink_free(&m2);
}
END_TEST


START_TEST(hostile_read_error)
{
    for (int csv = 0; csv < 2; csv++) {
        struct ms_str_stream fs;
        struct ikm_stream st = ms_failing_stream(&fs, csv ? elastic_sys : seed_cli, csv ? sizeof elastic_sys - 1 : sizeof seed_cli - 1);
        struct memsink ms = {0};
        struct ikm_sink sink = memsink_sink(&ms);
        int r = csv ? panlog_csv_parse_stream(st, &sink, &ms.st) : panlog_cli_parse_stream(st, &sink, &ms.st);
        ck_assert_int_eq(r, 1);
        ms_check_accounting(&ms);
        ck_assert_uint_eq(ms.n_ev, csv ? 1 : 2);
        ck_assert_int_eq(ms.st.errors, 1);
        ck_assert_str_eq(ms.dg[ms.n_dg - 1].check, "read");
        ck_assert_ptr_nonnull(strstr(ms.dg[ms.n_dg - 1].message, "truncated gzip input"));
        memsink_free(&ms);
    }
}
END_TEST

/* Descriptions built to make a backtracking regex go quadratic: each family's rules on a
 * ~1 MB description must still answer quickly (bounded repeats, a match limit). */
START_TEST(hostile_pathological_descriptions)
{
    static const struct {
        const char *subtype, *evid, *unit;
    } cases[] = {
        {"routing", "routed-x", "BGP "},
        {"routing", "routed-x", "FQDN "},
        {"routing", "routed-x", "path monitor "},
        {"general", "general", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        {"general", "general", "x configuration load "},
        {"general", "general", "ikemgr "},
        {"vpn", "ike-generic-event", "Configured x '"},
        {"vpn", "ike-generic-event", "IKE phase 1 negotiation is failed "},
        {"vpn", "ike-generic-event", "received ID_I (type x ["},
        {"vpn", "ike-generic-event", "couldn't find configuration "},
        {"vpn", "ike-generic-event", "tunnel "},
        {"vpn", "ike-generic-event", "DPD "},
        {"port", "link-x", "Port "},
        {"ha", "state-change", "moved from "},
    };
    size_t size = (size_t)1000 << 10;
    char *d = malloc(size + 64);
    ck_assert_ptr_nonnull(d);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t ul = strlen(cases[i].unit), n = 0;
        while (n + ul <= size) {
            memcpy(d + n, cases[i].unit, ul);
            n += ul;
        }
        d[n] = '\0';
        struct ikm_event ev;
        classify(cases[i].subtype, cases[i].evid, "obj", d, &ev);
        ck_assert_uint_le(ev.n_attrs, IKM_ATTRS_MAX);
    }
    free(d);
}
END_TEST

static int refuse_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx, (void)ev;
    return -1;
}

START_TEST(sink_failure_stops)
{
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    sink.event = refuse_event;
    sink.diag = NULL; /* optional callbacks may be absent */
    struct ms_str_stream ss;
    ck_assert_int_eq(panlog_cli_parse_stream(ms_stream(&ss, S(seed_cli), 0), &sink, &ms.st), -1);
    ck_assert_int_eq(panlog_csv_parse_stream(ms_stream(&ss, S(hs_syslog), 0), &sink, &ms.st), -1);
    memsink_free(&ms);
}
END_TEST

START_TEST(many_diagnostics_are_capped)
{
    size_t n = 50;
    char *text = malloc(n * 8);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 8, "x\xff zzz\r\n", 8);
    struct memsink ms = {0};
    parse_cli(&ms, text, n * 8, 0);
    ck_assert_int_eq(ms.st.units, 50);
    ck_assert_int_eq(ms.st.warnings, 51); /* 50 utf8 + 1 line-endings */
    ck_assert_uint_eq(ms.n_dg, 20 + 1 + 1); /* 20 listed, the CRLF note, "30 more" */
    ck_assert_ptr_nonnull(strstr(ms.dg[ms.n_dg - 1].message, "30 more utf8 problems"));
    memsink_free(&ms);
    free(text);
}
END_TEST

Suite *panlog_suite(void);
Suite *panlog_suite(void)
{
    Suite *s = suite_create("panlog");
    TCase *c = tcase_create("classify");
    tcase_add_test(c, rule_samples);
    tcase_add_test(c, section_2_3_table);
    tcase_add_test(c, negotiation_fields);
    tcase_add_test(c, names_and_prefix);
    tcase_add_test(c, levels);
    tcase_add_test(c, attribute_budget);
    suite_add_tcase(s, c);
    TCase *l = tcase_create("cli");
    tcase_add_test(l, cli_seed_lines);
    tcase_add_test(l, cli_seed_collapsed);
    tcase_add_test(l, cli_framing_and_continuations);
    tcase_add_test(l, cli_malformed_rows);
    tcase_add_test(l, cli_object_shapes);
    tcase_add_test(l, cli_commit_signature_backward);
    tcase_add_test(l, cli_sniff);
    suite_add_tcase(s, l);
    TCase *v = tcase_create("csv");
    tcase_add_test(v, csv_elastic_sys_hires);
    tcase_add_test(v, csv_hs_syslog_delete);
    tcase_add_test(v, csv_beats_other_and_axo);
    tcase_add_test(v, csv_rfc5424_octet_count);
    tcase_add_test(v, csv_mixed_types_accounting);
    tcase_add_test(v, csv_edge_cases);
    tcase_add_test(v, csv_invalid_generated_time);
    tcase_add_test(v, config_beats_other);
    tcase_add_test(v, config_elastic_details_at_end);
    tcase_add_test(v, config_docs_layout_and_paths);
    tcase_add_test(v, config_multiline_quoted_detail);
    tcase_add_test(v, csv_sniff);
    suite_add_tcase(s, v);
    TCase *h = tcase_create("hostile");
    tcase_set_timeout(h, 30);
    tcase_add_test(h, hostile_empty_input);
    tcase_add_test(h, hostile_2mib_line);
    tcase_add_test(h, hostile_nul_bytes);
    tcase_add_test(h, hostile_invalid_utf8);
    tcase_add_test(h, hostile_crlf);
    tcase_add_test(h, hostile_tiny_reads_no_newline);
    tcase_add_test(h, hostile_read_error);
    tcase_add_test(h, hostile_pathological_descriptions);
    tcase_add_test(h, sink_failure_stops);
    tcase_add_test(h, many_diagnostics_are_capped);
    suite_add_tcase(s, h);
    return s;
}
