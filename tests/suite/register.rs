//! `startapp --register`: the settings that define INSTALLED_APPS get exactly one new line and
//! every other byte kept, or the command is refused and nothing at all changes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{listing, scaffold, FIXED_KEY};

fn project(dir: &Path, args: &[&str]) {
    scaffold()
        .current_dir(dir)
        .args([
            "startproject",
            "mysite",
            "--secret-key",
            FIXED_KEY,
            "-v",
            "0",
        ])
        .args(args)
        .assert()
        .success();
}

fn startapp(root: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    scaffold()
        .current_dir(root)
        .args(["startapp", "--register", "-v", "1"])
        .args(args)
        .assert()
}

/// `after` is `before` with exactly `line` added as a whole line, every other byte the same.
fn assert_one_line_added(before: &[u8], after: &[u8], line: &str) {
    let a: Vec<&[u8]> = before.split_inclusive(|b| *b == b'\n').collect();
    let b: Vec<&[u8]> = after.split_inclusive(|b| *b == b'\n').collect();
    assert_eq!(b.len(), a.len() + 1, "{}", String::from_utf8_lossy(after));
    let i = b
        .iter()
        .position(|l| *l == line.as_bytes())
        .unwrap_or_else(|| panic!("no line {line:?} in:\n{}", String::from_utf8_lossy(after)));
    let mut rest = b.clone();
    rest.remove(i);
    assert_eq!(rest, a);
}

#[test]
fn every_release_and_layout_gets_one_line() {
    for version in scaffold::DjangoVersion::generated()
        .iter()
        .map(|v| v.docs_version())
    {
        for (args, settings) in [
            (&[][..], "mysite/settings.py"),
            (&["--settings", "split"][..], "mysite/settings/base.py"),
            (&["--layout", "project-app"][..], "mysite/settings.py"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            project(dir.path(), &[&["--django", version][..], args].concat());
            let root = dir.path().join("mysite");
            let before = listing(&root);
            // Captured output stays quiet on success (the line saying so is for a terminal).
            let out = startapp(&root, &["blog", "--django", version]).success();
            assert!(out.get_output().stderr.is_empty());
            let after = listing(&root);
            // Only the settings file changed among what existed.
            for (path, entry) in &before {
                if path != settings {
                    assert_eq!(after.get(path), Some(entry), "{version} {args:?}: {path}");
                }
            }
            assert_one_line_added(&before[settings].1, &after[settings].1, "    'blog',\n");
            let text = String::from_utf8(after[settings].1.clone()).unwrap();
            assert!(
                text.contains("'django.contrib.staticfiles',\n    'blog',\n")
                    || text.contains("    'mysite',\n    'blog',\n"),
                "{text}"
            );
            assert!(after.contains_key("blog/apps.py"));
            // No temporary or staging file is left.
            assert!(!after.keys().any(|p| p.contains("scaffold")), "{after:?}");
        }
    }
}

#[test]
fn a_nested_app_is_registered_by_its_dotted_path() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &[]);
    let root = dir.path().join("mysite");
    let before = fs::read(root.join("mysite/settings.py")).unwrap();
    startapp(&root, &["blog", "apps/blog/"]).success();
    let after = fs::read(root.join("mysite/settings.py")).unwrap();
    assert_one_line_added(&before, &after, "    'apps.blog',\n");
    let apps = fs::read_to_string(root.join("apps/blog/apps.py")).unwrap();
    assert!(apps.contains("    name = 'apps.blog'\n"), "{apps}");
    assert!(apps.contains("class BlogConfig(AppConfig):"), "{apps}");
}

