//! The handshake state machine: the TLS events of both directions of one
//! connection in, the connection's facts out.
//!
//! It knows nothing of TCP: the transport that carries the handshake (TCP
//! today, through [`super::tcp`]; QUIC and DTLS datagrams later) says which
//! side sent each [`Event`] and when, and how the connection ended. From
//! that it decides who the client is (the side the transport names, else the
//! ClientHello's sender), keeps the first ClientHello (and counts those that
//! follow a HelloRetryRequest), the final ServerHello (a HelloRetryRequest
//! is not one), cleartext alerts with their sender, how far the handshake
//! got ([`Stage`]), and whether it completed:
//!
//! - TLS ≤ 1.2 and SSL 3.0: both sides' ChangeCipherSpec, each followed by
//!   its (encrypted) Finished, or application data both ways, or — in a
//!   full handshake, after the client's ClientKeyExchange — the server's
//!   ChangeCipherSpec and Finished, which it sends only after checking the
//!   client's Finished;
//! - TLS 1.3: the client's flight after the ServerHello (an encrypted
//!   record that is not the size of a lone alert: its Finished), then
//!   application data after it, from either side;
//! - SSL 2.0: the client's CLIENT-MASTER-KEY after the SERVER-HELLO (what
//!   follows is encrypted).
//!
//! It is *settled* — nothing more can be learnt — after a fatal alert or
//! once the handshake completed. A connection that saw a ServerHello and
//! then was closed before it completed is *aborted*, with who closed it and
//! after which step; a fatal alert that only answers the other side's close
//! does not make it a rejection.
//!
//! As in tls-parser's `tls_states.rs`, the transitions are one `match` over
//! (event, direction), in [`Handshake::apply`].

use super::certificate::Findings;
use super::record::{AlertSeen, ConnectionRecord, End, Outcome, Role, Stage};
use crate::decode::Endpoint;
use crate::flow::Side;
use crate::time::Timestamp;
use crate::tls::alert;
use crate::tls::certificate::{Chain, LeafCache};
use crate::tls::cipher::CipherSuite;
use crate::tls::event::{Event, Malformed, Stop};
use crate::tls::hello::{ClientHello, ServerHello};
use crate::tls::version::Version;

/// Most cleartext alerts kept per connection.
const MAX_ALERTS: usize = 8;

/// What the transport says about a connection as it ends.
#[derive(Clone, Copy, Debug)]
pub struct Ending {
    /// The two endpoints, by [`Side`].
    pub endpoints: [Endpoint; 2],
    /// Why tracking ended.
    pub end: End,
    /// The side that reset the connection, if one did.
    pub reset_by: Option<Side>,
    /// The capture cut bytes (snaplen) out of the handshake.
    pub cut_by_snaplen: bool,
    /// Bytes of a direction never arrived (a hole the capture never
    /// filled): what followed them could not be read.
    pub lost_bytes: bool,
}

impl Ending {
    /// A connection over UDP ends: no resets, no snaplen cuts of a stream;
    /// `lost_bytes` when its handshake bytes could not all be kept.
    pub fn datagram(endpoints: [Endpoint; 2], end: End, lost_bytes: bool) -> Ending {
        Ending {
            endpoints,
            end,
            reset_by: None,
            cut_by_snaplen: false,
            lost_bytes,
        }
    }
}

/// An encrypted TLS 1.3 record of this length holds a lone alert: two bytes,
/// the content type and a 16-byte AEAD tag (8 for the CCM_8 suites). A
/// Finished is at least 4 + 32 + 1 + 8 bytes.
fn alert_sized(len: u16) -> bool {
    len == 19 || len == 11
}

/// What one side has done since the ServerHello.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// TLS <= 1.2: sent ChangeCipherSpec.
    ccs: bool,
    /// TLS <= 1.2: a handshake record after its ChangeCipherSpec.
    finished: bool,
    /// Application-data records sent (saturating).
    app_data: u8,
    /// The direction stopped for a reason other than the end of an SSL 2.0
    /// handshake: nothing more can be read from it.
    unreadable: bool,
}

