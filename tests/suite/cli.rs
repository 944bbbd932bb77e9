//! The command line for CI and snapshot workflows: --dry-run, the JSON report, human output,
//! completions, man page, --help and --version.

use std::fs;
use std::path::Path;

use crate::support::{self, listing, scaffold, scaffold_with_umask, FIXED_KEY};

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
    assert_eq!(stderr, "", "captured: no summary, as django-admin");
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
        fs::create_dir_all(d.join("proj/mysite")).unwrap();
        fs::write(d.join("proj/mysite/settings.py"), "X = 1\n").unwrap();
    };
    let (code, stderr) = assert_dry_run_like_real(conflict, &["startproject", "mysite", "proj"]);
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

/// Captured, a successful run prints what django-admin prints: nothing at -v 0 and 1, its
/// `Rendering`/`Creating` lines on stdout at -v 2 and 3 (Django prints no more at 3).
#[test]
fn captured_success_output_is_django_admins() {
    let dir = tempfile::tempdir().unwrap();
    for verbosity in ["0", "1"] {
        let out = run(
            dir.path(),
            &["startproject", &format!("site{verbosity}"), "-v", verbosity],
        );
        assert!(out.status.success());
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.as_slice()),
            (&b""[..], &b""[..]),
            "-v {verbosity}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (name, verbosity) in [("shop", "2"), ("cart", "3")] {
        let out = run(dir.path(), &["startapp", name, "-v", verbosity]);
        assert!(out.status.success() && out.stderr.is_empty());
        let stdout = String::from_utf8(out.stdout).unwrap();
        let app = dir.path().join(name);
        let mut expected = vec![
            "Rendering app template files with extensions: .py".to_owned(),
            "Rendering app template files with filenames: ".to_owned(),
        ];
        for file in [
            "__init__.py",
            "admin.py",
            "apps.py",
            "migrations/__init__.py",
            "models.py",
            "tests.py",
            "views.py",
        ] {
            expected.push(format!("Creating {}", app.join(file).display()));
        }
        assert_eq!(
            stdout.lines().collect::<Vec<_>>(),
            expected,
            "-v {verbosity}"
        );
    }
    // A template archive: Django's extracting and clean-up lines around the files.
    fs::create_dir_all(dir.path().join("tpl/project_name")).unwrap();
    fs::write(dir.path().join("tpl/project_name/x.py-tpl"), "").unwrap();
    let tar = std::process::Command::new("tar")
        .current_dir(dir.path())
        .args(["czf", "tpl.tgz", "-C", "tpl", "."])
        .status()
        .unwrap();
    assert!(tar.success());
    let out = run(
        dir.path(),
        &[
            "startproject",
            "arch",
            "--template",
            "tpl.tgz",
            "-v",
            "2",
            "-e",
            "txt,md",
            "-n",
            "Procfile",
        ],
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        format!(
            "Rendering project template files with extensions: .py, .txt, .md\n\
             Rendering project template files with filenames: Procfile\n\
             Extracting {}\n\
             Creating {}\n\
             Cleaning up temporary files.\n",
            dir.path().join("tpl.tgz").display(),
            dir.path().join("arch/arch/x.py").display()
        )
    );
    // Not a terminal: no colour codes, even on errors.
    let out = run(dir.path(), &["startapp", "os"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'));
}

/// Runs `scaffold ARGS` in `dir` on a pty (util-linux `script`), as a person at a terminal;
/// returns what the terminal showed (stdout and stderr), with `\r\n` made `\n`.
fn on_terminal(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    support::on_terminal(dir, None, args)
}

/// At a terminal, -v 1 adds the summary and next steps on stderr; -v 0 stays silent.
#[test]
fn summary_and_next_steps_only_at_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(
        on_terminal(d, &["startproject", "mysite"]),
        (
            Some(0),
            "Created Django 6.1 project 'mysite' in mysite (6 files).\n\
             Django 6.1 (the newest; no Django found in an active venv or a .venv).\n\
             Next: cd mysite\n      \
             python3 -m venv .venv && . .venv/bin/activate   # Django 6.1 needs Python 3.12 or newer\n      \
             python -m pip install \"Django~=6.1.0\"\n      \
             python manage.py migrate && python manage.py runserver\n"
                .to_owned()
        )
    );
    assert_eq!(
        on_terminal(d, &["startproject", "quiet", "-v", "0"]),
        (Some(0), String::new())
    );
    let project = d.join("mysite");
    assert_eq!(
        on_terminal(&project, &["startapp", "blog"]).1,
        format!(
            "Created Django 6.1 app 'blog' in blog (7 files).\n\
             Django 6.1 (no Django found; the project's mysite/settings.py says Django {} made it).\n\
             Next: add 'blog' to INSTALLED_APPS, then python manage.py makemigrations blog\n",
            scaffold::DjangoVersion::NEWEST.release()
        )
    );
}

