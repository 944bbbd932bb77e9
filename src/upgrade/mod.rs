//! `scaffold upgrade`: brings what startproject and startapp generated in an existing project
//! to a newer Django release.
//!
//! The flow: [`discover`] reads the project (manage.py's settings module, the settings file
//! whose docstring names the generating release, the apps); [`plan`] renders the built-in
//! template of that release (the base) and of the target, both with the project's own name,
//! key and settings module, and merges base -> target into each current file
//! ([`merge::merge`]), under Django's rules between settings (`rules`). Nothing is written
//! until [`Upgrade::write`], which replaces every changed file and adds every new one in one
//! all-or-nothing write.

pub(crate) mod merge;
pub(crate) mod project;
pub(crate) mod python;
pub mod report;
pub(crate) mod rules;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub(crate) use merge::{Change, ChangeKind, Outcome};
pub(crate) use project::*;

use crate::builtin;
use crate::handle::Identity;
use crate::layout::ProjectLayout;
use crate::name::{Kind, PackageName, Role};
use crate::plan::{Content, Plan, PlanBuilder};
use crate::secret::SecretKey;
use crate::settings::{SettingsLayout, SettingsModule};
use crate::{DjangoVersion, Environment, Error};

/// What the user asked of `scaffold upgrade`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The project root (the directory holding manage.py), absolute or relative to the cwd.
    pub root: PathBuf,
    /// `--to`; None: the release installed where the project runs, else the newest.
    pub to: Option<DjangoVersion>,
    /// `--from`; None: the release the settings docstring names.
    pub from: Option<DjangoVersion>,
    /// `--from-template OLD --template NEW`: the project was made from OLD, a django-admin
    /// project template, and is brought to NEW; None: Django's built-in template.
    pub templates: Option<Templates>,
}

/// The two templates of `--from-template OLD --template NEW`, each with the generation's
/// flags (`-e`, `-n`, `-x`) and the download limits.
#[derive(Debug, Clone)]
pub struct Templates {
    /// `--from-template`: the template the project was made from.
    pub old: crate::template::TemplateOptions,
    /// `--template`: the newer template.
    pub new: crate::template::TemplateOptions,
}

/// What becomes of one generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Unchanged,
    Changed,
    /// The new release's template has it and the project does not: it is added.
    Added,
    /// The project deleted a file the template generates: it stays deleted.
    Deleted,
    /// Merged with conflict markers where both sides changed the same statement.
    Conflict,
    /// Left as it is, though the template changed it: each change not applied has a note.
    Noted,
    /// The new template no longer has it and the owner left it as the old one made it: it goes.
    Removed,
}

/// One generated file of the project and its upgrade.
#[derive(Debug, Clone)]
pub(crate) struct FileUpgrade {
    /// Relative to the project root.
    pub(crate) path: PathBuf,
    pub(crate) status: Status,
    pub(crate) conflicts: usize,
    /// The file as it is (None when absent).
    pub(crate) before: Option<Vec<u8>>,
    /// The file as the upgrade leaves it (None when absent).
    pub(crate) after: Option<Vec<u8>>,
    /// The mode of the file as it is, or of the template's file when added.
    pub(crate) mode: u32,
    /// How many units the template changed between the base and the target.
    pub(crate) template_changes: usize,
    /// Each of those changes, and what became of it.
    pub(crate) changes: Vec<Change>,
    identity: Option<Identity>,
}

/// A planned upgrade: every generated file with what the merge made of it.
#[derive(Debug, Clone)]
pub struct Upgrade {
    pub(crate) root: PathBuf,
    /// The release the generated files correspond to: as recorded (`4.2.7`), or `--from`'s.
    pub(crate) from: String,
    pub(crate) to: DjangoVersion,
    /// Sorted by path.
    pub(crate) files: Vec<FileUpgrade>,
    pub(crate) notes: Vec<String>,
}

impl Upgrade {
    /// How many conflicts the merged files hold: `upgrade` exits 3 when any.
    pub fn conflicts(&self) -> usize {
        self.files.iter().map(|f| f.conflicts).sum()
    }

    pub(crate) fn count(&self, status: Status) -> usize {
        self.files.iter().filter(|f| f.status == status).count()
    }

