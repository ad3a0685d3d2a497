/*
 * run_tests.c — runs every Check suite and prints Check's summary; exits non-zero on any
 * failure. Suites are listed here once.
 */
#include <check.h>
#include <stdlib.h>

Suite *timefmt_suite(void);
Suite *linereader_suite(void);
Suite *textsafe_suite(void);
Suite *ikemgr_suite(void);
Suite *timeline_suite(void);
Suite *e2e_suite(void);

int main(void)
{
    SRunner *sr = srunner_create(timefmt_suite());
    srunner_add_suite(sr, linereader_suite());
    srunner_add_suite(sr, textsafe_suite());
    srunner_add_suite(sr, ikemgr_suite());
    srunner_add_suite(sr, timeline_suite());
    srunner_add_suite(sr, e2e_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
