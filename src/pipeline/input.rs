//! Inputs: capture files one after another, or live interfaces; every
//! packet counted, then handed to a [`Dispatch`](super::Dispatch).

use std::time::Instant;

use super::Dispatch;
#[cfg(feature = "live")]
use super::STOP;
use crate::analysis::accounting::{CaptureStats, FileReport};
use crate::analysis::aggregate::Aggregator;
use crate::capture::Packet;
use crate::capture::file::CaptureFile;
use crate::config::{Config, FileRead, LiveConfig};
use crate::decode::Skip;
use crate::error::Error;
use crate::report::escape;
use crate::report::model::IntervalModel;
#[cfg(feature = "live")]
use crate::report::model::Shown;
#[cfg(feature = "live")]
use crate::time::Timestamp;

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
            eprint!(
                "\r{}: {pct:5.1}% of {} MB",
                escape::terminal(file.name()),
                total / 1_000_000
            );
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

/// What the capture loop found, besides segments.
pub(super) struct Inputs {
    pub(super) capture: CaptureStats,
    pub(super) warnings: Vec<String>,
    /// Unreadable inputs: reported on stderr at once and listed in the report.
    pub(super) errors: Vec<String>,
    /// Time spent reading and decoding (benchmarks only).
    pub(super) read_ns: u64,
    /// Live `--interval`: the bounds of the last interval, which the
    /// summary at the end closes.
    pub(super) interval: Option<IntervalModel>,
}

/// Reads the inputs — files, or live interfaces — and hands packets to
/// `dispatch`.
pub(super) fn read_all(
    cfg: &Config,
    dispatch: &mut dyn Dispatch,
    aggregator: &Aggregator,
) -> Result<Inputs, Error> {
    match &cfg.live {
        Some(live) => read_live(cfg, live, dispatch, aggregator),
        None => read_files(cfg, dispatch, true, true),
    }
}

#[cfg(not(feature = "live"))]
fn read_live(
    _cfg: &Config,
    _live: &LiveConfig,
    _dispatch: &mut dyn Dispatch,
    _aggregator: &Aggregator,
) -> Result<Inputs, Error> {
    Err(Error::Usage(crate::config::LIVE_NEEDS_FEATURE.into()))
}

/// How often, at most, live capture passes on what waits in partly filled
/// batches (records, expired flows).
#[cfg(feature = "live")]
const LIVE_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// Capture time in live capture moves on with the clock while the link is
/// quiet: the last packet's time plus the time since it was seen (measured
/// on this machine's monotonic clock, so a capture clock that differs from
/// the system's does not matter). Idle flows then end, and records stop
/// waiting for a silent server, even when no packet comes.
#[cfg(feature = "live")]
#[derive(Default)]
struct LiveClock {
    anchor: Option<(Timestamp, Instant)>,
}

#[cfg(feature = "live")]
impl LiveClock {
    fn now(&mut self, last_ts: Timestamp) -> Timestamp {
        if last_ts == Timestamp::ZERO {
            return last_ts;
        }
        match self.anchor {
            Some((ts, at)) if ts == last_ts => {
                let since = u64::try_from(at.elapsed().as_nanos()).unwrap_or(u64::MAX);
                Timestamp(ts.0.saturating_add(since))
            }
            _ => {
                self.anchor = Some((last_ts, Instant::now()));
                last_ts
            }
        }
    }
}

