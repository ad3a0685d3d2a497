/*
 * test_ikemgr.c — the ikemgr.log parser on verbatim lines from the seeds and formats.md §1,
 * every catalog entry's sample, and hostile input. Expected UTC values were computed
 * independently (Python datetime) from the lines' own offsets.
 */
#include "memsink.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(text) (text), (sizeof(text) - 1)

/* The seed article's lines, with the KB's "\{" rendering fixed to "{" (formats.md §1.2). */
static const char seed_dpd[] =
    "2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <awsseapa-to-azeapa>, SA state ESTABLISHED\n";

static const char seed_debug[] =
    "2024-07-15 10:55:41.005 -0700 [DEBG]: 10.46.36.241[500] - 10.46.36.240[500]:(nil) 1 times of 76 bytes message will be sent over socket 1024\n"
    "2024-07-15 10:55:41.007 -0700 [DEBG]: processing isakmp packet\n"
    "2024-07-15 10:55:41.007 -0700 [DEBG]: ===\n"
    "2024-07-15 10:55:41.007 -0700 [DEBG]: 76 bytes message received from 10.46.36.240\n"
    "2024-07-15 10:55:41.007 -0700 [DEBG]: { 2: }: [IKE Initiator] response message_id 704 expected 704\n"
    "2024-07-15 10:55:41.013 -0700 [DEBG]: { 2: }: response exch type 37\n"
    "2024-07-15 10:55:41.013 -0700 [DEBG]: { 2: }: update response message_id 0x2c0\n";

START_TEST(seed_dpd_down_line)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ms_parse_ikemgr(&ms, S(seed_dpd), 0), 0);
    ck_assert_int_eq(ms.st.units, 1);
    ck_assert_int_eq(ms.st.parsed, 1);
    ck_assert_uint_eq(ms.n_ev, 1);
    const struct ms_event *e = &ms.ev[0];
    ck_assert_int_eq(e->kind, IKM_EV_DPD_DOWN);
    ck_assert_int_eq(e->utc_us, 1551921988000000LL); /* 2019-03-07T01:26:28Z */
    ck_assert_int_eq(e->state, IKM_TZ_LINE);
    ck_assert_int_eq(e->offset_min, -480);
    ck_assert_str_eq(e->ts_text, "2019-03-06 17:26:28.000 -0800");
    ck_assert_int_eq(e->level, IKM_LVL_INFO);
    ck_assert_str_eq(e->level_raw, "INFO");
    ck_assert_int_eq(e->gw_id, 1);
    ck_assert_int_eq(e->tn_id, 1);
    ck_assert_str_eq(e->tunnel, "awsseapa-to-azeapa");
    ck_assert_ptr_null(e->gateway);
    ck_assert_ptr_null(e->peer_ip);
    ck_assert_str_eq(ms_attr(e, "state"), "ESTABLISHED");
    ck_assert_str_eq(ms_attr(e, "reason"), "liveness");
    ck_assert_str_eq(e->msg, "{    1:    1}: DPD down, rekey vpn tunnel <awsseapa-to-azeapa>, SA state ESTABLISHED");
    ck_assert_int_eq(ms.st.events_by_kind[IKM_EV_DPD_DOWN], 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(seed_dpd_down_kb_rendering)
{
    /* as the KB page shows it: "\{" and single spaces */
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2019-03-06 18:24:05.000 -0800 [INFO]: \\{ 1: 1}: DPD down, rekey vpn tunnel "
                           "<awsseapa-to-azeapa>, SA state ESTABLISHED\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_DPD_DOWN);
    ck_assert_int_eq(ms.ev[0].gw_id, 1);
    ck_assert_int_eq(ms.ev[0].tn_id, 1);
    ck_assert_int_eq(ms.ev[0].utc_us, 1551925445000000LL); /* 2019-03-07T02:24:05Z */
    memsink_free(&ms);
}
END_TEST

START_TEST(seed_liveness_exchange)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ms_parse_ikemgr(&ms, S(seed_debug), 0), 0);
    ck_assert_int_eq(ms.st.units, 7);
    ck_assert_int_eq(ms.st.parsed, 7);
    ck_assert_uint_eq(ms.n_ev, 0);
    ck_assert_uint_eq(ms.n_msg, 2);
    const struct ikm_ike_msg *s = &ms.msg[0], *r = &ms.msg[1];
    ck_assert_int_eq(s->origin, IKM_ORIGIN_LOG);
    ck_assert_int_eq(s->dir, IKM_DIR_SENT);
    ck_assert_int_eq(s->unit, 1);
    ck_assert_int_eq(s->t.utc_us, 1721066141005000LL);
    ck_assert_str_eq(s->src_ip, "10.46.36.241");
    ck_assert_int_eq(s->src_port, 500);
    ck_assert_str_eq(s->dst_ip, "10.46.36.240");
    ck_assert_int_eq(s->dst_port, 500);
    ck_assert_int_eq(s->length, 76);
    ck_assert_int_eq(s->copies, 1);
    ck_assert_int_eq(s->natt, 0);
    ck_assert_int_eq(s->msg_id, -1); /* the send line has none; pairing gives it */
    ck_assert_int_eq(r->dir, IKM_DIR_RECV);
    ck_assert_int_eq(r->unit, 4);
    ck_assert_int_eq(r->t.utc_us, 1721066141007000LL);
    ck_assert_str_eq(r->src_ip, "10.46.36.240");
    ck_assert_int_eq(r->src_port, -1);
    ck_assert_str_eq(r->dst_ip, "10.46.36.241");
    ck_assert_int_eq(r->dst_port, 500);
    ck_assert_int_eq(r->length, 76);
    ck_assert_int_eq(r->msg_id, 704);
    ck_assert_int_eq(r->expected_msg_id, 704);
    ck_assert_int_eq(r->exch_type, 37);
    ck_assert_int_eq(r->is_response, 1);
    ck_assert_int_eq(r->version, 2);
    ck_assert_int_eq(r->gw_id, 2);
    ck_assert_int_eq(r->tn_id, -1);
    memsink_free(&ms);
}
END_TEST

