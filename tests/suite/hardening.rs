//! Attacks on all-or-nothing, as an adversary would make them: concurrent runs into one
//! directory, files and directories swapped for links while scaffold runs, crafted archives,
//! render bombs, links to fifos and devices, signals and closed pipes. Each test checks whole
//! listings (paths, modes, bytes) before and after.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{self, listing, scaffold_path, FIXED_KEY};

fn write_tree(root: &Path, files: &[(String, String)]) {
    for (rel, content) in files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(scaffold_path())
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `cmd` (program, arguments, working directory, environment) run by GNU time, which writes the
/// peak resident memory in KiB to `report`.
fn under_gnu_time(cmd: &Command, report: &Path) -> Command {
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    timed
}

/// Runs a command to its end and returns its exit code, stderr, peak resident memory in KiB
/// and time taken. The peak is measured by GNU time, which forks the command itself: a child
/// of this (large, multi-threaded) test process would be charged, at exec, with the test
/// process's own peak.
fn run_measured(cmd: Command) -> (i32, String, i64, Duration) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut timed = under_gnu_time(&cmd, report.path());
    let start = Instant::now();
    let out = timed
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("GNU time at /usr/bin/time (Debian package time)");
    let elapsed = start.elapsed();
    let text = fs::read_to_string(report.path()).unwrap();
    let peak_kib = text
        .lines()
        .filter_map(|l| l.trim().parse::<i64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak in {text:?}"));
    (
        out.status.code().unwrap_or(-1),
        stderr(&out),
        peak_kib,
        elapsed,
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Concurrent runs into one directory.

/// The reproduction: run A (a large template) has made `D/sub` and is moving its files
/// when run B (a small template with the same `sub/` and a file A also has) starts. Whichever
/// fails must take back only its own files; the other's must all be there.
#[test]
fn a_failed_run_never_removes_what_a_concurrent_run_wrote() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut a: Vec<(String, String)> = (0..3000)
            .map(|i| (format!("t{i}.txt"), String::new()))
            .collect();
        a.push(("sub/a.txt".into(), "a\n".into()));
        a.push(("zzz.txt".into(), "A\n".into()));
        let b: Vec<(String, String)> = vec![
            ("sub/b.txt".into(), "b\n".into()),
            ("zzz.txt".into(), "B\n".into()),
        ];
        write_tree(&d.join("tA"), &a);
        write_tree(&d.join("tB"), &b);
        fs::create_dir(d.join("D")).unwrap();

        let run_a = Command::new(scaffold_path())
            .current_dir(d)
            .args(["startproject", "p", "D", "--template", "tA"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !d.join("D/sub").exists() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        let out_b = run(d, &["startproject", "p", "D", "--template", "tB"]);
        let out_a = run_a.wait_with_output().unwrap();

        let ok_a = out_a.status.success();
        let ok_b = out_b.status.success();
        assert!(
            !(ok_a && ok_b),
            "round {round}: both cannot succeed, zzz.txt is in both"
        );
        assert!(out_a.status.code() == Some(0) || out_a.status.code() == Some(1));
        assert!(out_b.status.code() == Some(0) || out_b.status.code() == Some(1));
        check_outcome(&d.join("D"), &a, ok_a, &stderr(&out_a), round);
        check_outcome(&d.join("D"), &b, ok_b, &stderr(&out_b), round);
        if !ok_a {
            assert!(
                stderr(&out_a).contains("Overlaying a project into an existing directory"),
                "round {round}: {}",
                stderr(&out_a)
            );
            assert!(
                !stderr(&out_a).contains("pass a DIRECTORY"),
                "{}",
                stderr(&out_a)
            );
        }
    }
}

/// A run that exited 0 has every file with its content; a run that failed left none of the
/// files only it has (`zzz.txt` is shared, so it is judged by its content).
fn check_outcome(root: &Path, files: &[(String, String)], ok: bool, err: &str, round: usize) {
    for (rel, content) in files {
        let found = fs::read_to_string(root.join(rel)).ok();
        if ok {
            assert_eq!(
                found.as_deref(),
                Some(content.as_str()),
                "round {round}: {rel} of a run that succeeded"
            );
        } else {
            assert_ne!(
                found.as_deref(),
                Some(content.as_str()),
                "round {round}: {rel} of a failed run remains ({err})"
            );
        }
    }
}

/// Many runs at once into one directory, each template with files of its own, a directory
/// shared by all, and (for half of them) one file they all want: afterwards every run that
/// exited 0 has all its files, no failed run has any, and no staging directory is left.
#[test]
fn many_concurrent_runs_each_succeed_whole_or_leave_nothing() {
    const RUNS: usize = 8;
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("D")).unwrap();
        fs::write(d.join("D/existing.txt"), "keep").unwrap();
        let templates: Vec<Vec<(String, String)>> = (0..RUNS)
            .map(|k| {
                let mut files: Vec<(String, String)> = (0..150)
                    .map(|i| (format!("shared/r{k}_{i}.txt"), format!("{k}\n")))
                    .collect();
                files.push((format!("own{k}/only.txt"), format!("{k}\n")));
                if k % 2 == 0 {
                    files.push(("shared/contested.txt".into(), format!("{k}\n")));
                }
                files
            })
            .collect();
        for (k, files) in templates.iter().enumerate() {
            write_tree(&d.join(format!("t{k}")), files);
        }
        let children: Vec<Child> = (0..RUNS)
            .map(|k| {
                Command::new(scaffold_path())
                    .current_dir(d)
                    .args(["startproject", "p", "D", "--template"])
                    .arg(format!("t{k}"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut contested_winners = 0;
        for (k, out) in outputs.iter().enumerate() {
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(1),
                "round {round} run {k}: {code:?} {}",
                stderr(out)
            );
            if out.status.success() && k % 2 == 0 {
                contested_winners += 1;
            }
            check_outcome(
                &d.join("D"),
                &templates[k],
                out.status.success(),
                &stderr(out),
                round,
            );
        }
        assert!(contested_winners <= 1, "round {round}");
        // A run without the contested file may still fail, rightly: when the run that made
        // `shared/` fails and removes it (empty yet), a run about to move its files into that
        // directory finds it gone, and fails whole. So only the outcome of each run is checked
        // (above), and that some run got through.
        assert!(
            outputs.iter().any(|out| out.status.success()),
            "round {round}: no run succeeded"
        );
        assert_eq!(
            fs::read_to_string(d.join("D/existing.txt")).unwrap(),
            "keep"
        );
        let leftovers: Vec<_> = fs::read_dir(d.join("D"))
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".scaffold-staging")
            })
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Swap races, driven by a thread that exchanges a path with a symbolic link in a loop.

/// Exchanges `a` and `b` (`renameat2(RENAME_EXCHANGE)`) as fast as it can until dropped.
struct Swapper {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Swapper {
    fn start(a: PathBuf, b: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut swaps = 0;
            while !flag.load(Ordering::Relaxed) {
                if rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &a,
                    rustix::fs::CWD,
                    &b,
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .is_ok()
                {
                    swaps += 1;
                }
            }
            swaps
        });
        Swapper {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// Files with content and mode, for comparing trees where modes and bytes matter.
fn hashed(root: &Path) -> BTreeMap<String, (String, Vec<u8>)> {
    listing(root)
}

/// A template file (one copied, one rendered) exchanged again and again with a link to a
/// secret outside the template: the secret never reaches the output; every run either
/// succeeds with the template's own content or fails with nothing written.
#[test]
fn a_template_file_swapped_for_a_link_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let secret = d.join("secret/key.txt");
    write_tree(
        d,
        &[
            ("secret/key.txt".into(), "SECRET\n".into()),
            ("t/data.txt".into(), "data\n".into()),
            (
                "t/code.py-tpl".into(),
                "name = '{{ project_name }}'\n".into(),
            ),
            ("t/other.txt".into(), "other\n".into()),
        ],
    );
    fs::create_dir(d.join("links")).unwrap();
    symlink(&secret, d.join("links/data.txt")).unwrap();
    symlink(&secret, d.join("links/code.py-tpl")).unwrap();
    let secret_before = hashed(&d.join("secret"));
    let swappers = [
        Swapper::start(d.join("t/data.txt"), d.join("links/data.txt")),
        Swapper::start(d.join("t/code.py-tpl"), d.join("links/code.py-tpl")),
    ];
    let (mut ok, mut refused) = (0, 0);
    for i in 0..150 {
        let target = format!("out{i}");
        let out = run(d, &["startproject", "p", &target, "--template", "t"]);
        match out.status.code() {
            Some(0) => {
                ok += 1;
                let files = hashed(&d.join(&target));
                for (rel, (_, bytes)) in &files {
                    assert!(
                        !String::from_utf8_lossy(bytes).contains("SECRET"),
                        "run {i}: {rel} holds the secret"
                    );
                }
                assert_eq!(
                    fs::read_to_string(d.join(&target).join("data.txt")).unwrap(),
                    "data\n"
                );
                assert_eq!(
                    fs::read_to_string(d.join(&target).join("code.py")).unwrap(),
                    "name = 'p'\n"
                );
            }
            Some(1) => {
                refused += 1;
                assert!(!d.join(&target).exists(), "run {i}: {}", stderr(&out));
            }
            other => panic!("run {i}: {other:?} {}", stderr(&out)),
        }
    }
    let swaps: usize = swappers.into_iter().map(Swapper::stop).sum();
    assert!(swaps > 0);
    assert_eq!(hashed(&d.join("secret")), secret_before);
    eprintln!("template swaps: {swaps}; runs ok {ok}, refused {refused}");
}

/// The project package directory (`DIR/p`) exchanged again and again with a link to another
/// directory that holds files: nothing is ever written into that directory or removed from it,
/// and nothing that existed in DIR is changed.
#[test]
fn a_destination_swapped_for_a_link_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_tree(
        d,
        &[
            ("other/settings.py".into(), "precious\n".into()),
            ("other/keep.txt".into(), "keep\n".into()),
            ("D/existing.txt".into(), "existing\n".into()),
        ],
    );
    fs::create_dir(d.join("D/p")).unwrap();
    fs::create_dir(d.join("links")).unwrap();
    symlink(d.join("other"), d.join("links/p")).unwrap();
    let other_before = hashed(&d.join("other"));
    let (mut ok, mut refused, mut swaps) = (0, 0, 0);
    for i in 0..150 {
        let swapper = Swapper::start(d.join("D/p"), d.join("links/p"));
        let out = run(
            d,
            &[
                "startproject",
                "p",
                "D",
                "--secret-key",
                FIXED_KEY,
                "--django",
                "5.2",
            ],
        );
        swaps += swapper.stop();
        match out.status.code() {
            Some(0) => ok += 1,
            Some(1) => refused += 1,
            other => panic!("run {i}: {other:?} {}", stderr(&out)),
        }
        assert_eq!(
            hashed(&d.join("other")),
            other_before,
            "run {i}: {}",
            stderr(&out)
        );
        assert_eq!(
            fs::read_to_string(d.join("D/existing.txt")).unwrap(),
            "existing\n"
        );
        // Clear what a successful run wrote (the swapper is stopped), so that the next run is
        // not a conflict.
        let _ = fs::remove_file(d.join("D/manage.py"));
        for p in [d.join("D/p"), d.join("links/p")] {
            if p.is_dir() && !p.is_symlink() {
                for entry in fs::read_dir(&p).unwrap().flatten() {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
    assert!(swaps > 0);
    assert_eq!(hashed(&d.join("other")), other_before);
    eprintln!("destination swaps: {swaps}; runs ok {ok}, refused {refused}");
}

// ---------------------------------------------------------------------------------------------
// 3. Crafted archives: refused quickly, with bounded memory, nothing written, no temporary
//    directory left.

/// A raw 512-byte tar header.
fn tar_header(name: &str, size: u64, kind: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    let size_field = format!("{size:011o}");
    h[124..135].copy_from_slice(size_field.as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar ");
    h[263..265].copy_from_slice(b" \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let field = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(field.as_bytes());
    h
}

/// A gzip-compressed tar: `prefix` (an extension entry with `size` bytes of `fill`) followed by
/// one small regular file.
fn crafted_tgz(kind: u8, name: &str, size: u64, fill: u8) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_header(name, size, kind)).unwrap();
    let chunk = vec![fill; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        gz.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    let pad = (512 - size % 512) % 512;
    gz.write_all(&vec![0u8; pad as usize]).unwrap();
    gz.write_all(&tar_header("t/a.txt", 2, b'0')).unwrap();
    let mut data = [0u8; 512];
    data[..2].copy_from_slice(b"a\n");
    gz.write_all(&data).unwrap();
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

/// A zip archive written by hand (stored entries), so that it can hold what zip writers refuse:
/// two entries of one name, an entry whose Unix mode is a device.
fn crafted_zip(entries: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, mode, data) in entries {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let mut local = Vec::new();
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&20u16.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(&0u32.to_le_bytes());
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&(data.len() as u32).to_le_bytes());
        local.extend_from_slice(&(data.len() as u32).to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&local);
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&(0x0300u16 | 20).to_le_bytes()); // made by Unix
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0u8; 8]);
        central.extend_from_slice(&(mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Runs scaffold on `archive` with `limit`, in a sandbox with its own TMPDIR, and checks the
/// refusal: status 1, the expected words, a short message, nothing written, no temporary
/// directory left, and memory and time bounded.
fn assert_archive_refused(file_name: &str, bytes: &[u8], limit: &str, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("tmp")).unwrap();
    fs::create_dir(d.join("work")).unwrap();
    let archive = d.join(file_name);
    fs::write(&archive, bytes).unwrap();
    let before = listing(&d.join("work"));
    let mut cmd = Command::new(scaffold_path());
    cmd.current_dir(d.join("work"))
        .env("TMPDIR", d.join("tmp"))
        .args([
            "startproject",
            "p",
            "--max-template-size",
            limit,
            "--template",
        ])
        .arg(&archive);
    let (code, err, peak_kib, elapsed) = run_measured(cmd);
    assert_eq!(code, 1, "{file_name}: {err}");
    assert!(err.contains(expect), "{file_name}: {err}");
    assert!(
        err.lines().all(|l| l.len() < 400),
        "{file_name}: a long line: {} bytes",
        err.len()
    );
    assert_eq!(listing(&d.join("work")), before, "{file_name}");
    assert!(
        listing(&d.join("tmp")).is_empty(),
        "{file_name}: temporary files left"
    );
    assert!(peak_kib < 64 * 1024, "{file_name}: peak RSS {peak_kib} KiB");
    assert!(
        elapsed < Duration::from_secs(20),
        "{file_name}: {elapsed:?}"
    );
}

#[test]
fn crafted_archives_are_refused_quickly_with_bounded_memory() {
    // A GNU long name of 64 MiB in a small .tar.gz, under a 1 KiB limit.
    assert_archive_refused(
        "longname.tar.gz",
        &crafted_tgz(b'L', "././@LongLink", 64 << 20, b'a'),
        "1K",
        "refusing template",
    );
    // The same under the default limit: the name is refused by its length, not read whole.
    assert_archive_refused(
        "longname-default.tar.gz",
        &crafted_tgz(b'L', "././@LongLink", 64 << 20, b'a'),
        "256M",
        "long name longer than",
    );
    // A pax extended header of 32 MiB: refused at 64 KiB.
    assert_archive_refused(
        "pax.tar.gz",
        &crafted_tgz(b'x', "././@PaxHeader", 32 << 20, b'\n'),
        "256M",
        "pax header longer than",
    );
    // 8 MiB of pax global data skipped between entries, under a 1 MiB limit: counted.
    assert_archive_refused(
        "global.tar.gz",
        &crafted_tgz(b'g', "pax_global_header", 8 << 20, b'\n'),
        "1M",
        "larger than the limit of 1 MiB",
    );
    assert_archive_refused(
        "dup.zip",
        &crafted_zip(&[
            ("t/a.txt", 0o100_644, b"first"),
            ("t/a.txt", 0o100_644, b"second"),
        ]),
        "256M",
        "entry 't/a.txt' appears twice in the archive",
    );
    assert_archive_refused(
        "dev.zip",
        &crafted_zip(&[("t/b.txt", 0o100_644, b"b"), ("t/zero", 0o020_644, b"x")]),
        "256M",
        "entry 't/zero' is not a file or directory",
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Render bombs.

#[test]
fn render_bombs_stop_at_the_limit_with_bounded_memory() {
    let loops = |n: usize| {
        let open: String = (0..n)
            .map(|i| format!("{{% for c{i} in secret_key %}}"))
            .collect();
        let close = "{% endfor %}".repeat(n);
        format!("{open}{{{{ secret_key }}}}{close}\n")
    };
    let repeated = "{{ secret_key }}".repeat(200_000);
    // (case, template text, limit in MiB, packed in a .tgz, as the 204-byte bomb was)
    for (name, text, limit_mib, packed) in [
        ("loops4", loops(4), 1, false),
        ("loops5", loops(5), 16, false),
        ("loops5-tgz", loops(5), 16, true),
        ("repeated", repeated, 1, false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let template = if packed {
            let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::best(),
            ));
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            tar.append_data(&mut header, "t/bomb.py-tpl", text.as_bytes())
                .unwrap();
            let bytes = tar.into_inner().unwrap().finish().unwrap();
            fs::write(d.join("bomb.tgz"), bytes).unwrap();
            "bomb.tgz"
        } else {
            write_tree(d, &[("t/bomb.py-tpl".into(), text)]);
            "t"
        };
        fs::create_dir(d.join("tmp")).unwrap();
        let limit = format!("{limit_mib}M");
        let mut cmd = Command::new(scaffold_path());
        cmd.current_dir(d).env("TMPDIR", d.join("tmp")).args([
            "startproject",
            "p",
            "--max-template-size",
            &limit,
            "--template",
            template,
        ]);
        let (code, err, peak_kib, elapsed) = run_measured(cmd);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains("limit"), "{name}: {err}");
        assert!(!d.join("p").exists(), "{name}");
        assert!(listing(&d.join("tmp")).is_empty(), "{name}");
        // The output budget is the limit, held once by the plan: memory stays near it.
        let bound_kib = 64 * 1024 + 3 * limit_mib * 1024;
        assert!(peak_kib < bound_kib, "{name}: peak RSS {peak_kib} KiB");
        assert!(elapsed < Duration::from_secs(30), "{name}: {elapsed:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Links to a fifo or a device inside a directory template.

#[test]
fn links_to_a_fifo_or_a_device_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cases = vec![("fifo", rustix::fs::FileType::Fifo, 0)];
    // A device node needs root (CI runs as root); elsewhere the fifo case still runs.
    let dev_ok = rustix::fs::mknodat(
        rustix::fs::CWD,
        d.join("probe"),
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::Mode::from_raw_mode(0o666),
        rustix::fs::makedev(1, 5),
    )
    .is_ok();
    if dev_ok {
        cases.push((
            "zero",
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::makedev(1, 5),
        ));
    } else {
        eprintln!("not root: the character-device case is skipped");
    }
    for (node, file_type, dev) in cases {
        let t = d.join(format!("t-{node}"));
        fs::create_dir_all(t.join("sub")).unwrap();
        fs::write(t.join("a.txt"), "a").unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            t.join("sub").join(node),
            file_type,
            rustix::fs::Mode::from_raw_mode(0o666),
            dev,
        )
        .unwrap();
        // Only the link is walked: the node itself sits in a directory that is skipped.
        fs::rename(t.join("sub"), t.join(".hidden")).unwrap();
        symlink(Path::new(".hidden").join(node), t.join("link.txt")).unwrap();
        let start = Instant::now();
        let mut child = Command::new(scaffold_path())
            .current_dir(d)
            .args(["startproject", "p", "--template"])
            .arg(&t)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("{node}: still running after 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let out = child.wait_with_output().unwrap();
        assert_eq!(status.code(), Some(1), "{node}: {}", stderr(&out));
        let expected = if node == "fifo" {
            "a fifo"
        } else {
            "a character device"
        };
        assert!(
            stderr(&out).contains(&format!("the link link.txt points to {expected}")),
            "{node}: {}",
            stderr(&out)
        );
        assert!(!d.join("p").exists(), "{node}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Signals and closed pipes.

/// Ctrl-C while a 2 GiB file is being copied: scaffold exits within half a second, with
/// status 1, and leaves nothing behind.
#[test]
fn ctrl_c_is_prompt_during_a_large_copy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("t")).unwrap();
    let big = fs::File::create(d.join("t/big.bin")).unwrap();
    // Sparse: cheap to make, but every byte is read and written by the copy.
    big.set_len(2 << 30).unwrap();
    drop(big);
    fs::write(d.join("t/a.txt"), "a").unwrap();
    assert_prompt_interrupt(
        d,
        &[
            "startproject",
            "p",
            "--max-template-size",
            "4G",
            "--template",
            "t",
        ],
        Duration::from_millis(400),
    );
}

/// Starts scaffold with `args` in `dir` (TMPDIR inside it), sends SIGINT after `delay`, and
/// checks that it was still working then (else the test proves nothing) and gave up within
/// 0.5 s: status 1, `interrupted`, and `dir` exactly as it was, temporary files included.
fn assert_prompt_interrupt(dir: &Path, args: &[&str], delay: Duration) {
    fs::create_dir_all(dir.join("tmp")).unwrap();
    let before = listing(dir);
    let mut child = Command::new(scaffold_path())
        .current_dir(dir)
        .env("TMPDIR", dir.join("tmp"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} ended before the signal: the test proves nothing"
    );
    let sent = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let latency = sent.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    assert!(
        latency < Duration::from_millis(500),
        "{args:?}: {latency:?}"
    );
    assert_eq!(listing(dir), before, "{args:?}");
}

/// stdout and stderr closed or broken: no abort, and the exit status is the command's.
#[test]
fn closed_stdout_and_stderr_do_not_abort() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shell = |script: &str, args: &[&str]| {
        Command::new("sh")
            .current_dir(d)
            .arg("-c")
            .arg(script)
            .arg(scaffold_path())
            .args(args)
            .output()
            .unwrap()
    };
    // Closed stderr: success, then a refusal.
    let out = shell(
        "exec \"$0\" \"$@\" 2>&-",
        &["startproject", "one", "-v", "3"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(d.join("one/manage.py").exists());
    let out = shell("exec \"$0\" \"$@\" 2>&-", &["startproject", "os"]);
    assert_eq!(out.status.code(), Some(1));
    // A pipe whose reader has gone (as `| head -0`), for text and JSON on stdout and stderr.
    for (name, extra) in [
        ("two", "-v 2"),
        ("three", "--output-format json"),
        ("four", "-v 1"),
    ] {
        let mut child = Command::new(scaffold_path())
            .current_dir(d)
            .arg("startproject")
            .arg(name)
            .args(extra.split(' '))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{name}");
        assert!(d.join(name).join("manage.py").exists(), "{name}");
    }
}

/// A server on 127.0.0.1 that answers every request with a redirect to `location`.
fn redirecting_server(location: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            let answer = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

/// A redirect to file: (or any scheme but http and https) is refused by name, not followed and
/// not mistaken for a network error.
#[test]
fn a_redirect_to_another_scheme_is_named() {
    let dir = tempfile::tempdir().unwrap();
    for location in ["file:///etc/passwd", "ftp://127.0.0.1/t.zip"] {
        let port = redirecting_server(location);
        let url = format!("http://127.0.0.1:{port}/t.zip");
        let out = run(dir.path(), &["startproject", "p", "--template", &url]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let scheme = location.split(':').next().unwrap();
        assert!(
            stderr(&out).contains(&format!("the server redirected to a {scheme}: URL")),
            "{}",
            stderr(&out)
        );
        assert!(!dir.path().join("p").exists());
    }
}

/// Ctrl-C during a long render (twenty files of four nested loops, each under the engine's step
/// limit, together many seconds of work): scaffold exits within half a second, status 1,
/// nothing left behind.
#[test]
fn ctrl_c_is_prompt_during_a_long_render() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let slow = "{% for a in secret_key %}{% for b in secret_key %}{% for c in secret_key %}\
                {% for e in secret_key %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}\n";
    let files: Vec<(String, String)> = (0..20)
        .map(|i| (format!("t/slow{i:02}.py-tpl"), slow.to_owned()))
        .collect();
    write_tree(d, &files);
    assert_prompt_interrupt(
        d,
        &[
            "startproject",
            "p",
            "--secret-key",
            FIXED_KEY,
            "--template",
            "t",
        ],
        Duration::from_millis(500),
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Round 2 (issue 18): `--check`, `--register`, venv detection and terminal output.

/// Every run here gets a private sandbox below cargo's target/tmp (no shared `/tmp` above it,
/// where another user's `.venv` could be) and a private `TMPDIR` inside it; it runs with a
/// time limit and an address-space limit, its peak memory measured by GNU time, and is killed
/// by its process id when the time is up.
mod round2 {
    use super::*;
    use std::os::unix::process::CommandExt;

    pub(super) struct Sandbox {
        dir: tempfile::TempDir,
    }

    impl Sandbox {
        pub(super) fn new() -> Self {
            let dir = tempfile::Builder::new()
                .prefix("round2-")
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .unwrap();
            fs::create_dir(dir.path().join("tmp")).unwrap();
            Sandbox { dir }
        }

        pub(super) fn path(&self) -> &Path {
            self.dir.path()
        }

        /// scaffold with `args` in `cwd`, no active venv, the private TMPDIR, no colour.
        pub(super) fn command(&self, cwd: &Path, args: &[&str]) -> Command {
            let mut cmd = Command::new(scaffold_path());
            cmd.current_dir(cwd)
                .args(args)
                .env_remove("VIRTUAL_ENV")
                .env_remove("PYTHONPATH")
                .env("TMPDIR", self.path().join("tmp"))
                .env("NO_COLOR", "1");
            cmd
        }
    }

    pub(super) struct Ran {
        pub(super) code: Option<i32>,
        pub(super) stdout: Vec<u8>,
        pub(super) stderr: String,
        pub(super) peak_kib: i64,
        pub(super) elapsed: Duration,
    }

    impl Ran {
        pub(super) fn stdout(&self) -> String {
            String::from_utf8_lossy(&self.stdout).into_owned()
        }
    }

    /// Runs `cmd` under GNU time with stdout and stderr in files (at most the first 4 MiB of
    /// each is read back), 2 GiB of address space and the time `limit`; panics, after killing
    /// it, when it outlives the limit.
    pub(super) fn bounded(cmd: Command, limit: Duration) -> Ran {
        bounded_with(cmd, limit, 2 << 30, None)
    }

    pub(super) fn bounded_with(
        cmd: Command,
        limit: Duration,
        address_space: u64,
        open_files: Option<u64>,
    ) -> Ran {
        let outputs = tempfile::Builder::new()
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let (report, out_path, err_path) = (
            outputs.path().join("time"),
            outputs.path().join("stdout"),
            outputs.path().join("stderr"),
        );
        let mut timed = under_gnu_time(&cmd, &report);
        timed
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out_path).unwrap())
            .stderr(fs::File::create(&err_path).unwrap());
        // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            timed.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: address_space,
                    rlim_max: address_space,
                };
                libc::setrlimit(libc::RLIMIT_AS, &lim);
                if let Some(n) = open_files {
                    let lim = libc::rlimit {
                        rlim_cur: n,
                        rlim_max: n,
                    };
                    libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
                }
                Ok(())
            });
        }
        let start = Instant::now();
        let mut child = timed.spawn().expect("GNU time at /usr/bin/time");
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > limit {
                kill_tree(child.id());
                let _ = child.wait();
                panic!(
                    "still running after {limit:?}: {:?}; stderr: {}",
                    cmd.get_args().collect::<Vec<_>>(),
                    head(&err_path)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = start.elapsed();
        let text = fs::read_to_string(&report).unwrap_or_default();
        let peak_kib = text
            .lines()
            .filter_map(|l| l.trim().parse::<i64>().ok())
            .next_back()
            .unwrap_or(-1);
        // GNU time reports a signal as "Command terminated by signal N" and exits 128+N.
        let code = if text.contains("terminated by signal") {
            None
        } else {
            status.code()
        };
        Ran {
            code,
            stdout: read_head(&out_path),
            stderr: head(&err_path),
            peak_kib,
            elapsed,
        }
    }

    fn read_head(path: &Path) -> Vec<u8> {
        use std::io::Read;
        let mut bytes = Vec::new();
        if let Ok(file) = fs::File::open(path) {
            let _ = file.take(4 << 20).read_to_end(&mut bytes);
        }
        bytes
    }

    fn head(path: &Path) -> String {
        String::from_utf8_lossy(&read_head(path)).into_owned()
    }

    /// Kills `pid` (GNU time) and its children, by id.
    fn kill_tree(pid: u32) {
        let children =
            fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        for child in children.split_whitespace() {
            if let Ok(child) = child.parse::<i32>() {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(child, libc::SIGKILL) };
            }
        }
        // SAFETY: as above.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }

    /// Refused: exit 1, one `error:` line (a `hint:` line may follow), nothing on stdout.
    pub(super) fn assert_refused(ran: &Ran, what: &str) {
        assert_eq!(ran.code, Some(1), "{what}: {}", ran.stderr);
        assert!(ran.stdout.is_empty(), "{what}: stdout {}", ran.stdout());
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert!(
            !lines.is_empty() && lines[0].starts_with("error: ") && lines.len() <= 2,
            "{what}: {}",
            ran.stderr
        );
        if lines.len() == 2 {
            assert!(lines[1].starts_with("hint: "), "{what}: {}", ran.stderr);
        }
    }

    /// Runs scaffold with `args` in `cwd` (30 s at most) and asserts it succeeds.
    pub(super) fn succeeds(sandbox: &Sandbox, cwd: &Path, args: &[&str]) -> Ran {
        let ran = bounded(sandbox.command(cwd, args), Duration::from_secs(30));
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
        ran
    }

    /// A project made by scaffold (`--django` as given) in `dir`.
    pub(super) fn project(sandbox: &Sandbox, dir: &Path, django: &str, extra: &[&str]) {
        fs::create_dir_all(dir).unwrap();
        let mut args = vec!["startproject", "mysite", ".", "--django", django];
        args.extend(["--secret-key", "k"]);
        args.extend(extra);
        succeeds(sandbox, dir, &args);
    }

    pub(super) fn mkfifo(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
    }
}

use round2::{bounded, bounded_with, mkfifo, Sandbox};

/// Item 1: `--check` of a `./NAME` that is a link is refused, as the real run refuses it, and
/// nothing from behind the link is printed, in text or JSON, for startproject and startapp.
#[test]
fn round2_check_refuses_a_linked_name_and_prints_nothing_behind_it() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    fs::create_dir_all(d.join("home/.ssh")).unwrap();
    fs::write(d.join("home/.ssh/id_rsa"), "PRIVATE KEY\n").unwrap();
    fs::create_dir(d.join("snap")).unwrap();
    symlink(d.join("home"), d.join("snap/mysite")).unwrap();
    let before = listing(d);
    let project = [
        "startproject",
        "mysite",
        "--django",
        "6.1",
        "--secret-key",
        "k",
        "--check",
    ];
    let app = ["startapp", "mysite", "--django", "6.1", "--check"];
    for (command, json) in [
        (&project[..], false),
        (&project, true),
        (&app, false),
        (&app, true),
    ] {
        let mut args = command.to_vec();
        if json {
            args.extend(["--output-format", "json"]);
        }
        let args = &args;
        let ran = bounded(
            sandbox.command(&d.join("snap"), args),
            Duration::from_secs(20),
        );
        assert!(
            !ran.stdout().contains("PRIVATE") && !ran.stderr.contains("PRIVATE"),
            "{args:?}"
        );
        assert!(
            !ran.stdout().contains("id_rsa"),
            "{args:?}: {}",
            ran.stdout()
        );
        if json {
            assert_eq!(ran.code, Some(1), "{args:?}");
            let report: serde_json::Value = serde_json::from_slice(&ran.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", ran.stdout()));
            let error = report["error"].as_str().unwrap_or_default();
            assert!(error.contains("symbolic link"), "{args:?}: {report}");
        } else {
            round2::assert_refused(&ran, &format!("{args:?}"));
            assert!(
                ran.stderr.contains("symbolic link"),
                "{args:?}: {}",
                ran.stderr
            );
        }
    }
    assert_eq!(listing(d), before);
}

/// Item 2: a `pyvenv.cfg` that is a link to /dev/zero or a fifo, or a fifo itself, is not
/// read: every command that looks for a venv finishes at once with bounded memory.
#[test]
fn round2_a_venv_config_that_is_a_device_or_fifo_never_blocks() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    for case in ["dev-zero", "fifo-link", "fifo"] {
        let work = d.join(case);
        fs::create_dir_all(work.join(".venv")).unwrap();
        match case {
            "dev-zero" => symlink("/dev/zero", work.join(".venv/pyvenv.cfg")).unwrap(),
            "fifo-link" => {
                mkfifo(&work.join("fifo"));
                symlink(work.join("fifo"), work.join(".venv/pyvenv.cfg")).unwrap();
            }
            _ => mkfifo(&work.join(".venv/pyvenv.cfg")),
        }
        for args in [
            &["startproject", "mysite", "--dry-run"][..],
            &["startproject", "mysite", "--secret-key", "k", "--check"][..],
            &["startapp", "blog", "--django", "6.1", "--dry-run"][..],
            // It writes ./mysite, which upgrade (without --to: the venv's release) reads next.
            &[
                "new",
                "mysite",
                "--layout",
                "classic",
                "--settings",
                "single",
                "--no-project-files",
                "--yes",
            ][..],
            &["upgrade", "mysite"][..],
        ] {
            let ran = bounded(sandbox.command(&work, args), Duration::from_secs(10));
            assert!(
                ran.elapsed < Duration::from_secs(5),
                "{case} {args:?}: {:?}",
                ran.elapsed
            );
            assert!(
                ran.peak_kib < 100_000,
                "{case} {args:?}: {} KiB",
                ran.peak_kib
            );
            assert!(
                ran.code.is_some(),
                "{case} {args:?}: killed; {}",
                ran.stderr
            );
        }
    }
}

/// Item 3: a `.venv` above the target counts only when it belongs to the user running scaffold
/// or to root: another user's, with a Django 5.2 in it, changes nothing.
#[test]
fn round2_a_venv_above_owned_by_another_user_is_ignored() {
    if !support::is_root() {
        eprintln!("not root: cannot make a .venv owned by another user; skipped");
        return;
    }
    let sandbox = Sandbox::new();
    let shared = sandbox.path().join("shared");
    let site = shared.join(".venv/lib/python3.12/site-packages/django-5.2.1.dist-info");
    fs::create_dir_all(&site).unwrap();
    fs::write(shared.join(".venv/pyvenv.cfg"), "version = 3.12.1\n").unwrap();
    fs::create_dir(shared.join("work")).unwrap();
    // Runs startproject below the shared directory; the release its settings say.
    let made_with = || {
        let args = ["startproject", "mysite", "--secret-key", "k"];
        let ran = bounded(
            sandbox.command(&shared.join("work"), &args),
            Duration::from_secs(20),
        );
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        let settings = shared.join("work/mysite/mysite/settings.py");
        let text = fs::read_to_string(settings).unwrap();
        fs::remove_dir_all(shared.join("work/mysite")).unwrap();
        ["5.2", "6.1"]
            .into_iter()
            .find(|v| text.contains(&format!("using Django {v}")))
            .unwrap_or("neither")
    };
    let chown = |owner: &str| {
        let status = Command::new("chown")
            .args(["-R", owner])
            .arg(shared.join(".venv"))
            .status()
            .unwrap();
        assert!(status.success());
    };
    assert_eq!(made_with(), "5.2", "root's own .venv counts");
    chown("65534:65534");
    assert_eq!(made_with(), "6.1", "another user's .venv does not");
    // And a linked .venv (not named by the user) is not followed either.
    chown("0:0");
    fs::rename(shared.join(".venv"), shared.join("real-venv")).unwrap();
    symlink(shared.join("real-venv"), shared.join(".venv")).unwrap();
    assert_eq!(made_with(), "6.1", "a linked .venv");
}

fn register(sandbox: &Sandbox, root: &Path, app: &str) -> round2::Ran {
    bounded(
        sandbox.command(root, &["startapp", app, "--register", "--django", "6.1"]),
        Duration::from_secs(10),
    )
}

/// Item 4: 50,000 nested parentheses in manage.py do not overflow the stack.
#[test]
fn round2_register_survives_deeply_nested_parentheses() {
    let sandbox = Sandbox::new();
    let root = sandbox.path().join("site");
    round2::project(&sandbox, &root, "6.1", &[]);
    let mut manage = fs::read_to_string(root.join("manage.py")).unwrap();
    manage.push_str(&format!(
        "X = {}1{}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    ));
    fs::write(root.join("manage.py"), manage).unwrap();
    let ran = register(&sandbox, &root, "blog");
    assert!(
        matches!(ran.code, Some(0 | 1)),
        "{:?}: {}",
        ran.code,
        ran.stderr
    );
    if ran.code == Some(1) {
        round2::assert_refused(&ran, "nested parentheses");
    }
}

/// Item 5: `from .. import *` as the whole settings module goes above the top-level package
/// (Python raises ImportError): refused, and the file beside the project is not touched.
#[test]
fn round2_register_refuses_a_star_import_above_the_project() {
    let sandbox = Sandbox::new();
    let root = sandbox.path().join("site");
    round2::project(&sandbox, &root, "6.1", &[]);
    fs::write(root.join("mysite/settings.py"), "from .. import *\n").unwrap();
    fs::write(sandbox.path().join("site.py"), "INSTALLED_APPS = [\n]\n").unwrap();
    let before = listing(sandbox.path());
    let ran = register(&sandbox, &root, "blog");
    round2::assert_refused(&ran, "from .. import *");
    assert_eq!(listing(sandbox.path()), before);
}

/// Item 6: a project package directory that is a link to another project's is not written
/// through.
#[test]
fn round2_register_refuses_a_linked_package_directory() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    round2::project(&sandbox, &d.join("victim"), "6.1", &[]);
    round2::project(&sandbox, &d.join("site"), "6.1", &[]);
    fs::remove_dir_all(d.join("site/mysite")).unwrap();
    symlink("../victim/mysite", d.join("site/mysite")).unwrap();
    let before = listing(d);
    let ran = register(&sandbox, &d.join("site"), "blog");
    round2::assert_refused(&ran, "linked package");
    assert!(ran.stderr.contains("symbolic link"), "{}", ran.stderr);
    assert_eq!(listing(d), before);
}

/// Item 7: a huge settings module is refused quickly with bounded memory, and one swapped for
/// a fifo while scaffold runs never hangs it.
#[test]
fn round2_register_reads_settings_bounded_and_never_blocks() {
    let sandbox = Sandbox::new();
    let root = sandbox.path().join("site");
    round2::project(&sandbox, &root, "6.1", &[]);
    let settings = root.join("mysite/settings.py");
    let original = fs::read(&settings).unwrap();
    let mut huge = original.clone();
    let comment = format!("# {}\n", "x".repeat(77));
    for _ in 0..(40 << 20) / comment.len() {
        huge.extend_from_slice(comment.as_bytes());
    }
    fs::write(&settings, &huge).unwrap();
    let ran = register(&sandbox, &root, "blog");
    round2::assert_refused(&ran, "huge settings");
    assert!(ran.elapsed < Duration::from_secs(5), "{:?}", ran.elapsed);
    assert!(ran.peak_kib < 200_000, "{} KiB", ran.peak_kib);
    assert_eq!(fs::metadata(&settings).unwrap().len(), huge.len() as u64);

    fs::write(&settings, &original).unwrap();
    mkfifo(&root.join("mysite/spare"));
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let (a, b) = (settings.clone(), root.join("mysite/spare"));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &a,
                    rustix::fs::CWD,
                    &b,
                    rustix::fs::RenameFlags::EXCHANGE,
                );
            }
        })
    };
    let mut outcomes = Vec::new();
    for i in 0..40 {
        let ran = bounded(
            sandbox.command(
                &root,
                &[
                    "startapp",
                    &format!("app{i}"),
                    "--register",
                    "--django",
                    "6.1",
                ],
            ),
            Duration::from_secs(5),
        );
        outcomes.push(ran.code);
        assert!(
            matches!(ran.code, Some(0 | 1)),
            "run {i}: {:?} {}",
            ran.code,
            ran.stderr
        );
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
}

/// Item 8: with both `settings.py` and `settings/__init__.py`, Python imports the package:
/// `--register` edits the package's module, and upgrade's discovery names it too.
#[test]
fn round2_register_edits_the_settings_module_python_imports() {
    let sandbox = Sandbox::new();
    let root = sandbox.path().join("site");
    round2::project(&sandbox, &root, "6.1", &[]);
    let module = fs::read(root.join("mysite/settings.py")).unwrap();
    fs::create_dir(root.join("mysite/settings")).unwrap();
    fs::write(root.join("mysite/settings/__init__.py"), &module).unwrap();
    let found = scaffold::internals::discover(&root).unwrap();
    assert_eq!(
        found.settings_file.as_deref(),
        Some(Path::new("mysite/settings/__init__.py"))
    );
    let ran = register(&sandbox, &root, "blog");
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(fs::read(root.join("mysite/settings.py")).unwrap(), module);
    let package = fs::read_to_string(root.join("mysite/settings/__init__.py")).unwrap();
    assert!(package.contains("    'blog',\n"), "{package}");
}

/// `n` lines of about 1 MiB in all, each `{tag}{i}`: two such files with different tags have no
/// line in common.
fn mebibyte_of_lines(tag: &str) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < (1 << 20) - 32 {
        text.push_str(&format!("{tag}{i}\n"));
        i += 1;
    }
    text
}

/// Item 9: a diff of two 1 MiB files with no line in common took 105 s; three such pairs now
/// take a bounded time together, with bounded memory.
#[test]
fn round2_check_diffs_are_time_bounded() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    for i in 0..3 {
        for (dir, tag) in [("t", "template line "), ("D", "existing line ")] {
            fs::create_dir_all(d.join(dir)).unwrap();
            fs::write(
                d.join(dir).join(format!("big{i}.txt")),
                mebibyte_of_lines(tag),
            )
            .unwrap();
        }
    }
    let ran = bounded(
        sandbox.command(d, &["startapp", "p", "D", "--template", "t", "--check"]),
        Duration::from_secs(40),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.elapsed < Duration::from_secs(25), "{:?}", ran.elapsed);
    assert!(ran.peak_kib < 300_000, "{} KiB", ran.peak_kib);
    let stdout = ran.stdout();
    assert!(
        stdout.starts_with("changed big0.txt\n--- a/big0.txt\n+++ b/big0.txt\n"),
        "{}",
        &stdout[..200.min(stdout.len())]
    );
}

/// Item 11: `--check` walks 1,100 extra directories with a few open handles (256 allowed), and
/// writes 64 diffs of 1 MiB each as it makes them instead of holding them all.
#[test]
fn round2_check_walks_without_a_handle_per_directory_and_streams() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    round2::succeeds(
        &sandbox,
        d,
        &["startproject", "mysite", "--secret-key", "k"],
    );
    let extra = d.join("mysite/mysite/extra");
    for i in 0..1100 {
        fs::create_dir_all(extra.join(format!("d{i:04}/sub"))).unwrap();
    }
    let check = ["startproject", "mysite", "--secret-key", "k", "--check"];
    let ran = bounded_with(
        sandbox.command(d, &check),
        Duration::from_secs(60),
        2 << 30,
        Some(256),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.stderr.contains("2201 extra"), "{}", ran.stderr);
    fs::remove_dir_all(&extra).unwrap();

    let text = mebibyte_of_lines("line ");
    fs::create_dir(&extra).unwrap();
    for i in 0..64 {
        fs::write(extra.join(format!("f{i:02}.txt")), &text).unwrap();
    }
    for format in ["text", "json"] {
        let mut args = check.to_vec();
        args.extend(["--output-format", format]);
        let ran = bounded(sandbox.command(d, &args), Duration::from_secs(120));
        assert_eq!(ran.code, Some(1), "{format}: {}", ran.stderr);
        assert!(ran.peak_kib < 48_000, "{format}: {} KiB", ran.peak_kib);
    }
}

/// Whether `text` holds a control character other than a line break: what must never reach a
/// terminal from a name.
fn has_raw_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n')
}

/// Item 10: names that scaffold reads (a file name found by `--check`, a dist-info name, a
/// template's file names, the release in a settings docstring) reach the terminal with their
/// control characters escaped; JSON keeps them exact.
#[test]
fn round2_control_characters_from_inputs_are_escaped_on_the_terminal() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    let evil = "evil\u{1b}]0;PWNED\u{7}.txt";

    // --check's extra file names, text and JSON.
    let made = [
        "startproject",
        "mysite",
        "--secret-key",
        "k",
        "--django",
        "6.1",
    ];
    round2::succeeds(&sandbox, d, &made);
    fs::write(d.join("mysite/mysite").join(evil), "x\n").unwrap();
    let check = [
        "startproject",
        "mysite",
        "--secret-key",
        "k",
        "--django",
        "6.1",
        "--check",
    ];
    let ran = bounded(sandbox.command(d, &check), Duration::from_secs(30));
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let names: Vec<&str> = ran
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.starts_with(b"-x") && !l.starts_with(b"@@"))
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    assert!(names.iter().all(|l| !has_raw_control(l)), "{names:?}");
    assert!(
        ran.stdout()
            .contains("extra mysite/evil\\x1b]0;PWNED\\x07.txt (file"),
        "{}",
        ran.stdout()
    );
    let mut json_args = check.to_vec();
    json_args.extend(["--output-format", "json"]);
    let ran = bounded(sandbox.command(d, &json_args), Duration::from_secs(30));
    let report: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    let paths: Vec<&str> = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&format!("mysite/{evil}").as_str()),
        "{paths:?}"
    );

    // The installed Django's dist-info name in a refusal.
    let work = d.join("venv-work");
    fs::create_dir_all(
        work.join(".venv/lib/python3.12/site-packages/django-9.9.9\u{1b}[2J.dist-info"),
    )
    .unwrap();
    let ran = bounded(
        sandbox.command(&work, &["startproject", "mysite", "--dry-run"]),
        Duration::from_secs(30),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(!has_raw_control(&ran.stderr), "{:?}", ran.stderr);
    assert!(
        ran.stderr.contains("Django 9.9.9\\x1b[2J is installed"),
        "{}",
        ran.stderr
    );
    let ran = bounded(
        sandbox.command(
            &work,
            &[
                "startproject",
                "mysite",
                "--dry-run",
                "--output-format",
                "json",
            ],
        ),
        Duration::from_secs(30),
    );
    let report: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("Django 9.9.9\u{1b}[2J is installed"),
        "{report}"
    );

    // A template's file names at -v 2.
    let template = d.join("t");
    fs::create_dir_all(&template).unwrap();
    fs::write(template.join(evil), "x\n").unwrap();
    let verbose = [
        "startapp",
        "blog",
        "--template",
        "t",
        "--dry-run",
        "-v",
        "2",
    ];
    let ran = round2::succeeds(&sandbox, d, &verbose);
    assert!(!has_raw_control(&ran.stdout()), "{:?}", ran.stdout());
    assert!(
        ran.stdout().contains("blog/evil\\x1b]0;PWNED\\x07.txt"),
        "{}",
        ran.stdout()
    );

    // The release in a settings docstring, as upgrade reports it.
    let root = d.join("old");
    round2::project(&sandbox, &root, "5.2", &[]);
    let settings = root.join("mysite/settings.py");
    let text = fs::read_to_string(&settings).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Generated by"))
        .unwrap()
        .to_owned();
    let tampered = line.trim_end_matches('.').to_owned() + "\u{1b}]0;PWNED\u{7}.";
    fs::write(&settings, text.replace(&line, &tampered)).unwrap();
    let ran = bounded(
        sandbox.command(&root, &["upgrade", "--to", "6.1"]),
        Duration::from_secs(60),
    );
    assert!(matches!(ran.code, Some(0 | 3)), "{}", ran.stderr);
    assert!(!has_raw_control(&ran.stderr), "{:?}", ran.stderr);
    assert!(ran.stderr.contains("\\x1b]0;PWNED\\x07"), "{}", ran.stderr);
    let stdout = ran.stdout();
    for line in stdout
        .lines()
        .filter(|l| l.starts_with("changed ") || l.starts_with("--- ") || l.starts_with("+++ "))
    {
        assert!(!has_raw_control(line), "{line:?}");
    }
}

