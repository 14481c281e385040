//! The pipeline: capture → decode → flow → tls → analysis → report, wired
//! together (DESIGN.md).
//!
//! ```text
//!  capture thread                 parser workers (N)                 output thread
//!  read · route           ──►     Worker: decode, flows → records ──► merge by order → report
//!  (batches of frames,            FallbackDetector                   (jsonl/csv only)
//!   bounded queues)               Aggregator::observe (shared)
//!                                 Encoder (jsonl/csv lines)
//! ```
//!
//! The capture thread reads each frame as far as its IP addresses and
//! routes it by a symmetric hash of its *IP pair* to the worker that owns
//! the pair: both directions of a flow, and all of a client's retries to
//! one server, meet on one worker, so flows need no lock and fallback
//! retries are seen in order. Frames travel in batches that point into the
//! shared capture buffer (no copy); the worker decodes them. A worker drops
//! a packet of a finished handshake at its first lookup. Records go into
//! the aggregator; for jsonl/csv each worker also encodes its records and
//! sends them, in ClientHello order with a watermark, to the output thread,
//! which merges them by capture position — so the output is the same for
//! every `--threads`. With one thread everything runs inline on the
//! capture thread.
//!
//! Regular, uncompressed capture files take another way (walk.rs): there is
//! no capture thread, every worker reads the whole file itself (with
//! `read()`, or through the map with `--mmap`), takes the frames of its IP
//! pairs (the same hash), and keeps an aggregate of its own; they are added
//! up at the end.
//!
//! Files are read in the order given; flows do not continue from one file
//! into the next (each file's flows are ended at its end).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Instant;

use crate::analysis::accounting::CaptureStats;
use crate::analysis::aggregate::{Aggregator, Summary};
use crate::analysis::fallback::FallbackDetector;
use crate::analysis::order::{LIVE_MAX_WAIT, MAX_HELD};
use crate::analysis::record::ConnectionRecord;
use crate::analysis::tcp::FlowLimits;
use crate::capture::Packet;
use crate::config::{Config, FileRead};
use crate::decode::Skip;
use crate::error::Error;
use crate::report::csv::{Cells, Csv};
use crate::report::escape;
use crate::report::jsonl::Jsonl;
use crate::report::model::Model;
use crate::report::summary_json::SummaryJson;
use crate::report::table::Table;
use crate::report::{Encoder, Format, Lines, Report};
use crate::time::Timestamp;

mod evidence;
mod input;
mod pool;
mod queue;
mod stats;
mod walk;
mod worker;

use input::{Inputs, read_all, read_files};
use pool::{Batch, Output, Pool, QUEUE, merge, work};
use queue::bounded;
pub use stats::{Probe, floor};
use stats::{Reading, print_stats};
use walk::Walker;
pub use worker::{Worker, WorkerStats};

/// Set by the signal handler (SIGINT, SIGTERM): stop reading, drain, report.
pub static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How the run ended, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything read; no policy violation.
    Clean,
    /// `--min-version` found connections that would be rejected, or
    /// `--policy` / `--deny-cipher` ones that fall short of the policy.
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

/// The per-record work that follows a worker: fallback detection and the
/// shared aggregate.
pub(super) struct Analysis<'a> {
    fallback: FallbackDetector,
    aggregator: &'a Aggregator,
    /// `-w`: the connections whose packets are written afterwards.
    evidence: Option<&'a evidence::Wanted>,
}

impl Analysis<'_> {
    fn record(&mut self, rec: &mut ConnectionRecord) {
        rec.readiness = self.aggregator.classify(rec);
        // Fiddler's text names extensions without their codes: no
        // fingerprint can be computed from it (crate::tls::fiddler).
        if rec.fiddler.is_none() {
            rec.fingerprints = Some(Box::new(crate::tls::fingerprint::Fingerprints::of(
                rec.client_hello.as_deref(),
                rec.server_hello.as_deref(),
                // JA4's first character: the transport.
                match rec.transport() {
                    "quic" => 'q',
                    "dtls" => 'd',
                    _ => 't',
                },
            )));
        }
        let seen = self.fallback.observe(rec);
        if let Some(f) = seen.retry {
            self.aggregator.fallback(f);
        }
        if seen.untracked {
            self.aggregator.fallback_pair_untracked();
        }
        self.aggregator.observe(rec);
        if let Some(e) = self.evidence {
            e.observe(rec);
        }
    }
}