START_TEST(msgid_hex_only_from_update_line)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.007 -0700 [DEBG]: 76 bytes message received from 10.46.36.240\n"
                           "2024-07-15 10:55:41.013 -0700 [DEBG]: { 2: }: update response message_id 0x2c0\n"), 0);
    ck_assert_uint_eq(ms.n_msg, 1);
    ck_assert_int_eq(ms.msg[0].msg_id, 704);
    ck_assert_int_eq(ms.msg[0].is_response, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(msgid_mismatch_event)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:46.006 -0700 [DEBG]: 76 bytes message received from 10.46.36.240\n"
                           "2024-07-15 10:55:46.006 -0700 [DEBG]: { 2: }: [IKE Initiator] response message_id 705 expected 704\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    const struct ms_event *e = &ms.ev[0];
    ck_assert_int_eq(e->kind, IKM_EV_MSGID_MISMATCH);
    ck_assert_str_eq(ms_attr(e, "message_id"), "705");
    ck_assert_str_eq(ms_attr(e, "expected"), "704");
    ck_assert_str_eq(ms_attr(e, "direction"), "response");
    ck_assert_str_eq(ms_attr(e, "role"), "IKE Initiator");
    ck_assert_str_eq(e->peer_ip, "10.46.36.240");
    ck_assert_int_eq(e->gw_id, 2);
    ck_assert_uint_eq(ms.n_msg, 1);
    ck_assert_int_eq(ms.msg[0].msg_id, 705);
    ck_assert_int_eq(ms.msg[0].expected_msg_id, 704);
    memsink_free(&ms);
}
END_TEST

START_TEST(peer_request_received)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:50.100 -0700 [DEBG]: 76 bytes message received from 10.46.36.240[4500]\n"
                           "2024-07-15 10:55:50.100 -0700 [DEBG]: { 2: }: [IKE Responder] request message_id 0x10 expected 0x10\n"
                           "2024-07-15 10:55:50.101 -0700 [DEBG]: { 2: }: request exch type 37\n"), 0);
    ck_assert_uint_eq(ms.n_msg, 1);
    ck_assert_int_eq(ms.msg[0].is_response, 0);
    ck_assert_int_eq(ms.msg[0].msg_id, 16);
    ck_assert_int_eq(ms.msg[0].src_port, 4500);
    ck_assert_int_eq(ms.msg[0].natt, 1);
    ck_assert_uint_eq(ms.n_ev, 0);
    memsink_free(&ms);
}
END_TEST

/* formats.md §1.2 family B and E: start-up banner, continuation lines attached */
START_TEST(family_b_and_e_daemon_start)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2017-06-22 09:26:45.169 -0700 IKE FSM thread: 3966: starting up...\n"
                           "++++++++++++++++++++++++++++++++++++++++++++++++++++++\n"
                           "IKE DAEMON START on Thu Jun 22 09:26:45 2017\n"
                           "++++++++++++++++++++++++++++++++++++++++++++++++++++++\n"
                           "2017-06-22 09:26:45.170 -0700 [INFO]: reading config /etc/vpn/ikemgr.conf\n"
                           "2017-06-22 09:26:45.201 -0700 [INFO]: load 0 certs to cert cache.\n"
                           "2017-06-22 09:26:45.300 -0700 [INFO]: waiting to get last committed configuration\n"
                           "2017-06-22 09:26:48.260 -0700 Warning: pan_log_proxy(pan_priv_log.c:269): Elog being proxied\n"), 0);
    ck_assert_int_eq(ms.st.units, 8);
    ck_assert_int_eq(ms.st.parsed, 8);
    ck_assert_uint_eq(ms.n_ev, 1); /* one start-up, not one per banner line */
    const struct ms_event *e = &ms.ev[0];
    ck_assert_int_eq(e->kind, IKM_EV_DAEMON_RESTART);
    ck_assert_int_eq(e->level, IKM_LVL_NONE);
    ck_assert_int_eq(e->utc_us, 1498148805169000LL);
    ck_assert_int_eq(e->line, 1);
    ck_assert_ptr_nonnull(strstr(e->msg, "IKE DAEMON START on Thu Jun 22 09:26:45 2017"));
    memsink_free(&ms);
}
END_TEST

