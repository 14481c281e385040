//! The per-connection tracker: TCP segments of one flow in, one
//! [`ConnectionRecord`] out.
//!
//! Each direction has a [`Reassembler`] feeding a [`Scanner`]; the tracker
//! turns the scanners' events into the connection's facts: who is the client
//! (the SYN's sender, else the ClientHello's), the first ClientHello (and how
//! many followed a HelloRetryRequest), the final ServerHello (a
//! HelloRetryRequest is not one), cleartext alerts with their sender, resets,
//! and when each direction went encrypted. The flow is *done* — its later
//! packets are dropped at lookup — as soon as nothing more can be learnt:
//! a fatal alert, both directions encrypted, or both scanners stopped.
//!
//! The state machine, in the spirit of tls-parser's `tls_states.rs`, is one
//! `match` over (event, direction) in `Tracker::apply`.

use std::fmt;

use crate::decode::{Endpoint, Segment, TcpFlags};
use crate::flow::reassembly::{Reassembler, Sink};
use crate::flow::{FlowKey, Side};
use crate::time::{Duration, Timestamp};
use crate::tls::alert;
use crate::tls::cipher::CipherSuite;
use crate::tls::hello::{ClientHello, ServerHello};
use crate::tls::scanner::{Event, Malformed, Scanner};
use crate::tls::version::Version;

/// Most cleartext alerts kept per connection.
const MAX_ALERTS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Client,
    Server,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertSeen {
    pub from: Role,
    pub level: u8,
    pub description: u8,
}

impl AlertSeen {
    pub fn is_fatal(&self) -> bool {
        self.level == alert::FATAL
    }
}

/// How a connection's handshake ended (DESIGN.md, output schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// ServerHello seen, no fatal alert.
    Established,
    /// A fatal cleartext alert before the handshake completed.
    Rejected,
    /// TCP reset before a ServerHello.
    Reset,
    /// A complete ClientHello got no answer before the flow or capture ended.
    NoResponse,
    /// Anything else: the capture began mid-handshake, a hello was cut, the
    /// flow was evicted, ...
    Incomplete,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Established,
        Outcome::Rejected,
        Outcome::Reset,
        Outcome::NoResponse,
        Outcome::Incomplete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Established => "established",
            Outcome::Rejected => "rejected",
            Outcome::Reset => "reset",
            Outcome::NoResponse => "no_response",
            Outcome::Incomplete => "incomplete",
        }
    }
}

/// Why the tracking of a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Everything knowable was known.
    Done,
    Fin,
    Reset,
    /// No packet for the idle timeout (capture time).
    Idle,
    /// The flow table was full.
    Evicted,
    /// A new connection reused the 4-tuple.
    Reused,
    /// The capture (file) ended.
    CaptureEnd,
}

/// Everything tlssniff reports about one TLS connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionRecord {
    /// Capture-wide index of the packet that completed the first hello: the
    /// order of records in the output.
    pub order: u64,
    pub ts: Timestamp,
    pub client: Endpoint,
    pub server: Endpoint,
    pub client_hello: Option<Box<ClientHello>>,
    pub server_hello: Option<Box<ServerHello>>,
    /// ClientHellos seen (2 after a HelloRetryRequest).
    pub client_hellos: u8,
    pub hello_retry: bool,
    /// The negotiated cipher (ServerHello, or SSL 2.0 CLIENT-MASTER-KEY).
    pub cipher: Option<CipherSuite>,
    pub alerts: Vec<AlertSeen>,
    pub encrypted_alerts: u16,
    pub outcome: Outcome,
    pub reset_by: Option<Role>,
    /// ClientHello to ServerHello, in capture time.
    pub handshake: Option<Duration>,
    pub resumed: Option<bool>,
    pub malformed: Option<Malformed>,
    /// The capture cut bytes (snaplen) out of this connection's handshake.
    pub cut_by_snaplen: bool,
    pub end: End,
}

/// A record of a connection from 10.66.0.2 to 10.66.0.1:443 with an empty
/// ClientHello at second `order`, unanswered (for tests).
#[cfg(test)]
pub(crate) fn test_record(order: u64) -> ConnectionRecord {
    ConnectionRecord {
        order,
        ts: Timestamp::from_parts(order, 0),
        client: Endpoint {
            ip: std::net::IpAddr::from([10, 66, 0, 2]),
            port: 40_000,
        },
        server: Endpoint {
            ip: std::net::IpAddr::from([10, 66, 0, 1]),
            port: 443,
        },
        client_hello: Some(Box::default()),
        server_hello: None,
        client_hellos: 1,
        hello_retry: false,
        cipher: None,
        alerts: Vec::new(),
        encrypted_alerts: 0,
        outcome: Outcome::NoResponse,
        reset_by: None,
        handshake: None,
        resumed: None,
        malformed: None,
        cut_by_snaplen: false,
        end: End::CaptureEnd,
    }
}

