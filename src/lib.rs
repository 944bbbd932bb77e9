//! scaffold: create Django projects and apps as `django-admin startproject` / `startapp` do,
//! without Python, and bring them to newer releases.
//!
//! The API, all of it (the `scaffold` binary uses nothing else):
//!
//! - **Generate.** A [`Request`] (what the user asked) is [`prepare`]d in an [`Environment`]
//!   into a [`Prepared`] command: the name checked, the release chosen, the destination
//!   resolved, the template rendered into a plan, conflicts checked. Nothing is written until
//!   [`Prepared::write`], which stages and moves into place, all or nothing, and stops when the
//!   [`interrupt`] flag is raised. A request's `template` ([`template::TemplateOptions`]) renders
//!   a django-admin template instead of the built-in one.
//! - **Compare.** [`check()`] renders as [`prepare`] does and compares with the tree already
//!   there ([`check::Comparison`], printed by [`check::report`]).
//! - **Upgrade.** [`upgrade::plan`] merges a newer release's (or template's) changes into a
//!   project's files ([`upgrade::Upgrade`]); [`upgrade::Upgrade::write`] writes them, all or
//!   nothing; [`upgrade::report`] prints them.
//! - **Report.** The library never prints. [`report`] turns a prepared command or an error into
//!   text or JSON, by the output rules (what goes to stdout or stderr at which verbosity, colour,
//!   escapes for the terminal); the caller prints it.
//!
//! Values: [`DjangoVersion`], [`Kind`], [`ProjectLayout`], [`SettingsLayout`], [`PackageName`]
//! (with [`Role`]), and [`Error`], whose message (with its hint line, see
//! [`report::error_lines`]) is written for the person at the terminal.

// Writing goes through directory handles (openat, renameat2's RENAME_NOREPLACE and
// RENAME_EXCHANGE, O_NOFOLLOW): Unix only, said here rather than found at run time.
// Everything else is crate-private unless it is the API above or a test hook in `internals`:
// the compiler then reports what nothing uses, and what the API exposes is documented.
#![warn(unreachable_pub, missing_docs)]

#[cfg(not(unix))]
compile_error!("scaffold supports Unix-like systems only: it writes through directory handles");

mod builtin;
pub mod check;
mod destination;
mod django;
mod error;
mod handle;
mod installed;
pub mod interrupt;
mod layout;
mod module_search;
mod name;
mod path_map;
mod plan;
mod register;
mod releases;
pub mod report;
mod secret;
mod settings;
mod stdlib;
pub mod template;
pub mod upgrade;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub use crate::django::DjangoVersion;
pub use crate::error::Error;
pub use crate::layout::ProjectLayout;
pub use crate::name::{Kind, PackageName, Role};
pub use crate::settings::SettingsLayout;

use crate::destination::{Anchor, Destination};
use crate::plan::Plan;
use crate::settings::SettingsModule;

/// What scaffold's own tests, fuzz targets and benches reach below the API: pure functions and
/// data worth testing on their own. Not part of the API; it changes with the code.
#[doc(hidden)]
pub mod internals {
    pub use crate::builtin::{render, Context, ProjectContext};
    pub use crate::path_map::target_path;
    pub use crate::plan::{Content, EntryKind, Plan};
    pub use crate::releases::RELEASES;
    pub use crate::secret::SecretKey;
    pub use crate::settings::SettingsModule;
    pub use crate::template::archive::{entry_path, unpack_tar, unpack_zip, UnpackError};
    pub use crate::upgrade::merge::{merge, Context as MergeContext, NoPolicy};
    pub use crate::upgrade::project::discover;
}

