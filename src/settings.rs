//! Settings layouts and the one default settings module that manage.py, wsgi.py and asgi.py name.

use std::fmt;

use crate::error::Error;
use crate::name::PackageName;
use crate::plan::Plan;

/// One `settings.py`, or a settings package split by environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingsLayout {
    #[default]
    /// `NAME/settings.py`, as django-admin writes it.
    Single,
    /// `NAME/settings/` with base, development and production modules.
    Split,
}

/// The dotted module that `DJANGO_SETTINGS_MODULE` defaults to in a generated project.
///
/// This is the single source of that name: the templates of manage.py, wsgi.py and asgi.py all
/// read it from the render context, so they cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsModule(String);

impl SettingsModule {
    /// `NAME.settings` for a single file, `NAME.settings.development` for a split package.
    pub fn default_for(project: &PackageName, layout: SettingsLayout) -> Self {
        match layout {
            SettingsLayout::Single => SettingsModule(format!("{project}.settings")),
            SettingsLayout::Split => SettingsModule(format!("{project}.settings.development")),
        }
    }

    /// A module given with `--settings-module`: every dotted part must be a Python identifier.
    pub(crate) fn parse(dotted: &str) -> Result<Self, Error> {
        let valid = dotted.split('.').all(is_identifier);
        if valid {
            Ok(SettingsModule(dotted.to_owned()))
        } else {
            Err(Error::InvalidSettingsModule(dotted.to_owned()))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `plan` creates this module, as `a/b.py` or `a/b/__init__.py`.
    pub(crate) fn is_in(&self, plan: &Plan) -> bool {
        let base: std::path::PathBuf = self.0.split('.').collect();
        let file = base.with_extension("py");
        let package = base.join("__init__.py");
        plan.files()
            .any(|(path, _, _)| path == file || path == package)
    }
}

/// The file Python imports for the dotted `module` from a directory on its path, relative to
/// that directory, and whether it is a package: `a/b/__init__.py` when it exists, else `a/b.py`.
/// The package wins, as in the import system's `FileFinder` (a directory with an `__init__`
/// is looked for before a module file of the same name). `exists` says whether a relative path
/// is there; its error (a link on the way, say) ends the search.
///
/// The one rule for both `startapp --register` and `scaffold upgrade`'s discovery.
pub(crate) fn module_file<E>(
    module: &str,
    mut exists: impl FnMut(&std::path::Path) -> Result<bool, E>,
) -> Result<Option<(std::path::PathBuf, bool)>, E> {
    let base: std::path::PathBuf = module.split('.').collect();
    let package = base.join("__init__.py");
    if exists(&package)? {
        return Ok(Some((package, true)));
    }
    let file = base.with_extension("py");
    Ok(exists(&file)?.then_some((file, false)))
}

impl fmt::Display for SettingsModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
        && chars.all(unicode_ident::is_xid_continue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::{Kind, Role};

    #[test]
    fn defaults_follow_the_layout() {
        let name = PackageName::parse("mysite", Kind::Project, Role::Name).unwrap();
        assert_eq!(
            SettingsModule::default_for(&name, SettingsLayout::Single).as_str(),
            "mysite.settings"
        );
        assert_eq!(
            SettingsModule::default_for(&name, SettingsLayout::Split).as_str(),
            "mysite.settings.development"
        );
    }

    #[test]
    fn parse_checks_every_part() {
        assert!(SettingsModule::parse("mysite.settings.production").is_ok());
        assert!(SettingsModule::parse("config").is_ok());
        for bad in [
            "",
            "mysite..x",
            "9x.settings",
            "mysite.",
            ".mysite",
            "my-site.settings",
            "a b",
        ] {
            assert!(SettingsModule::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_settings_package_wins_over_a_module_file() {
        use std::path::{Path, PathBuf};
        let found = |present: &[&str]| {
            module_file("mysite.settings", |rel: &Path| {
                Ok::<_, ()>(present.iter().any(|p| Path::new(p) == rel))
            })
            .unwrap()
        };
        let both = ["mysite/settings.py", "mysite/settings/__init__.py"];
        assert_eq!(
            found(&both),
            Some((PathBuf::from("mysite/settings/__init__.py"), true))
        );
        assert_eq!(
            found(&both[..1]),
            Some((PathBuf::from("mysite/settings.py"), false))
        );
        assert_eq!(found(&[]), None);
    }
}
