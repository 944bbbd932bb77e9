//! How scaffold reaches its users, tried as they would: the Python wheel and sdist that
//! `tools/build-wheels` makes (manylinux2014: no glibc symbol newer than 2.17), installed with
//! pip into a fresh venv and run with `uvx --from WHEEL`, writing what the built binary writes;
//! the README's CI recipe, run step by step against that wheel; and the pre-commit hook of
//! `.pre-commit-hooks.yaml`, run by pre-commit from PyPI.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use crate::support::{
    cached_venv, default_python, listing, python_opted_out, run, scaffold, scaffold_path,
    target_dir, FIXED_KEY,
};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// uv and pre-commit from PyPI, in a venv cached under target/.
fn tools() -> &'static Path {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS.get_or_init(|| {
        cached_venv(
            "python-wheel-tools",
            &default_python(),
            &["uv>=0.5,<1", "pre-commit>=4,<5"],
        )
    })
}

/// Removes what cargo sets for a test process (OUT_DIR, CARGO_MANIFEST_DIR, CARGO_PKG_*, ...): a build
/// script that watches one of them (ring's does) would otherwise rebuild, and a second run of
/// the script could not reuse the release build of the first.
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

/// What `tools/build-wheels` made.
struct Dists {
    sdist: PathBuf,
    wheel: PathBuf,
}

/// Runs `tools/build-wheels target/wheel-test` once per test run: the release build a user's
/// wheel is, linked by zig for glibc 2.17 (a separate build from the tests' own binary, since
/// its C code is compiled and linked against glibc 2.17; cargo reuses it on later runs).
fn dists() -> &'static Dists {
    static DISTS: OnceLock<Dists> = OnceLock::new();
    DISTS.get_or_init(|| {
        let out = target_dir().join("wheel-test");
        let started = Instant::now();
        let mut script = Command::new(Path::new(ROOT).join("tools/build-wheels"));
        script
            .arg(&out)
            .env("CARGO_TARGET_DIR", target_dir())
            .env("PYTHON", default_python());
        without_test_env(&mut script);
        let printed = run(&mut script, "tools/build-wheels");
        eprintln!(
            "tools/build-wheels: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let made: Vec<PathBuf> = printed.lines().map(PathBuf::from).collect();
        let one = |suffix: &str| {
            let found: Vec<&PathBuf> = made
                .iter()
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect();
            assert_eq!(
                found.len(),
                1,
                "one {suffix} in what the script printed:\n{printed}"
            );
            assert!(found[0].is_file(), "{}", found[0].display());
            found[0].clone()
        };
        Dists {
            sdist: one(".tar.gz"),
            wheel: one(".whl"),
        }
    })
}

fn wheel() -> &'static Path {
    &dists().wheel
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

