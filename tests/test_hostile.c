/*
 * test_hostile.c — the hostile-input suite of issue 10: one test per hostile piece, each put
 * in a bundle (.tgz, .tar or folder) beside the seed's ikemgr.log (a known DPD drop at
 * 2019-03-07T01:26:28Z) and run through `ikemortem analyze --json` (the ASan/UBSan binary,
 * IKM_BIN) from a fresh working directory with a fresh TMPDIR. Each asserts the located message
 * on stderr, the exit code (cli.h: 0 when every byte that holds data was read — warnings only;
 * 1 when some input could not be fully read), that the good incident is still reported, the
 * report valid against the schema with parsed + unparsed = units for every input, and that
 * nothing appeared outside the output (tests/hostile/hostile.c watches the test's directory,
 * the cwd and TMPDIR).
 */
#include "hostile/hostile.h"
#include "testutil.h"

#include <archive_entry.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "<arc>:<member>" as the report and the messages label a member */
static const char *label(const char *arc, const char *member)
{
    static char b[4][1200];
    static int next;
    char *p = b[next++ % 4];
    snprintf(p, 1200, "%s:%s", arc, member);
    return p;
}

/* "<arc>:<member>: <rest>" must be on stderr */
static void assert_msg(const struct hs_run *r, const char *arc, const char *member, const char *rest)
{
    char line[1600];
    snprintf(line, sizeof line, "%s: %s", label(arc, member), rest);
    hs_assert_contains(r->err, line);
}

static void arc_path(char *out, size_t n, const struct hs_dirs *d, const char *name)
{
    snprintf(out, n, "%s/%s", d->in, name);
}

static int exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* ---- member names and types ------------------------------------------------------------- */

/* A climbing member is refused: its content is not read, so the bundle was not fully read
 * (exit 1). Two targets: one far up into /tmp, one just above the cwd of the run. */
START_TEST(dotdot_member)
{
    struct hs_dirs d;
    hs_dirs(&d, "dotdot");
    char far[200], near[200], arc[900];
    snprintf(far, sizeof far, "../../../../../../../../../../tmp/ikm-evil-%ld", (long)getpid());
    snprintf(near, sizeof near, "../evil-%ld", (long)getpid());
    struct hs_member m[] = {{far, "pwned\n", 6, 0, NULL, 0, 0}, {near, "pwned\n", 6, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "dotdot.tgz");
    hs_tar(arc, 1, m, 2);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, far, "error: member path climbs out of the archive (..)");
    assert_msg(&r, arc, near, "error: member path climbs out of the archive (..)");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    hs_assert_warning(&r, far);
    char p[900];
    snprintf(p, sizeof p, "/tmp/ikm-evil-%ld", (long)getpid());
    ck_assert_msg(!exists(p), "%s was written", p);
    snprintf(p, sizeof p, "%s/evil-%ld", d.root, (long)getpid());
    ck_assert_msg(!exists(p), "%s was written", p);
    ck_assert_uint_eq(json_array_size(json_object_get(r.report, "inputs")), 1);
    hs_run_free(&r);
}
END_TEST

/* An absolute member is refused like a climbing one (exit 1); /tmp and /etc stay untouched. */
START_TEST(absolute_member)
{
    struct hs_dirs d;
    hs_dirs(&d, "absolute");
    char abs[200], arc[900];
    snprintf(abs, sizeof abs, "/tmp/ikm-abs-%ld", (long)getpid());
    struct hs_member m[] = {{abs, "pwned\n", 6, 0, NULL, 0, 0},
                            {"/etc/passwd", "root::0:0::/:/bin/sh\n", 21, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "absolute.tgz");
    hs_tar(arc, 1, m, 2);
    struct stat pw_before, pw_after;
    ck_assert_int_eq(stat("/etc/passwd", &pw_before), 0);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, abs, "error: absolute member path");
    assert_msg(&r, arc, "/etc/passwd", "error: absolute member path");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    ck_assert_msg(!exists(abs), "%s was written", abs);
    ck_assert_int_eq(stat("/etc/passwd", &pw_after), 0);
    ck_assert_int_eq(pw_after.st_size, pw_before.st_size);
    ck_assert_int_eq(pw_after.st_mtim.tv_sec, pw_before.st_mtim.tv_sec);
    hs_run_free(&r);
}
END_TEST

