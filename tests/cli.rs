//! The command line for CI and snapshot workflows: --dry-run, the JSON report, human output,
//! completions, man page, --help and --version.

mod support;

use std::fs;
use std::path::Path;

use support::{listing, scaffold, scaffold_with_umask, FIXED_KEY};

/// Runs scaffold in `dir` with `args`.
fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    scaffold().current_dir(dir).args(args).output().unwrap()
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// Runs the same command for real and with --dry-run in twin directories: same exit status,
/// and the dry run leaves its directory exactly as it was.
fn assert_dry_run_like_real(setup: impl Fn(&Path), args: &[&str]) -> (i32, String) {
    let real = tempfile::tempdir().unwrap();
    let dry = tempfile::tempdir().unwrap();
    setup(real.path());
    setup(dry.path());
    let before = listing(dry.path());
    let real_out = scaffold()
        .current_dir(real.path())
        .args(args)
        .output()
        .unwrap();
    let dry_out = scaffold()
        .current_dir(dry.path())
        .args(args)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert_eq!(dry_out.status.code(), real_out.status.code(), "{args:?}");
    assert_eq!(
        listing(dry.path()),
        before,
        "{args:?}: --dry-run changed the file system"
    );
    (
        dry_out.status.code().unwrap(),
        String::from_utf8_lossy(&dry_out.stderr).into_owned(),
    )
}

#[test]
fn dry_run_writes_nothing_and_exits_as_the_real_run() {
    let nothing = |_: &Path| {};
    let (code, stderr) = assert_dry_run_like_real(nothing, &["startproject", "mysite"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("Would create Django 6.1 project 'mysite'"),
        "{stderr}"
    );
    assert_eq!(
        assert_dry_run_like_real(nothing, &["startapp", "blog", "apps/blog"]).0,
        0
    );
    assert_eq!(
        assert_dry_run_like_real(nothing, &["startproject", "my-site"]).0,
        1
    );
    assert_eq!(
        assert_dry_run_like_real(nothing, &["startapp", "blog", "bad.dir"]).0,
        1
    );
    assert_eq!(
        assert_dry_run_like_real(nothing, &["startproject", "m", "--settings-module", "m..x"]).0,
        1
    );
    let existing = |d: &Path| fs::create_dir(d.join("mysite")).unwrap();
    assert_eq!(
        assert_dry_run_like_real(existing, &["startproject", "mysite"]).0,
        1
    );
    let conflict = |d: &Path| {
        fs::create_dir(d.join("mysite")).unwrap();
        fs::write(d.join("mysite/settings.py"), "X = 1\n").unwrap();
    };
    let (code, stderr) = assert_dry_run_like_real(conflict, &["startproject", "mysite", "."]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("settings.py already exists. Overlaying"),
        "{stderr}"
    );
}

#[test]
fn dry_run_lists_the_files_it_would_create() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["startapp", "blog", "--dry-run"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "Creating {}",
            dir.path().join("blog/models.py").display()
        )),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 7, "{stdout}");
}

#[test]
fn json_report_lists_exactly_what_a_real_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = scaffold_with_umask("027")
        .current_dir(dir.path())
        .args([
            "startproject",
            "mysite",
            "--settings",
            "split",
            "--secret-key",
            FIXED_KEY,
            "--output-format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "json mode prints only the document");
    let report = json(&out.stdout);
    assert_eq!(report["command"], "startproject");
    assert_eq!(report["name"], "mysite");
    assert_eq!(report["django_version"], "6.1");
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["settings_module"], "mysite.settings.development");
    assert_eq!(
        report["directory"],
        dir.path().join("mysite").display().to_string()
    );

    // Every file on disk is in the report with its mode, size, hash and content, and no other.
    let on_disk = listing(&dir.path().join("mysite"));
    let files = report["files"].as_array().unwrap();
    let disk_files: Vec<_> = on_disk
        .iter()
        .filter(|(_, (k, _))| k.starts_with("file"))
        .collect();
    assert_eq!(files.len(), disk_files.len());
    for (file, (path, (kind, bytes))) in files.iter().zip(disk_files) {
        assert_eq!(file["path"], path.as_str());
        assert_eq!(
            format!(
                "file {}",
                file["mode"].as_str().unwrap().trim_start_matches('0')
            ),
            *kind
        );
        assert_eq!(file["size"], bytes.len());
        assert_eq!(
            file["content"].as_str().unwrap().as_bytes(),
            bytes.as_slice()
        );
        let sha = file["sha256"].as_str().unwrap();
        assert_eq!(sha.len(), 64);
    }
    assert_eq!(files[0]["path"], "manage.py");
    assert_eq!(files[0]["mode"], "0750");
    let dirs: Vec<_> = on_disk
        .iter()
        .filter(|(_, (k, _))| k.starts_with("dir"))
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(report["directories"], serde_json::json!(dirs));
}

