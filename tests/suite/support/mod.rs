//! Shared by the black-box tests: the binary under test, file-tree listings, and the Python venv
//! and Django release files that the parity and end-to-end tests run against.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The scaffold binary built by cargo for these tests (or `SCAFFOLD_TEST_BIN`, to show that a
/// new test fails on an older build), with no active venv (whose Django would choose the
/// release).
pub fn scaffold() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(scaffold_path());
    // Not the checkout, unless a test says where: scaffold refuses a NAME that Python would
    // import from the working directory, and the README's first command leaves ./mysite there.
    cmd.env_remove("VIRTUAL_ENV").current_dir(empty_cwd());
    cmd
}

/// An empty directory under target/tmp, made once: the default working directory of the tests.
fn empty_cwd() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-cwd");
    fs::create_dir_all(&dir).expect("target/tmp is writable");
    dir
}

/// The binary run under a given umask (through `sh`, since a process sets only its own).
pub fn scaffold_with_umask(umask: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(scaffold_path());
    cmd
}

pub fn scaffold_path() -> PathBuf {
    match std::env::var_os("SCAFFOLD_TEST_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => assert_cmd::cargo::cargo_bin("scaffold"),
    }
}

/// A secret key of Django's shape, fixed so that output is reproducible.
pub const FIXED_KEY: &str = "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";

/// Every entry below `root`: relative path -> (kind and mode, content). Compares whole trees,
/// including modes and symlink targets, before and after a command.
pub fn listing(root: &Path) -> BTreeMap<String, (String, Vec<u8>)> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (String, Vec<u8>)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let meta = fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            out.insert(
                rel,
                ("link".into(), target.to_string_lossy().as_bytes().to_vec()),
            );
        } else if meta.is_dir() {
            out.insert(rel, (format!("dir {mode:o}"), Vec::new()));
            walk(root, &path, out);
        } else {
            out.insert(rel, (format!("file {mode:o}"), fs::read(&path).unwrap()));
        }
    }
}

/// Files only, relative path -> (executable, bytes): what parity with Django compares.
pub fn files_with_exec_bit(root: &Path) -> BTreeMap<String, (bool, Vec<u8>)> {
    listing(root)
        .into_iter()
        .filter(|(_, (kind, _))| kind.starts_with("file"))
        .map(|(path, (kind, bytes))| {
            let mode = u32::from_str_radix(kind.trim_start_matches("file "), 8).unwrap();
            (path, (mode & 0o100 != 0, bytes))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Python: a venv with real Django 5.2 LTS, gunicorn and uvicorn, cached under target/.

/// Set to 1 to skip every test that needs Python; they then say so on stderr.
pub const SKIP_PYTHON: &str = "SCAFFOLD_SKIP_PYTHON_TESTS";
const REQUIREMENTS: &[&str] = &["django>=5.2,<5.3", "gunicorn>=23,<24", "uvicorn>=0.30,<1"];

/// Whether the Python tests are opted out; says so loudly, never silently.
pub fn python_opted_out(test: &str) -> bool {
    let out = std::env::var(SKIP_PYTHON).is_ok_and(|v| v == "1");
    if out {
        eprintln!("SKIPPED {test}: {SKIP_PYTHON}=1");
    }
    out
}

pub fn target_dir() -> PathBuf {
    // tests run from the package root; CARGO_TARGET_DIR may move target/ elsewhere.
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Runs `cmd`, failing the test with its output unless it succeeds; returns its stdout.
pub fn run(cmd: &mut Command, what: &str) -> String {
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

/// Holds an exclusive lock on `target/<name>.lock` while `f` runs, so that tests running at the
/// same time do not build the same cache twice: threads of this binary (each call opens the file
/// anew, and flock locks of two opens exclude each other) and other processes (nextest).
fn with_lock<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let dir = target_dir();
    fs::create_dir_all(&dir).unwrap();
    let lock = File::create(dir.join(format!("{name}.lock"))).unwrap();
    lock.lock().unwrap();
    let out = f();
    drop(lock);
    out
}

/// The venv's directory; created on first use (python3 -m venv, pip install), then reused.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        with_lock("venv", || {
            let venv = target_dir().join("python-venv");
            let stamp = venv.join("scaffold-requirements.txt");
            let wanted = REQUIREMENTS.join("\n");
            if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
                return venv;
            }
            let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
            let found = Command::new(&python).arg("--version").output();
            assert!(
                found.is_ok_and(|o| o.status.success()),
                "these tests need Python 3 ('{python}' not found; set PYTHON to another interpreter, \
                 or {SKIP_PYTHON}=1 to skip them)"
            );
            let _ = fs::remove_dir_all(&venv);
            run(Command::new(&python).args(["-m", "venv"]).arg(&venv), "creating the venv");
            run(
                Command::new(venv.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .args(REQUIREMENTS),
                "installing Django, gunicorn and uvicorn",
            );
            fs::write(&stamp, wanted).unwrap();
            venv
        })
    })
}

