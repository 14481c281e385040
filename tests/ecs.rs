//! `--format ecs` against the Elastic Common Schema's own field definitions
//! (`tests/ecs/ecs_flat.yml`, ECS 9.4.0, vendored; see tests/ecs/README.md):
//! every field of every fixture's documents outside `tlssniff.*` exists in
//! ECS, has ECS's type, is a list where ECS normalizes to one, and uses only
//! ECS's allowed values; the documents say what the jsonl records say.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

use crate::util::{fixture, jsonl, root, stderr, tlssniff};

/// One ECS field's definition: what the test checks.
#[derive(Debug)]
struct Field {
    kind: String,
    array: bool,
    ignore_above: Option<usize>,
    /// `allowed_values` names, with each one's `expected_event_types`.
    allowed: Option<BTreeMap<String, Vec<String>>>,
}

fn schema() -> BTreeMap<String, Field> {
    let text = std::fs::read_to_string(root().join("tests/ecs/ecs_flat.yml")).expect("ecs_flat");
    let docs = YamlLoader::load_from_str(&text).expect("ecs_flat.yml parses");
    let Yaml::Hash(fields) = &docs[0] else {
        panic!("ecs_flat.yml is not a map");
    };
    let strings = |y: &Yaml| -> Vec<String> {
        y.as_vec()
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    fields
        .iter()
        .map(|(name, def)| {
            let name = name.as_str().expect("field name").to_string();
            let allowed = def["allowed_values"].as_vec().map(|values| {
                values
                    .iter()
                    .map(|v| {
                        (
                            v["name"].as_str().expect("allowed value name").to_string(),
                            strings(&v["expected_event_types"]),
                        )
                    })
                    .collect()
            });
            let field = Field {
                kind: def["type"].as_str().expect("type").to_string(),
                array: strings(&def["normalize"]).iter().any(|n| n == "array"),
                ignore_above: def["ignore_above"].as_i64().map(|n| n as usize),
                allowed,
            };
            (name, field)
        })
        .collect()
}

/// The document's leaves as (dotted name, value); `tlssniff` is left out.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if prefix.is_empty() && k == "tlssniff" {
                    continue;
                }
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&name, v, out);
            }
        }
        _ => out.push((prefix.to_string(), v.clone())),
    }
}

