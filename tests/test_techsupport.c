/*
 * test_techsupport.c — the tech-support CLI dump parser on every verbatim block of formats.md
 * §4.3 and §5–§6 (and their cited originals, where formats.md abbreviates them), the seed's
 * `show vpn flow tunnel-id` key list (INFERRED shape, tolerated), and hostile input. Every
 * parse checks the accounting invariant.
 */
#include "memsink.h"

#include "../parsers/techsupport.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(text) (text), (sizeof(text) - 1)

/* A value that must be there and equal. */
#define EQ(got, want)                                                                              \
    do {                                                                                           \
        const char *g_ = (got);                                                                    \
        ck_assert_msg(g_ && strcmp(g_, (want)) == 0, "line %d: got '%s', want '%s'", __LINE__,     \
                      g_ ? g_ : "(null)", (want));                                                 \
    } while (0)

static int ts_parse(struct memsink *ms, const char *text, size_t len, size_t chunk)
{
    struct ms_str_stream ss;
    struct ikm_stream st = ms_stream(&ss, text, len, chunk);
    struct ikm_sink sink = memsink_sink(ms);
    int r = techsupport_parse_stream(st, &sink, &ms->st);
    ms_check_accounting(ms);
    return r;
}

/* "> cmd\n" + body, parsed. */
static int ts_run(struct memsink *ms, const char *cmd, const char *body)
{
    size_t cl = strlen(cmd), bl = strlen(body);
    char *buf = malloc(cl + bl + 4);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, "> ", 2);
    memcpy(buf + 2, cmd, cl);
    buf[2 + cl] = '\n';
    memcpy(buf + 3 + cl, body, bl);
    int r = ts_parse(ms, buf, cl + bl + 3, 0);
    free(buf);
    return r;
}

static const char *cli(const struct memsink *ms, const char *cmd, const char *obj, const char *key)
{
    const struct ms_cli *c = ms_cli_find(ms, cmd, obj, key);
    return c ? c->value : NULL;
}

/* The value of key among the rows of one input line. */
static const char *cli_line(const struct memsink *ms, int64_t line, const char *key)
{
    for (size_t i = 0; i < ms->n_cli; i++)
        if (ms->cli[i].line == line && strcmp(ms->cli[i].key, key) == 0)
            return ms->cli[i].value;
    return NULL;
}

static const struct ms_cli *cli_row(const struct memsink *ms, int64_t line, const char *key)
{
    for (size_t i = 0; i < ms->n_cli; i++)
        if (ms->cli[i].line == line && strcmp(ms->cli[i].key, key) == 0)
            return &ms->cli[i];
    return NULL;
}

static size_t n_cmd(const struct memsink *ms, const char *cmd)
{
    size_t n = 0;
    for (size_t i = 0; i < ms->n_cli; i++)
        n += strcmp(ms->cli[i].command, cmd) == 0;
    return n;
}

/* Verbatim outputs, spacing exact, from the sources formats.md cites. */
/* VYOS-PA: vyos/vyos-documentation docs/configexamples/ipsec-pa-route-based.rst (the rst
 * code block's one-space indent removed) */
static const char vyos_ikesa[] =
    "\n"
    "IKEv1 phase-1 SAs\n"
    "GwID/client IP  Peer-Address           Gateway Name                                                    Role Mode Algorithm             Established     Expiration      V  ST Xt Phase2\n"
    "--------------  ------------           ------------                                                    ---- ---- ---------             -----------     ----------      -  -- -- ------\n"
    "1               10.0.1.2               VyOS                                                            Resp Main PSK/DH14/A128/SHA1    Jul.31 01:35:00 Jul.31 09:35:00 v1 13 1  1\n"
    "\n"
    "Show IKEv1 IKE SA: Total 1 gateways found. 1 ike sa found.\n"
    "\n"
    "\n"
    "IKEv1 phase-2 SAs\n"
    "Gateway Name                                                    TnID     Tunnel                 GwID/IP          Role Algorithm          SPI(in)  SPI(out) MsgID    ST Xt\n"
    "------------                                                    ----     ------                 -------          ---- ---------          -------  -------- -----    -- --\n"
    "VyOS                                                            1        VyOS-tunnel            1                Resp ESP/    /tunl/SHA2 8827A3D9 C204F4FA BD202829 9  1\n"
    "\n"
    "Show IKEv1 phase2 SA: Total 1 gateways found. 1 ike sa found.\n"
    "\n"
    "\n"
    "There is no IKEv2 SA found.\n";

/* VYOS-PA: vyos/vyos-documentation docs/configexamples/ipsec-pa-route-based.rst (the rst
 * code block's one-space indent removed) */
static const char vyos_ipsecsa[] =
    "\n"
    "GwID/client IP  TnID   Peer-Address           Tunnel(Gateway)                                                                                                                  Algorithm          SPI(in)  SPI(out) life(Sec/KB)             remain-time(Sec)\n"
    "--------------  ----   ------------           ---------------                                                                                                                  ---------          -------  -------- ------------             ----------------\n"
    "1               1      10.0.1.2               VyOS-tunnel(VyOS)                                                                                                                ESP/A256/SHA256    8827A3D9 C204F4FA 3600/Unlimited           2733\n"
    "\n"
    "Show IPSec SA: Total 1 tunnels found. 1 ipsec sa found.\n";

/* VYOS-PA: vyos/vyos-documentation docs/configexamples/ipsec-pa-route-based.rst (the rst
 * code block's one-space indent removed) */
static const char vyos_routes[] =
    "\n"
    "flags: A:active, ?:loose, C:connect, H:host, S:static, ~:internal, R:rip, O:ospf, B:bgp,\n"
    "       Oi:ospf intra-area, Oo:ospf inter-area, O1:ospf ext-type-1, O2:ospf ext-type-2, E:ecmp, M:multicast\n"
    "\n"
    "\n"
    "VIRTUAL ROUTER: default (id 1)\n"
    "  ==========\n"
    "destination                                 nexthop                                 metric flags      age   interface          next-AS\n"
    "0.0.0.0/0                                   10.0.2.1                                10     A S              ethernet1/1\n"
    "10.0.2.0/30                                 10.0.2.2                                0      A C              ethernet1/1\n"
    "10.0.2.2/32                                 0.0.0.0                                 0      A H\n"
    "10.100.100.0/30                             0.0.0.0                                 10       Oi       1273  tunnel.1\n"
    "10.100.100.0/30                             10.100.100.2                            0      A C              tunnel.1\n";

/* NTC: networktocode/ntc-templates tests/paloalto_panos/show_routing_route/paloalto_panos_show_routing_route.raw (first rows) */
static const char ntc_routes[] =
    "flags: A:active, ?:loose, C:connect, H:host, S:static, ~:internal, R:rip, O:ospf, B:bgp, \n"
    "       Oi:ospf intra-area, Oo:ospf inter-area, O1:ospf ext-type-1, O2:ospf ext-type-2, E:ecmp, M:multicast\n"
    "\n"
    "  \n"
    "VIRTUAL ROUTER: VR_HANDOFF (id 3)\n"
    "  ==========\n"
    "destination                                 nexthop                                 metric flags      age   interface          next-AS    \n"
    "0.0.0.0/0                                   192.168.2.49                                   A?B        121661                    0          \n"
    "10.0.0.0/8                                  discard                                 10     A S                                            \n"
    "10.0.0.1/32                                 192.168.2.44                                   A?B        120738                    65213      \n"
    "192.168.2.0/29                              192.168.2.3                             0      A C              ethernet1/8.3111              \n"
    "192.168.2.3/32                              0.0.0.0                                 0      A H                                            \n"
    "total routes shown: 98\n";

/* formats.md 4.3 */
static const char fm_routes[] =
    "flags: A:active, ?:loose, C:connect, H:host, S:static, ~:internal, R:rip, O:ospf, B:bgp, \n"
    "       Oi:ospf intra-area, Oo:ospf inter-area, O1:ospf ext-type-1, O2:ospf ext-type-2, E:ecmp, M:multicast\n"
    "\n"
    "VIRTUAL ROUTER: default (id 1)\n"
    "  ==========\n"
    "destination                                 nexthop                                 metric flags      age   interface          next-AS\n"
    "0.0.0.0/0                                   10.0.2.1                                10     A S              ethernet1/1\n"
    "192.168.0.0/24                              10.100.100.1                            11     A Oi       1253  tunnel.1\n";

/* NTC: networktocode/ntc-templates tests/paloalto_panos/show_counter_global/paloalto_panos_show_counter_global.raw */
static const char ntc_counters[] =
    "Global counters:\n"
    "Elapsed time since last sampling: 349.576 seconds\n"
    "\n"
    "name                                   value     rate severity  category  aspect    description\n"
    "--------------------------------------------------------------------------------\n"
    "pkt_recv                                  29        0 info      packet    pktproc   Packets received\n"
    "pkt_sent                                  21        0 info      packet    pktproc   Packets transmitted\n"
    "pkt_sock_recv                              1        0 info      packet    pktproc   Packets received at socket level - delayed counter\n"
    "pkt_lldp_sent                              1        0 info      packet    pktproc   LLDP Packets transmitted\n"
    "flow_rcv_dot1q_tag_err                     1        0 drop      flow      parse     Packets dropped: 802.1q tag not configured\n"
    "flow_no_interface                          1        0 drop      flow      parse     Packets dropped: invalid interface\n"
    "ssl_hsm_up_down_event_rcv                  1        0 info      ssl       pktproc   The number of HSM up/down events received\n"
    "--------------------------------------------------------------------------------\n"
    "Total counters shown: 7\n"
    "--------------------------------------------------------------------------------\n"
    "\n";

