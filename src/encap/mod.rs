//! Encapsulation: where, in one direction of a TCP stream, the TLS stream
//! is — the step between TCP reassembly (`flow`) and the TLS record layer
//! (`tls`).
//!
//! TLS is not always the first byte of a connection. STARTTLS (SMTP, POP3,
//! IMAP, LDAP, IRC), PostgreSQL's SSLRequest, MySQL's SSL capability, an
//! RDP X.224 negotiation, an HTTP CONNECT or a SOCKS handshake put a
//! plaintext preamble first; a capture may start in the middle of a
//! connection. [`Unwrap`] passes on the TLS stream's bytes, and only those,
//! to a [`Sink`] — the bytes from the first byte when the stream opens with a
//! TLS or SSL 2.0 record, or from the first record that opens a TLS
//! handshake (a hello) or is a cleartext alert, found by the `preamble`
//! search — or, when the direction opens with a TDS PRELOGIN (SQL Server),
//! the TLS bytes that the TDS packets carry ([`tds`]).
//!
//! It recognises TLS by the record shapes `tls::record` and `tls::sslv2`
//! define; it parses nothing of TLS itself. Pure, like the stages around it:
//! bytes in, bytes out, no clock, no panic on any input.

mod preamble;
pub mod tds;

use crate::flow::reassembly::Sink;
use crate::tls::reader::Partial;
use crate::tls::record::is_record_header;
use crate::tls::sslv2;

/// Where the TLS stream was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// At the start of the stream.
    Start,
    /// After a plaintext preamble (STARTTLS, CONNECT, SOCKS, RDP, ...), or
    /// in a stream the capture joined late.
    AfterPreamble,
    /// Inside SQL Server TDS PRELOGIN packets, then bare.
    Tds,
}

#[derive(Debug)]
enum State {
    /// Waiting for the first bytes.
    Detect(Partial<6>),
    /// Searching for the start of TLS.
    Search(preamble::Search),
    /// In the TLS stream: everything passes.
    Tls(Found),
    /// A TDS PRELOGIN exchange: TDS packets in, the TLS they carry out.
    Tds(Box<tds::Framing>),
    /// No TLS within the bytes searched.
    Stopped,
}

/// One direction: its stream's bytes in, the TLS stream's bytes out.
#[derive(Debug)]
pub struct Unwrap {
    state: State,
    searched: u64,
    max_search: u64,
}

impl Unwrap {
    /// Searches at most `max_search` bytes for the start of TLS.
    pub fn new(max_search: usize) -> Unwrap {
        Unwrap {
            state: State::Detect(Partial::default()),
            searched: 0,
            max_search: max_search as u64,
        }
    }

    /// Where TLS was found, once it was.
    pub fn found(&self) -> Option<Found> {
        match &self.state {
            State::Tls(found) => Some(*found),
            State::Tds(f) if f.is_tds() => Some(Found::Tds),
            _ => None,
        }
    }

    /// What the TDS framing showed, once the direction proved to be TDS.
    pub fn tds(&self) -> Option<&tds::Facts> {
        match &self.state {
            State::Tds(f) if f.is_tds() => Some(f.facts()),
            _ => None,
        }
    }

    /// Gave up: no TLS in the bytes it may search, or no more TDS to read.
    pub fn is_stopped(&self) -> bool {
        match &self.state {
            State::Stopped => true,
            State::Tds(f) => f.is_done(),
            _ => false,
        }
    }

    /// The next in-order bytes of the direction.
    pub fn push(&mut self, data: &[u8], sink: &mut impl Sink) {
        match &mut self.state {
            State::Tls(_) => sink.data(data),
            State::Detect(head) => {
                let (head, rest) = head.fill(data);
                let Some(head) = head else {
                    return;
                };
                if is_record_header(&head) || sslv2::is_record(&head, false) {
                    self.state = State::Tls(Found::Start);
                    sink.data(&head);
                    sink.data(rest);
                } else if tds::is_prelogin_start(&head) {
                    self.state = State::Tds(Box::default());
                    self.unframe(&head, sink);
                    self.unframe(rest, sink);
                } else {
                    self.state = State::Search(preamble::Search::default());
                    self.search(&head, sink);
                    self.search(rest, sink);
                }
            }
            State::Search(_) => self.search(data, sink),
            State::Tds(_) => self.unframe(data, sink),
            State::Stopped => {}
        }
    }

