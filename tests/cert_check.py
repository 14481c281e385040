#!/usr/bin/env python3
"""Checks tlssniff's server-certificate facts against tshark's x509 fields (needs tshark 4.x).

  tests/cert_check.py [TLSSNIFF] [CAPTURE ...]

Per connection (matched by client ip/port, server ip/port), the leaf of the
server's first Certificate message (or of an SSL 2.0 SERVER-HELLO) as tshark decodes it (-T json
--no-duplicate-keys, the first certificate_tree entry) against tlssniff's
`certificate`: chain length, serial, subject and issuer commonName (the
first 2.5.4.3 attribute of the RDN sequence), notBefore/notAfter (UTC
seconds), the outer signatureAlgorithm OID, the SAN dNSName list in order,
the key type (SPKI algorithm OID), RSA modulus bits, the EC named curve and
the SHA-256 of the leaf DER (tshark's tls.handshake.certificate bytes).
Fixtures and, when it is there, the shared corpus beside the clone; SQL
Server fixtures on dynamic ports are decoded as TDS, and ports the truth
files name in tls_server_ports / tds_ports are decoded as they say.
tshark 4.0 takes a handshake message of 64 KiB or more for encrypted and
dissects no Certificate then (a long chain): for a connection where only
tlssniff has one, the chain (length, leaf SHA-256) is read from tshark's own
follow,tcp,raw bytes of the server's stream, and the leaf's fields from
tshark decoding that leaf re-wrapped alone in a one-packet capture.
A connection where only one side has a Certificate is a disagreement unless
tlssniff's record says why (TLS 1.3, a cut hello, a certificate it marks
partial or unreadable); those are listed separately. Client Certificates
are not compared. Prints what was compared and every disagreement; exits 1
on any.
"""
import calendar, glob, hashlib, json, os, re, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "tlssniff")
FIELDS = ["chain_length", "serial", "subject_cn", "issuer_cn", "not_before", "not_after",
          "signature_oid", "san_dns", "key_type", "key_bits", "key_curve", "sha256"]
KEY_TYPES = {"1.2.840.113549.1.1.1": "RSA", "1.2.840.113549.1.1.10": "RSA-PSS", "1.2.840.10045.2.1": "EC",
             "1.2.840.10040.4.1": "DSA", "1.3.101.112": "Ed25519", "1.3.101.113": "Ed448"}
# x509-parser's short names of named curves -> OID (tlssniff prints the OID when it has no name).
CURVES = {"prime256v1": "1.2.840.10045.3.1.7", "secp256r1": "1.2.840.10045.3.1.7", "prime192v1": "1.2.840.10045.3.1.1",
          "secp224r1": "1.3.132.0.33", "secp256k1": "1.3.132.0.10", "secp384r1": "1.3.132.0.34", "secp521r1": "1.3.132.0.35",
          "brainpoolP256r1": "1.3.36.3.3.2.8.1.1.7", "brainpoolP384r1": "1.3.36.3.3.2.8.1.1.11",
          "brainpoolP512r1": "1.3.36.3.3.2.8.1.1.13"}


def as_list(v):
    return [] if v is None else v if isinstance(v, list) else [v]


def walk(o):
    """Every dict inside o, depth first, in document order."""
    if isinstance(o, dict):
        yield o
        for v in o.values(): yield from walk(v)
    elif isinstance(o, list):
        for v in o: yield from walk(v)


def values(o, key):
    """Every value of key inside o, in document order."""
    return [v for d in walk(o) for v in as_list(d.get(key))]


def first(o, key):
    v = values(o, key)
    return v[0] if v else None


def unhex(s):
    return bytes.fromhex(s.replace(":", ""))


def cn(name_tree):
    """The first commonName of an RDN sequence (x509-parser's iter_common_name order)."""
    for attr in values(name_tree, "x509if.RelativeDistinguishedName_item_element"):
        if not isinstance(attr, dict): continue
        if (attr.get("x509if.oid") or attr.get("x509if.id")) != "2.5.4.3": continue
        ds = attr.get("x509sat.DirectoryString_tree")
        if isinstance(ds, dict):
            for k, v in ds.items():
                if k.startswith("x509sat.") and isinstance(v, str): return v
        for k, v in attr.items():   # a CN encoded outside DirectoryString
            if k.startswith("x509sat.") and k.endswith("String") and isinstance(v, str): return v
        return None
    return None