/* NTC: networktocode/ntc-templates tests/paloalto_panos/show_system_info/paloalto_panos_show_system_info.raw */
static const char ntc_sysinfo[] =
    "hostname: pa1\n"
    "ip-address: 10.0.0.90\n"
    "netmask: 255.255.255.0\n"
    "default-gateway: 10.0.0.2\n"
    "ipv6-address: unknown\n"
    "ipv6-link-local-address: fe80::20c:29ff:fe6d:c67e/64\n"
    "ipv6-default-gateway: \n"
    "mac-address: 00:0c:29:6d:c6:7e\n"
    "time: Thu Apr 28 06:33:12 2016\n"
    "uptime: 2 days, 2:38:49\n"
    "family: vm\n"
    "model: PA-VM\n"
    "serial: unknown\n"
    "vm-mac-base: BA:DB:EE:FB:AD:00\n"
    "vm-mac-count: 255\n"
    "vm-uuid: 564D8B6D-7BDB-75AF-400F-B062016DC67E\n"
    "vm-cpuid: FB060000FDFB8B07\n"
    "vm-license: none\n"
    "vm-mode: VMWare ESXi\n"
    "sw-version: 7.0.1\n"
    "global-protect-client-package-version: 0.0.0\n"
    "app-version: 497-2688\n"
    "app-release-date: unknown\n"
    "av-version: 0\n"
    "av-release-date: unknown\n"
    "threat-version: 0\n"
    "threat-release-date: unknown\n"
    "wf-private-version: 0\n"
    "wf-private-release-date: unknown\n"
    "url-db: paloaltonetworks\n"
    "wildfire-version: 0\n"
    "wildfire-release-date: unknown\n"
    "url-filtering-version: 0000.00.00.000\n"
    "global-protect-datafile-version: 0\n"
    "global-protect-datafile-release-date: unknown\n"
    "logdb-version: 7.0.9\n"
    "platform-family: vm\n"
    "vpn-disable-mode: off\n"
    "multi-vsys: off\n"
    "operational-mode: normal\n"
    "\n";

/* NTC: networktocode/ntc-templates tests/paloalto_panos/show_jobs_all/paloalto_panos_show_jobs_all.raw (first rows) */
static const char ntc_jobs[] =
    "Enqueued                     ID             Type    Status Result Completed \n"
    "--------------------------------------------------------------------------\n"
    "2016/04/28 03:05:24        2341      FqdnRefresh       FIN     OK 03:05:41  \n"
    "2016/04/28 02:35:05        2340      FqdnRefresh       FIN     OK 02:35:22  \n"
    "2016/04/28 01:01:43        2336        Antivirus       FIN     OK 01:02:26  \n"
    "\n";

/* NTC: networktocode/ntc-templates tests/paloalto_panos/show_jobs_all/paloalto_panos_show_jobs_all2.raw (first rows) */
static const char ntc_jobs2[] =
    "\n"
    "Enqueued              Dequeued           ID  PositionInQ                              Type                         Status Result Completed\n"
    "------------------------------------------------------------------------------------------------------------------------------------------\n"
    "2017/02/28 10:19:48   10:19:48            7                                    FqdnRefresh                            FIN     OK 10:20:11\n"
    "2017/02/28 10:13:22   10:13:22            5                                         Commit                            FIN     OK 10:13:49\n"
    "2017/02/23 08:31:14   08:31:14            1                                        AutoCom                            FIN     OK 08:32:06\n"
    "\n"
    "\n";

/* KB-CLI-MD (formats.md source index), tab indentation of the Markdown copy kept */
static const char kb_ikesa_gw[] =
    "\t \n"
    "\tphase-1 SAs\n"
    "\tGwID  Peer-Address    Gateway Name    Role Mode Algorithm\n"
    "\t----  -------------  ---------------  ---------------------------               \n"
    "\t1    57.1.1.1        gw-to-Lab1      Init Main PSK/DH2/A128/SHA1\n"
    "\t \n"
    "\tShow IKEv1 IKE SA: Total 1 gateways found.\n";

/* KB-CLI-MD (formats.md source index), tab indentation of the Markdown copy kept */
static const char kb_ipsecsa_tn[] =
    "\t \n"
    "\tGwID  TnID  Peer-Address  Tunnel(Gateway)          Algorithm     \n"
    "\t----  ----- ------------  -----------------------  ------------\n"
    "\t1     2     57.1.1.1      IPVPN-tunnel1.1-to-LAB1  ESP/A128/SHA1\n"
    "\t \n"
    "\tShow IPSec SA: Total 1 tunnels found.\n";

/* formats.md blocks, verbatim (6.1 without its prompt line) */
static const char fm_6_1[] =
    "\n"
    "IKEv1 phase-1 SAs\n"
    "GwID/client IP  Peer-Address           Gateway Name      ...   Role Mode Algorithm             Established     Expiration      V  ST Xt Phase2\n"
    "--------------  ------------           ------------      ...   ---- ---- ---------             -----------     ----------      -  -- -- ------\n"
    "1               10.0.1.2               VyOS              ...   Resp Main PSK/DH14/A128/SHA1    Jul.31 01:35:00 Jul.31 09:35:00 v1 13 1  1\n"
    "\n"
    "Show IKEv1 IKE SA: Total 1 gateways found. 1 ike sa found.\n"
    "\n"
    "IKEv1 phase-2 SAs\n"
    "Gateway Name  ...  TnID     Tunnel                 GwID/IP          Role Algorithm          SPI(in)  SPI(out) MsgID    ST Xt\n"
    "...                1        VyOS-tunnel            1                Resp ESP/    /tunl/SHA2 8827A3D9 C204F4FA BD202829 9  1\n"
    "\n"
    "Show IKEv1 phase2 SA: Total 1 gateways found. 1 ike sa found.\n"
    "\n"
    "There is no IKEv2 SA found.\n";

static const char fm_6_2_liveness[] =
    "IKE Gateway GW, ID 35 2.2.2.2 => 1.1.1.1\n"
    "Current time: Mar.01 13:49:56\n"
    "\n"
    "IKE SA:\n"
    "SPI: 8669654AB024E4AE:CABD66D702C02131 Init\n"
    "State: Established\n"
    "SN: 4\n"
    "Authentication: PSK, peer PSK\n"
    "Proposal: AES256-CBC/SHA256/DH5\n"
    "ID local: ipaddr:2.2.2.2\n"
    "remote: ipaddr:1.1.1.1\n"
    "ID_i: IPv4_address:2.2.2.2\n"
    "ID_r: IPv4_address:1.1.1.1\n"
    "NAT: Not detected\n"
    "Message ID: rx 35, tx 37\n"
    "Liveness check: sending informational packet after idle 5 seconds\n";

static const char fm_6_2_semtech[] =
    "IKE Gateway IKE-PRISMA, ID 1 192.168.1.10 => 144.125.90.106\n"
    "  Current time: Mar.11 12:17:42\n"
    "IKE SA:\n"
    "  SPI:  57D57B99A1063996:B53D13349D134568  Init\n"
    "        State:      Established\n"
    "        SN:         1\n"
    "        Authentication:  PSK, peer PSK\n"
    "        Proposal:   AES256-CBC/SHA256/DH14\n"
    "        ID local:   fqdn:mpelab.duckdns.org\n"
    "           remote:  ipaddr:144.125.90.106\n"
    "        ID_i:       FQDN:mpelab.duckdns.org\n"
    "        ID_r:       IPv4_address:144.125.90.106\n"
    "        NAT:        ME \n"
    "        Message ID: rx 0, tx 142\n"
    "        Liveness check: sending informational packet after idle 5 seconds\n"
    "        Created:    Mar.11 12:06:00, 11 minutes 43 seconds ago\n"
    "        Expires:    Mar.11 20:06:00, rekey in 6 hours 24 minutes 53 seconds (23796 sec)\n"
    "  Child SA 1:\n"
    "        Tunnel 1    WSTPRISMA\n"
    "        Type:       ESP       Init\n"
    "        State:      Mature\n"
    "        Message ID: 00000001\n"
    "        Parent SN:  1\n"
    "        SPI:        DC741738 : 834DBC59 \n"
    "        Algorithm:  AES256-CBC/SHA256/DH14\n"
    "        TS local:   Proto:any, 0.0.0.0-255.255.255.255, Ports:any\n"
    "        TS remote:  Proto:any, 0.0.0.0-255.255.255.255, Ports:any\n"
    "        Created:    Mar.11 12:06:00, 11 minutes 43 seconds ago\n"
    "        Expires:    Mar.11 13:06:00, rekey in 36 minutes 28 seconds (2891 sec)\n"
    "  Child SA 141:\n"
    "        Type:       INFO\n"
    "        State:      Expired\n"
    "        Message ID: 0000008D\n"
    "        Parent SN:  1\n";

static const char fm_6_3[] =
    "GwID/client IP  TnID   Peer-Address           Tunnel(Gateway)        Algorithm          SPI(in)  SPI(out) life(Sec/KB)             remain-time(Sec)\n"
    "--------------  ----   ------------           ---------------        ---------          -------  -------- ------------             ----------------\n"
    "1               1      10.0.1.2               VyOS-tunnel(VyOS)      ESP/A256/SHA256    8827A3D9 C204F4FA 3600/Unlimited           2733\n"
    "\n"
    "Show IPSec SA: Total 1 tunnels found. 1 ipsec sa found.\n";

static const char fm_6_4_flow[] =
    "total tunnels configured: 1\n"
    "filter - type IPSec, state any\n"
    "\n"
    "total IPSec tunnel configured: 1\n"
    "total IPSec tunnel shown: 1\n"
    "\n"
    "id name state monitor local-ip peer-ip tunnel-i/f\n"
    "--------------------------------------------------------------------------\n"
    "4 tunnel active up 172.17.128.135 172.17.128.1\n";

static const char fm_6_4_tunnel[] =
    "        encap packets:    500\n"
    "        decap packets:    500\n"
    "        encap bytes:      54312\n"
    "        decap bytes:      54312\n"
    "        key acquire requests: 35\n";

static const char fm_6_5[] =
    "Global counters:\n"
    "Elapsed time since last sampling: 349.576 seconds\n"
    "\n"
    "name                                   value     rate severity  category  aspect    description\n"
    "--------------------------------------------------------------------------------\n"
    "pkt_recv                                  29        0 info      packet    pktproc   Packets received\n"
    "flow_rcv_dot1q_tag_err                     1        0 drop      flow      parse     Packets dropped: 802.1q tag not configured\n"
    "--------------------------------------------------------------------------------\n"
    "Total counters shown: 7\n"
    "--------------------------------------------------------------------------------\n";

static const char fm_6_6[] =
    "Start time: Mar.11 12:05:54\n"
    "Initiate 1 IKE SA.\n";


