//! Every refusal of SPEC 4 and 5: exit status 1, one `error:` line in Django's wording, and the
//! file system exactly as before (every path, mode and byte compared).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{
    listing, scaffold, scaffold_path, scaffold_with_umask, unprivileged, FIXED_KEY,
};

/// Runs scaffold in `cwd` and checks the refusal: status 1, the message on the first stderr
/// line, nothing on stdout, and `watched` unchanged. The same command with `--dry-run` must be
/// refused with the same words: a dry run makes every check the real run makes.
fn assert_refused(cwd: &Path, watched: &Path, args: &[&str], message: &str) -> String {
    let real = assert_refused_once(cwd, watched, args, message);
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let dry = assert_refused_once(cwd, watched, &dry_args, message);
    assert_eq!(dry, real, "{args:?}: the dry run is refused otherwise");
    real
}

fn assert_refused_once(cwd: &Path, watched: &Path, args: &[&str], message: &str) -> String {
    let before = listing(watched);
    let out = scaffold().current_dir(cwd).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    assert_eq!(first, format!("error: {message}"), "{args:?}");
    assert!(
        out.stdout.is_empty(),
        "{args:?}: stdout {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(listing(watched), before, "{args:?} changed the file system");
    stderr
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("existing.txt"), "keep me").unwrap();
    dir
}

#[test]
fn invalid_project_names() {
    let dir = workspace();
    let d = dir.path();
    let not_identifier = |n: &str| {
        format!(
            "'{n}' is not a valid project name. Please make sure the name is a valid identifier."
        )
    };
    let stderr = assert_refused(
        d,
        d,
        &["startproject", "my-site"],
        &not_identifier("my-site"),
    );
    assert!(
        stderr.contains("hint: 'my_site' would be valid"),
        "{stderr}"
    );
    for name in ["7x", "a b", "../site", "a/b", "", "x.y"] {
        assert_refused(d, d, &["startproject", name], &not_identifier(name));
    }
    let stderr = assert_refused(d, d, &["startproject", "class"], &not_identifier("class"));
    assert!(stderr.contains("keyword"), "{stderr}");
    // U+FB01 LATIN SMALL LIGATURE FI: an identifier Python would import as `file`.
    let stderr = assert_refused(d, d, &["startproject", "ﬁle"], &not_identifier("ﬁle"));
    assert!(stderr.contains("'file'"), "{stderr}");
    for module in ["os", "json", "test", "django"] {
        assert_refused(
            d,
            d,
            &["startproject", module],
            &format!("'{module}' conflicts with the name of an existing Python module and cannot be used as a project name. Please try another name."),
        );
    }
}

#[test]
fn invalid_app_names_and_directories() {
    let dir = workspace();
    let d = dir.path();
    assert_refused(
        d,
        d,
        &["startapp", "my-app"],
        "'my-app' is not a valid app name. Please make sure the name is a valid identifier.",
    );
    assert_refused(
        d,
        d,
        &["startapp", "sys"],
        "'sys' conflicts with the name of an existing Python module and cannot be used as an app name. Please try another name.",
    );
    for bad in ["invalid.dir", ".hidden", "7x", "apps/7x/"] {
        let base = bad.trim_end_matches('/').rsplit('/').next().unwrap();
        assert_refused(
            d,
            d,
            &["startapp", "blog", bad],
            &format!("'{base}' is not a valid app directory. Please make sure the directory is a valid identifier."),
        );
    }
    assert_refused(
        d,
        d,
        &["startapp", "blog", "apps/os"],
        "'os' conflicts with the name of an existing Python module and cannot be used as an app directory. Please try another directory.",
    );
    // A trailing slash is fine.
    scaffold()
        .current_dir(d)
        .args(["startapp", "blog", "apps/blog/", "-v", "0"])
        .assert()
        .success();
    assert!(d.join("apps/blog/apps.py").is_file());
}

#[test]
fn existing_target_without_directory() {
    let dir = workspace();
    let d = dir.path();
    fs::create_dir(d.join("mysite")).unwrap();
    fs::write(d.join("mysite/notes.txt"), "mine").unwrap();
    // A directory there is a namespace package Python would import: refused as Django's
    // find_spec check refuses it, before the target is looked at.
    assert_refused(
        d,
        d,
        &["startproject", "mysite"],
        "'mysite' conflicts with the name of an existing Python module and cannot be used as a project name. Please try another name.",
    );
    fs::write(d.join("blog"), "a file").unwrap();
    assert_refused(
        d,
        d,
        &["startapp", "blog"],
        &format!("'{}' already exists", d.join("blog").display()),
    );
}

