//! A TLS connection over TCP: the segments of one flow in, one
//! [`ConnectionRecord`] out.
//!
//! This is the TCP side of a connection — its lifecycle (SYN, FIN, RST, a
//! new connection on a reused 4-tuple) and, per direction, the chain
//! reassembly → encapsulation → TLS scanner:
//!
//! ```text
//!  segment ──> Reassembler ──> encap::Unwrap ──> tls::Scanner ──Event──> Handshake
//!             (in-order bytes,  (where TLS is)   (records, messages)     (the state machine)
//!              gaps)
//! ```
//!
//! The TLS state machine ([`Handshake`]) knows nothing of TCP; it is told
//! which side the SYN came from and, at the end, how the connection ended.
//! The flow is *done* — its later packets are dropped at lookup — as soon
//! as nothing more can be learnt: the handshake is settled, or neither
//! direction can be read any further.

use super::handshake::{Ending, Handshake};
use super::record::{ConnectionRecord, End};
use crate::decode::{Segment, TcpFlags};
use crate::encap::Unwrap;
use crate::flow::reassembly::{Reassembler, Sink};
use crate::flow::{FlowKey, Side};
use crate::time::Timestamp;
use crate::tls::event::{Event, Malformed};
use crate::tls::scanner::Scanner;

/// Limits for one flow.
#[derive(Clone, Copy, Debug)]
pub struct FlowLimits {
    /// Bytes examined per direction, and the largest out-of-order backlog.
    pub max_handshake_bytes: usize,
}

#[derive(Debug)]
struct Direction {
    reasm: Reassembler,
    unwrap: Unwrap,
    scanner: Scanner,
    syn_isn: Option<u32>,
    fin: bool,
    saw_data: bool,
}

impl Direction {
    /// Nothing more can be read in this direction.
    fn is_stopped(&self) -> bool {
        self.unwrap.is_stopped() || self.scanner.is_stopped()
    }
}

/// Connects a reassembler, through the encapsulation step, to a scanner.
struct Feed<'a> {
    unwrap: &'a mut Unwrap,
    tls: Tls<'a>,
}

/// Where the encapsulation step puts the TLS stream's bytes.
struct Tls<'a> {
    scanner: &'a mut Scanner,
    events: &'a mut Vec<Event>,
    cut: &'a mut bool,
}

impl Sink for Tls<'_> {
    fn data(&mut self, bytes: &[u8]) {
        self.scanner.push(bytes, self.events);
    }

    fn gap(&mut self, n: u32) {
        self.scanner.gap(u64::from(n), self.events);
    }
}

impl Sink for Feed<'_> {
    fn data(&mut self, bytes: &[u8]) {
        self.unwrap.push(bytes, &mut self.tls);
    }

    fn gap(&mut self, n: u32) {
        *self.tls.cut = true;
        self.unwrap.gap(n, &mut self.tls);
    }
}

/// What a segment changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// The connection got its output position (its first hello) with this
    /// segment.
    pub opened: Option<u64>,
    /// Tracking is over; [`TcpTracker::finish`] now.
    pub end: Option<End>,
}

#[derive(Debug)]
pub struct TcpTracker {
    dirs: [Direction; 2],
    handshake: Handshake,
    /// The scanners were told that this is TLS 1.3.
    tls13: bool,
    reset_by: Option<Side>,
    cut: bool,
    events: Vec<Event>,
}

impl TcpTracker {
    pub fn new(limits: FlowLimits) -> TcpTracker {
        let dir = || Direction {
            reasm: Reassembler::new(limits.max_handshake_bytes),
            unwrap: Unwrap::new(limits.max_handshake_bytes),
            scanner: Scanner::new(limits.max_handshake_bytes),
            syn_isn: None,
            fin: false,
            saw_data: false,
        };
        TcpTracker {
            dirs: [dir(), dir()],
            handshake: Handshake::default(),
            tls13: false,
            reset_by: None,
            cut: false,
            events: Vec::new(),
        }
    }