#[derive(Debug)]
pub struct Handshake {
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
    encrypted_alert_by: Option<Side>,
    /// A fatal cleartext alert, and whether it came after the other side
    /// had closed (then it answers the close and is not a rejection).
    fatal: bool,
    fatal_after_close: bool,
    progress: [Progress; 2],
    /// TLS 1.3: the client's flight after the ServerHello was seen.
    client_flight: bool,
    /// TLS <= 1.2: the client's ClientKeyExchange was seen.
    client_key_exchange: bool,
    completed: bool,
    stage: Stage,
    /// The first side to close (FIN or RST), and whether with a RST.
    closed: Option<(Side, bool)>,
    malformed: Option<Malformed>,
    /// The server's first Certificate message, when it was in clear.
    certificate: Option<Box<Chain>>,
}

impl Default for Handshake {
    fn default() -> Self {
        Handshake {
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
            encrypted_alert_by: None,
            fatal: false,
            fatal_after_close: false,
            progress: [Progress::default(); 2],
            client_flight: false,
            client_key_exchange: false,
            completed: false,
            stage: Stage::ClientHello,
            closed: None,
            malformed: None,
            certificate: None,
        }
    }
}

impl Handshake {
    /// The transport knows the client (TCP: the SYN's sender).
    pub fn set_client(&mut self, side: Side) {
        self.client.get_or_insert(side);
    }

    /// The connection's first message, a TDS PRELOGIN, at capture time
    /// `ts` in packet `index`: it gets a record (and its output position)
    /// even if no hello follows.
    pub fn begin(&mut self, ts: Timestamp, index: u64) {
        self.open(ts, index);
    }

    /// The side that is the client, once known.
    pub fn client_side(&self) -> Option<Side> {
        self.client
    }

    /// The handshake completed.
    pub fn is_completed(&self) -> bool {
        self.completed
    }

    /// The cipher suite the ServerHello chose.
    pub fn cipher(&self) -> Option<CipherSuite> {
        self.server_hello.as_ref().and_then(|sh| sh.cipher)
    }