def tshark_time(tree):
    """UTC seconds of a notBefore_tree / notAfter_tree."""
    if not isinstance(tree, dict): return None
    if "x509af.utcTime" in tree:              # 2021-01-01 00:00:00 (UTC)
        m = re.match(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)", tree["x509af.utcTime"])
        if not m: return None
        return calendar.timegm(tuple(int(x) for x in m.groups()))
    if "x509af.generalizedTime" in tree:      # Jan  1, 2060 00:00:00.000000000 UTC
        m = re.match(r"([A-Z][a-z]{2}) +(\d+), (\d+) (\d\d):(\d\d):(\d\d)", tree["x509af.generalizedTime"])
        if not m: return None
        mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].index(m[1]) + 1
        return calendar.timegm((int(m[3]), mon, int(m[2]), int(m[4]), int(m[5]), int(m[6])))
    return None


def iso_time(s):
    return None if s is None else calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def tshark_leaf(certs):
    """Facts of the first certificate of a tls.handshake.certificates dict; None = tshark did not show it."""
    f = {"chain_length": len(as_list(certs.get("tls.handshake.certificate_length")))}
    der = as_list(certs.get("tls.handshake.certificate"))
    tree = as_list(certs.get("tls.handshake.certificate_tree"))
    f["sha256"] = hashlib.sha256(unhex(der[0])).hexdigest() if der else None
    t = tree[0] if tree and isinstance(tree[0], dict) else {}
    tbs = t.get("x509af.signedCertificate_element")
    if not isinstance(tbs, dict): return f
    sn = tbs.get("x509af.serialNumber")
    if isinstance(sn, str):
        if re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*", sn):
            h = sn.replace(":", "").lower()
            while len(h) > 2 and h.startswith("00"): h = h[2:]
        else:                                  # an integer tshark printed in decimal
            n = int(sn); h = "%x" % n if n >= 0 else sn
            if len(h) % 2: h = "0" + h
        f["serial"] = h
    f["subject_cn"] = cn(tbs.get("x509af.subject_tree"))
    f["issuer_cn"] = cn(tbs.get("x509af.issuer_tree"))
    val = tbs.get("x509af.validity_element") or {}
    f["not_before"] = tshark_time(val.get("x509af.notBefore_tree"))
    f["not_after"] = tshark_time(val.get("x509af.notAfter_tree"))
    f["signature_oid"] = first(t.get("x509af.algorithmIdentifier_element"), "x509af.algorithm.id")
    san = []
    for ext in as_list((tbs.get("x509af.extensions_tree") or {}).get("x509af.Extension_element")):
        if isinstance(ext, dict) and ext.get("x509af.extension.id") == "2.5.29.17":
            san += values(ext, "x509ce.dNSName")
    f["san_dns"] = san
    spki = tbs.get("x509af.subjectPublicKeyInfo_element") or {}
    alg = spki.get("x509af.algorithm_element") or {}
    key_oid = alg.get("x509af.algorithm.id")
    if key_oid:
        f["key_type"] = KEY_TYPES.get(key_oid, "other")
    mod = first(spki.get("x509af.subjectPublicKey_tree"), "pkcs1.modulus")
    if f.get("key_type") in ("RSA", "RSA-PSS") and mod:
        b = unhex(mod).lstrip(b"\0")
        f["key_bits"] = (len(b) - 1) * 8 + b[0].bit_length() if b else 0
    if f.get("key_type") == "EC":
        f["key_curve"] = first(alg, "pkcs1.namedCurve")
    return f


def decode_as(cap):
    base = os.path.basename(cap)
    dec, seen = [], set()
    if "tds" in base:
        for p in (49733, 1434, 14330): dec += ["-d", f"tcp.port=={p},tds"]; seen.add(p)
    name = re.sub(r"\.(pcapng|pcap)$", "", base)
    for tdir in (os.path.join(os.path.dirname(os.path.abspath(cap)), "truth"),
                 os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(cap))), "truth")):
        tf = os.path.join(tdir, name + ".json")
        if not os.path.exists(tf): continue
        try: t = json.load(open(tf))
        except (OSError, ValueError): continue
        if not isinstance(t, dict): continue
        for key, proto in (("tls_server_ports", "tls"), ("tds_ports", "tds")):
            for p in t.get(key) or []:
                if p not in seen: dec += ["-d", f"tcp.port=={p},{proto}"]; seen.add(p)
        break
    return dec


