/*
 * cmd_timeline.c — `ikemortem timeline --db FILE [filters]`: prints the merged timeline of an
 * existing database, one line per event or IKE message, in time order.
 *
 * Owns: the command's options and usage text, the time arguments (--since/--until), the
 * filters (time, device, peer/gateway/tunnel, incident, kinds) as SQL over the tables, the
 * merge of the two time-ordered row streams, and the line format. It never writes: the
 * database is opened read-only.
 *
 * Memory stays flat whatever the size of the database: each table is read through one
 * statement that walks its time index (no sorter), and the two streams are merged row by row.
 */
#include "cli.h"
#include "dbexec.h"
#include "redact.h"
#include "textsafe.h"
#include "timeline.h"
#include "tz.h"

#include "../parsers/ike_wire.h"
#include "../parsers/sink.h"
#include "../parsers/timefmt.h"

#include <getopt.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char timeline_usage[] =
    "Usage: ikemortem timeline --db FILE [--since T] [--until T] [--peer IP] [--tunnel NAME]\n"
    "                          [--gateway NAME] [--device NAME] [--around N] [--kind K,...]\n"
    "                          [--limit N] [--tz ZONE|local] [--redact [--redact-key K]]\n"
    "\n"
    "Prints the timeline of FILE (built by 'ikemortem ingest'): every event and IKE message,\n"
    "one line each, in time order:\n"
    "  UTC time  device-local time and offset [tz assumed]  source:line (or source#frame N)\n"
    "  kind  [dev=D] [gw=G] [tunnel=T] [peer=P]  text\n"
    "'[tz assumed]' marks rows whose zone was unknown (local time taken as UTC); give --tz\n"
    "to ingest. IKE messages read: direction, addresses, exchange, request/response, msgid,\n"
    "len, notify error, and 'liveness?' for an empty INFORMATIONAL judged by its size.\n"
    "Control bytes and invalid UTF-8 are written as \\xNN.\n"
    "\n"
    "Options:\n"
    "  --db FILE        the timeline database (required; opened read-only)\n"
    "  --since T        rows at or after T; T is 2019-03-07T01:26:27Z, '2019-03-07 01:26:27'\n"
    "                   (UTC), with an offset (2019-03-07T10:26:27+09:00), fractions of a\n"
    "                   second, or a date alone (its midnight, UTC)\n"
    "  --until T        rows at or before T\n"
    "  --peer IP        rows whose peer, source or destination address is IP, and events of\n"
    "                   the gateways and tunnels configured for IP (running-config)\n"
    "  --gateway NAME   events of gateway NAME (names the CLI cut short match by prefix), and\n"
    "                   rows of the peer the configuration gives that gateway\n"
    "  --tunnel NAME    events of tunnel NAME (prefix too), of its gateway, and rows of its peer\n"
    "                   (--peer, --gateway and --tunnel together: rows matching any of them)\n"
    "  --device NAME    rows of that device only\n"
    "  --around N       incident N (ikemortem analyze): its window, device and peer, plus the\n"
    "                   device-wide rows (routes, links, HA, commits) that name no peer;\n"
    "                   --since/--until/--device/--peer/--gateway/--tunnel replace its own\n"
    "  --kind K,...     only these kinds: event kinds (dpd-down, p1-fail, route-change, ...),\n"
    "                   'ike' for every IKE message, or ike-sent / ike-recv\n"
    "  --limit N        stop after N rows\n"
    "  --tz ZONE|local  show the second time in ZONE (+09:00, UTC, Europe/Berlin) instead of\n"
    "                   each device's own zone; 'local' (the default) keeps the device's zone\n"
    "  --redact         addresses and names as keyed tokens (as analyze --redact)\n"
    "  --redact-key K   the key (implies --redact; else IKM_REDACT_KEY, else random)\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit codes: 0 printed; 2 usage (bad option, time or incident); 3 FILE missing or not an\n"
    "ikemortem timeline.\n";

#define TL_TEXT_MAX 65536           /* input bytes of one field printed; the rest is counted */
#define TL_KINDS_MAX 1024           /* bytes of a --kind list */
#define TL_OFFSET_MAX_US (26LL * 3600 * 1000000) /* a larger local-UTC gap is not an offset */

enum {
    OPT_REDACT = 240,
    OPT_REDACT_KEY,
    OPT_SINCE = 256,
    OPT_UNTIL,
    OPT_PEER,
    OPT_TUNNEL,
    OPT_GATEWAY,
    OPT_DEVICE,
    OPT_AROUND,
    OPT_KIND,
    OPT_LIMIT,
    OPT_TZ,
};

struct filters {
    int64_t since, until;
    int since_set, until_set;
    const char *peer, *gateway, *tunnel, *device;
    int wide;            /* --around: also rows that name no peer, gateway or tunnel */
    char kinds[TL_KINDS_MAX + 2]; /* ",k1,k2," or empty: every kind */
    int want_events, want_ike;
};

/* ---- time arguments ------------------------------------------------------------------------ */

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,6}]]][Z|±HH[:MM]]; a time without an offset is UTC. Returns
 * 0, or -1 with why (a static string). */