/* ---- formats.md §6.7 show clock --------------------------------------------------------------- */

START_TEST(clock_6_7)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ts_parse(&ms, S("> show clock\nSun Apr  5 09:36:57 CEST 2026\n"), 0), 0);
    ck_assert_int_eq(ms.st.units, 2);
    ck_assert_int_eq(ms.st.parsed, 2);
    EQ(ms_fact(&ms, "clock"), "Sun Apr  5 09:36:57 CEST 2026");
    EQ(ms_fact(&ms, "clock-zone"), "CEST");
    EQ(ms_fact(&ms, "clock-local"), "2026-04-05T09:36:57");
    EQ(cli(&ms, "show clock", NULL, "clock"), "Sun Apr  5 09:36:57 CEST 2026");
    EQ(cli(&ms, "show clock", NULL, "zone"), "CEST");
    EQ(cli(&ms, "show clock", NULL, "local"), "2026-04-05T09:36:57");
    const struct ms_cli *c = ms_cli_find(&ms, "show clock", NULL, "clock");
    EQ(c->command, "show clock");
    ck_assert_int_eq(c->occurrence, 1);
    ck_assert_int_eq(c->line, 2);
    ck_assert_ptr_null(c->object);
    ck_assert_int_eq(ms.facts[0].line, 2);
    memsink_free(&ms);
}
END_TEST

START_TEST(clock_rejects_impossible_dates)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show clock\nSun Feb 30 09:36:57 CEST 2026\nnot a clock\n> show clock\nMon Jan  5 23:59:60 UTC 2026\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 2);
    EQ(ms.un[0].reason, "not a show clock line");
    ck_assert_int_eq(ms.un[0].line, 2);
    EQ(ms_fact(&ms, "clock-local"), "2026-01-05T23:59:60");
    EQ(ms_fact(&ms, "clock-zone"), "UTC");
    ck_assert_int_eq(ms.cli[0].occurrence, 2);
    memsink_free(&ms);
}
END_TEST

START_TEST(clock_without_zone)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show clock\nSun Apr  5 09:36:57 2026\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(ms_fact(&ms, "clock-local"), "2026-04-05T09:36:57");
    ck_assert_ptr_null(ms_fact(&ms, "clock-zone"));
    ck_assert_ptr_null(cli(&ms, "show clock", NULL, "zone"));
    memsink_free(&ms);
}
END_TEST

/* ---- §6.1 show vpn ike-sa ------------------------------------------------------------------- */

START_TEST(ikesa_6_1_vyos_verbatim)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ts_run(&ms, "show vpn ike-sa", vyos_ikesa), 0);
    ck_assert_int_eq(ms.st.units, 19);
    ck_assert_int_eq(ms.st.unparsed, 0);
    /* phase 1, line 6 */
    const char *c = "show vpn ike-sa";
    EQ(cli(&ms, c, "VyOS", "GwID/client IP"), "1");
    EQ(cli(&ms, c, "VyOS", "Peer-Address"), "10.0.1.2");
    EQ(cli(&ms, c, "VyOS", "Gateway Name"), "VyOS");
    EQ(cli(&ms, c, "VyOS", "Role"), "Resp");
    EQ(cli(&ms, c, "VyOS", "Mode"), "Main");
    EQ(cli(&ms, c, "VyOS", "Algorithm"), "PSK/DH14/A128/SHA1");
    EQ(cli(&ms, c, "VyOS", "Established"), "Jul.31 01:35:00"); /* no year invented */
    EQ(cli(&ms, c, "VyOS", "Expiration"), "Jul.31 09:35:00");
    EQ(cli(&ms, c, "VyOS", "V"), "v1");
    EQ(cli(&ms, c, "VyOS", "ST"), "13");
    EQ(cli(&ms, c, "VyOS", "Xt"), "1");
    EQ(cli(&ms, c, "VyOS", "Phase2"), "1");
    EQ(cli(&ms, c, "VyOS", "table"), "IKEv1 phase-1 SAs");
    ck_assert_int_eq(ms_cli_find(&ms, c, "VyOS", "ST")->line, 6);
    /* phase 2, line 14: the algorithm holds blanks */
    EQ(cli_line(&ms, 14, "Gateway Name"), "VyOS");
    EQ(cli_line(&ms, 14, "TnID"), "1");
    EQ(cli_line(&ms, 14, "Tunnel"), "VyOS-tunnel");
    EQ(cli_line(&ms, 14, "GwID/IP"), "1");
    EQ(cli_line(&ms, 14, "Role"), "Resp");
    EQ(cli_line(&ms, 14, "Algorithm"), "ESP/    /tunl/SHA2");
    EQ(cli_line(&ms, 14, "SPI(in)"), "8827A3D9");
    EQ(cli_line(&ms, 14, "SPI(out)"), "C204F4FA");
    EQ(cli_line(&ms, 14, "MsgID"), "BD202829");
    EQ(cli_line(&ms, 14, "ST"), "9");
    EQ(cli_line(&ms, 14, "Xt"), "1");
    EQ(cli_line(&ms, 14, "table"), "IKEv1 phase-2 SAs");
    EQ(cli_row(&ms, 14, "ST")->object, "VyOS");
    /* summaries and the empty IKEv2 table */
    EQ(cli_line(&ms, 8, "summary"), "Show IKEv1 IKE SA: Total 1 gateways found. 1 ike sa found.");
    EQ(cli_line(&ms, 16, "summary"), "Show IKEv1 phase2 SA: Total 1 gateways found. 1 ike sa found.");
    EQ(cli_line(&ms, 19, "empty"), "There is no IKEv2 SA found.");
    ck_assert_ptr_null(cli_row(&ms, 19, "empty")->object);
    memsink_free(&ms);
}
END_TEST

/* formats.md's own rendering elides the padding with "..." — not a real output: its summary
 * and empty-state lines still read, the elided table lines are reported, never misread. */
START_TEST(ikesa_6_1_formats_rendering_tolerated)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ts_run(&ms, "show vpn ike-sa", fm_6_1), 0);
    ck_assert_int_eq(ms.st.units, 16);
    EQ(cli(&ms, "show vpn ike-sa", NULL, "empty"), "There is no IKEv2 SA found.");
    EQ(cli_line(&ms, 8, "summary"), "Show IKEv1 IKE SA: Total 1 gateways found. 1 ike sa found.");
    ck_assert_ptr_null(cli(&ms, "show vpn ike-sa", "VyOS", "ST"));
    ck_assert_int_eq(ms.st.unparsed, 5);
    for (size_t i = 0; i < ms.n_un; i++)
        EQ(ms.un[i].reason, "line outside a table");
    memsink_free(&ms);
}
END_TEST

START_TEST(ikesa_6_1_empty_states)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show vpn ike-sa\n"
                    "There is no IKEv1 phase-1 SA found.\n"
                    "There is no IKEv1 phase-2 SA found.\n"
                    "There is no IKEv2 SA found.\n"
                    "> show vpn ipsec-sa\n"
                    "There is no IPSec SA found.\n"
                    "> show vpn ike-sa gateway 1\n"
                    "IKE SA for gateway ID 1 not found.\n"
                    "> show vpn ipsec-sa tunnel WSTPRISMA\n"
                    "IPSec SA for tunnel WSTPRISMA not found.\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli_line(&ms, 2, "empty"), "There is no IKEv1 phase-1 SA found.");
    EQ(cli_line(&ms, 3, "empty"), "There is no IKEv1 phase-2 SA found.");
    EQ(cli_line(&ms, 4, "empty"), "There is no IKEv2 SA found.");
    EQ(cli_line(&ms, 6, "empty"), "There is no IPSec SA found.");
    EQ(cli(&ms, "show vpn ike-sa gateway 1", "1", "empty"), "IKE SA for gateway ID 1 not found.");
    EQ(cli(&ms, "show vpn ipsec-sa tunnel", "WSTPRISMA", "empty"), "IPSec SA for tunnel WSTPRISMA not found.");
    memsink_free(&ms);
}
END_TEST

/* INFERRED: the full IKEv2 header (formats.md §6.1, from LAB-MIKIO's abbreviated one). */
START_TEST(ikesa_ikev2_table_inferred)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show vpn ike-sa\n"
                    "IKEv2 SAs\n"
                    "Gateway ID      Peer-Address           Gateway Name           Role SN       Algorithm             Established     Expiration      Xt Child  ST\n"
                    "----------      ------------           ------------           ---- --       ---------             -----------     ----------      -- -----  --\n"
                    "2               144.125.90.106         IKE-PRISMA             Init 1        PSK/DH14/A256/SHA256  Mar.11 12:06:00 Mar.11 20:06:00 0  1      Established\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "Gateway ID"), "2");
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "Peer-Address"), "144.125.90.106");
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "SN"), "1");
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "Algorithm"), "PSK/DH14/A256/SHA256");
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "Child"), "1");
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "ST"), "Established");
    EQ(cli(&ms, "show vpn ike-sa", "IKE-PRISMA", "table"), "IKEv2 SAs");
    memsink_free(&ms);
}
END_TEST

/* KB-CLI-MD's older `show vpn ike-sa gateway` table: three headers under one rule run. */
START_TEST(ikesa_old_kb_form)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn ike-sa gateway GW-to-Lab1", kb_ikesa_gw);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn ike-sa gateway GW-to-Lab1";
    EQ(cli(&ms, c, "gw-to-Lab1", "GwID"), "1");
    EQ(cli(&ms, c, "gw-to-Lab1", "Peer-Address"), "57.1.1.1");
    EQ(cli(&ms, c, "gw-to-Lab1", "Role Mode Algorithm"), "Init Main PSK/DH2/A128/SHA1");
    EQ(cli(&ms, c, "gw-to-Lab1", "table"), "phase-1 SAs");
    EQ(cli(&ms, c, NULL, "summary"), "Show IKEv1 IKE SA: Total 1 gateways found.");
    memsink_free(&ms);
}
END_TEST

/* ---- §6.2 show vpn ike-sa detail gateway ------------------------------------------------------- */

