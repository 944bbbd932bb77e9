//! What `scaffold upgrade --write` and `startapp --register` keep of a file they replace: its
//! owner, group, mode and extended attributes (a POSIX ACL among them), as `sed -i` does, even
//! when run as root; and where they cannot be kept, nothing is written.

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::support::{generate, is_root, listing, scaffold, unprivileged};

/// The owner of the project in these tests: an ordinary user, not the one running scaffold.
const OWNER: u32 = 1000;

/// The files a 5.2 project's upgrade to 6.1 replaces, each with the mode the owner gave it.
const REPLACED: [(&str, u32); 4] = [
    ("mysite/settings.py", 0o640),
    ("mysite/urls.py", 0o664),
    ("mysite/asgi.py", 0o644),
    ("mysite/wsgi.py", 0o600),
];

/// A POSIX access ACL as the kernel stores it in `system.posix_acl_access` (what `setfacl -m
/// u:1001:r,g:1002:rw` leaves on a 0640 file whose mask is then rw): written directly, so
/// that the test needs no `setfacl`.
fn acl() -> Vec<u8> {
    const UNDEFINED: u32 = u32::MAX;
    let entries: [(u16, u16, u32); 6] = [
        (0x01, 6, UNDEFINED), // user::rw-
        (0x02, 4, 1001),      // user:1001:r--
        (0x04, 4, UNDEFINED), // group::r--
        (0x08, 6, 1002),      // group:1002:rw-
        (0x10, 6, UNDEFINED), // mask::rw-
        (0x20, 0, UNDEFINED), // other::---
    ];
    let mut bytes = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        bytes.extend_from_slice(&tag.to_le_bytes());
        bytes.extend_from_slice(&perm.to_le_bytes());
        bytes.extend_from_slice(&id.to_le_bytes());
    }
    bytes
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) -> rustix::io::Result<()> {
    let name = CString::new(name).unwrap();
    rustix::fs::lsetxattr(
        path,
        name.as_c_str(),
        value,
        rustix::fs::XattrFlags::empty(),
    )
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let name = CString::new(name).unwrap();
    let mut buffer = vec![0u8; 64 << 10];
    let n = rustix::fs::lgetxattr(path, name.as_c_str(), &mut buffer[..]).ok()?;
    buffer.truncate(n);
    Some(buffer)
}

/// Owner, group, mode (with the special bits), and the two extended attributes, shown as
/// `ls -l` and `getfacl` would.
#[derive(PartialEq)]
struct Kept {
    uid: u32,
    gid: u32,
    mode: u32,
    user_test: Option<Vec<u8>>,
    acl: Option<Vec<u8>>,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user_test = self.user_test.as_deref().map(String::from_utf8_lossy);
        let acl = self.acl.as_deref().map(|bytes| {
            let entries: Vec<String> = bytes[4..]
                .chunks(8)
                .map(|e| {
                    let tag = u16::from_le_bytes([e[0], e[1]]);
                    let perm = u16::from_le_bytes([e[2], e[3]]);
                    let id = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
                    let who = match tag {
                        0x01 => "u:".to_owned(),
                        0x02 => format!("u:{id}"),
                        0x04 => "g:".to_owned(),
                        0x08 => format!("g:{id}"),
                        0x10 => "m:".to_owned(),
                        _ => "o:".to_owned(),
                    };
                    let rwx: String = [(4, 'r'), (2, 'w'), (1, 'x')]
                        .iter()
                        .map(|(bit, c)| if perm & bit != 0 { *c } else { '-' })
                        .collect();
                    format!("{who}:{rwx}")
                })
                .collect();
            entries.join(",")
        });
        write!(
            f,
            "{}:{} {:04o} user.test={user_test:?} acl={acl:?}",
            self.uid, self.gid, self.mode
        )
    }
}

fn kept(path: &Path) -> (Kept, u64) {
    let meta = fs::symlink_metadata(path).unwrap();
    (
        Kept {
            uid: meta.uid(),
            gid: meta.gid(),
            mode: meta.mode() & 0o7777,
            user_test: get_xattr(path, "user.test"),
            acl: get_xattr(path, "system.posix_acl_access"),
        },
        meta.ino(),
    )
}

