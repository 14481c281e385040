//! `-w FILE` / `--write-legacy FILE`: the packets of the handshakes the
//! report lists, as pcapng — evidence to attach to a ticket or open in
//! Wireshark.
//!
//! The writer is a plain pcapng producer (pcapng draft, §4.1 Section
//! Header, §4.2 Interface Description, §4.3 Enhanced Packet): one interface
//! per link type met, nanosecond timestamps (`if_tsresol` 9), the packet's
//! captured bytes and original length unchanged, and a comment on the first
//! packet of each connection saying what tlssniff found. Comments are
//! ASCII-safe: a name from the wire cannot put control characters into
//! Wireshark's packet list.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::capture::LinkType;
use crate::time::Timestamp;

use crate::capture::file::{
    PCAPNG_BOM as BOM, PCAPNG_EPB as EPB, PCAPNG_IDB as IDB, PCAPNG_SHB as SHB,
};

const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_TSRESOL: u16 = 9;

/// Bytes to pad `n` to a multiple of four.
fn pad(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend(code.to_le_bytes());
    out.extend((value.len().min(u16::MAX as usize) as u16).to_le_bytes());
    let value = value
        .get(..value.len().min(u16::MAX as usize))
        .unwrap_or(value);
    out.extend(value);
    out.extend(std::iter::repeat_n(0, pad(value.len())));
}

/// A block of `kind` around `body` (which is already padded).
fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = (body.len() + 12) as u32;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

/// A text safe for a pcapng comment: printable ASCII, everything else as
/// `\xNN` (or `\u{...}` for other characters).
pub fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

pub struct PcapngWriter<W: Write> {
    out: W,
    interfaces: BTreeMap<u32, u32>,
    pub packets: u64,
}

impl<W: Write> PcapngWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut body = Vec::new();
        body.extend(BOM.to_le_bytes());
        body.extend(1u16.to_le_bytes());
        body.extend(0u16.to_le_bytes());
        body.extend((-1i64).to_le_bytes());
        let app = format!("tlssniff {}", env!("CARGO_PKG_VERSION"));
        option(&mut body, SHB_USERAPPL, app.as_bytes());
        option(&mut body, OPT_END, &[]);
        block(&mut out, SHB, &body)?;
        Ok(PcapngWriter {
            out,
            interfaces: BTreeMap::new(),
            packets: 0,
        })
    }

    fn interface(&mut self, link: LinkType) -> io::Result<u32> {
        if let Some(id) = self.interfaces.get(&link.0) {
            return Ok(*id);
        }
        let id = self.interfaces.len() as u32;
        let mut body = Vec::new();
        body.extend((link.0 as u16).to_le_bytes());
        body.extend(0u16.to_le_bytes());
        body.extend(0u32.to_le_bytes());
        option(&mut body, IF_TSRESOL, &[9]);
        option(&mut body, OPT_END, &[]);
        block(&mut self.out, IDB, &body)?;
        self.interfaces.insert(link.0, id);
        Ok(id)
    }

    /// Writes one packet as captured, with an optional comment.
    pub fn packet(
        &mut self,
        link: LinkType,
        ts: Timestamp,
        data: &[u8],
        orig_len: u32,
        comment: Option<&str>,
    ) -> io::Result<()> {
        let id = self.interface(link)?;
        let mut body = Vec::with_capacity(data.len() + 64);
        body.extend(id.to_le_bytes());
        body.extend(((ts.0 >> 32) as u32).to_le_bytes());
        body.extend((ts.0 as u32).to_le_bytes());
        body.extend((data.len() as u32).to_le_bytes());
        body.extend(orig_len.max(data.len() as u32).to_le_bytes());
        body.extend(data);
        body.extend(std::iter::repeat_n(0, pad(data.len())));
        if let Some(c) = comment {
            option(&mut body, OPT_COMMENT, comment_text(c).as_bytes());
            option(&mut body, OPT_END, &[]);
        }
        block(&mut self.out, EPB, &body)?;
        self.packets += 1;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_hold_printable_ascii_only() {
        assert_eq!(comment_text("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(comment_text("é\u{202e}"), "\\xe9\\u{202e}");
    }

    #[test]
    fn blocks_are_padded_and_framed_by_their_length() {
        let mut buf = Vec::new();
        let mut w = PcapngWriter::new(&mut buf).unwrap();
        w.packet(LinkType(1), Timestamp(5), &[1, 2, 3], 60, Some("x"))
            .unwrap();
        w.finish().unwrap();
        // Walk the blocks by their lengths: each ends with its own length.
        let mut at = 0;
        let mut kinds = Vec::new();
        while at < buf.len() {
            let kind = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(buf[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0);
            let end = u32::from_le_bytes(buf[at + len - 4..at + len].try_into().unwrap());
            assert_eq!(end as usize, len);
            kinds.push(kind);
            at += len;
        }
        assert_eq!(kinds, [SHB, IDB, EPB]);
    }
}
