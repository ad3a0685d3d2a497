/*
 * hasher.h — the SHA-256 of an input's stored bytes, computed on a thread of its own once the
 * input is large (see hasher.c).
 *
 * The reader asks for a buffer, reads into it, and hands it over (ikm_hasher_add, also when
 * it read nothing); the buffer stays valid and unchanged until the reader asks for the next
 * one, which is libarchive's rule for the blocks its read callback returns. While the thread
 * runs, a buffer is given again only once it is hashed (HASHER_RING of them take turns).
 * Bytes the reader holds elsewhere are added in place (ikm_hasher_update), in order with the
 * others.
 *
 * Ownership: ikm_hasher_free stops the thread and frees the buffers.
 */
#ifndef IKM_HASHER_H
#define IKM_HASHER_H

#include <stddef.h>

#define HASHER_RING 4
#define HASHER_BUF ((size_t)256 << 10)
/* the thread starts once this much has been added (a small input is hashed in place) */
#define HASHER_THREAD_FROM ((size_t)4 << 20)

struct ikm_hasher;

/* NULL when memory runs out or SHA-256 cannot start. */
struct ikm_hasher *ikm_hasher_new(void);
/* A buffer of HASHER_BUF bytes to read into (waits while the thread still hashes it); NULL
 * when memory runs out. Every buffer asked for is handed back by ikm_hasher_add. */
unsigned char *ikm_hasher_buffer(struct ikm_hasher *h);
/* Adds the first n bytes of the buffer ikm_hasher_buffer gave last (0: it was not used). */
void ikm_hasher_add(struct ikm_hasher *h, size_t n);
/* Adds n bytes that stay the caller's (hashed before it returns). */
void ikm_hasher_update(struct ikm_hasher *h, const void *data, size_t n);
/* The digest of everything added; no more bytes may be added after it. */
void ikm_hasher_final(struct ikm_hasher *h, unsigned char digest[32]);
void ikm_hasher_free(struct ikm_hasher *h);
/* The CPU seconds of every hasher thread that has ended in this process (for `ingest -v`). */
double ikm_hasher_threads_cpu_s(void);

#endif
