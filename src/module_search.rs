//! Where Python would find a top-level module of a given name: the directories scaffold reads in
//! place of Django's `importlib.util.find_spec(name)`, and the lookup in them. No Python runs.
//!
//! The search path is the working directory (what `python -m django` and `manage.py` put
//! first), each `PYTHONPATH` directory, and the `site-packages` of the active virtual environment
//! (`VIRTUAL_ENV`, else `./.venv`). In each, a name is taken as Python's path finder takes it: a
//! package directory `NAME/` (regular with an `__init__` module, else a namespace package), or a
//! module file `NAME.py`, `NAME.pyc` or an extension module `NAME.so`, `NAME.abi3.so`,
//! `NAME.cpython-*.so`. Reading the directories is the caller's job (see [`read_entries`]), so
//! the lookup itself is a pure function of listings.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Why a directory is on the search path; decides the hint's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    WorkingDirectory,
    PythonPath,
    VirtualEnv,
}

/// One directory of the search path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchDir {
    pub(crate) path: PathBuf,
    pub(crate) origin: Origin,
}

/// An entry of a directory listing: its name and whether it is a directory (links followed, as
/// Python's `os.path.isdir`).
pub(crate) type Entry = (String, bool);

/// Lists the entries of a directory whose names start with a prefix; an unreadable or missing
/// directory lists nothing.
pub(crate) type Entries<'a> = &'a dyn Fn(&Path, &str) -> Vec<Entry>;

/// What Python would import under the name, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The module file or package directory.
    pub(crate) path: PathBuf,
    pub(crate) origin: Origin,
    pub(crate) kind: FoundKind,
    /// A regular package beside a `manage.py`: the package of the Django project in that
    /// directory.
    pub(crate) project_package: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FoundKind {
    /// A directory with an `__init__` module.
    Package,
    /// A directory without one: Python imports it as a namespace package.
    NamespacePackage,
    /// `NAME.py`, `NAME.pyc` or an extension module.
    Module,
}

/// The search path for the working directory `cwd`, the value of `PYTHONPATH` and the active
/// virtual environment (`VIRTUAL_ENV`; None: `./.venv` if it has a `lib/python3.*`).
pub(crate) fn search_path(
    cwd: &Path,
    pythonpath: Option<&OsStr>,
    virtual_env: Option<&OsStr>,
    entries: Entries,
) -> Vec<SearchDir> {
    let mut dirs = vec![SearchDir {
        path: cwd.to_path_buf(),
        origin: Origin::WorkingDirectory,
    }];
    if let Some(pythonpath) = pythonpath {
        for part in std::env::split_paths(pythonpath) {
            // An empty entry is the working directory, as Python reads it.
            let path = if part.as_os_str().is_empty() {
                cwd.to_path_buf()
            } else {
                cwd.join(part)
            };
            dirs.push(SearchDir {
                path,
                origin: Origin::PythonPath,
            });
        }
    }
    let venv = match virtual_env.filter(|v| !v.is_empty()) {
        Some(venv) => cwd.join(venv),
        None => cwd.join(".venv"),
    };
    let lib = venv.join("lib");
    let mut versions: Vec<String> = entries(&lib, "python3.")
        .into_iter()
        .filter(|(_, is_dir)| *is_dir)
        .map(|(name, _)| name)
        .collect();
    versions.sort();
    for version in versions {
        dirs.push(SearchDir {
            path: lib.join(version).join("site-packages"),
            origin: Origin::VirtualEnv,
        });
    }
    dirs
}

