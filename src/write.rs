//! Writing a plan: every file's content goes into a staging directory first, then directories
//! are made and files moved into place through directory handles, and on any failure exactly
//! what this run made is taken back.
//!
//! Why it is built this way:
//! - Staging first: the steps that can fail for ordinary reasons (a full disk, an unreadable
//!   template file, Ctrl-C) happen before anything appears in the destination.
//! - Handles, not paths: below the directory the checks saw (identified by device and inode),
//!   every directory is opened one component at a time without following links, so a path
//!   swapped for a link meanwhile is refused, never written through.
//! - Rollback by identity: the run records each directory and file it made (its device and
//!   inode); a rollback unlinks those files and removes those directories only when empty, so
//!   whatever another process wrote meanwhile, even into a directory this run made, survives.
//! - Existing files may be replaced as the last step (`startapp --register`'s settings edit,
//!   `upgrade --write`): each new content is staged in a temporary file in the same directory
//!   before anything else, and exchanged with the file (`RENAME_EXCHANGE`) only after every
//!   entry is in place and only if it is still the file that was read. What came out of the
//!   exchange is compared with what was read once more, so an edit landing in between is
//!   exchanged back, not lost; on any failure the plan is taken back too.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::destination::Anchor;
use crate::error::Error;
use crate::handle::{self, Identity};
use crate::name::Kind;
use crate::plan::{Content, EntryKind, Plan, DIR_MODE};

/// Where a plan goes: the target directory and the anchor the checks saw.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The absolute target directory, for messages.
    pub(crate) root: &'a Path,
    pub(crate) anchor: &'a Anchor,
    /// True when the target may exist (DIRECTORY was given).
    pub(crate) overlay: bool,
    /// For the wording of conflicts.
    pub(crate) kind: Kind,
}

/// An existing file that a write replaces as its last step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replacement<'a> {
    /// Absolute.
    pub(crate) path: &'a Path,
    /// The file as it was read: replaced only if it still is this file with these bytes.
    pub(crate) identity: Identity,
    pub(crate) original: &'a [u8],
    /// The mode the new content gets (the old file's).
    pub(crate) mode: u32,
    pub(crate) content: &'a [u8],
}

/// Writes `plan` into `target`, creating the target and its missing parents, and then
/// `replacements`, in one all-or-nothing change: either every entry ends up in place or, on
/// error or when `cancel` is raised, nothing this run made is left and nothing that existed is
/// changed. The replacements' contents are staged first, the plan placed, then each file
/// exchanged with its staged content
/// (`RENAME_EXCHANGE`), so that every original is still at hand until the last exchange is
/// done; on any failure neither the plan's files nor any replaced file are left changed.
pub(crate) fn write_with(
    plan: &Plan,
    target: Target<'_>,
    replacements: &[Replacement<'_>],
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let pending: Vec<PendingReplacement> = replacements
        .iter()
        .map(|r| PendingReplacement::stage(*r))
        .collect::<Result<_, _>>()?;
    let anchor = target.anchor;
    let anchor_fd =
        handle::open_dir(&anchor.path).map_err(Error::io("cannot open", &anchor.path))?;
    let identity =
        Identity::of_fd(&anchor_fd).map_err(Error::io("cannot inspect", &anchor.path))?;
    if identity != anchor.identity {
        return Err(Error::Changed(anchor.path.clone()));
    }
    let staging = Staging::create(anchor_fd.as_fd(), &anchor.path)?;

    let mut staged = Vec::new();
    for (index, entry) in plan.entries.iter().enumerate() {
        if let EntryKind::File { mode, content } = &entry.kind {
            let shown = target.root.join(&entry.path);
            let identity = staging
                .write_file(index, *mode, content, cancel)
                .map_err(|e| file_error(e, content, shown, cancel))?;
            staged.push(identity);
        }
    }
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::Interrupted);
    }

    let mut made = Made::default();
    let result = place(
        plan,
        target,
        anchor_fd.as_fd(),
        &staging,
        &staged,
        &mut made,
        cancel,
    )
    .and_then(|()| commit_all(&pending, cancel));
    if result.is_err() {
        made.take_back(anchor_fd.as_fd());
    }
    result
}

/// How a failure while staging a file is told: an interrupt as such; a template file that
/// cannot be read (or changed) names that file; anything else names the file being written.
fn file_error(e: io::Error, content: &Content, shown: PathBuf, cancel: &AtomicBool) -> Error {
    if cancel.load(Ordering::Relaxed) {
        return Error::Interrupted;
    }
    match (content, e.kind()) {
        (Content::Copy(source), _)
            if e.get_ref().is_some_and(|inner| inner.is::<SourceError>()) =>
        {
            let inner = e
                .into_inner()
                .and_then(|b| b.downcast::<SourceError>().ok());
            let source_error = inner.map_or_else(|| io::Error::other("unreadable"), |b| b.0);
            Error::io("cannot read the template file", source.path())(source_error)
        }
        _ => Error::io("cannot write", shown)(e),
    }
}

/// An error reading a template file, told apart from errors writing the staged copy.
#[derive(Debug)]
struct SourceError(io::Error);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SourceError {}