/// What the user asked for, as plain values.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    /// DIRECTORY: None is `./NAME`; relative to [`Environment::cwd`].
    pub directory: Option<PathBuf>,
    /// `--django`; None: the release installed where the project will run, else the newest
    /// (see `installed`).
    pub django: Option<DjangoVersion>,
    /// None: a new random key.
    pub secret_key: Option<String>,
    /// Project only: one settings.py or a split settings package.
    pub settings: SettingsLayout,
    /// Project only: whether the project package is also an app (DEP 15).
    pub layout: ProjectLayout,
    /// Project only: also write pyproject.toml, .gitignore, README.md (and .env.example).
    pub project_files: bool,
    /// App only: add the app to the project's INSTALLED_APPS in the same all-or-nothing write.
    pub register: bool,
    /// None: the layout's default.
    pub settings_module: Option<String>,
    /// `--template`: None renders the built-in template.
    pub template: Option<template::TemplateOptions>,
}

impl Request {
    /// A request for `kind` named `name`, every other value its default (as the command line's).
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Request {
            kind,
            name: name.into(),
            directory: None,
            django: None,
            secret_key: None,
            settings: SettingsLayout::Single,
            layout: ProjectLayout::Classic,
            project_files: false,
            register: false,
            settings_module: None,
            template: None,
        }
    }
}

/// Where relative paths and `~` are resolved from, where Python would look for modules, and
/// the active venv.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The working directory.
    pub cwd: PathBuf,
    pub(crate) home: Option<PathBuf>,
    /// The directories a NAME must not be importable from: the working directory, `PYTHONPATH`
    /// and the virtual environment's site-packages (see [`module_search`]).
    pub(crate) module_search: Vec<module_search::SearchDir>,
    /// `VIRTUAL_ENV`: where the installed Django is looked for first.
    pub(crate) virtual_env: Option<PathBuf>,
}

impl Environment {
    /// The process's: its working directory, `HOME`, `PYTHONPATH` and `VIRTUAL_ENV`.
    pub fn current() -> Result<Self, Error> {
        let cwd = std::env::current_dir().map_err(Error::CurrentDir)?;
        let module_search = module_search::search_path(
            &cwd,
            std::env::var_os("PYTHONPATH").as_deref(),
            std::env::var_os("VIRTUAL_ENV").as_deref(),
            &module_search::read_entries,
        );
        Ok(Environment {
            cwd,
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            module_search,
            virtual_env: std::env::var_os("VIRTUAL_ENV")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        })
    }

    /// The release startproject would choose for a project in `directory` (relative to the
    /// working directory; None: `./NAME`, which is looked at from the working directory): the
    /// one installed where it will run, if scaffold generates it, else the newest.
    pub fn default_django(&self, directory: Option<&Path>) -> DjangoVersion {
        let target = directory.map_or_else(|| self.cwd.clone(), |d| self.cwd.join(d));
        let installed = installed::find(self.virtual_env.as_deref(), &target, &self.cwd);
        installed::choose(None, installed.as_ref())
            .map_or(DjangoVersion::NEWEST, |choice| choice.version)
    }
}

/// A command that has passed every check and is ready to write.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) kind: Kind,
    pub(crate) name: PackageName,
    pub(crate) django: DjangoVersion,
    /// Why that release: `--django`, found installed, or the newest.
    pub(crate) django_origin: installed::Origin,
    /// The environment the project will run in, if one was found.
    pub(crate) installed: Option<installed::Installed>,
    /// About that environment: its Python is too old for the release.
    pub(crate) environment_warning: Option<String>,
    pub(crate) destination: Destination,
    /// Where writing starts, as the checks saw it.
    pub(crate) anchor: Anchor,
    /// Project only.
    pub(crate) settings: Option<(SettingsLayout, SettingsModule)>,
    pub(crate) plan: Plan,
    /// `--template` as given; None for the built-in template.
    pub(crate) template: Option<String>,
    /// Where an unpacked template archive lives until the plan's copies are written.
    pub(crate) template_workspace: Option<std::sync::Arc<tempfile::TempDir>>,
    /// `startapp --register`: the settings edit written with the plan.
    pub(crate) registration: Option<register::Registration>,
}

/// Checks the request, renders the template and checks the destination. Reads the file system
/// to find conflicts; writes nothing.
pub fn prepare(request: &Request, env: &Environment) -> Result<Prepared, Error> {
    prepare_for(request, env, Purpose::Write)
}

