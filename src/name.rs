//! Project and app names: Python's identifier rules, keywords, and names that would shadow a module.

use std::fmt;

use heck::ToSnakeCase;
use unicode_normalization::UnicodeNormalization;

use crate::error::Error;
use crate::module_search::{Found, FoundKind, Origin};
use crate::stdlib::is_stdlib_module;
use django_template::python::python_title;

/// What is being created: decides the wording of messages and the template used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// startproject.
    Project,
    /// startapp.
    App,
}

impl Kind {
    /// `project` or `app`, as Django words its messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::App => "app",
        }
    }

    /// The article Django puts before the kind: "a project", "an app".
    pub(crate) fn article(self) -> &'static str {
        match self {
            Kind::Project => "a",
            Kind::App => "an",
        }
    }
}

/// Whether the thing checked is the name itself or the base name of the target directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// NAME.
    Name,
    /// DIRECTORY's last component (startapp NAME DIRECTORY).
    Directory,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Name => "name",
            Role::Directory => "directory",
        }
    }
}

/// A name that Python can import as a top-level package without shadowing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageName(String);

impl PackageName {
    /// Validates `raw` as Django's `TemplateCommand.validate_name` does, with the interpreter's
    /// module check replaced by the carried standard-library list, and two rules Django leaves to
    /// the interpreter made explicit: keywords and names that are not in NFKC form.
    pub fn parse(raw: &str, kind: Kind, role: Role) -> Result<Self, Error> {
        if let Some(reason) = identifier_problem(raw) {
            return Err(Error::InvalidName {
                message: format!(
                    "'{raw}' is not a valid {kind} {role}. Please make sure the {role} is a valid identifier.",
                    kind = kind.as_str(),
                    role = role.as_str(),
                ),
                hint: reason.hint(raw, kind, role),
            });
        }
        if raw == "django" || is_stdlib_module(raw) {
            return Err(Error::InvalidName {
                message: conflict_message(raw, kind, role),
                hint: alternative(raw, kind, role),
            });
        }
        Ok(PackageName(raw.to_owned()))
    }

    /// The last part of an existing app's module (`api.email`'s `email`): an identifier, which
    /// as a subpackage may share a standard-library module's name.
    pub(crate) fn existing_module(raw: &str) -> Option<Self> {
        identifier_problem(raw)
            .is_none()
            .then(|| PackageName(raw.to_owned()))
    }