/// Captures from interfaces until a signal, `-c` or `--duration`.
#[cfg(feature = "live")]
fn read_live(
    cfg: &Config,
    live: &LiveConfig,
    dispatch: &mut dyn Dispatch,
    aggregator: &Aggregator,
) -> Result<Inputs, Error> {
    use crate::capture::live::{LiveCapture, LiveOptions, drop_privileges};
    use crate::report::Format;
    use crate::report::model::Model;
    use std::io::{self, Write};
    use std::sync::atomic::Ordering;
    let opts = LiveOptions {
        interfaces: live.interfaces.clone(),
        filter: live.filter.clone(),
        snaplen: live.snaplen,
        promisc: live.promisc,
        buffer_size: live.buffer_size,
    };
    let mut cap = LiveCapture::open(&opts).map_err(Error::Input)?;
    if let Some(user) = &live.user {
        drop_privileges(user).map_err(Error::Input)?;
    }
    let names: Vec<String> = cap
        .stats()
        .iter()
        .map(|s| match s.link_type {
            Some(lt) => format!("{} ({lt})", s.name),
            None => s.name.clone(),
        })
        .collect();
    if !cfg.discard {
        eprintln!(
            "tlssniff: capturing on {}{}; Ctrl-C stops and prints the summary",
            names.join(", "),
            if live.filter.is_empty() {
                String::new()
            } else {
                format!(", filter '{}'", live.filter)
            }
        );
    }
    let mut capture = CaptureStats {
        max_flows: cfg.max_flows,
        ..CaptureStats::default()
    };
    let mut warnings = Vec::new();
    let started = Instant::now();
    let mut last_status = Instant::now();
    let mut last_interval = Instant::now();
    let mut snapshots = Snapshots::new();
    let mut index: u64 = 0;
    let mut last_ts = Timestamp::ZERO;
    let mut clock = LiveClock::default();
    let mut last_tick = Instant::now();
    loop {
        if STOP.load(Ordering::Relaxed)
            || live.count.is_some_and(|c| index >= c)
            || live.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        let mut failed = None;
        let read = cap.read(|pkt| {
            index += 1;
            capture.packets += 1;
            capture.bytes += pkt.data.len() as u64;
            capture.saw_time(pkt.ts);
            if pkt.cut_bytes() > 0 {
                capture.cut_packets += 1;
            }
            last_ts = last_ts.max(pkt.ts);
            let mut sent = dispatch.packet(pkt, index);
            // A link at a few hundred packets a second fills no batch for a
            // while: pass on what waits every LIVE_TICK anyway.
            if sent.is_ok() && index % 256 == 0 && last_tick.elapsed() >= LIVE_TICK {
                last_tick = Instant::now();
                sent = dispatch.tick(index, clock.now(last_ts));
            }
            if let Err(e) = sent {
                failed = Some(e);
                return false;
            }
            live.count.is_none_or(|c| index < c)
        });
        if let Some(e) = failed {
            return Err(e);
        }
        match read {
            Ok(0) => {
                last_tick = Instant::now();
                dispatch.tick(index, clock.now(last_ts))?;
            }
            Ok(_) => {}
            Err(e) => {
                warnings.push(format!("capture stopped: {e}"));
                break;
            }
        }
        if live.status && last_status.elapsed().as_secs() >= 2 {
            last_status = Instant::now();
            let (connections, legacy, fallbacks) = aggregator.counts();
            let drops: u64 = cap.stats().iter().map(|s| s.dropped + s.if_dropped).sum();
            eprint!(
                "\r\x1b[K{index} packets, {connections} TLS handshakes, {legacy} legacy, \
                 {fallbacks} fallback retries, {drops} dropped"
            );
        }
        if let Some(every) = live.interval {
            if last_interval.elapsed() >= every {
                last_interval = Instant::now();
                dispatch.tick(index, clock.now(last_ts))?;
                let summary = aggregator.snapshot();
                let mut now = capture.clone();
                now.interfaces = cap.stats();
                let mut model = Model::new(&cfg.sensor, &summary, &now, &[]);
                model.show_sensor = true;
                if cfg.format == Format::SummaryJson {
                    model.interval = Some(snapshots.next());
                    dispatch.snapshot(&model)?;
                } else {
                    let text = crate::report::table::render_text(
                        &model,
                        cfg.color,
                        cfg.top,
                        cfg.table_width,
                    );
                    if cfg.format == Format::Table && cfg.output.is_none() {
                        let mut out = io::stdout().lock();
                        writeln!(out, "{text}")
                            .and_then(|()| out.flush())
                            .map_err(|e| Error::output("<stdout>", e))?;
                    } else {
                        eprintln!("{text}");
                    }
                }
            }
        }
    }
    if live.status {
        eprint!("\r\x1b[K");
    }
    dispatch.end_of_file(index)?;
    capture.interfaces = cap.stats();
    capture.files.push(FileReport {
        name: names.join(", "),
        format: "live capture (libpcap)".into(),
        link_types: capture
            .interfaces
            .iter()
            .filter_map(|i| i.link_type)
            .collect(),
        snaplen: u32::try_from(live.snaplen).ok(),
        packets: capture.packets,
        bytes: capture.bytes,
        first_ts: capture.first_ts,
        last_ts: capture.last_ts,
        damage: None,
        error: None,
        sessions: None,
    });
    let dropped: u64 = capture.interfaces.iter().map(|i| i.dropped).sum();
    let if_dropped: u64 = capture.interfaces.iter().map(|i| i.if_dropped).sum();
    let buffer = live
        .buffer_size
        .unwrap_or(crate::capture::live::DEFAULT_BUFFER);
    warnings.extend(drop_warning(capture.packets, dropped, if_dropped, buffer));
    Ok(Inputs {
        capture,
        warnings,
        errors: Vec::new(),
        read_ns: started.elapsed().as_nanos() as u64,
        interval: live.interval.map(|_| snapshots.next()),
    })
}