#[test]
fn overlay_with_one_conflicting_file_writes_nothing() {
    let dir = workspace();
    let d = dir.path();
    // In a DIRECTORY beside the working directory: ./mysite itself would be an importable
    // module, refused before any overlay.
    fs::create_dir_all(d.join("proj/mysite")).unwrap();
    fs::write(d.join("proj/mysite/urls.py"), "# my own urls\n").unwrap();
    let conflict = d.join("proj/mysite/urls.py");
    assert_refused(
        d,
        d,
        &["startproject", "mysite", "proj"],
        &format!(
            "{} already exists. Overlaying a project into an existing directory won't replace conflicting files.",
            conflict.display()
        ),
    );
    assert!(!d.join("proj/manage.py").exists());

    fs::create_dir_all(d.join("apps/blog")).unwrap();
    fs::write(d.join("apps/blog/models.py"), "x = 1\n").unwrap();
    assert_refused(
        d,
        d,
        &["startapp", "blog", "apps/blog"],
        &format!(
            "{} already exists. Overlaying an app into an existing directory won't replace conflicting files.",
            d.join("apps/blog/models.py").display()
        ),
    );
}

#[test]
fn overlay_without_conflict_keeps_what_was_there() {
    let dir = workspace();
    let d = dir.path();
    fs::create_dir_all(d.join("proj/mysite")).unwrap();
    fs::write(d.join("proj/mysite/extra.py"), "EXTRA = 1\n").unwrap();
    scaffold()
        .current_dir(d)
        .args(["startproject", "mysite", "proj", "-v", "0"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(d.join("proj/mysite/extra.py")).unwrap(),
        "EXTRA = 1\n"
    );
    assert!(d.join("proj/manage.py").is_file() && d.join("proj/mysite/settings.py").is_file());
    assert_eq!(
        fs::read_to_string(d.join("existing.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_file_where_a_directory_is_needed() {
    let dir = workspace();
    let d = dir.path();
    fs::create_dir(d.join("out")).unwrap();
    fs::write(d.join("out/mysite"), "not a package").unwrap();
    assert_refused(
        d,
        d,
        &["startproject", "mysite", "out"],
        &format!(
            "{} already exists and is not a directory",
            d.join("out/mysite").display()
        ),
    );
    assert_refused(
        d,
        d,
        &["startproject", "mysite", "existing.txt"],
        &format!(
            "{} already exists and is not a directory",
            d.join("existing.txt").display()
        ),
    );
    assert_refused(
        d,
        d,
        &["startproject", "mysite", "existing.txt/below"],
        &format!(
            "{} already exists and is not a directory",
            d.join("existing.txt").display()
        ),
    );
}

#[test]
fn bad_option_values() {
    let dir = workspace();
    let d = dir.path();
    assert_refused(
        d,
        d,
        &["startproject", "mysite", "--secret-key", "it's"],
        "invalid secret key: the secret key contains '\\'', which cannot stand inside a Python string literal",
    );
    for bad in ["mysite..x", "9x.settings", "mysite.settings."] {
        assert_refused(
            d,
            d,
            &["startproject", "mysite", "--settings-module", bad],
            &format!("'{bad}' is not a valid settings module. Each dotted part must be a Python identifier."),
        );
    }
}

#[test]
fn read_only_parent_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    fs::write(ro.join("keep.txt"), "keep").unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let before = listing(dir.path());

    // The dry run makes the same check and the same refusal as the real run.
    for args in [
        vec!["startproject", "mysite"],
        vec!["startproject", "mysite", "sub/dir"],
        vec!["startapp", "blog", "."],
        vec!["startproject", "mysite", "--dry-run"],
        vec!["startproject", "mysite", "sub/dir", "--dry-run"],
        vec!["startapp", "blog", ".", "--dry-run"],
    ] {
        let out = unprivileged(&ro, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: cannot write into {}: ", ro.display())),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("Permission denied"), "{stderr}");
        assert!(stderr.contains("hint: "), "{stderr}");
        assert_eq!(listing(dir.path()), before, "{args:?}");
    }
}

/// A directory to overlay into whose subdirectory may not be written: refused before anything
/// is written, by the real run and the dry run alike (the dry run used to say yes).
#[test]
fn read_only_subdirectory_to_overlay() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    // In a DIRECTORY beside the working directory: ./mysite would itself be an importable module.
    let proj = dir.path().join("proj");
    fs::create_dir(&proj).unwrap();
    fs::set_permissions(&proj, fs::Permissions::from_mode(0o777)).unwrap();
    let pkg = proj.join("mysite");
    fs::create_dir(&pkg).unwrap();
    fs::set_permissions(&pkg, fs::Permissions::from_mode(0o555)).unwrap();
    let before = listing(dir.path());
    let mut outputs = Vec::new();
    for dry in [false, true] {
        let mut args = vec!["startproject", "mysite", "proj"];
        if dry {
            args.push("--dry-run");
        }
        let out = unprivileged(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: cannot write into {}: ", pkg.display())),
            "{args:?}: {stderr}"
        );
        assert_eq!(listing(dir.path()), before, "{args:?}");
        outputs.push(stderr);
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// `./NAME` that is a link exists: refused both ways, and what it points to is untouched. A
/// link to a directory is a package Python would import (it follows links), so it is refused
/// as Django refuses it; a dangling link is simply in the way.
#[test]
fn a_link_at_the_target_is_refused() {
    let dir = workspace();
    let d = dir.path();
    fs::create_dir(d.join("real")).unwrap();
    std::os::unix::fs::symlink(d.join("real"), d.join("mysite")).unwrap();
    assert_refused(
        d,
        d,
        &["startproject", "mysite"],
        "'mysite' conflicts with the name of an existing Python module and cannot be used as a project name. Please try another name.",
    );
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).unwrap();
    assert_refused(
        d,
        d,
        &["startproject", "dangling"],
        &format!("'{}' already exists", d.join("dangling").display()),
    );
    // Overlaying: a directory of the plan that is a link is not written through.
    fs::remove_file(d.join("mysite")).unwrap();
    fs::create_dir(d.join("over")).unwrap();
    std::os::unix::fs::symlink(d.join("real"), d.join("over/mysite")).unwrap();
    assert_refused(
        d,
        d,
        &["startproject", "mysite", "over"],
        &format!(
            "{} is a symbolic link; scaffold writes only into real directories, never through a link",
            d.join("over/mysite").display()
        ),
    );
}

#[test]
fn disk_full_midway_leaves_nothing() {
    // RLIMIT_FSIZE of 1 KiB: settings.py (3 KiB) cannot be written, as on a full disk, after
    // other files were. scaffold ignores SIGXFSZ, so the write fails with EFBIG and rolls back.
    let dir = workspace();
    let d = dir.path();
    let before = listing(d);
    let out = std::process::Command::new("prlimit")
        .arg("--fsize=1024")
        .arg(scaffold_path())
        .args(["startproject", "mysite", "--secret-key", FIXED_KEY])
        .current_dir(d)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: cannot write {}",
            d.join("mysite/mysite/settings.py").display()
        )),
        "{stderr}"
    );
    assert_eq!(listing(d), before);
}

#[test]
fn umask_077_gives_private_modes() {
    let dir = tempfile::tempdir().unwrap();
    scaffold_with_umask("077")
        .current_dir(dir.path())
        .args(["startproject", "mysite", "-v", "0"])
        .assert()
        .success();
    let mode = |p: &str| {
        fs::metadata(dir.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("mysite"), 0o700);
    assert_eq!(mode("mysite/mysite"), 0o700);
    assert_eq!(mode("mysite/manage.py"), 0o700);
    assert_eq!(mode("mysite/mysite/settings.py"), 0o600);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, ["mysite"], "no staging directory is left behind");
}

#[test]
fn usage_errors_exit_2() {
    scaffold().arg("startproject").assert().code(2);
    scaffold()
        .args(["startproject", "mysite", "--no-such-flag"])
        .assert()
        .code(2);
    scaffold()
        .args(["startproject", "mysite", "--django", "4.2"])
        .assert()
        .code(2);
    scaffold()
        .args(["startproject", "mysite", "-v", "4"])
        .assert()
        .code(2);
    scaffold()
        .args(["startapp", "blog", "--settings", "split"])
        .assert()
        .code(2);
    scaffold().arg("frobnicate").assert().code(2);
    scaffold().assert().code(2);
}

/// Every upgrade base of the release table, as a feature or a patch release, for startproject,
/// startapp and new: a usage error (exit 2) whose one line says why, and nothing written.
#[test]
fn upgrade_bases_are_refused_as_usage_errors() {
    for base in scaffold::DjangoVersion::upgrade_bases() {
        for version in [base.docs_version(), base.release()] {
            for command in [
                &["startproject", "mysite"][..],
                &["startapp", "blog"],
                &[
                    "new",
                    "mysite",
                    "--yes",
                    "--layout",
                    "classic",
                    "--settings",
                    "single",
                ],
            ] {
                let dir = tempfile::tempdir().unwrap();
                let out = scaffold()
                    .current_dir(dir.path())
                    .args(command)
                    .args(["--django", version])
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "{command:?} {version}: {stderr}"
                );
                let first = stderr.lines().next().unwrap_or_default();
                assert_eq!(
                    first,
                    format!(
                        "error: invalid value '{version}' for '--django <VERSION>': {}",
                        base.no_longer_supported()
                    ),
                    "{command:?}"
                );
                assert!(listing(dir.path()).is_empty(), "{command:?} {version}");
            }
        }
    }
    // --help says which releases are generated and what became of the others.
    let out = scaffold()
        .args(["startproject", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let generated = scaffold::DjangoVersion::generated_list();
    let (head, last) = generated.rsplit_once(", ").unwrap_or(("", &generated));
    assert!(help.contains(&format!("{head} or {last}")), "{help}");
    assert!(
        help.contains(&format!(
            "Django {} are no longer supported by the Django project",
            scaffold::DjangoVersion::bases_text()
        )),
        "{help}"
    );
}
