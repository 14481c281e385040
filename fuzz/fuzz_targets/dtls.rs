//! The DTLS path (`analysis::dtls` over `datagram::dtls`): any bytes,
//! read as datagrams each behind a 2-byte length, sent from alternating sides
//! — no panic; the record, if any, is whole. Seeds are real OpenSSL
//! DTLS datagrams, so mutations reach fragment reassembly and the hellos.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::analysis::dtls::DtlsTracker;
use tlssniff::analysis::record::End;
use tlssniff::decode::Endpoint;
use tlssniff::flow::{FlowKey, Side};
use tlssniff::time::Timestamp;
use tlssniff::tls::certificate::LeafCache;

fuzz_target!(|data: &[u8]| {
    let mut t = DtlsTracker::new(65_536);
    let mut side = Side::Lo;
    let mut rest = data;
    let mut i = 0u64;
    while let [a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        let (d, next) = tail.split_at(len);
        rest = next;
        i += 1;
        let step = t.on_datagram(d, None, side, Timestamp::from_parts(i, 0), i);
        if step.done {
            break;
        }
        side = side.other();
    }
    let ep = |port| Endpoint {
        ip: std::net::IpAddr::from([10, 0, 0, 1]),
        port,
    };
    let (key, _) = FlowKey::new(ep(1), ep(443));
    if let Some(rec) = t.finish(&key, End::CaptureEnd, &mut LeafCache::default()) {
        assert!(rec.order >= 1);
    }
});
