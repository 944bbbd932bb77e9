//! The `scaffold` binary's side of the command line: the arguments ([`args`]), each command's
//! flow ([`commands`]), the man pages ([`man`]), and what only a binary does: asking on a
//! terminal ([`chooser`]) and drawing a progress bar ([`progress`]). The library does the work
//! and builds the text ([`scaffold::report`]); this module prints it.

pub(crate) mod args;
mod chooser;
pub(crate) mod commands;
pub(crate) mod man;
mod progress;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use args::OutputFormat;

/// How a command that did its job ended.
pub(crate) enum Outcome {
    /// Done (exit 0).
    Done,
    /// `--check` found differences (exit 1).
    Different,
    /// `upgrade` left conflicts in files (exit 3).
    Conflicts,
}

/// Why a command did not do its job.
pub(crate) enum Failure {
    /// The library refused; nothing was written (exit 1). Printed in the run's output format.
    Refused(scaffold::Error, OutputFormat),
    /// A question on the terminal failed or was given up (exit 1).
    Aborted(String),
    /// A usage error found after parsing (a missing answer, --check without --secret-key),
    /// printed as clap prints its own (exit 2).
    Usage(clap::Error),
}

impl Failure {
    /// The exit status: 2 for a usage error, as clap's own; else 1 (nothing was written).
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Refused(..) | Failure::Aborted(_) => ExitCode::FAILURE,
        }
    }

    /// Prints the failure on stderr (a refusal in JSON mode: on stdout, as the report would
    /// be), quietly if that fails, since the exit status still tells.
    pub(crate) fn print(&self) {
        match self {
            Failure::Refused(error, OutputFormat::Json) => {
                let json = scaffold::report::json_error(error);
                let _ = std::io::stdout().write_all(json.as_bytes());
            }
            Failure::Refused(error, OutputFormat::Text) => {
                let colour = scaffold::report::colour(
                    std::io::stderr().is_terminal(),
                    std::env::var_os("NO_COLOR").as_deref(),
                );
                let mut err = std::io::stderr().lock();
                for line in scaffold::report::error_lines(error, colour) {
                    let _ = writeln!(err, "{line}");
                }
            }
            Failure::Aborted(why) => {
                let _ = writeln!(std::io::stderr(), "error: {why}; nothing was written");
            }
            Failure::Usage(e) => {
                let _ = e.print();
            }
        }
    }
}
