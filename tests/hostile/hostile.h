/*
 * hostile.h — fixture builders and the guarded runner of the hostile-input suite
 * (tests/test_hostile.c): bundles (.tgz/.tar and folders) written at run time with libarchive
 * and stdio, small pcaps written byte by byte, and `ikemortem analyze` run from a fresh working
 * directory with a fresh TMPDIR so that anything it writes outside its output is seen.
 */
#ifndef IKM_TEST_HOSTILE_H
#define IKM_TEST_HOSTILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define HS_SEED_LOG "testdata/seed/ikemgr.log"
#define HS_M_LOG "var/log/pan/ikemgr.log"
/* the seed log's first DPD drop, in UTC: the incident every case must still report */
#define HS_GOOD_TIME "2019-03-07T01:26:28Z"
#define HS_GOOD_TUNNEL "awsseapa-to-azeapa"
#define HS_SEED_LINES 16

struct hs_blob {
    char *p;
    size_t n;
};
struct hs_blob hs_read(const char *path);
struct hs_blob hs_seed(void); /* testdata/seed/ikemgr.log */
/* the seed log with every "2019-03-06" moved to `date` (the same length): a second, distinct
 * copy whose incidents do not merge with the good one's */
struct hs_blob hs_seed_dated(const char *date);

/* One member of a bundle. type: 0 or AE_IFREG = file; AE_IFLNK, AE_IFBLK, AE_IFCHR, AE_IFIFO;
 * `hardlink` set = a hard link to that name. `zeros` extra zero bytes follow the data (bombs
 * are written in chunks, never held in memory). */
struct hs_member {
    const char *name;
    const void *data;
    size_t len;
    unsigned type;
    const char *link;
    int hardlink;
    size_t zeros;
};

/* A lone .gz of `head` then `zeros` zero bytes (in memory). */
struct hs_blob hs_gzip(const void *head, size_t n, size_t zeros);

/* The test's own directory (<IKM_TMPDIR>/t<pid>/<name>, absolute) with in/, cwd/ and tmp/. */
struct hs_dirs {
    char root[700], in[800], cwd[800], tmp[800];
};
void hs_dirs(struct hs_dirs *d, const char *name);
void hs_mkdirs(const char *path);
void hs_write(const char *path, const void *p, size_t n);

/* The seed log as HS_M_LOG, then the members; gzip: .tgz, else a plain tar. */
void hs_tar(const char *path, int gzip, const struct hs_member *m, size_t n);
/* The same as a folder (files only; links and nodes are for archives). */
void hs_folder(const char *dir, const struct hs_member *m, size_t n);

/* A little-endian pcap (snaplen, Ethernet) of IKEv2 INFORMATIONAL frames 10.46.36.241 <->
 * 10.46.36.240, UDP 500. A frame: its IKE bytes (header built here when `ike` is NULL, with
 * msg_id and length field `ike_len`, 0 = true length, then `body`), and the record's included
 * length `incl` (0 = true length; more = the record claims more than follows, less = cut). */
struct hs_frame {
    uint32_t msg_id;
    int response;
    uint32_t ike_len;
    uint8_t first_payload;
    const void *body;
    size_t body_len;
    uint32_t incl;
    size_t pad; /* zero bytes appended to the record (after the IP datagram) */
};
struct hs_blob hs_pcap(uint32_t snaplen, const struct hs_frame *f, size_t n);

/* The result of one analyze run. */
struct hs_run {
    int rc;
    char *out, *err;
    json_t *report; /* NULL when stdout is not JSON */
};
/* Runs IKM_BIN with the arguments (NULL-terminated) from d->cwd with TMPDIR=d->tmp; fails the
 * test when it died of a signal, when it left anything in cwd or tmp, or when anything under
 * d->root other than cwd/tmp changed. */
void hs_run(struct hs_run *r, const struct hs_dirs *d, const char *arg0, ...);
void hs_run_free(struct hs_run *r);

/* The report: valid against the schema, parsed + unparsed = units for every input, the seed
 * log's input (label `log_label`) read whole and its first DPD incident present. */
void hs_assert_report(const struct hs_run *r, const char *log_label);
/* the input of the report labelled `label` (NULL when absent) */
json_t *hs_input(const struct hs_run *r, const char *label);
void hs_assert_contains(const char *hay, const char *needle);
void hs_assert_not_contains(const char *hay, const char *needle);
/* the report's warnings[] hold one containing `part` */
void hs_assert_warning(const struct hs_run *r, const char *part);

#endif
