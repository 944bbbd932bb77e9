//! What a command tells its user: Django-style progress lines, a summary with next steps, or one
//! JSON document for CI. Builds strings; printing is the caller's job.

use std::io::{self, Read};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::installed::Origin;
use crate::plan::{Content, EntryKind};
use crate::template::TemplateOptions;
use crate::{Environment, Kind, Prepared};

/// The process umask, which the kernel applies to every mode the plan asks for.
pub fn umask() -> u32 {
    // SAFETY: umask only swaps a process-wide integer; it is set back at once.
    let mask = unsafe { libc::umask(0o022) };
    unsafe { libc::umask(mask) };
    mask
}

/// What a text-mode run prints: lines for stdout and lines for stderr.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Text {
    /// Lines for stdout.
    pub stdout: Vec<String>,
    /// Lines for stderr.
    pub stderr: Vec<String>,
}

/// The text output of a successful command, by django-admin's rule: what django-admin prints
/// (nothing at verbosity 1; at 2 and 3 its `Rendering ...`/`Creating ...` lines on stdout), plus
/// warnings on stderr from verbosity 1, plus the summary and next steps on stderr only for a
/// person at a terminal. A dry run lists what it would create from verbosity 1.
pub fn text(
    prepared: &Prepared,
    template: Option<&TemplateOptions>,
    dry_run: bool,
    verbosity: u8,
    stderr_is_terminal: bool,
    env: &Environment,
) -> Text {
    let mut out = Text::default();
    if verbosity >= 2 {
        out.stdout = django_lines(prepared, template, env);
    } else if dry_run && verbosity >= 1 {
        out.stdout = creating_lines(prepared);
    }
    if verbosity >= 1 {
        out.stderr = prepared
            .warnings()
            .into_iter()
            .map(|w| format!("warning: {w}"))
            .collect();
        if stderr_is_terminal {
            if let Some(registration) = &prepared.registration {
                let verb = if dry_run { "Would add" } else { "Added" };
                out.stderr.push(format!(
                    "{verb} '{}' to INSTALLED_APPS in {}",
                    registration.app,
                    registration.settings.display()
                ));
            }
            out.stderr.extend(
                summary(prepared, dry_run, &env.cwd)
                    .lines()
                    .map(str::to_owned),
            );
        }
    }
    out
}

/// Django's verbosity-2 (and 3) output of `TemplateCommand.handle`: the extensions and file
/// names rendered, `Downloading URL` and `Extracting ARCHIVE` for a template archive, `Creating
/// PATH` for each file, and `Cleaning up temporary files.` after an archive. Django lists the
/// files in directory order and the extensions in set order; scaffold in sorted and given order.
pub(crate) fn django_lines(
    prepared: &Prepared,
    template: Option<&TemplateOptions>,
    env: &Environment,
) -> Vec<String> {
    let kind = prepared.kind.as_str();
    let (extensions, files) = match template {
        Some(options) => (options.rendered_extensions(), options.extra_files()),
        None => (vec![".py".to_owned()], Vec::new()),
    };
    let mut lines = vec![
        format!(
            "Rendering {kind} template files with extensions: {}",
            extensions.join(", ")
        ),
        format!(
            "Rendering {kind} template files with filenames: {}",
            files.join(", ")
        ),
    ];
    let archive = template.filter(|_| prepared.template_workspace.is_some());
    if let Some(options) = archive {
        let source = options.source.as_str();
        if crate::template::source::is_url(source) {
            lines.push(format!("Downloading {source}"));
        } else {
            lines.push(format!(
                "Extracting {}",
                crate::template::source::local_path(source, env).display()
            ));
        }
    }
    lines.extend(creating_lines(prepared));
    if archive.is_some() {
        lines.push("Cleaning up temporary files.".to_owned());
    }
    lines
}

/// Django's verbosity-2 lines, one for each file: `Creating /abs/path`.
pub fn creating_lines(prepared: &Prepared) -> Vec<String> {
    prepared
        .plan
        .files()
        .map(|(path, _, _)| format!("Creating {}", prepared.root().join(path).display()))
        .collect()
}

