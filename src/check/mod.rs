//! `--check`: what a command would write, compared with what is already in its target directory,
//! as a list of differences (missing, extra, changed, mode, type). Reads; never writes.
//!
//! Which existing files count as "extra": only those inside the template's own paths, that is,
//! in a directory the plan creates (`mysite/` of a project, `migrations/` of an app), at any
//! depth below it, plus the target directory itself when the command would create it (no
//! DIRECTORY given: `./NAME` must be new, so everything in it belongs to the command). With a
//! DIRECTORY, that directory is shared with whatever else lives there (`.git`, a README, other
//! apps), so its own entries beside the plan's are not reported.
//!
//! Everything below the target directory is read through `crate::handle`: one component at a
//! time, never following a link; a link where the plan has a file or directory is a difference
//! of type, not something to read through.
//!
//! Bounded on any tree: the walk keeps paths, not open directories, for what it has yet to
//! visit; diffs are not kept but made one at a time as the report is written
//! (`Comparison::diff`), each with a deadline and all of them within a total time.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Stat};

use crate::error::Error;
use crate::handle;
use crate::plan::{Content, EntryKind, Plan, DIR_MODE};
use crate::{Kind, Prepared};

pub mod report;

/// Files are shown as a text diff up to this size (either side); larger ones are only said to
/// differ, so that memory stays bounded.
pub(crate) const MAX_DIFF_SIZE: u64 = 1 << 20;

/// How long one diff may take before `similar` settles for a coarser one (whole blocks removed
/// and added): two 1 MiB files with no line in common took 105 s without it.
pub(crate) const DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// How long all the diffs of one report may take together; past it, each is made coarse at once.
pub(crate) const DIFF_BUDGET: Duration = Duration::from_secs(10);

/// The outcome of `--check`: what was compared, and every difference found, in a stable order
/// (by path, parents before children; for one path: type, missing, extra, changed, mode).
#[derive(Debug, Clone)]
pub struct Comparison {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) django: crate::DjangoVersion,
    /// The absolute target directory.
    pub(crate) root: PathBuf,
    /// `--template` as given; None for the built-in template.
    pub(crate) template: Option<String>,
    /// How many files the command would write.
    pub(crate) files: usize,
    pub(crate) differences: Vec<Difference>,
    /// The target directory as it was compared: where a diff's existing side is read.
    root_fd: Option<Arc<OwnedFd>>,
}

impl Comparison {
    /// Whether nothing differs: `--check` exits 0.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }

    /// The unified diff of one difference (see [`Difference::diff`]), made now: the existing
    /// side read again through the target's handle, at most [`MAX_DIFF_SIZE`] bytes, and given
    /// up on at `deadline`. `header` is the path as the `---`/`+++` lines show it.
    pub(crate) fn diff<'d>(
        &self,
        d: &'d Difference,
        header: &str,
        deadline: Instant,
    ) -> Option<Cow<'d, str>> {
        let sides = match &d.diff {
            Diff::None => return None,
            #[cfg(test)]
            Diff::Text(text) => return Some(Cow::Borrowed(text)),
            Diff::Pending(sides) => sides,
        };
        let old = if sides.old {
            let fd = self.root_fd.as_ref()?;
            Some(
                handle::read_beneath(fd.as_fd(), &d.path, MAX_DIFF_SIZE)
                    .ok()?
                    .0,
            )
        } else {
            None
        };
        let new = match &sides.new {
            Some(content) => Some(read_small(content).ok()??),
            None => None,
        };
        unified_diff(header, old.as_deref(), new.as_deref(), deadline).map(Cow::Owned)
    }
}

/// The deadlines of a report's diffs: each gets [`DIFF_DEADLINE`], all of them together
/// [`DIFF_BUDGET`].
pub(crate) struct DiffClock {
    end: Instant,
}

impl DiffClock {
    pub(crate) fn start() -> Self {
        DiffClock {
            end: Instant::now() + DIFF_BUDGET,
        }
    }

