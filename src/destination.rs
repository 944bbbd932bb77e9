//! Where a command writes: the target directory, and the checks that nothing there would be replaced.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;
use crate::handle::Identity;
use crate::name::{Kind, PackageName, Role};
use crate::plan::{EntryKind, Plan};

/// The absolute target directory, and whether it may already exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    pub(crate) root: PathBuf,
    /// True when DIRECTORY was given: an existing directory is overlaid. False for `./NAME`,
    /// which must not exist yet.
    pub(crate) overlay: bool,
}

impl Destination {
    /// Resolves the target as Django does: `./NAME` without DIRECTORY, otherwise DIRECTORY with
    /// `~` expanded, made absolute and normalised. For an app, the directory's base name must be
    /// a valid app name too.
    pub(crate) fn resolve(
        kind: Kind,
        name: &PackageName,
        directory: Option<&Path>,
        cwd: &Path,
        home: Option<&Path>,
    ) -> Result<Self, Error> {
        let Some(directory) = directory else {
            return Ok(Destination {
                root: cwd.join(name.as_str()),
                overlay: false,
            });
        };
        let expanded = expand_home(directory, home);
        let root = normalize(&cwd.join(expanded));
        if kind == Kind::App {
            let base = root
                .file_name()
                .map(|b| b.to_string_lossy().into_owned())
                .unwrap_or_default();
            PackageName::parse(&base, kind, Role::Directory)?;
        }
        Ok(Destination {
            root,
            overlay: true,
        })
    }

    /// Refuses a plan that would replace or collide with anything that exists: the target itself
    /// when it must be new, any file of the plan, a non-directory or a link where the plan needs a
    /// directory, or a directory the run would have to write into but may not. Reads the file
    /// system; writes nothing. A dry run stops here, so every refusal the write itself could
    /// foresee is made here, for both.
    pub(crate) fn check(&self, plan: &Plan, kind: Kind) -> Result<Anchor, Error> {
        match std::fs::symlink_metadata(&self.root) {
            Ok(_) if !self.overlay => return Err(Error::TargetExists(self.root.clone())),
            Ok(_) if !self.root.is_dir() => return Err(Error::NotADirectory(self.root.clone())),
            Ok(_) => {}
            Err(e) if is_missing(&e) => {
                let anchor = existing_ancestor(&self.root)?;
                writable(&anchor.path)?;
                return Ok(anchor);
            }
            Err(e) => return Err(Error::io("cannot inspect", &self.root)(e)),
        }
        let anchor = existing_ancestor(&self.root)?;
        // The staging directory goes into the target itself.
        writable(&self.root)?;
        let mut existing_dirs: HashSet<&Path> = HashSet::from([Path::new("")]);
        let mut checked: HashSet<&Path> = HashSet::from([Path::new("")]);
        for entry in &plan.entries {
            let path = self.root.join(&entry.path);
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(meta) => Some(meta),
                Err(e) if is_missing(&e) => None,
                Err(e) => return Err(Error::io("cannot inspect", &path)(e)),
            };
            match (&entry.kind, meta) {
                (EntryKind::Dir, Some(meta)) if meta.file_type().is_symlink() => {
                    return Err(Error::SymlinkInTheWay(path))
                }
                (EntryKind::Dir, Some(meta)) if !meta.is_dir() => {
                    return Err(Error::NotADirectory(path))
                }
                (EntryKind::Dir, Some(_)) => {
                    existing_dirs.insert(&entry.path);
                }
                (EntryKind::File { .. }, Some(_)) => {
                    return Err(Error::Conflict {
                        path,
                        article: kind.article(),
                        kind: kind.as_str(),
                    })
                }
                (_, None) => {
                    // A new entry in a directory that exists: the run must be allowed to write there.
                    let parent = entry.path.parent().unwrap_or(Path::new(""));
                    if existing_dirs.contains(parent) && checked.insert(parent) {
                        writable(&self.root.join(parent))?;
                    }
                }
            }
        }
        Ok(anchor)
    }
}

