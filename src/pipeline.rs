//! The pipeline: capture → decode → flow → tls → analysis → report, wired
//! together.
//!
//! Files are read one after another in the order given, and flows do not
//! continue from one file into the next (each file is a capture of its own:
//! its flows are flushed at its end). A packet's position in the whole run
//! (`index`) orders the output. Everything that happens to a packet is
//! counted in [`CaptureStats`].
//!
//! This is the single-threaded form of DESIGN.md's pipeline: the capture
//! loop calls the one [`Worker`] directly. The worker owns its flows, so the
//! multi-worker form only has to route segments by flow and merge records by
//! `order`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::accounting::{CaptureStats, FileReport};
use crate::analysis::aggregate::Summary;
use crate::analysis::connection::{ConnectionRecord, End, FlowLimits, Tracker};
use crate::analysis::order::Reorder;
use crate::capture::file::CaptureFile;
use crate::decode::{self, Segment, Skip, TcpFlags};
use crate::error::Error;
use crate::flow::{FlowKey, FlowTable};
use crate::report::csv::Csv;
use crate::report::jsonl::Jsonl;
use crate::report::summary_json::SummaryJson;
use crate::report::table::Table;
use crate::report::{Format, Report, Run};
use crate::time::{Duration, Timestamp};
use crate::tls::version::Version;

/// A validated run configuration (see `cli`).
#[derive(Clone, Debug)]
pub struct Config {
    pub inputs: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub min_version: Option<Version>,
    pub max_flows: usize,
    pub max_handshake_bytes: usize,
    pub idle_timeout: Duration,
    pub color: bool,
    pub top: usize,
    pub progress: bool,
    /// Flush jsonl/csv after every record.
    pub flush_each: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            format: Format::Table,
            output: None,
            min_version: None,
            max_flows: 100_000,
            max_handshake_bytes: 64 * 1024,
            idle_timeout: Duration::from_secs(120),
            color: false,
            top: 20,
            progress: false,
            flush_each: false,
        }
    }
}

/// How the run ended, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything read; no policy violation.
    Clean,
    /// `--min-version` found connections that would be rejected.
    PolicyViolations,
    /// An input could not be read.
    InputErrors,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::PolicyViolations => 1,
            Verdict::InputErrors => 2,
        }
    }
}

enum FlowState {
    Tracking(Box<Tracker>),
    /// The handshake is known; later packets are dropped at lookup.
    Done,
}

/// Owns a set of flows: turns their segments into connection records.
pub struct Worker {
    table: FlowTable<FlowState>,
    limits: FlowLimits,
    reorder: Reorder,
    completed: bool,
}

impl Worker {
    pub fn new(max_flows: usize, idle_timeout: Duration, limits: FlowLimits) -> Worker {
        Worker {
            table: FlowTable::new(max_flows, idle_timeout),
            limits,
            reorder: Reorder::default(),
            completed: false,
        }
    }

    fn end(&mut self, key: &FlowKey, state: FlowState, end: End) {
        if let FlowState::Tracking(t) = state {
            let order = t.order();
            match t.finish(key, end) {
                Some(rec) => self.reorder.complete(rec),
                None => {
                    if let Some(o) = order {
                        self.reorder.abandon(o);
                    }
                }
            }
            self.completed = true;
        }
    }

    /// One decoded segment at capture time `ts`, packet `index`.
    pub fn segment(
        &mut self,
        seg: &Segment<'_>,
        ts: Timestamp,
        index: u64,
        stats: &mut CaptureStats,
    ) {
        while let Some((key, state)) = self.table.pop_idle(ts) {
            self.end(&key, state, End::Idle);
        }
        let (key, side) = FlowKey::new(seg.src, seg.dst);
        let opening_syn = seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK);
        if self.table.touch(&key, ts).is_none() {
            let carries = !seg.payload.is_empty() || seg.cut > 0;
            if !carries && !seg.flags.contains(TcpFlags::SYN) {
                stats.untracked += 1;
                return;
            }
            let fresh = FlowState::Tracking(Box::new(Tracker::new(self.limits)));
            if let Some((old_key, old)) = self.table.insert(key, fresh, ts) {
                self.end(&old_key, old, End::Evicted);
            }
        }
        let limits = self.limits;
        let Some(state) = self.table.touch(&key, ts) else {
            return;
        };
        if matches!(state, FlowState::Done) {
            if !opening_syn {
                stats.after_handshake += 1;
                return;
            }
            // A new connection on a 4-tuple whose last one is over.
            *state = FlowState::Tracking(Box::new(Tracker::new(limits)));
        }
        let FlowState::Tracking(tracker) = state else {
            return;
        };
        let mut ended = None;
        if opening_syn && tracker.is_new_connection(side, seg.seq) {
            ended = Some(std::mem::replace(tracker, Box::new(Tracker::new(limits))));
        }
        stats.handshake += 1;
        let step = tracker.on_segment(seg, side, ts, index);
        if let Some(order) = step.opened {
            self.reorder.open(order);
        }
        let finished = match step.end {
            Some(end) => match std::mem::replace(state, FlowState::Done) {
                FlowState::Tracking(t) => Some((t, end)),
                FlowState::Done => None,
            },
            None => None,
        };
        if let Some(old) = ended {
            self.end(&key, FlowState::Tracking(old), End::Reused);
        }
        if let Some((t, end)) = finished {
            self.end(&key, FlowState::Tracking(t), end);
        }
    }

    /// Ends every flow (end of a capture file).
    pub fn flush(&mut self) {
        let flows: Vec<_> = self.table.drain().collect();
        for (key, state) in flows {
            self.end(&key, state, End::CaptureEnd);
        }
    }

    /// Moves records that are ready, in output order, into `out`.
    pub fn release(&mut self, out: &mut Vec<ConnectionRecord>) {
        if self.completed {
            self.completed = false;
            self.reorder.release(out);
        }
    }

    pub fn table_stats(&self) -> crate::flow::TableStats {
        self.table.stats
    }
}