    fn unframe(&mut self, data: &[u8], sink: &mut impl Sink) {
        let State::Tds(framing) = &mut self.state else {
            // The first bytes proved not to be TDS: searched instead.
            return self.search(data, sink);
        };
        if let tds::Verdict::NotTds(taken) = framing.push(data, sink) {
            self.state = State::Search(preamble::Search::default());
            self.search(&taken, sink);
        }
    }

    /// `n` bytes of the direction that the capture did not keep.
    pub fn gap(&mut self, n: u32, sink: &mut impl Sink) {
        match &mut self.state {
            State::Tls(_) => sink.gap(n),
            State::Tds(framing) => framing.gap(n, sink),
            State::Detect(_) | State::Search(_) => {
                // Whatever was being matched is lost: look afresh after it.
                self.state = State::Search(preamble::Search::default());
                self.count(u64::from(n));
            }
            State::Stopped => {}
        }
    }

    fn search(&mut self, data: &[u8], sink: &mut impl Sink) {
        let State::Search(search) = &mut self.state else {
            if let State::Tls(_) = self.state {
                sink.data(data);
            }
            return;
        };
        match search.find(data) {
            preamble::Match::Tls { tail, rest } => {
                self.state = State::Tls(Found::AfterPreamble);
                let (held, len) = tail;
                sink.data(held.get(..len).unwrap_or_default());
                sink.data(rest);
            }
            preamble::Match::NotYet => self.count(data.len() as u64),
        }
    }

    fn count(&mut self, n: u64) {
        self.searched = self.searched.saturating_add(n);
        if self.searched >= self.max_search {
            self.state = State::Stopped;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that keeps what it is given (also for `tds`'s tests).
    #[derive(Default)]
    pub(super) struct Collect {
        pub bytes: Vec<u8>,
        pub gaps: u32,
    }

    impl Sink for Collect {
        fn data(&mut self, bytes: &[u8]) {
            self.bytes.extend_from_slice(bytes);
        }
        fn gap(&mut self, n: u32) {
            self.gaps += n;
        }
    }

    const ALERT: [u8; 7] = [0x15, 3, 1, 0, 2, 2, 70];

    fn unwrap_in_pieces(stream: &[u8], piece: usize) -> (Collect, Option<Found>) {
        let mut u = Unwrap::new(1 << 16);
        let mut out = Collect::default();
        for chunk in stream.chunks(piece) {
            u.push(chunk, &mut out);
        }
        (out, u.found())
    }

    #[test]
    fn tls_from_the_first_byte_passes_whole() {
        for piece in 1..=ALERT.len() {
            let (out, found) = unwrap_in_pieces(&ALERT, piece);
            assert_eq!(out.bytes, ALERT, "pieces of {piece}");
            assert_eq!(found, Some(Found::Start));
        }
    }

    #[test]
    fn a_plaintext_preamble_is_left_out_in_pieces_of_any_size() {
        let mut stream = b"220 2.0.0 Ready to start TLS\r\n".to_vec();
        stream.extend(ALERT);
        for piece in 1..=stream.len() {
            let (out, found) = unwrap_in_pieces(&stream, piece);
            assert_eq!(out.bytes, ALERT, "pieces of {piece}");
            assert_eq!(found, Some(Found::AfterPreamble));
        }
    }

    #[test]
    fn the_search_gives_up_at_its_limit() {
        let mut u = Unwrap::new(100);
        let mut out = Collect::default();
        u.push(&[b'x'; 99], &mut out);
        assert!(!u.is_stopped());
        u.push(&[b'x'; 2], &mut out);
        assert!(u.is_stopped());
        u.push(&ALERT, &mut out);
        assert!(out.bytes.is_empty());
    }

    #[test]
    fn gaps_pass_only_inside_tls() {
        let mut u = Unwrap::new(1 << 16);
        let mut out = Collect::default();
        u.gap(10, &mut out);
        u.push(&ALERT, &mut out);
        u.gap(5, &mut out);
        assert_eq!((out.bytes.as_slice(), out.gaps), (&ALERT[..], 5));
    }
}
