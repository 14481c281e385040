//! The report model: one typed structure with everything a summary report
//! shows, built once from the aggregate's snapshot and the capture's
//! accounting. Every summary format renders it and computes nothing of its
//! own: `summary-json` is this structure serialized (its field names and
//! order are the schema of DESIGN.md), the table lays the same rows out for
//! people.
//!
//! Rows borrow from the [`Summary`] they were built from, so a model of a
//! capture with a hundred thousand clients costs a few words per row, not a
//! copy of each. Values keep their types (versions, cipher suites,
//! addresses, timestamps) and serialize through their `Display`, so a table
//! can still colour a legacy version and a JSON consumer gets `"TLS 1.0"`.

use std::collections::HashMap;
use std::fmt::Display;
use std::net::IpAddr;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::analysis::accounting::{CaptureStats, FileReport, SessionCounts};
use crate::analysis::aggregate::{
    ApplicationStats, CertificateKey, CertificateStats, ClientStats, FailureKey, FingerprintStats,
    LegacyKey, Seen, ServerStats, SqlStats, Summary, Transports, Unlisted, VersionMix,
};
use crate::analysis::certificate::{Finding, Findings};
use crate::analysis::fallback::Fallback;
use crate::analysis::readiness::{Policy, Tally, Verdict};
use crate::analysis::reason::{FailureReason, ServerSeen};
use crate::analysis::record::Outcome;
use crate::analysis::tds::Symptom;
use crate::capture::InterfaceStats;
use crate::decode::Endpoint;
use crate::text::WireText;
use crate::time::{Timestamp, format_unix_secs};
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

/// Serializes a value through its `Display` (`TLS 1.2`, IANA names, hex for
/// unknown values, RFC 3339 timestamps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown<T>(pub T);

impl<T: Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

fn shown<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

fn shown_opt<T: Display, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// An endpoint as `{"ip": "10.0.0.1", "port": 443}`.
fn endpoint<S: Serializer>(e: &Endpoint, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Endpoint", 2)?;
    st.serialize_field("ip", &Shown(e.ip))?;
    st.serialize_field("port", &e.port)?;
    st.end()
}

/// Connections per version, highest first, `None` (not negotiated, or not
/// known) last. Serialized as `{"TLS 1.3": 5, "TLS 1.2": 1}`: the count of
/// `None` is a field of its own (`not_negotiated`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mix(pub Vec<(Option<Version>, u64)>);

impl Mix {
    pub fn of(m: &VersionMix) -> Mix {
        Mix(Summary::mix_sorted(m))
    }

    /// Connections without a version.
    pub fn unknown(&self) -> u64 {
        self.0
            .iter()
            .filter(|(v, _)| v.is_none())
            .map(|(_, n)| *n)
            .sum()
    }
}

impl Serialize for Mix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (v, n) in &self.0 {
            if let Some(v) = v {
                map.serialize_entry(&Shown(v), n)?;
            }
        }
        map.end()
    }
}

/// A map whose keys are in the order given.
pub struct Counts<K>(pub Vec<(K, u64)>);

impl<K> Counts<K> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: PartialEq> Counts<K> {
    /// The count of `key`, 0 when it is not listed.
    pub fn get(&self, key: K) -> u64 {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, n)| *n)
    }
}

impl<K: Display> Serialize for Counts<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, n) in &self.0 {
            map.serialize_entry(&Shown(k), n)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
pub struct FileModel<'a> {
    pub name: &'a str,
    pub format: &'a str,
    pub link_types: Vec<Shown<crate::capture::LinkType>>,
    pub snaplen: Option<u32>,
    pub packets: u64,
    pub bytes: u64,
    #[serde(serialize_with = "shown_opt")]
    pub first_ts: Option<Timestamp>,
    #[serde(serialize_with = "shown_opt")]
    pub last_ts: Option<Timestamp>,
    pub damage: Option<&'a str>,
    pub error: Option<&'a str>,
    /// A Fiddler session archive: what its sessions gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsModel>,
}

/// What a Fiddler archive's sessions gave.
#[derive(Serialize, Clone, Copy, Default)]
pub struct SessionsModel {
    pub sessions: u64,
    pub connect_tunnels: u64,
    pub records: u64,
    pub tunnels_without_client_hello: u64,
    pub not_tunnels: u64,
    pub unreadable: u64,
}

impl From<SessionCounts> for SessionsModel {
    fn from(c: SessionCounts) -> Self {
        SessionsModel {
            sessions: c.sessions,
            connect_tunnels: c.tunnels,
            records: c.records,
            tunnels_without_client_hello: c.no_client_hello,
            not_tunnels: c.not_tunnels,
            unreadable: c.unreadable,
        }
    }
}

impl<'a> From<&'a FileReport> for FileModel<'a> {
    fn from(f: &'a FileReport) -> Self {
        FileModel {
            name: &f.name,
            format: &f.format,
            link_types: f.link_types.iter().copied().map(Shown).collect(),
            snaplen: f.snaplen,
            packets: f.packets,
            bytes: f.bytes,
            first_ts: f.first_ts,
            last_ts: f.last_ts,
            damage: f.damage.as_deref(),
            error: f.error.as_deref(),
            sessions: f.sessions.map(SessionsModel::from),
        }
    }
}

#[derive(Serialize)]
pub struct InterfaceModel<'a> {
    pub name: &'a str,
    #[serde(serialize_with = "shown_opt")]
    pub link_type: Option<crate::capture::LinkType>,
    pub received: u64,
    pub dropped_by_kernel: u64,
    pub dropped_by_interface: u64,
}

