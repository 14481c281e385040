//! `--format ecs`: one Elastic Common Schema document per TLS connection, as
//! JSON lines, for Elasticsearch/OpenSearch (and anything that reads ECS).
//!
//! Where ECS has a field for a fact, the fact goes there under ECS's name
//! and type ([`ECS_VERSION`]): `@timestamp`, `event.*`, `source.*` /
//! `destination.*` (and `client.*` / `server.*`, the same endpoints by
//! role), `network.*`, `tls.*` with `tls.server.x509.*` for the leaf
//! certificate, `observer.*` for the sensor, `related.*`. Everything else —
//! offered versions, SCSV, alerts, the failure reason, readiness, SQL
//! Server, tunnels, JA4 — is in `tlssniff.*`, with the shapes of `--format
//! jsonl`. Facts that were not seen are left out (ECS has no nulls), except
//! inside `tlssniff`, which keeps jsonl's `null`s.
//!
//! `tests/ecs.rs` checks every field name, type and allowed value of every
//! fixture's documents against ECS's own field definitions (vendored in
//! `tests/ecs/`).

use serde::Serialize;

use super::jsonl::{
    self, AlertJson, CertificateJson, ClientHelloJson, DtlsJson, EndpointJson, QuicJson,
    ServerHelloJson, TdsJson, TunnelJson,
};
use super::model::Shown;
use crate::analysis::record::{ConnectionRecord, Outcome};
use crate::text::WireText;
use crate::time::{Timestamp, format_unix_secs};
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

/// The ECS release the documents follow.
pub const ECS_VERSION: &str = "9.4.0";

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: Shown<Timestamp>,
    ecs: Ecs,
    event: Event,
    observer: Observer<'a>,
    source: EndpointJson,
    destination: EndpointJson,
    client: EndpointJson,
    server: EndpointJson,
    network: Network,
    related: Related<'a>,
    tls: Tls<'a>,
    tlssniff: Extra<'a>,
}

#[derive(Serialize)]
struct Ecs {
    version: &'static str,
}

#[derive(Serialize)]
struct Event {
    kind: &'static str,
    category: [&'static str; 1],
    #[serde(rename = "type")]
    kind_of: [&'static str; 2],
    module: &'static str,
    dataset: &'static str,
    action: &'static str,
    outcome: &'static str,
    start: Shown<Timestamp>,
    /// The handshake's duration, in nanoseconds (ECS's unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Serialize)]
struct Observer<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    product: &'static str,
    vendor: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Network {
    #[serde(skip_serializing_if = "Option::is_none")]
    community_id: Option<String>,
    transport: &'static str,
    protocol: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Related<'a> {
    ip: [Shown<std::net::IpAddr>; 2],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hosts: Vec<&'a WireText>,
}

#[derive(Serialize)]
struct Tls<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cipher: Option<CipherSuite>,
    established: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    resumed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_protocol: Option<&'a WireText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<TlsClient<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<TlsServer<'a>>,
}

#[derive(Serialize)]
struct TlsClient<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    server_name: Option<&'a WireText>,
    supported_ciphers: &'a [CipherSuite],
    #[serde(skip_serializing_if = "Option::is_none")]
    ja3: Option<&'a str>,
}

#[derive(Serialize)]
struct TlsServer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ja3s: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<Hash>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a WireText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<&'a WireText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x509: Option<X509<'a>>,
}

#[derive(Serialize)]
struct Hash {
    sha256: String,
}

#[derive(Serialize)]
struct X509<'a> {
    subject: Name<'a>,
    issuer: Name<'a>,
    alternative_names: &'a [WireText],
    serial_number: String,
    not_before: String,
    not_after: String,
    signature_algorithm: &'a str,
    public_key_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key_curve: Option<&'a str>,
}

#[derive(Serialize)]
struct Name<'a> {
    distinguished_name: &'a WireText,
    /// ECS makes it a list; tlssniff keeps the first commonName.
    #[serde(skip_serializing_if = "Option::is_none")]
    common_name: Option<[&'a WireText; 1]>,
}

