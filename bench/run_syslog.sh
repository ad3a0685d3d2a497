#!/bin/sh
# run_syslog.sh — throughput of the `show log system` reader (parsers/panlog_cli.c) on a
# generated file (bench/gen_show_log_system.c), next to `grep -c DPD` on the same file in the
# same run: the median of 3 runs of each. The file is read once beforehand so that both
# measure parsing from the page cache, not the disk.
#
#   BUILD=build BENCH_MB=256 bench/run_syslog.sh
#
# `make bench` runs it; it builds its two programs itself against every parser source.
set -eu

BUILD=${BUILD:-build}
BENCH_MB=${BENCH_MB:-256}
CC=${CC:-cc}
OUT=$BUILD/bench-syslog
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -D_GNU_SOURCE"
mkdir -p "$OUT"

$CC $WARN -O2 -o "$OUT/gen_show_log_system" bench/gen_show_log_system.c
# shellcheck disable=SC2046 # pkg-config output is a list of flags
$CC $WARN -O2 $(pkg-config --cflags libpcre2-8 libpcap expat) -o "$OUT/panlog_bench" bench/panlog_bench.c \
    parsers/*.c $(pkg-config --libs libpcre2-8 libpcap expat)

FILE=$OUT/show_log_system.txt
"$OUT/gen_show_log_system" "$BENCH_MB" > "$FILE"
cat "$FILE" > /dev/null
BYTES=$(wc -c < "$FILE")

median3() { sort -n | sed -n 2p; }
now_ns() { date +%s%N; }

parse_rates=""
grep_rates=""
for i in 1 2 3; do
    line=$("$OUT/panlog_bench" "$FILE")
    echo "  run $i: $line"
    parse_rates="$parse_rates $(echo "$line" | sed -n 's/.* = \([0-9.]*\) MB\/s.*/\1/p')"
    t0=$(now_ns)
    hits=$(grep -c DPD "$FILE")
    t1=$(now_ns)
    grep_rates="$grep_rates $(awk -v b="$BYTES" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1e6 / (ns / 1e9) }')"
    echo "  run $i: grep -c DPD = $hits lines, $(echo "$grep_rates" | awk '{print $NF}') MB/s"
done
p=$(echo "$parse_rates" | tr ' ' '\n' | sed '/^$/d' | median3)
g=$(echo "$grep_rates" | tr ' ' '\n' | sed '/^$/d' | median3)
echo "show_log_system.txt: $(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB; median of 3:" \
     "panlog_cli $p MB/s, grep -c DPD $g MB/s (target >= 100 MB/s for panlog_cli)"