/* Links and nodes hold no data of the bundle: nothing is left unread, so they are warnings
 * (exit 0) — on stderr with -v, and always in the report's warnings. */
START_TEST(symlink_member)
{
    struct hs_dirs d;
    hs_dirs(&d, "symlink");
    char through[200], arc[900], dir[900], lnk[1000];
    snprintf(through, sizeof through, "escape/ikm-through-%ld", (long)getpid());
    struct hs_blob log2 = hs_seed_dated("2019-03-05");
    /* the classic extraction escape: a link to a folder outside, then a file "through" it */
    struct hs_member m[] = {{"var/log/pan/ikemgr.log.5", NULL, 0, AE_IFLNK, "/etc/passwd", 0, 0},
                            {"escape", NULL, 0, AE_IFLNK, "/tmp", 0, 0},
                            {through, log2.p, log2.n, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "symlink.tgz");
    hs_tar(arc, 1, m, 3);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "-v", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.5", "warning: symbolic link to /etc/passwd, not followed");
    assert_msg(&r, arc, "escape", "warning: symbolic link to /tmp, not followed");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    hs_assert_warning(&r, "var/log/pan/ikemgr.log.5");
    /* the member "through" the link is only a name: read from the archive, written nowhere */
    ck_assert_ptr_nonnull(hs_input(&r, label(arc, through)));
    char p[300];
    snprintf(p, sizeof p, "/tmp/ikm-through-%ld", (long)getpid());
    ck_assert_msg(!exists(p), "%s was written", p);
    hs_run_free(&r);

    /* a folder: the link is not followed either */
    snprintf(dir, sizeof dir, "%s/folder", d.in);
    hs_folder(dir, NULL, 0);
    snprintf(lnk, sizeof lnk, "%s/var/log/pan/ikemgr.log.5", dir);
    ck_assert_int_eq(symlink("/etc/passwd", lnk), 0);
    hs_run(&r, &d, "analyze", "-v", "--json", dir, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    char lbl[1000];
    snprintf(lbl, sizeof lbl, "%s/" HS_M_LOG, dir);
    hs_assert_contains(r.err, "var/log/pan/ikemgr.log.5: warning: symbolic link, not followed");
    hs_assert_report(&r, lbl);
    ck_assert_uint_eq(json_array_size(json_object_get(r.report, "inputs")), 1);
    hs_run_free(&r);
    free(log2.p);
}
END_TEST

START_TEST(hardlink_member)
{
    struct hs_dirs d;
    hs_dirs(&d, "hardlink");
    char arc[900];
    struct hs_member m[] = {{"var/log/pan/ikemgr.log.6", NULL, 0, 0, HS_M_LOG, 1, 0},
                            {"var/log/pan/shadow", NULL, 0, 0, "/etc/shadow", 1, 0}};
    arc_path(arc, sizeof arc, &d, "hardlink.tgz");
    hs_tar(arc, 1, m, 2);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "-v", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.6", "warning: hard link to " HS_M_LOG ", not followed");
    assert_msg(&r, arc, "var/log/pan/shadow", "warning: hard link to /etc/shadow, not followed");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    hs_assert_warning(&r, "var/log/pan/shadow");
    ck_assert_uint_eq(json_array_size(json_object_get(r.report, "inputs")), 1);
    hs_run_free(&r);
}
END_TEST

START_TEST(device_node_member)
{
    struct hs_dirs d;
    hs_dirs(&d, "devnode");
    char arc[900], dir[900], fifo[1000];
    struct hs_member m[] = {{"dev/sda", NULL, 0, AE_IFBLK, NULL, 0, 0},
                            {"dev/ikm-null", NULL, 0, AE_IFCHR, NULL, 0, 0},
                            {"var/log/pan/ikemgr.log.7", NULL, 0, AE_IFIFO, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "devices.tgz");
    hs_tar(arc, 1, m, 3);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "-v", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    for (size_t i = 0; i < 3; i++)
        assert_msg(&r, arc, m[i].name, "warning: device node, fifo or socket: no content to read");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    hs_assert_warning(&r, "dev/sda");
    hs_run_free(&r);

    /* a FIFO in a folder must not be opened (it would block the run forever) */
    snprintf(dir, sizeof dir, "%s/folder", d.in);
    hs_folder(dir, NULL, 0);
    snprintf(fifo, sizeof fifo, "%s/var/log/pan/ikemgr.log.7", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    hs_run(&r, &d, "analyze", "-v", "--json", dir, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    hs_assert_contains(r.err, "var/log/pan/ikemgr.log.7: warning: device node, fifo or socket: no content to read");
    char lbl[1000];
    snprintf(lbl, sizeof lbl, "%s/" HS_M_LOG, dir);
    hs_assert_report(&r, lbl);
    hs_run_free(&r);
}
END_TEST

/* ---- compression ------------------------------------------------------------------------- */

#define BOMB_HEAD "2019-03-01 17:26:28.000 -0800  [INFO]: {    1:    1}: DPD down, rekey vpn tunnel <t1>, SA state ESTABLISHED\n"

/* A nested .gz rotation of one line and 72 MiB of zeros (about 70 KB stored): past the 64 MiB
 * floor the default ratio (200) stops it; the rest of the bundle is read; exit 1 (the member
 * was not read to its end). */
START_TEST(gzip_bomb_ratio)
{
    struct hs_dirs d;
    hs_dirs(&d, "bomb-ratio");
    char arc[900];
    struct hs_blob gz = hs_gzip(BOMB_HEAD, strlen(BOMB_HEAD), (size_t)72 << 20);
    ck_assert_uint_lt(gz.n, 1 << 20);
    struct hs_blob after = hs_seed_dated("2019-03-05");
    struct hs_member m[] = {{"var/log/pan/ikemgr.log.2.gz", gz.p, gz.n, 0, NULL, 0, 0},
                            {"var/log/pan/ikemgr.log.3", after.p, after.n, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "bomb.tgz");
    hs_tar(arc, 1, m, 2);
    free(gz.p);
    free(after.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.2.gz:3",
               "error: stream ends early after byte 67043328: decompresses to more than 200 times its stored size");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    /* the line before the zeros and the member after the bomb are both read */
    ck_assert_ptr_nonnull(hs_input(&r, label(arc, "var/log/pan/ikemgr.log.2.gz")));
    json_t *next = hs_input(&r, label(arc, "var/log/pan/ikemgr.log.3"));
    ck_assert_ptr_nonnull(next);
    ck_assert_int_eq(json_integer_value(json_object_get(next, "parsed")), HS_SEED_LINES);
    hs_assert_contains(r.out, "2019-03-02T01:26:28Z"); /* the bomb's own line, 17:26 -0800 */
    hs_run_free(&r);
}
END_TEST

/* --max-bytes: a nested .gz of 4 MiB stops at the 2 MiB cap; the cap is then spent for the
 * input, so the member after it is skipped and said so; exit 1. */
START_TEST(gzip_bomb_total_cap)
{
    struct hs_dirs d;
    hs_dirs(&d, "bomb-cap");
    char arc[900];
    struct hs_blob gz = hs_gzip(BOMB_HEAD, strlen(BOMB_HEAD), (size_t)4 << 20);
    struct hs_blob after = hs_seed_dated("2019-03-05");
    struct hs_member m[] = {{"var/log/pan/ikemgr.log.2.gz", gz.p, gz.n, 0, NULL, 0, 0},
                            {"var/log/pan/ikemgr.log.3", after.p, after.n, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "cap.tgz");
    hs_tar(arc, 1, m, 2);
    free(gz.p);
    free(after.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--max-bytes", "2M", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.2.gz:3",
               "error: stream ends early after byte 2031616: decompressed data passes the --max-bytes cap of 2097152 "
               "bytes");
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.3", "error: the decompressed-bytes cap of this input is used up");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    ck_assert_ptr_null(hs_input(&r, label(arc, "var/log/pan/ikemgr.log.3")));
    hs_run_free(&r);
}
END_TEST

/* 3000 copies of the seed's lines moved to 2019-03-05: about 130 KB, more than the 64 KiB the
 * first reads take, so a cut in it leaves whole lines before the cut */
static struct hs_blob big_log(void)
{
    struct hs_blob one = hs_seed_dated("2019-03-05");
    struct hs_blob b = {malloc(one.n * 100 + 1), 0};
    ck_assert_ptr_nonnull(b.p);
    for (int i = 0; i < 100; i++) {
        memcpy(b.p + b.n, one.p, one.n);
        b.n += one.n;
    }
    free(one.p);
    return b;
}

/* A plain tar cut inside its second member: the first member whole, the cut one kept up to the
 * cut, the cut named; exit 1.

 * (A member cut within the first 64 KiB it served used to be dropped whole: fixed in
 * input.c by 6419fd0; this is its regression at the analyze level.) */
START_TEST(truncated_tar)
{
    struct hs_dirs d;
    hs_dirs(&d, "trunc-tar");
    char arc[900];
    struct hs_blob big = big_log();
    struct hs_member m[] = {{"var/log/pan/ikemgr.log.1", big.p, big.n, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "cut.tar");
    hs_tar(arc, 0, m, 1);
    struct hs_blob whole = hs_read(arc);
    hs_write(arc, whole.p, 4096 + big.n / 2); /* the seed member (with its pax headers), half of the next */
    free(whole.p);
    free(big.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.1", "error: ");
    hs_assert_contains(r.err, "Truncated tar archive");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    /* what came before the cut is kept: about half of the member's lines */
    json_t *cut = hs_input(&r, label(arc, "var/log/pan/ikemgr.log.1"));
    ck_assert_msg(cut != NULL, "the cut member is not among the inputs:\n%s", r.err);
    ck_assert_int_gt(json_integer_value(json_object_get(cut, "units")), 100 * HS_SEED_LINES / 4);
    hs_run_free(&r);
}
END_TEST

/* A .gz rotation cut in half, as a member and as a loose file in a folder: the lines before the
 * cut kept, the cut named; exit 1. (libarchive's gzip filter refuses such a stream at open when
 * it is small — the block it was filling is dropped — so input.c reads it again through zlib.) */
START_TEST(truncated_gzip)
{
    struct hs_dirs d;
    hs_dirs(&d, "trunc-gz");
    char arc[900], dir[900];
    struct hs_blob big = big_log();
    struct hs_blob gz = hs_gzip(big.p, big.n, 0);
    free(big.p);
    size_t half = gz.n / 2;
    struct hs_member m[] = {{"var/log/pan/ikemgr.log.1.gz", gz.p, half, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "cutgz.tgz");
    hs_tar(arc, 1, m, 1);
    snprintf(dir, sizeof dir, "%s/folder", d.in);
    hs_folder(dir, m, 1);
    free(gz.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, "var/log/pan/ikemgr.log.1.gz", "");
    hs_assert_contains(r.err, "truncated gzip input");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *cut = hs_input(&r, label(arc, "var/log/pan/ikemgr.log.1.gz"));
    ck_assert_msg(cut != NULL, "the cut rotation is not among the inputs:\n%s", r.err);
    ck_assert_int_gt(json_integer_value(json_object_get(cut, "units")), 0);
    hs_run_free(&r);

    hs_run(&r, &d, "analyze", "--json", dir, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    hs_assert_contains(r.err, "var/log/pan/ikemgr.log.1.gz");
    hs_assert_contains(r.err, "truncated gzip input");
    char lbl[1000];
    snprintf(lbl, sizeof lbl, "%s/" HS_M_LOG, dir);
    hs_assert_report(&r, lbl);
    snprintf(lbl, sizeof lbl, "%s/var/log/pan/ikemgr.log.1.gz", dir);
    cut = hs_input(&r, lbl);
    ck_assert_msg(cut != NULL, "the cut rotation is not among the inputs:\n%s", r.err);
    ck_assert_int_gt(json_integer_value(json_object_get(cut, "units")), 0);
    hs_run_free(&r);
}
END_TEST

/* ---- captures ----------------------------------------------------------------------------- */

#define M_PCAP "var/log/pan/ikemgr.pcap"

/* a capture in a .tgz beside the seed log */
static void pcap_bundle(const struct hs_dirs *d, char *arc, size_t n, const char *name, const struct hs_blob *cap)
{
    arc_path(arc, n, d, name);
    struct hs_member m[] = {{M_PCAP, cap->p, cap->n, 0, NULL, 0, 0}};
    hs_tar(arc, 1, m, 1);
}

/* 10 bytes of a pcap file header: libpcap cannot open it; exit 1. */
START_TEST(truncated_pcap_header)
{
    struct hs_dirs d;
    hs_dirs(&d, "pcap-header");
    char arc[900];
    struct hs_blob cap = hs_pcap(65535, NULL, 0);
    cap.n = 10;
    pcap_bundle(&d, arc, sizeof arc, "pcaphdr.tgz", &cap);
    free(cap.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_PCAP, "error: not a capture libpcap can read: truncated dump file");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *p = hs_input(&r, label(arc, M_PCAP));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "units")), 0);
    hs_run_free(&r);
}
END_TEST

static const struct hs_frame req1 = {1, 0, 0, 0, NULL, 0, 0, 0};
static const struct hs_frame resp1 = {1, 1, 0, 0, NULL, 0, 0, 0};

/* A record claiming more bytes than the file's snaplen. Past libpcap's maximum (262144) the
 * capture cannot be resynchronised: frame 2 is named, frame 1 kept, exit 1. Within the maximum
 * libpcap reads the record and keeps snaplen bytes of it (the Solaris bufmod case it allows):
 * every frame is decoded, exit 0 — libpcap does not tell us, so there is no message. */
START_TEST(pcap_record_longer_than_snaplen)
{
    struct hs_dirs d;
    hs_dirs(&d, "snaplen");
    char arc[900];
    struct hs_frame f[] = {req1, {2, 0, 0, 0, NULL, 0, 300000, 0}, resp1};
    struct hs_blob cap = hs_pcap(256, f, 3);
    pcap_bundle(&d, arc, sizeof arc, "huge-record.tgz", &cap);
    free(cap.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_PCAP ":2",
               "error: capture ends early after frame 1: invalid packet capture length 300000, bigger than snaplen "
               "of 256; every frame before is kept");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *p = hs_input(&r, label(arc, M_PCAP));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "units")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "parsed")), 1);
    hs_run_free(&r);

    struct hs_frame g[] = {req1, {2, 0, 0, 0, NULL, 0, 0, 900}, resp1};
    cap = hs_pcap(256, g, 3);
    pcap_bundle(&d, arc, sizeof arc, "long-record.tgz", &cap);
    free(cap.p);
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    hs_assert_report(&r, label(arc, HS_M_LOG));
    p = hs_input(&r, label(arc, M_PCAP));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "units")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "parsed")), 3);
    hs_run_free(&r);
}
END_TEST

