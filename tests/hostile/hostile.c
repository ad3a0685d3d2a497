/*
 * hostile.c — see hostile.h. Fixtures are written at run time so that nothing binary is
 * committed; the runner watches the whole test directory because "nothing written outside the
 * output" is only provable by looking at everything the run could have touched.
 */
#include "hostile.h"

#include "../testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MTIME 1563213341 /* any fixed time: archives are the same bytes each run */

void hs_assert_contains(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "expected \"%s\" in:\n%.4000s", needle, hay);
}

void hs_assert_not_contains(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) == NULL, "did not expect \"%s\" in:\n%s", needle, hay);
}

struct hs_blob hs_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    struct hs_blob b = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (b.n == cap) {
            cap = cap ? cap * 2 : 65536;
            b.p = realloc(b.p, cap + 1);
            ck_assert_ptr_nonnull(b.p);
        }
        size_t k = fread(b.p + b.n, 1, cap - b.n, f);
        if (k == 0)
            break;
        b.n += k;
    }
    ck_assert_int_eq(ferror(f), 0);
    fclose(f);
    b.p[b.n] = '\0';
    return b;
}

struct hs_blob hs_seed(void)
{
    return hs_read(tu_src(HS_SEED_LOG));
}

struct hs_blob hs_seed_dated(const char *date)
{
    struct hs_blob b = hs_seed();
    ck_assert_uint_eq(strlen(date), 10);
    for (char *p = b.p; (p = strstr(p, "2019-03-06")) != NULL; p += 10)
        memcpy(p, date, 10);
    return b;
}

void hs_mkdirs(const char *path)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
            *s = '/';
        }
    ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

void hs_write(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

void hs_dirs(struct hs_dirs *d, const char *name)
{
    char rel[700], abs[PATH_MAX];
    snprintf(rel, sizeof rel, "%s", tu_path(name));
    hs_mkdirs(rel);
    ck_assert_ptr_nonnull(realpath(rel, abs));
    ck_assert_int_lt(snprintf(d->root, sizeof d->root, "%s", abs), (int)sizeof d->root);
    snprintf(d->in, sizeof d->in, "%s/in", d->root);
    snprintf(d->cwd, sizeof d->cwd, "%s/cwd", d->root);
    snprintf(d->tmp, sizeof d->tmp, "%s/tmp", d->root);
    hs_mkdirs(d->in);
    hs_mkdirs(d->cwd);
    hs_mkdirs(d->tmp);
    char cap[900];
    snprintf(cap, sizeof cap, "%s/cap", d->root);
    hs_mkdirs(cap);
}

/* ---- archives and folders -------------------------------------------------------------- */

static void aw_member(struct archive *a, const struct hs_member *m)
{
    struct archive_entry *e = archive_entry_new();
    ck_assert_ptr_nonnull(e);
    unsigned type = m->type ? m->type : AE_IFREG;
    archive_entry_set_pathname(e, m->name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFLNK ? 0777 : 0644);
    archive_entry_set_mtime(e, MTIME, 0);
    archive_entry_set_uname(e, "root");
    archive_entry_set_gname(e, "root");
    size_t size = type == AE_IFREG && !m->hardlink ? m->len + m->zeros : 0;
    archive_entry_set_size(e, (la_int64_t)size);
    if (type == AE_IFLNK)
        archive_entry_set_symlink(e, m->link);
    if (m->hardlink)
        archive_entry_set_hardlink(e, m->link);
    if (type == AE_IFBLK || type == AE_IFCHR) {
        archive_entry_set_rdevmajor(e, 8);
        archive_entry_set_rdevminor(e, 0);
    }
    ck_assert_msg(archive_write_header(a, e) == ARCHIVE_OK, "%s: %s", m->name, archive_error_string(a));
    archive_entry_free(e);
    if (size == 0)
        return;
    if (m->len)
        ck_assert_int_eq(archive_write_data(a, m->data, m->len), (la_ssize_t)m->len);
    static const char chunk[1 << 20];
    for (size_t left = m->zeros; left > 0;) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        ck_assert_int_eq(archive_write_data(a, chunk, k), (la_ssize_t)k);
        left -= k;
    }
}

