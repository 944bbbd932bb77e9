//! Where a custom template comes from: a directory used in place, or an archive (local or
//! downloaded) unpacked into a private temporary workspace that lives until the write.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::archive::{self, kind_from_name, UnpackError};
use super::download::{self, DownloadError};
use super::TemplateOptions;
use crate::destination::normalize;
use crate::error::Error;
use crate::name::Kind;
use crate::Environment;

/// A template ready to walk.
#[derive(Debug)]
pub(crate) struct Acquired {
    /// The template's root directory, canonical.
    pub(crate) root: PathBuf,
    /// Holds an unpacked archive; removed when dropped.
    pub(crate) workspace: Option<TempDir>,
}

/// The absolute path a `--template` value names as a local directory or archive: `file://` and
/// `~` removed, made absolute and normalised, as Django's `handle_template` does.
pub(crate) fn local_path(raw: &str, env: &Environment) -> PathBuf {
    let stripped = raw.strip_prefix("file://").unwrap_or(raw);
    let expanded = match (stripped.strip_prefix('~'), &env.home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            home.join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(stripped),
    };
    normalize(&env.cwd.join(expanded))
}

/// Whether a `--template` value is an http(s) URL, which is downloaded.
pub(crate) fn is_url(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Finds the template as Django's `handle_template` does: `file://` and `~` removed, an
/// existing directory used as it is, an http(s) URL downloaded, any other existing file
/// unpacked as an archive.
pub(crate) fn acquire(
    options: &TemplateOptions,
    kind: Kind,
    env: &Environment,
) -> Result<Acquired, Error> {
    let raw = options.source.as_str();
    let stripped = raw.strip_prefix("file://").unwrap_or(raw);
    let path = local_path(raw, env);
    if path.is_dir() {
        let root = path
            .canonicalize()
            .map_err(Error::io("cannot read the template directory", &path))?;
        return Ok(Acquired {
            root,
            workspace: None,
        });
    }

    let scheme = stripped
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    if let Some(scheme) = scheme.filter(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    }) {
        if scheme != "http" && scheme != "https" {
            return Err(Error::TemplateNotFound {
                kind: kind.as_str(),
                template: raw.to_owned(),
                why: format!("only http and https URLs are supported, not {scheme}"),
            });
        }
        let workspace = workspace()?;
        let download_dir = workspace.path().join("download");
        std::fs::create_dir(&download_dir).map_err(Error::io("cannot create", &download_dir))?;
        let (file, archive_kind) = download::download(
            stripped,
            &download_dir,
            options.max_size,
            options.timeout,
            options.progress.as_deref(),
        )
        .map_err(|e| download_error(e, raw, options))?;
        let root = unpack(&file, archive_kind, &workspace, raw, options.max_size)?;
        return Ok(Acquired {
            root,
            workspace: Some(workspace),
        });
    }

    if !path.is_file() {
        return Err(Error::TemplateNotFound {
            kind: kind.as_str(),
            template: raw.to_owned(),
            why: "no such directory, archive or URL".into(),
        });
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let archive_kind = kind_from_name(&file_name).ok_or_else(|| Error::UnknownArchive {
        template: raw.to_owned(),
    })?;
    let workspace = workspace()?;
    let root = unpack(&path, archive_kind, &workspace, raw, options.max_size)?;
    Ok(Acquired {
        root,
        workspace: Some(workspace),
    })
}

fn workspace() -> Result<TempDir, Error> {
    tempfile::Builder::new()
        .prefix("scaffold-template-")
        .tempdir()
        .map_err(Error::io(
            "cannot create a temporary directory in",
            std::env::temp_dir(),
        ))
}

fn unpack(
    file: &Path,
    kind: archive::ArchiveKind,
    workspace: &TempDir,
    raw: &str,
    limit: u64,
) -> Result<PathBuf, Error> {
    let dest = workspace.path().join("template");
    std::fs::create_dir(&dest).map_err(Error::io("cannot create", &dest))?;
    let root = archive::unpack(file, kind, &dest, limit).map_err(|e| match e {
        UnpackError::Refused(reason) => Error::HostileTemplate {
            template: raw.to_owned(),
            reason,
        },
        UnpackError::TooLarge { limit } => Error::TemplateTooLarge {
            template: raw.to_owned(),
            limit,
        },
        UnpackError::Corrupt(message) => Error::Archive {
            template: raw.to_owned(),
            message,
        },
        UnpackError::Io(e) => Error::io("cannot unpack the template into", &dest)(e),
        UnpackError::Interrupted => Error::Interrupted,
    })?;
    root.canonicalize()
        .map_err(Error::io("cannot read the unpacked template", &root))
}

fn download_error(e: DownloadError, raw: &str, options: &TemplateOptions) -> Error {
    let url = raw.to_owned();
    match e {
        DownloadError::TimedOut => Error::Download {
            url,
            message: format!("no complete answer within {} s", options.timeout.as_secs_f64()),
            timed_out: true,
        },
        DownloadError::TooLarge => Error::TemplateTooLarge { template: url, limit: options.max_size },
        DownloadError::Failed(message) => Error::Download { url, message, timed_out: false },
        DownloadError::UnknownType { content_type } => Error::Download {
            url,
            message: format!(
                "cannot tell the archive type: neither the URL, the Content-Disposition file name nor the \
                 Content-Type ({}) names a .zip or .tar archive",
                content_type.as_deref().unwrap_or("none")
            ),
            timed_out: false,
        },
        DownloadError::Io(e) => Error::io("cannot save the download of", &url)(e),
        DownloadError::Interrupted => Error::Interrupted,
        DownloadError::SuspiciousName(message) => Error::Download { url, message, timed_out: false },
    }
}
