/*
 * gen_out.c — the generator's record store and writers: the deterministic random source,
 * device clocks, the store of time-stamped records, and writing them out as plain text,
 * gzip rotations (libarchive's raw format with the gzip filter), captures (libpcap's
 * pcap_dump), expected.json (jansson) and, with --tgz, a tech-support archive whose members
 * are named "./..." (libarchive).
 */
#include "gen.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void gen_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ikemortem-gen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* splitmix64: small, fast, and the same sequence on every platform for a given seed */
uint64_t gen_rand(struct gen *g)
{
    uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int64_t gen_range(struct gen *g, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(gen_rand(g) % (uint64_t)(hi - lo + 1));
}

void gen_init(struct gen *g, const char *scenario, uint64_t seed, const char *outdir)
{
    memset(g, 0, sizeof *g);
    g->scenario = scenario;
    g->seed = seed;
    /* the scenario's name enters the stream so that two scenarios never share SPIs */
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = scenario; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    g->rng = seed * 0x2545f4914f6cdd1dULL ^ h;
    if (snprintf(g->outdir, sizeof g->outdir, "%s", outdir) >= (int)sizeof g->outdir)
        gen_die("output directory name too long");
}

void gen_free(struct gen *g)
{
    free(g->recs);
    free(g->arena);
    g->recs = NULL;
    g->arena = NULL;
}

int gen_file_add(struct gen *g, int dev, const char *rel, enum gen_file_kind kind, enum gen_order order,
                 const char *head)
{
    if (g->n_files >= GEN_MAX_FILES)
        gen_die("too many output files");
    struct gen_file *f = &g->files[g->n_files];
    memset(f, 0, sizeof *f);
    if (snprintf(f->rel, sizeof f->rel, "%s", rel) >= (int)sizeof f->rel)
        gen_die("file name too long: %s", rel);
    f->kind = kind;
    f->order = order;
    f->head = head;
    f->dev = dev;
    return g->n_files++;
}

static void stream_write(struct gen *g, int f, int64_t wire_ts, const void *data, size_t len);

void gen_emit(struct gen *g, int f, int64_t ts, const void *data, size_t len)
{
    if (f < 0)
        return; /* the device does not keep this file */
    if (g->streaming) {
        stream_write(g, f, ts + g->devs[g->files[f].dev].skew_us, data, len);
        return;
    }
    if (g->n_recs == g->cap_recs) {
        size_t nc = g->cap_recs ? g->cap_recs * 2 : 4096;
        if (nc > GEN_RECS_MAX)
            gen_die("scenario too large: more than %zu records", GEN_RECS_MAX);
        struct gen_rec *r = realloc(g->recs, nc * sizeof *r);
        if (!r)
            gen_die("out of memory");
        g->recs = r;
        g->cap_recs = nc;
    }
    if (g->arena_len + len > g->arena_cap) {
        size_t nc = g->arena_cap ? g->arena_cap * 2 : (size_t)1 << 20;
        while (nc < g->arena_len + len)
            nc *= 2;
        if (nc > GEN_ARENA_MAX)
            gen_die("scenario too large: more than %zu bytes", GEN_ARENA_MAX);
        char *a = realloc(g->arena, nc);
        if (!a)
            gen_die("out of memory");
        g->arena = a;
        g->arena_cap = nc;
    }
    struct gen_rec *r = &g->recs[g->n_recs++];
    r->ts = ts;
    r->seq = g->next_seq++;
    r->file = (uint16_t)f;
    r->len = (uint32_t)len;
    r->off = g->arena_len;
    r->wire_ts = ts + g->devs[g->files[f].dev].skew_us;
    memcpy(g->arena + g->arena_len, data, len);
    g->arena_len += len;
}

void gen_line(struct gen *g, int f, int64_t ts, const char *fmt, ...)
{
    char buf[GEN_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf - 1)
        gen_die("log line too long");
    buf[n++] = '\n';
    gen_emit(g, f, ts, buf, (size_t)n);
}

/* ---- clocks ---------------------------------------------------------------------------------- */

/* localtime_r reads TZ; switching it costs a tzset, so it is switched only when the zone
 * changes (a scenario formats almost every line in the same zone). */
static const char *current_zone;

static void use_zone(const char *zone)
{
    if (current_zone == zone)
        return;
    setenv("TZ", zone, 1);
    tzset();
    current_zone = zone;
}

void gen_local(const struct gen_dev *d, int64_t ts, struct tm *tm, long *gmtoff, int64_t *us_frac)
{
    int64_t wall = ts + d->skew_us;
    int64_t sec = wall >= 0 ? wall / US : -((-wall + US - 1) / US);
    time_t tt = (time_t)sec;
    use_zone(d->zone);
    if (!localtime_r(&tt, tm))
        gen_die("time out of range");
    if (gmtoff)
        *gmtoff = tm->tm_gmtoff;
    if (us_frac)
        *us_frac = wall - sec * US;
}

int64_t gen_utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm) * US;
}

