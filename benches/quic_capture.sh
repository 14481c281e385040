#!/usr/bin/env bash
# benches/quic_capture.sh OUT.pcap [CONNECTIONS]: a QUIC-heavy capture for
# `tlssniff bench`, made with aioquic (pip install aioquic): an echo server
# in a network namespace and a client on the host end of a veth pair,
# CONNECTIONS (default 2000) QUIC v1 handshakes one after the other, each
# with one echoed stream; captured with tcpdump on the veth. Run as root.
# The README's QUIC benchmark figure comes from this (its command line).
set -euo pipefail
OUT=${1:?usage: quic_capture.sh OUT.pcap [CONNECTIONS]}
N=${2:-2000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
NS=tsl-quicbench HOST_IF=tslq0 NS_IF=tslq1
WORK=$(mktemp -d)
SRV= CAP=
cleanup() {
    [ -n "$CAP" ] && kill -INT "$CAP" 2>/dev/null && sleep 0.5 || true
    [ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip link del "$HOST_IF" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# Guard routes first: nothing for 10.66/16 (or fd66::/16) may leave the host.
ip route replace unreachable 10.66.0.0/16 metric 4000
if [ -e /proc/net/if_inet6 ]; then ip -6 route replace unreachable fd66::/16 metric 4000; fi
ip netns del "$NS" 2>/dev/null || true
ip link del "$HOST_IF" 2>/dev/null || true
ip netns add "$NS"
ip link add "$HOST_IF" type veth peer name "$NS_IF"
ip link set "$NS_IF" netns "$NS"
ip addr add 10.66.251.1/30 dev "$HOST_IF"
ip link set "$HOST_IF" up
ip netns exec "$NS" ip addr add 10.66.251.2/30 dev "$NS_IF"
ip netns exec "$NS" ip link set "$NS_IF" up
ip netns exec "$NS" ip link set lo up
ip route get 10.66.251.2 | grep -q "$HOST_IF" || { echo "10.66.251.2 does not go through $HOST_IF" >&2; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -subj /CN=quicbench.test -days 2 >/dev/null 2>&1
ip netns exec "$NS" python3 "$HERE/fixtures/gen/quic_peer.py" server 10.66.251.2 443 \
    "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/server.log" 2>&1 &
SRV=$!
for _ in $(seq 100); do grep -q listening "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
tcpdump -n -U -i "$HOST_IF" -w "$OUT" udp >"$WORK/tcpdump.log" 2>&1 &
CAP=$!
sleep 1
python3 "$HERE/fixtures/gen/quic_peer.py" client 10.66.251.2 443 quicbench.test --count "$N" \
    >"$WORK/client.log" 2>&1
sleep 1
kill -INT "$CAP"; wait "$CAP" 2>/dev/null || true; CAP=
echo "$OUT: $(grep -c echo "$WORK/client.log") connections"