/// A 5.2 project in `dir` owned by [`OWNER`], each file to be replaced with its own mode and a
/// `user.test` attribute, settings.py with an ACL too. None when this file system stores no
/// extended attributes (the test then says so and checks nothing).
fn owned_project(dir: &Path) -> Option<std::path::PathBuf> {
    generate(
        dir,
        &[
            "startproject",
            "mysite",
            "--django",
            "5.2",
            "--secret-key",
            "k",
        ],
    );
    let root = dir.join("mysite");
    for entry in walk(&root) {
        std::os::unix::fs::lchown(&entry, Some(OWNER), Some(OWNER)).unwrap();
    }
    for (rel, mode) in REPLACED {
        let path = root.join(rel);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        if let Err(e) = set_xattr(&path, "user.test", format!("kept {rel}").as_bytes()) {
            eprintln!("skipped: this file system stores no user extended attributes ({e})");
            return None;
        }
    }
    let settings = root.join("mysite/settings.py");
    if let Err(e) = set_xattr(&settings, "system.posix_acl_access", &acl()) {
        eprintln!("skipped: this file system stores no POSIX ACLs ({e})");
        return None;
    }
    Some(root)
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![root.to_owned()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() && !out[i].is_symlink() {
            let mut children: Vec<_> = fs::read_dir(&out[i])
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// Run as root, `upgrade --write` replaces settings.py, urls.py, asgi.py and wsgi.py (each a
/// new inode): every one keeps the owner's uid and gid, its mode, its `user.test` attribute,
/// and settings.py its ACL.
#[test]
fn an_upgrade_as_root_keeps_owner_group_mode_and_extended_attributes() {
    if !is_root() {
        eprintln!("skipped: needs root, to give the project to another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(root) = owned_project(dir.path()) else {
        return;
    };
    let before: Vec<_> = REPLACED
        .iter()
        .map(|(rel, _)| kept(&root.join(rel)))
        .collect();
    let out = scaffold()
        .current_dir(&root)
        .args(["upgrade", "--to", "6.1", "--write"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for ((rel, _), (was, inode)) in REPLACED.iter().zip(before) {
        let path = root.join(rel);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("/en/6.1/"), "{rel} was not upgraded");
        let (now, new_inode) = kept(&path);
        println!("{rel}: before {was:?}\n{rel}: after  {now:?}");
        assert_ne!(inode, new_inode, "{rel} was replaced by an exchange");
        assert_eq!(now, was, "{rel}");
    }
    assert_eq!(
        kept(&root.join("mysite/settings.py")).0.acl,
        Some(acl()),
        "the ACL is the one set"
    );
}

/// Run as root, `startapp --register` edits settings.py (a new inode) and keeps what the
/// upgrade keeps.
#[test]
fn register_as_root_keeps_owner_group_mode_and_extended_attributes() {
    if !is_root() {
        eprintln!("skipped: needs root, to give the project to another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(root) = owned_project(dir.path()) else {
        return;
    };
    let settings = root.join("mysite/settings.py");
    let (was, inode) = kept(&settings);
    let out = scaffold()
        .current_dir(&root)
        .args(["startapp", "blog", "--register", "-v", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::read_to_string(&settings).unwrap().contains("'blog'"));
    let (now, new_inode) = kept(&settings);
    println!("settings.py: before {was:?}\nsettings.py: after  {now:?}");
    assert_ne!(inode, new_inode, "settings.py was replaced by an exchange");
    assert_eq!(now, was);
}

/// A user who may write the project's files but not give a file to their owner (here `nobody`
/// upgrading files of uid 1000 in world-writable directories): the upgrade would hand the
/// files to `nobody`, so it is refused, one line, and nothing changes.
#[test]
fn an_owner_that_cannot_be_kept_is_refused_with_nothing_written() {
    if !is_root() {
        eprintln!("skipped: needs root, to give the project to another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    generate(
        dir.path(),
        &[
            "startproject",
            "mysite",
            "--django",
            "5.2",
            "--secret-key",
            "k",
        ],
    );
    let root = dir.path().join("mysite");
    for entry in walk(&root) {
        std::os::unix::fs::lchown(&entry, Some(OWNER), Some(OWNER)).unwrap();
        let mode = if entry.is_dir() { 0o777 } else { 0o666 };
        fs::set_permissions(&entry, fs::Permissions::from_mode(mode)).unwrap();
    }
    let before = listing(&root);
    let owners: Vec<_> = walk(&root).iter().map(|p| kept(p).0).collect();
    let out = unprivileged(&root, &["upgrade", "--to", "6.1", "--write"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("exit {:?}\n{stderr}", out.status.code());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: cannot keep the owner and group (1000:1000) of ")
            && first.ends_with("; nothing was written"),
        "{stderr}"
    );
    assert_eq!(listing(&root), before, "nothing changed");
    let now: Vec<_> = walk(&root).iter().map(|p| kept(p).0).collect();
    assert_eq!(now, owners, "no owner changed");
}
