/*
 * test_hasher.c — the stored bytes' SHA-256 computed on the hasher's thread: the same digest
 * as one pass over the bytes, whatever the sizes of the reads, the unused buffers and the
 * bytes added in place between them; and an input's digest when its parser stopped early.
 */
#include "../analyzer/hasher.h"
#include "../analyzer/input.h"
#include "testutil.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n pseudo-random bytes (xorshift from seed), malloc'd */
static unsigned char *random_bytes(size_t n, uint64_t seed)
{
    unsigned char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        p[i] = (unsigned char)(seed >> 24);
    }
    return p;
}

static void one_shot(const unsigned char *data, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    ck_assert_int_eq(EVP_Digest(data, n, out, &len, EVP_sha256(), NULL), 1);
    ck_assert_uint_eq(len, 32);
}

/* 11 MiB fed as a reader would: whole buffers, short reads, unused buffers, and bytes added in
 * place, across the point where the thread starts. Once it runs, the buffer just handed over
 * is never the next one given (the thread may still be hashing it). */
START_TEST(thread_digest_equals_one_pass)
{
    enum { TOTAL = 11 << 20 };
    unsigned char *all = random_bytes(TOTAL, 0x9e3779b97f4a7c15ULL);
    struct ikm_hasher *h = ikm_hasher_new();
    ck_assert_ptr_nonnull(h);
    size_t at = 0, step = 0;
    unsigned char *last = NULL;
    int reused_in_place = 0, reused_on_thread = 0;
    while (at < TOTAL) {
        step++;
        if (step % 7 == 0) { /* bytes the reader holds elsewhere */
            size_t n = TOTAL - at < 1000 ? TOTAL - at : 1000;
            ikm_hasher_update(h, all + at, n);
            at += n;
            continue;
        }
        unsigned char *b = ikm_hasher_buffer(h);
        ck_assert_ptr_nonnull(b);
        if (b == last && at < HASHER_THREAD_FROM)
            reused_in_place++;
        else if (b == last)
            reused_on_thread++;
        size_t n = step % 5 == 0 ? 0 : step % 3 == 0 ? 4097 : HASHER_BUF;
        if (n > TOTAL - at)
            n = TOTAL - at;
        memcpy(b, all + at, n);
        ikm_hasher_add(h, n);
        at += n;
        last = n ? b : NULL; /* an unused buffer is the next one again, on purpose */
    }
    unsigned char got[32], want[32];
    ikm_hasher_final(h, got);
    ikm_hasher_free(h);
    one_shot(all, TOTAL, want);
    ck_assert_mem_eq(got, want, 32);
    /* in place one buffer serves every read; on the thread they take turns */
    ck_assert_int_gt(reused_in_place, 10);
    ck_assert_int_eq(reused_on_thread, 0);
    free(all);
}
END_TEST

/* A 9 MiB file whose reader stops after 3 MiB: the digest still covers every stored byte (the
 * rest is read and hashed in place after the thread's queue), and equals a whole read's. */
START_TEST(input_digest_after_an_early_stop)
{
    enum { TOTAL = 9 << 20 };
    unsigned char *all = random_bytes(TOTAL, 0x2545f4914f6cdd1dULL);
    const char *path = tu_path("hasher-9m.bin");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(all, 1, TOTAL, f), TOTAL);
    fclose(f);
    unsigned char want[32];
    one_shot(all, TOTAL, want);
    char want_hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(want_hex + 2 * i, 3, "%02x", want[i]);
    for (size_t stop_at = 3 << 20; stop_at <= (size_t)TOTAL; stop_at += TOTAL - (3 << 20)) {
        struct ikm_file_src fs;
        struct ikm_stream src;
        char err[256];
        ck_assert_int_eq(ikm_file_stream_open(&fs, path, &src, err, sizeof err), 0);
        struct ikm_input in;
        ck_assert_int_eq(ikm_input_open(&in, src, 0), 0);
        struct ikm_stream s = ikm_input_stream(&in);
        unsigned char buf[65536];
        size_t got = 0;
        while (got < stop_at) {
            size_t want_n = stop_at - got < sizeof buf ? stop_at - got : sizeof buf;
            ssize_t k = s.read(s.ctx, buf, want_n);
            ck_assert_int_gt(k, 0);
            ck_assert_mem_eq(buf, all + got, (size_t)k);
            got += (size_t)k;
        }
        char hex[65];
        ck_assert_int_eq(ikm_input_sha256(&in, hex), 0);
        ck_assert_str_eq(hex, want_hex);
        ck_assert_int_eq(in.raw_bytes, TOTAL);
        ikm_input_close(&in);
        ikm_file_stream_close(&fs);
    }
    free(all);
}
END_TEST

Suite *hasher_suite(void);
Suite *hasher_suite(void)
{
    Suite *s = suite_create("hasher");
    TCase *t = tcase_create("sha256");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, thread_digest_equals_one_pass);
    tcase_add_test(t, input_digest_after_an_early_stop);
    suite_add_tcase(s, t);
    return s;
}
