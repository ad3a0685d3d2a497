#!/bin/sh
# run_pcap.sh — IKE captures: decoding alone (bench/pcap_bench.c, null sink), and decoding plus
# insertion into the timeline (`ikemortem ingest`, pairing included) on a generated 1 M-packet
# capture, next to tshark printing the IKE header fields of the same file when tshark is
# installed. Each figure is the median of 3 runs, in packets per second.
#
#   BUILD=build BENCH_PACKETS=1000000 bench/run_pcap.sh
set -eu

BUILD=${BUILD:-build}
PACKETS=${BENCH_PACKETS:-1000000}
CC=${CC:-cc}
OUT=$BUILD/bench
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -D_GNU_SOURCE"
mkdir -p "$OUT"
[ -x "$BUILD/ikemortem" ] || { echo "bench: $BUILD/ikemortem is missing (make $BUILD/ikemortem)" >&2; exit 1; }

# shellcheck disable=SC2046 # pkg-config output is a list of flags
$CC $WARN -O2 -o "$OUT/gen_pcap" bench/gen_pcap.c $(pkg-config --cflags --libs libpcap)
# shellcheck disable=SC2046
$CC $WARN -O2 $(pkg-config --cflags libpcre2-8 libpcap expat) -o "$OUT/pcap_bench" bench/pcap_bench.c \
    parsers/*.c $(pkg-config --libs libpcre2-8 libpcap expat)

FILE=$OUT/ike-$PACKETS.pcap
[ -s "$FILE" ] || "$OUT/gen_pcap" "$FILE" "$PACKETS" >/dev/null
cat "$FILE" > /dev/null

median3() { sort -n | sed -n 2p; }
now_ns() { date +%s%N; }
rate() { awk -v p="$PACKETS" -v ns="$1" 'BEGIN { printf "%.0f", p / (ns / 1e9) }'; }

echo "bench: $FILE ($PACKETS packets, $(wc -c < "$FILE") bytes), median of 3"
"$OUT/pcap_bench" "$FILE"

ingest=""
for i in 1 2 3; do
    rm -f "$OUT/pcap.db"
    t0=$(now_ns)
    "$BUILD/ikemortem" ingest -q --db "$OUT/pcap.db" "$FILE"
    ingest="$ingest $(( $(now_ns) - t0 ))"
done
ingest_ns=$(for t in $ingest; do echo "$t"; done | median3)
rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from ike_messages where origin='pcap'\").fetchone()[0])" "$OUT/pcap.db")
echo "ingest (decode + insert + pairing): $(rate "$ingest_ns") packets/s, $rows IKE rows"

if command -v tshark >/dev/null 2>&1; then
    tsh=""
    for i in 1 2 3; do
        t0=$(now_ns)
        tshark -r "$FILE" -Y isakmp -T fields -e frame.number -e frame.time_epoch -e ip.src -e ip.dst \
            -e udp.srcport -e udp.dstport -e isakmp.ispi -e isakmp.rspi -e isakmp.version \
            -e isakmp.exchangetype -e isakmp.flags -e isakmp.messageid -e isakmp.length > /dev/null 2>&1
        tsh="$tsh $(( $(now_ns) - t0 ))"
    done
    tsh_ns=$(for t in $tsh; do echo "$t"; done | median3)
    echo "tshark -T fields: $(rate "$tsh_ns") packets/s; ingest / tshark = $(awk -v a="$tsh_ns" -v b="$ingest_ns" 'BEGIN { printf "%.1f", a / b }')x"
else
    echo "tshark is not installed: no ratio (apt-get install tshark to have one)"
fi
