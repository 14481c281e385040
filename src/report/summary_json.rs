//! `--format summary-json`: the whole summary as one JSON object
//! (DESIGN.md: capture, versions, clients, servers, ciphers, fallbacks,
//! warnings; plus outcomes, legacy, failures, policy and latency).

use std::cell::RefCell;
use std::io::{self, Write};

use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::{Report, Run};
use crate::analysis::aggregate::{LegacyKey, Seen, Summary, Unlisted, VersionMix};
use crate::analysis::fallback::Fallback;
use crate::decode::Endpoint;
use crate::time::Timestamp;

pub struct SummaryJson<W: Write> {
    out: W,
}

impl<W: Write> SummaryJson<W> {
    pub fn new(out: W) -> Self {
        SummaryJson { out }
    }
}

fn ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_string()))
}

fn endpoint(e: &Endpoint) -> Value {
    json!({"ip": e.ip.to_string(), "port": e.port})
}

/// `{"TLS 1.3": 5, "TLS 1.2": 1}`, highest first; unnegotiated left out.
fn mix(m: &VersionMix) -> Value {
    let mut obj = Map::new();
    for (v, n) in Summary::mix_sorted(m) {
        if let Some(v) = v {
            obj.insert(v.to_string(), n.into());
        }
    }
    Value::Object(obj)
}

fn unknown(m: &VersionMix) -> u64 {
    m.get(&None).copied().unwrap_or(0)
}

fn usage(k: &LegacyKey, seen: &Seen) -> Value {
    json!({
        "client": k.client.to_string(),
        "server": endpoint(&k.server),
        "sni": k.sni,
        "version": k.version.map(|v| v.to_string()),
        "max_offered": k.max_offered.map(|v| v.to_string()),
        "cipher": k.cipher.map(|c| c.to_string()),
        "connections": seen.count,
        "first_seen": seen.first.to_string(),
        "last_seen": seen.last.to_string(),
    })
}

/// One fallback retry, in the shape the issue fixes:
/// `{ts, client, server:{ip,port}, sni, from_version, failure, to_version,
/// scsv, outcome, alert, version}`.
fn fallback(f: &Fallback) -> Value {
    let v = |x: Option<crate::tls::version::Version>| x.map(|v| v.to_string());
    json!({
        "ts": f.ts.to_string(),
        "client": f.client.to_string(),
        "server": endpoint(&f.server),
        "sni": f.sni,
        "from_version": v(f.from_version),
        "failure": f.failure.map(|x| x.label()),
        "to_version": v(f.to_version),
        "scsv": f.scsv,
        "outcome": f.outcome.as_str(),
        "alert": f.alert.map(crate::tls::alert::description_label),
        "version": v(f.version),
    })
}