/// A settings module written by hand: comments, double quotes, odd indentation, no trailing
/// comma; INSTALLED_APPS comes from a star import chain.
#[test]
fn hand_written_settings_keep_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("manage.py"),
        "#!/usr/bin/env python\nimport os, sys\n\nif __name__ == \"__main__\":\n    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"conf.local\")\n",
    )
    .unwrap();
    fs::create_dir(root.join("conf")).unwrap();
    fs::write(root.join("conf/__init__.py"), "").unwrap();
    fs::write(
        root.join("conf/local.py"),
        "from .common import *  # noqa\n\nDEBUG = True\n",
    )
    .unwrap();
    let common = "# Shared settings.\nINSTALLED_APPS = [ # the apps\n\t\"django.contrib.auth\" ,  # auth\n\t\"django.contrib.contenttypes\"   # types\n\t# \"debug_toolbar\",\n]  # end\nAPPS_NOTE = 'INSTALLED_APPS = []'\n";
    fs::write(root.join("conf/common.py"), common).unwrap();
    let local = fs::read(root.join("conf/local.py")).unwrap();
    startapp(root, &["blog"]).success();
    let after = fs::read_to_string(root.join("conf/common.py")).unwrap();
    assert_eq!(
        after,
        "# Shared settings.\nINSTALLED_APPS = [ # the apps\n\t\"django.contrib.auth\" ,  # auth\n\t\"django.contrib.contenttypes\",   # types\n\t\"blog\",\n\t# \"debug_toolbar\",\n]  # end\nAPPS_NOTE = 'INSTALLED_APPS = []'\n"
    );
    assert_eq!(fs::read(root.join("conf/local.py")).unwrap(), local);
}

/// Each refusal: exit 1, a message saying why, and the whole tree byte for byte as before.
fn assert_refused(root: &Path, args: &[&str], why: &str) {
    let before = listing(root);
    let out = startapp(root, args).code(1).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: cannot register"), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(listing(root), before, "{args:?} changed something");
}

#[test]
fn computed_lists_are_refused_with_nothing_changed() {
    for (settings, why) in [
        (
            "INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS\n",
            "a concatenation",
        ),
        (
            "from .apps import APPS\nINSTALLED_APPS = APPS\n",
            "a name defined elsewhere",
        ),
        ("INSTALLED_APPS = list(APPS)\n", "a call"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        project(dir.path(), &[]);
        let root = dir.path().join("mysite");
        let text = fs::read_to_string(root.join("mysite/settings.py")).unwrap();
        fs::write(
            root.join("mysite/settings.py"),
            format!("{text}\n{settings}"),
        )
        .unwrap();
        assert_refused(&root, &["blog"], why);
    }
}

#[test]
fn an_app_already_registered_is_refused_with_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &[]);
    let root = dir.path().join("mysite");
    startapp(&root, &["blog"]).success();
    fs::remove_dir_all(root.join("blog")).unwrap();
    assert_refused(&root, &["blog"], "'blog' is already in INSTALLED_APPS");
    assert_refused(&root, &["blog", "apps/blog"], "labelled 'blog'");
}

#[test]
fn a_read_only_settings_file_is_refused_with_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &["--settings", "split"]);
    let root = dir.path().join("mysite");
    let base = root.join("mysite/settings/base.py");
    fs::set_permissions(&base, fs::Permissions::from_mode(0o444)).unwrap();
    assert_refused(&root, &["blog"], "is read-only");
}

#[test]
fn outside_a_project_it_is_refused_with_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    assert_refused(dir.path(), &["blog"], "no manage.py");
}

/// A conflict in the app's files refuses the whole command: the settings stay as they were.
#[test]
fn a_conflicting_app_file_leaves_the_settings_alone() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &[]);
    let root = dir.path().join("mysite");
    fs::create_dir(root.join("blog")).unwrap();
    fs::write(root.join("blog/models.py"), "# mine\n").unwrap();
    let before = listing(&root);
    let out = startapp(&root, &["blog", "blog"]).code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(listing(&root), before);
}

/// A dry run reports the edit (JSON: the settings path and their new text) and writes nothing.
#[test]
fn a_dry_run_reports_the_edit_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), &[]);
    let root = dir.path().join("mysite");
    let before = listing(&root);
    let out = startapp(&root, &["blog", "--dry-run", "--output-format", "json"]).success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["registered"]["app"], "blog");
    let settings = root.join("mysite/settings.py");
    assert_eq!(
        report["registered"]["settings"],
        settings.display().to_string()
    );
    let content = report["registered"]["content"].as_str().unwrap();
    assert_one_line_added(
        &before["mysite/settings.py"].1,
        content.as_bytes(),
        "    'blog',\n",
    );
    assert_eq!(listing(&root), before);
}
