//! `--format jsonl`: one JSON object per TLS connection (DESIGN.md schema),
//! in capture order of the ClientHello, flushed per record when asked to.

use std::io::{self, Write};

use serde::Serialize;

use super::model::Shown;
use super::{Report, millis};
use crate::analysis::record::ConnectionRecord;
use crate::analysis::tds::TdsInfo;
use crate::decode::Endpoint;
use crate::decode::tunnel::Tunnel;
use crate::encap::tds::Prelogin;
use crate::text::WireText;
use crate::time::format_unix_secs;
use crate::tls::alert;
use crate::tls::certificate::Certificate;
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

#[derive(Serialize)]
pub(super) struct EndpointJson {
    ip: Shown<std::net::IpAddr>,
    port: u16,
}

impl From<Endpoint> for EndpointJson {
    fn from(e: Endpoint) -> Self {
        EndpointJson {
            ip: Shown(e.ip),
            port: e.port,
        }
    }
}

#[derive(Serialize)]
pub(super) struct ClientHelloJson<'a> {
    /// `null` when the source does not say (a Fiddler archive).
    record_version: Option<Version>,
    legacy_version: Version,
    supported_versions: Option<&'a [Version]>,
    max_version: Version,
    /// Always in jsonl; left out of ECS documents, which have them in
    /// `tls.client.supported_ciphers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cipher_suites: Option<&'a [CipherSuite]>,
    fallback_scsv: bool,
    sni: Option<&'a WireText>,
    alpn: Option<&'a [WireText]>,
    sslv2_format: bool,
    partial: bool,
    /// Extension types in the order offered (GREASE removed).
    extensions: &'a [u16],
    supported_groups: &'a [u16],
    signature_algorithms: &'a [u16],
    ec_point_formats: &'a [u8],
    /// The SNI's bytes in hex, when they are not UTF-8 (`sni` then has
    /// U+FFFD in their place).
    #[serde(skip_serializing_if = "Option::is_none")]
    sni_hex: Option<String>,
    /// Likewise for ALPN: every protocol name in hex, when any is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    alpn_hex: Option<Vec<String>>,
}

#[derive(Serialize)]
pub(super) struct ServerHelloJson<'a> {
    version: Version,
    cipher_suite: Option<CipherSuite>,
    legacy_version: Version,
    downgrade_sentinel: Option<Version>,
    partial: bool,
    /// The protocol chosen by ALPN (in clear up to TLS 1.2).
    alpn: Option<&'a WireText>,
}

#[derive(Serialize)]
pub(super) struct AlertJson {
    from: &'static str,
    level: &'static str,
    description: String,
    code: u8,
}

#[derive(Serialize)]
struct LoginErrorJson {
    number: u32,
    state: u8,
}

/// SQL Server: the `tds` object of a TDS connection.
#[derive(Serialize)]
pub(super) struct TdsJson {
    strict: bool,
    tls_in_tds: bool,
    encryption: Option<&'static str>,
    client_encryption: Option<String>,
    server_encryption: Option<String>,
    client_version: Option<String>,
    server_version: Option<String>,
    login: Option<&'static str>,
    tds_version: Option<String>,
    login_error: Option<LoginErrorJson>,
    after_login: Option<&'static str>,
    desync: Option<&'static str>,
}

impl TdsJson {
    pub(super) fn of(t: &TdsInfo) -> TdsJson {
        let encryption =
            |p: Option<Prelogin>| p.and_then(|p| p.encryption).map(|e| e.name().into_owned());
        let version = |p: Option<Prelogin>| p.and_then(|p| p.version).map(|v| v.to_string());
        TdsJson {
            strict: t.strict,
            tls_in_tds: t.tls_in_tds,
            encryption: t.encryption().map(|n| n.as_str()),
            client_encryption: encryption(t.client),
            server_encryption: encryption(t.server),
            client_version: version(t.client),
            server_version: version(t.server),
            login: t.login.map(|l| l.as_str()),
            tds_version: t.tds_version.map(|v| v.to_string()),
            login_error: t
                .login_error
                .map(|(number, state)| LoginErrorJson { number, state }),
            after_login: t.after_login.map(|a| a.as_str()),
            desync: t.desync.map(|d| d.as_str()),
        }
    }
}

