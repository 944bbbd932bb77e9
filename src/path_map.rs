//! How a template's relative paths become paths in the generated tree.

use std::path::{Component, Path, PathBuf};

/// Django's `rewrite_template_suffixes`: shipped as `.py-tpl` so that the template itself is not
/// byte-compiled or imported, written as `.py`.
const TEMPLATE_SUFFIX: &str = ".py-tpl";

/// Maps a template-relative path (`project_name/settings.py-tpl`) to its target-relative path
/// (`mysite/settings.py`): `placeholder` is replaced by `name` in every component, as Django's
/// `str.replace` does, and a final `.py-tpl` becomes `.py`.
///
/// Returns `None` for a path that could leave the target once mapped: absolute paths, `..`, or a
/// component that the replacement turns into something other than one plain name.
pub fn target_path(template_relative: &Path, placeholder: &str, name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in template_relative.components() {
        let Component::Normal(part) = component else {
            return None;
        };
        let mapped = part.to_str()?.replace(placeholder, name);
        if mapped.is_empty() || mapped == "." || mapped == ".." || mapped.contains(['/', '\\']) {
            return None;
        }
        out.push(mapped);
    }
    let text = out.to_str()?;
    if let Some(stem) = text.strip_suffix(TEMPLATE_SUFFIX) {
        out = PathBuf::from(format!("{stem}.py"));
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(p: &str) -> Option<String> {
        target_path(Path::new(p), "project_name", "mysite").map(|p| p.to_str().unwrap().to_owned())
    }

    #[test]
    fn replaces_placeholder_in_every_component_and_rewrites_suffix() {
        assert_eq!(
            map("project_name/settings.py-tpl").as_deref(),
            Some("mysite/settings.py")
        );
        assert_eq!(map("manage.py-tpl").as_deref(), Some("manage.py"));
        assert_eq!(
            map("docs/project_name_guide.md").as_deref(),
            Some("docs/mysite_guide.md")
        );
        assert_eq!(map("a.py-tpl.txt").as_deref(), Some("a.py-tpl.txt"));
    }

    #[test]
    fn refuses_paths_that_could_escape() {
        for bad in ["/etc/passwd", "../x", "a/../../x", ""] {
            assert_eq!(map(bad), None, "{bad}");
        }
        assert_eq!(
            target_path(Path::new("project_name/x"), "project_name", ".."),
            None
        );
        assert_eq!(
            target_path(Path::new("project_name/x"), "project_name", "a/b"),
            None
        );
    }
}
