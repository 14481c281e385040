//! Command-line arguments (clap) → a validated [`Config`].

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::analysis::aggregate::Bucket;
use crate::analysis::readiness::{DenyClass, Policy, Preset};
use crate::config::{Config, LIVE_NEEDS_FEATURE, LiveConfig, RunPolicy};
use crate::error::Error;
use crate::report::Format;
use crate::time::Duration;
use crate::tls::cipher::Classes;
use crate::tls::version::Version;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `-V`: the version, and whether live capture is built in.
#[cfg(feature = "live")]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (live capture: built in, libpcap)"
);
#[cfg(not(feature = "live"))]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (live capture: not built in; cargo feature `live`)"
);

/// Passive TLS version analyzer: which clients still speak TLS 1.0/1.1,
/// SSL 3.0 or 3DES, to which servers, how often, and what fails.
#[derive(Debug, Parser)]
#[command(
    name = "tlssniff",
    version = VERSION,
    about,
    long_about = None,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Capture files to read (pcap or pcapng, also gzip/zstd-compressed);
    /// `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read a capture file (tcpdump's habit); may be repeated. Words after
    /// the options are then a filter expression, as with tcpdump.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Vec<PathBuf>,

    /// Accepted for tcpdump's habit (`-n`, `-nn`, `-nr FILE`): tlssniff
    /// never resolves names.
    #[arg(short = 'n', action = clap::ArgAction::Count, hide = true)]
    pub numeric: u8,

    /// Capture live from an interface (`any` for all; may be repeated).
    /// Needs the `live` feature. Words after the options are then a BPF
    /// filter, as with tcpdump.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Vec<String>,

    /// BPF filter, tcpdump syntax: live (default `tcp`), and on files
    /// (packets it does not match are counted and skipped; needs the `live`
    /// feature, libpcap compiles it).
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,

    /// Live: bytes kept of each packet (default: 262144, whole packets).
    #[arg(
        short = 's',
        long = "snaplen",
        value_name = "BYTES",
        default_value_t = 262_144,
        allow_negative_numbers = true,
        value_parser = snaplen
    )]
    pub snaplen: i32,

    /// Live: do not put the interface into promiscuous mode.
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    pub no_promisc: bool,

    /// Live: kernel capture buffer size in KiB.
    #[arg(short = 'B', long = "buffer-size", value_name = "KiB", allow_negative_numbers = true, value_parser = positive::<i32>)]
    pub buffer_kib: Option<i32>,

    /// Stop after this many packets (live, or read from files).
    #[arg(short = 'c', long = "count", value_name = "N", allow_negative_numbers = true, value_parser = positive::<u64>)]
    pub count: Option<u64>,

    /// Live: stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,

    /// Live: print the summary table every N seconds.
    #[arg(long, value_name = "SECONDS")]
    pub interval: Option<f64>,

    /// Live: once the interfaces are open, drop root and run as USER.
    #[arg(short = 'Z', long = "relinquish-privileges", value_name = "USER")]
    pub user: Option<String>,

    /// List the interfaces live capture can use, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    pub list_interfaces: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The name of this sensor, in every record and summary (default: the
    /// host name).
    #[arg(long, value_name = "NAME")]
    pub sensor: Option<String>,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write the packets of every handshake the report lists to FILE
    /// (pcapng; each connection's first packet carries a comment with what
    /// tlssniff found). Capture files only: they are read a second time.
    #[arg(
        short = 'w',
        long = "write",
        value_name = "FILE",
        conflicts_with = "write_legacy"
    )]
    pub write: Option<PathBuf>,

    /// Like -w, for the legacy handshakes only (below TLS 1.2, or a weak
    /// suite: the Legacy table's connections).
    #[arg(long = "write-legacy", value_name = "FILE")]
    pub write_legacy: Option<PathBuf>,

    /// Policy check: list the clients and connections a server requiring at
    /// least this version would reject (e.g. 1.2), and exit with status 1
    /// if there are any.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub min_version: Option<Version>,

    /// Judge readiness by a service's setting, and exit with status 1 when
    /// a connection falls short of it: entra (TLS 1.2+, no 3DES or other
    /// weak suite), azure-storage (minimumTlsVersion TLS1_2), azure-sql
    /// (Minimal TLS Version 1.2). --min-version overrides its minimum.
    #[arg(long, value_enum, value_name = "NAME")]
    pub policy: Option<Preset>,

    /// Cipher classes the policy denies besides its own (repeat or
    /// comma-separate): 3des, rc4, null, export, anon, des, cbc, weak. Makes
    /// the policy a gate (exit status 1), as --policy does.
    #[arg(long, value_enum, value_name = "CLASS", value_delimiter = ',')]
    pub deny_cipher: Vec<DenyClass>,

    /// A time series in summary-json (and a line per bucket of legacy
    /// traffic in the table): connections by negotiated version, legacy
    /// connections, failures and clients below the policy per bucket of
    /// capture time, e.g. 15m, 1h, 1d (s, m, h, d), or `auto`: the
    /// narrowest of 1s, 5s, 15s, 1m, 5m, 15m, 1h, 6h, 1d, 7d, 28d that
    /// spans the capture in at most 60 buckets (the HTML report's default).
    #[arg(long, value_name = "DURATION", value_parser = parse_bucket)]
    pub bucket: Option<Bucket>,

    /// Names for client fingerprints: a CSV of `fingerprint,label` lines
    /// (a JA4 or a JA3 hash each), shown in the "Client software" view.
    #[arg(long, value_name = "FILE")]
    pub fingerprints: Option<PathBuf>,

    /// Most flows tracked at once; the least recently active is evicted
    /// (and counted) beyond it.
    #[arg(long, value_name = "N", default_value_t = 100_000, allow_negative_numbers = true, value_parser = positive::<usize>)]
    pub max_flows: usize,

    /// Bytes examined per direction of a flow (the handshake; application
    /// data is never buffered).
    #[arg(long, value_name = "BYTES", default_value_t = 65_536, allow_negative_numbers = true, value_parser = at_least::<512>)]
    pub max_handshake_bytes: usize,

    /// Bytes of a server's Certificate message read beyond
    /// --max-handshake-bytes (only its leaf certificate is kept; a longer
    /// message is skipped and counted).
    #[arg(long, value_name = "BYTES", default_value_t = crate::tls::scanner::DEFAULT_MAX_CERTIFICATE_BYTES, allow_negative_numbers = true, value_parser = at_least::<0>)]
    pub max_certificate_bytes: usize,

    /// Bytes all flows together may hold (out-of-order segments, partial
    /// hellos); beyond it the oldest flows are evicted (and counted).
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20, allow_negative_numbers = true, value_parser = at_least::<{ 1 << 20 }>)]
    pub max_buffered_bytes: usize,

    /// Rows each report table (clients, servers, legacy uses, failures,
    /// policy violations, fallback retries) may hold; connections beyond it
    /// are still in every total, and counted as unlisted.
    #[arg(long, value_name = "N", default_value_t = 100_000, allow_negative_numbers = true, value_parser = positive::<usize>)]
    pub max_rows: usize,

    /// A flow with no packet for this long (capture time) is ended.
    #[arg(long, value_name = "SECONDS", default_value_t = 120, allow_negative_numbers = true, value_parser = positive::<u64>)]
    pub idle_timeout: u64,

    /// Rows per section in the table (0: all).
    #[arg(long, value_name = "N", default_value_t = 20, allow_negative_numbers = true, value_parser = rows)]
    pub top: usize,

    /// Table lines as wide as they need: no column shortened to the
    /// terminal width (COLUMNS, or the terminal's; piped output is never
    /// shortened).
    #[arg(long)]
    pub wide: bool,

    /// When to use colours in the table (NO_COLOR is honoured with `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// No progress display on standard error.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Parser worker threads (default: the machine's cores for files, 1
    /// for live capture; 1 runs everything on one thread).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = positive::<usize>)]
    pub threads: Option<usize>,

    /// A lower-version retry within this many seconds (capture time) of a
    /// failed attempt is a fallback retry.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, allow_negative_numbers = true, value_parser = positive::<u64>)]
    pub fallback_window: u64,

    /// Print throughput and per-stage figures on standard error at the end.
    #[arg(long)]
    pub stats: bool,

    /// CSV: write every cell exactly as it is. By default a cell that
    /// begins with = + - @, a tab or a carriage return gets a leading ' so
    /// that spreadsheets do not run it as a formula.
    #[arg(long)]
    pub raw_csv: bool,

    /// Map regular capture files into memory instead of reading them with
    /// read() (each worker then walks the map).
    #[arg(long, conflicts_with = "no_mmap")]
    pub mmap: bool,

    /// Read capture files as streams through one capture thread that hands
    /// frames to the workers, as standard input is read.
    #[arg(long)]
    pub no_mmap: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure throughput on capture files: packets/s, Gbit/s, handshakes/s,
    /// time per stage, per-worker load, channel stalls (the report itself
    /// is discarded).
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Parser worker threads (default: the machine's cores).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = positive::<usize>)]
    pub threads: Option<usize>,
    /// The floor probe: only walk the records, decode headers and hash
    /// flows — the least any analyzer must do. `--floor=walk` only walks
    /// the records; `--floor=lookup` also looks each packet's flow up in
    /// the flow table.
    #[arg(
        long,
        value_name = "PROBE",
        value_enum,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "decode"
    )]
    pub floor: Option<crate::pipeline::Probe>,
    /// Also produce jsonl records (serialized, then discarded).
    #[arg(long)]
    pub jsonl: bool,
    /// Map the files into memory instead of reading them with read().
    #[arg(long, conflicts_with = "no_mmap")]
    pub mmap: bool,
    /// Read the files as streams through one capture thread.
    #[arg(long)]
    pub no_mmap: bool,
}