START_TEST(detail_6_2_liveness)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn ike-sa detail gateway GW", fm_6_2_liveness);
    ck_assert_int_eq(ms.st.unparsed, 0);
    ck_assert_int_eq(ms.st.units, 17);
    const char *c = "show vpn ike-sa detail gateway GW";
    EQ(cli(&ms, c, "GW", "gateway-id"), "35");
    EQ(cli(&ms, c, "GW", "local-ip"), "2.2.2.2");
    EQ(cli(&ms, c, "GW", "peer-ip"), "1.1.1.1");
    EQ(cli(&ms, c, "GW", "Current time"), "Mar.01 13:49:56");
    EQ(cli(&ms, c, "GW", "SPI"), "8669654AB024E4AE:CABD66D702C02131 Init");
    EQ(cli(&ms, c, "GW", "State"), "Established");
    EQ(cli(&ms, c, "GW", "SN"), "4");
    EQ(cli(&ms, c, "GW", "Authentication"), "PSK, peer PSK");
    EQ(cli(&ms, c, "GW", "Proposal"), "AES256-CBC/SHA256/DH5");
    EQ(cli(&ms, c, "GW", "ID local"), "ipaddr:2.2.2.2");
    EQ(cli(&ms, c, "GW", "remote"), "ipaddr:1.1.1.1");
    EQ(cli(&ms, c, "GW", "ID_i"), "IPv4_address:2.2.2.2");
    EQ(cli(&ms, c, "GW", "ID_r"), "IPv4_address:1.1.1.1");
    EQ(cli(&ms, c, "GW", "NAT"), "Not detected");
    EQ(cli(&ms, c, "GW", "Message ID"), "rx 35, tx 37");
    EQ(cli(&ms, c, "GW", "Liveness check"), "sending informational packet after idle 5 seconds");
    memsink_free(&ms);
}
END_TEST

START_TEST(detail_6_2_semtech_child_sas)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn ike-sa detail gateway IKE-PRISMA", fm_6_2_semtech);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn ike-sa detail";
    EQ(cli(&ms, c, "IKE-PRISMA", "gateway-id"), "1");
    EQ(cli(&ms, c, "IKE-PRISMA", "local-ip"), "192.168.1.10");
    EQ(cli(&ms, c, "IKE-PRISMA", "peer-ip"), "144.125.90.106");
    EQ(cli(&ms, c, "IKE-PRISMA", "Current time"), "Mar.11 12:17:42");
    EQ(cli(&ms, c, "IKE-PRISMA", "SPI"), "57D57B99A1063996:B53D13349D134568  Init");
    EQ(cli(&ms, c, "IKE-PRISMA", "State"), "Established");
    EQ(cli(&ms, c, "IKE-PRISMA", "ID local"), "fqdn:mpelab.duckdns.org");
    EQ(cli(&ms, c, "IKE-PRISMA", "remote"), "ipaddr:144.125.90.106");
    EQ(cli(&ms, c, "IKE-PRISMA", "NAT"), "ME");
    EQ(cli(&ms, c, "IKE-PRISMA", "Message ID"), "rx 0, tx 142");
    EQ(cli(&ms, c, "IKE-PRISMA", "Created"), "Mar.11 12:06:00, 11 minutes 43 seconds ago");
    EQ(cli(&ms, c, "IKE-PRISMA", "Expires"), "Mar.11 20:06:00, rekey in 6 hours 24 minutes 53 seconds (23796 sec)");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Tunnel ID"), "1");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Tunnel"), "WSTPRISMA");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Type"), "ESP       Init");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "State"), "Mature");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Message ID"), "00000001");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Parent SN"), "1");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "SPI"), "DC741738 : 834DBC59");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Algorithm"), "AES256-CBC/SHA256/DH14");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "TS local"), "Proto:any, 0.0.0.0-255.255.255.255, Ports:any");
    EQ(cli(&ms, c, "IKE-PRISMA/child 1", "Expires"), "Mar.11 13:06:00, rekey in 36 minutes 28 seconds (2891 sec)");
    EQ(cli(&ms, c, "IKE-PRISMA/child 141", "Type"), "INFO");
    EQ(cli(&ms, c, "IKE-PRISMA/child 141", "State"), "Expired");
    EQ(cli(&ms, c, "IKE-PRISMA/child 141", "Message ID"), "0000008D");
    EQ(cli(&ms, c, "IKE-PRISMA/child 141", "Parent SN"), "1");
    memsink_free(&ms);
}
END_TEST

START_TEST(detail_gateway_from_command_and_unknown_lines)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show vpn ike-sa detail gateway GW-9\n"
                    "IKE SA:\n"
                    "State: Established\n"
                    "some prose without a key\n"
                    "IKE SA for gateway ID 9 not found.\n"), 0);
    EQ(cli(&ms, "show vpn ike-sa detail", "GW-9", "State"), "Established");
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "not a key: value line");
    ck_assert_int_eq(ms.un[0].line, 4);
    EQ(cli(&ms, "show vpn ike-sa detail", "9", "empty"), "IKE SA for gateway ID 9 not found.");
    memsink_free(&ms);
}
END_TEST

/* ---- §6.3 show vpn ipsec-sa ------------------------------------------------------------------ */

static void check_ipsecsa(const struct memsink *ms)
{
    const char *c = "show vpn ipsec-sa";
    EQ(cli(ms, c, "VyOS-tunnel", "GwID/client IP"), "1");
    EQ(cli(ms, c, "VyOS-tunnel", "TnID"), "1");
    EQ(cli(ms, c, "VyOS-tunnel", "Peer-Address"), "10.0.1.2");
    EQ(cli(ms, c, "VyOS-tunnel", "Tunnel(Gateway)"), "VyOS-tunnel(VyOS)");
    EQ(cli(ms, c, "VyOS-tunnel", "Algorithm"), "ESP/A256/SHA256");
    EQ(cli(ms, c, "VyOS-tunnel", "SPI(in)"), "8827A3D9");
    EQ(cli(ms, c, "VyOS-tunnel", "SPI(out)"), "C204F4FA");
    EQ(cli(ms, c, "VyOS-tunnel", "life(Sec/KB)"), "3600/Unlimited");
    EQ(cli(ms, c, "VyOS-tunnel", "remain-time(Sec)"), "2733");
    EQ(cli(ms, c, NULL, "summary"), "Show IPSec SA: Total 1 tunnels found. 1 ipsec sa found.");
    ck_assert_int_eq(ms->st.unparsed, 0);
}

START_TEST(ipsecsa_6_3)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn ipsec-sa", fm_6_3);
    check_ipsecsa(&ms);
    memsink_free(&ms);
    ts_run(&ms, "show vpn ipsec-sa", vyos_ipsecsa); /* the unabridged original */
    check_ipsecsa(&ms);
    memsink_free(&ms);
}
END_TEST

START_TEST(ipsecsa_older_forms)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn ipsec-sa tunnel IPVPN-tunnel1.1-to-LAB1", kb_ipsecsa_tn);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn ipsec-sa tunnel";
    EQ(cli(&ms, c, "IPVPN-tunnel1.1-to-LAB1", "GwID"), "1");
    EQ(cli(&ms, c, "IPVPN-tunnel1.1-to-LAB1", "TnID"), "2");
    EQ(cli(&ms, c, "IPVPN-tunnel1.1-to-LAB1", "Peer-Address"), "57.1.1.1");
    EQ(cli(&ms, c, "IPVPN-tunnel1.1-to-LAB1", "Algorithm"), "ESP/A128/SHA1");
    EQ(cli(&ms, c, NULL, "summary"), "Show IPSec SA: Total 1 tunnels found.");
    memsink_free(&ms);
    ts_parse(&ms, S("> show vpn ipsec-sa summary\nTotal 1 tunnels found. 1 ipsec sa found.\n"), 0);
    EQ(cli(&ms, "show vpn ipsec-sa summary", NULL, "summary"), "Total 1 tunnels found. 1 ipsec sa found.");
    ck_assert_int_eq(ms.st.unparsed, 0);
    memsink_free(&ms);
}
END_TEST

/* ---- §6.4 show vpn flow ------------------------------------------------------------------------ */

START_TEST(flow_6_4_table)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn flow", fm_6_4_flow);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn flow";
    EQ(cli(&ms, c, NULL, "total tunnels configured"), "1");
    EQ(cli(&ms, c, NULL, "filter"), "type IPSec, state any");
    EQ(cli(&ms, c, NULL, "total IPSec tunnel configured"), "1");
    EQ(cli(&ms, c, NULL, "total IPSec tunnel shown"), "1");
    /* the KB copy collapsed the column padding: read by the two addresses */
    EQ(cli(&ms, c, "tunnel", "id"), "4");
    EQ(cli(&ms, c, "tunnel", "name"), "tunnel");
    EQ(cli(&ms, c, "tunnel", "state"), "active");
    EQ(cli(&ms, c, "tunnel", "monitor"), "up");
    EQ(cli(&ms, c, "tunnel", "local-ip"), "172.17.128.135");
    EQ(cli(&ms, c, "tunnel", "peer-ip"), "172.17.128.1");
    ck_assert_ptr_null(cli(&ms, c, "tunnel", "tunnel-i/f"));
    memsink_free(&ms);
    /* padded columns, a name with a blank, the interface present */
    ts_parse(&ms, S("> show vpn flow\n"
                    "id    name                 state   monitor local-ip        peer-ip         tunnel-i/f\n"
                    "-----------------------------------------------------------------------------------------\n"
                    "4     to branch 7          active  up      172.17.128.135  172.17.128.1    tunnel.1\n"
                    "5     dc2                  init    off     172.17.128.135  0.0.0.0         tunnel.2\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, c, "to branch 7", "tunnel-i/f"), "tunnel.1");
    EQ(cli(&ms, c, "dc2", "peer-ip"), "0.0.0.0");
    EQ(cli(&ms, c, "dc2", "state"), "init");
    memsink_free(&ms);
}
END_TEST

START_TEST(flow_6_4_tunnel_id_verified_lines)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn flow tunnel-id 2", fm_6_4_tunnel);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn flow tunnel-id 2";
    EQ(cli(&ms, c, "2", "encap packets"), "500");
    EQ(cli(&ms, c, "2", "decap packets"), "500");
    EQ(cli(&ms, c, "2", "encap bytes"), "54312");
    EQ(cli(&ms, c, "2", "decap bytes"), "54312");
    EQ(cli(&ms, c, "2", "key acquire requests"), "35");
    memsink_free(&ms);
}
END_TEST

