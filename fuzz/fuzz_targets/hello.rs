//! Hello parsers on arbitrary bodies. Invariants: no panic; the lax reader
//! reads at least what the strict one does; a partial hello never claims
//! more suites than the bytes could hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::tls::hello;
use tlssniff::tls::version::Version;

fuzz_target!(|data: &[u8]| {
    let strict = hello::parse_client_hello(data, Version::TLS10);
    let lax = hello::parse_client_hello_lax(data, Version::TLS10);
    if let Some(h) = &strict {
        assert!(h.cipher_suites.len() <= data.len() / 2);
        let _ = h.max_version();
    }
    if let (Some(s), Some(l)) = (&strict, &lax) {
        if !s.partial {
            assert_eq!(s.legacy_version, l.legacy_version);
        }
    }
    let _ = hello::parse_server_hello(data);
    let _ = hello::parse_server_hello_lax(data);
    let _ = hello::parse_sslv2_client_hello(data);
    let _ = hello::parse_sslv2_server_hello(data);
    let _ = hello::parse_sslv2_client_master_key(data);
});