    /// Writes every changed and added file in one all-or-nothing write: new files are staged
    /// and moved in, changed files replaced only if they are still the files that were read.
    pub fn write(&self, cancel: &AtomicBool) -> Result<(), Error> {
        let mut plan = PlanBuilder::default();
        let mut replaced = Vec::new();
        for file in &self.files {
            let Some(after) = &file.after else { continue };
            match (file.status, &file.before, file.identity) {
                (Status::Added, None, _) => {
                    plan.file(file.path.clone(), file.mode, Content::Bytes(after.clone()))
                }
                (Status::Changed | Status::Conflict, Some(before), Some(identity)) => {
                    let path = self.root.join(&file.path);
                    refuse_read_only(&path, file.mode)?;
                    replaced.push((path, identity, before, after, file.mode));
                }
                _ => {}
            }
        }
        let plan = plan.finish()?;
        // Each file to remove is checked before anything is written, and again as it goes.
        let removals: Vec<&FileUpgrade> = self
            .files
            .iter()
            .filter(|f| f.status == Status::Removed)
            .collect();
        for file in &removals {
            self.still_as_read(file)?;
        }
        let anchor = crate::destination::existing_ancestor(&self.root)?;
        let target = crate::write::Target {
            root: &self.root,
            anchor: &anchor,
            overlay: true,
            kind: Kind::Project,
        };
        let replacements: Vec<crate::write::Replacement> = replaced
            .iter()
            .map(
                |(path, identity, before, after, mode)| crate::write::Replacement {
                    path,
                    identity: *identity,
                    original: before,
                    mode: *mode,
                    content: after,
                },
            )
            .collect();
        crate::write::write_with(&plan, target, &replacements, cancel)?;
        for file in removals {
            self.remove(file)?;
        }
        Ok(())
    }

    /// Whether `file` is still the file that was read (same inode, same bytes); an error if not.
    fn still_as_read(&self, file: &FileUpgrade) -> Result<Identity, Error> {
        let path = self.root.join(&file.path);
        let root_dir =
            crate::handle::open_dir(&self.root).map_err(Error::io("cannot open", &self.root))?;
        let current = read_current(root_dir.as_fd(), &self.root, &file.path)?;
        match (current, file.identity) {
            (Some((bytes, stat)), Some(identity))
                if Identity::of(&stat) == identity && Some(&bytes) == file.before.as_ref() =>
            {
                Ok(identity)
            }
            _ => Err(Error::Changed(path)),
        }
    }

    /// Removes a file the new template dropped, if it is still the file that was read. Done
    /// after the write of the other files (write.rs stages new and replaced files only): a
    /// failure here leaves the other files upgraded and this one in place, and says so.
    fn remove(&self, file: &FileUpgrade) -> Result<(), Error> {
        let path = self.root.join(&file.path);
        let identity = self.still_as_read(file)?;
        let (Some(parent), Some(name)) = (file.path.parent(), file.path.file_name()) else {
            return Err(Error::Changed(path));
        };
        let root_dir =
            crate::handle::open_dir(&self.root).map_err(Error::io("cannot open", &self.root))?;
        let dir = if parent.as_os_str().is_empty() {
            root_dir
        } else {
            crate::handle::open_dir_beneath(root_dir.as_fd(), parent)
                .map_err(Error::io("cannot open", self.root.join(parent)))?
        };
        crate::handle::remove_if_same(dir.as_fd(), name, identity, false).map_err(Error::io(
            "the other files are upgraded; cannot remove",
            &path,
        ))
    }
}

/// A file the owner made read-only is not replaced behind their back.
fn refuse_read_only(path: &Path, mode: u32) -> Result<(), Error> {
    if crate::handle::writable(path, mode) {
        return Ok(());
    }
    Err(Error::Upgrade(format!(
        "{} is read-only; nothing was written",
        path.display()
    )))
}