/* INFERRED, tolerated: the seed's `show vpn flow tunnel-id 207` with the English keys of
 * formats.md §6.4 and the seed's values; "proxy-id:" and "packets received" sub-blocks. */
static const char flow_207[] =
    "\n"
    "tunnel  sap-sap\n"
    "        id:                     207\n"
    "        type:                   IPSec\n"
    "        gateway id:             90\n"
    "        local ip:               10.1.1.2\n"
    "        peer ip:                10.1.1.1\n"
    "        inner interface:        tunnel.10\n"
    "        outer interface:        ethernet1/21\n"
    "        state:                  active\n"
    "        session:                145372\n"
    "        tunnel mtu:             9128\n"
    "        soft lifetime:          26000\n"
    "        lifetime remain:        25935 sec\n"
    "        latest rekey:           2865 seconds ago\n"
    "        monitor:                off\n"
    "        monitor packets seen:   0\n"
    "        monitor packets reply:  0\n"
    "        en/decap context:       23\n"
    "        local spi:              8AE5524F\n"
    "        remote spi:             B198C409\n"
    "        key type:               auto key\n"
    "        protocol:               ESP\n"
    "        auth algorithm:         SHA1\n"
    "        enc algorithm:          3DES\n"
    "        proxy-id:\n"
    "          local ip:             0.0.0.0/0\n"
    "          remote ip:            0.0.0.0/0\n"
    "          protocol:             0\n"
    "          local port:           0\n"
    "          remote port:          0\n"
    "        anti replay check:      no\n"
    "        copy tos:               no\n"
    "        initiator:              yes\n"
    "        authentication errors:  0\n"
    "        decryption errors:      0\n"
    "        inner packet warnings:  0\n"
    "        replay packets:         0\n"
    "        packets received\n"
    "          when lifetime expired:0\n"
    "          when lifesize expired:0\n"
    "        sending sequence:       0\n"
    "        receive sequence:       0\n"
    "        encap packets:          387833\n"
    "        decap packets:          1483008\n"
    "        encap bytes:            71262032\n"
    "        decap bytes:            2107755408\n"
    "        key acquire requests:   12\n"
    "        owner state:            0\n"
    "        owner cpuid:            s1dp0\n"
    "        ownership:              1\n";

START_TEST(flow_tunnel_id_seed_keys_inferred)
{
    struct memsink ms = {0};
    ts_run(&ms, "show vpn flow tunnel-id 207", flow_207);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn flow tunnel-id 207", *o = "sap-sap";
    EQ(cli(&ms, c, o, "id"), "207");
    EQ(cli(&ms, c, o, "type"), "IPSec");
    EQ(cli(&ms, c, o, "gateway id"), "90");
    EQ(cli(&ms, c, o, "local ip"), "10.1.1.2");
    EQ(cli(&ms, c, o, "peer ip"), "10.1.1.1");
    EQ(cli(&ms, c, o, "inner interface"), "tunnel.10");
    EQ(cli(&ms, c, o, "outer interface"), "ethernet1/21");
    EQ(cli(&ms, c, o, "state"), "active");
    EQ(cli(&ms, c, o, "session"), "145372");
    EQ(cli(&ms, c, o, "tunnel mtu"), "9128");
    EQ(cli(&ms, c, o, "soft lifetime"), "26000"); /* unknown keys are kept as they are */
    EQ(cli(&ms, c, o, "lifetime remain"), "25935 sec");
    EQ(cli(&ms, c, o, "latest rekey"), "2865 seconds ago");
    EQ(cli(&ms, c, o, "monitor"), "off");
    EQ(cli(&ms, c, o, "monitor packets seen"), "0");
    EQ(cli(&ms, c, o, "monitor packets reply"), "0");
    EQ(cli(&ms, c, o, "en/decap context"), "23");
    EQ(cli(&ms, c, o, "local spi"), "8AE5524F");
    EQ(cli(&ms, c, o, "remote spi"), "B198C409");
    EQ(cli(&ms, c, o, "key type"), "auto key");
    EQ(cli(&ms, c, o, "protocol"), "ESP");
    EQ(cli(&ms, c, o, "auth algorithm"), "SHA1");
    EQ(cli(&ms, c, o, "enc algorithm"), "3DES");
    EQ(cli(&ms, c, o, "proxy-id local ip"), "0.0.0.0/0");
    EQ(cli(&ms, c, o, "proxy-id remote ip"), "0.0.0.0/0");
    EQ(cli(&ms, c, o, "proxy-id protocol"), "0");
    EQ(cli(&ms, c, o, "proxy-id local port"), "0");
    EQ(cli(&ms, c, o, "proxy-id remote port"), "0");
    EQ(cli(&ms, c, o, "anti replay check"), "no");
    EQ(cli(&ms, c, o, "copy tos"), "no");
    EQ(cli(&ms, c, o, "initiator"), "yes");
    EQ(cli(&ms, c, o, "authentication errors"), "0");
    EQ(cli(&ms, c, o, "decryption errors"), "0");
    EQ(cli(&ms, c, o, "inner packet warnings"), "0");
    EQ(cli(&ms, c, o, "replay packets"), "0");
    EQ(cli(&ms, c, o, "packets received when lifetime expired"), "0");
    EQ(cli(&ms, c, o, "packets received when lifesize expired"), "0");
    EQ(cli(&ms, c, o, "sending sequence"), "0");
    EQ(cli(&ms, c, o, "receive sequence"), "0");
    EQ(cli(&ms, c, o, "encap packets"), "387833");
    EQ(cli(&ms, c, o, "decap packets"), "1483008");
    EQ(cli(&ms, c, o, "encap bytes"), "71262032");
    EQ(cli(&ms, c, o, "decap bytes"), "2107755408");
    EQ(cli(&ms, c, o, "key acquire requests"), "12");
    EQ(cli(&ms, c, o, "owner state"), "0");
    EQ(cli(&ms, c, o, "owner cpuid"), "s1dp0");
    EQ(cli(&ms, c, o, "ownership"), "1");
    /* the sub-block ended with its indentation: "protocol" after it is the tunnel's */
    ck_assert_ptr_null(cli(&ms, c, o, "proxy-id anti replay check"));
    memsink_free(&ms);
}
END_TEST

/* The seed's flat rendering ("proxy-id local ip: ...", "gateway id:90") reads to the same keys. */
START_TEST(flow_tunnel_flat_proxy_id_inferred)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show vpn flow tunnel-id 207\n"
                    "tunnel  sap-sap\n"
                    "        gateway id:90\n"
                    "        proxy-id local ip: 0.0.0.0/0\n"
                    "        proxy-id remote ip: 0.0.0.0/0\n"
                    "        packets received \n"
                    "          when lifetime expired: 0\n"
                    "        decap packets: 1483008\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show vpn flow", *o = "sap-sap";
    EQ(cli(&ms, c, o, "gateway id"), "90");
    EQ(cli(&ms, c, o, "proxy-id local ip"), "0.0.0.0/0");
    EQ(cli(&ms, c, o, "proxy-id remote ip"), "0.0.0.0/0");
    EQ(cli(&ms, c, o, "packets received when lifetime expired"), "0");
    EQ(cli(&ms, c, o, "decap packets"), "1483008");
    memsink_free(&ms);
}
END_TEST

/* ---- §6.5 show counter global [filter delta yes] --------------------------------------------- */

START_TEST(counters_6_5_raw_and_delta)
{
    size_t n = strlen(fm_6_5);
    char *buf = malloc(2 * n + 128);
    ck_assert_ptr_nonnull(buf);
    int l = sprintf(buf, "> show counter global\n%s> show counter global filter delta yes\n%s", fm_6_5, fm_6_5);
    struct memsink ms = {0};
    ck_assert_int_eq(ts_parse(&ms, buf, (size_t)l, 0), 0);
    free(buf);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *raw = "show counter global";
    EQ(cli(&ms, raw, NULL, "Elapsed time since last sampling"), "349.576 seconds");
    EQ(cli(&ms, raw, "pkt_recv", "value"), "29");
    EQ(cli(&ms, raw, "pkt_recv", "rate"), "0");
    EQ(cli(&ms, raw, "pkt_recv", "severity"), "info");
    EQ(cli(&ms, raw, "pkt_recv", "category"), "packet");
    EQ(cli(&ms, raw, "pkt_recv", "aspect"), "pktproc");
    EQ(cli(&ms, raw, "pkt_recv", "description"), "Packets received");
    EQ(cli(&ms, raw, "flow_rcv_dot1q_tag_err", "value"), "1");
    EQ(cli(&ms, raw, "flow_rcv_dot1q_tag_err", "severity"), "drop");
    EQ(cli(&ms, raw, "flow_rcv_dot1q_tag_err", "category"), "flow");
    EQ(cli(&ms, raw, "flow_rcv_dot1q_tag_err", "aspect"), "parse");
    EQ(cli(&ms, raw, "flow_rcv_dot1q_tag_err", "description"), "Packets dropped: 802.1q tag not configured");
    EQ(cli(&ms, raw, NULL, "Total counters shown"), "7");
    const struct ms_cli *first = ms_cli_find(&ms, raw, "pkt_recv", "value");
    EQ(first->command, "show counter global");
    ck_assert_int_eq(first->occurrence, 1);
    const char *delta = "show counter global filter delta yes";
    const struct ms_cli *d = ms_cli_find(&ms, delta, "pkt_recv", "value");
    ck_assert_ptr_nonnull(d);
    EQ(d->command, delta);
    ck_assert_int_eq(d->occurrence, 1);
    ck_assert_int_eq(d->line, first->line + 11);
    EQ(cli(&ms, delta, NULL, "Elapsed time since last sampling"), "349.576 seconds");
    ck_assert_uint_eq(n_cmd(&ms, raw), n_cmd(&ms, delta));
    memsink_free(&ms);
}
END_TEST

