/*
 * test_routed.c — the routing daemon log parser: every catalog pattern's sample, FRR lines as
 * published (FRR/Cumulus documentation, FRR format strings), the INFERRED routed.log family,
 * time-zone states and hostile input. Expected times were computed independently (Python
 * datetime).
 */
#include "memsink.h"

#include "../parsers/routed.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(text) (text), (sizeof(text) - 1)

#define EQ(got, want)                                                                              \
    do {                                                                                           \
        const char *g_ = (got);                                                                    \
        ck_assert_msg(g_ && strcmp(g_, (want)) == 0, "line %d: got '%s', want '%s'", __LINE__,     \
                      g_ ? g_ : "(null)", (want));                                                 \
    } while (0)

static int rt_parse(struct memsink *ms, const char *text, size_t len, size_t chunk)
{
    struct ms_str_stream ss;
    struct ikm_stream st = ms_stream(&ss, text, len, chunk);
    struct ikm_sink sink = memsink_sink(ms);
    int r = routed_parse_stream(st, &sink, &ms->st);
    ms_check_accounting(ms);
    return r;
}

/* formats.md §4.2: the "#LR:" header, then FRR lines (these texts: FRR/Cumulus docs and FRR's
 * own ospfd/bgpd messages; not yet seen verbatim in a PAN TSF). */
static const char frr_export[] =
    "#LR:default (1)\n"
    "2026/08/25 19:13:32 ZEBRA: [HSYZM-HV7HF] MESSAGE: ZEBRA_INTERFACE_DOWN eth2 vrf default(0)\n"
    "2026/08/25 19:13:33 OSPF: [Y05P2-YJVXY] AdjChg: Nbr 10.255.0.3, NbrIP 10.0.23.2 (default) on eth2:10.0.23.1: Full -> Deleted (KillNbr)\n"
    "2016/07/08 10:12:16.682071 BGP: %ADJCHANGE: neighbor 192.0.2.2 Up\n"
    "2026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.77.0.2(PEER_ROUTER_B) in vrf default Down Admin. shutdown\n"
    "2026/09/29 18:25:05 BGP: [EC 33554452] %NOTIFICATION: sent to neighbor 10.77.0.2 6/2 (Cease/Administrative Shutdown) 0 bytes\n";

START_TEST(frr_export_log)
{
    struct memsink ms = {0};
    ck_assert_int_eq(rt_parse(&ms, S(frr_export), 0), 0);
    ck_assert_int_eq(ms.st.units, 6);
    ck_assert_int_eq(ms.st.parsed, 6);
    ck_assert_uint_eq(ms.n_ev, 3);
    const struct ms_event *o = &ms.ev[0];
    ck_assert_int_eq(o->kind, IKM_EV_ROUTE_CHANGE);
    ck_assert_int_eq(o->line, 3);
    ck_assert_int_eq(o->state, IKM_TZ_PENDING);
    ck_assert_int_eq(o->local_us, 1787685213000000LL);
    ck_assert_int_eq(o->utc_us, o->local_us);
    EQ(o->ts_text, "2026/08/25 19:13:33");
    ck_assert_int_eq(o->level, IKM_LVL_NONE);
    EQ(ms_attr(o, "protocol"), "ospf");
    EQ(ms_attr(o, "neighbor"), "10.255.0.3");
    EQ(ms_attr(o, "neighbor_ip"), "10.0.23.2");
    EQ(ms_attr(o, "from_state"), "Full");
    EQ(ms_attr(o, "to_state"), "Deleted");
    EQ(ms_attr(o, "state"), "Deleted");
    EQ(ms_attr(o, "cause"), "KillNbr");
    EQ(ms_attr(o, "logical_router"), "default");
    EQ(ms_attr(o, "pattern"), "ospf-adjchg");
    ck_assert_ptr_null(ms_attr(o, "prefix"));
    ck_assert_ptr_nonnull(strstr(o->msg, "OSPF: [Y05P2-YJVXY] AdjChg"));
    const struct ms_event *up = &ms.ev[1], *down = &ms.ev[2];
    ck_assert_int_eq(up->local_us, 1467972736682071LL);
    EQ(ms_attr(up, "protocol"), "bgp");
    EQ(ms_attr(up, "neighbor"), "192.0.2.2");
    EQ(ms_attr(up, "state"), "Up");
    ck_assert_int_eq(down->local_us, 1790706300000000LL);
    EQ(ms_attr(down, "neighbor"), "10.77.0.2");
    EQ(ms_attr(down, "state"), "Down");
    EQ(ms_attr(down, "cause"), "Admin. shutdown");
    EQ(ms_attr(down, "logical_router"), "default");
    ck_assert_int_eq(ms.st.events_by_kind[IKM_EV_ROUTE_CHANGE], 3);
    ck_assert_int_eq(ms.st.pending_rows, 3);
    ck_assert_int_eq(ms.st.has_offset, 0);
    ck_assert_int_eq(ms.st.first_local_us, 1467972736682071LL);
    ck_assert_int_eq(ms.st.last_local_us, 1790706300000000LL + 5000000);
    memsink_free(&ms);
}
END_TEST