/// Reads the project at `options.root`, renders both releases (or both templates) and merges
/// every generated file. Reads only.
pub fn plan(options: &Options, env: &Environment) -> Result<Upgrade, Error> {
    let root = crate::destination::normalize(&env.cwd.join(&options.root));
    if !root.join("manage.py").is_file() {
        return Err(Error::NotAProject(root));
    }
    let project = discover(&root).map_err(Error::io("cannot read", &root))?;
    let module = project
        .settings_module
        .clone()
        .ok_or_else(|| Error::Upgrade("manage.py sets no default DJANGO_SETTINGS_MODULE".into()))?;
    let package = project.package().unwrap_or_default().to_owned();
    let name = PackageName::parse(&package, Kind::Project, Role::Name)?;
    if project.settings_file.is_none() {
        let base: PathBuf = module.split('.').collect();
        return Err(Error::Upgrade(format!(
            "manage.py's default settings module {module} is not a file below {} ({} or {}); run scaffold upgrade in the directory it is imported from",
            root.display(),
            base.with_extension("py").display(),
            base.join("__init__.py").display()
        )));
    }
    let project_package = rules::Package {
        name: &package,
        import_root: &project.import_root,
    };

    let (from, from_version) = match (options.from, &project.generated_by) {
        (Some(v), _) => (v.release().to_owned(), v),
        (None, Some((file, by))) => {
            let version = DjangoVersion::from_feature(by.feature.0, by.feature.1).ok_or_else(|| {
                Error::Upgrade(format!(
                    "{} says the project was generated by Django {}, which scaffold does not know (it knows {}); pass --from with the nearest release",
                    file.display(),
                    by.release,
                    DjangoVersion::known_list()
                ))
            })?;
            (by.release.clone(), version)
        }
        (None, None) => return Err(Error::NoBaseRelease(root)),
    };
    let to = options
        .to
        .unwrap_or_else(|| default_target(env, &root, from_version));
    if to < from_version {
        return Err(Error::Upgrade(format!(
            "cannot upgrade from Django {from} to the older {to}; pass a --to of {from_version} or newer"
        )));
    }

    let generator = project.generated_by.as_ref().map(|(_, by)| by.generator);
    let settings_file = project
        .generated_by
        .as_ref()
        .map(|(f, _)| f.clone())
        .or_else(|| project.settings_file.clone());
    let generator_text = project.generated_by.as_ref().map(|(_, by)| by.line.clone());
    let key = project
        .secret_key
        .as_deref()
        .and_then(|k| SecretKey::given(k).ok())
        .unwrap_or(SecretKey::given("not-a-literal")?);
    // Upgraded to the release it was made with (only the template changes): the line still
    // says what the generated parts correspond to.
    let same_release = to == from_version && options.from.is_none();
    let record = generator_text.as_deref().map(|line| {
        if same_release {
            line.to_owned()
        } else {
            record_line(line, to)
        }
    });
    let mut notes = Vec::new();
    if record.is_none() {
        notes.push(format!(
            "no settings docstring records the generating release: the next upgrade needs --from {to}"
        ));
    }
    let (triples, theirs_label) = match &options.templates {
        Some(templates) => {
            let context = |django| crate::template::Context {
                kind: Kind::Project,
                name: &name,
                directory: &root,
                django,
                secret_key: Some(&key),
            };
            let triples = template_triples(
                templates,
                &context(from_version),
                &context(to),
                env,
                &mut notes,
            )?;
            (triples, format!("new template (Django {to})"))
        }
        None => {
            let split = generator == Some(Generator::Scaffold)
                && generator_text
                    .as_deref()
                    .is_some_and(|l| l.contains("--settings split"));
            let (triples, unrenderable) = builtin_triples(&BuiltinProject {
                project: &project,
                package: &package,
                name: &name,
                root: &root,
                key: &key,
                module: &module,
                split,
                scaffold: generator == Some(Generator::Scaffold),
                settings_file: settings_file.as_deref(),
                from_version,
                to,
            })?;
            notes.extend(unrenderable);
            (triples, format!("Django {to}"))
        }
    };

    let settings_files = rules::settings_files(&root, settings_file.as_deref());
    for dir in &project.unreadable {
        notes.push(format!(
            "{}: cannot be read ({}); no app in it was upgraded",
            crate::report::slash_path(&dir.0),
            dir.1
        ));
    }
    let files = merge_files(
        triples,
        &Sides {
            root: &root,
            package: project_package,
            from_version,
            to,
            settings_file: settings_file.as_deref(),
            settings_files: &settings_files,
            generator_text: generator_text.as_deref(),
            record: record.as_deref(),
            theirs_label: &theirs_label,
            template: options.templates.is_some(),
        },
        &mut notes,
    )?;
    // Split settings resolved: each settings module's imports of the others, as upgraded.
    let modules: Vec<(PathBuf, String)> = settings_files
        .iter()
        .filter_map(|file| {
            let text = match files.iter().find(|f| &f.path == file) {
                Some(f) => f
                    .after
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                None => rules::read_small(&root.join(file)),
            };
            text.map(|t| (file.clone(), t))
        })
        .collect();
    notes.extend(rules::unresolved_imports(&root, project_package, &modules));
    notes.dedup();
    Ok(Upgrade {
        root,
        from,
        to,
        files,
        notes,
    })
}

