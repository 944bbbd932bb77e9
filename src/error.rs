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

    #[error("cannot read the current directory: {0}")]
    CurrentDir(io::Error),

    #[error("could not render {template}: {message}")]
    Render { template: String, message: String },

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
}

impl Error {
    /// A second line that helps the user fix the problem, where there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::InvalidName { hint, .. } => hint.clone(),
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
