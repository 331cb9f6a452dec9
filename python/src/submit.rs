//! `submit_main(argv)`: runs the `rmesos-submit` command line inside the
//! Python process, for the `rmesos-submit` console script that pip puts on
//! PATH. The command runs on its own thread while the calling thread, without
//! the GIL, checks for Ctrl-C every 50 ms; an interrupt returns 130 (the
//! shell's status for SIGINT) instead of raising.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use clap::Parser;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use rmesos_scheduler::cli::{self, args::SubmitArgs};
use tracing_subscriber::EnvFilter;

const POLL: Duration = Duration::from_millis(50);
/// Exit status after Ctrl-C, as a shell reports a process killed by SIGINT.
const INTERRUPTED: i32 = 130;

/// Runs `rmesos-submit` with `argv` (argv[0] is the program name) and
/// returns its exit status: 0 success, 1 job failed, 2 bad usage or input.
#[pyfunction]
pub fn submit_main(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    let args = match SubmitArgs::try_parse_from(&argv) {
        Ok(args) => args,
        Err(error) => {
            // Help and version go to stdout with status 0, usage errors to
            // stderr with status 2, exactly as the native binary does.
            let _ = error.print();
            return Ok(error.exit_code());
        }
    };
    init_logging();
    let (sender, mut receiver) = mpsc::channel::<i32>();
    // Not joined on interrupt: the process is about to exit, and the
    // command has no way to be stopped from outside.
    std::thread::Builder::new()
        .name("rmesos-submit".to_owned())
        .spawn(move || {
            let status = match cli::run(&args) {
                Ok(()) => 0,
                Err(error) => {
                    eprintln!("rmesos-submit: error: {error}");
                    status_of(error.exit_code())
                }
            };
            let _ = sender.send(status);
        })
        .map_err(|error| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "cannot start the rmesos-submit thread: {error}"
            ))
        })?;
    loop {
        // A Receiver is not Sync: it goes into the GIL-free closure and back.
        let (back, received) = py.detach(move || {
            let received = receiver.recv_timeout(POLL);
            (receiver, received)
        });
        receiver = back;
        match received {
            Ok(status) => return Ok(status),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                eprintln!("rmesos-submit: error: the command panicked");
                return Ok(1);
            }
        }
        if let Err(error) = py.check_signals() {
            if error.is_instance_of::<PyKeyboardInterrupt>(py) {
                eprintln!("rmesos-submit: interrupted");
                return Ok(INTERRUPTED);
            }
            return Err(error);
        }
    }
}

/// The number behind an `ExitCode` (which does not expose it).
fn status_of(code: ExitCode) -> i32 {
    (0..=u8::MAX)
        .find(|&n| ExitCode::from(n) == code)
        .map_or(1, i32::from)
}

/// Logs to stderr, filtered by `RUST_LOG` (default: warnings only), as the
/// native binary does.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    // Fails only if a subscriber is already set, which then keeps logging.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_map_to_their_numbers() {
        assert_eq!(status_of(ExitCode::SUCCESS), 0);
        assert_eq!(status_of(ExitCode::FAILURE), 1);
        assert_eq!(status_of(ExitCode::from(2)), 2);
        assert_eq!(status_of(ExitCode::from(130)), 130);
    }
}
