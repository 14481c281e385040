//! Fatal errors: the ones that stop a run. Bad packets and damaged captures
//! are not errors; they are counted and reported.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum Error {
    /// Writing the report failed.
    Output { name: String, source: io::Error },
    /// The reader of our output went away (`tlssniff ... | head`): stop
    /// quietly.
    BrokenPipe,
    /// Bad arguments that clap could not catch.
    Usage(String),
    /// An interface could not be opened, or privileges not dropped.
    Input(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Output { name, source } => write!(f, "cannot write {name}: {source}"),
            Error::BrokenPipe => write!(f, "broken pipe"),
            Error::Usage(msg) | Error::Input(msg) => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for Error {}
