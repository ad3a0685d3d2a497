/*
 * test_linereader.c — line splitting across read boundaries, limits and errors.
 */
#include "../parsers/linereader.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct buf_stream {
    const char *p;
    size_t len, pos, chunk;
    size_t fail_at; /* 0: never */
};

static ssize_t buf_read(void *ctx, void *out, size_t n)
{
    struct buf_stream *s = ctx;
    if (s->fail_at && s->pos >= s->fail_at)
        return -1;
    size_t k = s->len - s->pos;
    if (k > n)
        k = n;
    if (s->chunk && k > s->chunk)
        k = s->chunk;
    if (s->fail_at && s->pos + k > s->fail_at)
        k = s->fail_at - s->pos;
    memcpy(out, s->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static const char *buf_error(void *ctx)
{
    (void)ctx;
    return "boom";
}

static struct ikm_linereader open_lr(struct buf_stream *s)
{
    struct ikm_linereader lr;
    struct ikm_stream st = {s, buf_read, buf_error};
    ck_assert_int_eq(ikm_lr_init(&lr, st), 0);
    return lr;
}

START_TEST(split_with_one_byte_reads)
{
    static const char text[] = "alpha\r\n\nbeta\ngamma";
    struct buf_stream s = {text, sizeof text - 1, 0, 1, 0};
    struct ikm_linereader lr = open_lr(&s);
    struct ikm_line l;
    const char *want[] = {"alpha", "", "beta", "gamma"};
    int64_t offs[] = {0, 7, 8, 13};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(ikm_lr_next(&lr, &l), 1);
        ck_assert_uint_eq(l.len, strlen(want[i]));
        ck_assert(memcmp(l.ptr, want[i], l.len) == 0);
        ck_assert_int_eq(l.number, i + 1);
        ck_assert_int_eq(l.offset, offs[i]);
        ck_assert_int_eq(l.had_cr, i == 0);
        ck_assert_int_eq(l.no_newline, i == 3);
        ck_assert_int_eq(l.truncated, 0);
    }
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 0);
    ck_assert_int_eq(ikm_lr_bytes(&lr), (int64_t)(sizeof text - 1));
    ikm_lr_free(&lr);
}
END_TEST

static char *make_lines(size_t first_len, size_t *total)
{
    *total = first_len + 1 + 6;
    char *p = malloc(*total);
    ck_assert_ptr_nonnull(p);
    memset(p, 'x', first_len);
    p[first_len] = '\n';
    memcpy(p + first_len + 1, "after\n", 6);
    return p;
}

static void check_long(size_t first_len, size_t chunk)
{
    size_t total;
    char *p = make_lines(first_len, &total);
    struct buf_stream s = {p, total, 0, chunk, 0};
    struct ikm_linereader lr = open_lr(&s);
    struct ikm_line l;
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 1);
    ck_assert_uint_eq(l.full_len, first_len);
    ck_assert_int_eq(l.truncated, first_len > IKM_LINE_MAX);
    ck_assert_uint_eq(l.len, first_len > IKM_LINE_MAX ? IKM_LINE_MAX : first_len);
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 1);
    ck_assert_uint_eq(l.len, 5);
    ck_assert(memcmp(l.ptr, "after", 5) == 0);
    ck_assert_int_eq(l.number, 2);
    ck_assert_int_eq(l.offset, (int64_t)first_len + 1);
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 0);
    ikm_lr_free(&lr);
    free(p);
}

START_TEST(exactly_the_limit)
{
    check_long(IKM_LINE_MAX, 0);
}
END_TEST

START_TEST(one_over_the_limit)
{
    check_long(IKM_LINE_MAX + 1, 0);
}
END_TEST

START_TEST(three_mib_line_small_reads)
{
    check_long((size_t)3 << 20, 4093);
}
END_TEST

START_TEST(long_line_at_end_without_newline)
{
    size_t n = IKM_LINE_MAX + 5000;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    memset(p, 'y', n);
    struct buf_stream s = {p, n, 0, 0, 0};
    struct ikm_linereader lr = open_lr(&s);
    struct ikm_line l;
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 1);
    ck_assert_int_eq(l.truncated, 1);
    ck_assert_int_eq(l.no_newline, 1);
    ck_assert_uint_eq(l.full_len, n);
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 0);
    ikm_lr_free(&lr);
    free(p);
}
END_TEST

START_TEST(read_error_after_lines)
{
    static const char text[] = "one\ntwo\nthr";
    struct buf_stream s = {text, sizeof text - 1, 0, 3, 9};
    struct ikm_linereader lr = open_lr(&s);
    struct ikm_line l;
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 1);
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 1);
    ck_assert_int_eq(ikm_lr_next(&lr, &l), 1); /* the partial "t" before the failure */
    ck_assert_uint_eq(l.len, 1);
    ck_assert_int_eq(l.no_newline, 1);
    ck_assert_int_eq(ikm_lr_next(&lr, &l), -1);
    ck_assert_str_eq(ikm_lr_error(&lr), "boom");
    ikm_lr_free(&lr);
}
END_TEST

Suite *linereader_suite(void);
Suite *linereader_suite(void)
{
    Suite *s = suite_create("linereader");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, split_with_one_byte_reads);
    tcase_add_test(t, exactly_the_limit);
    tcase_add_test(t, one_over_the_limit);
    tcase_add_test(t, three_mib_line_small_reads);
    tcase_add_test(t, long_line_at_end_without_newline);
    tcase_add_test(t, read_error_after_lines);
    suite_add_tcase(s, t);
    return s;
}