/// The next steps name the module an app is imported as: `apps.blog2` for `apps/blog2`, whose
/// apps.py still says `name = 'blog2'` as Django writes it.
#[test]
fn app_next_steps_name_the_dotted_module() {
    let dir = tempfile::tempdir().unwrap();
    let (code, shown) = on_terminal(dir.path(), &["startapp", "blog2", "apps/blog2"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        shown,
        "Created Django 6.1 app 'blog2' in apps/blog2 (7 files).\n\
         Django 6.1 (the newest; no Django found in an active venv or a .venv).\n\
         Next: set name = 'apps.blog2' in apps/blog2/apps.py and add 'apps.blog2' to INSTALLED_APPS, \
         then python manage.py makemigrations blog2\n"
    );
    assert!(!shown.contains("add 'blog2' to INSTALLED_APPS"));
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("shop");
    let (_, shown) = on_terminal(dir.path(), &["startapp", "shop", target.to_str().unwrap()]);
    assert!(
        shown.contains("Next: add the app to INSTALLED_APPS under the dotted path"),
        "{shown}"
    );
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
    assert!(
        help.contains("nothing on success unless stderr is a terminal"),
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
    let (code, shown) = on_terminal(dir.path(), &["startproject", "mysite", "--template", "tpl"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        shown,
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

/// A missing NAME is worded as django-admin words it, with a `usage:` line; status 2.
#[test]
fn missing_name_in_django_admins_words() {
    for (command, words) in [
        ("startproject", "You must provide a project name."),
        ("startapp", "You must provide an application name."),
    ] {
        let out = scaffold().arg(command).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with(&format!("usage: scaffold {command} ")),
            "{stderr}"
        );
        assert!(stderr.contains(&format!("\nerror: {words}\n")), "{stderr}");
    }
    // Other usage errors keep clap's words and status.
    let out = scaffold()
        .args(["startproject", "x", "--verbosity", "9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Long options accept unique prefixes, as argparse does (`--ext=html,rst`, `--templ`,
/// `--verb 2`); an ambiguous one is a usage error.
#[test]
fn long_options_accept_unique_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("tpl")).unwrap();
    fs::write(d.join("tpl/page.html"), "{{ project_name }}").unwrap();
    fs::write(d.join("tpl/notes.rst"), "{{ project_name }}").unwrap();
    let out = run(
        d,
        &[
            "startproject",
            "web",
            "--templ",
            "tpl",
            "--ext=html,rst",
            "--verb",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(d.join("web/page.html")).unwrap(), "web");
    assert_eq!(fs::read_to_string(d.join("web/notes.rst")).unwrap(), "web");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Creating "));
    let out = run(d, &["startproject", "other", "--se", "x"]);
    assert_eq!(out.status.code(), Some(2), "--se is ambiguous");
    assert!(!d.join("other").exists());
}

/// Runs a command that must be refused: status 1, the conflict message, the hint, and the
/// directory exactly as it was.
fn refused(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> (String, String) {
    let before = listing(dir);
    let mut cmd = scaffold();
    cmd.current_dir(dir)
        .args(args)
        .env_remove("PYTHONPATH")
        .env_remove("VIRTUAL_ENV");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    assert_eq!(listing(dir), before, "{args:?} changed the directory");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut lines = stderr.lines();
    let error = lines.next().unwrap_or_default().to_owned();
    let hint = lines.next().unwrap_or_default().to_owned();
    (error, hint)
}

const CONFLICT: &str = "conflicts with the name of an existing Python module and cannot be used as";

/// A NAME Python would import from the working directory is refused as django-admin refuses
/// it: module files, extension modules, packages with or without `__init__.py`.
#[test]
fn names_importable_from_the_working_directory_are_refused() {
    for (entry, is_dir) in [
        ("raises_import_error.py", false),
        ("raises_import_error.pyc", false),
        ("raises_import_error.cpython-313-x86_64-linux-gnu.so", false),
        ("raises_import_error.abi3.so", false),
        ("raises_import_error", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(entry);
        if is_dir {
            fs::create_dir(&path).unwrap();
        } else {
            fs::write(&path, "raise ImportError\n").unwrap();
        }
        let (error, hint) = refused(dir.path(), &["startproject", "raises_import_error"], &[]);
        assert_eq!(
            error,
            format!(
                "error: 'raises_import_error' {CONFLICT} a project name. Please try another name."
            ),
            "{entry}"
        );
        assert!(
            hint.contains(&path.display().to_string()),
            "{entry}: {hint}"
        );
    }
    // A regular package, and a file that is no module (no refusal for the name).
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("pkg")).unwrap();
    fs::write(dir.path().join("pkg/__init__.py"), "").unwrap();
    let (error, _) = refused(dir.path(), &["startapp", "pkg"], &[]);
    assert!(error.contains(CONFLICT), "{error}");
    fs::write(dir.path().join("notes.txt"), "").unwrap();
    let out = run(dir.path(), &["startapp", "notes"]);
    assert!(out.status.success());
}

#[test]
fn names_importable_from_pythonpath_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lib = tempfile::tempdir().unwrap();
    fs::write(lib.path().join("helpers.py"), "").unwrap();
    let (error, hint) = refused(
        dir.path(),
        &["startapp", "helpers"],
        &[("PYTHONPATH", lib.path())],
    );
    assert_eq!(
        error,
        format!("error: 'helpers' {CONFLICT} an app name. Please try another name.")
    );
    assert!(hint.contains("in a PYTHONPATH directory"), "{hint}");
    // Not on the path: allowed.
    assert!(run(dir.path(), &["startapp", "helpers"]).status.success());
}

#[test]
fn names_importable_from_the_virtual_environment_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.12/site-packages");
    fs::create_dir_all(site.join("rest_framework")).unwrap();
    fs::write(site.join("rest_framework/__init__.py"), "").unwrap();
    let (error, hint) = refused(
        dir.path(),
        &["startapp", "rest_framework"],
        &[("VIRTUAL_ENV", venv.path())],
    );
    assert!(error.contains(CONFLICT), "{error}");
    assert!(hint.contains("in the virtual environment"), "{hint}");
    // Without VIRTUAL_ENV, ./.venv is the environment.
    let local = dir.path().join(".venv/lib/python3.13/site-packages");
    fs::create_dir_all(&local).unwrap();
    fs::write(local.join("crispy.py"), "").unwrap();
    let (error, _) = refused(dir.path(), &["startproject", "crispy"], &[]);
    assert!(error.contains(CONFLICT), "{error}");
}

/// The DIRECTORY to generate into is not a module in the way, even when it is `./NAME`; an app
/// named after the project's own package is refused with a hint saying so.
#[test]
fn the_target_itself_is_no_conflict_and_the_project_package_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("blog")).unwrap();
    let (error, hint) = refused(d, &["startapp", "blog"], &[]);
    assert!(error.contains(CONFLICT), "{error}");
    assert!(hint.contains("scaffold startapp blog blog"), "{hint}");
    let out = run(d, &["startapp", "blog", "blog"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.join("blog/apps.py").is_file());

    assert!(run(d, &["startproject", "mysite", "."]).status.success());
    let (error, hint) = refused(d, &["startapp", "mysite"], &[]);
    assert_eq!(
        error,
        format!("error: 'mysite' {CONFLICT} an app name. Please try another name.")
    );
    assert!(
        hint.starts_with("hint: 'mysite' is the package of the Django project in this directory"),
        "{hint}"
    );
    assert!(
        !hint.contains("overlay") && !hint.contains("DIRECTORY"),
        "{hint}"
    );
    // startapp's DIRECTORY base name is checked as well.
    fs::write(d.join("utils.py"), "").unwrap();
    let (error, _) = refused(d, &["startapp", "app", "utils"], &[]);
    assert!(
        error.contains("cannot be used as an app directory"),
        "{error}"
    );
}

/// A regular file in the way: the hint does not suggest overlaying into it.
#[test]
fn hints_for_a_file_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("mysite"), "a file").unwrap();
    let (error, hint) = refused(d, &["startproject", "mysite"], &[]);
    assert_eq!(
        error,
        format!("error: '{}' already exists", d.join("mysite").display())
    );
    assert!(hint.starts_with("hint: "), "{hint}");
    assert!(
        !hint.contains("overlay") && !hint.contains("pass a DIRECTORY"),
        "{hint}"
    );
    let (error, hint) = refused(d, &["startproject", "web", "mysite"], &[]);
    assert!(
        error.ends_with("already exists and is not a directory"),
        "{error}"
    );
    assert!(
        hint.starts_with("hint: ") && !hint.contains("overlay"),
        "{hint}"
    );
}
