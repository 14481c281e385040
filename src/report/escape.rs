//! Making text safe for the sink that shows it.
//!
//! Names from the wire are chosen by strangers and read by an operator,
//! often as root, on a terminal that obeys escape sequences. Every string
//! the table prints passes through [`terminal`] (or [`terminal_bytes`] for
//! bytes that may not be UTF-8): a character that could move the cursor,
//! change the title, clear the screen or reorder what is shown is printed as
//! an escape instead —
//!
//! - C0 controls, DEL and bytes that are not UTF-8: `\x1b`, `\x7f`, `\xff`;
//! - C1 controls (U+0080–U+009F), format characters (general category Cf:
//!   the bidi embeddings, overrides and isolates U+202A–U+202E and
//!   U+2066–U+2069, zero-width characters, the BOM, tag characters, ...)
//!   and the line and paragraph separators U+2028/U+2029: `\u{202e}`;
//! - the backslash itself: `\\`, so that an escape is never ambiguous.
//!
//! Everything else is shown as it is. [`cut`] shortens a shown string to a
//! display width (East Asian wide characters count two columns) with an
//! ellipsis. JSON output keeps strings exact but writes these same
//! characters as `\uXXXX` escapes ([`JsonSafe`]), so that a jsonl file
//! `cat` to a terminal cannot drive it either.

use std::fmt::Write as _;
use std::io;

use unicode_width::UnicodeWidthChar;

/// Format characters (Unicode general category Cf) and the line and
/// paragraph separators: invisible, and some reorder the text around them.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00ad
        | 0x0600..=0x0605
        | 0x061c
        | 0x06dd
        | 0x070f
        | 0x0890..=0x0891
        | 0x08e2
        | 0x180e
        | 0x200b..=0x200f
        | 0x2028..=0x202e
        | 0x2060..=0x2064
        | 0x2066..=0x206f
        | 0xfeff
        | 0xfff9..=0xfffb
        | 0x110bd
        | 0x110cd
        | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a
        | 0xe0001
        | 0xe0020..=0xe007f)
}

/// Must this character be escaped before it reaches a terminal?
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        c if (c as u32) < 0x80 && c.is_control() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `s`, safe for a terminal.
pub fn terminal(s: &str) -> String {
    if !s.chars().any(|c| c == '\\' || needs_escape(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_char(&mut out, c);
    }
    out
}

/// `bytes` (perhaps not UTF-8), safe for a terminal.
pub fn terminal_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Columns `s` takes on a terminal (an escaped string: no controls).
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `s` cut to at most `max` columns, ending in `…` when cut. An escape
/// sequence is never cut in half.
pub fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        // An escape sequence (`\x1b`, `\u{202e}`, `\\`) goes whole or not at all.
        let piece_len = match rest.strip_prefix('\\') {
            Some(after) if after.starts_with("u{") => {
                after.find('}').map_or(c.len_utf8(), |i| i + 2)
            }
            Some(after) if after.starts_with('x') => 4.min(rest.len()),
            Some(_) => 2.min(rest.len()),
            None => c.len_utf8(),
        };
        let (piece, tail) = rest.split_at(piece_len);
        let w = width(piece);
        if used + w + 1 > max {
            break;
        }
        out.push_str(piece);
        used += w;
        rest = tail;
    }
    out.push('…');
    out
}

/// Text (already made terminal-safe by [`terminal`]) as Markdown that
/// shows exactly that text: every ASCII character Markdown or the HTML it
/// may carry gives a meaning to (`<`, `>`, `&`, `|`, `*`, `_`, `` ` ``,
/// `[`, `]`, `~`, `\`, `!`) is backslash-escaped (CommonMark allows it for
/// any ASCII punctuation), so no name from the wire opens a tag, a link,
/// an emphasis or a table cell.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '<' | '>' | '&' | '|' | '*' | '_' | '`' | '[' | ']' | '~' | '\\' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A line of free Markdown text: [`markdown`], and a first character that
/// would start a heading, list, quote or rule escaped too.
pub fn markdown_line(s: &str) -> String {
    let body = markdown(s);
    match body.chars().next() {
        Some('#' | '-' | '+' | '=') => format!("\\{body}"),
        // `1.` or `1)` opens an ordered list: escape its punctuation.
        Some('0'..='9') => {
            let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            match body.get(digits..digits + 1) {
                Some("." | ")") => format!("{}\\{}", &body[..digits], &body[digits..]),
                _ => body,
            }
        }
        _ => body,
    }
}

