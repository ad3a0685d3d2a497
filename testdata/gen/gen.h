/*
 * gen.h — the scenario generator's shared model (testdata/gen/): devices, tunnels, output
 * files, the record store every emitter writes into, and the ground truth (expected.json).
 *
 * How a scenario is written: a scenario function (gen_scenarios.c) creates devices and
 * tunnels and calls the emitters of gen_ike.c (a liveness probe, a failing liveness run, a DPD
 * teardown, a negotiation...). Each emitter appends time-stamped records (log lines, capture
 * frames) to the store; nothing is written until the scenario is complete. gen_out.c then sorts
 * every file's records by time (stable: equal times keep their emission order) and writes
 * them, newest first where the real file is (`show log system direction equal backward`).
 * Only `--scale` (gen_scale.c) streams instead, because its output does not fit in memory.
 *
 * Times are UTC microseconds; a device turns them into its own wall clock (its zone, plus a
 * clock skew for the two-peers scenario) when a line is formatted.
 */
#ifndef IKM_GEN_H
#define IKM_GEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define GEN_MAX_DEVICES 2
#define GEN_MAX_TUNNELS 8
#define GEN_MAX_FILES 24
#define GEN_PATH_MAX 1024
#define GEN_LINE_MAX 2048              /* one formatted log line */
#define GEN_FRAME_MAX 1600             /* one capture frame */
#define GEN_ARENA_MAX ((size_t)256 << 20) /* record bytes of one (non-scale) scenario */
#define GEN_RECS_MAX ((size_t)4 << 20)    /* records of one (non-scale) scenario */

#define US 1000000LL /* microseconds per second */

enum gen_file_kind { GF_TEXT, GF_GZ, GF_PCAP };
enum gen_order { GO_ASC, GO_DESC };

/* One output file of a bundle. */
struct gen_file {
    char rel[256];          /* path under the device's directory */
    enum gen_file_kind kind;
    enum gen_order order;
    const char *head;       /* text written before the records (a CLI command echo), or NULL */
    int dev;                /* index of the device it belongs to */
    int planted_unparsed;   /* lines planted on purpose that no parser can read */
};

/* How a device writes its ikemgr log lines (formats.md §1.2). */
enum gen_log_family {
    LF_A,       /* 2024-07-15 10:55:41.005 -0700 [DEBG]: */
    LF_A_PRIME, /* 2019-03-06 17:26:28.000 -0800  [INFO]: (older builds: ms always .000) */
    LF_NG       /* 2026:03:01T15:13:18.024+01:00 [4371-4442] [INFO]: (ikemgr-ng, 11.1+) */
};

enum gen_syslog_form { SL_CLI, SL_CSV };

struct gen_dev {
    char name[64];         /* hostname */
    char dir[64];          /* directory under OUTDIR ("." for a single bundle) */
    char serial[32];
    char mgmt_ip[48];
    const char *zone;      /* IANA zone of deviceconfig/system/timezone */
    const char *sw_version;
    int old_schedule;      /* liveness backoff 1,2,4..64 (319 s) instead of 5,10,20,40,60x6 (435 s) */
    int64_t skew_us;       /* device clock minus true UTC */
    enum gen_log_family family;
    enum gen_syslog_form syslog;
    int ike_debug;         /* debug lines (DEBG) are on; off: INFO only */
    int has_pcap;          /* `debug ike pcap on` was run */
    uint16_t ip_id;        /* IPv4 identification counter of its frames */
    uint32_t seqno;        /* system/config log sequence numbers */
    /* output files (-1: none) */
    int f_ikemgr, f_ikemgr_rot, f_syslog, f_cfglog, f_routed, f_pcap, f_dp_pcap;
    int64_t tsf_time_us;   /* when the tech-support file was generated */
    char link_iface[32];   /* egress interface of its gateways */
};

struct gen_tunnel {
    int dev;
    char gateway[64], tunnel[64];
    int gw_id, tn_id;
    char local_ip[48], peer_ip[48];
    int local_port, peer_port; /* 500, or 4500 with NAT-T (peer_port: the NAT mapping's port) */
    int natt;
    int ikev1;
    int interval_s;            /* liveness interval (configured; default 5) */
    uint64_t ispi, rspi;       /* current IKE SA */
    int we_initiated;          /* we are the IKE SA's original initiator (I flag) */
    uint32_t msgid;            /* our next request's message id */
    uint32_t peer_msgid;       /* the peer's next request's message id */
    uint32_t sa_serial;        /* ikemgr's IKE SA serial number */
    uint32_t esp_spi_in, esp_spi_out;
    uint32_t esp_seq_out, esp_seq_in;
    uint64_t encap_pkts, decap_pkts, encap_bytes, decap_bytes;
    char cidr[48];             /* a prefix that contains peer_ip (routing events) */
    char iface[32];            /* the gateway's local interface (egress) */
    int one_way_esp;           /* the peer's ESP never arrives (flow counters: decap flat) */
};