/* family B' shape: "Level: func(file.c:line): message" */
START_TEST(family_b_prime_srcloc)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2017-06-22 09:26:48.260 -0700 Error: pan_ikev2_send(ikev2_send.c:812): "
                           "retransmission count exceeded the limit\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_IKE_SA_DOWN);
    ck_assert_int_eq(ms.ev[0].level, IKM_LVL_ERROR);
    ck_assert_str_eq(ms.ev[0].level_raw, "Error");
    ck_assert_str_eq(ms_attr(&ms.ev[0], "srcloc"), "pan_ikev2_send(ikev2_send.c:812)");
    ck_assert_str_eq(ms_attr(&ms.ev[0], "reason"), "timeout");
    memsink_free(&ms);
}
END_TEST

/* formats.md §1.2 families C and D, interleaved in one file (KB-LIVENESS) */
START_TEST(families_c_and_d)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2016-03-01 14:32:24 [INFO]: ike_sa.c:275:ikev2_abort(): 6:1.1.1.1[500] - 2.2.2.2[500]:(nil):aborting IKEv2 SA GW:6\n"
                           "2016-03-01 14:32:24.890 +0800 debug: pan_ikev2_debug(protocols/ikev2/ikev2.c:6946): ... IKEv2 SA state {GW:6-I}: SA dying from state ESTABLISHED, caller ikev2_abort\n"),
                    0);
    ck_assert_int_eq(ms.st.parsed, 2);
    ck_assert_uint_eq(ms.n_ev, 2);
    const struct ms_event *c = &ms.ev[0], *d = &ms.ev[1];
    ck_assert_int_eq(c->kind, IKM_EV_IKE_SA_DOWN);
    ck_assert_int_eq(c->state, IKM_TZ_PENDING); /* no offset yet: resolved by the writer */
    ck_assert_int_eq(c->local_us, 1456842744000000LL);
    ck_assert_str_eq(ms_attr(c, "srcloc"), "ike_sa.c:275:ikev2_abort()");
    ck_assert_str_eq(c->peer_ip, "2.2.2.2");
    ck_assert_str_eq(ms_attr(c, "local"), "1.1.1.1");
    ck_assert_str_eq(c->gateway, "GW");
    ck_assert_str_eq(ms_attr(c, "sa_serial"), "6");
    ck_assert_str_eq(ms_attr(c, "reason"), "abort");
    ck_assert_int_eq(d->kind, IKM_EV_IKE_SA_DOWN);
    ck_assert_int_eq(d->level, IKM_LVL_DEBUG);
    ck_assert_int_eq(d->state, IKM_TZ_LINE);
    ck_assert_int_eq(d->utc_us, 1456813944890000LL);
    ck_assert_str_eq(d->gateway, "GW");
    ck_assert_str_eq(ms_attr(d, "sa_serial"), "6");
    ck_assert_str_eq(ms_attr(d, "role"), "I");
    ck_assert_str_eq(ms_attr(d, "state"), "ESTABLISHED");
    ck_assert_str_eq(ms_attr(d, "caller"), "ikev2_abort");
    ck_assert_str_eq(ms_attr(d, "srcloc"), "pan_ikev2_debug(protocols/ikev2/ikev2.c:6946)");
    ck_assert_int_eq(ms.st.has_offset, 1);
    ck_assert_int_eq(ms.st.first_offset_min, 480);
    ck_assert_int_eq(ms.st.pending_rows, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(offsetless_line_after_offset_uses_file_offset)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2016-03-01 14:32:24.890 +0800 debug: x.c:1:f(): retransmission count exceeded the limit\n"
                           "2016-03-01 14:32:25 [INFO]: ike_sa.c:275:ikev2_abort(): aborting IKEv2 SA GW:6\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 2);
    ck_assert_int_eq(ms.ev[1].state, IKM_TZ_FILE);
    ck_assert_int_eq(ms.ev[1].offset_min, 480);
    ck_assert_int_eq(ms.ev[1].utc_us, 1456813945000000LL);
    ck_assert_int_eq(ms.st.pending_rows, 0);
    memsink_free(&ms);
}
END_TEST

/* Lines under one timestamp reuse its parse (pk_ts_cache): a new fraction of the same second,
 * a fraction of another length, another offset, more than six digits, a '[' glued to the
 * offset — each line keeps its own time and text. Expected values: Python datetime. */
