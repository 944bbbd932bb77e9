//! The `scaffold` command line: parses arguments, runs the library, prints, and maps errors to
//! exit codes (0 done, 1 refused, 2 usage error).

mod chooser;
mod progress;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum, ValueHint};
use scaffold::{
    interrupt, report, DjangoVersion, Environment, Error, Kind, ProjectLayout, Request,
    SettingsLayout,
};

const EXAMPLES: &str = "\
Examples:
  scaffold startproject mysite                  create ./mysite for the newest Django
  scaffold startproject mysite .                overlay into the current directory
  scaffold startproject mysite --django 5.2 --secret-key ci-only-key
                                                reproducible output for Django 5.2
  scaffold startproject mysite --settings split development/production settings package
  scaffold startapp blog                        create ./blog
  scaffold startproject mysite --template ~/templates/site.tar.gz -e py,toml -n Procfile
                                                render a custom template, as django-admin does
  scaffold startproject mysite --dry-run --output-format json
                                                list every file, write nothing
  scaffold startproject mysite --secret-key ci-only-key --check
                                                compare ./mysite, a committed snapshot, with what
                                                would be written (exit 1 and a diff if they differ)

Output: as django-admin, nothing on success unless stderr is a terminal (then a summary and next
steps); -v 2 lists every file on stdout. Errors start with `error:` on stderr. Long options may be
shortened to a unique prefix (--templ, --ext=txt, --verb 2).";

const NEW_EXAMPLES: &str = "\
Examples:
  scaffold new                                  ask for everything on the terminal
  scaffold new mysite --layout project-app --settings split --project-files --django 5.2
                                                the same answers as flags: no questions, no terminal needed";