/// The sdist `tools/build-wheels` makes (what `pip install` builds from where no wheel fits;
/// maturin takes the crates' files from `cargo package --list`, so Cargo.toml's `include` lists
/// decide) holds the build script, the release table it reads, the templates it renders and the
/// lock file.
#[test]
fn sdist_carries_what_cargo_builds_from() {
    if python_opted_out("sdist_carries_what_cargo_builds_from") {
        return;
    }
    let sdist = &dists().sdist;
    let listing = Command::new("tar").arg("tzf").arg(sdist).output().unwrap();
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

/// The wheel is tagged manylinux2014 (PEP 599) / manylinux_2_17 (PEP 600), in its name and in its
/// WHEEL file, and says so truly: `objdump -T` finds no glibc symbol version newer than 2.17 in
/// the binary it carries, so pip installs it on glibc 2.17 and newer (Amazon Linux 2, RHEL 8,
/// Debian 11, Ubuntu 20.04 and the rest).
#[test]
fn wheel_needs_glibc_2_17_at_most() {
    if python_opted_out("wheel_needs_glibc_2_17_at_most") {
        return;
    }
    let wheel = wheel();
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let arch = std::env::consts::ARCH;
    let tags = [
        format!("py3-none-manylinux_2_17_{arch}"),
        format!("py3-none-manylinux2014_{arch}"),
    ];
    // Its platform tags, dot-separated before ".whl" (PEP 425's compressed tag set).
    let platforms: Vec<&str> = name
        .strip_suffix(".whl")
        .and_then(|n| n.rsplit('-').next())
        .map(|p| p.split('.').collect())
        .unwrap_or_default();
    for tag in &tags {
        let platform = tag.trim_start_matches("py3-none-");
        assert!(
            name.contains("-py3-none-") && platforms.contains(&platform),
            "{name} lacks {platform}"
        );
    }

    let mut archive = zip::ZipArchive::new(fs::File::open(wheel).unwrap()).unwrap();
    let mut read = |path: &str| {
        let mut bytes = Vec::new();
        archive
            .by_name(path)
            .unwrap_or_else(|e| panic!("{name} has no {path}: {e}"))
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    let dist_info = format!("django_scaffold_cli-{}", env!("CARGO_PKG_VERSION"));
    let metadata = String::from_utf8(read(&format!("{dist_info}.dist-info/WHEEL"))).unwrap();
    for tag in &tags {
        assert!(
            metadata.lines().any(|l| l == format!("Tag: {tag}")),
            "WHEEL lacks Tag: {tag}:\n{metadata}"
        );
    }
    let binary = read(&format!("{dist_info}.data/scripts/scaffold"));
    let work = tempfile::tempdir().unwrap();
    let extracted = work.path().join("scaffold");
    fs::write(&extracted, &binary).unwrap();

    let symbols = Command::new("objdump")
        .arg("-T")
        .arg(&extracted)
        .output()
        .expect("objdump (binutils) runs");
    assert!(symbols.status.success(), "{symbols:?}");
    let symbols = String::from_utf8_lossy(&symbols.stdout);
    // Each dynamic symbol's version: "GLIBC_2.14", "GLIBC_2.2.5" ("(GLIBC_2.3)" when hidden).
    let versions: Vec<(Vec<u32>, &str)> = symbols
        .lines()
        .filter_map(|line| {
            let at = line.find("GLIBC_")?;
            let version = line[at + "GLIBC_".len()..]
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next()?;
            let parts = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            Some((parts, line))
        })
        .collect();
    assert!(
        versions.len() > 10,
        "a dynamically linked binary names its glibc symbols:\n{symbols}"
    );
    let newest = versions.iter().max_by(|a, b| a.0.cmp(&b.0)).unwrap();
    eprintln!(
        "newest glibc symbol version of {} dynamic symbols: GLIBC_{}",
        versions.len(),
        newest
            .0
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    );
    let too_new: Vec<&str> = versions
        .iter()
        .filter(|(v, _)| v.as_slice() > [2, 17].as_slice())
        .map(|(_, line)| *line)
        .collect();
    assert!(
        too_new.is_empty(),
        "symbols newer than glibc 2.17:\n{}",
        too_new.join("\n")
    );
}

/// The first YAML block of README.md under the line `heading`.
fn readme_yaml(heading: &str) -> String {
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let at = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has {heading}"));
    readme[at..]
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap_or_else(|| panic!("a ```yaml block under {heading}"))
        .to_owned()
}

/// The shell of each `run:` step of README's CI recipe, in order: `run: COMMAND` on one line,
/// or `run: |` and the lines indented below it, dedented.
fn readme_ci_steps() -> Vec<String> {
    let block = readme_yaml("## Use in CI");
    let lines: Vec<&str> = block.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let key = line.trim_start().trim_start_matches("- ");
        i += 1;
        let Some(command) = key.strip_prefix("run:") else {
            continue;
        };
        let command = command.trim();
        if command != "|" {
            steps.push(command.to_owned());
            continue;
        }
        let body: Vec<&str> = lines[i..]
            .iter()
            .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
            .copied()
            .collect();
        i += body.len();
        let margin = body
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l))
            .min();
        let text: Vec<&str> = body
            .iter()
            .map(|l| l.get(margin.unwrap_or(0)..).unwrap_or(""))
            .collect();
        steps.push(text.join("\n") + "\n");
    }
    steps
}

/// README's CI recipe works as written: each `run:` step, in order, in the job's directory,
/// under `bash -e` as the runner runs it, with a fresh venv's `python` first on PATH (what
/// `actions/setup-python` gives) and the wheel's path in place of `django-scaffold-cli` (not on
/// PyPI yet). Django 5.2 comes from the index pip is set up with.
#[test]
fn readme_ci_recipe_runs_as_written() {
    if python_opted_out("readme_ci_recipe_runs_as_written") {
        return;
    }
    let steps = readme_ci_steps();
    assert_eq!(steps.len(), 3, "the recipe's run: steps: {steps:#?}");
    let wheel = wheel().to_str().unwrap();
    let installs: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].contains("django-scaffold-cli"))
        .collect();
    assert_eq!(
        installs,
        [0],
        "one step installs scaffold, the first: {steps:#?}"
    );

    let work = tempfile::tempdir().unwrap();
    let python = work.path().join("setup-python");
    run(
        Command::new(default_python())
            .args(["-m", "venv"])
            .arg(&python),
        "creating the venv standing in for setup-python",
    );
    let job = work.path().join("job");
    fs::create_dir(&job).unwrap();
    let path = format!(
        "{}:{}",
        python.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for step in &steps {
        let step = step.replace("django-scaffold-cli", wheel);
        let started = Instant::now();
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-c", &step])
            .current_dir(&job)
            .env("PATH", &path)
            .env_remove("VIRTUAL_ENV")
            .output()
            .unwrap();
        eprintln!("step {step:?}: {:.1} s", started.elapsed().as_secs_f64());
        assert!(
            out.status.success(),
            "the README's CI step failed ({}):\n{step}\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What the steps say they leave: the JSON report and a project Django checked.
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(job.join("generated.json")).unwrap()).unwrap();
    assert_eq!(report["django_version"], "5.2", "{report}");
    let settings = fs::read_to_string(job.join("mysite/mysite/settings.py")).unwrap();
    assert!(settings.contains("ci-only-not-secret"), "{settings}");
    assert!(settings.contains("using Django 5.2."), "{settings}");
}

/// `git` in `dir` as a throwaway identity, failing the test unless it succeeds.
fn git(dir: &Path, args: &[&str]) -> String {
    run(
        Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=test",
                "-c",
                "user.email=test@example.invalid",
            ])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args),
        &format!("git {args:?}"),
    )
}

