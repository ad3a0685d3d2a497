/*
 * batch_inputs.c — turns batch's INPUTs into jobs: which paths are bundles, folders of
 * bundles or lists of paths; each job's stable file-system-safe name; and the SHA-256 that
 * tells a rerun whether a report is still current.
 *
 * Rules (README "Batch triage"):
 *  - "-" is a list read from stdin; "@FILE" is a list file; a regular file that does not start
 *    like an archive and whose every non-blank, non-# line is an existing path is a list too
 *    (no tech-support file looks like that). A list's lines are expanded like command-line
 *    INPUTs, except that they are never lists themselves (no loops); relative paths are taken
 *    from the current directory, as xargs would.
 *  - A folder that looks like one unpacked bundle (var/log/pan, tmp/cli or opt/pancfg in it) is
 *    one job. Otherwise each entry that is an archive (by name or by its first bytes) or an
 *    unpacked bundle is a job; a folder with neither but with files in it is one job (loose
 *    files someone copied out of a bundle).
 *  - Any other path is one job, even when it cannot be read: its row then says why.
 */
#include "batch.h"
#include "strmap.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIST_LINE_MAX 4096       /* a path in a list */
#define HASH_DIR_MAX_DEPTH 32    /* an unpacked bundle is a few levels deep */
#define HASH_DIR_MAX_ENTRIES (1u << 20)

static const char *const archive_suffixes[] = {".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".tbz",
                                               ".txz",    ".tar",     ".zip",    ".gz",  ".bz2",  ".xz"};

int batch_path(char *buf, size_t len, const char *dir, const struct batch_job *job, const char *suffix)
{
    int n = snprintf(buf, len, "%s/%s%s", dir, job->name, suffix);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static size_t archive_suffix_len(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof archive_suffixes / sizeof archive_suffixes[0]; i++) {
        size_t k = strlen(archive_suffixes[i]);
        if (n > k && strcasecmp(name + n - k, archive_suffixes[i]) == 0)
            return k;
    }
    return 0;
}

/* gzip, bzip2, xz, zip, zstd, or a tar header ("ustar" at 257). */
static int has_archive_magic(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char h[262];
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return 1;
    if (n >= 3 && memcmp(h, "BZh", 3) == 0)
        return 1;
    if (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0)
        return 1;
    if (n >= 4 && (memcmp(h, "PK\3\4", 4) == 0 || memcmp(h, "PK\5\6", 4) == 0))
        return 1;
    if (n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0)
        return 1;
    return n >= 262 && memcmp(h + 257, "ustar", 5) == 0;
}

static int is_subdir(const char *dir, const char *rel)
{
    char p[LIST_LINE_MAX + 32];
    struct stat st;
    return snprintf(p, sizeof p, "%s/%s", dir, rel) < (int)sizeof p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_bundle_dir(const char *dir)
{
    return is_subdir(dir, "var/log/pan") || is_subdir(dir, "tmp/cli") || is_subdir(dir, "opt/pancfg");
}

struct expander {
    struct batch_jobs *jobs;
    struct ikm_strmap seen; /* real paths already taken: a bundle named twice is one job */
    char *err;
    size_t errlen;
};

static int add_job(struct expander *x, const char *path, int is_dir)
{
    char *real = realpath(path, NULL);
    int added = 0;
    int64_t r = ikm_strmap_get(&x->seen, real ? real : path, 0, &added);
    free(real);
    if (r < 0) {
        snprintf(x->err, x->errlen, "too many inputs (or out of memory) at %s", path);
        return -1;
    }
    if (!added)
        return 0;
    struct batch_jobs *j = x->jobs;
    if (j->n >= BATCH_MAX_JOBS) {
        snprintf(x->err, x->errlen, "more than %d bundles: split the queue", BATCH_MAX_JOBS);
        return -1;
    }
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 64;
        struct batch_job *v = realloc(j->v, cap * sizeof *v);
        if (!v) {
            snprintf(x->err, x->errlen, "out of memory");
            return -1;
        }
        j->v = v;
        j->cap = cap;
    }
    struct batch_job *job = &j->v[j->n];
    memset(job, 0, sizeof *job);
    job->input = strdup(path);
    if (!job->input) {
        snprintf(x->err, x->errlen, "out of memory");
        return -1;
    }
    job->is_dir = is_dir;
    job->exit_code = -1;
    j->n++;
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    char *p = malloc(n + strlen(name) + 2);
    if (p)
        sprintf(p, "%.*s/%s", (int)n, dir, name);
    return p;
}