/// Where the capture loop sends packets.
pub(super) trait Dispatch {
    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error>;
    /// A record read whole from a session log (a Fiddler archive), at
    /// capture position `rec.order`.
    fn record(&mut self, rec: ConnectionRecord) -> Result<(), Error>;
    /// A file ended: end its flows.
    fn end_of_file(&mut self, index: u64) -> Result<(), Error>;
    /// Live capture is idle for a moment, or a stream's reader is about to
    /// wait: pass on what is waiting, so that records and the summary stay
    /// current.
    fn tick(&mut self, _index: u64, _now: Timestamp) -> Result<(), Error> {
        Ok(())
    }
    /// A live `--interval` summary, for reports that write snapshots.
    #[cfg_attr(not(feature = "live"), allow(dead_code))]
    fn snapshot(&mut self, _model: &Model<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// One thread: the worker runs on the capture thread.
struct Inline<'a> {
    worker: Worker,
    analysis: Analysis<'a>,
    report: &'a mut (dyn Report + Send),
    released: Vec<ConnectionRecord>,
    oerr: &'a dyn Fn(io::Error) -> Error,
}

impl Inline<'_> {
    #[inline]
    fn drain(&mut self) -> Result<(), Error> {
        // Asked after every packet; most release nothing.
        if !self.worker.may_release() {
            return Ok(());
        }
        self.drain_released()
    }

    #[inline(never)]
    fn drain_released(&mut self) -> Result<(), Error> {
        self.worker.release(&mut self.released);
        self.worker.stats.records += self.released.len() as u64;
        for mut rec in self.released.drain(..) {
            self.analysis.record(&mut rec);
            self.report.record(&rec).map_err(self.oerr)?;
        }
        Ok(())
    }
}

impl Dispatch for Inline<'_> {
    fn snapshot(&mut self, model: &Model<'_>) -> Result<(), Error> {
        self.report.snapshot(model).map_err(self.oerr)
    }

    fn packet(&mut self, pkt: &Packet<'_>, index: u64) -> Result<(), Error> {
        crate::error::test_panic("worker");
        self.worker
            .packet(pkt.link_type, pkt.data, pkt.cut_bytes(), pkt.ts, index);
        self.drain()
    }

    fn record(&mut self, rec: ConnectionRecord) -> Result<(), Error> {
        self.worker.adopt(rec);
        self.drain()
    }

    fn end_of_file(&mut self, _index: u64) -> Result<(), Error> {
        self.worker.flush();
        self.drain()
    }

    fn tick(&mut self, _index: u64, now: Timestamp) -> Result<(), Error> {
        self.worker.expire(now);
        self.drain()
    }
}

fn open_output(path: &Option<std::path::PathBuf>) -> Result<Box<dyn Write + Send>, Error> {
    Ok(match path {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::create(p).map_err(|e| Error::Output {
                name: p.display().to_string(),
                source: e,
            })?;
            Box::new(io::BufWriter::with_capacity(1 << 16, f))
        }
        _ => Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())),
    })
}

fn output_error(cfg: &Config) -> impl Fn(io::Error) -> Error + Sync + '_ {
    move |e| {
        let name = cfg
            .output
            .as_ref()
            .map_or_else(|| "<stdout>".into(), |p| p.display().to_string());
        Error::output(name, e)
    }
}

fn make_report(cfg: &Config) -> Result<Box<dyn Report + Send>, Error> {
    let out: Box<dyn Write + Send> = if cfg.discard {
        Box::new(io::sink())
    } else {
        open_output(&cfg.output)?
    };
    Ok(match cfg.format {
        Format::Table => Box::new(Table::new(out, cfg.color, cfg.top).fit(cfg.table_width)),
        Format::Jsonl => Box::new(Jsonl::new(
            out,
            cfg.flush_each,
            Encoder::new(Lines::Jsonl, &cfg.sensor),
        )),
        Format::Ecs => Box::new(Jsonl::new(
            out,
            cfg.flush_each,
            Encoder::new(Lines::Ecs, &cfg.sensor),
        )),
        Format::Csv => Box::new(Csv::new(
            out,
            cfg.flush_each,
            Cells {
                formula_guard: !cfg.raw_csv,
            },
            &cfg.sensor,
        )),
        Format::SummaryJson => Box::new(SummaryJson::new(
            out,
            cfg.live.as_ref().is_some_and(|l| l.interval.is_some()),
        )),
        Format::Markdown => Box::new(Table::markdown(out, cfg.top)),
        Format::Html => Box::new(crate::report::html::Html::new(out, cfg.top)),
    })
}