impl ConnectionRecord {
    /// The negotiated version.
    pub fn version(&self) -> Option<Version> {
        self.server_hello.as_ref().map(|sh| sh.version())
    }

    pub fn max_offered(&self) -> Option<Version> {
        self.client_hello.as_ref().map(|ch| ch.max_version())
    }

    pub fn offers_3des(&self) -> bool {
        self.client_hello
            .as_ref()
            .is_some_and(|ch| ch.offers_3des())
    }

    pub fn uses_3des(&self) -> bool {
        self.cipher.is_some_and(|c| c.classes().triple_des())
    }

    pub fn sni(&self) -> Option<&str> {
        self.client_hello.as_ref().and_then(|ch| ch.sni.as_deref())
    }

    pub fn fallback_scsv(&self) -> bool {
        self.client_hello
            .as_ref()
            .is_some_and(|ch| ch.fallback_scsv())
    }

    /// The first fatal alert, else the first alert.
    pub fn decisive_alert(&self) -> Option<&AlertSeen> {
        self.alerts
            .iter()
            .find(|a| a.is_fatal())
            .or(self.alerts.first())
    }

    /// Negotiated below TLS 1.2, or (unanswered) could offer nothing better.
    pub fn is_legacy(&self) -> bool {
        match self.version() {
            Some(v) => v.is_legacy(),
            None => self.max_offered().is_some_and(|v| v.is_legacy()),
        }
    }

    /// Would a server requiring at least `min` refuse this connection? Judged
    /// on the negotiated version, else on the best the client offered.
    pub fn below(&self, min: Version) -> bool {
        match self.version().or(self.max_offered()) {
            Some(v) => v.is_known() && v < min,
            None => false,
        }
    }

    /// Why the handshake failed; `None` when it did not.
    pub fn failure_reason(&self) -> Option<FailureReason> {
        Some(match self.outcome {
            Outcome::Established => return None,
            Outcome::Rejected => {
                let a = self.decisive_alert()?;
                FailureReason::Alert {
                    from: a.from,
                    description: a.description,
                }
            }
            Outcome::Reset => FailureReason::Reset { by: self.reset_by },
            Outcome::NoResponse => FailureReason::NoResponse,
            Outcome::Incomplete => FailureReason::Incomplete(if self.cut_by_snaplen {
                Incomplete::CutBySnaplen
            } else if self.client_hello.is_none() {
                Incomplete::NoClientHello
            } else if self.end == End::Evicted {
                Incomplete::Evicted
            } else {
                Incomplete::Other
            }),
        })
    }
}

/// Why a handshake failed (shown in words by `Display`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureReason {
    /// A fatal cleartext alert.
    Alert {
        from: Role,
        description: u8,
    },
    Reset {
        by: Option<Role>,
    },
    NoResponse,
    Incomplete(Incomplete),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Incomplete {
    CutBySnaplen,
    NoClientHello,
    Evicted,
    Other,
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FailureReason::Alert { from, description } => {
                let why = match (from, description) {
                    (Role::Server, alert::PROTOCOL_VERSION) => {
                        "rejected: below the server's minimum TLS version"
                    }
                    (Role::Server, alert::INAPPROPRIATE_FALLBACK) => {
                        "rejected: fallback refused (TLS_FALLBACK_SCSV, the server supports a higher version)"
                    }
                    (Role::Server, alert::HANDSHAKE_FAILURE) => {
                        "rejected: no cipher suite or parameters in common"
                    }
                    (Role::Server, alert::INSUFFICIENT_SECURITY) => {
                        "rejected: the client's cipher suites are too weak for the server"
                    }
                    (Role::Server, _) => "rejected by the server",
                    (Role::Client, alert::PROTOCOL_VERSION) => {
                        "rejected by the client: the server's version is below the client's minimum"
                    }
                    (Role::Client, _) => "rejected by the client",
                };
                write!(
                    f,
                    "{why} ({} alert {})",
                    from.as_str(),
                    alert::description_label(description)
                )
            }
            FailureReason::Reset { by } => match by {
                Some(r) => write!(f, "reset by the {} before ServerHello", r.as_str()),
                None => write!(f, "reset before ServerHello"),
            },
            FailureReason::NoResponse => write!(f, "no response to ClientHello"),
            FailureReason::Incomplete(why) => f.write_str(match why {
                Incomplete::CutBySnaplen => "incomplete: handshake cut by the capture's snaplen",
                Incomplete::NoClientHello => "incomplete: capture began after the ClientHello",
                Incomplete::Evicted => "incomplete: flow evicted (flow table full)",
                Incomplete::Other => "incomplete",
            }),
        }
    }
}