/// How `--mmap` and `--no-mmap` say capture files are read.
pub fn file_read(mmap: bool, no_mmap: bool) -> crate::config::FileRead {
    use crate::config::FileRead;
    match (mmap, no_mmap) {
        (true, _) => FileRead::Map,
        (_, true) => FileRead::Stream,
        _ => FileRead::Read,
    }
}

/// The machine's cores (at least 1).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 --min-version found connections that would be rejected;
2 an input could not be read (the others are still analysed and reported).

Examples:
  tlssniff capture.pcapng
  tlssniff --min-version 1.2 *.pcap          # what breaks if I enforce TLS 1.2?
  tlssniff --format jsonl trace.pcap.gz | jq 'select(.version == \"TLS 1.0\")'";

/// A whole number of at least 1.
fn positive<T: std::str::FromStr + TryFrom<u64>>(s: &str) -> Result<T, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 1 => u64::try_from(n)
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| "too large".into()),
        Ok(_) => Err("must be at least 1".into()),
        Err(_) => Err("must be a whole number".into()),
    }
}

/// A whole number of at least `MIN`.
fn at_least<const MIN: usize>(s: &str) -> Result<usize, String> {
    let n: usize = positive(s)?;
    if n < MIN {
        return Err(format!("must be at least {MIN}"));
    }
    Ok(n)
}

