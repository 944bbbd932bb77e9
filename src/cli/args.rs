//! The command line's arguments (clap): the subcommands, their flags and help, the parsers of
//! flag values, and how the flags become the library's [`Request`] and template options.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum, ValueHint};
use scaffold::template::TemplateOptions;
use scaffold::{DjangoVersion, Kind, ProjectLayout, Request, SettingsLayout};

use super::progress;

pub(crate) const EXAMPLES: &str = "\
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

pub(crate) const NEW_EXAMPLES: &str = "\
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
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
pub(crate) const SUBCOMMANDS: [&str; 6] = [
    "startproject",
    "startapp",
    "new",
    "upgrade",
    "completions",
    "man",
];

pub(crate) const UPGRADE_EXAMPLES: &str = "\
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

/// `scaffold upgrade`'s arguments. The template flags go with the templates only.
#[derive(Args)]
#[command(
    mut_arg("extensions", |a| a.requires("template").help(
        "File extensions the generation rendered, given again (repeatable, comma-separated; py \
         is always rendered)"
    )),
    mut_arg("files", |a| a.requires("template").help(
        "File names the generation rendered, given again (repeatable, comma-separated)"
    )),
    mut_arg("exclude", |a| a
        .requires("template")
        .help("Directory names the generation skipped, given again (repeatable)"))
)]
pub(crate) struct UpgradeArgs {
    /// The project's root: the directory that holds manage.py
    #[arg(default_value = ".", value_hint = ValueHint::DirPath)]
    pub(crate) directory: PathBuf,
    /// The release to upgrade to, any scaffold knows [default: the one installed in the active
    /// venv or a .venv at or above DIRECTORY, if not older than the project's, else the newest]
    #[arg(long, value_name = "VERSION", value_parser = DjangoParser { bases: true })]
    pub(crate) to: Option<DjangoVersion>,
    /// The release that generated the project, when its settings docstring no longer says
    #[arg(long, value_name = "VERSION", value_parser = DjangoParser { bases: true })]
    pub(crate) from: Option<DjangoVersion>,
    /// Apply the upgrade, all or nothing (files with conflicts get standard conflict markers)
    #[arg(long)]
    pub(crate) write: bool,
    /// How the report is printed; json lists every file with its status, diff and each change of
    /// the template with its outcome (applied, conflict, or noted with why), and the notes
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub(crate) output_format: OutputFormat,
    /// The django-admin project template the project was made from (as --template takes it: a
    /// directory, an archive or an http(s) URL of one); the base of the merge
    #[arg(long, value_name = "OLD", value_hint = ValueHint::AnyPath, requires = "template",
          help_heading = "Project templates")]
    pub(crate) from_template: Option<String>,
    /// The template's newer release to bring the project to (with --from-template)
    #[arg(long, value_name = "NEW", value_hint = ValueHint::AnyPath, requires = "from_template",
          help_heading = "Project templates")]
    pub(crate) template: Option<String>,
    #[command(flatten, next_help_heading = "Project templates")]
    pub(crate) flags: TemplateFlags,
}

#[derive(Args)]
pub(crate) struct CommonArgs {
    /// Name of the project or app: a Python identifier that Python would not import from
    /// elsewhere (the standard library, the working directory, PYTHONPATH, the virtualenv)
    pub(crate) name: String,
    /// Destination directory, created if missing; an existing one is overlaid [default: ./NAME]
    #[arg(value_hint = ValueHint::DirPath)]
    pub(crate) directory: Option<PathBuf>,
    #[arg(long, value_name = "VERSION", value_parser = DjangoParser { bases: false }, help = django_help(
        "[default: the one installed in the active venv, else in a .venv in DIRECTORY or above \
         it, else the newest]"
    ))]
    pub(crate) django: Option<DjangoVersion>,
    /// As django-admin: 0 and 1 print nothing on success, 2 and 3 list every file created (on
    /// stdout). From 1, warnings go to stderr, and a summary with next steps too when stderr
    /// is a terminal
    #[arg(short, long, default_value_t = 1,
          value_parser = PossibleValuesParser::new(["0", "1", "2", "3"]).try_map(|v| v.parse::<u8>()))]
    pub(crate) verbosity: u8,
    /// Render and check everything, write nothing, report what would be written
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Write nothing; compare what would be written with what is in DIRECTORY (or ./NAME):
    /// missing, extra, changed files and modes, as a unified diff. Exit 0 when identical, 1
    /// when different. For snapshot tests of templates; startproject needs --secret-key
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) check: bool,
    /// How the report is printed; json lists every file with its mode, size, sha256 and content
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub(crate) output_format: OutputFormat,
    /// Use this template instead of the built-in one: a directory, an archive (.zip, .tar,
    /// .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz) or an http(s) URL of an archive
    #[arg(long, value_name = "SRC", value_hint = ValueHint::AnyPath, help_heading = "Custom templates")]
    pub(crate) template: Option<String>,
}

