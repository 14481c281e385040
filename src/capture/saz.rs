//! Fiddler session archives (`.saz`): a zip holding, per session `NN`,
//! `raw/NN_c.txt` (the request as Fiddler saw it), `raw/NN_s.txt` (the
//! response) and `raw/NN_m.xml` (timers and session flags).
//!
//! This module only opens the archive and hands out each session's three
//! texts and its metadata; what the texts say about TLS is read by
//! [`crate::tls::fiddler`]. Fiddler cannot export packets: for a Fiddler
//! user, the archive is the capture.
//!
//! Bounded against hostile archives: at most [`MAX_ENTRIES`] entries, and
//! at most [`MAX_TEXT`] bytes read from any entry (however much it claims
//! or inflates to). An entry that cannot be read is counted and named, and
//! the sessions around it are still read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::file::OpenError;

/// Most entries an archive may list (a session has three).
pub const MAX_ENTRIES: usize = 3_000_000;
/// Most bytes read from one entry: a CONNECT's text and a session's flags
/// are a few KiB; other sessions' bodies are not needed.
pub const MAX_TEXT: u64 = 256 << 10;

/// The zip local-file-header magic, which a `.saz` starts with.
pub fn looks_like_zip(magic: &[u8]) -> bool {
    magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06")
}

/// One session's texts (lossy UTF-8, byte-order mark removed).
#[derive(Debug, Default)]
pub struct Session {
    /// The `NN` of its file names.
    pub number: u32,
    pub request: String,
    pub response: String,
    pub meta: Meta,
    /// The request or response text was longer than [`MAX_TEXT`] and was
    /// read only that far.
    pub request_cut: bool,
    pub response_cut: bool,
    /// Entries of this session that could not be read, and why.
    pub unreadable: Vec<String>,
}

/// What `NN_m.xml` says: the session id, timers, tunnel byte counts and
/// flags (`x-clientip`, `x-processinfo`, `https-client-version`, ...).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Meta {
    pub sid: Option<u32>,
    pub timers: BTreeMap<String, String>,
    pub flags: BTreeMap<String, String>,
    /// `TunnelInfo`: bytes from the client (`BytesEgress`), from the server
    /// (`BytesIngress`).
    pub tunnel_bytes: Option<(u64, u64)>,
}

impl Meta {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }
}

/// An open archive: its sessions, in number order.
pub struct Archive {
    name: String,
    zip: zip::ZipArchive<BufReader<File>>,
    /// Fiddler's comment: `Fiddler (v5.0.20202.18177) Session Archive ...`.
    pub comment: String,
    /// Session number → the entry index of its `_c`, `_s`, `_m` files.
    sessions: Vec<(u32, [Option<usize>; 3])>,
}

impl Archive {
    /// Opens `path` as a Fiddler archive. `Ok(None)` when it is a zip but
    /// holds no Fiddler sessions (some other archive).
    pub fn open(path: &Path) -> Result<Option<Archive>, OpenError> {
        let name = path.display().to_string();
        let fail = |reason: String| OpenError {
            name: name.clone(),
            reason,
        };
        let mut file = File::open(path).map_err(|e| fail(e.to_string()))?;
        // The entry count is checked before the zip library reads the
        // central directory into memory.
        if let Some(n) = declared_entries(&mut file).filter(|n| *n > MAX_ENTRIES as u64) {
            return Err(fail(format!(
                "a zip archive of {n} entries: more than a Fiddler archive would hold \
                 ({MAX_ENTRIES}); not read"
            )));
        }
        let zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
            let saz = name.to_ascii_lowercase().ends_with(".saz");
            fail(if saz {
                format!(
                    "a Fiddler session archive, but not a readable zip ({e}): cut short or \
                         damaged? Save the sessions again from Fiddler (File > Save > All \
                         Sessions)"
                )
            } else {
                format!("not a readable zip archive ({e})")
            })
        })?;
        let mut by_number: BTreeMap<u32, [Option<usize>; 3]> = BTreeMap::new();
        for i in 0..zip.len() {
            let Some(entry) = zip.name_for_index(i) else {
                continue;
            };
            if let Some((n, part)) = session_entry(entry) {
                let slot = by_number.entry(n).or_default();
                if let Some(s) = slot.get_mut(part) {
                    s.get_or_insert(i);
                }
            }
        }
        if by_number.values().all(|s| s[0].is_none()) {
            return Ok(None);
        }
        let comment = String::from_utf8_lossy(zip.comment()).into_owned();
        Ok(Some(Archive {
            name,
            zip,
            comment,
            sessions: by_number.into_iter().collect(),
        }))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sessions with a request text.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The `i`-th session (number order).
    pub fn session(&mut self, i: usize) -> Option<Session> {
        let &(number, parts) = self.sessions.get(i)?;
        let mut s = Session {
            number,
            ..Session::default()
        };
        let mut texts: [String; 3] = Default::default();
        for (part, index) in parts.iter().enumerate() {
            let Some(index) = *index else {
                if part == 0 {
                    s.unreadable.push(format!("raw/{number}_c.txt is missing"));
                }
                continue;
            };
            match read_entry(&mut self.zip, index) {
                Ok((text, cut)) => {
                    if let Some(t) = texts.get_mut(part) {
                        *t = text;
                    }
                    match part {
                        0 => s.request_cut = cut,
                        1 => s.response_cut = cut,
                        _ => {}
                    }
                }
                Err(why) => s.unreadable.push(why),
            }
        }
        let [request, response, meta] = texts;
        s.request = request;
        s.response = response;
        s.meta = parse_meta(&meta);
        Some(s)
    }
}