/// The server's certificate: the chain's length and the leaf's facts
/// (`null` where the leaf could not be read: `unreadable` says why).
#[derive(Serialize)]
pub(super) struct CertificateJson<'a> {
    chain_length: u32,
    partial: bool,
    unreadable: Option<&'static str>,
    subject: Option<&'a WireText>,
    subject_cn: Option<&'a WireText>,
    san_dns: Option<&'a [WireText]>,
    issuer: Option<&'a WireText>,
    issuer_cn: Option<&'a WireText>,
    serial: Option<&'a str>,
    not_before: Option<String>,
    not_after: Option<String>,
    signature_algorithm: Option<&'a str>,
    signature_oid: Option<&'a str>,
    key_type: Option<&'static str>,
    key_bits: Option<u32>,
    key_curve: Option<&'a str>,
    sha256: Option<&'a str>,
    self_signed: Option<bool>,
    /// At capture time: expired, not_yet_valid, expires_soon, self_signed,
    /// weak_signature, weak_key, name_mismatch.
    findings: Vec<&'static str>,
}

impl<'a> CertificateJson<'a> {
    pub(super) fn of(rec: &'a ConnectionRecord, c: &'a Certificate) -> Self {
        let leaf = c.leaf.as_deref().ok();
        CertificateJson {
            chain_length: c.chain_length,
            partial: c.partial,
            unreadable: c.leaf.as_ref().err().map(|e| e.as_str()),
            subject: leaf.map(|l| &l.subject),
            subject_cn: leaf.and_then(|l| l.subject_cn.as_ref()),
            san_dns: leaf.map(|l| l.san_dns.as_slice()),
            issuer: leaf.map(|l| &l.issuer),
            issuer_cn: leaf.and_then(|l| l.issuer_cn.as_ref()),
            serial: leaf.map(|l| l.serial.as_str()),
            not_before: leaf.map(|l| format_unix_secs(l.not_before)),
            not_after: leaf.map(|l| format_unix_secs(l.not_after)),
            signature_algorithm: leaf.map(|l| l.signature_algorithm.as_str()),
            signature_oid: leaf.map(|l| l.signature_oid.as_str()),
            key_type: leaf.map(|l| l.key_type.as_str()),
            key_bits: leaf.and_then(|l| l.key_bits),
            key_curve: leaf.and_then(|l| l.key_curve.as_deref()),
            sha256: leaf.map(|l| l.sha256.as_str()),
            self_signed: leaf.map(|l| l.self_signed),
            findings: rec.certificate_findings.keys(),
        }
    }
}

/// The outermost tunnel, its outer addresses in the client's direction.
#[derive(Serialize)]
pub(super) struct TunnelJson {
    #[serde(rename = "type")]
    kind: &'static str,
    outer_client: Option<Shown<std::net::IpAddr>>,
    outer_server: Option<Shown<std::net::IpAddr>>,
    /// VNI, GRE key, ERSPAN session, top MPLS label or GTP TEID.
    id: Option<u32>,
    /// Encapsulations around the connection's packets.
    depth: u8,
}

impl From<&Tunnel> for TunnelJson {
    fn from(t: &Tunnel) -> Self {
        TunnelJson {
            kind: t.kind.as_str(),
            outer_client: t.outer.map(|(c, _)| Shown(c)),
            outer_server: t.outer.map(|(_, s)| Shown(s)),
            id: t.id,
            depth: t.depth,
        }
    }
}

