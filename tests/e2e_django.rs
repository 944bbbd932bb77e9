//! End to end with real Django 5.2 LTS: generated projects pass `check`, migrate, and answer real
//! requests on 127.0.0.1 under runserver, gunicorn and uvicorn; settings modules are wired right.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{python_opted_out, scaffold, venv, venv_bin};

const WELCOME: &str = "The install worked successfully! Congratulations!";
const NO_ISSUES: &str = "System check identified no issues (0 silenced).";
/// A key that passes check --deploy: long, varied, without the insecure prefix.
const STRONG_KEY: &str = "q9v!w2x@e3r#t4y$u5i%o6p^a7s&d8f*g9h(j0k)l-z_x=c+v1b2n3m4Q5W6E7R8T9";

/// A generated project in a temporary directory.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn generate(args: &[&str]) -> Project {
    let dir = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(dir.path())
        .args(["startproject", "mysite", "-v", "0"])
        .args(args)
        .assert()
        .success();
    let root = dir.path().join("mysite");
    Project { _dir: dir, root }
}

/// A command in the venv, run from the project, with no DJANGO_SETTINGS_MODULE from outside.
fn python_command(project: &Path, program: &str) -> Command {
    let mut cmd = Command::new(venv_bin(program));
    cmd.current_dir(project)
        .env_remove("DJANGO_SETTINGS_MODULE")
        .env_remove("DJANGO_SECRET_KEY")
        .env_remove("DJANGO_ALLOWED_HOSTS")
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", venv().join("bin").display()),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

fn manage(project: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = python_command(project, "python");
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

fn runserver(project: &Path) -> Server {
    let port = free_port();
    let mut cmd = python_command(project, "python");
    cmd.args([
        "manage.py",
        "runserver",
        &format!("127.0.0.1:{port}"),
        "--noreload",
    ]);
    Server::start(cmd, port, "runserver")
}

fn gunicorn(project: &Path, env: &[(&str, &str)]) -> Server {
    gunicorn_with(project, env, &[])
}

fn gunicorn_with(project: &Path, env: &[(&str, &str)], args: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = python_command(project, "gunicorn");
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

fn uvicorn(project: &Path) -> Server {
    let port = free_port();
    let mut cmd = python_command(project, "uvicorn");
    cmd.args([
        "mysite.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]);
    Server::start(cmd, port, "uvicorn")
}

fn assert_welcome_and_admin(server: &Server) {
    let (status, _, body) = server.get("/", &[]);
    assert_eq!(status, 200, "{}: GET /", server.name);
    assert!(
        body.contains(WELCOME),
        "{}: GET / is not Django's welcome page:\n{body}",
        server.name
    );
    let (status, _, body) = server.get("/admin/login/", &[]);
    assert_eq!(status, 200, "{}: GET /admin/login/", server.name);
    assert!(
        body.contains("csrfmiddlewaretoken"),
        "{}: no login form",
        server.name
    );
}

#[test]
fn project_runs_under_runserver_gunicorn_and_uvicorn() {
    if python_opted_out("project_runs_under_runserver_gunicorn_and_uvicorn") {
        return;
    }
    let p = generate(&["--django", "5.2"]);
    let check = assert_ok(&manage(&p.root, &["check"], &[]), "manage.py check");
    assert!(check.contains(NO_ISSUES), "{check}");
    assert_ok(
        &manage(&p.root, &["migrate", "--noinput"], &[]),
        "manage.py migrate",
    );
    assert!(
        p.root.join("db.sqlite3").is_file(),
        "migrate created no database"
    );

    assert_welcome_and_admin(&runserver(&p.root));
    assert_welcome_and_admin(&gunicorn(&p.root, &[]));
    assert_welcome_and_admin(&uvicorn(&p.root));
}

/// The README's promise: the default output (newest Django templates) runs as generated.
#[test]
fn default_project_shows_the_welcome_page() {
    if python_opted_out("default_project_shows_the_welcome_page") {
        return;
    }
    let p = generate(&[]);
    assert_ok(&manage(&p.root, &["check"], &[]), "manage.py check");
    let (status, _, body) = runserver(&p.root).get("/", &[]);
    assert_eq!(status, 200);
    assert!(body.contains(WELCOME));
}

#[test]
fn startapp_with_a_model_migrates() {
    if python_opted_out("startapp_with_a_model_migrates") {
        return;
    }
    let p = generate(&["--django", "5.2"]);
    scaffold()
        .current_dir(&p.root)
        .args(["startapp", "blog", "--django", "5.2", "-v", "0"])
        .assert()
        .success();
    let settings = p.root.join("mysite/settings.py");
    let text = std::fs::read_to_string(&settings).unwrap();
    let text = text.replace("INSTALLED_APPS = [\n", "INSTALLED_APPS = [\n    'blog',\n");
    std::fs::write(&settings, text).unwrap();
    std::fs::write(
        p.root.join("blog/models.py"),
        "from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=200)\n",
    )
    .unwrap();
    let out = assert_ok(
        &manage(&p.root, &["makemigrations", "blog"], &[]),
        "makemigrations",
    );
    assert!(out.contains("Create model Post"), "{out}");
    assert!(p.root.join("blog/migrations/0001_initial.py").is_file());
    let out = assert_ok(&manage(&p.root, &["migrate", "--noinput"], &[]), "migrate");
    assert!(out.contains("Applying blog.0001_initial... OK"), "{out}");
}

// --- DEP 15: the project package is also an app -----------------------------------------------

#[test]
fn project_app_layout_checks_migrates_its_own_model_and_serves() {
    if python_opted_out("project_app_layout_checks_migrates_its_own_model_and_serves") {
        return;
    }
    for settings in ["single", "split"] {
        let p = generate(&[
            "--django",
            "5.2",
            "--layout",
            "project-app",
            "--settings",
            settings,
        ]);
        let check = assert_ok(&manage(&p.root, &["check"], &[]), "manage.py check");
        assert!(check.contains(NO_ISSUES), "{settings}: {check}");
        std::fs::write(
            p.root.join("mysite/models.py"),
            "from django.db import models\n\n\nclass Page(models.Model):\n    title = models.CharField(max_length=200)\n",
        )
        .unwrap();
        let out = assert_ok(
            &manage(&p.root, &["makemigrations", "mysite"], &[]),
            "makemigrations mysite",
        );
        assert!(out.contains("Create model Page"), "{settings}: {out}");
        assert!(p.root.join("mysite/migrations/0001_initial.py").is_file());
        let out = assert_ok(&manage(&p.root, &["migrate", "--noinput"], &[]), "migrate");
        assert!(
            out.contains("Applying mysite.0001_initial... OK"),
            "{settings}: {out}"
        );
        assert_welcome_and_admin(&runserver(&p.root));
    }
}

/// `startapp --register` (flat and nested) leaves a project whose apps Django loads and migrates,
/// with no manual edit; for single and split settings.
#[test]
fn registered_apps_load_and_migrate() {
    if python_opted_out("registered_apps_load_and_migrate") {
        return;
    }
    for settings in ["single", "split"] {
        let p = generate(&["--django", "5.2", "--settings", settings]);
        for (name, dir, label) in [("blog", None, "blog"), ("shop", Some("apps/shop"), "shop")] {
            let mut cmd = scaffold();
            cmd.current_dir(&p.root).args([
                "startapp",
                name,
                "--register",
                "--django",
                "5.2",
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
                &manage(&p.root, &["makemigrations", label], &[]),
                "makemigrations",
            );
            assert!(
                out.contains("Create model Item"),
                "{settings} {name}: {out}"
            );
        }
        let probe = "from django.apps import apps; print(apps.get_app_config('blog').name, apps.get_app_config('shop').name)";
        let out = assert_ok(
            &manage(&p.root, &["shell", "-c", probe], &[]),
            "app configs",
        );
        assert!(out.contains("blog apps.shop"), "{settings}: {out}");
        let out = assert_ok(&manage(&p.root, &["migrate", "--noinput"], &[]), "migrate");
        assert!(out.contains("Applying blog.0001_initial... OK"), "{out}");
        assert!(out.contains("Applying shop.0001_initial... OK"), "{out}");
    }
}

/// What Django loaded, asked through manage.py, wsgi.py and asgi.py in turn.
fn loaded_settings_modules(project: &Path, env: &[(&str, &str)]) -> Vec<String> {
    let probe = |program: &str, args: &[&str]| {
        let mut cmd = python_command(project, program);
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

#[test]
fn exported_settings_module_wins_over_the_wired_default() {
    if python_opted_out("exported_settings_module_wins_over_the_wired_default") {
        return;
    }
    let p = generate(&["--django", "5.2"]);
    std::fs::write(
        p.root.join("mysite/other.py"),
        "from .settings import *  # noqa\n",
    )
    .unwrap();
    assert_eq!(
        loaded_settings_modules(&p.root, &[]),
        ["mysite.settings"; 3]
    );
    assert_eq!(
        loaded_settings_modules(&p.root, &[("DJANGO_SETTINGS_MODULE", "mysite.other")]),
        ["mysite.other"; 3]
    );
}

// --- the split settings layout (SPEC 7) -------------------------------------------------------

const PRODUCTION: &[(&str, &str)] = &[
    ("DJANGO_SETTINGS_MODULE", "mysite.settings.production"),
    ("DJANGO_SECRET_KEY", STRONG_KEY),
    ("DJANGO_ALLOWED_HOSTS", "example.com"),
];

#[test]
fn split_settings_default_to_development_and_run() {
    if python_opted_out("split_settings_default_to_development_and_run") {
        return;
    }
    let p = generate(&["--django", "5.2", "--settings", "split"]);
    assert_eq!(
        loaded_settings_modules(&p.root, &[]),
        ["mysite.settings.development"; 3]
    );
    let check = assert_ok(&manage(&p.root, &["check"], &[]), "check");
    assert!(check.contains(NO_ISSUES), "{check}");
    assert_ok(&manage(&p.root, &["migrate", "--noinput"], &[]), "migrate");
    assert!(
        p.root.join("db.sqlite3").is_file(),
        "BASE_DIR must still be the project root"
    );
    assert_welcome_and_admin(&runserver(&p.root));
}

#[test]
fn split_production_settings_pass_check_deploy() {
    if python_opted_out("split_production_settings_pass_check_deploy") {
        return;
    }
    let p = generate(&["--django", "5.2", "--settings", "split"]);
    let out = assert_ok(
        &manage(&p.root, &["check", "--deploy"], PRODUCTION),
        "check --deploy",
    );
    assert!(out.contains(NO_ISSUES), "{out}");

    // The development settings, by contrast, are flagged: the check is not vacuous.
    let dev = manage(&p.root, &["check", "--deploy"], &[]);
    let dev_text = String::from_utf8_lossy(&dev.stderr);
    assert!(
        dev_text.contains("security.W018"),
        "DEBUG on in development should be reported:\n{dev_text}"
    );
}

#[test]
fn split_production_under_gunicorn_redirects_to_https() {
    if python_opted_out("split_production_under_gunicorn_redirects_to_https") {
        return;
    }
    let p = generate(&["--django", "5.2", "--settings", "split"]);
    let host = [("Host", "example.com")];
    {
        // gunicorn itself trusts X-Forwarded-Proto from 127.0.0.1 by default; turned off here so
        // that what is tested is Django's own decision.
        let server = gunicorn_with(&p.root, PRODUCTION, &["--forwarded-allow-ips="]);
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
        &manage(&p.root, &["migrate", "--noinput"], PRODUCTION),
        "migrate",
    );
    let mut behind_proxy = PRODUCTION.to_vec();
    behind_proxy.push(("DJANGO_SECURE_PROXY_SSL_HEADER", "1"));
    let server = gunicorn(&p.root, &behind_proxy);
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
    let p = generate(&["--django", "5.2", "--settings", "split"]);
    let env = [
        ("DJANGO_SETTINGS_MODULE", "mysite.settings.production"),
        ("DJANGO_ALLOWED_HOSTS", "example.com"),
    ];
    let out = manage(&p.root, &["check"], &env);
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
    let out = manage(&p.root, &["check"], &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DJANGO_ALLOWED_HOSTS"));
}
