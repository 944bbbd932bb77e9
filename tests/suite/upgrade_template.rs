//! Issue 19: `scaffold upgrade --from-template OLD --template NEW` on projects made from
//! django-admin project templates: Wagtail's (5.2.8 -> 7.4.4, Django 4.2 -> 5.2, then run under
//! the real Wagtail 7.4 and Django 5.2), CodeRed CMS's (4.1.1 -> 5.0.2, the template alone), both
//! as their authors publish them in their wheels (fetched with pip, cached under target/), and an
//! in-house template made here (a conflict, a removed file, binary files, a file the owner
//! deleted).
//!
//! Each real project is made by the real django-admin with the flags its tool passes, edited as
//! an owner would, upgraded, and compared with a fresh django-admin render of the new template
//! with the same edits applied: the owner's edits kept, every template change applied.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    cached_venv, download_wheel, edit, listing, python_for, python_opted_out, release,
    release_venv, replace_once, run, scaffold, target_dir, unpack_wheel, Listing, FIXED_KEY,
};
use serde_json::Value;

/// The `directory` of `wheel` (`wagtail==5.2.8`) as its wheel holds it, downloaded with pip and
/// unpacked with Python's zipfile (modes kept) under target/template-wheels/, once.
fn wheel_template(wheel: &str, directory: &str) -> PathBuf {
    let base = target_dir()
        .join("template-wheels")
        .join(wheel.replace("==", "-"));
    let lock = File::create(target_dir().join("template-wheels.lock")).unwrap();
    lock.lock().unwrap();
    let done = base.join("done");
    if !done.is_file() {
        let _ = fs::remove_dir_all(&base);
        let file = download_wheel(wheel, &[], &base.join("download"));
        let prefix = format!("{directory}/");
        unpack_wheel(&file, &base, &regex_escape(&prefix));
        fs::write(&done, "").unwrap();
    }
    drop(lock);
    base.join(directory)
}

/// `text` as a Python regex that matches it literally.
fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = !(c.is_ascii_alphanumeric() || c == '_' || c == '/');
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// `django-admin startproject --template=TEMPLATE FLAGS... mysite DIR` of the real Django
/// `series`, in a fresh directory under `work`.
fn django_admin(series: &str, template: &Path, flags: &[&str], work: &Path, dir: &str) -> PathBuf {
    let venv = release_venv(release(series));
    let root = work.join(dir);
    fs::create_dir_all(&root).unwrap();
    run(
        Command::new(venv.join("bin/django-admin"))
            .arg("startproject")
            .arg(format!("--template={}", template.display()))
            .args(flags)
            .arg("mysite")
            .arg(&root),
        &format!(
            "django-admin {series} startproject from {}",
            template.display()
        ),
    );
    root
}