#[derive(Serialize)]
struct RecordJson<'a> {
    ts: Shown<crate::time::Timestamp>,
    /// `--sensor`: which tlssniff saw the connection.
    sensor: &'a str,
    client: EndpointJson,
    server: EndpointJson,
    /// The flow's Community ID (`null` for Fiddler sessions).
    community_id: Option<String>,
    client_hello: Option<ClientHelloJson<'a>>,
    server_hello: Option<ServerHelloJson<'a>>,
    version: Option<Version>,
    cipher: Option<CipherSuite>,
    offers_3des: bool,
    uses_3des: bool,
    /// Negotiated below TLS 1.2 (or, unanswered, offered nothing higher),
    /// or a weak suite: what the summary's Legacy table counts.
    legacy: bool,
    alerts: Vec<AlertJson>,
    outcome: &'static str,
    handshake_ms: Option<f64>,
    hello_retry_request: bool,
    client_hellos: u8,
    resumed: Option<bool>,
    reset_by: Option<&'static str>,
    reason: Option<String>,
    stage: &'static str,
    closed_by: Option<&'static str>,
    /// Against the run's policy: meets, client_cannot, held_back, unknown.
    readiness: &'static str,
    /// JA3 (MD5) and its string; JA3S likewise; JA4 and JA4_r. `null` when
    /// the hello could not be read whole (or is SSL 2.0-format).
    ja3: Option<&'a str>,
    ja3_string: Option<&'a str>,
    ja3s: Option<&'a str>,
    ja3s_string: Option<&'a str>,
    ja4: Option<&'a str>,
    ja4_r: Option<&'a str>,
    app: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tds: Option<TdsJson>,
    /// The server's certificate, when its Certificate message was in clear.
    certificate: Option<CertificateJson<'a>>,
    tunnel: Option<TunnelJson>,
    /// `capture` (packets) or `fiddler` (a session archive's text).
    source: &'static str,
    /// What carried the TLS: `tcp` or `quic`.
    transport: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quic: Option<QuicJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtls: Option<DtlsJson>,
    /// Fiddler: whose handshake the server side describes — `server`, or
    /// `fiddler upstream` (decrypting: Fiddler's own connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    server_hello_from: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fiddler: Option<FiddlerJson<'a>>,
}

/// A QUIC connection's version and what its packets showed.
#[derive(Serialize)]
pub(super) struct QuicJson {
    version: Option<String>,
    retry: bool,
    version_negotiation: bool,
    undecryptable_initials: u16,
    server_handshake_packets: u16,
    client_handshake_packets: u16,
}

/// A DTLS connection's record-layer facts.
#[derive(Serialize)]
pub(super) struct DtlsJson {
    record_version: Option<Version>,
    hello_verify_request: bool,
    reassembled_messages: u16,
    repeated_fragments: u16,
    refused_fragments: u16,
    broken_datagrams: u16,
}

/// Fiddler's own connection to the server, when it was decrypting.
#[derive(Serialize)]
struct UpstreamJson<'a> {
    version: Option<Version>,
    protocol: Option<&'a WireText>,
    cipher: Option<&'a WireText>,
    hash: Option<&'a WireText>,
    key_exchange: Option<&'a WireText>,
    certificate_subject: Option<&'a WireText>,
    certificate_issuer: Option<&'a WireText>,
    certificate_thumbprint: Option<&'a WireText>,
}

/// What a Fiddler session says besides the hellos.
#[derive(Serialize)]
pub(super) struct FiddlerJson<'a> {
    session: u32,
    connect: &'a WireText,
    process: Option<&'a WireText>,
    pid: Option<u32>,
    decrypting: bool,
    /// How the server's version was read: `version_line`, or TLS 1.3 from
    /// `supported_versions` / `cipher_suite`.
    server_version_from: Option<&'static str>,
    /// Fiddler prints the client's supported_versions without its last
    /// entry.
    supported_versions_cut: bool,
    client_extensions: &'a [WireText],
    /// Decrypting: the version Fiddler (not the server) negotiated with the
    /// client.
    client_version_with_fiddler: Option<Version>,
    upstream: Option<UpstreamJson<'a>>,
    bytes_from_client: Option<u64>,
    bytes_from_server: Option<u64>,
}