/// Output path -> (the base's bytes, the target's bytes, the target's mode).
type Triples = BTreeMap<PathBuf, (Option<Vec<u8>>, Option<Vec<u8>>, u32)>;

/// What the built-in templates need of the project to render both releases as it has them.
struct BuiltinProject<'a> {
    project: &'a Project,
    package: &'a str,
    name: &'a PackageName,
    root: &'a Path,
    key: &'a SecretKey,
    module: &'a str,
    /// scaffold's `--settings split`.
    split: bool,
    /// Generated by scaffold (its layouts and `--project-files` are recognized).
    scaffold: bool,
    settings_file: Option<&'a Path>,
    from_version: DjangoVersion,
    to: DjangoVersion,
}

/// startproject's and each app's startapp files, of the base release and of the target; and a
/// note for each app whose files cannot be rendered.
fn builtin_triples(p: &BuiltinProject) -> Result<(Triples, Vec<String>), Error> {
    let package = p.package;
    let project_app = p.scaffold && p.project.apps.iter().any(|a| a.dir == Path::new(package));
    let settings_module = SettingsModule::parse(p.module)?;
    // scaffold's --project-files (pyproject.toml pins Django): upgraded too, so that the pin
    // follows. Recognized by the pin of the base release in a scaffold-generated project.
    let project_files = p.scaffold
        && p.from_version.is_generated()
        && p.to.is_generated()
        && rules::read_small(&p.root.join("pyproject.toml")).is_some_and(|t| {
            t.contains(&format!("\"Django~={}.0\"", p.from_version.docs_version()))
        });
    let values = Values {
        project_files,
        name: p.name,
        root: p.root,
        key: p.key,
        layout: if p.split {
            SettingsLayout::Split
        } else {
            SettingsLayout::Single
        },
        project_layout: if project_app {
            ProjectLayout::ProjectApp
        } else {
            ProjectLayout::Classic
        },
        settings_module: &settings_module,
    };
    let mut triples = Triples::new();
    let mut put = |path: PathBuf, target_side: bool, mode: u32, text: String| {
        put_side(&mut triples, path, target_side, mode, text.into_bytes());
    };
    let template_settings = PathBuf::from(format!("{package}/settings.py"));
    let mut unrenderable = Vec::new();
    for (version, target_side) in [(p.from_version, false), (p.to, true)] {
        for (path, mode, text) in values.project(version)? {
            let path = match p.settings_file {
                Some(file) if !p.split && path == template_settings => file.to_owned(),
                _ => p.project.import_root.place(package, path),
            };
            put(path, target_side, mode, text);
        }
        for app in &p.project.apps {
            if project_app && app.dir == Path::new(package) {
                continue;
            }
            match values.app(version, app)? {
                Some(rendered) => {
                    for (path, mode, text) in rendered {
                        put(app.dir.join(path), target_side, mode, text);
                    }
                }
                None if !target_side => unrenderable.push(app),
                None => {}
            }
        }
    }
    let notes = unrenderable
        .iter()
        .map(|app| format!(
            "{}: its AppConfig name '{}' is not a Python module name; its generated files were not upgraded",
            crate::report::slash_path(&app.dir),
            app.name.as_deref().unwrap_or_default()
        ))
        .collect();
    Ok((triples, notes))
}

fn put_side(triples: &mut Triples, path: PathBuf, target_side: bool, mode: u32, bytes: Vec<u8>) {
    let entry = triples.entry(path).or_insert((None, None, mode));
    if target_side {
        entry.1 = Some(bytes);
        entry.2 = mode;
    } else {
        entry.0 = Some(bytes);
    }
}

