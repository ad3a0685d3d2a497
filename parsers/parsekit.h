/*
 * parsekit.h — the per-source bookkeeping that every parser of this directory needs, kept in
 * one place so that all of them count, report and time a source the same way:
 *  - every unit counted once as parsed or unparsed, an unparsed one handed to the sink;
 *  - every record handed to the sink through here, the totals of struct ikm_source_stats kept
 *    with it, and the first refusal remembered (failed) so that the parser stops;
 *  - diagnostics capped per check, with one "N more ... problems not listed" line per check
 *    at the end;
 *  - the byte checks of a text line (NUL, invalid UTF-8, CRLF once per source);
 *  - a timestamp's UTC offset state (IKM_TZ_LINE, FILE or PENDING) and the source's
 *    device-local time range.
 * What a unit is, the grammar, and records held across lines stay in each parser.
 *
 * Usage: embed a struct pk_out per source, pk_out_init it, call the pk_* functions while
 * parsing (pk_feed_lines drives a line parser over a line reader), then pk_finish once.
 *
 * Ownership: a pk_out borrows the sink and the check names (static strings) and allocates
 * nothing, so there is nothing to free. Records passed in are borrowed for the call only, as
 * everywhere in sink.h.
 */
#ifndef IKM_PARSEKIT_H
#define IKM_PARSEKIT_H

#include "linereader.h"
#include "sink.h"
#include "timefmt.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Diagnostics of one check beyond this many are counted but not sent: one broken file must
 * not flood the report; pk_finish says how many were held back. */
#define PK_DIAG_PER_CHECK_MAX 20
#define PK_CHECKS_MAX 16 /* distinct checks per source */

/* Check names (a diagnostic's `check`, a stable contract with the timeline) shared by the
 * line parsers. */
#define PK_CK_LONG "line-length"
#define PK_CK_NUL "nul-bytes"
#define PK_CK_UTF8 "utf8"
#define PK_CK_TS "timestamp"
#define PK_CK_READ "read"
#define PK_CK_CRLF "line-endings"
/* A line parser's checks, in the order pk_finish reports them. */
#define PK_LINE_CHECKS PK_CK_LONG, PK_CK_NUL, PK_CK_UTF8, PK_CK_TS, PK_CK_READ, PK_CK_CRLF

struct pk_check {
    const char *name; /* static */
    int count;        /* diagnostics raised, sent or not */
};

struct pk_out {
    const struct ikm_sink *sink;
    struct ikm_source_stats st;
    int failed;          /* the sink refused a record (or memory ran out): stop, return -1 */
    int saw_crlf;        /* CRLF line endings are reported once per source */
    int last_offset_min; /* the latest line offset, lent to offset-less lines (IKM_TZ_FILE) */
    size_t n_checks;
    struct pk_check checks[PK_CHECKS_MAX];
};

/* Zeroes o, marks the time range empty and registers the checks (static names, at most
 * PK_CHECKS_MAX) in the order pk_finish reports them. A check first named by pk_diag is
 * added after them. */
void pk_out_init(struct pk_out *o, const struct ikm_sink *sink, const char *const *checks, size_t n_checks);

/* ---- units ---------------------------------------------------------------------------------- */

static inline void pk_parsed(struct pk_out *o)
{
    o->st.parsed++;
}
/* Counts one unparsed unit and hands it to the sink (one callback per unit). reason is a
 * static string; text is the unit as read. */
void pk_unparsed(struct pk_out *o, int64_t line, int64_t off, const char *reason, const char *text, size_t len);
static inline void pk_unparsed_line(struct pk_out *o, const struct ikm_line *ln, const char *reason)
{
    pk_unparsed(o, ln->number, ln->offset, reason, ln->ptr, ln->len);
}

/* ---- diagnostics ---------------------------------------------------------------------------- */

/* Counts a diagnostic (errors or warnings) under `check` and sends it unless that check has
 * already sent PK_DIAG_PER_CHECK_MAX. A check beyond PK_CHECKS_MAX distinct ones is not
 * capped. */
