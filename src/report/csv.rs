//! `--format csv`: the connection records flattened, one row each, written
//! by the `csv` crate (RFC 4180 quoting). One row type, `Row`, makes both
//! the header and the rows, so they cannot drift apart. Lists are joined
//! with `;`, alerts as `from:level:description`.
//!
//! Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` (and, in
//! some, a tab or CR) as a formula; an SNI is chosen by whoever sends the
//! ClientHello. Unless told otherwise (`--raw-csv`), such a cell is written
//! with a leading `'`, which spreadsheets take as "text" and do not show.

use std::borrow::Cow;
use std::fmt::{Display, Write as _};
use std::io::{self, Write};

use serde::Serialize;

use super::{Report, millis};
use crate::analysis::record::ConnectionRecord;
use crate::text::WireText;
use crate::time::format_unix_secs;
use crate::tls::alert;

/// One connection, as a CSV row; the header is its field names.
#[derive(Serialize, Default)]
struct Row<'a> {
    ts: Cow<'a, str>,
    client_ip: Cow<'a, str>,
    client_port: Option<u16>,
    server_ip: Cow<'a, str>,
    server_port: Option<u16>,
    sni: Cow<'a, str>,
    record_version: Cow<'a, str>,
    legacy_version: Cow<'a, str>,
    supported_versions: Cow<'a, str>,
    max_version: Cow<'a, str>,
    cipher_suites: Cow<'a, str>,
    fallback_scsv: Option<bool>,
    alpn: Cow<'a, str>,
    sslv2_format: Option<bool>,
    version: Cow<'a, str>,
    cipher: Cow<'a, str>,
    offers_3des: Option<bool>,
    uses_3des: Option<bool>,
    alerts: Cow<'a, str>,
    outcome: Cow<'a, str>,
    handshake_ms: Cow<'a, str>,
    hello_retry_request: Option<bool>,
    resumed: Option<bool>,
    reset_by: Cow<'a, str>,
    reason: Cow<'a, str>,
    stage: Cow<'a, str>,
    closed_by: Cow<'a, str>,
    readiness: Cow<'a, str>,
    app: Cow<'a, str>,
    /// SQL Server: what the PRELOGIN options amount to (`full`,
    /// `login_only`, `none`, `refused`) and how the LOGIN7 went.
    tds_encryption: Cow<'a, str>,
    tds_login: Cow<'a, str>,
    /// The server certificate's leaf (when it was in clear), and its
    /// findings at capture time, `;`-joined.
    cert_subject_cn: Cow<'a, str>,
    cert_issuer_cn: Cow<'a, str>,
    cert_not_after: Cow<'a, str>,
    cert_sha256: Cow<'a, str>,
    cert_findings: Cow<'a, str>,
    /// The outermost tunnel (`vxlan`, `gre`, ...), its id and outer
    /// addresses in the client's direction.
    tunnel: Cow<'a, str>,
    tunnel_id: Option<u32>,
    tunnel_outer_client: Cow<'a, str>,
    tunnel_outer_server: Cow<'a, str>,
    /// `capture` or `fiddler`; for Fiddler sessions, whose handshake the
    /// server side describes, and the client's process.
    source: Cow<'a, str>,
    server_hello_from: Cow<'a, str>,
    process: Cow<'a, str>,
    /// `tcp`, `quic` or `dtls`, and the QUIC version.
    transport: Cow<'a, str>,
    quic_version: Cow<'a, str>,
    /// `--sensor`: which tlssniff saw the connection (last, so that
    /// columns read by position keep their place).
    sensor: Cow<'a, str>,
}

/// Does a spreadsheet take a cell beginning like this for a formula?
fn is_formula(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// Builds rows, guarding against formulas or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cells {
    /// Prefix `'` to cells that would be run as formulas.
    pub formula_guard: bool,
}

