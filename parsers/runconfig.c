/*
 * runconfig.c — the PAN-OS configuration XML parser (see runconfig.h), streaming with expat.
 *
 * The shape it reads (a firewall's running-config.xml; a Panorama config holds the same
 * <config> again under template/entry or template-stack/entry):
 *
 *   <config version="10.1.0" urldb="paloaltonetworks" detail-version="10.1.3">
 *     <devices><entry name="localhost.localdomain">
 *       <deviceconfig><system>
 *         <hostname>fw-dc1</hostname> <timezone>Europe/Berlin</timezone>
 *         <domain>example.net</domain> <ip-address>192.0.2.10</ip-address>
 *       </system></deviceconfig>
 *       <network>
 *         <ike><gateway><entry name="gw-aws">
 *           <peer-address><ip>203.0.113.7</ip></peer-address>      | <dynamic/> | <fqdn>..</fqdn>
 *           <local-address><interface>ethernet1/1</interface><ip>198.51.100.2/30</ip></local-address>
 *           <protocol>
 *             <version>ikev2</version>                            (absent before PAN-OS 7.0)
 *             <ikev1><ike-crypto-profile>..</ike-crypto-profile><dpd><enable>yes</enable>
 *                    <interval>5</interval><retry>5</retry></dpd></ikev1>
 *             <ikev2><ike-crypto-profile>..</ike-crypto-profile><dpd><enable>yes</enable>
 *                    <interval>10</interval></dpd></ikev2>          (dpd = liveness check)
 *           </protocol>
 *           <protocol-common><nat-traversal><enable>no</enable></nat-traversal>
 *                            <passive-mode>no</passive-mode></protocol-common>
 *         </entry></gateway></ike>
 *         <tunnel><ipsec><entry name="tun-aws">
 *           <auto-key><ike-gateway><entry name="gw-aws"/></ike-gateway>
 *                     <ipsec-crypto-profile>..</ipsec-crypto-profile></auto-key>
 *           <tunnel-monitor><enable>yes</enable><destination-ip>169.254.0.1</destination-ip>
 *                           <tunnel-monitor-profile>..</tunnel-monitor-profile></tunnel-monitor>
 *           <tunnel-interface>tunnel.1</tunnel-interface>
 *         </entry></ipsec></tunnel>
 *       </network>
 *
 * Element paths are the public schema's (pan-os-python network.IkeGateway/IpsecTunnel and
 * device.SystemSettings, pan-os-codegen specs/network/ike-gateway.yaml and tunnels/ipsec.yaml,
 * pango netw/ikegw and netw/ipsectunnel for the pre-7.0 shape). Objects are found by the
 * suffix network/ike/gateway/entry or network/tunnel/ipsec/entry wherever they sit, so an API
 * export wrapped in <response><result> and Panorama templates read the same; their context
 * (template:T, template-stack:S, vsys names) goes into the record's vsys field.
 *
 * A parse walks a stack of frames (one per open element, each a small id from the names that
 * matter). Inside a gateway or tunnel entry a relative path ("protocol/ikev2/dpd/interval") is
 * kept and matched against a table when a leaf closes; leaf text is gathered, capped, in one
 * buffer. Everything is sized up front: nothing grows with the file.
 */
#include "runconfig.h"

#include "parsekit.h"

#include <expat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RC_CHUNK ((size_t)64 << 10)
#define RC_REL_MAX 255     /* longest relative path inside an object that can match */
#define RC_ELNAME_MAX 64   /* element names longer than this match nothing */
#define RC_SHOW_MAX 64     /* bytes of a bad value quoted in a diagnostic */

/* ---- expat's heap, capped ---------------------------------------------------------------- */

/* A hostile token (a 1 GiB attribute, millions of distinct element names) makes expat grow
 * without end; its allocation hooks take no context, so the budget is per thread: live bytes
 * held by every expat parser of this thread. */
static _Thread_local size_t rc_expat_live;
static _Thread_local int rc_expat_refused;

union rc_hdr {
    size_t size;
    max_align_t align;
};

static void *rc_malloc(size_t n)
{
    if (n > RUNCONFIG_EXPAT_MEM_MAX - rc_expat_live) {
        rc_expat_refused = 1;
        return NULL;
    }
    union rc_hdr *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    rc_expat_live += n;
    return h + 1;
}

static void rc_free(void *p)
{
    if (!p)
        return;
    union rc_hdr *h = (union rc_hdr *)p - 1;
    rc_expat_live -= h->size;
    free(h);
}

static void *rc_realloc(void *p, size_t n)
{
    if (!p)
        return rc_malloc(n);
    union rc_hdr *h = (union rc_hdr *)p - 1;
    size_t old = h->size;
    if (n > old && n - old > RUNCONFIG_EXPAT_MEM_MAX - rc_expat_live) {
        rc_expat_refused = 1;
        return NULL;
    }
    union rc_hdr *nh = realloc(h, sizeof *nh + n);
    if (!nh)
        return NULL;
    rc_expat_live = rc_expat_live - old + n;
    nh->size = n;
    return nh + 1;
}

static const XML_Memory_Handling_Suite rc_mem = {rc_malloc, rc_realloc, rc_free};

/* ---- element names that matter outside objects --------------------------------------------- */

