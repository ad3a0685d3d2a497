/*
 * walk.c — archives, folders and loose files turned into parser leaves (see walk.h).
 *
 * Nothing is extracted: a member is a stream over the archive, so "../" and absolute member
 * paths can do no harm here — they are still refused and reported, since a tool that shows
 * evidence must not present a member whose name lies about where it came from.
 */
#include "walk.h"

#include "strmap.h"
#include "textsafe.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEEN_NAMES_MAX 65536 /* member names remembered per archive to spot duplicates */

struct walker {
    const struct ikm_walk_limits *lim;
    const struct ikm_walk_cb *cb;
    const char *bundle;
    int64_t budget; /* decompressed bytes left for this input */
    int problems;
    int stopped;
};

static void note(struct walker *w, const char *member, int64_t bytes, const char *status, const char *detail,
                 enum ikm_note_level level)
{
    if (level == IKM_NOTE_ERROR)
        w->problems = 1;
    if (w->cb->note)
        w->cb->note(w->cb->ctx, w->bundle, member, bytes, status, detail, level);
}

/* "./var/log/x" -> "var/log/x"; refuses absolute paths and ".." components. */
static const char *member_path_problem(const char *p)
{
    if (p[0] == '/')
        return "absolute member path";
    if (p[0] == '\0')
        return "empty member path";
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return "member path climbs out of the archive (..)";
        if (!e)
            break;
        s = e + 1;
    }
    return NULL;
}

static const char *strip_dot_slash(const char *p)
{
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    while (p[0] == '/' && p[1] == '/')
        p++;
    return p;
}

static int walk_content(struct walker *w, struct ikm_input *in, const char *label, const char *name, int depth);

/* A member name made safe to print and store: control characters (an escape sequence that
 * clears the screen, a newline that forges a report line) and invalid UTF-8 become \xNN. */
static void safe_name(const char *raw, char *out, size_t outsz)
{
    struct ikm_textbuf tb = {0};
    const char *s = ikm_text_safe(&tb, raw, strlen(raw), 0);
    snprintf(out, outsz, "%s", s ? s : "?");
    ikm_textbuf_free(&tb);
}

/* Reads what is left of the current member, so that data the parsers did not want still
 * counts against the caps (libarchive would otherwise decompress it unseen while skipping). */
static int drain_member(struct ikm_input *outer)
{
    static char sink_buf[64 << 10];
    struct ikm_stream s = ikm_input_member_stream(outer);
    ssize_t n;
    while ((n = s.read(s.ctx, sink_buf, sizeof sink_buf)) > 0)
        ;
    return n < 0 ? -1 : 0;
}

