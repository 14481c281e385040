//! The validated configuration of a run: what `cli` makes of the arguments,
//! and what `pipeline` runs. Neither imports the other; both import this.

use std::path::PathBuf;

use crate::analysis::readiness::Policy;
use crate::report::Format;
use crate::time::Duration;
use crate::tls::version::Version;

/// What the default build says to `-i` and `-D`.
pub const LIVE_NEEDS_FEATURE: &str = "live capture (-i, -D) needs the cargo feature `live` and \
    libpcap: `apt-get install libpcap-dev && cargo install --path . --features live`";

/// The policy of a run: readiness is always judged by it; with `--policy`
/// or `--deny-cipher` a connection that falls short of it (the client
/// cannot, or the server held it back) makes the exit status 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunPolicy {
    pub policy: Policy,
    pub gate: bool,
}

/// A validated run configuration (see `cli`).
#[derive(Clone, Debug)]
pub struct Config {
    pub inputs: Vec<PathBuf>,
    /// `--sensor`: names this tlssniff in every record and summary.
    pub sensor: String,
    /// The sensor was named with `--sensor` (the table then shows it).
    pub sensor_named: bool,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub min_version: Option<Version>,
    /// The policy readiness is judged by, and whether it is a gate.
    pub policy: RunPolicy,
    /// The width of summary-json's time buckets, if any.
    pub bucket: Option<crate::analysis::aggregate::Bucket>,
    /// `--fingerprints`: names of client fingerprints (JA4 or JA3).
    pub labels: std::collections::BTreeMap<String, String>,
    pub max_flows: usize,
    pub max_handshake_bytes: usize,
    /// Bytes of a Certificate message read beyond `max_handshake_bytes`.
    pub max_certificate_bytes: usize,
    /// Bytes all flows may hold at once (out-of-order segments and partial
    /// hellos); beyond it the oldest flows are evicted.
    pub max_buffered_bytes: usize,
    /// Rows each report table (clients, servers, legacy uses, failures,
    /// policy violations, fallback retries) may hold.
    pub max_rows: usize,
    pub idle_timeout: Duration,
    pub fallback_window: Duration,
    /// Parser workers; 1 runs everything on the capture thread.
    pub threads: usize,
    pub color: bool,
    pub top: usize,
    /// Columns the table fits (None: as wide as it needs).
    pub table_width: Option<usize>,
    pub progress: bool,
    /// Flush jsonl/csv after every record.
    pub flush_each: bool,
    /// A BPF filter for capture files (tcpdump syntax; the `live` feature
    /// compiles it).
    pub file_filter: Option<String>,
    /// Stop reading files after this many packets.
    pub count: Option<u64>,
    /// CSV cells exactly as they are, without the formula guard.
    pub raw_csv: bool,
    /// How regular capture files are read.
    pub file_read: FileRead,
    /// Notes about the arguments, for standard error (an input named twice).
    pub notes: Vec<String>,
    /// Print throughput and per-stage figures on stderr at the end.
    pub stats: bool,
    /// Throw the report away (benchmarks).
    pub discard: bool,
    /// Capture from interfaces instead of reading `inputs`.
    pub live: Option<LiveConfig>,
    /// `-w FILE` / `--write-legacy FILE`: write the packets of the listed
    /// (or only the legacy) handshakes.
    pub evidence: Option<EvidenceConfig>,
}

/// Live capture settings (used with the cargo feature `live`).
#[derive(Clone, Debug, Default)]
pub struct LiveConfig {
    pub interfaces: Vec<String>,
    /// BPF filter, tcpdump syntax.
    pub filter: String,
    pub snaplen: i32,
    pub promisc: bool,
    /// Kernel buffer in bytes.
    pub buffer_size: Option<i32>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Stop after this long (wall clock).
    pub duration: Option<std::time::Duration>,
    /// Print the summary this often (wall clock).
    pub interval: Option<std::time::Duration>,
    /// A status line on stderr every few seconds.
    pub status: bool,
    /// Drop root for this user once the interfaces are open (`-Z`).
    pub user: Option<String>,
}

/// Where `-w` writes, and which handshakes.
#[derive(Clone, Debug)]
pub struct EvidenceConfig {
    pub path: PathBuf,
    /// Only the connections the Legacy table lists (below TLS 1.2, or a
    /// weak suite).
    pub legacy_only: bool,
}

/// This machine's host name, the default sensor name (lossy where it is not
/// UTF-8).
pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            inputs: Vec::new(),
            sensor: host_name(),
            sensor_named: false,
            format: Format::Table,
            output: None,
            min_version: None,
            policy: RunPolicy::default(),
            bucket: None,
            labels: Default::default(),
            max_flows: 100_000,
            max_handshake_bytes: 64 * 1024,
            max_certificate_bytes: crate::tls::scanner::DEFAULT_MAX_CERTIFICATE_BYTES,
            max_buffered_bytes: 256 << 20,
            max_rows: 100_000,
            idle_timeout: Duration::from_secs(120),
            fallback_window: Duration::from_secs(60),
            threads: 1,
            color: false,
            top: 20,
            table_width: None,
            progress: false,
            flush_each: false,
            file_filter: None,
            count: None,
            raw_csv: false,
            file_read: FileRead::default(),
            notes: Vec::new(),
            stats: false,
            discard: false,
            live: None,
            evidence: None,
        }
    }
}

/// How regular, uncompressed capture files are read. Standard input, pipes
/// and compressed files are always streams read by one capture thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileRead {
    /// `read()` into a small buffer (the default: measured faster than the
    /// map on this project's machine, see README, Benchmarks); with several
    /// threads each worker reads the file itself.
    #[default]
    Read,
    /// Mapped into memory (`--mmap`); with several threads each worker
    /// walks the map.
    Map,
    /// One capture thread reads the file and hands frames to the workers
    /// (`--no-mmap`), as it does standard input.
    Stream,
}