int64_t gen_local_to_utc(const char *zone, int y, int mo, int d, int h, int mi, int s)
{
    use_zone(zone);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s,
                    .tm_isdst = -1};
    return (int64_t)mktime(&tm) * US;
}

/* ---- writing ---------------------------------------------------------------------------------- */

void gen_mkdirs_for(const char *path)
{
    char buf[GEN_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        gen_die("path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            gen_die("mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
}

static void dev_path(const struct gen *g, int dev, const char *rel, char *out, size_t outsz)
{
    if (snprintf(out, outsz, "%s/%s/%s", g->outdir, g->devs[dev].dir, rel) >= (int)outsz)
        gen_die("path too long: %s", rel);
}

void gen_write_text(struct gen *g, int dev, const char *rel, const char *text, size_t len)
{
    char path[GEN_PATH_MAX];
    dev_path(g, dev, rel, path, sizeof path);
    gen_mkdirs_for(path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
        gen_die("cannot write %s", path);
}

static int rec_cmp(const void *a, const void *b)
{
    const struct gen_rec *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The gzip header keeps no time of writing: the same seed gives the same bytes. */
static int no_gzip_time(struct archive *a)
{
    return archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
}

/* A text or gzip file's records [lo, hi) in file order. */
struct text_sink {
    FILE *plain;
    struct archive *gz;
    const char *path;
};

static void sink_write(struct text_sink *s, const void *p, size_t n)
{
    if (s->plain) {
        if (fwrite(p, 1, n, s->plain) != n)
            gen_die("write %s failed", s->path);
    } else if (archive_write_data(s->gz, p, n) != (la_ssize_t)n) {
        gen_die("gzip %s: %s", s->path, archive_error_string(s->gz));
    }
}

static void write_text_file(struct gen *g, const struct gen_file *f, const char *path, size_t lo, size_t hi)
{
    struct text_sink s = {.path = path};
    if (f->kind == GF_GZ) {
        /* a single compressed stream: libarchive's "raw" format writes the entry's bytes
         * as they are, through the gzip filter */
        s.gz = archive_write_new();
        if (!s.gz || archive_write_add_filter_gzip(s.gz) != ARCHIVE_OK || no_gzip_time(s.gz) != ARCHIVE_OK ||
            archive_write_set_format_raw(s.gz) != ARCHIVE_OK || archive_write_open_filename(s.gz, path) != ARCHIVE_OK)
            gen_die("gzip %s: %s", path, s.gz ? archive_error_string(s.gz) : "no memory");
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, f->rel);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        if (archive_write_header(s.gz, e) != ARCHIVE_OK)
            gen_die("gzip %s: %s", path, archive_error_string(s.gz));
        archive_entry_free(e);
    } else if (!(s.plain = fopen(path, "wb"))) {
        gen_die("cannot create %s: %s", path, strerror(errno));
    }
    if (f->head)
        sink_write(&s, f->head, strlen(f->head));
    if (f->order == GO_ASC)
        for (size_t i = lo; i < hi; i++)
            sink_write(&s, g->arena + g->recs[i].off, g->recs[i].len);
    else
        for (size_t i = hi; i > lo; i--)
            sink_write(&s, g->arena + g->recs[i - 1].off, g->recs[i - 1].len);
    if (s.plain && fclose(s.plain) != 0)
        gen_die("write %s failed", path);
    if (s.gz) {
        if (archive_write_close(s.gz) != ARCHIVE_OK)
            gen_die("gzip %s: %s", path, archive_error_string(s.gz));
        archive_write_free(s.gz);
    }
}

static void write_pcap_file(struct gen *g, const char *path, size_t lo, size_t hi)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    if (!p)
        gen_die("pcap_open_dead failed");
    pcap_dumper_t *d = pcap_dump_open(p, path);
    if (!d)
        gen_die("pcap %s: %s", path, pcap_geterr(p));
    for (size_t i = lo; i < hi; i++) {
        const struct gen_rec *r = &g->recs[i];
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(r->wire_ts / US);
        h.ts.tv_usec = (suseconds_t)(r->wire_ts % US);
        h.caplen = h.len = r->len;
        pcap_dump((u_char *)d, &h, (const u_char *)(g->arena + r->off));
    }
    if (pcap_dump_flush(d) != 0)
        gen_die("pcap %s: write failed", path);
    pcap_dump_close(d);
    pcap_close(p);
}

static char *iso_utc(int64_t us, char *buf, size_t n)
{
    time_t t = (time_t)(us / US);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static void write_expected(struct gen *g)
{
    json_t *root = json_object();
    json_object_set_new(root, "scenario", json_string(g->scenario));
    json_object_set_new(root, "seed", json_integer((json_int_t)g->seed));
    json_object_set_new(root, "description", json_string(g->description ? g->description : ""));
    json_t *bundles = json_array(), *planted = json_array(), *incidents = json_array(), *rec = json_array();
    for (int d = 0; d < g->n_devs; d++) {
        json_t *b = json_object();
        json_object_set_new(b, "dir", json_string(g->bundle_dir_override[d] ? g->bundle_dir_override[d] : g->devs[d].dir));
        json_object_set_new(b, "device", json_string(g->devs[d].name));
        json_array_append_new(bundles, b);
    }
    for (int i = 0; i < g->n_files; i++) {
        const struct gen_file *f = &g->files[i];
        if (!f->planted_unparsed)
            continue;
        json_t *p = json_object();
        char member[GEN_PATH_MAX];
        if (g->n_devs > 1)
            snprintf(member, sizeof member, "%s/%s", g->devs[f->dev].dir, f->rel);
        else
            snprintf(member, sizeof member, "%s", f->rel);
        json_object_set_new(p, "member", json_string(member));
        json_object_set_new(p, "lines", json_integer(f->planted_unparsed));
        json_array_append_new(planted, p);
    }
    int per_tunnel[GEN_MAX_TUNNELS] = {0};
    for (int i = 0; i < g->n_incidents; i++) {
        const struct gen_incident *in = &g->incidents[i];
        const struct gen_tunnel *t = &g->tuns[in->tunnel];
        char iso[32];
        json_t *o = json_object();
        json_object_set_new(o, "device", json_string(g->devs[in->dev].name));
        json_object_set_new(o, "kind", json_string(in->kind));
        json_object_set_new(o, "time", json_string(iso_utc(in->time_us, iso, sizeof iso)));
        json_object_set_new(o, "gateway", json_string(t->gateway));
        json_object_set_new(o, "tunnel", json_string(t->tunnel));
        json_object_set_new(o, "peer", json_string(t->peer_ip));
        json_object_set_new(o, "root_cause", json_string(in->root_cause));
        json_array_append_new(incidents, o);
        per_tunnel[in->tunnel]++;
    }
    for (int t = 0; t < g->n_tuns; t++)
        if (per_tunnel[t] >= 2) {
            json_t *o = json_object();
            json_object_set_new(o, "tunnel", json_string(g->tuns[t].tunnel));
            json_object_set_new(o, "count", json_integer(per_tunnel[t]));
            json_array_append_new(rec, o);
        }
    json_object_set_new(root, "bundles", bundles);
    json_object_set_new(root, "planted_unparsed", planted);
    json_object_set_new(root, "incidents", incidents);
    json_object_set_new(root, "recurrence", rec);
    char path[GEN_PATH_MAX];
    if (snprintf(path, sizeof path, "%s/expected.json", g->outdir) >= (int)sizeof path)
        gen_die("path too long");
    gen_mkdirs_for(path);
    /* one incident per line keeps the file short and readable */
    FILE *f = fopen(path, "w");
    if (!f || json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF || fclose(f) != 0)
        gen_die("cannot write %s", path);
    json_decref(root);
}

/* ---- --tgz ------------------------------------------------------------------------------------ */

/* The member names of one device's bundle, collected while its files are written. */
struct member_list {
    char rel[GEN_MAX_FILES + 4][GEN_PATH_MAX / 4];
    int n;
};

static void tgz_add_file(struct archive *a, const char *disk, const char *member, int64_t mtime)
{
    FILE *f = fopen(disk, "rb");
    if (!f)
        gen_die("cannot read %s", disk);
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        gen_die("stat %s failed", disk);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, member);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_mtime(e, (time_t)(mtime / US), 0);
    archive_entry_set_uname(e, "root");
    archive_entry_set_gname(e, "root");
    if (archive_write_header(a, e) != ARCHIVE_OK)
        gen_die("tgz: %s", archive_error_string(a));
    archive_entry_free(e);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (archive_write_data(a, buf, n) != (la_ssize_t)n)
            gen_die("tgz: %s", archive_error_string(a));
    fclose(f);
    if (unlink(disk) != 0)
        gen_die("cannot remove %s", disk);
}

/* Packs one device's tree into OUTDIR/<YYYYMMDD_HHMM>_techsupport.tgz ("./" members, as PAN
 * names them) and removes the loose files. */
static void pack_device(struct gen *g, int dev, const struct member_list *ml, char *name_out, size_t name_sz)
{
    const struct gen_dev *d = &g->devs[dev];
    struct tm tm;
    gen_local(d, d->tsf_time_us, &tm, NULL, NULL);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M", &tm);
    if (snprintf(name_out, name_sz, "%s%s%s_techsupport.tgz", g->n_devs > 1 ? d->name : "",
                 g->n_devs > 1 ? "_" : "", stamp) >= (int)name_sz)
        gen_die("archive name too long");
    char path[GEN_PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", g->outdir, name_out) >= (int)sizeof path)
        gen_die("path too long");
    struct archive *a = archive_write_new();
    if (!a || archive_write_add_filter_gzip(a) != ARCHIVE_OK || no_gzip_time(a) != ARCHIVE_OK ||
        archive_write_set_format_gnutar(a) != ARCHIVE_OK ||
        archive_write_open_filename(a, path) != ARCHIVE_OK)
        gen_die("tgz %s: %s", path, a ? archive_error_string(a) : "no memory");
    for (int i = 0; i < ml->n; i++) {
        char disk[GEN_PATH_MAX], member[GEN_PATH_MAX];
        dev_path(g, dev, ml->rel[i], disk, sizeof disk);
        if (snprintf(member, sizeof member, "./%s", ml->rel[i]) >= (int)sizeof member)
            gen_die("member name too long: %s", ml->rel[i]);
        tgz_add_file(a, disk, member, d->tsf_time_us);
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        gen_die("tgz %s: %s", path, archive_error_string(a));
    archive_write_free(a);
    /* the tree's directories are empty now: only the archive stays */
    for (int i = 0; i < ml->n; i++) {
        char rel[GEN_PATH_MAX / 4], dir[GEN_PATH_MAX];
        memcpy(rel, ml->rel[i], sizeof rel);
        for (char *slash = strrchr(rel, '/'); slash; slash = strrchr(rel, '/')) {
            *slash = '\0';
            dev_path(g, dev, rel, dir, sizeof dir);
            (void)rmdir(dir); /* fails while another member still lives there: that is fine */
        }
    }
}

/* Files written outside the store (running-config, techsupport) are listed here. */
static struct member_list g_members[GEN_MAX_DEVICES];

void gen_note_member(int dev, const char *rel)
{
    struct member_list *ml = &g_members[dev];
    if (ml->n >= (int)(sizeof ml->rel / sizeof ml->rel[0]))
        gen_die("too many members");
    snprintf(ml->rel[ml->n++], sizeof ml->rel[0], "%s", rel);
}

void gen_write_all(struct gen *g)
{
    qsort(g->recs, g->n_recs, sizeof *g->recs, rec_cmp);
    size_t i = 0;
    for (int f = 0; f < g->n_files; f++) {
        size_t lo = i;
        while (i < g->n_recs && g->recs[i].file == f)
            i++;
        const struct gen_file *gf = &g->files[f];
        if (lo == i && !gf->head)
            continue; /* nothing was logged to it */
        char path[GEN_PATH_MAX];
        dev_path(g, gf->dev, gf->rel, path, sizeof path);
        gen_mkdirs_for(path);
        if (gf->kind == GF_PCAP)
            write_pcap_file(g, path, lo, i);
        else
            write_text_file(g, gf, path, lo, i);
        gen_note_member(gf->dev, gf->rel);
    }
    static char names[GEN_MAX_DEVICES][128];
    if (g->tgz)
        for (int d = 0; d < g->n_devs; d++) {
            pack_device(g, d, &g_members[d], names[d], sizeof names[d]);
            g->bundle_dir_override[d] = names[d];
        }
    write_expected(g);
}

/* ---- --scale: streaming ----------------------------------------------------------------------- */

struct gen_stream {
    FILE *plain[GEN_MAX_FILES];
    pcap_t *dead[GEN_MAX_FILES];
    pcap_dumper_t *dump[GEN_MAX_FILES];
    uint64_t bytes[GEN_MAX_FILES], frames[GEN_MAX_FILES];
};

void gen_stream_open(struct gen *g)
{
    struct gen_stream *s = calloc(1, sizeof *s);
    if (!s)
        gen_die("out of memory");
    for (int f = 0; f < g->n_files; f++) {
        const struct gen_file *gf = &g->files[f];
        char path[GEN_PATH_MAX];
        dev_path(g, gf->dev, gf->rel, path, sizeof path);
        gen_mkdirs_for(path);
        if (gf->kind == GF_PCAP) {
            if (!(s->dead[f] = pcap_open_dead(DLT_EN10MB, 65535)) || !(s->dump[f] = pcap_dump_open(s->dead[f], path)))
                gen_die("pcap %s: cannot create", path);
        } else {
            /* a big log is written plain: streaming through one reader's rotation is not
             * what --scale measures */
            if (gf->kind != GF_TEXT || gf->order != GO_ASC)
                gen_die("--scale writes plain, oldest-first files only (%s)", gf->rel);
            if (!(s->plain[f] = fopen(path, "wb")))
                gen_die("cannot create %s: %s", path, strerror(errno));
            setvbuf(s->plain[f], NULL, _IOFBF, 1 << 20);
            if (gf->head)
                fputs(gf->head, s->plain[f]);
        }
        gen_note_member(gf->dev, gf->rel);
    }
    g->stream = s;
    g->streaming = 1;
}

static void stream_write(struct gen *g, int f, int64_t wire_ts, const void *data, size_t len)
{
    struct gen_stream *s = g->stream;
    if (s->dump[f]) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(wire_ts / US);
        h.ts.tv_usec = (suseconds_t)(wire_ts % US);
        h.caplen = h.len = (bpf_u_int32)len;
        pcap_dump((u_char *)s->dump[f], &h, data);
        s->frames[f]++;
    } else if (fwrite(data, 1, len, s->plain[f]) != len) {
        gen_die("write %s failed", g->files[f].rel);
    }
    s->bytes[f] += len;
}

uint64_t gen_stream_bytes(const struct gen *g, int f)
{
    return f >= 0 && g->stream ? g->stream->bytes[f] : 0;
}

uint64_t gen_stream_frames(const struct gen *g, int f)
{
    return f >= 0 && g->stream ? g->stream->frames[f] : 0;
}

void gen_stream_close(struct gen *g)
{
    struct gen_stream *s = g->stream;
    for (int f = 0; f < g->n_files; f++) {
        if (s->plain[f] && fclose(s->plain[f]) != 0)
            gen_die("write %s failed", g->files[f].rel);
        if (s->dump[f]) {
            if (pcap_dump_flush(s->dump[f]) != 0)
                gen_die("write %s failed", g->files[f].rel);
            pcap_dump_close(s->dump[f]);
            pcap_close(s->dead[f]);
        }
    }
    free(s);
    g->stream = NULL;
    g->streaming = 0;
}