/// What ECS has no field for, with the shapes and names of `--format jsonl`.
#[derive(Serialize)]
struct Extra<'a> {
    /// tlssniff's name of the negotiated version (`TLS 1.2`, `0x7f1c`).
    version: Option<Version>,
    client_hello: Option<ClientHelloJson<'a>>,
    server_hello: Option<ServerHelloJson<'a>>,
    offers_3des: bool,
    uses_3des: bool,
    /// As jsonl's `legacy`: what the summary's Legacy table counts.
    legacy: bool,
    fallback_scsv: bool,
    alerts: Vec<AlertJson>,
    outcome: &'static str,
    reason: Option<String>,
    stage: &'static str,
    reset_by: Option<&'static str>,
    closed_by: Option<&'static str>,
    readiness: &'static str,
    hello_retry_request: bool,
    client_hellos: u8,
    ja3_string: Option<&'a str>,
    ja3s_string: Option<&'a str>,
    ja4: Option<&'a str>,
    ja4_r: Option<&'a str>,
    app: Option<&'static str>,
    source: &'static str,
    transport: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tds: Option<TdsJson>,
    /// The certificate's facts ECS has no field for (findings, chain
    /// length, self-signed, ...), as jsonl's `certificate`.
    certificate: Option<CertificateJson<'a>>,
    tunnel: Option<TunnelJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quic: Option<QuicJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtls: Option<DtlsJson>,
}

/// ECS's `tls.version_protocol` and `tls.version` (`tls`, `1.2`) for a
/// version with a name; drafts and unknown values have none (tlssniff's
/// `tlssniff.version` keeps them).
fn split_version(v: Version) -> Option<(&'static str, &'static str)> {
    Some(match v {
        Version::SSL2 => ("ssl", "2.0"),
        Version::SSL3 => ("ssl", "3.0"),
        Version::TLS10 => ("tls", "1.0"),
        Version::TLS11 => ("tls", "1.1"),
        Version::TLS12 => ("tls", "1.2"),
        Version::TLS13 => ("tls", "1.3"),
        Version::DTLS10 => ("dtls", "1.0"),
        Version::DTLS12 => ("dtls", "1.2"),
        Version::DTLS13 => ("dtls", "1.3"),
        _ => return None,
    })
}

/// ECS's `event.outcome`: the handshake succeeded, failed, or the capture
/// cannot tell (it began mid-handshake, or saw one side only).
fn event_outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Established => "success",
        Outcome::Rejected | Outcome::Reset | Outcome::Aborted | Outcome::NoResponse => "failure",
        Outcome::Incomplete
        | Outcome::Unencrypted
        | Outcome::OneSided
        | Outcome::NotLogged
        | Outcome::Intercepted => "unknown",
    }
}