    /// The deadline of the next diff.
    pub(crate) fn next(&self) -> Instant {
        (Instant::now() + DIFF_DEADLINE).min(self.end)
    }
}

/// One difference at one path, relative to the target directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Difference {
    pub(crate) path: PathBuf,
    pub(crate) change: Change,
    /// A unified diff of the content (`a/` what is there, `b/` what the command would write;
    /// `/dev/null` for a side that has no file), made when shown ([`Comparison::diff`]). None
    /// when no content differs, or when the content is not UTF-8 text or is over
    /// [`MAX_DIFF_SIZE`].
    pub(crate) diff: Diff,
}

/// A difference's diff: none, already made, or to be made from its sides when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Diff {
    None,
    /// Made beforehand: the report's unit tests give their diffs as text.
    #[cfg(test)]
    Text(String),
    Pending(Sides),
}

/// What a diff compares: the existing file at the difference's path (`old`), and the plan's
/// content (`new`); each side is absent when there is no file there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sides {
    old: bool,
    new: Option<Content>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    /// Something is there, but of another type than the plan's (a directory or a link where a
    /// file would be written, ...). Nothing below it is compared.
    Type { expected: Type, actual: Type },
    /// The command would write it; it is not there. `mode` is what the write would give it.
    Missing { expected: Type, mode: u32 },
    /// It is there, inside the template's own paths, and the command would not write it.
    Extra { actual: Type, mode: u32 },
    /// Both are regular files with different bytes.
    Changed,
    /// Permission bits differ: `expected` is the plan's mode under the umask, as the write
    /// would create it.
    Mode { expected: u32, actual: u32 },
}

impl Change {
    /// The JSON and text name of the change.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Change::Type { .. } => "type",
            Change::Missing { .. } => "missing",
            Change::Extra { .. } => "extra",
            Change::Changed => "changed",
            Change::Mode { .. } => "mode",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Type {
    File,
    Directory,
    Symlink,
    /// A fifo, socket or device.
    Other,
}

impl Type {
    fn of(stat: &Stat) -> Self {
        match handle::file_type(stat) {
            FileType::RegularFile => Type::File,
            FileType::Directory => Type::Directory,
            FileType::Symlink => Type::Symlink,
            _ => Type::Other,
        }
    }

    /// As a report line says it: `a file`, `a directory`, ...
    pub(crate) fn described(self) -> &'static str {
        match self {
            Type::File => "a file",
            Type::Directory => "a directory",
            Type::Symlink => "a symlink",
            Type::Other => "a fifo, socket or device",
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Type::File => "file",
            Type::Directory => "directory",
            Type::Symlink => "symlink",
            Type::Other => "other",
        }
    }
}

