//! Issue 12, test 2: `scaffold upgrade --to 6.1` on projects made by the real django-admin of
//! Django 3.2 (on CPython 3.10), 4.2 and 5.2, then edited the ways owners edit them. Every edit
//! must survive, every change of Django 6.1's own template (read from a fresh django-admin 6.1
//! project) must arrive, every file must compile under CPython 3.13, and `manage.py check` must
//! pass under the real Django 6.1. A conflict appears only where both sides changed a statement.
//!
//! Issue 17: every upgrade here is also accounted for (`assert_accounted`): the JSON report
//! lists, per file, each change between the base's template and the target's with its outcome
//! (applied, conflict, noted), checked against Python's own reading of the two releases'
//! django-admin output; and the defects real projects showed each have a test below.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{
    self, cached_venv, default_python, edit, listing, python_opted_out, release, release_venv,
    replace_once, scaffold, Listing, UPGRADE_OUTCOMES, UPGRADE_STATUSES,
};
use scaffold::DjangoVersion;
use serde_json::Value;

/// Every fixture is project `mysite`, made in its own root with `startproject mysite .`.
const PROJECT: &str = "mysite";
/// The settings file django-admin writes, which a split layout moves.
const SETTINGS_PY: &str = "mysite/settings.py";

// ---------------------------------------------------------------------------------------------
// Pythons and Djangos, each venv made once under target/ (locked) and then reused.

/// The venv whose django-admin makes the `series` project: the release's venv of the tests, on
/// a Python it supports (3.2 on CPython 3.10).
fn base_venv(series: &str) -> PathBuf {
    release_venv(release(series)).to_path_buf()
}

/// The release the projects are upgraded to.
fn target() -> DjangoVersion {
    release("6.1")
}

/// Django 6.1 on CPython 3.13, shared with the end-to-end tests.
fn target_venv() -> &'static Path {
    release_venv(target())
}

/// The real black, from PyPI, in a venv of its own.
fn black() -> PathBuf {
    cached_venv("python-venv-black", &default_python(), &["black>=24,<27"]).join("bin/black")
}

/// A program of a venv (or any program) with no bytecode written into the tree, and no
/// settings module or venv from the caller's environment.
fn python_tool(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("DJANGO_SETTINGS_MODULE")
        .env_remove("VIRTUAL_ENV");
    cmd
}

/// The full release of a venv's Django, e.g. "4.2.30".
fn django_version(venv: &Path) -> String {
    support::run(
        python_tool(&venv.join("bin/python")).args(["-m", "django", "--version"]),
        "asking Django its version",
    )
    .trim()
    .to_owned()
}

fn inspect(args: &[&str], env: &[(&str, &str)]) -> Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/support/inspect_project.py");
    let out = support::run(
        python_tool(&target_venv().join("bin/python"))
            .arg(script)
            .args(args)
            .envs(env.iter().copied()),
        &format!("inspect_project.py {args:?}"),
    );
    serde_json::from_str(&out).unwrap()
}

/// A settings module's UPPERCASE names and the repr of their values, the root shown as <root>.
fn settings_values(root: &Path, module: &str) -> BTreeMap<String, String> {
    let values = inspect(
        &["settings", root.to_str().unwrap(), module],
        &[("DJANGO_SECRET_KEY", PROD_KEY)],
    );
    values
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// The names a file assigns at its top level, in order.
fn assignments(file: &Path) -> Vec<String> {
    let names = inspect(&["assignments", file.to_str().unwrap()], &[]);
    names
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Every .py file below `root` compiles under CPython 3.13 (in memory: no bytecode written).
fn assert_compiles(root: &Path) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/support/inspect_project.py");
    support::run(
        python_tool(&target_venv().join("bin/python"))
            .arg(script)
            .arg("compile")
            .arg(root),
        "compiling every .py file under CPython 3.13",
    );
}

/// `python manage.py check` with the venv's Django, for each settings module the project runs
/// with (the first is manage.py's default).
fn assert_check_passes(venv: &Path, root: &Path, modules: &[&str]) {
    for (i, module) in modules.iter().enumerate() {
        let mut cmd = python_tool(&venv.join("bin/python"));
        cmd.args(["manage.py", "check"])
            .current_dir(root)
            .env("DJANGO_SECRET_KEY", PROD_KEY);
        if i > 0 {
            cmd.env("DJANGO_SETTINGS_MODULE", module);
        }
        support::run(
            &mut cmd,
            &format!("manage.py check with {module} in {}", venv.display()),
        );
    }
}

/// The production settings of the split fixtures read their key from the environment.
const PROD_KEY: &str = "q9v!w2x@e3r#t4y$u5i%o6p^a7s&d8f*g9h(j0k)l-z_x=c+v1b2n3m4Q5W6E7R8T9";

// ---------------------------------------------------------------------------------------------
// The fixtures: real django-admin output, edited.

/// A project as its owner left it, and what the checks need to know about it.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    base_venv: PathBuf,
    /// The release whose django-admin made it, e.g. "3.2.25".
    base: String,
    apps: Vec<&'static str>,
    /// Where the settings file with the "Generated by" docstring now is.
    settings_file: &'static str,
    /// The settings modules the project runs with, manage.py's default first.
    settings_modules: Vec<&'static str>,
    /// Template files the owner deleted.
    deleted: Vec<String>,
    /// Whether the owner set legacy EMAIL_* settings (then 6.1's MAILERS must not be added).
    legacy_email: bool,
    /// Apps made in a directory of their own (`startapp NAME DIR`): (name, DIR).
    app_dirs: Vec<(&'static str, &'static str)>,
    /// List settings both sides change by element: merged element by element, checked line by
    /// line rather than as one value.
    merged_by_element: Vec<&'static str>,
    /// What the template removes and the upgrade must keep, with a note, because the project
    /// needs it (a template reads it, the owner commented on it).
    kept: Vec<Kept>,
}

/// A setting the upgrade leaves as the owner has it, although the template changes it: the
/// line of the template's that stays (as `normalized_lines` shows it), if the owner left it as
/// generated.
struct Kept {
    setting: &'static str,
    line: Option<&'static str>,
}

/// `django-admin startproject mysite .` and `startapp APP` for each app, in `root`.
fn django_admin_project(venv: &Path, root: &Path, apps: &[&str]) {
    fs::create_dir_all(root).unwrap();
    let admin = venv.join("bin/django-admin");
    support::run(
        python_tool(&admin)
            .args(["startproject", PROJECT, "."])
            .current_dir(root),
        &format!("django-admin startproject with {}", venv.display()),
    );
    for app in apps {
        support::run(
            python_tool(&admin)
                .args(["startapp", app])
                .current_dir(root),
            &format!("django-admin startapp {app}"),
        );
    }
}

/// A project freshly made by `venv`'s django-admin, with these apps: what the template gives.
fn fresh_project(venv: &Path, apps: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fresh");
    django_admin_project(venv, &root, apps);
    (dir, root)
}

/// What an upgrade goes from and to: fresh projects made by the real django-admin of the base
/// release and of the target, with the project's apps.
struct Templates {
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    base_root: PathBuf,
    target_root: PathBuf,
    base: Listing,
    target: Listing,
}

fn templates(base_venv: &Path, target_venv: &Path, apps: &[&str]) -> Templates {
    let (b, base_root) = fresh_project(base_venv, apps);
    let (t, target_root) = fresh_project(target_venv, apps);
    Templates {
        base: listing(&base_root),
        target: listing(&target_root),
        _dirs: (b, t),
        base_root,
        target_root,
    }
}

/// Where a template file (`mysite/settings.py`, `blog/apps.py`) is in the owner's project: the
/// settings file where the owner moved it, an app's files in the app's directory.
fn user_path(p: &Project, tpl: &str) -> String {
    if tpl == SETTINGS_PY {
        return p.settings_file.to_owned();
    }
    for (app, dir) in &p.app_dirs {
        if let Some(rest) = tpl.strip_prefix(&format!("{app}/")) {
            return format!("{dir}/{rest}");
        }
    }
    tpl.to_owned()
}

fn new_project(series: &str, apps: Vec<&'static str>) -> Project {
    let base_venv = base_venv(series);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    django_admin_project(&base_venv, &root, &apps);
    Project {
        _dir: dir,
        root,
        base: django_version(&base_venv),
        base_venv,
        apps,
        settings_file: SETTINGS_PY,
        settings_modules: vec!["mysite.settings"],
        deleted: Vec::new(),
        legacy_email: false,
        app_dirs: Vec::new(),
        merged_by_element: Vec::new(),
        kept: Vec::new(),
    }
}

/// The owner's apps, added to INSTALLED_APPS after Django's own.
fn register_apps(p: &Project, entries: &[&str]) {
    edit(&p.root, p.settings_file, |s| {
        let anchor = "    'django.contrib.staticfiles',\n";
        let added: String = entries.iter().map(|e| format!("    '{e}',\n")).collect();
        replace_once(s, anchor, &format!("{anchor}{added}"))
    });
}

/// The app's own urls.py, included from the project's (with the `include` import it needs).
fn include_app_urls(p: &Project, app: &str) {
    fs::write(
        p.root.join(app).join("urls.py"),
        "from django.urls import path  # noqa: F401\n\nurlpatterns = []\n",
    )
    .unwrap();
    edit(&p.root, "mysite/urls.py", |s| {
        let s = replace_once(
            s,
            "from django.urls import path\n",
            "from django.urls import include, path\n",
        );
        replace_once(
            &s,
            "    path('admin/', admin.site.urls),\n",
            &format!("    path('admin/', admin.site.urls),\n    path('{app}/', include('{app}.urls')),\n"),
        )
    });
}

