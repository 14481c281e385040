//! A whole flow: an arbitrary sequence of segments, both directions,
//! arbitrary sequence numbers and flags, through reassembly, the TLS scanner
//! and the connection tracker. Invariants: no panic; the bytes a flow holds
//! stay within its per-direction caps; finishing always works and a record's
//! endpoints are the flow's.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use tlssniff::analysis::record::End;
use tlssniff::analysis::tcp::{FlowLimits, TcpTracker};
use tlssniff::decode::{Endpoint, Segment, TcpFlags};
use tlssniff::flow::FlowKey;
use tlssniff::time::Timestamp;

const CAP: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let a = Endpoint {
        ip: IpAddr::V4(Ipv4Addr::new(10, 66, 0, 1)),
        port: 40000,
    };
    let b = Endpoint {
        ip: IpAddr::V4(Ipv4Addr::new(10, 66, 0, 2)),
        port: 443,
    };
    let mut t = TcpTracker::new(FlowLimits {
        max_handshake_bytes: CAP,
        max_certificate_bytes: 4 * CAP,
    });
    let mut rest = data;
    let mut i = 0u64;
    // Segment: flags byte (bit 7: direction), seq (4 bytes), len byte, payload.
    while rest.len() >= 6 {
        let flags = rest[0];
        let seq = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
        let len = usize::from(rest[5]).min(rest.len() - 6);
        let payload = &rest[6..6 + len];
        rest = &rest[6 + len..];
        let (src, dst) = if flags & 0x80 != 0 { (b, a) } else { (a, b) };
        let seg = Segment {
            src,
            dst,
            seq,
            ack: 0,
            flags: TcpFlags::of(
                flags & 1 != 0,
                flags & 2 != 0,
                flags & 4 != 0,
                flags & 0x10 != 0,
            ),
            payload,
            cut: u32::from(flags & 0x40 != 0) * 17,
        };
        let (_, side) = FlowKey::new(src, dst);
        i += 1;
        let step = t.on_segment(&seg, None, side, Timestamp(i * 1_000), i);
        assert!(
            t.buffered() <= 2 * (3 * CAP + 8192),
            "flow holds {} bytes",
            t.buffered()
        );
        if step.end.is_some() {
            break;
        }
    }
    let (key, _) = FlowKey::new(a, b);
    if let Some(rec) = t.finish(&key, End::CaptureEnd, &mut Default::default()) {
        assert!(rec.client == a || rec.client == b);
        assert!(rec.server == a || rec.server == b);
        assert_ne!(rec.client, rec.server);
        let _ = rec.failure_reason().map(|r| r.to_string());
    }
});
