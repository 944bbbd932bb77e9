//! `--check`: an identical tree passes (exit 0); one byte changed, a file added, a file removed,
//! a mode changed each fail (exit 1) with the right report; custom templates; JSON; usage errors
//! (exit 2); the README's snapshot recipe as written. Every check run is also checked to write
//! nothing: the whole working directory is listed before and after.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{self, generate, listing, scaffold_path, scaffold_with_umask, FIXED_KEY};

/// Runs `args` plus `--check` under `umask` in `dir`; asserts that nothing below `dir` changed.
/// Returns (exit status, stdout, stderr).
fn check_with_umask(umask: &str, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let before = listing(dir);
    let out = scaffold_with_umask(umask)
        .current_dir(dir)
        .args(args)
        .arg("--check")
        .output()
        .unwrap();
    assert_eq!(
        listing(dir),
        before,
        "{args:?} --check changed the file system"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    check_with_umask("022", dir, args)
}

const PROJECT: &[&str] = &["startproject", "mysite", "--secret-key", FIXED_KEY];

/// A project generated as `./mysite`, and its check: identical.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), PROJECT);
    let (code, stdout, stderr) = check(dir.path(), PROJECT);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    dir
}

#[test]
fn identical_trees_pass_and_nothing_is_written() {
    let dir = project();
    let (_, _, stderr) = check(dir.path(), PROJECT);
    assert!(
        stderr.starts_with("mysite is identical to what startproject writes for Django 6.1 project 'mysite' (6 files)."),
        "{stderr}"
    );

    for args in [
        &["startapp", "blog"][..],
        &["startapp", "shop", "apps/shop"],
        &[
            "startproject",
            "split",
            "--settings",
            "split",
            "--secret-key",
            "k",
            "--django",
            "5.2",
        ],
        &["startproject", "here", ".", "--secret-key", "k"],
    ] {
        generate(dir.path(), args);
        let (code, stdout, stderr) = check(dir.path(), args);
        assert_eq!((code, stdout.as_str()), (0, ""), "{args:?}: {stderr}");
        // -v 0: the exit status only.
        let (code, stdout, stderr) = check(dir.path(), &[args, &["-v", "0"]].concat());
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
    }
    // Another release, or another key, is another tree.
    let (code, stdout, _) = check(dir.path(), &[PROJECT, &["--django", "5.2"]].concat());
    assert_eq!(code, 1);
    assert!(stdout.starts_with("changed mysite/asgi.py\n"), "{stdout}");
    let (code, stdout, _) = check(
        dir.path(),
        &["startproject", "mysite", "--secret-key", "other"],
    );
    assert_eq!(code, 1);
    assert!(stdout.contains(&format!(
        "-SECRET_KEY = '{FIXED_KEY}'\n+SECRET_KEY = 'other'\n"
    )));
}

#[test]
fn one_byte_changed_is_reported_with_a_unified_diff() {
    let dir = project();
    let settings = dir.path().join("mysite/mysite/settings.py");
    let mut bytes = fs::read(&settings).unwrap();
    let at = bytes
        .windows(12)
        .position(|w| w == b"DEBUG = True")
        .unwrap();
    bytes[at + 8] = b'F'; // DEBUG = Frue
    fs::write(&settings, bytes).unwrap();

    let (code, stdout, stderr) = check(dir.path(), PROJECT);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with(
            "changed mysite/settings.py\n--- a/mysite/settings.py\n+++ b/mysite/settings.py\n@@ -"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n-DEBUG = Frue\n+DEBUG = True\n"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with(['-', '+'])).count(),
        4
    );
    assert!(
        stderr.contains("mysite differs from what startproject writes for Django 6.1 project 'mysite': 1 difference (1 changed)."),
        "{stderr}"
    );
}

#[test]
fn a_file_added_inside_the_templates_paths_is_extra() {
    let dir = project();
    fs::write(dir.path().join("mysite/mysite/local.py"), "DEBUG = False\n").unwrap();
    let (code, stdout, _) = check(dir.path(), PROJECT);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "extra mysite/local.py (file 0644)\n--- a/mysite/local.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-DEBUG = False\n"
    );

    // Without DIRECTORY, ./mysite is the command's own: a file beside manage.py counts too.
    fs::write(dir.path().join("mysite/notes"), "").unwrap();
    let (code, stdout, _) = check(dir.path(), PROJECT);
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with("\n-DEBUG = False\nextra notes (file 0644)\n"),
        "{stdout}"
    );

    // With a DIRECTORY, only what the template creates in it is its own.
    let (code, stdout, _) = check(
        dir.path(),
        &[
            "startproject",
            "mysite",
            "mysite",
            "--secret-key",
            FIXED_KEY,
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.starts_with("extra mysite/local.py"), "{stdout}");
    assert!(!stdout.contains("notes"), "{stdout}");
}

