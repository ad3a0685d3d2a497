/*
 * test_timefmt.c — calendar arithmetic, strict timestamp shapes, offsets, formatting, zones.
 */
#include "../analyzer/tz.h"
#include "../parsers/timefmt.h"

#include <check.h>
#include <string.h>

START_TEST(civil_days)
{
    ck_assert_int_eq(ikm_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(ikm_days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(ikm_days_from_civil(2024, 2, 29), 19782);
    ck_assert_int_eq(ikm_days_from_civil(1969, 12, 31), -1);
    for (int64_t d = -800000; d < 800000; d += 997) {
        int64_t y;
        unsigned m, dd;
        ikm_civil_from_days(d, &y, &m, &dd);
        ck_assert_int_eq(ikm_days_from_civil(y, m, dd), d);
    }
    ck_assert_int_eq(ikm_days_in_month(2024, 2), 29);
    ck_assert_int_eq(ikm_days_in_month(1900, 2), 28);
    ck_assert_int_eq(ikm_days_in_month(2000, 2), 29);
}
END_TEST

START_TEST(datetime_shapes)
{
    struct ikm_tm tm;
    size_t used;
    const char *why = NULL;
    ck_assert_int_eq(ikm_parse_datetime("2024-07-15 10:55:41.005 -0700", 29, "-:", " T", &tm, &used, &why), IKM_TS_OK);
    ck_assert_uint_eq(used, 23);
    ck_assert_int_eq(tm.usec, 5000);
    ck_assert_int_eq(ikm_parse_datetime("2026:03:01T15:13:18.024+01:00", 29, "-:", " T", &tm, &used, &why), IKM_TS_OK);
    ck_assert_int_eq(tm.day, 1);
    ck_assert_int_eq(ikm_parse_datetime("2016-03-01 14:32:24 [INFO]", 26, "-:", " T", &tm, &used, &why), IKM_TS_OK);
    ck_assert_uint_eq(used, 19);
    ck_assert_int_eq(ikm_parse_datetime("2024-13-15 10:55:41", 19, "-:", " T", &tm, &used, &why), IKM_TS_INVALID);
    ck_assert_str_eq(why, "invalid timestamp: month out of range");
    ck_assert_int_eq(ikm_parse_datetime("2023-02-29 10:55:41", 19, "-:", " T", &tm, &used, &why), IKM_TS_INVALID);
    ck_assert_str_eq(why, "invalid timestamp: day out of range");
    ck_assert_int_eq(ikm_parse_datetime("2024-07-15 24:00:00", 19, "-:", " T", &tm, &used, &why), IKM_TS_INVALID);
    ck_assert_int_eq(ikm_parse_datetime("2024-07-15-10:55:41", 19, "-:", " T", &tm, &used, &why), IKM_TS_NONE);
    ck_assert_int_eq(ikm_parse_datetime("2024-07:15 10:55:41", 19, "-:", " T", &tm, &used, &why), IKM_TS_NONE);
    ck_assert_int_eq(ikm_parse_datetime("2024-07-15 10:55", 16, "-:", " T", &tm, &used, &why), IKM_TS_NONE);
    ck_assert_int_eq(ikm_parse_datetime("2019/03/06 18:24:04", 19, "/", " ", &tm, &used, &why), IKM_TS_OK);
}
END_TEST

START_TEST(offsets)
{
    int off;
    size_t used;
    ck_assert_int_eq(ikm_parse_utc_offset("-0700 [", 7, &off, &used), 1);
    ck_assert_int_eq(off, -420);
    ck_assert_uint_eq(used, 5);
    ck_assert_int_eq(ikm_parse_utc_offset("+01:00 ", 7, &off, &used), 1);
    ck_assert_int_eq(off, 60);
    ck_assert_int_eq(ikm_parse_utc_offset("+0530", 5, &off, &used), 1);
    ck_assert_int_eq(off, 330);
    ck_assert_int_eq(ikm_parse_utc_offset("Z", 1, &off, &used), 1);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(ikm_parse_utc_offset("+2500", 5, &off, &used), -1);
    ck_assert_int_eq(ikm_parse_utc_offset("[INFO]", 6, &off, &used), 0);
    ck_assert_int_eq(ikm_parse_utc_offset("-123456", 7, &off, &used), 0);
}
END_TEST

START_TEST(formatting)
{
    char b[40];
    ck_assert_str_eq(ikm_format_utc(1551921988000000LL, b, sizeof b), "2019-03-07T01:26:28Z");
    ck_assert_str_eq(ikm_format_utc(1721066141005000LL, b, sizeof b), "2024-07-15T17:55:41.005Z");
    ck_assert_str_eq(ikm_format_utc(-1, b, sizeof b), "1969-12-31T23:59:59.999999Z");
    ck_assert_str_eq(ikm_format_local(0, b, sizeof b), "1970-01-01 00:00:00");
    ck_assert_str_eq(ikm_format_utc(1000001, b, sizeof b), "1970-01-01T00:00:01.000001Z");
}
END_TEST

START_TEST(zones)
{
    struct ikm_tz tz;
    char err[256];
    ck_assert_int_eq(ikm_tz_parse("-08:00", &tz, err, sizeof err), 0);
    ck_assert_int_eq(tz.kind, IKM_TZK_FIXED);
    ck_assert_int_eq(ikm_tz_local_to_utc(&tz, 0), 8LL * 3600 * 1000000);
    ck_assert_int_eq(ikm_tz_parse("UTC", &tz, err, sizeof err), 0);
    ck_assert_int_eq(ikm_tz_local_to_utc(&tz, 42), 42);
    ck_assert_int_eq(ikm_tz_parse("+99:00", &tz, err, sizeof err), -1);
    ck_assert_int_eq(ikm_tz_parse("../etc/passwd", &tz, err, sizeof err), -1);
    ck_assert_int_eq(ikm_tz_parse("Mars/Olympus_Mons", &tz, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown zone"));
    ck_assert_int_eq(ikm_tz_parse("America", &tz, err, sizeof err), -1); /* a folder of zones */
    if (ikm_tz_parse("Europe/Berlin", &tz, err, sizeof err) == 0) {
        /* summer (CEST, +2) and winter (CET, +1) */
        ck_assert_int_eq(ikm_tz_local_to_utc(&tz, 1721044800000000LL), 1721037600000000LL);
        ck_assert_int_eq(ikm_tz_local_to_utc(&tz, 1705320000123456LL), 1705316400123456LL);
    }
    char b[16];
    ck_assert_str_eq(ikm_tz_format_offset(-420, b, sizeof b), "-07:00");
    ck_assert_str_eq(ikm_tz_format_offset(330, b, sizeof b), "+05:30");
}
END_TEST

Suite *timefmt_suite(void);
Suite *timefmt_suite(void)
{
    Suite *s = suite_create("timefmt");
    TCase *t = tcase_create("core");
    tcase_add_test(t, civil_days);
    tcase_add_test(t, datetime_shapes);
    tcase_add_test(t, offsets);
    tcase_add_test(t, formatting);
    tcase_add_test(t, zones);
    suite_add_tcase(s, t);
    return s;
}