    /// A fatal cleartext alert was seen.
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }

    /// The output position, once a hello was seen.
    pub fn order(&self) -> Option<u64> {
        self.order
    }

    /// A handshake message this connection could not read (too long, or not
    /// a hello at all), if any.
    pub fn malformed(&self) -> Option<Malformed> {
        self.malformed
    }

    /// Nothing more can be learnt: a fatal alert, or the handshake
    /// completed.
    pub fn is_settled(&self) -> bool {
        self.fatal || self.completed
    }

    /// Both hellos were seen.
    pub fn has_hellos(&self) -> bool {
        self.client_hello.is_some() && self.server_hello.is_some()
    }

    /// The transport saw the handshake complete (QUIC: the client's
    /// Handshake packet, its Finished, after the server's flight).
    pub fn transport_completed(&mut self) {
        if self.has_hellos() {
            self.complete();
        }
    }

    /// `side` closed the connection (FIN), or reset it (RST).
    pub fn closed(&mut self, side: Side, reset: bool) {
        self.closed.get_or_insert((side, reset));
    }

    /// TLS 1.3 (or a draft of it) was negotiated, or a HelloRetryRequest
    /// seen: ChangeCipherSpec no longer starts encryption.
    pub fn is_tls13(&self) -> bool {
        self.hello_retry || self.negotiated_tls13()
    }

    fn negotiated_tls13(&self) -> bool {
        self.server_hello
            .as_ref()
            .is_some_and(|sh| sh.version() >= Version::TLS13 || sh.version().is_tls13_draft())
    }

    /// One event from `side`, at capture time `ts`, in the packet at
    /// capture position `index`.
    pub fn apply(&mut self, event: Event, side: Side, ts: Timestamp, index: u64) {
        let from_client = self.role(side) == Role::Client;
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
                    self.step(Stage::HelloRetryRequest);
                } else if self.server_hello.is_none() {
                    self.sh_ts = Some(ts);
                    self.server_hello = Some(hello);
                    self.step(Stage::ServerHello);
                }
            }
            Event::Sslv2CipherChosen(cipher) => {
                self.sslv2_cipher.get_or_insert(cipher);
                if self.server_hello.as_ref().is_some_and(|sh| sh.sslv2) {
                    self.complete();
                }
            }
            Event::Handshake(msg_type) => {
                let stage = match (from_client, msg_type) {
                    (false, 11) => Some(Stage::ServerCertificate),
                    (false, 12) => Some(Stage::ServerKeyExchange),
                    (false, 13) => Some(Stage::CertificateRequest),
                    (false, 14) => Some(Stage::ServerHelloDone),
                    (true, 11) => Some(Stage::ClientCertificate),
                    (true, 16) => Some(Stage::ClientKeyExchange),
                    _ => None,
                };
                if let (Some(stage), true) = (stage, self.server_hello.is_some()) {
                    self.client_key_exchange |= stage == Stage::ClientKeyExchange;
                    self.step(stage);
                }
            }
            Event::Certificate(chain) => self.certificate(side, chain),
            Event::Alert { level, description } => {
                let from = self.role(side);
                if self.alerts.len() < MAX_ALERTS {
                    self.alerts.push(AlertSeen {
                        from,
                        level,
                        description,
                    });
                }
                if level == alert::FATAL && !self.fatal {
                    self.fatal = true;
                    self.fatal_after_close = self.closed.is_some_and(|(s, _)| s != side);
                }
            }
            Event::EncryptedAlert => {
                self.encrypted_alerts = self.encrypted_alerts.saturating_add(1);
                self.encrypted_alert_by.get_or_insert(side);
            }
            Event::ChangeCipherSpec => {
                if self.server_hello.is_some() && !self.negotiated_tls13() {
                    self.progress[side.index()].ccs = true;
                }
            }
            Event::EncryptedHandshake => {
                let p = &mut self.progress[side.index()];
                if p.ccs && !p.finished {
                    p.finished = true;
                    self.step(if from_client {
                        Stage::ClientFinished
                    } else {
                        Stage::ServerFinished
                    });
                }
                // A full handshake: the server sends its Finished only once
                // it has checked the client's (RFC 5246 §7.3), so it
                // completes the handshake even when the capture lost the
                // client's Finished (cut by a small snapshot length).
                let answered = !from_client && self.client_key_exchange;
                if answered || self.progress.iter().all(|p| p.finished) {
                    self.complete();
                }
            }
            Event::ApplicationData { len } => self.application_data(side, from_client, len),
            Event::Malformed(m) => {
                self.malformed.get_or_insert(m);
            }
            Event::Stopped(why) => {
                if why != Stop::Sslv2Done && !self.completed {
                    self.progress[side.index()].unreadable = true;
                }
            }
        }
    }

    /// A Certificate message from `side`, whole or (once the connection
    /// ended) as far as it came. A client's certificate (mutual TLS) is not
    /// judged.
    pub fn certificate(&mut self, side: Side, chain: Box<Chain>) {
        if self.role(side) == Role::Server && self.certificate.is_none() {
            self.certificate = Some(chain);
        }
    }

    /// An application-data record: after a TLS 1.3 ServerHello, the
    /// encrypted handshake and what follows it; in TLS <= 1.2, data.
    fn application_data(&mut self, side: Side, from_client: bool, len: u16) {
        if self.server_hello.is_none() {
            // 0-RTT early data, or bytes of a connection joined late.
            return;
        }
        let p = &mut self.progress[side.index()];
        p.app_data = p.app_data.saturating_add(1);
        if !self.negotiated_tls13() {
            if self.progress.iter().all(|p| p.app_data > 0) {
                self.complete();
            }
            return;
        }
        if alert_sized(len) {
            self.encrypted_alerts = self.encrypted_alerts.saturating_add(1);
            self.encrypted_alert_by.get_or_insert(side);
            return;
        }
        match (from_client, self.client_flight) {
            (false, false) => self.step(Stage::ServerFlight),
            (true, false) => {
                self.client_flight = true;
                self.step(Stage::ClientFinished);
            }
            // Application data after the client's flight.
            (_, true) => self.complete(),
        }
    }

    fn step(&mut self, stage: Stage) {
        if !self.completed {
            self.stage = stage;
        }
    }

    fn complete(&mut self) {
        if !self.fatal {
            self.completed = true;
            self.stage = Stage::Complete;
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

    /// The connection's record, or `None` if it showed no TLS hello. The
    /// server's certificate is parsed through `certs`.
    pub fn finish(self, ending: Ending, certs: &mut LeafCache) -> Option<ConnectionRecord> {
        let order = self.order?;
        let client_side = self.client.unwrap_or(Side::Lo);
        let client_hello_complete = self.client_hello.as_ref().is_some_and(|ch| !ch.partial);
        let end = ending.end;
        let unreadable = ending.lost_bytes || self.progress.iter().any(|p| p.unreadable);
        let outcome = if self.completed {
            Outcome::Established
        } else if self.fatal && !(self.fatal_after_close && self.server_hello.is_some()) {
            Outcome::Rejected
        } else if self.server_hello.is_some() {
            if ending.cut_by_snaplen || unreadable || self.closed.is_none() {
                Outcome::Incomplete
            } else {
                Outcome::Aborted
            }
        } else if ending.reset_by.is_some() {
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
        let reset_by = ending.reset_by.map(|s| self.role(s));
        let cipher = self
            .server_hello
            .as_ref()
            .and_then(|sh| sh.cipher)
            .or(self.sslv2_cipher);
        let encrypted_alert_by = self.encrypted_alert_by.map(|s| self.role(s));
        let closed_by = self.closed.map(|(s, _)| self.role(s));
        let ts = self.ch_ts.unwrap_or(self.first_hello_ts);
        let sni = self.client_hello.as_ref().and_then(|ch| ch.sni.as_ref());
        let certificate = self.certificate.map(|c| Box::new(certs.read(*c)));
        let certificate_findings = match certificate.as_ref().map(|c| &c.leaf) {
            Some(Ok(leaf)) => super::certificate::judge(leaf, ts, sni),
            _ => Findings::default(),
        };
        let [lo, hi] = ending.endpoints;
        let endpoint = |side: Side| match side {
            Side::Lo => lo,
            Side::Hi => hi,
        };
        Some(ConnectionRecord {
            order,
            ts,
            client: endpoint(client_side),
            server: endpoint(client_side.other()),
            client_hello: self.client_hello,
            server_hello: self.server_hello,
            client_hellos: self.client_hellos,
            hello_retry: self.hello_retry,
            cipher,
            alerts: self.alerts,
            encrypted_alerts: self.encrypted_alerts,
            encrypted_alert_by,
            outcome,
            stage: self.stage,
            closed_by,
            closed_with_reset: self.closed.is_some_and(|(_, reset)| reset),
            reset_by,
            unreadable,
            handshake,
            resumed,
            malformed: self.malformed,
            cut_by_snaplen: ending.cut_by_snaplen,
            end,
            tds: None,
            readiness: super::readiness::Class::Unknown,
            fingerprints: None,
            certificate,
            certificate_findings,
            fiddler: None,
            packets: None,
            quic: None,
            dtls: None,
            tunnel: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls12_server_hello() -> Event {
        Event::ServerHello(Box::new(ServerHello {
            legacy_version: Version::TLS12,
            ..ServerHello::default()
        }))
    }

    /// A full TLS 1.2 handshake whose client Finished the capture lost (a
    /// 128-byte snapshot length): the server's Finished, sent only after
    /// it checked the client's, completes it. An abbreviated handshake
    /// (no ClientKeyExchange: the server finishes first) does not.
    #[test]
    fn the_servers_finished_after_the_key_exchange_completes_a_full_handshake() {
        let (c, s) = (Side::Lo, Side::Hi);
        let ts = Timestamp::ZERO;
        let mut full = Handshake::default();
        for (event, side) in [
            (Event::ClientHello(Box::default()), c),
            (tls12_server_hello(), s),
            (Event::Handshake(11), s),
            (Event::Handshake(14), s),
            (Event::Handshake(16), c),
            (Event::Stopped(Stop::LostSync), c),
            (Event::ChangeCipherSpec, s),
        ] {
            full.apply(event, side, ts, 0);
        }
        assert!(!full.is_completed());
        full.apply(Event::EncryptedHandshake, s, ts, 0);
        assert!(full.is_completed());

        let mut resumed = Handshake::default();
        for (event, side) in [
            (Event::ClientHello(Box::default()), c),
            (tls12_server_hello(), s),
            (Event::ChangeCipherSpec, s),
            (Event::EncryptedHandshake, s),
        ] {
            resumed.apply(event, side, ts, 0);
        }
        assert!(!resumed.is_completed());
    }
}
