#!/usr/bin/env bash
# run_analyze.sh — what the analysis costs on top of building the timeline: `ikemortem analyze`
# (ingest + incidents + rules + report) against `ikemortem ingest` alone, on the same input in
# the same run. The input is the scenario generator's benchmark bundle (ikemortem-gen --scale):
# a debug-level ikemgr.log of BENCH_MB MiB, its system log, running config and CLI outputs
# (the capture the bundle also holds is measured by run_pcap.sh). Issue 7's bound:
# analyze ≤ 1.5 × ingest. The answer is checked too: every incident the generator declares
# must be found with its root cause.
#
# Environment: BENCH_MB (default 1024); RUNS (default 3; medians); BUILD (default build).
set -euo pipefail

BENCH_MB=${BENCH_MB:-1024}
RUNS=${RUNS:-3}
BUILD=${BUILD:-build}
bin=$BUILD/ikemortem
gen=$BUILD/ikemortem-gen
die() { echo "bench: $*" >&2; exit 1; }
[[ -x $bin && -x $gen ]] || die "build $bin and $gen first (make bench)"
[[ $BENCH_MB =~ ^[1-9][0-9]*$ ]] || die "BENCH_MB must be a positive integer"
dir=$BUILD/bench/scale-${BENCH_MB}M
if [[ ! -s $dir/expected.json || $gen -nt $dir/expected.json ]]; then
    echo "bench: generating $dir"
    rm -rf "$dir" "$dir.tmp"
    "$gen" peer-unreachable "$dir.tmp" --scale "${BENCH_MB}M" >/dev/null
    mv "$dir.tmp" "$dir"
fi
mapfile -t inputs < <(find "$dir" -type f ! -name expected.json ! -name '*.pcap' | sort)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wall seconds and peak RSS (KiB) of one command, from GNU time
measure() {
    /usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || {
        rc=$?
        [[ $rc == 1 ]] || { cat "$tmp/err" >&2; die "failed ($rc): $*"; }
    }
    cat "$tmp/t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for ((r = 1; r <= RUNS; r++)); do
    rm -f "$tmp/i.db" "$tmp/a.db"
    measure "$bin" ingest -q --db "$tmp/i.db" "${inputs[@]}" >>"$tmp/ingest"
    measure "$bin" analyze -q --db "$tmp/a.db" -o "$tmp/report.json" "${inputs[@]}" >>"$tmp/analyze"
    measure "$bin" analyze -q -o "$tmp/report2.json" "$tmp/a.db" >>"$tmp/reanalyze"
done
check=$(python3 - "$dir/expected.json" "$tmp/report.json" <<'PY'
import json, sys
exp = json.load(open(sys.argv[1]))["incidents"]
got = json.load(open(sys.argv[2]))["incidents"]
want = sorted((e["time"][:19], e["root_cause"]) for e in exp)
have = sorted((g["time"][:19], g["root_cause"]["id"]) for g in got)
print(f"{len(got)} incidents found, {len(exp)} expected, {'all with the expected root cause' if want == have else 'MISMATCH'}")
PY
)
ing=$(cut -d' ' -f1 "$tmp/ingest" | median)
ana=$(cut -d' ' -f1 "$tmp/analyze" | median)
re=$(cut -d' ' -f1 "$tmp/reanalyze" | median)
ing_rss=$(cut -d' ' -f2 "$tmp/ingest" | sort -n | tail -1)
ana_rss=$(cut -d' ' -f2 "$tmp/analyze" | sort -n | tail -1)
printf 'input: %s (%s MiB ikemgr.log, system log, config, CLI), %s run(s), medians\n' "$dir" "$BENCH_MB" "$RUNS"
printf '  %s\n' "$check"
printf '  ingest alone          %8.2f s  %6d MiB\n' "$ing" $((ing_rss / 1024))
printf '  analyze (from input)  %8.2f s  %6d MiB\n' "$ana" $((ana_rss / 1024))
printf '  analyze (existing db) %8.2f s\n' "$re"
awk -v a="$ana" -v i="$ing" 'BEGIN { printf "  analyze / ingest      %8.2f  (bound: 1.5)\n", a / i }'
[[ $check == *MISMATCH* ]] && die "the analysis did not find what the generator planted"
exit 0
