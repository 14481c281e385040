//! The summary: version mixes, clients, servers, ciphers, legacy use,
//! failures and handshake latency, updated once per connection.
//!
//! Everything here is keyed by values from the records (addresses, versions,
//! names), and every list is sorted before it is shown, so the summary does
//! not depend on the order in which connections finished.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use hdrhistogram::Histogram;

use super::connection::{ConnectionRecord, Outcome};
use crate::decode::Endpoint;
use crate::time::Timestamp;
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

/// Most distinct SNIs remembered per server.
const MAX_SNIS_PER_SERVER: usize = 64;

/// Count per version (`None`: not negotiated / not known).
pub type VersionMix = BTreeMap<Option<Version>, u64>;

#[derive(Clone, Debug, Default)]
pub struct ClientStats {
    /// Connections, and the first and last ClientHello.
    pub seen: Seen,
    /// Negotiated versions (`None`: no ServerHello).
    pub versions: VersionMix,
    /// Highest version offered per connection.
    pub max_offered: VersionMix,
    pub offers_3des: u64,
    pub uses_3des: u64,
    pub legacy: u64,
    pub failed: u64,
    pub fallback_scsv: u64,
}

#[derive(Clone, Debug, Default)]
pub struct ServerStats {
    pub seen: Seen,
    pub versions: VersionMix,
    pub uses_3des: u64,
    pub failed: u64,
    pub snis: BTreeMap<String, u64>,
}

/// One (client, server, SNI, versions) combination below TLS 1.2 or with 3DES.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LegacyKey {
    pub client: IpAddr,
    pub server: Endpoint,
    pub sni: Option<String>,
    pub version: Option<Version>,
    pub max_offered: Option<Version>,
    pub cipher: Option<CipherSuite>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailureKey {
    pub client: IpAddr,
    pub server: Endpoint,
    pub sni: Option<String>,
    pub outcome: Outcome,
    pub max_offered: Option<Version>,
    pub reason: String,
}

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

/// Handshake latency per negotiated version (microseconds).
pub struct Latency {
    pub by_version: BTreeMap<Version, Histogram<u64>>,
}

impl Latency {
    fn record(&mut self, v: Version, micros: u64) {
        let h = self.by_version.entry(v).or_insert_with(|| {
            // 1 µs .. 1 hour, 3 significant digits.
            Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| {
                Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
            })
        });
        h.saturating_record(micros.max(1));
    }
}

/// The aggregated view of all connections.
pub struct Summary {
    pub min_version: Option<Version>,
    pub connections: u64,
    pub outcomes: BTreeMap<Outcome, u64>,
    pub versions: VersionMix,
    pub max_offered: VersionMix,
    pub clients: HashMap<IpAddr, ClientStats>,
    pub servers: HashMap<Endpoint, ServerStats>,
    pub ciphers: BTreeMap<CipherSuite, u64>,
    pub legacy: BTreeMap<LegacyKey, Seen>,
    pub failures: BTreeMap<FailureKey, Seen>,
    /// Connections a server requiring `min_version` would refuse.
    pub below_min: BTreeMap<LegacyKey, Seen>,
    pub below_min_connections: u64,
    pub offers_3des: u64,
    pub uses_3des: u64,
    pub fallback_scsv: u64,
    pub hello_retries: u64,
    pub resumed: u64,
    pub sslv2_hellos: u64,
    pub partial_hellos: u64,
    pub cut_by_snaplen: u64,
    pub downgrade_sentinels: u64,
    pub latency: Latency,
}

impl Summary {
    pub fn new(min_version: Option<Version>) -> Summary {
        Summary {
            min_version,
            connections: 0,
            outcomes: BTreeMap::new(),
            versions: BTreeMap::new(),
            max_offered: BTreeMap::new(),
            clients: HashMap::new(),
            servers: HashMap::new(),
            ciphers: BTreeMap::new(),
            legacy: BTreeMap::new(),
            failures: BTreeMap::new(),
            below_min: BTreeMap::new(),
            below_min_connections: 0,
            offers_3des: 0,
            uses_3des: 0,
            fallback_scsv: 0,
            hello_retries: 0,
            resumed: 0,
            sslv2_hellos: 0,
            partial_hellos: 0,
            cut_by_snaplen: 0,
            downgrade_sentinels: 0,
            latency: Latency {
                by_version: BTreeMap::new(),
            },
        }
    }