static int parse_when(const char *s, int64_t *out, const char **why)
{
    struct ikm_tm tm = {0};
    size_t n = strlen(s), i = 0;
    *why = "expected a date YYYY-MM-DD";
    if (n < 10 || digits(s, 4, &tm.year) < 0 || s[4] != '-' || digits(s + 5, 2, &tm.month) < 0 || s[7] != '-' ||
        digits(s + 8, 2, &tm.day) < 0)
        return -1;
    i = 10;
    if (tm.year < 1970 || tm.month < 1 || tm.month > 12 ||
        tm.day < 1 || tm.day > ikm_days_in_month(tm.year, (unsigned)tm.month)) {
        *why = "no such date";
        return -1;
    }
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        *why = "expected a time HH:MM[:SS[.ffffff]] after the date";
        if (n - i < 6 || digits(s + i + 1, 2, &tm.hour) < 0 || s[i + 3] != ':' || digits(s + i + 4, 2, &tm.min) < 0)
            return -1;
        i += 6;
        if (i < n && s[i] == ':') {
            if (n - i < 3 || digits(s + i + 1, 2, &tm.sec) < 0)
                return -1;
            i += 3;
            if (i < n && s[i] == '.') {
                int nd = 0;
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
                    if (nd < 6)
                        tm.usec = tm.usec * 10 + (s[i] - '0');
                if (nd == 0 || nd > 6) {
                    *why = "a fraction of a second has 1 to 6 digits";
                    return -1;
                }
                for (; nd < 6; nd++)
                    tm.usec *= 10;
            }
        }
        if (tm.hour > 23 || tm.min > 59 || tm.sec > 59) {
            *why = "no such time of day";
            return -1;
        }
    }
    int off_min = 0;
    if (i + 1 == n && s[i] == 'z') /* RFC 3339 allows a lowercase z */
        i++;
    if (i < n) {
        size_t used = 0;
        int r = ikm_parse_utc_offset(s + i, n - i, &off_min, &used);
        if (r < 0) {
            *why = "UTC offset out of range";
            return -1;
        }
        if (r == 0 || i + used != n) {
            *why = "unexpected text after the time (an offset is Z, +09:00, -0800)";
            return -1;
        }
    }
    *out = ikm_tm_to_us(&tm) - (int64_t)off_min * 60 * 1000000;
    return 0;
}

/* ---- output -------------------------------------------------------------------------------- */

struct out {
    FILE *f;
    struct ikm_textbuf tb;
    const struct ikm_tz *zone; /* NULL: each row's own device-local time */
    int show_device;
    /* --redact: a row is written to a memory stream, redacted, then to `final` */
    const struct ikm_redactor *red;
    FILE *final;
    char *mbuf;
    size_t mlen;
};

static int flush_redacted(struct out *o)
{
    if (fflush(o->f) != 0)
        return -1;
    /* the row is what was written since the last rewind (the stream keeps older bytes after) */
    off_t pos = ftello(o->f);
    char *row = pos >= 0 && o->mbuf ? strndup(o->mbuf, (size_t)pos) : NULL;
    char *r = row ? ikm_redact_text(o->red, row) : NULL;
    free(row);
    if (!r)
        return -1;
    fputs(r, o->final);
    free(r);
    return fseeko(o->f, 0, SEEK_SET) == 0 ? 0 : -1;
}

/* Terminal controls that are valid UTF-8 and so pass textsafe: C1 controls (U+0080..U+009F,
 * U+009B is CSI on some terminals) and the bidirectional overrides that can make a line read
 * differently from its bytes (U+200E/F, U+2028..U+202E, U+2066..U+2069). Length of the
 * sequence at s to escape, or 0. */
static size_t term_control_at(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
        return 2;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0x8E || s[2] == 0x8F || (s[2] >= 0xA8 && s[2] <= 0xAE)))
        return 3;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9)
        return 3;
    return 0;
}

/* Writes bytes as text a terminal shows as they are: textsafe's escapes, then the controls
 * above as \xNN of their bytes; a field longer than TL_TEXT_MAX is cut and says so. */
static int put_text(struct out *o, const char *s, size_t n)
{
    size_t cut = 0;
    if (n > TL_TEXT_MAX) {
        cut = n - TL_TEXT_MAX;
        n = TL_TEXT_MAX;
    }
    const char *t = s;
    size_t tn = n;
    if (!ikm_text_is_clean(s, n)) {
        if (!(t = ikm_text_safe(&o->tb, s, n, 0)))
            return -1;
        tn = o->tb.len;
    }
    const unsigned char *u = (const unsigned char *)t;
    size_t from = 0;
    for (size_t i = 0; i < tn; i++) {
        if (u[i] < 0xC2)
            continue;
        size_t l = term_control_at(u + i, tn - i);
        if (!l)
            continue;
        fwrite(t + from, 1, i - from, o->f);
        for (size_t k = 0; k < l; k++)
            fprintf(o->f, "\\x%02X", u[i + k]);
        i += l - 1;
        from = i + 1;
    }
    fwrite(t + from, 1, tn - from, o->f);
    if (cut)
        fprintf(o->f, " [%zu more bytes]", cut);
    return 0;
}

