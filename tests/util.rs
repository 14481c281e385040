//! Helpers shared by the integration tests: running the binary, finding
//! fixtures, and reading/writing captures to derive hostile or re-segmented
//! variants of the real fixture captures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// Runs tlssniff with `args`.
pub fn tlssniff<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_tlssniff"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("run tlssniff")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// jsonl output parsed into values.
pub fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid json line"))
        .collect()
}

/// A fresh temporary directory for one test, removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("tlssniff-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    TempDir(dir)
}

/// One packet record of a capture.
#[derive(Clone, Debug)]
pub struct Rec {
    pub ts_sec: u32,
    pub ts_usec: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// Reads a little-endian microsecond pcap: (link type, records, offsets of
/// each record header in the file).
pub fn read_pcap(path: &Path) -> (u32, Vec<Rec>, Vec<usize>) {
    let bytes = std::fs::read(path).expect("read fixture");
    let (mut rest, header) = pcap_parser::pcap::parse_pcap_header(&bytes).expect("pcap header");
    assert!(!header.is_bigendian() && !header.is_nanosecond_precision());
    let mut recs = Vec::new();
    let mut offsets = Vec::new();
    while !rest.is_empty() {
        offsets.push(bytes.len() - rest.len());
        let (r, f) = pcap_parser::pcap::parse_pcap_frame(rest).expect("pcap record");
        recs.push(Rec {
            ts_sec: f.ts_sec,
            ts_usec: f.ts_usec,
            orig_len: f.origlen,
            data: f.data.to_vec(),
        });
        rest = r;
    }
    (header.network.0 as u32, recs, offsets)
}

pub fn pcap_bytes(link_type: u32, recs: &[Rec]) -> Vec<u8> {
    pcap_bytes_as(link_type, recs, false, false)
}

/// A pcap in either byte order, with micro- or nanosecond timestamps.
pub fn pcap_bytes_as(link_type: u32, recs: &[Rec], big_endian: bool, nanos: bool) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend(u16b(2));
    out.extend(u16b(4));
    out.extend(u32b(0));
    out.extend(u32b(0));
    out.extend(u32b(262_144));
    out.extend(u32b(link_type));
    for r in recs {
        out.extend(u32b(r.ts_sec));
        out.extend(u32b(if nanos {
            r.ts_usec * 1000 + 999
        } else {
            r.ts_usec
        }));
        out.extend(u32b(r.data.len() as u32));
        out.extend(u32b(r.orig_len.max(r.data.len() as u32)));
        out.extend(&r.data);
    }
    out
}

/// A pcapng block: type, body, padded, with both length fields.
pub fn pcapng_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let pad = (4 - body.len() % 4) % 4;
    let len = (12 + body.len() + pad) as u32;
    let mut b = Vec::new();
    b.extend(block_type.to_le_bytes());
    b.extend(len.to_le_bytes());
    b.extend(body);
    b.extend(std::iter::repeat_n(0u8, pad));
    b.extend(len.to_le_bytes());
    b
}

pub fn pcapng_shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(0x1a2b_3c4du32.to_le_bytes());
    body.extend(1u16.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    body.extend((-1i64).to_le_bytes());
    pcapng_block(0x0a0d_0d0a, &body)
}

/// An interface description with an `if_tsresol` option.
pub fn pcapng_idb(link_type: u16, tsresol: u8) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(link_type.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    body.extend(0u32.to_le_bytes());
    body.extend(9u16.to_le_bytes());
    body.extend(1u16.to_le_bytes());
    body.extend([tsresol, 0, 0, 0]);
    body.extend([0u8; 4]);
    pcapng_block(1, &body)
}

/// An enhanced packet block for interface `if_id`, timestamp in microseconds.
pub fn pcapng_epb(if_id: u32, r: &Rec) -> Vec<u8> {
    let ts = u64::from(r.ts_sec) * 1_000_000 + u64::from(r.ts_usec);
    pcapng_epb_units(if_id, ts, r)
}

/// An enhanced packet block with a timestamp in the interface's units.
pub fn pcapng_epb_units(if_id: u32, ts: u64, r: &Rec) -> Vec<u8> {
    pcapng_epb_with_options(if_id, ts, r, &[])
}