enum el {
    EL_OTHER = 0, EL_CONFIG, EL_DEVICES, EL_ENTRY, EL_NETWORK, EL_IKE, EL_GATEWAY, EL_TUNNEL,
    EL_IPSEC, EL_TEMPLATE, EL_TEMPLATE_STACK, EL_VSYS, EL_DEVICECONFIG, EL_SYSTEM,
    EL_HOSTNAME, EL_TIMEZONE, EL_DOMAIN, EL_IP_ADDRESS, EL_N
};
static const char *const el_names[EL_N] = {
    [EL_CONFIG] = "config", [EL_DEVICES] = "devices", [EL_ENTRY] = "entry",
    [EL_NETWORK] = "network", [EL_IKE] = "ike", [EL_GATEWAY] = "gateway",
    [EL_TUNNEL] = "tunnel", [EL_IPSEC] = "ipsec", [EL_TEMPLATE] = "template",
    [EL_TEMPLATE_STACK] = "template-stack", [EL_VSYS] = "vsys",
    [EL_DEVICECONFIG] = "deviceconfig", [EL_SYSTEM] = "system", [EL_HOSTNAME] = "hostname",
    [EL_TIMEZONE] = "timezone", [EL_DOMAIN] = "domain", [EL_IP_ADDRESS] = "ip-address",
};
/* device fact keys, for the leaves of deviceconfig/system */
static const char *fact_key(enum el id)
{
    switch (id) {
    case EL_HOSTNAME: return "hostname";
    case EL_TIMEZONE: return "timezone";
    case EL_DOMAIN: return "domain";
    case EL_IP_ADDRESS: return "ip-address";
    default: return NULL;
    }
}

static enum el el_of(const char *name, size_t n)
{
    if (n > RC_ELNAME_MAX)
        return EL_OTHER;
    for (int i = 1; i < EL_N; i++)
        if (strcmp(name, el_names[i]) == 0)
            return (enum el)i;
    return EL_OTHER;
}

/* ---- object fields ------------------------------------------------------------------------ */

enum obj { OBJ_NONE = 0, OBJ_GATEWAY, OBJ_TUNNEL };

enum slot {
    S_NAME, S_CTX, S_PEER_IP, S_PEER_FQDN, S_LOCAL_IF, S_LOCAL_IP, S_LOCAL_FLOAT, S_VERSION,
    S_V1_PROFILE, S_V2_PROFILE, S_GATEWAY, S_TUNNEL_IF, S_IPSEC_PROFILE, S_MON_DEST,
    S_MON_PROFILE, S_N
};
enum ival {
    I_PEER_DYNAMIC, I_LIVENESS, I_LIVENESS_INTERVAL, I_DPD, I_DPD_INTERVAL, I_DPD_RETRY, I_NAT,
    I_PASSIVE, I_MONITOR, I_N
};
enum leaf_kind { LK_STR, LK_YESNO, LK_INT, LK_GW_TEXT };

struct leaf {
    enum obj obj;
    const char *rel; /* path below the object's <entry> */
    enum leaf_kind kind;
    int slot;        /* enum slot for strings, enum ival for yes/no and integers */
};

static const struct leaf leaves[] = {
    {OBJ_GATEWAY, "peer-address/ip", LK_STR, S_PEER_IP},
    {OBJ_GATEWAY, "peer-address/fqdn", LK_STR, S_PEER_FQDN},
    {OBJ_GATEWAY, "local-address/interface", LK_STR, S_LOCAL_IF},
    {OBJ_GATEWAY, "local-address/ip", LK_STR, S_LOCAL_IP},
    {OBJ_GATEWAY, "local-address/floating-ip", LK_STR, S_LOCAL_FLOAT},
    {OBJ_GATEWAY, "protocol/version", LK_STR, S_VERSION},
    {OBJ_GATEWAY, "protocol/ikev1/ike-crypto-profile", LK_STR, S_V1_PROFILE},
    {OBJ_GATEWAY, "protocol/ikev2/ike-crypto-profile", LK_STR, S_V2_PROFILE},
    {OBJ_GATEWAY, "protocol/ikev2/dpd/enable", LK_YESNO, I_LIVENESS},
    {OBJ_GATEWAY, "protocol/ikev2/dpd/interval", LK_INT, I_LIVENESS_INTERVAL},
    {OBJ_GATEWAY, "protocol/ikev1/dpd/enable", LK_YESNO, I_DPD},
    {OBJ_GATEWAY, "protocol/ikev1/dpd/interval", LK_INT, I_DPD_INTERVAL},
    {OBJ_GATEWAY, "protocol/ikev1/dpd/retry", LK_INT, I_DPD_RETRY},
    {OBJ_GATEWAY, "protocol-common/nat-traversal/enable", LK_YESNO, I_NAT},
    {OBJ_GATEWAY, "protocol-common/passive-mode", LK_YESNO, I_PASSIVE},
    {OBJ_TUNNEL, "tunnel-interface", LK_STR, S_TUNNEL_IF},
    {OBJ_TUNNEL, "auto-key/ipsec-crypto-profile", LK_STR, S_IPSEC_PROFILE},
    /* the gateway is auto-key/ike-gateway/entry/@name in every schema version; a member list
     * or plain text is taken too, in case an export flattens it */
    {OBJ_TUNNEL, "auto-key/ike-gateway/member", LK_GW_TEXT, S_GATEWAY},
    {OBJ_TUNNEL, "auto-key/ike-gateway", LK_GW_TEXT, S_GATEWAY},
    {OBJ_TUNNEL, "tunnel-monitor/enable", LK_YESNO, I_MONITOR},
    {OBJ_TUNNEL, "tunnel-monitor/destination-ip", LK_STR, S_MON_DEST},
    {OBJ_TUNNEL, "tunnel-monitor/tunnel-monitor-profile", LK_STR, S_MON_PROFILE},
};
#define N_LEAVES (sizeof leaves / sizeof leaves[0])