/* INFERRED (formats.md §4.1): the PAN standard family, path-monitor and neighbour lines. */
static const char routed_log[] =
    "2024-07-15 10:55:41.005 -0700 Info: pan_rt_pathmon(pan_rt_pathmon.c:311): Path monitor for static route 0.0.0.0/0 destination 8.8.8.8 in virtual router default is down\n"
    "2024-07-15 10:55:41.100 -0700 Info: pan_rt_spf(pan_ospf_spf.c:88): SPF calculation for area 0.0.0.0 done\n"
    "  continuation of the SPF record\n"
    "2024-07-15 10:56:02.000 Debug: BGP peer 10.255.0.2 state changed from OpenConfirm to Established\n"
    "  extra detail\n"
    "2024-07-15 10:56:03.000 -0700 Info: route 10.8.0.0/16 via 10.255.0.2 added to FIB\n"
    "2024-07-15 10:56:04.000 -0700 Info: Interface ethernet1/1 changed state to up\n";

START_TEST(routed_log_inferred)
{
    struct memsink ms = {0};
    ck_assert_int_eq(rt_parse(&ms, S(routed_log), 0), 0);
    ck_assert_int_eq(ms.st.units, 7);
    ck_assert_int_eq(ms.st.parsed, 7);
    ck_assert_uint_eq(ms.n_ev, 3);
    const struct ms_event *pm = &ms.ev[0];
    ck_assert_int_eq(pm->line, 1);
    ck_assert_int_eq(pm->state, IKM_TZ_LINE);
    ck_assert_int_eq(pm->offset_min, -420);
    ck_assert_int_eq(pm->local_us, 1721040941005000LL);
    ck_assert_int_eq(pm->utc_us, 1721066141005000LL);
    EQ(pm->ts_text, "2024-07-15 10:55:41.005 -0700");
    ck_assert_int_eq(pm->level, IKM_LVL_INFO);
    EQ(pm->level_raw, "Info");
    EQ(ms_attr(pm, "state"), "down");
    EQ(ms_attr(pm, "prefix"), "0.0.0.0/0");
    EQ(ms_attr(pm, "protocol"), "static");
    EQ(ms_attr(pm, "srcloc"), "pan_rt_pathmon(pan_rt_pathmon.c:311)");
    EQ(ms_attr(pm, "pattern"), "path-monitor");
    const struct ms_event *bgp = &ms.ev[1];
    ck_assert_int_eq(bgp->state, IKM_TZ_FILE); /* offset taken from the lines before */
    ck_assert_int_eq(bgp->utc_us, 1721066162000000LL);
    ck_assert_int_eq(bgp->level, IKM_LVL_DEBUG);
    EQ(ms_attr(bgp, "protocol"), "bgp");
    EQ(ms_attr(bgp, "neighbor"), "10.255.0.2");
    EQ(ms_attr(bgp, "from_state"), "OpenConfirm");
    EQ(ms_attr(bgp, "to_state"), "Established");
    EQ(ms_attr(bgp, "state"), "Established");
    EQ(bgp->msg, "BGP peer 10.255.0.2 state changed from OpenConfirm to Established\n  extra detail");
    const struct ms_event *rt = &ms.ev[2];
    EQ(ms_attr(rt, "prefix"), "10.8.0.0/16");
    EQ(ms_attr(rt, "action"), "add");
    ck_assert_ptr_null(ms_attr(rt, "protocol"));
    ck_assert_ptr_null(ms_attr(rt, "logical_router"));
    ck_assert_int_eq(ms.st.has_offset, 1);
    ck_assert_int_eq(ms.st.first_offset_min, -420);
    ck_assert_int_eq(ms.st.pending_rows, 0);
    memsink_free(&ms);
}
END_TEST