#[derive(Parser)]
#[command(
    name = "scaffold",
    version,
    about = "Create Django projects and apps, byte for byte as django-admin does, without Python",
    after_help = EXAMPLES,
    propagate_version = true,
    infer_long_args = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a Django project: manage.py and the NAME package
    #[command(after_help = EXAMPLES)]
    Startproject(ProjectArgs),
    /// Create a Django app: models, views, admin, tests and migrations
    #[command(after_help = EXAMPLES)]
    Startapp(AppArgs),
    /// DEP 15's chooser: asks for the name, layout, settings, project files and Django release
    /// that its flags leave open, shows what it will create, and creates the project. Without a
    /// terminal every answer but --django must be a flag (exit 2 naming the missing ones)
    #[command(after_help = NEW_EXAMPLES)]
    New(NewArgs),
    /// Bring what startproject and startapp generated in a project to a newer Django: renders the
    /// template of the release that generated it and of the target with the project's own
    /// values, and merges the difference into the project's files statement by statement
    /// (settings by name, list settings by element, apps.py by attribute), keeping the owner's
    /// edits and formatting; with --from-template OLD --template NEW, the same for a project
    /// made from a django-admin project template (Wagtail's, a company's own). Shows a diff and
    /// writes nothing unless --write. Exit 0 when no conflict remains, 3 when one does, 1 on an
    /// error (nothing written)
    #[command(after_help = UPGRADE_EXAMPLES)]
    Upgrade(UpgradeArgs),
    /// Print a shell completion script, e.g. `scaffold completions bash > /etc/bash_completion.d/scaffold`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff), e.g. `scaffold man startproject > scaffold-startproject.1`, or
    /// write every page with --dir
    Man {
        /// The subcommand whose page to print [default: the page of scaffold itself]
        #[arg(value_parser = PossibleValuesParser::new(SUBCOMMANDS), conflicts_with = "dir")]
        command: Option<String>,
        /// Write all pages (scaffold.1, scaffold-startproject.1, ...) into this directory,
        /// created if missing, and print their paths
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

/// The subcommands that have a man page of their own (checked against [`Command`] by a test).
const SUBCOMMANDS: [&str; 6] = [
    "startproject",
    "startapp",
    "new",
    "upgrade",
    "completions",
    "man",
];

const UPGRADE_EXAMPLES: &str = "\
Examples:
  scaffold upgrade                              show what upgrading ./ to the newest Django changes
  scaffold upgrade --to 6.0 --write             upgrade to Django 6.0 and write the result
  scaffold upgrade ~/src/shop --from 4.2        the settings docstring no longer says the release
  scaffold upgrade --output-format json         the files, their status and diffs, and the notes

Which release generated the project is read from its settings docstring (`Generated by
'django-admin startproject' using Django 4.2.7.`), which --write updates for the next upgrade.
Releases known: every feature release from 3.2, as base (--from) and as target (--to).

A project made from a django-admin project template (wagtail start, a company's own): pass the
template it was made from and the newer one, with the flags of the generation given again:
  scaffold upgrade --from-template wagtail-5.2/project_template \\
      --template wagtail-7.4/project_template -e html,rst -n Dockerfile --to 5.2";

/// `scaffold upgrade`'s arguments.
#[derive(Args)]
struct UpgradeArgs {
    /// The project's root: the directory that holds manage.py
    #[arg(default_value = ".", value_hint = ValueHint::DirPath)]
    directory: PathBuf,
    /// The release to upgrade to, any scaffold knows [default: the one installed in the active
    /// venv or a .venv at or above DIRECTORY, if not older than the project's, else the newest]
    #[arg(long, value_name = "VERSION", value_parser = DjangoParser { bases: true })]
    to: Option<DjangoVersion>,
    /// The release that generated the project, when its settings docstring no longer says
    #[arg(long, value_name = "VERSION", value_parser = DjangoParser { bases: true })]
    from: Option<DjangoVersion>,
    /// Apply the upgrade, all or nothing (files with conflicts get standard conflict markers)
    #[arg(long)]
    write: bool,
    /// How the report is printed; json lists every file with its status, diff and each change of
    /// the template with its outcome (applied, conflict, or noted with why), and the notes
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
    /// The django-admin project template the project was made from (as --template takes it: a
    /// directory, an archive or an http(s) URL of one); the base of the merge
    #[arg(long, value_name = "OLD", value_hint = ValueHint::AnyPath, requires = "template",
          help_heading = "Project templates")]
    from_template: Option<String>,
    /// The template's newer release to bring the project to (with --from-template)
    #[arg(long, value_name = "NEW", value_hint = ValueHint::AnyPath, requires = "from_template",
          help_heading = "Project templates")]
    template: Option<String>,
    /// File extensions the generation rendered, given again (repeatable, comma-separated; py
    /// is always rendered)
    #[arg(
        short = 'e',
        long = "extension",
        id = "extensions",
        value_name = "EXT",
        requires = "template",
        help_heading = "Project templates"
    )]
    extensions: Vec<String>,
    /// File names the generation rendered, given again (repeatable, comma-separated)
    #[arg(
        short = 'n',
        long = "name",
        id = "files",
        value_name = "FILE",
        requires = "template",
        help_heading = "Project templates"
    )]
    files: Vec<String>,
    /// Directory names the generation skipped, given again (repeatable)
    #[arg(short = 'x', long, value_name = "DIR", num_args = 0..=1, default_missing_value = "",
          action = clap::ArgAction::Append, requires = "template", help_heading = "Project templates")]
    exclude: Option<Vec<String>>,
    /// Largest unpacked archive or download accepted, in bytes or with K, M or G (binary units)
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size,
          help_heading = "Project templates")]
    max_template_size: u64,
    /// Seconds a template download may take in all
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_timeout,
          help_heading = "Project templates")]
    timeout: f64,
}