START_TEST(counters_ntc_full_and_bad_rows)
{
    struct memsink ms = {0};
    ts_run(&ms, "show counter global", ntc_counters);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, "show counter global", "pkt_sock_recv", "description"), "Packets received at socket level - delayed counter");
    EQ(cli(&ms, "show counter global", "ssl_hsm_up_down_event_rcv", "category"), "ssl");
    memsink_free(&ms);
    ts_parse(&ms, S("> show counter global\n"
                    "name                                   value     rate severity  category  aspect    description\n"
                    "--------------------------------------------------------------------------------\n"
                    "flow_ipsec_decrypt_err                  abc        0 drop      flow      ipsec     Bad value\n"
                    "flow_arp_entry                            3        0 info      flow      arp       ARP entry not found\n"
                    "truncated_row 5\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 2);
    EQ(ms.un[0].reason, "counter row of unexpected shape");
    ck_assert_int_eq(ms.un[0].line, 4);
    /* a description ending "not found" is not an empty state */
    EQ(cli(&ms, "show counter global", "flow_arp_entry", "description"), "ARP entry not found");
    memsink_free(&ms);
}
END_TEST

/* ---- §6.6 test vpn ike-sa ----------------------------------------------------------------------- */

START_TEST(test_vpn_6_6)
{
    struct memsink ms = {0};
    ts_run(&ms, "test vpn ike-sa gateway IKE-PRISMA", fm_6_6);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, "test vpn ike-sa", NULL, "Start time"), "Mar.11 12:05:54");
    EQ(cli(&ms, "test vpn ike-sa", NULL, "text"), "Initiate 1 IKE SA.");
    memsink_free(&ms);
    ts_parse(&ms, S("> test vpn ike-sa gateway GW-to-Lab1\nInitiate IKE SA: Total 1 gateways found. 1 ike sa found.\n"
                    "> test vpn ipsec-sa tunnel t1\nInitiate IPSec SA: Total 1 tunnels found. 1 ipsec sa found.\n"), 0);
    EQ(cli(&ms, "test vpn ike-sa", NULL, "Initiate IKE SA"), "Total 1 gateways found. 1 ike sa found.");
    EQ(cli(&ms, "test vpn ipsec-sa", NULL, "Initiate IPSec SA"), "Total 1 tunnels found. 1 ipsec sa found.");
    memsink_free(&ms);
}
END_TEST

/* ---- §4.3 show routing route ------------------------------------------------------------------- */

START_TEST(routes_4_3)
{
    struct memsink ms = {0};
    ts_run(&ms, "show routing route", fm_routes);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show routing route";
    EQ(cli(&ms, c, "0.0.0.0/0", "nexthop"), "10.0.2.1");
    EQ(cli(&ms, c, "0.0.0.0/0", "metric"), "10");
    EQ(cli(&ms, c, "0.0.0.0/0", "flags"), "A S");
    EQ(cli(&ms, c, "0.0.0.0/0", "interface"), "ethernet1/1");
    EQ(cli(&ms, c, "0.0.0.0/0", "virtual-router"), "default");
    ck_assert_ptr_null(cli(&ms, c, "0.0.0.0/0", "age")); /* blank, not "-" */
    ck_assert_ptr_null(cli(&ms, c, "0.0.0.0/0", "next-AS"));
    EQ(cli(&ms, c, "192.168.0.0/24", "nexthop"), "10.100.100.1");
    EQ(cli(&ms, c, "192.168.0.0/24", "metric"), "11");
    EQ(cli(&ms, c, "192.168.0.0/24", "flags"), "A Oi");
    EQ(cli(&ms, c, "192.168.0.0/24", "age"), "1253");
    EQ(cli(&ms, c, "192.168.0.0/24", "interface"), "tunnel.1");
    memsink_free(&ms);
}
END_TEST

START_TEST(routes_vyos_and_ntc)
{
    struct memsink ms = {0};
    ts_run(&ms, "show routing route", vyos_routes);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show routing route";
    EQ(cli(&ms, c, "10.0.2.2/32", "flags"), "A H");
    ck_assert_ptr_null(cli(&ms, c, "10.0.2.2/32", "interface"));
    /* two routes to one prefix: told apart by their lines */
    EQ(cli_line(&ms, 13, "flags"), "Oi");
    EQ(cli_line(&ms, 13, "age"), "1273");
    EQ(cli_line(&ms, 13, "metric"), "10");
    EQ(cli_line(&ms, 14, "nexthop"), "10.100.100.2");
    EQ(cli_line(&ms, 14, "flags"), "A C");
    memsink_free(&ms);
    ts_run(&ms, "show routing route", ntc_routes);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, c, "0.0.0.0/0", "nexthop"), "192.168.2.49");
    ck_assert_ptr_null(cli(&ms, c, "0.0.0.0/0", "metric"));
    EQ(cli(&ms, c, "0.0.0.0/0", "flags"), "A?B");
    EQ(cli(&ms, c, "0.0.0.0/0", "age"), "121661");
    EQ(cli(&ms, c, "0.0.0.0/0", "next-AS"), "0");
    EQ(cli(&ms, c, "0.0.0.0/0", "virtual-router"), "VR_HANDOFF");
    EQ(cli(&ms, c, "10.0.0.0/8", "nexthop"), "discard");
    EQ(cli(&ms, c, "10.0.0.1/32", "next-AS"), "65213");
    EQ(cli(&ms, c, "192.168.2.0/29", "interface"), "ethernet1/8.3111");
    EQ(cli(&ms, c, "VR_HANDOFF", "total routes shown"), "98");
    memsink_free(&ms);
}
END_TEST

START_TEST(routes_two_virtual_routers)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show routing route\n"
                    "VIRTUAL ROUTER: default (id 1)\n"
                    "  ==========\n"
                    "destination                                 nexthop                                 metric flags      age   interface          next-AS\n"
                    "0.0.0.0/0                                   10.0.2.1                                10     A S              ethernet1/1\n"
                    "total routes shown: 1\n"
                    "\n"
                    "VIRTUAL ROUTER: vr-b (id 2)\n"
                    "  ==========\n"
                    "destination                                 nexthop                                 metric flags      age   interface          next-AS\n"
                    "10.0.0.0/8                                  192.168.9.1                             10     A S              ethernet1/9\n"
                    "total routes shown: 1\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, "show routing route", "0.0.0.0/0", "virtual-router"), "default");
    EQ(cli(&ms, "show routing route", "10.0.0.0/8", "virtual-router"), "vr-b");
    EQ(cli(&ms, "show routing route", "10.0.0.0/8", "interface"), "ethernet1/9");
    EQ(cli(&ms, "show routing route", "default", "total routes shown"), "1");
    EQ(cli(&ms, "show routing route", "vr-b", "total routes shown"), "1");
    memsink_free(&ms);
}
END_TEST

/* INFERRED shape of the advanced-routing table; "Command deprecated" of the legacy command. */
START_TEST(routes_advanced_routing_inferred)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show routing route\nCommand deprecated\n"
                    "> show advanced-routing route\n"
                    "flags: A:active, E:ecmp, R:rip, O:ospf, B:bgp, S:static, C:connect, H:host\n"
                    "\n"
                    "Logical Router: default\n"
                    "==========================\n"
                    "destination         nexthop          metric  flags  age     interface     next-AS\n"
                    "0.0.0.0/0           203.0.113.1      10      A S            ethernet1/1\n"
                    "10.8.0.0/16         10.255.0.2       20      A B    3605    tunnel.7      65010\n"
                    "\n"
                    "total route shown: 2\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, "show routing route", NULL, "empty"), "Command deprecated");
    const char *c = "show advanced-routing route";
    EQ(cli(&ms, c, "10.8.0.0/16", "nexthop"), "10.255.0.2");
    EQ(cli(&ms, c, "10.8.0.0/16", "flags"), "A B");
    EQ(cli(&ms, c, "10.8.0.0/16", "age"), "3605");
    EQ(cli(&ms, c, "10.8.0.0/16", "interface"), "tunnel.7");
    EQ(cli(&ms, c, "10.8.0.0/16", "next-AS"), "65010");
    EQ(cli(&ms, c, "10.8.0.0/16", "virtual-router"), "default");
    EQ(cli(&ms, c, "default", "total route shown"), "2");
    memsink_free(&ms);
}
END_TEST

/* ---- show system info, high-availability, jobs, fib-lookup ----------------------------------- */

START_TEST(system_info_facts)
{
    struct memsink ms = {0};
    ts_run(&ms, "show system info", ntc_sysinfo);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(ms_fact(&ms, "hostname"), "pa1");
    EQ(ms_fact(&ms, "model"), "PA-VM");
    EQ(ms_fact(&ms, "serial"), "unknown");
    EQ(ms_fact(&ms, "sw-version"), "7.0.1");
    EQ(ms_fact(&ms, "mgmt-ip"), "10.0.0.90");
    EQ(ms_fact(&ms, "uptime"), "2 days, 2:38:49");
    EQ(ms_fact(&ms, "system-time"), "Thu Apr 28 06:33:12 2016");
    EQ(ms_fact(&ms, "multi-vsys"), "off");
    EQ(ms_fact(&ms, "vpn-disable-mode"), "off");
    ck_assert_ptr_null(ms_fact(&ms, "advanced-routing"));
    const char *c = "show system info";
    EQ(cli(&ms, c, NULL, "mac-address"), "00:0c:29:6d:c6:7e");
    EQ(cli(&ms, c, NULL, "ipv6-link-local-address"), "fe80::20c:29ff:fe6d:c67e/64");
    EQ(cli(&ms, c, NULL, "ipv6-default-gateway"), "");
    EQ(cli(&ms, c, NULL, "vm-mode"), "VMWare ESXi");
    EQ(cli(&ms, c, NULL, "operational-mode"), "normal");
    ck_assert_uint_eq(n_cmd(&ms, c), 40);
    memsink_free(&ms);
    ts_parse(&ms, S("> show system info\nhostname: fw-dc1\nadvanced-routing: on\nthis line is prose\n"), 0);
    EQ(ms_fact(&ms, "advanced-routing"), "on");
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "not a key: value line");
    memsink_free(&ms);
}
END_TEST