/* An IKE header whose length says 5000 in a 28-byte datagram: the frame was read whole, the
 * message is the evidence (kept with its length), so a located warning, exit 0. */
START_TEST(ike_length_beyond_datagram)
{
    struct hs_dirs d;
    hs_dirs(&d, "ike-length");
    char arc[900];
    struct hs_frame f[] = {req1, {2, 0, 5000, 0, NULL, 0, 0, 0}, resp1};
    struct hs_blob cap = hs_pcap(65535, f, 3);
    pcap_bundle(&d, arc, sizeof arc, "ikelen.tgz", &cap);
    free(cap.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_PCAP ":2", "warning: IKE length 5000 is more than the 28 bytes of its UDP datagram");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *p = hs_input(&r, label(arc, M_PCAP));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "parsed")), 3);
    hs_assert_warning(&r, M_PCAP);
    hs_run_free(&r);
}
END_TEST

/* Payload chains that would never end: a Notify of length 0 (the cursor cannot advance), one
 * of length 2, and 200 chained empty Notify payloads (past the 64 the decoder walks). Each frame decodes, the chain is cut
 * and named with the frame; exit 0 (read whole; the malformation is evidence). */
START_TEST(payload_chain_loop)
{
    struct hs_dirs d;
    hs_dirs(&d, "chain-loop");
    char arc[900];
    static const uint8_t zero_len[12] = {41, 0, 0, 0}, short_len[12] = {41, 0, 0, 2};
    static uint8_t many[200 * 4];
    for (size_t i = 0; i < sizeof many; i += 4)
        many[i] = 41, many[i + 3] = 4; /* next: Notify, length 4 */
    many[sizeof many - 4] = 0;
    struct hs_frame f[] = {req1,
                           {2, 0, 0, 41, zero_len, sizeof zero_len, 0, 0},
                           {3, 0, 0, 41, short_len, sizeof short_len, 0, 0},
                           {4, 0, 0, 41, many, sizeof many, 0, 0},
                           resp1};
    struct hs_blob cap = hs_pcap(65535, f, 5);
    pcap_bundle(&d, arc, sizeof arc, "loop.tgz", &cap);
    free(cap.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_PCAP ":2", "warning: IKE payload chain cut: a payload length below 4 or past the message");
    assert_msg(&r, arc, M_PCAP ":3", "warning: IKE payload chain cut: a payload length below 4 or past the message");
    assert_msg(&r, arc, M_PCAP ":4", "warning: IKE payload chain cut: more than");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *p = hs_input(&r, label(arc, M_PCAP));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "parsed")), 5);
    hs_run_free(&r);
}
END_TEST