#[derive(Args)]
pub(crate) struct ProjectArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Use this SECRET_KEY instead of a random one (reproducible output)
    #[arg(long, value_name = "KEY")]
    pub(crate) secret_key: Option<String>,
    /// One settings.py, or a settings package with base, development and production modules
    #[arg(long, value_enum, value_name = "LAYOUT", default_value_t = SettingsArg::Single)]
    pub(crate) settings: SettingsArg,
    /// classic: django-admin's project; project-app: DEP 15's, whose project package is also an
    /// app (apps.py, models.py, admin.py, views.py, tests.py, migrations/), in INSTALLED_APPS
    #[arg(long, value_enum, value_name = "LAYOUT", default_value_t = LayoutArg::Classic)]
    pub(crate) layout: LayoutArg,
    /// Also write pyproject.toml (Django pinned, for uv or pip), .gitignore, README.md and,
    /// with --settings split, .env.example listing what production settings read
    #[arg(long)]
    pub(crate) project_files: bool,
    /// Default DJANGO_SETTINGS_MODULE of manage.py, wsgi.py and asgi.py
    /// [default: NAME.settings, or NAME.settings.development with --settings split]
    #[arg(long, value_name = "DOTTED")]
    pub(crate) settings_module: Option<String>,
    /// Last: the heading it starts goes on to the end of the help.
    #[command(flatten, next_help_heading = "Custom templates")]
    pub(crate) flags: TemplateFlags,
}

#[derive(Args)]
pub(crate) struct AppArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Also add the app to INSTALLED_APPS of the project around it (found from manage.py's
    /// default settings module), as one new line; nested apps as their dotted path (apps.blog)
    #[arg(long, conflicts_with = "check")]
    pub(crate) register: bool,
    /// Last: the heading it starts goes on to the end of the help.
    #[command(flatten, next_help_heading = "Custom templates")]
    pub(crate) flags: TemplateFlags,
}