/// One line saying what was (or would be) created and where, which Django release and why,
/// then the next steps.
pub(crate) fn summary(prepared: &Prepared, dry_run: bool, cwd: &Path) -> String {
    let shown = shown_path(prepared.root(), cwd);
    let files = file_count(prepared.plan.files().count());
    let verb = if dry_run { "Would create" } else { "Created" };
    let described = described(
        prepared.kind,
        &prepared.name,
        prepared.django,
        prepared.template.as_deref(),
    );
    let mut what = format!("{verb} {described} in {shown} ({files})");
    what.push_str(if dry_run {
        "; nothing was written (--dry-run)."
    } else {
        "."
    });
    if let Some(why) = release_reason(prepared) {
        what = format!("{what}\n{why}");
    }
    if dry_run {
        return what;
    }
    match prepared.kind {
        Kind::Project => {
            let has_manage = prepared
                .plan
                .files()
                .any(|(p, _, _)| p == Path::new("manage.py"));
            let here = prepared.root() == cwd;
            match (here, has_manage) {
                (true, false) => what,
                (false, false) => format!("{what}\nNext: cd {shown}"),
                (_, true) => {
                    let mut steps = Vec::new();
                    if !here {
                        steps.push(format!("cd {shown}"));
                    }
                    steps.extend(install_steps(prepared));
                    let run = "python manage.py migrate && python manage.py runserver".to_owned();
                    if steps.len() <= 1 {
                        steps.push(run);
                        format!("{what}\nNext: {}", steps.join(" && "))
                    } else {
                        steps.push(run);
                        format!("{what}\nNext: {}", steps.join("\n      "))
                    }
                }
            }
        }
        Kind::App if prepared.registration.is_some() => format!(
            "{what}\nNext: python manage.py makemigrations {}",
            prepared.name
        ),
        Kind::App => {
            let name = &prepared.name;
            let has_apps_py = prepared
                .plan
                .files()
                .any(|(p, _, _)| p == Path::new("apps.py"));
            match app_module(prepared.root(), cwd) {
                Some(module) if module == name.as_str() => format!(
                    "{what}\nNext: add '{module}' to INSTALLED_APPS, then python manage.py makemigrations {name}"
                ),
                Some(module) if has_apps_py => format!(
                    "{what}\nNext: set name = '{module}' in {shown}/apps.py and add '{module}' to INSTALLED_APPS, \
                     then python manage.py makemigrations {name}"
                ),
                Some(module) => format!(
                    "{what}\nNext: add '{module}' to INSTALLED_APPS, then python manage.py makemigrations {name}"
                ),
                None => format!(
                    "{what}\nNext: add the app to INSTALLED_APPS under the dotted path your project imports it by, \
                     then python manage.py makemigrations {name}"
                ),
            }
        }
    }
}

/// The dotted module an app directory is imported as when the project runs from `cwd`
/// (`apps/blog` -> `apps.blog`); None when it lies outside `cwd` or a part is no identifier.
fn app_module(root: &Path, cwd: &Path) -> Option<String> {
    let relative = root.strip_prefix(cwd).ok()?;
    let parts: Vec<&str> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    let valid = !parts.is_empty()
        && parts.iter().all(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
                && chars.all(unicode_ident::is_xid_continue)
        });
    valid.then(|| parts.join("."))
}

/// Why this release, when scaffold chose it for the built-in template: `Django 5.2 (found in
/// .venv)`.
fn release_reason(prepared: &Prepared) -> Option<String> {
    if prepared.template.is_some() {
        return None;
    }
    let django = prepared.django;
    match &prepared.django_origin {
        Origin::Given => None,
        Origin::Found { place, .. } => Some(format!("Django {django} (found in {place}).")),
        Origin::Project { release, file } => Some(format!(
            "Django {django} (no Django found; the project's {} says Django {release} made it).",
            file.display()
        )),
        Origin::Newest => Some(format!(
            "Django {django} (the newest; no Django found in an active venv or a .venv)."
        )),
    }
}

