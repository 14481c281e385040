//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): the handshake layer's
//! bytes in, whole messages out.
//!
//! A handshake message is a 4-byte header (type, 24-bit length) and a body,
//! and neither respects record boundaries: one message may span records and
//! one record may carry several messages (RFC 8446 §5.1). The reader gets
//! the handshake bytes in fragments of any size — record bodies over TCP
//! today; the same byte stream comes out of QUIC CRYPTO frames and DTLS
//! fragment reassembly — and keeps its place across them.
//!
//! Only hellos (ClientHello, ServerHello, the drafts' HelloRetryRequest) are
//! buffered and parsed, and the first Certificate message is streamed
//! through a [`ChainReader`] (its leaf buffered, the rest counted); of any
//! other message only its type is reported, and its body is skipped by
//! count. A hello declaring more than the cap is refused without buffering;
//! a Certificate message has a cap of its own, and its bytes do not count
//! against the direction's byte cap (the reader says how many: its
//! [`HandshakeReader::credit`]). Bytes lost to a capture gap cut the
//! message they fall in: a hello is then read as far as it goes and marked
//! partial, a certificate chain likewise.

use super::certificate::{self, ChainReader};
use super::event::{Event, Malformed};
use super::hello;
use super::reader::Partial;
use super::version::Version;

pub const HS_CLIENT_HELLO: u8 = 1;
pub const HS_SERVER_HELLO: u8 = 2;
pub const HS_CERTIFICATE: u8 = 11;
const HS_DRAFT_HELLO_RETRY: u8 = 6;

/// Reassembles one direction's handshake messages.
#[derive(Debug)]
pub struct HandshakeReader {
    hdr: Partial<4>,
    in_msg: bool,
    msg_type: u8,
    msg_left: usize,
    /// Buffer this message (it is a hello).
    collect: bool,
    buf: Vec<u8>,
    /// Record version of the record that started the message.
    record_version: Version,
    /// Message boundaries are lost; skip handshake bytes from now on.
    broken: bool,
    max_bytes: u64,
    /// The first Certificate message, while it streams by.
    chain: Option<Box<ChainReader>>,
    /// A Certificate message began (only the first is read).
    cert_seen: bool,
    /// That message's declared length, when within `max_cert_bytes`.
    credit: u64,
    max_cert_bytes: u64,
}

impl HandshakeReader {
    /// A reader that refuses hellos declaring more than `max_bytes` and
    /// Certificate messages declaring more than `max_cert_bytes`.
    pub fn new(max_bytes: usize, max_cert_bytes: usize) -> HandshakeReader {
        HandshakeReader {
            hdr: Partial::default(),
            in_msg: false,
            msg_type: 0,
            msg_left: 0,
            collect: false,
            buf: Vec::new(),
            record_version: Version(0),
            broken: false,
            max_bytes: max_bytes as u64,
            chain: None,
            cert_seen: false,
            credit: 0,
            max_cert_bytes: max_cert_bytes as u64,
        }
    }

    /// Bytes of this direction's Certificate message that were allowed past
    /// the byte cap: its declared length, from its header on.
    pub fn credit(&self) -> u64 {
        self.credit
    }

    /// Message boundaries were lost: nothing more can be read.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// A hello has begun and not ended: its remaining bytes never came.
    pub fn hello_unfinished(&self) -> bool {
        self.in_msg && self.collect
    }

    /// Bytes buffered (for memory accounting).
    pub fn buffered(&self) -> usize {
        self.buf.capacity() + self.chain.as_ref().map_or(0, |c| c.buffered())
    }

    /// Gives back the buffers (the direction stopped); a certificate chain
    /// still streaming is reported as cut there.
    pub fn release(&mut self, out: &mut Vec<Event>) {
        self.buf = Vec::new();
        if let Some(chain) = self.chain.take() {
            out.push(Event::Certificate(Box::new(chain.finish(true))));
        }
    }

    /// The next handshake bytes, from a record of version `record_version`.
    pub fn push(&mut self, mut body: &[u8], record_version: Version, out: &mut Vec<Event>) {
        while !body.is_empty() && !self.broken {
            if !self.in_msg {
                let (hdr, rest) = self.hdr.fill(body);
                body = rest;
                let Some([msg_type, a, b, c]) = hdr else {
                    return;
                };
                let len = u32::from_be_bytes([0, a, b, c]);
                self.in_msg = true;
                self.msg_type = msg_type;
                self.msg_left = len as usize;
                self.record_version = record_version;
                self.collect = matches!(
                    msg_type,
                    HS_CLIENT_HELLO | HS_SERVER_HELLO | HS_DRAFT_HELLO_RETRY
                );
                if !self.collect {
                    out.push(Event::Handshake(msg_type));
                    if msg_type == HS_CERTIFICATE && !self.cert_seen {
                        self.begin_certificate(len, out);
                    }
                } else if u64::from(len) > self.max_bytes {
                    self.broken = true;
                    out.push(Event::Malformed(Malformed::HandshakeTooLong {
                        declared: len,
                    }));
                    return;
                }
                self.buf.clear();
                if self.collect {
                    // Room for the whole hello at once when it is of a usual
                    // size; a larger declared length is not trusted.
                    self.buf.reserve_exact(self.msg_left.min(4096));
                }
                if self.msg_left == 0 {
                    self.finish_message(false, out);
                }
                continue;
            }
            let (part, rest) = body.split_at(self.msg_left.min(body.len()));
            if self.collect {
                self.buf.extend_from_slice(part);
            } else if let Some(chain) = &mut self.chain {
                chain.push(part);
            }
            self.msg_left -= part.len();
            body = rest;
            if self.msg_left == 0 {
                self.finish_message(false, out);
            }
        }
    }

