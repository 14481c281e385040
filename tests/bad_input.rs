//! Hostile and broken inputs: a clear message naming the file (and the byte
//! offset), the right exit status, and everything before the damage kept.

use std::io::Write;

use tlssniff::capture::file::{CaptureFile, DamageKind};

use crate::util::{
    Rec, fixture, jsonl, pcap_bytes, pcapng_block, pcapng_epb, pcapng_idb, pcapng_shb, read_pcap,
    stderr, stdout, tempdir, tlssniff,
};

fn records_of(path: &std::path::Path) -> Vec<serde_json::Value> {
    jsonl(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]))
}

#[test]
fn a_missing_file_is_named_and_the_others_are_still_analysed() {
    let dir = tempdir("missing");
    let missing = dir.join("nope.pcap");
    let good = fixture("tls12.pcap");
    let out = tlssniff([
        "--format",
        "jsonl",
        missing.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}: no such file", missing.display())),
        "{err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "one line per unreadable file: {err}"
    );
    assert_eq!(jsonl(&out).len(), records_of(&good).len());
}

#[test]
fn directories_text_and_empty_files_are_refused_with_a_reason() {
    let dir = tempdir("refused");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n").unwrap();
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let tiny = dir.join("tiny.pcap");
    std::fs::write(&tiny, b"\xd4\xc3").unwrap();
    let zip = dir.join("capture.zip");
    std::fs::write(&zip, b"PK\x03\x04rest-of-a-zip").unwrap();
    for (path, reason) in [
        (dir.to_path_buf(), "is a directory"),
        (
            text,
            "not a pcap or pcapng capture: starts with 47 45 54 20 (looks like text)",
        ),
        (empty, "empty file"),
        (tiny, "only 2 bytes"),
        (zip, "zip archive"),
    ] {
        let out = tlssniff([path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = stderr(&out);
        assert!(
            err.contains(path.to_str().unwrap()) && err.contains(reason),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        // The report is still printed.
        assert!(stdout(&out).contains("TLS connections: 0"));
    }
}

#[test]
fn truncation_mid_record_is_a_warning_with_the_offset() {
    let src = fixture("tls12.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let (_, recs, offsets) = read_pcap(&src);
    let dir = tempdir("truncated");
    let full = records_of(&src);
    for (i, &off) in offsets.iter().enumerate() {
        // At a record boundary: a clean, shorter capture.
        let cut = dir.join(format!("boundary-{i}.pcap"));
        std::fs::write(&cut, &bytes[..off]).unwrap();
        let out = tlssniff(["--format", "jsonl", cut.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0));
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        // Mid-record: the damage is named, earlier packets are analysed.
        let mid = off + 16 + recs[i].data.len() / 2;
        let cut = dir.join(format!("mid-{i}.pcap"));
        std::fs::write(&cut, &bytes[..mid]).unwrap();
        let out = tlssniff(["--format", "jsonl", cut.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0));
        let err = stderr(&out);
        assert!(
            err.contains(cut.to_str().unwrap())
                && err.contains(&format!("file ends inside a block at byte offset {off}"))
                && err.contains(&format!("the {i} packets before it were analysed")),
            "{err}"
        );
        assert!(jsonl(&out).len() <= full.len());
    }
    // Cut after the last handshake packet: all connections are still there.
    let last = *offsets.last().unwrap();
    let cut = dir.join("late.pcap");
    std::fs::write(&cut, &bytes[..last + 20]).unwrap();
    assert_eq!(records_of(&cut).len(), full.len());
}

#[test]
fn every_truncation_point_reads_without_panic() {
    let path = fixture("ch-two-segments.pcap");
    let bytes = std::fs::read(&path).unwrap();
    let total = read_pcap(&path).1.len();
    for cut in 0..bytes.len() {
        let data = bytes[..cut].to_vec();
        let Ok(mut f) =
            CaptureFile::from_reader("t".into(), Box::new(std::io::Cursor::new(data)), None)
        else {
            assert!(cut < 24, "header present at {cut}");
            continue;
        };
        let mut n = 0;
        loop {
            match f.next_packet() {
                Ok(Some(_)) => n += 1,
                Ok(None) => break,
                Err(d) => {
                    assert!(
                        d.offset <= cut as u64,
                        "offset {} beyond cut {cut}",
                        d.offset
                    );
                    assert!(matches!(d.kind, DamageKind::Truncated { .. }), "{d}");
                    break;
                }
            }
        }
        assert!(n <= total);
    }
}

#[test]
fn a_4_gib_record_length_stops_at_that_record() {
    let src = fixture("tls12.pcap");
    let mut bytes = std::fs::read(&src).unwrap();
    let (_, _, offsets) = read_pcap(&src);
    let k = offsets.len() - 2;
    let at = offsets[k] + 8;
    bytes[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let dir = tempdir("huge-length");
    let path = dir.join("huge.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "corrupt block at byte offset {}: length 4294967295",
            offsets[k]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("the {k} packets before it were analysed")),
        "{err}"
    );
}

#[test]
fn garbage_after_the_packets_is_reported_not_fatal() {
    let src = fixture("tls13.pcap");
    let mut bytes = std::fs::read(&src).unwrap();
    let len = bytes.len();
    bytes.extend((0..997u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let dir = tempdir("garbage");
    let path = dir.join("garbage.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains(&format!("byte offset {len}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(jsonl(&out), records_of(&src));
}

#[test]
fn a_truncated_gzip_keeps_what_decompressed() {
    let src = fixture("tls12.pcap");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&std::fs::read(&src).unwrap()).unwrap();
    let gz = enc.finish().unwrap();
    let dir = tempdir("gzip");
    let path = dir.join("cut.pcap.gz");
    std::fs::write(&path, &gz[..gz.len() * 2 / 3]).unwrap();
    let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("cut.pcap.gz") && err.contains("byte offset"),
        "{err}"
    );
}

#[test]
fn pcapng_unknown_blocks_bad_lengths_and_missing_interfaces() {
    let (lt, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let expected = records_of(&fixture("tls12.pcap"));
    let dir = tempdir("pcapng");

    // Unknown and vendor blocks between packets are skipped.
    let mut ng = pcapng_shb();
    ng.extend(pcapng_idb(lt as u16, 6));
    for (i, r) in recs.iter().enumerate() {
        if i % 3 == 0 {
            ng.extend(pcapng_block(0x8000_0bad, b"pktmon vendor data"));
        }
        ng.extend(pcapng_epb(0, r));
    }
    let path = dir.join("unknown-blocks.pcapng");
    std::fs::write(&path, &ng).unwrap();
    assert_eq!(records_of(&path), expected);

    // A block length that is not a multiple of 4.
    let mut bad = pcapng_shb();
    bad.extend(pcapng_idb(lt as u16, 6));
    bad.extend(pcapng_epb(0, &recs[0]));
    let off = bad.len();
    let mut block = pcapng_epb(0, &recs[1]);
    block[4] = block[4].wrapping_add(2);
    bad.extend(block);
    let path = dir.join("bad-length.pcapng");
    std::fs::write(&path, &bad).unwrap();
    let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
    assert!(
        stderr(&out).contains(&format!("corrupt block at byte offset {off}")),
        "{}",
        stderr(&out)
    );

    // Packets for an interface that was never described.
    let mut orphan = pcapng_shb();
    orphan.extend(pcapng_idb(lt as u16, 6));
    for r in &recs {
        orphan.extend(pcapng_epb(3, r));
    }
    let path = dir.join("orphans.pcapng");
    std::fs::write(&path, &orphan).unwrap();
    let out = tlssniff(["--format", "summary-json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        v["capture"]["skipped"]["no interface description"],
        recs.len()
    );
    assert!(stderr(&out).contains("no interface description block"));
}

#[test]
fn zero_length_and_tiny_packets_are_counted_as_skipped() {
    let (lt, mut recs, _) = read_pcap(&fixture("tls12.pcap"));
    let n = recs.len();
    let skipped_before = skipped_count(&fixture("tls12.pcap"));
    for len in [0usize, 1, 13, 20] {
        recs.push(Rec {
            ts_sec: recs[n - 1].ts_sec,
            ts_usec: recs[n - 1].ts_usec,
            orig_len: len as u32,
            data: vec![0x45; len],
        });
    }
    let dir = tempdir("tiny");
    let path = dir.join("tiny-packets.pcap");
    std::fs::write(&path, pcap_bytes(lt, &recs)).unwrap();
    let out = tlssniff(["--format", "summary-json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["capture"]["packets"], n + 4);
    assert_eq!(
        skipped_count(&path),
        skipped_before + 4,
        "{}",
        v["capture"]["skipped"]
    );
}

fn skipped_count(path: &std::path::Path) -> u64 {
    let out = tlssniff(["--format", "summary-json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["capture"]["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_u64().unwrap())
        .sum()
}

#[test]
fn a_small_snaplen_is_explained_with_how_to_recapture() {
    // pktmon's default: 128 bytes of each frame.
    let (lt, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let cut: Vec<Rec> = recs
        .iter()
        .map(|r| Rec {
            orig_len: r.data.len() as u32,
            data: r.data[..r.data.len().min(128)].to_vec(),
            ..r.clone()
        })
        .collect();
    let dir = tempdir("snaplen");
    let path = dir.join("snap128.pcap");
    std::fs::write(&path, pcap_bytes(lt, &cut)).unwrap();
    let out = tlssniff(["--format", "jsonl", path.to_str().unwrap()]);
    let recs = jsonl(&out);
    assert!(!recs.is_empty());
    for r in &recs {
        assert_eq!(r["client_hello"]["partial"], true);
        // What the first 128 bytes hold is still read.
        assert_eq!(r["client_hello"]["record_version"], "TLS 1.0");
    }
    let err = stderr(&out);
    assert!(
        err.contains("cut by the capture's snapshot length") && err.contains("tcpdump -s 0"),
        "{err}"
    );
    assert!(err.contains("pktmon"), "{err}");
}

#[test]
fn pcapng_truncated_at_every_block_boundary_and_mid_block() {
    let (lt, recs, _) = read_pcap(&fixture("tls13.pcap"));
    let mut ng = pcapng_shb();
    let mut boundaries = vec![ng.len()];
    ng.extend(pcapng_idb(lt as u16, 6));
    boundaries.push(ng.len());
    for r in &recs {
        ng.extend(pcapng_epb(0, r));
        boundaries.push(ng.len());
    }
    let dir = tempdir("pcapng-cuts");
    for (i, w) in boundaries.windows(2).enumerate() {
        let (start, end) = (w[0], w[1]);
        // At a boundary: clean.
        let clean = dir.join(format!("clean-{i}.pcapng"));
        std::fs::write(&clean, &ng[..start]).unwrap();
        let out = tlssniff(["--format", "jsonl", clean.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0));
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        // Inside the next block: a warning at that block's offset.
        let cut = dir.join(format!("cut-{i}.pcapng"));
        std::fs::write(&cut, &ng[..start + (end - start) / 2]).unwrap();
        let out = tlssniff(["--format", "jsonl", cut.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stderr(&out).contains(&format!("byte offset {start}")),
            "cut in block at {start}: {}",
            stderr(&out)
        );
    }
}

/// What Windows administrators have instead of a capture gets its own
/// advice: an ETW trace, a Network Monitor capture, a Fiddler archive, a
/// browser's HAR file.
#[test]
fn windows_trace_formats_get_their_own_advice() {
    let dir = tempdir("windows-formats");
    let cases: [(&str, &[u8], &str); 4] = [
        // An ETW buffer header begins with its size (64 KiB).
        (
            "PktMon.etl",
            b"\x00\x00\x01\x00\x00\x00\x00\x00",
            "pktmon etl2pcap",
        ),
        ("trace.cap", b"GMBU\x02\x00\x00\x00", "Network Monitor"),
        (
            "session.saz",
            b"PK\x03\x04\x14\x00\x00\x00",
            "Fiddler session archive",
        ),
        ("login.har", b"{\"log\": {\"version\": \"1.2\"}}", "HAR"),
    ];
    for (name, bytes, advice) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = tlssniff([path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(advice), "{name}: {err}");
        // The conversion advice only for what is an ETW trace.
        assert_eq!(
            err.contains("etl2pcap"),
            name.ends_with(".etl"),
            "{name}: {err}"
        );
    }
}