/// `--check`: renders as [`prepare`] does, then compares the plan with what is already in the
/// target directory instead of writing it (see [`mod@check`]). Writes nothing, not even a staging
/// directory. The refusals of an existing target or file do not apply: an existing tree is the
/// point.
pub fn check(request: &Request, env: &Environment, umask: u32) -> Result<check::Comparison, Error> {
    let prepared = prepare_for(request, env, Purpose::Check)?;
    check::compare(&prepared, umask)
}

/// What a prepared command is for: writing (every conflict refused) or comparing (`--check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Write,
    Check,
}

impl Purpose {
    /// The destination checks: a write refuses whatever it would replace; a comparison only
    /// needs the target's parent to be a directory, and its result is never written.
    fn anchor(self, destination: &Destination, plan: &Plan, kind: Kind) -> Result<Anchor, Error> {
        match self {
            Purpose::Write => destination.check(plan, kind),
            Purpose::Check => destination::existing_ancestor(&destination.root),
        }
    }
}

fn prepare_for(request: &Request, env: &Environment, purpose: Purpose) -> Result<Prepared, Error> {
    let kind = request.kind;
    let name = PackageName::parse(&request.name, kind, Role::Name)?;
    if kind == Kind::App && request.settings_module.is_some() {
        return Err(Error::SettingsModuleForApp);
    }
    if kind == Kind::App && request.layout != ProjectLayout::Classic {
        return Err(Error::LayoutForApp);
    }
    if request.project_files && builtin::distribution_name(&name).is_none() {
        return Err(Error::NoDistributionName(name.to_string()));
    }
    let settings = match kind {
        Kind::Project => Some((
            request.settings,
            match &request.settings_module {
                Some(dotted) => SettingsModule::parse(dotted)?,
                None => SettingsModule::default_for(&name, request.settings),
            },
        )),
        Kind::App => None,
    };
    let secret_key = match (&request.secret_key, kind) {
        (Some(key), _) => Some(secret::SecretKey::given(key)?),
        (None, Kind::Project) => Some(secret::SecretKey::random()?),
        (None, Kind::App) => None,
    };
    let destination = Destination::resolve(
        kind,
        &name,
        request.directory.as_deref(),
        &env.cwd,
        env.home.as_deref(),
    )?;
    // A check compares with a tree that exists by design: the module the import check would
    // find is that very tree, so it is a generation's check only.
    if purpose == Purpose::Write {
        check_not_importable(&name, kind, request.directory.is_some(), &destination, env)?;
    }
    let installed = installed::find(env.virtual_env.as_deref(), &destination.root, &env.cwd);
    let mut choice = installed::choose(request.django, installed.as_ref())?;
    // An app inside a project, with no Django found where it will run: the project says which
    // release made it, which is better than the newest.
    if kind == Kind::App && choice.origin == installed::Origin::Newest {
        if let Some((by, file)) = register::generated_release(&destination.root) {
            if let Some(found) = installed::from_project(&by.release, &file, installed.as_ref()) {
                choice = found;
            }
        }
    }
    let django = choice.version;

    if let Some(options) = &request.template {
        if request.settings == SettingsLayout::Split {
            return Err(Error::BuiltinOnly("--settings split"));
        }
        if request.settings_module.is_some() {
            return Err(Error::BuiltinOnly("--settings-module"));
        }
        if request.layout == ProjectLayout::ProjectApp {
            return Err(Error::BuiltinOnly("--layout project-app"));
        }
        if request.project_files {
            return Err(Error::BuiltinOnly("--project-files"));
        }
        if request.register {
            return Err(Error::BuiltinOnly("--register"));
        }
        let context = template::Context {
            kind,
            name: &name,
            directory: &destination.root,
            django,
            secret_key: secret_key.as_ref(),
        };
        let rendered = template::render(options, &context, env)?;
        let anchor = purpose.anchor(&destination, &rendered.plan, kind)?;
        return Ok(Prepared {
            kind,
            name,
            django,
            django_origin: choice.origin,
            installed,
            environment_warning: choice.warning,
            destination,
            anchor,
            settings: None,
            plan: rendered.plan,
            template: Some(options.source.clone()),
            template_workspace: rendered.workspace,
            registration: None,
        });
    }

    let project = match (&settings, &secret_key) {
        (Some((layout, module)), Some(key)) => Some(builtin::ProjectContext {
            secret_key: key,
            layout: *layout,
            project_layout: request.layout,
            project_files: request.project_files,
            settings_module: module,
        }),
        _ => None,
    };
    let registration = match (kind, request.register, purpose) {
        (Kind::App, true, Purpose::Write) => Some(register::plan(&destination.root)?),
        _ => None,
    };
    let plan = builtin::render(&builtin::Context {
        kind,
        name: &name,
        directory: &destination.root,
        django,
        project,
        app_module: registration.as_ref().map(|r| r.app.as_str()),
    })?;
    let anchor = purpose.anchor(&destination, &plan, kind)?;
    Ok(Prepared {
        kind,
        name,
        django,
        django_origin: choice.origin,
        installed,
        environment_warning: choice.warning,
        destination,
        anchor,
        settings,
        plan,
        template: None,
        template_workspace: None,
        registration,
    })
}

