//! What `scaffold upgrade` tells its user: a unified diff per file (stdout), notes and a summary
//! (stderr), or one JSON document. Builds strings only.

use std::path::Path;

use serde::Serialize;

use super::{Status, Upgrade};
use crate::report::slash_path;

/// Each file the upgrade changes, adds or finds deleted, with its diff. The diffs alone apply
/// with `patch -p1` or `git apply` in the project root.
pub fn text(upgrade: &Upgrade) -> String {
    let mut out = String::new();
    for file in &upgrade.files {
        let path = crate::report::terminal(&slash_path(&file.path)).into_owned();
        let line = match file.status {
            Status::Unchanged => continue,
            Status::Deleted => {
                out.push_str(&format!(
                    "deleted {path}: the project deleted it; it stays deleted\n"
                ));
                continue;
            }
            Status::Noted => {
                let n = noted(file);
                out.push_str(&format!(
                    "noted {path}: {n} template change{} not applied (see the notes)\n",
                    plural(n)
                ));
                continue;
            }
            Status::Added => format!("added {path}"),
            Status::Removed => format!("removed {path}: the new template no longer has it"),
            Status::Changed => format!("changed {path}"),
            Status::Conflict => format!(
                "conflict {path}: {} conflict{} to resolve",
                file.conflicts,
                plural(file.conflicts)
            ),
        };
        out.push_str(&line);
        out.push('\n');
        if let Some(diff) =
            crate::check::terminal_diff(&file.path, file.before.as_deref(), file.after.as_deref())
        {
            out.push_str(&diff);
            if !diff.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

fn noted(file: &super::FileUpgrade) -> usize {
    file.changes
        .iter()
        .filter(|c| c.outcome == super::Outcome::Noted)
        .count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The notes, one `note:` line each, for stderr.
pub fn notes(upgrade: &Upgrade) -> String {
    upgrade
        .notes
        .iter()
        .map(|n| format!("note: {n}\n"))
        .collect()
}

/// One line for stderr: from what to what, where, and the outcome.
pub fn summary(upgrade: &Upgrade, written: bool, cwd: &Path) -> String {
    let shown = crate::report::shown_path(&upgrade.root, cwd);
    let conflicts = upgrade.conflicts();
    let mut parts = vec![
        format!("{} changed", upgrade.count(Status::Changed)),
        format!("{} added", upgrade.count(Status::Added)),
    ];
    if upgrade.count(Status::Removed) > 0 {
        parts.push(format!("{} removed", upgrade.count(Status::Removed)));
    }
    if upgrade.count(Status::Deleted) > 0 {
        parts.push(format!(
            "{} deleted by you (kept deleted)",
            upgrade.count(Status::Deleted)
        ));
    }
    let noted: usize = upgrade.files.iter().map(noted).sum();
    if noted > 0 {
        parts.push(format!(
            "{noted} template change{} not applied (see the notes)",
            plural(noted)
        ));
    }
    parts.push(format!(
        "{conflicts} conflict{} in {} file{}",
        plural(conflicts),
        upgrade.count(Status::Conflict),
        plural(upgrade.count(Status::Conflict))
    ));
    let outcome = match (written, conflicts) {
        (true, 0) => "written".to_owned(),
        (true, _) => "written with conflict markers: resolve them, then run your tests".to_owned(),
        (false, _) => "nothing written (pass --write to apply)".to_owned(),
    };
    format!(
        "Upgrade of {shown} from Django {} to {}: {}; {outcome}",
        upgrade.from,
        upgrade.to.release(),
        parts.join(", ")
    )
}

#[derive(Serialize)]
struct Json<'a> {
    command: &'static str,
    root: String,
    from: &'a str,
    to: &'a str,
    written: bool,
    conflicts: usize,
    files: Vec<JsonFile<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    status: Status,
    conflicts: usize,
    /// How many units (statements, comment groups, the docstring; `text` for a file merged by
    /// lines; `file` for a file the template adds or drops) the template changed.
    template_changes: usize,
    /// Each of them with its outcome: applied, conflict, or noted (with the note).
    changes: &'a [super::Change],
    /// The unified diff, when the file changes as text.
    diff: Option<String>,
}

/// The whole upgrade as one JSON document.
pub fn json(upgrade: &Upgrade, written: bool) -> String {
    let report = Json {
        command: "upgrade",
        root: upgrade.root.to_string_lossy().into_owned(),
        from: &upgrade.from,
        to: upgrade.to.release(),
        written,
        conflicts: upgrade.conflicts(),
        files: upgrade
            .files
            .iter()
            .map(|f| JsonFile {
                path: slash_path(&f.path),
                status: f.status,
                conflicts: f.conflicts,
                template_changes: f.template_changes,
                changes: &f.changes,
                diff: crate::check::text_diff(&f.path, f.before.as_deref(), f.after.as_deref()),
            })
            .collect(),
        notes: &upgrade.notes,
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}
