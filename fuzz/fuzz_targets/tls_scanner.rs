//! The encapsulation step and the TLS scanner: one direction's bytes in
//! arbitrary pieces, with capture gaps, through `encap::Unwrap` (the search
//! for where TLS begins) into `tls::Scanner` (records, handshake messages,
//! hellos). Invariants: no panic; what the scanner buffers stays within its
//! byte cap; it stops once the cap and the certificate cap are fed; every
//! hello it reports holds no more suites than there were bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::encap::Unwrap;
use tlssniff::flow::reassembly::Sink;
use tlssniff::tls::event::Event;
use tlssniff::tls::scanner::Scanner;

struct Tls {
    scanner: Scanner,
    events: Vec<Event>,
    fed: usize,
}

impl Sink for Tls {
    fn data(&mut self, bytes: &[u8]) {
        self.fed += bytes.len();
        self.scanner.push(bytes, &mut self.events);
    }

    fn gap(&mut self, n: u32) {
        self.fed += n as usize;
        self.scanner.gap(u64::from(n), &mut self.events);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cap_sel, mut rest)) = data.split_first() else {
        return;
    };
    let cap = 512 + usize::from(cap_sel) * 256;
    // A Certificate message may be read this much beyond `cap`.
    let cert_cap = 4 * cap;
    let mut unwrap = Unwrap::new(cap);
    let mut tls = Tls {
        scanner: Scanner::with_certificate_cap(cap, cert_cap),
        events: Vec::new(),
        fed: 0,
    };
    // Pieces: a length byte (high bit: a gap of that many bytes), then bytes.
    while let Some((&n, tail)) = rest.split_first() {
        let len = usize::from(n & 0x7f) + 1;
        if n & 0x80 != 0 && len < 64 {
            unwrap.gap(len as u32, &mut tls);
            rest = tail;
            continue;
        }
        let (piece, tail) = tail.split_at(len.min(tail.len()));
        unwrap.push(piece, &mut tls);
        rest = tail;
        assert!(
            tls.scanner.buffered() <= 2 * cap + 8192,
            "buffered {} for cap {cap}",
            tls.scanner.buffered()
        );
    }
    if tls.fed > cap + cert_cap {
        assert!(
            tls.scanner.is_stopped(),
            "fed {} beyond the caps {cap} + {cert_cap} and not stopped",
            tls.fed
        );
    }
    for e in &tls.events {
        if let Event::ClientHello(h) = e {
            assert!(h.cipher_suites.len() <= tls.fed);
        }
    }
});
