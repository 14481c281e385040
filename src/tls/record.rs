//! The TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2): a stream of
//! records, each a 5-byte header (content type, version, length) and a body.
//!
//! [`RecordLayer`] walks one direction's stream in pieces of any size and
//! hands out record headers and body fragments as slices of the input (no
//! copy). It knows nothing of what the bodies mean: handshake messages
//! ([`super::handshake`]), alerts and the rest are read by the
//! [`super::scanner`]. The record version is reported but is never the
//! protocol version (DESIGN.md).
//!
//! Also here: what the start of a TLS stream looks like
//! ([`is_record_header`], [`find_tls_start`]), which `encap` uses to find TLS
//! inside other protocols.

use super::reader::Partial;
use super::version::Version;

/// RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
pub const MAX_RECORD: usize = (1 << 14) + 2048;

pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CT_ALERT: u8 = 21;
pub const CT_HANDSHAKE: u8 = 22;
pub const CT_APPLICATION_DATA: u8 = 23;
pub const CT_HEARTBEAT: u8 = 24;

const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordHeader {
    pub content_type: u8,
    pub version: Version,
    pub len: u16,
}

/// A plausible TLS record header: a known content type, version 3.x
/// (SSL 3.0 to TLS 1.3), a length no larger than [`MAX_RECORD`].
pub fn is_record_header(b: &[u8]) -> bool {
    let [ct, major, minor, l0, l1, ..] = *b else {
        return false;
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    (CT_CHANGE_CIPHER_SPEC..=CT_HEARTBEAT).contains(&ct)
        && major == 3
        && minor <= 4
        && len <= MAX_RECORD
}

/// Offset of the first record in `buf` that opens a TLS handshake with a
/// hello, or is a cleartext alert. Needs six bytes at the match.
pub fn find_tls_start(buf: &[u8]) -> Option<usize> {
    memchr::memchr2_iter(CT_HANDSHAKE, CT_ALERT, buf).find(|&i| {
        let Some(&[ct, major, minor, l0, l1, first]) = buf.get(i..i + 6) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if major != 3 || minor > 4 {
            return false;
        }
        match ct {
            CT_HANDSHAKE => {
                (4..=MAX_RECORD).contains(&len)
                    && matches!(first, HS_CLIENT_HELLO | HS_SERVER_HELLO)
            }
            _ => len == 2 && matches!(first, 1 | 2),
        }
    })
}

/// One piece of the record stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A record begins; its body follows in [`Piece::Body`] pieces.
    Header(RecordHeader),
    /// Bytes of the current record's body (all of it, or the part that has
    /// arrived).
    Body(&'a [u8]),
}

/// Bytes where a record header must be are not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotARecord;

/// What a capture gap did to the record stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GapLoss {
    /// Body bytes of the current record that were lost.
    pub in_record: usize,
    /// False when the gap reached into a record header: record boundaries
    /// are lost from here on.
    pub in_sync: bool,
}

/// One direction's record stream, walked in pieces.
#[derive(Debug, Default)]
pub struct RecordLayer {
    hdr: Partial<5>,
    current: RecordHeader,
    body_left: usize,
}

impl RecordLayer {
    /// The header of the record being read.
    pub fn current(&self) -> RecordHeader {
        self.current
    }

    /// The next piece of `data`, which it advances past that piece;
    /// `Ok(None)` once `data` is used up (a header may be waiting for more).
    pub fn next<'a>(&mut self, data: &mut &'a [u8]) -> Result<Option<Piece<'a>>, NotARecord> {
        if data.is_empty() {
            return Ok(None);
        }
        if self.body_left == 0 {
            let (hdr, rest) = self.hdr.fill(data);
            *data = rest;
            let Some(hdr) = hdr else {
                return Ok(None);
            };
            if !is_record_header(&hdr) {
                return Err(NotARecord);
            }
            let [content_type, v0, v1, l0, l1] = hdr;
            self.current = RecordHeader {
                content_type,
                version: Version(u16::from_be_bytes([v0, v1])),
                len: u16::from_be_bytes([l0, l1]),
            };
            self.body_left = usize::from(self.current.len);
            return Ok(Some(Piece::Header(self.current)));
        }
        let (body, rest) = data.split_at(self.body_left.min(data.len()));
        *data = rest;
        self.body_left -= body.len();
        Ok(Some(Piece::Body(body)))
    }

    /// `n` bytes of the stream that the capture did not keep.
    pub fn gap(&mut self, n: u64) -> GapLoss {
        let in_record = (self.body_left as u64).min(n) as usize;
        self.body_left -= in_record;
        GapLoss {
            in_record,
            in_sync: in_record as u64 == n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_bodies_in_pieces_of_any_size() {
        let stream = [0x16, 3, 1, 0, 3, 1, 2, 3, 0x17, 3, 3, 0, 1, 9];
        for size in 1..stream.len() {
            let mut layer = RecordLayer::default();
            let mut seen = Vec::new();
            for mut chunk in stream.chunks(size) {
                while let Some(piece) = layer.next(&mut chunk).unwrap() {
                    match piece {
                        Piece::Header(h) => seen.push((h.content_type, Vec::new())),
                        Piece::Body(b) => seen.last_mut().unwrap().1.extend(b),
                    }
                }
            }
            assert_eq!(
                seen,
                vec![(0x16, vec![1, 2, 3]), (0x17, vec![9])],
                "size {size}"
            );
        }
    }

    #[test]
    fn a_gap_inside_a_body_keeps_sync_one_into_a_header_does_not() {
        let mut layer = RecordLayer::default();
        let mut data: &[u8] = &[0x17, 3, 3, 0, 10, 1, 2];
        while layer.next(&mut data).unwrap().is_some() {}
        assert_eq!(
            layer.gap(8),
            GapLoss {
                in_record: 8,
                in_sync: true
            }
        );
        assert!(!layer.gap(1).in_sync);
    }

    #[test]
    fn garbage_is_not_a_record() {
        let mut layer = RecordLayer::default();
        let mut data: &[u8] = b"GET / HTTP/1.1";
        assert_eq!(layer.next(&mut data), Err(NotARecord));
    }
}
