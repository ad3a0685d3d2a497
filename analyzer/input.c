/*
 * input.c — byte sources opened through libarchive: archives walked member by member,
 * single files decompressed, hashed and sniffed (see input.h).
 *
 * libarchive reads through our own callback so that the SHA-256 covers exactly the stored
 * bytes, and data is taken block by block: archive_read_data() would discard bytes already
 * copied when a later block fails, and a truncated file must keep everything before the cut.
 */
#include "input.h"

#include "hasher.h"

#include <archive.h>
#include <zlib.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- files as byte sources ---------------------------------------------------------------- */

static ssize_t file_read(void *ctx, void *buf, size_t n)
{
    struct ikm_file_src *fs = ctx;
    size_t k = fread(buf, 1, n, fs->fp);
    if (k == 0 && ferror(fs->fp)) {
        fs->error = errno ? errno : EIO;
        return -1;
    }
    return (ssize_t)k;
}

static const char *file_error(void *ctx)
{
    struct ikm_file_src *fs = ctx;
    return fs->error ? strerror(fs->error) : NULL;
}

int ikm_file_stream_open(struct ikm_file_src *fs, const char *path, struct ikm_stream *out, char *err,
                         size_t errsz)
{
    memset(fs, 0, sizeof *fs);
    fs->fp = fopen(path, "rb");
    if (!fs->fp) {
        snprintf(err, errsz, "cannot open: %s", strerror(errno));
        return -1;
    }
    out->ctx = fs;
    out->read = file_read;
    out->error = file_error;
    return 0;
}

void ikm_file_stream_close(struct ikm_file_src *fs)
{
    if (fs->fp)
        fclose(fs->fp);
    fs->fp = NULL;
}

/* ---- libarchive plumbing ------------------------------------------------------------------ */

/* A gzip stream libarchive gave up on at open (its filter drops the block it was filling when
 * the input ends early, and for a small cut file that is all of it). zlib inflates what the
 * stored bytes hold up to the cut: first the bytes libarchive consumed (kept in replay, hashed
 * already), then the rest of the source (hashed here). Concatenated members are followed. */
struct ikm_gunzip {
    z_stream z;
    int ended;            /* the source is exhausted */
    int stream_end;       /* the last member ended cleanly */
    unsigned char in_buf[64 << 10];
    unsigned char out[64 << 10]; /* what libarchive reads, valid until it asks again */
    char err[128];
};

static int gunzip_start(struct ikm_input *in)
{
    struct ikm_gunzip *g = calloc(1, sizeof *g);
    if (!g)
        return -1;
    if (inflateInit2(&g->z, 15 + 16) != Z_OK) {
        free(g);
        return -1;
    }
    in->gz = g;
    in->replay_pos = 0;
    return 0;
}

static void gunzip_free(struct ikm_input *in)
{
    if (in->gz) {
        inflateEnd(&in->gz->z);
        free(in->gz);
        in->gz = NULL;
    }
}

/* Refills zlib's input: replayed bytes first, then the source. 0 at the end, -1 on error. */
static int gunzip_fill(struct ikm_input *in)
{
    struct ikm_gunzip *g = in->gz;
    if (in->replay_pos < in->replay_len) {
        size_t k = in->replay_len - in->replay_pos;
        if (k > sizeof g->in_buf)
            k = sizeof g->in_buf;
        memcpy(g->in_buf, in->replay + in->replay_pos, k);
        in->replay_pos += k;
        g->z.next_in = g->in_buf;
        g->z.avail_in = (uInt)k;
        return 1;
    }
    ssize_t n = in->src.read(in->src.ctx, g->in_buf, sizeof g->in_buf);
    if (n <= 0) {
        if (n < 0)
            snprintf(g->err, sizeof g->err, "the data ends early");
        g->ended = 1;
        return 0;
    }
    ikm_hasher_update(in->hs, g->in_buf, (size_t)n);
    in->raw_bytes += n;
    g->z.next_in = g->in_buf;
    g->z.avail_in = (uInt)n;
    return 1;
}