def tshark_certs(cap):
    """(tcp stream, sender) -> (frame, (client ip, port, server ip, port), facts) of the first Certificate
    each side of a stream sent (the sender taken for the server; a client's Certificate is set aside later)."""
    out = subprocess.run(["tshark", "-r", cap, "-n"] + decode_as(cap) + ["-o", "tls.desegment_ssl_records:TRUE",
        "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "tls.handshake.type==11 || tls.handshake.certificate || dtls.handshake.type==11", "-T", "json",
        "--no-duplicate-keys"], capture_output=True, text=True).stdout
    # DTLS's fields are TLS's under another prefix: one reading for both.
    out = out.replace('"dtls.handshake.', '"tls.handshake.')
    streams = {}
    for fr in json.loads(out or "[]"):
        layers = fr["_source"]["layers"]
        ip = None; tcp = None; udp = False
        for k, v in layers.items():           # the innermost IP header before TCP (or UDP: DTLS)
            if k in ("ip", "ipv6"):
                v = as_list(v)[-1]; ip = (v.get("ip.src") or v.get("ipv6.src"), v.get("ip.dst") or v.get("ipv6.dst"))
            if k == "tcp": tcp = as_list(v)[0]; break
            if k == "udp" and "dtls" in layers:
                v = as_list(v)[-1]; udp = True
                tcp = {"tcp.stream": "-" + v.get("udp.stream"), "tcp.srcport": v.get("udp.srcport"),
                       "tcp.dstport": v.get("udp.dstport")}
        if ip is None or tcp is None: continue
        stream = (int(tcp.get("tcp.stream")), ip[0], tcp.get("tcp.srcport"))
        if stream in streams: continue
        found = [d for d in walk([layers.get(k) for k in layers if k not in ("frame", "tcp.segments")])
                 if (d.get("tls.handshake.type") == "11" and not udp) or "tls.handshake.certificate_tree" in d
                 or (udp and "tls.handshake.certificates" in d)]
        hs = found[0] if found else None
        if hs is None: continue
        # An SSL 2.0 SERVER-HELLO holds the certificate fields itself.
        certs = hs.get("tls.handshake.certificates", hs if "tls.handshake.certificate_tree" in hs else None)
        facts = tshark_leaf(certs) if isinstance(certs, dict) else {"chain_length": 0}
        # The server sends it: the frame's source is the server.
        streams[stream] = (fr["_source"]["layers"]["frame"].get("frame.number"),
                           (ip[1], tcp.get("tcp.dstport"), ip[0], tcp.get("tcp.srcport")), facts)
    return streams


def why_no_certificate(r):
    """A reason, from tlssniff's record, why it has no clear Certificate; None when it shows none."""
    ch = r.get("client_hello") or {}
    if r.get("version") == "TLS 1.3": return "TLS 1.3 (Certificate encrypted)"
    if ch.get("partial"): return "ClientHello partial"
    if (r.get("server_hello") or {}).get("partial"): return "ServerHello partial"
    return None


def compare(tag, ours, facts, where, res):
    """Counts and records field by field; facts from tshark, ours from tlssniff."""
    if ours.get("unreadable"):
        res["notes"].append(tag + ("tlssniff leaf unreadable: %s (partial=%s)" % (ours["unreadable"], ours.get("partial")),
                                   "tshark chain %s, leaf %s" % (facts["chain_length"], "decoded" if "serial" in facts else "not decoded")))
    for fld in FIELDS:
        if fld not in facts or (ours.get("unreadable") and fld != "chain_length"): continue
        if fld == "chain_length" and ours.get("unreadable") == "too_long": continue
        a, b = facts[fld], ours.get(fld)
        if fld in ("not_before", "not_after"): b = iso_time(b)
        if fld == "key_curve" and b is not None: b = CURVES.get(b, b)
        res["cmp"][fld] = res["cmp"].get(fld, 0) + 1
        if a == b: res["ok"][fld] = res["ok"].get(fld, 0) + 1
        else:
            if fld in ("not_before", "not_after") and a is not None: a = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(a))
            res["diff"].append(tag + (fld, "tshark=%r" % (a,), "tlssniff=%r" % (ours.get(fld),), where))


