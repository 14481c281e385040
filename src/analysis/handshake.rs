//! The handshake state machine: the TLS events of both directions of one
//! connection in, the connection's facts out.
//!
//! It knows nothing of TCP: the transport that carries the handshake (TCP
//! today, through [`super::tcp`]; QUIC and DTLS datagrams later) says which
//! side sent each [`Event`] and when, and how the connection ended. From
//! that it decides who the client is (the side the transport names, else the
//! ClientHello's sender), keeps the first ClientHello (and counts those that
//! follow a HelloRetryRequest), the final ServerHello (a HelloRetryRequest
//! is not one), cleartext alerts with their sender, and when each direction
//! went encrypted. It is *settled* — nothing more can be learnt from either
//! direction — after a fatal alert or once both directions are encrypted.
//!
//! As in tls-parser's `tls_states.rs`, the transitions are one `match` over
//! (event, direction), in [`Handshake::apply`].

use super::record::{AlertSeen, ConnectionRecord, End, Outcome, Role};
use crate::decode::Endpoint;
use crate::flow::Side;
use crate::time::Timestamp;
use crate::tls::alert;
use crate::tls::cipher::CipherSuite;
use crate::tls::event::{Event, Malformed};
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
    fatal: bool,
    /// Each side's records are encrypted from now on.
    encrypted: [bool; 2],
    malformed: Option<Malformed>,
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
            fatal: false,
            encrypted: [false; 2],
            malformed: None,
        }
    }
}

impl Handshake {
    /// The transport knows the client (TCP: the SYN's sender).
    pub fn set_client(&mut self, side: Side) {
        self.client.get_or_insert(side);
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

    /// Nothing more can be learnt: a fatal alert, or both directions
    /// encrypted.
    pub fn is_settled(&self) -> bool {
        self.fatal || self.encrypted.iter().all(|e| *e)
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
                } else if self.server_hello.is_none() {
                    self.sh_ts = Some(ts);
                    self.server_hello = Some(hello);
                    if self.negotiated_tls13() {
                        // Everything the server sends after its ServerHello
                        // is encrypted (RFC 8446 §2).
                        self.encrypted[side.index()] = true;
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
                let tls12_or_lower = self.server_hello.is_some() && !self.negotiated_tls13();
                if tls12_or_lower {
                    self.encrypted[side.index()] = true;
                }
            }
            Event::ApplicationData { .. } => self.encrypted[side.index()] = true,
            Event::Malformed(m) => {
                self.malformed.get_or_insert(m);
            }
            Event::Handshake(_) | Event::EncryptedHandshake | Event::Stopped(_) => {}
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

    /// The connection's record, or `None` if it showed no TLS hello.
    pub fn finish(self, ending: Ending) -> Option<ConnectionRecord> {
        let order = self.order?;
        let client_side = self.client.unwrap_or(Side::Lo);
        let client_hello_complete = self.client_hello.as_ref().is_some_and(|ch| !ch.partial);
        let end = ending.end;
        let outcome = if self.fatal {
            Outcome::Rejected
        } else if self.server_hello.is_some() {
            Outcome::Established
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
        let [lo, hi] = ending.endpoints;
        let endpoint = |side: Side| match side {
            Side::Lo => lo,
            Side::Hi => hi,
        };
        Some(ConnectionRecord {
            order,
            ts: self.ch_ts.unwrap_or(self.first_hello_ts),
            client: endpoint(client_side),
            server: endpoint(client_side.other()),
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
            cut_by_snaplen: ending.cut_by_snaplen,
            end,
        })
    }
}
