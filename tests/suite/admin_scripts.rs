//! Django's own tests of startproject and startapp (tests/admin_scripts in Django's source), run
//! against scaffold and, in the same test, against real Django to show the harness is honest.
//!
//! For each supported release with a test selection here, the release's sdist (it carries
//! `tests/`) is fetched with pip into `target/admin-scripts/<series>/` and run with
//! `tests/runtests.py` in a venv of its own (Django 5.2 on the default `python3`, 6.0 on CPython
//! 3.12, 6.1 on CPython 3.13: each release on another interpreter). The selection: the
//! classes `StartProject` and `StartApp`, and the startproject/startapp tests of
//! `DjangoAdminSettingsDirectory` and `DjangoAdminNoSettings`. `support/admin_scripts_shim.py`
//! sends each `python -m django startproject|startapp ...` those tests start to the scaffold
//! binary (with `--django X.Y`) and rewrites nothing but a leading `error: ` to
//! `CommandError: `; Django's assertions decide.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{is_root, python_opted_out, run, scaffold_path, target_dir};

/// One release's run: which tests may fail for scaffold, and why.
struct Release {
    series: &'static str,
    /// How many tests the selection holds in this release.
    tests: usize,
    /// Tests scaffold fails on purpose (README, "Differences from django-admin").
    allowed: &'static [(&'static str, &'static str)],
    python: fn() -> String,
}

const SELECTION: &[&str] = &[
    "admin_scripts.tests.StartProject",
    "admin_scripts.tests.StartApp",
    "admin_scripts.tests.DjangoAdminSettingsDirectory.test_setup_environ",
    "admin_scripts.tests.DjangoAdminSettingsDirectory.test_setup_environ_custom_template",
    "admin_scripts.tests.DjangoAdminSettingsDirectory.test_startapp_unicode_name",
    "admin_scripts.tests.DjangoAdminNoSettings.test_commands_with_invalid_settings",
];

const USER_AGENT: (&str, &str) = (
    "StartProject.test_custom_project_template_from_tarball_by_url_django_user_agent",
    "scaffold names itself in the User-Agent, not Django",
);

/// Root may write into a directory without write permission, so this test of a permission
/// error fails for real Django too when the tests run as root. It is allowed for scaffold only
/// when real Django fails it in the same run.
const PERMISSION_TEST: &str = "StartApp.test_custom_app_directory_creation_error_handling";

#[test]
fn django_5_2_admin_scripts() {
    check(&Release {
        series: "5.2",
        tests: 35,
        allowed: &[
            (
                "StartProject.test_custom_project_destination_missing",
                "scaffold creates a missing DIRECTORY, as Django 6.1 does; 5.2 refuses",
            ),
            USER_AGENT,
        ],
        python: default_python,
    });
}

#[test]
fn django_6_0_admin_scripts() {
    check(&Release {
        series: "6.0",
        tests: 39,
        allowed: &[USER_AGENT],
        python: || pyenv_python("3.12"),
    });
}

#[test]
fn django_6_1_admin_scripts() {
    check(&Release {
        series: "6.1",
        tests: 40,
        allowed: &[USER_AGENT],
        python: || pyenv_python("3.13"),
    });
}