/// `--top`: 0 (every row) or a positive number of rows.
fn rows(s: &str) -> Result<usize, String> {
    match s.trim() {
        "0" => Ok(0),
        other => positive(other).map_err(|_| "must be 0 (every row) or a positive number".into()),
    }
}

/// `-s`: 0 is the default (whole packets), as with tcpdump; below 64 bytes
/// not even the TCP header would be kept.
fn snaplen(s: &str) -> Result<i32, String> {
    match s.trim() {
        "0" => Ok(262_144),
        other => {
            let n: i32 = positive(other)?;
            if n < 64 {
                return Err("must be 0 (whole packets) or at least 64 bytes".into());
            }
            Ok(n)
        }
    }
}

/// `--fingerprints FILE`: `fingerprint,label` per line (an optional header
/// line `fingerprint,label`; blank lines and `#` comments are skipped).
fn load_labels(
    path: &std::path::Path,
) -> Result<std::collections::BTreeMap<String, String>, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("--fingerprints {name}: {e}")))?;
    let mut labels = std::collections::BTreeMap::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    for (i, row) in rdr.records().enumerate() {
        let row = row.map_err(|e| Error::Usage(format!("--fingerprints {name}: {e}")))?;
        let (Some(fp), Some(label)) = (row.get(0), row.get(1)) else {
            if row.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            return Err(Error::Usage(format!(
                "--fingerprints {name}: line {}: want `fingerprint,label`",
                i + 1
            )));
        };
        let fp = fp.trim();
        if i == 0 && fp.eq_ignore_ascii_case("fingerprint") {
            continue;
        }
        labels.insert(fp.to_owned(), label.trim().to_owned());
    }
    Ok(labels)
}

