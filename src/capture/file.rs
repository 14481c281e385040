//! Capture files: pcap and pcapng, plain or gzip/zstd-compressed, from a path
//! or from standard input.
//!
//! Supported: pcap with micro- or nanosecond timestamps in either byte order
//! (and the little-endian "modified" pcap of old Red Hat tcpdump); pcapng with
//! any number of sections and interfaces, per-interface link types and
//! timestamp resolutions (`if_tsresol`, `if_tsoffset`), Enhanced, Simple and
//! obsolete Packet Blocks. Other pcapng blocks (name resolution, statistics,
//! journal, decryption secrets, custom, and the vendor blocks pktmon writes)
//! are skipped by their length without being parsed. Compression is
//! recognised by its magic bytes, never by the file name.
//!
//! A regular, uncompressed file can be read through a memory map (see
//! [`mmap`](super::mmap), `--mmap`); by default, and for anything else,
//! through a bounded buffer. Either
//! way a block is first measured from
//! its length field, checked against [`MAX_BLOCK`], and only then handed to
//! pcap-parser, so a hostile length can neither make us allocate without
//! bound nor wait for bytes that will never come. Damage ends the file with a
//! [`Damage`] naming the byte offset; everything before it has been yielded.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pcap_parser::pcap::{LegacyPcapBlock, PcapHeader};
use pcap_parser::pcapng::{self, EnhancedPacketBlock};

use super::mmap::Map;
use super::{Bytes, LinkType, Packet};
use crate::time::Timestamp;

/// The largest block or record we accept (16 MiB). Real packets are at most
/// 256 KiB (tcpdump's maximum snaplen); anything larger is corruption.
pub const MAX_BLOCK: usize = 16 << 20;

/// Largest zstd window we are willing to allocate for.
const MAX_ZSTD_WINDOW: u64 = 64 << 20;

const READ_CHUNK: usize = 256 << 10;

/// pcapng block types and the byte-order magic (also used by the writer
/// of `-w`).
pub const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
pub const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
pub const PCAPNG_IDB: u32 = 1;
const PCAPNG_OPB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
pub const PCAPNG_EPB: u32 = 6;

/// Why a file could not be read at all.
#[derive(Debug)]
pub struct OpenError {
    pub name: String,
    pub reason: String,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.reason)
    }
}

impl std::error::Error for OpenError {}

/// Damage found part-way through a file. Reading stops there; the packets
/// before it have been delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Offset of the damaged block in the (decompressed) capture stream.
    pub offset: u64,
    pub kind: DamageKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DamageKind {
    /// The file ends inside a block.
    Truncated { needed: u64, present: u64 },
    /// A block's length field is impossible.
    BadLength { length: u64, why: &'static str },
    /// pcap-parser rejected a block whose length was plausible.
    Corrupt { what: &'static str },
    /// Reading or decompressing failed.
    Io(String),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match &self.kind {
            DamageKind::Truncated { needed, present } => write!(
                f,
                "file ends inside a block at byte offset {at} ({present} of its {needed} bytes present); the capture was cut short"
            ),
            DamageKind::BadLength { length, why } => {
                write!(
                    f,
                    "corrupt block at byte offset {at}: length {length} {why}"
                )
            }
            DamageKind::Corrupt { what } => write!(f, "corrupt {what} at byte offset {at}"),
            DamageKind::Io(e) => write!(f, "read error at byte offset {at}: {e}"),
        }
    }
}

/// What the reader found in a file, besides packets.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    /// "pcap" or "pcapng", with compression and timestamp precision.
    pub format: String,
    pub link_types: Vec<LinkType>,
    /// Smallest snapshot length declared by the file (pcap header, IDBs).
    pub snaplen: Option<u32>,
    pub packets: u64,
    /// Captured bytes of all packets.
    pub bytes: u64,
    /// pcapng packets naming an interface that no IDB described.
    pub orphan_packets: u64,
    /// pcapng blocks skipped (not packets, not interface descriptions).
    pub skipped_blocks: u64,
    pub sections: u32,
}

impl FileStats {
    fn saw_link_type(&mut self, lt: LinkType) {
        if !self.link_types.contains(&lt) {
            self.link_types.push(lt);
        }
    }

