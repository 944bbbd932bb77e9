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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Content;

    fn listing(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                out.push(path.strip_prefix(root).unwrap().display().to_string());
                if path.is_dir() && !path.is_symlink() {
                    stack.push(path);
                }
            }
        }
        out.sort();
        out
    }

    fn plan() -> Plan {
        let mut plan = Plan::default();
        plan.add_file(
            "manage.py".into(),
            0o755,
            Content::Bytes(b"#!/usr/bin/env python\n".to_vec()),
        );
        plan.add_file(
            "pkg/a.py".into(),
            0o644,
            Content::Bytes(b"A = 1\n".to_vec()),
        );
        plan.add_file(
            "pkg/b.py".into(),
            0o644,
            Content::Bytes(b"B = 2\n".to_vec()),
        );
        plan.sort();
        plan
    }

    #[test]
    fn writes_the_plan_and_leaves_no_staging_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new/site");
        write(&plan(), &root, &AtomicBool::new(false)).unwrap();
        assert_eq!(
            listing(dir.path()),
            [
                "new",
                "new/site",
                "new/site/manage.py",
                "new/site/pkg",
                "new/site/pkg/a.py",
                "new/site/pkg/b.py"
            ]
        );
        assert_eq!(
            fs::read_to_string(root.join("pkg/b.py")).unwrap(),
            "B = 2\n"
        );
    }

    #[test]
    fn a_raised_cancel_flag_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let err = write(&plan(), &dir.path().join("site"), &AtomicBool::new(true)).unwrap_err();
        assert!(matches!(err, Error::Interrupted), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn a_failing_entry_midway_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = plan();
        let missing = dir.path().join("no-such-source");
        plan.add_file(
            "pkg/z.bin".into(),
            0o644,
            Content::Copy {
                source: missing,
                size: 1,
            },
        );
        let err = write(&plan, &dir.path().join("site"), &AtomicBool::new(false)).unwrap_err();
        assert!(err.to_string().starts_with("cannot write "), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    /// A file that appears after the checks, between staging and moving into place: what was
    /// already moved is taken back, and the newcomer is not replaced.
    #[test]
    fn a_conflict_at_move_time_rolls_back_what_was_moved() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("pkg")).unwrap();
        fs::write(root.join("pkg/b.py"), "mine\n").unwrap();
        let err = write(&plan(), root, &AtomicBool::new(false)).unwrap_err();
        assert!(
            matches!(err, Error::TargetExists(ref p) if p.ends_with("pkg/b.py")),
            "{err}"
        );
        assert_eq!(listing(root), ["pkg", "pkg/b.py"]);
        assert_eq!(fs::read_to_string(root.join("pkg/b.py")).unwrap(), "mine\n");
    }
}