/* One member of an archive. */
static void walk_member(struct walker *w, struct ikm_input *outer, const struct ikm_member *m, const char *outer_label,
                        int depth)
{
    char path_buf[1100];
    safe_name(strip_dot_slash(m->path), path_buf, sizeof path_buf);
    const char *path = path_buf;
    switch (m->type) {
    case IKM_MEMBER_DIR:
        return;
    case IKM_MEMBER_SYMLINK:
    case IKM_MEMBER_HARDLINK: {
        char d[400];
        char target[300];
        safe_name(m->link_target, target, sizeof target);
        snprintf(d, sizeof d, "%s to %s, not followed", m->type == IKM_MEMBER_SYMLINK ? "symbolic link" : "hard link",
                 target);
        note(w, path, 0, "link", d, IKM_NOTE_WARNING);
        return;
    }
    case IKM_MEMBER_OTHER:
        note(w, path, 0, "special", "device node, fifo or socket: no content to read", IKM_NOTE_WARNING);
        return;
    case IKM_MEMBER_FILE:
        break;
    }
    const char *bad = m->cut ? "member path longer than 1023 bytes" : member_path_problem(m->path);
    if (bad) {
        char raw[1100];
        safe_name(m->path, raw, sizeof raw);
        note(w, raw, m->declared_size, "refused", bad, IKM_NOTE_ERROR);
        return;
    }
    if (m->declared_size > IKM_MAX_DECLARED_SIZE) {
        char d[160];
        snprintf(d, sizeof d, "declares %lld bytes, more than the %lld a member may have", (long long)m->declared_size,
                 (long long)IKM_MAX_DECLARED_SIZE);
        note(w, path, m->declared_size, "refused", d, IKM_NOTE_ERROR);
        return;
    }
    if (w->budget <= 0) {
        note(w, path, m->declared_size, "skipped", "the decompressed-bytes cap of this input is used up",
             IKM_NOTE_ERROR);
        return;
    }
    char label[1400];
    snprintf(label, sizeof label, "%s:%s", outer_label, path);
    struct ikm_input inner;
    int opened = ikm_input_open(&inner, ikm_input_member_stream(outer), depth < IKM_MAX_NESTING);
    inner.top = outer->top ? outer->top : outer;
    if (opened < 0) {
        note(w, path, m->declared_size, "error", inner.err, IKM_NOTE_ERROR);
        ikm_input_close(&inner);
        return;
    }
    /* an archive inside the bundle (both ends' TSFs zipped together) is a bundle of its own */
    const char *outer_bundle = w->bundle;
    if (inner.is_archive)
        w->bundle = label;
    walk_content(w, &inner, label, path, depth);
    w->bundle = outer_bundle;
    ikm_input_close(&inner);
}

/* An opened input: an archive's members, or one leaf. */
static int walk_content(struct walker *w, struct ikm_input *in, const char *label, const char *name, int depth)
{
    in->max_ratio = w->lim->max_ratio;
    in->data_cap = w->budget;
    in->cap_report = w->lim->max_bytes > 0 ? w->lim->max_bytes : IKM_DEFAULT_MAX_BYTES;
    if (!in->is_archive) {
        struct ikm_leaf leaf = {label, name, w->bundle, in};
        int r = w->cb->leaf(w->cb->ctx, &leaf);
        w->budget -= in->total_out;
        if (r < 0)
            w->stopped = 1;
        return r;
    }
    /* duplicate member names: a later one would shadow an earlier one in an extraction */
    struct ikm_strmap seen = {.max_keys = SEEN_NAMES_MAX};
    struct ikm_member m;
    int r = 0;
    while (!w->stopped && (r = ikm_input_next_member(in, &m)) == 1) {
        if (m.type == IKM_MEMBER_FILE) {
            const char *p = strip_dot_slash(m.path);
            int added;
            if (ikm_strmap_get(&seen, p, 0, &added) >= 0 && !added)
                note(w, p, m.declared_size, "duplicate", "a member of the same name came earlier; both are read",
                     IKM_NOTE_WARNING);
        }
        walk_member(w, in, &m, label, depth + 1);
        if (!in->data_error)
            drain_member(in);
        if (in->data_error) {
            /* the container itself failed (cap, ratio, truncation): what follows cannot be
             * reached, or cannot be trusted to end */
            char where[1100], d[700];
            safe_name(strip_dot_slash(m.path), where, sizeof where);
            if (strncmp(in->err, "decompress", 10) == 0)
                snprintf(d, sizeof d, "%s", in->err); /* a cap or ratio stop: says so itself */
            else
                snprintf(d, sizeof d, "the archive ends early or is damaged in this member: %s", in->err);
            note(w, where, -1, "error", d, IKM_NOTE_ERROR);
            break;
        }
    }
    w->budget -= in->total_out;
    if (!w->stopped && r < 0) {
        char d[700];
        snprintf(d, sizeof d, "the archive ends early or is damaged after the last member read: %s", in->err);
        note(w, NULL, -1, "error", d, IKM_NOTE_ERROR);
    }
    ikm_strmap_free(&seen);
    return w->stopped ? -1 : 0;
}

