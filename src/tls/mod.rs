//! TLS: versions and cipher suites (names, classes), the record layer,
//! handshake-message reassembly and the hello parsers, composed per
//! direction by the [`scanner`].
//!
//! ```text
//!  bytes ──> scanner ──┬─> record (TLS records) ──┬─> handshake (messages) ──> hello
//!                      └─> sslv2 (SSL 2.0 records) └─> alerts, ChangeCipherSpec, application data
//!                                                                        ──> event::Event
//! ```
//!
//! Nothing here does I/O or keeps time: bytes in, facts out.

pub mod alert;
pub mod certificate;
pub mod cipher;
pub mod event;
pub mod fiddler;
pub mod fingerprint;
pub mod handshake;
pub mod hello;
pub mod reader;
pub mod record;
pub mod scanner;
pub mod sslv2;
pub mod suites;
pub mod version;