/// Django's `find_spec` checks, read from the file system: the name, and for an app in DIRECTORY
/// the directory's base name, must not be importable from the search path. A DIRECTORY that is
/// itself a plain directory on the path (`startapp blog blog`) is the target, not a conflict.
fn check_not_importable(
    name: &PackageName,
    kind: Kind,
    directory_given: bool,
    destination: &Destination,
    env: &Environment,
) -> Result<(), Error> {
    let exempt = directory_given.then_some(destination.root.as_path());
    let find =
        |n: &str| module_search::find(n, &env.module_search, exempt, &module_search::read_entries);
    name.check_not_importable(find(name.as_str()), kind, Role::Name)?;
    if kind == Kind::App && directory_given {
        let base = destination
            .root
            .file_name()
            .map(|b| b.to_string_lossy().into_owned())
            .unwrap_or_default();
        let base = PackageName::parse(&base, kind, Role::Directory)?;
        base.check_not_importable(find(base.as_str()), kind, Role::Directory)?;
    }
    Ok(())
}

impl Prepared {
    /// Writes the plan through a staging directory; see `write::write_with`.
    pub fn write(&self, cancel: &AtomicBool) -> Result<(), Error> {
        let target = write::Target {
            root: &self.destination.root,
            anchor: &self.anchor,
            overlay: self.destination.overlay,
            kind: self.kind,
        };
        let replacement: Vec<write::Replacement> = self
            .registration
            .iter()
            .map(|r| write::Replacement {
                path: &r.settings,
                identity: r.identity,
                original: &r.original,
                mode: r.mode,
                content: &r.edited,
            })
            .collect();
        write::write_with(&self.plan, target, &replacement, cancel)
    }

    pub(crate) fn root(&self) -> &Path {
        &self.destination.root
    }

    /// Whether the environment the project will run in has the chosen release installed.
    pub(crate) fn django_installed(&self) -> bool {
        self.installed
            .as_ref()
            .and_then(|i| i.django.as_deref())
            .and_then(installed::feature)
            .and_then(|(major, minor)| DjangoVersion::from_feature(major, minor))
            == Some(self.django)
    }

    /// What is allowed but probably a mistake: a default settings module inside the new project
    /// that the project does not contain; an environment whose Python is too old for the release.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> = self.environment_warning.iter().cloned().collect();
        if let Some((_, module)) = &self.settings {
            let inside = module.as_str().starts_with(&format!("{}.", self.name));
            if inside && !module.is_in(&self.plan) {
                warnings.push(format!(
                    "the default settings module {module} is not part of the generated project; create it before running manage.py"
                ));
            }
        }
        warnings
    }
}
