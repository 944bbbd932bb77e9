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

    /// Through the library only: `--django` refuses an upgrade base when parsing.
    #[error("{}", .0.no_longer_supported())]
    NotGenerated(crate::DjangoVersion),

    /// The built-in template of a release has no such variant: an upgrade base has only
    /// Django's own project (single settings, classic layout) and app templates.
    #[error(
        "scaffold knows Django {django} only as an upgrade base: it has no built-in {what} for it"
    )]
    NoBuiltinVariant {
        django: crate::DjangoVersion,
        what: &'static str,
    },

    #[error(
        "Django {version} is installed in {place}, but scaffold emits only Django {}",
        supported_text()
    )]
    UnsupportedInstalledDjango {
        version: String,
        place: String,
        /// The supported release to suggest instead.
        nearest: crate::DjangoVersion,
    },
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
            // Raised for ./NAME when no DIRECTORY was given (an existing directory there is
            // refused earlier, as an importable name), and for a path that appeared while
            // writing: what is there is not a directory to overlay, so say only what helps.
            Error::TargetExists(_) => {
                Some("something is in the way: remove or rename it, or choose another name".into())
            }
            Error::NotADirectory(_) => Some(
                "a directory is needed there: remove or rename that file, or choose another DIRECTORY"
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
            Error::Template { message, .. } if message.contains("--max-template-size") => None,
            Error::Template { .. } => Some(
                "scaffold renders Django's built-in template language; it refuses only what needs more than \
                 the template (load, include, extends, url, ...) or cannot be reproduced (random); see the README"
                    .into(),
            ),
            Error::TemplateTooLarge { .. } => Some("raise the limit with --max-template-size, e.g. --max-template-size 1G".into()),
            Error::Download { timed_out: true, .. } => Some("allow more time with --timeout SECS".into()),
            Error::UnsupportedInstalledDjango { nearest, .. } => Some(format!(
                "pass --django {nearest} to emit Django {nearest} anyway, or install a supported Django there: \
                 python -m pip install \"Django~={nearest}.0\""
            )),
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

/// `5.2, 6.0 and 6.1`
fn supported_text() -> String {
    let all = crate::DjangoVersion::generated_list();
    match all.rsplit_once(", ") {
        Some((head, last)) => format!("{head} and {last}"),
        None => all,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What is in the way is a file or appeared meanwhile: no hint may suggest overlaying into
    /// it or passing a DIRECTORY to overlay.
    #[test]
    fn hints_for_something_in_the_way_never_suggest_overlaying() {
        for error in [
            Error::TargetExists("/w/mysite".into()),
            Error::NotADirectory("/w/mysite".into()),
        ] {
            let hint = error.hint().unwrap_or_default();
            assert!(!hint.is_empty(), "{error}");
            assert!(
                !hint.contains("overlay") && !hint.contains("pass a DIRECTORY"),
                "{error}: {hint}"
            );
        }
    }
}
