//! `--format summary-json`: the report model as one JSON object (DESIGN.md:
//! capture, versions, clients, servers, ciphers, fallbacks, warnings; plus
//! outcomes, legacy, failures, policy and latency). The schema is the
//! [`Model`]'s field names and order.

use std::io::{self, Write};

use super::Report;
use super::model::Model;

pub struct SummaryJson<W: Write> {
    out: W,
}

impl<W: Write> SummaryJson<W> {
    pub fn new(out: W) -> Self {
        SummaryJson { out }
    }
}

impl<W: Write> Report for SummaryJson<W> {
    fn finish(&mut self, model: &Model<'_>) -> io::Result<()> {
        super::escape::json_pretty(model, &mut self.out)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}
