//! Capture sources: where packets come from.
//!
//! A source yields [`Packet`]s — a timestamp, the link type and the captured
//! bytes — in capture order. Files (pcap, pcapng, gzip/zstd-compressed, or
//! standard input) are read by [`file`](mod@file) without any system library. Live
//! capture (libpcap) comes with the cargo feature `live`.
//!
//! A source never interprets the bytes of a packet; that is the decoder's job.

pub mod file;
#[cfg(feature = "live")]
pub mod filter;
#[cfg(feature = "live")]
pub mod live;
pub mod mmap;
pub mod saz;

use std::fmt;
use std::sync::Arc;

use crate::time::Timestamp;

/// One captured frame, borrowed from the source's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub ts: Timestamp,
    pub link_type: LinkType,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// The frame's length on the wire; larger than `data.len()` when the
    /// capture's snapshot length cut the frame.
    pub orig_len: u32,
    /// The shared buffer `data` lies in, when the source can lend it (files
    /// can): a batch may then hold the buffer instead of copying the bytes.
    pub owner: Option<&'a Arc<Bytes>>,
    /// A pcapng packet id (`epb_packetid`): copies of one packet logged at
    /// several points (pktmon, once per component) share it.
    pub packet_id: Option<u64>,
}

impl Packet<'_> {
    /// Bytes of the frame that the capture did not keep (snaplen).
    pub fn cut_bytes(&self) -> u32 {
        self.orig_len.saturating_sub(self.data.len() as u32)
    }
}

/// A buffer a source lends to batches: bytes read into memory, or a map of
/// the file itself.
pub enum Bytes {
    Heap(Vec<u8>),
    Mapped(mmap::Map),
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bytes::Heap(v) => write!(f, "Heap({} bytes)", v.len()),
            Bytes::Mapped(m) => write!(f, "Mapped({} bytes)", m.bytes().len()),
        }
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Heap(v) => v,
            Bytes::Mapped(m) => m.bytes(),
        }
    }
}

/// libpcap's counters for one interface (live capture).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceStats {
    pub name: String,
    pub link_type: Option<LinkType>,
    /// Packets libpcap received (after the filter).
    pub received: u64,
    /// Dropped because the kernel buffer was full.
    pub dropped: u64,
    /// Dropped by the interface or its driver.
    pub if_dropped: u64,
}

/// A LINKTYPE_ value (<https://www.tcpdump.org/linktypes.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT_RAW as some BSDs number it in old files.
    pub const RAW_BSD_12: LinkType = LinkType(12);
    pub const RAW_BSD_14: LinkType = LinkType(14);
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like NULL, but the family is big-endian.
    pub const LOOP: LinkType = LinkType(108);
    /// IEEE 802.11 frames without a radio header (pktmon's native Wi-Fi).
    pub const IEEE802_11: LinkType = LinkType(105);
    /// IEEE 802.11 behind a radiotap header.
    pub const IEEE802_11_RADIOTAP: LinkType = LinkType(127);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL (BSD loopback)",
            LinkType::ETHERNET => "Ethernet",
            LinkType::RAW | LinkType::RAW_BSD_12 | LinkType::RAW_BSD_14 => "raw IP",
            LinkType::LOOP => "LOOP (OpenBSD loopback)",
            LinkType::LINUX_SLL => "Linux cooked (SLL)",
            LinkType::IPV4 => "raw IPv4",
            LinkType::IPV6 => "raw IPv6",
            LinkType::LINUX_SLL2 => "Linux cooked v2 (SLL2)",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "link type {}", self.0),
        }
    }
}