impl<'a> From<&'a InterfaceStats> for InterfaceModel<'a> {
    fn from(i: &'a InterfaceStats) -> Self {
        InterfaceModel {
            name: &i.name,
            link_type: i.link_type,
            received: i.received,
            dropped_by_kernel: i.dropped,
            dropped_by_interface: i.if_dropped,
        }
    }
}

/// Where every packet went.
#[derive(Serialize)]
pub struct CaptureModel<'a> {
    pub files: Vec<FileModel<'a>>,
    pub packets: u64,
    pub bytes: u64,
    #[serde(serialize_with = "shown_opt")]
    pub first_ts: Option<Timestamp>,
    #[serde(serialize_with = "shown_opt")]
    pub last_ts: Option<Timestamp>,
    /// Packets not analysed, by reason.
    pub skipped: Counts<String>,
    pub tcp_segments: u64,
    pub handshake_segments: u64,
    pub after_handshake_segments: u64,
    pub untracked_segments: u64,
    pub cut_packets: u64,
    pub flows: u64,
    pub max_flows: usize,
    pub evicted_flows: u64,
    pub evicted_in_handshake: u64,
    pub oversized_hellos: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub tds_desyncs: u64,
    /// Files read as the continuation of the one before.
    #[serde(skip_serializing_if = "is_zero")]
    pub joined_files: u64,
    /// Files not joined to the one before although they might continue it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub file_notes: &'a [String],
    pub unreadable_hellos: u64,
    pub unfinished_hellos: u64,
    pub records_out_of_order: u64,
    pub interfaces: Vec<InterfaceModel<'a>>,
    pub expired_flows: u64,
    /// Fiddler archives' sessions, all files together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsModel>,
    /// QUIC packets that could not be read, by reason.
    #[serde(skip_serializing_if = "Counts::is_empty")]
    pub quic_unread: Counts<&'static str>,
}

impl<'a> CaptureModel<'a> {
    fn new(c: &'a CaptureStats) -> Self {
        // Reasons that read the same (802.3 lengths, say) are one entry.
        let mut skipped: Vec<(String, u64)> = Vec::new();
        for (r, n) in &c.skipped {
            let name = r.to_string();
            match skipped.iter_mut().find(|(s, _)| *s == name) {
                Some((_, total)) => *total += n,
                None => skipped.push((name, *n)),
            }
        }
        if c.no_interface > 0 {
            skipped.push(("no interface description".into(), c.no_interface));
        }
        CaptureModel {
            files: c.files.iter().map(FileModel::from).collect(),
            packets: c.packets,
            bytes: c.bytes,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
            skipped: Counts(skipped),
            tcp_segments: c.tcp,
            handshake_segments: c.handshake,
            after_handshake_segments: c.after_handshake,
            untracked_segments: c.untracked,
            cut_packets: c.cut_packets,
            flows: c.flows.created,
            max_flows: c.max_flows,
            evicted_flows: c.flows.evicted,
            evicted_in_handshake: c.evicted_handshakes,
            oversized_hellos: c.oversized_hellos,
            tds_desyncs: c.tds_desyncs,
            joined_files: c.joined_files,
            file_notes: &c.file_notes,
            unreadable_hellos: c.unreadable_hellos,
            unfinished_hellos: c.unfinished_hellos,
            records_out_of_order: c.released_late,
            interfaces: c.interfaces.iter().map(InterfaceModel::from).collect(),
            expired_flows: c.flows.expired,
            sessions: (c.sessions.sessions > 0).then(|| c.sessions.into()),
            quic_unread: Counts(
                c.quic_unread
                    .iter()
                    .map(|(why, n)| (why.describe(), *n))
                    .collect(),
            ),
        }
    }

    /// Packets not analysed.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.0.iter().map(|(_, n)| n).sum()
    }

    /// Inputs that were read as captures (not those that could not be read).
    pub fn captures_read(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_none()).count()
    }
}

