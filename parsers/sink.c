/*
 * sink.c — name tables for the sink vocabulary (event kinds, levels, time-zone states) and
 * the small record helpers. The names are a stable contract: they are what the timeline
 * stores and what rules and reports match on.
 */
#include "sink.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

static const char *const event_kind_names[IKM_EV_COUNT] = {
    [IKM_EV_DPD_DOWN] = "dpd-down",
    [IKM_EV_IKE_SA_DOWN] = "ike-sa-down",
    [IKM_EV_P1_START] = "p1-start",
    [IKM_EV_P1_UP] = "p1-up",
    [IKM_EV_P1_FAIL] = "p1-fail",
    [IKM_EV_P2_START] = "p2-start",
    [IKM_EV_P2_UP] = "p2-up",
    [IKM_EV_P2_FAIL] = "p2-fail",
    [IKM_EV_TUNNEL_DOWN] = "tunnel-down",
    [IKM_EV_TUNNEL_UP] = "tunnel-up",
    [IKM_EV_ROUTE_CHANGE] = "route-change",
    [IKM_EV_CONFIG_COMMIT] = "config-commit",
    [IKM_EV_POLICY_CHANGE] = "policy-change",
    [IKM_EV_LINK_DOWN] = "link-down",
    [IKM_EV_LINK_UP] = "link-up",
    [IKM_EV_HA_STATE] = "ha-state",
    [IKM_EV_DAEMON_RESTART] = "daemon-restart",
    [IKM_EV_NOTIFY_ERROR] = "notify-error",
    [IKM_EV_NOTIFY_STATUS] = "notify-status",
    [IKM_EV_DELETE] = "delete",
    [IKM_EV_REKEY] = "rekey",
    [IKM_EV_MSGID_MISMATCH] = "msgid-mismatch",
    [IKM_EV_SA_STATE] = "sa-state",
    [IKM_EV_NAT_T] = "nat-t",
    [IKM_EV_LIVENESS] = "liveness",
    [IKM_EV_RETRANSMIT] = "retransmit",
    [IKM_EV_OTHER] = "other",
};

const char *ikm_event_kind_name(enum ikm_event_kind k)
{
    if ((unsigned)k >= IKM_EV_COUNT)
        return "other";
    return event_kind_names[k];
}

static const char *const level_names[IKM_LVL_COUNT] = {
    [IKM_LVL_NONE] = "none",       [IKM_LVL_DEBUG] = "debug",     [IKM_LVL_INFO] = "info",
    [IKM_LVL_NOTICE] = "notice",   [IKM_LVL_WARNING] = "warning", [IKM_LVL_ERROR] = "error",
    [IKM_LVL_CRITICAL] = "critical", [IKM_LVL_OTHER] = "other",
};

const char *ikm_level_name(enum ikm_level l)
{
    if ((unsigned)l >= IKM_LVL_COUNT)
        return "other";
    return level_names[l];
}

static const char *const tz_state_names[IKM_TZ_COUNT] = {
    [IKM_TZ_LINE] = "line", [IKM_TZ_FILE] = "file", [IKM_TZ_PENDING] = "pending",
    [IKM_TZ_ZONE] = "zone", [IKM_TZ_CLI] = "cli",   [IKM_TZ_ASSUMED] = "assumed",
};

const char *ikm_tz_state_name(enum ikm_tz_state s)
{
    if ((unsigned)s >= IKM_TZ_COUNT)
        return "assumed";
    return tz_state_names[s];
}

void ikm_event_add_attr(struct ikm_event *ev, const char *key, struct ikm_str value, int is_number)
{
    if (ev->n_attrs >= IKM_ATTRS_MAX || value.ptr == NULL)
        return;
    ev->attrs[ev->n_attrs].key = key;
    ev->attrs[ev->n_attrs].value = value;
    ev->attrs[ev->n_attrs].is_number = is_number;
    ev->n_attrs++;
}

void ikm_ike_msg_init(struct ikm_ike_msg *m, enum ikm_origin origin)
{
    memset(m, 0, sizeof *m);
    m->origin = origin;
    m->src_port = m->dst_port = -1;
    m->version = m->exch_type = m->flags = m->is_response = -1;
    m->msg_id = m->expected_msg_id = m->length = -1;
    m->natt = -1;
    m->copies = -1;
    m->gw_id = m->tn_id = -1;
    m->next_payload = m->notify_error = m->ke_group = m->frag_num = m->frag_total = m->liveness = -1;
}

/* the payload chain must stay the last member: what follows it would not be copied */
_Static_assert(sizeof(struct ikm_ike_msg) - offsetof(struct ikm_ike_msg, payloads) -
                   sizeof(((struct ikm_ike_msg *)0)->payloads) < 8,
               "ikm_ike_msg_copy copies every member before payloads");

void ikm_ike_msg_copy(struct ikm_ike_msg *dst, const struct ikm_ike_msg *src)
{
    memcpy(dst, src, offsetof(struct ikm_ike_msg, payloads));
    size_t n = strnlen(src->payloads, sizeof src->payloads - 1);
    memcpy(dst->payloads, src->payloads, n);
    dst->payloads[n] = '\0';
}

void ikm_cfg_gateway_init(struct ikm_cfg_gateway *g)
{
    memset(g, 0, sizeof *g);
    g->peer_dynamic = g->liveness_enabled = g->dpd_enabled = g->nat_traversal = g->passive_mode = -1;
    g->liveness_interval_s = g->dpd_interval_s = g->dpd_retry = -1;
}

void ikm_cfg_tunnel_init(struct ikm_cfg_tunnel *t)
{
    memset(t, 0, sizeof *t);
    t->monitor_enabled = -1;
}

void ikm_source_stats_init(struct ikm_source_stats *st)
{
    memset(st, 0, sizeof *st);
    st->first_local_us = st->last_local_us = INT64_MIN;
}

int ikm_ip_text(const char *p, size_t n)
{
    char buf[IKM_IP_MAX];
    unsigned char bin[16];
    if (!p || n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

int ikm_str_is(struct ikm_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || (s.ptr && memcmp(s.ptr, lit, n) == 0));
}
