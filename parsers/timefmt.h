/*
 * timefmt.h — calendar arithmetic and timestamp-shape parsing shared by the text parsers.
 *
 * All functions are pure; they read at most the n bytes they are given.
 */
#ifndef IKM_TIMEFMT_H
#define IKM_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t ikm_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Inverse of ikm_days_from_civil. */
void ikm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
int ikm_days_in_month(int64_t y, unsigned m);

/* Broken-down wall-clock time as read from a line. */
struct ikm_tm {
    int year, month, day, hour, min, sec;
    int usec;
};

/* Microseconds since the epoch of the same wall clock (no zone applied). */
int64_t ikm_tm_to_us(const struct ikm_tm *tm);

/* Result of ikm_parse_datetime. */
enum ikm_ts_result {
    IKM_TS_NONE = 0,   /* not a timestamp shape */
    IKM_TS_OK = 1,
    IKM_TS_INVALID = 2 /* the shape of a timestamp with an impossible value; *why (a static
                        * string, "invalid timestamp: month out of range") says which */
};

/* Parses "YYYY<d>MM<d>DD<s>HH:MM:SS[.f{1,6}]" at p, where <d> is one of date_seps (e.g. "-:"
 * or "/") used consistently and <s> is one of time_seps (e.g. " T"). On IKM_TS_OK sets *used. */
enum ikm_ts_result ikm_parse_datetime(const char *p, size_t n, const char *date_seps,
                                      const char *time_seps, struct ikm_tm *tm, size_t *used,
                                      const char **why);

/* Parses a UTC offset "+HHMM", "+HH:MM", "+HH" or "Z" at p. Returns 1 and sets *off_min and
 * *used, 0 when there is none, -1 when out of range (|offset| > 15:59 or minutes > 59). */
int ikm_parse_utc_offset(const char *p, size_t n, int *off_min, size_t *used);

/* Formats utc_us as "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z": no fraction when it is zero,
 * milliseconds when that is exact, else microseconds. buf must hold 32 bytes. Returns buf. */
char *ikm_format_utc(int64_t us, char *buf, size_t bufsz);
/* Same as ikm_format_utc without the trailing Z and with a space: for wall-clock times. */
char *ikm_format_local(int64_t us, char *buf, size_t bufsz);

#endif