/// What full tables (--max-rows) could not list; every total counts it.
#[derive(Serialize)]
pub struct UnlistedModel {
    pub clients: u64,
    pub servers: u64,
    pub legacy: u64,
    pub failures: u64,
    pub policy_violations: u64,
    pub fallbacks: u64,
    pub fallback_pairs: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub sql_servers: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub fingerprints: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub applications: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub certificates: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<Unlisted> for UnlistedModel {
    fn from(u: Unlisted) -> Self {
        UnlistedModel {
            clients: u.clients,
            servers: u.servers,
            legacy: u.legacy,
            failures: u.failures,
            policy_violations: u.below_min,
            fallbacks: u.fallbacks,
            fallback_pairs: u.fallback_pairs,
            sql_servers: u.sql_servers,
            fingerprints: u.fingerprints,
            applications: u.applications,
            certificates: u.certificates,
        }
    }
}

#[derive(Serialize)]
pub struct TotalsModel {
    pub client_hello_messages: u64,
    pub legacy_connections: u64,
    pub offers_3des: u64,
    pub uses_3des: u64,
    pub fallback_scsv: u64,
    pub hello_retry_requests: u64,
    pub resumed: u64,
    pub sslv2_format_hellos: u64,
    pub partial_hellos: u64,
    pub cut_by_snaplen: u64,
    pub downgrade_sentinels: u64,
    /// Connections per outermost tunnel type (`vxlan`, `gre`, ...).
    pub tunnels: Counts<&'static str>,
    /// Connections over QUIC (the others over TCP).
    #[serde(skip_serializing_if = "is_zero")]
    pub quic_connections: u64,
    /// Connections over DTLS.
    #[serde(skip_serializing_if = "is_zero")]
    pub dtls_connections: u64,
    pub unlisted: UnlistedModel,
}

/// The policy the verdicts judge by, and how many clients and servers got
/// each verdict.
#[derive(Serialize)]
pub struct ReadinessModel {
    /// `TLS ≥ 1.2, no 3DES`.
    pub policy: String,
    #[serde(serialize_with = "shown")]
    pub min_version: Version,
    pub deny: Vec<&'static str>,
    /// Connections by class: meets, client_cannot, held_back, unknown.
    pub connections: Counts<&'static str>,
    /// Clients by verdict, every client verdict listed.
    pub clients: Counts<&'static str>,
    /// Servers by verdict, every server verdict listed.
    pub servers: Counts<&'static str>,
    /// Connections of the clients that will break.
    pub will_break_connections: u64,
    /// Servers that held a client back.
    pub holding_back: u64,
    /// Servers whose certificate had findings (expired, self-signed, weak,
    /// a name that does not match), and how many had each.
    pub servers_with_certificate_findings: u64,
    pub certificate_findings: Counts<&'static str>,
}

impl ReadinessModel {
    fn new(policy: &Policy, t: &Tally, clients: &[ClientRow], servers: &[ServerRow<'_>]) -> Self {
        let count = |verdicts: &[Verdict], of: &dyn Fn(Verdict) -> usize| {
            Counts(
                verdicts
                    .iter()
                    .map(|v| (v.as_str(), of(*v) as u64))
                    .collect(),
            )
        };
        ReadinessModel {
            policy: policy.describe(),
            min_version: policy.min_version,
            deny: policy.denied(),
            connections: Counts(vec![
                ("meets", t.meets),
                ("client_cannot", t.client_cannot),
                ("held_back", t.held_back),
                ("unknown", t.unknown),
            ]),
            clients: count(&Verdict::CLIENT, &|v| {
                clients.iter().filter(|c| c.verdict == v).count()
            }),
            servers: count(&Verdict::SERVER, &|v| {
                servers.iter().filter(|s| s.verdict == v).count()
            }),
            will_break_connections: clients
                .iter()
                .filter(|c| c.verdict == Verdict::WillBreak)
                .map(|c| c.connections)
                .sum(),
            holding_back: servers.iter().filter(|s| s.readiness.held_back > 0).count() as u64,
            servers_with_certificate_findings: servers
                .iter()
                .filter(|s| !s.findings.is_empty())
                .count() as u64,
            certificate_findings: Counts(
                Finding::ALL
                    .iter()
                    .map(|f| {
                        let n = servers.iter().filter(|s| s.findings.contains(*f)).count();
                        (f.key(), n as u64)
                    })
                    .collect(),
            ),
        }
    }

    /// Clients with this verdict.
    pub fn clients_with(&self, v: Verdict) -> u64 {
        self.clients.get(v.as_str())
    }

    /// Servers with this verdict.
    pub fn servers_with(&self, v: Verdict) -> u64 {
        self.servers.get(v.as_str())
    }
}

/// One bucket of capture time.
#[derive(Serialize)]
pub struct BucketRow {
    #[serde(serialize_with = "shown")]
    pub start: Timestamp,
    #[serde(serialize_with = "shown")]
    pub end: Timestamp,
    pub connections: u64,
    pub versions: Mix,
    pub legacy: u64,
    pub failed: u64,
    pub below_policy: u64,
    /// Distinct clients of `below_policy` (counted up to 1024, then each
    /// further connection of another client).
    pub clients_below_policy: u64,
}

/// `--bucket`: the time series.
#[derive(Serialize)]
pub struct BucketsModel {
    pub width_secs: u64,
    pub series: Vec<BucketRow>,
    /// Connections whose bucket did not fit (`--max-rows` buckets).
    pub unlisted_connections: u64,
}

impl BucketsModel {
    fn new(width: u64, t: &crate::analysis::aggregate::Totals) -> Self {
        let at = |k: u64| Timestamp::from_parts(k.saturating_mul(width), 0);
        BucketsModel {
            width_secs: width,
            series: t
                .buckets
                .iter()
                .map(|(k, b)| BucketRow {
                    start: at(*k),
                    end: at(k.saturating_add(1)),
                    connections: b.connections,
                    versions: Mix::of(&b.versions),
                    legacy: b.legacy,
                    failed: b.failed,
                    below_policy: b.below_policy,
                    clients_below_policy: b.clients_below.len() as u64 + b.more_clients,
                })
                .collect(),
            unlisted_connections: t.unlisted_buckets,
        }
    }
}

/// A client's or a server's connections against the policy, and its
/// verdict.
#[derive(Serialize)]
pub struct ReadinessRow {
    pub verdict: &'static str,
    pub meets: u64,
    pub client_cannot: u64,
    pub held_back: u64,
    pub unknown: u64,
}

impl ReadinessRow {
    fn new(verdict: Verdict, t: &Tally) -> Self {
        ReadinessRow {
            verdict: verdict.as_str(),
            meets: t.meets,
            client_cannot: t.client_cannot,
            held_back: t.held_back,
            unknown: t.unknown,
        }
    }
}

/// One client address.
#[derive(Serialize)]
pub struct ClientRow {
    #[serde(serialize_with = "shown")]
    pub ip: IpAddr,
    pub connections: u64,
    /// Connections by transport (tcp, quic, dtls).
    pub transports: Transports,
    /// Negotiated versions.
    pub versions: Mix,
    pub not_negotiated: u64,
    /// The highest version each connection offered.
    pub max_offered: Mix,
    pub offers_3des: u64,
    pub uses_3des: u64,
    pub legacy: u64,
    pub failed: u64,
    pub fallback_scsv: u64,
    pub fallbacks: u64,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
    #[serde(skip)]
    pub verdict: Verdict,
    pub readiness: ReadinessRow,
    /// The servers that held it back, with connections.
    #[serde(serialize_with = "endpoint_counts")]
    pub held_back_by: Vec<(Endpoint, u64)>,
}

fn endpoint_counts<S: Serializer>(v: &[(Endpoint, u64)], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Row {
        #[serde(serialize_with = "shown")]
        ip: IpAddr,
        port: u16,
        connections: u64,
    }
    s.collect_seq(v.iter().map(|(ep, n)| Row {
        ip: ep.ip,
        port: ep.port,
        connections: *n,
    }))
}

impl ClientRow {
    fn new(ip: IpAddr, c: &ClientStats) -> Self {
        let versions = Mix::of(&c.versions);
        ClientRow {
            ip,
            connections: c.seen.count,
            transports: c.transports,
            not_negotiated: versions.unknown(),
            versions,
            max_offered: Mix::of(&c.max_offered),
            offers_3des: c.offers_3des,
            uses_3des: c.uses_3des,
            legacy: c.legacy,
            failed: c.failed,
            fallback_scsv: c.fallback_scsv,
            fallbacks: c.fallbacks,
            first_seen: c.seen.first,
            last_seen: c.seen.last,
            verdict: c.readiness.client_verdict(),
            readiness: ReadinessRow::new(c.readiness.client_verdict(), &c.readiness),
            held_back_by: {
                let mut v: Vec<(Endpoint, u64)> =
                    c.held_back_by.iter().map(|(e, n)| (*e, *n)).collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                v
            },
        }
    }
}

/// One server address and port.
#[derive(Serialize)]
pub struct ServerRow<'a> {
    #[serde(skip)]
    pub endpoint: Endpoint,
    #[serde(serialize_with = "shown")]
    pub ip: IpAddr,
    pub port: u16,
    pub connections: u64,
    /// Connections by transport (tcp, quic, dtls).
    pub transports: Transports,
    pub versions: Mix,
    pub not_negotiated: u64,
    pub uses_3des: u64,
    pub failed: u64,
    /// The SNI names asked of this server, in order.
    pub snis: Vec<&'a WireText>,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
    #[serde(skip)]
    pub verdict: Verdict,
    pub readiness: ReadinessRow,
    /// Connections that showed its certificate (in clear), and what was
    /// wrong with it on any of them.
    pub certificates_seen: u64,
    pub certificate_findings: Vec<&'static str>,
    #[serde(skip)]
    pub findings: Findings,
}

impl<'a> ServerRow<'a> {
    fn new(ep: Endpoint, s: &'a ServerStats) -> Self {
        let versions = Mix::of(&s.versions);
        ServerRow {
            endpoint: ep,
            ip: ep.ip,
            port: ep.port,
            connections: s.seen.count,
            transports: s.transports,
            not_negotiated: versions.unknown(),
            versions,
            uses_3des: s.uses_3des,
            failed: s.failed,
            snis: s.snis.keys().collect(),
            first_seen: s.seen.first,
            last_seen: s.seen.last,
            verdict: s.readiness.server_verdict(),
            readiness: ReadinessRow::new(s.readiness.server_verdict(), &s.readiness),
            certificates_seen: s.certificates,
            certificate_findings: s.certificate_findings.keys(),
            findings: s.certificate_findings,
        }
    }
}

/// One server certificate: a distinct leaf at one server address and port.
#[derive(Serialize)]
pub struct CertificateRow<'a> {
    #[serde(serialize_with = "endpoint")]
    pub server: Endpoint,
    pub subject: &'a WireText,
    pub subject_cn: Option<&'a WireText>,
    /// The first SAN DNS names (16 at most: `san_cut` says there were more).
    pub san_dns: &'a [WireText],
    pub san_cut: bool,
    pub issuer: &'a WireText,
    pub issuer_cn: Option<&'a WireText>,
    pub serial: &'a str,
    pub not_before: String,
    pub not_after: String,
    pub signature_algorithm: &'a str,
    pub key_type: &'static str,
    pub key_bits: Option<u32>,
    pub key_curve: Option<&'a str>,
    pub self_signed: bool,
    pub chain_length: u32,
    pub sha256: &'a str,
    pub connections: u64,
    /// Connections per finding (every finding any of them had).
    pub findings: Counts<&'static str>,
    /// SNIs the certificate's names did not match, with connections.
    pub mismatched_snis: Vec<(&'a WireText, u64)>,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
}

impl<'a> CertificateRow<'a> {
    fn new(key: &'a CertificateKey, c: &'a CertificateStats) -> Option<Self> {
        let leaf = c.leaf.as_deref()?;
        Some(CertificateRow {
            server: key.server,
            subject: &leaf.subject,
            subject_cn: leaf.subject_cn.as_ref(),
            san_dns: &leaf.san_dns,
            san_cut: leaf.san_cut,
            issuer: &leaf.issuer,
            issuer_cn: leaf.issuer_cn.as_ref(),
            serial: &leaf.serial,
            not_before: format_unix_secs(leaf.not_before),
            not_after: format_unix_secs(leaf.not_after),
            signature_algorithm: &leaf.signature_algorithm,
            key_type: leaf.key_type.as_str(),
            key_bits: leaf.key_bits,
            key_curve: leaf.key_curve.as_deref(),
            self_signed: leaf.self_signed,
            chain_length: c.chain_length,
            sha256: &key.sha256,
            connections: c.seen.count,
            findings: Counts(c.by_finding.iter().map(|(f, n)| (f.key(), *n)).collect()),
            mismatched_snis: c.mismatched_snis.iter().map(|(s, n)| (s, *n)).collect(),
            first_seen: c.seen.first,
            last_seen: c.seen.last,
        })
    }