    fn saw_snaplen(&mut self, snaplen: u32) {
        if snaplen > 0 {
            self.snaplen = Some(self.snaplen.map_or(snaplen, |s| s.min(snaplen)));
        }
    }
}

#[derive(Clone, Copy)]
struct Interface {
    link_type: LinkType,
    tsresol: u8,
    tsoffset: i64,
}

enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        modified: bool,
        link_type: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
        last_ts: Timestamp,
    },
}

/// A packet found in the buffer, described by position so that the borrow of
/// the buffer starts only once the caller receives it.
struct Found {
    ts: Timestamp,
    link_type: LinkType,
    data_start: usize,
    data_len: usize,
    orig_len: u32,
    /// pcapng `epb_packetid` (option 5).
    packet_id: Option<u64>,
}

/// A capture file being read.
pub struct CaptureFile {
    name: String,
    buf: BlockBuffer,
    format: Format,
    /// Length of the block returned last; consumed on the next call.
    pending: usize,
    damaged: bool,
    pub stats: FileStats,
    /// Compressed (on-disk) bytes read so far, for progress display.
    raw_read: Arc<AtomicU64>,
    raw_total: Option<u64>,
    /// Standard input, a pipe or a FIFO: bytes arrive when the writer sends
    /// them.
    stream: bool,
    /// The bytes on disk are gzip or zstd.
    compressed: bool,
}

impl CaptureFile {
    /// Opens `path`; `-` is standard input. A regular file is read through
    /// a memory map ([`open_with`](Self::open_with) can say not to).
    pub fn open(path: &Path) -> Result<CaptureFile, OpenError> {
        Self::open_with(path, true)
    }

    /// Opens `path`, mapping it into memory when `map` allows and it is a
    /// regular, uncompressed capture; anything else is read as a stream.
    pub fn open_with(path: &Path, map: bool) -> Result<CaptureFile, OpenError> {
        if path.as_os_str() == "-" {
            let mut f = Self::from_reader("<stdin>".into(), Box::new(io::stdin()), None)?;
            f.stream = true;
            return Ok(f);
        }
        let name = path.display().to_string();
        let fail = |reason: String| OpenError {
            name: name.clone(),
            reason,
        };
        let file = File::open(path).map_err(|e| fail(io_reason(&e)))?;
        let meta = file.metadata().map_err(|e| fail(io_reason(&e)))?;
        if meta.is_dir() {
            return Err(fail("is a directory".into()));
        }
        let regular = meta.is_file();
        if map && regular && meta.len() >= 24 {
            if let Some(f) = Self::from_map(&name, &file, meta.len())? {
                return Ok(f);
            }
        }
        let mut f = Self::from_reader(name, Box::new(file), regular.then_some(meta.len()))?;
        f.stream = !regular;
        Ok(f)
    }

    /// The file is read through a memory map (not a stream of reads).
    pub fn is_mapped(&self) -> bool {
        self.buf.is_mapped()
    }

    /// Bytes arrive as a writer sends them (standard input, a pipe, a
    /// FIFO), not from a file that is all there.
    pub fn is_stream(&self) -> bool {
        self.stream
    }

    /// A regular, uncompressed capture file: cheap to read more than once,
    /// so each parallel reader can read it itself.
    pub fn is_plain(&self) -> bool {
        !self.stream && !self.compressed
    }

    /// The next block is not wholly buffered: reading it needs a read,
    /// which on a stream may wait for the writer.
    pub fn drained(&self) -> bool {
        let next = self.buf.available().get(self.pending..).unwrap_or_default();
        let (head, big_endian) = self.block_header();
        if next.len() < head {
            return true;
        }
        let whole = match self.format {
            Format::Pcap { .. } => head + read_u32(next, 8, big_endian) as usize,
            Format::PcapNg { .. } => read_u32(next, 4, big_endian) as usize,
        };
        next.len() < whole
    }

    /// (length of a block's fixed header, byte order): a pcap record header
    /// (24 bytes in the "modified" format), or a pcapng block's type and
    /// length.
    fn block_header(&self) -> (usize, bool) {
        match &self.format {
            Format::Pcap {
                big_endian,
                modified,
                ..
            } => (if *modified { 24 } else { 16 }, *big_endian),
            Format::PcapNg { big_endian, .. } => (12, *big_endian),
        }
    }

