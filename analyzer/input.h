/*
 * input.h — a byte source opened through libarchive: either an archive (tar, zip; possibly
 * compressed) whose members are read one after another as streams, or a single file's
 * content, decompressed on the fly when it is gzip/bzip2/xz. Nothing is ever extracted to
 * disk. The SHA-256 covers the bytes as stored (compressed, when they are), and the first
 * decompressed bytes are kept for content sniffing.
 *
 * A byte source is any struct ikm_stream: a file (ikm_file_stream), or an archive member
 * (ikm_input_member_stream) — so a .gz rotation inside a .tgz is one input over a member.
 *
 * Ownership: ikm_input_close releases everything the input holds; the source stream stays
 * the caller's and must outlive the input.
 */
#ifndef IKM_INPUT_H
#define IKM_INPUT_H

#include "../parsers/linereader.h"

#include <stdint.h>
#include <stdio.h>

#define IKM_PEEK_MAX ((size_t)64 << 10)
/* below this much output the ratio is not judged: small files compress arbitrarily well */
#define IKM_RATIO_FLOOR ((int64_t)64 << 20)
/* bytes kept while libarchive tries the archive formats, to start again as plain content */
#define IKM_REPLAY_MAX ((size_t)4 << 20)
/* zeros looked past to find the content's kind (a crash can zero a log's head) */
#define IKM_ZERO_HEAD_MAX ((int64_t)256 << 20)

struct archive;
struct archive_entry;
struct ikm_hasher;
struct ikm_gunzip;

struct ikm_input {
    struct ikm_stream src;
    struct archive *ar;
    struct ikm_hasher *hs;    /* the SHA-256 of the stored bytes */
    int64_t raw_bytes;        /* stored bytes read so far */
    int raw_error;
    char raw_err[256]; /* why the stored bytes ended early */
    unsigned char raw[64 << 10];
    char filter[32];          /* "gzip", "none", ... */
    int is_archive;           /* tar/zip: use ikm_input_next_member */
    char format[32];          /* "raw", "GNU tar format", "ZIP 2.0 (deflation)", ... */
    char *peek;               /* first decompressed bytes, served again by ikm_input_stream */
    size_t peek_len, peek_pos;
    const char *block;        /* the current libarchive data block, not yet handed out */
    size_t block_left;
    int64_t data_bytes;       /* decompressed bytes handed out (this member, for archives) */
    int64_t data_cap;         /* stop with an error when total_out passes this (0: no cap) */
    int64_t total_out;        /* decompressed bytes handed out over all members */
    int64_t max_ratio;        /* stop when total_out passes raw_bytes times this (0: no check) */
    int64_t cap_report;       /* the configured cap, for messages */
    struct ikm_input *top;    /* the input the user named, when this one is nested in it */
    int64_t nested_out;       /* top only: bytes decompressed by nested inputs */
    int64_t zero_prefix;      /* zero bytes skipped before the peek, served again first */
    int64_t zero_served;
    unsigned char *replay;    /* bytes read while trying the archive formats (see ikm_input_open) */
    size_t replay_len, replay_pos;
    int capturing, replay_lost;
    int data_error, data_eof;
    int first_header_pending; /* archives: the header read at open is not consumed yet */
    struct archive_entry *first_entry;
    struct ikm_gunzip *gz;    /* a gzip stream libarchive refused (cut): zlib serves what it holds */
    char err[512];
};

/* A file as a byte source (fopen'd; ikm_file_stream_close closes it). */
struct ikm_file_src {
    FILE *fp;
    int error;
};
int ikm_file_stream_open(struct ikm_file_src *fs, const char *path, struct ikm_stream *out, char *err,
                         size_t errsz);
void ikm_file_stream_close(struct ikm_file_src *fs);

/* Opens a byte source. allow_archive: recognise tar/zip containers (else everything is one
 * file's content). Returns 0, or -1 with in->err set (the input must still be closed). */
int ikm_input_open(struct ikm_input *in, struct ikm_stream src, int allow_archive);

/* ---- single content ---- */
/* The decompressed content as a stream (the peeked bytes first). */
struct ikm_stream ikm_input_stream(struct ikm_input *in);
/* Reads the rest of the stored bytes and writes the lowercase hex SHA-256 into hex[65].
 * Returns 0, or -1 when the source could not be read to its end. */
int ikm_input_sha256(struct ikm_input *in, char hex[65]);

/* ---- archives ---- */
enum ikm_member_type { IKM_MEMBER_FILE, IKM_MEMBER_DIR, IKM_MEMBER_SYMLINK, IKM_MEMBER_HARDLINK,
                       IKM_MEMBER_OTHER };
struct ikm_member {
    char path[1024];          /* as stored (cut at 1023 bytes, with `cut` set) */
    int cut;
    enum ikm_member_type type;
    int64_t declared_size;    /* -1 when the archive does not say */
    char link_target[256];
};
/* The next member: 1, 0 at the end, -1 on a damaged archive (in->err says why; members
 * before stand). Its data is read with ikm_input_member_stream until the next call. */
int ikm_input_next_member(struct ikm_input *in, struct ikm_member *m);
struct ikm_stream ikm_input_member_stream(struct ikm_input *in);

void ikm_input_close(struct ikm_input *in);

#endif