START_TEST(timestamps_of_a_burst)
{
    struct memsink ms = {0};
#define DPD "DPD down, rekey vpn tunnel <t>, SA state ESTABLISHED\n"
    ms_parse_ikemgr(&ms, S("2019-03-06 17:26:28.000 -0800 [INFO]: " DPD
                           "2019-03-06 17:26:28.123 -0800 [INFO]: " DPD
                           "2019-03-06 17:26:28.5 -0800 [INFO]: " DPD
                           "2019-03-06 17:26:28.7 -0800 [INFO]: " DPD
                           "2019-03-06 17:26:28.700 -0700 [INFO]: " DPD
                           "2019-03-06 17:26:28.700123456 -0700 [INFO]: " DPD
                           "2019-03-06 17:26:28.700123457 -0700 [INFO]: " DPD
                           "2019-03-06 17:26:29.001 -0700 [INFO]: " DPD
                           "2019-03-06 17:26:29.002 -0700[1-2] [INFO]: " DPD
                           "2019-03-06 17:26:29.0020 -0700 [INFO]: " DPD),
                    0);
#undef DPD
    static const int64_t want_us[] = {
        1551921988000000LL, 1551921988123000LL, 1551921988500000LL, 1551921988700000LL, 1551918388700000LL,
        1551918388700123LL, 1551918388700123LL, 1551918389001000LL, 1551918389002000LL, 1551918389002000LL,
    };
    static const char *const want_text[] = {
        "2019-03-06 17:26:28.000 -0800",       "2019-03-06 17:26:28.123 -0800",
        "2019-03-06 17:26:28.5 -0800",         "2019-03-06 17:26:28.7 -0800",
        "2019-03-06 17:26:28.700 -0700",       "2019-03-06 17:26:28.700123456 -0700",
        "2019-03-06 17:26:28.700123457 -0700", "2019-03-06 17:26:29.001 -0700",
        "2019-03-06 17:26:29.002 -0700",       "2019-03-06 17:26:29.0020 -0700",
    };
    ck_assert_uint_eq(ms.n_ev, 10);
    for (size_t i = 0; i < 10; i++) {
        ck_assert_msg(ms.ev[i].utc_us == want_us[i], "line %zu: %lld", i + 1, (long long)ms.ev[i].utc_us);
        ck_assert_str_eq(ms.ev[i].ts_text, want_text[i]);
        ck_assert_int_eq(ms.ev[i].state, IKM_TZ_LINE);
        ck_assert_int_eq(ms.ev[i].offset_min, i < 4 ? -480 : -420);
    }
    ck_assert_str_eq(ms_attr(&ms.ev[8], "pid_tid"), "1-2");
    memsink_free(&ms);
}
END_TEST

/* family F: ikemgr-ng (formats.md §1.2); the message text was elided in the source */
START_TEST(family_f_ikemgr_ng)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2026:03:01T15:13:18.024+01:00 [4371-4442] [INFO]: DPD down, rekey vpn tunnel <t-ng>, SA state ESTABLISHED\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_DPD_DOWN);
    ck_assert_int_eq(ms.ev[0].utc_us, 1772374398024000LL);
    ck_assert_int_eq(ms.ev[0].offset_min, 60);
    ck_assert_str_eq(ms.ev[0].ts_text, "2026:03:01T15:13:18.024+01:00");
    ck_assert_str_eq(ms_attr(&ms.ev[0], "pid_tid"), "4371-4442");
    ck_assert_str_eq(ms.ev[0].tunnel, "t-ng");
    memsink_free(&ms);
}
END_TEST

