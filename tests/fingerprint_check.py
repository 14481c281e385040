#!/usr/bin/env python3
"""Checks tlssniff's fingerprints against independent truth (needs tshark 4.x).

  tests/fingerprint_check.py [TLSSNIFF] [CAPTURE ...]

JA3 and JA3S: tshark's own tls.handshake.ja3 / ja3s, per connection, on the
fixtures (and the shared corpus beside the clone, when it is there);
SQL Server fixtures on dynamic ports are decoded as TDS. JA4 and JA4_r:
FoxIO's published values in ../shared/corpus/truth/ja4.tsv (the first
ClientHello of each stream). Community ID: tshark's own (its communityid
post-dissector) on each TCP connection's ClientHello packet. Prints what was compared and every
disagreement; exits 1 on any.
"""
import json, subprocess, sys, glob, os
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "tlssniff")
tot = ok = 0; bad = []
cid_tot = cid_ok = 0
for cap in sys.argv[2:] or sorted(glob.glob(os.path.join(ROOT, "fixtures", "*.pcap*")) + glob.glob(os.path.join(CORPUS, "captures", "*.pcap*"))):
    if cap.endswith((".gz", ".zst")): continue
    base = os.path.basename(cap)
    dec = []
    if "tds" in base:
        for p in (49733, 1434, 14330): dec += ["-d", f"tcp.port=={p},tds"]
    out = subprocess.run(["tshark", "-r", cap, "-n", "--enable-protocol", "communityid"] + dec + ["-o", "tls.desegment_ssl_records:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE",
        "-Y", "tls.handshake.type==1 || tls.handshake.type==2", "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
        "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tls.handshake.type", "-e", "tls.handshake.ja3", "-e", "tls.handshake.ja3s",
        "-e", "communityid"],
        capture_output=True, text=True).stdout
    truth = {}
    for line in out.splitlines():
        f = line.split("\t")
        src = f[0] or f[1]; dst = f[3] or f[4]
        types = f[6].split(","); ja3 = f[7].split(",")[0] if f[7] else ""; ja3s = f[8].split(",")[0] if f[8] else ""
        if "1" in types and ja3:
            truth.setdefault(("c", src, f[2], dst, f[5]), ja3)
        if "1" in types and f[9]:
            # Tunnels: tshark lists outer and inner addresses; the inner
            # ones are the connection's.
            inner = (src.split(",")[-1], f[2], dst.split(",")[-1], f[5])
            truth.setdefault(("id",) + inner, f[9].split(",")[-1])
        if "2" in types and ja3s:
            truth.setdefault(("s", dst, f[5], src, f[2]), ja3s)
    recs = subprocess.run([BIN, "-q", "--format", "jsonl", cap], capture_output=True, text=True).stdout
    for l in recs.splitlines():
        r = json.loads(l)
        k = (r["client"]["ip"], str(r["client"]["port"]), r["server"]["ip"], str(r["server"]["port"]))
        t = truth.get(("id",) + k)
        if t is not None:
            cid_tot += 1
            if r["community_id"] == t: cid_ok += 1
            else: bad.append((base, "community_id", k, t, r["community_id"], None))
        for kind, field in (("c", "ja3"), ("s", "ja3s")):
            t = truth.get((kind,) + k)
            if t is None: continue
            tot += 1
            if r[field] == t: ok += 1
            else: bad.append((base, kind, k, t, r[field], (r["client_hello"] or {}).get("partial")))
print("ja3/ja3s: compared", tot, "agree", ok)
print("community_id: compared", cid_tot, "agree", cid_ok)
for b in bad: print("DIFF", b)
ja4_truth = os.path.join(CORPUS, "truth", "ja4.tsv")
ja4_bad = 0
if os.path.exists(ja4_truth):
    rows = [l.rstrip("\n").split("\t") for l in open(ja4_truth) if not l.startswith("#") and l.strip()]
    ours = {}
    for c in sorted({r[0] for r in rows}):
        out = subprocess.run([BIN, "-q", "--format", "jsonl", os.path.join(CORPUS, "captures", c)],
                             capture_output=True, text=True).stdout
        for l in out.splitlines():
            r = json.loads(l)
            ours[(c, r["client"]["ip"], str(r["client"]["port"]))] = r
    n = 0
    for cap, stream, src_ip, sport, dst, dport, field, value in rows:
        r = ours.get((cap, src_ip, sport))
        if r is None or not field.endswith(".1"):
            continue
        n += 1
        got = r["ja4" if field.startswith("JA4.") else "ja4_r"]
        if got != value:
            ja4_bad += 1
            print("DIFF ja4", cap, src_ip, sport, field, value, got)
    print("ja4/ja4_r: compared", n, "agree", n - ja4_bad)
sys.exit(1 if bad or ja4_bad else 0)
