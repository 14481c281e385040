//! The aggregator: version mixes, clients, servers, ciphers, legacy use,
//! failures, fallback retries and handshake latency.
//!
//! [`Aggregator`] is the one structure the parser workers share (DESIGN.md):
//! concurrent maps (dashmap) for the keyed tables and one mutex for the
//! small totals, updated once per connection — never per packet — and
//! readable at any time through [`Aggregator::snapshot`]. Every update is a
//! count, a minimum or a maximum, so the result does not depend on which
//! worker finished first; the snapshot sorts everything it lists.
//!
//! Every keyed table holds at most `max_rows` keys, so that a flood of
//! hellos from spoofed addresses cannot grow it without bound: a connection
//! whose key would be a new row beyond that is still in every total, and is
//! counted as [`Unlisted`] for that table. Which keys got a row then depends
//! on which worker came first (as with flow-table evictions).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use hashlink::DefaultHashBuilder as Hasher;
use hdrhistogram::Histogram;

use super::certificate::{Finding, Findings};
use super::fallback::Fallback;
use super::merge::Merge;
use super::readiness::{Class, Policy, Tally};
use super::record::{ConnectionRecord, FailureReason, Outcome};
use super::tds::{Login, Symptom};
use crate::decode::Endpoint;
use crate::decode::tunnel::TunnelKind;
use crate::encap::tds::Negotiated;
use crate::text::WireText;
use crate::time::Timestamp;
use crate::tls::certificate::{Leaf, Unreadable};
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

/// Most clients told apart per fingerprint: up to this many the client
/// count (and which are listed) does not depend on the order workers
/// report in.
pub(super) const MAX_CLIENTS_PER_FINGERPRINT: usize = 1024;

/// One client fingerprint (JA4), the "client software" behind connections.
#[derive(Clone, Debug, Default)]
pub struct FingerprintStats {
    pub seen: Seen,
    /// The lowest JA3 seen with it (one JA4 can cover several JA3s: JA3
    /// depends on the extension order; the lowest, so that the choice does
    /// not depend on which worker came first).
    pub ja3: Option<String>,
    /// Distinct JA3s seen beside it (counted up to 2).
    pub ja3_variants: u8,
    pub clients: BTreeSet<IpAddr>,
    /// Connections of clients beyond those listed.
    pub more_clients: u64,
    pub max_offered: VersionMix,
    pub readiness: Tally,
}

impl FingerprintStats {
    /// A JA3 seen with this JA4: the lowest is kept, and a second distinct
    /// one counts as variants.
    pub(super) fn note_ja3(&mut self, ja3: Option<String>) {
        match (&self.ja3, ja3) {
            (None, j) => self.ja3 = j,
            (Some(a), Some(b)) if *a != b => {
                self.ja3_variants = 2;
                if b < *a {
                    self.ja3 = Some(b);
                }
            }
            _ => {}
        }
    }
}

/// One client application by name (Fiddler's `x-processinfo`), the
/// direct answer to "which program still speaks old TLS".
#[derive(Clone, Debug, Default)]
pub struct ApplicationStats {
    pub seen: Seen,
    pub clients: BTreeSet<IpAddr>,
    /// Connections of clients beyond those listed.
    pub more_clients: u64,
    pub versions: VersionMix,
    pub max_offered: VersionMix,
    pub readiness: Tally,
}

/// Most SAN names kept per certificate row (the record has them all).
const MAX_SAN_PER_CERTIFICATE: usize = 16;
/// Most SNIs listed per certificate row that its names do not match.
pub(super) const MAX_MISMATCHED_SNIS: usize = 8;

/// One server's certificate: a distinct leaf (by SHA-256) at one server
/// address and port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertificateKey {
    pub server: Endpoint,
    pub sha256: String,
}

/// The connections that showed one certificate.
#[derive(Clone, Debug, Default)]
pub struct CertificateStats {
    pub seen: Seen,
    /// The leaf, its SAN list cut to `MAX_SAN_PER_CERTIFICATE` (`san_cut`
    /// then set).
    pub leaf: Option<Box<Leaf>>,
    /// The longest chain it came with.
    pub chain_length: u32,
    /// Every finding any of its connections had.
    pub findings: Findings,
    /// Connections per finding.
    pub by_finding: BTreeMap<Finding, u64>,
    /// SNIs its names did not match, with connections.
    pub mismatched_snis: BTreeMap<WireText, u64>,
    pub more_mismatched: u64,
}

/// Most servers named per client as holding it back.
pub(super) const MAX_HELD_BACK_BY: usize = 8;

/// Most distinct SNIs remembered per server.
pub(super) const MAX_SNIS_PER_SERVER: usize = 64;

/// Count per version (`None`: not negotiated / not known).
pub type VersionMix = BTreeMap<Option<Version>, u64>;

/// How often something was seen, and when first and last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub count: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

impl Seen {
    pub fn add(&mut self, ts: Timestamp) {
        if self.count == 0 || ts < self.first {
            self.first = ts;
        }
        self.last = self.last.max(ts);
        self.count += 1;
    }
}