    /// The key in words: `RSA 2048`, `EC 256 (prime256v1)`.
    pub fn key(&self) -> String {
        match (self.key_bits, self.key_curve) {
            (Some(b), Some(c)) => format!("{} {b} ({c})", self.key_type),
            (Some(b), None) => format!("{} {b}", self.key_type),
            (None, _) => self.key_type.to_owned(),
        }
    }
}

/// The server certificates seen in clear (TLS <= 1.2), and what was wrong
/// with them.
#[derive(Serialize)]
pub struct CertificatesModel<'a> {
    /// Connections whose server certificate was read.
    pub connections: u64,
    /// Connections whose Certificate message could not be read, by why.
    pub unreadable: Counts<&'static str>,
    /// Connections per finding.
    pub findings: Counts<&'static str>,
    /// One row per distinct leaf and server: those with findings first.
    pub certificates: Vec<CertificateRow<'a>>,
}

impl<'a> CertificatesModel<'a> {
    fn new(s: &'a Summary) -> Self {
        let t = &s.totals;
        CertificatesModel {
            connections: t.certificates,
            unreadable: Counts(
                t.certificates_unreadable
                    .iter()
                    .map(|(u, n)| (u.as_str(), *n))
                    .collect(),
            ),
            findings: Counts(
                Finding::ALL
                    .iter()
                    .map(|f| (f.key(), t.certificate_findings.get(f).copied().unwrap_or(0)))
                    .collect(),
            ),
            certificates: s
                .certificates
                .iter()
                .filter_map(|(k, c)| CertificateRow::new(k, c))
                .collect(),
        }
    }
}