START_TEST(level_tokens)
{
    static const struct {
        const char *tok;
        enum ikm_level lvl;
    } cases[] = {
        {"[DEBG]:", IKM_LVL_DEBUG},  {"[DEBUG]:", IKM_LVL_DEBUG},     {"[INFO]:", IKM_LVL_INFO},
        {"[PNTF]:", IKM_LVL_NOTICE}, {"[PWRN]:", IKM_LVL_WARNING},    {"[WARN]:", IKM_LVL_WARNING},
        {"[PERR]:", IKM_LVL_ERROR},  {"[ERR ]:", IKM_LVL_ERROR},      {"[PROTO_ERR]:", IKM_LVL_ERROR},
        {"[PROTO_NOTIFY]:", IKM_LVL_NOTICE}, {"[CRITICAL]:", IKM_LVL_CRITICAL}, {"[XYZZ]:", IKM_LVL_OTHER},
        {"debug:", IKM_LVL_DEBUG},   {"Warning:", IKM_LVL_WARNING},   {"Error:", IKM_LVL_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[256];
        int n = snprintf(line, sizeof line, "2024-07-15 10:55:41.005 -0700 %s { 2: }: no proposal chosen.\n", cases[i].tok);
        struct memsink ms = {0};
        ms_parse_ikemgr(&ms, line, (size_t)n, 0);
        ck_assert_msg(ms.n_ev == 1, "token %s", cases[i].tok);
        ck_assert_msg(ms.ev[0].level == cases[i].lvl, "token %s gave %s", cases[i].tok, ikm_level_name(ms.ev[0].level));
        ck_assert_int_eq(ms.ev[0].kind, IKM_EV_NOTIFY_ERROR);
        memsink_free(&ms);
    }
    /* the raw token is kept for the unknown one */
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.005 -0700 [XYZZ]: no proposal chosen.\n"), 0);
    ck_assert_str_eq(ms.ev[0].level_raw, "XYZZ");
    memsink_free(&ms);
}
END_TEST

/* System-log descriptions that carry ikemgr's reason strings (formats.md §1.8), as lines. */
START_TEST(section_1_8_descriptions)
{
    static const struct {
        const char *msg;
        enum ikm_event_kind kind;
        const char *reason;
    } cases[] = {
        {"IKE phase-1 negotiation is failed as initiator, main mode. Failed SA: x.x.x.x[500]-y.y.y.y[500] "
         "cookie:84222f276c2fa2e9:0000000000000000 due to timeout.", IKM_EV_P1_FAIL, "timeout"},
        {"IKE phase 1 negotiation is failed. Couldn\xe2\x80\x99t find configuration for IKE phase-1 request for peer IP "
         "x.x.x.x[1929]", IKM_EV_P1_FAIL, "config"},
        {"IKEv2 IKE SA negotiation is failed as responder, non-rekey. Failed SA: 111.111.111.111[4500]-"
         "176.238.239.255[51435] SPI:0239b91635ed0e98:426762ab448185a9.", IKM_EV_P1_FAIL, NULL},
        {"received ID_I (type ipaddr [10.222.191.127]) does not match peers id", IKM_EV_P1_FAIL, "peer-id"},
        {"IKEv2 IKE SA negotiation is started as responder, non-rekey. Initiated SA: 10.0.0.2[500]-10.0.0.1[500] "
         "SPI:07f21c0fd2236540:ac9d9ee491cd49d9.", IKM_EV_P1_START, NULL},
        {"[IKE-GW-FGT]: Configured encryption algorithm 'AES256-CBC' was not presented in the IKE proposal. Please "
         "ensure that matching proposals are configured on both sides.", IKM_EV_P1_FAIL, "proposal"},
        {"no proposal chosen.", IKM_EV_NOTIFY_ERROR, "proposal"},
        {"IKEv2 IKE SA negotiation is succeeded as responder", IKM_EV_P1_UP, NULL},
        {"IKEv2 child SA negotiation is succeeded", IKM_EV_P2_UP, NULL},
        {"retransmission count exceeded the limit", IKM_EV_IKE_SA_DOWN, "timeout"},
        {"Deleting a possible stale IKEv2 child SA", IKM_EV_DELETE, "delete"},
        {"IKEv2 child SA negotiation is failed as initiator, rekey. message lacks KE payload", IKM_EV_P2_FAIL, "pfs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char line[512];
        int n = snprintf(line, sizeof line, "2024-07-15 10:55:41.005 -0700 [INFO]: %s\n", cases[i].msg);
        struct memsink ms = {0};
        ms_parse_ikemgr(&ms, line, (size_t)n, 0);
        ck_assert_msg(ms.n_ev == 1, "case %zu: %s", i, cases[i].msg);
        ck_assert_msg(ms.ev[0].kind == cases[i].kind, "case %zu: kind %s", i, ikm_event_kind_name(ms.ev[0].kind));
        const char *reason = ms_attr(&ms.ev[0], "reason");
        if (cases[i].reason)
            ck_assert_msg(reason && strcmp(reason, cases[i].reason) == 0, "case %zu: reason %s", i,
                          reason ? reason : "(none)");
        else
            ck_assert_msg(reason == NULL, "case %zu: unexpected reason %s", i, reason);
        memsink_free(&ms);
    }
}
END_TEST

START_TEST(negotiation_fields)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.005 -0700 [INFO]: IKEv2 IKE SA negotiation is failed as responder, "
                           "non-rekey. Failed SA: 111.111.111.111[4500]-176.238.239.255[51435] "
                           "SPI:0239b91635ed0e98:0000000000000000.\n"), 0);
    const struct ms_event *e = &ms.ev[0];
    ck_assert_str_eq(e->peer_ip, "176.238.239.255");
    ck_assert_str_eq(ms_attr(e, "local"), "111.111.111.111");
    ck_assert_str_eq(ms_attr(e, "local_port"), "4500");
    ck_assert_str_eq(ms_attr(e, "peer_port"), "51435");
    ck_assert_str_eq(ms_attr(e, "spi_i"), "0239b91635ed0e98");
    ck_assert_str_eq(ms_attr(e, "spi_r"), "0000000000000000");
    ck_assert_str_eq(ms_attr(e, "role"), "responder");
    ck_assert_str_eq(ms_attr(e, "mode"), "non-rekey");
    memsink_free(&ms);
}
END_TEST

/* Every catalog entry's own sample is classified by that entry (lnav's rule). */
START_TEST(catalog_samples)
{
    const struct ikemgr_catalog *cat = ms_catalog();
    for (size_t i = 0; i < ikemgr_catalog_size(); i++) {
        const char *sample = ikemgr_catalog_entry_sample(i);
        int got = ikemgr_catalog_classify(cat, sample, strlen(sample));
        ck_assert_msg(got == (int)i, "sample of %s classified as %s", ikemgr_catalog_entry_name(i),
                      got < 0 ? "nothing" : ikemgr_catalog_entry_name((size_t)got));
    }
    ck_assert_int_eq(ikemgr_catalog_classify(cat, S("totally unrelated text")), -1);
}
END_TEST

START_TEST(status_notifies_are_not_errors)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.005 -0700 [DEBG]: { 2: }: received Notify payload protocol 1 type INITIAL_CONTACT\n"
                           "2024-07-15 10:55:41.006 -0700 [DEBG]: { 2: }: received Notify payload protocol 1 type 16388\n"
                           "2024-07-15 10:55:41.007 -0700 [DEBG]: { 2: }: received Notify payload protocol 1 type NO_PROPOSAL_CHOSEN\n"
                           "2024-07-15 10:55:41.008 -0700 [DEBG]: { 2: }: received Notify payload protocol 1 type 14\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 4);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_NOTIFY_STATUS);
    ck_assert_str_eq(ms_attr(&ms.ev[0], "notify"), "INITIAL_CONTACT");
    ck_assert_int_eq(ms.ev[1].kind, IKM_EV_NOTIFY_STATUS);
    ck_assert_int_eq(ms.ev[2].kind, IKM_EV_NOTIFY_ERROR);
    ck_assert_str_eq(ms_attr(&ms.ev[2], "reason"), "proposal");
    ck_assert_int_eq(ms.ev[3].kind, IKM_EV_NOTIFY_ERROR);
    ck_assert_str_eq(ms_attr(&ms.ev[3], "notify"), "14");
    memsink_free(&ms);
}
END_TEST