/* ---- text -------------------------------------------------------------------------------- */

#define M_LOG1 "var/log/pan/ikemgr.log.1"

/* a .tgz with the seed log and `log` as ikemgr.log.1 */
static void log_bundle(const struct hs_dirs *d, char *arc, size_t n, const char *name, const struct hs_blob *log)
{
    arc_path(arc, n, d, name);
    struct hs_member m[] = {{M_LOG1, log->p, log->n, 0, NULL, 0, 0}};
    hs_tar(arc, 1, m, 1);
}

/* A 2 MiB line without a newline at the end of a rotation: the line is kept cut at the 1 MiB
 * limit and counted unparsed; the lines before are read; exit 1 (README: over-long lines). */
START_TEST(long_line_without_newline)
{
    struct hs_dirs d;
    hs_dirs(&d, "long-line");
    char arc[900];
    struct hs_blob log = hs_seed_dated("2019-03-05");
    static const char head[] = "2019-03-05 19:00:00.000 -0800  [INFO]: ";
    size_t extra = strlen(head) + ((size_t)2 << 20);
    log.p = realloc(log.p, log.n + extra);
    ck_assert_ptr_nonnull(log.p);
    memcpy(log.p + log.n, head, strlen(head));
    memset(log.p + log.n + strlen(head), 'A', (size_t)2 << 20);
    log.n += extra;
    log_bundle(&d, arc, sizeof arc, "longline.tgz", &log);
    free(log.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 1, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_LOG1 ":17", "error: line of 2097191 bytes exceeds the 1048576-byte limit");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *p = hs_input(&r, label(arc, M_LOG1));
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "units")), 17);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "unparsed")), 1);
    hs_assert_contains(r.out, "2019-03-06T01:26:28Z"); /* the rotation's own drop */
    hs_run_free(&r);
}
END_TEST

