//! A cursor over wire bytes: every read is checked, so parsing code never
//! indexes a slice and never panics. (The shape follows rustls' `codec::Reader`.)

#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }

    /// Up to `n` bytes: all of them if fewer remain.
    pub fn take_up_to(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.buf.len());
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        head
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    pub fn u24(&mut self) -> Option<u32> {
        self.array::<3>()
            .map(|[a, b, c]| u32::from_be_bytes([0, a, b, c]))
    }

    /// A sub-reader over the next `n` bytes.
    pub fn sub(&mut self, n: usize) -> Option<Reader<'a>> {
        self.take(n).map(Reader::new)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// A fixed-size header filled across pushes (a record header, a handshake
/// message header, an alert, the first bytes of a stream): streams arrive in
/// pieces of any size, so a header may straddle two of them.
#[derive(Debug, Clone, Copy)]
pub struct Partial<const N: usize> {
    bytes: [u8; N],
    /// Bytes held (N is a header's size: a handful of bytes).
    len: u8,
}

impl<const N: usize> Default for Partial<N> {
    fn default() -> Self {
        Partial {
            bytes: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Partial<N> {
    /// Takes from `data` what is still missing; returns the header once
    /// whole (and starts over), and the rest of `data`.
    pub fn fill<'a>(&mut self, data: &'a [u8]) -> (Option<[u8; N]>, &'a [u8]) {
        let held = usize::from(self.len);
        let (now, rest) = data.split_at(N.saturating_sub(held).min(data.len()));
        if let Some(dst) = self.bytes.get_mut(held..held + now.len()) {
            dst.copy_from_slice(now);
        }
        let held = held + now.len();
        self.len = u8::try_from(held).unwrap_or(u8::MAX);
        if held < N {
            return (None, rest);
        }
        self.len = 0;
        (Some(self.bytes), rest)
    }

    /// Holds the first `N - 1` bytes of `data` (short of a whole header).
    pub fn set(&mut self, data: &[u8]) {
        self.len = 0;
        let keep = data.len().min(N.saturating_sub(1));
        let _ = self.fill(data.get(..keep).unwrap_or_default());
    }

    /// The bytes held, emptying it.
    pub fn take(&mut self) -> ([u8; N], usize) {
        let held = (self.bytes, usize::from(self.len));
        self.len = 0;
        held
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let mut r = Reader::new(&[1, 2, 3, 4]);
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u24(), Some(0x020304));
        assert_eq!(r.u8(), None);
        let mut r = Reader::new(&[0, 5, 1]);
        assert_eq!(r.u16(), Some(5));
        assert!(r.sub(5).is_none());
        assert_eq!(r.take_up_to(5), &[1]);
    }
}