/* A byte source opened as an archive or one leaf. A top-level archive becomes the bundle;
 * an archive found in a folder stays part of the folder's bundle. */
static int walk_opened(struct walker *w, const char *label, const char *name, struct ikm_stream src, int top)
{
    struct ikm_input in;
    int r;
    if (ikm_input_open(&in, src, 1) < 0) {
        note(w, name, -1, "error", in.err, IKM_NOTE_ERROR);
        r = -2;
    } else {
        if (top && in.is_archive)
            w->bundle = label;
        r = walk_content(w, &in, label, name, 0);
    }
    ikm_input_close(&in);
    return r;
}

static int walk_file(struct walker *w, const char *path, const char *name, int top)
{
    struct ikm_file_src fs;
    struct ikm_stream src;
    char err[512];
    if (ikm_file_stream_open(&fs, path, &src, err, sizeof err) < 0) {
        note(w, name, -1, "error", err, IKM_NOTE_ERROR);
        return -2;
    }
    int r = walk_opened(w, path, name, src, top);
    ikm_file_stream_close(&fs);
    return r;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_folder(struct walker *w, const char *dir, const char *rel, int depth)
{
    if (depth > IKM_MAX_FOLDER_DEPTH) {
        note(w, rel, -1, "skipped", "folders nested too deep", IKM_NOTE_ERROR);
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        char e[300];
        snprintf(e, sizeof e, "cannot open folder: %s", strerror(errno));
        note(w, rel[0] ? rel : dir, -1, "error", e, IKM_NOTE_ERROR);
        return 0;
    }
    /* sorted, so that runs are repeatable */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    int r = 0;
    for (size_t i = 0; i < n && r >= 0 && !w->stopped; i++) {
        char path[4096], sub[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
        struct stat sb;
        if (lstat(path, &sb) != 0) {
            note(w, sub, -1, "error", strerror(errno), IKM_NOTE_ERROR);
        } else if (S_ISLNK(sb.st_mode)) {
            note(w, sub, 0, "link", "symbolic link, not followed", IKM_NOTE_WARNING);
        } else if (S_ISDIR(sb.st_mode)) {
            r = walk_folder(w, path, sub, depth + 1);
        } else if (S_ISREG(sb.st_mode)) {
            if (walk_file(w, path, sub, 0) == -1)
                r = -1;
        } else {
            note(w, sub, 0, "special", "device node, fifo or socket: no content to read", IKM_NOTE_WARNING);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

static int walk_result(const struct walker *w, int r)
{
    if (r == -1 || w->stopped)
        return -1;
    if (r == -2)
        return -2;
    return w->problems ? 1 : 0;
}

int ikm_walk_stream(const char *label, struct ikm_stream src, const struct ikm_walk_limits *lim,
                    const struct ikm_walk_cb *cb)
{
    struct walker w = {lim, cb, NULL, lim->max_bytes > 0 ? lim->max_bytes : IKM_DEFAULT_MAX_BYTES, 0, 0};
    return walk_result(&w, walk_opened(&w, label, label, src, 1));
}

int ikm_walk(const char *path, const struct ikm_walk_limits *lim, const struct ikm_walk_cb *cb)
{
    struct walker w = {lim, cb, NULL, lim->max_bytes > 0 ? lim->max_bytes : IKM_DEFAULT_MAX_BYTES, 0, 0};
    struct stat sb;
    if (stat(path, &sb) != 0) {
        char e[300];
        snprintf(e, sizeof e, "cannot open: %s", strerror(errno));
        note(&w, path, -1, "error", e, IKM_NOTE_ERROR);
        return -2;
    }
    int r;
    if (S_ISDIR(sb.st_mode)) {
        w.bundle = path;
        r = walk_folder(&w, path, "", 0);
    } else {
        r = walk_file(&w, path, path, 1);
    }
    return walk_result(&w, r);
}
