//! The datagram path beside the TCP flow table (STYLE.md, "Seams"): TLS
//! over UDP. [`quic`] takes the TLS handshake out of QUIC Initial packets.
//!
//! Pure: bytes in, facts out.

pub mod quic;