/// DEBUG from the environment, with the `import os` that needs.
fn debug_from_environment(p: &Project) {
    edit(&p.root, p.settings_file, |s| {
        let s = replace_once(
            s,
            "from pathlib import Path\n",
            "import os\nfrom pathlib import Path\n",
        );
        replace_once(
            &s,
            "DEBUG = True\n",
            "DEBUG = os.environ.get('DJANGO_DEBUG', '') == '1'\n",
        )
    });
}

/// A middleware of the template the owner does not want.
fn remove_middleware(p: &Project, middleware: &str) {
    edit(&p.root, p.settings_file, |s| {
        replace_once(s, &format!("    '{middleware}',\n"), "")
    });
}

/// A context processor of the owner's, after the template's: for 3.2 and 4.2, whose template
/// lists the debug processor that 6.1's drops, both sides change this list (by element, so no
/// conflict).
fn add_context_processor(p: &mut Project, processor: &str) {
    edit(&p.root, p.settings_file, |s| {
        let anchor = "                'django.contrib.messages.context_processors.messages',\n";
        replace_once(
            s,
            anchor,
            &format!("{anchor}                '{processor}',\n"),
        )
    });
    p.merged_by_element.push("TEMPLATES");
}

/// The owner's own settings, appended at the end of the file.
fn append_settings(p: &Project) {
    edit(&p.root, p.settings_file, |s| {
        format!(
            "{s}\n\n# Project settings\nLOGIN_URL = '/accounts/login/'\nLOGIN_REDIRECT_URL = '/'\n\
             MEDIA_URL = 'media/'\nMEDIA_ROOT = BASE_DIR / 'media'\n\n\
             try:\n    from .local_settings import *  # noqa: F401,F403\n\
             except ImportError:\n    pass\n"
        )
    });
}

/// Two settings moved: STATIC_URL up beside ALLOWED_HOSTS, and the whole TEMPLATES block down
/// below DATABASES (3.2's STATIC_URL and the TEMPLATES of 3.2 to 5.1 are changed by 6.1's
/// template, so those changes must land where the owner moved them).
fn move_settings(p: &Project) {
    edit(&p.root, p.settings_file, |s| {
        let start = s.find("\nSTATIC_URL = ").unwrap() + 1;
        let end = start + s[start..].find('\n').unwrap() + 1;
        let line = s[start..end].to_owned();
        let s = format!("{}{}", &s[..start], &s[end..]);
        let s = replace_once(
            &s,
            "ALLOWED_HOSTS = []\n",
            &format!("ALLOWED_HOSTS = []\n{line}"),
        );
        let start = s.find("\nTEMPLATES = [\n").unwrap() + 1;
        let end = start + s[start..].find("\n]\n").unwrap() + 3;
        // The block and the blank line after it.
        let block = s[start..end].to_owned();
        let s = format!("{}{}", &s[..start], &s[end + 1..]);
        let db = s.find("\nDATABASES = {\n").unwrap();
        let db_end = db + s[db..].find("\n}\n").unwrap() + 3;
        format!("{}\n{block}{}", &s[..db_end], &s[db_end..])
    });
}

/// `django-admin startapp APP apps/APP`, its AppConfig named `apps.APP` as Django then needs,
/// and registered by that name; the reference projects have it at the root.
fn app_in_apps_dir(p: &mut Project, app: &'static str, dir: &'static str) {
    fs::create_dir_all(p.root.join(dir)).unwrap();
    support::run(
        python_tool(&p.base_venv.join("bin/django-admin"))
            .args(["startapp", app, dir])
            .current_dir(&p.root),
        &format!("django-admin startapp {app} {dir}"),
    );
    let dotted = dir.replace('/', ".");
    edit(&p.root, &format!("{dir}/apps.py"), |s| {
        replace_once(s, &format!("name = '{app}'"), &format!("name = '{dotted}'"))
    });
    p.apps.push(app);
    p.app_dirs.push((app, dir));
}

/// A docstring for the module and the class, and a verbose name and a ready() of the owner's.
fn document_app(p: &Project, app: &str, class: &str) {
    edit(&p.root, &format!("{app}/apps.py"), |s| {
        let s = format!("\"\"\"The {app} app's configuration.\"\"\"\n\n{s}");
        let s = replace_once(
            &s,
            &format!("class {class}(AppConfig):\n"),
            &format!("class {class}(AppConfig):\n    \"\"\"Posts, tags and the feed.\"\"\"\n\n"),
        );
        replace_once(
            &s,
            &format!("    name = '{app}'\n"),
            &format!(
                "    name = '{app}'\n    verbose_name = 'Blog posts'\n\n    def ready(self):\n        \
                 from . import signals  # noqa: F401\n"
            ),
        )
    });
    fs::write(
        p.root.join(app).join("signals.py"),
        format!("\"\"\"Signal handlers of the {app} app.\"\"\"\n"),
    )
    .unwrap();
}

/// mysite/urls.py deleted, replaced by a mysite/urls/ package (ROOT_URLCONF unchanged).
fn urls_package(p: &mut Project) {
    fs::remove_file(p.root.join("mysite/urls.py")).unwrap();
    fs::create_dir(p.root.join("mysite/urls")).unwrap();
    fs::write(
        p.root.join("mysite/urls/__init__.py"),
        "\"\"\"The URLs of mysite, one module per area.\"\"\"\n\
         from django.urls import include, path\n\n\
         urlpatterns = [\n    path('admin/', include('mysite.urls.admin')),\n]\n",
    )
    .unwrap();
    fs::write(
        p.root.join("mysite/urls/admin.py"),
        "from django.contrib import admin\nfrom django.urls import path\n\n\
         urlpatterns = [\n    path('', admin.site.urls),\n]\n",
    )
    .unwrap();
    p.deleted.push("mysite/urls.py".to_owned());
}

/// An app's tests.py deleted, replaced by a tests/ package.
fn tests_package(p: &mut Project, app: &str) {
    fs::remove_file(p.root.join(app).join("tests.py")).unwrap();
    fs::create_dir(p.root.join(app).join("tests")).unwrap();
    fs::write(p.root.join(app).join("tests/__init__.py"), "").unwrap();
    fs::write(
        p.root.join(app).join("tests/test_models.py"),
        "from django.test import TestCase\n\n\nclass ModelTests(TestCase):\n    pass\n",
    )
    .unwrap();
    p.deleted.push(format!("{app}/tests.py"));
}

/// The whole project reformatted by the real black.
fn reformat_with_black(p: &Project) {
    support::run(
        python_tool(&black()).arg("--quiet").arg(&p.root),
        "black on the project",
    );
    let settings = fs::read_to_string(p.root.join(p.settings_file)).unwrap();
    assert!(
        settings.contains("    \"django.contrib.admin\",\n"),
        "black left the quotes as they were:\n{settings}"
    );
}

/// A file saved with Windows line endings.
fn to_crlf(p: &Project, rel: &str) {
    edit(&p.root, rel, |s| s.replace('\n', "\r\n"));
}

/// The settings made a package: settings/base.py (the generated file, BASE_DIR one level up),
/// local.py for development (manage.py's default) and prod.py (wsgi.py's and asgi.py's).
fn split_settings(p: &mut Project) {
    let dir = p.root.join("mysite/settings");
    fs::create_dir(&dir).unwrap();
    fs::rename(p.root.join(SETTINGS_PY), dir.join("base.py")).unwrap();
    p.settings_file = "mysite/settings/base.py";
    edit(&p.root, p.settings_file, |s| {
        replace_once(
            s,
            "BASE_DIR = Path(__file__).resolve().parent.parent\n",
            "BASE_DIR = Path(__file__).resolve().parent.parent.parent\n",
        )
    });
    fs::write(dir.join("__init__.py"), "").unwrap();
    fs::write(
        dir.join("local.py"),
        "from .base import *  # noqa: F401,F403\n\nDEBUG = True\nINTERNAL_IPS = ['127.0.0.1']\n",
    )
    .unwrap();
    fs::write(
        dir.join("prod.py"),
        "import os\n\nfrom .base import *  # noqa: F401,F403\n\nDEBUG = False\n\
         SECRET_KEY = os.environ['DJANGO_SECRET_KEY']\nALLOWED_HOSTS = ['example.com']\n",
    )
    .unwrap();
    edit(&p.root, "manage.py", |s| {
        replace_once(s, "'mysite.settings'", "'mysite.settings.local'")
    });
    for server in ["mysite/wsgi.py", "mysite/asgi.py"] {
        edit(&p.root, server, |s| {
            replace_once(s, "'mysite.settings'", "'mysite.settings.prod'")
        });
    }
    p.settings_modules = vec!["mysite.settings.local", "mysite.settings.prod"];
}

/// Mail sent through an SMTP relay with Django's legacy EMAIL_* settings.
fn legacy_email(p: &mut Project, file: &str) {
    edit(&p.root, file, |s| {
        format!(
            "{s}\n\n# Outgoing mail, through the company's relay\n\
             EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\n\
             EMAIL_HOST = 'smtp.example.com'\nEMAIL_PORT = 587\nEMAIL_USE_TLS = True\n"
        )
    });
    p.legacy_email = true;
}

/// The project checks under its own Django before anyone upgrades it.
fn assert_runs_on_its_release(p: &Project) {
    assert_check_passes(&p.base_venv, &p.root, &p.settings_modules);
}

/// Single settings.py, with every kind of edit: three apps made by startapp and registered, one
/// in apps/billing, one with an edited apps.py; a context processor added, with a comment;
/// DEBUG from the environment; settings appended, and a local_settings import; settings moved;
/// urls.py and shop/tests.py replaced by packages; the whole project reformatted by black;
/// settings.py and blog/apps.py saved with CRLF line endings.
fn edited_project(series: &str) -> Project {
    let mut p = new_project(series, vec!["blog", "shop"]);
    app_in_apps_dir(&mut p, "billing", "apps/billing");
    register_apps(&p, &["blog", "shop.apps.ShopConfig", "apps.billing"]);
    add_context_processor(&mut p, "django.template.context_processors.media");
    debug_from_environment(&p);
    append_settings(&p);
    move_settings(&p);
    document_app(&p, "blog", "BlogConfig");
    urls_package(&mut p);
    tests_package(&mut p, "shop");
    reformat_with_black(&p);
    to_crlf(&p, SETTINGS_PY);
    to_crlf(&p, "blog/apps.py");
    assert_runs_on_its_release(&p);
    p
}