START_TEST(peer_joined_from_gateway_context)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.007 -0700 [DEBG]: 76 bytes message received from 10.46.36.240\n"
                           "2024-07-15 10:55:41.007 -0700 [DEBG]: { 2: }: [IKE Initiator] response message_id 704 expected 704\n"
                           "2024-07-15 11:00:00.000 -0700 [INFO]: {    2:    5}: DPD down, rekey vpn tunnel <t2>, SA state ESTABLISHED\n"
                           "2024-07-15 11:00:01.000 -0700 [INFO]: {    3:    6}: DPD down, rekey vpn tunnel <t3>, SA state ESTABLISHED\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 2);
    ck_assert_str_eq(ms.ev[0].peer_ip, "10.46.36.240");
    ck_assert_str_eq(ms_attr(&ms.ev[0], "peer_from"), "gateway-context");
    ck_assert_ptr_null(ms.ev[1].peer_ip); /* gateway 3 was never seen with a peer */
    memsink_free(&ms);
}
END_TEST

/* Cases a review found: each must keep holding. */
START_TEST(review_regressions)
{
    struct memsink ms = {0};
    /* a message starting with "Z" is not a UTC offset */
    ms_parse_ikemgr(&ms, S("2016-03-01 14:32:20 Zombie IKE SA reaped: aborting IKEv2 SA GW:6\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].state, IKM_TZ_PENDING);
    ck_assert_int_eq(ms.st.has_offset, 0);
    memsink_free(&ms);

    /* a later message-id line of another SA does not rewrite the pending received message */
    memset(&ms, 0, sizeof ms);
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.007 -0700 [DEBG]: 76 bytes message received from 10.46.36.240\n"
                           "2024-07-15 10:55:41.007 -0700 [DEBG]: { 2: }: [IKE Initiator] response message_id 704 expected 704\n"
                           "2024-07-15 10:55:41.013 -0700 [DEBG]: { 2: }: response exch type 37\n"
                           "2024-07-15 10:55:50.000 -0700 [DEBG]: { 7: }: [IKE Responder] request message_id 3 expected 3\n"), 0);
    ck_assert_uint_eq(ms.n_msg, 1);
    ck_assert_int_eq(ms.msg[0].msg_id, 704);
    ck_assert_int_eq(ms.msg[0].is_response, 1);
    memsink_free(&ms);

    /* three start-ups separated by other records are three restarts */
    memset(&ms, 0, sizeof ms);
    ms_parse_ikemgr(&ms, S("2017-06-22 09:26:45.169 -0700 IKE FSM thread: 3966: starting up...\n"
                           "2017-06-22 09:26:45.170 -0700 [INFO]: reading config /etc/vpn/ikemgr.conf\n"
                           "2017-06-22 09:27:00.000 -0700 [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <t>, SA state ESTABLISHED\n"
                           "2017-06-22 09:27:45.169 -0700 [INFO]: reading config /etc/vpn/ikemgr.conf\n"
                           "2017-06-22 09:28:45.169 -0700 IKE FSM thread: 4200: starting up...\n"), 0);
    ck_assert_int_eq(ms.st.events_by_kind[IKM_EV_DAEMON_RESTART], 3);
    memsink_free(&ms);

    /* racoon2's "sent to ADDR" form keeps the destination */
    memset(&ms, 0, sizeof ms);
    ms_parse_ikemgr(&ms, S("2016-03-01 14:32:24 [DEBUG]: sockmisc.c:100:sendfromto(): 1 times of 76 bytes message will be sent to 2.2.2.2[500]\n"), 0);
    ck_assert_uint_eq(ms.n_msg, 1);
    ck_assert_str_eq(ms.msg[0].dst_ip, "2.2.2.2");
    ck_assert_int_eq(ms.msg[0].dst_port, 500);
    memsink_free(&ms);

    /* a source location does not hide a plumbing line from the catalog */
    memset(&ms, 0, sizeof ms);
    ms_parse_ikemgr(&ms, S("2017-06-22 09:26:48.300 -0700 Error: pan_cfgagent_get_config(pan_cfgagent.c:100): failed\n"
                           "2017-06-22 09:26:48.301 -0700 [INFO]: rcf_fix_remote: nothing to fix\n"), 0);
    ck_assert_int_eq(ms.st.parsed, 2);
    memsink_free(&ms);

    /* the peer's retransmissions seen by ikemgr are evidence, not noise */
    memset(&ms, 0, sizeof ms);
    ms_parse_ikemgr(&ms, S("2017-06-22 09:26:48.300 -0700 [INFO]: the packet is retransmitted by 10.1.1.1[500] (1).\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_RETRANSMIT);
    memsink_free(&ms);
}
END_TEST

START_TEST(continuations_grow_linearly)
{
    /* 40000 continuation lines after one event: the message stops at 64 KiB, memory stays small */
    size_t n = sizeof seed_dpd - 1 + 40000 * 3;
    char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, seed_dpd, sizeof seed_dpd - 1);
    for (size_t i = 0; i < 40000; i++)
        memcpy(buf + sizeof seed_dpd - 1 + 3 * i, "xx\n", 3);
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, buf, n, 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_uint_le(strlen(ms.ev[0].msg), 64 * 1024);
    ck_assert_uint_ge(strlen(ms.ev[0].msg), 60 * 1024);
    ck_assert_int_eq(ms.st.parsed, 40001);
    memsink_free(&ms);
    free(buf);
}
END_TEST

START_TEST(sniff_rotation_starting_mid_record)
{
    /* a rotated file may begin with the tail of a hex dump (formats.md §1.1) */
    char buf[8192];
    size_t at = 0;
    for (int i = 0; i < 25; i++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, "  0000: 4a 13 1c 81 07 03 58 45 5c 57 28 f2 0e 95 45 2f\n");
    at += (size_t)snprintf(buf + at, sizeof buf - at, "%s", seed_debug);
    int m, l;
    ikemgr_sniff(buf, at, &m, &l);
    ck_assert_int_eq(m, 7);
    ck_assert_int_eq(l, 32);
}
END_TEST

START_TEST(unrecognised_and_continuations)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("  orphan continuation before any record\n"
                           "2024-07-15 10:55:41.005 -0700 [DEBG]: something nobody has catalogued\n"
                           "   its continuation\n"
                           "\n"
                           "2024-07-15 10:55:41.006 -0700 [DEBG]: ===\n"), 0);
    ck_assert_int_eq(ms.st.units, 5);
    ck_assert_int_eq(ms.st.unparsed, 3);
    ck_assert_int_eq(ms.st.parsed, 2);
    ck_assert_str_eq(ms.un[0].reason, "continuation line before the first record");
    ck_assert_int_eq(ms.un[0].line, 1);
    ck_assert_str_eq(ms.un[1].reason, "unrecognised message");
    ck_assert_int_eq(ms.un[1].line, 2);
    ck_assert_str_eq(ms.un[2].reason, "continuation of an unparsed record");
    memsink_free(&ms);
}
END_TEST