static const char ha_all[] =
    "Group 1: \n"
    "  Mode: Active-Passive\n"
    "  Local Information:\n"
    "    Version: 1\n"
    "    Mode: Active-Passive\n"
    "    State: active (last 45 days)\n"
    "    Device Information:\n"
    "      Model: PA-5020\n"
    "      Management IPv6 Address: \n"
    "      Jumbo-Frames disabled; MTU 1500\n"
    "    HA1 Control Link Information:\n"
    "      Link State: Up; Setting: 1Gb/s-full\n"
    "      Key Imported : no\n"
    "    Election Option Information:\n"
    "      Priority: 50\n"
    "      Max # of Flaps: 3\n"
    "    State Synchronization: Complete; type: ethernet\n"
    "  Peer Information:\n"
    "    Connection status: up\n"
    "    State: passive (last 45 days)\n"
    "    HA1 Control Link Information:\n"
    "      Connection up; Primary HA1 link\n"
    "  Link Monitoring Information:\n"
    "    Group Link:\n"
    "      Interface ethernet1/1: up\n";

START_TEST(high_availability)
{
    struct memsink ms = {0};
    ts_run(&ms, "show high-availability all", ha_all); /* NTC, abridged */
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(ms_fact(&ms, "ha-state"), "active");
    EQ(ms_fact(&ms, "ha-peer-state"), "passive");
    EQ(ms_fact(&ms, "ha-mode"), "Active-Passive");
    const char *c = "show high-availability all";
    EQ(cli(&ms, c, "Group 1/Local Information", "State"), "active (last 45 days)");
    EQ(cli(&ms, c, "Group 1/Local Information/Device Information", "Model"), "PA-5020");
    EQ(cli(&ms, c, "Group 1/Local Information/Device Information", "text"), "Jumbo-Frames disabled; MTU 1500");
    EQ(cli(&ms, c, "Group 1/Local Information/HA1 Control Link Information", "Link State"), "Up; Setting: 1Gb/s-full");
    EQ(cli(&ms, c, "Group 1/Local Information/HA1 Control Link Information", "Key Imported"), "no");
    EQ(cli(&ms, c, "Group 1/Local Information/Election Option Information", "Max # of Flaps"), "3");
    EQ(cli(&ms, c, "Group 1/Local Information", "State Synchronization"), "Complete; type: ethernet");
    EQ(cli(&ms, c, "Group 1/Peer Information", "Connection status"), "up");
    EQ(cli(&ms, c, "Group 1/Link Monitoring Information/Group Link", "Interface ethernet1/1"), "up");
    memsink_free(&ms);
    ts_parse(&ms, S("> show high-availability all\nHA not enabled\n"), 0); /* INFERRED wording */
    EQ(ms_fact(&ms, "ha-state"), "disabled");
    EQ(cli(&ms, "show high-availability", NULL, "empty"), "HA not enabled");
    memsink_free(&ms);
}
END_TEST

START_TEST(jobs_processed)
{
    struct memsink ms = {0};
    ts_run(&ms, "show jobs processed", ntc_jobs);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "show jobs processed";
    EQ(cli(&ms, c, "2341", "time"), "2016/04/28 03:05:24");
    EQ(cli(&ms, c, "2341", "type"), "FqdnRefresh");
    EQ(cli(&ms, c, "2341", "status"), "FIN");
    EQ(cli(&ms, c, "2341", "result"), "OK");
    EQ(cli(&ms, c, "2341", "completed"), "03:05:41");
    EQ(cli(&ms, c, "2336", "type"), "Antivirus");
    memsink_free(&ms);
    ts_run(&ms, "show jobs processed", ntc_jobs2);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, c, "5", "type"), "Commit");
    EQ(cli(&ms, c, "5", "dequeued"), "10:13:22");
    EQ(cli(&ms, c, "5", "time"), "2017/02/28 10:13:22");
    EQ(cli(&ms, c, "5", "completed"), "10:13:49");
    EQ(cli(&ms, c, "1", "type"), "AutoCom");
    EQ(cli(&ms, c, "7", "result"), "OK");
    memsink_free(&ms);
    ts_parse(&ms, S("> show jobs processed\n"
                    "Enqueued              Dequeued           ID  Type    Status Result Completed\n"
                    "-------------------------------------------------------------------------\n"
                    "2024/01/18 10:00:04   10:00:04         1234  Commit  FIN    FAIL   10:00:40\n"
                    "garbage row\n"), 0);
    EQ(cli(&ms, c, "1234", "result"), "FAIL");
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "job row of unexpected shape");
    memsink_free(&ms);
}
END_TEST

/* INFERRED: no public fib-lookup output (formats.md §6.7); read leniently. */
START_TEST(fib_lookup_lenient)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> test routing fib-lookup virtual-router default ip 10.1.1.1\n"
                    "\n"
                    "runtime route lookup\n"
                    "--------------------------------------------------------------------------------\n"
                    "virtual-router:   default\n"
                    "destination:      10.1.1.1\n"
                    "result:\n"
                    "  via 10.0.0.1 interface ethernet1/1, source 10.0.0.2, metric 10\n"
                    "--------------------------------------------------------------------------------\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    const char *c = "test routing fib-lookup";
    EQ(cli(&ms, c, NULL, "virtual-router"), "default");
    EQ(cli(&ms, c, NULL, "destination"), "10.1.1.1");
    EQ(cli(&ms, c, NULL, "text"), "runtime route lookup");
    EQ(cli(&ms, c, "result", "text"), "via 10.0.0.1 interface ethernet1/1, source 10.0.0.2, metric 10");
    memsink_free(&ms);
}
END_TEST

/* ---- §5 the dump as a whole --------------------------------------------------------------------- */

START_TEST(sections_occurrence_and_target_dp)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("techsupport generated Sun Apr  5 09:36:57 CEST 2026\n"
                    "> show clock\n"
                    "Sun Apr  5 09:36:57 CEST 2026\n"
                    "> show interface all\n"
                    "total configured hardware interfaces: 4\n"
                    "whatever: the parser does not read this\n"
                    ">   show   clock  \n"
                    "Sun Apr  5 09:37:01 CEST 2026\n"
                    "> set system setting target-dp s1dp0\n"
                    "Session target dp changed to s1dp0\n"
                    "> show counter global\n"
                    "name                                   value     rate severity  category  aspect    description\n"
                    "--------------------------------------------------------------------------------\n"
                    "pkt_recv                                  29        0 info      packet    pktproc   Packets received\n"
                    "> set system setting target-dp s1dp1\n"
                    "> show counter global\n"
                    "name                                   value     rate severity  category  aspect    description\n"
                    "--------------------------------------------------------------------------------\n"
                    "pkt_recv                                  31        0 info      packet    pktproc   Packets received\n"
                    "> show counter global\n"
                    "name                                   value     rate severity  category  aspect    description\n"
                    "--------------------------------------------------------------------------------\n"
                    "pkt_recv                                  33        0 info      packet    pktproc   Packets received\n"
                    "> set system setting target-dp none\n"
                    "> show counter global\n"
                    "name                                   value     rate severity  category  aspect    description\n"
                    "--------------------------------------------------------------------------------\n"
                    "pkt_recv                                  35        0 info      packet    pktproc   Packets received\n"
                    ">\n"
                    "> show vpn flow\n"), 0);
    ck_assert_int_eq(ms.st.units, 30);
    ck_assert_int_eq(ms.st.parsed, 30);
    ck_assert_uint_eq(n_cmd(&ms, "show interface all"), 0);
    /* the second `show clock` (whitespace collapsed) is occurrence 2 */
    const struct ms_cli *c2 = cli_row(&ms, 8, "clock");
    ck_assert_ptr_nonnull(c2);
    EQ(c2->command, "show clock");
    ck_assert_int_eq(c2->occurrence, 2);
    const struct ms_cli *a = cli_row(&ms, 14, "value"), *b = cli_row(&ms, 19, "value");
    const struct ms_cli *d = cli_row(&ms, 23, "value"), *e = cli_row(&ms, 28, "value");
    EQ(a->object, "s1dp0/pkt_recv");
    ck_assert_int_eq(a->occurrence, 1);
    EQ(b->object, "s1dp1/pkt_recv");
    ck_assert_int_eq(b->occurrence, 1);
    EQ(d->object, "s1dp1/pkt_recv");
    ck_assert_int_eq(d->occurrence, 2);
    EQ(d->value, "33");
    EQ(e->object, "pkt_recv");
    ck_assert_int_eq(e->occurrence, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(table_lines_outside_a_table)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show vpn ike-sa\n"
                    "1               10.0.1.2               VyOS\n"
                    "> show routing route\n"
                    "0.0.0.0/0       10.0.2.1    10\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 2);
    EQ(ms.un[0].reason, "line outside a table");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_int_eq(ms.un[1].line, 4);
    memsink_free(&ms);
}
END_TEST

/* ---- hostile input ----------------------------------------------------------------------------- */

