//! What `--check` tells its user: the differences as text (one line each, then a unified diff
//! where the content differs), a summary line, or one JSON document. Builds strings only.

use std::path::Path;

use serde::Serialize;

use super::{Change, Comparison, Difference};
use crate::report::slash_path;
use crate::Kind;

/// One line for each difference, each followed by its diff when there is one. Empty when the
/// tree is identical. The diffs alone (`---`/`+++`/`@@` blocks) apply with `patch -p1` or
/// `git apply` to bring the tree to what the command would write.
pub fn text(comparison: &Comparison) -> String {
    let mut out = String::new();
    for d in &comparison.differences {
        out.push_str(&line(d));
        out.push('\n');
        if let Some(diff) = &d.diff {
            out.push_str(diff);
            if !diff.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

fn line(d: &Difference) -> String {
    let path = slash_path(&d.path);
    match d.change {
        Change::Type { expected, actual } => format!(
            "type {path}: {}, would be {}",
            actual.described(),
            expected.described()
        ),
        Change::Missing { expected, mode } => {
            format!("missing {path} ({} {mode:04o})", expected.as_str())
        }
        Change::Extra { actual, mode } => {
            format!("extra {path} ({} {mode:04o})", actual.as_str())
        }
        Change::Changed if d.diff.is_none() => {
            format!("changed {path} (binary or over 1 MiB: no diff shown)")
        }
        Change::Changed => format!("changed {path}"),
        Change::Mode { expected, actual } => {
            format!("mode {path}: {actual:04o}, would be {expected:04o}")
        }
    }
}

/// One line for stderr: what was compared, where, and the outcome.
pub fn summary(comparison: &Comparison, cwd: &Path) -> String {
    let shown = crate::report::shown_path(&comparison.root, cwd);
    let what = crate::report::described(
        comparison.kind,
        &comparison.name,
        comparison.django,
        comparison.template.as_deref(),
    );
    let command = command(comparison.kind);
    let files = crate::report::file_count(comparison.files);
    if comparison.identical() {
        return format!("{shown} is identical to what {command} writes for {what} ({files}).");
    }
    let n = comparison.differences.len();
    let counts: Vec<String> = ["missing", "extra", "changed", "mode", "type"]
        .into_iter()
        .filter_map(|name| {
            let count = comparison
                .differences
                .iter()
                .filter(|d| d.change.as_str() == name)
                .count();
            (count > 0).then(|| format!("{count} {name}"))
        })
        .collect();
    format!(
        "{shown} differs from what {command} writes for {what}: {n} difference{} ({}).",
        if n == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

fn command(kind: Kind) -> &'static str {
    match kind {
        Kind::Project => "startproject",
        Kind::App => "startapp",
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    command: &'static str,
    name: &'a str,
    django_version: String,
    directory: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
    check: bool,
    identical: bool,
    files: usize,
    differences: Vec<JsonDifference>,
}

/// Keys absent when they do not apply to the change.
#[derive(Serialize)]
struct JsonDifference {
    path: String,
    change: &'static str,
    /// missing: the type the command would write; extra: the type found.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    /// missing: the mode the write would give it; extra: the mode found.
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

/// The JSON report: the command and its target, `identical`, and every difference in the
/// comparison's order. Keys in a fixed order; modes as four octal digits.
pub fn json(comparison: &Comparison) -> String {
    let differences = comparison
        .differences
        .iter()
        .map(|d| {
            let mut j = JsonDifference {
                path: slash_path(&d.path),
                change: d.change.as_str(),
                kind: None,
                mode: None,
                expected_type: None,
                actual_type: None,
                expected_mode: None,
                actual_mode: None,
                diff: d.diff.clone(),
            };
            match d.change {
                Change::Type { expected, actual } => {
                    j.expected_type = Some(expected.as_str());
                    j.actual_type = Some(actual.as_str());
                }
                Change::Missing {
                    expected: kind,
                    mode,
                }
                | Change::Extra { actual: kind, mode } => {
                    j.kind = Some(kind.as_str());
                    j.mode = Some(format!("{mode:04o}"));
                }
                Change::Changed => {}
                Change::Mode { expected, actual } => {
                    j.expected_mode = Some(format!("{expected:04o}"));
                    j.actual_mode = Some(format!("{actual:04o}"));
                }
            }
            j
        })
        .collect();
    let report = JsonReport {
        command: command(comparison.kind),
        name: &comparison.name,
        django_version: comparison.django.to_string(),
        directory: comparison.root.display().to_string(),
        template: comparison.template.as_deref(),
        check: true,
        identical: comparison.identical(),
        files: comparison.files,
        differences,
    };
    serde_json::to_string_pretty(&report).expect("the report serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::super::Type;
    use super::*;

    fn comparison(differences: Vec<Difference>) -> Comparison {
        Comparison {
            kind: Kind::Project,
            name: "mysite".into(),
            django: crate::DjangoVersion::NEWEST,
            root: "/w/mysite".into(),
            template: None,
            files: 6,
            differences,
        }
    }

    fn mode_change() -> Difference {
        Difference {
            path: "manage.py".into(),
            change: Change::Mode {
                expected: 0o755,
                actual: 0o644,
            },
            diff: None,
        }
    }

    #[test]
    fn identical_trees_print_no_lines_and_say_so() {
        let c = comparison(vec![]);
        assert_eq!(text(&c), "");
        let summary = summary(&c, Path::new("/w"));
        assert!(
            summary.starts_with("mysite is identical to what startproject writes for Django"),
            "{summary}"
        );
        assert!(json(&c).contains("\"identical\": true"));
    }

    #[test]
    fn each_difference_has_one_line_then_its_diff() {
        let c = comparison(vec![
            mode_change(),
            Difference {
                path: "mysite/extra.py".into(),
                change: Change::Extra {
                    actual: Type::File,
                    mode: 0o600,
                },
                diff: Some("--- a/mysite/extra.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n".into()),
            },
            Difference {
                path: "logo.png".into(),
                change: Change::Changed,
                diff: None,
            },
        ]);
        assert_eq!(
            text(&c),
            "mode manage.py: 0644, would be 0755\n\
             extra mysite/extra.py (file 0600)\n\
             --- a/mysite/extra.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n\
             changed logo.png (binary or over 1 MiB: no diff shown)\n"
        );
        let other = comparison(vec![Difference {
            path: "mysite/urls.py".into(),
            change: Change::Type {
                expected: Type::File,
                actual: Type::Other,
            },
            diff: None,
        }]);
        assert_eq!(
            text(&other),
            "type mysite/urls.py: a fifo, socket or device, would be a file\n"
        );
        assert_eq!(
            summary(&c, Path::new("/elsewhere")),
            "/w/mysite differs from what startproject writes for Django 6.1 project 'mysite': \
             3 differences (1 extra, 1 changed, 1 mode)."
        );
    }

    #[test]
    fn json_keys_only_where_they_apply() {
        let json: serde_json::Value = serde_json::from_str(&json(&comparison(vec![
            mode_change(),
            Difference {
                path: "mysite".into(),
                change: Change::Type {
                    expected: Type::Directory,
                    actual: Type::Symlink,
                },
                diff: None,
            },
        ])))
        .unwrap();
        assert_eq!(json["identical"], false);
        assert_eq!(
            json["differences"][0],
            serde_json::json!({"path": "manage.py", "change": "mode", "expected_mode": "0755", "actual_mode": "0644"})
        );
        assert_eq!(
            json["differences"][1],
            serde_json::json!({"path": "mysite", "change": "type", "expected_type": "directory", "actual_type": "symlink"})
        );
    }
}