impl<'a> FiddlerJson<'a> {
    fn of(f: &'a crate::analysis::fiddler::FiddlerInfo) -> Self {
        FiddlerJson {
            session: f.session,
            connect: &f.connect,
            process: f.process.as_ref(),
            pid: f.pid,
            decrypting: f.decrypting,
            server_version_from: f.server_version_from.map(|v| v.as_str()),
            supported_versions_cut: f.supported_versions_cut,
            client_extensions: &f.client_extensions,
            client_version_with_fiddler: f.client_version_with_fiddler,
            upstream: f.upstream.as_ref().map(|u| UpstreamJson {
                version: u.version,
                protocol: u.protocol.as_ref(),
                cipher: u.cipher.as_ref(),
                hash: u.hash.as_ref(),
                key_exchange: u.key_exchange.as_ref(),
                certificate_subject: u.certificate_subject.as_ref(),
                certificate_issuer: u.certificate_issuer.as_ref(),
                certificate_thumbprint: u.certificate_thumbprint.as_ref(),
            }),
            bytes_from_client: f.bytes_from_client,
            bytes_from_server: f.bytes_from_server,
        }
    }
}

pub(super) fn client_hello(rec: &ConnectionRecord) -> Option<ClientHelloJson<'_>> {
    rec.client_hello.as_deref().map(|ch| ClientHelloJson {
        record_version: rec.fiddler.is_none().then_some(ch.record_version),
        legacy_version: ch.legacy_version,
        supported_versions: ch.supported_versions.as_deref(),
        max_version: ch.max_version(),
        cipher_suites: Some(&ch.cipher_suites),
        fallback_scsv: ch.fallback_scsv(),
        sni: ch.sni.as_ref(),
        alpn: ch.alpn.as_deref(),
        sslv2_format: ch.sslv2_format,
        partial: ch.partial,
        extensions: &ch.extensions,
        supported_groups: &ch.supported_groups,
        signature_algorithms: &ch.signature_algorithms,
        ec_point_formats: &ch.ec_point_formats,
        sni_hex: ch.sni.as_ref().filter(|t| !t.is_utf8()).map(WireText::hex),
        alpn_hex: ch
            .alpn
            .as_ref()
            .filter(|list| list.iter().any(|t| !t.is_utf8()))
            .map(|list| list.iter().map(WireText::hex).collect()),
    })
}

pub(super) fn server_hello(rec: &ConnectionRecord) -> Option<ServerHelloJson<'_>> {
    rec.server_hello.as_deref().map(|sh| ServerHelloJson {
        version: sh.version(),
        cipher_suite: rec.cipher,
        legacy_version: sh.legacy_version,
        downgrade_sentinel: sh.downgrade_sentinel,
        partial: sh.partial,
        alpn: sh.alpn.as_ref(),
    })
}

pub(super) fn alerts(rec: &ConnectionRecord) -> Vec<AlertJson> {
    rec.alerts
        .iter()
        .map(|a| AlertJson {
            from: a.from.as_str(),
            level: alert::level_name(a.level),
            description: alert::description_label(a.description),
            code: a.description,
        })
        .collect()
}

pub(super) fn quic(rec: &ConnectionRecord) -> Option<QuicJson> {
    rec.quic.map(|q| QuicJson {
        version: q.version.map(|v| v.name()),
        retry: q.retry,
        version_negotiation: q.version_negotiation,
        undecryptable_initials: q.undecryptable,
        server_handshake_packets: q.server_handshake_packets,
        client_handshake_packets: q.client_handshake_packets,
    })
}

pub(super) fn dtls(rec: &ConnectionRecord) -> Option<DtlsJson> {
    rec.dtls.map(|d| DtlsJson {
        record_version: d.record_version,
        hello_verify_request: d.hello_verify_request,
        reassembled_messages: d.reassembled,
        repeated_fragments: d.repeated,
        refused_fragments: d.refused,
        broken_datagrams: d.broken_datagrams,
    })
}

