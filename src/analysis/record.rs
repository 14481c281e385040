//! The connection record: everything tlssniff reports about one TLS
//! connection, whatever carried it, and the words for how it ended.
//!
//! Built by the handshake state machine ([`super::handshake`]) from what the
//! transport ([`super::tcp`]) and the TLS layers saw; read by the aggregate,
//! the fallback detector and every report format.

use super::certificate::Findings;
use super::readiness::Class;
pub use super::reason::{FailureReason, Incomplete};
use super::tds::TdsInfo;
use crate::decode::Endpoint;
use crate::decode::tunnel::Tunnel;
use crate::text::WireText;
use crate::time::{Duration, Timestamp};
use crate::tls::alert;
use crate::tls::certificate::{Certificate, Leaf};
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
    /// The handshake completed: TLS <= 1.2, both sides' ChangeCipherSpec
    /// and Finished (or application data both ways); TLS 1.3, the client's
    /// flight after the ServerHello and application data after it; SSL 2.0,
    /// the client's CLIENT-MASTER-KEY after the SERVER-HELLO.
    Established,
    /// A fatal cleartext alert before the handshake completed.
    Rejected,
    /// TCP reset before a ServerHello.
    Reset,
    /// A ServerHello, then a close (FIN) or reset before the handshake
    /// completed, without a fatal cleartext alert: a client that drops a
    /// certificate it does not trust, a server or middlebox that gives up
    /// after the key exchange.
    Aborted,
    /// A complete ClientHello got no answer before the flow or capture ended.
    NoResponse,
    /// Anything else: the capture began or ended mid-handshake, a hello was
    /// cut, the flow was evicted, a direction could not be followed, ...
    Incomplete,
    /// No TLS at all on a connection of a protocol that has it (SQL
    /// Server's TDS with encryption off or not supported).
    Unencrypted,
    /// The capture holds only one direction of the connection (a SPAN of
    /// one direction, asymmetric routing): not a failure, nothing to judge.
    OneSided,
    /// From a session log that describes the hellos but not how the
    /// handshake ended (a Fiddler archive with HTTPS decryption off).
    NotLogged,
    /// The client's handshake ended at an intercepting proxy (Fiddler
    /// decrypting HTTPS): the client's hello is known, the real server's
    /// answer is not.
    Intercepted,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Established,
        Outcome::Rejected,
        Outcome::Reset,
        Outcome::Aborted,
        Outcome::NoResponse,
        Outcome::Incomplete,
        Outcome::Unencrypted,
        Outcome::OneSided,
        Outcome::NotLogged,
        Outcome::Intercepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Established => "established",
            Outcome::Rejected => "rejected",
            Outcome::Reset => "reset",
            Outcome::Aborted => "aborted",
            Outcome::NoResponse => "no_response",
            Outcome::Incomplete => "incomplete",
            Outcome::Unencrypted => "unencrypted",
            Outcome::OneSided => "one_sided",
            Outcome::NotLogged => "not_logged",
            Outcome::Intercepted => "intercepted",
        }
    }

    /// Not a failed handshake: completed, no TLS to fail, or nothing to
    /// judge it on.
    pub fn is_not_failure(self) -> bool {
        matches!(
            self,
            Outcome::Established
                | Outcome::Unencrypted
                | Outcome::OneSided
                | Outcome::NotLogged
                | Outcome::Intercepted
        )
    }
}