/// Every byte below DEL (so ASCII, and nothing [`needs_escape`] beyond what
/// serde_json escapes itself), checked a word at a time: a byte `b` is
/// below 0x7f exactly when neither `b` nor `b + 1` has its high bit set.
pub fn plain_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    for w in words.by_ref() {
        let x = u64::from_le_bytes(w.try_into().unwrap_or([0xff; 8]));
        if (x | x.wrapping_add(ONES)) & HIGH != 0 {
            return false;
        }
    }
    words.remainder().iter().all(|b| *b < 0x7f)
}

/// A serde_json formatter that writes DEL, C1 controls and the invisible
/// characters of [`needs_escape`] as `\uXXXX` (serde_json already escapes
/// C0 controls): the JSON value is exactly the same string, and the bytes
/// of the file hold no character that drives a terminal.
pub struct JsonSafe<F>(pub F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for JsonSafe<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Fast path: nearly every string written is one of ours.
        if plain_ascii(fragment.as_bytes()) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                writer.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }

    // The rest delegates to the wrapped formatter (compact or pretty).
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` as compact, terminal-safe JSON, appended to `out`. `plain`:
/// the caller knows that every string in `value` is [`plain_ascii`] (the
/// names from the wire were checked; the rest are tlssniff's own), so the
/// per-string check can be skipped — the bytes are the same.
pub fn json_line<T: serde::Serialize>(
    value: &T,
    plain: bool,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    if plain {
        return serde_json::to_writer(out, value);
    }
    let mut ser = serde_json::Serializer::with_formatter(
        &mut *out,
        JsonSafe(serde_json::ser::CompactFormatter),
    );
    value.serialize(&mut ser)
}

/// `value` as pretty-printed, terminal-safe JSON.
pub fn json_pretty<T: serde::Serialize, W: io::Write>(value: &T, out: W) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        JsonSafe(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_bad_bytes_are_escaped() {
        assert_eq!(terminal_bytes(b"a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(terminal_bytes(b"\x7f\xff\xc2"), "\\x7f\\xff\\xc2");
        assert_eq!(terminal("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(terminal("abc\u{202e}gpj.exe"), "abc\\u{202e}gpj.exe");
        assert_eq!(terminal("a\\x1b"), "a\\\\x1b");
        assert_eq!(terminal("portal.example.test"), "portal.example.test");
        assert_eq!(terminal("bücher.例え.jp"), "bücher.例え.jp");
    }

    #[test]
    fn cut_counts_columns_and_keeps_escapes_whole() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdefg", 6), "abcde…");
        assert_eq!(cut("例え例え", 5), "例え…");
        assert_eq!(cut("ab\\x1bcd", 5), "ab…");
        assert_eq!(cut("a\\u{202e}bcdefghijk", 10), "a\\u{202e}…");
        assert!(width(&cut("xxxxxxxxxxxxxxxxxxxx", 7)) <= 7);
    }

    #[test]
    fn the_word_check_agrees_with_the_byte_check() {
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut v = vec![b'a'; 20];
                v[at] = b;
                assert_eq!(plain_ascii(&v), b < 0x7f, "{b:#x} at {at}");
            }
        }
        assert!(plain_ascii(b""));
    }

    #[test]
    fn json_stays_exact_and_terminal_safe() {
        let s = "a\u{1b}\u{7f}\u{9b}\u{202e}\u{e0041}z";
        let mut out = Vec::new();
        json_line(&s, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "\"a\\u001b\\u007f\\u009b\\u202e\\udb40\\udc41z\"");
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}
