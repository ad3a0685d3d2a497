/*
 * redact.c — addresses and names replaced by keyed tokens (see redact.h).
 *
 * Addresses are found by shape (PCRE2) and confirmed by inet_pton, so that times such as
 * 17:26:27 or versions such as 10.2.9 stay as they are. Names are the ones the timeline says
 * belong to the customer; they are replaced where they stand as a whole word (the characters
 * around are not letters or digits), longest first, so "fw1.example.com" goes before "fw1".
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "redact.h"

#include "incidents.h"
#include "strmap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pcre2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDACT_NAMES_MAX 100000 /* names learned from one timeline */
#define REDACT_NAME_MIN 2       /* a one-character name would eat every word */
#define TOKEN_LEN 32

struct redact_name {
    char *value;
    size_t len;
    char token[TOKEN_LEN];
};

struct ikm_redactor {
    unsigned char key[IKM_REDACT_KEY_MAX];
    size_t keylen;
    struct redact_name *names;
    size_t n, cap;
    int sorted;
    struct ikm_strmap seen; /* the names learned, to add each once */
    pcre2_code *ip_re;
};

static void make_token(const struct ikm_redactor *r, const char *category, const char *value, size_t len,
                       char *out)
{
    unsigned char msg[600];
    size_t cl = strlen(category);
    size_t take = len < sizeof msg - cl - 1 ? len : sizeof msg - cl - 1;
    memcpy(msg, category, cl);
    msg[cl] = ':';
    memcpy(msg + cl + 1, value, take);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), r->key, (int)r->keylen, msg, cl + 1 + take, mac, &maclen);
    snprintf(out, TOKEN_LEN, "%s-%02x%02x%02x%02x", category, mac[0], mac[1], mac[2], mac[3]);
}

struct ikm_redactor *ikm_redactor_new(const char *key, char *err, size_t errsz)
{
    struct ikm_redactor *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    if (key) {
        size_t kl = strlen(key);
        if (kl == 0 || kl > IKM_REDACT_KEY_MAX) {
            snprintf(err, errsz, "--redact-key: 1 to %d characters", IKM_REDACT_KEY_MAX);
            free(r);
            return NULL;
        }
        memcpy(r->key, key, kl);
        r->keylen = kl;
    } else {
        r->keylen = 32;
        if (RAND_bytes(r->key, 32) != 1) {
            snprintf(err, errsz, "no random key could be made");
            free(r);
            return NULL;
        }
    }
    /* candidates only: inet_pton decides */
    /* IPv4 may be followed by ":port" or end a sentence; IPv6 takes its colons greedily */
    static const char pattern[] = "(?<![0-9A-Za-z.])\\d{1,3}(?:\\.\\d{1,3}){3}(?![0-9A-Za-z]|\\.\\d)|"
                                  "(?<![0-9A-Za-z.:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
                                  "(?:\\d{1,3}(?:\\.\\d{1,3}){3})?(?![0-9A-Za-z:])";
    int ec;
    PCRE2_SIZE eo;
    r->ip_re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
    if (!r->ip_re) {
        snprintf(err, errsz, "redact: address pattern: error %d", ec);
        free(r);
        return NULL;
    }
    pcre2_jit_compile(r->ip_re, PCRE2_JIT_COMPLETE);
    return r;
}

void ikm_redactor_free(struct ikm_redactor *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->names[i].value);
    free(r->names);
    ikm_strmap_free(&r->seen);
    pcre2_code_free(r->ip_re);
    memset(r->key, 0, sizeof r->key);
    free(r);
}


/* Adds name with the token of `as` (a configured name it was cut from), else its own. */
static int add_as(struct ikm_redactor *r, const char *category, const char *name, const struct redact_name *as)
{
    size_t len = name ? strlen(name) : 0;
    if (len < REDACT_NAME_MIN || ikm_strmap_has(&r->seen, name))
        return 0;
    int added;
    if (r->n >= REDACT_NAMES_MAX || ikm_strmap_get(&r->seen, name, (uint32_t)r->n, &added) < 0)
        return -1;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 64;
        struct redact_name *p = realloc(r->names, ncap * sizeof *p);
        if (!p)
            return -1;
        r->names = p;
        r->cap = ncap;
    }
    struct redact_name *e = &r->names[r->n];
    if (!(e->value = strdup(name)))
        return -1;
    e->len = len;
    if (as)
        memcpy(e->token, as->token, TOKEN_LEN);
    else
        make_token(r, category, name, len, e->token);
    r->n++;
    r->sorted = 0;
    return 0;
}

