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
157.240.224.35:443 inside VXLAN. The Fiddler archives: one record per
CONNECT tunnel in truth/, with the client, process, SNI, printed
supported_versions, suites and the server's version (TLS 1.3 inferred) or,
decrypting, Fiddler's upstream kept apart. Prints every check;
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

import re


def truth_rows(name):
    rows = []
    with open(os.path.join(CORPUS, "truth", name)) as f:
        for line in f:
            if line.startswith("#") or "|" not in line:
                continue
            rows.append([c.strip() for c in line.split("|")])
    return rows


for saz in ("fiddler-chrome85-tunnels.saz", "fiddler-postman-decrypting.saz"):
    rows = truth_rows(saz.replace(".saz", ".txt"))
    out = run("--format", "jsonl", os.path.join(CAPS, saz))
    recs = {r["fiddler"]["session"]: r for r in map(json.loads, out.stdout.splitlines())}
    check(f"{saz}: read, one record per CONNECT tunnel ({len(rows)})",
          out.returncode == 0 and len(recs) == len(rows), (out.returncode, len(recs), out.stderr[:200]))
    for sid, target, client, ch_text, sh_text, _flags in rows:
        r = recs.get(int(sid))
        if r is None:
            check(f"{saz} #{sid}: has a record", False, "missing")
            continue
        ch = r["client_hello"]
        ip_port, proc = client.split()
        ip, port = ip_port.rsplit(":", 1)
        name, pid = proc.rsplit(":", 1)
        f = r["fiddler"]
        check(f"{saz} #{sid}: client {ip_port} {proc}, {target.split()[1]}",
              (r["client"], f["process"], f["pid"], f["connect"]) ==
              ({"ip": ip, "port": int(port)}, name, int(pid), target.split()[1]),
              (r["client"], f["process"], f["pid"], f["connect"]))
        sni = re.search(r"sni=(\S+)", ch_text).group(1)
        versions = re.search(r"supported_versions=\[(.*)\] sni=", ch_text).group(1)
        printed = [v.strip().replace("Tls", "TLS ") for v in versions.split(",") if "grease" not in v]
        n = int(re.search(r"ciphers=(\d+)", ch_text).group(1))
        grease_suite = "grease" in versions  # Chrome lists one GREASE suite too
        check(f"{saz} #{sid}: legacy TLS 1.2, SNI {sni}, supported_versions as printed, marked cut, max TLS 1.3",
              (ch["legacy_version"], ch["sni"], ch["supported_versions"], f["supported_versions_cut"], ch["max_version"])
              == ("TLS 1.2", sni, printed, True, "TLS 1.3"),
              (ch["legacy_version"], ch["sni"], ch["supported_versions"], ch["max_version"]))
        check(f"{saz} #{sid}: {n} suites listed (GREASE removed), 3DES offered = {'3DES' in ch_text}",
              len(ch["cipher_suites"]) == n - (1 if grease_suite else 0) and r["offers_3des"] == ("3DES" in ch_text),
              (len(ch["cipher_suites"]), r["offers_3des"]))
        if "decrypting" in sh_text:
            up = f["upstream"] or {}
            check(f"{saz} #{sid}: decrypting — Fiddler's upstream kept apart, no negotiated version",
                  (r["outcome"], r["server_hello_from"], r["version"], r["server_hello"], up.get("version"), up.get("cipher"))
                  == ("intercepted", "fiddler upstream", None, None, "TLS 1.2", "Aes256 256bits"),
                  (r["outcome"], r["server_hello_from"], r["version"], up))
        else:
            cipher, code = re.search(r"Cipher=(\S+) \[0x([0-9A-Fa-f]{4})\]", sh_text).groups()
            want = "TLS 1.3" if code.startswith("13") else "TLS 1.2"
            check(f"{saz} #{sid}: server {want} {cipher} (TLS 1.3 inferred from the 3.3 Version line)",
                  (r["version"], r["cipher"], r["server_hello_from"], r["outcome"]) == (want, cipher, "server", "not_logged"),
                  (r["version"], r["cipher"], r["server_hello_from"], r["outcome"]))

print("failed:", failed)
sys.exit(1 if failed else 0)
