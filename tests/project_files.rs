//! `startproject --project-files`: pyproject.toml is what PEP 621 and uv expect (parsed with
//! Python's tomllib for every release), and uv syncs and runs the generated project.

mod support;

use std::path::Path;
use std::process::Command;

use support::{python_opted_out, scaffold, uv, uv_cache, venv_bin};

fn generate(dir: &Path, args: &[&str]) {
    scaffold()
        .current_dir(dir)
        .args(["startproject", "mysite", "--project-files", "-v", "0"])
        .args(args)
        .assert()
        .success();
}

/// Reads pyproject.toml with tomllib and prints the fields that matter, one per line.
const READ_PYPROJECT: &str = r#"
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    data = tomllib.load(f)
project = data["project"]
print(project["name"])
print(project["version"])
print(project["requires-python"])
print(project["dependencies"])
print(data["tool"]["uv"]["package"])
print("build-system" in data)
"#;

#[test]
fn pyproject_parses_and_pins_each_release() {
    if python_opted_out("pyproject_parses_and_pins_each_release") {
        return;
    }
    for (release, python) in [("5.2", ">=3.10"), ("6.0", ">=3.12"), ("6.1", ">=3.12")] {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), &["--django", release]);
        let out = Command::new(venv_bin("python"))
            .args(["-c", READ_PYPROJECT])
            .arg(dir.path().join("mysite/pyproject.toml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{release}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = format!("mysite\n0.1.0\n{python}\n['Django~={release}']\nFalse\nFalse\n");
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{release}");
    }
}

#[test]
fn env_example_lists_every_variable_production_reads() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &["--settings", "split"]);
    let root = dir.path().join("mysite");
    let production = std::fs::read_to_string(root.join("mysite/settings/production.py")).unwrap();
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    // Every DJANGO_* name production.py mentions in quotes is read from the environment.
    let read: std::collections::BTreeSet<&str> = production
        .split('\'')
        .filter(|s| {
            s.starts_with("DJANGO_") && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        })
        .collect();
    assert!(read.len() >= 5, "{read:?}");
    for variable in read {
        assert!(
            example.contains(&format!("{variable}=")),
            "{variable} missing"
        );
    }
    // Single settings read no variables: no .env.example.
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &[]);
    assert!(!dir.path().join("mysite/.env.example").exists());
    assert!(dir.path().join("mysite/.gitignore").is_file());
}

#[test]
fn uv_syncs_and_runs_the_project() {
    if python_opted_out("uv_syncs_and_runs_the_project") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &["--django", "5.2"]);
    let root = dir.path().join("mysite");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let uv_command = |args: &[&str]| {
        let mut cmd = Command::new(uv());
        cmd.current_dir(&root)
            .args(args)
            .env("UV_CACHE_DIR", uv_cache())
            .env("UV_PYTHON", &python)
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env_remove("VIRTUAL_ENV")
            .env_remove("DJANGO_SETTINGS_MODULE");
        // pip's extra wheel directory, if the machine has one, for uv too.
        if let Ok(links) = std::env::var("PIP_FIND_LINKS") {
            cmd.env("UV_FIND_LINKS", links);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "uv {args:?} failed:\n{text}");
        text
    };
    uv_command(&["sync"]);
    assert!(root.join("uv.lock").is_file(), "uv sync wrote no lock file");
    let lock = std::fs::read_to_string(root.join("uv.lock")).unwrap();
    assert!(
        lock.contains("name = \"django\"\nversion = \"5.2."),
        "{lock}"
    );
    let out = uv_command(&["run", "python", "manage.py", "check"]);
    assert!(
        out.contains("System check identified no issues (0 silenced)."),
        "{out}"
    );
}