/// One client fingerprint: the TLS stack and configuration behind
/// connections, with its clients and verdict.
#[derive(Serialize)]
pub struct FingerprintRow {
    pub ja4: String,
    /// The lowest JA3 seen with it.
    pub ja3: Option<String>,
    /// More than one JA3 was seen with this JA4 (an extension order that
    /// varies, as Chrome's does).
    pub ja3_varies: bool,
    /// The user's name for it (`--fingerprints FILE`).
    pub label: Option<String>,
    pub clients: u64,
    /// The clients, lowest addresses first (at most 64 listed).
    pub client_ips: Vec<Shown<IpAddr>>,
    pub connections: u64,
    pub max_offered: Mix,
    #[serde(skip)]
    pub verdict: Verdict,
    pub readiness: ReadinessRow,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
}

impl FingerprintRow {
    fn new(ja4: &str, f: &FingerprintStats) -> Self {
        let verdict = f.readiness.client_verdict();
        FingerprintRow {
            ja4: ja4.to_owned(),
            ja3: f.ja3.clone(),
            ja3_varies: f.ja3_variants > 1,
            label: None,
            clients: f.clients.len() as u64 + f.more_clients,
            client_ips: f.clients.iter().take(64).copied().map(Shown).collect(),
            connections: f.seen.count,
            max_offered: Mix::of(&f.max_offered),
            verdict,
            readiness: ReadinessRow::new(verdict, &f.readiness),
            first_seen: f.seen.first,
            last_seen: f.seen.last,
        }
    }
}

/// One client application (Fiddler's process name) with its verdict.
#[derive(Serialize)]
pub struct ApplicationRow<'a> {
    pub name: &'a WireText,
    pub clients: u64,
    pub connections: u64,
    pub versions: Mix,
    pub max_offered: Mix,
    #[serde(skip)]
    pub verdict: Verdict,
    pub readiness: ReadinessRow,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
}

impl<'a> ApplicationRow<'a> {
    fn new(name: &'a WireText, a: &ApplicationStats) -> Self {
        let verdict = a.readiness.client_verdict();
        ApplicationRow {
            name,
            clients: a.clients.len() as u64 + a.more_clients,
            connections: a.seen.count,
            versions: Mix::of(&a.versions),
            max_offered: Mix::of(&a.max_offered),
            verdict,
            readiness: ReadinessRow::new(verdict, &a.readiness),
            first_seen: a.seen.first,
            last_seen: a.seen.last,
        }
    }
}

/// One SQL Server symptom and how many connections showed it.
#[derive(Serialize)]
pub struct SymptomRow {
    #[serde(skip)]
    pub symptom: Symptom,
    pub symptom_key: &'static str,
    pub connections: u64,
    pub reason: String,
}