void hs_tar(const char *path, int gzip, const struct hs_member *m, size_t n)
{
    struct archive *a = archive_write_new();
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    if (gzip)
        ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    ck_assert_msg(archive_write_open_filename(a, path) == ARCHIVE_OK, "%s: %s", path, archive_error_string(a));
    struct hs_blob seed = hs_seed();
    struct hs_member good = {HS_M_LOG, seed.p, seed.n, 0, NULL, 0, 0};
    aw_member(a, &good);
    free(seed.p);
    for (size_t i = 0; i < n; i++)
        aw_member(a, &m[i]);
    ck_assert_msg(archive_write_close(a) == ARCHIVE_OK, "%s", archive_error_string(a));
    archive_write_free(a);
}

static void folder_file(const char *dir, const char *name, const void *p, size_t n, size_t zeros)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    hs_mkdirs(path);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    static const char chunk[1 << 16];
    for (size_t left = zeros; left > 0;) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        ck_assert_uint_eq(fwrite(chunk, 1, k, f), k);
        left -= k;
    }
    ck_assert_int_eq(fclose(f), 0);
}

void hs_folder(const char *dir, const struct hs_member *m, size_t n)
{
    struct hs_blob seed = hs_seed();
    folder_file(dir, HS_M_LOG, seed.p, seed.n, 0);
    free(seed.p);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(m[i].type == 0 || m[i].type == AE_IFREG, "folders take files only");
        folder_file(dir, m[i].name, m[i].data, m[i].len, m[i].zeros);
    }
}

/* ---- captures ------------------------------------------------------------------------------ */

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Ethernet / IPv4 (with its checksum) / UDP 500 -> 500 around an IKE message. */
static size_t build_frame(uint8_t *f, size_t cap, const struct hs_frame *h)
{
    size_t ike_n = 28 + h->body_len;
    ck_assert_uint_le(14 + 20 + 8 + ike_n, cap);
    memset(f, 0, 14 + 20 + 8 + 28);
    static const uint8_t macs[12] = {0x00, 0x1b, 0x17, 0x00, 0x01, 0x10, 0x00, 0x1b, 0x17, 0x00, 0x01, 0x11};
    memcpy(f, macs, 12);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *udp = ip + 20, *ike = udp + 8;
    static const uint8_t ispi[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    static const uint8_t rspi[8] = {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    memcpy(ike, ispi, 8);
    memcpy(ike + 8, rspi, 8);
    ike[16] = h->first_payload;
    ike[17] = 0x20;                             /* IKEv2 */
    ike[18] = 37;                               /* INFORMATIONAL */
    ike[19] = h->response ? 0x20 : 0x08;        /* R, or I */
    put32(ike + 20, h->msg_id);
    put32(ike + 24, h->ike_len ? h->ike_len : (uint32_t)ike_n);
    if (h->body_len)
        memcpy(ike + 28, h->body, h->body_len);
    put16(udp, 500), put16(udp + 2, 500), put16(udp + 4, (unsigned)(8 + ike_n));
    ip[0] = 0x45, put16(ip + 2, (unsigned)(20 + 8 + ike_n)), put16(ip + 4, 0x1234), put16(ip + 6, 0x4000);
    ip[8] = 64, ip[9] = 17;
    static const uint8_t a[4] = {10, 46, 36, 241}, b[4] = {10, 46, 36, 240};
    memcpy(ip + 12, h->response ? b : a, 4);
    memcpy(ip + 16, h->response ? a : b, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, ~sum & 0xffff);
    size_t n = 14 + 20 + 8 + ike_n;
    ck_assert_uint_le(n + h->pad, cap);
    memset(f + n, 0, h->pad);
    return n + h->pad;
}

struct hs_blob hs_pcap(uint32_t snaplen, const struct hs_frame *fr, size_t nf)
{
    size_t cap = 24 + nf * (16 + 4096);
    struct hs_blob b = {calloc(1, cap), 0};
    ck_assert_ptr_nonnull(b.p);
    uint8_t *p = (uint8_t *)b.p;
    le32(p, 0xa1b2c3d4);
    p[4] = 2, p[6] = 4;   /* version 2.4 */
    le32(p + 16, snaplen);
    le32(p + 20, 1);      /* LINKTYPE_ETHERNET */
    b.n = 24;
    for (size_t i = 0; i < nf; i++) {
        uint8_t frame[4096];
        size_t n = build_frame(frame, sizeof frame, &fr[i]);
        uint8_t *h = p + b.n;
        le32(h, 1551922000u + (uint32_t)i); /* 2019-03-07 01:26:40 UTC on */
        le32(h + 4, 5000);
        le32(h + 8, fr[i].incl ? fr[i].incl : (uint32_t)n);
        le32(h + 12, fr[i].incl > n ? fr[i].incl : (uint32_t)n);
        memcpy(h + 16, frame, n);
        b.n += 16 + n;
    }
    return b;
}

/* ---- the guarded runner ------------------------------------------------------------------ */

#define SNAP_MAX 512
struct snap {
    size_t n;
    char *e[SNAP_MAX];
};
static struct snap *g_snap;
static const char *g_skip; /* the captures' folder: the runner's own writes */

static int snap_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)f;
    if (strncmp(p, g_skip, strlen(g_skip)) == 0)
        return 0;
    ck_assert_uint_lt(g_snap->n, SNAP_MAX);
    char line[1400];
    /* folders by name (their times move as entries come and go), files with size and time */
    if (flag == FTW_D || flag == FTW_DP)
        snprintf(line, sizeof line, "%s/", p);
    else
        snprintf(line, sizeof line, "%s %lld %lld.%09ld", p, (long long)sb->st_size, (long long)sb->st_mtim.tv_sec,
                 sb->st_mtim.tv_nsec);
    g_snap->e[g_snap->n] = strdup(line);
    ck_assert_ptr_nonnull(g_snap->e[g_snap->n]);
    g_snap->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snap_take(struct snap *s, const char *top, const char *skip)
{
    s->n = 0;
    g_snap = s;
    g_skip = skip;
    ck_assert_int_eq(nftw(top, snap_cb, 16, FTW_PHYS), 0);
    qsort(s->e, s->n, sizeof s->e[0], cmp_str);
}

static void snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->e[i]);
    s->n = 0;
}