def server_bytes(cap, conns):
    """(client ip, port, server ip, port) -> the server's byte stream, from tshark's follow,tcp,raw."""
    ep = lambda ip, port: ("[%s]:%s" if ":" in ip else "%s:%s") % (ip, port)
    args = []
    for k in conns: args += ["-z", "follow,tcp,raw,%s,%s" % (ep(k[0], k[1]), ep(k[2], k[3]))]
    out = subprocess.run(["tshark", "-r", cap, "-n", "-q", "-o", "tcp.reassemble_out_of_order:TRUE"] + args,
                         capture_output=True, text=True).stdout
    streams = {}
    for sec in out.split("=" * 67)[1:]:
        nodes = re.findall(r"^Node ([01]): (.*)$", sec, re.M)
        if len(nodes) != 2: continue
        data = {0: [], 1: []}
        for line in sec.splitlines():
            m = re.fullmatch(r"(\t?)([0-9a-f]+)", line)
            if m: data[1 if m[1] else 0].append(m[2])
        for n, addr in nodes:
            for k in conns:
                if addr in (ep(k[2], k[3]), "%s:%s" % (k[2], k[3])):
                    streams[k] = bytes.fromhex("".join(data[int(n)]))
    return streams


def certificate_message(stream):
    """The entries of the first Certificate message of a server's stream (TLS records from its ServerHello
    on, handshake records until the first other record); None when there is none, or it is not whole."""
    m = re.search(rb"\x16\x03[\x00-\x03]..\x02", stream, re.S)
    if not m: return None
    hs, i = b"", m.start()
    while i + 5 <= len(stream) and stream[i] == 22:
        n = int.from_bytes(stream[i + 3:i + 5], "big")
        hs += stream[i + 5:i + 5 + n]; i += 5 + n
    j = 0
    while j + 4 <= len(hs):
        t, n = hs[j], int.from_bytes(hs[j + 1:j + 4], "big")
        if j + 4 + n > len(hs): return None
        if t == 11:
            body, entries, e = hs[j + 4:j + 4 + n], [], 3
            end = 3 + int.from_bytes(body[:3], "big")
            while e + 3 <= min(end, len(body)):
                ln = int.from_bytes(body[e:e + 3], "big"); entries.append(body[e + 3:e + 3 + ln]); e += 3 + ln
            return entries
        j += 4 + n
    return None


def tshark_on_leaves(leaves):
    """Each DER re-wrapped alone in a one-packet Certificate (raw IPv4, 10.0.0.1:443 -> 10.0.0.2:1000+i)
    and decoded by tshark; i -> facts."""
    import struct, tempfile
    pcap = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)
    for i, der in enumerate(leaves):
        body = len(der).to_bytes(3, "big") + der
        msg = b"\x0b" + (len(body) + 3).to_bytes(3, "big") + (len(body)).to_bytes(3, "big") + body
        tls = b"".join(b"\x16\x03\x03" + len(msg[o:o + 16384]).to_bytes(2, "big") + msg[o:o + 16384]
                       for o in range(0, len(msg), 16384))
        tcp = struct.pack(">HHIIBBHHH", 443, 1000 + i, 1, 1, 0x50, 0x18, 65535, 0, 0)
        if 40 + len(tls) > 65535: continue
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(tls), i, 0x4000, 64, 6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        pkt = ip + tcp + tls
        pcap += struct.pack("<IIII", i, 0, len(pkt), len(pkt)) + pkt
    with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
        f.write(pcap); f.flush()
        return {int(k[1]) - 1000: facts for _, k, facts in tshark_certs(f.name).values()}


