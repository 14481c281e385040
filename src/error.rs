//! Fatal errors: the ones that stop a run. Bad packets and damaged captures
//! are not errors; they are counted and reported.
//!
//! A panic is a bug in tlssniff, and it must never pass for a result: a
//! thread that panics ends the run with [`Error::Internal`], which names the
//! thread, the panic message and where it happened (exit status 3). The
//! panic hook ([`record_panics`]) notes that instead of printing the usual
//! multi-line message; `RUST_BACKTRACE=1` prints it as well.

use std::any::Any;
use std::fmt;
use std::io;
use std::sync::Mutex;

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
    /// A thread downstream of the capture thread stopped; its own result
    /// says why (the pipeline replaces this with that reason).
    Downstream,
    /// A bug: a thread panicked.
    Internal(String),
}

impl Error {
    /// The exit status for this error (`BrokenPipe` ends quietly with 0).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BrokenPipe => 0,
            Error::Internal(_) | Error::Downstream => 3,
            Error::Output { .. } | Error::Usage(_) | Error::Input(_) => 2,
        }
    }

    /// An I/O error while writing `name`: a broken pipe is the reader
    /// leaving, anything else a failure to report.
    pub fn output(name: impl Into<String>, e: io::Error) -> Error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output {
                name: name.into(),
                source: e,
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Output { name, source } => write!(f, "cannot write {name}: {source}"),
            Error::BrokenPipe => write!(f, "broken pipe"),
            Error::Usage(msg) | Error::Input(msg) => write!(f, "{msg}"),
            Error::Downstream => write!(f, "internal error: a parser worker stopped"),
            Error::Internal(msg) => write!(f, "internal error: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// Panics seen by the hook: (thread name, "message at file:line:column").
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Installs a panic hook that records each panic (for [`panic_text`])
/// instead of printing it; with `RUST_BACKTRACE` set, the default hook
/// prints it too.
pub fn record_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed thread")
            .to_string();
        let message = payload_text(info.payload());
        let text = match info.location() {
            Some(l) => format!("{message} at {}:{}:{}", l.file(), l.line(), l.column()),
            None => message,
        };
        if let Ok(mut p) = PANICS.lock() {
            if p.len() < 16 {
                p.push((thread, text));
            }
        }
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default(info);
        }
    }));
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

/// What the panic of thread `thread` said: the hook's record (message and
/// location) if there is one, else the payload's message.
pub fn panic_text(thread: &str, payload: &(dyn Any + Send)) -> String {
    let recorded = PANICS.lock().ok().and_then(|p| {
        p.iter()
            .rev()
            .find(|(t, _)| t == thread)
            .map(|(_, text)| text.clone())
    });
    recorded.unwrap_or_else(|| payload_text(payload))
}

/// Panics on purpose where a test asks for it (`TLSSNIFF_TEST_PANIC=site`,
/// debug builds only): the integration tests check that a panic in each
/// thread ends the run loudly.
#[track_caller]
pub fn test_panic(site: &str) {
    #[cfg(debug_assertions)]
    {
        static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let wanted = WANTED.get_or_init(|| std::env::var("TLSSNIFF_TEST_PANIC").ok());
        if wanted.as_deref() == Some(site) {
            panic!("injected for a test (TLSSNIFF_TEST_PANIC={site})");
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = site;
}