    /// `k` handshake bytes the capture did not keep.
    pub fn gap(&mut self, mut k: usize, out: &mut Vec<Event>) {
        if !self.in_msg {
            // The next message header is (partly) lost.
            self.broken = true;
            return;
        }
        let lost = k.min(self.msg_left);
        self.msg_left -= lost;
        k -= lost;
        self.finish_message(true, out);
        if self.msg_left > 0 {
            // Skip the rest of the cut message.
            self.in_msg = true;
            self.collect = false;
        } else if k > 0 {
            self.broken = true;
        }
    }

    /// The first Certificate message begins, declaring `len` bytes.
    fn begin_certificate(&mut self, len: u32, out: &mut Vec<Event>) {
        self.cert_seen = true;
        if u64::from(len) <= self.max_cert_bytes {
            self.credit = u64::from(len);
            // The leaf gets the buffer a hello would.
            self.chain = Some(Box::new(ChainReader::new(self.max_bytes as usize)));
        } else {
            out.push(Event::Certificate(Box::new(certificate::too_long())));
        }
    }

    /// A buffered message is complete (or `cut` short by a capture gap).
    fn finish_message(&mut self, cut: bool, out: &mut Vec<Event>) {
        self.in_msg = false;
        if let Some(chain) = self.chain.take() {
            out.push(Event::Certificate(Box::new(chain.finish(cut))));
        }
        if !self.collect {
            return;
        }
        self.collect = false;
        let body = self.buf.as_slice();
        let event = match (self.msg_type, cut) {
            (HS_CLIENT_HELLO, false) => hello::parse_client_hello(body, self.record_version)
                .map(|h| Event::ClientHello(Box::new(h))),
            (HS_CLIENT_HELLO, true) => hello::parse_client_hello_lax(body, self.record_version)
                .map(|mut h| {
                    h.partial = true;
                    Event::ClientHello(Box::new(h))
                }),
            (HS_SERVER_HELLO, false) => {
                hello::parse_server_hello(body).map(|h| Event::ServerHello(Box::new(h)))
            }
            (HS_SERVER_HELLO, true) => hello::parse_server_hello_lax(body).map(|mut h| {
                h.partial = true;
                Event::ServerHello(Box::new(h))
            }),
            (_, _) => hello::parse_draft_hello_retry(body).map(|h| Event::ServerHello(Box::new(h))),
        };
        out.push(event.unwrap_or(Event::Malformed(Malformed::BadHello)));
        self.buf.clear();
        if self.buf.capacity() > 4096 {
            self.buf = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::certificate::{Chain, Unreadable};
    use super::*;

    #[test]
    fn messages_across_fragments_and_several_per_fragment() {
        // A ServerHelloDone (type 14, empty) and a Certificate header split
        // over two fragments, then its 3-byte body.
        let bytes = [14, 0, 0, 0, 11, 0, 0, 3, 1, 2, 3, 14, 0, 0, 0];
        for cut in 0..bytes.len() {
            let mut r = HandshakeReader::new(1 << 16, 1 << 20);
            let mut out = Vec::new();
            r.push(&bytes[..cut], Version::TLS12, &mut out);
            r.push(&bytes[cut..], Version::TLS12, &mut out);
            assert_eq!(
                out,
                vec![
                    Event::Handshake(14),
                    Event::Handshake(11),
                    // Three bytes are no certificate list.
                    Event::Certificate(Box::new(Chain {
                        chain_length: 0,
                        partial: false,
                        leaf: Err(Unreadable::BadFraming),
                    })),
                    Event::Handshake(14)
                ],
                "cut at {cut}"
            );
            assert!(!r.hello_unfinished());
        }
    }

    #[test]
    fn a_gap_in_a_header_breaks_the_stream() {
        let mut r = HandshakeReader::new(1 << 16, 1 << 20);
        let mut out = Vec::new();
        r.gap(3, &mut out);
        assert!(r.is_broken());
        r.push(&[14, 0, 0, 0], Version::TLS12, &mut out);
        assert!(out.is_empty());
    }
}