struct gen_rec {
    int64_t ts;        /* UTC us, true time (the sort key) */
    uint32_t seq;      /* emission order among equal times */
    uint16_t file;
    uint32_t len;
    size_t off;        /* into the arena */
    int64_t wire_ts;   /* pcap: the capture's timestamp (device clock) */
};

struct gen_incident {
    int dev;
    const char *kind;       /* dpd-down, p1-fail, p2-fail, tunnel-no-traffic */
    int64_t time_us;        /* as the device recorded it (device clock, UTC) */
    int tunnel;             /* index into tunnels */
    const char *root_cause;
};

#define GEN_MAX_INCIDENTS 1024

struct gen {
    uint64_t seed;
    uint64_t rng;
    const char *scenario;
    const char *description;
    char outdir[GEN_PATH_MAX];
    int tgz;
    struct gen_dev devs[GEN_MAX_DEVICES];
    int n_devs;
    struct gen_tunnel tuns[GEN_MAX_TUNNELS];
    int n_tuns;
    struct gen_file files[GEN_MAX_FILES];
    int n_files;
    struct gen_rec *recs;
    size_t n_recs, cap_recs;
    char *arena;
    size_t arena_len, arena_cap;
    uint32_t next_seq;
    struct gen_incident incidents[GEN_MAX_INCIDENTS];
    int n_incidents;
    const char *bundle_dir_override[GEN_MAX_DEVICES]; /* --tgz: the archive's name */
    /* --scale: records go straight to their open files, in the order they are emitted */
    int streaming;
    struct gen_stream *stream;
};

/* ---- gen_out.c ------------------------------------------------------------------------------- */

void gen_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
uint64_t gen_rand(struct gen *g);
/* uniform in [lo, hi] */
int64_t gen_range(struct gen *g, int64_t lo, int64_t hi);
void gen_init(struct gen *g, const char *scenario, uint64_t seed, const char *outdir);
void gen_free(struct gen *g);
int gen_file_add(struct gen *g, int dev, const char *rel, enum gen_file_kind kind, enum gen_order order,
                 const char *head);
