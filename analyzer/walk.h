/*
 * walk.h — turns what the user names (a tech-support .tgz, a zip, a folder someone unpacked,
 * a loose file) into the leaves the parsers read, without writing anything to disk.
 *
 * Archives are read as streams member by member; a member that is itself compressed (the
 * .gz rotations inside a TSF) or an archive (a .tgz inside a .zip) is opened in turn, up to
 * a depth. Folders are walked without following symbolic links. Hostile members (../ or
 * absolute paths, links, device nodes, absurd sizes, decompression bombs, truncation) are
 * reported through the note callback with their member name, and the walk goes on.
 *
 * Ownership: a leaf and everything it points to are valid only during the leaf callback.
 */
#ifndef IKM_WALK_H
#define IKM_WALK_H

#include "input.h"

#include <stdint.h>

#define IKM_DEFAULT_MAX_BYTES ((int64_t)64 << 30)  /* decompressed bytes per input named */
#define IKM_DEFAULT_MAX_RATIO 200                   /* decompressed / stored, past 64 MiB */
#define IKM_MAX_DECLARED_SIZE ((int64_t)64 << 30)   /* a member declaring more is refused */
#define IKM_MAX_NESTING 3                           /* archive in archive in archive */
#define IKM_MAX_FOLDER_DEPTH 32

struct ikm_walk_limits {
    int64_t max_bytes;
    int64_t max_ratio;
};

struct ikm_leaf {
    const char *label;  /* what the user sees: "bundle.tgz:var/log/pan/ikemgr.log" or a path */
    const char *name;   /* the member path or file path (file-name hints) */
    const char *bundle; /* the archive or folder named by the user; NULL for a loose file */
    struct ikm_input *in; /* opened content (never an archive) */
};

enum ikm_note_level { IKM_NOTE_INFO = 0, IKM_NOTE_WARNING, IKM_NOTE_ERROR };

struct ikm_walk_cb {
    void *ctx;
    /* 0: go on; -1: stop the whole walk (the database failed) */
    int (*leaf)(void *ctx, const struct ikm_leaf *leaf);
    /* an item that is not a leaf (link, device, refused member) or a problem with one */
    void (*note)(void *ctx, const char *bundle, const char *member, int64_t bytes, const char *status,
                 const char *detail, enum ikm_note_level level);
};

/* Walks one input. Returns 0, 1 when problems were noted (errors), -1 when the leaf callback
 * stopped the walk, -2 when the input itself could not be opened (noted). */
int ikm_walk(const char *path, const struct ikm_walk_limits *lim, const struct ikm_walk_cb *cb);
/* The same over bytes already open as a stream, labelled `label`. */
int ikm_walk_stream(const char *label, struct ikm_stream src, const struct ikm_walk_limits *lim,
                    const struct ikm_walk_cb *cb);

#endif
