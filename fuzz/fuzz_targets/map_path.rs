//! Path mapping on arbitrary template paths and names: a mapped path is always relative and
//! made of plain components, and so is an accepted archive entry name.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use scaffold::internals::target_path;
use scaffold::internals::entry_path;

fuzz_target!(|input: (&str, &str)| {
    let (template_path, name) = input;
    let plain = |p: &Path| p.is_relative() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if let Some(mapped) = target_path(Path::new(template_path), "project_name", name) {
        assert!(plain(&mapped), "{template_path:?} with {name:?} became {mapped:?}");
    }
    if let Ok(entry) = entry_path(template_path) {
        assert!(entry.as_os_str().is_empty() || plain(&entry), "{template_path:?} became {entry:?}");
    }
});
