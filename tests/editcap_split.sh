#!/usr/bin/env bash
# Rotated capture sets, made by the real tool: every fixture capture split
# with `editcap -c N` (N = 1, 2, 5 packets per file) must give exactly the
# jsonl of the unsplit capture (tlssniff joins files that continue each
# other). Needs editcap (Debian: wireshark-common) and a tlssniff binary.
#
#   tests/editcap_split.sh [target/release/tlssniff]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/tlssniff}
command -v editcap >/dev/null || { echo "editcap_split: editcap not found" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tlssniff-editcap.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
checked=0 failed=0
for cap in fixtures/*.pcap fixtures/*.pcapng; do
  whole=$("$BIN" -q --format jsonl "$cap" 2>/dev/null)
  for n in 1 2 5; do
    dir=$WORK/$(basename "$cap")-$n
    mkdir -p "$dir"
    editcap -c "$n" "$cap" "$dir/part.${cap##*.}" >/dev/null
    # editcap numbers the parts part_00000_..., part_00001_...: the glob's
    # order is theirs
    parts=$("$BIN" -q --format jsonl "$dir"/part_* 2>/dev/null)
    if [ "$parts" != "$whole" ]; then
      echo "editcap_split: $cap split every $n packets differs from the whole:"
      diff <(printf '%s\n' "$whole") <(printf '%s\n' "$parts") | head -5
      failed=$((failed + 1))
    fi
    checked=$((checked + 1))
  done
done
echo "editcap_split: $checked splits of $(ls fixtures/*.pcap fixtures/*.pcapng | wc -l) captures, $failed differ"
[ "$failed" = 0 ]