/// How far a handshake got: the last step seen, whichever side took it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Nothing but a ClientHello (or not even that).
    #[default]
    ClientHello,
    HelloRetryRequest,
    ServerHello,
    ServerCertificate,
    ServerKeyExchange,
    CertificateRequest,
    ServerHelloDone,
    ClientCertificate,
    ClientKeyExchange,
    /// The client's ChangeCipherSpec and Finished (TLS <= 1.2), or its
    /// flight after the ServerHello (TLS 1.3).
    ClientFinished,
    ServerFinished,
    /// TLS 1.3: the server's encrypted flight after its ServerHello.
    ServerFlight,
    /// The handshake completed.
    Complete,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::ClientHello => "client_hello",
            Stage::HelloRetryRequest => "hello_retry_request",
            Stage::ServerHello => "server_hello",
            Stage::ServerCertificate => "server_certificate",
            Stage::ServerKeyExchange => "server_key_exchange",
            Stage::CertificateRequest => "certificate_request",
            Stage::ServerHelloDone => "server_hello_done",
            Stage::ClientCertificate => "client_certificate",
            Stage::ClientKeyExchange => "client_key_exchange",
            Stage::ClientFinished => "client_finished",
            Stage::ServerFinished => "server_finished",
            Stage::ServerFlight => "server_flight",
            Stage::Complete => "complete",
        }
    }

    /// In words, after "after": `the server's Certificate`.
    pub fn phrase(self) -> &'static str {
        match self {
            Stage::ClientHello => "the ClientHello",
            Stage::HelloRetryRequest => "the HelloRetryRequest",
            Stage::ServerHello => "the ServerHello",
            Stage::ServerCertificate => "the server's Certificate",
            Stage::ServerKeyExchange => "the server's ServerKeyExchange",
            Stage::CertificateRequest => "the server's CertificateRequest",
            Stage::ServerHelloDone => "the server's ServerHelloDone",
            Stage::ClientCertificate => "the client's Certificate",
            Stage::ClientKeyExchange => "the client's key exchange",
            Stage::ClientFinished => "the client's Finished",
            Stage::ServerFinished => "the server's Finished",
            Stage::ServerFlight => "the server's encrypted handshake flight",
            Stage::Complete => "the handshake",
        }
    }

    /// The server has shown its certificate (and the client has not answered
    /// with its own flight yet).
    pub fn after_server_certificate(self) -> bool {
        matches!(
            self,
            Stage::ServerCertificate
                | Stage::ServerKeyExchange
                | Stage::CertificateRequest
                | Stage::ServerHelloDone
                | Stage::ServerFlight
        )
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
    /// Who sent the first encrypted alert (TLS <= 1.2: an alert record after
    /// ChangeCipherSpec; TLS 1.3: an alert-sized encrypted record).
    pub encrypted_alert_by: Option<Role>,
    pub outcome: Outcome,
    /// How far the handshake got.
    pub stage: Stage,
    /// Who closed the connection first (FIN or RST), if it was closed.
    pub closed_by: Option<Role>,
    /// That first close was a RST.
    pub closed_with_reset: bool,
    pub reset_by: Option<Role>,
    /// A direction could no longer be read (its record stream was lost, or
    /// it passed --max-handshake-bytes) before the handshake completed.
    pub unreadable: bool,
    /// ClientHello to ServerHello, in capture time.
    pub handshake: Option<Duration>,
    pub resumed: Option<bool>,
    pub malformed: Option<Malformed>,
    /// The capture cut bytes (snaplen) out of this connection's handshake.
    pub cut_by_snaplen: bool,
    pub end: End,
    /// SQL Server: the TDS facts, when the connection was TDS.
    pub tds: Option<Box<TdsInfo>>,
    /// Where it stands against the run's policy (set as the record enters
    /// the aggregate; `Unknown` before).
    pub readiness: Class,
    /// JA3, JA3S, JA4 (computed once, as the record enters the aggregate).
    pub fingerprints: Option<Box<crate::tls::fingerprint::Fingerprints>>,
    /// The server's certificate chain, when its Certificate message was in
    /// clear (TLS <= 1.2, SSL 3.0).
    pub certificate: Option<Box<Certificate>>,
    /// What is wrong with the leaf, at this record's capture time.
    pub certificate_findings: Findings,
    /// The outermost tunnel the connection was seen in (VXLAN, GRE, ...),
    /// its outer addresses in the client's direction.
    pub tunnel: Option<Tunnel>,
    /// Read from a Fiddler session archive, not from packets: what
    /// Fiddler's session said besides the hellos.
    pub fiddler: Option<Box<super::fiddler::FiddlerInfo>>,
    /// Capture positions of the first and last packet its handshake was
    /// followed over (`-w` writes them again); `None` for session logs.
    pub packets: Option<(u64, u64)>,
    /// A QUIC connection: what QUIC said besides TLS.
    pub quic: Option<super::quic::QuicInfo>,
    /// A DTLS connection: what its records said besides the hellos.
    pub dtls: Option<super::dtls::DtlsInfo>,
}

/// Takes packet `index` into a connection's span of capture positions
/// (first, last): what `-w` writes again.
pub fn widen_span(span: &mut Option<(u64, u64)>, index: u64) {
    *span = Some(span.map_or((index, index), |(first, _)| (first, index)));
}

/// The tunnel a connection's first tunnelled packet came in, and who sent
/// that packet.
#[derive(Clone, Copy, Debug, Default)]
pub struct TunnelSeen(Option<(crate::flow::Side, Tunnel)>);

