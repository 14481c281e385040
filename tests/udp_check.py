#!/usr/bin/env python3
"""Checks tlssniff's QUIC and DTLS records against tshark's view of the same captures
(stdlib only; tshark for the fixtures).

  tests/udp_check.py [TLSSNIFF]

Sources of truth: ../shared/corpus/truth/udp-*.json (tshark 4.0.17, its own
format), ../shared/corpus-udp/truth/*.txt (tshark fields, one line per
hello), and for fixtures/quic-*.pcap and the TCP corpus captures that also
carry QUIC, tshark run here with the same fields.
Per QUIC and DTLS connection (by client address and port): the transport,
the QUIC version, SNI, the offered cipher suites (codes, GREASE removed),
the negotiated version and cipher. Exits 1 on a mismatch.
"""
import glob, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "tlssniff")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
FIELDS = ["frame.number", "frame.protocols", "ip.src", "ipv6.src", "tcp.srcport", "udp.srcport",
          "tcp.stream", "udp.stream", "quic.version", "tls.record.version", "tls.handshake.type",
          "tls.handshake.version", "tls.handshake.extensions.supported_version",
          "tls.handshake.ciphersuite", "tls.handshake.extensions_server_name",
          "dtls.record.version", "dtls.handshake.type", "dtls.handshake.version",
          "dtls.handshake.extensions.supported_version", "dtls.handshake.ciphersuite",
          "dtls.handshake.extensions_server_name"]
failed = 0


def check(what, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "  (" + str(detail) + ")"))
    failed += 0 if ok else 1


def quic_name(v):
    v = int(v, 16)
    return {1: "1", 0x6b3343cf: "2"}.get(v, "draft-%d" % (v & 0xff) if v >> 8 == 0xff0000 else "0x%08x" % v)


def version_name(code):
    return {0x0304: "TLS 1.3", 0x0303: "TLS 1.2", 0xfeff: "DTLS 1.0", 0xfefd: "DTLS 1.2",
            0xfefc: "DTLS 1.3", 0x0100: "DTLS 0x0100"}.get(code, "0x%04x" % code)


def from_fields(lines):
    """Connections from tshark field lines: by udp.stream, the first
    ClientHello and the first ServerHello."""
    header, conns = None, {}
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\n").split("\t")
        if header is None:
            header = cols
            continue
        row = dict(zip(header, cols + [""] * (len(header) - len(cols))))
        dtls = "dtls" in row["frame.protocols"]
        if not dtls and not row.get("quic.version"):
            continue
        p = "dtls." if dtls else "tls."
        types = row[p + "handshake.type"].split(",")
        # inside a tunnel tshark lists every layer's field, outermost
        # first: the connection is the innermost
        inner = lambda f: row[f].split(",")[-1]
        c = conns.setdefault(inner("udp.stream"), {})
        if "1" in types and "client" not in c:
            c["client"] = (inner("ip.src") or inner("ipv6.src"), int(inner("udp.srcport")))
            c["quic"] = None if dtls else quic_name(row["quic.version"].split(",")[0])
            c["transport"] = "dtls" if dtls else "quic"
            c["sni"] = row[p + "handshake.extensions_server_name"] or None
            c["ciphers"] = [int(x, 16) for x in row[p + "handshake.ciphersuite"].split(",") if x]
        elif "2" in types and "cipher" not in c:
            sv = [x for x in row[p + "handshake.extensions.supported_version"].split(",") if x]
            v = sv[0] if sv else row[p + "handshake.version"].split(",")[0]
            c["version"] = version_name(int(v, 16))
            c["cipher"] = int(row[p + "handshake.ciphersuite"].split(",")[0], 16)
    return [c for c in conns.values() if "client" in c]


def from_json(path):
    out = []
    for c in json.load(open(path))["udp_connections"]:
        dtls = c["transport"] == "dtls"
        out.append({"client": (c["client"]["ip"], c["client"]["port"]), "transport": c["transport"],
                    "quic": None if dtls else quic_name(c["quic_versions"][0]), "sni": c["sni"],
                    "ciphers": [int(x, 16) for x in c["offered_ciphers"]],
                    "version": c["negotiated_version"], "cipher": int(c["cipher"], 16) if c["cipher"] else None})
    return out


def tshark_fields(cap):
    cmd = ["tshark", "-r", cap, "-n", "-Y", "tls.handshake.type==1||tls.handshake.type==2||"
           "dtls.handshake.type==1||dtls.handshake.type==2",
           "-T", "fields", "-E", "header=y"] + sum((["-e", f] for f in FIELDS), [])
    return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()


