//! What one direction of a TLS stream shows, in stream order: the vocabulary
//! between the TLS layers ([`super::scanner`], [`super::handshake`]) and the
//! handshake state machine that consumes it (`analysis::handshake`).
//!
//! Every variant is small and says what was on the wire, not what it means:
//! deciding that a handshake completed, failed or was refused is the state
//! machine's job.

use super::certificate::Chain;
use super::cipher::CipherSuite;
use super::hello::{ClientHello, ServerHello};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    ClientHello(Box<ClientHello>),
    /// A ServerHello, HelloRetryRequest (`retry`) or SSL 2.0 SERVER-HELLO.
    ServerHello(Box<ServerHello>),
    /// The cipher the client chose in SSL 2.0 CLIENT-MASTER-KEY.
    Sslv2CipherChosen(CipherSuite),
    /// A cleartext handshake message other than a hello began: its type
    /// (RFC 8446 §4 / RFC 5246 §7.4: 11 Certificate, 12 ServerKeyExchange,
    /// 14 ServerHelloDone, 16 ClientKeyExchange, ...).
    Handshake(u8),
    /// The first Certificate message ended (after its
    /// [`Event::Handshake`]`(11)`): what its chain showed.
    Certificate(Box<Chain>),
    /// A handshake record after this side's ChangeCipherSpec (TLS ≤ 1.2):
    /// its encrypted Finished.
    EncryptedHandshake,
    /// A cleartext alert.
    Alert {
        level: u8,
        description: u8,
    },
    /// An alert record whose body is encrypted.
    EncryptedAlert,
    ChangeCipherSpec,
    /// An application-data record and its length. In TLS 1.3 everything
    /// after the ServerHello travels in such records (RFC 8446 §5.2),
    /// handshake messages and alerts included.
    ApplicationData {
        len: u16,
    },
    /// A handshake message we could not read at all.
    Malformed(Malformed),
    /// The scanner will not look at this direction again.
    Stopped(Stop),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A ClientHello or ServerHello too short to hold even its version.
    BadHello,
    /// A handshake message declaring more bytes than the per-flow cap.
    HandshakeTooLong { declared: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The per-direction byte cap was reached.
    ByteCap,
    /// Bytes that are not a TLS record where a record header must be.
    BadRecord,
    /// A capture gap swallowed a record header: record boundaries are lost.
    LostSync,
    /// An SSL 2.0 handshake went past its cleartext part.
    Sslv2Done,
    /// No TLS was found within the bytes searched (see `encap`).
    NotTls,
}