fn to_json<'a>(rec: &'a ConnectionRecord, sensor: &'a str) -> RecordJson<'a> {
    // Computed as the record entered the aggregate (pipeline::Analysis).
    let fps = rec.fingerprints.as_deref();
    let ja3 = fps.and_then(|f| f.ja3.as_ref());
    let ja3s = fps.and_then(|f| f.ja3s.as_ref());
    let ja4 = fps.and_then(|f| f.ja4.as_ref());
    let (ja3, ja3_string) = (ja3.map(|j| j.hash.as_str()), ja3.map(|j| j.string.as_str()));
    let (ja3s, ja3s_string) = (
        ja3s.map(|j| j.hash.as_str()),
        ja3s.map(|j| j.string.as_str()),
    );
    let (ja4, ja4_r) = (ja4.map(|j| j.ja4.as_str()), ja4.map(|j| j.raw.as_str()));
    RecordJson {
        ja3,
        ja3_string,
        ja3s,
        ja3s_string,
        ja4,
        ja4_r,
        ts: Shown(rec.ts),
        sensor,
        client: rec.client.into(),
        server: rec.server.into(),
        community_id: rec.community_id(),
        client_hello: client_hello(rec),
        server_hello: server_hello(rec),
        version: rec.version(),
        cipher: rec.cipher,
        offers_3des: rec.offers_3des(),
        uses_3des: rec.uses_3des(),
        legacy: rec.counts_as_legacy(),
        alerts: alerts(rec),
        outcome: rec.outcome.as_str(),
        handshake_ms: rec.handshake.map(millis),
        hello_retry_request: rec.hello_retry,
        client_hellos: rec.client_hellos,
        resumed: rec.resumed,
        reset_by: rec.reset_by.map(|r| r.as_str()),
        reason: rec.failure_reason().map(|r| r.to_string()),
        stage: rec.stage.as_str(),
        closed_by: rec.closed_by.map(|r| r.as_str()),
        readiness: rec.readiness.as_str(),
        app: rec.app(),
        tds: rec.tds.as_deref().map(TdsJson::of),
        certificate: rec
            .certificate
            .as_deref()
            .map(|c| CertificateJson::of(rec, c)),
        tunnel: rec.tunnel.as_ref().map(TunnelJson::from),
        source: rec.source(),
        transport: rec.transport(),
        quic: quic(rec),
        dtls: dtls(rec),
        server_hello_from: rec
            .fiddler
            .as_ref()
            .and_then(|f| f.server_hello_from)
            .map(|f| f.as_str()),
        fiddler: rec.fiddler.as_deref().map(FiddlerJson::of),
    }
}

/// Appends one record as a JSON line.
pub fn encode(rec: &ConnectionRecord, sensor: &str, out: &mut Vec<u8>) {
    // Serializing into a Vec cannot fail: every value is a plain field.
    let _ = super::escape::json_line(&to_json(rec, sensor), plain(rec, sensor), out);
    out.push(b'\n');
}

/// Is every string of the line plain ASCII (so the JSON needs no escaping
/// beyond serde's)?
pub(super) fn plain(rec: &ConnectionRecord, sensor: &str) -> bool {
    super::escape::plain_ascii(sensor.as_bytes())
        && rec
            .wire_texts()
            .all(|t| super::escape::plain_ascii(t.as_bytes()))
}

/// Writes JSON lines, one per connection: `--format jsonl`, and
/// `--format ecs` with the ECS encoder.
pub struct Jsonl<W: Write> {
    out: W,
    flush_each: bool,
    encoder: super::Encoder,
    line: Vec<u8>,
}

impl<W: Write> Jsonl<W> {
    pub fn new(out: W, flush_each: bool, encoder: super::Encoder) -> Self {
        Jsonl {
            out,
            flush_each,
            encoder,
            line: Vec::new(),
        }
    }
}

impl<W: Write> Report for Jsonl<W> {
    fn record(&mut self, rec: &ConnectionRecord) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.encoder.encode(rec, &mut line);
        let r = self.encoded(&line);
        self.line = line;
        r
    }

    fn encoder(&self) -> Option<super::Encoder> {
        Some(self.encoder.clone())
    }

    fn encoded(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, _model: &super::model::Model<'_>) -> io::Result<()> {
        self.out.flush()
    }
}