fn check(release: &Release) {
    if python_opted_out(&format!("admin_scripts {}", release.series)) {
        return;
    }
    let base = target_dir().join("admin-scripts").join(release.series);
    let venv = runner_venv(&base, &(release.python)(), release.series);
    let (version, source) = django_sdist(&base, &venv, release.series);

    let django = run_selection(&venv, &source, None, release.series);
    fs::write(base.join("django.log"), &django.log).unwrap();
    println!(
        "Django {version}, real Django: {} passed, {} failed {:?}",
        django.passed(),
        django.failed.len(),
        django.failed.keys().collect::<Vec<_>>()
    );
    let scaffold = run_selection(&venv, &source, Some(&scaffold_path()), release.series);
    fs::write(base.join("scaffold.log"), &scaffold.log).unwrap();
    println!(
        "Django {version}, scaffold: {} passed, {} failed",
        scaffold.passed(),
        scaffold.failed.len()
    );
    for (name, cause) in &scaffold.failed {
        let why = match release.allowed.iter().find(|(allowed, _)| allowed == name) {
            Some((_, why)) => format!("allowed: {why}"),
            None if name == PERMISSION_TEST && django.failed.contains_key(name) => {
                "allowed: real Django fails it too in this run (running as root)".to_owned()
            }
            None => cause.chars().take(300).collect(),
        };
        println!("  failed: {name}: {why}");
    }

    // The harness is honest: real Django passes its own selection, root's blind spot aside.
    assert_eq!(django.ran, release.tests, "{}", django.log);
    let root_blind_spot: BTreeSet<&str> = BTreeSet::from([PERMISSION_TEST]);
    let django_failed: BTreeSet<&str> = django.failed.keys().map(String::as_str).collect();
    assert!(
        django_failed.is_empty() || (is_root() && django_failed == root_blind_spot),
        "real Django fails its own tests; see {}",
        base.join("django.log").display()
    );

    assert_eq!(scaffold.ran, release.tests, "{}", scaffold.log);
    let unexpected: Vec<&String> = scaffold
        .failed
        .keys()
        .filter(|name| !release.allowed.iter().any(|(allowed, _)| allowed == name))
        .filter(|name| !(name.as_str() == PERMISSION_TEST && django.failed.contains_key(*name)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "Django {version}'s admin_scripts tests fail for scaffold: {unexpected:?}; see {}",
        base.join("scaffold.log").display()
    );
}

/// The outcome of one run of the selection.
struct Outcome {
    ran: usize,
    /// `Class.test_name` of every test with a failure or an error (subtests count once), and
    /// the first exception line of its report.
    failed: BTreeMap<String, String>,
    log: String,
}

impl Outcome {
    fn passed(&self) -> usize {
        self.ran.saturating_sub(self.failed.len())
    }
}

fn run_selection(venv: &Path, source: &Path, scaffold: Option<&Path>, series: &str) -> Outcome {
    let shim =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/support/admin_scripts_shim.py");
    let out = Command::new(venv.join("bin/python"))
        .arg(&shim)
        .arg("runtests.py")
        .args(["--parallel=1", "-v", "2"])
        .args(SELECTION)
        .current_dir(source.join("tests"))
        .env("PYTHONPATH", source)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env(
            "SCAFFOLD_SHIM_BIN",
            scaffold.map(Path::as_os_str).unwrap_or_default(),
        )
        .env("SCAFFOLD_SHIM_DJANGO", series)
        .env_remove("VIRTUAL_ENV")
        .env_remove("DJANGO_SETTINGS_MODULE")
        .output()
        .expect("runs Django's runtests.py");
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    parse_outcome(log)
}

/// Reads unittest's summary: `Ran N tests` and the `FAIL:`/`ERROR:` headers, e.g.
/// `FAIL: test_x (admin_scripts.tests.StartApp.test_x) (app_name='7x')`.
fn parse_outcome(log: String) -> Outcome {
    let ran = log
        .lines()
        .find_map(|l| l.strip_prefix("Ran ")?.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    let mut failed = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("FAIL: ").or(line.strip_prefix("ERROR: ")) {
            let inner = rest
                .split_once('(')
                .and_then(|(_, r)| r.split_once(')'))
                .map_or(rest, |(inner, _)| inner);
            let parts: Vec<&str> = inner.rsplit('.').take(2).collect();
            let name = match parts.as_slice() {
                [test, class] if test.starts_with("test") => format!("{class}.{test}"),
                _ => rest.to_owned(),
            };
            failed.entry(name.clone()).or_insert_with(String::new);
            current = Some(name);
        } else if let Some(name) = &current {
            // The first exception line of the traceback says why.
            let is_exception = line
                .split_once(": ")
                .is_some_and(|(head, _)| head.ends_with("Error") && !head.contains(' '));
            if is_exception {
                if let Some(cause) = failed.get_mut(name).filter(|c| c.is_empty()) {
                    *cause = line.to_owned();
                }
            }
        }
    }
    Outcome { ran, failed, log }
}

#[test]
fn outcome_parsing() {
    let log = "\
test_a (admin_scripts.tests.StartApp.test_a) ... ok
======================================================================
FAIL: test_b (admin_scripts.tests.StartApp.test_b) (app_name='7x')
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"tests.py\", line 1, in test_b
AssertionError: 'x' not found in 'y'
----------------------------------------------------------------------
FAIL: test_b (admin_scripts.tests.StartApp.test_b) (app_name='../x')
ERROR: test_c (admin_scripts.tests.StartProject.test_c)
Ran 3 tests in 0.5s
";
    let outcome = parse_outcome(log.to_owned());
    assert_eq!(outcome.ran, 3);
    assert_eq!(
        outcome.failed,
        BTreeMap::from([
            (
                "StartApp.test_b".to_owned(),
                "AssertionError: 'x' not found in 'y'".to_owned()
            ),
            ("StartProject.test_c".to_owned(), String::new()),
        ])
    );
    assert_eq!(outcome.passed(), 1);
}

fn default_python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// CPython `version` (`"3.13"`): `SCAFFOLD_PYTHON313` (the version without its dot), else
/// pyenv's, else `python3.13` on PATH.
fn pyenv_python(version: &str) -> String {
    if let Ok(python) = std::env::var(format!("SCAFFOLD_PYTHON{}", version.replace('.', ""))) {
        return python;
    }
    let pyenv = Command::new("pyenv").args(["prefix", version]).output();
    if let Ok(out) = pyenv {
        let prefix = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !prefix.is_empty() {
            return format!("{prefix}/bin/python3");
        }
    }
    format!("python{version}")
}

/// A venv with Django's runtime dependencies (Django itself comes from the sdist).
fn runner_venv(base: &Path, python: &str, series: &str) -> PathBuf {
    let venv = base.join("venv");
    let stamp = venv.join("scaffold-stamp.txt");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(python) {
        return venv;
    }
    let _ = fs::remove_dir_all(&venv);
    fs::create_dir_all(base).unwrap();
    run(
        Command::new(python).args(["-m", "venv"]).arg(&venv),
        &format!(
            "creating a venv with {python} for Django {series}'s tests (install that CPython \
             with pyenv, or name one in SCAFFOLD_PYTHON312 for 6.0, SCAFFOLD_PYTHON313 for 6.1)"
        ),
    );
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(["asgiref", "sqlparse"]),
        "installing asgiref and sqlparse",
    );
    fs::write(&stamp, python).unwrap();
    venv
}

