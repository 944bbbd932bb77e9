//! Unpacking a template archive (.zip, .tar, .tar.gz, .tar.bz2, .tar.xz) into a private
//! workspace, refusing anything hostile before it reaches the disk: absolute paths, `..`,
//! symbolic and hard links, device files, duplicate entries, and more unpacked bytes than the
//! limit.
//!
//! Every byte counts: a tar's decompressed stream is counted below the tar reader as a whole
//! (headers, long names, pax records and the data skipped between entries, not only the files'
//! contents), and the tar is read raw, so that long names and pax records are read here, each
//! bounded, instead of being gathered whole in memory by the tar crate.

use crate::interrupt::{self, Checked};
use std::cell::Cell;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// The longest entry name accepted, in bytes (Linux's PATH_MAX).
pub(crate) const MAX_NAME: usize = 4096;
/// The largest pax extended header accepted, in bytes.
const MAX_PAX: u64 = 64 * 1024;
/// The most entries an archive may have.
pub(crate) const MAX_ENTRIES: usize = 1_000_000;

/// An entry name as an error message quotes it: control characters escaped, and at most a
/// short prefix of a long one.
pub(crate) fn shown(name: &str) -> String {
    const KEEP: usize = 80;
    let escaped: String = name.chars().flat_map(char::escape_debug).collect();
    match escaped.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}... ({} bytes)", &escaped[..cut], name.len()),
        None => escaped,
    }
}

/// Archive families, told apart by the file name as `django.utils.archive` does; the
/// compression of a tar is then read from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    Zip,
    Tar,
}

/// The archive kind a file name stands for, if any.
pub(crate) fn kind_from_name(name: &str) -> Option<ArchiveKind> {
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
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
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
            shown(name)
        ));
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "entry '{}' has a name longer than {MAX_NAME} bytes",
            shown(name)
        ));
    }
    if name.contains('\\') {
        return Err(format!(
            "entry '{}' has a backslash in its name",
            shown(name)
        ));
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("entry '{}' has an absolute path", shown(name)));
            }
            Component::ParentDir => {
                return Err(format!(
                    "entry '{}' leaves the archive with '..'",
                    shown(name)
                ))
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
                "entry '{}' is a file without a name",
                shown(name)
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
                    "entry '{}' appears twice in the archive",
                    shown(name)
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
pub(crate) fn unpack(
    archive: &Path,
    kind: ArchiveKind,
    dest: &Path,
    limit: u64,
) -> Result<PathBuf, UnpackError> {
    let file = File::open(archive)?;
    match kind {
        ArchiveKind::Zip => {
            // A zip larger than the limit cannot unpack to less (short of padding), and its
            // central directory, which the zip reader holds in memory, is bounded with it.
            if file.metadata()?.len() > limit {
                return Err(UnpackError::TooLarge { limit });
            }
            unpack_zip(file, dest, limit)
        }
        ArchiveKind::Tar => unpack_tar(BufReader::new(file), dest, limit),
    }
}

/// Unpacks a zip archive into `dest`, as [`unpack_tar`] does a tar archive: with the same refusals and limit.
pub fn unpack_zip<R: Read + Seek>(
    reader: R,
    dest: &Path,
    limit: u64,
) -> Result<PathBuf, UnpackError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| UnpackError::Corrupt(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(UnpackError::Refused(format!(
            "it has more than {MAX_ENTRIES} entries"
        )));
    }
    if zip.has_duplicate_names() {
        // The zip reader keeps one entry per name (the last); find the doubled name in the
        // central directory itself, to name it.
        let start = zip.central_directory_start();
        let twice = duplicate_name(zip.into_inner(), start).unwrap_or_default();
        return Err(UnpackError::Refused(match twice {
            Some(name) => format!("entry '{}' appears twice in the archive", shown(&name)),
            None => "two entries have the same name".into(),
        }));
    }
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
                "entry '{}' is a symbolic link",
                shown(&name)
            )));
        }
        // The file type bits of a Unix mode, where the archive has one: only regular files and
        // directories are unpacked, never a device, a fifo or a socket written as a plain file.
        if let Some(unix_mode) = entry.unix_mode() {
            let file_type = unix_mode & 0o170_000;
            if !matches!(file_type, 0 | 0o100_000 | 0o040_000) {
                return Err(UnpackError::Refused(format!(
                    "entry '{}' is not a file or directory (mode {unix_mode:o})",
                    shown(&name)
                )));
            }
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
                    UnpackError::Corrupt(format!("entry '{}': {io}", shown(&name)))
                }
                other => other,
            })?;
    }
    Ok(unpacker.root())
}