static int entry_filter(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* A folder: one unpacked bundle, or a folder of bundles, or a folder of loose files. */
static int expand_dir(struct expander *x, const char *dir)
{
    if (is_bundle_dir(dir))
        return add_job(x, dir, 1);
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, entry_filter, alphasort);
    if (n < 0) /* unreadable: one job, whose row says why */
        return add_job(x, dir, 1);
    int rc = 0, found = 0, files = 0;
    for (int i = 0; i < n; i++) {
        char *p = rc == 0 ? join(dir, ents[i]->d_name) : NULL;
        struct stat st;
        if (p && stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && is_bundle_dir(p)) {
                rc = add_job(x, p, 1);
                found++;
            } else if (S_ISREG(st.st_mode)) {
                files++;
                if (archive_suffix_len(ents[i]->d_name) || has_archive_magic(p)) {
                    rc = add_job(x, p, 0);
                    found++;
                }
            }
        } else if (!p && rc == 0) {
            snprintf(x->err, x->errlen, "out of memory");
            rc = -1;
        }
        free(p);
        free(ents[i]);
    }
    free(ents);
    if (rc == 0 && !found) {
        if (files)
            return add_job(x, dir, 1);
        fprintf(stderr, "ikemortem batch: %s: no bundle in this folder\n", dir);
    }
    return rc;
}

/* One path of a list or of the command line (lists excluded). */
static int expand_path(struct expander *x, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return expand_dir(x, path);
    return add_job(x, path, 0);
}

