//! `--template` from archives (every format, built here) and from URLs (a real HTTP server on
//! 127.0.0.1), and hostile ones refused with nothing touched.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{self, listing, scaffold};

/// The template every archive holds: (path, content, mode).
const FILES: &[(&str, &[u8], u32)] = &[
    ("app_name/__init__.py-tpl", b"", 0o644),
    (
        "app_name/apps.py-tpl",
        b"class {{ camel_case_app_name }}Config:\n    name = '{{ app_name }}'\n",
        0o644,
    ),
    (
        "app_name/static/logo.bin",
        &[0, 1, 2, 255, 254, b'{', b'{'],
        0o644,
    ),
    (
        "manage.py-tpl",
        b"#!/usr/bin/env python\n# {{ app_name }}\n",
        0o755,
    ),
    ("notes.txt", b"{{ app_name }} stays\n", 0o644),
];

fn expected_tree() -> BTreeMap<String, (String, Vec<u8>)> {
    let mut t = BTreeMap::new();
    t.insert("blog".into(), ("dir 755".into(), vec![]));
    t.insert("blog/static".into(), ("dir 755".into(), vec![]));
    t.insert("blog/__init__.py".into(), ("file 644".into(), vec![]));
    t.insert(
        "blog/apps.py".into(),
        (
            "file 644".into(),
            b"class BlogConfig:\n    name = 'blog'\n".to_vec(),
        ),
    );
    t.insert(
        "blog/static/logo.bin".into(),
        ("file 644".into(), vec![0, 1, 2, 255, 254, b'{', b'{']),
    );
    t.insert(
        "manage.py".into(),
        (
            "file 755".into(),
            b"#!/usr/bin/env python\n# blog\n".to_vec(),
        ),
    );
    t.insert(
        "notes.txt".into(),
        ("file 644".into(), b"{{ app_name }} stays\n".to_vec()),
    );
    t
}

fn zip_bytes(prefix: &str, files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, content, mode) in files {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(format!("{prefix}{path}"), options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn tar_bytes(prefix: &str, files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, content, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(*mode);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{prefix}{path}"), *content)
            .unwrap();
    }
    tar.into_inner().unwrap()
}

fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    match kind {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "xz" => {
            let mut e = xz2::write::XzEncoder::new(Vec::new(), 1);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        _ => data.to_vec(),
    }
}

/// The archive named `name`, its format taken from the name.
fn archive(name: &str, prefix: &str, files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    if name.ends_with(".zip") {
        return zip_bytes(prefix, files);
    }
    let tar = tar_bytes(prefix, files);
    let compression = [
        (".gz", "gz"),
        (".tgz", "gz"),
        (".bz2", "bz2"),
        (".tbz2", "bz2"),
        (".xz", "xz"),
        (".txz", "xz"),
    ]
    .iter()
    .find(|(ext, _)| name.ends_with(ext))
    .map_or("none", |(_, c)| c);
    compress(compression, &tar)
}

#[test]
fn every_archive_format_unpacks_with_or_without_a_leading_directory() {
    let names = [
        "t.zip",
        "t.tar",
        "t.tar.gz",
        "t.tgz",
        "t.tar.bz2",
        "t.tbz2",
        "t.tar.xz",
        "t.txz",
    ];
    for name in names {
        for prefix in ["blog-template-main/", "", "./"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            fs::write(&path, archive(name, prefix, FILES)).unwrap();
            let work = tempfile::tempdir().unwrap();
            scaffold()
                .current_dir(work.path())
                .args(["startapp", "blog", "--template"])
                .arg(&path)
                .assert()
                .success();
            assert_eq!(
                listing(&work.path().join("blog")),
                expected_tree(),
                "{name} with prefix {prefix:?}"
            );
        }
    }
}

/// Runs scaffold in a fresh sandbox (cwd, HOME and TMPDIR inside it) and checks that it fails
/// and that nothing in the sandbox changed: no target, no leftover workspace, no escaped file.
fn refused_in_sandbox(template: &Path, extra: &[&str]) -> String {
    let sandbox = tempfile::tempdir().unwrap();
    let work = sandbox.path().join("work");
    let tmp = sandbox.path().join("tmp");
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&tmp).unwrap();
    let before = listing(sandbox.path());
    let passwd_before = fs::read("/etc/passwd").ok();
    let out = scaffold()
        .current_dir(&work)
        .env("TMPDIR", &tmp)
        .env("HOME", sandbox.path())
        .args(["startapp", "blog", "--template"])
        .arg(template)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(
        listing(sandbox.path()),
        before,
        "the sandbox changed: {stderr}"
    );
    assert_eq!(fs::read("/etc/passwd").ok(), passwd_before);
    stderr
}

/// A tar with one raw header whose name is written as is (tar::Builder refuses bad names).
fn raw_tar_entry(name: &str, kind: tar::EntryType, link: Option<&str>, content: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_old();
    {
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
    }
    header.set_entry_type(kind);
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(&[0; 1024]);
    out
}