    /// Reads a capture from any byte stream, detecting compression and format.
    pub fn from_reader(
        name: String,
        reader: Box<dyn Read + Send>,
        raw_total: Option<u64>,
    ) -> Result<CaptureFile, OpenError> {
        let fail = |reason: String| OpenError {
            name: name.clone(),
            reason,
        };
        let raw_read = Arc::new(AtomicU64::new(0));
        let counted: Box<dyn Read + Send> = Box::new(Counting {
            inner: reader,
            count: raw_read.clone(),
        });
        let (magic, stream) = peek_magic(counted).map_err(|e| fail(io_reason(&e)))?;
        let (compression, stream): (&str, Box<dyn Read + Send>) = match magic {
            [0x1f, 0x8b, ..] => ("gzip", Box::new(flate2::read::MultiGzDecoder::new(stream))),
            [0x28, 0xb5, 0x2f, 0xfd] => {
                let dec = ruzstd::decoding::StreamingDecoder::new_with_max_window_size(
                    stream,
                    MAX_ZSTD_WINDOW,
                )
                .map_err(|e| fail(format!("bad zstd stream: {e}")))?;
                ("zstd", Box::new(dec))
            }
            _ => ("", stream),
        };
        let (magic, stream) = if compression.is_empty() {
            (magic, stream)
        } else {
            peek_magic(stream).map_err(|e| fail(format!("{compression}: {}", io_reason(&e))))?
        };
        // Compressed streams are larger than the file: no hint.
        let hint = raw_total.filter(|_| compression.is_empty());
        let buf = BlockBuffer::new(stream, hint);
        Self::from_buffer(name, buf, &magic, compression, raw_read, raw_total)
    }

    /// Maps a regular file; `None` when it is compressed (or cannot be
    /// mapped), so that it is read as a stream instead.
    fn from_map(name: &str, file: &File, len: u64) -> Result<Option<CaptureFile>, OpenError> {
        let Ok(map) = Map::new(file) else {
            return Ok(None);
        };
        let magic: [u8; 4] = bytes_at(map.bytes(), 0);
        if matches!(magic, [0x1f, 0x8b, ..] | [0x28, 0xb5, 0x2f, 0xfd]) {
            return Ok(None);
        }
        let buf = BlockBuffer::mapped(map);
        let raw_read = Arc::new(AtomicU64::new(0));
        Self::from_buffer(name.to_string(), buf, &magic, "", raw_read, Some(len)).map(Some)
    }

    /// The part of opening that follows the buffer: format, file header.
    fn from_buffer(
        name: String,
        mut buf: BlockBuffer,
        magic: &[u8; 4],
        compression: &str,
        raw_read: Arc<AtomicU64>,
        raw_total: Option<u64>,
    ) -> Result<CaptureFile, OpenError> {
        let fail = |reason: String| OpenError {
            name: name.clone(),
            reason,
        };
        let (format, description) = detect_format(magic, &mut buf, &name).map_err(fail)?;
        let mut stats = FileStats {
            format: if compression.is_empty() {
                description
            } else {
                format!("{description}, {compression}-compressed")
            },
            ..FileStats::default()
        };
        if let Format::Pcap { link_type, .. } = &format {
            stats.saw_link_type(*link_type);
        }
        let mut file = CaptureFile {
            name,
            buf,
            format,
            pending: 0,
            damaged: false,
            stats,
            raw_read,
            raw_total,
            stream: false,
            compressed: !compression.is_empty(),
        };
        if let Format::Pcap { .. } = file.format {
            // The 24-byte file header was parsed by detect_format.
            let (snaplen, len) = file.parse_pcap_header()?;
            file.stats.saw_snaplen(snaplen);
            file.pending = len;
        }
        Ok(file)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// (bytes read from disk, file size) for a progress display.
    pub fn progress(&self) -> (u64, Option<u64>) {
        if self.buf.is_mapped() {
            return (self.buf.offset, self.raw_total);
        }
        (self.raw_read.load(Ordering::Relaxed), self.raw_total)
    }

    /// The next packet, `Ok(None)` at the end, or the damage that ends the file.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, Damage> {
        if self.damaged {
            return Ok(None);
        }
        match self.advance() {
            Ok(Some(found)) => {
                let data = self
                    .buf
                    .window(found.data_start, found.data_len)
                    .unwrap_or_default();
                self.stats.packets += 1;
                self.stats.bytes += data.len() as u64;
                Ok(Some(Packet {
                    ts: found.ts,
                    link_type: found.link_type,
                    data,
                    orig_len: found.orig_len.max(data.len() as u32),
                    owner: Some(&self.buf.buf),
                    packet_id: found.packet_id,
                }))
            }
            Ok(None) => Ok(None),
            Err(d) => {
                self.damaged = true;
                Err(d)
            }
        }
    }

