//! Analysis: from a transport's segments to connection records, and from
//! records to the summary.
//!
//! - [`tcp`]: a TLS connection over TCP — TCP lifecycle, per direction the
//!   chain reassembly → encapsulation → TLS scanner — feeding
//! - [`handshake`]: the TLS handshake state machine, which knows nothing of
//!   TCP and makes the [`record`];
//! - [`tds`]: SQL Server connections — TDS facts, the login, symptoms;
//! - [`certificate`]: the server certificate's findings at capture time
//!   (expired, self-signed, weak, a name that does not match the SNI);
//! - [`readiness`]: each connection, client and server against a policy
//!   (will break, held back, ready, ...);
//! - [`order`]: records leave in capture order of their first hello;
//! - [`fallback`]: retries with a lower version after a failed attempt;
//! - [`aggregate`]: the shared summary (version mixes, clients, servers,
//!   failures, latency); [`accounting`]: where every packet went.

pub mod accounting;
pub mod aggregate;
pub mod certificate;
pub mod dtls;
pub mod fallback;
pub mod fiddler;
pub mod handshake;
pub mod merge;
pub mod order;
pub mod quic;
pub mod readiness;
pub mod reason;
pub mod record;
pub mod tcp;
pub mod tds;