void pk_diag(struct pk_out *o, const char *check, enum ikm_diag_severity sev, int64_t line, int64_t off,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void pk_vdiag(struct pk_out *o, const char *check, enum ikm_diag_severity sev, int64_t line, int64_t off,
              const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
/* The error for a line the reader cut at IKM_LINE_MAX (the caller counts it as unparsed). */
void pk_long_line(struct pk_out *o, const struct ikm_line *ln);
/* The error for a stream that failed after lr delivered what it could. */
void pk_read_error(struct pk_out *o, const struct ikm_linereader *lr);
/* The warnings for a line's bytes: its first NUL, its first invalid UTF-8 sequence (each with
 * its column), and CRLF endings once per source. One memchr and one UTF-8 scan. */
void pk_check_bytes(struct pk_out *o, const struct ikm_line *ln);
/* How many NULs p[0..n) starts with (n when it holds nothing else): zero-filled blocks, left
 * by a crash or power loss, glue NULs to the start of the next line. */
static inline size_t pk_leading_nuls(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == '\0')
        i++;
    return i;
}

/* ---- time ----------------------------------------------------------------------------------- */

/* Fills t from a wall-clock time and, when has_off, the line's own UTC offset: IKM_TZ_LINE;
 * without one, the latest offset of an earlier line of the source (IKM_TZ_FILE), else
 * IKM_TZ_PENDING (utc_us = local_us until the zone is known). Notes the time as
 * pk_note_time does. text (the timestamp as written) is borrowed. */
void pk_time_from_tm(struct pk_out *o, const struct ikm_tm *tm, int has_off, int off_min, const char *text,
                     size_t text_len, struct ikm_time *t);
/* The last timestamp with its own UTC offset a parser read, as written, and what it gave: a
 * debug log's lines come in bursts under one timestamp, and parsing it was a fifth of
 * classifying a line (callgrind). */
struct pk_ts_cache {
    char text[48];
    size_t len; /* 0: empty */
    int64_t local_us;
    int off_min;
    size_t frac_len; /* digits of "YYYY-MM-DD HH:MM:SS.fff" after the dot (1..6), else 0 */
    int64_t sec_us;  /* local_us without them */
};
/* When line p..n starts with the cached text (its fraction of a second may differ in value,
 * not in length) followed by its end, a blank or '[' (the delimiters after an offset), fills
 * t as pk_time_from_tm would (text pointing into p) and returns the text's length; 0
 * otherwise. */
size_t pk_time_cached(struct pk_out *o, const struct pk_ts_cache *c, const char *p, size_t n, struct ikm_time *t);
/* Keeps t (from pk_time_from_tm with an offset) and its text p..ts_len for the next lines. */
void pk_time_remember(struct pk_ts_cache *c, const char *p, size_t ts_len, const struct ikm_time *t);
/* Widens the source's device-local time range to t, and takes the first line offset seen
 * (has_offset, first_offset_min) when t is IKM_TZ_LINE. */
void pk_note_time(struct pk_out *o, const struct ikm_time *t);
/* Counts a row emitted with a time still to be resolved. */
static inline void pk_note_pending(struct pk_out *o, const struct ikm_time *t)
{
    if (t->state == IKM_TZ_PENDING)
        o->st.pending_rows++;
}

/* ---- records -------------------------------------------------------------------------------- */

/* Each counts what the stats count of it (events by kind, IKE messages, pending rows) and
 * hands the record to the sink unless the sink already failed; an optional callback that is
 * NULL takes nothing. */
void pk_event(struct pk_out *o, const struct ikm_event *ev);
void pk_ike_message(struct pk_out *o, const struct ikm_ike_msg *m);
void pk_cli_value(struct pk_out *o, const struct ikm_cli_value *v);
void pk_device_fact(struct pk_out *o, const struct ikm_device_fact *f);
void pk_cfg_gateway(struct pk_out *o, const struct ikm_cfg_gateway *g);
void pk_cfg_tunnel(struct pk_out *o, const struct ikm_cfg_tunnel *t);

/* ---- the held event ------------------------------------------------------------------------- */

/* A record's event is held (with copies of its strings) until the next record starts, because
 * continuation lines without a timestamp may still extend its message. The message is the last
 * string of the buffer, so continuations grow it in place, up to PK_HELD_TEXT_MAX bytes. */
#define PK_HELD_TEXT_MAX ((size_t)64 << 10)
struct pk_held {
    int active;
    struct ikm_event ev;
    char *buf; /* owned; pk_held_free releases it */
    size_t len, cap;
    long off[5 + IKM_ATTRS_MAX]; /* offsets of the strings in buf; -1 when absent */
    long t_off;
    size_t msg_idx;
};
/* Hands the held event to the sink (pk_event), if any. */
void pk_held_flush(struct pk_out *o, struct pk_held *h);
/* Flushes the held event and holds a copy of ev instead. */
void pk_held_set(struct pk_out *o, struct pk_held *h, const struct ikm_event *ev);
/* Appends "\n" and p[0..n) to the held message, cut at PK_HELD_TEXT_MAX in all. */
void pk_held_extend(struct pk_out *o, struct pk_held *h, const char *p, size_t n);
void pk_held_free(struct pk_held *h);

/* ---- driving and finishing ------------------------------------------------------------------ */

/* Hands each line of lr to line(ctx, ln) until the stream ends or the sink fails. Returns 0 at
 * the end of the stream, 1 when it ended with a read error (reported by pk_read_error;
 * everything before it stands), -1 when the sink failed. */
int pk_feed_lines(struct pk_out *o, struct ikm_linereader *lr, void (*line)(void *ctx, const struct ikm_line *ln),
                  void *ctx);
/* Sends the "N more <check> problems not listed" lines and copies the totals to *stats.
 * Returns 0, or -1 when the sink failed at any point of the source. */
int pk_finish(struct pk_out *o, struct ikm_source_stats *stats);

#endif