/* NUL bytes inside a line: the line is kept (escaped) and counted unparsed, the others parsed;
 * the bytes were all read, so a located warning and exit 0. */
START_TEST(nul_bytes_in_log)
{
    struct hs_dirs d;
    hs_dirs(&d, "nul");
    char arc[900];
    struct hs_blob log = hs_seed_dated("2019-03-05");
    char *p = strstr(log.p, "DPD down");
    ck_assert_ptr_nonnull(p);
    p[5] = '\0';
    p[6] = '\0';
    log_bundle(&d, arc, sizeof arc, "nul.tgz", &log);
    free(log.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_LOG1 ":1", "warning: NUL byte at column 60");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *in = hs_input(&r, label(arc, M_LOG1));
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(json_integer_value(json_object_get(in, "units")), HS_SEED_LINES);
    ck_assert_int_eq(json_integer_value(json_object_get(in, "unparsed")), 1);
    hs_assert_warning(&r, "nul-bytes");
    hs_run_free(&r);
}
END_TEST

/* Invalid UTF-8 in a tunnel name: kept, escaped as \xNN in the report (which stays valid
 * JSON), a located warning; exit 0. */
START_TEST(invalid_utf8_in_log)
{
    struct hs_dirs d;
    hs_dirs(&d, "utf8");
    char arc[900];
    struct hs_blob log = hs_seed_dated("2019-03-05");
    char *p = strstr(log.p, "awsseapa-to-azeapa");
    ck_assert_ptr_nonnull(p);
    memcpy(p, "aws\xff\xfe\xc3(", 7);
    log_bundle(&d, arc, sizeof arc, "utf8.tgz", &log);
    free(log.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_LOG1 ":1", "warning: invalid UTF-8 at column 86");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    hs_assert_contains(r.out, "aws\\\\xFF\\\\xFE\\\\xC3(");
    hs_run_free(&r);
}
END_TEST