    /// Adds one connection.
    pub fn observe(&mut self, rec: &ConnectionRecord) {
        let version = rec.version();
        let max_offered = rec.max_offered();
        let offers_3des = rec.offers_3des();
        let uses_3des = rec.uses_3des();
        let legacy = rec.is_legacy() || uses_3des;
        let failed = rec.outcome != Outcome::Established;
        let scsv = rec.fallback_scsv();
        let count = |b: bool| u64::from(b);

        self.connections += 1;
        *self.outcomes.entry(rec.outcome).or_default() += 1;
        *self.versions.entry(version).or_default() += 1;
        *self.max_offered.entry(max_offered).or_default() += 1;
        if let Some(c) = rec.cipher {
            *self.ciphers.entry(c).or_default() += 1;
        }
        self.offers_3des += count(offers_3des);
        self.uses_3des += count(uses_3des);
        self.fallback_scsv += count(scsv);
        self.hello_retries += count(rec.hello_retry);
        self.resumed += count(rec.resumed == Some(true));
        self.cut_by_snaplen += count(rec.cut_by_snaplen);
        if let Some(ch) = &rec.client_hello {
            self.sslv2_hellos += count(ch.sslv2_format);
            self.partial_hellos += count(ch.partial);
        }
        if let Some(sh) = &rec.server_hello {
            self.downgrade_sentinels += count(sh.downgrade_sentinel.is_some());
        }
        if let (Some(v), Some(d)) = (version, rec.handshake) {
            self.latency.record(v, d.as_micros());
        }

        let c = self.clients.entry(rec.client.ip).or_default();
        c.seen.add(rec.ts);
        *c.versions.entry(version).or_default() += 1;
        *c.max_offered.entry(max_offered).or_default() += 1;
        c.offers_3des += count(offers_3des);
        c.uses_3des += count(uses_3des);
        c.legacy += count(legacy);
        c.failed += count(failed);
        c.fallback_scsv += count(scsv);

        let s = self.servers.entry(rec.server).or_default();
        s.seen.add(rec.ts);
        *s.versions.entry(version).or_default() += 1;
        s.uses_3des += count(uses_3des);
        s.failed += count(failed);
        if let Some(sni) = rec.sni() {
            if let Some(n) = s.snis.get_mut(sni) {
                *n += 1;
            } else if s.snis.len() < MAX_SNIS_PER_SERVER {
                s.snis.insert(sni.to_string(), 1);
            }
        }

        let use_key = || LegacyKey {
            client: rec.client.ip,
            server: rec.server,
            sni: rec.sni().map(str::to_string),
            version,
            max_offered,
            cipher: rec.cipher,
        };
        if legacy {
            self.legacy.entry(use_key()).or_default().add(rec.ts);
        }
        if let Some(min) = self.min_version {
            if rec.below(min) {
                self.below_min_connections += 1;
                self.below_min.entry(use_key()).or_default().add(rec.ts);
            }
        }
        if let Some(reason) = rec.failure_reason() {
            let key = FailureKey {
                client: rec.client.ip,
                server: rec.server,
                sni: rec.sni().map(str::to_string),
                outcome: rec.outcome,
                max_offered,
                reason,
            };
            self.failures.entry(key).or_default().add(rec.ts);
        }
    }

    /// Clients, most connections first (then by address).
    pub fn clients_sorted(&self) -> Vec<(&IpAddr, &ClientStats)> {
        let mut v: Vec<_> = self.clients.iter().collect();
        v.sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(b.0)));
        v
    }

    pub fn servers_sorted(&self) -> Vec<(&Endpoint, &ServerStats)> {
        let mut v: Vec<_> = self.servers.iter().collect();
        v.sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(b.0)));
        v
    }

    /// Negotiated ciphers, most used first.
    pub fn ciphers_sorted(&self) -> Vec<(CipherSuite, u64)> {
        let mut v: Vec<_> = self.ciphers.iter().map(|(c, n)| (*c, *n)).collect();
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

    /// Number of distinct clients in `below_min`.
    pub fn below_min_clients(&self) -> usize {
        let mut ips: Vec<&IpAddr> = self.below_min.keys().map(|k| &k.client).collect();
        ips.dedup();
        ips.len()
    }
}
