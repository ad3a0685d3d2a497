/*
 * test_textsafe.c — escaping of bytes that are not valid UTF-8 text.
 */
#include "../analyzer/textsafe.h"

#include <check.h>
#include <string.h>

START_TEST(escapes)
{
    struct ikm_textbuf tb = {0};
    ck_assert_str_eq(ikm_text_safe(&tb, "plain\ttext", 10, 0), "plain\ttext");
    ck_assert_str_eq(ikm_text_safe(&tb, "caf\xc3\xa9", 5, 0), "caf\xc3\xa9");
    ck_assert_str_eq(ikm_text_safe(&tb, "caf\xe9!", 5, 0), "caf\\xE9!");
    ck_assert_str_eq(ikm_text_safe(&tb, "a\0b", 3, 0), "a\\x00b");
    ck_assert_str_eq(ikm_text_safe(&tb, "\xc0\xaf", 2, 0), "\\xC0\\xAF");           /* overlong */
    ck_assert_str_eq(ikm_text_safe(&tb, "\xed\xa0\x80", 3, 0), "\\xED\\xA0\\x80");  /* surrogate */
    ck_assert_str_eq(ikm_text_safe(&tb, "\xe2\x80", 2, 0), "\\xE2\\x80");           /* cut */
    ck_assert_str_eq(ikm_text_safe(&tb, "abcdef", 6, 3), "abc");
    ck_assert_int_eq(ikm_text_is_clean("caf\xc3\xa9", 5), 1);
    ck_assert_int_eq(ikm_text_is_clean("a\rb", 3), 0);
    ikm_textbuf_free(&tb);
}
END_TEST

Suite *textsafe_suite(void);
Suite *textsafe_suite(void)
{
    Suite *s = suite_create("textsafe");
    TCase *t = tcase_create("core");
    tcase_add_test(t, escapes);
    suite_add_tcase(s, t);
    return s;
}
