//! Django's rules between settings, which a text merge cannot see:
//!
//! - Django 6.1 raises `ImproperlyConfigured` at start-up when `MAILERS` stands beside any of the
//!   legacy `EMAIL_*` settings (`django.conf.DEPRECATED_EMAIL_SETTINGS`). Where the project sets
//!   one of them, anywhere in its settings, the template's `MAILERS` block is not added, and a
//!   note says why and what to do.
//! - A setting the new template no longer writes is removed only if nothing else in the project
//!   reads it; otherwise it is kept, with a note.

use std::fs;
use std::path::{Path, PathBuf};

use super::merge::Policy;
use super::python::{units, Source, UnitKind};
use crate::DjangoVersion;

/// Django 6.1's `DEPRECATED_EMAIL_SETTINGS`: not allowed beside `MAILERS`.
pub const LEGACY_EMAIL_SETTINGS: [&str; 11] = [
    "EMAIL_BACKEND",
    "EMAIL_FILE_PATH",
    "EMAIL_HOST",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_USER",
    "EMAIL_PORT",
    "EMAIL_SSL_CERTFILE",
    "EMAIL_SSL_KEYFILE",
    "EMAIL_TIMEOUT",
    "EMAIL_USE_SSL",
    "EMAIL_USE_TLS",
];

/// At most this many Python files are read for uses of a removed setting.
const MAX_FILES: usize = 20_000;

