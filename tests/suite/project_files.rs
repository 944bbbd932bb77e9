//! `startproject --project-files`: pyproject.toml is what PEP 621 and uv expect (parsed with
//! Python's tomllib for every release), and uv syncs and runs the generated project.

use std::path::Path;
use std::process::Command;

use crate::support::{python_opted_out, scaffold, uv, uv_cache, venv_bin};

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
        let expected = format!("mysite\n0.1.0\n{python}\n['Django~={release}.0']\nFalse\nFalse\n");
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

/// An interpreter of at least `minor` (3.minor): `python3` if new enough, else pyenv's.
fn interpreter(minor: u32) -> Option<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut candidates = vec![python];
    if let Some(home) = std::env::var_os("HOME") {
        let versions = Path::new(&home).join(".pyenv/versions");
        let mut found: Vec<_> = std::fs::read_dir(versions)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin/python3"))
            .collect();
        found.sort();
        candidates.extend(found.into_iter().map(|p| p.display().to_string()));
    }
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args([
                "-c",
                &format!("import sys; sys.exit(sys.version_info < (3, {minor}))"),
            ])
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// uv accepts the pyproject.toml of each release with an interpreter that release supports,
/// locks the pinned Django, and runs manage.py check.
#[test]
fn uv_syncs_and_runs_the_project() {
    if python_opted_out("uv_syncs_and_runs_the_project") {
        return;
    }
    for (release, minor) in [("5.2", 10), ("6.0", 12), ("6.1", 12)] {
        let Some(python) = interpreter(minor) else {
            assert_ne!(release, "5.2", "no Python 3.10 or later found");
            eprintln!("SKIPPED uv with Django {release}: no Python 3.{minor} or later found");
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), &["--django", release]);
        let root = dir.path().join("mysite");
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
            assert!(
                out.status.success(),
                "{release}: uv {args:?} failed:\n{text}"
            );
            text
        };
        uv_command(&["sync"]);
        let lock = std::fs::read_to_string(root.join("uv.lock")).unwrap();
        assert!(
            lock.contains(&format!("name = \"django\"\nversion = \"{release}.")),
            "{release}: {lock}"
        );
        let out = uv_command(&["run", "python", "manage.py", "check"]);
        assert!(
            out.contains("System check identified no issues (0 silenced)."),
            "{release}: {out}"
        );
    }
}