static void assert_empty_dir(const char *dir, const char *what)
{
    struct snap s;
    snap_take(&s, dir, "\x01");
    ck_assert_msg(s.n == 1, "%s %s is not empty after the run: %s", what, dir, s.n > 1 ? s.e[1] : "");
    snap_free(&s);
}

static char *slurp(const char *path)
{
    struct hs_blob b = hs_read(path);
    return b.p;
}

void hs_run(struct hs_run *r, const struct hs_dirs *d, const char *arg0, ...)
{
    memset(r, 0, sizeof *r);
    char bin[PATH_MAX];
    const char *b = getenv("IKM_BIN");
    ck_assert_msg(b != NULL, "IKM_BIN is not set (run through make check)");
    ck_assert_msg(realpath(b, bin) != NULL, "%s: %s", b, strerror(errno));
    char *argv[32];
    int argc = 0;
    argv[argc++] = bin;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char opath[900], epath[900], capdir[900];
    snprintf(capdir, sizeof capdir, "%s/cap/", d->root);
    ck_assert_int_lt(snprintf(opath, sizeof opath, "%sstdout", capdir), (int)sizeof opath);
    ck_assert_int_lt(snprintf(epath, sizeof epath, "%sstderr", capdir), (int)sizeof epath);
    /* the test's whole directory (<IKM_TMPDIR>/t<pid>): the bundle, the fresh cwd and TMPDIR */
    char top[800];
    snprintf(top, sizeof top, "%s", d->root);
    *strrchr(top, '/') = '\0';
    struct snap before, after;
    snap_take(&before, top, capdir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int o = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || nul < 0 || chdir(d->cwd) != 0 || setenv("TMPDIR", d->tmp, 1) != 0)
            _exit(127);
        dup2(nul, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(bin, argv);
        _exit(127);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    r->out = slurp(opath);
    r->err = slurp(epath);
    ck_assert_msg(WIFEXITED(status), "ikemortem died of signal %d; stderr:\n%s", WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                  r->err);
    r->rc = WEXITSTATUS(status);
    ck_assert_msg(r->rc != 127, "could not run %s", bin);
    /* the sanitizers report on stderr and exit non-zero; say so plainly */
    hs_assert_not_contains(r->err, "ERROR: AddressSanitizer");
    hs_assert_not_contains(r->err, "runtime error:");
    hs_assert_not_contains(r->err, "ERROR: LeakSanitizer");
    assert_empty_dir(d->cwd, "the working directory");
    assert_empty_dir(d->tmp, "TMPDIR");
    snap_take(&after, top, capdir);
    for (size_t i = 0; i < after.n || i < before.n; i++)
        ck_assert_msg(i < after.n && i < before.n && strcmp(after.e[i], before.e[i]) == 0,
                      "the test directory changed during the run: %s / %s", i < before.n ? before.e[i] : "(none)",
                      i < after.n ? after.e[i] : "(none)");
    snap_free(&before);
    snap_free(&after);
    json_error_t je;
    r->report = json_loads(r->out, 0, &je);
}

void hs_run_free(struct hs_run *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->report);
    memset(r, 0, sizeof *r);
}

