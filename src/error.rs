//! The ways a command can be refused, each with the one line the user sees and an optional hint.

use std::io;
use std::path::PathBuf;

/// Why scaffold refused or failed. Every variant names what the user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    InvalidName {
        message: String,
        hint: Option<String>,
    },

    #[error("invalid secret key: {0}")]
    InvalidSecretKey(String),

    #[error("'{0}' is not a valid settings module. Each dotted part must be a Python identifier.")]
    InvalidSettingsModule(String),

    #[error("--settings-module only applies to startproject")]
    SettingsModuleForApp,

    #[error("--layout only applies to startproject")]
    LayoutForApp,

    #[error("cannot register '{app}' in INSTALLED_APPS: {why}; nothing was written")]
    Register { app: String, why: String },

    #[error("--project-files: '{0}' has no PEP 508 distribution name for pyproject.toml (ASCII letters, digits and underscores only)")]
    NoDistributionName(String),

    #[error("'{}' already exists", .0.display())]
    TargetExists(PathBuf),

    #[error("{} already exists. Overlaying {article} {kind} into an existing directory won't replace conflicting files.", path.display())]
    Conflict {
        path: PathBuf,
        article: &'static str,
        kind: &'static str,
    },

    #[error("{} already exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),

    #[error("{} is a symbolic link; scaffold writes only into real directories, never through a link", .0.display())]
    SymlinkInTheWay(PathBuf),

    #[error("{} changed while scaffold was running; nothing was written", .0.display())]
    Changed(PathBuf),

    #[error("cannot read the current directory: {0}")]
    CurrentDir(io::Error),

    #[error("the operating system's random source failed: {0}")]
    Random(String),

    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("interrupted; nothing was written")]
    Interrupted,

    #[error("couldn't handle {kind} template {template}: {why}")]
    TemplateNotFound {
        kind: &'static str,
        template: String,
        why: String,
    },

    #[error("{template} is not a recognized archive format")]
    UnknownArchive { template: String },

    #[error("{}", template_error(file, template, *line, message))]
    Template {
        file: PathBuf,
        template: String,
        line: Option<usize>,
        message: String,
    },

    #[error("refusing template {template}: {reason}")]
    HostileTemplate { template: String, reason: String },

    #[error("refusing template {template}: it is larger than the limit of {} once unpacked", size_text(*limit))]
    TemplateTooLarge { template: String, limit: u64 },

    #[error("cannot unpack template {template}: {message}")]
    Archive { template: String, message: String },

    #[error("couldn't download {url}: {message}")]
    Download {
        url: String,
        message: String,
        timed_out: bool,
    },

    #[error("two template files would both be written to {}", .0.display())]
    TemplateCollision(PathBuf),

    #[error("{0} only applies to the built-in template, not with --template")]
    BuiltinOnly(&'static str),
}

impl Error {
    /// A second line that helps the user fix the problem, where there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::InvalidName { hint, .. } => hint.clone(),
            Error::Register { .. } => Some(
                "run startapp without --register and edit INSTALLED_APPS by hand".into(),
            ),
            Error::InvalidSettingsModule(_) => {
                Some("for example --settings-module mysite.settings.production".into())
            }
            Error::TargetExists(_) => Some(
                "pass a DIRECTORY to overlay into an existing directory, or choose another name"
                    .into(),
            ),
            Error::Conflict { .. } => {
                Some("remove or rename that file, or generate into another directory".into())
            }
            Error::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
                Some("check that you may write there, or choose another directory".into())
            }
            Error::UnknownArchive { .. } => {
                Some("use a directory, or an archive ending in .zip, .tar, .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz or .txz".into())
            }
            Error::Template { .. } => Some(
                "scaffold renders Django's template language: variables, the common filters, if/elif/else, for, \
                 comment, templatetag and verbatim"
                    .into(),
            ),
            Error::TemplateTooLarge { .. } => Some("raise the limit with --max-template-size, e.g. --max-template-size 1G".into()),
            Error::Download { timed_out: true, .. } => Some("allow more time with --timeout SECS".into()),
            _ => None,
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

fn template_error(
    file: &std::path::Path,
    template: &str,
    line: Option<usize>,
    message: &str,
) -> String {
    match line {
        Some(line) => format!(
            "{} (template {template}), line {line}: {message}",
            file.display()
        ),
        None => format!("{} (template {template}) {message}", file.display()),
    }
}

/// A byte count as the user would write it for --max-template-size.
fn size_text(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}