#[test]
fn a_file_removed_is_missing() {
    let dir = project();
    fs::remove_file(dir.path().join("mysite/mysite/urls.py")).unwrap();
    fs::remove_file(dir.path().join("mysite/mysite/__init__.py")).unwrap();
    let (code, stdout, stderr) = check(dir.path(), PROJECT);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(
            "missing mysite/__init__.py (file 0644)\nmissing mysite/urls.py (file 0644)\n--- /dev/null\n+++ b/mysite/urls.py\n@@ -0,0 +1,22 @@\n+\"\"\"\n"
        ),
        "{stdout}"
    );
    assert!(stderr.contains("2 differences (2 missing)"), "{stderr}");
}

#[test]
fn a_mode_changed_is_reported_under_the_callers_umask() {
    let dir = project();
    let manage = dir.path().join("mysite/manage.py");
    fs::set_permissions(&manage, fs::Permissions::from_mode(0o644)).unwrap();
    let (code, stdout, _) = check(dir.path(), PROJECT);
    assert_eq!(
        (code, stdout.as_str()),
        (1, "mode manage.py: 0644, would be 0755\n")
    );

    // A tree made under umask 022 is not what a write under 027 would make.
    fs::set_permissions(&manage, fs::Permissions::from_mode(0o755)).unwrap();
    let (code, stdout, _) = check_with_umask("027", dir.path(), PROJECT);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("mode manage.py: 0755, would be 0750\nmode mysite: 0755, would be 0750\nmode mysite/__init__.py: 0644, would be 0640\n"),
        "{stdout}"
    );
}

