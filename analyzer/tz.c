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
#include <sys/stat.h>
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
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || access(path, R_OK) != 0) { /* "America" is a folder */
        snprintf(err, errsz, "time zone '%s': unknown zone (not in %s)", s,
                 dir && *dir ? dir : "/usr/share/zoneinfo");
        return -1;
    }
    tz->kind = IKM_TZK_NAMED;
    return 0;
}

/* Switching TZ makes the C library re-read the zone file: the last zone set is kept, since
 * a source's rows are converted one after another in the same zone. */
static void use_zone(const char *name)
{
    static char current[96];
    if (strcmp(current, name) != 0) {
        setenv("TZ", name, 1);
        tzset();
        snprintf(current, sizeof current, "%s", name);
    }
}

int ikm_tz_offset_at_utc(const struct ikm_tz *tz, int64_t utc_us)
{
    if (tz->kind == IKM_TZK_FIXED)
        return tz->offset_min;
    if (tz->kind != IKM_TZK_NAMED)
        return 0;
    use_zone(tz->name);
    time_t t = (time_t)(utc_us >= 0 ? utc_us / 1000000 : -((-utc_us + 999999) / 1000000));
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return 0;
    return (int)(tm.tm_gmtoff / 60);
}

int ikm_tz_from_abbrev(const char *abbr, struct ikm_tz *tz, int *ambiguous)
{
    static const struct {
        const char *abbr;
        int minutes;
        int ambiguous;
    } table[] = {
        {"UTC", 0, 0},     {"GMT", 0, 0},      {"Z", 0, 0},        {"WET", 0, 0},      {"WEST", 60, 0},
        {"BST", 60, 0},    {"CET", 60, 0},     {"CEST", 120, 0},   {"MET", 60, 0},     {"MEST", 120, 0},
        {"EET", 120, 0},   {"EEST", 180, 0},   {"MSK", 180, 0},    {"SAST", 120, 0},   {"IST", 330, 1},
        {"PKT", 300, 0},   {"ICT", 420, 0},    {"WIB", 420, 0},    {"SGT", 480, 0},    {"HKT", 480, 0},
        {"AWST", 480, 0},  {"PHT", 480, 0},    {"JST", 540, 0},    {"KST", 540, 0},    {"ACST", 570, 0},
        {"ACDT", 630, 0},  {"AEST", 600, 0},   {"AEDT", 660, 0},   {"NZST", 720, 0},   {"NZDT", 780, 0},
        {"HST", -600, 0},  {"AKST", -540, 0},  {"AKDT", -480, 0},  {"PST", -480, 0},   {"PDT", -420, 0},
        {"MST", -420, 0},  {"MDT", -360, 0},   {"CST", -360, 1},   {"CDT", -300, 0},   {"EST", -300, 0},
        {"EDT", -240, 0},  {"AST", -240, 1},   {"ADT", -180, 0},   {"NST", -210, 0},   {"NDT", -150, 0},
        {"BRT", -180, 0},  {"ART", -180, 0},   {"CLT", -240, 0},   {"COT", -300, 0},   {"PET", -300, 0},
    };
    memset(tz, 0, sizeof *tz);
    *ambiguous = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(abbr, table[i].abbr) == 0) {
            tz->kind = IKM_TZK_FIXED;
            tz->offset_min = table[i].minutes;
            *ambiguous = table[i].ambiguous;
            snprintf(tz->name, sizeof tz->name, "%s", abbr);
            return 0;
        }
    /* glibc prints zones without an abbreviation as "+03", "-0330" */
    int off;
    size_t used, n = strlen(abbr);
    if (ikm_parse_utc_offset(abbr, n, &off, &used) == 1 && used == n) {
        tz->kind = IKM_TZK_FIXED;
        tz->offset_min = off;
        snprintf(tz->name, sizeof tz->name, "%s", abbr);
        return 0;
    }
    return -1;
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
    use_zone(tz->name);
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