int ikm_redactor_add(struct ikm_redactor *r, const char *category, const char *name)
{
    return add_as(r, category, name, NULL);
}

static int by_length_desc(const void *a, const void *b)
{
    const struct redact_name *x = a, *y = b;
    return (x->len < y->len) - (x->len > y->len);
}

/* The configured/whole name a cut one stands for, when exactly one is compatible. */
static const struct redact_name *whole_name_of(const struct ikm_redactor *r, const char *cut, size_t first)
{
    const struct redact_name *hit = NULL;
    for (size_t i = 0; i < first && i < r->n; i++)
        if (strcmp(r->names[i].value, cut) != 0 && ikm_names_compatible(r->names[i].value, cut)) {
            if (hit)
                return NULL;
            hit = &r->names[i];
        }
    return hit;
}

int ikm_redactor_learn(struct ikm_redactor *r, sqlite3 *db, char *err, size_t errsz)
{
    /* whole names first (configuration, facts), then what the lines carry, which may be cut */
    static const struct {
        const char *category, *sql;
    } whole[] = {
        {"host", "SELECT DISTINCT device FROM sources"},
        {"host", "SELECT DISTINCT value FROM device_facts WHERE key = 'hostname'"},
        {"sn", "SELECT DISTINCT value FROM device_facts WHERE key = 'serial'"},
        {"gw", "SELECT DISTINCT name FROM cfg_gateways"},
        {"fqdn", "SELECT DISTINCT peer_fqdn FROM cfg_gateways"},
        {"tun", "SELECT DISTINCT name FROM cfg_tunnels"},
        {"host", "SELECT DISTINCT device FROM events WHERE device IS NOT NULL"},
        {"admin", "SELECT DISTINCT json_extract(attrs_json, '$.admin') FROM events WHERE kind IN"
                  " ('config-commit', 'policy-change') AND attrs_json LIKE '%\"admin\"%'"},
    },
      cut[] = {
          {"gw", "SELECT DISTINCT gateway FROM events WHERE gateway IS NOT NULL"},
          {"tun", "SELECT DISTINCT tunnel FROM events WHERE tunnel IS NOT NULL"},
      };
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass ? sizeof cut / sizeof cut[0] : sizeof whole / sizeof whole[0];
        size_t known = r->n;
        for (size_t q = 0; q < n; q++) {
            const char *category = pass ? cut[q].category : whole[q].category;
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(db, pass ? cut[q].sql : whole[q].sql, -1, &st, NULL) != SQLITE_OK) {
                snprintf(err, errsz, "redact: %s", sqlite3_errmsg(db));
                return -1;
            }
            int rc = 0;
            while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
                const char *v = (const char *)sqlite3_column_text(st, 0);
                if (!v)
                    continue;
                rc = add_as(r, category, v, pass ? whole_name_of(r, v, known) : NULL);
            }
            sqlite3_finalize(st);
            if (rc < 0) {
                snprintf(err, errsz, "redact: too many names or out of memory");
                return -1;
            }
        }
    }
    return 0;
}

