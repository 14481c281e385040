//! The certificate path on arbitrary bytes: a Certificate message body fed
//! to the chain reader in pieces, and the bytes as one DER certificate.
//! Invariants: no panic; the reader never holds more than its leaf cap;
//! it never counts more certificates than the bytes could frame; a parsed
//! leaf's SAN list stays within its bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::tls::certificate::{self, ChainReader, LeafCache, MAX_SAN_NAMES};

/// The leaf cap the reader gets: small, so that the cap is exercised.
const MAX_LEAF: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&piece, body)) = data.split_first() else {
        return;
    };
    let piece = usize::from(piece).max(1);
    let mut r = ChainReader::new(MAX_LEAF);
    for chunk in body.chunks(piece) {
        r.push(chunk);
        assert!(r.buffered() <= MAX_LEAF.max(8192));
    }
    let c = LeafCache::default().read(r.finish(piece % 2 == 0));
    assert!(c.chain_length as usize <= body.len() / 4 + 1);
    if let Ok(leaf) = &c.leaf {
        assert!(leaf.san_dns.len() <= MAX_SAN_NAMES);
    }
    if let Ok(leaf) = certificate::parse_leaf(body) {
        assert!(leaf.san_dns.len() <= MAX_SAN_NAMES);
        assert_eq!(leaf.sha256.len(), 64);
    }
});
