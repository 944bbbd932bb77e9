//! Writing a plan: everything goes into a staging directory first and is then moved into place,
//! so a failure at any point leaves nothing behind and changes nothing that existed.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::destination::existing_ancestor;
use crate::error::Error;
use crate::plan::{Content, EntryKind, Plan, DIR_MODE};

/// Writes `plan` under `root`, creating `root` and its missing parents. Either every entry ends
/// up in place or, on error or when `cancel` is raised, nothing new is left and nothing that
/// existed is changed.
pub fn write(plan: &Plan, root: &Path, cancel: &AtomicBool) -> Result<(), Error> {
    let (anchor, missing) = existing_ancestor(root)?;
    let staging = tempfile::Builder::new()
        .prefix(".scaffold-staging-")
        .tempdir_in(&anchor)
        .map_err(Error::io("cannot create a staging directory in", &anchor))?;

    let staged_root = missing
        .iter()
        .fold(staging.path().to_owned(), |p, c| p.join(c));
    let mut builder = DirBuilder::new();
    builder.mode(DIR_MODE).recursive(true);
    builder
        .create(&staged_root)
        .map_err(Error::io("cannot create a directory in", &anchor))?;

    for entry in &plan.entries {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        let staged = staged_root.join(&entry.path);
        let shown = root.join(&entry.path);
        match &entry.kind {
            EntryKind::Dir => builder
                .create(&staged)
                .map_err(Error::io("cannot create", shown))?,
            EntryKind::File { mode, content } => {
                write_file(&staged, *mode, content).map_err(Error::io("cannot write", shown))?
            }
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::Interrupted);
    }

    let mut moved = Vec::new();
    let result = match missing.first() {
        Some(first) => move_new(&staging.path().join(first), &anchor.join(first), &mut moved),
        None => merge(staging.path(), root, &mut moved),
    };
    if result.is_err() {
        for path in moved.iter().rev() {
            let _ = remove(path);
        }
    }
    result
}

fn write_file(path: &Path, mode: u32, content: &Content) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    match content {
        Content::Bytes(bytes) => file.write_all(bytes)?,
        Content::Copy { source, .. } => {
            io::copy(&mut fs::File::open(source)?, &mut file)?;
        }
    }
    file.flush()
}

/// Moves each staged child of `staged` into `dest`: a child `dest` lacks moves whole, a directory
/// both have is merged one level down. Records what it moved, for the rollback.
fn merge(staged: &Path, dest: &Path, moved: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut children: Vec<_> = fs::read_dir(staged)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<Vec<_>>>()
        })
        .map_err(Error::io("cannot read the staging directory", staged))?;
    children.sort();
    for child in children {
        let from = staged.join(&child);
        let to = dest.join(&child);
        match fs::symlink_metadata(&to) {
            Ok(meta) if meta.is_dir() && from.is_dir() => merge(&from, &to, moved)?,
            Ok(meta) if meta.is_dir() => return Err(Error::NotADirectory(to)),
            Ok(_) if from.is_dir() => return Err(Error::NotADirectory(to)),
            Ok(_) => return Err(Error::TargetExists(to)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => move_new(&from, &to, moved)?,
            Err(e) => return Err(Error::io("cannot inspect", &to)(e)),
        }
    }
    Ok(())
}

/// Renames `from` to `to`, refusing to replace anything that appeared at `to` meanwhile.
fn move_new(from: &Path, to: &Path, moved: &mut Vec<PathBuf>) -> Result<(), Error> {
    rename_no_replace(from, to).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => Error::TargetExists(to.to_owned()),
        _ => Error::io("cannot move into place", to)(e),
    })?;
    moved.push(to.to_owned());
    Ok(())
}

fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // File systems without RENAME_NOREPLACE: check, then rename.
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            fs::rename(from, to)
        }
        Err(e) => Err(e.into()),
    }
}

fn remove(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}