fn is_date(s: &str) -> bool {
    // RFC 3339 in UTC, as tlssniff writes it: 2026-11-22T01:51:34.143638Z.
    let b = s.as_bytes();
    b.len() >= 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.' || *c == b'Z',
            _ if i == b.len() - 1 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// What is wrong with `value` as ECS field `name` (none: it is right).
fn check_scalar(name: &str, f: &Field, v: &Value) -> Option<String> {
    let ok = match f.kind.as_str() {
        "keyword" | "wildcard" | "match_only_text" | "constant_keyword" | "text" => {
            v.as_str().is_some_and(|s| {
                f.ignore_above.is_none_or(|n| s.chars().count() <= n)
                    && f.allowed.as_ref().is_none_or(|a| a.contains_key(s))
            })
        }
        "long" => v.is_i64() || v.is_u64(),
        "integer" => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        "float" | "double" | "scaled_float" => v.is_number(),
        "boolean" => v.is_boolean(),
        "date" => v.as_str().is_some_and(is_date),
        "ip" => v.as_str().is_some_and(|s| s.parse::<IpAddr>().is_ok()),
        other => return Some(format!("{name}: tlssniff writes no {other} fields")),
    };
    (!ok).then(|| format!("{name}: {v} is not a valid ECS {}", f.kind))
}

/// Every problem of one document against the schema.
fn problems(doc: &Value, ecs: &BTreeMap<String, Field>) -> Vec<String> {
    let mut fields = Vec::new();
    leaves("", doc, &mut fields);
    let mut found = Vec::new();
    for (name, value) in &fields {
        let Some(f) = ecs.get(name) else {
            found.push(format!("{name}: not an ECS field"));
            continue;
        };
        match value {
            Value::Array(items) => {
                if !f.array {
                    found.push(format!("{name}: ECS does not make it a list"));
                }
                found.extend(items.iter().filter_map(|v| check_scalar(name, f, v)));
            }
            Value::Null => found.push(format!("{name}: null (leave the field out)")),
            v => {
                if f.array {
                    found.push(format!("{name}: ECS makes it a list"));
                }
                found.extend(check_scalar(name, f, v));
            }
        }
    }
    // event.type must be among the types ECS expects for event.category.
    let category = doc["event"]["category"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let types = doc["event"]["type"].as_array().cloned().unwrap_or_default();
    if let Some(allowed) = ecs.get("event.category").and_then(|f| f.allowed.as_ref()) {
        for c in category.iter().filter_map(Value::as_str) {
            let expected = allowed.get(c).cloned().unwrap_or_default();
            for t in types.iter().filter_map(Value::as_str) {
                if !expected.iter().any(|e| e == t) {
                    found.push(format!("event.type {t} is not expected for category {c}"));
                }
            }
        }
    }
    found
}

/// Every fixture capture and session archive.
fn inputs() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            [".pcap", ".pcapng", ".saz"].iter().any(|e| n.ends_with(e))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_fixture_document_validates_against_ecs() {
    let ecs = schema();
    assert!(ecs.len() > 1500, "{} ECS fields", ecs.len());
    assert!(!ecs.keys().any(|k| k.starts_with("tlssniff")));
    let mut used = BTreeSet::new();
    let mut failures = Vec::new();
    let mut documents = 0;
    for input in inputs() {
        let out = tlssniff(["--format".as_ref(), "ecs".as_ref(), input.as_os_str()]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        for doc in jsonl(&out) {
            documents += 1;
            let mut fields = Vec::new();
            leaves("", &doc, &mut fields);
            used.extend(fields.into_iter().map(|(n, _)| n));
            for p in problems(&doc, &ecs) {
                failures.push(format!("{}: {p}", input.display()));
            }
        }
    }
    failures.dedup();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(documents > 200, "{documents} documents");
    // The fields the mapping promises all occur somewhere in the fixtures.
    for name in [
        "@timestamp",
        "ecs.version",
        "event.kind",
        "event.category",
        "event.type",
        "event.dataset",
        "event.outcome",
        "event.duration",
        "event.reason",
        "source.ip",
        "destination.port",
        "network.transport",
        "network.protocol",
        "network.type",
        "network.community_id",
        "observer.name",
        "related.hosts",
        "tls.version",
        "tls.version_protocol",
        "tls.cipher",
        "tls.established",
        "tls.resumed",
        "tls.next_protocol",
        "tls.client.server_name",
        "tls.client.supported_ciphers",
        "tls.client.ja3",
        "tls.server.ja3s",
        "tls.server.hash.sha256",
        "tls.server.not_after",
        "tls.server.x509.subject.common_name",
        "tls.server.x509.issuer.distinguished_name",
        "tls.server.x509.alternative_names",
        "tls.server.x509.serial_number",
        "tls.server.x509.public_key_size",
        "tls.server.x509.public_key_curve",
    ] {
        assert!(used.contains(name), "no fixture document has {name}");
    }
}

#[test]
fn the_checker_refuses_what_ecs_refuses() {
    let ecs = schema();
    let bad = serde_json::json!({
        "@timestamp": "yesterday",
        "event": {"kind": "happening", "category": ["network"], "type": ["creation"]},
        "tls": {"version": 1.2, "established": "yes", "cipher": ["a"]},
        "source": {"ip": "10.0.0.300"},
        "observer": {"name": null},
        "tlsx": {"anything": 1}
    });
    let found = problems(&bad, &ecs).join("\n");
    for expected in [
        "@timestamp: \"yesterday\" is not a valid ECS date",
        "event.kind: \"happening\" is not a valid ECS keyword",
        "event.type creation is not expected for category network",
        "tls.version: 1.2 is not a valid ECS keyword",
        "tls.established: \"yes\" is not a valid ECS boolean",
        "tls.cipher: ECS does not make it a list",
        "source.ip: \"10.0.0.300\" is not a valid ECS ip",
        "observer.name: null",
        "tlsx.anything: not an ECS field",
    ] {
        assert!(
            found.contains(expected),
            "missing {expected:?} in:\n{found}"
        );
    }
}

#[test]
fn documents_say_what_the_records_say() {
    for name in [
        "demo.pcapng",
        "3des.pcap",
        "tds-freetds-tls13.pcap",
        "quic-v1.pcap",
        "cert-names.pcap",
    ] {
        let path = fixture(name);
        let args = |format: &str| {
            tlssniff([
                "--format".as_ref(),
                format.as_ref(),
                "--sensor".as_ref(),
                "s-1".as_ref(),
                path.as_os_str(),
            ])
        };
        let records = jsonl(&args("jsonl"));
        let docs = jsonl(&args("ecs"));
        assert_eq!(records.len(), docs.len(), "{name}");
        assert!(!records.is_empty(), "{name}");
        for (r, d) in records.iter().zip(&docs) {
            assert_eq!(d["@timestamp"], r["ts"], "{name}");
            assert_eq!(d["observer"]["name"], "s-1");
            assert_eq!(r["sensor"], "s-1");
            assert_eq!(d["source"]["ip"], r["client"]["ip"]);
            assert_eq!(d["destination"]["port"], r["server"]["port"]);
            assert_eq!(d["tlssniff"]["version"], r["version"]);
            // "TLS 1.2" is tls.version_protocol "tls" and tls.version "1.2".
            match r["version"].as_str().and_then(|v| v.split_once(' ')) {
                Some((p, n)) if !n.starts_with("0x") => {
                    assert_eq!(d["tls"]["version_protocol"], p.to_lowercase().as_str());
                    assert_eq!(d["tls"]["version"], n);
                }
                _ => assert!(d["tls"].get("version").is_none(), "{d}"),
            }
            assert_eq!(
                d["tls"].get("cipher"),
                r.get("cipher").filter(|c| !c.is_null())
            );
            assert_eq!(
                d["tls"]["established"],
                r["outcome"] == "established",
                "{name}"
            );
            assert_eq!(d["tlssniff"]["readiness"], r["readiness"]);
            assert_eq!(d["tlssniff"]["alerts"], r["alerts"]);
            assert_eq!(
                d["tls"]["client"]["supported_ciphers"],
                r["client_hello"]["cipher_suites"]
            );
        }
    }
}