/// The entry count the end-of-central-directory record declares (the
/// zip64 one when the classic field is saturated); `None` when there is no
/// such record in the file's last 64 KiB.
fn declared_entries(file: &mut File) -> Option<u64> {
    use std::io::{Seek, SeekFrom};
    let len = file.metadata().ok()?.len();
    let tail_len = len.min(65_557);
    file.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; usize::try_from(tail_len).ok()?];
    file.read_exact(&mut tail).ok()?;
    file.seek(SeekFrom::Start(0)).ok()?;
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let u16_at = |o: usize| {
        let b: [u8; 2] = tail.get(o..o + 2)?.try_into().ok()?;
        Some(u16::from_le_bytes(b))
    };
    let classic = u16_at(at + 10)?;
    if classic != u16::MAX {
        return Some(u64::from(classic));
    }
    // The zip64 locator sits just before the classic record and points at
    // the zip64 record, whose entry count is at offset 32.
    let locator = tail.get(at.checked_sub(20)?..at)?;
    if !locator.starts_with(b"PK\x06\x07") {
        return Some(u64::from(classic));
    }
    let offset = u64::from_le_bytes(locator.get(8..16)?.try_into().ok()?);
    let mut record = [0u8; 40];
    file.seek(SeekFrom::Start(offset)).ok()?;
    let read = file.read_exact(&mut record).ok();
    file.seek(SeekFrom::Start(0)).ok()?;
    read?;
    Some(u64::from_le_bytes(record.get(32..40)?.try_into().ok()?))
}

/// `raw/04_c.txt` → (4, 0); `_s.txt` → 1; `_m.xml` → 2.
fn session_entry(name: &str) -> Option<(u32, usize)> {
    let rest = name
        .strip_prefix("raw/")
        .or_else(|| name.strip_prefix("raw\\"))?;
    let (number, kind) = rest.split_once('_')?;
    let part = match kind {
        "c.txt" => 0,
        "s.txt" => 1,
        "m.xml" => 2,
        _ => return None,
    };
    Some((number.parse().ok()?, part))
}

/// An entry's text, at most [`MAX_TEXT`] bytes of it (and whether there was
/// more).
fn read_entry(
    zip: &mut zip::ZipArchive<BufReader<File>>,
    index: usize,
) -> Result<(String, bool), String> {
    let mut entry = zip
        .by_index(index)
        .map_err(|e| format!("entry {index}: {e}"))?;
    let name = entry.name().to_string();
    let mut bytes = Vec::new();
    entry
        .by_ref()
        .take(MAX_TEXT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    let cut = bytes.len() as u64 > MAX_TEXT;
    bytes.truncate(MAX_TEXT as usize);
    let text = String::from_utf8_lossy(&bytes);
    Ok((
        text.strip_prefix('\u{feff}').unwrap_or(&text).to_string(),
        cut,
    ))
}

/// XML's five entities and numeric references.
fn unescape(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let tail = rest.get(at..).unwrap_or_default();
        let Some(end) = tail.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = tail.get(1..).unwrap_or_default();
            continue;
        };
        let entity = tail.get(1..end).unwrap_or_default();
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => out.push(c),
            None => out.push_str(tail.get(..=end).unwrap_or_default()),
        }
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// The attributes of one XML start tag's text (`N="x" V="y"`).
fn attributes(tag: &str) -> impl Iterator<Item = (&str, String)> {
    let mut rest = tag;
    std::iter::from_fn(move || {
        let eq = rest.find("=\"")?;
        let name = rest.get(..eq)?.trim();
        let after = rest.get(eq + 2..)?;
        let end = after.find('"')?;
        let value = unescape(after.get(..end)?);
        rest = after.get(end + 1..)?;
        let name = name.rsplit(char::is_whitespace).next().unwrap_or(name);
        Some((name, value))
    })
}