#[derive(Clone, Debug, Default)]
pub struct ClientStats {
    /// Connections, and the first and last ClientHello.
    pub seen: Seen,
    pub transports: Transports,
    /// Negotiated versions (`None`: no ServerHello).
    pub versions: VersionMix,
    /// Highest version offered per connection.
    pub max_offered: VersionMix,
    pub offers_3des: u64,
    pub uses_3des: u64,
    pub legacy: u64,
    pub failed: u64,
    pub fallback_scsv: u64,
    /// Fallback retries (see [`super::fallback`]).
    pub fallbacks: u64,
    /// Its connections against the policy.
    pub readiness: Tally,
    /// The servers that held it back (at most `MAX_HELD_BACK_BY`), with
    /// connections.
    pub held_back_by: BTreeMap<Endpoint, u64>,
}

/// Connections by transport (`ConnectionRecord::transport`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Transports {
    pub tcp: u64,
    pub quic: u64,
    pub dtls: u64,
}

impl Transports {
    fn add(&mut self, rec: &ConnectionRecord) {
        match rec.transport() {
            "quic" => self.quic += 1,
            "dtls" => self.dtls += 1,
            _ => self.tcp += 1,
        }
    }

    /// Counted transports in schema order, with connections.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [("tcp", self.tcp), ("quic", self.quic), ("dtls", self.dtls)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ServerStats {
    pub seen: Seen,
    pub transports: Transports,
    pub versions: VersionMix,
    pub uses_3des: u64,
    pub failed: u64,
    pub snis: BTreeMap<WireText, u64>,
    /// Its connections against the policy.
    pub readiness: Tally,
    /// Connections that showed its certificate, and what that
    /// certificate's findings were (any connection).
    pub certificates: u64,
    pub certificate_findings: Findings,
}

/// Most clients below TLS 1.2 listed per SQL Server.
pub(super) const MAX_CLIENTS_PER_SQL_SERVER: usize = 64;
/// Most distinct symptoms listed per SQL Server.
pub(super) const MAX_SYMPTOMS_PER_SQL_SERVER: usize = 32;

/// One SQL Server (address and port), from its TDS connections.
#[derive(Clone, Debug, Default)]
pub struct SqlStats {
    pub seen: Seen,
    pub versions: VersionMix,
    /// Connections below TLS 1.2: negotiated, else the best offered.
    pub below_tls12: u64,
    /// Clients of those connections (at most
    /// `MAX_CLIENTS_PER_SQL_SERVER`; `more_clients` counts the rest).
    pub legacy_clients: BTreeSet<IpAddr>,
    pub more_clients: u64,
    /// Logins in clear (no TLS at all).
    pub cleartext_logins: u64,
    /// TLS for the login only: queries and results in clear.
    pub login_only: u64,
    /// TDS 8.0 (strict) connections.
    pub strict: u64,
    pub symptoms: BTreeMap<Symptom, u64>,
    /// Connections whose symptom found the list full.
    pub more_symptoms: u64,
}

/// One (client, server, SNI, versions, cipher) combination.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LegacyKey {
    pub client: IpAddr,
    pub server: Endpoint,
    pub sni: Option<WireText>,
    pub version: Option<Version>,
    pub max_offered: Option<Version>,
    pub cipher: Option<CipherSuite>,
    /// The server's downgrade sentinel: it supports this version, the
    /// client offered less.
    pub sentinel: Option<Version>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailureKey {
    pub client: IpAddr,
    pub server: Endpoint,
    pub sni: Option<WireText>,
    pub outcome: Outcome,
    pub max_offered: Option<Version>,
    pub reason: FailureReason,
}

/// Most clients below the policy remembered per time bucket.
const MAX_CLIENTS_PER_BUCKET: usize = 1024;

/// `--bucket`: a fixed width, or `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Every(crate::time::Duration),
    /// The narrowest of [`AUTO_WIDTHS`] that spans the capture's
    /// connections in at most [`AUTO_BUCKETS`] buckets: start at one second
    /// and, whenever the first and last bucket are further apart, merge
    /// them into the next width. The width reached
    /// depends only on the connections' times, not on their order.
    Auto,
}

/// Most buckets of `--bucket auto` (a chart's worth).
pub const AUTO_BUCKETS: usize = 60;

/// The widths `--bucket auto` picks from (seconds), each a multiple of the
/// one before, so buckets merge exactly: 1 s to 28 days.
pub const AUTO_WIDTHS: [u64; 11] = [
    1, 5, 15, 60, 300, 900, 3_600, 21_600, 86_400, 604_800, 2_419_200,
];

/// One bucket of capture time (`--bucket`).
#[derive(Clone, Debug, Default)]
pub struct BucketStats {
    pub connections: u64,
    pub versions: VersionMix,
    pub legacy: u64,
    pub failed: u64,
    /// Connections below the policy: the client cannot, or was held back.
    pub below_policy: u64,
    /// Their clients (at most `MAX_CLIENTS_PER_BUCKET`; `more_clients`
    /// counts connections of the others).
    pub clients_below: BTreeSet<IpAddr>,
    pub more_clients: u64,
}

