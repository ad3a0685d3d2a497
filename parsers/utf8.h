/*
 * utf8.h — the one definition of valid UTF-8 in the program (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). The parsers' per-line checks (parsekit.c) and the
 * escaping of stored text (analyzer/textsafe.c) both use it, so a byte a parser reports as
 * invalid is exactly a byte the timeline escapes.
 *
 * Ownership: pure functions over the caller's bytes; nothing is kept.
 */
#ifndef IKM_UTF8_H
#define IKM_UTF8_H

#include <stddef.h>

/* ikm_utf8_invalid_at's answer when every sequence is valid. */
#define IKM_UTF8_VALID ((size_t)-1)

/* Length (1..4) of the valid sequence that starts at s[0], or 0 when s[0] cannot start one or
 * the sequence is overlong, a surrogate, above U+10FFFF, or cut by n. Every 7-bit byte,
 * controls and NUL included, is a sequence of 1: what counts as clean text is the caller's
 * business. n must be at least 1. */
size_t ikm_utf8_seq(const unsigned char *s, size_t n);

/* Offset of the first byte of p[0..n) that does not start a valid sequence, or
 * IKM_UTF8_VALID. Runs of 7-bit text are skipped several words at a time. */
size_t ikm_utf8_invalid_at(const char *p, size_t n);

#endif