#[derive(Args)]
struct CommonArgs {
    /// Name of the project or app: a Python identifier that Python would not import from
    /// elsewhere (the standard library, the working directory, PYTHONPATH, the virtualenv)
    name: String,
    /// Destination directory, created if missing; an existing one is overlaid [default: ./NAME]
    #[arg(value_hint = ValueHint::DirPath)]
    directory: Option<PathBuf>,
    #[arg(long, value_name = "VERSION", value_parser = DjangoParser { bases: false }, help = django_help(
        "[default: the one installed in the active venv, else in a .venv in DIRECTORY or above \
         it, else the newest]"
    ))]
    django: Option<DjangoVersion>,
    /// As django-admin: 0 and 1 print nothing on success, 2 and 3 list every file created (on
    /// stdout). From 1, warnings go to stderr, and a summary with next steps too when stderr
    /// is a terminal
    #[arg(short, long, default_value_t = 1,
          value_parser = PossibleValuesParser::new(["0", "1", "2", "3"]).try_map(|v| v.parse::<u8>()))]
    verbosity: u8,
    /// Render and check everything, write nothing, report what would be written
    #[arg(long)]
    dry_run: bool,
    /// Write nothing; compare what would be written with what is in DIRECTORY (or ./NAME):
    /// missing, extra, changed files and modes, as a unified diff. Exit 0 when identical, 1
    /// when different. For snapshot tests of templates; startproject needs --secret-key
    #[arg(long, conflicts_with = "dry_run")]
    check: bool,
    /// How the report is printed; json lists every file with its mode, size, sha256 and content
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
    /// Use this template instead of the built-in one: a directory, an archive (.zip, .tar,
    /// .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz) or an http(s) URL of an archive
    #[arg(long, value_name = "SRC", value_hint = ValueHint::AnyPath, help_heading = "Custom templates")]
    template: Option<String>,
    /// File extensions to render (repeatable, comma-separated; py is always rendered)
    #[arg(
        short = 'e',
        long = "extension",
        id = "extensions",
        value_name = "EXT",
        help_heading = "Custom templates"
    )]
    extensions: Vec<String>,
    /// File names to render whatever their extension (repeatable, comma-separated)
    #[arg(
        short = 'n',
        long = "name",
        id = "files",
        value_name = "FILE",
        help_heading = "Custom templates"
    )]
    files: Vec<String>,
    /// Directory names to skip (repeatable); with -x, only .git, __pycache__ and these are
    /// skipped, without it every directory starting with a dot too
    #[arg(short = 'x', long, value_name = "DIR", num_args = 0..=1, default_missing_value = "",
          action = clap::ArgAction::Append, help_heading = "Custom templates")]
    exclude: Option<Vec<String>>,
    /// Largest unpacked archive or download accepted, in bytes or with K, M or G (binary units)
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size, help_heading = "Custom templates")]
    max_template_size: u64,
    /// Seconds a template download may take in all
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_timeout, help_heading = "Custom templates")]
    timeout: f64,
}

#[derive(Args)]
struct ProjectArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Use this SECRET_KEY instead of a random one (reproducible output)
    #[arg(long, value_name = "KEY")]
    secret_key: Option<String>,
    /// One settings.py, or a settings package with base, development and production modules
    #[arg(long, value_enum, value_name = "LAYOUT", default_value_t = SettingsArg::Single)]
    settings: SettingsArg,
    /// classic: django-admin's project; project-app: DEP 15's, whose project package is also an
    /// app (apps.py, models.py, admin.py, views.py, tests.py, migrations/), in INSTALLED_APPS
    #[arg(long, value_enum, value_name = "LAYOUT", default_value_t = LayoutArg::Classic)]
    layout: LayoutArg,
    /// Also write pyproject.toml (Django pinned, for uv or pip), .gitignore, README.md and,
    /// with --settings split, .env.example listing what production settings read
    #[arg(long)]
    project_files: bool,
    /// Default DJANGO_SETTINGS_MODULE of manage.py, wsgi.py and asgi.py
    /// [default: NAME.settings, or NAME.settings.development with --settings split]
    #[arg(long, value_name = "DOTTED")]
    settings_module: Option<String>,
}

#[derive(Args)]
struct AppArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Also add the app to INSTALLED_APPS of the project around it (found from manage.py's
    /// default settings module), as one new line; nested apps as their dotted path (apps.blog)
    #[arg(long, conflicts_with = "check")]
    register: bool,
}

#[derive(Args)]
struct NewArgs {
    /// Name of the project [asked when missing]
    name: Option<String>,
    /// Destination directory, created if missing; an existing one is overlaid [default: ./NAME]
    directory: Option<PathBuf>,
    /// classic or project-app (see startproject --layout) [asked when missing]
    #[arg(long, value_enum, value_name = "LAYOUT")]
    layout: Option<LayoutArg>,
    /// single or split (see startproject --settings) [asked when missing]
    #[arg(long, value_enum, value_name = "LAYOUT")]
    settings: Option<SettingsArg>,
    /// Add pyproject.toml, .gitignore, README.md (see startproject --project-files) [asked when
    /// neither this nor --no-project-files is given]
    #[arg(long, conflicts_with = "no_project_files")]
    project_files: bool,
    /// Do not add the project files
    #[arg(long)]
    no_project_files: bool,
    #[arg(long, value_name = "VERSION", value_parser = parse_django,
          help = django_help("[asked on a terminal; else startproject's default]"))]
    django: Option<DjangoVersion>,
    /// Use this SECRET_KEY instead of a random one
    #[arg(long, value_name = "KEY")]
    secret_key: Option<String>,
    /// Create without showing the files and asking to go on
    #[arg(short, long)]
    yes: bool,
    /// 0 silent, 1 normal, 2 lists every file created
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
    verbosity: u8,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    Classic,
    ProjectApp,
}

