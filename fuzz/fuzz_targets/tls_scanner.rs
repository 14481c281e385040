//! TLS deframer and hello parser: one direction's bytes in arbitrary pieces,
//! with capture gaps. Invariants: no panic; what the scanner buffers stays
//! within its byte cap; it stops once the cap is fed; every hello it reports
//! holds no more suites than there were bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::tls::scanner::{Event, Scanner};

fuzz_target!(|data: &[u8]| {
    let Some((&cap_sel, mut rest)) = data.split_first() else {
        return;
    };
    let cap = 512 + usize::from(cap_sel) * 256;
    let mut s = Scanner::new(cap);
    let mut out = Vec::new();
    let mut fed = 0usize;
    // Pieces: a length byte (high bit: a gap of that many bytes), then bytes.
    while let Some((&n, tail)) = rest.split_first() {
        let len = usize::from(n & 0x7f) + 1;
        if n & 0x80 != 0 && len < 64 {
            s.gap(len as u64, &mut out);
            fed += len;
            rest = tail;
            continue;
        }
        let (piece, tail) = tail.split_at(len.min(tail.len()));
        s.push(piece, &mut out);
        fed += piece.len();
        rest = tail;
        assert!(s.buffered() <= 2 * cap + 8192, "buffered {} for cap {cap}", s.buffered());
    }
    if fed > cap {
        assert!(s.is_stopped(), "fed {fed} beyond the cap {cap} and not stopped");
    }
    for e in &out {
        if let Event::ClientHello(h) = e {
            assert!(h.cipher_suites.len() <= fed);
        }
    }
});