/* CRLF line endings: carriage returns removed (names and times read the same), a warning;
 * exit 0. */
START_TEST(crlf_log)
{
    struct hs_dirs d;
    hs_dirs(&d, "crlf");
    char arc[900];
    struct hs_blob lf = hs_seed_dated("2019-03-05");
    struct hs_blob log = {malloc(lf.n * 2), 0};
    ck_assert_ptr_nonnull(log.p);
    for (size_t i = 0; i < lf.n; i++) {
        if (lf.p[i] == '\n')
            log.p[log.n++] = '\r';
        log.p[log.n++] = lf.p[i];
    }
    free(lf.p);
    log_bundle(&d, arc, sizeof arc, "crlf.tgz", &log);
    free(log.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_LOG1 ":1", "warning: CRLF line endings (carriage returns removed)");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *in = hs_input(&r, label(arc, M_LOG1));
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(json_integer_value(json_object_get(in, "parsed")), HS_SEED_LINES);
    /* the CRLF copy's drop, with its tunnel name free of a carriage return */
    hs_assert_contains(r.out, "2019-03-06T01:26:28Z");
    hs_assert_not_contains(r.out, "azeapa\\r");
    hs_run_free(&r);
}
END_TEST

/* ---- names --------------------------------------------------------------------------------- */

