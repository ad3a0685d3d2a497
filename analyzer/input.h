/*
 * input.h — one input file opened as a byte stream: decompressed on the fly when it is
 * gzip/bzip2/xz (libarchive's raw format with every filter), hashed (SHA-256 of the bytes
 * as stored) while it is read, and sniffed for its kind from its first decompressed bytes.
 *
 * Ownership: ikm_input_close releases everything the input holds.
 */
#ifndef IKM_INPUT_H
#define IKM_INPUT_H

#include "../parsers/linereader.h"

#include <stdint.h>
#include <stdio.h>

#define IKM_PEEK_MAX ((size_t)64 << 10)

struct archive;
struct evp_md_ctx_st;

struct ikm_input {
    const char *path;
    FILE *fp;
    struct archive *ar;
    struct evp_md_ctx_st *md;
    int64_t raw_bytes;
    int raw_error;
    unsigned char raw[64 << 10];
    char filter[32];     /* "gzip", "none", ... */
    char *peek;          /* first decompressed bytes, served again by ikm_input_stream */
    size_t peek_len, peek_pos;
    const char *block;   /* the current libarchive data block, not yet handed out */
    size_t block_left;
    int data_error, data_eof;
    char err[512];
};

/* Opens path. Returns 0, or -1 with in->err set (the input must still be closed). */
int ikm_input_open(struct ikm_input *in, const char *path);
/* The decompressed content as a stream (the peeked bytes first). */
struct ikm_stream ikm_input_stream(struct ikm_input *in);
/* Reads the rest of the stored bytes and writes the lowercase hex SHA-256 into hex[65].
 * Returns 0, or -1 when the file could not be read to its end. */
int ikm_input_sha256(struct ikm_input *in, char hex[65]);
void ikm_input_close(struct ikm_input *in);

#endif