pub fn render<'a>(run: &Run<'a>) -> Doc<'a> {
    let s = run.summary;
    let c = run.capture;
    let files: Vec<Value> = c
        .files
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "format": f.format,
                "link_types": f.link_types.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
                "snaplen": f.snaplen,
                "packets": f.packets,
                "bytes": f.bytes,
                "first_ts": ts(f.first_ts),
                "last_ts": ts(f.last_ts),
                "damage": f.damage,
                "error": f.error,
            })
        })
        .collect();
    let mut skipped = Map::new();
    for (reason, n) in &c.skipped {
        skipped.insert(reason.to_string(), (*n).into());
    }
    if c.no_interface > 0 {
        skipped.insert("no interface description".into(), c.no_interface.into());
    }
    let capture = json!({
        "files": files,
        "packets": c.packets,
        "bytes": c.bytes,
        "first_ts": ts(c.first_ts),
        "last_ts": ts(c.last_ts),
        "skipped": skipped,
        "tcp_segments": c.tcp,
        "handshake_segments": c.handshake,
        "after_handshake_segments": c.after_handshake,
        "untracked_segments": c.untracked,
        "cut_packets": c.cut_packets,
        "flows": c.flows.created,
        "max_flows": c.max_flows,
        "evicted_flows": c.flows.evicted,
        "evicted_in_handshake": c.evicted_handshakes,
        "oversized_hellos": c.oversized_hellos,
        "unreadable_hellos": c.unreadable_hellos,
        "unfinished_hellos": c.unfinished_hellos,
        "records_out_of_order": c.released_late,
        "interfaces": c.interfaces.iter().map(|i| json!({
            "name": i.name,
            "link_type": i.link_type.map(|l| l.to_string()),
            "received": i.received,
            "dropped_by_kernel": i.dropped,
            "dropped_by_interface": i.if_dropped,
        })).collect::<Vec<_>>(),
        "expired_flows": c.flows.expired,
    });
    let mut outcomes = Map::new();
    for o in crate::analysis::record::Outcome::ALL {
        outcomes.insert(
            o.as_str().into(),
            s.totals.outcomes.get(&o).copied().unwrap_or(0).into(),
        );
    }
    let clients = stream(s.clients.iter().map(|(ip, cs)| {
        json!({
            "ip": ip.to_string(),
            "connections": cs.seen.count,
            "versions": mix(&cs.versions),
            "not_negotiated": unknown(&cs.versions),
            "max_offered": mix(&cs.max_offered),
            "offers_3des": cs.offers_3des,
            "uses_3des": cs.uses_3des,
            "legacy": cs.legacy,
            "failed": cs.failed,
            "fallback_scsv": cs.fallback_scsv,
            "fallbacks": cs.fallbacks,
            "first_seen": cs.seen.first.to_string(),
            "last_seen": cs.seen.last.to_string(),
        })
    }));
    let servers = stream(s.servers.iter().map(|(ep, ss)| {
        json!({
            "ip": ep.ip.to_string(),
            "port": ep.port,
            "connections": ss.seen.count,
            "versions": mix(&ss.versions),
            "not_negotiated": unknown(&ss.versions),
            "uses_3des": ss.uses_3des,
            "failed": ss.failed,
            "snis": ss.snis.keys().collect::<Vec<_>>(),
            "first_seen": ss.seen.first.to_string(),
            "last_seen": ss.seen.last.to_string(),
        })
    }));
    let ciphers: Vec<Value> = s
        .ciphers_sorted()
        .into_iter()
        .map(|(cs, n)| {
            json!({
                "name": cs.to_string(),
                "connections": n,
                "classes": cs.classes().labels().collect::<Vec<_>>(),
            })
        })
        .collect();
    let legacy = stream(s.legacy.iter().map(|(k, v)| usage(k, v)));
    let failures = stream(s.failures.iter().map(|(k, seen)| {
        json!({
            "client": k.client.to_string(),
            "server": endpoint(&k.server),
            "sni": k.sni,
            "outcome": k.outcome.as_str(),
            "max_offered": k.max_offered.map(|v| v.to_string()),
            "reason": k.reason.to_string(),
            "connections": seen.count,
            "first_seen": seen.first.to_string(),
            "last_seen": seen.last.to_string(),
        })
    }));
    let mut latency = Map::new();
    for (v, h) in s.totals.latency.by_version.iter().rev() {
        let ms = |micros: u64| (micros as f64 / 1_000.0 * 1_000.0).round() / 1_000.0;
        latency.insert(
            v.to_string(),
            json!({
                "count": h.len(),
                "p50": ms(h.value_at_quantile(0.5)),
                "p90": ms(h.value_at_quantile(0.9)),
                "p99": ms(h.value_at_quantile(0.99)),
                "max": ms(h.max()),
            }),
        );
    }
    let t = &s.totals;
    Doc {
        capture,
        connections: t.connections,
        outcomes: Value::Object(outcomes),
        versions: mix(&t.versions),
        not_negotiated: unknown(&t.versions),
        max_offered: mix(&t.max_offered),
        totals: json!({
            "client_hello_messages": t.client_hellos,
            "legacy_connections": t.legacy,
            "offers_3des": t.offers_3des,
            "uses_3des": t.uses_3des,
            "fallback_scsv": t.fallback_scsv,
            "hello_retry_requests": t.hello_retries,
            "resumed": t.resumed,
            "sslv2_format_hellos": t.sslv2_hellos,
            "partial_hellos": t.partial_hellos,
            "cut_by_snaplen": t.cut_by_snaplen,
            "downgrade_sentinels": t.downgrade_sentinels,
            "unlisted": unlisted(&s.unlisted),
        }),
        clients,
        servers,
        ciphers: Value::Array(ciphers),
        legacy,
        failures,
        policy: s.min_version.map(|min| Policy {
            min_version: min.to_string(),
            connections_below: t.below_min,
            clients_below: s.below_min_clients(),
            violations: stream(s.below_min.iter().map(|(k, v)| usage(k, v))),
        }),
        latency_ms: Value::Object(latency),
        fallbacks: stream(s.fallbacks.iter().map(fallback)),
        warnings: run.warnings,
    }
}

/// What full tables (--max-rows) could not list; every total counts it.
fn unlisted(u: &Unlisted) -> Value {
    json!({
        "clients": u.clients,
        "servers": u.servers,
        "legacy": u.legacy,
        "failures": u.failures,
        "policy_violations": u.below_min,
        "fallbacks": u.fallbacks,
        "fallback_pairs": u.fallback_pairs,
    })
}

/// A JSON array serialized element by element as it is written, so that a
/// summary with a million clients never exists as one value tree.
pub struct Stream<'a>(RefCell<Option<Box<dyn Iterator<Item = Value> + 'a>>>);

fn stream<'a>(it: impl Iterator<Item = Value> + 'a) -> Stream<'a> {
    Stream(RefCell::new(Some(Box::new(it))))
}

impl Serialize for Stream<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let it = self.0.borrow_mut().take();
        s.collect_seq(it.into_iter().flatten())
    }
}

#[derive(Serialize)]
pub struct Policy<'a> {
    min_version: String,
    connections_below: u64,
    clients_below: usize,
    violations: Stream<'a>,
}

/// The summary document, in its field order.
#[derive(Serialize)]
pub struct Doc<'a> {
    capture: Value,
    connections: u64,
    outcomes: Value,
    versions: Value,
    not_negotiated: u64,
    max_offered: Value,
    totals: Value,
    clients: Stream<'a>,
    servers: Stream<'a>,
    ciphers: Value,
    legacy: Stream<'a>,
    failures: Stream<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<Policy<'a>>,
    latency_ms: Value,
    fallbacks: Stream<'a>,
    warnings: &'a [String],
}

impl<W: Write> Report for SummaryJson<W> {
    fn finish(&mut self, run: &Run<'_>) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, &render(run))?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