impl TunnelSeen {
    /// A packet from `side`, inside `tunnel` if it came in one.
    pub fn note(&mut self, side: crate::flow::Side, tunnel: Option<&Tunnel>) {
        if self.0.is_none() {
            self.0 = tunnel.map(|t| (side, *t));
        }
    }

    /// The tunnel with its outer addresses as `client` sends.
    pub fn for_client(self, client: crate::flow::Side) -> Option<Tunnel> {
        self.0
            .map(|(side, t)| if side == client { t } else { t.reversed() })
    }
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
        encrypted_alert_by: None,
        outcome: Outcome::NoResponse,
        stage: Stage::ClientHello,
        closed_by: None,
        closed_with_reset: false,
        reset_by: None,
        unreadable: false,
        handshake: None,
        resumed: None,
        malformed: None,
        cut_by_snaplen: false,
        end: End::CaptureEnd,
        tds: None,
        readiness: Class::Unknown,
        fingerprints: None,
        certificate: None,
        certificate_findings: Findings::default(),
        tunnel: None,
        fiddler: None,
        packets: None,
        quic: None,
        dtls: None,
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

    /// Negotiated a weak suite: 3DES, RC4, NULL, EXPORT, anonymous or DES.
    /// Legacy by version or by suite: what the summary's Legacy table and
    /// the records' `legacy` count.
    pub fn counts_as_legacy(&self) -> bool {
        self.is_legacy() || self.uses_weak_suite()
    }

    pub fn uses_weak_suite(&self) -> bool {
        self.cipher.is_some_and(|c| c.classes().weak())
    }

    pub fn sni(&self) -> Option<&WireText> {
        self.client_hello.as_ref().and_then(|ch| ch.sni.as_ref())
    }

    /// The server certificate's leaf, when it was read.
    pub fn leaf(&self) -> Option<&Leaf> {
        self.certificate
            .as_ref()
            .and_then(|c| c.leaf.as_ref().ok())
            .map(|l| &**l)
    }

    /// Every name from the wire this record holds (SNI, ALPN, the
    /// certificate's names): the strings a sink must treat as data.
    pub fn wire_texts(&self) -> impl Iterator<Item = &WireText> {
        let ch = self.client_hello.as_deref();
        let leaf = self.leaf();
        ch.and_then(|c| c.sni.as_ref())
            .into_iter()
            .chain(ch.and_then(|c| c.alpn.as_deref()).unwrap_or_default())
            .chain(self.server_hello.as_deref().and_then(|s| s.alpn.as_ref()))
            .chain(leaf.into_iter().flat_map(|l| {
                [&l.subject, &l.issuer]
                    .into_iter()
                    .chain(l.subject_cn.as_ref())
                    .chain(l.issuer_cn.as_ref())
                    .chain(&l.san_dns)
            }))
            .chain(self.fiddler.iter().flat_map(|f| f.wire_texts()))
    }

    pub fn fallback_scsv(&self) -> bool {
        self.client_hello
            .as_ref()
            .is_some_and(|ch| ch.fallback_scsv())
    }

    /// The protocol the TLS was found in, when tlssniff knows it: `tds`,
    /// or `http-connect` for a tunnel through Fiddler.
    pub fn app(&self) -> Option<&'static str> {
        match (&self.tds, &self.fiddler) {
            (Some(_), _) => Some("tds"),
            (None, Some(_)) => Some("http-connect"),
            (None, None) => None,
        }
    }

    /// What carried the TLS: `tcp`, `quic` or `dtls` (over UDP).
    /// The flow's Community ID (see [`crate::flow::community_id`]), for
    /// joining with Zeek, Suricata or Elastic; `None` for Fiddler sessions,
    /// whose addresses are not a captured flow's.
    pub fn community_id(&self) -> Option<String> {
        use crate::flow::community_id::{TCP, UDP, community_id};
        if self.fiddler.is_some() {
            return None;
        }
        let protocol = if self.transport() == "tcp" { TCP } else { UDP };
        Some(community_id(self.client, self.server, protocol))
    }

    pub fn transport(&self) -> &'static str {
        match (&self.quic, &self.dtls) {
            (Some(_), _) => "quic",
            (None, Some(_)) => "dtls",
            (None, None) => "tcp",
        }
    }

    /// Where the record came from: `capture` (packets) or `fiddler` (a
    /// session archive's text).
    pub fn source(&self) -> &'static str {
        if self.fiddler.is_some() {
            "fiddler"
        } else {
            "capture"
        }
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
        FailureReason::of(self)
    }
}