/// `.pre-commit-hooks.yaml` as a template maintainer uses it: a repository with a template and
/// its committed snapshot, and README's `.pre-commit-config.yaml` as written, its repository a
/// local git repository holding this checkout's hooks file. pre-commit from PyPI passes while the
/// template generates the snapshot and fails with the diff once it does not. (`pre-commit
/// try-repo` cannot give a hook args, and these hooks need them: this is the config try-repo
/// would write, with args.) The scaffold on PATH is the binary under test.
#[test]
fn pre_commit_hook_checks_the_snapshot() {
    if python_opted_out("pre_commit_hook_checks_the_snapshot") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let hooks = work.path().join("hooks");
    fs::create_dir(&hooks).unwrap();
    fs::copy(
        Path::new(ROOT).join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "-A"]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = git(&hooks, &["rev-parse", "HEAD"]);

    let project = work.path().join("template-repo");
    let template = project.join("template");
    fs::create_dir_all(template.join("project_name")).unwrap();
    fs::write(
        template.join("manage.py-tpl"),
        "# manage.py of {{ project_name }}\n",
    )
    .unwrap();
    fs::write(
        template.join("project_name/settings.py-tpl"),
        "SECRET_KEY = '{{ secret_key }}'\nROOT_URLCONF = '{{ project_name }}.urls'\n",
    )
    .unwrap();
    fs::create_dir_all(project.join("snapshot/mysite")).unwrap();
    let args = [
        "mysite",
        "snapshot/mysite",
        "--template",
        "template",
        "--secret-key",
        "snapshot-only",
        "--django",
        "6.1",
    ];
    scaffold()
        .current_dir(&project)
        .arg("startproject")
        .args(args)
        .args(["-v", "0"])
        .assert()
        .success();
    let config = readme_yaml("### With pre-commit");
    let expected = args.join(", ").replace("6.1", "\"6.1\"");
    assert!(
        config.contains(&format!("args: [{expected}]")),
        "README's hook args are the snapshot's command line:\n{config}"
    );
    let config = config
        .replace("SCAFFOLD-REPOSITORY-URL", &hooks.to_string_lossy())
        .replace("rev: v0.1.0", &format!("rev: {}", rev.trim()));
    fs::write(project.join(".pre-commit-config.yaml"), config).unwrap();
    git(&project, &["init", "-q"]);
    git(&project, &["add", "-A"]);
    git(&project, &["commit", "-q", "-m", "template and snapshot"]);

    let bin_dir = scaffold_path().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pre_commit = || {
        let mut cmd = Command::new(tools().join("bin/pre-commit"));
        cmd.args(["run", "--all-files", "--color", "never"])
            .current_dir(&project)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", work.path().join("pre-commit-home"))
            .env_remove("VIRTUAL_ENV");
        let started = Instant::now();
        let out = cmd.output().unwrap();
        eprintln!("pre-commit run: {:.1} s", started.elapsed().as_secs_f64());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };

    let (code, text) = pre_commit();
    assert_eq!(
        code,
        Some(0),
        "the snapshot is what the template generates:\n{text}"
    );
    assert!(
        text.contains("scaffold startproject --check") && text.contains("Passed"),
        "{text}"
    );

    fs::write(
        template.join("manage.py-tpl"),
        "# manage.py of {{ project_name }}, changed\n",
    )
    .unwrap();
    git(&project, &["add", "-A"]);
    let (code, text) = pre_commit();
    assert_eq!(
        code,
        Some(1),
        "the template changed, the snapshot did not:\n{text}"
    );
    assert!(
        text.contains("Failed") && text.contains("changed manage.py"),
        "{text}"
    );
    assert!(text.contains("+# manage.py of mysite, changed"), "{text}");
}
