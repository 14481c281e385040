//! SQL Server: TLS inside TDS on the real TDS fixtures (fixtures/make.sh,
//! cases tds_*: FreeTDS, pymssql, python-tds and mssql-python against the
//! fixture TDS server), and hostile variants of them.

use serde_json::Value;

use crate::util::{Rec, fixture, jsonl, pcap_bytes, read_pcap, stderr, stdout, tempdir, tlssniff};

fn records(name: &str) -> Vec<Value> {
    let out = tlssniff(["--format", "jsonl", fixture(name).to_str().unwrap()]);
    assert!(out.status.success(), "{name}: {}", stderr(&out));
    let recs = jsonl(&out);
    assert!(!recs.is_empty(), "{name}: no records");
    recs
}

fn summary(name: &str) -> Value {
    let out = tlssniff(["--format", "summary-json", fixture(name).to_str().unwrap()]);
    serde_json::from_str(&stdout(&out)).expect("summary-json")
}

fn str_of<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

#[test]
fn tls_inside_tds_gives_the_versions_of_every_stack() {
    let recs = records("tds-tls-versions.pcap");
    let mut versions: Vec<&str> = recs
        .iter()
        .filter_map(|r| str_of(r, &["version"]))
        .collect();
    versions.sort();
    versions.dedup();
    assert_eq!(versions, ["TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"]);
    for r in &recs {
        assert_eq!(str_of(r, &["app"]), Some("tds"), "{r}");
        assert_eq!(r["tds"]["tls_in_tds"], true, "{r}");
        assert_eq!(str_of(r, &["outcome"]), Some("established"), "{r}");
        assert_eq!(str_of(r, &["tds", "login"]), Some("encrypted"), "{r}");
        assert_eq!(str_of(r, &["tds", "server_encryption"]), Some("on"), "{r}");
    }
}

#[test]
fn a_client_hello_over_several_tds_packets_and_segments_is_read_whole() {
    for r in records("tds-split.pcap") {
        let ch = &r["client_hello"];
        assert_eq!(ch["partial"], false, "{r}");
        assert!(ch["cipher_suites"].as_array().unwrap().len() > 10, "{r}");
        assert_eq!(str_of(&r, &["outcome"]), Some("established"), "{r}");
        assert!(r["tds"]["desync"].is_null(), "{r}");
    }
}

