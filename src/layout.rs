//! Project layouts: Django's own, and DEP 15's, in which the project package is also an app.

/// What the project package holds besides settings, urls, wsgi and asgi.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProjectLayout {
    /// `django-admin startproject`'s: the package only configures; apps live beside it.
    #[default]
    Classic,
    /// DEP 15's: the package is also an app (apps.py, models.py, admin.py, views.py, tests.py,
    /// migrations/), listed in INSTALLED_APPS, so a small site needs no second package.
    ProjectApp,
}

impl ProjectLayout {
    /// As `--layout` takes it and as build.rs names the rendered variant.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProjectLayout::Classic => "classic",
            ProjectLayout::ProjectApp => "project-app",
        }
    }
}