static int put_col(struct out *o, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? put_text(o, s, (size_t)sqlite3_column_bytes(st, col)) : 0;
}

static int col_null(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
}

/* "YYYY-MM-DD?HH:MM:SS.ffffff": always six digits so that columns line up. */
static void fmt_time(int64_t us, char sep, char *buf, size_t bufsz)
{
    int64_t days = us / 86400000000LL, rem = us % 86400000000LL;
    if (rem < 0) {
        rem += 86400000000LL;
        days--;
    }
    int64_t y;
    unsigned m, d;
    ikm_civil_from_days(days, &y, &m, &d);
    int64_t sec = rem / 1000000;
    snprintf(buf, bufsz, "%04lld-%02u-%02u%c%02d:%02d:%02d.%06d", (long long)y, m, d, sep, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60), (int)(rem % 1000000));
}

/* Columns both statements start with. */
enum { C_TS, C_SRC, C_UNIT, C_LOCAL, C_TZSTATE, C_PATH, C_DEVICE, C_KIND, C_FIRST_OWN };

/* UTC, local time with its offset, the zone mark, source:unit (frame for captures), kind. */
static int put_head(struct out *o, sqlite3_stmt *st, int is_frame)
{
    char a[48], b[48], off[16];
    int64_t ts = sqlite3_column_int64(st, C_TS);
    fmt_time(ts, 'T', a, sizeof a);
    int64_t local, gap;
    if (o->zone) {
        gap = (int64_t)ikm_tz_offset_at_utc(o->zone, ts) * 60 * 1000000;
        local = ts + gap;
    } else {
        local = sqlite3_column_int64(st, C_LOCAL);
        gap = local - ts;
    }
    if (gap % 60000000 == 0 && gap > -TL_OFFSET_MAX_US && gap < TL_OFFSET_MAX_US)
        ikm_tz_format_offset((int)(gap / 60000000), off, sizeof off);
    else
        snprintf(off, sizeof off, "?");
    fmt_time(local, ' ', b, sizeof b);
    fprintf(o->f, "%sZ  %s %s", a, b, off);
    const char *state = (const char *)sqlite3_column_text(st, C_TZSTATE);
    if (state && (strcmp(state, "assumed") == 0 || strcmp(state, "pending") == 0))
        fprintf(o->f, " [tz %s]", state);
    fputs("  ", o->f);
    if (put_col(o, st, C_PATH) < 0)
        return -1;
    fprintf(o->f, is_frame ? "#frame %lld  " : ":%lld  ", (long long)sqlite3_column_int64(st, C_UNIT));
    if (put_col(o, st, C_KIND) < 0)
        return -1;
    fputs("  ", o->f);
    if (o->show_device && !col_null(st, C_DEVICE)) {
        fputs("dev=", o->f);
        if (put_col(o, st, C_DEVICE) < 0)
            return -1;
        fputc(' ', o->f);
    }
    return 0;
}

static int put_field(struct out *o, sqlite3_stmt *st, int col, const char *name)
{
    if (col_null(st, col))
        return 0;
    fputs(name, o->f);
    if (put_col(o, st, col) < 0)
        return -1;
    fputc(' ', o->f);
    return 0;
}

enum { E_GW = C_FIRST_OWN, E_TUN, E_PEER, E_MSG };

static int put_event(struct out *o, sqlite3_stmt *st)
{
    if (put_head(o, st, 0) < 0 || put_field(o, st, E_GW, "gw=") < 0 || put_field(o, st, E_TUN, "tunnel=") < 0 ||
        put_field(o, st, E_PEER, "peer=") < 0)
        return -1;
    if (!col_null(st, E_GW) || !col_null(st, E_TUN) || !col_null(st, E_PEER))
        fputc(' ', o->f);
    if (put_col(o, st, E_MSG) < 0)
        return -1;
    fputc('\n', o->f);
    return 0;
}

enum {
    M_ORIGIN = C_FIRST_OWN, M_DIR, M_SRC, M_SPORT, M_DST, M_DPORT, M_VERSION, M_EXCH, M_RESP, M_MSGID,
    M_EXPECTED, M_LEN, M_NOTIFY, M_LIVENESS, M_RETRANS, M_NATT, M_PAYLOADS, M_GW, M_PEER,
};

/* addr[:port], IPv6 in brackets when a port follows */
static int put_endpoint(struct out *o, sqlite3_stmt *st, int ip, int port)
{
    const char *a = (const char *)sqlite3_column_text(st, ip);
    int v6 = a && strchr(a, ':') != NULL, has_port = !col_null(st, port);
    if (!a) {
        fputc('?', o->f);
    } else {
        if (v6 && has_port)
            fputc('[', o->f);
        if (put_col(o, st, ip) < 0)
            return -1;
        if (v6 && has_port)
            fputc(']', o->f);
    }
    if (has_port)
        fprintf(o->f, ":%lld", (long long)sqlite3_column_int64(st, port));
    return 0;
}

