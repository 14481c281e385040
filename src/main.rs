use std::process::ExitCode;

use clap::Parser;
use tlssniff::cli::{Args, BenchArgs, Command};
use tlssniff::error::Error;
use tlssniff::pipeline::{self, Verdict};

/// `tlssniff bench`: the floor probe, or a full run with its figures.
fn bench(args: BenchArgs) -> Result<Verdict, Error> {
    if args.floor {
        let (packets, bytes, secs) = pipeline::floor(&args.files)?;
        let secs = secs.max(1e-9);
        println!(
            "floor: {packets} packets in {secs:.3} s: {:.0} packets/s, {:.3} Gbit/s",
            packets as f64 / secs,
            bytes as f64 * 8.0 / secs / 1e9
        );
        return Ok(Verdict::Clean);
    }
    pipeline::run(&args.into_config())
}

/// `-D`: the interfaces live capture can open.
fn list_interfaces() -> Result<Verdict, Error> {
    #[cfg(feature = "live")]
    {
        let list = tlssniff::capture::live::list().map_err(Error::Input)?;
        for (i, (name, desc)) in list.iter().enumerate() {
            match desc {
                Some(d) => println!("{}.{name} ({d})", i + 1),
                None => println!("{}.{name}", i + 1),
            }
        }
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
    let result = match args.command {
        _ if args.list_interfaces => list_interfaces(),
        Some(Command::Bench(b)) => bench(b),
        None => args.into_config().and_then(|cfg| pipeline::run(&cfg)),
    };
    match result {
        Ok(verdict) => ExitCode::from(verdict.exit_code()),
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "tlssniff: {}",
                tlssniff::report::escape::terminal(&e.to_string())
            );
            ExitCode::from(2)
        }
    }
}