static la_ssize_t gunzip_read(struct ikm_input *in, const void **buf)
{
    struct ikm_gunzip *g = in->gz;
    unsigned char *out = g->out;
    g->z.next_out = out;
    g->z.avail_out = sizeof g->out;
    while (g->z.avail_out > 0) {
        if (g->z.avail_in == 0 && !g->ended && gunzip_fill(in) < 0)
            break;
        if (g->z.avail_in == 0 && g->ended)
            break;
        int r = inflate(&g->z, Z_NO_FLUSH);
        if (r == Z_STREAM_END) {
            g->stream_end = 1;
            if (g->z.avail_in == 0 && !g->ended && gunzip_fill(in) <= 0)
                break;
            if (g->z.avail_in > 0) { /* another member follows */
                g->stream_end = 0;
                inflateReset(&g->z);
            }
            continue;
        }
        if (r != Z_OK && r != Z_BUF_ERROR) {
            snprintf(g->err, sizeof g->err, "gzip data damaged: %s", g->z.msg ? g->z.msg : "inflate failed");
            g->ended = 1;
            g->z.avail_in = 0;
            break;
        }
        if (r == Z_BUF_ERROR && g->z.avail_in == 0 && g->ended)
            break;
    }
    size_t got = sizeof g->out - g->z.avail_out;
    if (got == 0 && g->ended && !g->stream_end && !in->raw_error) {
        in->raw_error = 1;
        snprintf(in->raw_err, sizeof in->raw_err, "%s", g->err[0] ? g->err : "truncated gzip input");
    }
    *buf = out;
    return (la_ssize_t)got;
}

static la_ssize_t raw_read_cb(struct archive *a, void *ctx, const void **buf)
{
    struct ikm_input *in = ctx;
    if (in->gz)
        return gunzip_read(in, buf);
    if (in->replay_pos < in->replay_len) {
        /* the bytes an abandoned archive attempt consumed, served again (hashed already) */
        size_t k = in->replay_len - in->replay_pos;
        if (k > sizeof in->raw)
            k = sizeof in->raw;
        memcpy(in->raw, in->replay + in->replay_pos, k);
        in->replay_pos += k;
        *buf = in->raw;
        return (la_ssize_t)k;
    }
    if (in->raw_error)
        return 0;
    /* read into the hasher's buffer, which its thread hashes while this one goes on */
    unsigned char *block = ikm_hasher_buffer(in->hs);
    if (!block) {
        in->raw_error = 1;
        snprintf(in->raw_err, sizeof in->raw_err, "the data ends early: out of memory");
        return 0;
    }
    ssize_t n = in->src.read(in->src.ctx, block, HASHER_BUF);
    ikm_hasher_add(in->hs, n > 0 ? (size_t)n : 0);
    if (n < 0) {
        /* the stored bytes end early (a member cut by a truncated archive, a read error): to
         * libarchive that is the end, so that format detection and decompression still serve
         * everything before the cut; the cut itself is reported when the data runs out */
        in->raw_error = 1;
        const char *why = in->src.error ? in->src.error(in->src.ctx) : NULL;
        snprintf(in->raw_err, sizeof in->raw_err, "the data ends early: %s", why ? why : "I/O error");
        (void)a;
        return 0;
    }
    if (n > 0) {
        in->raw_bytes += n;
        if (in->capturing) {
            if (in->replay_len + (size_t)n > IKM_REPLAY_MAX) {
                in->capturing = 0;
                in->replay_lost = 1;
            } else {
                unsigned char *nr = realloc(in->replay, in->replay_len + (size_t)n);
                if (!nr) {
                    in->capturing = 0;
                    in->replay_lost = 1;
                } else {
                    in->replay = nr;
                    memcpy(in->replay + in->replay_len, block, (size_t)n);
                    in->replay_len += (size_t)n;
                    in->replay_pos = in->replay_len; /* consumed now; served again only on a restart */
                }
            }
        }
    }
    *buf = block;
    return n;
}

static void set_data_error(struct ikm_input *in, const char *why)
{
    in->data_error = 1;
    /* libarchive's filters drop the block they were filling; zlib (in->gz) serves up to the cut */
    snprintf(in->err, sizeof in->err, "%s%s", why ? why : "decompression failed",
             strcmp(in->filter, "none") != 0 && !in->gz
                 ? " (the block being decompressed at the cut, up to 64 KiB, is lost)"
                 : "");
}

