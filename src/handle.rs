//! Directory handles: opening, listing and removing below an already-open directory, one path
//! component at a time and never following a symbolic link, so that a path swapped for a link
//! while scaffold runs is refused instead of followed.
//!
//! Only the directories the user names (the destination, a template directory) are opened by
//! path, following links as any tool would; everything below them goes through these functions.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, Stat};

/// Which file an entry is: the same device and inode mean the same file, whatever its name
/// has become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
}

impl Identity {
    pub(crate) fn of(stat: &Stat) -> Self {
        #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
        Identity {
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
        }
    }

    pub(crate) fn from_parts(dev: u64, ino: u64) -> Self {
        Identity { dev, ino }
    }

    /// The identity of an open file or directory.
    pub(crate) fn of_fd(fd: impl AsFd) -> io::Result<Self> {
        Ok(Identity::of(&rustix::fs::fstat(fd)?))
    }
}

/// The kind of entry a stat describes.
pub(crate) fn file_type(stat: &Stat) -> FileType {
    FileType::from_raw_mode(stat.st_mode)
}

/// What a file type is called in an error message.
pub(crate) fn type_name(file_type: FileType) -> &'static str {
    match file_type {
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        FileType::Fifo => "a fifo",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Unknown => "of an unknown type",
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Opens the directory at `path`, following links in it: for directories the user named.
pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens the directory `name` (one path component) in `dir`; a link there is refused.
pub(crate) fn open_child_dir(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    match rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()) {
        Ok(fd) => Ok(fd),
        // O_NOFOLLOW | O_DIRECTORY on a link fails with ENOTDIR: say which it was.
        Err(rustix::io::Errno::NOTDIR) => match stat_child(dir, name) {
            Ok(Some(stat)) if file_type(&stat) == FileType::Symlink => {
                Err(link_refused(rustix::io::Errno::LOOP.into()))
            }
            _ => Err(rustix::io::Errno::NOTDIR.into()),
        },
        Err(e) => Err(link_refused(e.into())),
    }
}

/// Opens the directory `rel` below `base`, one component at a time, refusing links. The empty
/// path opens `base` itself again.
pub(crate) fn open_dir_beneath(base: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
    let mut current: Option<OwnedFd> = None;
    for component in rel.components() {
        let Component::Normal(name) = component else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a plain relative path",
            ));
        };
        let parent = current.as_ref().map_or(base, |fd| fd.as_fd());
        current = Some(open_child_dir(parent, name)?);
    }
    match current {
        Some(fd) => Ok(fd),
        None => base.try_clone_to_owned(),
    }
}

/// The status of `name` in `dir`, not following a link; None when there is no such entry.
pub(crate) fn stat_child(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<Stat>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(stat)),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The status of `rel` below `base`, refusing links on the way and not following one at the end.
pub(crate) fn stat_beneath(base: BorrowedFd<'_>, rel: &Path) -> io::Result<Stat> {
    let (parent, name) = split(rel)?;
    let dir = open_dir_beneath(base, parent)?;
    Ok(rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)?)
}

/// Opens the regular file `rel` below `base` for reading. Links on the way or at the end are
/// refused, and so is anything but a regular file: the type is checked before opening (a fifo
/// or a device is never opened) and again on the open handle. The open is non-blocking, so
/// that a fifo swapped in between cannot hang it.
pub(crate) fn open_file_beneath(base: BorrowedFd<'_>, rel: &Path) -> io::Result<(File, Stat)> {
    let (parent, name) = split(rel)?;
    let dir = open_dir_beneath(base, parent)?;
    let before = rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    require_regular(&before)?;
    let fd = rustix::fs::openat(
        &dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| link_refused(e.into()))?;
    let stat = rustix::fs::fstat(&fd)?;
    require_regular(&stat)?;
    if Identity::of(&stat) != Identity::of(&before) {
        return Err(changed());
    }
    Ok((File::from(fd), stat))
}

/// Reads the regular file `rel` below `base` whole, as [`open_file_beneath`] opens it (no
/// link, no fifo or device, non-blocking), refusing one of more than `limit` bytes: by the size
/// of the open file, and again by what the read returns, so that a file growing meanwhile is
/// not read past the limit.
pub(crate) fn read_beneath(
    base: BorrowedFd<'_>,
    rel: &Path,
    limit: u64,
) -> io::Result<(Vec<u8>, Stat)> {
    use std::io::Read;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it is larger than {} KiB, more than scaffold reads here",
                limit >> 10
            ),
        )
    };
    let (file, stat) = open_file_beneath(base, rel)?;
    if stat.st_size as u64 > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok((bytes, stat))
}