#[derive(Args)]
pub(crate) struct NewArgs {
    /// Name of the project [asked when missing]
    pub(crate) name: Option<String>,
    /// Destination directory, created if missing; an existing one is overlaid [default: ./NAME]
    pub(crate) directory: Option<PathBuf>,
    /// classic or project-app (see startproject --layout) [asked when missing]
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub(crate) layout: Option<LayoutArg>,
    /// single or split (see startproject --settings) [asked when missing]
    #[arg(long, value_enum, value_name = "LAYOUT")]
    pub(crate) settings: Option<SettingsArg>,
    /// Add pyproject.toml, .gitignore, README.md (see startproject --project-files) [asked when
    /// neither this nor --no-project-files is given]
    #[arg(long, conflicts_with = "no_project_files")]
    pub(crate) project_files: bool,
    /// Do not add the project files
    #[arg(long)]
    pub(crate) no_project_files: bool,
    #[arg(long, value_name = "VERSION", value_parser = parse_django,
          help = django_help("[asked on a terminal; else startproject's default]"))]
    pub(crate) django: Option<DjangoVersion>,
    /// Use this SECRET_KEY instead of a random one
    #[arg(long, value_name = "KEY")]
    pub(crate) secret_key: Option<String>,
    /// Create without showing the files and asking to go on
    #[arg(short, long)]
    pub(crate) yes: bool,
    /// 0 silent, 1 normal, 2 lists every file created
    #[arg(short, long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
    pub(crate) verbosity: u8,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LayoutArg {
    Classic,
    ProjectApp,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SettingsArg {
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
pub(crate) struct DjangoParser {
    pub(crate) bases: bool,
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

/// The flags of a django-admin template's rendering: `startproject`/`startapp --template` take
/// them for the template they render, `upgrade --from-template` again for both templates.
#[derive(Args)]
pub(crate) struct TemplateFlags {
    /// File extensions to render (repeatable, comma-separated; py is always rendered)
    #[arg(short = 'e', long = "extension", id = "extensions", value_name = "EXT")]
    pub(crate) extensions: Vec<String>,
    /// File names to render whatever their extension (repeatable, comma-separated)
    #[arg(short = 'n', long = "name", id = "files", value_name = "FILE")]
    pub(crate) files: Vec<String>,
    /// Directory names to skip (repeatable); with -x, only .git, __pycache__ and these are
    /// skipped, without it every directory starting with a dot too
    #[arg(short = 'x', long, value_name = "DIR", num_args = 0..=1, default_missing_value = "",
          action = clap::ArgAction::Append)]
    pub(crate) exclude: Option<Vec<String>>,
    /// Largest unpacked archive or download accepted, in bytes or with K, M or G (binary units)
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    pub(crate) max_template_size: u64,
    /// Seconds a template download may take in all
    #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_timeout)]
    pub(crate) timeout: f64,
}

impl TemplateFlags {
    /// The options for rendering the template at `source` with these flags.
    pub(crate) fn options(&self, source: &str) -> TemplateOptions {
        let mut options = TemplateOptions::new(source);
        options.extensions = self.extensions.clone();
        options.files = self.files.clone();
        options.exclude = self.exclude.clone();
        options.max_size = self.max_template_size;
        options.timeout = std::time::Duration::from_secs_f64(self.timeout);
        options
    }
}

impl CommonArgs {
    /// What startproject and startapp share of their request.
    fn request(&self, kind: Kind, flags: &TemplateFlags) -> Request {
        let mut request = Request::new(kind, self.name.clone());
        request.directory = self.directory.clone();
        request.django = self.django;
        request.template = self.template.as_ref().map(|source| {
            let mut options = flags.options(source);
            options.verbosity = self.verbosity;
            options.progress = progress::download_bar(self.verbosity);
            options
        });
        request
    }
}

impl ProjectArgs {
    /// `startproject`'s request.
    pub(crate) fn request(&self) -> Request {
        let mut request = self.common.request(Kind::Project, &self.flags);
        request.secret_key = self.secret_key.clone();
        request.settings = self.settings.into();
        request.settings_module = self.settings_module.clone();
        request.layout = self.layout.into();
        request.project_files = self.project_files;
        request
    }
}

impl AppArgs {
    /// `startapp`'s request.
    pub(crate) fn request(&self) -> Request {
        let mut request = self.common.request(Kind::App, &self.flags);
        request.register = self.register;
        request
    }
}

impl From<LayoutArg> for ProjectLayout {
    fn from(layout: LayoutArg) -> Self {
        match layout {
            LayoutArg::Classic => ProjectLayout::Classic,
            LayoutArg::ProjectApp => ProjectLayout::ProjectApp,
        }
    }
}

impl From<SettingsArg> for SettingsLayout {
    fn from(settings: SettingsArg) -> Self {
        match settings {
            SettingsArg::Single => SettingsLayout::Single,
            SettingsArg::Split => SettingsLayout::Split,
        }
    }
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

/// `startproject --check` without `--secret-key`: a random key would differ from the checked
/// tree every time.
pub(crate) fn check_needs_secret_key() -> clap::Error {
    usage_error(
        "startproject",
        "startproject --check needs --secret-key: a random SECRET_KEY would differ from the \
         checked tree every time\n\n\
         hint: pass the key the tree was generated with, e.g. --secret-key ci-only-key",
    )
}

/// `scaffold new` off a terminal, with answers missing: the flags that would give them.
pub(crate) fn missing_answers(flags: &[&str]) -> clap::Error {
    usage_error(
        "new",
        format!(
            "there is no terminal to ask on, and these answers are missing: {}\n\n\
             hint: e.g. scaffold new mysite --layout classic --settings single --no-project-files",
            flags.join(", ")
        ),
    )
}

/// A usage error found after parsing, worded and formatted as clap words `subcommand`'s own.
fn usage_error(subcommand: &str, message: impl std::fmt::Display) -> clap::Error {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(clap::error::ErrorKind::MissingRequiredArgument, message),
        None => cli.error(clap::error::ErrorKind::MissingRequiredArgument, message),
    }
}

/// Prints a command-line error as clap does (exit 2; `--help` and `--version` exit 0), except
/// for a missing NAME, which is worded as django-admin words it (`You must provide a project
/// name.`, with a `usage:` line), since scripts and Django's own tests look for those words.
pub(crate) fn print_usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let missing_name = e.kind() == ErrorKind::MissingRequiredArgument
        && matches!(e.get(ContextKind::InvalidArg),
            Some(ContextValue::Strings(args)) if args.iter().any(|a| a == "<NAME>"));
    if !missing_name {
        // What clap's `exit` does, returned instead of exiting.
        let _ = e.print();
        return if e.use_stderr() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let usage = match e.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(usage)) => usage.to_string(),
        _ => String::new(),
    };
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