/// An enhanced packet block followed by `options` (already encoded, each
/// code, length and padded value; opt_endofopt is added).
pub fn pcapng_epb_with_options(if_id: u32, ts: u64, r: &Rec, options: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(if_id.to_le_bytes());
    body.extend(((ts >> 32) as u32).to_le_bytes());
    body.extend((ts as u32).to_le_bytes());
    body.extend((r.data.len() as u32).to_le_bytes());
    body.extend(r.orig_len.max(r.data.len() as u32).to_le_bytes());
    body.extend(&r.data);
    body.extend(std::iter::repeat_n(0u8, (4 - r.data.len() % 4) % 4));
    if !options.is_empty() {
        body.extend(options);
        body.extend([0u8; 4]);
    }
    pcapng_block(6, &body)
}

/// A simple packet block (no timestamp, interface 0).
pub fn pcapng_spb(r: &Rec) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(r.orig_len.max(r.data.len() as u32).to_le_bytes());
    body.extend(&r.data);
    pcapng_block(3, &body)
}

/// An obsolete packet block (pcapng draft's type 2), timestamp in µs.
pub fn pcapng_opb(if_id: u16, r: &Rec) -> Vec<u8> {
    let ts = u64::from(r.ts_sec) * 1_000_000 + u64::from(r.ts_usec);
    let mut body = Vec::new();
    body.extend(if_id.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    body.extend(((ts >> 32) as u32).to_le_bytes());
    body.extend((ts as u32).to_le_bytes());
    body.extend((r.data.len() as u32).to_le_bytes());
    body.extend(r.orig_len.max(r.data.len() as u32).to_le_bytes());
    body.extend(&r.data);
    pcapng_block(2, &body)
}

/// One Ethernet/IPv4/TCP frame. `flags`: any of "SAFRP".
pub fn tcp_frame(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: &str,
    payload: &[u8],
) -> Vec<u8> {
    let mut b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, 64_000);
    if flags.contains('A') {
        b = b.ack(ack);
    }
    if flags.contains('S') {
        b = b.syn();
    }
    if flags.contains('F') {
        b = b.fin();
    }
    if flags.contains('R') {
        b = b.rst();
    }
    if flags.contains('P') {
        b = b.psh();
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut out, payload).expect("build frame");
    out
}

/// A whole TCP conversation: handshake, the messages (split into 1448-byte
/// segments), FIN from both sides; one millisecond between packets.
pub fn conversation(
    client: ([u8; 4], u16),
    server: ([u8; 4], u16),
    isn: (u32, u32),
    start_sec: u32,
    messages: &[(bool, Vec<u8>)],
) -> Vec<Rec> {
    let mut recs = Vec::new();
    let mut t = 0u32;
    let mut push = |frame: Vec<u8>| {
        t += 1;
        recs.push(Rec {
            ts_sec: start_sec + t / 1000,
            ts_usec: (t % 1000) * 1000,
            orig_len: frame.len() as u32,
            data: frame,
        });
    };
    let (mut cseq, mut sseq) = (isn.0, isn.1);
    push(tcp_frame(client, server, cseq, 0, "S", &[]));
    push(tcp_frame(
        server,
        client,
        sseq,
        cseq.wrapping_add(1),
        "SA",
        &[],
    ));
    cseq = cseq.wrapping_add(1);
    sseq = sseq.wrapping_add(1);
    push(tcp_frame(client, server, cseq, sseq, "A", &[]));
    for (from_client, bytes) in messages {
        for chunk in bytes.chunks(1448) {
            if *from_client {
                push(tcp_frame(client, server, cseq, sseq, "AP", chunk));
                cseq = cseq.wrapping_add(chunk.len() as u32);
            } else {
                push(tcp_frame(server, client, sseq, cseq, "AP", chunk));
                sseq = sseq.wrapping_add(chunk.len() as u32);
            }
        }
    }
    push(tcp_frame(client, server, cseq, sseq, "AF", &[]));
    push(tcp_frame(
        server,
        client,
        sseq,
        cseq.wrapping_add(1),
        "AF",
        &[],
    ));
    recs
}