/// The newest sdist of `series`, unpacked: `(release, source root holding django/ and tests/)`.
fn django_sdist(base: &Path, venv: &Path, series: &str) -> (String, PathBuf) {
    let stamp = base.join("release.txt");
    if let Ok(release) = fs::read_to_string(&stamp) {
        return (release.clone(), base.join(format!("django-{release}")));
    }
    let download = base.join("download");
    let _ = fs::remove_dir_all(&download);
    run(
        Command::new(venv.join("bin/pip"))
            .args(["download", "--quiet", "--disable-pip-version-check"])
            .args(["--no-deps", "--no-binary", ":all:"])
            .arg(format!("django=={series}.*"))
            .arg("-d")
            .arg(&download),
        &format!("downloading the Django {series} sdist"),
    );
    let sdist = fs::read_dir(&download)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("pip downloaded an sdist");
    let name = sdist.file_name().unwrap().to_string_lossy().into_owned();
    let release = name
        .trim_end_matches(".tar.gz")
        .rsplit('-')
        .next()
        .unwrap()
        .to_owned();
    let _ = fs::remove_dir_all(base.join(format!("django-{release}")));
    run(
        Command::new("tar")
            .arg("xzf")
            .arg(&sdist)
            .arg("-C")
            .arg(base),
        "unpacking the sdist",
    );
    fs::write(&stamp, &release).unwrap();
    (release.clone(), base.join(format!("django-{release}")))
}
