//! SSL 2.0 records (draft-hickman-netscape-ssl-00 §1.2): a 2- or 3-byte
//! header with the length in its low 14 or 15 bits, then the body.
//!
//! Only the cleartext start of an SSL 2.0 handshake is read: CLIENT-HELLO,
//! SERVER-HELLO (with the server's certificate) and CLIENT-MASTER-KEY (the
//! hello parsers are in [`super::hello`]); after that the records are
//! encrypted. An SSLv2-format
//! CLIENT-HELLO offering SSL 3.0 or TLS is how old clients stayed compatible
//! with SSL 2.0 servers: the stream then goes on in TLS records (or in SSL 2.0
//! if the server speaks only that).

use super::certificate::Chain;
use super::event::{Event, Malformed};
use super::hello;
use super::version::Version;

pub const SSL2_CLIENT_HELLO: u8 = 1;
pub const SSL2_CLIENT_MASTER_KEY: u8 = 2;
pub const SSL2_SERVER_HELLO: u8 = 4;

/// Does `b` (at least five bytes) begin an SSL 2.0 record holding a hello,
/// or, after an SSL 2.0 hello on this stream (`hello_seen`), a
/// CLIENT-MASTER-KEY?
pub fn is_record(b: &[u8], hello_seen: bool) -> bool {
    let [b0, b1, msg, v0, v1, ..] = *b else {
        return false;
    };
    let len = (usize::from(b0 & 0x7f) << 8) | usize::from(b1);
    let hello = match msg {
        // CLIENT-HELLO: msg, version.
        SSL2_CLIENT_HELLO => {
            let version = Version(u16::from_be_bytes([v0, v1]));
            version == Version::SSL2 || (0x0300..=0x0304).contains(&version.0)
        }
        // SERVER-HELLO: msg, session-id-hit (0/1), certificate type
        // (1 = X.509), then the version.
        SSL2_SERVER_HELLO => v0 <= 1 && v1 == 1,
        _ => false,
    };
    b0 & 0x80 != 0 && len >= 3 && (hello || (hello_seen && msg == SSL2_CLIENT_MASTER_KEY))
}

/// (header length, body length) of the SSL 2.0 record at the start of `b`.
fn header(b: &[u8]) -> Option<(usize, usize)> {
    let (&b0, &b1) = (b.first()?, b.get(1)?);
    if b0 & 0x80 != 0 {
        Some((2, (usize::from(b0 & 0x7f) << 8) | usize::from(b1)))
    } else {
        b.get(2)?;
        Some((3, (usize::from(b0 & 0x3f) << 8) | usize::from(b1)))
    }
}

/// What reading SSL 2.0 records led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Waiting for more of a record.
    More,
    /// The handshake went past its cleartext part (or a record was not a
    /// hello): stop reading this direction.
    Done,
    /// An SSLv2-format CLIENT-HELLO offering SSL 3.0 or TLS was read; these
    /// bytes follow it, in whichever record format the stream continues in.
    Upgrade(Vec<u8>),
}

/// One direction's SSL 2.0 records; a record is buffered until whole (the
/// hellos are small, and this only ever reads the first few records).
#[derive(Debug, Default)]
pub struct Sslv2Reader {
    window: Vec<u8>,
    /// A CLIENT-HELLO was read on this stream.
    pub hello_seen: bool,
}

impl Sslv2Reader {
    pub fn buffered(&self) -> usize {
        self.window.capacity()
    }

    pub fn release(&mut self) {
        self.window = Vec::new();
    }

    pub fn push(&mut self, data: &[u8], out: &mut Vec<Event>) -> Next {
        self.window.extend_from_slice(data);
        loop {
            let Some((hdr_len, body_len)) = header(&self.window) else {
                return Next::More;
            };
            let Some(body) = self.window.get(hdr_len..hdr_len + body_len) else {
                return Next::More;
            };
            let event =
                match body.first().copied() {
                    Some(SSL2_CLIENT_HELLO) => hello::parse_sslv2_client_hello(body)
                        .map(|h| Event::ClientHello(Box::new(h))),
                    Some(SSL2_SERVER_HELLO) => hello::parse_sslv2_server_hello(body)
                        .map(|h| Event::ServerHello(Box::new(h))),
                    Some(SSL2_CLIENT_MASTER_KEY) => {
                        hello::parse_sslv2_client_master_key(body).map(Event::Sslv2CipherChosen)
                    }
                    _ => None,
                };
            let upgrade = match &event {
                Some(Event::ClientHello(h)) => h.legacy_version >= Version::SSL3,
                _ => false,
            };
            let continues = matches!(event, Some(Event::ClientHello(_)));
            let certificate = match &event {
                Some(Event::ServerHello(_)) => hello::sslv2_server_certificate(body),
                _ => None,
            };
            out.push(event.unwrap_or(Event::Malformed(Malformed::BadHello)));
            if let Some(der) = certificate {
                // SSL 2.0 sends the server's certificate alone, in clear.
                out.push(Event::Certificate(Box::new(Chain {
                    chain_length: 1,
                    partial: false,
                    leaf: Ok(der.to_vec()),
                })));
            }
            if !continues {
                return Next::Done;
            }
            let rest = self.window.split_off(hdr_len + body_len);
            self.window.clear();
            self.hello_seen = true;
            if upgrade {
                return Next::Upgrade(rest);
            }
            self.window = rest;
        }
    }
}