struct field {
    char s[RUNCONFIG_VALUE_MAX];
    size_t len;
    int set;
};

/* ---- parser state ------------------------------------------------------------------------- */

enum diag_check {
    DG_XML, DG_DOCTYPE, DG_DEPTH, DG_MEMORY, DG_LENGTH, DG_VALUE, DG_ENTRY, DG_READ, DG_CONTENT,
    DG_N
};
/* by enum diag_check, which is also the order of pk_finish's "N more" lines */
static const char *const diag_check_name[DG_N] = {
    "xml", "doctype", "depth", "memory-limit", "value-length", "value", "entry", "read", "not-config",
};

struct frame {
    unsigned char el;       /* enum el */
    unsigned char tpl;      /* this entry opened a template or template-stack context */
    unsigned short rel_len; /* rel path length before this element */
    size_t ctx_len;         /* context path length before this element */
};

struct rc {
    XML_Parser p;
    struct pk_out out; /* sink, stats, diagnostics; out.failed: the sink refused a record,
                        * stop and return -1 */
    int stopped;  /* XML_StopParser was called: ignore the callbacks that still come */
    int in_parse; /* inside XML_ParseBuffer, where XML_StopParser may be called */

    /* line accounting (expat's numbering: LF, CRLF and lone CR end a line) */
    int64_t line_ends;
    int prev_cr;
    int tail;     /* bytes after the last line end */

    int depth;
    struct frame fr[RUNCONFIG_DEPTH_MAX];
    int n_tpl;    /* open template / template-stack entries */
    int saw_config;

    /* context path: "template:T1/vsys1" */
    char ctx[RUNCONFIG_VALUE_MAX];
    size_t ctx_len;

    /* leaf text of the innermost open element */
    char text[RUNCONFIG_VALUE_MAX];
    size_t text_len;
    unsigned long long text_full;
    int text_depth; /* depth whose text is gathered; -1 when none */
    int capturing;
    int64_t fact_line;

    /* the object being read */
    enum obj obj;
    int obj_depth; /* frame index of its <entry> */
    int64_t obj_line;
    char rel[RC_REL_MAX + 2];
    size_t rel_len; /* RC_REL_MAX + 1: overflowed, nothing below matches */
    struct field f[S_N];
    int64_t iv[I_N];
    int64_t n_gw;

    /* the error that stopped the parse */
    int err_set;
    enum diag_check err_check;
    int64_t err_line, err_col, err_byte;
    char err_msg[256];
    char err_text[RUNCONFIG_VALUE_MAX];
    size_t err_text_len;
    int64_t err_text_off;

    char drain[RC_CHUNK]; /* reads after an error, to count the remaining lines */
};

/* Outside XML_ParseBuffer there is nothing to stop, and XML_StopParser would overwrite the
 * error code still to be read. */
static void stop(struct rc *r)
{
    if (!r->stopped && r->in_parse) {
        r->stopped = 1;
        XML_StopParser(r->p, XML_FALSE);
    }
}

/* After a record went to the sink: a refusal stops everything. */
static void sink_result(struct rc *r)
{
    if (r->out.failed)
        stop(r);
}

static void emit_diag(struct rc *r, enum diag_check c, enum ikm_diag_severity sev, int64_t line,
                      int64_t off, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void emit_diag(struct rc *r, enum diag_check c, enum ikm_diag_severity sev, int64_t line,
                      int64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pk_vdiag(&r->out, diag_check_name[c], sev, line, off, fmt, ap);
    va_end(ap);
    sink_result(r);
}

static int64_t cur_line(const struct rc *r)
{
    return (int64_t)XML_GetCurrentLineNumber(r->p);
}

/* ---- small helpers ------------------------------------------------------------------------ */

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char **p, size_t *n)
{
    while (*n > 0 && is_xml_space(**p))
        (*p)++, (*n)--;
    while (*n > 0 && is_xml_space((*p)[*n - 1]))
        (*n)--;
}

/* Length of s[0..n) without a UTF-8 sequence cut at its end (values are cut at a byte
 * count; the cut must not leave half a character). */
static size_t utf8_whole(const char *s, size_t n)
{
    size_t i = n, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--, back++;
    if (i == 0)
        return n;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > back + 1 ? i - 1 : n;
}

/* How much of a value to keep: `avail` bytes are at v, the value was `full` bytes long (more
 * when the reader already cut it). At most RUNCONFIG_VALUE_MAX, never half a character. */
static size_t kept_len(const char *v, size_t avail, size_t full)
{
    if (avail > RUNCONFIG_VALUE_MAX)
        avail = RUNCONFIG_VALUE_MAX;
    return full > avail ? utf8_whole(v, avail) : avail;
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (size_t i = 0; atts[i] && atts[i + 1]; i += 2)
        if (strcmp(atts[i], name) == 0)
            return atts[i + 1];
    return NULL;
}

static const char *obj_kind(enum obj o)
{
    return o == OBJ_GATEWAY ? "gateway" : "tunnel";
}

/* The object's name for messages (may be cut, never NULL). */
static const char *obj_name(const struct rc *r, int *len)
{
    *len = r->f[S_NAME].set ? (int)(r->f[S_NAME].len > RC_SHOW_MAX ? RC_SHOW_MAX : r->f[S_NAME].len) : 0;
    return r->f[S_NAME].s;
}