fn upgrade(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = scaffold()
        .current_dir(root)
        .arg("upgrade")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    println!("$ scaffold upgrade {}\n{stdout}{stderr}", args.join(" "));
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn json_report(root: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output-format", "json"]);
    let (_, stdout, _) = upgrade(root, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Every change of every file in the JSON report, as `path key -> outcome`.
fn outcomes(report: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for file in report["files"].as_array().unwrap() {
        let changes = file["changes"].as_array().unwrap();
        assert_eq!(
            changes.len() as u64,
            file["template_changes"].as_u64().unwrap(),
            "every template change of {} is accounted for",
            file["path"]
        );
        for change in changes {
            out.push((
                file["path"].as_str().unwrap().to_owned(),
                change["key"].as_str().unwrap().to_owned(),
                change["outcome"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

fn status_of(report: &Value, path: &str) -> String {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} in the report"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Files only (no directories, no `db.sqlite3`, no `__pycache__`), as text where they are.
fn files_of(root: &Path) -> Listing {
    listing(root)
        .into_iter()
        .filter(|(path, (kind, _))| {
            kind.starts_with("file") && !path.contains("__pycache__") && path != "db.sqlite3"
        })
        .collect()
}

/// Asserts that the upgraded tree is the fresh render with the owner's edits applied: same
/// files, same bytes (the modes of rendered files are the template's in both).
fn assert_same_tree(upgraded: &Path, expected: &Path) {
    let ours = files_of(upgraded);
    let theirs = files_of(expected);
    let names = |l: &Listing| l.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs), "the same files");
    for (path, (_, bytes)) in &theirs {
        let got = &ours[path].1;
        assert!(
            got == bytes,
            "{path} differs from the fresh render with the owner's edits:\n--- upgraded\n{}\n--- expected\n{}",
            String::from_utf8_lossy(got),
            String::from_utf8_lossy(bytes)
        );
    }
}

/// What the project's settings key and generator line are, put into a fresh render, so that
/// it can be compared with the upgraded project.
fn adopt_line(expected: &Path, upgraded: &Path, rel: &str, starts: &str) {
    let line = |root: &Path| {
        fs::read_to_string(root.join(rel))
            .unwrap()
            .lines()
            .find(|l| l.trim_start().starts_with(starts))
            .unwrap_or_else(|| panic!("{starts} in {rel}"))
            .to_owned()
    };
    let ours = line(upgraded);
    let fresh = line(expected);
    if ours != fresh {
        edit(expected, rel, |t| replace_once(t, &fresh, &ours));
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Wagtail 5.2.8 -> 7.4.4 and Django 4.2 -> 5.2, run under the real Wagtail 7.4.

const WAGTAIL_OLD: &str = "wagtail==5.2.8";
const WAGTAIL_NEW: &str = "wagtail==7.4.4";
/// What `wagtail start` passes to django-admin startproject (wagtail/bin/wagtail.py, the same
/// in 5.2 and 7.4).
const WAGTAIL_FLAGS: &[&str] = &["--ext=html,rst", "--name=Dockerfile"];

/// The owner's edits, each of which applies to the 5.2 project and to a fresh 7.4 render alike.
fn wagtail_edits(root: &Path) {
    edit(root, "mysite/settings/base.py", |t| {
        let t = replace_once(t, "    \"search\",\n", "    \"search\",\n    \"blog\",\n");
        let t = replace_once(&t, "TIME_ZONE = \"UTC\"", "TIME_ZONE = \"Europe/Paris\"");
        format!("{t}\n# The blog's own settings.\nBLOG_PAGE_SIZE = 12\n")
    });
    edit(root, "mysite/settings/dev.py", |t| {
        format!("{t}\nINTERNAL_IPS = [\"127.0.0.1\"]\n")
    });
    edit(root, "home/templates/home/home_page.html", |t| {
        replace_once(
            t,
            "{% block content %}",
            "{% block content %}\n<p class=\"motto\">Fresh every morning.</p>",
        )
    });
    // A line changed in a file the template changes too (the Dockerfile's user).
    edit(root, "Dockerfile", |t| {
        replace_once(
            t,
            "RUN useradd wagtail",
            "RUN useradd --create-home wagtail",
        )
    });
}

fn wagtail_blog_app(root: &Path) {
    fs::create_dir_all(root.join("blog")).unwrap();
    fs::write(root.join("blog/__init__.py"), "").unwrap();
    fs::write(
        root.join("blog/apps.py"),
        "from django.apps import AppConfig\n\n\nclass BlogConfig(AppConfig):\n    name = \"blog\"\n",
    )
    .unwrap();
}

#[test]
fn a_wagtail_5_2_project_comes_to_wagtail_7_4_and_django_5_2() {
    if python_opted_out("a_wagtail_5_2_project_comes_to_wagtail_7_4_and_django_5_2") {
        return;
    }
    let old = wheel_template(WAGTAIL_OLD, "wagtail/project_template");
    let new = wheel_template(WAGTAIL_NEW, "wagtail/project_template");
    let work = tempfile::tempdir().unwrap();
    let root = django_admin("4.2", &old, WAGTAIL_FLAGS, work.path(), "site");
    wagtail_edits(&root);
    wagtail_blog_app(&root);

    let (old_s, new_s) = (old.to_str().unwrap(), new.to_str().unwrap());
    let args = [
        "--from-template",
        old_s,
        "--template",
        new_s,
        "--ext=html,rst",
        "--name=Dockerfile",
        "--to",
        "5.2",
    ];
    // Preview: nothing written.
    let before = listing(&root);
    let (code, stdout, stderr) = upgrade(&root, &args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("added home/apps.py"), "{stdout}");
    assert!(stderr.contains("from Django 4.2."), "{stderr}");
    assert_eq!(listing(&root), before, "a preview writes nothing");

    let report = json_report(&root, &args);
    let outcomes = outcomes(&report);
    assert!(
        outcomes.iter().all(|(_, _, o)| o == "applied"),
        "every template change applied: {outcomes:#?}"
    );
    assert!(outcomes.len() > 30, "{outcomes:#?}");
    for (path, status) in [
        ("home/apps.py", "added"),
        ("home/tests.py", "added"),
        ("manage.py", "changed"),
        ("mysite/settings/base.py", "changed"),
        ("Dockerfile", "changed"),
        ("home/templates/home/home_page.html", "unchanged"),
    ] {
        assert_eq!(status_of(&report, path), status, "{path}");
    }

    let mut write = args.to_vec();
    write.push("--write");
    let (code, _, stderr) = upgrade(&root, &write);
    assert_eq!(code, 0, "{stderr}");

    // Expected: a fresh django-admin 5.2 render of Wagtail 7.4's template with the same edits,
    // the project's key and its generator line.
    let expected = django_admin("5.2", &new, WAGTAIL_FLAGS, work.path(), "fresh");
    wagtail_edits(&expected);
    wagtail_blog_app(&expected);
    adopt_line(&expected, &root, "mysite/settings/dev.py", "SECRET_KEY = ");
    adopt_line(&expected, &root, "mysite/settings/base.py", "Generated by ");
    let generated = fs::read_to_string(root.join("mysite/settings/base.py")).unwrap();
    let record = format!(
        "and upgraded by 'scaffold upgrade' to Django {}.",
        release("5.2").release()
    );
    assert!(generated.contains(&record), "{generated}");
    assert_same_tree(&root, &expected);

    // NEW to NEW: nothing changes.
    let again = [
        "--from-template",
        new_s,
        "--template",
        new_s,
        "--ext=html,rst",
        "--name=Dockerfile",
        "--to",
        "5.2",
    ];
    let (code, stdout, stderr) = upgrade(&root, &again);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(stderr.contains("0 changed, 0 added"), "{stderr}");

    // It runs: check and migrate under the real Wagtail 7.4 with Django 5.2.
    let python = python_for(release("5.2"));
    let venv = cached_venv(
        "python-venv-wagtail7",
        &python,
        &[
            WAGTAIL_NEW,
            &format!("django=={}", release("5.2").release()),
        ],
    );
    for step in [&["check"][..], &["migrate", "--no-input"][..]] {
        let out = run(
            Command::new(venv.join("bin/python"))
                .arg("manage.py")
                .args(step)
                .current_dir(&root),
            &format!("manage.py {}", step[0]),
        );
        println!("$ python manage.py {}\n{out}", step.join(" "));
    }
}

// ---------------------------------------------------------------------------------------------
// 2. CodeRed CMS's `basic` template, 4.1.1 -> 5.0.2, on Django 4.2 (the template alone).

const CODERED_OLD: &str = "coderedcms==4.1.1";
const CODERED_NEW: &str = "coderedcms==5.0.2";
/// What `coderedcms start` renders (coderedcms/bin/coderedcms.py): toml files and these names.
/// Given to django-admin, `-e toml` adds to `py`, as it does for scaffold.
const CODERED_FLAGS: &[&str] = &[
    "--ext=toml",
    "--name=0002_initial_data.py,base.py,dev.py,manage.py,prod.py,README.md,requirements.txt,staging.py,wsgi.py",
];

/// `coderedcms start` fills in the site's name and domain (context django-admin does not
/// have): the owner's values here, with an edit of the file the template changes.
fn codered_edits(root: &Path) {
    edit(root, "mysite/settings/base.py", |t| {
        replace_once(
            t,
            "WAGTAIL_SITE_NAME = \"\"",
            "WAGTAIL_SITE_NAME = \"Bakery\"",
        )
    });
    edit(root, "README.md", |t| {
        format!("{t}\nDeployed by the ops team.\n")
    });
    edit(root, "pyproject.toml", |t| {
        format!("{t}\n[tool.ruff]\nline-length = 100\n")
    });
}

#[test]
fn a_codered_cms_4_1_project_takes_the_5_0_template() {
    if python_opted_out("a_codered_cms_4_1_project_takes_the_5_0_template") {
        return;
    }
    let old = wheel_template(CODERED_OLD, "coderedcms/project_template");
    let new = wheel_template(CODERED_NEW, "coderedcms/project_template");
    let (old, new) = (old.join("basic"), new.join("basic"));
    let work = tempfile::tempdir().unwrap();
    let root = django_admin("4.2", &old, CODERED_FLAGS, work.path(), "site");
    codered_edits(&root);

    let mut args = vec![
        "--from-template",
        old.to_str().unwrap(),
        "--template",
        new.to_str().unwrap(),
    ];
    args.extend(CODERED_FLAGS);
    // The release stays (--to the generator line's 4.2): only the template changes.
    args.extend(["--to", "4.2"]);
    let report = json_report(&root, &args);
    let outcomes = outcomes(&report);
    assert!(
        outcomes.iter().all(|(_, _, o)| o == "applied"),
        "{outcomes:#?}"
    );
    assert_eq!(status_of(&report, "pyproject.toml"), "changed");
    assert_eq!(
        status_of(&report, "website/migrations/0001_initial.py"),
        "changed"
    );
    args.push("--write");
    let (code, _, stderr) = upgrade(&root, &args);
    assert_eq!(code, 0, "{stderr}");

    let expected = django_admin("4.2", &new, CODERED_FLAGS, work.path(), "fresh");
    codered_edits(&expected);
    adopt_line(&expected, &root, "mysite/settings/dev.py", "SECRET_KEY = ");
    adopt_line(&expected, &root, "mysite/settings/prod.py", "SECRET_KEY = ");
    adopt_line(&expected, &root, "mysite/settings/base.py", "Generated by ");
    assert_same_tree(&root, &expected);
    let pyproject = fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(
        pyproject.starts_with("[project]\nname = \"mysite\""),
        "{pyproject}"
    );
    assert!(pyproject.contains("line-length = 100"), "{pyproject}");
}

// ---------------------------------------------------------------------------------------------
// 3. An in-house template: a conflict, removed files, binary files, a file the owner deleted.

/// Bytes that are not UTF-8, as an image's are.
const LOGO_OLD: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00old-logo\xff";
const LOGO_NEW: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00new-logo\xfe";
const ICON_OLD: &[u8] = b"\x00\x00\x01\x00icon-old\xff";
const ICON_NEW: &[u8] = b"\x00\x00\x01\x00icon-new\xfe";
const ICON_OWNER: &[u8] = b"\x00\x00\x01\x00icon-ours\xfd";

fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (rel, bytes) in files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

const MANAGE: &[u8] = b"#!/usr/bin/env python\nimport os\nimport sys\n\nif __name__ == \"__main__\":\n    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"{{ project_name }}.settings\")\n    from django.core.management import execute_from_command_line\n\n    execute_from_command_line(sys.argv)\n";

fn in_house_templates(dir: &Path) -> (PathBuf, PathBuf) {
    let old = dir.join("acme-1");
    let new = dir.join("acme-2");
    write_tree(
        &old,
        &[
            ("manage.py-tpl", MANAGE),
            ("project_name/__init__.py-tpl", b""),
            (
                "project_name/settings.py-tpl",
                b"SECRET_KEY = \"{{ secret_key }}\"\nDEBUG = True\nINSTALLED_APPS = [\n    \"django.contrib.contenttypes\",\n]\nTIME_ZONE = \"UTC\"\n",
            ),
            ("deploy/nginx.conf", b"server {\n    listen 80;\n    server_name {{ project_name }}.example.com;\n}\n"),
            ("Procfile", b"web: gunicorn {{ project_name }}.wsgi\n"),
            ("deploy/legacy.sh", b"echo legacy\n"),
            ("NOTES.txt", b"Old notes.\n"),
            ("docs/README.md", b"# {{ project_name }}\n\nRun it.\n"),
            ("static/logo.png", LOGO_OLD),
            ("static/favicon.ico", ICON_OLD),
        ],
    );
    write_tree(
        &new,
        &[
            ("manage.py-tpl", MANAGE),
            ("project_name/__init__.py-tpl", b""),
            (
                "project_name/settings.py-tpl",
                b"SECRET_KEY = \"{{ secret_key }}\"\nDEBUG = True\nINSTALLED_APPS = [\n    \"django.contrib.contenttypes\",\n    \"django.contrib.auth\",\n]\nTIME_ZONE = \"UTC\"\nUSE_TZ = True\n",
            ),
            ("deploy/nginx.conf", b"server {\n    listen 443 ssl;\n    server_name {{ project_name }}.example.com;\n}\n"),
            ("docs/README.md", b"# {{ project_name }}\n\nRun it with `make run`.\n"),
            ("static/logo.png", LOGO_NEW),
            ("static/favicon.ico", ICON_NEW),
            ("Makefile", b"run:\n\tpython manage.py runserver\n"),
            ("CHANGELOG.md", b"# Changes\n"),
        ],
    );
    (old, new)
}

#[test]
fn an_in_house_template_upgrade_keeps_what_the_owner_changed() {
    let work = tempfile::tempdir().unwrap();
    let (old, new) = in_house_templates(work.path());
    let root = work.path().join("site");
    scaffold()
        .args(["startproject", "mysite"])
        .arg(&root)
        .args([
            "--django",
            "5.2",
            "--secret-key",
            FIXED_KEY,
            "-v",
            "0",
            "-e",
            "conf,md",
            "-n",
            "Procfile",
        ])
        .arg("--template")
        .arg(&old)
        .assert()
        .success();
    // The owner's changes.
    edit(&root, "deploy/nginx.conf", |t| {
        replace_once(t, "listen 80;", "listen 8080;")
    });
    edit(&root, "NOTES.txt", |t| format!("{t}Ours too.\n"));
    fs::write(root.join("static/favicon.ico"), ICON_OWNER).unwrap();
    fs::remove_file(root.join("docs/README.md")).unwrap();
    fs::write(root.join("Makefile"), "test:\n\tpytest\n").unwrap();
    edit(&root, "mysite/settings.py", |t| {
        replace_once(t, "TIME_ZONE = \"UTC\"", "TIME_ZONE = \"Asia/Tokyo\"")
    });

    let args = [
        "--from-template",
        old.to_str().unwrap(),
        "--template",
        new.to_str().unwrap(),
        "-e",
        "conf,md",
        "-n",
        "Procfile",
        "--from",
        "5.2",
        "--to",
        "5.2",
    ];
    let before = listing(&root);
    let (code, stdout, stderr) = upgrade(&root, &args);
    assert_eq!(code, 3, "conflicts: exit 3\n{stderr}");
    assert!(stdout.contains("removed Procfile"), "{stdout}");
    assert_eq!(listing(&root), before, "a preview writes nothing");

    let report = json_report(&root, &args);
    for (path, status) in [
        ("deploy/nginx.conf", "conflict"),
        ("Makefile", "conflict"),
        ("CHANGELOG.md", "added"),
        ("Procfile", "removed"),
        ("deploy/legacy.sh", "removed"),
        ("NOTES.txt", "noted"),
        ("docs/README.md", "deleted"),
        ("static/logo.png", "changed"),
        ("static/favicon.ico", "noted"),
        ("mysite/settings.py", "changed"),
        ("manage.py", "unchanged"),
    ] {
        assert_eq!(status_of(&report, path), status, "{path}");
    }
    let notes = report["notes"].as_array().unwrap();
    let noted = |what: &str| notes.iter().any(|n| n.as_str().unwrap().contains(what));
    assert!(
        noted("NOTES.txt: the new template no longer has it, and you changed it"),
        "{notes:?}"
    );
    assert!(
        noted("static/favicon.ico: a binary file that you changed"),
        "{notes:?}"
    );
    assert!(noted("docs/README.md: you deleted it"), "{notes:?}");

    let mut write = args.to_vec();
    write.push("--write");
    let (code, _, stderr) = upgrade(&root, &write);
    assert_eq!(code, 3, "{stderr}");
    let read = |rel: &str| fs::read(root.join(rel)).ok();
    assert_eq!(read("Procfile"), None, "untouched and dropped: removed");
    assert_eq!(read("deploy/legacy.sh"), None, "in a directory too");
    assert!(root.join("deploy/nginx.conf").is_file());
    assert_eq!(read("NOTES.txt").unwrap(), b"Old notes.\nOurs too.\n");
    assert_eq!(read("static/logo.png").unwrap(), LOGO_NEW);
    assert_eq!(read("static/favicon.ico").unwrap(), ICON_OWNER);
    assert_eq!(read("docs/README.md"), None, "deleted stays deleted");
    assert_eq!(read("CHANGELOG.md").unwrap(), b"# Changes\n");
    let nginx = String::from_utf8(read("deploy/nginx.conf").unwrap()).unwrap();
    assert!(
        nginx.contains("<<<<<<< your project\n    listen 8080;\n")
            && nginx.contains("    listen 443 ssl;\n>>>>>>> new template (Django 5.2)"),
        "{nginx}"
    );
    let makefile = String::from_utf8(read("Makefile").unwrap()).unwrap();
    assert!(
        makefile.contains("<<<<<<< your project\ntest:"),
        "{makefile}"
    );
    let settings = String::from_utf8(read("mysite/settings.py").unwrap()).unwrap();
    assert!(
        settings.contains("\"django.contrib.auth\",")
            && settings.contains("TIME_ZONE = \"Asia/Tokyo\"")
            && settings.contains("USE_TZ = True"),
        "{settings}"
    );
}

#[test]
fn from_template_needs_template_and_the_other_way_round() {
    for args in [
        &["--from-template", "a"][..],
        &["--template", "b"][..],
        &["-e", "html"][..],
    ] {
        scaffold().arg("upgrade").args(args).assert().code(2);
    }
}