/// How to get the release the project needs, unless the environment already has it: a venv
/// (where none was found) and pip.
fn install_steps(prepared: &Prepared) -> Vec<String> {
    if prepared.django_installed() {
        return Vec::new();
    }
    let django = prepared.django;
    let (major, minor) = django.min_python();
    let mut steps = Vec::new();
    let needs = format!("# Django {django} needs Python {major}.{minor} or newer");
    if prepared.installed.is_none() {
        steps.push(format!(
            "python3 -m venv .venv && . .venv/bin/activate   {needs}"
        ));
        steps.push(format!("python -m pip install \"Django~={django}.0\""));
    } else {
        steps.push(format!(
            "python -m pip install \"Django~={django}.0\"   {needs}"
        ));
    }
    steps
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

/// `scaffold new`'s text after writing, on stderr: the files at verbosity 2 and 3, and the
/// summary only for a person at a terminal (from verbosity 1), as django-admin keeps quiet on
/// success otherwise (SPEC 9).
pub fn new_lines(
    prepared: &Prepared,
    verbosity: u8,
    stderr_is_terminal: bool,
    cwd: &Path,
) -> Vec<String> {
    let mut lines = Vec::new();
    if verbosity >= 2 {
        lines.extend(creating_lines(prepared));
    }
    if verbosity >= 1 && stderr_is_terminal {
        lines.extend(summary(prepared, false, cwd).lines().map(str::to_owned));
    }
    lines
}

/// Whether error lines are coloured: on a terminal, unless `NO_COLOR` is set and not empty
/// (no-color.org).
pub fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// A refused command in text mode: `error: ...` (its label bold red when `colour`), and a
/// `hint: ...` line where the error has one, each escaped and shortened for the terminal by
/// `terminal_line`: an error names what it was given or found (a 120 KB NAME, a dist-info
/// name with escape sequences in it). JSON ([`json_error`]) keeps it exact.
pub fn error_lines(error: &Error, colour: bool) -> Vec<String> {
    let (on, off) = if colour {
        ("\x1b[1;31m", "\x1b[0m")
    } else {
        ("", "")
    };
    let mut lines = vec![format!(
        "{on}error:{off} {}",
        terminal_line(&error.to_string())
    )];
    if let Some(hint) = error.hint() {
        lines.push(format!("hint: {}", terminal_line(&hint)));
    }
    lines
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

/// `text` as it may reach a terminal: every control character (C0, DEL, C1) written as an
/// escape (`\n`, `\t`, `\r`, `\x1b`, `\u{9b}`), never sent, as `ls` and git show names. What
/// scaffold reads without being told (file names, dist-info names, settings docstrings) must
/// not move the cursor, retitle the window or hide text. JSON needs none of this: it is exact.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An error or hint line as the terminal shows it: [`terminal`]'s escapes, and any run of more
/// than [`MAX_SHOWN_WORD`] characters without a space (a 120 KB NAME, a path made of it; a
/// long path of real directories is still shown whole)
/// shortened in the middle, saying how much was left out.
pub(crate) fn terminal_line(text: &str) -> String {
    let escaped = terminal(text);
    let mut out = String::with_capacity(escaped.len().min(4 * MAX_SHOWN_WORD));
    for (i, word) in escaped.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let count = word.chars().count();
        if count <= MAX_SHOWN_WORD {
            out.push_str(word);
            continue;
        }
        let keep = MAX_SHOWN_WORD / 2;
        out.extend(word.chars().take(keep));
        out.push_str(&format!("[... {} characters ...]", count - 2 * keep));
        out.extend(word.chars().skip(count - keep));
    }
    out
}

/// The longest run of characters without a space that an error line shows whole.
pub(crate) const MAX_SHOWN_WORD: usize = 400;

pub(crate) fn slash_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A target as the summary names it: relative to the working directory when inside it.
pub(crate) fn shown_path(root: &Path, cwd: &Path) -> String {
    root.strip_prefix(cwd)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| root.display().to_string())
}

/// `Django 6.1 project 'mysite'`, or `project 'mysite' from template SRC`: what a command makes,
/// as the summaries of a run and of `--check` name it.
pub(crate) fn described(
    kind: Kind,
    name: &impl std::fmt::Display,
    django: crate::DjangoVersion,
    template: Option<&str>,
) -> String {
    match template {
        None => format!("Django {django} {} '{name}'", kind.as_str()),
        Some(source) => format!("{} '{name}' from template {source}", kind.as_str()),
    }
}

/// `1 file`, `6 files`.
pub(crate) fn file_count(n: usize) -> String {
    match n {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_without_no_color() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(colour(true, None));
        assert!(colour(true, empty), "an empty NO_COLOR does not count");
        assert!(!colour(true, set));
        assert!(!colour(false, None));
    }

    #[test]
    fn error_lines_say_error_then_hint_escaped_for_the_terminal() {
        let error = Error::TargetExists("/w/my\x1bsite".into());
        let lines = error_lines(&error, false);
        assert!(lines[0].starts_with("error: "), "{lines:?}");
        assert!(lines[0].contains("my\\x1bsite"), "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains('\x1b')), "{lines:?}");
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[1].starts_with("hint: something is in the way"),
            "{lines:?}"
        );
        let coloured = error_lines(&error, true);
        assert!(
            coloured[0].starts_with("\x1b[1;31merror:\x1b[0m "),
            "{coloured:?}"
        );
        assert_eq!(coloured[1..], lines[1..]);
    }

    #[test]
    fn app_module_is_the_dotted_path_from_the_working_directory() {
        let cwd = Path::new("/w");
        assert_eq!(
            app_module(Path::new("/w/blog"), cwd).as_deref(),
            Some("blog")
        );
        assert_eq!(
            app_module(Path::new("/w/apps/blog2"), cwd).as_deref(),
            Some("apps.blog2")
        );
        assert_eq!(app_module(Path::new("/elsewhere/blog"), cwd), None);
        assert_eq!(app_module(Path::new("/w/my-apps/blog"), cwd), None);
        assert_eq!(app_module(Path::new("/w"), cwd), None);
    }

    #[test]
    fn control_characters_are_shown_escaped_and_long_words_shortened() {
        assert_eq!(terminal("plain name.py"), "plain name.py");
        assert_eq!(
            terminal("5.2.1\x1b]0;PWNED\x07 a\nb\tc\u{9b}d"),
            "5.2.1\\x1b]0;PWNED\\x07 a\\nb\\tc\\u{9b}d"
        );
        let name = "a".repeat(120_000);
        let line = terminal_line(&format!("error: '{name}' is not valid"));
        assert!(line.len() < 500, "{}", line.len());
        assert!(line.starts_with("error: 'aaa") && line.ends_with("aaa' is not valid"));
        assert!(line.contains("[... 119602 characters ...]"), "{line}");
    }
}
