//! Fallback retries: a client that, after a failed handshake, tries the same
//! server again offering a lower version — what Windows, .NET and browsers do
//! silently when a TLS 1.2 handshake is reset or times out — and every
//! ClientHello carrying TLS_FALLBACK_SCSV (RFC 7507), which announces such a
//! retry even when the failed attempt is not in the capture.
//!
//! A retry is a connection from the same client to the same server
//! (address and port, and SNI when both have one) within the window (capture
//! time, between ClientHellos) whose highest offered version is lower than
//! that of an earlier attempt that failed: reset, a fatal alert, or no
//! ServerHello. Records arrive in ClientHello order per client–server pair
//! (the pipeline keeps a pair on one worker), so the result does not depend
//! on threads or timing — except for a record released late (see
//! `analysis::order`): it is never taken for a retry of a later attempt,
//! but a retry of it may be missed.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;

use hashlink::DefaultHashBuilder as Hasher;

use super::record::{ConnectionRecord, Outcome, Role};
use crate::decode::Endpoint;
use crate::text::WireText;
use crate::time::{Duration, Timestamp};
use crate::tls::alert;
use crate::tls::version::Version;

/// Earlier attempts remembered per client–server pair (a fallback dance is
/// at most TLS 1.3 → 1.2 → 1.1 → 1.0).
const MAX_ATTEMPTS: usize = 4;

/// How an attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    Reset,
    /// A fatal alert (its description).
    Alert(u8),
    NoResponse,
    /// Closed or reset after the ServerHello, before the handshake completed.
    Aborted,
}

impl Failure {
    fn of(rec: &ConnectionRecord) -> Option<Failure> {
        match rec.outcome {
            Outcome::Established
            | Outcome::Unencrypted
            | Outcome::OneSided
            | Outcome::NotLogged
            | Outcome::Intercepted => None,
            Outcome::Reset => Some(Failure::Reset),
            Outcome::Rejected => rec.decisive_alert().map(|a| Failure::Alert(a.description)),
            Outcome::Aborted => Some(Failure::Aborted),
            Outcome::NoResponse | Outcome::Incomplete => {
                rec.server_hello.is_none().then_some(Failure::NoResponse)
            }
        }
    }

    /// `reset`, `alert:protocol_version`, `no_response`, `aborted`.
    pub fn label(self) -> String {
        match self {
            Failure::Reset => "reset".into(),
            Failure::Alert(d) => format!("alert:{}", alert::description_label(d)),
            Failure::NoResponse => "no_response".into(),
            Failure::Aborted => "aborted".into(),
        }
    }
}

/// What became of the retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RetryOutcome {
    Accepted,
    Rejected,
    Failed,
}

impl RetryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryOutcome::Accepted => "accepted",
            RetryOutcome::Rejected => "rejected",
            RetryOutcome::Failed => "failed",
        }
    }
}

/// One fallback retry (summary-json `fallbacks`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fallback {
    /// The retry's ClientHello time.
    pub ts: Timestamp,
    /// The retry's output position (ties on `ts`).
    pub order: u64,
    pub client: IpAddr,
    pub server: Endpoint,
    pub sni: Option<WireText>,
    /// Highest version the failed attempt offered (`None`: no failed
    /// attempt seen, only TLS_FALLBACK_SCSV).
    pub from_version: Option<Version>,
    pub failure: Option<Failure>,
    /// Highest version the retry offered.
    pub to_version: Option<Version>,
    pub scsv: bool,
    pub outcome: RetryOutcome,
    /// The server's alert when the retry was rejected.
    pub alert: Option<u8>,
    /// The negotiated version when it was accepted.
    pub version: Option<Version>,
}

#[derive(Clone, Copy)]
struct Attempt {
    ts: Timestamp,
    /// A hash of the SNI (0 without one): only compared for equality.
    sni: u64,
    max_offered: Version,
    failure: Option<Failure>,
}

/// The last attempts of a pair, oldest first, kept inline (no allocation
/// per pair).
#[derive(Default)]
struct Recent {
    slots: [Option<Attempt>; MAX_ATTEMPTS],
}

impl Recent {
    fn last(&self) -> Option<&Attempt> {
        self.slots.iter().rev().flatten().next()
    }

    fn push(&mut self, a: Attempt) {
        self.slots.rotate_left(1);
        if let Some(slot) = self.slots.last_mut() {
            *slot = Some(a);
        }
    }
}

/// What [`FallbackDetector::observe`] made of a record.
#[derive(Debug, Default)]
pub struct Observed {
    /// The record is a fallback retry (or carries TLS_FALLBACK_SCSV).
    pub retry: Option<Fallback>,
    /// Its pair could not be remembered: every slot holds a pair with an
    /// attempt inside the window.
    pub untracked: bool,
}

/// Watches one worker's ordered record stream.
pub struct FallbackDetector {
    window: Duration,
    pairs: HashMap<(IpAddr, Endpoint), Recent, Hasher>,
    /// Most pairs remembered.
    max_pairs: usize,
    /// Pairs held after the last pruning: prune again when doubled, or,
    /// at the bound, when there are more or an eighth of the window has
    /// passed since (capture time).
    pruned_at: usize,
    pruned_ts: Timestamp,
    hasher: Hasher,
}

