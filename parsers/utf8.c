/*
 * utf8.c — UTF-8 validation (see utf8.h).
 */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t ikm_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07;
    else
        return 0; /* a continuation byte, an overlong lead (C0, C1) or beyond U+10FFFF (F5..FF) */
    if (n - 1 < need)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need + 1;
}

#define HIGH_BITS 0x8080808080808080ULL

size_t ikm_utf8_invalid_at(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    for (;;) {
        /* This runs on every line of every text input and nearly all of them are 7-bit: test
         * 32 bytes per branch while no high bit shows, then 8, then bytes up to the first
         * high bit. memcpy is the portable unaligned load; compilers make it one mov. */
        while (n - i >= 32) {
            uint64_t a, b, c, d;
            memcpy(&a, u + i, 8);
            memcpy(&b, u + i + 8, 8);
            memcpy(&c, u + i + 16, 8);
            memcpy(&d, u + i + 24, 8);
            if ((a | b | c | d) & HIGH_BITS)
                break;
            i += 32;
        }
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & HIGH_BITS)
                break;
            i += 8;
        }
        while (i < n && u[i] < 0x80)
            i++;
        if (i >= n)
            return IKM_UTF8_VALID;
        size_t l = ikm_utf8_seq(u + i, n - i);
        if (!l)
            return i;
        i += l;
    }
}