static int put_ike(struct out *o, sqlite3_stmt *st)
{
    int frame = 0;
    const char *origin = (const char *)sqlite3_column_text(st, M_ORIGIN);
    if (origin && strcmp(origin, "pcap") == 0)
        frame = 1;
    if (put_head(o, st, frame) < 0 || put_field(o, st, M_GW, "gw=") < 0 || put_field(o, st, M_PEER, "peer=") < 0)
        return -1;
    if (!col_null(st, M_GW) || !col_null(st, M_PEER))
        fputc(' ', o->f);
    if (!col_null(st, M_DIR)) {
        if (put_col(o, st, M_DIR) < 0)
            return -1;
        fputc(' ', o->f);
    }
    if (put_endpoint(o, st, M_SRC, M_SPORT) < 0)
        return -1;
    fputs(" -> ", o->f);
    if (put_endpoint(o, st, M_DST, M_DPORT) < 0)
        return -1;
    /* a logged send carries no version: the exchange numbers of the two versions do not
     * overlap (IKEv1 0..33, IKEv2 34..), so the type tells */
    int major = 0;
    if (!col_null(st, M_VERSION))
        major = ike_wire_major(sqlite3_column_int(st, M_VERSION));
    if (!col_null(st, M_EXCH)) {
        int exch = sqlite3_column_int(st, M_EXCH);
        if (!major)
            major = exch >= 34 ? 2 : 1;
        char nb[IKE_WIRE_NAME_MAX];
        fprintf(o->f, " v%d %s", major, ike_wire_exchange_name(major, exch, nb));
    }
    if (!col_null(st, M_RESP) && sqlite3_column_int(st, M_RESP) >= 0)
        fputs(sqlite3_column_int(st, M_RESP) ? " response" : " request", o->f);
    if (!col_null(st, M_MSGID))
        fprintf(o->f, " msgid=%lld", (long long)sqlite3_column_int64(st, M_MSGID));
    if (!col_null(st, M_EXPECTED) &&
        (col_null(st, M_MSGID) || sqlite3_column_int64(st, M_EXPECTED) != sqlite3_column_int64(st, M_MSGID)))
        fprintf(o->f, " expected=%lld", (long long)sqlite3_column_int64(st, M_EXPECTED));
    if (!col_null(st, M_LEN))
        fprintf(o->f, " len=%lld", (long long)sqlite3_column_int64(st, M_LEN));
    if (!col_null(st, M_NOTIFY) && sqlite3_column_int(st, M_NOTIFY) > 0) {
        char nb[IKE_WIRE_NAME_MAX];
        fprintf(o->f, " notify=%s", ike_wire_notify_name(major ? major : 2, sqlite3_column_int(st, M_NOTIFY), nb));
    }
    if (!col_null(st, M_NATT) && sqlite3_column_int(st, M_NATT) > 0)
        fputs(" NAT-T", o->f);
    if (!col_null(st, M_RETRANS))
        fputs(" retransmit", o->f);
    if (!col_null(st, M_LIVENESS) && sqlite3_column_int(st, M_LIVENESS) >= 50)
        fputs(" liveness?", o->f);
    if (!col_null(st, M_PAYLOADS) && sqlite3_column_bytes(st, M_PAYLOADS) > 0) {
        fputs(" [", o->f);
        if (put_col(o, st, M_PAYLOADS) < 0)
            return -1;
        fputc(']', o->f);
    }
    fputc('\n', o->f);
    return 0;
}

/* ---- the queries --------------------------------------------------------------------------- */

/* Name matching. A user's NAME matches a stored name that equals it or starts with it; a
 * stored name the CLI cut to its column width (attrs_json "truncated") also matches a NAME
 * that starts with it. A configured (full) name matches a stored one that equals it or is
 * its cut form. */
#define TRUNC(e) "(json_valid(" e ".attrs_json) AND json_extract(" e ".attrs_json, '$.truncated') = 1)"
#define USER_MATCH(s, n, e)                                                                              \
    "(" s " = " n " OR substr(" s ", 1, length(" n ")) = " n " OR (length(" s ") > 0 AND "         \
    "substr(" n ", 1, length(" s ")) = " s " AND " TRUNC(e) "))"
#define CFG_MATCH(s, c, e) "(" s " = " c " OR (length(" s ") > 0 AND substr(" c ", 1, length(" s ")) = " s " AND " TRUNC(e) "))"
#define CFG_USER(c, n) "(" c " = " n " OR substr(" c ", 1, length(" n ")) = " n ")"

/* peers the configuration gives the gateways / tunnels a user named */
#define GW_PEERS "(SELECT peer_ip FROM cfg_gateways WHERE peer_ip IS NOT NULL AND " CFG_USER("name", ":gw") ")"
#define TUN_PEERS                                                                                        \
    "(SELECT g.peer_ip FROM cfg_gateways g JOIN cfg_tunnels t ON t.gateway = g.name "                     \
    "WHERE g.peer_ip IS NOT NULL AND " CFG_USER("t.name", ":tun") ")"