/* Serves the current entry's decompressed bytes block by block. */
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
        if (r == ARCHIVE_EOF && in->raw_error) {
            set_data_error(in, in->raw_err);
            return -1;
        }
        if (r == ARCHIVE_EOF) {
            in->data_eof = 1;
            return 0;
        }
        if (r < ARCHIVE_WARN) {
            set_data_error(in, archive_error_string(in->ar));
            return -1;
        }
        in->block = blk;
        in->block_left = size;
    }
    size_t k = in->block_left < n ? in->block_left : n;
    in->total_out += (int64_t)k;
    /* the ratio is judged against what the user's file stores, over everything decompressed
     * from it at every nesting level: a bomb split over many small members is still one bomb */
    struct ikm_input *root = in->top ? in->top : in;
    if (root != in)
        root->nested_out += (int64_t)k;
    int64_t out_all = root->total_out + root->nested_out;
    if (in->max_ratio > 0 && out_all > IKM_RATIO_FLOOR && out_all > root->raw_bytes * in->max_ratio) {
        /* this member is the bomb: it stops, and what it produced no longer counts against
         * the members after it */
        if (root != in)
            root->nested_out -= in->total_out;
        in->data_error = 1;
        snprintf(in->err, sizeof in->err,
                 "decompresses to more than %lld times its stored size (a decompression bomb, or raise "
                 "--max-ratio); the rest is skipped",
                 (long long)in->max_ratio);
        return -1;
    }
    if (in->data_cap && in->total_out > in->data_cap) {
        in->data_error = 1;
        snprintf(in->err, sizeof in->err,
                 "decompressed data passes the --max-bytes cap of %lld bytes for this input (a decompression "
                 "bomb, or raise the cap); the rest is skipped",
                 (long long)in->cap_report);
        return -1;
    }
    memcpy(buf, in->block, k);
    in->block += k;
    in->block_left -= k;
    in->data_bytes += (int64_t)k;
    return (ssize_t)k;
}

