#!/usr/bin/env python3
"""bench.py — `make bench` (through bench/bench.sh): ikemortem next to what an engineer would
use instead, on the same generated inputs, in one run, with every answer checked.

Inputs (ikemortem-gen --scale, cached under $BUILD/bench/, regenerated when the generator is
newer than them):
  scale-<MB>M/       a peer-unreachable bundle: debug ikemgr.log of BENCH_MB MiB, its system
                     log (system_log.csv), running config, CLI output, expected.json
  scale-<N>pkt/      the same scenario cut at BENCH_PACKETS packets: its ikemgr.pcap
  bundle-<MB>M-<N>/  the first bundle with that capture as its ikemgr.pcap (hard links), and
  bundle-<MB>M-<N>.tgz  the same files packed
The capture and the log come from the same seed and start, so the capture shows the first
hours of the log's tunnels and the bundle's verdicts are the log's.

Measured, BENCH_RUNS (default 3) runs each, in turns (one run of every command per round, its
inputs read once untimed just before, so each reads from the page cache),
median wall time (measured here around the child) and peak RSS (GNU time's %M of the child): ikemortem ingest and analyze on the log + system
log, on the capture, on the .tgz and on the unpacked folder; grep -c 'DPD down' and wc -l on
the log; lnav loading the log headless with bench/lnav/ikemgr_log.json and answering one SQL
count; tshark -T fields with the IKE header fields on the capture. Then the scaling run:
ingest and analyze on the log + system log at each of BENCH_SCALE (MiB).

Every run's answer is checked (incidents and root causes = expected.json, DPD-down counts =
the generator's, IKE rows = tshark's packets); a wrong answer fails the benchmark, so a broken
build cannot look fast. Results: a table on stdout and bench/results.json.
"""
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

E = os.environ
BUILD = E.get("BUILD", "build")
MB = int(E.get("BENCH_MB", "1024"))
PACKETS = int(E.get("BENCH_PACKETS", "1000000"))
RUNS = int(E.get("BENCH_RUNS", "3"))
SCALE = [int(x) for x in E.get("BENCH_SCALE", "128 256 512 1024").split()]
SCALE_RUNS = int(E.get("BENCH_SCALE_RUNS", str(RUNS)))
RESULTS = E.get("BENCH_RESULTS", "bench/results.json")
BIN = os.path.join(BUILD, "ikemortem")
GEN = os.path.join(BUILD, "ikemortem-gen")
CACHE = os.path.join(BUILD, "bench")
LNAV_FORMAT = "bench/lnav/ikemgr_log.json"
TSHARK_FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "udp.srcport", "udp.dstport",
                 "isakmp.ispi", "isakmp.rspi", "isakmp.version", "isakmp.exchangetype", "isakmp.flags",
                 "isakmp.messageid", "isakmp.length"]
TMP = tempfile.mkdtemp(prefix="ikm-bench-")


class Fail(Exception):
    pass


