//! A template download whose Content-Disposition file name is not a plain file name (a path,
//! `..`, absolute) is refused as Django 6.1 refuses it, and nothing is written.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use crate::support::{listing, scaffold};

/// Serves `body` with the given Content-Disposition to every request on 127.0.0.1.
fn serve(disposition: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/x-gzip\r\n\
                 Content-Disposition: {disposition}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    base
}

fn template_tgz() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let content = b"NAME = '{{ project_name }}'\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "project_name/settings.py-tpl", &content[..])
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn suspicious_download_names_are_refused() {
    for (disposition, words) in [
        (
            "attachment; filename=\"/nonexistent/archive.tgz\"",
            "is located outside of the base path component",
        ),
        (
            "attachment; filename=\"../archive.tgz\"",
            "is located outside of the base path component",
        ),
        (
            "attachment; filename*=UTF-8''..%2F..%2Farchive.tgz",
            "is located outside of the base path component",
        ),
        (
            "attachment; filename=\"sub/archive.tgz\"",
            "is not a plain file name",
        ),
    ] {
        let base = serve(disposition, template_tgz());
        let work = tempfile::tempdir().unwrap();
        let before = listing(work.path());
        // The URL names the type itself, as in Django's test: the server's name is still checked.
        let out = scaffold()
            .current_dir(work.path())
            .args(["startproject", "urltestproject", "--template"])
            .arg(format!("{base}/bad_template_filename.tgz"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{disposition}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: couldn't download") && stderr.contains(words),
            "{disposition}: {stderr}"
        );
        assert_eq!(listing(work.path()), before, "{disposition}");
    }
    // A plain name is fine.
    let base = serve("attachment; filename=\"t.tgz\"", template_tgz());
    let work = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(work.path())
        .args(["startproject", "urltestproject", "--template"])
        .arg(format!("{base}/download"))
        .assert()
        .success();
    // One leading directory is unpacked without it.
    assert!(work.path().join("urltestproject/settings.py").is_file());
}