/* Stores a value of the current object: `avail` bytes at v of a value `full` bytes long. */
static void field_set(struct rc *r, enum slot s, const char *v, size_t avail, size_t full, const char *what,
                      int64_t line)
{
    struct field *f = &r->f[s];
    if (full > RUNCONFIG_VALUE_MAX) {
        if (s == S_NAME) {
            emit_diag(r, DG_LENGTH, IKM_DIAG_WARNING, line, -1,
                      "line %lld: %s entry name is %zu bytes; the first %zu are kept", (long long)line,
                      obj_kind(r->obj), full, RUNCONFIG_VALUE_MAX);
        } else {
            int nl;
            const char *nm = obj_name(r, &nl);
            emit_diag(r, DG_LENGTH, IKM_DIAG_WARNING, line, -1,
                      "line %lld: %s of %s '%.*s' is %zu bytes; the first %zu are kept", (long long)line,
                      what, obj_kind(r->obj), nl, nm, full, RUNCONFIG_VALUE_MAX);
        }
    }
    f->len = kept_len(v, avail, full);
    memcpy(f->s, v, f->len);
    f->set = 1;
}

static struct ikm_str field_str(const struct rc *r, enum slot s)
{
    return r->f[s].set ? ikm_str_of(r->f[s].s, r->f[s].len) : ikm_str_none();
}

/* ---- facts -------------------------------------------------------------------------------- */

/* `avail` bytes at v of a value `full` bytes long. */
static void emit_fact(struct rc *r, int64_t line, const char *key, const char *v, size_t avail, size_t full)
{
    if (full > RUNCONFIG_VALUE_MAX)
        emit_diag(r, DG_LENGTH, IKM_DIAG_WARNING, line, -1,
                  "line %lld: %s is %zu bytes; the first %zu are kept", (long long)line, key, full,
                  RUNCONFIG_VALUE_MAX);
    struct ikm_device_fact f = {line, key, ikm_str_of(v, kept_len(v, avail, full))};
    pk_device_fact(&r->out, &f);
    sink_result(r);
}

/* ---- objects ------------------------------------------------------------------------------ */

static void begin_object(struct rc *r, enum obj o, const XML_Char **atts, int64_t line)
{
    r->obj = o;
    r->obj_depth = r->depth - 1;
    r->obj_line = line;
    r->rel_len = 0;
    r->n_gw = 0;
    for (int i = 0; i < S_N; i++)
        r->f[i].set = 0, r->f[i].len = 0;
    for (int i = 0; i < I_N; i++)
        r->iv[i] = -1;
    const char *name = attr(atts, "name");
    if (name) {
        size_t n = strlen(name);
        field_set(r, S_NAME, name, n, n, "the name", line);
    }
    else
        emit_diag(r, DG_ENTRY, IKM_DIAG_WARNING, line, -1, "line %lld: %s entry without a name attribute",
                  (long long)line, obj_kind(o));
    if (r->ctx_len > 0) {
        memcpy(r->f[S_CTX].s, r->ctx, r->ctx_len);
        r->f[S_CTX].len = r->ctx_len;
        r->f[S_CTX].set = 1;
    }
}

static int starts_with(const struct field *f, const char *p)
{
    size_t n = strlen(p);
    return f->set && f->len >= n && memcmp(f->s, p, n) == 0;
}

static void emit_gateway(struct rc *r)
{
    struct ikm_cfg_gateway g;
    ikm_cfg_gateway_init(&g);
    g.line = r->obj_line;
    g.name = field_str(r, S_NAME);
    g.vsys = field_str(r, S_CTX);
    g.peer_ip = field_str(r, S_PEER_IP);
    g.peer_fqdn = field_str(r, S_PEER_FQDN);
    g.peer_dynamic = r->iv[I_PEER_DYNAMIC] == 1 ? 1 : (g.peer_ip.ptr || g.peer_fqdn.ptr) ? 0 : -1;
    g.local_interface = field_str(r, S_LOCAL_IF);
    /* local-address holds ip or floating-ip (HA active/active), never both */
    g.local_ip = field_str(r, r->f[S_LOCAL_IP].set ? S_LOCAL_IP : S_LOCAL_FLOAT);
    g.ike_version = field_str(r, S_VERSION);
    /* The profile of the version in use: without <version> (before PAN-OS 7.0, or left at
     * its default) that is IKEv1; ikev2-preferred may fall back to IKEv1, so its IKEv1
     * profile stands in when no IKEv2 one is set. */
    const struct field *ver = &r->f[S_VERSION];
    if (starts_with(ver, "ikev2")) {
        int preferred = ver->len == 15 && memcmp(ver->s, "ikev2-preferred", 15) == 0;
        g.ike_crypto_profile = field_str(r, !r->f[S_V2_PROFILE].set && preferred ? S_V1_PROFILE : S_V2_PROFILE);
    } else {
        g.ike_crypto_profile = field_str(r, S_V1_PROFILE);
    }
    g.liveness_enabled = (int)r->iv[I_LIVENESS];
    g.liveness_interval_s = r->iv[I_LIVENESS_INTERVAL];
    g.dpd_enabled = (int)r->iv[I_DPD];
    g.dpd_interval_s = r->iv[I_DPD_INTERVAL];
    g.dpd_retry = r->iv[I_DPD_RETRY];
    g.nat_traversal = (int)r->iv[I_NAT];
    g.passive_mode = (int)r->iv[I_PASSIVE];
    pk_cfg_gateway(&r->out, &g);
    sink_result(r);
}