#[derive(Clone, Copy, ValueEnum)]
enum SettingsArg {
    Single,
    Split,
}

/// `--django`: a release scaffold generates; an upgrade base is refused with why.
fn parse_django(s: &str) -> Result<DjangoVersion, String> {
    DjangoVersion::parse_generated(s)
}

/// `--django`'s help, from the release table: which releases, `default`, and what became of
/// the older ones.
fn django_help(default: &str) -> String {
    let generated: Vec<String> = DjangoVersion::generated()
        .iter()
        .map(ToString::to_string)
        .collect();
    let releases = match generated.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    format!(
        "Django release whose templates to emit: {releases} {default}. Django {} are no longer \
         supported by the Django project: scaffold knows them only as upgrade bases (scaffold \
         upgrade --from)",
        DjangoVersion::bases_text()
    )
}

/// A release: a feature release (`6.0`) or one of its patch releases (`6.0.10`); completions
/// and --help offer the feature releases. `--django` takes the releases scaffold generates;
/// `upgrade --from/--to` (`bases`) also the upgrade bases.
#[derive(Clone)]
struct DjangoParser {
    bases: bool,
}

impl DjangoParser {
    fn offered(&self) -> &'static [DjangoVersion] {
        if self.bases {
            &DjangoVersion::ALL
        } else {
            DjangoVersion::generated()
        }
    }
}

impl TypedValueParser for DjangoParser {
    type Value = DjangoVersion;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<DjangoVersion, clap::Error> {
        if self.bases {
            (|s: &str| s.parse::<DjangoVersion>()).parse_ref(cmd, arg, value)
        } else {
            parse_django.parse_ref(cmd, arg, value)
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            self.offered()
                .iter()
                .map(|v| PossibleValue::new(v.docs_version())),
        ))
    }
}

fn main() -> ExitCode {
    // A write past RLIMIT_FSIZE then fails with EFBIG, which rolls back, instead of killing
    // the process midway.
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match cli.command {
        Command::Startproject(args) => {
            let mut request = request(Kind::Project, &args.common);
            request.secret_key = args.secret_key;
            request.settings = match args.settings {
                SettingsArg::Single => SettingsLayout::Single,
                SettingsArg::Split => SettingsLayout::Split,
            };
            request.settings_module = args.settings_module;
            request.layout = match args.layout {
                LayoutArg::Classic => ProjectLayout::Classic,
                LayoutArg::ProjectApp => ProjectLayout::ProjectApp,
            };
            request.project_files = args.project_files;
            if args.common.check && request.secret_key.is_none() {
                check_needs_secret_key();
            }
            generate(&request, &args.common)
        }
        Command::Startapp(args) => {
            let mut request = request(Kind::App, &args.common);
            request.register = args.register;
            generate(&request, &args.common)
        }
        Command::New(args) => new(args),
        Command::Upgrade(args) => upgrade(&args),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a failed write, and a closed pipe is
            // no reason to crash.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "scaffold", &mut script);
            let _ = std::io::stdout().write_all(&script);
            ExitCode::SUCCESS
        }
        Command::Man { command, dir } => match man(command.as_deref(), dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e, OutputFormat::Text),
        },
    }
}

/// `scaffold man [COMMAND]` prints one page; `scaffold man --dir DIR` writes them all.
fn man(command: Option<&str>, dir: Option<PathBuf>) -> Result<(), Error> {
    // Built once as a whole, so that each subcommand's page is named scaffold-NAME and its
    // synopsis reads `scaffold NAME`.
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    if let Some(dir) = dir {
        std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
        let pages = std::iter::once(cli.clone()).chain(cli.get_subcommands().cloned());
        let mut out = std::io::stdout().lock();
        for page in pages {
            let path = write_man_page(&dir, clap_mangen::Man::new(page))?;
            let _ = writeln!(out, "{}", report::terminal(&path.display().to_string()));
        }
        return Ok(());
    }
    // clap has checked the name against SUBCOMMANDS.
    let page = match command.and_then(|name| cli.find_subcommand(name).cloned()) {
        Some(sub) => sub,
        None => cli,
    };
    clap_mangen::Man::new(page)
        .render(&mut std::io::stdout())
        .map_err(Error::io("cannot print the man page to", "stdout"))
}

