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

use tree_sitter::Node;

use super::merge::{Addition, Policy};
use super::python::{self, Source};
use crate::DjangoVersion;

/// Django 6.1's `DEPRECATED_EMAIL_SETTINGS`: not allowed beside `MAILERS`.
pub(crate) const LEGACY_EMAIL_SETTINGS: [&str; 11] = [
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
pub(crate) fn settings_files(root: &Path, settings: Option<&Path>) -> Vec<PathBuf> {
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
pub(crate) struct Rules<'a> {
    pub(crate) root: &'a Path,
    /// The file being merged, relative to the root.
    pub(crate) file: &'a Path,
    /// Whether it is the settings module startproject wrote.
    pub(crate) settings: bool,
    pub(crate) settings_files: &'a [PathBuf],
    /// The project's package (`mysite`): absolute imports inside it are the project's own.
    pub(crate) package: Package<'a>,
    pub(crate) to: DjangoVersion,
}

/// The context processor that gives templates `debug` and `sql_queries` (Django 5.2's
/// template dropped it).
const DEBUG_PROCESSOR: &str = "'django.template.context_processors.debug'";

impl Policy for Rules<'_> {
    fn addition(&self, key: &str) -> Addition {
        if !self.settings || key != "=MAILERS" {
            return Addition::Add;
        }
        let set = settings_assignments(self.root, self.settings_files, self.package);
        let mut found: Vec<&str> = Vec::new();
        let mut where_: Vec<String> = Vec::new();
        for (file, name) in &set.names {
            if LEGACY_EMAIL_SETTINGS.contains(&name.as_str()) {
                found.push(name);
                let file = crate::report::slash_path(file);
                if !where_.contains(&file) {
                    where_.push(file);
                }
            }
        }
        if found.is_empty() {
            if set.dynamic.is_empty() {
                return Addition::Add;
            }
            return Addition::AddNoting(format!(
                "MAILERS added to {}, but {} set names in ways that cannot be seen statically; if they set any of {}, Django {} refuses MAILERS beside them (ImproperlyConfigured): check, and remove MAILERS or them",
                crate::report::slash_path(self.file),
                set.dynamic.join(", "),
                LEGACY_EMAIL_SETTINGS.join(", "),
                self.to,
            ));
        }
        found.sort();
        found.dedup();
        Addition::Skip(format!(
            "MAILERS not added to {}: {} sets {}, and Django {} refuses MAILERS beside them (ImproperlyConfigured). They keep working until Django 2028 removes them (RemovedInDjango2028Warning); to move on, replace them with a MAILERS = {{'default': {{'BACKEND': ..., 'OPTIONS': {{...}}}}}} entry (https://docs.djangoproject.com/en/{}/topics/email/)",
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

    fn keep_removed_element(&self, key: &str, element: &str) -> Option<String> {
        if !self.settings || key != "=TEMPLATES" || element != DEBUG_PROCESSOR {
            return None;
        }
        let (template, variable) = template_reading_debug(self.root)?;
        Some(format!(
            "{DEBUG_PROCESSOR} stays in TEMPLATES in {}, though Django {}'s template removes it: {} reads `{variable}`, which only that context processor provides",
            crate::report::slash_path(self.file),
            self.to,
            crate::report::slash_path(&template),
        ))
    }
}

/// What the settings modules set: each name with the file that sets it, and the constructs
/// (with file and line) that set names where no scan can see which.
#[derive(Debug, Default)]
struct Assigned {
    names: Vec<(PathBuf, String)>,
    dynamic: Vec<String>,
}

/// How many modules deep star imports of the project's own modules are followed.
const MAX_IMPORT_DEPTH: usize = 8;

/// The names the settings modules set, wherever they set them: at any nesting (`if`, `try`,
/// `with`, `for`), by assignment of any target shape, augmented or annotated assignment,
/// `for` and `with ... as` targets, walrus, and imports; and in the project's own modules that
/// they import with `import *` (followed, also inside `try`).
fn settings_assignments(root: &Path, files: &[PathBuf], package: Package) -> Assigned {
    let mut out = Assigned::default();
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut pending: Vec<(PathBuf, usize)> = files.iter().map(|f| (f.clone(), 0)).collect();
    while let Some((file, depth)) = pending.pop() {
        if seen.contains(&file) {
            continue;
        }
        seen.push(file.clone());
        let Some(text) = read_small(&root.join(&file)) else {
            continue;
        };
        let Some(source) = Source::parse(&text) else {
            continue;
        };
        let mut star_imports = Vec::new();
        python::visit(source.root(), &mut |node| {
            let slice = |n: Node| &text[n.byte_range()];
            match node.kind() {
                "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                    if node.kind() == "for_in_clause" {
                        return; // a comprehension's variable is its own
                    }
                    if let Some(left) = node.child_by_field_name("left") {
                        for name in target_names(left, &text) {
                            out.names.push((file.clone(), name));
                        }
                    }
                }
                "as_pattern_target" | "named_expression" => {
                    let target = if node.kind() == "named_expression" {
                        node.child_by_field_name("name")
                    } else {
                        Some(node)
                    };
                    if let Some(t) = target {
                        for name in target_names(t, &text) {
                            out.names.push((file.clone(), name));
                        }
                    }
                }
                "import_from_statement" => {
                    let Some(module) = node.child_by_field_name("module_name") else {
                        return;
                    };
                    let mut cursor = node.walk();
                    let mut star = false;
                    for child in node.named_children(&mut cursor) {
                        match child.kind() {
                            "wildcard_import" => star = true,
                            "dotted_name" if child != module => {
                                out.names.push((file.clone(), slice(child).to_owned()));
                            }
                            "aliased_import" => {
                                if let Some(alias) = child.child_by_field_name("alias") {
                                    out.names.push((file.clone(), slice(alias).to_owned()));
                                }
                            }
                            _ => {}
                        }
                    }
                    if star {
                        if let Some(target) = module_path(&file, &package, slice(module)) {
                            star_imports.push(target);
                        }
                    }
                }
                "call" => {
                    let Some(function) = node.child_by_field_name("function") else {
                        return;
                    };
                    let name = slice(function);
                    let dynamic = matches!(name, "exec" | "setattr" | "globals().update")
                        || name.ends_with("globals().update")
                        || name == "vars().update"
                        || name == "locals().update";
                    if dynamic {
                        out.dynamic.push(format!(
                            "{} (line {}: {name}(...))",
                            crate::report::slash_path(&file),
                            node.start_position().row + 1
                        ));
                    }
                }
                "subscript" => {
                    let target = node
                        .parent()
                        .filter(|p| matches!(p.kind(), "assignment" | "augmented_assignment"))
                        .and_then(|p| p.child_by_field_name("left"))
                        .is_some_and(|l| l == node);
                    let value = node.child_by_field_name("value").map(slice);
                    if target && matches!(value, Some("globals()" | "vars()" | "locals()")) {
                        out.dynamic.push(format!(
                            "{} (line {}: {}[...] = ...)",
                            crate::report::slash_path(&file),
                            node.start_position().row + 1,
                            value.unwrap_or_default()
                        ));
                    }
                }
                _ => {}
            }
        });
        if depth < MAX_IMPORT_DEPTH {
            for target in star_imports {
                for candidate in [target.with_extension("py"), target.join("__init__.py")] {
                    if root.join(&candidate).is_file() {
                        pending.push((candidate, depth + 1));
                        break;
                    }
                }
            }
        }
    }
    out.dynamic.sort();
    out.dynamic.dedup();
    out
}

/// The plain names a target binds: `A`, `A, B`, `(A, [B, *C])`, `A: int`; not attributes or
/// subscripts (`x.A`, `d['A']`), which bind no module name.
fn target_names(target: Node, text: &str) -> Vec<String> {
    let mut names = Vec::new();
    python::visit_pruned(target, &mut |n| match n.kind() {
        "identifier" => {
            names.push(text[n.byte_range()].to_owned());
            false
        }
        "attribute" | "subscript" | "call" | "type" => false,
        _ => true,
    });
    names
}

/// A template file of the project that reads `debug` or `sql_queries` in a tag or a variable,
/// and which of the two.
fn template_reading_debug(root: &Path) -> Option<(PathBuf, &'static str)> {
    let mut budget = MAX_FILES;
    let mut found = None;
    walk(
        root,
        Path::new(""),
        0,
        &mut budget,
        is_template,
        &mut |rel, text| {
            let hit = ["debug", "sql_queries"]
                .into_iter()
                .find(|var| template_tags(text).any(|tag| contains_word(tag, var)));
            if let Some(var) = hit {
                found = Some((rel.to_owned(), var));
            }
            hit.is_some()
        },
    );
    found
}

/// A file Django's template loaders would read: below a `templates` directory, or with a
/// template's extension.
fn is_template(rel: &Path) -> bool {
    let in_templates = rel
        .parent()
        .is_some_and(|p| p.components().any(|c| c.as_os_str() == "templates"));
    let extension = rel
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| matches!(x, "html" | "htm" | "txt" | "xml" | "jinja" | "jinja2"));
    in_templates || extension
}