/* ---- hostile input -------------------------------------------------------------------- */

START_TEST(hostile_empty)
{
    struct memsink ms = {0};
    ck_assert_int_eq(ms_parse_ikemgr(&ms, "", 0, 0), 0);
    ck_assert_int_eq(ms.st.units, 0);
    ck_assert_int_eq(ms.st.first_local_us, INT64_MIN);
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_no_trailing_newline_and_tiny_reads)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, seed_dpd, sizeof seed_dpd - 2, 1); /* cut the newline; one byte per read */
    ck_assert_int_eq(ms.st.units, 1);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_str_eq(ms.ev[0].tunnel, "awsseapa-to-azeapa");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_crlf)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-07-15 10:55:41.007 -0700 [DEBG]: 76 bytes message received from 10.46.36.240\r\n"
                           "2024-07-15 10:55:41.007 -0700 [DEBG]: { 2: }: [IKE Initiator] response message_id 704 expected 704\r\n"
                           "2024-07-15 10:55:41.013 -0700 [DEBG]: { 2: }: response exch type 37\r\n"), 0);
    ck_assert_int_eq(ms.st.parsed, 3);
    ck_assert_uint_eq(ms.n_msg, 1);
    ck_assert_int_eq(ms.msg[0].exch_type, 37);
    ck_assert_uint_eq(ms.n_dg, 1); /* said once per file */
    ck_assert_str_eq(ms.dg[0].check, "line-endings");
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_2mib_line)
{
    size_t big = (size_t)2 << 20;
    size_t n = big + 2 * sizeof seed_dpd;
    char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, seed_dpd, sizeof seed_dpd - 1);
    size_t at = sizeof seed_dpd - 1;
    memset(buf + at, 'A', big);
    at += big;
    buf[at++] = '\n';
    memcpy(buf + at, seed_dpd, sizeof seed_dpd - 1);
    at += sizeof seed_dpd - 1;
    struct memsink ms = {0};
    ck_assert_int_eq(ms_parse_ikemgr(&ms, buf, at, 0), 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.unparsed, 1);
    ck_assert_str_eq(ms.un[0].reason, "line longer than 1 MiB");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_uint_eq(ms.un[0].text_len, IKM_LINE_MAX);
    ck_assert_uint_eq(ms.n_ev, 2); /* the lines around it still read */
    ck_assert_int_eq(ms.ev[1].line, 3);
    ck_assert_int_eq(ms.st.errors, 1);
    ck_assert_str_eq(ms.dg[0].check, "line-length");
    ck_assert_ptr_nonnull(strstr(ms.dg[0].message, "2097152 bytes"));
    memsink_free(&ms);
    free(buf);
}
END_TEST