static void emit_tunnel(struct rc *r)
{
    struct ikm_cfg_tunnel t;
    ikm_cfg_tunnel_init(&t);
    t.line = r->obj_line;
    t.name = field_str(r, S_NAME);
    t.vsys = field_str(r, S_CTX);
    t.gateway = field_str(r, S_GATEWAY);
    t.tunnel_interface = field_str(r, S_TUNNEL_IF);
    t.ipsec_crypto_profile = field_str(r, S_IPSEC_PROFILE);
    t.monitor_enabled = (int)r->iv[I_MONITOR];
    t.monitor_dest = field_str(r, S_MON_DEST);
    t.monitor_profile = field_str(r, S_MON_PROFILE);
    pk_cfg_tunnel(&r->out, &t);
    sink_result(r);
    if (r->n_gw > 1) {
        /* the record holds the first gateway; how many there were is kept beside it, joined
         * by the line */
        char n[24];
        int k = snprintf(n, sizeof n, "%lld", (long long)r->n_gw);
        emit_fact(r, r->obj_line, "tunnel-gateway-count", n, (size_t)k, (size_t)k);
    }
}

/* One gateway named by the tunnel (`avail` of `full` bytes, already trimmed). */
static void tunnel_gateway(struct rc *r, const char *v, size_t avail, size_t full, int64_t line)
{
    if (avail == 0)
        return;
    if (r->n_gw++ == 0)
        field_set(r, S_GATEWAY, v, avail, full, "auto-key/ike-gateway", line);
}

static void obj_leaf(struct rc *r, int64_t line)
{
    const struct leaf *lf = NULL;
    for (size_t i = 0; i < N_LEAVES && !lf; i++)
        if (leaves[i].obj == r->obj && strlen(leaves[i].rel) == r->rel_len &&
            memcmp(leaves[i].rel, r->rel, r->rel_len) == 0)
            lf = &leaves[i];
    if (!lf)
        return;
    const char *v = r->text;
    size_t n = r->text_len;
    trim(&v, &n);
    size_t full = n + (size_t)(r->text_full - r->text_len); /* what was cut is not trimmed */
    int nl;
    const char *nm = obj_name(r, &nl);
    switch (lf->kind) {
    case LK_STR:
        if (n > 0) /* an empty element configures nothing */
            field_set(r, (enum slot)lf->slot, v, n, full, lf->rel, line);
        return;
    case LK_GW_TEXT:
        tunnel_gateway(r, v, n, full, line);
        return;
    case LK_YESNO:
        if (n == 3 && memcmp(v, "yes", 3) == 0) {
            r->iv[lf->slot] = 1;
            return;
        }
        if (n == 2 && memcmp(v, "no", 2) == 0) {
            r->iv[lf->slot] = 0;
            return;
        }
        break;
    case LK_INT: {
        int64_t x = 0;
        size_t i = 0;
        while (i < n && i < 18 && v[i] >= '0' && v[i] <= '9')
            x = x * 10 + (v[i++] - '0');
        if (i > 0 && i == n) {
            r->iv[lf->slot] = x;
            return;
        }
        break;
    }
    }
    r->iv[lf->slot] = -1;
    emit_diag(r, DG_VALUE, IKM_DIAG_WARNING, line, -1,
              "line %lld: %s of %s '%.*s' is '%.*s', expected %s; taken as not configured",
              (long long)line, lf->rel, obj_kind(r->obj), nl, nm, (int)(n > RC_SHOW_MAX ? RC_SHOW_MAX : n), v,
              lf->kind == LK_YESNO ? "yes or no" : "a decimal number");
}

/* Appends "/name" to the relative path; a path that grows past what any leaf can be stops
 * matching until it shrinks back. */
static void rel_push(struct rc *r, const char *name, size_t n)
{
    if (r->rel_len > RC_REL_MAX)
        return;
    size_t sep = r->rel_len > 0;
    if (n > RC_ELNAME_MAX || r->rel_len + sep + n > RC_REL_MAX) {
        r->rel_len = RC_REL_MAX + 1;
        return;
    }
    if (sep)
        r->rel[r->rel_len++] = '/';
    memcpy(r->rel + r->rel_len, name, n);
    r->rel_len += n;
}

static int rel_is(const struct rc *r, const char *s)
{
    size_t n = strlen(s);
    return r->rel_len == n && memcmp(r->rel, s, n) == 0;
}

/* ---- context ------------------------------------------------------------------------------ */

static void ctx_push(struct rc *r, const char *prefix, const char *name, int64_t line)
{
    size_t pn = strlen(prefix), nn = strlen(name);
    size_t sep = r->ctx_len > 0;
    size_t room = RUNCONFIG_VALUE_MAX - r->ctx_len;
    if (sep + pn + nn > room) {
        emit_diag(r, DG_LENGTH, IKM_DIAG_WARNING, line, -1,
                  "line %lld: context path longer than %zu bytes; cut", (long long)line, RUNCONFIG_VALUE_MAX);
        if (sep + pn >= room)
            return;
        nn = utf8_whole(name, room - sep - pn);
    }
    if (sep)
        r->ctx[r->ctx_len++] = '/';
    memcpy(r->ctx + r->ctx_len, prefix, pn);
    r->ctx_len += pn;
    memcpy(r->ctx + r->ctx_len, name, nn);
    r->ctx_len += nn;
}