    fn parse_pcap_header(&mut self) -> Result<(u32, usize), OpenError> {
        let data = self.buf.available();
        match pcap_parser::pcap::parse_pcap_header(data) {
            Ok((rest, header)) => Ok((header.snaplen, data.len() - rest.len())),
            Err(_) => Err(OpenError {
                name: self.name.clone(),
                reason: "corrupt pcap file header".into(),
            }),
        }
    }

    /// Walks blocks until the next packet; handles the others on the way.
    fn advance(&mut self) -> Result<Option<Found>, Damage> {
        loop {
            self.buf.consume(std::mem::take(&mut self.pending));
            let Some(len) = self.next_block_len()? else {
                return Ok(None);
            };
            self.pending = len;
            if let Some(found) = self.interpret_block(len)? {
                return Ok(Some(found));
            }
        }
    }

    /// Makes sure the whole next block is buffered and returns its length,
    /// or `None` at a clean end of file.
    fn next_block_len(&mut self) -> Result<Option<usize>, Damage> {
        let offset = self.buf.offset;
        let (head, big_endian) = self.block_header();
        self.buf.fill(head).map_err(|e| io_damage(offset, &e))?;
        let data = self.buf.available();
        if data.is_empty() {
            return Ok(None);
        }
        if data.len() < head {
            return Err(Damage {
                offset,
                kind: DamageKind::Truncated {
                    needed: head as u64,
                    present: data.len() as u64,
                },
            });
        }
        let len = match self.format {
            Format::Pcap { .. } => {
                let caplen = read_u32(data, 8, big_endian) as u64;
                if caplen > MAX_BLOCK as u64 {
                    return Err(Damage {
                        offset,
                        kind: DamageKind::BadLength {
                            length: caplen,
                            why: "(captured length of a packet record) exceeds 16 MiB",
                        },
                    });
                }
                head + caplen as usize
            }
            Format::PcapNg { .. } => {
                let block_type = read_u32(data, 0, big_endian);
                let big_endian = if block_type == PCAPNG_SHB {
                    read_u32(data, 8, false) != PCAPNG_BOM
                } else {
                    big_endian
                };
                let len = read_u32(data, 4, big_endian) as u64;
                let why = if len < 12 {
                    Some("is shorter than a block header")
                } else if len % 4 != 0 {
                    Some("is not a multiple of 4")
                } else if len > MAX_BLOCK as u64 {
                    Some("exceeds 16 MiB")
                } else {
                    None
                };
                if let Some(why) = why {
                    return Err(Damage {
                        offset,
                        kind: DamageKind::BadLength { length: len, why },
                    });
                }
                len as usize
            }
        };
        self.buf.fill(len).map_err(|e| io_damage(offset, &e))?;
        let present = self.buf.available().len();
        if present < len {
            return Err(Damage {
                offset,
                kind: DamageKind::Truncated {
                    needed: len as u64,
                    present: present as u64,
                },
            });
        }
        Ok(Some(len))
    }