/// Item 13, first part: a 120 KB NAME is shortened in the error line, whole in JSON.
#[test]
fn round2_a_huge_name_is_shortened_in_the_error() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    let name = format!("x-{}", "a".repeat(120_000));
    for kind in ["startproject", "startapp"] {
        let ran = bounded(sandbox.command(d, &[kind, &name]), Duration::from_secs(30));
        round2::assert_refused(&ran, kind);
        assert!(
            ran.stderr.len() < 2_000,
            "{kind}: {} bytes",
            ran.stderr.len()
        );
        let ran = bounded(
            sandbox.command(d, &[kind, &name, "--output-format", "json"]),
            Duration::from_secs(30),
        );
        let report: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
        assert!(report["error"].as_str().unwrap().contains(&name), "{kind}");
    }
    let long = "a".repeat(120_000);
    let ran = bounded(
        sandbox.command(d, &["startproject", &long]),
        Duration::from_secs(30),
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.stderr.len() < 2_000, "{} bytes", ran.stderr.len());
}

/// Item 12: `scaffold man --dir` replaces a link or a fifo where a page goes: the link's target
/// is not written, the fifo not waited on.
#[test]
fn round2_man_dir_never_writes_through_a_link_nor_blocks_on_a_fifo() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    fs::create_dir(d.join("man")).unwrap();
    fs::write(d.join("victim"), "keep me\n").unwrap();
    symlink(d.join("victim"), d.join("man/scaffold.1")).unwrap();
    mkfifo(&d.join("man/scaffold-startproject.1"));
    let ran = bounded(
        sandbox.command(d, &["man", "--dir", "man"]),
        Duration::from_secs(10),
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(fs::read_to_string(d.join("victim")).unwrap(), "keep me\n");
    for page in ["scaffold.1", "scaffold-startproject.1"] {
        let meta = fs::symlink_metadata(d.join("man").join(page)).unwrap();
        assert!(meta.file_type().is_file(), "{page}");
        assert!(
            fs::read_to_string(d.join("man").join(page))
                .unwrap()
                .starts_with(".ie"),
            "{page}"
        );
    }
    let names: Vec<String> = fs::read_dir(d.join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

/// Item 13, second part: `--register` in a settings file with CRLF line breaks adds its line
/// with CRLF, every other byte kept.
#[test]
fn round2_register_keeps_crlf_line_breaks() {
    let sandbox = Sandbox::new();
    let root = sandbox.path().join("site");
    round2::project(&sandbox, &root, "6.1", &[]);
    let settings = root.join("mysite/settings.py");
    let crlf = fs::read_to_string(&settings).unwrap().replace('\n', "\r\n");
    fs::write(&settings, &crlf).unwrap();
    let ran = register(&sandbox, &root, "blog");
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let after = fs::read_to_string(&settings).unwrap();
    let bare_lf: Vec<&str> = after
        .split_inclusive('\n')
        .filter(|l| !l.ends_with("\r\n"))
        .collect();
    assert!(bare_lf.is_empty(), "lines ending in LF alone: {bare_lf:?}");
    assert!(
        after.replacen("    'blog',\r\n", "", 1) == crlf,
        "not one line added"
    );
}

/// Item 13, third part: `startapp` inside a project made with Django 5.2, with no venv to
/// say, emits 5.2's app (the project's settings name the release that made it), single and
/// split settings alike; `--django` still wins; a project owned by another user says nothing.
#[test]
fn round2_startapp_in_a_52_project_without_a_venv_emits_52s_app() {
    let sandbox = Sandbox::new();
    let d = sandbox.path();
    let app = |cwd: &Path, args: &[&str]| {
        round2::succeeds(&sandbox, cwd, args);
    };
    fs::create_dir(d.join("reference")).unwrap();
    app(
        &d.join("reference"),
        &["startapp", "blog", "--django", "5.2"],
    );
    let expected = listing(&d.join("reference/blog"));
    for (dir, extra) in [("single", &[][..]), ("split", &["--settings", "split"][..])] {
        let root = d.join(dir);
        round2::project(&sandbox, &root, "5.2", extra);
        app(&root, &["startapp", "blog"]);
        assert_eq!(listing(&root.join("blog")), expected, "{dir}");
        app(&root, &["startapp", "shop", "--django", "6.1"]);
        let apps = fs::read_to_string(root.join("shop/apps.py")).unwrap();
        assert!(!apps.contains("default_auto_field"), "{dir}: {apps}");
    }
    // Another user's project says nothing: the newest release, as without a project.
    if support::is_root() {
        let root = d.join("single");
        std::os::unix::fs::chown(root.join("manage.py"), Some(65534), Some(65534)).unwrap();
        app(&root, &["startapp", "news"]);
        let apps = fs::read_to_string(root.join("news/apps.py")).unwrap();
        assert!(!apps.contains("default_auto_field"), "{apps}");
    }
}
