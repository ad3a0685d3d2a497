/*
 * textsafe.h — makes input bytes safe to store and print: the result is valid UTF-8 with no
 * NUL, and invalid bytes, NUL and other C0 controls except tab are written as "\xNN" so that
 * nothing is lost and the original bytes can be told from the escapes' context.
 *
 * Ownership: the buffer belongs to the caller (struct ikm_textbuf); ikm_textbuf_free frees it.
 */
#ifndef IKM_TEXTSAFE_H
#define IKM_TEXTSAFE_H

#include <stddef.h>

struct ikm_textbuf {
    char *p;
    size_t len, cap;
};

/* Escapes n bytes of s into tb (replacing its content), cut to at most max_in input bytes
 * (0: no cut). Returns tb->p (NUL-terminated), or NULL when memory runs out. */
const char *ikm_text_safe(struct ikm_textbuf *tb, const char *s, size_t n, size_t max_in);
/* 1 when s[0..n) is already valid UTF-8 without NUL or control bytes other than tab. */
int ikm_text_is_clean(const char *s, size_t n);
void ikm_textbuf_free(struct ikm_textbuf *tb);
/* The same as a malloc'd string (the caller frees it), or NULL when memory runs out. */
char *ikm_text_safe_dup(const char *s, size_t n);

#endif