/// Writes one page into `dir` through a new file renamed over the page's name: a link, fifo or
/// device already there is replaced, never written through or waited on, and a reader never
/// sees half a page.
fn write_man_page(dir: &Path, man: clap_mangen::Man) -> Result<PathBuf, Error> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(man.get_filename());
    let failed = Error::io("cannot write a man page into", dir);
    let mut page = Vec::new();
    let written = man.render(&mut page).and_then(|()| {
        let mut file = tempfile::Builder::new()
            .prefix(".scaffold-man-")
            .tempfile_in(dir)?;
        file.write_all(&page)?;
        let mode = 0o644 & !report::umask();
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    });
    written.map_err(failed)?;
    Ok(path)
}

fn request(kind: Kind, common: &CommonArgs) -> Request {
    let mut request = Request::new(kind, common.name.clone());
    request.directory = common.directory.clone();
    request.django = common.django;
    request.template = common.template.as_ref().map(|source| {
        let mut options = scaffold::template::TemplateOptions::new(source.clone());
        options.extensions = common.extensions.clone();
        options.files = common.files.clone();
        options.exclude = common.exclude.clone();
        options.max_size = common.max_template_size;
        options.timeout = std::time::Duration::from_secs_f64(common.timeout);
        options.verbosity = common.verbosity;
        options.progress = progress::download_bar(common.verbosity);
        options
    });
    request
}

/// `--max-template-size`: bytes, or a number with K, M or G (KiB, MiB, GiB).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s
        .trim()
        .trim_end_matches(['B', 'b'])
        .trim_end_matches(['i']);
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("'{s}' is not a size (e.g. 268435456, 512M, 2G)")),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 268435456, 512M, 2G)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("'{s}' is too large"))
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 86400"
        )),
    }
}

fn generate(request: &Request, common: &CommonArgs) -> ExitCode {
    interrupt::register();
    if common.check {
        return check(request, common);
    }
    let env = match Environment::current() {
        Ok(env) => env,
        Err(e) => return fail(&e, common.output_format),
    };
    let prepared = match scaffold::prepare(request, &env) {
        Ok(prepared) => prepared,
        Err(e) => return fail(&e, common.output_format),
    };
    if !common.dry_run {
        if let Err(e) = prepared.write(interrupt::flag()) {
            return fail(&e, common.output_format);
        }
    }

    let mut out = std::io::stdout().lock();
    match common.output_format {
        OutputFormat::Json => match report::json(&prepared, common.dry_run, report::umask()) {
            Ok(json) => {
                let _ = out.write_all(json.as_bytes());
            }
            Err(e) => return fail(&e, common.output_format),
        },
        OutputFormat::Text => {
            let text = report::text(
                &prepared,
                request.template.as_ref(),
                common.dry_run,
                common.verbosity,
                std::io::stderr().is_terminal(),
                &env,
            );
            for line in text.stdout {
                let _ = writeln!(out, "{}", report::terminal(&line));
            }
            let mut err = std::io::stderr().lock();
            for line in text.stderr {
                let _ = writeln!(err, "{}", report::terminal(&line));
            }
        }
    }
    ExitCode::SUCCESS
}

