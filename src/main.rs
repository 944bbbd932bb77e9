//! The `scaffold` command: parses the arguments, runs the command, and maps how it ended to an
//! exit code: 0 done, 1 refused (nothing written) or `--check` found differences, 2 usage
//! error, 3 `upgrade` left conflicts. The command line lives in [`cli`]; the work in the
//! `scaffold` library.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use cli::args::{print_usage_error, Cli, Command};
use cli::{commands, man, Outcome};

fn main() -> ExitCode {
    // A write past RLIMIT_FSIZE then fails with EFBIG, which rolls back, instead of killing
    // the process midway.
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return print_usage_error(&e),
    };
    let ended = match cli.command {
        Command::Startproject(args) => commands::startproject(&args),
        Command::Startapp(args) => commands::startapp(&args),
        Command::New(args) => commands::new(args),
        Command::Upgrade(args) => commands::upgrade(&args),
        Command::Completions { shell } => commands::completions(shell),
        Command::Man { command, dir } => man::man(command.as_deref(), dir.as_deref()),
    };
    match ended {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Different) => ExitCode::FAILURE,
        Ok(Outcome::Conflicts) => ExitCode::from(3),
        Err(failure) => {
            failure.print();
            failure.exit_code()
        }
    }
}
