//! Archive unpacking on arbitrary bytes: never panics, never writes outside the workspace,
//! never writes more than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scaffold::internals::{unpack_tar, unpack_zip};

const LIMIT: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let sandbox = tempfile::tempdir().expect("a temporary directory");
    let dest = sandbox.path().join("dest");
    std::fs::create_dir(&dest).expect("the workspace");
    let result = if selector % 2 == 0 {
        unpack_zip(std::io::Cursor::new(bytes), &dest, LIMIT)
    } else {
        unpack_tar(bytes, &dest, LIMIT)
    };
    if let Ok(root) = result {
        assert!(root.starts_with(&dest), "root {root:?} outside {dest:?}");
    }
    // Nothing but the workspace appeared beside it, and it holds at most LIMIT bytes.
    let beside: Vec<_> = std::fs::read_dir(sandbox.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("dest")]);
    assert!(size(&dest) <= LIMIT);
});

fn size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            assert!(!meta.file_type().is_symlink(), "a link was created: {:?}", e.path());
            if meta.is_dir() { size(&e.path()) } else { meta.len() }
        })
        .sum()
}
