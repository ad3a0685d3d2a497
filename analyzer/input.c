/*
 * input.c — opening, decompressing, hashing and sniffing one input (see input.h).
 *
 * libarchive reads through our own callback so that the SHA-256 covers exactly the stored
 * bytes, and so that a truncated compressed file is reported with how far it got.
 */
#include "input.h"


#include <archive.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static ssize_t raw_read_cb(struct archive *a, void *ctx, const void **buf)
{
    (void)a;
    struct ikm_input *in = ctx;
    size_t n = fread(in->raw, 1, sizeof in->raw, in->fp);
    if (n == 0 && ferror(in->fp)) {
        in->raw_error = errno ? errno : EIO;
        archive_set_error(a, in->raw_error, "read failed: %s", strerror(in->raw_error));
        return -1;
    }
    if (n > 0) {
        EVP_DigestUpdate(in->md, in->raw, n);
        in->raw_bytes += (int64_t)n;
    }
    *buf = in->raw;
    return (ssize_t)n;
}

/* Serves decompressed bytes from libarchive's blocks. archive_read_data() would discard
 * the bytes it had already copied when a later block fails, so blocks are taken one at a
 * time and handed out as they come. */
static ssize_t data_read(struct ikm_input *in, void *buf, size_t n)
{
    while (in->block_left == 0) {
        if (in->data_eof)
            return 0;
        if (in->data_error)
            return -1;
        const void *blk;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(in->ar, &blk, &size, &off);
        if (r == ARCHIVE_EOF) {
            in->data_eof = 1;
            return 0;
        }
        if (r < ARCHIVE_WARN) {
            in->data_error = 1;
            const char *why = archive_error_string(in->ar);
            snprintf(in->err, sizeof in->err, "%s%s", why ? why : "decompression failed",
                     strcmp(in->filter, "none") != 0
                         ? " (the block being decompressed at the cut, up to 64 KiB, is lost)"
                         : "");
            return -1;
        }
        in->block = blk;
        in->block_left = size;
    }
    size_t k = in->block_left < n ? in->block_left : n;
    memcpy(buf, in->block, k);
    in->block += k;
    in->block_left -= k;
    return (ssize_t)k;
}

int ikm_input_open(struct ikm_input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->fp = fopen(path, "rb");
    if (!in->fp) {
        snprintf(in->err, sizeof in->err, "cannot open: %s", strerror(errno));
        return -1;
    }
    in->md = EVP_MD_CTX_new();
    if (!in->md || EVP_DigestInit_ex(in->md, EVP_sha256(), NULL) != 1) {
        snprintf(in->err, sizeof in->err, "cannot start SHA-256");
        return -1;
    }
    in->ar = archive_read_new();
    if (!in->ar) {
        snprintf(in->err, sizeof in->err, "out of memory");
        return -1;
    }
    archive_read_support_filter_all(in->ar);
    archive_read_support_format_raw(in->ar);
    archive_read_support_format_empty(in->ar);
    if (archive_read_open(in->ar, in, NULL, raw_read_cb, NULL) != ARCHIVE_OK) {
        snprintf(in->err, sizeof in->err, "cannot read: %s", archive_error_string(in->ar));
        return -1;
    }
    struct archive_entry *e;
    int r = archive_read_next_header(in->ar, &e);
    if (r == ARCHIVE_EOF) {
        in->data_eof = 1; /* an empty file */
    } else if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        snprintf(in->err, sizeof in->err, "cannot read: %s", archive_error_string(in->ar));
        return -1;
    }
    const char *fname = archive_filter_count(in->ar) > 1 ? archive_filter_name(in->ar, 0) : "none";
    snprintf(in->filter, sizeof in->filter, "%s", fname ? fname : "none");
    in->peek = malloc(IKM_PEEK_MAX);
    if (!in->peek) {
        snprintf(in->err, sizeof in->err, "out of memory");
        return -1;
    }
    while (in->peek_len < IKM_PEEK_MAX) {
        ssize_t k = data_read(in, in->peek + in->peek_len, IKM_PEEK_MAX - in->peek_len);
        if (k <= 0)
            break; /* an error is reported when the parser reaches it */
        in->peek_len += (size_t)k;
    }
    return 0;
}

static ssize_t stream_read(void *ctx, void *buf, size_t n)
{
    struct ikm_input *in = ctx;
    if (in->peek_pos < in->peek_len) {
        size_t k = in->peek_len - in->peek_pos;
        if (k > n)
            k = n;
        memcpy(buf, in->peek + in->peek_pos, k);
        in->peek_pos += k;
        return (ssize_t)k;
    }
    return data_read(in, buf, n);
}

static const char *stream_error(void *ctx)
{
    struct ikm_input *in = ctx;
    return in->err[0] ? in->err : NULL;
}

struct ikm_stream ikm_input_stream(struct ikm_input *in)
{
    struct ikm_stream s = {in, stream_read, stream_error};
    return s;
}

int ikm_input_sha256(struct ikm_input *in, char hex[65])
{
    /* the parser may stop before the end (or libarchive may not read trailing bytes): hash
     * whatever remains of the stored file */
    size_t n;
    while ((n = fread(in->raw, 1, sizeof in->raw, in->fp)) > 0) {
        EVP_DigestUpdate(in->md, in->raw, n);
        in->raw_bytes += (int64_t)n;
    }
    int bad = ferror(in->fp) || in->raw_error;
    unsigned char dg[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(in->md, dg, &dl);
    for (unsigned i = 0; i < dl && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dg[i]);
    hex[64] = '\0';
    return bad ? -1 : 0;
}

void ikm_input_close(struct ikm_input *in)
{
    if (in->ar)
        archive_read_free(in->ar);
    if (in->md)
        EVP_MD_CTX_free(in->md);
    if (in->fp)
        fclose(in->fp);
    free(in->peek);
    memset(in, 0, sizeof *in);
}