fn source_error(e: io::Error) -> io::Error {
    io::Error::other(SourceError(e))
}

/// Makes the directories and moves the staged files into place, in plan order (parents first).
fn place(
    plan: &Plan,
    target: Target<'_>,
    anchor_fd: BorrowedFd<'_>,
    staging: &Staging,
    staged: &[Identity],
    made: &mut Made,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let anchor = target.anchor;
    // Down from the anchor to the target, making what is missing.
    let mut root_fd = anchor_fd
        .try_clone_to_owned()
        .map_err(Error::io("cannot open", &anchor.path))?;
    let mut rel = PathBuf::new();
    for (i, name) in anchor.missing.iter().enumerate() {
        rel.push(name);
        let shown = anchor.path.join(&rel);
        let last = i + 1 == anchor.missing.len();
        let must_be_new = last && !target.overlay;
        root_fd = match make_dir(root_fd.as_fd(), name, &rel, made, must_be_new) {
            Ok(fd) => fd,
            Err(e) => return Err(e.into_error(shown)),
        };
    }
    let base = rel;

    let mut dirs = DirStack::new(root_fd);
    let mut staged = staged.iter();
    for (index, entry) in plan.entries.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        let shown = target.root.join(&entry.path);
        let (Some(parent), Some(name)) = (entry.path.parent(), entry.path.file_name()) else {
            continue;
        };
        let parent_fd = dirs
            .open(parent)
            .map_err(|e| Error::io("cannot open", target.root.join(parent))(e))?;
        match &entry.kind {
            EntryKind::Dir => {
                let fd = make_dir(parent_fd, name, &base.join(&entry.path), made, false)
                    .map_err(|e| e.into_error(shown))?;
                dirs.push(entry.path.clone(), fd);
            }
            EntryKind::File { .. } => {
                let identity = *staged.next().ok_or(Error::Interrupted)?;
                let from = index.to_string();
                move_file(staging.fd.as_fd(), &from, parent_fd, name).map_err(|e| {
                    match e.kind() {
                        io::ErrorKind::AlreadyExists => Error::Conflict {
                            path: shown,
                            article: target.kind.article(),
                            kind: target.kind.as_str(),
                        },
                        _ => Error::io("cannot move into place", shown)(e),
                    }
                })?;
                made.push(base.join(&entry.path), identity, false);
            }
        }
    }
    Ok(())
}

/// A replacement's new content, staged in a temporary file beside the file it replaces;
/// the temporary file is removed when dropped unless it was renamed into place.
struct PendingReplacement<'a> {
    replacement: Replacement<'a>,
    dir: OwnedFd,
    name: &'a OsStr,
    temp: String,
    temp_identity: Identity,
    committed: std::cell::Cell<bool>,
}

impl<'a> PendingReplacement<'a> {
    fn stage(replacement: Replacement<'a>) -> Result<Self, Error> {
        let path = replacement.path;
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Error::io("cannot replace", path)(io::Error::from(
                io::ErrorKind::InvalidInput,
            )));
        };
        let dir = handle::open_dir(parent).map_err(Error::io("cannot open", parent))?;
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).map_err(|e| Error::Random(e.to_string()))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let temp = format!(".{}.scaffold-{suffix}", name.to_string_lossy());
        let temp_path = parent.join(&temp);
        let error = |e: io::Error| Error::io("cannot write", &temp_path)(e);
        let fd = rustix::fs::openat(
            &dir,
            temp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| error(e.into()))?;
        let mut file = File::from(fd);
        let temp_identity = Identity::of_fd(&file).map_err(&error)?;
        let pending = PendingReplacement {
            replacement,
            dir,
            name,
            temp,
            temp_identity,
            committed: std::cell::Cell::new(false),
        };
        file.write_all(replacement.content).map_err(&error)?;
        let (original, stat) = handle::open_file_beneath(pending.dir.as_fd(), Path::new(name))
            .map_err(|e| match e.kind() {
                // Gone, or now a link or not a regular file.
                io::ErrorKind::NotFound | io::ErrorKind::InvalidInput => {
                    Error::Changed(path.to_owned())
                }
                _ => Error::io("cannot read", path)(e),
            })?;
        if Identity::of(&stat) != replacement.identity {
            return Err(Error::Changed(path.to_owned()));
        }
        // In this order: a chown clears the set-id bits and an ACL sets the group bits, and
        // the mode, set last, is the original's whole.
        keep_owner(&file, &stat, path)?;
        keep_attributes(&original, &file, path)?;
        rustix::fs::fchmod(&file, Mode::from_raw_mode(replacement.mode))
            .map_err(|e| error(e.into()))?;
        file.sync_all().map_err(&error)?;
        Ok(pending)
    }

    /// Exchanges the staged content with the file, if that is still the file that was read
    /// (identity and bytes). An edit landing between this check and the exchange is caught
    /// afterwards by [`PendingReplacement::came_out_unchanged`].
    fn commit(&self) -> Result<(), Error> {
        if !self.is_as_read(Path::new(self.name)) {
            return Err(Error::Changed(self.replacement.path.to_owned()));
        }
        #[cfg(test)]
        tests::before_exchange(self.replacement.path);
        self.exchange()?;
        self.committed.set(true);
        Ok(())
    }

    /// After the exchange: whether what came out (now under the temporary name) is the file
    /// that was read, with the bytes that were read. An edit made in place or a file renamed
    /// over it after the last check before the exchange would otherwise be removed by
    /// [`PendingReplacement::finish`].
    fn came_out_unchanged(&self) -> bool {
        self.is_as_read(Path::new(&self.temp))
    }

    /// Whether `name` in the directory is the file that was read, with the bytes that were read.
    fn is_as_read(&self, name: &Path) -> bool {
        handle::open_file_beneath(self.dir.as_fd(), name)
            .ok()
            .filter(|(_, stat)| Identity::of(stat) == self.replacement.identity)
            .and_then(|(mut file, _)| {
                let mut now = Vec::with_capacity(self.replacement.original.len());
                file.read_to_end(&mut now).ok()?;
                (now == self.replacement.original).then_some(())
            })
            .is_some()
    }

    fn exchange(&self) -> Result<(), Error> {
        rustix::fs::renameat_with(
            &self.dir,
            self.temp.as_str(),
            &self.dir,
            self.name,
            RenameFlags::EXCHANGE,
        )
        .map_err(|e| Error::io("cannot replace", self.replacement.path)(e.into()))
    }

    /// Puts the original back after a commit; the staged content goes with the drop.
    fn undo(&self) {
        if self.committed.get() && self.exchange().is_ok() {
            self.committed.set(false);
        }
    }

    /// After every commit: removes the original, now under the temporary name.
    fn finish(&self) {
        if self.committed.get() {
            let _ = handle::remove_if_same(
                self.dir.as_fd(),
                OsStr::new(&self.temp),
                self.replacement.identity,
                false,
            );
        }
    }
}

