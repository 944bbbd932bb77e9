//! Custom templates (`--template`): a directory, an archive or a URL of one, rendered into a
//! plan with Django's rules and Django's template language.
//!
//! The journey: `source::acquire` finds or unpacks the template (refusing hostile archives and
//! bounding size and time), `custom::plan` walks it into a [`Plan`] (copied files stay on disk
//! as [`crate::plan::Content::Copy`], rendered ones go through the `django-template` crate). Nothing is
//! written to the destination here; an unpacked archive lives in a temporary workspace that the
//! caller keeps until the plan is written.

pub(crate) mod archive;
mod custom;
mod download;
pub(crate) mod source;

pub use download::DownloadProgress;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use crate::django::DjangoVersion;
use crate::error::Error;
use crate::name::{Kind, PackageName};
use crate::plan::Plan;
use crate::secret::SecretKey;
use crate::Environment;
use django_template::python::python_strip;
use django_template::Value;

/// Default limit on an archive's unpacked size and on a download: 256 MiB.
pub(crate) const DEFAULT_MAX_SIZE: u64 = 256 * 1024 * 1024;
/// Default time-out for downloading a template.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `--template` options, as the user gave them (Django's option values).
#[derive(Debug, Clone)]
pub struct TemplateOptions {
    /// A directory, an archive, or an http(s) URL of an archive.
    pub(crate) source: String,
    /// `-e` values as given (each may hold several, comma-separated); `py` is always included,
    /// as argparse appends to Django's default.
    pub extensions: Vec<String>,
    /// `-n` values as given (comma-separated).
    pub files: Vec<String>,
    /// `-x` values; None when `-x` was not given at all (`-x` alone gives `[""]`).
    pub exclude: Option<Vec<String>>,
    /// Limit on the unpacked size of an archive and on the size of a download.
    pub max_size: u64,
    /// Limit on the whole download.
    pub timeout: Duration,
    /// `verbosity` in the template context.
    pub verbosity: u8,
    /// Told how a download advances (the binary's progress bar); None: nobody is told.
    pub progress: Option<Arc<dyn download::DownloadProgress>>,
}

impl TemplateOptions {
    /// The options for `source` with django-admin's defaults and scaffold's limits.
    pub fn new(source: impl Into<String>) -> Self {
        TemplateOptions {
            source: source.into(),
            extensions: Vec::new(),
            files: Vec::new(),
            exclude: None,
            max_size: DEFAULT_MAX_SIZE,
            timeout: DEFAULT_TIMEOUT,
            verbosity: 1,
            progress: None,
        }
    }

    /// Django's `-e` list as argparse builds it: the default `py` first, then the given values.
    fn raw_extensions(&self) -> Vec<String> {
        std::iter::once("py".to_owned())
            .chain(self.extensions.iter().cloned())
            .collect()
    }

    /// Django's `handle_extensions`: spaces removed, split on commas, a leading dot added,
    /// `.mo` dropped.
    pub(crate) fn rendered_extensions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for raw in self.raw_extensions() {
            for ext in raw.replace(' ', "").split(',') {
                let ext = if ext.starts_with('.') {
                    ext.to_owned()
                } else {
                    format!(".{ext}")
                };
                if ext.trim_matches('.') != "mo" && !out.contains(&ext) {
                    out.push(ext);
                }
            }
        }
        out
    }

    /// `-n` values split on commas and stripped.
    pub(crate) fn extra_files(&self) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|f| f.split(','))
            .map(|f| python_strip(f).to_owned())
            .collect()
    }
}

/// What the context of a custom template is made of.
pub(crate) struct Context<'a> {
    pub(crate) kind: Kind,
    pub(crate) name: &'a PackageName,
    /// The absolute target directory.
    pub(crate) directory: &'a Path,
    pub(crate) django: DjangoVersion,
    /// startproject only.
    pub(crate) secret_key: Option<&'a SecretKey>,
}

/// A rendered custom template: the plan, and the workspace its copied files live in.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub(crate) plan: Plan,
    pub(crate) workspace: Option<Arc<TempDir>>,
}

/// Acquires and renders the template of `options` into a plan.
pub(crate) fn render(
    options: &TemplateOptions,
    context: &Context,
    env: &Environment,
) -> Result<Rendered, Error> {
    let acquired = source::acquire(options, context.kind, env)?;
    let kind = context.kind.as_str();
    let placeholder = format!("{kind}_name");
    let extensions = options.rendered_extensions();
    let extra_files = options.extra_files();
    let excluded: Option<Vec<String>> = options
        .exclude
        .as_ref()
        .map(|x| x.iter().map(|d| python_strip(d).to_owned()).collect());
    let values = template_context(options, context);
    let root = Arc::new(
        crate::plan::SourceDir::open(&acquired.root).map_err(Error::io(
            "cannot read the template directory",
            &acquired.root,
        ))?,
    );
    let plan = custom::plan(&custom::Walk {
        root: &root,
        shown_as: &options.source,
        placeholder: &placeholder,
        name: context.name.as_str(),
        target_root: context.directory,
        extensions: &extensions,
        extra_files: &extra_files,
        excluded: excluded.as_deref(),
        context: &values,
        max_output: options.max_size,
        rendered: std::cell::Cell::new(0),
    })?;
    Ok(Rendered {
        plan,
        workspace: acquired.workspace.map(Arc::new),
    })
}

/// Django's context: the command's options, then the names `TemplateCommand` adds.
fn template_context(options: &TemplateOptions, context: &Context) -> Vec<(String, Value)> {
    let kind = context.kind.as_str();
    let strings = |v: &[String]| Value::List(v.iter().map(|s| Value::str(s.as_str())).collect());
    let mut values = vec![
        (
            "verbosity".to_owned(),
            Value::Int(i64::from(options.verbosity)),
        ),
        ("settings".to_owned(), Value::None),
        ("pythonpath".to_owned(), Value::None),
        ("traceback".to_owned(), Value::Bool(false)),
        ("no_color".to_owned(), Value::Bool(false)),
        ("force_color".to_owned(), Value::Bool(false)),
        ("template".to_owned(), Value::str(options.source.as_str())),
        ("extensions".to_owned(), strings(&options.raw_extensions())),
        ("files".to_owned(), strings(&options.files)),
    ];
    if let Some(exclude) = &options.exclude {
        values.push(("exclude".to_owned(), strings(exclude)));
    }
    if let Some(key) = context.secret_key {
        values.push(("secret_key".to_owned(), Value::str(key.as_str())));
    }
    values.extend([
        (format!("{kind}_name"), Value::str(context.name.as_str())),
        (
            format!("{kind}_directory"),
            Value::str(context.directory.to_string_lossy()),
        ),
        (
            format!("camel_case_{kind}_name"),
            Value::str(context.name.camel_case()),
        ),
        (
            "docs_version".to_owned(),
            Value::str(context.django.docs_version()),
        ),
        (
            "django_version".to_owned(),
            Value::str(context.django.release()),
        ),
    ]);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_as_django_handles_them() {
        let mut o = TemplateOptions::new("t");
        assert_eq!(o.rendered_extensions(), [".py"]);
        o.extensions = vec!["txt, .md".into(), "mo".into(), "py".into()];
        assert_eq!(o.rendered_extensions(), [".py", ".txt", ".md"]);
        o.files = vec![" Procfile , README".into()];
        assert_eq!(o.extra_files(), ["Procfile", "README"]);
    }
}
