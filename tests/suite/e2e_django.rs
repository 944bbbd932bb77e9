//! End to end with real Django, every generated release of the table on its own Django and a
//! Python it supports (see `support::python_for`: 5.2 on python3, 6.0 and 6.1 on CPython 3.13
//! here): generated projects, single and
//! split settings, pass `check`, migrate an app with a model, and answer real requests on
//! 127.0.0.1 under runserver, gunicorn and uvicorn (and Django 5.2's under uWSGI and Apache
//! mod_wsgi); settings modules are wired right; a venv with Django 5.2 gets the 5.2 project
//! without --django.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{self, python_opted_out, release, release_venv, scaffold, venv};
use scaffold::DjangoVersion;

const WELCOME: &str = "The install worked successfully! Congratulations!";
const NO_ISSUES: &str = "System check identified no issues (0 silenced).";
/// A key that passes check --deploy: long, varied, without the insecure prefix.
const STRONG_KEY: &str = "q9v!w2x@e3r#t4y$u5i%o6p^a7s&d8f*g9h(j0k)l-z_x=c+v1b2n3m4Q5W6E7R8T9";
/// A generated project in a temporary directory, and the venv whose Django runs it.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    venv: &'static Path,
}

/// `scaffold startproject mysite --django DJANGO ARGS`, run by that release's venv.
fn generate(django: DjangoVersion, args: &[&str]) -> Project {
    generate_with(
        release_venv(django),
        &["--django", django.docs_version()],
        args,
    )
}

fn generate_with(venv: &'static Path, release_args: &[&str], args: &[&str]) -> Project {
    let dir = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(dir.path())
        .args(["startproject", "mysite", "-v", "0"])
        .args(release_args)
        .args(args)
        .assert()
        .success();
    let root = dir.path().join("mysite");
    Project {
        _dir: dir,
        root,
        venv,
    }
}