/// Limits for one flow.
#[derive(Clone, Copy, Debug)]
pub struct FlowLimits {
    /// Bytes examined per direction, and the largest out-of-order backlog.
    pub max_handshake_bytes: usize,
}

#[derive(Debug)]
struct Direction {
    reasm: Reassembler,
    scanner: Scanner,
    syn_isn: Option<u32>,
    fin: bool,
    /// This side's records are encrypted from now on.
    encrypted: bool,
    saw_data: bool,
}

/// Connects a reassembler to a scanner.
struct Feed<'a> {
    scanner: &'a mut Scanner,
    events: &'a mut Vec<Event>,
    cut: &'a mut bool,
}

impl Sink for Feed<'_> {
    fn data(&mut self, bytes: &[u8]) {
        self.scanner.push(bytes, self.events);
    }

    fn gap(&mut self, n: u32) {
        *self.cut = true;
        self.scanner.gap(u64::from(n), self.events);
    }
}

/// What a segment changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// The connection got its output position (its first hello) with this
    /// segment.
    pub opened: Option<u64>,
    /// Tracking is over; [`Tracker::finish`] now.
    pub end: Option<End>,
}

#[derive(Debug)]
pub struct Tracker {
    dirs: [Direction; 2],
    client: Option<Side>,
    order: Option<u64>,
    first_hello_ts: Timestamp,
    client_hello: Option<Box<ClientHello>>,
    client_hellos: u8,
    ch_ts: Option<Timestamp>,
    hello_retry: bool,
    server_hello: Option<Box<ServerHello>>,
    sh_ts: Option<Timestamp>,
    sslv2_cipher: Option<CipherSuite>,
    alerts: Vec<AlertSeen>,
    encrypted_alerts: u16,
    fatal: bool,
    reset_by: Option<Side>,
    malformed: Option<Malformed>,
    cut: bool,
    events: Vec<Event>,
}

impl Tracker {
    pub fn new(limits: FlowLimits) -> Tracker {
        let dir = || Direction {
            reasm: Reassembler::new(limits.max_handshake_bytes),
            scanner: Scanner::new(limits.max_handshake_bytes),
            syn_isn: None,
            fin: false,
            encrypted: false,
            saw_data: false,
        };
        Tracker {
            dirs: [dir(), dir()],
            client: None,
            order: None,
            first_hello_ts: Timestamp::ZERO,
            client_hello: None,
            client_hellos: 0,
            ch_ts: None,
            hello_retry: false,
            server_hello: None,
            sh_ts: None,
            sslv2_cipher: None,
            alerts: Vec::new(),
            encrypted_alerts: 0,
            fatal: false,
            reset_by: None,
            malformed: None,
            cut: false,
            events: Vec::new(),
        }
    }

    /// The output position, once a hello was seen.
    pub fn order(&self) -> Option<u64> {
        self.order
    }

