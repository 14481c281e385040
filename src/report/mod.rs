//! Reports: one exporter trait, one file per format (in the manner of
//! hyperfine's exporters).
//!
//! `jsonl`, `ecs` (Elastic Common Schema documents, written by the jsonl
//! writer with its own encoder) and `csv` stream one line per connection as
//! records are released, each naming the sensor;
//! `table` (for people) and `summary-json` (for scripts) render the
//! [`model::Model`] — built once from the aggregate at the end — and compute
//! nothing of their own. The JSON shapes are DESIGN.md's output schema.

pub mod chart;
pub mod csv;
pub mod ecs;
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

    /// A live `--interval` snapshot of the summary (summary-json writes
    /// it; the table is printed by the capture loop itself).
    fn snapshot(&mut self, _model: &Model<'_>) -> io::Result<()> {
        Ok(())
    }

    /// The end of the run: the summary.
    fn finish(&mut self, model: &Model<'_>) -> io::Result<()>;
}

/// Turns a record into its output line, naming the sensor that saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoder {
    pub lines: Lines,
    /// `--sensor`: in every line.
    pub sensor: std::sync::Arc<str>,
}

/// The kinds of line per connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    Jsonl,
    Csv(csv::Cells),
    Ecs,
}

impl Encoder {
    pub fn new(lines: Lines, sensor: &str) -> Encoder {
        Encoder {
            lines,
            sensor: sensor.into(),
        }
    }

    /// Appends the record's line (with its newline) to `out`.
    pub fn encode(&self, rec: &ConnectionRecord, out: &mut Vec<u8>) {
        match self.lines {
            Lines::Jsonl => jsonl::encode(rec, &self.sensor, out),
            Lines::Csv(cells) => cells.encode(rec, &self.sensor, out),
            Lines::Ecs => ecs::encode(rec, &self.sensor, out),
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
    /// One Elastic Common Schema document per TLS connection (JSON lines).
    Ecs,
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
