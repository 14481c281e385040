//! Text from the wire: names a peer chose (SNI, ALPN; later certificate
//! names), kept as the bytes they were.
//!
//! A [`WireText`] is data, never markup or terminal control: it has no
//! `Display`, so it cannot reach an output by accident. Each sink decides
//! how to show it — the table escapes it (`report::escape`), JSON and CSV
//! take its Unicode text, in which bytes that are not UTF-8 become U+FFFD
//! (and jsonl adds the exact bytes in hex).

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireText(Box<[u8]>);

impl WireText {
    pub fn new(bytes: &[u8]) -> WireText {
        WireText(bytes.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, with U+FFFD for each byte sequence that is not UTF-8.
    pub fn lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    pub fn is_utf8(&self) -> bool {
        std::str::from_utf8(&self.0).is_ok()
    }

    /// The bytes in lowercase hex (`6832` for `h2`).
    pub fn hex(&self) -> String {
        use fmt::Write as _;
        let mut s = String::with_capacity(self.0.len() * 2);
        for b in self.0.iter() {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl From<&str> for WireText {
    fn from(s: &str) -> Self {
        WireText::new(s.as_bytes())
    }
}

impl fmt::Debug for WireText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.lossy())
    }
}

/// As a JSON string: the Unicode text (see [`WireText::lossy`]).
impl Serialize for WireText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_kept_and_shown_lossily_only_on_request() {
        let t = WireText::new(b"a\xffb");
        assert_eq!(t.as_bytes(), b"a\xffb");
        assert!(!t.is_utf8());
        assert_eq!(t.lossy(), "a\u{fffd}b");
        assert_eq!(t.hex(), "61ff62");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"a\u{fffd}b\"");
    }
}