/* Appends a record to file f at true time ts (text or frame bytes). */
void gen_emit(struct gen *g, int f, int64_t ts, const void *data, size_t len);
/* printf into a text record (a newline is added). */
void gen_line(struct gen *g, int f, int64_t ts, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The device's wall clock at true time ts: broken-down local time, its UTC offset (seconds)
 * and the zone's abbreviation. */
void gen_local(const struct gen_dev *d, int64_t ts, struct tm *tm, long *gmtoff, int64_t *us_frac);
/* UTC us of a civil UTC time */
int64_t gen_utc(int y, int mo, int d, int h, int mi, int s);
/* UTC us of a wall-clock time in zone */
int64_t gen_local_to_utc(const char *zone, int y, int mo, int d, int h, int mi, int s);
/* Writes every file of the store and the expected.json; packs with --tgz. */
void gen_write_all(struct gen *g);
/* --scale: opens every file for streaming (gen_emit then writes at once), and closes them;
 * gen_stream_bytes/frames tell how much a file has received. */
void gen_stream_open(struct gen *g);
void gen_stream_close(struct gen *g);
uint64_t gen_stream_bytes(const struct gen *g, int f);
uint64_t gen_stream_frames(const struct gen *g, int f);
/* Creates the directories of path (its last component is a file). */
void gen_mkdirs_for(const char *path);
/* Records a file written outside the store as a member of the device's bundle (--tgz). */
void gen_note_member(int dev, const char *rel);
/* Lines of ikemgr before `until` go to the device's .1.gz rotation when it has one. */
void gen_set_rotation(int64_t until);
/* Writes a whole text file under the device's directory (not through the store). */
void gen_write_text(struct gen *g, int dev, const char *rel, const char *text, size_t len);

/* ---- gen_ike.c: devices, tunnels and the IKE/ESP behaviour -------------------------------- */

struct gen_dev_opts {
    const char *name, *dir, *zone, *sw_version;
    enum gen_log_family family;
    enum gen_syslog_form syslog;
    int no_debug, no_pcap, no_routed, cfglog, dp_pcap, rotated;
    int64_t skew_us;
};
int gen_dev_new(struct gen *g, const struct gen_dev_opts *o);
int gen_tunnel_new(struct gen *g, int dev, const char *gateway, const char *tunnel, const char *local_ip,
                   const char *peer_ip, const char *cidr, int interval_s);

/* Healthy liveness from `from` to `to` (every interval of idleness, answered in a few ms);
 * returns when the next probe would be due. */
int64_t gen_healthy(struct gen *g, int t, int64_t from, int64_t to);
/* One probe answered after rtt_us, possibly after `retransmits` extra copies. Returns the time
 * the response arrived. */
int64_t gen_probe(struct gen *g, int t, int64_t at, int64_t rtt_us, int retransmits);
/* One probe answered with a wrong message id (the peer's answer to an earlier request). */
void gen_probe_answer_stale(struct gen *g, int t, int64_t at, uint32_t msgid_in_answer);
/* The failing run: a request and its retransmissions on the device's backoff, none answered
 * (answer_stale: each copy draws the answer to the previous request; copies from index
 * invalid_spi_from on draw an unprotected INVALID_IKE_SPI answer — 10 or more: none).
 * Returns the time liveness gives up. */
int64_t gen_fail_run(struct gen *g, int t, int64_t at, int answer_stale, int invalid_spi_from);
/* One copy of liveness request msgid, unanswered (--scale sends a failing run copy by copy). */
void gen_liveness_copy(struct gen *g, int t, int64_t at, uint32_t msgid);
/* Schedule helpers */
int gen_sched_total_s(const struct gen_dev *d);
int gen_sched_step_s(const struct gen_dev *d, int i);
/* The peer's own liveness request reaching us from src_port (0: the known mapping), answered
 * by us to the mapping we know; retransmit: a copy of its previous request. */
void gen_peer_request(struct gen *g, int t, int64_t at, int src_port, int retransmit);
/* DPD teardown at `at`: system-log line (second resolution), ikemgr "DPD down" line, abort,
 * SA dying, child delete. Records the incident (root_cause). Returns the anchor time. */
int64_t gen_dpd_down(struct gen *g, int t, int64_t at, const char *root_cause);
/* A new IKE SA negotiated by us (answered): IKE_SA_INIT, IKE_AUTH, child; liveness restarts
 * with fresh SPIs. Returns when it is established. */
int64_t gen_establish(struct gen *g, int t, int64_t at, int peer_initiates);
/* IKE_SA_INIT sent by us that nobody answers yet (the bundle ends before it gives up). */
void gen_init_unanswered(struct gen *g, int t, int64_t at, int copies);
/* Child SA rekey (CREATE_CHILD_SA) answered and succeeded. */
void gen_child_rekey_ok(struct gen *g, int t, int64_t at);
/* Child SA rekey that fails (pfs: "message lacks KE payload"; else no proposal chosen). */
void gen_child_rekey_fail(struct gen *g, int t, int64_t at, int pfs);
/* Phase failures; each returns the time of the first failure line. */
int64_t gen_p1_fail(struct gen *g, int t, int64_t at, const char *cause);
int64_t gen_p2_fail(struct gen *g, int t, int64_t at, const char *cause);
/* IKEv1 DPD (R-U-THERE) exchanges and the DPD death. */
int64_t gen_ikev1_healthy(struct gen *g, int t, int64_t from, int64_t to);
int64_t gen_ikev1_dpd_dead(struct gen *g, int t, int64_t at, const char *root_cause);
/* ESP frames of a tunnel into the dataplane capture: pkts outbound, pkts_in inbound. */
void gen_esp(struct gen *g, int t, int64_t from, int64_t to, int every_ms, int inbound);
/* The NATed peer's NAT keepalives (one 0xFF byte to our UDP 4500, RFC 3948) into the IKE capture. */
void gen_nat_keepalives(struct gen *g, int t, int64_t from, int64_t to, int every_ms);

/* System-log line (subtype, event id, object, severity, description); CLI or CSV per device. */
void gen_syslog(struct gen *g, int dev, int64_t at, const char *subtype, const char *evid, const char *object,
                const char *severity, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* ikemgr log line at a level ("DEBG", "INFO"), device family applied. */
void gen_ikemgr(struct gen *g, int dev, int64_t at, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* routed.log line */
void gen_routed(struct gen *g, int dev, int64_t at, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* config log (CSV) row */
void gen_cfglog(struct gen *g, int dev, int64_t at, const char *cmd, const char *result, const char *path);
/* The commit signature in the system log (formats.md §2.3, BEATS-OTHER) */
void gen_commit_signature(struct gen *g, int dev, int64_t at);
/* Unrelated daemon and INFO lines through a window (noise) */
void gen_noise(struct gen *g, int dev, int64_t from, int64_t to);
/* running-config.xml and the techsupport dump (flow snapshots: 0, 1 or 2 per tunnel) */
void gen_device_files(struct gen *g, int dev, int flow_snapshots);

void gen_incident(struct gen *g, int dev, const char *kind, int64_t time_us, int tunnel, const char *root_cause);

/* ---- gen_scenarios.c ----------------------------------------------------------------------- */

struct gen_scenario {
    const char *name;
    const char *description;
    void (*run)(struct gen *g);
};
extern const struct gen_scenario gen_scenarios[];
extern const size_t gen_n_scenarios;

/* ---- gen_scale.c --------------------------------------------------------------------------- */

/* Writes a large bundle (size in bytes of ikemgr.log, or packets of ikemgr.pcap) streaming. */
void gen_scale(struct gen *g, uint64_t bytes, uint64_t packets);

#endif
