use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use clap::Parser;
use tlssniff::cli::{Args, BenchArgs, Command};
use tlssniff::error::{self, Error};
use tlssniff::pipeline::{self, Verdict};
use tlssniff::report::escape;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writes to standard output; the reader leaving is a broken pipe.
fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::output("<stdout>", e))
}

/// `tlssniff bench`: the floor probe, or a full run with its figures.
fn bench(args: BenchArgs) -> Result<Verdict, Error> {
    if let Some(probe) = args.floor {
        let (packets, bytes, secs) = pipeline::floor(&args.files, args.mmap, probe)?;
        let secs = secs.max(1e-9);
        print(&format!(
            "floor: {packets} packets in {secs:.3} s: {:.0} packets/s, {:.3} Gbit/s\n",
            packets as f64 / secs,
            bytes as f64 * 8.0 / secs / 1e9
        ))?;
        return Ok(Verdict::Clean);
    }
    pipeline::run(&args.into_config())
}

/// `-D`: the interfaces live capture can open.
fn list_interfaces() -> Result<Verdict, Error> {
    #[cfg(feature = "live")]
    {
        let list = tlssniff::capture::live::list().map_err(Error::Input)?;
        let mut text = String::new();
        for (i, (name, desc)) in list.iter().enumerate() {
            let name = escape::terminal(name);
            match desc {
                Some(d) => text += &format!("{}.{name} ({})\n", i + 1, escape::terminal(d)),
                None => text += &format!("{}.{name}\n", i + 1),
            }
        }
        print(&text)?;
        Ok(Verdict::Clean)
    }
    #[cfg(not(feature = "live"))]
    Err(Error::Usage(tlssniff::config::LIVE_NEEDS_FEATURE.into()))
}

/// SIGINT/SIGTERM: the first stops the capture (the summary is still
/// printed); a second exits at once.
#[cfg(feature = "live")]
fn on_signals() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PRESSED: AtomicUsize = AtomicUsize::new(0);
    let _ = ctrlc::set_handler(|| {
        if PRESSED.fetch_add(1, Ordering::SeqCst) > 0 {
            std::process::exit(130);
        }
        pipeline::STOP.store(true, Ordering::SeqCst);
    });
}

fn main() -> ExitCode {
    let args = Args::parse();
    #[cfg(feature = "live")]
    if !args.interface.is_empty() {
        on_signals();
    }
    error::record_panics();
    // A panic on this thread (the capture thread, and with --threads 1 the
    // only one) is an internal error like a worker's.
    let result = catch_unwind(AssertUnwindSafe(|| match args.command {
        _ if args.list_interfaces => list_interfaces(),
        Some(Command::Bench(b)) => bench(b),
        None => args.into_config().and_then(|cfg| {
            for note in &cfg.notes {
                let _ = writeln!(
                    std::io::stderr(),
                    "tlssniff: note: {}",
                    escape::terminal(note)
                );
            }
            pipeline::run(&cfg)
        }),
    }))
    .unwrap_or_else(|p| {
        let why = error::panic_text("main", p.as_ref());
        Err(Error::Internal(format!("the main thread panicked: {why}")))
    });
    match result {
        Ok(verdict) => ExitCode::from(verdict.exit_code()),
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = escape::terminal(&e.to_string());
            let _ = writeln!(std::io::stderr(), "tlssniff: {msg}");
            ExitCode::from(e.exit_code())
        }
    }
}
