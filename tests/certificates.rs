//! Server certificates: the leaf's facts and findings at capture time on
//! real OpenSSL handshakes (fixtures/cert-*.pcap, certificates made by
//! fixtures/gen/certs.py; each fact checked once with tshark's x509 fields
//! and s_client's verify errors, see fixtures/README.md), the
//! Certificates section, a chain longer than the per-direction byte cap,
//! and hostile names inside a real certificate through every format.
//! (Every field against tshark, on every capture: tests/cert_check.py.)

use serde_json::Value;

use crate::util::{Rec, fixture, jsonl, pcap_bytes, read_pcap, stderr, stdout, tempdir, tlssniff};

fn records(name: &str) -> Vec<Value> {
    jsonl(&tlssniff([
        "--format",
        "jsonl",
        fixture(name).to_str().unwrap(),
    ]))
}

fn summary(args: &[&str], name: &str) -> Value {
    let path = fixture(name);
    let mut all = vec!["--format", "summary-json"];
    all.extend_from_slice(args);
    all.push(path.to_str().unwrap());
    serde_json::from_str(&stdout(&tlssniff(&all))).unwrap()
}

/// (SNI, findings) of each connection that showed a certificate.
fn findings(recs: &[Value]) -> Vec<(String, Vec<String>)> {
    recs.iter()
        .filter(|r| r["certificate"].is_object())
        .map(|r| {
            let sni = r["client_hello"]["sni"].as_str().unwrap_or("-").to_owned();
            let f = r["certificate"]["findings"].as_array().unwrap();
            (
                sni,
                f.iter().map(|v| v.as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect()
}

fn expect(rows: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    rows.iter()
        .map(|(sni, f)| (sni.to_string(), f.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn validity_is_judged_at_capture_time() {
    let recs = records("cert-validity.pcap");
    assert_eq!(
        findings(&recs),
        expect(&[
            ("expired.fixtures.test", &["expired"]),
            ("future.fixtures.test", &["not_yet_valid"]),
            // Valid ten more days at capture time.
            ("soon.fixtures.test", &["expires_soon"]),
        ])
    );
    let c = &recs[0]["certificate"];
    assert_eq!(c["serial"], "1001");
    assert_eq!(c["not_before"], "2020-01-01T00:00:00Z");
    assert_eq!(c["not_after"], "2021-01-01T00:00:00Z");
    assert_eq!(c["chain_length"], 2);
    assert_eq!(c["issuer_cn"], "tlssniff fixtures test CA");
    assert_eq!(recs[1]["certificate"]["key_type"], "EC");
    assert_eq!(recs[1]["certificate"]["key_curve"], "prime256v1");
}

#[test]
fn self_signed_sha1_and_small_keys_are_findings() {
    let recs = records("cert-weak.pcap");
    assert_eq!(
        findings(&recs),
        expect(&[
            ("selfsigned.fixtures.test", &["self_signed"]),
            ("sha1.fixtures.test", &["weak_signature"]),
            ("rsa1024.fixtures.test", &["weak_key"]),
            ("ec384.fixtures.test", &[]),
        ])
    );
    assert_eq!(recs[0]["certificate"]["chain_length"], 1);
    assert_eq!(recs[0]["certificate"]["self_signed"], true);
    assert_eq!(
        recs[1]["certificate"]["signature_algorithm"],
        "sha1WithRSAEncryption"
    );
    assert_eq!(recs[2]["certificate"]["key_bits"], 1024);
    assert_eq!(recs[3]["certificate"]["key_bits"], 384);
}

#[test]
fn names_are_matched_as_rfc_6125_says() {
    let recs = records("cert-names.pcap");
    assert_eq!(
        findings(&recs),
        expect(&[
            ("exact.fixtures.test", &[]),
            ("a.wild.fixtures.test", &[]),
            // A wildcard covers one label, and not the bare parent.
            ("a.b.wild.fixtures.test", &["name_mismatch"]),
            ("wild.fixtures.test", &["name_mismatch"]),
            ("other.example", &["name_mismatch"]),
            ("EXACT.Fixtures.Test", &[]),
            // No SNI: nothing to match.
            ("-", &[]),
        ])
    );
    // TLS 1.3 encrypts the certificate: nothing to read.
    let last = recs.last().unwrap();
    assert_eq!(last["version"], "TLS 1.3");
    assert!(last["certificate"].is_null());
}

#[test]
fn one_row_per_server_and_leaf_with_its_findings() {
    let s = summary(&[], "cert-names.pcap");
    let certs = &s["certificates"];
    assert_eq!(certs["connections"], 7);
    let rows = certs["certificates"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{certs}");
    let row = &rows[0];
    assert_eq!(row["connections"], 7);
    assert_eq!(row["serial"], "1007");
    assert_eq!(row["findings"]["name_mismatch"], 3);
    let snis: Vec<&str> = row["mismatched_snis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(
        snis,
        [
            "a.b.wild.fixtures.test",
            "other.example",
            "wild.fixtures.test"
        ]
    );
    assert_eq!(certs["findings"]["name_mismatch"], 3);
    assert_eq!(s["servers"][0]["certificate_findings"][0], "name_mismatch");

    // The table: the section, and which names did not match.
    let path = fixture("cert-weak.pcap");
    let table = stdout(&tlssniff(["--color", "never", path.to_str().unwrap()]));
    let section = table
        .split("\nCertificates")
        .nth(1)
        .expect("a Certificates section")
        .split("\n\n")
        .next()
        .unwrap();
    assert!(
        section.contains("4 distinct per server, 3 with findings"),
        "{section}"
    );
    for (cn, finding) in [
        ("selfsigned.fixtures.test", "self-signed"),
        ("sha1.fixtures.test", "MD5/SHA-1 signature"),
        ("rsa1024.fixtures.test", "small key"),
    ] {
        let line = section.lines().find(|l| l.contains(cn)).unwrap();
        assert!(line.ends_with(finding), "{line}");
    }
    // Rows with findings come first.
    assert!(
        section
            .lines()
            .last()
            .unwrap()
            .contains("ec384.fixtures.test")
    );
    // The readiness header counts the servers with findings; the servers
    // table says which, and `ok` for the one without.
    let servers = table.lines().find(|l| l.starts_with("  Servers:")).unwrap();
    assert!(
        servers.ends_with(
            "3 with certificate findings (self-signed 1, MD5/SHA-1 signature 1, small key 1)"
        ),
        "{servers}"
    );
    let ec = table
        .lines()
        .find(|l| l.starts_with("  10.66.50.1:10443") && l.contains("TLS 1.2"))
        .unwrap();
    assert!(ec.ends_with("ok"), "{ec}");
    let s = summary(&[], "cert-weak.pcap");
    assert_eq!(s["readiness"]["servers_with_certificate_findings"], 3);
    assert_eq!(s["readiness"]["certificate_findings"]["weak_key"], 1);
}

/// The chain of fixtures/cert-big-chain.pcap is longer than the 64 KiB
/// a direction is otherwise read for: it is read to its end under
/// --max-certificate-bytes, and skipped, with a warning, under a cap it
/// exceeds.
#[test]
fn a_chain_longer_than_the_byte_cap_is_read_under_its_own_cap() {
    let recs = records("cert-big-chain.pcap");
    let read: Vec<&Value> = recs
        .iter()
        .filter(|r| r["certificate"]["serial"] == "1009")
        .collect();
    assert!(!read.is_empty(), "{recs:?}");
    for r in &read {
        assert!(r["certificate"]["chain_length"].as_u64() > Some(20), "{r}");
    }
    // What follows the chain in the server's flight was read too.
    assert!(
        recs.iter().any(|r| r["outcome"] == "established"),
        "{recs:?}"
    );
    let path = fixture("cert-big-chain.pcap");
    let out = tlssniff([
        "--format",
        "jsonl",
        "--max-certificate-bytes",
        "100000",
        path.to_str().unwrap(),
    ]);
    let capped = jsonl(&out);
    assert!(
        capped
            .iter()
            .any(|r| r["certificate"]["unreadable"] == "too_long"),
        "{capped:?}"
    );
    assert!(
        stderr(&out).contains("--max-certificate-bytes is 100000"),
        "{}",
        stderr(&out)
    );
}

/// A connection that ends in the middle of the server's chain (the client
/// gave up, or the capture stopped): the leaf that did arrive is read, the
/// chain marked partial.
#[test]
fn a_chain_cut_by_the_end_of_the_capture_still_shows_its_leaf() {
    let (link, recs, _) = read_pcap(&fixture("cert-big-chain.pcap"));
    let dir = tempdir("cert-cut-chain");
    let path = dir.join("cut.pcap");
    // The ClientHello, the server's first 100 frames of its flight: about
    // 140 KB of the 347 KB message.
    std::fs::write(&path, pcap_bytes(link, &recs[..110])).unwrap();
    let recs = jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
    let c = &recs[0]["certificate"];
    assert_eq!(c["partial"], true, "{c}");
    assert_eq!(c["serial"], "1009", "{c}");
    let n = c["chain_length"].as_u64().unwrap();
    assert!(n > 2 && n < 38, "{c}");
    assert_ne!(recs[0]["outcome"], "established");
}

/// A name no real CA would sign, of the length of `exact.fixtures.test`
/// (so the certificate's DER keeps its lengths): a spreadsheet formula,
/// a screen clear and a bell.
const HOSTILE: &[u8; 19] = b"=cmd|'/C'\x1b[2J\x07evil!";

/// fixtures/cert-names.pcap with the server's certificate names (subject
/// CN and SAN) replaced by [`HOSTILE`]; the client's SNI stays.
fn hostile_certificate_capture(dir: &std::path::Path) -> std::path::PathBuf {
    let (link, mut recs, _) = read_pcap(&fixture("cert-names.pcap"));
    let needle = b"exact.fixtures.test";
    for r in &mut recs {
        let from_server = etherparse::SlicedPacket::from_ethernet(&r.data)
            .ok()
            .and_then(|p| match p.transport {
                Some(etherparse::TransportSlice::Tcp(t)) => Some(t.source_port() == 443),
                _ => None,
            })
            .unwrap_or(false);
        if !from_server {
            continue;
        }
        let mut at = 0;
        while let Some(i) = r.data[at..].windows(needle.len()).position(|w| w == needle) {
            r.data[at + i..at + i + needle.len()].copy_from_slice(HOSTILE);
            at += i + needle.len();
        }
    }
    let path = dir.join("hostile-certificate.pcap");
    let recs: Vec<Rec> = recs;
    std::fs::write(&path, pcap_bytes(link, &recs)).unwrap();
    path
}

#[test]
fn hostile_names_in_a_certificate_are_data_in_every_format() {
    let dir = tempdir("hostile-certificate");
    let path = hostile_certificate_capture(&dir);
    let p = path.to_str().unwrap();
    let hostile = std::str::from_utf8(HOSTILE).unwrap();

    let recs = jsonl(&tlssniff(["--format", "jsonl", p]));
    let c = &recs[0]["certificate"];
    assert_eq!(c["subject_cn"], hostile, "{c}");
    assert_eq!(c["san_dns"][0], hostile, "{c}");
    // Not the name asked for any more.
    assert_eq!(c["findings"][0], "name_mismatch", "{c}");

    // The table and the JSON formats: no control character comes out.
    for args in [
        &["--color", "never", "--top", "0"][..],
        &["--format", "jsonl"],
        &["--format", "summary-json"],
    ] {
        let mut all = args.to_vec();
        all.push(p);
        let out = tlssniff(&all);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains(['\x1b', '\x07']),
            "{args:?}: a control character from the certificate reached the output"
        );
    }
    // CSV keeps the name exactly, as it does an SNI (it is data for a
    // program), behind the formula guard.
    let out = tlssniff(["--format", "csv", p]);
    let mut rd = csv::Reader::from_reader(out.stdout.as_slice());
    let header = rd.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "cert_subject_cn").unwrap();
    let row = rd.records().next().unwrap().unwrap();
    assert_eq!(&row[col], format!("'{hostile}"));
    for cell in &row {
        assert!(!cell.starts_with('='), "formula cell {cell:?}");
    }
}
