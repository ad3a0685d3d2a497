/*
 * textsafe.c — lossless escaping of input bytes (see textsafe.h). What valid UTF-8 is comes
 * from parsers/utf8.h, the definition the parsers' checks use.
 */
#include "textsafe.h"

#include "../parsers/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the clean sequence at s (1..4): valid UTF-8 that is not NUL, DEL or a C0 control
 * other than tab; 0 when the byte there must be escaped. */
static size_t clean_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return (s[0] >= 0x20 || s[0] == '\t') && s[0] != 0x7f ? 1 : 0;
    return ikm_utf8_seq(s, n);
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
        size_t l = clean_seq(u + i, n - i);
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
        size_t l = clean_seq(u + i, n - i);
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

char *ikm_text_safe_dup(const char *s, size_t n)
{
    struct ikm_textbuf tb = {0};
    if (!ikm_text_safe(&tb, s, n, 0)) {
        ikm_textbuf_free(&tb);
        return NULL;
    }
    return tb.p;
}
