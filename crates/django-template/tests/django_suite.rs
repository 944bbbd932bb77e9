//! Django's own template tests (`template_tests.syntax_tests` and `template_tests.filter_tests`
//! of the Django 5.2 sdist) run against this engine: `django_suite/run.py` sends every render
//! whose context is plain data to the `django-template-json` binary and lets Django's
//! assertions judge the output. The same selection also runs with Django's own engine behind
//! the same shim, which must pass everywhere, so that the shim is known to be honest.
//!
//! Needs Python 3 and the network once (pip: the sdist, asgiref, sqlparse); everything is cached
//! under target/tmp. `SCAFFOLD_SKIP_PYTHON_TESTS=1` (or `DJANGO_TEMPLATE_SKIP_PYTHON_TESTS=1`)
//! skips it. A second test checks that `src/locale_data.rs` is what `tools/gen_locale_data.py`
//! writes from the same release.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

const DJANGO: &str = "5.2.19";

fn skipped() -> bool {
    [
        "SCAFFOLD_SKIP_PYTHON_TESTS",
        "DJANGO_TEMPLATE_SKIP_PYTHON_TESTS",
    ]
    .iter()
    .any(|v| std::env::var(v).is_ok_and(|v| v == "1"))
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The venv and the unpacked sdist, made once under target/tmp.
fn prepare() -> (PathBuf, PathBuf) {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("django-suite");
    fs::create_dir_all(&cache).unwrap();
    let lock = File::create(cache.join("lock")).unwrap();
    lock.lock().unwrap();
    let venv = cache.join("venv");
    let sdist = cache.join(format!("django-{DJANGO}"));
    let stamp = cache.join("ready");
    if fs::read_to_string(&stamp).ok().as_deref() != Some(DJANGO) {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let _ = fs::remove_dir_all(&venv);
        run(
            Command::new(&python).args(["-m", "venv"]).arg(&venv),
            "creating the venv",
        );
        let pip = venv.join("bin/pip");
        run(
            Command::new(&pip)
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(["asgiref>=3.8.1", "sqlparse>=0.3.1"]),
            "installing Django's dependencies",
        );
        let download = cache.join("download");
        run(
            Command::new(&pip)
                .args(["download", "--quiet", "--disable-pip-version-check"])
                .args(["--no-binary", ":all:", "--no-deps"])
                .arg(format!("django=={DJANGO}"))
                .arg("-d")
                .arg(&download),
            "downloading Django's sdist",
        );
        let _ = fs::remove_dir_all(&sdist);
        run(
            Command::new(venv.join("bin/python"))
                .args([
                    "-c",
                    "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='data')",
                ])
                .arg(download.join(format!("django-{DJANGO}.tar.gz")))
                .arg(&cache),
            "unpacking the sdist",
        );
        fs::write(&stamp, DJANGO).unwrap();
    }
    (venv, sdist)
}

#[derive(Debug)]
struct Report {
    summary: String,
    passed: u64,
    failures: BTreeMap<String, String>,
}

fn suite(venv: &Path, sdist: &Path, mode: &str) -> Report {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django_suite");
    let report = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("django-suite-{mode}.json"));
    let stdout = run(
        Command::new(venv.join("bin/python"))
            .arg(dir.join("run.py"))
            .arg(sdist)
            .arg(env!("CARGO_BIN_EXE_django-template-json"))
            .arg(mode)
            .arg(&report),
        &format!("Django's template tests ({mode})"),
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    let failures = json["failures"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let k = k.strip_prefix("template_tests.").unwrap_or(k).to_owned();
            (k, v.as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let summary = stdout
        .lines()
        .skip_while(|l| !l.starts_with(mode))
        .collect::<Vec<_>>()
        .join("\n");
    Report {
        summary,
        passed: json["passed"].as_u64().unwrap(),
        failures,
    }
}

#[test]
fn djangos_template_tests_pass_against_the_engine() {
    if skipped() {
        eprintln!("SKIPPED: Python tests opted out");
        return;
    }
    let (venv, sdist) = prepare();

    let django = suite(&venv, &sdist, "django");
    eprintln!("{}", django.summary);
    assert!(
        django.failures.is_empty(),
        "the shim is not honest: with Django's own engine behind it these fail: {:#?}",
        django.failures
    );

    let engine = suite(&venv, &sdist, "engine");
    eprintln!("{}", engine.summary);
    assert!(engine.passed > 400, "{}", engine.summary);
    let known_text = include_str!("django_suite/known_failures.txt");
    let known: BTreeMap<&str, &str> = known_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (test, why) = l.split_once('#').unwrap_or((l, ""));
            (test.trim(), why.trim())
        })
        .collect();
    let new: Vec<_> = engine
        .failures
        .iter()
        .filter(|(t, _)| !known.contains_key(t.as_str()))
        .collect();
    let fixed: Vec<_> = known
        .keys()
        .filter(|t| !engine.failures.contains_key(**t))
        .collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "failures differ from tests/django_suite/known_failures.txt\nnew failures: {new:#?}\n\
         now passing (remove them from the list): {fixed:#?}"
    );
}

#[test]
fn committed_locale_data_matches_the_django_release() {
    if skipped() {
        eprintln!("SKIPPED: Python tests opted out");
        return;
    }
    let (venv, sdist) = prepare();
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/gen_locale_data.py");
    let generated = run(
        Command::new(venv.join("bin/python")).arg(tool).arg(&sdist),
        "tools/gen_locale_data.py",
    );
    assert!(
        generated == include_str!("../src/locale_data.rs"),
        "src/locale_data.rs is stale: run `python3 tools/gen_locale_data.py {}/ > src/locale_data.rs`",
        sdist.display()
    );
}