/// The bounds of live `--interval` snapshots, on the wall clock (the clock
/// live packets are stamped with): each starts where the one before ended.
#[cfg(feature = "live")]
struct Snapshots {
    since: Timestamp,
    last: Timestamp,
    number: u64,
}

#[cfg(feature = "live")]
impl Snapshots {
    fn new() -> Snapshots {
        let now = wall_clock();
        Snapshots {
            since: now,
            last: now,
            number: 0,
        }
    }

    fn next(&mut self) -> IntervalModel {
        let end = wall_clock().max(self.last);
        self.number += 1;
        let interval = IntervalModel {
            number: self.number,
            start: Shown(self.last),
            end: Shown(end),
            since: Shown(self.since),
            cumulative: true,
        };
        self.last = end;
        interval
    }
}

#[cfg(feature = "live")]
fn wall_clock() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX))
}

/// The warning for packets lost before tlssniff saw them: how many, their
/// share of all the packets (read plus dropped), and what to try — a
/// kernel buffer four times the run's (`buffer`, in bytes), said as the
/// `-B` KiB that asks for it.
#[cfg(any(feature = "live", test))]
fn drop_warning(read: u64, dropped: u64, if_dropped: u64, buffer: i32) -> Option<String> {
    let lost = dropped + if_dropped;
    if lost == 0 {
        return None;
    }
    let share = lost as f64 * 100.0 / (read + lost) as f64;
    let kib = i64::from(buffer.max(1024)) / 1024;
    let larger = (kib * 4).min(i64::from(i32::MAX) / 1024);
    let size = |kib: i64| match kib % 1024 {
        0 => format!("{} MiB", kib / 1024),
        _ => format!("{kib} KiB"),
    };
    let buffer = if larger > kib {
        format!(
            "a larger kernel buffer (this run's was {}; -B {larger} asks for {}, which the \
             kernel sets aside when the capture opens)",
            size(kib),
            size(larger)
        )
    } else {
        format!(
            "a capture on a less busy core (the kernel buffer is at its largest, {})",
            size(kib)
        )
    };
    Some(format!(
        "{lost} packets ({share:.2} % of {}) were lost before tlssniff saw them: {dropped} \
         dropped by the kernel, {if_dropped} by the interface (libpcap's counters); the \
         handshakes in them are missing from this report. Try {buffer}, fewer --threads on a \
         busy host, or a capture filter for the TLS ports \
         (-f 'tcp port 443 or tcp port 1433')",
        read + lost
    ))
}

/// Does a file whose first packet is at `first` continue one that ended at
/// `last`: no overlap, and no gap the idle timeout would have ended its
/// flows in anyway? (tcpdump -C/-G, dumpcap ring buffers and editcap -c
/// write such sets.)
fn continues(
    last: crate::time::Timestamp,
    first: crate::time::Timestamp,
    idle_timeout: crate::time::Duration,
) -> bool {
    first >= last && first.since(last) <= idle_timeout
}