    /// Interprets the buffered block of `len` bytes.
    fn interpret_block(&mut self, len: usize) -> Result<Option<Found>, Damage> {
        let offset = self.buf.offset;
        let start = self.buf.start;
        let block = self.buf.available().get(..len).unwrap_or_default();
        let corrupt = |what| Damage {
            offset,
            kind: DamageKind::Corrupt { what },
        };
        match &mut self.format {
            Format::Pcap {
                big_endian,
                nanos,
                modified,
                link_type,
            } => {
                let parsed = if *modified {
                    pcap_parser::pcap::parse_pcap_frame_modified(block)
                } else if *big_endian {
                    pcap_parser::pcap::parse_pcap_frame_be(block)
                } else {
                    pcap_parser::pcap::parse_pcap_frame(block)
                };
                let frame: LegacyPcapBlock = parsed.map_err(|_| corrupt("packet record"))?.1;
                let frac = if *nanos {
                    u64::from(frame.ts_usec)
                } else {
                    u64::from(frame.ts_usec) * 1_000
                };
                Ok(Some(Found {
                    ts: Timestamp::from_parts(u64::from(frame.ts_sec), frac),
                    link_type: *link_type,
                    data_start: start + offset_in(block, frame.data),
                    data_len: frame.data.len(),
                    orig_len: frame.origlen,
                    packet_id: None,
                }))
            }
            Format::PcapNg {
                big_endian,
                interfaces,
                last_ts,
            } => {
                let block_type = read_u32(block, 0, *big_endian);
                match block_type {
                    PCAPNG_SHB => {
                        let (_, shb) = pcapng::parse_sectionheaderblock(block)
                            .map_err(|_| corrupt("pcapng section header"))?;
                        *big_endian = shb.big_endian();
                        interfaces.clear();
                        self.stats.sections += 1;
                        Ok(None)
                    }
                    PCAPNG_IDB => {
                        let parsed = if *big_endian {
                            pcapng::parse_interfacedescriptionblock_be(block)
                        } else {
                            pcapng::parse_interfacedescriptionblock_le(block)
                        };
                        let (_, idb) =
                            parsed.map_err(|_| corrupt("pcapng interface description"))?;
                        let link_type = LinkType(u32::from(idb.linktype.0 as u16));
                        interfaces.push(Interface {
                            link_type,
                            tsresol: idb.if_tsresol,
                            tsoffset: idb.if_tsoffset,
                        });
                        self.stats.saw_link_type(link_type);
                        self.stats.saw_snaplen(idb.snaplen);
                        Ok(None)
                    }
                    PCAPNG_EPB => {
                        let parsed = if *big_endian {
                            pcapng::parse_enhancedpacketblock_be(block)
                        } else {
                            pcapng::parse_enhancedpacketblock_le(block)
                        };
                        let (_, epb): (_, EnhancedPacketBlock) =
                            parsed.map_err(|_| corrupt("pcapng enhanced packet block"))?;
                        let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                        let Some(iface) = interfaces.get(epb.if_id as usize) else {
                            self.stats.orphan_packets += 1;
                            return Ok(None);
                        };
                        let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let ts = interface_ts(units, iface.tsresol, iface.tsoffset);
                        *last_ts = ts;
                        // epb_packetid (pcapng §4.3.1): the same for every
                        // copy of one packet (pktmon: its PktGroupId).
                        let packet_id = epb
                            .options
                            .iter()
                            .find(|o| o.code.0 == 5)
                            .and_then(|o| o.as_bytes().ok()?.try_into().ok())
                            .map(|b: [u8; 8]| {
                                if *big_endian {
                                    u64::from_be_bytes(b)
                                } else {
                                    u64::from_le_bytes(b)
                                }
                            });
                        Ok(Some(Found {
                            ts,
                            link_type: iface.link_type,
                            data_start: start + offset_in(block, data),
                            data_len: data.len(),
                            orig_len: epb.origlen,
                            packet_id,
                        }))
                    }
                    PCAPNG_SPB => {
                        // Simple Packet Block: interface 0, no timestamp; the
                        // captured part is what fits in the block.
                        let Some(iface) = interfaces.first() else {
                            self.stats.orphan_packets += 1;
                            return Ok(None);
                        };
                        if block.len() < 16 {
                            return Err(corrupt("pcapng simple packet block"));
                        }
                        let orig_len = read_u32(block, 8, *big_endian);
                        let room = block.len() - 16;
                        let data_len = room.min(orig_len as usize);
                        Ok(Some(Found {
                            ts: *last_ts,
                            link_type: iface.link_type,
                            data_start: start + 12,
                            data_len,
                            orig_len,
                            packet_id: None,
                        }))
                    }
                    PCAPNG_OPB => {
                        // Obsolete Packet Block: like an EPB with a 16-bit
                        // interface id followed by a drops counter.
                        if block.len() < 32 {
                            return Err(corrupt("pcapng packet block"));
                        }
                        let if_id = read_u16(block, 8, *big_endian);
                        let units = (u64::from(read_u32(block, 12, *big_endian)) << 32)
                            | u64::from(read_u32(block, 16, *big_endian));
                        let caplen = read_u32(block, 20, *big_endian) as usize;
                        let orig_len = read_u32(block, 24, *big_endian);
                        if caplen > block.len() - 32 {
                            return Err(corrupt("pcapng packet block"));
                        }
                        let Some(iface) = interfaces.get(usize::from(if_id)) else {
                            self.stats.orphan_packets += 1;
                            return Ok(None);
                        };
                        let ts = interface_ts(units, iface.tsresol, iface.tsoffset);
                        *last_ts = ts;
                        Ok(Some(Found {
                            ts,
                            link_type: iface.link_type,
                            data_start: start + 28,
                            data_len: caplen,
                            orig_len,
                            packet_id: None,
                        }))
                    }
                    _ => {
                        self.stats.skipped_blocks += 1;
                        Ok(None)
                    }
                }
            }
        }
    }
}

