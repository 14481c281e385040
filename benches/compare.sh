#!/usr/bin/env bash
# Compares, on one capture, the floor probe (walk records, decode headers,
# hash flows), tlssniff with one thread and with the default threads, and
# tshark; prints packets/s and the ratios, and checks that tlssniff found as
# many ClientHello messages as tshark.
#
#   benches/compare.sh FILE [RUNS]
#
# Make a realistic ~1 GB capture first:
#   cargo build --release
#   target/release/tlssniff-gen --size-mb 1000 -o /tmp/bulk.pcap
#   target/release/tlssniff-gen --handshake-only --connections 300000 -o /tmp/hs.pcap
#
# Each tlssniff measurement is the fastest of RUNS runs (default 5; the file
# is read once first so that every run reads it from the page cache). tshark
# runs once, with the command of the issue plus `-e tls.handshake.type` to
# count ClientHellos, and with TLS decoded on the fixtures' other server
# ports (4433, 8443, 9443, 10443): without that, tshark's heuristics leave a
# few streams on 4433 undissected (17 of 309,745 ClientHellos on a
# generated handshake-only capture), which `-d tcp.port==4433,tls` shows are
# ordinary ClientHellos.
set -euo pipefail
FILE=${1:?usage: benches/compare.sh FILE [RUNS]}
RUNS=${2:-5}
cd "$(dirname "$0")/.."
BIN=target/release/tlssniff
[ -x "$BIN" ] || cargo build --release --quiet
command -v tshark >/dev/null || { echo "tshark is needed (apt-get install tshark)" >&2; exit 2; }

cat "$FILE" > /dev/null
best() { # best time in seconds over RUNS runs of a command printing "... in T s ..."
    local t best=
    for _ in $(seq "$RUNS"); do
        t=$("$@" 2>&1 | sed -n 's/.* in \([0-9.]*\) s.*/\1/p' | head -1)
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}

PACKETS=$("$BIN" bench --floor "$FILE" | sed -n 's/floor: \([0-9]*\) packets.*/\1/p')
THREADS=$(nproc)
FLOOR=$(best "$BIN" bench --floor "$FILE")
ONE=$(best "$BIN" bench --threads 1 "$FILE")
DEF=$(best "$BIN" bench "$FILE")
HELLOS=$("$BIN" bench --threads 1 "$FILE" 2>&1 | sed -n 's/.* \([0-9]*\) ClientHello messages.*/\1/p')

TSHARK_OUT=$(mktemp)
trap 'rm -f "$TSHARK_OUT"' EXIT
START=$(date +%s.%N)
tshark -r "$FILE" -d tcp.port==4433,tls -d tcp.port==8443,tls -d tcp.port==9443,tls \
    -d tcp.port==10443,tls -Y 'tls.handshake.type==1||tls.handshake.type==2' -T fields \
    -e ip.src -e tls.handshake.version -e tls.handshake.extensions.supported_version \
    -e tls.handshake.ciphersuite -e tls.handshake.type > "$TSHARK_OUT" 2>/dev/null
END=$(date +%s.%N)
TSHARK=$(awk "BEGIN{printf \"%.3f\", $END - $START}")
# The last field lists the handshake types of each frame, comma-separated.
TSHARK_HELLOS=$(awk -F'\t' '{n=split($NF,t,","); for(i=1;i<=n;i++) if(t[i]=="1") c++} END{print c+0}' "$TSHARK_OUT")

rate() { awk "BEGIN{printf \"%.0f\", $PACKETS / $1}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
echo "capture: $FILE ($PACKETS packets, $(du -m "$FILE" | cut -f1) MB); best of $RUNS runs; $(nproc) cores"
printf "%-28s %10s %14s %18s\n" "" "seconds" "packets/s" "time / floor"
printf "%-28s %10s %14s %18s\n" "floor probe" "$FLOOR" "$(rate "$FLOOR")" "1.00"
printf "%-28s %10s %14s %18s\n" "tlssniff --threads 1" "$ONE" "$(rate "$ONE")" "$(ratio "$ONE" "$FLOOR")"
printf "%-28s %10s %14s %18s\n" "tlssniff ($THREADS threads)" "$DEF" "$(rate "$DEF")" "$(ratio "$DEF" "$FLOOR")"
printf "%-28s %10s %14s %18s\n" "tshark" "$TSHARK" "$(rate "$TSHARK")" "$(ratio "$TSHARK" "$FLOOR")"
echo "tlssniff --threads 1 vs floor: $(ratio "$ONE" "$FLOOR")x the time ($(awk "BEGIN{printf \"%.0f\", 100 * $FLOOR / $ONE}") % of its packets/s)"
echo "default threads vs 1 thread:   $(ratio "$ONE" "$DEF")x the throughput"
echo "tlssniff vs tshark:            $(ratio "$TSHARK" "$DEF")x tshark's packets/s (1 thread: $(ratio "$TSHARK" "$ONE")x)"
if [ "$HELLOS" = "$TSHARK_HELLOS" ]; then
    echo "ClientHellos: tlssniff $HELLOS, tshark $TSHARK_HELLOS: same"
else
    echo "ClientHellos: tlssniff $HELLOS, tshark $TSHARK_HELLOS: DIFFERENT"
    exit 1
fi
