//! The Python wheel (pyproject.toml: maturin, `bindings = "bin"`): built by maturin from PyPI
//! out of the tests' own cargo target directory (so no second compile), installed with pip into
//! a fresh venv, its `scaffold` writes what the built binary writes; `uvx --from WHEEL` runs it
//! too. The sdist carries what a cargo build needs.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use support::{
    cached_venv, default_python, listing, python_opted_out, run, scaffold, scaffold_path,
    target_dir, FIXED_KEY,
};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// maturin and uv from PyPI, in a venv cached under target/.
fn tools() -> &'static Path {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS.get_or_init(|| {
        cached_venv(
            "python-wheel-tools",
            &default_python(),
            &["maturin>=1.5,<2", "uv>=0.5,<1"],
        )
    })
}

/// The cargo profile the binary under test was built with (`target/debug` or
/// `target/release`), so that maturin finds it built and only packages it.
fn profile() -> &'static str {
    let dir = scaffold_path();
    match dir
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
    {
        Some("release") => "release",
        _ => "dev",
    }
}

/// Removes what cargo sets for a test process (OUT_DIR, CARGO_MANIFEST_DIR, CARGO_PKG_*, ...): a build
/// script that watches one of them (ring's does) would otherwise rebuild, and the build the
/// tests already made could not be reused.
fn without_test_env(cmd: &mut Command) {
    const SET_FOR_TESTS: &[&str] = &[
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if SET_FOR_TESTS.iter().any(|prefix| text.starts_with(prefix)) {
            cmd.env_remove(&name);
        }
    }
}

/// Builds the wheel once per test run into `target/wheel-test/`; returns its path.
fn wheel() -> &'static Path {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    WHEEL.get_or_init(|| {
        let out = target_dir().join("wheel-test");
        let _ = fs::remove_dir_all(&out);
        let started = Instant::now();
        let mut maturin = Command::new(tools().join("bin/maturin"));
        maturin
            .args(["build", "--profile", profile(), "--out"])
            .arg(&out)
            .arg("--manifest-path")
            .arg(Path::new(ROOT).join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir());
        without_test_env(&mut maturin);
        run(&mut maturin, "maturin build");
        eprintln!("maturin build: {:.1} s", started.elapsed().as_secs_f64());
        let wheels: Vec<PathBuf> = fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "whl"))
            .collect();
        assert_eq!(wheels.len(), 1, "{wheels:?}");
        wheels.into_iter().next().unwrap()
    })
}

/// The index pip is set up with (its environment or `pip config`: index, extra index, find-links,
/// CA bundle), passed on to uv, so that both reach the same package index and no other.
fn uv_index_env(cmd: &mut Command) {
    let pip_config = Command::new(tools().join("bin/pip"))
        .args(["config", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let configured = |key: &str| {
        let env = format!("PIP_{}", key.to_uppercase().replace('-', "_"));
        std::env::var(&env)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                pip_config.lines().find_map(|line| {
                    let (name, value) = line.split_once('=')?;
                    name.ends_with(&format!(".{key}"))
                        .then(|| value.trim().trim_matches('\'').to_owned())
                })
            })
    };
    if let Some(index) = configured("index-url") {
        cmd.env("UV_DEFAULT_INDEX", index);
    }
    if let Some(extra) = configured("extra-index-url") {
        cmd.env("UV_INDEX", extra);
    }
    if let Some(links) = configured("find-links") {
        cmd.env("UV_FIND_LINKS", links);
    }
    if let Some(cert) = configured("cert") {
        cmd.env("SSL_CERT_FILE", cert);
    }
}