/// `scaffold new`: the chooser's questions, then startproject's prepare and write.
fn new(args: NewArgs) -> ExitCode {
    interrupt::register();
    let answers = chooser::Answers {
        name: args.name,
        directory: args.directory,
        layout: args.layout.map(|l| match l {
            LayoutArg::Classic => ProjectLayout::Classic,
            LayoutArg::ProjectApp => ProjectLayout::ProjectApp,
        }),
        settings: args.settings.map(|s| match s {
            SettingsArg::Single => SettingsLayout::Single,
            SettingsArg::Split => SettingsLayout::Split,
        }),
        project_files: match (args.project_files, args.no_project_files) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        django: args.django,
        secret_key: args.secret_key,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    // The release offered first: the one startproject would choose from here.
    let default_django = Environment::current()
        .ok()
        .and_then(|env| {
            let target = answers
                .directory
                .as_ref()
                .map_or_else(|| env.cwd.clone(), |d| env.cwd.join(d));
            let installed =
                scaffold::installed::find(env.virtual_env.as_deref(), &target, &env.cwd);
            scaffold::installed::choose(None, installed.as_ref()).ok()
        })
        .map_or(DjangoVersion::NEWEST, |choice| choice.version);
    let request = match chooser::complete(answers, interactive, default_django) {
        chooser::Outcome::Ready(request) => request,
        chooser::Outcome::Missing(flags) => {
            let mut cli = Cli::command();
            cli.build();
            let new = cli.find_subcommand_mut("new").expect("new is a subcommand");
            new.error(
                clap::error::ErrorKind::MissingRequiredArgument,
                format!(
                    "there is no terminal to ask on, and these answers are missing: {}\n\n\
                     hint: e.g. scaffold new mysite --layout classic --settings single --no-project-files",
                    flags.join(", ")
                ),
            )
            .exit()
        }
        chooser::Outcome::Aborted(why) => {
            let _ = writeln!(std::io::stderr(), "error: {why}; nothing was written");
            return ExitCode::FAILURE;
        }
    };
    let env = match Environment::current() {
        Ok(env) => env,
        Err(e) => return fail(&e, OutputFormat::Text),
    };
    let prepared = match scaffold::prepare(&request, &env) {
        Ok(prepared) => prepared,
        Err(e) => return fail(&e, OutputFormat::Text),
    };
    if interactive && !args.yes {
        let lines: Vec<String> = report::creating_lines(&prepared)
            .iter()
            .map(|line| report::terminal(line).into_owned())
            .collect();
        match chooser::confirm(&lines) {
            Ok(true) => {}
            Ok(false) => {
                let _ = writeln!(std::io::stderr(), "Nothing was written.");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error: {e}; nothing was written");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = prepared.write(interrupt::flag()) {
        return fail(&e, OutputFormat::Text);
    }
    let mut err = std::io::stderr().lock();
    if args.verbosity >= 2 {
        for line in report::creating_lines(&prepared) {
            let _ = writeln!(err, "{}", report::terminal(&line));
        }
    }
    // As django-admin: quiet on success unless someone is watching (SPEC 9).
    if args.verbosity >= 1 && std::io::stderr().is_terminal() {
        let summary = report::summary(&prepared, false, &env.cwd);
        let _ = writeln!(err, "{}", report::terminal(&summary));
    }
    ExitCode::SUCCESS
}

/// `startproject --check` without `--secret-key` is a usage error (exit 2): a random key would
/// differ from the checked tree every time.
fn check_needs_secret_key() -> ! {
    let mut cli = Cli::command();
    cli.build();
    let startproject = cli
        .find_subcommand_mut("startproject")
        .expect("startproject is a subcommand");
    startproject
        .error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "startproject --check needs --secret-key: a random SECRET_KEY would differ from the \
             checked tree every time\n\n\
             hint: pass the key the tree was generated with, e.g. --secret-key ci-only-key",
        )
        .exit()
}

/// `--check`: the differences on stdout, a summary on stderr; exit 0 identical, 1 different.
fn check(request: &Request, common: &CommonArgs) -> ExitCode {
    let env = match Environment::current() {
        Ok(env) => env,
        Err(e) => return fail(&e, common.output_format),
    };
    let comparison = match scaffold::check(request, &env, report::umask()) {
        Ok(comparison) => comparison,
        Err(e) => return fail(&e, common.output_format),
    };
    // Written as the diffs are made, through a buffer: a closed pipe ends it quietly.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match common.output_format {
        OutputFormat::Json => {
            let _ = scaffold::check::report::write_json(&comparison, &mut out);
            let _ = out.flush();
        }
        OutputFormat::Text if common.verbosity >= 1 => {
            let _ = scaffold::check::report::write_text(&comparison, &mut out);
            let _ = out.flush();
            let summary = scaffold::check::report::summary(&comparison, &env.cwd);
            let _ = writeln!(std::io::stderr().lock(), "{}", report::terminal(&summary));
        }
        OutputFormat::Text => {}
    }
    if comparison.identical() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One of `--from-template OLD --template NEW`, with the generation's flags.
fn upgrade_template(source: &str, args: &UpgradeArgs) -> scaffold::template::TemplateOptions {
    let mut options = scaffold::template::TemplateOptions::new(source);
    options.extensions = args.extensions.clone();
    options.files = args.files.clone();
    options.exclude = args.exclude.clone();
    options.max_size = args.max_template_size;
    options.timeout = std::time::Duration::from_secs_f64(args.timeout);
    options
}

/// `scaffold upgrade`: the diffs on stdout, notes and a summary on stderr; exit 0 when no
/// conflict remains, 3 when one does, 1 when refused.
fn upgrade(args: &UpgradeArgs) -> ExitCode {
    let env = match Environment::current() {
        Ok(env) => env,
        Err(e) => return fail(&e, args.output_format),
    };
    let options = scaffold::upgrade::Options {
        root: args.directory.clone(),
        to: args.to,
        from: args.from,
        templates: args
            .from_template
            .as_ref()
            .zip(args.template.as_ref())
            .map(|(old, new)| scaffold::upgrade::Templates {
                old: upgrade_template(old, args),
                new: upgrade_template(new, args),
            }),
    };
    let planned = match scaffold::upgrade::plan(&options, &env) {
        Ok(planned) => planned,
        Err(e) => return fail(&e, args.output_format),
    };
    if args.write {
        interrupt::register();
        if let Err(e) = planned.write(interrupt::flag()) {
            return fail(&e, args.output_format);
        }
    }
    match args.output_format {
        OutputFormat::Json => {
            let json = scaffold::upgrade::report::json(&planned, args.write);
            let _ = writeln!(std::io::stdout().lock(), "{json}");
        }
        OutputFormat::Text => {
            let text = scaffold::upgrade::report::text(&planned);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            let mut err = std::io::stderr().lock();
            let notes = scaffold::upgrade::report::notes(&planned);
            for note in notes.lines() {
                let _ = writeln!(err, "{}", report::terminal(note));
            }
            let summary = scaffold::upgrade::report::summary(&planned, args.write, &env.cwd);
            let _ = writeln!(err, "{}", report::terminal(&summary));
        }
    }
    if planned.conflicts() > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints a command-line error and exits with 2, as clap does, except for a missing NAME, which
/// is worded as django-admin words it (`You must provide a project name.`, with a `usage:`
/// line), since scripts and Django's own tests look for those words.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let missing_name = e.kind() == ErrorKind::MissingRequiredArgument
        && matches!(e.get(ContextKind::InvalidArg),
            Some(ContextValue::Strings(args)) if args.iter().any(|a| a == "<NAME>"));
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(usage)) => usage.to_string(),
        _ => String::new(),
    };
    if !missing_name {
        e.exit();
    }
    let what = if usage.contains("startapp") {
        "an application"
    } else {
        "a project"
    };
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = writeln!(
        std::io::stderr(),
        "usage: {usage}\nerror: You must provide {what} name.\n\nFor more information, try '--help'."
    );
    ExitCode::from(2)
}

