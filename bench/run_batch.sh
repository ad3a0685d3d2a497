#!/bin/sh
# bench/run_batch.sh — batch throughput: the wall time of `ikemortem batch` over 40 generated
# bundles with -j 1 and with -j 2 (median of BENCH_RUNS runs each, fresh output folder each
# run), and their ratio. The bundles are the scenario generator's (every scenario, seeds 1 and
# 2, packed as .tgz); BENCH_BATCH_SCALE=8M makes each one a larger peer-unreachable bundle
# instead (SIZE bytes of ikemgr.log), so that the analysis outweighs starting a worker.
#
#   make BUILD=build build/ikemortem build/ikemortem-gen && BUILD=build bench/run_batch.sh
set -eu

BUILD=${BUILD:-build}
RUNS=${BENCH_RUNS:-3}
BIN=$BUILD/ikemortem
GEN=$BUILD/ikemortem-gen
W=$BUILD/bench/batch
[ -x "$BIN" ] && [ -x "$GEN" ] || { echo "run_batch.sh: build $BIN and $GEN first" >&2; exit 2; }

rm -rf "$W" && mkdir -p "$W/queue"
n=0
for seed in 1 2; do
  for s in $("$GEN" list); do
    [ $n -lt 40 ] || break
    [ "$s" = two-peers ] && continue # two archives: keep the count exact
    if [ -n "${BENCH_BATCH_SCALE:-}" ]; then
      "$GEN" peer-unreachable "$W/g" --seed $((n + 1)) --tgz --scale "$BENCH_BATCH_SCALE" >/dev/null
    else
      "$GEN" "$s" "$W/g" --seed "$seed" --tgz >/dev/null
    fi
    mv "$W"/g/*.tgz "$W/queue/$(printf '%02d' $n)-$s.tgz"
    rm -rf "$W/g"
    n=$((n + 1))
  done
done
echo "run_batch: $n bundles, $(du -sh "$W/queue" | cut -f1) in $W/queue; $(nproc) CPUs online"

now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

for j in 1 2; do
  : > "$W/times-$j"
  r=0
  while [ $r -lt "$RUNS" ]; do
    rm -rf "$W/out-$j"
    t0=$(now)
    rc=0
    "$BIN" batch -q -j $j --out "$W/out-$j" "$W/queue" || rc=$?
    t1=$(now)
    [ $rc -eq 0 ] || { echo "run_batch: batch -j $j exit $rc" >&2; exit 1; }
    echo "$t1 - $t0" | bc -l >> "$W/times-$j"
    r=$((r + 1))
  done
done
t1=$(median < "$W/times-1")
t2=$(median < "$W/times-2")
rows=$(($(wc -l < "$W/out-2/summary.csv") - 1))
cmp -s "$W/out-1/summary.jsonl" "$W/out-2/summary.jsonl" 2>/dev/null ||
  sed "s#$W/out-1/#X/#" "$W/out-1/summary.jsonl" | cmp -s - "$(sed "s#$W/out-2/#X/#" "$W/out-2/summary.jsonl" > "$W/s2"; echo "$W/s2")" ||
  { echo "run_batch: -j 1 and -j 2 summaries differ" >&2; exit 1; }
printf 'batch over %d bundles (%d summary rows), median of %d runs:\n' "$n" "$rows" "$RUNS"
printf '  -j 1: %6.2f s  (%.1f bundles/s)\n' "$t1" "$(echo "$n / $t1" | bc -l)"
printf '  -j 2: %6.2f s  (%.1f bundles/s)\n' "$t2" "$(echo "$n / $t2" | bc -l)"
printf '  speed-up -j 2 / -j 1: %.2fx\n' "$(echo "$t1 / $t2" | bc -l)"