/// The first name that a zip's central directory (starting at `start`) holds twice.
fn duplicate_name<R: Read + Seek>(mut reader: R, start: u64) -> io::Result<Option<String>> {
    const SIGNATURE: u32 = 0x0201_4b50;
    reader.seek(io::SeekFrom::Start(start))?;
    let mut reader = BufReader::new(reader);
    let mut seen = std::collections::HashSet::new();
    let mut fixed = [0u8; 46];
    loop {
        if reader.read_exact(&mut fixed).is_err()
            || u32::from_le_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]) != SIGNATURE
        {
            return Ok(None);
        }
        let field = |at: usize| u64::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
        let (name_len, extra_len, comment_len) = (field(28), field(30), field(32));
        let mut name = Vec::new();
        (&mut reader).take(name_len).read_to_end(&mut name)?;
        io::copy(
            &mut (&mut reader).take(extra_len + comment_len),
            &mut io::sink(),
        )?;
        if !seen.insert(name.clone()) {
            return Ok(Some(String::from_utf8_lossy(&name).into_owned()));
        }
    }
}

/// Counts every byte of the decompressed stream and fails once there are more than `limit`.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let count = self.count.get().saturating_add(n as u64);
        self.count.set(count);
        if count > self.limit {
            return Err(io::Error::other("the archive passes the size limit"));
        }
        Ok(n)
    }
}

/// Reads an extension entry's data (a long name, a pax header), refusing more than `max` bytes.
fn read_bounded(reader: &mut dyn Read, max: u64, what: &str) -> Result<Vec<u8>, UnpackError> {
    let mut data = Vec::new();
    reader.take(max + 1).read_to_end(&mut data)?;
    if data.len() as u64 > max {
        return Err(UnpackError::Refused(format!(
            "it has a {what} longer than {max} bytes"
        )));
    }
    Ok(data)
}

/// The extension records met before an entry, applied to it.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_link: Option<Vec<u8>>,
    pax_size: Option<u64>,
}