json_t *hs_input(const struct hs_run *r, const char *label)
{
    json_t *in = json_object_get(r->report, "inputs");
    size_t i;
    json_t *v;
    json_array_foreach(in, i, v)
    {
        const char *p = json_string_value(json_object_get(v, "path"));
        if (p && strcmp(p, label) == 0)
            return v;
    }
    return NULL;
}

static json_int_t jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", k);
    return json_integer_value(v);
}

void hs_assert_report(const struct hs_run *r, const char *log_label)
{
    ck_assert_msg(r->report != NULL, "stdout is not JSON:\n%.2000s\nstderr:\n%s", r->out, r->err);
    char path[900];
    snprintf(path, sizeof path, "%s", tu_path("report.json"));
    hs_write(path, r->out, strlen(r->out));
    tu_validate_report(path);
    unlink(path);
    json_t *in = json_object_get(r->report, "inputs");
    ck_assert_msg(json_array_size(in) > 0, "no inputs in the report");
    size_t i;
    json_t *v;
    json_array_foreach(in, i, v)
    {
        json_int_t u = jint(v, "units"), p = jint(v, "parsed"), n = jint(v, "unparsed");
        ck_assert_msg(p + n == u, "%s: parsed %lld + unparsed %lld != units %lld",
                      json_string_value(json_object_get(v, "path")), (long long)p, (long long)n, (long long)u);
    }
    json_t *good = hs_input(r, log_label);
    ck_assert_msg(good != NULL, "the good log %s is not among the inputs:\n%.3000s", log_label, r->out);
    ck_assert_int_eq(jint(good, "units"), HS_SEED_LINES);
    ck_assert_int_eq(jint(good, "parsed"), HS_SEED_LINES);
    int found = 0;
    json_array_foreach(json_object_get(r->report, "incidents"), i, v)
    {
        const char *t = json_string_value(json_object_get(v, "time"));
        const char *k = json_string_value(json_object_get(v, "kind"));
        const char *tun = json_string_value(json_object_get(v, "tunnel"));
        if (t && k && tun && strcmp(t, HS_GOOD_TIME) == 0 && strcmp(k, "dpd-down") == 0 &&
            strcmp(tun, HS_GOOD_TUNNEL) == 0)
            found = 1;
    }
    ck_assert_msg(found, "the seed's DPD incident at " HS_GOOD_TIME " is not in the report");
}

void hs_assert_warning(const struct hs_run *r, const char *part)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r->report, "warnings"), i, v)
    {
        const char *w = json_string_value(v);
        if (w && strstr(w, part))
            return;
    }
    ck_abort_msg("no report warning holds \"%s\":\n%s", part, r->out);
}

struct hs_blob hs_gzip(const void *head, size_t n, size_t zeros)
{
    size_t cap = n + zeros / 500 + (1 << 20);
    struct hs_blob b = {malloc(cap), 0};
    ck_assert_ptr_nonnull(b.p);
    struct archive *a = archive_write_new();
    ck_assert_int_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_open_memory(a, b.p, cap, &b.n), ARCHIVE_OK);
    struct hs_member m = {"x", head, n, 0, NULL, 0, zeros};
    aw_member(a, &m);
    ck_assert_msg(archive_write_close(a) == ARCHIVE_OK, "%s", archive_error_string(a));
    archive_write_free(a);
    return b;
}