/// Recognises pcap or pcapng from the first bytes of the (decompressed) stream.
fn detect_format(
    magic: &[u8; 4],
    buf: &mut BlockBuffer,
    name: &str,
) -> Result<(Format, String), String> {
    let le = u32::from_le_bytes(*magic);
    match le {
        0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 | 0xa1b2_cd34 | 0x34cd_b2a1 => {
            buf.fill(24).map_err(|e| io_reason(&e))?;
            let header: PcapHeader = match pcap_parser::pcap::parse_pcap_header(buf.available()) {
                Ok((_, h)) => h,
                Err(_) => return Err("pcap file header is truncated or corrupt".into()),
            };
            let big_endian = header.is_bigendian();
            let modified = header.is_modified_format();
            if modified && big_endian {
                return Err("big-endian \"modified\" pcap is not supported".into());
            }
            let nanos = header.is_nanosecond_precision();
            let link_type = LinkType(u32::from(header.network.0 as u16));
            let description = format!(
                "pcap ({}, {})",
                if nanos { "ns" } else { "µs" },
                if big_endian {
                    "big-endian"
                } else {
                    "little-endian"
                }
            );
            Ok((
                Format::Pcap {
                    big_endian,
                    nanos,
                    modified,
                    link_type,
                },
                description,
            ))
        }
        PCAPNG_SHB => Ok((
            Format::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
                last_ts: Timestamp::ZERO,
            },
            "pcapng".into(),
        )),
        _ => Err(not_a_capture(magic, name)),
    }
}

/// Why a file is not a capture, and what to do about it: by its first
/// bytes, and by its name where the bytes cannot tell (an ETW trace).
fn not_a_capture(magic: &[u8; 4], name: &str) -> String {
    let hex = format!(
        "{:02x} {:02x} {:02x} {:02x}",
        magic[0], magic[1], magic[2], magic[3]
    );
    let lower = name.to_ascii_lowercase();
    let ext = |e: &str| lower.ends_with(e);
    let hint = if magic == b"GMBU" || magic == b"RTSS" {
        " (a Microsoft Network Monitor capture: open it in Wireshark and save it as pcapng, \
         or `editcap -F pcapng FILE.cap FILE.pcapng`)"
            .to_string()
    } else if magic == b"snoo" {
        " (a Solaris snoop capture: `editcap -F pcapng FILE FILE.pcapng`)".into()
    } else if ext(".etl") {
        " (a Windows ETW trace: convert it with `pktmon etl2pcap FILE.etl --out FILE.pcapng`, \
         or Microsoft's etl2pcapng)"
            .into()
    } else if magic.starts_with(b"PK") && ext(".saz") {
        " (named like a Fiddler session archive, but it holds no Fiddler sessions \
         (raw/NN_c.txt): save them from Fiddler with File > Save > All Sessions)"
            .into()
    } else if magic.starts_with(b"PK") {
        " (looks like a zip archive: unpack it first)".into()
    } else if magic.starts_with(b"BZh") || magic.starts_with(&[0xfd, b'7', b'z', b'X']) {
        " (bzip2/xz: decompress it first; gzip and zstd are read directly)".into()
    } else if magic.first() == Some(&b'{') || ext(".har") {
        " (looks like JSON — a browser's HAR file holds HTTP, not TLS handshakes: capture \
         packets instead)"
            .into()
    } else if magic
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        " (looks like text)".into()
    } else {
        String::new()
    };
    format!("not a pcap or pcapng capture: starts with {hex}{hint}")
}