/// `1.5 s`, `3 min`.
fn span_text(d: crate::time::Duration) -> String {
    let secs = d.0 as f64 / 1e9;
    if secs < 120.0 {
        format!("{secs:.3} s")
    } else {
        format!("{:.0} min", secs / 60.0)
    }
}

/// Reads every input file, and hands packets to `dispatch`; `announce`
/// says unreadable inputs on stderr (the first reading does; `-w`'s second
/// does not repeat it, nor do the parallel readers but the first), and
/// `progress` allows the progress line (`--progress`).
pub(super) fn read_files(
    cfg: &Config,
    dispatch: &mut dyn Dispatch,
    announce: bool,
    progress: bool,
) -> Result<Inputs, Error> {
    let mut capture = CaptureStats {
        max_flows: cfg.max_flows,
        ..CaptureStats::default()
    };
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut progress = Progress {
        enabled: cfg.progress && progress,
        last: Instant::now(),
        shown: false,
    };
    let started = Instant::now();
    let mut index: u64 = 0;
    // The previous file's name and last timestamp while its flows are still
    // open: a file that continues it (a rotated set) carries them on.
    let mut open_end: Option<(String, crate::time::Timestamp)> = None;
    let mut copies = Copies::default();
    #[cfg(feature = "live")]
    let mut filter = cfg
        .file_filter
        .as_deref()
        .map(crate::capture::filter::FileFilter::new);
    // `-c N`: the packets analysed (after the filter and pktmon's copies).
    let mut counted = 0u64;
    for path in &cfg.inputs {
        if cfg.count.is_some_and(|c| counted >= c) {
            break;
        }
        crate::error::test_panic("capture");
        match read_archive(path, dispatch, &mut index, &mut capture, &mut warnings)? {
            Ok(false) => {}
            Ok(true) => {
                // The archive's records took their places after every
                // packet before it; flows do not continue across it. Ending
                // the file also passes its records on.
                open_end = None;
                dispatch.end_of_file(index)?;
                continue;
            }
            Err(e) => {
                unreadable(&e, &mut errors, &mut capture, announce);
                continue;
            }
        }
        let mut file = match CaptureFile::open_with(path, cfg.file_read == FileRead::Map) {
            Ok(f) => f,
            Err(e) => {
                unreadable(&e, &mut errors, &mut capture, announce);
                continue;
            }
        };
        let mut fr = FileReport {
            name: file.name().to_string(),
            ..FileReport::default()
        };
        let stream = file.is_stream();
        loop {
            let pkt: Packet<'_> = match file.next_packet() {
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
            if let Some((prev, last)) = open_end.take() {
                if continues(last, pkt.ts, cfg.idle_timeout) {
                    capture.joined_files += 1;
                } else {
                    dispatch.end_of_file(index)?;
                    if pkt.ts < last {
                        capture.file_notes.push(format!(
                            "{} starts {} before {prev} ends: not joined (overlap)",
                            fr.name,
                            span_text(last.since(pkt.ts))
                        ));
                    }
                }
            }
            fr.packets += 1;
            fr.bytes += pkt.data.len() as u64;
            if pkt.packet_id.is_some_and(|id| !copies.first(id)) {
                *capture.skipped.entry(Skip::Duplicate).or_default() += 1;
                continue;
            }
            #[cfg(feature = "live")]
            if let Some(f) = &mut filter
                && !f.matches(pkt.link_type, pkt.data)?
            {
                *capture.skipped.entry(Skip::Filtered).or_default() += 1;
                continue;
            }
            index += 1;
            counted += 1;
            fr.first_ts = Some(fr.first_ts.map_or(pkt.ts, |t| t.min(pkt.ts)));
            fr.last_ts = Some(fr.last_ts.map_or(pkt.ts, |t| t.max(pkt.ts)));
            if pkt.cut_bytes() > 0 {
                capture.cut_packets += 1;
            }
            let ts = pkt.ts;
            dispatch.packet(&pkt, index)?;
            // A stream (`tcpdump -U -w - | tlssniff -`): the next read may
            // wait for the writer, so pass on what is waiting first — each
            // handshake is reported when it is known, not when a batch
            // fills.
            if stream && file.drained() {
                dispatch.tick(index, ts)?;
            }
            if cfg.count.is_some_and(|c| counted >= c) {
                break;
            }
            if index % 4096 == 0 {
                progress.tick(&file);
            }
        }
        progress.clear();
        match (fr.last_ts, &fr.damage) {
            // Undamaged: its flows stay open for a file that continues it.
            (Some(last), None) => open_end = Some((fr.name.clone(), last)),
            // Empty: nothing changes.
            (None, None) => {}
            // Damaged: what followed is lost; its flows end here.
            _ => {
                open_end = None;
                dispatch.end_of_file(index)?;
            }
        }
        fr.format = file.stats.format.clone();
        fr.link_types = file.stats.link_types.clone();
        fr.snaplen = file.stats.snaplen;
        // The run's totals are the files' totals.
        capture.packets += fr.packets + file.stats.orphan_packets;
        capture.bytes += fr.bytes;
        for ts in [fr.first_ts, fr.last_ts].into_iter().flatten() {
            capture.saw_time(ts);
        }
        capture.no_interface += file.stats.orphan_packets;
        if file.stats.orphan_packets > 0 {
            warnings.push(format!(
                "{}: {} packets name an interface with no interface description block; skipped",
                fr.name, file.stats.orphan_packets
            ));
        }
        capture.files.push(fr);
    }
    if open_end.is_some() {
        dispatch.end_of_file(index)?;
    }
    Ok(Inputs {
        capture,
        warnings,
        errors,
        read_ns: started.elapsed().as_nanos() as u64,
        interval: None,
    })
}