/// Split settings (base, local, prod), one registered app with its URLs included in urls.py, a
/// middleware removed, and legacy EMAIL_* settings: in base.py for 3.2, only in prod.py for 4.2
/// (where MAILERS in base.py would stop production with ImproperlyConfigured); 4.2's base.py
/// ends without a newline.
fn split_project(series: &str) -> Project {
    let mut p = new_project(series, vec!["blog"]);
    split_settings(&mut p);
    register_apps(&p, &["blog"]);
    remove_middleware(&p, "django.middleware.clickjacking.XFrameOptionsMiddleware");
    let mail_in = if series == "3.2" {
        p.settings_file
    } else {
        "mysite/settings/prod.py"
    };
    legacy_email(&mut p, mail_in);
    include_app_urls(&p, "blog");
    if series == "4.2" {
        edit(&p.root, p.settings_file, |s| s.trim_end().to_owned());
    }
    assert_runs_on_its_release(&p);
    p
}

// ---------------------------------------------------------------------------------------------
// Running the upgrade.

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

fn upgrade(cwd: &Path, args: &[&str]) -> Run {
    let out: Output = scaffold()
        .current_dir(cwd)
        .arg("upgrade")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The preview, as text (from the project, DIRECTORY defaulted) and as JSON: both exit `code`
/// and write nothing. Returns the text's diff (stdout) and the JSON report.
fn preview(p: &Project, code: i32) -> (String, Value) {
    let before = listing(&p.root);
    let text = upgrade(&p.root, &["--to", "6.1"]);
    assert_eq!(
        text.code,
        Some(code),
        "preview exit status\nstdout:\n{}\nstderr:\n{}",
        text.stdout,
        text.stderr
    );
    assert_eq!(listing(&p.root), before, "the preview changed the tree");
    assert!(
        text.stdout.contains("@@") && text.stdout.contains(p.settings_file),
        "the preview shows no diff of {}:\n{}",
        p.settings_file,
        text.stdout
    );
    let json = upgrade(&p.root, &["--to", "6.1", "--output-format", "json"]);
    assert_eq!(
        json.code,
        Some(code),
        "JSON preview exit status: {}",
        json.stderr
    );
    assert_eq!(
        listing(&p.root),
        before,
        "the JSON preview changed the tree"
    );
    let report = json.json();
    assert_eq!(report["written"], Value::Bool(false), "{report:#}");
    (text.stdout, report)
}

/// `scaffold upgrade site --to 6.1 --write --output-format json`, from the root's parent.
fn write(p: &Project, code: i32) -> Value {
    let run = upgrade(
        p.root.parent().unwrap(),
        &["site", "--to", "6.1", "--write", "--output-format", "json"],
    );
    assert_eq!(
        run.code,
        Some(code),
        "--write exit status\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["written"], Value::Bool(true), "{report:#}");
    report
}

/// What the project was before the upgrade: its files, settings values and assignment order.
struct Before {
    tree: Listing,
    values: Vec<BTreeMap<String, String>>,
    assignments: Vec<String>,
}

fn before(p: &Project) -> Before {
    Before {
        tree: listing(&p.root),
        values: p
            .settings_modules
            .iter()
            .map(|m| settings_values(&p.root, m))
            .collect(),
        assignments: assignments(&p.root.join(p.settings_file)),
    }
}

/// The report's files: path -> (status, conflicts).
fn report_files(report: &Value) -> BTreeMap<String, (String, u64)> {
    report["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files array: {report:#}"))
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                (
                    f["status"].as_str().unwrap().to_owned(),
                    f["conflicts"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The report of a run without conflicts: versions, counts, and a status for each file that
/// matches what happened to it on disk.
fn assert_clean_report(p: &Project, report: &Value, old: &Listing, new: &Listing) {
    assert_eq!(report["from"], Value::from(p.base.as_str()), "{report:#}");
    assert_eq!(report["to"], Value::from(target().release()), "{report:#}");
    assert_eq!(report["conflicts"], Value::from(0), "{report:#}");
    let files = report_files(report);
    for (path, (kind, bytes)) in new {
        if kind.starts_with("file") && old.get(path).map(|o| &o.1) != Some(bytes) {
            assert_eq!(
                files.get(path).map(|f| f.0.as_str()),
                Some(if old.contains_key(path) {
                    "changed"
                } else {
                    "added"
                }),
                "{path} changed on disk: {report:#}"
            );
        }
    }
    for (path, (status, conflicts)) in &files {
        assert_eq!(*conflicts, 0, "{path}: {report:#}");
        match status.as_str() {
            "unchanged" => assert_eq!(old.get(path), new.get(path), "{path} is not unchanged"),
            // Template changes not applied, each with a note; the file left as it is.
            "noted" => assert_eq!(old.get(path), new.get(path), "{path}: noted, yet changed"),
            "changed" | "added" => assert!(new.contains_key(path), "{path} is not there"),
            "deleted" => assert!(
                p.deleted.contains(path),
                "{path} reported deleted: {report:#}"
            ),
            other => panic!("{path}: status {other} in a run without conflicts: {report:#}"),
        }
    }
    for deleted in &p.deleted {
        assert_eq!(
            files.get(deleted).map(|f| f.0.as_str()),
            Some("deleted"),
            "{deleted}, deleted by the owner, is not reported deleted: {report:#}"
        );
    }
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes array: {report:#}"))
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    if p.legacy_email {
        assert!(
            notes.iter().any(|n| n.contains("MAILERS")),
            "no note says why MAILERS was not added beside the EMAIL_* settings: {notes:?}"
        );
    }
}

/// Issue 17's accounting, on the report of an upgrade from `renders.base` to `renders.target`:
/// every file lists each change between the base's template and the target's (a statement, a
/// comment group, the docstring; a file the template adds or removes counts 1) once, with its
/// outcome: applied, a conflict, or noted with the note saying why; `template_changes` is how
/// many there are, and a file reported unchanged had none. Then, independently of scaffold,
/// every top-level assignment that differs between the two releases' django-admin renders (by
/// Python's ast) is one of the changes listed, keyed `=NAME`, of the same kind.
fn assert_accounted(p: &Project, report: &Value, renders: &Templates) {
    let files = report["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files array: {report:#}"));
    let mut by_path: BTreeMap<&str, &Value> = BTreeMap::new();
    for file in files {
        let path = file["path"].as_str().unwrap();
        by_path.insert(path, file);
        let status = file["status"].as_str().unwrap_or_default();
        assert!(
            UPGRADE_STATUSES.contains(&status),
            "{path}: status {status:?}"
        );
        let count = file["template_changes"].as_u64().unwrap_or_else(|| {
            panic!("{path}: the report has no integer template_changes: {file:#}")
        });
        let changes = file["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: the report has no changes list: {file:#}"));
        assert_eq!(
            changes.len() as u64,
            count,
            "{path}: {count} template changes, {} listed: {file:#}",
            changes.len()
        );
        let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
        for change in changes {
            let key = change["key"].as_str().unwrap_or_default();
            assert!(!key.is_empty(), "{path}: a change without a key: {file:#}");
            let kind = change["kind"].as_str().unwrap_or_default();
            assert!(
                ["added", "removed", "changed"].contains(&kind),
                "{path}: {key}: kind {kind:?}: {file:#}"
            );
            let outcome = change["outcome"].as_str().unwrap_or_default();
            assert!(
                UPGRADE_OUTCOMES.contains(&outcome),
                "{path}: {key}: outcome {outcome:?}: {file:#}"
            );
            *outcomes.entry(outcome).or_default() += 1;
            let note = &change["note"];
            assert!(
                note.is_null() || note.is_string(),
                "{path}: {key}: note {note}: {file:#}"
            );
            if outcome == "noted" {
                assert!(
                    note.as_str().is_some_and(|n| !n.trim().is_empty()),
                    "{path}: {key} is noted without a note saying why: {file:#}"
                );
            }
        }
        assert_eq!(
            outcomes.values().sum::<u64>(),
            count,
            "{path}: applied, conflicting and noted changes do not add up to the template's: \
             {outcomes:?}: {file:#}"
        );
        match status {
            "unchanged" => assert_eq!(
                count, 0,
                "{path} is reported unchanged while the template changed it: {file:#}"
            ),
            "changed" | "conflict" => assert!(
                count > 0,
                "{path} is {status}, yet the template changed nothing in it: {file:#}"
            ),
            "noted" => {
                assert!(
                    outcomes.get("noted").is_some_and(|n| *n > 0),
                    "{path} is noted, and no change is: {file:#}"
                );
                assert!(
                    file["diff"].is_null(),
                    "{path}: noted, with a diff: {file:#}"
                );
            }
            _ => {}
        }
        if outcomes.get("conflict").is_some_and(|n| *n > 0) {
            assert_eq!(status, "conflict", "{path}: {file:#}");
        }
    }

    // Each file of either template against the report, with the template's changes found by
    // Python itself.
    let tpl_files: BTreeSet<&String> = renders
        .base
        .iter()
        .chain(&renders.target)
        .filter(|(_, (kind, _))| kind.starts_with("file"))
        .map(|(path, _)| path)
        .collect();
    for tpl in tpl_files {
        let path = user_path(p, tpl);
        let file = by_path.get(path.as_str()).unwrap_or_else(|| {
            panic!("{path}, generated by django-admin, is not in the report: {report:#}")
        });
        let count = file["template_changes"].as_u64().unwrap();
        let listed: Vec<(&str, &str)> = file["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["key"].as_str().unwrap(), c["kind"].as_str().unwrap()))
            .collect();
        let expected: Vec<(String, String)> = match (renders.base.get(tpl), renders.target.get(tpl))
        {
            (Some(b), Some(t)) => {
                let without_key = |bytes: &[u8]| -> String {
                    String::from_utf8_lossy(bytes)
                        .lines()
                        .filter(|l| !l.starts_with("SECRET_KEY"))
                        .collect()
                };
                if without_key(&b.1) == without_key(&t.1) {
                    assert_eq!(
                        count, 0,
                        "{path}: the template does not change it: {file:#}"
                    );
                    continue;
                }
                assert!(count > 0, "{path}: the template changes it: {file:#}");
                if !tpl.ends_with(".py") {
                    continue;
                }
                let found = inspect(
                    &[
                        "changes",
                        renders.base_root.join(tpl).to_str().unwrap(),
                        renders.target_root.join(tpl).to_str().unwrap(),
                    ],
                    &[],
                );
                serde_json::from_value(found).unwrap()
            }
            (Some(_), None) => vec![("file".to_owned(), "removed".to_owned())],
            (None, Some(_)) => vec![("file".to_owned(), "added".to_owned())],
            (None, None) => unreachable!(),
        };
        if expected.first().is_some_and(|(k, _)| k == "file") {
            assert_eq!(
                count, 1,
                "{path}: the template adds or removes it: {file:#}"
            );
        }
        for (key, kind) in &expected {
            assert!(
                listed.contains(&(key.as_str(), kind.as_str())),
                "{path}: the template's change {key} ({kind}) is not accounted for: {file:#}"
            );
        }
    }
}

/// A line as the checks compare it: trimmed (CR too), quotes unified (black's double quotes
/// against the template's single quotes).
fn normalized_lines(bytes: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| l.trim().replace('"', "'"))
        .filter(|l| !l.is_empty())
        .filter(|l| !l.contains("Generated by 'django-admin startproject'"))
        .filter(|l| !l.starts_with("SECRET_KEY"))
        .collect()
}

/// The lines of 6.1's Email section: the MAILERS assignment and the comments above it.
fn mailers_block(target_settings: &[u8]) -> BTreeSet<String> {
    let text = String::from_utf8_lossy(target_settings);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("MAILERS"))
        .expect("6.1's settings.py sets MAILERS");
    let mut start = at;
    while start > 0 && (lines[start - 1].starts_with('#') || lines[start - 1].is_empty()) {
        start -= 1;
    }
    let end = at + lines[at..].iter().position(|l| *l == "}").unwrap() + 1;
    normalized_lines(lines[start..end].join("\n").as_bytes())
}

/// How a both-sides change is expected to come out: no fixture makes one, or each conflict was
/// resolved by keeping the owner's side, dropping these lines of the template's side (as
/// `normalized_lines` shows them).
enum BothChanged {
    NotExpected,
    OwnersSideKept { dropped: BTreeSet<String> },
}

/// The upgraded tree against the tree before and the templates of the base release and 6.1.
fn assert_upgraded(p: &Project, before: &Before, both: &BothChanged, renders: &Templates) {
    let after = listing(&p.root);
    let (base_root, target_root) = (&renders.base_root, &renders.target_root);
    let (base_tpl, target_tpl) = (&renders.base, &renders.target);
    let user_path = |t: &str| user_path(p, t);

    // Nothing appears or disappears but what the templates add or the owner deleted; no mode
    // changes.
    let template_added: BTreeSet<String> = target_tpl
        .keys()
        .filter(|k| !base_tpl.contains_key(*k))
        .map(|k| user_path(k))
        .collect();
    for (path, (kind, _)) in &after {
        match before.tree.get(path) {
            Some((old_kind, _)) => assert_eq!(kind, old_kind, "{path}: kind or mode changed"),
            None => assert!(
                template_added.contains(path),
                "{path} appeared, and 6.1's template does not add it"
            ),
        }
    }
    for path in before.tree.keys() {
        assert!(after.contains_key(path), "{path} disappeared");
    }
    for deleted in &p.deleted {
        assert!(
            !after.contains_key(deleted),
            "{deleted}, deleted by the owner, is back"
        );
    }

    // Each template file: untouched where the template did not change it; else the template's
    // changes in and the owner's kept, line by line.
    let templates: BTreeSet<&String> = base_tpl.keys().chain(target_tpl.keys()).collect();
    for tpl in templates {
        let (Some(b), Some(t)) = (base_tpl.get(tpl), target_tpl.get(tpl)) else {
            continue;
        };
        if !b.0.starts_with("file") {
            continue;
        }
        let path = user_path(tpl);
        if p.deleted.contains(&path) {
            continue;
        }
        let old = &before.tree[&path].1;
        let new = &after[&path].1;
        if b.1 == t.1 {
            assert_eq!(
                String::from_utf8_lossy(new),
                String::from_utf8_lossy(old),
                "{path}: 6.1's template does not change it, yet the upgrade did"
            );
            continue;
        }
        assert_lines_merged(p, &path, (&b.1, &t.1), (old, new), both);
        let crlf = old.windows(2).filter(|w| w == b"\r\n").count();
        let lf = old.iter().filter(|c| **c == b'\n').count();
        let new_crlf = new.windows(2).filter(|w| w == b"\r\n").count();
        let new_lf = new.iter().filter(|c| **c == b'\n').count();
        if crlf == lf {
            assert_eq!(new_crlf, new_lf, "{path}: CRLF line endings not kept");
        } else {
            assert_eq!(new_crlf, 0, "{path}: CR added to a file with LF endings");
        }
    }

    // The history in the docstring, so that the next upgrade finds its base.
    let settings = String::from_utf8_lossy(&after[p.settings_file].1).into_owned();
    let history = format!(
        "Generated by 'django-admin startproject' using Django {} and upgraded by \
         'scaffold upgrade' to Django {}.",
        p.base,
        target().release()
    );
    assert!(
        settings.lines().any(|l| l.trim_end() == history),
        "{}: no line {history:?}",
        p.settings_file
    );

    assert_values_merged(p, before, (base_root, target_root), both);
    assert_assignment_order(p, before, (base_root, target_root));
}

/// Lines the template added are there; lines it removed, that the owner had kept, are gone;
/// lines the owner added are there; lines the owner removed stay away.
fn assert_lines_merged(
    p: &Project,
    path: &str,
    (base, target): (&[u8], &[u8]),
    (old, new): (&[u8], &[u8]),
    both: &BothChanged,
) {
    let (b, t, o, n) = (
        normalized_lines(base),
        normalized_lines(target),
        normalized_lines(old),
        normalized_lines(new),
    );
    let mut skipped = if p.legacy_email && path == p.settings_file {
        mailers_block(target)
    } else {
        BTreeSet::new()
    };
    if let BothChanged::OwnersSideKept { dropped } = both {
        skipped.extend(dropped.iter().cloned());
    }
    let shown = String::from_utf8_lossy(new);
    let kept: BTreeSet<String> = if path == p.settings_file {
        p.kept
            .iter()
            .filter_map(|k| k.line)
            .map(str::to_owned)
            .collect()
    } else {
        BTreeSet::new()
    };
    for line in &kept {
        assert!(
            n.contains(line),
            "{path}: the line {line:?}, which the project needs, is gone:\n{shown}"
        );
    }
    for line in t.difference(&b).filter(|l| !skipped.contains(*l)) {
        assert!(
            n.contains(line),
            "{path}: the template's new line {line:?} is missing:\n{shown}"
        );
    }
    for line in b
        .difference(&t)
        .filter(|l| o.contains(*l) && !kept.contains(*l))
    {
        assert!(
            !n.contains(line),
            "{path}: the line {line:?}, removed by the template, is still there:\n{shown}"
        );
    }
    for line in o.difference(&b) {
        assert!(
            n.contains(line),
            "{path}: the owner's line {line:?} is lost:\n{shown}"
        );
    }
    for line in b.difference(&o) {
        assert!(
            !n.contains(line),
            "{path}: the line {line:?}, removed by the owner, is back:\n{shown}"
        );
    }
}

/// Setting by setting (values as Python sees them): the owner's changes kept, the template's
/// applied where the owner left the setting as generated; no MAILERS beside EMAIL_*.
fn assert_values_merged(
    p: &Project,
    before: &Before,
    (base_root, target_root): (&Path, &Path),
    both: &BothChanged,
) {
    let b = settings_values(base_root, "mysite.settings");
    let t = settings_values(target_root, "mysite.settings");
    for (module, o) in p.settings_modules.iter().zip(&before.values) {
        let n = settings_values(&p.root, module);
        assert_eq!(n.get("SECRET_KEY"), o.get("SECRET_KEY"), "{module}");
        let names: BTreeSet<&String> = b
            .keys()
            .chain(t.keys())
            .chain(o.keys())
            .chain(n.keys())
            .collect();
        for name in names.into_iter().filter(|n| *n != "SECRET_KEY") {
            let (bv, tv, ov) = (b.get(name), t.get(name), o.get(name));
            if p.kept.iter().any(|k| k.setting == name) {
                assert_eq!(
                    n.get(name),
                    ov,
                    "{module}.{name}: the project needs it as it was; base {bv:?}, 6.1 {tv:?}"
                );
                continue;
            }
            if ov != bv && tv != bv && p.merged_by_element.contains(&name.as_str()) {
                assert_elements_merged(&format!("{module}.{name}"), [bv, tv, ov], n.get(name));
                continue;
            }
            let mut expected = if ov == bv {
                tv
            } else if tv == bv || matches!(both, BothChanged::OwnersSideKept { .. }) {
                ov
            } else {
                panic!(
                    "{module}.{name}: the fixture changes it on both sides: {bv:?} {tv:?} {ov:?}"
                )
            };
            if name == "MAILERS" && p.legacy_email {
                expected = None;
            }
            assert_eq!(
                n.get(name),
                expected,
                "{module}.{name}: base {bv:?}, 6.1 {tv:?}, before the upgrade {ov:?}"
            );
        }
    }
}

/// A list setting both sides changed by element: the strings in it (app names, processors) are
/// the owner's, less those the template dropped, plus those it added.
fn assert_elements_merged(what: &str, [b, t, o]: [Option<&String>; 3], n: Option<&String>) {
    // The strings of a repr are between its single quotes (none of these holds a quote).
    let strings = |repr: Option<&String>| -> BTreeSet<String> {
        let repr = repr.map(String::as_str).unwrap_or_default();
        repr.split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let (b, t, o) = (strings(b), strings(t), strings(o));
    let mut expected: BTreeSet<String> = o
        .difference(&b.difference(&t).cloned().collect())
        .cloned()
        .collect();
    expected.extend(t.difference(&b).cloned());
    assert_eq!(strings(n), expected, "{what}: {n:?}");
}

/// The settings file's assignments keep the owner's order: none duplicated, the only ones gone
/// are those 6.1's template removed, the only new ones those it added.
fn assert_assignment_order(p: &Project, before: &Before, (base_root, target_root): (&Path, &Path)) {
    let b: BTreeSet<String> = assignments(&base_root.join(SETTINGS_PY))
        .into_iter()
        .collect();
    let t: BTreeSet<String> = assignments(&target_root.join(SETTINGS_PY))
        .into_iter()
        .collect();
    let old = &before.assignments;
    let new = assignments(&p.root.join(p.settings_file));
    let count = |list: &[String], name: &String| list.iter().filter(|n| *n == name).count();
    for name in &new {
        let limit = count(old, name).max(1);
        assert!(
            count(&new, name) <= limit,
            "{}: {name} assigned {} times: {new:?}",
            p.settings_file,
            count(&new, name)
        );
        assert!(
            old.contains(name) || (t.contains(name) && !b.contains(name)),
            "{}: new assignment {name}, and 6.1's template does not add it",
            p.settings_file
        );
    }
    for name in old.iter().filter(|n| !new.contains(n)) {
        assert!(
            b.contains(name) && !t.contains(name),
            "{}: the assignment of {name} is gone, and 6.1's template keeps it",
            p.settings_file
        );
    }
    let kept: Vec<&String> = old.iter().filter(|n| new.contains(n)).collect();
    let mut seen = BTreeSet::new();
    let order: Vec<&String> = new
        .iter()
        .filter(|n| old.contains(n) && seen.insert(n.as_str()))
        .collect();
    let mut seen = BTreeSet::new();
    let kept: Vec<&String> = kept
        .into_iter()
        .filter(|n| seen.insert(n.as_str()))
        .collect();
    assert_eq!(
        order, kept,
        "{}: the owner's order of settings is lost",
        p.settings_file
    );
}

/// The whole journey for a project that has no conflicts: preview, write, then every check.
fn assert_clean_upgrade(p: &Project) {
    assert_clean_upgrade_then(p, |_| {});
}

/// The journey of [`assert_clean_upgrade`], with a test's own checks of the write's report
/// (`then`) run after the common ones and before the accounting of the template's changes.
fn assert_clean_upgrade_then(p: &Project, then: impl FnOnce(&Value)) {
    let before = before(p);
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&p.root, copy.path());
    let (diff, preview) = preview(p, 0);
    let report = write(p, 0);
    let after = listing(&p.root);
    // The preview shows what the write does: its diff, applied to a copy, gives the same tree.
    git_apply(copy.path(), &diff);
    assert_eq!(
        listing(copy.path()),
        after,
        "the preview's diff, applied with git apply, gives another tree than --write"
    );
    assert_clean_report(p, &report, &before.tree, &after);
    for key in ["from", "to", "conflicts", "files"] {
        assert_eq!(
            preview[key], report[key],
            "the preview's {key} differs from the write's"
        );
    }
    let text = fs::read_to_string(p.root.join(p.settings_file)).unwrap();
    for marker in ["<<<<<<<", "=======", ">>>>>>>"] {
        assert!(
            !text.contains(marker),
            "a conflict marker in {}",
            p.settings_file
        );
    }
    assert_no_markers(&p.root);
    let renders = templates(&p.base_venv, target_venv(), &p.apps);
    assert_upgraded(p, &before, &BothChanged::NotExpected, &renders);
    assert_compiles(&p.root);
    assert_check_passes(target_venv(), &p.root, &p.settings_modules);
    then(&report);
    assert_accounted(p, &report, &renders);
}

/// The files of a tree that hold conflict markers, and how many blocks each holds.
fn marker_blocks(root: &Path) -> BTreeMap<String, usize> {
    listing(root)
        .into_iter()
        .filter(|(_, (kind, _))| kind.starts_with("file"))
        .filter_map(|(path, (_, bytes))| {
            let text = String::from_utf8_lossy(&bytes);
            let n = text.lines().filter(|l| l.starts_with("<<<<<<<")).count();
            let any = text
                .lines()
                .any(|l| l.starts_with(">>>>>>>") || l.trim_end() == "=======");
            (n > 0 || any).then_some((path, n))
        })
        .collect()
}

fn assert_no_markers(root: &Path) {
    let found = marker_blocks(root);
    assert!(found.is_empty(), "conflict markers in {found:?}");
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn edited_3_2_project_upgrades_to_6_1() {
    if python_opted_out("edited_3_2_project_upgrades_to_6_1") {
        return;
    }
    assert_clean_upgrade(&edited_project("3.2"));
}

#[test]
fn edited_4_2_project_upgrades_to_6_1() {
    if python_opted_out("edited_4_2_project_upgrades_to_6_1") {
        return;
    }
    assert_clean_upgrade(&edited_project("4.2"));
}

#[test]
fn edited_5_2_project_upgrades_to_6_1() {
    if python_opted_out("edited_5_2_project_upgrades_to_6_1") {
        return;
    }
    assert_clean_upgrade(&edited_project("5.2"));
}

#[test]
fn split_settings_3_2_project_with_legacy_email_upgrades_to_6_1() {
    if python_opted_out("split_settings_3_2_project_with_legacy_email_upgrades_to_6_1") {
        return;
    }
    assert_clean_upgrade(&split_project("3.2"));
}

#[test]
fn split_settings_4_2_project_with_legacy_email_upgrades_to_6_1() {
    if python_opted_out("split_settings_4_2_project_with_legacy_email_upgrades_to_6_1") {
        return;
    }
    assert_clean_upgrade(&split_project("4.2"));
}

/// The owner keeps AutoField in settings.py and in the app's apps.py, both of which 6.1's
/// template deletes: a conflict in each file, exactly there, and nowhere else.
#[test]
fn conflicts_only_where_both_sides_changed_a_statement() {
    if python_opted_out("conflicts_only_where_both_sides_changed_a_statement") {
        return;
    }
    let p = new_project("5.2", vec!["blog"]);
    register_apps(&p, &["blog"]);
    append_settings(&p);
    edit(&p.root, SETTINGS_PY, |s| {
        replace_once(
            s,
            "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'",
            "DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'",
        )
    });
    edit(&p.root, "blog/apps.py", |s| {
        replace_once(
            s,
            "default_auto_field = 'django.db.models.BigAutoField'",
            "default_auto_field = 'django.db.models.AutoField'",
        )
    });
    assert_runs_on_its_release(&p);
    assert_conflicts_exactly(
        &p,
        &[
            (
                SETTINGS_PY,
                "DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'",
            ),
            (
                "blog/apps.py",
                "default_auto_field = 'django.db.models.AutoField'",
            ),
        ],
    );
}

/// 3.2's STATIC_URL = '/static/' becomes 'static/' in 6.1; the owner made it '/assets/' in a
/// black-formatted settings.py saved with CRLF endings: one conflict, its markers in CRLF too.
#[test]
fn a_conflict_in_a_crlf_file_of_a_3_2_project() {
    if python_opted_out("a_conflict_in_a_crlf_file_of_a_3_2_project") {
        return;
    }
    let p = new_project("3.2", vec!["blog"]);
    register_apps(&p, &["blog"]);
    edit(&p.root, SETTINGS_PY, |s| {
        replace_once(s, "STATIC_URL = '/static/'", "STATIC_URL = '/assets/'")
    });
    reformat_with_black(&p);
    to_crlf(&p, SETTINGS_PY);
    assert_runs_on_its_release(&p);
    assert_conflicts_exactly(&p, &[(SETTINGS_PY, "STATIC_URL = '/assets/'")]);
}

/// Preview and write exit 3 and report one conflict in each file of `expected` and none
/// elsewhere; each file holds one block of markers, around the owner's statement (given as
/// `normalized_lines` shows it), and the statement is nowhere else. Resolved by keeping the
/// owner's side, the project then passes every check of a clean upgrade.
fn assert_conflicts_exactly(p: &Project, expected: &[(&str, &str)]) {
    let before = before(p);
    let (_, preview) = preview(p, 3);
    let report = write(p, 3);
    assert_eq!(
        report["conflicts"],
        Value::from(expected.len()),
        "{report:#}"
    );
    for key in ["from", "to", "conflicts", "files"] {
        assert_eq!(
            preview[key], report[key],
            "the preview's {key} differs from the write's"
        );
    }
    let conflicted: BTreeMap<String, (String, u64)> = report_files(&report)
        .into_iter()
        .filter(|(_, (status, n))| status == "conflict" || *n > 0)
        .collect();
    let wanted: BTreeMap<String, (String, u64)> = expected
        .iter()
        .map(|(f, _)| (f.to_string(), ("conflict".to_owned(), 1)))
        .collect();
    assert_eq!(conflicted, wanted, "{report:#}");
    let wanted: BTreeMap<String, usize> =
        expected.iter().map(|(f, _)| (f.to_string(), 1)).collect();
    assert_eq!(marker_blocks(&p.root), wanted, "conflict blocks per file");

    let mut dropped = BTreeSet::new();
    for (path, owners) in expected {
        let text = fs::read_to_string(p.root.join(path)).unwrap();
        let (inside, outside) = split_conflict(&text);
        let normalized = |l: &str| l.trim().replace('"', "'");
        assert!(
            inside.iter().any(|l| normalized(l) == *owners),
            "{path}: the conflict is not about the owner's {owners}:\n{text}"
        );
        let name = owners.split(" =").next().unwrap();
        assert!(
            !outside.iter().any(|l| l.contains(name)),
            "{path}: {name} outside the conflict block:\n{text}"
        );
        let old = &before.tree[*path].1;
        if old.windows(2).any(|w| w == b"\r\n") {
            let bare = text.split_inclusive('\n').find(|l| !l.ends_with("\r\n"));
            assert!(bare.is_none(), "{path}: a line without CR: {bare:?}");
        }
        let (resolved, theirs) = keep_owners_side(&text, |l| normalized(l) == *owners);
        dropped.extend(normalized_lines(theirs.as_bytes()));
        fs::write(p.root.join(path), resolved).unwrap();
    }
    assert_no_markers(&p.root);
    let renders = templates(&p.base_venv, target_venv(), &p.apps);
    assert_upgraded(
        p,
        &before,
        &BothChanged::OwnersSideKept { dropped },
        &renders,
    );
    assert_compiles(&p.root);
    assert_check_passes(target_venv(), &p.root, &p.settings_modules);
    assert_accounted(p, &report, &renders);
}

/// The lines inside the one conflict block, and the lines outside it.
fn split_conflict(text: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    let mut in_block = false;
    for line in text.lines() {
        if line.starts_with("<<<<<<<") {
            in_block = true;
        } else if line.starts_with(">>>>>>>") {
            in_block = false;
        } else if in_block {
            inside.push(line);
        } else {
            outside.push(line);
        }
    }
    (inside, outside)
}

/// The conflict resolved as the owner would: the side with a line that is `owners` kept, the
/// other side (and a diff3 base section, if any) dropped. Returns the text and what was dropped.
fn keep_owners_side(text: &str, owners: impl Fn(&str) -> bool) -> (String, String) {
    let (mut out, mut dropped) = (String::new(), String::new());
    let mut sides: Vec<Vec<&str>> = Vec::new();
    let mut in_block = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("<<<<<<<") {
            in_block = true;
            sides = vec![Vec::new()];
        } else if in_block && (line.starts_with("|||||||") || line.trim_end() == "=======") {
            sides.push(Vec::new());
        } else if in_block && line.starts_with(">>>>>>>") {
            in_block = false;
            let kept = sides
                .iter()
                .position(|s| s.iter().any(|l| owners(l)))
                .expect("a side with the owner's statement");
            for (i, side) in sides.iter().enumerate() {
                let to = if i == kept { &mut out } else { &mut dropped };
                to.extend(side.iter().copied());
            }
        } else if in_block {
            sides.last_mut().unwrap().push(line);
        } else {
            out.push_str(line);
        }
    }
    (out, dropped)
}

/// `git apply` of `diff` in `dir` (outside any repository, as patch(1) would).
fn git_apply(dir: &Path, diff: &str) {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(["apply", "-"])
        .current_dir(dir)
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(diff.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git apply of the preview's diff failed: {}\n{diff}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of a tree, modes kept.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    fs::set_permissions(to, fs::metadata(from).unwrap().permissions()).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The tree with the settings docstring's history line left out.
fn without_history(tree: Listing) -> Listing {
    tree.into_iter()
        .map(|(path, (kind, bytes))| {
            let text = String::from_utf8_lossy(&bytes);
            let kept: String = text
                .split_inclusive('\n')
                .filter(|l| !l.contains("Generated by 'django-admin startproject'"))
                .collect();
            (path, (kind, kept.into_bytes()))
        })
        .collect()
}

/// 3.2 -> 4.2 -> 6.1 gives the files 3.2 -> 6.1 gives, but for the docstring's history line;
/// the second step finds the release the first one recorded.
#[test]
fn two_steps_give_the_files_of_one_step() {
    if python_opted_out("two_steps_give_the_files_of_one_step") {
        return;
    }
    assert_two_steps_give_one("4.2");
}

/// The same through 5.2, a release scaffold also generates.
#[test]
fn two_steps_through_5_2_give_the_files_of_one_step() {
    if python_opted_out("two_steps_through_5_2_give_the_files_of_one_step") {
        return;
    }
    assert_two_steps_give_one("5.2");
}

/// The edited 3.2 project upgraded to `middle` and then to 6.1, against the same project
/// upgraded to 6.1 at once.
fn assert_two_steps_give_one(middle: &str) {
    let p = edited_project("3.2");
    let work = tempfile::tempdir().unwrap();
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    copy_tree(&p.root, &one);
    copy_tree(&p.root, &two);

    let middle_venv = release_venv(release(middle));
    let step = |root: &Path, from_venv: &Path, to: &str, to_venv: &Path| -> Value {
        let run = upgrade(root, &["--to", to, "--write", "--output-format", "json"]);
        assert_eq!(
            run.code,
            Some(0),
            "--to {to}\nstdout:\n{}\nstderr:\n{}",
            run.stdout,
            run.stderr
        );
        let report = run.json();
        assert_accounted(&p, &report, &templates(from_venv, to_venv, &p.apps));
        report
    };
    let first = step(&two, &p.base_venv, middle, middle_venv);
    assert_eq!(first["from"], Value::from(p.base.as_str()), "{first:#}");
    let reached = first["to"].as_str().unwrap().to_owned();
    assert!(reached.starts_with(&format!("{middle}.")), "{first:#}");
    let second = step(&two, middle_venv, "6.1", target_venv());
    assert_eq!(second["from"], Value::from(reached.as_str()), "{second:#}");
    step(&one, &p.base_venv, "6.1", target_venv());

    let (one, two) = (
        without_history(listing(&one)),
        without_history(listing(&two)),
    );
    for path in one.keys().chain(two.keys()).collect::<BTreeSet<_>>() {
        assert_eq!(
            two.get(path).map(|(k, b)| (k, String::from_utf8_lossy(b))),
            one.get(path).map(|(k, b)| (k, String::from_utf8_lossy(b))),
            "{path}: two steps through {middle} (left) and one step (right) differ"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 17: what real projects showed the upgrade getting wrong, each made as above (the real
// django-admin of the base release, then the owner's edit).

/// The notes of a report.
fn notes(report: &Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes array: {report:#}"))
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

/// A file's entry in a report.
fn report_file<'r>(report: &'r Value, path: &str) -> &'r Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} is not in the report: {report:#}"))
}

/// Preview and write without conflicts, the preview reporting what the write does; then `then`
/// with the write's report; then the project checks on 6.1 and the template's changes are
/// accounted for. For fixtures whose expected outcome the line and value checks of
/// [`assert_clean_upgrade`] cannot state (the test's `then` states it).
fn assert_upgrade_then(p: &Project, then: impl FnOnce(&Value)) {
    let (_, preview) = preview(p, 0);
    let report = write(p, 0);
    for key in ["from", "to", "conflicts", "files"] {
        assert_eq!(
            preview[key], report[key],
            "the preview's {key} differs from the write's"
        );
    }
    assert_eq!(report["from"], Value::from(p.base.as_str()), "{report:#}");
    assert_no_markers(&p.root);
    assert_compiles(&p.root);
    assert_check_passes(target_venv(), &p.root, &p.settings_modules);
    then(&report);
    let renders = templates(&p.base_venv, target_venv(), &p.apps);
    assert_accounted(p, &report, &renders);
}

/// A pristine 4.2 project whose settings set legacy EMAIL_* settings where a look at the
/// top-level statements misses them: `snippet` appended to settings.py, `files` written beside
/// (relative to the root). Upgraded to 6.1: MAILERS is not added, a note says why naming each
/// of `names`, and `manage.py check` passes on 6.1 (which refuses MAILERS beside them).
fn assert_hidden_legacy_email_seen(snippet: &str, files: &[(&str, &str)], names: &[&str]) {
    let mut p = new_project("4.2", vec![]);
    edit(&p.root, SETTINGS_PY, |s| format!("{s}\n{snippet}"));
    for (rel, text) in files {
        fs::write(p.root.join(rel), text).unwrap();
    }
    p.legacy_email = true;
    assert_runs_on_its_release(&p);
    assert_clean_upgrade_then(&p, |report| {
        let settings = fs::read_to_string(p.root.join(SETTINGS_PY)).unwrap();
        assert!(
            !settings.contains("MAILERS"),
            "MAILERS added beside {names:?}:\n{settings}"
        );
        let notes = notes(report);
        let note = notes
            .iter()
            .find(|n| n.contains("MAILERS"))
            .unwrap_or_else(|| panic!("no note about MAILERS: {notes:?}"));
        for name in names {
            assert!(
                note.contains(name),
                "the MAILERS note names no {name}: {note}"
            );
        }
        let removal = format!("Django {}", email_settings_removed_in());
        assert!(
            note.contains(&removal) && note.contains("remov"),
            "the MAILERS note does not say that {removal} removes them: {note}"
        );
    });
}

/// The release that removes the legacy EMAIL_* settings, as the 6.1 wheel names the warning it
/// gives for them (`RemovedInDjango2028Warning`: "2028").
fn email_settings_removed_in() -> String {
    let code = r#"
import inspect, re, django.conf
src = inspect.getsource(django.conf)
found = re.search(r"EMAIL_SETTING_DEPRECATED_MSG\.format\(name=name\),\s*RemovedInDjango(\w+)Warning", src)
print(found.group(1))
"#;
    support::run(
        python_tool(&target_venv().join("bin/python")).args(["-c", code]),
        "reading which release removes EMAIL_* from Django 6.1's source",
    )
    .trim()
    .to_owned()
}

/// Issue 17, 1: the reproduction of the issue, EMAIL_* set in the branches of `if DEBUG:`.
#[test]
fn legacy_email_set_inside_if_else_keeps_mailers_out() {
    if python_opted_out("legacy_email_set_inside_if_else_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "if DEBUG:\n    EMAIL_BACKEND = \"django.core.mail.backends.console.EmailBackend\"\n\
         else:\n    EMAIL_HOST = \"smtp.example.com\"\n",
        &[],
        &["EMAIL_BACKEND", "EMAIL_HOST"],
    );
}

/// EMAIL_HOST in a `try` body, EMAIL_BACKEND in its `except` clause.
#[test]
fn legacy_email_set_inside_try_except_keeps_mailers_out() {
    if python_opted_out("legacy_email_set_inside_try_except_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "import os\n\ntry:\n    EMAIL_HOST = os.environ[\"SMTP_HOST\"]\nexcept KeyError:\n    \
         EMAIL_BACKEND = \"django.core.mail.backends.console.EmailBackend\"\n",
        &[],
        &["EMAIL_BACKEND", "EMAIL_HOST"],
    );
}

/// The SMTP password read from a secrets file inside `with open(...)`.
#[test]
fn legacy_email_set_inside_with_keeps_mailers_out() {
    if python_opted_out("legacy_email_set_inside_with_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "import json\n\nwith open(BASE_DIR / \"secrets.json\") as f:\n    \
         EMAIL_HOST_PASSWORD = json.load(f)[\"smtp_password\"]\n",
        &[("secrets.json", "{\"smtp_password\": \"s3cret\"}\n")],
        &["EMAIL_HOST_PASSWORD"],
    );
}

/// EMAIL_HOST set in a `for` loop (inside an `if` in it): two levels down.
#[test]
fn legacy_email_set_inside_for_keeps_mailers_out() {
    if python_opted_out("legacy_email_set_inside_for_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "import os\n\nfor _variable in (\"SMTP_HOST\", \"MAIL_HOST\"):\n    \
         if _variable in os.environ:\n        EMAIL_HOST = os.environ[_variable]\n        break\n",
        &[],
        &["EMAIL_HOST"],
    );
}

/// An augmented assignment is a setting too: EMAIL_PORT taken from Django's defaults (an
/// import, not an assignment) and then raised with `+=`, the only statement that sets it here.
#[test]
fn legacy_email_set_by_augmented_assignment_keeps_mailers_out() {
    if python_opted_out("legacy_email_set_by_augmented_assignment_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "from django.conf.global_settings import EMAIL_PORT  # noqa: E402\n\n\
         # The relay listens on the submission port, 587.\nEMAIL_PORT += 562\n",
        &[],
        &["EMAIL_PORT"],
    );
}

/// Two legacy settings assigned at once, as a tuple.
#[test]
fn legacy_email_set_by_tuple_assignment_keeps_mailers_out() {
    if python_opted_out("legacy_email_set_by_tuple_assignment_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "EMAIL_HOST, EMAIL_PORT = \"smtp.example.com\", 587\n",
        &[],
        &["EMAIL_HOST", "EMAIL_PORT"],
    );
}

/// settings.py ends with the optional `from .local_settings import *` inside `try`, and the
/// project's own mysite/local_settings.py sets EMAIL_HOST: a setting of the project all the
/// same (Django 6.1 refuses MAILERS beside it).
#[test]
fn legacy_email_in_a_star_imported_local_settings_keeps_mailers_out() {
    if python_opted_out("legacy_email_in_a_star_imported_local_settings_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "try:\n    from .local_settings import *  # noqa: F401,F403\nexcept ImportError:\n    pass\n",
        &[(
            "mysite/local_settings.py",
            "EMAIL_HOST = \"smtp.example.com\"\n",
        )],
        &["EMAIL_HOST"],
    );
}

/// The same without `try`, imported by its absolute name: `from mysite.local_settings import *`
/// at the top level, and local_settings.py sets EMAIL_BACKEND.
#[test]
fn legacy_email_in_an_absolutely_imported_local_settings_keeps_mailers_out() {
    if python_opted_out("legacy_email_in_an_absolutely_imported_local_settings_keeps_mailers_out") {
        return;
    }
    assert_hidden_legacy_email_seen(
        "from mysite.local_settings import *  # noqa: E402,F401,F403\n",
        &[(
            "mysite/local_settings.py",
            "EMAIL_BACKEND = \"django.core.mail.backends.console.EmailBackend\"\n",
        )],
        &["EMAIL_BACKEND"],
    );
}

/// Settings set through `globals()` (here from DJANGO_* environment variables, a common
/// pattern) cannot be seen statically: the upgrade says so in a note, naming the construct or
/// saying that it cannot be seen statically, whatever it decides about MAILERS. (No DJANGO_*
/// variable names an EMAIL_* setting when the check runs, so 6.1 starts either way.)
#[test]
fn settings_set_through_globals_get_a_note() {
    if python_opted_out("settings_set_through_globals_get_a_note") {
        return;
    }
    let p = new_project("4.2", vec![]);
    edit(&p.root, SETTINGS_PY, |s| {
        format!(
            "{s}\nimport os\n\n# Any setting from the environment: DJANGO_EMAIL_HOST sets EMAIL_HOST.\n\
             for _name, _value in os.environ.items():\n    if _name.startswith(\"DJANGO_\"):\n        \
             globals()[_name[len(\"DJANGO_\"):]] = _value\n"
        )
    });
    assert_runs_on_its_release(&p);
    assert_upgrade_then(&p, |report| {
        let notes = notes(report);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("statically") || n.contains("globals()")),
            "no note says that settings set through globals() cannot be seen: {notes:?}"
        );
    });
}

/// The owner's AppConfig file after an upgrade whose template change is removing
/// `default_auto_field` from the class: either applied (exactly that line gone, the rest, the
/// owner's class name first, as it was) or noted (the file as it was, and a note naming it),
/// never reported unchanged.
fn assert_app_config_change_arrives(p: &Project, report: &Value, path: &str, old: &str) {
    let file = report_file(report, path);
    let new = fs::read_to_string(p.root.join(path)).unwrap();
    let removed = "    default_auto_field = 'django.db.models.BigAutoField'\n";
    assert!(old.contains(removed), "{path} before:\n{old}");
    match file["status"].as_str().unwrap() {
        "changed" => assert_eq!(
            new,
            old.replacen(removed, "", 1),
            "{path}: the template's change to the class, applied, is not exactly that"
        ),
        "noted" => {
            assert_eq!(new, old, "{path}: noted, yet changed");
            let notes = notes(report);
            assert!(
                notes.iter().any(|n| n.contains(path)),
                "{path} is noted, and no note names it: {notes:?}"
            );
        }
        other => panic!(
            "{path} reported {other}: the template's removal of default_auto_field from its \
             AppConfig class is neither applied nor noted:\n{new}\n{file:#}"
        ),
    }
}

/// Issue 17, 2: the owner renamed startapp's `AccountsConfig` to `UsersappConfig`; 6.1's
/// template drops the class's `default_auto_field` (4.2's has it). The class is matched by its
/// role, the AppConfig subclass of the app's apps.py, not by its name.
#[test]
fn a_renamed_app_config_class_gets_the_template_change() {
    if python_opted_out("a_renamed_app_config_class_gets_the_template_change") {
        return;
    }
    let p = new_project("4.2", vec!["accounts", "blog"]);
    register_apps(&p, &["accounts", "blog"]);
    edit(&p.root, "accounts/apps.py", |s| {
        replace_once(
            s,
            "class AccountsConfig(AppConfig):",
            "class UsersappConfig(AppConfig):",
        )
    });
    let old = fs::read_to_string(p.root.join("accounts/apps.py")).unwrap();
    let blog = fs::read_to_string(p.root.join("blog/apps.py")).unwrap();
    assert_runs_on_its_release(&p);
    assert_upgrade_then(&p, |report| {
        assert_app_config_change_arrives(&p, report, "accounts/apps.py", &old);
        let new = fs::read_to_string(p.root.join("accounts/apps.py")).unwrap();
        assert!(
            new.contains("class UsersappConfig(AppConfig):") && !new.contains("AccountsConfig"),
            "the owner's class name is not kept:\n{new}"
        );
        let file = report_file(report, "blog/apps.py");
        assert_eq!(file["status"], "changed", "{file:#}");
        assert_app_config_change_arrives(&p, report, "blog/apps.py", &blog);
    });
}

/// Issue 17, 2: an app whose name is not its directory's: made by `startapp mail`, then moved
/// into the project's `api` package as `api/email` and named `api.email` (django-admin accepts
/// neither `email` as an app's name nor as its directory's: a standard-library module). Its
/// files are upgraded like any app's; its AppConfig class keeps startapp's name, MailConfig.
#[test]
fn an_app_named_unlike_its_directory_is_upgraded() {
    if python_opted_out("an_app_named_unlike_its_directory_is_upgraded") {
        return;
    }
    let mut p = new_project("4.2", vec!["mail"]);
    fs::create_dir_all(p.root.join("api")).unwrap();
    fs::write(p.root.join("api/__init__.py"), "").unwrap();
    fs::rename(p.root.join("mail"), p.root.join("api/email")).unwrap();
    edit(&p.root, "api/email/apps.py", |s| {
        replace_once(s, "name = 'mail'", "name = 'api.email'")
    });
    p.app_dirs.push(("mail", "api/email"));
    register_apps(&p, &["api.email"]);
    let old = fs::read_to_string(p.root.join("api/email/apps.py")).unwrap();
    assert!(
        old.contains("class MailConfig(AppConfig):") && old.contains("name = 'api.email'"),
        "{old}"
    );
    assert_runs_on_its_release(&p);
    assert_upgrade_then(&p, |report| {
        assert_app_config_change_arrives(&p, report, "api/email/apps.py", &old);
    });
}

/// Issue 17, 3: the generator line of a 5.2 project, its final period deleted by hand, still
/// names the base release.
#[test]
fn a_generator_line_without_its_period_is_read() {
    if python_opted_out("a_generator_line_without_its_period_is_read") {
        return;
    }
    let p = new_project("5.2", vec!["blog"]);
    register_apps(&p, &["blog"]);
    let line = format!("using Django {}.\n", p.base);
    edit(&p.root, SETTINGS_PY, |s| {
        replace_once(s, &line, &format!("using Django {}\n", p.base))
    });
    assert_runs_on_its_release(&p);
    assert_clean_upgrade(&p);
}

/// Issue 17, 4: the owner set DEFAULT_AUTO_FIELD themselves, just below INSTALLED_APPS, above
/// the template's own block (comment, docs link, assignment) of a 5.2 project. 6.0's template
/// drops the block: the owner's line stays where it is, and the template's block goes, comment
/// and stale docs link with it. The rest of the file is what the same project without the
/// owner's line upgrades to.
#[test]
fn a_setting_assigned_twice_keeps_the_owners_copy() {
    if python_opted_out("a_setting_assigned_twice_keeps_the_owners_copy") {
        return;
    }
    let p = new_project("5.2", vec![]);
    let pristine = tempfile::tempdir().unwrap();
    let pristine_root = pristine.path().join("site");
    copy_tree(&p.root, &pristine_root);
    let anchor = "    'django.contrib.staticfiles',\n]\n";
    let owners = "DEFAULT_AUTO_FIELD = \"django.db.models.BigAutoField\"\n";
    edit(&p.root, SETTINGS_PY, |s| {
        replace_once(s, anchor, &format!("{anchor}{owners}"))
    });
    assert_runs_on_its_release(&p);

    let run = upgrade(&pristine_root, &["--to", "6.1", "--write"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let expected = replace_once(
        &fs::read_to_string(pristine_root.join(SETTINGS_PY)).unwrap(),
        anchor,
        &format!("{anchor}{owners}"),
    );
    assert_upgrade_then(&p, |_| {
        let settings = fs::read_to_string(p.root.join(SETTINGS_PY)).unwrap();
        assert_eq!(
            settings.matches("DEFAULT_AUTO_FIELD").count(),
            1,
            "{settings}"
        );
        assert!(
            settings.contains(&format!("{anchor}{owners}")),
            "the owner's DEFAULT_AUTO_FIELD is gone:\n{settings}"
        );
        for stale in ["# Default primary key field type", "#default-auto-field"] {
            assert!(
                !settings.contains(stale),
                "the template's {stale:?} is still there:\n{settings}"
            );
        }
        assert_eq!(settings, expected);
    });
}

/// Issue 17, 5: `'DIRS': [  ],` in TEMPLATES of a 4.2 project; 6.1's template changes another
/// element of TEMPLATES (the debug context processor goes). The owner's spacing stays, byte for
/// byte.
#[test]
fn whitespace_inside_a_statement_is_kept() {
    if python_opted_out("whitespace_inside_a_statement_is_kept") {
        return;
    }
    let p = new_project("4.2", vec![]);
    edit(&p.root, SETTINGS_PY, |s| {
        replace_once(s, "        'DIRS': [],\n", "        'DIRS': [  ],\n")
    });
    assert_runs_on_its_release(&p);
    assert_clean_upgrade_then(&p, |_| {
        let settings = fs::read_to_string(p.root.join(SETTINGS_PY)).unwrap();
        assert!(
            settings.contains("        'DIRS': [  ],\n"),
            "the owner's `[  ]` is rewritten:\n{settings}"
        );
        assert!(!settings.contains("context_processors.debug"), "{settings}");
    });
}

/// Issue 17, 6: the owner commented on the debug context processor, which 6.1's template (5.2's
/// already) removes: an owner's comment is an edit, so the element stays with its comment, and
/// a note says why, naming the element.
#[test]
fn a_commented_element_the_template_removes_is_kept_with_a_note() {
    if python_opted_out("a_commented_element_the_template_removes_is_kept_with_a_note") {
        return;
    }
    let mut p = new_project("4.2", vec![]);
    let line = "                'django.template.context_processors.debug',\n";
    let commented =
        "                'django.template.context_processors.debug',  # needed by base.html\n";
    edit(&p.root, SETTINGS_PY, |s| replace_once(s, line, commented));
    p.kept.push(Kept {
        setting: "TEMPLATES",
        line: None,
    });
    assert_runs_on_its_release(&p);
    assert_clean_upgrade_then(&p, |report| {
        let settings = fs::read_to_string(p.root.join(SETTINGS_PY)).unwrap();
        assert!(
            settings.contains(commented),
            "the owner's commented element is gone:\n{settings}"
        );
        let notes = notes(report);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("django.template.context_processors.debug")),
            "no note names the commented element that was kept: {notes:?}"
        );
    });
}

/// Issue 17, 7: a template of the project reads `debug` or `sql_queries`, which only the debug
/// context processor provides: upgraded from 4.2 to 6.1, the processor stays, and a note names
/// the template file. `setup` makes the template and returns its path.
fn assert_debug_processor_kept_for(
    apps: Vec<&'static str>,
    setup: impl FnOnce(&mut Project) -> &'static str,
) {
    let mut p = new_project("4.2", apps);
    let template = setup(&mut p);
    p.kept.push(Kept {
        setting: "TEMPLATES",
        line: Some("'django.template.context_processors.debug',"),
    });
    assert_runs_on_its_release(&p);
    assert_clean_upgrade_then(&p, |report| {
        let settings = fs::read_to_string(p.root.join(SETTINGS_PY)).unwrap();
        assert!(
            settings.contains("                'django.template.context_processors.debug',\n"),
            "the debug context processor is removed although {template} reads it:\n{settings}"
        );
        let notes = notes(report);
        assert!(
            notes.iter().any(|n| n.contains(template)),
            "no note names {template}: {notes:?}"
        );
    });
}

/// The project's templates/base.html (in TEMPLATES' DIRS) shows a banner `{% if debug %}`.
#[test]
fn the_debug_processor_stays_while_a_project_template_reads_debug() {
    if python_opted_out("the_debug_processor_stays_while_a_project_template_reads_debug") {
        return;
    }
    assert_debug_processor_kept_for(vec![], |p| {
        fs::create_dir(p.root.join("templates")).unwrap();
        fs::write(
            p.root.join("templates/base.html"),
            "<!doctype html>\n<html>\n<body>\n{% if debug %}<p class=\"banner\">development</p>{% endif %}\n\
             {% block content %}{% endblock %}\n</body>\n</html>\n",
        )
        .unwrap();
        edit(&p.root, SETTINGS_PY, |s| {
            replace_once(
                s,
                "        'DIRS': [],\n",
                "        'DIRS': [BASE_DIR / 'templates'],\n",
            )
        });
        "templates/base.html"
    });
}

/// App blog's own template (found through APP_DIRS) counts the queries, `sql_queries|length`.
#[test]
fn the_debug_processor_stays_while_an_app_template_reads_sql_queries() {
    if python_opted_out("the_debug_processor_stays_while_an_app_template_reads_sql_queries") {
        return;
    }
    assert_debug_processor_kept_for(vec!["blog"], |p| {
        register_apps(p, &["blog"]);
        fs::create_dir_all(p.root.join("blog/templates/blog")).unwrap();
        fs::write(
            p.root.join("blog/templates/blog/footer.html"),
            "<footer>{{ sql_queries|length }} queries</footer>\n",
        )
        .unwrap();
        "blog/templates/blog/footer.html"
    });
}

/// The control: a template that only mentions debugging in its text, and reads neither `debug`
/// nor `sql_queries`, does not keep the processor (5.2's template dropped it).
#[test]
fn a_template_that_only_mentions_debugging_does_not_keep_the_processor() {
    if python_opted_out("a_template_that_only_mentions_debugging_does_not_keep_the_processor") {
        return;
    }
    let mut p = new_project("4.2", vec![]);
    p.merged_by_element.push("TEMPLATES");
    fs::create_dir(p.root.join("templates")).unwrap();
    fs::write(
        p.root.join("templates/help.html"),
        "<p>To debug a page, set DJANGO_DEBUG=1; the debug toolbar lists its sql queries.</p>\n\
         <p>{{ request.path }}</p>\n",
    )
    .unwrap();
    edit(&p.root, SETTINGS_PY, |s| {
        replace_once(
            s,
            "        'DIRS': [],\n",
            "        'DIRS': [BASE_DIR / 'templates'],\n",
        )
    });
    assert_runs_on_its_release(&p);
    assert_clean_upgrade_then(&p, |report| {
        let settings = fs::read_to_string(p.root.join(SETTINGS_PY)).unwrap();
        assert!(
            !settings.contains("context_processors.debug"),
            "the debug context processor is kept for a template that does not read it:\n{settings}"
        );
        let notes = notes(report);
        assert!(
            !notes.iter().any(|n| n.contains("templates/help.html")),
            "a note names templates/help.html: {notes:?}"
        );
    });
}