def ours(cap):
    out = subprocess.run([BIN, "-q", "--format", "jsonl", cap], capture_output=True, text=True).stdout
    recs = {}
    for r in map(json.loads, out.splitlines()):
        if r.get("transport") in ("quic", "dtls"):
            recs[(r["client"]["ip"], r["client"]["port"])] = r
    return recs


def compare(name, truth, recs):
    check("%s: %d UDP connections" % (name, len(truth)), len(recs) == len(truth), (len(recs), len(truth)))
    for t in truth:
        r = recs.get(t["client"])
        if r is None:
            check("%s %s:%d: a record" % (name, *t["client"]), False, "missing")
            continue
        ch = r["client_hello"] or {}
        want = dict(t, version=t.get("version"), cipher=t.get("cipher"))
        got = {"transport": r["transport"], "quic": (r.get("quic") or {}).get("version"),
               "sni": ch.get("sni"), "version": r["version"],
               # GREASE removed, as tlssniff removes it
               "ciphers": [suite_code(n) for n in ch.get("cipher_suites", [])]}
        want["ciphers"] = [c for c in t["ciphers"] if (c & 0x0f0f) != 0x0a0a or (c >> 8) != (c & 0xff)]
        ok = all(got[k] == want[k] for k in ("transport", "quic", "sni", "version", "ciphers")) and \
            (want["cipher"] is None or suite_code(r["cipher"]) == want["cipher"])
        check("%s %s:%d: %s %s, SNI %s, %d suites, %s %s" % (
            name, *t["client"], want["transport"], want["quic"] or "", want["sni"], len(want["ciphers"]),
            want["version"], r["cipher"]), ok, ({k: got[k] for k in got if got[k] != want.get(k)},
                                                 {k: want.get(k) for k in got if got[k] != want.get(k)}))


SUITES = {"TLS_AES_128_GCM_SHA256": 0x1301, "TLS_AES_256_GCM_SHA384": 0x1302,
          "TLS_CHACHA20_POLY1305_SHA256": 0x1303, "TLS_AES_128_CCM_SHA256": 0x1304,
          "TLS_AES_128_CCM_8_SHA256": 0x1305, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV": 0x00ff}


def suite_code(name):
    """A suite name's code, through tlssniff's own IANA table: names and
    codes map one to one, so what is compared is the code tlssniff read."""
    if name is None:
        return None
    if name.startswith("0x"):
        return int(name, 16)
    return SUITE_CODES.get(name, SUITES.get(name))


def tshark_suites():
    """IANA names to codes from src/tls/suites.rs."""
    codes = {}
    path = os.path.join(ROOT, "src", "tls", "suites.rs")
    import re
    for m in re.finditer(r'0x([0-9a-fA-F]{4})\s*=>\s*"([A-Za-z0-9_]+)"', open(path).read()):
        codes[m.group(2)] = int(m.group(1), 16)
    for m in re.finditer(r'\(0x([0-9a-fA-F]{4}),\s*"([A-Za-z0-9_]+)"', open(path).read()):
        codes[m.group(2)] = int(m.group(1), 16)
    return codes


SUITE_CODES = {}


def main():
    SUITE_CODES.update(tshark_suites())
    for path in sorted(glob.glob(os.path.join(SHARED, "corpus", "truth", "udp-*.json"))):
        cap = os.path.join(SHARED, "corpus", "captures", os.path.basename(path)[:-5] + ".pcap")
        compare(os.path.basename(cap), from_json(path), ours(cap))
    for path in sorted(glob.glob(os.path.join(SHARED, "corpus-udp", "truth", "*.txt"))):
        base = os.path.basename(path)[:-4]
        cap = next(iter(glob.glob(os.path.join(SHARED, "corpus-udp", "captures", base + ".*"))), None)
        compare(base, from_fields(open(path).read().splitlines()), ours(cap))
    # The fixtures, and the TCP corpus captures that also carry QUIC (their
    # TCP truth leaves it out): tshark here.
    tcp_corpus = [c for c in sorted(glob.glob(os.path.join(SHARED, "corpus", "captures", "*")))
                  if not os.path.basename(c).startswith("udp-")]
    fixtures = sorted(glob.glob(os.path.join(ROOT, "fixtures", "quic-*.pcap")) +
                      glob.glob(os.path.join(ROOT, "fixtures", "dtls*.pcap")))
    for cap in fixtures + tcp_corpus:
        truth = from_fields(tshark_fields(cap))
        if truth or cap.startswith(os.path.join(ROOT, "fixtures")):
            compare(os.path.basename(cap), truth, ours(cap))
    print("failed:", failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