def check(cap):
    base = os.path.basename(cap)
    with ThreadPoolExecutor(1) as ex:         # tshark alongside tlssniff
        ts = ex.submit(tshark_certs, cap)
        recs = [json.loads(l) for l in subprocess.run([BIN, "-q", "--format", "jsonl", cap],
                                                       capture_output=True, text=True).stdout.splitlines()]
        streams = ts.result()
    by_tuple = {}
    for stream in sorted(streams):
        frame, k, facts = streams[stream]
        by_tuple.setdefault(k, []).append((frame, facts))
    res = {"cmp": {}, "ok": {}, "diff": [], "one_side": [], "explained": [], "notes": []}
    used, missing = set(), []
    for r in sorted(recs, key=lambda r: r.get("ts") or 0):
        k = (r["client"]["ip"], str(r["client"]["port"]), r["server"]["ip"], str(r["server"]["port"]))
        ours = r.get("certificate")
        theirs = by_tuple.get(k) or []
        n = sum(1 for u in used if u[0] == k)
        t = theirs[n] if n < len(theirs) else None
        if t is not None: used.add((k, n))
        if ours is None and t is None: continue
        tag = (base, k)
        if t is None:
            missing.append((tag, ours))
            continue
        frame, facts = t
        if ours is None:
            why = why_no_certificate(r)
            item = tag + (f"tshark shows a Certificate (frame {frame}, chain {facts['chain_length']}), tlssniff null",
                          why or "no reason in the record: version=%s outcome=%s reason=%s stage=%s" % (
                              r.get("version"), r.get("outcome"), r.get("reason"), r.get("stage")))
            res["explained" if why else "one_side"].append(item)
            continue
        compare(tag, ours, facts, "frame %s" % frame, res)
    if missing:
        # tshark dissected no Certificate here. tshark 4.0 takes a handshake message of 64 KiB or more
        # for encrypted (is_encrypted_handshake_message), so a long chain is not shown: check the chain
        # against tshark's reassembled stream bytes, and the leaf against tshark decoding it alone.
        raw = server_bytes(cap, [tag[1] for tag, _ in missing])
        found = [(tag, ours, certificate_message(raw.get(tag[1], b""))) for tag, ours in missing]
        leaves = tshark_on_leaves([e[0] for _, _, e in found if e])
        li = 0
        for tag, ours, entries in found:
            if not entries:
                item = tag + ("tlssniff has a certificate (partial=%s, unreadable=%s), tshark shows no Certificate, nor does "
                              "its follow,tcp,raw stream hold a whole one" % (ours.get("partial"), ours.get("unreadable")),)
                # A message tlssniff itself marks cut or unreadable: its record says why.
                res["explained" if ours.get("partial") or ours.get("unreadable") else "one_side"].append(item)
                continue
            facts = dict(leaves.get(li, {}), chain_length=len(entries), sha256=hashlib.sha256(entries[0]).hexdigest())
            li += 1
            msg = sum(len(e) + 3 for e in entries) + 3
            res["notes"].append(tag + ("tshark dissected no Certificate (message %d bytes%s); compared with tshark's "
                                       "follow,tcp,raw bytes (chain, sha256) and the leaf re-wrapped alone" % (
                                           msg, ", >= 64 KiB: tshark takes it for encrypted" if msg + 4 >= 65536 else ""),))
            compare(tag, ours, facts, "via follow,tcp,raw", res)
    for k, lst in by_tuple.items():
        for n, (frame, facts) in enumerate(lst):
            if (k, n) in used: continue
            rev = (k[2], k[3], k[0], k[1])
            if any((r["client"]["ip"], str(r["client"]["port"]), r["server"]["ip"], str(r["server"]["port"])) == rev for r in recs):
                res["notes"].append((base, rev, "client Certificate (frame %s), not compared" % frame))
            else:
                res["one_side"].append((base, k, "tshark Certificate (frame %s) on a connection tlssniff does not report" % frame))
    return res


caps = [c for c in (sys.argv[2:] or sorted(glob.glob(os.path.join(ROOT, "fixtures", "*.pcap*")) +
                                           glob.glob(os.path.join(CORPUS, "captures", "*.pcap*"))))
        if not c.endswith((".gz", ".zst"))]
with ThreadPoolExecutor(2) as ex:
    results = list(ex.map(check, caps))
cmp, ok = {}, {}
diff, one_side, explained, notes = [], [], [], []
for r in results:
    for f, n in r["cmp"].items(): cmp[f] = cmp.get(f, 0) + n
    for f, n in r["ok"].items(): ok[f] = ok.get(f, 0) + n
    diff += r["diff"]; one_side += r["one_side"]; explained += r["explained"]; notes += r["notes"]
print("captures:", len(caps), " connections with a server Certificate compared:", cmp.get("chain_length", 0))
for f in FIELDS:
    print("  %-13s compared %4d  agree %4d" % (f, cmp.get(f, 0), ok.get(f, 0)))
print("  (sha256: of tshark's tls.handshake.certificate bytes)")
for d in diff: print("DIFF", *d)
for d in one_side: print("DIFF one side:", *d)
for d in explained: print("explained:", *d)
for d in notes: print("note:", *d)
sys.exit(1 if diff or one_side else 0)