/// An input that could not be read: said at once on stderr, listed in the
/// report.
fn unreadable(
    e: &crate::capture::file::OpenError,
    errors: &mut Vec<String>,
    capture: &mut CaptureStats,
    announce: bool,
) {
    if announce {
        eprintln!("tlssniff: {}", escape::terminal(&e.to_string()));
    }
    errors.push(format!("cannot read {e}"));
    capture.files.push(FileReport {
        name: e.name.clone(),
        error: Some(e.reason.clone()),
        ..FileReport::default()
    });
}

/// Reads `path` when it is a Fiddler session archive: one record per
/// CONNECT tunnel whose text holds a ClientHello, each at the next capture
/// position. `Ok(false)`: not an archive (read it as a capture).
fn read_archive(
    path: &std::path::Path,
    dispatch: &mut dyn Dispatch,
    index: &mut u64,
    capture: &mut CaptureStats,
    warnings: &mut Vec<String>,
) -> Result<Result<bool, crate::capture::file::OpenError>, Error> {
    use crate::analysis::accounting::SessionCounts;
    use crate::analysis::fiddler::{NoRecord, record};
    use crate::capture::saz::{Archive, looks_like_zip};
    use std::io::Read;
    if path.as_os_str() == "-" {
        return Ok(Ok(false));
    }
    let mut magic = [0u8; 4];
    let is_zip = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && looks_like_zip(&magic);
    if !is_zip {
        return Ok(Ok(false));
    }
    let mut archive = match Archive::open(path) {
        Ok(Some(a)) => a,
        // Some other zip: the capture reader says what it is.
        Ok(None) => return Ok(Ok(false)),
        Err(e) => return Ok(Err(e)),
    };
    let mut counts = SessionCounts::default();
    let mut first: Option<crate::time::Timestamp> = None;
    let mut last: Option<crate::time::Timestamp> = None;
    let mut unreadable = Vec::new();
    for i in 0..archive.len() {
        let Some(session) = archive.session(i) else {
            break;
        };
        counts.sessions += 1;
        if !session.unreadable.is_empty() {
            counts.unreadable += 1;
            unreadable.extend(session.unreadable.iter().take(3).cloned());
        }
        match record(&session, *index + 1) {
            Ok(rec) => {
                *index += 1;
                counts.tunnels += 1;
                counts.records += 1;
                if rec.ts != crate::time::Timestamp::ZERO {
                    first = Some(first.map_or(rec.ts, |t| t.min(rec.ts)));
                    last = Some(last.map_or(rec.ts, |t| t.max(rec.ts)));
                }
                dispatch.record(rec)?;
            }
            Err(NoRecord::NotTunnel) => counts.not_tunnels += 1,
            Err(NoRecord::NoClientHello) => {
                counts.tunnels += 1;
                counts.no_client_hello += 1;
            }
        }
    }
    let version = archive
        .comment
        .split_whitespace()
        .find(|w| w.starts_with("(v"))
        .map(|w| w.trim_matches(|c| c == '(' || c == ')').to_string());
    let name = archive.name().to_string();
    if counts.unreadable > 0 {
        warnings.push(format!(
            "{name}: {} Fiddler sessions had entries that could not be read ({}); the others \
             were read",
            counts.unreadable,
            unreadable.join("; ")
        ));
    }
    if counts.no_client_hello > 0 {
        warnings.push(format!(
            "{name}: {} of {} CONNECT tunnels have no ClientHello in Fiddler's text (the client \
             sent none, or Fiddler was not set to capture HTTPS CONNECTs): no record for them",
            counts.no_client_hello, counts.tunnels
        ));
    }
    for ts in [first, last].into_iter().flatten() {
        capture.saw_time(ts);
    }
    capture.sessions += counts;
    capture.files.push(FileReport {
        name,
        format: match version {
            Some(v) => format!("Fiddler session archive ({v})"),
            None => "Fiddler session archive".into(),
        },
        first_ts: first,
        last_ts: last,
        sessions: Some(counts),
        ..FileReport::default()
    });
    Ok(Ok(true))
}