START_TEST(catalog_samples)
{
    for (size_t i = 0; i < routed_pattern_count(); i++) {
        const char *s = routed_pattern_sample(i);
        int c = routed_classify(s, strlen(s));
        ck_assert_msg(c == (int)i, "sample of %s classified as %d", routed_pattern_name(i), c);
    }
    ck_assert_ptr_null(routed_pattern_name(routed_pattern_count()));
    ck_assert_int_eq(routed_classify(S("SPF calculation for area 0.0.0.0 done")), -1);
    ck_assert_int_eq(routed_classify(S("MESSAGE: ZEBRA_INTERFACE_DOWN eth2 vrf default(0)")), -1);
    ck_assert_int_eq(routed_classify(S("%NOTIFICATION: sent to neighbor 10.77.0.2 6/2 (Cease/Administrative Shutdown) 0 bytes")), -1);
}
END_TEST

/* Each sample as a whole FRR line: the fields it must give. */
START_TEST(catalog_sample_fields)
{
    static const struct {
        const char *line;
        const char *key, *value;
    } cases[] = {
        {"2026/09/29 18:25:00 BGP: 10.0.0.2 [FSM] Receive_KEEPALIVE_message (OpenConfirm->Established), fd 23\n",
         "to_state", "Established"},
        {"2026/09/29 18:25:00 BGP: 10.0.0.2 went from OpenConfirm to Established\n", "from_state", "OpenConfirm"},
        {"2026/09/29 18:25:00 BGP: BGP peer session enters established state. peer name: branch7, peer IP: 10.255.0.2.\n",
         "neighbor", "10.255.0.2"},
        {"2026/08/25 19:13:33 OSPF6: AdjChg: Nbr 10.0.0.2(default) on 10.0.0.2%enp7s0: Full -> Down (KillNbr)\n",
         "protocol", "ospfv3"},
        {"2026/08/25 19:13:33 ZEBRA: rib_add_multipath_nhe: 0:10.8.0.0/16: Inserting route rn 0x55d5c1a0, re 0x55d5c2b0 (type 11) existing (nil)\n",
         "prefix", "10.8.0.0/16"},
        {"2026/08/25 19:13:33 ZEBRA: rib_delnode: 0:2001:db8::/32: rn 0x55d5c1a0, re 0x55d5c2b0, removing\n",
         "action", "delete"},
        {"2026/08/25 19:13:33 BGP: route 10.9.0.0/16 changed nexthop\n", "protocol", "bgp"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct memsink ms = {0};
        rt_parse(&ms, cases[i].line, strlen(cases[i].line), 0);
        ck_assert_msg(ms.n_ev == 1, "case %zu: %zu events", i, ms.n_ev);
        EQ(ms_attr(&ms.ev[0], cases[i].key), cases[i].value);
        memsink_free(&ms);
    }
    struct memsink ms = {0};
    rt_parse(&ms, S("2026/08/25 19:13:33 ZEBRA: rib_delnode: 0:2001:db8::/32: rn 0x55d5c1a0, re 0x55d5c2b0, removing\n"), 0);
    EQ(ms_attr(&ms.ev[0], "prefix"), "2001:db8::/32");
    memsink_free(&ms);
    /* a state to itself is no change */
    rt_parse(&ms, S("2026/09/29 18:25:00 BGP: 10.0.0.2 went from Idle to Idle\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 0);
    ck_assert_int_eq(ms.st.parsed, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(lr_header_switches_router)
{
    struct memsink ms = {0};
    rt_parse(&ms, S("#LR:lr-blue (2)\n"
                    "2026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.1.1.1 Up\n"
                    "#LR:lr-red (3)\n"
                    "2026/09/29 18:25:01 BGP: %ADJCHANGE: neighbor 10.2.2.2 Down\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 2);
    EQ(ms_attr(&ms.ev[0], "logical_router"), "lr-blue");
    EQ(ms_attr(&ms.ev[1], "logical_router"), "lr-red");
    ck_assert_int_eq(ms.st.parsed, 4);
    memsink_free(&ms);
}
END_TEST

START_TEST(continuations_and_unparsed)
{
    struct memsink ms = {0};
    rt_parse(&ms, S("no timestamp before any record\n"
                    "2024-13-15 10:55:41.005 -0700 Info: month 13\n"
                    "  continuation of the bad line\n"
                    "2024-07-15 10:55:41.005 +2500 Info: offset out of range\n"
                    "2024-07-15 10:55:41.005 -0700 Info: fine\n"
                    "  continuation of a parsed record without an event\n"), 0);
    ck_assert_int_eq(ms.st.units, 6);
    ck_assert_int_eq(ms.st.unparsed, 4);
    EQ(ms.un[0].reason, "continuation line before the first record");
    EQ(ms.un[1].reason, "invalid timestamp: month out of range");
    EQ(ms.un[2].reason, "continuation of an unparsed record");
    EQ(ms.un[3].reason, "invalid timestamp: UTC offset out of range");
    EQ(ms.dg[0].check, "timestamp");
    memsink_free(&ms);
}
END_TEST

/* ---- hostile input ------------------------------------------------------------------------- */

START_TEST(hostile_empty)
{
    struct memsink ms = {0};
    ck_assert_int_eq(rt_parse(&ms, "", 0, 0), 0);
    ck_assert_int_eq(ms.st.units, 0);
    ck_assert_int_eq(ms.st.first_local_us, INT64_MIN);
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_crlf_tiny_reads_no_newline)
{
    struct memsink ms = {0};
    rt_parse(&ms, S("#LR:default (1)\r\n2026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.77.0.2 Down\r\n"
                    "2026/09/29 18:25:01 BGP: %ADJCHANGE: neighbor 10.77.0.2 Up"), 1);
    ck_assert_uint_eq(ms.n_ev, 2);
    EQ(ms_attr(&ms.ev[0], "logical_router"), "default");
    EQ(ms_attr(&ms.ev[1], "state"), "Up");
    ck_assert_uint_eq(ms.n_dg, 1);
    EQ(ms.dg[0].check, "line-endings");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_2mib_line)
{
    static const char ok[] = "2026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.77.0.2 Down\n";
    size_t big = (size_t)2 << 20;
    char *buf = malloc(big + 2 * sizeof ok);
    ck_assert_ptr_nonnull(buf);
    size_t at = 0;
    memcpy(buf, ok, sizeof ok - 1);
    at += sizeof ok - 1;
    memcpy(buf + at, "2026/09/29 18:25:00 BGP: ", 25);
    memset(buf + at + 25, 'A', big - 25);
    at += big;
    buf[at++] = '\n';
    memcpy(buf + at, ok, sizeof ok - 1);
    at += sizeof ok - 1;
    struct memsink ms = {0};
    ck_assert_int_eq(rt_parse(&ms, buf, at, 0), 0);
    free(buf);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "line longer than 1 MiB");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_uint_eq(ms.un[0].text_len, IKM_LINE_MAX);
    ck_assert_uint_eq(ms.n_ev, 2);
    EQ(ms.dg[0].check, "line-length");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_nul_and_utf8)
{
    static const char text[] = "\0\0\0\0002026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.77.0.2 Down caf\xe9\n"
                               "\0\0\n"
                               "2026/09/29 18:25:01 BGP: %ADJCHANGE: neighbor 10.77.0.2 Up \0x\n";
    struct memsink ms = {0};
    rt_parse(&ms, text, sizeof text - 1, 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.unparsed, 1);
    EQ(ms.un[0].reason, "NUL bytes only");
    ck_assert_uint_eq(ms.n_ev, 2);
    EQ(ms_attr(&ms.ev[0], "cause"), "caf\xe9");
    int nul = 0, utf8 = 0;
    for (size_t i = 0; i < ms.n_dg; i++)
        nul += !strcmp(ms.dg[i].check, "nul-bytes"), utf8 += !strcmp(ms.dg[i].check, "utf8");
    ck_assert_int_eq(nul, 3);
    ck_assert_int_eq(utf8, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_long_continuation_is_bounded)
{
    size_t n = 200000;
    char *buf = malloc(n + 200);
    ck_assert_ptr_nonnull(buf);
    int l = sprintf(buf, "2026/09/29 18:25:00 BGP: %%ADJCHANGE: neighbor 10.77.0.2 Down\n");
    size_t at = (size_t)l;
    for (int k = 0; k < 4; k++) {
        memset(buf + at, 'x', 40000);
        at += 40000;
        buf[at++] = '\n';
    }
    struct memsink ms = {0};
    rt_parse(&ms, buf, at, 0);
    free(buf);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_uint_le(strlen(ms.ev[0].msg), (size_t)64 << 10);
    ck_assert_int_eq(ms.st.parsed, 5);
    memsink_free(&ms);
}
END_TEST


START_TEST(hostile_read_error_keeps_what_came_before)
{
    struct ms_str_stream fs;
    struct ikm_stream st = ms_failing_stream(&fs, frr_export, sizeof frr_export - 1 - 30);
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    ck_assert_int_eq(routed_parse_stream(st, &sink, &ms.st), 1);
    ms_check_accounting(&ms);
    ck_assert_uint_eq(ms.n_ev, 3);
    EQ(ms.dg[ms.n_dg - 1].check, "read");
    ck_assert_ptr_nonnull(strstr(ms.dg[ms.n_dg - 1].message, "truncated gzip input"));
    memsink_free(&ms);
}
END_TEST

static int refuse_event(void *ctx, const struct ikm_event *ev)
{
    (void)ctx, (void)ev;
    return -1;
}

START_TEST(sink_failure_and_optional_callbacks)
{
    struct ms_str_stream ss;
    struct ikm_source_stats st;
    struct ikm_sink bare = {0};
    ck_assert_int_eq(routed_parse_stream(ms_stream(&ss, S(frr_export), 0), &bare, &st), 0);
    ck_assert_int_eq(st.parsed + st.unparsed, st.units);
    ck_assert_int_eq(st.events_by_kind[IKM_EV_ROUTE_CHANGE], 3);
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    sink.event = refuse_event;
    ck_assert_int_eq(routed_parse_stream(ms_stream(&ss, S(frr_export), 0), &sink, &st), -1);
    memsink_free(&ms);
}
END_TEST

START_TEST(sniff)
{
    ck_assert_int_ge(routed_sniff(S(frr_export)), 90);
    ck_assert_int_ge(routed_sniff(S("2026/09/29 18:25:00 BGP: %ADJCHANGE: neighbor 10.77.0.2 Down\n")), 80);
    ck_assert_int_ge(routed_sniff(S(routed_log)), 40);
    ck_assert_int_le(routed_sniff(S(routed_log)), 70);
    ck_assert_int_eq(routed_sniff(S("hello\nworld\n")), 0);
    ck_assert_int_eq(routed_sniff("", 0), 0);
    ck_assert_int_le(routed_sniff(S("2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down\n")), 20);
}
END_TEST

Suite *routed_suite(void);
Suite *routed_suite(void)
{
    Suite *s = suite_create("routed");
    TCase *t = tcase_create("lines");
    tcase_add_test(t, frr_export_log);
    tcase_add_test(t, routed_log_inferred);
    tcase_add_test(t, catalog_samples);
    tcase_add_test(t, catalog_sample_fields);
    tcase_add_test(t, lr_header_switches_router);
    tcase_add_test(t, continuations_and_unparsed);
    tcase_add_test(t, sniff);
    suite_add_tcase(s, t);
    TCase *h = tcase_create("hostile");
    tcase_set_timeout(h, 30);
    tcase_add_test(h, hostile_empty);
    tcase_add_test(h, hostile_crlf_tiny_reads_no_newline);
    tcase_add_test(h, hostile_2mib_line);
    tcase_add_test(h, hostile_nul_and_utf8);
    tcase_add_test(h, hostile_long_continuation_is_bounded);
    tcase_add_test(h, hostile_read_error_keeps_what_came_before);
    tcase_add_test(h, sink_failure_and_optional_callbacks);
    suite_add_tcase(s, h);
    return s;
}
