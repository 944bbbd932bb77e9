//! Walking a custom template directory into a plan, as Django's `TemplateCommand.handle` walks
//! it with `os.walk`: which directories are skipped, which files are rendered and which copied,
//! how names are mapped, and what links may do.
//!
//! Links: a link whose target (resolved) lies outside the template is refused, as is a broken
//! one. A link that stays inside is treated as Django's `os.walk` + `shutil.copyfile` treat it:
//! a link to a file becomes a regular file with the target's content and mode; a link to a
//! directory is not descended into, and creates nothing.

use std::fs::{self, Metadata};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::path_map::target_path;
use crate::plan::{Content, Entry, EntryKind, Plan};
use django_template::{ErrorKind, RenderLimits, Template, Value};

/// Files Django never copies: byte-compiled Python.
const SKIPPED_SUFFIXES: &[&str] = &[".pyo", ".pyc", ".py.class"];
/// Directories skipped even with `-x`.
const ALWAYS_EXCLUDED: &[&str] = &[".git", "__pycache__"];

/// What to walk and how; the parts of Django's options that shape the plan.
pub struct Walk<'a> {
    /// The template's canonical root directory.
    pub root: &'a Path,
    /// How the template is named in errors (`--template` as given).
    pub shown_as: &'a str,
    /// `project_name` or `app_name`.
    pub placeholder: &'a str,
    pub name: &'a str,
    /// The absolute target directory; Django matches extensions against the full new path.
    pub target_root: &'a Path,
    /// Rendered extensions, each with its leading dot.
    pub extensions: &'a [String],
    /// File names rendered whatever their extension.
    pub extra_files: &'a [String],
    /// None without `-x`; otherwise the named directories.
    pub excluded: Option<&'a [String]>,
    pub context: &'a [(String, Value)],
    /// Most bytes that all rendered files of the template may hold together
    /// (`--max-template-size`).
    pub max_output: u64,
    /// Bytes rendered so far, counted against `max_output`.
    pub rendered: std::cell::Cell<u64>,
}

/// Builds the plan: every kept directory and file of the template.
pub fn plan(walk: &Walk) -> Result<Plan, Error> {
    let mut builder = Builder {
        walk,
        plan: Plan::default(),
    };
    builder.directory(walk.root, Path::new(""))?;
    let mut plan = builder.plan;
    plan.sort();
    // Two template paths may map to one target path (`project_name/` and `mysite/`): fine for
    // directories, which Django merges; an error for files, which Django would refuse too.
    // Checked on the sorted plan, in place, rather than with a set or a second vector, so that
    // each entry is held once in memory.
    let both_dirs =
        |a: &Entry, b: &Entry| matches!((&a.kind, &b.kind), (EntryKind::Dir, EntryKind::Dir));
    if let Some(pair) = plan
        .entries
        .windows(2)
        .find(|pair| pair[0].path == pair[1].path && !both_dirs(&pair[0], &pair[1]))
    {
        return Err(Error::TemplateCollision(pair[1].path.clone()));
    }
    plan.entries
        .dedup_by(|later, earlier| later.path == earlier.path);
    Ok(plan)
}

struct Builder<'a> {
    walk: &'a Walk<'a>,
    plan: Plan,
}