static const char *const tsf_names[] = {
    "var/log/pan/ikemgr.log.1",
    "var/log/pan/ikemgr-ng.log",
    "var/log/pan/ikemgr.log.2.gz",
    "var/log/pan/ikemgr.pcap",
    "var/log/pan/routed.log",
    "var/log/pan/dp-monitor.log",
    "tmp/cli/logs/show_log_system.txt",
    "tmp/cli/logs/show_log_config.txt",
    "tmp/cli/techsupport_fw_20240715_1035.txt",
    "opt/pancfg/mgmt/saved-configs/running-config.xml",
    "var/log/syslog-system.csv",
};
#define N_TSF (sizeof tsf_names / sizeof tsf_names[0])

/* An empty file under every name a TSF may hold; with -v each is listed with "empty file". An
 * empty text log has no line left unread, but a running config and a capture must at least
 * hold their XML root and pcap header: those two are located errors (the parsers' own tests
 * hold the same decision), so exit 1, and no other error. As a .tgz and as a folder. */
START_TEST(empty_files_under_tsf_names)
{
    struct hs_dirs d;
    hs_dirs(&d, "empty");
    char arc[900], dir[900];
    struct hs_member m[N_TSF];
    for (size_t i = 0; i < N_TSF; i++)
        m[i] = (struct hs_member){tsf_names[i], "", 0, 0, NULL, 0, 0};
    arc_path(arc, sizeof arc, &d, "empty.tgz");
    hs_tar(arc, 1, m, N_TSF);
    snprintf(dir, sizeof dir, "%s/folder", d.in);
    hs_folder(dir, m, N_TSF);
    for (int pass = 0; pass < 2; pass++) {
        const char *input = pass ? dir : arc;
        struct hs_run r;
        hs_run(&r, &d, "analyze", "-v", "--json", input, NULL);
        ck_assert_msg(r.rc == 1, "%s: exit %d, stderr:\n%.4000s", input, r.rc, r.err);
        char lbl[1200];
        const char *base = pass ? dir : arc;
        const char *sep = pass ? "/" : ":";
        snprintf(lbl, sizeof lbl, "%s%sopt/pancfg/mgmt/saved-configs/running-config.xml: error: end of file after "
                                  "line 0: no element found", base, sep);
        hs_assert_contains(r.err, lbl);
        /* the name is a capture's (not ikemgr's log): read as one, and its missing header said */
        snprintf(lbl, sizeof lbl, "%s%svar/log/pan/ikemgr.pcap: error: not a capture libpcap can read: truncated "
                                  "dump file", base, sep);
        hs_assert_contains(r.err, lbl);
        const char *e = r.err;
        int errors = 0;
        while ((e = strstr(e, ": error:")) != NULL)
            errors++, e++;
        ck_assert_msg(errors == 2, "%d errors, 2 expected:\n%.4000s", errors, r.err);
        for (size_t i = 0; i < N_TSF; i++) {
            if (pass)
                snprintf(lbl, sizeof lbl, "%s/%s: ", dir, tsf_names[i]);
            else
                snprintf(lbl, sizeof lbl, "%s: ", label(arc, tsf_names[i]));
            hs_assert_contains(r.err, lbl);
        }
        hs_assert_contains(r.err, "empty file");
        /* each empty text file is a source of its own kind: not a "duplicate" of another empty
         * file (they all hash alike) */
        static const char *const kept[] = {"var/log/pan/ikemgr.log.1", "var/log/pan/ikemgr-ng.log",
                                           "var/log/pan/routed.log", "tmp/cli/logs/show_log_system.txt",
                                           "opt/pancfg/mgmt/saved-configs/running-config.xml"};
        for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
            if (pass)
                snprintf(lbl, sizeof lbl, "%s/%s", dir, kept[i]);
            else
                snprintf(lbl, sizeof lbl, "%s", label(arc, kept[i]));
            json_t *in = hs_input(&r, lbl);
            ck_assert_msg(in != NULL, "%s is not among the report's inputs", lbl);
            ck_assert_str_eq(json_string_value(json_object_get(in, "sha256")),
                             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        }
        hs_assert_not_contains(r.err, "same content as");
        if (pass)
            snprintf(lbl, sizeof lbl, "%s/" HS_M_LOG, dir);
        else
            snprintf(lbl, sizeof lbl, "%s", label(arc, HS_M_LOG));
        hs_assert_report(&r, lbl);
        hs_run_free(&r);
    }
}
END_TEST

