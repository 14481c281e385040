//! Connection records from a Fiddler session archive: one per HTTPS
//! CONNECT tunnel whose request text holds Fiddler's ClientHello
//! description.
//!
//! What the record says, and where from:
//! - client and server: the session flags `x-clientip`/`x-clientport` and
//!   `x-hostip` with the CONNECT target's port (the unspecified address
//!   when a flag is missing); the client's application is `x-processinfo`
//!   (`chrome:4412` → `chrome`, pid 4412);
//! - time: the session's `ClientBeginRequest` (the CONNECT request), else
//!   `ClientConnected`;
//! - the ClientHello: Fiddler's description ([`crate::tls::fiddler`]);
//! - with HTTPS decryption off, the ServerHello: Fiddler's description of
//!   the server's own answer. Fiddler does not log how the handshake
//!   ended: the outcome is `not_logged`. No ServerHello text, and bytes
//!   from the server: `incomplete` (an alert leaves no text); no bytes at
//!   all: `no_response`;
//! - with HTTPS decryption on, the response text describes Fiddler's own
//!   upstream connection, not the client's handshake: it is kept apart
//!   (`fiddler.upstream`), the record has no ServerHello and no negotiated
//!   version, and the outcome is `intercepted`.

use std::net::{IpAddr, Ipv4Addr};

use super::readiness::Class;
use super::record::{ConnectionRecord, End, Outcome, Stage};
use crate::capture::saz::Session;
use crate::decode::Endpoint;
use crate::text::WireText;
use crate::time::{Timestamp, parse_iso8601};
use crate::tls::fiddler::{self, Upstream, VersionFrom};
use crate::tls::version::Version;

/// Who the server-side text describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerHelloFrom {
    /// The real server's ServerHello (decryption off).
    Server,
    /// Fiddler's own connection to the server (decryption on).
    FiddlerUpstream,
}

impl ServerHelloFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerHelloFrom::Server => "server",
            ServerHelloFrom::FiddlerUpstream => "fiddler upstream",
        }
    }
}

/// What a Fiddler session says besides the hellos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiddlerInfo {
    /// The `NN` of the session's files.
    pub session: u32,
    /// The CONNECT target (`host:port`).
    pub connect: WireText,
    /// The client's process (`x-processinfo`), and its pid.
    pub process: Option<WireText>,
    pub pid: Option<u32>,
    /// Fiddler was decrypting HTTPS: the response text is its own upstream
    /// connection's.
    pub decrypting: bool,
    pub server_hello_from: Option<ServerHelloFrom>,
    /// How the server's version was read (TLS 1.3 is inferred).
    pub server_version_from: Option<VersionFrom>,
    /// The client's supported_versions as printed lacks its last entry.
    pub supported_versions_cut: bool,
    /// Extension names as Fiddler printed them, in order.
    pub client_extensions: Vec<WireText>,
    /// Decrypting: the version Fiddler negotiated with the client
    /// (`https-client-version`) — with Fiddler, not with the server.
    pub client_version_with_fiddler: Option<Version>,
    pub upstream: Option<Upstream>,
    /// Tunnel bytes from the client and from the server (`TunnelInfo`).
    pub bytes_from_client: Option<u64>,
    pub bytes_from_server: Option<u64>,
}

impl FiddlerInfo {
    /// Every string read from the archive (a sink treats them as data).
    pub fn wire_texts(&self) -> impl Iterator<Item = &WireText> {
        let up = self.upstream.as_ref();
        std::iter::once(&self.connect)
            .chain(self.process.as_ref())
            .chain(&self.client_extensions)
            .chain(up.into_iter().flat_map(|u| {
                [
                    &u.protocol,
                    &u.cipher,
                    &u.hash,
                    &u.key_exchange,
                    &u.certificate_subject,
                    &u.certificate_issuer,
                    &u.certificate_thumbprint,
                ]
                .into_iter()
                .flatten()
            }))
    }
}

/// Why a session gave no record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoRecord {
    /// Not a CONNECT tunnel (plain HTTP, or a request decrypted inside one).
    NotTunnel,
    /// A CONNECT whose text holds no ClientHello description.
    NoClientHello,
}

/// The first line of a request: `CONNECT host:port HTTP/1.1` → the target.
fn connect_target(request: &str) -> Option<&str> {
    let line = request.lines().next()?;
    let mut words = line.split_whitespace();
    (words.next()? == "CONNECT").then_some(())?;
    words.next()
}

