//! Snapshots of every built-in output: each generated Django release, project (both settings layouts, both
//! project layouts) and app, with a fixed secret key. A template change shows up here as a
//! snapshot diff to review.

use std::path::Path;

use crate::support::{listing, scaffold_with_umask, FIXED_KEY};

/// The whole tree as one reviewable text: each entry's path and mode, then each file's content.
fn render_tree(root: &Path) -> String {
    let mut out = String::new();
    for (path, (kind, bytes)) in listing(root) {
        out.push_str(&format!("=== {path} ({kind})\n"));
        out.push_str(&String::from_utf8(bytes).expect("built-in output is UTF-8"));
    }
    out
}

fn generate(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    // A fixed umask, so that modes in the snapshot do not depend on the caller's.
    scaffold_with_umask("022")
        .current_dir(dir.path())
        .args(args)
        .args(["-v", "0"])
        .assert()
        .success();
    render_tree(dir.path())
}

#[test]
fn builtin_outputs() {
    // Every generated release of the table: a new one needs its snapshots reviewed, nothing
    // else here. Upgrade bases have no command-line output (parity.rs checks them).
    for version in scaffold::DjangoVersion::generated()
        .iter()
        .map(|v| v.docs_version())
    {
        let project = [
            "startproject",
            "mysite",
            "--django",
            version,
            "--secret-key",
            FIXED_KEY,
        ];
        let layouts: [(&str, &[&str]); 6] = [
            ("startproject", &[]),
            ("startproject_split", &["--settings", "split"]),
            ("startproject_project_app", &["--layout", "project-app"]),
            (
                "startproject_project_app_split",
                &["--layout", "project-app", "--settings", "split"],
            ),
            ("startproject_project_files", &["--project-files"]),
            (
                "startproject_project_files_split",
                &["--project-files", "--settings", "split"],
            ),
        ];
        for (snapshot, extra) in layouts {
            let tree = generate(&[&project[..], extra].concat());
            insta::assert_snapshot!(format!("{snapshot}_{version}"), tree);
        }

        let app = generate(&["startapp", "blog_app2x", "--django", version]);
        insta::assert_snapshot!(format!("startapp_{version}"), app);
    }
}
