//! Walking a custom template directory into a plan, as Django's `TemplateCommand.handle` walks
//! it with `os.walk`: which directories are skipped, which files are rendered and which copied,
//! how names are mapped, and what links may do.
//!
//! Links: a link whose target (resolved) lies outside the template is refused, as is a broken
//! one, and one to anything but a regular file or a directory (a fifo, a device). A link that
//! stays inside is treated as Django's `os.walk` + `shutil.copyfile` treat it: a link to a file
//! becomes a regular file with the target's content and mode; a link to a directory is not
//! descended into, and creates nothing.
//!
//! The walk goes through directory handles (see [`crate::handle`]): each directory is opened
//! below the held template root without following links, and each copied file is recorded with
//! its identity, so that a file swapped for a link or another file before it is copied is
//! refused rather than followed.

use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{FileType, Stat};

use crate::error::Error;
use crate::handle::{self, Identity};
use crate::path_map::target_path;
use crate::plan::{Content, Plan, PlanBuilder, SourceDir, SourceFile};
use django_template::{ErrorKind, RenderLimits, Template, Value};

/// Files Django never copies: byte-compiled Python.
const SKIPPED_SUFFIXES: &[&str] = &[".pyo", ".pyc", ".py.class"];
/// Directories skipped even with `-x`.
const ALWAYS_EXCLUDED: &[&str] = &[".git", "__pycache__"];

/// What to walk and how; the parts of Django's options that shape the plan.
pub(super) struct Walk<'a> {
    /// The template's root directory, held open; its path is canonical.
    pub(crate) root: &'a Arc<SourceDir>,
    /// How the template is named in errors (`--template` as given).
    pub(crate) shown_as: &'a str,
    /// `project_name` or `app_name`.
    pub(crate) placeholder: &'a str,
    pub(crate) name: &'a str,
    /// The absolute target directory; Django matches extensions against the full new path.
    pub(crate) target_root: &'a Path,
    /// Rendered extensions, each with its leading dot.
    pub(crate) extensions: &'a [String],
    /// File names rendered whatever their extension.
    pub(crate) extra_files: &'a [String],
    /// None without `-x`; otherwise the named directories.
    pub(crate) excluded: Option<&'a [String]>,
    pub(crate) context: &'a [(String, Value)],
    /// Most bytes that all rendered files of the template may hold together, and the largest
    /// template file read to be rendered (`--max-template-size`).
    pub(crate) max_output: u64,
    /// Bytes rendered so far, counted against `max_output`.
    pub(crate) rendered: std::cell::Cell<u64>,
}

/// Builds the plan: every kept directory and file of the template.
pub(super) fn plan(walk: &Walk) -> Result<Plan, Error> {
    let mut builder = Builder {
        walk,
        plan: PlanBuilder::default(),
    };
    let root = walk.root.fd().try_clone_to_owned().map_err(Error::io(
        "cannot read the template directory",
        walk.root.path(),
    ))?;
    builder.directory(root.as_fd(), Path::new(""))?;
    // Two template paths may map to one target path (`project_name/` and `mysite/`): fine for
    // directories, which Django merges; an error for files, which Django would refuse too.
    builder.plan.finish()
}

struct Builder<'a> {
    walk: &'a Walk<'a>,
    plan: PlanBuilder,
}