pub fn venv_bin(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// A release of the table by its feature string (`"5.2"`), for a test that needs that one.
pub fn release(feature: &str) -> scaffold::DjangoVersion {
    scaffold::DjangoVersion::known(feature)
        .unwrap_or_else(|| panic!("Django {feature} is not in the release table"))
}

/// The release the shared venv (`venv()`, `REQUIREMENTS`) holds.
const SHARED_VENV_RELEASE: &str = "5.2";

/// `(major, minor)` of a Python interpreter, if it runs.
pub fn python_version(python: &Path) -> Option<(u32, u32)> {
    let out = Command::new(python)
        .args(["-c", "import sys; print(*sys.version_info[:2])"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(|p| p.parse().ok());
    Some((parts.next()??, parts.next()??))
}

/// The Python a release's venvs are made with, from its row of the table: the default
/// `python3` when the release supports it, else the newest CPython on this machine that it
/// supports (pyenv's, else `python3.MINOR` on PATH): 5.2 on the default 3.11, 6.0 and 6.1 on
/// 3.13, 3.2 on 3.10. A clear failure when there is none.
pub fn python_for(django: scaffold::DjangoVersion) -> PathBuf {
    let (min, max) = (django.min_python(), django.max_python());
    let default = default_python();
    if python_version(&default).is_some_and(|v| (min..=max).contains(&v)) {
        return default;
    }
    (min.1..=max.1)
        .rev()
        .filter(|minor| (min..=max).contains(&(3, *minor)))
        .find_map(installed_python)
        .unwrap_or_else(|| {
            panic!(
                "the tests of Django {django} need a CPython from {}.{} to {}.{}: install one with \
                 pyenv (pyenv install 3.{}) or put python3.MINOR on PATH, or set {SKIP_PYTHON}=1 \
                 to skip the Python tests",
                min.0, min.1, max.0, max.1, max.1.min(13)
            )
        })
}

/// `python3.MINOR`: pyenv's newest CPython 3.MINOR.x (`pyenv root`, else `$PYENV_ROOT`, else
/// `~/.pyenv`), else `python3.MINOR` on PATH, if there is one.
fn installed_python(minor: u32) -> Option<PathBuf> {
    let prefix = format!("3.{minor}.");
    let roots = [
        Command::new("pyenv")
            .arg("root")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        std::env::var_os("PYENV_ROOT").map(PathBuf::from),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")),
    ];
    for root in roots.into_iter().flatten() {
        let mut found: Vec<(u32, PathBuf)> = fs::read_dir(root.join("versions"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let patch = name.strip_prefix(&prefix)?.parse().ok()?;
                let python = e.path().join("bin/python3");
                python.is_file().then_some((patch, python))
            })
            .collect();
        found.sort();
        if let Some((_, python)) = found.pop() {
            return Some(python);
        }
    }
    let on_path = PathBuf::from(format!("python3.{minor}"));
    python_version(&on_path).map(|_| on_path)
}

/// A venv with Django `django` (the table's patch release), gunicorn and uvicorn, on the Python
/// [`python_for`] picks; created under target/ on first use, then reused. The shared venv when
/// it holds that release.
pub fn release_venv(django: scaffold::DjangoVersion) -> &'static Path {
    static VENVS: [OnceLock<PathBuf>; scaffold::internals::RELEASES.len()] =
        [const { OnceLock::new() }; scaffold::internals::RELEASES.len()];
    if django == release(SHARED_VENV_RELEASE) {
        return venv();
    }
    let index = scaffold::DjangoVersion::ALL
        .iter()
        .position(|v| *v == django)
        .expect("every DjangoVersion is in ALL");
    VENVS[index].get_or_init(|| {
        let python = python_for(django);
        cached_venv(
            &format!("python-venv-{django}"),
            &python,
            &[
                &format!("django=={}", django.release()),
                "gunicorn>=23,<24",
                "uvicorn>=0.30,<1",
            ],
        )
    })
}

/// `target/NAME`: a venv made with `python` and these requirements installed with pip; made
/// once (under a lock), then reused while the interpreter and requirements stay the same.
pub fn cached_venv(name: &str, python: &Path, requirements: &[&str]) -> PathBuf {
    with_lock(name, || {
        let venv = target_dir().join(name);
        let wanted = format!("{}\n{}", python.display(), requirements.join("\n"));
        let stamp = venv.join("scaffold-requirements.txt");
        if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            return venv;
        }
        let _ = fs::remove_dir_all(&venv);
        run(
            Command::new(python).args(["-m", "venv"]).arg(&venv),
            &format!("creating the venv {name} with {}", python.display()),
        );
        run(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(requirements),
            &format!("installing {} into {name}", requirements.join(" ")),
        );
        fs::write(&stamp, wanted).unwrap();
        venv
    })
}

/// The Python that the venvs of the tests are made with: `$PYTHON`, else `python3`; a clear
/// failure when there is none.
pub fn default_python() -> PathBuf {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let found = Command::new(&python).arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "these tests need Python 3 ('{python}' not found; set PYTHON to another interpreter, \
         or {SKIP_PYTHON}=1 to skip them)"
    );
    PathBuf::from(python)
}