/// Gives the staged file the original's owner and group, as `sed -i` does, so that a run as
/// root does not hand the owner's file to root. Where that is not permitted (a user who may
/// write another user's file but not give a file away), the replacement would change hands:
/// refused rather than done in silence.
fn keep_owner(staged: &File, original: &rustix::fs::Stat, path: &Path) -> Result<(), Error> {
    let (uid, gid) = (original.st_uid, original.st_gid);
    let now = rustix::fs::fstat(staged).map_err(|e| Error::io("cannot inspect", path)(e.into()))?;
    if (now.st_uid, now.st_gid) == (uid, gid) {
        return Ok(());
    }
    let owner = rustix::fs::Uid::from_raw(uid);
    let group = rustix::fs::Gid::from_raw(gid);
    rustix::fs::fchown(staged, Some(owner), Some(group)).map_err(|e| Error::CannotKeep {
        what: format!("owner and group ({uid}:{gid})"),
        path: path.to_owned(),
        source: e.into(),
    })
}

/// Gives the staged file exactly the original's extended attributes: `system.posix_acl_access`
/// (its ACL), `user.*`, `security.*` (an SELinux label) and, as root, `trusted.*`; one the
/// new file got by itself (an ACL inherited from the directory's default) and the original
/// lacks is removed. Through rustix's fd calls (already a dependency, no path looked up again).
/// One that cannot be copied is refused, not dropped: an ACL lost would widen the group bits,
/// which then mean the mask, to the owning group.
fn keep_attributes(original: &File, staged: &File, path: &Path) -> Result<(), Error> {
    let cannot = |name: &[u8]| {
        let what = format!("extended attribute {}", String::from_utf8_lossy(name));
        move |e: io::Error| Error::CannotKeep {
            what,
            path: path.to_owned(),
            source: e,
        }
    };
    let names = match attribute_names(original) {
        Ok(names) => names,
        // A file system that stores none.
        Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => return Ok(()),
        Err(e) => return Err(cannot(b"list")(e)),
    };
    for name in &names {
        let value = attribute(original, name).map_err(cannot(name.as_bytes()))?;
        rustix::fs::fsetxattr(
            staged,
            name.as_c_str(),
            &value,
            rustix::fs::XattrFlags::empty(),
        )
        .map_err(|e| cannot(name.as_bytes())(e.into()))?;
    }
    let extra = attribute_names(staged).map_err(cannot(b"list"))?;
    for name in extra.iter().filter(|n| !names.contains(n)) {
        rustix::fs::fremovexattr(staged, name.as_c_str())
            .map_err(|e| cannot(name.as_bytes())(e.into()))?;
    }
    Ok(())
}

/// Sizes asked for before reading a list or a value that may grow meanwhile (ERANGE).
const ATTRIBUTE_ATTEMPTS: usize = 4;