/// What a parser worker's thread ends with: its stats, and for a parallel
/// reader, its reading of the inputs.
type Threaded = (WorkerStats, Option<Result<Inputs, Error>>);

fn spawn_worker<'scope, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    id: usize,
    f: F,
) -> Result<std::thread::ScopedJoinHandle<'scope, Threaded>, Error>
where
    F: FnOnce() -> Threaded + Send + 'scope,
{
    std::thread::Builder::new()
        .name(worker_name(id))
        .spawn_scoped(scope, f)
        .map_err(|e| Error::Internal(format!("cannot start a parser worker: {e}")))
}

/// Whether every input is a regular, uncompressed capture file, so that
/// each worker can read it itself (walk.rs), with `read()` or through the
/// map. Standard input, pipes, compressed files, archives and `--no-mmap`
/// go through the capture thread.
fn own_readers(cfg: &Config) -> bool {
    cfg.file_read != FileRead::Stream
        && !cfg.inputs.is_empty()
        && cfg.inputs.iter().all(|p| {
            p.as_os_str() != "-"
                && std::fs::metadata(p).is_ok_and(|m| m.is_file())
                && crate::capture::file::CaptureFile::open_with(p, cfg.file_read == FileRead::Map)
                    .is_ok_and(|f| f.is_plain())
        })
}

/// The name of parser worker `id`'s thread (it names the thread in an
/// internal error).
fn worker_name(id: usize) -> String {
    format!("parser worker {id}")
}