/// The modules that make up the project's settings: the settings file, and when it is a module
/// of a package (split settings), every module of that package. Relative to the root, sorted.
pub fn settings_files(root: &Path, settings: Option<&Path>) -> Vec<PathBuf> {
    let Some(settings) = settings else {
        return Vec::new();
    };
    let mut out = vec![settings.to_owned()];
    if let Some(package) = settings
        .parent()
        .filter(|p| root.join(p).join("__init__.py").is_file())
        .filter(|p| !p.as_os_str().is_empty())
    {
        if let Ok(entries) = fs::read_dir(root.join(package)) {
            for entry in entries.flatten() {
                let path = package.join(entry.file_name());
                if path.extension().is_some_and(|x| x == "py") && !out.contains(&path) {
                    // A project package's own modules (urls.py, wsgi.py) are not settings: only
                    // a package named for settings is read whole.
                    if package.file_name().is_some_and(|n| n == "settings") {
                        out.push(path);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// The rules for one file's merge.
pub struct Rules<'a> {
    pub root: &'a Path,
    /// The file being merged, relative to the root.
    pub file: &'a Path,
    /// Whether it is the settings module startproject wrote.
    pub settings: bool,
    pub settings_files: &'a [PathBuf],
    pub to: DjangoVersion,
}

impl Policy for Rules<'_> {
    fn skip_addition(&self, key: &str) -> Option<String> {
        if !self.settings || key != "=MAILERS" {
            return None;
        }
        let mut found: Vec<String> = Vec::new();
        let mut where_: Vec<String> = Vec::new();
        for file in self.settings_files {
            let names = assigned_names(&self.root.join(file));
            let legacy: Vec<String> = names
                .into_iter()
                .filter(|n| LEGACY_EMAIL_SETTINGS.contains(&n.as_str()))
                .collect();
            if !legacy.is_empty() {
                where_.push(crate::report::slash_path(file));
                found.extend(legacy);
            }
        }
        if found.is_empty() {
            return None;
        }
        found.sort();
        found.dedup();
        Some(format!(
            "MAILERS not added to {}: {} sets {}, and Django {} refuses MAILERS beside them (ImproperlyConfigured). They keep working, deprecated until Django 2028; to move on, replace them with a MAILERS = {{'default': {{'BACKEND': ..., 'OPTIONS': {{...}}}}}} entry (https://docs.djangoproject.com/en/{}/topics/email/)",
            crate::report::slash_path(self.file),
            where_.join(", "),
            found.join(", "),
            self.to,
            self.to.docs_version(),
        ))
    }

    fn keep_removed(&self, key: &str) -> Option<String> {
        if !self.settings {
            return None;
        }
        let name = key.strip_prefix('=')?;
        if !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let user = uses(self.root, self.file, self.settings_files, name)?;
        Some(format!(
            "{name} kept in {}: Django {}'s template no longer sets it, but {} reads it",
            crate::report::slash_path(self.file),
            self.to,
            crate::report::slash_path(&user),
        ))
    }
}

/// The top-level imports of the project's own modules in `modules` (each a settings module's
/// path and its text after the upgrade) that resolve to no file, as notes: split settings are
/// loaded through `from .base import *`, and Django would fail on such a line. Imports inside
/// `try` (an optional `local_settings`) and of other packages are not checked.
pub fn unresolved_imports(
    root: &Path,
    package: &str,
    modules: &[(PathBuf, String)],
) -> Vec<String> {
    let mut notes = Vec::new();
    for (file, text) in modules {
        let Some(source) = Source::parse(text) else {
            continue;
        };
        let root_node = source.root();
        let mut cursor = root_node.walk();
        for statement in root_node.named_children(&mut cursor) {
            if statement.kind() != "import_from_statement" {
                continue;
            }
            let Some(module) = statement.child_by_field_name("module_name") else {
                continue;
            };
            let dotted = &text[module.byte_range()];
            let Some(target) = module_path(file, package, dotted) else {
                continue;
            };
            let found = [target.with_extension("py"), target.join("__init__.py")]
                .iter()
                .any(|p| root.join(p).is_file());
            if !found {
                notes.push(format!(
                    "{}: `from {dotted} import ...` names no module of the project; Django cannot load these settings until it does",
                    crate::report::slash_path(file)
                ));
            }
        }
    }
    notes
}

/// The path (without extension) of the module `dotted` imported from `file`: relative imports
/// from the file's package, absolute ones only inside the project's own `package`.
fn module_path(file: &Path, package: &str, dotted: &str) -> Option<PathBuf> {
    let dots = dotted.len() - dotted.trim_start_matches('.').len();
    let rest = dotted[dots..].trim();
    let mut base = if dots > 0 {
        let mut dir = file.parent()?.to_path_buf();
        for _ in 1..dots {
            dir = dir.parent()?.to_path_buf();
        }
        dir
    } else {
        if rest.split('.').next() != Some(package) {
            return None;
        }
        PathBuf::new()
    };
    if rest.is_empty() {
        return None; // `from . import x`: names, not a module
    }
    for part in rest.split('.') {
        base.push(part.trim());
    }
    Some(base)
}

/// A regular file's text, as discovery reads it (see [`super::project::read_optional`]);
/// None for whatever cannot be read so.
pub(crate) fn read_small(path: &Path) -> Option<String> {
    super::project::read_optional(path).ok().flatten()
}

/// The names a Python file assigns at top level.
fn assigned_names(path: &Path) -> Vec<String> {
    let Some(text) = read_small(path) else {
        return Vec::new();
    };
    let Some(source) = Source::parse(&text) else {
        return Vec::new();
    };
    units(&source, source.root())
        .into_iter()
        .filter(|u| u.kind == UnitKind::Statement)
        .filter_map(|u| {
            let key = u.key.strip_prefix('=')?;
            Some(key.split('#').next().unwrap_or(key).to_owned())
        })
        .collect()
}

/// The first file of the project, other than `file`, that reads setting `name`: as
/// `settings.NAME` anywhere, or as `NAME` in another settings module.
fn uses(root: &Path, file: &Path, settings_files: &[PathBuf], name: &str) -> Option<PathBuf> {
    let attribute = format!("settings.{name}");
    let mut budget = MAX_FILES;
    let mut found = None;
    walk(root, Path::new(""), 0, &mut budget, &mut |rel, text| {
        if rel == file {
            return false;
        }
        let hit = contains_word(text, &attribute)
            || (settings_files.iter().any(|s| s == rel) && contains_word(text, name));
        if hit {
            found = Some(rel.to_owned());
        }
        hit
    });
    found
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !ident(before) && !ident(after)
    })
}

/// Visits the project's Python files until `visit` says stop; links are not followed.
fn walk(
    root: &Path,
    rel: &Path,
    depth: usize,
    budget: &mut usize,
    visit: &mut dyn FnMut(&Path, &str) -> bool,
) -> bool {
    if depth > 8 {
        return false;
    }
    let Ok(entries) = fs::read_dir(root.join(rel)) else {
        return false;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = rel.join(&name);
        if kind.is_dir() {
            if name_str.starts_with('.')
                || super::project::SKIPPED_DIRS.contains(&name_str.as_ref())
            {
                continue;
            }
            if walk(root, &path, depth + 1, budget, visit) {
                return true;
            }
        } else if kind.is_file() && name_str.ends_with(".py") {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            if let Some(text) = read_small(&root.join(&path)) {
                if visit(&path, &text) {
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_whole() {
        assert!(contains_word("x = settings.DEBUG\n", "settings.DEBUG"));
        assert!(!contains_word(
            "x = settings.DEBUG_TOOLBAR\n",
            "settings.DEBUG"
        ));
        assert!(!contains_word("MY_DEBUG = 1\n", "DEBUG"));
    }

    #[test]
    fn mailers_wait_for_legacy_email_settings_to_go() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("mysite/settings")).unwrap();
        fs::write(root.join("mysite/settings/__init__.py"), "").unwrap();
        fs::write(root.join("mysite/settings/base.py"), "DEBUG = True\n").unwrap();
        fs::write(
            root.join("mysite/settings/prod.py"),
            "from .base import *\nEMAIL_HOST = 'smtp'\n",
        )
        .unwrap();
        let base = PathBuf::from("mysite/settings/base.py");
        let files = settings_files(root, Some(&base));
        assert_eq!(files.len(), 3);
        let rules = Rules {
            root,
            file: &base,
            settings: true,
            settings_files: &files,
            to: DjangoVersion::NEWEST,
        };
        let note = rules.skip_addition("=MAILERS").unwrap();
        assert!(
            note.contains("mysite/settings/prod.py sets EMAIL_HOST"),
            "{note}"
        );
        assert_eq!(rules.skip_addition("=OTHER"), None);
        fs::write(
            root.join("mysite/settings/prod.py"),
            "from .base import *\n",
        )
        .unwrap();
        assert_eq!(rules.skip_addition("=MAILERS"), None);
    }

    #[test]
    fn split_settings_must_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("mysite/settings")).unwrap();
        fs::write(root.join("mysite/settings/base.py"), "").unwrap();
        let local = PathBuf::from("mysite/settings/local.py");
        let modules = [(
            local.clone(),
            "from .base import *\nfrom mysite.settings.base import DEBUG\nfrom django.conf import global_settings\ntry:\n    from .local_settings import *\nexcept ImportError:\n    pass\n".to_owned(),
        )];
        assert_eq!(
            unresolved_imports(root, "mysite", &modules),
            Vec::<String>::new()
        );
        let broken = [(local, "from .common import *\n".to_owned())];
        let notes = unresolved_imports(root, "mysite", &broken);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("mysite/settings/local.py: `from .common import ...`"),
            "{notes:?}"
        );
    }

    #[test]
    fn a_removed_setting_read_elsewhere_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("mysite")).unwrap();
        fs::create_dir_all(root.join("blog")).unwrap();
        fs::write(
            root.join("mysite/settings.py"),
            "DEFAULT_AUTO_FIELD = 'x'\n",
        )
        .unwrap();
        fs::write(root.join("blog/models.py"), "print(1)\n").unwrap();
        let file = PathBuf::from("mysite/settings.py");
        let files = settings_files(root, Some(&file));
        let rules = Rules {
            root,
            file: &file,
            settings: true,
            settings_files: &files,
            to: DjangoVersion::NEWEST,
        };
        assert_eq!(rules.keep_removed("=DEFAULT_AUTO_FIELD"), None);
        fs::write(
            root.join("blog/models.py"),
            "from django.conf import settings\nF = settings.DEFAULT_AUTO_FIELD\n",
        )
        .unwrap();
        let note = rules.keep_removed("=DEFAULT_AUTO_FIELD").unwrap();
        assert!(note.contains("blog/models.py reads it"), "{note}");
    }
}