/// `host:port`, `[v6]:port` → the port (443 without one).
fn target_port(target: &str) -> u16 {
    target
        .rsplit_once(':')
        .filter(|(host, _)| !host.ends_with(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(443)
}

fn target_host(target: &str) -> &str {
    let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The record of one session, at output position `order`.
pub fn record(s: &Session, order: u64) -> Result<ConnectionRecord, NoRecord> {
    let target = connect_target(&s.request).ok_or(NoRecord::NotTunnel)?;
    let mut ch = fiddler::client_hello(&s.request).ok_or(NoRecord::NoClientHello)?;
    // Text past the read bound was not read: the hello may lack its end.
    ch.hello.partial |= s.request_cut;
    let meta = &s.meta;
    let ip = |flag: &str| {
        meta.flag(flag)
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    };
    let unspecified = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let client = Endpoint {
        ip: ip("x-clientip").unwrap_or(unspecified),
        port: meta
            .flag("x-clientport")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0),
    };
    let server = Endpoint {
        ip: ip("x-hostip")
            .or_else(|| target_host(target).parse().ok())
            .unwrap_or(unspecified),
        port: target_port(target),
    };
    let ts = ["ClientBeginRequest", "ClientConnected"]
        .iter()
        .find_map(|t| meta.timers.get(*t).and_then(|v| parse_iso8601(v)))
        .unwrap_or(Timestamp::ZERO);
    let (process, pid) = match meta.flag("x-processinfo") {
        Some(p) => {
            let (name, pid) = p.rsplit_once(':').unwrap_or((p, ""));
            (Some(WireText::new(name.as_bytes())), pid.parse().ok())
        }
        None => (None, None),
    };
    let upstream = fiddler::upstream(&s.response);
    let decrypting = upstream.is_some();
    let sh = if decrypting {
        None
    } else {
        fiddler::server_hello(&s.response)
    };
    let (bytes_from_client, bytes_from_server) = match meta.tunnel_bytes {
        Some((c, s)) => (Some(c), Some(s)),
        None => (None, None),
    };
    let outcome = match (&sh, decrypting) {
        (_, true) => Outcome::Intercepted,
        (Some(_), false) => Outcome::NotLogged,
        (None, false) if bytes_from_server == Some(0) => Outcome::NoResponse,
        (None, false) => Outcome::Incomplete,
    };
    let server_hello = sh.as_ref().map(|f| {
        let mut h = f.hello.clone();
        h.partial |= s.response_cut;
        Box::new(h)
    });
    let resumed = server_hello.as_deref().map(|sh| {
        if sh.version() >= Version::TLS13 {
            sh.psk
        } else {
            !sh.session_id.is_empty() && sh.session_id == ch.hello.session_id
        }
    });
    let info = FiddlerInfo {
        session: s.number,
        connect: WireText::new(target.as_bytes()),
        process,
        pid,
        decrypting,
        server_hello_from: match (&sh, decrypting) {
            (_, true) => Some(ServerHelloFrom::FiddlerUpstream),
            (Some(_), false) => Some(ServerHelloFrom::Server),
            (None, false) => None,
        },
        server_version_from: sh.as_ref().map(|f| f.version_from),
        supported_versions_cut: ch.versions_cut,
        client_extensions: ch.extensions,
        client_version_with_fiddler: meta
            .flag("https-client-version")
            .filter(|_| decrypting)
            .and_then(fiddler::dotnet_protocol),
        upstream,
        bytes_from_client,
        bytes_from_server,
    };
    Ok(ConnectionRecord {
        order,
        ts,
        client,
        server,
        cipher: server_hello.as_ref().and_then(|sh| sh.cipher),
        stage: if server_hello.is_some() {
            Stage::ServerHello
        } else {
            Stage::ClientHello
        },
        server_hello,
        client_hello: Some(Box::new(ch.hello)),
        client_hellos: 1,
        hello_retry: false,
        alerts: Vec::new(),
        encrypted_alerts: 0,
        encrypted_alert_by: None,
        outcome,
        closed_by: None,
        closed_with_reset: false,
        reset_by: None,
        unreadable: false,
        handshake: None,
        resumed,
        malformed: None,
        cut_by_snaplen: false,
        end: End::Done,
        tds: None,
        readiness: Class::Unknown,
        fingerprints: None,
        certificate: None,
        certificate_findings: Default::default(),
        tunnel: None,
        fiddler: Some(Box::new(info)),
        packets: None,
        quic: None,
        dtls: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_targets_and_ports() {
        assert_eq!(
            connect_target("CONNECT github.com:443 HTTP/1.1\r\nHost: x\r\n"),
            Some("github.com:443")
        );
        assert_eq!(connect_target("GET https://a/ HTTP/1.1\r\n"), None);
        assert_eq!(target_port("github.com:5001"), 5001);
        assert_eq!(target_port("github.com"), 443);
        assert_eq!(target_port("[2001:db8::1]:8443"), 8443);
        assert_eq!(target_host("[2001:db8::1]:8443"), "2001:db8::1");
    }

    #[test]
    fn a_session_that_is_no_tunnel_gives_no_record() {
        let s = Session {
            request: "GET http://a/ HTTP/1.1\r\n\r\n".into(),
            ..Session::default()
        };
        assert_eq!(record(&s, 1).err(), Some(NoRecord::NotTunnel));
        let s = Session {
            request: "CONNECT a:443 HTTP/1.1\r\n\r\n".into(),
            ..Session::default()
        };
        assert_eq!(record(&s, 1).err(), Some(NoRecord::NoClientHello));
    }
}
