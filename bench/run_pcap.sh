#!/bin/sh
# run_pcap.sh — IKE captures, all on one generated capture (BENCH_PACKETS, default 1 M) in one
# run, so that the ratios compare like with like:
#   decode alone       bench/pcap_bench.c (null sink, no database), best of 3: frames already
#                      in memory, and read from the file through libpcap
#   decode + insert    `ikemortem ingest -v`, its "reading inputs" phase: decode, the rows
#                      inserted, the exchanges paired and inserted (what issue 4 calls
#                      "decode + insert")
#   end to end         the same ingest's wall time: also the whole-database passes and the
#                      index builds; with its peak RSS
#   tshark             `tshark -T fields` with the IKE header fields (when installed), in
#                      turns with ikemortem, BENCH_PCAP_RUNS rounds (5): medians and bests
# and each ikemortem figure divided by tshark's. Figures are packets per second.
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

now_ns() { date +%s%N; }
rate_ns() { awk -v p="$PACKETS" -v ns="$1" 'BEGIN { printf "%.0f", p / (ns / 1e9) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

echo "bench: $FILE ($PACKETS packets, $(wc -c < "$FILE") bytes)"
"$OUT/pcap_bench" --no-tshark "$FILE" | tee "$OUT/pcap_bench.out"
decode=$(awk '$1 == "decode" { print $3 }' "$OUT/pcap_bench.out")
stream=$(awk '$1 == "stream" { print $3 }' "$OUT/pcap_bench.out")

# ikemortem and tshark take turns, RUNS rounds (default 5): this machine's speed drifts by a
# third from minute to minute (shared host), and rounds keep both tools under the same drift.
# Medians and bests (the run least disturbed) are both printed, each tool against the other.
RUNS=${BENCH_PCAP_RUNS:-5}
have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
wall="" reading="" tsh="" peak=0
for i in $(seq "$RUNS"); do
    rm -f "$OUT/pcap.db"
    t0=$(now_ns)
    "$BUILD/ikemortem" ingest -v --db "$OUT/pcap.db" "$FILE" > /dev/null 2> "$OUT/ingest-v.out"
    wall="$wall $(( $(now_ns) - t0 ))"
    reading="$reading $(awk '/^time: reading inputs/ { printf "%.0f", $4 * 1e9 }' "$OUT/ingest-v.out")"
    # per round: the reading phase, the row writer thread's CPU and the rest of the phase's
    # CPU (the parser thread and, past 4 MiB, the hasher's), to tell what bounded it
    round=$(awk '/^time: reading inputs/ { w = $4; c = $7 } /row writer thread/ { t = $(NF - 1) }
                 END { printf "reading %.3f s, parser + hasher %.3f s CPU, writer %.3f s CPU", w, c - t, t }' \
                "$OUT/ingest-v.out")
    p=$(awk '/peak memory/ { m = $(NF - 1) } END { print m + 0 }' "$OUT/ingest-v.out")
    [ "$p" -gt "$peak" ] && peak=$p
    if [ $have_tshark = 1 ]; then
        t0=$(now_ns)
        tshark -r "$FILE" -Y isakmp -T fields -e frame.number -e frame.time_epoch -e ip.src -e ip.dst \
            -e udp.srcport -e udp.dstport -e isakmp.ispi -e isakmp.rspi -e isakmp.version \
            -e isakmp.exchangetype -e isakmp.flags -e isakmp.messageid -e isakmp.length > /dev/null 2>&1
        tsh="$tsh $(( $(now_ns) - t0 ))"
        round="$round; tshark $(awk -v ns="${tsh##* }" 'BEGIN { printf "%.2f", ns / 1e9 }') s"
    fi
    echo "round $i: $round"
done
median() { for t in "$@"; do echo "$t"; done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { for t in "$@"; do echo "$t"; done | sort -n | head -1; }
# shellcheck disable=SC2086 # word lists on purpose
insert=$(rate_ns "$(median $reading)") insert_best=$(rate_ns "$(best $reading)")
# shellcheck disable=SC2086
ingest=$(rate_ns "$(median $wall)") ingest_best=$(rate_ns "$(best $wall)")
rows=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"select count(*) from ike_messages where origin='pcap'\").fetchone()[0], c.execute(\"select count(*) from exchanges where origin='pcap'\").fetchone()[0])" "$OUT/pcap.db")
echo "decode alone:                               $decode packets/s  (frames in memory; from the file: $stream)"
echo "decode + insert (ingest, reading phase):    $insert packets/s median of $RUNS, best $insert_best"
echo "end to end (ingest, + passes and indexes):  $ingest packets/s median of $RUNS, best $ingest_best; peak RSS $peak MiB"
echo "rows: $rows (IKE messages, exchanges)"
if [ $have_tshark = 1 ]; then
    # shellcheck disable=SC2086
    tshark=$(rate_ns "$(median $tsh)") tshark_best=$(rate_ns "$(best $tsh)")
    echo "tshark -T fields:                           $tshark packets/s median of $RUNS, best $tshark_best"
    echo "ratios to tshark (medians): decode $(ratio "$decode" "$tshark")x, decode + insert $(ratio "$insert" "$tshark")x, end to end $(ratio "$ingest" "$tshark")x"
    echo "ratios to tshark (bests):   decode + insert $(ratio "$insert_best" "$tshark_best")x, end to end $(ratio "$ingest_best" "$tshark_best")x"
else
    echo "tshark is not installed: no ratios (apt-get install tshark to have them)"
fi
echo "issue 4 targets: decode >= 5000000 packets/s; decode + insert >= 800000 packets/s and >= 15x tshark"
