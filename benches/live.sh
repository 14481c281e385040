#!/usr/bin/env bash
# Live capture at increasing rates: tcpreplay sends a generated capture over
# a veth pair (from a network namespace) while `tlssniff -i` captures on the
# host end; prints, for each rate, what was offered, what tlssniff received
# and analysed, and what libpcap says was dropped.
#
#   sudo benches/live.sh [CAPTURE] [RATES...]
#
# CAPTURE defaults to a 200 MB capture made with tlssniff-gen; RATES are
# tcpreplay --mbps values, or `top` for --topspeed (default: 100 250 500
# 1000 2000 top). Needs root, iproute2, tcpreplay (apt-get install
# tcpreplay) and a build with the `live` feature.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "live.sh needs root (namespaces, raw capture)" >&2; exit 2; }
command -v tcpreplay >/dev/null || { echo "apt-get install tcpreplay" >&2; exit 2; }
cargo build --release --features live --quiet
BIN=target/release/tlssniff
CAP=${1:-}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(100 250 500 1000 2000 top)
WORK=$(mktemp -d)
NS=tsl-livebench
HOST_IF=tslb0
NS_IF=tslb1
SNIFF_PID=
cleanup() {
    [ -n "$SNIFF_PID" ] && kill "$SNIFF_PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "$CAP" ]; then
    CAP=$WORK/replay.pcap
    target/release/tlssniff-gen --size-mb 200 -o "$CAP" 2>/dev/null
fi

# Guard routes before any traffic: the replayed addresses (10.66/16, 10.77/16
# and fd66::/16 from tlssniff-gen) can never leave through the default route.
# (A host without IPv6 refuses the last one and has nothing to guard.)
ip route replace unreachable 10.66.0.0/16 metric 4000
ip route replace unreachable 10.77.0.0/16 metric 4000
if [ -e /proc/net/if_inet6 ]; then ip -6 route replace unreachable fd66::/16 metric 4000; fi
ip netns del "$NS" 2>/dev/null || true
ip link del "$HOST_IF" 2>/dev/null || true
ip netns add "$NS"
ip link add "$HOST_IF" type veth peer name "$NS_IF"
ip link set "$NS_IF" netns "$NS"
ip addr add 10.66.250.1/30 dev "$HOST_IF"
ip link set "$HOST_IF" up
ip netns exec "$NS" ip addr add 10.66.250.2/30 dev "$NS_IF"
ip netns exec "$NS" ip link set "$NS_IF" up
ethtool -K "$HOST_IF" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$NS" ethtool -K "$NS_IF" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
ip route get 10.66.250.2 | grep -q "$HOST_IF" || { echo "10.66.250.2 does not go through $HOST_IF" >&2; exit 1; }
# The replayed frames are addressed to other MACs: the host's stack drops
# them (not for this host; no forwarding); libpcap still sees them.

EXPECTED=$("$BIN" --threads 1 --format summary-json "$CAP" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])')
PACKETS=$("$BIN" bench --floor "$CAP" | sed -n 's/floor: \([0-9]*\) packets.*/\1/p')
echo "capture: $CAP ($PACKETS packets, $EXPECTED TLS connections); $(nproc) cores"
printf "%-8s %12s %12s %12s %12s %10s %10s %12s\n" rate offered_pps sent received analysed kernel_drop if_drop connections
for rate in "${RATES[@]}"; do
    "$BIN" -i "$HOST_IF" -q --format summary-json -o "$WORK/summary.json" 2>"$WORK/sniff.err" &
    SNIFF_PID=$!
    for _ in $(seq 100); do grep -q "capturing on" "$WORK/sniff.err" && break; sleep 0.05; done
    if [ "$rate" = top ]; then speed=(--topspeed); else speed=(--mbps "$rate"); fi
    ip netns exec "$NS" tcpreplay -i "$NS_IF" "${speed[@]}" "$CAP" >"$WORK/replay.out" 2>&1
    sleep 1
    kill -INT "$SNIFF_PID"
    wait "$SNIFF_PID" || true
    SNIFF_PID=
    sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$WORK/replay.out" | head -1)
    pps=$(sed -n 's/.*Rated: [0-9.]* Bps, [0-9.]* Mbps, \([0-9.]*\) pps.*/\1/p' "$WORK/replay.out" | head -1)
    python3 - "$WORK/summary.json" "$rate" "${pps:-?}" "${sent:-?}" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
c = s["capture"]
i = c["interfaces"][0] if c["interfaces"] else {}
print("%-8s %12s %12s %12s %12s %10s %10s %12s" % (
    sys.argv[2], sys.argv[3], sys.argv[4], i.get("received", "?"), c["packets"],
    i.get("dropped_by_kernel", "?"), i.get("dropped_by_interface", "?"), s["connections"]))
EOF
done
echo "received/kernel_drop/if_drop: libpcap's counters; analysed: packets tlssniff read; connections: TLS connections found (all $EXPECTED when nothing was lost)"