impl Builder<'_> {
    fn hostile(&self, reason: String) -> Error {
        Error::HostileTemplate {
            template: self.walk.shown_as.to_owned(),
            reason,
        }
    }

    fn directory(&mut self, dir: &Path, rel: &Path) -> Result<(), Error> {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(Error::io("cannot read the template directory", dir))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if crate::interrupt::raised() {
                return Err(Error::Interrupted);
            }
            let path = entry.path();
            let file_name = entry.file_name();
            let entry_rel = rel.join(&file_name);
            let meta = fs::symlink_metadata(&path).map_err(Error::io("cannot inspect", &path))?;
            let file_type = meta.file_type();
            if file_type.is_symlink() {
                let target = fs::canonicalize(&path).map_err(|_| {
                    self.hostile(format!("the link {} is broken", entry_rel.display()))
                })?;
                if !target.starts_with(self.walk.root) {
                    return Err(self.hostile(format!(
                        "the link {} points outside the template (to {})",
                        entry_rel.display(),
                        target.display()
                    )));
                }
                let target_meta =
                    fs::metadata(&target).map_err(Error::io("cannot inspect", &target))?;
                if target_meta.is_dir() {
                    // os.walk lists it among the directories but does not descend into it.
                    continue;
                }
                self.file(&target, &entry_rel, &target_meta)?;
            } else if file_type.is_dir() {
                let name = file_name.to_string_lossy();
                let skip = match self.walk.excluded {
                    None => name.starts_with('.') || name == "__pycache__",
                    Some(named) => {
                        ALWAYS_EXCLUDED.contains(&name.as_ref()) || named.iter().any(|n| *n == name)
                    }
                };
                if skip {
                    continue;
                }
                let target = dir_target(&entry_rel, self.walk.placeholder, self.walk.name)
                    .ok_or_else(|| self.unmappable("directory", &entry_rel))?;
                self.add(target, EntryKind::Dir);
                self.directory(&path, &entry_rel)?;
            } else if file_type.is_file() {
                self.file(&path, &entry_rel, &meta)?;
            } else {
                return Err(self.hostile(format!(
                    "{} is not a regular file or directory",
                    entry_rel.display()
                )));
            }
        }
        Ok(())
    }

    /// Why `rel` has no target path: a name that is not UTF-8 (Django's str paths cannot hold
    /// it either), or one that would not stay a plain name once mapped.
    fn unmappable(&self, what: &str, rel: &Path) -> Error {
        let why = if rel.to_str().is_none() {
            "has a name that is not UTF-8"
        } else {
            "would not stay inside the target once mapped"
        };
        self.hostile(format!("the {what} {} {why}", rel.display()))
    }

    fn add(&mut self, target: PathBuf, kind: EntryKind) {
        self.plan.entries.push(Entry { path: target, kind });
    }

    fn file(&mut self, source: &Path, rel: &Path, meta: &Metadata) -> Result<(), Error> {
        let file_name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if SKIPPED_SUFFIXES.iter().any(|s| file_name.ends_with(s)) {
            return Ok(());
        }
        let target = target_path(rel, self.walk.placeholder, self.walk.name)
            .ok_or_else(|| self.unmappable("file", rel))?;
        let full = self.walk.target_root.join(&target);
        let full = full.to_string_lossy();
        let render = self
            .walk
            .extensions
            .iter()
            .any(|ext| full.ends_with(ext.as_str()))
            || self.walk.extra_files.contains(&file_name);
        // shutil.copymode, then make_writeable; never set-id bits.
        let mode = (meta.permissions().mode() & 0o777) | 0o200;
        let content = if render {
            Content::Bytes(self.render(source, rel)?.into_bytes())
        } else {
            Content::Copy {
                source: source.to_owned(),
                size: meta.size(),
            }
        };
        self.add(target, EntryKind::File { mode, content });
        Ok(())
    }

    /// Reads as Python's text mode does (UTF-8, universal newlines) and renders.
    fn render(&self, source: &Path, rel: &Path) -> Result<String, Error> {
        let template_error = |line: Option<usize>, message: String| Error::Template {
            file: rel.to_owned(),
            template: self.walk.shown_as.to_owned(),
            line,
            message,
        };
        let bytes = fs::read(source).map_err(Error::io("cannot read", source))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            template_error(
                None,
                format!(
                    "is rendered (by its extension or name) but is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        let text = if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text
        };
        let used = self.walk.rendered.get();
        let limits = RenderLimits::new(
            self.walk.max_output.saturating_sub(used),
            crate::interrupt::flag(),
        );
        let rendered = Template::parse_owned(text)
            .and_then(|t| t.render_with(self.walk.context, &limits))
            .map_err(|e| match e.kind {
                ErrorKind::Cancelled => Error::Interrupted,
                ErrorKind::OutputLimit => template_error(
                    Some(e.line),
                    format!(
                        "rendered output passes the limit of {} bytes (all rendered files of the \
                         template together); raise it with --max-template-size",
                        self.walk.max_output
                    ),
                ),
                _ => template_error(Some(e.line), e.message),
            })?;
        self.walk.rendered.set(used + rendered.len() as u64);
        Ok(rendered)
    }
}

/// A template directory's target path. Unlike a file's, a directory's `.py-tpl` suffix is kept,
/// as in Django; the mapping and its escape checks are [`target_path`]'s.
fn dir_target(rel: &Path, placeholder: &str, name: &str) -> Option<PathBuf> {
    let as_parent = target_path(&rel.join("_"), placeholder, name)?;
    as_parent.parent().map(Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_keep_their_suffix() {
        assert_eq!(
            dir_target(Path::new("project_name/x.py-tpl"), "project_name", "s"),
            Some("s/x.py-tpl".into())
        );
        assert_eq!(dir_target(Path::new("../x"), "project_name", "s"), None);
    }
}
