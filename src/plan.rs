//! The plan: every directory and file a command will create, as plain data, before anything is written.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::handle::{self, Identity};

/// What a command will create under its target directory, as `PlanBuilder::finish` makes it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Directories and files, parents before children, paths relative to the target directory.
    pub entries: Vec<Entry>,
}

/// One directory or file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the target directory, never absolute, never with `..`.
    pub path: PathBuf,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A directory, or a file with its mode and content.
pub enum EntryKind {
    /// A directory, made with mode 0755 less the umask.
    Dir,
    /// `mode` holds the permission bits before the umask, as the template's file has them.
    File {
        /// 0644 or 0755 (less the umask when written).
        mode: u32,
        /// What the file holds.
        content: Content,
    },
}

/// A file's bytes: rendered in memory, or copied as they are from a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Rendered, in memory.
    Bytes(Vec<u8>),
    /// Copied byte for byte when written, so that large files are never held in memory.
    Copy(SourceFile),
}

impl Content {
    pub(crate) fn size(&self) -> u64 {
        match self {
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::Copy(source) => source.size,
        }
    }
}

/// A template directory, held open for as long as the plan's copies point into it.
#[derive(Debug)]
pub(crate) struct SourceDir {
    fd: OwnedFd,
    /// Where it was when opened, for messages.
    path: PathBuf,
}

impl SourceDir {
    /// Opens the directory at `path` (following links in the path itself).
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        Ok(SourceDir {
            fd: handle::open_dir(path)?,
            path: path.to_owned(),
        })
    }

    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// A file of a template, copied as it is when the plan is written. It is found again through
/// the held template directory, one component at a time without following links, and must
/// still be the very file (same device and inode) the walk saw: a file swapped for a link or
/// for another file in between is refused, never followed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub(crate) dir: Arc<SourceDir>,
    /// Relative to `dir`; no component is a link.
    pub(crate) rel: PathBuf,
    pub(crate) size: u64,
    pub(crate) identity: Identity,
}

impl SourceFile {
    /// Opens the file for reading, checking that it is still the file the walk saw.
    pub(crate) fn open(&self) -> io::Result<File> {
        let (file, stat) = handle::open_file_beneath(self.dir.fd(), &self.rel)?;
        if Identity::of(&stat) != self.identity || stat.st_size as u64 != self.size {
            return Err(handle::changed());
        }
        Ok(file)
    }

    /// Where the file is, for messages.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path.join(&self.rel)
    }
}

impl PartialEq for SourceFile {
    fn eq(&self, other: &Self) -> bool {
        self.rel == other.rel && self.size == other.size && self.identity == other.identity
    }
}

impl Eq for SourceFile {}

/// Permission bits of a created directory before the umask, as `os.makedirs` uses.
pub(crate) const DIR_MODE: u32 = 0o777;

/// Collects a plan's entries in any order; [`PlanBuilder::finish`] puts them in the plan's
/// order and checks them. Both the built-in templates and custom ones build their plans here.
#[derive(Debug, Default)]
pub(crate) struct PlanBuilder {
    entries: Vec<Entry>,
}

impl PlanBuilder {
    /// Adds a directory (its parents need not be added: `finish` adds the missing ones).
    pub(crate) fn dir(&mut self, path: PathBuf) {
        self.entries.push(Entry {
            path,
            kind: EntryKind::Dir,
        });
    }

    /// Adds a file (its parents need not be added: `finish` adds the missing ones).
    pub(crate) fn file(&mut self, path: PathBuf, mode: u32, content: Content) {
        self.entries.push(Entry {
            path,
            kind: EntryKind::File { mode, content },
        });
    }