fn document<'a>(rec: &'a ConnectionRecord, sensor: &'a str) -> Document<'a> {
    let fps = rec.fingerprints.as_deref();
    let ja3 = fps.and_then(|f| f.ja3.as_ref());
    let ja3s = fps.and_then(|f| f.ja3s.as_ref());
    let ja4 = fps.and_then(|f| f.ja4.as_ref());
    let ch = rec.client_hello.as_deref();
    let leaf = rec.leaf();
    let version = rec.version().and_then(split_version);
    let udp = rec.transport() != "tcp";
    Document {
        timestamp: Shown(rec.ts),
        ecs: Ecs {
            version: ECS_VERSION,
        },
        event: Event {
            kind: "event",
            category: ["network"],
            kind_of: ["connection", "protocol"],
            module: "tlssniff",
            dataset: "tlssniff.connection",
            action: "tls-handshake",
            outcome: event_outcome(rec.outcome),
            start: Shown(rec.ts),
            duration: rec.handshake.map(|d| d.0),
            reason: rec.failure_reason().map(|r| r.to_string()),
        },
        observer: Observer {
            name: sensor,
            kind: "sensor",
            product: "tlssniff",
            vendor: "tlssniff",
            version: env!("CARGO_PKG_VERSION"),
        },
        source: rec.client.into(),
        destination: rec.server.into(),
        client: rec.client.into(),
        server: rec.server.into(),
        network: Network {
            community_id: rec.community_id(),
            transport: if udp { "udp" } else { "tcp" },
            protocol: match rec.transport() {
                "quic" => "quic",
                "dtls" => "dtls",
                _ => "tls",
            },
            kind: if rec.client.ip.is_ipv4() {
                "ipv4"
            } else {
                "ipv6"
            },
        },
        related: Related {
            ip: [Shown(rec.client.ip), Shown(rec.server.ip)],
            hosts: rec.sni().into_iter().collect(),
        },
        tls: Tls {
            version: version.map(|(_, number)| number),
            version_protocol: version.map(|(protocol, _)| protocol),
            cipher: rec.cipher,
            established: rec.outcome == Outcome::Established,
            resumed: rec.resumed,
            next_protocol: rec.server_hello.as_deref().and_then(|s| s.alpn.as_ref()),
            client: ch.map(|c| TlsClient {
                server_name: c.sni.as_ref(),
                supported_ciphers: &c.cipher_suites,
                ja3: ja3.map(|j| j.hash.as_str()),
            }),
            server: (rec.server_hello.is_some() || leaf.is_some()).then(|| TlsServer {
                ja3s: ja3s.map(|j| j.hash.as_str()),
                hash: leaf.map(|l| Hash {
                    sha256: l.sha256.to_ascii_uppercase(),
                }),
                subject: leaf.map(|l| &l.subject),
                issuer: leaf.map(|l| &l.issuer),
                not_before: leaf.map(|l| format_unix_secs(l.not_before)),
                not_after: leaf.map(|l| format_unix_secs(l.not_after)),
                x509: leaf.map(|l| X509 {
                    subject: Name {
                        distinguished_name: &l.subject,
                        common_name: l.subject_cn.as_ref().map(|n| [n]),
                    },
                    issuer: Name {
                        distinguished_name: &l.issuer,
                        common_name: l.issuer_cn.as_ref().map(|n| [n]),
                    },
                    alternative_names: &l.san_dns,
                    serial_number: l.serial.to_ascii_uppercase(),
                    not_before: format_unix_secs(l.not_before),
                    not_after: format_unix_secs(l.not_after),
                    signature_algorithm: &l.signature_algorithm,
                    public_key_algorithm: l.key_type.as_str(),
                    public_key_size: l.key_bits,
                    public_key_curve: l.key_curve.as_deref(),
                }),
            }),
        },
        tlssniff: Extra {
            version: rec.version(),
            client_hello: jsonl::client_hello(rec).map(|mut ch| {
                ch.cipher_suites = None;
                ch
            }),
            server_hello: jsonl::server_hello(rec),
            offers_3des: rec.offers_3des(),
            uses_3des: rec.uses_3des(),
            legacy: rec.counts_as_legacy(),
            fallback_scsv: rec.fallback_scsv(),
            alerts: jsonl::alerts(rec),
            outcome: rec.outcome.as_str(),
            reason: rec.failure_reason().map(|r| r.to_string()),
            stage: rec.stage.as_str(),
            reset_by: rec.reset_by.map(|r| r.as_str()),
            closed_by: rec.closed_by.map(|r| r.as_str()),
            readiness: rec.readiness.as_str(),
            hello_retry_request: rec.hello_retry,
            client_hellos: rec.client_hellos,
            ja3_string: ja3.map(|j| j.string.as_str()),
            ja3s_string: ja3s.map(|j| j.string.as_str()),
            ja4: ja4.map(|j| j.ja4.as_str()),
            ja4_r: ja4.map(|j| j.raw.as_str()),
            app: rec.app(),
            source: rec.source(),
            transport: rec.transport(),
            tds: rec.tds.as_deref().map(TdsJson::of),
            certificate: rec
                .certificate
                .as_deref()
                .map(|c| CertificateJson::of(rec, c)),
            tunnel: rec.tunnel.as_ref().map(TunnelJson::from),
            quic: jsonl::quic(rec),
            dtls: jsonl::dtls(rec),
        },
    }
}

/// Appends one record as an ECS document on one line.
pub fn encode(rec: &ConnectionRecord, sensor: &str, out: &mut Vec<u8>) {
    // Serializing into a Vec cannot fail: every value is a plain field.
    let _ = super::escape::json_line(&document(rec, sensor), jsonl::plain(rec, sensor), out);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_split_into_protocol_and_number() {
        assert_eq!(split_version(Version::TLS12), Some(("tls", "1.2")));
        assert_eq!(split_version(Version::SSL3), Some(("ssl", "3.0")));
        assert_eq!(split_version(Version::DTLS12), Some(("dtls", "1.2")));
        // A TLS 1.3 draft has no ECS number; tlssniff.version keeps it.
        assert_eq!(split_version(Version(0x7f1c)), None);
    }
}
