//! Unpacking a template archive (.zip, .tar, .tar.gz, .tar.bz2, .tar.xz) into a private
//! workspace, refusing anything hostile before it reaches the disk: absolute paths, `..`,
//! symbolic and hard links, device files, and more unpacked bytes than the limit.

use crate::interrupt::{self, Checked};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Archive families, told apart by the file name as `django.utils.archive` does; the
/// compression of a tar is then read from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    Tar,
}

/// The archive kind a file name stands for, if any.
pub fn kind_from_name(name: &str) -> Option<ArchiveKind> {
    let lower = name.to_ascii_lowercase();
    const TAR: &[&str] = &[
        ".tar", ".tar.gz", ".tgz", ".taz", ".tar.bz2", ".tbz2", ".tbz", ".tz2", ".tar.xz", ".txz",
    ];
    if lower.ends_with(".zip") {
        Some(ArchiveKind::Zip)
    } else if TAR.iter().any(|ext| lower.ends_with(ext)) {
        Some(ArchiveKind::Tar)
    } else {
        None
    }
}

/// Why an archive was not unpacked.
#[derive(Debug)]
pub enum UnpackError {
    /// Hostile or unsupported content; the message says which entry and why.
    Refused(String),
    /// More than the limit of bytes once unpacked.
    TooLarge { limit: u64 },
    /// Not a readable archive of its kind.
    Corrupt(String),
    /// Writing the workspace failed.
    Io(io::Error),
    /// An interrupt arrived (see `crate::interrupt`).
    Interrupted,
}

impl From<io::Error> for UnpackError {
    fn from(e: io::Error) -> Self {
        if interrupt::is_interruption(&e) {
            return UnpackError::Interrupted;
        }
        UnpackError::Io(e)
    }
}

/// Checks an entry name and turns it into a relative path: refuses absolute paths, `..`,
/// backslashes and NUL bytes; drops `.` components. Returns an empty path for the archive's
/// root (`./`).
pub fn entry_path(name: &str) -> Result<PathBuf, String> {
    if name.contains('\0') {
        return Err(format!(
            "entry '{}' has a NUL byte in its name",
            name.escape_debug()
        ));
    }
    if name.contains('\\') {
        return Err(format!("entry '{name}' has a backslash in its name"));
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("entry '{name}' has an absolute path"));
            }
            Component::ParentDir => {
                return Err(format!("entry '{name}' leaves the archive with '..'"))
            }
        }
    }
    Ok(out)
}

/// The first path component of a raw entry name, as `split_leading_dir` sees it.
fn leading_component(name: &str) -> &str {
    let trimmed = name.trim_start_matches('/');
    trimmed.split('/').next().unwrap_or("")
}

/// Tracks what has been unpacked: the byte budget and the shared leading directory.
struct Unpacker<'a> {
    dest: &'a Path,
    remaining: u64,
    limit: u64,
    /// None before the first entry; Some(None) once entries disagree.
    leading: Option<Option<String>>,
}

impl Unpacker<'_> {
    fn note_leading(&mut self, name: &str) {
        let first = leading_component(name).to_owned();
        self.leading = match self.leading.take() {
            None => Some(Some(first)),
            Some(Some(prev)) if prev == first => Some(Some(prev)),
            Some(_) => Some(None),
        };
    }

    fn dir(&mut self, name: &str) -> Result<(), UnpackError> {
        let rel = entry_path(name).map_err(UnpackError::Refused)?;
        self.note_leading(name);
        fs::create_dir_all(self.dest.join(rel))?;
        Ok(())
    }

    /// Writes one file, at most the remaining budget, with Django's mode rule: the archived
    /// mode if it is readable by others, else the default (0o666 before the umask). The owner
    /// can always read and write it in the workspace.
    fn file(
        &mut self,
        name: &str,
        mode: Option<u32>,
        reader: &mut dyn Read,
    ) -> Result<(), UnpackError> {
        if interrupt::raised() {
            return Err(UnpackError::Interrupted);
        }
        let rel = entry_path(name).map_err(UnpackError::Refused)?;
        if rel.as_os_str().is_empty() {
            return Err(UnpackError::Refused(format!(
                "entry '{name}' is a file without a name"
            )));
        }
        self.note_leading(name);
        let path = self.dest.join(&rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut out = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(UnpackError::Refused(format!(
                    "entry '{name}' appears twice in the archive"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let written = io::copy(
            &mut Checked(reader).take(self.remaining.saturating_add(1)),
            &mut out,
        )?;
        if written > self.remaining {
            return Err(UnpackError::TooLarge { limit: self.limit });
        }
        self.remaining -= written;
        out.flush()?;
        let mode = match mode {
            Some(m) if m & 0o004 != 0 => m & 0o777,
            _ => 0o666,
        };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode | 0o600))?;
        Ok(())
    }

    /// The unpacked template's root: `dest`, or its one shared leading directory.
    fn root(self) -> PathBuf {
        match self.leading {
            Some(Some(first))
                if !first.is_empty() && first != "." && self.dest.join(&first).is_dir() =>
            {
                self.dest.join(first)
            }
            _ => self.dest.to_owned(),
        }
    }
}

/// Unpacks the archive at `archive` into the empty directory `dest` and returns the template
/// root (without the shared leading directory, if there is one).
pub fn unpack(
    archive: &Path,
    kind: ArchiveKind,
    dest: &Path,
    limit: u64,
) -> Result<PathBuf, UnpackError> {
    let file = File::open(archive)?;
    match kind {
        ArchiveKind::Zip => unpack_zip(file, dest, limit),
        ArchiveKind::Tar => unpack_tar(BufReader::new(file), dest, limit),
    }
}

pub fn unpack_zip<R: Read + Seek>(
    reader: R,
    dest: &Path,
    limit: u64,
) -> Result<PathBuf, UnpackError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| UnpackError::Corrupt(e.to_string()))?;
    let mut unpacker = Unpacker {
        dest,
        remaining: limit,
        limit,
        leading: None,
    };
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| UnpackError::Corrupt(e.to_string()))?;
        let name = entry
            .name()
            .map_err(|e| UnpackError::Corrupt(e.to_string()))?
            .into_owned();
        if entry.is_symlink() {
            return Err(UnpackError::Refused(format!(
                "entry '{name}' is a symbolic link"
            )));
        }
        if name.ends_with('/') {
            unpacker.dir(&name)?;
            continue;
        }
        let mode = (entry.external_attributes() >> 16) & 0o7777;
        unpacker
            .file(&name, Some(mode), &mut entry)
            .map_err(|e| match e {
                UnpackError::Io(io)
                    if io.kind() == io::ErrorKind::InvalidData
                        || io.kind() == io::ErrorKind::Other =>
                {
                    UnpackError::Corrupt(format!("entry '{name}': {io}"))
                }
                other => other,
            })?;
    }
    Ok(unpacker.root())
}