#[test]
fn json_report_is_byte_identical_across_runs() {
    let report_of = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = scaffold()
            .current_dir(dir.path())
            .args([
                "startproject",
                "mysite",
                "--secret-key",
                FIXED_KEY,
                "--output-format",
                "json",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        // The only run-specific value is the temporary directory itself.
        String::from_utf8(out.stdout)
            .unwrap()
            .replace(&dir.path().display().to_string(), "<dir>")
    };
    let first = report_of(&[]);
    assert_eq!(first, report_of(&[]));
    assert_eq!(
        report_of(&["--dry-run"]),
        first.replace("\"dry_run\": false", "\"dry_run\": true")
    );
    // Without a fixed key, two runs differ (in the key) as they must.
    let dir = tempfile::tempdir().unwrap();
    let random = |d: &Path| {
        let out = run(
            d,
            &["startproject", "x", "--dry-run", "--output-format", "json"],
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_ne!(random(dir.path()), random(dir.path()));
}

#[test]
fn json_errors_are_json_with_the_same_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["startproject", "my-site", "--output-format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out.stdout);
    assert_eq!(
        report["error"],
        "'my-site' is not a valid project name. Please make sure the name is a valid identifier."
    );
    assert_eq!(report["hint"], "'my_site' would be valid");
    assert_eq!(listing(dir.path()).len(), 0);
}

#[test]
fn human_output_goes_to_stderr_and_verbosity_0_is_silent() {
    let dir = tempfile::tempdir().unwrap();
    let out = scaffold()
        .current_dir(dir.path())
        .args(["startproject", "mysite"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "Created Django 6.1 project 'mysite' in mysite (6 files).\n\
         Django 6.1 (the newest; no Django found in an active venv or a .venv).\n\
         Next: cd mysite\n      \
         python3 -m venv .venv && . .venv/bin/activate   # Django 6.1 needs Python 3.12 or newer\n      \
         python -m pip install \"Django~=6.1.0\"\n      \
         python manage.py migrate && python manage.py runserver\n"
    );
    let out = run(dir.path(), &["startapp", "blog", "-v", "0"]);
    assert!(out.status.success() && out.stdout.is_empty() && out.stderr.is_empty());
    // -v 2 lists each file as django-admin does.
    let out = run(dir.path(), &["startapp", "shop", "-v", "2"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("Creating /"))
            .count(),
        7,
        "{stdout}"
    );
    // Not a terminal: no colour codes, even on errors.
    let out = run(dir.path(), &["startapp", "os"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'));
}

#[test]
fn completions_for_each_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = scaffold().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("startproject") && text.contains("secret-key"),
            "{shell}: {text}"
        );
    }
    scaffold().args(["completions", "tcsh"]).assert().code(2);
    let out = scaffold().arg("man").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH scaffold"),
        "{man}"
    );
    assert!(man.contains("startproject"));
}

#[test]
fn help_and_version() {
    let out = scaffold().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Examples:") && help.contains("startproject"),
        "{help}"
    );
    let out = scaffold()
        .args(["startproject", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--django",
        "--secret-key",
        "--settings",
        "--settings-module",
        "--dry-run",
        "--output-format",
        "--verbosity",
    ] {
        assert!(
            help.contains(flag),
            "{flag} missing from startproject --help"
        );
    }
    let out = scaffold().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("scaffold {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// The one default settings module lands in manage.py, wsgi.py and asgi.py alike.
#[test]
fn settings_module_is_wired_into_all_three_files() {
    let wired = |d: &Path| -> Vec<String> {
        ["manage.py", "mysite/wsgi.py", "mysite/asgi.py"]
            .iter()
            .map(|f| {
                let text = fs::read_to_string(d.join("mysite").join(f)).unwrap();
                let line = text
                    .lines()
                    .find(|l| l.contains("DJANGO_SETTINGS_MODULE"))
                    .unwrap()
                    .trim()
                    .to_owned();
                line
            })
            .collect()
    };
    let cases: [(&[&str], &str); 3] = [
        (&[], "mysite.settings"),
        (&["--settings", "split"], "mysite.settings.development"),
        (
            &[
                "--settings",
                "split",
                "--settings-module",
                "mysite.settings.production",
            ],
            "mysite.settings.production",
        ),
    ];
    for (args, module) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = scaffold()
            .current_dir(dir.path())
            .args(["startproject", "mysite"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("warning"),
            "{args:?}"
        );
        let expected = format!("os.environ.setdefault('DJANGO_SETTINGS_MODULE', '{module}')");
        assert_eq!(wired(dir.path()), vec![expected; 3], "{args:?}");
    }
    // Allowed, but a module inside the project that the project lacks earns a warning.
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "startproject",
            "mysite",
            "--settings-module",
            "mysite.settings.production",
        ],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: the default settings module mysite.settings.production is not part of the generated project"),
        "{stderr}"
    );
}

#[test]
fn summary_names_a_custom_template() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("tpl/project_name")).unwrap();
    fs::write(
        dir.path().join("tpl/project_name/settings.py-tpl"),
        "NAME = '{{ project_name }}'\n",
    )
    .unwrap();
    let out = run(dir.path(), &["startproject", "mysite", "--template", "tpl"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "Created project 'mysite' from template tpl in mysite (1 file).\nNext: cd mysite\n"
    );
    let out = run(
        dir.path(),
        &[
            "startproject",
            "other",
            "--template",
            "tpl",
            "--output-format",
            "json",
            "--dry-run",
        ],
    );
    let report = json(&out.stdout);
    assert_eq!(report["template"], "tpl");
    assert_eq!(report["files"][0]["content"], "NAME = 'other'\n");
}

/// On a terminal (a pty made by util-linux `script`) the error prefix is coloured, unless
/// NO_COLOR is set.
#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let on_terminal = |no_color: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!("{} startapp os", support::scaffold_path().display()),
            "/dev/null",
        ]);
        cmd.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd
            .output()
            .expect("util-linux script runs the command on a pty");
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        on_terminal(None).starts_with("\x1b[1;31merror:\x1b[0m 'os' conflicts"),
        "{:?}",
        on_terminal(None)
    );
    assert!(on_terminal(Some("1")).starts_with("error: 'os' conflicts"));
}

/// Bad values of the custom-template options: usage errors (2) for malformed values, a refusal
/// (1) with nothing written for a template file that is no known archive.
#[test]
fn bad_template_option_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for bad in [
        ["--max-template-size", "5X"],
        ["--max-template-size", "M"],
        ["--timeout", "0"],
        ["--timeout", "soon"],
    ] {
        let out = run(
            d,
            &["startproject", "mysite", "--template", ".", bad[0], bad[1]],
        );
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    fs::write(d.join("notes.rar"), "not an archive").unwrap();
    let before = listing(d);
    let out = run(d, &["startproject", "mysite", "--template", "notes.rar"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: notes.rar is not a recognized archive format\nhint: "),
        "{stderr}"
    );
    assert_eq!(listing(d), before);
}