/// Timestamp of a pcapng packet: `units` in the interface's resolution
/// (`if_tsresol`: 10^-n, or 2^-n when the high bit is set) plus `if_tsoffset`
/// seconds.
fn interface_ts(units: u64, tsresol: u8, tsoffset: i64) -> Timestamp {
    let units = u128::from(units);
    let exp = u32::from(tsresol & 0x7f);
    let nanos: u128 = if tsresol & 0x80 != 0 {
        if exp >= 128 {
            0
        } else {
            (units * 1_000_000_000) >> exp
        }
    } else if exp <= 9 {
        units * 10u128.pow(9 - exp)
    } else if exp <= 38 {
        units / 10u128.pow(exp - 9)
    } else {
        0
    };
    let offset = i128::from(tsoffset) * 1_000_000_000;
    let total = (nanos as i128).saturating_add(offset);
    Timestamp(total.clamp(0, i128::from(u64::MAX)) as u64)
}

/// `N` bytes at `at` (zeros past the end: callers check lengths first).
fn bytes_at<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    let mut b = [0u8; N];
    if let Some(s) = data.get(at..at + N) {
        b.copy_from_slice(s);
    }
    b
}

fn read_u32(data: &[u8], at: usize, big_endian: bool) -> u32 {
    let b = bytes_at::<4>(data, at);
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

fn read_u16(data: &[u8], at: usize, big_endian: bool) -> u16 {
    let b = bytes_at::<2>(data, at);
    if big_endian {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    }
}

/// Position of `inner` within `outer` (both from the same buffer).
fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn io_damage(offset: u64, e: &io::Error) -> Damage {
    Damage {
        offset,
        kind: DamageKind::Io(e.to_string()),
    }
}

/// Reads the first four bytes and gives back a stream that still starts with
/// them. Fewer than four bytes is not a capture.
fn peek_magic(mut r: Box<dyn Read + Send>) -> io::Result<([u8; 4], Box<dyn Read + Send>)> {
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < 4 {
        match r.read(magic.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "empty file"));
    }
    if n < 4 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("only {n} bytes: not a capture"),
        ));
    }
    let prefix = io::Cursor::new(magic);
    Ok((magic, Box::new(prefix.chain(r))))
}

/// Counts the bytes read from the underlying file (for progress).
struct Counting {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A window over a byte stream: `buf[start..end]` is unread data whose
/// first byte sits at `offset` in the stream.
///
/// The buffer is shared (`Arc`) so that batches sent to parser workers can
/// point into it instead of copying packets. It is never written while
/// shared: reading more into a shared buffer moves the unread tail to a
/// fresh one, taken from a small pool of buffers the workers have let go.
/// A mapped file is one buffer that holds the whole file from the start:
/// nothing is ever read into it.
struct BlockBuffer {
    reader: Box<dyn Read + Send>,
    buf: Arc<Bytes>,
    start: usize,
    end: usize,
    offset: u64,
    eof: bool,
    /// Buffers handed out earlier, reused once no batch holds them.
    pool: Vec<Arc<Bytes>>,
}

/// How far ahead of the reader a mapped file is prefetched: a few
/// packets, so that the header the reader needs next is in the cache when
/// the work on this one is done.
const PREFETCH_AHEAD: usize = 8192;

/// Buffers kept for reuse.
const POOL: usize = 64;

impl BlockBuffer {
    /// `size_hint`: the stream's length, when known (a small file gets a
    /// small buffer; it still grows for a large block).
    fn new(reader: Box<dyn Read + Send>, size_hint: Option<u64>) -> BlockBuffer {
        let first = size_hint.map_or(READ_CHUNK, |n| {
            usize::try_from(n).map_or(READ_CHUNK, |n| n.clamp(4096, READ_CHUNK))
        });
        BlockBuffer {
            reader,
            buf: Arc::new(Bytes::Heap(vec![0; first])),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            pool: Vec::new(),
        }
    }