#[test]
fn an_alert_inside_a_later_tds_packet_is_seen() {
    // The client refuses the server's certificate with a fatal alert that
    // travels inside a PRELOGIN packet after the ServerHello.
    let recs = records("tds-cert-rejected.pcap");
    let refused: Vec<&Value> = recs
        .iter()
        .filter(|r| {
            r["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["from"] == "client" && a["level"] == "fatal")
        })
        .collect();
    assert!(!refused.is_empty(), "no client alert in {recs:?}");
    for r in refused {
        assert_eq!(str_of(r, &["outcome"]), Some("rejected"), "{r}");
    }
    for r in &recs {
        assert_ne!(str_of(r, &["outcome"]), Some("established"), "{r}");
    }
}

#[test]
fn a_cleartext_login_is_a_record_and_a_finding() {
    let recs = records("tds-login-clear.pcap");
    for r in &recs {
        assert_eq!(str_of(r, &["outcome"]), Some("unencrypted"), "{r}");
        assert!(r["client_hello"].is_null());
        assert_eq!(str_of(r, &["tds", "login"]), Some("clear"), "{r}");
        assert_eq!(str_of(r, &["tds", "encryption"]), Some("none"), "{r}");
        assert!(
            str_of(r, &["tds", "tds_version"]).is_some_and(|v| v.starts_with('7')),
            "{r}"
        );
    }
    let s = summary("tds-login-clear.pcap");
    let servers = s["sql_servers"].as_array().expect("sql_servers");
    let clear: u64 = servers
        .iter()
        .map(|s| s["cleartext_logins"].as_u64().unwrap())
        .sum();
    assert_eq!(clear, recs.len() as u64);
    assert!(servers.iter().any(|s| {
        s["symptoms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|y| y["symptom_key"] == "cleartext_login")
    }));
}

#[test]
fn login_only_encryption_is_named() {
    for r in records("tds-login-only.pcap") {
        assert_eq!(
            str_of(&r, &["tds", "encryption"]),
            Some("login_only"),
            "{r}"
        );
        assert_eq!(str_of(&r, &["outcome"]), Some("established"), "{r}");
    }
}

fn symptoms(name: &str) -> Vec<String> {
    summary(name)["sql_servers"]
        .as_array()
        .expect("sql_servers")
        .iter()
        .flat_map(|s| s["symptoms"].as_array().unwrap().clone())
        .map(|y| y["symptom_key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_version_refused_inside_tds_names_the_minimal_tls_version() {
    for r in records("tds-min-tls12-reject.pcap") {
        assert_eq!(str_of(&r, &["outcome"]), Some("rejected"), "{r}");
        assert_eq!(r["alerts"][0]["description"], "protocol_version", "{r}");
    }
    assert!(symptoms("tds-min-tls12-reject.pcap").contains(&"below_minimal_tls_version".into()));
    let table = stdout(&tlssniff([fixture("tds-min-tls12-reject.pcap")]));
    assert!(table.contains("SQL Server (TDS)"), "{table}");
    assert!(table.contains("Minimal TLS Version"), "{table}");
    assert!(table.contains("18456 state 171"), "{table}");
}

#[test]
fn a_legacy_session_that_ends_after_the_login_is_flagged() {
    let recs = records("tds-login-failed.pcap");
    assert!(recs.iter().all(|r| r["version"] == "TLS 1.0"), "{recs:?}");
    assert!(symptoms("tds-login-failed.pcap").contains(&"closed_after_legacy_login".into()));
}

#[test]
fn tds_8_strict_is_recognised_by_its_alpn() {
    for r in records("tds-strict.pcap") {
        assert_eq!(str_of(&r, &["app"]), Some("tds"), "{r}");
        assert_eq!(r["tds"]["strict"], true, "{r}");
        assert_eq!(r["tds"]["tls_in_tds"], false, "{r}");
        assert_eq!(str_of(&r, &["tds", "encryption"]), Some("full"), "{r}");
    }
}

#[test]
fn tds_is_found_on_a_dynamic_port() {
    let recs = records("tds-named-instance.pcap");
    let dynamic: Vec<&Value> = recs
        .iter()
        .filter(|r| r["server"]["port"] != 1433)
        .collect();
    assert!(!dynamic.is_empty());
    for r in dynamic {
        assert_eq!(str_of(r, &["app"]), Some("tds"), "{r}");
        assert_eq!(str_of(r, &["outcome"]), Some("established"), "{r}");
    }
}

#[test]
fn without_tds_there_is_no_sql_server_section() {
    let s = summary("tls12.pcap");
    assert!(s.get("sql_servers").is_none());
    let table = stdout(&tlssniff([fixture("tls12.pcap")]));
    assert!(!table.contains("SQL Server"));
    for r in records("tls12.pcap") {
        assert!(r["app"].is_null() && r.get("tds").is_none(), "{r}");
    }
}

/// Where a frame's TCP payload starts (Ethernet, IPv4, TCP).
fn payload_at(frame: &[u8]) -> Option<usize> {
    let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
    let doff = usize::from(frame.get(14 + ihl + 12)? >> 4) * 4;
    Some(14 + ihl + doff)
}

/// The fixture with the first client TDS packet that carries TLS (a
/// PRELOGIN packet whose payload starts with a handshake record) changed
/// by `f`, which gets the packet's bytes from its header on.
fn with_first_tls_packet(name: &str, f: impl Fn(&mut [u8])) -> (Vec<u8>, u32) {
    let (lt, mut recs, _) = read_pcap(&fixture(name));
    let rec: &mut Rec = recs
        .iter_mut()
        .find(|r| {
            payload_at(&r.data)
                .and_then(|at| r.data.get(at..at + 9))
                .is_some_and(|p| p[0] == 0x12 && p[8] == 0x16)
        })
        .expect("a PRELOGIN packet carrying TLS");
    let at = payload_at(&rec.data).unwrap();
    f(&mut rec.data[at..]);
    (pcap_bytes(lt, &recs), lt)
}

#[test]
fn bad_tds_headers_mid_handshake_are_a_counted_desync_and_lose_nothing_else() {
    let dir = tempdir("tds-hostile");
    let name = "tds-tls-versions.pcap";
    let whole = records(name);
    type Mutation = fn(&mut [u8]);
    let cases: [(&str, Mutation); 3] = [
        ("bad type", |p| p[0] = 0x99),
        ("length 0", |p| p[2..4].copy_from_slice(&[0, 0])),
        ("length 7", |p| p[2..4].copy_from_slice(&[0, 7])),
    ];
    for (what, f) in cases {
        let (bytes, _) = with_first_tls_packet(name, f);
        let path = dir.join("hostile.pcap");
        std::fs::write(&path, bytes).unwrap();
        let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        let recs = jsonl(&out);
        assert_eq!(recs.len(), whole.len(), "{what}");
        let hit = &recs[0];
        assert_eq!(
            str_of(hit, &["tds", "desync"]),
            Some("bad_tds_header"),
            "{what}: {hit}"
        );
        assert_ne!(
            str_of(hit, &["outcome"]),
            Some("established"),
            "{what}: {hit}"
        );
        assert_eq!(
            recs[1..],
            whole[1..],
            "{what}: the other connections changed"
        );
        assert!(
            stderr(&out).contains(
                "SQL Server (TDS) connections had bytes that are not a TDS packet header"
            ),
            "{what}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_tds_packet_longer_than_its_stream_does_not_make_up_a_handshake() {
    let dir = tempdir("tds-long");
    let name = "tds-tls-versions.pcap";
    let whole = records(name);
    let (bytes, _) = with_first_tls_packet(name, |p| p[2..4].copy_from_slice(&[0xff, 0xff]));
    let path = dir.join("long.pcap");
    std::fs::write(&path, bytes).unwrap();
    let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = jsonl(&out);
    // The ClientHello is read; the client's later TDS headers are taken as
    // TLS bytes, which stops its direction: the handshake is not complete.
    assert_eq!(recs[0]["client_hello"], whole[0]["client_hello"]);
    assert_eq!(
        str_of(&recs[0], &["outcome"]),
        Some("incomplete"),
        "{}",
        recs[0]
    );
    assert_eq!(recs[1..], whole[1..]);
}

#[test]
fn a_reset_after_a_dhe_key_exchange_names_the_leading_zero_problem() {
    let recs = records("tds-dhe-reset.pcap");
    let dhe: Vec<&Value> = recs
        .iter()
        .filter(|r| str_of(r, &["cipher"]).is_some_and(|c| c.starts_with("TLS_DHE_")))
        .collect();
    assert_eq!(dhe.len(), 2, "{recs:?}");
    for r in dhe {
        assert_eq!(str_of(r, &["outcome"]), Some("aborted"), "{r}");
        assert_eq!(str_of(r, &["reset_by"]), Some("server"), "{r}");
    }
    assert_eq!(symptoms("tds-dhe-reset.pcap"), ["reset_after_dhe"]);
    let table = stdout(&tlssniff([fixture("tds-dhe-reset.pcap")]));
    assert!(table.contains("TLS_DHE leading-zero problem"), "{table}");
}

#[test]
fn a_prelogin_exchange_without_a_handshake_says_so() {
    // The first connection of a fixture, up to its ClientHello (not
    // included): PRELOGIN and the server's answer, then the capture ends.
    let dir = tempdir("tds-prelogin-only");
    let (lt, recs, _) = read_pcap(&fixture("tds-tls-versions.pcap"));
    let hello = recs
        .iter()
        .position(|r| {
            payload_at(&r.data)
                .and_then(|at| r.data.get(at..at + 9))
                .is_some_and(|p| p[0] == 0x12 && p[8] == 0x16)
        })
        .expect("a ClientHello in TDS");
    let path = dir.join("prelogin-only.pcap");
    std::fs::write(&path, pcap_bytes(lt, &recs[..hello])).unwrap();
    let recs = jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert_eq!(str_of(r, &["app"]), Some("tds"), "{r}");
    assert_eq!(str_of(r, &["outcome"]), Some("incomplete"), "{r}");
    assert_eq!(
        str_of(r, &["reason"]),
        Some("incomplete: a SQL Server PRELOGIN exchange, then no TLS handshake"),
        "{r}"
    );
}
