//! The datagram path beside the TCP flow table (STYLE.md, "Seams"): TLS
//! over UDP. [`quic`] takes the TLS handshake out of QUIC Initial packets;
//! [`dtls`] reads DTLS records and puts handshake fragments back together.
//!
//! Pure: bytes in, facts out.

pub mod dtls;
pub mod quic;
