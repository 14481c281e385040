//! The datagram path (`analysis::quic` over `datagram::quic`): any bytes,
//! cut into datagrams at 0xfe bytes and sent from alternating sides
//! — no panic; the record, if any, is whole. Seeds are real aioquic
//! datagrams, so mutations reach the decryption and CRYPTO reassembly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::analysis::quic::QuicTracker;
use tlssniff::analysis::record::End;
use tlssniff::decode::Endpoint;
use tlssniff::flow::{FlowKey, Side};
use tlssniff::time::Timestamp;
use tlssniff::tls::certificate::LeafCache;

fuzz_target!(|data: &[u8]| {
    let mut t = QuicTracker::new(65_536);
    let mut side = Side::Lo;
    for (i, d) in data.split(|b| *b == 0xfe).enumerate() {
        let step = t.on_datagram(d, None, side, Timestamp::from_parts(i as u64, 0), i as u64 + 1);
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