/// `15m`, `1h`, `1d`, `30s`: a bucket width of at least one second; or
/// `auto`.
fn parse_bucket(s: &str) -> Result<Bucket, String> {
    if s == "auto" {
        return Ok(Bucket::Auto);
    }
    let bad = || format!("bad bucket {s:?}: a number and s, m, h or d (15m, 1h, 1d), or auto");
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match n.checked_mul(secs) {
        Some(total) if total > 0 => Ok(Bucket::Every(Duration::from_secs(total))),
        _ => Err(bad()),
    }
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s)
        .ok_or_else(|| format!("unknown TLS version {s:?} (try 1.0, 1.1, 1.2, 1.3, ssl3)"))
}

impl BenchArgs {
    pub fn into_config(self) -> Config {
        Config {
            inputs: self.files,
            format: if self.jsonl {
                Format::Jsonl
            } else {
                Format::SummaryJson
            },
            threads: self.threads.unwrap_or_else(default_threads).max(1),
            stats: true,
            discard: true,
            file_read: file_read(self.mmap, self.no_mmap),
            ..Config::default()
        }
    }
}

fn seconds(name: &str, s: f64) -> Result<std::time::Duration, Error> {
    std::time::Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Error::Usage(format!("{name} must be a positive number of seconds")))
}

/// Drops inputs named again (the same file by any path, or `-` twice):
/// each is read once. Returns a note per drop.
fn dedupe(inputs: &mut Vec<PathBuf>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut notes = Vec::new();
    inputs.retain(|p| {
        let key = if p.as_os_str() == "-" {
            p.clone()
        } else {
            std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())
        };
        let first = seen.insert(key);
        if !first {
            notes.push(format!(
                "{} is named more than once; it is read once",
                p.display()
            ));
        }
        first
    });
    notes
}

