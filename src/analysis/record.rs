//! The connection record: everything tlssniff reports about one TLS
//! connection, whatever carried it, and the words for how it ended.
//!
//! Built by the handshake state machine ([`super::handshake`]) from what the
//! transport ([`super::tcp`]) and the TLS layers saw; read by the aggregate,
//! the fallback detector and every report format.

use std::fmt;

use crate::decode::Endpoint;
use crate::text::WireText;
use crate::time::{Duration, Timestamp};
use crate::tls::alert;
use crate::tls::cipher::CipherSuite;
use crate::tls::event::Malformed;
use crate::tls::hello::{ClientHello, ServerHello};
use crate::tls::version::Version;

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

    pub fn sni(&self) -> Option<&WireText> {
        self.client_hello.as_ref().and_then(|ch| ch.sni.as_ref())
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