/* Content decides the kind, not the name: a capture named ikemgr.log.1 is read as a capture,
 * a log named ikemgr.pcap as a log, and -v says that the name disagrees; exit 0. */
START_TEST(swapped_names)
{
    struct hs_dirs d;
    hs_dirs(&d, "swapped");
    char arc[900];
    struct hs_frame f[] = {req1, resp1};
    struct hs_blob cap = hs_pcap(65535, f, 2);
    struct hs_blob log = hs_seed_dated("2019-03-05");
    struct hs_member m[] = {{M_LOG1, cap.p, cap.n, 0, NULL, 0, 0}, {M_PCAP, log.p, log.n, 0, NULL, 0, 0}};
    arc_path(arc, sizeof arc, &d, "swapped.tgz");
    hs_tar(arc, 1, m, 2);
    free(cap.p);
    free(log.p);
    struct hs_run r;
    hs_run(&r, &d, "analyze", "-v", "--json", arc, NULL);
    ck_assert_msg(r.rc == 0, "exit %d, stderr:\n%.4000s", r.rc, r.err);
    assert_msg(&r, arc, M_LOG1, "pcap (content score");
    assert_msg(&r, arc, M_PCAP, "ikemgr-log (content score");
    hs_assert_contains(r.err, "the name suggests ikemgr-log");
    hs_assert_contains(r.err, "the name suggests pcap");
    hs_assert_report(&r, label(arc, HS_M_LOG));
    json_t *p = hs_input(&r, label(arc, M_LOG1));
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(json_string_value(json_object_get(p, "kind")), "pcap");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "parsed")), 2);
    p = hs_input(&r, label(arc, M_PCAP));
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(json_string_value(json_object_get(p, "kind")), "ikemgr-log");
    ck_assert_int_eq(json_integer_value(json_object_get(p, "parsed")), HS_SEED_LINES);
    hs_assert_contains(r.out, "2019-03-06T01:26:28Z");
    hs_run_free(&r);
}
END_TEST

Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dotdot_member);
    tcase_add_test(tc, absolute_member);
    tcase_add_test(tc, symlink_member);
    tcase_add_test(tc, hardlink_member);
    tcase_add_test(tc, device_node_member);
    tcase_add_test(tc, gzip_bomb_ratio);
    tcase_add_test(tc, gzip_bomb_total_cap);
    tcase_add_test(tc, truncated_tar);
    tcase_add_test(tc, truncated_pcap_header);
    tcase_add_test(tc, pcap_record_longer_than_snaplen);
    tcase_add_test(tc, ike_length_beyond_datagram);
    tcase_add_test(tc, payload_chain_loop);
    tcase_add_test(tc, long_line_without_newline);
    tcase_add_test(tc, nul_bytes_in_log);
    tcase_add_test(tc, invalid_utf8_in_log);
    tcase_add_test(tc, crlf_log);
    tcase_add_test(tc, empty_files_under_tsf_names);
    tcase_add_test(tc, swapped_names);
    tcase_add_test(tc, truncated_gzip);
    suite_add_tcase(s, tc);
    return s;
}