/// The real release files of `django`, the table's patch release, fetched with pip once and
/// unpacked under target/. Returns `(release, path of the unpacked django/ package)`.
pub fn django_release(django: scaffold::DjangoVersion) -> (String, PathBuf) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let series = django.docs_version();
    with_lock("wheels", || {
        let base = target_dir().join("django-wheels").join(series);
        let done = base.join("release.txt");
        if fs::read_to_string(&done).is_ok_and(|release| release == django.release()) {
            return (django.release().to_owned(), base.join("django"));
        }
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).unwrap();
        let python = format!("{}.{}", django.min_python().0, django.min_python().1);
        let wheel = download_wheel(
            &format!("django=={}", django.release()),
            &["--python-version", &python],
            &base.join("download"),
        );
        let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
        let release = name.split('-').nth(1).unwrap().to_owned();
        unpack_wheel(&wheel, &base, r"django/conf/(app|project)_template/");
        fs::write(&done, &release).unwrap();
        (release, base.join("django"))
    })
}

/// The wheel of `requirement` (`django==5.2.8`, `wagtail==5.2.8`), without its dependencies,
/// downloaded with pip (with `pip_args`) into `dir`.
pub fn download_wheel(requirement: &str, pip_args: &[&str], dir: &Path) -> PathBuf {
    run(
        Command::new(venv_bin("pip"))
            .args(["download", "--quiet", "--disable-pip-version-check"])
            .args(["--no-deps", "--only-binary=:all:"])
            .args(pip_args)
            .arg(requirement)
            .arg("-d")
            .arg(dir),
        &format!("downloading the {requirement} wheel"),
    );
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .next()
        .unwrap_or_else(|| panic!("pip left no {requirement} wheel in {}", dir.display()))
}

/// Unpacks the entries of `wheel` whose name matches `pattern` (a Python regex, from the start)
/// into `dest`, with Python's zipfile as pip would, keeping the executable bits.
pub fn unpack_wheel(wheel: &Path, dest: &Path, pattern: &str) {
    run(
        Command::new(venv_bin("python"))
            .args(["-c", UNPACK])
            .arg(wheel)
            .arg(dest)
            .arg(pattern),
        &format!("unpacking {pattern} from {}", wheel.display()),
    );
}

const UNPACK: &str = r#"
import os, re, sys, zipfile
wheel, dest, pattern = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if not re.match(pattern, info.filename):
            continue
        path = z.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            os.chmod(path, mode)
"#;

/// Rewrites one file below `root`; the edit must change something.
pub fn edit(root: &Path, rel: &str, f: impl FnOnce(&str) -> String) {
    let path = root.join(rel);
    let text = fs::read_to_string(&path).unwrap();
    let new = f(&text);
    assert_ne!(new, text, "the edit of {rel} changed nothing");
    fs::write(&path, new).unwrap();
}

/// `text` with the one occurrence of `from` replaced by `to`.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in:\n{text}");
    text.replacen(from, to, 1)
}