fn fail(error: &Error, format: OutputFormat) -> ExitCode {
    match format {
        OutputFormat::Json => {
            let _ = std::io::stdout().write_all(report::json_error(error).as_bytes());
        }
        OutputFormat::Text => {
            let colour = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let (on, off) = if colour {
                ("\x1b[1;31m", "\x1b[0m")
            } else {
                ("", "")
            };
            // Writes to a closed stderr fail quietly: the exit status still tells.
            let mut err = std::io::stderr().lock();
            // Escaped and shortened: an error names what it was given or found (a 120 KB
            // NAME, a dist-info name with escape sequences in it); JSON keeps it exact.
            let _ = writeln!(
                err,
                "{on}error:{off} {}",
                report::terminal_line(&error.to_string())
            );
            if let Some(hint) = error.hint() {
                let _ = writeln!(err, "hint: {}", report::terminal_line(&hint));
            }
        }
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_man_page_name() {
        let cli = Cli::command();
        let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
        assert_eq!(names, SUBCOMMANDS);
    }

    #[test]
    fn django_values_are_offered_and_patch_releases_accepted() {
        let cli = Cli::command();
        let startproject = cli.find_subcommand("startproject").unwrap();
        let django = startproject
            .get_arguments()
            .find(|a| a.get_id() == "django")
            .unwrap();
        let offered: Vec<String> = django
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        let generated: Vec<String> = DjangoVersion::generated()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(offered, generated);
        let parsed = Cli::try_parse_from(["scaffold", "startapp", "blog", "--django", "5.2.8"]);
        assert!(parsed.is_ok());
        assert!(Cli::try_parse_from(["scaffold", "startapp", "blog", "--django", "4.2"]).is_err());
    }
}