def die(msg):
    print("bench: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def say(msg):
    print("bench: " + msg, flush=True)


# ---- inputs ------------------------------------------------------------------------------------

def gen_bundle(name, scale):
    """A cached --scale bundle: regenerated when missing or older than the generator."""
    d = os.path.join(CACHE, name)
    stamp = os.path.join(d, "expected.json")
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(GEN):
        return d
    say("generating %s (--scale %s)" % (d, scale))
    shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(d + ".tmp", ignore_errors=True)
    # under a temporary name: an interrupted run leaves nothing that looks cached
    subprocess.run([GEN, "peer-unreachable", d + ".tmp", "--scale", scale], check=True, stdout=subprocess.DEVNULL)
    os.rename(d + ".tmp", d)
    return d


def log_bundle(mb):
    return gen_bundle("scale-%dM" % mb, "%dM" % mb)


def pkt_spec(n):
    return "%dMpkt" % (n // 1000000) if n % 1000000 == 0 else "%dkpkt" % (n // 1000) if n % 1000 == 0 else "%dpkt" % n


def expected(d):
    with open(os.path.join(d, "expected.json")) as f:
        inc = json.load(f)["incidents"]
    return sorted((i["time"][:19], i["root_cause"]) for i in inc)


def log_of(d):
    return os.path.join(d, "var", "log", "pan", "ikemgr.log")


def log_inputs(d):
    """The bundle's files but its capture: the log, the system log, and the small running
    config and CLI output that give the system log's lines their zone."""
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.join(root, fn) for fn in files if fn not in ("expected.json", "ikemgr.pcap")]
    return sorted(out)


def combined_bundle(ld, pd):
    """The log bundle's files (without its own, larger capture) and the packet bundle's capture."""
    name = os.path.join(CACHE, "bundle-%dM-%s" % (MB, pkt_spec(PACKETS)))
    newest = max(os.path.getmtime(os.path.join(ld, "expected.json")), os.path.getmtime(os.path.join(pd, "expected.json")))
    tgz = name + ".tgz"
    if os.path.exists(tgz) and os.path.getmtime(tgz) >= newest and os.path.isdir(name):
        return name, tgz
    say("assembling %s and packing %s" % (name, tgz))
    shutil.rmtree(name, ignore_errors=True)
    for root, _, files in os.walk(ld):
        for fn in files:
            rel = os.path.relpath(os.path.join(root, fn), ld)
            if rel == "expected.json" or fn == "ikemgr.pcap":
                continue
            os.makedirs(os.path.join(name, os.path.dirname(rel)), exist_ok=True)
            os.link(os.path.join(root, fn), os.path.join(name, rel))
    os.link(os.path.join(pd, "var", "log", "pan", "ikemgr.pcap"), os.path.join(name, "var", "log", "pan", "ikemgr.pcap"))
    subprocess.run(["tar", "-C", name, "-czf", tgz + ".tmp", "."], check=True)
    os.rename(tgz + ".tmp", tgz)
    return name, tgz


# ---- measuring ---------------------------------------------------------------------------------

def run_once(cmd, env=None, cwd=None, ok_codes=(0,)):
    """Wall seconds (around the child), peak RSS KiB (GNU time %M of the child), stdout."""
    tf = os.path.join(TMP, "time")
    out = os.path.join(TMP, "stdout")
    with open(out, "wb") as fo:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf] + cmd, stdout=fo, stderr=subprocess.PIPE,
                           env=env, cwd=cwd)
        secs = time.perf_counter() - t0
    if p.returncode not in ok_codes:
        raise Fail("%s exited with %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode(errors="replace")[-2000:]))
    with open(tf) as f:
        rss = int([line for line in f.read().split("\n") if line.strip().isdigit()][-1])
    with open(out, "rb") as f:
        data = f.read()
    return secs, rss, data


def load():
    return round(os.getloadavg()[0], 2)


FIG = {}  # name -> figure dict


def warm(paths):
    """Reads the files (under the folders) once, untimed: this host's kernel pages out file
    pages not touched for about a minute (DAMON pageout), and in turns a command's input may
    sit unread that long, so its run would read from the disk instead of the page cache."""
    for p in paths:
        files = [os.path.join(r, f) for r, _, fs in os.walk(p) for f in fs] if os.path.isdir(p) else [p]
        for fn in files:
            with open(fn, "rb") as fh:
                while fh.read(1 << 24):
                    pass


class Job:
    """One command to measure: check(stdout) returns its answer (and raises Fail when wrong);
    inputs are warmed in the page cache before each run."""

    def __init__(self, name, what, cmd, check, inputs=(), prepare=None, cleanup=None, **kw):
        self.name, self.what, self.cmd, self.check, self.prepare, self.kw = name, what, cmd, check, prepare, kw
        self.cleanup = cleanup
        self.inputs = list(inputs)
        self.times, self.rss, self.answers, self.loads = [], [], [], []

    def run(self):
        warm(self.inputs)
        if self.prepare:
            self.prepare()
        self.loads.append(load())
        s, r, out = run_once(self.cmd, **self.kw)
        self.answers.append(self.check(out))
        if self.cleanup:
            self.cleanup()
        self.times.append(s)
        self.rss.append(r)


def measure(jobs, runs=RUNS):
    """Runs every job `runs` times, in turns: one run of each job per round, so that a slower
    phase of the machine (this host's speed drifts by a third within minutes) weighs on the
    commands compared alike instead of on whichever ran then."""
    for _ in range(runs):
        for j in jobs:
            j.run()
    for j in jobs:
        fig = {"what": j.what, "cmd": " ".join(j.cmd), "median_s": round(statistics.median(j.times), 3),
               "runs_s": [round(t, 3) for t in j.times], "peak_rss_mib": round(max(j.rss) / 1024, 1),
               "answer": j.answers[-1], "load_1min_before": j.loads}
        FIG[j.name] = fig
        say("%-28s %8.3f s  %7.1f MiB  %s" % (j.name, fig["median_s"], fig["peak_rss_mib"], fig["answer"]))


def db_path():
    return os.path.join(TMP, "t.db")


def rm_db():
    for suf in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(db_path() + suf)
        except FileNotFoundError:
            pass


def q(sql):
    con = sqlite3.connect("file:%s?mode=ro" % db_path(), uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check_ingest_log(want, lines):
    def check(_):
        dpd = q("SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id "
                "WHERE s.kind = 'ikemgr-log' AND e.kind = 'dpd-down'")[0][0]
        units = q("SELECT units, unparsed FROM sources WHERE kind = 'ikemgr-log'")[0]
        x = q("SELECT count(*) FROM exchanges WHERE origin = 'log'")[0][0]
        if dpd != len(want):
            raise Fail("ingest stored %d dpd-down events from the log, the generator wrote %d" % (dpd, len(want)))
        if (lines or {}).get("n") is not None and units[0] != lines["n"]:
            raise Fail("ingest counted %d lines, wc -l %d" % (units[0], lines["n"]))
        return {"dpd_down": dpd, "lines": units[0], "unparsed": units[1], "log_exchanges": x}
    return check


def check_report(want):
    def check(_):
        with open(os.path.join(TMP, "report.json")) as f:
            got = json.load(f)["incidents"]
        have = sorted((g["time"][:19], g["root_cause"]["id"]) for g in got)
        if have != want:
            miss = [w for w in want if w not in have][:3]
            extra = [h for h in have if h not in want][:3]
            raise Fail("analyze found %d incidents, expected %d (missing %s, unexpected %s)"
                       % (len(have), len(want), miss, extra))
        return {"incidents": len(have), "root_causes_as_expected": True}
    return check


def check_ingest_pcap(frames):
    def check(_):
        n = q("SELECT count(*) FROM ike_messages WHERE origin = 'pcap'")[0][0]
        x = q("SELECT count(*) FROM exchanges WHERE origin = 'pcap'")[0][0]
        if frames.get("n") is not None and n != frames["n"]:
            raise Fail("ingest stored %d IKE messages of the capture, tshark decoded %d" % (n, frames["n"]))
        return {"ike_messages": n, "exchanges": x}
    return check


def ikemortem_pair(tag, what, inputs, want, lines=None, frames=None, pcap=False):
    """The ingest and the analyze jobs of one input. frames: a dict whose "n" (tshark's count,
    when it ran) the capture's rows are checked against."""
    ing_check = check_ingest_pcap(frames) if pcap else check_ingest_log(want, lines)
    # the timeline is removed once checked: left, its half a GiB of pages still to be written
    # out slowed the next command (analyze on the same inputs) by up to a second
    jobs = [Job(tag + ".ingest", "ikemortem ingest " + what, [BIN, "ingest", "-q", "--db", db_path()] + inputs,
                ing_check, inputs=inputs, prepare=rm_db, cleanup=rm_db)]
    rep = os.path.join(TMP, "report.json")
    if pcap:
        # a capture alone holds no anchor (DPD down is a log line): the report must say it read
        # every packet
        def check(_):
            with open(rep) as f:
                r = json.load(f)
            units = sum(i.get("units", 0) for i in r["inputs"])
            if frames.get("n") is not None and units < frames["n"]:
                raise Fail("analyze read %d units of the capture, tshark %d IKE packets" % (units, frames["n"]))
            return {"units": units, "incidents": len(r["incidents"])}
    else:
        check = check_report(want)
    jobs.append(Job(tag + ".analyze", "ikemortem analyze " + what, [BIN, "analyze", "-q", "-o", rep] + inputs,
                    check, inputs=inputs, ok_codes=(0, 1)))
    return jobs


# ---- the machine ----------------------------------------------------------------------------------

def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    # first line of stdout (tshark warns about root on stderr)
    ver = lambda cmd: (subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
                       .split("\n")[0].strip() if shutil.which(cmd[0]) else None)
    rev = subprocess.run(["git", "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode().strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_mib": mem, "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git": rev,
            "lnav": ver(["lnav", "-V"]), "tshark": ver(["tshark", "-v"]), "grep": ver(["grep", "-V"])}


# ---- main ----------------------------------------------------------------------------------------

def ratio(a, b):
    return round(FIG[a]["median_s"] / FIG[b]["median_s"], 2) if a in FIG and b in FIG and FIG[b]["median_s"] > 0 else None


def main():
    for p in (BIN, GEN):
        if not os.access(p, os.X_OK):
            die("%s is missing: run 'make bench BUILD=%s'" % (p, BUILD))
    os.makedirs(CACHE, exist_ok=True)
    mach = machine()
    say("machine: %d CPUs, %s, %d MiB RAM; load %s" % (mach["nproc"], mach["cpu"], mach["ram_mib"], load()))

    ld = log_bundle(MB)
    pd = gen_bundle("scale-%s" % pkt_spec(PACKETS), pkt_spec(PACKETS))
    bdir, tgz = combined_bundle(ld, pd)
    want = expected(ld)
    log, syslog = log_of(ld), os.path.join(ld, "system_log.csv")
    pcap = os.path.join(pd, "var", "log", "pan", "ikemgr.pcap")
    log_bytes = os.path.getsize(log)
    say("log %s: %d bytes, %d incidents planted; capture %s: %d bytes" % (log, log_bytes, len(want), pcap,
                                                                        os.path.getsize(pcap)))
    for f in (log, syslog, pcap):  # every tool reads from a warm page cache
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass

    # the scan floor
    def grep_check(out):
        n = int(out.split()[0])
        if n != len(want):
            raise Fail("grep counted %d 'DPD down' lines, the generator planted %d incidents" % (n, len(want)))
        return {"count": n}
    jobs = [Job("grep", "grep -c 'DPD down' on the log", ["grep", "-c", "DPD down", log], grep_check, inputs=[log])]
    lines = {}

    def wc_check(out):
        lines["n"] = int(out.split()[0])
        return {"lines": lines["n"]}
    jobs.append(Job("wc", "wc -l on the log", ["wc", "-l", log], wc_check, inputs=[log]))

    # lnav: its own config dir (the shipped format) and HOME, so that nothing of the user's
    # lnav setup is read or written
    skipped = {}
    if shutil.which("lnav"):
        cfg = os.path.join(TMP, "lnav")
        os.makedirs(os.path.join(cfg, "formats", "ikemortem"))
        os.makedirs(os.path.join(TMP, "home"))
        shutil.copy(LNAV_FORMAT, os.path.join(cfg, "formats", "ikemortem"))
        env = dict(os.environ, HOME=os.path.join(TMP, "home"))

        def lnav_check(out):
            rows = [r.strip() for r in out.decode(errors="replace").split("\n") if r.strip()]
            n = int(rows[-1]) if rows and rows[-1].isdigit() else None
            if n != len(want):
                raise Fail("lnav answered %r, the generator planted %d DPD down lines" % (rows[-3:], len(want)))
            return {"count": n}
        jobs.append(Job("lnav", "lnav -n: load the log, one SQL count",
                        ["lnav", "-N", "-n", "-I", cfg, "-c",
                         ';SELECT count(*) AS n FROM ikemgr_log WHERE log_body LIKE "%DPD down%"', log],
                        lnav_check, inputs=[log], env=env))
    else:
        skipped["lnav"] = "not installed (bench.sh installs it when run as root: apt-get install -y lnav)"
        say("lnav: skipped, " + skipped["lnav"])

    frames = {}  # "n": tshark's count of IKE packets, set by its first run
    if shutil.which("tshark"):
        def tshark_check(out):
            frames["n"] = sum(1 for line in out.split(b"\n") if line.count(b"\t") >= 6 and line.split(b"\t")[6])
            return {"ike_packets": frames["n"]}
        # as bench/run_pcap.sh measured it before: IKE packets only, their header fields
        args = ["tshark", "-n", "-r", pcap, "-Y", "isakmp", "-T", "fields"]
        for fld in TSHARK_FIELDS:
            args += ["-e", fld]
        jobs.append(Job("tshark", "tshark -T fields (IKE header) on the capture", args, tshark_check, inputs=[pcap]))
    else:
        skipped["tshark"] = "not installed"
        say("tshark: skipped, not installed")

    # wc and tshark run before the jobs whose answers are checked against theirs
    jobs += ikemortem_pair("log", "on the log + system log", log_inputs(ld), want, lines=lines)
    jobs += ikemortem_pair("pcap", "on the capture", [pcap], [], frames=frames, pcap=True)
    jobs += ikemortem_pair("tgz", "on the bundle (.tgz)", [tgz], want, lines=lines)
    jobs += ikemortem_pair("dir", "on the same files unpacked", [bdir], want, lines=lines)
    measure(jobs)

    # scaling: the log + system log at each size
    scaling = []
    for mb in SCALE:
        d = log_bundle(mb)
        w = expected(d)
        lg = log_of(d)
        with open(lg, "rb") as fh:
            while fh.read(1 << 24):
                pass
        measure(ikemortem_pair("scale%d" % mb, "on the %d MiB log + system log" % mb, log_inputs(d), w),
                runs=SCALE_RUNS)
        b = os.path.getsize(lg)
        row = {"mib": mb, "log_bytes": b, "incidents": len(w)}
        for k in ("ingest", "analyze"):
            f = FIG["scale%d.%s" % (mb, k)]
            row[k] = {"median_s": f["median_s"], "mib_per_s": round(b / 1048576 / f["median_s"], 1),
                      "peak_rss_mib": f["peak_rss_mib"]}
        scaling.append(row)

    pkt = FIG["pcap.ingest"]["answer"]["ike_messages"]
    rates = {"log_analyze_mib_per_s": round(log_bytes / 1048576 / FIG["log.analyze"]["median_s"], 1),
             "log_ingest_mib_per_s": round(log_bytes / 1048576 / FIG["log.ingest"]["median_s"], 1),
             "grep_mib_per_s": round(log_bytes / 1048576 / FIG["grep"]["median_s"], 1),
             "pcap_ingest_pkt_per_s": round(pkt / FIG["pcap.ingest"]["median_s"]),
             "pcap_analyze_pkt_per_s": round(pkt / FIG["pcap.analyze"]["median_s"])}
    if "tshark" in FIG:
        rates["tshark_pkt_per_s"] = round(frames["n"] / FIG["tshark"]["median_s"])
    ratios = {
        "analyze_log_over_lnav": ratio("log.analyze", "lnav"),
        "ingest_log_over_lnav": ratio("log.ingest", "lnav"),
        "analyze_log_over_grep": ratio("log.analyze", "grep"),
        "ingest_log_over_grep": ratio("log.ingest", "grep"),
        "analyze_log_over_wc": ratio("log.analyze", "wc"),
        "pcap_ingest_over_tshark_pkt_per_s": (round(rates["pcap_ingest_pkt_per_s"] / rates["tshark_pkt_per_s"], 2)
                                              if "tshark_pkt_per_s" in rates else None),
        "pcap_analyze_over_tshark_pkt_per_s": (round(rates["pcap_analyze_pkt_per_s"] / rates["tshark_pkt_per_s"], 2)
                                               if "tshark_pkt_per_s" in rates else None),
        "bundle_over_unpacked_ingest": ratio("tgz.ingest", "dir.ingest"),
        "bundle_over_unpacked_analyze": ratio("tgz.analyze", "dir.analyze"),
    }
    peak = max(f["peak_rss_mib"] for k, f in FIG.items() if k.split(".")[0] not in ("grep", "wc", "lnav", "tshark"))
    targets = {
        "analyze_3x_faster_than_lnav": None if ratios["analyze_log_over_lnav"] is None
        else ratios["analyze_log_over_lnav"] <= 1 / 3,
        "analyze_within_10x_grep": ratios["analyze_log_over_grep"] <= 10,
        "capture_15x_tshark": None if ratios["pcap_ingest_over_tshark_pkt_per_s"] is None
        else ratios["pcap_ingest_over_tshark_pkt_per_s"] >= 15,
        "peak_rss_64mib": peak <= 64,
        "bundle_1_3x_unpacked": max(ratios["bundle_over_unpacked_ingest"], ratios["bundle_over_unpacked_analyze"]) <= 1.3,
    }

    # ---- the table
    print()
    print("ikemortem benchmark — %s, %d CPUs, %s, %d MiB RAM; median of %d runs in turns; 1-min load before runs %s..%s"
          % (mach["date"], mach["nproc"], mach["cpu"], mach["ram_mib"], RUNS,
             min(min(f["load_1min_before"]) for f in FIG.values()), max(max(f["load_1min_before"]) for f in FIG.values())))
    print("log: %d MiB, %d lines, %d incidents; capture: %d IKE packets" % (log_bytes >> 20, lines["n"], len(want), pkt))
    print("%-44s %9s %9s %10s" % ("what", "seconds", "peak MiB", "rate"))
    order = ["grep", "wc", "lnav", "log.ingest", "log.analyze", "tshark", "pcap.ingest", "pcap.analyze",
             "dir.ingest", "dir.analyze", "tgz.ingest", "tgz.analyze"]
    for k in order:
        if k not in FIG:
            continue
        f = FIG[k]
        if k in ("tshark", "pcap.ingest", "pcap.analyze"):
            n = frames["n"] if k == "tshark" else pkt
            rate = "%.0fk pkt/s" % (n / f["median_s"] / 1000)
        else:
            rate = "%.0f MiB/s" % (log_bytes / 1048576 / f["median_s"])
        print("%-44s %9.2f %9.1f %10s" % (f["what"], f["median_s"], f["peak_rss_mib"], rate))
    print("scaling (log + system log):")
    for r in scaling:
        print("  %5d MiB  ingest %7.2f s %6.1f MiB/s %6.1f MiB   analyze %7.2f s %6.1f MiB/s %6.1f MiB"
              % (r["mib"], r["ingest"]["median_s"], r["ingest"]["mib_per_s"], r["ingest"]["peak_rss_mib"],
                 r["analyze"]["median_s"], r["analyze"]["mib_per_s"], r["analyze"]["peak_rss_mib"]))
    print("ratios: " + ", ".join("%s %s" % kv for kv in ratios.items()))
    print("targets: " + ", ".join("%s %s" % (k, {True: "HOLDS", False: "MISSED", None: "n/a"}[v]) for k, v in targets.items()))
    for k, v in skipped.items():
        print("skipped: %s: %s" % (k, v))

    res = {"machine": mach, "bench_mb": MB, "packets": PACKETS, "runs": RUNS,
           "inputs": {"log": log, "log_bytes": log_bytes, "log_lines": lines["n"], "system_log": syslog,
                      "capture": pcap, "capture_ike_packets": pkt, "bundle_tgz": tgz, "bundle_dir": bdir,
                      "incidents_planted": len(want)},
           "figures": FIG, "rates": rates, "ratios": ratios, "scaling": scaling, "peak_rss_mib_ikemortem": peak,
           "targets": targets, "skipped": skipped}
    with open(RESULTS, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    say("figures written to %s" % RESULTS)


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        die(str(e))
    except subprocess.CalledProcessError as e:
        die(str(e))
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