/// Copies of one packet logged more than once: pktmon writes a packet once
/// per component it crosses (2 to 11 times), every copy with the same
/// pcapng packet id. The first copy is analysed, the others are folded and
/// counted ([`Skip::Duplicate`]). The ids of the last [`Copies::WINDOW`]
/// packets are remembered: copies are logged within microseconds of each
/// other, and a capture with ids reused much later (another ETL trace
/// merged in) is not folded by mistake.
#[derive(Default)]
struct Copies {
    recent: std::collections::VecDeque<u64>,
    seen: std::collections::HashSet<u64>,
}

impl Copies {
    const WINDOW: usize = 4096;

    /// Is this the first copy of packet `id`?
    fn first(&mut self, id: u64) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.recent.push_back(id);
        if self.recent.len() > Self::WINDOW
            && let Some(old) = self.recent.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::drop_warning;

    #[test]
    fn drops_are_warned_with_their_share_and_what_to_try() {
        assert_eq!(drop_warning(1_000, 0, 0, 32 << 20), None);
        let w = drop_warning(990, 8, 2, 32 << 20).unwrap();
        assert!(
            w.starts_with("10 packets (1.00 % of 1000) were lost"),
            "{w}"
        );
        assert!(
            w.contains("8 dropped by the kernel, 2 by the interface"),
            "{w}"
        );
        assert!(
            w.contains("this run's was 32 MiB; -B 131072 asks for 128 MiB")
                && w.contains("tcp port 443 or tcp port 1433"),
            "{w}"
        );
        // A small -B (KiB, as tcpdump's) is advised up from where it was.
        let w = drop_warning(990, 10, 0, 64 << 10).unwrap();
        assert!(
            w.contains("this run's was 64 KiB; -B 256 asks for 256 KiB"),
            "{w}"
        );
        // At libpcap's largest there is no larger buffer to advise.
        let w = drop_warning(990, 10, 0, i32::MAX).unwrap();
        assert!(w.contains("the kernel buffer is at its largest"), "{w}");
        assert!(!w.contains("-B "), "{w}");
    }
}
