//! The plan: every directory and file a command will create, as plain data, before anything is written.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::handle::{self, Identity};

/// What a command will create under its target directory.
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
pub enum EntryKind {
    Dir,
    /// `mode` holds the permission bits before the umask, as the template's file has them.
    File {
        mode: u32,
        content: Content,
    },
}

/// A file's bytes: rendered in memory, or copied as they are from a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Copied byte for byte when written, so that large files are never held in memory.
    Copy(SourceFile),
}

impl Content {
    pub fn size(&self) -> u64 {
        match self {
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::Copy(source) => source.size,
        }
    }
}

/// A template directory, held open for as long as the plan's copies point into it.
#[derive(Debug)]
pub struct SourceDir {
    fd: OwnedFd,
    /// Where it was when opened, for messages.
    path: PathBuf,
}

impl SourceDir {
    /// Opens the directory at `path` (following links in the path itself).
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(SourceDir {
            fd: handle::open_dir(path)?,
            path: path.to_owned(),
        })
    }

    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A file of a template, copied as it is when the plan is written. It is found again through
/// the held template directory, one component at a time without following links, and must
/// still be the very file (same device and inode) the walk saw: a file swapped for a link or
/// for another file in between is refused, never followed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub dir: Arc<SourceDir>,
    /// Relative to `dir`; no component is a link.
    pub rel: PathBuf,
    pub size: u64,
    pub identity: Identity,
}

impl SourceFile {
    /// Opens the file for reading, checking that it is still the file the walk saw.
    pub fn open(&self) -> io::Result<File> {
        let (file, stat) = handle::open_file_beneath(self.dir.fd(), &self.rel)?;
        if Identity::of(&stat) != self.identity || stat.st_size as u64 != self.size {
            return Err(handle::changed());
        }
        Ok(file)
    }

    /// Where the file is, for messages.
    pub fn path(&self) -> PathBuf {
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
pub const DIR_MODE: u32 = 0o777;

impl Plan {
    /// Adds a file, and before it each parent directory the plan does not hold yet.
    pub fn add_file(&mut self, path: PathBuf, mode: u32, content: Content) {
        if let Some(parent) = path.parent() {
            self.add_dir(parent);
        }
        self.entries.push(Entry {
            path,
            kind: EntryKind::File { mode, content },
        });
    }

    /// Adds a directory and its missing parents; the empty path (the target itself) is implied.
    /// Looks for each parent with a linear scan: meant for small plans such as the built-in
    /// templates; large plans push their entries and sort.
    pub fn add_dir(&mut self, path: &Path) {
        if path.as_os_str().is_empty() || self.contains(path) {
            return;
        }
        if let Some(parent) = path.parent() {
            self.add_dir(parent);
        }
        self.entries.push(Entry {
            path: path.to_owned(),
            kind: EntryKind::Dir,
        });
    }

    fn contains(&self, path: &Path) -> bool {
        self.entries.iter().any(|e| e.path == path)
    }

    /// Puts entries in a stable order (by path), so reports and snapshots do not depend on the
    /// order a template was walked in. A parent sorts before its children.
    pub fn sort(&mut self) {
        self.entries.sort_by(|a, b| a.path.cmp(&b.path));
    }

    pub fn files(&self) -> impl Iterator<Item = (&Path, u32, &Content)> {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::File { mode, content } => Some((e.path.as_path(), *mode, content)),
            EntryKind::Dir => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_bring_their_parents_once() {
        let mut plan = Plan::default();
        plan.add_file("a/b/c.py".into(), 0o644, Content::Bytes(vec![]));
        plan.add_file("a/b/d.py".into(), 0o644, Content::Bytes(vec![]));
        plan.add_file("top.py".into(), 0o755, Content::Bytes(b"x".to_vec()));
        let paths: Vec<_> = plan
            .entries
            .iter()
            .map(|e| e.path.to_str().unwrap())
            .collect();
        assert_eq!(paths, ["a", "a/b", "a/b/c.py", "a/b/d.py", "top.py"]);
        assert_eq!(plan.files().count(), 3);
    }
}