/* ---- errors ------------------------------------------------------------------------------- */

/* Copies the error line (or the part of it around the error, when it is long) out of expat's
 * input context; valid in a handler or right after XML_ParseBuffer failed. The line number
 * may point past the last line (an error found at the end of a file that ends with a newline):
 * then the last line is taken. */
static void grab_error_text(struct rc *r)
{
    r->err_text_len = 0;
    r->err_text_off = -1;
    int off = 0, size = 0;
    const char *b = XML_GetInputContext(r->p, &off, &size);
    if (!b || off < 0 || size < off)
        return;
    int64_t base = r->err_byte - off; /* stream offset of b[0] */
    size_t pos = (size_t)off;
    int64_t lines_so_far = r->line_ends + (r->tail ? 1 : 0);
    if (r->err_line > lines_so_far && pos > 0) {
        /* step back over one line end: LF, CRLF or CR */
        if (b[pos - 1] == '\n')
            pos--;
        if (pos > 0 && b[pos - 1] == '\r')
            pos--;
    }
    size_t start = pos, end = pos;
    while (start > 0 && b[start - 1] != '\n' && b[start - 1] != '\r')
        start--;
    while (end < (size_t)size && b[end] != '\n' && b[end] != '\r')
        end++;
    /* the line starts at b[start] only if a line end precedes it or it is the stream's start */
    if (start > 0 || base == 0)
        r->err_text_off = base + (int64_t)start;
    if (end - start > RUNCONFIG_VALUE_MAX) {
        size_t half = RUNCONFIG_VALUE_MAX / 2;
        start = pos - start > half ? pos - half : start;
        if (end - start > RUNCONFIG_VALUE_MAX)
            end = start + RUNCONFIG_VALUE_MAX;
    }
    memcpy(r->err_text, b + start, end - start);
    r->err_text_len = end - start;
}

/* An error this parser raises from a handler (DOCTYPE, depth): recorded with its place, and
 * the parse stops. */
static void fail_here(struct rc *r, enum diag_check c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_here(struct rc *r, enum diag_check c, const char *fmt, ...)
{
    if (r->err_set)
        return;
    r->err_set = 1;
    r->err_check = c;
    r->err_line = cur_line(r);
    r->err_col = (int64_t)XML_GetCurrentColumnNumber(r->p) + 1;
    r->err_byte = (int64_t)XML_GetCurrentByteIndex(r->p);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err_msg, sizeof r->err_msg, fmt, ap);
    va_end(ap);
    grab_error_text(r);
    stop(r);
}

/* ---- expat callbacks ---------------------------------------------------------------------- */

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct rc *r = ud;
    if (r->stopped)
        return;
    if (r->depth >= RUNCONFIG_DEPTH_MAX) {
        fail_here(r, DG_DEPTH, "elements nested deeper than %d", RUNCONFIG_DEPTH_MAX);
        return;
    }
    size_t nlen = strlen(name);
    enum el id = el_of(name, nlen);
    int d = r->depth++;
    struct frame *fr = &r->fr[d];
    fr->el = (unsigned char)id;
    fr->tpl = 0;
    fr->rel_len = (unsigned short)r->rel_len;
    fr->ctx_len = r->ctx_len;
    r->text_len = 0;
    r->text_full = 0;
    r->text_depth = r->depth;
    r->capturing = 0;
    int64_t line = cur_line(r);

    if (id == EL_CONFIG && !r->saw_config) {
        r->saw_config = 1;
        const char *v = attr(atts, "version");
        if (v)
            emit_fact(r, line, "config-version", v, strlen(v), strlen(v));
        v = attr(atts, "detail-version");
        if (v)
            emit_fact(r, line, "config-detail-version", v, strlen(v), strlen(v));
    }

    if (r->obj != OBJ_NONE) {
        rel_push(r, name, nlen);
        if (r->obj == OBJ_GATEWAY && rel_is(r, "peer-address/dynamic"))
            r->iv[I_PEER_DYNAMIC] = 1;
        if (r->obj == OBJ_TUNNEL && rel_is(r, "auto-key/ike-gateway/entry")) {
            const char *gw = attr(atts, "name");
            size_t gn = gw ? strlen(gw) : 0;
            if (gw)
                tunnel_gateway(r, gw, gn, gn, line);
        }
        r->capturing = 1;
        return;
    }
    if (id == EL_ENTRY && d >= 3) {
        enum el p1 = r->fr[d - 1].el, p2 = r->fr[d - 2].el, p3 = r->fr[d - 3].el;
        if (p1 == EL_GATEWAY && p2 == EL_IKE && p3 == EL_NETWORK) {
            begin_object(r, OBJ_GATEWAY, atts, line);
            return;
        }
        if (p1 == EL_IPSEC && p2 == EL_TUNNEL && p3 == EL_NETWORK) {
            begin_object(r, OBJ_TUNNEL, atts, line);
            return;
        }
    }
    if (id == EL_ENTRY && d >= 1) {
        enum el p1 = r->fr[d - 1].el;
        const char *nm = attr(atts, "name");
        if (nm && p1 == EL_TEMPLATE)
            ctx_push(r, "template:", nm, line);
        else if (nm && p1 == EL_TEMPLATE_STACK)
            ctx_push(r, "template-stack:", nm, line);
        else if (nm && p1 == EL_VSYS)
            ctx_push(r, "", nm, line);
        if (p1 == EL_TEMPLATE || p1 == EL_TEMPLATE_STACK) {
            fr->tpl = 1;
            r->n_tpl++;
        }
    }
    /* deviceconfig/system of the device itself; a template's system settings are the
     * template's, not this device's */
    if (fact_key(id) && d >= 4 && r->n_tpl == 0 && r->fr[d - 1].el == EL_SYSTEM &&
        r->fr[d - 2].el == EL_DEVICECONFIG && r->fr[d - 3].el == EL_ENTRY && r->fr[d - 4].el == EL_DEVICES) {
        r->capturing = 1;
        r->fact_line = line;
    }
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    (void)name;
    struct rc *r = ud;
    if (r->stopped || r->depth == 0)
        return;
    int d = --r->depth;
    struct frame *fr = &r->fr[d];
    int leaf = r->text_depth == d + 1;
    r->text_depth = -1;
    if (r->obj != OBJ_NONE) {
        if (d == r->obj_depth) {
            if (r->obj == OBJ_GATEWAY)
                emit_gateway(r);
            else
                emit_tunnel(r);
            r->obj = OBJ_NONE;
        } else if (leaf) {
            obj_leaf(r, cur_line(r));
        }
        r->rel_len = fr->rel_len;
    } else if (leaf && r->capturing && fact_key((enum el)fr->el)) {
        const char *v = r->text;
        size_t n = r->text_len;
        trim(&v, &n);
        size_t full = n + (size_t)(r->text_full - r->text_len);
        if (n > 0)
            emit_fact(r, r->fact_line, fact_key((enum el)fr->el), v, n, full);
    }
    r->capturing = 0;
    if (fr->tpl)
        r->n_tpl--;
    r->ctx_len = fr->ctx_len;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct rc *r = ud;
    if (r->stopped || !r->capturing || r->text_depth != r->depth || len <= 0)
        return;
    size_t n = (size_t)len;
    r->text_full += n;
    size_t room = RUNCONFIG_VALUE_MAX - r->text_len;
    if (n > room)
        n = room;
    memcpy(r->text + r->text_len, s, n);
    r->text_len += n;
}

