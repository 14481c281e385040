//! The search for where TLS begins after a plaintext preamble: the first
//! record that opens a TLS handshake with a hello, or is a cleartext alert
//! ([`find_tls_start`]), wherever the pieces of the stream happen to split
//! it.

use crate::tls::reader::Partial;
use crate::tls::record::find_tls_start;

/// What a piece of the stream showed.
pub enum Match<'a> {
    /// TLS starts here: first `tail` (bytes held back from earlier pieces;
    /// `(bytes, len)`), then `rest` of this piece.
    Tls {
        tail: ([u8; 6], usize),
        rest: &'a [u8],
    },
    /// Not in what has been seen so far.
    NotYet,
}

/// The search state: the end of the previous piece, where a match may begin.
#[derive(Debug, Default)]
pub struct Search {
    /// At most five bytes: a match needs six.
    tail: Partial<6>,
}

impl Search {
    pub fn find<'a>(&mut self, data: &'a [u8]) -> Match<'a> {
        if !self.tail.is_empty() {
            let (held, held_len) = self.tail.take();
            let mut joint = [0u8; 11];
            let joint = copy_joined(&mut joint, held.get(..held_len).unwrap_or_default(), data);
            match find_tls_start(joint) {
                Some(i) if i < held_len => {
                    let mut tail = [0u8; 6];
                    let from = joint.get(i..held_len).unwrap_or_default();
                    if let Some(dst) = tail.get_mut(..from.len()) {
                        dst.copy_from_slice(from);
                    }
                    return Match::Tls {
                        tail: (tail, from.len()),
                        rest: data,
                    };
                }
                Some(_) => {}
                None if data.len() < 5 => {
                    // Still too short to decide; keep the last five bytes.
                    self.keep_tail(joint);
                    return Match::NotYet;
                }
                None => {}
            }
        }
        match find_tls_start(data) {
            Some(i) => Match::Tls {
                tail: ([0; 6], 0),
                rest: data.get(i..).unwrap_or_default(),
            },
            None => {
                self.keep_tail(data);
                Match::NotYet
            }
        }
    }

    /// Keeps the last five bytes of `data`: a match needs six.
    fn keep_tail(&mut self, data: &[u8]) {
        let (_, tail) = data.split_at(data.len().saturating_sub(5));
        self.tail.set(tail);
    }
}

/// `a` followed by the first bytes of `b`, in `buf`, as far as it holds.
fn copy_joined<'b>(buf: &'b mut [u8], a: &[u8], b: &[u8]) -> &'b [u8] {
    let mut n = 0;
    for &byte in a.iter().chain(b) {
        let Some(slot) = buf.get_mut(n) else {
            break;
        };
        *slot = byte;
        n += 1;
    }
    buf.get(..n).unwrap_or_default()
}