/// One SQL Server (address and port), from its TDS connections.
#[derive(Serialize)]
pub struct SqlServerRow {
    #[serde(skip)]
    pub endpoint: Endpoint,
    #[serde(serialize_with = "shown")]
    pub ip: IpAddr,
    pub port: u16,
    pub connections: u64,
    pub versions: Mix,
    pub not_negotiated: u64,
    pub below_tls12: u64,
    pub clients_below_tls12: Vec<Shown<IpAddr>>,
    /// Clients below TLS 1.2 beyond those listed.
    pub more_clients_below_tls12: u64,
    pub cleartext_logins: u64,
    pub login_only_encryption: u64,
    pub strict: u64,
    pub symptoms: Vec<SymptomRow>,
    /// Connections with a symptom beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_symptoms: u64,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
}

impl SqlServerRow {
    fn new(ep: Endpoint, s: &SqlStats) -> Self {
        let versions = Mix::of(&s.versions);
        let mut symptoms: Vec<SymptomRow> = s
            .symptoms
            .iter()
            .map(|(sym, n)| SymptomRow {
                symptom: *sym,
                symptom_key: sym.key(),
                connections: *n,
                reason: sym.describe(),
            })
            .collect();
        symptoms.sort_by(|a, b| {
            b.connections
                .cmp(&a.connections)
                .then(a.symptom.cmp(&b.symptom))
        });
        SqlServerRow {
            endpoint: ep,
            ip: ep.ip,
            port: ep.port,
            connections: s.seen.count,
            not_negotiated: versions.unknown(),
            versions,
            below_tls12: s.below_tls12,
            clients_below_tls12: s.legacy_clients.iter().copied().map(Shown).collect(),
            more_clients_below_tls12: s.more_clients,
            cleartext_logins: s.cleartext_logins,
            login_only_encryption: s.login_only,
            strict: s.strict,
            symptoms,
            more_symptoms: s.more_symptoms,
            first_seen: s.seen.first,
            last_seen: s.seen.last,
        }
    }
}

/// One negotiated cipher suite.
#[derive(Serialize)]
pub struct CipherRow {
    #[serde(rename = "name", serialize_with = "shown")]
    pub suite: CipherSuite,
    pub connections: u64,
    pub classes: Vec<&'static str>,
}

/// One (client, server, SNI, versions, cipher) combination: a legacy use,
/// or a connection a `--min-version` policy would refuse.
#[derive(Serialize)]
pub struct UsageRow<'a> {
    #[serde(serialize_with = "shown")]
    pub client: IpAddr,
    #[serde(serialize_with = "endpoint")]
    pub server: Endpoint,
    pub sni: Option<&'a WireText>,
    #[serde(serialize_with = "shown_opt")]
    pub version: Option<Version>,
    #[serde(serialize_with = "shown_opt")]
    pub max_offered: Option<Version>,
    #[serde(serialize_with = "shown_opt")]
    pub cipher: Option<CipherSuite>,
    /// The server's TLS 1.3 downgrade sentinel: it supports this version,
    /// the client offered less (RFC 8446 §4.1.3).
    #[serde(serialize_with = "shown_opt")]
    pub server_supports: Option<Version>,
    pub connections: u64,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
}

impl<'a> UsageRow<'a> {
    fn new(k: &'a LegacyKey, seen: &Seen) -> Self {
        UsageRow {
            client: k.client,
            server: k.server,
            sni: k.sni.as_ref(),
            version: k.version,
            max_offered: k.max_offered,
            cipher: k.cipher,
            server_supports: k.sentinel,
            connections: seen.count,
            first_seen: seen.first,
            last_seen: seen.last,
        }
    }
}

/// Failed handshakes of one kind between one client and one server.
#[derive(Serialize)]
pub struct FailureRow<'a> {
    #[serde(serialize_with = "shown")]
    pub client: IpAddr,
    #[serde(serialize_with = "endpoint")]
    pub server: Endpoint,
    pub sni: Option<&'a WireText>,
    #[serde(serialize_with = "shown_outcome")]
    pub outcome: Outcome,
    #[serde(serialize_with = "shown_opt")]
    pub max_offered: Option<Version>,
    /// Why, in words (written out when shown: a hundred thousand rows need
    /// not hold a hundred thousand sentences).
    pub reason: Explained,
    pub connections: u64,
    #[serde(serialize_with = "shown")]
    pub first_seen: Timestamp,
    #[serde(serialize_with = "shown")]
    pub last_seen: Timestamp,
}

fn shown_outcome<S: Serializer>(o: &Outcome, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(o.as_str())
}

impl<'a> FailureRow<'a> {
    /// `server` is what the failure's server negotiated with other clients.
    fn new(k: &'a FailureKey, seen: &Seen, server: Option<ServerSeen>) -> Self {
        FailureRow {
            client: k.client,
            server: k.server,
            sni: k.sni.as_ref(),
            outcome: k.outcome,
            max_offered: k.max_offered,
            reason: Explained {
                reason: k.reason,
                server,
            },
            connections: seen.count,
            first_seen: seen.first,
            last_seen: seen.last,
        }
    }
}

/// A failure reason and what the server negotiates with other clients:
/// `Display` and `Serialize` give it in words ([`FailureReason::describe`]).
#[derive(Clone, Copy, Debug)]
pub struct Explained {
    pub reason: FailureReason,
    pub server: Option<ServerSeen>,
}

impl Display for Explained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason.describe(self.server))
    }
}

impl Serialize for Explained {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.reason.describe(self.server))
    }
}