    /// The output position, once a hello was seen.
    pub fn order(&self) -> Option<u64> {
        self.handshake.order()
    }

    /// A handshake message this flow could not read (too long, or not a
    /// hello at all), if any.
    pub fn malformed(&self) -> Option<Malformed> {
        self.handshake.malformed()
    }

    /// A SYN (without ACK) from `side`: does it open a new connection on
    /// this 4-tuple rather than repeat the current one's SYN?
    pub fn is_new_connection(&self, side: Side, isn: u32) -> bool {
        let d = &self.dirs[side.index()];
        match d.syn_isn {
            Some(prev) => prev != isn,
            None => d.saw_data || self.dirs[side.other().index()].saw_data,
        }
    }

    /// Some hello of this flow has begun and not ended.
    pub fn hello_unfinished(&self) -> bool {
        self.dirs.iter().any(|d| d.scanner.hello_unfinished())
    }

    /// Bytes this flow holds (for memory accounting).
    pub fn buffered(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.reasm.buffered() + d.scanner.buffered())
            .sum()
    }

    /// Processes one segment of this flow, sent by `side`. `index` is the
    /// capture-wide packet index.
    pub fn on_segment(&mut self, seg: &Segment<'_>, side: Side, ts: Timestamp, index: u64) -> Step {
        let had_order = self.handshake.order().is_some();
        let flags = seg.flags;
        if flags.contains(TcpFlags::SYN) {
            self.handshake.set_client(if flags.contains(TcpFlags::ACK) {
                side.other()
            } else {
                side
            });
            let d = &mut self.dirs[side.index()];
            d.syn_isn.get_or_insert(seg.seq);
            d.reasm.syn(seg.seq);
        }
        if !seg.payload.is_empty() || seg.cut > 0 {
            let d = &mut self.dirs[side.index()];
            d.saw_data = true;
            // A SYN carrying data (TCP Fast Open): the data follows the ISN.
            let seq = if flags.contains(TcpFlags::SYN) {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            let mut feed = Feed {
                unwrap: &mut d.unwrap,
                tls: Tls {
                    scanner: &mut d.scanner,
                    events: &mut self.events,
                    cut: &mut self.cut,
                },
            };
            d.reasm.push(seq, seg.payload, seg.cut, &mut feed);
            let mut events = std::mem::take(&mut self.events);
            for event in events.drain(..) {
                self.handshake.apply(event, side, ts, index);
            }
            self.events = events;
            if !self.tls13 && self.handshake.is_tls13() {
                self.tls13 = true;
                for d in &mut self.dirs {
                    d.scanner.set_tls13();
                }
            }
        }
        let opened = if had_order {
            None
        } else {
            self.handshake.order()
        };
        let end = if flags.contains(TcpFlags::RST) {
            self.reset_by.get_or_insert(side);
            self.handshake.closed(side, true);
            Some(End::Reset)
        } else {
            if flags.contains(TcpFlags::FIN) {
                self.dirs[side.index()].fin = true;
                self.handshake.closed(side, false);
            }
            if self.is_done() {
                Some(End::Done)
            } else if self.dirs.iter().all(|d| d.fin) {
                Some(End::Fin)
            } else {
                None
            }
        };
        Step { opened, end }
    }

    fn is_done(&self) -> bool {
        self.handshake.is_settled() || self.dirs.iter().all(Direction::is_stopped)
    }

    /// The connection's record, or `None` if the flow showed no TLS hello.
    pub fn finish(self, key: &FlowKey, end: End) -> Option<ConnectionRecord> {
        let lost_bytes = self
            .dirs
            .iter()
            .any(|d| d.reasm.buffered() > 0 || d.reasm.stats.overflow > 0);
        self.handshake.finish(Ending {
            endpoints: [key.lo, key.hi],
            end,
            reset_by: self.reset_by,
            cut_by_snaplen: self.cut,
            lost_bytes,
        })
    }
}