/// Each `<NAME ...>` tag's attribute text in `xml`.
fn tags<'a>(xml: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let open = format!("<{name} ");
    let mut rest = xml;
    std::iter::from_fn(move || {
        let at = rest.find(&open)?;
        let after = rest.get(at + open.len()..)?;
        let end = after.find('>')?;
        let tag = after.get(..end)?;
        rest = after.get(end..)?;
        Some(tag)
    })
}

/// Reads `NN_m.xml` (a flat, machine-written document: no general XML
/// parser is needed).
pub fn parse_meta(xml: &str) -> Meta {
    let mut meta = Meta::default();
    if let Some(tag) = tags(xml, "Session").next() {
        meta.sid = attributes(tag)
            .find(|(n, _)| *n == "SID")
            .and_then(|(_, v)| v.parse().ok());
    }
    if let Some(tag) = tags(xml, "SessionTimers").next() {
        meta.timers = attributes(tag).map(|(n, v)| (n.to_string(), v)).collect();
    }
    if let Some(tag) = tags(xml, "TunnelInfo").next() {
        let attr: BTreeMap<&str, String> = attributes(tag).collect();
        let num = |k: &str| attr.get(k).and_then(|v| v.parse::<u64>().ok());
        if let (Some(e), Some(i)) = (num("BytesEgress"), num("BytesIngress")) {
            meta.tunnel_bytes = Some((e, i));
        }
    }
    for tag in tags(xml, "SessionFlag") {
        let attr: BTreeMap<&str, String> = attributes(tag).collect();
        if let (Some(n), Some(v)) = (attr.get("N"), attr.get("V")) {
            // At most a few dozen flags are real; a hostile file gets 256.
            if meta.flags.len() < 256 {
                meta.flags.insert(n.clone(), v.clone());
            }
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_entries_are_recognised_by_name() {
        assert_eq!(session_entry("raw/04_c.txt"), Some((4, 0)));
        assert_eq!(session_entry("raw/12_m.xml"), Some((12, 2)));
        assert_eq!(session_entry("raw\\7_s.txt"), Some((7, 1)));
        assert_eq!(session_entry("raw/04_w.txt"), None);
        assert_eq!(session_entry("_index.htm"), None);
        assert_eq!(session_entry("raw/x_c.txt"), None);
    }

    #[test]
    fn flags_and_timers_are_read_with_entities_decoded() {
        let xml = "<?xml version=\"1.0\"?>\r\n<Session SID=\"4\" BitFlags=\"1100\">\r\n  \
                   <SessionTimers ClientConnected=\"2020-09-01T13:57:56.7015671-06:00\" />\r\n  \
                   <TunnelInfo BytesEgress=\"1456\" BytesIngress=\"1428\" />\r\n  <SessionFlags>\r\n    \
                   <SessionFlag N=\"x-processinfo\" V=\"a&amp;b &lt;c&gt; &#x41;\" />\r\n    \
                   <SessionFlag N=\"x-clientip\" V=\"127.0.0.1\" />\r\n  </SessionFlags>\r\n</Session>";
        let m = parse_meta(xml);
        assert_eq!(m.sid, Some(4));
        assert_eq!(
            m.timers.get("ClientConnected").map(String::as_str),
            Some("2020-09-01T13:57:56.7015671-06:00")
        );
        assert_eq!(m.tunnel_bytes, Some((1456, 1428)));
        assert_eq!(m.flag("x-processinfo"), Some("a&b <c> A"));
        assert_eq!(m.flag("x-clientip"), Some("127.0.0.1"));
        // Broken markup yields what can be read, never a panic.
        let m = parse_meta("<SessionFlag N=\"a\" V=\"&bogus; &");
        assert!(m.flags.is_empty());
        assert_eq!(unescape("&bogus; &"), "&bogus; &");
    }
}