/* PAN-OS writes no DOCTYPE; one in a config can only be there to declare entities, so it is
 * refused before its internal subset is read (no entity is ever defined, so none expands). */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    (void)sysid, (void)pubid, (void)has_internal_subset;
    struct rc *r = ud;
    if (r->stopped)
        return;
    fail_here(r, DG_DOCTYPE, "DOCTYPE declaration (<!DOCTYPE %.64s>) refused: a PAN-OS configuration has none, "
              "and entities are not expanded", name ? name : "");
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                                   int value_len, const XML_Char *base, const XML_Char *sysid,
                                   const XML_Char *pubid, const XML_Char *notation)
{
    (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid, (void)pubid, (void)notation;
    struct rc *r = ud;
    if (r->stopped)
        return;
    fail_here(r, DG_DOCTYPE, "entity declaration '%.64s' refused", name ? name : "");
}

/* ---- the stream --------------------------------------------------------------------------- */

static void count_lines(struct rc *r, const char *b, size_t n)
{
    int64_t ends = 0;
    int prev_cr = r->prev_cr;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (c == '\r') {
            ends++;
            prev_cr = 1;
        } else {
            if (c == '\n' && !prev_cr)
                ends++;
            prev_cr = 0;
        }
    }
    if (n > 0) {
        char last = b[n - 1];
        r->tail = last != '\n' && last != '\r';
    }
    r->line_ends += ends;
    r->prev_cr = prev_cr;
    r->out.st.bytes += (int64_t)n;
}

static int64_t units_of(const struct rc *r)
{
    return r->line_ends + (r->tail ? 1 : 0);
}

/* An entry still open when the parse stops is half read: it is not emitted, but said. */
static void report_cut_object(struct rc *r, const char *by)
{
    if (r->obj == OBJ_NONE)
        return;
    int nl;
    const char *nm = obj_name(r, &nl);
    emit_diag(r, DG_ENTRY, IKM_DIAG_WARNING, r->obj_line, -1, "line %lld: %s '%.*s' is cut by %s and not kept",
              (long long)r->obj_line, obj_kind(r->obj), nl, nm, by);
}

/* After an error: the rest of the stream is read only to count its lines. */
static void drain(struct rc *r, struct ikm_stream s)
{
    for (;;) {
        ssize_t k = s.read(s.ctx, r->drain, sizeof r->drain);
        if (k == 0)
            return;
        if (k < 0) {
            emit_diag(r, DG_READ, IKM_DIAG_ERROR, 0, r->out.st.bytes,
                      "stream ends early after byte %lld: %s", (long long)r->out.st.bytes,
                      s.error ? s.error(s.ctx) : "read error");
            return;
        }
        count_lines(r, r->drain, (size_t)k);
    }
}

static void report_error(struct rc *r, struct ikm_stream s)
{
    drain(r, s);
    int64_t units = units_of(r);
    int64_t line = r->err_line < 1 ? 1 : r->err_line > units ? units : r->err_line;
    if (r->err_line > units)
        emit_diag(r, r->err_check, IKM_DIAG_ERROR, line, r->err_byte, "end of file after line %lld: %s",
                  (long long)units, r->err_msg);
    else
        emit_diag(r, r->err_check, IKM_DIAG_ERROR, line, r->err_byte, "line %lld, column %lld: %s",
                  (long long)r->err_line, (long long)r->err_col, r->err_msg);
    report_cut_object(r, "the error");
    if (units == 0)
        return; /* an empty file: nothing to count */
    r->out.st.parsed = line - 1;
    r->out.st.unparsed = units - line; /* the lines after the error: counted, no record each */
    pk_unparsed(&r->out, line, r->err_text_off, "XML error", r->err_text, r->err_text_len);
}