impl Args {
    /// A filter on capture files: `-f EXPR`, or — after `-r FILE`, as
    /// tcpdump reads it — the words after the options.
    fn file_filter(&mut self) -> Result<Option<String>, Error> {
        let words = if self.read.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut self.files)
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect()
        };
        let filter = match (self.filter.take(), words.is_empty()) {
            (Some(_), false) => {
                return Err(Error::Usage(
                    "give the filter with -f or as trailing words, not both".into(),
                ));
            }
            (Some(f), true) => Some(f),
            (None, false) => Some(words.join(" ")),
            (None, true) => None,
        };
        if filter.is_some() && !cfg!(feature = "live") {
            return Err(Error::Usage(format!(
                "a filter expression on capture files ({}) needs libpcap's compiler: build \
                 with the cargo feature `live` (apt-get install libpcap-dev), or filter first \
                 with tcpdump: `tcpdump -r IN -w OUT 'EXPR'`",
                filter.unwrap_or_default()
            )));
        }
        Ok(filter)
    }

    /// Live capture settings, when `-i` was given.
    fn live(&mut self) -> Result<Option<LiveConfig>, Error> {
        if self.interface.is_empty() {
            if self.user.is_some() {
                return Err(Error::Usage("-Z goes with -i (live capture)".into()));
            }
            return Ok(None);
        }
        if !cfg!(feature = "live") {
            return Err(Error::Usage(LIVE_NEEDS_FEATURE.into()));
        }
        if !self.read.is_empty() {
            return Err(Error::Usage(
                "give either -i (live) or capture files, not both".into(),
            ));
        }
        let words: Vec<String> = std::mem::take(&mut self.files)
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let filter = match (self.filter.take(), words.is_empty()) {
            (Some(_), false) => {
                return Err(Error::Usage(
                    "give the filter with -f or as trailing words, not both".into(),
                ));
            }
            (Some(f), true) => f,
            (None, false) => words.join(" "),
            (None, true) => "tcp".into(),
        };
        Ok(Some(LiveConfig {
            interfaces: self.interface.clone(),
            filter,
            snaplen: self.snaplen,
            promisc: !self.no_promisc,
            buffer_size: self.buffer_kib.map(|k| k.saturating_mul(1024)),
            count: self.count,
            duration: self
                .duration
                .map(|d| seconds("--duration", d))
                .transpose()?,
            interval: self
                .interval
                .map(|d| seconds("--interval", d))
                .transpose()?,
            status: !self.quiet && std::io::stderr().is_terminal() && self.format == Format::Table,
            user: self.user.clone(),
        }))
    }

    pub fn into_config(mut self) -> Result<Config, Error> {
        let live = self.live()?;
        let file_filter = if live.is_some() {
            None
        } else {
            self.file_filter()?
        };
        let count = if live.is_some() { None } else { self.count };
        let mut inputs = std::mem::take(&mut self.read);
        inputs.append(&mut self.files);
        let notes = dedupe(&mut inputs);
        if inputs.is_empty() && live.is_none() {
            return Err(Error::Usage(
                "no input: give capture files (or `-` for standard input); see --help".into(),
            ));
        }
        let evidence = self.evidence(&inputs, live.is_some())?;
        // `-o -` is standard output, as with most tools.
        self.output = self.output.take().filter(|p| p.as_os_str() != "-");
        let stdout_tty = std::io::stdout().is_terminal() && self.output.is_none();
        if stdout_tty && self.format == Format::Html {
            // As gzip does with compressed data: a page is for a file.
            return Err(Error::Usage(
                "--format html writes a web page, not text for a terminal: \
                 add -o report.html (or redirect standard output)"
                    .into(),
            ));
        }
        let table_width = self.table_width(stdout_tty);
        // Reading a stream (`tcpdump -w - | tlssniff -`): show records as
        // they complete rather than when a buffer fills.
        let streaming = live.is_some() || inputs.iter().any(|p| p.as_os_str() == "-");
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_tty && !no_color,
        };
        let sensor_named = self.sensor.is_some();
        let sensor = sensor_name(self.sensor.take())?;
        Ok(Config {
            inputs,
            sensor,
            sensor_named,
            format: self.format,
            output: self.output,
            min_version: self.min_version,
            policy: {
                let explicit = self.policy.is_some() || !self.deny_cipher.is_empty();
                let mut p = self.policy.map_or_else(Policy::default, Policy::preset);
                if let Some(min) = self.min_version {
                    p.min_version = min;
                }
                for d in &self.deny_cipher {
                    p.deny = Classes(p.deny.0 | d.classes().0);
                }
                RunPolicy {
                    policy: p,
                    gate: explicit,
                }
            },
            // The HTML report draws the version mix over time.
            bucket: match (self.bucket, self.format) {
                (None, Format::Html) => Some(Bucket::Auto),
                (b, _) => b,
            },
            labels: match &self.fingerprints {
                Some(path) => load_labels(path)?,
                None => Default::default(),
            },
            max_flows: self.max_flows,
            max_handshake_bytes: self.max_handshake_bytes,
            max_certificate_bytes: self.max_certificate_bytes,
            max_buffered_bytes: self.max_buffered_bytes,
            max_rows: self.max_rows,
            idle_timeout: Duration::from_secs(self.idle_timeout),
            color,
            top: self.top,
            table_width,
            progress: !self.quiet && std::io::stderr().is_terminal(),
            flush_each: streaming,
            file_filter,
            count,
            raw_csv: self.raw_csv,
            file_read: file_read(self.mmap, self.no_mmap),
            notes,
            // Live, the capture thread draining the kernel's ring is what
            // must keep up; one thread did at tcpreplay's top speed on 2
            // cores where two workers beside it lost packets (README, Live
            // capture).
            threads: self
                .threads
                .unwrap_or_else(|| if live.is_some() { 1 } else { default_threads() }),
            fallback_window: Duration::from_secs(self.fallback_window),
            stats: self.stats,
            discard: false,
            live,
            evidence,
        })
    }

    /// `-w` / `--write-legacy`: capture files only (the evidence is written
    /// on a second reading of them).
    /// The width the table fits: none with `--wide` or when the output is
    /// not a terminal (unless COLUMNS says), else COLUMNS or the terminal's.
    fn table_width(&self, stdout_tty: bool) -> Option<usize> {
        if self.wide {
            return None;
        }
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok());
        columns.filter(|&c: &usize| c > 0).or_else(|| {
            stdout_tty
                .then(terminal_size::terminal_size)
                .flatten()
                .map(|(w, _)| usize::from(w.0))
        })
    }

    fn evidence(
        &mut self,
        inputs: &[PathBuf],
        live: bool,
    ) -> Result<Option<crate::config::EvidenceConfig>, Error> {
        let (path, legacy_only) = match (self.write.take(), self.write_legacy.take()) {
            (Some(p), _) => (p, false),
            (None, Some(p)) => (p, true),
            (None, None) => return Ok(None),
        };
        let second_reading = "tlssniff writes the packets on a second reading of its inputs";
        if live {
            return Err(Error::Usage(format!(
                "-w/--write-legacy with live capture is not supported ({second_reading}): \
                 capture with `tcpdump -w FILE`, then run `tlssniff -w EVIDENCE FILE`"
            )));
        }
        if let Some(stream) = inputs
            .iter()
            .find(|p| p.as_os_str() == "-" || std::fs::metadata(p).is_ok_and(|m| !m.is_file()))
        {
            return Err(Error::Usage(format!(
                "-w/--write-legacy needs capture files, not a stream ({}): {second_reading}; \
                 save the stream to a file first",
                stream.display()
            )));
        }
        if path.as_os_str() == "-" {
            return Err(Error::Usage(
                "-w -: the report goes to standard output; give the evidence a file name".into(),
            ));
        }
        if inputs.iter().any(|p| same_file(p, &path)) {
            return Err(Error::Usage(format!(
                "-w {}: that is one of the inputs",
                path.display()
            )));
        }
        Ok(Some(crate::config::EvidenceConfig { path, legacy_only }))
    }
}

/// The longest sensor name accepted (a DNS name's limit).
const MAX_SENSOR_BYTES: usize = 253;

/// `--sensor NAME`, or the host name. A name is printable text: it goes
/// into every record, where a control character would be one more thing for
/// each sink to escape.
fn sensor_name(given: Option<String>) -> Result<String, Error> {
    let (name, from) = match given {
        Some(n) => (n, "--sensor"),
        None => (
            crate::config::host_name(),
            "the host name (give --sensor NAME)",
        ),
    };
    let name = name.trim().to_string();
    // Bidi controls reorder what is printed after them (Trojan Source).
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if name.is_empty() || name.len() > MAX_SENSOR_BYTES || name.chars().any(hidden) {
        return Err(Error::Usage(format!(
            "{from}: a sensor name is 1 to {MAX_SENSOR_BYTES} bytes of printable text, got {:?}",
            name
        )));
    }
    Ok(name)
}

/// Do two paths name the same existing file?
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