#[test]
fn hostile_archives_are_refused_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let escape_target = dir.path().join("escaped.py");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "slip.zip",
            zip_bytes(
                "",
                &[("ok.py", b"", 0o644), ("../../escaped.py", b"x", 0o644)],
            ),
            "leaves the archive",
        ),
        (
            "abs.tar",
            raw_tar_entry(
                &escape_target.to_string_lossy(),
                tar::EntryType::Regular,
                None,
                b"x",
            ),
            "absolute path",
        ),
        (
            "dotdot.tar",
            raw_tar_entry("t/../../escaped.py", tar::EntryType::Regular, None, b"x"),
            "leaves the archive",
        ),
        (
            "link.tar",
            raw_tar_entry(
                "t/passwd",
                tar::EntryType::Symlink,
                Some("/etc/passwd"),
                b"",
            ),
            "symbolic link",
        ),
        (
            "hard.tar",
            raw_tar_entry("t/passwd", tar::EntryType::Link, Some("/etc/passwd"), b""),
            "hard link",
        ),
        (
            "fifo.tar",
            raw_tar_entry("t/fifo", tar::EntryType::Fifo, None, b""),
            "not a file or directory",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let stderr = refused_in_sandbox(&path, &[]);
        assert!(
            stderr.contains("refusing template") && stderr.contains(expected),
            "{name}: {stderr}"
        );
        assert!(!escape_target.exists(), "{name} escaped");
    }

    // A zip symlink entry.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_symlink(
        "t/passwd",
        "/etc/passwd",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    let path = dir.path().join("link.zip");
    fs::write(&path, zip.finish().unwrap().into_inner()).unwrap();
    assert!(refused_in_sandbox(&path, &[]).contains("symbolic link"));
}

#[test]
fn decompression_bombs_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 8 << 20];
    let files: &[(&str, &[u8], u32)] = &[("t/a.py", b"", 0o644), ("t/bomb.bin", &zeros, 0o644)];
    for name in ["bomb.tar.gz", "bomb.tar.xz", "bomb.zip"] {
        let path = dir.path().join(name);
        let bytes = archive(name, "", files);
        assert!(bytes.len() < 200_000, "{name} should compress well");
        fs::write(&path, bytes).unwrap();
        let stderr = refused_in_sandbox(&path, &["--max-template-size", "4M"]);
        assert!(
            stderr.contains("larger than the limit of 4 MiB"),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("--max-template-size"), "{stderr}");
        // Under a higher limit the same archive is fine.
        let work = tempfile::tempdir().unwrap();
        scaffold()
            .current_dir(work.path())
            .args([
                "startapp",
                "blog",
                "--max-template-size",
                "9M",
                "--template",
            ])
            .arg(&path)
            .assert()
            .success();
        assert_eq!(
            fs::metadata(work.path().join("blog/bomb.bin"))
                .unwrap()
                .len(),
            8 << 20
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP server on 127.0.0.1, one thread per connection.

/// A path, the response headers, the body.
type Route = (&'static str, Vec<(String, String)>, Vec<u8>);

struct Server {
    base: String,
    user_agents: Arc<Mutex<Vec<String>>>,
}

fn serve(routes: Vec<Route>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let user_agents = Arc::new(Mutex::new(Vec::new()));
    let agents = Arc::clone(&user_agents);
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = Arc::clone(&routes);
            let agents = Arc::clone(&agents);
            std::thread::spawn(move || respond(stream, &routes, &agents));
        }
    });
    Server { base, user_agents }
}

fn respond(mut stream: TcpStream, routes: &[Route], agents: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("user-agent") {
                agents.lock().unwrap().push(v.trim().to_owned());
            }
        }
    }
    if path == "/hang" {
        std::thread::sleep(Duration::from_secs(20));
        return;
    }
    let Some((_, headers, body)) = routes.iter().find(|(p, _, _)| *p == path) else {
        let _ = stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        );
        return;
    };
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    if path.starts_with("/slow/") {
        // A second for the whole body, as over a slow link.
        for piece in body.chunks(body.len().div_ceil(10).max(1)) {
            let _ = stream.write_all(piece);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(100));
        }
    } else {
        let _ = stream.write_all(body);
    }
    let _ = stream.flush();
    let _ = stream.read(&mut [0; 1]);
}