/// Unpacks a tar, plain or compressed with gzip, bzip2 or xz (told apart by magic bytes).
pub fn unpack_tar<R: BufRead>(
    mut reader: R,
    dest: &Path,
    limit: u64,
) -> Result<PathBuf, UnpackError> {
    let head = reader.fill_buf()?.to_vec();
    let stream: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else if head.starts_with(b"BZh") {
        Box::new(bzip2::bufread::MultiBzDecoder::new(reader))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Box::new(xz2::bufread::XzDecoder::new_multi_decoder(reader))
    } else {
        Box::new(reader)
    };
    let mut archive = tar::Archive::new(stream);
    let mut unpacker = Unpacker {
        dest,
        remaining: limit,
        limit,
        leading: None,
    };
    let corrupt = |e: io::Error| UnpackError::Corrupt(e.to_string());
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let name = String::from_utf8(entry.path_bytes().into_owned()).map_err(|e| {
            UnpackError::Refused(format!(
                "entry '{}' has a name that is not UTF-8",
                e.into_bytes().escape_ascii()
            ))
        })?;
        use tar::EntryType as T;
        match entry.header().entry_type() {
            T::Regular | T::Continuous => {
                let mode = entry.header().mode().ok();
                unpacker
                    .file(&name, mode, &mut entry)
                    .map_err(|e| match e {
                        UnpackError::Io(io) if io.kind() != io::ErrorKind::StorageFull => {
                            UnpackError::Corrupt(format!("entry '{name}': {io}"))
                        }
                        other => other,
                    })?
            }
            T::Directory => unpacker.dir(&name)?,
            T::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                return Err(UnpackError::Refused(format!(
                    "entry '{name}' is a symbolic link (to '{target}')"
                )));
            }
            T::Link => {
                return Err(UnpackError::Refused(format!(
                    "entry '{name}' is a hard link"
                )))
            }
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => {}
            other => {
                return Err(UnpackError::Refused(format!(
                    "entry '{name}' is not a file or directory ({other:?})"
                )));
            }
        }
    }
    Ok(unpacker.root())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert_eq!(entry_path("./a/b.py").unwrap(), PathBuf::from("a/b.py"));
        assert_eq!(entry_path("./").unwrap(), PathBuf::new());
        for bad in ["/etc/passwd", "a/../../x", "..", "a\\..\\x", "a\0b"] {
            assert!(entry_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_from_names() {
        assert_eq!(kind_from_name("T.ZIP"), Some(ArchiveKind::Zip));
        assert_eq!(kind_from_name("t.tar.gz"), Some(ArchiveKind::Tar));
        assert_eq!(kind_from_name("t.txz"), Some(ArchiveKind::Tar));
        assert_eq!(kind_from_name("t.gz"), None);
        assert_eq!(kind_from_name("t"), None);
    }

    #[test]
    fn tar_bomb_is_cut_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        let data = vec![0u8; 10_000];
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "t/big.bin", &data[..])
            .unwrap();
        let bytes = builder.into_inner().unwrap();
        let err = unpack_tar(&bytes[..], dir.path(), 9_999).unwrap_err();
        assert!(
            matches!(err, UnpackError::TooLarge { limit: 9_999 }),
            "{err:?}"
        );
        let root = unpack_tar(&bytes[..], &dir.path().join("ok"), 10_000).unwrap();
        assert_eq!(root, dir.path().join("ok/t"));
    }
}
