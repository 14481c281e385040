//! Adding one aggregate into another: the parallel readers (pipeline/walk.rs)
//! each keep their own, so that two cores never write the same counters,
//! and the run adds them up at its end.
//!
//! Every count adds. What a bound cuts short (the clients listed per
//! fingerprint, the SNIs per server, a table of `--max-rows` rows) keeps
//! the first aggregate's entries and then takes the other's while there is
//! room; what does not fit is counted where the aggregate counts it (a
//! client beyond the list counts once, as a connection of its own). Below
//! the bounds the sum is exactly the aggregate of all the records in one.

use std::collections::{BTreeMap, BTreeSet};

use super::aggregate::{
    ApplicationStats, BucketStats, CertificateStats, ClientStats, FingerprintStats, Latency, Seen,
    ServerStats, SqlStats, Totals, Transports,
};
use super::readiness::Tally;

/// A row of an aggregate table that another one's row for the same key
/// can be added into.
pub trait Merge {
    fn merge(&mut self, other: Self);
    /// The connections it counts (a row that finds the table full is
    /// counted as unlisted with these).
    fn connections(&self) -> u64;
}

/// Adds counts, key by key.
pub fn add_counts<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(k).or_default() += n;
    }
}

/// Adds counts of a map that holds at most `max` keys; the counts of keys
/// that find it full go to `more` (when the map keeps such a count).
fn add_bounded<K: Ord>(
    into: &mut BTreeMap<K, u64>,
    from: BTreeMap<K, u64>,
    max: usize,
    more: Option<&mut u64>,
) {
    let mut lost = 0;
    for (k, n) in from {
        if let Some(m) = into.get_mut(&k) {
            *m += n;
        } else if into.len() < max {
            into.insert(k, n);
        } else {
            lost += n;
        }
    }
    if let Some(more) = more {
        *more += lost;
    }
}

/// Adds a set that holds at most `max` members; a member that finds it
/// full counts once in `more`.
fn add_members<T: Ord>(
    into: &mut BTreeSet<T>,
    more: &mut u64,
    from: BTreeSet<T>,
    from_more: u64,
    max: usize,
) {
    for m in from {
        if into.len() < max {
            into.insert(m);
        } else if !into.contains(&m) {
            *more += 1;
        }
    }
    *more += from_more;
}

impl Merge for Seen {
    fn merge(&mut self, other: Seen) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other;
            return;
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
    }

    fn connections(&self) -> u64 {
        self.count
    }
}

impl Tally {
    pub fn merge(&mut self, o: Tally) {
        self.meets += o.meets;
        self.client_cannot += o.client_cannot;
        self.held_back += o.held_back;
        self.unknown += o.unknown;
        self.negotiated_below += o.negotiated_below;
        self.refused_below += o.refused_below;
    }
}

impl Transports {
    fn merge(&mut self, o: Transports) {
        self.tcp += o.tcp;
        self.quic += o.quic;
        self.dtls += o.dtls;
    }
}

impl Merge for ClientStats {
    fn merge(&mut self, o: ClientStats) {
        self.seen.merge(o.seen);
        self.transports.merge(o.transports);
        add_counts(&mut self.versions, o.versions);
        add_counts(&mut self.max_offered, o.max_offered);
        self.offers_3des += o.offers_3des;
        self.uses_3des += o.uses_3des;
        self.legacy += o.legacy;
        self.failed += o.failed;
        self.fallback_scsv += o.fallback_scsv;
        self.fallbacks += o.fallbacks;
        self.readiness.merge(o.readiness);
        add_bounded(
            &mut self.held_back_by,
            o.held_back_by,
            super::aggregate::MAX_HELD_BACK_BY,
            None,
        );
    }

    fn connections(&self) -> u64 {
        self.seen.count
    }
}

impl Merge for ServerStats {
    fn merge(&mut self, o: ServerStats) {
        self.seen.merge(o.seen);
        self.transports.merge(o.transports);
        add_counts(&mut self.versions, o.versions);
        self.uses_3des += o.uses_3des;
        self.failed += o.failed;
        add_bounded(
            &mut self.snis,
            o.snis,
            super::aggregate::MAX_SNIS_PER_SERVER,
            None,
        );
        self.readiness.merge(o.readiness);
        self.certificates += o.certificates;
        self.certificate_findings = self.certificate_findings.union(o.certificate_findings);
    }

    fn connections(&self) -> u64 {
        self.seen.count
    }
}

impl Merge for SqlStats {
    fn merge(&mut self, o: SqlStats) {
        self.seen.merge(o.seen);
        add_counts(&mut self.versions, o.versions);
        self.below_tls12 += o.below_tls12;
        add_members(
            &mut self.legacy_clients,
            &mut self.more_clients,
            o.legacy_clients,
            o.more_clients,
            super::aggregate::MAX_CLIENTS_PER_SQL_SERVER,
        );
        self.cleartext_logins += o.cleartext_logins;
        self.login_only += o.login_only;
        self.strict += o.strict;
        add_bounded(
            &mut self.symptoms,
            o.symptoms,
            super::aggregate::MAX_SYMPTOMS_PER_SQL_SERVER,
            Some(&mut self.more_symptoms),
        );
        self.more_symptoms += o.more_symptoms;
    }