/// Runs the analysis over every input and writes the report.
pub fn run(cfg: &Config) -> Result<Verdict, Error> {
    let mut report = make_report(cfg)?;
    let aggregator = Aggregator::new(cfg.min_version, cfg.policy.policy, cfg.bucket, cfg.max_rows);
    let oerr = output_error(cfg);
    let threads = cfg.threads.max(1);
    let limits = FlowLimits {
        max_handshake_bytes: cfg.max_handshake_bytes,
        max_certificate_bytes: cfg.max_certificate_bytes,
    };
    let wanted = cfg.evidence.as_ref().map(evidence::Wanted::new);
    // Workers see disjoint client-server pairs: each remembers its share.
    let analysis_into = |aggregator| Analysis {
        fallback: FallbackDetector::new(cfg.fallback_window, cfg.max_rows.div_ceil(threads)),
        aggregator,
        evidence: wanted.as_ref(),
    };
    let analysis = || analysis_into(&aggregator);
    // Live, and streams (standard input, pipes): a record waits for earlier
    // connections only so long.
    let streams = cfg
        .inputs
        .iter()
        .any(|p| p.as_os_str() == "-" || std::fs::metadata(p).is_ok_and(|m| !m.is_file()));
    let max_wait = (cfg.live.is_some() || streams).then_some(LIVE_MAX_WAIT);
    let started = Instant::now();
    // `written_late`: records the output thread wrote out of order (when
    // there is one; else the workers' count says it).
    let new_worker = || {
        Worker::new(
            cfg.max_flows.div_ceil(threads),
            cfg.max_buffered_bytes.div_ceil(threads),
            cfg.idle_timeout,
            limits,
            max_wait,
        )
    };
    let (inputs, workers, stalls, written_late, merged) = if threads == 1 {
        let mut inline = Inline {
            worker: new_worker(),
            analysis: analysis(),
            report: report.as_mut(),
            released: Vec::new(),
            oerr: &oerr,
        };
        let inputs = read_all(cfg, &mut inline, &aggregator)?;
        (inputs, vec![inline.worker.take_stats()], 0, None, None)
    } else {
        let readers = cfg.live.is_none() && own_readers(cfg);
        // Parallel readers keep an aggregate each (no two cores write the
        // same counters), added up when they are done.
        let shares: Vec<Aggregator> = (0..if readers { threads } else { 0 })
            .map(|_| Aggregator::new(cfg.min_version, cfg.policy.policy, cfg.bucket, cfg.max_rows))
            .collect();
        let shares_ref = &shares;
        let (inputs, stats, stalls, written_late) =
            std::thread::scope(|scope| -> Result<_, Error> {
                let (out_tx, out_rx) = bounded::<Output>(threads * QUEUE);
                // Only reports that list connections need the output thread.
                let encoder = report.encoder();
                let report_ref = report.as_mut();
                let oerr_ref = &oerr;
                let (merger, summary) = match encoder {
                    Some(_) => (
                        Some(
                            std::thread::Builder::new()
                                .name("output thread".into())
                                .spawn_scoped(scope, move || {
                                    merge(threads, out_rx, report_ref, oerr_ref)
                                })
                                .map_err(|e| {
                                    Error::Internal(format!("cannot start the output thread: {e}"))
                                })?,
                        ),
                        None,
                    ),
                    None => (
                        None,
                        Some((report_ref, oerr_ref as &dyn Fn(io::Error) -> Error)),
                    ),
                };
                let mut handles = Vec::new();
                let (read, stalls) = if readers {
                    // Every worker reads the files itself (walk.rs); the first
                    // one's account of the inputs stands for all.
                    for (id, share) in shares_ref.iter().enumerate() {
                        let mut walker = Walker::new(
                            id,
                            threads,
                            new_worker(),
                            analysis_into(share),
                            encoder.clone().map(|e| (out_tx.clone(), e)),
                        );
                        handles.push(spawn_worker(scope, id, move || {
                            let read = read_files(cfg, &mut walker, id == 0, id == 0);
                            (walker.into_stats(), Some(read))
                        })?);
                    }
                    drop(out_tx);
                    (None, 0)
                } else {
                    let mut senders = Vec::new();
                    let (spare_tx, spare_rx) = bounded::<Batch>(threads * (QUEUE + 2));
                    for id in 0..threads {
                        let (tx, rx) = bounded::<Batch>(QUEUE);
                        senders.push(tx);
                        let worker = new_worker();
                        let a = analysis();
                        let out = encoder.clone().map(|e| (out_tx.clone(), e));
                        let spare = spare_tx.clone();
                        handles.push(spawn_worker(scope, id, move || {
                            (work(id, worker, a, rx, out, spare), None)
                        })?);
                    }
                    drop(out_tx);
                    drop(spare_tx);
                    let mut pool = Pool {
                        batches: (0..threads).map(|_| Batch::default()).collect(),
                        last_sent: vec![0; threads],
                        senders,
                        stalls: 0,
                        skipped: BTreeMap::new(),
                        spare: spare_rx,
                        summary,
                    };
                    let read = read_all(cfg, &mut pool, &aggregator);
                    let stalls = pool.stalls;
                    let skipped = std::mem::take(&mut pool.skipped);
                    drop(pool);
                    (Some((read, skipped)), stalls)
                };
                // Every thread is joined, and the first real cause wins: a panic,
                // then the output thread's error (a broken pipe ends quietly),
                // then the capture thread's (or the first reader's). A capture
                // thread that found its workers gone has no cause of its own to
                // give.
                let mut panicked = None;
                let mut stats = Vec::new();
                let mut first_read = None;
                for (id, h) in handles.into_iter().enumerate() {
                    match h.join() {
                        Ok((s, r)) => {
                            stats.push(s);
                            if id == 0 {
                                first_read = r;
                            }
                        }
                        Err(p) => {
                            let name = worker_name(id);
                            let why = crate::error::panic_text(&name, p.as_ref());
                            panicked.get_or_insert(format!("{name} panicked: {why}"));
                            stats.push(WorkerStats::default());
                        }
                    }
                }
                let merged = match merger.map(|m| m.join()) {
                    None => Ok(None),
                    Some(Ok(result)) => result.map(Some),
                    Some(Err(p)) => {
                        let why = crate::error::panic_text("output thread", p.as_ref());
                        panicked.get_or_insert(format!("the output thread panicked: {why}"));
                        Ok(None)
                    }
                };
                if let Some(msg) = panicked {
                    return Err(Error::Internal(msg));
                }
                let written_late = merged?;
                let (read, skipped) = match read {
                    Some(pool) => pool,
                    None => (
                        first_read.unwrap_or(Err(Error::Downstream)),
                        BTreeMap::new(),
                    ),
                };
                let mut inputs = match read {
                    Err(Error::Downstream) => {
                        return Err(Error::Internal(
                            "a parser worker stopped without an error".into(),
                        ));
                    }
                    other => other?,
                };
                for (skip, n) in skipped {
                    *inputs.capture.skipped.entry(skip).or_default() += n;
                }
                Ok((inputs, stats, stalls, written_late))
            })?;
        // The first reader's aggregate takes the others in.
        let mut shares = shares.into_iter();
        let merged = shares.next().inspect(|first| {
            for share in shares {
                first.absorb(share);
            }
        });
        (inputs, stats, stalls, written_late, merged)
    };
    let elapsed = started.elapsed();
    let Inputs {
        mut capture,
        mut warnings,
        errors,
        read_ns,
        interval,
    } = inputs;
    for w in &workers {
        capture.tcp += w.tcp;
        for (skip, n) in &w.skipped {
            *capture.skipped.entry(*skip).or_default() += n;
        }
        capture.evicted_handshakes += w.evicted_handshakes;
        capture.oversized_hellos += w.oversized_hellos;
        capture.unreadable_hellos += w.unreadable_hellos;
        capture.tds_desyncs += w.tds_desyncs;
        capture.unfinished_hellos += w.unfinished_hellos;
        capture.released_late += w.released_late;
        capture.handshake += w.handshake;
        capture.after_handshake += w.after_handshake;
        capture.untracked += w.untracked;
        capture.flows.created += w.flows.created;
        capture.flows.evicted += w.flows.evicted;
        capture.flows.expired += w.flows.expired;
        capture.flows.peak += w.flows.peak;
        for (why, n) in &w.quic_unread {
            *capture.quic_unread.entry(*why).or_default() += n;
        }
    }
    if let Some(n) = written_late {
        capture.released_late = n;
    }
    if let (Some(ev), Some(w)) = (&cfg.evidence, wanted) {
        let written = evidence::write(cfg, ev, w)?;
        if written.over > 0 {
            warnings.push(format!(
                "{} wanted connections beyond {} were not written to {}",
                written.over,
                evidence::MAX_WANTED,
                ev.path.display()
            ));
        }
        if !cfg.discard {
            eprintln!(
                "tlssniff: wrote {} packets of {} {}handshakes to {}",
                written.packets,
                written.connections,
                if ev.legacy_only { "legacy " } else { "" },
                escape::terminal(&ev.path.display().to_string())
            );
        }
    }
    let parallel = merged.is_some();
    let summary = merged.unwrap_or(aggregator).into_summary();
    explain(cfg, &capture, &summary, &mut warnings);
    let notices: Vec<String> = errors.iter().chain(&warnings).cloned().collect();
    let mut model = Model::new(&cfg.sensor, &summary, &capture, &notices);
    model.interval = interval;
    model.show_sensor = cfg.sensor_named || cfg.live.is_some();
    model.label_fingerprints(&cfg.labels);
    report.finish(&model).map_err(&oerr)?;
    if cfg.format != Format::Table || cfg.output.is_some() {
        // The table shows these itself; other reports on stdout or in a file
        // get them on stderr, so a live run's losses are never silent.
        for i in &capture.interfaces {
            eprintln!(
                "tlssniff: {}: {} packets received, {} dropped by the kernel, {} by the interface",
                escape::terminal(&i.name),
                i.received,
                i.dropped,
                i.if_dropped
            );
        }
        for w in &warnings {
            eprintln!("tlssniff: warning: {}", escape::terminal(w));
        }
    }
    if cfg.stats {
        let mut err = io::stderr().lock();
        let _ = print_stats(
            &mut err,
            &capture,
            &summary,
            &workers,
            &Reading {
                ns: read_ns,
                stalls,
                parallel,
            },
            elapsed,
        );
    }
    Ok(if !errors.is_empty() {
        Verdict::InputErrors
    } else if summary.totals.below_min > 0
        || cfg.policy.gate
            && summary.totals.readiness.client_cannot + summary.totals.readiness.held_back > 0
    {
        Verdict::PolicyViolations
    } else {
        Verdict::Clean
    })
}

