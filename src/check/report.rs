//! What `--check` tells its user: the differences as text (one line each, then a unified diff
//! where the content differs), a summary line, or one JSON document. Written as it is made,
//! one difference at a time, so that a large tree's diffs are never held together.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::{Change, Comparison, DiffClock, Difference};
use crate::report::{slash_path, terminal};
use crate::Kind;

/// One line for each difference, each followed by its diff when there is one. Nothing when the
/// tree is identical. The diffs alone (`---`/`+++`/`@@` blocks) apply with `patch -p1` or
/// `git apply` to bring the tree to what the command would write. Names are escaped for the
/// terminal ([`terminal`]); the content of the diffs is the files' own.
pub fn write_text(comparison: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let clock = DiffClock::start();
    for d in &comparison.differences {
        let path = slash_path(&d.path);
        let shown = terminal(&path);
        let diff = comparison.diff(d, &shown, clock.next());
        writeln!(out, "{}", line(d, &shown, diff.is_some()))?;
        if let Some(diff) = diff {
            out.write_all(diff.as_bytes())?;
            if !diff.ends_with('\n') {
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(())
}

/// [`write_text`] into a string.
#[cfg(test)]
fn text(comparison: &Comparison) -> String {
    let mut out = Vec::new();
    write_text(comparison, &mut out).expect("writing to memory does not fail");
    String::from_utf8_lossy(&out).into_owned()
}

fn line(d: &Difference, path: &str, has_diff: bool) -> String {
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
        Change::Changed if !has_diff => {
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

/// The report's keys before `differences`, which are written one at a time after them.
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
/// comparison's order. Keys in a fixed order; modes as four octal digits. The same bytes as
/// `serde_json::to_string_pretty` of the whole, written one difference at a time.
pub fn write_json(comparison: &Comparison, out: &mut dyn Write) -> io::Result<()> {
    let report = JsonReport {
        command: command(comparison.kind),
        name: &comparison.name,
        django_version: comparison.django.to_string(),
        directory: comparison.root.display().to_string(),
        template: comparison.template.as_deref(),
        check: true,
        identical: comparison.identical(),
        files: comparison.files,
    };
    let head = serde_json::to_string_pretty(&report)?;
    out.write_all(head.strip_suffix("\n}").unwrap_or(&head).as_bytes())?;
    if comparison.differences.is_empty() {
        return out.write_all(b",\n  \"differences\": []\n}\n");
    }
    out.write_all(b",\n  \"differences\": [")?;
    let clock = DiffClock::start();
    for (i, d) in comparison.differences.iter().enumerate() {
        let path = slash_path(&d.path);
        let diff = comparison.diff(d, &path, clock.next());
        let j = json_difference(d, path, diff.map(|d| d.into_owned()));
        let item = serde_json::to_string_pretty(&j)?;
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        for (n, line) in item.lines().enumerate() {
            if n > 0 {
                out.write_all(b"\n")?;
            }
            write!(out, "    {line}")?;
        }
    }
    out.write_all(b"\n  ]\n}\n")
}

/// [`write_json`] into a string.
#[cfg(test)]
fn json(comparison: &Comparison) -> String {
    let mut out = Vec::new();
    write_json(comparison, &mut out).expect("writing to memory does not fail");
    String::from_utf8_lossy(&out).into_owned()
}

fn json_difference(d: &Difference, path: String, diff: Option<String>) -> JsonDifference {
    let mut j = JsonDifference {
        path,
        change: d.change.as_str(),
        kind: None,
        mode: None,
        expected_type: None,
        actual_type: None,
        expected_mode: None,
        actual_mode: None,
        diff,
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
}

#[cfg(test)]
mod tests {
    use super::super::{Diff, Type};
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
            root_fd: None,
        }
    }

    fn mode_change() -> Difference {
        Difference {
            path: "manage.py".into(),
            change: Change::Mode {
                expected: 0o755,
                actual: 0o644,
            },
            diff: Diff::None,
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
                diff: Diff::Text(
                    "--- a/mysite/extra.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n".into(),
                ),
            },
            Difference {
                path: "logo.png".into(),
                change: Change::Changed,
                diff: Diff::None,
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
            diff: Diff::None,
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
                diff: Diff::None,
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