/// Compares a prepared command's plan with its target directory. A target that does not exist
/// is an empty tree: everything is missing.
pub(crate) fn compare(prepared: &Prepared, umask: u32) -> Result<Comparison, Error> {
    let root = prepared.root();
    // The command creates the target itself when no DIRECTORY was given (see the module docs).
    let own_root = !prepared.destination.overlay;
    // `./NAME` is the command's own, found and not named: a link there is refused, as the real
    // run refuses it, and nothing behind it is read. A DIRECTORY the user named is followed.
    let opened = if own_root {
        handle::open_dir_not_linked(root)
    } else {
        handle::open_dir(root)
    };
    let mut root_fd = None;
    let differences = match opened {
        Ok(fd) => {
            let found = compare_tree(&prepared.plan, fd.as_fd(), root, own_root, umask)?;
            root_fd = Some(Arc::new(fd));
            found
        }
        Err(_) if own_root && is_link(root) => return Err(Error::LinkNotCompared(root.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => all_missing(&prepared.plan, umask)?,
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(Error::NotADirectory(root.to_owned()))
        }
        Err(e) => return Err(Error::io("cannot open", root)(e)),
    };
    Ok(Comparison {
        kind: prepared.kind,
        name: prepared.name.to_string(),
        django: prepared.django,
        root: root.to_owned(),
        template: prepared.template.clone(),
        files: prepared.plan.files().count(),
        differences,
        root_fd,
    })
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// The mode the writer gives a plan entry: its mode under the umask (files are created with it,
/// directories too).
pub(crate) fn written_mode(mode: u32, umask: u32) -> u32 {
    mode & !umask & 0o7777
}

fn all_missing(plan: &Plan, umask: u32) -> Result<Vec<Difference>, Error> {
    let mut out = Vec::new();
    for entry in &plan.entries {
        out.push(missing(entry.path.clone(), &entry.kind, umask));
    }
    sort(&mut out);
    Ok(out)
}

fn missing(path: PathBuf, kind: &EntryKind, umask: u32) -> Difference {
    match kind {
        EntryKind::Dir => Difference {
            path,
            change: Change::Missing {
                expected: Type::Directory,
                mode: written_mode(DIR_MODE, umask),
            },
            diff: Diff::None,
        },
        EntryKind::File { mode, content } => Difference {
            path,
            change: Change::Missing {
                expected: Type::File,
                mode: written_mode(*mode, umask),
            },
            diff: pending(false, Some(content)),
        },
    }
}

/// The diff to make when shown, if both sides are small enough to be shown as text.
fn pending(old: bool, new: Option<&Content>) -> Diff {
    match new {
        Some(content) if content.size() > MAX_DIFF_SIZE => Diff::None,
        _ => Diff::Pending(Sides {
            old,
            new: new.cloned(),
        }),
    }
}

fn compare_tree(
    plan: &Plan,
    root_fd: BorrowedFd<'_>,
    root: &Path,
    own_root: bool,
    umask: u32,
) -> Result<Vec<Difference>, Error> {
    let shown = |rel: &Path| root.join(rel);
    let planned: HashSet<&Path> = plan.entries.iter().map(|e| e.path.as_path()).collect();
    // Plan directories that are not there as directories: everything below is missing.
    let mut absent: HashSet<&Path> = HashSet::new();
    // Plan directories that are there: where extra entries are looked for.
    let mut own_dirs: Vec<&Path> = Vec::new();
    if own_root {
        own_dirs.push(Path::new(""));
    }
    let mut out = Vec::new();
    for entry in &plan.entries {
        if crate::interrupt::raised() {
            return Err(Error::Interrupted);
        }
        let (Some(parent), Some(name)) = (entry.path.parent(), entry.path.file_name()) else {
            continue;
        };
        let is_dir = entry.kind == EntryKind::Dir;
        if parent.ancestors().any(|a| absent.contains(a)) {
            out.push(missing(entry.path.clone(), &entry.kind, umask));
            if is_dir {
                absent.insert(&entry.path);
            }
            continue;
        }
        let parent_fd = handle::open_dir_beneath(root_fd, parent)
            .map_err(Error::io("cannot open", shown(parent)))?;
        let stat = handle::stat_child(parent_fd.as_fd(), name)
            .map_err(Error::io("cannot inspect", shown(&entry.path)))?;
        let Some(stat) = stat else {
            out.push(missing(entry.path.clone(), &entry.kind, umask));
            if is_dir {
                absent.insert(&entry.path);
            }
            continue;
        };
        let actual = Type::of(&stat);
        let (expected, mode) = match &entry.kind {
            EntryKind::Dir => (Type::Directory, DIR_MODE),
            EntryKind::File { mode, .. } => (Type::File, *mode),
        };
        if actual != expected {
            out.push(Difference {
                path: entry.path.clone(),
                change: Change::Type { expected, actual },
                diff: Diff::None,
            });
            if is_dir {
                absent.insert(&entry.path);
            }
            continue;
        }
        if let EntryKind::File { content, .. } = &entry.kind {
            if let Some(difference) = compare_file(root_fd, &entry.path, content)
                .map_err(Error::io("cannot read", shown(&entry.path)))?
            {
                out.push(difference);
            }
        } else {
            own_dirs.push(&entry.path);
        }
        // A directory's set-group-ID bit is inherited from its parent, not chosen by the
        // template: the write would get it too, so only the permission bits are compared.
        let bits = if is_dir { 0o777 } else { 0o7777 };
        let (expected, actual) = (written_mode(mode, umask), stat.st_mode & bits);
        if expected != actual {
            out.push(Difference {
                path: entry.path.clone(),
                change: Change::Mode { expected, actual },
                diff: Diff::None,
            });
        }
    }
    for dir in own_dirs {
        extras(root_fd, dir, &planned, root, &mut out)?;
    }
    sort(&mut out);
    Ok(out)
}

/// Every entry of the directory `rel` that the plan does not have, and, below an extra
/// directory, everything in it. Links are reported, never followed. The directories yet to be
/// visited are kept as paths and opened one at a time below the root, so that a tree of any
/// width or depth needs a few open handles and no call stack.
fn extras(
    root_fd: BorrowedFd<'_>,
    rel: &Path,
    planned: &HashSet<&Path>,
    root: &Path,
    out: &mut Vec<Difference>,
) -> Result<(), Error> {
    let mut stack = vec![(rel.to_owned(), false)];
    while let Some((rel, all_extra)) = stack.pop() {
        if crate::interrupt::raised() {
            return Err(Error::Interrupted);
        }
        let fd = handle::open_dir_beneath(root_fd, &rel)
            .map_err(Error::io("cannot open", root.join(&rel)))?;
        let names =
            handle::list_dir(fd.as_fd()).map_err(Error::io("cannot list", root.join(&rel)))?;
        for name in names {
            let path = rel.join(&name);
            if !all_extra && planned.contains(path.as_path()) {
                continue;
            }
            let stat = match handle::stat_child(fd.as_fd(), &name) {
                Ok(Some(stat)) => stat,
                Ok(None) => continue, // gone meanwhile
                Err(e) => return Err(Error::io("cannot inspect", root.join(&path))(e)),
            };
            let actual = Type::of(&stat);
            let diff = match actual {
                Type::File if (stat.st_size as u64) <= MAX_DIFF_SIZE => pending(true, None),
                _ => Diff::None,
            };
            if actual == Type::Directory {
                stack.push((path.clone(), true));
            }
            out.push(Difference {
                path,
                change: Change::Extra {
                    actual,
                    mode: stat.st_mode & 0o7777,
                },
                diff,
            });
        }
    }
    Ok(())
}

/// Compares the regular file at `rel` with the plan's content: None when the bytes are the
/// same. Equal sizes are compared streaming, so large files are never held whole.
fn compare_file(
    root_fd: BorrowedFd<'_>,
    rel: &Path,
    content: &Content,
) -> io::Result<Option<Difference>> {
    let (mut file, stat) = handle::open_file_beneath(root_fd, rel)?;
    let actual_size = stat.st_size as u64;
    if actual_size == content.size() {
        let same = match content {
            Content::Bytes(bytes) => same_bytes(&mut file, &mut bytes.as_slice())?,
            Content::Copy(source) => same_bytes(&mut file, &mut source.open()?)?,
        };
        if same {
            return Ok(None);
        }
    }
    let diff = if actual_size <= MAX_DIFF_SIZE {
        pending(true, Some(content))
    } else {
        Diff::None
    };
    Ok(Some(Difference {
        path: rel.to_owned(),
        change: Change::Changed,
        diff,
    }))
}

/// The plan's content when it is at most [`MAX_DIFF_SIZE`] bytes; None when larger.
fn read_small(content: &Content) -> io::Result<Option<Vec<u8>>> {
    if content.size() > MAX_DIFF_SIZE {
        return Ok(None);
    }
    match content {
        Content::Bytes(bytes) => Ok(Some(bytes.clone())),
        Content::Copy(source) => {
            let mut bytes = Vec::new();
            source.open()?.read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        }
    }
}

fn same_bytes(a: &mut impl Read, b: &mut impl Read) -> io::Result<bool> {
    let mut x = vec![0u8; 64 * 1024];
    let mut y = vec![0u8; 64 * 1024];
    loop {
        let n = read_full(a, &mut x)?;
        let m = read_full(b, &mut y)?;
        if n != m || x[..n] != y[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Reads until `buf` is full or the end is reached.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A unified diff from `old` (what is there; None: no file) to `new` (what the command would
/// write; None: no file), with git's `a/` and `b/` prefixes. None when either side is not UTF-8
/// or nothing differs as text. Made within [`DIFF_DEADLINE`].
pub(crate) fn text_diff(path: &Path, old: Option<&[u8]>, new: Option<&[u8]>) -> Option<String> {
    let shown = crate::report::slash_path(path);
    unified_diff(&shown, old, new, Instant::now() + DIFF_DEADLINE)
}

/// [`text_diff`] for a terminal: the path in the headers escaped ([`crate::report::terminal`]).
pub(crate) fn terminal_diff(path: &Path, old: Option<&[u8]>, new: Option<&[u8]>) -> Option<String> {
    let shown = crate::report::slash_path(path);
    let shown = crate::report::terminal(&shown);
    unified_diff(&shown, old, new, Instant::now() + DIFF_DEADLINE)
}

/// [`text_diff`] with the path as the headers show it, and a deadline: past it, `similar`
/// gives the rest as whole blocks removed and added, a correct diff if not the smallest.
pub(crate) fn unified_diff(
    shown: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    deadline: Instant,
) -> Option<String> {
    let old_text = std::str::from_utf8(old.unwrap_or_default()).ok()?;
    let new_text = std::str::from_utf8(new.unwrap_or_default()).ok()?;
    let a = if old.is_some() {
        format!("a/{shown}")
    } else {
        "/dev/null".to_owned()
    };
    let b = if new.is_some() {
        format!("b/{shown}")
    } else {
        "/dev/null".to_owned()
    };
    let diff = similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(old_text, new_text)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    // An empty file on one side and none on the other: nothing to show as text.
    (!diff.is_empty() && diff.contains("\n@@")).then_some(diff)
}

/// By path (parents before children), then by change.
fn sort(differences: &mut [Difference]) {
    differences.sort_by(|x, y| x.path.cmp(&y.path).then(x.change.cmp(&y.change)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanBuilder;

    #[test]
    fn written_mode_applies_the_umask() {
        assert_eq!(written_mode(0o755, 0o022), 0o755);
        assert_eq!(written_mode(0o666, 0o022), 0o644);
        assert_eq!(written_mode(0o777, 0o027), 0o750);
        assert_eq!(written_mode(0o644, 0o000), 0o644);
    }

    /// Applies a unified diff as `patch` does without fuzz: each hunk at its stated line, its
    /// context and removed lines checked against the old text. None when it does not apply.
    fn apply_unified(old: &str, diff: &str) -> Option<String> {
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut at = 0; // lines of old consumed
        let mut lines = diff.split_inclusive('\n').skip(2).peekable();
        while let Some(header) = lines.next() {
            let ranges = header.strip_prefix("@@ -")?.split(" @@").next()?;
            let (old_range, new_range) = ranges.split_once(" +")?;
            let range = |r: &str| -> Option<(usize, usize)> {
                match r.split_once(',') {
                    Some((s, c)) => Some((s.parse().ok()?, c.parse().ok()?)),
                    None => Some((r.parse().ok()?, 1)),
                }
            };
            let ((start, count), (new_start, new_count)) = (range(old_range)?, range(new_range)?);
            let first = if count == 0 { start } else { start - 1 };
            if first < at {
                return None; // hunks out of order or overlapping
            }
            for line in old_lines.get(at..first)? {
                out.push_str(line);
            }
            at = first;
            // As git apply checks them: the new side starts where the output is, and both
            // counts are the hunk's lines.
            let written = out.matches('\n').count();
            let new_first = if new_count == 0 {
                new_start
            } else {
                new_start - 1
            };
            if new_first != written {
                return None;
            }
            let (hunk_start, out_start) = (at, written);
            while let Some(line) = lines.next_if(|l| !l.starts_with("@@")) {
                if line.starts_with("\\") {
                    // "\ No newline at end of file": the line before has no newline.
                    if out.ends_with('\n') && !out.is_empty() {
                        out.pop();
                    }
                    continue;
                }
                let (mark, body) = line.split_at(1);
                match mark {
                    " " | "-" => {
                        let want = old_lines.get(at)?.trim_end_matches('\n');
                        if want != body.trim_end_matches('\n') {
                            return None;
                        }
                        at += 1;
                        if mark == " " {
                            out.push_str(old_lines[at - 1]);
                        }
                    }
                    "+" => out.push_str(body),
                    _ => return None,
                }
            }
            let new_lines = out.split_inclusive('\n').count();
            if at - hunk_start != count || new_lines - out_start != new_count {
                return None;
            }
        }
        for line in &old_lines[at..] {
            out.push_str(line);
        }
        Some(out)
    }

    /// Found by the template upgrade's Wagtail test (a Dockerfile's diff that `git apply` called
    /// corrupt), reduced by the property test below: similar 2.7 wrote `@@ -1 +18,16 @@` for
    /// a hunk that removes two lines.
    #[test]
    fn a_diff_that_similar_2_7_misnumbered_applies() {
        let old = "aa\naa\n\n";
        let new = "\n".repeat(40);
        let diff = text_diff(Path::new("f"), Some(old.as_bytes()), Some(new.as_bytes())).unwrap();
        assert_eq!(apply_unified(old, &diff), Some(new), "{diff}");
    }

    proptest::proptest! {
        /// The diffs upgrade and --check print apply (`git apply`, `patch -p1`) and give the
        /// new text: similar 2.7 placed some hunks at wrong lines (a Wagtail Dockerfile's
        /// `@@ -1,6 +37,6 @@`).
        #[test]
        fn unified_diffs_apply(
            old in proptest::collection::vec("[a-h]{0,2}", 0..60),
            new in proptest::collection::vec("[a-h]{0,2}", 0..60),
        ) {
            let lines = |l: Vec<String>| l.iter().map(|x| format!("{x}\n")).collect::<String>();
            let (old, new) = (lines(old), lines(new));
            if let Some(diff) = text_diff(Path::new("f"), Some(old.as_bytes()), Some(new.as_bytes())) {
                proptest::prop_assert_eq!(apply_unified(&old, &diff), Some(new.clone()), "{}", diff);
            }
        }
    }

    #[test]
    fn text_diff_has_git_headers_and_hunks() {
        let diff = text_diff(
            Path::new("mysite/settings.py"),
            Some(b"A = 1\nB = 2\nC = 3\n"),
            Some(b"A = 1\nB = 5\nC = 3\n"),
        )
        .unwrap();
        assert_eq!(
            diff,
            "--- a/mysite/settings.py\n+++ b/mysite/settings.py\n@@ -1,3 +1,3 @@\n A = 1\n-B = 2\n+B = 5\n C = 3\n"
        );
    }

    #[test]
    fn text_diff_of_a_new_or_removed_file_uses_dev_null() {
        let added = text_diff(Path::new("x.py"), None, Some(b"x\n")).unwrap();
        assert!(
            added.starts_with("--- /dev/null\n+++ b/x.py\n@@ -0,0 +1 @@\n+x\n"),
            "{added}"
        );
        let removed = text_diff(Path::new("x.py"), Some(b"x\n"), None).unwrap();
        assert!(
            removed.starts_with("--- a/x.py\n+++ /dev/null\n"),
            "{removed}"
        );
    }

    #[test]
    fn no_text_diff_for_binary_or_empty_files() {
        assert_eq!(
            text_diff(Path::new("b"), Some(b"\xff\x00"), Some(b"x")),
            None
        );
        assert_eq!(text_diff(Path::new("__init__.py"), None, Some(b"")), None);
        assert_eq!(
            text_diff(Path::new("same"), Some(b"x\n"), Some(b"x\n")),
            None
        );
    }

    #[test]
    fn a_missing_newline_at_the_end_is_shown() {
        let diff = text_diff(Path::new("f"), Some(b"x"), Some(b"x\n")).unwrap();
        assert!(diff.contains("\\ No newline at end of file"), "{diff}");
    }

    #[test]
    fn differences_sort_by_path_then_change() {
        let d = |path: &str, change| Difference {
            path: path.into(),
            change,
            diff: Diff::None,
        };
        let mut list = vec![
            d("b", Change::Changed),
            d(
                "a/z",
                Change::Mode {
                    expected: 0o644,
                    actual: 0o600,
                },
            ),
            d("a/z", Change::Changed),
            d(
                "a",
                Change::Missing {
                    expected: Type::Directory,
                    mode: 0o755,
                },
            ),
            d("a-b", Change::Changed),
        ];
        sort(&mut list);
        let order: Vec<_> = list
            .iter()
            .map(|d| format!("{} {}", d.path.display(), d.change.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                "a missing",
                "a/z changed",
                "a/z mode",
                "a-b changed",
                "b changed"
            ]
        );
    }

    /// A plan of a project-like tree: `manage.py` (0755), `pkg/__init__.py`, `pkg/settings.py`.
    fn plan() -> Plan {
        let mut plan = PlanBuilder::default();
        plan.file("manage.py".into(), 0o755, Content::Bytes(b"run\n".to_vec()));
        plan.file("pkg/__init__.py".into(), 0o644, Content::Bytes(Vec::new()));
        plan.file(
            "pkg/settings.py".into(),
            0o644,
            Content::Bytes(b"A = 1\n".to_vec()),
        );
        plan.finish().unwrap()
    }

    fn write_tree(root: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::set_permissions(root.join("pkg"), std::fs::Permissions::from_mode(0o755)).unwrap();
        for (path, bytes, mode) in [
            ("manage.py", &b"run\n"[..], 0o755),
            ("pkg/__init__.py", b"", 0o644),
            ("pkg/settings.py", b"A = 1\n", 0o644),
        ] {
            std::fs::write(root.join(path), bytes).unwrap();
            std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(mode))
                .unwrap();
        }
    }

    /// `path change` for each difference of comparing `plan()` with `root`.
    fn changes(root: &Path, own_root: bool, umask: u32) -> Vec<String> {
        let fd = handle::open_dir(root).unwrap();
        compare_tree(&plan(), fd.as_fd(), root, own_root, umask)
            .unwrap()
            .iter()
            .map(|d| format!("{} {}", d.path.display(), d.change.as_str()))
            .collect()
    }

    #[test]
    fn an_identical_tree_has_no_differences() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path());
        assert_eq!(changes(dir.path(), true, 0o022), Vec::<String>::new());
        // A set-group-ID bit inherited by a directory is no difference.
        std::fs::set_permissions(
            dir.path().join("pkg"),
            std::fs::Permissions::from_mode(0o2755),
        )
        .unwrap();
        assert_eq!(changes(dir.path(), true, 0o022), Vec::<String>::new());
        // Under another umask the write would make other modes.
        assert_eq!(
            changes(dir.path(), true, 0o027),
            [
                "manage.py mode",
                "pkg mode",
                "pkg/__init__.py mode",
                "pkg/settings.py mode"
            ]
        );
    }

    #[test]
    fn extra_entries_count_only_inside_the_templates_own_directories() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path());
        std::fs::write(dir.path().join("README"), "beside").unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/static/css")).unwrap();
        std::fs::write(dir.path().join("pkg/static/css/x.css"), "a\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("pkg/link")).unwrap();
        // With a DIRECTORY, its own entries are not the template's.
        assert_eq!(
            changes(dir.path(), false, 0o022),
            [
                "pkg/link extra",
                "pkg/static extra",
                "pkg/static/css extra",
                "pkg/static/css/x.css extra"
            ]
        );
        // Without one, the command owns the whole target.
        assert_eq!(changes(dir.path(), true, 0o022)[0], "README extra");
    }

    #[test]
    fn a_link_or_directory_where_a_file_belongs_is_a_type_difference_and_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path());
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("settings.py"), "A = 1\n").unwrap();
        std::fs::remove_file(dir.path().join("pkg/settings.py")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("settings.py"),
            dir.path().join("pkg/settings.py"),
        )
        .unwrap();
        std::fs::remove_file(dir.path().join("manage.py")).unwrap();
        std::fs::create_dir(dir.path().join("manage.py")).unwrap();
        let fd = handle::open_dir(dir.path()).unwrap();
        let found = compare_tree(&plan(), fd.as_fd(), dir.path(), true, 0o022).unwrap();
        assert_eq!(
            found.iter().map(|d| d.change).collect::<Vec<_>>(),
            [
                Change::Type {
                    expected: Type::File,
                    actual: Type::Directory
                },
                Change::Type {
                    expected: Type::File,
                    actual: Type::Symlink
                },
            ]
        );
    }

    #[test]
    fn below_a_missing_or_mistyped_directory_everything_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path());
        std::fs::remove_dir_all(dir.path().join("pkg")).unwrap();
        assert_eq!(
            changes(dir.path(), true, 0o022),
            [
                "pkg missing",
                "pkg/__init__.py missing",
                "pkg/settings.py missing"
            ]
        );
        std::fs::write(dir.path().join("pkg"), "").unwrap();
        assert_eq!(
            changes(dir.path(), true, 0o022),
            [
                "pkg type",
                "pkg/__init__.py missing",
                "pkg/settings.py missing"
            ]
        );
    }

    #[test]
    fn a_changed_file_has_a_diff_unless_it_is_large() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path());
        std::fs::write(dir.path().join("pkg/settings.py"), "A = 2\n").unwrap();
        let fd = handle::open_dir(dir.path()).unwrap();
        let found = compare_tree(&plan(), fd.as_fd(), dir.path(), true, 0o022).unwrap();
        assert_eq!(found.len(), 1);
        let comparison = Comparison {
            kind: Kind::Project,
            name: "pkg".into(),
            django: crate::DjangoVersion::NEWEST,
            root: dir.path().to_owned(),
            template: None,
            files: 3,
            differences: found,
            root_fd: Some(Arc::new(handle::open_dir(dir.path()).unwrap())),
        };
        let later = Instant::now() + DIFF_DEADLINE;
        let d = &comparison.differences[0];
        assert_eq!(
            comparison.diff(d, "pkg/settings.py", later).as_deref(),
            Some("--- a/pkg/settings.py\n+++ b/pkg/settings.py\n@@ -1 +1 @@\n-A = 2\n+A = 1\n")
        );

        let big = vec![b'x'; (MAX_DIFF_SIZE + 1) as usize];
        std::fs::write(dir.path().join("pkg/settings.py"), &big).unwrap();
        let found = compare_tree(&plan(), fd.as_fd(), dir.path(), true, 0o022).unwrap();
        assert_eq!(
            (found[0].change, &found[0].diff),
            (Change::Changed, &Diff::None)
        );
    }

    #[test]
    fn streaming_comparison_sees_a_late_difference() {
        let a = vec![7u8; 200_000];
        let mut b = a.clone();
        assert!(same_bytes(&mut a.as_slice(), &mut b.as_slice()).unwrap());
        b[199_999] = 8;
        assert!(!same_bytes(&mut a.as_slice(), &mut b.as_slice()).unwrap());
        assert!(!same_bytes(&mut a.as_slice(), &mut &b[..100]).unwrap());
    }
}