/* The error expat found (or the one a handler raised), with its place. */
static void take_expat_error(struct rc *r)
{
    if (r->err_set)
        return;
    enum XML_Error code = XML_GetErrorCode(r->p);
    r->err_set = 1;
    r->err_check = code == XML_ERROR_NO_MEMORY ? DG_MEMORY : DG_XML;
    r->err_line = cur_line(r);
    r->err_col = (int64_t)XML_GetCurrentColumnNumber(r->p) + 1;
    r->err_byte = (int64_t)XML_GetCurrentByteIndex(r->p);
    if (code == XML_ERROR_NO_MEMORY)
        snprintf(r->err_msg, sizeof r->err_msg, "the XML parser's memory limit (%zu MiB) is reached "
                 "(a token or name table too large for a configuration)", RUNCONFIG_EXPAT_MEM_MAX >> 20);
    else
        snprintf(r->err_msg, sizeof r->err_msg, "%s", XML_ErrorString(code));
    grab_error_text(r);
}

static XML_Parser new_parser(struct rc *r)
{
    XML_Parser p = XML_ParserCreate_MM(NULL, &rc_mem, NULL);
    if (!p)
        return NULL;
    XML_SetUserData(p, r);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetEntityDeclHandler(p, on_entity_decl);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#if defined(XML_DTD) && (XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4))
    /* belt and braces: the DOCTYPE refusal already keeps every entity out */
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 10.0f);
#endif
    return p;
}

int runconfig_parse_stream(struct ikm_stream s, const struct ikm_sink *sink, struct ikm_source_stats *stats)
{
    ikm_source_stats_init(stats);
    struct rc *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    pk_out_init(&r->out, sink, diag_check_name, DG_N);
    r->text_depth = -1;
    rc_expat_refused = 0;
    r->p = new_parser(r);
    if (!r->p) {
        free(r);
        return -1;
    }
    int rc = 0;
    for (;;) {
        void *buf = XML_GetBuffer(r->p, (int)RC_CHUNK);
        if (!buf) {
            if (!rc_expat_refused) {
                rc = -1; /* the machine is out of memory, not the input at fault */
                break;
            }
            take_expat_error(r);
            report_error(r, s);
            rc = 1;
            break;
        }
        ssize_t k = s.read(s.ctx, buf, RC_CHUNK);
        if (k < 0) {
            /* what was read stands: its lines were consumed without an XML error */
            emit_diag(r, DG_READ, IKM_DIAG_ERROR, units_of(r), r->out.st.bytes,
                      "stream ends early after byte %lld: %s; everything before is kept",
                      (long long)r->out.st.bytes, s.error ? s.error(s.ctx) : "read error");
            report_cut_object(r, "the read error");
            r->out.st.parsed = units_of(r);
            rc = 1;
            break;
        }
        count_lines(r, buf, (size_t)k);
        r->in_parse = 1;
        enum XML_Status xs = XML_ParseBuffer(r->p, (int)k, k == 0);
        r->in_parse = 0;
        if (r->out.failed) {
            rc = -1;
            break;
        }
        if (xs == XML_STATUS_ERROR) {
            if (XML_GetErrorCode(r->p) == XML_ERROR_NO_MEMORY && !rc_expat_refused && !r->err_set) {
                rc = -1;
                break;
            }
            take_expat_error(r);
            report_error(r, s);
            rc = 1;
            break;
        }
        if (k == 0) {
            r->out.st.parsed = units_of(r);
            if (!r->saw_config)
                emit_diag(r, DG_CONTENT, IKM_DIAG_WARNING, 0, -1,
                          "no <config> element: well-formed XML, but not a PAN-OS configuration");
            break;
        }
    }
    r->out.st.units = units_of(r);
    if (rc == -1)
        r->out.st.parsed = r->out.st.units - r->out.st.unparsed; /* counts still add up on a failure */
    if (pk_finish(&r->out, stats) < 0)
        rc = -1;
    XML_ParserFree(r->p);
    free(r);
    return rc;
}

/* ---- sniffing ----------------------------------------------------------------------------- */

static const char *find_config_tag(const char *b, size_t n)
{
    const char *p = b, *end = b + n;
    while (p < end) {
        const char *h = memmem(p, (size_t)(end - p), "<config", 7);
        if (!h)
            return NULL;
        if (h + 7 < end) {
            char c = h[7];
            if (c == '>' || c == '/' || is_xml_space(c))
                return h;
        }
        p = h + 7;
    }
    return NULL;
}

int runconfig_sniff(const char *buf, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && is_xml_space(buf[i]))
        i++;
    int decl = n - i >= 5 && memcmp(buf + i, "<?xml", 5) == 0;
    const char *cfg = find_config_tag(buf, n);
    if (!cfg)
        return decl ? 10 : 0;
    static const char *const markers[] = {"urldb=", "detail-version=", "<devices>", "<mgt-config>",
                                          "<deviceconfig>"};
    size_t rest = n - (size_t)(cfg - buf);
    for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++)
        if (memmem(cfg, rest, markers[m], strlen(markers[m])))
            return 100;
    return 60;
}