/// Renders `template_dir` with the venv's real Django TemplateCommand, pinned to `release`.
pub fn django_render(
    kind: &str,
    name: &str,
    target: &Path,
    template_dir: &Path,
    release: &str,
    key: &str,
) {
    let series: String = release.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    run(
        Command::new(venv_bin("python"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/support/django_render.py"))
            .args([kind, name])
            .arg(target)
            .arg(template_dir)
            .args([release, series.as_str(), key]),
        &format!("rendering {} with Django {release}", template_dir.display()),
    );
}

/// A tree as `listing` returns it.
pub type Listing = BTreeMap<String, (String, Vec<u8>)>;

/// Renders the custom `template` as project `mysite` with scaffold (`--django 5.2`, FIXED_KEY),
/// then with the venv's real Django pinned to the same release and key, into the same absolute
/// path one after the other, since `project_directory` may appear in the output.
/// Returns `(scaffold's listing, Django's listing)`.
pub fn render_with_scaffold_and_django(template: &Path) -> (Listing, Listing) {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("site");
    scaffold()
        .current_dir(work.path())
        .args(["startproject", "mysite"])
        .arg(&target)
        .args([
            "--django",
            "5.2",
            "--secret-key",
            FIXED_KEY,
            "-v",
            "0",
            "--template",
        ])
        .arg(template)
        .assert()
        .success();
    let ours = listing(&target);
    fs::remove_dir_all(&target).unwrap();
    let patch = release("5.2").release();
    django_render("project", "mysite", &target, template, patch, FIXED_KEY);
    (ours, listing(&target))
}

/// uv from PyPI, installed with pip (and pip's index settings) into a venv cached under target/.
pub fn uv() -> &'static Path {
    static UV: OnceLock<PathBuf> = OnceLock::new();
    UV.get_or_init(|| {
        with_lock("uv-venv", || {
            let venv = target_dir().join("uv-venv");
            let uv = venv.join("bin/uv");
            if uv.is_file() {
                return uv;
            }
            let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
            let _ = fs::remove_dir_all(&venv);
            run(
                Command::new(&python).args(["-m", "venv"]).arg(&venv),
                "creating the uv venv",
            );
            run(
                Command::new(venv.join("bin/pip")).args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "uv",
                ]),
                "installing uv",
            );
            uv
        })
    })
}

/// Where uv keeps its cache for the tests, so that a second run needs no network.
pub fn uv_cache() -> PathBuf {
    target_dir().join("uv-cache")
}

/// Runs scaffold with `args` in `dir` on a pseudo-terminal (util-linux `script`), with
/// `VIRTUAL_ENV` set only as given; returns the exit status and what the terminal showed.
pub fn on_terminal(dir: &Path, virtual_env: Option<&Path>, args: &[&str]) -> (Option<i32>, String) {
    let command = std::iter::once(format!("'{}'", scaffold_path().display()))
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &command, "/dev/null"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("VIRTUAL_ENV");
    if let Some(env) = virtual_env {
        cmd.env("VIRTUAL_ENV", env);
    }
    let out = cmd
        .output()
        .expect("util-linux script runs the command on a pty");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
    )
}

/// The binary under test, run as `nobody` when the tests run as root (root writes anywhere,
/// read-only files included), without an active venv.
/// The binary runs from a copy in a world-readable directory, since the checkout may sit
/// below a directory that `nobody` cannot enter.
pub fn unprivileged(cwd: &Path, args: &[&str]) -> std::process::Output {
    let bin_dir = tempfile::tempdir().unwrap();
    fs::set_permissions(bin_dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let binary = bin_dir.path().join("scaffold");
    fs::copy(scaffold_path(), &binary).unwrap();
    let mut cmd = if is_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary);
        c
    } else {
        std::process::Command::new(&binary)
    };
    cmd.current_dir(cwd).args(args).env_remove("VIRTUAL_ENV");
    // The fresh copy may still be open for writing in a child that another test thread forked
    // meanwhile (exec then fails with ETXTBSY until that child has exec'd): try again.
    for _ in 0..100 {
        // setpriv reports the same failure of its own exec on stderr.
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {}
            Ok(out) if String::from_utf8_lossy(&out.stderr).contains("Text file busy") => {}
            other => return other.unwrap(),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{} stayed busy", binary.display())
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs scaffold with `args` in `dir` for real (umask 022, `-v 0`), asserting success.
pub fn generate(dir: &Path, args: &[&str]) {
    let out = scaffold_with_umask("022")
        .current_dir(dir)
        .args(args)
        .args(["-v", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The statuses a file has in `scaffold upgrade`'s JSON report (issue 17 added `noted`: template
/// changes not applied, each with a note, and the file left as it is).
pub const UPGRADE_STATUSES: [&str; 7] = [
    "unchanged",
    "changed",
    "added",
    "deleted",
    "conflict",
    "noted",
    // Issue 19: a file the new template drops, left by the owner as the old one made it.
    "removed",
];

/// What became of one template change in `scaffold upgrade`'s JSON report.
pub const UPGRADE_OUTCOMES: [&str; 3] = ["applied", "conflict", "noted"];
