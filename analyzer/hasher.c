/*
 * hasher.c — an input's SHA-256 on a thread beside the parser (see hasher.h).
 *
 * Hashing the stored bytes was a seventh of the parser thread's CPU on a debug log (0.55 s per
 * GiB) and a quarter on a capture (0.2 s per 1 M packets), and reading a log is bound by that
 * thread. A small input is hashed in place: the thread starts once an input has passed
 * HASHER_THREAD_FROM bytes (hasher.h), so that a bundle of small files does not start one per
 * file. The thread runs below the parser and the row writer (hasher_main).
 */
#include "hasher.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static _Atomic int64_t threads_cpu_ns; /* of the hasher threads that ended */

struct ikm_hasher {
    EVP_MD_CTX *md;
    unsigned char *buf[HASHER_RING];
    size_t len[HASHER_RING];
    size_t next;  /* the buffer ikm_hasher_buffer gives next */
    size_t given; /* the one it gave last */
    size_t fed;   /* bytes added so far */
    int running;
    /* under mu while running: buffers head .. head + queued - 1 (around the ring) wait for the
     * thread, which hashes buf[head] before it counts it out */
    size_t head, queued;
    int stop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
};

static void *hasher_main(void *arg)
{
    struct ikm_hasher *h = arg;
    /* below the parser and the row writer (Linux gives each thread its own nice value): when
     * they keep both cores busy, hashing waits for one to pause rather than slowing the one
     * that bounds the reading; the reader waits for it only when every buffer is queued */
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (errno == 0 && nice_now < 19)
        setpriority(PRIO_PROCESS, (id_t)gettid(), nice_now + 10 > 19 ? 19 : nice_now + 10);
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->queued && !h->stop)
            pthread_cond_wait(&h->work, &h->mu);
        if (!h->queued)
            break;
        size_t i = h->head;
        pthread_mutex_unlock(&h->mu);
        EVP_DigestUpdate(h->md, h->buf[i], h->len[i]);
        pthread_mutex_lock(&h->mu);
        h->head = (h->head + 1) % HASHER_RING;
        h->queued--;
        pthread_cond_signal(&h->done);
    }
    pthread_mutex_unlock(&h->mu);
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        atomic_fetch_add(&threads_cpu_ns, (int64_t)cpu.tv_sec * 1000000000 + cpu.tv_nsec);
    return NULL;
}

double ikm_hasher_threads_cpu_s(void)
{
    return (double)atomic_load(&threads_cpu_ns) / 1e9;
}

struct ikm_hasher *ikm_hasher_new(void)
{
    struct ikm_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->md = EVP_MD_CTX_new();
    if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
        ikm_hasher_free(h);
        return NULL;
    }
    return h;
}

/* Waits until the thread has hashed everything queued (its context is then the caller's). */
static void drain(struct ikm_hasher *h)
{
    if (!h->running)
        return;
    pthread_mutex_lock(&h->mu);
    while (h->queued)
        pthread_cond_wait(&h->done, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

unsigned char *ikm_hasher_buffer(struct ikm_hasher *h)
{
    size_t i = h->next;
    if (!h->buf[i] && !(h->buf[i] = malloc(HASHER_BUF)))
        return NULL;
    if (h->running) {
        pthread_mutex_lock(&h->mu);
        while (h->queued && (i + HASHER_RING - h->head) % HASHER_RING < h->queued)
            pthread_cond_wait(&h->done, &h->mu);
        pthread_mutex_unlock(&h->mu);
    }
    h->given = i; /* the next one is chosen when it is handed back */
    return h->buf[i];
}

/* The thread, from now on; 0, or -1 when it cannot start (hashing stays in place). */
static int start(struct ikm_hasher *h)
{
    if (pthread_mutex_init(&h->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&h->work, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        return -1;
    }
    if (pthread_cond_init(&h->done, NULL) != 0) {
        pthread_cond_destroy(&h->work);
        pthread_mutex_destroy(&h->mu);
        return -1;
    }
    if (pthread_create(&h->thread, NULL, hasher_main, h) != 0) {
        pthread_cond_destroy(&h->done);
        pthread_cond_destroy(&h->work);
        pthread_mutex_destroy(&h->mu);
        return -1;
    }
    h->running = 1;
    return 0;
}

void ikm_hasher_add(struct ikm_hasher *h, size_t n)
{
    size_t i = h->given;
    if (n == 0) { /* the buffer was not used: it is the next one again */
        h->next = i;
        return;
    }
    h->fed += n;
    if (!h->running && (h->fed < HASHER_THREAD_FROM || start(h) < 0)) {
        /* hashed in place: the same buffer serves again (the reader is done with it when it
         * asks for the next) */
        EVP_DigestUpdate(h->md, h->buf[i], n);
        return;
    }
    h->next = (i + 1) % HASHER_RING; /* this one is the thread's until hashed */
    pthread_mutex_lock(&h->mu);
    h->len[i] = n;
    h->queued++;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
}

void ikm_hasher_update(struct ikm_hasher *h, const void *data, size_t n)
{
    drain(h);
    EVP_DigestUpdate(h->md, data, n);
    h->fed += n;
}

void ikm_hasher_final(struct ikm_hasher *h, unsigned char digest[32])
{
    drain(h);
    unsigned int dl = 0;
    EVP_DigestFinal_ex(h->md, digest, &dl);
}

void ikm_hasher_free(struct ikm_hasher *h)
{
    if (!h)
        return;
    if (h->running) {
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_cond_signal(&h->work);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->thread, NULL);
        pthread_cond_destroy(&h->done);
        pthread_cond_destroy(&h->work);
        pthread_mutex_destroy(&h->mu);
    }
    for (int i = 0; i < HASHER_RING; i++)
        free(h->buf[i]);
    EVP_MD_CTX_free(h->md);
    free(h);
}