/// A command in the project's venv, run from the project, with no DJANGO_SETTINGS_MODULE from
/// outside.
fn python_command(p: &Project, program: &str) -> Command {
    let bin = p.venv.join("bin");
    let mut cmd = Command::new(bin.join(program));
    cmd.current_dir(&p.root)
        .env_remove("DJANGO_SETTINGS_MODULE")
        .env_remove("DJANGO_SECRET_KEY")
        .env_remove("DJANGO_ALLOWED_HOSTS")
        .env_remove("VIRTUAL_ENV")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

fn manage(p: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = python_command(p, "python");
    cmd.arg("manage.py").args(args).envs(env.iter().copied());
    cmd.output().unwrap()
}

fn assert_ok(out: &Output, what: &str) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process, stopped (SIGTERM, then SIGKILL) when dropped.
struct Server {
    child: Child,
    port: u16,
    name: String,
}

impl Server {
    fn start(mut cmd: Command, port: u16, name: &str) -> Server {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            port,
            name: name.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut err = String::new();
                let _ = server.child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("{name} exited before listening ({status}):\n{err}");
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// GET `path` with the given extra headers; returns (status, headers, body).
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            request.push_str("Host: 127.0.0.1\r\n");
        }
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{}: no status line in {head:?}", self.name));
        (status, head.to_owned(), body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runserver(p: &Project) -> Server {
    let port = free_port();
    let mut cmd = python_command(p, "python");
    cmd.args([
        "manage.py",
        "runserver",
        &format!("127.0.0.1:{port}"),
        "--noreload",
    ]);
    Server::start(cmd, port, "runserver")
}

fn gunicorn(p: &Project, env: &[(&str, &str)]) -> Server {
    gunicorn_with(p, env, &[])
}

fn gunicorn_with(p: &Project, env: &[(&str, &str)], args: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = python_command(p, "gunicorn");
    cmd.args([
        "mysite.wsgi:application",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--workers",
        "1",
    ])
    .args(args)
    .envs(env.iter().copied());
    Server::start(cmd, port, "gunicorn")
}

fn uvicorn(p: &Project) -> Server {
    let port = free_port();
    let mut cmd = python_command(p, "uvicorn");
    cmd.args([
        "mysite.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]);
    Server::start(cmd, port, "uvicorn")
}

fn assert_welcome_and_admin(server: &Server, what: &str) {
    let (status, _, body) = server.get("/", &[]);
    assert_eq!(status, 200, "{what}: {}: GET /", server.name);
    assert!(
        body.contains(WELCOME),
        "{what}: {}: GET / is not Django's welcome page:\n{body}",
        server.name
    );
    let (status, _, body) = server.get("/admin/login/", &[]);
    assert_eq!(status, 200, "{what}: {}: GET /admin/login/", server.name);
    assert!(
        body.contains("csrfmiddlewaretoken"),
        "{what}: {}: no login form",
        server.name
    );
}

/// `startapp blog` in the project (with `release_args`, or with `virtual_env` active), a Post
/// model, the app installed in `settings`; returns the text of the app's first migration.
fn add_blog_app(
    p: &Project,
    release_args: &[&str],
    virtual_env: Option<&Path>,
    settings: &str,
) -> String {
    let mut startapp = scaffold();
    if let Some(env) = virtual_env {
        startapp.env("VIRTUAL_ENV", env);
    }
    startapp
        .current_dir(&p.root)
        .args(["startapp", "blog", "-v", "0"])
        .args(release_args)
        .assert()
        .success();
    let settings = p.root.join(settings);
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(text.contains("INSTALLED_APPS = [\n"), "{text}");
    let text = text.replace("INSTALLED_APPS = [\n", "INSTALLED_APPS = [\n    'blog',\n");
    std::fs::write(&settings, text).unwrap();
    std::fs::write(
        p.root.join("blog/models.py"),
        "from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=200)\n",
    )
    .unwrap();
    let out = assert_ok(
        &manage(p, &["makemigrations", "blog"], &[]),
        "makemigrations",
    );
    assert!(out.contains("Create model Post"), "{out}");
    std::fs::read_to_string(p.root.join("blog/migrations/0001_initial.py")).unwrap()
}

// --- DEP 15: the project package is also an app -----------------------------------------------

#[test]
fn project_app_layout_checks_migrates_its_own_model_and_serves() {
    if python_opted_out("project_app_layout_checks_migrates_its_own_model_and_serves") {
        return;
    }
    // Every release on its own Django and interpreter, both settings layouts.
    for (django, settings) in DjangoVersion::generated()
        .iter()
        .copied()
        .flat_map(|d| [(d, "single"), (d, "split")])
    {
        let p = generate(django, &["--layout", "project-app", "--settings", settings]);
        let check = assert_ok(&manage(&p, &["check"], &[]), "manage.py check");
        assert!(check.contains(NO_ISSUES), "{django} {settings}: {check}");
        std::fs::write(
            p.root.join("mysite/models.py"),
            "from django.db import models\n\n\nclass Page(models.Model):\n    title = models.CharField(max_length=200)\n",
        )
        .unwrap();
        let out = assert_ok(
            &manage(&p, &["makemigrations", "mysite"], &[]),
            "makemigrations mysite",
        );
        assert!(
            out.contains("Create model Page"),
            "{django} {settings}: {out}"
        );
        assert!(p.root.join("mysite/migrations/0001_initial.py").is_file());
        let out = assert_ok(&manage(&p, &["migrate", "--noinput"], &[]), "migrate");
        assert!(
            out.contains("Applying mysite.0001_initial... OK"),
            "{django} {settings}: {out}"
        );
        assert_welcome_and_admin(&runserver(&p), &format!("{django} {settings}"));
    }
}

/// `startapp --register` (flat and nested) leaves a project whose apps Django loads and migrates,
/// with no manual edit; for single and split settings.
#[test]
fn registered_apps_load_and_migrate() {
    if python_opted_out("registered_apps_load_and_migrate") {
        return;
    }
    for (django, settings) in DjangoVersion::generated()
        .iter()
        .copied()
        .flat_map(|d| [(d, "single"), (d, "split")])
    {
        let p = generate(django, &["--settings", settings]);
        for (name, dir, label) in [("blog", None, "blog"), ("shop", Some("apps/shop"), "shop")] {
            let mut cmd = scaffold();
            cmd.current_dir(&p.root).args([
                "startapp",
                name,
                "--register",
                "--django",
                django.docs_version(),
                "-v",
                "0",
            ]);
            if let Some(dir) = dir {
                cmd.arg(dir);
            }
            cmd.assert().success();
            let models = p.root.join(dir.unwrap_or(name)).join("models.py");
            std::fs::write(
                models,
                "from django.db import models\n\n\nclass Item(models.Model):\n    title = models.CharField(max_length=200)\n",
            )
            .unwrap();
            let out = assert_ok(
                &manage(&p, &["makemigrations", label], &[]),
                "makemigrations",
            );
            assert!(
                out.contains("Create model Item"),
                "{django} {settings} {name}: {out}"
            );
        }
        let probe = "from django.apps import apps; print(apps.get_app_config('blog').name, apps.get_app_config('shop').name)";
        let out = assert_ok(&manage(&p, &["shell", "-c", probe], &[]), "app configs");
        assert!(out.contains("blog apps.shop"), "{django} {settings}: {out}");
        let out = assert_ok(&manage(&p, &["migrate", "--noinput"], &[]), "migrate");
        assert!(out.contains("Applying blog.0001_initial... OK"), "{out}");
        assert!(out.contains("Applying shop.0001_initial... OK"), "{out}");
    }
}

/// What Django loaded, asked through manage.py, wsgi.py and asgi.py in turn.
fn loaded_settings_modules(p: &Project, env: &[(&str, &str)]) -> Vec<String> {
    let probe = |program: &str, args: &[&str]| {
        let mut cmd = python_command(p, program);
        cmd.args(args).envs(env.iter().copied());
        assert_ok(&cmd.output().unwrap(), &format!("{args:?}"))
            .trim()
            .lines()
            .last()
            .unwrap()
            .to_owned()
    };
    let shell = "from django.conf import settings; print(settings.SETTINGS_MODULE)";
    vec![
        probe("python", &["manage.py", "shell", "-c", shell]),
        probe("python", &["-c", &format!("import mysite.wsgi; {shell}")]),
        probe("python", &["-c", &format!("import mysite.asgi; {shell}")]),
    ]
}

const PRODUCTION: &[(&str, &str)] = &[
    ("DJANGO_SETTINGS_MODULE", "mysite.settings.production"),
    ("DJANGO_SECRET_KEY", STRONG_KEY),
    ("DJANGO_ALLOWED_HOSTS", "example.com"),
];

/// Everything a release's projects must do on that release's own Django, for both settings
/// layouts: check, an app with a model migrates, runserver, gunicorn and uvicorn serve the
/// welcome page and the admin login; split production settings pass check --deploy.
fn release_runs_end_to_end(django: DjangoVersion) {
    let started = Instant::now();
    let venv = release_venv(django);
    let version = Command::new(venv.join("bin/python"))
        .args(["-m", "django", "--version"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with(&format!("{django}.")),
        "the {django} venv runs Django {version}"
    );
    for (layout, settings) in [
        ("single", "mysite/settings.py"),
        ("split", "mysite/settings/base.py"),
    ] {
        let what = format!("Django {django}, {layout} settings");
        let p = generate(django, &["--settings", layout]);
        let check = assert_ok(&manage(&p, &["check"], &[]), &format!("{what}: check"));
        assert!(check.contains(NO_ISSUES), "{what}: {check}");

        let migration = add_blog_app(&p, &["--django", django.docs_version()], None, settings);
        assert!(
            migration.contains("models.BigAutoField"),
            "{what}: {migration}"
        );
        let out = assert_ok(
            &manage(&p, &["migrate", "--noinput"], &[]),
            &format!("{what}: migrate"),
        );
        assert!(
            out.contains("Applying blog.0001_initial... OK"),
            "{what}: {out}"
        );
        assert!(
            p.root.join("db.sqlite3").is_file(),
            "{what}: the database belongs in the project root (BASE_DIR)"
        );

        assert_welcome_and_admin(&runserver(&p), &what);
        assert_welcome_and_admin(&gunicorn(&p, &[]), &what);
        assert_welcome_and_admin(&uvicorn(&p), &what);

        if layout == "split" {
            assert_eq!(
                loaded_settings_modules(&p, &[]),
                ["mysite.settings.development"; 3],
                "{what}"
            );
            let out = assert_ok(
                &manage(&p, &["check", "--deploy"], PRODUCTION),
                &format!("{what}: check --deploy"),
            );
            assert!(out.contains(NO_ISSUES), "{what}: {out}");
            // The development settings, by contrast, are flagged: the check is not vacuous.
            let dev = manage(&p, &["check", "--deploy"], &[]);
            let dev_text = String::from_utf8_lossy(&dev.stderr);
            assert!(
                dev_text.contains("security.W018"),
                "{what}: DEBUG on in development should be reported:\n{dev_text}"
            );
        }
    }
    eprintln!(
        "Django {django} end to end: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Every generated release of the table, each in a thread of its own (they wait on their own
/// venvs and servers), so that a new release is tested without a change here.
#[test]
fn every_generated_release_runs_end_to_end() {
    if python_opted_out("every_generated_release_runs_end_to_end") {
        return;
    }
    std::thread::scope(|scope| {
        let runs: Vec<_> = DjangoVersion::generated()
            .iter()
            .map(|&django| (django, scope.spawn(move || release_runs_end_to_end(django))))
            .collect();
        let failed: Vec<String> = runs
            .into_iter()
            .filter_map(|(django, run)| run.join().is_err().then(|| django.to_string()))
            .collect();
        assert!(
            failed.is_empty(),
            "end to end failed for Django {failed:?} (see above)"
        );
    });
}

/// The README's promise: the default output (no flags, no venv: the newest release) runs as
/// generated.
#[test]
fn default_project_shows_the_welcome_page() {
    if python_opted_out("default_project_shows_the_welcome_page") {
        return;
    }
    let p = generate_with(release_venv(DjangoVersion::NEWEST), &[], &[]);
    let settings = std::fs::read_to_string(p.root.join("mysite/settings.py")).unwrap();
    assert!(
        settings.contains(&format!(
            "using Django {}.",
            DjangoVersion::NEWEST.release()
        )),
        "{settings}"
    );
    assert_ok(&manage(&p, &["check"], &[]), "manage.py check");
    let (status, _, body) = runserver(&p).get("/", &[]);
    assert_eq!(status, 200);
    assert!(body.contains(WELCOME));
}

/// The issue that made --django default to the installed release: in a venv with Django 5.2,
/// `scaffold startproject mysite` without flags emits the 5.2 project, whose first model gets
/// BigAutoField (a 6.1 project there got AutoField and warning W042).
#[test]
fn venv_with_django_5_2_gets_the_5_2_project_without_flags() {
    if python_opted_out("venv_with_django_5_2_gets_the_5_2_project_without_flags") {
        return;
    }
    let venv = venv();
    let dir = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(dir.path())
        .env("VIRTUAL_ENV", venv)
        .args(["startproject", "mysite", "-v", "0"])
        .assert()
        .success();
    let p = Project {
        root: dir.path().join("mysite"),
        _dir: dir,
        venv,
    };
    let settings = std::fs::read_to_string(p.root.join("mysite/settings.py")).unwrap();
    assert!(
        settings.contains(&format!("using Django {}.", release("5.2").release())),
        "{settings}"
    );
    // The app is made from inside the project, with the venv active too.
    let migration = add_blog_app(&p, &[], Some(venv), "mysite/settings.py");
    assert!(migration.contains("models.BigAutoField"), "{migration}");
    let check = assert_ok(&manage(&p, &["check"], &[]), "check");
    assert!(check.contains(NO_ISSUES), "{check}");
}

#[test]
fn exported_settings_module_wins_over_the_wired_default() {
    if python_opted_out("exported_settings_module_wins_over_the_wired_default") {
        return;
    }
    let p = generate(release("5.2"), &[]);
    std::fs::write(
        p.root.join("mysite/other.py"),
        "from .settings import *  # noqa\n",
    )
    .unwrap();
    assert_eq!(loaded_settings_modules(&p, &[]), ["mysite.settings"; 3]);
    assert_eq!(
        loaded_settings_modules(&p, &[("DJANGO_SETTINGS_MODULE", "mysite.other")]),
        ["mysite.other"; 3]
    );
}

#[test]
fn split_production_under_gunicorn_redirects_to_https() {
    if python_opted_out("split_production_under_gunicorn_redirects_to_https") {
        return;
    }
    let p = generate(release("5.2"), &["--settings", "split"]);
    let host = [("Host", "example.com")];
    {
        // gunicorn itself trusts X-Forwarded-Proto from 127.0.0.1 by default; turned off here so
        // that what is tested is Django's own decision.
        let server = gunicorn_with(&p, PRODUCTION, &["--forwarded-allow-ips="]);
        let (status, head, _) = server.get("/admin/login/", &host);
        assert_eq!(status, 301, "{head}");
        assert!(
            head.contains("Location: https://example.com/admin/login/"),
            "{head}"
        );
        // X-Forwarded-Proto is not trusted unless DJANGO_SECURE_PROXY_SSL_HEADER says so.
        let (status, head, _) = server.get(
            "/admin/login/",
            &[("Host", "example.com"), ("X-Forwarded-Proto", "https")],
        );
        assert_eq!(status, 301, "{head}");
        // An unknown host is refused, not served.
        let (status, _, _) = server.get("/admin/login/", &[("Host", "evil.example")]);
        assert_eq!(status, 400);
    }
    assert_ok(
        &manage(&p, &["migrate", "--noinput"], PRODUCTION),
        "migrate",
    );
    let mut behind_proxy = PRODUCTION.to_vec();
    behind_proxy.push(("DJANGO_SECURE_PROXY_SSL_HEADER", "1"));
    let server = gunicorn(&p, &behind_proxy);
    let (status, head, body) = server.get(
        "/admin/login/",
        &[("Host", "example.com"), ("X-Forwarded-Proto", "https")],
    );
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.contains("Strict-Transport-Security: max-age=31536000; includeSubDomains; preload"),
        "{head}"
    );
}

#[test]
fn split_production_without_secret_key_fails_naming_it() {
    if python_opted_out("split_production_without_secret_key_fails_naming_it") {
        return;
    }
    let p = generate(release("5.2"), &["--settings", "split"]);
    let env = [
        ("DJANGO_SETTINGS_MODULE", "mysite.settings.production"),
        ("DJANGO_ALLOWED_HOSTS", "example.com"),
    ];
    let out = manage(&p, &["check"], &env);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ImproperlyConfigured: Set the DJANGO_SECRET_KEY environment variable"),
        "{stderr}"
    );

    let env = [
        ("DJANGO_SETTINGS_MODULE", "mysite.settings.production"),
        ("DJANGO_SECRET_KEY", STRONG_KEY),
    ];
    let out = manage(&p, &["check"], &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DJANGO_ALLOWED_HOSTS"));
}

// --- uWSGI and Apache mod_wsgi ------------------------------------------------------------------

/// The release run under uWSGI and mod_wsgi: the LTS, whose Pythons include the system's 3.11
/// that mod_wsgi runs the app with as root (see `wsgi_servers_python`).
const WSGI_SERVERS_RELEASE: &str = "5.2";

/// A venv with Django, uWSGI and mod_wsgi, both built from their PyPI sources (uWSGI needs a C
/// compiler and the Python's headers; mod_wsgi also needs Apache's `apxs` from apache2-dev):
/// built once per target/, then reused.
fn wsgi_servers_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let django = release(WSGI_SERVERS_RELEASE);
        let venv = support::cached_venv(
            "python-venv-wsgi-servers",
            &wsgi_servers_python(django),
            &[
                &format!("django=={}", django.release()),
                "uwsgi>=2.0.28,<2.1",
                "mod_wsgi>=5,<7",
            ],
        );
        assert!(
            !support::is_root() || reachable_by_others(&venv),
            "as root, mod_wsgi-express runs the app as nobody, who cannot enter {}: put target/ \
             where others may enter (CARGO_TARGET_DIR), or run the tests as another user",
            venv.display()
        );
        venv
    })
}

/// The Python of the uWSGI and mod_wsgi venv: the one `python_for` picks, unless the tests run
/// as root and it lies where nobody cannot read it (pyenv's under /root): Apache refuses to
/// serve as root, so mod_wsgi-express then runs the app as nobody, and the system's
/// /usr/bin/python3 is used instead.
fn wsgi_servers_python(django: DjangoVersion) -> PathBuf {
    let python = support::python_for(django);
    let prefix = Command::new(&python)
        .args(["-c", "import sys; print(sys.base_prefix)"])
        .output()
        .unwrap();
    let prefix = PathBuf::from(String::from_utf8_lossy(&prefix.stdout).trim());
    if !support::is_root() || reachable_by_others(&prefix) {
        return python;
    }
    let system = PathBuf::from("/usr/bin/python3");
    let supported = django.min_python()..=django.max_python();
    assert!(
        support::python_version(&system).is_some_and(|v| supported.contains(&v)),
        "as root, mod_wsgi-express runs the app as nobody, who cannot read {} under {}; the \
         system's /usr/bin/python3 (with python3-dev and python3-venv) in Django {django}'s range \
         is used instead, and there is none",
        python.display(),
        prefix.display()
    );
    system
}

/// Whether every directory down to `path` lets others through (mode o+x).
fn reachable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors().all(|dir| {
        std::fs::metadata(dir).is_ok_and(|m| !m.is_dir() || m.permissions().mode() & 0o001 != 0)
    })
}

/// A project generated for the uWSGI and mod_wsgi tests; its directory lets nobody in (mod_wsgi
/// as root).
fn generate_for_wsgi_servers(args: &[&str]) -> Project {
    use std::os::unix::fs::PermissionsExt;
    let p = generate_with(
        wsgi_servers_venv(),
        &["--django", WSGI_SERVERS_RELEASE],
        args,
    );
    let dir = p.root.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// uWSGI with its own HTTP router (`--http`), as its quickstart runs Django; `--die-on-term`
/// since SIGTERM otherwise reloads it.
fn uwsgi(p: &Project, env: &[(&str, &str)], args: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = python_command(p, "uwsgi");
    cmd.args(["--http", &format!("127.0.0.1:{port}")])
        .args(["--module", "mysite.wsgi:application", "--chdir"])
        .arg(&p.root)
        .arg("--home")
        .arg(p.venv)
        .args([
            "--master",
            "--processes",
            "1",
            "--die-on-term",
            "--need-app",
        ])
        .arg("--disable-logging")
        .args(args)
        .envs(env.iter().copied());
    Server::start(cmd, port, "uwsgi")
}

/// Apache with mod_wsgi through `mod_wsgi-express start-server`, its server root beside the
/// project; as root, the app runs as nobody (Apache refuses to serve as root).
fn mod_wsgi(p: &Project, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let server_root = p.root.with_file_name(format!("apache-{port}"));
    let mut cmd = python_command(p, "mod_wsgi-express");
    cmd.arg("start-server")
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--server-root")
        .arg(&server_root)
        .args([
            "--application-type",
            "module",
            "--entry-point",
            "mysite.wsgi",
        ])
        .arg("--working-directory")
        .arg(&p.root)
        .arg("--python-path")
        .arg(&p.root)
        .args(["--locale", "C.UTF-8", "--log-to-terminal"])
        .envs(env.iter().copied());
    if support::is_root() {
        let group = Command::new("id").args(["-gn", "nobody"]).output().unwrap();
        let group = String::from_utf8_lossy(&group.stdout).trim().to_owned();
        cmd.args(["--user", "nobody", "--group", &group]);
    }
    Server::start(cmd, port, "mod_wsgi-express")
}

/// The servers Django's deployment docs name beside gunicorn: uWSGI and Apache with mod_wsgi
/// serve the default project (welcome page and admin login), and split production settings
/// redirect to HTTPS, refuse unknown hosts and do not take a client's word for HTTPS.
#[test]
fn projects_run_under_uwsgi_and_mod_wsgi() {
    if python_opted_out("projects_run_under_uwsgi_and_mod_wsgi") {
        return;
    }
    let p = generate_for_wsgi_servers(&[]);
    assert_welcome_and_admin(&uwsgi(&p, &[], &[]), "default settings");
    assert_welcome_and_admin(&mod_wsgi(&p, &[]), "default settings");

    let p = generate_for_wsgi_servers(&["--settings", "split"]);
    assert_welcome_and_admin(&uwsgi(&p, &[], &[]), "split settings");
    assert_welcome_and_admin(&mod_wsgi(&p, &[]), "split settings");

    let host = ("Host", "example.com");
    let claims_https = [
        [host, ("X-Forwarded-Proto", "https")],
        [host, ("X-Forwarded-Ssl", "on")],
    ];
    let redirects = |server: &Server, headers: &[(&str, &str)]| {
        let (status, head, _) = server.get("/admin/login/", headers);
        assert_eq!(status, 301, "{}: {headers:?}:\n{head}", server.name);
        assert!(
            head.contains("Location: https://example.com/admin/login/"),
            "{}: {head}",
            server.name
        );
    };
    // uWSGI takes wsgi.url_scheme from any client's X-Forwarded-Proto (or X-Forwarded-Ssl), so
    // Django sees HTTPS without SECURE_PROXY_SSL_HEADER; `--route-run setscheme:http` (README)
    // stops it.
    {
        let server = uwsgi(&p, PRODUCTION, &[]);
        redirects(&server, &[host]);
        let (status, head, _) = server.get("/admin/login/", &claims_https[0]);
        assert_eq!(
            status, 200,
            "uWSGI no longer trusts X-Forwarded-Proto: the README's uWSGI note is out of date\n{head}"
        );
    }
    for server in [
        uwsgi(&p, PRODUCTION, &["--route-run", "setscheme:http"]),
        mod_wsgi(&p, PRODUCTION),
    ] {
        redirects(&server, &[host]);
        for headers in &claims_https {
            redirects(&server, headers);
        }
        let (status, _, _) = server.get("/admin/login/", &[("Host", "evil.example")]);
        assert_eq!(status, 400, "{}: unknown host", server.name);
    }

    // Behind a proxy that sets the header, Django is told to trust it, and both serve HTTPS.
    let mut behind_proxy = PRODUCTION.to_vec();
    behind_proxy.push(("DJANGO_SECURE_PROXY_SSL_HEADER", "1"));
    for server in [
        uwsgi(&p, &behind_proxy, &["--route-run", "setscheme:http"]),
        mod_wsgi(&p, &behind_proxy),
    ] {
        let (status, head, body) = server.get("/admin/login/", &claims_https[0]);
        assert_eq!(status, 200, "{}: {head}\n{body}", server.name);
        assert!(
            head.contains(
                "Strict-Transport-Security: max-age=31536000; includeSubDomains; preload"
            ),
            "{}: {head}",
            server.name
        );
    }
}
