use std::process::ExitCode;

use clap::Parser;
use tlssniff::cli::Args;
use tlssniff::error::Error;

fn main() -> ExitCode {
    let args = Args::parse();
    let result = args
        .into_config()
        .and_then(|cfg| tlssniff::pipeline::run(&cfg));
    match result {
        Ok(verdict) => ExitCode::from(verdict.exit_code()),
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tlssniff: {e}");
            ExitCode::from(2)
        }
    }
}