/// The `--min-version` policy check.
#[derive(Serialize)]
pub struct PolicyModel<'a> {
    #[serde(serialize_with = "shown")]
    pub min_version: Version,
    pub connections_below: u64,
    /// Of those: the client offered no version at or above the minimum.
    pub client_cannot: u64,
    /// Of those: the client offered the minimum, the server chose lower.
    pub server_chose_lower: u64,
    pub clients_below: usize,
    pub violations: Vec<UsageRow<'a>>,
}

/// Handshake latency of one negotiated version (microseconds; milliseconds
/// in JSON).
pub struct LatencyRow {
    pub version: Version,
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

/// Latency rows, highest version first; `{"TLS 1.3": {count, p50, ...}}`.
pub struct LatencyModel(pub Vec<LatencyRow>);

impl Serialize for LatencyModel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Ms {
            count: u64,
            p50: f64,
            p90: f64,
            p99: f64,
            max: f64,
        }
        let ms = |micros: u64| (micros as f64).round() / 1_000.0;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for r in &self.0 {
            map.serialize_entry(
                &Shown(r.version),
                &Ms {
                    count: r.count,
                    p50: ms(r.p50),
                    p90: ms(r.p90),
                    p99: ms(r.p99),
                    max: ms(r.max),
                },
            )?;
        }
        map.end()
    }
}

/// One fallback retry, in the shape the fallback issue fixed: `{ts,
/// client, server: {ip, port}, sni, from_version, failure, to_version,
/// scsv, outcome, alert, version}`.
#[derive(Serialize)]
pub struct FallbackRow<'a> {
    #[serde(skip)]
    pub retry: &'a Fallback,
    #[serde(serialize_with = "shown")]
    pub ts: Timestamp,
    #[serde(serialize_with = "shown")]
    pub client: IpAddr,
    #[serde(serialize_with = "endpoint")]
    pub server: Endpoint,
    pub sni: Option<&'a WireText>,
    #[serde(serialize_with = "shown_opt")]
    pub from_version: Option<Version>,
    pub failure: Option<String>,
    #[serde(serialize_with = "shown_opt")]
    pub to_version: Option<Version>,
    pub scsv: bool,
    pub outcome: &'static str,
    pub alert: Option<String>,
    #[serde(serialize_with = "shown_opt")]
    pub version: Option<Version>,
}

impl<'a> From<&'a Fallback> for FallbackRow<'a> {
    fn from(f: &'a Fallback) -> Self {
        FallbackRow {
            retry: f,
            ts: f.ts,
            client: f.client,
            server: f.server,
            sni: f.sni.as_ref(),
            from_version: f.from_version,
            failure: f.failure.map(|x| x.label()),
            to_version: f.to_version,
            scsv: f.scsv,
            outcome: f.outcome.as_str(),
            alert: f.alert.map(crate::tls::alert::description_label),
            version: f.version,
        }
    }
}

/// The versions each server negotiated (named ones only: drafts and values
/// without a name are folded in the server rows).
fn servers_seen(s: &Summary) -> HashMap<Endpoint, ServerSeen> {
    s.servers
        .iter()
        .filter_map(|(ep, st)| {
            let mut named = st
                .versions
                .keys()
                .flatten()
                .copied()
                .filter(|v| v.is_known() && *v != Version::OTHER);
            let first = named.next()?;
            let (lowest, highest) =
                named.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)));
            Some((*ep, ServerSeen { lowest, highest }))
        })
        .collect()
}

/// A live `--interval` snapshot: the numbers are counted from `since` (the
/// start of the run) to `end`; `start` is where the previous snapshot
/// ended, so consecutive snapshots tile the run.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalModel {
    /// 1 for the first snapshot of the run.
    pub number: u64,
    pub start: Shown<Timestamp>,
    pub end: Shown<Timestamp>,
    pub since: Shown<Timestamp>,
    /// Always true: the counts are the run's so far, not this interval's.
    pub cumulative: bool,
}

/// Everything a summary report shows, in summary-json's field order.
#[derive(Serialize)]
pub struct Model<'a> {
    /// `--sensor`: which tlssniff this summary is from.
    pub sensor: &'a str,
    /// The table names the sensor (when it was named, or live).
    #[serde(skip)]
    pub show_sensor: bool,
    /// A live `--interval` snapshot's place in the series; absent from the
    /// summary at the end of a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalModel>,
    pub capture: CaptureModel<'a>,
    pub connections: u64,
    /// Connections per outcome, every outcome listed.
    pub outcomes: Counts<&'static str>,
    /// Who breaks, who is held back, who is ready, under the policy.
    pub readiness: ReadinessModel,
    /// Negotiated versions (`not_negotiated`: connections without one).
    pub versions: Mix,
    pub not_negotiated: u64,
    /// The highest version each connection offered.
    pub max_offered: Mix,
    pub totals: TotalsModel,
    pub clients: Vec<ClientRow>,
    pub servers: Vec<ServerRow<'a>>,
    pub ciphers: Vec<CipherRow>,
    pub legacy: Vec<UsageRow<'a>>,
    pub failures: Vec<FailureRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyModel<'a>>,
    /// Client software: connections grouped by their JA4 fingerprint.
    pub fingerprints: Vec<FingerprintRow>,
    /// Client applications by name (Fiddler's process names); absent
    /// without Fiddler sessions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<ApplicationRow<'a>>,
    /// Server certificates (TLS <= 1.2), with their findings.
    pub certificates: CertificatesModel<'a>,
    /// SQL Server (TDS) connections by server; absent when there were none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sql_servers: Vec<SqlServerRow>,
    pub latency_ms: LatencyModel,
    /// `--bucket`: connections, legacy, failures and clients below the
    /// policy per bucket of capture time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets: Option<BucketsModel>,
    pub fallbacks: Vec<FallbackRow<'a>>,
    pub warnings: &'a [String],
    /// Offered and negotiated 3DES, for the cipher section.
    #[serde(skip)]
    pub offers_3des: u64,
    #[serde(skip)]
    pub uses_3des: u64,
}

