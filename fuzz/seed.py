#!/usr/bin/env python3
"""Seeds the fuzz corpora from the project's fixture captures (stdlib only).

    python3 fuzz/seed.py        # writes fuzz/corpus/<target>/...

capture_file: the fixture files themselves (and their first 4 KiB);
decode: [link-type selector, cut, frame] per packet;
tls_scanner: [cap selector] + each direction's TCP payloads as pieces;
hello: ClientHello/ServerHello bodies found in those streams;
flow: each connection as the flow target's segment records;
tds: the directions of the TDS fixtures (raw mode: the same pieces as tls_scanner);
certificate: the Certificate message bodies found in those streams (piece size 255).
"""
import hashlib
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"
OUT = ROOT / "fuzz" / "corpus"
LINK_SEL = {0: 0, 1: 1, 12: 2, 14: 3, 101: 4, 108: 5, 113: 6, 228: 7, 229: 8, 276: 9, 105: 11, 127: 12}


def put(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def pcap_records(raw):
    """(link type, [frames]) of a little-endian microsecond/nanosecond pcap."""
    magic = struct.unpack_from("<I", raw)[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        return None, []
    link = struct.unpack_from("<I", raw, 20)[0]
    frames, at = [], 24
    while at + 16 <= len(raw):
        caplen = struct.unpack_from("<I", raw, at + 8)[0]
        frames.append(raw[at + 16: at + 16 + caplen])
        at += 16 + caplen
    return link, frames


def tcp_of(frame):
    """(src, dst, sport, dport, seq, flags, payload) of Ethernet/IPv4/TCP."""
    if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    total = struct.unpack_from(">H", frame, 16)[0]
    t = 14 + ihl
    doff = (frame[t + 12] >> 4) * 4
    sport, dport, seq = struct.unpack_from(">HHI", frame, t)
    return (frame[26:30], frame[30:34], sport, dport, seq, frame[t + 13],
            frame[t + doff: 14 + total])


def certificate_bodies(pieces):
    """Certificate message bodies (handshake type 11) in a direction's
    [len-1, piece] stream, record headers removed where they can be told."""
    raw, at = b"", 0
    while at < len(pieces):
        n = pieces[at] + 1
        raw += pieces[at + 1: at + 1 + n]
        at += 1 + n
    hs, at = b"", 0
    while at + 5 <= len(raw) and raw[at] in (20, 21, 22, 23) and raw[at + 1] == 3:
        n = struct.unpack_from(">H", raw, at + 3)[0]
        if raw[at] == 22:
            hs += raw[at + 5: at + 5 + n]
        at += 5 + n
    out, at = [], 0
    while at + 4 <= len(hs):
        kind, n = hs[at], int.from_bytes(hs[at + 1: at + 4], "big")
        if kind == 11 and at + 4 + n <= len(hs):
            out.append(hs[at + 4: at + 4 + n])
        if kind in (20,) or n > len(hs):
            break
        at += 4 + n
    return out[:1]


def main():
    for cap in sorted(FIX.glob("*.pcap*")):
        raw = cap.read_bytes()
        if len(raw) < 64 * 1024:
            put("capture_file", raw)
        put("capture_file", raw[:4096])
        link, frames = pcap_records(raw)
        if link is None:
            continue
        for f in frames[:200]:
            put("decode", bytes([LINK_SEL.get(link, 0), 0]) + f)
        flows = {}
        for f in frames:
            t = tcp_of(f)
            if t is None:
                continue
            src, dst, sport, dport, seq, flags, payload = t
            key = tuple(sorted([(src, sport), (dst, dport)]))
            flows.setdefault(key, []).append(((src, sport), seq, flags, payload))
        for segs in flows.values():
            first = segs[0][0]
            dirs = {}
            rec = b""
            for who, seq, flags, payload in segs:
                out = who != first
                dirs.setdefault(out, b"")
                for i in range(0, len(payload), 128):
                    piece = payload[i:i + 128]
                    dirs[out] += bytes([len(piece) - 1]) + piece
                fl = (flags & 0x17) | (0x80 if out else 0)
                for i in range(0, max(len(payload), 1), 255):
                    piece = payload[i:i + 255]
                    rec += bytes([fl]) + struct.pack(">I", (seq + i) & 0xFFFFFFFF) + bytes([len(piece)]) + piece
            put("flow", rec)
            for stream in dirs.values():
                if stream:
                    put("tls_scanner", bytes([255]) + stream)
                    # a direction opening with a TDS PRELOGIN or its answer
                    if stream[1:2] in (b"\x12", b"\x04"):
                        put("tds", bytes([0]) + stream)
            for who, seq, flags, payload in segs:
                if len(payload) > 9 and payload[0] == 0x16 and payload[5] in (1, 2):
                    put("hello", payload[9:])
            for stream in dirs.values():
                for body in certificate_bodies(stream):
                    put("certificate", bytes([255]) + body)
    print("seeded:", {d.name: len(list(d.iterdir())) for d in sorted(OUT.iterdir())})


def fiddler_seeds():
    """fiddler: each session of fixtures/fiddler-legacy.saz as request NUL
    response NUL meta."""
    import zipfile
    z = zipfile.ZipFile(ROOT / "fixtures" / "fiddler-legacy.saz")
    names = z.namelist()
    for n in names:
        if n.endswith("_c.txt"):
            stem = n[:-len("_c.txt")]
            parts = [z.read(stem + s) if stem + s in names else b"" for s in ("_c.txt", "_s.txt", "_m.xml")]
            put("fiddler", b"\0".join(parts))


def quic_seeds():
    """quic: the UDP payloads of each fixtures/quic-*.pcap connection,
    joined with 0xfe (the target's datagram separator; a datagram's own
    0xfe bytes split it, which mutations undo)."""
    for cap in sorted((ROOT / "fixtures").glob("quic-*.pcap")) + [ROOT / "fixtures" / "dtls.pcap"]:
        flows = {}
        for frame in pcap_records(cap.read_bytes())[1]:
            if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue
            ihl = (frame[14] & 0x0f) * 4
            udp = frame[14 + ihl:]
            sport, dport = int.from_bytes(udp[0:2], "big"), int.from_bytes(udp[2:4], "big")
            port = min(sport, dport) if "dtls" in cap.name else (sport if dport == 443 else dport)
            flows.setdefault(port, []).append(udp[8:])
        for datagrams in flows.values():
            if "dtls" in cap.name:
                put("dtls", b"".join(len(d).to_bytes(2, "big") + d for d in datagrams))
            else:
                put("quic", b"\xfe".join(datagrams))


if __name__ == "__main__":
    main()
    fiddler_seeds()
    quic_seeds()