static ssize_t stream_read(void *ctx, void *buf, size_t n)
{
    struct ikm_input *in = ctx;
    if (in->zero_served < in->zero_prefix) {
        size_t k = (size_t)(in->zero_prefix - in->zero_served) < n ? (size_t)(in->zero_prefix - in->zero_served) : n;
        memset(buf, 0, k);
        in->zero_served += (int64_t)k;
        return (ssize_t)k;
    }
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

static const char *ar_error(struct archive *ar)
{
    const char *e = archive_error_string(ar);
    return e ? e : "unreadable data";
}

/* A libarchive reader over our callback; archives recognised when allow_archive. */
static int open_reader(struct ikm_input *in, int allow_archive)
{
    in->ar = archive_read_new();
    if (!in->ar) {
        snprintf(in->err, sizeof in->err, "out of memory");
        return -1;
    }
    archive_read_support_filter_all(in->ar);
    if (allow_archive) {
        /* the containers support engineers receive; formats that bid on plain text (mtree)
         * or allocate what a header claims (cpio names) are left out */
        archive_read_support_format_tar(in->ar);
        archive_read_support_format_zip_streamable(in->ar);
    }
    archive_read_support_format_raw(in->ar);
    archive_read_support_format_empty(in->ar);
    if (archive_read_open(in->ar, in, NULL, raw_read_cb, NULL) != ARCHIVE_OK) {
        snprintf(in->err, sizeof in->err, "cannot read: %s", ar_error(in->ar));
        return -1;
    }
    return 0;
}

/* 1 when the bytes read so far hold anything but zeros. */
static int replay_has_data(const struct ikm_input *in)
{
    for (size_t i = 0; i < in->replay_len; i++)
        if (in->replay[i])
            return 1;
    return 0;
}

int ikm_input_open(struct ikm_input *in, struct ikm_stream src, int allow_archive)
{
    memset(in, 0, sizeof *in);
    in->src = src;
    if (!(in->hs = ikm_hasher_new())) {
        snprintf(in->err, sizeof in->err, "cannot start SHA-256");
        return -1;
    }
    /* the head is kept while formats and filters are tried: to start again as plain content
     * (a zeroed head) or through zlib (a gzip stream libarchive refused) */
    in->capturing = 1;
    struct archive_entry *e;
    int r = open_reader(in, allow_archive) < 0 ? ARCHIVE_FATAL : archive_read_next_header(in->ar, &e);
    const char *why = r < ARCHIVE_WARN && in->ar ? archive_error_string(in->ar) : NULL;
    if (why && strstr(why, "truncated gzip") && !in->replay_lost && in->replay_len >= 2 && in->replay[0] == 0x1f &&
        in->replay[1] == 0x8b) {
        /* a gzip stream libarchive refused: zlib serves what it holds, the cut is reported */
        if (in->ar)
            archive_read_free(in->ar);
        in->ar = NULL;
        in->err[0] = 0;
        in->capturing = 0;
        if (gunzip_start(in) < 0) {
            snprintf(in->err, sizeof in->err, "out of memory");
            return -1;
        }
        if (open_reader(in, allow_archive) < 0)
            return -1;
        r = archive_read_next_header(in->ar, &e);
    } else if (r < ARCHIVE_WARN && !in->ar) {
        return -1;
    }
    in->replay_pos = in->replay_len; /* nothing to serve again unless we start over below */
    if (allow_archive && r == ARCHIVE_EOF &&
        (archive_format(in->ar) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR && !replay_has_data(in)) {
        /* all zeros so far: an empty tar, or a zeroed head longer than what tar looked at */
        ssize_t n;
        while (in->capturing && !replay_has_data(in) &&
               (n = in->src.read(in->src.ctx, in->raw, sizeof in->raw)) > 0) {
            ikm_hasher_update(in->hs, in->raw, (size_t)n);
            in->raw_bytes += n;
            if (in->replay_len + (size_t)n > IKM_REPLAY_MAX) {
                in->replay_lost = 1;
                break;
            }
            unsigned char *nr = realloc(in->replay, in->replay_len + (size_t)n);
            if (!nr) {
                in->replay_lost = 1;
                break;
            }
            in->replay = nr;
            memcpy(in->replay + in->replay_len, in->raw, (size_t)n);
            in->replay_len += (size_t)n;
        }
    }
    if (allow_archive && r == ARCHIVE_EOF && (archive_format(in->ar) & ARCHIVE_FORMAT_BASE_MASK) ==
                                                 ARCHIVE_FORMAT_TAR && replay_has_data(in)) {
        /* tar takes 512 zero bytes for its end: a log whose head a crash zeroed would vanish
         * as an "empty archive". Start again as plain content over the same bytes. */
        if (in->replay_lost) {
            snprintf(in->err, sizeof in->err, "cannot read: starts with zero blocks and more than %zu bytes "
                                              "were consumed looking for an archive", (size_t)IKM_REPLAY_MAX);
            return -1;
        }
        archive_read_free(in->ar);
        in->ar = NULL;
        in->capturing = 0;
        in->replay_pos = 0;
        if (open_reader(in, 0) < 0)
            return -1;
        r = archive_read_next_header(in->ar, &e);
    }
    in->capturing = 0;
    const char *fname = archive_filter_count(in->ar) > 1 ? archive_filter_name(in->ar, 0) : "none";
    snprintf(in->filter, sizeof in->filter, "%s", in->gz ? "gzip (zlib)" : fname ? fname : "none");
    if (r == ARCHIVE_EOF) {
        in->data_eof = 1; /* an empty file, or an archive with no member */
        snprintf(in->format, sizeof in->format, "empty");
    } else if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        snprintf(in->err, sizeof in->err, "cannot read: %s", ar_error(in->ar));
        return -1;
    } else {
        const char *fmt = archive_format_name(in->ar);
        snprintf(in->format, sizeof in->format, "%s", fmt ? fmt : "?");
        if ((archive_format(in->ar) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_RAW) {
            in->is_archive = 1;
            in->first_header_pending = 1;
            in->first_entry = e;
            return 0;
        }
    }
    in->peek = malloc(IKM_PEEK_MAX);
    if (!in->peek) {
        snprintf(in->err, sizeof in->err, "out of memory");
        return -1;
    }
    for (;;) {
        while (in->peek_len < IKM_PEEK_MAX) {
            ssize_t k = data_read(in, in->peek + in->peek_len, IKM_PEEK_MAX - in->peek_len);
            if (k <= 0)
                break; /* an error is reported when the parser reaches it */
            in->peek_len += (size_t)k;
        }
        /* a head zeroed by a crash says nothing about the kind: look past it, and serve the
         * zeros again before the peek so that the parsers see every byte */
        size_t z = 0;
        while (z < in->peek_len && in->peek[z] == 0)
            z++;
        if (z < in->peek_len || in->peek_len < IKM_PEEK_MAX || in->zero_prefix >= IKM_ZERO_HEAD_MAX)
            break;
        in->zero_prefix += (int64_t)in->peek_len;
        in->peek_len = 0;
    }
    if (in->gz && in->peek_len == 0 && in->raw_error) {
        /* zlib got nothing out either: as unreadable as libarchive said */
        snprintf(in->err, sizeof in->err, "cannot read: %s", in->raw_err);
        return -1;
    }
    return 0;
}

struct ikm_stream ikm_input_stream(struct ikm_input *in)
{
    struct ikm_stream s = {in, stream_read, stream_error};
    return s;
}

int ikm_input_sha256(struct ikm_input *in, char hex[65])
{
    /* the parser may stop before the end (or libarchive may not read trailing bytes): hash
     * whatever remains of the stored bytes */
    ssize_t n;
    while (!in->raw_error && (n = in->src.read(in->src.ctx, in->raw, sizeof in->raw)) != 0) {
        if (n < 0) {
            in->raw_error = 1;
            break;
        }
        ikm_hasher_update(in->hs, in->raw, (size_t)n);
        in->raw_bytes += n;
    }
    unsigned char dg[32];
    ikm_hasher_final(in->hs, dg);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dg[i]);
    hex[64] = '\0';
    return in->raw_error ? -1 : 0;
}

int ikm_input_next_member(struct ikm_input *in, struct ikm_member *m)
{
    if (!in->is_archive)
        return 0;
    struct archive_entry *e = in->first_entry;
    if (in->first_header_pending) {
        in->first_header_pending = 0;
    } else {
        int r = archive_read_next_header(in->ar, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN) {
            snprintf(in->err, sizeof in->err, "%s", ar_error(in->ar));
            return -1;
        }
    }
    memset(m, 0, sizeof *m);
    const char *path = archive_entry_pathname(e);
    if (!path)
        path = "";
    size_t pl = strlen(path);
    m->cut = pl >= sizeof m->path;
    snprintf(m->path, sizeof m->path, "%s", path);
    m->declared_size = archive_entry_size_is_set(e) ? (int64_t)archive_entry_size(e) : -1;
    const char *hl = archive_entry_hardlink(e), *sl = archive_entry_symlink(e);
    mode_t type = archive_entry_filetype(e);
    if (hl) {
        m->type = IKM_MEMBER_HARDLINK;
        snprintf(m->link_target, sizeof m->link_target, "%s", hl);
    } else if (type == AE_IFLNK) {
        m->type = IKM_MEMBER_SYMLINK;
        snprintf(m->link_target, sizeof m->link_target, "%s", sl ? sl : "");
    } else if (type == AE_IFDIR) {
        m->type = IKM_MEMBER_DIR;
    } else if (type == AE_IFREG || type == 0) {
        m->type = IKM_MEMBER_FILE;
    } else {
        m->type = IKM_MEMBER_OTHER;
    }
    in->block_left = 0;
    in->data_eof = in->data_error = 0;
    in->data_bytes = 0;
    in->err[0] = '\0';
    return 1;
}

static ssize_t member_read(void *ctx, void *buf, size_t n)
{
    return data_read(ctx, buf, n);
}

struct ikm_stream ikm_input_member_stream(struct ikm_input *in)
{
    struct ikm_stream s = {in, member_read, stream_error};
    return s;
}

void ikm_input_close(struct ikm_input *in)
{
    if (in->ar)
        archive_read_free(in->ar);
    gunzip_free(in);
    ikm_hasher_free(in->hs);
    free(in->peek);
    free(in->replay);
    memset(in, 0, sizeof *in);
}
