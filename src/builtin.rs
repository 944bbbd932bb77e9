//! The built-in project and app templates: rendered by build.rs with Tera for every Django
//! release and settings layout, embedded in the binary, completed here with the run-time values.
//!
//! One template tree (templates/) serves every known release: the few differences between
//! releases are `{% if django_series ... %}` blocks inside it. See build.rs for why rendering
//! happens at build time. A generated release has every variant; an upgrade base (see
//! `releases.rs`) only Django's own: the project with single settings and the classic layout,
//! and the app, which is what `scaffold upgrade` renders as the base of an old project.

use std::path::{Path, PathBuf};

use crate::django::DjangoVersion;
use crate::error::Error;
use crate::layout::ProjectLayout;
use crate::name::{Kind, PackageName};
use crate::plan::{Content, Plan, PlanBuilder};
use crate::secret::SecretKey;
use crate::settings::{SettingsLayout, SettingsModule};

/// One rendered template tree: its files as (target path, mode, text with `\0key\0` markers).
pub(crate) struct Variant {
    pub(crate) kind: &'static str,
    pub(crate) django: &'static str,
    pub(crate) layout: &'static str,
    /// `classic` or `project-app` (see [`ProjectLayout`]); apps are always `classic`.
    pub(crate) project_layout: &'static str,
    pub(crate) files: &'static [(&'static str, u32, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Everything the built-in templates may refer to.
pub struct Context<'a> {
    /// Project or app.
    pub kind: Kind,
    /// NAME, checked.
    pub name: &'a PackageName,
    /// The target directory, absolute: startapp's templates name it.
    pub directory: &'a Path,
    /// The release whose template is rendered.
    pub django: DjangoVersion,
    /// Project only.
    pub project: Option<ProjectContext<'a>>,
    /// App only: the app's dotted import path when it is not its name (`startapp blog apps/blog
    /// --register`: `apps.blog`), for `AppConfig.name` in apps.py, the one place that says it.
    pub app_module: Option<&'a str>,
}

/// What only a project has.
pub struct ProjectContext<'a> {
    /// The SECRET_KEY written into settings.
    pub secret_key: &'a SecretKey,
    /// One settings.py or a split package.
    pub layout: SettingsLayout,
    /// Classic, or DEP 15's project-app.
    pub project_layout: ProjectLayout,
    /// `--project-files`: pyproject.toml, .gitignore, README.md (and .env.example when split).
    pub project_files: bool,
    /// The default DJANGO_SETTINGS_MODULE of manage.py, wsgi.py and asgi.py.
    pub settings_module: &'a SettingsModule,
}

/// The built-in template of `context.kind` for its release and layout, as a plan. Refused (never
/// a panic) when the release has no such variant: an upgrade base with split settings, the
/// project-app layout or project files.
pub fn render(context: &Context) -> Result<Plan, Error> {
    let layout = match context.project.as_ref().map(|p| p.layout) {
        Some(SettingsLayout::Split) => "split",
        _ => "single",
    };
    let project_layout = context
        .project
        .as_ref()
        .map_or(ProjectLayout::Classic, |p| p.project_layout)
        .as_str();
    let variant = VARIANTS
        .iter()
        .find(|v| {
            v.kind == context.kind.as_str()
                && v.django == context.django.docs_version()
                && v.layout == layout
                && v.project_layout == project_layout
        })
        .ok_or(Error::NoBuiltinVariant {
            django: context.django,
            what: match (context.kind, layout, project_layout) {
                (Kind::App, ..) => "app template",
                (_, "split", _) => "split settings",
                _ => "project-app layout",
            },
        })?;
    let directory = context.directory.to_string_lossy();
    let camel_case = context.name.camel_case();
    let distribution_name = distribution_name(context.name).unwrap_or_default();
    let value = |key: &str| -> &str {
        match key {
            "app_name" => context.app_module.unwrap_or(context.name.as_str()),
            "project_name" => context.name.as_str(),
            "project_directory" | "app_directory" => &directory,
            "camel_case_project_name" | "camel_case_app_name" => &camel_case,
            "secret_key" => context
                .project
                .as_ref()
                .map_or("", |p| p.secret_key.as_str()),
            "settings_module" => context
                .project
                .as_ref()
                .map_or("", |p| p.settings_module.as_str()),
            "distribution_name" => &distribution_name,
            _ => unreachable!("build.rs admits only known markers"),
        }
    };
    let mut plan = PlanBuilder::default();
    for (path, mode, text) in variant.files {
        let target = PathBuf::from(fill(path, value));
        plan.file(
            target,
            *mode,
            Content::Bytes(fill(text, value).into_bytes()),
        );
    }
    if context.project.as_ref().is_some_and(|p| p.project_files) {
        let extras = PROJECT_FILES
            .iter()
            .find(|v| v.django == context.django.docs_version() && v.layout == layout)
            .ok_or(Error::NoBuiltinVariant {
                django: context.django,
                what: "project files",
            })?;
        for (path, mode, text) in extras.files {
            plan.file(
                PathBuf::from(path),
                *mode,
                Content::Bytes(fill(text, value).into_bytes()),
            );
        }
    }
    plan.finish()
}

/// The project's name as pyproject.toml's `name` wants it (PEP 508: ASCII letters, digits and
/// inner `-_.`), normalized as PyPI spells it (lower case, `-`); None when no such name exists,
/// as for a non-ASCII identifier.
pub(crate) fn distribution_name(name: &PackageName) -> Option<String> {
    let trimmed = name.as_str().trim_matches('_');
    let valid = !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then(|| trimmed.to_ascii_lowercase().replace('_', "-"))
}

