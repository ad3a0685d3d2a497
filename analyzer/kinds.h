/*
 * kinds.h — the registry of input kinds: name, content sniffer, file-name hints, parser.
 *
 * Ownership: struct ikm_parsers holds what parsers need compiled once per process (the
 * ikemgr message catalog); ikm_parsers_free releases it.
 */
#ifndef IKM_KINDS_H
#define IKM_KINDS_H

#include "../parsers/linereader.h"
#include "../parsers/sink.h"

#include <stddef.h>

enum ikm_kind {
    IKM_KIND_UNKNOWN = 0,
    IKM_KIND_EMPTY,
    IKM_KIND_IKEMGR_LOG,
    IKM_KIND_SYSLOG_CLI,
    IKM_KIND_SYSLOG_CSV,
    IKM_KIND_TECHSUPPORT,
    IKM_KIND_ROUTED_LOG,
    IKM_KIND_RUNCONFIG,
    IKM_KIND_PCAP,
};

struct ikemgr_catalog;
struct ikm_parsers {
    struct ikemgr_catalog *ikemgr;
};

struct ikm_kind_info {
    enum ikm_kind kind;
    const char *name; /* stored in sources.kind */
    int (*sniff)(const char *buf, size_t n);
    /* 0 read to the end, 1 ended early (reported), -1 sink or memory failure */
    int (*parse)(struct ikm_parsers *p, struct ikm_stream s, const struct ikm_sink *sink,
                 struct ikm_source_stats *stats);
    const char *const *hints; /* substrings of a file name that suggest the kind; NULL-ended */
};

const struct ikm_kind_info *ikm_kind_info(enum ikm_kind k);
const char *ikm_kind_name(enum ikm_kind k);
/* Decides the kind from the first decompressed bytes; the file name only breaks ties.
 * `why` says how it was decided. */
enum ikm_kind ikm_detect(const char *peek, size_t n, const char *path, char *why, size_t whysz);

int ikm_parsers_init(struct ikm_parsers *p, char *err, size_t errsz);
void ikm_parsers_free(struct ikm_parsers *p);

#endif