impl<'a> Model<'a> {
    /// The model of a run: its aggregate, its capture accounting, and the
    /// warnings (and input errors) to show.
    pub fn new(
        sensor: &'a str,
        s: &'a Summary,
        c: &'a CaptureStats,
        warnings: &'a [String],
    ) -> Model<'a> {
        let t = &s.totals;
        let versions = Mix::of(&t.versions);
        let latency = t
            .latency
            .by_version
            .iter()
            .rev()
            .map(|(v, h)| LatencyRow {
                version: *v,
                count: h.len(),
                p50: h.value_at_quantile(0.5),
                p90: h.value_at_quantile(0.9),
                p99: h.value_at_quantile(0.99),
                max: h.max(),
            })
            .collect();
        let clients: Vec<ClientRow> = s
            .clients
            .iter()
            .map(|(ip, c)| ClientRow::new(*ip, c))
            .collect();
        let servers: Vec<ServerRow<'a>> = s
            .servers
            .iter()
            .map(|(ep, st)| ServerRow::new(*ep, st))
            .collect();
        Model {
            sensor,
            show_sensor: false,
            interval: None,
            readiness: ReadinessModel::new(&s.policy, &t.readiness, &clients, &servers),
            capture: CaptureModel::new(c),
            connections: t.connections,
            outcomes: Counts(
                Outcome::ALL
                    .iter()
                    .map(|o| (o.as_str(), t.outcomes.get(o).copied().unwrap_or(0)))
                    .collect(),
            ),
            not_negotiated: versions.unknown(),
            versions,
            max_offered: Mix::of(&t.max_offered),
            totals: TotalsModel {
                client_hello_messages: t.client_hellos,
                legacy_connections: t.legacy,
                offers_3des: t.offers_3des,
                uses_3des: t.uses_3des,
                fallback_scsv: t.fallback_scsv,
                hello_retry_requests: t.hello_retries,
                resumed: t.resumed,
                sslv2_format_hellos: t.sslv2_hellos,
                partial_hellos: t.partial_hellos,
                cut_by_snaplen: t.cut_by_snaplen,
                downgrade_sentinels: t.downgrade_sentinels,
                tunnels: Counts(t.tunnels.iter().map(|(k, n)| (k.as_str(), *n)).collect()),
                quic_connections: t.quic,
                dtls_connections: t.dtls,
                unlisted: s.unlisted.into(),
            },
            clients,
            servers,
            ciphers: s
                .ciphers_sorted()
                .into_iter()
                .map(|(suite, n)| CipherRow {
                    suite,
                    connections: n,
                    classes: suite.classes().labels().collect(),
                })
                .collect(),
            legacy: s.legacy.iter().map(|(k, v)| UsageRow::new(k, v)).collect(),
            failures: {
                let seen = servers_seen(s);
                s.failures
                    .iter()
                    .map(|(k, v)| FailureRow::new(k, v, seen.get(&k.server).copied()))
                    .collect()
            },
            policy: s.min_version.map(|min| PolicyModel {
                min_version: min,
                connections_below: t.below_min,
                client_cannot: t.below_min - t.below_min_server_chose,
                server_chose_lower: t.below_min_server_chose,
                clients_below: s.below_min_clients(),
                violations: s
                    .below_min
                    .iter()
                    .map(|(k, v)| UsageRow::new(k, v))
                    .collect(),
            }),
            fingerprints: s
                .fingerprints
                .iter()
                .map(|(k, f)| FingerprintRow::new(k, f))
                .collect(),
            applications: s
                .applications
                .iter()
                .map(|(k, a)| ApplicationRow::new(k, a))
                .collect(),
            certificates: CertificatesModel::new(s),
            sql_servers: s
                .sql
                .iter()
                .map(|(ep, st)| SqlServerRow::new(*ep, st))
                .collect(),
            latency_ms: LatencyModel(latency),
            buckets: s.bucket_secs.map(|w| BucketsModel::new(w, t)),
            fallbacks: s.fallbacks.iter().map(FallbackRow::from).collect(),
            warnings,
            offers_3des: t.offers_3des,
            uses_3des: t.uses_3des,
        }
    }

    /// Connections over QUIC, and over DTLS.
    pub fn transports_udp(&self) -> (u64, u64) {
        (self.totals.quic_connections, self.totals.dtls_connections)
    }

    /// Names the fingerprints the user has labels for (`--fingerprints`):
    /// by JA4, else by JA3.
    pub fn label_fingerprints(&mut self, labels: &std::collections::BTreeMap<String, String>) {
        for f in &mut self.fingerprints {
            f.label = labels
                .get(&f.ja4)
                .or_else(|| f.ja3.as_ref().and_then(|j| labels.get(j)))
                .cloned();
        }
    }

    /// Connections per outcome, only those that happened.
    pub fn outcomes_seen(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.outcomes.0.iter().copied().filter(|(_, n)| *n > 0)
    }
}