/// The module or package Python would import as `name` from `search`, if any. A namespace
/// package that is `exempt` (the DIRECTORY scaffold was asked to fill) is not counted: it is the
/// target itself, not something the new code would collide with.
pub(crate) fn find(
    name: &str,
    search: &[SearchDir],
    exempt: Option<&Path>,
    entries: Entries,
) -> Option<Found> {
    let mut namespace = None;
    for dir in search {
        let listing = entries(&dir.path, name);
        let found = |path: PathBuf, kind| Found {
            path,
            origin: dir.origin,
            kind,
            project_package: false,
        };
        // Python's path finder: a regular package, then a module file, then (only when no
        // directory of the path has either) a namespace package.
        if listing.iter().any(|(n, is_dir)| *is_dir && n == name) {
            let package = dir.path.join(name);
            let regular = entries(&package, "__init__")
                .iter()
                .any(|(n, is_dir)| !*is_dir && is_module_file(n, "__init__"));
            if regular {
                let beside_manage = entries(&dir.path, "manage.py")
                    .iter()
                    .any(|(n, is_dir)| !*is_dir && n == "manage.py");
                return Some(Found {
                    project_package: beside_manage,
                    ..found(package, FoundKind::Package)
                });
            }
            if namespace.is_none() && exempt != Some(package.as_path()) {
                namespace = Some(found(package, FoundKind::NamespacePackage));
            }
        }
        if let Some((file, _)) = listing
            .iter()
            .find(|(n, is_dir)| !*is_dir && is_module_file(n, name))
        {
            return Some(found(dir.path.join(file), FoundKind::Module));
        }
    }
    namespace
}

/// Whether `file` is a module of that name for Python: source, bytecode or an extension module.
fn is_module_file(file: &str, name: &str) -> bool {
    let Some(suffix) = file.strip_prefix(name).and_then(|s| s.strip_prefix('.')) else {
        return false;
    };
    matches!(suffix, "py" | "pyc" | "so" | "abi3.so")
        || suffix
            .strip_prefix("cpython-")
            .is_some_and(|s| s.ends_with(".so") && !s[..s.len() - 3].contains('.'))
}