/// Streams records to the report and the summary.
struct Sinks<'a> {
    report: &'a mut dyn Report,
    summary: &'a mut Summary,
    released: Vec<ConnectionRecord>,
}

impl Sinks<'_> {
    fn drain(&mut self, worker: &mut Worker) -> io::Result<()> {
        worker.release(&mut self.released);
        for rec in self.released.drain(..) {
            self.summary.observe(&rec);
            self.report.record(&rec)?;
        }
        Ok(())
    }
}

fn open_output(path: &Option<PathBuf>) -> Result<Box<dyn Write>, Error> {
    Ok(match path {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| Error::Output {
                name: p.display().to_string(),
                source: e,
            })?;
            Box::new(io::BufWriter::with_capacity(1 << 16, f))
        }
        None => Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())),
    })
}

fn output_error(cfg: &Config) -> impl Fn(io::Error) -> Error + '_ {
    move |e| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output {
                name: cfg
                    .output
                    .as_ref()
                    .map_or_else(|| "<stdout>".into(), |p| p.display().to_string()),
                source: e,
            }
        }
    }
}

/// Shows progress on stderr for large files read from disk.
struct Progress {
    enabled: bool,
    last: Instant,
    shown: bool,
}

impl Progress {
    const MIN_SIZE: u64 = 64 << 20;

    fn tick(&mut self, file: &CaptureFile) {
        if !self.enabled || self.last.elapsed().as_millis() < 250 {
            return;
        }
        self.last = Instant::now();
        let (done, total) = file.progress();
        if let Some(total) = total.filter(|t| *t >= Self::MIN_SIZE) {
            let pct = done as f64 * 100.0 / total as f64;
            eprint!("\r{}: {pct:5.1}% of {} MB", file.name(), total / 1_000_000);
            self.shown = true;
        }
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }
}

