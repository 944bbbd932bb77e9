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
    Single,
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
    pub fn parse(dotted: &str) -> Result<Self, Error> {
        let valid = dotted.split('.').all(is_identifier);
        if valid {
            Ok(SettingsModule(dotted.to_owned()))
        } else {
            Err(Error::InvalidSettingsModule(dotted.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `plan` creates this module, as `a/b.py` or `a/b/__init__.py`.
    pub fn is_in(&self, plan: &Plan) -> bool {
        let base: std::path::PathBuf = self.0.split('.').collect();
        let file = base.with_extension("py");
        let package = base.join("__init__.py");
        plan.files()
            .any(|(path, _, _)| path == file || path == package)
    }
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
}