impl Builder<'_> {
    fn hostile(&self, reason: String) -> Error {
        Error::HostileTemplate {
            template: self.walk.shown_as.to_owned(),
            reason,
        }
    }

    fn directory(&mut self, dir: BorrowedFd<'_>, rel: &Path) -> Result<(), Error> {
        let shown = self.walk.root.path().join(rel);
        let names = handle::list_dir(dir)
            .map_err(Error::io("cannot read the template directory", &shown))?;
        for file_name in names {
            if crate::interrupt::raised() {
                return Err(Error::Interrupted);
            }
            let entry_rel = rel.join(&file_name);
            let path = shown.join(&file_name);
            let stat = handle::stat_child(dir, &file_name)
                .map_err(Error::io("cannot inspect", &path))?
                .ok_or_else(|| self.changed(&entry_rel))?;
            match handle::file_type(&stat) {
                FileType::Symlink => self.link(&path, &entry_rel)?,
                FileType::Directory => {
                    let name = file_name.to_string_lossy();
                    let skip = match self.walk.excluded {
                        None => name.starts_with('.') || name == "__pycache__",
                        Some(named) => {
                            ALWAYS_EXCLUDED.contains(&name.as_ref())
                                || named.iter().any(|n| *n == name)
                        }
                    };
                    if skip {
                        continue;
                    }
                    let target = dir_target(&entry_rel, self.walk.placeholder, self.walk.name)
                        .ok_or_else(|| self.unmappable("directory", &entry_rel))?;
                    self.plan.dir(target);
                    let child = handle::open_child_dir(dir, &file_name)
                        .map_err(|_| self.changed(&entry_rel))?;
                    if Identity::of_fd(&child).ok() != Some(Identity::of(&stat)) {
                        return Err(self.changed(&entry_rel));
                    }
                    self.directory(child.as_fd(), &entry_rel)?;
                }
                FileType::RegularFile => self.file(&entry_rel, &entry_rel, &stat)?,
                other => {
                    return Err(self.hostile(format!(
                        "{} is {}, not a regular file or directory",
                        entry_rel.display(),
                        handle::type_name(other)
                    )));
                }
            }
        }
        Ok(())
    }

    /// A link met in the walk: resolved, and kept only if it stays inside the template and ends
    /// at a regular file (copied with that file's content) or a directory (skipped).
    fn link(&mut self, path: &Path, rel: &Path) -> Result<(), Error> {
        let root = self.walk.root.path();
        let target = std::fs::canonicalize(path)
            .map_err(|_| self.hostile(format!("the link {} is broken", rel.display())))?;
        let Ok(target_rel) = target.strip_prefix(root) else {
            return Err(self.hostile(format!(
                "the link {} points outside the template (to {})",
                rel.display(),
                target.display()
            )));
        };
        if target_rel.as_os_str().is_empty() {
            // A link to the template's root: a directory, not descended into.
            return Ok(());
        }
        // The resolved path has no links; reached again below the held root, without following
        // any, it cannot lead outside even if the template changes meanwhile.
        let stat =
            handle::stat_beneath(self.walk.root.fd(), target_rel).map_err(|_| self.changed(rel))?;
        match handle::file_type(&stat) {
            // os.walk lists it among the directories but does not descend into it.
            FileType::Directory => Ok(()),
            FileType::RegularFile => self.file(target_rel, rel, &stat),
            other => Err(self.hostile(format!(
                "the link {} points to {}, not a regular file or directory",
                rel.display(),
                handle::type_name(other)
            ))),
        }
    }

    fn changed(&self, rel: &Path) -> Error {
        Error::Changed(self.walk.root.path().join(rel))
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

    /// A regular file of the template: `source` is where its content is (below the root),
    /// `rel` the name it has in the walk (they differ for a link).
    fn file(&mut self, source: &Path, rel: &Path, stat: &Stat) -> Result<(), Error> {
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
        let mode = (stat.st_mode & 0o777) | 0o200;
        let source = SourceFile {
            dir: Arc::clone(self.walk.root),
            rel: source.to_owned(),
            #[allow(clippy::unnecessary_cast)] // the field's type differs between platforms
            size: stat.st_size as u64,
            identity: Identity::of(stat),
        };
        let content = if render {
            Content::Bytes(self.render(&source, rel)?.into_bytes())
        } else {
            Content::Copy(source)
        };
        self.plan.file(target, mode, content);
        Ok(())
    }

    /// Reads as Python's text mode does (UTF-8, universal newlines) and renders.
    fn render(&self, source: &SourceFile, rel: &Path) -> Result<String, Error> {
        let template_error = |line: Option<usize>, message: String| Error::Template {
            file: rel.to_owned(),
            template: self.walk.shown_as.to_owned(),
            line,
            message,
        };
        if source.size > self.walk.max_output {
            return Err(Error::TemplateTooLarge {
                template: self.walk.shown_as.to_owned(),
                limit: self.walk.max_output,
            });
        }
        let read_error = Error::io("cannot read the template file", source.path());
        // The file's size and one byte more, to see the end: one allocation, no regrowth.
        let mut bytes = Vec::with_capacity(source.size as usize + 1);
        source
            .open()
            .and_then(|file| file.take(source.size + 1).read_to_end(&mut bytes))
            .map_err(read_error)?;
        if bytes.len() as u64 != source.size {
            return Err(Error::Changed(source.path()));
        }
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
        let rendered =
            Template::render_once(&text, self.walk.context, &limits).map_err(|e| match e.kind {
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
