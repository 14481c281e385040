//! `--format summary-json`: the report model as one JSON object (DESIGN.md:
//! capture, versions, clients, servers, ciphers, fallbacks, warnings; plus
//! outcomes, legacy, failures, policy and latency). The schema is the
//! [`Model`]'s field names and order.
//!
//! A live run with `--interval` writes JSON lines instead: one compact
//! object per snapshot, each with its `interval`, and the summary at the end
//! as the last line, so that a time-series store can take the stream as it
//! comes.

use std::io::{self, Write};

use super::Report;
use super::model::Model;

pub struct SummaryJson<W: Write> {
    out: W,
    /// One line per snapshot (live `--interval`) rather than one
    /// pretty-printed object.
    lines: bool,
}

impl<W: Write> SummaryJson<W> {
    pub fn new(out: W, lines: bool) -> Self {
        SummaryJson { out, lines }
    }

    fn write(&mut self, model: &Model<'_>) -> io::Result<()> {
        if self.lines {
            let mut line = Vec::new();
            super::escape::json_line(model, false, &mut line)?;
            line.push(b'\n');
            self.out.write_all(&line)?;
        } else {
            super::escape::json_pretty(model, &mut self.out)?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
}

impl<W: Write> Report for SummaryJson<W> {
    fn snapshot(&mut self, model: &Model<'_>) -> io::Result<()> {
        self.write(model)
    }

    fn finish(&mut self, model: &Model<'_>) -> io::Result<()> {
        self.write(model)
    }
}
