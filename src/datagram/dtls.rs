//! DTLS records and handshake fragments (RFC 6347 §4.1, §4.2.2; RFC 9147
//! §4 for DTLS 1.3's unified header): enough to put the ClientHello and
//! ServerHello back together from fragments, retransmissions and
//! HelloVerifyRequest exchanges.
//!
//! A DTLS ClientHello differs from TLS's by its cookie (after the session
//! id, RFC 6347 §4.2.1): [`client_hello_as_tls`] takes it out so that the
//! TLS hello parser reads the rest. Pure; no input makes it panic.

use std::collections::BTreeMap;

use crate::tls::reader::Reader;
use crate::tls::version::Version;

pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;
/// Handshake message types.
pub const HELLO_VERIFY_REQUEST: u8 = 3;
/// Handshake message type of a Certificate.
pub const CERTIFICATE: u8 = 11;

/// The DTLS versions a record header may carry.
fn dtls_version(v: u16) -> bool {
    matches!(v, 0xfeff | 0xfefd | 0xfefc | 0x0100)
}

/// Does this UDP payload start with a DTLS record (a plaintext header of a
/// known content type and DTLS version, its length within the datagram)?
pub fn looks_like_dtls(d: &[u8]) -> bool {
    let mut r = Reader::new(d);
    let (Some(kind), Some(version)) = (r.u8(), r.u16()) else {
        return false;
    };
    if !(CHANGE_CIPHER_SPEC..=APPLICATION_DATA).contains(&kind) || !dtls_version(version) {
        return false;
    }
    let Some(len) = r.take(8).and_then(|_| r.u16()) else {
        return false;
    };
    usize::from(len) <= r.remaining()
}

/// One record of a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub kind: u8,
    /// `None` for a DTLS 1.3 ciphertext record (unified header).
    pub version: Option<Version>,
    pub epoch: u16,
    pub body: &'a [u8],
}

/// The records of a datagram, until one does not parse (the rest is
/// skipped: `Err` once).
pub fn records(d: &[u8]) -> impl Iterator<Item = Result<Record<'_>, ()>> + '_ {
    let mut r = Reader::new(d);
    let mut broken = false;
    std::iter::from_fn(move || {
        if broken || r.is_empty() {
            return None;
        }
        let first = r.u8()?;
        let rec = if first & 0xe0 == 0x20 {
            // RFC 9147 §4: 001CSLEE — C: connection id (length unknown to
            // an observer: stop), S: 16-bit sequence, L: length present.
            if first & 0x10 != 0 || first & 0x04 == 0 {
                broken = true;
                return Some(Err(()));
            }
            let seq_len = if first & 0x08 != 0 { 2 } else { 1 };
            let body = r
                .take(seq_len)
                .and_then(|_| r.u16())
                .and_then(|len| r.take(usize::from(len)));
            body.map(|body| Record {
                kind: APPLICATION_DATA,
                version: None,
                epoch: u16::from(first & 0x03),
                body,
            })
        } else {
            (|| {
                let version = r.u16()?;
                let epoch = r.u16()?;
                r.take(6)?;
                let len = r.u16()?;
                Some(Record {
                    kind: first,
                    version: Some(Version(version)),
                    epoch,
                    body: r.take(usize::from(len))?,
                })
            })()
        };
        match rec {
            Some(rec) => Some(Ok(rec)),
            None => {
                broken = true;
                Some(Err(()))
            }
        }
    })
}

/// One handshake fragment (RFC 6347 §4.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    pub msg_type: u8,
    pub length: u32,
    pub message_seq: u16,
    pub offset: u32,
    pub data: &'a [u8],
}

/// The fragments of a plaintext handshake record; `Err` when one is cut.
pub fn fragments(body: &[u8]) -> impl Iterator<Item = Result<Fragment<'_>, ()>> + '_ {
    let mut r = Reader::new(body);
    let mut broken = false;
    std::iter::from_fn(move || {
        if broken || r.is_empty() {
            return None;
        }
        let f = (|| {
            let msg_type = r.u8()?;
            let length = r.u24()?;
            let message_seq = r.u16()?;
            let offset = r.u24()?;
            let frag_len = r.u24()?;
            let data = r.take(frag_len as usize)?;
            Some(Fragment {
                msg_type,
                length,
                message_seq,
                offset,
                data,
            })
        })();
        if f.is_none() {
            broken = true;
        }
        Some(f.ok_or(()))
    })
}

/// One message being put back together.
#[derive(Debug)]
struct Message {
    msg_type: u8,
    bytes: Vec<u8>,
    /// Filled byte ranges, merged.
    have: Vec<(u32, u32)>,
    delivered: bool,
}

/// One direction's handshake messages, by message_seq, from fragments in
/// any order, repeated (retransmitted flights) or overlapping. Bounded:
/// a message longer than the bound, or fragments past a message's length,
/// are refused and counted.
#[derive(Debug, Default)]
pub struct Reassembly {
    messages: BTreeMap<u16, Message>,
    held: usize,
    /// Fragments refused (past the message's length, a length that
    /// changed, or over the bound).
    pub refused: u16,
    /// Fragments that repeated bytes already held (retransmissions).
    pub repeated: u16,
    /// Messages made of more than one fragment.
    pub reassembled: u16,
}

/// Most messages remembered per direction.
const MAX_MESSAGES: usize = 64;

