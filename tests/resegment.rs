//! Reassembly end to end: every TCP payload of a real capture is cut into
//! random pieces, sent out of order, with duplicates and overlapping
//! retransmissions; the report must be exactly that of the original capture
//! (the trivially correct oracle).

use etherparse::{Ipv4Header, SlicedPacket, TcpHeader};

use crate::util::{Rec, fixture, pcap_bytes, read_pcap, stdout, tempdir, tlssniff};

/// xorshift64*: deterministic, seedable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One Ethernet/IPv4/TCP frame rebuilt with `payload` at `seq`.
fn frame(eth: &[u8], ip: &Ipv4Header, tcp: &TcpHeader, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut ip = ip.clone();
    let mut tcp = tcp.clone();
    tcp.sequence_number = seq;
    ip.set_payload_len(tcp.header_len() + payload.len())
        .unwrap();
    let mut out = eth.to_vec();
    ip.write(&mut out).unwrap();
    tcp.write(&mut out).unwrap();
    out.extend_from_slice(payload);
    out
}

/// The capture with every data segment split, shuffled, duplicated and
/// overlapped (within the packet's own timestamp, so timing is unchanged).
fn resegment(recs: &[Rec], rng: &mut Rng) -> Vec<Rec> {
    let mut out = Vec::new();
    for r in recs {
        let Ok(p) = SlicedPacket::from_ethernet(&r.data) else {
            out.push(r.clone());
            continue;
        };
        let (Some(etherparse::NetSlice::Ipv4(v4)), Some(etherparse::TransportSlice::Tcp(t))) =
            (&p.net, &p.transport)
        else {
            out.push(r.clone());
            continue;
        };
        let payload = t.payload();
        if payload.len() < 2 || t.fin() || t.rst() || t.syn() {
            out.push(r.clone());
            continue;
        }
        let eth = &r.data[..14];
        let ip = v4.header().to_header();
        let tcp = t.to_header();
        let seq = t.sequence_number();
        // Random cut points.
        let mut cuts: Vec<usize> = (0..rng.below(6))
            .map(|_| rng.below(payload.len()))
            .collect();
        cuts.push(0);
        cuts.push(payload.len());
        cuts.sort_unstable();
        cuts.dedup();
        let mut pieces: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
        // Duplicates and overlapping retransmissions of the same bytes.
        for _ in 0..rng.below(3) {
            let s = rng.below(payload.len());
            let e = (s + 1 + rng.below(200)).min(payload.len());
            pieces.push((s, e));
        }
        // Shuffle.
        for i in (1..pieces.len()).rev() {
            pieces.swap(i, rng.below(i + 1));
        }
        for (s, e) in pieces {
            let data = frame(eth, &ip, &tcp, seq.wrapping_add(s as u32), &payload[s..e]);
            out.push(Rec {
                ts_sec: r.ts_sec,
                ts_usec: r.ts_usec,
                orig_len: data.len() as u32,
                data,
            });
        }
    }
    out
}

#[test]
fn random_splits_reorders_duplicates_and_overlaps_change_nothing() {
    let dir = tempdir("resegment");
    for name in [
        "tls12.pcap",
        "tls13-hrr.pcap",
        "ch-two-segments.pcap",
        "fallback-scsv-inappropriate.pcap",
        "tds-split.pcap",
        "tds-login-clear.pcap",
        "tds-cert-rejected.pcap",
    ] {
        let original = fixture(name);
        let oracle = stdout(&tlssniff(["--format", "jsonl", original.to_str().unwrap()]));
        assert!(!oracle.is_empty(), "{name}");
        let (lt, recs, _) = read_pcap(&original);
        for seed in 1..=12u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let path = dir.join(format!("{name}-{seed}.pcap"));
            std::fs::write(&path, pcap_bytes(lt, &resegment(&recs, &mut rng))).unwrap();
            let got = stdout(&tlssniff(["--format", "jsonl", path.to_str().unwrap()]));
            assert_eq!(got, oracle, "{name}, seed {seed}: {}", path.display());
        }
    }
}
