//! Property tests: whatever a template's paths, entry names and project names are, a mapped
//! path never leaves the target directory, and an archive never writes outside its workspace.

use std::path::{Component, Path};

use proptest::prelude::*;
use scaffold::internals::target_path;
use scaffold::internals::{entry_path, unpack_tar, unpack_zip, UnpackError};

/// Path components that are hostile, special or contain the placeholder.
fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("".to_owned()),
        Just("project_name".to_owned()),
        Just("project_name.py-tpl".to_owned()),
        Just("/".to_owned()),
        Just("\\..".to_owned()),
        "[a-z_./\\\\-]{0,12}",
        "\\PC{0,8}",
    ]
}

fn stays_inside(p: &Path) -> bool {
    p.is_relative() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mapped_paths_never_leave_the_target(parts in prop::collection::vec(component(), 0..6), name in "\\PC{0,10}|\\.\\.|/|a/b") {
        let joined = parts.join("/");
        if let Some(mapped) = target_path(Path::new(&joined), "project_name", &name) {
            prop_assert!(stays_inside(&mapped), "{joined:?} with {name:?} became {mapped:?}");
            prop_assert!(!mapped.as_os_str().is_empty());
        }
        let absolute = format!("/{joined}");
        prop_assert!(target_path(Path::new(&absolute), "project_name", &name).is_none());
    }

    #[test]
    fn archive_entry_paths_never_leave_the_workspace(parts in prop::collection::vec(component(), 0..6)) {
        let joined = parts.join("/");
        if let Ok(path) = entry_path(&joined) {
            prop_assert!(stays_inside(&path) || path.as_os_str().is_empty(), "{joined:?} became {path:?}");
        }
    }

    #[test]
    fn unpacking_arbitrary_names_writes_only_inside(parts in prop::collection::vec(component(), 1..4)) {
        let name = parts.join("/");
        let sandbox = tempfile::tempdir().unwrap();
        let dest = sandbox.path().join("dest");
        std::fs::create_dir(&dest).unwrap();

        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        if zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).is_ok() {
            use std::io::Write;
            zip.write_all(b"x").unwrap();
            let bytes = zip.finish().unwrap().into_inner();
            match unpack_zip(std::io::Cursor::new(bytes), &dest, 1024) {
                Ok(root) => prop_assert!(root.starts_with(&dest)),
                Err(UnpackError::TooLarge { .. }) => prop_assert!(false, "one byte is below the limit"),
                Err(_) => {}
            }
        }
        let mut header = tar::Header::new_old();
        let bytes = name.as_bytes();
        if bytes.len() < 100 {
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_size(1);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            let mut tar = header.as_bytes().to_vec();
            tar.push(b'x');
            tar.resize(512 * 2 + 1024, 0);
            if let Ok(root) = unpack_tar(&tar[..], &dest, 1024) {
                prop_assert!(root.starts_with(&dest));
            }
        }
        // Nothing but `dest` appeared in the sandbox.
        let entries: Vec<_> = std::fs::read_dir(sandbox.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        prop_assert_eq!(entries, vec![std::ffi::OsString::from("dest")]);
    }
}