/// Replaces each `\0key\0` marker of `text` by its value.
fn fill<'a>(text: &str, value: impl Fn(&str) -> &'a str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut parts = text.split('\0');
    out.push_str(parts.next().unwrap_or_default());
    while let (Some(key), Some(after)) = (parts.next(), parts.next()) {
        out.push_str(value(key));
        out.push_str(after);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::EntryKind;

    /// Generated releases have every variant; upgrade bases Django's own two, and nothing else.
    #[test]
    fn every_kind_release_and_layout_is_embedded() {
        for version in DjangoVersion::ALL {
            for (kind, layout, project_layout) in [
                ("project", "single", "classic"),
                ("project", "split", "classic"),
                ("project", "single", "project-app"),
                ("project", "split", "project-app"),
                ("app", "single", "classic"),
            ] {
                let found = VARIANTS
                    .iter()
                    .filter(|v| {
                        v.kind == kind
                            && v.django == version.docs_version()
                            && v.layout == layout
                            && v.project_layout == project_layout
                    })
                    .count();
                let djangos_own = layout == "single" && project_layout == "classic";
                let expected = usize::from(version.is_generated() || djangos_own);
                assert_eq!(
                    found, expected,
                    "{kind} {version} {layout} {project_layout}"
                );
            }
            let project_files = PROJECT_FILES
                .iter()
                .filter(|v| v.django == version.docs_version())
                .count();
            let expected = if version.is_generated() { 2 } else { 0 };
            assert_eq!(project_files, expected, "project files of {version}");
        }
        assert_eq!(
            VARIANTS.len(),
            5 * DjangoVersion::generated().len() + 2 * DjangoVersion::upgrade_bases().len()
        );
    }

    fn project_name() -> PackageName {
        PackageName::parse("mysite", Kind::Project, crate::name::Role::Name).unwrap()
    }

    /// The base an upgrade renders: every release, single settings, classic layout, the project's
    /// own values filled in; what an upgrade base lacks is an error, not a panic.
    #[test]
    fn every_release_renders_djangos_own_project_and_app() {
        let name = project_name();
        let key = SecretKey::given("django-insecure-fixed").unwrap();
        let module = SettingsModule::parse("mysite.settings").unwrap();
        for django in DjangoVersion::ALL {
            let project = |layout, project_layout, project_files| ProjectContext {
                secret_key: &key,
                layout,
                project_layout,
                project_files,
                settings_module: &module,
            };
            let context = |project| Context {
                kind: Kind::Project,
                name: &name,
                directory: Path::new("/w/mysite"),
                django,
                project: Some(project),
                app_module: None,
            };
            let plan = render(&context(project(
                SettingsLayout::Single,
                ProjectLayout::Classic,
                false,
            )))
            .unwrap();
            let settings = plan
                .entries
                .iter()
                .find(|e| e.path == Path::new("mysite/settings.py"))
                .and_then(|e| match &e.kind {
                    EntryKind::File {
                        content: Content::Bytes(bytes),
                        ..
                    } => std::str::from_utf8(bytes).ok(),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{django}: no settings.py"));
            assert!(settings.contains(&format!("using Django {}.", django.release())));
            assert!(settings.contains("SECRET_KEY = 'django-insecure-fixed'"));
            assert!(settings.contains(&format!("/en/{django}/")));

            let app = render(&Context {
                kind: Kind::App,
                name: &name,
                directory: Path::new("/w/mysite"),
                django,
                project: None,
                app_module: None,
            });
            assert!(app.is_ok(), "{django}");

            for (layout, project_layout, project_files, what) in [
                (
                    SettingsLayout::Split,
                    ProjectLayout::Classic,
                    false,
                    "split settings",
                ),
                (
                    SettingsLayout::Single,
                    ProjectLayout::ProjectApp,
                    false,
                    "project-app layout",
                ),
                (
                    SettingsLayout::Single,
                    ProjectLayout::Classic,
                    true,
                    "project files",
                ),
            ] {
                let result = render(&context(project(layout, project_layout, project_files)));
                match result {
                    Ok(_) => assert!(django.is_generated(), "{django} {what}"),
                    Err(e) => {
                        assert!(!django.is_generated(), "{django} {what}: {e}");
                        assert_eq!(
                            e.to_string(),
                            format!("scaffold knows Django {django} only as an upgrade base: it has no built-in {what} for it")
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn distribution_names_follow_pep_508() {
        let name = |s: &str| PackageName::parse(s, Kind::Project, crate::name::Role::Name).unwrap();
        assert_eq!(
            distribution_name(&name("mysite")).as_deref(),
            Some("mysite")
        );
        assert_eq!(
            distribution_name(&name("My_Site2")).as_deref(),
            Some("my-site2")
        );
        assert_eq!(
            distribution_name(&name("_private_")).as_deref(),
            Some("private")
        );
        assert_eq!(distribution_name(&name("café")), None);
    }

    #[test]
    fn fill_replaces_markers_only() {
        let value = |k: &str| if k == "project_name" { "mysite" } else { "KEY" };
        assert_eq!(
            fill("a \0project_name\0 b \0secret_key\0", value),
            "a mysite b KEY"
        );
        assert_eq!(fill("no markers", value), "no markers");
        assert_eq!(fill("", value), "");
    }
}