/// Warnings a user should read: cut handshakes, evictions, unsupported links.
fn explain(cfg: &Config, capture: &CaptureStats, summary: &Summary, warnings: &mut Vec<String>) {
    let one_sided = summary
        .totals
        .outcomes
        .get(&crate::analysis::record::Outcome::OneSided)
        .copied()
        .unwrap_or(0);
    if one_sided > 0 {
        warnings.push(format!(
            "{one_sided} of {} connections were seen in one direction only (not one packet from \
             the other side, not even an ACK): the capture holds one side of them (a SPAN or \
             mirror of one direction, asymmetric routing, a filter on one port). They are \
             counted as one_sided, not as failures; capture both directions to judge them \
             (tcpdump 'tcp port 443', not 'dst port 443')",
            summary.totals.connections
        ));
    }
    let cut = summary.totals.cut_by_snaplen;
    if cut > 0 {
        let snaplens: Vec<String> = capture
            .files
            .iter()
            .filter_map(|f| {
                f.snaplen
                    .filter(|s| *s < 65535)
                    .map(|s| format!("{} ({s} bytes)", f.name))
            })
            .collect();
        // A rotated set can be hundreds of files: name the first three.
        let which = match snaplens.len() {
            0 => String::new(),
            n @ 1..=3 => format!(" snaplen: {};", snaplens[..n].join(", ")),
            n => format!(
                " snaplen: {}, and {} more files;",
                snaplens[..3].join(", "),
                n - 3
            ),
        };
        warnings.push(format!(
            "{cut} handshake(s) were cut by the capture's snapshot length;{which} their versions and \
             cipher suites may be incomplete (marked \"partial\"). Re-capture whole packets: \
             `tcpdump -s 0`, `dumpcap -s 0`, or `pktmon start --capture --pkt-size 0` on Windows \
             (pktmon keeps only 128 bytes by default)"
        ));
    }
    if capture.evicted_handshakes > 0 {
        warnings.push(format!(
            "{} flows were evicted in the middle of their handshake because the flow table was \
             full (--max-flows {}) or held too many bytes (--max-buffered-bytes); their \
             connections may be reported incomplete. Raise the limits or lower --idle-timeout",
            capture.evicted_handshakes, capture.max_flows
        ));
    }
    if capture.oversized_hellos > 0 {
        warnings.push(format!(
            "{} handshake messages declared more bytes than --max-handshake-bytes and were not \
             parsed (a hostile or broken peer, or raise the limit)",
            capture.oversized_hellos
        ));
    }
    if capture.tds_desyncs > 0 {
        warnings.push(format!(
            "{} SQL Server (TDS) connections had bytes that are not a TDS packet header where \
             one must be, or a capture gap across one: what followed was not read (see \
             tds.desync in --format jsonl)",
            capture.tds_desyncs
        ));
    }
    if capture.unreadable_hellos > 0 {
        warnings.push(format!(
            "{} hellos were too broken to read and were skipped",
            capture.unreadable_hellos
        ));
    }
    if capture.unfinished_hellos > 0 {
        warnings.push(format!(
            "{} flows ended inside their first hello and have no record: the rest of it never \
             came (lost before the capture point, a capture that began or stopped mid-handshake, \
             an eviction, or half-open connections from a flood or a scanner)",
            capture.unfinished_hellos
        ));
    }
    if capture.released_late > 0 {
        warnings.push(format!(
            "{} connections were written out of capture order, after later ones: {} (a server \
             slow to answer, or silent until --idle-timeout); a fallback retry involving them \
             may be missed",
            capture.released_late,
            if cfg.live.is_some() {
                format!(
                    "in live capture a record waits at most {} s for earlier connections, or \
                     until {MAX_HELD} wait",
                    LIVE_MAX_WAIT.as_millis_f64() / 1000.0
                )
            } else {
                format!("more than {MAX_HELD} records waited behind each")
            }
        ));
    }
    let unreadable = &summary.totals.certificates_unreadable;
    if !unreadable.is_empty() {
        let total: u64 = unreadable.values().sum();
        let parts: Vec<String> = unreadable
            .iter()
            .map(|(why, n)| format!("{n} {}", why.describe()))
            .collect();
        let hint = if unreadable.contains_key(&crate::tls::certificate::Unreadable::TooLong) {
            format!(
                " (--max-certificate-bytes is {}; raise it to read longer chains)",
                cfg.max_certificate_bytes
            )
        } else {
            String::new()
        };
        warnings.push(format!(
            "{total} server certificate(s) could not be read: {}{hint}; their connections are \
             reported without certificate facts (certificate.unreadable in --format jsonl)",
            parts.join(", ")
        ));
    }
    let u = &summary.unlisted;
    if u.any() {
        let parts: Vec<String> = [
            (u.clients, "connections in the client table"),
            (u.servers, "in the server table"),
            (u.legacy, "in the legacy table"),
            (u.failures, "in the failure table"),
            (u.below_min, "in the policy table"),
            (u.certificates, "in the certificate table"),
            (u.fallbacks, "fallback retries"),
            (
                u.fallback_pairs,
                "connections whose client-server pair the fallback detector could not remember",
            ),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        warnings.push(format!(
            "report tables were full (--max-rows {}; many distinct addresses, perhaps a \
             flood): not listed row by row: {}. Every total still counts them. Raise --max-rows \
             to list more",
            cfg.max_rows,
            parts.join(", ")
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
