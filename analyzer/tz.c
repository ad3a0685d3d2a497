/*
 * tz.c — time-zone parsing and local→UTC conversion (see tz.h). Named zones go through the
 * C library (TZ + mktime), which reads the system zoneinfo. The process is single-threaded
 * and never formats local times itself, so TZ is left set to the last zone converted.
 */
#include "tz.h"

#include "../parsers/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ikm_tz_parse(const char *s, struct ikm_tz *tz, char *err, size_t errsz)
{
    memset(tz, 0, sizeof *tz);
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof tz->name) {
        snprintf(err, errsz, "time zone '%s': empty or too long", s);
        return -1;
    }
    snprintf(tz->name, sizeof tz->name, "%s", s);
    if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0 || strcmp(s, "GMT") == 0) {
        tz->kind = IKM_TZK_FIXED;
        return 0;
    }
    int off;
    size_t used;
    int r = ikm_parse_utc_offset(s, n, &off, &used);
    if (r > 0 && used == n) {
        tz->kind = IKM_TZK_FIXED;
        tz->offset_min = off;
        return 0;
    }
    if (r < 0 || s[0] == '+' || s[0] == '-') {
        snprintf(err, errsz, "time zone '%s': offsets are written +HH:MM, -HHMM or +HH, at most 15:59", s);
        return -1;
    }
    /* an IANA name: letters, digits, '/', '_', '-', '+'; no '..' and not absolute */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+')) {
            snprintf(err, errsz, "time zone '%s': not an offset or a zone name", s);
            return -1;
        }
    }
    if (s[0] == '/' || strstr(s, "..")) {
        snprintf(err, errsz, "time zone '%s': not a zone name", s);
        return -1;
    }
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", s);
    if (access(path, R_OK) != 0) {
        snprintf(err, errsz, "time zone '%s': unknown zone (not in %s)", s,
                 dir && *dir ? dir : "/usr/share/zoneinfo");
        return -1;
    }
    tz->kind = IKM_TZK_NAMED;
    return 0;
}

int64_t ikm_tz_local_to_utc(const struct ikm_tz *tz, int64_t local_us)
{
    if (tz->kind == IKM_TZK_FIXED)
        return local_us - (int64_t)tz->offset_min * 60000000;
    if (tz->kind != IKM_TZK_NAMED)
        return local_us;
    int64_t secs = local_us >= 0 ? local_us / 1000000 : -((-local_us + 999999) / 1000000);
    int64_t frac = local_us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    ikm_civil_from_days(days, &y, &m, &d);
    struct tm tm = {0};
    tm.tm_year = (int)(y - 1900);
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)d;
    tm.tm_hour = (int)(sod / 3600);
    tm.tm_min = (int)(sod / 60 % 60);
    tm.tm_sec = (int)(sod % 60);
    tm.tm_isdst = -1;
    /* switching TZ makes the C library re-read the zone file: keep the last zone set, since
     * a source's rows are converted one after another in the same zone */
    static char current[sizeof tz->name];
    if (strcmp(current, tz->name) != 0) {
        setenv("TZ", tz->name, 1);
        tzset();
        snprintf(current, sizeof current, "%s", tz->name);
    }
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return local_us;
    return (int64_t)t * 1000000 + frac;
}

char *ikm_tz_format_offset(int offset_min, char *buf, size_t bufsz)
{
    int a = offset_min < 0 ? -offset_min : offset_min;
    snprintf(buf, bufsz, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
    return buf;
}
