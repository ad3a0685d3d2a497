/*
 * textsafe.c — UTF-8 validation and lossless escaping of input bytes (see textsafe.h).
 */
#include "textsafe.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the byte there cannot start one
 * or the sequence is invalid, overlong, a surrogate, or cut by n. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return (c >= 0x20 || c == '\t') && c != 0x7f ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07;
    else
        return 0;
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

int ikm_text_is_clean(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (u[i] >= 0x20 && u[i] < 0x7f) {
            i++;
            continue;
        }
        size_t l = utf8_seq(u + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

static int tb_reserve(struct ikm_textbuf *tb, size_t need)
{
    if (need <= tb->cap)
        return 0;
    size_t cap = tb->cap ? tb->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(tb->p, cap);
    if (!p)
        return -1;
    tb->p = p;
    tb->cap = cap;
    return 0;
}

const char *ikm_text_safe(struct ikm_textbuf *tb, const char *s, size_t n, size_t max_in)
{
    if (max_in && n > max_in)
        n = max_in;
    /* worst case every byte becomes "\xNN" */
    if (tb_reserve(tb, n * 4 + 1) < 0)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < n) {
        if (u[i] >= 0x20 && u[i] < 0x7f) {
            tb->p[o++] = (char)u[i++];
            continue;
        }
        size_t l = utf8_seq(u + i, n - i);
        if (l) {
            memcpy(tb->p + o, u + i, l);
            o += l;
            i += l;
        } else {
            snprintf(tb->p + o, 5, "\\x%02X", u[i]);
            o += 4;
            i++;
        }
    }
    tb->p[o] = '\0';
    tb->len = o;
    return tb->p;
}

void ikm_textbuf_free(struct ikm_textbuf *tb)
{
    free(tb->p);
    tb->p = NULL;
    tb->len = tb->cap = 0;
}