fn attribute_names(file: &File) -> io::Result<Vec<std::ffi::CString>> {
    let mut list = Vec::new();
    for _ in 0..ATTRIBUTE_ATTEMPTS {
        let size = rustix::fs::flistxattr_query(file)?;
        if size == 0 {
            return Ok(Vec::new());
        }
        list.resize(size, 0);
        match rustix::fs::flistxattr(file, &mut list[..]) {
            Ok(n) => {
                list.truncate(n);
                return Ok(list
                    .split(|b| *b == 0)
                    .filter(|name| !name.is_empty())
                    .filter_map(|name| std::ffi::CString::new(name).ok())
                    .collect());
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Errno::RANGE.into())
}

fn attribute(file: &File, name: &std::ffi::CStr) -> io::Result<Vec<u8>> {
    let mut value = Vec::new();
    for _ in 0..ATTRIBUTE_ATTEMPTS {
        let size = rustix::fs::fgetxattr_query(file, name)?;
        if size == 0 {
            return Ok(Vec::new());
        }
        value.resize(size, 0);
        match rustix::fs::fgetxattr(file, name, &mut value[..]) {
            Ok(n) => {
                value.truncate(n);
                return Ok(value);
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Errno::RANGE.into())
}

/// Commits every replacement, or none: on a failure or a cancel, the ones already exchanged
/// are exchanged back. Once all are exchanged, each original that came out is compared with
/// what was read, so an edit that landed at the last moment puts every file back.
fn commit_all(pending: &[PendingReplacement], cancel: &AtomicBool) -> Result<(), Error> {
    let undo = |done: &[PendingReplacement]| {
        for p in done.iter().rev() {
            p.undo();
        }
    };
    for (i, p) in pending.iter().enumerate() {
        let result = if cancel.load(Ordering::Relaxed) {
            Err(Error::Interrupted)
        } else {
            p.commit()
        };
        if let Err(e) = result {
            undo(&pending[..i]);
            return Err(e);
        }
    }
    if let Some(changed) = pending.iter().find(|p| !p.came_out_unchanged()) {
        undo(pending);
        return Err(Error::Changed(changed.replacement.path.to_owned()));
    }
    for p in pending {
        p.finish();
    }
    Ok(())
}

impl Drop for PendingReplacement<'_> {
    fn drop(&mut self) {
        if !self.committed.get() {
            let _ = handle::remove_if_same(
                self.dir.as_fd(),
                OsStr::new(&self.temp),
                self.temp_identity,
                false,
            );
        }
    }
}

/// What [`make_dir`] found in the way.
enum MakeDirError {
    /// An existing directory, where a new one was required (the `./NAME` case).
    Exists,
    Link,
    NotADirectory,
    Io(io::Error),
}

impl MakeDirError {
    fn into_error(self, shown: PathBuf) -> Error {
        match self {
            MakeDirError::Exists => Error::TargetExists(shown),
            MakeDirError::Link => Error::SymlinkInTheWay(shown),
            MakeDirError::NotADirectory => Error::NotADirectory(shown),
            MakeDirError::Io(e) => Error::io("cannot create", shown)(e),
        }
    }
}

/// Makes the directory `name` in `parent` and opens it, recording it as made by this run; an
/// existing directory is opened and used (it is not this run's), unless `must_be_new`.
fn make_dir(
    parent: BorrowedFd<'_>,
    name: &OsStr,
    rel: &Path,
    made: &mut Made,
    must_be_new: bool,
) -> Result<OwnedFd, MakeDirError> {
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(DIR_MODE)) {
        Ok(()) => {
            let fd = handle::open_child_dir(parent, name).map_err(MakeDirError::Io)?;
            let identity = Identity::of_fd(&fd).map_err(MakeDirError::Io)?;
            made.push(rel.to_owned(), identity, true);
            Ok(fd)
        }
        Err(Errno::EXIST) => match handle::stat_child(parent, name) {
            Ok(Some(stat)) => match handle::file_type(&stat) {
                rustix::fs::FileType::Directory if must_be_new => Err(MakeDirError::Exists),
                rustix::fs::FileType::Directory => {
                    handle::open_child_dir(parent, name).map_err(MakeDirError::Io)
                }
                rustix::fs::FileType::Symlink => Err(MakeDirError::Link),
                _ => Err(MakeDirError::NotADirectory),
            },
            Ok(None) => Err(MakeDirError::Io(handle::changed())),
            Err(e) => Err(MakeDirError::Io(e)),
        },
        Err(e) => Err(MakeDirError::Io(e.into())),
    }
}

/// Renames a staged file into place without replacing anything that is there.
fn move_file(
    staging: BorrowedFd<'_>,
    from: &str,
    parent: BorrowedFd<'_>,
    name: &OsStr,
) -> io::Result<()> {
    match rustix::fs::renameat_with(staging, from, parent, name, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // File systems without RENAME_NOREPLACE: check, then rename.
        Err(Errno::INVAL) | Err(Errno::NOSYS) => {
            if handle::stat_child(parent, name)?.is_some() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            Ok(rustix::fs::renameat(staging, from, parent, name)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// The open directories from the target down to the one last used: plans are sorted, so
/// consecutive entries share most of their parents, and at most one handle per level is open.
struct DirStack {
    stack: Vec<(PathBuf, OwnedFd)>,
}

impl DirStack {
    fn new(root: OwnedFd) -> Self {
        DirStack {
            stack: vec![(PathBuf::new(), root)],
        }
    }

    /// The open directory `rel` (relative to the target), refusing links on the way.
    fn open(&mut self, rel: &Path) -> io::Result<BorrowedFd<'_>> {
        while self.stack.len() > 1 && !rel.starts_with(&self.stack[self.stack.len() - 1].0) {
            self.stack.pop();
        }
        let depth = self.stack[self.stack.len() - 1].0.components().count();
        for name in rel.components().skip(depth) {
            let (top_rel, top_fd) = &self.stack[self.stack.len() - 1];
            let fd = handle::open_child_dir(top_fd.as_fd(), name.as_os_str())?;
            let next = top_rel.join(name);
            self.stack.push((next, fd));
        }
        Ok(self.stack[self.stack.len() - 1].1.as_fd())
    }

    fn push(&mut self, rel: PathBuf, fd: OwnedFd) {
        self.stack.push((rel, fd));
    }
}

/// What this run made, relative to the anchor, in the order made.
#[derive(Default)]
struct Made {
    entries: Vec<(PathBuf, Identity, bool)>,
}

impl Made {
    fn push(&mut self, rel: PathBuf, identity: Identity, is_dir: bool) {
        self.entries.push((rel, identity, is_dir));
    }

    /// Removes what this run made, newest first: files that are still the ones it made,
    /// directories only when empty. Never follows a link; what it cannot reach it leaves.
    fn take_back(&self, anchor: BorrowedFd<'_>) {
        for (rel, identity, is_dir) in self.entries.iter().rev() {
            let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
                continue;
            };
            if let Ok(dir) = handle::open_dir_beneath(anchor, parent) {
                let _ = handle::remove_if_same(dir.as_fd(), name, *identity, *is_dir);
            }
        }
    }
}

/// A private directory beside the target holding each file's content until it is moved into
/// place, one flat file per plan entry (named by its index). Removed when dropped.
struct Staging<'a> {
    anchor: BorrowedFd<'a>,
    name: String,
    fd: OwnedFd,
    identity: Identity,
}

/// Chunks copied or written between two looks at the cancel flag.
const CHUNK: usize = 4 << 20;

impl<'a> Staging<'a> {
    fn create(anchor: BorrowedFd<'a>, anchor_path: &Path) -> Result<Self, Error> {
        let error = Error::io("cannot create a staging directory in", anchor_path);
        let mut attempts = 0;
        loop {
            let mut random = [0u8; 6];
            getrandom::fill(&mut random).map_err(|e| Error::Random(e.to_string()))?;
            let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let name = format!(".scaffold-staging-{suffix}");
            match rustix::fs::mkdirat(anchor, name.as_str(), Mode::from_raw_mode(0o700)) {
                Ok(()) => {
                    let fd = handle::open_child_dir(anchor, OsStr::new(&name)).map_err(error)?;
                    let identity = Identity::of_fd(&fd)
                        .map_err(Error::io("cannot inspect", anchor_path.join(&name)))?;
                    return Ok(Staging {
                        anchor,
                        name,
                        fd,
                        identity,
                    });
                }
                Err(Errno::EXIST) if attempts < 10 => attempts += 1,
                Err(e) => return Err(error(e.into())),
            }
        }
    }

    /// Writes one file's content into the staging directory and returns its identity.
    fn write_file(
        &self,
        index: usize,
        mode: u32,
        content: &Content,
        cancel: &AtomicBool,
    ) -> io::Result<Identity> {
        let fd = rustix::fs::openat(
            self.fd.as_fd(),
            index.to_string().as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )?;
        let mut file = File::from(fd);
        match content {
            Content::Bytes(bytes) => {
                for chunk in bytes.chunks(CHUNK) {
                    interrupted(cancel)?;
                    file.write_all(chunk)?;
                }
            }
            Content::Copy(source) => {
                let from = source.open().map_err(source_error)?;
                copy_exact(&from, &file, source.size, cancel)?;
            }
        }
        Identity::of_fd(&file)
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if let Ok(names) = handle::list_dir(self.fd.as_fd()) {
            for name in names {
                let _ = rustix::fs::unlinkat(self.fd.as_fd(), &name, AtFlags::empty());
            }
        }
        let _ = handle::remove_if_same(self.anchor, OsStr::new(&self.name), self.identity, true);
    }
}

fn interrupted(cancel: &AtomicBool) -> io::Result<()> {
    if cancel.load(Ordering::Relaxed) {
        return Err(io::Error::other("interrupted"));
    }
    Ok(())
}

/// Copies exactly `size` bytes from `from` to `to`, in chunks with a look at the cancel flag
/// between them (in the kernel with `copy_file_range` where the file systems allow it). A source
/// that turns out shorter or longer than `size` has changed since it was planned: refused.
fn copy_exact(from: &File, to: &File, size: u64, cancel: &AtomicBool) -> io::Result<()> {
    let mut left = size;
    let mut in_kernel = true;
    let mut buffer = Vec::new();
    while left > 0 {
        interrupted(cancel)?;
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(CHUNK);
        let n = if in_kernel {
            match rustix::fs::copy_file_range(from, None, to, None, want) {
                Ok(n) => n,
                Err(Errno::XDEV | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP | Errno::PERM) => {
                    in_kernel = false;
                    continue;
                }
                Err(e) => return Err(source_error(e.into())),
            }
        } else {
            buffer.resize(want.min(256 << 10), 0);
            let n = (&*from).read(&mut buffer).map_err(source_error)?;
            (&*to).write_all(&buffer[..n])?;
            n
        };
        if n == 0 {
            return Err(source_error(handle::changed()));
        }
        left -= n as u64;
    }
    let mut probe = [0u8; 1];
    if (&*from).read(&mut probe).map_err(source_error)? != 0 {
        return Err(source_error(handle::changed()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::existing_ancestor;
    use crate::plan::{PlanBuilder, SourceDir, SourceFile};
    use std::fs;
    use std::sync::Arc;

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
        plan_with(|_| {})
    }

    /// The test plan of `plan()`, with what `more` adds.
    fn plan_with(more: impl FnOnce(&mut PlanBuilder)) -> Plan {
        let mut plan = PlanBuilder::default();
        plan.file(
            "manage.py".into(),
            0o755,
            Content::Bytes(b"#!/usr/bin/env python\n".to_vec()),
        );
        plan.file(
            "pkg/a.py".into(),
            0o644,
            Content::Bytes(b"A = 1\n".to_vec()),
        );
        plan.file(
            "pkg/b.py".into(),
            0o644,
            Content::Bytes(b"B = 2\n".to_vec()),
        );
        more(&mut plan);
        plan.finish().unwrap()
    }

    fn write_to(plan: &Plan, root: &Path, overlay: bool, cancel: bool) -> Result<(), Error> {
        let anchor = existing_ancestor(root)?;
        let target = Target {
            root,
            anchor: &anchor,
            overlay,
            kind: Kind::Project,
        };
        write_with(plan, target, &[], &AtomicBool::new(cancel))
    }

    /// Writes `plan()` into `root/site` with `settings` (in `root`) replaced, as
    /// `startapp --register` does; `meddle` runs after the replacement was read.
    fn write_replacing(root: &Path, settings: &Path, meddle: impl FnOnce()) -> Result<(), Error> {
        let original = fs::read(settings).unwrap();
        let identity = Identity::of_fd(File::open(settings).unwrap()).unwrap();
        meddle();
        let site = root.join("site");
        let anchor = existing_ancestor(&site)?;
        let target = Target {
            root: &site,
            anchor: &anchor,
            overlay: true,
            kind: Kind::App,
        };
        let replacement = Replacement {
            path: settings,
            identity,
            original: &original,
            mode: 0o640,
            content: b"INSTALLED_APPS = ['site']\n",
        };
        write_with(&plan(), target, &[replacement], &AtomicBool::new(false))
    }

    #[test]
    fn a_replacement_is_renamed_into_place_with_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.py");
        fs::write(&settings, "INSTALLED_APPS = []\n").unwrap();
        let before = Identity::of_fd(File::open(&settings).unwrap()).unwrap();
        write_replacing(dir.path(), &settings, || {}).unwrap();
        assert_eq!(
            fs::read_to_string(&settings).unwrap(),
            "INSTALLED_APPS = ['site']\n"
        );
        let after = Identity::of_fd(File::open(&settings).unwrap()).unwrap();
        assert_ne!(
            before, after,
            "replaced by a rename, not rewritten in place"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&settings).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(
            listing(dir.path()),
            [
                "settings.py",
                "site",
                "site/manage.py",
                "site/pkg",
                "site/pkg/a.py",
                "site/pkg/b.py"
            ]
        );
    }

    /// Several replacements are all or nothing: when the last one's file changed after it was
    /// read, the ones already exchanged are put back, the very files they were, and no
    /// temporary file is left.
    #[test]
    fn replacements_are_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let names = ["a.py", "b.py", "c.py"];
        let mut read = Vec::new();
        for name in names {
            let path = root.join(name);
            fs::write(&path, format!("{name} = 1\n")).unwrap();
            let identity = Identity::of_fd(File::open(&path).unwrap()).unwrap();
            read.push((path, identity, fs::read(root.join(name)).unwrap()));
        }
        fs::write(root.join("c.py"), "changed meanwhile\n").unwrap();
        let replacements: Vec<Replacement> = read
            .iter()
            .map(|(path, identity, original)| Replacement {
                path,
                identity: *identity,
                original,
                mode: 0o644,
                content: b"new\n",
            })
            .collect();
        let anchor = existing_ancestor(root).unwrap();
        let target = Target {
            root,
            anchor: &anchor,
            overlay: true,
            kind: Kind::Project,
        };
        let err = write_with(
            &Plan::default(),
            target,
            &replacements,
            &AtomicBool::new(false),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Changed(_)), "{err}");
        assert_eq!(listing(root), names);
        for (path, identity, original) in &read[..2] {
            assert_eq!(&fs::read(path).unwrap(), original);
            assert_eq!(
                Identity::of_fd(File::open(path).unwrap()).unwrap(),
                *identity
            );
        }
        assert_eq!(
            fs::read_to_string(root.join("c.py")).unwrap(),
            "changed meanwhile\n"
        );

        // Unmeddled, all three are replaced and no original is left behind.
        fs::write(root.join("c.py"), "c.py = 1\n").unwrap();
        let identity = Identity::of_fd(File::open(root.join("c.py")).unwrap()).unwrap();
        let c_original = fs::read(root.join("c.py")).unwrap();
        let mut replacements = replacements;
        replacements[2].identity = identity;
        replacements[2].original = &c_original;
        let anchor = existing_ancestor(root).unwrap();
        let target = Target {
            root,
            anchor: &anchor,
            overlay: true,
            kind: Kind::Project,
        };
        write_with(
            &Plan::default(),
            target,
            &replacements,
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(listing(root), names);
        for name in names {
            assert_eq!(fs::read_to_string(root.join(name)).unwrap(), "new\n");
        }
    }

    /// A settings file that changes or disappears after it was read: nothing is written, the
    /// plan is taken back, and no temporary file is left.
    #[test]
    fn a_replacement_that_changed_meanwhile_writes_nothing() {
        for (what, meddle) in [
            (
                "changed",
                (|p: &Path| fs::write(p, "INSTALLED_APPS = ['x']\n").unwrap()) as fn(&Path),
            ),
            ("removed", |p: &Path| fs::remove_file(p).unwrap()),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let settings = dir.path().join("settings.py");
            fs::write(&settings, "INSTALLED_APPS = []\n").unwrap();
            let err = write_replacing(dir.path(), &settings, || meddle(&settings)).unwrap_err();
            assert!(matches!(err, Error::Changed(_)), "{what}: {err}");
            let left: Vec<String> = listing(dir.path());
            match what {
                "changed" => {
                    assert_eq!(left, ["settings.py"], "{what}");
                    assert_eq!(
                        fs::read_to_string(&settings).unwrap(),
                        "INSTALLED_APPS = ['x']\n"
                    );
                }
                _ => assert!(left.is_empty(), "{what}: {left:?}"),
            }
        }
    }

    type Meddle = Box<dyn FnOnce(&Path)>;

    thread_local! {
        /// What a test does to a replaced file right before it is exchanged, after the last
        /// check of its bytes.
        static BEFORE_EXCHANGE: std::cell::RefCell<Option<Meddle>> =
            const { std::cell::RefCell::new(None) };
    }

    pub(super) fn before_exchange(path: &Path) {
        if let Some(meddle) = BEFORE_EXCHANGE.with(|hook| hook.borrow_mut().take()) {
            meddle(path);
        }
    }

    /// An edit that lands after the last check, right before the exchange: in place (the same
    /// inode, other bytes) or by a rename (another inode). Either is seen in what came out of
    /// the exchange: it is exchanged back, nothing is written, and the edit is the file.
    #[test]
    fn an_edit_right_before_the_exchange_is_kept_and_nothing_written() {
        for (what, meddle) in [
            (
                "in place",
                (|p: &Path| {
                    let mut f = fs::OpenOptions::new()
                        .write(true)
                        .truncate(true)
                        .open(p)
                        .unwrap();
                    f.write_all(b"INSTALLED_APPS = ['mine']\n").unwrap();
                }) as fn(&Path),
            ),
            ("renamed over", |p: &Path| {
                let other = p.with_file_name("other.py");
                fs::write(&other, "INSTALLED_APPS = ['mine']\n").unwrap();
                fs::rename(&other, p).unwrap();
            }),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let settings = dir.path().join("settings.py");
            fs::write(&settings, "INSTALLED_APPS = []\n").unwrap();
            BEFORE_EXCHANGE.with(|hook| *hook.borrow_mut() = Some(Box::new(meddle)));
            let result = write_replacing(dir.path(), &settings, || {});
            BEFORE_EXCHANGE.with(|hook| hook.borrow_mut().take());
            let text = fs::read_to_string(&settings).unwrap();
            println!("{what}: {result:?}; settings.py is now {text:?}");
            let err = result.unwrap_err();
            assert!(matches!(err, Error::Changed(_)), "{what}: {err}");
            assert_eq!(text, "INSTALLED_APPS = ['mine']\n", "{what}");
            assert_eq!(listing(dir.path()), ["settings.py"], "{what}");
        }
    }

    /// A directory whose default ACL the replaced file does not carry (it was made before the
    /// default was set): the staged file inherits an access ACL from the directory, and it is
    /// removed, so the new file has exactly the original's attributes (none).
    #[test]
    fn an_attribute_the_original_lacks_is_not_inherited() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.py");
        fs::write(&settings, "INSTALLED_APPS = []\n").unwrap();
        // user::rwx user:1001:rwx group::r-x mask::rwx other::r-x, as the kernel stores it.
        let mut acl = 2u32.to_le_bytes().to_vec();
        for (tag, perm, id) in [
            (0x01u16, 7u16, u32::MAX),
            (0x02, 7, 1001),
            (0x04, 5, u32::MAX),
            (0x10, 7, u32::MAX),
            (0x20, 5, u32::MAX),
        ] {
            acl.extend_from_slice(&tag.to_le_bytes());
            acl.extend_from_slice(&perm.to_le_bytes());
            acl.extend_from_slice(&id.to_le_bytes());
        }
        let flags = rustix::fs::XattrFlags::empty();
        if let Err(e) = rustix::fs::setxattr(dir.path(), "system.posix_acl_default", &acl, flags) {
            eprintln!("skipped: this file system stores no POSIX ACLs ({e})");
            return;
        }
        let names = |path: &Path| attribute_names(&File::open(path).unwrap()).unwrap();
        assert!(names(&settings).is_empty());
        write_replacing(dir.path(), &settings, || {}).unwrap();
        assert_eq!(
            fs::read_to_string(&settings).unwrap(),
            "INSTALLED_APPS = ['site']\n"
        );
        let inherited = names(&dir.path().join("site/manage.py"));
        assert!(!inherited.is_empty(), "a new file there inherits the ACL");
        assert_eq!(names(&settings), [] as [std::ffi::CString; 0]);
    }

    /// A failure while placing the plan leaves the settings file as it was.
    #[test]
    fn a_failing_plan_leaves_the_replaced_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.py");
        fs::write(&settings, "INSTALLED_APPS = []\n").unwrap();
        let err = write_replacing(dir.path(), &settings, || {
            fs::create_dir_all(dir.path().join("site/pkg")).unwrap();
            fs::write(dir.path().join("site/pkg/b.py"), "theirs\n").unwrap();
        });
        assert!(err.is_err());
        assert_eq!(
            fs::read_to_string(&settings).unwrap(),
            "INSTALLED_APPS = []\n"
        );
        assert_eq!(
            listing(dir.path()),
            ["settings.py", "site", "site/pkg", "site/pkg/b.py"]
        );
    }

    #[test]
    fn writes_the_plan_and_leaves_no_staging_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new/site");
        write_to(&plan(), &root, true, false).unwrap();
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
        let err = write_to(&plan(), &dir.path().join("site"), false, true).unwrap_err();
        assert!(matches!(err, Error::Interrupted), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn a_failing_entry_midway_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let source_dir = dir.path().join("template");
        fs::create_dir(&source_dir).unwrap();
        fs::write(source_dir.join("z.bin"), "z").unwrap();
        let stat = rustix::fs::stat(source_dir.join("z.bin")).unwrap();
        let source = SourceFile {
            dir: Arc::new(SourceDir::open(&source_dir).unwrap()),
            rel: "z.bin".into(),
            size: 1,
            identity: Identity::of(&stat),
        };
        fs::remove_file(source_dir.join("z.bin")).unwrap();
        let plan = plan_with(|plan| plan.file("pkg/z.bin".into(), 0o644, Content::Copy(source)));
        let err = write_to(&plan, &dir.path().join("site"), false, false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the template file "),
            "{err}"
        );
        assert_eq!(listing(dir.path()), ["template"]);
    }

    /// A file that appears after the checks, between staging and moving into place: what was
    /// already moved is taken back, and the newcomer is not replaced.
    #[test]
    fn a_conflict_at_move_time_rolls_back_what_was_moved() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("pkg")).unwrap();
        fs::write(root.join("pkg/b.py"), "mine\n").unwrap();
        let err = write_to(&plan(), root, true, false).unwrap_err();
        assert!(
            matches!(err, Error::Conflict { ref path, .. } if path.ends_with("pkg/b.py")),
            "{err}"
        );
        assert_eq!(listing(root), ["pkg", "pkg/b.py"]);
        assert_eq!(fs::read_to_string(root.join("pkg/b.py")).unwrap(), "mine\n");
    }

    /// The rollback spares what another process put into a directory this run made.
    #[test]
    fn a_rollback_spares_files_of_others_in_directories_it_made() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let anchor_fd = handle::open_dir(root).unwrap();
        let mut made = Made::default();
        let fd = make_dir(
            anchor_fd.as_fd(),
            OsStr::new("pkg"),
            Path::new("pkg"),
            &mut made,
            false,
        )
        .ok()
        .unwrap();
        fs::write(root.join("pkg/mine.py"), "").unwrap();
        let mine = Identity::of_fd(File::open(root.join("pkg/mine.py")).unwrap()).unwrap();
        made.push("pkg/mine.py".into(), mine, false);
        fs::write(root.join("pkg/theirs.py"), "theirs\n").unwrap();
        drop(fd);
        made.take_back(anchor_fd.as_fd());
        assert_eq!(listing(root), ["pkg", "pkg/theirs.py"]);
    }

    /// The directory the checks saw replaced by another before the write: refused, and nothing
    /// written into the newcomer.
    #[test]
    fn an_anchor_replaced_after_the_checks_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        fs::create_dir(&root).unwrap();
        let anchor = existing_ancestor(&root).unwrap();
        fs::rename(&root, dir.path().join("moved")).unwrap();
        fs::create_dir(&root).unwrap();
        let target = Target {
            root: &root,
            anchor: &anchor,
            overlay: true,
            kind: Kind::Project,
        };
        let err = write_with(&plan(), target, &[], &AtomicBool::new(false)).unwrap_err();
        assert!(matches!(err, Error::Changed(ref p) if *p == root), "{err}");
        assert!(listing(&root).is_empty());
        assert!(listing(&dir.path().join("moved")).is_empty());
    }

    /// A directory of the plan that became a link is refused, not written through.
    #[test]
    fn a_link_in_place_of_a_directory_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("pkg")).unwrap();
        let err = write_to(&plan(), &root, true, false).unwrap_err();
        assert!(matches!(err, Error::SymlinkInTheWay(_)), "{err}");
        assert!(listing(&elsewhere).is_empty());
        assert_eq!(listing(&root), ["pkg"]);
    }
}
