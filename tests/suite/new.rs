//! `scaffold new`: driven through a real pseudo-terminal (tmux, on a private socket) to a
//! finished project, and refused without a terminal when an answer is missing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{listing, python_opted_out, scaffold, scaffold_path, venv_bin};

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, command: &str) -> Tmux {
        let socket = format!("scaffold-test-{}", std::process::id());
        let tmux = Tmux { socket };
        let status = Command::new("tmux")
            .args([
                "-L",
                &tmux.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "50",
            ])
            .arg("-c")
            .arg(dir)
            .arg(command)
            .status()
            .expect("these tests need tmux on PATH");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} on the screen within 20 s:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", key])
                .status()
                .unwrap();
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn new_on_a_terminal_asks_and_creates_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "TERM=xterm '{}' new; echo EXIT=$?; sleep 60",
        scaffold_path().display()
    );
    let tmux = Tmux::start(dir.path(), &command);
    tmux.wait_for("Project name");
    // An invalid name is refused and asked again.
    tmux.keys(&["my-site", "Enter"]);
    tmux.wait_for("is not a valid project name");
    tmux.keys(&["C-u", "mysite", "Enter"]);
    tmux.wait_for("Layout");
    tmux.keys(&["Down", "Enter"]); // project-app
    tmux.wait_for("Settings");
    tmux.keys(&["Down", "Enter"]); // split
    tmux.wait_for("Add pyproject.toml");
    tmux.keys(&["y"]);
    tmux.wait_for("Django release");
    tmux.keys(&["Up", "Up", "Enter"]); // from the default (newest) up to 5.2
    let screen = tmux.wait_for("Create it?");
    assert!(screen.contains("mysite/mysite/apps.py"), "{screen}");
    assert!(screen.contains("mysite/pyproject.toml"), "{screen}");
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    // The summary's lines are lines on the terminal, not escaped `\n`s on one line.
    assert!(
        screen.lines().any(|l| l.starts_with("Next: cd mysite")),
        "{screen}"
    );
    assert!(!screen.contains("\\n"), "{screen}");

    let root = dir.path().join("mysite");
    let settings = std::fs::read_to_string(root.join("mysite/settings/base.py")).unwrap();
    assert!(settings.contains("    'mysite',\n]"), "{settings}");
    let pyproject = std::fs::read_to_string(root.join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("\"Django~=5.2.0\""), "{pyproject}");
    assert!(root.join(".env.example").is_file());

    if python_opted_out("new_on_a_terminal_asks_and_creates_the_project (manage.py check)") {
        return;
    }
    let out = Command::new(venv_bin("python"))
        .current_dir(&root)
        .args(["manage.py", "check"])
        .env_remove("DJANGO_SETTINGS_MODULE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn new_without_a_terminal_names_the_missing_flags_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = scaffold()
        .current_dir(dir.path())
        .args(["new", "mysite", "--layout", "classic"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "these answers are missing: --settings, --project-files or --no-project-files"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("NAME,"), "{stderr}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn new_with_every_flag_needs_no_terminal() {
    let dir = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(dir.path())
        .args([
            "new",
            "mysite",
            "--layout",
            "project-app",
            "--settings",
            "single",
            "--no-project-files",
            "--django",
            "6.0",
        ])
        .assert()
        .success();
    let root = dir.path().join("mysite");
    assert!(root.join("mysite/models.py").is_file());
    assert!(!root.join("pyproject.toml").exists());
    let settings = std::fs::read_to_string(root.join("mysite/settings.py")).unwrap();
    assert!(settings.contains("using Django 6.0"), "{settings}");
}