/// Runs the analysis over every input and writes the report.
pub fn run(cfg: &Config) -> Result<Verdict, Error> {
    let out = open_output(&cfg.output)?;
    let mut report: Box<dyn Report> = match cfg.format {
        Format::Table => Box::new(Table::new(out, cfg.color, cfg.top)),
        Format::Jsonl => Box::new(Jsonl::new(out, cfg.flush_each)),
        Format::Csv => Box::new(Csv::new(out, cfg.flush_each)),
        Format::SummaryJson => Box::new(SummaryJson::new(out)),
    };
    let mut summary = Summary::new(cfg.min_version);
    let mut capture = CaptureStats {
        max_flows: cfg.max_flows,
        ..CaptureStats::default()
    };
    let mut warnings: Vec<String> = Vec::new();
    // Unreadable inputs: reported on stderr at once and listed in the report.
    let mut errors: Vec<String> = Vec::new();
    let mut input_errors = false;
    let mut worker = Worker::new(
        cfg.max_flows,
        cfg.idle_timeout,
        FlowLimits {
            max_handshake_bytes: cfg.max_handshake_bytes,
        },
    );
    let mut sinks = Sinks {
        report: report.as_mut(),
        summary: &mut summary,
        released: Vec::new(),
    };
    let mut progress = Progress {
        enabled: cfg.progress,
        last: Instant::now(),
        shown: false,
    };
    let oerr = output_error(cfg);
    let mut index: u64 = 0;

    for path in &cfg.inputs {
        let mut file = match CaptureFile::open(path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("tlssniff: {e}");
                input_errors = true;
                errors.push(format!("cannot read {e}"));
                capture.files.push(FileReport {
                    name: e.name.clone(),
                    error: Some(e.reason.clone()),
                    ..FileReport::default()
                });
                continue;
            }
        };
        let mut fr = FileReport {
            name: file.name().to_string(),
            ..FileReport::default()
        };
        loop {
            let pkt = match file.next_packet() {
                Ok(Some(pkt)) => pkt,
                Ok(None) => break,
                Err(damage) => {
                    warnings.push(format!(
                        "{}: {damage}; the {} packets before it were analysed",
                        fr.name, fr.packets
                    ));
                    fr.damage = Some(damage.to_string());
                    break;
                }
            };
            index += 1;
            fr.packets += 1;
            fr.bytes += pkt.data.len() as u64;
            fr.first_ts = Some(fr.first_ts.map_or(pkt.ts, |t| t.min(pkt.ts)));
            fr.last_ts = Some(fr.last_ts.map_or(pkt.ts, |t| t.max(pkt.ts)));
            capture.packets += 1;
            capture.bytes += pkt.data.len() as u64;
            capture.saw_time(pkt.ts);
            let cut = pkt.cut_bytes();
            if cut > 0 {
                capture.cut_packets += 1;
            }
            let ts = pkt.ts;
            match decode::decode(pkt.link_type, pkt.data, cut) {
                Ok(seg) => {
                    capture.tcp += 1;
                    worker.segment(&seg, ts, index, &mut capture);
                }
                Err(skip) => *capture.skipped.entry(skip).or_default() += 1,
            }
            sinks.drain(&mut worker).map_err(&oerr)?;
            if index % 4096 == 0 {
                progress.tick(&file);
            }
        }
        progress.clear();
        worker.flush();
        sinks.drain(&mut worker).map_err(&oerr)?;
        fr.format = file.stats.format.clone();
        fr.link_types = file.stats.link_types.clone();
        fr.snaplen = file.stats.snaplen;
        capture.no_interface += file.stats.orphan_packets;
        capture.packets += file.stats.orphan_packets;
        if file.stats.orphan_packets > 0 {
            warnings.push(format!(
                "{}: {} packets name an interface with no interface description block; skipped",
                fr.name, file.stats.orphan_packets
            ));
        }
        capture.files.push(fr);
    }
    capture.flows = worker.table_stats();
    drop(sinks);
    explain(&capture, &summary, &mut warnings);
    let notices: Vec<String> = errors.iter().chain(&warnings).cloned().collect();
    let run = Run {
        summary: &summary,
        capture: &capture,
        warnings: &notices,
    };
    report.finish(&run).map_err(&oerr)?;
    for w in &warnings {
        if cfg.format != Format::Table || cfg.output.is_some() {
            eprintln!("tlssniff: warning: {w}");
        }
    }
    Ok(if input_errors {
        Verdict::InputErrors
    } else if summary.below_min_connections > 0 {
        Verdict::PolicyViolations
    } else {
        Verdict::Clean
    })
}

/// Warnings a user should read: cut handshakes, evictions, unsupported links.
fn explain(capture: &CaptureStats, summary: &Summary, warnings: &mut Vec<String>) {
    if summary.cut_by_snaplen > 0 {
        let snaplens: Vec<String> = capture
            .files
            .iter()
            .filter_map(|f| {
                f.snaplen
                    .filter(|s| *s < 65535)
                    .map(|s| format!("{} ({s} bytes)", f.name))
            })
            .collect();
        let which = if snaplens.is_empty() {
            String::new()
        } else {
            format!(" snaplen: {};", snaplens.join(", "))
        };
        warnings.push(format!(
            "{} handshake(s) were cut by the capture's snapshot length;{which} their versions and \
             cipher suites may be incomplete (marked \"partial\"). Re-capture whole packets: \
             `tcpdump -s 0`, `dumpcap -s 0`, or `pktmon start --capture --pkt-size 0` on Windows \
             (pktmon keeps only 128 bytes by default)",
            summary.cut_by_snaplen
        ));
    }
    if capture.flows.evicted > 0 {
        warnings.push(format!(
            "{} flows were evicted because the flow table was full (--max-flows {}); their \
             connections may be reported incomplete. Raise --max-flows or lower --idle-timeout",
            capture.flows.evicted, capture.max_flows
        ));
    }
    for (skip, n) in &capture.skipped {
        if let Skip::UnknownLinkType(lt) = skip {
            warnings.push(format!(
                "{n} packets have link type {lt}, which tlssniff does not decode (supported: \
                 Ethernet, Linux SLL/SLL2, raw IP, NULL/LOOP)"
            ));
        }
    }
}
