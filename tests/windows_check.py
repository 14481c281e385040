#!/usr/bin/env python3
"""Checks tlssniff on ../shared/corpus-windows against the facts its README and
truth/ list (stdlib only).

  tests/windows_check.py [TLSSNIFF] [CORPUS-WINDOWS-DIR]

pktmon-wifi-schannel-trunc128.pcapng: one connection 192.168.0.111:60624 ->
20.54.25.4:443 (not one per copy), TLS 1.2, established, the ClientHello cut
at 128 bytes (14 of 19 suites seen, partial), no "unknown link type 105",
every copy folded and counted (3,646 packets: 345 of them, 3,301 copies), and
a truncation warning naming pktmon's fix. vxlan-vlan-tls13.pcap: 2 TLS 1.3
connections (SNI facebook.com, www.facebook.com; 0x1303) 10.10.20.4 ->
157.240.224.35:443 inside VXLAN. The Fiddler archives are not read yet: each
must be refused with the Fiddler-specific message. Prints every check;
exits 1 on a failure (0 with a note when the corpus is not there).
"""
import json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "tlssniff")
CORPUS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(ROOT), "shared", "corpus-windows")
CAPS = os.path.join(CORPUS, "captures")
failed = 0


def check(what, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "  (" + str(detail) + ")"))
    failed += 0 if ok else 1


def run(*args):
    return subprocess.run([BIN, "-q"] + list(args), capture_output=True, text=True)


if not os.path.isdir(CAPS):
    print("no corpus at", CORPUS, "- nothing checked")
    sys.exit(0)

pk = os.path.join(CAPS, "pktmon-wifi-schannel-trunc128.pcapng")
recs = [json.loads(l) for l in run("--format", "jsonl", pk).stdout.splitlines()]
check("pktmon: one connection, not one per copy", len(recs) == 1, len(recs))
if recs:
    r = recs[0]
    check("pktmon: 192.168.0.111:60624 -> 20.54.25.4:443",
          (r["client"], r["server"]) == ({"ip": "192.168.0.111", "port": 60624}, {"ip": "20.54.25.4", "port": 443}),
          (r["client"], r["server"]))
    check("pktmon: TLS 1.2, established", (r["version"], r["outcome"]) == ("TLS 1.2", "established"),
          (r["version"], r["outcome"]))
    ch = r["client_hello"] or {}
    check("pktmon: ClientHello partial, 14 of 19 suites seen", ch.get("partial") is True and len(ch.get("cipher_suites", [])) == 14,
          (ch.get("partial"), len(ch.get("cipher_suites", []))))
s = json.loads(run("--format", "summary-json", pk).stdout)
skipped = s["capture"]["skipped"]
check("pktmon: no unknown link type", not any("link type" in k for k in skipped), skipped)
check("pktmon: 3,646 packets, 3,301 copies folded",
      s["capture"]["packets"] == 3646 and skipped.get("copy of an earlier packet (same packet id)") == 3301,
      (s["capture"]["packets"], skipped))
warnings = " ".join(s.get("warnings", []))
check("pktmon: the truncation warning names pktmon's fix", "pktmon start --capture --pkt-size 0" in warnings, warnings[:300])

vx = os.path.join(CAPS, "vxlan-vlan-tls13.pcap")
recs = [json.loads(l) for l in run("--format", "jsonl", vx).stdout.splitlines()]
check("vxlan: two connections", len(recs) == 2, len(recs))
check("vxlan: SNI facebook.com, www.facebook.com",
      sorted((r["client_hello"] or {}).get("sni") or "" for r in recs) == ["facebook.com", "www.facebook.com"],
      [(r["client_hello"] or {}).get("sni") for r in recs])
check("vxlan: TLS 1.3, TLS_CHACHA20_POLY1305_SHA256",
      all((r["version"], r["cipher"]) == ("TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256") for r in recs),
      [(r["version"], r["cipher"]) for r in recs])
check("vxlan: inner 10.10.20.4 -> 157.240.224.35:443, in a VXLAN tunnel",
      all(r["client"]["ip"] == "10.10.20.4" and r["server"] == {"ip": "157.240.224.35", "port": 443}
          and (r["tunnel"] or {}).get("type") == "vxlan" for r in recs),
      [(r["client"], r["server"], r["tunnel"]) for r in recs])

for saz in ("fiddler-chrome85-tunnels.saz", "fiddler-postman-decrypting.saz"):
    out = run(os.path.join(CAPS, saz))
    check(f"{saz}: refused with the Fiddler message (not read yet)",
          out.returncode == 2 and "Fiddler session archive" in out.stderr, out.stderr[:200])

print("failed:", failed)
sys.exit(1 if failed else 0)
