//! Where every packet went: read, skipped (by reason), or analysed; plus what
//! each input file was and whether it was damaged.
//!
//! The invariant (tested): `packets == skipped + no_interface + tcp`, and
//! `tcp == handshake + after_handshake + untracked`.

use std::collections::BTreeMap;

use crate::capture::{InterfaceStats, LinkType};
use crate::decode::Skip;
use crate::flow::TableStats;
use crate::time::Timestamp;

#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub name: String,
    pub format: String,
    pub link_types: Vec<LinkType>,
    pub snaplen: Option<u32>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Damage that ended the file early (with its byte offset).
    pub damage: Option<String>,
    /// Why the file could not be read at all.
    pub error: Option<String>,
    /// A Fiddler session archive: what its sessions gave.
    pub sessions: Option<SessionCounts>,
}

/// What the sessions of Fiddler archives gave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCounts {
    pub sessions: u64,
    /// CONNECT tunnels ...
    pub tunnels: u64,
    /// ... that gave a connection record (their text held a ClientHello),
    pub records: u64,
    /// ... whose text held no ClientHello.
    pub no_client_hello: u64,
    /// Sessions that were no tunnel (plain HTTP, or decrypted requests).
    pub not_tunnels: u64,
    /// Sessions with an entry that could not be read.
    pub unreadable: u64,
}

impl std::ops::AddAssign for SessionCounts {
    fn add_assign(&mut self, o: SessionCounts) {
        self.sessions += o.sessions;
        self.tunnels += o.tunnels;
        self.records += o.records;
        self.no_client_hello += o.no_client_hello;
        self.not_tunnels += o.not_tunnels;
        self.unreadable += o.unreadable;
    }
}

#[derive(Clone, Debug, Default)]
pub struct CaptureStats {
    pub files: Vec<FileReport>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub skipped: BTreeMap<Skip, u64>,
    /// pcapng packets whose interface was never described.
    pub no_interface: u64,
    /// TCP segments decoded.
    pub tcp: u64,
    /// ... of which went to a flow still in its handshake,
    pub handshake: u64,
    /// ... were dropped because their flow's handshake was already known,
    pub after_handshake: u64,
    /// ... or carried nothing for an unknown flow (a bare ACK, FIN or RST).
    pub untracked: u64,
    /// Packets whose frame the snapshot length cut.
    pub cut_packets: u64,
    pub flows: TableStats,
    /// Flows evicted from a full table before their handshake was known.
    pub evicted_handshakes: u64,
    /// Hellos declaring more bytes than --max-handshake-bytes.
    pub oversized_hellos: u64,
    /// Hellos too broken to read.
    pub unreadable_hellos: u64,
    /// TDS connections whose framing was lost.
    pub tds_desyncs: u64,
    /// Files read as the continuation of the one before (a rotated set:
    /// their flows carried on across the boundary).
    pub joined_files: u64,
    /// Files that could not be joined to the one before, and why.
    pub file_notes: Vec<String>,
    /// Flows that ended, without a record, inside their first hello.
    pub unfinished_hellos: u64,
    /// Records written out of capture order (see `analysis::order`).
    pub released_late: u64,
    /// Live capture: libpcap's counters per interface.
    pub interfaces: Vec<InterfaceStats>,
    pub max_flows: usize,
    /// Fiddler archives' sessions, all files together.
    pub sessions: SessionCounts,
    /// QUIC packets that could not be read, by reason.
    pub quic_unread: BTreeMap<crate::datagram::quic::QuicSkip, u64>,
}

impl CaptureStats {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum::<u64>() + self.no_interface
    }

    pub fn saw_time(&mut self, ts: Timestamp) {
        self.first_ts = Some(self.first_ts.map_or(ts, |t| t.min(ts)));
        self.last_ts = Some(self.last_ts.map_or(ts, |t| t.max(ts)));
    }
}