START_TEST(hostile_empty)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ts_parse(&ms, "", 0, 0), 0);
    ck_assert_int_eq(ms.st.units, 0);
    ck_assert_uint_eq(ms.n_cli, 0);
    ck_assert_int_eq(ms.st.first_local_us, INT64_MIN);
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_header_without_body)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ts_parse(&ms, S("> show clock\n> show vpn ike-sa\n> show counter global\n"
                                     "name value rate severity category aspect description\n"), 0), 0);
    ck_assert_int_eq(ms.st.units, 4);
    ck_assert_int_eq(ms.st.parsed, 3);
    ck_assert_int_eq(ms.st.unparsed, 1); /* a header held for a rule that never came */
    EQ(ms.un[0].reason, "line outside a table");
    ck_assert_uint_eq(ms.n_cli, 0);
    ck_assert_uint_eq(ms.n_facts, 0);
    memsink_free(&ms);
    ck_assert_int_eq(ts_parse(&ms, S("> show vpn ike-sa"), 0), 0); /* no newline at all */
    ck_assert_int_eq(ms.st.units, 1);
    ck_assert_int_eq(ms.st.parsed, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_crlf_and_tiny_reads)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show clock\r\nSun Apr  5 09:36:57 CEST 2026\r\n> show vpn ipsec-sa\r\n"
                    "GwID/client IP  TnID   Peer-Address           Tunnel(Gateway)        Algorithm\r\n"
                    "--------------  ----   ------------           ---------------        ---------\r\n"
                    "1               1      10.0.1.2               VyOS-tunnel(VyOS)      ESP/A256/SHA256\r\n"), 1);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(ms_fact(&ms, "clock-zone"), "CEST");
    EQ(cli(&ms, "show vpn ipsec-sa", "VyOS-tunnel", "Algorithm"), "ESP/A256/SHA256");
    ck_assert_uint_eq(ms.n_dg, 1);
    EQ(ms.dg[0].check, "line-endings");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_2mib_line)
{
    static const char head[] = "> show vpn ike-sa\n";
    static const char tail[] = "\nThere is no IKEv2 SA found.\n";
    size_t big = (size_t)2 << 20;
    char *buf = malloc(sizeof head + big + sizeof tail);
    ck_assert_ptr_nonnull(buf);
    size_t at = 0;
    memcpy(buf, head, sizeof head - 1);
    at += sizeof head - 1;
    memset(buf + at, '-', big); /* a rule-shaped monster */
    at += big;
    memcpy(buf + at, tail, sizeof tail - 1);
    at += sizeof tail - 1;
    struct memsink ms = {0};
    ck_assert_int_eq(ts_parse(&ms, buf, at, 0), 0);
    free(buf);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "line longer than 1 MiB");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_uint_eq(ms.un[0].text_len, IKM_LINE_MAX);
    EQ(cli(&ms, "show vpn ike-sa", NULL, "empty"), "There is no IKEv2 SA found.");
    ck_assert_int_eq(ms.st.errors, 1);
    EQ(ms.dg[0].check, "line-length");
    ck_assert_ptr_nonnull(strstr(ms.dg[0].message, "2097152 bytes"));
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_nul_bytes)
{
    static const char text[] = "\0\0\0\0> show clock\n"
                               "Sun Apr  5 09:36:57 CEST 2026\n"
                               "\0\0\0\n"
                               "> show system info\n"
                               "hostname: a\0b\n";
    struct memsink ms = {0};
    ts_parse(&ms, text, sizeof text - 1, 0);
    ck_assert_int_eq(ms.st.units, 5);
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "NUL bytes only");
    ck_assert_int_eq(ms.un[0].line, 3);
    EQ(ms_fact(&ms, "clock-zone"), "CEST");
    const struct ms_cli *h = ms_cli_find(&ms, "show system info", NULL, "hostname");
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(memcmp(h->value, "a\0b", 3), 0); /* kept as bytes */
    ck_assert_uint_ge(ms.n_dg, 2);
    EQ(ms.dg[0].check, "nul-bytes");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_invalid_utf8)
{
    struct memsink ms = {0};
    ts_parse(&ms, S("> show system info\nhostname: caf\xe9-\xff\n> show vpn flow tunnel-id 1\ntunnel  t\xc3\n  state: active\n"), 0);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(ms_fact(&ms, "hostname"), "caf\xe9-\xff");
    EQ(cli(&ms, "show vpn flow", "t\xc3", "state"), "active");
    ck_assert_uint_eq(ms.n_dg, 2);
    EQ(ms.dg[0].check, "utf8");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_many_columns_and_tokens)
{
    /* more rule runs than columns kept, more tokens than kept: bounded, nothing lost */
    char hdr[600], rule[600], row[1200];
    size_t h = 0, r = 0, w = 0;
    for (int i = 0; i < 60; i++) {
        h += (size_t)sprintf(hdr + h, "c%02d ", i);
        r += (size_t)sprintf(rule + r, "--- ");
        w += (size_t)sprintf(row + w, "v%02d ", i);
    }
    for (int i = 0; i < 100; i++)
        w += (size_t)sprintf(row + w, "x ");
    char *buf = malloc(4096);
    ck_assert_ptr_nonnull(buf);
    int l = snprintf(buf, 4096, "> show vpn ipsec-sa\n%s\n%s\n%s\n", hdr, rule, row);
    struct memsink ms = {0};
    ts_parse(&ms, buf, (size_t)l, 0);
    free(buf);
    ck_assert_int_eq(ms.st.unparsed, 0);
    EQ(cli(&ms, "show vpn ipsec-sa", "v00", "c00"), "v00");
    EQ(cli(&ms, "show vpn ipsec-sa", "v00", "c30"), "v30");
    const char *last = cli(&ms, "show vpn ipsec-sa", "v00", "c31 c32 c33 c34 c35 c36 c37 c38 c39 c40 c41 c42 c43 c44 c45 c46 c47 c48 c49 c50 c51 c52 c53 c54 c55 c56 c57 c58 c59");
    ck_assert_ptr_nonnull(last);
    ck_assert_ptr_nonnull(strstr(last, "v59 x x"));
    memsink_free(&ms);
}
END_TEST

struct fail_stream {
    const char *p;
    size_t len, pos;
};
static ssize_t fail_read(void *ctx, void *buf, size_t n)
{
    struct fail_stream *s = ctx;
    if (s->pos >= s->len)
        return -1;
    size_t k = s->len - s->pos < n ? s->len - s->pos : n;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}
static const char *fail_error(void *ctx)
{
    (void)ctx;
    return "truncated tar member";
}

START_TEST(hostile_read_error_keeps_what_came_before)
{
    static const char text[] = "> show clock\nSun Apr  5 09:36:57 CEST 2026\n> show vpn ike-sa\nThere is no";
    struct fail_stream fs = {text, sizeof text - 1, 0};
    struct ikm_stream st = {&fs, fail_read, fail_error};
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    ck_assert_int_eq(techsupport_parse_stream(st, &sink, &ms.st), 1);
    ms_check_accounting(&ms);
    EQ(ms_fact(&ms, "clock-zone"), "CEST");
    ck_assert_int_eq(ms.st.units, 4);
    EQ(ms.dg[ms.n_dg - 1].check, "read");
    ck_assert_ptr_nonnull(strstr(ms.dg[ms.n_dg - 1].message, "truncated tar member"));
    memsink_free(&ms);
}
END_TEST

static int refuse_cli(void *ctx, const struct ikm_cli_value *v)
{
    (void)ctx, (void)v;
    return -1;
}

START_TEST(sink_failure_and_optional_callbacks)
{
    struct ms_str_stream ss;
    struct ikm_source_stats st;
    /* only the required-by-convention unparsed callback: every optional one NULL */
    struct ikm_sink bare = {0};
    ck_assert_int_eq(techsupport_parse_stream(ms_stream(&ss, S(fm_6_2_semtech), 0), &bare, &st), 0);
    ck_assert_int_eq(st.parsed + st.unparsed, st.units);
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    sink.cli_value = refuse_cli;
    ck_assert_int_eq(techsupport_parse_stream(ms_stream(&ss, S("> show clock\nSun Apr  5 09:36:57 CEST 2026\n> show clock\n"), 0),
                                              &sink, &st), -1);
    memsink_free(&ms);
}
END_TEST

START_TEST(sniff)
{
    ck_assert_int_ge(techsupport_sniff(S("> show clock\nSun Apr  5 09:36:57 CEST 2026\n> show system info\nhostname: x\n")), 90);
    ck_assert_int_ge(techsupport_sniff(S("some banner\n\n> show vpn ike-sa\nThere is no IKEv2 SA found.\n")), 30);
    ck_assert_int_eq(techsupport_sniff(S("2019-03-06 17:26:28.000 -0800  [INFO]: DPD down\n")), 0);
    ck_assert_int_eq(techsupport_sniff(S("> quoted mail line\n")), 0);
    ck_assert_int_eq(techsupport_sniff("", 0), 0);
    ck_assert_int_le(techsupport_sniff(S("> show clock\n> show clock\n> show clock\n> show clock\n")), 100);
}
END_TEST

Suite *techsupport_suite(void);
Suite *techsupport_suite(void)
{
    Suite *s = suite_create("techsupport");
    TCase *t = tcase_create("sections");
    tcase_add_test(t, clock_6_7);
    tcase_add_test(t, clock_rejects_impossible_dates);
    tcase_add_test(t, clock_without_zone);
    tcase_add_test(t, ikesa_6_1_vyos_verbatim);
    tcase_add_test(t, ikesa_6_1_formats_rendering_tolerated);
    tcase_add_test(t, ikesa_6_1_empty_states);
    tcase_add_test(t, ikesa_ikev2_table_inferred);
    tcase_add_test(t, ikesa_old_kb_form);
    tcase_add_test(t, detail_6_2_liveness);
    tcase_add_test(t, detail_6_2_semtech_child_sas);
    tcase_add_test(t, detail_gateway_from_command_and_unknown_lines);
    tcase_add_test(t, ipsecsa_6_3);
    tcase_add_test(t, ipsecsa_older_forms);
    tcase_add_test(t, flow_6_4_table);
    tcase_add_test(t, flow_6_4_tunnel_id_verified_lines);
    tcase_add_test(t, flow_tunnel_id_seed_keys_inferred);
    tcase_add_test(t, flow_tunnel_flat_proxy_id_inferred);
    tcase_add_test(t, counters_6_5_raw_and_delta);
    tcase_add_test(t, counters_ntc_full_and_bad_rows);
    tcase_add_test(t, test_vpn_6_6);
    tcase_add_test(t, routes_4_3);
    tcase_add_test(t, routes_vyos_and_ntc);
    tcase_add_test(t, routes_two_virtual_routers);
    tcase_add_test(t, routes_advanced_routing_inferred);
    tcase_add_test(t, system_info_facts);
    tcase_add_test(t, high_availability);
    tcase_add_test(t, jobs_processed);
    tcase_add_test(t, fib_lookup_lenient);
    tcase_add_test(t, sections_occurrence_and_target_dp);
    tcase_add_test(t, table_lines_outside_a_table);
    tcase_add_test(t, sniff);
    suite_add_tcase(s, t);
    TCase *h = tcase_create("hostile");
    tcase_set_timeout(h, 30);
    tcase_add_test(h, hostile_empty);
    tcase_add_test(h, hostile_header_without_body);
    tcase_add_test(h, hostile_crlf_and_tiny_reads);
    tcase_add_test(h, hostile_2mib_line);
    tcase_add_test(h, hostile_nul_bytes);
    tcase_add_test(h, hostile_invalid_utf8);
    tcase_add_test(h, hostile_many_columns_and_tokens);
    tcase_add_test(h, hostile_read_error_keeps_what_came_before);
    tcase_add_test(h, sink_failure_and_optional_callbacks);
    suite_add_tcase(s, h);
    return s;
}