static const char events_sql[] =
    "SELECT e.ts_us, e.source_id, e.line, e.ts_local_us, e.tz_state, s.path, e.device, e.kind, "
    "       e.gateway, e.tunnel, e.peer_ip, e.msg "
    /* CROSS JOIN keeps events the outer loop, so its time index gives the order (no sort) */
    "  FROM events e CROSS JOIN sources s ON s.id = e.source_id "
    " WHERE e.ts_us BETWEEN :since AND :until "
    "   AND (:device IS NULL OR e.device = :device) "
    "   AND (:kinds IS NULL OR instr(:kinds, ',' || e.kind || ',') > 0) "
    "   AND (:subject = 0 "
    "     OR (:peer IS NOT NULL AND (e.peer_ip = :peer "
    "          OR (e.gateway IS NOT NULL AND EXISTS (SELECT 1 FROM cfg_gateways g WHERE g.peer_ip = :peer AND "
    CFG_MATCH("e.gateway", "g.name", "e") ")) "
    "          OR (e.tunnel IS NOT NULL AND EXISTS (SELECT 1 FROM cfg_tunnels t JOIN cfg_gateways g ON g.name = t.gateway "
    "               WHERE g.peer_ip = :peer AND " CFG_MATCH("e.tunnel", "t.name", "e") ")))) "
    "     OR (:gw IS NOT NULL AND ((e.gateway IS NOT NULL AND " USER_MATCH("e.gateway", ":gw", "e") ") "
    "          OR e.peer_ip IN " GW_PEERS
    "          OR (e.tunnel IS NOT NULL AND EXISTS (SELECT 1 FROM cfg_tunnels t WHERE " CFG_USER("t.gateway", ":gw")
    "               AND " CFG_MATCH("e.tunnel", "t.name", "e") ")))) "
    "     OR (:tun IS NOT NULL AND ((e.tunnel IS NOT NULL AND " USER_MATCH("e.tunnel", ":tun", "e") ") "
    "          OR e.peer_ip IN " TUN_PEERS
    "          OR (e.gateway IS NOT NULL AND EXISTS (SELECT 1 FROM cfg_tunnels t WHERE " CFG_USER("t.name", ":tun")
    "               AND " CFG_MATCH("e.gateway", "t.gateway", "e") ")))) "
    "     OR (:wide AND e.peer_ip IS NULL AND e.gateway IS NULL AND e.tunnel IS NULL)) "
    " ORDER BY e.ts_us, e.id";

static const char ike_sql[] =
    "SELECT m.ts_us, m.source_id, m.frame_or_line, m.ts_local_us, m.tz_state, s.path, m.device, "
    "       'ike-' || COALESCE(m.dir, 'msg'), "
    "       m.origin, m.dir, m.src_ip, m.src_port, m.dst_ip, m.dst_port, m.version, m.exch_type, "
    "       m.is_response, m.msg_id, m.expected_msg_id, m.length, m.notify_error, m.liveness, "
    "       m.retransmit_of, m.natt, m.payloads, "
    "       (SELECT min(g.name) FROM cfg_gateways g WHERE g.peer_ip = CASE m.dir WHEN 'sent' THEN m.dst_ip "
    "          WHEN 'recv' THEN m.src_ip END AND (g.device IS m.device OR g.device IS NULL OR m.device IS NULL)), "
    "       CASE m.dir WHEN 'sent' THEN m.dst_ip WHEN 'recv' THEN m.src_ip END "
    "  FROM ike_messages m CROSS JOIN sources s ON s.id = m.source_id "
    " WHERE m.ts_us BETWEEN :since AND :until "
    "   AND (:device IS NULL OR m.device = :device) "
    "   AND (:kinds IS NULL OR instr(:kinds, ',ike,') > 0 OR instr(:kinds, ',ike-' || COALESCE(m.dir, 'msg') || ',') > 0) "
    "   AND (:subject = 0 "
    "     OR (:peer IS NOT NULL AND (m.src_ip = :peer OR m.dst_ip = :peer)) "
    "     OR (:gw IS NOT NULL AND (m.src_ip IN " GW_PEERS " OR m.dst_ip IN " GW_PEERS ")) "
    "     OR (:tun IS NOT NULL AND (m.src_ip IN " TUN_PEERS " OR m.dst_ip IN " TUN_PEERS "))) "
    " ORDER BY m.ts_us, m.id";

static int bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (!i)
        return SQLITE_OK;
    return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    return i ? sqlite3_bind_int64(st, i, v) : SQLITE_OK;
}