/// The deepest existing directory at or above a target, as the checks saw it: the write starts
/// there, and refuses to start if it has become another directory meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub(crate) path: PathBuf,
    /// The names below it that must be created, down to the target.
    pub(crate) missing: Vec<OsString>,
    pub(crate) identity: Identity,
}

/// Refuses a directory this process may not create entries in (checked with the effective
/// user's rights, as the write would be).
fn writable(dir: &Path) -> Result<(), Error> {
    use rustix::fs::{Access, AtFlags, CWD};
    rustix::fs::accessat(
        CWD,
        dir,
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )
    .map_err(|e| Error::io("cannot write into", dir)(e.into()))
}

/// The deepest existing ancestor of `root` (or `root` itself), and the names below it that must
/// be created. Fails if that ancestor is not a directory.
pub(crate) fn existing_ancestor(root: &Path) -> Result<Anchor, Error> {
    let mut missing = Vec::new();
    let mut current = root.to_owned();
    let meta = loop {
        match std::fs::symlink_metadata(&current) {
            Ok(_) => match std::fs::metadata(&current) {
                Ok(meta) if meta.is_dir() => break meta,
                Ok(_) => return Err(Error::NotADirectory(current)),
                Err(e) => return Err(Error::io("cannot inspect", &current)(e)),
            },
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(Error::io("cannot inspect", &current)(e)),
        }
        let (Some(parent), Some(name)) = (current.parent(), current.file_name()) else {
            return Err(Error::NotADirectory(current));
        };
        missing.push(name.to_owned());
        current = parent.to_owned();
    };
    missing.reverse();
    Ok(Anchor {
        path: current,
        missing,
        identity: Identity::from_parts(meta.dev(), meta.ino()),
    })
}

/// Not there: either no such entry, or a parent is not a directory (the walk up finds which).
fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

fn expand_home(path: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_owned(),
    }
}

/// `os.path.normpath` of an absolute path: drops `.`, resolves `..` lexically, and drops a
/// trailing slash.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> PackageName {
        PackageName::parse(s, Kind::App, Role::Name).unwrap()
    }

    #[test]
    fn without_directory_the_target_is_cwd_name() {
        let d = Destination::resolve(Kind::Project, &name("mysite"), None, Path::new("/w"), None)
            .unwrap();
        assert_eq!(
            d,
            Destination {
                root: "/w/mysite".into(),
                overlay: false
            }
        );
    }

    #[test]
    fn directory_is_expanded_and_normalised() {
        let resolve = |dir: &str| {
            Destination::resolve(
                Kind::App,
                &name("blog"),
                Some(Path::new(dir)),
                Path::new("/w/x"),
                Some(Path::new("/home/u")),
            )
            .map(|d| d.root)
        };
        assert_eq!(
            resolve("apps/blog/").unwrap(),
            PathBuf::from("/w/x/apps/blog")
        );
        assert_eq!(resolve("../blog").unwrap(), PathBuf::from("/w/blog"));
        assert_eq!(resolve("~/blog").unwrap(), PathBuf::from("/home/u/blog"));
        assert_eq!(resolve("./blog/.").unwrap(), PathBuf::from("/w/x/blog"));
    }

    #[test]
    fn app_directory_base_name_must_be_valid() {
        for bad in ["invalid.dir", ".hidden", "7x", "apps/os"] {
            let err = Destination::resolve(
                Kind::App,
                &name("blog"),
                Some(Path::new(bad)),
                Path::new("/w"),
                None,
            )
            .unwrap_err();
            assert!(err.to_string().contains("app directory"), "{bad}: {err}");
        }
        // A project's directory is free: `startproject mysite .` is the common case.
        assert!(Destination::resolve(
            Kind::Project,
            &name("mysite"),
            Some(Path::new(".")),
            Path::new("/w"),
            None
        )
        .is_ok());
    }
}