/// The insides of `{{ ... }}` and `{% ... %}` in a template's text.
fn template_tags(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || loop {
        let open = rest.find('{')?;
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let inner = &after[1..];
        let end = inner.find(close).unwrap_or(inner.len());
        rest = &inner[end..];
        return Some(&inner[..end]);
    })
}

/// The top-level imports of the project's own modules in `modules` (each a settings module's
/// path and its text after the upgrade) that resolve to no file, as notes: split settings are
/// loaded through `from .base import *`, and Django would fail on such a line. Imports inside
/// `try` (an optional `local_settings`) and of other packages are not checked.
pub(crate) fn unresolved_imports(
    root: &Path,
    package: Package,
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
            let Some(target) = module_path(file, &package, dotted) else {
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

/// The project's package: its name, and where it is imported from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Package<'a> {
    pub(crate) name: &'a str,
    pub(crate) import_root: &'a super::ImportRoot,
}

/// The path (without extension) of the module `dotted` imported from `file`: relative imports
/// from the file's package, absolute ones only inside the project's own `package`.
fn module_path(file: &Path, package: &Package, dotted: &str) -> Option<PathBuf> {
    let dots = dotted.len() - dotted.trim_start_matches('.').len();
    let rest = dotted[dots..].trim();
    let mut base = if dots > 0 {
        let mut dir = file.parent()?.to_path_buf();
        for _ in 1..dots {
            dir = dir.parent()?.to_path_buf();
        }
        dir
    } else {
        if rest.split('.').next() != Some(package.name) {
            return None;
        }
        package.import_root.absolute().0
    };
    if rest.is_empty() {
        return None; // `from . import x`: names, not a module
    }
    // With manage.py inside the package, the package is the root itself.
    let skip = if dots == 0 {
        package.import_root.absolute().1
    } else {
        0
    };
    for part in rest.split('.').skip(skip) {
        base.push(part.trim());
    }
    Some(base)
}

/// A regular file's text, as discovery reads it (see [`super::project::read_optional`]);
/// None for whatever cannot be read so.
pub(crate) fn read_small(path: &Path) -> Option<String> {
    super::project::read_optional(path).ok().flatten()
}

/// The first file of the project, other than `file`, that reads setting `name`: as
/// `settings.NAME` anywhere, or as `NAME` in another settings module.
fn uses(root: &Path, file: &Path, settings_files: &[PathBuf], name: &str) -> Option<PathBuf> {
    let attribute = format!("settings.{name}");
    let mut budget = MAX_FILES;
    let mut found = None;
    let python = |p: &Path| p.extension().is_some_and(|x| x == "py");
    walk(
        root,
        Path::new(""),
        0,
        &mut budget,
        python,
        &mut |rel, text| {
            if rel == file {
                return false;
            }
            let hit = contains_word(text, &attribute)
                || (settings_files.iter().any(|s| s == rel) && contains_word(text, name));
            if hit {
                found = Some(rel.to_owned());
            }
            hit
        },
    );
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

/// Visits the project's files that `want` names until `visit` says stop; links are not
/// followed.
fn walk(
    root: &Path,
    rel: &Path,
    depth: usize,
    budget: &mut usize,
    want: fn(&Path) -> bool,
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
            if walk(root, &path, depth + 1, budget, want, visit) {
                return true;
            }
        } else if kind.is_file() && want(&path) {
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

    const MYSITE: Package = Package {
        name: "mysite",
        import_root: &crate::upgrade::ImportRoot::Root,
    };

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
            package: MYSITE,
            to: DjangoVersion::NEWEST,
        };
        let Addition::Skip(note) = rules.addition("=MAILERS") else {
            panic!("MAILERS added beside EMAIL_HOST");
        };
        assert!(
            note.contains("mysite/settings/prod.py sets EMAIL_HOST"),
            "{note}"
        );
        assert_eq!(rules.addition("=OTHER"), Addition::Add);
        fs::write(
            root.join("mysite/settings/prod.py"),
            "from .base import *\n",
        )
        .unwrap();
        assert_eq!(rules.addition("=MAILERS"), Addition::Add);
    }

    fn rules_for<'a>(root: &'a Path, file: &'a Path, files: &'a [PathBuf]) -> Rules<'a> {
        Rules {
            root,
            file,
            settings: true,
            settings_files: files,
            package: MYSITE,
            to: DjangoVersion::NEWEST,
        }
    }

    /// Issue 17, 1: a name counts wherever the settings set it.
    #[test]
    fn legacy_email_settings_count_at_any_nesting_and_through_star_imports() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("mysite")).unwrap();
        let file = PathBuf::from("mysite/settings.py");
        let files = vec![file.clone()];
        let rules = rules_for(root, &file, &files);
        for (settings, name) in [
            (
                "if DEBUG:\n    EMAIL_BACKEND = 'x'\nelse:\n    pass\n",
                "EMAIL_BACKEND",
            ),
            (
                "try:\n    pass\nexcept ImportError:\n    EMAIL_HOST = 'h'\n",
                "EMAIL_HOST",
            ),
            (
                "with open('f') as EMAIL_FILE_PATH:\n    pass\n",
                "EMAIL_FILE_PATH",
            ),
            ("for EMAIL_PORT in [25]:\n    pass\n", "EMAIL_PORT"),
            ("EMAIL_TIMEOUT: int = 5\n", "EMAIL_TIMEOUT"),
            ("X = 1\nEMAIL_USE_TLS |= True\n", "EMAIL_USE_TLS"),
            (
                "EMAIL_HOST_USER, (EMAIL_HOST_PASSWORD, X) = 'u', ('p', 1)\n",
                "EMAIL_HOST_PASSWORD",
            ),
            (
                "from os import environ as EMAIL_SSL_KEYFILE\n",
                "EMAIL_SSL_KEYFILE",
            ),
            (
                "try:\n    from .local_settings import *\nexcept ImportError:\n    pass\n",
                "EMAIL_USE_SSL",
            ),
        ] {
            fs::write(root.join(&file), settings).unwrap();
            fs::write(
                root.join("mysite/local_settings.py"),
                "from mysite.more import *\n",
            )
            .unwrap();
            fs::write(
                root.join("mysite/more.py"),
                "if True:\n    EMAIL_USE_SSL = True\n",
            )
            .unwrap();
            match rules.addition("=MAILERS") {
                Addition::Skip(note) => assert!(note.contains(name), "{settings}: {note}"),
                other => panic!("{settings}: {other:?}"),
            }
        }
        for quiet in [
            "d = {}\nd['EMAIL_HOST'] = 1\nx = [EMAIL_PORT for EMAIL_PORT in []]\n",
            "import os\n",
        ] {
            fs::write(root.join(&file), quiet).unwrap();
            assert_eq!(rules.addition("=MAILERS"), Addition::Add, "{quiet}");
        }
        fs::write(root.join(&file), "globals()['EMAIL_' + 'HOST'] = 'h'\n").unwrap();
        match rules.addition("=MAILERS") {
            Addition::AddNoting(note) => assert!(
                note.contains("cannot be seen statically") && note.contains("line 1"),
                "{note}"
            ),
            other => panic!("{other:?}"),
        }
    }

    /// Issue 17, 7: the debug context processor stays while a template reads what it gives.
    #[test]
    fn the_debug_processor_stays_for_templates_that_read_debug() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("mysite")).unwrap();
        fs::create_dir_all(root.join("blog/templates/blog")).unwrap();
        let file = PathBuf::from("mysite/settings.py");
        let files = vec![file.clone()];
        let rules = rules_for(root, &file, &files);
        let tpl = root.join("blog/templates/blog/base.html");
        fs::write(&tpl, "{% if debugging %}{{ x }}{% endif %} debug\n").unwrap();
        assert_eq!(
            rules.keep_removed_element("=TEMPLATES", DEBUG_PROCESSOR),
            None
        );
        fs::write(&tpl, "<p>{{ sql_queries|length }}</p>\n").unwrap();
        let note = rules
            .keep_removed_element("=TEMPLATES", DEBUG_PROCESSOR)
            .unwrap();
        assert!(
            note.contains("blog/templates/blog/base.html reads `sql_queries`"),
            "{note}"
        );
        assert_eq!(rules.keep_removed_element("=TEMPLATES", "'other'"), None);
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
            unresolved_imports(root, MYSITE, &modules),
            Vec::<String>::new()
        );
        let broken = [(local, "from .common import *\n".to_owned())];
        let notes = unresolved_imports(root, MYSITE, &broken);
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
            package: MYSITE,
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
