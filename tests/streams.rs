//! A capture arriving on standard input as a writer sends it (`tcpdump -U
//! -w - | tlssniff --format jsonl -`): each record is written as soon as
//! its handshake is known, while the writer still holds the pipe open.
//! Fed here in pieces of a real fixture, with pauses: the record of the
//! first connection must arrive before the second connection's packets are
//! sent.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::{Rec, fixture, pcap_bytes, read_pcap};

/// The client port of a frame's TCP segment (Ethernet/IPv4).
fn ports(r: &Rec) -> Option<(u16, u16)> {
    let p = etherparse::SlicedPacket::from_ethernet(&r.data).ok()?;
    match p.transport? {
        etherparse::TransportSlice::Tcp(t) => Some((t.source_port(), t.destination_port())),
        _ => None,
    }
}

#[test]
fn each_record_arrives_before_the_next_connection_is_sent() {
    let (link, recs, _) = read_pcap(&fixture("tls12.pcap"));
    // tls12.pcap: two connections one after the other; the second begins
    // with its SYN from another client port.
    let first = recs.iter().find_map(ports).expect("a TCP segment");
    let split = recs
        .iter()
        .position(|r| ports(r).is_some_and(|(s, d)| s != first.0 && d != first.0))
        .expect("a second connection");
    let whole = pcap_bytes(link, &recs);
    let head = pcap_bytes(link, &recs[..split]);
    for threads in ["1", "2"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tlssniff"))
            .args(["--threads", threads, "--format", "jsonl", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run tlssniff");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdin = child.stdin.take().unwrap();
        // The first connection, in 200-byte pieces with pauses.
        for piece in head.chunks(200) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("threads {threads}: no record while the pipe stays open"));
        let rec: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(rec["client"]["port"], first.0, "threads {threads}");
        assert!(
            rx.try_recv().is_err(),
            "threads {threads}: a second record too early"
        );
        // The rest; then the pipe closes.
        stdin.write_all(&whole[head.len()..]).unwrap();
        drop(stdin);
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let rec: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_ne!(rec["client"]["port"], first.0, "threads {threads}");
        assert!(child.wait().unwrap().success());
        reader.join().unwrap();
    }
}