/// `--bucket auto`: merges the buckets into the next width of
/// [`AUTO_WIDTHS`] until the first and the last are at most
/// [`AUTO_BUCKETS`] apart.
pub(super) fn coarsen(t: &mut Totals) {
    let mut width = t.auto_width.max(1);
    let span = |t: &Totals| match (t.buckets.first_key_value(), t.buckets.last_key_value()) {
        (Some((a, _)), Some((b, _))) => b - a + 1,
        _ => 0,
    };
    while span(t) > AUTO_BUCKETS as u64 {
        let Some(&next) = AUTO_WIDTHS.iter().find(|w| **w > width) else {
            break;
        };
        for (key, b) in std::mem::take(&mut t.buckets) {
            t.buckets.entry(key * width / next).or_default().merge(b);
        }
        width = next;
    }
    t.auto_width = width;
}

impl BucketStats {
    /// Adds `other` (a bucket merged into this wider one).
    pub(super) fn merge(&mut self, other: BucketStats) {
        self.connections += other.connections;
        for (v, n) in other.versions {
            *self.versions.entry(v).or_default() += n;
        }
        self.legacy += other.legacy;
        self.failed += other.failed;
        self.below_policy += other.below_policy;
        self.more_clients += other.more_clients;
        for ip in other.clients_below {
            self.client_below(ip);
        }
    }

    /// A client below the policy: remembered while there is room, else
    /// counted in `more_clients`.
    fn client_below(&mut self, ip: IpAddr) {
        if self.clients_below.len() < MAX_CLIENTS_PER_BUCKET {
            self.clients_below.insert(ip);
        } else if !self.clients_below.contains(&ip) {
            self.more_clients += 1;
        }
    }
}

/// Handshake latency per negotiated version (microseconds).
#[derive(Clone, Default)]
pub struct Latency {
    pub by_version: BTreeMap<Version, Histogram<u64>>,
}

impl Latency {
    fn record(&mut self, v: Version, micros: u64) {
        let h = self.by_version.entry(v).or_insert_with(|| {
            // 1 µs .. 1 hour, 3 significant digits: always valid bounds.
            Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .unwrap_or_else(|_| unreachable!("valid histogram bounds"))
        });
        h.saturating_record(micros.max(1));
    }
}

/// Counters over all connections.
#[derive(Clone, Default)]
pub struct Totals {
    pub connections: u64,
    /// ClientHello messages (two on a connection with a HelloRetryRequest).
    pub client_hellos: u64,
    pub outcomes: BTreeMap<Outcome, u64>,
    pub versions: VersionMix,
    pub max_offered: VersionMix,
    pub ciphers: BTreeMap<CipherSuite, u64>,
    pub offers_3des: u64,
    pub uses_3des: u64,
    pub fallback_scsv: u64,
    pub hello_retries: u64,
    pub resumed: u64,
    pub sslv2_hellos: u64,
    pub partial_hellos: u64,
    pub cut_by_snaplen: u64,
    pub downgrade_sentinels: u64,
    /// Connections a server requiring `min_version` would refuse.
    pub below_min: u64,
    /// Of those, the ones whose client offered `min_version` or higher: the
    /// server chose lower.
    pub below_min_server_chose: u64,
    /// Connections below TLS 1.2 or with a weak suite.
    pub legacy: u64,
    /// Connections against the policy.
    pub readiness: Tally,
    pub latency: Latency,
    /// `--bucket`: per bucket index (capture seconds / width).
    pub buckets: BTreeMap<u64, BucketStats>,
    /// Connections whose bucket found the series full (`--max-rows`).
    pub unlisted_buckets: u64,
    /// `--bucket auto`: the width reached so far (seconds).
    pub auto_width: u64,
    /// Connections whose server certificate was read.
    pub certificates: u64,
    /// Connections whose server Certificate message could not be read, by
    /// why.
    pub certificates_unreadable: BTreeMap<Unreadable, u64>,
    /// Connections per certificate finding.
    pub certificate_findings: BTreeMap<Finding, u64>,
    /// Connections per (outermost) tunnel type.
    pub tunnels: BTreeMap<TunnelKind, u64>,
    /// Connections over QUIC and over DTLS (the rest are over TCP).
    pub quic: u64,
    pub dtls: u64,
}

/// Connections (or retries) that every total counts but a full table could
/// not list, per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unlisted {
    pub clients: u64,
    pub servers: u64,
    pub legacy: u64,
    pub failures: u64,
    pub below_min: u64,
    pub sql_servers: u64,
    pub fingerprints: u64,
    pub applications: u64,
    pub certificates: u64,
    pub fallbacks: u64,
    /// Records whose client–server pair the fallback detector could not
    /// remember (its share of the bound was full of pairs in the window).
    pub fallback_pairs: u64,
}

impl Unlisted {
    pub fn any(&self) -> bool {
        *self != Unlisted::default()
    }
}

/// A concurrent map of at most `max` rows.
struct Rows<K, V> {
    map: DashMap<K, V, Hasher>,
    rows: AtomicUsize,
    max: usize,
    /// Updates refused because the table was full.
    unlisted: AtomicU64,
}

impl<K: Eq + std::hash::Hash + Ord + Clone, V: Default + Clone> Rows<K, V> {
    fn new(max: usize) -> Self {
        Rows {
            map: DashMap::default(),
            rows: AtomicUsize::new(0),
            max,
            unlisted: AtomicU64::new(0),
        }
    }