fn header(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[test]
fn urls_are_downloaded_and_named_by_url_disposition_or_type() {
    let tgz = archive("t.tar.gz", "blog-main/", FILES);
    let zip = zip_bytes("", FILES);
    let octet = header("Content-Type", "application/octet-stream");
    let server = serve(vec![
        ("/releases/t.tar.gz", vec![octet.clone()], tgz.clone()),
        ("/releases/t.zip", vec![octet.clone()], zip.clone()),
        ("/releases/t.zip/", vec![octet.clone()], zip.clone()),
        (
            "/download",
            vec![
                octet.clone(),
                header(
                    "Content-Disposition",
                    "attachment; filename=\"blog.tar.gz\"",
                ),
            ],
            tgz,
        ),
        (
            "/typed",
            vec![header("Content-Type", "application/zip")],
            zip.clone(),
        ),
        ("/untyped", vec![octet], zip),
    ]);
    for route in [
        "/releases/t.tar.gz",
        "/releases/t.zip/",
        "/download",
        "/typed",
    ] {
        let work = tempfile::tempdir().unwrap();
        scaffold()
            .current_dir(work.path())
            .args(["startapp", "blog", "--template"])
            .arg(format!("{}{route}", server.base))
            .assert()
            .success();
        assert_eq!(
            listing(&work.path().join("blog")),
            expected_tree(),
            "{route}"
        );
    }
    let agents = server.user_agents.lock().unwrap().clone();
    assert!(
        !agents.is_empty()
            && agents
                .iter()
                .all(|a| *a == format!("scaffold/{}", env!("CARGO_PKG_VERSION"))),
        "{agents:?}"
    );

    let stderr = refused_in_sandbox(Path::new(&format!("{}/untyped", server.base)), &[]);
    assert!(stderr.contains("cannot tell the archive type"), "{stderr}");
}

/// On a terminal a download shows a progress bar (bytes of the total, the rate) on stderr,
/// cleared before the summary; off a terminal, or with -v 0, nothing at all: the output is
/// django-admin's, as before the bar.
#[test]
fn a_download_shows_a_progress_bar_only_on_a_terminal() {
    let tgz = archive("t.tar.gz", "blog-main/", FILES);
    assert!(
        tgz.len() < 1000,
        "indicatif shows {} bytes as kB",
        tgz.len()
    );
    let server = serve(vec![("/slow/t.tar.gz", vec![], tgz.clone())]);
    let url = format!("{}/slow/t.tar.gz", server.base);

    let work = tempfile::tempdir().unwrap();
    let (status, text) =
        support::on_terminal(work.path(), None, &["startapp", "blog", "--template", &url]);
    assert_eq!(status, Some(0), "{text}");
    let (bar, after) = text
        .rsplit_once("\x1b[2K")
        .unwrap_or_else(|| panic!("no bar drawn and cleared: {text:?}"));
    assert!(
        bar.contains("Downloading") && bar.contains(&format!("/{} B ", tgz.len())),
        "no bar with bytes of the total: {text:?}"
    );
    assert!(bar.contains("B/s"), "no rate: {text:?}");
    assert!(after.starts_with("Created app 'blog'"), "{text:?}");
    assert_eq!(listing(&work.path().join("blog")), expected_tree());

    let work = tempfile::tempdir().unwrap();
    let quiet = ["startapp", "blog", "-v", "0", "--template", &url];
    assert_eq!(
        support::on_terminal(work.path(), None, &quiet),
        (Some(0), String::new())
    );
    assert_eq!(listing(&work.path().join("blog")), expected_tree());

    let work = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(work.path())
        .args(["startapp", "blog", "--template", &url])
        .assert()
        .success()
        .stdout("")
        .stderr("");
    assert_eq!(listing(&work.path().join("blog")), expected_tree());
}

#[test]
fn url_failures_are_refused_cleanly() {
    let big = vec![7u8; 64 * 1024];
    let server = serve(vec![("/big.zip", vec![], big)]);
    let stderr = refused_in_sandbox(Path::new(&format!("{}/missing.zip", server.base)), &[]);
    assert!(
        stderr.contains("couldn't download") && stderr.contains("404"),
        "{stderr}"
    );

    let stderr = refused_in_sandbox(
        Path::new(&format!("{}/big.zip", server.base)),
        &["--max-template-size", "16K"],
    );
    assert!(
        stderr.contains("larger than the limit of 16 KiB"),
        "{stderr}"
    );

    let started = Instant::now();
    let stderr = refused_in_sandbox(
        Path::new(&format!("{}/hang", server.base)),
        &["--timeout", "1"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(stderr.contains("no complete answer within 1 s"), "{stderr}");
    assert!(
        stderr.contains("hint: allow more time with --timeout"),
        "{stderr}"
    );

    let stderr = refused_in_sandbox(Path::new("ftp://127.0.0.1/t.zip"), &[]);
    assert!(stderr.contains("only http and https"), "{stderr}");
}

#[test]
fn dry_run_reports_an_archive_template_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.tar.xz");
    fs::write(&path, archive("t.tar.xz", "t/", FILES)).unwrap();
    let json_text = {
        let sandbox = tempfile::tempdir().unwrap();
        let before = listing(sandbox.path());
        let out = scaffold()
            .current_dir(sandbox.path())
            .env("TMPDIR", sandbox.path())
            .args([
                "startapp",
                "blog",
                "--dry-run",
                "--output-format",
                "json",
                "--template",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            listing(sandbox.path()),
            before,
            "a dry run writes nothing and cleans up"
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    let files = json["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "blog/__init__.py",
            "blog/apps.py",
            "blog/static/logo.bin",
            "manage.py",
            "notes.txt"
        ]
    );
    assert_eq!(files[2]["size"], 7);
}