    /// The whole of a mapped file, all there at once.
    fn mapped(map: Map) -> BlockBuffer {
        let end = map.bytes().len();
        BlockBuffer {
            reader: Box::new(io::empty()),
            buf: Arc::new(Bytes::Mapped(map)),
            start: 0,
            end,
            offset: 0,
            eof: true,
            pool: Vec::new(),
        }
    }

    fn is_mapped(&self) -> bool {
        matches!(*self.buf, Bytes::Mapped(_))
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    fn window(&self, at: usize, len: usize) -> Option<&[u8]> {
        self.buf.get(at..at.checked_add(len)?)
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
        if let Bytes::Mapped(map) = &*self.buf {
            map.moved_to(self.start);
            map.prefetch(self.start + PREFETCH_AHEAD);
        }
    }

    /// A buffer of at least `len` bytes that nobody else holds.
    fn fresh(&mut self, len: usize) -> Vec<u8> {
        if let Some(i) = self
            .pool
            .iter()
            .position(|b| Arc::strong_count(b) == 1 && b.len() >= len)
        {
            let b = self.pool.swap_remove(i);
            if let Ok(Bytes::Heap(v)) = Arc::try_unwrap(b) {
                return v;
            }
        }
        vec![0; len.max(READ_CHUNK)]
    }

    /// Reads until at least `want` bytes are available or the stream ends.
    /// `want` never exceeds [`MAX_BLOCK`], so the buffer stays bounded.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        if self.end - self.start >= want || self.eof {
            return Ok(());
        }
        let shared = Arc::strong_count(&self.buf) > 1;
        if shared || self.start + want > self.buf.len() {
            // Move the unread bytes to the front of a buffer we own (this
            // one if nobody shares it, else a fresh one), growing it if
            // `want` needs more room.
            let size = self.buf.len().max(want.next_power_of_two().min(MAX_BLOCK));
            let unread = self.end - self.start;
            if let (false, Some(Bytes::Heap(own))) = (shared, Arc::get_mut(&mut self.buf)) {
                own.copy_within(self.start..self.end, 0);
                if own.len() < size {
                    own.resize(size, 0);
                }
            } else {
                let mut v = self.fresh(size);
                if let Some(dst) = v.get_mut(..unread) {
                    dst.copy_from_slice(self.available());
                }
                let old = std::mem::replace(&mut self.buf, Arc::new(Bytes::Heap(v)));
                if self.pool.len() < POOL {
                    self.pool.push(old);
                }
            }
            self.end = unread;
            self.start = 0;
        }
        let Some(Bytes::Heap(own)) = Arc::get_mut(&mut self.buf) else {
            return Err(io::Error::other("capture buffer unexpectedly shared"));
        };
        while self.end - self.start < want {
            let space = own.get_mut(self.end..).unwrap_or_default();
            match self.reader.read(space) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_decimal_and_binary() {
        assert_eq!(interface_ts(1_500_000, 6, 0), Timestamp(1_500_000_000));
        assert_eq!(interface_ts(1_500_000_000, 9, 0), Timestamp(1_500_000_000));
        assert_eq!(interface_ts(15, 1, 0), Timestamp(1_500_000_000));
        // 2^-10 s units.
        assert_eq!(interface_ts(1024, 0x80 | 10, 0), Timestamp(1_000_000_000));
        assert_eq!(interface_ts(1, 6, 10), Timestamp(10_000_001_000));
        // Absurd resolutions neither panic nor overflow.
        assert_eq!(interface_ts(u64::MAX, 0x7f, 0), Timestamp(0));
        assert_eq!(interface_ts(u64::MAX, 0, i64::MAX), Timestamp(u64::MAX));
    }
}