impl FallbackDetector {
    /// Remembers at most `max_pairs` client–server pairs.
    pub fn new(window: Duration, max_pairs: usize) -> FallbackDetector {
        FallbackDetector {
            window,
            pairs: HashMap::default(),
            max_pairs: max_pairs.max(1),
            pruned_at: 1024,
            pruned_ts: Timestamp::ZERO,
            hasher: Hasher::default(),
        }
    }

    /// Forgets pairs whose last attempt is out of the window at `now`.
    fn prune(&mut self, now: Timestamp) {
        let window = self.window;
        self.pairs
            .retain(|_, q| q.last().is_some_and(|a| now.since(a.ts) <= window));
        self.pruned_at = self.pairs.len().max(1024);
        self.pruned_ts = now;
    }

    fn sni_hash(&self, sni: Option<&WireText>) -> u64 {
        sni.map_or(0, |s| self.hasher.hash_one(s) | 1)
    }

    /// Looks at the next record (in ClientHello order): is it a retry?
    pub fn observe(&mut self, rec: &ConnectionRecord) -> Observed {
        let Some(to) = rec.max_offered() else {
            return Observed::default();
        };
        let now = rec.ts;
        let len = self.pairs.len();
        let full = len >= self.max_pairs
            && (len > self.pruned_at || now.since(self.pruned_ts).0 > self.window.0 / 8);
        if len >= 2 * self.pruned_at || full {
            self.prune(now);
        }
        let sni = rec.sni();
        let sni_hash = self.sni_hash(sni);
        let window = self.window;
        let key = (rec.client.ip, rec.server);
        let untracked = self.pairs.len() >= self.max_pairs && !self.pairs.contains_key(&key);
        let mut spare = Recent::default();
        let q = if untracked {
            &mut spare
        } else {
            self.pairs.entry(key).or_default()
        };
        let earlier = q.slots.iter().rev().flatten().copied().find(|a| {
            a.ts <= now
                && now.since(a.ts) <= window
                && a.failure.is_some()
                && a.max_offered > to
                && (a.sni == 0 || sni_hash == 0 || a.sni == sni_hash)
        });
        let scsv = rec.fallback_scsv();
        let event = (earlier.is_some() || scsv).then(|| {
            let outcome = match rec.outcome {
                Outcome::Established => RetryOutcome::Accepted,
                Outcome::Rejected => RetryOutcome::Rejected,
                _ => RetryOutcome::Failed,
            };
            Fallback {
                ts: now,
                order: rec.order,
                client: rec.client.ip,
                server: rec.server,
                sni: sni.cloned(),
                from_version: earlier.map(|a| a.max_offered),
                failure: earlier.and_then(|a| a.failure),
                to_version: Some(to),
                scsv,
                outcome,
                alert: (outcome == RetryOutcome::Rejected)
                    .then(|| {
                        rec.alerts
                            .iter()
                            .find(|a| a.from == Role::Server && a.is_fatal())
                            .or(rec.decisive_alert())
                            .map(|a| a.description)
                    })
                    .flatten(),
                version: (outcome == RetryOutcome::Accepted)
                    .then(|| rec.version())
                    .flatten(),
            }
        });
        q.push(Attempt {
            ts: now,
            sni: sni_hash,
            max_offered: to,
            failure: Failure::of(rec),
        });
        Observed {
            retry: event,
            untracked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::record::test_record;

    fn attempt(client: u8, secs: u64, offered: Version, outcome: Outcome) -> ConnectionRecord {
        let mut rec = test_record(secs);
        rec.client.ip = IpAddr::from([10, 66, 0, client]);
        rec.outcome = outcome;
        if let Some(ch) = rec.client_hello.as_mut() {
            ch.legacy_version = offered;
        }
        rec
    }

    #[test]
    fn a_full_detector_forgets_pairs_once_they_leave_the_window() {
        use Outcome::{Incomplete, NoResponse};
        let mut d = FallbackDetector::new(Duration::from_secs(60), 2);
        assert!(
            !d.observe(&attempt(2, 0, Version::TLS12, NoResponse))
                .untracked
        );
        assert!(
            !d.observe(&attempt(3, 0, Version::TLS12, NoResponse))
                .untracked
        );
        // Full of pairs inside the window: a third is not remembered, so
        // its retry cannot be recognised.
        assert!(
            d.observe(&attempt(4, 1, Version::TLS12, NoResponse))
                .untracked
        );
        let seen = d.observe(&attempt(4, 2, Version::TLS10, Incomplete));
        assert!(seen.untracked && seen.retry.is_none());
        // A remembered pair's retry still is.
        let seen = d.observe(&attempt(2, 3, Version::TLS10, NoResponse));
        assert!(!seen.untracked);
        assert_eq!(
            seen.retry.and_then(|f| f.from_version),
            Some(Version::TLS12)
        );
        // Once those attempts are out of the window, there is room again.
        assert!(
            !d.observe(&attempt(4, 100, Version::TLS12, NoResponse))
                .untracked
        );
        let seen = d.observe(&attempt(4, 101, Version::TLS10, NoResponse));
        assert_eq!(
            seen.retry.and_then(|f| f.from_version),
            Some(Version::TLS12)
        );
    }
}