/// OLD rendered as django-admin of the base release would render it for this project, and NEW
/// as the target's would: every file of each, by output path. A file larger than an upgrade
/// merges is left out of both, with a note.
fn template_triples(
    templates: &Templates,
    base: &crate::template::Context,
    target: &crate::template::Context,
    env: &Environment,
    notes: &mut Vec<String>,
) -> Result<Triples, Error> {
    let mut triples = Triples::new();
    let mut too_large = std::collections::BTreeSet::new();
    for (options, context, target_side) in [
        (&templates.old, base, false),
        (&templates.new, target, true),
    ] {
        let rendered = crate::template::render(options, context, env)?;
        for (path, mode, content) in rendered.plan.files() {
            if content.size() > MAX_FILE_SIZE {
                too_large.insert(path.to_owned());
                continue;
            }
            let bytes = match content {
                Content::Bytes(bytes) => bytes.clone(),
                Content::Copy(source) => {
                    let mut bytes = Vec::new();
                    source
                        .open()
                        .and_then(|f| f.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes))
                        .map_err(Error::io("cannot read the template file", source.path()))?;
                    bytes
                }
            };
            put_side(&mut triples, path.to_owned(), target_side, mode, bytes);
        }
    }
    for path in too_large {
        triples.remove(&path);
        notes.push(format!(
            "{}: larger than {} MiB in a template; not compared, left as it is",
            crate::report::slash_path(&path),
            MAX_FILE_SIZE >> 20
        ));
    }
    Ok(triples)
}

/// What the merge of each file needs to know besides its three sides.
struct Sides<'a> {
    root: &'a Path,
    package: rules::Package<'a>,
    from_version: DjangoVersion,
    to: DjangoVersion,
    /// The settings file whose docstring names the generating release (else the default one).
    settings_file: Option<&'a Path>,
    settings_files: &'a [PathBuf],
    /// Its `Generated by ...` line as it is, and as the upgrade leaves it.
    generator_text: Option<&'a str>,
    record: Option<&'a str>,
    /// The template's side of a conflict (`Django 6.1`).
    theirs_label: &'a str,
    /// A `--from-template` upgrade: a file the new template drops goes when untouched.
    template: bool,
}

impl Sides<'_> {
    /// The template the target comes from, as notes name it.
    fn target_template(&self) -> String {
        if self.template {
            "the new template".to_owned()
        } else {
            format!("Django {}'s template", self.to)
        }
    }
}

