//! Fiddler's text (`tls::fiddler`) and a session's flags (`capture::saz`):
//! any bytes as a request, a response and an `NN_m.xml`, through the
//! record builder — no panic, and what comes out stays within the input:
//! never more cipher suites than bracketed codes in the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlssniff::analysis::fiddler::record;
use tlssniff::capture::saz::{Session, parse_meta};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, "\u{0}");
    let request = parts.next().unwrap_or_default().to_string();
    let response = parts.next().unwrap_or_default().to_string();
    let meta = parse_meta(parts.next().unwrap_or_default());
    let session = Session {
        number: 1,
        request,
        response,
        meta,
        ..Session::default()
    };
    if let Ok(rec) = record(&session, 1) {
        let suites = rec.client_hello.as_ref().map_or(0, |c| c.cipher_suites.len());
        assert!(suites <= session.request.matches('[').count());
    }
});