#[test]
fn a_missing_target_is_all_missing_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = check(dir.path(), PROJECT);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("missing manage.py (file 0755)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nmissing mysite (directory 0755)\n"),
        "{stdout}"
    );
    let (code, _, _) = check(dir.path(), &["startapp", "blog", "deep/er/blog"]);
    assert_eq!(code, 1);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn usage_errors_exit_2_and_refusals_exit_1() {
    let dir = project();
    // A random key would always differ.
    let (code, stdout, stderr) = check(dir.path(), &["startproject", "mysite"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with("error: startproject --check needs --secret-key"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: pass the key the tree was generated with"),
        "{stderr}"
    );
    let (code, _, stderr) = check(dir.path(), &[PROJECT, &["--dry-run"]].concat());
    assert_eq!(code, 2, "{stderr}");
    // Refusals keep their status and wording.
    let (code, _, stderr) = check(
        dir.path(),
        &["startproject", "my-site", "--secret-key", "k"],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error: 'my-site' is not a valid project name"),
        "{stderr}"
    );
    fs::write(dir.path().join("file"), "").unwrap();
    let (code, _, stderr) = check(dir.path(), &["startapp", "blog", "file/blog"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn custom_templates_are_checked_binary_files_included() {
    let work = tempfile::tempdir().unwrap();
    let template = work.path().join("template");
    fs::create_dir_all(template.join("project_name")).unwrap();
    fs::write(template.join("manage.py-tpl"), "# {{ project_name }}\n").unwrap();
    fs::set_permissions(
        template.join("manage.py-tpl"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    fs::write(
        template.join("project_name/settings.py"),
        "KEY = '{{ secret_key }}'\n",
    )
    .unwrap();
    fs::write(
        template.join("project_name/logo.png"),
        b"\x89PNG\r\n\x1a\n\x00\xff",
    )
    .unwrap();
    fs::write(
        template.join("Procfile"),
        "web: gunicorn {{ project_name }}.wsgi\n",
    )
    .unwrap();
    let site = work.path().join("site");
    fs::create_dir(&site).unwrap();
    let args = [
        "startproject",
        "mysite",
        "--secret-key",
        "k",
        "-n",
        "Procfile",
        "--template",
        "../template",
    ];
    generate(&site, &args);
    let (code, stdout, stderr) = check(&site, &args);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(
        stderr.contains("project 'mysite' from template ../template (4 files)"),
        "{stderr}"
    );

    // A binary file changed: said, without a diff.
    fs::write(
        site.join("mysite/mysite/logo.png"),
        b"\x89PNG\r\n\x1a\n\x00\xfe",
    )
    .unwrap();
    // A template change shows as the change it would make.
    fs::write(
        template.join("Procfile"),
        "web: uvicorn {{ project_name }}.asgi:application\n",
    )
    .unwrap();
    // A template file gone: the generated one is extra, at the top level too (no DIRECTORY).
    fs::remove_file(template.join("manage.py-tpl")).unwrap();
    let (code, stdout, _) = check(&site, &args);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "changed Procfile\n--- a/Procfile\n+++ b/Procfile\n@@ -1 +1 @@\n\
         -web: gunicorn mysite.wsgi\n+web: uvicorn mysite.asgi:application\n\
         extra manage.py (file 0755)\n--- a/manage.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-# mysite\n\
         changed mysite/logo.png (binary or over 1 MiB: no diff shown)\n"
    );

    // startapp with a template, into a DIRECTORY.
    let app_template = work.path().join("app_template");
    fs::create_dir_all(app_template.join("templates/app_name")).unwrap();
    fs::write(
        app_template.join("templates/app_name/base.html"),
        "{{ app_name }}\n",
    )
    .unwrap();
    fs::write(
        app_template.join("apps.py-tpl"),
        "name = '{{ app_name }}'\n",
    )
    .unwrap();
    let args = [
        "startapp",
        "blog",
        "apps/blog",
        "--template",
        "../app_template",
    ];
    generate(&site, &args);
    assert_eq!(check(&site, &args).0, 0);
    fs::write(site.join("apps/blog/templates/blog/list.html"), "").unwrap();
    let (code, stdout, _) = check(&site, &args);
    assert_eq!(
        (code, stdout.as_str()),
        (1, "extra templates/blog/list.html (file 0644)\n")
    );
}

#[test]
fn json_lists_every_difference_in_a_stable_order() {
    let dir = project();
    let (code, stdout, _) = check(
        dir.path(),
        &[PROJECT, &["--output-format", "json"]].concat(),
    );
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "command": "startproject",
            "name": "mysite",
            "django_version": "6.1",
            "directory": dir.path().join("mysite").display().to_string(),
            "check": true,
            "identical": true,
            "files": 6,
            "differences": [],
        })
    );

    let root = dir.path().join("mysite");
    fs::set_permissions(root.join("manage.py"), fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(root.join("mysite/urls.py"), "urlpatterns = []\n").unwrap();
    fs::remove_file(root.join("mysite/wsgi.py")).unwrap();
    fs::create_dir(root.join("mysite/wsgi.py")).unwrap();
    fs::remove_file(root.join("mysite/asgi.py")).unwrap();
    fs::create_dir(root.join("mysite/static")).unwrap();
    fs::write(root.join("mysite/static/site.css"), "body {}\n").unwrap();
    let (code, stdout, stderr) = check(
        dir.path(),
        &[PROJECT, &["--output-format", "json"]].concat(),
    );
    assert_eq!((code, stderr.as_str()), (1, ""));
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["identical"], false);
    let mut differences = json["differences"].as_array().unwrap().clone();
    let diffs: Vec<_> = differences
        .iter_mut()
        .map(|d| d.as_object_mut().unwrap().remove("diff"))
        .collect();
    assert_eq!(
        serde_json::Value::Array(differences),
        serde_json::json!([
            {"path": "manage.py", "change": "mode", "expected_mode": "0755", "actual_mode": "0700"},
            {"path": "mysite/asgi.py", "change": "missing", "type": "file", "mode": "0644"},
            {"path": "mysite/static", "change": "extra", "type": "directory", "mode": "0755"},
            {"path": "mysite/static/site.css", "change": "extra", "type": "file", "mode": "0644"},
            {"path": "mysite/urls.py", "change": "changed"},
            {"path": "mysite/wsgi.py", "change": "type", "expected_type": "file", "actual_type": "directory"},
        ])
    );
    let has_diff: Vec<bool> = diffs.iter().map(Option::is_some).collect();
    assert_eq!(has_diff, [false, true, false, true, true, false]);
    let urls = diffs[4].as_ref().unwrap().as_str().unwrap();
    assert!(
        urls.starts_with("--- a/mysite/urls.py\n+++ b/mysite/urls.py\n@@ -1 +1,22 @@\n"),
        "{urls}"
    );
    // The same run twice gives the same document.
    let again = check(
        dir.path(),
        &[PROJECT, &["--output-format", "json"]].concat(),
    )
    .1;
    assert_eq!(again, stdout);
}

#[test]
fn the_text_diffs_apply_with_patch() {
    let dir = project();
    let root = dir.path().join("mysite");
    fs::write(root.join("mysite/urls.py"), "urlpatterns = []\n").unwrap();
    fs::remove_file(root.join("mysite/wsgi.py")).unwrap();
    fs::write(root.join("mysite/local.py"), "X = 1\n").unwrap();
    let (code, stdout, _) = check(dir.path(), PROJECT);
    assert_eq!(code, 1);
    let mut patch = std::process::Command::new("patch")
        .args(["-p1", "--quiet"])
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("these tests need patch(1)");
    use std::io::Write;
    patch
        .stdin
        .take()
        .unwrap()
        .write_all(stdout.as_bytes())
        .unwrap();
    assert!(patch.wait().unwrap().success());
    assert_eq!(check(dir.path(), PROJECT).0, 0);
}

/// The `sh` blocks of the README's "Snapshot your template" section, in order.
fn readme_recipe() -> Vec<String> {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Snapshot your template"))
        .expect("README has a 'Snapshot your template' section");
    section
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_readme_snapshot_recipe_works_as_written() {
    let blocks = readme_recipe();
    assert_eq!(blocks.len(), 2, "generate, then check: {blocks:?}");
    let (generate, check) = (&blocks[0], &blocks[1]);
    // The CI block is the generating block without the removal, with --check instead of -v 0.
    let expected: Vec<String> = generate
        .lines()
        .filter(|l| !l.starts_with("rm "))
        .map(|l| match l.strip_suffix(" -v 0") {
            Some(command) => format!("{command} --check"),
            None => l.to_owned(),
        })
        .collect();
    assert_eq!(check.lines().collect::<Vec<_>>(), expected);
    let work = tempfile::tempdir().unwrap();
    let bin = work.path().join("bin");
    fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(scaffold_path(), bin.join("scaffold")).unwrap();
    let template = work.path().join("template");
    fs::create_dir_all(template.join("project_name")).unwrap();
    fs::write(template.join("manage.py-tpl"), "# {{ project_name }}\n").unwrap();
    fs::write(
        template.join("project_name/settings.py-tpl"),
        "KEY = '{{ secret_key }}'\n",
    )
    .unwrap();
    fs::write(template.join("Procfile"), "web: gunicorn\n").unwrap();
    fs::create_dir(work.path().join("snapshot")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let sh = |script: &str| {
        let out = std::process::Command::new("sh")
            .args(["-ec", &format!("umask 022\n{script}")])
            .current_dir(work.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    assert_eq!(sh(generate), (0, String::new()));
    let snapshot = work.path().join("snapshot/mysite");
    assert_eq!(
        fs::read_to_string(snapshot.join("mysite/settings.py")).unwrap(),
        "KEY = 'snapshot-only'\n"
    );
    assert_eq!(sh(check), (0, String::new()));

    // The template changes: CI fails and shows the change; regenerating accepts it.
    fs::write(
        template.join("project_name/settings.py-tpl"),
        "KEY = '{{ secret_key }}'\nDEBUG = False\n",
    )
    .unwrap();
    fs::remove_file(template.join("Procfile")).unwrap();
    let (code, stdout) = sh(check);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("extra Procfile (file 0644)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("changed mysite/settings.py\n"), "{stdout}");
    assert!(stdout.contains("\n+DEBUG = False\n"), "{stdout}");
    assert_eq!(sh(generate).0, 0);
    assert_eq!(sh(check), (0, String::new()));
    assert!(!snapshot.join("Procfile").exists());
}

#[test]
fn help_mentions_check() {
    for args in [
        &["startproject", "--help"][..],
        &["startapp", "--help"],
        &["--help"],
    ] {
        let out = support::scaffold().args(args).output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("--secret-key ci-only-key --check"),
            "{args:?}: {help}"
        );
    }
    let out = support::scaffold()
        .args(["startapp", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("      --check "), "{help}");
    assert!(
        help.contains("Exit 0 when identical, 1 when different"),
        "{help}"
    );
}

#[test]
fn an_archive_template_leaves_no_workspace_behind() {
    use std::io::Write;
    let work = tempfile::tempdir().unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for (path, content) in [
        ("site/manage.py-tpl", &b"# {{ project_name }}\n"[..]),
        (
            "site/project_name/settings.py-tpl",
            b"KEY = '{{ secret_key }}'\n",
        ),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, content).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    fs::write(work.path().join("site.tar.gz"), gz.finish().unwrap()).unwrap();
    fs::create_dir(work.path().join("tmp")).unwrap();
    let args = [
        "startproject",
        "mysite",
        "--secret-key",
        "k",
        "--template",
        "site.tar.gz",
    ];
    let run = |check: bool| {
        let mut cmd = scaffold_with_umask("022");
        cmd.current_dir(work.path())
            .env("TMPDIR", work.path().join("tmp"))
            .args(args);
        if check {
            cmd.arg("--check");
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    assert_eq!(run(false).0, 0);
    fs::write(work.path().join("mysite/mysite/settings.py"), "KEY = 'x'\n").unwrap();
    let before = listing(work.path());
    let (code, stdout) = run(true);
    assert_eq!(code, 1);
    assert!(stdout.contains("\n-KEY = 'x'\n+KEY = 'k'\n"), "{stdout}");
    assert_eq!(
        listing(work.path()),
        before,
        "--check left something behind"
    );
}