    /// The plan: entries sorted by path, so that reports and snapshots do not depend on the
    /// order a template was walked in (a parent sorts before its children); each parent
    /// directory that no entry names added; a directory added twice kept once (Django merges
    /// `project_name/` and `mysite/`). Two entries with one path, unless both are directories,
    /// are an error: Django would refuse to write the second file too.
    ///
    /// Works on the one vector in place, rather than with a set or a second vector, so that each
    /// entry is held once in memory.
    pub(crate) fn finish(mut self) -> Result<Plan, Error> {
        let by_path = |a: &Entry, b: &Entry| a.path.cmp(&b.path);
        self.entries.sort_by(by_path);
        let missing = missing_parents(&self.entries);
        if !missing.is_empty() {
            self.entries.extend(missing.into_iter().map(|path| Entry {
                path,
                kind: EntryKind::Dir,
            }));
            self.entries.sort_by(by_path);
        }
        let both_dirs =
            |a: &Entry, b: &Entry| matches!((&a.kind, &b.kind), (EntryKind::Dir, EntryKind::Dir));
        if let Some(pair) = self
            .entries
            .windows(2)
            .find(|pair| pair[0].path == pair[1].path && !both_dirs(&pair[0], &pair[1]))
        {
            return Err(Error::TemplateCollision(pair[1].path.clone()));
        }
        self.entries
            .dedup_by(|later, earlier| later.path == earlier.path);
        Ok(Plan {
            entries: self.entries,
        })
    }
}

/// The parent directories that no entry of `entries` (sorted by path) names, each once,
/// outermost first. One pass: a directory's subtree follows it in the sorted order, so the
/// directories holding the current entry are a stack.
fn missing_parents(entries: &[Entry]) -> Vec<PathBuf> {
    let mut open: Vec<&Path> = Vec::new();
    let mut missing = Vec::new();
    for entry in entries {
        let parent = entry.path.parent().unwrap_or(Path::new(""));
        while open.last().is_some_and(|dir| !parent.starts_with(dir)) {
            open.pop();
        }
        let known = open.last().copied().unwrap_or(Path::new(""));
        let mut absent: Vec<&Path> = parent
            .ancestors()
            .take_while(|dir| *dir != known && !dir.as_os_str().is_empty())
            .collect();
        absent.reverse();
        for dir in absent {
            missing.push(dir.to_owned());
            open.push(dir);
        }
        if matches!(entry.kind, EntryKind::Dir) {
            open.push(&entry.path);
        }
    }
    missing
}

impl Plan {
    pub(crate) fn files(&self) -> impl Iterator<Item = (&Path, u32, &Content)> {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::File { mode, content } => Some((e.path.as_path(), *mode, content)),
            EntryKind::Dir => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(plan: &mut PlanBuilder, path: &str) {
        plan.file(path.into(), 0o644, Content::Bytes(vec![]));
    }

    fn paths(plan: &Plan) -> Vec<&str> {
        plan.entries
            .iter()
            .map(|e| e.path.to_str().unwrap())
            .collect()
    }

    #[test]
    fn files_bring_their_parents_once() {
        let mut plan = PlanBuilder::default();
        file(&mut plan, "top.py");
        file(&mut plan, "a/b/d.py");
        file(&mut plan, "a/b/c.py");
        file(&mut plan, "a/x/y/z.py");
        let plan = plan.finish().unwrap();
        assert_eq!(
            paths(&plan),
            [
                "a",
                "a/b",
                "a/b/c.py",
                "a/b/d.py",
                "a/x",
                "a/x/y",
                "a/x/y/z.py",
                "top.py"
            ]
        );
        assert_eq!(plan.files().count(), 4);
    }

    #[test]
    fn directories_named_twice_merge_and_files_named_twice_collide() {
        let mut plan = PlanBuilder::default();
        plan.dir("site".into());
        file(&mut plan, "site/a.py");
        plan.dir("site".into());
        plan.dir("site/sub".into());
        let plan = plan.finish().unwrap();
        assert_eq!(paths(&plan), ["site", "site/a.py", "site/sub"]);

        let mut plan = PlanBuilder::default();
        plan.dir("site".into());
        file(&mut plan, "site/a.py");
        file(&mut plan, "site/a.py");
        let err = plan.finish().unwrap_err();
        assert!(matches!(&err, Error::TemplateCollision(p) if p == Path::new("site/a.py")));

        let mut plan = PlanBuilder::default();
        file(&mut plan, "a");
        plan.dir("a".into());
        assert!(plan.finish().is_err());
    }
}
