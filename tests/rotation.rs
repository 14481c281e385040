//! Rotated capture sets: a capture split into files that continue each
//! other (what `editcap -c N`, `tcpdump -C`/`-G` and dumpcap ring buffers
//! write) reads as the unsplit capture — a handshake across a file boundary
//! is one connection.

use std::path::PathBuf;

use crate::util::{Rec, fixture, pcap_bytes, read_pcap, stdout, tempdir, tlssniff};

/// Every little-endian microsecond pcap fixture (what the splitter reads;
/// the nanosecond one and the pcapng ones are left out).
fn pcap_fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .filter(|p| std::fs::read(p).is_ok_and(|b| b.starts_with(&[0xd4, 0xc3, 0xb2, 0xa1])))
        .collect();
    v.sort();
    v
}

/// The jsonl of these files, read in this order.
fn jsonl_of(files: &[PathBuf]) -> String {
    let mut args = vec!["--format".to_string(), "jsonl".into()];
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    stdout(&tlssniff(args))
}

/// Writes `recs` as files of at most `per_file` packets (editcap -c).
fn split(
    dir: &std::path::Path,
    stem: &str,
    lt: u32,
    recs: &[Rec],
    per_file: usize,
) -> Vec<PathBuf> {
    recs.chunks(per_file)
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.join(format!("{stem}_{i:05}.pcap"));
            std::fs::write(&path, pcap_bytes(lt, chunk)).unwrap();
            path
        })
        .collect()
}

#[test]
fn every_fixture_split_like_editcap_c_reads_as_the_whole() {
    let dir = tempdir("rotation");
    let mut checked = 0;
    for cap in pcap_fixtures() {
        let (lt, recs, _) = read_pcap(&cap);
        let whole = jsonl_of(std::slice::from_ref(&cap));
        let stem = cap.file_stem().unwrap().to_string_lossy().into_owned();
        for per_file in [1, 3, 7] {
            let files = split(&dir, &format!("{stem}-{per_file}"), lt, &recs, per_file);
            assert_eq!(
                jsonl_of(&files),
                whole,
                "{stem} split every {per_file} packets"
            );
        }
        checked += 1;
    }
    assert!(checked > 30, "{checked} fixtures");
}

#[test]
fn a_split_at_every_packet_of_a_multi_packet_handshake_changes_nothing() {
    let dir = tempdir("rotation-every");
    for name in ["tls13-hrr.pcap", "ch-two-segments.pcap", "tds-split.pcap"] {
        let (lt, recs, _) = read_pcap(&fixture(name));
        let whole = jsonl_of(&[fixture(name)]);
        for at in 1..recs.len() {
            let a = dir.join("a.pcap");
            let b = dir.join("b.pcap");
            std::fs::write(&a, pcap_bytes(lt, &recs[..at])).unwrap();
            std::fs::write(&b, pcap_bytes(lt, &recs[at..])).unwrap();
            assert_eq!(jsonl_of(&[a, b]), whole, "{name} split before packet {at}");
        }
    }
}

#[test]
fn overlapping_files_are_not_joined_and_the_header_says_so() {
    let dir = tempdir("rotation-overlap");
    let (lt, recs, _) = read_pcap(&fixture("tls12.pcap"));
    let half = recs.len() / 2;
    let a = dir.join("a.pcap");
    let b = dir.join("b.pcap");
    // b holds the second half, then the file a repeats: b ends after a
    // starts, and a is given second: it starts before b ends.
    std::fs::write(&a, pcap_bytes(lt, &recs[..half])).unwrap();
    std::fs::write(&b, pcap_bytes(lt, &recs[half..])).unwrap();
    let table = stdout(&tlssniff([&b, &a]));
    assert!(table.contains("a.pcap starts"), "{table}");
    assert!(table.contains("not joined (overlap)"), "{table}");
    let joined = stdout(&tlssniff([&a, &b]));
    assert!(
        joined.contains("Joined: 1 of the files continue the one before"),
        "{joined}"
    );
}
