//! scaffold: create Django projects and apps as `django-admin startproject` / `startapp` do,
//! without Python.
//!
//! The flow: a [`Request`] (what the user asked) is [`prepare`]d into a [`Prepared`] command: the
//! name checked, the destination resolved, the template rendered into a [`Plan`], conflicts
//! checked. Nothing is written until [`Prepared::write`], which stages and moves into place.
//! The library never prints; [`report`] turns a prepared command into text or JSON.

pub mod builtin;
pub mod check;
pub mod destination;
pub mod django;
pub mod error;
pub mod handle;
pub mod interrupt;
pub mod layout;
pub mod name;
pub mod path_map;
pub mod plan;
pub mod register;
pub mod releases;
pub mod report;
pub mod secret;
pub mod settings;
pub mod stdlib;
pub mod template;
pub mod upgrade;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub use crate::destination::{Anchor, Destination};
pub use crate::django::DjangoVersion;
pub use crate::error::Error;
pub use crate::layout::ProjectLayout;
pub use crate::name::{Kind, PackageName, Role};
pub use crate::plan::Plan;
pub use crate::settings::{SettingsLayout, SettingsModule};

/// What the user asked for, as plain values.
#[derive(Debug, Clone)]
pub struct Request {
    pub kind: Kind,
    pub name: String,
    pub directory: Option<PathBuf>,
    pub django: DjangoVersion,
    /// None: a new random key.
    pub secret_key: Option<String>,
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
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Request {
            kind,
            name: name.into(),
            directory: None,
            django: DjangoVersion::NEWEST,
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

/// Where relative paths and `~` are resolved from.
#[derive(Debug, Clone)]
pub struct Environment {
    pub cwd: PathBuf,
    pub home: Option<PathBuf>,
}

impl Environment {
    pub fn current() -> Result<Self, Error> {
        Ok(Environment {
            cwd: std::env::current_dir().map_err(Error::CurrentDir)?,
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
        })
    }
}

/// A command that has passed every check and is ready to write.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub kind: Kind,
    pub name: PackageName,
    pub django: DjangoVersion,
    pub destination: Destination,
    /// Where writing starts, as the checks saw it.
    pub anchor: Anchor,
    /// Project only.
    pub settings: Option<(SettingsLayout, SettingsModule)>,
    pub plan: Plan,
    /// `--template` as given; None for the built-in template.
    pub template: Option<String>,
    /// Where an unpacked template archive lives until the plan's copies are written.
    pub template_workspace: Option<std::sync::Arc<tempfile::TempDir>>,
    /// `startapp --register`: the settings edit written with the plan.
    pub registration: Option<register::Registration>,
}

/// Checks the request, renders the template and checks the destination. Reads the file system
/// to find conflicts; writes nothing.
pub fn prepare(request: &Request, env: &Environment) -> Result<Prepared, Error> {
    prepare_for(request, env, Purpose::Write)
}

/// `--check`: renders as [`prepare`] does, then compares the plan with what is already in the
/// target directory instead of writing it (see [`check`]). Writes nothing, not even a staging
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
            django: request.django,
            secret_key: secret_key.as_ref(),
        };
        let rendered = template::render(options, &context, env)?;
        let anchor = purpose.anchor(&destination, &rendered.plan, kind)?;
        return Ok(Prepared {
            kind,
            name,
            django: request.django,
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
        django: request.django,
        project,
        app_module: registration.as_ref().map(|r| r.app.as_str()),
    });
    let anchor = purpose.anchor(&destination, &plan, kind)?;
    Ok(Prepared {
        kind,
        name,
        django: request.django,
        destination,
        anchor,
        settings,
        plan,
        template: None,
        template_workspace: None,
        registration,
    })
}

impl Prepared {
    /// Writes the plan through a staging directory; see [`write::write`].
    pub fn write(&self, cancel: &AtomicBool) -> Result<(), Error> {
        let target = write::Target {
            root: &self.destination.root,
            anchor: &self.anchor,
            overlay: self.destination.overlay,
            kind: self.kind,
        };
        let replacement = self.registration.as_ref().map(|r| write::Replacement {
            path: &r.settings,
            identity: r.identity,
            original: &r.original,
            mode: r.mode,
            content: &r.edited,
        });
        write::write_with(&self.plan, target, replacement, cancel)
    }

    pub fn root(&self) -> &Path {
        &self.destination.root
    }

    /// What is allowed but probably a mistake: a default settings module inside the new project
    /// that the project does not contain.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
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