impl Reassembly {
    /// Adds a fragment; returns the message (type, body) when this
    /// fragment completed it.
    pub fn push(&mut self, f: &Fragment<'_>, max_bytes: usize) -> Option<(u8, Vec<u8>)> {
        let end = f.offset.checked_add(f.data.len() as u32);
        let bad = end.is_none_or(|e| e > f.length) || f.length as usize > max_bytes;
        let end = end.unwrap_or(u32::MAX);
        if bad
            || (!self.messages.contains_key(&f.message_seq) && self.messages.len() >= MAX_MESSAGES)
        {
            self.refused = self.refused.saturating_add(1);
            return None;
        }
        if !self.messages.contains_key(&f.message_seq) {
            if self.held + f.length as usize > max_bytes {
                self.refused = self.refused.saturating_add(1);
                return None;
            }
            self.held += f.length as usize;
        }
        let m = self
            .messages
            .entry(f.message_seq)
            .or_insert_with(|| Message {
                msg_type: f.msg_type,
                bytes: vec![0; f.length as usize],
                have: Vec::new(),
                delivered: false,
            });
        if m.msg_type != f.msg_type || m.bytes.len() != f.length as usize {
            self.refused = self.refused.saturating_add(1);
            return None;
        }
        let (start, stop) = (f.offset, end);
        if m.have.iter().any(|&(a, b)| a <= start && stop <= b) {
            self.repeated = self.repeated.saturating_add(1);
            return None;
        }
        // New bytes only: held ones keep their first copy.
        for (i, b) in f.data.iter().enumerate() {
            let at = start as usize + i;
            if !m
                .have
                .iter()
                .any(|&(a, z)| (a as usize) <= at && at < z as usize)
            {
                if let Some(slot) = m.bytes.get_mut(at) {
                    *slot = *b;
                }
            }
        }
        m.have.push((start, stop));
        m.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::new();
        for &(a, b) in &m.have {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let whole = merged == [(0, f.length)] || f.length == 0;
        let pieces = m.have.len();
        m.have = merged;
        if whole && !m.delivered {
            m.delivered = true;
            if pieces > 1 {
                self.reassembled = self.reassembled.saturating_add(1);
            }
            return Some((m.msg_type, m.bytes.clone()));
        }
        None
    }
}

/// A DTLS ClientHello body as TLS's: the cookie taken out. Also returns
/// the cookie's length (non-zero after a HelloVerifyRequest).
pub fn client_hello_as_tls(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut r = Reader::new(body);
    let head = r.take(2 + 32)?;
    let sid_len = usize::from(r.u8()?);
    let sid = r.take(sid_len)?;
    let cookie_len = usize::from(r.u8()?);
    r.take(cookie_len)?;
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(head);
    out.push(sid_len as u8);
    out.extend_from_slice(sid);
    out.extend_from_slice(r.rest());
    Some((out, cookie_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(seq: u16, len: u32, off: u32, data: &[u8]) -> Fragment<'_> {
        Fragment {
            msg_type: 1,
            length: len,
            message_seq: seq,
            offset: off,
            data,
        }
    }

    #[test]
    fn fragments_in_any_order_and_repeated_make_one_message() {
        let mut r = Reassembly::default();
        assert_eq!(r.push(&frag(0, 6, 3, b"DEF"), 100), None);
        assert_eq!(r.push(&frag(0, 6, 3, b"DEF"), 100), None);
        assert_eq!(r.repeated, 1);
        assert_eq!(
            r.push(&frag(0, 6, 0, b"ABC"), 100),
            Some((1, b"ABCDEF".to_vec()))
        );
        assert_eq!(r.reassembled, 1);
        // A whole retransmission later is not a second message.
        assert_eq!(r.push(&frag(0, 6, 0, b"ABCDEF"), 100), None);
    }

    #[test]
    fn fragments_past_the_length_or_the_bound_are_refused() {
        let mut r = Reassembly::default();
        assert_eq!(r.push(&frag(0, 4, 3, b"xyz"), 100), None);
        assert_eq!(r.push(&frag(1, 1_000_000, 0, b"x"), 65_536), None);
        assert_eq!(
            r.push(&frag(2, u32::MAX, u32::MAX - 1, b"xyz"), 65_536),
            None
        );
        assert_eq!(r.refused, 3);
    }

    #[test]
    fn the_cookie_is_taken_out_of_a_client_hello() {
        let mut body = vec![0xfe, 0xfd];
        body.extend([7u8; 32]);
        body.extend([1, 0xaa, 3, 1, 2, 3, 0, 2, 0xc0, 0x2f, 1, 0]);
        let (tls, cookie) = client_hello_as_tls(&body).unwrap();
        assert_eq!(cookie, 3);
        assert_eq!(&tls[34..], &[1, 0xaa, 0, 2, 0xc0, 0x2f, 1, 0]);
    }

    #[test]
    fn dtls_records_are_recognised_by_type_version_and_length() {
        let rec = [22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2];
        assert!(looks_like_dtls(&rec));
        assert!(!looks_like_dtls(&rec[..14]), "length past the datagram");
        let mut tls = rec;
        tls[1] = 0x03;
        tls[2] = 0x03;
        assert!(!looks_like_dtls(&tls));
        let got: Vec<_> = records(&rec).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].unwrap().body, &[1, 2]);
    }
}
