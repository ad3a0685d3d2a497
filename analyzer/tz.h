/*
 * tz.h — a device time zone as the user or a bundle names it, and conversion of device-local
 * wall-clock times to UTC.
 *
 * Accepted: "UTC", "Z", fixed offsets ("+09:00", "-0800", "+05"), and IANA names resolved
 * through the system's zoneinfo ("Europe/Berlin", "America/Los_Angeles"). Named zones honour
 * daylight saving time; an ambiguous local time (the repeated hour) takes the C library's
 * choice.
 */
#ifndef IKM_TZ_H
#define IKM_TZ_H

#include <stddef.h>
#include <stdint.h>

enum ikm_tz_kind { IKM_TZK_NONE = 0, IKM_TZK_FIXED, IKM_TZK_NAMED };

struct ikm_tz {
    enum ikm_tz_kind kind;
    int offset_min;  /* FIXED */
    char name[96];   /* as given */
};

/* Returns 0, or -1 with a message in err. */
int ikm_tz_parse(const char *s, struct ikm_tz *tz, char *err, size_t errsz);
/* UTC microseconds of a local wall-clock time. */
int64_t ikm_tz_local_to_utc(const struct ikm_tz *tz, int64_t local_us);
/* The zone's UTC offset in minutes at a UTC instant (DST-correct for named zones). */
int ikm_tz_offset_at_utc(const struct ikm_tz *tz, int64_t utc_us);
/* A fixed-offset zone for a zone abbreviation as `show clock` prints it ("PDT", "CEST",
 * "+03"). Returns 0, or -1 when unknown. *ambiguous is set for abbreviations with several
 * meanings (CST, IST, ...): the most common one is taken. */
int ikm_tz_from_abbrev(const char *abbr, struct ikm_tz *tz, int *ambiguous);
/* "+HH:MM" for an offset in minutes. buf: at least 8 bytes. */
char *ikm_tz_format_offset(int offset_min, char *buf, size_t bufsz);

#endif