/// Merges base -> target into each current file, accounting for each of the template's changes.
fn merge_files(
    triples: Triples,
    sides: &Sides,
    notes: &mut Vec<String>,
) -> Result<Vec<FileUpgrade>, Error> {
    let root = sides.root;
    let to = sides.to;
    let root_dir = crate::handle::open_dir(root).map_err(Error::io("cannot open", root))?;
    let mut files = Vec::new();
    for (path, (base, theirs, mode)) in triples {
        let current = read_current(root_dir.as_fd(), root, &path)?;
        let shown = crate::report::slash_path(&path);
        let is_settings = Some(path.as_path()) == sides.settings_file;
        let python = path.extension().is_some_and(|x| x == "py");
        // Text when every side present is UTF-8; otherwise compared as bytes.
        let as_text = |b: &Option<Vec<u8>>| match b {
            Some(b) => std::str::from_utf8(b).ok().map(|t| Some(t.to_owned())),
            None => Some(None),
        };
        let texts = (as_text(&base), as_text(&theirs));
        let (Some(base_text), Some(theirs_text)) = texts else {
            files.push(binary_file(path, base, theirs, mode, current, sides, notes));
            continue;
        };
        let (base_text, theirs_text) = match (base_text, theirs_text, is_settings) {
            (Some(b), Some(t), true) => (
                Some(with_generator_line(&b, sides.generator_text)),
                Some(with_generator_line(&t, sides.record)),
            ),
            other => (other.0, other.1),
        };
        // The template's changes to this file, each to be accounted for.
        let planned: Vec<(String, ChangeKind)> = match (&base_text, &theirs_text) {
            (Some(b), Some(t)) => merge::template_changes(b, t, python),
            (None, Some(_)) => vec![("file".to_owned(), ChangeKind::Added)],
            (Some(_), None) => vec![("file".to_owned(), ChangeKind::Removed)],
            (None, None) => Vec::new(),
        };
        let template_changes = planned.len();
        let noting = |why: &str| noted_changes(&planned, why);
        let Some((bytes, stat)) = current else {
            let added = base_text.is_none() && theirs_text.is_some();
            let changes = if added {
                vec![applied("file", ChangeKind::Added)]
            } else {
                let why = format!(
                    "{shown}: you deleted it; {} changes it, and it stays deleted",
                    sides.target_template()
                );
                if template_changes > 0 {
                    notes.push(why.clone());
                }
                noting(&why)
            };
            files.push(FileUpgrade {
                status: if added {
                    Status::Added
                } else {
                    Status::Deleted
                },
                conflicts: 0,
                before: None,
                after: theirs_text.filter(|_| added).map(String::into_bytes),
                mode,
                template_changes,
                changes,
                identity: None,
                path,
            });
            continue;
        };
        // A file the new template drops, as the old one made it: it goes.
        if sides.template && theirs_text.is_none() && base.as_deref() == Some(&bytes[..]) {
            files.push(FileUpgrade {
                status: Status::Removed,
                conflicts: 0,
                before: Some(bytes),
                after: None,
                mode: stat.st_mode & 0o7777,
                template_changes,
                changes: vec![applied("file", ChangeKind::Removed)],
                identity: Some(Identity::of(&stat)),
                path,
            });
            continue;
        }
        // None: left as it is, with why (not UTF-8, or the new template no longer has it).
        let merged = match (std::str::from_utf8(&bytes), theirs_text) {
            (Ok(ours), Some(theirs)) => {
                let policy = rules::Rules {
                    root,
                    file: &path,
                    settings: is_settings,
                    settings_files: sides.settings_files,
                    package: sides.package,
                    to,
                };
                let cx = merge::Context {
                    policy: &policy,
                    file: &shown,
                    base_docs: sides.from_version.docs_version(),
                    target_docs: to.docs_version(),
                    theirs_label: sides.theirs_label,
                    generator_line: sides.record.filter(|_| is_settings),
                };
                let base = base_text.as_deref().unwrap_or("");
                let merged = if python {
                    merge::merge(base, ours, &theirs, &cx)
                } else {
                    merge::merge_text(base, ours, &theirs, &cx)
                };
                let mut merged = merged.map_err(|merge::Refused(why)| Error::Upgrade(why))?;
                let invalid = python
                    && merged.conflicts == 0
                    && match python::Source::parse_bounded(&merged.text) {
                        Ok(_) => false,
                        Err(python::ParseError::Invalid) => true,
                        Err(python::ParseError::Refused(why)) => {
                            return Err(Error::Upgrade(format!(
                                "{shown} is not merged: the merged file: {why}"
                            )))
                        }
                    };
                if invalid {
                    merged.conflicts = 1;
                    merged.notes.push(format!(
                        "{shown}: the merged file does not parse as Python; review it"
                    ));
                    for change in &mut merged.changes {
                        change.outcome = Outcome::Conflict;
                    }
                }
                Ok(merged)
            }
            (Err(_), Some(_)) => Err(format!("{shown}: not UTF-8 text, left as it is")),
            (_, None) if sides.template => Err(format!(
                "{shown}: the new template no longer has it, and you changed it; left as it is (delete it if you do not use it)"
            )),
            (_, None) => Err(format!(
                "{shown}: Django {to}'s template no longer generates it; left as it is (delete it if you do not use it)"
            )),
        };
        let (after, conflicts, changes) = match merged {
            Ok(merged) => {
                notes.extend(merged.notes);
                (merged.text.into_bytes(), merged.conflicts, merged.changes)
            }
            Err(why) => {
                if template_changes > 0 {
                    notes.push(why.clone());
                }
                (bytes.clone(), 0, noting(&why))
            }
        };
        files.push(FileUpgrade {
            status: status_of(conflicts, &after, &bytes, &changes),
            conflicts,
            after: Some(after),
            before: Some(bytes),
            mode: stat.st_mode & 0o7777,
            template_changes,
            changes,
            identity: Some(Identity::of(&stat)),
            path,
        });
    }
    Ok(files)
}

fn status_of(conflicts: usize, after: &[u8], before: &[u8], changes: &[Change]) -> Status {
    if conflicts > 0 {
        Status::Conflict
    } else if after != before {
        Status::Changed
    } else if changes.iter().any(|c| c.outcome == Outcome::Noted) {
        Status::Noted
    } else {
        Status::Unchanged
    }
}

fn applied(key: &str, kind: ChangeKind) -> Change {
    Change {
        key: key.to_owned(),
        kind,
        outcome: Outcome::Applied,
        note: None,
    }
}