static int read_list(struct expander *x, FILE *f, const char *what)
{
    char *line = NULL;
    size_t cap = 0, total = 0;
    ssize_t n;
    int rc = 0;
    unsigned long lineno = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        total += (size_t)n;
        if (total > BATCH_MAX_LIST_BYTES) {
            snprintf(x->err, x->errlen, "%s: longer than %zu MiB", what, BATCH_MAX_LIST_BYTES >> 20);
            rc = -1;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if ((size_t)n >= LIST_LINE_MAX || memchr(line, '\0', (size_t)n)) {
            snprintf(x->err, x->errlen, "%s:%lu: not a path (too long, or binary)", what, lineno);
            rc = -1;
            break;
        }
        rc = expand_path(x, line);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(x->err, x->errlen, "%s: read error: %s", what, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

/* A text file whose every non-blank, non-comment line is an existing path, and at least one. */
static int looks_like_list(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
        (size_t)st.st_size > BATCH_MAX_LIST_BYTES || has_archive_magic(path))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int paths = 0, ok = 1;
    while (ok && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        struct stat ps;
        ok = (size_t)n < LIST_LINE_MAX && !memchr(line, '\0', (size_t)n) && stat(line, &ps) == 0;
        paths += ok;
    }
    free(line);
    fclose(f);
    return ok && paths > 0;
}

static int expand_input(struct expander *x, const char *in)
{
    if (strcmp(in, "-") == 0)
        return read_list(x, stdin, "stdin");
    const char *list = in[0] == '@' ? in + 1 : looks_like_list(in) ? in : NULL;
    if (!list)
        return expand_path(x, in);
    FILE *f = fopen(list, "rb");
    if (!f) {
        snprintf(x->err, x->errlen, "list %s: %s", list, strerror(errno));
        return -1;
    }
    int rc = read_list(x, f, list);
    fclose(f);
    return rc;
}

/* ---- names ---------------------------------------------------------------------------- */

static void hex(char *out, const unsigned char *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The base name without an archive suffix, every byte outside [A-Za-z0-9._-] made '_'. */
static char *base_name(const char *input)
{
    size_t len = strlen(input);
    while (len > 1 && input[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && input[start - 1] != '/')
        start--;
    char tmp[LIST_LINE_MAX];
    size_t n = len - start < sizeof tmp ? len - start : sizeof tmp - 1;
    memcpy(tmp, input + start, n);
    tmp[n] = '\0';
    n -= archive_suffix_len(tmp);
    if (n > BATCH_NAME_MAX)
        n = BATCH_NAME_MAX;
    char *out = malloc(n + 8);
    if (!out)
        return NULL;
    size_t o = 0;
    if (n == 0 || tmp[0] == '.') /* "/", hidden, "." or "..": never a hidden or empty name */
        o = (size_t)sprintf(out, "bundle");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tmp[i];
        out[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '-' || c == '_'
                       ? (char)c
                       : '_';
    }
    out[o] = '\0';
    return out;
}

/* "<base>-<8 hex of SHA-256 of the full path>": stable for the same path */
static char *hashed_name(const char *base, const char *input)
{
    char *real = realpath(input, NULL);
    const char *p = real ? real : input;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char h[2 * EVP_MAX_MD_SIZE + 1];
    int ok = EVP_Digest(p, strlen(p), md, &mdlen, EVP_sha256(), NULL);
    free(real);
    if (!ok)
        return NULL;
    hex(h, md, 4);
    char *out = malloc(strlen(base) + 16);
    if (out)
        sprintf(out, "%s-%s", base, h);
    return out;
}

static int assign_names(struct batch_jobs *jobs, char *err, size_t errlen)
{
    struct ikm_strmap count = {0}, taken = {0};
    uint32_t *dup = calloc(jobs->n ? jobs->n : 1, sizeof *dup);
    int rc = dup ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < jobs->n; i++) {
        jobs->v[i].name = base_name(jobs->v[i].input);
        int added;
        int64_t k = jobs->v[i].name ? ikm_strmap_get(&count, jobs->v[i].name, (uint32_t)i, &added) : -1;
        if (k < 0)
            rc = -1;
        else if (!added)
            dup[k] = dup[i] = 1; /* the first holder of the name is hashed too */
    }
    for (size_t i = 0; rc == 0 && i < jobs->n; i++) {
        if (dup[i]) {
            char *h = hashed_name(jobs->v[i].name, jobs->v[i].input);
            if (!h) {
                rc = -1;
                break;
            }
            free(jobs->v[i].name);
            jobs->v[i].name = h;
        }
        /* a hashed name meeting another base name verbatim: count up until free */
        for (unsigned k = 2; rc == 0; k++) {
            int added;
            if (ikm_strmap_get(&taken, jobs->v[i].name, 0, &added) < 0)
                rc = -1;
            else if (added)
                break;
            char *n2 = malloc(strlen(jobs->v[i].name) + 16);
            if (!n2) {
                rc = -1;
                break;
            }
            sprintf(n2, "%s-%u", jobs->v[i].name, k);
            free(jobs->v[i].name);
            jobs->v[i].name = n2;
        }
    }
    if (rc < 0)
        snprintf(err, errlen, "out of memory naming the jobs");
    free(dup);
    ikm_strmap_free(&count);
    ikm_strmap_free(&taken);
    return rc;
}

int batch_expand(struct batch_jobs *jobs, int ninputs, char *const *inputs, char *err, size_t errlen)
{
    struct expander x = {.jobs = jobs, .err = err, .errlen = errlen};
    x.seen.max_keys = BATCH_MAX_JOBS + 1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < ninputs; i++)
        rc = expand_input(&x, inputs[i]);
    ikm_strmap_free(&x.seen);
    return rc == 0 ? assign_names(jobs, err, errlen) : -1;
}

void batch_jobs_free(struct batch_jobs *jobs)
{
    for (size_t i = 0; i < jobs->n; i++) {
        free(jobs->v[i].input);
        free(jobs->v[i].name);
        free(jobs->v[i].error);
    }
    free(jobs->v);
    memset(jobs, 0, sizeof *jobs);
}

/* ---- hashing ---------------------------------------------------------------------------- */

static int hash_file(EVP_MD_CTX *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static unsigned char buf[1 << 16];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ok = EVP_DigestUpdate(ctx, buf, n);
    int e = ferror(f) ? EIO : 0;
    fclose(f);
    if (!ok || e) {
        errno = e ? e : ENOMEM;
        return -1;
    }
    return 0;
}

struct dir_list {
    char **v;
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per member: "relative/path\0size\0mtime.nsec\n" (links and special files by their
 * own lstat, never followed). */
static int list_dir(struct dir_list *l, const char *root, const char *rel, int depth)
{
    if (depth > HASH_DIR_MAX_DEPTH) {
        errno = ELOOP;
        return -1;
    }
    char *dir = rel[0] ? join(root, rel) : strdup(root);
    if (!dir)
        return -1;
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *r = rel[0] ? join(rel, e->d_name) : strdup(e->d_name);
        char *full = r ? join(root, r) : NULL;
        struct stat st;
        if (!full || lstat(full, &st) != 0) {
            rc = -1;
        } else if (l->n >= HASH_DIR_MAX_ENTRIES) {
            errno = EFBIG;
            rc = -1;
        } else {
            if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 256;
                char **v = realloc(l->v, cap * sizeof *v);
                if (!v)
                    rc = -1;
                else
                    l->v = v, l->cap = cap;
            }
            if (rc == 0) {
                size_t len = strlen(r) + 64;
                char *line = malloc(len);
                if (!line) {
                    rc = -1;
                } else {
                    /* NULs inside the record are written as '\1' so that strcmp sorts whole records */
                    snprintf(line, len, "%s\1%lld\1%lld.%09ld\n", r, (long long)st.st_size,
                             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
                    l->v[l->n++] = line;
                }
            }
            if (rc == 0 && S_ISDIR(st.st_mode))
                rc = list_dir(l, root, r, depth + 1);
        }
        free(full);
        free(r);
    }
    closedir(d);
    free(dir);
    return rc;
}

int batch_hash_input(struct batch_job *job)
{
    job->sha[0] = '\0';
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        errno = ENOMEM;
        return -1;
    }
    int rc;
    if (job->is_dir) {
        struct dir_list l = {0};
        rc = list_dir(&l, job->input, "", 0);
        int e = errno;
        if (rc == 0) {
            qsort(l.v, l.n, sizeof *l.v, cmp_str);
            for (size_t i = 0; rc == 0 && i < l.n; i++)
                rc = EVP_DigestUpdate(ctx, l.v[i], strlen(l.v[i])) ? 0 : -1;
        }
        for (size_t i = 0; i < l.n; i++)
            free(l.v[i]);
        free(l.v);
        errno = e;
    } else {
        rc = hash_file(ctx, job->input);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (rc == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32)
        hex(job->sha, md, 32);
    else if (rc == 0)
        rc = -1, errno = ENOMEM;
    int e = errno;
    EVP_MD_CTX_free(ctx);
    errno = e;
    return rc;
}
