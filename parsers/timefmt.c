/*
 * timefmt.c — calendar arithmetic (Howard Hinnant's days-from-civil algorithm) and the
 * strict timestamp-shape readers used by every text parser. Strict on purpose: a month 13
 * or a 25th hour is reported as an invalid timestamp, not silently normalised.
 */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>

int64_t ikm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ikm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int ikm_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

int64_t ikm_tm_to_us(const struct ikm_tm *tm)
{
    int64_t days = ikm_days_from_civil(tm->year, (unsigned)tm->month, (unsigned)tm->day);
    int64_t secs = days * 86400 + tm->hour * 3600 + tm->min * 60 + tm->sec;
    return secs * 1000000 + tm->usec;
}

static int digits(const char *p, size_t n, size_t at, size_t count, int *out)
{
    if (at + count > n)
        return 0;
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        unsigned char c = (unsigned char)p[at + i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 1;
}

static int is_one_of(const char *p, size_t n, size_t at, const char *set)
{
    return at < n && p[at] != '\0' && strchr(set, p[at]) != NULL;
}

enum ikm_ts_result ikm_parse_datetime(const char *p, size_t n, const char *date_seps,
                                      const char *time_seps, struct ikm_tm *tm, size_t *used,
                                      const char **why)
{
    /* 0123456789012345678 */
    /* YYYY-MM-DD HH:MM:SS */
    if (n < 19 || !is_one_of(p, n, 4, date_seps) || p[7] != p[4] ||
        !is_one_of(p, n, 10, time_seps) || p[13] != ':' || p[16] != ':')
        return IKM_TS_NONE;
    if (!digits(p, n, 0, 4, &tm->year) || !digits(p, n, 5, 2, &tm->month) ||
        !digits(p, n, 8, 2, &tm->day) || !digits(p, n, 11, 2, &tm->hour) ||
        !digits(p, n, 14, 2, &tm->min) || !digits(p, n, 17, 2, &tm->sec))
        return IKM_TS_NONE;
    size_t i = 19;
    tm->usec = 0;
    if (i < n && p[i] == '.') {
        size_t f = 0;
        int scale = 100000;
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (f < 6) {
                tm->usec += (p[i] - '0') * scale;
                scale /= 10;
            }
            f++;
            i++;
        }
        if (f == 0 || f > 9)
            return IKM_TS_NONE;
    }
    const char *bad = NULL;
    if (tm->month < 1 || tm->month > 12)
        bad = "invalid timestamp: month out of range";
    else if (tm->day < 1 || tm->day > ikm_days_in_month(tm->year, (unsigned)tm->month))
        bad = "invalid timestamp: day out of range";
    else if (tm->hour > 23)
        bad = "invalid timestamp: hour out of range";
    else if (tm->min > 59)
        bad = "invalid timestamp: minute out of range";
    else if (tm->sec > 60) /* 60: a leap second as printed by some syslogs */
        bad = "invalid timestamp: second out of range";
    if (bad) {
        if (why)
            *why = bad;
        return IKM_TS_INVALID;
    }
    if (tm->sec == 60)
        tm->sec = 59;
    *used = i;
    return IKM_TS_OK;
}

int ikm_parse_utc_offset(const char *p, size_t n, int *off_min, size_t *used)
{
    if (n >= 1 && p[0] == 'Z') {
        *off_min = 0;
        *used = 1;
        return 1;
    }
    if (n < 3 || (p[0] != '+' && p[0] != '-'))
        return 0;
    int hh, mm = 0;
    size_t i;
    if (!digits(p, n, 1, 2, &hh))
        return 0;
    if (digits(p, n, 3, 2, &mm))
        i = 5;
    else if (n >= 6 && p[3] == ':' && digits(p, n, 4, 2, &mm))
        i = 6;
    else
        i = 3;
    /* an offset followed by more digits is something else (e.g. a number) */
    if (i < n && p[i] >= '0' && p[i] <= '9')
        return 0;
    if (hh > 15 || mm > 59)
        return -1;
    *off_min = (hh * 60 + mm) * (p[0] == '-' ? -1 : 1);
    *used = i;
    return 1;
}

static char *format_us(int64_t us, char *buf, size_t bufsz, char sep, const char *suffix)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    ikm_civil_from_days(days, &y, &m, &d);
    char fbuf[24] = ""; /* frac is in [0, 999999]; the size satisfies the compiler's range check */
    if (frac % 1000 == 0 && frac)
        snprintf(fbuf, sizeof fbuf, ".%03d", (int)(frac / 1000));
    else if (frac)
        snprintf(fbuf, sizeof fbuf, ".%06d", (int)frac);
    snprintf(buf, bufsz, "%04lld-%02u-%02u%c%02d:%02d:%02d%s%s", (long long)y, m, d, sep, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60), fbuf, suffix);
    return buf;
}

char *ikm_format_utc(int64_t us, char *buf, size_t bufsz)
{
    return format_us(us, buf, bufsz, 'T', "Z");
}

char *ikm_format_local(int64_t us, char *buf, size_t bufsz)
{
    return format_us(us, buf, bufsz, ' ', "");
}
