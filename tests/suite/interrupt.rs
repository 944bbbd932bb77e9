//! Interrupts: Ctrl-C (SIGINT) during a long step gives up cleanly (status 1, one error line,
//! nothing left behind, temporary files included); a second one ends the process at once.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{listing, scaffold_path};

/// A server on 127.0.0.1 that answers with the headers of a large zip and then sends its body
/// one byte every 50 ms (`trickle`), or nothing at all. Counts the body bytes sent.
fn slow_server(trickle: bool) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sent);
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 1000000\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            if trickle {
                if stream
                    .write_all(b"x")
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    (port, sent)
}

fn start(work: &Path, tmp: &Path, port: u16) -> Child {
    Command::new(scaffold_path())
        .current_dir(work)
        .env("TMPDIR", tmp)
        .args(["startproject", "mysite", "--timeout", "60", "--template"])
        .arg(format!("http://127.0.0.1:{port}/template.zip"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn interrupt(child: &Child) {
    // SAFETY: kill only sends a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
}

/// Waits at most `limit` for the child; returns its status code and stderr.
fn wait(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return (status.code(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("scaffold did not stop within {limit:?} of the interrupt");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_during_a_download_gives_up_and_leaves_nothing() {
    let work = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (port, sent) = slow_server(true);
    let child = start(work.path(), tmp.path(), port);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent.load(Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    interrupt(&child);
    let (code, stderr) = wait(child, Duration::from_secs(10));
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr, "error: interrupted; nothing was written\n");
    assert!(
        listing(work.path()).is_empty(),
        "the target directory is untouched"
    );
    assert!(
        listing(tmp.path()).is_empty(),
        "the download's temporary directory is removed"
    );
}

#[test]
fn a_second_ctrl_c_ends_a_blocked_download_at_once() {
    let work = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (port, _) = slow_server(false);
    let child = start(work.path(), tmp.path(), port);
    // Until the request has been answered, the process is blocked in a read.
    std::thread::sleep(Duration::from_millis(500));
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(200));
    interrupt(&child);
    let (code, _) = wait(child, Duration::from_secs(5));
    assert_eq!(code, Some(128 + libc::SIGINT));
    assert!(listing(work.path()).is_empty());
}

#[test]
fn ctrl_c_during_a_long_render_gives_up_at_once() {
    let work = tempfile::tempdir().unwrap();
    let template = tempfile::tempdir().unwrap();
    // Loops that print nothing: billions of steps and no output to hit a limit with.
    std::fs::write(
        template.path().join("slow.py"),
        "{% for a in secret_key %}{% for b in secret_key %}{% for c in secret_key %}\
         {% for d in secret_key %}{% for e in secret_key %}{% for f in secret_key %}\
         {% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let child = Command::new(scaffold_path())
        .current_dir(work.path())
        .args(["startproject", "mysite", "--template"])
        .arg(template.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let signalled = Instant::now();
    interrupt(&child);
    let (code, stderr) = wait(child, Duration::from_secs(5));
    // 0.2 s is the aim; allow for a loaded test machine.
    assert!(
        signalled.elapsed() < Duration::from_secs(1),
        "{:?}",
        signalled.elapsed()
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr, "error: interrupted; nothing was written\n");
    assert!(listing(work.path()).is_empty());
}