impl Pending {
    fn pax(&mut self, data: &[u8]) -> Result<(), UnpackError> {
        for extension in tar::PaxExtensions::new(data) {
            let extension = extension
                .map_err(|e| UnpackError::Corrupt(format!("a pax header is malformed: {e}")))?;
            match extension.key_bytes() {
                b"path" => self.pax_path = Some(extension.value_bytes().to_vec()),
                b"linkpath" => self.pax_link = Some(extension.value_bytes().to_vec()),
                b"size" => {
                    let size = extension
                        .value()
                        .ok()
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| {
                            UnpackError::Corrupt("a pax size record is not a number".into())
                        })?;
                    self.pax_size = Some(size);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A GNU long name's bytes end at the first NUL.
fn until_nul(bytes: Vec<u8>) -> Vec<u8> {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => bytes[..end].to_vec(),
        None => bytes,
    }
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
    let count = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: Checked(stream),
        count: Rc::clone(&count),
        limit,
    };
    let past_limit = || count.get() > limit;
    let mut archive = tar::Archive::new(counted);
    let mut unpacker = Unpacker {
        dest,
        remaining: limit,
        limit,
        leading: None,
    };
    let failed = |e: io::Error| {
        if past_limit() {
            UnpackError::TooLarge { limit }
        } else if interrupt::is_interruption(&e) {
            UnpackError::Interrupted
        } else {
            UnpackError::Corrupt(e.to_string())
        }
    };
    let mut pending = Pending::default();
    let mut entries = 0usize;
    for entry in archive.entries().map_err(failed)?.raw(true) {
        let mut entry = entry.map_err(failed)?;
        entries += 1;
        if entries > MAX_ENTRIES {
            return Err(UnpackError::Refused(format!(
                "it has more than {MAX_ENTRIES} entries"
            )));
        }
        use tar::EntryType as T;
        let entry_type = entry.header().entry_type();
        let extension = match entry_type {
            T::GNULongName => {
                let name = read_bounded(&mut entry, MAX_NAME as u64 + 1, "long name")
                    .map_err(|e| too_large_or(e, past_limit(), limit))?;
                pending.long_name = Some(until_nul(name));
                true
            }
            T::GNULongLink => {
                let name = read_bounded(&mut entry, MAX_NAME as u64 + 1, "long link name")
                    .map_err(|e| too_large_or(e, past_limit(), limit))?;
                pending.long_link = Some(until_nul(name));
                true
            }
            T::XHeader => {
                let data = read_bounded(&mut entry, MAX_PAX, "pax header")
                    .map_err(|e| too_large_or(e, past_limit(), limit))?;
                pending.pax(&data)?;
                true
            }
            // Its data is skipped (and counted) when the next entry is read.
            T::XGlobalHeader => true,
            _ => false,
        };
        if extension {
            continue;
        }
        let current = std::mem::take(&mut pending);
        let raw_name = current
            .pax_path
            .or(current.long_name)
            .unwrap_or_else(|| entry.header().path_bytes().into_owned());
        let name = String::from_utf8(raw_name).map_err(|e| {
            let bytes = e.into_bytes();
            UnpackError::Refused(format!(
                "entry '{}' has a name that is not UTF-8",
                shown(&String::from_utf8_lossy(&bytes[..bytes.len().min(200)]))
            ))
        })?;
        if let Some(size) = current.pax_size {
            if entry.header().entry_size().ok() != Some(size) {
                return Err(UnpackError::Refused(format!(
                    "entry '{}' has a pax size record that its header contradicts",
                    shown(&name)
                )));
            }
        }
        match entry_type {
            T::Regular | T::Continuous => {
                let mode = entry.header().mode().ok();
                unpacker
                    .file(&name, mode, &mut entry)
                    .map_err(|e| match e {
                        _ if past_limit() => UnpackError::TooLarge { limit },
                        UnpackError::Io(io) if io.kind() != io::ErrorKind::StorageFull => {
                            UnpackError::Corrupt(format!("entry '{}': {io}", shown(&name)))
                        }
                        other => other,
                    })?
            }
            T::Directory => unpacker.dir(&name)?,
            T::Symlink => {
                let target = current
                    .pax_link
                    .or(current.long_link)
                    .or_else(|| entry.header().link_name_bytes().map(|t| t.into_owned()))
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                return Err(UnpackError::Refused(format!(
                    "entry '{}' is a symbolic link (to '{}')",
                    shown(&name),
                    shown(&target)
                )));
            }
            T::Link => {
                return Err(UnpackError::Refused(format!(
                    "entry '{}' is a hard link",
                    shown(&name)
                )))
            }
            other => {
                return Err(UnpackError::Refused(format!(
                    "entry '{}' is not a file or directory ({other:?})",
                    shown(&name)
                )));
            }
        }
    }
    if past_limit() {
        return Err(UnpackError::TooLarge { limit });
    }
    Ok(unpacker.root())
}

/// An error while reading extension data, told as the size limit when the stream passed it.
fn too_large_or(e: UnpackError, past_limit: bool, limit: u64) -> UnpackError {
    match e {
        UnpackError::Io(_) if past_limit => UnpackError::TooLarge { limit },
        other => other,
    }
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

    /// A GNU long name of 64 KiB in a small archive: refused at 4 KiB, never read whole.
    #[test]
    fn long_names_and_pax_records_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        let long = format!("t/{}", "a".repeat(65_536));
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        builder.append_data(&mut header, &long, &b"x"[..]).unwrap();
        let bytes = builder.into_inner().unwrap();
        let err = unpack_tar(&bytes[..], dir.path(), 1 << 30).unwrap_err();
        match err {
            UnpackError::Refused(message) => {
                assert!(
                    message.contains("long name longer than 4097 bytes"),
                    "{message}"
                );
                assert!(message.len() < 200, "{message}");
            }
            other => panic!("{other:?}"),
        }

        // A pax global header of 1 MiB under a 64 KiB limit: its skipped data is counted.
        let mut builder = tar::Builder::new(Vec::new());
        let mut global = tar::Header::new_ustar();
        global.set_entry_type(tar::EntryType::XGlobalHeader);
        global.set_size(1 << 20);
        global.set_cksum();
        builder
            .append_data(&mut global, "pax_global_header", &vec![b'\n'; 1 << 20][..])
            .unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "t/a.txt", &b"x"[..])
            .unwrap();
        let bytes = builder.into_inner().unwrap();
        let err = unpack_tar(&bytes[..], &dir.path().join("g"), 64 << 10).unwrap_err();
        assert!(matches!(err, UnpackError::TooLarge { .. }), "{err:?}");
    }

    #[test]
    fn shown_names_are_short() {
        assert_eq!(shown("a\nb"), "a\\nb");
        let long = shown(&"x".repeat(10_000));
        assert!(
            long.starts_with("xxxx") && long.ends_with("... (10000 bytes)"),
            "{long}"
        );
        assert!(long.len() < 120);
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
        // Headers count too: the whole stream must fit.
        let root = unpack_tar(&bytes[..], &dir.path().join("ok"), bytes.len() as u64).unwrap();
        assert_eq!(root, dir.path().join("ok/t"));
        let err = unpack_tar(&bytes[..], &dir.path().join("no"), 10_000).unwrap_err();
        assert!(matches!(err, UnpackError::TooLarge { .. }), "{err:?}");
    }
}