struct buf {
    char *p;
    size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t ncap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, ncap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

/* addresses → tokens */
static char *redact_addresses(const struct ikm_redactor *r, const char *text)
{
    struct buf out = {0};
    size_t n = strlen(text), pos = 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->ip_re, NULL);
    if (!md || put(&out, "", 0) < 0) {
        pcre2_match_data_free(md);
        free(out.p);
        return NULL;
    }
    while (pos < n) {
        int m = pcre2_match(r->ip_re, (PCRE2_SPTR)text, n, pos, 0, md, NULL);
        if (m < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        char cand[64], tok[TOKEN_LEN];
        unsigned char bin[16];
        size_t cl = e - s;
        int ok = 0;
        if (cl > 0 && cl < sizeof cand) {
            memcpy(cand, text + s, cl);
            cand[cl] = 0;
            if (inet_pton(AF_INET, cand, bin) == 1) {
                make_token(r, "ip", cand, cl, tok);
                ok = 1;
            } else if (inet_pton(AF_INET6, cand, bin) == 1) {
                make_token(r, "ip6", cand, cl, tok);
                ok = 1;
            }
        }
        if (put(&out, text + pos, s - pos) < 0 || put(&out, ok ? tok : text + s, ok ? strlen(tok) : cl) < 0) {
            free(out.p);
            out.p = NULL;
            break;
        }
        pos = e > s ? e : s + 1;
        if (e == s && put(&out, text + s, 1) < 0) {
            free(out.p);
            out.p = NULL;
            break;
        }
    }
    pcre2_match_data_free(md);
    if (out.p && pos < n && put(&out, text + pos, n - pos) < 0) {
        free(out.p);
        return NULL;
    }
    return out.p;
}

/* Only letters and digits glue a name to its neighbours: "fw-hq_20240912_techsupport.tgz"
 * still shows the name "fw-hq", and hiding a little too much beats leaking it. */
static int word_char(unsigned char c)
{
    return isalnum(c);
}

/* names → tokens, in place into a new buffer */
static char *redact_names(const struct ikm_redactor *r, char *text)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct redact_name *nm = &r->names[i];
        if (!strstr(text, nm->value))
            continue;
        struct buf out = {0};
        const char *p = text, *hit;
        int fail = put(&out, "", 0) < 0;
        while (!fail && (hit = strstr(p, nm->value)) != NULL) {
            int before_ok = hit == text || !word_char((unsigned char)hit[-1]);
            int after_ok = !word_char((unsigned char)hit[nm->len]);
            fail = put(&out, p, (size_t)(hit - p)) < 0;
            if (!fail)
                fail = before_ok && after_ok ? put(&out, nm->token, strlen(nm->token)) < 0
                                             : put(&out, hit, nm->len) < 0;
            p = hit + nm->len;
        }
        if (!fail)
            fail = put(&out, p, strlen(p)) < 0;
        free(text);
        if (fail) {
            free(out.p);
            return NULL;
        }
        text = out.p;
    }
    return text;
}

char *ikm_redact_text(const struct ikm_redactor *r, const char *text)
{
    if (!r->sorted) {
        /* longest first; the order is part of the redactor's state, not of the call */
        struct ikm_redactor *w = (struct ikm_redactor *)r;
        qsort(w->names, w->n, sizeof *w->names, by_length_desc);
        w->sorted = 1;
    }
    char *a = redact_addresses(r, text);
    return a ? redact_names(r, a) : NULL;
}

int ikm_redact_json(const struct ikm_redactor *r, json_t *v)
{
    size_t i;
    json_t *x;
    const char *k;
    switch (json_typeof(v)) {
    case JSON_STRING: {
        char *s = ikm_redact_text(r, json_string_value(v));
        int rc = s && json_string_set(v, s) == 0 ? 0 : -1;
        free(s);
        return rc;
    }
    case JSON_ARRAY:
        json_array_foreach(v, i, x) if (ikm_redact_json(r, x) < 0) return -1;
        return 0;
    case JSON_OBJECT:
        json_object_foreach(v, k, x) if (ikm_redact_json(r, x) < 0) return -1;
        return 0;
    default:
        return 0;
    }
}

static void sql_redact(sqlite3_context *c, int argc, sqlite3_value **v)
{
    (void)argc;
    const struct ikm_redactor *r = sqlite3_user_data(c);
    const char *t = (const char *)sqlite3_value_text(v[0]);
    if (!t || sqlite3_value_type(v[0]) != SQLITE_TEXT) {
        sqlite3_result_value(c, v[0]);
        return;
    }
    char *s = ikm_redact_text(r, t);
    if (!s) {
        sqlite3_result_error_nomem(c);
        return;
    }
    sqlite3_result_text(c, s, -1, free);
}

int ikm_redact_db(const struct ikm_redactor *r, sqlite3 *db, char *err, size_t errsz)
{
    if (sqlite3_create_function(db, "ikm_redact", 1, SQLITE_UTF8, (void *)r, sql_redact, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "redact: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_stmt *tables;
    if (sqlite3_prepare_v2(db,
                           "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
                           " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND upper(p.type) = 'TEXT'",
                           -1, &tables, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "redact: %s", sqlite3_errmsg(db));
        return -1;
    }
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    while (rc == 0 && sqlite3_step(tables) == SQLITE_ROW) {
        char *sql = sqlite3_mprintf("UPDATE \"%w\" SET \"%w\" = ikm_redact(\"%w\") WHERE \"%w\" IS NOT NULL",
                                    sqlite3_column_text(tables, 0), sqlite3_column_text(tables, 1),
                                    sqlite3_column_text(tables, 1), sqlite3_column_text(tables, 1));
        if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = -1;
        sqlite3_free(sql);
    }
    sqlite3_finalize(tables);
    if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = -1;
    /* the old values still sit in free pages until the file is rebuilt */
    if (rc == 0 && sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
        rc = -1;
    if (rc < 0) {
        snprintf(err, errsz, "redact: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}