/// Opens the directory at `path` following links in its parent (the part the user named) but
/// not a link at its last component, which is refused as [`open_child_dir`] refuses it.
pub(crate) fn open_dir_not_linked(path: &Path) -> io::Result<OwnedFd> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return open_dir(path);
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    open_child_dir(open_dir(parent)?.as_fd(), name)
}

/// Whether `stat` belongs to the user running scaffold or to root: what scaffold finds without
/// being told (a `.venv` above the target) counts only then, as git refuses a repository of
/// dubious ownership.
pub(crate) fn owned_by_user_or_root(stat: &Stat) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    stat.st_uid == me || stat.st_uid == 0
}

fn require_regular(stat: &Stat) -> io::Result<()> {
    match file_type(stat) {
        FileType::RegularFile => Ok(()),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", type_name(other)),
        )),
    }
}

/// Whether the file at `path`, of mode `mode`, is one its owner lets scaffold replace: its
/// owner-write bit is set (root passes access(2) on any file, but the bit still says
/// "read-only") and the kernel lets this user write it.
pub(crate) fn writable(path: &Path, mode: u32) -> bool {
    mode & 0o200 != 0 && rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}

/// The error for an entry that is not what it was a moment ago.
pub(crate) fn changed() -> io::Error {
    io::Error::other("it changed while scaffold was running")
}

/// ELOOP from an `O_NOFOLLOW` open means a link was found where a file or directory was expected.
fn link_refused(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a symbolic link, which scaffold does not follow here",
        )
    } else {
        e
    }
}

fn split(rel: &Path) -> io::Result<(&Path, &OsStr)> {
    match (rel.parent(), rel.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain relative path",
        )),
    }
}

/// The names in the open directory `dir`, sorted, without `.` and `..`.
pub(crate) fn list_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Removes `name` from `dir` if it is still the entry `identity` names: a file is unlinked, a
/// directory removed only when empty. Anything else (another file put there, a link, a
/// directory someone else wrote into) is left alone.
pub(crate) fn remove_if_same(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    identity: Identity,
    is_dir: bool,
) -> io::Result<()> {
    match stat_child(dir, name)? {
        Some(stat) if Identity::of(&stat) == identity => {
            let flags = if is_dir {
                AtFlags::REMOVEDIR
            } else {
                AtFlags::empty()
            };
            Ok(rustix::fs::unlinkat(dir, name, flags)?)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_below_the_base_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/f.txt"), "inside").unwrap();
        fs::write(root.join("outside.txt"), "outside").unwrap();
        symlink(root.join("a/b"), root.join("a/link-dir")).unwrap();
        symlink(root.join("outside.txt"), root.join("a/link-file")).unwrap();
        let base = open_dir(&root.join("a")).unwrap();

        let (mut file, _) = open_file_beneath(base.as_fd(), Path::new("b/f.txt")).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "inside");

        for rel in ["link-dir/f.txt", "link-file"] {
            let err = open_file_beneath(base.as_fd(), Path::new(rel)).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{rel}: {err}");
        }
        assert!(open_dir_beneath(base.as_fd(), Path::new("link-dir")).is_err());
        assert!(open_dir_beneath(base.as_fd(), Path::new("../a")).is_err());
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let base = open_dir(dir.path()).unwrap();
        let err = open_file_beneath(base.as_fd(), Path::new("fifo")).unwrap_err();
        assert!(err.to_string().contains("a fifo"), "{err}");
    }

    #[test]
    fn removal_spares_what_is_not_the_same_entry() {
        let dir = tempfile::tempdir().unwrap();
        let base = open_dir(dir.path()).unwrap();
        fs::write(dir.path().join("f"), "mine").unwrap();
        let mine = Identity::of(&stat_child(base.as_fd(), OsStr::new("f")).unwrap().unwrap());
        // Kept alive under another name, so that its inode cannot be reused by the newcomer.
        fs::rename(dir.path().join("f"), dir.path().join("mine")).unwrap();
        fs::write(dir.path().join("other"), "keep me").unwrap();
        fs::rename(dir.path().join("other"), dir.path().join("f")).unwrap();
        remove_if_same(base.as_fd(), OsStr::new("f"), mine, false).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("f")).unwrap(), "keep me");

        fs::create_dir(dir.path().join("d")).unwrap();
        fs::write(dir.path().join("d/theirs"), "").unwrap();
        let d = Identity::of(&stat_child(base.as_fd(), OsStr::new("d")).unwrap().unwrap());
        assert!(remove_if_same(base.as_fd(), OsStr::new("d"), d, true).is_err());
        assert!(dir.path().join("d/theirs").exists());
    }
}
