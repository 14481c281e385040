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
    let mut body = Vec::new();
    body.extend(if_id.to_le_bytes());
    body.extend(((ts >> 32) as u32).to_le_bytes());
    body.extend((ts as u32).to_le_bytes());
    body.extend((r.data.len() as u32).to_le_bytes());
    body.extend(r.orig_len.max(r.data.len() as u32).to_le_bytes());
    body.extend(&r.data);
    body.extend(std::iter::repeat_n(0u8, (4 - r.data.len() % 4) % 4));
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