START_TEST(hostile_nul_bytes)
{
    static const char text[] =
        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
        "2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <a\0b>, SA state ESTABLISHED\n"
        "\0\0\0\0\n"
        "2024-07-15 10:55:41.005 -0700 [DEBG]: ===\n";
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, text, sizeof text - 1, 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.parsed, 2);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_int_eq(ms.ev[0].kind, IKM_EV_DPD_DOWN);
    ck_assert_str_eq(ms.un[0].reason, "NUL bytes only");
    ck_assert_int_eq(ms.un[0].line, 2);
    ck_assert_uint_ge(ms.n_dg, 2);
    ck_assert_str_eq(ms.dg[0].check, "nul-bytes");
    ck_assert_int_eq(ms.dg[0].line, 1);
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_invalid_utf8)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2019-03-06 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <caf\xe9-\xff>, SA state ESTABLISHED\n"), 0);
    ck_assert_uint_eq(ms.n_ev, 1);
    ck_assert_str_eq(ms.ev[0].tunnel, "caf\xe9-\xff"); /* kept as bytes; escaped when stored */
    ck_assert_uint_eq(ms.n_dg, 1);
    ck_assert_str_eq(ms.dg[0].check, "utf8");
    ck_assert_ptr_nonnull(strstr(ms.dg[0].message, "column"));
    memsink_free(&ms);
}
END_TEST

START_TEST(hostile_month_13)
{
    struct memsink ms = {0};
    ms_parse_ikemgr(&ms, S("2024-13-15 10:55:41.005 -0700 [DEBG]: ===\n"
                           "  continuation of the bad line\n"
                           "2024-07-15 10:55:41.005 -0700 [DEBG]: ===\n"), 0);
    ck_assert_int_eq(ms.st.units, 3);
    ck_assert_int_eq(ms.st.unparsed, 2);
    ck_assert_str_eq(ms.un[0].reason, "invalid timestamp: month out of range");
    ck_assert_int_eq(ms.un[0].line, 1);
    ck_assert_str_eq(ms.dg[0].check, "timestamp");
    ck_assert_int_eq(ms.dg[0].line, 1);
    ck_assert_int_eq(ms.st.parsed, 1);
    memsink_free(&ms);
}
END_TEST


START_TEST(hostile_read_error_keeps_what_came_before)
{
    struct ms_str_stream fs;
    struct ikm_stream st = ms_failing_stream(&fs, seed_debug, sizeof seed_debug - 1 - 20);
    struct memsink ms = {0};
    struct ikm_sink sink = memsink_sink(&ms);
    int r = ikemgr_parse_stream(ms_catalog(), st, &sink, &ms.st);
    ck_assert_int_eq(r, 1);
    ck_assert_int_eq(ms.st.units, 7); /* the cut last line is still a unit */
    ck_assert_uint_eq(ms.n_msg, 2);
    ck_assert_int_eq(ms.st.errors, 1);
    ck_assert_str_eq(ms.dg[ms.n_dg - 1].check, "read");
    ck_assert_ptr_nonnull(strstr(ms.dg[ms.n_dg - 1].message, "truncated gzip input"));
    memsink_free(&ms);
}
END_TEST

START_TEST(sniff)
{
    int m, l;
    ikemgr_sniff(S(seed_debug), &m, &l);
    ck_assert_int_eq(m, 7);
    ck_assert_int_eq(l, 7);
    ikemgr_sniff(S("hello\nworld\n"), &m, &l);
    ck_assert_int_eq(m, 0);
}
END_TEST

Suite *ikemgr_suite(void);
Suite *ikemgr_suite(void)
{
    Suite *s = suite_create("ikemgr");
    TCase *t = tcase_create("lines");
    tcase_add_test(t, seed_dpd_down_line);
    tcase_add_test(t, seed_dpd_down_kb_rendering);
    tcase_add_test(t, seed_liveness_exchange);
    tcase_add_test(t, msgid_hex_only_from_update_line);
    tcase_add_test(t, msgid_mismatch_event);
    tcase_add_test(t, peer_request_received);
    tcase_add_test(t, family_b_and_e_daemon_start);
    tcase_add_test(t, family_b_prime_srcloc);
    tcase_add_test(t, families_c_and_d);
    tcase_add_test(t, offsetless_line_after_offset_uses_file_offset);
    tcase_add_test(t, timestamps_of_a_burst);
    tcase_add_test(t, family_f_ikemgr_ng);
    tcase_add_test(t, level_tokens);
    tcase_add_test(t, section_1_8_descriptions);
    tcase_add_test(t, negotiation_fields);
    tcase_add_test(t, catalog_samples);
    tcase_add_test(t, unrecognised_and_continuations);
    tcase_add_test(t, status_notifies_are_not_errors);
    tcase_add_test(t, peer_joined_from_gateway_context);
    tcase_add_test(t, sniff);
    tcase_add_test(t, review_regressions);
    tcase_add_test(t, continuations_grow_linearly);
    tcase_add_test(t, sniff_rotation_starting_mid_record);
    suite_add_tcase(s, t);
    TCase *h = tcase_create("hostile");
    tcase_set_timeout(h, 30);
    tcase_add_test(h, hostile_empty);
    tcase_add_test(h, hostile_no_trailing_newline_and_tiny_reads);
    tcase_add_test(h, hostile_crlf);
    tcase_add_test(h, hostile_2mib_line);
    tcase_add_test(h, hostile_nul_bytes);
    tcase_add_test(h, hostile_invalid_utf8);
    tcase_add_test(h, hostile_month_13);
    tcase_add_test(h, hostile_read_error_keeps_what_came_before);
    suite_add_tcase(s, h);
    return s;
}
