//! The built-in project and app templates, embedded in the binary and rendered with Tera.
//!
//! One template tree serves every supported Django release: the few differences between
//! releases are `{% if django_series ... %}` blocks inside the templates. Only the templates of
//! the command being run are parsed.

use std::path::Path;

use include_dir::{include_dir, Dir, DirEntry, File};

use crate::django::DjangoVersion;
use crate::error::Error;
use crate::name::{Kind, PackageName};
use crate::path_map::target_path;
use crate::plan::{Content, Plan};
use crate::secret::SecretKey;
use crate::settings::{SettingsLayout, SettingsModule};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The settings package of the split layout, and the single-file settings it extends.
const SPLIT_SETTINGS_DIR: &str = "project_name/settings";
const SINGLE_SETTINGS_FILE: &str = "project_name/settings.py-tpl";
/// The one template file that is executable, as in Django's own template.
const EXECUTABLE: &str = "manage.py-tpl";

/// Everything the built-in templates may refer to.
pub struct Context<'a> {
    pub kind: Kind,
    pub name: &'a PackageName,
    pub directory: &'a Path,
    pub django: DjangoVersion,
    /// Project only.
    pub project: Option<ProjectContext<'a>>,
}

pub struct ProjectContext<'a> {
    pub secret_key: &'a SecretKey,
    pub layout: SettingsLayout,
    pub settings_module: &'a SettingsModule,
}

/// Renders the built-in template of `context.kind` into a plan.
pub fn render(context: &Context) -> Result<Plan, Error> {
    let kind = context.kind.as_str();
    let root = TEMPLATES
        .get_dir(kind)
        .expect("the built-in templates are embedded at build time");
    let layout = context
        .project
        .as_ref()
        .map(|p| p.layout)
        .unwrap_or_default();

    let mut files = Vec::new();
    collect_files(root, &mut files);
    let root_path = root.path();
    let parsed: Vec<&File> = files
        .into_iter()
        .filter(|f| {
            layout == SettingsLayout::Split
                || !relative(f, root_path).starts_with(SPLIT_SETTINGS_DIR)
        })
        .collect();

    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    let sources: Vec<(String, &str)> = parsed
        .iter()
        .map(|f| {
            let text = f.contents_utf8().expect("the built-in templates are UTF-8");
            (template_name(relative(f, root_path)), text)
        })
        .collect();
    tera.add_raw_templates(sources)
        .map_err(|e| render_error(kind, e))?;

    let tera_context = tera_context(context);
    let mut plan = Plan::default();
    for file in parsed {
        let rel = relative(file, root_path);
        if layout == SettingsLayout::Split && rel == Path::new(SINGLE_SETTINGS_FILE) {
            continue;
        }
        let name = template_name(rel);
        let rendered = tera
            .render(&name, &tera_context)
            .map_err(|e| render_error(&name, e))?;
        let target = target_path(rel, &format!("{kind}_name"), context.name.as_str())
            .expect("built-in template paths are relative and plain");
        let mode = if rel == Path::new(EXECUTABLE) {
            0o755
        } else {
            0o644
        };
        plan.add_file(target, mode, Content::Bytes(rendered.into_bytes()));
    }
    plan.sort();
    Ok(plan)
}

fn relative(file: &'static File<'static>, root: &Path) -> &'static Path {
    file.path().strip_prefix(root).unwrap_or(file.path())
}

fn collect_files<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a File<'a>>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => collect_files(d, out),
            DirEntry::File(f) => out.push(f),
        }
    }
}

fn template_name(relative: &Path) -> String {
    relative.to_string_lossy().replace('\\', "/")
}

fn tera_context(context: &Context) -> tera::Context {
    let kind = context.kind.as_str();
    let (major, minor) = context.django.number();
    let mut c = tera::Context::new();
    c.insert(format!("{kind}_name"), context.name.as_str());
    c.insert(
        format!("{kind}_directory"),
        &context.directory.to_string_lossy(),
    );
    c.insert(
        format!("camel_case_{kind}_name"),
        &context.name.camel_case(),
    );
    c.insert("docs_version", context.django.docs_version());
    c.insert("django_version", context.django.release());
    // 52 for 5.2, 61 for 6.1: lets templates say `{% if django_series < 60 %}`.
    c.insert("django_series", &(u32::from(major) * 10 + u32::from(minor)));
    if let Some(project) = &context.project {
        c.insert("secret_key", project.secret_key.as_str());
        c.insert("settings_module", project.settings_module.as_str());
    }
    c
}

fn render_error(template: &str, error: tera::Error) -> Error {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::Render {
        template: template.to_owned(),
        message,
    }
}