impl Cells {
    fn text<'a>(&self, s: impl Into<Cow<'a, str>>) -> Cow<'a, str> {
        let s = s.into();
        if self.formula_guard && is_formula(&s) {
            Cow::Owned(format!("'{s}"))
        } else {
            s
        }
    }

    fn shown<'a, T: Display>(&self, v: Option<T>) -> Cow<'a, str> {
        v.map_or(Cow::Borrowed(""), |v| self.text(v.to_string()))
    }

    fn wire<'a>(&self, t: Option<&'a WireText>) -> Cow<'a, str> {
        t.map_or(Cow::Borrowed(""), |t| self.text(t.lossy()))
    }

    fn list<'a, T: Display>(&self, items: impl IntoIterator<Item = T>) -> Cow<'a, str> {
        let mut s = String::new();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            let _ = write!(s, "{item}");
        }
        self.text(s)
    }

    fn row<'a>(&self, rec: &'a ConnectionRecord, sensor: &'a str) -> Row<'a> {
        let ch = rec.client_hello.as_deref();
        let tds = rec.tds.as_deref();
        let leaf = rec.leaf();
        Row {
            ts: self.text(rec.ts.to_string()),
            client_ip: self.text(rec.client.ip.to_string()),
            client_port: Some(rec.client.port),
            server_ip: self.text(rec.server.ip.to_string()),
            server_port: Some(rec.server.port),
            sni: self.wire(rec.sni()),
            record_version: self.shown(
                ch.filter(|_| rec.fiddler.is_none())
                    .map(|c| c.record_version),
            ),
            legacy_version: self.shown(ch.map(|c| c.legacy_version)),
            supported_versions: ch
                .and_then(|c| c.supported_versions.as_ref())
                .map_or(Cow::Borrowed(""), |v| self.list(v)),
            max_version: self.shown(rec.max_offered()),
            cipher_suites: ch.map_or(Cow::Borrowed(""), |c| self.list(&c.cipher_suites)),
            fallback_scsv: ch.map(|c| c.fallback_scsv()),
            alpn: ch
                .and_then(|c| c.alpn.as_ref())
                .map_or(Cow::Borrowed(""), |a| {
                    self.list(a.iter().map(|t| t.lossy()))
                }),
            sslv2_format: ch.map(|c| c.sslv2_format),
            version: self.shown(rec.version()),
            cipher: self.shown(rec.cipher),
            offers_3des: Some(rec.offers_3des()),
            uses_3des: Some(rec.uses_3des()),
            alerts: self.list(rec.alerts.iter().map(|a| {
                format!(
                    "{}:{}:{}",
                    a.from.as_str(),
                    alert::level_name(a.level),
                    alert::description_label(a.description)
                )
            })),
            outcome: self.text(rec.outcome.as_str()),
            handshake_ms: self.shown(rec.handshake.map(millis)),
            hello_retry_request: Some(rec.hello_retry),
            resumed: rec.resumed,
            reset_by: self.text(rec.reset_by.map_or("", |r| r.as_str())),
            reason: self.shown(rec.failure_reason()),
            stage: self.text(rec.stage.as_str()),
            closed_by: self.text(rec.closed_by.map_or("", |r| r.as_str())),
            readiness: self.text(rec.readiness.as_str()),
            app: self.text(rec.app().unwrap_or("")),
            tds_encryption: self.text(tds.and_then(|t| t.encryption()).map_or("", |e| e.as_str())),
            tds_login: self.text(tds.and_then(|t| t.login).map_or("", |l| l.as_str())),
            cert_subject_cn: self.wire(leaf.and_then(|l| l.subject_cn.as_ref())),
            cert_issuer_cn: self.wire(leaf.and_then(|l| l.issuer_cn.as_ref())),
            cert_not_after: self.shown(leaf.map(|l| format_unix_secs(l.not_after))),
            cert_sha256: self.text(leaf.map_or("", |l| l.sha256.as_str())),
            cert_findings: self.list(rec.certificate_findings.keys()),
            tunnel: self.text(rec.tunnel.map_or("", |t| t.kind.as_str())),
            tunnel_id: rec.tunnel.and_then(|t| t.id),
            tunnel_outer_client: self.shown(rec.tunnel.and_then(|t| t.outer).map(|(c, _)| c)),
            tunnel_outer_server: self.shown(rec.tunnel.and_then(|t| t.outer).map(|(_, s)| s)),
            source: Cow::Borrowed(rec.source()),
            server_hello_from: Cow::Borrowed(
                rec.fiddler
                    .as_ref()
                    .and_then(|f| f.server_hello_from)
                    .map_or("", |f| f.as_str()),
            ),
            process: self.wire(rec.fiddler.as_ref().and_then(|f| f.process.as_ref())),
            transport: Cow::Borrowed(rec.transport()),
            quic_version: self.shown(rec.quic.and_then(|q| q.version).map(|v| v.name())),
            sensor: self.text(sensor),
        }
    }

    /// Appends one record as a CSV row.
    pub fn encode(&self, rec: &ConnectionRecord, sensor: &str, out: &mut Vec<u8>) {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .buffer_capacity(1024)
            .from_writer(out);
        // Writing into a Vec cannot fail.
        let _ = w.serialize(self.row(rec, sensor));
        let _ = w.flush();
    }
}

/// The header line, as the `csv` crate derives it from `Row`.
pub fn header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.serialize(Row::default());
    let bytes = w.into_inner().unwrap_or_default();
    let end = bytes.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default().to_vec()
}

pub struct Csv<W: Write> {
    out: W,
    flush_each: bool,
    wrote_header: bool,
    cells: Cells,
    sensor: std::sync::Arc<str>,
    line: Vec<u8>,
}

impl<W: Write> Csv<W> {
    pub fn new(out: W, flush_each: bool, cells: Cells, sensor: &str) -> Self {
        Csv {
            out,
            flush_each,
            wrote_header: false,
            cells,
            sensor: sensor.into(),
            line: Vec::new(),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.wrote_header {
            self.wrote_header = true;
            self.out.write_all(&header())?;
        }
        Ok(())
    }
}

impl<W: Write> Report for Csv<W> {
    fn record(&mut self, rec: &ConnectionRecord) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.cells.encode(rec, &self.sensor, &mut line);
        let r = self.encoded(&line);
        self.line = line;
        r
    }

    fn encoder(&self) -> Option<super::Encoder> {
        Some(super::Encoder {
            lines: super::Lines::Csv(self.cells),
            sensor: self.sensor.clone(),
        })
    }

    fn encoded(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.header()?;
        self.out.write_all(bytes)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self, _model: &super::model::Model<'_>) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_row_type() {
        let h = String::from_utf8(header()).unwrap();
        assert!(h.starts_with("ts,client_ip,client_port,server_ip,server_port,sni,"));
        assert!(h.ends_with(
            ",readiness,app,tds_encryption,tds_login,cert_subject_cn,cert_issuer_cn,\
             cert_not_after,cert_sha256,cert_findings,tunnel,tunnel_id,tunnel_outer_client,\
             tunnel_outer_server,source,server_hello_from,process,transport,quic_version,sensor\n"
        ));
        assert_eq!(h.matches(',').count(), 45);
    }

    #[test]
    fn formula_cells_get_a_quote_unless_raw() {
        let guarded = Cells {
            formula_guard: true,
        };
        let raw = Cells {
            formula_guard: false,
        };
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guarded.text(s), format!("'{s}"));
            assert_eq!(raw.text(s), s);
        }
        assert_eq!(guarded.text("portal.example.test"), "portal.example.test");
    }
}
