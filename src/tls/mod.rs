//! TLS: versions and cipher suites (names, classes), the record scanner and
//! the hello parsers.
//!
//! Nothing here does I/O or keeps time: bytes in, facts out.

pub mod alert;
pub mod cipher;
pub mod hello;
pub mod reader;
pub mod scanner;
pub mod suites;
pub mod version;
