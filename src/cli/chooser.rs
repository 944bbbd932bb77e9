//! `scaffold new`, DEP 15's chooser: asks on a terminal for each answer its flags left open,
//! and without a terminal names the flags that are missing. Part of the binary, not the
//! library: it prompts and prints.

use std::path::PathBuf;

use dialoguer::{theme::ColorfulTheme, Confirm, Input, Select};
use scaffold::{DjangoVersion, Kind, PackageName, ProjectLayout, Request, Role, SettingsLayout};

/// The answers given as flags; None where a question is still open.
pub struct Answers {
    pub name: Option<String>,
    pub directory: Option<PathBuf>,
    pub layout: Option<ProjectLayout>,
    pub settings: Option<SettingsLayout>,
    pub project_files: Option<bool>,
    /// None: startproject's default, asked on a terminal with that default selected.
    pub django: Option<DjangoVersion>,
    pub secret_key: Option<String>,
}

pub enum Outcome {
    Ready(Box<Request>),
    /// No terminal: the flags that would answer the open questions.
    Missing(Vec<&'static str>),
    /// A prompt failed (the terminal went away, Ctrl-C).
    Aborted(String),
}

/// The request, asking on the terminal for what the flags left open when `interactive`.
pub fn complete(answers: Answers, interactive: bool, default_django: DjangoVersion) -> Outcome {
    if !interactive {
        let missing: Vec<&'static str> = [
            (answers.name.is_none(), "NAME"),
            (answers.layout.is_none(), "--layout"),
            (answers.settings.is_none(), "--settings"),
            (
                answers.project_files.is_none(),
                "--project-files or --no-project-files",
            ),
        ]
        .into_iter()
        .filter_map(|(open, flag)| open.then_some(flag))
        .collect();
        if !missing.is_empty() {
            return Outcome::Missing(missing);
        }
    }
    match ask(answers, interactive, default_django) {
        Ok(request) => Outcome::Ready(Box::new(request)),
        Err(e) => Outcome::Aborted(e.to_string()),
    }
}

/// Asks each open question (none when every answer was given).
fn ask(
    answers: Answers,
    interactive: bool,
    default_django: DjangoVersion,
) -> dialoguer::Result<Request> {
    let theme = ColorfulTheme::default();
    let name = match answers.name {
        Some(name) => name,
        None => Input::<String>::with_theme(&theme)
            .with_prompt("Project name")
            .validate_with(|input: &String| -> Result<(), String> {
                PackageName::parse(input, Kind::Project, Role::Name)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .interact_text()?,
    };
    let layout = match answers.layout {
        Some(layout) => layout,
        None => {
            let choice = Select::with_theme(&theme)
                .with_prompt("Layout")
                .items([
                    "classic: django-admin's project; apps go beside it",
                    "project-app: the project package is also an app (DEP 15)",
                ])
                .default(0)
                .interact()?;
            [ProjectLayout::Classic, ProjectLayout::ProjectApp][choice]
        }
    };
    let settings = match answers.settings {
        Some(settings) => settings,
        None => {
            let choice = Select::with_theme(&theme)
                .with_prompt("Settings")
                .items([
                    "single: one settings.py",
                    "split: settings/base.py, development.py, production.py",
                ])
                .default(0)
                .interact()?;
            [SettingsLayout::Single, SettingsLayout::Split][choice]
        }
    };
    let project_files = match answers.project_files {
        Some(answer) => answer,
        None => Confirm::with_theme(&theme)
            .with_prompt("Add pyproject.toml, .gitignore and README.md?")
            .default(true)
            .interact()?,
    };
    let django = match answers.django {
        Some(django) => Some(django),
        // Without a terminal, the release is chosen as startproject chooses it.
        None if !interactive => None,
        None => {
            let items: Vec<String> = DjangoVersion::generated()
                .iter()
                .map(|v| format!("Django {}", v.docs_version()))
                .collect();
            let default = DjangoVersion::generated()
                .iter()
                .position(|v| *v == default_django)
                .unwrap_or(0);
            let choice = Select::with_theme(&theme)
                .with_prompt("Django release")
                .items(&items)
                .default(default)
                .interact()?;
            Some(DjangoVersion::generated()[choice])
        }
    };
    let mut request = Request::new(Kind::Project, name);
    request.directory = answers.directory;
    request.layout = layout;
    request.settings = settings;
    request.project_files = project_files;
    request.django = django;
    request.secret_key = answers.secret_key;
    Ok(request)
}

/// On a terminal: shows what will be created and asks to go on.
pub fn confirm(lines: &[String]) -> dialoguer::Result<bool> {
    for line in lines {
        eprintln!("{line}");
    }
    Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt("Create it?")
        .default(true)
        .interact()
}
