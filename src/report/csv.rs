//! `--format csv`: the connection records flattened, one row each (RFC 4180
//! quoting). Lists are joined with `;`, alerts as `from:level:description`.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Report, millis};
use crate::analysis::record::ConnectionRecord;
use crate::tls::alert;

pub const HEADER: &str = "ts,client_ip,client_port,server_ip,server_port,sni,\
record_version,legacy_version,supported_versions,max_version,cipher_suites,fallback_scsv,\
alpn,sslv2_format,version,cipher,offers_3des,uses_3des,alerts,outcome,handshake_ms,\
hello_retry_request,resumed,reset_by,reason";

pub struct Csv<W: Write> {
    out: W,
    flush_each: bool,
    wrote_header: bool,
    line: String,
}

impl<W: Write> Csv<W> {
    pub fn new(out: W, flush_each: bool) -> Self {
        Csv {
            out,
            flush_each,
            wrote_header: false,
            line: String::new(),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.wrote_header {
            self.wrote_header = true;
            writeln!(self.out, "{HEADER}")?;
        }
        Ok(())
    }
}

/// Appends a field, quoted if it must be.
fn field(line: &mut String, value: &str) {
    if !line.is_empty() {
        line.push(',');
    }
    if value.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
}

fn join<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut s = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        let _ = write!(s, "{item}");
    }
    s
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

pub fn row(rec: &ConnectionRecord, line: &mut String) {
    line.clear();
    let ch = rec.client_hello.as_deref();
    field(line, &rec.ts.to_string());
    field(line, &rec.client.ip.to_string());
    field(line, &rec.client.port.to_string());
    field(line, &rec.server.ip.to_string());
    field(line, &rec.server.port.to_string());
    field(line, rec.sni().unwrap_or(""));
    field(line, &opt(ch.map(|c| c.record_version)));
    field(line, &opt(ch.map(|c| c.legacy_version)));
    field(
        line,
        &ch.and_then(|c| c.supported_versions.as_ref())
            .map(|v| join(v.iter()))
            .unwrap_or_default(),
    );
    field(line, &opt(rec.max_offered()));
    field(
        line,
        &ch.map(|c| join(c.cipher_suites.iter())).unwrap_or_default(),
    );
    field(line, &opt(ch.map(|c| c.fallback_scsv())));
    field(
        line,
        &ch.and_then(|c| c.alpn.as_ref())
            .map(|a| join(a.iter()))
            .unwrap_or_default(),
    );
    field(line, &opt(ch.map(|c| c.sslv2_format)));
    field(line, &opt(rec.version()));
    field(line, &opt(rec.cipher));
    field(line, &rec.offers_3des().to_string());
    field(line, &rec.uses_3des().to_string());
    field(
        line,
        &join(rec.alerts.iter().map(|a| {
            format!(
                "{}:{}:{}",
                a.from.as_str(),
                alert::level_name(a.level),
                alert::description_label(a.description)
            )
        })),
    );
    field(line, rec.outcome.as_str());
    field(line, &opt(rec.handshake.map(millis)));
    field(line, &rec.hello_retry.to_string());
    field(line, &opt(rec.resumed));
    field(line, rec.reset_by.map_or("", |r| r.as_str()));
    field(line, &opt(rec.failure_reason()));
}

/// Appends one record as a CSV row.
pub fn encode(rec: &ConnectionRecord, out: &mut Vec<u8>) {
    let mut line = String::new();
    row(rec, &mut line);
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
}

impl<W: Write> Report for Csv<W> {
    fn record(&mut self, rec: &ConnectionRecord) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        row(rec, &mut line);
        line.push('\n');
        let r = self.encoded(line.as_bytes());
        self.line = line;
        r
    }

    fn encoder(&self) -> Option<super::Encoder> {
        Some(super::Encoder::Csv)
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
    fn quoting() {
        let mut line = String::new();
        field(&mut line, "a,b");
        field(&mut line, "say \"hi\"");
        field(&mut line, "plain");
        assert_eq!(line, "\"a,b\",\"say \"\"hi\"\"\",plain");
    }
}
