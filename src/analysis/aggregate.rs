//! The aggregator: version mixes, clients, servers, ciphers, legacy use,
//! failures, fallback retries and handshake latency.
//!
//! [`Aggregator`] is the one structure the parser workers share (DESIGN.md):
//! concurrent maps (dashmap) for the keyed tables and one mutex for the
//! small totals, updated once per connection — never per packet — and
//! readable at any time through [`Aggregator::snapshot`]. Every update is a
//! count, a minimum or a maximum, so the result does not depend on which
//! worker finished first; the snapshot sorts everything it lists.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;

use dashmap::DashMap;
use hashlink::DefaultHashBuilder as Hasher;
use hdrhistogram::Histogram;

use super::connection::{ConnectionRecord, FailureReason, Outcome};
use super::fallback::Fallback;
use crate::decode::Endpoint;
use crate::time::Timestamp;
use crate::tls::cipher::CipherSuite;
use crate::tls::version::Version;

/// Most distinct SNIs remembered per server.
const MAX_SNIS_PER_SERVER: usize = 64;

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
}

#[derive(Clone, Debug, Default)]
pub struct ServerStats {
    pub seen: Seen,
    pub versions: VersionMix,
    pub uses_3des: u64,
    pub failed: u64,
    pub snis: BTreeMap<String, u64>,
}

/// One (client, server, SNI, versions, cipher) combination.
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
    pub reason: FailureReason,
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
    /// Connections below TLS 1.2 or with 3DES.
    pub legacy: u64,
    pub latency: Latency,
}

/// The shared, concurrently updated aggregate.
pub struct Aggregator {
    min_version: Option<Version>,
    totals: Mutex<Totals>,
    clients: DashMap<IpAddr, ClientStats, Hasher>,
    servers: DashMap<Endpoint, ServerStats, Hasher>,
    legacy: DashMap<LegacyKey, Seen, Hasher>,
    failures: DashMap<FailureKey, Seen, Hasher>,
    below_min: DashMap<LegacyKey, Seen, Hasher>,
    fallbacks: Mutex<Vec<Fallback>>,
}

impl Aggregator {
    pub fn new(min_version: Option<Version>) -> Aggregator {
        Aggregator {
            min_version,
            totals: Mutex::new(Totals::default()),
            clients: DashMap::default(),
            servers: DashMap::default(),
            legacy: DashMap::default(),
            failures: DashMap::default(),
            below_min: DashMap::default(),
            fallbacks: Mutex::new(Vec::new()),
        }
    }

    fn totals(&self) -> std::sync::MutexGuard<'_, Totals> {
        // A worker that panicked cannot leave the counters half-updated in
        // a way that matters more than losing the report: keep going.
        self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds one connection.
    pub fn observe(&self, rec: &ConnectionRecord) {
        let version = rec.version();
        let max_offered = rec.max_offered();
        let offers_3des = rec.offers_3des();
        let uses_3des = rec.uses_3des();
        let legacy = rec.is_legacy() || uses_3des;
        let failed = rec.outcome != Outcome::Established;
        let scsv = rec.fallback_scsv();
        let below_min = self.min_version.is_some_and(|min| rec.below(min));
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
            t.legacy += count(legacy);
            if let Some(ch) = &rec.client_hello {
                t.sslv2_hellos += count(ch.sslv2_format);
                t.partial_hellos += count(ch.partial);
            }
            if let Some(sh) = &rec.server_hello {
                t.downgrade_sentinels += count(sh.downgrade_sentinel.is_some());
            }
            if let (Some(v), Some(d)) = (version, rec.handshake) {
                t.latency.record(v, d.as_micros());
            }
        }
        {
            let mut c = self.clients.entry(rec.client.ip).or_default();
            c.seen.add(rec.ts);
            *c.versions.entry(version).or_default() += 1;
            *c.max_offered.entry(max_offered).or_default() += 1;
            c.offers_3des += count(offers_3des);
            c.uses_3des += count(uses_3des);
            c.legacy += count(legacy);
            c.failed += count(failed);
            c.fallback_scsv += count(scsv);
        }
        {
            let mut s = self.servers.entry(rec.server).or_default();
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
        if below_min {
            self.below_min.entry(use_key()).or_default().add(rec.ts);
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

    /// Adds one fallback retry.
    pub fn fallback(&self, f: Fallback) {
        self.clients.entry(f.client).or_default().fallbacks += 1;
        self.fallbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    /// (connections, legacy connections, fallback retries) so far, cheaply
    /// (for a status line).
    pub fn counts(&self) -> (u64, u64, usize) {
        let (connections, legacy) = {
            let t = self.totals();
            (t.connections, t.legacy)
        };
        let fallbacks = self.fallbacks.lock().map_or(0, |f| f.len());
        (connections, legacy, fallbacks)
    }

    /// A consistent, sorted copy for reports.
    pub fn snapshot(&self) -> Summary {
        fn sorted<K: Ord + Clone + std::hash::Hash, V: Clone>(
            m: &DashMap<K, V, Hasher>,
        ) -> Vec<(K, V)> {
            let mut v: Vec<(K, V)> = m
                .iter()
                .map(|e| (e.key().clone(), e.value().clone()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        }
        let mut clients = sorted(&self.clients);
        clients.sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        let mut servers = sorted(&self.servers);
        servers.sort_by(|a, b| b.1.seen.count.cmp(&a.1.seen.count).then(a.0.cmp(&b.0)));
        let mut fallbacks = self
            .fallbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        fallbacks.sort();
        Summary {
            min_version: self.min_version,
            totals: self.totals().clone(),
            clients,
            servers,
            legacy: sorted(&self.legacy),
            failures: sorted(&self.failures),
            below_min: sorted(&self.below_min),
            fallbacks,
        }
    }
}

/// A point-in-time copy of the aggregate, every list sorted: clients and
/// servers by connections (then address), the rest by key.
#[derive(Clone)]
pub struct Summary {
    pub min_version: Option<Version>,
    pub totals: Totals,
    pub clients: Vec<(IpAddr, ClientStats)>,
    pub servers: Vec<(Endpoint, ServerStats)>,
    pub legacy: Vec<(LegacyKey, Seen)>,
    pub failures: Vec<(FailureKey, Seen)>,
    pub below_min: Vec<(LegacyKey, Seen)>,
    /// In capture order of the retry.
    pub fallbacks: Vec<Fallback>,
}

impl Summary {
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
