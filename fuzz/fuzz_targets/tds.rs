//! The TDS step (`encap::tds`), two ways. Raw: any bytes, in any pieces,
//! with gaps, through `encap::Unwrap`: no panic, no more bytes out than in.
//! Framed: the input describes TDS packets (type, status, payload), built
//! into a stream after a valid PRELOGIN option list and cut into pieces at
//! arbitrary points: the TLS bytes out must be exactly the payloads of the
//! PRELOGIN packets up to the first packet of another type — never a byte
//! of a header — and a bad packet header must be reported, not crossed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::encap::Unwrap;
use tlssniff::encap::tds::{Desync, PRELOGIN};
use tlssniff::flow::reassembly::Sink;

#[derive(Default)]
struct Out {
    bytes: Vec<u8>,
    gaps: u64,
}

impl Sink for Out {
    fn data(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }
    fn gap(&mut self, n: u32) {
        self.gaps += u64::from(n);
    }
}

/// A PRELOGIN option list (VERSION, ENCRYPTION=ON) in one packet.
fn options_packet() -> Vec<u8> {
    let list = [
        0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xff, 9, 0, 0, 0, 0, 0, 1,
    ];
    let mut p = vec![PRELOGIN, 1];
    p.extend(((list.len() + 8) as u16).to_be_bytes());
    p.extend([0, 0, 1, 0]);
    p.extend(list);
    p
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // Raw: [piece len - 1][piece]... (as the tls_scanner target and its
        // seeds), 255 being a gap of 7 bytes instead.
        let mut u = Unwrap::new(1 << 14);
        let mut out = Out::default();
        let (mut fed, mut rest) = (0u64, rest);
        while let Some((&len, tail)) = rest.split_first() {
            if len == 255 {
                u.gap(7, &mut out);
                fed += 7;
                rest = tail;
                continue;
            }
            let n = (usize::from(len) + 1).min(tail.len());
            u.push(&tail[..n], &mut out);
            fed += n as u64;
            rest = &tail[n..];
        }
        assert!(out.bytes.len() as u64 + out.gaps <= fed);
        return;
    }
    // Framed: [type][status][len][payload]... then the rest as cut points.
    let mut stream = options_packet();
    let mut expected: Vec<u8> = Vec::new();
    let mut tls_open = true;
    let mut bad_header = false;
    let mut rest = rest;
    while rest.len() >= 3 {
        let (ty, status, len) = (rest[0], rest[1], usize::from(rest[2]));
        let payload = &rest[3..3 + len.min(rest.len() - 3)];
        rest = &rest[3 + payload.len()..];
        if ty == 0xff {
            break;
        }
        // A header whose first byte starts a TLS record is bare TLS, not TDS.
        if (0x14..=0x17).contains(&ty) {
            continue;
        }
        stream.push(ty);
        stream.push(status);
        stream.extend(((payload.len() + 8) as u16).to_be_bytes());
        stream.extend([0, 0, 1, 0]);
        stream.extend(payload);
        let valid = status & !0x1f == 0
            && matches!(ty, 0x01..=0x04 | 0x06 | 0x07 | 0x0e | 0x0f | 0x10 | 0x11 | 0x12);
        if tls_open {
            if !valid {
                bad_header = true;
                tls_open = false;
            } else if ty == PRELOGIN {
                expected.extend_from_slice(payload);
            } else {
                tls_open = false;
            }
        }
    }
    let mut u = Unwrap::new(1 << 14);
    let mut out = Out::default();
    let mut at = 0usize;
    for &cut in rest {
        let end = (at + usize::from(cut) + 1).min(stream.len());
        u.push(&stream[at..end], &mut out);
        at = end;
    }
    u.push(&stream[at..], &mut out);
    assert_eq!(out.bytes, expected);
    let facts = u.tds().expect("the option list makes it TDS");
    assert_eq!(facts.desync == Some(Desync::BadHeader), bad_header);
});
