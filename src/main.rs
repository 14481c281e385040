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

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Some(Command::Bench(b)) => bench(b),
        None => args.into_config().and_then(|cfg| pipeline::run(&cfg)),
    };
    match result {
        Ok(verdict) => ExitCode::from(verdict.exit_code()),
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tlssniff: {e}");
            ExitCode::from(2)
        }
    }
}