    /// Updates the row of `key`, adding it when there is room; false when
    /// the table is full without it.
    fn update(&self, key: K, f: impl FnOnce(&mut V)) -> bool {
        match self.map.entry(key) {
            Entry::Occupied(mut e) => f(e.get_mut()),
            Entry::Vacant(e) => {
                // The shard stays locked while the row is added, so the
                // count never goes past `max`.
                if self.rows.fetch_add(1, Ordering::Relaxed) >= self.max {
                    self.rows.fetch_sub(1, Ordering::Relaxed);
                    return false;
                }
                f(e.insert(V::default()).value_mut());
            }
        }
        true
    }

    /// Adds a connection to the row of `key`, or counts it as unlisted.
    fn record(&self, key: K, f: impl FnOnce(&mut V)) {
        if !self.update(key, f) {
            self.unlisted.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn unlisted(&self) -> u64 {
        self.unlisted.load(Ordering::Relaxed)
    }

    /// Adds another table's rows (see `super::merge`).
    fn absorb(&self, other: Rows<K, V>)
    where
        V: Merge,
    {
        self.unlisted.fetch_add(other.unlisted(), Ordering::Relaxed);
        for (key, row) in other.map {
            let n = row.connections();
            if !self.update(key, |mine| mine.merge(row)) {
                self.unlisted.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// The rows, sorted by key (the table is used up).
    fn into_sorted(self) -> Vec<(K, V)> {
        let mut v: Vec<(K, V)> = self.map.into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// A copy, sorted by key.
    fn sorted(&self) -> Vec<(K, V)> {
        let mut v: Vec<(K, V)> = self
            .map
            .iter()
            .map(|e| (e.key().clone(), e.value().clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

/// The shared, concurrently updated aggregate.
pub struct Aggregator {
    min_version: Option<Version>,
    policy: Policy,
    /// `--bucket`.
    bucket: Option<Bucket>,
    totals: Mutex<Totals>,
    clients: Rows<IpAddr, ClientStats>,
    servers: Rows<Endpoint, ServerStats>,
    legacy: Rows<LegacyKey, Seen>,
    failures: Rows<FailureKey, Seen>,
    below_min: Rows<LegacyKey, Seen>,
    sql: Rows<Endpoint, SqlStats>,
    fingerprints: Rows<String, FingerprintStats>,
    applications: Rows<WireText, ApplicationStats>,
    certificates: Rows<CertificateKey, CertificateStats>,
    fallbacks: Mutex<Vec<Fallback>>,
    max_rows: usize,
    unlisted_fallbacks: AtomicU64,
    unlisted_pairs: AtomicU64,
}

impl Aggregator {
    /// An empty aggregate whose tables (and fallback list) hold at most
    /// `max_rows` rows each.
    pub fn new(
        min_version: Option<Version>,
        policy: Policy,
        bucket: Option<Bucket>,
        max_rows: usize,
    ) -> Aggregator {
        Aggregator {
            min_version,
            policy,
            bucket,
            totals: Mutex::new(Totals::default()),
            clients: Rows::new(max_rows),
            servers: Rows::new(max_rows),
            legacy: Rows::new(max_rows),
            failures: Rows::new(max_rows),
            below_min: Rows::new(max_rows),
            sql: Rows::new(max_rows),
            fingerprints: Rows::new(max_rows),
            applications: Rows::new(max_rows),
            certificates: Rows::new(max_rows),
            fallbacks: Mutex::new(Vec::new()),
            max_rows,
            unlisted_fallbacks: AtomicU64::new(0),
            unlisted_pairs: AtomicU64::new(0),
        }
    }

    /// The bucket width in seconds (`--bucket auto`: the one reached).
    fn bucket_width(&self, t: &Totals) -> Option<u64> {
        match self.bucket? {
            Bucket::Every(d) => Some((d.0 / 1_000_000_000).max(1)),
            Bucket::Auto => Some(t.auto_width.max(1)),
        }
    }

    fn totals(&self) -> std::sync::MutexGuard<'_, Totals> {
        // A worker that panicked cannot leave the counters half-updated in
        // a way that matters more than losing the report: keep going.
        self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where a connection stands against the policy (the record's
    /// `readiness`, which [`Aggregator::observe`] counts).
    pub fn classify(&self, rec: &ConnectionRecord) -> Class {
        Class::of(rec, &self.policy)
    }

    /// Adds one connection, classified (see [`Aggregator::classify`]).
    pub fn observe(&self, rec: &ConnectionRecord) {
        let version = rec.version();
        let max_offered = rec.max_offered();
        // Per-row mixes and latency: at most seven versions each.
        let (row_version, row_offered) = (
            version.map(Version::folded),
            max_offered.map(Version::folded),
        );
        let offers_3des = rec.offers_3des();
        let uses_3des = rec.uses_3des();
        let legacy = rec.counts_as_legacy();
        let failed = !rec.outcome.is_not_failure();
        let scsv = rec.fallback_scsv();
        let below_min = self.min_version.is_some_and(|min| rec.below(min));
        let class = rec.readiness;
        let count = |b: bool| u64::from(b);
        {
            let mut t = self.totals();
            t.connections += 1;
            t.client_hellos += u64::from(rec.client_hellos);
            *t.outcomes.entry(rec.outcome).or_default() += 1;
            *t.versions.entry(version).or_default() += 1;
            *t.max_offered.entry(max_offered).or_default() += 1;
            if let Some(c) = rec.cipher {
                *t.ciphers.entry(c).or_default() += 1;
            }
            t.offers_3des += count(offers_3des);
            t.uses_3des += count(uses_3des);
            t.fallback_scsv += count(scsv);
            t.hello_retries += count(rec.hello_retry);
            t.resumed += count(rec.resumed == Some(true));
            t.cut_by_snaplen += count(rec.cut_by_snaplen);
            t.below_min += count(below_min);
            t.below_min_server_chose += count(
                below_min
                    && self
                        .min_version
                        .zip(max_offered)
                        .is_some_and(|(min, offered)| offered.is_known() && offered >= min),
            );
            t.legacy += count(legacy);
            t.readiness.add(class, rec);
            if let Some(ch) = &rec.client_hello {
                t.sslv2_hellos += count(ch.sslv2_format);
                t.partial_hellos += count(ch.partial);
            }
            if let Some(sh) = &rec.server_hello {
                t.downgrade_sentinels += count(sh.downgrade_sentinel.is_some());
            }
            if let Some(tunnel) = rec.tunnel {
                *t.tunnels.entry(tunnel.kind).or_default() += 1;
            }
            t.quic += count(rec.quic.is_some());
            t.dtls += count(rec.dtls.is_some());
            if let Some(c) = &rec.certificate {
                match &c.leaf {
                    Ok(_) => t.certificates += 1,
                    Err(why) => *t.certificates_unreadable.entry(*why).or_default() += 1,
                }
                for f in rec.certificate_findings.iter() {
                    *t.certificate_findings.entry(f).or_default() += 1;
                }
            }
            if let (Some(v), Some(d)) = (row_version, rec.handshake) {
                t.latency.record(v, d.as_micros());
            }
            if let Some(width) = self.bucket_width(&t) {
                let key = rec.ts.secs() / width;
                let room = t.buckets.len() < self.max_rows;
                match t.buckets.entry(key) {
                    std::collections::btree_map::Entry::Vacant(_) if !room => {
                        t.unlisted_buckets += 1;
                    }
                    e => {
                        let b = e.or_default();
                        b.connections += 1;
                        *b.versions.entry(row_version).or_default() += 1;
                        b.legacy += count(legacy);
                        b.failed += count(failed);
                        if matches!(class, Class::ClientCannot | Class::HeldBack) {
                            b.below_policy += 1;
                            b.client_below(rec.client.ip);
                        }
                    }
                }
                if self.bucket == Some(Bucket::Auto) {
                    coarsen(&mut t);
                }
            }
        }
        self.clients.record(rec.client.ip, |c| {
            c.seen.add(rec.ts);
            c.transports.add(rec);
            *c.versions.entry(row_version).or_default() += 1;
            *c.max_offered.entry(row_offered).or_default() += 1;
            c.offers_3des += count(offers_3des);
            c.uses_3des += count(uses_3des);
            c.legacy += count(legacy);
            c.failed += count(failed);
            c.fallback_scsv += count(scsv);
            c.readiness.add(class, rec);
            if class == Class::HeldBack {
                if let Some(n) = c.held_back_by.get_mut(&rec.server) {
                    *n += 1;
                } else if c.held_back_by.len() < MAX_HELD_BACK_BY {
                    c.held_back_by.insert(rec.server, 1);
                }
            }
        });
        self.servers.record(rec.server, |s| {
            s.seen.add(rec.ts);
            s.transports.add(rec);
            *s.versions.entry(row_version).or_default() += 1;
            s.uses_3des += count(uses_3des);
            s.failed += count(failed);
            s.readiness.add(class, rec);
            s.certificates += count(rec.leaf().is_some());
            s.certificate_findings = s.certificate_findings.union(rec.certificate_findings);
            if let Some(sni) = rec.sni() {
                if let Some(n) = s.snis.get_mut(sni) {
                    *n += 1;
                } else if s.snis.len() < MAX_SNIS_PER_SERVER {
                    s.snis.insert(sni.clone(), 1);
                }
            }
        });
        let use_key = || LegacyKey {
            client: rec.client.ip,
            server: rec.server,
            sni: rec.sni().cloned(),
            version,
            max_offered,
            cipher: rec.cipher,
            sentinel: rec
                .server_hello
                .as_ref()
                .and_then(|sh| sh.downgrade_sentinel),
        };
        if legacy {
            self.legacy.record(use_key(), |s| s.add(rec.ts));
        }
        if below_min {
            self.below_min.record(use_key(), |s| s.add(rec.ts));
        }
        if let Some(reason) = rec.failure_reason() {
            let key = FailureKey {
                client: rec.client.ip,
                server: rec.server,
                sni: rec.sni().cloned(),
                outcome: rec.outcome,
                max_offered,
                reason,
            };
            self.failures.record(key, |s| s.add(rec.ts));
        }
        if let Some(fps) = rec.fingerprints.as_deref() {
            if let Some(fp) = &fps.ja4 {
                let ja3 = fps.ja3.as_ref().map(|j| j.hash.clone());
                self.fingerprints.record(fp.ja4.clone(), |f| {
                    f.seen.add(rec.ts);
                    f.note_ja3(ja3);
                    if f.clients.len() < MAX_CLIENTS_PER_FINGERPRINT {
                        f.clients.insert(rec.client.ip);
                    } else if !f.clients.contains(&rec.client.ip) {
                        f.more_clients += 1;
                    }
                    *f.max_offered.entry(row_offered).or_default() += 1;
                    f.readiness.add(class, rec);
                });
            }
        }
        if let Some(app) = rec.fiddler.as_ref().and_then(|f| f.process.as_ref()) {
            self.applications.record(app.clone(), |a| {
                a.seen.add(rec.ts);
                if a.clients.len() < MAX_CLIENTS_PER_FINGERPRINT {
                    a.clients.insert(rec.client.ip);
                } else if !a.clients.contains(&rec.client.ip) {
                    a.more_clients += 1;
                }
                *a.versions.entry(row_version).or_default() += 1;
                *a.max_offered.entry(row_offered).or_default() += 1;
                a.readiness.add(class, rec);
            });
        }
        if let (Some(c), Some(leaf)) = (&rec.certificate, rec.leaf()) {
            self.observe_certificate(rec, c.chain_length, leaf);
        }
        if let Some(tds) = rec.tds.as_deref() {
            let below = rec.below(Version::TLS12);
            let symptom = Symptom::of(rec);
            self.sql.record(rec.server, |s| {
                s.seen.add(rec.ts);
                *s.versions.entry(row_version).or_default() += 1;
                if below {
                    s.below_tls12 += 1;
                    if s.legacy_clients.len() < MAX_CLIENTS_PER_SQL_SERVER {
                        s.legacy_clients.insert(rec.client.ip);
                    } else if !s.legacy_clients.contains(&rec.client.ip) {
                        s.more_clients += 1;
                    }
                }
                s.cleartext_logins += count(tds.login == Some(Login::Clear));
                s.login_only += count(tds.encryption() == Some(Negotiated::LoginOnly));
                s.strict += count(tds.strict);
                if let Some(sym) = symptom {
                    // Login errors carry wire values: bound the distinct keys.
                    if let Some(n) = s.symptoms.get_mut(&sym) {
                        *n += 1;
                    } else if s.symptoms.len() < MAX_SYMPTOMS_PER_SQL_SERVER {
                        s.symptoms.insert(sym, 1);
                    } else {
                        s.more_symptoms += 1;
                    }
                }
            });
        }
    }

    fn observe_certificate(&self, rec: &ConnectionRecord, chain_length: u32, leaf: &Leaf) {
        let key = CertificateKey {
            server: rec.server,
            sha256: leaf.sha256.clone(),
        };
        let findings = rec.certificate_findings;
        self.certificates.record(key, |c| {
            c.seen.add(rec.ts);
            c.chain_length = c.chain_length.max(chain_length);
            c.findings = c.findings.union(findings);
            for f in findings.iter() {
                *c.by_finding.entry(f).or_default() += 1;
            }
            if c.leaf.is_none() {
                let mut l = Box::new(leaf.clone());
                if l.san_dns.len() > MAX_SAN_PER_CERTIFICATE {
                    l.san_dns.truncate(MAX_SAN_PER_CERTIFICATE);
                    l.san_cut = true;
                }
                c.leaf = Some(l);
            }
            if let (true, Some(sni)) = (findings.contains(Finding::NameMismatch), rec.sni()) {
                if let Some(n) = c.mismatched_snis.get_mut(sni) {
                    *n += 1;
                } else if c.mismatched_snis.len() < MAX_MISMATCHED_SNIS {
                    c.mismatched_snis.insert(sni.clone(), 1);
                } else {
                    c.more_mismatched += 1;
                }
            }
        });
    }

    /// Adds one fallback retry.
    pub fn fallback(&self, f: Fallback) {
        // A retry is a connection already counted (or unlisted) above.
        self.clients.update(f.client, |c| c.fallbacks += 1);
        let mut list = self.fallbacks.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() < self.max_rows {
            list.push(f);
        } else {
            self.unlisted_fallbacks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A record whose client–server pair the fallback detector could not
    /// remember.
    pub fn fallback_pair_untracked(&self) {
        self.unlisted_pairs.fetch_add(1, Ordering::Relaxed);
    }

    /// What full tables could not list so far.
    pub fn unlisted(&self) -> Unlisted {
        Unlisted {
            clients: self.clients.unlisted(),
            servers: self.servers.unlisted(),
            legacy: self.legacy.unlisted(),
            failures: self.failures.unlisted(),
            below_min: self.below_min.unlisted(),
            sql_servers: self.sql.unlisted(),
            fingerprints: self.fingerprints.unlisted(),
            applications: self.applications.unlisted(),
            certificates: self.certificates.unlisted(),
            fallbacks: self.unlisted_fallbacks.load(Ordering::Relaxed),
            fallback_pairs: self.unlisted_pairs.load(Ordering::Relaxed),
        }
    }

    /// (connections, legacy connections, fallback retries) so far, cheaply
    /// (for a status line).
    pub fn counts(&self) -> (u64, u64, usize) {
        let (connections, legacy) = {
            let t = self.totals();
            (t.connections, t.legacy)
        };
        let fallbacks = self.fallbacks.lock().map_or(0, |f| f.len())
            + self.unlisted_fallbacks.load(Ordering::Relaxed) as usize;
        (connections, legacy, fallbacks)
    }

    /// The final summary, without copying the tables (the end of a run).
    pub fn into_summary(self) -> Summary {
        let unlisted = self.unlisted();
        let bucket_secs = self.bucket_width(&self.totals());
        Summary {
            min_version: self.min_version,
            policy: self.policy,
            bucket_secs,
            totals: self.totals.into_inner().unwrap_or_else(|e| e.into_inner()),
            clients: self.clients.into_sorted(),
            servers: self.servers.into_sorted(),
            legacy: self.legacy.into_sorted(),
            failures: self.failures.into_sorted(),
            below_min: self.below_min.into_sorted(),
            sql: self.sql.into_sorted(),
            fingerprints: self.fingerprints.into_sorted(),
            applications: self.applications.into_sorted(),
            certificates: self.certificates.into_sorted(),
            fallbacks: self
                .fallbacks
                .into_inner()
                .unwrap_or_else(|e| e.into_inner()),
            unlisted,
        }
        .ordered()
    }

    /// Adds `other`, an aggregate of other connections under the same
    /// settings (a parallel reader's: pipeline/walk.rs).
    pub fn absorb(&self, other: Aggregator) {
        let auto = self.bucket == Some(Bucket::Auto);
        let unlisted_fallbacks = other.unlisted_fallbacks.load(Ordering::Relaxed);
        let unlisted_pairs = other.unlisted_pairs.load(Ordering::Relaxed);
        self.totals().merge(
            other.totals.into_inner().unwrap_or_else(|e| e.into_inner()),
            auto,
            self.max_rows,
        );
        self.clients.absorb(other.clients);
        self.servers.absorb(other.servers);
        self.legacy.absorb(other.legacy);
        self.failures.absorb(other.failures);
        self.below_min.absorb(other.below_min);
        self.sql.absorb(other.sql);
        self.fingerprints.absorb(other.fingerprints);
        self.applications.absorb(other.applications);
        self.certificates.absorb(other.certificates);
        {
            let mut list = self.fallbacks.lock().unwrap_or_else(|e| e.into_inner());
            for f in other
                .fallbacks
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
            {
                if list.len() < self.max_rows {
                    list.push(f);
                } else {
                    self.unlisted_fallbacks.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.unlisted_fallbacks
            .fetch_add(unlisted_fallbacks, Ordering::Relaxed);
        self.unlisted_pairs
            .fetch_add(unlisted_pairs, Ordering::Relaxed);
    }

    /// A consistent, sorted copy for reports.
    pub fn snapshot(&self) -> Summary {
        let totals = self.totals().clone();
        Summary {
            min_version: self.min_version,
            policy: self.policy,
            bucket_secs: self.bucket_width(&totals),
            totals,
            clients: self.clients.sorted(),
            servers: self.servers.sorted(),
            legacy: self.legacy.sorted(),
            failures: self.failures.sorted(),
            below_min: self.below_min.sorted(),
            sql: self.sql.sorted(),
            fingerprints: self.fingerprints.sorted(),
            applications: self.applications.sorted(),
            certificates: self.certificates.sorted(),
            fallbacks: self
                .fallbacks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            unlisted: self.unlisted(),
        }
        .ordered()
    }
}

/// A point-in-time copy of the aggregate, every list sorted: clients and
/// servers by connections (then address), the rest by key.
#[derive(Clone)]
pub struct Summary {
    pub min_version: Option<Version>,
    /// The policy the readiness verdicts judge by.
    pub policy: Policy,
    /// `--bucket`'s width in seconds.
    pub bucket_secs: Option<u64>,
    pub totals: Totals,
    pub clients: Vec<(IpAddr, ClientStats)>,
    pub servers: Vec<(Endpoint, ServerStats)>,
    pub legacy: Vec<(LegacyKey, Seen)>,
    pub failures: Vec<(FailureKey, Seen)>,
    pub below_min: Vec<(LegacyKey, Seen)>,
    /// SQL Servers, by connections (then address).
    pub sql: Vec<(Endpoint, SqlStats)>,
    /// Client fingerprints (JA4), by connections (then fingerprint).
    pub fingerprints: Vec<(String, FingerprintStats)>,
    /// Client applications (Fiddler's process names), by connections.
    pub applications: Vec<(WireText, ApplicationStats)>,
    /// Server certificates: those with findings first, then by
    /// connections (then server and fingerprint).
    pub certificates: Vec<(CertificateKey, CertificateStats)>,
    /// In capture order of the retry.
    pub fallbacks: Vec<Fallback>,
    /// What full tables could not list.
    pub unlisted: Unlisted,
}

impl Summary {
    /// Clients and servers by connections (then address, the order they
    /// come in), fallback retries in capture order.
    fn ordered(mut self) -> Summary {
        self.clients
            .sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        self.servers
            .sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        // Legacy uses, policy violations and failures by impact: the rows
        // with the most connections first, then the order of their keys.
        self.legacy
            .sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
        self.below_min
            .sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
        self.failures
            .sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
        self.sql
            .sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        self.fingerprints
            .sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        self.applications
            .sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        self.certificates.sort_by(|a, b| {
            (
                a.1.findings.is_empty(),
                std::cmp::Reverse(a.1.seen.count),
                &a.0,
            )
                .cmp(&(
                    b.1.findings.is_empty(),
                    std::cmp::Reverse(b.1.seen.count),
                    &b.0,
                ))
        });
        self.fallbacks.sort();
        self
    }

    /// Negotiated ciphers, most used first.
    pub fn ciphers_sorted(&self) -> Vec<(CipherSuite, u64)> {
        let mut v: Vec<_> = self.totals.ciphers.iter().map(|(c, n)| (*c, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Versions from the highest down, `None` (not negotiated) last.
    pub fn mix_sorted(mix: &VersionMix) -> Vec<(Option<Version>, u64)> {
        let mut v: Vec<_> = mix.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_by(|a, b| match (a.0, b.0) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        v
    }

    /// Distinct clients in `below_min`.
    pub fn below_min_clients(&self) -> usize {
        let mut ips: Vec<&IpAddr> = self.below_min.iter().map(|(k, _)| &k.client).collect();
        ips.dedup();
        ips.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::record::test_record;
    use crate::tls::hello::ServerHello;

    /// A hostile server answering every login with another error number:
    /// its row lists a bounded number of symptoms and counts the rest.
    #[test]
    fn login_errors_from_the_wire_do_not_grow_a_sql_server_row() {
        let agg = Aggregator::new(None, Policy::default(), None, 100);
        for i in 0..1_000u32 {
            let mut rec = test_record(u64::from(i));
            rec.tds = Some(Box::new(crate::analysis::tds::TdsInfo {
                login_error: Some((i, 1)),
                ..Default::default()
            }));
            agg.observe(&rec);
        }
        let s = agg.snapshot();
        let (_, row) = &s.sql[0];
        assert_eq!(row.seen.count, 1_000);
        assert_eq!(row.symptoms.len(), MAX_SYMPTOMS_PER_SQL_SERVER);
        assert_eq!(
            row.more_symptoms,
            1_000 - MAX_SYMPTOMS_PER_SQL_SERVER as u64
        );
    }

    /// A hostile server answering one client with 5,000 different version
    /// values: the totals keep each value, the client's and server's rows
    /// and the latency histograms do not grow with them.
    #[test]
    fn garbage_versions_do_not_grow_rows_or_histograms() {
        let agg = Aggregator::new(None, Policy::default(), None, 100);
        for i in 0..5_000u16 {
            let mut rec = test_record(u64::from(i));
            rec.outcome = Outcome::Established;
            rec.handshake = Some(crate::time::Duration(1_000_000));
            rec.server_hello = Some(Box::new(ServerHello {
                legacy_version: Version(0x1000 + i),
                ..ServerHello::default()
            }));
            agg.observe(&rec);
        }
        let mut rec = test_record(9_999);
        rec.server_hello = Some(Box::new(ServerHello {
            legacy_version: Version::TLS12,
            ..ServerHello::default()
        }));
        rec.handshake = Some(crate::time::Duration(1_000_000));
        agg.observe(&rec);
        let s = agg.snapshot();
        assert_eq!(s.totals.connections, 5_001);
        assert_eq!(s.totals.versions.len(), 5_001);
        let (_, client) = &s.clients[0];
        assert_eq!(client.versions.len(), 2, "{:?}", client.versions);
        assert_eq!(client.versions.get(&Some(Version::OTHER)), Some(&5_000));
        assert_eq!(client.versions.get(&Some(Version::TLS12)), Some(&1));
        assert_eq!(s.servers[0].1.versions.len(), 2);
        let latency: Vec<_> = s.totals.latency.by_version.keys().copied().collect();
        assert_eq!(latency, [Version::OTHER, Version::TLS12]);
    }

    #[test]
    fn auto_buckets_merge_into_the_narrowest_width_that_spans_the_capture() {
        let bucket = |n: u64| BucketStats {
            connections: n,
            versions: [(Some(Version::TLS12), n)].into_iter().collect(),
            legacy: 1,
            ..BucketStats::default()
        };
        // 200 one-second buckets (seconds 1000..1200): 5 s is the narrowest
        // width under 60 buckets (40 of them).
        let mut t = Totals::default();
        let add = |t: &mut Totals, sec: u64, n: u64| {
            let width = t.auto_width.max(1);
            t.buckets.entry(sec / width).or_default().merge(bucket(n));
            coarsen(t);
        };
        for sec in 1000..1200u64 {
            add(&mut t, sec, sec % 7 + 1);
        }
        assert_eq!(t.auto_width, 5);
        assert_eq!(t.buckets.len(), 40);
        assert_eq!(t.buckets.keys().next(), Some(&200));
        let total: u64 = (1000..1200u64).map(|s| s % 7 + 1).sum();
        assert_eq!(
            t.buckets.values().map(|b| b.connections).sum::<u64>(),
            total
        );
        let v: u64 = t
            .buckets
            .values()
            .map(|b| b.versions[&Some(Version::TLS12)])
            .sum();
        assert_eq!(v, total);
        assert!(t.buckets.values().all(|b| b.legacy == 5));
        // Two bursts an hour apart: the span decides, not the count.
        let mut t = Totals::default();
        for sec in [3_601u64, 0, 1, 2, 3_600] {
            add(&mut t, sec, 1);
        }
        // 3,600 s at 60 s is 61 buckets: one too many.
        assert_eq!(t.auto_width, 300);
        assert_eq!(t.buckets.keys().copied().collect::<Vec<_>>(), [0, 12]);
        assert_eq!(t.buckets[&12].connections, 2);
    }
}