static int bind_filters(sqlite3_stmt *st, const struct filters *f)
{
    int subject = f->peer || f->gateway || f->tunnel;
    int rc = bind_int(st, ":since", f->since_set ? f->since : INT64_MIN);
    if (rc == SQLITE_OK)
        rc = bind_int(st, ":until", f->until_set ? f->until : INT64_MAX);
    if (rc == SQLITE_OK)
        rc = bind_text(st, ":device", f->device);
    if (rc == SQLITE_OK)
        rc = bind_text(st, ":kinds", f->kinds[0] ? f->kinds : NULL);
    if (rc == SQLITE_OK)
        rc = bind_int(st, ":subject", subject);
    if (rc == SQLITE_OK)
        rc = bind_text(st, ":peer", f->peer);
    if (rc == SQLITE_OK)
        rc = bind_text(st, ":gw", f->gateway);
    if (rc == SQLITE_OK)
        rc = bind_text(st, ":tun", f->tunnel);
    if (rc == SQLITE_OK)
        rc = bind_int(st, ":wide", subject && f->wide);
    return rc;
}

/* ---- the database -------------------------------------------------------------------------- */

/* Opens path read-only as a timeline of this schema version; NULL with a message on stderr. */
static sqlite3 *open_timeline(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) < 0) {
        fprintf(stderr, "ikemortem timeline: %s: no such file (build one with 'ikemortem ingest --db %s INPUT...')\n",
                path, path);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        fprintf(stderr, "ikemortem timeline: %s: not a regular file\n", path);
        return NULL;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        fprintf(stderr, "ikemortem timeline: %s: cannot open: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000); /* an ingest may be committing a source */
    int64_t app = -1, ver = -1;
    if (ikm_db_int(db, "PRAGMA application_id", &app) < 0 || ikm_db_int(db, "PRAGMA user_version", &ver) < 0) {
        fprintf(stderr, "ikemortem timeline: %s: not an ikemortem timeline (not a readable SQLite database: %s)\n", path,
                sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    if (app != TL_APPLICATION_ID) {
        fprintf(stderr, "ikemortem timeline: %s: not an ikemortem timeline (an SQLite database ikemortem did not write)\n",
                path);
        sqlite3_close(db);
        return NULL;
    }
    if (ver != TL_SCHEMA_VERSION) {
        fprintf(stderr,
                "ikemortem timeline: %s: timeline schema version %lld, this ikemortem reads version %d; "
                "re-ingest into a new database\n",
                path, (long long)ver, TL_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Incident id's window, device and subject into f where the command line left them open.
 * Strings are copied into store (bounded by the columns' own lengths). Returns 0, 1 when
 * there is no such incident, -1 on a database error. */
struct incident_text {
    char *device, *peer, *gateway, *tunnel;
};

static char *dup_col(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? strdup(s) : NULL;
}

static int load_incident(sqlite3 *db, int64_t id, struct filters *f, int subject_given, struct incident_text *it)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT window_start_us, window_end_us, device, peer_ip, gateway, tunnel "
                           "FROM incidents WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 1 : -1;
    }
    if (!f->since_set) {
        f->since = sqlite3_column_int64(st, 0);
        f->since_set = 1;
    }
    if (!f->until_set) {
        f->until = sqlite3_column_int64(st, 1);
        f->until_set = 1;
    }
    if (!f->device && (it->device = dup_col(st, 2)) != NULL)
        f->device = it->device;
    if (!subject_given) {
        f->peer = it->peer = dup_col(st, 3);
        f->gateway = it->gateway = dup_col(st, 4);
        f->tunnel = it->tunnel = dup_col(st, 5);
    }
    f->wide = 1;
    sqlite3_finalize(st);
    return 0;
}

/* More than one device in the database: rows say which. */
static int several_devices(sqlite3 *db)
{
    int64_t n = 0;
    if (ikm_db_int(db, "SELECT count(DISTINCT device) FROM sources WHERE device IS NOT NULL", &n) < 0)
        return 0;
    return n > 1;
}

/* ---- options ------------------------------------------------------------------------------- */

static int is_kind(const char *k, size_t n)
{
    static const char *const ike[] = {"ike", "ike-sent", "ike-recv", "ike-msg"};
    for (size_t i = 0; i < sizeof ike / sizeof ike[0]; i++)
        if (strlen(ike[i]) == n && memcmp(ike[i], k, n) == 0)
            return 2;
    for (int i = 0; i < IKM_EV_COUNT; i++) {
        const char *name = ikm_event_kind_name((enum ikm_event_kind)i);
        if (name && strlen(name) == n && memcmp(name, k, n) == 0)
            return 1;
    }
    return 0;
}

/* --kind a,b → ",a,b," after checking each name; says which streams are needed. */
static int parse_kinds(const char *arg, struct filters *f)
{
    size_t len = strlen(arg);
    if (len == 0 || len > TL_KINDS_MAX) {
        fprintf(stderr, "ikemortem timeline: --kind: a comma-separated list of kinds (got '%s')\n", arg);
        return -1;
    }
    f->want_events = f->want_ike = 0;
    for (const char *p = arg; *p;) {
        size_t n = strcspn(p, ",");
        int k = n ? is_kind(p, n) : 0;
        if (!k) {
            fprintf(stderr, "ikemortem timeline: --kind: unknown kind '%.*s'; kinds:", (int)n, p);
            for (int i = 0; i < IKM_EV_COUNT; i++)
                if (ikm_event_kind_name((enum ikm_event_kind)i))
                    fprintf(stderr, " %s", ikm_event_kind_name((enum ikm_event_kind)i));
            fprintf(stderr, " ike ike-sent ike-recv\n");
            return -1;
        }
        if (k == 1)
            f->want_events = 1;
        else
            f->want_ike = 1;
        p += n;
        if (*p == ',')
            p++;
    }
    snprintf(f->kinds, sizeof f->kinds, ",%s,", arg);
    return 0;
}

static int parse_count(const char *opt, const char *arg, int64_t *v)
{
    char *end;
    long long n = strtoll(arg, &end, 10);
    if (end == arg || *end || n < 1 || n == LLONG_MAX) {
        fprintf(stderr, "ikemortem timeline: %s: a whole number from 1 (got '%s')\n", opt, arg);
        return -1;
    }
    *v = n;
    return 0;
}

static int nonempty(const char *opt, const char *arg)
{
    if (arg[0])
        return 0;
    fprintf(stderr, "ikemortem timeline: %s: empty name\n", opt);
    return -1;
}

/* ---- the command --------------------------------------------------------------------------- */

/* Steps a stream; 1 row, 0 done, -1 error (said on stderr). */
static int next_row(sqlite3 *db, sqlite3_stmt *st)
{
    if (!st)
        return 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    fprintf(stderr, "ikemortem timeline: database: %s\n", sqlite3_errmsg(db));
    return -1;
}

/* a before b: time, then source and line (a log's event and IKE lines keep their order) */
static int row_before(sqlite3_stmt *a, sqlite3_stmt *b)
{
    for (int c = C_TS; c <= C_UNIT; c++) {
        int64_t x = sqlite3_column_int64(a, c), y = sqlite3_column_int64(b, c);
        if (x != y)
            return x < y;
    }
    return 1;
}

static int run(sqlite3 *db, const struct filters *f, int64_t limit, struct out *o)
{
    sqlite3_stmt *ev = NULL, *ike = NULL;
    int ret = IKM_EXIT_NOTHING;
    if ((f->want_events && (sqlite3_prepare_v2(db, events_sql, -1, &ev, NULL) != SQLITE_OK ||
                            bind_filters(ev, f) != SQLITE_OK)) ||
        (f->want_ike && (sqlite3_prepare_v2(db, ike_sql, -1, &ike, NULL) != SQLITE_OK ||
                         bind_filters(ike, f) != SQLITE_OK))) {
        fprintf(stderr, "ikemortem timeline: database: %s\n", sqlite3_errmsg(db));
        goto done;
    }
    int he = next_row(db, ev), hi = next_row(db, ike);
    int64_t printed = 0;
    while (he > 0 || hi > 0) {
        if (printed == limit) {
            fprintf(stderr, "ikemortem timeline: stopped after %lld rows (--limit); more follow\n", (long long)limit);
            break;
        }
        int take_ev = he > 0 && (hi <= 0 || row_before(ev, ike));
        if ((take_ev ? put_event(o, ev) : put_ike(o, ike)) < 0) {
            fprintf(stderr, "ikemortem timeline: out of memory\n");
            goto done;
        }
        printed++;
        if (o->red && flush_redacted(o) < 0) {
            fprintf(stderr, "ikemortem timeline: out of memory\n");
            goto done;
        }
        if (take_ev)
            he = next_row(db, ev);
        else
            hi = next_row(db, ike);
    }
    if (he < 0 || hi < 0)
        goto done;
    if (fflush(o->f) != 0 || ferror(o->f)) {
        fprintf(stderr, "ikemortem timeline: cannot write the output\n");
        goto done;
    }
    ret = IKM_EXIT_OK;
done:
    sqlite3_finalize(ev);
    sqlite3_finalize(ike);
    return ret;
}

int ikm_cmd_timeline(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},          {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL}, {"peer", required_argument, NULL, OPT_PEER},
        {"tunnel", required_argument, NULL, OPT_TUNNEL}, {"gateway", required_argument, NULL, OPT_GATEWAY},
        {"device", required_argument, NULL, OPT_DEVICE}, {"around", required_argument, NULL, OPT_AROUND},
        {"kind", required_argument, NULL, OPT_KIND},   {"limit", required_argument, NULL, OPT_LIMIT},
        {"tz", required_argument, NULL, OPT_TZ},       {"help", no_argument, NULL, 'h'},
        {"redact", no_argument, NULL, OPT_REDACT},     {"redact-key", required_argument, NULL, OPT_REDACT_KEY},
        {NULL, 0, NULL, 0},
    };
    struct filters f;
    memset(&f, 0, sizeof f);
    f.want_events = f.want_ike = 1;
    const char *dbpath = NULL;
    int redact = 0;
    const char *redact_key = NULL;
    int64_t around = 0, limit = -1;
    struct ikm_tz zone;
    int zone_set = 0;
    const char *why;
    char err[512];
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dbpath = optarg;
            break;
        case OPT_REDACT:
            redact = 1;
            break;
        case OPT_REDACT_KEY:
            redact = 1;
            redact_key = optarg;
            break;
        case OPT_SINCE:
        case OPT_UNTIL: {
            int64_t *v = c == OPT_SINCE ? &f.since : &f.until;
            if (parse_when(optarg, v, &why) < 0) {
                fprintf(stderr,
                        "ikemortem timeline: %s '%s': %s; a time is 2019-03-07T01:26:27Z, '2019-03-07 01:26:27' "
                        "(UTC), 2019-03-07T10:26:27+09:00 or a date 2019-03-07\n",
                        c == OPT_SINCE ? "--since" : "--until", optarg, why);
                return IKM_EXIT_USAGE;
            }
            *(c == OPT_SINCE ? &f.since_set : &f.until_set) = 1;
            break;
        }
        case OPT_PEER:
            if (nonempty("--peer", optarg) < 0)
                return IKM_EXIT_USAGE;
            f.peer = optarg;
            break;
        case OPT_TUNNEL:
            if (nonempty("--tunnel", optarg) < 0)
                return IKM_EXIT_USAGE;
            f.tunnel = optarg;
            break;
        case OPT_GATEWAY:
            if (nonempty("--gateway", optarg) < 0)
                return IKM_EXIT_USAGE;
            f.gateway = optarg;
            break;
        case OPT_DEVICE:
            if (nonempty("--device", optarg) < 0)
                return IKM_EXIT_USAGE;
            f.device = optarg;
            break;
        case OPT_AROUND:
            if (parse_count("--around", optarg, &around) < 0)
                return IKM_EXIT_USAGE;
            break;
        case OPT_KIND:
            if (parse_kinds(optarg, &f) < 0)
                return IKM_EXIT_USAGE;
            break;
        case OPT_LIMIT:
            if (parse_count("--limit", optarg, &limit) < 0)
                return IKM_EXIT_USAGE;
            break;
        case OPT_TZ:
            if (strcasecmp(optarg, "local") == 0) {
                zone_set = 0;
            } else if (ikm_tz_parse(optarg, &zone, err, sizeof err) < 0) {
                fprintf(stderr, "ikemortem timeline: %s\n", err);
                return IKM_EXIT_USAGE;
            } else {
                zone_set = 1;
            }
            break;
        case 'h':
            fputs(timeline_usage, stdout);
            return IKM_EXIT_OK;
        default:
            fputs(timeline_usage, stderr);
            return IKM_EXIT_USAGE;
        }
    }
    if (!dbpath || optind < argc) {
        if (!dbpath)
            fprintf(stderr, "ikemortem timeline: --db FILE is required\n\n");
        else
            fprintf(stderr, "ikemortem timeline: unexpected argument '%s'\n\n", argv[optind]);
        fputs(timeline_usage, stderr);
        return IKM_EXIT_USAGE;
    }
    sqlite3 *db = open_timeline(dbpath);
    if (!db)
        return IKM_EXIT_NOTHING;
    struct incident_text it = {0};
    int ret;
    if (around) {
        int r = load_incident(db, around, &f, f.peer || f.gateway || f.tunnel, &it);
        if (r != 0) {
            if (r > 0)
                fprintf(stderr, "ikemortem timeline: --around %lld: %s has no incident %lld (incidents come from "
                                "'ikemortem analyze')\n",
                        (long long)around, dbpath, (long long)around);
            else
                fprintf(stderr, "ikemortem timeline: database: %s\n", sqlite3_errmsg(db));
            ret = r > 0 ? IKM_EXIT_USAGE : IKM_EXIT_NOTHING;
            goto done;
        }
    }
    if (f.since_set && f.until_set && f.since > f.until) {
        fprintf(stderr, "ikemortem timeline: --since is after --until: nothing to print\n");
        ret = IKM_EXIT_USAGE;
        goto done;
    }
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf); /* row by row, but written in large blocks */
    struct out o = {.f = stdout, .zone = zone_set ? &zone : NULL, .show_device = several_devices(db)};
    struct ikm_redactor *red = NULL;
    if (redact) {
        const char *env = getenv("IKM_REDACT_KEY");
        red = ikm_redactor_new(redact_key ? redact_key : env && *env ? env : NULL, err, sizeof err);
        if (!red || ikm_redactor_learn(red, db, err, sizeof err) < 0 ||
            !(o.f = open_memstream(&o.mbuf, &o.mlen))) {
            fprintf(stderr, "ikemortem timeline: --redact: %s\n", red ? err : "cannot start");
            ikm_redactor_free(red);
            ret = IKM_EXIT_NOTHING;
            goto done;
        }
        o.red = red;
        o.final = stdout;
    }
    ret = run(db, &f, limit, &o);
    if (red) {
        fclose(o.f);
        free(o.mbuf);
        ikm_redactor_free(red);
    }
    fflush(stdout);
    ikm_textbuf_free(&o.tb);
done:
    free(it.device);
    free(it.peer);
    free(it.gateway);
    free(it.tunnel);
    sqlite3_close(db);
    return ret;
}