    /// Refuses the name when Python would import something else under it from where the code
    /// will run (see [`crate::module_search`]), as Django's `find_spec` check does: same message
    /// as for a standard-library module, and a hint saying what and where that module is.
    pub(crate) fn check_not_importable(
        &self,
        found: Option<Found>,
        kind: Kind,
        role: Role,
    ) -> Result<(), Error> {
        let Some(found) = found else {
            return Ok(());
        };
        let raw = self.as_str();
        let other = alternative_name(raw, kind, role)
            .map(|a| format!(", e.g. '{a}'"))
            .unwrap_or_default();
        let hint = if found.project_package && found.origin == Origin::WorkingDirectory {
            format!(
                "'{raw}' is the package of the Django project in this directory (beside manage.py); \
                 {a} {kind} needs a {role} of its own{other}",
                a = kind.article(),
                kind = kind.as_str(),
                role = role.as_str(),
            )
        } else if found.kind == FoundKind::NamespacePackage
            && found.origin == Origin::WorkingDirectory
            && role == Role::Name
        {
            format!(
                "Python would import the directory {} as '{raw}' (a namespace package); choose another name{other}; \
                 or generate into that directory: scaffold start{kind} {raw} {raw}",
                found.path.display(),
                kind = kind.as_str(),
            )
        } else {
            let place = match found.origin {
                Origin::WorkingDirectory => "the working directory",
                Origin::PythonPath => "a PYTHONPATH directory",
                Origin::VirtualEnv => "the virtual environment",
            };
            format!(
                "Python would import '{raw}' from {} (in {place}); choose another {role}{other}",
                found.path.display(),
                role = role.as_str(),
            )
        };
        Err(Error::InvalidName {
            message: conflict_message(raw, kind, role),
            hint: Some(hint),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Django's `"".join(x for x in name.title() if x != "_")`, used for `camel_case_*_name`.
    pub(crate) fn camel_case(&self) -> String {
        python_title(&self.0)
            .chars()
            .filter(|&c| c != '_')
            .collect()
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn conflict_message(raw: &str, kind: Kind, role: Role) -> String {
    format!(
        "'{raw}' conflicts with the name of an existing Python module and cannot be used as {a} {kind} {role}. Please try another {role}.",
        a = kind.article(),
        kind = kind.as_str(),
        role = role.as_str(),
    )
}

enum Problem {
    NotIdentifier,
    Keyword,
    NotNfkc(String),
}

impl Problem {
    fn hint(&self, raw: &str, kind: Kind, role: Role) -> Option<String> {
        match self {
            Problem::NotIdentifier => suggestion(raw, kind, role)
                .map(|s| format!("'{s}' would be valid"))
                .or_else(|| {
                    Some(
                        "a name starts with a letter or underscore and holds only letters, digits and underscores"
                            .to_owned(),
                    )
                }),
            Problem::Keyword => Some(format!(
                "'{raw}' is a Python keyword{}",
                alternative_suffix(raw, kind, role)
            )),
            Problem::NotNfkc(normal) => Some(format!(
                "Python would import '{raw}' as '{normal}'; use '{normal}' if that is what you mean"
            )),
        }
    }
}

/// Python's `str.isidentifier()` (XID_Start or `_`, then XID_Continue), plus keywords and NFKC.
fn identifier_problem(raw: &str) -> Option<Problem> {
    let mut chars = raw.chars();
    let valid = match chars.next() {
        Some(first) => {
            (first == '_' || unicode_ident::is_xid_start(first))
                && chars.all(unicode_ident::is_xid_continue)
        }
        None => false,
    };
    if !valid {
        return Some(Problem::NotIdentifier);
    }
    if PYTHON_KEYWORDS.contains(&raw) {
        return Some(Problem::Keyword);
    }
    let normal: String = raw.nfkc().collect();
    if normal != raw {
        return Some(Problem::NotNfkc(normal));
    }
    None
}

/// `keyword.kwlist` of CPython 3.11 to 3.14 (soft keywords such as `match` are valid names).
const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn is_acceptable(candidate: &str) -> bool {
    identifier_problem(candidate).is_none() && candidate != "django" && !is_stdlib_module(candidate)
}

/// A valid name close to an invalid one: `my-site` -> `my_site`, `My Site` -> `my_site`.
fn suggestion(raw: &str, _kind: Kind, role: Role) -> Option<String> {
    // A path is never "nearly" a name: suggesting `site` for `../site` would hide a real mistake.
    if role == Role::Name && (raw.contains('/') || raw.contains('\\')) {
        return None;
    }
    let snake = raw.to_snake_case();
    let candidate = if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else {
        snake
    };
    (candidate != raw && is_acceptable(&candidate)).then_some(candidate)
}

fn alternative_name(raw: &str, kind: Kind, role: Role) -> Option<String> {
    let candidate = match role {
        Role::Directory => format!("{raw}_app"),
        Role::Name => format!("{raw}_{}", kind.as_str()),
    };
    is_acceptable(&candidate).then_some(candidate)
}

fn alternative(raw: &str, kind: Kind, role: Role) -> Option<String> {
    alternative_name(raw, kind, role).map(|candidate| format!("'{candidate}' would be valid"))
}

fn alternative_suffix(raw: &str, kind: Kind, role: Role) -> String {
    alternative(raw, kind, role)
        .map(|a| format!("; {a}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(raw: &str) -> Result<PackageName, Error> {
        PackageName::parse(raw, Kind::Project, Role::Name)
    }

    #[test]
    fn accepts_identifiers_including_unicode() {
        for ok in [
            "mysite",
            "_private",
            "site2",
            "café",
            "данные",
            "Mysite",
            "match",
            "_",
        ] {
            assert!(project(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_non_identifiers_with_django_wording() {
        let err = project("my-site").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'my-site' is not a valid project name. Please make sure the name is a valid identifier."
        );
        assert_eq!(err.hint().as_deref(), Some("'my_site' would be valid"));
        for bad in ["", "7x", "a b", "../site", "a/b", "a.b", "x-", "-x"] {
            assert!(project(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            project("../site")
                .unwrap_err()
                .hint()
                .as_deref()
                .map(|h| h.contains("would be valid")),
            Some(false)
        );
    }

    #[test]
    fn refuses_keywords_and_non_nfkc() {
        assert!(project("class")
            .unwrap_err()
            .hint()
            .unwrap()
            .contains("keyword"));
        assert!(project("None").is_err());
        let err = project("ﬁle").unwrap_err();
        assert!(err.hint().unwrap().contains("'file'"), "{:?}", err.hint());
    }

    #[test]
    fn refuses_stdlib_and_django_with_django_wording() {
        let err = project("os").unwrap_err();
        assert_eq!(
            err.to_string(),
            "'os' conflicts with the name of an existing Python module and cannot be used as a project name. Please try another name."
        );
        let err = PackageName::parse("django", Kind::App, Role::Directory).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'django' conflicts with the name of an existing Python module and cannot be used as an app directory. Please try another directory."
        );
    }

    fn found(path: &str, origin: Origin, kind: FoundKind, project_package: bool) -> Option<Found> {
        Some(Found {
            path: path.into(),
            origin,
            kind,
            project_package,
        })
    }

    #[test]
    fn importable_names_are_refused_with_a_hint_naming_the_module() {
        let app = |raw: &str| PackageName::parse(raw, Kind::App, Role::Name).unwrap();
        assert!(app("blog")
            .check_not_importable(None, Kind::App, Role::Name)
            .is_ok());
        let cases = [
            (
                found("/w/blog.py", Origin::WorkingDirectory, FoundKind::Module, false),
                "Python would import 'blog' from /w/blog.py (in the working directory); choose another name, e.g. 'blog_app'",
            ),
            (
                found("/lib/blog", Origin::PythonPath, FoundKind::Package, false),
                "Python would import 'blog' from /lib/blog (in a PYTHONPATH directory); choose another name, e.g. 'blog_app'",
            ),
            (
                found("/venv/lib/python3.12/site-packages/blog.cpython-312-x86_64-linux-gnu.so", Origin::VirtualEnv, FoundKind::Module, false),
                "Python would import 'blog' from /venv/lib/python3.12/site-packages/blog.cpython-312-x86_64-linux-gnu.so (in the virtual environment); choose another name, e.g. 'blog_app'",
            ),
            (
                found("/w/blog", Origin::WorkingDirectory, FoundKind::NamespacePackage, false),
                "Python would import the directory /w/blog as 'blog' (a namespace package); choose another name, e.g. 'blog_app'; or generate into that directory: scaffold startapp blog blog",
            ),
            (
                found("/w/blog", Origin::WorkingDirectory, FoundKind::Package, true),
                "'blog' is the package of the Django project in this directory (beside manage.py); an app needs a name of its own, e.g. 'blog_app'",
            ),
        ];
        for (found, hint) in cases {
            let err = app("blog")
                .check_not_importable(found, Kind::App, Role::Name)
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "'blog' conflicts with the name of an existing Python module and cannot be used as an app name. Please try another name."
            );
            assert_eq!(err.hint().as_deref(), Some(hint));
        }
        // The directory of startapp NAME DIRECTORY is worded as a directory.
        let err = app("utils")
            .check_not_importable(
                found(
                    "/w/utils.py",
                    Origin::WorkingDirectory,
                    FoundKind::Module,
                    false,
                ),
                Kind::App,
                Role::Directory,
            )
            .unwrap_err();
        assert!(err
            .to_string()
            .ends_with("cannot be used as an app directory. Please try another directory."));
    }

    #[test]
    fn camel_case_matches_python_title() {
        let name = |s: &str| PackageName(s.to_owned()).camel_case();
        assert_eq!(name("blog"), "Blog");
        assert_eq!(name("my_blog"), "MyBlog");
        assert_eq!(name("my2site"), "My2Site");
        assert_eq!(name("myBLOG"), "Myblog");
        assert_eq!(name("_x_y"), "XY");
    }
}