fn noted_changes(planned: &[(String, ChangeKind)], why: &str) -> Vec<Change> {
    planned
        .iter()
        .map(|(key, kind)| Change {
            key: key.clone(),
            kind: *kind,
            outcome: Outcome::Noted,
            note: Some(why.to_owned()),
        })
        .collect()
}

/// A file that is not text on some side (an image, a font): replaced by the new template's only
/// when the owner left it as the old one made it; otherwise left as it is, with a note.
fn binary_file(
    path: PathBuf,
    base: Option<Vec<u8>>,
    theirs: Option<Vec<u8>>,
    mode: u32,
    current: Option<(Vec<u8>, rustix::fs::Stat)>,
    sides: &Sides,
    notes: &mut Vec<String>,
) -> FileUpgrade {
    let shown = crate::report::slash_path(&path);
    let kind = match (&base, &theirs) {
        (None, _) => ChangeKind::Added,
        (_, None) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    };
    let planned = if base == theirs {
        Vec::new()
    } else {
        vec![("file".to_owned(), kind)]
    };
    let mut file = FileUpgrade {
        path,
        status: Status::Unchanged,
        conflicts: 0,
        before: None,
        after: None,
        mode,
        template_changes: planned.len(),
        changes: Vec::new(),
        identity: None,
    };
    let Some((bytes, stat)) = current else {
        if base.is_none() {
            file.status = Status::Added;
            file.after = theirs;
            file.changes = vec![applied("file", ChangeKind::Added)];
        } else {
            file.status = Status::Deleted;
            let why = format!(
                "{shown}: you deleted it; {} changes it, and it stays deleted",
                sides.target_template()
            );
            if !planned.is_empty() {
                notes.push(why.clone());
            }
            file.changes = noted_changes(&planned, &why);
        }
        return file;
    };
    file.mode = stat.st_mode & 0o7777;
    file.identity = Some(Identity::of(&stat));
    let untouched = base.as_deref() == Some(&bytes[..]);
    let (after, why) = if planned.is_empty() || theirs.as_deref() == Some(&bytes[..]) {
        (Some(bytes.clone()), None)
    } else if untouched {
        (theirs, None)
    } else {
        let why = match kind {
            ChangeKind::Removed => format!(
                "{shown}: the new template no longer has it, and you changed it; left as it is (delete it if you do not use it)"
            ),
            _ => format!(
                "{shown}: a binary file that you changed and {} changes too; yours is left as it is (take the template's by hand if you want it)",
                sides.target_template()
            ),
        };
        (Some(bytes.clone()), Some(why))
    };
    file.changes = match &why {
        Some(why) => {
            notes.push(why.clone());
            noted_changes(&planned, why)
        }
        None => planned.iter().map(|(k, kind)| applied(k, *kind)).collect(),
    };
    file.status = match &after {
        None => Status::Removed,
        Some(after) => status_of(0, after, &bytes, &file.changes),
    };
    file.after = after;
    file.before = Some(bytes);
    file
}

/// The release `scaffold upgrade` targets without `--to`: the one installed where the project
/// runs (the active venv, else a `.venv` at or above the project), if scaffold knows it and it
/// is not older than the base; else the newest.
fn default_target(env: &Environment, root: &Path, from: DjangoVersion) -> DjangoVersion {
    crate::installed::find(env.virtual_env.as_deref(), root, &env.cwd)
        .and_then(|i| i.django)
        .and_then(|v| crate::installed::feature(&v))
        .and_then(|(major, minor)| DjangoVersion::from_feature(major, minor))
        .filter(|v| *v >= from)
        .unwrap_or(DjangoVersion::NEWEST)
}

/// The largest generated file an upgrade merges: startproject's largest file is 3 KiB, and
/// parsing three versions of a file takes about 150 times its size in memory.
pub(crate) const MAX_FILE_SIZE: u64 = 2 << 20;