#[test]
fn pip_installed_wheel_writes_what_the_binary_writes() {
    if python_opted_out("pip_installed_wheel_writes_what_the_binary_writes") {
        return;
    }
    let wheel = wheel();
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        name.starts_with(&format!("django_scaffold_cli-{version}-py3-none-")),
        "the wheel's name and version come from pyproject.toml and Cargo.toml: {name}"
    );

    let work = tempfile::tempdir().unwrap();
    let venv = work.path().join("venv");
    run(
        Command::new(default_python())
            .args(["-m", "venv"])
            .arg(&venv),
        "creating a fresh venv",
    );
    let started = Instant::now();
    run(
        Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--no-index",
                "--disable-pip-version-check",
            ])
            .arg(wheel),
        "pip install WHEEL",
    );
    eprintln!("pip install: {:.1} s", started.elapsed().as_secs_f64());
    let installed = venv.join("bin/scaffold");
    assert!(
        installed.is_file(),
        "pip put no scaffold in the venv's bin/"
    );

    let out = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("scaffold {version}\n")
    );
    for args in [
        &["startproject", "mysite", "--django", "5.2"][..],
        &[
            "startproject",
            "mysite",
            "--django",
            "6.1",
            "--settings",
            "split",
        ],
        &["startapp", "blog", "--django", "6.0"],
    ] {
        let ours = work.path().join("from_wheel");
        let theirs = work.path().join("from_binary");
        run(
            Command::new(&installed)
                .current_dir(work.path())
                .args(args)
                .arg(&ours)
                .args(["-v", "0"])
                .args(if args[0] == "startproject" {
                    &["--secret-key", FIXED_KEY][..]
                } else {
                    &[]
                })
                .env_remove("VIRTUAL_ENV"),
            "the wheel's scaffold",
        );
        let mut binary = scaffold();
        binary.args(args).arg(&theirs).args(["-v", "0"]);
        if args[0] == "startproject" {
            binary.args(["--secret-key", FIXED_KEY]);
        }
        binary.assert().success();
        let (a, b) = (listing(&ours), listing(&theirs));
        assert!(
            !a.is_empty(),
            "{args:?}: the wheel's scaffold wrote nothing"
        );
        assert_eq!(a, b, "{args:?}");
        fs::remove_dir_all(&ours).unwrap();
        fs::remove_dir_all(&theirs).unwrap();
    }

    // As a user would: the venv active (it has no Django, so the newest release), no flags.
    let out = Command::new(&installed)
        .args(["startproject", "mysite"])
        .current_dir(work.path())
        .env("VIRTUAL_ENV", &venv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let settings = fs::read_to_string(work.path().join("mysite/mysite/settings.py")).unwrap();
    assert!(
        settings.contains(&format!(
            "using Django {}.",
            scaffold::DjangoVersion::NEWEST.release()
        )),
        "{settings}"
    );
}

/// `uvx --from WHEEL scaffold ARGS` in a scratch uv cache, offline from everything but the index
/// pip uses; returns its output.
fn uvx(work: &Path, args: &[&str]) -> std::process::Output {
    let mut uvx = Command::new(tools().join("bin/uvx"));
    uvx.arg("--from")
        .arg(wheel())
        .arg("scaffold")
        .args(args)
        .current_dir(work)
        .env("UV_CACHE_DIR", work.join("uv-cache"))
        .env("UV_TOOL_DIR", work.join("uv-tools"))
        .env("UV_PYTHON", tools().join("bin/python"))
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_NO_CONFIG", "1")
        .env_remove("VIRTUAL_ENV");
    uv_index_env(&mut uvx);
    let started = Instant::now();
    let out = uvx.output().unwrap();
    eprintln!("uvx {args:?}: {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        out.status.success(),
        "uvx --from WHEEL scaffold {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn uvx_runs_the_wheel() {
    if python_opted_out("uvx_runs_the_wheel") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = uvx(work.path(), &["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("scaffold {}\n", env!("CARGO_PKG_VERSION"))
    );

    let args = [
        "startproject",
        "mysite",
        "--django",
        "6.0",
        "--secret-key",
        FIXED_KEY,
    ];
    let ours = work.path().join("from_uvx");
    let theirs = work.path().join("from_binary");
    let ours_text = ours.to_str().unwrap();
    uvx(work.path(), &[&args[..], &[ours_text, "-v", "0"]].concat());
    scaffold()
        .args(args)
        .arg(&theirs)
        .args(["-v", "0"])
        .assert()
        .success();
    let listing_ours = listing(&ours);
    assert!(
        listing_ours.contains_key("manage.py"),
        "{:?}",
        listing_ours.keys()
    );
    assert_eq!(listing_ours, listing(&theirs));
}

/// `maturin sdist` (what `pip install` builds from where no wheel fits) holds the build script,
/// the release table it reads, the templates it renders and the lock file.
#[test]
fn sdist_carries_what_cargo_builds_from() {
    if python_opted_out("sdist_carries_what_cargo_builds_from") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    run(
        Command::new(tools().join("bin/maturin"))
            .args(["sdist", "--out"])
            .arg(out.path())
            .arg("--manifest-path")
            .arg(Path::new(ROOT).join("Cargo.toml")),
        "maturin sdist",
    );
    let sdist = fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("maturin sdist wrote a .tar.gz");
    let listing = Command::new("tar").arg("tzf").arg(&sdist).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    let prefix = format!("django_scaffold_cli-{}/", env!("CARGO_PKG_VERSION"));
    for needed in [
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src/releases.rs",
        "src/path_map.rs",
        "src/main.rs",
        "templates/project/manage.py-tpl",
        "templates/project/project_name/settings/production.py-tpl",
        "templates/app/apps.py-tpl",
        // The template language, a path dependency in the workspace.
        "crates/django-template/Cargo.toml",
        "crates/django-template/src/lib.rs",
    ] {
        assert!(
            listing.lines().any(|l| l == format!("{prefix}{needed}")),
            "the sdist lacks {needed}:\n{listing}"
        );
    }
}