    fn connections(&self) -> u64 {
        self.seen.count
    }
}

impl Merge for FingerprintStats {
    fn merge(&mut self, o: FingerprintStats) {
        self.seen.merge(o.seen);
        // The lowest JA3, and whether more than one was seen.
        self.ja3_variants = self.ja3_variants.max(o.ja3_variants);
        self.note_ja3(o.ja3);
        add_members(
            &mut self.clients,
            &mut self.more_clients,
            o.clients,
            o.more_clients,
            super::aggregate::MAX_CLIENTS_PER_FINGERPRINT,
        );
        add_counts(&mut self.max_offered, o.max_offered);
        self.readiness.merge(o.readiness);
    }

    fn connections(&self) -> u64 {
        self.seen.count
    }
}

impl Merge for ApplicationStats {
    fn merge(&mut self, o: ApplicationStats) {
        self.seen.merge(o.seen);
        add_members(
            &mut self.clients,
            &mut self.more_clients,
            o.clients,
            o.more_clients,
            super::aggregate::MAX_CLIENTS_PER_FINGERPRINT,
        );
        add_counts(&mut self.versions, o.versions);
        add_counts(&mut self.max_offered, o.max_offered);
        self.readiness.merge(o.readiness);
    }

    fn connections(&self) -> u64 {
        self.seen.count
    }
}

impl Merge for CertificateStats {
    fn merge(&mut self, o: CertificateStats) {
        self.seen.merge(o.seen);
        if self.leaf.is_none() {
            self.leaf = o.leaf;
        }
        self.chain_length = self.chain_length.max(o.chain_length);
        self.findings = self.findings.union(o.findings);
        add_counts(&mut self.by_finding, o.by_finding);
        add_bounded(
            &mut self.mismatched_snis,
            o.mismatched_snis,
            super::aggregate::MAX_MISMATCHED_SNIS,
            Some(&mut self.more_mismatched),
        );
        self.more_mismatched += o.more_mismatched;
    }

    fn connections(&self) -> u64 {
        self.seen.count
    }
}

impl Latency {
    fn merge(&mut self, o: Latency) {
        for (v, h) in o.by_version {
            match self.by_version.get_mut(&v) {
                // Same bounds on both sides: adding cannot fail.
                Some(mine) => {
                    let _ = mine.add(&h);
                }
                None => {
                    self.by_version.insert(v, h);
                }
            }
        }
    }
}

impl Totals {
    /// Adds `o`. `auto`: `--bucket auto`, whose widths may differ (each
    /// side's buckets are first merged into the wider one); `max_buckets`
    /// bounds the series, as it does for one aggregate.
    pub fn merge(&mut self, o: Totals, auto: bool, max_buckets: usize) {
        self.connections += o.connections;
        self.client_hellos += o.client_hellos;
        add_counts(&mut self.outcomes, o.outcomes);
        add_counts(&mut self.versions, o.versions);
        add_counts(&mut self.max_offered, o.max_offered);
        add_counts(&mut self.ciphers, o.ciphers);
        self.offers_3des += o.offers_3des;
        self.uses_3des += o.uses_3des;
        self.fallback_scsv += o.fallback_scsv;
        self.hello_retries += o.hello_retries;
        self.resumed += o.resumed;
        self.sslv2_hellos += o.sslv2_hellos;
        self.partial_hellos += o.partial_hellos;
        self.cut_by_snaplen += o.cut_by_snaplen;
        self.downgrade_sentinels += o.downgrade_sentinels;
        self.below_min += o.below_min;
        self.below_min_server_chose += o.below_min_server_chose;
        self.legacy += o.legacy;
        self.readiness.merge(o.readiness);
        self.latency.merge(o.latency);
        let mut theirs = o.buckets;
        if auto {
            let width = self.auto_width.max(o.auto_width).max(1);
            rescale(&mut self.buckets, self.auto_width.max(1), width);
            rescale(&mut theirs, o.auto_width.max(1), width);
            self.auto_width = width;
        }
        for (key, b) in theirs {
            let room = self.buckets.len() < max_buckets;
            match self.buckets.entry(key) {
                std::collections::btree_map::Entry::Vacant(_) if !room => {
                    self.unlisted_buckets += b.connections;
                }
                e => e.or_default().merge(b),
            }
        }
        if auto {
            super::aggregate::coarsen(self);
        }
        self.unlisted_buckets += o.unlisted_buckets;
        self.certificates += o.certificates;
        add_counts(&mut self.certificates_unreadable, o.certificates_unreadable);
        add_counts(&mut self.certificate_findings, o.certificate_findings);
        add_counts(&mut self.tunnels, o.tunnels);
        self.quic += o.quic;
        self.dtls += o.dtls;
    }
}

/// Buckets of width `from` (seconds) merged into buckets of width `to` (a
/// multiple of it: `AUTO_WIDTHS`).
fn rescale(buckets: &mut BTreeMap<u64, BucketStats>, from: u64, to: u64) {
    if from == to {
        return;
    }
    for (key, b) in std::mem::take(buckets) {
        buckets.entry(key * from / to).or_default().merge(b);
    }
}
