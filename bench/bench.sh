#!/usr/bin/env bash
# bench.sh — `make bench`: ikemortem side by side with grep, wc, lnav and tshark on the same
# generated inputs (bench/bench.py does the measuring, checking and reporting; see its header).
# This wrapper makes sure the baselines are there: lnav is installed from Debian when missing
# and we are root (otherwise its row is skipped with a message); tshark is used when present.
#
# Environment: BUILD (default build), BENCH_MB (default 1024), BENCH_PACKETS (default 1000000),
# BENCH_RUNS (default 3), BENCH_SCALE (default "128 256 512 1024"), BENCH_SCALE_RUNS,
# BENCH_RESULTS (default bench/results.json).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "bench: python3 is needed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench: GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time" >&2; exit 1; }
if ! command -v lnav >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        echo "bench: installing lnav (apt-get install -y lnav)"
        apt-get install -y lnav >/dev/null 2>&1 || echo "bench: lnav could not be installed; its row is skipped"
    else
        echo "bench: lnav is not installed and we are not root: its row is skipped (apt-get install lnav)"
    fi
fi
command -v tshark >/dev/null || echo "bench: tshark is not installed: its row is skipped (apt-get install tshark)"
echo "bench: load $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) on $(nproc) CPUs"
exec python3 bench/bench.py