/// TLS records of `content_type` carrying `bytes` (at most 16 KiB each).
pub fn tls_records(content_type: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in bytes.chunks(16 * 1024) {
        out.extend([content_type, 3, 1]);
        out.extend((chunk.len() as u16).to_be_bytes());
        out.extend(chunk);
    }
    out
}

/// The first ClientHello body and the server's first flight of a fixture
/// (single-record hellos on Ethernet/IPv4).
pub fn fixture_hellos(name: &str) -> (Vec<u8>, Vec<u8>) {
    let (_, recs, _) = read_pcap(&fixture(name));
    let (mut client, mut server) = (None, None);
    for r in &recs {
        let Ok(p) = etherparse::SlicedPacket::from_ethernet(&r.data) else {
            continue;
        };
        let Some(etherparse::TransportSlice::Tcp(t)) = &p.transport else {
            continue;
        };
        let payload = t.payload();
        if payload.first() != Some(&0x16) {
            continue;
        }
        if payload.get(5) == Some(&1) && client.is_none() {
            let len = usize::from(u16::from_be_bytes([payload[3], payload[4]]));
            client = Some(payload[9..5 + len].to_vec());
        } else if payload.get(5) == Some(&2) && server.is_none() {
            server = Some(payload.to_vec());
        }
    }
    (
        client.expect("a ClientHello"),
        server.expect("a ServerHello"),
    )
}

/// A ClientHello handshake message (header included) around `body`.
pub fn client_hello_message(body: &[u8]) -> Vec<u8> {
    let mut m = vec![1];
    m.extend(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend(body);
    m
}

/// Where the extensions block of a ClientHello body starts (its length
/// field), and its length.
fn extensions_at(body: &[u8]) -> (usize, usize) {
    let sid = usize::from(body[34]);
    let mut at = 35 + sid;
    let suites = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    at += 2 + suites;
    let comp = usize::from(body[at]);
    at += 1 + comp;
    (
        at,
        usize::from(u16::from_be_bytes([body[at], body[at + 1]])),
    )
}

/// `body` (a ClientHello body) with `extra` appended to its extensions.
pub fn with_extensions(body: &[u8], extra: &[u8]) -> Vec<u8> {
    let (at, ext_len) = extensions_at(body);
    let mut out = body[..at].to_vec();
    out.extend(((ext_len + extra.len()) as u16).to_be_bytes());
    out.extend(&body[at + 2..at + 2 + ext_len]);
    out.extend(extra);
    out
}

/// `body` (a ClientHello body) with the extensions of the types in
/// `replace` taken out and `replace` appended in their place.
pub fn replace_extensions(body: &[u8], replace: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let (at, ext_len) = extensions_at(body);
    let mut kept = Vec::new();
    let mut p = at + 2;
    while p < at + 2 + ext_len {
        let t = u16::from_be_bytes([body[p], body[p + 1]]);
        let l = usize::from(u16::from_be_bytes([body[p + 2], body[p + 3]]));
        if !replace.iter().any(|(r, _)| *r == t) {
            kept.extend(&body[p..p + 4 + l]);
        }
        p += 4 + l;
    }
    for (t, data) in replace {
        kept.extend(t.to_be_bytes());
        kept.extend((data.len() as u16).to_be_bytes());
        kept.extend(data);
    }
    let mut out = body[..at].to_vec();
    out.extend((kept.len() as u16).to_be_bytes());
    out.extend(kept);
    out
}

/// The server_name extension's data for one host name (any bytes).
pub fn sni_extension(name: &[u8]) -> (u16, Vec<u8>) {
    let mut d = Vec::new();
    d.extend(((name.len() + 3) as u16).to_be_bytes());
    d.push(0);
    d.extend((name.len() as u16).to_be_bytes());
    d.extend(name);
    (0, d)
}

/// The ALPN extension's data for these protocol names (any bytes).
pub fn alpn_extension(names: &[&[u8]]) -> (u16, Vec<u8>) {
    let mut list = Vec::new();
    for n in names {
        list.push(n.len() as u8);
        list.extend(*n);
    }
    let mut d = (list.len() as u16).to_be_bytes().to_vec();
    d.extend(list);
    (16, d)
}
