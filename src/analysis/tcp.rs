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
//! direction can be read any further. A SQL Server (TDS) connection is
//! followed a little longer, until its login was answered and the client
//! went on, or the connection closed ([`LoginWatch`]); a session with a
//! NULL-encryption suite to its end (its alerts stay readable).

use super::handshake::{Ending, Handshake};
use super::record::{ConnectionRecord, End, Outcome, TunnelSeen};
use super::tds::{ALPN_TDS8, Login, LoginWatch, TdsInfo};
use crate::decode::tunnel::Tunnel;
use crate::decode::{Segment, TcpFlags};
use crate::encap::Unwrap;
use crate::encap::tds::Negotiated;
use crate::flow::reassembly::{Reassembler, Sink};
use crate::flow::{FlowKey, Side};
use crate::time::Timestamp;
use crate::tls::certificate::LeafCache;
use crate::tls::event::{Event, Malformed, Stop};
use crate::tls::scanner::Scanner;

/// Limits for one flow.
#[derive(Clone, Copy, Debug)]
pub struct FlowLimits {
    /// Bytes examined per direction, and the largest out-of-order backlog.
    pub max_handshake_bytes: usize,
    /// Bytes of a Certificate message read beyond that.
    pub max_certificate_bytes: usize,
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

/// A suite whose records are not encrypted (TLS_RSA_WITH_NULL_SHA256, ...).
fn is_null_encryption(c: crate::tls::cipher::CipherSuite) -> bool {
    c.classes().0 & crate::tls::suites::NULL_CIPHER != 0
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
    /// The scanners were told that a NULL-encryption suite was chosen.
    null_cipher: bool,
    reset_by: Option<Side>,
    cut: bool,
    events: Vec<Event>,
    /// A direction opened with a TDS PRELOGIN exchange.
    tds: bool,
    /// The first cleartext TDS message after PRELOGIN, per direction.
    tds_clear: [bool; 2],
    /// Some segment came from this side.
    sent: [bool; 2],
    login: LoginWatch,
    tunnel: TunnelSeen,
    /// Capture positions of the first and the last segment followed.
    packets: Option<(u64, u64)>,
}

impl TcpTracker {
    pub fn new(limits: FlowLimits) -> TcpTracker {
        let dir = || Direction {
            reasm: Reassembler::new(limits.max_handshake_bytes),
            unwrap: Unwrap::new(limits.max_handshake_bytes),
            scanner: Scanner::with_certificate_cap(
                limits.max_handshake_bytes,
                limits.max_certificate_bytes,
            ),
            syn_isn: None,
            fin: false,
            saw_data: false,
        };
        TcpTracker {
            dirs: [dir(), dir()],
            handshake: Handshake::default(),
            tls13: false,
            null_cipher: false,
            reset_by: None,
            cut: false,
            events: Vec::new(),
            tds: false,
            tds_clear: [false; 2],
            sent: [false; 2],
            login: LoginWatch::default(),
            tunnel: TunnelSeen::default(),
            packets: None,
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

    /// Processes one segment of this flow, sent by `side` (inside `tunnel`,
    /// if it came in one). `index` is the capture-wide packet index.
    pub fn on_segment(
        &mut self,
        seg: &Segment<'_>,
        tunnel: Option<&Tunnel>,
        side: Side,
        ts: Timestamp,
        index: u64,
    ) -> Step {
        let had_order = self.handshake.order().is_some();
        self.sent[side.index()] = true;
        super::record::widen_span(&mut self.packets, index);
        self.tunnel.note(side, tunnel);
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
            if let Some(facts) = d.unwrap.tds() {
                let clear = facts.clear.is_some();
                if !self.tds {
                    self.tds = true;
                    if facts.sent_by_client {
                        self.handshake.set_client(side);
                    }
                    self.handshake.begin(ts, index);
                }
                if clear && !self.tds_clear[side.index()] {
                    self.tds_clear[side.index()] = true;
                    self.login.data(self.is_client(side));
                }
            }
            let mut events = std::mem::take(&mut self.events);
            for event in events.drain(..) {
                let after_handshake = matches!(
                    event,
                    Event::ApplicationData { .. }
                        | Event::Stopped(Stop::NotTls | Stop::BadRecord | Stop::ByteCap)
                );
                self.handshake.apply(event, side, ts, index);
                if self.tds && after_handshake && self.handshake.is_completed() {
                    self.login.data(self.is_client(side));
                }
            }
            self.events = events;
            if !self.tls13 && self.handshake.is_tls13() {
                self.tls13 = true;
                for d in &mut self.dirs {
                    d.scanner.set_tls13();
                }
            }
            if !self.null_cipher && self.handshake.cipher().is_some_and(is_null_encryption) {
                self.null_cipher = true;
                for d in &mut self.dirs {
                    d.scanner.set_null_cipher();
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
            self.login.closed(self.is_client(side), true);
            Some(End::Reset)
        } else {
            if flags.contains(TcpFlags::FIN) {
                self.dirs[side.index()].fin = true;
                self.handshake.closed(side, false);
                self.login.closed(self.is_client(side), false);
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
        let settled = self.handshake.is_settled() || self.dirs.iter().all(Direction::is_stopped);
        // TDS: the login's answer is still to come.
        let login_pending = self.tds && !self.login.is_over() && !self.handshake.is_fatal();
        // A NULL-encryption session's later alerts are cleartext: follow it
        // to its end, as for any handshake that is not over.
        let readable = self.null_cipher && !self.handshake.is_fatal();
        settled && !login_pending && !readable
    }

    fn is_client(&self, side: Side) -> bool {
        self.handshake.client_side().unwrap_or(Side::Lo) == side
    }

    /// The connection's record, or `None` if the flow showed neither a TLS
    /// hello nor a TDS PRELOGIN.
    pub fn finish(
        mut self,
        key: &FlowKey,
        end: End,
        certs: &mut LeafCache,
    ) -> Option<ConnectionRecord> {
        // A server that was still sending its chain when the client gave up
        // (a client refusing a 300 KB chain): what arrived of it counts.
        for side in [Side::Lo, Side::Hi] {
            self.dirs[side.index()].scanner.end(&mut self.events);
            for event in self.events.drain(..) {
                if let Event::Certificate(chain) = event {
                    self.handshake.certificate(side, chain);
                }
            }
        }
        let lost_bytes = self
            .dirs
            .iter()
            .any(|d| d.reasm.buffered() > 0 || d.reasm.stats.overflow > 0);
        let client = self.handshake.client_side().unwrap_or(Side::Lo);
        let [client_tds, server_tds] =
            [client, client.other()].map(|s| self.dirs[s.index()].unwrap.tds().copied());
        let login = self.login;
        let tds = self.tds;
        let mut rec = self.handshake.finish(
            Ending {
                endpoints: [key.lo(), key.hi()],
                end,
                reset_by: self.reset_by,
                cut_by_snaplen: self.cut,
                lost_bytes,
            },
            certs,
        )?;
        let strict = rec
            .client_hello
            .as_ref()
            .and_then(|ch| ch.alpn.as_ref())
            .is_some_and(|alpn| alpn.iter().any(|p| p.as_bytes() == ALPN_TDS8));
        // A connection's two sides always both send (the SYN-ACK, the
        // ACKs): a ClientHello with nothing from the other side means the
        // capture holds one direction only.
        if !self.sent.iter().all(|s| *s) {
            rec.outcome = Outcome::OneSided;
        }
        rec.packets = self.packets;
        // Its outer addresses as the client sends: (client side, server side).
        rec.tunnel = self.tunnel.for_client(client);
        if tds || strict {
            let mut info = TdsInfo::of(client_tds.as_ref(), server_tds.as_ref(), &login);
            info.strict = strict && !tds;
            let no_tls = matches!(
                info.encryption(),
                Some(Negotiated::None | Negotiated::Refused)
            ) || info.login == Some(Login::Clear);
            if no_tls && rec.client_hello.is_none() && rec.server_hello.is_none() {
                rec.outcome = Outcome::Unencrypted;
            }
            rec.tds = Some(Box::new(info));
        }
        Some(rec)
    }
}
