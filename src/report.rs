//! What a command tells its user: Django-style progress lines, a summary with next steps, or one
//! JSON document for CI. Builds strings; printing is the caller's job.

use std::io::{self, Read};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::plan::{Content, EntryKind};
use crate::{Kind, Prepared};

/// The process umask, which the kernel applies to every mode the plan asks for.
pub fn umask() -> u32 {
    // SAFETY: umask only swaps a process-wide integer; it is set back at once.
    let mask = unsafe { libc::umask(0o022) };
    unsafe { libc::umask(mask) };
    mask
}

/// Django's verbosity-2 lines, one for each file: `Creating /abs/path`.
pub fn creating_lines(prepared: &Prepared) -> Vec<String> {
    prepared
        .plan
        .files()
        .map(|(path, _, _)| format!("Creating {}", prepared.root().join(path).display()))
        .collect()
}

/// Verbosity-3 lines for the directories, before the files.
pub fn directory_lines(prepared: &Prepared) -> Vec<String> {
    prepared
        .plan
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Dir)
        .map(|e| {
            format!(
                "Creating directory {}",
                prepared.root().join(&e.path).display()
            )
        })
        .collect()
}

/// One line saying what was (or would be) created and where, then the next steps.
pub fn summary(prepared: &Prepared, dry_run: bool, cwd: &Path) -> String {
    let shown = prepared
        .root()
        .strip_prefix(cwd)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| prepared.root().display().to_string());
    let files = match prepared.plan.files().count() {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    };
    let verb = if dry_run { "Would create" } else { "Created" };
    let what = match &prepared.template {
        None => format!(
            "{verb} Django {} {} '{}' in {shown} ({files})",
            prepared.django,
            prepared.kind.as_str(),
            prepared.name
        ),
        Some(source) => format!(
            "{verb} {} '{}' from template {source} in {shown} ({files})",
            prepared.kind.as_str(),
            prepared.name
        ),
    };
    if dry_run {
        return format!("{what}; nothing was written (--dry-run).");
    }
    match prepared.kind {
        Kind::Project => {
            let has_manage = prepared
                .plan
                .files()
                .any(|(p, _, _)| p == Path::new("manage.py"));
            match (prepared.root() == cwd, has_manage) {
                (true, false) => format!("{what}."),
                (false, false) => format!("{what}.\nNext: cd {shown}"),
                (here, true) => {
                    let cd = if here {
                        String::new()
                    } else {
                        format!("cd {shown} && ")
                    };
                    format!(
                        "{what}.\nNext: {cd}python manage.py migrate && python manage.py runserver"
                    )
                }
            }
        }
        Kind::App if prepared.registration.is_some() => format!(
            "{what}.\nNext: python manage.py makemigrations {}",
            prepared.name
        ),
        Kind::App => format!(
            "{what}.\nNext: add '{}' to INSTALLED_APPS, then python manage.py makemigrations {}",
            prepared.name, prepared.name
        ),
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    command: &'static str,
    name: &'a str,
    django_version: String,
    directory: String,
    dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<crate::SettingsLayout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings_module: Option<&'a str>,
    warnings: Vec<String>,
    directories: Vec<String>,
    files: Vec<JsonFile>,
    /// `startapp --register`: the settings file replaced and its new text.
    #[serde(skip_serializing_if = "Option::is_none")]
    registered: Option<JsonRegistration<'a>>,
}

#[derive(Serialize)]
struct JsonRegistration<'a> {
    app: &'a str,
    settings: String,
    content: String,
}

#[derive(Serialize)]
struct JsonFile {
    path: String,
    mode: String,
    size: u64,
    sha256: String,
    /// The text of a UTF-8 file up to 1 MiB; absent for binary and larger files.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

/// The JSON report: the command, its target, and every directory and file with its final mode
/// (after `umask`), size, SHA-256 and, for text, its content. Keys and files in a fixed order.
pub fn json(prepared: &Prepared, dry_run: bool, umask: u32) -> Result<String, Error> {
    let mut files = Vec::new();
    for (path, mode, content) in prepared.plan.files() {
        let (sha256, text) = digest(content).map_err(Error::io("cannot read", path))?;
        files.push(JsonFile {
            path: slash_path(path),
            mode: format!("{:04o}", mode & !umask),
            size: content.size(),
            sha256,
            content: text,
        });
    }
    let report = JsonReport {
        command: match prepared.kind {
            Kind::Project => "startproject",
            Kind::App => "startapp",
        },
        name: prepared.name.as_str(),
        django_version: prepared.django.to_string(),
        directory: prepared.root().display().to_string(),
        dry_run,
        template: prepared.template.as_deref(),
        settings: prepared.settings.as_ref().map(|(layout, _)| *layout),
        settings_module: prepared
            .settings
            .as_ref()
            .map(|(_, module)| module.as_str()),
        warnings: prepared.warnings(),
        directories: prepared
            .plan
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Dir)
            .map(|e| slash_path(&e.path))
            .collect(),
        files,
        registered: prepared.registration.as_ref().map(|r| JsonRegistration {
            app: &r.app,
            settings: r.settings.display().to_string(),
            content: String::from_utf8_lossy(&r.edited).into_owned(),
        }),
    };
    Ok(serde_json::to_string_pretty(&report).expect("the report serializes") + "\n")
}

/// `{"error": "...", "hint": "..."}` for a refused command in JSON mode.
pub fn json_error(error: &Error) -> String {
    let mut map = serde_json::Map::new();
    map.insert("error".into(), error.to_string().into());
    if let Some(hint) = error.hint() {
        map.insert("hint".into(), hint.into());
    }
    serde_json::Value::Object(map).to_string() + "\n"
}

fn slash_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Text content is reported up to this size; larger files get only their size and hash.
const MAX_REPORTED_CONTENT: u64 = 1 << 20;

/// The SHA-256 of a file's bytes and, for UTF-8 text up to [`MAX_REPORTED_CONTENT`], the text.
/// Copied files are streamed, so a large binary is never held whole in memory.
fn digest(content: &Content) -> io::Result<(String, Option<String>)> {
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    match content {
        Content::Bytes(bytes) => {
            hasher.update(bytes);
            kept.extend_from_slice(bytes);
        }
        Content::Copy(source) => {
            let keep = source.size <= MAX_REPORTED_CONTENT;
            let mut file = source.open()?;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut buffer)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
                if keep {
                    kept.extend_from_slice(&buffer[..n]);
                }
            }
        }
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let text = (content.size() <= MAX_REPORTED_CONTENT)
        .then(|| String::from_utf8(kept).ok())
        .flatten();
    Ok((hex, text))
}