/// The file `rel` below the project root, opened beneath the root's handle without following
/// a link, and its status from the same open file (what the write later checks it against);
/// None when it does not exist.
fn read_current(
    root_dir: BorrowedFd<'_>,
    root: &Path,
    rel: &Path,
) -> Result<Option<(Vec<u8>, rustix::fs::Stat)>, Error> {
    let path = root.join(rel);
    let (file, stat) = match crate::handle::open_file_beneath(root_dir, rel) {
        Ok(opened) => opened,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read", &path)(e)),
    };
    let size = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
    if size > MAX_FILE_SIZE {
        return Err(Error::Upgrade(format!(
            "{} is {size} bytes; scaffold upgrade merges generated files of at most {} MiB",
            path.display(),
            MAX_FILE_SIZE >> 20
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("cannot read", &path))?;
    Ok(Some((bytes, stat)))
}

/// The settings docstring line after an upgrade to `to`: what generated the project, and the
/// release its generated parts now correspond to.
pub(crate) fn record_line(current: &str, to: DjangoVersion) -> String {
    // Already at that release: nothing to record (an upgrade to the same release changes
    // nothing).
    if generated_by(current).is_some_and(|by| by.release == to.release()) {
        return current.trim().to_owned();
    }
    let line = current.trim().trim_end_matches('.');
    let origin = line
        .split_once(" and upgraded by 'scaffold upgrade'")
        .map_or(line, |(o, _)| o);
    format!(
        "{origin} and upgraded by 'scaffold upgrade' to Django {}.",
        to.release()
    )
}

/// `text` with its generator line (if any) replaced by `line`.
fn with_generator_line(text: &str, line: Option<&str>) -> String {
    let Some(line) = line else {
        return text.to_owned();
    };
    text.split_inclusive('\n')
        .map(|l| {
            if merge::is_generator_line(l) {
                let end = &l[l.trim_end_matches(['\r', '\n']).len()..];
                format!("{line}{end}")
            } else {
                l.to_owned()
            }
        })
        .collect()
}

/// A rendered template file: (path, mode, text).
type Rendered = (PathBuf, u32, String);

/// The project's own values, with which both releases are rendered.
struct Values<'a> {
    name: &'a PackageName,
    root: &'a Path,
    key: &'a SecretKey,
    layout: SettingsLayout,
    project_layout: ProjectLayout,
    settings_module: &'a SettingsModule,
    /// scaffold's `--project-files`.
    project_files: bool,
}

impl Values<'_> {
    /// startproject's files of `django` as (path, mode, text).
    fn project(&self, django: DjangoVersion) -> Result<Vec<Rendered>, Error> {
        Ok(files(builtin::render(&builtin::Context {
            kind: Kind::Project,
            name: self.name,
            directory: self.root,
            django,
            project: Some(builtin::ProjectContext {
                secret_key: self.key,
                layout: self.layout,
                project_layout: self.project_layout,
                project_files: self.project_files,
                settings_module: self.settings_module,
            }),
            app_module: None,
        })?))
    }

    /// startapp's files of `django` for `app`, relative to the app's directory; None when the
    /// app's name is not one startapp could have made.
    fn app(&self, django: DjangoVersion, app: &App) -> Result<Option<Vec<Rendered>>, Error> {
        let dotted = app.name.clone().unwrap_or_else(|| slash_to_dots(&app.dir));
        let last = dotted.rsplit('.').next().unwrap_or_default();
        let Some(name) = PackageName::existing_module(last) else {
            return Ok(None);
        };
        let directory = self.root.join(&app.dir);
        Ok(Some(files(builtin::render(&builtin::Context {
            kind: Kind::App,
            name: &name,
            directory: &directory,
            django,
            project: None,
            app_module: (dotted != last).then_some(dotted.as_str()),
        })?)))
    }
}

fn slash_to_dots(dir: &Path) -> String {
    dir.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(".")
}

fn files(plan: Plan) -> Vec<Rendered> {
    plan.files()
        .filter_map(|(path, mode, content)| match content {
            Content::Bytes(bytes) => Some((
                path.to_owned(),
                mode,
                String::from_utf8_lossy(bytes).into_owned(),
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_line_keeps_the_origin() {
        let to = DjangoVersion::NEWEST;
        let once = record_line(
            "Generated by 'django-admin startproject' using Django 4.2.7.",
            to,
        );
        assert_eq!(
            once,
            format!(
                "Generated by 'django-admin startproject' using Django 4.2.7 and upgraded by 'scaffold upgrade' to Django {}.",
                to.release()
            )
        );
        assert_eq!(record_line(&once, to), once);
        let current = format!(
            "Generated by 'scaffold startproject' using Django {}.",
            to.release()
        );
        assert_eq!(record_line(&current, to), current);
        let found = generated_by(&once).unwrap();
        assert_eq!(found.release, to.release());
    }
}
