#!/usr/bin/env bash
# The long fuzzing campaign (issue 10): runs libFuzzer targets one after another until each has
# spent CAMPAIGN_CPU_SECONDS of CPU time, counted across runs in a ledger, so a campaign can be
# spread over several sittings (a 2-core machine cannot give ten targets an hour each at once).
#
#   tests/fuzz/campaign.sh BUILD_DIR [target...]     (default: every target, in ledger order)
#
# Environment: CAMPAIGN_CPU_SECONDS (3600), CAMPAIGN_SLICE (wall seconds per run, 1200),
# CAMPAIGN_NICE (19). The ledger is BUILD_DIR/fuzz/ledger.tsv: one line per run with the date,
# the commit, the target, CPU seconds (user+sys of the fuzzer), executions, and the crash/hang
# files the run left (crash_<target>_*, timeout_<target>_*, oom_<target>_* under BUILD_DIR/fuzz).
# Runs are niced so that the campaign takes only CPU time nothing else wants; CPU time, not wall
# time, is what the ledger counts. To pause it (benchmarks): create BUILD_DIR/fuzz/PAUSE and send
# SIGINT to the running fuzzer (its CPU time is still counted); it waits until PAUSE is gone.
# Never SIGSTOP a fuzzer: libFuzzer's -timeout is wall time, so a stopped run reports a hang.
set -u
build=${1:?usage: campaign.sh BUILD_DIR [target...]}
shift
want=${CAMPAIGN_CPU_SECONDS:-3600}
slice=${CAMPAIGN_SLICE:-1200}
nicelevel=${CAMPAIGN_NICE:-19}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ledger=$build/fuzz/ledger.tsv
mkdir -p "$build/fuzz"
[ -f "$ledger" ] || printf 'date\tcommit\ttarget\tcpu_s\texecs\tfindings\n' >"$ledger"

if [ $# -eq 0 ]; then
    set -- $(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi

spent() {   # CPU seconds the ledger holds for target $1
    awk -F'\t' -v t="$1" 'NR > 1 && $3 == t { s += $4 } END { printf "%d", s }' "$ledger"
}

commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
while :; do
    progressed=0
    for t in "$@"; do
        while [ -e "$build/fuzz/PAUSE" ]; do sleep 5; done
        have=$(spent "$t")
        [ "$have" -ge "$want" ] && continue
        progressed=1
        # the last slice of a target only as long as it lacks (a niced run's wall time is at
        # least its CPU time), so that the campaign's end is not a slice of overshoot
        run_for=$slice
        [ $((want - have + 30)) -lt "$run_for" ] && run_for=$((want - have + 30))
        make -C "$repo" --no-print-directory BUILD="$build" "$build/fuzz/fuzz_$t" >/dev/null || exit 1
        mkdir -p "$build/fuzz/corpus_$t"
        log=$build/fuzz/campaign_$t.log
        before=$(ls "$build/fuzz" | grep -cE "^(crash|timeout|oom|leak)_${t}_" || true)
        # /usr/bin/time's %U/%S are the child's own CPU seconds, which is what the campaign counts
        /usr/bin/time -f '%U %S' -o "$build/fuzz/time_$t" \
            nice -n "$nicelevel" "$build/fuzz/fuzz_$t" -max_total_time="$run_for" -max_len=8192 \
            -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/fuzz/crash_${t}_" \
            "$build/fuzz/corpus_$t" "$repo/tests/fuzz/corpus/$t" >"$log" 2>&1
        rc=$?
        cpu=$(awk '{ printf "%d", $1 + $2 }' "$build/fuzz/time_$t" 2>/dev/null | tail -1)
        execs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
        [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
        after=$(ls "$build/fuzz" | grep -cE "^(crash|timeout|oom|leak)_${t}_" || true)
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$commit" "$t" "${cpu:-0}" \
            "${execs:-0}" "$((after - before)) (exit $rc)" >>"$ledger"
        echo "campaign: $t: +${cpu:-0} CPU s (now $(spent "$t")/$want), ${execs:-0} executions, exit $rc"
    done
    [ $progressed = 1 ] || break
done
echo "campaign: every target has $want CPU seconds"
awk -F'\t' 'NR > 1 { c[$3] += $4; e[$3] += $5 } END { for (t in c) printf "  %-12s %6d CPU s %12d executions\n", t, c[t], e[t] }' "$ledger" | sort
