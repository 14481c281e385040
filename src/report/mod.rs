//! Reports: one exporter trait, one file per format (in the manner of
//! hyperfine's exporters).
//!
//! `jsonl` and `csv` stream one row per connection as records are released;
//! `table` (for people) and `summary-json` (for scripts) render the
//! [`model::Model`] — built once from the aggregate at the end — and compute
//! nothing of their own. The JSON shapes are DESIGN.md's output schema.

pub mod chart;
pub mod csv;
pub mod escape;
pub mod evidence;
pub mod html;
pub mod jsonl;
pub mod model;
pub mod summary_json;
pub mod table;

use std::io;

use crate::analysis::record::ConnectionRecord;
use model::Model;

pub trait Report {
    /// One connection, in output order.
    fn record(&mut self, _rec: &ConnectionRecord) -> io::Result<()> {
        Ok(())
    }

    /// For reports that write one line per connection: how parser workers
    /// encode a record themselves (in parallel), to be passed to
    /// [`Report::encoded`] in output order. `None` for summaries.
    fn encoder(&self) -> Option<Encoder> {
        None
    }

    /// Records already encoded by [`Report::encoder`], in output order.
    fn encoded(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }

    /// The end of the run: the summary.
    fn finish(&mut self, model: &Model<'_>) -> io::Result<()>;
}

/// Turns a record into its output line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoder {
    Jsonl,
    Csv(csv::Cells),
}

impl Encoder {
    /// Appends the record's line (with its newline) to `out`.
    pub fn encode(self, rec: &ConnectionRecord, out: &mut Vec<u8>) {
        match self {
            Encoder::Jsonl => jsonl::encode(rec, out),
            Encoder::Csv(cells) => cells.encode(rec, out),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable summary tables (default).
    Table,
    /// One JSON object per TLS connection.
    Jsonl,
    /// One CSV row per TLS connection.
    Csv,
    /// One JSON object with the whole summary.
    SummaryJson,
    /// The summary's sections as GitHub-flavoured Markdown (for tickets).
    Markdown,
    /// One self-contained HTML page with charts (use with -o report.html).
    Html,
}

/// Rounds a duration in milliseconds to microseconds for output.
pub(crate) fn millis(d: crate::time::Duration) -> f64 {
    (d.0 as f64 / 1_000.0).round() / 1_000.0
}
