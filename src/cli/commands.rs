//! Each command's flow: the request from its arguments, the library's work, and what is printed
//! by the rules of [`scaffold::report`]. A command returns how it ended; `main` turns that into
//! the exit code.

use std::io::{IsTerminal, Write};

use scaffold::{interrupt, report, Environment, Request};

use super::args::{self, AppArgs, CommonArgs, NewArgs, OutputFormat, ProjectArgs, UpgradeArgs};
use super::{chooser, Failure, Outcome};

/// `scaffold startproject`.
pub(crate) fn startproject(args: &ProjectArgs) -> Result<Outcome, Failure> {
    let request = args.request();
    if args.common.check && request.secret_key.is_none() {
        return Err(Failure::Usage(args::check_needs_secret_key()));
    }
    generate(&request, &args.common)
}

/// `scaffold startapp`.
pub(crate) fn startapp(args: &AppArgs) -> Result<Outcome, Failure> {
    generate(&args.request(), &args.common)
}

/// startproject and startapp: prepare, write unless a dry run, report; or `--check`.
fn generate(request: &Request, common: &CommonArgs) -> Result<Outcome, Failure> {
    let format = common.output_format;
    let refused = |e| Failure::Refused(e, format);
    interrupt::register();
    if common.check {
        return check(request, common);
    }
    let env = Environment::current().map_err(refused)?;
    let prepared = scaffold::prepare(request, &env).map_err(refused)?;
    if !common.dry_run {
        prepared.write(interrupt::flag()).map_err(refused)?;
    }
    match format {
        OutputFormat::Json => {
            let json = report::json(&prepared, common.dry_run, report::umask()).map_err(refused)?;
            let _ = std::io::stdout().lock().write_all(json.as_bytes());
        }
        OutputFormat::Text => {
            let text = report::text(
                &prepared,
                request.template.as_ref(),
                common.dry_run,
                common.verbosity,
                std::io::stderr().is_terminal(),
                &env,
            );
            print_lines(&mut std::io::stdout().lock(), &text.stdout);
            print_lines(&mut std::io::stderr().lock(), &text.stderr);
        }
    }
    Ok(Outcome::Done)
}

/// `--check`: the differences on stdout, a summary on stderr; different trees end as
/// [`Outcome::Different`].
fn check(request: &Request, common: &CommonArgs) -> Result<Outcome, Failure> {
    let format = common.output_format;
    let refused = |e| Failure::Refused(e, format);
    let env = Environment::current().map_err(refused)?;
    let comparison = scaffold::check(request, &env, report::umask()).map_err(refused)?;
    // Written as the diffs are made, through a buffer: a closed pipe ends it quietly.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        OutputFormat::Json => {
            let _ = scaffold::check::report::write_json(&comparison, &mut out);
            let _ = out.flush();
        }
        OutputFormat::Text if common.verbosity >= 1 => {
            let _ = scaffold::check::report::write_text(&comparison, &mut out);
            let _ = out.flush();
            let summary = scaffold::check::report::summary(&comparison, &env.cwd);
            print_lines(&mut std::io::stderr().lock(), [summary]);
        }
        OutputFormat::Text => {}
    }
    Ok(if comparison.identical() {
        Outcome::Done
    } else {
        Outcome::Different
    })
}

/// `scaffold new`: the chooser's questions, then startproject's prepare and write.
pub(crate) fn new(args: NewArgs) -> Result<Outcome, Failure> {
    let refused = |e| Failure::Refused(e, OutputFormat::Text);
    interrupt::register();
    let answers = chooser::Answers {
        name: args.name,
        directory: args.directory,
        layout: args.layout.map(Into::into),
        settings: args.settings.map(Into::into),
        project_files: match (args.project_files, args.no_project_files) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        django: args.django,
        secret_key: args.secret_key,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    // Read once: it lists the venv's site-packages, and the answers are checked against it.
    let env = Environment::current().map_err(refused)?;
    // The release offered first: the one startproject would choose from here.
    let default_django = env.default_django(answers.directory.as_deref());
    let request = match chooser::complete(answers, interactive, default_django) {
        chooser::Outcome::Ready(request) => request,
        chooser::Outcome::Missing(flags) => {
            return Err(Failure::Usage(args::missing_answers(&flags)))
        }
        chooser::Outcome::Aborted(why) => return Err(Failure::Aborted(why)),
    };
    let prepared = scaffold::prepare(&request, &env).map_err(refused)?;
    if interactive && !args.yes {
        let lines: Vec<String> = report::creating_lines(&prepared)
            .iter()
            .map(|line| report::terminal(line).into_owned())
            .collect();
        match chooser::confirm(&lines) {
            Ok(true) => {}
            Ok(false) => {
                print_lines(&mut std::io::stderr().lock(), ["Nothing was written."]);
                return Ok(Outcome::Done);
            }
            Err(e) => return Err(Failure::Aborted(e.to_string())),
        }
    }
    prepared.write(interrupt::flag()).map_err(refused)?;
    let lines = report::new_lines(
        &prepared,
        args.verbosity,
        std::io::stderr().is_terminal(),
        &env.cwd,
    );
    print_lines(&mut std::io::stderr().lock(), &lines);
    Ok(Outcome::Done)
}

/// `scaffold upgrade`: the diffs on stdout, notes and a summary on stderr; conflicts left in
/// the files end as [`Outcome::Conflicts`].
pub(crate) fn upgrade(args: &UpgradeArgs) -> Result<Outcome, Failure> {
    let format = args.output_format;
    let refused = |e| Failure::Refused(e, format);
    let env = Environment::current().map_err(refused)?;
    let options = scaffold::upgrade::Options {
        root: args.directory.clone(),
        to: args.to,
        from: args.from,
        templates: args
            .from_template
            .as_ref()
            .zip(args.template.as_ref())
            .map(|(old, new)| scaffold::upgrade::Templates {
                old: args.flags.options(old),
                new: args.flags.options(new),
            }),
    };
    let planned = scaffold::upgrade::plan(&options, &env).map_err(refused)?;
    if args.write {
        interrupt::register();
        planned.write(interrupt::flag()).map_err(refused)?;
    }
    match format {
        OutputFormat::Json => {
            let json = scaffold::upgrade::report::json(&planned, args.write);
            let _ = writeln!(std::io::stdout().lock(), "{json}");
        }
        OutputFormat::Text => {
            let text = scaffold::upgrade::report::text(&planned);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            let notes = scaffold::upgrade::report::notes(&planned);
            let summary = scaffold::upgrade::report::summary(&planned, args.write, &env.cwd);
            let mut err = std::io::stderr().lock();
            print_lines(&mut err, notes.lines());
            print_lines(&mut err, [summary]);
        }
    }
    Ok(if planned.conflicts() > 0 {
        Outcome::Conflicts
    } else {
        Outcome::Done
    })
}

/// `scaffold completions SHELL`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<Outcome, Failure> {
    use clap::CommandFactory;
    // Into memory first: clap_complete panics on a failed write, and a closed pipe is no
    // reason to crash.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut args::Cli::command(), "scaffold", &mut script);
    let _ = std::io::stdout().write_all(&script);
    Ok(Outcome::Done)
}

/// Lines for a terminal, each escaped by [`report::terminal`]. A write that fails (a closed
/// pipe) ends the output quietly: the exit status still tells.
pub(crate) fn print_lines<S: AsRef<str>>(out: &mut impl Write, lines: impl IntoIterator<Item = S>) {
    for line in lines {
        if writeln!(out, "{}", report::terminal(line.as_ref())).is_err() {
            return;
        }
    }
}