    /// A handshake message this flow could not read (too long, or not a
    /// hello at all), if any.
    pub fn malformed(&self) -> Option<Malformed> {
        self.malformed
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
        let had_order = self.order.is_some();
        let flags = seg.flags;
        if flags.contains(TcpFlags::SYN) {
            if self.client.is_none() {
                self.client = Some(if flags.contains(TcpFlags::ACK) {
                    side.other()
                } else {
                    side
                });
            }
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
                scanner: &mut d.scanner,
                events: &mut self.events,
                cut: &mut self.cut,
            };
            d.reasm.push(seq, seg.payload, seg.cut, &mut feed);
            let mut events = std::mem::take(&mut self.events);
            for event in events.drain(..) {
                self.apply(event, side, ts, index);
            }
            self.events = events;
        }
        let opened = if had_order { None } else { self.order };
        let end = if flags.contains(TcpFlags::RST) {
            self.reset_by.get_or_insert(side);
            Some(End::Reset)
        } else {
            if flags.contains(TcpFlags::FIN) {
                self.dirs[side.index()].fin = true;
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
        self.fatal
            || self.dirs.iter().all(|d| d.encrypted)
            || self.dirs.iter().all(|d| d.scanner.is_stopped())
    }

    fn negotiated_tls13(&self) -> bool {
        self.server_hello
            .as_ref()
            .is_some_and(|sh| sh.version() >= Version::TLS13 || sh.version().is_tls13_draft())
    }

    fn apply(&mut self, event: Event, side: Side, ts: Timestamp, index: u64) {
        match event {
            Event::ClientHello(hello) => {
                self.client.get_or_insert(side);
                self.client_hellos = self.client_hellos.saturating_add(1);
                if self.client_hello.is_none() {
                    self.client_hello = Some(hello);
                    self.ch_ts = Some(ts);
                    self.open(ts, index);
                }
            }
            Event::ServerHello(hello) => {
                self.client.get_or_insert(side.other());
                self.open(ts, index);
                if hello.retry {
                    self.hello_retry = true;
                    self.set_tls13();
                } else if self.server_hello.is_none() {
                    self.sh_ts = Some(ts);
                    self.server_hello = Some(hello);
                    if self.negotiated_tls13() {
                        self.set_tls13();
                        // Everything the server sends after its ServerHello
                        // is encrypted (RFC 8446 §2).
                        self.dirs[side.index()].encrypted = true;
                    }
                }
            }
            Event::Sslv2CipherChosen(cipher) => {
                self.sslv2_cipher.get_or_insert(cipher);
            }
            Event::Alert { level, description } => {
                let from = self.role(side);
                if self.alerts.len() < MAX_ALERTS {
                    self.alerts.push(AlertSeen {
                        from,
                        level,
                        description,
                    });
                }
                if level == alert::FATAL {
                    self.fatal = true;
                }
            }
            Event::EncryptedAlert => {
                self.encrypted_alerts = self.encrypted_alerts.saturating_add(1);
            }
            Event::ChangeCipherSpec => {
                let tls12_or_lower = self.server_hello.as_ref().is_some_and(|sh| {
                    !(sh.version() >= Version::TLS13 || sh.version().is_tls13_draft())
                });
                if tls12_or_lower {
                    self.dirs[side.index()].encrypted = true;
                }
            }
            Event::ApplicationData => self.dirs[side.index()].encrypted = true,
            Event::Malformed(m) => {
                self.malformed.get_or_insert(m);
            }
            Event::Stopped(_) => {}
        }
    }

    fn set_tls13(&mut self) {
        for d in &mut self.dirs {
            d.scanner.set_tls13();
        }
    }

    fn open(&mut self, ts: Timestamp, index: u64) {
        if self.order.is_none() {
            self.order = Some(index);
            self.first_hello_ts = ts;
        }
    }

    fn role(&self, side: Side) -> Role {
        if self.client.unwrap_or(Side::Lo) == side {
            Role::Client
        } else {
            Role::Server
        }
    }

    /// The connection's record, or `None` if the flow showed no TLS hello.
    pub fn finish(self, key: &FlowKey, end: End) -> Option<ConnectionRecord> {
        let order = self.order?;
        let client_side = self.client.unwrap_or(Side::Lo);
        let client_hello_complete = self.client_hello.as_ref().is_some_and(|ch| !ch.partial);
        let outcome = if self.fatal {
            Outcome::Rejected
        } else if self.server_hello.is_some() {
            Outcome::Established
        } else if self.reset_by.is_some() {
            Outcome::Reset
        } else if client_hello_complete
            && !self.hello_retry
            && matches!(end, End::Fin | End::Idle | End::CaptureEnd | End::Reused)
        {
            Outcome::NoResponse
        } else {
            Outcome::Incomplete
        };
        let resumed = match (&self.client_hello, &self.server_hello) {
            (_, Some(sh)) if sh.sslv2 => Some(sh.sslv2_session_hit),
            (_, Some(sh)) if sh.version() >= Version::TLS13 || sh.version().is_tls13_draft() => {
                Some(sh.psk)
            }
            (Some(ch), Some(sh)) => {
                Some(!sh.session_id.is_empty() && sh.session_id == ch.session_id)
            }
            _ => None,
        };
        let handshake = match (self.ch_ts, self.sh_ts) {
            (Some(c), Some(s)) => Some(s.since(c)),
            _ => None,
        };
        let reset_by = self.reset_by.map(|s| self.role(s));
        let cipher = self
            .server_hello
            .as_ref()
            .and_then(|sh| sh.cipher)
            .or(self.sslv2_cipher);
        Some(ConnectionRecord {
            order,
            ts: self.ch_ts.unwrap_or(self.first_hello_ts),
            client: key.endpoint(client_side),
            server: key.endpoint(client_side.other()),
            client_hello: self.client_hello,
            server_hello: self.server_hello,
            client_hellos: self.client_hellos,
            hello_retry: self.hello_retry,
            cipher,
            alerts: self.alerts,
            encrypted_alerts: self.encrypted_alerts,
            outcome,
            reset_by,
            handshake,
            resumed,
            malformed: self.malformed,
            cut_by_snaplen: self.cut,
            end,
        })
    }
}