/// The real file system behind [`Entries`].
pub(crate) fn read_entries(dir: &Path, prefix: &str) -> Vec<Entry> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            if !name.starts_with(prefix) {
                return None;
            }
            let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
            Some((name, is_dir))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A file system as a map of directory -> entries (name, is_dir).
    fn fake(tree: &[(&str, &[(&str, bool)])]) -> impl Fn(&Path, &str) -> Vec<Entry> {
        let map: BTreeMap<PathBuf, Vec<Entry>> = tree
            .iter()
            .map(|(dir, entries)| {
                (
                    PathBuf::from(dir),
                    entries.iter().map(|(n, d)| (n.to_string(), *d)).collect(),
                )
            })
            .collect();
        move |dir: &Path, prefix: &str| {
            map.get(dir)
                .map(|es| {
                    es.iter()
                        .filter(|(n, _)| n.starts_with(prefix))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        }
    }

    fn cwd_only() -> Vec<SearchDir> {
        vec![SearchDir {
            path: "/w".into(),
            origin: Origin::WorkingDirectory,
        }]
    }

    #[test]
    fn module_files_python_would_import() {
        for file in [
            "x.py",
            "x.pyc",
            "x.so",
            "x.abi3.so",
            "x.cpython-313-x86_64-linux-gnu.so",
        ] {
            let fs = fake(&[("/w", &[(file, false)])]);
            let found = find("x", &cwd_only(), None, &fs).unwrap_or_else(|| panic!("{file}"));
            assert_eq!(found.path, Path::new("/w").join(file));
            assert_eq!(found.kind, FoundKind::Module);
        }
        for file in ["x", "x.txt", "xy.py", "x.py-tpl", "x.foo.so", "x.pyo"] {
            let fs = fake(&[("/w", &[(file, false)])]);
            assert_eq!(find("x", &cwd_only(), None, &fs), None, "{file}");
        }
        // A directory named like a module file is no module.
        let fs = fake(&[("/w", &[("x.py", true)])]);
        assert_eq!(find("x", &cwd_only(), None, &fs), None);
    }

    #[test]
    fn packages_regular_and_namespace() {
        let fs = fake(&[("/w", &[("x", true)]), ("/w/x", &[("__init__.py", false)])]);
        let found = find("x", &cwd_only(), None, &fs).unwrap();
        assert_eq!(
            (found.kind, found.project_package),
            (FoundKind::Package, false)
        );
        let fs = fake(&[("/w", &[("x", true)]), ("/w/x", &[("models.py", false)])]);
        assert_eq!(
            find("x", &cwd_only(), None, &fs).unwrap().kind,
            FoundKind::NamespacePackage
        );
        // The project's own package, beside manage.py.
        let fs = fake(&[
            ("/w", &[("mysite", true), ("manage.py", false)]),
            (
                "/w/mysite",
                &[("__init__.py", false), ("settings.py", false)],
            ),
        ]);
        assert!(
            find("mysite", &cwd_only(), None, &fs)
                .unwrap()
                .project_package
        );
    }

    #[test]
    fn the_target_directory_itself_is_not_a_conflict() {
        let fs = fake(&[("/w", &[("blog", true)])]);
        assert_eq!(
            find("blog", &cwd_only(), Some(Path::new("/w/blog")), &fs),
            None
        );
        assert!(find("blog", &cwd_only(), None, &fs).is_some());
        // ...unless it already is a regular package.
        let fs = fake(&[
            ("/w", &[("blog", true)]),
            ("/w/blog", &[("__init__.py", false)]),
        ]);
        assert!(find("blog", &cwd_only(), Some(Path::new("/w/blog")), &fs).is_some());
    }

    #[test]
    fn search_path_from_cwd_pythonpath_and_venv() {
        let fs = fake(&[
            ("/env/lib", &[("python3.12", true), ("python3.11", true)]),
            ("/w/.venv/lib", &[("python3.13", true)]),
        ]);
        let dirs = search_path(
            Path::new("/w"),
            Some(OsStr::new("/a::rel")),
            Some(OsStr::new("/env")),
            &fs,
        );
        let got: Vec<(&Path, Origin)> = dirs.iter().map(|d| (d.path.as_path(), d.origin)).collect();
        assert_eq!(
            got,
            vec![
                (Path::new("/w"), Origin::WorkingDirectory),
                (Path::new("/a"), Origin::PythonPath),
                (Path::new("/w"), Origin::PythonPath),
                (Path::new("/w/rel"), Origin::PythonPath),
                (
                    Path::new("/env/lib/python3.11/site-packages"),
                    Origin::VirtualEnv
                ),
                (
                    Path::new("/env/lib/python3.12/site-packages"),
                    Origin::VirtualEnv
                ),
            ]
        );
        // Without VIRTUAL_ENV: ./.venv.
        let dirs = search_path(Path::new("/w"), None, None, &fs);
        assert_eq!(
            dirs.last().map(|d| d.path.as_path()),
            Some(Path::new("/w/.venv/lib/python3.13/site-packages"))
        );
    }

    #[test]
    fn first_definition_on_the_path_wins_and_namespaces_come_last() {
        let search = vec![
            SearchDir {
                path: "/w".into(),
                origin: Origin::WorkingDirectory,
            },
            SearchDir {
                path: "/pp".into(),
                origin: Origin::PythonPath,
            },
            SearchDir {
                path: "/venv/site".into(),
                origin: Origin::VirtualEnv,
            },
        ];
        let fs = fake(&[
            ("/w", &[("x", true)]),
            ("/pp", &[("y.py", false)]),
            ("/venv/site", &[("x.py", false), ("z", true)]),
            ("/venv/site/z", &[("__init__.py", false)]),
        ]);
        let x = find("x", &search, None, &fs).unwrap();
        assert_eq!(
            (x.path.as_path(), x.origin),
            (Path::new("/venv/site/x.py"), Origin::VirtualEnv)
        );
        assert_eq!(
            find("y", &search, None, &fs).unwrap().origin,
            Origin::PythonPath
        );
        assert_eq!(
            find("z", &search, None, &fs).unwrap().kind,
            FoundKind::Package
        );
        assert_eq!(find("w", &search, None, &fs), None);
    }
}
